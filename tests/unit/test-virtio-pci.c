/*
 * virtio-blk-pci on an i440FX bus, seen as a driver sees it: IDs and the
 * vendor capabilities in config space, BAR4's common config (features,
 * queue set-up, status), the device config (capacity), a READ request
 * round trip through the block layer with the INTx/ISR fallback, and a
 * malformed request breaking the device with NEEDS_RESET; the device's
 * VMState ("virtio-blk": PCI config, MSI-X, transport, queues) saved,
 * loaded into a freshly realized device that then serves the next
 * request, and inconsistent state refused with the field named; a
 * block_resize raising a config-change interrupt with the new capacity.
 */
#include "test.h"
#include "hw/pci/pci.h"
#include "hw/pci-host/i440fx.h"
#include "hw/southbridge/piix.h"
#include "hw/virtio/virtio-pci.h"
#include "hw/virtio/virtio-blk.h"
#include "hw/qdev-properties.h"
#include "block/block-backend.h"
#include "block/blockdev.h"
#include "memory/memory.h"
#include "system/main-loop.h"
#include "hw/pci/msix.h"
#include "migration/qemu-file.h"
#include "migration/vmstate.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED
#define DEVFN PCI_DEVFN(3, 0)
#define BAR4_ADDR 0xe0000000ULL
#define BAR1_ADDR 0xe0010000ULL
#define DESC  0x1000ULL
#define AVAIL 0x2000ULL
#define USED  0x3000ULL
#define HDR   0x10000ULL
#define DATA  0x11000ULL
#define STAT  0x12000ULL

static MemoryRegion pci_memory, ram;
static uint8_t *host;
static PCIBus *bus;
static char img[] = "/tmp/osprey-virtio-pci-XXXXXX";
static qemu_irq *isa_irqs;

static void isa_irq_handler(void *opaque, int n, int level)
{
}

static uint32_t cfg_read(int reg, int len)
{
    address_space_stl_le(&address_space_io, 0xcf8,
                         0x80000000u | DEVFN << 8 | (reg & 0xfc), ATTRS, NULL);
    switch (len) {
    case 1:
        return address_space_ldub(&address_space_io, 0xcfc + (reg & 3),
                                  ATTRS, NULL);
    case 2:
        return address_space_lduw_le(&address_space_io, 0xcfc + (reg & 2),
                                     ATTRS, NULL);
    default:
        return address_space_ldl_le(&address_space_io, 0xcfc, ATTRS, NULL);
    }
}

static void cfg_write(int reg, uint32_t val)
{
    address_space_stl_le(&address_space_io, 0xcf8,
                         0x80000000u | DEVFN << 8 | (reg & 0xfc), ATTRS, NULL);
    address_space_stl_le(&address_space_io, 0xcfc, val, ATTRS, NULL);
}

static uint32_t common_read(unsigned off, int len)
{
    hwaddr a = BAR4_ADDR + VIRTIO_PCI_COMMON_OFFSET + off;
    return len == 1 ? address_space_ldub(&address_space_memory, a, ATTRS, NULL)
         : len == 2 ? address_space_lduw_le(&address_space_memory, a, ATTRS,
                                            NULL)
         : address_space_ldl_le(&address_space_memory, a, ATTRS, NULL);
}

static void common_write(unsigned off, uint32_t val, int len)
{
    hwaddr a = BAR4_ADDR + VIRTIO_PCI_COMMON_OFFSET + off;
    if (len == 1) {
        address_space_stb(&address_space_memory, a, val, ATTRS, NULL);
    } else if (len == 2) {
        address_space_stw_le(&address_space_memory, a, val, ATTRS, NULL);
    } else {
        address_space_stl_le(&address_space_memory, a, val, ATTRS, NULL);
    }
}

static void put16(hwaddr a, uint16_t v) { memcpy(host + a, &v, 2); }
static void put32(hwaddr a, uint32_t v) { memcpy(host + a, &v, 4); }
static void put64(hwaddr a, uint64_t v) { memcpy(host + a, &v, 8); }
static uint16_t get16(hwaddr a) { uint16_t v; memcpy(&v, host + a, 2); return v; }

