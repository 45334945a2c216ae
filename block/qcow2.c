/*
 * The qcow2 format (versions 2 and 3), interchangeable with QEMU's:
 * header and extensions, L1/L2 mapping, guest reads and writes with
 * copy-on-write, zero and compressed (zlib, zstd) clusters, discard,
 * resize, image creation and VM state for savevm.  Refcounts and
 * allocation live in qcow2-refcount.c, snapshots in qcow2-snapshot.c.
 */
#include "qcow2.h"

#include <time.h>
#ifdef CONFIG_ZLIB
#include <zlib.h>
#endif
#ifdef CONFIG_ZSTD
#include <zstd.h>
#endif

void qcow2_signal_corruption(BlockDriverState *bs, const char *fmt, ...)
{
    BDRVQcow2State *s = bs->opaque;
    va_list ap;
    char *msg;

    va_start(ap, fmt);
    msg = xvasprintf(fmt, ap);
    va_end(ap);
    if (!s->corrupt_signalled) {
        if (bs->read_only) {
            fprintf(stderr, "qcow2: Image is corrupt: %s; further corruption "
                    "events will be suppressed\n", msg);
        } else {
            fprintf(stderr, "qcow2: Marking image as corrupt: %s; further "
                    "corruption events will be suppressed\n", msg);
            qcow2_set_incompat(bs, s->incompatible_features |
                               QCOW2_INCOMPAT_CORRUPT);
        }
        s->corrupt_signalled = true;
    }
    free(msg);
}

int qcow2_update_header_field(BlockDriverState *bs, int offset, int len,
                              const void *data)
{
    return bdrv_pwrite(bs->file, offset, len, data);
}

int qcow2_set_incompat(BlockDriverState *bs, uint64_t features)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t buf[8];
    if (s->version < 3) {
        return 0;
    }
    stbe64(buf, features);
    int ret = qcow2_update_header_field(bs, HDR_INCOMPAT, 8, buf);
    if (ret == 0) {
        s->incompatible_features = features;
        ret = bdrv_flush(bs->file);
    }
    return ret;
}

int qcow2_write_l1_entry(BlockDriverState *bs, uint32_t index)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t buf[8];
    stbe64(buf, s->l1_table[index]);
    return bdrv_pwrite(bs->file, s->l1_table_offset + 8ULL * index, 8, buf);
}

/*
 * Move the L1 table to new clusters with room for min_size entries:
 * refcounts for the new clusters reach the disk first, then the new table,
 * then the header switches to it; the old table is freed last.
 */
static int grow_l1_table(BlockDriverState *bs, uint64_t min_size, bool exact)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t new_size = min_size;

    if (min_size <= s->l1_size) {
        return 0;
    }
    if (!exact) {
        new_size = MAX(min_size, (uint64_t)s->l1_size * 3 / 2);
    }
    if (new_size > QCOW_MAX_L1_SIZE / 8) {
        new_size = min_size;
        if (new_size > QCOW_MAX_L1_SIZE / 8) {
            return -EFBIG;
        }
    }
    uint64_t bytes = new_size * 8;
    int64_t new_offset = qcow2_alloc_clusters(bs, bytes);
    if (new_offset < 0) {
        return new_offset;
    }
    int ret = qcow2_flush_metadata(bs);
    if (ret < 0) {
        return ret;
    }
    uint8_t *buf = xzalloc(ALIGN_UP(bytes, s->cluster_size));
    for (uint32_t i = 0; i < s->l1_size; i++) {
        stbe64(buf + 8 * i, s->l1_table[i]);
    }
    ret = bdrv_pwrite(bs->file, new_offset, ALIGN_UP(bytes, s->cluster_size),
                      buf);
    free(buf);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        qcow2_free_clusters_deferred(bs, new_offset, bytes);
        return ret;
    }
    uint8_t hdr[12];
    stbe32(hdr, new_size);
    stbe64(hdr + 4, new_offset);
    ret = qcow2_update_header_field(bs, HDR_L1_SIZE, 12, hdr);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        qcow2_free_clusters_deferred(bs, new_offset, bytes);
        return ret;
    }
    if (s->l1_size && s->l1_table_offset) {
        qcow2_free_clusters_deferred(bs, s->l1_table_offset,
                                     (uint64_t)s->l1_size * 8);
    }
    s->l1_table = xrealloc(s->l1_table, bytes);
    memset(s->l1_table + s->l1_size, 0, (new_size - s->l1_size) * 8);
    s->l1_size = new_size;
    s->l1_table_offset = new_offset;
    return 0;
}

int qcow2_grow_l1_table(BlockDriverState *bs, uint64_t min_size)
{
    return grow_l1_table(bs, min_size, false);
}

static uint8_t *get_l2_for_read(BlockDriverState *bs, uint64_t offset,
                                int *ret)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);

    *ret = 0;
    if (l1_index >= s->l1_size) {
        return NULL;
    }
    uint64_t l2_offset = s->l1_table[l1_index] & L1E_OFFSET_MASK;
    if (!l2_offset) {
        return NULL;
    }
    if (offset_into_cluster(s, l2_offset)) {
        qcow2_signal_corruption(bs, "L2 table offset %#" PRIx64 " unaligned "
                                "(L1 index: %#" PRIx64 ")", l2_offset,
                                l1_index);
        *ret = -EIO;
        return NULL;
    }
    return qcow2_cache_get(bs, &s->l2_cache, l2_offset, true, ret);
}

/*
 * A new L2 table for l1_index: empty, or a copy of a table shared with a
 * snapshot.  It is on disk (after its refcount) before the L1 entry.
 */
static uint8_t *l2_allocate(BlockDriverState *bs, uint64_t l1_index,
                            int *ret)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = s->l1_table[l1_index] & L1E_OFFSET_MASK;
    uint8_t *copy = NULL;

    if (old) {
        if (offset_into_cluster(s, old)) {
            qcow2_signal_corruption(bs, "L2 table offset %#" PRIx64
                                    " unaligned", old);
            *ret = -EIO;
            return NULL;
        }
        uint8_t *t = qcow2_cache_get(bs, &s->l2_cache, old, true, ret);
        if (!t) {
            return NULL;
        }
        copy = xmalloc(s->cluster_size);
        memcpy(copy, t, s->cluster_size);
        qcow2_cache_put(&s->l2_cache, t);
    }
    int64_t new_offset = qcow2_alloc_clusters(bs, s->cluster_size);
    if (new_offset < 0) {
        *ret = new_offset;
        free(copy);
        return NULL;
    }
    uint8_t *l2 = qcow2_cache_get(bs, &s->l2_cache, new_offset, false, ret);
    if (!l2) {
        free(copy);
        return NULL;
    }
    if (copy) {
        memcpy(l2, copy, s->cluster_size);
        free(copy);
    }
    qcow2_cache_mark_dirty(&s->l2_cache, l2);
    *ret = qcow2_flush_metadata(bs);
    if (*ret < 0) {
        qcow2_cache_put(&s->l2_cache, l2);
        return NULL;
    }
    s->l1_table[l1_index] = new_offset | QCOW_OFLAG_COPIED;
    *ret = qcow2_write_l1_entry(bs, l1_index);
    if (*ret < 0) {
        qcow2_cache_put(&s->l2_cache, l2);
        return NULL;
    }
    if (old) {
        qcow2_free_clusters_deferred(bs, old, s->cluster_size);
    }
    return l2;
}

