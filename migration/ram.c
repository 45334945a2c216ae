/*
 * RAM migration: sends RAM blocks page by page from the MIGRATION dirty
 * bitmap, and loads them into the destination's blocks by name.  Format
 * in include/migration/ram.h.
 */
#include <fcntl.h>
#include "migration/ram.h"
#include "migration/register.h"
#include "migration/vmstate.h"
#include "memory/ram_addr.h"
#include "accel/tcg/cputlb.h"

#define RAM_SECTION_VERSION 4
#define BITS_PER_LONG (sizeof(unsigned long) * 8)

/*
 * Which pages of anonymous RAM were never touched, from
 * /proc/self/pagemap.  Such a page reads as zero, but reading it to find
 * out makes the kernel allocate it where the host has no shared zero
 * page: a mostly idle 4 GiB guest would then grow to 4 GiB of RSS on
 * savevm, loadvm and both ends of a migration, and spend most of the
 * time in page faults.  Asking the kernel first costs one read of 8
 * bytes per page, for many pages at once.
 */
#define PM_PRESENT (1ULL << 63)
#define PM_SWAPPED (1ULL << 62)
#define PAGEMAP_BATCH 512

typedef struct PageMap {
    uintptr_t first;      /* host page number of ents[0] */
    size_t n;             /* valid entries, 0: nothing cached */
    uint64_t ents[PAGEMAP_BATCH];
} PageMap;

typedef struct RAMState {
    bool registered;
    bool dirty_log_started;
    int pagemap_fd;              /* /proc/self/pagemap; -1: not usable */
    bool pagemap_tried;
    PageMap pagemap;             /* the save side's */
    RAMBlock *last_sent_block;
    ram_addr_t cursor;           /* where the current pass goes on */
    RAMStats stats;
} RAMState;

static RAMState ram_state;

void ram_get_stats(RAMStats *stats)
{
    *stats = ram_state.stats;
}

static bool page_is_zero(const uint8_t *p, size_t len)
{
    const uint64_t *w = (const uint64_t *)p;
    for (size_t i = 0; i < len / 8; i++) {
        if (w[i]) {
            return false;
        }
    }
    return true;
}

static uint64_t block_pages(const RAMBlock *block)
{
    return DIV_ROUND_UP(block->used_length, TARGET_PAGE_SIZE);
}

static int pagemap_fd(RAMState *rs)
{
    if (!rs->pagemap_tried) {
        rs->pagemap_tried = true;
        rs->pagemap_fd = -1;
        /* One entry per host page: only when that is a target page. */
        if (sysconf(_SC_PAGESIZE) == TARGET_PAGE_SIZE) {
            rs->pagemap_fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
        }
    }
    return rs->pagemap_fd;
}

/*
 * Cache the entries of up to max (<= PAGEMAP_BATCH) pages of block from
 * offset on.  Only for anonymous private RAM (no backing fd): a page of a file
 * or shared mapping that is absent from our page table may still hold
 * data.  On failure nothing is cached, and every page is read.
 */
static void pagemap_fill(RAMState *rs, PageMap *pm, const RAMBlock *block,
                         uint64_t offset, size_t max)
{
    int fd = pagemap_fd(rs);

    pm->n = 0;
    if (fd < 0 || block->fd >= 0 || offset >= block->used_length) {
        return;
    }
    uintptr_t page = (uintptr_t)(block->host + offset) / TARGET_PAGE_SIZE;
    size_t want = MIN((uint64_t)MIN(max, PAGEMAP_BATCH),
                      block_pages(block) - offset / TARGET_PAGE_SIZE);
    ssize_t got = pread(fd, pm->ents, want * sizeof(pm->ents[0]),
                        (off_t)page * sizeof(pm->ents[0]));
    if (got < (ssize_t)sizeof(pm->ents[0])) {
        return;
    }
    pm->first = page;
    pm->n = got / sizeof(pm->ents[0]);
}

static bool pagemap_covers(const PageMap *pm, const uint8_t *p)
{
    uintptr_t page = (uintptr_t)p / TARGET_PAGE_SIZE;
    return page >= pm->first && page - pm->first < pm->n;
}

/* True when the cache knows the page at p never was allocated (zero). */
static bool pagemap_untouched(const PageMap *pm, const uint8_t *p)
{
    if (!pagemap_covers(pm, p)) {
        return false;
    }
    uintptr_t page = (uintptr_t)p / TARGET_PAGE_SIZE;
    return !(pm->ents[page - pm->first] & (PM_PRESENT | PM_SWAPPED));
}

/* The load side wrote the page at p: it is no longer untouched. */
static void pagemap_note_written(PageMap *pm, const uint8_t *p)
{
    if (pagemap_covers(pm, p)) {
        pm->ents[(uintptr_t)p / TARGET_PAGE_SIZE - pm->first] |= PM_PRESENT;
    }
}

