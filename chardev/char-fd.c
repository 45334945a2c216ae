/*
 * File-descriptor plumbing shared by stdio, pipe, pty and socket.
 *
 * Reading is flow controlled: the read handler is installed only while
 * the frontend's can_read is positive, so bytes the guest cannot take yet
 * stay in the kernel (and the peer blocks) instead of being dropped.  The
 * frontend's qemu_chr_fe_accept_input() lands in fd_chr_update_handlers.
 */
#include "char-fd.h"
#include "system/main-loop.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

static void fd_chr_read(void *opaque);
static void fd_chr_writable(void *opaque);

int fd_chr_set_nonblock(int fd)
{
    int flags = fcntl(fd, F_GETFL);

    if (flags >= 0) {
        fcntl(fd, F_SETFL, flags | O_NONBLOCK);
    }
    return flags;
}

static void fd_chr_install(FDChardev *s, bool read, bool write)
{
    Chardev *chr = &s->parent;

    if (read == s->reading && write == s->writing) {
        return;
    }
    if (s->fd_in >= 0 && s->fd_in == s->fd_out) {
        qemu_set_fd_handler(s->fd_in, read ? fd_chr_read : NULL,
                            write ? fd_chr_writable : NULL, chr);
    } else {
        if (s->fd_in >= 0 && read != s->reading) {
            qemu_set_fd_handler(s->fd_in, read ? fd_chr_read : NULL, NULL,
                                chr);
        }
        if (s->fd_out >= 0 && write != s->writing) {
            qemu_set_fd_handler(s->fd_out, NULL,
                                write ? fd_chr_writable : NULL, chr);
        }
    }
    s->reading = read;
    s->writing = write;
}

void fd_chr_update_handlers(Chardev *chr)
{
    FDChardev *s = (FDChardev *)chr;
    bool read = s->fd_in >= 0 && !s->eof && qemu_chr_be_can_write(chr) > 0;
    bool write = s->fd_out >= 0 && s->want_write;

    fd_chr_install(s, read, write);
}

static void fd_chr_default_hangup(Chardev *chr)
{
    FDChardev *s = (FDChardev *)chr;

    s->eof = true;
    fd_chr_update_handlers(chr);
    qemu_chr_be_event(chr, CHR_EVENT_CLOSED);
}

static void fd_chr_read(void *opaque)
{
    Chardev *chr = opaque;
    FDChardev *s = opaque;
    uint8_t buf[4096];
    int avail = qemu_chr_be_can_write(chr);
    ssize_t n;

    if (avail <= 0) {
        fd_chr_update_handlers(chr);
        return;
    }
    n = read(s->fd_in, buf, MIN((size_t)avail, sizeof(buf)));
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
        return;
    }
    if (n <= 0) {
        /* EOF, or an error such as ECONNRESET: either way the end. */
        (s->hangup ? s->hangup : fd_chr_default_hangup)(chr);
        return;
    }
    if (s->filter_input) {
        n = s->filter_input(chr, buf, n);
    }
    if (n > 0) {
        qemu_chr_be_write(chr, buf, n);
    }
    fd_chr_update_handlers(chr);
}

static void fd_chr_writable(void *opaque)
{
    Chardev *chr = opaque;
    FDChardev *s = opaque;

    s->want_write = false;
    fd_chr_update_handlers(chr);
    qemu_chr_be_write_ready(chr);
}

void fd_chr_attach(Chardev *chr, int fd_in, int fd_out)
{
    FDChardev *s = (FDChardev *)chr;

    s->fd_in = fd_in;
    s->fd_out = fd_out;
    s->eof = false;
    s->reading = s->writing = false;
    fd_chr_update_handlers(chr);
}

void fd_chr_detach(Chardev *chr)
{
    FDChardev *s = (FDChardev *)chr;

    fd_chr_install(s, false, false);
    s->fd_in = s->fd_out = -1;
}

int fd_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    FDChardev *s = (FDChardev *)chr;
    ssize_t n;

    if (s->fd_out < 0) {
        return len;
    }
    if (s->is_socket) {
        n = send(s->fd_out, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
    } else {
        n = write(s->fd_out, buf, len);
    }
    if (n >= 0) {
        return n;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
        return 0;
    }
    return -errno;
}

void fd_chr_wait_writable(Chardev *chr)
{
    FDChardev *s = (FDChardev *)chr;
    struct pollfd pfd = { .fd = s->fd_out, .events = POLLOUT };

    if (s->fd_out >= 0) {
        while (poll(&pfd, 1, -1) < 0 && errno == EINTR) {
            continue;
        }
    }
}

bool fd_chr_add_write_watch(Chardev *chr)
{
    FDChardev *s = (FDChardev *)chr;

    if (s->fd_out < 0) {
        return false;
    }
    s->want_write = true;
    fd_chr_update_handlers(chr);
    return true;
}
