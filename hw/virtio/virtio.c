/*
 * The virtio core: feature negotiation, device status, split virtqueues
 * (see include/hw/virtio/virtio.h).
 *
 * Every access to a ring goes through vring_read/vring_write, which check
 * that the bytes lie in guest RAM before touching them; buffers are mapped
 * one RAM range at a time with address_space_map, so a guest cannot make
 * us read or write device registers (our own included) or host memory.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/virtio/virtio.h"
#include <endian.h>

/*
 * Ordering against the guest's vCPUs, which touch the rings concurrently.
 * ThreadSanitizer refuses __atomic_thread_fence (-Werror=tsan); there a
 * sequentially consistent read-modify-write gives at least the same order
 * (and is what the fence compiles to on x86 anyway).
 */
#ifdef __SANITIZE_THREAD__
static int virtio_fence_word;
#define virtio_fence(order) \
    ((void)__atomic_fetch_add(&virtio_fence_word, 0, __ATOMIC_SEQ_CST))
#else
#define virtio_fence(order) __atomic_thread_fence(order)
#endif

/* ---- iovec helpers ---------------------------------------------------- */

size_t iov_size(const struct iovec *iov, unsigned iov_cnt)
{
    size_t n = 0;

    for (unsigned i = 0; i < iov_cnt; i++) {
        n += iov[i].iov_len;
    }
    return n;
}

static size_t iov_copy(const struct iovec *iov, unsigned iov_cnt,
                       size_t offset, void *buf, size_t bytes, bool to_buf)
{
    size_t done = 0;

    for (unsigned i = 0; i < iov_cnt && done < bytes; i++) {
        if (offset >= iov[i].iov_len) {
            offset -= iov[i].iov_len;
            continue;
        }
        size_t n = MIN(iov[i].iov_len - offset, bytes - done);
        if (to_buf) {
            memcpy((uint8_t *)buf + done, (uint8_t *)iov[i].iov_base + offset,
                   n);
        } else {
            memcpy((uint8_t *)iov[i].iov_base + offset, (uint8_t *)buf + done,
                   n);
        }
        done += n;
        offset = 0;
    }
    return done;
}

size_t iov_to_buf(const struct iovec *iov, unsigned iov_cnt, size_t offset,
                  void *buf, size_t bytes)
{
    return iov_copy(iov, iov_cnt, offset, buf, bytes, true);
}

size_t iov_from_buf(const struct iovec *iov, unsigned iov_cnt, size_t offset,
                    const void *buf, size_t bytes)
{
    return iov_copy(iov, iov_cnt, offset, (void *)buf, bytes, false);
}

/* ---- errors ------------------------------------------------------------ */

void virtio_error(VirtIODevice *vdev, const char *fmt, ...)
{
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    qemu_log_mask(LOG_GUEST_ERROR, "%s: %s\n", vdev->name, msg);
    free(msg);
    if (vdev->broken) {
        return;
    }
    vdev->broken = true;
    if (virtio_vdev_has_feature(vdev, VIRTIO_F_VERSION_1)) {
        vdev->status |= VIRTIO_CONFIG_S_NEEDS_RESET;
        virtio_notify_config(vdev);
    }
}

/* ---- guest memory ------------------------------------------------------ */

/*
 * True when [addr, addr + len) lies in guest RAM (and not ROM when
 * is_write) and does not wrap around the address space.
 */
static bool virtio_ram_range(AddressSpace *as, hwaddr addr, uint64_t len,
                             bool is_write)
{
    bool ok = true;

    if (len && addr + len - 1 < addr) {
        return false;
    }
    urcu_bp_read_lock();
    while (len) {
        hwaddr xlat, plen = len;
        MemoryRegion *mr = address_space_translate(as, addr, &xlat, &plen,
                                                   is_write);
        if (!memory_region_is_ram(mr) || memory_region_is_romd(mr) ||
            (is_write && memory_region_is_rom(mr)) || plen == 0) {
            ok = false;
            break;
        }
        plen = MIN(plen, len);
        addr += plen;
        len -= plen;
    }
    urcu_bp_read_unlock();
    return ok;
}

