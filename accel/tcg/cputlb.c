/*
 * The softmmu TLB: X86MemOps on top of a per-vCPU, per-MMU-mode TLB.
 * See include/accel/tcg/cputlb.h for the entry format and flush rules.
 *
 * Fast path (RAM, hit, access within one page): one compare and a host
 * load or store.  Everything else goes to the cold slow paths below: fill
 * on a miss (page walk, then the FlatView), MMIO through the memory API
 * with the BQL, writes to clean pages (code) through the invalidation
 * hook, and accesses that straddle two pages, which translate both pages
 * before touching either so a fault leaves memory as it was.
 */
#include "util/osdep.h"
#include "accel/tcg/cputlb.h"
#include "accel/tcg/cpu-exec.h"
#include "memory/ram_addr.h"
#include "system/main-loop.h"

/* Every vCPU with a softmmu, for cross-vCPU TLB and jump cache updates. */
static pthread_mutex_t tcg_cpus_lock = PTHREAD_MUTEX_INITIALIZER;
static QTAILQ_HEAD(, TCGCPUState) tcg_cpus = QTAILQ_HEAD_INITIALIZER(tcg_cpus);

AddressSpace *tcg_cpu_address_space(CPUX86State *env)
{
    return env->tcg ? env->tcg->as : &address_space_memory;
}

void tcg_foreach_cpu(void (*fn)(TCGCPUState *tcg, void *opaque), void *opaque)
{
    TCGCPUState *tcg;

    pthread_mutex_lock(&tcg_cpus_lock);
    QTAILQ_FOREACH(tcg, &tcg_cpus, link) {
        fn(tcg, opaque);
    }
    pthread_mutex_unlock(&tcg_cpus_lock);
}

/* ---- flushes -------------------------------------------------------- */

static void tlb_flush_mmu(TCGCPUState *tcg, int mmu_idx)
{
    /* All ones: every tag has TLB_INVALID and matches no address. */
    memset(tcg->table[mmu_idx], 0xff, sizeof(tcg->table[mmu_idx]));
    tcg->large_page_addr[mmu_idx] = -1;
    tcg->large_page_mask[mmu_idx] = 0;
}

static void jmp_cache_clear_page(TCGCPUState *tcg, uint64_t page)
{
    unsigned h = tb_jmp_cache_hash_page(page);

    for (unsigned i = 0; i < TB_JMP_PAGE_SIZE; i++) {
        __atomic_store_n(&tcg->jmp_cache[h + i], NULL, __ATOMIC_RELAXED);
    }
}

static void jmp_cache_clear(TCGCPUState *tcg)
{
    for (unsigned i = 0; i < TB_JMP_CACHE_SIZE; i++) {
        __atomic_store_n(&tcg->jmp_cache[i], NULL, __ATOMIC_RELAXED);
    }
}

void x86_tlb_flush(CPUX86State *env)
{
    TCGCPUState *tcg = env->tcg;

    if (!tcg) {
        return;
    }
    if (tcg->nr_used > TLB_USED_MAX) {
        for (int i = 0; i < NB_MMU_MODES; i++) {
            tlb_flush_mmu(tcg, i);
        }
    } else {
        /* Every entry not in used[] is empty already. */
        for (unsigned i = 0; i < tcg->nr_used; i++) {
            unsigned m = tcg->used[i] >> CPU_TLB_BITS;
            unsigned idx = tcg->used[i] & (CPU_TLB_SIZE - 1);

            memset(&tcg->table[m][idx], 0xff, sizeof(CPUTLBEntry));
        }
        for (int i = 0; i < NB_MMU_MODES; i++) {
            tcg->large_page_addr[i] = -1;
            tcg->large_page_mask[i] = 0;
        }
    }
    tcg->nr_used = 0;
    /* The jump cache is indexed by linear pc: its meaning just changed. */
    jmp_cache_clear(tcg);
    tcg->tlb_flushes++;
}

