/*
 * RAM blocks: host memory of RAM regions, their ram addresses, and their
 * dirty bitmaps.
 *
 * The list of blocks is an immutable array sorted by ram address,
 * replaced as a whole (under ram_list_lock) when a block comes or goes and
 * read under RCU, so vCPU threads find a block without a lock.
 */
#include "internal.h"
#include <pthread.h>
#include <sys/mman.h>

#define BITS_PER_LONG (sizeof(unsigned long) * 8)

typedef struct RAMList {
    struct rcu_head rcu;
    unsigned nr;
    RAMBlock *blocks[];
} RAMList;

static RAMList *ram_list;           /* RCU-protected */
static pthread_mutex_t ram_list_lock = PTHREAD_MUTEX_INITIALIZER;
static CodeWriteHook *code_write_hook;

static RAMList *ram_list_new(unsigned nr)
{
    RAMList *list = xzalloc(sizeof(*list) + nr * sizeof(RAMBlock *));
    list->nr = nr;
    return list;
}

static void ram_list_free_rcu(struct rcu_head *head)
{
    free(container_of(head, RAMList, rcu));
}

static void ram_list_publish(RAMList *new_list)
{
    RAMList *old = ram_list;
    rcu_assign_pointer(ram_list, new_list);
    if (old) {
        urcu_bp_call_rcu(&old->rcu, ram_list_free_rcu);
    }
}

/* First gap in the ram address space that fits size; QEMU's find_ram_offset. */
static ram_addr_t find_ram_offset(const RAMList *list, uint64_t size)
{
    ram_addr_t candidate = 0;

    for (unsigned i = 0; list && i < list->nr; i++) {
        const RAMBlock *b = list->blocks[i];
        if (candidate + size <= b->offset) {
            break;
        }
        candidate = MAX(candidate,
                        ALIGN_UP(b->offset + b->max_length, TARGET_PAGE_SIZE));
    }
    return candidate;
}

RAMBlock *ram_block_add(MemoryRegion *mr, void *host, uint64_t size,
                        uint64_t max_length, int fd, bool own_fd)
{
    RAMBlock *block = xnew(RAMBlock);
    uint64_t pages = DIV_ROUND_UP(max_length, TARGET_PAGE_SIZE);
    size_t words = DIV_ROUND_UP(pages, BITS_PER_LONG);

    block->mr = mr;
    block->host = host;
    block->used_length = size;
    block->max_length = max_length;
    block->fd = fd;
    block->own_fd = own_fd;
    snprintf(block->idstr, sizeof(block->idstr), "%s", mr->name);
    /* New memory is dirty for everyone, and holds no translated code. */
    for (int i = 0; i < DIRTY_MEMORY_NUM; i++) {
        block->bmap[i] = xnew_array(unsigned long, words);
        memset(block->bmap[i], 0xff, words * sizeof(unsigned long));
    }

    pthread_mutex_lock(&ram_list_lock);
    RAMList *old = ram_list;
    unsigned nr = old ? old->nr : 0, j = 0;
    RAMList *list = ram_list_new(nr + 1);
    block->offset = find_ram_offset(old, ALIGN_UP(max_length,
                                                  TARGET_PAGE_SIZE));
    for (unsigned i = 0; i < nr; i++) {
        if (j == i && old->blocks[i]->offset > block->offset) {
            list->blocks[j++] = block;
        }
        list->blocks[j++] = old->blocks[i];
    }
    if (j == nr) {
        list->blocks[j] = block;
    }
    ram_list_publish(list);
    pthread_mutex_unlock(&ram_list_lock);
    return block;
}