static bool vring_read(VirtQueue *vq, hwaddr addr, void *buf, hwaddr len)
{
    VirtIODevice *vdev = vq->vdev;

    if (!virtio_ram_range(vdev->dma_as, addr, len, false) ||
        address_space_read(vdev->dma_as, addr, MEMTXATTRS_UNSPECIFIED, buf,
                           len) != MEMTX_OK) {
        virtio_error(vdev, "queue %u: cannot read ring at 0x%" PRIx64
                     " (+%" PRIu64 "): not guest RAM", vq->queue_index,
                     (uint64_t)addr, (uint64_t)len);
        return false;
    }
    return true;
}

static bool vring_write(VirtQueue *vq, hwaddr addr, const void *buf,
                        hwaddr len)
{
    VirtIODevice *vdev = vq->vdev;

    if (!virtio_ram_range(vdev->dma_as, addr, len, true) ||
        address_space_write(vdev->dma_as, addr, MEMTXATTRS_UNSPECIFIED, buf,
                            len) != MEMTX_OK) {
        virtio_error(vdev, "queue %u: cannot write ring at 0x%" PRIx64
                     " (+%" PRIu64 "): not guest RAM", vq->queue_index,
                     (uint64_t)addr, (uint64_t)len);
        return false;
    }
    return true;
}

static bool vring_read16(VirtQueue *vq, hwaddr addr, uint16_t *val)
{
    uint16_t v;

    if (!vring_read(vq, addr, &v, 2)) {
        return false;
    }
    *val = le16toh(v);
    return true;
}

static bool vring_write16(VirtQueue *vq, hwaddr addr, uint16_t val)
{
    uint16_t v = htole16(val);

    return vring_write(vq, addr, &v, 2);
}

static bool vring_avail_idx(VirtQueue *vq, uint16_t *idx)
{
    return vring_read16(vq, vq->avail + 2, idx);
}

static bool vring_avail_flags(VirtQueue *vq, uint16_t *flags)
{
    return vring_read16(vq, vq->avail, flags);
}

static bool vring_used_event(VirtQueue *vq, uint16_t *val)
{
    return vring_read16(vq, vq->avail + 4 + 2 * (hwaddr)vq->num, val);
}

static bool vring_set_avail_event(VirtQueue *vq, uint16_t val)
{
    return vring_write16(vq, vq->used + 4 + 8 * (hwaddr)vq->num, val);
}

/* As the Linux and QEMU helper: did new_idx pass event_idx since old? */
static bool vring_need_event(uint16_t event_idx, uint16_t new_idx,
                             uint16_t old)
{
    return (uint16_t)(new_idx - event_idx - 1) < (uint16_t)(new_idx - old);
}

/* ---- device set-up ----------------------------------------------------- */

void virtio_init(VirtIODevice *vdev, const char *name, uint16_t device_id,
                 size_t config_size, AddressSpace *dma_as,
                 const VirtioDeviceOps *ops)
{
    memset(vdev, 0, sizeof(*vdev));
    vdev->name = name;
    vdev->device_id = device_id;
    vdev->dma_as = dma_as;
    vdev->ops = ops;
    vdev->config_len = config_size;
    vdev->config = config_size ? xzalloc(config_size) : NULL;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    vdev->host_features = 1ULL << VIRTIO_F_VERSION_1 |
                          1ULL << VIRTIO_RING_F_INDIRECT_DESC |
                          1ULL << VIRTIO_RING_F_EVENT_IDX;
    for (int i = 0; i < VIRTIO_QUEUE_MAX; i++) {
        vdev->vq[i].vdev = vdev;
        vdev->vq[i].queue_index = i;
        vdev->vq[i].vector = VIRTIO_NO_VECTOR;
    }
}

void virtio_cleanup(VirtIODevice *vdev)
{
    free(vdev->config);
    vdev->config = NULL;
}

void virtio_bind_transport(VirtIODevice *vdev, const VirtioTransportOps *ops,
                           void *opaque)
{
    vdev->transport = ops;
    vdev->transport_opaque = opaque;
}

VirtQueue *virtio_add_queue(VirtIODevice *vdev, unsigned queue_size,
                            VirtIOHandleOutput handle_output)
{
    int i;

    assert(queue_size && queue_size <= VIRTQUEUE_MAX_SIZE &&
           !(queue_size & (queue_size - 1)));
    for (i = 0; i < VIRTIO_QUEUE_MAX && vdev->vq[i].num_max; i++) {
    }
    assert(i < VIRTIO_QUEUE_MAX);
    vdev->vq[i].num_max = queue_size;
    vdev->vq[i].num = queue_size;
    vdev->vq[i].handle_output = handle_output;
    return &vdev->vq[i];
}