void x86_tlb_flush_nonglobal(CPUX86State *env)
{
    TCGCPUState *tcg = env->tcg;

    if (!tcg) {
        return;
    }
    if (tcg->nr_used > TLB_USED_MAX) {
        for (int m = 0; m < NB_MMU_MODES; m++) {
            for (int i = 0; i < CPU_TLB_SIZE; i++) {
                if (!tcg->full[m][i].global) {
                    memset(&tcg->table[m][i], 0xff, sizeof(CPUTLBEntry));
                }
            }
        }
    } else {
        /* Keep the global entries, and only them, in the used list. */
        unsigned kept = 0;

        for (unsigned i = 0; i < tcg->nr_used; i++) {
            unsigned m = tcg->used[i] >> CPU_TLB_BITS;
            unsigned idx = tcg->used[i] & (CPU_TLB_SIZE - 1);

            if (tcg->full[m][idx].global) {
                tcg->used[kept++] = tcg->used[i];
            } else {
                memset(&tcg->table[m][idx], 0xff, sizeof(CPUTLBEntry));
            }
        }
        tcg->nr_used = kept;
    }
    jmp_cache_clear(tcg);
    tcg->tlb_flushes++;
}

static bool tlb_entry_is_page(const CPUTLBEntry *e, uint64_t page)
{
    /* A tag with TLB_INVALID never compares equal to a page address. */
    const uint64_t mask = TARGET_PAGE_MASK | TLB_INVALID;
    return (e->addr_read & mask) == page || (e->addr_write & mask) == page ||
           (e->addr_code & mask) == page;
}

void x86_tlb_flush_page(CPUX86State *env, uint64_t addr)
{
    TCGCPUState *tcg = env->tcg;
    uint64_t page = addr & TARGET_PAGE_MASK;

    if (!tcg) {
        return;
    }
    for (int m = 0; m < NB_MMU_MODES; m++) {
        CPUTLBEntry *e;

        /* Inside a large page seen since the last flush: drop the mode. */
        if ((page & tcg->large_page_mask[m]) == tcg->large_page_addr[m]) {
            tlb_flush_mmu(tcg, m);
            jmp_cache_clear(tcg);
            continue;
        }
        e = &tcg->table[m][(page >> TARGET_PAGE_BITS) & (CPU_TLB_SIZE - 1)];
        if (tlb_entry_is_page(e, page)) {
            memset(e, 0xff, sizeof(*e));
        }
    }
    /* TBs starting in this page, or in the previous one and running on. */
    jmp_cache_clear_page(tcg, page);
    jmp_cache_clear_page(tcg, page - TARGET_PAGE_SIZE);
}

/* Widen the tracked large-page range to cover [vaddr, vaddr + size). */
static void tlb_add_large_page(TCGCPUState *tcg, int mmu_idx, uint64_t vaddr,
                               uint64_t size)
{
    uint64_t lp_mask = ~(size - 1);

    if (tcg->large_page_addr[mmu_idx] != (uint64_t)-1) {
        lp_mask &= tcg->large_page_mask[mmu_idx];
        while (((tcg->large_page_addr[mmu_idx] ^ vaddr) & lp_mask) != 0) {
            lp_mask <<= 1;
        }
    }
    tcg->large_page_addr[mmu_idx] = vaddr & lp_mask;
    tcg->large_page_mask[mmu_idx] = lp_mask;
}

/* ---- dirty tracking ------------------------------------------------- */

static bool ram_page_is_clean(ram_addr_t ram_addr)
{
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        if (!cpu_physical_memory_get_dirty_flag(ram_addr, c)) {
            return true;
        }
    }
    return false;
}

typedef struct DirtyRange {
    ram_addr_t start, length;
} DirtyRange;

static void tlb_reset_dirty_one(TCGCPUState *tcg, void *opaque)
{
    const DirtyRange *r = opaque;

    for (int m = 0; m < NB_MMU_MODES; m++) {
        for (int i = 0; i < CPU_TLB_SIZE; i++) {
            CPUTLBEntry *e = &tcg->table[m][i];
            ram_addr_t ra = tcg->full[m][i].ram_addr;
            uint64_t w = __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED);

            if (w & TLB_FLAGS_MASK || ra == RAM_ADDR_INVALID) {
                continue;
            }
            /*
             * Compare-and-swap: the vCPU may have flushed the entry since
             * the load, and a flushed entry must stay empty (a flush only
             * rewrites the entries in TCGCPUState.used).
             */
            if (ra - r->start < r->length ||
                (ra < r->start && ra + TARGET_PAGE_SIZE > r->start)) {
                __atomic_compare_exchange_n(&e->addr_write, &w,
                                            w | TLB_NOTDIRTY, false,
                                            __ATOMIC_RELAXED,
                                            __ATOMIC_RELAXED);
            }
        }
    }
}

