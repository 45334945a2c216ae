/*
 * libFuzzer target for the qcow2 header and metadata parser: each input
 * is an image file; it is opened read-only (backing files are not
 * followed), read all over, listed and checked, then opened writable and
 * written to.  Nothing may crash, hang or trip the sanitizers, whatever
 * the bytes.
 *
 * Build and run by hand (not part of make):
 *   clang -g -O1 -fsanitize=fuzzer,address,undefined \
 *       -fno-sanitize-recover=all -std=gnu11 \
 *       -D_GNU_SOURCE -DCONFIG_ZLIB -DCONFIG_ZSTD -Iinclude \
 *       tests/fuzz/fuzz-qcow2.c $(find block util -name '*.c') \
 *       system/main-loop.c system/timer.c -lz -lzstd -lm -lpthread \
 *       -o build/fuzz-qcow2
 *   mkdir -p /tmp/qcow2-corpus && qemu-img create -f qcow2 \
 *       -o cluster_size=512 /tmp/qcow2-corpus/seed.qcow2 1M
 *   build/fuzz-qcow2 -max_len=65536 -timeout=10 /tmp/qcow2-corpus
 */
#include "util/osdep.h"
#include "util/error.h"
#include "block/block.h"

#include <fcntl.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0]) {
        snprintf(path, sizeof(path), "/tmp/fuzz-qcow2-%d.img", getpid());
    }
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, data, size) != (ssize_t)size) {
        abort();
    }
    close(fd);

    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(path, "qcow2",
                                     BDRV_O_NO_BACKING | BDRV_O_FORCE_SHARE,
                                     &err);
    if (!bs) {
        error_free(err);
        return 0;
    }
    /* Read a sample of the disk: the start, the end, a few clusters. */
    uint8_t buf[65536];
    uint64_t len = bs->total_size;
    uint64_t offs[] = { 0, len / 3, len / 2, len > sizeof(buf) ?
                        len - sizeof(buf) : 0 };
    for (size_t i = 0; i < ARRAY_SIZE(offs); i++) {
        uint64_t n = MIN(sizeof(buf), len - offs[i]);
        bdrv_pread(bs, offs[i], n, buf);
        uint64_t pnum, map;
        BlockDriverState *file;
        bdrv_block_status(bs, offs[i], n ? n : 1, &pnum, &map, &file);
    }
    QEMUSnapshotInfo *sn;
    bdrv_snapshot_list(bs, &sn);
    free(sn);
    bdrv_load_vmstate(bs, buf, 0, 512);
    if (size < 256 * 1024) {
        BdrvCheckResult res;
        bdrv_check(bs, &res, 0);
    }
    bdrv_unref(bs);

    /* Then writable: allocation, COW and flush over the same metadata. */
    bs = bdrv_open(path, "qcow2", BDRV_O_RDWR | BDRV_O_NO_BACKING |
                   BDRV_O_FORCE_SHARE, &err);
    if (!bs) {
        error_free(err);
        return 0;
    }
    memset(buf, 0x5a, sizeof(buf));
    if (bs->total_size >= 8192) {
        bdrv_pwrite(bs, bs->total_size / 2, 4096, buf);
        bdrv_pwrite_zeroes(bs, 0, 4096);
    }
    bdrv_flush(bs);
    bdrv_unref(bs);
    return 0;
}
