/*
 * Live migration: the outgoing pre-copy thread, the incoming loader and
 * their monitor commands (see include/migration/migration.h).
 *
 * Threads.  The outgoing migration thread runs the savevm steps; it
 * takes the BQL around each step (the dirty-log sync walks address
 * spaces) but the channel drops it while a write blocks, so the VM and
 * the monitor keep running during the iterative phase.  Stopping the VM
 * is done by a bottom half in the main thread (vm_stop belongs there);
 * the thread waits for it, sends the rest with the BQL held throughout
 * (nothing may change device state then), and a second bottom half
 * finishes in the main thread: run state, status, events.
 *
 * MigrationState.lock guards status, statistics and the channel pointer
 * between the thread and the monitor; the BQL guards the rest.
 */
#include "migration/migration.h"
#include "migration/ram.h"
#include "migration/savevm.h"
#include "memory/ram_addr.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"
#include "monitor/qmp.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "channel.h"
#include <pthread.h>
#include <sys/socket.h>
#include <time.h>

/* Rate-limit window, as QEMU's BUFFER_DELAY. */
#define MIGRATION_WINDOW_MS 100

typedef struct MigrationStats {
    int64_t start_ms;            /* monotonic */
    int64_t setup_time_ms;
    int64_t total_time_ms;       /* when finished */
    int64_t downtime_ms;         /* when completed */
    int64_t expected_downtime_ms;
    uint64_t transferred;
    uint64_t remaining;
    uint64_t total;              /* bytes of guest RAM */
    uint64_t duplicate;          /* zero pages */
    uint64_t normal;             /* pages sent whole */
    uint64_t dirty_pages_rate;   /* pages per second re-dirtied */
    uint64_t dirty_sync_count;
    double mbps;
} MigrationStats;

typedef struct MigrationState {
    pthread_mutex_t lock;
    pthread_cond_t cond;         /* with lock: wakes a rate-limit sleep */
    pthread_cond_t stop_cond;    /* with the BQL: the VM is stopped */
    MigrationStatus status;
    MigrationParameters params;
    MigrationStats stats;
    Error *error;                /* why it failed */
    QEMUFile *file;
    MigrationChannel *channel;   /* NULL once the thread closed it */
    pthread_t thread;
    bool thread_started;
    bool cancel_requested;
    /* Set by the stop bottom half. */
    bool vm_stop_done;
    int vm_stop_ret;
    RunState vm_old_state;
    bool vm_stopped_by_us;
    QEMUBH *stop_bh;
    QEMUBH *cleanup_bh;
    Monitor *hmp_waiter;         /* HMP `migrate` without -d: told at end */
} MigrationState;

typedef struct MigrationIncomingState {
    MigrationStatus status;
    bool pending;                /* -incoming given, stream not yet in */
    bool deferred;               /* -incoming defer: migrate-incoming next */
    bool autostart;
    int listen_fd;
    char *uri;
    QEMUFile *file;
    pthread_t thread;
    int ret;
    Error *error;
    int64_t start_ms, total_time_ms;
    QEMUBH *done_bh;
} MigrationIncomingState;

static MigrationState current_migration = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .stop_cond = PTHREAD_COND_INITIALIZER,
    .params = {
        .downtime_limit_ms = MIGRATION_DEFAULT_DOWNTIME_LIMIT_MS,
        .max_bandwidth = MIGRATION_DEFAULT_MAX_BANDWIDTH,
    },
};

static MigrationIncomingState incoming = {
    .listen_fd = -1,
    .autostart = true,
};

static const char *const status_names[MIGRATION_STATUS__MAX] = {
    [MIGRATION_STATUS_NONE] = "none",
    [MIGRATION_STATUS_SETUP] = "setup",
    [MIGRATION_STATUS_CANCELLING] = "cancelling",
    [MIGRATION_STATUS_CANCELLED] = "cancelled",
    [MIGRATION_STATUS_ACTIVE] = "active",
    [MIGRATION_STATUS_COMPLETED] = "completed",
    [MIGRATION_STATUS_FAILED] = "failed",
};

