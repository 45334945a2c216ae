/*
 * Migration transports: how a URI becomes a file descriptor, and the
 * QEMUFile channel over it.  Private to migration/.
 */
#ifndef MIGRATION_CHANNEL_H
#define MIGRATION_CHANNEL_H

#include "migration/qemu-file.h"
#include <sys/types.h>

/*
 * One end of a stream: a socket, a pipe to or from a child (exec:) or a
 * regular file.
 */
typedef struct MigrationChannel {
    int fd;
    pid_t pid;          /* exec: the child, reaped on close; else 0 */
    bool is_socket;
    bool output;
    /*
     * Release the BQL (when this thread holds it) while blocked on the
     * fd, so the main loop and the monitor run while the peer is slow.
     */
    bool drop_bql;
    char *uri;          /* for messages */
} MigrationChannel;

/*
 * The QEMUFile over ch (which it owns from then on: qemu_fclose closes
 * the fd, reaps the child and frees ch).  An exec child that exits with
 * a failure status makes qemu_fclose fail with -EPIPE.
 */
QEMUFile *migration_channel_file(MigrationChannel *ch);
MigrationChannel *migration_channel_new(int fd, pid_t pid, bool is_socket,
                                        bool output, const char *uri);
/*
 * From another thread: make blocked I/O on ch return (shutdown for a
 * socket, SIGTERM for an exec child).
 */
void migration_channel_shutdown(MigrationChannel *ch);

/* socket.c: "tcp:HOST:PORT" and "unix:PATH"; return an fd or -1. */
bool socket_uri_scheme(const char *uri);
int socket_connect_uri(const char *uri, Error **errp);
int socket_listen_uri(const char *uri, Error **errp);

/* exec.c: sh -c cmd with its stdin (outgoing) or stdout as the fd. */
int exec_start(const char *cmd, bool outgoing, pid_t *pid, Error **errp);

/* file.c: the file, created/truncated for output. */
int file_open_uri(const char *path, bool outgoing, Error **errp);

#endif