void tlb_reset_dirty_range_all(ram_addr_t start, ram_addr_t length)
{
    DirtyRange r = { start, length };
    tcg_foreach_cpu(tlb_reset_dirty_one, &r);
}

/* The page is dirty for every client again: writes may take the fast path. */
static void tlb_set_dirty(TCGCPUState *tcg, uint64_t vaddr)
{
    uint64_t page = vaddr & TARGET_PAGE_MASK;

    for (int m = 0; m < NB_MMU_MODES; m++) {
        CPUTLBEntry *e = &tcg->table[m][(page >> TARGET_PAGE_BITS) &
                                        (CPU_TLB_SIZE - 1)];
        if (e->addr_write == (page | TLB_NOTDIRTY)) {
            __atomic_store_n(&e->addr_write, page, __ATOMIC_RELAXED);
        }
    }
}

/* ---- fill ------------------------------------------------------------- */

static void tlb_set_page(CPUX86State *env, int mmu_idx, uint64_t vaddr,
                         const X86TranslateResult *res)
{
    TCGCPUState *tcg = env->tcg;
    uint64_t page = vaddr & TARGET_PAGE_MASK;
    uint64_t paddr = res->paddr & TARGET_PAGE_MASK;
    unsigned idx = (page >> TARGET_PAGE_BITS) & (CPU_TLB_SIZE - 1);
    CPUTLBEntry *e = &tcg->table[mmu_idx][idx];
    CPUTLBEntryFull *full = &tcg->full[mmu_idx][idx];
    uint64_t read_tag, write_tag, code_tag;
    MemoryRegionSection sec;
    MemoryRegion *mr;

    if (res->page_size > TARGET_PAGE_SIZE) {
        tlb_add_large_page(tcg, mmu_idx, page, res->page_size);
    }
    /* An empty entry (all ones, as a flush leaves it) becomes used. */
    if (e->addr_read == (uint64_t)-1 && e->addr_write == (uint64_t)-1 &&
        e->addr_code == (uint64_t)-1 && tcg->nr_used <= TLB_USED_MAX) {
        if (tcg->nr_used < TLB_USED_MAX) {
            tcg->used[tcg->nr_used] = (mmu_idx << CPU_TLB_BITS) | idx;
        }
        tcg->nr_used++;
    }

    urcu_bp_read_lock();
    sec = flatview_find_section(address_space_to_flatview(tcg->as), paddr);
    mr = sec.mr;
    full->paddr = paddr;
    full->global = res->global;
    full->mr = NULL;
    full->ram_addr = RAM_ADDR_INVALID;
    if (memory_region_is_ram(mr) && sec.size >= (Int128)TARGET_PAGE_SIZE) {
        uint8_t *host = (uint8_t *)memory_region_get_ram_ptr(mr) +
                        sec.offset_within_region;
        bool fast_read = !mr->rom_device || mr->romd_mode;

        full->mr = mr;
        full->mr_offset = sec.offset_within_region;
        full->ram_addr = memory_region_get_ram_addr(mr) +
                         sec.offset_within_region;
        read_tag = fast_read ? page : page | TLB_MMIO;
        if (sec.readonly || mr->readonly || mr->rom_device) {
            write_tag = page | TLB_MMIO;    /* the memory API drops/logs it */
        } else if (ram_page_is_clean(full->ram_addr)) {
            write_tag = page | TLB_NOTDIRTY;
        } else {
            write_tag = page;
        }
        if (!fast_read) {
            full->ram_addr = RAM_ADDR_INVALID;   /* no TB caching there */
        }
        e->addend = (uintptr_t)host - page;
    } else {
        /* MMIO, holes, or a page shared by several regions. */
        read_tag = write_tag = page | TLB_MMIO;
        e->addend = 0;
    }
    code_tag = read_tag;
    urcu_bp_read_unlock();
    if (unlikely(env->dbg_active & DBG_DATA)) {
        int kinds = x86_watchpoint_page(env, page, TARGET_PAGE_SIZE);

        if (kinds & DBG_WATCH_READ) {
            read_tag |= TLB_WATCHPOINT;
        }
        if (kinds & DBG_WATCH_WRITE) {
            write_tag |= TLB_WATCHPOINT;
        }
    }

    e->addr_read = (res->prot & PAGE_READ) ? read_tag : (uint64_t)-1;
    __atomic_store_n(&e->addr_write,
                     (res->prot & PAGE_WRITE) ? write_tag : (uint64_t)-1,
                     __ATOMIC_RELAXED);
    e->addr_code = (res->prot & PAGE_EXEC) ? code_tag : (uint64_t)-1;
    tcg->tlb_fills++;
}

