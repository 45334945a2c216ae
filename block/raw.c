/*
 * The "raw" format: the guest disk is the file, byte for byte.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "block/block.h"
#include "block/block_int.h"

static int raw_probe(const uint8_t *buf, int buf_size)
{
    /* Anything can be raw; the lowest score so real formats win. */
    return 1;
}

static int raw_fmt_open(BlockDriverState *bs, int flags, Error **errp)
{
    int64_t len = bdrv_getlength(bs->file);
    if (len < 0) {
        error_setg_errno(errp, (int)-len, "Could not get the size of '%s'",
                         bs->filename);
        return (int)len;
    }
    bs->total_size = len;
    return 0;
}

static int raw_fmt_pread(BlockDriverState *bs, uint64_t offset,
                         uint64_t bytes, void *buf)
{
    return bdrv_pread(bs->file, offset, bytes, buf);
}

static int raw_fmt_pwrite(BlockDriverState *bs, uint64_t offset,
                          uint64_t bytes, const void *buf)
{
    return bdrv_pwrite(bs->file, offset, bytes, buf);
}

static int raw_fmt_flush(BlockDriverState *bs)
{
    return bdrv_flush(bs->file);
}

static int raw_fmt_pdiscard(BlockDriverState *bs, uint64_t offset,
                            uint64_t bytes)
{
    return bdrv_pdiscard(bs->file, offset, bytes);
}

static int raw_fmt_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                                 uint64_t bytes)
{
    return bdrv_pwrite_zeroes(bs->file, offset, bytes);
}

static int raw_fmt_truncate(BlockDriverState *bs, uint64_t size, bool shrink,
                            Error **errp)
{
    int ret = bdrv_truncate(bs->file, size, shrink, errp);
    if (ret == 0) {
        bs->total_size = size;
    }
    return ret;
}

static int64_t raw_fmt_getlength(BlockDriverState *bs)
{
    return bs->total_size;
}

static int raw_fmt_block_status(BlockDriverState *bs, uint64_t offset,
                                uint64_t bytes, uint64_t *pnum,
                                uint64_t *map, BlockDriverState **file)
{
    int ret = bdrv_block_status(bs->file, offset, bytes, pnum, map, file);
    if (ret >= 0) {
        ret |= BDRV_BLOCK_ALLOCATED;
    }
    return ret;
}

static int raw_fmt_create(const char *filename, const BlockCreateOptions *o,
                          Error **errp)
{
    if (o->backing_file) {
        error_setg(errp, "Backing file not supported for file format 'raw'");
        return -ENOTSUP;
    }
    return bdrv_file.bdrv_create(filename, o, errp);
}

static const BlockDriver bdrv_raw = {
    .format_name = "raw",
    .instance_size = 1,
    .bdrv_probe = raw_probe,
    .bdrv_open = raw_fmt_open,
    .bdrv_pread = raw_fmt_pread,
    .bdrv_pwrite = raw_fmt_pwrite,
    .bdrv_flush = raw_fmt_flush,
    .bdrv_pdiscard = raw_fmt_pdiscard,
    .bdrv_pwrite_zeroes = raw_fmt_pwrite_zeroes,
    .bdrv_truncate = raw_fmt_truncate,
    .bdrv_getlength = raw_fmt_getlength,
    .bdrv_block_status = raw_fmt_block_status,
    .bdrv_create = raw_fmt_create,
};

static void __attribute__((constructor)) raw_register(void)
{
    bdrv_register(&bdrv_raw);
}
