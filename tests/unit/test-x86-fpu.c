/*
 * x87/MMX/SSE rules the host cannot show in a differential test: which
 * control-register bits raise #UD, #NM, #MF, #XM or #GP, the FXSAVE and
 * FNSTENV layouts, and the mandatory-prefix / 0F38 / 0F3A decoding.
 */
#include "test.h"
#include "target/x86/cpu.h"
#include "target/x86/decode.h"
#include "target/x86/fpu-state.h"
#include "accel/tcg/cpu-exec.h"

#define RAM_SIZE (1 * MiB)
#define TEST_RAM_SIZE RAM_SIZE
#include "x86-test-ram.h"   /* flat RAM: test_ram_ops over test_ram */
#define CODE 0x1000
#define DATA 0x4000          /* 16-byte aligned scratch */
#define CR4_OSXMMEXCPT (1u << 10)

typedef struct Machine {
    CPUX86State env;
    uint8_t *ram;
} Machine;

static Machine M;

enum { MODE_64, MODE_32, MODE_16 };

/* Reset into mode with SSE enabled (CR4.OSFXSR|OSXMMEXCPT); the caller
 * then adjusts CR0/CR4 and runs. */
static CPUX86State *machine(int mode)
{
    CPUX86State *env = &M.env;
    memset(M.ram, 0, RAM_SIZE);
    x86_cpu_reset(env);
    if (mode == MODE_64) {
        x86_cpu_set_long_mode_flat(env, 0);
    } else if (mode == MODE_32) {
        x86_cpu_set_protected_mode_flat(env);
    } else {
        x86_cpu_set_real_mode(env);
    }
    env->cr[4] |= CR4_OSFXSR_MASK | CR4_OSXMMEXCPT;
    x86_update_hflags(env);
    env->regs[R_ESP] = 0x8000;
    env->regs[R_EBX] = DATA;
    return env;
}

/* Run n instructions of code at CODE; returns the exception or -1. */
static int run(const void *code, size_t len, int n)
{
    CPUX86State *env = &M.env;
    int r;
    memcpy(M.ram + CODE, code, len);
    env->rip = CODE;
    env->icount_budget = n;
    r = cpu_exec(env);
    return r == EXCP_INTERRUPT ? -1 : r;
}

#define B(...) { __VA_ARGS__ }

/* ---- availability rules ---------------------------------------------- */

static void test_sse_availability(void **state)
{
    static const uint8_t addps[] = { 0x0f, 0x58, 0xc1 };
    static const uint8_t movdqa[] = { 0x66, 0x0f, 0x6f, 0x03 };
    static const uint8_t ldmxcsr[] = { 0x0f, 0xae, 0x13 };
    CPUX86State *env;

    env = machine(MODE_64);
    assert_int_equal(run(addps, sizeof(addps), 1), -1);
    assert_int_equal(env->rip, CODE + 3);

    env = machine(MODE_64);
    env->cr[4] &= ~(uint64_t)CR4_OSFXSR_MASK;
    assert_int_equal(run(addps, sizeof(addps), 1), EXCP06_ILLOP);
    assert_int_equal(env->rip, CODE);

    env = machine(MODE_64);
    env->cr[0] |= CR0_EM_MASK;
    assert_int_equal(run(movdqa, sizeof(movdqa), 1), EXCP06_ILLOP);

    env = machine(MODE_64);
    env->cr[0] |= CR0_TS_MASK;
    assert_int_equal(run(movdqa, sizeof(movdqa), 1), EXCP07_PREX);
    env = machine(MODE_64);
    env->cr[0] |= CR0_TS_MASK | CR0_EM_MASK;     /* #UD wins over #NM */
    assert_int_equal(run(ldmxcsr, sizeof(ldmxcsr), 1), EXCP06_ILLOP);
}

static void test_mmx_availability(void **state)
{
    static const uint8_t paddb[] = { 0x0f, 0xfc, 0xc1 };
    static const uint8_t emms[] = { 0x0f, 0x77 };
    CPUX86State *env;

    env = machine(MODE_32);
    env->cr[4] &= ~(uint64_t)CR4_OSFXSR_MASK;    /* MMX does not need it */
    env->fptags = 0xff;
    env->fpstt = 5;
    env->fpregs[0].mant = 0x0102030405060708ull;
    env->fpregs[1].mant = 0x1010101010101010ull;
    assert_int_equal(run(paddb, sizeof(paddb), 1), -1);
    assert_int_equal(env->fpregs[0].mant, 0x1112131415161718ull);
    assert_int_equal(env->fpregs[0].sign_exp, 0xffff);
    assert_int_equal(env->fptags, 0);            /* all valid */
    assert_int_equal(env->fpstt, 0);
    assert_int_equal(run(emms, sizeof(emms), 1), -1);
    assert_int_equal(env->fptags, 0xff);

    env = machine(MODE_32);
    env->cr[0] |= CR0_EM_MASK;
    assert_int_equal(run(paddb, sizeof(paddb), 1), EXCP06_ILLOP);
    env = machine(MODE_32);
    env->cr[0] |= CR0_TS_MASK;
    assert_int_equal(run(paddb, sizeof(paddb), 1), EXCP07_PREX);
    env = machine(MODE_32);
    env->cr[0] |= CR0_TS_MASK;
    assert_int_equal(run(emms, sizeof(emms), 1), EXCP07_PREX);
}