/* The L2 table mapping offset, allocated or un-shared as needed. */
static uint8_t *get_l2_for_write(BlockDriverState *bs, uint64_t offset,
                                 int *ret)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t l1_index = offset >> (s->cluster_bits + s->l2_bits);

    if (l1_index >= s->l1_size) {
        *ret = grow_l1_table(bs, l1_index + 1, false);
        if (*ret < 0) {
            return NULL;
        }
    }
    uint64_t e = s->l1_table[l1_index];
    if ((e & L1E_OFFSET_MASK) && (e & QCOW_OFLAG_COPIED)) {
        return get_l2_for_read(bs, offset, ret);
    }
    return l2_allocate(bs, l1_index, ret);
}

static inline uint32_t l2_index_of(BDRVQcow2State *s, uint64_t offset)
{
    return (offset >> s->cluster_bits) & (s->l2_size - 1);
}

/* ---- compression ---- */

static int decompress_buffer(BDRVQcow2State *s, uint8_t *out, size_t out_len,
                             const uint8_t *in, size_t in_len)
{
    if (s->compression_type == QCOW2_COMPRESSION_ZLIB) {
#ifdef CONFIG_ZLIB
        z_stream zs = { 0 };
        int ret;
        zs.next_in = (uint8_t *)in;
        zs.avail_in = in_len;
        zs.next_out = out;
        zs.avail_out = out_len;
        /* Raw deflate, 4 KiB window: what QEMU writes. */
        if (inflateInit2(&zs, -12) != Z_OK) {
            return -EIO;
        }
        ret = inflate(&zs, Z_FINISH);
        inflateEnd(&zs);
        if ((ret == Z_STREAM_END || ret == Z_BUF_ERROR) && zs.avail_out == 0) {
            return 0;
        }
        return -EIO;
#else
        return -ENOTSUP;
#endif
    }
#ifdef CONFIG_ZSTD
    ZSTD_DCtx *dctx = ZSTD_createDCtx();
    ZSTD_inBuffer input = { in, in_len, 0 };
    ZSTD_outBuffer output = { out, out_len, 0 };
    int ret = -EIO;
    if (!dctx) {
        return -ENOMEM;
    }
    /* The compressed area may end with padding: stop when the output is full. */
    while (output.pos < output.size) {
        size_t last_in = input.pos, last_out = output.pos;
        size_t r = ZSTD_decompressStream(dctx, &output, &input);
        if (ZSTD_isError(r)) {
            break;
        }
        if (output.pos == output.size) {
            ret = 0;
            break;
        }
        if (r == 0 || (input.pos == last_in && output.pos == last_out)) {
            break;
        }
    }
    ZSTD_freeDCtx(dctx);
    return ret;
#else
    return -ENOTSUP;
#endif
}

/* Returns the compressed length, or -ENOSPC if it would not be smaller. */
static ssize_t compress_buffer(BDRVQcow2State *s, uint8_t *out,
                               size_t out_len, const uint8_t *in,
                               size_t in_len)
{
    if (s->compression_type == QCOW2_COMPRESSION_ZLIB) {
#ifdef CONFIG_ZLIB
        z_stream zs = { 0 };
        if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -12, 9,
                         Z_DEFAULT_STRATEGY) != Z_OK) {
            return -EIO;
        }
        zs.next_in = (uint8_t *)in;
        zs.avail_in = in_len;
        zs.next_out = out;
        zs.avail_out = out_len;
        int ret = deflate(&zs, Z_FINISH);
        ssize_t len = out_len - zs.avail_out;
        deflateEnd(&zs);
        return ret == Z_STREAM_END ? len : -ENOSPC;
#else
        return -ENOTSUP;
#endif
    }
#ifdef CONFIG_ZSTD
    size_t r = ZSTD_compress(out, out_len, in, in_len, ZSTD_CLEVEL_DEFAULT);
    if (ZSTD_isError(r)) {
        return -ENOSPC;
    }
    return r;
#else
    return -ENOTSUP;
#endif
}

static int read_compressed_cluster(BlockDriverState *bs, uint64_t entry)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t coffset, csize;

    if (s->cluster_cache_offset == entry) {
        return 0;
    }
    qcow2_parse_compressed(s, entry, &coffset, &csize);
    int ret = bdrv_pread(bs->file, coffset, csize, s->cluster_data);
    if (ret < 0) {
        return ret;
    }
    s->cluster_cache_offset = 0;
    ret = decompress_buffer(s, s->cluster_cache, s->cluster_size,
                            s->cluster_data, csize);
    if (ret < 0) {
        fprintf(stderr, "qcow2: could not decompress the cluster at host "
                "offset %#" PRIx64 "\n", coffset);
        return ret == -ENOTSUP ? ret : -EIO;
    }
    s->cluster_cache_offset = entry;
    return 0;
}

/* ---- guest reads and writes ---- */

static int read_backing(BlockDriverState *bs, uint64_t offset, uint64_t n,
                        uint8_t *buf)
{
    if (!bs->backing) {
        memset(buf, 0, n);
        return 0;
    }
    uint64_t bsize = bs->backing->total_size;
    uint64_t avail = offset < bsize ? MIN(n, bsize - offset) : 0;
    memset(buf + avail, 0, n - avail);
    return avail ? bdrv_pread(bs->backing, offset, avail, buf) : 0;
}

