/*
 * save_snapshot / load_snapshot / delete_snapshot on qcow2 images in a
 * temporary directory: the VM state of a test device comes back, disks
 * are reverted, and every refusal (no drive, raw or read-only drive,
 * snapshot missing on one disk, corrupt or truncated VM state, disk-only
 * snapshot) says why and leaves the disks, the device and the run state
 * as a failed loadvm must.
 */
#include "test.h"
#include "util/osdep.h"
#include "util/error.h"
#include "block/block_int.h"
#include "block/blockdev.h"
#include "migration/savevm.h"
#include "migration/snapshot.h"
#include "migration/vmstate.h"
#include "system/main-loop.h"
#include "system/runstate.h"

static char tmpdir[] = "/tmp/osprey-snapshot-XXXXXX";

typedef struct TestDev {
    uint32_t value;
} TestDev;

static TestDev dev;

static const VMStateDescription vmstate_testdev = {
    .name = "test-snapshot-dev",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(value, TestDev),
        VMSTATE_END_OF_LIST()
    },
};

static char *image_path(const char *id, const char *fmt)
{
    return xasprintf("%s/%s.%s", tmpdir, id, fmt);
}

static BlockBackend *add_drive(const char *id, const char *fmt,
                               const char *extra)
{
    char *path = image_path(id, fmt);
    BlockCreateOptions o = { .size = 4 * MiB };
    Error *err = NULL;

    unlink(path);
    assert_int_equal(bdrv_create(fmt, path, &o, &err), 0);
    char *opts = xasprintf("file=%s,format=%s,if=none,id=%s%s", path, fmt,
                           id, extra);
    BlockBackend *blk = drive_new(opts, false, NULL, &err);
    if (!blk) {
        fail_msg("%s: %s", opts, error_get_pretty(err));
    }
    free(opts);
    free(path);
    return blk;
}

/* Reopen an image after editing its file behind the block layer. */
static BlockBackend *reopen_drive(const char *id)
{
    char *path = image_path(id, "qcow2");
    char *opts = xasprintf("file=%s,format=qcow2,if=none,id=%s", path, id);
    Error *err = NULL;
    blk_unref(blk_by_name(id));
    BlockBackend *blk = drive_new(opts, false, NULL, &err);
    assert_non_null(blk);
    free(opts);
    free(path);
    return blk;
}

/*
 * The call failed with an error containing each of the strings.  errp,
 * not the Error: arguments are evaluated in no set order.
 */
static void expect_error(bool ok, Error **errp, const char *want,
                         const char *want2)
{
    Error *err = *errp;

    *errp = NULL;
    assert_false(ok);
    assert_non_null(err);
    const char *msg = error_get_pretty(err);
    if (!strstr(msg, want) || (want2 && !strstr(msg, want2))) {
        fail_msg("error '%s' lacks '%s'%s%s", msg, want,
                 want2 ? " or " : "", want2 ? want2 : "");
    }
    error_free(err);
}

static void fill(BlockBackend *blk, uint8_t byte)
{
    uint8_t buf[4096];
    memset(buf, byte, sizeof(buf));
    assert_int_equal(blk_pwrite(blk, 0, sizeof(buf), buf), 0);
}

static uint8_t first_byte(BlockBackend *blk)
{
    uint8_t b;
    assert_int_equal(blk_pread(blk, 0, 1, &b), 0);
    return b;
}

static bool has_snapshot(BlockBackend *blk, const char *name,
                         uint64_t *vm_state_size)
{
    QEMUSnapshotInfo *list;
    int n = bdrv_snapshot_list(blk_bs(blk), &list);
    bool found = false;
    for (int i = 0; i < n; i++) {
        if (!strcmp(list[i].name, name)) {
            found = true;
            if (vm_state_size) {
                *vm_state_size = list[i].vm_state_size;
            }
        }
    }
    free(list);
    return found;
}

static void test_no_drive(void **state)
{
    Error *err = NULL;
    expect_error(save_snapshot("s1", false, NULL, NULL, &err), &err,
                 "No block device can accept snapshots", NULL);
    expect_error(load_snapshot("s1", NULL, NULL, &err), &err,
                 "No block device can accept snapshots", NULL);
    assert_null(snapshot_info_text(&err));
    expect_error(false, &err, "No block device can accept snapshots", NULL);
}

static void test_raw_and_read_only(void **state)
{
    Error *err = NULL;
    const char *const only_ro[] = { "ro", NULL };

    add_drive("ro", "qcow2", ",readonly=on");
    /* A read-only drive is left out; then nothing can take the VM state. */
    expect_error(save_snapshot("s1", false, NULL, NULL, &err), &err,
                 "No block device can accept snapshots", NULL);
    expect_error(save_snapshot("s1", false, NULL, only_ro, &err), &err,
                 "Device 'ro' is read-only", NULL);
    add_drive("raw", "raw", "");
    expect_error(save_snapshot("s1", false, NULL, NULL, &err), &err,
                 "Device 'raw' is writable but does not support snapshots",
                 NULL);
    expect_error(load_snapshot("s1", NULL, NULL, &err), &err,
                 "Device 'raw' is writable but does not support snapshots",
                 NULL);
    assert_false(has_snapshot(blk_by_name("ro"), "s1", NULL));
}

