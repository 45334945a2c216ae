/*
 * socket: a unix or tcp stream socket, as QEMU's char-socket.
 *
 * Server (server=on): listens; one client at a time.  While a client is
 * connected the listening socket is not watched, so a second client waits
 * in the backlog and is accepted after the first one leaves.  wait=on
 * blocks creation until the first client arrives.
 * Client: connects at creation; with reconnect=N it retries every N
 * seconds after a failure or a disconnect (a timer on the realtime clock).
 *
 * Frontends get CHR_EVENT_OPENED on connect and CHR_EVENT_CLOSED on
 * disconnect.  Output while nobody is connected is dropped, as QEMU does.
 * Input is read only as fast as the frontend takes it, and end of stream
 * is seen only after everything before it was read, so nothing a client
 * sent is lost.
 */
#include "char-fd.h"
#include "system/main-loop.h"
#include "system/timer.h"
#include "util/sockets.h"
#include <poll.h>
#include <sys/socket.h>

/* Telnet protocol bytes (RFC 854). */
#define IAC   0xff
#define DONT  0xfe
#define DO    0xfd
#define WONT  0xfc
#define WILL  0xfb
#define SB    0xfa
#define BRK   0xf3
#define SE    0xf0

typedef enum TelnetState {
    TELNET_DATA,
    TELNET_IAC,         /* got IAC */
    TELNET_OPTION,      /* got IAC WILL/WONT/DO/DONT: skip the option */
    TELNET_SUB,         /* inside IAC SB ... */
    TELNET_SUB_IAC,     /* IAC inside a subnegotiation */
} TelnetState;

typedef struct SocketChardev {
    FDChardev parent;       /* fd_in == fd_out: the connection, or -1 */
    bool is_unix;
    bool is_listen;
    bool is_telnet;
    bool nodelay;
    SocketAddress *addr;    /* port=0 becomes the real port once listening */
    char *address;          /* "unix:/tmp/s,server=on", for filenames */
    int listen_fd;
    int connect_fd;         /* non-blocking connect in progress */
    int64_t reconnect_ms;
    QEMUTimer *reconnect_timer;
    TelnetState telnet_state;
} SocketChardev;

static void socket_accept(void *opaque);

static void socket_update_address(SocketChardev *s)
{
    char *str = socket_address_to_string(s->addr);   /* unix: or tcp: */
    const char *rest;

    free(s->address);
    if (s->is_telnet && strstart(str, "tcp:", &rest)) {
        s->address = xasprintf("telnet:%s%s", rest,
                               s->is_listen ? ",server=on" : "");
    } else {
        s->address = xasprintf("%s%s", str, s->is_listen ? ",server=on" : "");
    }
    free(str);
}

static void socket_set_disconnected_filename(SocketChardev *s)
{
    qemu_chr_set_filename(&s->parent.parent, "disconnected:%s", s->address);
}

static void socket_set_connected_filename(SocketChardev *s, int fd)
{
    SocketAddress *local, *peer;

    if (s->is_unix) {
        qemu_chr_set_filename(&s->parent.parent, "%s", s->address);
        return;
    }
    local = socket_local_address(fd, NULL);
    peer = socket_remote_address(fd, NULL);
    qemu_chr_set_filename(&s->parent.parent, "%s:%s:%s%s <-> %s:%s",
                          s->is_telnet ? "telnet" : "tcp",
                          local ? local->host : "?", local ? local->port : "?",
                          s->is_listen ? ",server=on" : "",
                          peer ? peer->host : "?", peer ? peer->port : "?");
    socket_address_free(local);
    socket_address_free(peer);
}

/* ---- telnet ---- */

