/*
 * virtio-blk, after QEMU's hw/block/virtio-blk.c and VIRTIO 1.1 5.2.
 *
 * One request queue.  Each request is a 16-byte header (type, ioprio,
 * sector) in the device-readable buffers, data, and a status byte as the
 * last device-writable byte.  Reads, writes, flushes, discards and
 * write-zeroes go to the BlockBackend asynchronously; their completions
 * run in the main loop (BQL held), push the used element and notify.
 *
 * The device on the PCI bus is "virtio-blk-pci" (hw/virtio/
 * virtio-blk-pci.c): -device virtio-blk-pci,drive=ID[,serial=S], and
 * -drive if=virtio makes one.
 */
#ifndef HW_VIRTIO_VIRTIO_BLK_H
#define HW_VIRTIO_VIRTIO_BLK_H

#include "hw/virtio/virtio.h"
#include "util/queue.h"

typedef struct BlockBackend BlockBackend;

/* Feature bits. */
#define VIRTIO_BLK_F_SIZE_MAX       1
#define VIRTIO_BLK_F_SEG_MAX        2
#define VIRTIO_BLK_F_GEOMETRY       4
#define VIRTIO_BLK_F_RO             5
#define VIRTIO_BLK_F_BLK_SIZE       6
#define VIRTIO_BLK_F_FLUSH          9
#define VIRTIO_BLK_F_TOPOLOGY       10
#define VIRTIO_BLK_F_CONFIG_WCE     11
#define VIRTIO_BLK_F_DISCARD        13
#define VIRTIO_BLK_F_WRITE_ZEROES   14

/* Request types and status values. */
#define VIRTIO_BLK_T_IN             0
#define VIRTIO_BLK_T_OUT            1
#define VIRTIO_BLK_T_FLUSH          4
#define VIRTIO_BLK_T_GET_ID         8
#define VIRTIO_BLK_T_DISCARD        11
#define VIRTIO_BLK_T_WRITE_ZEROES   13
#define VIRTIO_BLK_S_OK             0
#define VIRTIO_BLK_S_IOERR          1
#define VIRTIO_BLK_S_UNSUPP         2

#define VIRTIO_BLK_ID_BYTES         20
#define VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP 1

/* struct virtio_blk_config offsets (little-endian). */
#define VIRTIO_BLK_CFG_CAPACITY     0
#define VIRTIO_BLK_CFG_SIZE_MAX     8
#define VIRTIO_BLK_CFG_SEG_MAX      12
#define VIRTIO_BLK_CFG_BLK_SIZE     20
#define VIRTIO_BLK_CFG_NUM_QUEUES   34
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS 36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG 40
#define VIRTIO_BLK_CFG_DISCARD_ALIGN 44
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS 48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG   52
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP 56
#define VIRTIO_BLK_CONFIG_SIZE      60

#define VIRTIO_BLK_QUEUE_SIZE       256
/* Largest discard / write-zeroes request, in 512-byte sectors (8 MiB). */
#define VIRTIO_BLK_MAX_ZEROES_SECTORS 16384

typedef struct VirtIOBlockReq VirtIOBlockReq;

typedef struct VirtIOBlock {
    VirtIODevice parent_obj;
    BlockBackend *blk;
    char *serial;
    VirtQueue *vq;
    QTAILQ_HEAD(, VirtIOBlockReq) inflight;  /* submitted, not completed */
    uint64_t requests_completed;             /* for tests and info */
} VirtIOBlock;

/*
 * Set up s for blk (opened by -drive or -blockdev); dma_as is guest
 * memory.  Fails if blk is NULL.
 */
bool virtio_blk_realize(VirtIOBlock *s, BlockBackend *blk, const char *serial,
                        AddressSpace *dma_as, Error **errp);
void virtio_blk_unrealize(VirtIOBlock *s);
/* Wait (in the main loop) for every submitted request to complete. */
void virtio_blk_drain(VirtIOBlock *s);

#endif
