/*
 * The x86-64 host JIT against the interpreter: the same random 64-bit
 * code runs with -accel tcg,jit=on and jit=off, and every register,
 * rip, the arithmetic flags, the budget, the data memory and the exit
 * (HLT, a #PF with its CR2/error code, or the budget running out) must
 * match.  The code mixes the forms the JIT does inline with ones it
 * hands to the interpreter (ADC/SBB and INC/DEC read or keep CF, SETcc,
 * PUSHF, memory operands), so dead-flag elimination and the state seen
 * at a fault mid-TB are checked too.
 */
#include "x86-softmmu-test.h"

static CPUX86State *env = &TM.env;

#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define CODE 0x100000
#define DATA 0x200000
#define DATA_SIZE 256
#define STACK_TOP 0x300000
#define UNMAPPED 0x40000000u   /* PDPT entry 1 is not present */

/* ---- random code -------------------------------------------------------- */

typedef struct Gen {
    uint64_t rng;
    uint8_t buf[4096];
    int len;
    int avoid;            /* a loop counter no instruction may write */
    bool code32;          /* run as 32-bit flat code (REX bytes: INC/DEC) */
} Gen;

static uint64_t rnd(Gen *g)
{
    g->rng ^= g->rng << 13;
    g->rng ^= g->rng >> 7;
    g->rng ^= g->rng << 17;
    return g->rng;
}
static unsigned below(Gen *g, unsigned n) { return rnd(g) % n; }
static void b(Gen *g, uint8_t v) { g->buf[g->len++] = v; }
static void b32(Gen *g, uint32_t v)
{
    for (int i = 0; i < 4; i++) {
        b(g, v >> (8 * i));
    }
}
/* A random 32-bit value, often a small or edge one (flags corner cases). */
static uint32_t val32(Gen *g)
{
    static const uint32_t edge[] = { 0, 1, 0x7f, 0x80, 0xff, 0x7fffffff,
                                     0x80000000, 0xffffffff, 31, 32, 63 };
    return below(g, 3) ? (uint32_t)rnd(g) : edge[below(g, ARRAY_SIZE(edge))];
}

/* Any register but RSP as a destination (the stack must stay usable). */
static int dst_reg(Gen *g)
{
    int r;
    do {
        r = below(g, 16);
    } while (r == R_ESP || r == g->avoid);
    return r;
}

/* REX for W, ModRM.reg and ModRM.rm; sometimes an empty 0x40 one. */
static void rex(Gen *g, bool w, int reg, int rm)
{
    uint8_t v = 0x40 | (w << 3) | ((reg >> 3) << 2) | (rm >> 3);
    if (v != 0x40 || below(g, 4) == 0) {
        b(g, v);
    }
}
static void modrm_rr(Gen *g, int reg, int rm)
{
    b(g, 0xc0 | ((reg & 7) << 3) | (rm & 7));
}
/* [disp32] absolute (SIB, no base, no index): a word of DATA. */
static void modrm_abs(Gen *g, int reg, uint32_t addr)
{
    b(g, 0x04 | ((reg & 7) << 3));
    b(g, 0x25);
    b32(g, addr);
}