void ram_block_remove(RAMBlock *block)
{
    pthread_mutex_lock(&ram_list_lock);
    RAMList *old = ram_list;
    RAMList *list = ram_list_new(old->nr - 1);
    unsigned j = 0;
    for (unsigned i = 0; i < old->nr; i++) {
        if (old->blocks[i] != block) {
            assert(j < list->nr);
            list->blocks[j++] = old->blocks[i];
        }
    }
    assert(j == list->nr);
    ram_list_publish(list);
    pthread_mutex_unlock(&ram_list_lock);

    /* Readers may still hold the block; wait for them. */
    urcu_bp_synchronize_rcu();
    munmap(block->host, block->max_length);
    if (block->own_fd && block->fd >= 0) {
        close(block->fd);
    }
    for (int i = 0; i < DIRTY_MEMORY_NUM; i++) {
        free(block->bmap[i]);
    }
    free(block);
}

RAMBlock *qemu_get_ram_block(ram_addr_t addr)
{
    RAMList *list = rcu_dereference(ram_list);
    unsigned lo = 0, hi = list ? list->nr : 0;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        RAMBlock *b = list->blocks[mid];
        if (addr < b->offset) {
            hi = mid;
        } else if (addr - b->offset >= b->used_length) {
            lo = mid + 1;
        } else {
            return b;
        }
    }
    return NULL;
}

RAMBlock *qemu_ram_block_from_host(void *ptr, ram_addr_t *offset)
{
    RAMList *list = rcu_dereference(ram_list);
    uint8_t *p = ptr;

    for (unsigned i = 0; list && i < list->nr; i++) {
        RAMBlock *b = list->blocks[i];
        if (p >= b->host && p < b->host + b->max_length) {
            *offset = p - b->host;
            return b;
        }
    }
    return NULL;
}

ram_addr_t last_ram_addr(void)
{
    ram_addr_t last = 0;

    urcu_bp_read_lock();
    RAMList *list = rcu_dereference(ram_list);
    if (list && list->nr) {
        RAMBlock *b = list->blocks[list->nr - 1];
        last = b->offset + b->max_length;
    }
    urcu_bp_read_unlock();
    return last;
}

int qemu_ram_foreach_block(RAMBlockIterFunc func, void *opaque)
{
    int ret = 0;

    urcu_bp_read_lock();
    RAMList *list = rcu_dereference(ram_list);
    for (unsigned i = 0; list && i < list->nr && !ret; i++) {
        ret = func(list->blocks[i], opaque);
    }
    urcu_bp_read_unlock();
    return ret;
}

RAMBlock *qemu_ram_block_by_name(const char *name)
{
    RAMList *list = rcu_dereference(ram_list);

    for (unsigned i = 0; list && i < list->nr; i++) {
        if (!strcmp(list->blocks[i]->idstr, name)) {
            return list->blocks[i];
        }
    }
    return NULL;
}

/* --- Dirty bitmaps --------------------------------------------------- */

enum dirty_op {
    DIRTY_GET_ANY,
    DIRTY_GET_ALL,
    DIRTY_SET,
    DIRTY_TEST_AND_CLEAR,
};

/*
 * Apply op to the pages of [start, start + length) for the clients in
 * mask; pages outside any block are skipped.  Returns, for GET_ANY and
 * TEST_AND_CLEAR, whether any bit was set; for GET_ALL whether all were.
 */
static bool dirty_apply(ram_addr_t start, ram_addr_t length, uint8_t mask,
                        enum dirty_op op)
{
    bool any = false, all = true;
    RAMBlock *block = NULL;

    if (!length) {
        return op == DIRTY_GET_ALL;
    }
    ram_addr_t first = start >> TARGET_PAGE_BITS;
    ram_addr_t last = (start + length - 1) >> TARGET_PAGE_BITS;

