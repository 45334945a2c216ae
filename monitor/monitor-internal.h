/*
 * Monitor internals shared by the files of monitor/.
 */
#ifndef MONITOR_INTERNAL_H
#define MONITOR_INTERNAL_H

#include <pthread.h>
#include "monitor/monitor.h"
#include "monitor/qmp.h"
#include "monitor/readline.h"
#include "chardev/char.h"
#include "util/queue.h"

struct Monitor {
    bool is_qmp;
    bool pretty;              /* QMP: indented JSON */
    bool use_readline;        /* HMP: line editing and echo */

    CharBackend chr;          /* chr.chr NULL: no chardev */
    StrBuf *capture;          /* human-monitor-command: output goes here */

    /*
     * Pending output.  Writers may be on a vCPU thread (events), hence the
     * lock; the chardev is written without blocking and the rest waits
     * for its write watch, so a client that stops reading never stalls
     * the main loop.
     */
    pthread_mutex_t out_lock;
    StrBuf outbuf;
    size_t out_head;          /* bytes of outbuf already written */
    bool out_watch;           /* a write watch is pending */

    /* QMP */
    JSONMessageParser *parser;
    bool negotiated;          /* qmp_capabilities done */
    int in_feed;              /* inside json_message_parser_feed */
    bool reset_pending;       /* disconnected while feeding */

    /* HMP */
    ReadLineState *rs;
    int cpu_index;            /* default CPU for info registers, x, ... */
    int last_format;          /* sticky /fmt of x and xp */
    int last_size;
    bool suspended_prompt;    /* mux focus elsewhere: no prompt */

    QTAILQ_ENTRY(Monitor) next;
};

/* Every monitor with a chardev, for events. */
typedef QTAILQ_HEAD(MonitorList, Monitor) MonitorList;
extern MonitorList monitor_list;
extern pthread_mutex_t monitor_list_lock;

/* Append raw bytes (no \n conversion) and try to write them. */
void monitor_write_raw(Monitor *mon, const char *buf, size_t len);

/* QMP side (qmp.c). */
void monitor_qmp_setup(Monitor *mon);
void monitor_qmp_finalize(Monitor *mon);
/* One JSON message, followed by a newline. */
void monitor_qmp_send(Monitor *mon, const QObject *msg);
/* Feed raw input as if it arrived from the chardev (fuzzing, tests). */
void monitor_qmp_feed(Monitor *mon, const uint8_t *buf, size_t len);

/* HMP side (hmp.c). */
void monitor_hmp_setup(Monitor *mon);
void monitor_hmp_finalize(Monitor *mon);
void hmp_handle_command(Monitor *mon, const char *cmdline);
/* Default CPU of an HMP monitor (NULL if there is none). */
struct CPUState *monitor_get_cpu(Monitor *mon);

/*
 * A monitor that is not attached to anything; output goes to capture if
 * set, else nowhere.  Free with monitor_destroy.
 */
Monitor *monitor_new_detached(bool qmp, StrBuf *capture);

#endif
