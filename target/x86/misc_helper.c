/*
 * Control and debug registers, MSRs, the TSC and port I/O.
 *
 * Port I/O goes through the memory API's I/O address space with the BQL
 * held, as every device access does; the vCPU thread runs guest code
 * without it.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "memory/memory.h"
#include "system/main-loop.h"
#include "system/timer.h"
#include "hw/core/cpu.h"
#include "target/x86/cpu-qom.h"
#include "accel/tcg/cputlb.h"
#include "seg_helper.h"

/* ---- control registers ----------------------------------------------- */

#define CR0_RESERVED_BITS (~(uint64_t)(CR0_PE_MASK | CR0_MP_MASK | CR0_EM_MASK | \
    CR0_TS_MASK | CR0_ET_MASK | CR0_NE_MASK | CR0_WP_MASK | CR0_AM_MASK | \
    CR0_NW_MASK | CR0_CD_MASK | CR0_PG_MASK))

void x86_write_cr0(CPUX86State *env, uint64_t val)
{
    uint64_t old = env->cr[0];

    if ((val & CR0_RESERVED_BITS) ||
        ((val & CR0_PG_MASK) && !(val & CR0_PE_MASK)) ||
        ((val & CR0_NW_MASK) && !(val & CR0_CD_MASK))) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!(old & CR0_PG_MASK) && (val & CR0_PG_MASK) && (env->efer & MSR_EFER_LME)) {
        /* entering long mode: needs PAE, and not from a 64-bit CS */
        if (!(env->cr[4] & CR4_PAE_MASK) || (env->segs[R_CS].flags & DESC_L_MASK)) {
            raise_exception_err(env, EXCP0D_GPF, 0);
        }
        env->efer |= MSR_EFER_LMA;
    }
    if ((old & CR0_PG_MASK) && !(val & CR0_PG_MASK) && (env->efer & MSR_EFER_LMA)) {
        if (env->hflags & HF_CS64_MASK) {
            raise_exception_err(env, EXCP0D_GPF, 0);
        }
        env->efer &= ~(uint64_t)MSR_EFER_LMA;
    }
    if ((old ^ val) & (CR0_PG_MASK | CR0_WP_MASK | CR0_PE_MASK)) {
        x86_tlb_flush(env);
    }
    env->cr[0] = val | CR0_ET_MASK;
    x86_update_hflags(env);
}

void x86_write_cr3(CPUX86State *env, uint64_t val)
{
    /* 40 physical address bits (CPUID 0x80000008) */
    if ((env->hflags & HF_LMA_MASK) && (val >> 40)) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    if (!(env->hflags & HF_LMA_MASK)) {
        val = (uint32_t)val;
    }
    env->cr[3] = val;
    /* SDM 4.10.4.1: MOV to CR3 keeps global translations when CR4.PGE=1. */
    if (env->cr[4] & CR4_PGE_MASK) {
        x86_tlb_flush_nonglobal(env);
    } else {
        x86_tlb_flush(env);
    }
}

/* CR4 bits the model lets the guest set: only what CPUID advertises. */
static uint64_t cr4_valid_bits(CPUX86State *env)
{
    uint32_t f = env->cfg.features[FEAT_1_EDX];
    uint64_t bits = CR4_PCE_MASK;

    if (f & CPUID_TSC) {
        bits |= CR4_TSD_MASK;
    }
    if (f & CPUID_DE) {
        bits |= CR4_DE_MASK;
    }
    if (f & CPUID_PSE) {
        bits |= CR4_PSE_MASK;
    }
    if (f & CPUID_PAE) {
        bits |= CR4_PAE_MASK;
    }
    if (f & CPUID_MCE) {
        bits |= CR4_MCE_MASK;
    }
    if (f & CPUID_PGE) {
        bits |= CR4_PGE_MASK;
    }
    if (f & CPUID_FXSR) {
        bits |= CR4_OSFXSR_MASK;
    }
    if (f & CPUID_SSE) {
        bits |= CR4_OSXMMEXCPT_MASK;
    }
    return bits;
}

