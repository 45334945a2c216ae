/*
 * pipe: PATH.in is read and PATH.out written, as in QEMU; if either does
 * not exist, PATH itself (a FIFO) is used both ways.  The FIFOs are
 * opened read-write so opening never blocks waiting for a peer and a peer
 * that goes away does not turn into an endless EOF.
 */
#include "char-fd.h"
#include <fcntl.h>

typedef struct PipeChardev {
    FDChardev parent;
} PipeChardev;

static bool pipe_chr_open(Chardev *chr, const ChardevBackendOptions *opts,
                          bool *be_opened, Error **errp)
{
    char *in = xasprintf("%s.in", opts->path);
    char *out = xasprintf("%s.out", opts->path);
    int fd_in = open(in, O_RDWR | O_CLOEXEC);
    int fd_out = open(out, O_RDWR | O_CLOEXEC);
    bool ok = true;

    if (fd_in < 0 || fd_out < 0) {
        if (fd_in >= 0) {
            close(fd_in);
        }
        if (fd_out >= 0) {
            close(fd_out);
        }
        fd_in = fd_out = open(opts->path, O_RDWR | O_CLOEXEC);
        if (fd_in < 0) {
            error_setg_errno(errp, errno, "chardev '%s': cannot open pipe "
                             "'%s' (nor '%s' and '%s')", chr->label,
                             opts->path, in, out);
            ok = false;
            goto out;
        }
    }
    fd_chr_set_nonblock(fd_in);
    fd_chr_set_nonblock(fd_out);
    qemu_chr_set_filename(chr, "pipe:%s", opts->path);
    fd_chr_attach(chr, fd_in, fd_out);
out:
    free(in);
    free(out);
    return ok;
}

static void pipe_chr_finalize(Chardev *chr)
{
    FDChardev *s = (FDChardev *)chr;
    int fd_in = s->fd_in, fd_out = s->fd_out;

    fd_chr_detach(chr);
    close(fd_in);
    if (fd_out != fd_in) {
        close(fd_out);
    }
}

static const ChardevClass pipe_driver = {
    .name = "pipe",
    .kind = CHARDEV_BACKEND_PIPE,
    .instance_size = sizeof(PipeChardev),
    .open = pipe_chr_open,
    .chr_write = fd_chr_write,
    .chr_wait_writable = fd_chr_wait_writable,
    .chr_add_write_watch = fd_chr_add_write_watch,
    .chr_accept_input = fd_chr_update_handlers,
    .chr_update_read_handler = fd_chr_update_handlers,
    .finalize = pipe_chr_finalize,
};

static void __attribute__((constructor)) pipe_chr_register(void)
{
    qemu_chr_register_driver(&pipe_driver);
}
