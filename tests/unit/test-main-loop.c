/*
 * Unit tests for system/main-loop.c: bottom halves, fd handlers, the event
 * notifier and the big lock.  No test leaves a timer armed, so a blocking
 * main_loop_wait() sleeps until something wakes it; a watchdog thread bounds
 * every such wait.
 */
#include "test.h"
#include "util/osdep.h"
#include "system/main-loop.h"
#include "system/timer.h"
#include "loop-watchdog.h"

#include <fcntl.h>

#define WATCHDOG_MS 5000

/* Run the loop until *counter >= want or the watchdog fires. */
static bool run_until_count(int *counter, int want)
{
    Watchdog w;
    bool ok;

    watchdog_start(&w, WATCHDOG_MS);
    while (__atomic_load_n(counter, __ATOMIC_ACQUIRE) < want &&
           !watchdog_fired(&w)) {
        main_loop_wait(false);
    }
    ok = !watchdog_fired(&w);
    watchdog_stop(&w);
    return ok;
}

/* Drain whatever is ready without blocking. */
static void run_nonblocking(int times)
{
    for (int i = 0; i < times; i++) {
        main_loop_wait(true);
    }
}

static void count_cb(void *opaque)
{
    __atomic_add_fetch((int *)opaque, 1, __ATOMIC_RELEASE);
}

/* ---- bottom halves ---- */

typedef struct DelayedBH {
    QEMUBH *bh;
    int delay_ms;
} DelayedBH;

static void *schedule_after_delay(void *opaque)
{
    DelayedBH *d = opaque;

    sleep_ms(d->delay_ms);
    qemu_bh_schedule(d->bh);
    return NULL;
}

static void test_bh_from_thread_wakes_poll(void **state)
{
    int count = 0;
    DelayedBH d = { qemu_bh_new(count_cb, &count), 30 };
    pthread_t thread;

    /* No timers and no fds: only the BH's wake-up can end the poll. */
    assert_int_equal(timerlist_deadline_ns(), -1);
    pthread_create(&thread, NULL, schedule_after_delay, &d);
    assert_true(run_until_count(&count, 1));
    pthread_join(thread, NULL);
    assert_int_equal(count, 1);

    run_nonblocking(3);
    assert_int_equal(count, 1);
    qemu_bh_delete(d.bh);
}

static void test_bh_runs_once_per_schedule(void **state)
{
    int count = 0;
    QEMUBH *bh = qemu_bh_new(count_cb, &count);

    qemu_bh_schedule(bh);
    qemu_bh_schedule(bh);
    assert_int_equal(main_loop_wait(true), 1);
    assert_int_equal(count, 1);
    run_nonblocking(2);
    assert_int_equal(count, 1);

    qemu_bh_schedule(bh);
    run_nonblocking(1);
    assert_int_equal(count, 2);

    qemu_bh_schedule(bh);
    qemu_bh_cancel(bh);
    run_nonblocking(2);
    assert_int_equal(count, 2);
    qemu_bh_delete(bh);
}

typedef struct SelfDeletingBH {
    QEMUBH *bh;
    int runs;
} SelfDeletingBH;

static void self_delete_cb(void *opaque)
{
    SelfDeletingBH *s = opaque;

    s->runs++;
    qemu_bh_delete(s->bh);
    s->bh = NULL;
}

typedef struct RescheduleBH {
    QEMUBH *bh;
    int runs;
} RescheduleBH;

static void reschedule_cb(void *opaque)
{
    RescheduleBH *r = opaque;

    if (++r->runs < 3) {
        qemu_bh_schedule(r->bh);
    }
}

static void test_bh_delete_and_schedule_from_callback(void **state)
{
    SelfDeletingBH s = { 0 };
    RescheduleBH r = { 0 };

    s.bh = qemu_bh_new(self_delete_cb, &s);
    qemu_bh_schedule(s.bh);
    run_nonblocking(3);
    assert_int_equal(s.runs, 1);
    assert_null(s.bh);

    /* A BH that schedules itself runs once more per iteration. */
    r.bh = qemu_bh_new(reschedule_cb, &r);
    qemu_bh_schedule(r.bh);
    run_nonblocking(1);
    assert_int_equal(r.runs, 1);
    run_nonblocking(1);
    assert_int_equal(r.runs, 2);
    run_nonblocking(5);
    assert_int_equal(r.runs, 3);
    qemu_bh_delete(r.bh);
}

typedef struct Hammer {
    QEMUBH *bh;
    int *done;
} Hammer;

