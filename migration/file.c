/*
 * Migration to and from a regular file: "file:PATH", as QEMU's
 * migration/file.c (without its offset option).
 */
#include "channel.h"
#include <fcntl.h>

int file_open_uri(const char *path, bool outgoing, Error **errp)
{
    int flags = outgoing ? O_WRONLY | O_CREAT | O_TRUNC : O_RDONLY;

    if (!*path) {
        error_setg(errp, "file: no path given");
        return -1;
    }
    int fd = open(path, flags | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_setg_errno(errp, errno, "file:%s: cannot open for %s", path,
                         outgoing ? "writing" : "reading");
    }
    return fd;
}
