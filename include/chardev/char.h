/*
 * Character devices (chardevs), in QEMU's shape.
 *
 * A Chardev is a host-side byte stream: stdio, a file, a pipe, a pty, a
 * unix or tcp socket, the null sink, or a mux that shares one of those
 * between several frontends.  A frontend (a UART, the monitor) talks to a
 * chardev through a CharBackend:
 *
 *     CharBackend be;
 *     qemu_chr_fe_init(&be, qemu_chr_find("serial0"), errp);
 *     qemu_chr_fe_set_handlers(&be, can_read, read, event, opaque);
 *     qemu_chr_fe_write(&be, buf, len);
 *
 * Input is flow controlled: a backend asks can_read() how many bytes the
 * frontend takes now and never delivers more.  When it says 0 the backend
 * stops reading its fd, so the bytes stay in the kernel; the frontend
 * calls qemu_chr_fe_accept_input() when it has room again.  No input is
 * dropped because the guest is slow.
 *
 * Chardevs are plain structs with an ops table (ChardevClass), kept in one
 * list by label so the monitor can find and list them.  Handlers run from
 * the main loop with the BQL held; frontends call in with the BQL held.
 */
#ifndef CHARDEV_CHAR_H
#define CHARDEV_CHAR_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/queue.h"
#include <pthread.h>

typedef enum QEMUChrEvent {
    CHR_EVENT_BREAK,   /* serial break (telnet IAC BREAK, mux C-a b) */
    CHR_EVENT_OPENED,  /* backend connected (socket client, stdio start) */
    CHR_EVENT_MUX_IN,  /* mux focus moved to this frontend */
    CHR_EVENT_MUX_OUT, /* mux focus moved away from this frontend */
    CHR_EVENT_CLOSED,  /* backend disconnected or reached end of input */
} QEMUChrEvent;

typedef enum ChardevBackendKind {
    CHARDEV_BACKEND_NONE,   /* "none": no device at all */
    CHARDEV_BACKEND_NULL,
    CHARDEV_BACKEND_STDIO,
    CHARDEV_BACKEND_FILE,
    CHARDEV_BACKEND_PIPE,
    CHARDEV_BACKEND_PTY,
    CHARDEV_BACKEND_SOCKET,
    CHARDEV_BACKEND_MUX,
    CHARDEV_BACKEND_RINGBUF, /* "ringbuf" (alias "memory"): output in RAM */
    CHARDEV_BACKEND__MAX,
} ChardevBackendKind;

/*
 * Everything needed to create a chardev, as parsed from "-chardev ..." or
 * a legacy "-serial" spec.  Strings are owned (freed by
 * qemu_chr_options_clear).  Fields a backend does not use stay at zero.
 */
typedef struct ChardevBackendOptions {
    ChardevBackendKind kind;
    char *id;
    char *path;          /* file, pipe, unix socket */
    char *host;          /* tcp host ("" or NULL: any / localhost) */
    char *port;          /* tcp port ("0" for server: pick a free port) */
    bool server;         /* socket: listen instead of connect */
    bool wait;           /* socket server: block at creation for a client */
    bool nodelay;        /* tcp: TCP_NODELAY */
    bool telnet;         /* socket: telnet protocol (IAC handling) */
    int64_t reconnect_ms; /* socket client: retry period, 0 = never */
    bool append;         /* file: append instead of truncate */
    bool signal;         /* stdio: C-c etc. raise signals (default on) */
    bool mux;            /* put a mux in front: several frontends share it */
    bool monitor;        /* "mon:" spec: the caller attaches a monitor */
    char *logfile;       /* copy of all output */
    bool logappend;
    char *chardev;       /* mux: id of the chardev it multiplexes */
    int64_t size;        /* ringbuf: capacity in bytes (0: default 64 KiB) */
} ChardevBackendOptions;

typedef struct Chardev Chardev;
typedef struct CharBackend CharBackend;

/* Frontend callbacks. */
typedef int IOCanReadHandler(void *opaque);
typedef void IOReadHandler(void *opaque, const uint8_t *buf, int size);
typedef void IOEventHandler(void *opaque, QEMUChrEvent event);
typedef void CharWatchFunc(void *opaque);

/*
 * A backend driver.  open() fills the instance (allocated with
 * instance_size bytes, a Chardev first) and sets *be_opened to false if
 * the stream is not connected yet (a socket without client).
 */
