/*
 * Unit tests for migration/: QEMUFile, the VMState interpreter, the
 * savevm stream (sections, footer checksum, error messages) and RAM
 * migration.
 */
#include "test.h"
#include <signal.h>
#include "migration/qemu-file.h"
#include "migration/vmstate.h"
#include "migration/savevm.h"
#include "migration/register.h"
#include "migration/ram.h"
#include "memory/memory.h"
#include "memory/ram_addr.h"
#include "system/timer.h"

/* --- Helpers --------------------------------------------------------- */

typedef struct Blob {
    uint8_t *data;
    size_t len;
} Blob;

static Blob file_to_blob(QEMUFile *f)
{
    Blob b;
    const uint8_t *p = qemu_file_buffer_data(f, &b.len);
    b.data = xmalloc(b.len ? b.len : 1);
    memcpy(b.data, p, b.len);
    assert_int_equal(qemu_fclose(f), 0);
    return b;
}

static Blob save_vmsd(const VMStateDescription *vmsd, void *opaque)
{
    QEMUFile *f = qemu_file_new_buffer_output();
    Error *err = NULL;
    assert_int_equal(vmstate_save_state(f, vmsd, opaque, NULL, &err), 0);
    assert_null(err);
    return file_to_blob(f);
}

/* Load; returns the error message (caller frees) or NULL. */
static char *load_vmsd(const Blob *b, const VMStateDescription *vmsd,
                       void *opaque, int version)
{
    QEMUFile *f = qemu_file_new_buffer_input(b->data, b->len);
    Error *err = NULL;
    int ret = vmstate_load_state(f, vmsd, opaque, version, &err);
    char *msg = NULL;
    if (ret) {
        assert_non_null(err);
        msg = xstrdup(error_get_pretty(err));
        error_free(err);
    } else {
        assert_null(err);
    }
    qemu_fclose(f);
    return msg;
}

static Blob savevm_blob(void)
{
    QEMUFile *f = qemu_file_new_buffer_output();
    Error *err = NULL;
    int ret = qemu_savevm_state(f, &err);
    if (err) {
        fprintf(stderr, "savevm: %s\n", error_get_pretty(err));
    }
    assert_int_equal(ret, 0);
    return file_to_blob(f);
}

static char *loadvm_blob(const uint8_t *data, size_t len, bool stream)
{
    QEMUFile *f = qemu_file_new_buffer_input(data, len);
    Error *err = NULL;
    int ret = stream ? qemu_loadvm_state_stream(f, &err)
                     : qemu_loadvm_state(f, &err);
    char *msg = NULL;
    if (ret) {
        assert_non_null(err);
        msg = xstrdup(error_get_pretty(err));
        error_free(err);
    } else {
        assert_null(err);
    }
    qemu_fclose(f);
    return msg;
}

/* --- QEMUFile -------------------------------------------------------- */

static void test_qemu_file_basics(void **state)
{
    QEMUFile *f = qemu_file_new_buffer_output();
    qemu_put_byte(f, 0xab);
    qemu_put_be16(f, 0x1234);
    qemu_put_be32(f, 0xdeadbeef);
    qemu_put_be64(f, 0x0102030405060708ULL);
    assert_int_equal(qemu_file_transferred(f), 15);
    uint32_t crc = qemu_file_get_checksum(f);
    Blob b = file_to_blob(f);
    assert_int_equal(b.len, 15);
    assert_int_equal(b.data[1], 0x12);
    assert_int_equal(b.data[3], 0xde);
    assert_int_equal(crc, osprey_crc32(0, b.data, b.len));
    /* The standard CRC32 check value. */
    assert_int_equal(osprey_crc32(0, (const uint8_t *)"123456789", 9),
                     0xcbf43926);

    f = qemu_file_new_buffer_input(b.data, b.len);
    assert_int_equal(qemu_peek_byte(f, 0), 0xab);
    assert_int_equal(qemu_get_byte(f), 0xab);
    assert_int_equal(qemu_get_be16(f), 0x1234);
    assert_int_equal(qemu_get_be32(f), 0xdeadbeef);
    assert_true(qemu_get_be64(f) == 0x0102030405060708ULL);
    assert_int_equal(qemu_file_get_error(f), 0);
    assert_int_equal(qemu_file_get_checksum(f), crc);
    assert_int_equal(qemu_peek_byte(f, 0), -1);
    /* Past the end: zeros and a latched -EIO. */
    assert_int_equal(qemu_get_be32(f), 0);
    assert_int_equal(qemu_file_get_error(f), -EIO);
    assert_true(qemu_file_hit_eof(f));
    assert_string_equal(qemu_file_error_string(f), "unexpected end of stream");
    qemu_file_set_error(f, -EINVAL);
    assert_int_equal(qemu_file_get_error(f), -EIO);   /* first one sticks */
    assert_int_equal(qemu_fclose(f), -EIO);
    free(b.data);
}