    urcu_bp_read_lock();
    for (ram_addr_t page = first; page <= last; page++) {
        ram_addr_t addr = page << TARGET_PAGE_BITS;
        if (!block || addr < block->offset ||
            addr - block->offset >= block->used_length) {
            block = qemu_get_ram_block(addr);
            if (!block) {
                continue;
            }
        }
        uint64_t bit = (addr - block->offset) >> TARGET_PAGE_BITS;
        unsigned long bitmask = 1UL << (bit % BITS_PER_LONG);
        for (unsigned client = 0; client < DIRTY_MEMORY_NUM; client++) {
            if (!(mask & (1 << client))) {
                continue;
            }
            unsigned long *word = &block->bmap[client][bit / BITS_PER_LONG];
            unsigned long old;
            switch (op) {
            case DIRTY_GET_ANY:
            case DIRTY_GET_ALL:
                old = __atomic_load_n(word, __ATOMIC_RELAXED);
                break;
            case DIRTY_SET:
                /* Skip the locked op when already set: the common case. */
                old = __atomic_load_n(word, __ATOMIC_RELAXED);
                if (!(old & bitmask)) {
                    old = __atomic_fetch_or(word, bitmask, __ATOMIC_SEQ_CST);
                }
                break;
            case DIRTY_TEST_AND_CLEAR:
                old = __atomic_fetch_and(word, ~bitmask, __ATOMIC_SEQ_CST);
                break;
            default:
                abort();
            }
            if (old & bitmask) {
                any = true;
            } else {
                all = false;
            }
        }
        if (op == DIRTY_GET_ANY && any) {
            break;
        }
    }
    urcu_bp_read_unlock();
    return op == DIRTY_GET_ALL ? all : any;
}

bool cpu_physical_memory_get_dirty(ram_addr_t start, ram_addr_t length,
                                   unsigned client)
{
    return dirty_apply(start, length, 1 << client, DIRTY_GET_ANY);
}

bool cpu_physical_memory_all_dirty(ram_addr_t start, ram_addr_t length,
                                   unsigned client)
{
    return dirty_apply(start, length, 1 << client, DIRTY_GET_ALL);
}

bool cpu_physical_memory_get_dirty_flag(ram_addr_t addr, unsigned client)
{
    return cpu_physical_memory_get_dirty(addr, 1, client);
}

void cpu_physical_memory_set_dirty_flag(ram_addr_t addr, unsigned client)
{
    dirty_apply(addr, 1, 1 << client, DIRTY_SET);
}

void cpu_physical_memory_set_dirty_range(ram_addr_t start, ram_addr_t length,
                                         uint8_t mask)
{
    dirty_apply(start, length, mask, DIRTY_SET);
}

bool cpu_physical_memory_test_and_clear_dirty(ram_addr_t start,
                                              ram_addr_t length,
                                              unsigned client)
{
    return dirty_apply(start, length, 1 << client, DIRTY_TEST_AND_CLEAR);
}

bool memory_region_get_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size,
                             unsigned client)
{
    assert(mr->ram_block);
    return cpu_physical_memory_get_dirty(mr->ram_block->offset + addr, size,
                                         client);
}

void memory_region_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr size)
{
    assert(mr->ram_block);
    cpu_physical_memory_set_dirty_range(mr->ram_block->offset + addr, size,
                                        DIRTY_CLIENTS_NOCODE);
}

bool memory_region_test_and_clear_dirty(MemoryRegion *mr, hwaddr addr,
                                        hwaddr size, unsigned client)
{
    assert(mr->ram_block);
    return cpu_physical_memory_test_and_clear_dirty(
        mr->ram_block->offset + addr, size, client);
}

void memory_set_code_write_hook(CodeWriteHook *hook)
{
    __atomic_store_n(&code_write_hook, hook, __ATOMIC_RELEASE);
}

void invalidate_and_set_dirty(MemoryRegion *mr, hwaddr addr, hwaddr length)
{
    CodeWriteHook *hook = __atomic_load_n(&code_write_hook, __ATOMIC_ACQUIRE);
    uint8_t mask = DIRTY_CLIENTS_ALL;

    if (!mr->ram_block || !length) {
        return;
    }
    ram_addr_t start = mr->ram_block->offset + addr;
    /* Pages with code keep their CODE bit clear; the translator decides. */
    if (hook && !cpu_physical_memory_all_dirty(start, length,
                                               DIRTY_MEMORY_CODE)) {
        hook(start, start + length);
        mask &= ~(1 << DIRTY_MEMORY_CODE);
    }
    cpu_physical_memory_set_dirty_range(start, length, mask);
}
