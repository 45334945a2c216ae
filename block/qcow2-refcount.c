/*
 * qcow2 metadata caches, reference counts, cluster allocation, the
 * ordered metadata flush and the consistency check.  See qcow2.h for the
 * write-ordering rules that keep a killed writer from corrupting images.
 */
#include "qcow2.h"

/* ---- table caches (L2 tables and refcount blocks) ---- */

int qcow2_cache_init(Qcow2Cache *c, int size, uint32_t table_size)
{
    c->size = size;
    c->entries = xnew_array(Qcow2CacheEntry, size);
    for (int i = 0; i < size; i++) {
        c->entries[i].table = xmalloc(table_size);
    }
    c->lru_counter = 0;
    return 0;
}

void qcow2_cache_destroy(Qcow2Cache *c)
{
    if (!c->entries) {
        return;
    }
    for (int i = 0; i < c->size; i++) {
        free(c->entries[i].table);
    }
    free(c->entries);
    c->entries = NULL;
}

static int cache_write_entry(BlockDriverState *bs, Qcow2CacheEntry *e)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = bdrv_pwrite(bs->file, e->offset, s->cluster_size, e->table);
    if (ret == 0) {
        e->dirty = false;
    }
    return ret;
}

static Qcow2CacheEntry *cache_entry_of(Qcow2Cache *c, uint8_t *table)
{
    for (int i = 0; i < c->size; i++) {
        if (c->entries[i].table == table) {
            return &c->entries[i];
        }
    }
    abort();
}

/*
 * Return the cached table at offset, pinned until qcow2_cache_put.
 * Evicting a dirty L2 table runs the whole ordered metadata flush, since
 * it may depend on refcounts not yet on disk; a dirty refcount block can
 * be written alone (see qcow2.h).
 */
uint8_t *qcow2_cache_get(BlockDriverState *bs, Qcow2Cache *c,
                         uint64_t offset, bool read_from_disk, int *ret)
{
    BDRVQcow2State *s = bs->opaque;
    Qcow2CacheEntry *victim = NULL;

    *ret = 0;
    for (int i = 0; i < c->size; i++) {
        Qcow2CacheEntry *e = &c->entries[i];
        if (e->offset == offset) {
            e->ref++;
            e->lru = ++c->lru_counter;
            if (!read_from_disk) {
                /* A new table in a reused cluster: stale contents go. */
                memset(e->table, 0, s->cluster_size);
            }
            return e->table;
        }
    }
    for (int i = 0; i < c->size; i++) {
        Qcow2CacheEntry *e = &c->entries[i];
        if (e->ref) {
            continue;
        }
        if (!e->offset) {
            victim = e;
            break;
        }
        if (!victim || e->lru < victim->lru) {
            victim = e;
        }
    }
    if (!victim) {
        *ret = -ENOSPC;
        return NULL;
    }
    if (victim->dirty) {
        if (c == &s->l2_cache) {
            *ret = qcow2_flush_metadata(bs);
        } else {
            *ret = cache_write_entry(bs, victim);
        }
        if (*ret < 0) {
            return NULL;
        }
        /* A flush cannot run inside a flush: then the slot stays dirty. */
        if (victim->ref || victim->dirty) {
            *ret = -EIO;
            return NULL;
        }
    }
    victim->offset = 0;
    if (read_from_disk) {
        *ret = bdrv_pread(bs->file, offset, s->cluster_size, victim->table);
        if (*ret < 0) {
            return NULL;
        }
    } else {
        memset(victim->table, 0, s->cluster_size);
    }
    victim->offset = offset;
    victim->ref = 1;
    victim->dirty = false;
    victim->lru = ++c->lru_counter;
    return victim->table;
}

void qcow2_cache_put(Qcow2Cache *c, uint8_t *table)
{
    Qcow2CacheEntry *e = cache_entry_of(c, table);
    assert(e->ref > 0);
    e->ref--;
}

void qcow2_cache_mark_dirty(Qcow2Cache *c, uint8_t *table)
{
    cache_entry_of(c, table)->dirty = true;
}

/* Forget a freed table without writing it back. */
void qcow2_cache_discard(Qcow2Cache *c, uint64_t offset)
{
    for (int i = 0; i < c->size; i++) {
        Qcow2CacheEntry *e = &c->entries[i];
        if (e->offset == offset && !e->ref) {
            e->offset = 0;
            e->dirty = false;
        }
    }
}

static int cache_write_all(BlockDriverState *bs, Qcow2Cache *c, bool *wrote)
{
    for (int i = 0; i < c->size; i++) {
        Qcow2CacheEntry *e = &c->entries[i];
        if (e->offset && e->dirty) {
            int ret = cache_write_entry(bs, e);
            if (ret < 0) {
                return ret;
            }
            *wrote = true;
        }
    }
    return 0;
}

/* ---- refcount block entries of any width ---- */

