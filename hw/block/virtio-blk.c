/*
 * virtio-blk device model (see include/hw/virtio/virtio-blk.h).
 *
 * A request is checked before it reaches the disk: a header that is too
 * short or a missing status byte breaks the device (the driver violated
 * the ring protocol); a bad sector range, a length that is not a whole
 * number of sectors, or a write to a read-only drive completes with
 * VIRTIO_BLK_S_IOERR, as QEMU does.
 *
 * Reset with requests in flight: the requests are orphaned (their
 * completions free them without touching the rings), so a reset from a
 * vCPU thread never has to wait for the disk.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/virtio/virtio-blk.h"
#include "block/block-backend.h"
#include <endian.h>

struct VirtIOBlockReq {
    VirtQueueElement elem;          /* first: virtqueue_pop allocates us */
    VirtIOBlock *dev;
    VirtQueue *vq;
    uint32_t type;
    uint64_t sector;
    size_t in_len;                  /* bytes the driver lets us write */
    struct iovec *qiov;             /* data buffers, header/status cut off */
    unsigned qiov_cnt;
    void *bounce;                   /* zeroes for WRITE_ZEROES */
    bool orphaned;                  /* device reset while in flight */
    QTAILQ_ENTRY(VirtIOBlockReq) next;
};

static VirtIOBlock *to_blk(VirtIODevice *vdev)
{
    return container_of(vdev, VirtIOBlock, parent_obj);
}

/*
 * The bytes [offset, offset + bytes) of iov as a new iovec array (in *out,
 * to be freed); returns its length.
 */
static unsigned iov_slice(const struct iovec *iov, unsigned cnt,
                          size_t offset, size_t bytes, struct iovec **out)
{
    struct iovec *v = xnew_array(struct iovec, cnt ? cnt : 1);
    unsigned n = 0;

    for (unsigned i = 0; i < cnt && bytes; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t len = MIN(iov[i].iov_len - offset, bytes);
        v[n].iov_base = (uint8_t *)iov[i].iov_base + offset;
        v[n].iov_len = len;
        n++;
        bytes -= len;
        offset = 0;
    }
    *out = v;
    return n;
}

static void virtio_blk_free_request(VirtIOBlockReq *req)
{
    free(req->qiov);
    free(req->bounce);
    free(req);
}

/* Write the status byte, hand the element back, interrupt the driver. */
static void virtio_blk_req_complete(VirtIOBlockReq *req, uint8_t status,
                                    size_t data_written)
{
    VirtIOBlock *s = req->dev;

    iov_from_buf(req->elem.in_sg, req->elem.in_num, req->in_len - 1,
                 &status, 1);
    virtqueue_push(req->vq, &req->elem, data_written + 1);
    virtio_notify(&s->parent_obj, req->vq);
    s->requests_completed++;
    virtio_blk_free_request(req);
}

static void virtio_blk_rw_complete(void *opaque, int ret)
{
    VirtIOBlockReq *req = opaque;
    VirtIOBlock *s = req->dev;
    size_t written = 0;

    QTAILQ_REMOVE(&s->inflight, req, next);
    if (req->orphaned) {
        virtqueue_detach_element(req->vq, &req->elem, 0);
        virtio_blk_free_request(req);
        return;
    }
    if (ret < 0) {
        qemu_log_mask(LOG_GUEST_ERROR, "virtio-blk: request type %u at "
                      "sector %" PRIu64 " failed: %s\n", req->type,
                      req->sector, strerror(-ret));
    } else if (req->type == VIRTIO_BLK_T_IN) {
        written = req->in_len - 1;
    }
    virtio_blk_req_complete(req, ret < 0 ? VIRTIO_BLK_S_IOERR
                                         : VIRTIO_BLK_S_OK, written);
}

static void virtio_blk_submit(VirtIOBlock *s, VirtIOBlockReq *req)
{
    QTAILQ_INSERT_TAIL(&s->inflight, req, next);
}

/* Is [sector, sector + bytes) inside the disk and sector-sized? */
static bool virtio_blk_range_ok(VirtIOBlock *s, uint64_t sector,
                                uint64_t bytes)
{
    int64_t len = blk_getlength(s->blk);

    if (bytes % BDRV_SECTOR_SIZE || len < 0 ||
        sector > (uint64_t)len / BDRV_SECTOR_SIZE) {
        return false;
    }
    return bytes <= (uint64_t)len - sector * BDRV_SECTOR_SIZE;
}