static void test_save_load_delete(void **state)
{
    Error *err = NULL;
    BlockBackend *d0 = add_drive("d0", "qcow2", "");
    uint64_t vm_size = 0;

    vm_start();
    dev.value = 1;
    fill(d0, 0x11);
    assert_true(save_snapshot("s1", false, NULL, NULL, &err));
    assert_null(err);
    assert_true(runstate_is_running());
    assert_true(has_snapshot(d0, "s1", &vm_size));
    assert_true(vm_size > 0);

    dev.value = 2;
    fill(d0, 0x22);
    assert_true(load_snapshot("s1", NULL, NULL, &err));
    assert_null(err);
    assert_int_equal(dev.value, 1);
    assert_int_equal(first_byte(d0), 0x11);
    assert_true(runstate_is_running());

    char *text = snapshot_info_text(&err);
    assert_non_null(text);
    assert_non_null(strstr(text, "List of snapshots present on all disks:"));
    assert_non_null(strstr(text, "--        s1 "));
    free(text);

    /* Saving again under the name: refused, unless overwriting. */
    expect_error(save_snapshot("s1", false, NULL, NULL, &err), &err,
                 "Snapshot 's1' already exists", NULL);
    dev.value = 3;
    assert_true(save_snapshot("s1", true, NULL, NULL, &err));
    dev.value = 4;
    assert_true(load_snapshot("s1", NULL, NULL, &err));
    assert_int_equal(dev.value, 3);
    QEMUSnapshotInfo *list;
    assert_int_equal(bdrv_snapshot_list(blk_bs(d0), &list), 1);
    free(list);

    /* An automatic name. */
    assert_true(save_snapshot(NULL, false, NULL, NULL, &err));
    assert_int_equal(bdrv_snapshot_list(blk_bs(d0), &list), 2);
    assert_memory_equal(list[1].name, "vm-", 3);
    assert_int_equal(strlen(list[1].name), 17);
    assert_true(list[1].icount == UINT64_MAX);
    free(list);

    assert_true(delete_snapshot("s1", NULL, &err));
    assert_false(has_snapshot(d0, "s1", NULL));
    expect_error(delete_snapshot("s1", NULL, &err), &err,
                 "Snapshot 's1' does not exist", NULL);
    expect_error(load_snapshot("s1", NULL, NULL, &err), &err,
                 "Snapshot 's1' does not exist on device 'd0'", NULL);
    /* A failed load leaves the VM stopped. */
    assert_int_equal(runstate_get(), RUN_STATE_RESTORE_VM);
}

static void test_missing_on_one_disk(void **state)
{
    Error *err = NULL;
    BlockBackend *d0 = add_drive("d0", "qcow2", "");
    BlockBackend *d1 = add_drive("d1", "qcow2", "");
    const char *const only_d0[] = { "d0", NULL };
    uint64_t size0 = 0, size1 = 1;

    assert_true(save_snapshot("both", false, NULL, NULL, &err));
    assert_true(has_snapshot(d0, "both", &size0));
    assert_true(has_snapshot(d1, "both", &size1));
    assert_true(size0 > 0);
    assert_int_equal(size1, 0);       /* VM state on the first drive only */

    dev.value = 7;
    fill(d0, 0x70);
    assert_true(save_snapshot("only0", false, "d0", only_d0, &err));
    assert_false(has_snapshot(d1, "only0", NULL));
    dev.value = 8;
    fill(d0, 0x80);
    vm_start();
    expect_error(load_snapshot("only0", NULL, NULL, &err), &err,
                 "Snapshot 'only0' does not exist on device 'd1'", NULL);
    assert_int_equal(dev.value, 8);
    assert_int_equal(first_byte(d0), 0x80);
    assert_int_equal(runstate_get(), RUN_STATE_RESTORE_VM);

    /* Naming the devices loads it. */
    assert_true(load_snapshot("only0", "d0", only_d0, &err));
    assert_int_equal(dev.value, 7);
    assert_int_equal(first_byte(d0), 0x70);

    /* The vmstate drive must be one of them and must exist. */
    expect_error(save_snapshot("x", false, "nope", NULL, &err), &err,
                 "block device 'nope' does not exist", NULL);
    expect_error(save_snapshot("x", false, "d1", only_d0, &err), &err,
                 "vmstate block device 'd1' is not among", NULL);
    const char *const unknown[] = { "d0", "d9", NULL };
    expect_error(save_snapshot("x", false, NULL, unknown, &err), &err,
                 "No block device 'd9'", NULL);
    /* Into the second drive when asked. */
    assert_true(save_snapshot("in1", false, "d1", NULL, &err));
    assert_true(has_snapshot(d0, "in1", &size0));
    assert_true(has_snapshot(d1, "in1", &size1));
    assert_int_equal(size0, 0);
    assert_true(size1 > 0);
    dev.value = 9;
    assert_true(load_snapshot("in1", "d1", NULL, &err));
    assert_int_equal(dev.value, 7);
    /* Looking for the VM state on the first drive: a disk-only snapshot. */
    expect_error(load_snapshot("in1", NULL, NULL, &err), &err,
                 "is a disk-only snapshot", NULL);
}

