/*
 * -drive option strings: parsing, errors, and drive_new opening images
 * under their ids with the requested cache and snapshot modes;
 * block_resize on qcow2 and raw drives, its errors, and the attached
 * device hearing of the change.
 */
#include "test.h"
#include "util/osdep.h"
#include "util/error.h"
#include "block/blockdev.h"
#include <sys/stat.h>

static char tmpdir[] = "/tmp/osprey-blockdev-XXXXXX";

/* made: whether opts gave a result anyway (freed by the caller). */
static void check_error(const char *opts, bool made, Error *err,
                        const char *msg)
{
    if (made) {
        fail_msg("'%s' accepted, expected '%s'", opts, msg);
    }
    assert_string_equal(error_get_pretty(err), msg);
    error_free(err);
}

static void expect_parse_error(const char *opts, const char *msg)
{
    Error *err = NULL;
    DriveInfo *d = drive_parse(opts, &err);
    bool made = d != NULL;

    drive_info_free(d);
    check_error(opts, made, err, msg);
}

static void test_parse(void **state)
{
    Error *err = NULL;
    DriveInfo *d = drive_parse("file=a,,b.img,format=qcow2,if=none,id=d0,"
                               "readonly=on,snapshot=off,cache=none", &err);
    assert_non_null(d);
    assert_string_equal(d->file, "a,b.img");
    assert_string_equal(d->format, "qcow2");
    assert_string_equal(d->interface, "none");
    assert_string_equal(d->id, "d0");
    assert_true(d->read_only);
    assert_false(d->snapshot);
    assert_string_equal(d->cache, "none");
    drive_info_free(d);

    d = drive_parse("file=x.img", &err);
    assert_string_equal(d->interface, "virtio");
    assert_null(d->format);
    drive_info_free(d);

    expect_parse_error("format=raw", "Parameter 'file' is missing");
    expect_parse_error("file=x,bogus=1", "Invalid parameter 'bogus'");
    expect_parse_error("file=x,format=vmdk", "Unknown driver 'vmdk'");
    expect_parse_error("file=x,readonly=maybe",
                       "Parameter 'readonly' expects 'on' or 'off'");
    expect_parse_error("file=x,cache=sometimes", "invalid cache option");
    expect_parse_error("file=x,if=usb", "unsupported bus type 'usb'");
}

static void test_drive_new(void **state)
{
    char *img = xasprintf("%s/d.qcow2", tmpdir);
    BlockCreateOptions o = { .size = 1 * MiB };
    Error *err = NULL;
    assert_int_equal(bdrv_create("qcow2", img, &o, &err), 0);

    char *opts = xasprintf("file=%s,format=qcow2,cache=writethrough", img);
    DriveInfo *d = NULL;
    BlockBackend *blk = drive_new(opts, false, &d, &err);
    assert_non_null(blk);
    assert_string_equal(blk_name(blk), "virtio0");
    assert_string_equal(d->id, "virtio0");
    assert_false(blk_enable_write_cache(blk));
    assert_false(blk_is_read_only(blk));
    uint8_t buf[512];
    memset(buf, 0x3c, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf), 0);
    drive_info_free(d);
    free(opts);

    /* A second drive on the same image is refused by the image lock. */
    opts = xasprintf("file=%s,id=other", img);
    assert_null(drive_new(opts, false, NULL, &err));
    assert_non_null(strstr(error_get_pretty(err), "\"write\" lock"));
    error_free(err);
    err = NULL;
    free(opts);
    blk_unref(blk);

    /* -snapshot: writes go to a throwaway overlay. */
    opts = xasprintf("file=%s,id=snap", img);
    setenv("TMPDIR", tmpdir, 1);
    blk = drive_new(opts, true, NULL, &err);
    assert_non_null(blk);
    memset(buf, 0x77, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf), 0);
    assert_null(drive_new(opts, true, NULL, &err));
    assert_string_equal(error_get_pretty(err), "Duplicate ID 'snap' for drive");
    error_free(err);
    err = NULL;
    blk_unref(blk);
    free(opts);

    opts = xasprintf("file=%s,readonly=on", img);
    blk = drive_new(opts, false, NULL, &err);
    assert_true(blk_is_read_only(blk));
    assert_int_equal(blk_pread(blk, 0, sizeof(buf), buf), 0);
    assert_int_equal(buf[0], 0x3c);
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf), -EACCES);
    blk_unref(blk);
    free(opts);
    unlink(img);
    free(img);
}

static void expect_blockdev_error(const char *opts, const char *msg)
{
    Error *err = NULL;
    BlockBackend *blk = blockdev_new(opts, &err);
    bool made = blk != NULL;

    blk_unref(blk);
    check_error(opts, made, err, msg);
}

