/*
 * The softmmu: a per-vCPU TLB in front of the page walk and the memory
 * API, and the per-vCPU state of the TB engine (jump cache, current TB).
 *
 * Each MMU mode (kernel, user; see target/x86/mmu.h) has a direct-mapped
 * table of CPU_TLB_SIZE entries indexed by linear page number.  An entry
 * holds one tag per kind of access (read, write, code): the linear page
 * address when that access may take the fast path, with flag bits in the
 * low bits otherwise, so that one compare of (addr & page mask) against
 * the tag decides:
 *
 *   TLB_INVALID   nothing cached (an empty or flushed entry, or an access
 *                 the page's protection does not allow yet)
 *   TLB_MMIO      not RAM: go through the memory API with the BQL
 *   TLB_NOTDIRTY  RAM whose page is clean for some dirty client, typically
 *                 because it holds translated code: the write invalidates
 *                 the overlapping TBs first (tb_invalidate_phys_range)
 *   TLB_WATCHPOINT a DR0-DR3 data breakpoint covers the page: the slow
 *                 path records hits (x86_check_data_breakpoint)
 *
 * A hit adds `addend` to the linear address to get the host address.
 *
 * Flushes: x86_tlb_flush / _nonglobal / _page (include/target/x86/cpu.h)
 * act on the calling vCPU.  Memory map changes reach every vCPU through a
 * per-vCPU memory listener that bumps a generation counter; the vCPU sees
 * it at the next TB boundary (or after an MMIO access) and flushes its own
 * TLB then.  Host pointers cached in the TLB stay valid until then because
 * cpu_exec runs inside an RCU read-side critical section, dropped only
 * around BQL waits (after which the generation is checked again).
 */
#ifndef ACCEL_TCG_CPUTLB_H
#define ACCEL_TCG_CPUTLB_H

#include "target/x86/cpu.h"
#include "target/x86/mmu.h"
#include "memory/memory.h"

#define CPU_TLB_BITS 12
#define CPU_TLB_SIZE (1 << CPU_TLB_BITS)

#define TLB_INVALID  (1ULL << 11)
#define TLB_NOTDIRTY (1ULL << 10)
#define TLB_MMIO     (1ULL << 9)
#define TLB_FLAGS_MASK (TLB_INVALID | TLB_NOTDIRTY | TLB_MMIO)
/* A data breakpoint covers the page (kept out of TLB_FLAGS_MASK so the
 * dirty tracking still adds TLB_NOTDIRTY to such an entry). */
#define TLB_WATCHPOINT (1ULL << 8)

/* TCGCPUState.used: how many filled entries a flush rewrites one by one. */
#define TLB_USED_MAX 1024
#define TLB_USED_OVERFLOW (TLB_USED_MAX + 1)

#define TB_JMP_CACHE_BITS 12
#define TB_JMP_CACHE_SIZE (1 << TB_JMP_CACHE_BITS)

struct TranslationBlock;

typedef struct CPUTLBEntry {
    uint64_t addr_read;
    uint64_t addr_write;
    uint64_t addr_code;
    uintptr_t addend;     /* host = addend + linear address (RAM only) */
} CPUTLBEntry;

/* What the slow paths need about an entry. */
typedef struct CPUTLBEntryFull {
    uint64_t paddr;       /* physical address of the page */
    ram_addr_t ram_addr;  /* of the page, RAM_ADDR_INVALID when not RAM */
    MemoryRegion *mr;     /* RAM pages: for dirty tracking */
    hwaddr mr_offset;     /* the page's offset in mr */
    bool global;
} CPUTLBEntryFull;

