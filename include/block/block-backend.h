/*
 * BlockBackend: what a device (or a tool) holds to do I/O on an image.
 * Owns the root BlockDriverState, applies the cache mode, serialises
 * requests, and offers both a synchronous API (tools, savevm) and an
 * asynchronous one whose requests run on worker threads and complete in
 * the main loop, so vCPU threads never wait on the disk.
 */
#ifndef BLOCK_BLOCK_BACKEND_H
#define BLOCK_BLOCK_BACKEND_H

#include "block/block.h"

typedef struct BlockBackend BlockBackend;

/*
 * Cache modes as -drive cache=: writeback (default), none (O_DIRECT),
 * writethrough (flush after every write), directsync (both), unsafe
 * (flushes ignored).  Parse with blk_parse_cache_mode.
 */
int blk_parse_cache_mode(const char *mode, int *flags, bool *writethrough);

/*
 * Open filename with format ("raw", "qcow2" or NULL to probe) and BDRV_O_*
 * flags.  BDRV_O_SNAPSHOT opens the image read-only under a temporary qcow2
 * overlay (as -snapshot / snapshot=on) that is deleted at once.
 */
BlockBackend *blk_new_open(const char *filename, const char *format,
                           int flags, Error **errp);
void blk_unref(BlockBackend *blk);

void blk_set_name(BlockBackend *blk, const char *name);   /* -drive id= */
const char *blk_name(const BlockBackend *blk);
BlockBackend *blk_by_name(const char *name);
BlockBackend *blk_next(BlockBackend *blk);   /* iterate; NULL starts */
BlockDriverState *blk_bs(BlockBackend *blk);
void blk_set_enable_write_cache(BlockBackend *blk, bool wce);
bool blk_enable_write_cache(BlockBackend *blk);
bool blk_is_read_only(BlockBackend *blk);
/* The device using blk (one at most): -EBUSY if another holds it. */
int blk_attach_dev(BlockBackend *blk, void *dev);
void blk_detach_dev(BlockBackend *blk, void *dev);
void *blk_get_attached_dev(BlockBackend *blk);

/*
 * What the attached device wants to hear about, as QEMU's BlockDevOps.
 * resize_cb runs after a successful blk_truncate (in the caller's thread:
 * the main loop, BQL held, for the monitor's block_resize), so the device
 * can tell the guest the disk changed size.
 */
typedef struct BlockDevOps {
    void (*resize_cb)(void *opaque);
} BlockDevOps;
/* ops NULL: stop telling. */
void blk_set_dev_ops(BlockBackend *blk, const BlockDevOps *ops, void *opaque);
int64_t blk_getlength(BlockBackend *blk);

/* Synchronous I/O (tools, savevm): 0 or a negative errno. */
int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf);
int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes,
               const void *buf);
int blk_flush(BlockBackend *blk);
int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes);
int blk_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes);
/* Change the virtual size; the attached device's resize_cb is called. */
int blk_truncate(BlockBackend *blk, int64_t size, bool shrink, Error **errp);

/*
 * Asynchronous I/O.  The callback runs in the main loop (BQL held) with
 * ret = 0 or a negative errno.  The iovec array and buffers must stay
 * valid until then; the array itself is copied.
 */
typedef void BlockCompletionFunc(void *opaque, int ret);
struct iovec;
void blk_aio_preadv(BlockBackend *blk, int64_t offset, const struct iovec *iov,
                    int iovcnt, BlockCompletionFunc *cb, void *opaque);
void blk_aio_pwritev(BlockBackend *blk, int64_t offset,
                     const struct iovec *iov, int iovcnt,
                     BlockCompletionFunc *cb, void *opaque);
void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque);
void blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BlockCompletionFunc *cb, void *opaque);
/* Wait (running the main loop) until every request of blk completed. */
void blk_drain(BlockBackend *blk);
/*
 * Drain every backend.  savevm/loadvm and other users of the bdrv_* API on
 * blk_bs() (snapshots, VM state) call this first, with the VM stopped:
 * the bdrv_* calls do not take the backend's lock.
 */
void blk_drain_all(void);
/* Requests submitted and not yet completed (callback not yet run). */
int blk_in_flight(BlockBackend *blk);

/* Monitor: QMP query-block and HMP info block. */
QObject *qmp_query_block(void);
char *hmp_info_block(void);

#endif
