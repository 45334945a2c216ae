/*
 * PCI on the i440FX + PIIX3 pair, driven through 0xCF8/0xCFC as firmware
 * does: the chipset's IDs, BAR sizing, BARs mapped and moved and unmapped
 * by the command register, INTx through the swizzle and the PIIX3 PIRQ
 * routing (matching acpi-build's _PRT), and MSI-X / MSI messages reaching
 * a real local APIC through its MSI region.
 */
#include "test.h"
#include "hw/pci/pci.h"
#include "hw/pci/msi.h"
#include "hw/pci/msix.h"
#include "hw/pci-host/i440fx.h"
#include "hw/southbridge/piix.h"
#include "hw/i386/apic.h"
#include "hw/i386/acpi-build.h"
#include "hw/qdev-properties.h"
#include "memory/memory.h"
#include "system/main-loop.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED

/* ---- a test device ---------------------------------------------------- */

#define TYPE_TEST_PCI_DEV "test-pci-dev"

typedef struct TestPCIDev {
    PCIDevice parent_obj;
    MemoryRegion mmio;          /* BAR0: 4 KiB */
    MemoryRegion io;            /* BAR1: 16 ports */
    MemoryRegion msix_bar;      /* BAR2: 64-bit prefetchable, 16 KiB */
    uint32_t reg;
} TestPCIDev;

#define TEST_PCI_DEV(obj) OBJECT_CHECK(TestPCIDev, (obj), TYPE_TEST_PCI_DEV)

static uint64_t test_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    TestPCIDev *d = opaque;

    return addr == 0 ? 0x12345678 : d->reg;
}

static void test_mmio_write(void *opaque, hwaddr addr, uint64_t val,
                            unsigned size)
{
    TEST_PCI_DEV(opaque)->reg = val;
}

