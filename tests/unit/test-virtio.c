/*
 * The virtio core's split virtqueues, driven as a driver would: chains in
 * the descriptor table, indirect tables, EVENT_IDX and flag-based
 * notification suppression, and every malformed ring we guard against
 * (loops, indexes out of range, wrapping lengths, buffers outside RAM or
 * in MMIO, nested indirect tables...) leaving the device broken with
 * NEEDS_RESET and nothing touched outside guest RAM.  Run under ASan.
 */
#include "test.h"
#include "hw/virtio/virtio.h"
#include "system/main-loop.h"
#include "memory/memory.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED
#define RAM_SIZE  0x100000ULL          /* 1 MiB of guest RAM at 0 */
#define MMIO_BASE 0x100000ULL          /* 4 KiB of MMIO just above */
#define QSIZE     16
#define DESC      0x1000ULL
#define AVAIL     0x2000ULL
#define USED      0x3000ULL
#define ITABLE    0x4000ULL            /* an indirect table */
#define BUF       0x10000ULL           /* buffers from here */

static MemoryRegion ram, mmio;
static uint8_t *host;
static unsigned mmio_accesses;

typedef struct TestDev {
    VirtIODevice vdev;
    VirtQueue *vq;
    unsigned notifies[3];              /* by ISR bit: 1 queue, 2 config */
} TestDev;

static TestDev dev;

static uint64_t mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    mmio_accesses++;
    return 0;
}

static void mmio_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    mmio_accesses++;
}

static const MemoryRegionOps mmio_ops = {
    .read = mmio_read,
    .write = mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void test_notify(void *opaque, uint16_t vector, uint8_t isr_bits)
{
    TestDev *d = opaque;

    d->notifies[isr_bits & 3]++;
}

static const VirtioTransportOps test_transport = { .notify = test_notify };
static const VirtioDeviceOps test_ops = { 0 };

/* ---- driver side helpers ------------------------------------------------ */

static void put16(hwaddr a, uint16_t v) { memcpy(host + a, &v, 2); }
static void put32(hwaddr a, uint32_t v) { memcpy(host + a, &v, 4); }
static void put64(hwaddr a, uint64_t v) { memcpy(host + a, &v, 8); }
static uint16_t get16(hwaddr a) { uint16_t v; memcpy(&v, host + a, 2); return v; }
static uint32_t get32(hwaddr a) { uint32_t v; memcpy(&v, host + a, 4); return v; }

static void desc_at(hwaddr table, unsigned i, uint64_t addr, uint32_t len,
                    uint16_t flags, uint16_t next)
{
    hwaddr d = table + 16 * i;
    put64(d, addr);
    put32(d + 8, len);
    put16(d + 12, flags);
    put16(d + 14, next);
}

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    desc_at(DESC, i, addr, len, flags, next);
}

/* Publish head as the next available entry. */
static void avail_push(uint16_t head)
{
    uint16_t idx = get16(AVAIL + 2);
    put16(AVAIL + 4 + 2 * (idx % QSIZE), head);
    put16(AVAIL + 2, idx + 1);
}

static int setup(void **state)
{
    memset(host, 0, RAM_SIZE);
    memset(&dev, 0, sizeof(dev));
    mmio_accesses = 0;
    virtio_init(&dev.vdev, "test-virtio", 99, 8, &address_space_memory,
                &test_ops);
    virtio_bind_transport(&dev.vdev, &test_transport, &dev);
    dev.vq = virtio_add_queue(&dev.vdev, QSIZE, NULL);
    /* A driver: features (no EVENT_IDX unless a test asks), rings. */
    virtio_set_status(&dev.vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                      VIRTIO_CONFIG_S_DRIVER);
    assert_true(virtio_set_features(&dev.vdev,
                                    1ULL << VIRTIO_F_VERSION_1 |
                                    1ULL << VIRTIO_RING_F_INDIRECT_DESC));
    virtio_set_status(&dev.vdev, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                      VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK);
    virtio_queue_set_rings(&dev.vdev, 0, DESC, AVAIL, USED);
    virtio_queue_enable(&dev.vdev, 0);
    assert_true(dev.vq->enabled);
    virtio_set_status(&dev.vdev, dev.vdev.status | VIRTIO_CONFIG_S_DRIVER_OK);
    return 0;
}

