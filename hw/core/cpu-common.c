/*
 * TYPE_CPU: the abstract device every virtual CPU derives from.
 * Realizing a CPU adds it to the CPU list and starts its host thread
 * (through the registered accelerator); unrealizing stops and joins it.
 */
#include "util/osdep.h"
#include "hw/core/cpu.h"
#include "hw/resettable.h"
#include "system/main-loop.h"
#include "migration/vmstate.h"

static int next_cpu_index;

static void cpu_common_instance_init(Object *obj)
{
    CPUState *cpu = CPU(obj);
    cpu->cpu_index = -1;
    cpu->nr_cores = cpu->nr_threads = 1;
    cpu->exception_index = -1;
    pthread_cond_init(&cpu->halt_cond, NULL);
    pthread_mutex_init(&cpu->work_mutex, NULL);
    QTAILQ_INIT(&cpu->work_list);
}

static void cpu_common_instance_finalize(Object *obj)
{
    CPUState *cpu = CPU(obj);
    pthread_cond_destroy(&cpu->halt_cond);
    pthread_mutex_destroy(&cpu->work_mutex);
}

/* Requests that are kicks, not state: dropped on load. */
#define CPU_INTERRUPT_TRANSIENT (CPU_INTERRUPT_EXITTB | CPU_INTERRUPT_HALT | \
                                 CPU_INTERRUPT_POLL | CPU_INTERRUPT_TPR)

static int cpu_common_post_load(void *opaque, int version_id)
{
    CPUState *cpu = opaque;

    if (cpu->halted > 1) {
        error_report("cpu_common: halted is %u, not 0 or 1", cpu->halted);
        return -EINVAL;
    }
    cpu->interrupt_request &= ~CPU_INTERRUPT_TRANSIENT;
    return 0;
}

/*
 * QEMU's "cpu_common": one instance per CPU (instance id the CPU index),
 * the pending events (INTR, NMI, INIT, SIPI) and whether it is halted.
 */
static const VMStateDescription vmstate_cpu_common = {
    .name = "cpu_common",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = cpu_common_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(halted, CPUState),
        VMSTATE_UINT32(interrupt_request, CPUState),
        VMSTATE_END_OF_LIST()
    },
};

static void cpu_common_realize(DeviceState *dev, Error **errp)
{
    CPUState *cpu = CPU(dev);

    if (!cpus_get_accel()) {
        error_setg(errp, "cpu: no accelerator to run CPU %d",
                   next_cpu_index);
        return;
    }
    cpu->cpu_index = next_cpu_index++;
    QTAILQ_INSERT_TAIL(&cpus_queue, cpu, node);
    vmstate_register(OBJECT(cpu), cpu->cpu_index, &vmstate_cpu_common, cpu);
    qemu_init_vcpu(cpu);
}

static void cpu_common_unrealize(DeviceState *dev)
{
    CPUState *cpu = CPU(dev);

    cpu_remove_sync(cpu);
    vmstate_unregister(OBJECT(cpu), &vmstate_cpu_common, cpu);
    QTAILQ_REMOVE(&cpus_queue, cpu, node);
    if (QTAILQ_EMPTY(&cpus_queue)) {
        next_cpu_index = 0;
    }
}

/* Hold phase: the CPU forgets pending events; targets add their registers. */
static void cpu_common_reset_hold(Object *obj, ResetType type)
{
    CPUState *cpu = CPU(obj);
    cpu->interrupt_request = 0;
    cpu->halted = 0;
    cpu->exception_index = -1;
    __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST);
    cpu->crash_occurred = false;
}

static void cpu_common_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    dc->realize = cpu_common_realize;
    dc->unrealize = cpu_common_unrealize;
    dc->desc = "virtual CPU";
    dc->user_creatable = false;
    rc->phases.hold = cpu_common_reset_hold;
}

static const TypeInfo cpu_type_info = {
    .name = TYPE_CPU,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(CPUState),
    .instance_init = cpu_common_instance_init,
    .instance_finalize = cpu_common_instance_finalize,
    .abstract = true,
    .class_size = sizeof(CPUClass),
    .class_init = cpu_common_class_init,
};

static void cpu_register_types(void)
{
    type_register_static(&cpu_type_info);
}

type_init(cpu_register_types)