static void gen_insn(Gen *g)
{
    bool w = below(g, 2);
    int d = dst_reg(g), s = below(g, 16);
    uint32_t data = DATA + 8 * below(g, DATA_SIZE / 8);

    switch (below(g, 24)) {
    case 0: case 1: case 2:   /* ALU r/m, reg (all eight, ADC/SBB too) */
        rex(g, w, s, d);
        b(g, 0x01 + 8 * below(g, 8));
        modrm_rr(g, s, d);
        break;
    case 3:                   /* ALU reg, r/m */
        rex(g, w, d, s);
        b(g, 0x03 + 8 * below(g, 8));
        modrm_rr(g, d, s);
        break;
    case 4:                   /* ALU r/m, imm32 / imm8 */
        rex(g, w, 0, d);
        if (below(g, 2)) {
            b(g, 0x81);
            modrm_rr(g, below(g, 8), d);
            b32(g, val32(g));
        } else {
            b(g, 0x83);
            modrm_rr(g, below(g, 8), d);
            b(g, rnd(g));
        }
        break;
    case 5:                   /* ALU eAX, imm32; TEST */
        if (below(g, 2)) {
            rex(g, w, 0, 0);
            b(g, 0x05 + 8 * below(g, 8));
            b32(g, val32(g));
        } else {
            rex(g, w, s, d);
            b(g, 0x85);
            modrm_rr(g, s, d);
        }
        break;
    case 6:                   /* MOV r/m, reg / reg, r/m */
        if (below(g, 2)) {
            rex(g, w, s, d);
            b(g, 0x89);
            modrm_rr(g, s, d);
        } else {
            rex(g, w, d, s);
            b(g, 0x8b);
            modrm_rr(g, d, s);
        }
        break;
    case 7:                   /* MOV reg, imm32 / imm64; MOV r/m, imm32 */
        if (below(g, 2)) {
            rex(g, w, 0, d);
            b(g, 0xb8 + (d & 7));
            b32(g, val32(g));
            if (w && !g->code32) {     /* imm64 only in 64-bit code */
                b32(g, val32(g));
            }
        } else {
            rex(g, w, 0, d);
            b(g, 0xc7);
            modrm_rr(g, 0, d);
            b32(g, val32(g));
        }
        break;
    case 8:                   /* NOT NEG (inline), INC DEC (keep CF) */
        rex(g, w, 0, d);
        if (below(g, 2)) {
            b(g, 0xf7);
            modrm_rr(g, 2 + below(g, 2), d);
        } else {
            b(g, 0xff);
            modrm_rr(g, below(g, 2), d);
        }
        break;
    case 9: case 10:          /* shifts and rotates by imm8 (RCL/RCR too) */
        rex(g, w, 0, d);
        b(g, 0xc1);
        modrm_rr(g, below(g, 8), d);
        b(g, below(g, 4) ? below(g, 70) : rnd(g));
        break;
    case 11:                  /* by 1, by CL */
        rex(g, w, 0, d);
        b(g, below(g, 2) ? 0xd1 : 0xd3);
        modrm_rr(g, below(g, 8), d);
        break;
    case 12: {                /* LEA reg, [base + index * scale + disp] */
        int base = below(g, 16), index = below(g, 16);
        bool sib = below(g, 2);
        uint8_t v = 0x40 | (w << 3) | ((d >> 3) << 2) |
                    (sib ? ((index >> 3) << 1) : 0) | (base >> 3);
        if (!sib && (base & 7) == 4) {
            sib = true;     /* rm 100 means a SIB byte */
            index = 4;      /* no index */
            v &= ~2;
        }
        b(g, v);
        b(g, 0x8d);
        b(g, 0x80 | ((d & 7) << 3) | (sib ? 4 : (base & 7)));
        if (sib) {
            b(g, (below(g, 4) << 6) | ((index & 7) << 3) | (base & 7));
        }
        b32(g, val32(g));
        break;
    }
    case 13:                  /* MOVZX/MOVSX byte, word; MOVSXD */
        if (below(g, 4) == 0) {
            rex(g, true, d, s);
            b(g, 0x63);
        } else {
            rex(g, w, d, s);
            b(g, 0x0f);
            b(g, (uint8_t[]){ 0xb6, 0xb7, 0xbe, 0xbf }[below(g, 4)]);
        }
        modrm_rr(g, d, s);
        break;
    case 14:                  /* SETcc r8 (not SPL), CMOVcc */
        if (below(g, 2)) {
            int r = (d & 7) == 4 ? 0 : d;
            rex(g, false, 0, r);
            b(g, 0x0f);
            b(g, 0x90 + below(g, 16));
            modrm_rr(g, 0, r);
        } else {
            rex(g, w, d, s);
            b(g, 0x0f);
            b(g, 0x40 + below(g, 16));
            modrm_rr(g, d, s);
        }
        break;
    case 15:                  /* PUSHF; POP reg: the flags, precisely */
        b(g, 0x9c);
        rex(g, false, 0, d);
        b(g, 0x58 + (d & 7));
        break;
    case 16:                  /* Jcc +0: a TB end that reads the flags */
        b(g, 0x70 + below(g, 16));
        b(g, 0);
        break;
    case 17: {                /* load / store / ALU with memory */
        static const uint8_t ops[] = { 0x8b, 0x89, 0x01, 0x03, 0x29, 0x39 };
        uint8_t op = ops[below(g, ARRAY_SIZE(ops))];
        /* a register destination is never RSP */
        int r = op == 0x8b || op == 0x03 ? d : s;
        rex(g, w, r, 0);
        b(g, op);
        modrm_abs(g, r, data);
        break;
    }
    case 18:                  /* 16- and 8-bit ALU (interpreter forms) */
        if (below(g, 2)) {
            b(g, 0x66);
            rex(g, false, s, d);
            b(g, 0x01 + 8 * below(g, 8));
        } else {
            int r = (d & 7) == 4 ? 0 : d;
            int r2 = (s & 7) == 4 ? 1 : s;
            rex(g, false, r2, r);
            b(g, 0x00 + 8 * below(g, 8));
            d = r;
            s = r2;
        }
        modrm_rr(g, s, d);
        break;
    case 19:                  /* a load that faults, rarely */
        if (below(g, 8) == 0) {
            rex(g, w, d, 0);
            b(g, 0x8b);
            modrm_abs(g, d, UNMAPPED + below(g, 4096));
        }
        break;
    case 20:                  /* IMUL reg, r/m */
        rex(g, w, d, s);
        b(g, 0x0f);
        b(g, 0xaf);
        modrm_rr(g, d, s);
        break;
    case 21: case 22: {       /* [rsp + rbp * scale - disp8]: the stack */
        static const uint8_t ops[] = { 0x8b, 0x89, 0x03, 0x39, 0x85, 0x2b,
                                       0xb6, 0xb7, 0xbe, 0xbf };
        uint8_t op = ops[below(g, ARRAY_SIZE(ops))];
        bool two = op >= 0xb6;          /* MOVZX/MOVSX: 0F xx */
        int r = op == 0x89 || op == 0x39 || op == 0x85 ? s : d;
        bool idx = below(g, 2);

        if (idx) {
            b(g, 0xbd);                 /* mov ebp, 0..56 */
            b32(g, 8 * below(g, 8));
        }
        b(g, 0x40 | (w << 3) | ((r >> 3) << 2));
        if (two) {
            b(g, 0x0f);
        }
        b(g, op);
        b(g, 0x44 | ((r & 7) << 3));    /* mod 01, SIB, disp8 */
        b(g, idx ? (below(g, 4) << 6) | (R_EBP << 3) | R_ESP
                 : (R_ESP << 3) | R_ESP);
        b(g, -8 * (int)(1 + below(g, 8)));
        break;
    }
    default:                  /* CLC/STC/CMC: flags set by hand */
        b(g, (uint8_t[]){ 0xf8, 0xf9, 0xf5 }[below(g, 3)]);
        break;
    }
}

