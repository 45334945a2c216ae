/*
 * Block layer core: driver registry, opening images with their protocol
 * node and backing chain, and the byte-addressed I/O entry points.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "block/block.h"
#include "block/block_int.h"

#include <libgen.h>
#include <math.h>
#include <sys/stat.h>

#define MAX_DRIVERS 8
static const BlockDriver *drivers[MAX_DRIVERS];
static int nb_drivers;

void bdrv_register(const BlockDriver *drv)
{
    assert(nb_drivers < MAX_DRIVERS);
    drivers[nb_drivers++] = drv;
}

const BlockDriver *bdrv_find_format(const char *name)
{
    for (int i = 0; i < nb_drivers; i++) {
        if (!strcmp(drivers[i]->format_name, name)) {
            return drivers[i];
        }
    }
    return NULL;
}

static BlockDriverState *bdrv_new_node(const BlockDriver *drv,
                                       const char *filename, int flags)
{
    BlockDriverState *bs = xnew(BlockDriverState);
    bs->drv = drv;
    bs->opaque = xzalloc(drv->instance_size);
    snprintf(bs->filename, sizeof(bs->filename), "%s", filename);
    bs->open_flags = flags;
    bs->read_only = !(flags & BDRV_O_RDWR);
    return bs;
}

static void bdrv_free_node(BlockDriverState *bs)
{
    free(bs->opaque);
    free(bs);
}

BlockDriverState *bdrv_open_file(const char *filename, int flags,
                                 Error **errp)
{
    BlockDriverState *bs = bdrv_new_node(&bdrv_file, filename, flags);
    if (bdrv_file.bdrv_open(bs, flags, errp) < 0) {
        bdrv_free_node(bs);
        return NULL;
    }
    int64_t len = bdrv_file.bdrv_getlength(bs);
    bs->total_size = len > 0 ? len : 0;
    return bs;
}

static const BlockDriver *bdrv_probe_format(BlockDriverState *file)
{
    uint8_t buf[2048] = { 0 };
    const BlockDriver *best = NULL;
    int best_score = 0;

    bdrv_pread(file, 0, sizeof(buf), buf);
    for (int i = 0; i < nb_drivers; i++) {
        if (!drivers[i]->bdrv_probe) {
            continue;
        }
        int score = drivers[i]->bdrv_probe(buf, sizeof(buf));
        if (score > best_score) {
            best_score = score;
            best = drivers[i];
        }
    }
    return best;
}

char *bdrv_resolve_backing_filename(const char *image, const char *backing)
{
    if (backing[0] == '/' || strstr(backing, "://")) {
        return xstrdup(backing);
    }
    char *copy = xstrdup(image);
    char *dir = dirname(copy);
    char *path = strcmp(dir, ".") ? xasprintf("%s/%s", dir, backing)
                                  : xstrdup(backing);
    free(copy);
    return path;
}

/* The same file, whatever path names it (for backing loop detection). */
static bool same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    if (stat(a, &sa) < 0 || stat(b, &sb) < 0) {
        return !strcmp(a, b);
    }
    return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

static BlockDriverState *bdrv_open_chain(const char *filename,
                                         const char *format, int flags,
                                         const char **chain, int depth,
                                         Error **errp);

/* Backing files are only ever read. */
static int flags_for_backing(int flags)
{
    return flags & ~(BDRV_O_RDWR | BDRV_O_SNAPSHOT | BDRV_O_CHECK);
}

