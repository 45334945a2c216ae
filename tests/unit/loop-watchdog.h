/*
 * A watchdog for main-loop tests: a thread that, unless stopped first, sets
 * `fired` after a timeout and wakes the main loop.  A test that waits for an
 * event in main_loop_wait(false) loops until the event or the watchdog; the
 * watchdog firing means the event never woke the loop.
 */
#ifndef TESTS_UNIT_LOOP_WATCHDOG_H
#define TESTS_UNIT_LOOP_WATCHDOG_H

#include "util/osdep.h"
#include "system/main-loop.h"
#include <pthread.h>
#include <time.h>

typedef struct Watchdog {
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    bool stop;
    int fired;                  /* atomic */
    int timeout_ms;
} Watchdog;

static void *watchdog_thread(void *opaque)
{
    Watchdog *w = opaque;
    struct timespec deadline;

    clock_gettime(CLOCK_REALTIME, &deadline);
    deadline.tv_sec += w->timeout_ms / 1000;
    deadline.tv_nsec += (long)(w->timeout_ms % 1000) * 1000000;
    if (deadline.tv_nsec >= 1000000000) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000;
    }
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        if (pthread_cond_timedwait(&w->cond, &w->lock, &deadline) ==
            ETIMEDOUT) {
            break;
        }
    }
    if (!w->stop) {
        __atomic_store_n(&w->fired, 1, __ATOMIC_RELEASE);
        qemu_notify_event();
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static inline void watchdog_start(Watchdog *w, int timeout_ms)
{
    memset(w, 0, sizeof(*w));
    pthread_mutex_init(&w->lock, NULL);
    pthread_cond_init(&w->cond, NULL);
    w->timeout_ms = timeout_ms;
    pthread_create(&w->thread, NULL, watchdog_thread, w);
}

static inline bool watchdog_fired(Watchdog *w)
{
    return __atomic_load_n(&w->fired, __ATOMIC_ACQUIRE);
}

static inline void watchdog_stop(Watchdog *w)
{
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
}

static inline void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };
    while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {
        continue;
    }
}

#endif
