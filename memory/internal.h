/*
 * Shared between the files of memory/, not part of the public API.
 */
#ifndef MEMORY_INTERNAL_H
#define MEMORY_INTERNAL_H

#include "memory/memory.h"
#include "memory/ram_addr.h"

QTAILQ_HEAD(AddressSpaceList, AddressSpace);
/* Every initialised address space, in creation order (writer side). */
extern struct AddressSpaceList address_spaces;

/* Stands for the holes of a FlatView: reads all-ones, writes dropped. */
extern MemoryRegion io_mem_unassigned;

/* Count a guest mistake and print it when -d guest_errors is on. */
void memory_guest_error(const char *fmt, ...) PRINTF_FMT(1, 2);

/*
 * Give mr a RAMBlock of `size` bytes over host memory `host` (mapped by the
 * caller, max_length bytes), with a fresh range of ram addresses.
 */
RAMBlock *ram_block_add(MemoryRegion *mr, void *host, uint64_t size,
                        uint64_t max_length, int fd, bool own_fd);
/* Unpublish the block, wait for readers, then unmap and free it. */
void ram_block_remove(RAMBlock *block);

static inline Int128 int128_2_64(void)
{
    return (Int128)1 << 64;
}

#endif
