/*
 * Chardev core: the registry of chardevs by label, the driver table, the
 * frontend (CharBackend) API and the backend-to-frontend helpers.
 */
#include "chardev/char.h"
#include <fcntl.h>

static QTAILQ_HEAD(, Chardev) chardevs = QTAILQ_HEAD_INITIALIZER(chardevs);
static const ChardevClass *drivers[CHARDEV_BACKEND__MAX];

void qemu_chr_register_driver(const ChardevClass *driver)
{
    assert(driver->kind < CHARDEV_BACKEND__MAX);
    assert(driver->instance_size >= sizeof(Chardev));
    drivers[driver->kind] = driver;
}

const ChardevClass *qemu_chr_find_driver(const char *name)
{
    for (int i = 0; i < CHARDEV_BACKEND__MAX; i++) {
        if (drivers[i] && !strcmp(drivers[i]->name, name)) {
            return drivers[i];
        }
    }
    return NULL;
}

/* ---- Backend side ---- */

int qemu_chr_be_can_write(Chardev *chr)
{
    CharBackend *be = chr->be;
    if (!be || !be->chr_can_read) {
        return 0;
    }
    return be->chr_can_read(be->opaque);
}

void qemu_chr_be_write(Chardev *chr, const uint8_t *buf, int len)
{
    CharBackend *be = chr->be;
    if (be && be->chr_read) {
        be->chr_read(be->opaque, buf, len);
    }
}

void qemu_chr_be_event(Chardev *chr, QEMUChrEvent event)
{
    CharBackend *be = chr->be;

    /* Track the host side's state even when no frontend listens yet. */
    if (event == CHR_EVENT_OPENED) {
        chr->be_open = true;
    } else if (event == CHR_EVENT_CLOSED) {
        chr->be_open = false;
    }
    if (be && be->chr_event) {
        be->chr_event(be->opaque, event);
    }
}

void qemu_chr_be_write_ready(Chardev *chr)
{
    CharWatchFunc *func = chr->write_watch;
    void *opaque = chr->write_watch_opaque;

    chr->write_watch = NULL;
    chr->write_watch_opaque = NULL;
    if (func) {
        func(opaque);
    }
}

void qemu_chr_set_filename(Chardev *chr, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *name = xvasprintf(fmt, ap);
    va_end(ap);
    free(chr->filename);
    chr->filename = name;
}

static void chr_log(Chardev *chr, const uint8_t *buf, int len)
{
    /* The log is best effort: a full disk must not stall the guest. */
    while (chr->logfd >= 0 && len > 0) {
        ssize_t n = write(chr->logfd, buf, len);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            break;
        }
        buf += n;
        len -= n;
    }
}

int qemu_chr_write(Chardev *chr, const uint8_t *buf, int len, bool write_all)
{
    int done = 0;

    pthread_mutex_lock(&chr->write_lock);
    while (done < len) {
        int n = chr->driver->chr_write(chr, buf + done, len - done);
        if (n == -EINTR) {
            continue;
        }
        if (n < 0) {
            if (done == 0) {
                done = n;
            }
            break;
        }
        done += n;
        if (!write_all) {
            break;
        }
        if (n == 0 && done < len) {
            if (!chr->driver->chr_wait_writable) {
                break;
            }
            chr->driver->chr_wait_writable(chr);
        }
    }
    if (done > 0) {
        chr_log(chr, buf, done);
    }
    pthread_mutex_unlock(&chr->write_lock);
    return done;
}

/* ---- Frontend API ---- */

bool qemu_chr_fe_init(CharBackend *be, Chardev *chr, Error **errp)
{
    int tag = -1;

    memset(be, 0, sizeof(*be));
    be->tag = -1;
    if (!chr) {
        return true;
    }
    if (chr->driver->chr_attach_frontend) {
        tag = chr->driver->chr_attach_frontend(chr, be, errp);
        if (tag < 0) {
            return false;
        }
    } else if (chr->be) {
        error_setg(errp, "Device '%s' is in use", chr->label);
        return false;
    } else {
        chr->be = be;
    }
    be->tag = tag;
    be->chr = chr;
    return true;
}

void qemu_chr_fe_deinit(CharBackend *be, bool del)
{
    Chardev *chr = be->chr;

    if (!chr) {
        return;
    }
    qemu_chr_fe_set_handlers(be, NULL, NULL, NULL, NULL);
    if (chr->driver->chr_detach_frontend) {
        chr->driver->chr_detach_frontend(chr, be);
    } else if (chr->be == be) {
        chr->be = NULL;
    }
    be->chr = NULL;
    if (del) {
        qemu_chr_delete(chr);
    }
}