/* -blockdev: the same option table as -drive, with its own keys. */
static void test_blockdev_new(void **state)
{
    char *img = xasprintf("%s/b.raw", tmpdir);
    char *opts;
    FILE *f = fopen(img, "w");
    BlockBackend *blk;

    assert_non_null(f);
    assert_int_equal(ftruncate(fileno(f), 64 * KiB), 0);
    fclose(f);

    /* "filename" and "file.filename" name the same thing. */
    opts = xasprintf("driver=file,node-name=n0,filename=%s,read-only=on",
                     img);
    blk = blockdev_new(opts, &error_abort);
    assert_string_equal(blk_name(blk), "n0");
    assert_true(blk_is_read_only(blk));
    blk_unref(blk);
    free(opts);

    opts = xasprintf("driver=raw,node-name=n1,file.driver=file,"
                     "file.filename=%s,cache.direct=off,cache.no-flush=on",
                     img);
    blk = blockdev_new(opts, &error_abort);
    assert_false(blk_is_read_only(blk));
    blk_unref(blk);
    free(opts);

    expect_blockdev_error("node-name=n2,filename=x",
                          "Parameter 'driver' is missing");
    expect_blockdev_error("driver=raw,node-name=n2,bogus=1",
                          "Invalid parameter 'bogus'");
    expect_blockdev_error("driver,node-name=n2",
                          "Parameter 'driver' expects a value");
    expect_blockdev_error("driver=raw,node-name=n2,read-only=maybe",
                          "Parameter 'read-only' expects 'on' or 'off'");
    expect_blockdev_error("driver=raw,node-name=n2,cache.direct=2",
                          "Parameter 'cache.direct' expects 'on' or 'off'");
    expect_blockdev_error("driver=raw,node-name=n2,cache.no-flush=x",
                          "Parameter 'cache.no-flush' expects 'on' or 'off'");
    expect_blockdev_error("driver=raw,node-name=n2",
                          "Parameter 'file.filename' is missing");
    unlink(img);
    free(img);
}

static int resize_calls;

static void count_resize(void *opaque)
{
    int *calls = opaque;
    (*calls)++;
}

static const BlockDevOps counting_ops = { .resize_cb = count_resize };

static void expect_resize_error(const char *device, const char *node,
                                int64_t size, const char *msg)
{
    Error *err = NULL;
    assert_false(qmp_block_resize(device, node, size, &err));
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err), msg);
    error_free(err);
}

static void test_block_resize_qcow2(void **state)
{
    char *img = xasprintf("%s/r.qcow2", tmpdir);
    BlockCreateOptions o = { .size = 1 * MiB };
    Error *err = NULL;
    uint8_t buf[512];
    assert_int_equal(bdrv_create("qcow2", img, &o, &err), 0);

    char *opts = xasprintf("file=%s,format=qcow2,id=rq", img);
    BlockBackend *blk = drive_new(opts, false, NULL, &err);
    assert_non_null(blk);
    resize_calls = 0;
    blk_set_dev_ops(blk, &counting_ops, &resize_calls);
    memset(buf, 0x5a, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 1 * MiB - 512, sizeof(buf), buf), 0);

    assert_true(qmp_block_resize("rq", NULL, 64 * MiB, &err));
    assert_null(err);
    assert_int_equal(resize_calls, 1);
    assert_int_equal(blk_getlength(blk), 64 * MiB);
    assert_int_equal(blk_pread(blk, 1 * MiB - 512, sizeof(buf), buf), 0);
    assert_int_equal(buf[0], 0x5a);
    assert_int_equal(blk_pread(blk, 64 * MiB - 512, sizeof(buf), buf), 0);
    assert_int_equal(buf[511], 0);
    memset(buf, 0xa5, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 64 * MiB - 512, sizeof(buf), buf), 0);

    /* Errors leave the size alone and do not call the device. */
    expect_resize_error("rq", NULL, 64 * MiB + 100,
                        "The new size must be a multiple of 512");
    expect_resize_error("rq", NULL, -1, "Parameter 'size' expects a >0 size");
    expect_resize_error("nope", NULL, 1 * MiB,
                        "Cannot find device='nope' nor node-name=''");
    expect_resize_error(NULL, "nope", 1 * MiB,
                        "Cannot find device='' nor node-name='nope'");
    expect_resize_error(NULL, NULL, 1 * MiB,
                        "Cannot find device='' nor node-name=''");
    assert_int_equal(resize_calls, 1);
    assert_int_equal(blk_getlength(blk), 64 * MiB);

    /* Shrinking is allowed, as QEMU's block_resize. */
    assert_true(qmp_block_resize("rq", NULL, 2 * MiB, &err));
    assert_int_equal(blk_getlength(blk), 2 * MiB);
    assert_int_equal(resize_calls, 2);

    /* A device that detached hears nothing more. */
    blk_set_dev_ops(blk, NULL, NULL);
    assert_true(qmp_block_resize("rq", NULL, 3 * MiB, &err));
    assert_int_equal(resize_calls, 2);

    BdrvCheckResult res = { 0 };
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    assert_int_equal(res.corruptions, 0);
    assert_int_equal(res.leaks, 0);
    blk_unref(blk);
    free(opts);

    /* The header on disk has the new size. */
    BlockDriverState *bs = bdrv_open(img, "qcow2", 0, &err);
    assert_non_null(bs);
    assert_int_equal(bs->total_size, 3 * MiB);
    bdrv_unref(bs);

    opts = xasprintf("file=%s,format=qcow2,id=ro,readonly=on", img);
    blk = drive_new(opts, false, NULL, &err);
    assert_non_null(blk);
    expect_resize_error("ro", NULL, 8 * MiB, "Block node is read-only");
    assert_int_equal(blk_getlength(blk), 3 * MiB);
    blk_unref(blk);
    free(opts);
    unlink(img);
    free(img);
}

