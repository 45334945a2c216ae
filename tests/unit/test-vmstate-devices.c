/*
 * VMState descriptions of the pc machine's devices and of the x86 CPU.
 *
 * Each test puts a device in a non-trivial state through its guest
 * interface (ports, MMIO, config space), saves it to a buffer, resets it
 * (or loads into a fresh object), loads, and checks what the guest sees:
 * register reads, pending interrupts, timers that keep their deadlines.
 * Every round trip also checks that save -> load -> save gives the same
 * bytes.  The whole set is then saved and loaded through the savevm
 * stream, and damaged streams are refused with a message naming the
 * section and the field.
 *
 * The devices sit on one chipset (i440FX + PIIX3 and its ISA bus) built
 * once; the virtual clock is stopped and stepped by hand.
 */
#include "test.h"
#include "hw/pci/pci.h"
#include "hw/pci/msix.h"
#include "hw/pci-host/i440fx.h"
#include "hw/southbridge/piix.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/i386/apic.h"
#include "hw/timer/i8254.h"
#include "hw/misc/pcspk.h"
#include "hw/rtc/mc146818rtc.h"
#include "hw/input/i8042.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/acpi/pm.h"
#include "hw/sysbus.h"
#include "hw/qdev-properties.h"
#include "memory/memory.h"
#include "migration/vmstate.h"
#include "migration/savevm.h"
#include "system/main-loop.h"
#include "system/timer.h"
#include "target/x86/cpu-qom.h"
#include "accel/tcg/cpu-exec.h"
#define TEST_RAM_SIZE (1 * MiB)
#include "x86-test-ram.h"
#include "isa-test-machine.h"

/* ---- the chipset -------------------------------------------------------- */

#define TYPE_TEST_VMS_CPU "test-vms-cpu"
#define TYPE_TEST_PCI "test-vms-pci"

static const TypeInfo test_cpu_type = {
    .name = TYPE_TEST_VMS_CPU,
    .parent = TYPE_CPU,
    .instance_size = sizeof(CPUState),
    .class_size = sizeof(CPUClass),
};

/* A PCI function with INTA and 4 MSI-X vectors in BAR 0 (PBA at 0x800). */
typedef struct TestPCIState {
    PCIDevice parent_obj;
    MemoryRegion bar;
} TestPCIState;

#define TEST_PCI(obj) OBJECT_CHECK(TestPCIState, (obj), TYPE_TEST_PCI)

static void test_pci_realize(PCIDevice *dev, Error **errp)
{
    TestPCIState *s = TEST_PCI(dev);

    memory_region_init(&s->bar, OBJECT(dev), "test-vms-bar", 0x1000);
    if (msix_init(dev, 4, &s->bar, 0, 0, &s->bar, 0, 0x800, 0, errp) < 0) {
        return;
    }
    pci_register_bar(dev, 0, PCI_BASE_ADDRESS_SPACE_MEMORY, &s->bar);
    dev->config[PCI_INTERRUPT_PIN] = 1;
}

static const VMStateDescription vmstate_test_pci = {
    .name = "test-vms-pci",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, TestPCIState),
        VMSTATE_MSIX(parent_obj, TestPCIState),
        VMSTATE_END_OF_LIST()
    },
};

static void test_pci_class_init(ObjectClass *klass, const void *data)
{
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = test_pci_realize;
    k->vendor_id = 0x1234;
    k->device_id = 0x5678;
    k->class_id = PCI_CLASS_OTHERS;
    DEVICE_CLASS(klass)->vmsd = &vmstate_test_pci;
}

static const TypeInfo test_pci_type = {
    .name = TYPE_TEST_PCI,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(TestPCIState),
    .class_size = sizeof(PCIDeviceClass),
    .class_init = test_pci_class_init,
};

/* A device with nothing but a description, for qdev's registration. */
#define TYPE_TEST_VMS_DEV "test-vms-dev"

typedef struct TestVmsDev {
    DeviceState parent_obj;
    uint32_t value;
} TestVmsDev;

static const VMStateDescription vmstate_test_vms_dev = {
    .name = "test-vms-dev",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(value, TestVmsDev),
        VMSTATE_END_OF_LIST()
    },
};

static void test_vms_dev_class_init(ObjectClass *klass, const void *data)
{
    DEVICE_CLASS(klass)->vmsd = &vmstate_test_vms_dev;
}

static const TypeInfo test_vms_dev_type = {
    .name = TYPE_TEST_VMS_DEV,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(TestVmsDev),
    .class_init = test_vms_dev_class_init,
};

static void register_test_types(void)
{
    type_register_static(&test_vms_dev_type);
    type_register_static(&test_cpu_type);
    type_register_static(&test_pci_type);
}
type_init(register_test_types)

static struct {
    MemoryRegion ram, pci_memory;
    PCIBus *pci_bus;
    PCIDevice *i440fx, *piix3, *testdev;
    ISABus *isa;
    IrqProbe cpu_intr;
    qemu_irq cpu_line;
    qemu_irq *isa_irqs;
    PICCommonState *pic;
    DeviceState *pit, *pcspk, *kbd, *port92, *cf9, *ioapic, *acpi;
    MC146818RtcState *rtc;
    IrqProbe sci;
    FWCfgState *fw_cfg;
    CPUState *apic_cpu;
    DeviceState *apic;
} M;

