/*
 * bench/mips: guest instructions per second on the software CPU, and the
 * slowdown against the same code run natively, in one invocation.
 *
 *   bench/build.sh && build/bench/mips [--uncached] [--no-jit] [--runs N]
 *                                      [loop-iterations] [sha256-MiB]
 *
 * Each figure is the median of N runs (default 5), guest and native
 * alternating, every result checked against the native one; both the
 * wall clock and the thread's CPU time are shown.
 *
 * The guest is bench/guest.c, compiled freestanding and loaded as raw
 * bytes at 1 MiB; it runs in 64-bit mode over 2 MiB identity pages, CPL 0,
 * through the softmmu (TLB, TB cache, chaining) as a real guest would.
 * Each function returns to a stub HLT byte (0xf4) that ends cpu_exec;
 * instructions are counted exactly by the budget.
 */
#include "util/osdep.h"
#include "target/x86/cpu.h"
#include "accel/tcg/cpu-exec.h"
#include "accel/tcg/cputlb.h"
#include "memory/memory.h"
#include "guest-syms.h"
#include <time.h>

uint64_t bench_loop(uint64_t n);
void bench_sha256(const uint8_t *buf, size_t len, uint32_t out[8]);

#define RAM_SIZE (64 * MiB)
#define PML4 0x1000
#define PDPT 0x2000
#define PD 0x3000
#define STUB 0x8000
#define STACK_TOP 0x80000
#define DATA 0x1000000
#define OUTPUT 0x900000

static MemoryRegion root, ram;
static AddressSpace as;
static uint8_t *host;
static CPUX86State env;

#define MAX_RUNS 101

