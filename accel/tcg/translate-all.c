/*
 * Translation: guest bytes -> TranslationBlock of DecodedInsn, and the
 * code buffer cached TBs live in (flushed whole when full, as exclusive
 * work).  The cache itself is in tb-maint.c.
 */
#include "util/osdep.h"
#include "internal.h"
#include "memory/ram_addr.h"
#include "hw/core/cpu.h"
#include "util/log.h"
#include <sys/mman.h>

/* Code bytes at linear pc, at most up to the end of the TB's page pair. */
static int fetch(CPUX86State *env, uint64_t pc, uint8_t *buf)
{
    return env->mem_ops->fetch_code(env, pc, buf, X86_MAX_INSN_LEN + 1);
}

void tb_gen_code(CPUX86State *env, TranslationBlock *tb, int max_insns)
{
    bool code64 = env->hflags & HF_CS64_MASK;
    uint64_t cs_base = env->segs[R_CS].base;
    uint64_t rip = env->rip;
    uint64_t pc = code64 ? cs_base + rip : (uint32_t)(cs_base + rip);
    uint8_t buf[X86_MAX_INSN_LEN + 1];
    /* Code bytes left before the CS limit (HF_CSLIM), or no bound. */
    uint64_t room = UINT64_MAX;

    if (env->hflags & HF_CSLIM_MASK) {
        uint32_t eip = rip, limit = env->segs[R_CS].limit;
        room = eip > limit ? 0 : (uint64_t)limit - eip + 1;
    }
    tb->pc = pc;
    tb->cs_base = cs_base;
    tb->flags = env->hflags;
    tb->icount = 0;
    tb->size = 0;
    tb->jit = NULL;
    max_insns = MIN(max_insns, TB_MAX_INSNS);

    while (tb->icount < max_insns) {
        DecodedInsn *d = &tb->insns[tb->icount];
        int avail = room ? fetch(env, pc, buf) : 0;
        bool at_limit = room < (uint64_t)avail || room == 0;
        int len = x86_decode(env->hflags, buf, at_limit ? (int)room : avail, d);

        if (len == 0) {
            if (tb->icount) {
                break;   /* let the next TB take the fault, precisely */
            }
            if (at_limit) {
                /* the instruction reaches beyond the CS limit */
                raise_exception_err(env, EXCP0D_GPF, 0);
            }
            /* Touch the first missing byte: the memory layer raises the
             * fetch fault (#PF, or #GP beyond RAM). */
            env->mem_ops->load(env, pc + avail, 1, MMU_INST_FETCH);
            raise_exception_err(env, EXCP0D_GPF, 0);
        }
        if (room != UINT64_MAX) {
            room -= len;
        }
        tb->icount++;
        tb->size += len;
        pc += len;
        if (d->flags & INSN_END_TB) {
            break;
        }
        /* Stop at a page boundary: a TB covers at most two pages. */
        if ((pc & TARGET_PAGE_MASK) != (tb->pc & TARGET_PAGE_MASK)) {
            break;
        }
    }
    x86_log_tb_in_asm(env, tb->pc, tb->size);
}

/* ---- code buffer -------------------------------------------------------- */

static size_t requested_buffer_size = TB_DEFAULT_BUFFER_SIZE;

static void code_buffer_alloc_locked(size_t size, bool exec)
{
    const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;

    if (tb_ctx.buf) {
        munmap(tb_ctx.buf, tb_ctx.buf_size);
    }
    /* Reserved, not committed: pages appear as TBs are written. */
    tb_ctx.buf = MAP_FAILED;
    tb_ctx.buf_exec = false;
    if (exec) {
        /* Executable too: the JIT's code follows each TB it compiles. */
        tb_ctx.buf = mmap(NULL, size, PROT_READ | PROT_WRITE | PROT_EXEC,
                          flags, -1, 0);
        if (tb_ctx.buf == MAP_FAILED) {
            fprintf(stderr, "osprey: TCG code buffer: no executable mapping "
                    "(%s): JIT off\n", strerror(errno));
        } else {
            tb_ctx.buf_exec = true;
        }
    }
    if (tb_ctx.buf == MAP_FAILED) {
        tb_ctx.buf = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, -1, 0);
    }
    if (tb_ctx.buf == MAP_FAILED) {
        fprintf(stderr, "osprey: TCG code buffer: cannot map %zu bytes: %s\n",
                size, strerror(errno));
        abort();
    }
    tb_ctx.buf_size = size;
    tb_ctx.buf_used = 0;
}

