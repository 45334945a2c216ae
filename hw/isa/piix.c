/*
 * PIIX3 PCI-to-ISA bridge (see include/hw/southbridge/piix.h), after
 * QEMU's hw/isa/piix.c.
 */
#include "util/osdep.h"
#include "hw/southbridge/piix.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"

int piix3_pirq_route(PIIX3State *s, int pirq)
{
    uint8_t route = s->dev.config[PIIX_PIRQCA + pirq];

    return route & PIIX_PIRQ_DISABLED ? -1 : route & 0x0f;
}

/* Drive ISA IRQ pic_irq with the OR of the PIRQs routed to it. */
static void piix3_set_irq_pic(PIIX3State *s, int pic_irq)
{
    uint64_t mask = 0xfULL << (pic_irq * PIIX_NUM_PIRQS);

    qemu_set_irq(isa_bus_get_irq(s->isa_bus, pic_irq),
                 (s->pic_levels & mask) != 0);
}

static void piix3_set_irq_level_internal(PIIX3State *s, int pirq, int level)
{
    int pic_irq = piix3_pirq_route(s, pirq);
    uint64_t mask;

    if (pic_irq < 0) {
        return;
    }
    mask = 1ULL << (pic_irq * PIIX_NUM_PIRQS + pirq);
    s->pic_levels &= ~mask;
    s->pic_levels |= mask * !!level;
}

static void piix3_set_irq(void *opaque, int pirq, int level)
{
    PIIX3State *s = opaque;
    int pic_irq;

    s->pirq_level[pirq] = level;
    pic_irq = piix3_pirq_route(s, pirq);
    if (pic_irq < 0) {
        return;
    }
    piix3_set_irq_level_internal(s, pirq, level);
    piix3_set_irq_pic(s, pic_irq);
}

/* The routing changed: recompute every ISA IRQ from the PIRQ levels. */
static void piix3_update_irq_levels(PIIX3State *s)
{
    uint64_t old = s->pic_levels;

    s->pic_levels = 0;
    for (int pirq = 0; pirq < PIIX_NUM_PIRQS; pirq++) {
        piix3_set_irq_level_internal(s, pirq, s->pirq_level[pirq]);
    }
    for (int pic_irq = 0; pic_irq < PIIX_NUM_PIC_IRQS; pic_irq++) {
        uint64_t mask = 0xfULL << (pic_irq * PIIX_NUM_PIRQS);

        if ((old | s->pic_levels) & mask) {
            piix3_set_irq_pic(s, pic_irq);
        }
    }
}

static void piix3_write_config(PCIDevice *dev, uint32_t address, uint32_t val,
                               int len)
{
    pci_default_write_config(dev, address, val, len);
    if (address < PIIX_PIRQCA + 4 && address + len > PIIX_PIRQCA) {
        piix3_update_irq_levels(PIIX3_DEVICE(dev));
    }
}

static ResettablePhases piix3_parent_phases;

static void piix3_reset_hold(Object *obj, ResetType type)
{
    PIIX3State *s = PIIX3_DEVICE(obj);
    uint8_t *pci_conf = s->dev.config;

    if (piix3_parent_phases.hold) {
        piix3_parent_phases.hold(obj, type);
    }

    /* Values from the 82371SB datasheet, as QEMU's piix3_reset. */
    pci_conf[0x04] = 0x07;      /* master, memory and I/O */
    pci_conf[0x05] = 0x00;
    pci_conf[0x06] = 0x00;
    pci_conf[0x07] = 0x02;      /* PCI_status_devsel_medium */
    pci_conf[0x4c] = 0x4d;
    pci_conf[0x4e] = 0x03;
    pci_conf[0x4f] = 0x00;
    for (int i = 0; i < PIIX_NUM_PIRQS; i++) {
        pci_conf[PIIX_PIRQCA + i] = s->pirq_reset[i];
    }
    pci_conf[0x69] = 0x02;
    pci_conf[0x70] = 0x80;
    pci_conf[0x76] = 0x0c;
    pci_conf[0x77] = 0x0c;
    pci_conf[0x78] = 0x02;
    pci_conf[0x79] = 0x00;
    pci_conf[0x80] = 0x00;
    pci_conf[0x82] = 0x00;
    pci_conf[0xa0] = 0x08;
    pci_conf[0xa2] = 0x00;
    pci_conf[0xa3] = 0x00;
    pci_conf[0xa4] = 0x00;
    pci_conf[0xa5] = 0x00;
    pci_conf[0xa6] = 0x00;
    pci_conf[0xa7] = 0x00;
    pci_conf[0xa8] = 0x0f;
    pci_conf[0xaa] = 0x00;
    pci_conf[0xab] = 0x00;
    pci_conf[0xac] = 0x00;
    pci_conf[0xae] = 0x00;

    memset(s->pirq_level, 0, sizeof(s->pirq_level));
    piix3_update_irq_levels(s);
}

