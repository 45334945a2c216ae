/*
 * x86 decoder and execution tests that need no host CPU comparison:
 * instruction lengths and #UD rules, modes the host cannot run natively
 * (real mode, 32-bit code), the stack and control transfers, BCD, and
 * precise exceptions.
 */
#include "test.h"
#include "target/x86/cpu.h"
#include "target/x86/decode.h"
#include "accel/tcg/cpu-exec.h"

#define RAM_SIZE (1 * MiB)
#define TEST_RAM_SIZE RAM_SIZE
#include "x86-test-ram.h"   /* flat RAM: test_ram_ops over test_ram */

typedef struct Machine {
    CPUX86State env;
    uint8_t *ram;
} Machine;

static Machine M;

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

enum { MODE_64, MODE_32, MODE_16 };

/* Put code at addr, set the mode, run up to max instructions. */
static int run_code(int mode, uint64_t addr, const void *code, size_t len,
                    int64_t max)
{
    CPUX86State *env = &M.env;
    memcpy(M.ram + addr, code, len);
    x86_cpu_reset(env);
    if (mode == MODE_64) {
        x86_cpu_set_long_mode_flat(env, 0);
    } else if (mode == MODE_32) {
        x86_cpu_set_protected_mode_flat(env);
    } else {
        x86_cpu_set_real_mode(env);
    }
    env->rip = addr;
    env->regs[R_ESP] = 0x8000;
    env->icount_budget = max;
    return cpu_exec(env);
}

/* ---- decoder ------------------------------------------------------- */
typedef struct LenCase {
    int mode;
    uint8_t b[20];
    int n;          /* bytes given */
    int len;        /* expected length, 0 = needs more */
    bool undef;     /* expect the #UD handler */
} LenCase;

static uint32_t mode_hflags(int mode)
{
    CPUX86State env = { 0 };
    x86_cpu_reset(&env);
    if (mode == MODE_64) {
        x86_cpu_set_long_mode_flat(&env, 0);
    } else if (mode == MODE_32) {
        x86_cpu_set_protected_mode_flat(&env);
    } else {
        x86_cpu_set_real_mode(&env);
    }
    return env.hflags;
}

