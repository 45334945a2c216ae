/*
 * Unit tests for system/runstate.c: the transition table, vm_start/vm_stop
 * and state change handlers, and system requests carried out by the main
 * loop (-no-reboot, -no-shutdown, requests from other threads).
 */
#include "test.h"
#include "util/osdep.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "system/timer.h"
#include "loop-watchdog.h"

#define WATCHDOG_MS 5000

/* What the hooks saw, in order. */
typedef struct HookLog {
    char calls[64];             /* P=pause U=resume R=reset */
    int ncalls;
    int pause, resume, reset, stop_current;
    ShutdownCause reset_cause;
    RunstateEvent events[16];
    int nevents;
} HookLog;

static HookLog hook_log;

static void log_call(char c)
{
    if (hook_log.ncalls < (int)sizeof(hook_log.calls) - 1) {
        hook_log.calls[hook_log.ncalls++] = c;
    }
}

static void hook_pause(void)
{
    hook_log.pause++;
    log_call('P');
}

static void hook_resume(void)
{
    hook_log.resume++;
    log_call('U');
}

static void hook_reset(ShutdownCause cause)
{
    hook_log.reset++;
    hook_log.reset_cause = cause;
    log_call('R');
}

static void hook_stop_current(void)
{
    __atomic_add_fetch(&hook_log.stop_current, 1, __ATOMIC_SEQ_CST);
}

static void hook_event(const RunstateEvent *ev)
{
    if (hook_log.nevents < (int)ARRAY_SIZE(hook_log.events)) {
        hook_log.events[hook_log.nevents++] = *ev;
    }
}

static int count_events(const char *name)
{
    int n = 0;

    for (int i = 0; i < hook_log.nevents; i++) {
        n += !strcmp(hook_log.events[i].name, name);
    }
    return n;
}

static const RunstateEvent *find_event(const char *name)
{
    for (int i = 0; i < hook_log.nevents; i++) {
        if (!strcmp(hook_log.events[i].name, name)) {
            return &hook_log.events[i];
        }
    }
    return NULL;
}

static int setup(void **state)
{
    static const RunstateHooks hooks = {
        .pause_all_vcpus = hook_pause,
        .resume_all_vcpus = hook_resume,
        .system_reset = hook_reset,
        .cpu_stop_current = hook_stop_current,
        .emit_event = hook_event,
    };

    memset(&hook_log, 0, sizeof(hook_log));
    runstate_init();
    runstate_set_hooks(NULL);
    runstate_set_hooks(&hooks);
    return 0;
}

/* State change handlers record (id, running, state). */
typedef struct Change {
    int id;
    bool running;
    RunState state;
} Change;

static Change changes[32];
static int nchanges;

static void change_cb(void *opaque, bool running, RunState state)
{
    if (nchanges < (int)ARRAY_SIZE(changes)) {
        changes[nchanges++] = (Change) { (int)(intptr_t)opaque, running, state };
    }
}

/* ---- names and table ---- */

static void test_names(void **state)
{
    static const char *const states[] = {
        "debug", "inmigrate", "internal-error", "io-error", "paused",
        "postmigrate", "prelaunch", "finish-migrate", "restore-vm",
        "running", "save-vm", "shutdown", "suspended", "watchdog",
        "guest-panicked", "colo",
    };
    static const char *const causes[] = {
        "none", "host-error", "host-qmp-quit", "host-qmp-system-reset",
        "host-signal", "host-ui", "guest-shutdown", "guest-reset",
        "guest-panic", "subsystem-reset", "snapshot-load",
    };

    assert_int_equal(ARRAY_SIZE(states), RUN_STATE__MAX);
    for (int i = 0; i < RUN_STATE__MAX; i++) {
        assert_string_equal(runstate_name(i), states[i]);
        assert_int_equal(runstate_from_name(states[i]), i);
    }
    assert_int_equal(ARRAY_SIZE(causes), SHUTDOWN_CAUSE__MAX);
    for (int i = 0; i < SHUTDOWN_CAUSE__MAX; i++) {
        assert_string_equal(shutdown_cause_name(i), causes[i]);
    }
    assert_int_equal(runstate_from_name("runing"), RUN_STATE__MAX);
    assert_string_equal(runstate_name(RUN_STATE__MAX), "?");
    assert_string_equal(shutdown_cause_name(-1), "?");

    assert_false(shutdown_caused_by_guest(SHUTDOWN_CAUSE_HOST_QMP_QUIT));
    assert_false(shutdown_caused_by_guest(SHUTDOWN_CAUSE_HOST_SIGNAL));
    assert_true(shutdown_caused_by_guest(SHUTDOWN_CAUSE_GUEST_SHUTDOWN));
    assert_true(shutdown_caused_by_guest(SHUTDOWN_CAUSE_GUEST_RESET));
    assert_true(shutdown_caused_by_guest(SHUTDOWN_CAUSE_GUEST_PANIC));
}

