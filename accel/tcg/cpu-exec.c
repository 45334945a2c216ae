/*
 * The software CPU's execution loop: TB lookup (jump cache, then the hash
 * table, then translation), running TBs, and following chained TBs
 * without going back to the lookup.  See include/accel/tcg/cpu-exec.h.
 */
#include "util/osdep.h"
#include "internal.h"
#include "target/x86/cpu-qom.h"
#include "util/log.h"

/* A TB decoded into the caller's storage and run once (no softmmu, or
 * code outside RAM). */
typedef struct TBTemp {
    _Alignas(16) uint8_t storage[TB_ALLOC_SIZE(TB_MAX_INSNS)];
} TBTemp;

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

static void tb_exec_uncached(CPUX86State *env)
{
    TBTemp tmp;
    TranslationBlock *tb = (TranslationBlock *)tmp.storage;

    tb_gen_code(env, tb, (int)MIN(env->icount_budget, TB_MAX_INSNS));
    cpu_tb_exec(env, tb);
}

static inline uint64_t current_pc(const CPUX86State *env)
{
    uint64_t pc = env->segs[R_CS].base + env->rip;
    return (env->hflags & HF_CS64_MASK) ? pc : (uint32_t)pc;
}

/*
 * Under a CS limit (HF_CSLIM) a TB may run only if it ends within the
 * limit: the limit is not part of the key, so a TB translated under a
 * larger one can reach beyond it.
 */
static inline bool tb_in_cs_limit(const CPUX86State *env,
                                  const TranslationBlock *tb)
{
    return !(tb->flags & HF_CSLIM_MASK) ||
           (uint64_t)(uint32_t)env->rip + tb->size <=
           (uint64_t)env->segs[R_CS].limit + 1;
}

TranslationBlock *tb_lookup(CPUX86State *env)
{
    TCGCPUState *tcg = env->tcg;
    uint64_t pc = current_pc(env);
    uint64_t cs_base = env->segs[R_CS].base;
    uint32_t flags = env->hflags;
    unsigned h = tb_jmp_cache_hash(pc);
    TranslationBlock *tb;
    uint64_t phys_pc;

    tcg->jc_lookups++;
    tb = __atomic_load_n(&tcg->jmp_cache[h], __ATOMIC_ACQUIRE);
    if (likely(tb && tb->pc == pc && tb->cs_base == cs_base &&
               tb->flags == flags &&
               !__atomic_load_n(&tb->invalid, __ATOMIC_RELAXED))) {
        tcg->jc_hits++;
        return tb;
    }
    if (unlikely(flags & HF_CSLIM_MASK) &&
        (uint32_t)env->rip > env->segs[R_CS].limit) {
        return NULL;     /* translation raises #GP(0), before any #PF */
    }
    /* May raise the fetch fault, with rip at this TB's first byte. */
    phys_pc = get_page_addr_code(env, pc);
    if (phys_pc == RAM_ADDR_INVALID) {
        return NULL;
    }
    tcg->htable_lookups++;
    tb = tb_htable_lookup(env, pc, cs_base, flags, phys_pc);
    if (tb) {
        tcg->htable_hits++;
    } else {
        tb = tb_gen_code_cached(env, pc, cs_base, flags, phys_pc);
        if (!tb) {
            return NULL;
        }
    }
    __atomic_store_n(&tcg->jmp_cache[h], tb, __ATOMIC_RELEASE);
    return tb;
}

/*
 * Run a cached TB, or as much of it as the budget allows.  Returns true
 * when every instruction ran and nothing asked to stop (the exit may be
 * chained).  tb_stop is set when a store invalidates this TB: the rest
 * of it is stale, so it ends after the storing instruction.
 */
static inline bool tb_exec_cached(CPUX86State *env, TCGCPUState *tcg,
                                  TranslationBlock *tb)
{
    const DecodedInsn *d = tb->insns, *end = tb->insns + tb->icount;
    bool complete = true;

    if (unlikely(env->icount_budget < tb->icount)) {
        end = tb->insns + env->icount_budget;
        complete = false;
    }
    __atomic_store_n(&tcg->current_tb, tb, __ATOMIC_RELAXED);
    if (tb->jit && complete) {
        /* Budget and rip are kept by the host code itself. */
        if (unlikely(tb->jit(env))) {
            tcg->tb_stop = 0;
            complete = false;
        }
        __atomic_store_n(&tcg->current_tb, NULL, __ATOMIC_RELAXED);
        return complete;
    }
    for (; d < end; d++) {
        env->icount_budget--;
        d->handler(env, d);
        if (unlikely(__atomic_load_n(&tcg->tb_stop, __ATOMIC_RELAXED))) {
            tcg->tb_stop = 0;
            complete = false;
            break;
        }
    }
    __atomic_store_n(&tcg->current_tb, NULL, __ATOMIC_RELAXED);
    return complete;
}

