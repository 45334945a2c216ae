/*
 * Clocks and timers (see include/system/timer.h).
 *
 * Each clock owns a list of pending timers sorted by expiry, guarded by a
 * mutex so timer_mod/timer_del work from any thread.  The main loop runs
 * expired timers without holding that mutex: a timer is unlinked before its
 * callback runs, so the callback may re-arm, delete or free it (or others).
 */
#include "util/osdep.h"
#include "system/timer.h"
#include "system/main-loop.h"
#include "migration/vmstate.h"

#include <pthread.h>
#include <time.h>

struct QEMUTimer {
    int64_t expire_time;        /* ns on the timer's clock; -1 if idle */
    struct QEMUClock *clock;
    QEMUTimerCB *cb;
    void *opaque;
    int scale;
    QEMUTimer *next;            /* sorted list, protected by clock->lock */
};

typedef struct QEMUClock {
    QEMUClockType type;
    pthread_mutex_t lock;       /* protects everything below */
    QEMUTimer *active_timers;
    bool enabled;
    /*
     * VIRTUAL only: while enabled, time = host monotonic - offset; while
     * disabled, time stays at frozen_ns.  Re-enabling recomputes offset so
     * the clock resumes from frozen_ns without a jump.
     */
    int64_t offset;
    int64_t frozen_ns;
} QEMUClock;

/*
 * VIRTUAL starts disabled at 0, as QEMU's: guest time begins with vm_start.
 * REALTIME and HOST always run.
 */
static QEMUClock clocks[QEMU_CLOCK_MAX] = {
    [QEMU_CLOCK_REALTIME] = {
        .type = QEMU_CLOCK_REALTIME,
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .enabled = true,
    },
    [QEMU_CLOCK_VIRTUAL] = {
        .type = QEMU_CLOCK_VIRTUAL,
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .enabled = false,
        .frozen_ns = 0,
    },
    [QEMU_CLOCK_HOST] = {
        .type = QEMU_CLOCK_HOST,
        .lock = PTHREAD_MUTEX_INITIALIZER,
        .enabled = true,
    },
};

static int64_t host_clock_ns(clockid_t id)
{
    struct timespec ts;

    clock_gettime(id, &ts);
    return ts.tv_sec * NANOSECONDS_PER_SECOND + ts.tv_nsec;
}

static QEMUClock *clock_get(QEMUClockType type)
{
    assert(type >= 0 && type < QEMU_CLOCK_MAX);
    return &clocks[type];
}

/* Caller holds clock->lock (VIRTUAL) or nothing at all (others). */
static int64_t clock_now_locked(QEMUClock *clock)
{
    switch (clock->type) {
    case QEMU_CLOCK_VIRTUAL:
        if (!clock->enabled) {
            return clock->frozen_ns;
        }
        return host_clock_ns(CLOCK_MONOTONIC) - clock->offset;
    case QEMU_CLOCK_HOST:
        return host_clock_ns(CLOCK_REALTIME);
    case QEMU_CLOCK_REALTIME:
    default:
        return host_clock_ns(CLOCK_MONOTONIC);
    }
}

int64_t qemu_clock_get_ns(QEMUClockType type)
{
    QEMUClock *clock = clock_get(type);
    int64_t now;

    if (type != QEMU_CLOCK_VIRTUAL) {
        return clock_now_locked(clock);
    }
    pthread_mutex_lock(&clock->lock);
    now = clock_now_locked(clock);
    pthread_mutex_unlock(&clock->lock);
    return now;
}

void qemu_clock_enable(QEMUClockType type, bool enabled)
{
    QEMUClock *clock = clock_get(type);
    bool changed;

    pthread_mutex_lock(&clock->lock);
    changed = clock->enabled != enabled;
    if (changed && type == QEMU_CLOCK_VIRTUAL) {
        if (enabled) {
            clock->offset = host_clock_ns(CLOCK_MONOTONIC) - clock->frozen_ns;
        } else {
            clock->frozen_ns = clock_now_locked(clock);
        }
    }
    clock->enabled = enabled;
    pthread_mutex_unlock(&clock->lock);

    /* Pending timers may now be due: let the loop recompute its timeout. */
    if (changed && enabled) {
        qemu_notify_event();
    }
}