static void test_decode_lengths(void **state)
{
    static const LenCase cases[] = {
        { MODE_64, { 0x48, 0x8b, 0x84, 0x24, 0, 1, 0, 0 }, 8, 8 },
        { MODE_64, { 0x66, 0x41, 0x81, 0xc0, 0x34, 0x12 }, 6, 6 },
        { MODE_64, { 0x48, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8 }, 10, 10 },
        { MODE_64, { 0xb8, 1, 2, 3, 4 }, 5, 5 },
        { MODE_64, { 0xa1, 1, 2, 3, 4, 5, 6, 7, 8 }, 9, 9 },
        { MODE_64, { 0x67, 0xa1, 1, 2, 3, 4 }, 6, 6 },
        { MODE_32, { 0xa1, 1, 2, 3, 4 }, 5, 5 },
        { MODE_16, { 0xa1, 1, 2 }, 3, 3 },
        { MODE_64, { 0x0f, 0x1f, 0x44, 0, 0 }, 5, 5 },
        { MODE_64, { 0x66, 0x0f, 0x1f, 0x84, 0, 0, 0, 0, 0 }, 9, 9 },
        { MODE_64, { 0xf0, 0x48, 0x0f, 0xc7, 0x0e }, 5, 5 },
        { MODE_64, { 0xe8, 1, 2, 3, 4 }, 5, 5 },
        { MODE_64, { 0x66, 0xe8, 1, 2, 3, 4 }, 6, 6 },   /* 66 ignored: rel32 */
        { MODE_32, { 0x66, 0xe8, 1, 2 }, 4, 4 },         /* rel16 */
        { MODE_64, { 0xc8, 0x10, 0, 1 }, 4, 4 },
        { MODE_64, { 0x8b, 0x05, 1, 2, 3, 4 }, 6, 6 },   /* RIP-relative */
        { MODE_32, { 0x8b, 0x04, 0x25, 1, 2, 3, 4 }, 7, 7 },
        { MODE_16, { 0x8b, 0x46, 0x02 }, 3, 3 },         /* [bp+2] */
        { MODE_16, { 0x8b, 0x06, 1, 2 }, 4, 4 },         /* [disp16] */
        { MODE_16, { 0x67, 0x8b, 0x04, 0x24 }, 4, 4 },   /* addr32 in 16-bit code */
        { MODE_32, { 0x40 }, 1, 1 },                     /* INC EAX */
        { MODE_64, { 0x40, 0x90 }, 2, 2 },               /* REX, NOP */
        { MODE_64, { 0xf7, 0xc0, 1, 2, 3, 4 }, 6, 6 },   /* TEST eax, imm32 */
        { MODE_64, { 0xf7, 0xd0 }, 2, 2 },               /* NOT eax: no imm */
        { MODE_64, { 0xf6, 0xc0, 1 }, 3, 3 },
        { MODE_64, { 0x0f, 0xba, 0xe0, 3 }, 4, 4 },
        { MODE_64, { 0x8b, 0x84, 0x24 }, 3, 0 },         /* truncated */
        { MODE_64, { 0x66 }, 1, 0 },
        /* #UD */
        { MODE_64, { 0x0f, 0x0b }, 2, 2, true },         /* UD2 */
        { MODE_64, { 0x27 }, 1, 1, true },               /* DAA in 64-bit */
        { MODE_32, { 0x27 }, 1, 1, false },
        { MODE_64, { 0xd4, 0x0a }, 2, 2, true },         /* AAM */
        { MODE_64, { 0x06 }, 1, 1, true },               /* PUSH ES */
        { MODE_64, { 0xf0, 0x01, 0xc0 }, 3, 3, true },   /* LOCK with a register */
        { MODE_64, { 0xf0, 0x8b, 0x00 }, 3, 3, true },   /* LOCK MOV */
        { MODE_64, { 0xf0, 0x01, 0x00 }, 3, 3, false },  /* LOCK ADD [rax] */
        { MODE_64, { 0x0f, 0xb8, 0xc0 }, 3, 3, true },   /* POPCNT needs F3 */
        { MODE_64, { 0x8d, 0xc0 }, 2, 2, true },         /* LEA with a register */
        { MODE_64, { 0x0f, 0xc7, 0xc8 }, 3, 3, true },   /* CMPXCHG8B register */
        { MODE_32, { 0x63, 0xc0 }, 2, 2, false },        /* ARPL */
        { MODE_64, { 0xff, 0xff }, 2, 2, true },         /* FF /7 */
        { MODE_64, { 0x8c, 0xf0 }, 2, 2, false },        /* decodes; #UD at run */
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        const LenCase *c = &cases[i];
        DecodedInsn d;
        int len = x86_decode(mode_hflags(c->mode), c->b, c->n, &d);
        if (len != c->len) {
            fail_msg("case %zu: length %d, expected %d", i, len, c->len);
        }
        if (len && !!(d.flags & INSN_UNDEF) != c->undef) {
            fail_msg("case %zu: undef %d, expected %d", i,
                     !!(d.flags & INSN_UNDEF), c->undef);
        }
    }
}

static void test_decode_too_long(void **state)
{
    uint8_t b[20];
    DecodedInsn d;

    memset(b, 0x66, sizeof(b));
    b[15] = 0x90;
    assert_int_equal(x86_decode(mode_hflags(MODE_64), b, sizeof(b), &d), 15);
    assert_true(d.handler != NULL);
    /* and running it raises #GP(0) */
    assert_int_equal(run_code(MODE_64, 0x1000, b, sizeof(b), 10), EXCP0D_GPF);
    assert_int_equal(M.env.rip, 0x1000);
}