static int64_t vnow(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void advance_to(int64_t t)
{
    qemu_clock_advance_virtual_time(t);
}

static void cfg_write(int devfn, int reg, uint32_t val, int len)
{
    address_space_stl_le(&address_space_io, 0xcf8,
                         0x80000000u | devfn << 8 | (reg & 0xfc), ATTRS,
                         NULL);
    if (len == 1) {
        address_space_stb(&address_space_io, 0xcfc + (reg & 3), val, ATTRS,
                          NULL);
    } else {
        address_space_stl_le(&address_space_io, 0xcfc, val, ATTRS, NULL);
    }
}

static uint32_t cfg_read(int devfn, int reg)
{
    address_space_stl_le(&address_space_io, 0xcf8,
                         0x80000000u | devfn << 8 | (reg & 0xfc), ATTRS,
                         NULL);
    return address_space_ldl_le(&address_space_io, 0xcfc, ATTRS, NULL);
}

static int group_setup(void **state)
{
    SysBusDevice *sbd;

    bql_lock();
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    qemu_timers_vmstate_register();     /* as machine_create does */
    test_ram = xzalloc(TEST_RAM_SIZE);

    memory_region_init_ram(&M.ram, NULL, "ram", 1 * MiB, &error_abort);
    memory_region_add_subregion(get_system_memory(), 0, &M.ram);
    memory_region_init(&M.pci_memory, NULL, "pci", UINT64_MAX);
    memory_region_add_subregion_overlap(get_system_memory(), 0,
                                        &M.pci_memory, -1);
    M.pci_bus = i440fx_init(get_system_memory(), &M.ram, &M.pci_memory,
                            get_system_io(), &M.i440fx);
    M.piix3 = pci_create_simple(M.pci_bus, PCI_DEVFN(1, 0),
                                TYPE_PIIX3_DEVICE);
    M.isa = PIIX3_DEVICE(M.piix3)->isa_bus;
    M.testdev = pci_create_simple(M.pci_bus, PCI_DEVFN(3, 0), TYPE_TEST_PCI);

    M.cpu_line = qemu_allocate_irq(irq_probe_handler, &M.cpu_intr, 0);
    M.isa_irqs = i8259_init(M.isa, M.cpu_line, &M.pic);
    isa_bus_irqs(M.isa, M.isa_irqs);
    M.pit = DEVICE(i8254_pit_init(M.isa, 0x40, 0));
    M.pcspk = DEVICE(pcspk_init(M.isa, I8254(M.pit)));
    M.rtc = mc146818_rtc_init(M.isa, &error_abort);
    M.kbd = DEVICE(isa_create_simple(M.isa, TYPE_I8042));
    M.port92 = DEVICE(isa_create_simple(M.isa, TYPE_PORT92));
    M.cf9 = DEVICE(isa_create_simple(M.isa, "cf9-reset"));

    M.ioapic = qdev_new(TYPE_IOAPIC);
    sysbus_realize_and_unref(SYS_BUS_DEVICE(M.ioapic), &error_abort);
    sysbus_mmio_map(SYS_BUS_DEVICE(M.ioapic), 0, IOAPIC_DEFAULT_BASE);

    M.acpi = qdev_new(TYPE_ACPI_PM);
    sbd = SYS_BUS_DEVICE(M.acpi);
    sysbus_realize_and_unref(sbd, &error_abort);
    sysbus_connect_irq(sbd, 0, qemu_allocate_irq(irq_probe_handler, &M.sci,
                                                 0));

    M.fw_cfg = fw_cfg_init_io_dma(0x510, 0x514, &address_space_memory);
    fw_cfg_add_string(M.fw_cfg, 0x30, "osprey vmstate test item");

    M.apic_cpu = CPU(object_new(TYPE_TEST_VMS_CPU));
    M.apic_cpu->cpu_index = 0;
    M.apic = qdev_new(TYPE_APIC);
    qdev_prop_set_uint32(M.apic, "id", 0);
    assert_true(object_property_set_link(OBJECT(M.apic), "cpu",
                                         OBJECT(M.apic_cpu), NULL));
    assert_true(qdev_realize(M.apic, NULL, NULL));
    return 0;
}

static int setup(void **state)
{
    /* Every device from power-on, as the machine would be. */
    bus_cold_reset(BUS(M.pci_bus));
    device_cold_reset(M.ioapic);
    device_cold_reset(M.acpi);
    device_cold_reset(DEVICE(M.fw_cfg));
    device_cold_reset(M.apic);
    M.apic_cpu->interrupt_request = 0;
    memset(&M.cpu_intr, 0, sizeof(M.cpu_intr));
    M.cpu_intr.level = pic_get_output(M.pic);
    return 0;
}

/* ---- save / load helpers ------------------------------------------------ */

typedef struct Blob {
    uint8_t *data;
    size_t len;
} Blob;

static Blob save_vmsd(const VMStateDescription *vmsd, void *opaque)
{
    QEMUFile *f = qemu_file_new_buffer_output();
    const uint8_t *p;
    Blob b;

    assert_int_equal(vmstate_save_state(f, vmsd, opaque, NULL, &error_abort),
                     0);
    p = qemu_file_buffer_data(f, &b.len);
    b.data = xmalloc(b.len ? b.len : 1);
    memcpy(b.data, p, b.len);
    qemu_fclose(f);
    return b;
}

/* 0, or the error's message in *msg (caller frees). */
static int load_vmsd(const VMStateDescription *vmsd, void *opaque,
                     const uint8_t *data, size_t len, int version,
                     char **msg)
{
    QEMUFile *f = qemu_file_new_buffer_input(data, len);
    Error *err = NULL;
    int ret = vmstate_load_state(f, vmsd, opaque, version, &err);

    if (ret) {
        assert_non_null(err);
        if (msg) {
            *msg = xstrdup(error_get_pretty(err));
        }
        error_free(err);
    } else {
        assert_null(err);
    }
    qemu_fclose(f);
    return ret;
}

static const VMStateDescription *dev_vmsd(DeviceState *dev)
{
    const VMStateDescription *vmsd = DEVICE_GET_CLASS(dev)->vmsd;

    assert_non_null(vmsd);
    return vmsd;
}

static Blob save_dev(DeviceState *dev)
{
    return save_vmsd(dev_vmsd(dev), dev);
}

static void load_dev(DeviceState *dev, Blob b)
{
    const VMStateDescription *vmsd = dev_vmsd(dev);
    char *msg = NULL;

    if (load_vmsd(vmsd, dev, b.data, b.len, vmsd->version_id, &msg)) {
        fail_msg("loading %s: %s", vmsd->name, msg);
    }
}

/* Loading b into dev and saving again gives b. */
static void assert_resaves_same(DeviceState *dev, Blob b)
{
    Blob again = save_dev(dev);

    assert_int_equal(again.len, b.len);
    assert_memory_equal(again.data, b.data, b.len);
    free(again.data);
}

/* Save, reset, load: the state comes back, and saves the same again. */
static Blob reset_roundtrip(DeviceState *const *devs, int n)
{
    Blob b[8];
    Blob first = { 0 };

    assert_true(n <= 8);
    for (int i = 0; i < n; i++) {
        b[i] = save_dev(devs[i]);
    }
    for (int i = 0; i < n; i++) {
        device_cold_reset(devs[i]);
    }
    for (int i = 0; i < n; i++) {
        load_dev(devs[i], b[i]);
    }
    for (int i = 0; i < n; i++) {
        assert_resaves_same(devs[i], b[i]);
        if (i == 0) {
            first = b[i];
        } else {
            free(b[i].data);
        }
    }
    return first;
}

static void roundtrip(DeviceState *const *devs, int n)
{
    free(reset_roundtrip(devs, n).data);
}

/* ---- i8259 -------------------------------------------------------------- */

static void init_pics(void)
{
    outb(0x20, 0x11);
    outb(0x21, 0x08);
    outb(0x21, 0x04);
    outb(0x21, 0x01);
    outb(0x21, 0xe2);           /* mask 1, 5, 6, 7 */
    outb(0xa0, 0x11);
    outb(0xa1, 0x70);
    outb(0xa1, 0x02);
    outb(0xa1, 0x01);
    outb(0xa1, 0x00);
}

static uint8_t pic_read_isr(uint16_t base)
{
    uint8_t v;

    outb(base, 0x0b);
    v = inb(base);
    outb(base, 0x0a);
    return v;
}

static void test_i8259(void **state)
{
    DeviceState *pics[] = { DEVICE(M.pic), DEVICE(M.pic->slave) };

    init_pics();
    qemu_irq_raise(M.isa_irqs[3]);
    qemu_irq_raise(M.isa_irqs[10]);
    qemu_irq_raise(M.isa_irqs[4]);
    /* IRQ 10 (through 2) goes in service and blocks 3 and 4. */
    assert_int_equal(pic_read_irq(M.pic), 0x72);
    outb(0xa0, 0x0b);           /* the slave reads its ISR next */
    assert_false(M.cpu_intr.level);

    roundtrip(pics, 2);

    assert_int_equal(inb(0x21), 0xe2);
    assert_int_equal(inb(0xa1), 0x00);
    assert_int_equal(inb(0xa0), 0x04);      /* OCW3 was restored */
    assert_int_equal(pic_read_isr(0x20), 0x04);
    assert_false(M.cpu_intr.level);
    /* EOI: the requests the loaded IRR holds come next, in order. */
    outb(0xa0, 0x20);
    outb(0x20, 0x20);
    assert_true(M.cpu_intr.level);
    assert_int_equal(pic_read_irq(M.pic), 0x08 + 3);
    outb(0x20, 0x20);
    assert_int_equal(pic_read_irq(M.pic), 0x08 + 4);
    outb(0x20, 0x20);
    qemu_irq_lower(M.isa_irqs[3]);
    qemu_irq_lower(M.isa_irqs[4]);
    qemu_irq_lower(M.isa_irqs[10]);
}

/* ---- i8254 + pcspk ------------------------------------------------------ */

static int64_t pit_ticks_ns(int64_t ticks)
{
    return (int64_t)((__int128)ticks * NANOSECONDS_PER_SECOND / PIT_FREQ);
}

static uint16_t pit_latch(int ch)
{
    uint16_t v;

    outb(0x43, ch << 6);
    v = inb(0x40 + ch);
    return v | inb(0x40 + ch) << 8;
}

static void test_i8254(void **state)
{
    DeviceState *devs[] = { M.pit, M.pcspk };
    static IrqProbe probe;
    qemu_irq line = qemu_allocate_irq(irq_probe_handler, &probe, 0);
    int64_t t0;
    uint16_t c0, c2;
    int raises;

    qdev_connect_gpio_out(M.pit, 0, line);
    t0 = vnow();
    outb(0x43, 0x34);           /* counter 0: mode 2, LSB then MSB */
    outb(0x40, 1000 & 0xff);
    outb(0x40, 1000 >> 8);
    outb(0x61, 0x03);           /* counter 2 gate on, speaker data */
    outb(0x43, 0xb6);           /* counter 2: mode 3 */
    outb(0x42, 0x00);
    outb(0x42, 0x10);
    outb(0x43, 0x70);           /* counter 1: mode 0, write LSB pending */
    outb(0x41, 0x55);
    advance_to(t0 + pit_ticks_ns(2500));
    c0 = pit_latch(0);
    c2 = pit_latch(2);

    roundtrip(devs, 2);
    raises = probe.raises;      /* the reset itself moved the line */

    assert_int_equal(pit_latch(0), c0);
    assert_int_equal(pit_latch(2), c2);
    assert_int_equal(inb(0x61) & 0x03, 0x03);
    /* Counter 1 still waits for its MSB. */
    outb(0x41, 0x01);
    assert_int_equal(pit_latch(1), 0x0155);
    /* IRQ 0 keeps its phase: the next pulse at exactly 3000 ticks. */
    advance_to(t0 + pit_ticks_ns(2999) + 1);
    assert_int_equal(probe.raises, raises);
    advance_to(t0 + pit_ticks_ns(3000) + 1);
    assert_int_equal(probe.raises, raises + 1);
    qdev_connect_gpio_out(M.pit, 0, isa_bus_get_irq(M.isa, 0));
    qemu_free_irq(line);
}

/*
 * Stopped after counter 0's transition was due but before its timer ran
 * (the clock is set, as a stop between the two leaves it): the load
 * restores the line as it was and leaves the transition to the timer, so
 * loading does not move IRQ 0 and save -> load -> save of the interrupt
 * controllers behind it is the same.
 */
static void test_i8254_due_transition_after_load(void **state)
{
    static IrqProbe probe;
    qemu_irq line = qemu_allocate_irq(irq_probe_handler, &probe, 0);
    int64_t t0;
    Blob b;

    qdev_connect_gpio_out(M.pit, 0, line);
    t0 = vnow();
    outb(0x43, 0x30);           /* counter 0: mode 0, LSB then MSB */
    outb(0x40, 1000 & 0xff);
    outb(0x40, 1000 >> 8);
    advance_to(t0 + pit_ticks_ns(500));
    assert_int_equal(probe.level, 0);
    /* Past terminal count; the timer that raises the line has not run. */
    qemu_clock_set_virtual_ns(t0 + pit_ticks_ns(1500));
    assert_int_equal(probe.level, 0);

    b = save_dev(M.pit);
    device_cold_reset(M.pit);
    load_dev(M.pit, b);
    assert_resaves_same(M.pit, b);
    assert_int_equal(probe.level, 0);

    /* The guest runs again: the due transition happens, once. */
    probe.raises = 0;
    advance_to(vnow() + 1);
    assert_int_equal(probe.level, 1);
    assert_int_equal(probe.raises, 1);
    advance_to(vnow() + pit_ticks_ns(2000));
    assert_int_equal(probe.raises, 1);
    free(b.data);
    qdev_connect_gpio_out(M.pit, 0, isa_bus_get_irq(M.isa, 0));
    qemu_free_irq(line);
}

/* ---- mc146818rtc -------------------------------------------------------- */

static uint8_t cmos_read(uint8_t index)
{
    outb(0x70, index);
    return inb(0x71);
}

static void cmos_write(uint8_t index, uint8_t val)
{
    outb(0x70, index);
    outb(0x71, val);
}

static void test_rtc(void **state)
{
    DeviceState *rtc = DEVICE(M.rtc);
    int64_t t0 = vnow(), expire;
    int64_t secs;

    mc146818rtc_set_time(M.rtc, 1700000000);
    cmos_write(0x40, 0x5a);
    cmos_write(RTC_REG_A, 0x26);        /* 1024 Hz periodic */
    cmos_write(RTC_REG_B, REG_B_24H | REG_B_PIE);
    advance_to(t0 + 3 * NANOSECONDS_PER_SECOND / 2);
    secs = mc146818rtc_get_time(M.rtc);
    expire = timer_expire_time_ns(M.rtc->periodic_timer);
    assert_true(expire > vnow());
    outb(0x70, 0x0f);           /* index left somewhere */

    roundtrip(&rtc, 1);

    assert_int_equal(inb(0x71), cmos_read(0x0f));
    assert_int_equal(cmos_read(0x40), 0x5a);
    assert_int_equal(mc146818rtc_get_time(M.rtc), secs);
    assert_int_equal(timer_expire_time_ns(M.rtc->periodic_timer), expire);
    /* The clock runs on from the saved instant. */
    advance_to(vnow() + 2 * NANOSECONDS_PER_SECOND);
    assert_int_equal(mc146818rtc_get_time(M.rtc), secs + 2);
    assert_true(cmos_read(RTC_REG_C) & REG_C_PF);
}

/* ---- i8042 and port 0x92 ------------------------------------------------ */

static void test_i8042(void **state)
{
    DeviceState *devs[] = { M.kbd, M.port92 };

    outb(0x64, 0x60);           /* write command byte */
    outb(0x60, 0x45);           /* translate, sys flag, kbd IRQ on */
    outb(0x60, 0xf2);           /* keyboard: identify -> FA AB 41 */
    assert_int_equal(inb(0x60), 0xfa);
    i8042_put_kbd_byte(I8042(M.kbd), 0x1e);
    outb(0x92, 0x02);

    roundtrip(devs, 2);

    assert_int_equal(inb(0x92), 0x02);
    assert_true(inb(0x64) & 0x01);              /* output buffer full */
    assert_int_equal(inb(0x60), 0xab);
    assert_int_equal(inb(0x60), 0x41);
    assert_int_equal(inb(0x60), 0x1e);
    assert_false(inb(0x64) & 0x01);
    outb(0x64, 0x20);
    assert_int_equal(inb(0x60), 0x45);
}

/* ---- cf9 ---------------------------------------------------------------- */

static void test_cf9(void **state)
{
    outb(0xcf9, 0x02);
    roundtrip(&M.cf9, 1);
    assert_int_equal(inb(0xcf9), 0x02);
}

/* ---- IOAPIC -------------------------------------------------------------- */

static void ioapic_write(uint32_t reg, uint32_t val)
{
    address_space_stl_le(&address_space_memory, IOAPIC_DEFAULT_BASE, reg,
                         ATTRS, NULL);
    address_space_stl_le(&address_space_memory, IOAPIC_DEFAULT_BASE + 0x10,
                         val, ATTRS, NULL);
}

static uint32_t ioapic_read(uint32_t reg)
{
    address_space_stl_le(&address_space_memory, IOAPIC_DEFAULT_BASE, reg,
                         ATTRS, NULL);
    return address_space_ldl_le(&address_space_memory,
                                IOAPIC_DEFAULT_BASE + 0x10, ATTRS, NULL);
}

static void test_ioapic(void **state)
{
    ioapic_write(IOAPIC_REG_ID, 0x05000000);
    ioapic_write(IOAPIC_REG_REDTBL_BASE + 2 * 2, 0x0000a031);
    ioapic_write(IOAPIC_REG_REDTBL_BASE + 2 * 2 + 1, 0x03000000);
    ioapic_write(IOAPIC_REG_REDTBL_BASE + 2 * 9, 0x00018042);  /* masked */
    qemu_set_irq(qdev_get_gpio_in(M.ioapic, 9), 1);
    address_space_stl_le(&address_space_memory, IOAPIC_DEFAULT_BASE, 0x13,
                         ATTRS, NULL);

    roundtrip(&M.ioapic, 1);

    /* IOREGSEL was restored: IOWIN reads entry 1's high word. */
    assert_int_equal(address_space_ldl_le(&address_space_memory,
                                          IOAPIC_DEFAULT_BASE + 0x10, ATTRS,
                                          NULL), 0);
    assert_int_equal(ioapic_read(IOAPIC_REG_ID) >> 24, 5);
    assert_int_equal(ioapic_read(IOAPIC_REG_REDTBL_BASE + 4), 0x0000a031);
    assert_int_equal(ioapic_read(IOAPIC_REG_REDTBL_BASE + 5), 0x03000000);
    assert_int_equal(ioapic_read(IOAPIC_REG_REDTBL_BASE + 18), 0x00018042);
    assert_int_equal(IOAPIC(M.ioapic)->irr, 1u << 9);
    assert_int_equal(IOAPIC(M.ioapic)->line, 1u << 9);
    qemu_set_irq(qdev_get_gpio_in(M.ioapic, 9), 0);
}

/* ---- local APIC ---------------------------------------------------------- */

static void test_apic(void **state)
{
    APICCommonState *s = APIC(M.apic);
    Blob b, again;
    int64_t expire;
    uint32_t current;

    apic_mem_writel(M.apic, APIC_REG_SVR, APIC_SV_ENABLE | 0xff);
    apic_mem_writel(M.apic, APIC_REG_TPR, 0x20);
    apic_mem_writel(M.apic, APIC_REG_LVT_LINT1, APIC_DM_NMI << 8);
    apic_mem_writel(M.apic, APIC_REG_TIMER_DIVIDE, 0x3);       /* /16 */
    apic_mem_writel(M.apic, APIC_REG_LVT_TIMER,
                    APIC_LVT_TIMER_PERIODIC | 0x40);
    apic_mem_writel(M.apic, APIC_REG_TIMER_INITIAL, 100000);
    apic_mem_writel(M.apic, APIC_REG_ICR_HIGH, 0x07000000);
    apic_deliver_irq(0, APIC_DESTMODE_PHYSICAL, APIC_DM_FIXED, 0x51,
                     APIC_TRIGGER_LEVEL);
    apic_deliver_irq(0, APIC_DESTMODE_PHYSICAL, APIC_DM_FIXED, 0x61,
                     APIC_TRIGGER_EDGE);
    assert_int_equal(apic_get_interrupt(M.apic), 0x61);     /* in service */
    advance_to(vnow() + 300000);
    expire = timer_expire_time_ns(s->timer);
    current = apic_mem_readl(M.apic, APIC_REG_TIMER_CURRENT);
    assert_true(expire > vnow());

    /* The APIC registers itself (instance = APIC id), not by dc->vmsd. */
    assert_null(DEVICE_GET_CLASS(M.apic)->vmsd);
    b = save_vmsd(&vmstate_apic_common, s);
    device_cold_reset(M.apic);
    M.apic_cpu->interrupt_request = 0;
    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_TPR), 0);
    assert_int_equal(load_vmsd(&vmstate_apic_common, s, b.data, b.len,
                               3, NULL), 0);
    again = save_vmsd(&vmstate_apic_common, s);
    assert_int_equal(again.len, b.len);
    assert_memory_equal(again.data, b.data, b.len);
    free(again.data);
    free(b.data);

    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_TPR), 0x20);
    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_LVT_LINT1),
                     APIC_DM_NMI << 8);
    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_ICR_HIGH), 0x07000000);
    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_TIMER_DIVIDE), 0x3);
    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_TIMER_INITIAL), 100000);
    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_TIMER_CURRENT), current);
    assert_int_equal(timer_expire_time_ns(s->timer), expire);
    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_ISR + 0x30), 1u << 1);
    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_IRR + 0x20), 1u << 17);
    assert_int_equal(apic_mem_readl(M.apic, APIC_REG_TMR + 0x20), 1u << 17);
    /* 0x51 waits behind 0x61 in service; EOI lets it through. */
    assert_false(M.apic_cpu->interrupt_request & CPU_INTERRUPT_HARD);
    apic_mem_writel(M.apic, APIC_REG_EOI, 0);
    assert_true(M.apic_cpu->interrupt_request & CPU_INTERRUPT_HARD);
    assert_int_equal(apic_get_interrupt(M.apic), 0x51);
    apic_mem_writel(M.apic, APIC_REG_EOI, 0);
    /* The timer fires at the saved deadline. */
    advance_to(expire);
    assert_int_equal(apic_get_interrupt(M.apic), 0x40);
    apic_mem_writel(M.apic, APIC_REG_EOI, 0);
}