int virtio_get_num_queues(VirtIODevice *vdev)
{
    int i;

    for (i = 0; i < VIRTIO_QUEUE_MAX && vdev->vq[i].num_max; i++) {
    }
    return i;
}

/* ---- driver side --------------------------------------------------------- */

void virtio_reset(VirtIODevice *vdev)
{
    if (vdev->ops->reset) {
        vdev->ops->reset(vdev);
    }
    vdev->status = 0;
    vdev->isr = 0;
    vdev->queue_sel = 0;
    vdev->guest_features = 0;
    vdev->config_vector = VIRTIO_NO_VECTOR;
    vdev->broken = false;
    for (int i = 0; i < VIRTIO_QUEUE_MAX; i++) {
        VirtQueue *vq = &vdev->vq[i];
        vq->num = vq->num_max;
        vq->enabled = false;
        vq->desc = vq->avail = vq->used = 0;
        vq->last_avail_idx = vq->used_idx = 0;
        vq->signalled_used = 0;
        vq->signalled_used_valid = false;
        vq->vector = VIRTIO_NO_VECTOR;
        vq->inuse = 0;
    }
}

bool virtio_set_features(VirtIODevice *vdev, uint64_t features)
{
    if (vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: features written after "
                      "FEATURES_OK\n", vdev->name);
        return false;
    }
    vdev->guest_features = features & vdev->host_features;
    if (vdev->ops->set_features) {
        vdev->ops->set_features(vdev, vdev->guest_features);
    }
    return !(features & ~vdev->host_features);
}

void virtio_set_status(VirtIODevice *vdev, uint8_t status)
{
    if (status == 0) {
        virtio_reset(vdev);
        return;
    }
    /*
     * FEATURES_OK sticks only for a feature set we can honour: this
     * transport is modern-only, so VERSION_1 must have been accepted.
     */
    if ((status & VIRTIO_CONFIG_S_FEATURES_OK) &&
        !(vdev->status & VIRTIO_CONFIG_S_FEATURES_OK) &&
        !virtio_vdev_has_feature(vdev, VIRTIO_F_VERSION_1)) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: driver did not accept "
                      "VIRTIO_F_VERSION_1: FEATURES_OK refused\n",
                      vdev->name);
        status &= ~VIRTIO_CONFIG_S_FEATURES_OK;
    }
    vdev->status = status | (vdev->status & VIRTIO_CONFIG_S_NEEDS_RESET);
    if (vdev->ops->set_status) {
        vdev->ops->set_status(vdev, vdev->status);
    }
}

void virtio_queue_set_num(VirtIODevice *vdev, unsigned n, unsigned num)
{
    VirtQueue *vq = &vdev->vq[n];

    if (n >= VIRTIO_QUEUE_MAX || !vq->num_max || vq->enabled) {
        return;
    }
    /* A power of two no larger than what we offered (split ring rule). */
    if (!num || num > vq->num_max || (num & (num - 1))) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: queue %u: invalid size %u\n",
                      vdev->name, n, num);
        return;
    }
    vq->num = num;
}

void virtio_queue_set_rings(VirtIODevice *vdev, unsigned n, hwaddr desc,
                            hwaddr avail, hwaddr used)
{
    if (n >= VIRTIO_QUEUE_MAX || !vdev->vq[n].num_max) {
        return;
    }
    vdev->vq[n].desc = desc;
    vdev->vq[n].avail = avail;
    vdev->vq[n].used = used;
}

void virtio_queue_enable(VirtIODevice *vdev, unsigned n)
{
    VirtQueue *vq;

    if (n >= VIRTIO_QUEUE_MAX || !vdev->vq[n].num_max) {
        return;
    }
    vq = &vdev->vq[n];
    if ((vq->desc & 15) || (vq->avail & 1) || (vq->used & 3)) {
        virtio_error(vdev, "queue %u: misaligned rings (desc 0x%" PRIx64
                     ", avail 0x%" PRIx64 ", used 0x%" PRIx64 ")", n,
                     (uint64_t)vq->desc, (uint64_t)vq->avail,
                     (uint64_t)vq->used);
        return;
    }
    if (!virtio_ram_range(vdev->dma_as, vq->desc,
                          (uint64_t)vq->num * VRING_DESC_SIZE, false) ||
        !virtio_ram_range(vdev->dma_as, vq->avail, vring_avail_size(vq->num),
                          false) ||
        !virtio_ram_range(vdev->dma_as, vq->used, vring_used_size(vq->num),
                          true)) {
        virtio_error(vdev, "queue %u: rings outside guest RAM (desc 0x%"
                     PRIx64 ", avail 0x%" PRIx64 ", used 0x%" PRIx64 ")", n,
                     (uint64_t)vq->desc, (uint64_t)vq->avail,
                     (uint64_t)vq->used);
        return;
    }
    vq->enabled = true;
}

