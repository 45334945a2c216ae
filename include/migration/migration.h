/*
 * Live migration, as QEMU's: a pre-copy migration thread on the source,
 * an incoming loader on the destination, and the monitor commands that
 * drive them.
 *
 * URIs (both directions):
 *   tcp:HOST:PORT   connect / listen (HOST may be empty on listen)
 *   unix:PATH       connect / listen on a unix socket
 *   exec:CMD        sh -c CMD: the stream goes to its stdin (outgoing) or
 *                   comes from its stdout (incoming)
 *   file:PATH       write (truncating) / read a regular file
 *
 * Outgoing (`migrate URI`): the thread sends the stream header and the
 * live sections' setup, then iterates (RAM dirty pages, at most
 * max-bandwidth bytes/s) until what is left would go out within
 * downtime-limit ms at the measured bandwidth; it then has the main loop
 * stop the VM (RUN_STATE_FINISH_MIGRATE), sends the rest with the BQL
 * held and leaves the source paused in RUN_STATE_POSTMIGRATE.  A failed
 * or cancelled migration restarts the VM if it was running.
 *
 * Incoming (`-incoming URI`, or `-incoming defer` then migrate-incoming):
 * the VM waits in RUN_STATE_INMIGRATE; the stream is applied as it
 * arrives by a loader thread that holds the BQL except while it waits
 * for bytes (so the monitor answers meanwhile).  At the end the VM runs,
 * or stays paused when autostart is off (-S); on failure the status is
 * "failed" with the loader's message and the process keeps running.
 *
 * Status changes are sent as QMP MIGRATION events ({"status": ...}).
 * All functions here are called from the main thread with the BQL held.
 */
#ifndef MIGRATION_MIGRATION_H
#define MIGRATION_MIGRATION_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/qobject.h"

/* QAPI MigrationStatus, the subset Osprey goes through. */
typedef enum MigrationStatus {
    MIGRATION_STATUS_NONE,
    MIGRATION_STATUS_SETUP,
    MIGRATION_STATUS_CANCELLING,
    MIGRATION_STATUS_CANCELLED,
    MIGRATION_STATUS_ACTIVE,
    MIGRATION_STATUS_COMPLETED,
    MIGRATION_STATUS_FAILED,
    MIGRATION_STATUS__MAX,
} MigrationStatus;

/* "none", "setup", "cancelling", ... */
const char *migration_status_name(MigrationStatus status);

/* QEMU's defaults: 300 ms, 128 MiB/s. */
#define MIGRATION_DEFAULT_DOWNTIME_LIMIT_MS 300
#define MIGRATION_DEFAULT_MAX_BANDWIDTH     (128 * MiB)
/* QEMU's upper bound for downtime-limit: 2000 s. */
#define MIGRATION_MAX_DOWNTIME_LIMIT_MS     2000000

typedef struct MigrationParameters {
    uint64_t downtime_limit_ms;
    uint64_t max_bandwidth;      /* bytes per second; 0: unlimited */
} MigrationParameters;

/*
 * Register the RAM section and the monitor commands' state; main() calls
 * it once the machine exists (RAM blocks are named by then).
 */
void migration_object_init(void);

/* ---- outgoing ---- */

/* Start migrating to uri; errors (bad URI, connect, busy) at once. */
bool qmp_migrate(const char *uri, Error **errp);
/* Cancel the outgoing migration, if one is running. */
void qmp_migrate_cancel(void);
/* The query-migrate dict (QEMU's MigrationInfo). */
QObject *qmp_query_migrate(Error **errp);
/* A migration (outgoing or incoming) is under way. */
bool migration_is_active(void);

/* ---- parameters ---- */

void migrate_get_parameters(MigrationParameters *params);
/*
 * Set the parameters present in dict (QMP names "downtime-limit",
 * "max-bandwidth"); all are checked before any is applied.
 */
bool qmp_migrate_set_parameters(const QObject *dict, Error **errp);
QObject *qmp_query_migrate_parameters(Error **errp);

/* ---- incoming ---- */

/*
 * Wait for a stream on uri ("defer": only record that the VM is to wait
 * for migrate-incoming).  The caller has put the VM in
 * RUN_STATE_INMIGRATE.  autostart: run the VM once the stream is in.
 */
bool migration_incoming_start(const char *uri, Error **errp);
void migration_incoming_set_autostart(bool autostart);
/* True from -incoming until the stream is loaded (or failed). */
bool migration_incoming_pending(void);

#endif