static void test_x87_availability(void **state)
{
    static const uint8_t fld1[] = { 0xd9, 0xe8 };
    static const uint8_t fwait[] = { 0x9b };
    CPUX86State *env;

    env = machine(MODE_32);
    assert_int_equal(run(fld1, sizeof(fld1), 1), -1);
    assert_int_equal(env->fpstt, 7);
    assert_int_equal(env->fptags, 0x7f);
    assert_int_equal(env->fpregs[7].sign_exp, 0x3fff);

    env = machine(MODE_32);
    env->cr[0] |= CR0_EM_MASK;
    assert_int_equal(run(fld1, sizeof(fld1), 1), EXCP07_PREX);
    env = machine(MODE_32);
    env->cr[0] |= CR0_TS_MASK;
    assert_int_equal(run(fld1, sizeof(fld1), 1), EXCP07_PREX);

    /* WAIT faults only with TS and MP together */
    env = machine(MODE_32);
    env->cr[0] |= CR0_TS_MASK;
    assert_int_equal(run(fwait, sizeof(fwait), 1), -1);
    env = machine(MODE_32);
    env->cr[0] |= CR0_TS_MASK | CR0_MP_MASK;
    assert_int_equal(run(fwait, sizeof(fwait), 1), EXCP07_PREX);
    env = machine(MODE_32);
    env->cr[0] |= CR0_EM_MASK | CR0_MP_MASK;
    assert_int_equal(run(fwait, sizeof(fwait), 1), -1);
}

/* An unmasked x87 exception is reported by the next waiting instruction. */
static void test_x87_pending_exception(void **state)
{
    /* fldcw [ebx]; fldz; fld1; fdiv st0, st1 (1/0) */
    static const uint8_t divzero[] = {
        0xd9, 0x2b, 0xd9, 0xee, 0xd9, 0xe8, 0xd8, 0xf1,
    };
    static const uint8_t fwait[] = { 0x9b };
    static const uint8_t fnstsw_fnclex_fwait[] = { 0xdf, 0xe0, 0xdb, 0xe2, 0x9b };
    static const uint8_t fld1[] = { 0xd9, 0xe8 };
    CPUX86State *env;

    env = machine(MODE_32);
    M.ram[DATA] = 0x7b;          /* FCW 0x037b: ZE unmasked */
    M.ram[DATA + 1] = 0x03;
    assert_int_equal(run(divzero, sizeof(divzero), 4), -1);
    assert_true(env->fpus & 0x04);              /* ZE */
    assert_true(env->fpus & 0x80);              /* ES */
    assert_int_equal(env->fpregs[env->fpstt].sign_exp, 0x3fff);   /* unchanged */
    /* the next x87 instruction or WAIT raises #MF, rip on it */
    assert_int_equal(run(fld1, sizeof(fld1), 1), EXCP10_COPR);
    assert_int_equal(env->rip, CODE);
    assert_int_equal(run(fwait, sizeof(fwait), 1), EXCP10_COPR);
    /* FNSTSW and FNCLEX do not wait; after FNCLEX nothing is pending */
    assert_int_equal(run(fnstsw_fnclex_fwait, sizeof(fnstsw_fnclex_fwait), 3), -1);
    assert_true(env->regs[R_EAX] & 0x84);
    assert_false(env->fpus & 0x80);

    /* CR0.NE clear: FERR# is not modelled, nothing is raised */
    env = machine(MODE_32);
    env->cr[0] &= ~(uint64_t)CR0_NE_MASK;
    M.ram[DATA] = 0x7b;
    M.ram[DATA + 1] = 0x03;
    assert_int_equal(run(divzero, sizeof(divzero), 4), -1);
    assert_int_equal(run(fwait, sizeof(fwait), 1), -1);
}

