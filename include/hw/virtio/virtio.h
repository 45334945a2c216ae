/*
 * The virtio core, after QEMU's include/hw/virtio/virtio.h and the
 * VIRTIO 1.1 specification: a VirtIODevice with feature bits, a device
 * status, a config generation, and split virtqueues (descriptor table,
 * available ring, used ring) in guest memory.
 *
 * Unlike QEMU, a VirtIODevice is not a QOM object on a virtio bus: it is
 * a plain struct embedded in its transport's device (virtio-blk-pci holds
 * a VirtIOPCIProxy and a VirtIOBlock), joined by two small tables of
 * callbacks (VirtioDeviceOps from the device model, VirtioTransportOps
 * from the transport).  One device, one transport, one object in the tree.
 *
 * Guest memory is untrusted.  Every ring and buffer address is checked to
 * lie in guest RAM (through vdev->dma_as); a descriptor loop, a chain
 * longer than the queue, an index out of range, a length that wraps, a
 * nested indirect table or a buffer outside RAM marks the device broken:
 * it logs a guest error (-d guest_errors), sets VIRTIO_CONFIG_S_NEEDS_RESET,
 * tells the driver with a config interrupt and processes nothing more
 * until the driver resets it.
 *
 * Runs under the big lock (MMIO handlers and main-loop completions).
 */
#ifndef HW_VIRTIO_VIRTIO_H
#define HW_VIRTIO_VIRTIO_H

#include "util/osdep.h"
#include "util/error.h"
#include "memory/memory.h"
#include "migration/vmstate.h"
#include <sys/uio.h>

/* Device status bits (VIRTIO 1.1, 2.1). */
#define VIRTIO_CONFIG_S_ACKNOWLEDGE     1
#define VIRTIO_CONFIG_S_DRIVER          2
#define VIRTIO_CONFIG_S_DRIVER_OK       4
#define VIRTIO_CONFIG_S_FEATURES_OK     8
#define VIRTIO_CONFIG_S_NEEDS_RESET     0x40
#define VIRTIO_CONFIG_S_FAILED          0x80

/* Transport and ring feature bits. */
#define VIRTIO_RING_F_INDIRECT_DESC     28
#define VIRTIO_RING_F_EVENT_IDX         29
#define VIRTIO_F_VERSION_1              32

/* Descriptor flags and ring flags. */
#define VRING_DESC_F_NEXT               1
#define VRING_DESC_F_WRITE              2
#define VRING_DESC_F_INDIRECT           4
#define VRING_AVAIL_F_NO_INTERRUPT      1
#define VRING_USED_F_NO_NOTIFY          1

/* Device IDs. */
#define VIRTIO_ID_NET                   1
#define VIRTIO_ID_BLOCK                 2

#define VIRTQUEUE_MAX_SIZE              1024
#define VIRTIO_QUEUE_MAX                8
#define VIRTIO_NO_VECTOR                0xffff

/* Ring layout sizes, in bytes. */
#define VRING_DESC_SIZE                 16
static inline uint64_t vring_avail_size(unsigned num)
{
    return 4 + 2 * (uint64_t)num + 2;     /* flags, idx, ring, used_event */
}
static inline uint64_t vring_used_size(unsigned num)
{
    return 4 + 8 * (uint64_t)num + 2;     /* flags, idx, ring, avail_event */
}

/*
 * A request popped from a queue: the device-readable buffers (out) then
 * the device-writable ones (in), mapped to host memory.  in_addr/out_addr
 * keep the guest addresses (for migration of in-flight requests).
 */
typedef struct VirtQueueElement {
    unsigned int index;         /* head descriptor */
    unsigned int out_num;
    unsigned int in_num;
    hwaddr *in_addr;
    hwaddr *out_addr;
    struct iovec *in_sg;
    struct iovec *out_sg;
} VirtQueueElement;

typedef struct VirtIODevice VirtIODevice;
typedef struct VirtQueue VirtQueue;
typedef void (*VirtIOHandleOutput)(VirtIODevice *vdev, VirtQueue *vq);

struct VirtQueue {
    VirtIODevice *vdev;
    unsigned queue_index;
    uint16_t num;               /* 0: queue not present */
    uint16_t num_max;
    bool enabled;
    hwaddr desc;
    hwaddr avail;
    hwaddr used;
    uint16_t last_avail_idx;    /* next avail entry to pop */
    uint16_t used_idx;          /* our copy of used->idx */
    uint16_t signalled_used;    /* used idx at the last interrupt */
    bool signalled_used_valid;
    uint16_t vector;            /* MSI-X vector */
    unsigned inuse;             /* popped, not yet pushed */
    VirtIOHandleOutput handle_output;
};

/* What the device model provides. */
typedef struct VirtioDeviceOps {
    uint64_t (*get_features)(VirtIODevice *vdev, uint64_t host_features);
    void (*set_features)(VirtIODevice *vdev, uint64_t features);
    /* Fill vdev->config from the device's state before a guest read. */
    void (*get_config)(VirtIODevice *vdev, uint8_t *config);
    void (*set_config)(VirtIODevice *vdev, const uint8_t *config);
    /* Status written (after the core applied it). */
    void (*set_status)(VirtIODevice *vdev, uint8_t status);
    /* Device reset: drop in-flight work; the core resets the queues. */
    void (*reset)(VirtIODevice *vdev);
} VirtioDeviceOps;