static void desc(unsigned i, uint64_t addr, uint32_t len, uint16_t flags,
                 uint16_t next)
{
    put64(DESC + 16 * i, addr);
    put32(DESC + 16 * i + 8, len);
    put16(DESC + 16 * i + 12, flags);
    put16(DESC + 16 * i + 14, next);
}

static int group_setup(void **state)
{
    int fd = mkstemp(img);
    uint8_t sector[512];

    /* A 1 MiB raw image whose sector n is filled with byte n. */
    for (int n = 0; n < 2048; n++) {
        memset(sector, n & 0xff, sizeof(sector));
        assert_int_equal(write(fd, sector, sizeof(sector)), sizeof(sector));
    }
    close(fd);

    main_loop_init();
    bql_lock();
    memory_region_init_ram(&ram, NULL, "ram", 0x100000, &error_abort);
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    host = memory_region_get_ram_ptr(&ram);
    memory_region_init(&pci_memory, NULL, "pci", UINT64_MAX);
    memory_region_add_subregion_overlap(get_system_memory(), 0, &pci_memory,
                                        -1);
    bus = i440fx_init(get_system_memory(), NULL, &pci_memory, get_system_io(),
                      NULL);
    PCIDevice *p = pci_new_multifunction(PCI_DEVFN(1, 0), TYPE_PIIX3_DEVICE);
    pci_realize_and_unref(p, bus, &error_abort);
    isa_irqs = qemu_allocate_irqs(isa_irq_handler, NULL, 16);
    isa_bus_irqs(PIIX3_DEVICE(p)->isa_bus, isa_irqs);

    BlockBackend *blk = blk_new_open(img, "raw", BDRV_O_RDWR, &error_abort);
    blk_set_name(blk, "disk0");
    PCIDevice *vd = pci_new(DEVFN, "virtio-blk-pci");
    qdev_prop_set_string(DEVICE(vd), "drive", "disk0");
    qdev_prop_set_string(DEVICE(vd), "serial", "SN42");
    pci_realize_and_unref(vd, bus, &error_abort);

    /* Map the BARs as firmware would. */
    cfg_write(PCI_BASE_ADDRESS_0 + 4 * VIRTIO_PCI_MODERN_BAR, BAR4_ADDR);
    cfg_write(PCI_BASE_ADDRESS_0 + 4 * VIRTIO_PCI_MODERN_BAR + 4, 0);
    cfg_write(PCI_BASE_ADDRESS_0 + 4 * VIRTIO_PCI_MSIX_BAR, BAR1_ADDR);
    cfg_write(PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    return 0;
}

static int group_teardown(void **state)
{
    unlink(img);
    qemu_free_irqs(isa_irqs, 16);
    return 0;
}

static void test_ids_and_capabilities(void **state)
{
    unsigned seen = 0;

    assert_int_equal(cfg_read(PCI_VENDOR_ID, 2), 0x1af4);
    assert_int_equal(cfg_read(PCI_DEVICE_ID, 2), 0x1042);
    assert_int_equal(cfg_read(PCI_REVISION_ID, 1), 1);
    assert_int_equal(cfg_read(PCI_INTERRUPT_PIN, 1), 1);
    assert_true(cfg_read(PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    for (unsigned pos = cfg_read(PCI_CAPABILITY_LIST, 1), n = 0; pos && n < 16;
         pos = cfg_read(pos + 1, 1), n++) {
        if (cfg_read(pos, 1) != PCI_CAP_ID_VNDR) {
            continue;
        }
        unsigned type = cfg_read(pos + 3, 1);
        assert_int_equal(cfg_read(pos + 4, 1), VIRTIO_PCI_MODERN_BAR);
        uint32_t off = cfg_read(pos + 8, 4), len = cfg_read(pos + 12, 4);
        switch (type) {
        case VIRTIO_PCI_CAP_COMMON_CFG:
            assert_int_equal(off, VIRTIO_PCI_COMMON_OFFSET);
            assert_int_equal(len, VIRTIO_PCI_COMMON_SIZE);
            break;
        case VIRTIO_PCI_CAP_NOTIFY_CFG:
            assert_int_equal(cfg_read(pos + 2, 1), 20);
            assert_int_equal(cfg_read(pos + 16, 4),
                             VIRTIO_PCI_NOTIFY_MULTIPLIER);
            break;
        case VIRTIO_PCI_CAP_DEVICE_CFG:
            assert_int_equal(len, VIRTIO_BLK_CONFIG_SIZE);
            break;
        }
        seen |= 1u << type;
    }
    assert_int_equal(seen, 0x1e);      /* types 1..4 */
    /* BAR4: 64-bit prefetchable memory. */
    assert_int_equal(cfg_read(PCI_BASE_ADDRESS_0 + 16, 4) & 0xf, 0xc);
    assert_int_equal(pci_find_capability(
        pci_find_device(bus, 0, DEVFN), PCI_CAP_ID_MSIX) != 0, 1);
}

static void test_common_and_device_config(void **state)
{
    common_write(VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_DF, 4) & 1, 1); /* V1 */
    common_write(VIRTIO_PCI_COMMON_DFSELECT, 0, 4);
    uint32_t f = common_read(VIRTIO_PCI_COMMON_DF, 4);
    assert_true(f & (1u << VIRTIO_BLK_F_FLUSH));
    assert_true(f & (1u << VIRTIO_BLK_F_SEG_MAX));
    assert_false(f & (1u << VIRTIO_BLK_F_RO));
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_NUMQ, 2), 1);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_Q_SIZE, 2),
                     VIRTIO_BLK_QUEUE_SIZE);
    /* A queue that does not exist reads size 0. */
    common_write(VIRTIO_PCI_COMMON_Q_SELECT, 5, 2);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_Q_SIZE, 2), 0);
    common_write(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);

    hwaddr dc = BAR4_ADDR + VIRTIO_PCI_DEVICE_OFFSET;
    assert_int_equal(address_space_ldq_le(&address_space_memory,
                                          dc + VIRTIO_BLK_CFG_CAPACITY,
                                          ATTRS, NULL), 2048);
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          dc + VIRTIO_BLK_CFG_BLK_SIZE,
                                          ATTRS, NULL), 512);
    /* Out of the device config: zero, no crash. */
    assert_int_equal(address_space_ldl_le(&address_space_memory, dc + 0x800,
                                          ATTRS, NULL), 0);
    /* MSI-X vectors beyond the table read back as NO_VECTOR. */
    common_write(VIRTIO_PCI_COMMON_MSIX, 7, 2);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_MSIX, 2), 0xffff);
    common_write(VIRTIO_PCI_COMMON_MSIX, 0, 2);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_MSIX, 2), 0);
}