typedef struct ChardevClass {
    const char *name;
    ChardevBackendKind kind;
    size_t instance_size;
    bool (*open)(Chardev *chr, const ChardevBackendOptions *opts,
                 bool *be_opened, Error **errp);
    /*
     * Non-blocking write: bytes taken (0 when the host side is full for
     * now) or -errno.  A backend that drops data on purpose (a socket
     * without client) reports it as taken.
     */
    int (*chr_write)(Chardev *chr, const uint8_t *buf, int len);
    /* Block until chr_write may make progress (for write_all). */
    void (*chr_wait_writable)(Chardev *chr);
    /* Call func once when chr_write may take more; false: not supported. */
    bool (*chr_add_write_watch)(Chardev *chr);
    /* The frontend's can_read may have grown: resume reading. */
    void (*chr_accept_input)(Chardev *chr);
    /* Frontend handlers changed: re-evaluate reading. */
    void (*chr_update_read_handler)(Chardev *chr);
    /* Mux only: attach a frontend, return its tag or -1. */
    int (*chr_attach_frontend)(Chardev *chr, CharBackend *be, Error **errp);
    void (*chr_detach_frontend)(Chardev *chr, CharBackend *be);
    void (*chr_set_handlers)(Chardev *chr, CharBackend *be);
    void (*finalize)(Chardev *chr);
} ChardevClass;

struct Chardev {
    const ChardevClass *driver;
    char *label;
    char *filename;           /* as query-chardev shows it */
    CharBackend *be;          /* the frontend (for a mux: the focused one) */
    bool be_open;             /* host side connected */
    int logfd;
    pthread_mutex_t write_lock; /* frontends write from vCPU threads too */
    CharWatchFunc *write_watch;
    void *write_watch_opaque;
    QTAILQ_ENTRY(Chardev) next;
};

struct CharBackend {
    Chardev *chr;
    IOCanReadHandler *chr_can_read;
    IOReadHandler *chr_read;
    IOEventHandler *chr_event;
    void *opaque;
    int tag;                  /* index in a mux, -1 otherwise */
    bool fe_is_open;
};

/* ---- Frontend API ---- */

/* Attach be to chr (a mux accepts several).  chr may be NULL: no device. */
bool qemu_chr_fe_init(CharBackend *be, Chardev *chr, Error **errp);
/* Detach; with del, also delete the chardev. */
void qemu_chr_fe_deinit(CharBackend *be, bool del);
/*
 * Install handlers (any may be NULL).  If the chardev is already
 * connected, the frontend gets CHR_EVENT_OPENED right away.
 */
void qemu_chr_fe_set_handlers(CharBackend *be, IOCanReadHandler *can_read,
                              IOReadHandler *read, IOEventHandler *event,
                              void *opaque);
/* The frontend can take input again after can_read returned 0. */
void qemu_chr_fe_accept_input(CharBackend *be);
/*
 * Non-blocking write: returns bytes written (may be fewer than len, 0 if
 * the host side is full; use qemu_chr_fe_add_write_watch to retry) or
 * -errno.  With no chardev the data is dropped and len returned.
 */
int qemu_chr_fe_write(CharBackend *be, const uint8_t *buf, int len);
/* Blocking write of everything: len or -errno. */
int qemu_chr_fe_write_all(CharBackend *be, const uint8_t *buf, int len);
/*
 * Call func(opaque) once, from the main loop, when the chardev may accept
 * more output.  Returns false if the chardev never blocks (write again).
 */
bool qemu_chr_fe_add_write_watch(CharBackend *be, CharWatchFunc *func,
                                 void *opaque);
Chardev *qemu_chr_fe_get_driver(CharBackend *be);
bool qemu_chr_fe_backend_connected(CharBackend *be);
/* Is the host side open (socket client connected)? */
bool qemu_chr_fe_backend_open(CharBackend *be);

/* ---- Backend side: called by backend implementations ---- */

/* How many bytes the frontend takes now (0 without frontend). */
int qemu_chr_be_can_write(Chardev *chr);
void qemu_chr_be_write(Chardev *chr, const uint8_t *buf, int len);
/* Deliver an event; OPENED/CLOSED also update chr->be_open. */
void qemu_chr_be_event(Chardev *chr, QEMUChrEvent event);
/*
 * Forget a write watch installed by qemu_chr_fe_add_write_watch(be, func,
 * opaque) that has not fired yet (a frontend going away).
 */
void qemu_chr_fe_remove_write_watch(CharBackend *be, CharWatchFunc *func,
                                    void *opaque);