static uint64_t rb_get(BDRVQcow2State *s, const uint8_t *b, uint64_t i)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        uint64_t bit = i << s->refcount_order;
        return (b[bit / 8] >> (bit % 8)) & s->refcount_max;
    }
    case 3:
        return b[i];
    case 4:
        return ldbe16(b + 2 * i);
    case 5:
        return ldbe32(b + 4 * i);
    default:
        return ldbe64(b + 8 * i);
    }
}

static void rb_set(BDRVQcow2State *s, uint8_t *b, uint64_t i, uint64_t v)
{
    switch (s->refcount_order) {
    case 0: case 1: case 2: {
        uint64_t bit = i << s->refcount_order;
        uint8_t mask = s->refcount_max << (bit % 8);
        b[bit / 8] = (b[bit / 8] & ~mask) | ((v << (bit % 8)) & mask);
        break;
    }
    case 3:
        b[i] = v;
        break;
    case 4:
        stbe16(b + 2 * i, v);
        break;
    case 5:
        stbe32(b + 4 * i, v);
        break;
    default:
        stbe64(b + 8 * i, v);
        break;
    }
}

/* ---- refcount table ---- */

int qcow2_refcount_init(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)s->refcount_table_size * 8;
    uint8_t *buf = xmalloc(bytes);
    int ret = bdrv_pread(bs->file, s->refcount_table_offset, bytes, buf);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read the refcount table");
        free(buf);
        return ret;
    }
    s->reftable_bytes = bytes;
    s->refcount_table = xnew_array(uint64_t, s->refcount_table_size);
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        s->refcount_table[i] = ldbe64(buf + 8 * i);
    }
    free(buf);
    qcow2_cache_init(&s->refblock_cache, 16, s->cluster_size);
    return 0;
}

void qcow2_refcount_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    qcow2_cache_destroy(&s->refblock_cache);
    free(s->refcount_table);
    s->refcount_table = NULL;
    free(s->pending_free);
    s->pending_free = NULL;
}

static int write_reftable(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t bytes = (uint64_t)s->refcount_table_size * 8;
    uint8_t *buf = xmalloc(bytes);
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        stbe64(buf + 8 * i, s->refcount_table[i]);
    }
    int ret = bdrv_pwrite(bs->file, s->refcount_table_offset, bytes, buf);
    free(buf);
    return ret;
}

static bool cluster_is_reserved(BDRVQcow2State *s, uint64_t idx)
{
    for (int i = 0; i < s->nb_reserved; i += 2) {
        if (idx >= s->reserved[i] && idx < s->reserved[i] + s->reserved[i + 1]) {
            return true;
        }
    }
    return false;
}

static void reserve(BDRVQcow2State *s, uint64_t idx, uint64_t n)
{
    assert(s->nb_reserved + 2 <= (int)ARRAY_SIZE(s->reserved));
    s->reserved[s->nb_reserved++] = idx;
    s->reserved[s->nb_reserved++] = n;
}

static void unreserve(BDRVQcow2State *s)
{
    s->nb_reserved -= 2;
}

static int grow_reftable(BlockDriverState *bs, uint64_t min_entries);
static int alloc_refblock(BlockDriverState *bs, uint64_t rt_index);

/*
 * The refcount block covering rt_index, pinned; NULL with *ret = 0 when it
 * does not exist and allocate is false.
 */
static uint8_t *get_refblock(BlockDriverState *bs, uint64_t rt_index,
                             bool allocate, int *ret)
{
    BDRVQcow2State *s = bs->opaque;

    *ret = 0;
    if (rt_index >= s->refcount_table_size) {
        if (!allocate) {
            return NULL;
        }
        *ret = grow_reftable(bs, rt_index + 1);
        if (*ret < 0) {
            return NULL;
        }
    }
    uint64_t off = s->refcount_table[rt_index] & REFT_OFFSET_MASK;
    if (!off) {
        if (!allocate) {
            return NULL;
        }
        *ret = alloc_refblock(bs, rt_index);
        if (*ret < 0) {
            return NULL;
        }
        off = s->refcount_table[rt_index] & REFT_OFFSET_MASK;
    }
    if (offset_into_cluster(s, off)) {
        qcow2_signal_corruption(bs, "Refblock offset %#" PRIx64 " unaligned "
                                "(reftable index: %#" PRIx64 ")", off,
                                rt_index);
        *ret = -EIO;
        return NULL;
    }
    return qcow2_cache_get(bs, &s->refblock_cache, off, true, ret);
}

int qcow2_get_refcount(BlockDriverState *bs, uint64_t cluster_index,
                       uint64_t *refcount)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;
    uint8_t *b = get_refblock(bs, cluster_index >> s->refcount_block_bits,
                              false, &ret);
    if (!b) {
        *refcount = 0;
        return ret;
    }
    *refcount = rb_get(s, b, cluster_index &
                       ((1ULL << s->refcount_block_bits) - 1));
    qcow2_cache_put(&s->refblock_cache, b);
    return 0;
}