/* ---- running it ----------------------------------------------------------- */

typedef struct Outcome {
    int ret;
    uint64_t regs[CPU_NB_REGS];
    uint64_t rip;
    uint32_t flags;
    int64_t budget;
    uint64_t cr2;
    uint32_t error_code;
    uint8_t data[DATA_SIZE];
    uint8_t stack[1024];   /* STACK_TOP +- 512: indexed accesses reach above */
} Outcome;

static void run(const Gen *g, const uint64_t *regs, uint32_t flags,
                int64_t budget, bool jit, Outcome *o)
{
    assert_true(tcg_set_jit_enabled(jit));   /* and flushes the cache */
    memcpy(TM.host + CODE, g->buf, g->len);
    memset(TM.host + DATA, 0x5a, DATA_SIZE);
    memset(TM.host + STACK_TOP - 512, 0xa5, 1024);
    x86_cpu_reset(env);
    if (g->code32) {
        x86_cpu_set_protected_mode_flat(env);
    } else {
        x86_cpu_set_long_mode_flat(env, 0);
        env->cr[3] = PML4;
    }
    x86_tlb_flush(env);
    memcpy(env->regs, regs, sizeof(env->regs));
    env->regs[R_ESP] = STACK_TOP;
    env->cc_op = CC_OP_EFLAGS;
    env->cc_src = flags;
    env->cr[2] = 0;
    env->rip = CODE;
    env->icount_budget = budget;

    memset(o, 0, sizeof(*o));
    o->ret = cpu_exec(env);
    memcpy(o->regs, env->regs, sizeof(o->regs));
    o->rip = env->rip;
    o->flags = cpu_cc_compute_all(env) & CC_ALL;
    o->budget = env->icount_budget;
    o->cr2 = env->cr[2];
    o->error_code = o->ret == EXCP0E_PAGE ? env->error_code : 0;
    memcpy(o->data, TM.host + DATA, DATA_SIZE);
    memcpy(o->stack, TM.host + STACK_TOP - 512, 1024);
}

