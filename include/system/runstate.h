/*
 * VM run state and system requests, as QEMU's runstate.
 *
 * The run state (prelaunch, running, paused, shutdown, ...) changes only
 * along QEMU's transition table; an invalid transition is refused with a
 * message instead of aborting, so no monitor command can crash the process.
 *
 * Requests (reset, shutdown, powerdown, vmstop, debug) may be raised from
 * any thread, a vCPU's included; each is recorded and the main loop wakes
 * and carries it out once, in main_loop_should_exit(), with the BQL held.
 *
 * What the main loop does about a request reaches other subsystems through
 * RunstateHooks (pausing vCPUs, resetting the machine, sending QMP events);
 * those subsystems install their hooks at start-up.  Unset hooks do nothing.
 */
#ifndef SYSTEM_RUNSTATE_H
#define SYSTEM_RUNSTATE_H

#include "util/osdep.h"
#include "util/notify.h"

/* QEMU's RunState, in QAPI order; runstate_name() gives the QAPI string. */
typedef enum RunState {
    RUN_STATE_DEBUG,
    RUN_STATE_INMIGRATE,
    RUN_STATE_INTERNAL_ERROR,
    RUN_STATE_IO_ERROR,
    RUN_STATE_PAUSED,
    RUN_STATE_POSTMIGRATE,
    RUN_STATE_PRELAUNCH,
    RUN_STATE_FINISH_MIGRATE,
    RUN_STATE_RESTORE_VM,
    RUN_STATE_RUNNING,
    RUN_STATE_SAVE_VM,
    RUN_STATE_SHUTDOWN,
    RUN_STATE_SUSPENDED,
    RUN_STATE_WATCHDOG,
    RUN_STATE_GUEST_PANICKED,
    RUN_STATE_COLO,
    RUN_STATE__MAX,
} RunState;

/* Why a shutdown or reset happened (QAPI ShutdownCause, same order). */
typedef enum ShutdownCause {
    SHUTDOWN_CAUSE_NONE,                  /* no shutdown/reset requested */
    SHUTDOWN_CAUSE_HOST_ERROR,            /* an error prevents running on */
    SHUTDOWN_CAUSE_HOST_QMP_QUIT,         /* QMP quit */
    SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET, /* QMP system_reset */
    SHUTDOWN_CAUSE_HOST_SIGNAL,           /* SIGINT, SIGTERM, ... */
    SHUTDOWN_CAUSE_HOST_UI,               /* a UI's close button */
    SHUTDOWN_CAUSE_GUEST_SHUTDOWN,        /* guest ACPI poweroff, ... */
    SHUTDOWN_CAUSE_GUEST_RESET,           /* port 0xCF9, triple fault, ... */
    SHUTDOWN_CAUSE_GUEST_PANIC,           /* pvpanic and the like */
    SHUTDOWN_CAUSE_SUBSYSTEM_RESET,       /* partial reset; no event */
    SHUTDOWN_CAUSE_SNAPSHOT_LOAD,         /* reset for loadvm; no event */
    SHUTDOWN_CAUSE__MAX,
} ShutdownCause;

static inline bool shutdown_caused_by_guest(ShutdownCause cause)
{
    return cause >= SHUTDOWN_CAUSE_GUEST_SHUTDOWN;
}

/* QAPI strings: "running", "guest-reset", ...; "?" for out-of-range. */
const char *runstate_name(RunState state);
const char *shutdown_cause_name(ShutdownCause cause);
/* The RunState called name, or RUN_STATE__MAX if there is none. */
RunState runstate_from_name(const char *name);

/* ---- run state ---- */

/*
 * Reset to the start-up state: RUN_STATE_PRELAUNCH, no pending requests,
 * default actions (reset on reboot, power off on shutdown).  Hooks and
 * handlers stay registered.  main() calls it once; tests between cases.
 */
void runstate_init(void);
RunState runstate_get(void);
bool runstate_check(RunState state);
bool runstate_is_running(void);
/* Shutdown and internal-error need a system_reset before running again. */
bool runstate_needs_reset(void);
bool runstate_transition_valid(RunState from, RunState to);
/*
 * Move to new_state.  Setting the current state is a no-op success.
 * Returns false, with an error_report naming both states, if QEMU's table
 * does not allow the transition; the state is then unchanged.
 */
bool runstate_set(RunState new_state);

/* ---- VM state change handlers ---- */

/* Called with running=true/false and the new state, BQL held. */
typedef void VMChangeStateHandler(void *opaque, bool running, RunState state);
typedef struct VMChangeStateEntry VMChangeStateEntry;
/*
 * Low priorities run first when the VM starts and last when it stops, so
 * a device can rely on its bus being up before it and down after it.
 */
VMChangeStateEntry *qemu_add_vm_change_state_handler_prio(
    VMChangeStateHandler *cb, void *opaque, int priority);
VMChangeStateEntry *qemu_add_vm_change_state_handler(VMChangeStateHandler *cb,
                                                     void *opaque);
void qemu_del_vm_change_state_handler(VMChangeStateEntry *entry);
void vm_state_notify(bool running, RunState state);

/* ---- starting and stopping the VM ---- */