const char *migration_status_name(MigrationStatus status)
{
    return status < MIGRATION_STATUS__MAX ? status_names[status] : "?";
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* MIGRATION event; BQL held. */
static void migration_event(MigrationStatus status)
{
    QObject *data = qdict_new();
    qdict_put_str(data, "status", migration_status_name(status));
    qapi_event_send("MIGRATION", data);
}

static bool status_is_running(MigrationStatus status)
{
    return status == MIGRATION_STATUS_SETUP ||
           status == MIGRATION_STATUS_ACTIVE ||
           status == MIGRATION_STATUS_CANCELLING;
}

/* Move the outgoing status (BQL held, for the event). */
static void migrate_set_status(MigrationState *s, MigrationStatus status)
{
    pthread_mutex_lock(&s->lock);
    s->status = status;
    pthread_mutex_unlock(&s->lock);
    migration_event(status);
}

bool migration_is_active(void)
{
    MigrationState *s = &current_migration;
    pthread_mutex_lock(&s->lock);
    bool active = status_is_running(s->status);
    pthread_mutex_unlock(&s->lock);
    return active || incoming.status == MIGRATION_STATUS_ACTIVE;
}

static int add_block_size(RAMBlock *block, void *opaque)
{
    *(uint64_t *)opaque += block->used_length;
    return 0;
}

static uint64_t ram_bytes_total(void)
{
    uint64_t total = 0;
    qemu_ram_foreach_block(add_block_size, &total);
    return total;
}

/* ---- outgoing: the migration thread ----------------------------------- */

static void update_ram_stats(MigrationState *s, QEMUFile *f)
{
    RAMStats rs;

    ram_get_stats(&rs);
    pthread_mutex_lock(&s->lock);
    s->stats.transferred = qemu_file_transferred(f);
    s->stats.duplicate = rs.zero_pages;
    s->stats.normal = rs.normal_pages;
    s->stats.dirty_sync_count = rs.passes;
    pthread_mutex_unlock(&s->lock);
}

/* Sleep until deadline (monotonic ms) or a cancel; false if cancelled. */
static bool migration_sleep_until(MigrationState *s, int64_t deadline)
{
    struct timespec ts;
    bool cancelled;

    pthread_mutex_lock(&s->lock);
    while (!s->cancel_requested && now_ms() < deadline) {
        clock_gettime(CLOCK_REALTIME, &ts);
        int64_t left = deadline - now_ms();
        ts.tv_sec += left / 1000;
        ts.tv_nsec += (left % 1000) * 1000000;
        if (ts.tv_nsec >= 1000000000) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000;
        }
        pthread_cond_timedwait(&s->cond, &s->lock, &ts);
    }
    cancelled = s->cancel_requested;
    pthread_mutex_unlock(&s->lock);
    return !cancelled;
}

static bool migration_cancelled(MigrationState *s)
{
    pthread_mutex_lock(&s->lock);
    bool cancelled = s->cancel_requested;
    pthread_mutex_unlock(&s->lock);
    return cancelled;
}

/* Main thread: stop the VM for the final phase. */
static void migration_stop_bh(void *opaque)
{
    MigrationState *s = opaque;

    s->vm_old_state = runstate_get();
    s->vm_stop_ret = vm_stop_force_state(RUN_STATE_FINISH_MIGRATE);
    s->vm_stopped_by_us = s->vm_stop_ret == 0;
    s->vm_stop_done = true;
    pthread_cond_broadcast(&s->stop_cond);
}

/*
 * The iterative phase: send dirty RAM until what is left fits in the
 * downtime limit.  Returns 0 to complete, 1 when cancelled, < 0 on error.
 */
static int migration_iterate(MigrationState *s, QEMUFile *f, Error **errp)
{
    int64_t window_start = now_ms();
    uint64_t window_bytes = qemu_file_transferred(f);
    RAMStats rs;
    ram_get_stats(&rs);
    uint64_t window_pages = rs.normal_pages + rs.zero_pages;
    uint64_t window_passes = rs.passes;
    /* Bytes per ms the channel took while we were writing. */
    double bandwidth = 0;
    int64_t busy_ms = 0;           /* time spent in iterate, this window */

    for (;;) {
        if (migration_cancelled(s)) {
            return 1;
        }
        pthread_mutex_lock(&s->lock);
        MigrationParameters params = s->params;
        pthread_mutex_unlock(&s->lock);
        /* At least a byte per window: 0 would mean unlimited. */
        qemu_file_set_rate_limit(f, params.max_bandwidth ?
                                 MAX(params.max_bandwidth *
                                     MIGRATION_WINDOW_MS / 1000, 1) : 0);

        bql_lock();
        uint64_t pending = qemu_savevm_state_pending();
        bql_unlock();
        double limit_bpms = params.max_bandwidth / 1000.0;
        double est = bandwidth;
        if (limit_bpms > 0 && (est == 0 || est > limit_bpms)) {
            est = limit_bpms;
        }
        uint64_t threshold = est * params.downtime_limit_ms;
        pthread_mutex_lock(&s->lock);
        s->stats.remaining = pending;
        s->stats.expected_downtime_ms = est > 0 ? pending / est : 0;
        pthread_mutex_unlock(&s->lock);
        /* Without any measure yet only an empty dirty set completes. */
        if (pending == 0 || (bandwidth > 0 && pending <= threshold)) {
            return 0;
        }

        int64_t t0 = now_ms();
        bql_lock();
        int ret = qemu_savevm_state_iterate(f, errp);
        bql_unlock();
        if (ret < 0) {
            return ret;
        }
        int64_t now = now_ms();
        busy_ms += now - t0;
        update_ram_stats(s, f);

        if (qemu_file_rate_limit(f) &&
            !migration_sleep_until(s, window_start + MIGRATION_WINDOW_MS)) {
            return 1;
        }
        now = now_ms();
        if (now - window_start >= MIGRATION_WINDOW_MS) {
            uint64_t bytes = qemu_file_transferred(f) - window_bytes;
            int64_t elapsed = now - window_start;
            /*
             * The channel's speed is bytes over the time spent writing
             * them; an idle guest that dirties little must not look like
             * a slow link, or the migration would never converge.
             */
            bandwidth = (double)bytes / MAX(busy_ms, 1);
            ram_get_stats(&rs);
            pthread_mutex_lock(&s->lock);
            s->stats.mbps = bytes * 8.0 / 1000.0 / elapsed;
            if (window_passes > 0) {
                uint64_t pages = rs.normal_pages + rs.zero_pages -
                                 window_pages;
                s->stats.dirty_pages_rate = pages * 1000 / elapsed;
            }
            pthread_mutex_unlock(&s->lock);
            window_start = now;
            window_bytes = qemu_file_transferred(f);
            window_pages = rs.normal_pages + rs.zero_pages;
            window_passes = rs.passes;
            busy_ms = 0;
            qemu_file_reset_rate_limit(f);
        }
    }
}

