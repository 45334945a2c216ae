/*
 * BlockBackend: the handle devices and tools use (see block-backend.h).
 *
 * Asynchronous requests go to a small pool of worker threads; each request
 * runs the synchronous driver code under the backend's lock and hands its
 * result to a bottom half, so completion callbacks always run in the main
 * loop with the BQL held, never on a worker or a vCPU thread.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "util/queue.h"
#include "block/block-backend.h"
#include "system/main-loop.h"

#include <pthread.h>
#include <sys/uio.h>
#include <stdatomic.h>

struct BlockBackend {
    char *name;
    BlockDriverState *root;
    bool writethrough;          /* flush after every write */
    pthread_mutex_t lock;       /* serialises requests on the chain */
    atomic_int in_flight;
    void *dev;                  /* the device attached, or NULL */
    const BlockDevOps *dev_ops; /* its callbacks, or NULL */
    void *dev_opaque;
    QTAILQ_ENTRY(BlockBackend) link;
};

static QTAILQ_HEAD(, BlockBackend) backends =
    QTAILQ_HEAD_INITIALIZER(backends);
static pthread_mutex_t backends_lock = PTHREAD_MUTEX_INITIALIZER;

int blk_parse_cache_mode(const char *mode, int *flags, bool *writethrough)
{
    *flags &= ~(BDRV_O_NOCACHE | BDRV_O_NO_FLUSH);
    if (!strcmp(mode, "writeback")) {
        *writethrough = false;
    } else if (!strcmp(mode, "none") || !strcmp(mode, "off")) {
        *writethrough = false;
        *flags |= BDRV_O_NOCACHE;
    } else if (!strcmp(mode, "writethrough")) {
        *writethrough = true;
    } else if (!strcmp(mode, "directsync")) {
        *writethrough = true;
        *flags |= BDRV_O_NOCACHE;
    } else if (!strcmp(mode, "unsafe")) {
        *writethrough = false;
        *flags |= BDRV_O_NO_FLUSH;
    } else {
        return -EINVAL;
    }
    return 0;
}

/*
 * -snapshot: a temporary qcow2 overlay over the image (opened read-only),
 * unlinked at once so nothing is left behind whatever happens.
 */
static BlockDriverState *open_snapshot_overlay(const char *filename,
                                               const char *format, int flags,
                                               Error **errp)
{
    int base_flags = flags & ~(BDRV_O_RDWR | BDRV_O_SNAPSHOT);
    BlockDriverState *base = bdrv_open(filename, format, base_flags, errp);
    if (!base) {
        return NULL;
    }
    const char *tmpdir = getenv("TMPDIR");
    char *tmpl = xasprintf("%s/osprey-snapshot-XXXXXX",
                           tmpdir && *tmpdir ? tmpdir : "/var/tmp");
    int fd = mkstemp(tmpl);
    BlockDriverState *overlay = NULL;
    char *abs = realpath(filename, NULL);

    if (fd < 0) {
        error_setg_errno(errp, errno, "Could not create temporary overlay "
                         "'%s'", tmpl);
        goto out;
    }
    close(fd);
    BlockCreateOptions o = {
        .size = base->total_size,
        .backing_file = abs ? abs : filename,
        .backing_fmt = base->drv->format_name,
    };
    if (bdrv_create("qcow2", tmpl, &o, errp) < 0) {
        unlink(tmpl);
        goto out;
    }
    overlay = bdrv_open(tmpl, "qcow2", flags & ~BDRV_O_SNAPSHOT, errp);
    unlink(tmpl);
out:
    free(abs);
    free(tmpl);
    bdrv_unref(base);
    return overlay;
}

BlockBackend *blk_new_open(const char *filename, const char *format,
                           int flags, Error **errp)
{
    BlockDriverState *bs;

    if (flags & BDRV_O_SNAPSHOT) {
        bs = open_snapshot_overlay(filename, format, flags, errp);
    } else {
        bs = bdrv_open(filename, format, flags, errp);
    }
    if (!bs) {
        return NULL;
    }
    BlockBackend *blk = xnew(BlockBackend);
    blk->root = bs;
    pthread_mutex_init(&blk->lock, NULL);
    pthread_mutex_lock(&backends_lock);
    QTAILQ_INSERT_TAIL(&backends, blk, link);
    pthread_mutex_unlock(&backends_lock);
    return blk;
}