void virtio_queue_notify(VirtIODevice *vdev, unsigned n)
{
    VirtQueue *vq;

    if (n >= VIRTIO_QUEUE_MAX || !vdev->vq[n].num_max) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: notify for queue %u, which "
                      "does not exist\n", vdev->name, n);
        return;
    }
    vq = &vdev->vq[n];
    if (vdev->broken || !vq->enabled || !vq->handle_output) {
        return;
    }
    vq->handle_output(vdev, vq);
}

void virtio_config_read(VirtIODevice *vdev)
{
    if (vdev->ops->get_config) {
        vdev->ops->get_config(vdev, vdev->config);
    }
}

void virtio_config_written(VirtIODevice *vdev)
{
    if (vdev->ops->set_config) {
        vdev->ops->set_config(vdev, vdev->config);
    }
}

/* ---- device side: popping requests --------------------------------------- */

typedef struct VRingDesc {
    uint64_t addr;
    uint32_t len;
    uint16_t flags;
    uint16_t next;
} VRingDesc;

/* A growing list of mapped segments while a chain is walked. */
typedef struct SegList {
    hwaddr *addr;
    struct iovec *iov;
    unsigned num, cap;
} SegList;

static void seg_add(SegList *s, hwaddr addr, void *host, size_t len)
{
    if (s->num == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 8;
        s->addr = xrealloc(s->addr, s->cap * sizeof(*s->addr));
        s->iov = xrealloc(s->iov, s->cap * sizeof(*s->iov));
    }
    s->addr[s->num] = addr;
    s->iov[s->num].iov_base = host;
    s->iov[s->num].iov_len = len;
    s->num++;
}

static void seg_unmap(AddressSpace *as, SegList *s, bool is_write,
                      size_t written)
{
    for (unsigned i = 0; i < s->num; i++) {
        size_t n = MIN(written, s->iov[i].iov_len);
        address_space_unmap(as, s->iov[i].iov_base, s->iov[i].iov_len,
                            is_write, n);
        written -= n;
    }
}

/* Any chain needs no more host segments than this. */
#define VIRTQUEUE_MAX_SEGS (2 * VIRTQUEUE_MAX_SIZE)

/* Map one descriptor's buffer, a RAM range at a time. */
static bool virtqueue_map_desc(VirtQueue *vq, SegList *s, hwaddr addr,
                               uint32_t len, bool is_write)
{
    VirtIODevice *vdev = vq->vdev;

    if (!len) {
        virtio_error(vdev, "queue %u: zero-sized buffer", vq->queue_index);
        return false;
    }
    if (addr + len - 1 < addr) {
        virtio_error(vdev, "queue %u: buffer 0x%" PRIx64 " + %u wraps "
                     "around", vq->queue_index, (uint64_t)addr, len);
        return false;
    }
    while (len) {
        hwaddr plen = len;
        void *host;

        if (s->num >= VIRTQUEUE_MAX_SEGS) {
            virtio_error(vdev, "queue %u: too many buffer segments",
                         vq->queue_index);
            return false;
        }
        /* RAM only: address_space_map would bounce MMIO, which we refuse. */
        urcu_bp_read_lock();
        hwaddr xlat;
        MemoryRegion *mr = address_space_translate(vdev->dma_as, addr, &xlat,
                                                   &plen, is_write);
        bool ram = memory_region_is_ram(mr) && !memory_region_is_romd(mr) &&
                   !(is_write && memory_region_is_rom(mr)) && plen;
        urcu_bp_read_unlock();
        if (!ram) {
            virtio_error(vdev, "queue %u: buffer 0x%" PRIx64 " + %u is not "
                         "guest RAM", vq->queue_index, (uint64_t)addr, len);
            return false;
        }
        plen = MIN(plen, len);
        host = address_space_map(vdev->dma_as, addr, &plen, is_write,
                                 MEMTXATTRS_UNSPECIFIED);
        if (!host || !plen) {
            virtio_error(vdev, "queue %u: cannot map buffer 0x%" PRIx64,
                         vq->queue_index, (uint64_t)addr);
            return false;
        }
        seg_add(s, addr, host, plen);
        addr += plen;
        len -= plen;
    }
    return true;
}

