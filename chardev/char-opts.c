/*
 * Parsing chardev descriptions into ChardevBackendOptions, in QEMU's two
 * syntaxes:
 *   -chardev socket,id=c0,path=/tmp/s,server=on,wait=off
 *   -serial  stdio | mon:stdio | null | none | file:PATH | pipe:PATH | pty
 *            | unix:PATH[,server=on][,wait=off][,reconnect=N]
 *            | tcp:[HOST]:PORT[,server=on][,wait=off][,nodelay=on]
 *            | telnet:[HOST]:PORT[,...]
 *
 * The "key=val,..." splitting is private to chardev: util/qemu-option had
 * not landed when this was written.  ",," stands for a literal comma, as
 * in QEMU.
 */
#include "chardev/char.h"

void qemu_chr_options_init(ChardevBackendOptions *opts)
{
    memset(opts, 0, sizeof(*opts));
    opts->wait = true;
    opts->signal = true;
}

void qemu_chr_options_clear(ChardevBackendOptions *opts)
{
    free(opts->id);
    free(opts->path);
    free(opts->host);
    free(opts->port);
    free(opts->logfile);
    free(opts->chardev);
    qemu_chr_options_init(opts);
}

static const char *const backend_names[CHARDEV_BACKEND__MAX] = {
    [CHARDEV_BACKEND_NONE] = "none",
    [CHARDEV_BACKEND_NULL] = "null",
    [CHARDEV_BACKEND_STDIO] = "stdio",
    [CHARDEV_BACKEND_FILE] = "file",
    [CHARDEV_BACKEND_PIPE] = "pipe",
    [CHARDEV_BACKEND_PTY] = "pty",
    [CHARDEV_BACKEND_SOCKET] = "socket",
    [CHARDEV_BACKEND_MUX] = "mux",
    [CHARDEV_BACKEND_RINGBUF] = "ringbuf",
};

/* Split off the next "key[=value]" item; returns false at the end. */
static bool next_item(const char **pos, char **key, char **value)
{
    const char *p = *pos;
    StrBuf k = { 0 }, v = { 0 };
    StrBuf *cur = &k;
    bool has_value = false;

    if (!*p) {
        return false;
    }
    strbuf_append(&k, "");
    while (*p) {
        if (*p == ',') {
            if (p[1] == ',') {
                strbuf_putc(cur, ',');
                p += 2;
                continue;
            }
            p++;
            break;
        }
        if (*p == '=' && !has_value) {
            has_value = true;
            strbuf_append(&v, "");
            cur = &v;
            p++;
            continue;
        }
        strbuf_putc(cur, *p++);
    }
    *pos = p;
    *key = strbuf_steal(&k);
    *value = has_value ? strbuf_steal(&v) : NULL;
    return true;
}

static bool set_bool(const char *backend, const char *key, const char *value,
                     bool *out, Error **errp)
{
    if (!value) {
        *out = true;          /* a bare "server" means server=on */
        return true;
    }
    if (parse_bool(value, out) < 0) {
        error_setg(errp, "chardev: %s: parameter '%s' expects 'on' or 'off'",
                   backend, key);
        return false;
    }
    return true;
}

static bool set_str(const char *backend, const char *key, const char *value,
                    char **out, Error **errp)
{
    if (!value) {
        error_setg(errp, "chardev: %s: parameter '%s' needs a value",
                   backend, key);
        return false;
    }
    free(*out);
    *out = xstrdup(value);
    return true;
}

static bool set_uint(const char *backend, const char *key, const char *value,
                     int64_t scale, int64_t *out, Error **errp)
{
    uint64_t v;

    if (!value || parse_uint64(value, &v) < 0 || v > (uint64_t)(INT64_MAX / scale)) {
        error_setg(errp, "chardev: %s: parameter '%s' expects a "
                   "non-negative number", backend, key);
        return false;
    }
    *out = (int64_t)v * scale;
    return true;
}