/* Reads anywhere in the address space, the VM state area included. */
int qcow2_read_guest(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                     uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    while (bytes) {
        uint64_t in = offset_into_cluster(s, offset);
        uint64_t n = MIN(bytes, s->cluster_size - in);
        uint64_t entry = 0;
        uint8_t *l2 = get_l2_for_read(bs, offset, &ret);

        if (ret < 0) {
            return ret;
        }
        if (l2) {
            entry = ldbe64(l2 + 8 * l2_index_of(s, offset));
            qcow2_cache_put(&s->l2_cache, l2);
        }
        if (entry & QCOW_OFLAG_COMPRESSED) {
            ret = read_compressed_cluster(bs, entry);
            if (ret < 0) {
                return ret;
            }
            memcpy(buf, s->cluster_cache + in, n);
        } else if (entry & QCOW_OFLAG_ZERO) {
            memset(buf, 0, n);
        } else if (entry & L2E_OFFSET_MASK) {
            uint64_t host = entry & L2E_OFFSET_MASK;
            if (offset_into_cluster(s, host)) {
                qcow2_signal_corruption(bs, "Cluster allocation offset %#"
                                        PRIx64 " unaligned (guest offset: %#"
                                        PRIx64 ")", host, offset);
                return -EIO;
            }
            ret = bdrv_pread(bs->file, host + in, n, buf);
            if (ret < 0) {
                return ret;
            }
        } else {
            ret = read_backing(bs, offset, n, buf);
            if (ret < 0) {
                return ret;
            }
        }
        offset += n;
        bytes -= n;
        buf += n;
    }
    return 0;
}

int qcow2_write_guest(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const uint8_t *buf)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t *cluster = NULL;
    int ret = 0;

    s->cluster_cache_offset = 0;
    while (bytes) {
        uint64_t in = offset_into_cluster(s, offset);
        uint64_t n = MIN(bytes, s->cluster_size - in);
        uint8_t *l2 = get_l2_for_write(bs, offset, &ret);
        if (!l2) {
            break;
        }
        uint32_t idx = l2_index_of(s, offset);
        uint64_t entry = ldbe64(l2 + 8 * idx);
        uint64_t host = entry & L2E_OFFSET_MASK;

        if (!(entry & (QCOW_OFLAG_COMPRESSED | QCOW_OFLAG_ZERO)) &&
            (entry & QCOW_OFLAG_COPIED) && host) {
            /* Ours alone: overwrite in place, no metadata change. */
            qcow2_cache_put(&s->l2_cache, l2);
            if (offset_into_cluster(s, host)) {
                qcow2_signal_corruption(bs, "Cluster allocation offset %#"
                                        PRIx64 " unaligned", host);
                ret = -EIO;
                break;
            }
            ret = bdrv_pwrite(bs->file, host + in, n, buf);
            if (ret < 0) {
                break;
            }
        } else {
            /*
             * Copy on write: the new cluster gets the old contents (from a
             * shared, compressed, zero or backing cluster) merged with the
             * new bytes, and is written in full before the L2 entry points
             * at it.
             */
            const uint8_t *src = buf;
            if (n < s->cluster_size) {
                if (!cluster) {
                    cluster = xmalloc(s->cluster_size);
                }
                ret = qcow2_read_guest(bs, offset - in, s->cluster_size,
                                       cluster);
                if (ret < 0) {
                    qcow2_cache_put(&s->l2_cache, l2);
                    break;
                }
                memcpy(cluster + in, buf, n);
                src = cluster;
            }
            int64_t new_host = qcow2_alloc_clusters(bs, s->cluster_size);
            if (new_host < 0) {
                ret = new_host;
                qcow2_cache_put(&s->l2_cache, l2);
                break;
            }
            ret = bdrv_pwrite(bs->file, new_host, s->cluster_size, src);
            if (ret < 0) {
                qcow2_cache_put(&s->l2_cache, l2);
                qcow2_free_clusters_deferred(bs, new_host, s->cluster_size);
                break;
            }
            stbe64(l2 + 8 * idx, new_host | QCOW_OFLAG_COPIED);
            qcow2_cache_mark_dirty(&s->l2_cache, l2);
            qcow2_cache_put(&s->l2_cache, l2);
            qcow2_free_any_cluster(bs, entry);
        }
        offset += n;
        bytes -= n;
        buf += n;
    }
    free(cluster);
    return ret;
}

static int qcow2_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                       void *buf)
{
    return qcow2_read_guest(bs, offset, bytes, buf);
}

static int qcow2_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                        const void *buf)
{
    return qcow2_write_guest(bs, offset, bytes, buf);
}

static int qcow2_pwrite_compressed(BlockDriverState *bs, uint64_t offset,
                                   uint64_t bytes, const void *buf)
{
    BDRVQcow2State *s = bs->opaque;
    int ret;

    if (offset_into_cluster(s, offset) || bytes > s->cluster_size ||
        (bytes < s->cluster_size && offset + bytes != bs->total_size)) {
        return -EINVAL;
    }
    uint8_t *in = xzalloc(s->cluster_size);
    uint8_t *out = xmalloc(s->cluster_size);
    memcpy(in, buf, bytes);
    ssize_t clen = compress_buffer(s, out, s->cluster_size - 512, in,
                                   s->cluster_size);
    if (clen < 0) {
        /* Incompressible: store it as a normal cluster. */
        ret = clen == -ENOSPC ? qcow2_write_guest(bs, offset, bytes, buf)
                              : clen;
        goto out;
    }
    s->cluster_cache_offset = 0;
    uint8_t *l2 = get_l2_for_write(bs, offset, &ret);
    if (!l2) {
        goto out;
    }
    int64_t host = qcow2_alloc_bytes(bs, clen);
    if (host < 0 || ((uint64_t)host & ~s->cluster_offset_mask)) {
        ret = host < 0 ? host : -EFBIG;
        qcow2_cache_put(&s->l2_cache, l2);
        goto out;
    }
    ret = bdrv_pwrite(bs->file, host, clen, out);
    if (ret < 0) {
        qcow2_cache_put(&s->l2_cache, l2);
        qcow2_free_clusters_deferred(bs, host, clen);
        goto out;
    }
    uint64_t nb_csectors = ((host + clen - 1) >> 9) - (host >> 9);
    uint32_t idx = l2_index_of(s, offset);
    uint64_t old = ldbe64(l2 + 8 * idx);
    stbe64(l2 + 8 * idx, (uint64_t)host | QCOW_OFLAG_COMPRESSED |
           (nb_csectors << s->csize_shift));
    qcow2_cache_mark_dirty(&s->l2_cache, l2);
    qcow2_cache_put(&s->l2_cache, l2);
    qcow2_free_any_cluster(bs, old);
out:
    free(in);
    free(out);
    return ret;
}

/*
 * Whole clusters in [offset, offset+bytes): unallocated (full_discard, or
 * v2) or reading as zeroes (zero flag, v3).  Partial clusters are left.
 */
