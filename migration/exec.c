/*
 * Migration through a command: "exec:CMD" runs sh -c CMD and streams to
 * its stdin (outgoing) or from its stdout (incoming), as QEMU's
 * migration/exec.c.
 */
#include "channel.h"
#include <fcntl.h>
#include <signal.h>

int exec_start(const char *cmd, bool outgoing, pid_t *pid, Error **errp)
{
    int fds[2];

    if (!*cmd) {
        error_setg(errp, "exec: no command given");
        return -1;
    }
    if (pipe2(fds, O_CLOEXEC) < 0) {
        error_setg_errno(errp, errno, "exec:%s: cannot create a pipe", cmd);
        return -1;
    }
    /* Ours is the write end when sending, the read end when receiving. */
    int ours = outgoing ? fds[1] : fds[0];
    int theirs = outgoing ? fds[0] : fds[1];

    pid_t child = fork();
    if (child < 0) {
        error_setg_errno(errp, errno, "exec:%s: cannot fork", cmd);
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (child == 0) {
        /* Async-signal-safe calls only from here on. */
        int target = outgoing ? STDIN_FILENO : STDOUT_FILENO;
        signal(SIGPIPE, SIG_DFL);
        if (dup2(theirs, target) < 0) {
            _exit(127);
        }
        execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
        _exit(127);
    }
    close(theirs);
    *pid = child;
    return ours;
}
