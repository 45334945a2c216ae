/*
 * TYPE_MACHINE: the common part of every machine type.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "hw/boards.h"
#include "hw/core/cpu.h"
#include "hw/qdev-core.h"
#include "hw/resettable.h"
#include "system/timer.h"

static MachineState *current_machine;

MachineState *current_machine_get(void)
{
    return current_machine;
}

static const char *machine_class_name(MachineClass *mc)
{
    return mc->name;
}

MachineClass *machine_find_class(const char *name, Error **errp)
{
    size_t n;
    ObjectClass **list = object_class_get_list(TYPE_MACHINE, false, &n);
    MachineClass *found = NULL;

    for (size_t i = 0; i < n && !found; i++) {
        MachineClass *mc = MACHINE_CLASS(list[i]);
        if (!strcmp(machine_class_name(mc), name) ||
            (mc->alias && !strcmp(mc->alias, name))) {
            found = mc;
        }
    }
    free(list);
    if (!found) {
        error_setg(errp, "unsupported machine type: \"%s\"\n"
                   "Use -machine help to list supported machines", name);
    }
    return found;
}

MachineClass *machine_default_class(void)
{
    size_t n;
    ObjectClass **list = object_class_get_list(TYPE_MACHINE, false, &n);
    MachineClass *found = NULL;

    for (size_t i = 0; i < n && !found; i++) {
        if (MACHINE_CLASS(list[i])->is_default) {
            found = MACHINE_CLASS(list[i]);
        }
    }
    free(list);
    return found;
}

void machine_print_help(FILE *out)
{
    size_t n;
    ObjectClass **list = object_class_get_list_sorted(TYPE_MACHINE, false, &n);

    fprintf(out, "Supported machines are:\n");
    for (size_t i = 0; i < n; i++) {
        MachineClass *mc = MACHINE_CLASS(list[i]);
        if (mc->alias) {
            fprintf(out, "%-20s %s (alias of %s)\n", mc->alias, mc->desc,
                    mc->name);
        }
        fprintf(out, "%-20s %s%s\n", mc->name, mc->desc,
                mc->is_default ? " (default)" : "");
    }
    free(list);
}

MachineState *machine_create(MachineClass *mc, Error **errp)
{
    if (current_machine) {
        error_setg(errp, "a machine already exists");
        return NULL;
    }
    Object *obj = object_new(object_class_get_name(OBJECT_CLASS(mc)));
    /* Guest time is machine state: first in the stream, as in QEMU. */
    qemu_timers_vmstate_register();
    object_property_add_child(object_get_root(), "machine", obj);
    object_unref(obj);
    current_machine = MACHINE(obj);
    return current_machine;
}

bool machine_run_board_init(MachineState *machine, Error **errp)
{
    MachineClass *mc = MACHINE_GET_CLASS(machine);

    if (machine->smp.cpus == 0 && mc->default_cpus) {
        machine->smp.cpus = mc->default_cpus;
    }
    if (machine->smp.max_cpus < machine->smp.cpus) {
        machine->smp.max_cpus = machine->smp.cpus;
    }
    if (machine->smp.cpus < mc->min_cpus) {
        error_setg(errp, "Invalid SMP CPUs %u. The min CPUs supported by "
                   "machine '%s' is %u", machine->smp.cpus, mc->name,
                   mc->min_cpus);
        return false;
    }
    if (machine->smp.max_cpus > mc->max_cpus) {
        error_setg(errp, "Invalid SMP CPUs %u. The max CPUs supported by "
                   "machine '%s' is %u", machine->smp.max_cpus, mc->name,
                   mc->max_cpus);
        return false;
    }
    if (!machine->cpu_type && mc->default_cpu_type) {
        machine->cpu_type = xstrdup(mc->default_cpu_type);
    }
    if (machine->ram_size) {
        machine->ram = xnew(MemoryRegion);
        if (!memory_region_init_ram(machine->ram, OBJECT(machine),
                                    mc->default_ram_id ? mc->default_ram_id
                                                       : "ram",
                                    machine->ram_size, errp)) {
            error_prepend(errp, "cannot set up guest memory '%s': ",
                          mc->default_ram_id ? mc->default_ram_id : "ram");
            free(machine->ram);
            machine->ram = NULL;
            return false;
        }
    }
    mc->init(machine);
    return true;
}