static void test_sse_exceptions(void **state)
{
    /* ldmxcsr [ebx]; divps xmm0, xmm1 */
    static const uint8_t divps[] = { 0x0f, 0xae, 0x13, 0x0f, 0x5e, 0xc1 };
    static const uint8_t movaps[] = { 0x0f, 0x28, 0x43, 0x08 };   /* [rbx+8] */
    static const uint8_t movups[] = { 0x0f, 0x10, 0x43, 0x08 };
    static const uint8_t ldmxcsr[] = { 0x0f, 0xae, 0x13 };
    static const uint8_t stmxcsr[] = { 0x0f, 0xae, 0x5b, 0x10 };
    CPUX86State *env;
    uint32_t mxcsr = 0x1f80 & ~(1u << 9);        /* ZE unmasked */

    env = machine(MODE_64);
    memcpy(M.ram + DATA, &mxcsr, 4);
    env->xmm[0].l[0] = 0x3f800000;
    env->xmm[1].l[0] = 0;                        /* 1/0 in lane 0 */
    env->xmm[1].l[1] = env->xmm[1].l[2] = env->xmm[1].l[3] = 0x3f800000;
    assert_int_equal(run(divps, sizeof(divps), 2), EXCP13_XMM);
    assert_int_equal(env->rip, CODE + 3);
    assert_true(env->mxcsr & 0x04);
    assert_int_equal(env->xmm[0].l[0], 0x3f800000);   /* not written */

    env = machine(MODE_64);
    env->cr[4] &= ~(uint64_t)CR4_OSXMMEXCPT;
    memcpy(M.ram + DATA, &mxcsr, 4);
    env->xmm[0].l[0] = 0x3f800000;
    assert_int_equal(run(divps, sizeof(divps), 2), EXCP06_ILLOP);

    /* aligned forms #GP(0) off a 16-byte boundary, unaligned ones do not */
    env = machine(MODE_64);
    assert_int_equal(run(movaps, sizeof(movaps), 1), EXCP0D_GPF);
    assert_int_equal(env->error_code, 0);
    assert_int_equal(run(movups, sizeof(movups), 1), -1);

    /* LDMXCSR: reserved bits #GP; STMXCSR stores it back */
    env = machine(MODE_64);
    mxcsr = 0x10000 | 0x1f80;
    memcpy(M.ram + DATA, &mxcsr, 4);
    assert_int_equal(run(ldmxcsr, sizeof(ldmxcsr), 1), EXCP0D_GPF);
    assert_int_equal(env->mxcsr, 0x1f80);
    mxcsr = 0xffff;
    memcpy(M.ram + DATA, &mxcsr, 4);
    assert_int_equal(run(ldmxcsr, sizeof(ldmxcsr), 1), -1);
    assert_int_equal(env->mxcsr, 0xffff);
    assert_int_equal(run(stmxcsr, sizeof(stmxcsr), 1), -1);
    assert_int_equal(M.ram[DATA + 0x10], 0xff);
    assert_int_equal(M.ram[DATA + 0x11], 0xff);
}

/* ---- FXSAVE / FXRSTOR and FNSTENV layouts ------------------------------ */

static void set_known_state(CPUX86State *env)
{
    env->fpuc = 0x027f;
    env->fpus = 0x0041 | 0x4000;     /* IE SF C3 */
    env->fpstt = 6;
    env->fptags = 0x3f;              /* physical 6, 7 valid */
    env->fpregs[6] = (X86FPReg){ 0x8000000000000000ull, 0x3fff };   /* 1.0 */
    env->fpregs[7] = (X86FPReg){ 0, 0 };                            /* +0 */
    env->mxcsr = 0x9fc0;
    for (int i = 0; i < 16; i++) {
        memset(&env->xmm[i], 0x10 + i, 16);
    }
}