static void dump(const char *what, const Outcome *o)
{
    fprintf(stderr, "%s: ret %d rip %#" PRIx64 " flags %#x budget %" PRId64
            " cr2 %#" PRIx64 "\n", what, o->ret, o->rip, o->flags, o->budget,
            o->cr2);
    for (int i = 0; i < CPU_NB_REGS; i++) {
        fprintf(stderr, "  r%d=%016" PRIx64 "%s", i, o->regs[i], i % 4 == 3 ? "\n" : "");
    }
}

/* Run g's code both ways from the same random state; they must agree. */
static void compare(Gen *g, int64_t budget)
{
    uint64_t regs[CPU_NB_REGS];
    uint32_t flags = rnd(g) & CC_ALL;
    Outcome jit, interp;

    for (int i = 0; i < CPU_NB_REGS; i++) {
        regs[i] = below(g, 2) ? rnd(g) : val32(g);
    }
    run(g, regs, flags, budget, true, &jit);
    run(g, regs, flags, budget, false, &interp);
    if (memcmp(&jit, &interp, sizeof(jit))) {
        fprintf(stderr, "JIT and interpreter differ; code:");
        for (int i = 0; i < g->len; i++) {
            fprintf(stderr, " %02x", g->buf[i]);
        }
        fprintf(stderr, "\n");
        dump("jit", &jit);
        dump("interpreter", &interp);
        fail();
    }
}

static void gen_program(Gen *g, int n)
{
    g->len = 0;
    for (int i = 0; i < n; i++) {
        gen_insn(g);
    }
    b(g, 0xf4);   /* HLT */
}

/*
 * mov ecx, count; top: body; sub ecx, 1; jne top; hlt.  The TB at top
 * branches back to itself: the JIT loops inside its host code.
 */
static void gen_loop(Gen *g, int body, uint32_t count)
{
    int top, rel;

    g->len = 0;
    g->avoid = R_ECX;
    b(g, 0xb9);
    b32(g, count);
    top = g->len;
    for (int i = 0; i < body; i++) {
        int before = g->len;
        gen_insn(g);
        /* no Jcc +0 or faulting load inside: keep the loop one TB */
        if (g->buf[before] >= 0x70 && g->buf[before] <= 0x7f) {
            g->len = before;
        }
    }
    b(g, 0x83);
    b(g, 0xe9);
    b(g, 1);                    /* sub ecx, 1 */
    rel = top - (g->len + 2);
    if (rel >= -128) {
        b(g, 0x75);
        b(g, rel);              /* jne top (rel8) */
    } else {
        b(g, 0x0f);
        b(g, 0x85);
        b32(g, top - (g->len + 4));
    }
    b(g, 0xf4);
    g->avoid = -1;
}