/* DISCARD and WRITE_ZEROES: one range of 16 bytes in the out buffers. */
static void virtio_blk_handle_zeroes(VirtIOBlock *s, VirtIOBlockReq *req,
                                     size_t out_len)
{
    uint8_t seg[16];
    uint64_t sector;
    uint32_t nsect, flags;
    bool zeroes = req->type == VIRTIO_BLK_T_WRITE_ZEROES;

    if (out_len != 16 + sizeof(seg) ||
        iov_to_buf(req->elem.out_sg, req->elem.out_num, 16, seg,
                   sizeof(seg)) != sizeof(seg)) {
        /* We said max_*_seg = 1: more ranges are the driver's mistake. */
        virtio_blk_req_complete(req, VIRTIO_BLK_S_UNSUPP, 0);
        return;
    }
    memcpy(&sector, seg, 8);
    memcpy(&nsect, seg + 8, 4);
    memcpy(&flags, seg + 12, 4);
    sector = le64toh(sector);
    nsect = le32toh(nsect);
    flags = le32toh(flags);
    req->sector = sector;
    if (flags & ~(zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0)) {
        virtio_blk_req_complete(req, VIRTIO_BLK_S_UNSUPP, 0);
        return;
    }
    if (blk_is_read_only(s->blk) || !nsect ||
        nsect > VIRTIO_BLK_MAX_ZEROES_SECTORS ||
        !virtio_blk_range_ok(s, sector, (uint64_t)nsect * BDRV_SECTOR_SIZE)) {
        virtio_blk_req_complete(req, VIRTIO_BLK_S_IOERR, 0);
        return;
    }
    virtio_blk_submit(s, req);
    if (!zeroes) {
        blk_aio_pdiscard(s->blk, sector * BDRV_SECTOR_SIZE,
                         (int64_t)nsect * BDRV_SECTOR_SIZE,
                         virtio_blk_rw_complete, req);
        return;
    }
    /* The block layer has no asynchronous zero write: write zeroes. */
    req->bounce = xzalloc((size_t)nsect * BDRV_SECTOR_SIZE);
    struct iovec iov = { req->bounce, (size_t)nsect * BDRV_SECTOR_SIZE };
    blk_aio_pwritev(s->blk, sector * BDRV_SECTOR_SIZE, &iov, 1,
                    virtio_blk_rw_complete, req);
}

static void virtio_blk_handle_request(VirtIOBlock *s, VirtIOBlockReq *req)
{
    VirtIODevice *vdev = &s->parent_obj;
    uint8_t hdr[16];
    size_t out_len = iov_size(req->elem.out_sg, req->elem.out_num);
    size_t data_len;

    req->in_len = iov_size(req->elem.in_sg, req->elem.in_num);
    if (out_len < sizeof(hdr) || req->in_len < 1) {
        virtio_error(vdev, "request %u without a header or status byte",
                     req->elem.index);
        virtqueue_detach_element(req->vq, &req->elem, 0);
        virtio_blk_free_request(req);
        return;
    }
    iov_to_buf(req->elem.out_sg, req->elem.out_num, 0, hdr, sizeof(hdr));
    memcpy(&req->type, hdr, 4);
    memcpy(&req->sector, hdr + 8, 8);
    req->type = le32toh(req->type);
    req->sector = le64toh(req->sector);

    switch (req->type) {
    case VIRTIO_BLK_T_IN:
        data_len = req->in_len - 1;
        if (!virtio_blk_range_ok(s, req->sector, data_len)) {
            virtio_blk_req_complete(req, VIRTIO_BLK_S_IOERR, 0);
            return;
        }
        req->qiov_cnt = iov_slice(req->elem.in_sg, req->elem.in_num, 0,
                                  data_len, &req->qiov);
        virtio_blk_submit(s, req);
        blk_aio_preadv(s->blk, req->sector * BDRV_SECTOR_SIZE, req->qiov,
                       req->qiov_cnt, virtio_blk_rw_complete, req);
        return;
    case VIRTIO_BLK_T_OUT:
        data_len = out_len - sizeof(hdr);
        if (blk_is_read_only(s->blk) ||
            !virtio_blk_range_ok(s, req->sector, data_len)) {
            virtio_blk_req_complete(req, VIRTIO_BLK_S_IOERR, 0);
            return;
        }
        req->qiov_cnt = iov_slice(req->elem.out_sg, req->elem.out_num,
                                  sizeof(hdr), data_len, &req->qiov);
        virtio_blk_submit(s, req);
        blk_aio_pwritev(s->blk, req->sector * BDRV_SECTOR_SIZE, req->qiov,
                        req->qiov_cnt, virtio_blk_rw_complete, req);
        return;
    case VIRTIO_BLK_T_FLUSH:
        virtio_blk_submit(s, req);
        blk_aio_flush(s->blk, virtio_blk_rw_complete, req);
        return;
    case VIRTIO_BLK_T_GET_ID: {
        char id[VIRTIO_BLK_ID_BYTES] = { 0 };
        size_t n = MIN(sizeof(id), req->in_len - 1);
        /* Not NUL-terminated when it fills all 20 bytes, as QEMU's. */
        if (s->serial) {
            memcpy(id, s->serial, MIN(strlen(s->serial), sizeof(id)));
        }
        iov_from_buf(req->elem.in_sg, req->elem.in_num, 0, id, n);
        virtio_blk_req_complete(req, VIRTIO_BLK_S_OK, n);
        return;
    }
    case VIRTIO_BLK_T_DISCARD:
    case VIRTIO_BLK_T_WRITE_ZEROES:
        virtio_blk_handle_zeroes(s, req, out_len);
        return;
    default:
        virtio_blk_req_complete(req, VIRTIO_BLK_S_UNSUPP, 0);
        return;
    }
}

