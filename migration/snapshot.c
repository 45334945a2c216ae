/*
 * savevm / loadvm / delvm: VM snapshots in qcow2 internal snapshots, as
 * QEMU's migration/savevm.c does them (see include/migration/snapshot.h),
 * with their HMP commands and QMP jobs.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/queue.h"
#include <ctype.h>
#include <sys/mman.h>
#include <time.h>
#include "block/block-backend.h"
#include "migration/qemu-file.h"
#include "migration/savevm.h"
#include "migration/snapshot.h"
#include "monitor/hmp.h"
#include "monitor/qmp.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "system/timer.h"

/* The drives a snapshot operation acts on, in -drive order. */
typedef struct SnapshotDrives {
    BlockBackend **blk;
    size_t n;
} SnapshotDrives;

static void drives_add(SnapshotDrives *d, BlockBackend *blk)
{
    d->blk = xrealloc(d->blk, (d->n + 1) * sizeof(*d->blk));
    d->blk[d->n++] = blk;
}

/*
 * devices == NULL: every writable drive (read-only ones cannot change, so
 * they need no snapshot).  Otherwise exactly the drives named, each once.
 */
static bool select_drives(const char *const *devices, SnapshotDrives *d,
                          Error **errp)
{
    *d = (SnapshotDrives){ 0 };
    if (!devices) {
        for (BlockBackend *blk = blk_next(NULL); blk; blk = blk_next(blk)) {
            if (!blk_is_read_only(blk)) {
                drives_add(d, blk);
            }
        }
        return true;
    }
    for (size_t i = 0; devices[i]; i++) {
        BlockBackend *blk = blk_by_name(devices[i]);
        if (!blk) {
            error_setg(errp, "No block device '%s'", devices[i]);
            goto fail;
        }
        for (size_t j = 0; j < d->n; j++) {
            if (d->blk[j] == blk) {
                error_setg(errp, "Block device '%s' is listed twice",
                           devices[i]);
                goto fail;
            }
        }
        drives_add(d, blk);
    }
    return true;

fail:
    free(d->blk);
    *d = (SnapshotDrives){ 0 };
    return false;
}

/* Every selected drive must take an internal snapshot (qcow2, writable). */
static bool check_can_snapshot(const SnapshotDrives *d, Error **errp)
{
    for (size_t i = 0; i < d->n; i++) {
        BlockBackend *blk = d->blk[i];
        if (blk_is_read_only(blk)) {
            error_setg(errp, "Device '%s' is read-only: it cannot take "
                       "snapshots", blk_name(blk));
            return false;
        }
        if (!bdrv_can_snapshot(blk_bs(blk))) {
            error_setg(errp, "Device '%s' is writable but does not support "
                       "snapshots (format %s; internal snapshots need "
                       "qcow2)", blk_name(blk), blk_bs(blk)->drv->format_name);
            return false;
        }
    }
    return true;
}

/* The drive that holds the VM state: the one named, or the first. */
static BlockBackend *find_vmstate_drive(const char *vmstate,
                                        const SnapshotDrives *d, Error **errp)
{
    if (!vmstate) {
        if (!d->n) {
            error_setg(errp, "No block device can accept snapshots");
            return NULL;
        }
        return d->blk[0];
    }
    for (size_t i = 0; i < d->n; i++) {
        if (!strcmp(blk_name(d->blk[i]), vmstate)) {
            return d->blk[i];
        }
    }
    if (blk_by_name(vmstate)) {
        error_setg(errp, "vmstate block device '%s' is not among the "
                   "devices to snapshot (or is read-only)", vmstate);
    } else {
        error_setg(errp, "block device '%s' does not exist", vmstate);
    }
    return NULL;
}

