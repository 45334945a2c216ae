/*
 * Differential testing of the x86 software CPU against the host CPU.
 *
 * The same instruction bytes run natively (in an executable page, between
 * a trampoline that loads every GPR but RSP and RFLAGS from a struct and
 * stores them back) and in the emulator, from the same state.  Guest
 * linear addresses are host addresses: the test RAM maps a data buffer
 * and the code page at their own host addresses, so pointer registers
 * mean the same thing on both sides and memory forms compare by buffer.
 */
#ifndef TESTS_UNIT_X86_DIFF_H
#define TESTS_UNIT_X86_DIFF_H

#include "test.h"
#include <signal.h>
#include <sys/mman.h>
#include "target/x86/cpu.h"
#include "target/x86/decode.h"
#include "accel/tcg/cpu-exec.h"

typedef struct HostState {
    uint64_t regs[16];
    uint64_t rflags;
} HostState;

/* ---- native side ---------------------------------------------------- */
/*
 * native_run loads the state (RSP too: the code runs on a private stack
 * inside the test buffer), jumps to native_code, which ends with an
 * absolute jump back to native_return, and stores the state again.
 */
void *native_code;
uint64_t native_host_rsp, native_guest_rsp;
void native_run(HostState *s);
void native_return(void);
__asm__(
    ".text\n"
    ".globl native_run\n"
    "native_run:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  push %rdi\n"
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
    ".globl native_return\n"
    "native_return:\n"
    "  mov %rsp, native_guest_rsp(%rip)\n"
    "  mov native_host_rsp(%rip), %rsp\n"
    "  pushfq\n"
    "  xchg %rdi, 8(%rsp)\n"
    "  mov %rax, 0(%rdi)\n mov %rcx, 8(%rdi)\n mov %rdx, 16(%rdi)\n"
    "  mov %rbx, 24(%rdi)\n mov %rbp, 40(%rdi)\n mov %rsi, 48(%rdi)\n"
    "  mov %r8, 64(%rdi)\n mov %r9, 72(%rdi)\n mov %r10, 80(%rdi)\n"
    "  mov %r11, 88(%rdi)\n mov %r12, 96(%rdi)\n mov %r13, 104(%rdi)\n"
    "  mov %r14, 112(%rdi)\n mov %r15, 120(%rdi)\n"
    "  mov native_guest_rsp(%rip), %rax\n mov %rax, 32(%rdi)\n"
    "  pop %rax\n mov %rax, 128(%rdi)\n"
    "  pop %rax\n mov %rax, 56(%rdi)\n"
    "  cld\n"
    "  pop %r15\n pop %r14\n pop %r13\n pop %r12\n pop %rbp\n pop %rbx\n"
    "  ret\n");

/*
 * 32-bit (compatibility mode) variant: DS/ES get the flat user data
 * selector (a null DS faults outside 64-bit mode), then a far jump to
 * native_far32 = {code, 0x23}.  The code ends with a far jump to a 64-bit
 * stub that jumps to native_return; DS/ES go back to null afterwards.
 * Linux's selectors: 0x23 is the 32-bit user code segment, 0x2b user data.
 */
struct { uint32_t offset; uint16_t selector; } __attribute__((packed)) native_far32;
void native_run32(HostState *s);
__asm__(
    ".text\n"
    ".globl native_run32\n"
    "native_run32:\n"
    "  push %rbx\n push %rbp\n push %r12\n push %r13\n push %r14\n push %r15\n"
    "  push %rdi\n"
    "  mov $0x2b, %eax\n mov %eax, %ds\n mov %eax, %es\n"
    "  pushq 128(%rdi)\n popfq\n"
    "  mov %rsp, native_host_rsp(%rip)\n"
    "  mov 0(%rdi), %rax\n mov 8(%rdi), %rcx\n mov 16(%rdi), %rdx\n"
    "  mov 24(%rdi), %rbx\n mov 40(%rdi), %rbp\n mov 48(%rdi), %rsi\n"
    "  mov 32(%rdi), %rsp\n"
    "  mov 56(%rdi), %rdi\n"
    "  ljmpl *native_far32(%rip)\n");

static sigjmp_buf native_fault_jmp;
static volatile int native_fault_sig;

static void native_fault_handler(int sig)
{
    native_fault_sig = sig;
    siglongjmp(native_fault_jmp, 1);
}

/* Run code natively; returns 0, or the signal it raised (SIGFPE: #DE;
 * SIGSEGV only in 32-bit mode, where the kernel may lack IA-32 support). */
