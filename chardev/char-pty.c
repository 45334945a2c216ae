/*
 * pty: a new pseudo-terminal; the guest side is the master, users open
 * the /dev/pts/N slave (screen, minicom, socat).  As QEMU, the slave's
 * name is printed: "char device redirected to /dev/pts/N (label X)".
 *
 * We keep our own descriptor on the slave, in raw mode.  Without it the
 * master reports a hangup (POLLHUP, EIO) whenever no user has the slave
 * open, which would make the main loop spin; with it, output written
 * while nobody listens waits in the tty buffer.  Once that is full and
 * stays full for PTY_STALL_MS, nobody is reading: output is dropped (as
 * QEMU drops it while no one is connected) until the buffer drains, so
 * write_all cannot hang the guest on an unwatched pty.
 */
#include "char-fd.h"
#include <fcntl.h>
#include <poll.h>
#include <termios.h>

#define PTY_STALL_MS 1000

typedef struct PtyChardev {
    FDChardev parent;
    int slave_fd;
    bool stalled;           /* nobody drains the slave: drop output */
} PtyChardev;

static bool pty_writable(PtyChardev *s, int timeout_ms)
{
    struct pollfd pfd = { .fd = s->parent.fd_out, .events = POLLOUT };
    int n;

    while ((n = poll(&pfd, 1, timeout_ms)) < 0 && errno == EINTR) {
        continue;
    }
    return n > 0 && (pfd.revents & POLLOUT);
}

static int pty_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    PtyChardev *s = (PtyChardev *)chr;

    if (s->stalled) {
        if (!pty_writable(s, 0)) {
            return len;
        }
        s->stalled = false;
    }
    return fd_chr_write(chr, buf, len);
}

static void pty_chr_wait_writable(Chardev *chr)
{
    PtyChardev *s = (PtyChardev *)chr;

    if (!pty_writable(s, PTY_STALL_MS)) {
        s->stalled = true;
    }
}

static bool pty_chr_open(Chardev *chr, const ChardevBackendOptions *opts,
                         bool *be_opened, Error **errp)
{
    PtyChardev *s = (PtyChardev *)chr;
    struct termios tty;
    const char *name;
    int master;

    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0 ||
        !(name = ptsname(master))) {
        error_setg_errno(errp, errno, "chardev '%s': cannot create a "
                         "pseudo-terminal", chr->label);
        if (master >= 0) {
            close(master);
        }
        return false;
    }
    s->slave_fd = open(name, O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (s->slave_fd < 0) {
        error_setg_errno(errp, errno, "chardev '%s': cannot open '%s'",
                         chr->label, name);
        close(master);
        return false;
    }
    /* Raw: bytes pass unchanged both ways, no echo, no line editing. */
    if (tcgetattr(s->slave_fd, &tty) == 0) {
        cfmakeraw(&tty);
        tcsetattr(s->slave_fd, TCSAFLUSH, &tty);
    }
    fd_chr_set_nonblock(master);
    qemu_chr_set_filename(chr, "pty:%s", name);
    fprintf(stderr, "char device redirected to %s (label %s)\n", name,
            chr->label);
    fd_chr_attach(chr, master, master);
    return true;
}

static void pty_chr_finalize(Chardev *chr)
{
    PtyChardev *s = (PtyChardev *)chr;
    int master = s->parent.fd_in;

    fd_chr_detach(chr);
    close(master);
    close(s->slave_fd);
}

static const ChardevClass pty_driver = {
    .name = "pty",
    .kind = CHARDEV_BACKEND_PTY,
    .instance_size = sizeof(PtyChardev),
    .open = pty_chr_open,
    .chr_write = pty_chr_write,
    .chr_wait_writable = pty_chr_wait_writable,
    .chr_add_write_watch = fd_chr_add_write_watch,
    .chr_accept_input = fd_chr_update_handlers,
    .chr_update_read_handler = fd_chr_update_handlers,
    .finalize = pty_chr_finalize,
};

static void __attribute__((constructor)) pty_chr_register(void)
{
    qemu_chr_register_driver(&pty_driver);
}