void qemu_chr_fe_set_handlers(CharBackend *be, IOCanReadHandler *can_read,
                              IOReadHandler *read, IOEventHandler *event,
                              void *opaque)
{
    Chardev *chr = be->chr;

    if (!chr) {
        return;
    }
    be->chr_can_read = can_read;
    be->chr_read = read;
    be->chr_event = event;
    be->opaque = opaque;
    be->fe_is_open = can_read || read || event;

    if (chr->driver->chr_set_handlers) {
        chr->driver->chr_set_handlers(chr, be);
    }
    if (chr->driver->chr_update_read_handler) {
        chr->driver->chr_update_read_handler(chr);
    }
    /* A late frontend still learns that the host side is connected. */
    if (event && chr->be_open && chr->be == be) {
        event(opaque, CHR_EVENT_OPENED);
    }
}

void qemu_chr_fe_accept_input(CharBackend *be)
{
    Chardev *chr = be->chr;

    if (chr && chr->driver->chr_accept_input) {
        chr->driver->chr_accept_input(chr);
    }
}

int qemu_chr_fe_write(CharBackend *be, const uint8_t *buf, int len)
{
    if (!be->chr) {
        return len;
    }
    return qemu_chr_write(be->chr, buf, len, false);
}

int qemu_chr_fe_write_all(CharBackend *be, const uint8_t *buf, int len)
{
    if (!be->chr) {
        return len;
    }
    return qemu_chr_write(be->chr, buf, len, true);
}

bool qemu_chr_fe_add_write_watch(CharBackend *be, CharWatchFunc *func,
                                 void *opaque)
{
    Chardev *chr = be->chr;

    if (!chr || !chr->driver->chr_add_write_watch) {
        return false;
    }
    chr->write_watch = func;
    chr->write_watch_opaque = opaque;
    if (!chr->driver->chr_add_write_watch(chr)) {
        chr->write_watch = NULL;
        chr->write_watch_opaque = NULL;
        return false;
    }
    return true;
}

void qemu_chr_fe_remove_write_watch(CharBackend *be, CharWatchFunc *func,
                                    void *opaque)
{
    Chardev *chr = be->chr;

    /*
     * The driver may still wake up for writability; with no function
     * left, qemu_chr_be_write_ready does nothing.
     */
    if (chr && chr->write_watch == func && chr->write_watch_opaque == opaque) {
        chr->write_watch = NULL;
        chr->write_watch_opaque = NULL;
    }
}

Chardev *qemu_chr_fe_get_driver(CharBackend *be)
{
    return be->chr;
}

bool qemu_chr_fe_backend_connected(CharBackend *be)
{
    return be->chr != NULL;
}

bool qemu_chr_fe_backend_open(CharBackend *be)
{
    return be->chr && be->chr->be_open;
}

/* ---- Registry ---- */

Chardev *qemu_chr_find(const char *label)
{
    Chardev *chr;

    QTAILQ_FOREACH(chr, &chardevs, next) {
        if (!strcmp(chr->label, label)) {
            return chr;
        }
    }
    return NULL;
}

void qemu_chr_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque)
{
    Chardev *chr, *next;

    QTAILQ_FOREACH_SAFE(chr, &chardevs, next, next) {
        fn(chr, opaque);
    }
}

bool qemu_chr_frontend_open(const Chardev *chr)
{
    return chr->be && chr->be->fe_is_open;
}

bool qemu_chr_is_mux(const Chardev *chr)
{
    return chr->driver->kind == CHARDEV_BACKEND_MUX;
}

static Chardev *chr_create(const ChardevClass *driver, const char *label,
                           const ChardevBackendOptions *opts, Error **errp)
{
    Chardev *chr = xzalloc(driver->instance_size);
    bool be_opened = true;

    chr->driver = driver;
    chr->label = xstrdup(label);
    chr->logfd = -1;
    pthread_mutex_init(&chr->write_lock, NULL);

    if (opts->logfile) {
        int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
                    (opts->logappend ? O_APPEND : O_TRUNC);
        chr->logfd = open(opts->logfile, flags, 0666);
        if (chr->logfd < 0) {
            error_setg_errno(errp, errno, "chardev '%s': cannot open logfile "
                             "'%s'", label, opts->logfile);
            goto fail;
        }
    }
    if (!driver->open(chr, opts, &be_opened, errp)) {
        goto fail;
    }
    if (!chr->filename) {
        chr->filename = xstrdup(driver->name);
    }
    chr->be_open = be_opened;
    QTAILQ_INSERT_TAIL(&chardevs, chr, next);
    return chr;

fail:
    if (chr->logfd >= 0) {
        close(chr->logfd);
    }
    pthread_mutex_destroy(&chr->write_lock);
    free(chr->filename);
    free(chr->label);
    free(chr);
    return NULL;
}

