/*
 * The block layer: images opened as a graph of BlockDriverStates (a format
 * node such as qcow2 or raw over a protocol node, file-posix, plus an
 * optional backing chain), used through a BlockBackend.
 *
 * The driver-level API (bdrv_*) is synchronous and byte-addressed; callers
 * serialise access per BlockBackend (blk_* take its lock).  Devices use the
 * asynchronous blk_aio_* calls, which run on a worker thread pool and
 * complete in the main loop (include/block/aio.h).
 */
#ifndef BLOCK_BLOCK_H
#define BLOCK_BLOCK_H

#include <pthread.h>
#include "util/osdep.h"
#include "util/error.h"
#include "util/qobject.h"

/* Open flags, as QEMU's BDRV_O_*. */
#define BDRV_O_RDWR        0x0002
#define BDRV_O_SNAPSHOT    0x0008 /* temporary overlay, see bdrv_open_snapshot */
#define BDRV_O_NOCACHE     0x0020 /* O_DIRECT on the protocol node */
#define BDRV_O_NO_BACKING  0x0100 /* do not open the backing file */
#define BDRV_O_NO_FLUSH    0x0200 /* cache=unsafe: flushes do nothing */
#define BDRV_O_FORCE_SHARE 0x0400 /* -U: take no image locks */
#define BDRV_O_CHECK       0x1000 /* opened for check/repair: allow corrupt */

#define BDRV_SECTOR_SIZE 512
/* Longest backing chain we follow; deeper chains are treated as loops. */
#define BDRV_MAX_BACKING_DEPTH 64

typedef struct BlockDriver BlockDriver;
typedef struct BlockDriverState BlockDriverState;

/* One internal snapshot, as QEMU's QEMUSnapshotInfo. */
typedef struct QEMUSnapshotInfo {
    char id_str[128];
    char name[256];
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;          /* -1 if not recorded */
    uint64_t disk_size;
} QEMUSnapshotInfo;

/* Result of a consistency check, as QEMU's BdrvCheckResult. */
typedef struct BdrvCheckResult {
    int corruptions;
    int leaks;
    int check_errors;
    int corruptions_fixed;
    int leaks_fixed;
    int64_t image_end_offset;
    uint64_t total_clusters;
    uint64_t allocated_clusters;
    uint64_t fragmented_clusters;
    uint64_t compressed_clusters;
    bool has_stats;
} BdrvCheckResult;

#define BDRV_FIX_LEAKS  1
#define BDRV_FIX_ERRORS 2

/* block_status flags, as QEMU's BDRV_BLOCK_*. */
#define BDRV_BLOCK_DATA         0x01 /* reads return data from the image */
#define BDRV_BLOCK_ZERO         0x02 /* reads return zeroes */
#define BDRV_BLOCK_OFFSET_VALID 0x04 /* *map is the host offset in *file */
#define BDRV_BLOCK_ALLOCATED    0x10 /* this layer decides the content */
#define BDRV_BLOCK_COMPRESSED   0x40

/* Creation options for bdrv_create (every driver reads what it knows). */
typedef struct BlockCreateOptions {
    uint64_t size;
    const char *backing_file;
    const char *backing_fmt;
    uint32_t cluster_size;    /* 0: default (64 KiB) */
    int refcount_bits;        /* 0: default (16) */
    int compat;               /* 0: default (3); 2 for compat=0.10 */
    const char *compression_type; /* NULL: zlib */
} BlockCreateOptions;

struct BlockDriver {
    const char *format_name;
    size_t instance_size;
    bool is_protocol;
    /* Score how much buf (the first bytes of the file) looks like ours. */
    int (*bdrv_probe)(const uint8_t *buf, int buf_size);
    int (*bdrv_open)(BlockDriverState *bs, int flags, Error **errp);
    void (*bdrv_close)(BlockDriverState *bs);
    int (*bdrv_pread)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      void *buf);
    int (*bdrv_pwrite)(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       const void *buf);
    /* Write one cluster-aligned block compressed (convert -c). */
    int (*bdrv_pwrite_compressed)(BlockDriverState *bs, uint64_t offset,
                                  uint64_t bytes, const void *buf);
    int (*bdrv_flush)(BlockDriverState *bs);
    int (*bdrv_pdiscard)(BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes);
    int (*bdrv_pwrite_zeroes)(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes);
    int (*bdrv_truncate)(BlockDriverState *bs, uint64_t size, bool shrink,
                         Error **errp);
    int64_t (*bdrv_getlength)(BlockDriverState *bs);
    int64_t (*bdrv_get_allocated_file_size)(BlockDriverState *bs);
    /*
     * Status of [offset, offset+bytes): returns BDRV_BLOCK_* flags and sets
     * *pnum to the length with that status (> 0), *map to the host offset.
     */
    int (*bdrv_block_status)(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes, uint64_t *pnum, uint64_t *map,
                             BlockDriverState **file);
    int (*bdrv_create)(const char *filename, const BlockCreateOptions *opts,
                       Error **errp);
    int (*bdrv_check)(BlockDriverState *bs, BdrvCheckResult *res, int fix);
    /* Format-specific info: {"type": ..., "data": {...}} or NULL. */
    QObject *(*bdrv_get_specific_info)(BlockDriverState *bs);
    int (*bdrv_get_cluster_size)(BlockDriverState *bs);

    int (*bdrv_snapshot_create)(BlockDriverState *bs, QEMUSnapshotInfo *sn,
                                Error **errp);
    int (*bdrv_snapshot_goto)(BlockDriverState *bs, const char *name_or_id,
                              Error **errp);
    int (*bdrv_snapshot_delete)(BlockDriverState *bs, const char *name_or_id,
                                Error **errp);
    int (*bdrv_snapshot_list)(BlockDriverState *bs, QEMUSnapshotInfo **psn);
    int (*bdrv_save_vmstate)(BlockDriverState *bs, const void *buf,
                             int64_t pos, size_t size);
    int (*bdrv_load_vmstate)(BlockDriverState *bs, void *buf, int64_t pos,
                             size_t size);
    /* Read a snapshot's VM state without reverting to the snapshot. */
    int (*bdrv_snapshot_load_vmstate)(BlockDriverState *bs,
                                      const char *name_or_id, void *buf,
                                      int64_t pos, size_t size);
};

