/*
 * qcow2 internals shared by qcow2.c (header, guest I/O, create),
 * qcow2-refcount.c (metadata caches, refcounts, allocation, check) and
 * qcow2-snapshot.c.  On-disk layout: QEMU's docs/interop/qcow2.txt.
 *
 * Crash safety comes from the order in which metadata reaches the disk
 * (qcow2_flush_metadata):
 *   1. refcount blocks (increments) and the refcount table, then fdatasync
 *      -- this also makes guest data written to new clusters durable;
 *   2. L2 tables, then fdatasync;
 *   3. deferred refcount decrements (clusters unlinked by step 2), synced.
 * L1 entries are written straight through, after the L2 table they point
 * at is on disk.  A crash at any point therefore leaves refcounts that are
 * too high (leaks) but never a reference to a cluster counted as free.
 */
#ifndef BLOCK_QCOW2_H
#define BLOCK_QCOW2_H

#include "util/osdep.h"
#include "util/error.h"
#include "block/block.h"
#include "block/block_int.h"

#define QCOW_MAGIC 0x514649fbU /* 'Q' 'F' 'I' 0xfb */

#define QCOW_OFLAG_COPIED     (1ULL << 63)
#define QCOW_OFLAG_COMPRESSED (1ULL << 62)
#define QCOW_OFLAG_ZERO       (1ULL << 0)
#define L1E_OFFSET_MASK       0x00fffffffffffe00ULL
#define L2E_OFFSET_MASK       0x00fffffffffffe00ULL
#define REFT_OFFSET_MASK      0xfffffffffffffe00ULL

#define QCOW2_INCOMPAT_DIRTY       (1ULL << 0)
#define QCOW2_INCOMPAT_CORRUPT     (1ULL << 1)
#define QCOW2_INCOMPAT_DATA_FILE   (1ULL << 2)
#define QCOW2_INCOMPAT_COMPRESSION (1ULL << 3)
#define QCOW2_INCOMPAT_EXTL2       (1ULL << 4)
#define QCOW2_INCOMPAT_SUPPORTED   (QCOW2_INCOMPAT_DIRTY | \
                                    QCOW2_INCOMPAT_CORRUPT | \
                                    QCOW2_INCOMPAT_COMPRESSION)
#define QCOW2_COMPAT_LAZY_REFCOUNTS (1ULL << 0)

#define QCOW2_EXT_MAGIC_END          0
#define QCOW2_EXT_MAGIC_BACKING_FMT  0xe2792acaU
#define QCOW2_EXT_MAGIC_FEATURE_TABLE 0x6803f857U

#define QCOW2_COMPRESSION_ZLIB 0
#define QCOW2_COMPRESSION_ZSTD 1

/* Limits, as QEMU's, so hostile headers cannot make us allocate wildly. */
#define MIN_CLUSTER_BITS 9
#define MAX_CLUSTER_BITS 21
#define QCOW_MAX_L1_SIZE         (32 * 1048576ULL) /* bytes */
#define QCOW_MAX_REFTABLE_SIZE   (8 * MiB)    /* bytes */
#define QCOW_MAX_SNAPSHOTS       65536
#define QCOW_MAX_SNAPSHOTS_SIZE  (64 * MiB)
#define QCOW_MAX_SNAPSHOT_EXTRA_DATA 1024
#define QCOW2_HEADER_V2_SIZE 72
#define QCOW2_HEADER_V3_SIZE 104

/* Header field offsets (big-endian on disk). */
#define HDR_VERSION            4
#define HDR_BACKING_OFFSET     8
#define HDR_BACKING_SIZE       16
#define HDR_CLUSTER_BITS       20
#define HDR_SIZE               24
#define HDR_CRYPT              32
#define HDR_L1_SIZE            36
#define HDR_L1_OFFSET          40
#define HDR_REFTABLE_OFFSET    48
#define HDR_REFTABLE_CLUSTERS  56
#define HDR_NB_SNAPSHOTS       60
#define HDR_SNAPSHOTS_OFFSET   64
#define HDR_INCOMPAT           72
#define HDR_COMPAT             80
#define HDR_AUTOCLEAR          88
#define HDR_REFCOUNT_ORDER     96
#define HDR_HEADER_LENGTH      100
#define HDR_COMPRESSION_TYPE   104