static int jit_setup(void **state)
{
    if (!x86_jit_available()) {
        skip();
    }
    memset(TM.host, 0, 4 * PD);
    phys_wq(PML4, PDPT | 3);
    phys_wq(PDPT, PD | 3);
    for (uint64_t i = 0; i < TM_RAM_SIZE >> 21; i++) {
        phys_wq(PD + i * 8, (i << 21) | 0x83);
    }
    return 0;
}

static int jit_teardown(void **state)
{
    tcg_set_jit_enabled(x86_jit_available());
    return 0;
}

static void test_jit_is_used(void **state)
{
    Gen g = { .rng = 1, .avoid = -1 };
    TCGStats s;

    /* add eax, ebx; xor ecx, eax; ror edx, 3; lea rsi, [rax+rcx*4+8]; hlt */
    static const uint8_t code[] = { 0x01, 0xd8, 0x31, 0xc1, 0xc1, 0xca, 0x03,
                                    0x48, 0x8d, 0x74, 0x88, 0x08, 0xf4 };
    uint64_t regs[CPU_NB_REGS] = { [R_EAX] = 5, [R_EBX] = 7, [R_ECX] = 1,
                                   [R_EDX] = 8 };
    Outcome o;

    memcpy(g.buf, code, sizeof(code));
    g.len = sizeof(code);
    run(&g, regs, 0, 1000, true, &o);
    tcg_get_stats(&s);
    assert_true(s.jit_tbs >= 1);
    assert_true(s.jit_inline >= 3);   /* the ROR's live flags: handler */
    assert_int_equal(o.ret, EXCP_HLT);
    assert_int_equal(o.regs[R_EAX], 12);
    assert_int_equal(o.regs[R_ECX], 13);
    assert_int_equal(o.regs[R_EDX], 1);
    assert_int_equal(o.regs[R_ESI], 12 + 13 * 4 + 8);
    assert_int_equal(o.rip, CODE + sizeof(code));
    assert_int_equal(o.budget, 1000 - 5);
    assert_int_equal(o.flags & CC_Z, 0);   /* the XOR's flags at the HLT */

    /* jit=off: the same result, and no TB compiled. */
    {
        uint64_t before = s.jit_tbs;
        Outcome o2;

        run(&g, regs, 0, 1000, false, &o2);
        tcg_get_stats(&s);
        assert_true(s.jit_tbs == before);
        assert_false(tcg_jit_enabled());
        assert_memory_equal(&o, &o2, sizeof(o));
    }
}

/* A fault mid-TB: flags of an inline ADD whose flags a later SUB would
 * overwrite are still visible, with rip and the budget at the load. */
static void test_fault_after_dead_flags(void **state)
{
    Gen g = { .rng = 1, .avoid = -1 };
    /* add eax, ebx; mov ecx, [UNMAPPED]; sub eax, eax; hlt */
    static const uint8_t code[] = { 0x01, 0xd8, 0x8b, 0x0c, 0x25, 0x00, 0x00,
                                    0x00, 0x40, 0x29, 0xc0, 0xf4 };
    uint64_t regs[CPU_NB_REGS] = { [R_EAX] = 0xffffffff, [R_EBX] = 1 };
    Outcome jit, interp;

    memcpy(g.buf, code, sizeof(code));
    g.len = sizeof(code);
    run(&g, regs, 0, 1000, true, &jit);
    run(&g, regs, 0, 1000, false, &interp);
    assert_int_equal(jit.ret, EXCP0E_PAGE);
    assert_int_equal(jit.rip, CODE + 2);
    assert_int_equal(jit.flags & (CC_Z | CC_C), CC_Z | CC_C);
    assert_int_equal(jit.budget, 1000 - 2);
    assert_int_equal(jit.cr2, UNMAPPED);
    assert_memory_equal(&jit, &interp, sizeof(jit));
}

