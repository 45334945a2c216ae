/*
 * x86 paging: the page walk behind the softmmu TLB.  See
 * include/target/x86/mmu.h.
 *
 * One walker serves the three paging modes; the entries it reads are
 * remembered so that Accessed/Dirty bits are set only once the access is
 * known to succeed (a faulting access leaves guest memory untouched), with
 * a compare-and-swap on host RAM so a concurrent change by another vCPU
 * restarts the walk instead of being overwritten.
 */
#include "util/osdep.h"
#include "target/x86/mmu.h"
#include "accel/tcg/cputlb.h"
#include "memory/memory.h"
#include "memory/ram_addr.h"

#define PG_ADDRESS_MASK 0x000ffffffffff000ULL
/* Address bits 40..51 of an entry are reserved with a 40-bit physical width. */
#define PG_PHYS_RSVD_MASK (PG_ADDRESS_MASK & ~((1ULL << X86_PHYS_ADDR_BITS) - 1))
#define PAE_PDPTE_RSVD_MASK 0x1e6ULL          /* bits 1, 2, 5-8 */
#define PG_1G_RSVD_MASK 0x3fffe000ULL         /* bits 13-29 of a 1 GiB leaf */
#define PG_2M_RSVD_MASK 0x1fe000ULL           /* bits 13-20 of a 2 MiB leaf */
#define PG_4M_RSVD_MASK 0x200000ULL           /* bit 21 of a PSE-36 4 MiB leaf */

/* The entries one walk used: where they are and what they held. */
typedef struct PageWalk {
    AddressSpace *as;
    bool is64;             /* 8-byte entries (PAE, 4-level) */
    int n;
    uint64_t addr[4];
    uint64_t val[4];
    bool set_accessed[4];  /* legacy PAE PDPTEs have no A bit */
} PageWalk;

static uint64_t pte_load(CPUX86State *env, PageWalk *w, uint64_t pa,
                         bool set_accessed)
{
    uint64_t v;

    pa &= env->a20_mask;
    if (w->is64) {
        v = address_space_ldq_le(w->as, pa, MEMTXATTRS_UNSPECIFIED, NULL);
    } else {
        v = address_space_ldl_le(w->as, pa, MEMTXATTRS_UNSPECIFIED, NULL);
    }
    assert(w->n < 4);
    w->addr[w->n] = pa;
    w->val[w->n] = v;
    w->set_accessed[w->n] = set_accessed;
    w->n++;
    return v;
}

/*
 * Set bits in the entry at pa if it still holds old.  False when it
 * changed under us (the walk starts again).  Entries outside RAM are
 * written plainly: nothing else can race on a device's registers.
 */
static bool pte_update(PageWalk *w, uint64_t pa, uint64_t old, uint64_t bits)
{
    unsigned size = w->is64 ? 8 : 4;
    hwaddr xlat, len = size;
    bool ok = true;
    MemoryRegion *mr;

    urcu_bp_read_lock();
    mr = address_space_translate(w->as, pa, &xlat, &len, true);
    if (memory_region_is_ram(mr) && !mr->readonly && !mr->rom_device &&
        len >= size) {
        uint8_t *host = (uint8_t *)memory_region_get_ram_ptr(mr) + xlat;
        if (w->is64) {
            uint64_t expected = old;
            ok = __atomic_compare_exchange_n((uint64_t *)host, &expected,
                                             old | bits, false,
                                             __ATOMIC_SEQ_CST,
                                             __ATOMIC_SEQ_CST);
        } else {
            uint32_t expected = old;
            ok = __atomic_compare_exchange_n((uint32_t *)host, &expected,
                                             (uint32_t)(old | bits), false,
                                             __ATOMIC_SEQ_CST,
                                             __ATOMIC_SEQ_CST);
        }
        if (ok) {
            /* A page table may share a page with code. */
            invalidate_and_set_dirty(mr, xlat, size);
        }
    } else if (w->is64) {
        address_space_stq_le(w->as, pa, old | bits, MEMTXATTRS_UNSPECIFIED, NULL);
    } else {
        address_space_stl_le(w->as, pa, old | bits, MEMTXATTRS_UNSPECIFIED, NULL);
    }
    urcu_bp_read_unlock();
    return ok;
}