void blk_unref(BlockBackend *blk)
{
    if (!blk) {
        return;
    }
    blk_drain(blk);
    pthread_mutex_lock(&backends_lock);
    QTAILQ_REMOVE(&backends, blk, link);
    pthread_mutex_unlock(&backends_lock);
    pthread_mutex_lock(&blk->lock);
    bdrv_unref(blk->root);
    pthread_mutex_unlock(&blk->lock);
    pthread_mutex_destroy(&blk->lock);
    free(blk->name);
    free(blk);
}

void blk_set_name(BlockBackend *blk, const char *name)
{
    free(blk->name);
    blk->name = xstrdup(name);
}

const char *blk_name(const BlockBackend *blk)
{
    return blk->name ? blk->name : "";
}

BlockBackend *blk_by_name(const char *name)
{
    BlockBackend *blk, *found = NULL;
    pthread_mutex_lock(&backends_lock);
    QTAILQ_FOREACH(blk, &backends, link) {
        if (blk->name && !strcmp(blk->name, name)) {
            found = blk;
            break;
        }
    }
    pthread_mutex_unlock(&backends_lock);
    return found;
}

BlockBackend *blk_next(BlockBackend *blk)
{
    return blk ? QTAILQ_NEXT(blk, link) : QTAILQ_FIRST(&backends);
}

BlockDriverState *blk_bs(BlockBackend *blk)
{
    return blk->root;
}

void blk_set_enable_write_cache(BlockBackend *blk, bool wce)
{
    blk->writethrough = !wce;
}

bool blk_enable_write_cache(BlockBackend *blk)
{
    return !blk->writethrough;
}

bool blk_is_read_only(BlockBackend *blk)
{
    return blk->root->read_only;
}

int blk_attach_dev(BlockBackend *blk, void *dev)
{
    if (blk->dev) {
        return -EBUSY;
    }
    blk->dev = dev;
    return 0;
}

void blk_detach_dev(BlockBackend *blk, void *dev)
{
    if (blk->dev == dev) {
        blk->dev = NULL;
    }
}

void *blk_get_attached_dev(BlockBackend *blk)
{
    return blk->dev;
}

void blk_set_dev_ops(BlockBackend *blk, const BlockDevOps *ops, void *opaque)
{
    blk->dev_ops = ops;
    blk->dev_opaque = ops ? opaque : NULL;
}

int64_t blk_getlength(BlockBackend *blk)
{
    pthread_mutex_lock(&blk->lock);
    int64_t len = bdrv_getlength(blk->root);
    pthread_mutex_unlock(&blk->lock);
    return len;
}

static int check_range(int64_t offset, int64_t bytes)
{
    return offset < 0 || bytes < 0 ? -EINVAL : 0;
}