static void test_qemu_file_fd_and_rate_limit(void **state)
{
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    QEMUFile *out = qemu_file_new_fd_output(fds[1], true);
    qemu_file_set_rate_limit(out, 100);
    assert_false(qemu_file_rate_limit(out));
    uint8_t page[4096];
    for (size_t i = 0; i < sizeof(page); i++) {
        page[i] = i * 7;
    }
    qemu_put_buffer(out, page, sizeof(page));
    assert_true(qemu_file_rate_limit(out));
    qemu_file_reset_rate_limit(out);
    assert_false(qemu_file_rate_limit(out));
    assert_int_equal(qemu_fclose(out), 0);

    QEMUFile *in = qemu_file_new_fd_input(fds[0], true);
    uint8_t back[4096];
    assert_int_equal(qemu_get_buffer(in, back, sizeof(back)), sizeof(back));
    assert_memory_equal(back, page, sizeof(page));
    qemu_get_byte(in);
    assert_int_equal(qemu_file_get_error(in), -EIO);
    qemu_fclose(in);

    /* A write error latches and later puts are dropped. */
    assert_int_equal(pipe(fds), 0);
    close(fds[0]);
    signal(SIGPIPE, SIG_IGN);
    out = qemu_file_new_fd_output(fds[1], true);
    qemu_put_buffer(out, page, sizeof(page));
    qemu_fflush(out);
    assert_int_equal(qemu_file_get_error(out), -EPIPE);
    assert_int_equal(qemu_fclose(out), -EPIPE);
}

/* A generic positioned channel, like qcow2's vmstate area. */
typedef struct Area {
    uint8_t bytes[100000];
    size_t size;
} Area;

static ssize_t area_get(void *opaque, uint8_t *buf, int64_t pos, size_t n)
{
    Area *a = opaque;
    if ((size_t)pos >= a->size) {
        return 0;
    }
    n = MIN(n, a->size - pos);
    memcpy(buf, a->bytes + pos, n);
    return n;
}

static ssize_t area_put(void *opaque, const uint8_t *buf, int64_t pos,
                        size_t n)
{
    Area *a = opaque;
    if (pos + n > sizeof(a->bytes)) {
        return -ENOSPC;
    }
    memcpy(a->bytes + pos, buf, n);
    a->size = MAX(a->size, pos + n);
    return n;
}

static const QEMUFileOps area_ops = {
    .get_buffer = area_get,
    .put_buffer = area_put,
};

static void test_qemu_file_callbacks(void **state)
{
    Area *a = xnew(Area);
    QEMUFile *f = qemu_file_new_output(&area_ops, a);
    for (int i = 0; i < 20000; i++) {
        qemu_put_be32(f, i);
    }
    assert_int_equal(qemu_fclose(f), 0);
    assert_int_equal(a->size, 80000);
    f = qemu_file_new_input(&area_ops, a);
    for (int i = 0; i < 20000; i++) {
        assert_int_equal(qemu_get_be32(f), i);
    }
    assert_int_equal(qemu_file_get_error(f), 0);
    qemu_fclose(f);

    /* Running out of room is an error, not a crash. */
    f = qemu_file_new_output(&area_ops, a);
    for (int i = 0; i < 30000; i++) {
        qemu_put_be32(f, i);
    }
    assert_int_equal(qemu_fclose(f), -ENOSPC);
    free(a);
}

/* --- VMState field kinds --------------------------------------------- */

typedef struct Inner {
    uint32_t a;
    uint16_t b;
} Inner;

typedef struct Dev {
    bool flag;
    uint8_t u8;
    uint16_t u16;
    uint32_t u32;
    uint64_t u64;
    int8_t i8;
    int16_t i16;
    int32_t i32;
    int64_t i64;
    uint32_t since_v2;
    uint8_t arr8[5];
    uint32_t arr32[3];
    uint64_t arr64[2];
    uint32_t vlen;
    uint16_t *vbuf;         /* points at vstore */
    uint16_t vstore[8];
    uint32_t alen;
    uint32_t *abuf;         /* malloc'd by the ALLOC field */
    char buf[10];
    Inner inner;
    Inner inner_arr[2];
    Inner *inner_ptr;       /* points at inner_target */
    Inner inner_target;
    QEMUTimer *timer;
    uint32_t sub_value;
    bool sub_needed;
    int post_load_calls;
    int post_load_version;
} Dev;

static const VMStateDescription vmstate_inner = {
    .name = "inner",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(a, Inner),
        VMSTATE_UINT16(b, Inner),
        VMSTATE_END_OF_LIST()
    },
};

static bool dev_sub_needed(void *opaque)
{
    return ((Dev *)opaque)->sub_needed;
}

static const VMStateDescription vmstate_dev_sub = {
    .name = "dev/sub",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = dev_sub_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(sub_value, Dev),
        VMSTATE_END_OF_LIST()
    },
};

static int dev_post_load(void *opaque, int version_id)
{
    Dev *d = opaque;
    d->post_load_calls++;
    d->post_load_version = version_id;
    return 0;
}