static int find_free_clusters(BlockDriverState *bs, uint64_t n,
                              uint64_t *start)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t idx = s->free_cluster_index;
    uint64_t run = 0;

    while (run < n) {
        uint64_t rc;
        int ret = qcow2_get_refcount(bs, idx + run, &rc);
        if (ret < 0) {
            return ret;
        }
        if (rc || cluster_is_reserved(s, idx + run)) {
            idx += run + 1;
            run = 0;
            continue;
        }
        run++;
    }
    /* Host offsets above 2^56 do not fit in L2 entries. */
    if ((idx + n) << s->cluster_bits > (1ULL << 56)) {
        return -EFBIG;
    }
    *start = idx;
    return 0;
}

static int set_refcount(BlockDriverState *bs, uint64_t idx, uint64_t value)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;
    uint8_t *b = get_refblock(bs, idx >> s->refcount_block_bits, value != 0,
                              &ret);
    if (!b) {
        return ret < 0 ? ret : 0;
    }
    rb_set(s, b, idx & ((1ULL << s->refcount_block_bits) - 1), value);
    qcow2_cache_mark_dirty(&s->refblock_cache, b);
    qcow2_cache_put(&s->refblock_cache, b);
    if (value == 0) {
        if (idx < s->free_cluster_index) {
            s->free_cluster_index = idx;
        }
        qcow2_cache_discard(&s->l2_cache, idx << s->cluster_bits);
    }
    return 0;
}

static int update_cluster_refcount(BlockDriverState *bs, uint64_t idx,
                                   int64_t addend)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t rc;
    int ret = qcow2_get_refcount(bs, idx, &rc);
    if (ret < 0) {
        return ret;
    }
    if (addend < 0 && rc < (uint64_t)-addend) {
        qcow2_signal_corruption(bs, "Preventing invalid write on metadata "
                                "(refcount of cluster %" PRIu64 " would drop "
                                "below 0)", idx);
        return -EIO;
    }
    if (addend > 0 && s->refcount_max - rc < (uint64_t)addend) {
        return -ERANGE;
    }
    return set_refcount(bs, idx, rc + addend);
}

int qcow2_update_refcount(BlockDriverState *bs, uint64_t offset,
                          uint64_t length, int64_t addend)
{
    BDRVQcow2State *s = bs->opaque;
    if (length == 0 || addend == 0) {
        return 0;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + length - 1) >> s->cluster_bits;
    for (uint64_t idx = first; idx <= last; idx++) {
        int ret = update_cluster_refcount(bs, idx, addend);
        if (ret < 0) {
            /* Undo what we did, so a failure leaves nothing half-done. */
            while (idx-- > first) {
                update_cluster_refcount(bs, idx, -addend);
            }
            return ret;
        }
    }
    return 0;
}

/*
 * A new refcount block for rt_index.  It goes in the first free cluster;
 * its own refcount lands in itself when it covers itself, else in another
 * block (allocated recursively; reservations keep the recursion from
 * picking the same cluster twice).  The table entry reaches the disk at
 * the next flush, after the block.
 */
static int alloc_refblock(BlockDriverState *bs, uint64_t rt_index)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t idx;
    int ret = find_free_clusters(bs, 1, &idx);
    if (ret < 0) {
        return ret;
    }
    uint64_t off = idx << s->cluster_bits;
    uint8_t *b = qcow2_cache_get(bs, &s->refblock_cache, off, false, &ret);
    if (!b) {
        return ret;
    }
    qcow2_cache_mark_dirty(&s->refblock_cache, b);
    qcow2_cache_put(&s->refblock_cache, b);
    s->refcount_table[rt_index] = off;
    s->reftable_dirty = true;

    reserve(s, idx, 1);
    ret = update_cluster_refcount(bs, idx, 1);
    unreserve(s);
    if (ret < 0) {
        s->refcount_table[rt_index] = 0;
        qcow2_cache_discard(&s->refblock_cache, off);
    }
    return ret;
}

/*
 * Grow the refcount table to at least min_entries.  The new table lives in
 * new clusters and replaces the old one at the next flush (written, synced,
 * then the header switched), so the on-disk table is always complete.
 */
static int grow_reftable(BlockDriverState *bs, uint64_t min_entries)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t per_cluster = s->cluster_size / 8;
    uint64_t old_clusters = s->refcount_table_size / per_cluster;
    uint64_t clusters = MAX(DIV_ROUND_UP(min_entries, per_cluster),
                            old_clusters * 2);
    /* Room for the new table's own refcounts in the grown table too. */
    clusters += 1;
    if (clusters * s->cluster_size > QCOW_MAX_REFTABLE_SIZE) {
        return -EFBIG;
    }
    uint32_t new_size = clusters * per_cluster;
    s->refcount_table = xrealloc(s->refcount_table, new_size * 8);
    memset(s->refcount_table + s->refcount_table_size, 0,
           (new_size - s->refcount_table_size) * 8);
    uint64_t prev_offset = s->refcount_table_offset;
    uint32_t prev_size = s->refcount_table_size;
    s->refcount_table_size = new_size;

    int64_t off = qcow2_alloc_clusters(bs, clusters * s->cluster_size);
    if (off < 0) {
        /* The table stays where it is, with its old size. */
        s->refcount_table_size = prev_size;
        return off;
    }
    if (!s->reftable_moved) {
        s->old_reftable_offset = prev_offset;
        s->old_reftable_clusters = prev_size / per_cluster;
        s->reftable_moved = true;
    } else {
        /* The previous new table never reached the disk: free it now. */
        qcow2_update_refcount(bs, prev_offset,
                              (uint64_t)prev_size * 8, -1);
    }
    s->refcount_table_offset = off;
    s->reftable_bytes = clusters * s->cluster_size;
    s->reftable_dirty = true;
    return 0;
}