static void test_decode_operands(void **state)
{
    DecodedInsn d;
    /* mov ah, [bx+si+0x10] in real mode: AH is byte 1 of RAX, DS-relative */
    static const uint8_t b1[] = { 0x8a, 0x60, 0x10 };
    assert_int_equal(x86_decode(mode_hflags(MODE_16), b1, 3, &d), 3);
    assert_int_equal(d.reg8, 1);
    assert_int_equal(d.base, R_EBX);
    assert_int_equal(d.index, R_ESI);
    assert_int_equal(d.disp, 0x10);
    assert_int_equal(d.seg, R_DS);
    assert_int_equal(d.ot, MO_8);
    /* REX makes reg 4 SPL instead of AH */
    static const uint8_t b2[] = { 0x40, 0x88, 0xe0 };   /* mov al, spl */
    assert_int_equal(x86_decode(mode_hflags(MODE_64), b2, 3, &d), 3);
    assert_int_equal(d.reg8, R_ESP * 8);
    /* [rbp+8] defaults to SS (flat in 64-bit); [r13+8] to DS; fs: stays */
    static const uint8_t b3[] = { 0x64, 0x41, 0x8b, 0x45, 0x08 };
    assert_int_equal(x86_decode(mode_hflags(MODE_64), b3, 5, &d), 5);
    assert_int_equal(d.seg, R_FS);
    assert_int_equal(d.base, R_R13);
    static const uint8_t b4[] = { 0x8b, 0x45, 0x08 };
    assert_int_equal(x86_decode(mode_hflags(MODE_32), b4, 3, &d), 3);
    assert_int_equal(d.seg, R_SS);
    /* push in 64-bit mode is 64-bit, 16 with 66 */
    static const uint8_t b5[] = { 0x66, 0x50 };
    assert_int_equal(x86_decode(mode_hflags(MODE_64), b5, 2, &d), 2);
    assert_int_equal(d.ot, MO_16);
    assert_int_equal(x86_decode(mode_hflags(MODE_64), b5 + 1, 1, &d), 1);
    assert_int_equal(d.ot, MO_64);
    /* a REX before a legacy prefix is ignored */
    static const uint8_t b6[] = { 0x48, 0x66, 0x01, 0xc0 };
    assert_int_equal(x86_decode(mode_hflags(MODE_64), b6, 4, &d), 4);
    assert_int_equal(d.ot, MO_16);
}

/* Any byte string decodes to something runnable of at most 15 bytes, and
 * never reads past what it was given. */
static void test_decode_random_bytes(void **state)
{
    uint64_t x = 12345;
    uint32_t modes[3] = { mode_hflags(MODE_64), mode_hflags(MODE_32),
                          mode_hflags(MODE_16) };

    for (int it = 0; it < 200000; it++) {
        uint8_t b[16];
        DecodedInsn d;
        int avail, len;

        for (int i = 0; i < 16; i++) {
            x = x * 6364136223846793005ULL + 1442695040888963407ULL;
            b[i] = x >> 56;
        }
        /* prefix-heavy strings half the time */
        if (it & 1) {
            static const uint8_t pfx[] = { 0x66, 0x67, 0xf2, 0xf3, 0xf0, 0x2e, 0x64, 0x48, 0x41 };
            for (int i = 0; i < (int)(x % 8); i++) {
                b[i] = pfx[(x >> (8 + 4 * i)) % ARRAY_SIZE(pfx)];
            }
        }
        avail = 1 + (x >> 20) % 16;
        len = x86_decode(modes[it % 3], b, avail, &d);
        assert_true(len >= 0 && len <= X86_MAX_INSN_LEN && len <= avail);
        if (len) {
            assert_non_null(d.handler);
            assert_int_equal(d.len, len);
        }
    }
}

/* A TB ends at a control transfer and holds what was decoded. */
static void test_tb_shape(void **state)
{
    CPUX86State *env = &M.env;
    TranslationBlock *tb = xzalloc(TB_ALLOC_SIZE(TB_MAX_INSNS));
    static const uint8_t code[] = {
        0x48, 0x01, 0xd8,       /* add rax, rbx */
        0x90,                   /* nop */
        0x75, 0xfa,             /* jnz back */
        0x90,                   /* not in this TB */
    };
    memcpy(M.ram + 0x6000, code, sizeof(code));
    x86_cpu_reset(env);
    x86_cpu_set_long_mode_flat(env, 0);
    env->rip = 0x6000;
    if (sigsetjmp(env->jmp_env, 0) == 0) {
        tb_gen_code(env, tb, TB_MAX_INSNS);
    }
    assert_int_equal(tb->icount, 3);
    assert_int_equal(tb->size, 6);
    assert_true(tb->pc == 0x6000);
    assert_int_equal(tb->flags, env->hflags);
    assert_true(tb->insns[2].flags & INSN_END_TB);

    /* a page boundary ends it too: 0x6ffe nop nop | 0x7000 nop */
    memset(M.ram + 0x6ffe, 0x90, 4);
    env->rip = 0x6ffe;
    if (sigsetjmp(env->jmp_env, 0) == 0) {
        tb_gen_code(env, tb, TB_MAX_INSNS);
    }
    assert_int_equal(tb->icount, 2);
    free(tb);
}