#define DEV_FIELDS                                                    \
    VMSTATE_BOOL(flag, Dev),                                          \
    VMSTATE_UINT8(u8, Dev),                                           \
    VMSTATE_UINT16(u16, Dev),                                         \
    VMSTATE_UINT32(u32, Dev),                                         \
    VMSTATE_UINT64(u64, Dev),                                         \
    VMSTATE_INT8(i8, Dev),                                            \
    VMSTATE_INT16(i16, Dev),                                          \
    VMSTATE_INT32(i32, Dev),                                          \
    VMSTATE_INT64(i64, Dev),                                          \
    VMSTATE_UINT8_ARRAY(arr8, Dev, 5),                                \
    VMSTATE_UINT32_ARRAY(arr32, Dev, 3),                              \
    VMSTATE_UINT64_ARRAY(arr64, Dev, 2),                              \
    VMSTATE_UINT32(vlen, Dev),                                        \
    VMSTATE_VARRAY_UINT32(vbuf, Dev, vlen, 8, 0, vmstate_info_uint16, \
                          uint16_t),                                  \
    VMSTATE_UINT32(alen, Dev),                                        \
    VMSTATE_VARRAY_UINT32_ALLOC(abuf, Dev, alen, 16, 0,               \
                                vmstate_info_uint32, uint32_t),       \
    VMSTATE_BUFFER(buf, Dev),                                         \
    VMSTATE_UNUSED(3),                                                \
    VMSTATE_STRUCT(inner, Dev, 0, vmstate_inner, Inner),              \
    VMSTATE_STRUCT_ARRAY(inner_arr, Dev, 2, 0, vmstate_inner, Inner), \
    VMSTATE_STRUCT_POINTER(inner_ptr, Dev, vmstate_inner, Inner),     \
    VMSTATE_TIMER_PTR(timer, Dev)

static const VMStateDescription vmstate_dev = {
    .name = "dev",
    .version_id = 2,
    .minimum_version_id = 1,
    .post_load = dev_post_load,
    .fields = (const VMStateField[]) {
        DEV_FIELDS,
        VMSTATE_UINT32_V(since_v2, Dev, 2),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_dev_sub,
        NULL
    },
};

/* The same device as version 1 saved it: no since_v2, no subsection. */
static const VMStateDescription vmstate_dev_v1 = {
    .name = "dev",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        DEV_FIELDS,
        VMSTATE_END_OF_LIST()
    },
};

/* Version 2 without the subsection, to see an unknown one refused. */
static const VMStateDescription vmstate_dev_nosub = {
    .name = "dev",
    .version_id = 2,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        DEV_FIELDS,
        VMSTATE_UINT32_V(since_v2, Dev, 2),
        VMSTATE_END_OF_LIST()
    },
};

static void timer_cb(void *opaque)
{
}

static void dev_init(Dev *d)
{
    memset(d, 0, sizeof(*d));
    d->vbuf = d->vstore;
    d->inner_ptr = &d->inner_target;
    d->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, timer_cb, NULL);
}

static void dev_fill(Dev *d, int seed)
{
    d->flag = true;
    d->u8 = 0xf0 + seed;
    d->u16 = 0xbeef + seed;
    d->u32 = 0xdeadbeef + seed;
    d->u64 = 0x0123456789abcdefULL + seed;
    d->i8 = -5 - seed;
    d->i16 = -1234;
    d->i32 = -123456;
    d->i64 = -1234567890123LL;
    d->since_v2 = 77;
    for (int i = 0; i < 5; i++) {
        d->arr8[i] = i + seed;
    }
    for (int i = 0; i < 3; i++) {
        d->arr32[i] = 0x10000 * i + seed;
    }
    d->arr64[0] = ~0ULL;
    d->arr64[1] = 42;
    d->vlen = 5;
    for (int i = 0; i < 5; i++) {
        d->vstore[i] = 1000 + i;
    }
    d->alen = 3;
    d->abuf = xnew_array(uint32_t, 3);
    d->abuf[0] = 7;
    d->abuf[1] = 8;
    d->abuf[2] = 9;
    memcpy(d->buf, "osprey!!!", 10);
    d->inner = (Inner){ 11, 12 };
    d->inner_arr[0] = (Inner){ 21, 22 };
    d->inner_arr[1] = (Inner){ 31, 32 };
    d->inner_target = (Inner){ 41, 42 };
    timer_mod_ns(d->timer, 123456789);
    d->sub_value = 0x5b5;
    d->sub_needed = true;
}

static void dev_cleanup(Dev *d)
{
    timer_free(d->timer);
    free(d->abuf);
}

