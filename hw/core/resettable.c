/*
 * Resettable interface: three-phase reset over a tree of objects.
 * See include/hw/resettable.h.
 */
#include "hw/resettable.h"

typedef enum DeferredKind {
    DEFERRED_HOLD,      /* assert made during enter: hold still to run */
    DEFERRED_RESET,     /* full reset requested during enter */
    DEFERRED_RELEASE,   /* release made during enter */
} DeferredKind;

typedef struct DeferredRequest {
    Object *obj;
    ResetType type;
    DeferredKind kind;
} DeferredRequest;

/*
 * Resets run one at a time under the big lock; this records where the one
 * in progress is, and what was requested from inside its enter phase.
 */
static struct ResetContext {
    unsigned enter_depth;
    unsigned exit_depth;
    DeferredRequest *deferred;
    size_t num_deferred;
    size_t max_deferred;
} reset_ctx;

static ResettableState *resettable_get_state(Object *obj)
{
    ResettableClass *rc = RESETTABLE_GET_CLASS(obj);
    return rc->get_state(obj);
}

static void resettable_child_foreach(ResettableClass *rc, Object *obj,
                                     ResettableChildCallback cb,
                                     ResetType type)
{
    if (rc->child_foreach) {
        rc->child_foreach(obj, cb, NULL, type);
    }
}

static void resettable_phase_enter(Object *obj, void *opaque, ResetType type)
{
    ResettableClass *rc = RESETTABLE_GET_CLASS(obj);
    ResettableState *s = rc->get_state(obj);
    bool action_needed = s->count++ == 0;

    /* Entering reset again from our own exit phase is a loop. */
    assert(!s->exit_phase_in_progress);
    /* A cycle in the reset tree would recurse here without end. */
    assert(s->count <= 50);

    /* Children too, even without action, so that their counts follow. */
    resettable_child_foreach(rc, obj, resettable_phase_enter, type);
    if (action_needed) {
        if (rc->phases.enter) {
            rc->phases.enter(obj, type);
        }
        s->hold_phase_pending = true;
    }
}

static void resettable_phase_hold(Object *obj, void *opaque, ResetType type)
{
    ResettableClass *rc = RESETTABLE_GET_CLASS(obj);
    ResettableState *s = rc->get_state(obj);

    resettable_child_foreach(rc, obj, resettable_phase_hold, type);
    if (s->hold_phase_pending) {
        s->hold_phase_pending = false;
        if (rc->phases.hold) {
            rc->phases.hold(obj, type);
        }
    }
}

static void resettable_phase_exit(Object *obj, void *opaque, ResetType type)
{
    ResettableClass *rc = RESETTABLE_GET_CLASS(obj);
    ResettableState *s = rc->get_state(obj);

    resettable_child_foreach(rc, obj, resettable_phase_exit, type);
    assert(s->count > 0);
    if (--s->count == 0) {
        s->exit_phase_in_progress = true;
        if (rc->phases.exit) {
            rc->phases.exit(obj, type);
        }
        s->exit_phase_in_progress = false;
    }
}

static void resettable_defer(Object *obj, ResetType type, DeferredKind kind)
{
    if (reset_ctx.num_deferred == reset_ctx.max_deferred) {
        reset_ctx.max_deferred = reset_ctx.max_deferred * 2 + 4;
        reset_ctx.deferred = xrealloc(reset_ctx.deferred,
                                      reset_ctx.max_deferred *
                                      sizeof(*reset_ctx.deferred));
    }
    reset_ctx.deferred[reset_ctx.num_deferred++] = (DeferredRequest) {
        .obj = object_ref(obj), .type = type, .kind = kind,
    };
}

/* Carry out what enter phases asked for, now that every hold has run. */
static void resettable_run_deferred(void)
{
    DeferredRequest *list = reset_ctx.deferred;
    size_t n = reset_ctx.num_deferred;

    /* Requests made while running these belong to the nested resets. */
    reset_ctx.deferred = NULL;
    reset_ctx.num_deferred = reset_ctx.max_deferred = 0;
    for (size_t i = 0; i < n; i++) {
        DeferredRequest *req = &list[i];
        switch (req->kind) {
        case DEFERRED_HOLD:
            resettable_phase_hold(req->obj, NULL, req->type);
            break;
        case DEFERRED_RESET:
            /* Already in reset: the reset in progress covered it. */
            if (!resettable_is_in_reset(req->obj)) {
                resettable_reset(req->obj, req->type);
            }
            break;
        case DEFERRED_RELEASE:
            resettable_release_reset(req->obj, req->type);
            break;
        }
        object_unref(req->obj);
    }
    free(list);
}