/* Stop the VM and send everything left; BQL taken here. */
static int migration_completion(MigrationState *s, QEMUFile *f,
                                Error **errp)
{
    int ret;

    bql_lock();
    s->vm_stop_done = false;
    qemu_bh_schedule(s->stop_bh);
    while (!s->vm_stop_done) {
        bql_cond_wait(&s->stop_cond);
    }
    if (s->vm_stop_ret < 0) {
        error_setg(errp, "migration: cannot stop the VM in state '%s'",
                   runstate_name(runstate_get()));
        bql_unlock();
        return -EINVAL;
    }
    if (migration_cancelled(s)) {
        bql_unlock();
        return 1;
    }
    int64_t stop_time = now_ms();
    /* Nothing may change device state while the sections go out. */
    s->channel->drop_bql = false;
    qemu_file_set_rate_limit(f, 0);
    ret = qemu_savevm_state_complete_precopy(f, errp);
    bql_unlock();
    pthread_mutex_lock(&s->lock);
    s->stats.downtime_ms = now_ms() - stop_time;
    s->stats.remaining = 0;
    pthread_mutex_unlock(&s->lock);
    update_ram_stats(s, f);
    return ret;
}

static void *migration_thread(void *opaque)
{
    MigrationState *s = opaque;
    QEMUFile *f = s->file;
    Error *err = NULL;
    int ret;

    bql_lock();
    qemu_savevm_state_header(f);
    ret = qemu_savevm_state_setup(f, &err);
    if (!ret) {
        migrate_set_status(s, MIGRATION_STATUS_ACTIVE);
    }
    bql_unlock();
    pthread_mutex_lock(&s->lock);
    s->stats.setup_time_ms = now_ms() - s->stats.start_ms;
    pthread_mutex_unlock(&s->lock);

    if (!ret) {
        ret = migration_iterate(s, f, &err);
    }
    if (!ret) {
        ret = migration_completion(s, f, &err);
    }

    bql_lock();
    qemu_savevm_state_cleanup();
    bql_unlock();

    pthread_mutex_lock(&s->lock);
    s->channel = NULL;
    s->file = NULL;
    pthread_mutex_unlock(&s->lock);
    int close_ret = qemu_fclose(f);
    if (!ret && close_ret) {
        error_setg(&err, "migration: closing the stream: %s",
                   close_ret == -EPIPE ? "the command failed"
                                       : strerror(-close_ret));
        ret = close_ret;
    }

    pthread_mutex_lock(&s->lock);
    if (ret < 0) {
        if (!err) {
            error_setg(&err, "migration failed: %s", strerror(-ret));
        }
        s->error = err;
        err = NULL;
    }
    s->stats.total_time_ms = now_ms() - s->stats.start_ms;
    pthread_mutex_unlock(&s->lock);
    error_free(err);
    /* 1 (cancelled), 0 (completed) or < 0 is read back by the BH. */
    qemu_bh_schedule(s->cleanup_bh);
    return (void *)(intptr_t)ret;
}

