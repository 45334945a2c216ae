/*
 * isa-debugcon, as QEMU's hw/char/debugcon.c: every byte written to one
 * I/O port goes to a chardev; reading the port returns a fixed value, so
 * a guest (Bochs and SeaBIOS convention) can tell the console is there.
 *
 *   -chardev file,id=dbg,path=bios.log
 *   -device isa-debugcon,iobase=0x402,chardev=dbg     (SeaBIOS's port)
 */
#include "util/osdep.h"
#include "hw/isa/isa.h"
#include "hw/qdev-properties.h"
#include "chardev/char.h"

#define TYPE_ISA_DEBUGCON_DEVICE "isa-debugcon"

typedef struct ISADebugconState {
    ISADevice parent_obj;
    uint32_t iobase;
    uint32_t readback;
    char *chardev;
    CharBackend chr;
    MemoryRegion io;
} ISADebugconState;
OBJECT_DECLARE_SIMPLE_TYPE(ISADebugconState, ISA_DEBUGCON_DEVICE)

static void debugcon_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned width)
{
    ISADebugconState *s = opaque;
    uint8_t ch = val;

    /*
     * Blocking, as QEMU's: a log must not lose bytes, and the writer is
     * a BIOS printing a line at a time.
     */
    qemu_chr_fe_write_all(&s->chr, &ch, 1);
}

static uint64_t debugcon_read(void *opaque, hwaddr addr, unsigned width)
{
    ISADebugconState *s = opaque;

    return s->readback;
}

static const MemoryRegionOps debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void debugcon_realize(DeviceState *dev, Error **errp)
{
    ISADebugconState *s = ISA_DEBUGCON_DEVICE(dev);
    Chardev *chr = NULL;

    if (s->iobase > 0xffff) {
        error_setg(errp, "isa-debugcon: iobase 0x%x is not an I/O port",
                   s->iobase);
        return;
    }
    if (s->chardev && *s->chardev) {
        chr = qemu_chr_find(s->chardev);
        if (!chr) {
            error_setg(errp, "Property '%s.chardev' can't find value '%s'",
                       TYPE_ISA_DEBUGCON_DEVICE, s->chardev);
            return;
        }
    }
    if (!chr) {
        error_setg(errp, "Can't create isa-debugcon, empty char device");
        return;
    }
    if (!qemu_chr_fe_init(&s->chr, chr, errp)) {
        return;
    }
    memory_region_init_io(&s->io, OBJECT(dev), &debugcon_ops, s,
                          TYPE_ISA_DEBUGCON_DEVICE, 1);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, s->iobase);
}

static void (*debugcon_parent_unrealize)(DeviceState *dev);

static void debugcon_unrealize(DeviceState *dev)
{
    qemu_chr_fe_deinit(&ISA_DEBUGCON_DEVICE(dev)->chr, false);
    debugcon_parent_unrealize(dev);
}

static void debugcon_finalize(Object *obj)
{
    memory_region_finalize(&ISA_DEBUGCON_DEVICE(obj)->io);
}

static const Property debugcon_properties[] = {
    DEFINE_PROP_UINT32("iobase", ISADebugconState, iobase, 0xe9),
    DEFINE_PROP_STRING("chardev", ISADebugconState, chardev),
    DEFINE_PROP_UINT32("readback", ISADebugconState, readback, 0xe9),
    DEFINE_PROP_END_OF_LIST(),
};

static void debugcon_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->realize = debugcon_realize;
    device_class_set_parent_unrealize(dc, debugcon_unrealize,
                                      &debugcon_parent_unrealize);
    dc->desc = "ISA debug console (Bochs port 0xe9)";
    dc->user_creatable = true;
    device_class_set_props(dc, debugcon_properties);
}

static const TypeInfo debugcon_types[] = {
    {
        .name = TYPE_ISA_DEBUGCON_DEVICE,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(ISADebugconState),
        .instance_finalize = debugcon_finalize,
        .class_init = debugcon_class_init,
    },
};

DEFINE_TYPES(debugcon_types)
