/*
 * vCPU threads: creation, kicks, pause/resume, work items, exclusive work.
 *
 * Locking:
 *  - The BQL guards device state and the pause protocol (cpu->stop and
 *    cpu->stopped), and is the mutex of halt_cond, qemu_cpu_cond,
 *    qemu_pause_cond and qemu_work_cond.
 *  - cpu_list_lock guards the exclusive-section counters; the fast path
 *    (cpu_exec_start/end with no exclusive section pending) takes no lock.
 *  - cpu->work_mutex guards a CPU's work list, so work can be queued from
 *    a thread that does not hold the BQL.
 *
 * Exclusive sections follow QEMU's cpus-common.c: a thread that wants all
 * vCPUs out of guest code sets pending_cpus, kicks every CPU that is
 * `running`, and waits until each has passed cpu_exec_end.  CPUs that try
 * to enter guest code meanwhile wait in cpu_exec_start.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "hw/core/cpu.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "system/timer.h"

CPUTailQ cpus_queue = QTAILQ_HEAD_INITIALIZER(cpus_queue);
__thread CPUState *current_cpu;

static const AccelOpsClass *accel_ops;

static pthread_cond_t qemu_cpu_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t qemu_pause_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t qemu_work_cond = PTHREAD_COND_INITIALIZER;

static pthread_mutex_t cpu_list_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t exclusive_cond = PTHREAD_COND_INITIALIZER;
static pthread_cond_t exclusive_resume = PTHREAD_COND_INITIALIZER;
static int pending_cpus;

struct qemu_work_item {
    QTAILQ_ENTRY(qemu_work_item) node;
    run_on_cpu_func func;
    run_on_cpu_data data;
    bool free;       /* async: freed after it ran */
    bool exclusive;  /* run inside start_exclusive/end_exclusive */
    bool done;       /* sync: set when it ran, under the BQL */
};

void cpus_register_accel(const AccelOpsClass *ops)
{
    static const RunstateHooks hooks = {
        .pause_all_vcpus = pause_all_vcpus,
        .resume_all_vcpus = resume_all_vcpus,
        .cpu_stop_current = cpu_stop_current,
    };
    accel_ops = ops;
    /* vm_stop/vm_start and system reset pause and resume our threads. */
    runstate_set_hooks(&hooks);
}

const AccelOpsClass *cpus_get_accel(void)
{
    return accel_ops;
}

int cpu_count(void)
{
    CPUState *cpu;
    int n = 0;
    CPU_FOREACH(cpu) {
        n++;
    }
    return n;
}

CPUState *qemu_get_cpu(int index)
{
    CPUState *cpu;
    CPU_FOREACH(cpu) {
        if (cpu->cpu_index == index) {
            return cpu;
        }
    }
    return NULL;
}

bool qemu_cpu_is_self(CPUState *cpu)
{
    return current_cpu == cpu;
}

bool qemu_in_vcpu_thread(void)
{
    return current_cpu != NULL;
}

bool cpu_is_stopped(CPUState *cpu)
{
    return cpu->stopped || !runstate_is_running();
}

bool cpu_has_work(CPUState *cpu)
{
    CPUClass *cc = CPU_GET_CLASS(cpu);
    return cc->has_work ? cc->has_work(cpu) : false;
}

static bool cpu_work_list_empty(CPUState *cpu)
{
    pthread_mutex_lock(&cpu->work_mutex);
    bool empty = QTAILQ_EMPTY(&cpu->work_list);
    pthread_mutex_unlock(&cpu->work_mutex);
    return empty;
}

bool cpu_thread_is_idle(CPUState *cpu)
{
    if (cpu->stop || !cpu_work_list_empty(cpu)) {
        return false;
    }
    if (cpu_is_stopped(cpu)) {
        return true;
    }
    if (!cpu->halted || cpu_has_work(cpu)) {
        return false;
    }
    if (cpu->accel_ops && cpu->accel_ops->cpu_thread_is_idle) {
        return cpu->accel_ops->cpu_thread_is_idle(cpu);
    }
    return true;
}