typedef struct QCowSnapshot {
    uint64_t l1_table_offset;
    uint32_t l1_size;
    char *id_str;
    char *name;
    uint64_t disk_size;
    uint64_t vm_state_size;
    uint32_t date_sec;
    uint32_t date_nsec;
    uint64_t vm_clock_nsec;
    uint64_t icount;            /* -1: not recorded */
    uint32_t extra_data_size;   /* as read; we write at least 24 */
    uint8_t *unknown_extra;     /* bytes past the ones we know, kept */
    uint32_t unknown_extra_size;
} QCowSnapshot;

typedef struct Qcow2CacheEntry {
    uint64_t offset;            /* 0: unused */
    uint8_t *table;
    bool dirty;
    int ref;                    /* pinned while > 0 */
    uint64_t lru;
} Qcow2CacheEntry;

typedef struct Qcow2Cache {
    Qcow2CacheEntry *entries;
    int size;
    uint64_t lru_counter;
} Qcow2Cache;

typedef struct BDRVQcow2State {
    int version;
    int cluster_bits;
    uint32_t cluster_size;
    int l2_bits;
    uint32_t l2_size;           /* entries per L2 table */
    int csize_shift;
    uint64_t csize_mask;
    uint64_t cluster_offset_mask;

    uint64_t l1_table_offset;
    uint32_t l1_size;
    uint64_t *l1_table;         /* host byte order */

    int refcount_order;
    int refcount_bits;
    uint64_t refcount_max;
    int refcount_block_bits;    /* log2(entries per refcount block) */
    uint64_t refcount_table_offset;
    uint32_t refcount_table_size;   /* entries (in memory; may be larger
                                       than on disk until the next flush) */
    uint64_t *refcount_table;
    uint64_t reftable_bytes;    /* size of the table at its offset */
    bool reftable_dirty;
    /* A grown table not yet written: old location to free afterwards. */
    bool reftable_moved;
    uint64_t old_reftable_offset;
    uint32_t old_reftable_clusters;

    uint64_t free_cluster_index;
    uint64_t free_byte_offset;  /* for packing compressed clusters */

    /* Clusters unlinked from L2/L1 whose refcount drops at the next flush. */
    uint64_t *pending_free;     /* pairs: offset, length */
    size_t nb_pending_free;
    size_t pending_free_cap;

    /* Clusters handed out but whose refcount is not yet raised. */
    uint64_t reserved[32];      /* start, count pairs (nested allocations) */
    int nb_reserved;

    Qcow2Cache l2_cache;
    Qcow2Cache refblock_cache;

    uint64_t incompatible_features;
    uint64_t compatible_features;
    uint64_t autoclear_features;
    uint32_t header_length;
    int compression_type;
    bool corrupt_signalled;

    uint32_t nb_snapshots;
    uint64_t snapshots_offset;
    uint64_t snapshots_size;
    QCowSnapshot *snapshots;

    /* One decompressed cluster, for sequential reads of compressed data. */
    uint8_t *cluster_cache;
    uint64_t cluster_cache_offset; /* the L2 entry it came from, or 0 */
    uint8_t *cluster_data;         /* scratch: compressed bytes */
} BDRVQcow2State;

static inline uint64_t offset_into_cluster(BDRVQcow2State *s, uint64_t off)
{
    return off & (s->cluster_size - 1);
}

static inline uint64_t start_of_cluster(BDRVQcow2State *s, uint64_t off)
{
    return off & ~((uint64_t)s->cluster_size - 1);
}

static inline uint64_t size_to_clusters(BDRVQcow2State *s, uint64_t size)
{
    return (size + s->cluster_size - 1) >> s->cluster_bits;
}

/* L1 entries needed to map size bytes of guest disk. */
static inline uint64_t size_to_l1(BDRVQcow2State *s, uint64_t size)
{
    int shift = s->cluster_bits + s->l2_bits;
    return (size + (1ULL << shift) - 1) >> shift;
}