bool virtio_queue_empty(VirtQueue *vq)
{
    uint16_t idx;

    if (vq->vdev->broken || !vq->enabled) {
        return true;
    }
    if (!vring_avail_idx(vq, &idx)) {
        return true;
    }
    return idx == vq->last_avail_idx;
}

static bool vring_read_desc(VirtQueue *vq, hwaddr table, unsigned i,
                            VRingDesc *d)
{
    uint8_t raw[VRING_DESC_SIZE];

    if (!vring_read(vq, table + (hwaddr)i * VRING_DESC_SIZE, raw,
                    sizeof(raw))) {
        return false;
    }
    d->addr = le64toh(*(uint64_t *)raw);
    d->len = le32toh(*(uint32_t *)(raw + 8));
    d->flags = le16toh(*(uint16_t *)(raw + 12));
    d->next = le16toh(*(uint16_t *)(raw + 14));
    return true;
}

void *virtqueue_pop(VirtQueue *vq, size_t sz)
{
    VirtIODevice *vdev = vq->vdev;
    SegList in = { 0 }, out = { 0 };
    VirtQueueElement *elem = NULL;
    uint16_t avail_idx, head;
    hwaddr table = vq->desc;
    unsigned max = vq->num, i, count = 0;
    bool indirect = false;
    uint64_t total = 0;
    VRingDesc d;

    assert(sz >= sizeof(VirtQueueElement));
    if (vdev->broken || !vq->enabled || !vq->num) {
        return NULL;
    }
    if (!vring_avail_idx(vq, &avail_idx) ||
        avail_idx == vq->last_avail_idx) {
        return NULL;
    }
    if ((uint16_t)(avail_idx - vq->last_avail_idx) > vq->num) {
        virtio_error(vdev, "queue %u: avail idx %u is %u entries ahead of %u "
                     "(queue size %u)", vq->queue_index, avail_idx,
                     (uint16_t)(avail_idx - vq->last_avail_idx),
                     vq->last_avail_idx, vq->num);
        return NULL;
    }
    /* Read the ring entry only after the index that published it. */
    virtio_fence(__ATOMIC_ACQUIRE);
    if (!vring_read16(vq, vq->avail + 4 +
                      2 * (hwaddr)(vq->last_avail_idx % vq->num), &head)) {
        return NULL;
    }
    if (head >= vq->num) {
        virtio_error(vdev, "queue %u: head %u out of range (queue size %u)",
                     vq->queue_index, head, vq->num);
        return NULL;
    }
    i = head;
    for (;;) {
        if (!vring_read_desc(vq, table, i, &d)) {
            goto fail;
        }
        if (d.flags & VRING_DESC_F_INDIRECT) {
            if (indirect) {
                virtio_error(vdev, "queue %u: nested indirect descriptor",
                             vq->queue_index);
                goto fail;
            }
            if (!virtio_vdev_has_feature(vdev, VIRTIO_RING_F_INDIRECT_DESC)) {
                virtio_error(vdev, "queue %u: indirect descriptor without "
                             "VIRTIO_RING_F_INDIRECT_DESC", vq->queue_index);
                goto fail;
            }
            if (count || (d.flags & VRING_DESC_F_NEXT)) {
                virtio_error(vdev, "queue %u: indirect descriptor must be "
                             "alone in its chain", vq->queue_index);
                goto fail;
            }
            if (!d.len || d.len % VRING_DESC_SIZE ||
                d.len / VRING_DESC_SIZE > VIRTQUEUE_MAX_SIZE) {
                virtio_error(vdev, "queue %u: invalid indirect table size %u",
                             vq->queue_index, d.len);
                goto fail;
            }
            if (d.addr + d.len - 1 < d.addr) {
                virtio_error(vdev, "queue %u: indirect table 0x%" PRIx64
                             " + %u wraps around", vq->queue_index, d.addr,
                             d.len);
                goto fail;
            }
            indirect = true;
            table = d.addr;
            max = d.len / VRING_DESC_SIZE;
            i = 0;
            continue;
        }
        /* More descriptors than the table holds means a loop. */
        if (++count > max) {
            virtio_error(vdev, "queue %u: descriptor chain longer than its "
                         "table (%u): a loop", vq->queue_index, max);
            goto fail;
        }
        total += d.len;
        if (total > UINT32_MAX) {
            virtio_error(vdev, "queue %u: request longer than 4 GiB",
                         vq->queue_index);
            goto fail;
        }
        if (d.flags & VRING_DESC_F_WRITE) {
            if (!virtqueue_map_desc(vq, &in, d.addr, d.len, true)) {
                goto fail;
            }
        } else {
            if (in.num) {
                virtio_error(vdev, "queue %u: device-readable descriptor "
                             "after a device-writable one", vq->queue_index);
                goto fail;
            }
            if (!virtqueue_map_desc(vq, &out, d.addr, d.len, false)) {
                goto fail;
            }
        }
        if (!(d.flags & VRING_DESC_F_NEXT)) {
            break;
        }
        i = d.next;
        if (i >= max) {
            virtio_error(vdev, "queue %u: next descriptor %u out of range "
                         "(%u)", vq->queue_index, i, max);
            goto fail;
        }
    }

    vq->last_avail_idx++;
    if (virtio_vdev_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) {
        vring_set_avail_event(vq, vq->last_avail_idx);
    }

    /* One allocation: the caller frees the element with free(). */
    size_t arrays = ALIGN_UP(sz, 16);
    size_t n = in.num + out.num;
    elem = xzalloc(arrays + n * (sizeof(hwaddr) + sizeof(struct iovec)));
    elem->index = head;
    elem->in_num = in.num;
    elem->out_num = out.num;
    elem->in_sg = (struct iovec *)((uint8_t *)elem + arrays);
    elem->out_sg = elem->in_sg + in.num;
    elem->in_addr = (hwaddr *)(elem->out_sg + out.num);
    elem->out_addr = elem->in_addr + in.num;
    if (in.num) {
        memcpy(elem->in_sg, in.iov, in.num * sizeof(struct iovec));
        memcpy(elem->in_addr, in.addr, in.num * sizeof(hwaddr));
    }
    if (out.num) {
        memcpy(elem->out_sg, out.iov, out.num * sizeof(struct iovec));
        memcpy(elem->out_addr, out.addr, out.num * sizeof(hwaddr));
    }
    vq->inuse++;
    goto out;

fail:
    seg_unmap(vdev->dma_as, &in, true, 0);
    seg_unmap(vdev->dma_as, &out, false, 0);
out:
    free(in.addr);
    free(in.iov);
    free(out.addr);
    free(out.iov);
    return elem;
}