static const MemoryRegionOps test_mmio_ops = {
    .read = test_mmio_read,
    .write = test_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void test_pci_dev_realize(PCIDevice *pd, Error **errp)
{
    TestPCIDev *d = TEST_PCI_DEV(pd);

    pd->config[PCI_INTERRUPT_PIN] = 1;          /* INTA */
    memory_region_init_io(&d->mmio, OBJECT(d), &test_mmio_ops, d, "test-mmio",
                          4096);
    memory_region_init_io(&d->io, OBJECT(d), &test_mmio_ops, d, "test-io",
                          16);
    memory_region_init(&d->msix_bar, OBJECT(d), "test-msix", 16384);
    pci_register_bar(pd, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &d->mmio);
    pci_register_bar(pd, 1, PCI_BASE_ADDRESS_SPACE_IO, &d->io);
    pci_register_bar(pd, 2, PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &d->msix_bar);
    if (msix_init(pd, 4, &d->msix_bar, 2, 0, &d->msix_bar, 2, 0x2000, 0,
                  errp) < 0) {
        return;
    }
    msi_init(pd, 0, 4, true, true, errp);
}

static void test_pci_dev_exit(PCIDevice *pd)
{
    TestPCIDev *d = TEST_PCI_DEV(pd);

    msix_uninit(pd, &d->msix_bar, &d->msix_bar);
}

static void test_pci_dev_class_init(ObjectClass *klass, const void *data)
{
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = test_pci_dev_realize;
    k->exit = test_pci_dev_exit;
    k->vendor_id = 0x1234;
    k->device_id = 0x5678;
    k->class_id = PCI_CLASS_OTHERS;
}

#define TYPE_TEST_CPU "test-pci-cpu"

static const TypeInfo test_types[] = {
    {
        .name = TYPE_TEST_PCI_DEV,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(TestPCIDev),
        .class_size = sizeof(PCIDeviceClass),
        .class_init = test_pci_dev_class_init,
    },
    {
        .name = TYPE_TEST_CPU,
        .parent = TYPE_CPU,
        .instance_size = sizeof(CPUState),
        .class_size = sizeof(CPUClass),
    },
};
DEFINE_TYPES(test_types)

/* ---- the machine ------------------------------------------------------ */

static MemoryRegion pci_memory;
static PCIBus *bus;
static PIIX3State *piix3;
static PCIDevice *tdev, *tdev2;
static DeviceState *host;
static CPUState *cpu;
static DeviceState *apic;
static int isa_level[16];
static qemu_irq *isa_irqs;

static void isa_irq_handler(void *opaque, int n, int level)
{
    isa_level[n] = level;
}

static uint32_t cfg_read(int devfn, int reg, int len)
{
    address_space_stl_le(&address_space_io, 0xcf8,
                         0x80000000u | devfn << 8 | (reg & 0xfc), ATTRS,
                         NULL);
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

static void cfg_write(int devfn, int reg, uint32_t val, int len)
{
    address_space_stl_le(&address_space_io, 0xcf8,
                         0x80000000u | devfn << 8 | (reg & 0xfc), ATTRS,
                         NULL);
    switch (len) {
    case 1:
        address_space_stb(&address_space_io, 0xcfc + (reg & 3), val, ATTRS,
                          NULL);
        break;
    case 2:
        address_space_stw_le(&address_space_io, 0xcfc + (reg & 2), val,
                             ATTRS, NULL);
        break;
    default:
        address_space_stl_le(&address_space_io, 0xcfc, val, ATTRS, NULL);
        break;
    }
}

#define TDEV PCI_DEVFN(3, 0)
#define TDEV2 PCI_DEVFN(4, 0)

static int group_setup(void **state)
{
    PCIDevice *p;

    bql_lock();
    memory_region_init(&pci_memory, NULL, "pci", UINT64_MAX);
    memory_region_add_subregion_overlap(get_system_memory(), 0, &pci_memory,
                                        -1);
    bus = i440fx_init(get_system_memory(), NULL, &pci_memory, get_system_io(),
                      NULL);
    host = DEVICE(object_resolve_path("/machine/i440fx", NULL));
    assert_non_null(host);
    p = pci_new_multifunction(PCI_DEVFN(1, 0), TYPE_PIIX3_DEVICE);
    pci_realize_and_unref(p, bus, &error_abort);
    piix3 = PIIX3_DEVICE(p);
    isa_irqs = qemu_allocate_irqs(isa_irq_handler, NULL, 16);
    isa_bus_irqs(piix3->isa_bus, isa_irqs);
    tdev = pci_create_simple(bus, TDEV, TYPE_TEST_PCI_DEV);
    tdev2 = pci_create_simple(bus, TDEV2, TYPE_TEST_PCI_DEV);

    cpu = CPU(object_new(TYPE_TEST_CPU));
    cpu->cpu_index = 0;
    apic = qdev_new(TYPE_APIC);
    object_property_set_link(OBJECT(apic), "cpu", OBJECT(cpu), &error_abort);
    qdev_realize(apic, NULL, &error_abort);
    return 0;
}

static int group_teardown(void **state)
{
    /* The rest lives in the QOM tree until exit; these lines are ours. */
    qemu_free_irqs(isa_irqs, 16);
    return 0;
}

static int setup(void **state)
{
    device_cold_reset(host);
    device_cold_reset(apic);
    apic_mem_writel(apic, APIC_REG_SVR, APIC_SV_ENABLE | 0xff);
    memset(isa_level, 0, sizeof(isa_level));
    return 0;
}

static void test_chipset_ids(void **state)
{
    assert_int_equal(cfg_read(PCI_DEVFN(0, 0), PCI_VENDOR_ID, 4), 0x12378086);
    assert_int_equal(cfg_read(PCI_DEVFN(0, 0), PCI_CLASS_DEVICE, 2), 0x0600);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 0), PCI_VENDOR_ID, 4), 0x70008086);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 0), PCI_CLASS_DEVICE, 2), 0x0601);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 0), PCI_HEADER_TYPE, 1) & 0x80,
                     0x80);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 0), PCI_DEVICE_ID, 2), 0x7000);
    assert_int_equal(cfg_read(PCI_DEVFN(1, 0), PIIX_PIRQCA, 1), 0x80);
    /* Nothing at 00:05.0, or on bus 1: all ones. */
    assert_int_equal(cfg_read(PCI_DEVFN(5, 0), 0, 4), 0xffffffff);
    address_space_stl_le(&address_space_io, 0xcf8, 0x80010000, ATTRS, NULL);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xcfc, ATTRS,
                                          NULL), 0xffffffff);
    /* Enable bit clear: all ones; CONFIG_ADDRESS reads back. */
    address_space_stl_le(&address_space_io, 0xcf8, 0x00000000, ATTRS, NULL);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xcfc, ATTRS,
                                          NULL), 0xffffffff);
    address_space_stl_le(&address_space_io, 0xcf8, 0x80000000, ATTRS, NULL);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xcf8, ATTRS,
                                          NULL), 0x80000000);
    /* Read-only fields stay put. */
    cfg_write(PCI_DEVFN(0, 0), PCI_VENDOR_ID, 0xdeadbeef, 4);
    assert_int_equal(cfg_read(PCI_DEVFN(0, 0), PCI_VENDOR_ID, 4), 0x12378086);
    assert_int_equal(cfg_read(TDEV, PCI_VENDOR_ID, 4), 0x56781234);
    assert_int_equal(cfg_read(TDEV, PCI_INTERRUPT_PIN, 1), 1);
}