int blk_pread(BlockBackend *blk, int64_t offset, int64_t bytes, void *buf)
{
    int ret = check_range(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    pthread_mutex_lock(&blk->lock);
    ret = bdrv_pread(blk->root, offset, bytes, buf);
    pthread_mutex_unlock(&blk->lock);
    return ret;
}

int blk_pwrite(BlockBackend *blk, int64_t offset, int64_t bytes,
               const void *buf)
{
    int ret = check_range(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    pthread_mutex_lock(&blk->lock);
    ret = bdrv_pwrite(blk->root, offset, bytes, buf);
    if (ret == 0 && blk->writethrough) {
        ret = bdrv_flush(blk->root);
    }
    pthread_mutex_unlock(&blk->lock);
    return ret;
}

int blk_flush(BlockBackend *blk)
{
    pthread_mutex_lock(&blk->lock);
    int ret = bdrv_flush(blk->root);
    pthread_mutex_unlock(&blk->lock);
    return ret;
}

int blk_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    int ret = check_range(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    pthread_mutex_lock(&blk->lock);
    ret = bdrv_pdiscard(blk->root, offset, bytes);
    pthread_mutex_unlock(&blk->lock);
    return ret;
}

int blk_pwrite_zeroes(BlockBackend *blk, int64_t offset, int64_t bytes)
{
    int ret = check_range(offset, bytes);
    if (ret < 0) {
        return ret;
    }
    pthread_mutex_lock(&blk->lock);
    ret = bdrv_pwrite_zeroes(blk->root, offset, bytes);
    if (ret == 0 && blk->writethrough) {
        ret = bdrv_flush(blk->root);
    }
    pthread_mutex_unlock(&blk->lock);
    return ret;
}

int blk_truncate(BlockBackend *blk, int64_t size, bool shrink, Error **errp)
{
    if (size < 0) {
        error_setg(errp, "Invalid size %" PRId64, size);
        return -EINVAL;
    }
    pthread_mutex_lock(&blk->lock);
    int ret = bdrv_truncate(blk->root, size, shrink, errp);
    pthread_mutex_unlock(&blk->lock);
    /* Outside the lock: the device reads the new length back. */
    if (ret == 0 && blk->dev_ops && blk->dev_ops->resize_cb) {
        blk->dev_ops->resize_cb(blk->dev_opaque);
    }
    return ret;
}

/* ---- asynchronous requests ---- */

typedef enum { AIO_READ, AIO_WRITE, AIO_FLUSH, AIO_DISCARD } AioType;

typedef struct BlockAIORequest {
    BlockBackend *blk;
    AioType type;
    int64_t offset;
    int64_t bytes;
    struct iovec *iov;
    int iovcnt;
    BlockCompletionFunc *cb;
    void *opaque;
    int ret;
    QTAILQ_ENTRY(BlockAIORequest) next;
} BlockAIORequest;

#define AIO_WORKERS 4

/* The pool is process-wide: started on first use, never stopped. */
static struct {
    pthread_once_t once;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    QTAILQ_HEAD(, BlockAIORequest) pending;
    QTAILQ_HEAD(, BlockAIORequest) done;
    QEMUBH *bh;
} pool = {
    .once = PTHREAD_ONCE_INIT,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .cond = PTHREAD_COND_INITIALIZER,
    .pending = QTAILQ_HEAD_INITIALIZER(pool.pending),
    .done = QTAILQ_HEAD_INITIALIZER(pool.done),
};

static void aio_run(BlockAIORequest *req)
{
    BlockBackend *blk = req->blk;
    uint8_t *bounce = NULL;

    if (req->type == AIO_READ || req->type == AIO_WRITE) {
        bounce = xmalloc(req->bytes);
    }
    if (req->type == AIO_WRITE) {
        size_t off = 0;
        for (int i = 0; i < req->iovcnt; i++) {
            memcpy(bounce + off, req->iov[i].iov_base, req->iov[i].iov_len);
            off += req->iov[i].iov_len;
        }
    }
    switch (req->type) {
    case AIO_READ:
        req->ret = blk_pread(blk, req->offset, req->bytes, bounce);
        if (req->ret == 0) {
            size_t off = 0;
            for (int i = 0; i < req->iovcnt; i++) {
                memcpy(req->iov[i].iov_base, bounce + off,
                       req->iov[i].iov_len);
                off += req->iov[i].iov_len;
            }
        }
        break;
    case AIO_WRITE:
        req->ret = blk_pwrite(blk, req->offset, req->bytes, bounce);
        break;
    case AIO_FLUSH:
        req->ret = blk_flush(blk);
        break;
    case AIO_DISCARD:
        req->ret = blk_pdiscard(blk, req->offset, req->bytes);
        break;
    }
    free(bounce);
}

static void *aio_worker(void *arg)
{
    /* Named so perf and /proc/PID/task tell block I/O from vCPU time. */
    pthread_setname_np(pthread_self(), "blk-worker");
    for (;;) {
        pthread_mutex_lock(&pool.lock);
        while (QTAILQ_EMPTY(&pool.pending)) {
            pthread_cond_wait(&pool.cond, &pool.lock);
        }
        BlockAIORequest *req = QTAILQ_FIRST(&pool.pending);
        QTAILQ_REMOVE(&pool.pending, req, next);
        pthread_mutex_unlock(&pool.lock);

        aio_run(req);

        pthread_mutex_lock(&pool.lock);
        QTAILQ_INSERT_TAIL(&pool.done, req, next);
        pthread_mutex_unlock(&pool.lock);
        qemu_bh_schedule(pool.bh);
    }
    return NULL;
}

static void aio_complete_bh(void *opaque)
{
    for (;;) {
        pthread_mutex_lock(&pool.lock);
        BlockAIORequest *req = QTAILQ_FIRST(&pool.done);
        if (req) {
            QTAILQ_REMOVE(&pool.done, req, next);
        }
        pthread_mutex_unlock(&pool.lock);
        if (!req) {
            break;
        }
        if (req->cb) {
            req->cb(req->opaque, req->ret);
        }
        atomic_fetch_sub(&req->blk->in_flight, 1);
        free(req->iov);
        free(req);
    }
}

static void aio_pool_start(void)
{
    pool.bh = qemu_bh_new(aio_complete_bh, NULL);
    for (int i = 0; i < AIO_WORKERS; i++) {
        pthread_t t;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        if (pthread_create(&t, &attr, aio_worker, NULL) != 0) {
            fprintf(stderr, "osprey: cannot start block I/O threads\n");
            abort();
        }
        pthread_attr_destroy(&attr);
    }
}

static void aio_submit(BlockBackend *blk, AioType type, int64_t offset,
                       const struct iovec *iov, int iovcnt, int64_t bytes,
                       BlockCompletionFunc *cb, void *opaque)
{
    pthread_once(&pool.once, aio_pool_start);
    BlockAIORequest *req = xnew(BlockAIORequest);
    req->blk = blk;
    req->type = type;
    req->offset = offset;
    req->cb = cb;
    req->opaque = opaque;
    req->bytes = bytes;
    if (iovcnt) {
        req->iov = xnew_array(struct iovec, iovcnt);
        memcpy(req->iov, iov, iovcnt * sizeof(*iov));
        req->iovcnt = iovcnt;
        req->bytes = 0;
        for (int i = 0; i < iovcnt; i++) {
            req->bytes += iov[i].iov_len;
        }
    }
    atomic_fetch_add(&blk->in_flight, 1);
    pthread_mutex_lock(&pool.lock);
    QTAILQ_INSERT_TAIL(&pool.pending, req, next);
    pthread_cond_signal(&pool.cond);
    pthread_mutex_unlock(&pool.lock);
}

void blk_aio_preadv(BlockBackend *blk, int64_t offset, const struct iovec *iov,
                    int iovcnt, BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(blk, AIO_READ, offset, iov, iovcnt, 0, cb, opaque);
}

void blk_aio_pwritev(BlockBackend *blk, int64_t offset,
                     const struct iovec *iov, int iovcnt,
                     BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(blk, AIO_WRITE, offset, iov, iovcnt, 0, cb, opaque);
}

void blk_aio_flush(BlockBackend *blk, BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(blk, AIO_FLUSH, 0, NULL, 0, 0, cb, opaque);
}

void blk_aio_pdiscard(BlockBackend *blk, int64_t offset, int64_t bytes,
                      BlockCompletionFunc *cb, void *opaque)
{
    aio_submit(blk, AIO_DISCARD, offset, NULL, 0, bytes, cb, opaque);
}

int blk_in_flight(BlockBackend *blk)
{
    return atomic_load(&blk->in_flight);
}

void blk_drain(BlockBackend *blk)
{
    while (atomic_load(&blk->in_flight) > 0) {
        main_loop_wait(false);
    }
}

void blk_drain_all(void)
{
    BlockBackend *blk;
    /* Completions never add or remove backends, so the walk is stable. */
    QTAILQ_FOREACH(blk, &backends, link) {
        blk_drain(blk);
    }
}

/* ---- monitor ---- */

static QObject *image_info_chain(BlockDriverState *bs)
{
    QObject *info = bdrv_image_info(bs, NULL);
    if (bs->backing) {
        qdict_put(info, "backing-image", image_info_chain(bs->backing));
    }
    return info;
}

static int chain_depth(BlockDriverState *bs)
{
    int depth = 0;
    for (bs = bs->backing; bs; bs = bs->backing) {
        depth++;
    }
    return depth;
}

QObject *qmp_query_block(void)
{
    QObject *list = qlist_new();
    BlockBackend *blk;

    pthread_mutex_lock(&backends_lock);
    QTAILQ_FOREACH(blk, &backends, link) {
        if (!blk->name) {
            continue;   /* internal users (tools, overlays) */
        }
        BlockDriverState *bs = blk->root;
        QObject *dev = qdict_new();
        QObject *ins = qdict_new();
        QObject *cache = qdict_new();

        qdict_put_str(dev, "device", blk->name);
        qdict_put_bool(dev, "locked", false);
        qdict_put_bool(dev, "removable", false);
        qdict_put_str(dev, "type", "unknown");

        pthread_mutex_lock(&blk->lock);
        qdict_put_str(ins, "file", bs->filename);
        qdict_put_bool(ins, "ro", bs->read_only);
        qdict_put_str(ins, "drv", bs->drv->format_name);
        qdict_put_bool(ins, "encrypted", false);
        if (bs->backing_file[0]) {
            qdict_put_str(ins, "backing_file", bs->backing_file);
        }
        qdict_put_int(ins, "backing_file_depth", chain_depth(bs));
        qdict_put_str(ins, "detect_zeroes", "off");
        qdict_put_bool(cache, "writeback", !blk->writethrough);
        qdict_put_bool(cache, "direct", bs->open_flags & BDRV_O_NOCACHE);
        qdict_put_bool(cache, "no-flush", bs->open_flags & BDRV_O_NO_FLUSH);
        qdict_put(ins, "cache", cache);
        qdict_put(ins, "image", image_info_chain(bs));
        pthread_mutex_unlock(&blk->lock);

        qdict_put(dev, "inserted", ins);
        qlist_append(list, dev);
    }
    pthread_mutex_unlock(&backends_lock);
    return list;
}

char *hmp_info_block(void)
{
    QObject *list = qmp_query_block();
    StrBuf sb;

    strbuf_init(&sb);
    for (size_t i = 0; i < qlist_size(list); i++) {
        QObject *dev = qlist_get(list, i);
        QObject *ins = qdict_get_qdict(dev, "inserted");
        QObject *cache = qdict_get_qdict(ins, "cache");
        bool wb = qdict_get_try_bool(cache, "writeback", true);
        bool direct = qdict_get_try_bool(cache, "direct", false);
        bool noflush = qdict_get_try_bool(cache, "no-flush", false);

        strbuf_printf(&sb, "%s: %s (%s%s)\n",
                      qdict_get_try_str(dev, "device"),
                      qdict_get_try_str(ins, "file"),
                      qdict_get_try_str(ins, "drv"),
                      qdict_get_try_bool(ins, "ro", false) ? ", read-only"
                                                           : "");
        strbuf_printf(&sb, "    Cache mode:       %s%s%s\n",
                      wb ? "writeback" : "writethrough",
                      direct ? ", direct" : "",
                      noflush ? ", ignore flushes" : "");
        if (qdict_get_try_str(ins, "backing_file")) {
            strbuf_printf(&sb, "    Backing file:     %s (chain depth: %"
                          PRId64 ")\n", qdict_get_try_str(ins, "backing_file"),
                          qdict_get_try_int(ins, "backing_file_depth", 0));
        }
        strbuf_putc(&sb, '\n');
    }
    qobject_unref(list);
    return strbuf_steal(&sb);
}
