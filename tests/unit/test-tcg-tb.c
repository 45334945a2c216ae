/*
 * The TB cache: reuse without retranslation, byte-precise invalidation on
 * writes to code (CPU stores, DMA, TBs spanning two pages, a TB rewriting
 * itself), unchaining, and running on after a code buffer flush.
 * The guest runs 32-bit flat code without paging, through the softmmu.
 */
#include "x86-softmmu-test.h"

static CPUX86State *env = &TM.env;

static void put(uint64_t pa, const void *code, size_t len)
{
    memcpy(TM.host + pa, code, len);   /* before any TB exists there */
}

/* Run from rip for exactly n instructions (the loops never end). */
static void run(uint64_t rip, int64_t n)
{
    env->rip = rip;
    env->icount_budget = n;
    assert_int_equal(cpu_exec(env), EXCP_INTERRUPT);
    assert_true(env->icount_budget == 0);
}

static int tb_setup(void **state)
{
    x86_cpu_reset(env);
    x86_cpu_set_protected_mode_flat(env);
    x86_tlb_flush(env);
    tb_flush(env);
    return 0;
}

static TCGStats stats(void)
{
    TCGStats s;
    tcg_get_stats(&s);
    return s;
}

/* mov eax, imm32; jmp $ */
#define MOV_EAX_JMP_SELF(imm) \
    0xb8, (imm) & 0xff, 0, 0, 0, 0xeb, 0xfe

static void test_reuse_without_retranslation(void **state)
{
    static const uint8_t code[] = { MOV_EAX_JMP_SELF(7) };
    TCGStats s0, s1, s2;

    put(0x10000, code, sizeof(code));
    s0 = stats();
    run(0x10000, 10);
    assert_int_equal(env->regs[R_EAX], 7);
    s1 = stats();
    /* Two TBs: mov+jmp, and the jmp on its own (its own target). */
    assert_true(s1.tb_translated - s0.tb_translated == 2);
    env->regs[R_EAX] = 0;
    run(0x10000, 10);
    s2 = stats();
    assert_int_equal(env->regs[R_EAX], 7);
    assert_true(s2.tb_translated == s1.tb_translated);
    assert_true(s2.jc_hits > s1.jc_hits);
    assert_true(s2.chained >= 1);    /* jmp $ chains to itself */
}

/* (a) A CPU store invalidates exactly the TB it overlaps. */
static void test_store_invalidates_overlapping_tb_only(void **state)
{
    static const uint8_t a[] = { MOV_EAX_JMP_SELF(1) };
    static const uint8_t b[] = { MOV_EAX_JMP_SELF(2) };
    /* mov byte [0x10001], 5; jmp $ */
    static const uint8_t writer[] = { 0xc6, 0x05, 0x01, 0x00, 0x01, 0x00, 0x05,
                                      0xeb, 0xfe };
    TCGStats s0, s1, s2;

    put(0x10000, a, sizeof(a));
    put(0x10800, b, sizeof(b));
    put(0x20000, writer, sizeof(writer));
    run(0x10000, 3);
    assert_int_equal(env->regs[R_EAX], 1);
    run(0x10800, 3);
    assert_int_equal(env->regs[R_EAX], 2);
    s0 = stats();

    run(0x20000, 2);
    s1 = stats();
    assert_int_equal(TM.host[0x10001], 5);
    /* Only the TB at 0x10000 covers byte 0x10001; "jmp $" at 0x10005
     * and both TBs at 0x10800 are on the same page and survive. */
    assert_true(s1.invalidations - s0.invalidations == 1);

    run(0x10800, 3);
    assert_int_equal(env->regs[R_EAX], 2);
    s2 = stats();
    assert_true(s2.tb_translated == s1.tb_translated);
    run(0x10000, 3);
    assert_int_equal(env->regs[R_EAX], 5);
    assert_true(stats().tb_translated == s2.tb_translated + 1);
}