static int teardown(void **state)
{
    virtio_cleanup(&dev.vdev);
    return 0;
}

static void assert_broken(void)
{
    assert_true(dev.vdev.broken);
    assert_true(dev.vdev.status & VIRTIO_CONFIG_S_NEEDS_RESET);
    assert_int_equal(dev.notifies[2], 1);          /* config interrupt */
    assert_null(virtqueue_pop(dev.vq, sizeof(VirtQueueElement)));
    assert_int_equal(mmio_accesses, 0);
    /* A reset makes it usable again. */
    virtio_reset(&dev.vdev);
    assert_false(dev.vdev.broken);
    assert_int_equal(dev.vdev.status, 0);
}

/* Pop must fail and break the device. */
static void expect_broken(void)
{
    VirtQueueElement *e = virtqueue_pop(dev.vq, sizeof(VirtQueueElement));
    if (e) {
        free(e);
        fail_msg("malformed chain was accepted");
    }
    assert_broken();
}

/* ---- good rings ---------------------------------------------------------- */

static void test_good_chain(void **state)
{
    memcpy(host + BUF, "header-bytes-16!", 16);
    desc(3, BUF, 16, VRING_DESC_F_NEXT, 7);
    desc(7, BUF + 0x1000, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    desc(1, BUF + 0x2000, 1, VRING_DESC_F_WRITE, 0);
    avail_push(3);
    assert_false(virtio_queue_empty(dev.vq));

    VirtQueueElement *e = virtqueue_pop(dev.vq, sizeof(*e));
    assert_non_null(e);
    assert_int_equal(e->index, 3);
    assert_int_equal(e->out_num, 1);
    assert_int_equal(e->in_num, 2);
    assert_ptr_equal(e->out_sg[0].iov_base, host + BUF);
    assert_int_equal(e->out_sg[0].iov_len, 16);
    assert_ptr_equal(e->in_sg[0].iov_base, host + BUF + 0x1000);
    assert_int_equal(e->in_sg[0].iov_len, 512);
    assert_int_equal(e->in_addr[1], BUF + 0x2000);
    assert_int_equal(e->out_addr[0], BUF);
    assert_true(virtio_queue_empty(dev.vq));
    assert_null(virtqueue_pop(dev.vq, sizeof(*e)));

    memset(e->in_sg[0].iov_base, 0xab, 512);
    virtqueue_push(dev.vq, e, 513);
    free(e);
    assert_int_equal(get16(USED + 2), 1);
    assert_int_equal(get32(USED + 4), 3);          /* id */
    assert_int_equal(get32(USED + 8), 513);        /* len */
    virtio_notify(&dev.vdev, dev.vq);
    assert_int_equal(dev.notifies[1], 1);
    assert_false(dev.vdev.broken);
    assert_int_equal(host[BUF + 0x1000 + 511], 0xab);
}

static void test_indirect(void **state)
{
    desc_at(ITABLE, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
    desc_at(ITABLE, 1, BUF + 0x100, 100, VRING_DESC_F_NEXT, 2);
    desc_at(ITABLE, 2, BUF + 0x1000, 4096, VRING_DESC_F_WRITE, 0);
    desc(0, ITABLE, 3 * 16, VRING_DESC_F_INDIRECT, 0);
    avail_push(0);

    VirtQueueElement *e = virtqueue_pop(dev.vq, 64 + sizeof(*e));
    assert_non_null(e);
    assert_int_equal(e->index, 0);
    assert_int_equal(e->out_num, 2);
    assert_int_equal(e->in_num, 1);
    assert_int_equal(iov_size(e->out_sg, e->out_num), 116);
    assert_ptr_equal(e->in_sg[0].iov_base, host + BUF + 0x1000);
    virtqueue_push(dev.vq, e, 0);
    free(e);
    assert_int_equal(get16(USED + 2), 1);
}

/* Buffers crossing from one RAM region into another are split, not lost. */
static void test_buffer_across_regions(void **state)
{
    /* The last 16 bytes of RAM are fine; 17 cross into MMIO: refused. */
    desc(0, RAM_SIZE - 16, 16, VRING_DESC_F_WRITE, 0);
    avail_push(0);
    VirtQueueElement *e = virtqueue_pop(dev.vq, sizeof(*e));
    assert_non_null(e);
    assert_int_equal(e->in_num, 1);
    virtqueue_push(dev.vq, e, 16);
    free(e);

    desc(1, RAM_SIZE - 16, 17, VRING_DESC_F_WRITE, 0);
    avail_push(1);
    expect_broken();
}

static void test_event_idx(void **state)
{
    VirtQueueElement *e;

    /* Renegotiate with EVENT_IDX. */
    virtio_reset(&dev.vdev);
    assert_true(virtio_set_features(&dev.vdev,
                                    1ULL << VIRTIO_F_VERSION_1 |
                                    1ULL << VIRTIO_RING_F_EVENT_IDX));
    virtio_set_status(&dev.vdev, VIRTIO_CONFIG_S_DRIVER |
                      VIRTIO_CONFIG_S_FEATURES_OK |
                      VIRTIO_CONFIG_S_DRIVER_OK);
    virtio_queue_set_rings(&dev.vdev, 0, DESC, AVAIL, USED);
    virtio_queue_enable(&dev.vdev, 0);

    for (int i = 0; i < 3; i++) {
        desc(i, BUF + i * 0x100, 16, VRING_DESC_F_WRITE, 0);
        avail_push(i);
    }
    put16(AVAIL + 4 + 2 * QSIZE, 1);   /* used_event: after 2 used entries */
    e = virtqueue_pop(dev.vq, sizeof(*e));
    /* avail_event follows what we consumed. */
    assert_int_equal(get16(USED + 4 + 8 * QSIZE), 1);
    virtqueue_push(dev.vq, e, 1);
    free(e);
    virtio_notify(&dev.vdev, dev.vq);  /* first notify always goes */
    assert_int_equal(dev.notifies[1], 1);

    e = virtqueue_pop(dev.vq, sizeof(*e));
    virtqueue_push(dev.vq, e, 1);
    free(e);
    virtio_notify(&dev.vdev, dev.vq);  /* used idx 2 passes event 1 */
    assert_int_equal(dev.notifies[1], 2);

    e = virtqueue_pop(dev.vq, sizeof(*e));
    assert_int_equal(get16(USED + 4 + 8 * QSIZE), 3);
    virtqueue_push(dev.vq, e, 1);
    free(e);
    virtio_notify(&dev.vdev, dev.vq);  /* event 1 already passed: quiet */
    assert_int_equal(dev.notifies[1], 2);
    assert_false(dev.vdev.broken);
}

static void test_no_interrupt_flag(void **state)
{
    desc(0, BUF, 16, VRING_DESC_F_WRITE, 0);
    avail_push(0);
    put16(AVAIL, VRING_AVAIL_F_NO_INTERRUPT);
    VirtQueueElement *e = virtqueue_pop(dev.vq, sizeof(*e));
    virtqueue_push(dev.vq, e, 0);
    free(e);
    virtio_notify(&dev.vdev, dev.vq);
    assert_int_equal(dev.notifies[1], 0);
    virtio_queue_set_notification(dev.vq, 0);
    assert_int_equal(get16(USED), VRING_USED_F_NO_NOTIFY);
    virtio_queue_set_notification(dev.vq, 1);
    assert_int_equal(get16(USED), 0);
}

/* ---- malformed rings -------------------------------------------------------- */

static void test_descriptor_loop(void **state)
{
    desc(0, BUF, 16, VRING_DESC_F_NEXT, 1);
    desc(1, BUF, 16, VRING_DESC_F_NEXT, 0);
    avail_push(0);
    expect_broken();
}

static void test_self_loop_writable(void **state)
{
    desc(5, BUF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 5);
    avail_push(5);
    expect_broken();
}

static void test_indirect_loop(void **state)
{
    desc_at(ITABLE, 0, BUF, 16, VRING_DESC_F_NEXT, 1);
    desc_at(ITABLE, 1, BUF, 16, VRING_DESC_F_NEXT, 0);
    desc(0, ITABLE, 2 * 16, VRING_DESC_F_INDIRECT, 0);
    avail_push(0);
    expect_broken();
}

static void test_head_out_of_range(void **state)
{
    avail_push(QSIZE);
    expect_broken();
}

static void test_next_out_of_range(void **state)
{
    desc(0, BUF, 16, VRING_DESC_F_NEXT, QSIZE + 3);
    avail_push(0);
    expect_broken();
}

static void test_avail_idx_jump(void **state)
{
    put16(AVAIL + 2, QSIZE + 1);
    expect_broken();
}

static void test_buffer_outside_ram(void **state)
{
    desc(0, 0x40000000, 512, VRING_DESC_F_WRITE, 0);
    avail_push(0);
    expect_broken();
}

static void test_buffer_in_mmio(void **state)
{
    desc(0, MMIO_BASE, 64, VRING_DESC_F_WRITE, 0);
    avail_push(0);
    expect_broken();
}

static void test_length_wraps(void **state)
{
    desc(0, 0xfffffffffffff000ULL, 0x2000, 0, 0);
    avail_push(0);
    expect_broken();
}

static void test_zero_length(void **state)
{
    desc(0, BUF, 0, 0, 0);
    avail_push(0);
    expect_broken();
}

static void test_readable_after_writable(void **state)
{
    desc(0, BUF, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
    desc(1, BUF + 16, 16, 0, 0);
    avail_push(0);
    expect_broken();
}

static void test_nested_indirect(void **state)
{
    desc_at(ITABLE, 0, ITABLE + 0x100, 16, VRING_DESC_F_INDIRECT, 0);
    desc(0, ITABLE, 16, VRING_DESC_F_INDIRECT, 0);
    avail_push(0);
    expect_broken();
}

static void test_indirect_bad_size(void **state)
{
    desc(0, ITABLE, 24, VRING_DESC_F_INDIRECT, 0);
    avail_push(0);
    expect_broken();
}

static void test_indirect_table_outside_ram(void **state)
{
    desc(0, RAM_SIZE - 16, 64, VRING_DESC_F_INDIRECT, 0);
    avail_push(0);
    expect_broken();
}

static void test_indirect_too_long(void **state)
{
    desc(0, ITABLE, 16 * (VIRTQUEUE_MAX_SIZE + 1), VRING_DESC_F_INDIRECT, 0);
    avail_push(0);
    expect_broken();
}

static void test_indirect_with_next(void **state)
{
    desc_at(ITABLE, 0, BUF, 16, 0, 0);
    desc(0, ITABLE, 16, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
    avail_push(0);
    expect_broken();
}

static void test_indirect_not_negotiated(void **state)
{
    virtio_reset(&dev.vdev);
    virtio_set_features(&dev.vdev, 1ULL << VIRTIO_F_VERSION_1);
    virtio_set_status(&dev.vdev, VIRTIO_CONFIG_S_DRIVER |
                      VIRTIO_CONFIG_S_FEATURES_OK |
                      VIRTIO_CONFIG_S_DRIVER_OK);
    virtio_queue_set_rings(&dev.vdev, 0, DESC, AVAIL, USED);
    virtio_queue_enable(&dev.vdev, 0);
    desc_at(ITABLE, 0, BUF, 16, 0, 0);
    desc(0, ITABLE, 16, VRING_DESC_F_INDIRECT, 0);
    avail_push(0);
    expect_broken();
}

static void test_rings_outside_ram(void **state)
{
    virtio_reset(&dev.vdev);
    virtio_set_features(&dev.vdev, 1ULL << VIRTIO_F_VERSION_1);
    virtio_set_status(&dev.vdev, VIRTIO_CONFIG_S_DRIVER |
                      VIRTIO_CONFIG_S_FEATURES_OK |
                      VIRTIO_CONFIG_S_DRIVER_OK);
    /* The used ring on our MMIO: refused at enable, nothing accessed. */
    virtio_queue_set_rings(&dev.vdev, 0, DESC, AVAIL, MMIO_BASE);
    virtio_queue_enable(&dev.vdev, 0);
    assert_false(dev.vq->enabled);
    assert_broken();

    /* Misaligned descriptor table. */
    virtio_set_features(&dev.vdev, 1ULL << VIRTIO_F_VERSION_1);
    virtio_set_status(&dev.vdev, VIRTIO_CONFIG_S_DRIVER |
                      VIRTIO_CONFIG_S_FEATURES_OK |
                      VIRTIO_CONFIG_S_DRIVER_OK);
    dev.notifies[2] = 0;
    virtio_queue_set_rings(&dev.vdev, 0, DESC + 8, AVAIL, USED);
    virtio_queue_enable(&dev.vdev, 0);
    assert_false(dev.vq->enabled);
    assert_broken();
}

/* The driver must accept VERSION_1 on this modern-only transport. */
static void test_features(void **state)
{
    virtio_reset(&dev.vdev);
    assert_false(virtio_set_features(&dev.vdev, 1ULL << 50));
    virtio_set_status(&dev.vdev, VIRTIO_CONFIG_S_DRIVER |
                      VIRTIO_CONFIG_S_FEATURES_OK);
    assert_false(dev.vdev.status & VIRTIO_CONFIG_S_FEATURES_OK);
    assert_true(virtio_set_features(&dev.vdev, 1ULL << VIRTIO_F_VERSION_1));
    virtio_set_status(&dev.vdev, VIRTIO_CONFIG_S_DRIVER |
                      VIRTIO_CONFIG_S_FEATURES_OK);
    assert_true(dev.vdev.status & VIRTIO_CONFIG_S_FEATURES_OK);
    /* Frozen after FEATURES_OK. */
    assert_false(virtio_set_features(&dev.vdev, 0));
    assert_true(virtio_vdev_has_feature(&dev.vdev, VIRTIO_F_VERSION_1));
    /* Queue sizes: powers of two up to the maximum. */
    virtio_queue_set_num(&dev.vdev, 0, 12);
    assert_int_equal(dev.vq->num, QSIZE);
    virtio_queue_set_num(&dev.vdev, 0, 8);
    assert_int_equal(dev.vq->num, 8);
    virtio_queue_set_num(&dev.vdev, 0, 32);
    assert_int_equal(dev.vq->num, 8);
}

static void test_iov_helpers(void **state)
{
    char a[3], b[5], out[8] = { 0 };
    struct iovec iov[2] = { { a, 3 }, { b, 5 } };

    assert_int_equal(iov_from_buf(iov, 2, 1, "abcdefgh", 8), 7);
    assert_int_equal(iov_to_buf(iov, 2, 2, out, 8), 6);
    assert_memory_equal(out, "bcdefg", 6);
    assert_int_equal(iov_size(iov, 2), 8);
}

static int group_setup(void **state)
{
    bql_lock();
    memory_region_init_ram(&ram, NULL, "test-ram", RAM_SIZE, &error_abort);
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    memory_region_init_io(&mmio, NULL, &mmio_ops, NULL, "test-mmio", 0x1000);
    memory_region_add_subregion(get_system_memory(), MMIO_BASE, &mmio);
    host = memory_region_get_ram_ptr(&ram);
    return 0;
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_good_chain),
        T(test_indirect),
        T(test_buffer_across_regions),
        T(test_event_idx),
        T(test_no_interrupt_flag),
        T(test_descriptor_loop),
        T(test_self_loop_writable),
        T(test_indirect_loop),
        T(test_head_out_of_range),
        T(test_next_out_of_range),
        T(test_avail_idx_jump),
        T(test_buffer_outside_ram),
        T(test_buffer_in_mmio),
        T(test_length_wraps),
        T(test_zero_length),
        T(test_readable_after_writable),
        T(test_nested_indirect),
        T(test_indirect_bad_size),
        T(test_indirect_table_outside_ram),
        T(test_indirect_too_long),
        T(test_indirect_with_next),
        T(test_indirect_not_negotiated),
        T(test_rings_outside_ram),
        T(test_features),
        T(test_iov_helpers),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