static void tb_cache_init_locked(void)
{
    if (tb_ctx.initialised) {
        return;
    }
    tb_ctx.jit_off |= !x86_jit_available();
    code_buffer_alloc_locked(requested_buffer_size, !tb_ctx.jit_off);
    tb_ctx.jit_off |= !tb_ctx.buf_exec;
    memory_set_code_write_hook(tb_invalidate_phys_range);
    tb_ctx.initialised = true;
}

void tb_cache_init(void)
{
    pthread_mutex_lock(&tb_ctx.lock);
    tb_cache_init_locked();
    pthread_mutex_unlock(&tb_ctx.lock);
}

void tcg_set_code_buffer_size(size_t bytes)
{
    bytes = MAX(bytes, (size_t)TB_ALLOC_SIZE(TB_MAX_INSNS) * 2);
    pthread_mutex_lock(&tb_ctx.lock);
    requested_buffer_size = bytes;
    if (tb_ctx.initialised) {
        tb_flush_locked();
        code_buffer_alloc_locked(bytes, !tb_ctx.jit_off);
    }
    pthread_mutex_unlock(&tb_ctx.lock);
}

bool tcg_set_jit_enabled(bool on)
{
    if (on && !x86_jit_available()) {
        return false;
    }
    pthread_mutex_lock(&tb_ctx.lock);
    if (tb_ctx.initialised) {
        tb_flush_locked();
        if (on && !tb_ctx.buf_exec) {
            /* mapped without PROT_EXEC: JIT off at start, or refused */
            code_buffer_alloc_locked(tb_ctx.buf_size, true);
            if (!tb_ctx.buf_exec) {
                tb_ctx.jit_off = true;
                pthread_mutex_unlock(&tb_ctx.lock);
                return false;
            }
        }
    }
    tb_ctx.jit_off = !on;
    pthread_mutex_unlock(&tb_ctx.lock);
    return true;
}

bool tcg_jit_enabled(void)
{
    return !tb_ctx.jit_off && x86_jit_available();
}

/* Room for one more TB of the largest size, or NULL when full. */
static TranslationBlock *tb_alloc_locked(int icount)
{
    size_t size = (TB_ALLOC_SIZE(icount) + 15) & ~(size_t)15;
    size_t start = (tb_ctx.buf_used + TB_ALIGN - 1) & ~(size_t)(TB_ALIGN - 1);

    if (start + size > tb_ctx.buf_size) {
        return NULL;
    }
    TranslationBlock *tb = (TranslationBlock *)(tb_ctx.buf + start);
    tb_ctx.buf_used = start + size;
    return tb;
}

/* Which exits of a TB ending with d are direct (fixed target). */
static uint8_t tb_chain_mask(const TranslationBlock *tb)
{
    const DecodedInsn *d = &tb->insns[tb->icount - 1];

    if (!(d->flags & INSN_END_TB)) {
        return 1;                  /* page end or size limit: falls through */
    }
    if (d->flags & INSN_UNDEF) {
        return 0;
    }
    if (d->map == 0) {
        if ((d->opcode >= 0x70 && d->opcode <= 0x7f) ||
            (d->opcode >= 0xe0 && d->opcode <= 0xe3)) {
            return 3;              /* Jcc rel8, LOOPcc, JCXZ */
        }
        if (d->opcode == 0xe8 || d->opcode == 0xe9 || d->opcode == 0xeb) {
            return 2;              /* CALL/JMP rel */
        }
    } else if (d->map == 1 && d->opcode >= 0x80 && d->opcode <= 0x8f) {
        return 3;                  /* Jcc rel32 */
    }
    return 0;
}