/* Main thread: the thread is done; settle run state and status. */
static void migration_cleanup_bh(void *opaque)
{
    MigrationState *s = opaque;
    void *result;

    pthread_join(s->thread, &result);
    s->thread_started = false;
    int ret = (int)(intptr_t)result;
    MigrationStatus status = ret == 0 ? MIGRATION_STATUS_COMPLETED :
                             ret > 0 ? MIGRATION_STATUS_CANCELLED :
                             MIGRATION_STATUS_FAILED;
    if (status != MIGRATION_STATUS_COMPLETED && migration_cancelled(s) &&
        status == MIGRATION_STATUS_FAILED) {
        /* An I/O error caused by our own shutdown is a cancel. */
        status = MIGRATION_STATUS_CANCELLED;
        error_free(s->error);
        s->error = NULL;
    }

    if (status == MIGRATION_STATUS_COMPLETED) {
        /* The source stays paused, as QEMU: the guest runs elsewhere. */
        runstate_set(RUN_STATE_POSTMIGRATE);
    } else if (s->vm_stopped_by_us &&
               runstate_check(RUN_STATE_FINISH_MIGRATE)) {
        if (s->vm_old_state == RUN_STATE_RUNNING) {
            vm_start();
        } else if (!runstate_set(s->vm_old_state)) {
            runstate_set(RUN_STATE_PAUSED);
        }
    }
    s->vm_stopped_by_us = false;
    if (status == MIGRATION_STATUS_FAILED) {
        error_report("migration failed: %s", error_get_pretty(s->error));
    }
    migrate_set_status(s, status);
    if (s->hmp_waiter) {
        if (status == MIGRATION_STATUS_FAILED) {
            monitor_printf(s->hmp_waiter, "Error: %s\n",
                           error_get_pretty(s->error));
        } else {
            monitor_printf(s->hmp_waiter, "migration %s\n",
                           migration_status_name(status));
        }
        s->hmp_waiter = NULL;
    }
}

/* Open the outgoing channel named by uri. */
static MigrationChannel *migration_connect(const char *uri, bool output,
                                           Error **errp)
{
    const char *rest;
    pid_t pid = 0;
    int fd;
    bool is_socket = false;

    if (socket_uri_scheme(uri)) {
        fd = socket_connect_uri(uri, errp);
        is_socket = true;
    } else if (strstart(uri, "exec:", &rest)) {
        fd = exec_start(rest, output, &pid, errp);
    } else if (strstart(uri, "file:", &rest)) {
        fd = file_open_uri(rest, output, errp);
    } else {
        error_setg(errp, "Unknown migration protocol: '%s' (expected tcp:, "
                   "unix:, exec: or file:)", uri);
        return NULL;
    }
    if (fd < 0) {
        return NULL;
    }
    return migration_channel_new(fd, pid, is_socket, output, uri);
}

bool qmp_migrate(const char *uri, Error **errp)
{
    MigrationState *s = &current_migration;

    if (migration_is_active()) {
        error_setg(errp, "There's a migration process in progress");
        return false;
    }
    if (incoming.pending || runstate_check(RUN_STATE_INMIGRATE)) {
        error_setg(errp, "Guest is waiting for an incoming migration");
        return false;
    }
    if (!s->stop_bh) {
        error_setg(errp, "migration is not available before the machine "
                   "exists");
        return false;
    }
    MigrationChannel *ch = migration_connect(uri, true, errp);
    if (!ch) {
        return false;
    }

    pthread_mutex_lock(&s->lock);
    error_free(s->error);
    s->error = NULL;
    memset(&s->stats, 0, sizeof(s->stats));
    s->stats.start_ms = now_ms();
    s->stats.total = ram_bytes_total();
    s->stats.remaining = s->stats.total;
    s->cancel_requested = false;
    s->vm_stopped_by_us = false;
    s->channel = ch;
    ch->drop_bql = true;
    s->file = migration_channel_file(ch);
    pthread_mutex_unlock(&s->lock);
    migrate_set_status(s, MIGRATION_STATUS_SETUP);

    int rc = pthread_create(&s->thread, NULL, migration_thread, s);
    if (rc) {
        error_setg(errp, "migration: cannot create the thread: %s",
                   strerror(rc));
        pthread_mutex_lock(&s->lock);
        QEMUFile *f = s->file;
        s->file = NULL;
        s->channel = NULL;
        pthread_mutex_unlock(&s->lock);
        qemu_fclose(f);
        migrate_set_status(s, MIGRATION_STATUS_FAILED);
        return false;
    }
    s->thread_started = true;
    return true;
}

void qmp_migrate_cancel(void)
{
    MigrationState *s = &current_migration;

    pthread_mutex_lock(&s->lock);
    if (s->status != MIGRATION_STATUS_SETUP &&
        s->status != MIGRATION_STATUS_ACTIVE) {
        pthread_mutex_unlock(&s->lock);
        return;
    }
    s->cancel_requested = true;
    if (s->channel) {
        migration_channel_shutdown(s->channel);
    }
    pthread_cond_broadcast(&s->cond);
    pthread_mutex_unlock(&s->lock);
    migrate_set_status(s, MIGRATION_STATUS_CANCELLING);
}

static QObject *incoming_info(void)
{
    QObject *info = qdict_new();
    MigrationIncomingState *mis = &incoming;

    if (mis->status == MIGRATION_STATUS_NONE) {
        return info;
    }
    qdict_put_str(info, "status", migration_status_name(mis->status));
    if (mis->status == MIGRATION_STATUS_COMPLETED ||
        mis->status == MIGRATION_STATUS_FAILED) {
        qdict_put_int(info, "total-time", mis->total_time_ms);
    }
    if (mis->status == MIGRATION_STATUS_FAILED && mis->error) {
        qdict_put_str(info, "error-desc", error_get_pretty(mis->error));
    }
    return info;
}