bool cpu_can_run(CPUState *cpu)
{
    return !cpu->stop && !cpu_is_stopped(cpu);
}

void cpu_exit(CPUState *cpu)
{
    __atomic_store_n(&cpu->exit_request, 1, __ATOMIC_SEQ_CST);
}

void qemu_cpu_kick(CPUState *cpu)
{
    pthread_cond_broadcast(&cpu->halt_cond);
    if (cpu->accel_ops && cpu->accel_ops->kick_vcpu_thread) {
        cpu->accel_ops->kick_vcpu_thread(cpu);
    } else {
        cpu_exit(cpu);
    }
}

void cpu_interrupt(CPUState *cpu, int mask)
{
    __atomic_or_fetch(&cpu->interrupt_request, mask, __ATOMIC_SEQ_CST);
    if (!qemu_cpu_is_self(cpu)) {
        qemu_cpu_kick(cpu);
    } else {
        cpu_exit(cpu);
    }
}

void cpu_reset_interrupt(CPUState *cpu, int mask)
{
    __atomic_and_fetch(&cpu->interrupt_request, ~mask, __ATOMIC_SEQ_CST);
}

/* ---- thread creation -------------------------------------------------- */

void cpu_thread_signal_created(CPUState *cpu)
{
    cpu->created = true;
    pthread_cond_broadcast(&qemu_cpu_cond);
}

void cpu_thread_signal_destroyed(CPUState *cpu)
{
    cpu->created = false;
    pthread_cond_broadcast(&qemu_cpu_cond);
}

void qemu_init_vcpu(CPUState *cpu)
{
    assert(bql_locked());
    assert(accel_ops && "no accelerator registered");
    cpu->accel_ops = accel_ops;
    /* A new CPU stays paused until resume_all_vcpus (vm_start). */
    cpu->stopped = true;
    accel_ops->create_vcpu_thread(cpu);
    while (!cpu->created) {
        bql_cond_wait(&qemu_cpu_cond);
    }
}

void cpu_remove_sync(CPUState *cpu)
{
    assert(bql_locked());
    cpu->stop = true;
    cpu->unplug = true;
    qemu_cpu_kick(cpu);
    bql_unlock();
    pthread_join(cpu->thread, NULL);
    bql_lock();
}

/* ---- work items ------------------------------------------------------- */

static void queue_work_on_cpu(CPUState *cpu, struct qemu_work_item *wi)
{
    pthread_mutex_lock(&cpu->work_mutex);
    QTAILQ_INSERT_TAIL(&cpu->work_list, wi, node);
    pthread_mutex_unlock(&cpu->work_mutex);
    /*
     * The vCPU checks its work list and sleeps on halt_cond with the BQL
     * held; kicking under the BQL means the wake-up cannot fall between
     * its check and its sleep.
     */
    if (bql_locked()) {
        qemu_cpu_kick(cpu);
    } else {
        bql_lock();
        qemu_cpu_kick(cpu);
        bql_unlock();
    }
}

void run_on_cpu(CPUState *cpu, run_on_cpu_func func, run_on_cpu_data data)
{
    assert(bql_locked());
    if (qemu_cpu_is_self(cpu)) {
        func(cpu, data);
        return;
    }
    struct qemu_work_item wi = { .func = func, .data = data };
    queue_work_on_cpu(cpu, &wi);
    while (!__atomic_load_n(&wi.done, __ATOMIC_ACQUIRE)) {
        bql_cond_wait(&qemu_work_cond);
    }
}

void async_run_on_cpu(CPUState *cpu, run_on_cpu_func func,
                      run_on_cpu_data data)
{
    struct qemu_work_item *wi = xnew(struct qemu_work_item);
    wi->func = func;
    wi->data = data;
    wi->free = true;
    queue_work_on_cpu(cpu, wi);
}

void async_safe_run_on_cpu(CPUState *cpu, run_on_cpu_func func,
                           run_on_cpu_data data)
{
    struct qemu_work_item *wi = xnew(struct qemu_work_item);
    wi->func = func;
    wi->data = data;
    wi->free = true;
    wi->exclusive = true;
    queue_work_on_cpu(cpu, wi);
}