static void test_transition_table(void **state)
{
    static const RunState valid[][2] = {
        { RUN_STATE_PRELAUNCH, RUN_STATE_RUNNING },
        { RUN_STATE_PRELAUNCH, RUN_STATE_INMIGRATE },
        { RUN_STATE_RUNNING, RUN_STATE_PAUSED },
        { RUN_STATE_RUNNING, RUN_STATE_SHUTDOWN },
        { RUN_STATE_RUNNING, RUN_STATE_SAVE_VM },
        { RUN_STATE_RUNNING, RUN_STATE_DEBUG },
        { RUN_STATE_RUNNING, RUN_STATE_GUEST_PANICKED },
        { RUN_STATE_PAUSED, RUN_STATE_RUNNING },
        { RUN_STATE_PAUSED, RUN_STATE_PRELAUNCH },
        { RUN_STATE_SAVE_VM, RUN_STATE_RUNNING },
        { RUN_STATE_SHUTDOWN, RUN_STATE_PAUSED },
        { RUN_STATE_SHUTDOWN, RUN_STATE_PRELAUNCH },
        { RUN_STATE_SHUTDOWN, RUN_STATE_FINISH_MIGRATE },
        { RUN_STATE_DEBUG, RUN_STATE_RUNNING },
        { RUN_STATE_INMIGRATE, RUN_STATE_RUNNING },
        { RUN_STATE_INMIGRATE, RUN_STATE_PAUSED },
        { RUN_STATE_FINISH_MIGRATE, RUN_STATE_POSTMIGRATE },
        { RUN_STATE_INTERNAL_ERROR, RUN_STATE_PAUSED },
        { RUN_STATE_GUEST_PANICKED, RUN_STATE_RUNNING },
        { RUN_STATE_SUSPENDED, RUN_STATE_RUNNING },
        { RUN_STATE_WATCHDOG, RUN_STATE_RUNNING },
        { RUN_STATE_COLO, RUN_STATE_RUNNING },
    };
    static const RunState invalid[][2] = {
        { RUN_STATE_SHUTDOWN, RUN_STATE_SAVE_VM },
        { RUN_STATE_SHUTDOWN, RUN_STATE_RUNNING },
        { RUN_STATE_PRELAUNCH, RUN_STATE_PAUSED },
        { RUN_STATE_PRELAUNCH, RUN_STATE_SHUTDOWN },
        { RUN_STATE_PAUSED, RUN_STATE_SHUTDOWN },
        { RUN_STATE_PAUSED, RUN_STATE_SAVE_VM },
        { RUN_STATE_SAVE_VM, RUN_STATE_PAUSED },
        { RUN_STATE_DEBUG, RUN_STATE_PAUSED },
        { RUN_STATE_INTERNAL_ERROR, RUN_STATE_RUNNING },
        { RUN_STATE_COLO, RUN_STATE_PAUSED },
        { RUN_STATE_POSTMIGRATE, RUN_STATE_PAUSED },
        { RUN_STATE_RESTORE_VM, RUN_STATE_PAUSED },
    };

    for (size_t i = 0; i < ARRAY_SIZE(valid); i++) {
        assert_true(runstate_transition_valid(valid[i][0], valid[i][1]));
    }
    for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
        assert_false(runstate_transition_valid(invalid[i][0], invalid[i][1]));
    }
    /* Nothing is reachable from a state to the same state by the table. */
    for (int s = 0; s < RUN_STATE__MAX; s++) {
        assert_false(runstate_transition_valid(s, s));
    }
}

static void test_runstate_set_refuses(void **state)
{
    assert_int_equal(runstate_get(), RUN_STATE_PRELAUNCH);
    assert_false(runstate_is_running());
    assert_true(runstate_set(RUN_STATE_RUNNING));
    assert_true(runstate_is_running());
    assert_true(runstate_set(RUN_STATE_RUNNING));   /* same: no-op */
    assert_true(runstate_set(RUN_STATE_SHUTDOWN));
    assert_true(runstate_needs_reset());

    /* Refused, and the state stays where it was. */
    assert_false(runstate_set(RUN_STATE_SAVE_VM));
    assert_true(runstate_check(RUN_STATE_SHUTDOWN));
    assert_false(runstate_set(RUN_STATE_RUNNING));
    assert_true(runstate_check(RUN_STATE_SHUTDOWN));
    assert_false(runstate_set(RUN_STATE__MAX + 3));
    assert_true(runstate_check(RUN_STATE_SHUTDOWN));

    assert_true(runstate_set(RUN_STATE_PRELAUNCH));
    assert_false(runstate_needs_reset());
}