QObject *qmp_query_migrate(Error **errp)
{
    MigrationState *s = &current_migration;
    QObject *info;

    pthread_mutex_lock(&s->lock);
    MigrationStatus status = s->status;
    MigrationStats st = s->stats;
    pthread_mutex_unlock(&s->lock);

    if (status == MIGRATION_STATUS_NONE) {
        return incoming_info();
    }
    info = qdict_new();
    qdict_put_str(info, "status", migration_status_name(status));
    bool finished = !status_is_running(status);
    qdict_put_int(info, "total-time", finished ? st.total_time_ms
                                               : now_ms() - st.start_ms);
    if (status == MIGRATION_STATUS_SETUP) {
        return info;
    }
    qdict_put_int(info, "setup-time", st.setup_time_ms);
    if (status == MIGRATION_STATUS_COMPLETED) {
        qdict_put_int(info, "downtime", st.downtime_ms);
    } else if (!finished) {
        qdict_put_int(info, "expected-downtime", st.expected_downtime_ms);
    }
    QObject *ram = qdict_new();
    qdict_put_uint(ram, "transferred", st.transferred);
    qdict_put_uint(ram, "remaining", st.remaining);
    qdict_put_uint(ram, "total", st.total);
    qdict_put_uint(ram, "duplicate", st.duplicate);
    qdict_put_uint(ram, "normal", st.normal);
    qdict_put_uint(ram, "normal-bytes", st.normal * TARGET_PAGE_SIZE);
    qdict_put_uint(ram, "dirty-pages-rate", st.dirty_pages_rate);
    qdict_put_uint(ram, "dirty-sync-count", st.dirty_sync_count);
    qdict_put_uint(ram, "page-size", TARGET_PAGE_SIZE);
    qdict_put(ram, "mbps", qnum_from_double(st.mbps));
    qdict_put(info, "ram", ram);
    if (status == MIGRATION_STATUS_FAILED) {
        pthread_mutex_lock(&s->lock);
        if (s->error) {
            qdict_put_str(info, "error-desc", error_get_pretty(s->error));
        }
        pthread_mutex_unlock(&s->lock);
    }
    return info;
}

/* ---- parameters ------------------------------------------------------- */

void migrate_get_parameters(MigrationParameters *params)
{
    MigrationState *s = &current_migration;
    pthread_mutex_lock(&s->lock);
    *params = s->params;
    pthread_mutex_unlock(&s->lock);
}

static bool get_uint_param(const QObject *dict, const char *name,
                           uint64_t *value, bool *present, Error **errp)
{
    QObject *v = qdict_get(dict, name);

    *present = v != NULL;
    if (!v) {
        return true;
    }
    if (qobject_type(v) != QTYPE_QNUM || !qnum_get_try_uint(v, value)) {
        error_setg(errp, "Parameter '%s' expects a non-negative integer",
                   name);
        return false;
    }
    return true;
}

bool qmp_migrate_set_parameters(const QObject *dict, Error **errp)
{
    MigrationState *s = &current_migration;
    uint64_t downtime = 0, bandwidth = 0;
    bool has_downtime, has_bandwidth;
    const QDictEntry *e;

    for (e = qdict_first(dict); e; e = qdict_next(dict, e)) {
        const char *key = qdict_entry_key(e);
        if (strcmp(key, "downtime-limit") && strcmp(key, "max-bandwidth")) {
            error_setg(errp, "Invalid parameter '%s'", key);
            return false;
        }
    }
    if (!get_uint_param(dict, "downtime-limit", &downtime, &has_downtime,
                        errp) ||
        !get_uint_param(dict, "max-bandwidth", &bandwidth, &has_bandwidth,
                        errp)) {
        return false;
    }
    if (has_downtime && downtime > MIGRATION_MAX_DOWNTIME_LIMIT_MS) {
        error_setg(errp, "Parameter 'downtime_limit' expects an integer in "
                   "the range of 0 to %d milliseconds",
                   MIGRATION_MAX_DOWNTIME_LIMIT_MS);
        return false;
    }
    if (has_bandwidth && bandwidth > INT64_MAX) {
        error_setg(errp, "Parameter 'max_bandwidth' expects an integer in "
                   "the range of 0 to %" PRId64 " bytes/second", INT64_MAX);
        return false;
    }
    pthread_mutex_lock(&s->lock);
    if (has_downtime) {
        s->params.downtime_limit_ms = downtime;
    }
    if (has_bandwidth) {
        s->params.max_bandwidth = bandwidth;
    }
    pthread_mutex_unlock(&s->lock);
    return true;
}

QObject *qmp_query_migrate_parameters(Error **errp)
{
    MigrationParameters p;
    QObject *dict = qdict_new();

    migrate_get_parameters(&p);
    qdict_put_uint(dict, "downtime-limit", p.downtime_limit_ms);
    qdict_put_uint(dict, "max-bandwidth", p.max_bandwidth);
    return dict;
}