/* Called by the vCPU thread, outside guest code, with the BQL held. */
void process_queued_cpu_work(CPUState *cpu)
{
    pthread_mutex_lock(&cpu->work_mutex);
    while (!QTAILQ_EMPTY(&cpu->work_list)) {
        struct qemu_work_item *wi = QTAILQ_FIRST(&cpu->work_list);
        QTAILQ_REMOVE(&cpu->work_list, wi, node);
        pthread_mutex_unlock(&cpu->work_mutex);
        if (wi->exclusive) {
            /*
             * Other vCPUs may be waiting for the BQL (MMIO) while counted
             * as running: drop it, or start_exclusive would wait forever.
             */
            bql_unlock();
            start_exclusive();
            wi->func(cpu, wi->data);
            end_exclusive();
            bql_lock();
        } else {
            wi->func(cpu, wi->data);
        }
        if (wi->free) {
            free(wi);
        } else {
            __atomic_store_n(&wi->done, true, __ATOMIC_RELEASE);
        }
        pthread_mutex_lock(&cpu->work_mutex);
    }
    pthread_mutex_unlock(&cpu->work_mutex);
    pthread_cond_broadcast(&qemu_work_cond);
}

/* ---- exclusive sections ---------------------------------------------- */

/* Wait until no exclusive section is active; cpu_list_lock held. */
static void exclusive_idle(void)
{
    while (pending_cpus) {
        pthread_cond_wait(&exclusive_resume, &cpu_list_lock);
    }
}

void start_exclusive(void)
{
    CPUState *other;
    int running_cpus = 0;

    pthread_mutex_lock(&cpu_list_lock);
    exclusive_idle();

    /* Make every CPU entering guest code from now on wait for us. */
    __atomic_store_n(&pending_cpus, 1, __ATOMIC_SEQ_CST);
    CPU_FOREACH(other) {
        if (__atomic_load_n(&other->running, __ATOMIC_SEQ_CST)) {
            other->has_waiter = true;
            running_cpus++;
            qemu_cpu_kick(other);
        }
    }
    __atomic_store_n(&pending_cpus, running_cpus + 1, __ATOMIC_SEQ_CST);
    while (pending_cpus > 1) {
        pthread_cond_wait(&exclusive_cond, &cpu_list_lock);
    }
    /* pending_cpus stays 1: cpu_exec_start keeps waiting for end_exclusive. */
    pthread_mutex_unlock(&cpu_list_lock);
    if (current_cpu) {
        current_cpu->in_exclusive_context = true;
    }
}

void end_exclusive(void)
{
    if (current_cpu) {
        current_cpu->in_exclusive_context = false;
    }
    pthread_mutex_lock(&cpu_list_lock);
    __atomic_store_n(&pending_cpus, 0, __ATOMIC_SEQ_CST);
    pthread_cond_broadcast(&exclusive_resume);
    pthread_mutex_unlock(&cpu_list_lock);
}

void cpu_exec_start(CPUState *cpu)
{
    __atomic_store_n(&cpu->running, true, __ATOMIC_SEQ_CST);
    /*
     * Pairs with start_exclusive: either it sees running == true and
     * waits for us, or we see pending_cpus != 0 and wait for it.
     */
    if (unlikely(__atomic_load_n(&pending_cpus, __ATOMIC_SEQ_CST))) {
        pthread_mutex_lock(&cpu_list_lock);
        if (!cpu->has_waiter) {
            /* Not counted by start_exclusive: step aside until it ends. */
            __atomic_store_n(&cpu->running, false, __ATOMIC_SEQ_CST);
            exclusive_idle();
            __atomic_store_n(&cpu->running, true, __ATOMIC_SEQ_CST);
        }
        /* Otherwise we were counted; cpu_exec_end will report to it. */
        pthread_mutex_unlock(&cpu_list_lock);
    }
}

