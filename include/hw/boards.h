/*
 * Machines: the object that owns a VM's devices, RAM and CPUs.
 * A machine type is a QOM class named "<name>-machine" (as QEMU's), chosen
 * with -machine/-M <name>; its init() builds the board.
 */
#ifndef HW_BOARDS_H
#define HW_BOARDS_H

#include "qom/object.h"
#include "memory/memory.h"
#include "system/runstate.h"

#define TYPE_MACHINE "machine"
#define TYPE_MACHINE_SUFFIX "-machine"
#define MACHINE_TYPE_NAME(machinename) (machinename TYPE_MACHINE_SUFFIX)
OBJECT_DECLARE_TYPE(MachineState, MachineClass, MACHINE)

typedef struct CpuTopology {
    unsigned cpus;       /* CPUs present at start-up */
    unsigned max_cpus;
} CpuTopology;

struct MachineClass {
    ObjectClass parent_class;

    const char *name;    /* "pc"; derived from the type name if NULL */
    const char *alias;   /* e.g. "pc" for "pc-i440fx-7.2" */
    const char *desc;
    bool is_default;
    void (*init)(MachineState *machine);
    /* Full system reset; defaults to resetting every device. */
    void (*reset)(MachineState *machine, ShutdownCause cause);
    unsigned min_cpus, max_cpus, default_cpus;
    uint64_t default_ram_size;
    const char *default_cpu_type;
    const char *default_ram_id;
};

struct MachineState {
    Object parent_obj;

    uint64_t ram_size;
    char *kernel_filename;
    char *kernel_cmdline;
    char *initrd_filename;
    char *firmware;
    char *cpu_type;
    char *cpu_features;    /* the whole -cpu string, or NULL */
    CpuTopology smp;
    MemoryRegion *ram;     /* the main RAM block, owned by the machine */
};

/* The machine of this process (NULL before machine_create). */
MachineState *current_machine_get(void);
/* Find a machine class by name or alias; NULL and *errp if none. */
MachineClass *machine_find_class(const char *name, Error **errp);
MachineClass *machine_default_class(void);
/* Print "Supported machines are:" list as QEMU's -machine help. */
void machine_print_help(FILE *out);
/* Create /machine of class @mc (properties may be set before init). */
MachineState *machine_create(MachineClass *mc, Error **errp);
/* Check the configuration, allocate RAM and run the board's init. */
bool machine_run_board_init(MachineState *machine, Error **errp);
/* Reset the whole machine (called by the main loop with vCPUs paused). */
void machine_reset(MachineState *machine, ShutdownCause cause);
/* After creation: mark creation done, cold-reset everything. */
void machine_creation_done(MachineState *machine);

#endif