/* Driver initialisation per VIRTIO 1.1 3.1.1, with one queue. */
static void driver_init(void)
{
    common_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
    common_write(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
    common_write(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                 VIRTIO_CONFIG_S_DRIVER, 1);
    common_write(VIRTIO_PCI_COMMON_GFSELECT, 0, 4);
    common_write(VIRTIO_PCI_COMMON_GF, 1u << VIRTIO_BLK_F_FLUSH, 4);
    common_write(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    common_write(VIRTIO_PCI_COMMON_GF, 1, 4);              /* VERSION_1 */
    common_write(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                 VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK, 1);
    assert_true(common_read(VIRTIO_PCI_COMMON_STATUS, 1) &
                VIRTIO_CONFIG_S_FEATURES_OK);
    common_write(VIRTIO_PCI_COMMON_Q_SELECT, 0, 2);
    common_write(VIRTIO_PCI_COMMON_Q_SIZE, 16, 2);
    common_write(VIRTIO_PCI_COMMON_Q_DESCLO, DESC, 4);
    common_write(VIRTIO_PCI_COMMON_Q_DESCHI, 0, 4);
    common_write(VIRTIO_PCI_COMMON_Q_AVAILLO, AVAIL, 4);
    common_write(VIRTIO_PCI_COMMON_Q_AVAILHI, 0, 4);
    common_write(VIRTIO_PCI_COMMON_Q_USEDLO, USED, 4);
    common_write(VIRTIO_PCI_COMMON_Q_USEDHI, 0, 4);
    common_write(VIRTIO_PCI_COMMON_Q_ENABLE, 1, 2);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
    common_write(VIRTIO_PCI_COMMON_STATUS, VIRTIO_CONFIG_S_ACKNOWLEDGE |
                 VIRTIO_CONFIG_S_DRIVER | VIRTIO_CONFIG_S_FEATURES_OK |
                 VIRTIO_CONFIG_S_DRIVER_OK, 1);
}

static void submit(uint32_t type, uint64_t sector, uint32_t data_len)
{
    memset(host, 0, 0x20000);
    put32(HDR, type);
    put64(HDR + 8, sector);
    desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    desc(1, DATA, data_len, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 2);
    desc(2, STAT, 1, VRING_DESC_F_WRITE, 0);
    host[STAT] = 0xff;
    put16(AVAIL + 4, 0);
    put16(AVAIL + 2, 1);
    address_space_stw_le(&address_space_memory,
                         BAR4_ADDR + VIRTIO_PCI_NOTIFY_OFFSET, 0, ATTRS,
                         NULL);
}

static void wait_used(uint16_t idx)
{
    for (int i = 0; i < 10000 && get16(USED + 2) != idx; i++) {
        main_loop_wait(false);
    }
    assert_int_equal(get16(USED + 2), idx);
}

static void test_read_request_intx(void **state)
{
    driver_init();
    submit(VIRTIO_BLK_T_IN, 5, 1024);
    wait_used(1);
    assert_int_equal(host[STAT], VIRTIO_BLK_S_OK);
    assert_int_equal(host[DATA], 5);
    assert_int_equal(host[DATA + 1023], 6);
    /* MSI-X is off: INTx is up, ISR says "queue"; reading clears both. */
    assert_true(cfg_read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    assert_int_equal(address_space_ldub(&address_space_memory,
                                        BAR4_ADDR + VIRTIO_PCI_ISR_OFFSET,
                                        ATTRS, NULL), 1);
    assert_false(cfg_read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);

    /* GET_ID returns the serial; beyond the disk end is IOERR. */
    driver_init();
    submit(VIRTIO_BLK_T_GET_ID, 0, 20);
    wait_used(1);
    assert_int_equal(host[STAT], VIRTIO_BLK_S_OK);
    assert_string_equal((char *)host + DATA, "SN42");
    driver_init();
    submit(VIRTIO_BLK_T_IN, 2047, 1024);
    wait_used(1);
    assert_int_equal(host[STAT], VIRTIO_BLK_S_IOERR);
}

static uint64_t capacity(void)
{
    return address_space_ldq_le(&address_space_memory,
                                BAR4_ADDR + VIRTIO_PCI_DEVICE_OFFSET +
                                VIRTIO_BLK_CFG_CAPACITY, ATTRS, NULL);
}

static uint8_t isr_read(void)
{
    return address_space_ldub(&address_space_memory,
                              BAR4_ADDR + VIRTIO_PCI_ISR_OFFSET, ATTRS, NULL);
}

/*
 * block_resize: the driver sees ISR bit 1 (configuration change) with
 * INTx, a new config generation and the new capacity, and can read the
 * sectors that were added.
 */
static void test_resize_config_interrupt(void **state)
{
    Error *err = NULL;

    driver_init();
    isr_read();
    assert_false(cfg_read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    uint32_t gen = common_read(VIRTIO_PCI_COMMON_CFGGENERATION, 1);
    assert_int_equal(capacity(), 2048);

    assert_true(qmp_block_resize("disk0", NULL, 2 * MiB, &err));
    assert_int_equal(capacity(), 4096);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_CFGGENERATION, 1),
                     (gen + 1) & 0xff);
    assert_true(cfg_read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    assert_int_equal(isr_read(), 2);
    assert_false(cfg_read(PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);

    /* The new sectors read as zeroes; the old ones are unchanged. */
    submit(VIRTIO_BLK_T_IN, 4095, 512);
    wait_used(1);
    assert_int_equal(host[STAT], VIRTIO_BLK_S_OK);
    assert_int_equal(host[DATA], 0);
    driver_init();
    submit(VIRTIO_BLK_T_IN, 7, 512);
    wait_used(1);
    assert_int_equal(host[DATA], 7);
    isr_read();

    /* A failed resize changes nothing and says nothing to the guest. */
    assert_false(qmp_block_resize("disk0", NULL, -512, &err));
    assert_string_equal(error_get_pretty(err),
                        "Parameter 'size' expects a >0 size");
    error_free(err);
    err = NULL;
    assert_int_equal(isr_read(), 0);
    assert_int_equal(capacity(), 4096);

    /* Back to 1 MiB for the tests that follow. */
    gen = common_read(VIRTIO_PCI_COMMON_CFGGENERATION, 1);
    assert_true(qmp_block_resize(NULL, "disk0", 1 * MiB, &err));
    assert_int_equal(capacity(), 2048);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_CFGGENERATION, 1),
                     (gen + 1) & 0xff);
    assert_int_equal(isr_read(), 2);
    driver_init();
    submit(VIRTIO_BLK_T_IN, 2048, 512);
    wait_used(1);
    assert_int_equal(host[STAT], VIRTIO_BLK_S_IOERR);
    isr_read();
}

static void test_malformed_request_needs_reset(void **state)
{
    driver_init();
    memset(host, 0, 0x20000);
    desc(0, HDR, 16, VRING_DESC_F_NEXT, 1);
    desc(1, DATA, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 0);  /* loop */
    put16(AVAIL + 4, 0);
    put16(AVAIL + 2, 1);
    address_space_stw_le(&address_space_memory,
                         BAR4_ADDR + VIRTIO_PCI_NOTIFY_OFFSET, 0, ATTRS,
                         NULL);
    assert_true(common_read(VIRTIO_PCI_COMMON_STATUS, 1) &
                VIRTIO_CONFIG_S_NEEDS_RESET);
    assert_int_equal(get16(USED + 2), 0);
    /* Config change in the ISR (bit 1). */
    assert_int_equal(address_space_ldub(&address_space_memory,
                                        BAR4_ADDR + VIRTIO_PCI_ISR_OFFSET,
                                        ATTRS, NULL) & 2, 2);
    /* Reset recovers. */
    common_write(VIRTIO_PCI_COMMON_STATUS, 0, 1);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_STATUS, 1), 0);
    driver_init();
    submit(VIRTIO_BLK_T_IN, 1, 512);
    wait_used(1);
    assert_int_equal(host[DATA], 1);
}