static int discard_or_zero(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, bool full_discard)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = ALIGN_UP(offset, s->cluster_size);
    uint64_t end = ALIGN_DOWN(offset + bytes, s->cluster_size);
    int ret = 0;

    s->cluster_cache_offset = 0;
    for (uint64_t off = start; off < end; off += s->cluster_size) {
        uint64_t entry = 0;
        uint8_t *l2 = get_l2_for_read(bs, off, &ret);
        if (ret < 0) {
            return ret;
        }
        if (l2) {
            entry = ldbe64(l2 + 8 * l2_index_of(s, off));
            qcow2_cache_put(&s->l2_cache, l2);
        }
        uint64_t new_entry = 0;
        if (!full_discard && s->version >= 3) {
            new_entry = QCOW_OFLAG_ZERO;
        }
        /* Unallocated reads zeroes already unless a backing file shows. */
        if (!entry && (!bs->backing || full_discard || s->version < 3)) {
            continue;
        }
        if (entry == new_entry) {
            continue;
        }
        l2 = get_l2_for_write(bs, off, &ret);
        if (!l2) {
            return ret;
        }
        uint32_t idx = l2_index_of(s, off);
        entry = ldbe64(l2 + 8 * idx);
        stbe64(l2 + 8 * idx, new_entry);
        qcow2_cache_mark_dirty(&s->l2_cache, l2);
        qcow2_cache_put(&s->l2_cache, l2);
        qcow2_free_any_cluster(bs, entry);
    }
    return 0;
}

int qcow2_discard_clusters(BlockDriverState *bs, uint64_t offset,
                           uint64_t bytes, bool make_zero)
{
    return discard_or_zero(bs, offset, bytes, !make_zero);
}

static int qcow2_pdiscard(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes)
{
    return discard_or_zero(bs, offset, bytes, false);
}

static int qcow2_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                               uint64_t bytes)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t start = ALIGN_UP(offset, s->cluster_size);
    uint64_t end = ALIGN_DOWN(offset + bytes, s->cluster_size);
    uint8_t *zero;
    int ret = 0;

    if (s->version >= 3 && start < end) {
        ret = discard_or_zero(bs, start, end - start, false);
        if (ret < 0) {
            return ret;
        }
    } else {
        start = end = offset + bytes;
    }
    /* Head and tail, or everything on v2: write real zeroes. */
    zero = xzalloc(s->cluster_size);
    uint64_t head = MIN(start, offset + bytes);
    for (uint64_t off = offset; off < head && ret == 0;) {
        uint64_t n = MIN(head - off, s->cluster_size - offset_into_cluster(s, off));
        ret = qcow2_write_guest(bs, off, n, zero);
        off += n;
    }
    for (uint64_t off = MAX(end, offset); off < offset + bytes && ret == 0;) {
        uint64_t n = MIN(offset + bytes - off,
                         s->cluster_size - offset_into_cluster(s, off));
        ret = qcow2_write_guest(bs, off, n, zero);
        off += n;
    }
    free(zero);
    return ret;
}

static int qcow2_flush(BlockDriverState *bs)
{
    int ret = qcow2_flush_metadata(bs);
    if (ret < 0) {
        return ret;
    }
    /* Data overwritten in place needs the sync even with clean metadata. */
    return bdrv_flush(bs->file);
}

static int qcow2_truncate(BlockDriverState *bs, uint64_t size, bool shrink,
                          Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t old = bs->total_size;
    int ret;

    if (size % BDRV_SECTOR_SIZE) {
        error_setg(errp, "The new size must be a multiple of 512");
        return -EINVAL;
    }
    if (size < old) {
        if (!shrink) {
            error_setg(errp, "Use the --shrink option to perform a shrink "
                       "operation.");
            return -EINVAL;
        }
        if (s->nb_snapshots) {
            error_setg(errp, "Can't shrink an image with internal snapshots");
            return -ENOTSUP;
        }
        /* Drop everything past the end, zero the tail of the last cluster. */
        ret = discard_or_zero(bs, ALIGN_UP(size, s->cluster_size),
                              ALIGN_UP(old, s->cluster_size) -
                              ALIGN_UP(size, s->cluster_size), true);
        if (ret == 0 && offset_into_cluster(s, size)) {
            uint64_t n = s->cluster_size - offset_into_cluster(s, size);
            uint8_t *zero = xzalloc(n);
            ret = qcow2_write_guest(bs, size, n, zero);
            free(zero);
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to discard the cropped "
                             "clusters");
            return ret;
        }
    } else {
        if (s->nb_snapshots && s->version < 3) {
            error_setg(errp, "Can't resize a v2 image which has snapshots");
            return -ENOTSUP;
        }
        if (size_to_l1(s, size) > QCOW_MAX_L1_SIZE / 8) {
            error_setg(errp, "The new size is too large for the cluster "
                       "size (L1 table would exceed %" PRIu64 " bytes)",
                       (uint64_t)QCOW_MAX_L1_SIZE);
            return -EFBIG;
        }
        ret = grow_l1_table(bs, size_to_l1(s, size), true);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Failed to grow the L1 table");
            return ret;
        }
    }
    ret = qcow2_flush_metadata(bs);
    if (ret == 0) {
        uint8_t buf[8];
        stbe64(buf, size);
        ret = qcow2_update_header_field(bs, HDR_SIZE, 8, buf);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Failed to update the image size");
        return ret;
    }
    bs->total_size = size;
    return 0;
}

static int64_t qcow2_getlength(BlockDriverState *bs)
{
    return bs->total_size;
}

static int qcow2_block_status(BlockDriverState *bs, uint64_t offset,
                              uint64_t bytes, uint64_t *pnum, uint64_t *map,
                              BlockDriverState **file)
{
    BDRVQcow2State *s = bs->opaque;
    int status = -1;
    uint64_t done = 0, expect_host = 0;
    int ret;

    *map = 0;
    *file = bs->file;
    while (done < bytes) {
        uint64_t off = offset + done;
        uint64_t n = MIN(bytes - done,
                         s->cluster_size - offset_into_cluster(s, off));
        uint64_t entry = 0;
        uint8_t *l2 = get_l2_for_read(bs, off, &ret);
        if (ret < 0) {
            return ret;
        }
        if (l2) {
            entry = ldbe64(l2 + 8 * l2_index_of(s, off));
            qcow2_cache_put(&s->l2_cache, l2);
        }
        int st;
        uint64_t host = 0;
        if (entry & QCOW_OFLAG_COMPRESSED) {
            st = BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_DATA | BDRV_BLOCK_COMPRESSED;
        } else if (entry & QCOW_OFLAG_ZERO) {
            st = BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_ZERO;
        } else if (entry & L2E_OFFSET_MASK) {
            st = BDRV_BLOCK_ALLOCATED | BDRV_BLOCK_DATA |
                 BDRV_BLOCK_OFFSET_VALID;
            host = (entry & L2E_OFFSET_MASK) + offset_into_cluster(s, off);
        } else {
            st = 0;
        }
        if (status == -1) {
            status = st;
            *map = host;
        } else if (st != status ||
                   ((st & BDRV_BLOCK_OFFSET_VALID) && host != expect_host) ||
                   (st & BDRV_BLOCK_COMPRESSED)) {
            break;
        }
        expect_host = host + n;
        done += n;
        if (st & BDRV_BLOCK_COMPRESSED) {
            break;
        }
    }
    *pnum = done;
    return status;
}

