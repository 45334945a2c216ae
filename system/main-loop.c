/*
 * The main loop (see include/system/main-loop.h): poll() over registered
 * file descriptors and an eventfd that other threads signal, then timers and
 * bottom halves, dispatched with the big lock held.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/queue.h"
#include "system/main-loop.h"
#include "system/timer.h"

#include <poll.h>
#include <pthread.h>
#include <sys/eventfd.h>
#include <time.h>

/*
 * A registered fd.  Records are never freed while a dispatch may hold a
 * pointer to them: removal clears the callbacks and marks the record
 * deleted; main_loop_wait frees deleted records when no dispatch is running.
 */
typedef struct IOHandlerRecord {
    int fd;
    IOHandler *fd_read;
    IOHandler *fd_write;
    void *opaque;
    bool deleted;
    QLIST_ENTRY(IOHandlerRecord) next;
} IOHandlerRecord;

struct QEMUBH {
    QEMUBHFunc *cb;
    void *opaque;
    int scheduled;              /* atomic; set by any thread */
    bool deleted;               /* protected by MainLoop.bh_lock */
    QLIST_ENTRY(QEMUBH) next;
};

typedef struct MainLoop {
    int notify_fd;              /* eventfd; -1 until main_loop_init */
    pthread_t main_thread;

    /* Protected by the BQL. */
    QLIST_HEAD(, IOHandlerRecord) io_handlers;
    int io_walking;             /* nested dispatches in progress */

    pthread_mutex_t bh_lock;    /* protects bhs, bh_walking, bh->deleted */
    QLIST_HEAD(, QEMUBH) bhs;
    int bh_walking;
} MainLoop;

static MainLoop loop = {
    .notify_fd = -1,
    .bh_lock = PTHREAD_MUTEX_INITIALIZER,
};

static pthread_mutex_t bql = PTHREAD_MUTEX_INITIALIZER;
static __thread bool bql_held;

/* ---- the big lock ---- */

void bql_lock(void)
{
    /* Taking it twice would deadlock: that is always a caller bug. */
    assert(!bql_held);
    pthread_mutex_lock(&bql);
    bql_held = true;
}

void bql_unlock(void)
{
    assert(bql_held);
    bql_held = false;
    pthread_mutex_unlock(&bql);
}

bool bql_locked(void)
{
    return bql_held;
}

void bql_cond_wait(pthread_cond_t *cond)
{
    assert(bql_held);
    bql_held = false;
    pthread_cond_wait(cond, &bql);
    bql_held = true;
}

/* ---- event notifier ---- */

static pthread_once_t init_once = PTHREAD_ONCE_INIT;

static void main_loop_init_once(void)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

    if (fd < 0) {
        error_report("main loop: cannot create event notifier: %s",
                     strerror(errno));
        exit(1);
    }
    __atomic_store_n(&loop.notify_fd, fd, __ATOMIC_RELEASE);
    loop.main_thread = pthread_self();
}

void main_loop_init(void)
{
    pthread_once(&init_once, main_loop_init_once);
}

bool qemu_in_main_thread(void)
{
    main_loop_init();
    return pthread_equal(pthread_self(), loop.main_thread);
}

/*
 * Any thread, and signal handlers too: write() on an eventfd is
 * async-signal-safe.  The counter saturating (EAGAIN) still leaves the fd
 * readable, which is all that matters.
 */
void qemu_notify_event(void)
{
    int fd = __atomic_load_n(&loop.notify_fd, __ATOMIC_ACQUIRE);
    uint64_t one = 1;
    int saved_errno = errno;

    if (fd >= 0) {
        while (write(fd, &one, sizeof(one)) < 0 && errno == EINTR) {
            continue;
        }
    }
    errno = saved_errno;
}

static void event_notifier_clear(void)
{
    uint64_t value;

    while (read(loop.notify_fd, &value, sizeof(value)) < 0 && errno == EINTR) {
        continue;
    }
}

/* ---- fd handlers ---- */

static IOHandlerRecord *find_io_handler(int fd)
{
    IOHandlerRecord *rec;

    QLIST_FOREACH(rec, &loop.io_handlers, next) {
        if (rec->fd == fd && !rec->deleted) {
            return rec;
        }
    }
    return NULL;
}

