/*
 * VM run state, state change handlers, vm_start/vm_stop and the system
 * requests carried out by the main loop (see include/system/runstate.h).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/runstate.h"
#include "system/main-loop.h"
#include "system/timer.h"

static const char *const runstate_names[RUN_STATE__MAX] = {
    [RUN_STATE_DEBUG] = "debug",
    [RUN_STATE_INMIGRATE] = "inmigrate",
    [RUN_STATE_INTERNAL_ERROR] = "internal-error",
    [RUN_STATE_IO_ERROR] = "io-error",
    [RUN_STATE_PAUSED] = "paused",
    [RUN_STATE_POSTMIGRATE] = "postmigrate",
    [RUN_STATE_PRELAUNCH] = "prelaunch",
    [RUN_STATE_FINISH_MIGRATE] = "finish-migrate",
    [RUN_STATE_RESTORE_VM] = "restore-vm",
    [RUN_STATE_RUNNING] = "running",
    [RUN_STATE_SAVE_VM] = "save-vm",
    [RUN_STATE_SHUTDOWN] = "shutdown",
    [RUN_STATE_SUSPENDED] = "suspended",
    [RUN_STATE_WATCHDOG] = "watchdog",
    [RUN_STATE_GUEST_PANICKED] = "guest-panicked",
    [RUN_STATE_COLO] = "colo",
};

static const char *const shutdown_cause_names[SHUTDOWN_CAUSE__MAX] = {
    [SHUTDOWN_CAUSE_NONE] = "none",
    [SHUTDOWN_CAUSE_HOST_ERROR] = "host-error",
    [SHUTDOWN_CAUSE_HOST_QMP_QUIT] = "host-qmp-quit",
    [SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET] = "host-qmp-system-reset",
    [SHUTDOWN_CAUSE_HOST_SIGNAL] = "host-signal",
    [SHUTDOWN_CAUSE_HOST_UI] = "host-ui",
    [SHUTDOWN_CAUSE_GUEST_SHUTDOWN] = "guest-shutdown",
    [SHUTDOWN_CAUSE_GUEST_RESET] = "guest-reset",
    [SHUTDOWN_CAUSE_GUEST_PANIC] = "guest-panic",
    [SHUTDOWN_CAUSE_SUBSYSTEM_RESET] = "subsystem-reset",
    [SHUTDOWN_CAUSE_SNAPSHOT_LOAD] = "snapshot-load",
};

typedef struct RunStateTransition {
    RunState from;
    RunState to;
} RunStateTransition;

/* QEMU's runstate_transitions_def (system/runstate.c, QEMU 9.x). */
static const RunStateTransition runstate_transitions[] = {
    { RUN_STATE_PRELAUNCH, RUN_STATE_INMIGRATE },
    { RUN_STATE_PRELAUNCH, RUN_STATE_SUSPENDED },
    { RUN_STATE_PRELAUNCH, RUN_STATE_RUNNING },
    { RUN_STATE_PRELAUNCH, RUN_STATE_FINISH_MIGRATE },

    { RUN_STATE_DEBUG, RUN_STATE_RUNNING },
    { RUN_STATE_DEBUG, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_DEBUG, RUN_STATE_PRELAUNCH },
    { RUN_STATE_DEBUG, RUN_STATE_SUSPENDED },

    { RUN_STATE_INMIGRATE, RUN_STATE_INTERNAL_ERROR },
    { RUN_STATE_INMIGRATE, RUN_STATE_IO_ERROR },
    { RUN_STATE_INMIGRATE, RUN_STATE_PAUSED },
    { RUN_STATE_INMIGRATE, RUN_STATE_RUNNING },
    { RUN_STATE_INMIGRATE, RUN_STATE_SHUTDOWN },
    { RUN_STATE_INMIGRATE, RUN_STATE_SUSPENDED },
    { RUN_STATE_INMIGRATE, RUN_STATE_WATCHDOG },
    { RUN_STATE_INMIGRATE, RUN_STATE_GUEST_PANICKED },
    { RUN_STATE_INMIGRATE, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_INMIGRATE, RUN_STATE_PRELAUNCH },
    { RUN_STATE_INMIGRATE, RUN_STATE_POSTMIGRATE },
    { RUN_STATE_INMIGRATE, RUN_STATE_COLO },

    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_PAUSED },
    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_INTERNAL_ERROR, RUN_STATE_PRELAUNCH },

    { RUN_STATE_IO_ERROR, RUN_STATE_RUNNING },
    { RUN_STATE_IO_ERROR, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_IO_ERROR, RUN_STATE_PRELAUNCH },

    { RUN_STATE_PAUSED, RUN_STATE_RUNNING },
    { RUN_STATE_PAUSED, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_PAUSED, RUN_STATE_POSTMIGRATE },
    { RUN_STATE_PAUSED, RUN_STATE_PRELAUNCH },
    { RUN_STATE_PAUSED, RUN_STATE_COLO },
    { RUN_STATE_PAUSED, RUN_STATE_SUSPENDED },

    { RUN_STATE_POSTMIGRATE, RUN_STATE_RUNNING },
    { RUN_STATE_POSTMIGRATE, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_POSTMIGRATE, RUN_STATE_PRELAUNCH },

    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_RUNNING },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_PAUSED },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_POSTMIGRATE },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_PRELAUNCH },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_COLO },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_INTERNAL_ERROR },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_IO_ERROR },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_SHUTDOWN },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_SUSPENDED },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_WATCHDOG },
    { RUN_STATE_FINISH_MIGRATE, RUN_STATE_GUEST_PANICKED },

    { RUN_STATE_RESTORE_VM, RUN_STATE_RUNNING },
    { RUN_STATE_RESTORE_VM, RUN_STATE_PRELAUNCH },
    { RUN_STATE_RESTORE_VM, RUN_STATE_SUSPENDED },

    { RUN_STATE_COLO, RUN_STATE_RUNNING },
    { RUN_STATE_COLO, RUN_STATE_PRELAUNCH },
    { RUN_STATE_COLO, RUN_STATE_SHUTDOWN },

    { RUN_STATE_RUNNING, RUN_STATE_DEBUG },
    { RUN_STATE_RUNNING, RUN_STATE_INTERNAL_ERROR },
    { RUN_STATE_RUNNING, RUN_STATE_IO_ERROR },
    { RUN_STATE_RUNNING, RUN_STATE_PAUSED },
    { RUN_STATE_RUNNING, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_RUNNING, RUN_STATE_RESTORE_VM },
    { RUN_STATE_RUNNING, RUN_STATE_SAVE_VM },
    { RUN_STATE_RUNNING, RUN_STATE_SHUTDOWN },
    { RUN_STATE_RUNNING, RUN_STATE_WATCHDOG },
    { RUN_STATE_RUNNING, RUN_STATE_GUEST_PANICKED },
    { RUN_STATE_RUNNING, RUN_STATE_COLO },
    { RUN_STATE_RUNNING, RUN_STATE_SUSPENDED },

    { RUN_STATE_SAVE_VM, RUN_STATE_RUNNING },
    { RUN_STATE_SAVE_VM, RUN_STATE_SUSPENDED },

    { RUN_STATE_SHUTDOWN, RUN_STATE_PAUSED },
    { RUN_STATE_SHUTDOWN, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_SHUTDOWN, RUN_STATE_PRELAUNCH },
    { RUN_STATE_SHUTDOWN, RUN_STATE_COLO },

    { RUN_STATE_SUSPENDED, RUN_STATE_RUNNING },
    { RUN_STATE_SUSPENDED, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_SUSPENDED, RUN_STATE_PRELAUNCH },
    { RUN_STATE_SUSPENDED, RUN_STATE_COLO },
    { RUN_STATE_SUSPENDED, RUN_STATE_PAUSED },
    { RUN_STATE_SUSPENDED, RUN_STATE_SAVE_VM },
    { RUN_STATE_SUSPENDED, RUN_STATE_RESTORE_VM },
    { RUN_STATE_SUSPENDED, RUN_STATE_SHUTDOWN },

    { RUN_STATE_WATCHDOG, RUN_STATE_RUNNING },
    { RUN_STATE_WATCHDOG, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_WATCHDOG, RUN_STATE_PRELAUNCH },
    { RUN_STATE_WATCHDOG, RUN_STATE_COLO },

    { RUN_STATE_GUEST_PANICKED, RUN_STATE_RUNNING },
    { RUN_STATE_GUEST_PANICKED, RUN_STATE_FINISH_MIGRATE },
    { RUN_STATE_GUEST_PANICKED, RUN_STATE_PRELAUNCH },
};