/* ---- vm_start / vm_stop ---- */

static void test_vm_start_stop_notifiers(void **state)
{
    VMChangeStateEntry *a, *b, *c;

    nchanges = 0;
    a = qemu_add_vm_change_state_handler(change_cb, (void *)1);
    b = qemu_add_vm_change_state_handler_prio(change_cb, (void *)2, 10);
    c = qemu_add_vm_change_state_handler(change_cb, (void *)3);
    assert_false(qemu_clock_is_enabled(QEMU_CLOCK_VIRTUAL));

    assert_int_equal(vm_start(), 0);
    assert_true(runstate_is_running());
    assert_true(qemu_clock_is_enabled(QEMU_CLOCK_VIRTUAL));
    assert_int_equal(hook_log.resume, 1);
    assert_int_equal(count_events("RESUME"), 1);
    /* Starting: ascending priority, ties in registration order. */
    assert_int_equal(nchanges, 3);
    assert_int_equal(changes[0].id, 1);
    assert_int_equal(changes[1].id, 3);
    assert_int_equal(changes[2].id, 2);
    for (int i = 0; i < 3; i++) {
        assert_true(changes[i].running);
        assert_int_equal(changes[i].state, RUN_STATE_RUNNING);
    }

    /* Already running: nothing happens. */
    assert_int_equal(vm_start(), 0);
    assert_int_equal(nchanges, 3);
    assert_int_equal(hook_log.resume, 1);

    nchanges = 0;
    assert_int_equal(vm_stop(RUN_STATE_PAUSED), 0);
    assert_true(runstate_check(RUN_STATE_PAUSED));
    assert_false(qemu_clock_is_enabled(QEMU_CLOCK_VIRTUAL));
    assert_int_equal(hook_log.pause, 1);
    assert_int_equal(count_events("STOP"), 1);
    /* Stopping: the reverse order. */
    assert_int_equal(nchanges, 3);
    assert_int_equal(changes[0].id, 2);
    assert_int_equal(changes[1].id, 3);
    assert_int_equal(changes[2].id, 1);
    for (int i = 0; i < 3; i++) {
        assert_false(changes[i].running);
        assert_int_equal(changes[i].state, RUN_STATE_PAUSED);
    }

    /* Stopping a stopped VM does nothing. */
    assert_int_equal(vm_stop(RUN_STATE_PAUSED), 0);
    assert_int_equal(nchanges, 3);
    assert_int_equal(hook_log.pause, 1);

    /* A deleted handler is not called. */
    qemu_del_vm_change_state_handler(b);
    nchanges = 0;
    assert_int_equal(vm_start(), 0);
    assert_int_equal(nchanges, 2);
    assert_int_equal(vm_stop(RUN_STATE_RUNNING), -1);
    assert_true(runstate_is_running());
    qemu_del_vm_change_state_handler(a);
    qemu_del_vm_change_state_handler(c);
}

static void test_vm_stop_invalid_state_refused(void **state)
{
    assert_int_equal(vm_start(), 0);
    /* running -> postmigrate is not in the table. */
    assert_int_equal(vm_stop(RUN_STATE_POSTMIGRATE), -1);
    assert_true(runstate_is_running());
    assert_true(qemu_clock_is_enabled(QEMU_CLOCK_VIRTUAL));
    assert_int_equal(hook_log.pause, 0);

    assert_int_equal(vm_stop(RUN_STATE_PAUSED), 0);
    assert_int_equal(vm_stop_force_state(RUN_STATE_FINISH_MIGRATE), 0);
    assert_true(runstate_check(RUN_STATE_FINISH_MIGRATE));
}

/* ---- requests ---- */