static int qcow2_get_cluster_size(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    return s->cluster_size;
}

static QObject *qcow2_get_specific_info(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    QObject *spec = qdict_new();
    QObject *data = qdict_new();

    qdict_put_str(spec, "type", "qcow2");
    qdict_put_str(data, "compat", s->version >= 3 ? "1.1" : "0.10");
    qdict_put_str(data, "compression-type",
                  s->compression_type == QCOW2_COMPRESSION_ZSTD ? "zstd"
                                                                : "zlib");
    if (s->version >= 3) {
        qdict_put_bool(data, "lazy-refcounts",
                       s->compatible_features & QCOW2_COMPAT_LAZY_REFCOUNTS);
    }
    qdict_put_int(data, "refcount-bits", s->refcount_bits);
    if (s->version >= 3) {
        qdict_put_bool(data, "corrupt",
                       s->incompatible_features & QCOW2_INCOMPAT_CORRUPT);
        qdict_put_bool(data, "extended-l2", false);
    }
    qdict_put(spec, "data", data);
    return spec;
}

static int qcow2_check(BlockDriverState *bs, BdrvCheckResult *res, int fix)
{
    BDRVQcow2State *s = bs->opaque;
    int ret = qcow2_check_refcounts(bs, res, fix);
    if (ret < 0) {
        return ret;
    }
    /* A clean repair makes the image usable again. */
    if (fix && !bs->read_only && !res->corruptions && !res->leaks &&
        !res->check_errors &&
        (s->incompatible_features &
         (QCOW2_INCOMPAT_CORRUPT | QCOW2_INCOMPAT_DIRTY))) {
        ret = qcow2_set_incompat(bs, s->incompatible_features &
                                 ~(QCOW2_INCOMPAT_CORRUPT |
                                   QCOW2_INCOMPAT_DIRTY));
        bs->dirty_flag = false;
    }
    return ret;
}

static int qcow2_save_vmstate(BlockDriverState *bs, const void *buf,
                              int64_t pos, size_t size)
{
    BDRVQcow2State *s = bs->opaque;
    if (pos < 0) {
        return -EINVAL;
    }
    return qcow2_write_guest(bs, qcow2_vm_state_offset(s, bs->total_size) + pos,
                             size, buf);
}

static int qcow2_load_vmstate(BlockDriverState *bs, void *buf, int64_t pos,
                              size_t size)
{
    BDRVQcow2State *s = bs->opaque;
    if (pos < 0) {
        return -EINVAL;
    }
    return qcow2_read_guest(bs, qcow2_vm_state_offset(s, bs->total_size) + pos,
                            size, buf);
}

/* ---- open ---- */

static int qcow2_probe(const uint8_t *buf, int buf_size)
{
    if (buf_size >= 8 && ldbe32(buf) == QCOW_MAGIC && ldbe32(buf + 4) >= 2) {
        return 100;
    }
    return 0;
}

/* Offsets of tables must be cluster aligned and inside the file. */
static int validate_table(BlockDriverState *bs, uint64_t offset,
                          uint64_t entries, size_t entry_len,
                          uint64_t max_bytes, uint64_t file_len,
                          const char *what, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    if (entries > max_bytes / entry_len) {
        error_setg(errp, "%s too large", what);
        return -EFBIG;
    }
    if (!entries) {
        return 0;
    }
    if (offset_into_cluster(s, offset)) {
        error_setg(errp, "%s offset %#" PRIx64 " not cluster aligned", what,
                   offset);
        return -EINVAL;
    }
    if (offset > file_len || entries * entry_len > file_len - offset) {
        error_setg(errp, "%s offset %#" PRIx64 " beyond end of file", what,
                   offset);
        return -EINVAL;
    }
    return 0;
}

static char *incompat_feature_names(const uint8_t *table, uint32_t len,
                                    uint64_t mask)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (int bit = 0; bit < 64; bit++) {
        if (!(mask & (1ULL << bit))) {
            continue;
        }
        const char *name = NULL;
        char buf[47];
        for (uint32_t i = 0; table && i + 48 <= len; i += 48) {
            if (table[i] == 0 && table[i + 1] == bit) {
                memcpy(buf, table + i + 2, 46);
                buf[46] = 0;
                name = buf;
                break;
            }
        }
        if (sb.len) {
            strbuf_append(&sb, ", ");
        }
        if (name) {
            strbuf_append(&sb, name);
        } else {
            strbuf_printf(&sb, "Unknown incompatible feature: %" PRIx64,
                          (uint64_t)1 << bit);
        }
    }
    return strbuf_steal(&sb);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/*
 * Allocation trusts the refcount blocks: one outside the file would read
 * as all-free and let new data overwrite live clusters, and one listed
 * many times could make every cluster look used, so the search for a free
 * one would never end.
 */
static int check_refblock_offsets(BlockDriverState *bs, int64_t file_len,
                                  Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t *offs = xnew_array(uint64_t, s->refcount_table_size);
    uint32_t n = 0;
    int ret = 0;

    for (uint32_t i = 0; i < s->refcount_table_size; i++) {
        uint64_t off = s->refcount_table[i] & REFT_OFFSET_MASK;
        if (!off) {
            continue;
        }
        if (offset_into_cluster(s, off) || off >= (uint64_t)file_len) {
            error_setg(errp, "Refcount block %" PRIu32 " at offset %#" PRIx64
                       " is unaligned or beyond end of file; repair the "
                       "image with 'osprey-img check -r all'", i, off);
            ret = -EINVAL;
            goto out;
        }
        offs[n++] = off;
    }
    qsort(offs, n, sizeof(*offs), cmp_u64);
    for (uint32_t i = 1; i < n; i++) {
        if (offs[i] == offs[i - 1]) {
            error_setg(errp, "Refcount block at offset %#" PRIx64 " is "
                       "listed twice in the refcount table; repair the image "
                       "with 'osprey-img check -r all'", offs[i]);
            ret = -EINVAL;
            goto out;
        }
    }
out:
    free(offs);
    return ret;
}

static void qcow2_close(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    if (!bs->read_only && s->l1_table) {
        qcow2_flush(bs);
    }
    qcow2_cache_destroy(&s->l2_cache);
    qcow2_refcount_close(bs);
    qcow2_free_snapshots(bs);
    free(s->l1_table);
    free(s->cluster_cache);
    free(s->cluster_data);
    s->l1_table = NULL;
}

