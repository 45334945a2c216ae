/*
 * Paging and the softmmu TLB: page walks for every page size and paging
 * mode, #PF error codes and CR2, A/D bits, NX, WP, U/S, reserved bits,
 * A20, TLB hits and flushes, MMIO dispatch and page-straddling accesses.
 */
#include "x86-softmmu-test.h"

#define P   PG_PRESENT_MASK
#define RW  PG_RW_MASK
#define US  PG_USER_MASK
#define PS  PG_PSE_MASK
#define G   PG_GLOBAL_MASK
#define NX  PG_NX_MASK
#define A   PG_ACCESSED_MASK
#define D   PG_DIRTY_MASK

/* 4-level tables. */
#define PML4 0x1000
#define PDPT 0x2000
#define PD   0x3000
#define PT   0x4000

static CPUX86State *env = &TM.env;

static int try_load(uint64_t addr, int size, MMUAccessType acc, uint64_t *val)
{
    env->exception_index = EXCP_NONE;
    env->error_code = 0;
    if (sigsetjmp(env->jmp_env, 0)) {
        return env->exception_index;
    }
    *val = env->mem_ops->load(env, addr, size, acc);
    return -1;
}

static int try_store(uint64_t addr, int size, uint64_t val)
{
    env->exception_index = EXCP_NONE;
    env->error_code = 0;
    if (sigsetjmp(env->jmp_env, 0)) {
        return env->exception_index;
    }
    env->mem_ops->store(env, addr, val, size);
    return -1;
}

static void pt_set(int i, uint64_t v) { phys_wq(PT + i * 8, v); }

/* Long mode at cpl over the standard tables (see the comment below). */
static void mode_long(int cpl)
{
    memset(TM.host, 0, 0x10000);
    memset(TM.host + 0x100000, 0, 0x10000);
    phys_wq(PML4, PDPT | P | RW | US);
    phys_wq(PDPT, PD | P | RW | US);
    phys_wq(PDPT + 8, 0 | P | RW | US | PS);            /* 1 GiB at 1 GiB -> 0 */
    phys_wq(PD, PT | P | RW | US);
    phys_wq(PD + 8, 0x400000 | P | RW | US | PS);       /* 2 MiB at 2 MiB -> 4 MiB */
    pt_set(0x10, 0x100000 | P | RW | US);               /* user RW */
    pt_set(0x11, 0x101000 | P);                         /* supervisor RO */
    pt_set(0x12, 0x102000 | P | RW | US | NX);          /* no execute */
    /* 0x13: not present */
    pt_set(0x14, 0x104000 | P | RW | US | (1ULL << 45)); /* reserved bit */
    pt_set(0x15, TM_MMIO_BASE | P | RW);                /* MMIO */
    pt_set(0x16, 0x106000 | P | RW | US);               /* 0x17 not present */
    pt_set(0x18, 0x108000 | P | RW | US | G);

    x86_cpu_reset(env);
    x86_cpu_set_long_mode_flat(env, cpl);
    env->cr[3] = PML4;
    env->cr[0] |= CR0_WP_MASK;
    env->efer |= MSR_EFER_NXE;
    x86_tlb_flush(env);
}

static void test_walk_4k(void **state)
{
    uint64_t v = 0, pa = 0;

    mode_long(3);
    phys_wq(0x100010, 0x0123456789abcdefULL);
    assert_int_equal(try_load(0x10010, 8, MMU_DATA_LOAD, &v), -1);
    assert_true(v == 0x0123456789abcdefULL);
    /* Accessed on every level, not dirty after a load. */
    assert_true(phys_rq(PML4) & A);
    assert_true(phys_rq(PDPT) & A);
    assert_true(phys_rq(PD) & A);
    assert_true(phys_rq(PT + 0x10 * 8) & A);
    assert_false(phys_rq(PT + 0x10 * 8) & D);
    /* A store sets D (the entry was cached without write permission). */
    assert_int_equal(try_store(0x10018, 4, 0xfeedf00d), -1);
    assert_true(phys_rq(PT + 0x10 * 8) & D);
    assert_int_equal(phys_rl(0x100018), 0xfeedf00d);

    assert_true(x86_cpu_get_phys_page_debug(env, 0x10010, &pa));
    assert_true(pa == 0x100010);
    assert_false(x86_cpu_get_phys_page_debug(env, 0x13000, &pa));
}

