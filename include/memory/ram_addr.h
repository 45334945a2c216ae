/*
 * RAM blocks and their dirty bitmaps.
 *
 * Every RAM region owns one RAMBlock: its host memory and its place in a
 * single "ram address" space (ram_addr_t) that numbers all guest RAM, as
 * QEMU's does; the translator and migration speak ram addresses because
 * they do not change when a region moves in a guest address space.
 *
 * Each block has one bitmap per dirty client, one bit per 4 KiB page; bits
 * are set and cleared with atomic operations, since vCPU threads, DMA and
 * migration touch them at once.  A new block starts all dirty.
 *
 * DIRTY_MEMORY_CODE is inverted in meaning, as in QEMU: the translator
 * clears a page's bit when it translates code from it, and a write that
 * hits a clear page calls the code-write hook (tb_invalidate_phys_range)
 * instead of setting the bit; the translator sets it again
 * (cpu_physical_memory_set_dirty_flag) once the page holds no code.
 */
#ifndef MEMORY_RAM_ADDR_H
#define MEMORY_RAM_ADDR_H

#include "memory/memory.h"

struct RAMBlock {
    struct rcu_head rcu;
    MemoryRegion *mr;
    uint8_t *host;
    ram_addr_t offset;       /* in the ram address space */
    ram_addr_t used_length;
    ram_addr_t max_length;   /* the mapping's size */
    int fd;                  /* backing file, or -1 */
    bool own_fd;             /* opened by us: closed with the block */
    unsigned long *bmap[DIRTY_MEMORY_NUM];
    char idstr[256];
};

/* The block holding ram address `addr`, or NULL.  RCU read side only. */
RAMBlock *qemu_get_ram_block(ram_addr_t addr);
/* The block whose host memory holds ptr; *offset is ptr's offset in it. */
RAMBlock *qemu_ram_block_from_host(void *ptr, ram_addr_t *offset);
/* Total span of the ram address space in use (highest end). */
ram_addr_t last_ram_addr(void);

/*
 * Call func on every block in ram address order, inside an RCU read-side
 * critical section; stops at the first non-zero return and returns it.
 */
typedef int RAMBlockIterFunc(RAMBlock *block, void *opaque);
int qemu_ram_foreach_block(RAMBlockIterFunc func, void *opaque);
/* The block named idstr, or NULL.  RCU read side only. */
RAMBlock *qemu_ram_block_by_name(const char *name);

/* Any page in [start, start + length) dirty for client? */
bool cpu_physical_memory_get_dirty(ram_addr_t start, ram_addr_t length,
                                   unsigned client);
/* Every page in the range dirty for client? */
bool cpu_physical_memory_all_dirty(ram_addr_t start, ram_addr_t length,
                                   unsigned client);
bool cpu_physical_memory_get_dirty_flag(ram_addr_t addr, unsigned client);
void cpu_physical_memory_set_dirty_flag(ram_addr_t addr, unsigned client);
/* Set the pages' bits for every client in mask (1 << DIRTY_MEMORY_x). */
void cpu_physical_memory_set_dirty_range(ram_addr_t start, ram_addr_t length,
                                         uint8_t mask);
/* Clear the pages' bits for client; true if any was set. */
bool cpu_physical_memory_test_and_clear_dirty(ram_addr_t start,
                                              ram_addr_t length,
                                              unsigned client);

/* Region-relative forms of the above. */
bool memory_region_get_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                             unsigned client);
void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size);
bool memory_region_test_and_clear_dirty(MemoryRegion *mr, hwaddr addr,
                                        hwaddr size, unsigned client);

/*
 * What a write into RAM outside the TLB fast path does: call the code
 * write hook when a page in the range holds code, and mark the range dirty
 * for the other clients.  `addr` is an offset in mr.
 */
void invalidate_and_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr length);

/*
 * Installed by the translator: called with [start, end) in ram addresses
 * (end exclusive) when a write hits a page whose CODE bit is clear.
 * Without a hook nothing holds code, and writes set CODE bits as well.
 */
typedef void CodeWriteHook(ram_addr_t start, ram_addr_t end);
void memory_set_code_write_hook(CodeWriteHook *hook);

#endif
