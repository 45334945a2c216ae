/*
 * The reset control register at port 0xCF9, as on the PIIX3 and ICH9
 * (QEMU keeps it in their LPC bridges; here it is its own ISA device,
 * "cf9-reset", so any machine can have it).
 *
 *   bit 1 (SYS_RST): kind of reset the next RST_CPU asks for (kept)
 *   bit 2 (RST_CPU): writing 1 resets the machine
 * The ACPI FADT's RESET_REG is this port with value 0x06.
 */
#include "util/osdep.h"
#include "hw/isa/isa.h"
#include "system/runstate.h"
#include "migration/vmstate.h"

#define TYPE_CF9_RESET "cf9-reset"

typedef struct CF9ResetState {
    ISADevice parent_obj;
    uint8_t rcr;                /* guest state */
    MemoryRegion io;
} CF9ResetState;
OBJECT_DECLARE_SIMPLE_TYPE(CF9ResetState, CF9_RESET)

static uint64_t cf9_read(void *opaque, hwaddr addr, unsigned size)
{
    return CF9_RESET(opaque)->rcr;
}

static void cf9_write(void *opaque, hwaddr addr, uint64_t val,
                      unsigned size)
{
    CF9ResetState *s = CF9_RESET(opaque);

    if (val & 4) {
        qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        return;
    }
    s->rcr = val & 2;
}

static const MemoryRegionOps cf9_ops = {
    .read = cf9_read,
    .write = cf9_write,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void cf9_realize(DeviceState *dev, Error **errp)
{
    CF9ResetState *s = CF9_RESET(dev);

    memory_region_init_io(&s->io, OBJECT(dev), &cf9_ops, s, "reset-control",
                          1);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, 0xcf9);
}

static void cf9_finalize(Object *obj)
{
    memory_region_finalize(&CF9_RESET(obj)->io);
}

static void cf9_reset_enter(Object *obj, ResetType type)
{
    CF9_RESET(obj)->rcr = 0;
}

/* QEMU carries rcr in its "PIIX3/rcr" subsection; ours is a device. */
static const VMStateDescription vmstate_cf9_reset = {
    .name = "cf9-reset",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(rcr, CF9ResetState),
        VMSTATE_END_OF_LIST()
    },
};

static void cf9_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->realize = cf9_realize;
    dc->desc = "Reset control register (0xCF9)";
    dc->vmsd = &vmstate_cf9_reset;
    RESETTABLE_CLASS(oc)->phases.enter = cf9_reset_enter;
}

static const TypeInfo cf9_types[] = {
    {
        .name = TYPE_CF9_RESET,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(CF9ResetState),
        .instance_finalize = cf9_finalize,
        .class_init = cf9_class_init,
    },
};

DEFINE_TYPES(cf9_types)