static void test_block_resize_raw_node(void **state)
{
    char *img = xasprintf("%s/r.raw", tmpdir);
    BlockCreateOptions o = { .size = 1 * MiB };
    Error *err = NULL;
    struct stat st;
    assert_int_equal(bdrv_create("raw", img, &o, &err), 0);

    char *opts = xasprintf("driver=raw,node-name=rawnode,file.driver=file,"
                           "file.filename=%s", img);
    BlockBackend *blk = blockdev_new(opts, &err);
    assert_non_null(blk);
    assert_true(qmp_block_resize(NULL, "rawnode", 5 * MiB, &err));
    assert_int_equal(blk_getlength(blk), 5 * MiB);
    assert_int_equal(stat(img, &st), 0);
    assert_int_equal(st.st_size, 5 * MiB);
    /* device= is looked at first, then node-name=. */
    assert_true(qmp_block_resize("nope", "rawnode", 6 * MiB, &err));
    assert_int_equal(blk_getlength(blk), 6 * MiB);
    blk_unref(blk);
    free(opts);
    unlink(img);
    free(img);
}

/*
 * Shrinking an overlay and growing it again must not bring back the
 * backing file's data in the regrown range: it reads as zeroes.
 */
static void test_block_resize_over_backing(void **state)
{
    char *base = xasprintf("%s/base.raw", tmpdir);
    char *top = xasprintf("%s/top.qcow2", tmpdir);
    BlockCreateOptions o = { .size = 2 * MiB };
    Error *err = NULL;
    uint8_t buf[512];

    assert_int_equal(bdrv_create("raw", base, &o, &err), 0);
    BlockBackend *blk = blk_new_open(base, "raw", BDRV_O_RDWR, &err);
    memset(buf, 0xaa, sizeof(buf));
    for (int64_t off = 0; off < 2 * (int64_t)MiB; off += sizeof(buf)) {
        assert_int_equal(blk_pwrite(blk, off, sizeof(buf), buf), 0);
    }
    blk_unref(blk);
    BlockCreateOptions ot = { .size = 2 * MiB, .backing_file = base,
                              .backing_fmt = "raw" };
    assert_int_equal(bdrv_create("qcow2", top, &ot, &err), 0);

    char *opts = xasprintf("file=%s,format=qcow2,id=top", top);
    blk = drive_new(opts, false, NULL, &err);
    assert_non_null(blk);
    assert_true(qmp_block_resize("top", NULL, 1 * MiB + 512, &err));
    assert_true(qmp_block_resize("top", NULL, 3 * MiB, &err));
    assert_int_equal(blk_pread(blk, 1 * MiB, sizeof(buf), buf), 0);
    assert_int_equal(buf[0], 0xaa);              /* kept */
    for (int64_t off = 1 * MiB + 512; off < 3 * (int64_t)MiB;
         off += 64 * KiB - 512) {
        assert_int_equal(blk_pread(blk, off, sizeof(buf), buf), 0);
        for (size_t i = 0; i < sizeof(buf); i++) {
            if (buf[i]) {
                fail_msg("byte %zu at %" PRId64 " is 0x%x, not 0", i, off,
                         buf[i]);
            }
        }
    }
    BdrvCheckResult res = { 0 };
    assert_int_equal(bdrv_check(blk_bs(blk), &res, 0), 0);
    assert_int_equal(res.corruptions + res.leaks, 0);
    blk_unref(blk);
    free(opts);
    unlink(top);
    unlink(base);
    free(top);
    free(base);
}

static int setup(void **state)
{
    return mkdtemp(tmpdir) ? 0 : -1;
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
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_drive_new),
        cmocka_unit_test(test_blockdev_new),
        cmocka_unit_test(test_block_resize_qcow2),
        cmocka_unit_test(test_block_resize_raw_node),
        cmocka_unit_test(test_block_resize_over_backing),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
