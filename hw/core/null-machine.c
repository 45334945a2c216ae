/*
 * The "none" machine: no devices and no CPUs; RAM only when -m is given.
 * Useful to drive the monitor, as QEMU's -M none.
 */
#include "util/osdep.h"
#include "hw/boards.h"

static void machine_none_init(MachineState *machine)
{
    if (machine->ram) {
        memory_region_add_subregion(get_system_memory(), 0, machine->ram);
    }
}

static void machine_none_class_init(ObjectClass *oc, const void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->desc = "empty machine";
    mc->init = machine_none_init;
    mc->max_cpus = 1;
    mc->default_cpus = 0;
    mc->default_ram_size = 0;
    mc->default_ram_id = "ram";
}

static const TypeInfo machine_none_type_info = {
    .name = MACHINE_TYPE_NAME("none"),
    .parent = TYPE_MACHINE,
    .class_init = machine_none_class_init,
};

static void machine_none_register_types(void)
{
    type_register_static(&machine_none_type_info);
}

type_init(machine_none_register_types)