/* ---- VMState ------------------------------------------------------------ */

typedef struct Blob {
    uint8_t *data;
    size_t len;
} Blob;

static PCIDevice *vdev_pci(void)
{
    PCIDevice *pd = pci_find_device(bus, 0, DEVFN);

    assert_non_null(pd);
    return pd;
}

static Blob save_dev(PCIDevice *pd)
{
    const VMStateDescription *vmsd = DEVICE_GET_CLASS(pd)->vmsd;
    QEMUFile *f = qemu_file_new_buffer_output();
    const uint8_t *p;
    Blob b;

    assert_non_null(vmsd);
    assert_string_equal(vmsd->name, "virtio-blk");
    assert_int_equal(vmstate_save_state(f, vmsd, pd, NULL, &error_abort), 0);
    p = qemu_file_buffer_data(f, &b.len);
    b.data = xmalloc(b.len);
    memcpy(b.data, p, b.len);
    qemu_fclose(f);
    return b;
}

/* 0, or -errno with the error's message in *msg (caller frees). */
static int load_dev(PCIDevice *pd, Blob b, char **msg)
{
    const VMStateDescription *vmsd = DEVICE_GET_CLASS(pd)->vmsd;
    QEMUFile *f = qemu_file_new_buffer_input(b.data, b.len);
    Error *err = NULL;
    int ret = vmstate_load_state(f, vmsd, pd, vmsd->version_id, &err);

    if (ret) {
        assert_non_null(err);
        *msg = xstrdup(error_get_pretty(err));
        error_free(err);
    } else {
        assert_null(err);
    }
    qemu_fclose(f);
    return ret;
}

