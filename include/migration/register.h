/*
 * Live ("iterative") savevm handlers, for state too big to send in one
 * go while the guest is stopped: RAM.  As QEMU's migration/register.h.
 *
 * Save side, in order:
 *   save_setup            once, in the SECTION_START section
 *   save_live_pending     how many bytes are still to send (dirty)
 *   save_live_iterate     some more, in a SECTION_PART section; returns
 *                         1 when nothing is left for now, 0 when stopped by
 *                         the rate limit, < 0 on error
 *   save_live_complete_precopy
 *                         with the guest stopped: everything left, in the
 *                         SECTION_END section
 *   save_cleanup          always, after success or failure
 * Load side: load_setup before the stream, load_state for each of the
 * entry's sections, load_cleanup after.
 */
#ifndef MIGRATION_REGISTER_H
#define MIGRATION_REGISTER_H

#include "migration/qemu-file.h"

typedef struct SaveVMHandlers {
    int (*save_setup)(QEMUFile *f, void *opaque, Error **errp);
    int (*save_live_iterate)(QEMUFile *f, void *opaque);
    int (*save_live_complete_precopy)(QEMUFile *f, void *opaque);
    void (*save_live_pending)(void *opaque, uint64_t *pending_bytes);
    void (*save_cleanup)(void *opaque);
    /* Non-live state without a VMStateDescription, written whole. */
    void (*save_state)(QEMUFile *f, void *opaque);
    /* False: the entry is skipped when saving. */
    bool (*is_active)(void *opaque);

    int (*load_setup)(QEMUFile *f, void *opaque, Error **errp);
    int (*load_state)(QEMUFile *f, void *opaque, int version_id,
                      Error **errp);
    int (*load_cleanup)(void *opaque);
} SaveVMHandlers;

struct Object;
/*
 * Register handlers under idstr; instance_id may be
 * VMSTATE_INSTANCE_ID_ANY.  Returns the instance id used.
 */
int register_savevm_live(const char *idstr, int instance_id, int version_id,
                         const SaveVMHandlers *ops, void *opaque);
void unregister_savevm(struct Object *obj, const char *idstr, void *opaque);

#endif