/* Look a snapshot up by id, then by tag, as qcow2 does. */
static bool find_snapshot(BlockDriverState *bs, const char *name,
                          QEMUSnapshotInfo *out)
{
    QEMUSnapshotInfo *list;
    int n = bdrv_snapshot_list(bs, &list);
    int found = -1;

    for (int i = 0; i < n && found < 0; i++) {
        if (!strcmp(list[i].id_str, name)) {
            found = i;
        }
    }
    for (int i = 0; i < n && found < 0; i++) {
        if (!strcmp(list[i].name, name)) {
            found = i;
        }
    }
    if (found >= 0 && out) {
        *out = list[found];
    }
    free(list);
    return found >= 0;
}

/* ---- the VM state area as a QEMUFile ---- */

static ssize_t vmstate_put_buffer(void *opaque, const uint8_t *buf,
                                  int64_t pos, size_t size)
{
    int ret = bdrv_save_vmstate(opaque, buf, pos, size);
    return ret < 0 ? ret : (ssize_t)size;
}

static const QEMUFileOps vmstate_output_ops = {
    .put_buffer = vmstate_put_buffer,
};

/*
 * The whole VM state of snapshot sn, read without reverting to it.
 * Returns a buffer of sn->vm_state_size bytes to give back with
 * free_snapshot_vmstate(), or NULL.  The buffer is mapped populated:
 * allocating its pages in one go is several times faster than taking a
 * page fault for each while reading (hundreds of MiB for a large guest).
 */
static uint8_t *read_snapshot_vmstate(BlockBackend *blk,
                                      const QEMUSnapshotInfo *sn, Error **errp)
{
    const size_t chunk = 1 * MiB;
    uint64_t size = sn->vm_state_size;
    uint8_t *data;

    if (size > SAVEVM_MAX_BUFFERED_STREAM ||
        (data = mmap(NULL, size, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1,
                     0)) == MAP_FAILED) {
        error_setg(errp, "VM state of snapshot '%s' on '%s' is too large "
                   "(%" PRIu64 " bytes)", sn->name, blk_name(blk), size);
        return NULL;
    }
    for (uint64_t pos = 0; pos < size; pos += chunk) {
        size_t n = MIN(chunk, size - pos);
        int ret = bdrv_snapshot_load_vmstate(blk_bs(blk), sn->id_str,
                                             data + pos, pos, n);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read the VM state of "
                             "snapshot '%s' from '%s' at offset %" PRIu64,
                             sn->name, blk_name(blk), pos);
            munmap(data, size);
            return NULL;
        }
    }
    return data;
}

static void free_snapshot_vmstate(uint8_t *data, const QEMUSnapshotInfo *sn)
{
    if (data) {
        munmap(data, sn->vm_state_size);
    }
}

/* ---- save, load, delete ---- */

/* Delete name from every drive that has it; how many had it, or -1. */
static int delete_on_drives(const SnapshotDrives *d, const char *name,
                            Error **errp)
{
    int found = 0;

    for (size_t i = 0; i < d->n; i++) {
        BlockDriverState *bs = blk_bs(d->blk[i]);
        if (!bdrv_can_snapshot(bs) || !find_snapshot(bs, name, NULL)) {
            continue;
        }
        found++;
        if (bdrv_snapshot_delete(bs, name, errp) < 0) {
            error_prepend(errp, "Could not delete snapshot '%s' on '%s': ",
                          name, blk_name(d->blk[i]));
            return -1;
        }
    }
    return found;
}

static bool exists_on_any(const SnapshotDrives *d, const char *name)
{
    for (size_t i = 0; i < d->n; i++) {
        if (find_snapshot(blk_bs(d->blk[i]), name, NULL)) {
            return true;
        }
    }
    return false;
}

