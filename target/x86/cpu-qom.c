/*
 * The x86 CPU device: TYPE_X86_CPU ("x86_64-cpu", abstract) and the
 * osprey64 model.  Reset (hold phase) puts the architectural state in the
 * SDM's power-on state; realize resets, then starts the vCPU thread
 * through TYPE_CPU's realize.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "memory/memory.h"
#include "hw/resettable.h"
#include "target/x86/cpu-qom.h"
#include "accel/tcg/cputlb.h"
#include "system/kvm.h"
#include "migration/vmstate.h"

/* ---- default memory ops: linear == physical -------------------------- */
/*
 * Used until the softmmu installs its TLB-based X86MemOps: no paging,
 * accesses go straight to the CPU's address space (A20 applied).
 */
static AddressSpace *phys_as(CPUX86State *env)
{
    X86CPU *cpu = X86_CPU(env->cpu);
    return cpu->as ? cpu->as : &address_space_memory;
}

static uint64_t phys_load(CPUX86State *env, uint64_t addr, int size,
                          MMUAccessType access)
{
    uint64_t v = 0;

    addr = x86_seg_untag(env, addr, size, access);
    address_space_read(phys_as(env), addr & env->a20_mask,
                       MEMTXATTRS_UNSPECIFIED, &v, size);
    return v;
}

static void phys_store(CPUX86State *env, uint64_t addr, uint64_t val, int size)
{
    addr = x86_seg_untag(env, addr, size, MMU_DATA_STORE);
    address_space_write(phys_as(env), addr & env->a20_mask,
                        MEMTXATTRS_UNSPECIFIED, &val, size);
}

static int phys_fetch(CPUX86State *env, uint64_t addr, uint8_t *buf, int len)
{
    address_space_read(phys_as(env), addr & env->a20_mask,
                       MEMTXATTRS_UNSPECIFIED, buf, len);
    return len;
}

const X86MemOps x86_phys_mem_ops = { phys_load, phys_store, phys_fetch };

/* ---- CPUClass hooks -------------------------------------------------- */

static uint64_t x86_cpu_get_pc(CPUState *cs)
{
    CPUX86State *env = x86_cpu_env(cs);
    return env->segs[R_CS].base + env->rip;
}

static int x86_cpu_memory_rw_debug(CPUState *cs, uint64_t vaddr,
                                   uint8_t *buf, int len, bool is_write)
{
    CPUX86State *env = x86_cpu_env(cs);
    X86CPU *cpu = X86_CPU(cs);
    uint8_t *p = buf;

    while (len > 0) {
        uint64_t page = vaddr & ~0xfffULL;
        int n = MIN((uint64_t)len, page + 0x1000 - vaddr);
        uint64_t phys;
        MemTxResult r;

        if (!x86_cpu_get_phys_page_debug(env, page, &phys)) {
            return -1;
        }
        r = address_space_rw(cpu->as ? cpu->as : &address_space_memory,
                             phys + (vaddr - page), MEMTXATTRS_UNSPECIFIED,
                             p, n, is_write);
        if (r != MEMTX_OK) {
            return -1;
        }
        p += n;
        vaddr += n;
        len -= n;
    }
    return 0;
}

/* ---- reset and realize ----------------------------------------------- */

static void x86_cpu_reset_hold(Object *obj, ResetType type)
{
    X86CPU *cpu = X86_CPU(obj);
    X86CPUClass *xcc = X86_CPU_GET_CLASS(obj);
    CPUX86State *env = &cpu->env;

    if (xcc->parent_hold) {
        xcc->parent_hold(obj, type);
    }
    x86_cpu_reset(env);
    x86_tlb_flush(env);
    /*
     * Application processors (APIC ID not 0, so no BSP flag in the APIC
     * base) wait for INIT/SIPI from power-on, as in QEMU and on real
     * hardware: only the BSP runs the firmware.
     */
    if (!(env->apic_base & (1 << 8))) {
        env->hflags2 |= HF2_WAIT_SIPI;
        env->halted = 1;
        CPU(obj)->halted = 1;
    }
}

