/*
 * The main loop: poll() over file descriptors, timers and bottom halves,
 * run by the main thread with the big lock (BQL) held while it dispatches.
 * Other threads wake it with qemu_notify_event().
 */
#ifndef SYSTEM_MAIN_LOOP_H
#define SYSTEM_MAIN_LOOP_H

#include "util/osdep.h"
#include "util/error.h"

/*
 * Set up the loop (event notifier, clocks).  Called once, by main(); the
 * calling thread becomes the main thread.  Later calls do nothing.
 */
void main_loop_init(void);
/* True in the thread that called main_loop_init(). */
bool qemu_in_main_thread(void);
/*
 * One iteration: poll fds until the nearest timer deadline (or not at all
 * when nonblocking), then run ready fd handlers, expired timers and
 * scheduled bottom halves.  Takes and releases the BQL around dispatch.
 * The caller may hold the BQL (it is dropped while polling and held again
 * on return) or not (it is taken for dispatch only).
 * Returns the number of handlers run.
 */
int main_loop_wait(bool nonblocking);
/* Wake the main loop from any thread. */
void qemu_notify_event(void);

/* File descriptor handlers, called from the main loop with the BQL held. */
typedef void IOHandler(void *opaque);
/*
 * Register, replace or (both NULL) remove the handlers for fd.  Main thread
 * or BQL held.  Safe from inside a handler, including the fd's own.
 */
void qemu_set_fd_handler(int fd, IOHandler *fd_read, IOHandler *fd_write,
                         void *opaque);

/*
 * Bottom halves: schedule from any thread, run once in the main loop.
 * Scheduling again before it ran still runs it once; a BH that schedules
 * itself runs again on the next iteration.
 */
typedef void QEMUBHFunc(void *opaque);
typedef struct QEMUBH QEMUBH;
QEMUBH *qemu_bh_new(QEMUBHFunc *cb, void *opaque);
void qemu_bh_schedule(QEMUBH *bh);  /* any thread; runs once */
void qemu_bh_cancel(QEMUBH *bh);
void qemu_bh_delete(QEMUBH *bh);    /* cancels; safe from the BH itself */

/* The big lock. */
void bql_lock(void);
void bql_unlock(void);
bool bql_locked(void);               /* by the calling thread */
/* Wait on a condition with the BQL as its mutex. */
#include <pthread.h>
void bql_cond_wait(pthread_cond_t *cond);

#endif