static void virtqueue_unmap_element(VirtQueue *vq, VirtQueueElement *elem,
                                    size_t written)
{
    AddressSpace *as = vq->vdev->dma_as;

    for (unsigned i = 0; i < elem->in_num; i++) {
        size_t n = MIN(written, elem->in_sg[i].iov_len);
        address_space_unmap(as, elem->in_sg[i].iov_base,
                            elem->in_sg[i].iov_len, true, n);
        written -= n;
    }
    for (unsigned i = 0; i < elem->out_num; i++) {
        address_space_unmap(as, elem->out_sg[i].iov_base,
                            elem->out_sg[i].iov_len, false, 0);
    }
}

void virtqueue_detach_element(VirtQueue *vq, VirtQueueElement *elem,
                              unsigned len)
{
    virtqueue_unmap_element(vq, elem, len);
    if (vq->inuse) {
        vq->inuse--;
    }
}

void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem)
{
    virtqueue_detach_element(vq, elem, 0);
    vq->last_avail_idx--;
}

void virtqueue_push(VirtQueue *vq, VirtQueueElement *elem, unsigned len)
{
    uint8_t entry[8];
    hwaddr slot;

    virtqueue_unmap_element(vq, elem, len);
    if (vq->inuse) {
        vq->inuse--;
    }
    if (vq->vdev->broken || !vq->enabled) {
        return;
    }
    *(uint32_t *)entry = htole32(elem->index);
    *(uint32_t *)(entry + 4) = htole32(len);
    slot = vq->used + 4 + 8 * (hwaddr)(vq->used_idx % vq->num);
    if (!vring_write(vq, slot, entry, sizeof(entry))) {
        return;
    }
    /* The entry must be visible before the index that publishes it. */
    virtio_fence(__ATOMIC_RELEASE);
    vq->used_idx++;
    vring_write16(vq, vq->used + 2, vq->used_idx);
}