static int qcow2_open(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint8_t hdr[QCOW2_HEADER_V3_SIZE + 8];
    uint8_t *cluster0 = NULL, *feature_table = NULL;
    uint32_t feature_table_len = 0;
    int64_t file_len = bdrv_getlength(bs->file);
    int ret;

    if (file_len < 0) {
        error_setg_errno(errp, (int)-file_len, "Could not get the file size");
        return file_len;
    }
    if (file_len < QCOW2_HEADER_V2_SIZE) {
        error_setg(errp, "Image is truncated: qcow2 header incomplete");
        return -EINVAL;
    }
    memset(hdr, 0, sizeof(hdr));
    ret = bdrv_pread(bs->file, 0, MIN((uint64_t)file_len, sizeof(hdr)), hdr);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        return ret;
    }
    if (ldbe32(hdr) != QCOW_MAGIC) {
        error_setg(errp, "Image is not in qcow2 format");
        return -EINVAL;
    }
    s->version = ldbe32(hdr + HDR_VERSION);
    if (s->version < 2 || s->version > 3) {
        error_setg(errp, "Unsupported qcow2 version %d", s->version);
        return -ENOTSUP;
    }
    s->cluster_bits = ldbe32(hdr + HDR_CLUSTER_BITS);
    if (s->cluster_bits < MIN_CLUSTER_BITS ||
        s->cluster_bits > MAX_CLUSTER_BITS) {
        error_setg(errp, "Unsupported cluster size: 2^%d", s->cluster_bits);
        return -EINVAL;
    }
    s->cluster_size = 1U << s->cluster_bits;
    if (s->version >= 3) {
        if (file_len < QCOW2_HEADER_V3_SIZE) {
            error_setg(errp, "Image is truncated: qcow2 header incomplete");
            return -EINVAL;
        }
        s->incompatible_features = ldbe64(hdr + HDR_INCOMPAT);
        s->compatible_features = ldbe64(hdr + HDR_COMPAT);
        s->autoclear_features = ldbe64(hdr + HDR_AUTOCLEAR);
        uint32_t order = ldbe32(hdr + HDR_REFCOUNT_ORDER);
        /* Checked here, unsigned: a huge value must not turn negative. */
        if (order > 6) {
            error_setg(errp, "Reference count entry width too large; may "
                       "not exceed 64 bits");
            return -EINVAL;
        }
        s->refcount_order = order;
        s->header_length = ldbe32(hdr + HDR_HEADER_LENGTH);
        if (s->header_length < QCOW2_HEADER_V3_SIZE) {
            error_setg(errp, "qcow2 header too short");
            return -EINVAL;
        }
        if (s->header_length > s->cluster_size) {
            error_setg(errp, "qcow2 header exceeds cluster size");
            return -EINVAL;
        }
    } else {
        s->refcount_order = 4;
        s->header_length = QCOW2_HEADER_V2_SIZE;
    }
    if (s->refcount_order > 6) {
        error_setg(errp, "Reference count entry width too large; may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    if ((uint64_t)file_len < s->header_length) {
        error_setg(errp, "Image is truncated: qcow2 header incomplete");
        return -EINVAL;
    }

    /* Everything up to the end of cluster 0: extensions, backing name. */
    cluster0 = xzalloc(s->cluster_size);
    ret = bdrv_pread(bs->file, 0, MIN((uint64_t)file_len, s->cluster_size),
                     cluster0);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not read qcow2 header");
        goto fail;
    }
    uint64_t backing_offset = ldbe64(hdr + HDR_BACKING_OFFSET);
    uint32_t backing_size = ldbe32(hdr + HDR_BACKING_SIZE);
    uint64_t ext_end = backing_offset ? backing_offset : s->cluster_size;
    if (backing_offset) {
        if (backing_size > 1023) {
            error_setg(errp, "Backing file name too long");
            ret = -EINVAL;
            goto fail;
        }
        if (backing_offset > s->cluster_size ||
            backing_size > s->cluster_size - backing_offset) {
            error_setg(errp, "Invalid backing file offset");
            ret = -EINVAL;
            goto fail;
        }
        memcpy(bs->backing_file, cluster0 + backing_offset, backing_size);
        bs->backing_file[backing_size] = 0;
    }
    if (s->header_length > QCOW2_HEADER_V3_SIZE) {
        s->compression_type = cluster0[HDR_COMPRESSION_TYPE];
    }
    for (uint64_t off = s->header_length; off + 8 <= ext_end;) {
        uint32_t magic = ldbe32(cluster0 + off);
        uint32_t len = ldbe32(cluster0 + off + 4);
        off += 8;
        if (magic == QCOW2_EXT_MAGIC_END) {
            break;
        }
        if (len > ext_end - off) {
            error_setg(errp, "Header extension 0x%08x too large", magic);
            ret = -EINVAL;
            goto fail;
        }
        if (magic == QCOW2_EXT_MAGIC_BACKING_FMT) {
            if (len >= sizeof(bs->backing_format)) {
                error_setg(errp, "Backing format name too long");
                ret = -EINVAL;
                goto fail;
            }
            memcpy(bs->backing_format, cluster0 + off, len);
            bs->backing_format[len] = 0;
        } else if (magic == QCOW2_EXT_MAGIC_FEATURE_TABLE) {
            feature_table = cluster0 + off;
            feature_table_len = len;
        }
        /* Unknown extensions are ignored, as the spec allows. */
        off += ALIGN_UP((uint64_t)len, 8);
    }

    uint64_t unsupported = s->incompatible_features & ~QCOW2_INCOMPAT_SUPPORTED;
    if (unsupported) {
        char *names = incompat_feature_names(feature_table, feature_table_len,
                                             unsupported);
        error_setg(errp, "Unsupported qcow2 feature(s): %s", names);
        free(names);
        ret = -ENOTSUP;
        goto fail;
    }
    if (s->compression_type > QCOW2_COMPRESSION_ZSTD) {
        error_setg(errp, "Unknown compression type %d", s->compression_type);
        ret = -ENOTSUP;
        goto fail;
    }
    if (s->compression_type != QCOW2_COMPRESSION_ZLIB &&
        !(s->incompatible_features & QCOW2_INCOMPAT_COMPRESSION)) {
        error_setg(errp, "Compression type is set but the compression type "
                   "incompatible feature bit is not");
        ret = -EINVAL;
        goto fail;
    }
    if (ldbe32(hdr + HDR_CRYPT)) {
        error_setg(errp, "Encrypted qcow2 images are not supported");
        ret = -ENOTSUP;
        goto fail;
    }
    if (!bs->read_only && !(flags & BDRV_O_CHECK)) {
        if (s->incompatible_features & QCOW2_INCOMPAT_CORRUPT) {
            error_setg(errp, "qcow2: Image is corrupt; cannot be opened "
                       "read/write");
            ret = -EACCES;
            goto fail;
        }
        if (s->incompatible_features & QCOW2_INCOMPAT_DIRTY) {
            error_setg(errp, "qcow2: Image is dirty (lazy refcounts were in "
                       "use) and lazy refcounts are not supported; open it "
                       "read-only or repair it with 'osprey-img check -r all'");
            ret = -EACCES;
            goto fail;
        }
    }
    bs->dirty_flag = s->incompatible_features & QCOW2_INCOMPAT_DIRTY;

    s->refcount_bits = 1 << s->refcount_order;
    s->refcount_max = s->refcount_bits == 64 ? UINT64_MAX
                                             : (1ULL << s->refcount_bits) - 1;
    s->refcount_block_bits = s->cluster_bits + 3 - s->refcount_order;
    s->l2_bits = s->cluster_bits - 3;
    s->l2_size = 1U << s->l2_bits;
    s->csize_shift = 62 - (s->cluster_bits - 8);
    s->csize_mask = (1ULL << (s->cluster_bits - 8)) - 1;
    s->cluster_offset_mask = (1ULL << s->csize_shift) - 1;

    bs->total_size = ldbe64(hdr + HDR_SIZE);
    if (bs->total_size > (1ULL << 62)) {
        error_setg(errp, "Image size %" PRIu64 " too large", bs->total_size);
        ret = -EFBIG;
        goto fail;
    }
    s->l1_size = ldbe32(hdr + HDR_L1_SIZE);
    s->l1_table_offset = ldbe64(hdr + HDR_L1_OFFSET);
    ret = validate_table(bs, s->l1_table_offset, s->l1_size, 8,
                         QCOW_MAX_L1_SIZE, file_len, "Active L1 table", errp);
    if (ret < 0) {
        goto fail;
    }
    if (size_to_l1(s, bs->total_size) > s->l1_size) {
        error_setg(errp, "L1 table is too small");
        ret = -EINVAL;
        goto fail;
    }
    s->refcount_table_offset = ldbe64(hdr + HDR_REFTABLE_OFFSET);
    uint32_t reftable_clusters = ldbe32(hdr + HDR_REFTABLE_CLUSTERS);
    if (!reftable_clusters) {
        error_setg(errp, "Image does not contain a reference count table");
        ret = -EINVAL;
        goto fail;
    }
    ret = validate_table(bs, s->refcount_table_offset, reftable_clusters,
                         s->cluster_size, QCOW_MAX_REFTABLE_SIZE, file_len,
                         "Reference count table", errp);
    if (ret < 0) {
        goto fail;
    }
    s->refcount_table_size = (uint64_t)reftable_clusters * s->cluster_size / 8;
    s->nb_snapshots = ldbe32(hdr + HDR_NB_SNAPSHOTS);
    s->snapshots_offset = ldbe64(hdr + HDR_SNAPSHOTS_OFFSET);

    s->l1_table = xnew_array(uint64_t, s->l1_size ? s->l1_size : 1);
    if (s->l1_size) {
        uint8_t *buf = xmalloc((uint64_t)s->l1_size * 8);
        ret = bdrv_pread(bs->file, s->l1_table_offset,
                         (uint64_t)s->l1_size * 8, buf);
        for (uint32_t i = 0; i < s->l1_size; i++) {
            s->l1_table[i] = ldbe64(buf + 8 * i);
        }
        free(buf);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read the L1 table");
            goto fail;
        }
    }
    ret = qcow2_refcount_init(bs, errp);
    if (ret < 0) {
        goto fail;
    }
    ret = qcow2_read_snapshots(bs, errp);
    if (ret < 0) {
        goto fail;
    }
    if (!bs->read_only && !(flags & BDRV_O_CHECK)) {
        ret = check_refblock_offsets(bs, file_len, errp);
        if (ret < 0) {
            goto fail;
        }
    }
    int l2_entries = MIN(64, MAX(8, (int)(4 * MiB >> s->cluster_bits)));
    qcow2_cache_init(&s->l2_cache, l2_entries, s->cluster_size);
    s->cluster_cache = xmalloc(s->cluster_size);
    s->cluster_data = xmalloc(2 * s->cluster_size);

    /* We do not keep bitmaps up to date: say so to whoever reads them. */
    if (!bs->read_only && s->autoclear_features) {
        uint8_t buf[8] = { 0 };
        ret = qcow2_update_header_field(bs, HDR_AUTOCLEAR, 8, buf);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not update the qcow2 header");
            goto fail;
        }
        s->autoclear_features = 0;
    }
    free(cluster0);
    return 0;

