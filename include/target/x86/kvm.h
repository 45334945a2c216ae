/*
 * x86 state <-> KVM structures (target/x86/kvm.c).  Pure conversions,
 * usable without /dev/kvm (unit tests check that they round-trip).
 */
#ifndef TARGET_X86_KVM_H
#define TARGET_X86_KVM_H

#include <linux/kvm.h>
#include "target/x86/cpu.h"

void x86_kvm_env_to_regs(CPUX86State *env, struct kvm_regs *regs);
void x86_kvm_regs_to_env(CPUX86State *env, const struct kvm_regs *regs);
/* Segments, descriptor tables, control registers, EFER, APIC base. */
void x86_kvm_env_to_sregs(CPUX86State *env, struct kvm_sregs *sregs);
/* Also recomputes CPL and hflags. */
void x86_kvm_sregs_to_env(CPUX86State *env, const struct kvm_sregs *sregs);
/* x87 and SSE: kvm_fpu and the FXSAVE-format legacy area of an XSAVE image. */
void x86_kvm_env_to_fpu(CPUX86State *env, struct kvm_fpu *fpu);
void x86_kvm_fpu_to_env(CPUX86State *env, const struct kvm_fpu *fpu);
void x86_kvm_env_to_fxsave(CPUX86State *env, uint8_t *img);
void x86_kvm_fxsave_to_env(CPUX86State *env, const uint8_t *img);

/*
 * KVM's IA32_TSC <-> env->tsc_offset (TSC = virtual ns + tsc_offset, as
 * TCG's), now being QEMU_CLOCK_VIRTUAL: how the TSC gets into the
 * CPU's VMState.
 */
void x86_kvm_tsc_to_env(CPUX86State *env, uint64_t tsc, int64_t now);
uint64_t x86_kvm_tsc_from_env(CPUX86State *env, int64_t now);

/*
 * KVM's multiprocessing state <-> env->halted and HF2_WAIT_SIPI, which the
 * CPU's VMState carries: a vCPU halted or waiting for SIPI in the
 * in-kernel LAPIC stays so across a snapshot or migration.
 */
void x86_kvm_mp_state_to_env(CPUX86State *env, uint32_t mp_state);
uint32_t x86_kvm_mp_state_from_env(CPUX86State *env);

/*
 * The CPUID table a vCPU gets: the model's leaves (env->cfg) with the
 * feature words cut down to what KVM supports, or, for -cpu host, KVM's
 * supported table itself with this CPU's APIC id.  Writes at most max
 * entries to out; returns how many.
 */
int x86_kvm_build_cpuid(CPUX86State *env, const struct kvm_cpuid2 *supported,
                        bool host, struct kvm_cpuid_entry2 *out, int max);

#endif
