/*
 * TB cache maintenance: the hash table, per-page TB lists, invalidation
 * on writes to code (byte-precise), chaining and unchaining, flushes and
 * statistics.  See accel/tcg/internal.h for the locking rules.
 */
#include "util/osdep.h"
#include "internal.h"
#include "memory/ram_addr.h"
#include "hw/core/cpu.h"
#include <sys/mman.h>

TBContext tb_ctx = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* ---- hash table ----------------------------------------------------- */

static unsigned tb_hash(uint64_t phys_pc, uint64_t pc, uint32_t flags,
                        uint64_t cs_base)
{
    uint64_t h = phys_pc * 0x9e3779b97f4a7c15ULL;
    h ^= (pc + flags + (cs_base << 7)) * 0xc2b2ae3d27d4eb4fULL;
    return (h ^ (h >> 29)) >> (64 - TB_HTABLE_BITS);
}

TranslationBlock *tb_htable_lookup(CPUX86State *env, uint64_t pc,
                                   uint64_t cs_base, uint32_t flags,
                                   uint64_t phys_pc)
{
    unsigned h = tb_hash(phys_pc, pc, flags, cs_base);
    TranslationBlock *tb;

    for (tb = __atomic_load_n(&tb_ctx.htable[h], __ATOMIC_ACQUIRE); tb;
         tb = __atomic_load_n(&tb->hash_next, __ATOMIC_ACQUIRE)) {
        if (tb->phys_pc != phys_pc || tb->pc != pc || tb->flags != flags ||
            tb->cs_base != cs_base ||
            __atomic_load_n(&tb->invalid, __ATOMIC_ACQUIRE)) {
            continue;
        }
        /* A TB running into a second page: that page must still be the
         * same physical page under the current mapping. */
        if (tb->page_addr[1] != RAM_ADDR_INVALID) {
            uint64_t page2 = (pc + tb->size - 1) & TARGET_PAGE_MASK;
            if (probe_page_addr_code(env, page2) != tb->page_addr[1]) {
                continue;
            }
        }
        return tb;
    }
    return NULL;
}

static void tb_hash_remove_locked(TranslationBlock *tb)
{
    unsigned h = tb_hash(tb->phys_pc, tb->pc, tb->flags, tb->cs_base);
    TranslationBlock **p;

    for (p = &tb_ctx.htable[h]; *p; p = &(*p)->hash_next) {
        if (*p == tb) {
            /* tb->hash_next stays: a reader standing on tb walks on. */
            __atomic_store_n(p, tb->hash_next, __ATOMIC_RELEASE);
            return;
        }
    }
}

/* ---- pages ------------------------------------------------------------ */

static unsigned page_hash(uint64_t index)
{
    return (index * 0x9e3779b97f4a7c15ULL) >> (64 - PAGE_HTABLE_BITS);
}

static PageDesc *page_find(uint64_t index)
{
    PageDesc *pd;

    for (pd = tb_ctx.pages[page_hash(index)]; pd; pd = pd->next) {
        if (pd->index == index) {
            return pd;
        }
    }
    return NULL;
}

static PageDesc *page_find_alloc(uint64_t index)
{
    PageDesc *pd = page_find(index);
    unsigned h = page_hash(index);

    if (!pd) {
        pd = xzalloc(sizeof(*pd));
        pd->index = index;
        pd->next = tb_ctx.pages[h];
        tb_ctx.pages[h] = pd;
    }
    return pd;
}

static void page_free(PageDesc *pd)
{
    PageDesc **p;

    for (p = &tb_ctx.pages[page_hash(pd->index)]; *p; p = &(*p)->next) {
        if (*p == pd) {
            *p = pd->next;
            free(pd);
            return;
        }
    }
}

/*
 * The page will hold code: clear its CODE dirty bit so writes call the
 * hook, and make every vCPU's fast-path write entries for it slow.
 */
void tb_page_protect_locked(uint64_t ram_page)
{
    if (cpu_physical_memory_test_and_clear_dirty(ram_page, TARGET_PAGE_SIZE,
                                                 DIRTY_MEMORY_CODE)) {
        tlb_reset_dirty_range_all(ram_page, TARGET_PAGE_SIZE);
    }
}

