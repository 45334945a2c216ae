/*
 * Flat test RAM for x86 unit tests: linear == physical, RAM at 0, a #PF
 * (CR2 set) for anything beyond it.  Include once per test binary.
 */
#ifndef X86_TEST_RAM_H
#define X86_TEST_RAM_H

#include "target/x86/cpu.h"

#ifndef TEST_RAM_SIZE
#define TEST_RAM_SIZE (2 * MiB)
#endif

static uint8_t *test_ram;

static uint64_t test_ram_load(CPUX86State *env, uint64_t addr, int size,
                              MMUAccessType access)
{
    uint64_t v = 0;

    addr = x86_seg_untag(env, addr, size, access);
    if (addr >= TEST_RAM_SIZE || TEST_RAM_SIZE - addr < (uint64_t)size) {
        env->cr[2] = addr;
        raise_exception_err(env, EXCP0E_PAGE, access == MMU_INST_FETCH ? 0x10 : 0);
    }
    memcpy(&v, test_ram + addr, size);
    return v;
}

static void test_ram_store(CPUX86State *env, uint64_t addr, uint64_t val, int size)
{
    addr = x86_seg_untag(env, addr, size, MMU_DATA_STORE);
    addr = x86_seg_untag(env, addr, size, MMU_DATA_STORE);
    if (addr >= TEST_RAM_SIZE || TEST_RAM_SIZE - addr < (uint64_t)size) {
        env->cr[2] = addr;
        raise_exception_err(env, EXCP0E_PAGE, 2);
    }
    memcpy(test_ram + addr, &val, size);
}

static int test_ram_fetch(CPUX86State *env, uint64_t addr, uint8_t *buf, int len)
{
    if (addr >= TEST_RAM_SIZE) {
        return 0;
    }
    len = MIN((uint64_t)len, TEST_RAM_SIZE - addr);
    memcpy(buf, test_ram + addr, len);
    return len;
}

static const X86MemOps test_ram_ops = { test_ram_load, test_ram_store,
                                        test_ram_fetch };

static inline void ram_put(uint64_t addr, const void *p, size_t n)
{
    memcpy(test_ram + addr, p, n);
}

static inline void ram_put64(uint64_t addr, uint64_t v)
{
    memcpy(test_ram + addr, &v, 8);
}

static inline uint64_t ram_get(uint64_t addr, int size)
{
    uint64_t v = 0;
    memcpy(&v, test_ram + addr, size);
    return v;
}

#endif
