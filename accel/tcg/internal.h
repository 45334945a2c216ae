/*
 * State shared by the TB cache files (tb-maint.c, translate-all.c,
 * cpu-exec.c): one TBContext for the whole process, as QEMU's tb_ctx.
 *
 * Locking: `lock` serialises every change (translation's linking,
 * invalidation, chaining, flush).  Readers (tb_htable_lookup, chain
 * following) walk without it: TBs are only unlinked, never freed, until a
 * flush, and a flush runs as exclusive work with no vCPU in guest code.
 */
#ifndef ACCEL_TCG_INTERNAL_H
#define ACCEL_TCG_INTERNAL_H

#include "accel/tcg/cpu-exec.h"
#include "accel/tcg/cputlb.h"
#include <pthread.h>

#define TB_HTABLE_BITS 16
#define TB_HTABLE_SIZE (1u << TB_HTABLE_BITS)
#define PAGE_HTABLE_BITS 14
#define PAGE_HTABLE_SIZE (1u << PAGE_HTABLE_BITS)
#define TB_DEFAULT_BUFFER_SIZE (64 * MiB)

/* A guest physical (ram address) page holding code: its TBs. */
typedef struct PageDesc {
    uint64_t index;           /* ram address >> TARGET_PAGE_BITS */
    uintptr_t first_tb;       /* TB | n, linked through page_next[n] */
    struct PageDesc *next;    /* hash chain */
} PageDesc;

typedef struct TBContext {
    pthread_mutex_t lock;
    bool initialised;
    TranslationBlock *htable[TB_HTABLE_SIZE];
    PageDesc *pages[PAGE_HTABLE_SIZE];
    uint8_t *buf;             /* the code buffer: TBs, bump-allocated */
    size_t buf_size, buf_used;
    /* Bumped by every code-write hook call: translation retries if a
     * write raced with it. */
    uint64_t invalidate_seq;
    uint64_t flush_count;     /* atomic */
    /* Statistics, under lock. */
    uint64_t tb_count, tb_translated, code_bytes;
    uint64_t invalidations, chained;
    uint64_t jit_tbs, jit_insns, jit_inline;
    bool jit_off;             /* -accel tcg,jit=off */
    bool buf_exec;            /* the code buffer is executable */
} TBContext;

extern TBContext tb_ctx;

/* tb-maint.c, with tb_ctx.lock held. */
void tb_link_locked(TranslationBlock *tb);
void tb_page_protect_locked(uint64_t ram_page);
void tb_flush_locked(void);

static inline uint64_t tb_flush_count(void)
{
    return __atomic_load_n(&tb_ctx.flush_count, __ATOMIC_ACQUIRE);
}

#endif