/* Put head descriptor `head` in avail slot idx and publish idx + 1. */
static void post(uint16_t idx, uint16_t head)
{
    put16(AVAIL + 4 + 2 * (idx % 16), head);
    put16(AVAIL + 2, idx + 1);
    address_space_stw_le(&address_space_memory,
                         BAR4_ADDR + VIRTIO_PCI_NOTIFY_OFFSET, 0, ATTRS,
                         NULL);
}

/* A read of 512 bytes of sector into DATA + 0x200 * head. */
static void read_chain(uint16_t head, uint64_t sector)
{
    hwaddr hdr = HDR + 0x20 * head, data = DATA + 0x200 * head;

    put32(hdr, VIRTIO_BLK_T_IN);
    put32(hdr + 4, 0);
    put64(hdr + 8, sector);
    desc(3 * head, hdr, 16, VRING_DESC_F_NEXT, 3 * head + 1);
    desc(3 * head + 1, data, 512, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT,
         3 * head + 2);
    desc(3 * head + 2, STAT + head, 1, VRING_DESC_F_WRITE, 0);
    host[STAT + head] = 0xff;
}

static void recreate_device(void)
{
    PCIDevice *old = vdev_pci();

    qdev_unrealize(DEVICE(old));
    object_unparent(OBJECT(old));
    assert_null(pci_find_device(bus, 0, DEVFN));
    PCIDevice *vd = pci_new(DEVFN, "virtio-blk-pci");
    qdev_prop_set_string(DEVICE(vd), "drive", "disk0");
    qdev_prop_set_string(DEVICE(vd), "serial", "SN42");
    pci_realize_and_unref(vd, bus, &error_abort);
}

