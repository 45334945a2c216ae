/*
 * x86 paging: linear -> physical translation (target/x86/mmu.c).
 *
 * The walker knows the four paging modes (off, 32-bit with PSE, PAE,
 * 4-level), checks permissions for one access, sets Accessed/Dirty bits
 * atomically in guest RAM and reports page faults as an error code.  The
 * softmmu TLB (accel/tcg/cputlb.c) calls it on a miss; it never touches
 * the TLB itself.
 */
#ifndef TARGET_X86_MMU_H
#define TARGET_X86_MMU_H

#include "target/x86/cpu.h"

/* Page table entry bits. */
#define PG_PRESENT_MASK  (1ULL << 0)
#define PG_RW_MASK       (1ULL << 1)
#define PG_USER_MASK     (1ULL << 2)
#define PG_PWT_MASK      (1ULL << 3)
#define PG_PCD_MASK      (1ULL << 4)
#define PG_ACCESSED_MASK (1ULL << 5)
#define PG_DIRTY_MASK    (1ULL << 6)
#define PG_PSE_MASK      (1ULL << 7)
#define PG_GLOBAL_MASK   (1ULL << 8)
#define PG_NX_MASK       (1ULL << 63)

/* #PF error code bits. */
#define PG_ERROR_P_MASK    0x01
#define PG_ERROR_W_MASK    0x02
#define PG_ERROR_U_MASK    0x04
#define PG_ERROR_RSVD_MASK 0x08
#define PG_ERROR_I_D_MASK  0x10

/* CR4 bits the walker reads (x86sys may define them in cpu.h too). */
#ifndef CR4_PSE_MASK
#define CR4_PSE_MASK (1u << 4)
#endif
#ifndef CR4_PGE_MASK
#define CR4_PGE_MASK (1u << 7)
#endif

/* Physical address width; CPUID 0x80000008 EAX[7:0] says the same (0x28). */
#define X86_PHYS_ADDR_BITS 40

/* Permissions a translation grants, as the TLB records them. */
#define PAGE_READ  1
#define PAGE_WRITE 2
#define PAGE_EXEC  4

/* MMU modes: one TLB each. */
enum {
    MMU_KERNEL_IDX = 0,   /* CPL 0-2, and implicit supervisor accesses */
    MMU_USER_IDX = 1,     /* CPL 3 */
    NB_MMU_MODES = 2,
};

static inline int x86_mmu_index(const CPUX86State *env)
{
    return (env->hflags & HF_CPL_MASK) == 3 && !env->implicit_supervisor
           ? MMU_USER_IDX : MMU_KERNEL_IDX;
}

typedef struct X86TranslateResult {
    uint64_t paddr;       /* physical address of the byte asked for (A20 applied) */
    uint64_t page_size;   /* 4 KiB, 2 MiB, 4 MiB or 1 GiB */
    int prot;             /* PAGE_* this mode may do without another walk */
    bool global;          /* a PGE global page */
} X86TranslateResult;

/* Outcome of x86_mmu_translate. */
typedef enum X86TranslateStatus {
    X86_TRANSLATE_OK,
    X86_TRANSLATE_PAGE_FAULT, /* *error_code holds the #PF error code */
    X86_TRANSLATE_GP,         /* non-canonical address: #GP(0) */
} X86TranslateStatus;

/*
 * Translate linear addr for one access in MMU mode mmu_idx.  On success
 * sets the A bits of the entries used and the D bit of the leaf for a
 * store; a failing access changes nothing in guest memory.  debug: no
 * permission checks and no A/D updates (the monitor).
 */
X86TranslateStatus x86_mmu_translate(CPUX86State *env, uint64_t addr,
                                     MMUAccessType access, int mmu_idx,
                                     bool debug, X86TranslateResult *res,
                                     uint32_t *error_code);

#endif