/* ---- incoming --------------------------------------------------------- */

void migration_incoming_set_autostart(bool autostart)
{
    incoming.autostart = autostart;
}

bool migration_incoming_pending(void)
{
    return incoming.pending;
}

static void *incoming_thread(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    Error *err = NULL;

    bql_lock();
    int ret = qemu_loadvm_state_stream(mis->file, &err);
    bql_unlock();
    qemu_fclose(mis->file);
    mis->file = NULL;
    mis->ret = ret;
    mis->error = err;
    qemu_bh_schedule(mis->done_bh);
    return NULL;
}

/* Main thread: the stream is in (or failed); run the VM or report. */
static void incoming_done_bh(void *opaque)
{
    MigrationIncomingState *mis = opaque;

    pthread_join(mis->thread, NULL);
    mis->total_time_ms = now_ms() - mis->start_ms;
    if (mis->ret) {
        /*
         * QEMU exits here; we keep the monitor up so the failure can be
         * read, and leave the VM waiting (its state is half loaded).
         */
        mis->status = MIGRATION_STATUS_FAILED;
        error_report("load of migration failed: %s",
                     error_get_pretty(mis->error));
        migration_event(MIGRATION_STATUS_FAILED);
        return;
    }
    mis->pending = false;
    mis->status = MIGRATION_STATUS_COMPLETED;
    migration_event(MIGRATION_STATUS_COMPLETED);
    if (mis->autostart) {
        vm_start();
    } else {
        runstate_set(RUN_STATE_PAUSED);
    }
}

static bool incoming_load_start(MigrationIncomingState *mis,
                                MigrationChannel *ch, Error **errp)
{
    ch->drop_bql = true;
    mis->file = migration_channel_file(ch);
    mis->status = MIGRATION_STATUS_ACTIVE;
    migration_event(MIGRATION_STATUS_ACTIVE);
    int rc = pthread_create(&mis->thread, NULL, incoming_thread, mis);
    if (rc) {
        error_setg(errp, "migration: cannot create the loader thread: %s",
                   strerror(rc));
        qemu_fclose(mis->file);
        mis->file = NULL;
        mis->status = MIGRATION_STATUS_FAILED;
        migration_event(MIGRATION_STATUS_FAILED);
        return false;
    }
    return true;
}

static void incoming_accept(void *opaque)
{
    MigrationIncomingState *mis = opaque;
    Error *err = NULL;

    int fd = accept4(mis->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        return;         /* EAGAIN, or the peer gave up already */
    }
    /* One stream per -incoming, as QEMU: stop listening. */
    qemu_set_fd_handler(mis->listen_fd, NULL, NULL, NULL);
    close(mis->listen_fd);
    mis->listen_fd = -1;
    MigrationChannel *ch = migration_channel_new(fd, 0, true, false,
                                                 mis->uri);
    if (!incoming_load_start(mis, ch, &err)) {
        error_report_err(err);
    }
}

bool migration_incoming_start(const char *uri, Error **errp)
{
    MigrationIncomingState *mis = &incoming;

    if (!strcmp(uri, "defer")) {
        mis->pending = true;
        mis->deferred = true;
        return true;
    }
    if (!mis->done_bh) {
        error_setg(errp, "migration is not available before the machine "
                   "exists");
        return false;
    }
    if (mis->status == MIGRATION_STATUS_SETUP ||
        mis->status == MIGRATION_STATUS_ACTIVE) {
        error_setg(errp, "The incoming migration has already been started");
        return false;
    }
    free(mis->uri);
    mis->uri = xstrdup(uri);
    error_free(mis->error);
    mis->error = NULL;
    mis->start_ms = now_ms();

    if (socket_uri_scheme(uri)) {
        int fd = socket_listen_uri(uri, errp);
        if (fd < 0) {
            return false;
        }
        mis->listen_fd = fd;
        mis->pending = true;
        mis->status = MIGRATION_STATUS_SETUP;
        migration_event(MIGRATION_STATUS_SETUP);
        qemu_set_fd_handler(fd, incoming_accept, NULL, mis);
        return true;
    }
    if (!strstart(uri, "exec:", NULL) && !strstart(uri, "file:", NULL)) {
        error_setg(errp, "Unknown migration protocol: '%s' (expected tcp:, "
                   "unix:, exec:, file: or defer)", uri);
        return false;
    }
    MigrationChannel *ch = migration_connect(uri, false, errp);
    if (!ch) {
        return false;
    }
    mis->pending = true;
    return incoming_load_start(mis, ch, errp);
}