static int run_native(HostState *s, bool mode32)
{
    /* The guest RSP may point anywhere: take the signal on our own stack. */
    static uint8_t altstack[64 * 1024];
    stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
    struct sigaction sa = { .sa_handler = native_fault_handler,
                            .sa_flags = SA_ONSTACK }, old_fpe, old_segv;
    int ret = 0;

    sigaltstack(&ss, NULL);
    sigemptyset(&sa.sa_mask);
    sigaction(SIGFPE, &sa, &old_fpe);
    if (mode32) {
        sigaction(SIGSEGV, &sa, &old_segv);
    }
    native_fault_sig = 0;
    if (sigsetjmp(native_fault_jmp, 1)) {
        ret = native_fault_sig;
    } else if (mode32) {
        native_run32(s);
    } else {
        native_run(s);
    }
    if (mode32) {
        /* back to the null selectors a 64-bit Linux process runs with */
        __asm__ volatile("mov %0, %%ds\n mov %0, %%es" : : "r"(0));
        sigaction(SIGSEGV, &old_segv, NULL);
    }
    sigaction(SIGFPE, &old_fpe, NULL);
    return ret;
}

/* ---- emulator side: RAM windows at host addresses -------------------- */
typedef struct RamWindow {
    uint8_t *host;
    size_t size;
} RamWindow;

typedef struct TestMem {
    RamWindow win[2];
} TestMem;

static uint8_t *test_mem_find(CPUX86State *env, uint64_t addr, size_t len)
{
    TestMem *m = env->mem_opaque;
    for (int i = 0; i < 2; i++) {
        uint64_t b = (uintptr_t)m->win[i].host;
        if (m->win[i].host && addr >= b && addr - b <= m->win[i].size &&
            len <= m->win[i].size - (addr - b)) {
            return m->win[i].host + (addr - b);
        }
    }
    return NULL;
}

static uint64_t test_mem_load(CPUX86State *env, uint64_t addr, int size,
                              MMUAccessType access)
{
    uint8_t *p;
    uint64_t v = 0;

    addr = x86_seg_untag(env, addr, size, access);
    p = test_mem_find(env, addr, size);
    if (!p) {
        env->cr[2] = addr;
        raise_exception_err(env, EXCP0E_PAGE, access == MMU_INST_FETCH ? 0x10 : 0);
    }
    memcpy(&v, p, size);
    return v;
}

static void test_mem_store(CPUX86State *env, uint64_t addr, uint64_t val, int size)
{
    uint8_t *p;

    addr = x86_seg_untag(env, addr, size, MMU_DATA_STORE);
    p = test_mem_find(env, addr, size);
    if (!p) {
        env->cr[2] = addr;
        raise_exception_err(env, EXCP0E_PAGE, 2);
    }
    memcpy(p, &val, size);
}

static int test_mem_fetch(CPUX86State *env, uint64_t addr, uint8_t *buf, int len)
{
    int n = 0;
    while (n < len && test_mem_find(env, addr + n, 1)) {
        buf[n] = *test_mem_find(env, addr + n, 1);
        n++;
    }
    return n;
}

static const X86MemOps test_mem_ops = {
    .load = test_mem_load,
    .store = test_mem_store,
    .fetch_code = test_mem_fetch,
};

/* ---- random values with edges mixed in ------------------------------ */
static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t rnd(void)
{
    /* xorshift64*: reproducible across runs */
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dULL;
}

static uint64_t rnd_value(void)
{
    static const uint64_t edges[] = {
        0, 1, 2, ~0ULL, 0x80, 0x7f, 0xff, 0x8000, 0x7fff, 0xffff,
        0x80000000, 0x7fffffff, 0xffffffff, 0x8000000000000000ULL,
        0x7fffffffffffffffULL, 0x100000000ULL, 0xffffffff80000000ULL,
        0xff80, 0xffffff80, 0x7f7f7f7f7f7f7f7fULL, 0x1f, 0x20, 0x3f, 0x40,
    };
    uint64_t r = rnd();
    switch (r & 7) {
    case 0:
    case 1:
        return edges[(r >> 8) % ARRAY_SIZE(edges)];
    case 2:
        return (rnd() & 0xff) | (edges[(r >> 8) % ARRAY_SIZE(edges)] & ~0xffULL);
    case 3:
        return rnd() & 0xff;
    default:
        return rnd();
    }
}

#endif
