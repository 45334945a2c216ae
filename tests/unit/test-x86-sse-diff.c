/*
 * Differential tests of the MMX/SSE/x87 instructions: host CPU vs the
 * emulator, from the same general registers, memory and FXSAVE image.
 *
 * The native trampoline loads the x87/SSE state with FXRSTOR before the
 * code and stores it with FXSAVE after it (then restores the host's own
 * state, so C code never runs with the guest's MXCSR).  A fault is taken
 * from the signal frame: its FXSAVE image shows the flags at the fault.
 * The emulator's state is compared through x86_fxsave_image(); FOP, FIP
 * and FDP are not compared (modern CPUs update them only on exceptions).
 */
#include "test.h"
#include "x86-diff.h"
#include <ucontext.h>
#include "target/x86/fpu-state.h"

#define DATA_SIZE  8192
#define ITERATIONS 200
#define MAX_REPORTS 8

static uint8_t fx_guest_in[512] __attribute__((aligned(16)));
static uint8_t fx_guest_out[512] __attribute__((aligned(16)));
static uint8_t fx_host[512] __attribute__((aligned(16)));

void native_run_fx(HostState *s);
void native_return_fx(void);
__asm__(
    ".text\n"
    ".globl native_run_fx\n"
    "native_run_fx:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  push %rdi\n"
    "  fxsave64 fx_host(%rip)\n"
    "  fxrstor64 fx_guest_in(%rip)\n"
    "  pushq 128(%rdi)\n popfq\n"
    "  mov %rsp, native_host_rsp(%rip)\n"
    "  mov 0(%rdi), %rax\n mov 8(%rdi), %rcx\n mov 16(%rdi), %rdx\n"
    "  mov 24(%rdi), %rbx\n mov 40(%rdi), %rbp\n mov 48(%rdi), %rsi\n"
    "  mov 64(%rdi), %r8\n mov 72(%rdi), %r9\n mov 80(%rdi), %r10\n"
    "  mov 88(%rdi), %r11\n mov 96(%rdi), %r12\n mov 104(%rdi), %r13\n"
    "  mov 112(%rdi), %r14\n mov 120(%rdi), %r15\n"
    "  mov 32(%rdi), %rsp\n"
    "  mov 56(%rdi), %rdi\n"
    "  jmp *native_code(%rip)\n"
    ".globl native_return_fx\n"
    "native_return_fx:\n"
    "  fxsave64 fx_guest_out(%rip)\n"
    "  fxrstor64 fx_host(%rip)\n"
    "  jmp native_return\n");

typedef struct Harness {
    uint8_t *code;
    uint8_t *data;
    uint8_t data_init[DATA_SIZE];
    uint8_t data_native[DATA_SIZE];
    CPUX86State *env;
    TestMem mem;
    int failures;
    int runs;
} Harness;

static Harness H;

static sigjmp_buf fx_fault_jmp;
static volatile int fx_fault_sig;

static void fx_fault_handler(int sig, siginfo_t *si, void *uc_)
{
    ucontext_t *uc = uc_;
    fx_fault_sig = sig;
    if (uc->uc_mcontext.fpregs) {
        memcpy(fx_guest_out, uc->uc_mcontext.fpregs, 512);
    }
    siglongjmp(fx_fault_jmp, 1);
}

/* Run natively; returns 0 or the signal (SIGFPE #XM/#MF, SIGSEGV #GP,
 * SIGILL #UD). */
static int run_native_fx(HostState *s)
{
    static uint8_t altstack[64 * 1024];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    struct sigaction sa = { .sa_sigaction = fx_fault_handler,
                            .sa_flags = SA_ONSTACK | SA_SIGINFO };
    struct sigaction old[3];
    static const int sigs[3] = { SIGFPE, SIGSEGV, SIGILL };
    int ret = 0;

    sigaltstack(&ss, NULL);
    sigemptyset(&sa.sa_mask);
    for (int i = 0; i < 3; i++) {
        sigaction(sigs[i], &sa, &old[i]);
    }
    fx_fault_sig = 0;
    if (sigsetjmp(fx_fault_jmp, 1)) {
        ret = fx_fault_sig;
        /* the handler ran with a fresh FP state; make it the host's again */
        __asm__ volatile("fxrstor64 %0" : : "m"(fx_host));
    } else {
        native_run_fx(s);
    }
    for (int i = 0; i < 3; i++) {
        sigaction(sigs[i], &old[i], NULL);
    }
    return ret;
}

/* ---- encoder ----------------------------------------------------------- */
typedef struct Enc {
    uint8_t b[32];
    int n;
} Enc;

static void put(Enc *e, uint8_t v)
{
    e->b[e->n++] = v;
}

/* [pfx] [REX] 0F [38|3A] opc ModRM [disp8]; map 0 is the one-byte map. */
static void enc_op(Enc *e, uint8_t pfx, bool rexw, int map, uint8_t opc,
                   int reg, int rm, bool mem, int8_t disp)
{
    int rex = (rexw ? 8 : 0) | (reg & 8 ? 4 : 0) | (rm & 8 ? 1 : 0);
    if (pfx) {
        put(e, pfx);
    }
    if (rex) {
        put(e, 0x40 | rex);
    }
    if (map) {
        put(e, 0x0f);
    }
    if (map == 2) {
        put(e, 0x38);
    } else if (map == 3) {
        put(e, 0x3a);
    }
    put(e, opc);
    if (mem) {
        put(e, 0x40 | ((reg & 7) << 3) | (rm & 7));
        put(e, (uint8_t)disp);
    } else {
        put(e, 0xc0 | ((reg & 7) << 3) | (rm & 7));
    }
}

/* ---- random floating-point-rich values --------------------------------- */
static uint32_t rnd_f32(void)
{
    static const uint32_t edges[] = {
        0, 0x80000000, 0x3f800000, 0xbf800000, 0x7f800000, 0xff800000,
        0x7fc00000, 0xffc00000, 0x7f800001, 0x7fa00000, 0xffa12345,
        0x00000001, 0x807fffff, 0x00400000, 0x00800000, 0x80800000,
        0x7f7fffff, 0xff7fffff, 0x4f000000, 0xcf000000, 0x5f000000,
        0xdf000000, 0x3f000000, 0xbf000000, 0x3fc00000, 0x40200000,
        0x4effffff, 0x4f7fffff, 0x0c000000,
    };
    uint64_t r = rnd();
    switch (r & 7) {
    case 0:
    case 1:
    case 2:
        return edges[(r >> 8) % ARRAY_SIZE(edges)];
    case 3: /* a number of moderate size */
        return (uint32_t)(rnd() & 0x807fffff) | ((uint32_t)(117 + (rnd() % 40)) << 23);
    case 4: /* close to under/overflow */
        return (uint32_t)(rnd() & 0x80ffffff) | ((rnd() & 1) ? 0x7e000000 : 0);
    default:
        return rnd();
    }
}