void resettable_assert_reset(Object *obj, ResetType type)
{
    if (reset_ctx.enter_depth) {
        /*
         * From an enter phase: count now, so that the matching release
         * balances, but hold only once every enter has run.
         */
        resettable_phase_enter(obj, NULL, type);
        resettable_defer(obj, type, DEFERRED_HOLD);
        return;
    }
    reset_ctx.enter_depth++;
    resettable_phase_enter(obj, NULL, type);
    reset_ctx.enter_depth--;
    resettable_phase_hold(obj, NULL, type);
    resettable_run_deferred();
}

void resettable_release_reset(Object *obj, ResetType type)
{
    if (reset_ctx.enter_depth) {
        resettable_defer(obj, type, DEFERRED_RELEASE);
        return;
    }
    reset_ctx.exit_depth++;
    resettable_phase_exit(obj, NULL, type);
    reset_ctx.exit_depth--;
}

void resettable_reset_many(Object **objs, size_t n, ResetType type)
{
    if (reset_ctx.enter_depth) {
        for (size_t i = 0; i < n; i++) {
            resettable_defer(objs[i], type, DEFERRED_RESET);
        }
        return;
    }
    reset_ctx.enter_depth++;
    for (size_t i = 0; i < n; i++) {
        resettable_phase_enter(objs[i], NULL, type);
    }
    reset_ctx.enter_depth--;
    for (size_t i = 0; i < n; i++) {
        resettable_phase_hold(objs[i], NULL, type);
    }
    resettable_run_deferred();
    reset_ctx.exit_depth++;
    for (size_t i = 0; i < n; i++) {
        resettable_phase_exit(objs[i], NULL, type);
    }
    reset_ctx.exit_depth--;
}

void resettable_reset(Object *obj, ResetType type)
{
    resettable_reset_many(&obj, 1, type);
}

bool resettable_is_in_reset(Object *obj)
{
    return resettable_get_state(obj)->count > 0;
}

void resettable_change_parent(Object *obj, Object *newp, Object *oldp)
{
    ResettableState *s = resettable_get_state(obj);
    unsigned newp_count = newp ? resettable_get_state(newp)->count : 0;
    unsigned oldp_count = oldp ? resettable_get_state(oldp)->count : 0;

    /*
     * Mid-phase, part of the tree is in reset and part is not: we could
     * not tell which count the moving object should have.
     */
    assert(!reset_ctx.enter_depth && !reset_ctx.exit_depth);

    for (unsigned i = oldp_count; i < newp_count; i++) {
        resettable_assert_reset(obj, RESET_TYPE_COLD);
    }
    /* Leaving a tree in reset: its hold must not stay pending. */
    if (oldp_count && s->hold_phase_pending) {
        resettable_phase_hold(obj, NULL, RESET_TYPE_COLD);
    }
    for (unsigned i = newp_count; i < oldp_count; i++) {
        resettable_release_reset(obj, RESET_TYPE_COLD);
    }
}

void resettable_class_set_parent_phases(ResettableClass *rc,
                                        ResettableEnterPhase enter,
                                        ResettableHoldPhase hold,
                                        ResettableExitPhase exit,
                                        ResettablePhases *parent_phases)
{
    *parent_phases = rc->phases;
    if (enter) {
        rc->phases.enter = enter;
    }
    if (hold) {
        rc->phases.hold = hold;
    }
    if (exit) {
        rc->phases.exit = exit;
    }
}

void resettable_cold_reset_fn(void *opaque)
{
    resettable_reset(OBJECT(opaque), RESET_TYPE_COLD);
}

static void register_types(void)
{
    static const TypeInfo resettable_info = {
        .name = TYPE_RESETTABLE_INTERFACE,
        .parent = TYPE_INTERFACE,
        .class_size = sizeof(ResettableClass),
    };
    type_register_static(&resettable_info);
}

type_init(register_types)