/* (b) A TB running into a second page dies with a write to that page. */
static void test_two_page_tb(void **state)
{
    static const uint8_t code[] = { MOV_EAX_JMP_SELF(3) };
    TCGStats s0, s1;
    uint8_t nine = 9;

    /* mov at 0x30ffc..0x31000 (its last immediate byte on page 0x31000) */
    put(0x30ffc, code, sizeof(code));
    run(0x30ffc, 3);
    assert_int_equal(env->regs[R_EAX], 3);
    s0 = stats();
    /* Byte 0x31000 is the top byte of the immediate. */
    assert_int_equal(address_space_write(&TM.as, 0x31000, MEMTXATTRS_UNSPECIFIED,
                                         &nine, 1), MEMTX_OK);
    s1 = stats();
    assert_true(s1.invalidations - s0.invalidations == 1);
    run(0x30ffc, 3);
    assert_true(env->regs[R_EAX] == 0x09000003);
}

/* (c) DMA into a TB's bytes invalidates it. */
static void test_dma_invalidates(void **state)
{
    static const uint8_t code[] = { MOV_EAX_JMP_SELF(4) };
    uint8_t imm = 0x44;
    TCGStats s0, s1;

    put(0x40000, code, sizeof(code));
    run(0x40000, 3);
    assert_int_equal(env->regs[R_EAX], 4);
    s0 = stats();
    /* A write next to the TB (after jmp $ ends) invalidates nothing. */
    assert_int_equal(address_space_write(&TM.as, 0x40007, MEMTXATTRS_UNSPECIFIED,
                                         &imm, 1), MEMTX_OK);
    assert_true(stats().invalidations == s0.invalidations);
    assert_int_equal(address_space_write(&TM.as, 0x40001, MEMTXATTRS_UNSPECIFIED,
                                         &imm, 1), MEMTX_OK);
    s1 = stats();
    assert_true(s1.invalidations - s0.invalidations == 1);
    run(0x40000, 3);
    assert_int_equal(env->regs[R_EAX], 0x44);
}

/* (d) A TB that rewrites its next instruction runs the new one. */
static void test_self_modifying_tb(void **state)
{
    static const uint8_t code[] = {
        0xc6, 0x05, 0x08, 0x00, 0x05, 0x00, 0x09,  /* mov byte [0x50008], 9 */
        0xb8, 0x01, 0x00, 0x00, 0x00,              /* 0x50007: mov eax, 1 */
        0xeb, 0xfe,                                /* jmp $ */
    };
    put(0x50000, code, sizeof(code));
    run(0x50000, 4);
    assert_int_equal(env->regs[R_EAX], 9);
    assert_true(env->rip == 0x5000c);

    /* And again from a cached start: the store hits the same TB. */
    TM.host[0x50008] = 1;   /* behind the CPU's back; reset by DMA next */
    uint8_t one = 1;
    address_space_write(&TM.as, 0x50008, MEMTXATTRS_UNSPECIFIED, &one, 1);
    run(0x50000, 4);
    assert_int_equal(env->regs[R_EAX], 9);
}

/*
 * Data breakpoints: pages they cover take the slow path, which records
 * hits by type (write / read-write) and length, even for a page the TLB
 * held as a fast RAM entry before DR7 was written.
 */
static void test_data_breakpoints(void **state)
{
    const X86MemOps *ops = env->mem_ops;

    ops->store(env, 0x70000, 1, 4);     /* a fast TLB entry first */
    env->dr[0] = 0x70004;
    env->dr[7] = 0x400 | 1 | (1 << 16) | (3 << 18);   /* L0, write, 4 bytes */
    x86_dr7_update(env);
    assert_int_equal(env->dbg_active, DBG_DATA);

    env->dbg_hits = 0;
    ops->store(env, 0x70000, 2, 4);
    ops->store(env, 0x70008, 2, 1);
    assert_int_equal(env->dbg_hits, 0);
    ops->store(env, 0x70006, 2, 1);
    assert_int_equal(env->dbg_hits, 1);
    env->dbg_hits = 0;
    assert_int_equal(ops->load(env, 0x70004, 4, MMU_DATA_LOAD), 0x00020000);
    assert_int_equal(env->dbg_hits, 0);      /* write-only breakpoint */

    /* DR1: read/write, 8 bytes at 0x70008; a store over both hits both */
    env->dr[1] = 0x70008;
    env->dr[7] |= (1 << 2) | (3 << 20) | (2 << 22);
    x86_dr7_update(env);
    ops->store(env, 0x70004, 0, 8);
    assert_int_equal(env->dbg_hits, 3);
    env->dbg_hits = 0;
    ops->load(env, 0x7000f, 1, MMU_DATA_LOAD);
    assert_int_equal(env->dbg_hits, 2);
    env->dbg_hits = 0;
    ops->load(env, 0x70010, 1, MMU_DATA_LOAD);
    assert_int_equal(env->dbg_hits, 0);

    /* disabled: nothing recorded, no longer active */
    env->dr[7] = 0x400;
    x86_dr7_update(env);
    assert_int_equal(env->dbg_active, 0);
    ops->store(env, 0x70004, 0, 4);
    assert_int_equal(env->dbg_hits, 0);
}