/* A byte count with an optional k/M/G suffix (powers of 1024). */
static bool set_size(const char *backend, const char *key, const char *value,
                     int64_t *out, Error **errp)
{
    char *end;
    uint64_t v, scale = 1;

    errno = 0;
    v = value && *value >= '0' && *value <= '9' ? strtoull(value, &end, 10) : 0;
    if (!value || *value < '0' || *value > '9' || errno) {
        goto bad;
    }
    switch (*end) {
    case 'k': case 'K': scale = 1ULL << 10; end++; break;
    case 'm': case 'M': scale = 1ULL << 20; end++; break;
    case 'g': case 'G': scale = 1ULL << 30; end++; break;
    case 'b': case 'B': end++; break;
    }
    if (*end || v > (uint64_t)INT64_MAX / scale) {
        goto bad;
    }
    *out = (int64_t)(v * scale);
    return true;
bad:
    error_setg(errp, "chardev: %s: parameter '%s' expects a size "
               "(bytes, or with a k, M or G suffix)", backend, key);
    return false;
}

/* Bit per backend kind that accepts a key. */
#define K(kind) (1u << CHARDEV_BACKEND_##kind)
#define ALL_KINDS 0xffffffffu

/* One option: apply key=value to opts if kind accepts it. */
static bool apply_option(ChardevBackendOptions *opts, const char *backend,
                         const char *key, const char *value, Error **errp)
{
    static const struct {
        const char *key;
        unsigned kinds;
    } allowed[] = {
        { "id", ALL_KINDS }, { "mux", ALL_KINDS },
        { "logfile", ALL_KINDS }, { "logappend", ALL_KINDS },
        { "path", K(FILE) | K(PIPE) | K(SOCKET) },
        { "append", K(FILE) },
        { "signal", K(STDIO) },
        { "host", K(SOCKET) }, { "port", K(SOCKET) },
        { "server", K(SOCKET) }, { "wait", K(SOCKET) },
        { "nowait", K(SOCKET) }, { "nodelay", K(SOCKET) },
        { "telnet", K(SOCKET) }, { "reconnect", K(SOCKET) },
        { "reconnect-ms", K(SOCKET) },
        { "chardev", K(MUX) },
        { "size", K(RINGBUF) },
    };
    bool known = false;

    for (size_t i = 0; i < ARRAY_SIZE(allowed); i++) {
        if (!strcmp(allowed[i].key, key) &&
            (allowed[i].kinds & (1u << opts->kind))) {
            known = true;
            break;
        }
    }
    if (!known) {
        error_setg(errp, "chardev: %s: invalid parameter '%s'", backend, key);
        return false;
    }

    if (!strcmp(key, "id")) {
        return set_str(backend, key, value, &opts->id, errp);
    } else if (!strcmp(key, "mux")) {
        return set_bool(backend, key, value, &opts->mux, errp);
    } else if (!strcmp(key, "logfile")) {
        return set_str(backend, key, value, &opts->logfile, errp);
    } else if (!strcmp(key, "logappend")) {
        return set_bool(backend, key, value, &opts->logappend, errp);
    } else if (!strcmp(key, "path")) {
        return set_str(backend, key, value, &opts->path, errp);
    } else if (!strcmp(key, "append")) {
        return set_bool(backend, key, value, &opts->append, errp);
    } else if (!strcmp(key, "signal")) {
        return set_bool(backend, key, value, &opts->signal, errp);
    } else if (!strcmp(key, "host")) {
        return set_str(backend, key, value, &opts->host, errp);
    } else if (!strcmp(key, "port")) {
        return set_str(backend, key, value, &opts->port, errp);
    } else if (!strcmp(key, "server")) {
        return set_bool(backend, key, value, &opts->server, errp);
    } else if (!strcmp(key, "wait")) {
        return set_bool(backend, key, value, &opts->wait, errp);
    } else if (!strcmp(key, "nowait")) {
        opts->wait = false;
        return true;
    } else if (!strcmp(key, "nodelay")) {
        return set_bool(backend, key, value, &opts->nodelay, errp);
    } else if (!strcmp(key, "telnet")) {
        return set_bool(backend, key, value, &opts->telnet, errp);
    } else if (!strcmp(key, "reconnect")) {
        return set_uint(backend, key, value, 1000, &opts->reconnect_ms, errp);
    } else if (!strcmp(key, "reconnect-ms")) {
        return set_uint(backend, key, value, 1, &opts->reconnect_ms, errp);
    } else if (!strcmp(key, "chardev")) {
        return set_str(backend, key, value, &opts->chardev, errp);
    } else if (!strcmp(key, "size")) {
        return set_size(backend, key, value, &opts->size, errp);
    }
    return true;
}