/* ---- PCI: i440FX (PAM), PIIX3 (PIRQ), a device with INTx and MSI-X ------ */

static void test_i440fx_pam(void **state)
{
    uint8_t *ram = memory_region_get_ram_ptr(&M.ram);
    DeviceState *dev = DEVICE(M.i440fx);

    ram[0xf0000] = 0x77;
    cfg_write(0, 0x59, 0x30, 1);        /* PAM0: 0xF0000 RAM read/write */
    cfg_write(0, 0x5a, 0x10, 1);        /* PAM1 high: 0xC4000 read-only */
    assert_int_equal(address_space_ldub(&address_space_memory, 0xf0000,
                                        ATTRS, NULL), 0x77);

    roundtrip(&dev, 1);

    assert_int_equal(cfg_read(0, 0x58) >> 8 & 0xffff, 0x1030);
    /* The mapping followed the loaded registers, not the reset ones. */
    assert_int_equal(address_space_ldub(&address_space_memory, 0xf0000,
                                        ATTRS, NULL), 0x77);
    address_space_stb(&address_space_memory, 0xf0001, 0x66, ATTRS, NULL);
    assert_int_equal(ram[0xf0001], 0x66);
}

static void test_piix3_and_pci_device(void **state)
{
    DeviceState *devs[] = { DEVICE(M.testdev), DEVICE(M.piix3) };
    PIIX3State *piix = PIIX3_DEVICE(M.piix3);
    int devfn = PCI_DEVFN(3, 0);
    hwaddr bar = 0xe0000000;
    uint8_t *ram = memory_region_get_ram_ptr(&M.ram);
    uint64_t levels;

    /* PIRQ routing: device 3 INTA is PIRQD (swizzle) -> IRQ 11. */
    cfg_write(PCI_DEVFN(1, 0), 0x60, 0x0b0a0980, 4);
    cfg_write(devfn, PCI_BASE_ADDRESS_0, bar, 4);
    cfg_write(devfn, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 4);
    /* MSI-X: vector 1 at RAM 0x2000, masked, enabled. */
    address_space_stl_le(&address_space_memory, bar + 16, 0x2000, ATTRS, NULL);
    address_space_stl_le(&address_space_memory, bar + 16 + 8, 0xbeef, ATTRS,
                         NULL);
    cfg_write(devfn, M.testdev->msix_cap, (uint32_t)PCI_MSIX_FLAGS_ENABLE << 16, 4);
    msix_notify(M.testdev, 1);
    assert_true(msix_is_pending(M.testdev, 1));
    pci_irq_assert(M.testdev);
    levels = piix->pic_levels;
    assert_true(levels != 0);

    roundtrip(devs, 2);

    assert_int_equal(cfg_read(PCI_DEVFN(1, 0), 0x60), 0x0b0a0980);
    assert_int_equal(cfg_read(devfn, PCI_BASE_ADDRESS_0), bar);
    assert_int_equal(cfg_read(devfn, PCI_VENDOR_ID), 0x56781234);
    assert_true(cfg_read(devfn, PCI_COMMAND) >> 16 & PCI_STATUS_INTERRUPT);
    assert_int_equal(M.testdev->irq_state, 1);
    assert_int_equal(piix->pic_levels, levels);
    assert_true(pci_bus_get_irq_level(M.pci_bus,
                                      M.pci_bus->map_irq(M.testdev, 0)));
    /* BAR mapped again, table and PBA back. */
    assert_int_equal(address_space_ldl_le(&address_space_memory, bar + 16 + 8,
                                          ATTRS, NULL), 0xbeef);
    assert_int_equal(address_space_ldl_le(&address_space_memory, bar + 0x800,
                                          ATTRS, NULL), 1u << 1);
    /* Unmasking sends the pending message. */
    address_space_stl_le(&address_space_memory, bar + 16 + 12, 0, ATTRS, NULL);
    assert_int_equal(ram[0x2000] | ram[0x2001] << 8, 0xbeef);
    assert_false(msix_is_pending(M.testdev, 1));
    pci_irq_deassert(M.testdev);
    assert_false(pci_bus_get_irq_level(M.pci_bus,
                                       M.pci_bus->map_irq(M.testdev, 0)));
}