bool save_snapshot(const char *name, bool overwrite, const char *vmstate,
                   const char *const *devices, Error **errp)
{
    SnapshotDrives d;
    QEMUSnapshotInfo sn = { 0 };
    BlockBackend *vm_blk;
    struct timespec now;
    bool ok = false;

    if (!select_drives(devices, &d, errp)) {
        return false;
    }
    if (!check_can_snapshot(&d, errp) ||
        !(vm_blk = find_vmstate_drive(vmstate, &d, errp))) {
        goto out;
    }
    clock_gettime(CLOCK_REALTIME, &now);
    if (name) {
        if (!*name || strlen(name) >= sizeof(sn.name)) {
            error_setg(errp, "Invalid snapshot name '%s' (empty or longer "
                       "than %zu bytes)", name, sizeof(sn.name) - 1);
            goto out;
        }
        snprintf(sn.name, sizeof(sn.name), "%s", name);
    } else {
        struct tm tm;
        localtime_r(&now.tv_sec, &tm);
        strftime(sn.name, sizeof(sn.name), "vm-%Y%m%d%H%M%S", &tm);
    }
    if (!overwrite && exists_on_any(&d, sn.name)) {
        error_setg(errp, "Snapshot '%s' already exists in one or more "
                   "devices", sn.name);
        goto out;
    }

    bool was_running = runstate_is_running();
    if (vm_stop(RUN_STATE_SAVE_VM) < 0) {
        error_setg(errp, "savevm: could not stop the VM");
        goto out;
    }
    blk_drain_all();
    if (overwrite && delete_on_drives(&d, sn.name, errp) < 0) {
        goto restart;
    }

    sn.date_sec = now.tv_sec;
    sn.date_nsec = now.tv_nsec;
    sn.vm_clock_nsec = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    sn.icount = UINT64_MAX;       /* no record/replay: not recorded */

    QEMUFile *f = qemu_file_new_output(&vmstate_output_ops, blk_bs(vm_blk));
    int ret = qemu_savevm_state(f, errp);
    qemu_fflush(f);
    uint64_t vm_state_size = qemu_file_transferred(f);
    int close_ret = qemu_fclose(f);
    if (ret < 0) {
        error_prepend(errp, "Error while saving the VM state of snapshot "
                      "'%s' to '%s': ", sn.name, blk_name(vm_blk));
        goto restart;
    }
    if (close_ret < 0) {
        error_setg_errno(errp, -close_ret, "Error while writing the VM state "
                         "of snapshot '%s' to '%s'", sn.name,
                         blk_name(vm_blk));
        goto restart;
    }

    for (size_t i = 0; i < d.n; i++) {
        QEMUSnapshotInfo disk_sn = sn;
        disk_sn.vm_state_size = d.blk[i] == vm_blk ? vm_state_size : 0;
        if (bdrv_snapshot_create(blk_bs(d.blk[i]), &disk_sn, errp) < 0) {
            error_prepend(errp, "Could not create snapshot '%s' on '%s': ",
                          sn.name, blk_name(d.blk[i]));
            /* All or nothing: drop it from the drives that got it. */
            SnapshotDrives done = { d.blk, i };
            delete_on_drives(&done, sn.name, NULL);
            goto restart;
        }
    }
    for (size_t i = 0; i < d.n; i++) {
        int fret = bdrv_flush(blk_bs(d.blk[i]));
        if (fret < 0) {
            error_setg_errno(errp, -fret, "Could not flush '%s' after "
                             "snapshot '%s'", blk_name(d.blk[i]), sn.name);
            goto restart;
        }
    }
    ok = true;

restart:
    if (was_running) {
        vm_start();
    }
out:
    free(d.blk);
    return ok;
}