void virtio_queue_set_notification(VirtQueue *vq, int enable)
{
    uint16_t flags;

    if (vq->vdev->broken || !vq->enabled) {
        return;
    }
    if (virtio_vdev_has_feature(vq->vdev, VIRTIO_RING_F_EVENT_IDX)) {
        if (enable) {
            vring_set_avail_event(vq, vq->last_avail_idx);
        }
        return;
    }
    if (!vring_read16(vq, vq->used, &flags)) {
        return;
    }
    flags = enable ? flags & ~VRING_USED_F_NO_NOTIFY
                   : flags | VRING_USED_F_NO_NOTIFY;
    vring_write16(vq, vq->used, flags);
}

/* ---- device side: interrupts ------------------------------------------- */

static bool virtio_should_notify(VirtIODevice *vdev, VirtQueue *vq)
{
    uint16_t flags, event, old, new;
    bool valid;

    if (!virtio_vdev_has_feature(vdev, VIRTIO_RING_F_EVENT_IDX)) {
        return vring_avail_flags(vq, &flags) &&
               !(flags & VRING_AVAIL_F_NO_INTERRUPT);
    }
    old = vq->signalled_used;
    valid = vq->signalled_used_valid;
    new = vq->signalled_used = vq->used_idx;
    vq->signalled_used_valid = true;
    if (!vring_used_event(vq, &event)) {
        return false;
    }
    return !valid || vring_need_event(event, new, old);
}

void virtio_notify(VirtIODevice *vdev, VirtQueue *vq)
{
    if (vdev->broken || !vq->enabled) {
        return;
    }
    virtio_fence(__ATOMIC_SEQ_CST);
    if (!virtio_should_notify(vdev, vq)) {
        return;
    }
    if (vdev->transport) {
        vdev->transport->notify(vdev->transport_opaque, vq->vector, 1);
    }
}

void virtio_notify_config(VirtIODevice *vdev)
{
    if (!(vdev->status & VIRTIO_CONFIG_S_DRIVER_OK)) {
        return;
    }
    vdev->generation++;
    if (vdev->transport) {
        vdev->transport->notify(vdev->transport_opaque, vdev->config_vector,
                                2);
    }
}

/* ---- VMState ------------------------------------------------------------ */

/*
 * Loading validates what a guest could not have set through the
 * registers: the load must never hand the ring code a state it assumes
 * impossible.  Each check is a VMSTATE_VALIDATE, so a refusal names it;
 * error_report adds which queue and which values.  A refused queue is
 * also disabled and the device marked broken, so a half-loaded device
 * that is run anyway (a failed loadvm, then cont) processes nothing.
 */
static bool virtqueue_refuse(VirtQueue *vq)
{
    vq->enabled = false;
    vq->num = vq->num_max;
    vq->last_avail_idx = vq->used_idx = 0;
    vq->vdev->broken = true;
    return false;
}

static bool virtqueue_num_valid(void *opaque, int version_id)
{
    VirtQueue *vq = opaque;

    if (!vq->num_max) {
        if (vq->num || vq->enabled) {
            error_report("%s: queue %u: the device has no such queue "
                         "(size %u%s in the stream)", vq->vdev->name,
                         vq->queue_index, vq->num,
                         vq->enabled ? ", enabled" : "");
            return virtqueue_refuse(vq);
        }
        return true;
    }
    if (!vq->num || vq->num > vq->num_max || (vq->num & (vq->num - 1))) {
        error_report("%s: queue %u: size %u is not a power of two in "
                     "1..%u", vq->vdev->name, vq->queue_index, vq->num,
                     vq->num_max);
        return virtqueue_refuse(vq);
    }
    return true;
}

static bool virtqueue_idx_valid(void *opaque, int version_id)
{
    VirtQueue *vq = opaque;
    uint16_t apart = vq->last_avail_idx - vq->used_idx;

    /* Popped but not pushed entries: at most a queue's worth. */
    if (apart > vq->num) {
        error_report("%s: queue %u: last_avail_idx %u is %u entries ahead "
                     "of used_idx %u (queue size %u)", vq->vdev->name,
                     vq->queue_index, vq->last_avail_idx, apart,
                     vq->used_idx, vq->num);
        return virtqueue_refuse(vq);
    }
    return true;
}

