/*
 * VM snapshots in qcow2 internal snapshots, as QEMU's savevm/loadvm.
 *
 * A snapshot is one internal snapshot of the same name on every writable
 * drive (-drive ...,if=none today), plus the VM state (the migration
 * stream of include/migration/savevm.h) stored in the VM state area of
 * one of them: the drive named by vmstate, or the first drive that can
 * take snapshots.  That drive's snapshot entry records the stream's size
 * (vm_state_size), the date, the VM clock and icount (-1: not recorded).
 *
 * devices: a NULL-terminated list of drive ids to act on, or NULL for
 * every writable drive (read-only drives are then left out, as QEMU).
 *
 * save_snapshot and load_snapshot stop the VM (RUN_STATE_SAVE_VM /
 * RUN_STATE_RESTORE_VM) and restart it if it was running; a failed load
 * leaves it stopped.  load_snapshot checks everything it can before it
 * reverts a disk: the snapshot exists on every drive, and the whole VM
 * state stream reads back with a correct checksum.
 *
 * Monitor: HMP savevm/loadvm/delvm/"info snapshots"; QMP snapshot-save,
 * snapshot-load, snapshot-delete (run as jobs: query-jobs, job-dismiss,
 * JOB_STATUS_CHANGE events).  Command line: -loadvm tag.
 * All of these run in the main thread with the BQL held.
 */
#ifndef MIGRATION_SNAPSHOT_H
#define MIGRATION_SNAPSHOT_H

#include "util/osdep.h"
#include "util/error.h"

/*
 * name NULL: an automatic name, "vm-YYYYMMDDHHMMSS".  Without overwrite
 * an existing snapshot of that name is an error; with it, it is replaced.
 */
bool save_snapshot(const char *name, bool overwrite, const char *vmstate,
                   const char *const *devices, Error **errp);
bool load_snapshot(const char *name, const char *vmstate,
                   const char *const *devices, Error **errp);
/* Delete name (tag or id) from every drive that has it. */
bool delete_snapshot(const char *name, const char *const *devices,
                     Error **errp);

/*
 * "info snapshots": QEMU's table of the snapshots present on every drive
 * (and the partial ones), malloc'ed; NULL with *errp set when no drive
 * can take snapshots.
 */
char *snapshot_info_text(Error **errp);

#endif