static uint64_t rnd_f64(void)
{
    static const uint64_t edges[] = {
        0, 0x8000000000000000ull, 0x3ff0000000000000ull, 0xbff0000000000000ull,
        0x7ff0000000000000ull, 0xfff0000000000000ull, 0x7ff8000000000000ull,
        0xfff8000000000000ull, 0x7ff0000000000001ull, 0x7ff4000000000000ull,
        0x0000000000000001ull, 0x800fffffffffffffull, 0x0010000000000000ull,
        0x7fefffffffffffffull, 0x41e0000000000000ull, 0xc1e0000000000000ull,
        0x43e0000000000000ull, 0xc3e0000000000000ull, 0x3fe0000000000000ull,
        0x3ff8000000000000ull, 0x4004000000000000ull, 0x41dfffffffc00000ull,
        0x47efffffe0000000ull, 0x36a0000000000000ull, 0x380fffffffffffffull,
    };
    uint64_t r = rnd();
    switch (r & 7) {
    case 0:
    case 1:
    case 2:
        return edges[(r >> 8) % ARRAY_SIZE(edges)];
    case 3:
        return (rnd() & 0x800fffffffffffffull) | ((uint64_t)(1013 + rnd() % 40) << 52);
    case 4:
        return (rnd() & 0x801fffffffffffffull) | ((rnd() & 1) ? 0x7fc0000000000000ull : 0);
    default:
        return rnd();
    }
}

/* 64 bits: two singles, a double, or an integer pattern. */
static uint64_t rnd_lane64(void)
{
    switch (rnd() % 4) {
    case 0:
        return rnd_f32() | (uint64_t)rnd_f32() << 32;
    case 1:
        return rnd_f64();
    case 2:
        return rnd_value();
    default: {
        /* short strings for PCMPxSTRx, small words for PMADD etc. */
        uint64_t v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (uint64_t)((rnd() % 5) ? 'a' + rnd() % 4 : 0) << (8 * i);
        }
        return v;
    }
    }
}

static void fill_data(void)
{
    for (int i = 0; i < DATA_SIZE; i += 8) {
        uint64_t v = rnd_lane64();
        memcpy(H.data + i, &v, 8);
    }
}

/* x87 register image: an 80-bit value with interesting classes. */
static void rnd_f80(uint8_t *p)
{
    uint64_t mant = rnd() | (1ull << 63);
    uint16_t se = (16383 - 40 + rnd() % 80) | (rnd() & 0x8000);
    switch (rnd() % 10) {
    case 0: mant = 0; se &= 0x8000; break;                            /* zero */
    case 1: mant = 1ull << 63; se |= 0x7fff; break;                   /* inf */
    case 2: se |= 0x7fff; mant |= 1ull << 62; break;                  /* QNaN */
    case 3: se |= 0x7fff; mant &= ~(1ull << 62); mant |= 1; break;    /* SNaN */
    case 4: se &= 0x8000; mant >>= 1 + rnd() % 10; break;             /* denormal */
    case 5: mant = (uint64_t)(int64_t)(rnd() % 2000 - 1000); {        /* integer */
            long double x = (int64_t)mant; memcpy(p, &x, 10); return; }
    case 6: se = (se & 0x8000) | (rnd() % 2 ? 1 : 0x7ffe); break;     /* extremes */
    default: break;
    }
    memcpy(p, &mant, 8);
    memcpy(p + 8, &se, 2);
}

/* A fresh FXSAVE image: XMMs random, MXCSR as asked; x87 empty, or
 * (x87 = true) a random stack, control word and status. */
static void rnd_fx(uint8_t *img, uint32_t mxcsr, bool x87)
{
    uint16_t fcw = 0x37f, fsw = 0;
    memset(img, 0, 512);
    if (x87) {
        int top = rnd() & 7, depth = rnd() % 9;
        uint8_t ftw = 0;
        fcw = 0x037f | ((rnd() % 4) << 10);
        if (rnd() % 4 == 0) {
            fcw = (fcw & ~0x300) | ((rnd() % 2) ? 0x200 : 0);   /* precision */
        }
        fsw = (top << 11) | (rnd() % 3 == 0 ? (rnd() & 0x3f) : 0) |
              (rnd() & 0x4700);
        for (int i = 0; i < depth; i++) {
            ftw |= 1 << ((top + i) & 7);
        }
        img[4] = ftw;
        for (int i = 0; i < 8; i++) {
            rnd_f80(img + 32 + 16 * i);
        }
    }
    memcpy(img, &fcw, 2);
    memcpy(img + 2, &fsw, 2);
    memcpy(img + 24, &mxcsr, 4);
    for (int i = 0; i < 32; i++) {
        uint64_t v = rnd_lane64();
        memcpy(img + 160 + 8 * i, &v, 8);
    }
}

static uint32_t rnd_mxcsr(void)
{
    uint32_t m = 0x1f80;
    uint64_t r = rnd();
    if ((r & 3) == 0) {
        m |= (rnd() & 3) << 13;          /* rounding */
    }
    if (((r >> 2) & 7) == 0) {
        m |= 0x40;                       /* DAZ */
    }
    if (((r >> 5) & 7) == 0) {
        m |= 0x8000;                     /* FTZ */
    }
    if (((r >> 8) & 15) == 0) {
        /* one of IE DE ZE PE unmasked (PE under unmasked OE/UE is
         * not modelled, see ops-sse.c) */
        static const int bits[] = { 7, 8, 9, 12 };
        m &= ~(1u << bits[rnd() % 4]);
    }
    if (((r >> 12) & 3) == 0) {
        m |= rnd() & 0x3f;               /* sticky flags already set */
    }
    return m;
}

/* ---- running both sides ------------------------------------------------ */
static int run_emu(HostState *s, uint64_t end, uint8_t *fx_out)
{
    CPUX86State *env = H.env;
    int excp = -1;

    x86_cpu_reset(env);
    x86_cpu_set_long_mode_flat(env, 3);
    env->cr[4] |= CR4_OSFXSR_MASK | (1u << 10);   /* OSXMMEXCPT */
    x86_update_hflags(env);
    assert_true(x86_fxrstor_image(env, fx_guest_in, true));
    memcpy(env->regs, s->regs, sizeof(s->regs));
    cpu_load_eflags(env, s->rflags | IF_MASK, CC_ALL | DF_MASK | IF_MASK);
    env->rip = (uintptr_t)H.code;
    for (int i = 0; i < 8 && env->rip != end; i++) {
        env->icount_budget = 1;
        int r = cpu_exec(env);
        if (r != EXCP_INTERRUPT) {
            excp = r;
            break;
        }
    }
    if (excp < 0 && env->rip != end) {
        excp = 0x1000;
    }
    memcpy(s->regs, env->regs, sizeof(s->regs));
    s->rflags = cpu_compute_eflags(env);
    x86_fxsave_image(env, fx_out, true);
    return excp;
}

typedef struct Case {
    const char *name;
    Enc enc;
    uint32_t flags;           /* EFLAGS bits to compare */
    uint8_t *ignore;          /* memory not to compare (host-specific) */
    int ignore_len;
} Case;

static const int sig_vector[] = { [SIGFPE] = -2, [SIGSEGV] = EXCP0D_GPF,
                                  [SIGILL] = EXCP06_ILLOP };

static bool vector_matches(int sig, int excp)
{
    if (sig == SIGFPE) {
        return excp == EXCP13_XMM || excp == EXCP10_COPR || excp == EXCP00_DIVZ;
    }
    return sig_vector[sig] == excp;
}