/* (e) A chained TB is unchained when its target is invalidated. */
static void test_unchain_on_invalidate(void **state)
{
    static const uint8_t code[] = {
        0x40, 0xeb, 0x10,                  /* 0x60000: inc eax; jmp 0x60013 */
    };
    static const uint8_t b[] = {
        0x83, 0xc3, 0x01,                  /* 0x60013: add ebx, 1 */
        0xeb, 0xe8,                        /* jmp 0x60000 */
    };
    uint8_t five = 5;
    TCGStats s0, s1;
    TranslationBlock *ta, *tb;

    put(0x60000, code, sizeof(code));
    put(0x60013, b, sizeof(b));
    env->regs[R_EAX] = env->regs[R_EBX] = 0;
    s0 = stats();
    run(0x60000, 40);
    assert_int_equal(env->regs[R_EAX], 10);
    assert_int_equal(env->regs[R_EBX], 10);
    s1 = stats();
    assert_true(s1.chained - s0.chained == 2);
    assert_true(s1.tb_translated - s0.tb_translated == 2);
    ta = tb_htable_lookup(env, 0x60000, 0, env->hflags,
                          get_page_addr_code(env, 0x60000));
    tb = tb_htable_lookup(env, 0x60013, 0, env->hflags,
                          get_page_addr_code(env, 0x60013));
    assert_non_null(ta);
    assert_non_null(tb);
    assert_ptr_equal(ta->jmp_dest[1], tb);
    assert_ptr_equal(tb->jmp_dest[1], ta);
    /* The links record their rip relative to the TB, either way. */
    assert_int_equal(ta->jmp_off[1], 0x13);
    assert_int_equal(tb->jmp_off[1], -0x13);

    address_space_write(&TM.as, 0x60015, MEMTXATTRS_UNSPECIFIED, &five, 1);
    assert_true(stats().invalidations - s1.invalidations == 1);
    /* A no longer jumps to the dead B; B's link to A is gone too. */
    assert_null(ta->jmp_dest[1]);
    assert_null(tb->jmp_dest[1]);
    assert_true(ta->jmp_list_head == 0);
    run(0x60000, 40);
    /* Following the old chain would have added 1 per loop. */
    assert_int_equal(env->regs[R_EAX], 20);
    assert_int_equal(env->regs[R_EBX], 60);
    assert_true(stats().tb_translated - s1.tb_translated == 1);
}

/* Every chain link leads to the TB at the rip it records. */
static void check_links(uint64_t pc)
{
    TranslationBlock *t = tb_htable_lookup(env, pc, 0, env->hflags,
                                           get_page_addr_code(env, pc));

    assert_non_null(t);
    /* Hot fields share one host cache line. */
    assert_true(((uintptr_t)t & (TB_ALIGN - 1)) == 0);
    for (int n = 0; n < 2; n++) {
        if (t->jmp_dest[n]) {
            assert_true(t->pc + (int64_t)t->jmp_off[n] == t->jmp_dest[n]->pc);
        }
    }
}

