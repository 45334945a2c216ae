/*
 * QMP dispatch: the command table, generic argument checking against each
 * command's schema, and request -> response, with QEMU's error messages
 * (qapi/qmp-dispatch.c and the QObject input visitor).
 */
#include "monitor-internal.h"

typedef struct QmpCommandEntry {
    const QmpCommand *cmd;
    QTAILQ_ENTRY(QmpCommandEntry) next;
} QmpCommandEntry;

static QTAILQ_HEAD(, QmpCommandEntry) qmp_commands =
    QTAILQ_HEAD_INITIALIZER(qmp_commands);

void qmp_register_command(const QmpCommand *cmd)
{
    QmpCommandEntry *e;

    if (qmp_find_command(cmd->name)) {
        fprintf(stderr, "QMP command %s registered twice\n", cmd->name);
        abort();
    }
    e = xnew(QmpCommandEntry);
    e->cmd = cmd;
    QTAILQ_INSERT_TAIL(&qmp_commands, e, next);
}

const QmpCommand *qmp_find_command(const char *name)
{
    QmpCommandEntry *e;

    QTAILQ_FOREACH(e, &qmp_commands, next) {
        if (!strcmp(e->cmd->name, name)) {
            return e->cmd;
        }
    }
    return NULL;
}

void qmp_for_each_command(void (*fn)(const QmpCommand *cmd, void *opaque),
                          void *opaque)
{
    QmpCommandEntry *e;

    QTAILQ_FOREACH(e, &qmp_commands, next) {
        fn(e->cmd, opaque);
    }
}

static const QmpArgSpec *find_arg(const QmpCommand *cmd, const char *name)
{
    for (const QmpArgSpec *a = cmd->args; a && a->name; a++) {
        if (!strcmp(a->name, name)) {
            return a;
        }
    }
    return NULL;
}

/* The QAPI type name QEMU's visitor puts in "expected: ...". */
static const char *arg_type_name(QmpArgType type)
{
    switch (type) {
    case QMP_ARG_STR:
        return "string";
    case QMP_ARG_INT:
    case QMP_ARG_UINT:
        return "integer";
    case QMP_ARG_BOOL:
        return "boolean";
    case QMP_ARG_NUMBER:
        return "number";
    case QMP_ARG_DICT:
        return "object";
    case QMP_ARG_LIST:
        return "array";
    case QMP_ARG_ANY:
        return "any";
    }
    return "?";
}

static bool check_arg_value(const QmpArgSpec *spec, const QObject *value,
                            Error **errp)
{
    QType t = qobject_type(value);
    bool ok;
    int64_t i;
    uint64_t u;

    switch (spec->type) {
    case QMP_ARG_STR:
        ok = t == QTYPE_QSTRING;
        break;
    case QMP_ARG_INT:
        if (t == QTYPE_QNUM && qnum_is_integer(value) &&
            !qnum_get_try_int(value, &i)) {
            error_setg(errp, "Parameter '%s' expects integer", spec->name);
            return false;
        }
        ok = t == QTYPE_QNUM && qnum_is_integer(value);
        break;
    case QMP_ARG_UINT:
        if (t == QTYPE_QNUM && qnum_is_integer(value) &&
            !qnum_get_try_uint(value, &u)) {
            error_setg(errp, "Parameter '%s' expects uint64", spec->name);
            return false;
        }
        ok = t == QTYPE_QNUM && qnum_is_integer(value);
        break;
    case QMP_ARG_BOOL:
        ok = t == QTYPE_QBOOL;
        break;
    case QMP_ARG_NUMBER:
        ok = t == QTYPE_QNUM;
        break;
    case QMP_ARG_DICT:
        ok = t == QTYPE_QDICT;
        break;
    case QMP_ARG_LIST:
        ok = t == QTYPE_QLIST;
        break;
    default:
        ok = true;
        break;
    }
    if (!ok) {
        error_setg(errp, "Invalid parameter type for '%s', expected: %s",
                   spec->name, arg_type_name(spec->type));
    }
    return ok;
}

