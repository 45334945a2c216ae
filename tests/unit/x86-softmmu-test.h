/*
 * A small machine for the softmmu and TB cache tests: RAM at 0 in a
 * private address space, an MMIO region that records its accesses, and
 * one CPUX86State with a softmmu over it.
 */
#ifndef TESTS_UNIT_X86_SOFTMMU_TEST_H
#define TESTS_UNIT_X86_SOFTMMU_TEST_H

#include "test.h"
#include "target/x86/cpu.h"
#include "target/x86/mmu.h"
#include "accel/tcg/cpu-exec.h"
#include "accel/tcg/cputlb.h"
#include "memory/memory.h"
#include "memory/ram_addr.h"

#define TM_RAM_SIZE (8 * MiB)
#define TM_MMIO_BASE 0x10000000ULL
#define TM_MMIO_SIZE 0x1000ULL

typedef struct TestMachine {
    MemoryRegion root, ram, mmio;
    AddressSpace as;
    CPUX86State env;
    uint8_t *host;
    /* The last MMIO access. */
    int mmio_reads, mmio_writes;
    uint64_t mmio_addr, mmio_value;
    unsigned mmio_size;
} TestMachine;

static TestMachine TM;

static uint64_t tm_mmio_read(void *opaque, hwaddr addr, unsigned size)
{
    TestMachine *m = opaque;
    m->mmio_reads++;
    m->mmio_addr = addr;
    m->mmio_size = size;
    return size == 8 ? 0x1122334455667788ULL
                     : 0x1122334455667788ULL & ((1ULL << (8 * size)) - 1);
}

static void tm_mmio_write(void *opaque, hwaddr addr, uint64_t value,
                          unsigned size)
{
    TestMachine *m = opaque;
    m->mmio_writes++;
    m->mmio_addr = addr;
    m->mmio_size = size;
    m->mmio_value = value;
}

static const MemoryRegionOps tm_mmio_ops = {
    .read = tm_mmio_read,
    .write = tm_mmio_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8 },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

static int tm_setup(void **state)
{
    TestMachine *m = &TM;

    memset(m, 0, sizeof(*m));
    memory_region_init(&m->root, NULL, "root", UINT64_MAX);
    assert_true(memory_region_init_ram(&m->ram, NULL, "ram", TM_RAM_SIZE, NULL));
    memory_region_init_io(&m->mmio, NULL, &tm_mmio_ops, m, "mmio", TM_MMIO_SIZE);
    memory_region_add_subregion(&m->root, 0, &m->ram);
    memory_region_add_subregion(&m->root, TM_MMIO_BASE, &m->mmio);
    address_space_init(&m->as, &m->root, "test");
    m->host = memory_region_get_ram_ptr(&m->ram);
    x86_softmmu_init(&m->env, &m->as, NULL);
    return 0;
}

static int tm_teardown(void **state)
{
    TestMachine *m = &TM;

    x86_softmmu_cleanup(&m->env);
    memory_region_del_subregion(&m->root, &m->mmio);
    memory_region_del_subregion(&m->root, &m->ram);
    address_space_destroy(&m->as);
    memory_region_finalize(&m->mmio);
    memory_region_finalize(&m->ram);
    memory_region_finalize(&m->root);
    urcu_bp_barrier();
    return 0;
}

/* Guest physical memory, written behind the CPU's back (as a test
 * harness does, not as DMA: no invalidation). */
static inline void phys_wq(uint64_t pa, uint64_t v) { memcpy(TM.host + pa, &v, 8); }
static inline void phys_wl(uint64_t pa, uint32_t v) { memcpy(TM.host + pa, &v, 4); }
static inline uint64_t phys_rq(uint64_t pa) { uint64_t v; memcpy(&v, TM.host + pa, 8); return v; }
static inline uint32_t phys_rl(uint64_t pa) { uint32_t v; memcpy(&v, TM.host + pa, 4); return v; }

#endif