static void test_roundtrip_all_kinds(void **state)
{
    Dev src, dst;
    dev_init(&src);
    dev_init(&dst);
    dev_fill(&src, 1);
    dst.sub_value = 1;
    /* The destination's timer is armed elsewhere: loading moves it. */
    timer_mod_ns(dst.timer, 5);

    Blob b = save_vmsd(&vmstate_dev, &src);
    char *msg = load_vmsd(&b, &vmstate_dev, &dst, 2);
    assert_null(msg);

    assert_true(dst.flag);
    assert_int_equal(dst.u8, src.u8);
    assert_int_equal(dst.u16, src.u16);
    assert_int_equal(dst.u32, src.u32);
    assert_true(dst.u64 == src.u64);
    assert_int_equal(dst.i8, src.i8);
    assert_int_equal(dst.i16, -1234);
    assert_int_equal(dst.i32, -123456);
    assert_true(dst.i64 == -1234567890123LL);
    assert_int_equal(dst.since_v2, 77);
    assert_memory_equal(dst.arr8, src.arr8, sizeof(src.arr8));
    assert_memory_equal(dst.arr32, src.arr32, sizeof(src.arr32));
    assert_memory_equal(dst.arr64, src.arr64, sizeof(src.arr64));
    assert_int_equal(dst.vlen, 5);
    assert_ptr_equal(dst.vbuf, dst.vstore);
    assert_memory_equal(dst.vstore, src.vstore, 5 * sizeof(uint16_t));
    assert_int_equal(dst.vstore[5], 0);
    assert_int_equal(dst.alen, 3);
    assert_non_null(dst.abuf);
    assert_memory_equal(dst.abuf, src.abuf, 3 * sizeof(uint32_t));
    assert_string_equal(dst.buf, "osprey!!!");
    assert_int_equal(dst.inner.a, 11);
    assert_int_equal(dst.inner_arr[1].b, 32);
    assert_ptr_equal(dst.inner_ptr, &dst.inner_target);
    assert_int_equal(dst.inner_target.a, 41);
    assert_true(timer_pending(dst.timer));
    assert_true(timer_expire_time_ns(dst.timer) == 123456789);
    assert_int_equal(dst.sub_value, 0x5b5);
    assert_int_equal(dst.post_load_calls, 1);
    assert_int_equal(dst.post_load_version, 2);

    /* save -> load -> save gives the same bytes. */
    dst.sub_needed = true;
    Blob again = save_vmsd(&vmstate_dev, &dst);
    assert_int_equal(again.len, b.len);
    assert_memory_equal(again.data, b.data, b.len);

    /* A timer that is not pending is saved as -1 and deleted on load. */
    timer_del(src.timer);
    free(b.data);
    b = save_vmsd(&vmstate_dev, &src);
    assert_null(load_vmsd(&b, &vmstate_dev, &dst, 2));
    assert_false(timer_pending(dst.timer));

    free(b.data);
    free(again.data);
    dev_cleanup(&src);
    dev_cleanup(&dst);
}

static void test_subsection_needed(void **state)
{
    Dev src, dst;
    dev_init(&src);
    dev_init(&dst);
    dev_fill(&src, 2);

    src.sub_needed = false;
    Blob without = save_vmsd(&vmstate_dev, &src);
    src.sub_needed = true;
    Blob with = save_vmsd(&vmstate_dev, &src);
    /* u8 type, u8 len, "dev/sub", be32 version, be32 value */
    assert_int_equal(with.len, without.len + 2 + 7 + 4 + 4);

    dst.sub_value = 99;
    assert_null(load_vmsd(&without, &vmstate_dev, &dst, 2));
    assert_int_equal(dst.sub_value, 99);
    assert_null(load_vmsd(&with, &vmstate_dev, &dst, 2));
    assert_int_equal(dst.sub_value, 0x5b5);

    /* A destination that does not know the subsection refuses it. */
    char *msg = load_vmsd(&with, &vmstate_dev_nosub, &dst, 2);
    assert_string_equal(msg, "vmstate 'dev': unknown subsection 'dev/sub'");
    free(msg);

    free(with.data);
    free(without.data);
    dev_cleanup(&src);
    dev_cleanup(&dst);
}

static void test_versioned_fields(void **state)
{
    Dev src, dst;
    dev_init(&src);
    dev_init(&dst);
    dev_fill(&src, 3);

    /* A version 1 stream has no since_v2: the field keeps its value. */
    Blob v1 = save_vmsd(&vmstate_dev_v1, &src);
    Blob v2 = save_vmsd(&vmstate_dev, &src);
    assert_true(v1.len < v2.len);
    dst.since_v2 = 5;
    assert_null(load_vmsd(&v1, &vmstate_dev, &dst, 1));
    assert_int_equal(dst.since_v2, 5);
    assert_int_equal(dst.u32, src.u32);
    assert_int_equal(dst.post_load_version, 1);

    char *msg = load_vmsd(&v2, &vmstate_dev, &dst, 3);
    assert_string_equal(msg, "vmstate 'dev': version 3 not supported (1..2)");
    free(msg);
    msg = load_vmsd(&v2, &vmstate_dev, &dst, 0);
    assert_string_equal(msg, "vmstate 'dev': version 0 not supported (1..2)");
    free(msg);

    free(v1.data);
    free(v2.data);
    dev_cleanup(&src);
    dev_cleanup(&dst);
}

/* Offset of a field's bytes in a saved Dev stream, found by marker. */
static size_t find_be32(const Blob *b, uint32_t v)
{
    for (size_t i = 0; i + 4 <= b->len; i++) {
        if (((uint32_t)b->data[i] << 24 | b->data[i + 1] << 16 |
             b->data[i + 2] << 8 | b->data[i + 3]) == v) {
            return i;
        }
    }
    fail_msg("value 0x%x not in the stream", v);
    return 0;
}

static void put_be32_at(Blob *b, size_t off, uint32_t v)
{
    b->data[off] = v >> 24;
    b->data[off + 1] = v >> 16;
    b->data[off + 2] = v >> 8;
    b->data[off + 3] = v;
}

