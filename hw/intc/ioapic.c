/*
 * I/O APIC (see include/hw/intc/ioapic.h).
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/intc/ioapic.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/kvm.h"
#include <linux/kvm.h>

/* Bits the guest cannot write: remote IRR and delivery status. */
#define IOAPIC_RO_BITS (IOAPIC_LVT_REMOTE_IRR | IOAPIC_LVT_DELIV_STATUS)
/* Bits 17-55 are reserved. */
#define IOAPIC_RW_BITS (~((((1ULL << 56) - 1) >> 17) << 17) & ~IOAPIC_RO_BITS)

/* Every realized IOAPIC, for EOI broadcasts from the local APICs. */
static QLIST_HEAD(, IOAPICCommonState) ioapics =
    QLIST_HEAD_INITIALIZER(ioapics);

static bool entry_is_level(uint64_t entry)
{
    return entry & IOAPIC_LVT_TRIGGER_MODE;
}

/* Send the entry's interrupt message to the local APICs. */
static void ioapic_deliver(uint64_t entry)
{
    uint32_t dest = entry >> IOAPIC_LVT_DEST_SHIFT;
    uint32_t dest_mode = !!(entry & IOAPIC_LVT_DEST_MODE);
    uint32_t delivery_mode = (entry >> IOAPIC_LVT_DELIV_MODE_SHIFT) & 7;
    uint32_t trigger = entry_is_level(entry);
    uint32_t vector = entry & IOAPIC_VECTOR_MASK;
    hwaddr addr = IOAPIC_MSI_BASE | (dest << 12) | (dest_mode << 2);
    uint32_t data = vector | (delivery_mode << 8) | (trigger << 15);

    address_space_stl_le(&address_space_memory, addr, data,
                         MEMTXATTRS_UNSPECIFIED, NULL);
}

/* Deliver every pending, unmasked request that may go. */
static void ioapic_service(IOAPICCommonState *s)
{
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        uint32_t mask = 1u << i;
        uint64_t entry = s->ioredtbl[i];

        if (!(s->irr & mask) || (entry & IOAPIC_LVT_MASKED)) {
            continue;
        }
        if (entry_is_level(entry)) {
            /* One delivery per EOI. */
            if (entry & IOAPIC_LVT_REMOTE_IRR) {
                continue;
            }
            s->ioredtbl[i] |= IOAPIC_LVT_REMOTE_IRR;
        } else {
            s->irr &= ~mask;
        }
        ioapic_deliver(entry);
    }
}

static void ioapic_set_irq(void *opaque, int pin, int level)
{
    IOAPICCommonState *s = opaque;
    uint32_t mask;
    uint64_t entry;
    bool rising;

    /* ISA IRQ 0 (the PIT) arrives on pin 2, as the MADT says. */
    if (pin == 0) {
        pin = 2;
    }
    mask = 1u << pin;
    entry = s->ioredtbl[pin];
    rising = level && !(s->line & mask);
    if (level) {
        s->line |= mask;
    } else {
        s->line &= ~mask;
    }

    if (entry_is_level(entry)) {
        if (level) {
            s->irr |= mask;
            ioapic_service(s);
        } else {
            s->irr &= ~mask;
        }
        return;
    }
    /* The 82093AA ignores edges on masked pins. */
    if (rising && !(entry & IOAPIC_LVT_MASKED)) {
        s->irr |= mask;
        ioapic_service(s);
    }
}

static void ioapic_eoi(IOAPICCommonState *s, int vector)
{
    bool again = false;

    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        uint64_t entry = s->ioredtbl[i];

        if ((entry & IOAPIC_VECTOR_MASK) != (uint64_t)vector ||
            !entry_is_level(entry) || !(entry & IOAPIC_LVT_REMOTE_IRR)) {
            continue;
        }
        s->ioredtbl[i] = entry & ~IOAPIC_LVT_REMOTE_IRR;
        if (s->irr & (1u << i)) {
            again = true;
        }
    }
    if (again) {
        ioapic_service(s);
    }
}

void ioapic_eoi_broadcast(int vector)
{
    IOAPICCommonState *s;

    QLIST_FOREACH(s, &ioapics, link) {
        ioapic_eoi(s, vector);
    }
}

static uint64_t ioapic_mem_read(void *opaque, hwaddr addr, unsigned size)
{
    IOAPICCommonState *s = opaque;
    uint32_t val = 0;
    int index;

    switch (addr & 0xff) {
    case IOAPIC_IOREGSEL:
        return s->ioregsel;
    case IOAPIC_IOWIN:
        if (size != 4) {
            qemu_log_mask(LOG_GUEST_ERROR, "ioapic: %u-byte read of IOWIN\n",
                          size);
            return 0;
        }
        switch (s->ioregsel) {
        case IOAPIC_REG_ID:
        case IOAPIC_REG_ARB:
            return (uint32_t)s->id << 24;
        case IOAPIC_REG_VER:
            return s->version | ((IOAPIC_NUM_PINS - 1) << 16);
        default:
            index = (s->ioregsel - IOAPIC_REG_REDTBL_BASE) >> 1;
            if (s->ioregsel < IOAPIC_REG_REDTBL_BASE ||
                index >= IOAPIC_NUM_PINS) {
                qemu_log_mask(LOG_GUEST_ERROR, "ioapic: read of register "
                              "0x%02x\n", s->ioregsel);
                return 0;
            }
            if (s->ioregsel & 1) {
                val = s->ioredtbl[index] >> 32;
            } else {
                val = s->ioredtbl[index];
            }
        }
        return val;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "ioapic: read at offset 0x%" PRIx64
                      "\n", addr);
        return 0;
    }
}