/*
 * Translate addr for access and install the entry.  On a fault: raise it,
 * or with probe return false.
 */
static bool tlb_fill(CPUX86State *env, uint64_t addr, MMUAccessType access,
                     int mmu_idx, bool probe)
{
    X86TranslateResult res;
    uint32_t err = 0;
    X86TranslateStatus st;

    st = x86_mmu_translate(env, addr, access, mmu_idx, false, &res, &err);
    if (st == X86_TRANSLATE_OK) {
        tlb_set_page(env, mmu_idx, addr, &res);
        return true;
    }
    if (probe) {
        return false;
    }
    if (st == X86_TRANSLATE_GP) {
        raise_exception_err(env, EXCP0D_GPF, 0);
    }
    env->cr[2] = addr;
    raise_exception_err(env, EXCP0E_PAGE, err);
}

static inline CPUTLBEntry *tlb_entry(TCGCPUState *tcg, int mmu_idx,
                                     uint64_t addr)
{
    return &tcg->table[mmu_idx][(addr >> TARGET_PAGE_BITS) & (CPU_TLB_SIZE - 1)];
}

static inline CPUTLBEntryFull *tlb_full(TCGCPUState *tcg, int mmu_idx,
                                        uint64_t addr)
{
    return &tcg->full[mmu_idx][(addr >> TARGET_PAGE_BITS) & (CPU_TLB_SIZE - 1)];
}

static inline uint64_t tlb_tag(const CPUTLBEntry *e, MMUAccessType access)
{
    switch (access) {
    case MMU_DATA_LOAD:
        return e->addr_read;
    case MMU_DATA_STORE:
        return __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED);
    default:
        return e->addr_code;
    }
}

/* The entry for addr's page, valid for access (flags may remain). */
static CPUTLBEntry *tlb_lookup_fill(CPUX86State *env, uint64_t addr,
                                    MMUAccessType access, int mmu_idx)
{
    CPUTLBEntry *e = tlb_entry(env->tcg, mmu_idx, addr);
    uint64_t page = addr & TARGET_PAGE_MASK;

    if ((tlb_tag(e, access) & (TARGET_PAGE_MASK | TLB_INVALID)) != page) {
        tlb_fill(env, addr, access, mmu_idx, false);
    }
    return e;
}

/* ---- MMIO ----------------------------------------------------------- */

/*
 * Device accesses take the BQL.  cpu_exec's RCU read lock is dropped
 * while waiting for it (the BQL holder may be waiting for an RCU grace
 * period); cached host pointers may be stale afterwards, so the map
 * generation is checked again.
 */
static void io_begin(TCGCPUState *tcg, bool *unlock)
{
    *unlock = !bql_locked();
    if (*unlock) {
        if (tcg->rcu_held) {
            urcu_bp_read_unlock();
        }
        bql_lock();
        if (tcg->rcu_held) {
            urcu_bp_read_lock();
        }
    }
}

static void io_end(TCGCPUState *tcg, bool unlock)
{
    if (unlock) {
        bql_unlock();
    }
    tlb_check_map_generation(tcg);
}