bool qmp_check_args(const QmpCommand *cmd, const QObject *args,
                    Error **errp)
{
    /*
     * QEMU's visitor reads the declared members first (missing, mistyped)
     * and only then complains about members left over.
     */
    for (const QmpArgSpec *a = cmd->args; a && a->name; a++) {
        QObject *value = args ? qdict_get(args, a->name) : NULL;

        if (!value) {
            if (!a->optional) {
                error_setg(errp, "Parameter '%s' missing", a->name);
                return false;
            }
            continue;
        }
        if (!check_arg_value(a, value, errp)) {
            return false;
        }
    }
    if (args) {
        for (const QDictEntry *e = qdict_first(args); e;
             e = qdict_next(args, e)) {
            if (!find_arg(cmd, qdict_entry_key(e))) {
                error_setg(errp, "Invalid parameter '%s'",
                           qdict_entry_key(e));
                return false;
            }
        }
    }
    return true;
}

QObject *qmp_error_response(Error *err)
{
    QObject *rsp = qdict_new();
    QObject *error = qdict_new();

    qdict_put_str(error, "class", error_class_name(error_get_class(err)));
    qdict_put_str(error, "desc", error_get_pretty(err));
    qdict_put(rsp, "error", error);
    error_free(err);
    return rsp;
}

/* The shape checks of QEMU's qmp_dispatch_check_obj (no OOB support). */
static bool qmp_check_request(const QObject *request, Error **errp)
{
    bool has_execute = false;

    if (qobject_type(request) != QTYPE_QDICT) {
        error_setg(errp, "QMP input must be a JSON object");
        return false;
    }
    for (const QDictEntry *e = qdict_first(request); e;
         e = qdict_next(request, e)) {
        const char *key = qdict_entry_key(e);
        QObject *value = qdict_entry_value(e);

        if (!strcmp(key, "execute")) {
            if (qobject_type(value) != QTYPE_QSTRING) {
                error_setg(errp, "QMP input member '%s' must be a string",
                           key);
                return false;
            }
            has_execute = true;
        } else if (!strcmp(key, "arguments")) {
            if (qobject_type(value) != QTYPE_QDICT) {
                error_setg(errp,
                           "QMP input member 'arguments' must be an object");
                return false;
            }
        } else if (!strcmp(key, "id")) {
            continue;
        } else {
            error_setg(errp, "QMP input member '%s' is unexpected", key);
            return false;
        }
    }
    if (!has_execute) {
        error_setg(errp, "QMP input lacks member 'execute'");
        return false;
    }
    return true;
}

static QObject *qmp_run(Monitor *mon, QObject *request, bool negotiated,
                        Error **errp)
{
    const char *name;
    const QmpCommand *cmd;
    QObject *args, *empty = NULL, *ret = NULL;
    Monitor *old_mon;
    Error *err = NULL;

    if (!qmp_check_request(request, errp)) {
        return NULL;
    }
    name = qdict_get_try_str(request, "execute");
    cmd = qmp_find_command(name);
    if (!cmd || (!negotiated && !(cmd->flags & QMP_CMD_NEGOTIATION))) {
        if (negotiated) {
            error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                      "The command %s has not been found", name);
        } else {
            /* monitor/qmp.c gives this more useful text while negotiating */
            error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                      "Expecting capabilities negotiation with "
                      "'qmp_capabilities'");
        }
        return NULL;
    }
    args = qdict_get(request, "arguments");
    if (!args) {
        args = empty = qdict_new();
    }
    if (!qmp_check_args(cmd, args, errp)) {
        qobject_unref(empty);
        return NULL;
    }
    old_mon = monitor_set_cur(mon);
    cmd->fn(args, &ret, &err);
    monitor_set_cur(old_mon);
    qobject_unref(empty);
    if (err) {
        qobject_unref(ret);
        error_propagate(errp, err);
        return NULL;
    }
    return ret ? ret : qdict_new();
}

QObject *qmp_dispatch(Monitor *mon, QObject *request, bool negotiated)
{
    Error *err = NULL;
    QObject *ret, *rsp, *id = NULL;

    ret = qmp_run(mon, request, negotiated, &err);
    if (ret) {
        rsp = qdict_new();
        qdict_put(rsp, "return", ret);
    } else {
        rsp = qmp_error_response(err);
    }
    if (qobject_type(request) == QTYPE_QDICT) {
        id = qdict_get(request, "id");
    }
    if (id) {
        qdict_put(rsp, "id", qobject_ref(id));
    }
    return rsp;
}
