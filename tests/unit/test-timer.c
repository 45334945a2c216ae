/*
 * Unit tests for system/timer.c: deadline order on each clock, the VIRTUAL
 * clock standing still while disabled, callbacks that re-arm or delete
 * timers, and timer_mod from another thread waking the loop.
 */
#include "test.h"
#include "util/osdep.h"
#include "system/main-loop.h"
#include "system/timer.h"
#include "loop-watchdog.h"

#define WATCHDOG_MS 5000
#define NTIMERS 7

typedef struct OrderLog {
    int order[NTIMERS];
    int n;
} OrderLog;

typedef struct OrderTimer {
    QEMUTimer *timer;
    OrderLog *log;
    int id;
} OrderTimer;

static void order_cb(void *opaque)
{
    OrderTimer *t = opaque;

    t->log->order[t->log->n++] = t->id;
}

/*
 * Arm timers with shuffled deadlines (two share one) and run the loop until
 * all fired: they must fire by deadline, the tie in arming order.
 */
static void check_deadline_order(QEMUClockType type)
{
    /* Offsets in ms, shuffled; ids 2 and 5 tie. */
    static const int offset_ms[NTIMERS] = { 12, 3, 9, 15, 1, 9, 6 };
    static const int expected[NTIMERS] = { 4, 1, 6, 2, 5, 0, 3 };
    OrderTimer timers[NTIMERS];
    OrderLog log = { .n = 0 };
    int64_t now = qemu_clock_get_ns(type);
    Watchdog w;

    for (int i = 0; i < NTIMERS; i++) {
        timers[i] = (OrderTimer) {
            timer_new_ns(type, order_cb, &timers[i]), &log, i
        };
        timer_mod(timers[i].timer, now + offset_ms[i] * SCALE_MS);
        assert_true(timer_pending(timers[i].timer));
    }
    assert_true(timerlist_deadline_ns() >= 0);

    watchdog_start(&w, WATCHDOG_MS);
    while (log.n < NTIMERS && !watchdog_fired(&w)) {
        main_loop_wait(false);
    }
    assert_false(watchdog_fired(&w));
    watchdog_stop(&w);

    assert_int_equal(log.n, NTIMERS);
    for (int i = 0; i < NTIMERS; i++) {
        assert_int_equal(log.order[i], expected[i]);
        assert_false(timer_pending(timers[i].timer));
        timer_free(timers[i].timer);
    }
    assert_int_equal(timerlist_deadline_ns(), -1);
}

static void test_realtime_deadline_order(void **state)
{
    check_deadline_order(QEMU_CLOCK_REALTIME);
}

static void test_virtual_deadline_order(void **state)
{
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    check_deadline_order(QEMU_CLOCK_VIRTUAL);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
}

static void test_host_deadline_order(void **state)
{
    check_deadline_order(QEMU_CLOCK_HOST);
}

static void test_virtual_frozen_while_disabled(void **state)
{
    int64_t v0, v1, v2, rt0, rt1;

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    assert_true(qemu_clock_is_enabled(QEMU_CLOCK_VIRTUAL));
    sleep_ms(5);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    v0 = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    assert_true(v0 > 0);
    sleep_ms(50);
    v1 = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    assert_true(v1 - v0 < 5 * SCALE_MS);
    assert_true(v1 == v0);  /* frozen exactly */

    /* Re-enabled: it runs again, from where it stopped (no jump). */
    rt0 = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    sleep_ms(20);
    v2 = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    rt1 = qemu_clock_get_ns(QEMU_CLOCK_REALTIME);
    assert_true(v2 > v1);
    assert_true(v2 - v1 <= rt1 - rt0);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
}

static void set_flag(void *opaque)
{
    __atomic_store_n((bool *)opaque, true, __ATOMIC_RELEASE);
}

static void test_virtual_timer_waits_while_disabled(void **state)
{
    bool vfired = false, rfired = false;
    QEMUTimer *vt = timer_new_ms(QEMU_CLOCK_VIRTUAL, set_flag, &vfired);
    QEMUTimer *rt = timer_new_ms(QEMU_CLOCK_REALTIME, set_flag, &rfired);
    int iterations = 0;
    Watchdog w;

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    timer_mod(vt, qemu_clock_get_ms(QEMU_CLOCK_VIRTUAL) + 1);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);

    /*
     * Run the loop for 30 ms of real time: the virtual timer's deadline
     * passes in host time but its clock is stopped, so it must not fire,
     * and the loop must sleep rather than spin on it.
     */
    timer_mod(rt, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 30);
    watchdog_start(&w, WATCHDOG_MS);
    while (!rfired && !watchdog_fired(&w)) {
        main_loop_wait(false);
        iterations++;
    }
    assert_false(watchdog_fired(&w));
    watchdog_stop(&w);
    assert_true(rfired);
    assert_false(vfired);
    assert_true(timer_pending(vt));
    assert_true(iterations <= 5);

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    watchdog_start(&w, WATCHDOG_MS);
    while (!vfired && !watchdog_fired(&w)) {
        main_loop_wait(false);
    }
    assert_false(watchdog_fired(&w));
    watchdog_stop(&w);
    assert_true(vfired);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    timer_free(vt);
    timer_free(rt);
}

typedef struct Juggler {
    QEMUTimer *self;
    QEMUTimer *victim;          /* deleted by the first run */
    QEMUTimer *freed;           /* freed in its own callback */
    int self_runs;
    int victim_runs;
    int freed_runs;
} Juggler;

static void juggler_cb(void *opaque)
{
    Juggler *j = opaque;

    j->self_runs++;
    timer_del(j->victim);
    if (j->self_runs < 3) {
        timer_mod(j->self, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 1);
    }
}