struct VMChangeStateEntry {
    VMChangeStateHandler *cb;
    void *opaque;
    int priority;
    VMChangeStateEntry *prev, *next;
};

/*
 * Requests are written by any thread (and qemu_system_killed by a signal
 * handler), so they are plain ints accessed with atomics only.
 */
typedef struct Requests {
    int reset;                  /* ShutdownCause, NONE if none */
    int shutdown;               /* ShutdownCause, NONE if none */
    int powerdown;
    int debug;
    int vmstop;                 /* RunState, RUN_STATE__MAX if none */
    int exit_code;
    int signal;
    int pid;
} Requests;

/* The VM's run state is one per process, as the VM is. */
static struct {
    RunState current;
    RebootAction reboot_action;
    ShutdownAction shutdown_action;
    Requests req;
    RunstateHooks hooks;
    VMChangeStateEntry *handlers_head, *handlers_tail; /* by priority */
    NotifierList powerdown_notifiers;
    NotifierList shutdown_notifiers;
} rs = {
    .current = RUN_STATE_PRELAUNCH,
    .req.vmstop = RUN_STATE__MAX,
    .powerdown_notifiers = NOTIFIER_LIST_INITIALIZER(rs.powerdown_notifiers),
    .shutdown_notifiers = NOTIFIER_LIST_INITIALIZER(rs.shutdown_notifiers),
};