static void x86_cpu_realize(DeviceState *dev, Error **errp)
{
    X86CPU *cpu = X86_CPU(dev);
    X86CPUClass *xcc = X86_CPU_GET_CLASS(dev);
    CPUState *cs = CPU(dev);
    Error *err = NULL;

    if (xcc->host_cpuid && !kvm_enabled()) {
        error_setg(errp, "CPU model 'host' requires KVM (-accel kvm)");
        return;
    }
    /*
     * Guest memory goes through the softmmu (paging, TLB, TB cache) unless
     * the creator installed other memory ops (unit tests on flat RAM).
     */
    if (!cpu->env.mem_ops) {
        x86_softmmu_init(&cpu->env, cpu->as ? cpu->as : &address_space_memory,
                         &cs->exit_request);
    }
    /* Each CPU's APIC id is its index until a machine sets it. */
    device_cold_reset(dev);
    xcc->parent_class.parent_realize(dev, &err);
    if (err) {
        error_propagate(errp, err);
        return;
    }
    /* As QEMU: instance id = CPU index, so vCPU n loads vCPU n's state. */
    vmstate_register(OBJECT(dev), cs->cpu_index, &vmstate_x86_cpu, cpu);
}

static void x86_cpu_unrealize(DeviceState *dev)
{
    X86CPUClass *xcc = X86_CPU_GET_CLASS(dev);

    vmstate_unregister(OBJECT(dev), &vmstate_x86_cpu, dev);
    xcc->parent_unrealize(dev);
}

static void x86_cpu_instance_init(Object *obj)
{
    X86CPU *cpu = X86_CPU(obj);
    X86CPUClass *xcc = X86_CPU_GET_CLASS(obj);
    CPUState *cs = CPU(obj);

    cs->env_ptr = &cpu->env;
    cpu->env.cpu = cs;
    cpu->env.old_exception = -1;
    if (xcc->model_init) {
        xcc->model_init(&cpu->env.cfg);
    }
    x86_cpu_reset(&cpu->env);
}

static void x86_cpu_class_init(ObjectClass *oc, const void *data)
{
    X86CPUClass *xcc = X86_CPU_CLASS(oc);
    CPUClass *cc = CPU_CLASS(oc);
    DeviceClass *dc = DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);
    ResettablePhases parent;

    device_class_set_parent_realize(dc, x86_cpu_realize, &cc->parent_realize);
    device_class_set_parent_unrealize(dc, x86_cpu_unrealize,
                                      &xcc->parent_unrealize);
    resettable_class_set_parent_phases(rc, NULL, x86_cpu_reset_hold, NULL,
                                       &parent);
    xcc->parent_hold = parent.hold;
    cc->has_work = x86_cpu_has_work;
    cc->dump_state = x86_cpu_dump_state;
    cc->get_pc = x86_cpu_get_pc;
    cc->memory_rw_debug = x86_cpu_memory_rw_debug;
    dc->desc = "x86-64 CPU";
}

static void osprey64_class_init(ObjectClass *oc, const void *data)
{
    X86CPUClass *xcc = X86_CPU_CLASS(oc);

    xcc->model_name = "osprey64";
    xcc->model_init = x86_cpu_config_osprey64;
}

/* -cpu host: starts as osprey64; KVM replaces CPUID with the host's. */
static void host_class_init(ObjectClass *oc, const void *data)
{
    X86CPUClass *xcc = X86_CPU_CLASS(oc);

    xcc->model_name = "host";
    xcc->model_init = x86_cpu_config_osprey64;
    xcc->host_cpuid = true;
}

const char *x86_cpu_type_by_model(const char *model)
{
    if (!strcmp(model, "osprey64")) {
        return TYPE_OSPREY64_CPU;
    }
    if (!strcmp(model, "host")) {
        return TYPE_HOST_X86_CPU;
    }
    return NULL;
}

static const TypeInfo x86_cpu_types[] = {
    {
        .name = TYPE_X86_CPU,
        .parent = TYPE_CPU,
        .instance_size = sizeof(X86CPU),
        .instance_init = x86_cpu_instance_init,
        .abstract = true,
        .class_size = sizeof(X86CPUClass),
        .class_init = x86_cpu_class_init,
    },
    {
        .name = TYPE_OSPREY64_CPU,
        .parent = TYPE_X86_CPU,
        .class_init = osprey64_class_init,
    },
    {
        .name = TYPE_HOST_X86_CPU,
        .parent = TYPE_X86_CPU,
        .class_init = host_class_init,
    },
};

static void x86_cpu_register_types(void)
{
    for (size_t i = 0; i < ARRAY_SIZE(x86_cpu_types); i++) {
        type_register_static(&x86_cpu_types[i]);
    }
}

type_init(x86_cpu_register_types)