/* Link a new TB into its pages' lists and the hash table. */
void tb_link_locked(TranslationBlock *tb)
{
    unsigned h = tb_hash(tb->phys_pc, tb->pc, tb->flags, tb->cs_base);

    for (int n = 0; n < 2; n++) {
        PageDesc *pd;

        if (tb->page_addr[n] == RAM_ADDR_INVALID) {
            continue;
        }
        tb_page_protect_locked(tb->page_addr[n]);
        pd = page_find_alloc(tb->page_addr[n] >> TARGET_PAGE_BITS);
        tb->page_next[n] = pd->first_tb;
        pd->first_tb = (uintptr_t)tb | n;
    }
    tb->cached = true;
    tb->hash_next = tb_ctx.htable[h];
    __atomic_store_n(&tb_ctx.htable[h], tb, __ATOMIC_RELEASE);
    tb_ctx.tb_count++;
    tb_ctx.code_bytes += tb->size;
}

static void tb_page_remove_locked(TranslationBlock *tb, int n)
{
    uint64_t page = tb->page_addr[n];
    PageDesc *pd = page_find(page >> TARGET_PAGE_BITS);
    uintptr_t *p;

    if (!pd) {
        return;
    }
    for (p = &pd->first_tb; *p; ) {
        TranslationBlock *t = (TranslationBlock *)(*p & ~(uintptr_t)1);
        int tn = *p & 1;
        if (t == tb && tn == n) {
            *p = t->page_next[tn];
            break;
        }
        p = &t->page_next[tn];
    }
    if (!pd->first_tb) {
        /* No code left: writes may take the fast path again. */
        page_free(pd);
        cpu_physical_memory_set_dirty_flag(page, DIRTY_MEMORY_CODE);
    }
}

/* ---- chaining ---------------------------------------------------------- */

static bool tb_chain_ok(const TranslationBlock *tb, const TranslationBlock *next)
{
    uint64_t page = next->pc & TARGET_PAGE_MASK;

    /*
     * Only within the pages tb covers: tb itself was found under the
     * current mapping of those pages, so a TB there is the right one
     * however the page tables change later (changes flush the TLB and
     * jump cache, and TB lookups start again from there).
     */
    return next->cs_base == tb->cs_base && next->flags == tb->flags &&
           (page == (tb->pc & TARGET_PAGE_MASK) ||
            page == ((tb->pc + tb->size - 1) & TARGET_PAGE_MASK));
}

void tb_add_jump(TranslationBlock *tb, int n, uint64_t rip,
                 TranslationBlock *next)
{
    int64_t off = (int64_t)(rip - (tb->pc - tb->cs_base));

    if (!(tb->chain_mask & (1u << n)) || !tb_chain_ok(tb, next) ||
        off != (int32_t)off) {
        return;
    }
    pthread_mutex_lock(&tb_ctx.lock);
    if (!tb->invalid && !next->invalid && !tb->jmp_dest[n] && tb->cached &&
        next->cached) {
        tb->jmp_off[n] = (int32_t)off;
        tb->jmp_list_next[n] = next->jmp_list_head;
        next->jmp_list_head = (uintptr_t)tb | n;
        __atomic_store_n(&tb->jmp_dest[n], next, __ATOMIC_RELEASE);
        tb_ctx.chained++;
    }
    pthread_mutex_unlock(&tb_ctx.lock);
}

static void tb_jmp_unlink_locked(TranslationBlock *tb)
{
    uintptr_t p = tb->jmp_list_head;

    /* Whoever jumps to tb stops doing so. */
    while (p) {
        TranslationBlock *src = (TranslationBlock *)(p & ~(uintptr_t)1);
        int n = p & 1;
        p = src->jmp_list_next[n];
        __atomic_store_n(&src->jmp_dest[n], NULL, __ATOMIC_RELEASE);
        src->jmp_list_next[n] = 0;
    }
    tb->jmp_list_head = 0;

    /* And tb leaves its targets' incoming lists. */
    for (int n = 0; n < 2; n++) {
        TranslationBlock *dest = tb->jmp_dest[n];
        uintptr_t *pp, me = (uintptr_t)tb | n;

        if (!dest) {
            continue;
        }
        for (pp = &dest->jmp_list_head; *pp; ) {
            TranslationBlock *s = (TranslationBlock *)(*pp & ~(uintptr_t)1);
            if (*pp == me) {
                *pp = tb->jmp_list_next[n];
                break;
            }
            pp = &s->jmp_list_next[*pp & 1];
        }
        __atomic_store_n(&tb->jmp_dest[n], NULL, __ATOMIC_RELEASE);
    }
}

