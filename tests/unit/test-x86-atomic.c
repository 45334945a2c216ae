/*
 * LOCK-prefixed instructions are atomic across vCPU threads, also with
 * respect to other vCPUs' plain stores.  Two CPUs run on two host threads
 * over one flat RAM: a spinlock taken with LOCK BTS and released with a
 * plain MOV (SeaBIOS's SMPLock, Linux's spinlocks), counters updated with
 * LOCK ADD / XADD / CMPXCHG / CMPXCHG16B.  A lost update shows as a wrong
 * count; a lost release as both CPUs spinning until their budget runs out.
 */
#include "test.h"
#include <pthread.h>
#include "accel/tcg/cpu-exec.h"
#include "x86-test-ram.h"

#define CODE    0x1000
#define LOCK    0x10000      /* the spinlock word */
#define COUNTER 0x10040      /* a counter, in its own cache line */
#define PAIR    0x10080      /* 16-byte aligned, for CMPXCHG16B */
#define ITERS   100000
#define BUDGET  (60 * 1000 * 1000)

static void *test_ram_host_rmw(CPUX86State *env, uint64_t addr, int size)
{
    addr = x86_seg_untag(env, addr, size, MMU_DATA_STORE);
    if (addr >= TEST_RAM_SIZE || TEST_RAM_SIZE - addr < (uint64_t)size) {
        return NULL;    /* the load that follows raises the #PF */
    }
    return test_ram + addr;
}

static const X86MemOps atomic_ram_ops = {
    test_ram_load, test_ram_store, test_ram_fetch, test_ram_host_rmw
};

typedef struct VCPU {
    CPUX86State env;
    const X86MemOps *ops;
    pthread_t thread;
    uint64_t stack;
    int ret;
} VCPU;

static pthread_barrier_t start_line;

static void *vcpu_run(void *opaque)
{
    VCPU *c = opaque;
    CPUX86State *env = &c->env;

    x86_cpu_reset(env);
    env->mem_ops = c->ops;
    x86_cpu_set_long_mode_flat(env, 0);
    env->rip = CODE;
    env->regs[R_ESP] = c->stack;
    env->regs[R_ESI] = LOCK;
    env->regs[R_EDI] = COUNTER;
    env->regs[R_EBP] = PAIR;
    env->regs[R_ECX] = ITERS;
    env->icount_budget = BUDGET;
    pthread_barrier_wait(&start_line);   /* both run at once */
    c->ret = cpu_exec(env);
    return NULL;
}

/* Run code on two CPUs at once; both must reach HLT. */
static void run_two(const uint8_t *code, size_t len, const X86MemOps *ops)
{
    VCPU cpus[2];

    memset(test_ram, 0, TEST_RAM_SIZE);
    memcpy(test_ram + CODE, code, len);
    memset(cpus, 0, sizeof(cpus));
    pthread_barrier_init(&start_line, NULL, 2);
    for (int i = 0; i < 2; i++) {
        cpus[i].ops = ops;
        cpus[i].stack = 0x8000 + 0x1000 * i;
        assert_int_equal(pthread_create(&cpus[i].thread, NULL, vcpu_run,
                                        &cpus[i]), 0);
    }
    for (int i = 0; i < 2; i++) {
        pthread_join(cpus[i].thread, NULL);
    }
    pthread_barrier_destroy(&start_line);
    for (int i = 0; i < 2; i++) {
        assert_int_equal(cpus[i].ret, EXCP_HLT);
    }
}

/*
 * top: lock bts dword [rsi], 0 ; jc top
 *      mov eax, [rdi] ; add eax, 1 ; mov [rdi], eax     (not atomic)
 *      mov dword [rsi], 0                               (plain release)
 *      dec ecx ; jnz top ; hlt
 */
static const uint8_t spinlock_code[] = {
    0xf0, 0x0f, 0xba, 0x2e, 0x00,
    0x72, 0xf9,
    0x8b, 0x07,
    0x83, 0xc0, 0x01,
    0x89, 0x07,
    0xc7, 0x06, 0x00, 0x00, 0x00, 0x00,
    0xff, 0xc9,
    0x75, 0xe8,
    0xf4,
};

static void test_spinlock_with_plain_release(void **state)
{
    (void)state;
    /* Several rounds: the race needs both threads on a host CPU at once. */
    for (int round = 0; round < 3; round++) {
        run_two(spinlock_code, sizeof(spinlock_code), &atomic_ram_ops);
        assert_int_equal(ram_get(COUNTER, 4), 2 * ITERS);
        assert_int_equal(ram_get(LOCK, 4), 0);
    }
}

/*
 * The same with LOCK CMPXCHG to take the lock (Linux's queued spinlock
 * fast path):
 * top: xor eax, eax ; mov edx, 1 ; lock cmpxchg [rsi], edx ; jnz top
 *      mov eax, [rdi] ; inc eax ; mov [rdi], eax
 *      mov byte [rsi], 0 ; dec ecx ; jnz top ; hlt
 */