/* --- Save ------------------------------------------------------------ */

static void save_page_header(QEMUFile *f, RAMState *rs, RAMBlock *block,
                             uint64_t offset, unsigned flags)
{
    if (block == rs->last_sent_block) {
        flags |= RAM_SAVE_FLAG_CONTINUE;
    }
    qemu_put_be64(f, offset | flags);
    if (!(flags & RAM_SAVE_FLAG_CONTINUE)) {
        size_t len = strlen(block->idstr);
        qemu_put_byte(f, len);
        qemu_put_buffer(f, (const uint8_t *)block->idstr, len);
        rs->last_sent_block = block;
    }
}

static void save_page(QEMUFile *f, RAMState *rs, RAMBlock *block,
                      uint64_t offset)
{
    const uint8_t *p = block->host + offset;

    if (pagemap_untouched(&rs->pagemap, p) ||
        page_is_zero(p, TARGET_PAGE_SIZE)) {
        save_page_header(f, rs, block, offset, RAM_SAVE_FLAG_ZERO);
        qemu_put_byte(f, 0);
        rs->stats.zero_pages++;
    } else {
        save_page_header(f, rs, block, offset, RAM_SAVE_FLAG_PAGE);
        qemu_put_buffer(f, p, TARGET_PAGE_SIZE);
        rs->stats.normal_pages++;
    }
}

typedef struct SendPass {
    QEMUFile *f;
    RAMState *rs;
    bool rate_limited;   /* stop when the file's rate limit is reached */
} SendPass;

/*
 * Send the dirty pages of one block from the pass's cursor on, a bitmap
 * word (64 pages) at a time.  A word's bits are cleared, then every
 * vCPU's fast-path write entries for its pages are reset, and only then
 * are the pages read: guest stores through a TLB entry made while the
 * page was dirty would otherwise never set the bit again, and a page
 * changed after being sent would be lost.  A store after the reset sets
 * its bit and is sent next pass.
 * Returns 1 when stopped by the rate limit, with the cursor after the
 * last word sent, so the next part goes on from there instead of
 * sending the first (busiest) pages over and over.
 */
static int send_block_dirty(RAMBlock *block, void *opaque)
{
    SendPass *pass = opaque;
    RAMState *rs = pass->rs;
    unsigned long *bmap = block->bmap[DIRTY_MEMORY_MIGRATION];
    uint64_t pages = block_pages(block);
    uint64_t words = DIV_ROUND_UP(pages, BITS_PER_LONG);
    const uint64_t word_bytes = BITS_PER_LONG * TARGET_PAGE_SIZE;
    uint64_t first = 0;

    if (block->offset + block->used_length <= rs->cursor) {
        return 0;                       /* before the cursor: done */
    }
    if (rs->cursor > block->offset) {
        first = (rs->cursor - block->offset) / word_bytes;
    }
    for (uint64_t w = first; w < words; w++) {
        if (!__atomic_load_n(&bmap[w], __ATOMIC_RELAXED)) {
            continue;
        }
        unsigned long bits = __atomic_exchange_n(&bmap[w], 0,
                                                 __ATOMIC_SEQ_CST);
        tlb_reset_dirty_range_all(block->offset + w * word_bytes,
                                  word_bytes);
        /*
         * Only now, with the bits clear and the write entries reset: a
         * guest store from here on sets its bit again, so a page seen
         * untouched and sent as zero is sent again if it changes.
         */
        pagemap_fill(rs, &rs->pagemap, block, w * word_bytes, BITS_PER_LONG);
        while (bits) {
            unsigned b = __builtin_ctzl(bits);
            uint64_t page = w * BITS_PER_LONG + b;
            bits &= bits - 1;
            if (page < pages) {
                save_page(pass->f, rs, block, page << TARGET_PAGE_BITS);
            }
        }
        if (pass->rate_limited && qemu_file_rate_limit(pass->f)) {
            rs->cursor = block->offset + (w + 1) * word_bytes;
            return 1;
        }
    }
    return 0;
}

/*
 * Returns 1 when the pass reached the end of RAM (every page dirty at
 * the time it was visited is sent), 0 when rate limited.
 */
static int ram_send_dirty(QEMUFile *f, RAMState *rs, bool rate_limited)
{
    SendPass pass = { .f = f, .rs = rs, .rate_limited = rate_limited };

    memory_global_dirty_log_sync();
    if (qemu_ram_foreach_block(send_block_dirty, &pass)) {
        return 0;
    }
    rs->cursor = 0;
    rs->stats.passes++;
    return 1;
}

