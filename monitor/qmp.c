/*
 * QMP protocol over a chardev: greeting on connect, a streaming JSON
 * parser for requests, capabilities negotiation, responses.
 *
 * As QEMU: a client first sees
 *   {"QMP": {"version": {...}, "capabilities": []}}
 * and must send qmp_capabilities before anything else.  We advertise no
 * capabilities: out-of-band execution ("oob") is not supported, and
 * qmp_capabilities refuses to enable it.  A disconnect forgets any
 * partial request and returns the monitor to negotiation mode; the next
 * client is greeted afresh.  Requests run synchronously in the main loop,
 * in order, so responses come in request order.
 */
#include "monitor-internal.h"

#define QMP_READ_CHUNK 4096

static void qmp_handle_message(void *opaque, QObject *req, Error *err)
{
    Monitor *mon = opaque;
    QObject *rsp;

    if (err) {
        /* Malformed JSON: an error without id, as QEMU. */
        rsp = qmp_error_response(err);
    } else {
        rsp = qmp_dispatch(mon, req, mon->negotiated);
        qobject_unref(req);
    }
    monitor_qmp_send(mon, rsp);
    qobject_unref(rsp);
}

static void qmp_reset_parser(Monitor *mon)
{
    json_message_parser_free(mon->parser);
    mon->parser = json_message_parser_new(qmp_handle_message, mon);
}

void monitor_qmp_feed(Monitor *mon, const uint8_t *buf, size_t len)
{
    mon->in_feed++;
    json_message_parser_feed(mon->parser, (const char *)buf, len);
    mon->in_feed--;
    if (!mon->in_feed && mon->reset_pending) {
        mon->reset_pending = false;
        qmp_reset_parser(mon);
    }
}

static int qmp_can_read(void *opaque)
{
    return QMP_READ_CHUNK;
}

static void qmp_read(void *opaque, const uint8_t *buf, int size)
{
    monitor_qmp_feed(opaque, buf, size);
}

static QObject *qmp_greeting(void)
{
    QObject *qmp = qdict_new();
    QObject *greeting = qdict_new();

    qdict_put(qmp, "version", qmp_query_version(NULL));
    qdict_put(qmp, "capabilities", qlist_new());
    qdict_put(greeting, "QMP", qmp);
    return greeting;
}

static void qmp_event(void *opaque, QEMUChrEvent event)
{
    Monitor *mon = opaque;
    QObject *greeting;

    switch (event) {
    case CHR_EVENT_OPENED:
        mon->negotiated = false;
        greeting = qmp_greeting();
        monitor_qmp_send(mon, greeting);
        qobject_unref(greeting);
        break;
    case CHR_EVENT_CLOSED:
        /* Whatever the old client left half-sent must not reach the next. */
        mon->negotiated = false;
        if (mon->in_feed) {
            mon->reset_pending = true;
        } else {
            qmp_reset_parser(mon);
        }
        break;
    default:
        break;
    }
}

void monitor_qmp_setup(Monitor *mon)
{
    mon->parser = json_message_parser_new(qmp_handle_message, mon);
    if (mon->chr.chr) {
        qemu_chr_fe_set_handlers(&mon->chr, qmp_can_read, qmp_read,
                                 qmp_event, mon);
    }
}

void monitor_qmp_finalize(Monitor *mon)
{
    json_message_parser_free(mon->parser);
    mon->parser = NULL;
}

/* ---- qmp_capabilities ---- */

static void qmp_cmd_qmp_capabilities(QObject *args, QObject **ret,
                                     Error **errp)
{
    Monitor *mon = monitor_cur();
    QObject *enable = qdict_get(args, "enable");

    if (mon && mon->negotiated) {
        error_set(errp, ERROR_CLASS_COMMAND_NOT_FOUND,
                  "Capabilities negotiation is already complete, command "
                  "ignored");
        return;
    }
    for (size_t i = 0; enable && i < qlist_size(enable); i++) {
        QObject *cap = qlist_get(enable, i);
        const char *name = qstring_get_str(cap);

        if (!name) {
            error_setg(errp, "Invalid parameter type for 'enable[%zu]', "
                       "expected: string", i);
            return;
        }
        if (strcmp(name, "oob") != 0) {
            error_setg(errp, "Parameter 'enable[%zu]' does not accept value "
                       "'%s'", i, name);
            return;
        }
        /* Valid QMPCapability, but we never offered it. */
        error_setg(errp, "Capability '%s' not available", name);
        return;
    }
    if (mon) {
        mon->negotiated = true;
    }
}

static const QmpArgSpec qmp_capabilities_args[] = {
    { "enable", QMP_ARG_LIST, true },
    { NULL }
};

const QmpCommand qmp_capabilities_command = {
    "qmp_capabilities", qmp_cmd_qmp_capabilities, qmp_capabilities_args,
    QMP_CMD_NEGOTIATION,
};