void x86_write_cr4(CPUX86State *env, uint64_t val)
{
    uint64_t changed;

    if ((val & ~cr4_valid_bits(env)) ||
        ((env->hflags & HF_LMA_MASK) && !(val & CR4_PAE_MASK))) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    changed = env->cr[4] ^ val;
    if (changed & (CR4_PGE_MASK | CR4_PAE_MASK | CR4_PSE_MASK)) {
        x86_tlb_flush(env);
    }
    env->cr[4] = val;
    x86_update_hflags(env);
    if (changed & CR4_DE_MASK) {
        x86_dr7_update(env);    /* I/O breakpoints come and go with DE */
    }
}

void x86_write_dr(CPUX86State *env, int reg, uint64_t val)
{
    if (reg == 6) {
        val = (val & 0xf00f) | 0xffff0ff0;
    } else if (reg == 7) {
        val = (val & 0xffff2bff) | 0x400;
    }
    env->dr[reg] = val;
    if (reg < 4 || reg == 7) {
        x86_dr7_update(env);
    }
}

/* ---- TSC ------------------------------------------------------------- */

uint64_t x86_cpu_get_tsc(CPUX86State *env)
{
    /* 1 GHz: one tick per nanosecond of guest (virtual) time */
    return (uint64_t)qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) + env->tsc_offset;
}

/* ---- MSRs ------------------------------------------------------------ */

static X86CPU *env_cpu(CPUX86State *env)
{
    return env->cpu ? X86_CPU(env->cpu) : NULL;
}

static uint64_t *mtrr_fixed_slot(CPUX86State *env, uint32_t index)
{
    if (index == MSR_MTRRfix64K_00000) {
        return &env->mtrr_fixed[0];
    }
    if (index == MSR_MTRRfix16K_80000 || index == MSR_MTRRfix16K_A0000) {
        return &env->mtrr_fixed[1 + index - MSR_MTRRfix16K_80000];
    }
    if (index >= MSR_MTRRfix4K_C0000 && index <= MSR_MTRRfix4K_F8000) {
        return &env->mtrr_fixed[3 + index - MSR_MTRRfix4K_C0000];
    }
    return NULL;
}

bool x86_msr_read(CPUX86State *env, uint32_t index, uint64_t *val)
{
    X86CPU *cpu = env_cpu(env);
    uint64_t *slot;

    switch (index) {
    case MSR_IA32_TSC: *val = x86_cpu_get_tsc(env); return true;
    case MSR_IA32_APICBASE: *val = env->apic_base; return true;
    case MSR_IA32_FEATURE_CONTROL: *val = 1; return true;   /* locked, no VMX */
    case MSR_IA32_UCODE_REV: *val = 0x100000000ULL; return true;
    case MSR_MTRRcap: *val = 0x500 | 8; return true;  /* fixed, WC, 8 variable */
    case MSR_IA32_ARCH_CAPABILITIES:
        /* read-only (WRMSR falls through to #GP); absent unless in CPUID */
        if (!(env->cfg.features[FEAT_7_0_EDX] & CPUID_7_0_EDX_ARCH_CAPABILITIES)) {
            return false;
        }
        *val = X86_ARCH_CAP_TCG;
        return true;
    case MSR_IA32_SYSENTER_CS: *val = env->sysenter_cs; return true;
    case MSR_IA32_SYSENTER_ESP: *val = env->sysenter_esp; return true;
    case MSR_IA32_SYSENTER_EIP: *val = env->sysenter_eip; return true;
    case MSR_MCG_CAP: *val = 0; return true;      /* no banks */
    case MSR_MCG_STATUS: *val = 0; return true;
    case MSR_IA32_MISC_ENABLE: *val = env->misc_enable; return true;
    case MSR_PAT: *val = env->pat; return true;
    case MSR_MTRRdefType: *val = env->mtrr_deftype; return true;
    case MSR_EFER: *val = env->efer; return true;
    case MSR_STAR: *val = env->star; return true;
    case MSR_LSTAR: *val = env->lstar; return true;
    case MSR_CSTAR: *val = env->cstar; return true;
    case MSR_FMASK: *val = env->fmask; return true;
    case MSR_FSBASE: *val = env->segs[R_FS].base; return true;
    case MSR_GSBASE: *val = env->segs[R_GS].base; return true;
    case MSR_KERNELGSBASE: *val = env->kernelgsbase; return true;
    case MSR_TSC_AUX: *val = env->tsc_aux; return true;
    }
    if (index >= MSR_MTRRphysBase0 && index <= MSR_MTRRphysMask7) {
        *val = env->mtrr_var[index - MSR_MTRRphysBase0];
        return true;
    }
    slot = mtrr_fixed_slot(env, index);
    if (slot) {
        *val = *slot;
        return true;
    }
    if (index >= MSR_X2APIC_FIRST && index <= MSR_X2APIC_LAST && cpu &&
        cpu->x2apic_msr_read) {
        return cpu->x2apic_msr_read(cpu, index, val);
    }
    return false;
}

