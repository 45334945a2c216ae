/*
 * -drive option strings: parsing, errors, and drive_new opening images
 * under their ids with the requested cache and snapshot modes.
 */
#include "test.h"
#include "util/osdep.h"
#include "util/error.h"
#include "block/blockdev.h"

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
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
