/*
 * TCG vCPU threads (see include/accel/tcg/tcg-accel-ops.h).
 *
 * A kick sets cpu->exit_request (checked by cpu_exec at every TB
 * boundary) and qemu_cpu_kick broadcasts halt_cond for a halted CPU.
 */
#include "util/osdep.h"
#include <sys/syscall.h>
#include "accel/tcg/tcg-accel-ops.h"
#include "system/main-loop.h"
#include "target/x86/cpu-qom.h"

static void *tcg_cpu_thread_fn(void *arg)
{
    CPUState *cpu = arg;
    CPUX86State *env = x86_cpu_env(cpu);
    char name[16];

    snprintf(name, sizeof(name), "CPU %d/TCG", cpu->cpu_index);
    pthread_setname_np(pthread_self(), name);

    bql_lock();
    current_cpu = cpu;
    cpu->thread_id = syscall(SYS_gettid);
    cpu_thread_signal_created(cpu);
    do {
        if (cpu_can_run(cpu)) {
            bql_unlock();
            cpu_exec_start(cpu);
            env->icount_budget = X86_CPU_EXEC_SLICE;
            x86_cpu_exec(env);
            cpu_exec_end(cpu);
            bql_lock();
        }
        qemu_wait_io_event(cpu);
    } while (!cpu->unplug);
    cpu_thread_signal_destroyed(cpu);
    current_cpu = NULL;
    bql_unlock();
    return NULL;
}

static void tcg_create_vcpu_thread(CPUState *cpu)
{
    pthread_create(&cpu->thread, NULL, tcg_cpu_thread_fn, cpu);
}

static void tcg_kick_vcpu_thread(CPUState *cpu)
{
    cpu_exit(cpu);
}

const AccelOpsClass tcg_accel_ops = {
    .name = "TCG",
    .create_vcpu_thread = tcg_create_vcpu_thread,
    .kick_vcpu_thread = tcg_kick_vcpu_thread,
};

void tcg_accel_register(void)
{
    cpus_register_accel(&tcg_accel_ops);
}