static uint64_t io_read(CPUX86State *env, uint64_t paddr, int size)
{
    TCGCPUState *tcg = env->tcg;
    uint8_t buf[8] = { 0 };
    uint64_t v = 0;
    bool unlock;

    io_begin(tcg, &unlock);
    address_space_read(tcg->as, paddr, MEMTXATTRS_UNSPECIFIED, buf, size);
    io_end(tcg, unlock);
    for (int i = size - 1; i >= 0; i--) {
        v = (v << 8) | buf[i];
    }
    return v;
}

static void io_write(CPUX86State *env, uint64_t paddr, uint64_t val, int size)
{
    TCGCPUState *tcg = env->tcg;
    uint8_t buf[8];
    bool unlock;

    for (int i = 0; i < size; i++) {
        buf[i] = val >> (8 * i);
    }
    io_begin(tcg, &unlock);
    address_space_write(tcg->as, paddr, MEMTXATTRS_UNSPECIFIED, buf, size);
    io_end(tcg, unlock);
}

/* ---- host RAM access -------------------------------------------------- */

static inline uint64_t host_load(const void *p, int size)
{
    switch (size) {
    case 1: return *(const uint8_t *)p;
    case 2: { uint16_t v; memcpy(&v, p, 2); return v; }
    case 4: { uint32_t v; memcpy(&v, p, 4); return v; }
    default: { uint64_t v; memcpy(&v, p, 8); return v; }
    }
}

static inline void host_store(void *p, uint64_t v, int size)
{
    switch (size) {
    case 1: *(uint8_t *)p = v; break;
    case 2: { uint16_t x = v; memcpy(p, &x, 2); break; }
    case 4: { uint32_t x = v; memcpy(p, &x, 4); break; }
    default: memcpy(p, &v, 8); break;
    }
}

/* ---- slow paths ------------------------------------------------------ */

static uint64_t load_page(CPUX86State *env, uint64_t addr, int size,
                          MMUAccessType access, int mmu_idx)
{
    CPUTLBEntry *e = tlb_lookup_fill(env, addr, access, mmu_idx);
    uint64_t tag = tlb_tag(e, access);

    if (tag & TLB_WATCHPOINT) {
        x86_check_data_breakpoint(env, addr, size, false);
    }
    if (tag & TLB_MMIO) {
        CPUTLBEntryFull *full = tlb_full(env->tcg, mmu_idx, addr);
        return io_read(env, full->paddr | (addr & ~TARGET_PAGE_MASK), size);
    }
    return host_load((void *)(e->addend + addr), size);
}

static COLD uint64_t load_slow(CPUX86State *env, uint64_t addr, int size,
                               MMUAccessType access, int mmu_idx)
{
    uint64_t last, v = 0;

    /* a segment-tagged address (never a TLB hit): check, then untag */
    addr = x86_seg_untag(env, addr, size, access);
    last = addr + size - 1;
    if (((addr ^ last) & TARGET_PAGE_MASK) == 0) {
        return load_page(env, addr, size, access, mmu_idx);
    }
    /* Straddles two pages: both must translate before anything is read;
     * a fault on the second reports its first byte in CR2. */
    tlb_lookup_fill(env, addr, access, mmu_idx);
    tlb_lookup_fill(env, last & TARGET_PAGE_MASK, access, mmu_idx);
    for (int i = size - 1; i >= 0; i--) {
        v = (v << 8) | load_page(env, addr + i, 1, access, mmu_idx);
    }
    return v;
}

static void store_page(CPUX86State *env, uint64_t addr, uint64_t val, int size,
                       int mmu_idx)
{
    TCGCPUState *tcg = env->tcg;
    CPUTLBEntry *e = tlb_lookup_fill(env, addr, MMU_DATA_STORE, mmu_idx);
    uint64_t tag = tlb_tag(e, MMU_DATA_STORE);
    CPUTLBEntryFull *full = tlb_full(tcg, mmu_idx, addr);
    uint64_t off = addr & ~TARGET_PAGE_MASK;

    if (tag & TLB_WATCHPOINT) {
        x86_check_data_breakpoint(env, addr, size, true);
    }
    if (tag & TLB_MMIO) {
        io_write(env, full->paddr | off, val, size);
        return;
    }
    if (tag & TLB_NOTDIRTY) {
        /*
         * Invalidate the TBs these bytes overlap (a TB running here stops
         * after this instruction), then write, then let later writes take
         * the fast path if nothing is clean any more.
         */
        invalidate_and_set_dirty(full->mr, full->mr_offset + off, size);
        host_store((void *)(e->addend + addr), val, size);
        if (!ram_page_is_clean(full->ram_addr)) {
            tlb_set_dirty(tcg, addr);
        }
        return;
    }
    host_store((void *)(e->addend + addr), val, size);
}

