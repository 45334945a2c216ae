/*
 * qcow2 and the block layer on generated images: data written at random
 * offsets reads back (before and after reopening), snapshots revert data,
 * backing files show through, zero clusters and discard, VM state, AIO
 * completion in the main loop, -snapshot overlays, image locking, and
 * malformed images that must fail to open with a clear message.
 */
#include "test.h"
#include "util/osdep.h"
#include "util/error.h"
#include "block/block.h"
#include "block/block-backend.h"
#include "block/block_int.h"
#include "system/main-loop.h"

#include <fcntl.h>
#include <dirent.h>
#include <sys/stat.h>
#include <sys/uio.h>

static char tmpdir[] = "/tmp/osprey-qcow2-XXXXXX";

static char *path(const char *name)
{
    return xasprintf("%s/%s", tmpdir, name);
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static void create_qcow2(const char *file, uint64_t size, uint32_t cluster,
                         int refcount_bits, const char *backing,
                         const char *backing_fmt)
{
    BlockCreateOptions o = {
        .size = size, .cluster_size = cluster, .refcount_bits = refcount_bits,
        .backing_file = backing, .backing_fmt = backing_fmt,
    };
    Error *err = NULL;
    int ret = bdrv_create("qcow2", file, &o, &err);
    if (ret < 0) {
        fail_msg("create %s: %s", file, error_get_pretty(err));
    }
}

static BlockDriverState *open_rw(const char *file)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(file, NULL, BDRV_O_RDWR, &err);
    if (!bs) {
        fail_msg("open %s: %s", file, error_get_pretty(err));
    }
    return bs;
}

static void assert_clean(BlockDriverState *bs)
{
    BdrvCheckResult r;
    assert_int_equal(bdrv_check(bs, &r, 0), 0);
    assert_int_equal(r.corruptions, 0);
    assert_int_equal(r.leaks, 0);
    assert_int_equal(r.check_errors, 0);
}

static void assert_reads(BlockDriverState *bs, const uint8_t *expect,
                         uint64_t size)
{
    uint8_t *buf = xmalloc(size);
    assert_int_equal(bdrv_pread(bs, 0, size, buf), 0);
    for (uint64_t i = 0; i < size; i++) {
        if (buf[i] != expect[i]) {
            fail_msg("byte %" PRIu64 ": read 0x%02x, expected 0x%02x", i,
                     buf[i], expect[i]);
        }
    }
    free(buf);
}

/* Random writes into image and a shadow copy. */
static void random_writes(BlockDriverState *bs, uint8_t *shadow,
                          uint64_t size, int count)
{
    uint8_t *buf = xmalloc(200 * KiB);
    for (int i = 0; i < count; i++) {
        uint64_t len = rnd() % (200 * KiB) + 1;
        uint64_t off = rnd() % (size - len);
        for (uint64_t j = 0; j < len; j++) {
            buf[j] = (uint8_t)(i * 7 + j);
        }
        assert_int_equal(bdrv_pwrite(bs, off, len, buf), 0);
        memcpy(shadow + off, buf, len);
    }
    free(buf);
}

static void test_random_rw(void **state)
{
    const uint64_t size = 16 * MiB;
    static const uint32_t clusters[] = { 512, 4096, 65536, 2 * 1024 * 1024 };
    for (size_t c = 0; c < ARRAY_SIZE(clusters); c++) {
        char *file = path("rw.qcow2");
        uint8_t *shadow = xzalloc(size);
        create_qcow2(file, size, clusters[c], 0, NULL, NULL);
        BlockDriverState *bs = open_rw(file);
        assert_int_equal(bdrv_get_cluster_size(bs), clusters[c]);
        random_writes(bs, shadow, size, 60);
        assert_reads(bs, shadow, size);
        assert_int_equal(bdrv_flush(bs), 0);
        assert_clean(bs);
        bdrv_unref(bs);

        bs = open_rw(file);
        assert_reads(bs, shadow, size);
        assert_clean(bs);
        bdrv_unref(bs);
        free(shadow);
        unlink(file);
        free(file);
    }
}

/* Every refcount width, with small clusters so blocks and table grow. */
static void test_refcount_widths(void **state)
{
    const uint64_t size = 8 * MiB;
    for (int bits = 1; bits <= 64; bits *= 2) {
        char *file = path("rc.qcow2");
        uint8_t *shadow = xzalloc(size);
        create_qcow2(file, size, 512, bits, NULL, NULL);
        BlockDriverState *bs = open_rw(file);
        random_writes(bs, shadow, size, 40);
        assert_int_equal(bdrv_flush(bs), 0);
        assert_clean(bs);
        bdrv_unref(bs);
        bs = open_rw(file);
        assert_reads(bs, shadow, size);
        assert_clean(bs);
        bdrv_unref(bs);
        free(shadow);
        unlink(file);
        free(file);
    }
}

