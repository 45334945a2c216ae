/*
 * The monitor: QMP (JSON, for programs) and HMP (text, for people), as in
 * QEMU.  One Monitor serves one chardev frontend; any number may run at
 * once, over any chardev (stdio, sockets, a mux shared with a serial port).
 *
 * Command line (wired by main.c):
 *   -qmp SPEC / -qmp-pretty SPEC / -monitor SPEC  monitor_parse_legacy()
 *   -mon chardev=ID,mode=control|readline[,pretty=on]
 *                                   qemu_opts_parse(&qemu_mon_opts, ...)
 *                                   then monitor_init_opts()
 * At exit main() calls monitor_cleanup(), which flushes pending output
 * (the reply to "quit" included) and frees every monitor.
 *
 * Everything here runs with the BQL held, in the main loop; only
 * monitor_printf() on another monitor and event emission may come from a
 * vCPU thread (also with the BQL held).
 */
#ifndef MONITOR_MONITOR_H
#define MONITOR_MONITOR_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/qemu-option.h"
#include "util/qobject.h"

typedef struct Monitor Monitor;
typedef struct Chardev Chardev;

/* The "mon" option group: chardev=, mode=readline|control, pretty=. */
extern QemuOptsList qemu_mon_opts;

/* Attach a new monitor to chr (QMP if qmp, else HMP with line editing). */
Monitor *monitor_new(Chardev *chr, bool qmp, bool pretty, Error **errp);
bool monitor_init_qmp(Chardev *chr, bool pretty, Error **errp);
bool monitor_init_hmp(Chardev *chr, bool use_readline, Error **errp);
/* -mon: "chardev=ID" must name an existing chardev. */
bool monitor_init_opts(QemuOpts *opts, Error **errp);
/*
 * -monitor SPEC / -qmp SPEC: create chardev "compat_monitorN" from a
 * legacy spec ("stdio", "unix:PATH,server=on,wait=off", "tcp:...") and
 * attach a monitor.  "none" creates nothing.
 */
bool monitor_parse_legacy(const char *spec, bool qmp, bool pretty,
                          Error **errp);
/* Detach from the chardev and free. */
void monitor_destroy(Monitor *mon);
/* Flush and free every monitor (at exit). */
void monitor_cleanup(void);

/* The monitor whose command runs in this thread, or NULL. */
Monitor *monitor_cur(void);
Monitor *monitor_set_cur(Monitor *mon);  /* returns the previous one */
bool monitor_is_qmp(const Monitor *mon);
/*
 * Not on a chardev (human-monitor-command's): it is destroyed as soon as
 * its command returns, so nothing may keep it for later output.
 */
bool monitor_is_detached(const Monitor *mon);

/*
 * Text output (HMP).  Buffered: written to the chardev without blocking,
 * the rest when the chardev takes more.  On a QMP monitor these do
 * nothing (QMP speaks JSON only).
 */
int monitor_printf(Monitor *mon, const char *fmt, ...) PRINTF_FMT(2, 3);
int monitor_vprintf(Monitor *mon, const char *fmt, va_list ap)
    PRINTF_FMT(2, 0);
void monitor_puts(Monitor *mon, const char *str);
void monitor_flush(Monitor *mon);

/*
 * Run one HMP command line and return what it printed (malloc'ed); used
 * by QMP's human-monitor-command.  cpu_index < 0: the default CPU.
 */
char *monitor_hmp_run(const char *line, int cpu_index, Error **errp);

/* -name, for query-name (NULL: none). */
void monitor_set_vm_name(const char *name);
const char *monitor_get_vm_name(void);

#endif