bool x86_msr_write(CPUX86State *env, uint32_t index, uint64_t val)
{
    X86CPU *cpu = env_cpu(env);
    uint64_t *slot;

    switch (index) {
    case MSR_IA32_TSC:
        env->tsc_offset = val - (uint64_t)qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        return true;
    case MSR_IA32_APICBASE:
        /* BSP flag and reserved bits are not writable */
        env->apic_base = (val & 0xfffffff000ULL) | (val & 0xc00) |
                         (env->apic_base & 0x100);
        if (cpu && cpu->apic_base_changed) {
            cpu->apic_base_changed(cpu, env->apic_base);
        }
        return true;
    case MSR_IA32_SYSENTER_CS: env->sysenter_cs = val & 0xffff; return true;
    case MSR_IA32_SYSENTER_ESP: env->sysenter_esp = val; return true;
    case MSR_IA32_SYSENTER_EIP: env->sysenter_eip = val; return true;
    case MSR_MCG_STATUS: return true;
    /* Writing 0 before CPUID(1) latches the microcode revision (SDM 9.11.7);
     * there is no microcode to update, so the write has no effect. */
    case MSR_IA32_UCODE_REV: return true;
    case MSR_IA32_MISC_ENABLE: env->misc_enable = val; return true;
    case MSR_PAT:
        for (int i = 0; i < 8; i++) {
            uint8_t t = val >> (8 * i);
            if (t > 7 || t == 2 || t == 3) {
                return false;
            }
        }
        env->pat = val;
        return true;
    case MSR_MTRRdefType: env->mtrr_deftype = val; return true;
    case MSR_EFER: {
        uint64_t valid = 0;
        if (env->cfg.features[FEAT_8000_0001_EDX] & CPUID_EXT2_SYSCALL) {
            valid |= MSR_EFER_SCE;
        }
        if (env->cfg.features[FEAT_8000_0001_EDX] & CPUID_EXT2_LM) {
            valid |= MSR_EFER_LME | MSR_EFER_LMA;
        }
        if (env->cfg.features[FEAT_8000_0001_EDX] & CPUID_EXT2_NX) {
            valid |= MSR_EFER_NXE;
        }
        if (val & ~valid) {
            return false;
        }
        /* LME cannot change while paging is on; LMA is read-only */
        if ((env->cr[0] & CR0_PG_MASK) && ((val ^ env->efer) & MSR_EFER_LME)) {
            return false;
        }
        val = (val & ~(uint64_t)MSR_EFER_LMA) | (env->efer & MSR_EFER_LMA);
        if ((val ^ env->efer) & MSR_EFER_NXE) {
            x86_tlb_flush(env);
        }
        env->efer = val;
        x86_update_hflags(env);
        return true;
    }
    case MSR_STAR: env->star = val; return true;
    case MSR_LSTAR:
    case MSR_CSTAR:
    case MSR_FSBASE:
    case MSR_GSBASE:
    case MSR_KERNELGSBASE:
        if (!x86_is_canonical(val)) {
            return false;
        }
        if (index == MSR_LSTAR) {
            env->lstar = val;
        } else if (index == MSR_CSTAR) {
            env->cstar = val;
        } else if (index == MSR_FSBASE) {
            env->segs[R_FS].base = val;
        } else if (index == MSR_GSBASE) {
            env->segs[R_GS].base = val;
        } else {
            env->kernelgsbase = val;
        }
        return true;
    case MSR_FMASK: env->fmask = (uint32_t)val; return true;
    case MSR_TSC_AUX: env->tsc_aux = (uint32_t)val; return true;
    }
    if (index >= MSR_MTRRphysBase0 && index <= MSR_MTRRphysMask7) {
        env->mtrr_var[index - MSR_MTRRphysBase0] = val;
        return true;
    }
    slot = mtrr_fixed_slot(env, index);
    if (slot) {
        *slot = val;
        return true;
    }
    if (index >= MSR_X2APIC_FIRST && index <= MSR_X2APIC_LAST && cpu &&
        cpu->x2apic_msr_write) {
        return cpu->x2apic_msr_write(cpu, index, val);
    }
    return false;
}