static COLD void store_slow(CPUX86State *env, uint64_t addr, uint64_t val,
                            int size, int mmu_idx)
{
    uint64_t last;

    addr = x86_seg_untag(env, addr, size, MMU_DATA_STORE);
    last = addr + size - 1;
    if (((addr ^ last) & TARGET_PAGE_MASK) == 0) {
        store_page(env, addr, val, size, mmu_idx);
        return;
    }
    /* Both pages writable first, so a fault on the second writes nothing. */
    tlb_lookup_fill(env, addr, MMU_DATA_STORE, mmu_idx);
    tlb_lookup_fill(env, last & TARGET_PAGE_MASK, MMU_DATA_STORE, mmu_idx);
    for (int i = 0; i < size; i++) {
        store_page(env, addr + i, (val >> (8 * i)) & 0xff, 1, mmu_idx);
    }
}

/* ---- X86MemOps -------------------------------------------------------- */

static uint64_t softmmu_load(CPUX86State *env, uint64_t addr, int size,
                             MMUAccessType access)
{
    int mmu_idx = x86_mmu_index(env);
    CPUTLBEntry *e = tlb_entry(env->tcg, mmu_idx, addr);
    uint64_t tag = access == MMU_INST_FETCH ? e->addr_code : e->addr_read;

    /* Also fails for an access running into the next page (see header). */
    if (likely(tag == ((addr + size - 1) & TARGET_PAGE_MASK))) {
        return host_load((void *)(e->addend + addr), size);
    }
    return load_slow(env, addr, size, access, mmu_idx);
}

static void softmmu_store(CPUX86State *env, uint64_t addr, uint64_t val,
                          int size)
{
    int mmu_idx = x86_mmu_index(env);
    CPUTLBEntry *e = tlb_entry(env->tcg, mmu_idx, addr);
    uint64_t tag = __atomic_load_n(&e->addr_write, __ATOMIC_RELAXED);

    if (likely(tag == ((addr + size - 1) & TARGET_PAGE_MASK))) {
        host_store((void *)(e->addend + addr), val, size);
        return;
    }
    store_slow(env, addr, val, size, mmu_idx);
}

/* Code bytes for the translator: never faults, stops at the first page
 * that does not translate for execution. */
static int softmmu_fetch_code(CPUX86State *env, uint64_t addr, uint8_t *buf,
                              int len)
{
    int mmu_idx = x86_mmu_index(env);
    int done = 0;

    while (done < len) {
        uint64_t a = addr + done;
        uint64_t page = a & TARGET_PAGE_MASK;
        int n = MIN((uint64_t)(len - done), TARGET_PAGE_SIZE - (a - page));
        CPUTLBEntry *e = tlb_entry(env->tcg, mmu_idx, a);

        if ((e->addr_code & (TARGET_PAGE_MASK | TLB_INVALID)) != page &&
            !tlb_fill(env, a, MMU_INST_FETCH, mmu_idx, true)) {
            break;
        }
        if (e->addr_code & TLB_MMIO) {
            CPUTLBEntryFull *full = tlb_full(env->tcg, mmu_idx, a);
            for (int i = 0; i < n; i++) {
                buf[done + i] = io_read(env, full->paddr + (a - page) + i, 1);
            }
        } else {
            memcpy(buf + done, (void *)(e->addend + a), n);
        }
        done += n;
    }
    return done;
}

/*
 * The host bytes of a locked operand (see X86MemOps.host_rmw): checked
 * as a store, code there invalidated and the page marked dirty first, as
 * store_page does before it writes.
 */