static bool is_canonical(uint64_t addr)
{
    return (uint64_t)((int64_t)(addr << 16) >> 16) == addr;
}

X86TranslateStatus x86_mmu_translate(CPUX86State *env, uint64_t addr,
                                     MMUAccessType access, int mmu_idx,
                                     bool debug, X86TranslateResult *res,
                                     uint32_t *error_code)
{
    bool is_user = mmu_idx == MMU_USER_IDX;
    bool is_write = access == MMU_DATA_STORE;
    bool is_fetch = access == MMU_INST_FETCH;
    bool nxe = env->efer & MSR_EFER_NXE;
    uint64_t rsvd = PG_PHYS_RSVD_MASK | (nxe ? 0 : PG_NX_MASK);
    uint64_t ptep, pte, page_base, page_size;
    uint32_t err = 0;
    int prot, need;
    PageWalk w;

    if (!(env->cr[0] & CR0_PG_MASK)) {
        res->paddr = addr & env->a20_mask;
        if (!(env->hflags & HF_LMA_MASK)) {
            res->paddr &= 0xffffffffULL;
        }
        res->page_size = TARGET_PAGE_SIZE;
        res->prot = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
        res->global = false;
        return X86_TRANSLATE_OK;
    }

restart:
    w = (PageWalk){ .as = tcg_cpu_address_space(env) };
    /* US and RW are ANDed over the levels, NX ORed (kept inverted). */
    ptep = PG_NX_MASK | PG_USER_MASK | PG_RW_MASK;

    if (env->cr[4] & CR4_PAE_MASK) {
        uint64_t pde_addr, pde, pte_addr;

        w.is64 = true;
        if (env->hflags & HF_LMA_MASK) {
            uint64_t pml4e, pdpe;

            if (!is_canonical(addr)) {
                return X86_TRANSLATE_GP;
            }
            pml4e = pte_load(env, &w, (env->cr[3] & PG_ADDRESS_MASK) +
                             ((addr >> 36) & 0xff8), true);
            if (!(pml4e & PG_PRESENT_MASK)) {
                goto not_present;
            }
            if (pml4e & (rsvd | PG_PSE_MASK)) {
                goto reserved;
            }
            ptep &= pml4e ^ PG_NX_MASK;
            pdpe = pte_load(env, &w, (pml4e & PG_ADDRESS_MASK) +
                            ((addr >> 27) & 0xff8), true);
            if (!(pdpe & PG_PRESENT_MASK)) {
                goto not_present;
            }
            if (pdpe & rsvd) {
                goto reserved;
            }
            ptep &= pdpe ^ PG_NX_MASK;
            if (pdpe & PG_PSE_MASK) {
                if (pdpe & PG_1G_RSVD_MASK) {
                    goto reserved;
                }
                pte = pdpe;
                page_size = 1ULL << 30;
                goto leaf;
            }
            pde_addr = (pdpe & PG_ADDRESS_MASK) + ((addr >> 18) & 0xff8);
        } else {
            uint64_t pdpe = pte_load(env, &w, (env->cr[3] & 0xffffffe0ULL) +
                                     ((addr >> 27) & 0x18), false);
            if (!(pdpe & PG_PRESENT_MASK)) {
                goto not_present;
            }
            if (pdpe & (rsvd | PG_NX_MASK | PAE_PDPTE_RSVD_MASK)) {
                goto reserved;
            }
            pde_addr = (pdpe & PG_ADDRESS_MASK) + ((addr >> 18) & 0xff8);
        }
        pde = pte_load(env, &w, pde_addr, true);
        if (!(pde & PG_PRESENT_MASK)) {
            goto not_present;
        }
        if (pde & rsvd) {
            goto reserved;
        }
        ptep &= pde ^ PG_NX_MASK;
        if (pde & PG_PSE_MASK) {
            if (pde & PG_2M_RSVD_MASK) {
                goto reserved;
            }
            pte = pde;
            page_size = 2ULL << 20;
            goto leaf;
        }
        pte_addr = (pde & PG_ADDRESS_MASK) + ((addr >> 9) & 0xff8);
        pte = pte_load(env, &w, pte_addr, true);
        if (!(pte & PG_PRESENT_MASK)) {
            goto not_present;
        }
        if (pte & rsvd) {
            goto reserved;
        }
        ptep &= pte ^ PG_NX_MASK;
        page_size = TARGET_PAGE_SIZE;
    } else {
        uint64_t pde;

        w.is64 = false;
        pde = pte_load(env, &w, (env->cr[3] & 0xfffff000ULL) +
                       ((addr >> 20) & 0xffc), true);
        if (!(pde & PG_PRESENT_MASK)) {
            goto not_present;
        }
        ptep &= pde ^ PG_NX_MASK;
        if ((pde & PG_PSE_MASK) && (env->cr[4] & CR4_PSE_MASK)) {
            if (pde & PG_4M_RSVD_MASK) {
                goto reserved;
            }
            /* PSE-36: PDE bits 13-20 are physical address bits 32-39. */
            pte = (pde & 0xffc00000ULL) | ((pde & 0x1fe000ULL) << 19) |
                  (pde & 0xfff);
            page_size = 4ULL << 20;
            goto leaf;
        }
        pte = pte_load(env, &w, (pde & 0xfffff000ULL) +
                       ((addr >> 10) & 0xffc), true);
        if (!(pte & PG_PRESENT_MASK)) {
            goto not_present;
        }
        ptep &= pte ^ PG_NX_MASK;
        page_size = TARGET_PAGE_SIZE;
    }

leaf:
    ptep ^= PG_NX_MASK;
    if (debug) {
        prot = PAGE_READ | PAGE_WRITE | PAGE_EXEC;
    } else {
        prot = 0;
        if (!is_user || (ptep & PG_USER_MASK)) {
            prot = PAGE_READ;
            if ((ptep & PG_RW_MASK) ||
                (!is_user && !(env->cr[0] & CR0_WP_MASK))) {
                prot |= PAGE_WRITE;
            }
            if (!(ptep & PG_NX_MASK)) {
                prot |= PAGE_EXEC;
            }
        }
        need = is_write ? PAGE_WRITE : is_fetch ? PAGE_EXEC : PAGE_READ;
        if (!(prot & need)) {
            err = PG_ERROR_P_MASK;
            goto fault;
        }
        /* Accessed on every level, Dirty on the leaf for a store. */
        for (int i = 0; i < w.n; i++) {
            uint64_t bits = w.set_accessed[i] ? PG_ACCESSED_MASK : 0;
            if (i == w.n - 1 && is_write) {
                bits |= PG_DIRTY_MASK;
            }
            if ((w.val[i] & bits) != bits &&
                !pte_update(&w, w.addr[i], w.val[i], bits)) {
                goto restart;
            }
        }
        /* Without D set, a later store must come back to set it. */
        if (!is_write && !(w.val[w.n - 1] & PG_DIRTY_MASK)) {
            prot &= ~PAGE_WRITE;
        }
    }
    page_base = pte & PG_ADDRESS_MASK & ~(page_size - 1);
    res->paddr = (page_base | (addr & (page_size - 1))) & env->a20_mask;
    res->page_size = page_size;
    res->prot = prot;
    res->global = (env->cr[4] & CR4_PGE_MASK) && (pte & PG_GLOBAL_MASK);
    return X86_TRANSLATE_OK;

reserved:
    err = PG_ERROR_RSVD_MASK | PG_ERROR_P_MASK;
    goto fault;
not_present:
    err = 0;
fault:
    if (is_write) {
        err |= PG_ERROR_W_MASK;
    }
    if (is_user) {
        err |= PG_ERROR_U_MASK;
    }
    if (is_fetch && nxe) {
        err |= PG_ERROR_I_D_MASK;
    }
    *error_code = err;
    return X86_TRANSLATE_PAGE_FAULT;
}

bool x86_cpu_get_phys_page_debug(CPUX86State *env, uint64_t vaddr,
                                 uint64_t *paddr)
{
    X86TranslateResult res;
    uint32_t err;

    if (x86_mmu_translate(env, vaddr, MMU_DATA_LOAD, MMU_KERNEL_IDX, true,
                          &res, &err) != X86_TRANSLATE_OK) {
        return false;
    }
    *paddr = res.paddr;
    return true;
}
