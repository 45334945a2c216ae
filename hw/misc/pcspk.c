/*
 * Port 0x61: PIT counter 2 gate and output, speaker enable, refresh
 * toggle (see include/hw/misc/pcspk.h).
 */
#include "util/osdep.h"
#include "hw/misc/pcspk.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"

static uint64_t pcspk_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PCSpkState *s = opaque;
    PITChannelInfo ch;

    pit_get_channel_info(s->pit, 2, &ch);
    s->dummy_refresh_clock ^= 1 << 4;
    return ch.gate | (s->data_on << 1) | s->dummy_refresh_clock |
           (ch.out << 5);
}

static void pcspk_ioport_write(void *opaque, hwaddr addr, uint64_t val,
                               unsigned size)
{
    PCSpkState *s = opaque;

    s->data_on = (val >> 1) & 1;
    pit_set_gate(s->pit, 2, val & 1);
}

static const MemoryRegionOps pcspk_io_ops = {
    .read = pcspk_ioport_read,
    .write = pcspk_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* QEMU's hw/audio/pcspk.c "pcspk" (the gate lives in the PIT's state). */
static const VMStateDescription vmstate_spk = {
    .name = "pcspk",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(data_on, PCSpkState),
        VMSTATE_UINT8(dummy_refresh_clock, PCSpkState),
        VMSTATE_END_OF_LIST()
    },
};

static void pcspk_realize(DeviceState *dev, Error **errp)
{
    PCSpkState *s = PC_SPEAKER(dev);

    if (!s->pit) {
        error_setg(errp, "isa-pcspk: link 'pit' is not set");
        return;
    }
    if (s->iobase > 0xffff) {
        error_setg(errp, "isa-pcspk: iobase 0x%x is not a port", s->iobase);
        return;
    }
    memory_region_init_io(&s->ioport, OBJECT(dev), &pcspk_io_ops, s,
                          "pcspk", 1);
    isa_register_ioport(ISA_DEVICE(dev), &s->ioport, s->iobase);
}

static void pcspk_init_obj(Object *obj)
{
    PCSpkState *s = PC_SPEAKER(obj);

    object_property_add_link(obj, "pit", TYPE_I8254, (Object **)&s->pit,
                             object_property_allow_set_link, 0);
}

static void pcspk_finalize(Object *obj)
{
    memory_region_finalize(&PC_SPEAKER(obj)->ioport);
}

static void pcspk_reset_enter(Object *obj, ResetType type)
{
    PCSpkState *s = PC_SPEAKER(obj);

    s->data_on = 0;
    s->dummy_refresh_clock = 0;
}

ISADevice *pcspk_init(ISABus *bus, PITCommonState *pit)
{
    DeviceState *dev = qdev_new(TYPE_PC_SPEAKER);

    object_property_set_link(OBJECT(dev), "pit", OBJECT(pit), &error_abort);
    qdev_realize_and_unref(dev, BUS(bus), &error_abort);
    return ISA_DEVICE(dev);
}

static const Property pcspk_properties[] = {
    DEFINE_PROP_UINT32("iobase", PCSpkState, iobase, 0x61),
    DEFINE_PROP_END_OF_LIST(),
};

static void pcspk_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->realize = pcspk_realize;
    dc->desc = "PC speaker and port 0x61";
    dc->vmsd = &vmstate_spk;
    device_class_set_props(dc, pcspk_properties);
    RESETTABLE_CLASS(oc)->phases.enter = pcspk_reset_enter;
}

static const TypeInfo pcspk_types[] = {
    {
        .name = TYPE_PC_SPEAKER,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(PCSpkState),
        .instance_init = pcspk_init_obj,
        .instance_finalize = pcspk_finalize,
        .class_init = pcspk_class_init,
    },
};

DEFINE_TYPES(pcspk_types)