static void victim_cb(void *opaque)
{
    ((Juggler *)opaque)->victim_runs++;
}

static void freed_cb(void *opaque)
{
    Juggler *j = opaque;

    j->freed_runs++;
    timer_free(j->freed);
    j->freed = NULL;
}

static void test_callbacks_rearm_and_delete(void **state)
{
    Juggler j = { 0 };
    int64_t now = qemu_clock_get_ms(QEMU_CLOCK_REALTIME);
    Watchdog w;

    j.self = timer_new_ms(QEMU_CLOCK_REALTIME, juggler_cb, &j);
    j.victim = timer_new_ms(QEMU_CLOCK_REALTIME, victim_cb, &j);
    j.freed = timer_new_ms(QEMU_CLOCK_REALTIME, freed_cb, &j);
    /* All due already: they run in one pass, self first. */
    timer_mod(j.self, now - 2);
    timer_mod(j.victim, now - 1);
    timer_mod(j.freed, now - 1);

    watchdog_start(&w, WATCHDOG_MS);
    while (j.self_runs < 3 && !watchdog_fired(&w)) {
        main_loop_wait(false);
    }
    assert_false(watchdog_fired(&w));
    watchdog_stop(&w);
    for (int i = 0; i < 3; i++) {
        main_loop_wait(true);
    }
    assert_int_equal(j.self_runs, 3);
    assert_int_equal(j.victim_runs, 0);
    assert_int_equal(j.freed_runs, 1);
    assert_false(timer_pending(j.self));
    assert_int_equal(timer_expire_time_ns(j.self), -1);
    timer_free(j.self);
    timer_free(j.victim);
}

static void test_timer_mod_rearm_and_scale(void **state)
{
    bool fired = false;
    QEMUTimer *t = timer_new(QEMU_CLOCK_REALTIME, SCALE_US, set_flag, &fired);

    timer_mod(t, 1000);
    assert_int_equal(timer_expire_time_ns(t), 1000 * SCALE_US);
    /* Re-arming moves it, never duplicates it. */
    timer_mod(t, 4000000000000LL);
    assert_int_equal(timer_expire_time_ns(t), 4000000000000LL * SCALE_US);
    timer_mod(t, INT64_MAX);
    assert_int_equal(timer_expire_time_ns(t), INT64_MAX);
    timer_del(t);
    assert_false(timer_pending(t));
    timer_del(t);
    assert_int_equal(timerlist_deadline_ns(), -1);
    assert_int_equal(qemu_clock_run_all_timers(), 0);
    assert_false(fired);
    timer_free(t);
    timer_free(NULL);
}

typedef struct DelayedMod {
    QEMUTimer *timer;
} DelayedMod;

static void *mod_after_delay(void *opaque)
{
    DelayedMod *d = opaque;

    sleep_ms(30);
    timer_mod(d->timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME));
    return NULL;
}

static void test_timer_mod_from_thread_wakes_loop(void **state)
{
    bool fired = false;
    DelayedMod d = { timer_new_ms(QEMU_CLOCK_REALTIME, set_flag, &fired) };
    pthread_t thread;
    Watchdog w;

    assert_int_equal(timerlist_deadline_ns(), -1);
    pthread_create(&thread, NULL, mod_after_delay, &d);
    watchdog_start(&w, WATCHDOG_MS);
    while (!__atomic_load_n(&fired, __ATOMIC_ACQUIRE) && !watchdog_fired(&w)) {
        main_loop_wait(false);
    }
    assert_false(watchdog_fired(&w));
    watchdog_stop(&w);
    pthread_join(thread, NULL);
    timer_free(d.timer);
}

typedef struct Stepper {
    QEMUTimer *timer;
    int64_t seen[16];
    int n;
} Stepper;

static void stepper_cb(void *opaque)
{
    Stepper *st = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    if (st->n < (int)ARRAY_SIZE(st->seen)) {
        st->seen[st->n] = now;
    }
    st->n++;
    timer_mod_ns(st->timer, now + 1000000);
}

/* Stepping the stopped clock runs each timer at its own deadline. */
static void test_advance_virtual_time(void **state)
{
    Stepper st = { 0 };
    int64_t start;

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    start = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    st.timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, stepper_cb, &st);
    timer_mod_ns(st.timer, start + 1000000);

    assert_int_equal(qemu_clock_advance_virtual_time(start + 10500000),
                     start + 10500000);
    assert_int_equal(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL), start + 10500000);
    assert_int_equal(st.n, 10);
    for (int i = 0; i < 10; i++) {
        assert_int_equal(st.seen[i], start + (i + 1) * 1000000LL);
    }
    /* Backwards is a no-op. */
    assert_int_equal(qemu_clock_advance_virtual_time(start),
                     start + 10500000);
    assert_int_equal(st.n, 10);
    /* A running clock is not stepped. */
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    assert_true(qemu_clock_advance_virtual_time(INT64_MAX / 2) <
                INT64_MAX / 4);
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    timer_free(st.timer);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_realtime_deadline_order),
        cmocka_unit_test(test_virtual_deadline_order),
        cmocka_unit_test(test_host_deadline_order),
        cmocka_unit_test(test_virtual_frozen_while_disabled),
        cmocka_unit_test(test_virtual_timer_waits_while_disabled),
        cmocka_unit_test(test_callbacks_rearm_and_delete),
        cmocka_unit_test(test_timer_mod_rearm_and_scale),
        cmocka_unit_test(test_timer_mod_from_thread_wakes_loop),
        cmocka_unit_test(test_advance_virtual_time),
    };

    main_loop_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