static bool apply_options(ChardevBackendOptions *opts, const char *backend,
                          const char *str, bool allow_id, Error **errp)
{
    char *key, *value;
    bool ok = true;

    while (ok && next_item(&str, &key, &value)) {
        if (!*key && !value) {
            /* "a,,b" splits fine; an empty item "a,,,b" is just skipped */
        } else if (!allow_id && !strcmp(key, "id")) {
            error_setg(errp, "chardev: %s: invalid parameter 'id'", backend);
            ok = false;
        } else {
            ok = apply_option(opts, backend, key, value, errp);
        }
        free(key);
        free(value);
    }
    return ok;
}

/* Checks shared by both syntaxes, once everything is parsed. */
static bool check_options(ChardevBackendOptions *opts, const char *backend,
                          Error **errp)
{
    switch (opts->kind) {
    case CHARDEV_BACKEND_FILE:
    case CHARDEV_BACKEND_PIPE:
        if (!opts->path || !*opts->path) {
            error_setg(errp, "chardev: %s: missing path", backend);
            return false;
        }
        break;
    case CHARDEV_BACKEND_SOCKET:
        if (opts->path && opts->host) {
            error_setg(errp, "chardev: %s: 'path' and 'host' are exclusive",
                       backend);
            return false;
        }
        if (opts->path && !*opts->path) {
            error_setg(errp, "chardev: %s: missing path", backend);
            return false;
        }
        if (!opts->path && !opts->port) {
            error_setg(errp, "chardev: %s: missing %s", backend,
                       opts->host ? "port" : "path or host");
            return false;
        }
        if (opts->port && !*opts->port) {
            error_setg(errp, "chardev: %s: missing port", backend);
            return false;
        }
        if (!opts->path && !opts->server && (!opts->host || !*opts->host)) {
            error_setg(errp, "chardev: %s: missing host to connect to",
                       backend);
            return false;
        }
        if (opts->server && opts->reconnect_ms) {
            error_setg(errp, "chardev: %s: 'reconnect' option is "
                       "incompatible with 'server' option", backend);
            return false;
        }
        if (!opts->server && !opts->wait) {
            error_setg(errp, "chardev: %s: 'wait' option is incompatible "
                       "with socket in client connect mode", backend);
            return false;
        }
        if (!opts->server) {
            opts->wait = false;
        }
        break;
    case CHARDEV_BACKEND_RINGBUF:
        if (opts->size == 0) {
            opts->size = 65536;
        }
        /* A power of two, so positions wrap with a mask (as QEMU's). */
        if (opts->size < 0 || opts->size > (1 << 30) ||
            (opts->size & (opts->size - 1))) {
            error_setg(errp, "chardev: %s: size of ringbuf chardev must be "
                       "power of two", backend);
            return false;
        }
        break;
    case CHARDEV_BACKEND_MUX:
        if (!opts->chardev) {
            error_setg(errp, "chardev: mux: missing 'chardev'");
            return false;
        }
        break;
    default:
        break;
    }
    return true;
}

static int backend_kind(const char *name)
{
    /* QEMU's old name for ringbuf. */
    if (!strcmp(name, "memory")) {
        return CHARDEV_BACKEND_RINGBUF;
    }
    for (int i = 0; i < CHARDEV_BACKEND__MAX; i++) {
        if (!strcmp(backend_names[i], name)) {
            return i;
        }
    }
    return -1;
}

bool qemu_chr_parse_opts(const char *str, ChardevBackendOptions *opts,
                         Error **errp)
{
    const char *comma = strchr(str, ',');
    char *name = comma ? xstrndup(str, comma - str) : xstrdup(str);
    int kind = backend_kind(name);
    bool ok = false;

    qemu_chr_options_clear(opts);
    if (!*name) {
        error_setg(errp, "chardev: missing backend name");
        goto out;
    }
    if (kind < 0 || kind == CHARDEV_BACKEND_NONE) {
        error_setg(errp, "'%s' is not a valid char driver", name);
        goto out;
    }
    opts->kind = kind;
    if (!apply_options(opts, name, comma ? comma + 1 : "", true, errp)) {
        goto out;
    }
    if (!opts->id || !*opts->id) {
        error_setg(errp, "chardev: %s: parameter 'id' is missing", name);
        goto out;
    }
    ok = check_options(opts, name, errp);
out:
    free(name);
    if (!ok) {
        qemu_chr_options_clear(opts);
    }
    return ok;
}