bool qemu_clock_is_enabled(QEMUClockType type)
{
    QEMUClock *clock = clock_get(type);
    bool enabled;

    pthread_mutex_lock(&clock->lock);
    enabled = clock->enabled;
    pthread_mutex_unlock(&clock->lock);
    return enabled;
}

/* Nanoseconds until the clock's first timer, -1 if none or disabled. */
static int64_t clock_deadline_ns(QEMUClock *clock)
{
    int64_t delta = -1;

    pthread_mutex_lock(&clock->lock);
    if (clock->enabled && clock->active_timers) {
        delta = clock->active_timers->expire_time - clock_now_locked(clock);
        delta = MAX(delta, 0);
    }
    pthread_mutex_unlock(&clock->lock);
    return delta;
}

int64_t timerlist_deadline_ns(void)
{
    int64_t deadline = -1;

    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        int64_t d = clock_deadline_ns(&clocks[i]);
        if (d >= 0 && (deadline < 0 || d < deadline)) {
            deadline = d;
        }
    }
    return deadline;
}

/*
 * Run the timers of one clock that are due at the time sampled on entry.
 * Sampling once means a callback that re-arms its timer a period later
 * cannot make this loop run forever.
 */
static int clock_run_timers(QEMUClock *clock)
{
    int ran = 0;
    int64_t now;

    pthread_mutex_lock(&clock->lock);
    if (!clock->enabled) {
        pthread_mutex_unlock(&clock->lock);
        return 0;
    }
    now = clock_now_locked(clock);
    for (;;) {
        QEMUTimer *ts = clock->active_timers;
        QEMUTimerCB *cb;
        void *opaque;

        if (!clock->enabled || !ts || ts->expire_time > now) {
            break;
        }
        clock->active_timers = ts->next;
        ts->next = NULL;
        ts->expire_time = -1;
        cb = ts->cb;
        opaque = ts->opaque;
        pthread_mutex_unlock(&clock->lock);

        cb(opaque);
        ran++;

        pthread_mutex_lock(&clock->lock);
    }
    pthread_mutex_unlock(&clock->lock);
    return ran;
}

int qemu_clock_run_timers(QEMUClockType type)
{
    return clock_run_timers(clock_get(type));
}

int qemu_clock_run_all_timers(void)
{
    int ran = 0;

    for (int i = 0; i < QEMU_CLOCK_MAX; i++) {
        ran += clock_run_timers(&clocks[i]);
    }
    return ran;
}

int64_t qemu_clock_advance_virtual_time(int64_t dest)
{
    QEMUClock *clock = clock_get(QEMU_CLOCK_VIRTUAL);
    int64_t now;

    pthread_mutex_lock(&clock->lock);
    while (!clock->enabled) {
        QEMUTimer *ts = clock->active_timers;
        QEMUTimerCB *cb;
        void *opaque;

        if (!ts || ts->expire_time > dest) {
            clock->frozen_ns = MAX(clock->frozen_ns, dest);
            break;
        }
        /* Time reaches this deadline, then the timer runs. */
        clock->frozen_ns = MAX(clock->frozen_ns, ts->expire_time);
        clock->active_timers = ts->next;
        ts->next = NULL;
        ts->expire_time = -1;
        cb = ts->cb;
        opaque = ts->opaque;
        pthread_mutex_unlock(&clock->lock);

        cb(opaque);

        pthread_mutex_lock(&clock->lock);
    }
    now = clock_now_locked(clock);
    pthread_mutex_unlock(&clock->lock);
    return now;
}

QEMUTimer *timer_new(QEMUClockType type, int scale, QEMUTimerCB *cb,
                     void *opaque)
{
    QEMUTimer *ts = xnew(QEMUTimer);

    assert(scale > 0);
    ts->clock = clock_get(type);
    ts->scale = scale;
    ts->cb = cb;
    ts->opaque = opaque;
    ts->expire_time = -1;
    return ts;
}

/* Unlink ts if pending.  Caller holds clock->lock. */
static void timer_del_locked(QEMUClock *clock, QEMUTimer *ts)
{
    QEMUTimer **pt;

    if (ts->expire_time < 0) {
        return;
    }
    for (pt = &clock->active_timers; *pt; pt = &(*pt)->next) {
        if (*pt == ts) {
            *pt = ts->next;
            break;
        }
    }
    ts->next = NULL;
    ts->expire_time = -1;
}