static bool ranges_overlap(uint64_t a, uint64_t alen, uint64_t b,
                           uint64_t blen)
{
    return alen && blen && a < b + blen && b < a + alen;
}

/*
 * Refcounts that claim live metadata is free would make us overwrite it:
 * check new clusters against the tables we know, as QEMU's overlap check.
 */
static bool overlaps_metadata(BDRVQcow2State *s, uint64_t off, uint64_t len)
{
    if (ranges_overlap(off, len, 0, s->cluster_size) ||
        ranges_overlap(off, len, s->l1_table_offset,
                       (uint64_t)s->l1_size * 8) ||
        ranges_overlap(off, len, s->refcount_table_offset,
                       s->reftable_bytes) ||
        (s->reftable_moved &&
         ranges_overlap(off, len, s->old_reftable_offset,
                        (uint64_t)s->old_reftable_clusters * s->cluster_size)) ||
        ranges_overlap(off, len, s->snapshots_offset, s->snapshots_size)) {
        return true;
    }
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t rb = s->refcount_table[i] & REFT_OFFSET_MASK;
        if (rb && ranges_overlap(off, len, rb, s->cluster_size)) {
            return true;
        }
    }
    return false;
}

int64_t qcow2_alloc_clusters(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t n = size_to_clusters(s, size);
    uint64_t idx;
    int ret = find_free_clusters(bs, n, &idx);
    if (ret < 0) {
        return ret;
    }
    if (overlaps_metadata(s, idx << s->cluster_bits, n << s->cluster_bits)) {
        qcow2_signal_corruption(bs, "Preventing invalid allocation of "
                                "clusters at %#" PRIx64 " over metadata",
                                idx << s->cluster_bits);
        return -EIO;
    }
    reserve(s, idx, n);
    ret = qcow2_update_refcount(bs, idx << s->cluster_bits,
                                n << s->cluster_bits, 1);
    unreserve(s);
    if (ret < 0) {
        return ret;
    }
    if (idx == s->free_cluster_index) {
        s->free_cluster_index = idx + n;
    }
    return idx << s->cluster_bits;
}

/*
 * Byte-granular allocation for compressed clusters: pack them into the
 * current partly used cluster, each user holding one reference.
 */
int64_t qcow2_alloc_bytes(BlockDriverState *bs, uint64_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t off;
    assert(size > 0 && size <= s->cluster_size);

    int ret = -ERANGE;
    if (s->free_byte_offset &&
        offset_into_cluster(s, s->free_byte_offset) + size <= s->cluster_size) {
        off = s->free_byte_offset;
        ret = qcow2_update_refcount(bs, off, 1, 1);
        /* A full refcount (e.g. refcount_bits=1) just means a new cluster. */
        if (ret < 0 && ret != -ERANGE) {
            return ret;
        }
    }
    if (ret == -ERANGE) {
        off = qcow2_alloc_clusters(bs, s->cluster_size);
        if (off < 0) {
            return off;
        }
    }
    s->free_byte_offset = off + size;
    if (!offset_into_cluster(s, s->free_byte_offset)) {
        s->free_byte_offset = 0;
    }
    return off;
}

void qcow2_free_clusters_deferred(BlockDriverState *bs, uint64_t offset,
                                  uint64_t length)
{
    BDRVQcow2State *s = bs->opaque;
    if (s->nb_pending_free + 2 > s->pending_free_cap) {
        s->pending_free_cap = MAX(32, s->pending_free_cap * 2);
        s->pending_free = xrealloc(s->pending_free,
                                   s->pending_free_cap * sizeof(uint64_t));
    }
    s->pending_free[s->nb_pending_free++] = offset;
    s->pending_free[s->nb_pending_free++] = length;
}

void qcow2_free_any_cluster(BlockDriverState *bs, uint64_t l2_entry)
{
    BDRVQcow2State *s = bs->opaque;
    if (l2_entry & QCOW_OFLAG_COMPRESSED) {
        uint64_t coffset, csize;
        qcow2_parse_compressed(s, l2_entry, &coffset, &csize);
        qcow2_free_clusters_deferred(bs, coffset, csize);
        return;
    }
    uint64_t off = l2_entry & L2E_OFFSET_MASK;
    if (off) {
        qcow2_free_clusters_deferred(bs, off, s->cluster_size);
    }
}