static void test_bar_sizing(void **state)
{
    cfg_write(TDEV, PCI_BASE_ADDRESS_0, 0xffffffff, 4);
    assert_int_equal(cfg_read(TDEV, PCI_BASE_ADDRESS_0, 4), 0xfffff000);
    cfg_write(TDEV, PCI_BASE_ADDRESS_0 + 4, 0xffffffff, 4);
    assert_int_equal(cfg_read(TDEV, PCI_BASE_ADDRESS_0 + 4, 4), 0xfffffff1);
    cfg_write(TDEV, PCI_BASE_ADDRESS_0 + 8, 0xffffffff, 4);
    cfg_write(TDEV, PCI_BASE_ADDRESS_0 + 12, 0xffffffff, 4);
    assert_int_equal(cfg_read(TDEV, PCI_BASE_ADDRESS_0 + 8, 4), 0xffffc00c);
    assert_int_equal(cfg_read(TDEV, PCI_BASE_ADDRESS_0 + 12, 4), 0xffffffff);
    /* Unimplemented BARs read 0. */
    cfg_write(TDEV, PCI_BASE_ADDRESS_0 + 16, 0xffffffff, 4);
    assert_int_equal(cfg_read(TDEV, PCI_BASE_ADDRESS_0 + 16, 4), 0);
    /* Sizing with decoding off maps nothing. */
    assert_int_equal(pci_get_bar_addr(tdev, 0), PCI_BAR_UNMAPPED);
}

static uint32_t mem_readl(hwaddr addr)
{
    return address_space_ldl_le(&address_space_memory, addr, ATTRS, NULL);
}

static void test_bar_mapping(void **state)
{
    cfg_write(TDEV, PCI_BASE_ADDRESS_0, 0xe0000000, 4);
    cfg_write(TDEV, PCI_BASE_ADDRESS_0 + 4, 0xc000, 4);
    /* Programmed but not enabled. */
    assert_int_not_equal(mem_readl(0xe0000000), 0x12345678);
    cfg_write(TDEV, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    assert_int_equal(pci_get_bar_addr(tdev, 0), 0xe0000000);
    assert_int_equal(mem_readl(0xe0000000), 0x12345678);
    address_space_stl_le(&address_space_memory, 0xe0000004, 77, ATTRS, NULL);
    assert_int_equal(mem_readl(0xe0000004), 77);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xc000, ATTRS,
                                          NULL), 0x12345678);

    /* Move it. */
    cfg_write(TDEV, PCI_BASE_ADDRESS_0, 0xe0010000, 4);
    assert_int_equal(mem_readl(0xe0010000), 0x12345678);
    assert_int_not_equal(mem_readl(0xe0000000), 0x12345678);

    /* 64-bit BAR above 4 GiB. */
    cfg_write(TDEV, PCI_BASE_ADDRESS_0 + 8, 0x00000000, 4);
    cfg_write(TDEV, PCI_BASE_ADDRESS_0 + 12, 0x00000008, 4);
    assert_int_equal(pci_get_bar_addr(tdev, 2), 0x800000000ULL);

    /* Memory decoding off: unmapped; I/O stays. */
    cfg_write(TDEV, PCI_COMMAND, PCI_COMMAND_IO, 2);
    assert_int_equal(pci_get_bar_addr(tdev, 0), PCI_BAR_UNMAPPED);
    assert_int_not_equal(mem_readl(0xe0010000), 0x12345678);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xc000, ATTRS,
                                          NULL), 0x12345678);
    /* Reset unmaps everything and clears the BARs. */
    device_cold_reset(host);
    assert_int_equal(pci_get_bar_addr(tdev, 1), PCI_BAR_UNMAPPED);
    assert_int_equal(cfg_read(TDEV, PCI_BASE_ADDRESS_0 + 4, 4), 0x1);
}