/* A stream made for another PCI device is refused by identity. */
static void test_pci_identity_checked(void **state)
{
    Blob b = save_dev(DEVICE(M.piix3));
    char *msg = NULL;

    assert_int_not_equal(load_vmsd(dev_vmsd(DEVICE(M.i440fx)), M.i440fx,
                                   b.data, b.len, 3, &msg), 0);
    assert_non_null(strstr(msg, "PCIDevice"));
    assert_non_null(strstr(msg, "config"));
    free(msg);
    free(b.data);
}

/* i440FX has no INTx pin: a stream asserting one is refused. */
static void test_pci_irq_state_checked(void **state)
{
    Blob b = save_dev(DEVICE(M.i440fx));
    char *msg = NULL;

    /* config (256), then irq_state: 4 be32; assert INTB. */
    b.data[256 + 7] = 1;
    assert_int_not_equal(load_vmsd(dev_vmsd(DEVICE(M.i440fx)), M.i440fx,
                                   b.data, b.len, 3, &msg), 0);
    assert_non_null(strstr(msg, "'irq_state'"));
    free(msg);
    free(b.data);
}

/* ---- fw_cfg ------------------------------------------------------------- */

static void test_fw_cfg(void **state)
{
    DeviceState *dev = DEVICE(M.fw_cfg);
    char got[8] = { 0 };

    address_space_stw_le(&address_space_io, 0x510, 0x30, ATTRS, NULL);
    for (int i = 0; i < 7; i++) {
        inb(0x511);
    }
    M.fw_cfg->dma_addr = 0x123456;

    roundtrip(&dev, 1);

    assert_int_equal(M.fw_cfg->dma_addr, 0x123456);
    for (int i = 0; i < 7; i++) {
        got[i] = inb(0x511);
    }
    assert_string_equal(got, "vmstate");
}