#define ATOMIC_SET(p, v) __atomic_store_n((p), (v), __ATOMIC_SEQ_CST)
#define ATOMIC_GET(p) __atomic_load_n((p), __ATOMIC_SEQ_CST)
#define ATOMIC_XCHG(p, v) __atomic_exchange_n((p), (v), __ATOMIC_SEQ_CST)

/* ---- names ---- */

const char *runstate_name(RunState state)
{
    if ((unsigned)state >= RUN_STATE__MAX) {
        return "?";
    }
    return runstate_names[state];
}

const char *shutdown_cause_name(ShutdownCause cause)
{
    if ((unsigned)cause >= SHUTDOWN_CAUSE__MAX) {
        return "?";
    }
    return shutdown_cause_names[cause];
}

RunState runstate_from_name(const char *name)
{
    for (int i = 0; i < RUN_STATE__MAX; i++) {
        if (!strcmp(runstate_names[i], name)) {
            return i;
        }
    }
    return RUN_STATE__MAX;
}

/* ---- run state ---- */

void runstate_init(void)
{
    rs.current = RUN_STATE_PRELAUNCH;
    rs.reboot_action = REBOOT_ACTION_RESET;
    rs.shutdown_action = SHUTDOWN_ACTION_POWEROFF;
    ATOMIC_SET(&rs.req.reset, SHUTDOWN_CAUSE_NONE);
    ATOMIC_SET(&rs.req.shutdown, SHUTDOWN_CAUSE_NONE);
    ATOMIC_SET(&rs.req.powerdown, 0);
    ATOMIC_SET(&rs.req.debug, 0);
    ATOMIC_SET(&rs.req.vmstop, RUN_STATE__MAX);
    ATOMIC_SET(&rs.req.exit_code, EXIT_SUCCESS);
    ATOMIC_SET(&rs.req.signal, 0);
    ATOMIC_SET(&rs.req.pid, 0);
    /* Guest time starts with the VM, not before. */
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
}

RunState runstate_get(void)
{
    return rs.current;
}

bool runstate_check(RunState state)
{
    return rs.current == state;
}

bool runstate_is_running(void)
{
    return runstate_check(RUN_STATE_RUNNING);
}

bool runstate_needs_reset(void)
{
    return runstate_check(RUN_STATE_INTERNAL_ERROR) ||
           runstate_check(RUN_STATE_SHUTDOWN);
}