static void test_intx_routing(void **state)
{
    PcAcpiConfig cfg;
    /* Slot 3 INTA: PIRQ (3 + 0 - 1) & 3 = C; slot 4 INTA: PIRQ D. */
    unsigned gsi3, gsi4;

    pc_acpi_config_init(&cfg, 1);
    gsi3 = pc_acpi_pci_slot_gsi(&cfg, 3, 0);
    gsi4 = pc_acpi_pci_slot_gsi(&cfg, 4, 0);

    /* Unrouted after reset: nothing reaches the ISA bus. */
    pci_irq_assert(tdev);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(isa_level[i], 0);
    }
    assert_true(cfg_read(TDEV, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);

    /* Firmware programs PIRQ A-D as the _PRT says: 10, 10, 11, 11. */
    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA,
              cfg.pci_gsi[0] | cfg.pci_gsi[1] << 8 | cfg.pci_gsi[2] << 16 |
              (uint32_t)cfg.pci_gsi[3] << 24, 4);
    assert_int_equal(isa_level[gsi3], 1);
    assert_int_equal(gsi3, 11);

    /* Wired-OR with slot 4 (PIRQ D, also 11). */
    pci_irq_assert(tdev2);
    assert_int_equal(gsi4, 11);
    pci_irq_deassert(tdev);
    assert_int_equal(isa_level[11], 1);
    pci_irq_deassert(tdev2);
    assert_int_equal(isa_level[11], 0);

    /* Re-route PIRQC to IRQ 5 while asserted: 11 drops, 5 rises. */
    pci_irq_assert(tdev);
    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA + 2, 5, 1);
    assert_int_equal(isa_level[11], 0);
    assert_int_equal(isa_level[5], 1);
    /* INTX_DISABLE: off the wire, still visible in STATUS. */
    cfg_write(TDEV, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
    assert_int_equal(isa_level[5], 0);
    assert_true(cfg_read(TDEV, PCI_STATUS, 2) & PCI_STATUS_INTERRUPT);
    cfg_write(TDEV, PCI_COMMAND, 0, 2);
    assert_int_equal(isa_level[5], 1);
    /* Disabling the route. */
    cfg_write(PCI_DEVFN(1, 0), PIIX_PIRQCA + 2, 0x80, 1);
    assert_int_equal(isa_level[5], 0);
    pci_irq_deassert(tdev);
}