typedef struct TCGCPUState {
    /* Hot: read on every memory access or TB boundary. */
    CPUTLBEntry table[NB_MMU_MODES][CPU_TLB_SIZE];
    struct TranslationBlock *jmp_cache[TB_JMP_CACHE_SIZE];
    struct TranslationBlock *current_tb; /* the TB being run, or NULL */
    int tb_stop;          /* leave the current TB after this instruction */
    const int *exit_request;  /* CPUState.exit_request, or NULL */
    unsigned map_generation;      /* atomic: bumped by the map listener */
    unsigned map_generation_seen; /* the map the TLB was filled from */
    bool rcu_held;        /* cpu_exec holds the RCU read lock */

    CPUTLBEntryFull full[NB_MMU_MODES][CPU_TLB_SIZE];
    /* The large pages entries came from, to flush them whole on INVLPG. */
    uint64_t large_page_addr[NB_MMU_MODES];
    uint64_t large_page_mask[NB_MMU_MODES];
    /*
     * Entries filled since the last full flush, (mmu_idx << CPU_TLB_BITS)
     * | index, so that a flush (every MOV to CR3) rewrites those instead
     * of the whole table: a guest touches tens of pages between context
     * switches, the table holds NB_MMU_MODES * CPU_TLB_SIZE.  When more
     * than TLB_USED_MAX were filled, nr_used is TLB_USED_OVERFLOW and
     * the flush clears everything.
     */
    uint16_t used[TLB_USED_MAX];
    unsigned nr_used;

    CPUX86State *env;
    AddressSpace *as;
    MemoryListener listener;
    QTAILQ_ENTRY(TCGCPUState) link;

    /* Statistics (this vCPU). */
    uint64_t tlb_flushes;
    uint64_t tlb_fills;
    uint64_t jc_lookups, jc_hits;
    uint64_t htable_lookups, htable_hits;
} TCGCPUState;

/*
 * Give env a softmmu over address space as: allocates env->tcg, sets
 * env->mem_ops to the TLB-backed accessors and registers the map
 * listener (call with the BQL held, as for any listener).  exit_request,
 * when not NULL, is polled at every TB boundary.
 */
void x86_softmmu_init(CPUX86State *env, AddressSpace *as,
                      const int *exit_request);
void x86_softmmu_cleanup(CPUX86State *env);
extern const X86MemOps x86_softmmu_ops;

/* The address space env's page walks and accesses use. */
AddressSpace *tcg_cpu_address_space(CPUX86State *env);

/*
 * Code page support for the TB engine.  get_page_addr_code: the ram
 * address of the code byte at linear addr, filling the TLB (a fetch fault
 * is raised); RAM_ADDR_INVALID when the code is not in RAM.
 */
ram_addr_t get_page_addr_code(CPUX86State *env, uint64_t addr);
/* Same without raising: RAM_ADDR_INVALID also when the page faults. */
ram_addr_t probe_page_addr_code(CPUX86State *env, uint64_t addr);

/*
 * Every vCPU's write entries for RAM in [start, start + length) take the
 * slow path again (the range now holds code, or a dirty client cleared
 * its bits).  Migration and display code clearing dirty bits call it.
 */
void tlb_reset_dirty_range_all(ram_addr_t start, ram_addr_t length);

/* Apply fn to every vCPU that has a softmmu (under the engine's lock). */
void tcg_foreach_cpu(void (*fn)(TCGCPUState *tcg, void *opaque), void *opaque);

/*
 * Jump cache index of a linear pc.  The entries of one page are one
 * contiguous block of TB_JMP_PAGE_SIZE, so a page flush clears just that.
 */
#define TB_JMP_PAGE_BITS (TB_JMP_CACHE_BITS / 2)
#define TB_JMP_PAGE_SIZE (1u << TB_JMP_PAGE_BITS)
#define TB_JMP_ADDR_MASK (TB_JMP_PAGE_SIZE - 1)
#define TB_JMP_PAGE_MASK (TB_JMP_CACHE_SIZE - TB_JMP_PAGE_SIZE)

static inline unsigned tb_jmp_cache_hash_page(uint64_t pc)
{
    uint64_t tmp = pc ^ (pc >> (12 - TB_JMP_PAGE_BITS));
    return (tmp >> (12 - TB_JMP_PAGE_BITS)) & TB_JMP_PAGE_MASK;
}

static inline unsigned tb_jmp_cache_hash(uint64_t pc)
{
    uint64_t tmp = pc ^ (pc >> (12 - TB_JMP_PAGE_BITS));
    return ((tmp >> (12 - TB_JMP_PAGE_BITS)) & TB_JMP_PAGE_MASK) |
           (tmp & TB_JMP_ADDR_MASK);
}

/* Called by the exec loop at TB boundaries: pick up memory map changes. */
static inline void tlb_check_map_generation(TCGCPUState *tcg)
{
    unsigned gen = __atomic_load_n(&tcg->map_generation, __ATOMIC_ACQUIRE);

    if (unlikely(gen != tcg->map_generation_seen)) {
        tcg->map_generation_seen = gen;
        x86_tlb_flush(tcg->env);
    }
}

#endif