void qemu_set_fd_handler(int fd, IOHandler *fd_read, IOHandler *fd_write,
                         void *opaque)
{
    IOHandlerRecord *rec = find_io_handler(fd);

    if (!fd_read && !fd_write) {
        if (rec) {
            rec->fd_read = NULL;
            rec->fd_write = NULL;
            rec->deleted = true;
        }
        return;
    }
    if (!rec) {
        rec = xnew(IOHandlerRecord);
        rec->fd = fd;
        QLIST_INSERT_HEAD(&loop.io_handlers, rec, next);
    }
    rec->fd_read = fd_read;
    rec->fd_write = fd_write;
    rec->opaque = opaque;
    /* The loop may be polling without this fd, or with old events. */
    qemu_notify_event();
}

static void io_handlers_reap(void)
{
    IOHandlerRecord *rec, *next;

    if (loop.io_walking) {
        return;
    }
    QLIST_FOREACH_SAFE(rec, &loop.io_handlers, next, next) {
        if (rec->deleted) {
            QLIST_REMOVE(rec, next);
            free(rec);
        }
    }
}

/*
 * One poll set per main_loop_wait call, so a handler that runs a nested
 * loop iteration cannot overwrite the set its caller is dispatching.
 */
typedef struct PollSet {
    size_t n;
    struct pollfd *fds;
    IOHandlerRecord **recs;     /* recs[i] owns fds[i]; recs[0] = notifier */
} PollSet;

static void poll_set_fill(PollSet *ps)
{
    IOHandlerRecord *rec;
    size_t n = 1;

    QLIST_FOREACH(rec, &loop.io_handlers, next) {
        n++;
    }
    ps->fds = xnew_array(struct pollfd, n);
    ps->recs = xnew_array(IOHandlerRecord *, n);

    n = 0;
    ps->fds[n] = (struct pollfd) { .fd = loop.notify_fd, .events = POLLIN };
    ps->recs[n++] = NULL;
    QLIST_FOREACH(rec, &loop.io_handlers, next) {
        short events = 0;

        if (rec->deleted) {
            continue;
        }
        if (rec->fd_read) {
            events |= POLLIN;
        }
        if (rec->fd_write) {
            events |= POLLOUT;
        }
        ps->fds[n] = (struct pollfd) { .fd = rec->fd, .events = events };
        ps->recs[n++] = rec;
    }
    ps->n = n;
}

static void poll_set_free(PollSet *ps)
{
    free(ps->fds);
    free(ps->recs);
}

/*
 * Handlers may add or remove handlers, themselves included: removed records
 * stay allocated (deleted) until io_walking drops to zero, and every call
 * re-checks the record's current callbacks.
 */
static int io_handlers_dispatch(const PollSet *ps)
{
    int ran = 0;

    loop.io_walking++;
    for (size_t i = 1; i < ps->n; i++) {
        IOHandlerRecord *rec = ps->recs[i];
        short revents = ps->fds[i].revents;

        if (!revents || rec->deleted) {
            continue;
        }
        if (revents & POLLNVAL) {
            /* Closed without being unregistered: drop it, don't spin. */
            warn_report("main loop: fd %d closed while registered; "
                        "removing its handler", rec->fd);
            rec->fd_read = NULL;
            rec->fd_write = NULL;
            rec->deleted = true;
            continue;
        }
        if ((revents & (POLLIN | POLLHUP | POLLERR)) && rec->fd_read) {
            rec->fd_read(rec->opaque);
            ran++;
        }
        if ((revents & (POLLOUT | POLLERR)) && rec->fd_write &&
            !rec->deleted) {
            rec->fd_write(rec->opaque);
            ran++;
        }
    }
    loop.io_walking--;
    return ran;
}

/* ---- bottom halves ---- */

QEMUBH *qemu_bh_new(QEMUBHFunc *cb, void *opaque)
{
    QEMUBH *bh = xnew(QEMUBH);

    bh->cb = cb;
    bh->opaque = opaque;
    pthread_mutex_lock(&loop.bh_lock);
    QLIST_INSERT_HEAD(&loop.bhs, bh, next);
    pthread_mutex_unlock(&loop.bh_lock);
    return bh;
}

