/*
 * VMState of the x86 CPU ("cpu", one instance per vCPU, instance id the
 * CPU index), after QEMU's target/i386/machine.c: field names and order
 * follow QEMU's where we have the state, without the fields of features
 * we do not emulate (SVM, SMM base, MCE banks, KVM paravirt MSRs).
 *
 * Lazy condition codes never reach the stream: "env.eflags" is the whole
 * EFLAGS register, computed on save and split back into cc_src/eflags on
 * load.  x87 registers are their raw 80-bit values, as QEMU's CPU_LDoubleU
 * (be64 mantissa, be16 sign and exponent), so the stream does not depend
 * on the host's long double.  After load the softmmu TLB, the jump cache
 * and the translation cache are flushed: guest RAM and the modes TBs were
 * translated for have changed under them.
 */
#include "util/osdep.h"
#include "target/x86/cpu-qom.h"
#include "accel/tcg/cpu-exec.h"
#include "migration/vmstate.h"

/* ---- element kinds with a conversion ----------------------------------- */

/* EFLAGS with the lazy arithmetic flags folded in. */
static int get_eflags(QEMUFile *f, void *pv, size_t size,
                      const VMStateField *field)
{
    CPUX86State *env = container_of(pv, CPUX86State, eflags);

    cpu_load_eflags(env, qemu_get_be64(f), ~0ULL);
    return 0;
}

static int put_eflags(QEMUFile *f, void *pv, size_t size,
                      const VMStateField *field)
{
    CPUX86State *env = container_of(pv, CPUX86State, eflags);

    qemu_put_be64(f, cpu_compute_eflags(env));
    return 0;
}

static const VMStateInfo vmstate_info_eflags = {
    .name = "eflags", .get = get_eflags, .put = put_eflags,
};

/* QEMU's fpus_vmstate: the status word with TOP in bits 13:11. */
static int get_fpus(QEMUFile *f, void *pv, size_t size,
                    const VMStateField *field)
{
    CPUX86State *env = container_of(pv, CPUX86State, fpus);
    uint16_t v = qemu_get_be16(f);

    env->fpstt = (v >> 11) & 7;
    env->fpus = v & ~0x3800;
    return 0;
}

static int put_fpus(QEMUFile *f, void *pv, size_t size,
                    const VMStateField *field)
{
    CPUX86State *env = container_of(pv, CPUX86State, fpus);

    qemu_put_be16(f, (env->fpus & ~0x3800) | ((env->fpstt & 7) << 11));
    return 0;
}

static const VMStateInfo vmstate_info_fpus = {
    .name = "fpus", .get = get_fpus, .put = put_fpus,
};

/* QEMU's fptag_vmstate: abridged tags, bit set = register valid. */
static int get_fptag(QEMUFile *f, void *pv, size_t size,
                     const VMStateField *field)
{
    uint16_t v = qemu_get_be16(f);

    if (v > 0xff) {
        return -EINVAL;
    }
    *(uint8_t *)pv = ~v & 0xff;
    return 0;
}

static int put_fptag(QEMUFile *f, void *pv, size_t size,
                     const VMStateField *field)
{
    qemu_put_be16(f, ~*(uint8_t *)pv & 0xff);
    return 0;
}

static const VMStateInfo vmstate_info_fptag = {
    .name = "fptag", .get = get_fptag, .put = put_fptag,
};

#define VMSTATE_CONVERTED(_name, _field, _info, _type) {               \
    .name = (_name),                                                   \
    .size = sizeof(_type),                                             \
    .info = &(_info),                                                  \
    .flags = VMS_SINGLE,                                               \
    .offset = vmstate_offset_value(X86CPU, _field, _type),             \
}

/* ---- sub-structures ---------------------------------------------------- */

static const VMStateDescription vmstate_segment = {
    .name = "segment",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(selector, SegmentCache),
        VMSTATE_UINT64(base, SegmentCache),
        VMSTATE_UINT32(limit, SegmentCache),
        VMSTATE_UINT32(flags, SegmentCache),
        VMSTATE_END_OF_LIST()
    },
};

#define VMSTATE_SEGMENT(_field, _state)                                \
    VMSTATE_STRUCT(_field, _state, 0, vmstate_segment, SegmentCache)