bool load_snapshot(const char *name, const char *vmstate,
                   const char *const *devices, Error **errp)
{
    SnapshotDrives d;
    QEMUSnapshotInfo sn;
    BlockBackend *vm_blk;
    uint8_t *data = NULL;
    bool ok = false;

    bool was_running = runstate_is_running();
    if (vm_stop(RUN_STATE_RESTORE_VM) < 0) {
        error_setg(errp, "loadvm: could not stop the VM");
        return false;
    }
    if (!select_drives(devices, &d, errp)) {
        return false;
    }
    if (!check_can_snapshot(&d, errp) ||
        !(vm_blk = find_vmstate_drive(vmstate, &d, errp))) {
        goto out;
    }
    blk_drain_all();
    /* Everything that can be checked is checked before a disk changes. */
    for (size_t i = 0; i < d.n; i++) {
        if (!find_snapshot(blk_bs(d.blk[i]), name, NULL)) {
            error_setg(errp, "Snapshot '%s' does not exist on device '%s'",
                       name, blk_name(d.blk[i]));
            goto out;
        }
    }
    find_snapshot(blk_bs(vm_blk), name, &sn);
    if (!sn.vm_state_size) {
        error_setg(errp, "Snapshot '%s' on '%s' is a disk-only snapshot. "
                   "Revert to it offline using qemu-img", name,
                   blk_name(vm_blk));
        goto out;
    }
    data = read_snapshot_vmstate(vm_blk, &sn, errp);
    if (!data) {
        goto out;
    }
    if (qemu_loadvm_state_verify(data, sn.vm_state_size, errp) < 0) {
        error_prepend(errp, "Snapshot '%s': the VM state on '%s' is "
                      "unusable (no disk was reverted): ", name,
                      blk_name(vm_blk));
        goto out;
    }

    for (size_t i = 0; i < d.n; i++) {
        if (bdrv_snapshot_goto(blk_bs(d.blk[i]), name, errp) < 0) {
            error_prepend(errp, "Could not revert '%s' to snapshot '%s'%s: ",
                          blk_name(d.blk[i]), name,
                          i ? " (the devices before it were reverted)" : "");
            goto out;
        }
    }
    qemu_system_reset(SHUTDOWN_CAUSE_SNAPSHOT_LOAD);
    /*
     * The stream was checked above: load it straight from the buffer.
     * qemu_loadvm_state would copy it and check its CRC all over again,
     * which was most of loadvm's time.
     */
    QEMUFile *f = qemu_file_new_buffer_input(data, sn.vm_state_size);
    int ret = qemu_loadvm_state_stream(f, errp);
    if (!ret && qemu_file_transferred(f) != sn.vm_state_size) {
        error_setg(errp, "migration stream: %" PRIu64 " bytes of garbage "
                   "after its end",
                   sn.vm_state_size - qemu_file_transferred(f));
        ret = -EINVAL;
    }
    qemu_fclose(f);
    if (ret < 0) {
        error_prepend(errp, "Error while loading the VM state of snapshot "
                      "'%s': ", name);
        goto out;
    }
    ok = true;
    if (was_running) {
        vm_start();
    }
out:
    free_snapshot_vmstate(data, &sn);
    free(d.blk);
    return ok;
}

bool delete_snapshot(const char *name, const char *const *devices,
                     Error **errp)
{
    SnapshotDrives d;
    bool ok = false;

    if (!select_drives(devices, &d, errp)) {
        return false;
    }
    if (devices && !check_can_snapshot(&d, errp)) {
        goto out;
    }
    /* With the BQL held after the drain, no request reaches the images. */
    blk_drain_all();
    int found = delete_on_drives(&d, name, errp);
    if (found == 0) {
        error_setg(errp, "Snapshot '%s' does not exist", name);
    }
    ok = found > 0;
out:
    free(d.blk);
    return ok;
}

/* ---- info snapshots ---- */

/* Snapshots whose tag is on every drive that can take snapshots. */
static bool on_all_drives(const SnapshotDrives *d, const char *tag)
{
    for (size_t i = 0; i < d->n; i++) {
        QEMUSnapshotInfo *list;
        int n = bdrv_snapshot_list(blk_bs(d->blk[i]), &list);
        bool found = false;
        for (int j = 0; j < n && !found; j++) {
            found = !strcmp(list[j].name, tag);
        }
        free(list);
        if (!found) {
            return false;
        }
    }
    return true;
}