static int bdrv_open_backing(BlockDriverState *bs, const char **chain,
                             int depth, Error **errp)
{
    const char *fmt = bs->backing_format[0] ? bs->backing_format : NULL;
    char *path = bdrv_resolve_backing_filename(bs->filename,
                                               bs->backing_file);
    Error *local_err = NULL;

    snprintf(bs->full_backing_filename, sizeof(bs->full_backing_filename),
             "%s", path);
    for (int i = 0; i <= depth; i++) {
        if (same_file(chain[i], path)) {
            error_setg(errp, "Backing file '%s' of '%s' creates an "
                       "infinite loop", bs->backing_file, bs->filename);
            free(path);
            return -ELOOP;
        }
    }
    if (depth + 1 >= BDRV_MAX_BACKING_DEPTH) {
        error_setg(errp, "Backing chain of '%s' is deeper than %d images",
                   bs->filename, BDRV_MAX_BACKING_DEPTH);
        free(path);
        return -ELOOP;
    }
    if (fmt && !bdrv_find_format(fmt)) {
        error_setg(errp, "Unknown driver '%s' for backing file '%s'", fmt,
                   bs->backing_file);
        free(path);
        return -ENOTSUP;
    }
    int bflags = flags_for_backing(bs->open_flags);
    bs->backing = bdrv_open_chain(path, fmt, bflags, chain, depth + 1,
                                  &local_err);
    free(path);
    if (!bs->backing) {
        error_propagate(errp, local_err);
        error_prepend(errp, "Could not open backing file: ");
        return -EINVAL;
    }
    return 0;
}

static BlockDriverState *bdrv_open_chain(const char *filename,
                                         const char *format, int flags,
                                         const char **chain, int depth,
                                         Error **errp)
{
    const BlockDriver *drv = NULL;
    BlockDriverState *file, *bs;
    Error *local_err = NULL;

    if (format) {
        drv = bdrv_find_format(format);
        if (!drv || drv->is_protocol) {
            error_setg(errp, "Unknown driver '%s'", format);
            return NULL;
        }
    }
    file = bdrv_open_file(filename, flags, &local_err);
    if (!file) {
        error_propagate(errp, local_err);
        error_prepend(errp, "Could not open '%s': ", filename);
        return NULL;
    }
    if (!drv) {
        drv = bdrv_probe_format(file);
        if (!drv) {
            error_setg(errp, "Could not open '%s': Could not determine the "
                       "image format", filename);
            bdrv_unref(file);
            return NULL;
        }
    }
    bs = bdrv_new_node(drv, filename, flags);
    bs->file = file;
    bs->backing_depth = depth;
    if (drv->bdrv_open(bs, flags, &local_err) < 0) {
        error_propagate(errp, local_err);
        error_prepend(errp, "Could not open '%s': ", filename);
        bdrv_unref(file);
        bdrv_free_node(bs);
        return NULL;
    }
    if (bs->backing_file[0] && !(flags & BDRV_O_NO_BACKING)) {
        chain[depth] = filename;
        if (bdrv_open_backing(bs, chain, depth, errp) < 0) {
            bdrv_unref(bs);
            return NULL;
        }
    }
    return bs;
}

BlockDriverState *bdrv_open(const char *filename, const char *format,
                            int flags, Error **errp)
{
    const char *chain[BDRV_MAX_BACKING_DEPTH + 1];
    chain[0] = filename;
    return bdrv_open_chain(filename, format, flags, chain, 0, errp);
}

void bdrv_unref(BlockDriverState *bs)
{
    if (!bs) {
        return;
    }
    if (bs->drv->bdrv_close) {
        bs->drv->bdrv_close(bs);
    }
    bdrv_unref(bs->backing);
    bdrv_unref(bs->file);
    bdrv_free_node(bs);
}

/* ---- I/O ---- */

static int check_request(BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes)
{
    if (bs->drv->is_protocol) {
        return 0;
    }
    if (offset > bs->total_size || bytes > bs->total_size - offset) {
        return -EINVAL;
    }
    return 0;
}

int bdrv_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
               void *buf)
{
    int ret = check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    return bs->drv->bdrv_pread(bs, offset, bytes, buf);
}

int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                const void *buf)
{
    if (bs->read_only) {
        return -EACCES;
    }
    int ret = check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    return bs->drv->bdrv_pwrite(bs, offset, bytes, buf);
}

int bdrv_pwrite_compressed(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, const void *buf)
{
    if (!bs->drv->bdrv_pwrite_compressed) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EACCES;
    }
    int ret = check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    return bs->drv->bdrv_pwrite_compressed(bs, offset, bytes, buf);
}