bool runstate_transition_valid(RunState from, RunState to)
{
    for (size_t i = 0; i < ARRAY_SIZE(runstate_transitions); i++) {
        if (runstate_transitions[i].from == from &&
            runstate_transitions[i].to == to) {
            return true;
        }
    }
    return false;
}

bool runstate_set(RunState new_state)
{
    if ((unsigned)new_state >= RUN_STATE__MAX) {
        error_report("invalid runstate %d", (int)new_state);
        return false;
    }
    if (rs.current == new_state) {
        return true;
    }
    /* QEMU aborts here; we refuse so that no request can crash us. */
    if (!runstate_transition_valid(rs.current, new_state)) {
        error_report("invalid runstate transition: '%s' -> '%s'",
                     runstate_name(rs.current), runstate_name(new_state));
        return false;
    }
    rs.current = new_state;
    return true;
}

/* ---- hooks ---- */

void runstate_set_hooks(const RunstateHooks *hooks)
{
    if (!hooks) {
        memset(&rs.hooks, 0, sizeof(rs.hooks));
        return;
    }
    if (hooks->pause_all_vcpus) {
        rs.hooks.pause_all_vcpus = hooks->pause_all_vcpus;
    }
    if (hooks->resume_all_vcpus) {
        rs.hooks.resume_all_vcpus = hooks->resume_all_vcpus;
    }
    if (hooks->system_reset) {
        rs.hooks.system_reset = hooks->system_reset;
    }
    if (hooks->cpu_stop_current) {
        rs.hooks.cpu_stop_current = hooks->cpu_stop_current;
    }
    if (hooks->emit_event) {
        rs.hooks.emit_event = hooks->emit_event;
    }
}

static void pause_all_vcpus(void)
{
    if (rs.hooks.pause_all_vcpus) {
        rs.hooks.pause_all_vcpus();
    }
}

static void resume_all_vcpus(void)
{
    if (rs.hooks.resume_all_vcpus) {
        rs.hooks.resume_all_vcpus();
    }
}

static void cpu_stop_current(void)
{
    if (rs.hooks.cpu_stop_current) {
        rs.hooks.cpu_stop_current();
    }
}

static void emit_event(const char *name)
{
    RunstateEvent ev = { .name = name };

    if (rs.hooks.emit_event) {
        rs.hooks.emit_event(&ev);
    }
}

static void emit_cause_event(const char *name, ShutdownCause cause)
{
    RunstateEvent ev = {
        .name = name,
        .has_cause = true,
        .guest = shutdown_caused_by_guest(cause),
        .reason = shutdown_cause_name(cause),
    };

    if (rs.hooks.emit_event) {
        rs.hooks.emit_event(&ev);
    }
}

/* ---- state change handlers ---- */

VMChangeStateEntry *qemu_add_vm_change_state_handler_prio(
    VMChangeStateHandler *cb, void *opaque, int priority)
{
    VMChangeStateEntry *e = xnew(VMChangeStateEntry);
    VMChangeStateEntry *other;

    e->cb = cb;
    e->opaque = opaque;
    e->priority = priority;

    /* Keep ascending priority; equal priorities in registration order. */
    for (other = rs.handlers_head; other; other = other->next) {
        if (priority < other->priority) {
            break;
        }
    }
    e->next = other;
    e->prev = other ? other->prev : rs.handlers_tail;
    if (e->prev) {
        e->prev->next = e;
    } else {
        rs.handlers_head = e;
    }
    if (other) {
        other->prev = e;
    } else {
        rs.handlers_tail = e;
    }
    return e;
}

VMChangeStateEntry *qemu_add_vm_change_state_handler(VMChangeStateHandler *cb,
                                                     void *opaque)
{
    return qemu_add_vm_change_state_handler_prio(cb, opaque, 0);
}

void qemu_del_vm_change_state_handler(VMChangeStateEntry *e)
{
    if (!e) {
        return;
    }
    if (e->prev) {
        e->prev->next = e->next;
    } else {
        rs.handlers_head = e->next;
    }
    if (e->next) {
        e->next->prev = e->prev;
    } else {
        rs.handlers_tail = e->prev;
    }
    free(e);
}