static void fill(BlockDriverState *bs, uint64_t off, uint64_t len, int pat)
{
    uint8_t *buf = xmalloc(len);
    memset(buf, pat, len);
    assert_int_equal(bdrv_pwrite(bs, off, len, buf), 0);
    free(buf);
}

static void expect_pattern(BlockDriverState *bs, uint64_t off, uint64_t len,
                           int pat)
{
    uint8_t *buf = xmalloc(len);
    assert_int_equal(bdrv_pread(bs, off, len, buf), 0);
    for (uint64_t i = 0; i < len; i++) {
        if (buf[i] != pat) {
            fail_msg("offset %" PRIu64 ": 0x%02x, expected 0x%02x", off + i,
                     buf[i], pat);
        }
    }
    free(buf);
}

static void snapshot(BlockDriverState *bs, const char *name)
{
    QEMUSnapshotInfo sn = { 0 };
    Error *err = NULL;
    snprintf(sn.name, sizeof(sn.name), "%s", name);
    sn.icount = UINT64_MAX;
    if (bdrv_snapshot_create(bs, &sn, &err) < 0) {
        fail_msg("snapshot %s: %s", name, error_get_pretty(err));
    }
}

static void test_snapshots(void **state)
{
    char *file = path("snap.qcow2");
    Error *err = NULL;
    create_qcow2(file, 4 * MiB, 4096, 0, NULL, NULL);
    BlockDriverState *bs = open_rw(file);

    fill(bs, 0, 1 * MiB, 0xaa);
    snapshot(bs, "one");
    fill(bs, 4096, 8192, 0xbb);        /* whole clusters over shared ones */
    fill(bs, 100, 10, 0xcc);           /* partial: COW keeps the rest */
    snapshot(bs, "two");
    fill(bs, 0, 2 * MiB, 0xdd);
    assert_clean(bs);

    QEMUSnapshotInfo *list;
    assert_int_equal(bdrv_snapshot_list(bs, &list), 2);
    assert_string_equal(list[0].name, "one");
    assert_string_equal(list[0].id_str, "1");
    assert_string_equal(list[1].id_str, "2");
    assert_true(list[1].disk_size == 4 * MiB);
    free(list);

    assert_int_equal(bdrv_snapshot_goto(bs, "one", &err), 0);
    expect_pattern(bs, 0, 1 * MiB, 0xaa);
    expect_pattern(bs, 1 * MiB, 1 * MiB, 0);
    assert_clean(bs);

    assert_int_equal(bdrv_snapshot_goto(bs, "2", &err), 0);
    expect_pattern(bs, 0, 100, 0xaa);
    expect_pattern(bs, 100, 10, 0xcc);
    expect_pattern(bs, 4096, 8192, 0xbb);
    expect_pattern(bs, 12288, 1 * MiB - 12288, 0xaa);
    assert_clean(bs);

    assert_int_equal(bdrv_snapshot_delete(bs, "one", &err), 0);
    assert_clean(bs);
    assert_int_equal(bdrv_snapshot_delete(bs, "nope", &err), -ENOENT);
    assert_non_null(strstr(error_get_pretty(err), "nope"));
    error_free(err);
    err = NULL;
    fill(bs, 0, 4096, 0x11);
    assert_int_equal(bdrv_snapshot_goto(bs, "two", &err), 0);
    expect_pattern(bs, 4096, 8192, 0xbb);
    assert_int_equal(bdrv_snapshot_delete(bs, "two", &err), 0);
    assert_clean(bs);
    bdrv_unref(bs);

    /* Everything freed: reopen and check again from the disk. */
    bs = open_rw(file);
    QEMUSnapshotInfo *none;
    assert_int_equal(bdrv_snapshot_list(bs, &none), 0);
    assert_clean(bs);
    expect_pattern(bs, 4096, 8192, 0xbb);
    bdrv_unref(bs);
    unlink(file);
    free(file);
}

