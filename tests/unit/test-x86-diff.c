/*
 * Differential tests: x86 instructions on the host CPU vs the emulator.
 * See tests/unit/x86-diff.h for how the two runs are set up.
 */
#include "test.h"
#include "x86-diff.h"

#define ITERATIONS 1000
#define DATA_SIZE  8192
#define MAX_REPORTS 8

typedef struct Harness {
    uint8_t *code;            /* executable page */
    uint8_t *data;            /* operand memory, same address on both sides */
    uint8_t data_init[DATA_SIZE];
    uint8_t data_native[DATA_SIZE];
    CPUX86State *env;
    TestMem mem;
    int failures;
} Harness;

static Harness H;

/* ---- encoder ------------------------------------------------------- */
typedef struct Enc {
    uint8_t b[32];
    int n;
} Enc;

static void put(Enc *e, uint8_t v)
{
    e->b[e->n++] = v;
}

static void put_imm(Enc *e, uint64_t v, int bytes)
{
    for (int i = 0; i < bytes; i++) {
        put(e, v >> (8 * i));
    }
}

/*
 * An instruction with a ModRM operand: reg field `reg` (register number
 * or /digit), rm either register `rm` or, when mem, [rm + disp8].
 * map 1 adds the 0F escape.
 */
static void enc_modrm(Enc *e, int ot, int map, uint8_t opc, int reg, int rm,
                      bool mem, int8_t disp)
{
    int rex = 0;
    if (ot == MO_16) {
        put(e, 0x66);
    }
    if (ot == MO_64) {
        rex |= 8;
    }
    if (reg & 8) {
        rex |= 4;
    }
    if (rm & 8) {
        rex |= 1;
    }
    if (rex) {
        put(e, 0x40 | rex);
    }
    if (map) {
        put(e, 0x0f);
    }
    put(e, opc);
    if (mem) {
        put(e, 0x40 | ((reg & 7) << 3) | (rm & 7));
        put(e, (uint8_t)disp);
    } else {
        put(e, 0xc0 | ((reg & 7) << 3) | (rm & 7));
    }
}

/* Opcode without ModRM, with the operand-size prefix/REX.W for ot. */
static void enc_plain(Enc *e, int ot, uint8_t opc)
{
    if (ot == MO_16) {
        put(e, 0x66);
    }
    if (ot == MO_64) {
        put(e, 0x48);
    }
    put(e, opc);
}

static int imm_bytes(int ot)
{
    return ot == MO_8 ? 1 : ot == MO_16 ? 2 : 4;
}

/* A random register for an operand: never RSP; AH..BH sometimes for
 * byte operands (only when no REX is needed, which the caller checks). */
static int rnd_reg(void)
{
    int r;
    do {
        r = rnd() & 15;
    } while (r == R_ESP);
    return r;
}

/* The base register for memory forms, and where it points. */
#define MEM_BASE R_EBX

static void rnd_state(HostState *s)
{
    for (int i = 0; i < 16; i++) {
        s->regs[i] = rnd_value();
    }
    s->regs[R_ESP] = 0;
    s->rflags = (rnd() & (CC_ALL | DF_MASK)) | EFLAGS_FIXED;
}

static void rnd_data(void)
{
    for (int i = 0; i < DATA_SIZE; i += 8) {
        uint64_t v = rnd_value();
        memcpy(H.data + i, &v, 8);
    }
}

/* Pick a memory operand: MEM_BASE points into the middle of the buffer. */
static int8_t rnd_mem(HostState *s)
{
    s->regs[MEM_BASE] = (uintptr_t)H.data + DATA_SIZE / 2 + (rnd() % 256);
    return (int8_t)(rnd() & 0x7f) - 64;
}