/* ---- invalidation ------------------------------------------------------ */

static void tb_forget_on_cpu(TCGCPUState *tcg, void *opaque)
{
    TranslationBlock *tb = opaque;
    unsigned h = tb_jmp_cache_hash(tb->pc);

    if (__atomic_load_n(&tcg->jmp_cache[h], __ATOMIC_RELAXED) == tb) {
        __atomic_store_n(&tcg->jmp_cache[h], NULL, __ATOMIC_RELAXED);
    }
    /* Running it: finish the current instruction, then leave. */
    if (__atomic_load_n(&tcg->current_tb, __ATOMIC_RELAXED) == tb) {
        __atomic_store_n(&tcg->tb_stop, 1, __ATOMIC_RELAXED);
    }
}

static void tb_phys_invalidate_locked(TranslationBlock *tb)
{
    __atomic_store_n(&tb->invalid, 1, __ATOMIC_RELEASE);
    tb_hash_remove_locked(tb);
    for (int n = 0; n < 2; n++) {
        if (tb->page_addr[n] != RAM_ADDR_INVALID) {
            tb_page_remove_locked(tb, n);
        }
    }
    tb_jmp_unlink_locked(tb);
    tcg_foreach_cpu(tb_forget_on_cpu, tb);
    tb->cached = false;
    tb_ctx.tb_count--;
    tb_ctx.code_bytes -= tb->size;
    tb_ctx.invalidations++;
}

/* The ram address range [*start, *end) that tb's bytes occupy on page n. */
static void tb_page_range(const TranslationBlock *tb, int n, uint64_t *start,
                          uint64_t *end)
{
    uint64_t page0_end = (tb->phys_pc & TARGET_PAGE_MASK) + TARGET_PAGE_SIZE;
    uint64_t first_len = MIN((uint64_t)tb->size, page0_end - tb->phys_pc);

    if (n == 0) {
        *start = tb->phys_pc;
        *end = tb->phys_pc + first_len;
    } else {
        *start = tb->page_addr[1];
        *end = tb->page_addr[1] + (tb->size - first_len);
    }
}

void tb_invalidate_phys_range(uint64_t start, uint64_t end)
{
    pthread_mutex_lock(&tb_ctx.lock);
    tb_ctx.invalidate_seq++;
    for (uint64_t page = start & TARGET_PAGE_MASK; page < end;
         page += TARGET_PAGE_SIZE) {
        PageDesc *pd = page_find(page >> TARGET_PAGE_BITS);
        uintptr_t p;

        if (!pd) {
            cpu_physical_memory_set_dirty_flag(page, DIRTY_MEMORY_CODE);
            continue;
        }
        /* Invalidating the last TB frees pd: walk by saved links only. */
        for (p = pd->first_tb; p; ) {
            TranslationBlock *tb = (TranslationBlock *)(p & ~(uintptr_t)1);
            int n = p & 1;
            uint64_t s, e;

            p = tb->page_next[n];
            tb_page_range(tb, n, &s, &e);
            if (s < end && start < e) {
                tb_phys_invalidate_locked(tb);
            }
        }
    }
    pthread_mutex_unlock(&tb_ctx.lock);
}

/* ---- flush ------------------------------------------------------------- */

static void tb_flush_on_cpu(TCGCPUState *tcg, void *opaque)
{
    for (unsigned i = 0; i < TB_JMP_CACHE_SIZE; i++) {
        __atomic_store_n(&tcg->jmp_cache[i], NULL, __ATOMIC_RELAXED);
    }
}

void tb_flush_locked(void)
{
    memset(tb_ctx.htable, 0, sizeof(tb_ctx.htable));
    for (unsigned i = 0; i < PAGE_HTABLE_SIZE; i++) {
        PageDesc *pd = tb_ctx.pages[i], *next;
        for (; pd; pd = next) {
            next = pd->next;
            /* CODE stays clear: the next write finds no TB and sets it. */
            free(pd);
        }
        tb_ctx.pages[i] = NULL;
    }
    tcg_foreach_cpu(tb_flush_on_cpu, NULL);
    tb_ctx.buf_used = 0;
    tb_ctx.tb_count = 0;
    tb_ctx.code_bytes = 0;
    __atomic_add_fetch(&tb_ctx.flush_count, 1, __ATOMIC_RELEASE);
}