static int mark_all_dirty(RAMBlock *block, void *opaque)
{
    cpu_physical_memory_set_dirty_range(block->offset, block->used_length,
                                        1 << DIRTY_MEMORY_MIGRATION);
    *(uint64_t *)opaque += block->used_length;
    return 0;
}

static int put_block_info(RAMBlock *block, void *opaque)
{
    QEMUFile *f = opaque;
    size_t len = strlen(block->idstr);

    qemu_put_byte(f, len);
    qemu_put_buffer(f, (const uint8_t *)block->idstr, len);
    qemu_put_be64(f, block->used_length);
    return 0;
}

static int ram_save_setup(QEMUFile *f, void *opaque, Error **errp)
{
    RAMState *rs = opaque;
    uint64_t total = 0;

    memset(&rs->stats, 0, sizeof(rs->stats));
    rs->last_sent_block = NULL;
    rs->cursor = 0;
    if (!rs->dirty_log_started) {
        memory_global_dirty_log_start();
        rs->dirty_log_started = true;
    }
    qemu_ram_foreach_block(mark_all_dirty, &total);
    qemu_put_be64(f, total | RAM_SAVE_FLAG_MEM_SIZE);
    qemu_ram_foreach_block(put_block_info, f);
    qemu_put_be64(f, RAM_SAVE_FLAG_EOS);
    return qemu_file_get_error(f);
}

static int ram_save_iterate(QEMUFile *f, void *opaque)
{
    RAMState *rs = opaque;
    /* Each part names its first block again: parts stand alone. */
    rs->last_sent_block = NULL;
    int done = ram_send_dirty(f, rs, true);
    qemu_put_be64(f, RAM_SAVE_FLAG_EOS);
    return qemu_file_get_error(f) ?: done;
}

static int ram_save_complete(QEMUFile *f, void *opaque)
{
    RAMState *rs = opaque;
    rs->last_sent_block = NULL;
    /* One whole pass from the start: pages behind the cursor too. */
    rs->cursor = 0;
    ram_send_dirty(f, rs, false);
    qemu_put_be64(f, RAM_SAVE_FLAG_EOS);
    return qemu_file_get_error(f);
}

static int count_dirty(RAMBlock *block, void *opaque)
{
    unsigned long *bmap = block->bmap[DIRTY_MEMORY_MIGRATION];
    uint64_t pages = block_pages(block);

    for (uint64_t w = 0; w < DIV_ROUND_UP(pages, BITS_PER_LONG); w++) {
        unsigned long bits = __atomic_load_n(&bmap[w], __ATOMIC_RELAXED);
        if (pages - w * BITS_PER_LONG < BITS_PER_LONG) {
            bits &= (1UL << (pages - w * BITS_PER_LONG)) - 1;
        }
        *(uint64_t *)opaque += __builtin_popcountl(bits);
    }
    return 0;
}

static void ram_save_pending(void *opaque, uint64_t *pending_bytes)
{
    uint64_t pages = 0;

    memory_global_dirty_log_sync();
    qemu_ram_foreach_block(count_dirty, &pages);
    *pending_bytes = pages * TARGET_PAGE_SIZE;
}

static void ram_save_cleanup(void *opaque)
{
    RAMState *rs = opaque;
    if (rs->dirty_log_started) {
        memory_global_dirty_log_stop();
        rs->dirty_log_started = false;
    }
}

/* --- Load ------------------------------------------------------------ */

static int ram_load_block_list(QEMUFile *f, uint64_t total, Error **errp)
{
    while (total) {
        char idstr[256];
        int len = qemu_get_byte(f);
        qemu_get_buffer(f, (uint8_t *)idstr, len);
        idstr[len] = '\0';
        uint64_t length = qemu_get_be64(f);
        if (qemu_file_get_error(f)) {
            error_setg(errp, "ram: block list: %s", qemu_file_error_string(f));
            return qemu_file_get_error(f);
        }
        RAMBlock *block = qemu_ram_block_by_name(idstr);
        if (!block || strlen(idstr) != (size_t)len) {
            error_setg(errp, "Unknown ramblock \"%s\", cannot accept "
                       "migration", idstr);
            return -EINVAL;
        }
        if (length != block->used_length) {
            error_setg_errno(errp, EINVAL, "Length mismatch: %s: 0x%" PRIx64
                             " in != 0x%" PRIx64, idstr, length,
                             (uint64_t)block->used_length);
            return -EINVAL;
        }
        if (length > total) {
            error_setg(errp, "ram: block sizes add up to more than the total "
                       "RAM size in the stream");
            return -EINVAL;
        }
        total -= length;
    }
    return 0;
}

