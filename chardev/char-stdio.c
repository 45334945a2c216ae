/*
 * stdio: input from fd 0, output to fd 1.  On a terminal, stdin is put in
 * raw mode (no echo, no line editing; C-c still raises SIGINT unless
 * signal=off) and restored at exit: from an atexit hook, from
 * SIGTERM/SIGINT/SIGHUP handlers, and when the chardev is deleted.
 * stdin may also be a pipe or a file; end of input sends
 * CHR_EVENT_CLOSED.
 *
 * stdin is not made non-blocking: the file description is usually shared
 * with stdout and stderr, and O_NONBLOCK there would make other writers
 * lose output.  We only read after poll() said stdin is readable.
 */
#include "char-fd.h"
#include <fcntl.h>
#include <signal.h>
#include <termios.h>

typedef struct StdioChardev {
    FDChardev parent;
} StdioChardev;

/* There is one stdin per process, and signal handlers need this too. */
static struct {
    bool in_use;
    volatile sig_atomic_t have_termios;
    struct termios saved;
    bool atexit_done;
    bool handlers_installed;
} stdio_state;

static const int stdio_signals[] = { SIGTERM, SIGINT, SIGHUP };

void qemu_chr_stdio_restore_terminal(void)
{
    /* Async-signal-safe: called from the signal handler too. */
    if (stdio_state.have_termios) {
        tcsetattr(0, TCSANOW, &stdio_state.saved);
    }
}

static void stdio_atexit(void)
{
    qemu_chr_stdio_restore_terminal();
}

static void stdio_signal_handler(int sig)
{
    qemu_chr_stdio_restore_terminal();
    /* Die of the signal as we would have without us. */
    signal(sig, SIG_DFL);
    raise(sig);
}

/*
 * Only where nobody else handles the signal: a later handler (say, a
 * clean shutdown request) takes over, and the atexit hook still restores
 * the terminal on that path.
 */
static void stdio_install_signal_handlers(void)
{
    if (stdio_state.handlers_installed) {
        return;
    }
    stdio_state.handlers_installed = true;
    for (size_t i = 0; i < ARRAY_SIZE(stdio_signals); i++) {
        struct sigaction old, sa = { .sa_handler = stdio_signal_handler };

        if (sigaction(stdio_signals[i], NULL, &old) == 0 &&
            old.sa_handler == SIG_DFL && !(old.sa_flags & SA_SIGINFO)) {
            sigemptyset(&sa.sa_mask);
            sigaction(stdio_signals[i], &sa, NULL);
        }
    }
}

static void stdio_set_raw(bool allow_signals)
{
    struct termios tty;

    if (!isatty(0) || tcgetattr(0, &stdio_state.saved) < 0) {
        return;
    }
    stdio_state.have_termios = true;
    if (!stdio_state.atexit_done) {
        stdio_state.atexit_done = true;
        atexit(stdio_atexit);
    }
    stdio_install_signal_handlers();

    /* As QEMU's qemu_chr_set_echo_stdio(false). */
    tty = stdio_state.saved;
    tty.c_iflag &= ~(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR |
                     ICRNL | IXON);
    tty.c_oflag |= OPOST;
    tty.c_lflag &= ~(ECHO | ECHONL | ICANON | IEXTEN);
    if (!allow_signals) {
        tty.c_lflag &= ~ISIG;
    }
    tty.c_cflag &= ~(CSIZE | PARENB);
    tty.c_cflag |= CS8;
    tty.c_cc[VMIN] = 1;
    tty.c_cc[VTIME] = 0;
    tcsetattr(0, TCSANOW, &tty);
}

static bool stdio_chr_open(Chardev *chr, const ChardevBackendOptions *opts,
                           bool *be_opened, Error **errp)
{
    if (stdio_state.in_use) {
        error_setg(errp, "chardev '%s': cannot use stdio by multiple "
                   "character devices", chr->label);
        return false;
    }
    stdio_state.in_use = true;
    stdio_set_raw(opts->signal);
    /*
     * A closed stdin would poll as POLLNVAL forever: treat it as no input.
     * A closed stdout drops output.
     */
    fd_chr_attach(chr, fcntl(0, F_GETFD) < 0 ? -1 : 0,
                  fcntl(1, F_GETFD) < 0 ? -1 : 1);
    return true;
}

static void stdio_chr_finalize(Chardev *chr)
{
    fd_chr_detach(chr);
    qemu_chr_stdio_restore_terminal();
    stdio_state.have_termios = false;
    stdio_state.in_use = false;
}

static const ChardevClass stdio_driver = {
    .name = "stdio",
    .kind = CHARDEV_BACKEND_STDIO,
    .instance_size = sizeof(StdioChardev),
    .open = stdio_chr_open,
    .chr_write = fd_chr_write,
    .chr_wait_writable = fd_chr_wait_writable,
    .chr_add_write_watch = fd_chr_add_write_watch,
    .chr_accept_input = fd_chr_update_handlers,
    .chr_update_read_handler = fd_chr_update_handlers,
    .finalize = stdio_chr_finalize,
};

static void __attribute__((constructor)) stdio_chr_register(void)
{
    qemu_chr_register_driver(&stdio_driver);
}