/* ---- running both sides --------------------------------------------- */
/* Returns the exception vector, or -1 when the code ran to its end. */
static int run_emu(HostState *s, uint64_t end, int max_steps)
{
    CPUX86State *env = H.env;
    int excp = -1;

    x86_cpu_reset(env);
    x86_cpu_set_long_mode_flat(env, 3);
    memcpy(env->regs, s->regs, sizeof(s->regs));
    cpu_load_eflags(env, s->rflags, CC_ALL | DF_MASK);
    env->rip = (uintptr_t)H.code;
    for (int i = 0; i < max_steps && env->rip != end; i++) {
        env->icount_budget = 1;
        int r = cpu_exec(env);
        if (r != EXCP_INTERRUPT) {
            excp = r;
            break;
        }
    }
    if (excp < 0 && env->rip != end) {
        excp = 0x1000;   /* did not reach the end */
    }
    memcpy(s->regs, env->regs, sizeof(s->regs));
    s->rflags = cpu_compute_eflags(env);
    return excp;
}

typedef struct DiffCase {
    const char *name;
    Enc enc;
    uint32_t flags;           /* flags to compare (others undefined) */
    uint32_t regs_ignored;    /* bitmask of GPRs not to compare */
    bool mem;                 /* compare the data buffer too */
} DiffCase;

static void dump_case(const DiffCase *c, const HostState *init,
                      const HostState *nat, const HostState *emu,
                      int nat_sig, int emu_excp)
{
    fprintf(stderr, "MISMATCH %s: bytes", c->name);
    for (int i = 0; i < c->enc.n; i++) {
        fprintf(stderr, " %02x", c->enc.b[i]);
    }
    fprintf(stderr, "\n  native signal %d, emulator exception %d\n", nat_sig, emu_excp);
    for (int i = 0; i < 16; i++) {
        if (nat->regs[i] != emu->regs[i] || i < 4) {
            fprintf(stderr, "  r%-2d init %016" PRIx64 " native %016" PRIx64
                    " emu %016" PRIx64 "%s\n", i, init->regs[i], nat->regs[i],
                    emu->regs[i], nat->regs[i] != emu->regs[i] ? "  <--" : "");
        }
    }
    fprintf(stderr, "  flags init %04" PRIx64 " native %04" PRIx64 " emu %04" PRIx64
            " (compared %04x)\n", init->rflags, nat->rflags, emu->rflags, c->flags);
}

/* Run one case from state *init on both sides and compare. */
static bool diff_run(const DiffCase *c, const HostState *init)
{
    HostState nat = *init, emu = *init;
    uint64_t end = (uintptr_t)H.code + c->enc.n;
    int nat_sig, emu_excp;
    bool ok = true;

    memcpy(H.code, c->enc.b, c->enc.n);
    H.code[c->enc.n] = 0xc3;   /* ret to the trampoline */
    memcpy(H.data_init, H.data, DATA_SIZE);

    native_code = H.code;
    nat_sig = run_native(&nat);
    memcpy(H.data_native, H.data, DATA_SIZE);
    memcpy(H.data, H.data_init, DATA_SIZE);

    emu_excp = run_emu(&emu, end, 64);

    if (nat_sig || emu_excp >= 0) {
        /* Only #DE is expected; then the emulator must be precise: no
         * register or memory changed. */
        ok = nat_sig == SIGFPE && emu_excp == EXCP00_DIVZ &&
             !memcmp(emu.regs, init->regs, sizeof(emu.regs));
        if (!ok && H.failures < MAX_REPORTS) {
            dump_case(c, init, &nat, &emu, nat_sig, emu_excp);
        }
        return ok;
    }
    for (int i = 0; i < 16; i++) {
        if (i != R_ESP && !(c->regs_ignored & (1u << i)) &&
            nat.regs[i] != emu.regs[i]) {
            ok = false;
        }
    }
    if ((nat.rflags ^ emu.rflags) & c->flags) {
        ok = false;
    }
    if ((nat.rflags ^ emu.rflags) & DF_MASK) {
        ok = false;
    }
    if (c->mem && memcmp(H.data_native, H.data, DATA_SIZE)) {
        if (H.failures < MAX_REPORTS) {
            for (int i = 0; i < DATA_SIZE; i++) {
                if (H.data_native[i] != H.data[i]) {
                    fprintf(stderr, "  data[%d] native %02x emu %02x\n", i,
                            H.data_native[i], H.data[i]);
                    break;
                }
            }
        }
        ok = false;
    }
    if (!ok && H.failures < MAX_REPORTS) {
        dump_case(c, init, &nat, &emu, nat_sig, emu_excp);
    }
    return ok;
}