int bdrv_flush(BlockDriverState *bs)
{
    if (bs->read_only || !bs->drv->bdrv_flush) {
        return 0;
    }
    if (bs->open_flags & BDRV_O_NO_FLUSH) {
        return 0;
    }
    return bs->drv->bdrv_flush(bs);
}

int bdrv_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    if (bs->read_only) {
        return -EACCES;
    }
    int ret = check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0 || !bs->drv->bdrv_pdiscard) {
        return ret;
    }
    return bs->drv->bdrv_pdiscard(bs, offset, bytes);
}

int bdrv_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    if (bs->read_only) {
        return -EACCES;
    }
    int ret = check_request(bs, offset, bytes);
    if (ret < 0 || bytes == 0) {
        return ret;
    }
    if (bs->drv->bdrv_pwrite_zeroes) {
        return bs->drv->bdrv_pwrite_zeroes(bs, offset, bytes);
    }
    uint64_t chunk = MIN(bytes, 1 * MiB);
    uint8_t *zero = xzalloc(chunk);
    while (bytes && ret == 0) {
        uint64_t n = MIN(bytes, chunk);
        ret = bs->drv->bdrv_pwrite(bs, offset, n, zero);
        offset += n;
        bytes -= n;
    }
    free(zero);
    return ret;
}

int bdrv_truncate(BlockDriverState *bs, uint64_t size, bool shrink,
                  Error **errp)
{
    if (bs->read_only) {
        error_setg(errp, "Image is read-only");
        return -EACCES;
    }
    if (!bs->drv->bdrv_truncate) {
        error_setg(errp, "Image format '%s' does not support resizing",
                   bs->drv->format_name);
        return -ENOTSUP;
    }
    uint64_t old_size = bs->total_size;
    int ret = bs->drv->bdrv_truncate(bs, size, shrink, errp);
    if (ret < 0) {
        return ret;
    }
    /*
     * Grown over a backing file that is longer than the old size (after a
     * shrink, or an overlay made smaller): the new range would show the
     * backing file's old data, so write zeroes over it, as QEMU does.
     */
    if (size > old_size && bs->backing && bs->backing->total_size > old_size) {
        uint64_t end = MIN(size, bs->backing->total_size);
        ret = bdrv_pwrite_zeroes(bs, old_size, end - old_size);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to zero the grown range "
                             "over the backing file");
            return ret;
        }
    }
    return 0;
}

int64_t bdrv_getlength(BlockDriverState *bs)
{
    if (bs->drv->bdrv_getlength) {
        return bs->drv->bdrv_getlength(bs);
    }
    return bs->total_size;
}

int64_t bdrv_get_allocated_file_size(BlockDriverState *bs)
{
    if (bs->drv->bdrv_get_allocated_file_size) {
        return bs->drv->bdrv_get_allocated_file_size(bs);
    }
    return bs->file ? bdrv_get_allocated_file_size(bs->file) : -ENOTSUP;
}

int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map, BlockDriverState **file)
{
    *map = 0;
    *file = NULL;
    if (!bs->drv->bdrv_block_status) {
        *pnum = bytes;
        return BDRV_BLOCK_DATA | BDRV_BLOCK_ALLOCATED;
    }
    return bs->drv->bdrv_block_status(bs, offset, bytes, pnum, map, file);
}

int bdrv_get_cluster_size(BlockDriverState *bs)
{
    return bs->drv->bdrv_get_cluster_size ? bs->drv->bdrv_get_cluster_size(bs)
                                          : 0;
}

int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    memset(res, 0, sizeof(*res));
    if (!bs->drv->bdrv_check) {
        return -ENOTSUP;
    }
    return bs->drv->bdrv_check(bs, res, fix);
}