static void test_vmstate_roundtrip_fresh_device(void **state)
{
    hwaddr msix = BAR1_ADDR;
    PCIDevice *pd = vdev_pci();
    char *msg = NULL;

    driver_init();
    memset(host, 0, 0x20000);
    /* Vectors and an MSI-X table entry, as a driver programs them. */
    common_write(VIRTIO_PCI_COMMON_MSIX, 1, 2);
    address_space_stl_le(&address_space_memory, msix + 8, 0x4321, ATTRS,
                         NULL);
    common_write(VIRTIO_PCI_COMMON_DFSELECT, 1, 4);
    common_write(VIRTIO_PCI_COMMON_GFSELECT, 1, 4);
    read_chain(0, 5);
    post(0, 0);
    wait_used(1);
    assert_int_equal(host[STAT], VIRTIO_BLK_S_OK);
    assert_int_equal(host[DATA], 5);

    Blob b = save_dev(pd);
    VirtIODevice *vdev = VIRTIO_PCI(pd)->vdev;
    assert_int_equal(vdev->vq[0].last_avail_idx, 1);

    /* A fresh device: reset registers, queue off, BARs unmapped. */
    recreate_device();
    pd = vdev_pci();
    vdev = VIRTIO_PCI(pd)->vdev;
    assert_false(vdev->vq[0].enabled);
    assert_int_equal(load_dev(pd, b, &msg), 0);

    /* BARs are mapped again, and the registers read what was set. */
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_STATUS, 1),
                     VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
                     VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_MSIX, 2), 1);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_DFSELECT, 4), 1);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_GFSELECT, 4), 1);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_GF, 4), 1);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_Q_SIZE, 2), 16);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_Q_ENABLE, 2), 1);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_Q_DESCLO, 4), DESC);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_Q_AVAILLO, 4), AVAIL);
    assert_int_equal(common_read(VIRTIO_PCI_COMMON_Q_USEDLO, 4), USED);
    assert_int_equal(address_space_ldl_le(&address_space_memory, msix + 8,
                                          ATTRS, NULL), 0x4321);
    assert_int_equal(address_space_ldq_le(&address_space_memory,
                                          BAR4_ADDR + VIRTIO_PCI_DEVICE_OFFSET
                                          + VIRTIO_BLK_CFG_CAPACITY,
                                          ATTRS, NULL), 2048);

    /* Saving again gives the same bytes. */
    Blob again = save_dev(pd);
    assert_int_equal(again.len, b.len);
    assert_memory_equal(again.data, b.data, b.len);
    free(again.data);

    /* The queue continues: the next request goes in avail slot 1. */
    read_chain(1, 7);
    post(1, 3);
    wait_used(2);
    assert_int_equal(host[STAT + 1], VIRTIO_BLK_S_OK);
    assert_int_equal(host[DATA + 0x200], 7);
    assert_int_equal(get16(USED + 4 + 8), 3);        /* used[1].id */
    free(b.data);
}