static void do_tb_flush_work(CPUState *cpu, run_on_cpu_data data)
{
    pthread_mutex_lock(&tb_ctx.lock);
    /* Several vCPUs may have asked for the same flush. */
    if (tb_ctx.flush_count == data.uint64_t_value) {
        tb_flush_locked();
    }
    pthread_mutex_unlock(&tb_ctx.lock);
}

void tb_flush(CPUX86State *env)
{
    if (current_cpu) {
        run_on_cpu_data d = { .uint64_t_value = tb_flush_count() };
        async_safe_run_on_cpu(current_cpu, do_tb_flush_work, d);
        return;
    }
    pthread_mutex_lock(&tb_ctx.lock);
    tb_flush_locked();
    pthread_mutex_unlock(&tb_ctx.lock);
}

/* ---- statistics --------------------------------------------------------- */

static void stats_add_cpu(TCGCPUState *tcg, void *opaque)
{
    TCGStats *st = opaque;

    st->jc_lookups += tcg->jc_lookups;
    st->jc_hits += tcg->jc_hits;
    st->htable_lookups += tcg->htable_lookups;
    st->htable_hits += tcg->htable_hits;
    st->tlb_flushes += tcg->tlb_flushes;
    st->tlb_fills += tcg->tlb_fills;
}

void tcg_get_stats(TCGStats *st)
{
    memset(st, 0, sizeof(*st));
    pthread_mutex_lock(&tb_ctx.lock);
    st->tb_count = tb_ctx.tb_count;
    st->tb_translated = tb_ctx.tb_translated;
    st->code_bytes = tb_ctx.code_bytes;
    st->buffer_used = tb_ctx.buf_used;
    st->buffer_size = tb_ctx.buf_size;
    st->flushes = tb_ctx.flush_count;
    st->invalidations = tb_ctx.invalidations;
    st->chained = tb_ctx.chained;
    st->jit_tbs = tb_ctx.jit_tbs;
    st->jit_insns = tb_ctx.jit_insns;
    st->jit_inline = tb_ctx.jit_inline;
    tcg_foreach_cpu(stats_add_cpu, st);
    pthread_mutex_unlock(&tb_ctx.lock);
}

static unsigned percent(uint64_t part, uint64_t whole)
{
    return whole ? (unsigned)(part * 100 / whole) : 0;
}

void tcg_dump_info(StrBuf *out)
{
    TCGStats st;

    tcg_get_stats(&st);
    strbuf_printf(out, "Translation buffer state:\n");
    strbuf_printf(out, "gen code size       %" PRIu64 "/%" PRIu64 "\n",
                  st.buffer_used, st.buffer_size);
    strbuf_printf(out, "TB count            %" PRIu64 "\n", st.tb_count);
    strbuf_printf(out, "TB translated       %" PRIu64 "\n", st.tb_translated);
    strbuf_printf(out, "guest code size     %" PRIu64 " bytes (avg %" PRIu64
                  " bytes/TB)\n", st.code_bytes,
                  st.tb_count ? st.code_bytes / st.tb_count : 0);
    strbuf_printf(out, "direct jump count   %" PRIu64 "\n", st.chained);
    strbuf_printf(out, "JIT                 %s\n", tcg_jit_enabled() ? "on" : "off");
    strbuf_printf(out, "JIT TBs translated  %" PRIu64 " (%" PRIu64 " insns, %u%% inline)\n",
                  st.jit_tbs, st.jit_insns, percent(st.jit_inline, st.jit_insns));
    strbuf_printf(out, "\nStatistics:\n");
    strbuf_printf(out, "TB flush count      %" PRIu64 "\n", st.flushes);
    strbuf_printf(out, "TB invalidate count %" PRIu64 "\n", st.invalidations);
    strbuf_printf(out, "jump cache lookups  %" PRIu64 " (%u%% hits)\n",
                  st.jc_lookups, percent(st.jc_hits, st.jc_lookups));
    strbuf_printf(out, "TB hash lookups     %" PRIu64 " (%u%% hits)\n",
                  st.htable_lookups, percent(st.htable_hits, st.htable_lookups));
    strbuf_printf(out, "TLB flush count     %" PRIu64 "\n", st.tlb_flushes);
    strbuf_printf(out, "TLB fill count      %" PRIu64 "\n", st.tlb_fills);
}
