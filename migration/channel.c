/*
 * The QEMUFile channel under a migration: blocking reads and writes on a
 * socket, pipe or file, which release the BQL while they wait when asked
 * to (the incoming loader holds it across device sections, but must not
 * freeze the monitor while the source is slow).
 */
#include "channel.h"
#include "system/main-loop.h"
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>

MigrationChannel *migration_channel_new(int fd, pid_t pid, bool is_socket,
                                        bool output, const char *uri)
{
    MigrationChannel *ch = xnew(MigrationChannel);

    ch->fd = fd;
    ch->pid = pid;
    ch->is_socket = is_socket;
    ch->output = output;
    ch->uri = xstrdup(uri);
    return ch;
}

/* Release the BQL around a blocking call when this thread holds it. */
static bool channel_unlock(MigrationChannel *ch)
{
    if (ch->drop_bql && bql_locked()) {
        bql_unlock();
        return true;
    }
    return false;
}

static ssize_t channel_get_buffer(void *opaque, uint8_t *buf, int64_t pos,
                                  size_t size)
{
    MigrationChannel *ch = opaque;
    bool relock = channel_unlock(ch);
    ssize_t n;

    do {
        n = read(ch->fd, buf, size);
    } while (n < 0 && errno == EINTR);
    if (relock) {
        bql_lock();
    }
    return n < 0 ? -errno : n;
}

static ssize_t channel_put_buffer(void *opaque, const uint8_t *buf,
                                  int64_t pos, size_t size)
{
    MigrationChannel *ch = opaque;
    bool relock = channel_unlock(ch);
    size_t done = 0;
    int err = 0;

    while (done < size) {
        ssize_t n = write(ch->fd, buf + done, size - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n <= 0) {
            err = n < 0 ? errno : EIO;
            break;
        }
        done += n;
    }
    if (relock) {
        bql_lock();
    }
    return err ? -err : (ssize_t)size;
}

static int channel_close(void *opaque)
{
    MigrationChannel *ch = opaque;
    int ret = 0;

    if (close(ch->fd) < 0 && ch->output && !ch->is_socket) {
        ret = -errno;       /* a file's delayed write error */
    }
    if (ch->pid > 0) {
        int status;
        /*
         * A reader of our output sees EOF now and exits; a writer of our
         * input may still be running (we stopped early): end it.
         */
        if (!ch->output) {
            kill(ch->pid, SIGTERM);
        }
        while (waitpid(ch->pid, &status, 0) < 0 && errno == EINTR) {
        }
        if (ch->output && !ret &&
            !(WIFEXITED(status) && WEXITSTATUS(status) == 0)) {
            ret = -EPIPE;
        }
    }
    free(ch->uri);
    free(ch);
    return ret;
}

static const QEMUFileOps channel_ops = {
    .get_buffer = channel_get_buffer,
    .put_buffer = channel_put_buffer,
    .close = channel_close,
};

QEMUFile *migration_channel_file(MigrationChannel *ch)
{
    return ch->output ? qemu_file_new_output(&channel_ops, ch)
                      : qemu_file_new_input(&channel_ops, ch);
}

void migration_channel_shutdown(MigrationChannel *ch)
{
    if (ch->is_socket) {
        shutdown(ch->fd, SHUT_RDWR);
    } else if (ch->pid > 0) {
        kill(ch->pid, SIGTERM);
    }
}