static double clock_s(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/*
 * Both clocks: the wall clock (what a user waits) and this thread's CPU
 * time (what the work cost, unmoved by other programs taking the CPU).
 * The median of several runs absorbs the rest of a shared machine's
 * noise.
 */
typedef struct Stamp {
    double wall, cpu;
} Stamp;

static Stamp now(void)
{
    return (Stamp){ clock_s(CLOCK_MONOTONIC),
                    clock_s(CLOCK_THREAD_CPUTIME_ID) };
}

static void elapsed(Stamp t0, double *wall, double *cpu)
{
    Stamp t1 = now();
    *wall = t1.wall - t0.wall;
    *cpu = t1.cpu - t0.cpu;
}

static void wq(uint64_t pa, uint64_t v) { memcpy(host + pa, &v, 8); }

static void load_guest(const char *path)
{
    FILE *f = fopen(path, "rb");
    size_t n;

    if (!f) {
        fprintf(stderr, "mips: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    n = fread(host + GUEST_TEXT_START, 1, RAM_SIZE - GUEST_TEXT_START - 8 * MiB, f);
    fclose(f);
    if (!n) {
        fprintf(stderr, "mips: %s: empty\n", path);
        exit(1);
    }
}

/*
 * --uncached: the engine as it was before the TB cache, for the "before"
 * number: flat RAM accessors (no TLB, no paging cost) and every TB
 * translated afresh.
 */
static uint64_t flat_load(CPUX86State *e, uint64_t addr, int size,
                          MMUAccessType access)
{
    uint64_t v = 0;
    if (addr >= RAM_SIZE - 8) {
        raise_exception_err(e, EXCP0E_PAGE, 0);
    }
    memcpy(&v, host + addr, size);
    return v;
}

static void flat_store(CPUX86State *e, uint64_t addr, uint64_t val, int size)
{
    if (addr >= RAM_SIZE - 8) {
        raise_exception_err(e, EXCP0E_PAGE, 2);
    }
    memcpy(host + addr, &val, size);
}

static int flat_fetch(CPUX86State *e, uint64_t addr, uint8_t *buf, int len)
{
    if (addr >= RAM_SIZE - 16) {
        return 0;
    }
    memcpy(buf, host + addr, len);
    return len;
}

static const X86MemOps flat_ops = {
    .load = flat_load, .store = flat_store, .fetch_code = flat_fetch,
};
static bool uncached;

static void machine_init(const char *image)
{
    memory_region_init(&root, NULL, "root", UINT64_MAX);
    if (!memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, NULL)) {
        exit(1);
    }
    memory_region_add_subregion(&root, 0, &ram);
    address_space_init(&as, &root, "bench");
    host = memory_region_get_ram_ptr(&ram);

    /* 2 MiB identity pages over all of RAM. */
    wq(PML4, PDPT | 3);
    wq(PDPT, PD | 3);
    for (uint64_t i = 0; i < RAM_SIZE >> 21; i++) {
        wq(PD + i * 8, (i << 21) | 0x83);
    }
    host[STUB] = 0xf4;
    load_guest(image);

    if (uncached) {
        env.mem_ops = &flat_ops;
    } else {
        x86_softmmu_init(&env, &as, NULL);
    }
}

/* Call a guest function with up to three integer arguments. */
static uint64_t guest_call(uint64_t fn, uint64_t a0, uint64_t a1, uint64_t a2,
                           uint64_t *insns)
{
    int64_t chunk = 1000 * 1000 * 1000;
    uint64_t count = 0;
    int r;

    x86_cpu_reset(&env);
    x86_cpu_set_long_mode_flat(&env, 0);
    env.cr[3] = PML4;
    x86_tlb_flush(&env);
    env.regs[R_EDI] = a0;
    env.regs[R_ESI] = a1;
    env.regs[R_EDX] = a2;
    env.regs[R_ESP] = STACK_TOP - 8;
    wq(STACK_TOP - 8, STUB);
    env.rip = fn;
    for (;;) {
        env.icount_budget = chunk;
        r = cpu_exec(&env);
        count += chunk - env.icount_budget;
        if (r != EXCP_INTERRUPT) {
            break;
        }
    }
    /* The stub is a HLT: it stops cpu_exec with rip just after it. */
    if (r != EXCP_HLT || env.rip != STUB + 1) {
        fprintf(stderr, "mips: guest stopped with exception %d at rip %#" PRIx64 "\n",
                r, env.rip);
        exit(1);
    }
    *insns = count - 1;   /* not the stub */
    return env.regs[R_EAX];
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *t, int n)
{
    qsort(t, n, sizeof(*t), cmp_double);
    return n & 1 ? t[n / 2] : (t[n / 2 - 1] + t[n / 2]) / 2;
}

int main(int argc, char **argv)
{
    uint64_t iters, sha_mib;
    size_t sha_len;
    char image[4096];
    const char *prog = argv[0];
    uint64_t insns = 0, g, n = 0;
    uint32_t native_out[8], guest_out[8];
    Stamp t0;
    double tg, tn, cg, cn;
    double times_g[MAX_RUNS], times_n[MAX_RUNS], cpu_g[MAX_RUNS], cpu_n[MAX_RUNS];
    int runs = 5;
    StrBuf sb = { 0 };

    for (;;) {
        if (argc > 1 && !strcmp(argv[1], "--uncached")) {
            uncached = true;
            argc--;
            argv++;
        } else if (argc > 1 && !strcmp(argv[1], "--no-jit")) {
            /* the interpreter alone (-accel tcg,jit=off) */
            tcg_set_jit_enabled(false);
            argc--;
            argv++;
        } else if (argc > 2 && !strcmp(argv[1], "--runs")) {
            runs = atoi(argv[2]);
            if (runs < 1 || runs > MAX_RUNS) {
                fprintf(stderr, "mips: --runs: 1 to %d\n", MAX_RUNS);
                return 1;
            }
            argc -= 2;
            argv += 2;
        } else {
            break;
        }
    }
    iters = argc > 1 ? strtoull(argv[1], NULL, 0) : 150000000;
    /* 4 MiB: the native run must outlast scheduler noise (~15 ms). */
    sha_mib = argc > 2 ? strtoull(argv[2], NULL, 0) : 4;
    sha_len = sha_mib * MiB;
    /* guest.bin sits next to this program. */
    snprintf(image, sizeof(image), "%s", prog);
    if (strrchr(image, '/')) {
        *strrchr(image, '/') = 0;
    } else {
        strcpy(image, ".");
    }
    strcat(image, "/guest.bin");
    machine_init(image);

    /* Integer loop: every guest run's result is checked against native. */
    n = bench_loop(iters);
    for (int i = 0; i < runs; i++) {
        t0 = now();
        g = guest_call(GUEST_BENCH_LOOP, iters, 0, 0, &insns);
        elapsed(t0, &times_g[i], &cpu_g[i]);
        if (g != n) {
            fprintf(stderr, "mips: loop result differs: guest %#" PRIx64
                    " native %#" PRIx64 "\n", g, n);
            return 1;
        }
        t0 = now();
        g = bench_loop(iters);
        elapsed(t0, &times_n[i], &cpu_n[i]);
        if (g != n) {
            fprintf(stderr, "mips: native loop result is not stable\n");
            return 1;
        }
    }
    tg = median(times_g, runs);
    tn = median(times_n, runs);
    cg = median(cpu_g, runs);
    cn = median(cpu_n, runs);
    printf("loop:   %" PRIu64 " guest insns in %.3f s = %.1f MIPS; "
           "native %.3f s; slowdown %.1fx (median of %d, wall clock)\n"
           "        cpu time: guest %.3f s = %.1f MIPS; native %.3f s; "
           "slowdown %.1fx\n",
           insns, tg, insns / tg / 1e6, tn, tg / tn, runs,
           cg, insns / cg / 1e6, cn, cg / cn);

    /* SHA-256 over a buffer: the same bytes for every run. */
    if (DATA + sha_len > RAM_SIZE) {
        fprintf(stderr, "mips: sha256 buffer too large\n");
        return 1;
    }
    for (size_t i = 0; i < sha_len; i++) {
        host[DATA + i] = (uint8_t)(i * 131 + (i >> 9));
    }
    bench_sha256(host + DATA, sha_len, native_out);
    for (int i = 0; i < runs; i++) {
        memset(host + OUTPUT, 0, sizeof(guest_out));
        t0 = now();
        guest_call(GUEST_BENCH_SHA256, DATA, sha_len, OUTPUT, &insns);
        elapsed(t0, &times_g[i], &cpu_g[i]);
        memcpy(guest_out, host + OUTPUT, sizeof(guest_out));
        if (memcmp(guest_out, native_out, sizeof(guest_out))) {
            fprintf(stderr, "mips: sha256 differs from native\n");
            return 1;
        }
        t0 = now();
        bench_sha256(host + DATA, sha_len, guest_out);
        elapsed(t0, &times_n[i], &cpu_n[i]);
        if (memcmp(guest_out, native_out, sizeof(guest_out))) {
            fprintf(stderr, "mips: native sha256 is not stable\n");
            return 1;
        }
    }
    tg = median(times_g, runs);
    tn = median(times_n, runs);
    cg = median(cpu_g, runs);
    cn = median(cpu_n, runs);
    printf("sha256: %" PRIu64 " MiB, %" PRIu64 " guest insns in %.3f s = %.1f MIPS; "
           "native %.4f s; slowdown %.1fx (median of %d, wall clock)\n"
           "        cpu time: guest %.3f s = %.1f MIPS; native %.4f s; "
           "slowdown %.1fx\n",
           sha_mib, insns, tg, insns / tg / 1e6, tn, tg / tn, runs,
           cg, insns / cg / 1e6, cn, cg / cn);

    strbuf_append(&sb, "");
    tcg_dump_info(&sb);
    printf("\n%s", sb.str);
    strbuf_free(&sb);
    return 0;
}