static void test_reset_request(void **state)
{
    int status = -1;
    const RunstateEvent *ev;

    assert_int_equal(vm_start(), 0);
    qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_GUEST_RESET);
    assert_int_equal(hook_log.stop_current, 1);

    assert_false(main_loop_should_exit(&status));
    assert_int_equal(status, -1);
    assert_string_equal(hook_log.calls, "UPRU");   /* start, then P R U */
    assert_int_equal(hook_log.reset_cause, SHUTDOWN_CAUSE_GUEST_RESET);
    ev = find_event("RESET");
    assert_non_null(ev);
    assert_true(ev->has_cause);
    assert_true(ev->guest);
    assert_string_equal(ev->reason, "guest-reset");
    assert_true(runstate_is_running());

    /* Handled once. */
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(hook_log.reset, 1);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_NONE);

    /* A subsystem reset sends no event; reset while paused -> prelaunch. */
    assert_int_equal(vm_stop(RUN_STATE_PAUSED), 0);
    qemu_system_reset_request(SHUTDOWN_CAUSE_SUBSYSTEM_RESET);
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(hook_log.reset, 2);
    assert_int_equal(count_events("RESET"), 1);
    assert_true(runstate_check(RUN_STATE_PRELAUNCH));
}

static void test_no_reboot_turns_reset_into_shutdown(void **state)
{
    int status = EXIT_SUCCESS;
    const RunstateEvent *ev;

    qemu_set_reboot_action(REBOOT_ACTION_SHUTDOWN);
    assert_int_equal(vm_start(), 0);
    qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_NONE);
    assert_int_equal(qemu_shutdown_requested_get(),
                     SHUTDOWN_CAUSE_GUEST_RESET);

    assert_true(main_loop_should_exit(&status));
    assert_int_equal(status, EXIT_SUCCESS);
    assert_int_equal(hook_log.reset, 0);
    ev = find_event("SHUTDOWN");
    assert_non_null(ev);
    assert_true(ev->guest);
    assert_string_equal(ev->reason, "guest-reset");

    /* subsystem-reset ignores -no-reboot, as in QEMU. */
    qemu_system_reset_request(SHUTDOWN_CAUSE_SUBSYSTEM_RESET);
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(hook_log.reset, 1);
}

static int shutdown_notified;
static ShutdownCause shutdown_notified_cause;

static void shutdown_notify(Notifier *n, void *data)
{
    shutdown_notified++;
    shutdown_notified_cause = *(ShutdownCause *)data;
}