/*
 * Start (or resume) the VM: RESUME event, VIRTUAL clock on, state RUNNING,
 * handlers notified (running=true), vCPUs resumed.  Returns 0, or -1 when
 * the current state may not become RUNNING (reported; nothing changed),
 * e.g. after a guest shutdown under -no-shutdown until a system_reset.
 * Already running: does nothing, returns 0.  BQL held, main thread.
 */
int vm_start(void);
/*
 * Stop a running VM, entering state: state set, VIRTUAL clock off, vCPUs
 * paused, handlers notified (running=false), STOP event.  A stopped VM is
 * left as it is.  From a thread other than the main thread this becomes a
 * vmstop request carried out by the main loop (as QEMU does for vCPUs).
 * Returns 0 or -1 if the transition is not allowed.
 */
int vm_stop(RunState state);
/* vm_stop when running; otherwise just move to state (e.g. inmigrate). */
int vm_stop_force_state(RunState state);

/* ---- requests, from any thread ---- */

/* -no-reboot: a reset request (except subsystem-reset) shuts down instead. */
typedef enum RebootAction {
    REBOOT_ACTION_RESET,
    REBOOT_ACTION_SHUTDOWN,
} RebootAction;
/* -no-shutdown: a shutdown stops the VM in state "shutdown" instead. */
typedef enum ShutdownAction {
    SHUTDOWN_ACTION_POWEROFF,
    SHUTDOWN_ACTION_PAUSE,
} ShutdownAction;
void qemu_set_reboot_action(RebootAction action);
void qemu_set_shutdown_action(ShutdownAction action);

void qemu_system_reset_request(ShutdownCause cause);
void qemu_system_shutdown_request(ShutdownCause cause);
/* Shutdown that exits with exit_code (e.g. a test device's exit port). */
void qemu_system_shutdown_request_with_code(ShutdownCause cause,
                                            int exit_code);
void qemu_system_powerdown_request(void);
void qemu_system_vmstop_request(RunState state);
void qemu_system_debug_request(void);
/*
 * From a signal handler (async-signal-safe): shut down with cause
 * host-signal, even under -no-shutdown, as QEMU does.
 */
void qemu_system_killed(int signal, pid_t pid);

/* Pending requests, without consuming them (for the monitor and tests). */
ShutdownCause qemu_shutdown_requested_get(void);
ShutdownCause qemu_reset_requested_get(void);

/*
 * Powerdown notifiers run when a powerdown request is handled (the ACPI
 * power button subscribes); data is NULL.  Shutdown notifiers run when a
 * shutdown is handled; data points to the ShutdownCause.
 */
void qemu_register_powerdown_notifier(Notifier *notifier);
void qemu_register_shutdown_notifier(Notifier *notifier);

/*
 * Reset the machine now (main loop, vCPUs paused): calls the system_reset
 * hook, then sends RESET unless the cause is none, subsystem-reset or
 * snapshot-load.
 */
void qemu_system_reset(ShutdownCause cause);

/*
 * Carry out pending requests, in QEMU's order: debug, shutdown, reset,
 * powerdown, vmstop.  Returns true when the process should exit, with
 * *status set to its exit status (left alone for a plain shutdown).
 * Main thread, BQL held.
 */
bool main_loop_should_exit(int *status);
/*
 * Run main_loop_wait until main_loop_should_exit; returns the exit status
 * (EXIT_SUCCESS unless a request set one).  Takes the BQL if not held.
 */
int qemu_main_loop(void);

/* ---- hooks into other subsystems ---- */

/*
 * A QMP event, as plain data until QObject events land: name is QEMU's
 * event name ("SHUTDOWN", "RESET", "POWERDOWN", "STOP", "RESUME").
 * SHUTDOWN and RESET set has_cause, guest (shutdown_caused_by_guest) and
 * reason (shutdown_cause_name); other events leave them false/NULL.
 */
typedef struct RunstateEvent {
    const char *name;
    bool has_cause;
    bool guest;
    const char *reason;
} RunstateEvent;

/*
 * Installed by the subsystems that own each action; any member may be NULL
 * (nothing to do).  All are called from the main thread with the BQL held,
 * except cpu_stop_current, called in the requesting thread.
 *   pause_all_vcpus   stop every vCPU outside guest code; returns when they
 *                     are all stopped (may drop and retake the BQL)
 *   resume_all_vcpus  let them run again if the run state allows
 *   system_reset      reset the machine (QOM reset of the tree, CPUs)
 *   cpu_stop_current  a vCPU thread raised a request: leave guest code soon
 *   emit_event        send a QMP event to every monitor
 * The hooks do not touch the VIRTUAL clock: vm_start/vm_stop own it.
 */
typedef struct RunstateHooks {
    void (*pause_all_vcpus)(void);
    void (*resume_all_vcpus)(void);
    void (*system_reset)(ShutdownCause cause);
    void (*cpu_stop_current)(void);
    void (*emit_event)(const RunstateEvent *event);
} RunstateHooks;

/*
 * Install hooks: each non-NULL member replaces the current one, NULL
 * members keep what another subsystem installed (so the vCPU code and the
 * monitor can each install their own).  runstate_set_hooks(NULL) clears all.
 */
void runstate_set_hooks(const RunstateHooks *hooks);

#endif