/* "[HOST]:PORT" or "[[v6addr]]:PORT" followed by ",options". */
static bool parse_host_port(const char *backend, const char *p,
                            ChardevBackendOptions *opts, const char **rest,
                            Error **errp)
{
    const char *end = p + strcspn(p, ",");
    const char *colon;

    if (*p == '[') {
        const char *close = memchr(p, ']', end - p);
        if (!close || close[1] != ':') {
            error_setg(errp, "chardev: %s: expected [ADDRESS]:PORT", backend);
            return false;
        }
        opts->host = xstrndup(p + 1, close - p - 1);
        colon = close + 1;
    } else {
        colon = memrchr(p, ':', end - p);
        if (!colon) {
            error_setg(errp, "chardev: %s: expected HOST:PORT", backend);
            return false;
        }
        opts->host = xstrndup(p, colon - p);
    }
    opts->port = xstrndup(colon + 1, end - colon - 1);
    if (!*opts->port) {
        error_setg(errp, "chardev: %s: missing port", backend);
        return false;
    }
    *rest = *end ? end + 1 : end;
    return true;
}

bool qemu_chr_parse_legacy(const char *label, const char *spec,
                           ChardevBackendOptions *opts, Error **errp)
{
    const char *p, *rest = "";
    const char *backend;
    bool ok = false;

    qemu_chr_options_clear(opts);
    opts->id = xstrdup(label);
    if (strstart(spec, "mon:", &p)) {
        opts->monitor = true;
        opts->mux = true;
        spec = p;
    }

    if (!strcmp(spec, "stdio")) {
        opts->kind = CHARDEV_BACKEND_STDIO;
        backend = "stdio";
    } else if (!strcmp(spec, "null")) {
        opts->kind = CHARDEV_BACKEND_NULL;
        backend = "null";
    } else if (!strcmp(spec, "none")) {
        opts->kind = CHARDEV_BACKEND_NONE;
        opts->mux = opts->monitor = false;
        return true;
    } else if (!strcmp(spec, "pty")) {
        opts->kind = CHARDEV_BACKEND_PTY;
        backend = "pty";
    } else if (strstart(spec, "file:", &p)) {
        opts->kind = CHARDEV_BACKEND_FILE;
        opts->path = xstrdup(p);
        backend = "file";
    } else if (strstart(spec, "pipe:", &p)) {
        opts->kind = CHARDEV_BACKEND_PIPE;
        opts->path = xstrdup(p);
        backend = "pipe";
    } else if (strstart(spec, "unix:", &p)) {
        size_t n = strcspn(p, ",");
        opts->kind = CHARDEV_BACKEND_SOCKET;
        backend = "unix";
        if (n == 0) {
            error_setg(errp, "chardev: unix: missing path");
            goto out;
        }
        opts->path = xstrndup(p, n);
        rest = p[n] ? p + n + 1 : "";
    } else if (strstart(spec, "tcp:", &p) || strstart(spec, "telnet:", &p)) {
        backend = spec[0] == 't' && spec[1] == 'e' ? "telnet" : "tcp";
        opts->kind = CHARDEV_BACKEND_SOCKET;
        opts->telnet = backend[1] == 'e';
        if (!parse_host_port(backend, p, opts, &rest, errp)) {
            goto out;
        }
    } else {
        size_t n = strcspn(spec, ":,");
        char *name = xstrndup(spec, n);
        error_setg(errp, "'%s' is not a valid char driver", name);
        free(name);
        goto out;
    }

    if (*rest && !apply_options(opts, backend, rest, false, errp)) {
        goto out;
    }
    ok = check_options(opts, backend, errp);
out:
    if (!ok) {
        qemu_chr_options_clear(opts);
    }
    return ok;
}