/* Compare two FXSAVE images; returns the first differing offset or -1. */
static int fx_compare(const Case *c, const uint8_t *a, const uint8_t *b)
{
    uint16_t fa, fb;

    if (memcmp(a, b, 2)) {                  /* FCW */
        return 0;
    }
    memcpy(&fa, a + 2, 2);
    memcpy(&fb, b + 2, 2);
    if (fa != fb) {
        return 2;
    }
    if (a[4] != b[4]) {                     /* abridged tags */
        return 4;
    }
    if (memcmp(a + 24, b + 24, 4)) {        /* MXCSR */
        return 24;
    }
    for (int i = 0; i < 8; i++) {
        const uint8_t *ra = a + 32 + 16 * i, *rb = b + 32 + 16 * i;
        if (!(a[4] & (1 << ((((fa >> 11) & 7) + i) & 7)))) {
            continue;                       /* an empty register: contents free */
        }
        if (memcmp(ra, rb, 10)) {
            return 32 + 16 * i;
        }
    }
    if (memcmp(a + 160, b + 160, 256)) {
        for (int i = 160; i < 416; i++) {
            if (a[i] != b[i]) {
                return i;
            }
        }
    }
    return -1;
}

static void dump_fx(const char *who, const uint8_t *img)
{
    fprintf(stderr, "  %s: fcw %04x fsw %04x ftw %02x mxcsr %08x\n", who,
            img[0] | img[1] << 8, img[2] | img[3] << 8, img[4],
            img[24] | img[25] << 8 | img[26] << 16 | (uint32_t)img[27] << 24);
    for (int i = 0; i < 8; i++) {
        uint64_t m, x[4];
        memcpy(&m, img + 32 + 16 * i, 8);
        memcpy(x, img + 160 + 16 * i, 16);
        memcpy(x + 2, img + 160 + 16 * (i + 8), 16);
        fprintf(stderr, "    st%d %04x.%016" PRIx64 "  xmm%d %016" PRIx64 ":%016" PRIx64
                "  xmm%d %016" PRIx64 ":%016" PRIx64 "\n",
                i, img[40 + 16 * i] | img[41 + 16 * i] << 8, m, i, x[1], x[0],
                i + 8, x[3], x[2]);
    }
}

static bool diff_run(const Case *c, const HostState *init)
{
    HostState nat = *init, emu = *init;
    uint64_t end = (uintptr_t)H.code + c->enc.n;
    static uint8_t fx_emu[512];
    static uint8_t fx_in_copy[512];
    int nat_sig, emu_excp, off = -1;
    bool ok = true;

    memcpy(H.code, c->enc.b, c->enc.n);
    {
        uint8_t *p = H.code + c->enc.n;
        uint64_t back = (uintptr_t)native_return_fx;
        memcpy(p, "\xff\x25\0\0\0\0", 6);
        memcpy(p + 6, &back, 8);
    }
    memcpy(H.data_init, H.data, DATA_SIZE);
    memcpy(fx_in_copy, fx_guest_in, 512);
    native_code = H.code;
    nat_sig = run_native_fx(&nat);
    memcpy(H.data_native, H.data, DATA_SIZE);
    memcpy(H.data, H.data_init, DATA_SIZE);

    emu_excp = run_emu(&emu, end, fx_emu);
    H.runs++;

    if (nat_sig || emu_excp >= 0) {
        ok = nat_sig && vector_matches(nat_sig, emu_excp) &&
             !memcmp(emu.regs, init->regs, sizeof(emu.regs)) &&
             !memcmp(H.data, H.data_init, DATA_SIZE);
        /* #XM reports the flags in MXCSR: compare the images too */
        if (ok && nat_sig == SIGFPE) {
            off = fx_compare(c, fx_guest_out, fx_emu);
            ok = off < 0;
        }
    } else {
        for (int i = 0; i < 16; i++) {
            if (nat.regs[i] != emu.regs[i]) {
                ok = false;
            }
        }
        if ((nat.rflags ^ emu.rflags) & c->flags) {
            ok = false;
        }
        if (c->ignore) {
            memcpy(c->ignore, H.data_native + (c->ignore - H.data), c->ignore_len);
        }
        if (memcmp(H.data_native, H.data, DATA_SIZE)) {
            ok = false;
        }
        off = fx_compare(c, fx_guest_out, fx_emu);
        if (off >= 0) {
            ok = false;
        }
    }
    if (!ok && H.failures < MAX_REPORTS) {
        fprintf(stderr, "MISMATCH %s: bytes", c->name);
        for (int i = 0; i < c->enc.n; i++) {
            fprintf(stderr, " %02x", c->enc.b[i]);
        }
        fprintf(stderr, "\n  native signal %d, emulator exception %d, fx offset %d\n",
                nat_sig, emu_excp, off);
        for (int i = 0; i < 16; i++) {
            if (nat.regs[i] != emu.regs[i]) {
                fprintf(stderr, "  r%d init %016" PRIx64 " native %016" PRIx64
                        " emu %016" PRIx64 "\n", i, init->regs[i], nat.regs[i],
                        emu.regs[i]);
            }
        }
        fprintf(stderr, "  flags init %04" PRIx64 " native %04" PRIx64 " emu %04" PRIx64 "\n",
                init->rflags, nat.rflags, emu.rflags);
        for (int i = 0; i < DATA_SIZE; i++) {
            if (H.data_native[i] != H.data[i]) {
                fprintf(stderr, "  data[%d] native %02x emu %02x\n", i,
                        H.data_native[i], H.data[i]);
                break;
            }
        }
        dump_fx("in    ", fx_in_copy);
        dump_fx("native", fx_guest_out);
        dump_fx("emu   ", fx_emu);
    }
    return ok;
}

static void check(const Case *c, const HostState *init)
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

static int rnd_reg(void)
{
    int r;
    do {
        r = rnd() & 15;
    } while (r == R_ESP);
    return r;
}

#define MEM_BASE R_EBX

static void rnd_state(HostState *s)
{
    for (int i = 0; i < 16; i++) {
        s->regs[i] = (rnd() & 3) ? rnd_value() : rnd_lane64();
    }
    s->regs[R_ESP] = (uintptr_t)H.data + DATA_SIZE - 1024 - 8 * (rnd() & 15);
    s->rflags = (rnd() & CC_ALL) | EFLAGS_FIXED;
}

/* ---- the SSE/MMX instruction list ------------------------------------ */
enum { K_NONE, K_X, K_M, K_R };     /* operand kinds */
enum { CPU_SSE2, CPU_SSE3, CPU_SSSE3, CPU_SSE41, CPU_SSE42, CPU_PCLMUL, CPU_MOVBE };

#define S_ALIGN   0x01    /* aligned m128 */
#define S_IMM     0x02
#define S_W       0x04    /* also try REX.W */
#define S_FLAGS   0x08    /* writes EFLAGS (compare all six) */
#define S_IMMSHIFT 0x10   /* small immediates (shift counts) */
#define S_ECXEAX  0x20    /* PCMPESTRx: small lengths in EAX/EDX */
#define S_RDI     0x40    /* MASKMOV: RDI into the buffer */
#define S_FXIMG   0x80    /* memory operand: a valid FXSAVE image / MXCSR */

typedef struct SSESpec {
    const char *name;
    uint8_t pfx, map, opc;
    uint8_t g, e;         /* ModRM.reg kind, ModRM.rm register kind (K_NONE: memory only) */
    uint8_t msize;        /* memory operand size, 0: register only */
    uint8_t flags;
    int8_t digit;         /* fixed ModRM.reg, or -1 */
    uint8_t cpu;
} SSESpec;

#define X_XM(n, p, m, o, ms, fl, cpu) { n, p, m, o, K_X, K_X, ms, fl, -1, cpu }
#define P2(n, o)  X_XM(n, 0x66, 1, o, 16, S_ALIGN, CPU_SSE2), \
                  { n "_mmx", 0, 1, o, K_M, K_M, 8, 0, -1, CPU_SSE2 }