char *snapshot_info_text(Error **errp)
{
    SnapshotDrives all, d = { 0 };
    StrBuf sb;
    int total = 0;

    select_drives(NULL, &all, NULL);
    for (size_t i = 0; i < all.n; i++) {
        if (bdrv_can_snapshot(blk_bs(all.blk[i]))) {
            drives_add(&d, all.blk[i]);
        }
    }
    free(all.blk);
    if (!d.n) {
        error_setg(errp, "No block device can accept snapshots");
        return NULL;
    }
    strbuf_init(&sb);
    strbuf_append(&sb, "List of snapshots present on all disks:\n");
    /* The loadable ones: on every drive, listed from the VM state drive. */
    QEMUSnapshotInfo *list;
    int n = bdrv_snapshot_list(blk_bs(d.blk[0]), &list);
    for (int i = 0; i < n; i++) {
        if (!on_all_drives(&d, list[i].name)) {
            continue;
        }
        if (!total++) {
            bdrv_snapshot_dump_header(&sb);
        }
        bdrv_snapshot_dump(&sb, &list[i], "--");
    }
    free(list);
    if (!total) {
        strbuf_append(&sb, "None\n");
    }
    /* Partial ones, per drive: they cannot be loaded. */
    for (size_t k = 0; k < d.n; k++) {
        int partial = 0;
        n = bdrv_snapshot_list(blk_bs(d.blk[k]), &list);
        for (int i = 0; i < n; i++) {
            if (on_all_drives(&d, list[i].name)) {
                continue;
            }
            if (!partial++) {
                strbuf_printf(&sb, "\nList of partial (non-loadable) "
                              "snapshots on '%s':\n", blk_name(d.blk[k]));
                bdrv_snapshot_dump_header(&sb);
            }
            bdrv_snapshot_dump(&sb, &list[i], list[i].id_str);
        }
        free(list);
    }
    free(d.blk);
    return strbuf_steal(&sb);
}

/* ---- HMP ---- */

static void hmp_savevm(Monitor *mon, const QObject *args)
{
    Error *err = NULL;
    save_snapshot(qdict_get_try_str(args, "name"), true, NULL, NULL, &err);
    hmp_handle_error(mon, err);
}

static void hmp_loadvm(Monitor *mon, const QObject *args)
{
    Error *err = NULL;
    load_snapshot(qdict_get_try_str(args, "name"), NULL, NULL, &err);
    hmp_handle_error(mon, err);
}

static void hmp_delvm(Monitor *mon, const QObject *args)
{
    Error *err = NULL;
    delete_snapshot(qdict_get_try_str(args, "name"), NULL, &err);
    hmp_handle_error(mon, err);
}

static void hmp_info_snapshots(Monitor *mon, const QObject *args)
{
    Error *err = NULL;
    char *text = snapshot_info_text(&err);
    if (!text) {
        hmp_handle_error(mon, err);
        return;
    }
    monitor_puts(mon, text);
    free(text);
}

static const HMPCommand snapshot_hmp_cmds[] = {
    { "savevm", "name:s?", "[tag]",
      "save a VM snapshot. If no tag is provided, a new snapshot is created",
      hmp_savevm },
    { "loadvm", "name:s", "tag", "restore a VM snapshot from its tag",
      hmp_loadvm },
    { "delvm", "name:s", "tag", "delete a VM snapshot from its tag",
      hmp_delvm },
};

static const HMPCommand snapshot_hmp_info_cmds[] = {
    { "snapshots", "", "", "show the currently saved VM snapshots",
      hmp_info_snapshots },
};

/* ---- QMP jobs ---- */

/*
 * QEMU runs snapshot-save/-load/-delete as jobs: the command returns at
 * once, the work runs later in the main loop, and the job, with its
 * error, stays in query-jobs until job-dismiss.  Status sequence (QEMU's
 * for a manually dismissed job): created, running, waiting, pending,
 * concluded, and null when dismissed; each change is a JOB_STATUS_CHANGE
 * event.
 */
typedef enum SnapshotJobType {
    SNAPSHOT_JOB_SAVE,
    SNAPSHOT_JOB_LOAD,
    SNAPSHOT_JOB_DELETE,
} SnapshotJobType;

static const char *const snapshot_job_type_names[] = {
    [SNAPSHOT_JOB_SAVE] = "snapshot-save",
    [SNAPSHOT_JOB_LOAD] = "snapshot-load",
    [SNAPSHOT_JOB_DELETE] = "snapshot-delete",
};

