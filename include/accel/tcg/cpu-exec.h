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
 * Shape (QEMU's, our names follow it):
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
 *  - JIT: on x86-64 hosts the same decoded TB is compiled to host code
 *    (target/x86/jit.c) when cached; this interpreter stays the reference
 *    it is tested against, and runs any TB the budget cuts short.
 */
#ifndef ACCEL_TCG_CPU_EXEC_H
#define ACCEL_TCG_CPU_EXEC_H

#include "target/x86/cpu.h"
#include "target/x86/decode.h"
#include "target/x86/jit.h"

#define TB_MAX_INSNS 64
#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1ULL << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(TARGET_PAGE_SIZE - 1))

/*
 * A translation block.  Cached TBs live in the code buffer (an arena
 * emptied only by tb_flush, as exclusive work), so a pointer to one stays
 * readable even after it is invalidated: readers check `invalid`.
 *
 * Key: (phys_pc, pc, cs_base, flags).  A TB covers at most two guest
 * pages; page_addr[] are their ram addresses (page_addr[1] is
 * RAM_ADDR_INVALID for a one-page TB), and page_next[] links the TB into
 * each page's list (tagged pointers: low bit = which of the TB's pages).
 *
 * Chaining: jmp_dest[0] is the TB that follows when the TB falls through
 * (ends at a page or size limit, or a conditional branch is not taken),
 * jmp_dest[1] the target of a direct branch; both are set lazily the first
 * time that exit is seen, only when tb_chain_ok() allows.  Each TB lists
 * the TBs that jump to it (jmp_list_head, linked through the sources'
 * jmp_list_next[n], tagged with n) so invalidation can unchain them.
 */
typedef struct TranslationBlock {
    /*
     * The fields the execution loop reads for every TB it runs or chains
     * through come first, in one 64-byte line (TBs are allocated 64-byte
     * aligned): a TB header is often cold in the host cache, and each
     * extra line touched per TB showed up as a miss in profiles.
     */
    uint64_t pc;          /* linear address of the first instruction */
    uint64_t cs_base;
    uint32_t flags;       /* env->hflags at translation */
    uint16_t icount;      /* decoded instructions */
    uint16_t size;        /* guest bytes covered */
    int invalid;          /* atomic: set once, when invalidated */
    uint8_t chain_mask;   /* which jmp slots may be chained (1 << n) */
    bool cached;          /* in the hash table and page lists */
    X86JitFn *jit;        /* host code for the whole TB, or NULL */
    struct TranslationBlock *jmp_dest[2];
    /* rip that leads to jmp_dest[n], as an offset from pc - cs_base
     * (chained TBs lie within this TB's pages, so it fits). */
    int32_t jmp_off[2];
    /* Cold: cache maintenance. */
    uint64_t phys_pc;     /* ram address of pc */
    uint64_t page_addr[2];
    uintptr_t page_next[2];
    struct TranslationBlock *hash_next;
    uintptr_t jmp_list_head;
    uintptr_t jmp_list_next[2];
    DecodedInsn insns[];
} TranslationBlock;

/* Room for a TB of n instructions (tb_gen_code wants TB_MAX_INSNS). */
#define TB_ALLOC_SIZE(n) (sizeof(TranslationBlock) + (n) * sizeof(DecodedInsn))
/* Cached TBs start on a host cache line (see the hot fields above). */
#define TB_ALIGN 64
_Static_assert(offsetof(TranslationBlock, jmp_off) + 2 * sizeof(int32_t) <=
               TB_ALIGN, "TranslationBlock hot fields must fit one line");

/*
 * Decode a TB starting at env's cs_base + rip, at most max_insns long,
 * into tb (room for TB_MAX_INSNS instructions), without caching it.
 * A fetch fault on the first instruction is raised (longjmp) like any
 * guest exception; on a later one the TB simply ends before it.
 */
void tb_gen_code(CPUX86State *env, TranslationBlock *tb, int max_insns);

/* Run the instructions of tb (env->rip must equal its first one's). */
void cpu_tb_exec(CPUX86State *env, const TranslationBlock *tb);

/*
 * Run guest code until env->icount_budget instructions have executed or
 * the vCPU's exit_request is set (returns EXCP_INTERRUPT), or an
 * exception is raised (returns its vector, env->rip at the faulting
 * instruction, env->error_code set).  Exception delivery through the IDT
 * is the caller's business.  With a softmmu (env->tcg) TBs are cached,
 * looked up and chained; without one each TB is translated afresh.
 */
int cpu_exec(CPUX86State *env);

/* ---- TB cache (accel/tcg/tb-maint.c, translate-all.c) ---------------- */

/*
 * The cached TB for env's current pc (translating it on a miss), or NULL
 * when the code is not in RAM (the caller translates an uncached TB).
 * May raise a fetch fault.
 */
TranslationBlock *tb_lookup(CPUX86State *env);
/* Hash-table part of the lookup: NULL on a miss. */
TranslationBlock *tb_htable_lookup(CPUX86State *env, uint64_t pc,
                                   uint64_t cs_base, uint32_t flags,
                                   uint64_t phys_pc);
/* Translate and cache the TB at pc (phys_pc: its ram address). */
TranslationBlock *tb_gen_code_cached(CPUX86State *env, uint64_t pc,
                                     uint64_t cs_base, uint32_t flags,
                                     uint64_t phys_pc);
/*
 * Patch tb's exit n to go straight to next when allowed (same page
 * rules as QEMU: next starts in a page tb covers; both valid).
 */
void tb_add_jump(TranslationBlock *tb, int n, uint64_t rip,
                 TranslationBlock *next);

/*
 * Invalidate every TB overlapping ram addresses [start, end): removes
 * them from the hash table, the jump caches, page lists and chains.  A
 * TB running on some vCPU finishes its current instruction and leaves.
 * The code-write hook of the memory API.
 */
void tb_invalidate_phys_range(uint64_t start, uint64_t end);
/*
 * Empty the whole cache.  From a vCPU thread it is queued as exclusive
 * work (async_safe_run_on_cpu); elsewhere (no vCPU running) it is done now.
 */
void tb_flush(CPUX86State *env);
/*
 * Set up the TB cache once (code buffer, hash table, the memory API's
 * code-write hook); x86_softmmu_init calls it.
 */
void tb_cache_init(void);
/*
 * Code buffer size in bytes.  Takes effect at once by flushing the cache
 * (no vCPU may be running); tests use a small buffer to see flushes.
 */
void tcg_set_code_buffer_size(size_t bytes);
/*
 * Compile cached TBs to host code (default: on where the host has a JIT)
 * or run them on the interpreter only (-accel tcg,jit=off).  Flushes the
 * cache, so no vCPU may be running; returns false if asked for a JIT the
 * host does not have.
 */
bool tcg_set_jit_enabled(bool on);
bool tcg_jit_enabled(void);

typedef struct TCGStats {
    uint64_t tb_count;         /* TBs in the cache now */
    uint64_t tb_translated;    /* TBs translated since start */
    uint64_t code_bytes;       /* guest bytes covered by cached TBs */
    uint64_t buffer_used, buffer_size;
    uint64_t flushes;
    uint64_t invalidations;    /* TBs invalidated by writes */
    uint64_t jc_lookups, jc_hits;
    uint64_t htable_lookups, htable_hits;
    uint64_t chained;          /* TB exits patched to jump directly */
    uint64_t tlb_flushes, tlb_fills;
    uint64_t jit_tbs;          /* cached TBs with host code */
    uint64_t jit_insns, jit_inline;  /* their instructions; done inline */
} TCGStats;
void tcg_get_stats(TCGStats *st);
/* `info jit`: the statistics above as text. */
void tcg_dump_info(StrBuf *out);

/* -d cpu / -d exec / -d in_asm logging hooks (target/x86 system slice). */
void x86_log_tb_exec(CPUX86State *env, const TranslationBlock *tb);
void x86_log_tb_in_asm(CPUX86State *env, uint64_t pc, int len);

#endif