/* Step 1 of the ordered flush: refcount blocks, then the table. */
int qcow2_flush_refcounts(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    bool wrote = false;
    int ret = cache_write_all(bs, &s->refblock_cache, &wrote);
    if (ret < 0) {
        return ret;
    }
    if (s->reftable_dirty) {
        ret = bdrv_flush(bs->file);
        if (ret < 0) {
            return ret;
        }
        ret = write_reftable(bs);
        if (ret < 0) {
            return ret;
        }
        wrote = true;
        if (s->reftable_moved) {
            uint8_t hdr[12];
            ret = bdrv_flush(bs->file);
            if (ret < 0) {
                return ret;
            }
            stbe64(hdr, s->refcount_table_offset);
            stbe32(hdr + 8, s->refcount_table_size / (s->cluster_size / 8));
            ret = qcow2_update_header_field(bs, HDR_REFTABLE_OFFSET, 12, hdr);
            if (ret < 0) {
                return ret;
            }
            s->reftable_moved = false;
            qcow2_free_clusters_deferred(bs, s->old_reftable_offset,
                                         (uint64_t)s->old_reftable_clusters *
                                         s->cluster_size);
        }
        s->reftable_dirty = false;
    }
    if (wrote) {
        ret = bdrv_flush(bs->file);
    }
    return ret;
}

int qcow2_flush_metadata(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    static __thread int depth;
    int ret;

    /* Re-entered from an eviction inside the flush itself: nothing to do. */
    if (depth) {
        return 0;
    }
    depth++;
    for (;;) {
        bool wrote = false;
        ret = qcow2_flush_refcounts(bs);
        if (ret < 0) {
            break;
        }
        ret = cache_write_all(bs, &s->l2_cache, &wrote);
        if (ret < 0) {
            break;
        }
        if (wrote) {
            ret = bdrv_flush(bs->file);
            if (ret < 0) {
                break;
            }
        }
        if (!s->nb_pending_free) {
            break;
        }
        /* Step 3: the unlinks are on disk; drop the references. */
        size_t n = s->nb_pending_free;
        uint64_t *pending = xmalloc(n * sizeof(uint64_t));
        memcpy(pending, s->pending_free, n * sizeof(uint64_t));
        s->nb_pending_free = 0;
        s->free_byte_offset = 0;
        for (size_t i = 0; i < n; i += 2) {
            ret = qcow2_update_refcount(bs, pending[i], pending[i + 1], -1);
            if (ret < 0) {
                break;
            }
        }
        free(pending);
        if (ret < 0) {
            break;
        }
    }
    depth--;
    return ret;
}

/* ---- snapshot refcount walks ---- */

static int read_l1(BlockDriverState *bs, uint64_t offset, uint32_t size,
                   uint64_t **l1)
{
    uint8_t *buf = xmalloc((uint64_t)size * 8);
    int ret = bdrv_pread(bs->file, offset, (uint64_t)size * 8, buf);
    if (ret < 0) {
        free(buf);
        return ret;
    }
    *l1 = xnew_array(uint64_t, size ? size : 1);
    for (uint32_t i = 0; i < size; i++) {
        (*l1)[i] = ldbe64(buf + 8 * i);
    }
    free(buf);
    return 0;
}

typedef struct RefUndo {
    uint64_t *v;      /* offset, length pairs */
    size_t n, cap;
} RefUndo;

static int undo_update(BlockDriverState *bs, RefUndo *u, uint64_t off,
                       uint64_t len, int addend)
{
    int ret = qcow2_update_refcount(bs, off, len, addend);
    if (ret < 0 || addend <= 0) {
        return ret;
    }
    if (u->n + 2 > u->cap) {
        u->cap = MAX(64, u->cap * 2);
        u->v = xrealloc(u->v, u->cap * sizeof(uint64_t));
    }
    u->v[u->n++] = off;
    u->v[u->n++] = len;
    return 0;
}