void timer_mod_ns(QEMUTimer *ts, int64_t expire_ns)
{
    QEMUClock *clock = ts->clock;
    QEMUTimer **pt;
    bool first;

    expire_ns = MAX(expire_ns, 0);
    pthread_mutex_lock(&clock->lock);
    timer_del_locked(clock, ts);
    /* After every timer due at the same time: ties fire in arming order. */
    for (pt = &clock->active_timers; *pt; pt = &(*pt)->next) {
        if ((*pt)->expire_time > expire_ns) {
            break;
        }
    }
    ts->expire_time = expire_ns;
    ts->next = *pt;
    *pt = ts;
    first = pt == &clock->active_timers;
    pthread_mutex_unlock(&clock->lock);

    /* A new earliest deadline: the loop may be sleeping for longer. */
    if (first) {
        qemu_notify_event();
    }
}

void timer_mod(QEMUTimer *ts, int64_t expire_time)
{
    int64_t ns;

    /* Saturate instead of overflowing: far future means "never" anyway. */
    if (expire_time > INT64_MAX / ts->scale) {
        ns = INT64_MAX;
    } else if (expire_time < 0) {
        ns = 0;
    } else {
        ns = expire_time * ts->scale;
    }
    timer_mod_ns(ts, ns);
}

void timer_del(QEMUTimer *ts)
{
    QEMUClock *clock = ts->clock;

    pthread_mutex_lock(&clock->lock);
    timer_del_locked(clock, ts);
    pthread_mutex_unlock(&clock->lock);
}

void timer_free(QEMUTimer *ts)
{
    if (!ts) {
        return;
    }
    timer_del(ts);
    free(ts);
}

bool timer_pending(const QEMUTimer *ts)
{
    return timer_expire_time_ns(ts) >= 0;
}

int64_t timer_expire_time_ns(const QEMUTimer *ts)
{
    QEMUClock *clock = ts->clock;
    int64_t expire;

    pthread_mutex_lock(&clock->lock);
    expire = ts->expire_time;
    pthread_mutex_unlock(&clock->lock);
    return expire;
}

void qemu_clock_set_virtual_ns(int64_t ns)
{
    QEMUClock *clock = clock_get(QEMU_CLOCK_VIRTUAL);

    pthread_mutex_lock(&clock->lock);
    if (clock->enabled) {
        clock->offset = host_clock_ns(CLOCK_MONOTONIC) - ns;
    } else {
        clock->frozen_ns = ns;
    }
    pthread_mutex_unlock(&clock->lock);
    /* Deadlines may have come closer or gone further. */
    qemu_notify_event();
}

/* ---- VMState -------------------------------------------------------- */

typedef struct TimersState {
    int64_t virtual_ns;         /* guest time at save */
} TimersState;

static TimersState timers_state;

static int timers_pre_save(void *opaque)
{
    TimersState *s = opaque;

    s->virtual_ns = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    return 0;
}

static int timers_post_load(void *opaque, int version_id)
{
    TimersState *s = opaque;

    if (s->virtual_ns < 0) {
        error_report("timer: virtual time %" PRId64 " is negative",
                     s->virtual_ns);
        return -EINVAL;
    }
    qemu_clock_set_virtual_ns(s->virtual_ns);
    return 0;
}

/*
 * Name of QEMU's "timer" section; ours carries guest time itself (QEMU's
 * carries offsets from the host clock), which is what the devices'
 * absolute deadlines are relative to.
 */
static const VMStateDescription vmstate_timers = {
    .name = "timer",
    .version_id = 1,
    .minimum_version_id = 1,
    .priority = MIG_PRI_HIGH,
    .pre_save = timers_pre_save,
    .post_load = timers_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_INT64(virtual_ns, TimersState),
        VMSTATE_END_OF_LIST()
    },
};

void qemu_timers_vmstate_register(void)
{
    static bool registered;

    if (!registered) {
        vmstate_register(NULL, 0, &vmstate_timers, &timers_state);
        registered = true;
    }
}