static void test_backing(void **state)
{
    char *base = path("base.raw"), *over = path("over.qcow2");
    BlockCreateOptions o = { .size = 2 * MiB };
    assert_int_equal(bdrv_create("raw", base, &o, NULL), 0);
    BlockDriverState *bs = open_rw(base);
    fill(bs, 0, 2 * MiB, 0x42);
    bdrv_unref(bs);

    create_qcow2(over, 4 * MiB, 65536, 0, "base.raw", "raw");
    bs = open_rw(over);
    assert_non_null(bs->backing);
    assert_string_equal(bs->backing_format, "raw");
    expect_pattern(bs, 0, 2 * MiB, 0x42);
    expect_pattern(bs, 2 * MiB, 2 * MiB, 0);   /* past the backing file */
    fill(bs, 1000, 10, 0x99);                  /* COW from the backing */
    expect_pattern(bs, 0, 1000, 0x42);
    expect_pattern(bs, 1000, 10, 0x99);
    expect_pattern(bs, 1010, 65536 - 1010, 0x42);
    /* v3 discard and zeroes hide the backing file. */
    assert_int_equal(bdrv_pdiscard(bs, 65536, 65536), 0);
    expect_pattern(bs, 65536, 65536, 0);
    assert_int_equal(bdrv_pwrite_zeroes(bs, 200000, 300000), 0);
    expect_pattern(bs, 200000, 300000, 0);
    expect_pattern(bs, 131072, 200000 - 131072, 0x42);
    expect_pattern(bs, 500000, 10000, 0x42);
    assert_clean(bs);
    bdrv_unref(bs);

    /* The base was never written. */
    bs = bdrv_open(base, "raw", 0, NULL);
    expect_pattern(bs, 0, 2 * MiB, 0x42);
    bdrv_unref(bs);
    unlink(base);
    unlink(over);
    free(base);
    free(over);
}

static void test_zero_and_discard(void **state)
{
    char *file = path("zero.qcow2");
    create_qcow2(file, 4 * MiB, 65536, 0, NULL, NULL);
    BlockDriverState *bs = open_rw(file);
    fill(bs, 0, 4 * MiB, 0x77);
    assert_int_equal(bdrv_pwrite_zeroes(bs, 65536 + 5, 3 * 65536), 0);
    expect_pattern(bs, 0, 65536 + 5, 0x77);
    expect_pattern(bs, 65536 + 5, 3 * 65536, 0);
    expect_pattern(bs, 4 * 65536 + 5, 65536, 0x77);

    uint64_t pnum, map;
    BlockDriverState *f;
    int st = bdrv_block_status(bs, 2 * 65536, 65536, &pnum, &map, &f);
    assert_true(st & BDRV_BLOCK_ZERO);

    assert_int_equal(bdrv_pdiscard(bs, 1 * MiB, 1 * MiB), 0);
    expect_pattern(bs, 1 * MiB, 1 * MiB, 0);
    assert_int_equal(bdrv_flush(bs), 0);
    assert_clean(bs);
    int64_t before = bdrv_getlength(bs->file);
    /* Freed clusters are reused before the file grows. */
    fill(bs, 1 * MiB, 1 * MiB, 0x55);
    assert_true(bdrv_getlength(bs->file) == before);
    assert_clean(bs);
    bdrv_unref(bs);
    unlink(file);
    free(file);
}

static void test_compressed(void **state)
{
    char *file = path("comp.qcow2");
    create_qcow2(file, 1 * MiB, 65536, 0, NULL, NULL);
    BlockDriverState *bs = open_rw(file);
    uint8_t *buf = xmalloc(65536);
    for (int c = 0; c < 8; c++) {
        for (int i = 0; i < 65536; i++) {
            buf[i] = (i / 100) + c;
        }
        assert_int_equal(bdrv_pwrite_compressed(bs, c * 65536, 65536, buf), 0);
    }
    assert_int_equal(bdrv_flush(bs), 0);
    assert_clean(bs);
    BdrvCheckResult r;
    bdrv_check(bs, &r, 0);
    assert_true(r.compressed_clusters == 8);
    assert_true(bdrv_getlength(bs->file) < 5 * 65536 + 8 * 65536 / 4);
    /* Overwriting part of a compressed cluster copies it out. */
    fill(bs, 3 * 65536 + 10, 10, 0xee);
    assert_int_equal(bdrv_pread(bs, 3 * 65536, 65536, buf), 0);
    for (int i = 0; i < 65536; i++) {
        uint8_t want = (i >= 10 && i < 20) ? 0xee : (uint8_t)((i / 100) + 3);
        assert_int_equal(buf[i], want);
    }
    assert_int_equal(bdrv_flush(bs), 0);
    assert_clean(bs);
    free(buf);
    bdrv_unref(bs);
    unlink(file);
    free(file);
}

