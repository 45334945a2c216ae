/*
 * Shared plumbing for chardevs backed by file descriptors (stdio, pipe,
 * pty, socket): flow-controlled reading and non-blocking writing.
 * Private to chardev/.
 */
#ifndef CHARDEV_CHAR_FD_H
#define CHARDEV_CHAR_FD_H

#include "chardev/char.h"

typedef struct FDChardev {
    Chardev parent;
    int fd_in;              /* -1: no input (or disconnected socket) */
    int fd_out;             /* -1: output dropped */
    bool is_socket;         /* write with send(MSG_NOSIGNAL) */
    bool eof;               /* fd_in reached end of input */
    bool want_write;        /* a write watch is pending */
    /* what is installed now, so updates touch the loop only on change */
    bool reading, writing;
    /*
     * End of input or read error on fd_in.  Default: stop reading and
     * send CHR_EVENT_CLOSED.  A socket disconnects instead.
     */
    void (*hangup)(Chardev *chr);
    /* Rewrite input in place (telnet), returning the new length. */
    int (*filter_input)(Chardev *chr, uint8_t *buf, int len);
} FDChardev;

/* Start serving fd_in / fd_out (either may be -1). */
void fd_chr_attach(Chardev *chr, int fd_in, int fd_out);
/* Stop serving the fds (handlers removed; fds are not closed). */
void fd_chr_detach(Chardev *chr);
/* Install or remove the loop handlers to match what is wanted now. */
void fd_chr_update_handlers(Chardev *chr);

int fd_chr_write(Chardev *chr, const uint8_t *buf, int len);
void fd_chr_wait_writable(Chardev *chr);
bool fd_chr_add_write_watch(Chardev *chr);

/* Set O_NONBLOCK (and FD_CLOEXEC); returns the old file status flags. */
int fd_chr_set_nonblock(int fd);

#endif