static const SSESpec sse_int_specs[] = {
    P2("punpcklbw", 0x60), P2("punpcklwd", 0x61), P2("punpckldq", 0x62),
    P2("packsswb", 0x63), P2("pcmpgtb", 0x64), P2("pcmpgtw", 0x65),
    P2("pcmpgtd", 0x66), P2("packuswb", 0x67), P2("punpckhbw", 0x68),
    P2("punpckhwd", 0x69), P2("punpckhdq", 0x6a), P2("packssdw", 0x6b),
    X_XM("punpcklqdq", 0x66, 1, 0x6c, 16, S_ALIGN, CPU_SSE2),
    X_XM("punpckhqdq", 0x66, 1, 0x6d, 16, S_ALIGN, CPU_SSE2),
    P2("pcmpeqb", 0x74), P2("pcmpeqw", 0x75), P2("pcmpeqd", 0x76),
    P2("psrlw", 0xd1), P2("psrld", 0xd2), P2("psrlq", 0xd3), P2("paddq", 0xd4),
    P2("pmullw", 0xd5), P2("psubusb", 0xd8), P2("psubusw", 0xd9),
    P2("pminub", 0xda), P2("pand", 0xdb), P2("paddusb", 0xdc),
    P2("paddusw", 0xdd), P2("pmaxub", 0xde), P2("pandn", 0xdf),
    P2("pavgb", 0xe0), P2("psraw", 0xe1), P2("psrad", 0xe2), P2("pavgw", 0xe3),
    P2("pmulhuw", 0xe4), P2("pmulhw", 0xe5), P2("psubsb", 0xe8),
    P2("psubsw", 0xe9), P2("pminsw", 0xea), P2("por", 0xeb),
    P2("paddsb", 0xec), P2("paddsw", 0xed), P2("pmaxsw", 0xee),
    P2("pxor", 0xef), P2("psllw", 0xf1), P2("pslld", 0xf2), P2("psllq", 0xf3),
    P2("pmuludq", 0xf4), P2("pmaddwd", 0xf5), P2("psadbw", 0xf6),
    P2("psubb", 0xf8), P2("psubw", 0xf9), P2("psubd", 0xfa), P2("psubq", 0xfb),
    P2("paddb", 0xfc), P2("paddw", 0xfd), P2("paddd", 0xfe),
    { "pshufw", 0, 1, 0x70, K_M, K_M, 8, S_IMM, -1, CPU_SSE2 },
    X_XM("pshufd", 0x66, 1, 0x70, 16, S_ALIGN | S_IMM, CPU_SSE2),
    X_XM("pshufhw", 0xf3, 1, 0x70, 16, S_ALIGN | S_IMM, CPU_SSE2),
    X_XM("pshuflw", 0xf2, 1, 0x70, 16, S_ALIGN | S_IMM, CPU_SSE2),
#define SHI(n, o, dg) \
    { n, 0x66, 1, o, K_NONE, K_X, 0, S_IMM | S_IMMSHIFT, dg, CPU_SSE2 }, \
    { n "_mmx", 0, 1, o, K_NONE, K_M, 0, S_IMM | S_IMMSHIFT, dg, CPU_SSE2 }
    SHI("psrlw_i", 0x71, 2), SHI("psraw_i", 0x71, 4), SHI("psllw_i", 0x71, 6),
    SHI("psrld_i", 0x72, 2), SHI("psrad_i", 0x72, 4), SHI("pslld_i", 0x72, 6),
    SHI("psrlq_i", 0x73, 2), SHI("psllq_i", 0x73, 6),
    { "psrldq", 0x66, 1, 0x73, K_NONE, K_X, 0, S_IMM | S_IMMSHIFT, 3, CPU_SSE2 },
    { "pslldq", 0x66, 1, 0x73, K_NONE, K_X, 0, S_IMM | S_IMMSHIFT, 7, CPU_SSE2 },
    /* moves */
    X_XM("movdqa", 0x66, 1, 0x6f, 16, S_ALIGN, CPU_SSE2),
    X_XM("movdqu", 0xf3, 1, 0x6f, 16, 0, CPU_SSE2),
    X_XM("movdqa_st", 0x66, 1, 0x7f, 16, S_ALIGN, CPU_SSE2),
    X_XM("movdqu_st", 0xf3, 1, 0x7f, 16, 0, CPU_SSE2),
    X_XM("movaps", 0, 1, 0x28, 16, S_ALIGN, CPU_SSE2),
    X_XM("movaps_st", 0, 1, 0x29, 16, S_ALIGN, CPU_SSE2),
    X_XM("movapd", 0x66, 1, 0x28, 16, S_ALIGN, CPU_SSE2),
    X_XM("movups", 0, 1, 0x10, 16, 0, CPU_SSE2),
    X_XM("movupd", 0x66, 1, 0x10, 16, 0, CPU_SSE2),
    X_XM("movups_st", 0, 1, 0x11, 16, 0, CPU_SSE2),
    X_XM("movss", 0xf3, 1, 0x10, 4, 0, CPU_SSE2),
    X_XM("movsd", 0xf2, 1, 0x10, 8, 0, CPU_SSE2),
    X_XM("movss_st", 0xf3, 1, 0x11, 4, 0, CPU_SSE2),
    X_XM("movsd_st", 0xf2, 1, 0x11, 8, 0, CPU_SSE2),
    X_XM("movlps/movhlps", 0, 1, 0x12, 8, 0, CPU_SSE2),
    { "movlpd", 0x66, 1, 0x12, K_X, K_NONE, 8, 0, -1, CPU_SSE2 },
    { "movlps_st", 0, 1, 0x13, K_X, K_NONE, 8, 0, -1, CPU_SSE2 },
    X_XM("movhps/movlhps", 0, 1, 0x16, 8, 0, CPU_SSE2),
    { "movhpd", 0x66, 1, 0x16, K_X, K_NONE, 8, 0, -1, CPU_SSE2 },
    { "movhps_st", 0, 1, 0x17, K_X, K_NONE, 8, 0, -1, CPU_SSE2 },
    { "movntps", 0, 1, 0x2b, K_X, K_NONE, 16, S_ALIGN, -1, CPU_SSE2 },
    { "movntdq", 0x66, 1, 0xe7, K_X, K_NONE, 16, S_ALIGN, -1, CPU_SSE2 },
    { "movntq", 0, 1, 0xe7, K_M, K_NONE, 8, 0, -1, CPU_SSE2 },
    { "movnti", 0, 1, 0xc3, K_R, K_NONE, 4, S_W, -1, CPU_SSE2 },
    { "movd_x", 0x66, 1, 0x6e, K_X, K_R, 4, S_W, -1, CPU_SSE2 },
    { "movd_m", 0, 1, 0x6e, K_M, K_R, 4, S_W, -1, CPU_SSE2 },
    { "movd_x_st", 0x66, 1, 0x7e, K_X, K_R, 4, S_W, -1, CPU_SSE2 },
    { "movd_m_st", 0, 1, 0x7e, K_M, K_R, 4, S_W, -1, CPU_SSE2 },
    X_XM("movq_x", 0xf3, 1, 0x7e, 8, 0, CPU_SSE2),
    X_XM("movq_x_st", 0x66, 1, 0xd6, 8, 0, CPU_SSE2),
    { "movq_m", 0, 1, 0x6f, K_M, K_M, 8, 0, -1, CPU_SSE2 },
    { "movq_m_st", 0, 1, 0x7f, K_M, K_M, 8, 0, -1, CPU_SSE2 },
    { "movq2dq", 0xf3, 1, 0xd6, K_X, K_M, 0, 0, -1, CPU_SSE2 },
    { "movdq2q", 0xf2, 1, 0xd6, K_M, K_X, 0, 0, -1, CPU_SSE2 },
    { "pmovmskb", 0x66, 1, 0xd7, K_R, K_X, 0, 0, -1, CPU_SSE2 },
    { "pmovmskb_mmx", 0, 1, 0xd7, K_R, K_M, 0, 0, -1, CPU_SSE2 },
    { "movmskps", 0, 1, 0x50, K_R, K_X, 0, 0, -1, CPU_SSE2 },
    { "movmskpd", 0x66, 1, 0x50, K_R, K_X, 0, 0, -1, CPU_SSE2 },
    { "pinsrw", 0x66, 1, 0xc4, K_X, K_R, 2, S_IMM, -1, CPU_SSE2 },
    { "pinsrw_mmx", 0, 1, 0xc4, K_M, K_R, 2, S_IMM, -1, CPU_SSE2 },
    { "pextrw", 0x66, 1, 0xc5, K_R, K_X, 0, S_IMM, -1, CPU_SSE2 },
    { "pextrw_mmx", 0, 1, 0xc5, K_R, K_M, 0, S_IMM, -1, CPU_SSE2 },
    { "maskmovdqu", 0x66, 1, 0xf7, K_X, K_X, 0, S_RDI, -1, CPU_SSE2 },
    { "maskmovq", 0, 1, 0xf7, K_M, K_M, 0, S_RDI, -1, CPU_SSE2 },
    X_XM("lddqu", 0xf2, 1, 0xf0, 16, 0, CPU_SSE3),
    X_XM("movddup", 0xf2, 1, 0x12, 8, 0, CPU_SSE3),
    X_XM("movsldup", 0xf3, 1, 0x12, 16, S_ALIGN, CPU_SSE3),
    X_XM("movshdup", 0xf3, 1, 0x16, 16, S_ALIGN, CPU_SSE3),
    X_XM("andps", 0, 1, 0x54, 16, S_ALIGN, CPU_SSE2),
    X_XM("andnpd", 0x66, 1, 0x55, 16, S_ALIGN, CPU_SSE2),
    X_XM("orps", 0, 1, 0x56, 16, S_ALIGN, CPU_SSE2),
    X_XM("xorpd", 0x66, 1, 0x57, 16, S_ALIGN, CPU_SSE2),
    X_XM("unpcklps", 0, 1, 0x14, 16, S_ALIGN, CPU_SSE2),
    X_XM("unpckhpd", 0x66, 1, 0x15, 16, S_ALIGN, CPU_SSE2),
    X_XM("shufps", 0, 1, 0xc6, 16, S_ALIGN | S_IMM, CPU_SSE2),
    X_XM("shufpd", 0x66, 1, 0xc6, 16, S_ALIGN | S_IMM, CPU_SSE2),
    /* state management */
    { "fxsave", 0, 1, 0xae, K_NONE, K_NONE, 16, S_ALIGN | S_W, 0, CPU_SSE2 },
    { "fxrstor", 0, 1, 0xae, K_NONE, K_NONE, 16, S_ALIGN | S_W | S_FXIMG, 1, CPU_SSE2 },
    { "ldmxcsr", 0, 1, 0xae, K_NONE, K_NONE, 4, S_FXIMG, 2, CPU_SSE2 },
    { "stmxcsr", 0, 1, 0xae, K_NONE, K_NONE, 4, 0, 3, CPU_SSE2 },
};