typedef struct SnapshotJob {
    char *id;
    SnapshotJobType type;
    const char *status;
    char *error;              /* NULL: succeeded (or not yet finished) */
    bool finished;
    char *tag;
    char *vmstate;
    char **devices;           /* NULL-terminated */
    QEMUBH *bh;
    QTAILQ_ENTRY(SnapshotJob) link;
} SnapshotJob;

static QTAILQ_HEAD(, SnapshotJob) snapshot_jobs =
    QTAILQ_HEAD_INITIALIZER(snapshot_jobs);

static void job_set_status(SnapshotJob *job, const char *status)
{
    QObject *data = qdict_new();

    job->status = status;
    qdict_put_str(data, "id", job->id);
    qdict_put_str(data, "status", status);
    qapi_event_send("JOB_STATUS_CHANGE", data);
}

static void job_free(SnapshotJob *job)
{
    if (job->bh) {
        qemu_bh_delete(job->bh);
    }
    for (size_t i = 0; job->devices && job->devices[i]; i++) {
        free(job->devices[i]);
    }
    free(job->devices);
    free(job->id);
    free(job->error);
    free(job->tag);
    free(job->vmstate);
    free(job);
}

static void snapshot_job_run(void *opaque)
{
    SnapshotJob *job = opaque;
    const char *const *devices = (const char *const *)job->devices;
    Error *err = NULL;
    bool ok = false;

    job_set_status(job, "running");
    switch (job->type) {
    case SNAPSHOT_JOB_SAVE:
        ok = save_snapshot(job->tag, false, job->vmstate, devices, &err);
        break;
    case SNAPSHOT_JOB_LOAD:
        ok = load_snapshot(job->tag, job->vmstate, devices, &err);
        break;
    case SNAPSHOT_JOB_DELETE:
        ok = delete_snapshot(job->tag, devices, &err);
        break;
    }
    if (!ok) {
        job->error = xstrdup(error_get_pretty(err));
        error_free(err);
    }
    job->finished = true;
    job_set_status(job, "waiting");
    job_set_status(job, "pending");
    job_set_status(job, "concluded");
}

static SnapshotJob *find_job(const char *id)
{
    SnapshotJob *job;
    QTAILQ_FOREACH(job, &snapshot_jobs, link) {
        if (!strcmp(job->id, id)) {
            return job;
        }
    }
    return NULL;
}

/* QEMU's id_wellformed: a letter, then letters, digits, '-', '.', '_'. */
static bool job_id_wellformed(const char *id)
{
    if (!isalpha((unsigned char)id[0])) {
        return false;
    }
    for (const char *p = id; *p; p++) {
        if (!isalnum((unsigned char)*p) && !strchr("-._", *p)) {
            return false;
        }
    }
    return true;
}

static void snapshot_job_start(SnapshotJobType type, const QObject *args,
                               Error **errp)
{
    const char *id = qdict_get_try_str(args, "job-id");
    QObject *devices = qdict_get_qlist(args, "devices");
    size_t n = devices ? qlist_size(devices) : 0;

    for (size_t i = 0; i < n; i++) {
        if (!qstring_get_str(qlist_get(devices, i))) {
            error_setg(errp, "Invalid parameter type for 'devices[%zu]', "
                       "expected: string", i);
            return;
        }
    }
    if (!job_id_wellformed(id)) {
        error_setg(errp, "Invalid job ID '%s'", id);
        return;
    }
    if (find_job(id)) {
        error_setg(errp, "Job ID '%s' already in use", id);
        return;
    }
    SnapshotJob *job = xnew(SnapshotJob);
    job->id = xstrdup(id);
    job->type = type;
    job->tag = xstrdup(qdict_get_try_str(args, "tag"));
    if (qdict_get_try_str(args, "vmstate")) {
        job->vmstate = xstrdup(qdict_get_try_str(args, "vmstate"));
    }
    job->devices = xnew_array(char *, n + 1);
    for (size_t i = 0; i < n; i++) {
        job->devices[i] = xstrdup(qstring_get_str(qlist_get(devices, i)));
    }
    job->devices[n] = NULL;
    job->bh = qemu_bh_new(snapshot_job_run, job);
    QTAILQ_INSERT_TAIL(&snapshot_jobs, job, link);
    job_set_status(job, "created");
    qemu_bh_schedule(job->bh);
}

