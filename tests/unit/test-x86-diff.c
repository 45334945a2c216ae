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
    bool no_mode32;           /* the kernel refused 32-bit code */
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
    /* a private stack near the top of the buffer */
    s->regs[R_ESP] = (uintptr_t)H.data + DATA_SIZE - 1024 - 8 * (rnd() & 15);
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
static int run_emu(HostState *s, uint64_t end, int max_steps, bool mode32)
{
    CPUX86State *env = H.env;
    int excp = -1;

    x86_cpu_reset(env);
    if (mode32) {
        x86_cpu_set_protected_mode_flat(env);
        env->hflags |= 3;   /* CPL 3, like the host */
    } else {
        x86_cpu_set_long_mode_flat(env, 3);
    }
    /* The host's selectors, so MOV from a segment register agrees. */
    {
        uint16_t sel[R_SEG_COUNT];
        __asm__("mov %%es, %0" : "=r"(sel[R_ES]));
        __asm__("mov %%cs, %0" : "=r"(sel[R_CS]));
        __asm__("mov %%ss, %0" : "=r"(sel[R_SS]));
        __asm__("mov %%ds, %0" : "=r"(sel[R_DS]));
        __asm__("mov %%fs, %0" : "=r"(sel[R_FS]));
        __asm__("mov %%gs, %0" : "=r"(sel[R_GS]));
        for (int i = 0; i < R_SEG_COUNT; i++) {
            env->segs[i].selector = sel[i];
        }
        if (mode32) {
            env->segs[R_CS].selector = 0x23;
            env->segs[R_DS].selector = env->segs[R_ES].selector = 0x2b;
        }
    }
    memcpy(env->regs, s->regs, sizeof(s->regs));
    /* the host runs user code with IF set: PUSHF images must agree */
    cpu_load_eflags(env, s->rflags | IF_MASK, CC_ALL | DF_MASK | IF_MASK);
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
    bool mode32;              /* 32-bit code: compare EAX..EDI only */
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
    if (c->mode32) {
        /* ljmp $0x33, $stub; the 64-bit stub at code + 64 jumps back */
        uint32_t stub = (uintptr_t)H.code + 64;
        H.code[c->enc.n] = 0xea;
        memcpy(H.code + c->enc.n + 1, &stub, 4);
        memcpy(H.code + c->enc.n + 5, "\x33\0", 2);
        native_far32.offset = (uintptr_t)H.code;
        native_far32.selector = 0x23;
    }
    /* jmp *0(%rip) back to the trampoline */
    {
        uint8_t *p = c->mode32 ? H.code + 64 : H.code + c->enc.n;
        uint64_t back = (uintptr_t)native_return;
        memcpy(p, "\xff\x25\0\0\0\0", 6);
        memcpy(p + 6, &back, 8);
    }
    memcpy(H.data_init, H.data, DATA_SIZE);

    native_code = H.code;
    nat_sig = run_native(&nat, c->mode32);
    memcpy(H.data_native, H.data, DATA_SIZE);
    memcpy(H.data, H.data_init, DATA_SIZE);

    emu_excp = run_emu(&emu, end, 64, c->mode32);

    if (nat_sig || emu_excp >= 0) {
        /* Only #DE is expected; then the emulator must be precise: no
         * register or memory changed. */
        ok = nat_sig == SIGFPE && emu_excp == EXCP00_DIVZ &&
             !memcmp(emu.regs, init->regs, sizeof(emu.regs));
        if (nat_sig == SIGSEGV && c->mode32) {
            H.no_mode32 = true;   /* no IA-32 support in this kernel */
            return true;
        }
        if (!ok && H.failures < MAX_REPORTS) {
            dump_case(c, init, &nat, &emu, nat_sig, emu_excp);
        }
        return ok;
    }
    for (int i = 0; i < 16; i++) {
        uint64_t diff = nat.regs[i] ^ emu.regs[i];
        if (c->mode32) {
            /* upper halves are undefined after compatibility mode */
            diff = i < 8 ? (uint32_t)diff : 0;
        }
        if (!(c->regs_ignored & (1u << i)) && diff) {
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

/* ---- table-driven ModRM forms ----------------------------------------- */
#define OTS_ALL  0xf
#define OTS_V    0xe          /* 16, 32, 64 */
#define OTS_32_64 0xc
#define FL_NONE  0
#define FL_ALL   CC_ALL

typedef struct FormSpec FormSpec;
struct FormSpec {
    const char *name;
    int map;
    int opc8;                /* opcode of the byte form, -1 if none */
    int opcv;                /* opcode of the 16/32/64 forms, -1 if none */
    int digit;               /* ModRM.reg as /digit, or -1 for a register */
    int imm;                 /* 0: none, 1: imm8, 2: operand-sized (max 32) */
    int ots;                 /* operand sizes to try (bit per MO_*) */
    uint32_t flags;          /* defined flags to compare */
    bool no_mem, no_reg;
    /* adjust state/case after the random pick (count ranges, ...) */
    void (*fixup)(const FormSpec *f, DiffCase *c, HostState *s, int ot,
                  int reg, int rm, bool mem);
};

static void run_form(const FormSpec *f, int iterations)
{
    for (int ot = MO_8; ot <= MO_64; ot++) {
        if (!(f->ots & (1 << ot)) || (ot == MO_8 ? f->opc8 : f->opcv) < 0) {
            continue;
        }
        for (int mem = 0; mem < 2; mem++) {
            if ((mem && f->no_mem) || (!mem && f->no_reg)) {
                continue;
            }
            for (int it = 0; it < iterations; it++) {
                DiffCase c = { .name = f->name, .flags = f->flags, .mem = mem };
                HostState s;
                int reg, rm;
                int8_t disp = 0;

                rnd_state(&s);
                rnd_data();
                rnd_regs(ot, &reg, &rm);
                if (f->digit >= 0) {
                    reg = f->digit;
                }
                if (mem) {
                    rm = MEM_BASE;
                    disp = rnd_mem(&s);
                }
                enc_modrm(&c.enc, ot, f->map, ot == MO_8 ? f->opc8 : f->opcv,
                          reg, rm, mem, disp);
                if (f->imm == 1) {
                    put_imm(&c.enc, rnd_value(), 1);
                } else if (f->imm == 2) {
                    put_imm(&c.enc, rnd_value(), imm_bytes(ot));
                }
                if (f->fixup) {
                    f->fixup(f, &c, &s, ot, reg, rm, mem);
                }
                check(&c, &s);
            }
        }
    }
}

static void run_forms(const FormSpec *forms, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        run_form(&forms[i], ITERATIONS);
    }
    end_test();
}

static void test_unary(void **state)
{
    static const FormSpec forms[] = {
        { "inc", 0, 0xfe, 0xff, 0, 0, OTS_ALL, FL_ALL },
        { "dec", 0, 0xfe, 0xff, 1, 0, OTS_ALL, FL_ALL },
        { "not", 0, 0xf6, 0xf7, 2, 0, OTS_ALL, FL_ALL },
        { "neg", 0, 0xf6, 0xf7, 3, 0, OTS_ALL, FL_ALL },
        { "test E,G", 0, 0x84, 0x85, -1, 0, OTS_ALL, FL_ALL & ~CC_A },
        { "test E,imm", 0, 0xf6, 0xf7, 0, 2, OTS_ALL, FL_ALL & ~CC_A },
    };
    run_forms(forms, ARRAY_SIZE(forms));
}

/* MUL/IMUL leave SF, ZF, AF, PF undefined. */
#define FL_MUL (CC_C | CC_O)

static void test_muldiv(void **state)
{
    static const FormSpec forms[] = {
        { "mul", 0, 0xf6, 0xf7, 4, 0, OTS_ALL, FL_MUL },
        { "imul E", 0, 0xf6, 0xf7, 5, 0, OTS_ALL, FL_MUL },
        { "imul G,E", 1, -1, 0xaf, -1, 0, OTS_V, FL_MUL },
        { "imul G,E,imm", 0, -1, 0x69, -1, 2, OTS_V, FL_MUL },
        { "imul G,E,imm8", 0, -1, 0x6b, -1, 1, OTS_V, FL_MUL },
        { "div", 0, 0xf6, 0xf7, 6, 0, OTS_ALL, FL_NONE },
        { "idiv", 0, 0xf6, 0xf7, 7, 0, OTS_ALL, FL_NONE },
    };
    run_forms(forms, ARRAY_SIZE(forms));
}

/* Divides: make some dividends small enough not to fault. */
static void fix_div(const FormSpec *f, DiffCase *c, HostState *s, int ot,
                    int reg, int rm, bool mem)
{
    if (rnd() & 1) {
        s->regs[R_EDX] = (rnd() & 1) ? 0 : ~0ULL;
        if (ot == MO_8) {
            s->regs[R_EAX] = (s->regs[R_EAX] & ~0xff00ULL) |
                             ((rnd() & 1) ? 0 : 0xff00);
        }
    }
}

static void test_div_no_fault(void **state)
{
    static const FormSpec forms[] = {
        { "div", 0, 0xf6, 0xf7, 6, 0, OTS_ALL, FL_NONE, .fixup = fix_div },
        { "idiv", 0, 0xf6, 0xf7, 7, 0, OTS_ALL, FL_NONE, .fixup = fix_div },
    };
    run_forms(forms, ARRAY_SIZE(forms));
}

/* Keep register bit offsets of memory BT forms inside the buffer. */
static void fix_bt(const FormSpec *f, DiffCase *c, HostState *s, int ot,
                   int reg, int rm, bool mem)
{
    if (mem && reg != MEM_BASE) {
        int64_t off = (int64_t)(rnd() % 4096) - 2048;
        s->regs[reg] = (uint64_t)off;
    } else if (mem) {
        /* the offset register is the base: choose a different base */
        c->enc.n = 0;
        enc_modrm(&c->enc, ot, f->map, f->opcv, R_EDX, MEM_BASE, true, 0);
        s->regs[R_EDX] = (uint64_t)((int64_t)(rnd() % 4096) - 2048);
    }
}

/* BSF/BSR: the destination is undefined for a zero source. */
static void fix_bsf(const FormSpec *f, DiffCase *c, HostState *s, int ot,
                    int reg, int rm, bool mem)
{
    uint64_t src;
    if (mem) {
        memcpy(&src, H.data + (s->regs[MEM_BASE] - (uintptr_t)H.data) +
               (int8_t)c->enc.b[c->enc.n - 1], 8);
    } else {
        src = s->regs[rm];
    }
    if (!(src & (ot == MO_16 ? 0xffff : ot == MO_32 ? 0xffffffff : ~0ULL))) {
        c->regs_ignored |= 1u << reg;
    }
}

static void test_bitops(void **state)
{
    static const FormSpec forms[] = {
        { "bt E,G", 1, -1, 0xa3, -1, 0, OTS_V, CC_C, .fixup = fix_bt },
        { "bts E,G", 1, -1, 0xab, -1, 0, OTS_V, CC_C, .fixup = fix_bt },
        { "btr E,G", 1, -1, 0xb3, -1, 0, OTS_V, CC_C, .fixup = fix_bt },
        { "btc E,G", 1, -1, 0xbb, -1, 0, OTS_V, CC_C, .fixup = fix_bt },
        { "bt E,imm", 1, -1, 0xba, 4, 1, OTS_V, CC_C },
        { "bts E,imm", 1, -1, 0xba, 5, 1, OTS_V, CC_C },
        { "btr E,imm", 1, -1, 0xba, 6, 1, OTS_V, CC_C },
        { "btc E,imm", 1, -1, 0xba, 7, 1, OTS_V, CC_C },
        { "bsf", 1, -1, 0xbc, -1, 0, OTS_V, CC_Z, .fixup = fix_bsf },
        { "bsr", 1, -1, 0xbd, -1, 0, OTS_V, CC_Z, .fixup = fix_bsf },
    };
    run_forms(forms, ARRAY_SIZE(forms));
}

static void test_popcnt(void **state)
{
    static const FormSpec forms[] = {
        { "popcnt", 1, -1, 0xb8, -1, 0, OTS_V, FL_ALL },
    };
    /* F3 0F B8: the mandatory prefix goes before REX */
    for (int ot = MO_16; ot <= MO_64; ot++) {
        for (int it = 0; it < ITERATIONS; it++) {
            DiffCase c = { .name = forms[0].name, .flags = FL_ALL };
            HostState s;
            int reg = rnd_reg(), rm = rnd_reg();
            bool mem = it & 1;
            int8_t disp = 0;

            rnd_state(&s);
            rnd_data();
            if (mem) {
                rm = MEM_BASE;
                disp = rnd_mem(&s);
                c.mem = true;
            }
            put(&c.enc, 0xf3);
            enc_modrm(&c.enc, ot, 1, 0xb8, reg, rm, mem, disp);
            if (ot == MO_16) {   /* 66 must precede F3? either order works */
                c.enc.b[0] = 0x66;
                c.enc.b[1] = 0xf3;
            }
            check(&c, &s);
        }
    }
    end_test();
}

/* SHLD/SHRD: counts above the operand size are undefined for 16 bits. */
static void fix_shxd(const FormSpec *f, DiffCase *c, HostState *s, int ot,
                     int reg, int rm, bool mem)
{
    unsigned count = rnd() % (ot == MO_16 ? 17 : 70);
    unsigned masked = count & (ot == MO_64 ? 63 : 31);
    bool cl = (f->opcv & 1);

    if (cl) {
        if (reg == R_ECX || (!mem && rm == R_ECX)) {
            c->enc.n = 0;   /* re-encode without RCX as an operand */
            enc_modrm(&c->enc, ot, 1, f->opcv, R_EDX, mem ? MEM_BASE : R_ESI, mem,
                      mem ? (int8_t)c->enc.b[0] : 0);
        }
        s->regs[R_ECX] = (s->regs[R_ECX] & ~0xffULL) | count;
    } else {
        c->enc.b[c->enc.n - 1] = count;
    }
    c->flags = masked == 0 ? CC_ALL : masked == 1 ? CC_ALL & ~CC_A
                                                 : CC_ALL & ~(CC_A | CC_O);
}

static void test_shxd(void **state)
{
    static const FormSpec forms[] = {
        { "shld imm", 1, -1, 0xa4, -1, 1, OTS_V, 0, .fixup = fix_shxd },
        { "shld cl", 1, -1, 0xa5, -1, 0, OTS_V, 0, .fixup = fix_shxd },
        { "shrd imm", 1, -1, 0xac, -1, 1, OTS_V, 0, .fixup = fix_shxd },
        { "shrd cl", 1, -1, 0xad, -1, 0, OTS_V, 0, .fixup = fix_shxd },
    };
    run_forms(forms, ARRAY_SIZE(forms));
}

static void test_moves(void **state)
{
    static const FormSpec forms[] = {
        { "mov E,G", 0, 0x88, 0x89, -1, 0, OTS_ALL, FL_ALL },
        { "mov G,E", 0, 0x8a, 0x8b, -1, 0, OTS_ALL, FL_ALL },
        { "mov E,imm", 0, 0xc6, 0xc7, 0, 2, OTS_ALL, FL_ALL },
        { "movzx b", 1, -1, 0xb6, -1, 0, OTS_V, FL_ALL },
        { "movzx w", 1, -1, 0xb7, -1, 0, OTS_V, FL_ALL },
        { "movsx b", 1, -1, 0xbe, -1, 0, OTS_V, FL_ALL },
        { "movsx w", 1, -1, 0xbf, -1, 0, OTS_V, FL_ALL },
        { "movsxd", 0, -1, 0x63, -1, 0, OTS_32_64, FL_ALL },
        { "lea", 0, -1, 0x8d, -1, 0, OTS_V, FL_ALL, .no_reg = true },
        { "xchg", 0, 0x86, 0x87, -1, 0, OTS_ALL, FL_ALL },
        { "xadd", 1, 0xc0, 0xc1, -1, 0, OTS_ALL, FL_ALL },
        { "cmpxchg", 1, 0xb0, 0xb1, -1, 0, OTS_ALL, FL_ALL },
        { "mov E,Sreg", 0, -1, 0x8c, 3, 0, OTS_V, FL_ALL },
    };
    run_forms(forms, ARRAY_SIZE(forms));
}

/* CMPXCHG with equal operands half the time, so both paths run. */
static void fix_cmpxchg_equal(const FormSpec *f, DiffCase *c, HostState *s,
                              int ot, int reg, int rm, bool mem)
{
    if (rnd() & 1) {
        if (mem) {
            memcpy(&s->regs[R_EAX], H.data + (s->regs[MEM_BASE] - (uintptr_t)H.data) +
                   (int8_t)c->enc.b[c->enc.n - 1], 8);
        } else {
            s->regs[R_EAX] = s->regs[rm];
        }
    }
}

static void test_cmpxchg_equal(void **state)
{
    static const FormSpec forms[] = {
        { "cmpxchg", 1, -1, 0xb1, -1, 0, OTS_V, FL_ALL, .fixup = fix_cmpxchg_equal },
    };
    run_forms(forms, ARRAY_SIZE(forms));
}

/* CMOVcc and SETcc for all 16 conditions under random flags. */
static void test_conditions(void **state)
{
    for (int cc = 0; cc < 16; cc++) {
        FormSpec cmov = { "cmovcc", 1, -1, 0x40 + cc, -1, 0, OTS_V, FL_ALL };
        FormSpec setcc = { "setcc", 1, 0x90 + cc, -1, 0, 0, 1, FL_ALL };
        run_form(&cmov, ITERATIONS / 4);
        run_form(&setcc, ITERATIONS / 4);
    }
    /* Jcc rel8 / rel32 over an INC ECX: ECX tells whether it was taken. */
    for (int cc = 0; cc < 16; cc++) {
        for (int it = 0; it < ITERATIONS / 4; it++) {
            DiffCase c = { .name = "jcc", .flags = FL_ALL };
            HostState s;
            rnd_state(&s);
            if (it & 1) {
                put(&c.enc, 0x70 + cc);
                put(&c.enc, 2);
            } else {
                put(&c.enc, 0x0f);
                put(&c.enc, 0x80 + cc);
                put_imm(&c.enc, 2, 4);
            }
            put(&c.enc, 0xff);
            put(&c.enc, 0xc1);
            check(&c, &s);
        }
    }
    end_test();
}

/* LOOP/LOOPE/LOOPNE/JCXZ, with 32- and 64-bit counters. */
static void test_loops(void **state)
{
    for (int op = 0; op < 4; op++) {
        for (int it = 0; it < ITERATIONS; it++) {
            DiffCase c = { .name = "loop", .flags = FL_ALL };
            HostState s;
            rnd_state(&s);
            if (rnd() & 1) {
                s.regs[R_ECX] = rnd() % 3;
                if (rnd() & 1) {
                    s.regs[R_ECX] |= 0x100000000ULL;
                }
            }
            if (it & 1) {
                put(&c.enc, 0x67);
            }
            put(&c.enc, 0xe0 + op);
            put(&c.enc, 2);
            put(&c.enc, 0xff);
            put(&c.enc, 0xc0);   /* inc eax: marks "not taken" */
            check(&c, &s);
        }
    }
    end_test();
}

/* Operand-less instructions. */
static void test_misc(void **state)
{
    static const struct { const char *name; uint8_t b[3]; int n; uint32_t flags; } ops[] = {
        { "cbw", { 0x66, 0x98 }, 2, FL_ALL },
        { "cwde", { 0x98 }, 1, FL_ALL },
        { "cdqe", { 0x48, 0x98 }, 2, FL_ALL },
        { "cwd", { 0x66, 0x99 }, 2, FL_ALL },
        { "cdq", { 0x99 }, 1, FL_ALL },
        { "cqo", { 0x48, 0x99 }, 2, FL_ALL },
        { "lahf", { 0x9f }, 1, FL_ALL },
        { "sahf", { 0x9e }, 1, FL_ALL },
        { "clc", { 0xf8 }, 1, FL_ALL },
        { "stc", { 0xf9 }, 1, FL_ALL },
        { "cmc", { 0xf5 }, 1, FL_ALL },
        { "cld", { 0xfc }, 1, FL_ALL },
        { "std", { 0xfd }, 1, FL_ALL },
        { "nop", { 0x90 }, 1, FL_ALL },
        { "pause", { 0xf3, 0x90 }, 2, FL_ALL },
        { "nopw", { 0x66, 0x0f, 0x1f }, 3, FL_ALL },
        { "xchg r8,rax", { 0x49, 0x90 }, 2, FL_ALL },
        { "xchg eax,ecx", { 0x91 }, 1, FL_ALL },
        { "bswap ecx", { 0x0f, 0xc9 }, 2, FL_ALL },
        { "bswap r9", { 0x49, 0x0f, 0xc9 }, 3, FL_ALL },
        { "mov r10b,imm", { 0x41, 0xb2 }, 2, FL_ALL },
        { "mov ah,imm", { 0xb4 }, 1, FL_ALL },
        { "mov r11,imm64", { 0x49, 0xbb }, 2, FL_ALL },
        { "mov edi,imm32", { 0xbf }, 1, FL_ALL },
    };
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
        for (int it = 0; it < ITERATIONS; it++) {
            DiffCase c = { .name = ops[i].name, .flags = ops[i].flags };
            HostState s;
            rnd_state(&s);
            memcpy(c.enc.b, ops[i].b, ops[i].n);
            c.enc.n = ops[i].n;
            if (!strcmp(ops[i].name, "nopw")) {
                put(&c.enc, 0x44);   /* modrm: [rax+rax*1+disp8] via SIB */
                put(&c.enc, 0x00);
                put(&c.enc, 0x00);
            } else if (!strncmp(ops[i].name, "mov", 3)) {
                put_imm(&c.enc, rnd_value(), strstr(ops[i].name, "64") ? 8 :
                        strstr(ops[i].name, "32") ? 4 : 1);
            }
            check(&c, &s);
        }
    }
    end_test();
}

/* ---- stack, calls and returns on the private stack ------------------ */
enum {
    ST_PUSH_R, ST_POP_R, ST_PUSH_I8, ST_PUSH_I32, ST_PUSH_I16, ST_PUSH_M,
    ST_PUSH_M_RSP, ST_POP_M, ST_POP_M_RSP, ST_PUSHF, ST_POPF, ST_CALL_REL,
    ST_CALL_R, ST_CALL_M, ST_JMP_R, ST_RET, ST_RET_I, ST_ENTER, ST_LEAVE,
    ST_MOV_RSP, ST_LEA_RSP, ST_XLAT, ST_CMPXCHG8B, ST_CMPXCHG16B, ST_COUNT
};

static const char *const stack_names[ST_COUNT] = {
    "push r", "pop r", "push imm8", "push imm32", "push imm16", "push m",
    "push [rsp]", "pop m", "pop [rsp]", "pushf", "popf", "call rel", "call r",
    "call m", "jmp r", "ret", "ret imm", "enter", "leave", "mov [rsp]",
    "lea rsp", "xlat", "cmpxchg8b", "cmpxchg16b",
};

static uint64_t *stack_slot(HostState *s, int64_t off)
{
    return (uint64_t *)(uintptr_t)(s->regs[R_ESP] + off);
}

static void build_stack_case(int kind, DiffCase *c, HostState *s)
{
    Enc *e = &c->enc;
    bool o16 = rnd() % 4 == 0;
    int r = rnd() & 15;
    uint64_t end;

    switch (kind) {
    case ST_PUSH_R:
    case ST_POP_R:
        if (o16) {
            put(e, 0x66);
        }
        if (r & 8) {
            put(e, 0x41);
        }
        put(e, (kind == ST_PUSH_R ? 0x50 : 0x58) + (r & 7));
        break;
    case ST_PUSH_I8:
        if (o16) {
            put(e, 0x66);
        }
        put(e, 0x6a);
        put(e, rnd());
        break;
    case ST_PUSH_I32:
        put(e, 0x68);
        put_imm(e, rnd_value(), 4);
        break;
    case ST_PUSH_I16:
        put(e, 0x66);
        put(e, 0x68);
        put_imm(e, rnd_value(), 2);
        break;
    case ST_PUSH_M:
    case ST_POP_M:
        enc_modrm(e, o16 ? MO_16 : MO_32, 0, kind == ST_PUSH_M ? 0xff : 0x8f,
                  kind == ST_PUSH_M ? 6 : 0, MEM_BASE, true, rnd_mem(s));
        break;
    case ST_PUSH_M_RSP:
    case ST_POP_M_RSP:
        if (o16) {
            put(e, 0x66);
        }
        put(e, kind == ST_PUSH_M_RSP ? 0xff : 0x8f);
        put(e, kind == ST_PUSH_M_RSP ? 0x74 : 0x44);   /* [rsp + disp8] */
        put(e, 0x24);
        put(e, (rnd() % 16) * 8 - 64);
        break;
    case ST_PUSHF:
        if (o16) {
            put(e, 0x66);
        }
        put(e, 0x9c);
        break;
    case ST_POPF:
        if (o16) {
            put(e, 0x66);
        }
        put(e, 0x9d);
        /* no TF/AC/NT/ID: they would change how the host runs */
        *stack_slot(s, 0) = (rnd() & (CC_ALL | DF_MASK | IF_MASK | IOPL_MASK)) | 2;
        break;
    case ST_CALL_REL:
        put(e, 0xe8);
        put_imm(e, 0, 4);
        break;
    case ST_CALL_R:
    case ST_JMP_R:
        if (r == R_ESP) {
            r = R_EAX;
        }
        if (r & 8) {
            put(e, 0x41);
        }
        put(e, 0xff);
        put(e, (kind == ST_CALL_R ? 0xd0 : 0xe0) | (r & 7));
        break;
    case ST_CALL_M:
        enc_modrm(e, MO_32, 0, 0xff, 2, MEM_BASE, true, rnd_mem(s));
        break;
    case ST_RET:
        put(e, 0xc3);
        break;
    case ST_RET_I:
        put(e, 0xc2);
        put_imm(e, rnd() % 64, 2);
        break;
    case ST_ENTER:
        if (o16) {
            put(e, 0x66);
        }
        put(e, 0xc8);
        put_imm(e, rnd() % 300, 2);
        put(e, rnd() % 5);
        s->regs[R_EBP] = s->regs[R_ESP] + 8 * (rnd() % 64);
        break;
    case ST_LEAVE:
        if (o16) {
            put(e, 0x66);
        }
        put(e, 0xc9);
        s->regs[R_EBP] = s->regs[R_ESP] + 8 * (rnd() % 64);
        break;
    case ST_MOV_RSP:
        put(e, 0x48);
        put(e, rnd() & 1 ? 0x8b : 0x89);
        put(e, 0x44 | ((r & 7) << 3));
        put(e, 0x24);
        put(e, (rnd() % 32) * 4 - 64);
        break;
    case ST_LEA_RSP:
        put(e, 0x48);
        put(e, 0x8d);
        put(e, 0x64);                 /* lea rsp, [rsp + disp8] */
        put(e, 0x24);
        put(e, (rnd() % 32) * 8 - 128);
        break;
    case ST_XLAT:
        if (rnd() & 1) {
            put(e, 0x48);
        }
        put(e, 0xd7);
        s->regs[R_EBX] = (uintptr_t)H.data + rnd() % (DATA_SIZE - 256);
        break;
    case ST_CMPXCHG8B:
    case ST_CMPXCHG16B: {
        int8_t disp = rnd_mem(s);
        uint64_t *p;
        if (kind == ST_CMPXCHG16B) {
            disp &= ~15;
            s->regs[MEM_BASE] &= ~15ULL;
        }
        enc_modrm(e, kind == ST_CMPXCHG16B ? MO_64 : MO_32, 1, 0xc7, 1,
                  MEM_BASE, true, disp);
        p = (uint64_t *)(uintptr_t)(s->regs[MEM_BASE] + disp);
        if (rnd() & 1) {   /* equal half the time */
            if (kind == ST_CMPXCHG16B) {
                s->regs[R_EAX] = p[0];
                s->regs[R_EDX] = p[1];
            } else {
                s->regs[R_EAX] = (uint32_t)p[0] | (rnd() << 32);
                s->regs[R_EDX] = (p[0] >> 32) | (rnd() << 32);
            }
        }
        break;
    }
    }

    /* Control transfers go to the end of the code: the way back. */
    end = (uintptr_t)H.code + e->n;
    switch (kind) {
    case ST_CALL_R:
    case ST_JMP_R:
        s->regs[r] = end;
        break;
    case ST_CALL_M: {
        int8_t disp = (int8_t)e->b[e->n - 1];
        memcpy((void *)(uintptr_t)(s->regs[MEM_BASE] + disp), &end, 8);
        break;
    }
    case ST_RET:
    case ST_RET_I:
        *stack_slot(s, 0) = end;
        break;
    }
}

static void test_stack(void **state)
{
    for (int kind = 0; kind < ST_COUNT; kind++) {
        for (int it = 0; it < ITERATIONS; it++) {
            DiffCase c = { .name = stack_names[kind], .flags = FL_ALL, .mem = true };
            HostState s;
            rnd_state(&s);
            rnd_data();
            build_stack_case(kind, &c, &s);
            check(&c, &s);
        }
    }
    end_test();
}

/* ---- 32-bit code (compatibility mode on the host) -------------------- */
static int rnd_reg8(void)
{
    int r;
    do {
        r = rnd() & 7;
    } while (r == R_ESP);
    return r;
}

static void run32(DiffCase *c, HostState *s)
{
    c->mode32 = true;
    c->mem = true;
    check(c, s);
}

static void test_mode32(void **state)
{
    static const struct { const char *name; uint8_t opc; uint32_t flags; } bcd[] = {
        { "daa", 0x27, CC_ALL & ~CC_O },
        { "das", 0x2f, CC_ALL & ~CC_O },
        { "aaa", 0x37, CC_A | CC_C },
        { "aas", 0x3f, CC_A | CC_C },
        { "aam", 0xd4, CC_S | CC_Z | CC_P },
        { "aad", 0xd5, CC_S | CC_Z | CC_P },
    };
    HostState s;

    for (size_t i = 0; i < ARRAY_SIZE(bcd); i++) {
        for (int it = 0; it < ITERATIONS; it++) {
            DiffCase c = { .name = bcd[i].name, .flags = bcd[i].flags };
            rnd_state(&s);
            put(&c.enc, bcd[i].opc);
            if (bcd[i].opc >= 0xd4) {
                put(&c.enc, it % 50 == 0 ? 0 : it & 1 ? 10 : rnd());
            }
            run32(&c, &s);
        }
    }

    /* ALU, shifts and INC/DEC (40-4F) through the legacy decoder paths */
    for (int op = 0; op < 8; op++) {
        for (int ot = MO_8; ot <= MO_32; ot++) {
            for (int it = 0; it < ITERATIONS / 4; it++) {
                DiffCase c = { .name = alu_names[op], .flags = alu_flags(op) };
                bool mem = it & 1;
                int reg = ot == MO_8 ? (int)(rnd() & 7) : rnd_reg8();
                int rm = ot == MO_8 ? (int)(rnd() & 7) : rnd_reg8();
                int8_t disp = 0;
                rnd_state(&s);
                rnd_data();
                if (mem) {
                    rm = MEM_BASE;
                    disp = rnd_mem(&s);
                }
                enc_modrm(&c.enc, ot, 0, op * 8 + (ot != MO_8) + 2 * (it & 2 ? 1 : 0),
                          reg, rm, mem, disp);
                run32(&c, &s);

                DiffCase sh = { .name = shift_names[op] };
                unsigned count = rnd() % 40;
                rnd_state(&s);
                s.regs[R_ECX] = count;
                if (rm == R_ECX) {
                    rm = R_EDX;
                }
                enc_modrm(&sh.enc, ot, 0, ot == MO_8 ? 0xd2 : 0xd3, op, rm, false, 0);
                sh.flags = shift_flags(op, ot, count);
                run32(&sh, &s);
            }
        }
    }
    for (int it = 0; it < ITERATIONS; it++) {
        DiffCase c = { .name = "inc/dec r", .flags = CC_ALL };
        rnd_state(&s);
        if (it & 1) {
            put(&c.enc, 0x66);
        }
        put(&c.enc, 0x40 + (rnd() & 15));
        run32(&c, &s);
    }

    /* stack: PUSHA/POPA, PUSH/POP with 16- and 32-bit operands */
    static const uint8_t stack_ops[][2] = {
        { 0x60 }, { 0x61 }, { 0x66, 0x60 }, { 0x66, 0x61 }, { 0x50 }, { 0x5b },
        { 0x66, 0x53 }, { 0x66, 0x5d }, { 0x6a }, { 0x9c }, { 0xc9 }, { 0x66, 0xc9 },
    };
    for (size_t i = 0; i < ARRAY_SIZE(stack_ops); i++) {
        for (int it = 0; it < ITERATIONS / 4; it++) {
            DiffCase c = { .name = "stack32", .flags = CC_ALL };
            rnd_state(&s);
            rnd_data();
            s.regs[R_EBP] = s.regs[R_ESP] + 4 * (rnd() % 64);
            put(&c.enc, stack_ops[i][0]);
            if (stack_ops[i][1]) {
                put(&c.enc, stack_ops[i][1]);
            }
            if (stack_ops[i][0] == 0x6a) {
                put(&c.enc, rnd());
            }
            run32(&c, &s);
        }
    }

    /* LOOP/JCXZ with CX (67) and ECX counters */
    for (int it = 0; it < ITERATIONS; it++) {
        DiffCase c = { .name = "loop32", .flags = CC_ALL };
        rnd_state(&s);
        s.regs[R_ECX] = rnd() & 1 ? rnd() % 3 : (rnd() % 3) | 0x10000;
        if (it & 1) {
            put(&c.enc, 0x67);
        }
        put(&c.enc, 0xe0 + (rnd() & 3));
        put(&c.enc, 1);
        put(&c.enc, 0x40);   /* inc eax when not taken */
        run32(&c, &s);
    }
    end_test();
}

/* ---- string instructions -------------------------------------------- */
static void test_strings(void **state)
{
    static const struct { const char *name; uint8_t opc; bool cmp; } ops[] = {
        { "movs", 0xa4, false }, { "stos", 0xaa, false }, { "lods", 0xac, false },
        { "cmps", 0xa6, true }, { "scas", 0xae, true },
    };
    for (size_t i = 0; i < ARRAY_SIZE(ops); i++) {
        for (int ot = MO_8; ot <= MO_64; ot++) {
            for (int it = 0; it < ITERATIONS; it++) {
                DiffCase c = { .name = ops[i].name, .flags = FL_ALL, .mem = true };
                HostState s;
                int rep = it % 3;           /* none, F3, F2 */
                bool addr32 = (it / 3) & 1;
                uint64_t base = (uintptr_t)H.data + DATA_SIZE / 2;

                if (rep == 2 && !ops[i].cmp) {
                    rep = 1;
                }
                rnd_state(&s);
                /* Mostly-equal data so REPE/REPNE run for a while. */
                memset(H.data, rnd() & 1 ? 0 : 0x5a, DATA_SIZE);
                for (int k = rnd() % 4; k > 0; k--) {
                    H.data[DATA_SIZE / 2 - 400 + rnd() % 800] = rnd();
                }
                if (ops[i].cmp && (rnd() & 1)) {
                    rnd_data();
                }
                s.regs[R_ESI] = base - 256 + rnd() % 512;
                s.regs[R_EDI] = base - 256 + rnd() % 512;
                s.regs[R_ECX] = rnd() % 41;
                if (rnd() & 1) {
                    s.regs[R_EAX] = 0x5a5a5a5a5a5a5a5aULL;
                }
                if (addr32) {
                    /* 32-bit addressing ignores (and clears) the upper halves */
                    s.regs[R_ESI] |= rnd() << 32;
                    s.regs[R_EDI] |= rnd() << 32;
                    s.regs[R_ECX] |= rnd() << 32;
                    put(&c.enc, 0x67);
                }
                if (rep) {
                    put(&c.enc, rep == 1 ? 0xf3 : 0xf2);
                }
                enc_plain(&c.enc, ot, ops[i].opc + (ot != MO_8));
                check(&c, &s);
            }
        }
    }
    end_test();
}

/* ---- prefix combinations --------------------------------------------- */
/*
 * Random legacy prefixes (66, 67, ignored segment overrides, F2/F3 where
 * they mean nothing) and REX bytes, including a REX that a later legacy
 * prefix cancels, in front of ModRM instructions.  The host decides what
 * they mean; the decoder must agree on length, operand size and
 * registers.
 */
typedef struct SoupOp {
    int map;
    uint8_t opc;
    int digit;        /* /digit, or -1 */
    int imm;          /* 0 none, 1 imm8, 2 operand-sized (max 32 bits) */
    int kind;         /* 0 plain, 1 shift by imm, 2 shift by 1, 3 shift by CL, 4 mul */
    uint32_t flags;
    bool no_reg;
    bool byte;        /* byte operand size */
} SoupOp;

static const SoupOp soup_ops[] = {
    { 0, 0x00, -1, 0, 0, CC_ALL, .byte = true }, { 0, 0x01, -1, 0, 0, CC_ALL },
    { 0, 0x03, -1, 0, 0, CC_ALL }, { 0, 0x11, -1, 0, 0, CC_ALL },
    { 0, 0x19, -1, 0, 0, CC_ALL }, { 0, 0x21, -1, 0, 0, CC_ALL & ~CC_A },
    { 0, 0x2b, -1, 0, 0, CC_ALL }, { 0, 0x31, -1, 0, 0, CC_ALL & ~CC_A },
    { 0, 0x39, -1, 0, 0, CC_ALL }, { 0, 0x80, 0, 1, 0, CC_ALL, .byte = true },
    { 0, 0x81, 5, 2, 0, CC_ALL }, { 0, 0x83, 7, 1, 0, CC_ALL },
    { 0, 0x85, -1, 0, 0, CC_ALL & ~CC_A }, { 0, 0x87, -1, 0, 0, CC_ALL },
    { 0, 0x88, -1, 0, 0, CC_ALL, .byte = true }, { 0, 0x8b, -1, 0, 0, CC_ALL },
    { 0, 0x8d, -1, 0, 0, CC_ALL, true }, { 0, 0xc7, 0, 2, 0, CC_ALL },
    { 0, 0xc1, 4, 1, 1, 0 }, { 0, 0xc1, 7, 1, 1, 0 }, { 0, 0xd1, 0, 0, 2, 0 },
    { 0, 0xd3, 3, 0, 3, 0 }, { 0, 0xd3, 5, 0, 3, 0 },
    { 0, 0xf7, 0, 2, 0, CC_ALL & ~CC_A }, { 0, 0xf7, 3, 0, 0, CC_ALL },
    { 0, 0xf7, 5, 0, 4, CC_C | CC_O }, { 0, 0xf7, 6, 0, 0, 0 },
    { 0, 0xff, 0, 0, 0, CC_ALL }, { 0, 0xfe, 1, 0, 0, CC_ALL, .byte = true },
    { 1, 0xaf, -1, 0, 4, CC_C | CC_O }, { 1, 0xb6, -1, 0, 0, CC_ALL },
    { 1, 0xbf, -1, 0, 0, CC_ALL }, { 1, 0x44, -1, 0, 0, CC_ALL },
    { 1, 0x9f, 0, 0, 0, CC_ALL, .byte = true }, { 1, 0xc1, -1, 0, 0, CC_ALL },
    { 1, 0xb1, -1, 0, 0, CC_ALL }, { 1, 0xa4, -1, 1, 5, 0 },
};

static void test_prefixes(void **state)
{
    static const uint8_t legacy[] = { 0x66, 0x67, 0x2e, 0x3e, 0x26, 0x36, 0xf2, 0xf3 };

    for (int it = 0; it < ITERATIONS * 20; it++) {
        const SoupOp *op = &soup_ops[rnd() % ARRAY_SIZE(soup_ops)];
        DiffCase c = { .name = "prefixes", .flags = op->flags, .mem = true };
        HostState s;
        bool o16 = false, rex_w = false, byte_op;
        int rex = 0, npfx = rnd() % 5, ot;
        bool mem = op->no_reg || (rnd() & 1);
        unsigned count = 0;

        rnd_state(&s);
        rnd_data();
        for (int i = 0; i < npfx; i++) {
            uint8_t p = legacy[rnd() % ARRAY_SIZE(legacy)];
            if ((p == 0xf2 || p == 0xf3) && op->map == 1) {
                p = 0x3e;   /* F2/F3 turn 0F opcodes into other instructions */
            }
            if (rnd() % 4 == 0) {
                put(&c.enc, 0x40 | (rnd() & 15));   /* a REX that p cancels */
            }
            put(&c.enc, p);
            o16 |= p == 0x66;
        }
        if (rnd() & 1) {
            rex = 0x40 | (rnd() & 15);
            put(&c.enc, rex);
            rex_w = rex & 8;
        }
        byte_op = op->byte;
        ot = byte_op ? MO_8 : rex_w ? MO_64 : o16 ? MO_16 : MO_32;
        if (op->map) {
            put(&c.enc, 0x0f);
        }
        put(&c.enc, op->opc);
        {
            int reg = op->digit >= 0 ? op->digit : (int)(rnd() & 7);
            int rm = mem ? MEM_BASE : (int)(rnd() & 7);
            if (!mem && (rm == R_ESP) && !(rex & 1)) {
                rm = R_EDX;   /* keep RSP (or SPL) out of register forms */
            }
            if (op->digit < 0 && reg == R_ESP && (!byte_op || rex) && !(rex & 4)) {
                reg = R_ESI;
            }
            if (op->kind == 3 && rm == R_ECX && !(rex & 1)) {
                rm = R_EDX;
            }
            if (op->kind == 5 && reg == R_ECX && !(rex & 4)) {
                reg = R_EDX;
            }
            if (mem) {
                int8_t disp = rnd_mem(&s);
                /* REX.B turns the base into R11 */
                s.regs[R_R11] = s.regs[MEM_BASE];
                put(&c.enc, 0x40 | (reg << 3) | MEM_BASE);
                put(&c.enc, disp);
            } else {
                put(&c.enc, 0xc0 | (reg << 3) | rm);
            }
        }
        if (op->imm == 1) {
            count = rnd() & 0xff;
            put(&c.enc, count);
        } else if (op->imm == 2) {
            put_imm(&c.enc, rnd_value(), imm_bytes(ot));
        }
        switch (op->kind) {
        case 1: c.flags = shift_flags(op->digit, ot, count); break;
        case 2: c.flags = shift_flags(op->digit, ot, 1); break;
        case 3:
            count = rnd() % 70;
            s.regs[R_ECX] = count;
            c.flags = shift_flags(op->digit, ot, count);
            break;
        case 5:   /* SHLD imm: keep 16-bit counts defined */
            if (ot == MO_16) {
                count %= 17;
                c.enc.b[c.enc.n - 1] = count;
            }
            count &= ot == MO_64 ? 63 : 31;
            c.flags = count == 0 ? CC_ALL : count == 1 ? CC_ALL & ~CC_A
                                                      : CC_ALL & ~(CC_A | CC_O);
            break;
        }
        check(&c, &s);
    }
    end_test();
}

/* ---- addressing modes: SIB, scales, RIP-relative, addr32 ------------ */
static void test_addressing(void **state)
{
    for (int it = 0; it < ITERATIONS * 4; it++) {
        DiffCase c = { .name = "addressing", .flags = FL_ALL, .mem = true };
        HostState s;
        int dst = rnd_reg();
        int mod = rnd() % 3, base, index, scale = rnd() & 3;
        bool addr32 = rnd() & 1;
        bool lea = rnd() & 1;
        uint64_t target = (uintptr_t)H.data + 512 + rnd() % (DATA_SIZE - 1024);
        int32_t disp = mod == 1 ? (int8_t)rnd() : mod == 2 ? (int32_t)(rnd() % 2000) - 1000 : 0;
        int rex = 0x48;

        rnd_state(&s);
        rnd_data();
        do {
            base = rnd() & 15;
            index = rnd() & 15;
        } while (base == R_ESP || index == R_ESP || base == dst || index == dst ||
                 base == index);
        if (rnd() % 8 == 0) {   /* RIP-relative: point into the code page */
            if (addr32) {
                put(&c.enc, 0x67);
            }
            put(&c.enc, 0x48 | ((dst & 8) >> 1));
            put(&c.enc, lea ? 0x8d : 0x8b);
            put(&c.enc, ((dst & 7) << 3) | 5);
            put_imm(&c.enc, (uint32_t)(int32_t)(rnd() % 64) - 32, 4);
            if (!lea) {
                c.enc.b[c.enc.n - 4] = 0;   /* load from our own bytes */
                c.enc.b[c.enc.n - 3] = 0;
                c.enc.b[c.enc.n - 2] = 0;
                c.enc.b[c.enc.n - 1] = 0;
            }
            check(&c, &s);
            continue;
        }
        /* base + index * scale + disp == target */
        s.regs[index] = (uint64_t)(int64_t)((int)(rnd() % 64) - 32);
        s.regs[base] = target - (s.regs[index] << scale) - disp;
        if (addr32) {
            s.regs[base] = (uint32_t)s.regs[base] | (rnd() << 32);
            s.regs[index] = (uint32_t)s.regs[index];
            s.regs[base] = (uint32_t)(target - ((uint32_t)s.regs[index] << scale) - disp) |
                           (rnd() << 32);
            put(&c.enc, 0x67);
        }
        if (mod == 0 && (base & 7) == R_EBP) {
            mod = 1;   /* [rbp/r13] needs a displacement */
            disp = 0;
            s.regs[base] = target - (s.regs[index] << scale);
            if (addr32) {
                s.regs[base] = (uint32_t)(target - ((uint32_t)s.regs[index] << scale)) |
                               (rnd() << 32);
            }
        }
        rex |= ((dst & 8) >> 1) | ((index & 8) >> 2) | ((base & 8) >> 3);
        put(&c.enc, rex);
        put(&c.enc, lea ? 0x8d : 0x8b);
        put(&c.enc, (mod << 6) | ((dst & 7) << 3) | 4);
        put(&c.enc, (scale << 6) | ((index & 7) << 3) | (base & 7));
        if (mod == 1) {
            put(&c.enc, disp);
        } else if (mod == 2) {
            put_imm(&c.enc, (uint32_t)disp, 4);
        }
        check(&c, &s);
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
        assert_true(r == EXCP_INTERRUPT || r == EXCP_HLT || (r >= 0 && r < 256));
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

/* Can this host run 32-bit user code?  Not with kernels lacking IA-32
 * emulation, nor in sandboxes without the 32-bit user code segment. */
static bool host_has_mode32(void)
{
    DiffCase probe = { .name = "probe" };
    HostState s;

    rnd_state(&s);
    put(&probe.enc, 0x90);
    run32(&probe, &s);
    H.failures = 0;
    return !H.no_mode32;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alu),
        cmocka_unit_test(test_shift),
        cmocka_unit_test(test_unary),
        cmocka_unit_test(test_muldiv),
        cmocka_unit_test(test_div_no_fault),
        cmocka_unit_test(test_bitops),
        cmocka_unit_test(test_popcnt),
        cmocka_unit_test(test_shxd),
        cmocka_unit_test(test_moves),
        cmocka_unit_test(test_cmpxchg_equal),
        cmocka_unit_test(test_conditions),
        cmocka_unit_test(test_loops),
        cmocka_unit_test(test_misc),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_stack),
        cmocka_unit_test(test_addressing),
        cmocka_unit_test(test_prefixes),
        cmocka_unit_test(test_random_code),
    };
    const struct CMUnitTest tests32[] = {
        cmocka_unit_test(test_mode32),
    };
    int ret;

    if (setup(NULL)) {
        fprintf(stderr, "test-x86-diff: cannot map the test buffers\n");
        return 1;
    }
    ret = cmocka_run_group_tests(tests, NULL, NULL);
    if (host_has_mode32()) {
        ret |= cmocka_run_group_tests(tests32, NULL, NULL);
    } else {
        /* Not reported as a skip: tests/check.sh counts TAP skips as failures. */
        fprintf(stderr, "test-x86-diff: no 32-bit user code on this host; "
                "32-bit differential tests not run\n");
    }
    teardown(NULL);
    return ret;
}