int bdrv_create(const char *format, const char *filename,
                const BlockCreateOptions *opts, Error **errp)
{
    const BlockDriver *drv = bdrv_find_format(format);
    if (!drv || drv->is_protocol) {
        error_setg(errp, "Unknown file format '%s'", format);
        return -EINVAL;
    }
    if (!drv->bdrv_create) {
        error_setg(errp, "Format driver '%s' does not support image creation",
                   format);
        return -ENOTSUP;
    }
    return drv->bdrv_create(filename, opts, errp);
}

/* ---- snapshots and VM state ---- */

bool bdrv_can_snapshot(BlockDriverState *bs)
{
    return bs->drv->bdrv_snapshot_create != NULL;
}

int bdrv_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn,
                         Error **errp)
{
    if (!bdrv_can_snapshot(bs)) {
        error_setg(errp, "Device '%s' does not support internal snapshots",
                   bs->filename);
        return -ENOTSUP;
    }
    if (bs->read_only) {
        error_setg(errp, "Image '%s' is read-only", bs->filename);
        return -EACCES;
    }
    return bs->drv->bdrv_snapshot_create(bs, sn, errp);
}

int bdrv_snapshot_goto(BlockDriverState *bs, const char *name_or_id,
                       Error **errp)
{
    if (!bdrv_can_snapshot(bs)) {
        error_setg(errp, "Device '%s' does not support internal snapshots",
                   bs->filename);
        return -ENOTSUP;
    }
    if (bs->read_only) {
        error_setg(errp, "Image '%s' is read-only", bs->filename);
        return -EACCES;
    }
    return bs->drv->bdrv_snapshot_goto(bs, name_or_id, errp);
}

int bdrv_snapshot_delete(BlockDriverState *bs, const char *name_or_id,
                         Error **errp)
{
    if (!bdrv_can_snapshot(bs)) {
        error_setg(errp, "Device '%s' does not support internal snapshots",
                   bs->filename);
        return -ENOTSUP;
    }
    if (bs->read_only) {
        error_setg(errp, "Image '%s' is read-only", bs->filename);
        return -EACCES;
    }
    return bs->drv->bdrv_snapshot_delete(bs, name_or_id, errp);
}

int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn)
{
    *psn = NULL;
    if (!bs->drv->bdrv_snapshot_list) {
        return 0;
    }
    return bs->drv->bdrv_snapshot_list(bs, psn);
}

void bdrv_snapshot_dump_header(StrBuf *sb)
{
    strbuf_printf(sb, "%-10s%-17s%8s%20s%13s%11s\n", "ID", "TAG", "VM SIZE",
                  "DATE", "VM CLOCK", "ICOUNT");
}

void bdrv_snapshot_dump(StrBuf *sb, const QEMUSnapshotInfo *sn,
                        const char *id)
{
    char date[64], clock[64], icount[32] = "";
    time_t t = sn->date_sec;
    struct tm tm;
    uint64_t secs = sn->vm_clock_nsec / 1000000000ULL;

    localtime_r(&t, &tm);
    strftime(date, sizeof(date), "%Y-%m-%d %H:%M:%S", &tm);
    snprintf(clock, sizeof(clock), "%02d:%02d:%02d.%03d", (int)(secs / 3600),
             (int)((secs / 60) % 60), (int)(secs % 60),
             (int)((sn->vm_clock_nsec / 1000000) % 1000));
    if (sn->icount != UINT64_MAX) {
        snprintf(icount, sizeof(icount), "%" PRIu64, sn->icount);
    }
    char *size = size_to_str(sn->vm_state_size);
    strbuf_printf(sb, "%-9s %-16s %8s%20s%13s%11s\n", id, sn->name, size,
                  date, clock, icount);
    free(size);
}

int bdrv_save_vmstate(BlockDriverState *bs, const void *buf, int64_t pos,
                      size_t size)
{
    if (!bs->drv->bdrv_save_vmstate) {
        return -ENOTSUP;
    }
    if (bs->read_only) {
        return -EACCES;
    }
    return bs->drv->bdrv_save_vmstate(bs, buf, pos, size);
}