static void test_fxsave_layout(void **state)
{
    static const uint8_t fxsave64[] = { 0x48, 0x0f, 0xae, 0x03 };    /* fxsave64 [rbx] */
    static const uint8_t fxsave32[] = { 0x0f, 0xae, 0x03 };          /* fxsave [ebx] */
    static const uint8_t fxrstor64[] = { 0x48, 0x0f, 0xae, 0x0b };
    static const uint8_t misaligned[] = { 0x0f, 0xae, 0x43, 0x08 };  /* fxsave [rbx+8] */
    uint8_t *img = M.ram + DATA;
    CPUX86State *env;
    uint16_t w;
    uint32_t l;

    env = machine(MODE_64);
    set_known_state(env);
    assert_int_equal(run(fxsave64, sizeof(fxsave64), 1), -1);
    memcpy(&w, img + 0, 2);
    assert_int_equal(w, 0x027f);                     /* FCW */
    memcpy(&w, img + 2, 2);
    assert_int_equal(w, 0x4041 | (6 << 11));         /* FSW with TOP */
    assert_int_equal(img[4], 0xc0);                  /* abridged: 6, 7 valid */
    memcpy(&l, img + 24, 4);
    assert_int_equal(l, 0x9fc0);                     /* MXCSR */
    memcpy(&l, img + 28, 4);
    assert_int_equal(l, X86_MXCSR_MASK);             /* MXCSR_MASK */
    /* ST0 = physical 6 = 1.0, ST1 = physical 7 = +0 */
    assert_int_equal(img[32 + 7], 0x80);
    assert_int_equal(img[32 + 8] | img[32 + 9] << 8, 0x3fff);
    assert_int_equal(img[48 + 7], 0);
    assert_int_equal(img[160], 0x10);                /* XMM0 */
    assert_int_equal(img[160 + 15 * 16], 0x1f);      /* XMM15 */
    assert_int_equal(img[416], 0);                   /* reserved: untouched */

    /* FXRSTOR round trip, after scribbling over the state */
    memset(&env->xmm, 0, sizeof(env->xmm));
    env->fpuc = 0x37f;
    env->fpstt = 0;
    env->fptags = 0xff;
    env->mxcsr = 0x1f80;
    assert_int_equal(run(fxrstor64, sizeof(fxrstor64), 1), -1);
    assert_int_equal(env->fpuc, 0x027f);
    assert_int_equal(env->fpstt, 6);
    assert_int_equal(env->fptags, 0x3f);
    assert_int_equal(env->mxcsr, 0x9fc0);
    assert_int_equal(env->xmm[15].b[3], 0x1f);
    assert_int_equal(env->fpregs[6].sign_exp, 0x3fff);

    /* FXRSTOR with reserved MXCSR bits: #GP, nothing loaded */
    img[26] = 1;
    env->fpuc = 0x37f;
    assert_int_equal(run(fxrstor64, sizeof(fxrstor64), 1), EXCP0D_GPF);
    assert_int_equal(env->fpuc, 0x37f);

    /* misaligned: #GP(0) */
    assert_int_equal(run(misaligned, sizeof(misaligned), 1), EXCP0D_GPF);

    /* 32-bit code: XMM0-7 only */
    env = machine(MODE_32);
    set_known_state(env);
    memset(img, 0xee, 512);
    assert_int_equal(run(fxsave32, sizeof(fxsave32), 1), -1);
    assert_int_equal(img[160 + 7 * 16], 0x17);
    assert_int_equal(img[160 + 8 * 16], 0xee);       /* XMM8 area not written */
}

static void test_fnstenv_layout(void **state)
{
    static const uint8_t fnstenv[] = { 0xd9, 0x33 };            /* [ebx] */
    static const uint8_t fnstenv16[] = { 0x66, 0xd9, 0x33 };
    static const uint8_t fnsave_frstor[] = { 0xdd, 0x33, 0xdd, 0x23 };
    static const uint8_t fnstenv_real[] = { 0xd9, 0x37 };      /* [bx] */
    uint8_t *e = M.ram + DATA;
    CPUX86State *env;
    uint16_t w;

    env = machine(MODE_32);
    set_known_state(env);
    env->fpuc = 0x0240;
    assert_int_equal(run(fnstenv, sizeof(fnstenv), 1), -1);
    memcpy(&w, e + 0, 2);
    assert_int_equal(w, 0x0240);
    memcpy(&w, e + 4, 2);
    assert_int_equal(w, 0x4041 | (6 << 11));
    memcpy(&w, e + 8, 2);
    assert_int_equal(w, 0x4fff);          /* ST0 valid (00), ST1 zero (01), rest empty */
    assert_int_equal(env->fpuc & 0x3f, 0x3f);    /* FNSTENV masks everything */

    env = machine(MODE_32);
    set_known_state(env);
    assert_int_equal(run(fnstenv16, sizeof(fnstenv16), 1), -1);
    memcpy(&w, e + 2, 2);
    assert_int_equal(w, 0x4041 | (6 << 11));     /* 16-bit layout: FSW at 2 */
    memcpy(&w, e + 4, 2);
    assert_int_equal(w, 0x4fff);

    /* FNSAVE stores and reinitialises; FRSTOR brings it back */
    env = machine(MODE_32);
    set_known_state(env);
    assert_int_equal(run(fnsave_frstor, sizeof(fnsave_frstor), 1), -1);
    assert_int_equal(env->fpuc, 0x037f);
    assert_int_equal(env->fptags, 0xff);
    assert_int_equal(e[28 + 9], 0x3f);           /* ST0 = 1.0 after the env */
    env->rip = CODE + 2;
    env->icount_budget = 1;
    assert_int_equal(cpu_exec(env), EXCP_INTERRUPT);
    assert_int_equal(env->fpuc, 0x027f);
    assert_int_equal(env->fpstt, 6);
    assert_int_equal(env->fptags, 0x3f);
    assert_int_equal(env->fpregs[6].sign_exp, 0x3fff);

    /* real mode, 16-bit: FCW, FSW, FTW, then FIP/FOP at 6 and 8 */
    env = machine(MODE_16);
    set_known_state(env);
    env->fpip = 0x12345;
    env->fpop = 0x1d9;
    assert_int_equal(run(fnstenv_real, sizeof(fnstenv_real), 1), -1);
    memcpy(&w, e + 6, 2);
    assert_int_equal(w, 0x2345);
    memcpy(&w, e + 8, 2);
    assert_int_equal(w, 0x1000 | 0x1d9);
}