static void test_vmstate(void **state)
{
    char *file = path("vm.qcow2");
    Error *err = NULL;
    create_qcow2(file, 1 * MiB, 65536, 0, NULL, NULL);
    BlockDriverState *bs = open_rw(file);
    uint8_t vm[100000], back[100000];
    for (size_t i = 0; i < sizeof(vm); i++) {
        vm[i] = i * 13;
    }
    fill(bs, 0, 65536, 1);
    assert_int_equal(bdrv_save_vmstate(bs, vm, 0, sizeof(vm)), 0);
    QEMUSnapshotInfo sn = { .vm_state_size = sizeof(vm), .icount = 5 };
    strcpy(sn.name, "vm1");
    assert_int_equal(bdrv_snapshot_create(bs, &sn, &err), 0);
    assert_clean(bs);
    /* The active image no longer holds the state; the snapshot does. */
    assert_int_equal(bdrv_load_vmstate(bs, back, 0, sizeof(back)), 0);
    assert_true(back[1] == 0);
    fill(bs, 0, 65536, 2);
    assert_int_equal(bdrv_snapshot_goto(bs, "vm1", &err), 0);
    assert_int_equal(bdrv_load_vmstate(bs, back, 0, sizeof(back)), 0);
    assert_memory_equal(vm, back, sizeof(vm));
    expect_pattern(bs, 0, 65536, 1);
    assert_clean(bs);
    bdrv_unref(bs);
    unlink(file);
    free(file);
}

static void test_resize(void **state)
{
    char *file = path("resize.qcow2");
    Error *err = NULL;
    create_qcow2(file, 1 * MiB, 4096, 0, NULL, NULL);
    BlockDriverState *bs = open_rw(file);
    fill(bs, 0, 1 * MiB, 0x31);
    assert_int_equal(bdrv_truncate(bs, 64 * MiB, false, &err), 0);
    fill(bs, 60 * MiB, 4096, 0x32);
    expect_pattern(bs, 1 * MiB, 1 * MiB, 0);
    assert_int_equal(bdrv_truncate(bs, 512 * KiB, false, &err), -EINVAL);
    assert_non_null(strstr(error_get_pretty(err), "--shrink"));
    error_free(err);
    err = NULL;
    assert_int_equal(bdrv_truncate(bs, 512 * KiB, true, &err), 0);
    assert_clean(bs);
    assert_int_equal(bdrv_truncate(bs, 1 * MiB, false, &err), 0);
    expect_pattern(bs, 0, 512 * KiB, 0x31);
    expect_pattern(bs, 512 * KiB, 512 * KiB, 0);
    assert_clean(bs);
    bdrv_unref(bs);
    unlink(file);
    free(file);
}

/* ---- AIO, -snapshot, locking, monitor info ---- */

typedef struct AioDone {
    int count;
    int ret;
    bool in_main_thread;
} AioDone;

static void aio_cb(void *opaque, int ret)
{
    AioDone *d = opaque;
    d->count++;
    d->ret = ret ? ret : d->ret;
    d->in_main_thread = qemu_in_main_thread() && bql_locked();
}

static void test_aio(void **state)
{
    char *file = path("aio.qcow2");
    Error *err = NULL;
    main_loop_init();
    create_qcow2(file, 8 * MiB, 65536, 0, NULL, NULL);
    BlockBackend *blk = blk_new_open(file, "qcow2", BDRV_O_RDWR, &err);
    assert_non_null(blk);
    static uint8_t a[70000], b[30000], ra[70000], rb[30000];
    memset(a, 0x61, sizeof(a));
    memset(b, 0x62, sizeof(b));
    struct iovec wiov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
    AioDone d = { 0 };
    blk_aio_pwritev(blk, 12345, wiov, 2, aio_cb, &d);
    blk_aio_flush(blk, aio_cb, &d);
    blk_drain(blk);
    assert_int_equal(d.count, 2);
    assert_int_equal(d.ret, 0);
    assert_true(d.in_main_thread);
    struct iovec riov[2] = { { ra, sizeof(ra) }, { rb, sizeof(rb) } };
    blk_aio_preadv(blk, 12345, riov, 2, aio_cb, &d);
    blk_drain(blk);
    assert_int_equal(d.count, 3);
    assert_memory_equal(a, ra, sizeof(a));
    assert_memory_equal(b, rb, sizeof(b));
    /* Errors come back through the callback too. */
    blk_aio_preadv(blk, 8 * MiB, riov, 1, aio_cb, &d);
    blk_drain_all();
    assert_int_equal(d.ret, -EINVAL);
    assert_int_equal(blk_in_flight(blk), 0);
    blk_unref(blk);
    unlink(file);
    free(file);
}

static int count_overlays(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;
    while ((e = readdir(d))) {
        n += !strncmp(e->d_name, "osprey-snapshot-", 16);
    }
    closedir(d);
    return n;
}