void qemu_bh_schedule(QEMUBH *bh)
{
    /* Only the first schedule since the last run needs to wake the loop. */
    if (!__atomic_exchange_n(&bh->scheduled, 1, __ATOMIC_ACQ_REL)) {
        qemu_notify_event();
    }
}

void qemu_bh_cancel(QEMUBH *bh)
{
    __atomic_store_n(&bh->scheduled, 0, __ATOMIC_RELEASE);
}

void qemu_bh_delete(QEMUBH *bh)
{
    if (!bh) {
        return;
    }
    pthread_mutex_lock(&loop.bh_lock);
    __atomic_store_n(&bh->scheduled, 0, __ATOMIC_RELEASE);
    if (loop.bh_walking) {
        /* A dispatch may hold a pointer to it: let the reaper free it. */
        bh->deleted = true;
    } else {
        QLIST_REMOVE(bh, next);
        free(bh);
    }
    pthread_mutex_unlock(&loop.bh_lock);
}

static bool bh_pending(void)
{
    QEMUBH *bh;
    bool pending = false;

    pthread_mutex_lock(&loop.bh_lock);
    QLIST_FOREACH(bh, &loop.bhs, next) {
        if (!bh->deleted && __atomic_load_n(&bh->scheduled, __ATOMIC_ACQUIRE)) {
            pending = true;
            break;
        }
    }
    pthread_mutex_unlock(&loop.bh_lock);
    return pending;
}

/*
 * Run each scheduled BH once.  The lock is dropped around callbacks so they
 * may create, schedule or delete BHs (their own included); bh_walking keeps
 * deleted BHs allocated until the walk ends.
 */
static int bh_dispatch(void)
{
    QEMUBH *bh, *next;
    int ran = 0;

    pthread_mutex_lock(&loop.bh_lock);
    loop.bh_walking++;
    for (bh = QLIST_FIRST(&loop.bhs); bh; bh = next) {
        if (!bh->deleted &&
            __atomic_exchange_n(&bh->scheduled, 0, __ATOMIC_ACQ_REL)) {
            pthread_mutex_unlock(&loop.bh_lock);
            bh->cb(bh->opaque);
            ran++;
            pthread_mutex_lock(&loop.bh_lock);
        }
        next = QLIST_NEXT(bh, next);
    }
    if (--loop.bh_walking == 0) {
        QLIST_FOREACH_SAFE(bh, &loop.bhs, next, next) {
            if (bh->deleted) {
                QLIST_REMOVE(bh, next);
                free(bh);
            }
        }
    }
    pthread_mutex_unlock(&loop.bh_lock);
    return ran;
}

/* ---- one iteration ---- */

int main_loop_wait(bool nonblocking)
{
    bool was_locked = bql_locked();
    struct timespec ts, *tsp = NULL;
    int64_t timeout_ns;
    PollSet ps;
    int ret, ran = 0;

    main_loop_init();
    if (!was_locked) {
        bql_lock();
    }

    io_handlers_reap();
    poll_set_fill(&ps);

    if (nonblocking || bh_pending()) {
        timeout_ns = 0;
    } else {
        timeout_ns = timerlist_deadline_ns();
    }
    if (timeout_ns >= 0) {
        ts.tv_sec = timeout_ns / NANOSECONDS_PER_SECOND;
        ts.tv_nsec = timeout_ns % NANOSECONDS_PER_SECOND;
        tsp = &ts;
    }

    /* Other threads need the BQL while we sleep (vCPUs doing MMIO, say). */
    bql_unlock();
    ret = ppoll(ps.fds, ps.n, tsp, NULL);
    bql_lock();

    if (ret < 0 && errno != EINTR) {
        error_report("main loop: poll: %s", strerror(errno));
    }
    if (ret > 0) {
        if (ps.fds[0].revents) {
            event_notifier_clear();
        }
        ran += io_handlers_dispatch(&ps);
    }
    poll_set_free(&ps);
    ran += qemu_clock_run_all_timers();
    ran += bh_dispatch();

    if (!was_locked) {
        bql_unlock();
    }
    return ran;
}
