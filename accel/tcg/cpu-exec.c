/*
 * The software CPU's execution loop (see include/accel/tcg/cpu-exec.h for
 * where TB lookup, the jump cache and chaining will go).
 */
#include "util/osdep.h"
#include "accel/tcg/cpu-exec.h"

void cpu_tb_exec(CPUX86State *env, const TranslationBlock *tb)
{
    const DecodedInsn *d = tb->insns, *end = tb->insns + tb->icount;

    /* Each instruction counts before it runs, so a faulting one is
     * accounted too; handlers advance rip themselves. */
    for (; d < end; d++) {
        env->icount_budget--;
        d->handler(env, d);
    }
}

int cpu_exec(CPUX86State *env)
{
    /* One TB, retranslated each time, until the TB cache exists. */
    TranslationBlock tb_storage, *tb = &tb_storage;
    int ret;

    env->exception_index = EXCP_NONE;
    env->exception_is_int = 0;
    if (sigsetjmp(env->jmp_env, 0)) {
        /* A guest exception: rip is at the faulting instruction. */
        ret = env->exception_index;
        goto out;
    }
    while (env->icount_budget > 0) {
        tb_gen_code(env, tb, (int)MIN(env->icount_budget, TB_MAX_INSNS));
        cpu_tb_exec(env, tb);
    }
    ret = EXCP_INTERRUPT;
out:
    return ret;
}
