/*
 * The software CPU's execution loop (see include/accel/tcg/cpu-exec.h for
 * where TB lookup, the jump cache and chaining will go).
 */
#include "util/osdep.h"
#include "accel/tcg/cpu-exec.h"
#include "target/x86/cpu-qom.h"
#include "util/log.h"

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
        /* TB boundary: exit requests, interrupts, the STI/MOV SS shadow */
        if (unlikely(x86_cpu_exit_pending(env))) {
            break;
        }
        tb_gen_code(env, tb, (int)MIN(env->icount_budget, TB_MAX_INSNS));
        if (unlikely(qemu_loglevel_mask(CPU_LOG_TB_CPU | CPU_LOG_EXEC))) {
            x86_log_tb_exec(env, tb);
        }
        cpu_tb_exec(env, tb);
    }
    ret = EXCP_INTERRUPT;
out:
    return ret;
}

/*
 * Run exactly one instruction, translated afresh and not cached (the
 * instruction after STI or MOV SS), with no interrupt check before it.
 */
static int cpu_exec_one(CPUX86State *env)
{
    TranslationBlock *tb = xnew(TranslationBlock);
    int ret = EXCP_INTERRUPT;

    env->exception_index = EXCP_NONE;
    env->exception_is_int = 0;
    if (sigsetjmp(env->jmp_env, 0)) {
        ret = env->exception_index;
        goto out;
    }
    tb_gen_code(env, tb, 1);
    cpu_tb_exec(env, tb);
out:
    free(tb);
    return ret;
}

/* -d cpu and -d exec, before a TB runs. */
void x86_log_tb_exec(CPUX86State *env, const TranslationBlock *tb)
{
    if (qemu_loglevel_mask(CPU_LOG_TB_CPU) && env->cpu) {
        x86_cpu_dump_state(env->cpu, NULL, 0);
    }
    qemu_log_mask(CPU_LOG_EXEC, "Trace %d: %p [%016" PRIx64 "/%016" PRIx64
                  "/%08x]\n", env->cpu ? env->cpu->cpu_index : 0, (void *)tb,
                  tb->cs_base, tb->pc, tb->flags);
}

static void set_halted(CPUX86State *env, bool halted)
{
    env->halted = halted;
    if (env->cpu) {
        env->cpu->halted = halted;
    }
}

/*
 * The outer loop (QEMU's cpu_exec with cpu_handle_halt,
 * cpu_handle_exception and cpu_handle_interrupt): deliver the pending
 * exception, take interrupts at instruction boundaries, step through an
 * interrupt shadow one instruction at a time, and run guest code with
 * cpu_exec() in between.  A fault while delivering longjmps back to the
 * sigsetjmp at the top of the loop with the next exception (#DF rules
 * are applied when it is raised).
 */
int x86_cpu_exec(CPUX86State *env)
{
    CPUState *cs = env->cpu;
    int ret;

    if (cs ? cs->halted != 0 : env->halted != 0) {
        if (!cs || !x86_cpu_has_work(cs)) {
            return EXCP_HLT;
        }
        set_halted(env, false);
    }
    env->exception_index = EXCP_NONE;
    for (;;) {
        if (sigsetjmp(env->jmp_env, 0)) {
            /* raised while delivering an event: loop to deliver it */
        }
        if (env->exception_index >= 0) {
            if (env->exception_index >= EXCP_INTERRUPT) {
                ret = env->exception_index;
                env->exception_index = EXCP_NONE;
                if (ret == EXCP_HLT) {
                    set_halted(env, true);
                }
                return ret;
            }
            x86_cpu_do_interrupt(env);
        }
        if (cs && __atomic_load_n(&cs->exit_request, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&cs->exit_request, 0, __ATOMIC_RELEASE);
            return EXCP_INTERRUPT;
        }
        if (x86_cpu_handle_interrupts(env)) {
            set_halted(env, true);
            return EXCP_HLT;
        }
        if (env->icount_budget <= 0) {
            return EXCP_INTERRUPT;
        }
        if (env->hflags & HF_INHIBIT_IRQ_MASK) {
            /* one instruction with interrupts held off, then recheck */
            int64_t budget = env->icount_budget - 1;

            env->hflags &= ~HF_INHIBIT_IRQ_MASK;
            env->icount_budget = 1;
            ret = cpu_exec_one(env);
            env->icount_budget += budget;
        } else {
            ret = cpu_exec(env);
        }
        if (ret >= 0 && ret < EXCP_INTERRUPT) {
            env->exception_index = ret;    /* deliver at the loop top */
        } else if (ret == EXCP_HLT) {
            set_halted(env, true);
            return EXCP_HLT;
        }
    }
}