/* A handler may delete itself (the walk saves the neighbour first). */
void vm_state_notify(bool running, RunState state)
{
    VMChangeStateEntry *e, *next;

    if (running) {
        for (e = rs.handlers_head; e; e = next) {
            next = e->next;
            e->cb(e->opaque, running, state);
        }
    } else {
        for (e = rs.handlers_tail; e; e = next) {
            next = e->prev;
            e->cb(e->opaque, running, state);
        }
    }
}

/* ---- vm_start / vm_stop ---- */

int vm_start(void)
{
    RunState requested = ATOMIC_XCHG(&rs.req.vmstop, RUN_STATE__MAX);

    if (runstate_is_running()) {
        /*
         * A vmstop request raced with us and lost: still pair its STOP
         * with a RESUME, as QEMU does, so clients see both.
         */
        if (requested != RUN_STATE__MAX) {
            emit_event("STOP");
            emit_event("RESUME");
        }
        return 0;
    }
    if (!runstate_transition_valid(rs.current, RUN_STATE_RUNNING)) {
        error_report("cannot start the VM from state '%s'%s",
                     runstate_name(rs.current),
                     runstate_needs_reset() ? ": it needs a system reset" : "");
        return -1;
    }
    emit_event("RESUME");
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    runstate_set(RUN_STATE_RUNNING);
    vm_state_notify(true, RUN_STATE_RUNNING);
    resume_all_vcpus();
    return 0;
}

static int do_vm_stop(RunState state)
{
    if (state == RUN_STATE_RUNNING) {
        error_report("cannot stop the VM into state 'running'");
        return -1;
    }
    if (!runstate_is_running()) {
        return 0;
    }
    if (!runstate_set(state)) {
        return -1;
    }
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    pause_all_vcpus();
    vm_state_notify(false, state);
    emit_event("STOP");
    return 0;
}

int vm_stop(RunState state)
{
    if (!qemu_in_main_thread()) {
        /* vCPU and I/O threads may not pause everyone: ask the loop. */
        qemu_system_vmstop_request(state);
        cpu_stop_current();
        return 0;
    }
    return do_vm_stop(state);
}

int vm_stop_force_state(RunState state)
{
    if (runstate_is_running()) {
        return vm_stop(state);
    }
    return runstate_set(state) ? 0 : -1;
}

/* ---- requests ---- */

void qemu_set_reboot_action(RebootAction action)
{
    rs.reboot_action = action;
}

void qemu_set_shutdown_action(ShutdownAction action)
{
    rs.shutdown_action = action;
}

void qemu_system_reset_request(ShutdownCause cause)
{
    if (rs.reboot_action == REBOOT_ACTION_SHUTDOWN &&
        cause != SHUTDOWN_CAUSE_SUBSYSTEM_RESET) {
        /* -no-reboot: same cause, so the SHUTDOWN event says guest-reset. */
        ATOMIC_SET(&rs.req.shutdown, cause);
    } else {
        ATOMIC_SET(&rs.req.reset, cause);
    }
    cpu_stop_current();
    qemu_notify_event();
}

void qemu_system_shutdown_request(ShutdownCause cause)
{
    ATOMIC_SET(&rs.req.shutdown, cause);
    qemu_notify_event();
}

void qemu_system_shutdown_request_with_code(ShutdownCause cause,
                                            int exit_code)
{
    ATOMIC_SET(&rs.req.exit_code, exit_code);
    qemu_system_shutdown_request(cause);
}

void qemu_system_powerdown_request(void)
{
    ATOMIC_SET(&rs.req.powerdown, 1);
    qemu_notify_event();
}

void qemu_system_vmstop_request(RunState state)
{
    ATOMIC_SET(&rs.req.vmstop, state);
    qemu_notify_event();
}

void qemu_system_debug_request(void)
{
    ATOMIC_SET(&rs.req.debug, 1);
    qemu_notify_event();
}

void qemu_system_killed(int signal, pid_t pid)
{
    ATOMIC_SET(&rs.req.signal, signal);
    ATOMIC_SET(&rs.req.pid, (int)pid);
    ATOMIC_SET(&rs.req.shutdown, SHUTDOWN_CAUSE_HOST_SIGNAL);
    qemu_notify_event();
}

ShutdownCause qemu_shutdown_requested_get(void)
{
    return ATOMIC_GET(&rs.req.shutdown);
}