/* Walk the tree of l1 (a private copy, freed here). */
static int update_l1_tree_refcount(BlockDriverState *bs, uint64_t *l1,
                                   uint32_t l1_size, int addend, bool active)
{
    BDRVQcow2State *s = bs->opaque;
    RefUndo undo = { 0 };
    int ret = 0;

    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_offset = l1[i] & L1E_OFFSET_MASK;
        if (!l2_offset) {
            continue;
        }
        if (offset_into_cluster(s, l2_offset)) {
            qcow2_signal_corruption(bs, "L2 table offset %#" PRIx64
                                    " unaligned (L1 index: %#" PRIx32 ")",
                                    l2_offset, i);
            ret = -EIO;
            goto fail;
        }
        uint8_t *l2 = qcow2_cache_get(bs, &s->l2_cache, l2_offset, true, &ret);
        if (!l2) {
            goto fail;
        }
        bool modified = false;
        for (uint32_t j = 0; j < s->l2_size; j++) {
            uint64_t entry = ldbe64(l2 + 8 * j), old = entry, rc;
            if (entry & QCOW_OFLAG_COMPRESSED) {
                uint64_t coffset, csize;
                qcow2_parse_compressed(s, entry, &coffset, &csize);
                ret = undo_update(bs, &undo, coffset, csize, addend);
                if (ret < 0) {
                    qcow2_cache_put(&s->l2_cache, l2);
                    goto fail;
                }
                continue;
            }
            uint64_t off = entry & L2E_OFFSET_MASK;
            if (!off) {
                continue;
            }
            ret = undo_update(bs, &undo, off, s->cluster_size, addend);
            if (ret == 0) {
                ret = qcow2_get_refcount(bs, off >> s->cluster_bits, &rc);
            }
            if (ret < 0) {
                qcow2_cache_put(&s->l2_cache, l2);
                goto fail;
            }
            entry = rc == 1 ? entry | QCOW_OFLAG_COPIED
                            : entry & ~QCOW_OFLAG_COPIED;
            if (entry != old) {
                stbe64(l2 + 8 * j, entry);
                modified = true;
            }
        }
        if (modified) {
            qcow2_cache_mark_dirty(&s->l2_cache, l2);
        }
        qcow2_cache_put(&s->l2_cache, l2);

        uint64_t rc;
        ret = undo_update(bs, &undo, l2_offset, s->cluster_size, addend);
        if (ret == 0) {
            ret = qcow2_get_refcount(bs, l2_offset >> s->cluster_bits, &rc);
        }
        if (ret < 0) {
            goto fail;
        }
        if (active) {
            uint64_t e = rc == 1 ? l1[i] | QCOW_OFLAG_COPIED
                                 : l1[i] & ~QCOW_OFLAG_COPIED;
            if (e != s->l1_table[i] && i < s->l1_size) {
                s->l1_table[i] = e;
                ret = qcow2_write_l1_entry(bs, i);
                if (ret < 0) {
                    goto fail;
                }
            }
        }
    }
    free(l1);
    free(undo.v);
    return 0;

fail:
    for (size_t k = undo.n; k >= 2; k -= 2) {
        qcow2_update_refcount(bs, undo.v[k - 2], undo.v[k - 1], -addend);
    }
    free(undo.v);
    free(l1);
    if (addend && undo.n) {
        /* Put the COPIED flags back in line with the restored counts. */
        qcow2_update_snapshot_refcount(bs, s->l1_table_offset, s->l1_size, 0);
    }
    return ret;
}

int qcow2_update_snapshot_refcount(BlockDriverState *bs,
                                   uint64_t l1_table_offset, uint32_t l1_size,
                                   int addend)
{
    BDRVQcow2State *s = bs->opaque;
    bool active = l1_table_offset == s->l1_table_offset;
    uint64_t *l1;

    if (active) {
        l1 = xnew_array(uint64_t, l1_size ? l1_size : 1);
        memcpy(l1, s->l1_table, (uint64_t)l1_size * 8);
    } else {
        int ret = read_l1(bs, l1_table_offset, l1_size, &l1);
        if (ret < 0) {
            return ret;
        }
    }
    return update_l1_tree_refcount(bs, l1, l1_size, addend, active);
}

int qcow2_update_l1_refcount(BlockDriverState *bs, const uint64_t *l1,
                             uint32_t l1_size, int addend)
{
    uint64_t *copy = xnew_array(uint64_t, l1_size ? l1_size : 1);
    memcpy(copy, l1, (uint64_t)l1_size * 8);
    return update_l1_tree_refcount(bs, copy, l1_size, addend, false);
}

void qcow2_refcount_set_raw(BDRVQcow2State *s, uint8_t *block, uint64_t index,
                            uint64_t value)
{
    rb_set(s, block, index, value);
}

/* ---- check ---- */

typedef struct CheckState {
    BlockDriverState *bs;
    BdrvCheckResult *res;
    uint64_t *refs;         /* computed references per host cluster */
    uint64_t nb_clusters;   /* host clusters in the file */
    uint64_t next_contiguous;
} CheckState;

static void inc_refs(CheckState *cs, uint64_t offset, uint64_t size)
{
    BDRVQcow2State *s = cs->bs->opaque;
    if (!size) {
        return;
    }
    uint64_t first = offset >> s->cluster_bits;
    uint64_t last = (offset + size - 1) >> s->cluster_bits;
    for (uint64_t i = first; i <= last; i++) {
        if (i >= cs->nb_clusters) {
            fprintf(stderr, "ERROR: cluster %" PRIu64 " (offset 0x%" PRIx64
                    ") is beyond the end of the image file\n", i,
                    i << s->cluster_bits);
            cs->res->corruptions++;
            continue;
        }
        cs->refs[i]++;
    }
}