static void piix3_realize(PCIDevice *dev, Error **errp)
{
    PIIX3State *s = PIIX3_DEVICE(dev);
    PCIBus *bus = pci_get_bus(dev);

    if (!s->isa_bus) {
        s->isa_bus = isa_bus_new(DEVICE(dev), get_system_memory(),
                                 bus->address_space_io, errp);
        if (!s->isa_bus) {
            return;
        }
    }
    pci_bus_irqs(bus, piix3_set_irq, pci_swizzle_map_irq_fn, s,
                 PIIX_NUM_PIRQS);
}

static const Property piix3_props[] = {
    DEFINE_PROP_UINT8("pirqa", PIIX3State, pirq_reset[0], PIIX_PIRQ_DISABLED),
    DEFINE_PROP_UINT8("pirqb", PIIX3State, pirq_reset[1], PIIX_PIRQ_DISABLED),
    DEFINE_PROP_UINT8("pirqc", PIIX3State, pirq_reset[2], PIIX_PIRQ_DISABLED),
    DEFINE_PROP_UINT8("pirqd", PIIX3State, pirq_reset[3], PIIX_PIRQ_DISABLED),
    DEFINE_PROP_END_OF_LIST(),
};

static bool piix3_levels_valid(void *opaque, int version_id)
{
    PIIX3State *s = opaque;

    for (int i = 0; i < PIIX_NUM_PIRQS; i++) {
        if (s->pirq_level[i] != 0 && s->pirq_level[i] != 1) {
            return false;
        }
    }
    return true;
}

/* Routing (config 0x60-0x63) and PIRQ levels loaded: drive the ISA IRQs. */
static int piix3_post_load(void *opaque, int version_id)
{
    piix3_update_irq_levels(opaque);
    return 0;
}

/* QEMU's hw/isa/piix.c "PIIX3" (its rcr lives in our "cf9-reset"). */
static const VMStateDescription vmstate_piix3 = {
    .name = "PIIX3",
    .version_id = 3,
    .minimum_version_id = 3,
    .post_load = piix3_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(dev, PIIX3State),
        VMSTATE_INT32_ARRAY_V(pirq_level, PIIX3State, PIIX_NUM_PIRQS, 3),
        VMSTATE_VALIDATE("PIRQ levels are 0 or 1", piix3_levels_valid),
        VMSTATE_END_OF_LIST()
    },
};

static void piix3_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = piix3_realize;
    k->config_write = piix3_write_config;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = PCI_DEVICE_ID_INTEL_82371SB_0;
    k->class_id = PCI_CLASS_BRIDGE_ISA;
    dc->desc = "ISA bridge";
    dc->vmsd = &vmstate_piix3;
    dc->user_creatable = false;
    device_class_set_props(dc, piix3_props);
    resettable_class_set_parent_phases(rc, NULL, piix3_reset_hold, NULL,
                                       &piix3_parent_phases);
}

static const TypeInfo piix3_info = {
    .name = TYPE_PIIX3_DEVICE,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(PIIX3State),
    .class_size = sizeof(PCIDeviceClass),
    .class_init = piix3_class_init,
};

static void piix3_register_types(void)
{
    type_register_static(&piix3_info);
}

type_init(piix3_register_types)