/* (f) Both exits of a conditional branch chained: each goes its own way. */
static void test_chain_both_exits(void **state)
{
    static const uint8_t code[] = {
        0xb9, 0x05, 0x00, 0x00, 0x00,      /* 0x70000: mov ecx, 5 */
        0x40,                              /* 0x70005: inc eax */
        0x49,                              /* dec ecx */
        0x75, 0xfc,                        /* jnz 0x70005 */
        0x83, 0xc3, 0x01,                  /* 0x70009: add ebx, 1 */
        0xeb, 0xfe,                        /* 0x7000c: jmp $ */
    };
    TCGStats s0, s1;

    put(0x70000, code, sizeof(code));
    for (int i = 0; i < 3; i++) {
        env->regs[R_EAX] = env->regs[R_EBX] = 0;
        s0 = stats();
        run(0x70000, 40);
        assert_int_equal(env->regs[R_EAX], 5);
        assert_int_equal(env->regs[R_EBX], 1);
        assert_int_equal(env->regs[R_ECX], 0);
        if (i > 0) {
            /* Later runs only follow chains and cached TBs. */
            s1 = stats();
            assert_true(s1.tb_translated == s0.tb_translated);
        }
    }
    assert_true(stats().chained >= 2);
    check_links(0x70000);
    check_links(0x70005);
    check_links(0x70009);
    check_links(0x7000c);
}

/* A small code buffer fills up; the flush leaves a working CPU. */
static void test_code_buffer_flush(void **state)
{
    uint8_t code[64 * 3 + 5];
    int32_t back = -(int32_t)sizeof(code);
    TCGStats s0, s1;
    int i;

    /* 64 blocks of "inc eax; jmp next", then a jmp back to the start. */
    for (i = 0; i < 64; i++) {
        code[i * 3] = 0x40;
        code[i * 3 + 1] = 0xeb;
        code[i * 3 + 2] = 0x00;
    }
    code[64 * 3] = 0xe9;                      /* jmp rel32 */
    memcpy(&code[64 * 3 + 1], &back, 4);
    put(0x70000, code, sizeof(code));

    tcg_set_code_buffer_size(8 * 1024);
    s0 = stats();
    env->regs[R_EAX] = 0;
    run(0x70000, 129 * 10);
    s1 = stats();
    assert_int_equal(env->regs[R_EAX], 640);
    assert_true(s1.flushes > s0.flushes);
    assert_true(s1.buffer_size < 16 * 1024);
    tcg_set_code_buffer_size(64 * MiB);
    env->regs[R_EAX] = 0;
    run(0x70000, 129 * 10);
    assert_int_equal(env->regs[R_EAX], 640);
}

/* Fetch faults come out of cpu_exec with rip at the faulting TB. */
static void test_fetch_fault_and_info(void **state)
{
    StrBuf sb = { 0 };
    static const uint8_t code[] = { 0xeb, 0x0e };   /* jmp 0x80010 */

    put(0x80000, code, sizeof(code));
    env->cr[0] |= CR0_PG_MASK;    /* no tables at CR3 0: everything faults */
    env->cr[3] = 0x7f0000;
    memset(TM.host + 0x7f0000, 0, 0x1000);
    x86_tlb_flush(env);
    env->rip = 0x80000;
    env->icount_budget = 5;
    assert_int_equal(cpu_exec(env), EXCP0E_PAGE);
    assert_true(env->cr[2] == 0x80000);
    env->cr[0] &= ~CR0_PG_MASK;
    x86_tlb_flush(env);

    strbuf_append(&sb, "");
    tcg_dump_info(&sb);
    assert_non_null(strstr(sb.str, "TB count"));
    assert_non_null(strstr(sb.str, "TB invalidate count"));
    assert_non_null(strstr(sb.str, "jump cache lookups"));
    strbuf_free(&sb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reuse_without_retranslation, tb_setup),
        cmocka_unit_test_setup(test_store_invalidates_overlapping_tb_only, tb_setup),
        cmocka_unit_test_setup(test_two_page_tb, tb_setup),
        cmocka_unit_test_setup(test_dma_invalidates, tb_setup),
        cmocka_unit_test_setup(test_self_modifying_tb, tb_setup),
        cmocka_unit_test_setup(test_data_breakpoints, tb_setup),
        cmocka_unit_test_setup(test_unchain_on_invalidate, tb_setup),
        cmocka_unit_test_setup(test_chain_both_exits, tb_setup),
        cmocka_unit_test_setup(test_code_buffer_flush, tb_setup),
        cmocka_unit_test_setup(test_fetch_fault_and_info, tb_setup),
    };
    return cmocka_run_group_tests(tests, tm_setup, tm_teardown);
}