/* QEMU's "fpreg": the 80-bit value as mantissa and sign/exponent. */
static const VMStateDescription vmstate_fpreg = {
    .name = "fpreg",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(mant, X86FPReg),
        VMSTATE_UINT16_NAMED("exp", sign_exp, X86FPReg),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_xmm_reg = {
    .name = "xmm_reg",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(q[0], X86XMMReg),
        VMSTATE_UINT64(q[1], X86XMMReg),
        VMSTATE_END_OF_LIST()
    },
};

typedef typeof(((CPUX86State *)0)->msrs[0]) X86StoredMSR;

static const VMStateDescription vmstate_stored_msr = {
    .name = "stored_msr",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(index, X86StoredMSR),
        VMSTATE_UINT64(value, X86StoredMSR),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- subsections ------------------------------------------------------- */

static bool fpop_ip_dp_needed(void *opaque)
{
    CPUX86State *env = &X86_CPU(opaque)->env;

    return env->fpop || env->fpip || env->fpdp;
}

static const VMStateDescription vmstate_fpop_ip_dp = {
    .name = "cpu/fpop_ip_dp",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = fpop_ip_dp_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(env.fpop, X86CPU),
        VMSTATE_UINT64(env.fpip, X86CPU),
        VMSTATE_UINT64(env.fpdp, X86CPU),
        VMSTATE_END_OF_LIST()
    },
};

static bool misc_enable_needed(void *opaque)
{
    return X86_CPU(opaque)->env.misc_enable != 0;
}

static const VMStateDescription vmstate_msr_ia32_misc_enable = {
    .name = "cpu/msr_ia32_misc_enable",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = misc_enable_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(env.misc_enable, X86CPU),
        VMSTATE_END_OF_LIST()
    },
};

static bool msr_count_valid(void *opaque, int version_id)
{
    int n = X86_CPU(opaque)->env.msr_count;

    return n >= 0 && n <= MSR_STORE_COUNT;
}

/* MSRs the machine stores without giving them meaning (ours only). */
static const VMStateDescription vmstate_msr_store = {
    .name = "cpu/msr_store",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_INT32(env.msr_count, X86CPU),
        VMSTATE_VALIDATE("msr_count within the store", msr_count_valid),
        VMSTATE_STRUCT_ARRAY(env.msrs, X86CPU, MSR_STORE_COUNT, 0,
                             vmstate_stored_msr, X86StoredMSR),
        VMSTATE_END_OF_LIST()
    },
};