/* ---- port I/O -------------------------------------------------------- */

/* Protected mode with CPL > IOPL: the TSS I/O permission bitmap decides. */
void x86_check_io(CPUX86State *env, uint32_t port, int size)
{
    uint32_t io_offset, bits;
    int iopl = (env->eflags & IOPL_MASK) >> 12;

    if (!x86_pe(env) || (x86_cpl(env) <= iopl && !(env->eflags & VM_MASK))) {
        return;
    }
    if (!(env->tr.flags & DESC_P_MASK) ||
        ((env->tr.flags >> DESC_TYPE_SHIFT) & 0xf) != 11 || env->tr.limit < 103) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    io_offset = x86_sys_load(env, env->tr.base + 0x66, 2) + (port >> 3);
    if (io_offset + 1 > env->tr.limit) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    bits = x86_sys_load(env, env->tr.base + io_offset, 2) >> (port & 7);
    if (bits & ((1u << size) - 1)) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
}

uint32_t x86_port_in(CPUX86State *env, uint32_t port, int size)
{
    uint32_t val = 0;
    bool locked = bql_locked();

    if (!locked) {
        bql_lock();
    }
    /*
     * One access of the region at the port, as QEMU's cpu_inl: an INL from
     * 0xCF8 must not be split at the reset register on 0xCF9.
     */
    port &= 0xffff;
    switch (size) {
    case 1:
        val = address_space_ldub(&address_space_io, port,
                                 MEMTXATTRS_UNSPECIFIED, NULL);
        break;
    case 2:
        val = address_space_lduw_le(&address_space_io, port,
                                    MEMTXATTRS_UNSPECIFIED, NULL);
        break;
    default:
        val = address_space_ldl_le(&address_space_io, port,
                                   MEMTXATTRS_UNSPECIFIED, NULL);
        break;
    }
    if (!locked) {
        bql_unlock();
    }
    return val;
}

void x86_port_out(CPUX86State *env, uint32_t port, uint32_t val, int size)
{
    bool locked = bql_locked();

    if (!locked) {
        bql_lock();
    }
    port &= 0xffff;
    switch (size) {
    case 1:
        address_space_stb(&address_space_io, port, val,
                          MEMTXATTRS_UNSPECIFIED, NULL);
        break;
    case 2:
        address_space_stw_le(&address_space_io, port, val,
                             MEMTXATTRS_UNSPECIFIED, NULL);
        break;
    default:
        address_space_stl_le(&address_space_io, port, val,
                             MEMTXATTRS_UNSPECIFIED, NULL);
        break;
    }
    /*
     * A port write may remap memory (the i440FX PAM registers): the next
     * access must see the new map, as after an MMIO write.
     */
    if (!locked) {
        bql_unlock();
    }
    if (env->tcg) {
        tlb_check_map_generation(env->tcg);
    }
}