static void test_snapshot_overlay(void **state)
{
    char *file = path("base2.qcow2");
    Error *err = NULL;
    create_qcow2(file, 1 * MiB, 65536, 0, NULL, NULL);
    BlockDriverState *bs = open_rw(file);
    fill(bs, 0, 1 * MiB, 0x10);
    bdrv_unref(bs);

    setenv("TMPDIR", tmpdir, 1);
    BlockBackend *blk = blk_new_open(file, NULL,
                                     BDRV_O_RDWR | BDRV_O_SNAPSHOT, &err);
    assert_non_null(blk);
    assert_int_equal(count_overlays(tmpdir), 0);   /* already unlinked */
    uint8_t buf[4096];
    memset(buf, 0x20, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf), 0);
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf), 0);
    assert_int_equal(buf[0], 0x20);
    /* The base is open read-only: another writer is still refused... */
    assert_null(bdrv_open(file, NULL, BDRV_O_RDWR, &err));
    assert_non_null(strstr(error_get_pretty(err), "\"write\" lock"));
    error_free(err);
    err = NULL;
    blk_unref(blk);

    bs = bdrv_open(file, NULL, 0, &err);
    expect_pattern(bs, 0, 1 * MiB, 0x10);
    bdrv_unref(bs);
    unsetenv("TMPDIR");
    unlink(file);
    free(file);
}

static void test_locking(void **state)
{
    char *file = path("lock.qcow2");
    Error *err = NULL;
    create_qcow2(file, 1 * MiB, 65536, 0, NULL, NULL);
    BlockDriverState *w = open_rw(file);

    assert_null(bdrv_open(file, NULL, BDRV_O_RDWR, &err));
    char *want = xasprintf("Could not open '%s': Failed to get \"write\" "
                           "lock\nIs another process using the image [%s]?",
                           file, file);
    assert_string_equal(error_get_pretty(err), want);
    free(want);
    assert_non_null(strstr(error_get_pretty(err),
                           "Failed to get \"write\" lock"));
    assert_non_null(strstr(error_get_pretty(err),
                           "Is another process using the image"));
    error_free(err);
    err = NULL;
    assert_null(bdrv_open(file, NULL, 0, &err));
    assert_non_null(strstr(error_get_pretty(err),
                           "Failed to get shared \"write\" lock"));
    error_free(err);
    err = NULL;
    /* -U takes no locks. */
    BlockDriverState *r = bdrv_open(file, NULL, BDRV_O_FORCE_SHARE, &err);
    assert_non_null(r);
    bdrv_unref(r);
    bdrv_unref(w);

    /* Two readers share. */
    BlockDriverState *r1 = bdrv_open(file, NULL, 0, &err);
    BlockDriverState *r2 = bdrv_open(file, NULL, 0, &err);
    assert_non_null(r1);
    assert_non_null(r2);
    bdrv_unref(r1);
    bdrv_unref(r2);
    unlink(file);
    free(file);
}

static void test_query_block(void **state)
{
    char *file = path("q.qcow2");
    Error *err = NULL;
    create_qcow2(file, 1 * MiB, 65536, 0, NULL, NULL);
    BlockBackend *blk = blk_new_open(file, NULL, 0, &err);
    blk_set_name(blk, "drive0");
    assert_ptr_equal(blk_by_name("drive0"), blk);
    QObject *list = qmp_query_block();
    assert_int_equal(qlist_size(list), 1);
    QObject *dev = qlist_get(list, 0);
    assert_string_equal(qdict_get_try_str(dev, "device"), "drive0");
    QObject *ins = qdict_get_qdict(dev, "inserted");
    assert_string_equal(qdict_get_try_str(ins, "drv"), "qcow2");
    assert_true(qdict_get_try_bool(ins, "ro", false));
    QObject *img = qdict_get_qdict(ins, "image");
    assert_string_equal(qdict_get_try_str(img, "format"), "qcow2");
    assert_int_equal(qdict_get_try_int(img, "virtual-size", 0), 1 * MiB);
    assert_int_equal(qdict_get_try_int(img, "cluster-size", 0), 65536);
    qobject_unref(list);
    char *text = hmp_info_block();
    assert_non_null(strstr(text, "drive0: "));
    assert_non_null(strstr(text, "(qcow2, read-only)"));
    free(text);
    blk_unref(blk);
    unlink(file);
    free(file);
}