static bool qmp_migrate_incoming(const char *uri, Error **errp)
{
    MigrationIncomingState *mis = &incoming;

    if (!mis->deferred) {
        error_setg(errp, "'-incoming' was not specified on the command line");
        return false;
    }
    if (!runstate_check(RUN_STATE_INMIGRATE)) {
        error_setg(errp, "migrate-incoming: the VM is not waiting for an "
                   "incoming migration (state '%s')",
                   runstate_name(runstate_get()));
        return false;
    }
    if (!strcmp(uri, "defer")) {
        error_setg(errp, "migrate-incoming: 'defer' is only for -incoming");
        return false;
    }
    return migration_incoming_start(uri, errp);
}

/* ---- set-up ----------------------------------------------------------- */

void migration_object_init(void)
{
    MigrationState *s = &current_migration;

    ram_mig_init();
    if (!s->stop_bh) {
        s->stop_bh = qemu_bh_new(migration_stop_bh, s);
        s->cleanup_bh = qemu_bh_new(migration_cleanup_bh, s);
        incoming.done_bh = qemu_bh_new(incoming_done_bh, &incoming);
    }
}

/* ---- QMP -------------------------------------------------------------- */

static const QmpArgSpec migrate_args[] = {
    { "uri", QMP_ARG_STR },
    { "detach", QMP_ARG_BOOL, true },
    { "resume", QMP_ARG_BOOL, true },
    { NULL }
};

static void cmd_migrate(QObject *args, QObject **ret, Error **errp)
{
    if (qdict_get_try_bool(args, "resume", false)) {
        error_setg(errp, "migrate: 'resume' (postcopy recovery) is not "
                   "supported");
        return;
    }
    qmp_migrate(qdict_get_try_str(args, "uri"), errp);
}

static void cmd_migrate_cancel(QObject *args, QObject **ret, Error **errp)
{
    qmp_migrate_cancel();
}

static const QmpArgSpec uri_args[] = {
    { "uri", QMP_ARG_STR },
    { NULL }
};

static void cmd_migrate_incoming(QObject *args, QObject **ret, Error **errp)
{
    qmp_migrate_incoming(qdict_get_try_str(args, "uri"), errp);
}

static void cmd_query_migrate(QObject *args, QObject **ret, Error **errp)
{
    *ret = qmp_query_migrate(errp);
}

static const QmpArgSpec set_parameters_args[] = {
    { "downtime-limit", QMP_ARG_UINT, true },
    { "max-bandwidth", QMP_ARG_UINT, true },
    { NULL }
};

static void cmd_migrate_set_parameters(QObject *args, QObject **ret,
                                       Error **errp)
{
    qmp_migrate_set_parameters(args, errp);
}

static void cmd_query_migrate_parameters(QObject *args, QObject **ret,
                                         Error **errp)
{
    *ret = qmp_query_migrate_parameters(errp);
}

static const QmpCommand migration_qmp_commands[] = {
    { "migrate", cmd_migrate, migrate_args },
    { "migrate_cancel", cmd_migrate_cancel },
    { "migrate-incoming", cmd_migrate_incoming, uri_args },
    { "query-migrate", cmd_query_migrate },
    { "migrate-set-parameters", cmd_migrate_set_parameters,
      set_parameters_args },
    { "query-migrate-parameters", cmd_query_migrate_parameters },
};

/* ---- HMP -------------------------------------------------------------- */

static void hmp_migrate(Monitor *mon, const QObject *args)
{
    Error *err = NULL;

    if (!qmp_migrate(qdict_get_try_str(args, "uri"), &err)) {
        hmp_handle_error(mon, err);
        return;
    }
    /*
     * QEMU's HMP migrate without -d blocks the monitor until the end; we
     * cannot suspend a monitor, so the end is announced on it instead.
     */
    if (!qdict_get_try_bool(args, "detach", false) &&
        !monitor_is_detached(mon)) {
        current_migration.hmp_waiter = mon;
    }
}

static void hmp_migrate_cancel(Monitor *mon, const QObject *args)
{
    qmp_migrate_cancel();
}

static void hmp_migrate_incoming(Monitor *mon, const QObject *args)
{
    Error *err = NULL;

    qmp_migrate_incoming(qdict_get_try_str(args, "uri"), &err);
    hmp_handle_error(mon, err);
}

static void hmp_migrate_set_parameter(Monitor *mon, const QObject *args)
{
    const char *name = qdict_get_try_str(args, "parameter");
    const char *value = qdict_get_try_str(args, "value");
    Error *err = NULL;
    uint64_t v;
    QObject *dict = qdict_new();

    if (!strcmp(name, "max-bandwidth") || !strcmp(name, "max_bandwidth")) {
        /* A size, bytes by default: "32M" as in QEMU's HMP. */
        if (parse_size(value, 'B', &v) < 0) {
            error_setg(&err, "Parameter 'max-bandwidth': invalid size '%s'",
                       value);
            goto out;
        }
        qdict_put_uint(dict, "max-bandwidth", v);
    } else if (!strcmp(name, "downtime-limit") ||
               !strcmp(name, "downtime_limit")) {
        if (parse_uint64(value, &v) < 0) {
            error_setg(&err, "Parameter 'downtime-limit' expects a number of "
                       "milliseconds, not '%s'", value);
            goto out;
        }
        qdict_put_uint(dict, "downtime-limit", v);
    } else {
        error_setg(&err, "Invalid parameter '%s' (known: downtime-limit, "
                   "max-bandwidth)", name);
        goto out;
    }
    qmp_migrate_set_parameters(dict, &err);
out:
    qobject_unref(dict);
    hmp_handle_error(mon, err);
}