static bool virtqueue_rings_valid(void *opaque, int version_id)
{
    VirtQueue *vq = opaque;
    AddressSpace *as = vq->vdev->dma_as;

    if (!vq->enabled) {
        return true;
    }
    if ((vq->desc & 15) || (vq->avail & 1) || (vq->used & 3) ||
        !virtio_ram_range(as, vq->desc, (uint64_t)vq->num * VRING_DESC_SIZE,
                          false) ||
        !virtio_ram_range(as, vq->avail, vring_avail_size(vq->num), false) ||
        !virtio_ram_range(as, vq->used, vring_used_size(vq->num), true)) {
        error_report("%s: queue %u: rings misaligned or outside guest RAM "
                     "(desc 0x%" PRIx64 ", avail 0x%" PRIx64 ", used 0x%"
                     PRIx64 ", size %u)", vq->vdev->name, vq->queue_index,
                     (uint64_t)vq->desc, (uint64_t)vq->avail,
                     (uint64_t)vq->used, vq->num);
        return virtqueue_refuse(vq);
    }
    return true;
}

static const VMStateDescription vmstate_virtqueue = {
    .name = "virtqueue_state",
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(num, VirtQueue),
        VMSTATE_BOOL(enabled, VirtQueue),
        VMSTATE_UINT64(desc, VirtQueue),
        VMSTATE_UINT64(avail, VirtQueue),
        VMSTATE_UINT64(used, VirtQueue),
        VMSTATE_UINT16(last_avail_idx, VirtQueue),
        VMSTATE_UINT16(used_idx, VirtQueue),
        VMSTATE_UINT16(signalled_used, VirtQueue),
        VMSTATE_BOOL(signalled_used_valid, VirtQueue),
        VMSTATE_UINT16(vector, VirtQueue),
        VMSTATE_VALIDATE("num: a power of two within the queue's maximum",
                         virtqueue_num_valid),
        VMSTATE_VALIDATE("last_avail_idx: at most num ahead of used_idx",
                         virtqueue_idx_valid),
        VMSTATE_VALIDATE("desc/avail/used: aligned rings in guest RAM",
                         virtqueue_rings_valid),
        VMSTATE_END_OF_LIST()
    },
};

static bool virtio_features_valid(void *opaque, int version_id)
{
    VirtIODevice *vdev = opaque;

    if (vdev->guest_features & ~vdev->host_features) {
        error_report("%s: guest features 0x%" PRIx64 " include bits never "
                     "offered (0x%" PRIx64 ")", vdev->name,
                     vdev->guest_features, vdev->host_features);
        vdev->guest_features &= vdev->host_features;
        vdev->broken = true;
        return false;
    }
    return true;
}

static int virtio_device_post_load(void *opaque, int version_id)
{
    VirtIODevice *vdev = opaque;

    /* The device drained before saving: nothing is popped and unpushed. */
    for (int i = 0; i < VIRTIO_QUEUE_MAX; i++) {
        vdev->vq[i].inuse = 0;
    }
    if (vdev->ops->set_features) {
        vdev->ops->set_features(vdev, vdev->guest_features);
    }
    /* Config bytes come from the backend (capacity...), not the stream. */
    virtio_config_read(vdev);
    return 0;
}

const VMStateDescription vmstate_virtio_device = {
    .name = "virtio",
    .version_id = 2,
    .minimum_version_id = 2,
    .post_load = virtio_device_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(status, VirtIODevice),
        VMSTATE_UINT8(isr, VirtIODevice),
        VMSTATE_UINT16(queue_sel, VirtIODevice),
        VMSTATE_UINT64(guest_features, VirtIODevice),
        VMSTATE_UINT16(config_vector, VirtIODevice),
        VMSTATE_UINT32(generation, VirtIODevice),
        VMSTATE_BOOL(broken, VirtIODevice),
        VMSTATE_VALIDATE("guest_features: a subset of the offered ones",
                         virtio_features_valid),
        VMSTATE_STRUCT_ARRAY(vq, VirtIODevice, VIRTIO_QUEUE_MAX, 0,
                             vmstate_virtqueue, VirtQueue),
        VMSTATE_END_OF_LIST()
    },
};
