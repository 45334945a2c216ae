/*
 * Internals shared by the system-slice files: descriptor access,
 * far transfers, interrupt delivery (seg_helper.c) and the helpers the
 * instruction handlers in ops-system.c call.
 */
#ifndef TARGET_X86_SEG_HELPER_H
#define TARGET_X86_SEG_HELPER_H

#include "target/x86/cpu.h"

/* System-structure accesses (GDT, LDT, IDT, TSS): checked as CPL 0. */
uint64_t x86_sys_load(CPUX86State *env, uint64_t addr, int size);
void x86_sys_store(CPUX86State *env, uint64_t addr, uint64_t val, int size);

static inline int x86_cpl(CPUX86State *env)
{
    return env->hflags & HF_CPL_MASK;
}

static inline bool x86_pe(CPUX86State *env)
{
    return env->cr[0] & CR0_PE_MASK;
}

static inline bool x86_is_canonical(uint64_t addr)
{
    return (uint64_t)((int64_t)(addr << 16) >> 16) == addr;
}

/* Far transfers; next_rip is the instruction after the JMP/CALL/RET. */
void x86_far_jmp(CPUX86State *env, uint32_t sel, uint64_t rip, uint64_t next_rip);
void x86_far_call(CPUX86State *env, uint32_t sel, uint64_t rip, int ot,
                  uint64_t next_rip);
void x86_far_ret(CPUX86State *env, int ot, int addend);
void x86_iret(CPUX86State *env, int ot, uint64_t next_rip);
void x86_syscall(CPUX86State *env, uint64_t next_rip);
void x86_sysret(CPUX86State *env, int ot);
void x86_sysenter(CPUX86State *env);
void x86_sysexit(CPUX86State *env, int ot);
void x86_lldt(CPUX86State *env, uint32_t sel);
void x86_ltr(CPUX86State *env, uint32_t sel);
/* LAR/LSL/VERR/VERW: return whether ZF is set; *out gets the result. */
bool x86_lar(CPUX86State *env, uint32_t sel, uint32_t *out);
bool x86_lsl(CPUX86State *env, uint32_t sel, uint32_t *out);
bool x86_verr(CPUX86State *env, uint32_t sel, bool write);

/* Port I/O with the IOPL / TSS bitmap check (misc_helper.c). */
void x86_check_io(CPUX86State *env, uint32_t port, int size);
uint32_t x86_port_in(CPUX86State *env, uint32_t port, int size);
void x86_port_out(CPUX86State *env, uint32_t port, uint32_t val, int size);

/* DR writes (DR6/DR7 fixed bits). */
void x86_write_dr(CPUX86State *env, int reg, uint64_t val);

#endif