static const uint8_t cmpxchg_lock_code[] = {
    0x31, 0xc0,
    0xba, 0x01, 0x00, 0x00, 0x00,
    0xf0, 0x0f, 0xb1, 0x16,
    0x75, 0xf3,
    0x8b, 0x07,
    0xff, 0xc0,
    0x89, 0x07,
    0xc6, 0x06, 0x00,
    0xff, 0xc9,
    0x75, 0xe6,
    0xf4,
};

static void test_cmpxchg_lock_with_plain_release(void **state)
{
    (void)state;
    run_two(cmpxchg_lock_code, sizeof(cmpxchg_lock_code), &atomic_ram_ops);
    assert_int_equal(ram_get(COUNTER, 4), 2 * ITERS);
}

/*
 * top: lock add dword [rdi], 1 ; mov eax, 1 ; lock xadd [rdi+4], eax
 *      dec ecx ; jnz top ; hlt
 */
static const uint8_t counters_code[] = {
    0xf0, 0x83, 0x07, 0x01,
    0xb8, 0x01, 0x00, 0x00, 0x00,
    0xf0, 0x0f, 0xc1, 0x47, 0x04,
    0xff, 0xc9,
    0x75, 0xee,
    0xf4,
};

static void test_lock_add_and_xadd_lose_nothing(void **state)
{
    (void)state;
    run_two(counters_code, sizeof(counters_code), &atomic_ram_ops);
    assert_int_equal(ram_get(COUNTER, 4), 2 * ITERS);
    assert_int_equal(ram_get(COUNTER + 4, 4), 2 * ITERS);
}

/*
 * A 128-bit counter, both halves bumped by one CMPXCHG16B:
 * top: mov rax, [rbp] ; mov rdx, [rbp+8]
 * retry: lea rbx, [rax+1] ; lea rcx, [rdx+1]
 *      lock cmpxchg16b [rbp] ; jnz retry   (rdx:rax now hold memory)
 *      dec esi ; jnz top ; hlt
 */
static const uint8_t cmpxchg16b_code[] = {
    0x48, 0x8b, 0x45, 0x00,
    0x48, 0x8b, 0x55, 0x08,
    0x48, 0x8d, 0x58, 0x01,
    0x48, 0x8d, 0x4a, 0x01,
    0xf0, 0x48, 0x0f, 0xc7, 0x4d, 0x00,
    0x75, 0xf0,
    0xff, 0xce,
    0x75, 0xe4,
    0xf4,
};

static void test_cmpxchg16b_loses_nothing(void **state)
{
    uint8_t code[sizeof(cmpxchg16b_code) + 5];

    (void)state;
    /* mov esi, ITERS first (rsi is the loop counter here) */
    code[0] = 0xbe;
    uint32_t n = ITERS;
    memcpy(code + 1, &n, 4);
    memcpy(code + 5, cmpxchg16b_code, sizeof(cmpxchg16b_code));
    memset(test_ram, 0, TEST_RAM_SIZE);
    run_two(code, sizeof(code), &atomic_ram_ops);
    assert_int_equal(ram_get(PAIR, 8), 2 * ITERS);
    assert_int_equal(ram_get(PAIR + 8, 8), 2 * ITERS);
}

/* Memory ops without host_rmw serialise locked instructions instead:
 * still right for counters updated only by locked instructions. */
static void test_serialised_fallback(void **state)
{
    (void)state;
    run_two(counters_code, sizeof(counters_code), &test_ram_ops);
    assert_int_equal(ram_get(COUNTER, 4), 2 * ITERS);
    assert_int_equal(ram_get(COUNTER + 4, 4), 2 * ITERS);
}

/* A locked instruction that faults leaves mem_ops as they were. */
static void test_fault_restores_mem_ops(void **state)
{
    /* lock inc dword [rdi] with rdi beyond RAM */
    static const uint8_t code[] = { 0xf0, 0xff, 0x07, 0xf4 };
    CPUX86State *env = xzalloc(sizeof(*env));

    (void)state;
    memset(test_ram, 0, TEST_RAM_SIZE);
    memcpy(test_ram + CODE, code, sizeof(code));
    x86_cpu_reset(env);
    env->mem_ops = &atomic_ram_ops;
    x86_cpu_set_long_mode_flat(env, 0);
    env->rip = CODE;
    env->regs[R_EDI] = TEST_RAM_SIZE + 0x100;
    env->icount_budget = 10;
    assert_int_equal(cpu_exec(env), EXCP0E_PAGE);
    assert_ptr_equal(env->mem_ops, &atomic_ram_ops);
    assert_int_equal(env->atomic_held, 0);
    assert_int_equal(env->rip, CODE);
    free(env);
}

static int setup(void **state)
{
    (void)state;
    test_ram = xzalloc(TEST_RAM_SIZE);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    free(test_ram);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_spinlock_with_plain_release),
        cmocka_unit_test(test_cmpxchg_lock_with_plain_release),
        cmocka_unit_test(test_lock_add_and_xadd_lose_nothing),
        cmocka_unit_test(test_cmpxchg16b_loses_nothing),
        cmocka_unit_test(test_serialised_fallback),
        cmocka_unit_test(test_fault_restores_mem_ops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