/* What the transport provides. */
typedef struct VirtioTransportOps {
    /* Raise vector (queue or config): MSI-X, or INTx + ISR bit isr_bit. */
    void (*notify)(void *opaque, uint16_t vector, uint8_t isr_bits);
} VirtioTransportOps;

struct VirtIODevice {
    const char *name;
    uint16_t device_id;
    AddressSpace *dma_as;       /* guest memory as the device sees it */
    const VirtioDeviceOps *ops;
    const VirtioTransportOps *transport;
    void *transport_opaque;

    uint8_t status;
    uint8_t isr;
    uint16_t queue_sel;
    uint64_t host_features;     /* offered */
    uint64_t guest_features;    /* accepted by the driver */
    uint16_t config_vector;
    uint32_t generation;        /* config generation */
    bool broken;
    size_t config_len;
    uint8_t *config;
    VirtQueue vq[VIRTIO_QUEUE_MAX];
};

/*
 * Set up vdev for a device of device_id with config_size bytes of config
 * space.  dma_as is where rings and buffers live (address_space_memory).
 */
void virtio_init(VirtIODevice *vdev, const char *name, uint16_t device_id,
                 size_t config_size, AddressSpace *dma_as,
                 const VirtioDeviceOps *ops);
void virtio_cleanup(VirtIODevice *vdev);
void virtio_bind_transport(VirtIODevice *vdev, const VirtioTransportOps *ops,
                           void *opaque);
/* Add a queue of at most queue_size entries (a power of two <= 1024). */
VirtQueue *virtio_add_queue(VirtIODevice *vdev, unsigned queue_size,
                            VirtIOHandleOutput handle_output);
int virtio_get_num_queues(VirtIODevice *vdev);

static inline bool virtio_has_feature(uint64_t features, unsigned bit)
{
    return features & (1ULL << bit);
}
static inline bool virtio_vdev_has_feature(const VirtIODevice *vdev,
                                           unsigned bit)
{
    return virtio_has_feature(vdev->guest_features, bit);
}

/* Driver side: status, features, queues, notifications. */
void virtio_reset(VirtIODevice *vdev);
void virtio_set_status(VirtIODevice *vdev, uint8_t status);
/* Returns false if features has bits not offered (FEATURES_OK refused). */
bool virtio_set_features(VirtIODevice *vdev, uint64_t features);
void virtio_queue_set_num(VirtIODevice *vdev, unsigned n, unsigned num);
void virtio_queue_set_rings(VirtIODevice *vdev, unsigned n, hwaddr desc,
                            hwaddr avail, hwaddr used);
/* Enabling checks that the rings lie in guest RAM (else: broken). */
void virtio_queue_enable(VirtIODevice *vdev, unsigned n);
void virtio_queue_notify(VirtIODevice *vdev, unsigned n);
/* The driver read the config: refresh it from the device model. */
void virtio_config_read(VirtIODevice *vdev);
void virtio_config_written(VirtIODevice *vdev);

/*
 * Device side.  virtqueue_pop returns a newly allocated element of sz
 * bytes (sz >= sizeof(VirtQueueElement), the element first in the
 * device's request struct), or NULL when the queue is empty or the device
 * broken.  Push it back with virtqueue_push (len: bytes written to the
 * in buffers), then virtio_notify; free it with free().
 */
void *virtqueue_pop(VirtQueue *vq, size_t sz);
void virtqueue_push(VirtQueue *vq, VirtQueueElement *elem, unsigned len);
/* Give an element back unused (it will be popped again). */
void virtqueue_unpop(VirtQueue *vq, VirtQueueElement *elem);
/* Unmap an element's buffers without pushing it (device reset). */
void virtqueue_detach_element(VirtQueue *vq, VirtQueueElement *elem,
                              unsigned len);
/* Interrupt the driver for vq unless it suppressed it. */
void virtio_notify(VirtIODevice *vdev, VirtQueue *vq);
void virtio_notify_config(VirtIODevice *vdev);
bool virtio_queue_empty(VirtQueue *vq);
/* Tell the driver (in the used ring) whether we want notifications. */
void virtio_queue_set_notification(VirtQueue *vq, int enable);

/* A guest mistake: log it and stop the device until reset. */
void virtio_error(VirtIODevice *vdev, const char *fmt, ...) PRINTF_FMT(2, 3);

/*
 * The transport-independent state of a device and its queues (QEMU's
 * "virtio" part of a device's description): status, ISR, features,
 * config vector and generation, and for each queue its size, enable,
 * ring addresses, avail/used indices, signalled state and vector.
 * Nothing may be in flight when it is saved (the device drains first).
 * Loading refuses, naming the field, a queue size that is not a power of
 * two or exceeds the device's maximum, indices more than the queue size
 * apart, rings misaligned or outside guest RAM, and features that were
 * never offered; it then refreshes the device config from the device.
 */
extern const VMStateDescription vmstate_virtio_device;

/* Byte copies between an iovec array and a flat buffer. */
size_t iov_to_buf(const struct iovec *iov, unsigned iov_cnt, size_t offset,
                  void *buf, size_t bytes);
size_t iov_from_buf(const struct iovec *iov, unsigned iov_cnt, size_t offset,
                    const void *buf, size_t bytes);
size_t iov_size(const struct iovec *iov, unsigned iov_cnt);

#endif