void machine_reset(MachineState *machine, ShutdownCause cause)
{
    MachineClass *mc = MACHINE_GET_CLASS(machine);

    if (mc->reset) {
        mc->reset(machine, cause);
        return;
    }
    qemu_devices_reset(OBJECT(machine), RESET_TYPE_COLD);
    cpu_synchronize_all_post_reset();
}

static void machine_system_reset_hook(ShutdownCause cause)
{
    if (current_machine) {
        machine_reset(current_machine, cause);
    }
}

void machine_creation_done(MachineState *machine)
{
    static const RunstateHooks hooks = {
        .system_reset = machine_system_reset_hook,
    };
    runstate_set_hooks(&hooks);
    qdev_machine_creation_done();
    machine_reset(machine, SHUTDOWN_CAUSE_NONE);
}

/* ---- properties (qom-get /machine kernel, ...) ---------------------- */

#define MACHINE_STR_PROP(field, propname)                               \
    static char *machine_get_##field(Object *obj, Error **errp)         \
    {                                                                   \
        return xstrdup(MACHINE(obj)->field ? MACHINE(obj)->field : ""); \
    }                                                                   \
    static void machine_set_##field(Object *obj, const char *value,     \
                                    Error **errp)                       \
    {                                                                   \
        free(MACHINE(obj)->field);                                      \
        MACHINE(obj)->field = xstrdup(value);                           \
    }

MACHINE_STR_PROP(kernel_filename, "kernel")
MACHINE_STR_PROP(kernel_cmdline, "append")
MACHINE_STR_PROP(initrd_filename, "initrd")
MACHINE_STR_PROP(firmware, "firmware")

static void machine_instance_init(Object *obj)
{
    MachineState *ms = MACHINE(obj);
    MachineClass *mc = MACHINE_GET_CLASS(obj);

    ms->ram_size = mc->default_ram_size;
    object_property_add_uint64_ptr(obj, "ram-size", &ms->ram_size,
                                   OBJ_PROP_FLAG_READ);
    object_property_add_uint32_ptr(obj, "smp-cpus", &ms->smp.cpus,
                                   OBJ_PROP_FLAG_READ);
}

static void machine_instance_finalize(Object *obj)
{
    MachineState *ms = MACHINE(obj);

    free(ms->kernel_filename);
    free(ms->kernel_cmdline);
    free(ms->initrd_filename);
    free(ms->firmware);
    free(ms->cpu_type);
    free(ms->cpu_features);
    if (ms->ram) {
        memory_region_finalize(ms->ram);
        free(ms->ram);
    }
    if (current_machine == ms) {
        current_machine = NULL;
    }
}

static void machine_class_init(ObjectClass *oc, const void *data)
{
    object_class_property_add_str(oc, "kernel", machine_get_kernel_filename,
                                  machine_set_kernel_filename);
    object_class_property_add_str(oc, "append", machine_get_kernel_cmdline,
                                  machine_set_kernel_cmdline);
    object_class_property_add_str(oc, "initrd", machine_get_initrd_filename,
                                  machine_set_initrd_filename);
    object_class_property_add_str(oc, "firmware", machine_get_firmware,
                                  machine_set_firmware);
}

/* Each machine type's name defaults to its type name minus "-machine". */
static void machine_class_base_init(ObjectClass *oc, const void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);
    const char *type = object_class_get_name(oc);
    size_t len = strlen(type), suffix = strlen(TYPE_MACHINE_SUFFIX);

    if (len > suffix && !strcmp(type + len - suffix, TYPE_MACHINE_SUFFIX)) {
        mc->name = xstrndup(type, len - suffix);
    } else {
        mc->name = type;
    }
    mc->is_default = false;
    mc->alias = NULL;
}

static const TypeInfo machine_type_info = {
    .name = TYPE_MACHINE,
    .parent = TYPE_OBJECT,
    .abstract = true,
    .instance_size = sizeof(MachineState),
    .instance_init = machine_instance_init,
    .instance_finalize = machine_instance_finalize,
    .class_size = sizeof(MachineClass),
    .class_init = machine_class_init,
    .class_base_init = machine_class_base_init,
};

static void machine_register_types(void)
{
    type_register_static(&machine_type_info);
}

type_init(machine_register_types)