#define FP4(n, o) \
    X_XM(n "ps", 0, 1, o, 16, S_ALIGN, CPU_SSE2), \
    X_XM(n "pd", 0x66, 1, o, 16, S_ALIGN, CPU_SSE2), \
    X_XM(n "ss", 0xf3, 1, o, 4, 0, CPU_SSE2), \
    X_XM(n "sd", 0xf2, 1, o, 8, 0, CPU_SSE2)

static const SSESpec sse_fp_specs[] = {
    FP4("add", 0x58), FP4("mul", 0x59), FP4("sub", 0x5c), FP4("min", 0x5d),
    FP4("div", 0x5e), FP4("max", 0x5f), FP4("sqrt", 0x51),
    X_XM("cmpps", 0, 1, 0xc2, 16, S_ALIGN | S_IMM, CPU_SSE2),
    X_XM("cmppd", 0x66, 1, 0xc2, 16, S_ALIGN | S_IMM, CPU_SSE2),
    X_XM("cmpss", 0xf3, 1, 0xc2, 4, S_IMM, CPU_SSE2),
    X_XM("cmpsd", 0xf2, 1, 0xc2, 8, S_IMM, CPU_SSE2),
    X_XM("ucomiss", 0, 1, 0x2e, 4, S_FLAGS, CPU_SSE2),
    X_XM("comiss", 0, 1, 0x2f, 4, S_FLAGS, CPU_SSE2),
    X_XM("ucomisd", 0x66, 1, 0x2e, 8, S_FLAGS, CPU_SSE2),
    X_XM("comisd", 0x66, 1, 0x2f, 8, S_FLAGS, CPU_SSE2),
    X_XM("cvtps2pd", 0, 1, 0x5a, 8, 0, CPU_SSE2),
    X_XM("cvtpd2ps", 0x66, 1, 0x5a, 16, S_ALIGN, CPU_SSE2),
    X_XM("cvtss2sd", 0xf3, 1, 0x5a, 4, 0, CPU_SSE2),
    X_XM("cvtsd2ss", 0xf2, 1, 0x5a, 8, 0, CPU_SSE2),
    X_XM("cvtdq2ps", 0, 1, 0x5b, 16, S_ALIGN, CPU_SSE2),
    X_XM("cvtps2dq", 0x66, 1, 0x5b, 16, S_ALIGN, CPU_SSE2),
    X_XM("cvttps2dq", 0xf3, 1, 0x5b, 16, S_ALIGN, CPU_SSE2),
    X_XM("cvttpd2dq", 0x66, 1, 0xe6, 16, S_ALIGN, CPU_SSE2),
    X_XM("cvtdq2pd", 0xf3, 1, 0xe6, 8, 0, CPU_SSE2),
    X_XM("cvtpd2dq", 0xf2, 1, 0xe6, 16, S_ALIGN, CPU_SSE2),
    { "cvtpi2ps", 0, 1, 0x2a, K_X, K_M, 8, 0, -1, CPU_SSE2 },
    { "cvtpi2pd", 0x66, 1, 0x2a, K_X, K_M, 8, 0, -1, CPU_SSE2 },
    { "cvtsi2ss", 0xf3, 1, 0x2a, K_X, K_R, 4, S_W, -1, CPU_SSE2 },
    { "cvtsi2sd", 0xf2, 1, 0x2a, K_X, K_R, 4, S_W, -1, CPU_SSE2 },
    { "cvttps2pi", 0, 1, 0x2c, K_M, K_X, 8, 0, -1, CPU_SSE2 },
    { "cvttpd2pi", 0x66, 1, 0x2c, K_M, K_X, 16, S_ALIGN, -1, CPU_SSE2 },
    { "cvtps2pi", 0, 1, 0x2d, K_M, K_X, 8, 0, -1, CPU_SSE2 },
    { "cvtpd2pi", 0x66, 1, 0x2d, K_M, K_X, 16, S_ALIGN, -1, CPU_SSE2 },
    { "cvttss2si", 0xf3, 1, 0x2c, K_R, K_X, 4, S_W, -1, CPU_SSE2 },
    { "cvttsd2si", 0xf2, 1, 0x2c, K_R, K_X, 8, S_W, -1, CPU_SSE2 },
    { "cvtss2si", 0xf3, 1, 0x2d, K_R, K_X, 4, S_W, -1, CPU_SSE2 },
    { "cvtsd2si", 0xf2, 1, 0x2d, K_R, K_X, 8, S_W, -1, CPU_SSE2 },
    X_XM("haddps", 0xf2, 1, 0x7c, 16, S_ALIGN, CPU_SSE3),
    X_XM("haddpd", 0x66, 1, 0x7c, 16, S_ALIGN, CPU_SSE3),
    X_XM("hsubps", 0xf2, 1, 0x7d, 16, S_ALIGN, CPU_SSE3),
    X_XM("hsubpd", 0x66, 1, 0x7d, 16, S_ALIGN, CPU_SSE3),
    X_XM("addsubps", 0xf2, 1, 0xd0, 16, S_ALIGN, CPU_SSE3),
    X_XM("addsubpd", 0x66, 1, 0xd0, 16, S_ALIGN, CPU_SSE3),
};