static int ram_load(QEMUFile *f, void *opaque, int version_id, Error **errp)
{
    RAMState *rs = opaque;
    RAMBlock *block = NULL;
    /*
     * Nothing but this loop writes RAM while it runs (the VM is stopped),
     * so cached entries stay true as long as the loop's own writes are
     * noted.
     */
    PageMap *pm = xnew(PageMap);
    int ret = 0;

    if (version_id != RAM_SECTION_VERSION) {
        error_setg(errp, "ram: version %d not supported (%d..%d)", version_id,
                   RAM_SECTION_VERSION, RAM_SECTION_VERSION);
        return -EINVAL;
    }
    urcu_bp_read_lock();
    for (;;) {
        uint64_t addr = qemu_get_be64(f);
        unsigned flags = addr & ~TARGET_PAGE_MASK;
        addr &= TARGET_PAGE_MASK;

        if (qemu_file_get_error(f)) {
            error_setg(errp, "ram: %s", qemu_file_error_string(f));
            ret = qemu_file_get_error(f);
            break;
        }
        if (flags & (RAM_SAVE_FLAG_ZERO | RAM_SAVE_FLAG_PAGE)) {
            if (!(flags & RAM_SAVE_FLAG_CONTINUE)) {
                char idstr[256];
                int len = qemu_get_byte(f);
                qemu_get_buffer(f, (uint8_t *)idstr, len);
                idstr[len] = '\0';
                if (qemu_file_get_error(f)) {
                    error_setg(errp, "ram: %s", qemu_file_error_string(f));
                    ret = qemu_file_get_error(f);
                    break;
                }
                block = qemu_ram_block_by_name(idstr);
                if (!block) {
                    error_setg(errp, "ram: unknown block \"%s\"", idstr);
                    ret = -EINVAL;
                    break;
                }
            } else if (!block) {
                error_setg(errp, "ram: page continues a block never named");
                ret = -EINVAL;
                break;
            }
            if (addr >= block->used_length) {
                error_setg(errp, "Illegal RAM offset 0x%" PRIx64 " in block "
                           "\"%s\" of 0x%" PRIx64 " bytes", addr, block->idstr,
                           (uint64_t)block->used_length);
                ret = -EINVAL;
                break;
            }
        }

        uint64_t in_block = 0;
        if (block) {
            in_block = MIN(TARGET_PAGE_SIZE, block->used_length - addr);
        }
        switch (flags & ~RAM_SAVE_FLAG_CONTINUE) {
        case RAM_SAVE_FLAG_MEM_SIZE:
            ret = ram_load_block_list(f, addr, errp);
            break;
        case RAM_SAVE_FLAG_ZERO: {
            int fill = qemu_get_byte(f);
            uint8_t *host = block->host + addr;
            if (!fill) {
                if (!pagemap_covers(pm, host)) {
                    pagemap_fill(rs, pm, block, addr, PAGEMAP_BATCH);
                }
                if (pagemap_untouched(pm, host)) {
                    break;              /* zero already, and unchanged */
                }
            }
            if (fill || !page_is_zero(host, in_block & ~7ULL)) {
                memset(host, fill, in_block);
                pagemap_note_written(pm, host);
            }
            invalidate_and_set_dirty(block->mr, addr, in_block);
            break;
        }
        case RAM_SAVE_FLAG_PAGE:
            pagemap_note_written(pm, block->host + addr);
            if (in_block == TARGET_PAGE_SIZE) {
                qemu_get_buffer(f, block->host + addr, TARGET_PAGE_SIZE);
            } else {
                uint8_t page[TARGET_PAGE_SIZE];
                qemu_get_buffer(f, page, TARGET_PAGE_SIZE);
                memcpy(block->host + addr, page, in_block);
            }
            invalidate_and_set_dirty(block->mr, addr, in_block);
            break;
        case RAM_SAVE_FLAG_EOS:
            goto out;
        default:
            error_setg(errp, "Unknown combination of migration flags: 0x%x",
                       flags);
            ret = -EINVAL;
            break;
        }
        if (!ret && qemu_file_get_error(f)) {
            error_setg(errp, "ram: %s", qemu_file_error_string(f));
            ret = qemu_file_get_error(f);
        }
        if (ret) {
            break;
        }
    }
out:
    urcu_bp_read_unlock();
    free(pm);
    return ret;
}

static const SaveVMHandlers savevm_ram_handlers = {
    .save_setup = ram_save_setup,
    .save_live_iterate = ram_save_iterate,
    .save_live_complete_precopy = ram_save_complete,
    .save_live_pending = ram_save_pending,
    .save_cleanup = ram_save_cleanup,
    .load_state = ram_load,
};

void ram_mig_init(void)
{
    if (ram_state.registered) {
        return;
    }
    ram_state.registered = true;
    register_savevm_live("ram", 0, RAM_SECTION_VERSION, &savevm_ram_handlers,
                         &ram_state);
}