static void check(const DiffCase *c, const HostState *init)
{
    if (!diff_run(c, init)) {
        H.failures++;
    }
}

static void end_test(void)
{
    int f = H.failures;
    H.failures = 0;
    assert_int_equal(f, 0);
}

/* ---- ALU ------------------------------------------------------------ */
static const char *const alu_names[8] = {
    "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"
};

static uint32_t alu_flags(int op)
{
    /* AND/OR/XOR leave AF undefined */
    return (op == 1 || op == 4 || op == 6) ? CC_ALL & ~CC_A : CC_ALL;
}

/* Registers for a ModRM pair; with byte operands and no REX, 4..7 are
 * AH..BH, so let those in sometimes. */
static void rnd_regs(int ot, int *reg, int *rm)
{
    *reg = rnd_reg();
    *rm = rnd_reg();
    if (ot == MO_8 && !(rnd() & 3)) {
        *reg = rnd() & 7;
        *rm = rnd() & 7;
    }
}

static void test_alu(void **state)
{
    for (int op = 0; op < 8; op++) {
        for (int ot = MO_8; ot <= MO_64; ot++) {
            for (int form = 0; form < 8; form++) {
                for (int it = 0; it < ITERATIONS / 4; it++) {
                    DiffCase c = { .name = alu_names[op], .flags = alu_flags(op) };
                    HostState s;
                    int reg, rm;
                    bool mem = form & 1;
                    int8_t disp = 0;
                    uint8_t base = op * 8 + (ot != MO_8);

                    rnd_state(&s);
                    rnd_data();
                    rnd_regs(ot, &reg, &rm);
                    if (mem) {
                        rm = MEM_BASE;
                        disp = rnd_mem(&s);
                        c.mem = true;
                    }
                    switch (form >> 1) {
                    case 0: /* E, G */
                        enc_modrm(&c.enc, ot, 0, base, reg, rm, mem, disp);
                        break;
                    case 1: /* G, E */
                        enc_modrm(&c.enc, ot, 0, base + 2, reg, rm, mem, disp);
                        break;
                    case 2: /* 80/81 E, imm */
                        enc_modrm(&c.enc, ot, 0, ot == MO_8 ? 0x80 : 0x81, op, rm, mem, disp);
                        put_imm(&c.enc, rnd_value(), imm_bytes(ot));
                        break;
                    default:
                        if (mem || ot == MO_8) {  /* 83 E, imm8 */
                            enc_modrm(&c.enc, ot, 0, ot == MO_8 ? 0x80 : 0x83, op, rm,
                                      mem, disp);
                            put_imm(&c.enc, rnd_value(), 1);
                        } else {                  /* 04/05 AL/eAX, imm */
                            enc_plain(&c.enc, ot, op * 8 + 5);
                            put_imm(&c.enc, rnd_value(), imm_bytes(ot));
                        }
                        break;
                    }
                    check(&c, &s);
                }
            }
        }
    }
    end_test();
}

/* ---- shifts and rotates --------------------------------------------- */
static const char *const shift_names[8] = {
    "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"
};

/* Architecturally defined flags after a shift/rotate by `count`. */
static uint32_t shift_flags(int kind, int ot, unsigned count)
{
    unsigned masked = count & (ot == MO_64 ? 63 : 31);
    int bits = 8 << ot;
    uint32_t f;

    if (masked == 0) {
        return CC_ALL;   /* nothing changes */
    }
    if (kind < 4) {      /* rotates touch CF and OF only */
        f = CC_ALL & ~CC_O;
        if (kind >= 2 && bits < 32 && masked % (bits + 1) == 0) {
            return CC_ALL & ~CC_O;
        }
    } else {
        f = CC_ALL & ~CC_A;
        if (masked >= (unsigned)bits) {
            f &= ~CC_C;
        }
    }
    if (masked != 1) {
        f &= ~CC_O;
    }
    return f;
}

