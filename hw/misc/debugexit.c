/*
 * isa-debug-exit, as QEMU's hw/misc/debugexit.c: a test guest writes v to
 * the port and the emulator exits with status (v << 1) | 1 (so a guest
 * can never fake a clean 0).  The exit goes through the shutdown request
 * path, so the terminal and the rest are cleaned up as for any shutdown.
 *
 *   -device isa-debug-exit,iobase=0xf4,iosize=4
 */
#include "util/osdep.h"
#include "hw/isa/isa.h"
#include "hw/qdev-properties.h"
#include "system/runstate.h"

#define TYPE_ISA_DEBUG_EXIT "isa-debug-exit"

typedef struct ISADebugExitState {
    ISADevice parent_obj;
    uint32_t iobase;
    uint32_t iosize;
    MemoryRegion io;
} ISADebugExitState;
OBJECT_DECLARE_SIMPLE_TYPE(ISADebugExitState, ISA_DEBUG_EXIT)

static uint64_t debug_exit_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0;
}

static void debug_exit_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned width)
{
    qemu_system_shutdown_request_with_code(SHUTDOWN_CAUSE_GUEST_SHUTDOWN,
                                           (int)((val << 1) | 1));
}

static const MemoryRegionOps debug_exit_ops = {
    .read = debug_exit_read,
    .write = debug_exit_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 4 },
};

static void debug_exit_realize(DeviceState *dev, Error **errp)
{
    ISADebugExitState *s = ISA_DEBUG_EXIT(dev);

    if (s->iosize == 0 || s->iosize > 4 ||
        (uint64_t)s->iobase + s->iosize > 0x10000) {
        error_setg(errp, "isa-debug-exit: iobase=0x%x iosize=%u does not "
                   "fit the port space (iosize 1-4)", s->iobase, s->iosize);
        return;
    }
    memory_region_init_io(&s->io, OBJECT(dev), &debug_exit_ops, s,
                          TYPE_ISA_DEBUG_EXIT, s->iosize);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, s->iobase);
}

static void debug_exit_finalize(Object *obj)
{
    memory_region_finalize(&ISA_DEBUG_EXIT(obj)->io);
}

static const Property debug_exit_properties[] = {
    DEFINE_PROP_UINT32("iobase", ISADebugExitState, iobase, 0x501),
    DEFINE_PROP_UINT32("iosize", ISADebugExitState, iosize, 0x02),
    DEFINE_PROP_END_OF_LIST(),
};

static void debug_exit_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->realize = debug_exit_realize;
    dc->desc = "exit the emulator with a status from the guest";
    dc->user_creatable = true;
    device_class_set_props(dc, debug_exit_properties);
}

static const TypeInfo debug_exit_types[] = {
    {
        .name = TYPE_ISA_DEBUG_EXIT,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(ISADebugExitState),
        .instance_finalize = debug_exit_finalize,
        .class_init = debug_exit_class_init,
    },
};

DEFINE_TYPES(debug_exit_types)