static void telnet_send_init(int fd)
{
    /* Binary, no local echo, character at a time: as QEMU asks. */
    static const uint8_t init[] = {
        IAC, WILL, 1,   /* echo */
        IAC, WILL, 3,   /* suppress go-ahead */
        IAC, WILL, 0,   /* binary */
        IAC, DO, 0,     /* binary */
    };
    if (send(fd, init, sizeof(init), MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
        /* A peer that is already gone shows up as EOF on read. */
    }
}

/* Strip telnet commands; deliver data and BREAK in order. */
static int telnet_filter_input(Chardev *chr, uint8_t *buf, int len)
{
    SocketChardev *s = (SocketChardev *)chr;
    int out = 0;

    for (int i = 0; i < len; i++) {
        uint8_t ch = buf[i];

        switch (s->telnet_state) {
        case TELNET_DATA:
            if (ch == IAC) {
                s->telnet_state = TELNET_IAC;
            } else {
                buf[out++] = ch;
            }
            break;
        case TELNET_IAC:
            s->telnet_state = TELNET_DATA;
            if (ch == IAC) {
                buf[out++] = ch;
            } else if (ch == BRK) {
                if (out) {
                    qemu_chr_be_write(chr, buf, out);
                    out = 0;
                }
                qemu_chr_be_event(chr, CHR_EVENT_BREAK);
            } else if (ch >= WILL) {
                s->telnet_state = TELNET_OPTION;
            } else if (ch == SB) {
                s->telnet_state = TELNET_SUB;
            }
            break;
        case TELNET_OPTION:
            s->telnet_state = TELNET_DATA;
            break;
        case TELNET_SUB:
            if (ch == IAC) {
                s->telnet_state = TELNET_SUB_IAC;
            }
            break;
        case TELNET_SUB_IAC:
            s->telnet_state = ch == SE ? TELNET_DATA : TELNET_SUB;
            break;
        }
    }
    return out;
}

/* ---- connection state ---- */

static void socket_connected(SocketChardev *s, int fd)
{
    Chardev *chr = &s->parent.parent;

    fd_chr_set_nonblock(fd);
    if (!s->is_unix && s->nodelay) {
        socket_set_nodelay(fd);
    }
    if (s->listen_fd >= 0) {
        /* One client at a time: others wait in the backlog. */
        qemu_set_fd_handler(s->listen_fd, NULL, NULL, NULL);
    }
    s->telnet_state = TELNET_DATA;
    if (s->is_telnet) {
        telnet_send_init(fd);
    }
    socket_set_connected_filename(s, fd);
    fd_chr_attach(chr, fd, fd);
    qemu_chr_be_event(chr, CHR_EVENT_OPENED);
}

static void socket_schedule_reconnect(SocketChardev *s)
{
    if (s->reconnect_ms > 0) {
        timer_mod(s->reconnect_timer,
                  qemu_clock_get_ms(QEMU_CLOCK_REALTIME) + s->reconnect_ms);
    }
}

static void socket_disconnect(Chardev *chr)
{
    SocketChardev *s = (SocketChardev *)chr;
    int fd = s->parent.fd_in;

    if (fd < 0) {
        return;
    }
    fd_chr_detach(chr);
    close(fd);
    socket_set_disconnected_filename(s);
    qemu_chr_be_event(chr, CHR_EVENT_CLOSED);
    if (s->is_listen) {
        qemu_set_fd_handler(s->listen_fd, socket_accept, NULL, chr);
    } else {
        socket_schedule_reconnect(s);
    }
}

static void socket_accept(void *opaque)
{
    SocketChardev *s = opaque;
    int fd;

    if (s->parent.fd_in >= 0) {
        return;
    }
    fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    if (fd < 0) {
        return;     /* EAGAIN, or the client gave up already */
    }
    socket_connected(s, fd);
}

/* ---- listening and connecting ---- */

/* Name the chardev in front of util/sockets.c's message. */
static void socket_propagate_error(SocketChardev *s, Error **errp,
                                   Error *local_err)
{
    error_prepend(&local_err, "chardev '%s': ", s->parent.parent.label);
    error_propagate(errp, local_err);
}

static bool socket_chr_listen(SocketChardev *s, Error **errp)
{
    Error *local_err = NULL;
    int fd = socket_listen(s->addr, 1, &local_err);

    if (fd < 0) {
        socket_propagate_error(s, errp, local_err);
        return false;
    }
    if (!s->is_unix) {
        /* port=0 picked a free port: show the real one. */
        SocketAddress *local = socket_local_address(fd, NULL);
        if (local) {
            free(s->addr->port);
            s->addr->port = xstrdup(local->port);
            socket_address_free(local);
        }
    }
    fd_chr_set_nonblock(fd);
    s->listen_fd = fd;
    socket_update_address(s);
    return true;
}

static void socket_reconnect(void *opaque);

static void socket_connect_done(void *opaque)
{
    SocketChardev *s = opaque;
    int fd = s->connect_fd;

    qemu_set_fd_handler(fd, NULL, NULL, NULL);
    s->connect_fd = -1;
    if (socket_connect_finish(fd) != 0) {
        close(fd);
        socket_schedule_reconnect(s);
        return;
    }
    socket_connected(s, fd);
}

/*
 * Connect to the server.  Blocking (at creation): returns true once
 * connected.  Non-blocking (reconnect timer): may leave the connection in
 * progress, finished by socket_connect_done.
 */
static bool socket_chr_connect(SocketChardev *s, bool blocking, Error **errp)
{
    Error *local_err = NULL;
    bool in_progress = false;
    int fd;

    if (blocking) {
        fd = socket_connect(s->addr, &local_err);
    } else {
        fd = socket_connect_nonblock(s->addr, &in_progress, &local_err);
    }
    if (fd < 0) {
        socket_propagate_error(s, errp, local_err);
        return false;
    }
    if (in_progress) {
        s->connect_fd = fd;
        qemu_set_fd_handler(fd, NULL, socket_connect_done, s);
        return true;
    }
    socket_connected(s, fd);
    return true;
}

static void socket_reconnect(void *opaque)
{
    SocketChardev *s = opaque;

    if (s->parent.fd_in >= 0 || s->connect_fd >= 0) {
        return;
    }
    if (!socket_chr_connect(s, false, NULL)) {
        socket_schedule_reconnect(s);
    }
}

/* wait=on: block until the first client connects. */
static bool socket_wait_for_client(SocketChardev *s, Error **errp)
{
    struct pollfd pfd = { .fd = s->listen_fd, .events = POLLIN };

    info_report("waiting for connection on: %s", s->parent.parent.filename);
    while (s->parent.fd_in < 0) {
        if (poll(&pfd, 1, -1) < 0 && errno != EINTR) {
            error_setg_errno(errp, errno, "chardev '%s': waiting for a "
                             "client", s->parent.parent.label);
            return false;
        }
        socket_accept(s);
    }
    return true;
}

static void socket_chr_finalize(Chardev *chr);

static bool socket_chr_open(Chardev *chr, const ChardevBackendOptions *opts,
                            bool *be_opened, Error **errp)
{
    SocketChardev *s = (SocketChardev *)chr;

    s->parent.fd_in = s->parent.fd_out = -1;
    s->parent.is_socket = true;
    s->parent.hangup = socket_disconnect;
    s->listen_fd = s->connect_fd = -1;
    s->is_unix = opts->path != NULL;
    s->is_listen = opts->server;
    s->is_telnet = opts->telnet;
    s->nodelay = opts->nodelay;
    s->reconnect_ms = opts->reconnect_ms;
    if (s->is_telnet) {
        s->parent.filter_input = telnet_filter_input;
    }
    if (s->is_unix == (opts->port != NULL)) {
        error_setg(errp, "chardev '%s': socket needs a path or a host and "
                   "port", chr->label);
        goto fail;
    }
    s->addr = s->is_unix ? socket_address_new_unix(opts->path) :
              socket_address_new_inet(opts->host, opts->port);
    socket_update_address(s);
    socket_set_disconnected_filename(s);

    if (s->is_listen) {
        if (!socket_chr_listen(s, errp)) {
            goto fail;
        }
        socket_set_disconnected_filename(s);
        if (opts->wait && !socket_wait_for_client(s, errp)) {
            goto fail;
        }
        if (s->parent.fd_in < 0) {
            qemu_set_fd_handler(s->listen_fd, socket_accept, NULL, s);
        }
    } else {
        s->reconnect_timer = timer_new_ms(QEMU_CLOCK_REALTIME,
                                          socket_reconnect, s);
        if (!socket_chr_connect(s, true, s->reconnect_ms ? NULL : errp)) {
            if (!s->reconnect_ms) {
                goto fail;
            }
            /* The server may come later: keep trying. */
            socket_schedule_reconnect(s);
        }
    }
    *be_opened = s->parent.fd_in >= 0;
    return true;

fail:
    socket_chr_finalize(chr);
    return false;
}

static int socket_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    int n = fd_chr_write(chr, buf, len);

    /*
     * The peer is gone: drop the data like output while disconnected.
     * The disconnect itself comes from the read side, after any bytes
     * the peer sent before leaving have been delivered.
     */
    if (n == -EPIPE || n == -ECONNRESET || n == -ENOTCONN) {
        return len;
    }
    return n;
}