/* APIC base as the CPU sees it, halted state, apic-less TSC and CR8. */
static const VMStateDescription vmstate_cpu_osprey = {
    .name = "cpu/osprey",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(env.apic_base, X86CPU),
        VMSTATE_UINT8(env.cr8, X86CPU),
        VMSTATE_INT32(env.halted, X86CPU),
        VMSTATE_UINT64(env.xcr0, X86CPU),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- the CPU ----------------------------------------------------------- */

static bool cpu_state_valid(void *opaque, int version_id)
{
    CPUX86State *env = &X86_CPU(opaque)->env;

    return env->sipi_vector >= 0 && env->sipi_vector <= 0xff &&
           !(env->mxcsr & ~0xffffu);
}

static int cpu_post_load(void *opaque, int version_id)
{
    X86CPU *cpu = opaque;
    CPUX86State *env = &cpu->env;

    if (env->halted != 0 && env->halted != 1) {
        error_report("cpu: halted is %d, not 0 or 1", env->halted);
        return -EINVAL;
    }
    env->hflags &= HF_CPL_MASK | HF_INHIBIT_IRQ_MASK | HF_SMM_MASK;
    x86_update_hflags(env);
    x86_dr7_update(env);       /* dbg_active follows the loaded DR7 and CR4 */
    env->exception_index = EXCP_NONE;
    env->old_exception = -1;
    if (env->cpu) {
        env->cpu->halted = env->halted;
    }
    x86_cpu_flush_after_load(env);
    return 0;
}

/*
 * QEMU's target/i386/machine.c "cpu" (version 12).  hflags is saved for
 * the CPL, the interrupt shadow and SMM; the rest of it is recomputed.
 */
const VMStateDescription vmstate_x86_cpu = {
    .name = "cpu",
    .version_id = 12,
    .minimum_version_id = 12,
    .post_load = cpu_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64_ARRAY(env.regs, X86CPU, CPU_NB_REGS),
        VMSTATE_UINT64_NAMED("env.eip", env.rip, X86CPU),
        VMSTATE_CONVERTED("env.eflags", env.eflags, vmstate_info_eflags,
                          uint64_t),
        VMSTATE_UINT32(env.hflags, X86CPU),
        /* FPU */
        VMSTATE_UINT16(env.fpuc, X86CPU),
        VMSTATE_CONVERTED("env.fpus_vmstate", env.fpus, vmstate_info_fpus,
                          uint16_t),
        VMSTATE_CONVERTED("env.fptag_vmstate", env.fptags,
                          vmstate_info_fptag, uint8_t),
        VMSTATE_UNUSED(2),      /* fpregs_format_vmstate: 0, 80-bit */
        VMSTATE_STRUCT_ARRAY(env.fpregs, X86CPU, 8, 0, vmstate_fpreg,
                             X86FPReg),
        /* ES..GS: R_SEG_FLAT is a constant, not state. */
        VMSTATE_STRUCT_ARRAY_NAMED("env.segs", env.segs, X86CPU, R_SEG_COUNT,
                                   R_SEG_COUNT + 1, 0, vmstate_segment,
                                   SegmentCache),
        VMSTATE_SEGMENT(env.ldt, X86CPU),
        VMSTATE_SEGMENT(env.tr, X86CPU),
        VMSTATE_SEGMENT(env.gdt, X86CPU),
        VMSTATE_SEGMENT(env.idt, X86CPU),
        VMSTATE_UINT32(env.sysenter_cs, X86CPU),
        VMSTATE_UINT64(env.sysenter_esp, X86CPU),
        VMSTATE_UINT64(env.sysenter_eip, X86CPU),
        VMSTATE_UINT64(env.cr[0], X86CPU),
        VMSTATE_UINT64(env.cr[2], X86CPU),
        VMSTATE_UINT64(env.cr[3], X86CPU),
        VMSTATE_UINT64(env.cr[4], X86CPU),
        VMSTATE_UINT64_ARRAY(env.dr, X86CPU, 8),
        /* MMU */
        VMSTATE_UINT64(env.a20_mask, X86CPU),
        /* XMM */
        VMSTATE_UINT32(env.mxcsr, X86CPU),
        /* QEMU's name */
        VMSTATE_STRUCT_ARRAY_NAMED("env.xmm_regs", env.xmm, X86CPU,
                                   CPU_NB_REGS, CPU_NB_REGS, 0,
                                   vmstate_xmm_reg, X86XMMReg),
        VMSTATE_UINT64(env.efer, X86CPU),
        VMSTATE_UINT64(env.star, X86CPU),
        VMSTATE_UINT64(env.lstar, X86CPU),
        VMSTATE_UINT64(env.cstar, X86CPU),
        VMSTATE_UINT64(env.fmask, X86CPU),
        VMSTATE_UINT64(env.kernelgsbase, X86CPU),
        VMSTATE_UINT64(env.pat, X86CPU),
        VMSTATE_UINT32(env.hflags2, X86CPU),
        VMSTATE_UINT64(env.tsc_offset, X86CPU),
        /* MTRRs */
        VMSTATE_UINT64_ARRAY(env.mtrr_fixed, X86CPU, 11),
        VMSTATE_UINT64(env.mtrr_deftype, X86CPU),
        VMSTATE_UINT64_ARRAY(env.mtrr_var, X86CPU, 16),
        VMSTATE_INT32(env.sipi_vector, X86CPU),
        VMSTATE_UINT64(env.tsc_aux, X86CPU),
        VMSTATE_VALIDATE("sipi_vector and mxcsr in range", cpu_state_valid),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_fpop_ip_dp,
        &vmstate_msr_ia32_misc_enable,
        &vmstate_msr_store,
        &vmstate_cpu_osprey,
        NULL
    },
};

void x86_cpu_flush_after_load(CPUX86State *env)
{
    x86_tlb_flush(env);
    /* Guest RAM was replaced behind the code-write hooks. */
    if (env->tcg) {
        tb_flush(env);
    }
}