static void test_varray_limits(void **state)
{
    Dev src, dst;
    dev_init(&src);
    dev_init(&dst);
    dev_fill(&src, 4);
    src.vlen = 0x0badf00d;   /* a marker to find, fixed up below */
    src.alen = 0x0cafe0ff;
    char *msg;

    /* Saving more than the capacity is refused too. */
    QEMUFile *f = qemu_file_new_buffer_output();
    Error *err = NULL;
    assert_true(vmstate_save_state(f, &vmstate_dev, &src, NULL, &err) < 0);
    assert_string_equal(error_get_pretty(err), "vmstate 'dev': field 'vbuf':"
                        " length 195948557 exceeds the maximum 8");
    error_free(err);
    qemu_fclose(f);

    src.vlen = 8;
    src.alen = 3;
    src.vstore[7] = 1007;
    Blob b = save_vmsd(&vmstate_dev, &src);
    size_t vlen_at = find_be32(&b, 8);
    size_t alen_at = vlen_at + 4 + 8 * sizeof(uint16_t);

    /* One past the capacity of vstore: refused before any write. */
    put_be32_at(&b, vlen_at, 9);
    msg = load_vmsd(&b, &vmstate_dev, &dst, 2);
    assert_string_equal(msg, "vmstate 'dev': field 'vbuf': length 9 exceeds "
                        "the maximum 8");
    free(msg);
    assert_int_equal(dst.vstore[7], 0);

    /* A huge allocation request is refused, not attempted. */
    put_be32_at(&b, vlen_at, 8);
    put_be32_at(&b, alen_at, 0xffffffff);
    msg = load_vmsd(&b, &vmstate_dev, &dst, 2);
    assert_string_equal(msg, "vmstate 'dev': field 'abuf': length 4294967295 "
                        "exceeds the maximum 16");
    free(msg);

    /* A boolean must be 0 or 1. */
    put_be32_at(&b, alen_at, 3);
    b.data[0] = 2;
    msg = load_vmsd(&b, &vmstate_dev, &dst, 2);
    assert_string_equal(msg, "vmstate 'dev': field 'flag': bad value: "
                        "Invalid argument");
    free(msg);
    b.data[0] = 1;
    assert_null(load_vmsd(&b, &vmstate_dev, &dst, 2));
    assert_int_equal(dst.vstore[7], 1007);

    free(b.data);
    dev_cleanup(&src);
    dev_cleanup(&dst);
}

static void test_truncated_vmstate(void **state)
{
    Dev src, dst;
    dev_init(&src);
    dev_init(&dst);
    dev_fill(&src, 5);
    src.sub_needed = false;
    Blob nosub = save_vmsd(&vmstate_dev, &src);
    src.sub_needed = true;
    Blob b = save_vmsd(&vmstate_dev, &src);

    for (size_t len = 0; len < b.len; len++) {
        Blob cut = { xmalloc(len ? len : 1), len };
        memcpy(cut.data, b.data, len);
        char *msg = load_vmsd(&cut, &vmstate_dev, &dst, 2);
        /*
         * Subsections are optional, so a stream cut just before one is a
         * valid stream without it; the savevm footer catches that cut.
         */
        if (len == nosub.len) {
            assert_null(msg);
        } else {
            if (!msg) {
                fail_msg("cut at %zu of %zu accepted", len, b.len);
            }
            assert_non_null(strstr(msg, "unexpected end of stream"));
        }
        free(msg);
        free(cut.data);
    }
    free(nosub.data);
    /* The message names the description and the field. */
    Blob cut = { b.data, 1 };
    char *msg = load_vmsd(&cut, &vmstate_dev, &dst, 2);
    assert_string_equal(msg, "vmstate 'dev': field 'u8': unexpected end of "
                        "stream");
    free(msg);

    free(b.data);
    dev_cleanup(&src);
    dev_cleanup(&dst);
}

/* --- savevm stream --------------------------------------------------- */

typedef struct Serial {
    uint16_t divider;
    uint8_t lcr;
    uint8_t fifo[16];
} Serial;