static void ioapic_write_redtbl(IOAPICCommonState *s, int index, uint32_t val)
{
    uint64_t entry = s->ioredtbl[index];
    uint64_t ro_bits = entry & IOAPIC_RO_BITS;

    if (s->ioregsel & 1) {
        entry = (entry & 0xffffffffULL) | ((uint64_t)val << 32);
    } else {
        entry = (entry & ~0xffffffffULL) | val;
    }
    entry = (entry & IOAPIC_RW_BITS) | ro_bits;
    /* Remote IRR means nothing on an edge pin. */
    if (!entry_is_level(entry)) {
        entry &= ~IOAPIC_LVT_REMOTE_IRR;
    }
    s->ioredtbl[index] = entry;
    /* A level line asserted while masked fires on unmask. */
    ioapic_service(s);
}

static void ioapic_mem_write(void *opaque, hwaddr addr, uint64_t val64,
                             unsigned size)
{
    IOAPICCommonState *s = opaque;
    uint32_t val = val64;
    int index;

    switch (addr & 0xff) {
    case IOAPIC_IOREGSEL:
        s->ioregsel = val;
        return;
    case IOAPIC_IOWIN:
        if (size != 4) {
            qemu_log_mask(LOG_GUEST_ERROR, "ioapic: %u-byte write of IOWIN\n",
                          size);
            return;
        }
        switch (s->ioregsel) {
        case IOAPIC_REG_ID:
            s->id = (val >> 24) & 0xf;
            return;
        case IOAPIC_REG_VER:
        case IOAPIC_REG_ARB:
            return;             /* read-only */
        default:
            index = (s->ioregsel - IOAPIC_REG_REDTBL_BASE) >> 1;
            if (s->ioregsel < IOAPIC_REG_REDTBL_BASE ||
                index >= IOAPIC_NUM_PINS) {
                qemu_log_mask(LOG_GUEST_ERROR, "ioapic: write 0x%x to "
                              "register 0x%02x\n", val, s->ioregsel);
                return;
            }
            ioapic_write_redtbl(s, index, val);
        }
        return;
    case IOAPIC_EOI:
        /* Version 0x20 lets software EOI a level pin directly. */
        if (s->version == 0x20) {
            ioapic_eoi(s, val & 0xff);
            return;
        }
        /* fall through */
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "ioapic: write 0x%x at offset 0x%"
                      PRIx64 "\n", val, addr);
    }
}

static const MemoryRegionOps ioapic_io_ops = {
    .read = ioapic_mem_read,
    .write = ioapic_mem_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

void ioapic_print_info(StrBuf *out, IOAPICCommonState *s)
{
    strbuf_printf(out, "ioapic0: ver=0x%x id=0x%02x sel=0x%02x irr=0x%08x\n",
                  s->version, s->id, s->ioregsel, s->irr);
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        uint64_t e = s->ioredtbl[i];

        strbuf_printf(out, "  pin %-2d 0x%016" PRIx64 " dest=%" PRIu64
                      " vec=%-3u %s %s%s%s\n", i, e, e >> 56,
                      (unsigned)(e & 0xff),
                      entry_is_level(e) ? "level" : "edge ",
                      (e & IOAPIC_LVT_MASKED) ? "masked" : "",
                      (e & IOAPIC_LVT_REMOTE_IRR) ? " remote-irr" : "",
                      (s->irr & (1u << i)) ? " pending" : "");
    }
}

static void ioapic_realize(DeviceState *dev, Error **errp)
{
    IOAPICCommonState *s = IOAPIC(dev);

    if (s->version != 0x11 && s->version != 0x20) {
        error_setg(errp, "ioapic: version 0x%x is not supported (0x11 or "
                   "0x20)", s->version);
        return;
    }
    QLIST_INSERT_HEAD(&ioapics, s, link);
}

static void (*ioapic_parent_unrealize)(DeviceState *dev);

static void ioapic_unrealize(DeviceState *dev)
{
    QLIST_REMOVE(IOAPIC(dev), link);
    ioapic_parent_unrealize(dev);
}

static void ioapic_init(Object *obj)
{
    IOAPICCommonState *s = IOAPIC(obj);

    memory_region_init_io(&s->io_memory, obj, &ioapic_io_ops, s, "ioapic",
                          0x1000);
    sysbus_init_mmio(SYS_BUS_DEVICE(obj), &s->io_memory);
    qdev_init_gpio_in(DEVICE(obj), ioapic_set_irq, IOAPIC_NUM_PINS);
}