/* ---- decoding ---------------------------------------------------------- */

typedef struct DecCase {
    uint8_t b[16];
    int n, len;
    bool undef;
} DecCase;

static void test_sse_decode(void **state)
{
    static const DecCase cases[] = {
        { B(0x66, 0x0f, 0x38, 0x00, 0xc1), 5, 5, false },          /* pshufb */
        { B(0x0f, 0x38, 0x00, 0xc1), 4, 4, false },                /* pshufb mm */
        { B(0x66, 0x0f, 0x3a, 0x0f, 0xc1, 0x03), 6, 6, false },    /* palignr */
        { B(0x66, 0x0f, 0x3a, 0x63, 0x44, 0x24, 0x10, 0x0c), 8, 8, false },
        { B(0xf2, 0x48, 0x0f, 0x38, 0xf1, 0xc1), 6, 6, false },    /* crc32 */
        { B(0x66, 0x0f, 0x38, 0xff, 0xc1), 5, 5, true },           /* unknown 0F38 */
        { B(0x66, 0x0f, 0x3a, 0xff, 0xc1, 0), 6, 6, true },
        { B(0xf3, 0x0f, 0xfc, 0xc1), 4, 4, true },                 /* F3 paddb */
        { B(0x66, 0x0f, 0x6c, 0xc1), 4, 4, false },                /* punpcklqdq */
        { B(0x0f, 0x6c, 0xc1), 3, 3, true },                       /* no MMX form */
        { B(0x66, 0xf3, 0x0f, 0x6f, 0x01), 5, 5, false },          /* F3 wins: movdqu */
        { B(0x66, 0x0f, 0x71, 0xd0, 0x04), 5, 5, false },          /* psrlw xmm, 4 */
        { B(0x66, 0x0f, 0x13, 0xc1), 4, 4, true },                 /* movlpd reg: #UD */
        { B(0xf0, 0x0f, 0x58, 0x01), 4, 4, true },                 /* LOCK addps */
        { B(0xf3, 0x0f, 0xb8, 0xc1), 4, 4, false },                /* popcnt stays */
        { B(0x0f, 0x18, 0x01), 3, 3, false },                      /* prefetch */
        { B(0x0f, 0xae, 0xe8), 3, 3, false },                      /* lfence */
        { B(0xdd, 0x04, 0x24), 3, 3, false },                      /* fld qword [rsp] */
    };
    CPUX86State env = { 0 };

    x86_cpu_reset(&env);
    x86_cpu_set_long_mode_flat(&env, 0);
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        DecodedInsn d;
        int len = x86_decode(env.hflags, cases[i].b, cases[i].n, &d);
        if (len != cases[i].len || !!(d.flags & INSN_UNDEF) != cases[i].undef) {
            fail_msg("case %zu: length %d (want %d), undef %d", i, len,
                     cases[i].len, !!(d.flags & INSN_UNDEF));
        }
    }
}

static int setup(void **state)
{
    M.ram = xzalloc(RAM_SIZE);
    test_ram = M.ram;
    M.env.mem_ops = &test_ram_ops;
    return 0;
}

static int teardown(void **state)
{
    free(M.ram);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_availability),
        cmocka_unit_test(test_mmx_availability),
        cmocka_unit_test(test_x87_availability),
        cmocka_unit_test(test_x87_pending_exception),
        cmocka_unit_test(test_sse_exceptions),
        cmocka_unit_test(test_fxsave_layout),
        cmocka_unit_test(test_fnstenv_layout),
        cmocka_unit_test(test_sse_decode),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
