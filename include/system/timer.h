/*
 * Clocks and timers.
 *   QEMU_CLOCK_REALTIME  monotonic host time; runs always
 *   QEMU_CLOCK_VIRTUAL   guest time; stops while the VM is not running
 *   QEMU_CLOCK_HOST      host wall-clock time (CLOCK_REALTIME); may jump
 * Timers fire from the main loop, with the BQL held, in deadline order
 * (timers due at the same time fire in the order they were armed).  A
 * callback may re-arm, delete or free its own timer or any other.
 * timer_mod/timer_del work from any thread; arming a timer earlier than the
 * loop's current sleep wakes the loop.
 *
 * QEMU_CLOCK_VIRTUAL starts disabled at 0 (guest time begins at vm_start).
 * While a clock is disabled its timers do not fire; the VIRTUAL clock also
 * stands still and, re-enabled, resumes from the same value.
 */
#ifndef SYSTEM_TIMER_H
#define SYSTEM_TIMER_H

#include "util/osdep.h"

#define NANOSECONDS_PER_SECOND 1000000000LL
#define SCALE_MS 1000000
#define SCALE_US 1000
#define SCALE_NS 1

typedef enum QEMUClockType {
    QEMU_CLOCK_REALTIME,
    QEMU_CLOCK_VIRTUAL,
    QEMU_CLOCK_HOST,
    QEMU_CLOCK_MAX,
} QEMUClockType;

typedef void QEMUTimerCB(void *opaque);
typedef struct QEMUTimer QEMUTimer;

int64_t qemu_clock_get_ns(QEMUClockType type);
static inline int64_t qemu_clock_get_ms(QEMUClockType type)
{
    return qemu_clock_get_ns(type) / SCALE_MS;
}
/* Start / stop the virtual clock (called on vm_start / vm_stop). */
void qemu_clock_enable(QEMUClockType type, bool enabled);
bool qemu_clock_is_enabled(QEMUClockType type);
/* Nanoseconds until the earliest timer on any clock, -1 if none. */
int64_t timerlist_deadline_ns(void);
/* Run the expired timers of every clock; returns how many ran. */
int qemu_clock_run_all_timers(void);
/* Run the expired timers of one clock (none if disabled). */
int qemu_clock_run_timers(QEMUClockType type);

/*
 * Step the virtual clock by hand, as qtest's clock_step does: with the
 * clock stopped (qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false)), move it
 * forward to dest ns, stopping at each virtual timer's deadline on the
 * way to run it, so devices see time pass exactly as it would.  A dest
 * in the past leaves the clock where it is.  Returns the new time; with
 * the clock running it does nothing and returns the current time.
 */
int64_t qemu_clock_advance_virtual_time(int64_t dest);
/*
 * Set guest (virtual) time to ns, running or stopped, without running
 * timers: what loading a snapshot does, so every saved absolute deadline
 * (device timers, TSC offsets, the RTC's base) means what it meant.
 */
void qemu_clock_set_virtual_ns(int64_t ns);
/*
 * Register "timer", the virtual clock's VMState (QEMU's cpus.c "timer"),
 * once per process; loaded before the devices (MIG_PRI_HIGH).
 */
void qemu_timers_vmstate_register(void);

/* scale: SCALE_NS, SCALE_US or SCALE_MS, the unit of timer_mod's expiry. */
QEMUTimer *timer_new(QEMUClockType type, int scale, QEMUTimerCB *cb,
                     void *opaque);
static inline QEMUTimer *timer_new_ns(QEMUClockType type, QEMUTimerCB *cb,
                                      void *opaque)
{
    return timer_new(type, SCALE_NS, cb, opaque);
}
static inline QEMUTimer *timer_new_ms(QEMUClockType type, QEMUTimerCB *cb,
                                      void *opaque)
{
    return timer_new(type, SCALE_MS, cb, opaque);
}
void timer_mod(QEMUTimer *timer, int64_t expire_time); /* in timer's scale */
void timer_mod_ns(QEMUTimer *timer, int64_t expire_ns); /* in ns always */
void timer_del(QEMUTimer *timer);
void timer_free(QEMUTimer *timer);                     /* deletes first */
bool timer_pending(const QEMUTimer *timer);
int64_t timer_expire_time_ns(const QEMUTimer *timer);  /* -1 if not pending */

#endif
