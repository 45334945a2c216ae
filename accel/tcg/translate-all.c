/*
 * Translation: guest bytes -> TranslationBlock of DecodedInsn.
 * The TB cache (hash on physical pc, cs_base, flags), page lists for
 * self-modifying code and the flush as exclusive work will live here.
 */
#include "util/osdep.h"
#include "accel/tcg/cpu-exec.h"

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

    tb->pc = pc;
    tb->cs_base = cs_base;
    tb->flags = env->hflags;
    tb->icount = 0;
    tb->size = 0;
    max_insns = MIN(max_insns, TB_MAX_INSNS);

    while (tb->icount < max_insns) {
        DecodedInsn *d = &tb->insns[tb->icount];
        int avail = fetch(env, pc, buf);
        int len = x86_decode(env->hflags, buf, avail, d);

        if (len == 0) {
            if (tb->icount) {
                break;   /* let the next TB take the fault, precisely */
            }
            /* Touch the first missing byte: the memory layer raises the
             * fetch fault (#PF, or #GP beyond RAM). */
            env->mem_ops->load(env, pc + avail, 1, MMU_INST_FETCH);
            raise_exception_err(env, EXCP0D_GPF, 0);
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