static const VMStateDescription vmstate_serial = {
    .name = "serial",
    .version_id = 4,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16_V(divider, Serial, 2),
        VMSTATE_UINT8(lcr, Serial),
        VMSTATE_UINT8_ARRAY(fifo, Serial, 16),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_foo = {
    .name = "foo",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(lcr, Serial),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_serial_v5 = {
    .name = "serial",
    .version_id = 5,
    .minimum_version_id = 5,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16_V(divider, Serial, 2),
        VMSTATE_UINT8(lcr, Serial),
        VMSTATE_UINT8_ARRAY(fifo, Serial, 16),
        VMSTATE_END_OF_LIST()
    },
};

typedef struct Machine {
    Serial com[2];
    Dev dev;
} Machine;

static void machine_init(Machine *m, int seed)
{
    memset(m, 0, sizeof(*m));
    for (int i = 0; i < 2; i++) {
        m->com[i].divider = 12 + i + seed;
        m->com[i].lcr = 3 + seed;
        for (int j = 0; j < 16; j++) {
            m->com[i].fifo[j] = j * (i + 1) + seed;
        }
    }
    dev_init(&m->dev);
    if (seed) {
        dev_fill(&m->dev, seed);
    }
}

static void machine_register(Machine *m)
{
    assert_int_equal(vmstate_register(NULL, VMSTATE_INSTANCE_ID_ANY,
                                      &vmstate_serial, &m->com[0]), 0);
    assert_int_equal(vmstate_register(NULL, VMSTATE_INSTANCE_ID_ANY,
                                      &vmstate_serial, &m->com[1]), 1);
    assert_int_equal(vmstate_register(NULL, 0, &vmstate_dev, &m->dev), 0);
}

static void machine_unregister(Machine *m)
{
    vmstate_unregister(NULL, &vmstate_serial, &m->com[0]);
    vmstate_unregister(NULL, &vmstate_serial, &m->com[1]);
    vmstate_unregister(NULL, &vmstate_dev, &m->dev);
    dev_cleanup(&m->dev);
}

static void test_savevm_roundtrip(void **state)
{
    Machine m;
    machine_init(&m, 1);
    machine_register(&m);
    Blob b = savevm_blob();

    assert_int_equal(b.data[0], 'Q');
    assert_int_equal(b.data[3], 'M');
    assert_int_equal(b.data[b.len - 9], QEMU_VM_EOF);
    assert_memory_equal(b.data + b.len - 8, "OSCK", 4);

    /* Scribble, load, and the state is back. */
    Machine saved = m;
    m.com[1].divider = 0;
    m.com[0].fifo[3] = 0xee;
    m.dev.u32 = 0;
    assert_null(loadvm_blob(b.data, b.len, false));
    assert_memory_equal(m.com, saved.com, sizeof(m.com));
    assert_int_equal(m.dev.u32, saved.dev.u32);
    assert_null(loadvm_blob(b.data, b.len, true));

    /* save -> load -> save: byte-identical. */
    Blob again = savevm_blob();
    assert_int_equal(again.len, b.len);
    assert_memory_equal(again.data, b.data, b.len);

    /* Through a pipe, as a live migration would be. */
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    QEMUFile *out = qemu_file_new_fd_output(fds[1], true);
    assert_int_equal(qemu_savevm_state(out, NULL), 0);
    assert_int_equal(qemu_fclose(out), 0);
    QEMUFile *in = qemu_file_new_fd_input(fds[0], true);
    Error *err = NULL;
    assert_int_equal(qemu_loadvm_state_stream(in, &err), 0);
    assert_null(err);
    qemu_fclose(in);

    free(again.data);
    free(b.data);
    machine_unregister(&m);
}

static void test_savevm_truncated_everywhere(void **state)
{
    Machine m;
    machine_init(&m, 2);
    machine_register(&m);
    Blob b = savevm_blob();

    for (size_t len = 0; len < b.len; len++) {
        uint8_t *cut = xmalloc(len ? len : 1);
        memcpy(cut, b.data, len);
        for (int stream = 0; stream < 2; stream++) {
            char *msg = loadvm_blob(cut, len, stream);
            if (!msg) {
                fail_msg("truncated to %zu of %zu bytes: accepted (%s)", len,
                         b.len, stream ? "stream" : "buffered");
            }
            free(msg);
        }
        free(cut);
    }
    /* The buffered load refuses before applying anything. */
    m.com[0].lcr = 0x55;
    char *msg = loadvm_blob(b.data, b.len - 20, false);
    assert_string_equal(msg, "migration stream is truncated: no "
                        "end-of-stream checksum footer");
    assert_int_equal(m.com[0].lcr, 0x55);
    free(msg);
    msg = loadvm_blob(b.data, 3, false);
    assert_string_equal(msg, "migration stream: unexpected end of stream in "
                        "the file header");
    free(msg);

    free(b.data);
    machine_unregister(&m);
}

static void test_savevm_byte_flips(void **state)
{
    Machine m;
    machine_init(&m, 3);
    machine_register(&m);
    Blob b = savevm_blob();
    unsigned seed = 12345;

    /* Every byte, flipped one bit at a time in turn. */
    for (size_t i = 0; i < b.len; i++) {
        uint8_t mask = 1 << (rand_r(&seed) % 8);
        b.data[i] ^= mask;
        char *msg = loadvm_blob(b.data, b.len, false);
        if (!msg) {
            fail_msg("flipping bit mask 0x%x of byte %zu went unnoticed", mask,
                     i);
        }
        free(msg);
        b.data[i] ^= mask;
    }
    /* A flip in the middle is a checksum mismatch. */
    b.data[b.len / 2] ^= 0x10;
    char *msg = loadvm_blob(b.data, b.len, false);
    assert_non_null(strstr(msg, "migration stream checksum mismatch"));
    free(msg);
    b.data[b.len / 2] ^= 0x10;
    assert_null(loadvm_blob(b.data, b.len, false));

    free(b.data);
    machine_unregister(&m);
}

static void test_savevm_errors(void **state)
{
    Machine m;
    char *msg;
    machine_init(&m, 0);
    Serial foo = { 0 };
    /* A section the destination does not have. */
    vmstate_register(NULL, 0, &vmstate_foo, &foo);
    Blob b = savevm_blob();
    vmstate_unregister(NULL, &vmstate_foo, &foo);
    msg = loadvm_blob(b.data, b.len, false);
    assert_string_equal(msg, "Unknown savevm section or instance 'foo' 0. "
                        "Make sure that your current VM setup matches your "
                        "saved VM setup");
    free(msg);
    free(b.data);

    /* A newer version than the destination supports. */
    vmstate_register(NULL, 0, &vmstate_serial_v5, &m.com[0]);
    b = savevm_blob();
    vmstate_unregister(NULL, &vmstate_serial_v5, &m.com[0]);
    vmstate_register(NULL, 0, &vmstate_serial, &m.com[0]);
    msg = loadvm_blob(b.data, b.len, false);
    assert_string_equal(msg, "error while loading state for instance 0x0 of "
                        "device 'serial': vmstate 'serial': version 5 not "
                        "supported (2..4)");
    free(msg);
    free(b.data);

    /* Another machine type. */
    b = savevm_blob();
    savevm_set_machine_name("q35");
    msg = loadvm_blob(b.data, b.len, false);
    assert_string_equal(msg, "Machine type received is 'pc' and local is "
                        "'q35'");
    free(msg);
    savevm_set_machine_name(NULL);
    assert_null(loadvm_blob(b.data, b.len, false));

    /* Not a migration stream at all. */
    b.data[0] = 'X';
    msg = loadvm_blob(b.data, b.len, false);
    assert_string_equal(msg, "not an Osprey/QEMU migration stream (magic "
                        "0x5845564d)");
    free(msg);
    b.data[0] = 'Q';
    b.data[7] = 2;
    msg = loadvm_blob(b.data, b.len, false);
    assert_string_equal(msg, "not an Osprey/QEMU migration stream of a "
                        "supported version (version 2, expected 3)");
    free(msg);
    free(b.data);
    vmstate_unregister(NULL, &vmstate_serial, &m.com[0]);
    dev_cleanup(&m.dev);
}

/* --- RAM ------------------------------------------------------------- */

#define PAGE TARGET_PAGE_SIZE

static void fill_page(MemoryRegion *mr, uint64_t page, int value)
{
    uint8_t *host = memory_region_get_ram_ptr(mr);
    memset(host + page * PAGE, value, PAGE);
    memory_region_set_dirty(mr, page * PAGE, PAGE);
}

static void test_ram_migration(void **state)
{
    MemoryRegion ram, vram;
    RAMStats st;
    Error *err = NULL;

    memory_region_init_ram(&ram, NULL, "pc.ram", 64 * PAGE, &error_abort);
    memory_region_init_ram(&vram, NULL, "vga.vram", 16 * PAGE, &error_abort);
    uint8_t *ram_host = memory_region_get_ram_ptr(&ram);
    uint8_t *vram_host = memory_region_get_ram_ptr(&vram);
    for (int i = 0; i < 64; i += 3) {
        fill_page(&ram, i, i + 1);
    }
    fill_page(&vram, 15, 0xaa);
    ram_mig_init();

    /* Live: setup, one full pass, then only what was written since. */
    QEMUFile *f = qemu_file_new_buffer_output();
    qemu_savevm_state_header(f);
    assert_int_equal(qemu_savevm_state_setup(f, &err), 0);
    assert_true(qemu_savevm_state_pending() == 80 * PAGE);
    assert_int_equal(qemu_savevm_state_iterate(f, &err), 1);
    ram_get_stats(&st);
    assert_int_equal(st.normal_pages, 22 + 1);
    assert_int_equal(st.zero_pages, 80 - 23);
    assert_true(qemu_savevm_state_pending() == 0);

    fill_page(&ram, 1, 0x11);
    fill_page(&ram, 40, 0x22);
    fill_page(&vram, 0, 0x33);
    assert_true(qemu_savevm_state_pending() == 3 * PAGE);
    assert_int_equal(qemu_savevm_state_iterate(f, &err), 1);
    ram_get_stats(&st);
    assert_int_equal(st.normal_pages, 23 + 3);
    assert_int_equal(st.zero_pages, 57);
    assert_int_equal(st.passes, 2);

    /* Written during the last pass: sent by complete. */
    fill_page(&vram, 7, 0x44);
    assert_int_equal(qemu_savevm_state_complete_precopy(f, &err), 0);
    assert_null(err);
    qemu_savevm_state_cleanup();
    ram_get_stats(&st);
    assert_int_equal(st.normal_pages, 27);
    Blob b = file_to_blob(f);

    uint8_t *want_ram = xmalloc(64 * PAGE), *want_vram = xmalloc(16 * PAGE);
    memcpy(want_ram, ram_host, 64 * PAGE);
    memcpy(want_vram, vram_host, 16 * PAGE);
    memset(ram_host, 0x5a, 64 * PAGE);
    memset(vram_host, 0xa5, 16 * PAGE);
    assert_null(loadvm_blob(b.data, b.len, false));
    assert_memory_equal(ram_host, want_ram, 64 * PAGE);
    assert_memory_equal(vram_host, want_vram, 16 * PAGE);

    /* Rate limited: a pass stops early and the next one goes on. */
    f = qemu_file_new_buffer_output();
    qemu_file_set_rate_limit(f, 4 * PAGE);
    qemu_savevm_state_header(f);
    assert_int_equal(qemu_savevm_state_setup(f, &err), 0);
    int rounds = 0, ret;
    do {
        qemu_file_reset_rate_limit(f);
        ret = qemu_savevm_state_iterate(f, &err);
        assert_true(ret >= 0);
        rounds++;
    } while (ret == 0 && rounds < 100);
    assert_true(rounds > 1);
    assert_true(qemu_savevm_state_pending() == 0);
    assert_int_equal(qemu_savevm_state_complete_precopy(f, &err), 0);
    qemu_savevm_state_cleanup();
    Blob limited = file_to_blob(f);
    memset(ram_host, 0x5a, 64 * PAGE);
    assert_null(loadvm_blob(limited.data, limited.len, false));
    assert_memory_equal(ram_host, want_ram, 64 * PAGE);
    free(limited.data);

    /* A destination with a smaller pc.ram refuses the stream. */
    memory_region_finalize(&ram);
    memory_region_init_ram(&ram, NULL, "pc.ram", 32 * PAGE, &error_abort);
    char *msg = loadvm_blob(b.data, b.len, false);
    assert_string_equal(msg, "error while loading state for instance 0x0 of "
                        "device 'ram': Length mismatch: pc.ram: 0x40000 in != "
                        "0x20000: Invalid argument");
    free(msg);

    free(want_ram);
    free(want_vram);
    free(b.data);
    memory_region_finalize(&ram);
    memory_region_finalize(&vram);
}

/* --- -dump-vmstate --------------------------------------------------- */

static void test_dump_json(void **state)
{
    const VMStateDescription *list[] = { &vmstate_serial, &vmstate_dev,
                                         NULL };
    char *text = NULL;
    size_t size = 0;
    FILE *out = open_memstream(&text, &size);
    vmstate_dump_json_list(out, "pc", list);
    fclose(out);

    /* QEMU's layout, byte for byte. */
    static const char serial_json[] =
        "{\n"
        "  \"vmschkmachine\": {\n"
        "    \"Name\": \"pc\"\n"
        "  },\n"
        "  \"serial\": {\n"
        "    \"Name\": \"serial\",\n"
        "    \"version_id\": 4,\n"
        "    \"minimum_version_id\": 2,\n"
        "    \"Description\": {\n"
        "      \"name\": \"serial\",\n"
        "      \"version_id\": 4,\n"
        "      \"minimum_version_id\": 2,\n"
        "      \"Fields\": [\n"
        "        {\n"
        "          \"field\": \"divider\",\n"
        "          \"version_id\": 2,\n"
        "          \"field_exists\": false,\n"
        "          \"size\": 2\n"
        "        },\n"
        "        {\n"
        "          \"field\": \"lcr\",\n"
        "          \"version_id\": 0,\n"
        "          \"field_exists\": false,\n"
        "          \"size\": 1\n"
        "        },\n"
        "        {\n"
        "          \"field\": \"fifo\",\n"
        "          \"version_id\": 0,\n"
        "          \"field_exists\": false,\n"
        "          \"num\": 16,\n"
        "          \"size\": 1\n"
        "        }\n"
        "      ]\n"
        "    }\n"
        "  },\n";
    assert_true(strncmp(text, serial_json, strlen(serial_json)) == 0);

    /* Nested descriptions inside their field, and subsections. */
    assert_non_null(strstr(text,
        "          \"field\": \"inner\",\n"
        "          \"version_id\": 0,\n"
        "          \"field_exists\": false,\n"
        "          \"size\": 8,\n"
        "          \"Description\": {\n"
        "            \"name\": \"inner\",\n"));
    assert_non_null(strstr(text,
        "      \"Subsections\": [\n"
        "        {\n"
        "          \"name\": \"dev/sub\",\n"
        "          \"version_id\": 1,\n"
        "          \"minimum_version_id\": 1,\n"
        "          \"Fields\": [\n"));
    assert_string_equal(text + strlen(text) - 6, "  }\n}\n");

    /* Registered descriptions, each once. */
    Machine m;
    machine_init(&m, 0);
    machine_register(&m);
    free(text);
    out = open_memstream(&text, &size);
    vmstate_dump_json(out);
    fclose(out);
    assert_non_null(strstr(text, "\"serial\": {"));
    assert_null(strstr(strstr(text, "\"serial\": {") + 1, "\"serial\": {"));
    machine_unregister(&m);

    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_qemu_file_basics),
        cmocka_unit_test(test_qemu_file_fd_and_rate_limit),
        cmocka_unit_test(test_qemu_file_callbacks),
        cmocka_unit_test(test_roundtrip_all_kinds),
        cmocka_unit_test(test_subsection_needed),
        cmocka_unit_test(test_versioned_fields),
        cmocka_unit_test(test_varray_limits),
        cmocka_unit_test(test_truncated_vmstate),
        cmocka_unit_test(test_savevm_roundtrip),
        cmocka_unit_test(test_savevm_truncated_everywhere),
        cmocka_unit_test(test_savevm_byte_flips),
        cmocka_unit_test(test_savevm_errors),
        cmocka_unit_test(test_ram_migration),
        cmocka_unit_test(test_dump_json),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