static void ioapic_finalize(Object *obj)
{
    memory_region_finalize(&IOAPIC(obj)->io_memory);
}

static void ioapic_reset_enter(Object *obj, ResetType type)
{
    IOAPICCommonState *s = IOAPIC(obj);

    s->id = 0;
    s->ioregsel = 0;
    s->irr = 0;
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        s->ioredtbl[i] = IOAPIC_LVT_MASKED;
    }
}

/* ---- the in-kernel IOAPIC (KVM) ---------------------------------------- */

_Static_assert(KVM_IOAPIC_NUM_PINS == IOAPIC_NUM_PINS,
               "KVM and our IOAPIC have the same pins");

/*
 * struct kvm_ioapic_state holds the same registers: the ID as a number
 * (our 4-bit id, not the register's bits 27:24), IOREGSEL, the pending
 * requests and the redirection entries in the hardware's bit layout.
 */
void ioapic_state_to_kvm(const IOAPICCommonState *s,
                         struct kvm_ioapic_state *k, uint64_t base)
{
    memset(k, 0, sizeof(*k));
    k->base_address = base;
    k->id = s->id;
    k->ioregsel = s->ioregsel;
    k->irr = s->irr;
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        k->redirtbl[i].bits = s->ioredtbl[i];
    }
}

/* The input levels (line) are not in KVM's state: they stay as they are. */
void ioapic_state_from_kvm(IOAPICCommonState *s,
                           const struct kvm_ioapic_state *k)
{
    s->id = k->id & 0xf;
    s->ioregsel = k->ioregsel;
    s->irr = k->irr & ((1u << IOAPIC_NUM_PINS) - 1);
    for (int i = 0; i < IOAPIC_NUM_PINS; i++) {
        s->ioredtbl[i] = k->redirtbl[i].bits;
    }
}

static int ioapic_pre_save(void *opaque)
{
    IOAPICCommonState *s = opaque;
    struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
    int r;

    if (!kvm_irqchip_in_kernel()) {
        return 0;
    }
    r = kvm_irqchip_get(&chip);
    if (r < 0) {
        error_report("ioapic: KVM_GET_IRQCHIP: %s", strerror(-r));
        return r;
    }
    ioapic_state_from_kvm(s, &chip.chip.ioapic);
    return 0;
}

static int ioapic_post_load(void *opaque, int version_id)
{
    IOAPICCommonState *s = opaque;
    struct kvm_irqchip chip = { .chip_id = KVM_IRQCHIP_IOAPIC };
    int r;

    if (!kvm_irqchip_in_kernel()) {
        return 0;
    }
    ioapic_state_to_kvm(s, &chip.chip.ioapic, s->parent_obj.mmio[0].mapped ?
                        s->parent_obj.mmio[0].addr : IOAPIC_DEFAULT_BASE);
    r = kvm_irqchip_set(&chip);
    if (r < 0) {
        error_report("ioapic: KVM_SET_IRQCHIP: %s", strerror(-r));
        return r;
    }
    return 0;
}

/*
 * Input levels, for edge detection after load (QEMU keeps them out of the
 * stream and re-reads them from KVM; we have no other copy).
 */
static const VMStateDescription vmstate_ioapic_line = {
    .name = "ioapic/line",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(line, IOAPICCommonState),
        VMSTATE_END_OF_LIST()
    },
};

/* QEMU's hw/intc/ioapic_common.c "ioapic". */
static const VMStateDescription vmstate_ioapic_common = {
    .name = "ioapic",
    .version_id = 3,
    .minimum_version_id = 1,
    .pre_save = ioapic_pre_save,
    .post_load = ioapic_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(id, IOAPICCommonState),
        VMSTATE_UINT8(ioregsel, IOAPICCommonState),
        VMSTATE_UNUSED_V(2, 8), /* qemu-kvm's v2 format */
        VMSTATE_UINT32_V(irr, IOAPICCommonState, 2),
        VMSTATE_UINT64_ARRAY(ioredtbl, IOAPICCommonState, IOAPIC_NUM_PINS),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_ioapic_line,
        NULL
    },
};

static const Property ioapic_properties[] = {
    DEFINE_PROP_UINT8("version", IOAPICCommonState, version, 0x20),
    DEFINE_PROP_END_OF_LIST(),
};

static void ioapic_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    dc->realize = ioapic_realize;
    device_class_set_parent_unrealize(dc, ioapic_unrealize,
                                      &ioapic_parent_unrealize);
    dc->desc = "I/O APIC";
    dc->vmsd = &vmstate_ioapic_common;
    device_class_set_props(dc, ioapic_properties);
    rc->phases.enter = ioapic_reset_enter;
}

static const TypeInfo ioapic_types[] = {
    {
        .name = TYPE_IOAPIC,
        .parent = TYPE_SYS_BUS_DEVICE,
        .instance_size = sizeof(IOAPICCommonState),
        .instance_init = ioapic_init,
        .instance_finalize = ioapic_finalize,
        .class_init = ioapic_class_init,
    },
};

DEFINE_TYPES(ioapic_types)