static void test_walk_large_pages(void **state)
{
    uint64_t v = 0, pa = 0;

    mode_long(0);
    phys_wq(0x400008, 0x2222);
    phys_wq(0x5008, 0x1111);
    assert_int_equal(try_load(0x200008, 8, MMU_DATA_LOAD, &v), -1);
    assert_true(v == 0x2222);
    assert_true(phys_rq(PD + 8) & A);
    assert_int_equal(try_load(0x40005008ULL, 8, MMU_DATA_LOAD, &v), -1);
    assert_true(v == 0x1111);
    assert_true(phys_rq(PDPT + 8) & A);
    assert_false(phys_rq(PDPT + 8) & D);
    assert_int_equal(try_store(0x40005008ULL, 8, 0x3333), -1);
    assert_true(phys_rq(PDPT + 8) & D);
    assert_true(phys_rq(0x5008) == 0x3333);
    assert_true(x86_cpu_get_phys_page_debug(env, 0x3fffff, &pa));
    assert_true(pa == 0x5fffff);

    /* Reserved bits inside a large page's address field. */
    phys_wq(PD + 16, 0x600000 | P | RW | PS | (1ULL << 13));
    assert_int_equal(try_load(0x400000, 1, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code, PG_ERROR_P_MASK | PG_ERROR_RSVD_MASK);
}

static void test_fault_not_present(void **state)
{
    uint64_t v;

    mode_long(3);
    assert_int_equal(try_store(0x13008, 4, 1), EXCP0E_PAGE);
    assert_int_equal(env->error_code, PG_ERROR_W_MASK | PG_ERROR_U_MASK);
    assert_true(env->cr[2] == 0x13008);

    mode_long(0);
    assert_int_equal(try_load(0x13004, 4, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code, 0);
    assert_true(env->cr[2] == 0x13004);
    /* Not present high up: the PML4 entry itself. */
    assert_int_equal(try_load(0x8000000000ULL, 1, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code, 0);
}

static void test_fault_user_supervisor(void **state)
{
    uint64_t v;

    mode_long(3);
    assert_int_equal(try_load(0x11000, 4, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code, PG_ERROR_P_MASK | PG_ERROR_U_MASK);
    /* The same page read as an implicit supervisor access (GDT, IDT...). */
    phys_wl(0x101000, 0xabcd);
    env->implicit_supervisor = 1;
    assert_int_equal(try_load(0x11000, 4, MMU_DATA_LOAD, &v), -1);
    env->implicit_supervisor = 0;
    assert_int_equal(v, 0xabcd);
    /* A user access faults again: the supervisor entry is another TLB. */
    assert_int_equal(try_load(0x11000, 4, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
}

static void test_fault_write_protect(void **state)
{
    mode_long(0);
    assert_int_equal(try_store(0x11000, 4, 5), EXCP0E_PAGE);
    assert_int_equal(env->error_code, PG_ERROR_P_MASK | PG_ERROR_W_MASK);
    assert_int_equal(phys_rl(0x101000), 0);
    assert_false(phys_rq(PT + 0x11 * 8) & (A | D));   /* no side effects */

    /* CR0.WP clear: the supervisor may write read-only pages. */
    env->cr[0] &= ~CR0_WP_MASK;
    x86_tlb_flush(env);
    assert_int_equal(try_store(0x11000, 4, 5), -1);
    assert_int_equal(phys_rl(0x101000), 5);
    assert_true(phys_rq(PT + 0x11 * 8) & D);

    /* A user write to a read-only page faults whatever WP says. */
    mode_long(3);
    env->cr[0] &= ~CR0_WP_MASK;
    pt_set(0x11, 0x101000 | P | US);
    assert_int_equal(try_store(0x11000, 4, 5), EXCP0E_PAGE);
    assert_int_equal(env->error_code,
                     PG_ERROR_P_MASK | PG_ERROR_W_MASK | PG_ERROR_U_MASK);
}

static void test_fault_nx(void **state)
{
    uint64_t v;
    uint8_t buf[4];

    mode_long(0);
    assert_int_equal(try_load(0x12000, 1, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(try_load(0x12000, 1, MMU_INST_FETCH, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code, PG_ERROR_P_MASK | PG_ERROR_I_D_MASK);
    /* The translator's probe does not fault, it just gets nothing. */
    assert_int_equal(env->mem_ops->fetch_code(env, 0x12000, buf, 4), 0);
    assert_int_equal(env->mem_ops->fetch_code(env, 0x11ffe, buf, 4), 2);

    /* Without EFER.NXE bit 63 is reserved. */
    env->efer &= ~(uint64_t)MSR_EFER_NXE;
    x86_tlb_flush(env);
    assert_int_equal(try_load(0x12000, 1, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code, PG_ERROR_P_MASK | PG_ERROR_RSVD_MASK);
    /* ...and a fetch fault has no I/D bit without NXE. */
    assert_int_equal(try_load(0x13000, 1, MMU_INST_FETCH, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code, 0);
}

static void test_fault_reserved(void **state)
{
    uint64_t v;

    mode_long(3);
    assert_int_equal(try_load(0x14000, 4, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code,
                     PG_ERROR_P_MASK | PG_ERROR_RSVD_MASK | PG_ERROR_U_MASK);
    assert_true(env->cr[2] == 0x14000);
    assert_false(phys_rq(PT + 0x14 * 8) & A);
    /* PS in a PML4 entry is reserved too. */
    phys_wq(PML4 + 8, PDPT | P | RW | US | PS);
    assert_int_equal(try_load(0x8000000000ULL, 4, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code,
                     PG_ERROR_P_MASK | PG_ERROR_RSVD_MASK | PG_ERROR_U_MASK);
}

static void test_noncanonical(void **state)
{
    uint64_t v;

    mode_long(0);
    assert_int_equal(try_load(0x0000800000000000ULL, 1, MMU_DATA_LOAD, &v),
                     EXCP0D_GPF);
}

/* 32-bit protected mode with paging; cr4 selects PAE or PSE. */
static void mode_prot_paged(uint64_t cr3, uint64_t cr4)
{
    x86_cpu_reset(env);
    x86_cpu_set_protected_mode_flat(env);
    env->cr[0] |= CR0_PG_MASK | CR0_WP_MASK;
    env->cr[3] = cr3;
    env->cr[4] = cr4;
    x86_tlb_flush(env);
}

static void test_pae_legacy(void **state)
{
    uint64_t v, pa;

    memset(TM.host, 0, 0x10000);
    phys_wq(0x5000, 0x6000 | P);                       /* PDPTE 0 */
    phys_wq(0x6000, 0x7000 | P | RW | US);             /* PDE 0 */
    phys_wq(0x6008, 0x400000 | P | RW | PS);           /* PDE 1: 2 MiB */
    phys_wq(0x7000 + 0x10 * 8, 0x100000 | P | RW);
    phys_wq(0x100010, 0x77);
    phys_wq(0x400010, 0x88);
    mode_prot_paged(0x5000, CR4_PAE_MASK);
    assert_int_equal(try_load(0x10010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 0x77);
    assert_int_equal(try_load(0x200010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 0x88);
    assert_false(phys_rq(0x5000) & A);     /* PAE PDPTEs have no A bit */
    assert_true(phys_rq(0x6000) & A);
    assert_true(x86_cpu_get_phys_page_debug(env, 0x200010, &pa));
    assert_true(pa == 0x400010);

    /* A PDPTE with a reserved bit (RW is reserved there). */
    phys_wq(0x5008, 0x6000 | P | RW);
    assert_int_equal(try_load(0x40000000, 4, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code, PG_ERROR_P_MASK | PG_ERROR_RSVD_MASK);
}

static void test_32bit_pse(void **state)
{
    uint64_t v, pa;

    memset(TM.host, 0, 0x10000);
    phys_wl(0x8000, 0x9000 | P | RW | US);             /* PDE 0 -> PT */
    phys_wl(0x8004, 0x400000 | P | RW | PS);           /* PDE 1: 4 MiB */
    phys_wl(0x8008, 0x400000 | (1 << 13) | P | PS);    /* PSE-36: 4 GiB + 4 MiB */
    phys_wl(0x8010, 0x400000 | (1 << 21) | P | PS);    /* bit 21 reserved */
    phys_wl(0x9000 + 0x10 * 4, 0x100000 | P | RW | US);
    phys_wl(0x100010, 0x99);
    phys_wl(0x400010, 0xaa);
    mode_prot_paged(0x8000, CR4_PSE_MASK);
    assert_int_equal(try_load(0x10010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 0x99);
    assert_int_equal(try_load(0x400010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 0xaa);
    assert_true(phys_rl(0x8004) & A);
    assert_true(x86_cpu_get_phys_page_debug(env, 0x800123, &pa));
    assert_true(pa == 0x100400123ULL);
    assert_int_equal(try_load(0x1000000, 4, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_int_equal(env->error_code, PG_ERROR_P_MASK | PG_ERROR_RSVD_MASK);

    /* Without CR4.PSE, PS is ignored: PDE 1 points at a page table. */
    memset(TM.host + 0x400000, 0, 0x1000);
    phys_wl(0x400000 + 0x10 * 4, 0x100000 | P);
    mode_prot_paged(0x8000, 0);
    assert_int_equal(try_load(0x410010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 0x99);
}

static void test_paging_off_a20(void **state)
{
    uint64_t v;

    x86_cpu_reset(env);
    x86_cpu_set_protected_mode_flat(env);
    x86_tlb_flush(env);
    phys_wl(0x10, 0x1234);
    phys_wl(0x100010, 0x5678);
    assert_int_equal(try_load(0x100010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 0x5678);
    env->a20_mask = ~(1ULL << 20);
    x86_tlb_flush(env);
    assert_int_equal(try_load(0x100010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 0x1234);
}

static void test_tlb_hit_and_flush_page(void **state)
{
    TCGStats s0, s1;
    uint64_t v;

    mode_long(0);
    phys_wl(0x100010, 1);
    phys_wl(0x103010, 2);
    assert_int_equal(try_load(0x10010, 4, MMU_DATA_LOAD, &v), -1);
    tcg_get_stats(&s0);
    assert_int_equal(try_load(0x10014, 4, MMU_DATA_LOAD, &v), -1);
    tcg_get_stats(&s1);
    assert_true(s1.tlb_fills == s0.tlb_fills);   /* a hit */

    /* The mapping changes in memory: the TLB still has the old one... */
    pt_set(0x10, 0x103000 | P | RW | US | A);
    assert_int_equal(try_load(0x10010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 1);
    /* ...until INVLPG. */
    x86_tlb_flush_page(env, 0x10abc);
    assert_int_equal(try_load(0x10010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 2);

    /* INVLPG anywhere in a 2 MiB page drops the entries from it. */
    phys_wl(0x400008, 3);
    phys_wl(0x600008, 4);
    assert_int_equal(try_load(0x200008, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 3);
    phys_wq(PD + 8, 0x600000 | P | RW | US | PS | A);
    x86_tlb_flush_page(env, 0x3ff000);
    assert_int_equal(try_load(0x200008, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 4);
}

static void test_global_pages(void **state)
{
    uint64_t v;

    mode_long(0);
    env->cr[4] |= CR4_PGE_MASK;
    x86_tlb_flush(env);
    phys_wl(0x108000, 1);
    phys_wl(0x100000, 1);
    phys_wl(0x109000, 2);
    phys_wl(0x103000, 2);
    assert_int_equal(try_load(0x18000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(try_load(0x10000, 4, MMU_DATA_LOAD, &v), -1);
    pt_set(0x18, 0x109000 | P | RW | US | G | A);
    pt_set(0x10, 0x103000 | P | RW | US | A);
    x86_tlb_flush_nonglobal(env);      /* a CR3 write */
    assert_int_equal(try_load(0x18000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 1);            /* global: kept */
    assert_int_equal(try_load(0x10000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 2);
    x86_tlb_flush(env);
    assert_int_equal(try_load(0x18000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 2);
}

/*
 * A flush rewrites only the entries filled since the last one, or the
 * whole table when more than TLB_USED_MAX were: both must leave no stale
 * translation behind.
 */
static void test_flush_after_many_fills(void **state)
{
    uint64_t v;

    mode_long(0);
    /* 512 pages of the 2 MiB page at 2 MiB (-> 4 MiB): the used list */
    for (int k = 0; k < 512; k++) {
        phys_wl(0x400000 + k * 4096, k);
        phys_wl(0x600000 + k * 4096, k + 1000);
        assert_int_equal(try_load(0x200000 + k * 4096, 4, MMU_DATA_LOAD, &v), -1);
        assert_int_equal(v, k);
    }
    x86_tlb_flush_page(env, 0x200000 + 7 * 4096);       /* and refill it */
    assert_int_equal(try_load(0x200000 + 7 * 4096, 4, MMU_DATA_LOAD, &v), -1);
    phys_wq(PD + 8, 0x600000 | P | RW | US | PS);
    x86_tlb_flush(env);
    for (int k = 0; k < 512; k++) {
        assert_int_equal(try_load(0x200000 + k * 4096, 4, MMU_DATA_LOAD, &v), -1);
        assert_int_equal(v, k + 1000);
    }

    /* 2048 pages of the 1 GiB page at 1 GiB: more than the list holds */
    for (int k = 0; k < 2048; k++) {
        assert_int_equal(try_load(0x40000000 + k * 4096, 4, MMU_DATA_LOAD, &v), -1);
    }
    phys_wq(PDPT + 8, 0);
    phys_wq(PD + 8, 0);
    x86_tlb_flush(env);
    for (int k = 0; k < 2048; k += 97) {
        assert_int_equal(try_load(0x40000000 + k * 4096, 4, MMU_DATA_LOAD, &v),
                         EXCP0E_PAGE);
    }
    for (int k = 0; k < 512; k += 31) {
        assert_int_equal(try_load(0x200000 + k * 4096, 4, MMU_DATA_LOAD, &v),
                         EXCP0E_PAGE);
    }
}

/* MOV to CR3 keeps global translations when CR4.PGE is set, only then. */
static void test_cr3_write_keeps_global_pages(void **state)
{
    uint64_t v;

    mode_long(0);
    env->cr[4] |= CR4_PGE_MASK;        /* (what x86_write_cr4 does, and */
    x86_tlb_flush(env);                /* its #GP needs a CPUID model) */
    phys_wl(0x108000, 1);
    phys_wl(0x100000, 1);
    phys_wl(0x109000, 2);
    phys_wl(0x103000, 2);
    assert_int_equal(try_load(0x18000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(try_load(0x10000, 4, MMU_DATA_LOAD, &v), -1);
    pt_set(0x18, 0x109000 | P | RW | US | G | A);
    pt_set(0x10, 0x103000 | P | RW | US | A);
    x86_write_cr3(env, PML4);
    assert_int_equal(try_load(0x18000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 1);            /* global: kept */
    assert_int_equal(try_load(0x10000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 2);            /* not global: gone */
    x86_write_cr3(env, PML4);          /* twice: the kept entry stays */
    assert_int_equal(try_load(0x18000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 1);
    env->cr[4] &= ~(uint64_t)CR4_PGE_MASK;
    x86_tlb_flush(env);
    assert_int_equal(try_load(0x18000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 2);
    pt_set(0x18, 0x108000 | P | RW | US | G | A);
    x86_write_cr3(env, PML4);          /* without PGE: everything goes */
    assert_int_equal(try_load(0x18000, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 1);
}

static void test_mmio(void **state)
{
    uint64_t v = 0;

    mode_long(0);
    TM.mmio_reads = TM.mmio_writes = 0;
    assert_int_equal(try_load(0x15010, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(TM.mmio_reads, 1);
    assert_true(TM.mmio_addr == 0x10);
    assert_int_equal(TM.mmio_size, 4);
    assert_true(v == 0x55667788);
    assert_int_equal(try_store(0x15020, 2, 0xbeef), -1);
    assert_int_equal(TM.mmio_writes, 1);
    assert_true(TM.mmio_addr == 0x20);
    assert_int_equal(TM.mmio_size, 2);
    assert_true(TM.mmio_value == 0xbeef);
    /* Every access goes to the device, none is cached. */
    assert_int_equal(try_load(0x15010, 8, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(TM.mmio_reads, 2);
    assert_true(v == 0x1122334455667788ULL);
}

static void test_split_access(void **state)
{
    uint64_t v = 0;

    mode_long(0);
    phys_wl(0x106ffc, 0x11111111);
    assert_int_equal(try_store(0x16ffc, 8, 0x8877665544332211ULL), EXCP0E_PAGE);
    assert_true(env->cr[2] == 0x17000);
    assert_int_equal(env->error_code, PG_ERROR_W_MASK);
    assert_int_equal(phys_rl(0x106ffc), 0x11111111);   /* first page untouched */

    assert_int_equal(try_load(0x16ffe, 4, MMU_DATA_LOAD, &v), EXCP0E_PAGE);
    assert_true(env->cr[2] == 0x17000);

    /* Map the second page to a non-adjacent frame: the split is real. */
    pt_set(0x17, 0x10a000 | P | RW);
    x86_tlb_flush_page(env, 0x17000);
    assert_int_equal(try_store(0x16ffc, 8, 0x8877665544332211ULL), -1);
    assert_int_equal(phys_rl(0x106ffc), 0x44332211);
    assert_int_equal(phys_rl(0x10a000), 0x88776655);
    assert_int_equal(try_load(0x16ffe, 4, MMU_DATA_LOAD, &v), -1);
    assert_int_equal(v, 0x66554433);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_walk_4k),
        cmocka_unit_test(test_walk_large_pages),
        cmocka_unit_test(test_fault_not_present),
        cmocka_unit_test(test_fault_user_supervisor),
        cmocka_unit_test(test_fault_write_protect),
        cmocka_unit_test(test_fault_nx),
        cmocka_unit_test(test_fault_reserved),
        cmocka_unit_test(test_noncanonical),
        cmocka_unit_test(test_pae_legacy),
        cmocka_unit_test(test_32bit_pse),
        cmocka_unit_test(test_paging_off_a20),
        cmocka_unit_test(test_tlb_hit_and_flush_page),
        cmocka_unit_test(test_global_pages),
        cmocka_unit_test(test_flush_after_many_fills),
        cmocka_unit_test(test_cr3_write_keeps_global_pages),
        cmocka_unit_test(test_mmio),
        cmocka_unit_test(test_split_access),
    };
    return cmocka_run_group_tests(tests, tm_setup, tm_teardown);
}