static void *hammer_thread(void *opaque)
{
    Hammer *h = opaque;

    for (int i = 0; i < 250; i++) {
        qemu_bh_schedule(h->bh);
    }
    __atomic_add_fetch(h->done, 1, __ATOMIC_RELEASE);
    qemu_notify_event();
    return NULL;
}

static void after_timeout(void *opaque)
{
    *(bool *)opaque = true;
}

static void test_bh_many_threads_no_spin(void **state)
{
    int count = 0, done = 0, iterations = 0;
    QEMUBH *bh = qemu_bh_new(count_cb, &count);
    Hammer h = { bh, &done };
    pthread_t threads[4];
    bool timer_fired = false;
    QEMUTimer *timer;
    Watchdog w;

    for (int i = 0; i < 4; i++) {
        pthread_create(&threads[i], NULL, hammer_thread, &h);
    }
    assert_true(run_until_count(&done, 4));
    for (int i = 0; i < 4; i++) {
        pthread_join(threads[i], NULL);
    }
    run_nonblocking(2);
    assert_true(count >= 1);
    assert_true(count <= 1000);

    /*
     * Nothing is scheduled any more: a blocking wait must sleep until the
     * timer, not return again and again.
     */
    int before = count;
    timer = timer_new_ms(QEMU_CLOCK_REALTIME, after_timeout, &timer_fired);
    timer_mod(timer, qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + 50);
    watchdog_start(&w, WATCHDOG_MS);
    while (!timer_fired && !watchdog_fired(&w)) {
        main_loop_wait(false);
        iterations++;
    }
    watchdog_stop(&w);
    assert_true(timer_fired);
    assert_true(iterations <= 3);
    assert_int_equal(count, before);
    timer_free(timer);
    qemu_bh_delete(bh);
}

/* ---- fd handlers ---- */

typedef struct PipeReader {
    int fd;
    char buf[64];
    size_t len;
    int calls;
} PipeReader;

static void pipe_read_cb(void *opaque)
{
    PipeReader *r = opaque;
    ssize_t n = read(r->fd, r->buf + r->len, sizeof(r->buf) - 1 - r->len);

    r->calls++;
    if (n > 0) {
        r->len += n;
        r->buf[r->len] = '\0';
    }
}

typedef struct DelayedWrite {
    int fd;
    const char *text;
} DelayedWrite;

static void *write_after_delay(void *opaque)
{
    DelayedWrite *d = opaque;

    sleep_ms(30);
    /* Not a cmocka assert: those only work in the test's own thread. */
    if (write(d->fd, d->text, strlen(d->text)) != (ssize_t)strlen(d->text)) {
        abort();
    }
    return NULL;
}

static void test_fd_handler_reads_pipe(void **state)
{
    int fds[2];
    PipeReader r = { 0 };
    DelayedWrite d;
    pthread_t thread;
    Watchdog w;

    assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
    r.fd = fds[0];
    qemu_set_fd_handler(fds[0], pipe_read_cb, NULL, &r);
    run_nonblocking(1);
    assert_int_equal(r.calls, 0);

    d = (DelayedWrite) { fds[1], "hello" };
    pthread_create(&thread, NULL, write_after_delay, &d);
    watchdog_start(&w, WATCHDOG_MS);
    while (r.len < 5 && !watchdog_fired(&w)) {
        main_loop_wait(false);
    }
    assert_false(watchdog_fired(&w));
    watchdog_stop(&w);
    pthread_join(thread, NULL);
    assert_string_equal(r.buf, "hello");

    /* Removed: data arriving later is not read. */
    qemu_set_fd_handler(fds[0], NULL, NULL, NULL);
    assert_int_equal(write(fds[1], "x", 1), 1);
    int calls = r.calls;
    run_nonblocking(2);
    assert_int_equal(r.calls, calls);
    close(fds[0]);
    close(fds[1]);
}

typedef struct SelfRemover {
    int fd;
    int other_fd;
    int calls;
} SelfRemover;

static void remove_self_and_other_cb(void *opaque)
{
    SelfRemover *s = opaque;

    s->calls++;
    qemu_set_fd_handler(s->fd, NULL, NULL, NULL);
    qemu_set_fd_handler(s->other_fd, NULL, NULL, NULL);
}

