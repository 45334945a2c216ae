/*
 * Resettable interface: multi-phase reset, after QEMU's docs/devel/reset.rst.
 *
 * A reset runs in three phases, each over the WHOLE reset tree (an object,
 * then recursively what its child_foreach visits: a device's buses, a
 * bus's devices) before the next phase starts:
 *   enter: reset the object's own state; no side effects on others
 *   hold:  drive outputs to their reset values (e.g. lower IRQ lines)
 *   exit:  leave reset; the object may act again
 * A reset may be asserted and released separately (a reset line held
 * low): resettable_assert_reset() runs enter and hold, and
 * resettable_release_reset() runs exit.  Every object counts how many
 * resets it is in; phases run only when the count goes 0 -> 1 (enter,
 * hold) and 1 -> 0 (exit), so nested requests act once.
 *
 * Requests made while an enter phase is running (e.g. a device's enter
 * phase resets a sibling) are folded into the reset in progress: an
 * object already in reset is not reset twice, and holds wait until every
 * enter is done.
 *
 * Runs under the big lock.
 */
#ifndef HW_RESETTABLE_H
#define HW_RESETTABLE_H

#include "qom/object.h"

#define TYPE_RESETTABLE_INTERFACE "resettable"

typedef struct ResettableClass ResettableClass;
DECLARE_CLASS_CHECKERS(ResettableClass, RESETTABLE, TYPE_RESETTABLE_INTERFACE)

typedef enum ResetType {
    RESET_TYPE_COLD,    /* power-on: everything back to initial state */
    RESET_TYPE_WARM,    /* reset signal with power kept (e.g. port 0xCF9) */
} ResetType;

typedef void (*ResettableEnterPhase)(Object *obj, ResetType type);
typedef void (*ResettableHoldPhase)(Object *obj, ResetType type);
typedef void (*ResettableExitPhase)(Object *obj, ResetType type);

typedef struct ResettablePhases {
    ResettableEnterPhase enter;
    ResettableHoldPhase hold;
    ResettableExitPhase exit;
} ResettablePhases;

typedef struct ResettableState {
    unsigned count;             /* resets this object is in */
    bool hold_phase_pending;    /* enter done, hold not yet */
    bool exit_phase_in_progress;
} ResettableState;

typedef ResettableState *(*ResettableGetState)(Object *obj);
typedef void (*ResettableChildCallback)(Object *obj, void *opaque,
                                        ResetType type);
typedef void (*ResettableChildForeach)(Object *obj,
                                       ResettableChildCallback cb,
                                       void *opaque, ResetType type);

struct ResettableClass {
    InterfaceClass parent_class;
    ResettablePhases phases;
    ResettableGetState get_state;
    ResettableChildForeach child_foreach;
};

/* A whole reset: enter, hold and exit over obj's reset tree. */
void resettable_reset(Object *obj, ResetType type);
/* Put obj's tree in reset (enter + hold) / take it out (exit). */
void resettable_assert_reset(Object *obj, ResetType type);
void resettable_release_reset(Object *obj, ResetType type);
/* Reset several trees as one: every enter, then every hold, then exits. */
void resettable_reset_many(Object **objs, size_t n, ResetType type);
bool resettable_is_in_reset(Object *obj);
/*
 * obj moves from reset tree oldp to newp (either may be NULL): bring its
 * reset count in line with its new parent's.
 */
void resettable_change_parent(Object *obj, Object *newp, Object *oldp);
/* Helper for a subclass that wraps its parent's phases. */
void resettable_class_set_parent_phases(ResettableClass *rc,
                                        ResettableEnterPhase enter,
                                        ResettableHoldPhase hold,
                                        ResettableExitPhase exit,
                                        ResettablePhases *parent_phases);
/* Cold reset of the object passed as opaque (for reset callbacks). */
void resettable_cold_reset_fn(void *opaque);

#endif