fail:
    free(cluster0);
    /* Nothing was changed: close without flushing. */
    free(s->l1_table);
    s->l1_table = NULL;
    qcow2_close(bs);
    return ret;
}

/* ---- create ---- */

static int qcow2_create(const char *filename, const BlockCreateOptions *o,
                        Error **errp)
{
    uint32_t cluster_size = o->cluster_size ? o->cluster_size : 64 * KiB;
    int refcount_bits = o->refcount_bits ? o->refcount_bits : 16;
    int version = o->compat ? o->compat : 3;
    int compression = QCOW2_COMPRESSION_ZLIB;
    int cluster_bits = __builtin_ctz(cluster_size);
    int refcount_order = __builtin_ctz(refcount_bits);
    BlockDriverState *file, *bs;
    Error *local_err = NULL;
    int ret;

    if (cluster_size & (cluster_size - 1) || cluster_bits < MIN_CLUSTER_BITS ||
        cluster_bits > MAX_CLUSTER_BITS) {
        error_setg(errp, "Cluster size must be a power of two between 512 and "
                   "2048k");
        return -EINVAL;
    }
    if (refcount_bits > 64 || refcount_bits & (refcount_bits - 1)) {
        error_setg(errp, "Refcount width must be a power of two and may not "
                   "exceed 64 bits");
        return -EINVAL;
    }
    if (version == 2 && refcount_bits != 16) {
        error_setg(errp, "Different refcount widths than 16 bits require "
                   "compatibility level 1.1 or above (use compat=1.1 or "
                   "greater)");
        return -EINVAL;
    }
    if (o->compression_type) {
        if (!strcmp(o->compression_type, "zstd")) {
            compression = QCOW2_COMPRESSION_ZSTD;
        } else if (strcmp(o->compression_type, "zlib")) {
            error_setg(errp, "Invalid parameter '%s'", o->compression_type);
            return -EINVAL;
        }
        if (compression != QCOW2_COMPRESSION_ZLIB && version < 3) {
            error_setg(errp, "Non-zlib compression type is only supported "
                       "with compatibility level 1.1 and above (use "
                       "compat=1.1 or greater)");
            return -EINVAL;
        }
    }
    if (o->size % BDRV_SECTOR_SIZE) {
        error_setg(errp, "Image size must be a multiple of 512 bytes");
        return -EINVAL;
    }
    if (o->backing_file && strlen(o->backing_file) > 1023) {
        error_setg(errp, "Backing file name too long");
        return -EINVAL;
    }

    ret = bdrv_file.bdrv_create(filename, &(BlockCreateOptions){ .size = 0 },
                                errp);
    if (ret < 0) {
        return ret;
    }
    file = bdrv_open_file(filename, BDRV_O_RDWR, &local_err);
    if (!file) {
        error_propagate(errp, local_err);
        return -EIO;
    }

    /* Header, refcount table (cluster 1), one refcount block (cluster 2). */
    uint8_t *buf = xzalloc(3 * (size_t)cluster_size);
    uint32_t header_length = version >= 3 ? 112 : QCOW2_HEADER_V2_SIZE;
    stbe32(buf, QCOW_MAGIC);
    stbe32(buf + HDR_VERSION, version);
    stbe32(buf + HDR_CLUSTER_BITS, cluster_bits);
    stbe64(buf + HDR_REFTABLE_OFFSET, cluster_size);
    stbe32(buf + HDR_REFTABLE_CLUSTERS, 1);
    if (version >= 3) {
        stbe64(buf + HDR_INCOMPAT, compression != QCOW2_COMPRESSION_ZLIB
                                   ? QCOW2_INCOMPAT_COMPRESSION : 0);
        stbe32(buf + HDR_REFCOUNT_ORDER, refcount_order);
        stbe32(buf + HDR_HEADER_LENGTH, header_length);
        buf[HDR_COMPRESSION_TYPE] = compression;
    }
    uint32_t off = header_length;
    if (o->backing_file && o->backing_fmt) {
        size_t len = strlen(o->backing_fmt);
        stbe32(buf + off, QCOW2_EXT_MAGIC_BACKING_FMT);
        stbe32(buf + off + 4, len);
        memcpy(buf + off + 8, o->backing_fmt, len);
        off += 8 + ALIGN_UP(len, 8);
    }
    if (version >= 3) {
        static const struct { uint8_t type, bit; const char *name; } ft[] = {
            { 0, 0, "dirty bit" }, { 0, 1, "corrupt bit" },
            { 0, 2, "external data file" }, { 0, 3, "compression type" },
            { 0, 4, "extended L2 entries" }, { 1, 0, "lazy refcounts" },
            { 2, 0, "bitmaps" }, { 2, 1, "raw external data" },
        };
        stbe32(buf + off, QCOW2_EXT_MAGIC_FEATURE_TABLE);
        stbe32(buf + off + 4, ARRAY_SIZE(ft) * 48);
        off += 8;
        for (size_t i = 0; i < ARRAY_SIZE(ft); i++) {
            buf[off] = ft[i].type;
            buf[off + 1] = ft[i].bit;
            memcpy(buf + off + 2, ft[i].name, strlen(ft[i].name));
            off += 48;
        }
    }
    off += 8; /* end of extensions */
    if (o->backing_file) {
        size_t len = strlen(o->backing_file);
        if (off + len > cluster_size) {
            error_setg(errp, "Backing file name too long for the cluster "
                       "size");
            ret = -EINVAL;
            free(buf);
            bdrv_unref(file);
            return ret;
        }
        stbe64(buf + HDR_BACKING_OFFSET, off);
        stbe32(buf + HDR_BACKING_SIZE, len);
        memcpy(buf + off, o->backing_file, len);
    }
    stbe64(buf + cluster_size, 2ULL * cluster_size);
    BDRVQcow2State tmp = { .refcount_order = refcount_order };
    tmp.refcount_max = refcount_bits == 64 ? UINT64_MAX
                                           : (1ULL << refcount_bits) - 1;
    for (int i = 0; i < 3; i++) {
        qcow2_refcount_set_raw(&tmp, buf + 2 * cluster_size, i, 1);
    }
    ret = bdrv_pwrite(file, 0, 3 * (size_t)cluster_size, buf);
    free(buf);
    if (ret == 0) {
        ret = bdrv_flush(file);
    }
    bdrv_unref(file);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not write qcow2 header");
        return ret;
    }

    /* The L1 table comes from the normal resize path. */
    bs = bdrv_open(filename, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING,
                   &local_err);
    if (!bs) {
        error_propagate(errp, local_err);
        return -EIO;
    }
    ret = bdrv_truncate(bs, o->size, false, errp);
    if (ret == 0) {
        ret = bdrv_flush(bs);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not write the image");
        }
    }
    bdrv_unref(bs);
    return ret;
}