static void test_cache_modes(void **state)
{
    int flags = BDRV_O_RDWR;
    bool wt = false;
    assert_int_equal(blk_parse_cache_mode("none", &flags, &wt), 0);
    assert_true(flags & BDRV_O_NOCACHE);
    assert_false(wt);
    assert_int_equal(blk_parse_cache_mode("directsync", &flags, &wt), 0);
    assert_true((flags & BDRV_O_NOCACHE) && wt);
    assert_int_equal(blk_parse_cache_mode("unsafe", &flags, &wt), 0);
    assert_true(!(flags & BDRV_O_NOCACHE) && (flags & BDRV_O_NO_FLUSH));
    assert_int_equal(blk_parse_cache_mode("writethrough", &flags, &wt), 0);
    assert_true(wt && !(flags & (BDRV_O_NOCACHE | BDRV_O_NO_FLUSH)));
    assert_int_equal(blk_parse_cache_mode("sometimes", &flags, &wt), -EINVAL);

    /* O_DIRECT with unaligned requests goes through aligned bounces. */
    char *raw = path("direct.raw"), *q = path("direct.qcow2");
    BlockCreateOptions o = { .size = 100000 };
    assert_int_equal(bdrv_create("raw", raw, &o, NULL), 0);
    create_qcow2(q, 1 * MiB, 65536, 0, NULL, NULL);
    const char *files[] = { raw, q };
    for (int i = 0; i < 2; i++) {
        Error *err = NULL;
        BlockBackend *blk = blk_new_open(files[i], NULL,
                                         BDRV_O_RDWR | BDRV_O_NOCACHE, &err);
        if (!blk) {
            /* Some filesystems (tmpfs) have no O_DIRECT: say so clearly. */
            assert_non_null(strstr(error_get_pretty(err), "O_DIRECT"));
            error_free(err);
            continue;
        }
        uint8_t buf[5000], back[5000];
        memset(buf, 0x5a, sizeof(buf));
        assert_int_equal(blk_pwrite(blk, 99999 - 5000, 5000, buf), 0);
        assert_int_equal(blk_flush(blk), 0);
        assert_int_equal(blk_pread(blk, 99999 - 5000, 5000, back), 0);
        assert_memory_equal(buf, back, sizeof(buf));
        blk_unref(blk);
    }
    struct stat st;
    assert_int_equal(stat(raw, &st), 0);
    assert_int_equal(st.st_size, 100000);   /* no alignment padding */
    unlink(raw);
    unlink(q);
    free(raw);
    free(q);
}

/* ---- malformed images ---- */

static void patch(const char *file, uint64_t off, const void *data, size_t n)
{
    int fd = open(file, O_WRONLY);
    assert_true(fd >= 0);
    assert_int_equal(pwrite(fd, data, n, off), (ssize_t)n);
    close(fd);
}

static void patch_be32(const char *file, uint64_t off, uint32_t v)
{
    uint8_t b[4];
    stbe32(b, v);
    patch(file, off, b, 4);
}

static void patch_be64(const char *file, uint64_t off, uint64_t v)
{
    uint8_t b[8];
    stbe64(b, v);
    patch(file, off, b, 8);
}

static void expect_open_error(const char *file, int flags, const char *msg)
{
    Error *err = NULL;
    BlockDriverState *bs = bdrv_open(file, NULL, flags, &err);
    if (bs) {
        bdrv_unref(bs);
        fail_msg("%s opened, expected error '%s'", file, msg);
    }
    if (!strstr(error_get_pretty(err), msg)) {
        fail_msg("error '%s' lacks '%s'", error_get_pretty(err), msg);
    }
    error_free(err);
}

static char *fresh(const char *name)
{
    char *file = path(name);
    create_qcow2(file, 16 * MiB, 65536, 0, NULL, NULL);
    return file;
}