struct BlockDriverState {
    const BlockDriver *drv;
    void *opaque;                 /* driver state, instance_size bytes */
    char filename[4096];
    int open_flags;
    bool read_only;
    BlockDriverState *file;       /* protocol child of a format node */
    BlockDriverState *backing;    /* backing image, or NULL */
    char backing_file[1024];      /* as recorded in the image */
    char backing_format[32];
    char full_backing_filename[4096]; /* resolved relative to the image */
    int backing_depth;            /* how deep in a chain this node is */
    uint64_t total_size;          /* virtual size in bytes */
    bool dirty_flag;              /* image marked dirty (qcow2) */
};

/* Drivers register at startup. */
void bdrv_register(const BlockDriver *drv);
const BlockDriver *bdrv_find_format(const char *name);

/*
 * Open filename as format (NULL: probe the first bytes) with BDRV_O_*
 * flags, then its backing chain read-only.  Errors read
 * "Could not open 'name': reason".
 */
BlockDriverState *bdrv_open(const char *filename, const char *format,
                            int flags, Error **errp);
/* Open the protocol (file-posix) node alone. */
BlockDriverState *bdrv_open_file(const char *filename, int flags,
                                 Error **errp);
void bdrv_unref(BlockDriverState *bs);   /* closes the node and children */

/* I/O: return 0 or a negative errno. */
int bdrv_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
               void *buf);
int bdrv_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                const void *buf);
int bdrv_pwrite_compressed(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, const void *buf);
int bdrv_flush(BlockDriverState *bs);
int bdrv_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
int bdrv_pwrite_zeroes(BlockDriverState *bs, uint64_t offset, uint64_t bytes);
int bdrv_truncate(BlockDriverState *bs, uint64_t size, bool shrink,
                  Error **errp);
int64_t bdrv_getlength(BlockDriverState *bs);
int64_t bdrv_get_allocated_file_size(BlockDriverState *bs);
int bdrv_block_status(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      uint64_t *pnum, uint64_t *map, BlockDriverState **file);
int bdrv_get_cluster_size(BlockDriverState *bs); /* 0 when not meaningful */
int bdrv_check(BlockDriverState *bs, BdrvCheckResult *res, int fix);

/* Creating images. */
int bdrv_create(const char *format, const char *filename,
                const BlockCreateOptions *opts, Error **errp);

/* Snapshots (internal) and VM state (savevm/loadvm). */
bool bdrv_can_snapshot(BlockDriverState *bs);
int bdrv_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn,
                         Error **errp);
int bdrv_snapshot_goto(BlockDriverState *bs, const char *name_or_id,
                       Error **errp);
int bdrv_snapshot_delete(BlockDriverState *bs, const char *name_or_id,
                         Error **errp);
/* Returns the count and a malloc'ed array in *psn (NULL when 0). */
int bdrv_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn);
/*
 * The snapshot table as qemu-img snapshot -l and HMP info snapshots print
 * it (QEMU's bdrv_snapshot_dump): the header line, and one line for sn
 * with id in the ID column.
 */
void bdrv_snapshot_dump_header(StrBuf *sb);
void bdrv_snapshot_dump(StrBuf *sb, const QEMUSnapshotInfo *sn,
                        const char *id);
int bdrv_save_vmstate(BlockDriverState *bs, const void *buf, int64_t pos,
                      size_t size);
int bdrv_load_vmstate(BlockDriverState *bs, void *buf, int64_t pos,
                      size_t size);
/*
 * Read [pos, pos+size) of the VM state stored in snapshot name_or_id,
 * leaving the active state alone (loadvm checks a snapshot's stream
 * before reverting any disk).  -ENOENT: no such snapshot; -EINVAL: the
 * range is outside its vm_state_size.
 */
int bdrv_snapshot_load_vmstate(BlockDriverState *bs, const char *name_or_id,
                               void *buf, int64_t pos, size_t size);

/* Info in qemu-img info --output=json shape (a QDict); see block/qapi.c. */
QObject *bdrv_image_info(BlockDriverState *bs, Error **errp);

/* Helpers shared by drivers. */
/* Resolve backing relative to the directory of the image that names it. */
char *bdrv_resolve_backing_filename(const char *image, const char *backing);
/* "10 GiB" style, as QEMU's size_to_str. */
char *size_to_str(uint64_t val);

#endif