static void test_fd_handler_removes_itself(void **state)
{
    int a[2], b[2];
    SelfRemover ra, rb;

    assert_int_equal(pipe2(a, O_NONBLOCK), 0);
    assert_int_equal(pipe2(b, O_NONBLOCK), 0);
    ra = (SelfRemover) { a[0], b[0], 0 };
    rb = (SelfRemover) { b[0], a[0], 0 };
    qemu_set_fd_handler(a[0], remove_self_and_other_cb, NULL, &ra);
    qemu_set_fd_handler(b[0], remove_self_and_other_cb, NULL, &rb);
    assert_int_equal(write(a[1], "1", 1), 1);
    assert_int_equal(write(b[1], "2", 1), 1);

    /*
     * Both are ready in the same poll; whichever runs first removes both,
     * so the other must not run (and nothing may touch freed memory).
     */
    assert_int_equal(main_loop_wait(true), 1);
    assert_int_equal(ra.calls + rb.calls, 1);
    run_nonblocking(3);
    assert_int_equal(ra.calls + rb.calls, 1);

    /* The fd can be registered again afterwards. */
    PipeReader r = { .fd = a[0] };
    qemu_set_fd_handler(a[0], pipe_read_cb, NULL, &r);
    run_nonblocking(1);
    assert_string_equal(r.buf, "1");
    qemu_set_fd_handler(a[0], NULL, NULL, NULL);
    close(a[0]);
    close(a[1]);
    close(b[0]);
    close(b[1]);
}

static void write_ready_cb(void *opaque)
{
    SelfRemover *s = opaque;

    s->calls++;
    qemu_set_fd_handler(s->fd, NULL, NULL, NULL);
}

static void test_fd_write_handler(void **state)
{
    int fds[2];
    SelfRemover s;

    assert_int_equal(pipe2(fds, O_NONBLOCK), 0);
    s = (SelfRemover) { fds[1], -1, 0 };
    qemu_set_fd_handler(fds[1], NULL, write_ready_cb, &s);
    run_nonblocking(3);
    assert_int_equal(s.calls, 1);
    close(fds[0]);
    close(fds[1]);
}

/* ---- event notifier ---- */

static void *notify_after_delay(void *opaque)
{
    sleep_ms(30);
    __atomic_store_n((int *)opaque, 1, __ATOMIC_RELEASE);
    qemu_notify_event();
    return NULL;
}

static void test_notify_event_wakes_poll(void **state)
{
    int notified = 0;
    pthread_t thread;
    Watchdog w;

    assert_int_equal(timerlist_deadline_ns(), -1);
    run_nonblocking(2);     /* consume stale wake-ups from earlier tests */
    pthread_create(&thread, NULL, notify_after_delay, &notified);
    watchdog_start(&w, WATCHDOG_MS);
    while (!__atomic_load_n(&notified, __ATOMIC_ACQUIRE) &&
           !watchdog_fired(&w)) {
        assert_int_equal(main_loop_wait(false), 0);
    }
    assert_false(watchdog_fired(&w));
    watchdog_stop(&w);
    pthread_join(thread, NULL);
}

/* ---- BQL ---- */

typedef struct CondTest {
    pthread_cond_t cond;
    bool flag;
    bool other_saw_locked;
} CondTest;

static void *bql_thread(void *opaque)
{
    CondTest *c = opaque;

    /* The main thread holds the BQL, but not this thread. */
    c->other_saw_locked = bql_locked();
    bql_lock();
    c->flag = true;
    pthread_cond_signal(&c->cond);
    bql_unlock();
    return NULL;
}

static void test_bql(void **state)
{
    CondTest c = { .cond = PTHREAD_COND_INITIALIZER };
    pthread_t thread;
    int count = 0;
    QEMUBH *bh = qemu_bh_new(count_cb, &count);

    assert_false(bql_locked());
    bql_lock();
    assert_true(bql_locked());

    pthread_create(&thread, NULL, bql_thread, &c);
    while (!c.flag) {
        bql_cond_wait(&c.cond);
        assert_true(bql_locked());
    }
    pthread_join(thread, NULL);
    assert_false(c.other_saw_locked);

    /* main_loop_wait keeps a caller's BQL held on return. */
    qemu_bh_schedule(bh);
    assert_int_equal(main_loop_wait(true), 1);
    assert_true(bql_locked());
    bql_unlock();
    assert_false(bql_locked());
    qemu_bh_delete(bh);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_bh_from_thread_wakes_poll),
        cmocka_unit_test(test_bh_runs_once_per_schedule),
        cmocka_unit_test(test_bh_delete_and_schedule_from_callback),
        cmocka_unit_test(test_bh_many_threads_no_spin),
        cmocka_unit_test(test_fd_handler_reads_pipe),
        cmocka_unit_test(test_fd_handler_removes_itself),
        cmocka_unit_test(test_fd_write_handler),
        cmocka_unit_test(test_notify_event_wakes_poll),
        cmocka_unit_test(test_bql),
    };

    main_loop_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
