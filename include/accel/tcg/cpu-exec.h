/*
 * The software CPU's execution engine: translation blocks and the loop
 * that runs them.
 *
 * A TranslationBlock is a run of decoded x86 instructions ending at a
 * control transfer, at an instruction that changes the translation mode
 * (hflags), at the end of a guest page or at TB_MAX_INSNS.  Running one
 * means calling each instruction's handler in turn (the portable
 * interpreter).
 *
 * Design for the slices to come (QEMU's shape, our names follow it):
 *  - TB cache: a shared hash table keyed by (physical pc, cs_base, flags)
 *    in accel/tcg/translate-all.c, plus a per-vCPU jump cache indexed by
 *    virtual pc, consulted by tb_lookup() in cpu-exec.c before translating.
 *  - Chaining: each TB gets up to two outgoing jump slots (taken /
 *    not-taken) patched to point at the next TB, with back-links so that
 *    invalidation can unchain.
 *  - Self-modifying code: per physical page, the list of TBs covering it;
 *    code pages lose their CODE dirty bit so stores go through the slow
 *    path and call tb_invalidate_phys_range(); a TB that overwrites itself
 *    finishes the current instruction and is retranslated.
 *  - Softmmu: X86MemOps is implemented by a per-vCPU TLB (per MMU mode,
 *    read/write/code tags, host addend) with page walks on a miss.
 *  - System instructions, paging, interrupt delivery, x87/SSE handlers
 *    grow as new families in target/x86/insns.def.
 *  - JIT: on x86-64 hosts the same decoded TB is compiled to host code;
 *    this interpreter stays the reference it is tested against.
 */
#ifndef ACCEL_TCG_CPU_EXEC_H
#define ACCEL_TCG_CPU_EXEC_H

#include "target/x86/cpu.h"
#include "target/x86/decode.h"

#define TB_MAX_INSNS 64
#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1ULL << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(TARGET_PAGE_SIZE - 1))

typedef struct TranslationBlock {
    uint64_t pc;          /* linear address of the first instruction */
    uint64_t cs_base;
    uint32_t flags;       /* env->hflags at translation */
    uint16_t icount;      /* decoded instructions */
    uint16_t size;        /* guest bytes covered */
    DecodedInsn insns[TB_MAX_INSNS];
} TranslationBlock;

/*
 * Decode a TB starting at env's cs_base + rip, at most max_insns long.
 * A fetch fault on the first instruction is raised (longjmp) like any
 * guest exception; on a later one the TB simply ends before it.
 */
void tb_gen_code(CPUX86State *env, TranslationBlock *tb, int max_insns);

/* Run the instructions of tb (env->rip must equal its first one's). */
void cpu_tb_exec(CPUX86State *env, const TranslationBlock *tb);

/*
 * Run guest code until env->icount_budget instructions have executed
 * (returns EXCP_INTERRUPT) or an exception is raised (returns its vector,
 * env->rip at the faulting instruction, env->error_code set).  Exception
 * delivery through the IDT is the caller's business for now.
 */
int cpu_exec(CPUX86State *env);

/* -d cpu / -d exec / -d in_asm logging hooks (target/x86 system slice). */
void x86_log_tb_exec(CPUX86State *env, const TranslationBlock *tb);
void x86_log_tb_in_asm(CPUX86State *env, uint64_t pc, int len);

#endif