static void test_shift(void **state)
{
    for (int kind = 0; kind < 8; kind++) {
        for (int ot = MO_8; ot <= MO_64; ot++) {
            for (int form = 0; form < 6; form++) {
                for (int it = 0; it < ITERATIONS / 2; it++) {
                    DiffCase c = { .name = shift_names[kind] };
                    HostState s;
                    int reg, rm;
                    bool mem = form & 1;
                    int8_t disp = 0;
                    unsigned count;

                    rnd_state(&s);
                    rnd_data();
                    rnd_regs(ot, &reg, &rm);
                    if (rm == R_ECX || (ot == MO_8 && rm == 5 && rm < 8)) {
                        rm = R_EDX;   /* keep CL a pure count */
                    }
                    if (mem) {
                        rm = MEM_BASE;
                        disp = rnd_mem(&s);
                        c.mem = true;
                    }
                    count = rnd() % 3 == 0 ? rnd() & 0xff : rnd() % 70;
                    switch (form >> 1) {
                    case 0:
                        enc_modrm(&c.enc, ot, 0, ot == MO_8 ? 0xc0 : 0xc1, kind, rm,
                                  mem, disp);
                        put(&c.enc, count);
                        break;
                    case 1:
                        count = 1;
                        enc_modrm(&c.enc, ot, 0, ot == MO_8 ? 0xd0 : 0xd1, kind, rm,
                                  mem, disp);
                        break;
                    default:
                        s.regs[R_ECX] = (s.regs[R_ECX] & ~0xffULL) | (count & 0xff);
                        enc_modrm(&c.enc, ot, 0, ot == MO_8 ? 0xd2 : 0xd3, kind, rm,
                                  mem, disp);
                        break;
                    }
                    c.flags = shift_flags(kind, ot, count);
                    check(&c, &s);
                }
            }
        }
    }
    end_test();
}

/* ---- random guest code never crashes the host ----------------------- */
static void test_random_code(void **state)
{
    int exits[3] = { 0 };

    for (int it = 0; it < 20000; it++) {
        CPUX86State *env = H.env;
        int r;

        for (int i = 0; i < 64; i++) {
            H.code[i] = rnd();
        }
        rnd_data();
        x86_cpu_reset(env);
        switch (it % 3) {
        case 0: x86_cpu_set_long_mode_flat(env, 0); break;
        case 1: x86_cpu_set_protected_mode_flat(env); break;
        default: x86_cpu_set_real_mode(env); break;
        }
        for (int i = 0; i < 16; i++) {
            /* mostly pointers into the buffer, so memory forms do work */
            env->regs[i] = (rnd() & 1) ? (uintptr_t)H.data + (rnd() % DATA_SIZE)
                                       : rnd_value();
        }
        env->rip = (uintptr_t)H.code;
        if (it % 3 == 2) {
            /* real mode: 64 KiB segments based on the buffers */
            for (int i = 0; i < R_SEG_COUNT; i++) {
                env->segs[i].base = (uintptr_t)H.data;
            }
            env->segs[R_CS].base = (uintptr_t)H.code;
            env->rip = 0;
            for (int i = 0; i < 8; i++) {
                env->regs[i] = rnd() % DATA_SIZE;
            }
        }
        env->icount_budget = 200;
        r = cpu_exec(env);
        exits[r == EXCP_INTERRUPT ? 0 : r == EXCP06_ILLOP ? 1 : 2]++;
        assert_true(r == EXCP_INTERRUPT || (r >= 0 && r < 256));
    }
    /* Random bytes hit every kind of exit. */
    assert_true(exits[1] > 0 && exits[2] > 0);
}

/* ---- setup ---------------------------------------------------------- */
static int setup(void **state)
{
    /* Below 2 GiB (MAP_32BIT), so 32-bit addressing and legacy modes
     * reach the buffers too. */
    H.code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    H.data = mmap(NULL, DATA_SIZE, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
    if (H.code == MAP_FAILED || H.data == MAP_FAILED) {
        return -1;
    }
    H.env = xnew(CPUX86State);
    H.mem.win[0] = (RamWindow){ H.code, 4096 };
    H.mem.win[1] = (RamWindow){ H.data, DATA_SIZE };
    H.env->mem_ops = &test_mem_ops;
    H.env->mem_opaque = &H.mem;
    return 0;
}

static int teardown(void **state)
{
    munmap(H.code, 4096);
    munmap(H.data, DATA_SIZE);
    free(H.env);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu),
        cmocka_unit_test(test_shift),
        cmocka_unit_test(test_random_code),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
