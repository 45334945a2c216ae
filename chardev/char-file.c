/*
 * file: output goes to a file (truncated, or appended to with append=on).
 * It produces no input.
 */
#include "chardev/char.h"
#include <fcntl.h>

typedef struct FileChardev {
    Chardev parent;
    int fd;
} FileChardev;

static bool file_chr_open(Chardev *chr, const ChardevBackendOptions *opts,
                          bool *be_opened, Error **errp)
{
    FileChardev *s = (FileChardev *)chr;
    int flags = O_WRONLY | O_CREAT | O_CLOEXEC |
                (opts->append ? O_APPEND : O_TRUNC);

    s->fd = open(opts->path, flags, 0666);
    if (s->fd < 0) {
        error_setg_errno(errp, errno, "chardev '%s': cannot open '%s'",
                         chr->label, opts->path);
        return false;
    }
    qemu_chr_set_filename(chr, "file:%s", opts->path);
    return true;
}

static int file_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    FileChardev *s = (FileChardev *)chr;
    ssize_t n = write(s->fd, buf, len);

    return n < 0 ? -errno : (int)n;
}

static void file_chr_finalize(Chardev *chr)
{
    FileChardev *s = (FileChardev *)chr;

    close(s->fd);
}

static const ChardevClass file_driver = {
    .name = "file",
    .kind = CHARDEV_BACKEND_FILE,
    .instance_size = sizeof(FileChardev),
    .open = file_chr_open,
    .chr_write = file_chr_write,
    .finalize = file_chr_finalize,
};

static void __attribute__((constructor)) file_chr_register(void)
{
    qemu_chr_register_driver(&file_driver);
}