int bdrv_load_vmstate(BlockDriverState *bs, void *buf, int64_t pos,
                      size_t size)
{
    if (!bs->drv->bdrv_load_vmstate) {
        return -ENOTSUP;
    }
    return bs->drv->bdrv_load_vmstate(bs, buf, pos, size);
}

int bdrv_snapshot_load_vmstate(BlockDriverState *bs, const char *name_or_id,
                               void *buf, int64_t pos, size_t size)
{
    if (!bs->drv->bdrv_snapshot_load_vmstate) {
        return -ENOTSUP;
    }
    return bs->drv->bdrv_snapshot_load_vmstate(bs, name_or_id, buf, pos,
                                               size);
}

/* ---- info ---- */

char *size_to_str(uint64_t val)
{
    static const char *const suffixes[] = { "", "Ki", "Mi", "Gi", "Ti",
                                            "Pi", "Ei" };
    int i;
    /* Same rounding as QEMU, so "disk size" lines compare equal. */
    frexp(val / (1000.0 / 1024.0), &i);
    i = (i - 1) / 10;
    if (i < 0) {
        i = 0;
    }
    if (i >= (int)ARRAY_SIZE(suffixes)) {
        i = ARRAY_SIZE(suffixes) - 1;
    }
    uint64_t div = 1ULL << (i * 10);
    return xasprintf("%0.3g %sB", (double)val / div, suffixes[i]);
}

QObject *bdrv_image_info(BlockDriverState *bs, Error **errp)
{
    QObject *info = qdict_new();
    QEMUSnapshotInfo *sn = NULL;
    int nb = bdrv_snapshot_list(bs, &sn);

    if (nb > 0) {
        QObject *list = qlist_new();
        for (int i = 0; i < nb; i++) {
            QObject *d = qdict_new();
            qdict_put_uint(d, "icount", sn[i].icount == UINT64_MAX
                                        ? 0 : sn[i].icount);
            qdict_put_uint(d, "vm-clock-nsec",
                           sn[i].vm_clock_nsec % 1000000000ULL);
            qdict_put_str(d, "name", sn[i].name);
            qdict_put_uint(d, "date-sec", sn[i].date_sec);
            qdict_put_uint(d, "date-nsec", sn[i].date_nsec);
            qdict_put_uint(d, "vm-clock-sec",
                           sn[i].vm_clock_nsec / 1000000000ULL);
            qdict_put_str(d, "id", sn[i].id_str);
            qdict_put_uint(d, "vm-state-size", sn[i].vm_state_size);
            if (sn[i].icount == UINT64_MAX) {
                qdict_del(d, "icount");
            }
            qlist_append(list, d);
        }
        qdict_put(info, "snapshots", list);
    }
    free(sn);
    if (bs->backing_format[0]) {
        qdict_put_str(info, "backing-filename-format", bs->backing_format);
    }
    qdict_put_uint(info, "virtual-size", bs->total_size);
    qdict_put_str(info, "filename", bs->filename);
    int cluster_size = bdrv_get_cluster_size(bs);
    if (cluster_size > 0) {
        qdict_put_int(info, "cluster-size", cluster_size);
    }
    qdict_put_str(info, "format", bs->drv->format_name);
    int64_t actual = bdrv_get_allocated_file_size(bs);
    if (actual >= 0) {
        qdict_put_int(info, "actual-size", actual);
    }
    if (bs->drv->bdrv_get_specific_info) {
        QObject *spec = bs->drv->bdrv_get_specific_info(bs);
        if (spec) {
            qdict_put(info, "format-specific", spec);
        }
    }
    if (bs->backing_file[0]) {
        char *full = bs->full_backing_filename[0]
            ? xstrdup(bs->full_backing_filename)
            : bdrv_resolve_backing_filename(bs->filename, bs->backing_file);
        qdict_put_str(info, "full-backing-filename", full);
        free(full);
        qdict_put_str(info, "backing-filename", bs->backing_file);
    }
    qdict_put_bool(info, "dirty-flag", bs->dirty_flag);
    return info;
}