static int check_l2(CheckState *cs, uint64_t l2_offset, bool active)
{
    BlockDriverState *bs = cs->bs;
    BDRVQcow2State *s = bs->opaque;
    BdrvCheckResult *res = cs->res;
    uint8_t *l2 = xmalloc(s->cluster_size);
    int ret = bdrv_pread(bs->file, l2_offset, s->cluster_size, l2);
    if (ret < 0) {
        fprintf(stderr, "ERROR: I/O error in check_refcounts_l2\n");
        res->check_errors++;
        free(l2);
        return ret;
    }
    for (uint32_t j = 0; j < s->l2_size; j++) {
        uint64_t entry = ldbe64(l2 + 8 * j);
        if (entry & QCOW_OFLAG_COMPRESSED) {
            uint64_t coffset, csize;
            if (entry & QCOW_OFLAG_COPIED) {
                fprintf(stderr, "ERROR: coffset=0x%" PRIx64 ": Cluster has "
                        "the COPIED flag set\n", entry & s->cluster_offset_mask);
                res->corruptions++;
            }
            qcow2_parse_compressed(s, entry, &coffset, &csize);
            inc_refs(cs, coffset, csize);
            if (active) {
                res->allocated_clusters++;
                res->compressed_clusters++;
                res->fragmented_clusters++;
            }
            continue;
        }
        uint64_t off = entry & L2E_OFFSET_MASK;
        if (!off) {
            continue;
        }
        if (offset_into_cluster(s, off)) {
            fprintf(stderr, "ERROR offset=%" PRIx64 ": Cluster is not "
                    "properly aligned; L2 entry corrupted.\n", off);
            res->corruptions++;
            continue;
        }
        if (active) {
            res->allocated_clusters++;
            if (cs->next_contiguous && off != cs->next_contiguous) {
                res->fragmented_clusters++;
            }
            cs->next_contiguous = off + s->cluster_size;
        }
        inc_refs(cs, off, s->cluster_size);
    }
    free(l2);
    return 0;
}

static int check_l1(CheckState *cs, uint64_t l1_offset, uint32_t l1_size,
                    bool active)
{
    BlockDriverState *bs = cs->bs;
    BDRVQcow2State *s = bs->opaque;
    uint64_t *l1;

    inc_refs(cs, l1_offset, (uint64_t)l1_size * 8);
    if (active) {
        l1 = xnew_array(uint64_t, l1_size ? l1_size : 1);
        memcpy(l1, s->l1_table, (uint64_t)l1_size * 8);
    } else if (read_l1(bs, l1_offset, l1_size, &l1) < 0) {
        fprintf(stderr, "ERROR: I/O error in check_refcounts_l1\n");
        cs->res->check_errors++;
        return -EIO;
    }
    for (uint32_t i = 0; i < l1_size; i++) {
        uint64_t l2_offset = l1[i] & L1E_OFFSET_MASK;
        if (!l2_offset) {
            continue;
        }
        if (offset_into_cluster(s, l2_offset)) {
            fprintf(stderr, "ERROR l2_offset=%" PRIx64 ": Table is not "
                    "cluster aligned; L1 entry corrupted\n", l2_offset);
            cs->res->corruptions++;
            continue;
        }
        if ((l2_offset >> s->cluster_bits) >= cs->nb_clusters) {
            fprintf(stderr, "ERROR l2_offset=%" PRIx64 ": L2 table is "
                    "beyond the end of the image file\n", l2_offset);
            cs->res->corruptions++;
            continue;
        }
        inc_refs(cs, l2_offset, s->cluster_size);
        check_l2(cs, l2_offset, active);
    }
    free(l1);
    return 0;
}

/* OFLAG_COPIED must be set exactly where the refcount is 1. */
static void check_oflag_copied(CheckState *cs, int fix)
{
    BlockDriverState *bs = cs->bs;
    BDRVQcow2State *s = bs->opaque;
    BdrvCheckResult *res = cs->res;

    for (uint32_t i = 0; i < s->l1_size; i++) {
        uint64_t l2_offset = s->l1_table[i] & L1E_OFFSET_MASK;
        uint64_t rc;
        if (!l2_offset || offset_into_cluster(s, l2_offset) ||
            (l2_offset >> s->cluster_bits) >= cs->nb_clusters) {
            continue;
        }
        if (qcow2_get_refcount(bs, l2_offset >> s->cluster_bits, &rc) < 0) {
            res->check_errors++;
            continue;
        }
        if ((rc == 1) != !!(s->l1_table[i] & QCOW_OFLAG_COPIED)) {
            fprintf(stderr, "%s OFLAG_COPIED L2 cluster: l1_index=%" PRIu32
                    " l1_entry=%" PRIx64 " refcount=%" PRIu64 "\n",
                    fix & BDRV_FIX_ERRORS ? "Repairing" : "ERROR", i,
                    s->l1_table[i], rc);
            if (fix & BDRV_FIX_ERRORS) {
                s->l1_table[i] = rc == 1 ? s->l1_table[i] | QCOW_OFLAG_COPIED
                                         : s->l1_table[i] & ~QCOW_OFLAG_COPIED;
                if (qcow2_write_l1_entry(bs, i) == 0) {
                    res->corruptions_fixed++;
                } else {
                    res->check_errors++;
                }
            } else {
                res->corruptions++;
            }
        }
        int ret;
        uint8_t *l2 = qcow2_cache_get(bs, &s->l2_cache, l2_offset, true, &ret);
        if (!l2) {
            res->check_errors++;
            continue;
        }
        for (uint32_t j = 0; j < s->l2_size; j++) {
            uint64_t entry = ldbe64(l2 + 8 * j);
            uint64_t off = entry & L2E_OFFSET_MASK;
            if ((entry & QCOW_OFLAG_COMPRESSED) || !off ||
                offset_into_cluster(s, off) ||
                (off >> s->cluster_bits) >= cs->nb_clusters) {
                continue;
            }
            if (qcow2_get_refcount(bs, off >> s->cluster_bits, &rc) < 0) {
                res->check_errors++;
                continue;
            }
            if ((rc == 1) != !!(entry & QCOW_OFLAG_COPIED)) {
                fprintf(stderr, "%s OFLAG_COPIED data cluster: l2_entry=%"
                        PRIx64 " refcount=%" PRIu64 "\n",
                        fix & BDRV_FIX_ERRORS ? "Repairing" : "ERROR",
                        entry, rc);
                if (fix & BDRV_FIX_ERRORS) {
                    entry = rc == 1 ? entry | QCOW_OFLAG_COPIED
                                    : entry & ~QCOW_OFLAG_COPIED;
                    stbe64(l2 + 8 * j, entry);
                    qcow2_cache_mark_dirty(&s->l2_cache, l2);
                    res->corruptions_fixed++;
                } else {
                    res->corruptions++;
                }
            }
        }
        qcow2_cache_put(&s->l2_cache, l2);
    }
}