static void socket_chr_finalize(Chardev *chr)
{
    SocketChardev *s = (SocketChardev *)chr;
    int fd = s->parent.fd_in;

    if (fd >= 0) {
        fd_chr_detach(chr);
        close(fd);
    }
    if (s->connect_fd >= 0) {
        qemu_set_fd_handler(s->connect_fd, NULL, NULL, NULL);
        close(s->connect_fd);
    }
    if (s->listen_fd >= 0) {
        qemu_set_fd_handler(s->listen_fd, NULL, NULL, NULL);
        close(s->listen_fd);
        if (s->is_unix) {
            unlink(s->addr->path);
        }
    }
    if (s->reconnect_timer) {
        timer_free(s->reconnect_timer);
    }
    socket_address_free(s->addr);
    free(s->address);
}

static const ChardevClass socket_driver = {
    .name = "socket",
    .kind = CHARDEV_BACKEND_SOCKET,
    .instance_size = sizeof(SocketChardev),
    .open = socket_chr_open,
    .chr_write = socket_chr_write,
    .chr_wait_writable = fd_chr_wait_writable,
    .chr_add_write_watch = fd_chr_add_write_watch,
    .chr_accept_input = fd_chr_update_handlers,
    .chr_update_read_handler = fd_chr_update_handlers,
    .finalize = socket_chr_finalize,
};

static void __attribute__((constructor)) socket_chr_register(void)
{
    qemu_chr_register_driver(&socket_driver);
}