/* 64-bit self-modifying code through an inline (rip-relative) store:
 * the store rewrites the next instruction's immediate, which must run
 * with the new value. */
static void test_smc_inline_store(void **state)
{
    Gen g = { .rng = 1, .avoid = -1 };
    /* mov ecx, edx; mov dword [rip + 1], 0x2a; mov eax, 1; hlt */
    static const uint8_t code[] = { 0x89, 0xd1,
                                    0xc7, 0x05, 0x01, 0x00, 0x00, 0x00,
                                    0x2a, 0x00, 0x00, 0x00,
                                    0xb8, 0x01, 0x00, 0x00, 0x00, 0xf4 };
    uint64_t regs[CPU_NB_REGS] = { 0 };
    Outcome jit, interp;

    memcpy(g.buf, code, sizeof(code));
    g.len = sizeof(code);
    run(&g, regs, 0, 1000, true, &jit);
    run(&g, regs, 0, 1000, false, &interp);
    assert_int_equal(jit.ret, EXCP_HLT);
    assert_int_equal(jit.regs[R_EAX], 0x2a);
    assert_int_equal(jit.budget, 1000 - 4);
    assert_memory_equal(&jit, &interp, sizeof(jit));
}

static void test_random_code(void **state)
{
    Gen g = { .rng = 0x9e3779b97f4a7c15ULL, .avoid = -1 };

    for (int i = 0; i < 400; i++) {
        gen_program(&g, 1 + below(&g, 60));
        compare(&g, 100000);
    }
}

/* Loops: the TB that jumps back to its own start, with budgets that
 * end on the way. */
static void test_random_loops(void **state)
{
    Gen g = { .rng = 0x853c49e6748fea9bULL, .avoid = -1 };

    for (int i = 0; i < 150; i++) {
        gen_loop(&g, below(&g, 20), 1 + below(&g, 50));
        compare(&g, below(&g, 2) ? 100000 : 1 + below(&g, 500));
    }
}

/* The same bytes as 32-bit protected-mode code: other operand sizes,
 * 0x40-0x4F as INC/DEC, no 64-bit-only inline paths. */
static void test_random_code32(void **state)
{
    Gen g = { .rng = 0xda942042e4dd58b5ULL, .avoid = -1, .code32 = true };

    for (int i = 0; i < 300; i++) {
        gen_program(&g, 1 + below(&g, 60));
        compare(&g, below(&g, 2) ? 100000 : 1 + below(&g, 40));
    }
}

/* The budget ends mid-TB: the partial TB runs on the interpreter. */
static void test_random_code_budget(void **state)
{
    Gen g = { .rng = 0x2545f4914f6cdd1dULL, .avoid = -1 };

    for (int i = 0; i < 200; i++) {
        gen_program(&g, 1 + below(&g, 60));
        compare(&g, 1 + below(&g, 40));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_jit_is_used, jit_setup, jit_teardown),
        cmocka_unit_test_setup_teardown(test_fault_after_dead_flags, jit_setup,
                                        jit_teardown),
        cmocka_unit_test_setup_teardown(test_smc_inline_store, jit_setup,
                                        jit_teardown),
        cmocka_unit_test_setup_teardown(test_random_code, jit_setup, jit_teardown),
        cmocka_unit_test_setup_teardown(test_random_code_budget, jit_setup,
                                        jit_teardown),
        cmocka_unit_test_setup_teardown(test_random_loops, jit_setup, jit_teardown),
        cmocka_unit_test_setup_teardown(test_random_code32, jit_setup, jit_teardown),
    };
    return cmocka_run_group_tests(tests, tm_setup, tm_teardown);
}