#define P38(n, o) X_XM(n, 0x66, 2, o, 16, S_ALIGN, CPU_SSSE3), \
                  { n "_mmx", 0, 2, o, K_M, K_M, 8, 0, -1, CPU_SSSE3 }
#define X41(n, o, ms) X_XM(n, 0x66, 2, o, ms, (ms) == 16 ? S_ALIGN : 0, CPU_SSE41)
#define I41(n, o, ms) X_XM(n, 0x66, 3, o, ms, S_IMM | ((ms) == 16 ? S_ALIGN : 0), CPU_SSE41)

static const SSESpec sse4_specs[] = {
    P38("pshufb", 0x00), P38("phaddw", 0x01), P38("phaddd", 0x02),
    P38("phaddsw", 0x03), P38("pmaddubsw", 0x04), P38("phsubw", 0x05),
    P38("phsubd", 0x06), P38("phsubsw", 0x07), P38("psignb", 0x08),
    P38("psignw", 0x09), P38("psignd", 0x0a), P38("pmulhrsw", 0x0b),
    P38("pabsb", 0x1c), P38("pabsw", 0x1d), P38("pabsd", 0x1e),
    X_XM("palignr", 0x66, 3, 0x0f, 16, S_ALIGN | S_IMM, CPU_SSSE3),
    { "palignr_mmx", 0, 3, 0x0f, K_M, K_M, 8, S_IMM, -1, CPU_SSSE3 },
    X41("pblendvb", 0x10, 16), X41("blendvps", 0x14, 16), X41("blendvpd", 0x15, 16),
    { "ptest", 0x66, 2, 0x17, K_X, K_X, 16, S_ALIGN | S_FLAGS, -1, CPU_SSE41 },
    X41("pmovsxbw", 0x20, 8), X41("pmovsxbd", 0x21, 4), X41("pmovsxbq", 0x22, 2),
    X41("pmovsxwd", 0x23, 8), X41("pmovsxwq", 0x24, 4), X41("pmovsxdq", 0x25, 8),
    X41("pmuldq", 0x28, 16), X41("pcmpeqq", 0x29, 16),
    { "movntdqa", 0x66, 2, 0x2a, K_X, K_NONE, 16, S_ALIGN, -1, CPU_SSE41 },
    X41("packusdw", 0x2b, 16),
    X41("pmovzxbw", 0x30, 8), X41("pmovzxbd", 0x31, 4), X41("pmovzxbq", 0x32, 2),
    X41("pmovzxwd", 0x33, 8), X41("pmovzxwq", 0x34, 4), X41("pmovzxdq", 0x35, 8),
    X_XM("pcmpgtq", 0x66, 2, 0x37, 16, S_ALIGN, CPU_SSE42),
    X41("pminsb", 0x38, 16), X41("pminsd", 0x39, 16), X41("pminuw", 0x3a, 16),
    X41("pminud", 0x3b, 16), X41("pmaxsb", 0x3c, 16), X41("pmaxsd", 0x3d, 16),
    X41("pmaxuw", 0x3e, 16), X41("pmaxud", 0x3f, 16), X41("pmulld", 0x40, 16),
    X41("phminposuw", 0x41, 16),
    I41("roundps", 0x08, 16), I41("roundpd", 0x09, 16), I41("roundss", 0x0a, 4),
    I41("roundsd", 0x0b, 8), I41("blendps", 0x0c, 16), I41("blendpd", 0x0d, 16),
    I41("pblendw", 0x0e, 16),
    { "pextrb", 0x66, 3, 0x14, K_X, K_R, 1, S_IMM, -1, CPU_SSE41 },
    { "pextrw41", 0x66, 3, 0x15, K_X, K_R, 2, S_IMM, -1, CPU_SSE41 },
    { "pextrd/q", 0x66, 3, 0x16, K_X, K_R, 4, S_IMM | S_W, -1, CPU_SSE41 },
    { "extractps", 0x66, 3, 0x17, K_X, K_R, 4, S_IMM, -1, CPU_SSE41 },
    { "pinsrb", 0x66, 3, 0x20, K_X, K_R, 1, S_IMM, -1, CPU_SSE41 },
    I41("insertps", 0x21, 4),
    { "pinsrd/q", 0x66, 3, 0x22, K_X, K_R, 4, S_IMM | S_W, -1, CPU_SSE41 },
    I41("dpps", 0x40, 16), I41("dppd", 0x41, 16), I41("mpsadbw", 0x42, 16),
    { "pclmulqdq", 0x66, 3, 0x44, K_X, K_X, 16, S_ALIGN | S_IMM, -1, CPU_PCLMUL },
    { "pcmpestrm", 0x66, 3, 0x60, K_X, K_X, 16, S_IMM | S_FLAGS | S_ECXEAX | S_W, -1, CPU_SSE42 },
    { "pcmpestri", 0x66, 3, 0x61, K_X, K_X, 16, S_IMM | S_FLAGS | S_ECXEAX | S_W, -1, CPU_SSE42 },
    { "pcmpistrm", 0x66, 3, 0x62, K_X, K_X, 16, S_IMM | S_FLAGS, -1, CPU_SSE42 },
    { "pcmpistri", 0x66, 3, 0x63, K_X, K_X, 16, S_IMM | S_FLAGS, -1, CPU_SSE42 },
    { "crc32b", 0xf2, 2, 0xf0, K_R, K_R, 1, S_W, -1, CPU_SSE42 },
    { "movbe_ld", 0, 2, 0xf0, K_R, K_NONE, 4, S_W, -1, CPU_MOVBE },
    { "movbe_ld16", 0x66, 2, 0xf0, K_R, K_NONE, 2, 0, -1, CPU_MOVBE },
    { "movbe_st", 0, 2, 0xf1, K_R, K_NONE, 4, S_W, -1, CPU_MOVBE },
    { "movbe_st16", 0x66, 2, 0xf1, K_R, K_NONE, 2, 0, -1, CPU_MOVBE },
    { "crc32", 0xf2, 2, 0xf1, K_R, K_R, 4, S_W, -1, CPU_SSE42 },
};