/* Save pd with one field corrupted by poke, expect a load naming `want`. */
static void expect_refused(PCIDevice *pd, Blob good, void (*poke)(VirtIODevice *),
                           const char *want)
{
    VirtIODevice *vdev = VIRTIO_PCI(pd)->vdev;
    char *msg = NULL;

    poke(vdev);
    Blob bad = save_dev(pd);
    assert_int_equal(load_dev(pd, good, &msg), 0);
    assert_int_not_equal(load_dev(pd, bad, &msg), 0);
    if (!strstr(msg, want)) {
        fail_msg("error '%s' does not name '%s'", msg, want);
    }
    free(msg);
    msg = NULL;
    /* A half-loaded device is broken: a notify processes nothing. */
    assert_true(vdev->broken);
    virtio_queue_notify(vdev, 0);
    /* The good state loads again and the device works. */
    assert_int_equal(load_dev(pd, good, &msg), 0);
    assert_false(vdev->broken);
    free(bad.data);
}

static void poke_size(VirtIODevice *v) { v->vq[0].num = 24; }
static void poke_size_big(VirtIODevice *v) { v->vq[0].num = 512; }
static void poke_idx(VirtIODevice *v) { v->vq[0].last_avail_idx += 100; }
static void poke_desc(VirtIODevice *v) { v->vq[0].desc = 0x7fff0000; }
static void poke_used(VirtIODevice *v) { v->vq[0].used = 0x100000 - 8; }
static void poke_vector(VirtIODevice *v) { v->vq[0].vector = 9; }
static void poke_features(VirtIODevice *v) { v->guest_features |= 1ULL << 60; }
static void poke_queue1(VirtIODevice *v) { v->vq[1].num = 16; }

static void test_vmstate_inconsistent_refused(void **state)
{
    PCIDevice *pd = vdev_pci();

    driver_init();
    memset(host, 0, 0x20000);
    Blob good = save_dev(pd);
    expect_refused(pd, good, poke_size, "num: a power of two");
    expect_refused(pd, good, poke_size_big, "num: a power of two");
    expect_refused(pd, good, poke_idx, "last_avail_idx");
    expect_refused(pd, good, poke_desc, "desc/avail/used");
    expect_refused(pd, good, poke_used, "desc/avail/used");
    expect_refused(pd, good, poke_vector, "vectors");
    expect_refused(pd, good, poke_features, "guest_features");
    expect_refused(pd, good, poke_queue1, "num: a power of two");
    /* A truncated stream is an error, not a crash. */
    char *msg = NULL;
    Blob cut = { good.data, good.len / 2 };
    assert_int_not_equal(load_dev(pd, cut, &msg), 0);
    free(msg);
    assert_int_equal(load_dev(pd, good, &msg), 0);
    read_chain(0, 9);
    post(0, 0);
    wait_used(1);
    assert_int_equal(host[DATA], 9);
    free(good.data);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ids_and_capabilities),
        cmocka_unit_test(test_common_and_device_config),
        cmocka_unit_test(test_read_request_intx),
        cmocka_unit_test(test_resize_config_interrupt),
        cmocka_unit_test(test_malformed_request_needs_reset),
        cmocka_unit_test(test_vmstate_roundtrip_fresh_device),
        cmocka_unit_test(test_vmstate_inconsistent_refused),
    };
    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