/* Host offset of the first VM state stream ("QEVM" v3) in the file. */
static long find_stream(const char *path)
{
    FILE *f = fopen(path, "rb");
    static const uint8_t magic[8] = { 'Q', 'E', 'V', 'M', 0, 0, 0, 3 };
    uint8_t buf[65536];
    long base = 0, found = -1;
    size_t n;

    assert_non_null(f);
    while (found < 0 && (n = fread(buf, 1, sizeof(buf), f)) >= 8) {
        for (size_t i = 0; i + 8 <= n; i++) {
            if (!memcmp(buf + i, magic, 8)) {
                found = base + i;
                break;
            }
        }
        base += n - 7;
        fseek(f, base, SEEK_SET);
    }
    fclose(f);
    return found;
}

static void patch_file(const char *path, long offset, const void *data,
                       size_t len)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    assert_int_equal(fwrite(data, 1, len, f), len);
    fclose(f);
}

static void read_file(const char *path, long offset, void *data, size_t len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    assert_int_equal(fseek(f, offset, SEEK_SET), 0);
    assert_int_equal(fread(data, 1, len, f), len);
    fclose(f);
}

static void test_corrupt_vmstate(void **state)
{
    Error *err = NULL;
    BlockBackend *d0 = add_drive("d0", "qcow2", "");
    char *path = image_path("d0", "qcow2");

    dev.value = 5;
    fill(d0, 0x55);
    assert_true(save_snapshot("s1", false, NULL, NULL, &err));
    blk_unref(d0);
    long at = find_stream(path);
    assert_true(at > 0);
    uint8_t b;
    read_file(path, at + 20, &b, 1);
    b ^= 0x40;
    patch_file(path, at + 20, &b, 1);
    d0 = reopen_drive("d0");

    dev.value = 6;
    fill(d0, 0x66);
    vm_start();
    expect_error(load_snapshot("s1", NULL, NULL, &err), &err,
                 "checksum mismatch", "no disk was reverted");
    assert_int_equal(first_byte(d0), 0x66);
    assert_int_equal(dev.value, 6);
    assert_int_equal(runstate_get(), RUN_STATE_RESTORE_VM);
    free(path);
}

static void test_truncated_vmstate(void **state)
{
    Error *err = NULL;
    BlockDriverState *bs;
    BlockBackend *d0 = add_drive("d0", "qcow2", "");
    char *path = image_path("d0", "qcow2");
    uint64_t size = 0;

    fill(d0, 0x55);
    assert_true(save_snapshot("s1", false, NULL, NULL, &err));
    assert_true(has_snapshot(d0, "s1", &size));
    blk_unref(d0);

    /* The only snapshot table entry: vm_state_size (and the 64-bit copy
     * in the extra data) cut in half. */
    uint8_t hdr[72], entry[48];
    read_file(path, 0, hdr, sizeof(hdr));
    long table = (long)ldbe64(hdr + 64);
    read_file(path, table, entry, sizeof(entry));
    stbe32(entry + 32, size / 2);
    if (ldbe32(entry + 36) >= 8) {
        stbe64(entry + 40, size / 2);
    }
    patch_file(path, table, entry, sizeof(entry));
    d0 = reopen_drive("d0");
    bs = blk_bs(d0);
    assert_true(has_snapshot(d0, "s1", &size));

    fill(d0, 0x66);
    expect_error(load_snapshot("s1", NULL, NULL, &err), &err, "truncated",
                 "no disk was reverted");
    assert_int_equal(first_byte(d0), 0x66);
    assert_true(bs == blk_bs(d0));
    free(path);
}

static int setup(void **state)
{
    if (!mkdtemp(tmpdir)) {
        return -1;
    }
    main_loop_init();
    bql_lock();
    savevm_set_machine_name("pc");
    return vmstate_register(NULL, 0, &vmstate_testdev, &dev) < 0 ? -1 : 0;
}

static int teardown(void **state)
{
    vmstate_unregister(NULL, &vmstate_testdev, &dev);
    char *cmd = xasprintf("rm -rf %s", tmpdir);
    int ret = system(cmd);
    free(cmd);
    return ret == 0 ? 0 : -1;
}

/* Each test starts stopped (prelaunch) with no drive. */
static int before(void **state)
{
    runstate_init();
    dev.value = 0;
    return 0;
}

static int after(void **state)
{
    BlockBackend *blk;
    while ((blk = blk_next(NULL))) {
        blk_unref(blk);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_no_drive, before, after),
        cmocka_unit_test_setup_teardown(test_raw_and_read_only, before,
                                        after),
        cmocka_unit_test_setup_teardown(test_save_load_delete, before,
                                        after),
        cmocka_unit_test_setup_teardown(test_missing_on_one_disk, before,
                                        after),
        cmocka_unit_test_setup_teardown(test_corrupt_vmstate, before, after),
        cmocka_unit_test_setup_teardown(test_truncated_vmstate, before,
                                        after),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