static const BlockDriver bdrv_qcow2 = {
    .format_name = "qcow2",
    .instance_size = sizeof(BDRVQcow2State),
    .bdrv_probe = qcow2_probe,
    .bdrv_open = qcow2_open,
    .bdrv_close = qcow2_close,
    .bdrv_pread = qcow2_pread,
    .bdrv_pwrite = qcow2_pwrite,
    .bdrv_pwrite_compressed = qcow2_pwrite_compressed,
    .bdrv_flush = qcow2_flush,
    .bdrv_pdiscard = qcow2_pdiscard,
    .bdrv_pwrite_zeroes = qcow2_pwrite_zeroes,
    .bdrv_truncate = qcow2_truncate,
    .bdrv_getlength = qcow2_getlength,
    .bdrv_block_status = qcow2_block_status,
    .bdrv_create = qcow2_create,
    .bdrv_check = qcow2_check,
    .bdrv_get_specific_info = qcow2_get_specific_info,
    .bdrv_get_cluster_size = qcow2_get_cluster_size,
    .bdrv_snapshot_create = qcow2_snapshot_create,
    .bdrv_snapshot_goto = qcow2_snapshot_goto,
    .bdrv_snapshot_delete = qcow2_snapshot_delete,
    .bdrv_snapshot_list = qcow2_snapshot_list,
    .bdrv_snapshot_load_vmstate = qcow2_snapshot_load_vmstate,
    .bdrv_save_vmstate = qcow2_save_vmstate,
    .bdrv_load_vmstate = qcow2_load_vmstate,
};

static void __attribute__((constructor)) qcow2_register(void)
{
    bdrv_register(&bdrv_qcow2);
}