static int __attribute__((noinline)) cpu_exec_loop(CPUX86State *env,
                                                   TCGCPUState *tcg)
{
    TranslationBlock *last = NULL, *tb;

    /* TB boundary: exit requests, interrupts, the STI/MOV SS shadow. */
    while (env->icount_budget > 0 && !x86_cpu_exit_pending(env)) {
        int n = 0;

        tb = NULL;
        tlb_check_map_generation(tcg);
        if (last) {
            /* Exit 0 falls through, exit 1 is the branch target. */
            n = env->rip != last->pc + last->size - last->cs_base;
            tb = __atomic_load_n(&last->jmp_dest[n], __ATOMIC_ACQUIRE);
            if (tb && (last->pc - last->cs_base +
                       (int64_t)last->jmp_off[n] != env->rip ||
                       tb->flags != env->hflags ||
                       __atomic_load_n(&tb->invalid, __ATOMIC_RELAXED))) {
                tb = NULL;
            }
        }
        if (!tb) {
            uint64_t flushes;

            flushes = tb_flush_count();
            tb = tb_lookup(env);
            if (!tb) {
                tb_exec_uncached(env);
                last = NULL;
                continue;
            }
            if (last && tb_flush_count() == flushes) {
                tb_add_jump(last, n, env->rip, tb);
            }
        }
        if (unlikely(!tb_in_cs_limit(env, tb))) {
            tb_exec_uncached(env);     /* stops at the limit */
            last = NULL;
            continue;
        }
        if (unlikely(qemu_loglevel_mask(CPU_LOG_TB_CPU | CPU_LOG_EXEC))) {
            x86_log_tb_exec(env, tb);
        }
        last = tb_exec_cached(env, tcg, tb) ? tb : NULL;
    }
    return EXCP_INTERRUPT;
}

/* Without a softmmu: one TB, translated afresh each time (unit tests). */
static int cpu_exec_uncached(CPUX86State *env)
{
    env->exception_index = EXCP_NONE;
    env->exception_is_int = 0;
    if (sigsetjmp(env->jmp_env, 0)) {
        /* A guest exception: rip is at the faulting instruction. */
        return env->exception_index;
    }
    while (env->icount_budget > 0 && !x86_cpu_exit_pending(env)) {
        tb_exec_uncached(env);
    }
    return EXCP_INTERRUPT;
}

int cpu_exec(CPUX86State *env)
{
    TCGCPUState *tcg = env->tcg;
    int ret;

    if (!tcg) {
        return cpu_exec_uncached(env);
    }
    /* TLB host pointers stay valid while this is held (see cputlb.h). */
    urcu_bp_read_lock();
    tcg->rcu_held = true;
    tcg->tb_stop = 0;
    env->exception_index = EXCP_NONE;
    env->exception_is_int = 0;
    if (sigsetjmp(env->jmp_env, 0)) {
        /* A guest exception (rip at the faulting instruction), or a
         * code buffer flush queued as exclusive work. */
        __atomic_store_n(&tcg->current_tb, NULL, __ATOMIC_RELAXED);
        tcg->tb_stop = 0;
        ret = env->exception_index;
        goto out;
    }
    ret = cpu_exec_loop(env, tcg);
out:
    tcg->rcu_held = false;
    urcu_bp_read_unlock();
    return ret;
}

/*
 * Run exactly one instruction, translated afresh and not cached (the
 * instruction after STI or MOV SS), with no interrupt check before it.
 */
static int cpu_exec_one(CPUX86State *env)
{
    TBTemp tmp;
    TranslationBlock *tb = (TranslationBlock *)tmp.storage;
    int ret = EXCP_INTERRUPT;

    env->exception_index = EXCP_NONE;
    env->exception_is_int = 0;
    if (sigsetjmp(env->jmp_env, 0)) {
        ret = env->exception_index;
        goto out;
    }
    if (env->dbg_active & DBG_EXEC) {
        x86_check_insn_breakpoint(env);
    }
    tb_gen_code(env, tb, 1);
    cpu_tb_exec(env, tb);
out:
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
        if (env->hflags & HF_INHIBIT_IRQ_MASK || (env->eflags & TF_MASK) ||
            env->dbg_active) {
            /*
             * One instruction at a time: after STI/MOV SS (interrupts held
             * off for it), with EFLAGS.TF set at its start, which makes
             * it trap with #DB (DR6.BS) once it completes, or while DR7
             * enables breakpoints (checked before it, and data hits
             * trapping after it).  EFLAGS.RF lasts for one instruction.
             */
            bool single_step = env->eflags & TF_MASK;
            bool rf = env->eflags & RF_MASK;
            int64_t budget = env->icount_budget - 1;

            env->hflags &= ~HF_INHIBIT_IRQ_MASK;
            env->icount_budget = 1;
            env->dbg_hits = 0;
            ret = cpu_exec_one(env);
            env->icount_budget += budget;
            if (ret == EXCP_INTERRUPT) {
                if (rf) {
                    env->eflags &= ~(uint64_t)RF_MASK;
                }
                if (x86_debug_after_insn(env)) {
                    ret = EXCP01_DB;
                }
                if (single_step) {
                    env->dr[6] |= DR6_BS;
                    ret = EXCP01_DB;
                }
            }
            env->dbg_hits = 0;
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