void cpu_exec_end(CPUState *cpu)
{
    __atomic_store_n(&cpu->running, false, __ATOMIC_SEQ_CST);
    if (unlikely(__atomic_load_n(&pending_cpus, __ATOMIC_SEQ_CST))) {
        pthread_mutex_lock(&cpu_list_lock);
        if (cpu->has_waiter) {
            cpu->has_waiter = false;
            __atomic_store_n(&pending_cpus, pending_cpus - 1,
                             __ATOMIC_SEQ_CST);
            if (pending_cpus == 1) {
                pthread_cond_signal(&exclusive_cond);
            }
        }
        pthread_mutex_unlock(&cpu_list_lock);
    }
}

/* ---- waiting, pausing, resuming ---------------------------------------- */

/* Mark the current CPU stopped; exit guest code if asked from inside it. */
static void qemu_cpu_stop(CPUState *cpu, bool exit)
{
    assert(qemu_cpu_is_self(cpu));
    cpu->stop = false;
    cpu->stopped = true;
    if (exit) {
        cpu_exit(cpu);
    }
    pthread_cond_broadcast(&qemu_pause_cond);
}

void cpu_stop_current(void)
{
    if (current_cpu) {
        current_cpu->stop = true;
        cpu_exit(current_cpu);
    }
}

void qemu_wait_io_event_common(CPUState *cpu)
{
    __atomic_store_n(&cpu->thread_kicked, false, __ATOMIC_SEQ_CST);
    if (cpu->stop) {
        qemu_cpu_stop(cpu, false);
    }
    process_queued_cpu_work(cpu);
}

void qemu_wait_io_event(CPUState *cpu)
{
    assert(bql_locked());
    while (cpu_thread_is_idle(cpu)) {
        bql_cond_wait(&cpu->halt_cond);
    }
    qemu_wait_io_event_common(cpu);
}

bool all_vcpus_paused(void)
{
    CPUState *cpu;
    CPU_FOREACH(cpu) {
        if (!cpu->stopped) {
            return false;
        }
    }
    return true;
}

void pause_all_vcpus(void)
{
    CPUState *cpu;

    assert(bql_locked());
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    CPU_FOREACH(cpu) {
        if (qemu_cpu_is_self(cpu)) {
            qemu_cpu_stop(cpu, true);
        } else {
            cpu->stop = true;
            qemu_cpu_kick(cpu);
        }
    }
    /*
     * A vCPU stuck waiting for the BQL inside guest code cannot see its
     * stop flag; waiting on the condition releases the BQL for it.
     */
    while (!all_vcpus_paused()) {
        bql_cond_wait(&qemu_pause_cond);
        CPU_FOREACH(cpu) {
            if (!cpu->stopped) {
                qemu_cpu_kick(cpu);
            }
        }
    }
}

static void cpu_resume(CPUState *cpu)
{
    cpu->stop = false;
    cpu->stopped = false;
    qemu_cpu_kick(cpu);
}

void resume_all_vcpus(void)
{
    CPUState *cpu;

    assert(bql_locked());
    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, true);
    CPU_FOREACH(cpu) {
        cpu_resume(cpu);
    }
}

/* ---- register synchronisation (KVM pulls and pushes lazily) ----------- */

void cpu_synchronize_state(CPUState *cpu)
{
    if (cpu->accel_ops && cpu->accel_ops->synchronize_state) {
        cpu->accel_ops->synchronize_state(cpu);
    }
}

void cpu_synchronize_all_states(void)
{
    CPUState *cpu;
    CPU_FOREACH(cpu) {
        cpu_synchronize_state(cpu);
    }
}

void cpu_synchronize_all_post_init(void)
{
    CPUState *cpu;
    CPU_FOREACH(cpu) {
        if (cpu->accel_ops && cpu->accel_ops->synchronize_post_init) {
            cpu->accel_ops->synchronize_post_init(cpu);
        }
    }
}

void cpu_synchronize_all_post_reset(void)
{
    CPUState *cpu;
    CPU_FOREACH(cpu) {
        if (cpu->accel_ops && cpu->accel_ops->synchronize_post_reset) {
            cpu->accel_ops->synchronize_post_reset(cpu);
        }
    }
}