static void *softmmu_host_rmw(CPUX86State *env, uint64_t addr, int size)
{
    TCGCPUState *tcg = env->tcg;
    int mmu_idx = x86_mmu_index(env);
    uint64_t off;
    CPUTLBEntry *e;
    CPUTLBEntryFull *full;
    uint64_t tag;

    /* Segment checks as for a store (the operand is written). */
    addr = x86_seg_untag(env, addr, size, MMU_DATA_STORE);
    off = addr & ~TARGET_PAGE_MASK;
    if (off + size > TARGET_PAGE_SIZE) {
        return NULL;
    }
    e = tlb_lookup_fill(env, addr, MMU_DATA_STORE, mmu_idx);
    tag = tlb_tag(e, MMU_DATA_STORE);
    if (tag & (TLB_MMIO | TLB_WATCHPOINT)) {
        return NULL;    /* devices, and data breakpoints to record */
    }
    if (tag & TLB_NOTDIRTY) {
        full = tlb_full(tcg, mmu_idx, addr);
        invalidate_and_set_dirty(full->mr, full->mr_offset + off, size);
        if (!ram_page_is_clean(full->ram_addr)) {
            tlb_set_dirty(tcg, addr);
        }
    }
    return (void *)(e->addend + addr);
}

const X86MemOps x86_softmmu_ops = {
    .load = softmmu_load,
    .store = softmmu_store,
    .fetch_code = softmmu_fetch_code,
    .host_rmw = softmmu_host_rmw,
};

static ram_addr_t page_addr_code(CPUX86State *env, uint64_t addr, bool probe)
{
    int mmu_idx = x86_mmu_index(env);
    CPUTLBEntry *e = tlb_entry(env->tcg, mmu_idx, addr);
    uint64_t page = addr & TARGET_PAGE_MASK;

    if ((e->addr_code & (TARGET_PAGE_MASK | TLB_INVALID)) != page &&
        !tlb_fill(env, addr, MMU_INST_FETCH, mmu_idx, probe)) {
        return RAM_ADDR_INVALID;
    }
    if (e->addr_code & TLB_MMIO) {
        return RAM_ADDR_INVALID;
    }
    return tlb_full(env->tcg, mmu_idx, addr)->ram_addr + (addr - page);
}

ram_addr_t get_page_addr_code(CPUX86State *env, uint64_t addr)
{
    return page_addr_code(env, addr, false);
}

ram_addr_t probe_page_addr_code(CPUX86State *env, uint64_t addr)
{
    return page_addr_code(env, addr, true);
}

/* ---- set-up ------------------------------------------------------------ */

static void tcg_map_commit(MemoryListener *listener)
{
    TCGCPUState *tcg = container_of(listener, TCGCPUState, listener);
    __atomic_add_fetch(&tcg->map_generation, 1, __ATOMIC_RELEASE);
}

void x86_softmmu_init(CPUX86State *env, AddressSpace *as,
                      const int *exit_request)
{
    TCGCPUState *tcg = xzalloc(sizeof(*tcg));

    tcg->env = env;
    tcg->as = as;
    tcg->exit_request = exit_request;
    for (int i = 0; i < NB_MMU_MODES; i++) {
        tlb_flush_mmu(tcg, i);
    }
    tcg->nr_used = 0;
    env->tcg = tcg;
    env->mem_ops = &x86_softmmu_ops;
    env->mem_opaque = tcg;
    tcg->listener.commit = tcg_map_commit;
    tcg->listener.name = "tcg-tlb";
    memory_listener_register(&tcg->listener, as);
    tb_cache_init();

    pthread_mutex_lock(&tcg_cpus_lock);
    QTAILQ_INSERT_TAIL(&tcg_cpus, tcg, link);
    pthread_mutex_unlock(&tcg_cpus_lock);
}

void x86_softmmu_cleanup(CPUX86State *env)
{
    TCGCPUState *tcg = env->tcg;

    if (!tcg) {
        return;
    }
    pthread_mutex_lock(&tcg_cpus_lock);
    QTAILQ_REMOVE(&tcg_cpus, tcg, link);
    pthread_mutex_unlock(&tcg_cpus_lock);
    memory_listener_unregister(&tcg->listener);
    env->tcg = NULL;
    env->mem_ops = NULL;
    env->mem_opaque = NULL;
    free(tcg);
}
