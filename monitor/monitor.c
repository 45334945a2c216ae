/*
 * Monitor core: creation from the command line, the list of monitors,
 * buffered non-blocking output, the current monitor.
 */
#include "monitor-internal.h"
#include "hw/core/cpu.h"

MonitorList monitor_list = QTAILQ_HEAD_INITIALIZER(monitor_list);
pthread_mutex_t monitor_list_lock = PTHREAD_MUTEX_INITIALIZER;

static __thread Monitor *cur_mon;
static char *vm_name;
static int legacy_monitor_count;

QemuOptsList qemu_mon_opts = {
    .name = "mon",
    .implied_opt_name = "chardev",
    .desc = {
        { .name = "mode", .type = QEMU_OPT_STRING,
          .help = "readline (HMP) or control (QMP)" },
        { .name = "chardev", .type = QEMU_OPT_STRING,
          .help = "id of the chardev to use" },
        { .name = "pretty", .type = QEMU_OPT_BOOL,
          .help = "indent QMP output" },
        { NULL }
    },
};

Monitor *monitor_cur(void)
{
    return cur_mon;
}

Monitor *monitor_set_cur(Monitor *mon)
{
    Monitor *old = cur_mon;
    cur_mon = mon;
    return old;
}

bool monitor_is_qmp(const Monitor *mon)
{
    return mon->is_qmp;
}

bool monitor_is_detached(const Monitor *mon)
{
    return !mon->chr.chr;
}

void monitor_set_vm_name(const char *name)
{
    free(vm_name);
    vm_name = name ? xstrdup(name) : NULL;
}

const char *monitor_get_vm_name(void)
{
    return vm_name;
}

/* ---- output ---- */

static void monitor_flush_locked(Monitor *mon);

static void monitor_unblocked(void *opaque)
{
    Monitor *mon = opaque;

    pthread_mutex_lock(&mon->out_lock);
    mon->out_watch = false;
    monitor_flush_locked(mon);
    pthread_mutex_unlock(&mon->out_lock);
}

static void monitor_flush_locked(Monitor *mon)
{
    if (mon->capture) {
        return;
    }
    while (mon->out_head < mon->outbuf.len) {
        const uint8_t *buf = (const uint8_t *)mon->outbuf.str + mon->out_head;
        size_t len = mon->outbuf.len - mon->out_head;
        int n;

        if (!mon->chr.chr) {
            break;          /* nowhere to go: drop */
        }
        n = qemu_chr_fe_write(&mon->chr, buf, MIN(len, (size_t)INT_MAX));
        if (n > 0) {
            mon->out_head += n;
            continue;
        }
        if (n < 0) {
            break;          /* broken stream: what is left cannot arrive */
        }
        /* Full for now: finish from the main loop when it drains. */
        if (!mon->out_watch) {
            if (qemu_chr_fe_add_write_watch(&mon->chr, monitor_unblocked,
                                            mon)) {
                mon->out_watch = true;
            } else {
                /* The chardev never blocks for long (file, stdio). */
                n = qemu_chr_fe_write_all(&mon->chr, buf, len);
                if (n > 0) {
                    mon->out_head += n;
                    continue;
                }
                break;
            }
        }
        return;
    }
    mon->outbuf.len = 0;
    mon->out_head = 0;
    if (mon->outbuf.str) {
        mon->outbuf.str[0] = '\0';
    }
}

void monitor_flush(Monitor *mon)
{
    pthread_mutex_lock(&mon->out_lock);
    monitor_flush_locked(mon);
    pthread_mutex_unlock(&mon->out_lock);
}

void monitor_write_raw(Monitor *mon, const char *buf, size_t len)
{
    pthread_mutex_lock(&mon->out_lock);
    if (mon->capture) {
        strbuf_append_len(mon->capture, buf, len);
    } else if (mon->chr.chr) {
        strbuf_append_len(&mon->outbuf, buf, len);
        monitor_flush_locked(mon);
    }
    pthread_mutex_unlock(&mon->out_lock);
}

/* As QEMU: '\n' goes out as "\r\n", for terminals in raw mode. */
static void monitor_puts_crlf(Monitor *mon, const char *str)
{
    StrBuf sb;

    strbuf_init(&sb);
    for (const char *p = str; *p; p++) {
        if (*p == '\n') {
            strbuf_putc(&sb, '\r');
        }
        strbuf_putc(&sb, *p);
    }
    monitor_write_raw(mon, sb.str ? sb.str : "", sb.len);
    strbuf_free(&sb);
}

void monitor_puts(Monitor *mon, const char *str)
{
    if (!mon || mon->is_qmp) {
        return;
    }
    monitor_puts_crlf(mon, str);
}

int monitor_vprintf(Monitor *mon, const char *fmt, va_list ap)
{
    char *s;
    int len;

    if (!mon || mon->is_qmp) {
        return -1;
    }
    s = xvasprintf(fmt, ap);
    len = strlen(s);
    monitor_puts_crlf(mon, s);
    free(s);
    return len;
}

int monitor_printf(Monitor *mon, const char *fmt, ...)
{
    va_list ap;
    int ret;

    va_start(ap, fmt);
    ret = monitor_vprintf(mon, fmt, ap);
    va_end(ap);
    return ret;
}

void monitor_qmp_send(Monitor *mon, const QObject *msg)
{
    char *json = mon->pretty ? qobject_to_json_pretty(msg)
                             : qobject_to_json(msg);
    StrBuf sb;

    strbuf_init(&sb);
    strbuf_append(&sb, json);
    strbuf_putc(&sb, '\n');
    free(json);
    /* The same "\r\n" line ends as QEMU's QMP output. */
    monitor_puts_crlf(mon, sb.str);
    strbuf_free(&sb);
}