TranslationBlock *tb_gen_code_cached(CPUX86State *env, uint64_t pc,
                                     uint64_t cs_base, uint32_t flags,
                                     uint64_t phys_pc)
{
    _Alignas(16) uint8_t storage[TB_ALLOC_SIZE(TB_MAX_INSNS)];
    TranslationBlock *tmp = (TranslationBlock *)storage;
    TranslationBlock *tb;
    uint64_t seq, page1 = RAM_ADDR_INVALID, last;

retry:
    /*
     * Protect the first page before reading it: a write from now on calls
     * the code-write hook, which bumps invalidate_seq, so a write racing
     * with the decode is seen below and the TB decoded again.
     */
    pthread_mutex_lock(&tb_ctx.lock);
    tb_cache_init_locked();
    tb_page_protect_locked(phys_pc & TARGET_PAGE_MASK);
    seq = tb_ctx.invalidate_seq;
    pthread_mutex_unlock(&tb_ctx.lock);

    tb_gen_code(env, tmp, TB_MAX_INSNS);
    last = tmp->pc + tmp->size - 1;
    if ((last ^ pc) & TARGET_PAGE_MASK) {
        page1 = probe_page_addr_code(env, last);
        if (page1 == RAM_ADDR_INVALID) {
            return NULL;           /* runs into a non-RAM page: uncached */
        }
        page1 &= TARGET_PAGE_MASK;
    }

    pthread_mutex_lock(&tb_ctx.lock);
    if (seq != tb_ctx.invalidate_seq) {
        pthread_mutex_unlock(&tb_ctx.lock);
        goto retry;
    }
    tb = tb_alloc_locked(tmp->icount);
    if (!tb) {
        if (current_cpu) {
            /* Other vCPUs may be running TBs: flush as exclusive work,
             * and leave cpu_exec so it can run. */
            pthread_mutex_unlock(&tb_ctx.lock);
            tb_flush(env);
            env->exception_index = EXCP_INTERRUPT;
            siglongjmp(env->jmp_env, 1);
        }
        tb_flush_locked();
        pthread_mutex_unlock(&tb_ctx.lock);
        goto retry;
    }
    memcpy(tb, tmp, TB_ALLOC_SIZE(tmp->icount));
    tb->invalid = 0;
    tb->cached = false;
    tb->phys_pc = phys_pc;
    tb->page_addr[0] = phys_pc & TARGET_PAGE_MASK;
    tb->page_addr[1] = page1;
    tb->page_next[0] = tb->page_next[1] = 0;
    tb->hash_next = NULL;
    tb->jmp_off[0] = tb->jmp_off[1] = 0;
    tb->jmp_dest[0] = tb->jmp_dest[1] = NULL;
    tb->jmp_list_head = 0;
    tb->jmp_list_next[0] = tb->jmp_list_next[1] = 0;
    tb->chain_mask = tb_chain_mask(tb);
    tb->jit = NULL;
    if (!tb_ctx.jit_off && tb_ctx.buf_exec) {
        uint8_t *code = tb_ctx.buf + tb_ctx.buf_used;
        /* Looping inside a TB would skip -d exec/cpu's per-TB trace. */
        bool loop = !qemu_loglevel_mask(CPU_LOG_TB_CPU | CPU_LOG_EXEC);
        size_t used = x86_jit_translate(tb->flags, tb->insns, tb->icount,
                                        loop ? &tb->invalid : NULL, code,
                                        tb_ctx.buf_size - tb_ctx.buf_used);
        if (used) {
            /* A full buffer just leaves this TB to the interpreter. */
            tb->jit = (X86JitFn *)code;
            tb_ctx.buf_used += (used + 15) & ~(size_t)15;
            tb_ctx.jit_tbs++;
            tb_ctx.jit_insns += tb->icount;
            tb_ctx.jit_inline += x86_jit_count_inline(tb->insns, tb->icount);
        }
    }
    (void)cs_base;
    (void)flags;
    tb_link_locked(tb);
    tb_ctx.tb_translated++;
    pthread_mutex_unlock(&tb_ctx.lock);
    return tb;
}