static bool host_has(int cpu)
{
    switch (cpu) {
    case CPU_SSE2: return __builtin_cpu_supports("sse2");
    case CPU_SSE3: return __builtin_cpu_supports("sse3");
    case CPU_SSSE3: return __builtin_cpu_supports("ssse3");
    case CPU_SSE41: return __builtin_cpu_supports("sse4.1");
    case CPU_SSE42: return __builtin_cpu_supports("sse4.2");
    case CPU_PCLMUL: return __builtin_cpu_supports("pclmul");
    case CPU_MOVBE: {
        unsigned a, b, c, d;
        __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(1), "c"(0));
        return (c >> 22) & 1;
    }
    }
    return false;
}

static int pick_reg(int kind)
{
    switch (kind) {
    case K_X: return rnd() & 15;
    case K_M: return rnd() & 7;
    case K_R: return rnd_reg();
    default: return 0;
    }
}

static void run_spec(const SSESpec *sp, int iterations)
{
    for (int w = 0; w <= !!(sp->flags & S_W); w++) {
        for (int mem = 0; mem < 2; mem++) {
            if ((mem && !sp->msize) || (!mem && sp->e == K_NONE)) {
                continue;
            }
            for (int it = 0; it < iterations; it++) {
                Case c = { .name = sp->name, .flags = (sp->flags & S_FLAGS) ? CC_ALL : 0 };
                HostState s;
                int reg, rm;
                int8_t disp = 0;

                rnd_state(&s);
                fill_data();
                /* MMX forms need no x87 contents beyond random mantissas */
                rnd_fx(fx_guest_in, rnd_mxcsr(), sp->g == K_M || sp->e == K_M);
                if (sp->g == K_M || sp->e == K_M) {
                    /* a valid FCW/FSW and no pending exception */
                    fx_guest_in[2] = 0;
                    fx_guest_in[3] &= 0x38;
                }
                reg = sp->digit >= 0 ? sp->digit : pick_reg(sp->g);
                rm = pick_reg(sp->e);
                if (mem) {
                    rm = MEM_BASE;
                    s.regs[MEM_BASE] = (uintptr_t)H.data + DATA_SIZE / 2 + (rnd() % 256);
                    disp = (int8_t)((rnd() & 0x7f) - 64);
                    if ((sp->flags & S_ALIGN) && (rnd() % 16)) {
                        /* mostly aligned: the misaligned ones must #GP */
                        disp -= (s.regs[MEM_BASE] + disp) & 15;
                    }
                    if (sp->g == K_R && reg == MEM_BASE) {
                        reg = R_ESI;
                    }
                }
                if ((sp->flags & S_FXIMG) && mem) {
                    /* a valid image (or MXCSR) where the operand points;
                     * once in a while reserved MXCSR bits, for the #GP */
                    uint8_t *p = (uint8_t *)(uintptr_t)(s.regs[MEM_BASE] + disp);
                    uint32_t mx = rnd_mxcsr() | (rnd() % 16 ? 0 : 0x10000);
                    if (sp->msize == 4) {
                        memcpy(p, &mx, 4);
                    } else {
                        rnd_fx(p, mx, rnd() & 1);
                    }
                }
                if (sp->opc == 0xae && sp->digit == 0 && mem) {
                    /* FXSAVE's MXCSR_MASK is the host's (AMD: 0x2ffff) */
                    c.ignore = (uint8_t *)(uintptr_t)(s.regs[MEM_BASE] + disp + 28);
                    c.ignore_len = 4;
                }
                if (sp->flags & S_RDI) {
                    s.regs[R_EDI] = (uintptr_t)H.data + 64 + (rnd() % 1024);
                    if (reg == R_EDI || rm == R_EDI) {
                        continue;
                    }
                }
                if (sp->flags & S_ECXEAX) {
                    s.regs[R_EAX] = (int64_t)(rnd() % 41) - 20;
                    s.regs[R_EDX] = (int64_t)(rnd() % 41) - 20;
                    if (rnd() % 8 == 0) {
                        s.regs[R_EAX] |= 0xffffffff00000000ull ^ (rnd() & 0x100000000ull);
                    }
                }
                enc_op(&c.enc, sp->pfx, w, sp->map, sp->opc, reg, rm, mem, disp);
                if (sp->flags & S_IMM) {
                    uint8_t imm = rnd();
                    if ((sp->flags & S_IMMSHIFT) && (rnd() & 1)) {
                        imm %= 20;
                    }
                    put(&c.enc, imm);
                }
                check(&c, &s);
            }
        }
    }
}

/* Forms the host CPU lacks are not run; a group with none left is
 * reported as skipped. */
static void run_specs(const SSESpec *specs, size_t n, int iterations)
{
    size_t ran = 0;

    for (size_t i = 0; i < n; i++) {
        if (!host_has(specs[i].cpu)) {
            fprintf(stderr, "  %s: not supported by the host CPU, not run\n",
                    specs[i].name);
            continue;
        }
        run_spec(&specs[i], iterations);
        ran++;
    }
    if (!ran) {
        skip();
    }
    end_test();
}

static void test_sse_int(void **state)
{
    run_specs(sse_int_specs, ARRAY_SIZE(sse_int_specs), ITERATIONS);
}

static void test_sse_fp(void **state)
{
    run_specs(sse_fp_specs, ARRAY_SIZE(sse_fp_specs), ITERATIONS * 3);
}

static void test_sse4(void **state)
{
    run_specs(sse4_specs, ARRAY_SIZE(sse4_specs), ITERATIONS);
}

/* ---- x87 ------------------------------------------------------------- */

/* A random FCW: rounding and precision sometimes, and sometimes IE, DE,
 * ZE or PE unmasked (unmasked OE/UE deliver scaled results, which we do
 * not model). */
static uint16_t rnd_fcw(void)
{
    static const uint16_t unmask[] = { 0x01, 0x02, 0x04, 0x20 };
    uint16_t fcw = 0x037f;
    if (rnd() % 3 == 0) {
        fcw |= (rnd() % 4) << 10;
    }
    if (rnd() % 6 == 0) {
        fcw = (fcw & ~0x300) | ((rnd() % 2) ? 0x200 : 0);
    }
    if (rnd() % 6 == 0) {
        fcw &= ~unmask[rnd() % 4];
    }
    return fcw;
}

static void rnd_x87_state(uint16_t fcw)
{
    uint16_t fsw;
    rnd_fx(fx_guest_in, 0x1f80, true);
    memcpy(fx_guest_in, &fcw, 2);
    memcpy(&fsw, fx_guest_in + 2, 2);
    fsw &= ~0x80ff;
    fsw |= rnd() % 3 ? 0 : (rnd() & 0x3f) & fcw;   /* masked flags only */
    memcpy(fx_guest_in + 2, &fsw, 2);
}

typedef struct X87Spec {
    const char *name;
    uint8_t opc;
    uint8_t lo, hi;       /* register forms: ModRM range; memory: hi = 0 */
    int8_t digit;         /* memory forms: /digit */
    uint8_t flags;
} X87Spec;

#define X_EFLAGS 0x01     /* FCOMI & co: compare EFLAGS */