/* ---- ACPI PM ------------------------------------------------------------- */

static void test_acpi_pm(void **state)
{
    ACPIPMState *s = ACPI_PM(M.acpi);
    int64_t expire;

    address_space_stw_le(&address_space_io, 0x602,
                         ACPI_BITMASK_POWER_BUTTON_ENABLE |
                         ACPI_BITMASK_TIMER_ENABLE, ATTRS, NULL);
    acpi_pm_powerdown_req(s);
    assert_true(M.sci.level);
    expire = timer_expire_time_ns(s->tmr_timer);
    assert_true(expire > 0);

    roundtrip(&M.acpi, 1);

    assert_true(M.sci.level);
    assert_int_equal(address_space_lduw_le(&address_space_io, 0x600, ATTRS,
                                           NULL) &
                     ACPI_BITMASK_POWER_BUTTON_STATUS,
                     ACPI_BITMASK_POWER_BUTTON_STATUS);
    assert_int_equal(address_space_lduw_le(&address_space_io, 0x602, ATTRS,
                                           NULL),
                     ACPI_BITMASK_POWER_BUTTON_ENABLE |
                     ACPI_BITMASK_TIMER_ENABLE);
    assert_int_equal(address_space_lduw_le(&address_space_io, 0x604, ATTRS,
                                           NULL) & ACPI_BITMASK_SCI_ENABLE,
                     ACPI_BITMASK_SCI_ENABLE);
    assert_int_equal(timer_expire_time_ns(s->tmr_timer), expire);
    address_space_stw_le(&address_space_io, 0x600,
                         ACPI_BITMASK_POWER_BUTTON_STATUS, ATTRS, NULL);
    assert_false(M.sci.level);
}