static void qmp_cmd_snapshot_save(QObject *args, QObject **ret, Error **errp)
{
    snapshot_job_start(SNAPSHOT_JOB_SAVE, args, errp);
}

static void qmp_cmd_snapshot_load(QObject *args, QObject **ret, Error **errp)
{
    snapshot_job_start(SNAPSHOT_JOB_LOAD, args, errp);
}

static void qmp_cmd_snapshot_delete(QObject *args, QObject **ret,
                                    Error **errp)
{
    snapshot_job_start(SNAPSHOT_JOB_DELETE, args, errp);
}

static void qmp_cmd_query_jobs(QObject *args, QObject **ret, Error **errp)
{
    QObject *list = qlist_new();
    SnapshotJob *job;

    QTAILQ_FOREACH(job, &snapshot_jobs, link) {
        QObject *info = qdict_new();
        qdict_put_str(info, "id", job->id);
        qdict_put_str(info, "type", snapshot_job_type_names[job->type]);
        qdict_put_str(info, "status", job->status);
        qdict_put_int(info, "current-progress", job->finished ? 1 : 0);
        qdict_put_int(info, "total-progress", 1);
        if (job->error) {
            qdict_put_str(info, "error", job->error);
        }
        qlist_append(list, info);
    }
    *ret = list;
}

static void qmp_cmd_job_dismiss(QObject *args, QObject **ret, Error **errp)
{
    SnapshotJob *job = find_job(qdict_get_try_str(args, "id"));

    if (!job) {
        error_setg(errp, "Job not found");
        return;
    }
    if (strcmp(job->status, "concluded")) {
        error_setg(errp, "Job '%s' in state '%s' cannot accept command verb "
                   "'dismiss'", job->id, job->status);
        return;
    }
    QTAILQ_REMOVE(&snapshot_jobs, job, link);
    job_set_status(job, "null");
    job_free(job);
}

static const QmpArgSpec snapshot_save_load_args[] = {
    { "job-id", QMP_ARG_STR }, { "tag", QMP_ARG_STR },
    { "vmstate", QMP_ARG_STR }, { "devices", QMP_ARG_LIST }, { NULL }
};
static const QmpArgSpec snapshot_delete_args[] = {
    { "job-id", QMP_ARG_STR }, { "tag", QMP_ARG_STR },
    { "devices", QMP_ARG_LIST }, { NULL }
};
static const QmpArgSpec job_id_args[] = { { "id", QMP_ARG_STR }, { NULL } };

static const QmpCommand snapshot_qmp_cmds[] = {
    { "snapshot-save", qmp_cmd_snapshot_save, snapshot_save_load_args },
    { "snapshot-load", qmp_cmd_snapshot_load, snapshot_save_load_args },
    { "snapshot-delete", qmp_cmd_snapshot_delete, snapshot_delete_args },
    { "query-jobs", qmp_cmd_query_jobs, NULL },
    { "job-dismiss", qmp_cmd_job_dismiss, job_id_args },
};

static void __attribute__((constructor)) snapshot_commands_init(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(snapshot_hmp_cmds); i++) {
        hmp_register_command(&snapshot_hmp_cmds[i], false);
    }
    for (size_t i = 0; i < ARRAY_SIZE(snapshot_hmp_info_cmds); i++) {
        hmp_register_command(&snapshot_hmp_info_cmds[i], true);
    }
    for (size_t i = 0; i < ARRAY_SIZE(snapshot_qmp_cmds); i++) {
        qmp_register_command(&snapshot_qmp_cmds[i]);
    }
}