static const X87Spec x87_specs[] = {
    { "d8 arith st(i)", 0xd8, 0xc0, 0xff, -1, 0 },
    { "dc arith st(i)", 0xdc, 0xc0, 0xcf, -1, 0 },
    { "dc subr/div st(i)", 0xdc, 0xe0, 0xff, -1, 0 },
    { "de arithp", 0xde, 0xc0, 0xcf, -1, 0 },
    { "de subp/divp", 0xde, 0xe0, 0xff, -1, 0 },
    { "fcompp", 0xde, 0xd9, 0xd9, -1, 0 },
    { "fld/fxch st(i)", 0xd9, 0xc0, 0xcf, -1, 0 },
    { "fnop", 0xd9, 0xd0, 0xd0, -1, 0 },
    { "fchs/fabs", 0xd9, 0xe0, 0xe1, -1, 0 },
    { "ftst/fxam", 0xd9, 0xe4, 0xe5, -1, 0 },
    { "fld1..fldz", 0xd9, 0xe8, 0xee, -1, 0 },
    { "fxtract/fprem1", 0xd9, 0xf4, 0xf5, -1, 0 },
    { "fdecstp/fincstp", 0xd9, 0xf6, 0xf7, -1, 0 },
    { "fprem", 0xd9, 0xf8, 0xf8, -1, 0 },
    { "fsqrt", 0xd9, 0xfa, 0xfa, -1, 0 },
    { "frndint/fscale", 0xd9, 0xfc, 0xfd, -1, 0 },
    { "fcmovcc", 0xda, 0xc0, 0xdf, -1, 0 },
    { "fucompp", 0xda, 0xe9, 0xe9, -1, 0 },
    { "fcmovncc", 0xdb, 0xc0, 0xdf, -1, 0 },
    { "fnclex/fninit", 0xdb, 0xe2, 0xe3, -1, 0 },
    { "fucomi/fcomi", 0xdb, 0xe8, 0xf7, -1, X_EFLAGS },
    { "ffree", 0xdd, 0xc0, 0xc7, -1, 0 },
    { "fst/fstp st(i)", 0xdd, 0xd0, 0xdf, -1, 0 },
    { "fucom/fucomp", 0xdd, 0xe0, 0xef, -1, 0 },
    { "fnstsw ax", 0xdf, 0xe0, 0xe0, -1, 0 },
    { "fucomip/fcomip", 0xdf, 0xe8, 0xf7, -1, X_EFLAGS },
    { "f2xm1", 0xd9, 0xf0, 0xf0, -1, 0 },
    { "fyl2x", 0xd9, 0xf1, 0xf1, -1, 0 },
    { "fptan", 0xd9, 0xf2, 0xf2, -1, 0 },
    { "fpatan", 0xd9, 0xf3, 0xf3, -1, 0 },
    { "fyl2xp1", 0xd9, 0xf9, 0xf9, -1, 0 },
    { "fsincos", 0xd9, 0xfb, 0xfb, -1, 0 },
    { "fsin/fcos", 0xd9, 0xfe, 0xff, -1, 0 },
#define XM(n, o, dg) { n, o, 0, 0, dg, 0 }
    XM("fadd m32", 0xd8, 0), XM("fmul m32", 0xd8, 1), XM("fcom m32", 0xd8, 2),
    XM("fcomp m32", 0xd8, 3), XM("fsub m32", 0xd8, 4), XM("fsubr m32", 0xd8, 5),
    XM("fdiv m32", 0xd8, 6), XM("fdivr m32", 0xd8, 7),
    XM("fadd m64", 0xdc, 0), XM("fmul m64", 0xdc, 1), XM("fcom m64", 0xdc, 2),
    XM("fcomp m64", 0xdc, 3), XM("fsub m64", 0xdc, 4), XM("fsubr m64", 0xdc, 5),
    XM("fdiv m64", 0xdc, 6), XM("fdivr m64", 0xdc, 7),
    XM("fiadd m32", 0xda, 0), XM("fimul m32", 0xda, 1), XM("ficom m32", 0xda, 2),
    XM("ficomp m32", 0xda, 3), XM("fisub m32", 0xda, 4), XM("fisubr m32", 0xda, 5),
    XM("fidiv m32", 0xda, 6), XM("fidivr m32", 0xda, 7),
    XM("fiadd m16", 0xde, 0), XM("fimul m16", 0xde, 1), XM("ficom m16", 0xde, 2),
    XM("ficomp m16", 0xde, 3), XM("fisub m16", 0xde, 4), XM("fisubr m16", 0xde, 5),
    XM("fidiv m16", 0xde, 6), XM("fidivr m16", 0xde, 7),
    XM("fld m32", 0xd9, 0), XM("fst m32", 0xd9, 2), XM("fstp m32", 0xd9, 3),
    XM("fnstenv", 0xd9, 6), XM("fnstcw", 0xd9, 7), XM("fldcw", 0xd9, 5),
    XM("fild m32", 0xdb, 0), XM("fisttp m32", 0xdb, 1), XM("fist m32", 0xdb, 2),
    XM("fistp m32", 0xdb, 3), XM("fld m80", 0xdb, 5), XM("fstp m80", 0xdb, 7),
    XM("fld m64", 0xdd, 0), XM("fisttp m64", 0xdd, 1), XM("fst m64", 0xdd, 2),
    XM("fstp m64", 0xdd, 3), XM("fnsave", 0xdd, 6), XM("fnstsw m16", 0xdd, 7),
    XM("fild m16", 0xdf, 0), XM("fisttp m16", 0xdf, 1), XM("fist m16", 0xdf, 2),
    XM("fistp m16", 0xdf, 3), XM("fild m64", 0xdf, 5), XM("fbstp", 0xdf, 6),
    XM("fistp m64", 0xdf, 7),
};

static void run_x87_spec(const X87Spec *sp, int iterations)
{
    bool mem = !sp->hi;
    for (int it = 0; it < iterations; it++) {
        Case c = { .name = sp->name };
        HostState s;
        rnd_state(&s);
        fill_data();
        rnd_x87_state(rnd_fcw());
        if (sp->flags & X_EFLAGS) {
            c.flags = CC_ALL;
        }
        if (mem) {
            s.regs[MEM_BASE] = (uintptr_t)H.data + DATA_SIZE / 2 + (rnd() % 256);
            enc_op(&c.enc, 0, false, 0, sp->opc, sp->digit, MEM_BASE, true,
                   (int8_t)((rnd() & 0x7f) - 64));
        } else {
            put(&c.enc, sp->opc);
            put(&c.enc, sp->lo + rnd() % (sp->hi - sp->lo + 1));
        }
        check(&c, &s);
    }
}

static void test_x87(void **state)
{
    for (size_t i = 0; i < ARRAY_SIZE(x87_specs); i++) {
        run_x87_spec(&x87_specs[i], ITERATIONS * 2);
    }
    end_test();
}

/* ---- setup ---------------------------------------------------------- */
static int setup(void)
{
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

int main(void)
{
    (void)run_native;   /* x86-diff.h's GPR-only runner; ours adds FXSAVE state */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sse_int),
        cmocka_unit_test(test_sse_fp),
        cmocka_unit_test(test_sse4),
        cmocka_unit_test(test_x87),
    };
    int ret;

    if (setup()) {
        fprintf(stderr, "test-x86-sse-diff: cannot map the test buffers\n");
        return 1;
    }
    ret = cmocka_run_group_tests(tests, NULL, NULL);
    munmap(H.code, 4096);
    munmap(H.data, DATA_SIZE);
    free(H.env);
    return ret;
}