/* ---- refused streams ----------------------------------------------------- */

static void test_bad_version_refused(void **state)
{
    Blob b = save_dev(M.pit);
    char *msg = NULL;

    assert_int_not_equal(load_vmsd(dev_vmsd(M.pit), M.pit, b.data, b.len,
                                   4, &msg), 0);
    assert_non_null(strstr(msg, "'i8254'"));
    assert_non_null(strstr(msg, "version 4"));
    free(msg);
    free(b.data);
}

static void test_truncated_field_refused(void **state)
{
    Blob b = save_dev(M.pit);
    char *msg = NULL;

    /* 4 unused bytes, then channel 0 (40 bytes): stop inside its count. */
    assert_int_not_equal(load_vmsd(dev_vmsd(M.pit), M.pit, b.data, 6, 3,
                                   &msg), 0);
    assert_non_null(strstr(msg, "'i8254'"));
    assert_non_null(strstr(msg, "'channels'"));
    assert_non_null(strstr(msg, "'count'"));
    free(msg);
    free(b.data);
}

static void test_bad_values_refused(void **state)
{
    Blob b = save_dev(M.kbd);
    char *msg = NULL;

    /* pckbd/extended_state: obdata, obsrc, then ctrl_queue data[16], rptr. */
    for (size_t i = 0; i + 1 < b.len; i++) {
        /* The subsection name is in the stream; find the queue after it. */
        if (!memcmp(b.data + i, "pckbd/extended_state", 20)) {
            uint8_t *rptr = b.data + i + 20 + 4 + 2 + 16;
            *rptr = 200;
            break;
        }
    }
    assert_int_not_equal(load_vmsd(dev_vmsd(M.kbd), M.kbd, b.data, b.len, 3,
                                   &msg), 0);
    assert_non_null(strstr(msg, "queue pointers in range"));
    free(msg);
    free(b.data);
}

static void test_pit_zero_count_refused(void **state)
{
    Blob b = save_dev(M.pit);
    char *msg = NULL;

    /* Channel 0's count (be32) follows the 4 unused bytes. */
    memset(b.data + 4, 0, 4);
    assert_int_not_equal(load_vmsd(dev_vmsd(M.pit), M.pit, b.data, b.len, 3,
                                   &msg), 0);
    assert_non_null(strstr(msg, "'pit channel'"));
    assert_non_null(strstr(msg, "count 1..0x10000"));
    free(msg);
    free(b.data);
}

static void test_rtc_index_refused(void **state)
{
    DeviceState *rtc = DEVICE(M.rtc);
    Blob b = save_dev(rtc);
    char *msg = NULL;

    b.data[128] = 0x80;         /* cmos_index, after the 128 CMOS bytes */
    assert_int_not_equal(load_vmsd(dev_vmsd(rtc), rtc, b.data, b.len, 3,
                                   &msg), 0);
    assert_non_null(strstr(msg, "'mc146818rtc'"));
    assert_non_null(strstr(msg, "cmos_index below 128"));
    free(msg);
    free(b.data);
}

/* ---- the whole set through the savevm stream ----------------------------- */

static Blob savevm_all(void)
{
    QEMUFile *f = qemu_file_new_buffer_output();
    const uint8_t *p;
    Blob b;

    assert_int_equal(qemu_savevm_state(f, &error_abort), 0);
    p = qemu_file_buffer_data(f, &b.len);
    b.data = xmalloc(b.len);
    memcpy(b.data, p, b.len);
    qemu_fclose(f);
    return b;
}