/* Fire and clear a pending write watch. */
void qemu_chr_be_write_ready(Chardev *chr);
void qemu_chr_set_filename(Chardev *chr, const char *fmt, ...)
    PRINTF_FMT(2, 3);
/* Write to the chardev itself, as a frontend would (used by the mux). */
int qemu_chr_write(Chardev *chr, const uint8_t *buf, int len, bool write_all);

/* ---- Creation, lookup, listing (for vl.c and the monitor) ---- */

void qemu_chr_register_driver(const ChardevClass *driver);
const ChardevClass *qemu_chr_find_driver(const char *name);

/* Reset to defaults (wait=on, signal=on), freeing owned strings. */
void qemu_chr_options_init(ChardevBackendOptions *opts);
void qemu_chr_options_clear(ChardevBackendOptions *opts);
/* Parse "-chardev socket,id=c0,path=/tmp/s,server=on,wait=off". */
bool qemu_chr_parse_opts(const char *str, ChardevBackendOptions *opts,
                         Error **errp);
/*
 * Parse a legacy -serial/-monitor spec ("stdio", "mon:stdio", "null",
 * "none", "file:PATH", "pipe:PATH", "pty", "unix:PATH[,server=on,...]",
 * "tcp:HOST:PORT[,...]", "telnet:HOST:PORT[,...]") for chardev label.
 */
bool qemu_chr_parse_legacy(const char *label, const char *spec,
                           ChardevBackendOptions *opts, Error **errp);

/*
 * Create and register a chardev.  With opts->mux, the backend is created
 * as "<id>-base" and the returned chardev "<id>" is a mux over it.
 * kind NONE returns NULL without error.
 */
Chardev *qemu_chr_new_from_opts(const ChardevBackendOptions *opts,
                                Error **errp);
/* qemu_chr_parse_legacy + qemu_chr_new_from_opts. */
Chardev *qemu_chr_new(const char *label, const char *spec, Error **errp);
/* Parse "-chardev ..." and create it. */
Chardev *qemu_chr_new_cmdline(const char *str, Error **errp);
Chardev *qemu_chr_find(const char *label);
/* Unregister and free; an attached frontend is detached first. */
void qemu_chr_delete(Chardev *chr);
/* chardev-remove: fails if not found or a frontend uses it. */
bool qemu_chr_remove(const char *label, Error **errp);
/* Delete every chardev (at exit). */
void qemu_chr_cleanup(void);
/* In creation order. */
void qemu_chr_foreach(void (*fn)(Chardev *chr, void *opaque), void *opaque);
static inline const char *qemu_chr_get_label(const Chardev *chr)
{
    return chr->label;
}
static inline const char *qemu_chr_get_filename(const Chardev *chr)
{
    return chr->filename;
}
/* query-chardev's frontend-open. */
bool qemu_chr_frontend_open(const Chardev *chr);
bool qemu_chr_is_mux(const Chardev *chr);

/*
 * QMP query-chardev / query-chardev-backends results (QLists of QDicts in
 * QEMU's shapes); the caller owns the reference.
 */
typedef struct QObject QObject;
QObject *qmp_query_chardev(Error **errp);
QObject *qmp_query_chardev_backends(Error **errp);

/* ---- Mux ---- */

/* Give input focus to frontend number idx (sends MUX_OUT / MUX_IN). */
void qemu_chr_mux_set_focus(Chardev *chr, int idx);
int qemu_chr_mux_get_focus(Chardev *chr);
/*
 * What C-a x does after printing "osprey: terminated".  Default: exit(0)
 * (atexit handlers restore the terminal).
 */
void qemu_chr_set_quit_hook(void (*hook)(void *opaque), void *opaque);

/* ---- ringbuf ---- */

/*
 * ringbuf keeps the last `size` bytes the frontend wrote (older ones are
 * overwritten; writes never block), for QMP ringbuf-read and for tests.
 * Both return -1 if chr is not a ringbuf.
 */
/* Take up to len of the oldest bytes; returns how many. */
int qemu_chr_ringbuf_read(Chardev *chr, uint8_t *buf, int len);
/* Bytes held now. */
int qemu_chr_ringbuf_count(Chardev *chr);
/* Put bytes into the ring as if the frontend wrote them (ringbuf-write). */
int qemu_chr_ringbuf_write(Chardev *chr, const uint8_t *buf, int len);

/* ---- stdio ---- */

/* Restore the terminal stdio changed (also done at exit and on signals). */
void qemu_chr_stdio_restore_terminal(void);

#endif