/* ---- execution in modes the host can't run here ------------------- */
static void test_real_mode(void **state)
{
    CPUX86State *env = &M.env;
    static const uint8_t code[] = {
        0xbb, 0x00, 0x02,        /* mov bx, 0x200 */
        0xbe, 0x04, 0x00,        /* mov si, 4 */
        0x8b, 0x40, 0x02,        /* mov ax, [bx+si+2] (DS) */
        0xbd, 0x10, 0x00,        /* mov bp, 0x10 */
        0x8b, 0x0b,              /* mov cx, [bp+di] -> SS */
        0x66, 0x05, 1, 0, 0, 0,  /* add eax, 1 (operand-size prefix) */
        0x50,                    /* push ax */
        0xeb, 0xfe,              /* jmp $ */
    };
    memset(M.ram, 0, RAM_SIZE);
    /* DS base 0x10000, SS base 0x20000 */
    M.ram[0x10206] = 0x34;
    M.ram[0x10207] = 0x12;
    M.ram[0x20010 + 0] = 0x78;
    M.ram[0x20011] = 0x56;
    memcpy(M.ram + 0x7c00, code, sizeof(code));
    x86_cpu_reset(env);
    x86_cpu_set_real_mode(env);
    env->segs[R_DS].base = 0x10000;
    env->segs[R_DS].selector = 0x1000;
    env->segs[R_SS].base = 0x20000;
    env->segs[R_SS].selector = 0x2000;
    env->regs[R_EDI] = 0xabcd0000;   /* only DI (0) counts in 16-bit addressing */
    env->regs[R_ESP] = 0x100;
    env->rip = 0x7c00;
    env->icount_budget = 8;
    assert_int_equal(cpu_exec(env), EXCP_INTERRUPT);
    assert_int_equal(env->regs[R_EAX], 0x1235);
    assert_int_equal(env->regs[R_ECX], 0x5678);
    assert_int_equal(env->regs[R_ESP], 0xfe);
    assert_int_equal(M.ram[0x200fe], 0x35);
    assert_int_equal(env->rip, 0x7c00 + sizeof(code) - 2);   /* spinning on jmp $ */
}

static void test_ip_wraps_in_16bit_code(void **state)
{
    CPUX86State *env = &M.env;
    static const uint8_t code[] = { 0xe9, 0x00, 0x80 };   /* jmp +0x8000 */
    memcpy(M.ram + 0xa000, code, sizeof(code));
    x86_cpu_reset(env);
    x86_cpu_set_real_mode(env);
    env->rip = 0xa000;
    env->icount_budget = 1;
    assert_int_equal(cpu_exec(env), EXCP_INTERRUPT);
    assert_int_equal(env->rip, (0xa003 + 0x8000) & 0xffff);
}