static void test_no_shutdown_pauses(void **state)
{
    static Notifier notifier = { .notify = shutdown_notify };
    int status = EXIT_SUCCESS;
    VMChangeStateEntry *e;
    const RunstateEvent *ev;

    qemu_register_shutdown_notifier(&notifier);
    qemu_set_shutdown_action(SHUTDOWN_ACTION_PAUSE);
    assert_int_equal(vm_start(), 0);
    nchanges = 0;
    e = qemu_add_vm_change_state_handler(change_cb, (void *)7);

    qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    assert_false(main_loop_should_exit(&status));
    assert_true(runstate_check(RUN_STATE_SHUTDOWN));
    assert_false(qemu_clock_is_enabled(QEMU_CLOCK_VIRTUAL));
    assert_int_equal(hook_log.pause, 1);
    ev = find_event("SHUTDOWN");
    assert_non_null(ev);
    assert_true(ev->guest);
    assert_string_equal(ev->reason, "guest-shutdown");
    assert_int_equal(shutdown_notified, 1);
    assert_int_equal(shutdown_notified_cause, SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    assert_int_equal(nchanges, 1);
    assert_false(changes[0].running);
    assert_int_equal(changes[0].state, RUN_STATE_SHUTDOWN);

    /* `cont` is refused until a system_reset. */
    assert_int_equal(vm_start(), -1);
    assert_true(runstate_check(RUN_STATE_SHUTDOWN));
    qemu_system_reset_request(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    assert_false(main_loop_should_exit(&status));
    assert_true(runstate_check(RUN_STATE_PRELAUNCH));
    ev = find_event("RESET");
    assert_non_null(ev);
    assert_false(ev->guest);
    assert_int_equal(vm_start(), 0);

    /* quit ends the process even under -no-shutdown. */
    qemu_system_shutdown_request_with_code(SHUTDOWN_CAUSE_HOST_QMP_QUIT, 3);
    assert_true(main_loop_should_exit(&status));
    assert_int_equal(status, 3);

    qemu_del_vm_change_state_handler(e);
    notifier_remove(&notifier);
}

static int powerdowns;

static void powerdown_notify(Notifier *n, void *data)
{
    powerdowns++;
}

static void test_debug_and_powerdown(void **state)
{
    static Notifier notifier = { .notify = powerdown_notify };
    int status = EXIT_SUCCESS;

    powerdowns = 0;
    qemu_register_powerdown_notifier(&notifier);
    assert_int_equal(vm_start(), 0);
    qemu_system_debug_request();
    qemu_system_powerdown_request();
    assert_false(main_loop_should_exit(&status));
    assert_true(runstate_check(RUN_STATE_DEBUG));
    assert_int_equal(powerdowns, 1);
    assert_int_equal(count_events("POWERDOWN"), 1);
    assert_false(main_loop_should_exit(&status));
    assert_int_equal(powerdowns, 1);
    notifier_remove(&notifier);
}

typedef struct Requester {
    int vm_stop_ret;
} Requester;

static void *request_thread(void *opaque)
{
    Requester *r = opaque;

    sleep_ms(20);
    qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    qemu_system_powerdown_request();
    /* Not the main thread: becomes a request. */
    r->vm_stop_ret = vm_stop(RUN_STATE_PAUSED);
    return NULL;
}

static void test_requests_from_thread_handled_once(void **state)
{
    static Notifier notifier = { .notify = powerdown_notify };
    Requester r = { -1 };
    int status = EXIT_SUCCESS;
    pthread_t thread;
    VMChangeStateEntry *e;
    Watchdog w;

    powerdowns = 0;
    qemu_register_powerdown_notifier(&notifier);
    assert_int_equal(vm_start(), 0);
    nchanges = 0;
    e = qemu_add_vm_change_state_handler(change_cb, (void *)9);

    pthread_create(&thread, NULL, request_thread, &r);
    watchdog_start(&w, WATCHDOG_MS);
    while (!(hook_log.reset && powerdowns && runstate_check(RUN_STATE_PAUSED))
           && !watchdog_fired(&w)) {
        main_loop_wait(false);
        assert_false(main_loop_should_exit(&status));
    }
    assert_false(watchdog_fired(&w));
    watchdog_stop(&w);
    pthread_join(thread, NULL);

    for (int i = 0; i < 3; i++) {
        main_loop_wait(true);
        assert_false(main_loop_should_exit(&status));
    }
    assert_int_equal(r.vm_stop_ret, 0);
    assert_int_equal(hook_log.reset, 1);
    assert_int_equal(hook_log.reset_cause, SHUTDOWN_CAUSE_GUEST_RESET);
    assert_int_equal(powerdowns, 1);
    assert_int_equal(count_events("POWERDOWN"), 1);
    assert_int_equal(count_events("STOP"), 1);
    assert_true(hook_log.stop_current >= 2);
    assert_int_equal(nchanges, 1);
    assert_false(changes[0].running);
    assert_int_equal(changes[0].state, RUN_STATE_PAUSED);

    qemu_del_vm_change_state_handler(e);
    notifier_remove(&notifier);
}

static void *quit_thread(void *opaque)
{
    sleep_ms(20);
    qemu_system_shutdown_request_with_code(SHUTDOWN_CAUSE_HOST_QMP_QUIT, 5);
    return NULL;
}

static void *watchdog_quit(void *opaque)
{
    Watchdog *w = opaque;

    /* If the loop never saw the request, end it anyway and say so. */
    while (!watchdog_fired(w)) {
        sleep_ms(10);
        if (__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
            return NULL;
        }
    }
    qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_ERROR);
    return NULL;
}

static void test_qemu_main_loop_exits_on_request(void **state)
{
    pthread_t thread, rescuer;
    Watchdog w;
    int status;

    assert_int_equal(vm_start(), 0);
    watchdog_start(&w, WATCHDOG_MS);
    pthread_create(&rescuer, NULL, watchdog_quit, &w);
    pthread_create(&thread, NULL, quit_thread, NULL);

    status = qemu_main_loop();

    pthread_join(thread, NULL);
    assert_false(watchdog_fired(&w));
    __atomic_store_n(&w.stop, true, __ATOMIC_RELEASE);
    pthread_join(rescuer, NULL);
    watchdog_stop(&w);
    assert_int_equal(status, 5);
    assert_false(bql_locked());
    assert_int_equal(count_events("SHUTDOWN"), 1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_names, setup),
        cmocka_unit_test_setup(test_transition_table, setup),
        cmocka_unit_test_setup(test_runstate_set_refuses, setup),
        cmocka_unit_test_setup(test_vm_start_stop_notifiers, setup),
        cmocka_unit_test_setup(test_vm_stop_invalid_state_refused, setup),
        cmocka_unit_test_setup(test_reset_request, setup),
        cmocka_unit_test_setup(test_no_reboot_turns_reset_into_shutdown,
                               setup),
        cmocka_unit_test_setup(test_no_shutdown_pauses, setup),
        cmocka_unit_test_setup(test_debug_and_powerdown, setup),
        cmocka_unit_test_setup(test_requests_from_thread_handled_once, setup),
        cmocka_unit_test_setup(test_qemu_main_loop_exits_on_request, setup),
    };

    main_loop_init();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