static void virtio_blk_handle_output(VirtIODevice *vdev, VirtQueue *vq)
{
    VirtIOBlock *s = to_blk(vdev);
    VirtIOBlockReq *req;

    do {
        virtio_queue_set_notification(vq, 0);
        while ((req = virtqueue_pop(vq, sizeof(VirtIOBlockReq)))) {
            req->dev = s;
            req->vq = vq;
            virtio_blk_handle_request(s, req);
        }
        virtio_queue_set_notification(vq, 1);
    } while (!virtio_queue_empty(vq));
}

/* ---- features and config ------------------------------------------------ */

static uint64_t virtio_blk_get_features(VirtIODevice *vdev, uint64_t f)
{
    return f;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    v = htole32(v);
    memcpy(p, &v, 4);
}

static void virtio_blk_get_config(VirtIODevice *vdev, uint8_t *config)
{
    VirtIOBlock *s = to_blk(vdev);
    int64_t len = blk_getlength(s->blk);
    uint64_t capacity = htole64(len > 0 ? len / BDRV_SECTOR_SIZE : 0);

    memset(config, 0, VIRTIO_BLK_CONFIG_SIZE);
    memcpy(config + VIRTIO_BLK_CFG_CAPACITY, &capacity, 8);
    put_le32(config + VIRTIO_BLK_CFG_SEG_MAX, VIRTIO_BLK_QUEUE_SIZE - 2);
    put_le32(config + VIRTIO_BLK_CFG_BLK_SIZE, BDRV_SECTOR_SIZE);
    config[VIRTIO_BLK_CFG_NUM_QUEUES] = 1;
    put_le32(config + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
             VIRTIO_BLK_MAX_ZEROES_SECTORS);
    put_le32(config + VIRTIO_BLK_CFG_MAX_DISCARD_SEG, 1);
    put_le32(config + VIRTIO_BLK_CFG_DISCARD_ALIGN, 1);
    put_le32(config + VIRTIO_BLK_CFG_MAX_WZ_SECTORS,
             VIRTIO_BLK_MAX_ZEROES_SECTORS);
    put_le32(config + VIRTIO_BLK_CFG_MAX_WZ_SEG, 1);
    config[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 0;
}

static void virtio_blk_reset(VirtIODevice *vdev)
{
    VirtIOBlock *s = to_blk(vdev);
    VirtIOBlockReq *req;

    /* Completions of these only free them: the rings are gone. */
    QTAILQ_FOREACH(req, &s->inflight, next) {
        req->orphaned = true;
    }
}

/*
 * block_resize changed the disk: capacity is read from the backend on
 * every config read, so a config-change interrupt (and a new generation)
 * is all the driver needs to read it again, as QEMU's virtio_blk_resize.
 */
static void virtio_blk_resize(void *opaque)
{
    VirtIOBlock *s = opaque;

    virtio_blk_get_config(&s->parent_obj, s->parent_obj.config);
    virtio_notify_config(&s->parent_obj);
}

static const BlockDevOps virtio_blk_block_ops = {
    .resize_cb = virtio_blk_resize,
};

static const VirtioDeviceOps virtio_blk_ops = {
    .get_features = virtio_blk_get_features,
    .get_config = virtio_blk_get_config,
    .reset = virtio_blk_reset,
};

bool virtio_blk_realize(VirtIOBlock *s, BlockBackend *blk, const char *serial,
                        AddressSpace *dma_as, Error **errp)
{
    VirtIODevice *vdev = &s->parent_obj;

    if (!blk) {
        error_setg(errp, "virtio-blk: drive property not set");
        return false;
    }
    virtio_init(vdev, "virtio-blk", VIRTIO_ID_BLOCK, VIRTIO_BLK_CONFIG_SIZE,
                dma_as, &virtio_blk_ops);
    s->blk = blk;
    s->serial = serial ? xstrdup(serial) : NULL;
    QTAILQ_INIT(&s->inflight);
    vdev->host_features |= 1ULL << VIRTIO_BLK_F_SEG_MAX |
                           1ULL << VIRTIO_BLK_F_BLK_SIZE |
                           1ULL << VIRTIO_BLK_F_FLUSH |
                           1ULL << VIRTIO_BLK_F_DISCARD |
                           1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
    if (blk_is_read_only(blk)) {
        vdev->host_features |= 1ULL << VIRTIO_BLK_F_RO;
    }
    s->vq = virtio_add_queue(vdev, VIRTIO_BLK_QUEUE_SIZE,
                             virtio_blk_handle_output);
    virtio_blk_get_config(vdev, vdev->config);
    blk_set_dev_ops(blk, &virtio_blk_block_ops, s);
    return true;
}

void virtio_blk_drain(VirtIOBlock *s)
{
    if (s->blk) {
        blk_drain(s->blk);
    }
}

void virtio_blk_unrealize(VirtIOBlock *s)
{
    virtio_blk_drain(s);
    if (s->blk) {
        blk_set_dev_ops(s->blk, NULL, NULL);
    }
    virtio_cleanup(&s->parent_obj);
    free(s->serial);
    s->serial = NULL;
}