ShutdownCause qemu_reset_requested_get(void)
{
    return ATOMIC_GET(&rs.req.reset);
}

void qemu_register_powerdown_notifier(Notifier *notifier)
{
    notifier_list_add(&rs.powerdown_notifiers, notifier);
}

void qemu_register_shutdown_notifier(Notifier *notifier)
{
    notifier_list_add(&rs.shutdown_notifiers, notifier);
}

/* ---- carrying requests out ---- */

void qemu_system_reset(ShutdownCause cause)
{
    if (rs.hooks.system_reset) {
        rs.hooks.system_reset(cause);
    }
    switch (cause) {
    case SHUTDOWN_CAUSE_NONE:
    case SHUTDOWN_CAUSE_SUBSYSTEM_RESET:
    case SHUTDOWN_CAUSE_SNAPSHOT_LOAD:
        break;
    default:
        emit_cause_event("RESET", cause);
    }
}

static void kill_report(void)
{
    int signal = ATOMIC_XCHG(&rs.req.signal, 0);
    int pid = ATOMIC_XCHG(&rs.req.pid, 0);

    if (!signal) {
        return;
    }
    /* pid 0: ^C at the terminal, where "from pid 0" would only confuse. */
    if (pid) {
        error_report("terminating on signal %d from pid %d", signal, pid);
    } else {
        error_report("terminating on signal %d", signal);
    }
}

static void system_shutdown(ShutdownCause cause)
{
    emit_cause_event("SHUTDOWN", cause);
    notifier_list_notify(&rs.shutdown_notifiers, &cause);
}

/* quit and signals end the process even under -no-shutdown, as in QEMU. */
static bool shutdown_forces_exit(ShutdownCause cause)
{
    return cause == SHUTDOWN_CAUSE_HOST_QMP_QUIT ||
           cause == SHUTDOWN_CAUSE_HOST_SIGNAL;
}

bool main_loop_should_exit(int *status)
{
    ShutdownCause request;
    int vmstop;

    if (ATOMIC_XCHG(&rs.req.debug, 0)) {
        vm_stop(RUN_STATE_DEBUG);
    }
    /* Suspend requests (S3) are not supported yet. */

    request = ATOMIC_XCHG(&rs.req.shutdown, SHUTDOWN_CAUSE_NONE);
    if (request) {
        kill_report();
        system_shutdown(request);
        if (rs.shutdown_action == SHUTDOWN_ACTION_PAUSE &&
            !shutdown_forces_exit(request)) {
            vm_stop(RUN_STATE_SHUTDOWN);
        } else {
            int code = ATOMIC_GET(&rs.req.exit_code);

            if (code != EXIT_SUCCESS) {
                *status = code;
            }
            return true;
        }
    }

    request = ATOMIC_XCHG(&rs.req.reset, SHUTDOWN_CAUSE_NONE);
    if (request) {
        pause_all_vcpus();
        qemu_system_reset(request);
        resume_all_vcpus();
        /*
         * A reset VM that is not running starts over from prelaunch
         * (after -no-shutdown's "shutdown", `cont` works again).
         */
        if (!runstate_check(RUN_STATE_RUNNING) &&
            !runstate_check(RUN_STATE_INMIGRATE) &&
            !runstate_check(RUN_STATE_FINISH_MIGRATE)) {
            runstate_set(RUN_STATE_PRELAUNCH);
        }
    }

    if (ATOMIC_XCHG(&rs.req.powerdown, 0)) {
        emit_event("POWERDOWN");
        notifier_list_notify(&rs.powerdown_notifiers, NULL);
    }

    vmstop = ATOMIC_XCHG(&rs.req.vmstop, RUN_STATE__MAX);
    if (vmstop < RUN_STATE__MAX) {
        vm_stop(vmstop);
    }
    return false;
}

int qemu_main_loop(void)
{
    int status = EXIT_SUCCESS;
    bool was_locked = bql_locked();

    if (!was_locked) {
        bql_lock();
    }
    while (!main_loop_should_exit(&status)) {
        main_loop_wait(false);
    }
    if (!was_locked) {
        bql_unlock();
    }
    return status;
}