static void hmp_info_migrate(Monitor *mon, const QObject *args)
{
    /* query-migrate's times, in QEMU's order and words, when present. */
    static const struct {
        const char *key, *label;
    } times[] = {
        { "total-time", "total time" },
        { "expected-downtime", "expected downtime" },
        { "downtime", "downtime" },
        { "setup-time", "setup" },
    };
    QObject *info = qmp_query_migrate(NULL);
    const char *status = qdict_get_try_str(info, "status");
    QObject *ram = qdict_get(info, "ram");

    if (!status) {
        qobject_unref(info);
        return;
    }
    monitor_printf(mon, "Migration status: %s\n", status);
    for (size_t i = 0; i < ARRAY_SIZE(times); i++) {
        if (qdict_haskey(info, times[i].key)) {
            monitor_printf(mon, "%s: %" PRId64 " ms\n", times[i].label,
                           qdict_get_try_int(info, times[i].key, 0));
        }
    }
    if (ram) {
        QObject *mbps = qdict_get(ram, "mbps");
        monitor_printf(mon, "transferred ram: %" PRId64 " kbytes\n",
                       qdict_get_try_int(ram, "transferred", 0) >> 10);
        monitor_printf(mon, "throughput: %0.2f mbps\n",
                       mbps ? qnum_get_double(mbps) : 0.0);
        monitor_printf(mon, "remaining ram: %" PRId64 " kbytes\n",
                       qdict_get_try_int(ram, "remaining", 0) >> 10);
        monitor_printf(mon, "total ram: %" PRId64 " kbytes\n",
                       qdict_get_try_int(ram, "total", 0) >> 10);
        monitor_printf(mon, "duplicate: %" PRId64 " pages\n",
                       qdict_get_try_int(ram, "duplicate", 0));
        monitor_printf(mon, "normal: %" PRId64 " pages\n",
                       qdict_get_try_int(ram, "normal", 0));
        monitor_printf(mon, "normal bytes: %" PRId64 " kbytes\n",
                       qdict_get_try_int(ram, "normal-bytes", 0) >> 10);
        monitor_printf(mon, "dirty sync count: %" PRId64 "\n",
                       qdict_get_try_int(ram, "dirty-sync-count", 0));
        monitor_printf(mon, "dirty pages rate: %" PRId64 " pages\n",
                       qdict_get_try_int(ram, "dirty-pages-rate", 0));
    }
    if (qdict_haskey(info, "error-desc")) {
        monitor_printf(mon, "error: %s\n",
                       qdict_get_try_str(info, "error-desc"));
    }
    qobject_unref(info);
}

static void hmp_info_migrate_parameters(Monitor *mon, const QObject *args)
{
    MigrationParameters p;

    migrate_get_parameters(&p);
    monitor_printf(mon, "downtime-limit: %" PRIu64 " ms\n",
                   p.downtime_limit_ms);
    monitor_printf(mon, "max-bandwidth: %" PRIu64 " bytes/second\n",
                   p.max_bandwidth);
}

static const HMPCommand migration_hmp_commands[] = {
    { "migrate", "detach:-d,uri:s", "[-d] uri",
      "migrate to URI (tcp:HOST:PORT, unix:PATH, exec:CMD, file:PATH; "
      "-d: do not report the end here)", hmp_migrate },
    { "migrate_cancel", "", "", "cancel the current VM migration",
      hmp_migrate_cancel },
    { "migrate_incoming", "uri:s", "uri",
      "continue an incoming migration started with -incoming defer",
      hmp_migrate_incoming },
    { "migrate_set_parameter", "parameter:s,value:s", "parameter value",
      "set a migration parameter (downtime-limit ms, max-bandwidth bytes/s)",
      hmp_migrate_set_parameter },
};

static const HMPCommand migration_hmp_info_commands[] = {
    { "migrate", "", "", "show migration status", hmp_info_migrate },
    { "migrate_parameters", "", "", "show current migration parameters",
      hmp_info_migrate_parameters },
};

static void __attribute__((constructor)) migration_commands_init(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(migration_qmp_commands); i++) {
        qmp_register_command(&migration_qmp_commands[i]);
    }
    for (size_t i = 0; i < ARRAY_SIZE(migration_hmp_commands); i++) {
        hmp_register_command(&migration_hmp_commands[i], false);
    }
    for (size_t i = 0; i < ARRAY_SIZE(migration_hmp_info_commands); i++) {
        hmp_register_command(&migration_hmp_info_commands[i], true);
    }
}
