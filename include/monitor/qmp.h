/*
 * QMP commands and events.
 *
 * A command is data: its name, a handler and an argument schema.  The
 * dispatcher checks arguments against the schema before the handler runs
 * (unknown, missing and mistyped arguments get QEMU's messages), so a
 * handler only reads what it declared:
 *
 *     static const QmpArgSpec qom_get_args[] = {
 *         { "path", QMP_ARG_STR }, { "property", QMP_ARG_STR }, { NULL }
 *     };
 *     static void qmp_cmd_qom_get(QObject *args, QObject **ret,
 *                                 Error **errp) { ... }
 *     static const QmpCommand cmd = { "qom-get", qmp_cmd_qom_get,
 *                                     qom_get_args };
 *     qmp_register_command(&cmd);      // from a constructor or init code
 *
 * args is always a dict (empty when the request had none).  A handler
 * that leaves *ret NULL answers {"return": {}}.
 */
#ifndef MONITOR_QMP_H
#define MONITOR_QMP_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/qobject.h"

typedef struct Monitor Monitor;

typedef enum QmpArgType {
    QMP_ARG_STR,      /* "string" */
    QMP_ARG_INT,      /* "int": fits int64 */
    QMP_ARG_UINT,     /* "uint64"/"size": fits uint64 */
    QMP_ARG_BOOL,     /* "bool" */
    QMP_ARG_NUMBER,   /* "number": integer or float */
    QMP_ARG_DICT,     /* an object */
    QMP_ARG_LIST,     /* an array */
    QMP_ARG_ANY,      /* "any": anything */
} QmpArgType;

typedef struct QmpArgSpec {
    const char *name;       /* NULL ends a table */
    QmpArgType type;
    bool optional;
} QmpArgSpec;

typedef void QmpCommandFunc(QObject *args, QObject **ret, Error **errp);

typedef enum QmpCommandFlags {
    /* Allowed before qmp_capabilities (only qmp_capabilities itself). */
    QMP_CMD_NEGOTIATION = 1 << 0,
} QmpCommandFlags;

typedef struct QmpCommand {
    const char *name;
    QmpCommandFunc *fn;
    const QmpArgSpec *args;  /* NULL or { NULL }-terminated: no arguments */
    unsigned flags;
} QmpCommand;

/* Add a command (cmd must stay valid).  A duplicate name aborts. */
void qmp_register_command(const QmpCommand *cmd);
const QmpCommand *qmp_find_command(const char *name);
/* In registration order. */
void qmp_for_each_command(void (*fn)(const QmpCommand *cmd, void *opaque),
                          void *opaque);

/*
 * Check args (a dict, or NULL for none) against cmd's schema with QEMU's
 * messages: "Invalid parameter 'x'", "Parameter 'x' missing",
 * "Invalid parameter type for 'x', expected: string".
 */
bool qmp_check_args(const QmpCommand *cmd, const QObject *args,
                    Error **errp);

/*
 * Run one request and build its response ({"return": ...} or
 * {"error": {"class", "desc"}}, with the request's "id" echoed).
 * negotiated: false allows only qmp_capabilities.  mon becomes
 * monitor_cur() for the handler (may be NULL).  Never returns NULL.
 */
QObject *qmp_dispatch(Monitor *mon, QObject *request, bool negotiated);
/* {"error": {"class": ..., "desc": ...}}; frees err. */
QObject *qmp_error_response(Error *err);

/*
 * Send an event to every QMP monitor past capabilities negotiation:
 * {"event": name, "data": data, "timestamp": {"seconds", "microseconds"}}.
 * Takes over data (NULL: no "data" member).  Any thread, BQL held.
 */
void qapi_event_send(const char *name, QObject *data);
/* Tests: see events without a monitor.  NULL removes. */
void qapi_event_set_observer(void (*fn)(const char *name,
                                        const QObject *data, void *opaque),
                             void *opaque);

/*
 * The commands themselves, for HMP and other C callers.  Results are new
 * references; NULL with *errp set on error.
 */
QObject *qmp_query_status(Error **errp);
QObject *qmp_query_version(Error **errp);
QObject *qmp_query_cpus_fast(Error **errp);
QObject *qmp_query_kvm(Error **errp);
QObject *qmp_query_machines(Error **errp);
bool qmp_stop(Error **errp);
bool qmp_cont(Error **errp);
void qmp_system_reset(void);
void qmp_system_powerdown(void);
void qmp_quit(void);

/* Register the built-in commands and install the runstate event hook
 * (idempotent; monitor_new calls it). */
void qmp_init_builtin_commands(void);
void monitor_events_init(void);

#endif
