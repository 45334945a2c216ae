/*
 * QMP events: {"event": NAME, "data": {...}, "timestamp": {...}} to every
 * QMP monitor that finished capabilities negotiation, and the run-state
 * hook that turns SHUTDOWN, RESET, POWERDOWN, STOP and RESUME into events.
 */
#include <sys/time.h>
#include "monitor-internal.h"
#include "system/runstate.h"

static void (*event_observer)(const char *name, const QObject *data,
                              void *opaque);
static void *event_observer_opaque;

void qapi_event_set_observer(void (*fn)(const char *name,
                                        const QObject *data, void *opaque),
                             void *opaque)
{
    event_observer = fn;
    event_observer_opaque = opaque;
}

void qapi_event_send(const char *name, QObject *data)
{
    QObject *event = qdict_new();
    QObject *timestamp = qdict_new();
    struct timeval tv;
    Monitor *mon;

    gettimeofday(&tv, NULL);
    qdict_put_int(timestamp, "seconds", tv.tv_sec);
    qdict_put_int(timestamp, "microseconds", tv.tv_usec);
    /* QEMU's member order: event, data, timestamp. */
    qdict_put_str(event, "event", name);
    if (data) {
        qdict_put(event, "data", data);
    }
    qdict_put(event, "timestamp", timestamp);

    if (event_observer) {
        event_observer(name, data, event_observer_opaque);
    }
    pthread_mutex_lock(&monitor_list_lock);
    QTAILQ_FOREACH(mon, &monitor_list, next) {
        if (mon->is_qmp && mon->negotiated) {
            monitor_qmp_send(mon, event);
        }
    }
    pthread_mutex_unlock(&monitor_list_lock);
    qobject_unref(event);
}

static void runstate_emit_event(const RunstateEvent *ev)
{
    QObject *data = NULL;

    if (ev->has_cause) {
        data = qdict_new();
        qdict_put_bool(data, "guest", ev->guest);
        qdict_put_str(data, "reason", ev->reason);
    }
    qapi_event_send(ev->name, data);
}

void monitor_events_init(void)
{
    static const RunstateHooks hooks = {
        .emit_event = runstate_emit_event,
    };
    /* runstate_init() keeps hooks; installing again is harmless. */
    runstate_set_hooks(&hooks);
}