static inline uint64_t qcow2_vm_state_offset(BDRVQcow2State *s,
                                             uint64_t disk_size)
{
    return size_to_l1(s, disk_size) << (s->cluster_bits + s->l2_bits);
}

/* Parse a compressed L2 entry into host offset and byte length. */
static inline void qcow2_parse_compressed(BDRVQcow2State *s, uint64_t entry,
                                          uint64_t *coffset, uint64_t *csize)
{
    *coffset = entry & s->cluster_offset_mask;
    uint64_t nb_sectors = ((entry >> s->csize_shift) & s->csize_mask) + 1;
    *csize = nb_sectors * 512 - (*coffset & 511);
}

/* qcow2.c */
void qcow2_signal_corruption(BlockDriverState *bs, const char *fmt, ...)
    PRINTF_FMT(2, 3);
int qcow2_update_header_field(BlockDriverState *bs, int offset, int len,
                              const void *data);
int qcow2_set_incompat(BlockDriverState *bs, uint64_t features);
int qcow2_write_l1_entry(BlockDriverState *bs, uint32_t index);
int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size);
int qcow2_read_guest(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                     uint8_t *buf);
int qcow2_write_guest(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const uint8_t *buf);
/* Make [offset, offset+bytes) (whole clusters) zero or unallocated. */
int qcow2_discard_clusters(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, bool make_zero);

/* qcow2-refcount.c: caches */
int qcow2_cache_init(Qcow2Cache *c, int size, uint32_t table_size);
void qcow2_cache_destroy(Qcow2Cache *c);
uint8_t *qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c,
                         uint64_t offset, bool read_from_disk, int *ret);
void qcow2_cache_put(Qcow2Cache *c, uint8_t *table);
void qcow2_cache_mark_dirty(Qcow2Cache *c, uint8_t *table);
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset);

/* qcow2-refcount.c: refcounts and allocation */
int qcow2_refcount_init(BlockDriverState *bs, Error **errp);
void qcow2_refcount_close(BlockDriverState *bs);
int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount);
/* Add addend to the refcount of every cluster in [offset, offset+length). */
int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset,
                          uint64_t length, int64_t addend);
int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size);
int64_t qcow2_alloc_bytes(BlockDriverState *bs, uint64_t size);
/* Drop the references at the next flush, after L2 tables are written. */
void qcow2_free_clusters_deferred(BlockDriverState *bs, uint64_t offset,
                                  uint64_t length);
/* Free what an L2 entry points at (normal, compressed or zero-alloc). */
void qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry);
int qcow2_flush_metadata(BlockDriverState *bs);
int qcow2_flush_refcounts(BlockDriverState *bs);
int qcow2_check_refcounts(BlockDriverState *bs, BdrvCheckResult *res,
                          int fix);
/*
 * Add addend (-1, 0, +1) to the refcount of every cluster reachable from
 * an L1 table, then set QCOW_OFLAG_COPIED in the active tables to match
 * (refcount == 1).  Undoes its increments on failure.
 */
int qcow2_update_snapshot_refcount(BlockDriverState *bs,
                                   uint64_t l1_table_offset, uint32_t l1_size,
                                   int addend);

/* The same over an in-memory L1 table that is not the active one. */
int qcow2_update_l1_refcount(BlockDriverState *bs, const uint64_t *l1,
                             uint32_t l1_size, int addend);
/* Store a refcount into a refcount block buffer (image creation). */
void qcow2_refcount_set_raw(BDRVQcow2State *s, uint8_t *block, uint64_t index,
                            uint64_t value);

/* qcow2-snapshot.c */
int qcow2_read_snapshots(BlockDriverState *bs, Error **errp);
void qcow2_free_snapshots(BlockDriverState *bs);
int qcow2_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *sn,
                          Error **errp);
int qcow2_snapshot_goto(BlockDriverState *bs, const char *name_or_id,
                        Error **errp);
int qcow2_snapshot_delete(BlockDriverState *bs, const char *name_or_id,
                          Error **errp);
int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn);
int qcow2_snapshot_load_vmstate(BlockDriverState *bs, const char *name_or_id,
                                void *buf, int64_t pos, size_t size);

#endif