static void test_malformed_header(void **state)
{
    char *f = fresh("bad.qcow2");

    patch_be32(f, 20, 30);
    expect_open_error(f, 0, "Unsupported cluster size: 2^30");
    patch_be32(f, 20, 8);
    expect_open_error(f, 0, "Unsupported cluster size: 2^8");
    patch_be32(f, 20, 16);

    patch_be32(f, 4, 4);
    expect_open_error(f, 0, "Unsupported qcow2 version 4");
    patch_be32(f, 4, 3);

    patch_be32(f, 36, 0x10000000);     /* L1 entries */
    expect_open_error(f, 0, "Active L1 table too large");
    patch_be32(f, 36, 1);
    patch_be64(f, 40, 0x100000000ULL); /* L1 offset past EOF */
    expect_open_error(f, 0, "beyond end of file");
    patch_be64(f, 40, 0x30001);
    expect_open_error(f, 0, "not cluster aligned");
    patch_be64(f, 40, 0x30000);
    patch_be32(f, 36, 0);
    expect_open_error(f, 0, "L1 table is too small");
    patch_be32(f, 36, 1);

    patch_be64(f, 48, 0x7000000000ULL); /* refcount table past EOF */
    expect_open_error(f, 0, "Reference count table offset");
    patch_be64(f, 48, 0x10000);
    patch_be32(f, 56, 0x100000);
    expect_open_error(f, 0, "Reference count table too large");
    patch_be32(f, 56, 1);

    patch_be32(f, 96, 7);
    expect_open_error(f, 0, "may not exceed 64 bits");
    patch_be32(f, 96, 0x80000004);     /* found by the fuzzer */
    expect_open_error(f, 0, "may not exceed 64 bits");
    patch_be32(f, 96, 4);

    patch_be64(f, 72, 1ULL << 40);
    expect_open_error(f, 0, "Unsupported qcow2 feature(s): Unknown "
                      "incompatible feature: 10000000000");
    patch_be64(f, 72, 1ULL << 4);      /* named in the feature table */
    expect_open_error(f, 0, "Unsupported qcow2 feature(s): extended L2 "
                      "entries");
    patch_be64(f, 72, 1ULL << 1);      /* corrupt */
    expect_open_error(f, BDRV_O_RDWR, "qcow2: Image is corrupt; cannot be "
                      "opened read/write");
    BlockDriverState *bs = bdrv_open(f, NULL, 0, NULL);
    assert_non_null(bs);                /* read-only is fine */
    bdrv_unref(bs);
    patch_be64(f, 72, 1ULL << 0);      /* dirty */
    expect_open_error(f, BDRV_O_RDWR, "Image is dirty");
    bs = bdrv_open(f, NULL, 0, NULL);
    assert_non_null(bs);
    assert_true(bs->dirty_flag);
    bdrv_unref(bs);
    patch_be64(f, 72, 0);

    /* An unknown header extension (here: the feature table's) is skipped. */
    patch_be32(f, 112, 0x12345678);
    bs = open_rw(f);
    fill(bs, 0, 4096, 3);
    assert_clean(bs);
    bdrv_unref(bs);

    assert_int_equal(truncate(f, 50), 0);
    expect_open_error(f, 0, "header incomplete");
    unlink(f);
    free(f);
}

static void test_malformed_snapshots(void **state)
{
    char *f = fresh("badsn.qcow2");
    BlockDriverState *bs = open_rw(f);
    fill(bs, 0, 65536, 1);
    snapshot(bs, "s");
    bdrv_unref(bs);

    patch_be32(f, 60, 100000);
    expect_open_error(f, 0, "Too many snapshots");
    patch_be32(f, 60, 1000);            /* garbage past the real entry */
    expect_open_error(f, 0, "Snapshot table");
    patch_be32(f, 60, 1);
    patch_be64(f, 64, 0x123456789000ULL);
    expect_open_error(f, 0, "Snapshot table offset");
    unlink(f);
    free(f);
}

static void test_refcount_overflow(void **state)
{
    char *f = path("ovf.qcow2");
    Error *err = NULL;
    create_qcow2(f, 1 * MiB, 65536, 1, NULL, NULL);
    BlockDriverState *bs = open_rw(f);
    fill(bs, 0, 65536, 1);
    QEMUSnapshotInfo sn = { 0 };
    strcpy(sn.name, "s");
    assert_int_equal(bdrv_snapshot_create(bs, &sn, &err), -ERANGE);
    assert_non_null(strstr(error_get_pretty(err), "overflow"));
    error_free(err);
    /* Nothing half-done: the image is consistent and writable. */
    assert_clean(bs);
    fill(bs, 0, 65536, 2);
    expect_pattern(bs, 0, 65536, 2);
    assert_int_equal(bdrv_flush(bs), 0);
    assert_clean(bs);
    bdrv_unref(bs);
    unlink(f);
    free(f);
}

static void test_backing_loop(void **state)
{
    char *a = path("loop-a.qcow2"), *b = path("loop-b.qcow2");
    create_qcow2(a, 1 * MiB, 65536, 0, NULL, NULL);
    create_qcow2(b, 1 * MiB, 65536, 0, "loop-a.qcow2", "qcow2");
    unlink(a);
    create_qcow2(a, 1 * MiB, 65536, 0, "loop-b.qcow2", "qcow2");
    expect_open_error(a, 0, "infinite loop");
    /* An image that is its own backing file. */
    unlink(a);
    create_qcow2(a, 1 * MiB, 65536, 0, "loop-a.qcow2", "qcow2");
    expect_open_error(a, 0, "infinite loop");
    unlink(a);
    unlink(b);
    free(a);
    free(b);
}