int qcow2_check_refcounts(BlockDriverState *bs, BdrvCheckResult *res,
                          int fix)
{
    BDRVQcow2State *s = bs->opaque;
    CheckState cs = { .bs = bs, .res = res };
    int64_t file_len;
    uint64_t highest = 0;
    int ret;

    if (!bs->read_only) {
        ret = qcow2_flush_metadata(bs);
        if (ret < 0) {
            res->check_errors++;
            return ret;
        }
    }
    file_len = bdrv_getlength(bs->file);
    if (file_len < 0) {
        res->check_errors++;
        return file_len;
    }
    cs.nb_clusters = size_to_clusters(s, file_len);
    cs.refs = xnew_array(uint64_t, cs.nb_clusters ? cs.nb_clusters : 1);

    /* Everything that references clusters: header, tables, snapshots. */
    inc_refs(&cs, 0, s->cluster_size);
    check_l1(&cs, s->l1_table_offset, s->l1_size, true);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        QCowSnapshot *sn = &s->snapshots[i];
        if (offset_into_cluster(s, sn->l1_table_offset)) {
            fprintf(stderr, "ERROR snapshot %s (%s) l1_offset=%#" PRIx64 ": "
                    "L1 table is not cluster aligned; snapshot table entry "
                    "corrupted\n", sn->id_str, sn->name, sn->l1_table_offset);
            res->corruptions++;
            continue;
        }
        check_l1(&cs, sn->l1_table_offset, sn->l1_size, false);
    }
    inc_refs(&cs, s->snapshots_offset, s->snapshots_size);
    inc_refs(&cs, s->refcount_table_offset,
             (uint64_t)s->refcount_table_size * 8);
    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t off = s->refcount_table[i] & REFT_OFFSET_MASK;
        if (!off) {
            continue;
        }
        if (offset_into_cluster(s, off)) {
            fprintf(stderr, "ERROR refcount block %" PRIu32 " is not "
                    "cluster aligned; refcount table entry corrupted\n", i);
            res->corruptions++;
            continue;
        }
        if ((off >> s->cluster_bits) >= cs.nb_clusters) {
            fprintf(stderr, "ERROR refcount block %" PRIu32 " is outside "
                    "image\n", i);
            res->corruptions++;
            continue;
        }
        inc_refs(&cs, off, s->cluster_size);
    }

    /* Compare with what the refcount blocks say. */
    for (uint64_t i = 0; i < cs.nb_clusters; i++) {
        uint64_t stored;
        if (qcow2_get_refcount(bs, i, &stored) < 0) {
            fprintf(stderr, "Can't get refcount for cluster %" PRIu64 "\n", i);
            res->check_errors++;
            continue;
        }
        uint64_t computed = cs.refs[i];
        if (stored || computed) {
            highest = i;
        }
        if (stored == computed) {
            continue;
        }
        bool leak = stored > computed;
        bool repair = leak ? (fix & BDRV_FIX_LEAKS) : (fix & BDRV_FIX_ERRORS);
        if (computed > s->refcount_max) {
            repair = false;
        }
        fprintf(stderr, "%s cluster %" PRIu64 " refcount=%" PRIu64
                " reference=%" PRIu64 "\n",
                repair ? "Repairing" : leak ? "Leaked" : "ERROR",
                i, stored, computed);
        if (repair && set_refcount(bs, i, computed) == 0) {
            if (leak) {
                res->leaks_fixed++;
            } else {
                res->corruptions_fixed++;
            }
            continue;
        }
        if (leak) {
            res->leaks++;
        } else {
            res->corruptions++;
        }
    }
    check_oflag_copied(&cs, fix);

    res->image_end_offset = (highest + 1) << s->cluster_bits;
    res->total_clusters = size_to_clusters(s, bs->total_size);
    res->has_stats = true;
    free(cs.refs);
    if (fix && !bs->read_only) {
        ret = qcow2_flush_metadata(bs);
        if (ret < 0) {
            res->check_errors++;
        }
    }
    return 0;
}