Chardev *qemu_chr_new_from_opts(const ChardevBackendOptions *opts,
                                Error **errp)
{
    const ChardevClass *driver;
    Chardev *base, *mux;

    if (opts->kind == CHARDEV_BACKEND_NONE) {
        return NULL;
    }
    if (!opts->id || !*opts->id) {
        error_setg(errp, "chardev: parameter 'id' is missing");
        return NULL;
    }
    driver = opts->kind < CHARDEV_BACKEND__MAX ? drivers[opts->kind] : NULL;
    if (!driver) {
        error_setg(errp, "chardev '%s': backend not compiled in", opts->id);
        return NULL;
    }
    if (qemu_chr_find(opts->id)) {
        error_setg(errp, "chardev '%s' already exists", opts->id);
        return NULL;
    }
    if (!opts->mux || opts->kind == CHARDEV_BACKEND_MUX) {
        return chr_create(driver, opts->id, opts, errp);
    }

    /* mux=on: the backend is "<id>-base", the mux over it is "<id>". */
    char *base_id = xasprintf("%s-base", opts->id);
    if (qemu_chr_find(base_id)) {
        error_setg(errp, "chardev '%s' already exists", base_id);
        free(base_id);
        return NULL;
    }
    base = chr_create(driver, base_id, opts, errp);
    if (!base) {
        free(base_id);
        return NULL;
    }
    ChardevBackendOptions mux_opts = {
        .kind = CHARDEV_BACKEND_MUX,
        .id = opts->id,
        .chardev = base_id,
    };
    mux = qemu_chr_new_from_opts(&mux_opts, errp);
    free(base_id);
    if (!mux) {
        qemu_chr_delete(base);
    }
    return mux;
}

Chardev *qemu_chr_new(const char *label, const char *spec, Error **errp)
{
    ChardevBackendOptions opts;
    Chardev *chr = NULL;

    qemu_chr_options_init(&opts);
    if (qemu_chr_parse_legacy(label, spec, &opts, errp)) {
        chr = qemu_chr_new_from_opts(&opts, errp);
    }
    qemu_chr_options_clear(&opts);
    return chr;
}

Chardev *qemu_chr_new_cmdline(const char *str, Error **errp)
{
    ChardevBackendOptions opts;
    Chardev *chr = NULL;

    qemu_chr_options_init(&opts);
    if (qemu_chr_parse_opts(str, &opts, errp)) {
        chr = qemu_chr_new_from_opts(&opts, errp);
    }
    qemu_chr_options_clear(&opts);
    return chr;
}

void qemu_chr_delete(Chardev *chr)
{
    if (!chr) {
        return;
    }
    if (chr->be && !chr->driver->chr_attach_frontend) {
        chr->be->chr = NULL;
        chr->be = NULL;
    }
    QTAILQ_REMOVE(&chardevs, chr, next);
    if (chr->driver->finalize) {
        chr->driver->finalize(chr);
    }
    if (chr->logfd >= 0) {
        close(chr->logfd);
    }
    pthread_mutex_destroy(&chr->write_lock);
    free(chr->filename);
    free(chr->label);
    free(chr);
}

bool qemu_chr_remove(const char *label, Error **errp)
{
    Chardev *chr = qemu_chr_find(label);

    if (!chr) {
        error_set(errp, ERROR_CLASS_DEVICE_NOT_FOUND,
                  "Chardev '%s' not found", label);
        return false;
    }
    if (chr->be) {
        error_setg(errp, "Chardev '%s' is busy", label);
        return false;
    }
    qemu_chr_delete(chr);
    return true;
}

void qemu_chr_cleanup(void)
{
    /* Muxes first: they are frontends of their base chardevs. */
    Chardev *chr, *next;

    QTAILQ_FOREACH_SAFE(chr, &chardevs, next, next) {
        if (qemu_chr_is_mux(chr)) {
            qemu_chr_delete(chr);
        }
    }
    while (!QTAILQ_EMPTY(&chardevs)) {
        qemu_chr_delete(QTAILQ_FIRST(&chardevs));
    }
}