static void test_bad_tables_read(void **state)
{
    char *f = fresh("badl2.qcow2");
    BlockDriverState *bs = open_rw(f);
    fill(bs, 0, 65536, 1);
    bdrv_unref(bs);
    /* L1[0] now points at an unaligned L2 table. */
    patch_be64(f, 0x30000, 0x8000000000040200ULL);
    bs = bdrv_open(f, NULL, 0, NULL);
    assert_non_null(bs);
    uint8_t buf[512];
    assert_int_equal(bdrv_pread(bs, 0, sizeof(buf), buf), -EIO);
    BdrvCheckResult r;
    bdrv_check(bs, &r, 0);
    assert_true(r.corruptions > 0);
    bdrv_unref(bs);

    /* Writable: the image gets the corrupt bit and refuses rw opens. */
    bs = open_rw(f);
    assert_int_equal(bdrv_pwrite(bs, 0, sizeof(buf), buf), -EIO);
    bdrv_unref(bs);
    expect_open_error(f, BDRV_O_RDWR, "Image is corrupt");
    unlink(f);
    free(f);
}

static void test_metadata_overlap(void **state)
{
    /* Refcount of the L1 table (cluster 3) says free: no reuse allowed. */
    char *f = fresh("overlap.qcow2");
    uint8_t zero[2] = { 0, 0 };
    patch(f, 0x20000 + 2 * 3, zero, 2);
    BlockDriverState *bs = open_rw(f);
    uint8_t buf[512] = { 1 };
    assert_int_equal(bdrv_pwrite(bs, 0, sizeof(buf), buf), -EIO);
    bdrv_unref(bs);
    expect_open_error(f, BDRV_O_RDWR, "Image is corrupt");
    unlink(f);
    free(f);

    /* A refcount block outside the file: refused for writing only. */
    f = fresh("rbeof.qcow2");
    patch_be64(f, 0x10000, 0x100000000ULL);
    expect_open_error(f, BDRV_O_RDWR, "Refcount block 0 at offset "
                      "0x100000000 is unaligned or beyond end of file");
    /* The same block listed twice: refused too. */
    patch_be64(f, 0x10000, 0x20000);
    patch_be64(f, 0x10008, 0x20000);
    expect_open_error(f, BDRV_O_RDWR, "listed twice");
    patch_be64(f, 0x10000, 0x100000000ULL);
    bs = bdrv_open(f, NULL, 0, NULL);
    assert_non_null(bs);
    BdrvCheckResult r;
    bdrv_check(bs, &r, 0);
    assert_true(r.corruptions > 0);
    bdrv_unref(bs);
    unlink(f);
    free(f);
}

static void test_bad_compressed(void **state)
{
    char *f = path("badc.qcow2");
    create_qcow2(f, 1 * MiB, 65536, 0, NULL, NULL);
    BlockDriverState *bs = open_rw(f);
    uint8_t *buf = xzalloc(65536);
    memset(buf, 'x', 1000);
    assert_int_equal(bdrv_pwrite_compressed(bs, 0, 65536, buf), 0);
    bdrv_unref(bs);
    /* Trash the compressed bytes (first data cluster after metadata). */
    static uint8_t junk[4096];
    memset(junk, 0xff, sizeof(junk));
    int fd = open(f, O_RDONLY);
    off_t end = lseek(fd, 0, SEEK_END);
    close(fd);
    patch(f, end - 64, junk, 64);
    bs = bdrv_open(f, NULL, 0, NULL);
    int ret = bdrv_pread(bs, 0, 65536, buf);
    assert_true(ret == -EIO || ret == 0);
    bdrv_unref(bs);
    free(buf);
    unlink(f);
    free(f);
}

static int setup(void **state)
{
    if (!mkdtemp(tmpdir)) {
        return -1;
    }
    return 0;
}

static int teardown(void **state)
{
    char *cmd = xasprintf("rm -rf %s", tmpdir);
    int ret = system(cmd);
    free(cmd);
    return ret == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_rw),
        cmocka_unit_test(test_refcount_widths),
        cmocka_unit_test(test_snapshots),
        cmocka_unit_test(test_backing),
        cmocka_unit_test(test_zero_and_discard),
        cmocka_unit_test(test_compressed),
        cmocka_unit_test(test_vmstate),
        cmocka_unit_test(test_resize),
        cmocka_unit_test(test_aio),
        cmocka_unit_test(test_snapshot_overlay),
        cmocka_unit_test(test_locking),
        cmocka_unit_test(test_query_block),
        cmocka_unit_test(test_cache_modes),
        cmocka_unit_test(test_malformed_header),
        cmocka_unit_test(test_malformed_snapshots),
        cmocka_unit_test(test_refcount_overflow),
        cmocka_unit_test(test_backing_loop),
        cmocka_unit_test(test_bad_tables_read),
        cmocka_unit_test(test_metadata_overlap),
        cmocka_unit_test(test_bad_compressed),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