/* ---- creation ---- */

static Monitor *monitor_alloc(bool qmp)
{
    Monitor *mon = xnew(Monitor);

    mon->is_qmp = qmp;
    pthread_mutex_init(&mon->out_lock, NULL);
    strbuf_init(&mon->outbuf);
    mon->cpu_index = -1;
    mon->last_format = 'x';
    mon->last_size = 4;
    return mon;
}

Monitor *monitor_new_detached(bool qmp, StrBuf *capture)
{
    Monitor *mon = monitor_alloc(qmp);

    mon->capture = capture;
    if (qmp) {
        monitor_qmp_setup(mon);
    } else {
        monitor_hmp_setup(mon);
    }
    return mon;
}

Monitor *monitor_new(Chardev *chr, bool qmp, bool pretty, Error **errp)
{
    Monitor *mon;

    if (!chr) {
        error_setg(errp, "a monitor needs a chardev");
        return NULL;
    }
    qmp_init_builtin_commands();
    monitor_events_init();

    mon = monitor_alloc(qmp);
    mon->pretty = pretty;
    mon->use_readline = !qmp;
    if (!qemu_chr_fe_init(&mon->chr, chr, errp)) {
        pthread_mutex_destroy(&mon->out_lock);
        free(mon);
        return NULL;
    }
    pthread_mutex_lock(&monitor_list_lock);
    QTAILQ_INSERT_TAIL(&monitor_list, mon, next);
    pthread_mutex_unlock(&monitor_list_lock);
    /* Installs the chardev handlers; an open chardev greets at once. */
    if (qmp) {
        monitor_qmp_setup(mon);
    } else {
        monitor_hmp_setup(mon);
    }
    return mon;
}

bool monitor_init_qmp(Chardev *chr, bool pretty, Error **errp)
{
    return monitor_new(chr, true, pretty, errp) != NULL;
}

bool monitor_init_hmp(Chardev *chr, bool use_readline, Error **errp)
{
    Monitor *mon = monitor_new(chr, false, false, errp);

    if (mon) {
        mon->use_readline = use_readline;
    }
    return mon != NULL;
}

bool monitor_init_opts(QemuOpts *opts, Error **errp)
{
    const char *chardev = qemu_opt_get(opts, "chardev");
    const char *mode = qemu_opt_get(opts, "mode");
    bool pretty = qemu_opt_get_bool(opts, "pretty", false);
    bool qmp;
    Chardev *chr;

    if (!mode || !strcmp(mode, "readline")) {
        qmp = false;
    } else if (!strcmp(mode, "control")) {
        qmp = true;
    } else {
        error_setg(errp, "unknown monitor mode \"%s\"", mode);
        return false;
    }
    if (!qmp && pretty) {
        warn_report("'pretty' is deprecated for HMP monitors, it has no "
                    "effect and will be removed in future versions");
    }
    if (!chardev) {
        error_setg(errp, "Parameter 'chardev' is missing");
        return false;
    }
    chr = qemu_chr_find(chardev);
    if (!chr) {
        error_setg(errp, "chardev \"%s\" not found", chardev);
        return false;
    }
    return monitor_new(chr, qmp, pretty, errp) != NULL;
}

bool monitor_parse_legacy(const char *spec, bool qmp, bool pretty,
                          Error **errp)
{
    char label[32];
    Chardev *chr;

    if (!strcmp(spec, "none")) {
        return true;
    }
    snprintf(label, sizeof(label), "compat_monitor%d",
             legacy_monitor_count++);
    chr = qemu_chr_new(label, spec, errp);
    if (!chr) {
        return false;
    }
    if (!monitor_new(chr, qmp, pretty, errp)) {
        qemu_chr_delete(chr);
        return false;
    }
    return true;
}

void monitor_destroy(Monitor *mon)
{
    if (!mon) {
        return;
    }
    if (mon->chr.chr) {
        Chardev *chr = mon->chr.chr;

        monitor_flush(mon);
        if (mon->out_watch && chr->write_watch == monitor_unblocked &&
            chr->write_watch_opaque == mon) {
            chr->write_watch = NULL;
            chr->write_watch_opaque = NULL;
        }
        pthread_mutex_lock(&monitor_list_lock);
        QTAILQ_REMOVE(&monitor_list, mon, next);
        pthread_mutex_unlock(&monitor_list_lock);
        qemu_chr_fe_deinit(&mon->chr, false);
    }
    if (mon->is_qmp) {
        monitor_qmp_finalize(mon);
    } else {
        monitor_hmp_finalize(mon);
    }
    if (cur_mon == mon) {
        cur_mon = NULL;
    }
    strbuf_free(&mon->outbuf);
    pthread_mutex_destroy(&mon->out_lock);
    free(mon);
}

void monitor_cleanup(void)
{
    Monitor *mon;

    /*
     * Last words ("quit"'s reply, a final event) must reach the client:
     * write what is still buffered, blocking if need be.
     */
    while ((mon = QTAILQ_FIRST(&monitor_list))) {
        pthread_mutex_lock(&mon->out_lock);
        if (mon->chr.chr && mon->out_head < mon->outbuf.len) {
            qemu_chr_fe_write_all(&mon->chr,
                                  (const uint8_t *)mon->outbuf.str +
                                  mon->out_head,
                                  mon->outbuf.len - mon->out_head);
        }
        mon->out_head = mon->outbuf.len = 0;
        pthread_mutex_unlock(&mon->out_lock);
        monitor_destroy(mon);
    }
}