/* Sections named name in a savevm stream, and the instance id of each. */
static int count_sections(Blob b, const char *name, uint32_t *ids, int max)
{
    size_t len = strlen(name);
    int n = 0;

    for (size_t i = 1; i + len + 4 <= b.len; i++) {
        if (b.data[i - 1] == len && !memcmp(b.data + i, name, len)) {
            const uint8_t *p = b.data + i + len;
            if (n < max) {
                ids[n] = (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
            }
            n++;
        }
    }
    return n;
}

static void test_qdev_registers_vmsd(void **state)
{
    DeviceState *d0 = qdev_new(TYPE_TEST_VMS_DEV);
    DeviceState *d1 = qdev_new(TYPE_TEST_VMS_DEV);
    uint32_t ids[4];
    Blob b;

    b = savevm_all();
    assert_int_equal(count_sections(b, "test-vms-dev", ids, 4), 0);
    free(b.data);

    assert_true(qdev_realize(d0, NULL, NULL));
    assert_true(qdev_realize(d1, NULL, NULL));
    b = savevm_all();
    assert_int_equal(count_sections(b, "test-vms-dev", ids, 4), 2);
    assert_int_equal(ids[0], 0);        /* VMSTATE_INSTANCE_ID_ANY, as QEMU */
    assert_int_equal(ids[1], 1);
    free(b.data);
    /* One section per CPU-less APIC too: instance = APIC id 0. */
    b = savevm_all();
    assert_int_equal(count_sections(b, "apic", ids, 4), 1);
    assert_int_equal(ids[0], 0);
    assert_int_equal(count_sections(b, "i8259", ids, 4), 2);
    free(b.data);

    qdev_unrealize(d0);
    b = savevm_all();
    assert_int_equal(count_sections(b, "test-vms-dev", ids, 4), 1);
    assert_int_equal(ids[0], 1);
    free(b.data);
    object_unparent(OBJECT(d1));
    object_unparent(OBJECT(d0));
    object_unref(OBJECT(d1));           /* qdev_new's references */
    object_unref(OBJECT(d0));
    b = savevm_all();
    assert_int_equal(count_sections(b, "test-vms-dev", ids, 4), 0);
    free(b.data);
}

static void test_savevm_stream(void **state)
{
    Blob a, b;
    QEMUFile *f;
    Error *err = NULL;
    int64_t t_save;
    uint32_t ids[1];

    init_pics();
    qemu_irq_raise(M.isa_irqs[3]);
    outb(0x43, 0x34);
    outb(0x40, 0x00);
    outb(0x40, 0x20);
    cmos_write(0x41, 0x99);
    t_save = vnow();
    a = savevm_all();
    /* "timer" (guest time) comes first, before the devices' deadlines. */
    assert_int_equal(count_sections(a, "timer", ids, 1), 1);
    assert_true(memmem(a.data, a.len, "\005timer", 6) <
                memmem(a.data, a.len, "\005i8259", 6));

    advance_to(t_save + 5 * NANOSECONDS_PER_SECOND);
    bus_cold_reset(BUS(M.pci_bus));
    assert_int_equal(cmos_read(0x41), 0x99);    /* CMOS survives reset */
    cmos_write(0x41, 0x00);
    f = qemu_file_new_buffer_input(a.data, a.len);
    assert_int_equal(qemu_loadvm_state(f, &err), 0);
    assert_null(err);
    qemu_fclose(f);
    assert_int_equal(cmos_read(0x41), 0x99);
    assert_int_equal(inb(0x21), 0xe2);
    assert_int_equal(vnow(), t_save);           /* guest time restored */

    b = savevm_all();
    assert_int_equal(b.len, a.len);
    assert_memory_equal(b.data, a.data, a.len);
    qemu_irq_lower(M.isa_irqs[3]);

    /* Cut inside i8254's channel 0: the loader names section and field. */
    {
        size_t cut = 0;

        for (size_t i = 1; i + 5 < a.len && !cut; i++) {
            if (a.data[i - 1] == 5 && !memcmp(a.data + i, "i8254", 5)) {
                cut = i + 5 + 4 + 4 + 4 + 10;   /* ids, unused, count.. */
            }
        }
        assert_true(cut > 0);
        f = qemu_file_new_buffer_input(a.data, cut);
        assert_int_not_equal(qemu_loadvm_state_stream(f, &err), 0);
        assert_non_null(err);
        assert_non_null(strstr(error_get_pretty(err), "i8254"));
        assert_non_null(strstr(error_get_pretty(err), "field 'channels'"));
        error_free(err);
        qemu_fclose(f);
    }
    free(a.data);
    free(b.data);
}

/* ---- the CPU ------------------------------------------------------------- */

/* Part A ends in HLT with lazy flags, x87 and XMM state live. */
static const uint8_t prog_a[] = {
    0x48, 0xb8, 0xf0, 0xde, 0xbc, 0x9a, 0x78, 0x56, 0x34, 0x12, /* mov rax */
    0x48, 0xc7, 0xc1, 0x07, 0x00, 0x00, 0x00,   /* mov rcx, 7 */
    0xd9, 0xe8,                                 /* fld1 */
    0xd9, 0xeb,                                 /* fldpi */
    0xde, 0xc1,                                 /* faddp */
    0xd9, 0xe9,                                 /* fldl2t */
    0x66, 0x48, 0x0f, 0x6e, 0xc0,               /* movq xmm0, rax */
    0x66, 0x0f, 0x70, 0xc8, 0x1b,               /* pshufd xmm1, xmm0, 1b */
    0x48, 0x83, 0xf9, 0x08,                     /* cmp rcx, 8 */
    0xf4,                                       /* hlt */
};

/* Part B uses all of it and stores results at 0x3000. */
static const uint8_t prog_b[] = {
    0x0f, 0x92, 0xc2,                           /* setb dl */
    0x48, 0x19, 0xdb,                           /* sbb rbx, rbx */
    0xde, 0xc1,                                 /* faddp */
    0xdd, 0x1c, 0x25, 0x00, 0x30, 0x00, 0x00,   /* fstp qword [0x3000] */
    0xf3, 0x0f, 0x7f, 0x0c, 0x25, 0x10, 0x30, 0x00, 0x00, /* movdqu */
    0x48, 0x01, 0xc8,                           /* add rax, rcx */
    0x48, 0x89, 0x04, 0x25, 0x20, 0x30, 0x00, 0x00, /* mov [0x3020], rax */
    0x48, 0x89, 0x1c, 0x25, 0x28, 0x30, 0x00, 0x00, /* mov [0x3028], rbx */
    0x88, 0x14, 0x25, 0x30, 0x30, 0x00, 0x00,   /* mov [0x3030], dl */
    0xf4,
};

static X86CPU *new_cpu(void)
{
    X86CPU *cpu = X86_CPU(object_new(TYPE_OSPREY64_CPU));

    cpu->env.mem_ops = &test_ram_ops;
    return cpu;
}

static void run_until_hlt(X86CPU *cpu)
{
    CPUX86State *env = &cpu->env;

    env->halted = 0;
    CPU(cpu)->halted = 0;
    env->icount_budget = 1000;
    assert_int_equal(x86_cpu_exec(env), EXCP_HLT);
    assert_int_equal(env->halted, 1);
}

static void test_cpu(void **state)
{
    X86CPU *a = new_cpu(), *c = new_cpu();
    CPUX86State *ea = &a->env, *ec = &c->env;
    uint8_t result_a[0x40], result_c[0x40];
    Blob b, again;

    memset(test_ram, 0, TEST_RAM_SIZE);
    memcpy(test_ram + 0x1000, prog_a, sizeof(prog_a));
    memcpy(test_ram + 0x1000 + sizeof(prog_a), prog_b, sizeof(prog_b));
    x86_cpu_set_long_mode_flat(ea, 0);
    ea->cr[4] |= CR4_OSFXSR_MASK;
    x86_update_hflags(ea);
    ea->rip = 0x1000;
    ea->regs[R_ESP] = 0x8000;
    ea->star = 0x0023001000000000ULL;
    ea->kernelgsbase = 0xffff888000000000ULL;
    ea->mtrr_var[3] = 0xfff800800;
    ea->misc_enable = 1;
    run_until_hlt(a);
    assert_int_equal(ea->rip, 0x1000 + sizeof(prog_a));
    /*
     * The exec loop may fold the flags when it leaves; put them back in
     * the lazy form "cmp rcx, 8" leaves, as a vCPU stopped mid-TB has.
     */
    ea->eflags &= ~(uint64_t)CC_ALL;
    ea->cc_op = CC_OP_SUBQ;
    ea->cc_dst = (uint64_t)(7 - 8);
    ea->cc_src = 8;
    assert_true(cpu_compute_eflags(ea) & CC_C);

    b = save_vmsd(&vmstate_x86_cpu, a);
    assert_int_equal(load_vmsd(&vmstate_x86_cpu, c, b.data, b.len, 12, NULL),
                     0);
    again = save_vmsd(&vmstate_x86_cpu, c);
    assert_int_equal(again.len, b.len);
    assert_memory_equal(again.data, b.data, b.len);

    /* Architectural state equal. */
    assert_memory_equal(ec->regs, ea->regs, sizeof(ea->regs));
    assert_int_equal(ec->rip, ea->rip);
    assert_int_equal(cpu_compute_eflags(ec), cpu_compute_eflags(ea));
    assert_int_equal(ec->hflags, ea->hflags);
    assert_memory_equal(ec->segs, ea->segs, sizeof(ea->segs));
    assert_int_equal(ec->cr[0], ea->cr[0]);
    assert_int_equal(ec->cr[4], ea->cr[4]);
    assert_int_equal(ec->efer, ea->efer);
    assert_int_equal(ec->star, ea->star);
    assert_int_equal(ec->kernelgsbase, ea->kernelgsbase);
    assert_int_equal(ec->mtrr_var[3], ea->mtrr_var[3]);
    assert_int_equal(ec->misc_enable, 1);
    for (int i = 0; i < 8; i++) {
        assert_int_equal(ec->fpregs[i].mant, ea->fpregs[i].mant);
        assert_int_equal(ec->fpregs[i].sign_exp, ea->fpregs[i].sign_exp);
    }
    assert_int_equal(ec->fpstt, ea->fpstt);
    assert_int_equal(ec->fptags, ea->fptags);
    assert_int_equal(ec->fpus, ea->fpus);
    assert_int_equal(ec->fpuc, ea->fpuc);
    assert_memory_equal(ec->xmm, ea->xmm, sizeof(ea->xmm));
    assert_int_equal(ec->mxcsr, ea->mxcsr);
    assert_int_equal(ec->halted, 1);
    assert_int_equal(CPU(c)->halted, 1);

    /* Both continue to the same results. */
    run_until_hlt(a);

    memcpy(result_a, test_ram + 0x3000, sizeof(result_a));
    memset(test_ram + 0x3000, 0, sizeof(result_a));
    run_until_hlt(c);
    assert_int_equal(ec->rip, 0x1000 + sizeof(prog_a) + sizeof(prog_b));
    memcpy(result_c, test_ram + 0x3000, sizeof(result_c));
    assert_memory_equal(result_c, result_a, sizeof(result_a));
    assert_int_equal(result_a[0x30], 1);                    /* CF from cmp */
    {
        double sum;                     /* 1 + pi + log2(10) from the x87 */
        memcpy(&sum, result_a, sizeof(sum));
        assert_true(sum > 7.4635 && sum < 7.4636);
    }
    /* pshufd 0x1b of rax reversed the dwords. */
    assert_int_equal(ram_get(0x3018, 8), 0x9abcdef012345678ULL);
    assert_int_equal(ram_get(0x3028, 8), UINT64_MAX);       /* sbb */
    assert_int_equal(ram_get(0x3020, 8), 0x123456789abcdef7ULL);
    assert_memory_equal(ec->regs, ea->regs, sizeof(ea->regs));

    free(b.data);
    free(again.data);
    object_unref(OBJECT(a));
    object_unref(OBJECT(c));
}

static void test_cpu_bad_stream_refused(void **state)
{
    X86CPU *a = new_cpu(), *c = new_cpu();
    Blob b;
    char *msg = NULL;

    b = save_vmsd(&vmstate_x86_cpu, a);
    assert_int_not_equal(load_vmsd(&vmstate_x86_cpu, c, b.data, 200, 12,
                                   &msg), 0);
    assert_non_null(strstr(msg, "'cpu'"));
    free(msg);
    msg = NULL;
    assert_int_not_equal(load_vmsd(&vmstate_x86_cpu, c, b.data, b.len, 11,
                                   &msg), 0);
    assert_non_null(strstr(msg, "version 11"));
    free(msg);
    free(b.data);
    object_unref(OBJECT(a));
    object_unref(OBJECT(c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_i8259, setup),
        cmocka_unit_test_setup(test_i8254, setup),
        cmocka_unit_test_setup(test_i8254_due_transition_after_load, setup),
        cmocka_unit_test_setup(test_rtc, setup),
        cmocka_unit_test_setup(test_i8042, setup),
        cmocka_unit_test_setup(test_cf9, setup),
        cmocka_unit_test_setup(test_ioapic, setup),
        cmocka_unit_test_setup(test_apic, setup),
        cmocka_unit_test_setup(test_i440fx_pam, setup),
        cmocka_unit_test_setup(test_piix3_and_pci_device, setup),
        cmocka_unit_test_setup(test_pci_identity_checked, setup),
        cmocka_unit_test_setup(test_pci_irq_state_checked, setup),
        cmocka_unit_test_setup(test_fw_cfg, setup),
        cmocka_unit_test_setup(test_acpi_pm, setup),
        cmocka_unit_test_setup(test_bad_version_refused, setup),
        cmocka_unit_test_setup(test_truncated_field_refused, setup),
        cmocka_unit_test_setup(test_bad_values_refused, setup),
        cmocka_unit_test_setup(test_pit_zero_count_refused, setup),
        cmocka_unit_test_setup(test_rtc_index_refused, setup),
        cmocka_unit_test_setup(test_savevm_stream, setup),
        cmocka_unit_test_setup(test_qdev_registers_vmsd, setup),
        cmocka_unit_test_setup(test_cpu, setup),
        cmocka_unit_test_setup(test_cpu_bad_stream_refused, setup),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