static void test_msix(void **state)
{
    const hwaddr bar = 0xe1000000;
    uint8_t cap = pci_find_capability(tdev, PCI_CAP_ID_MSIX);
    uint16_t ctrl;

    assert_int_not_equal(cap, 0);
    assert_true(cfg_read(TDEV, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
    ctrl = cfg_read(TDEV, cap + PCI_MSIX_FLAGS, 2);
    assert_int_equal(ctrl & PCI_MSIX_FLAGS_QSIZE, 3);     /* 4 entries */
    assert_int_equal(cfg_read(TDEV, cap + PCI_MSIX_TABLE, 4), 2);
    assert_int_equal(cfg_read(TDEV, cap + PCI_MSIX_PBA, 4), 0x2002);

    cfg_write(TDEV, PCI_BASE_ADDRESS_0 + 8, bar, 4);
    cfg_write(TDEV, PCI_BASE_ADDRESS_0 + 12, 0, 4);
    cfg_write(TDEV, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 2);
    /* Entry 1: APIC 0, vector 0x45; vector control 0 unmasks it. */
    address_space_stl_le(&address_space_memory, bar + 16, 0xfee00000, ATTRS,
                         NULL);
    address_space_stl_le(&address_space_memory, bar + 20, 0, ATTRS, NULL);
    address_space_stl_le(&address_space_memory, bar + 24, 0x45, ATTRS, NULL);
    address_space_stl_le(&address_space_memory, bar + 28, 0, ATTRS, NULL);
    assert_int_equal(mem_readl(bar + 24), 0x45);

    /* Not enabled yet: nothing. */
    msix_notify(tdev, 1);
    assert_int_equal(apic_get_interrupt(apic), -1);
    cfg_write(TDEV, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    msix_notify(tdev, 1);
    assert_int_equal(apic_get_interrupt(apic), 0x45);
    apic_mem_writel(apic, APIC_REG_EOI, 0);

    /* Function mask: pending in the PBA, sent on unmask. */
    cfg_write(TDEV, cap + PCI_MSIX_FLAGS,
              PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL, 2);
    msix_notify(tdev, 1);
    assert_int_equal(apic_get_interrupt(apic), -1);
    assert_int_equal(mem_readl(bar + 0x2000), 1u << 1);
    cfg_write(TDEV, cap + PCI_MSIX_FLAGS, PCI_MSIX_FLAGS_ENABLE, 2);
    assert_int_equal(mem_readl(bar + 0x2000), 0);
    assert_int_equal(apic_get_interrupt(apic), 0x45);
    apic_mem_writel(apic, APIC_REG_EOI, 0);

    /* Entry mask (vector 0 is masked from reset). */
    address_space_stl_le(&address_space_memory, bar, 0xfee00000, ATTRS,
                         NULL);
    address_space_stl_le(&address_space_memory, bar + 8, 0x46, ATTRS, NULL);
    msix_notify(tdev, 0);
    assert_true(msix_is_pending(tdev, 0));
    address_space_stl_le(&address_space_memory, bar + 12, 0, ATTRS, NULL);
    assert_false(msix_is_pending(tdev, 0));
    assert_int_equal(apic_get_interrupt(apic), 0x46);
    apic_mem_writel(apic, APIC_REG_EOI, 0);

    /* Bus mastering off: the write never happens. */
    cfg_write(TDEV, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    msix_notify(tdev, 1);
    assert_int_equal(apic_get_interrupt(apic), -1);
    /* Out-of-range vectors are ignored. */
    msix_notify(tdev, 200);
}

static void test_msi(void **state)
{
    uint8_t cap = pci_find_capability(tdev, PCI_CAP_ID_MSI);

    assert_int_not_equal(cap, 0);
    cfg_write(TDEV, PCI_COMMAND, PCI_COMMAND_MASTER, 2);
    cfg_write(TDEV, cap + PCI_MSI_ADDRESS_LO, 0xfee00000, 4);
    cfg_write(TDEV, cap + PCI_MSI_ADDRESS_HI, 0, 4);
    cfg_write(TDEV, cap + 12, 0x50, 2);                     /* data */
    /* 4 vectors enabled (QSIZE 2), MSI on. */
    cfg_write(TDEV, cap + PCI_MSI_FLAGS, 2 << 4 | PCI_MSI_FLAGS_ENABLE, 2);
    msi_notify(tdev, 2);
    assert_int_equal(apic_get_interrupt(apic), 0x52);
    apic_mem_writel(apic, APIC_REG_EOI, 0);
    /* Per-vector mask: pending, then sent on unmask. */
    cfg_write(TDEV, cap + 16, 1u << 3, 4);
    msi_notify(tdev, 3);
    assert_int_equal(apic_get_interrupt(apic), -1);
    cfg_write(TDEV, cap + 16, 0, 4);
    assert_int_equal(apic_get_interrupt(apic), 0x53);
    apic_mem_writel(apic, APIC_REG_EOI, 0);
}

static void test_bad_addresses(void **state)
{
    Error *err = NULL;
    PCIDevice *d;

    /* Slot taken. */
    d = pci_new(TDEV, TYPE_TEST_PCI_DEV);
    assert_false(pci_realize_and_unref(d, bus, &err));
    assert_non_null(strstr(error_get_pretty(err), "not available"));
    error_free(err);
    /* Config accesses past the end of the space or unaligned: dropped. */
    address_space_stl_le(&address_space_io, 0xcf8, 0x800018fc, ATTRS, NULL);
    address_space_stl_le(&address_space_io, 0xcfe, 0xffffffff, ATTRS, NULL);
    cfg_write(TDEV, 0xff, 0xff, 1);
    assert_int_equal(cfg_read(TDEV, 0xff, 1), 0xff);
    /* Byte writes to 0xCF8 leave CONFIG_ADDRESS alone. */
    address_space_stl_le(&address_space_io, 0xcf8, 0x80001800, ATTRS, NULL);
    address_space_stb(&address_space_io, 0xcf8, 0x10, ATTRS, NULL);
    assert_int_equal(address_space_ldl_le(&address_space_io, 0xcf8, ATTRS,
                                          NULL), 0x80001800);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_chipset_ids, setup),
        cmocka_unit_test_setup(test_bar_sizing, setup),
        cmocka_unit_test_setup(test_bar_mapping, setup),
        cmocka_unit_test_setup(test_intx_routing, setup),
        cmocka_unit_test_setup(test_msix, setup),
        cmocka_unit_test_setup(test_msi, setup),
        cmocka_unit_test_setup(test_bad_addresses, setup),
    };

    return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