static void test_bcd(void **state)
{
    CPUX86State *env = &M.env;
    static const struct {
        uint8_t op[2];
        int n;
        uint16_t ax;
        uint32_t flags_in;
        uint16_t ax_out;
        uint32_t flags_mask, flags_out;
    } cases[] = {
        /* SDM: 79 + 35 = AE, DAA -> 14, CF=1 */
        { { 0x27 }, 1, 0x00ae, 0, 0x0014, CC_C, CC_C },
        /* 35 - 47 = EE, CF=1; DAS -> 88, CF=1 */
        { { 0x2f }, 1, 0x00ee, CC_C, 0x0088, CC_C, CC_C },
        /* AAA: 05 + 08 = 0D -> AX 0103 */
        { { 0x37 }, 1, 0x000d, 0, 0x0103, CC_C | CC_A, CC_C | CC_A },
        /* AAS: 08 - 09 = FF, AF=1 -> AH-1, AL 09 */
        { { 0x3f }, 1, 0x02ff, CC_A, 0x0109, CC_C | CC_A, CC_C | CC_A },
        /* AAM: 7*9 = 63 = 0x3f -> 0603 */
        { { 0xd4, 0x0a }, 2, 0x003f, 0, 0x0603, CC_Z | CC_S, 0 },
        /* AAD: 0603 -> 003f */
        { { 0xd5, 0x0a }, 2, 0x0603, 0, 0x003f, CC_Z | CC_S, 0 },
        /* AAM 16 splits nibbles */
        { { 0xd4, 0x10 }, 2, 0x00a7, 0, 0x0a07, CC_Z, 0 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        memcpy(M.ram + 0x1000, cases[i].op, cases[i].n);
        x86_cpu_reset(env);
        x86_cpu_set_protected_mode_flat(env);
        env->regs[R_EAX] = 0xffff0000 | cases[i].ax;
        cpu_load_eflags(env, cases[i].flags_in, CC_ALL);
        env->rip = 0x1000;
        env->icount_budget = 1;
        assert_int_equal(cpu_exec(env), EXCP_INTERRUPT);
        if ((uint16_t)env->regs[R_EAX] != cases[i].ax_out ||
            (cpu_compute_eflags(env) & cases[i].flags_mask) != cases[i].flags_out) {
            fail_msg("bcd case %zu: ax %04x flags %04x", i,
                     (unsigned)(uint16_t)env->regs[R_EAX],
                     (unsigned)cpu_compute_eflags(env));
        }
        assert_int_equal(env->regs[R_EAX] >> 16, 0xffff);
    }
    /* AAM 0 is #DE */
    static const uint8_t aam0[] = { 0xd4, 0x00 };
    assert_int_equal(run_code(MODE_32, 0x1000, aam0, 2, 1), EXCP00_DIVZ);
}

/* ---- stack and control transfer ------------------------------------ */
static void test_stack_and_calls(void **state)
{
    CPUX86State *env = &M.env;
    static const uint8_t code[] = {
        /* 0x1000 */ 0x50,                         /* push rax */
        /* 0x1001 */ 0x6a, 0xfe,                   /* push -2 */
        /* 0x1003 */ 0x5b,                         /* pop rbx */
        /* 0x1004 */ 0xe8, 0x0b, 0, 0, 0,          /* call 0x1014 */
        /* 0x1009 */ 0x59,                         /* pop rcx (pushed rax) */
        /* 0x100a */ 0x9c,                         /* pushf */
        /* 0x100b */ 0x5a,                         /* pop rdx */
        /* 0x100c */ 0x0f, 0x0b,                   /* ud2: ends the test */
        0, 0, 0, 0, 0, 0,
        /* 0x1014 */ 0xc8, 0x20, 0, 0,             /* enter 0x20, 0 */
        /* 0x1018 */ 0x48, 0x8d, 0x75, 0xf8,       /* lea rsi, [rbp-8] */
        /* 0x101c */ 0xc9,                         /* leave */
        /* 0x101d */ 0xc3,                         /* ret */
    };
    memcpy(M.ram + 0x1000, code, sizeof(code));
    x86_cpu_reset(env);
    x86_cpu_set_long_mode_flat(env, 0);
    env->regs[R_EAX] = 0x1122334455667788ULL;
    env->regs[R_EBP] = 0x4242;
    env->regs[R_ESP] = 0x8000;
    env->rip = 0x1000;
    cpu_load_eflags(env, CC_C | CC_Z, CC_ALL);
    env->icount_budget = 100;
    assert_int_equal(cpu_exec(env), EXCP06_ILLOP);
    assert_int_equal(env->rip, 0x100c);
    assert_true(env->regs[R_EBX] == (uint64_t)-2);
    assert_true(env->regs[R_ECX] == 0x1122334455667788ULL);
    assert_int_equal(env->regs[R_EDX], CC_C | CC_Z | EFLAGS_FIXED);
    /* enter pushed rbp at 0x7fe8 (after rax and the return address) */
    assert_int_equal(env->regs[R_ESI], 0x7fe8 - 8);
    assert_int_equal(env->regs[R_EBP], 0x4242);
    assert_int_equal(env->regs[R_ESP], 0x8000);
}

static void test_push_pop_32bit(void **state)
{
    CPUX86State *env = &M.env;
    static const uint8_t code[] = {
        0x66, 0x6a, 0x80,        /* push word -128 */
        0x66, 0x58,              /* pop ax */
        0x60,                    /* pusha */
        0x31, 0xff,              /* xor edi, edi */
        0x61,                    /* popa */
        0x8f, 0x05, 0, 0x30, 0, 0, /* pop dword [0x3000]: pops pushed eax? */
    };
    x86_cpu_reset(env);
    (void)code;
    memcpy(M.ram + 0x2000, code, sizeof(code));
    x86_cpu_set_protected_mode_flat(env);
    env->regs[R_EAX] = 0x11112222;
    env->regs[R_EDI] = 0x77;
    env->regs[R_ESP] = 0x9000;
    env->rip = 0x2000;
    env->icount_budget = 5;
    assert_int_equal(cpu_exec(env), EXCP_INTERRUPT);
    assert_int_equal(env->regs[R_EAX], 0x1111ff80);
    assert_int_equal(env->regs[R_EDI], 0x77);
    assert_int_equal(env->regs[R_ESP], 0x9000);
    assert_int_equal(M.ram[0x9000 - 0x20 + 0x1c], 0x80);   /* pusha stored EAX */
}

/* Outside 64-bit mode linear addresses wrap at 4 GiB: a segment based
 * near the top of the address space reaches low memory. */
static void test_linear_wrap_32bit(void **state)
{
    CPUX86State *env = &M.env;
    static const uint8_t code[] = {
        0x50,                   /* push eax: SS base + 0x1ffc wraps to 0xffc */
        0x8b, 0x0d, 0, 0x20, 0, 0,   /* mov ecx, [0x2000]: DS wraps to 0x1000 */
        0xac,                   /* lodsb: DS:ESI wraps too */
    };
    memset(M.ram, 0, 0x3000);
    M.ram[0x1000] = 0x5a;
    M.ram[0x1010] = 0xa5;
    memcpy(M.ram + 0x4000, code, sizeof(code));
    x86_cpu_reset(env);
    x86_cpu_set_protected_mode_flat(env);
    env->segs[R_SS].base = 0xfffff000;
    env->segs[R_DS].base = 0xfffff000;
    env->regs[R_ESP] = 0x2000;
    env->regs[R_EAX] = 0x11223344;
    env->regs[R_ESI] = 0x2010;
    env->rip = 0x4000;
    env->icount_budget = 3;
    assert_int_equal(cpu_exec(env), EXCP_INTERRUPT);
    assert_int_equal(M.ram[0xffc], 0x44);
    assert_int_equal(env->regs[R_ECX], 0x5a);
    assert_int_equal(env->regs[R_EAX] & 0xff, 0xa5);
}

/* ---- exceptions are precise ---------------------------------------- */
static void test_precise_faults(void **state)
{
    CPUX86State *env = &M.env;
    static const uint8_t code[] = {
        0xb8, 1, 0, 0, 0,                      /* mov eax, 1 */
        0xff, 0xc0,                            /* inc eax */
        0x48, 0x8b, 0x0c, 0x25, 0, 0, 0, 0x40, /* mov rcx, [0x40000000]: #PF */
        0xff, 0xc0,                            /* inc eax (not reached) */
    };
    assert_int_equal(run_code(MODE_64, 0x3000, code, sizeof(code), 10), EXCP0E_PAGE);
    assert_int_equal(env->rip, 0x3007);
    assert_int_equal(env->regs[R_EAX], 2);
    assert_true(env->cr[2] == 0x40000000);

    /* REP MOVSB running off the end of RAM: progress so far is kept */
    static const uint8_t rep[] = { 0xf3, 0xa4 };
    memcpy(M.ram + 0x3000, rep, sizeof(rep));
    x86_cpu_reset(env);
    x86_cpu_set_long_mode_flat(env, 0);
    env->regs[R_ESI] = 0x5000;
    env->regs[R_EDI] = RAM_SIZE - 10;
    env->regs[R_ECX] = 100;
    env->rip = 0x3000;
    env->icount_budget = 10;
    assert_int_equal(cpu_exec(env), EXCP0E_PAGE);
    assert_int_equal(env->rip, 0x3000);
    assert_int_equal(env->regs[R_ECX], 90);
    assert_int_equal(env->regs[R_EDI], RAM_SIZE);

    /* a long REP STOS is interruptible and resumes */
    static const uint8_t stos[] = { 0xf3, 0x48, 0xab, 0x0f, 0x0b };
    memcpy(M.ram + 0x3000, stos, sizeof(stos));
    x86_cpu_reset(env);
    x86_cpu_set_long_mode_flat(env, 0);
    env->regs[R_EDI] = 0x10000;
    env->regs[R_ECX] = 10000;
    env->regs[R_EAX] = 0x0101010101010101ULL;
    env->rip = 0x3000;
    env->icount_budget = 1;
    assert_int_equal(cpu_exec(env), EXCP_INTERRUPT);
    assert_int_equal(env->rip, 0x3000);
    assert_true(env->regs[R_ECX] > 0 && env->regs[R_ECX] < 10000);
    env->icount_budget = 100;
    assert_int_equal(cpu_exec(env), EXCP06_ILLOP);   /* reached the UD2 */
    assert_int_equal(env->regs[R_ECX], 0);
    assert_int_equal(env->regs[R_EDI], 0x10000 + 80000);
    assert_int_equal(M.ram[0x10000 + 79999], 1);

    /* divide error: nothing changes */
    static const uint8_t div0[] = { 0x31, 0xc9, 0xf7, 0xf1 };  /* xor ecx,ecx; div ecx */
    assert_int_equal(run_code(MODE_64, 0x3000, div0, sizeof(div0), 10), EXCP00_DIVZ);
    assert_int_equal(env->rip, 0x3002);

    /* software interrupts report the vector and the return address */
    static const uint8_t int80[] = { 0x90, 0xcd, 0x80 };
    assert_int_equal(run_code(MODE_32, 0x3000, int80, sizeof(int80), 10), 0x80);
    assert_int_equal(env->rip, 0x3001);
    assert_true(env->exception_is_int);
    assert_int_equal(env->exception_next_rip, 0x3003);

    /* executing past the end of RAM is a fetch fault, at the right rip */
    static const uint8_t nops[] = { 0x90, 0x90 };
    assert_int_equal(run_code(MODE_64, RAM_SIZE - 2, nops, 2, 10), EXCP0E_PAGE);
    assert_int_equal(env->rip, RAM_SIZE);
}

static void test_reset_state(void **state)
{
    CPUX86State *env = &M.env;
    x86_cpu_reset(env);
    assert_int_equal(env->rip, 0xfff0);
    assert_true(env->segs[R_CS].base == 0xffff0000);
    assert_int_equal(env->segs[R_CS].selector, 0xf000);
    assert_int_equal(cpu_compute_eflags(env), 2);
    assert_int_equal(env->cr[0], 0x60000010);
    assert_int_equal(env->hflags & (HF_CS32_MASK | HF_CS64_MASK | HF_PE_MASK), 0);
    assert_true(env->mem_ops == &test_ram_ops);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_decode_lengths),
        cmocka_unit_test(test_decode_too_long),
        cmocka_unit_test(test_decode_operands),
        cmocka_unit_test(test_decode_random_bytes),
        cmocka_unit_test(test_tb_shape),
        cmocka_unit_test(test_real_mode),
        cmocka_unit_test(test_ip_wraps_in_16bit_code),
        cmocka_unit_test(test_bcd),
        cmocka_unit_test(test_stack_and_calls),
        cmocka_unit_test(test_push_pop_32bit),
        cmocka_unit_test(test_linear_wrap_32bit),
        cmocka_unit_test(test_precise_faults),
        cmocka_unit_test(test_reset_state),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
