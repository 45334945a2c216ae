/*
 * CPUState: what every virtual CPU has, whichever accelerator runs it.
 *
 * Each CPU has one host thread ("CPU n/TCG" or "CPU n/KVM"), created when
 * the CPU is realized.  The thread loops:
 *
 *     while (!cpu->unplug) {
 *         if (cpu_can_run(cpu))
 *             accel->exec(cpu);          // runs guest code without the BQL
 *         qemu_wait_io_event(cpu);       // sleeps while idle; runs work
 *     }
 *
 * Other threads reach a vCPU through kicks (cpu->exit_request + waking
 * halt_cond, plus whatever the accelerator needs) and through work items
 * (run_on_cpu and friends).  pause_all_vcpus() sets cpu->stop on every CPU
 * and waits on a condition until each thread has answered by setting
 * cpu->stopped; nothing sleeps or polls.
 */
#ifndef HW_CORE_CPU_H
#define HW_CORE_CPU_H

#include <pthread.h>
#include "hw/qdev-core.h"
#include "util/queue.h"

#define TYPE_CPU "cpu"
OBJECT_DECLARE_TYPE(CPUState, CPUClass, CPU)

typedef struct AccelOpsClass AccelOpsClass;

typedef union {
    int int_value;
    void *host_ptr;
    uint64_t uint64_t_value;
} run_on_cpu_data;
#define RUN_ON_CPU_HOST_PTR(p) ((run_on_cpu_data){ .host_ptr = (p) })
#define RUN_ON_CPU_HOST_INT(i) ((run_on_cpu_data){ .int_value = (i) })
#define RUN_ON_CPU_NULL RUN_ON_CPU_HOST_PTR(NULL)
typedef void (*run_on_cpu_func)(CPUState *cpu, run_on_cpu_data data);

struct CPUClass {
    DeviceClass parent_class;
    /* True when the CPU has something to do although halted (interrupt). */
    bool (*has_work)(CPUState *cpu);
    /* Print registers for `info registers`. */
    void (*dump_state)(CPUState *cpu, FILE *f, int flags);
    /* Program counter for `info cpus`. */
    uint64_t (*get_pc)(CPUState *cpu);
    /*
     * Debugger access to guest virtual memory (monitor `x`, gdbstub):
     * 0, or -1 if some address does not translate.  NULL: the monitor
     * treats addresses as physical.
     */
    int (*memory_rw_debug)(CPUState *cpu, uint64_t addr, uint8_t *buf,
                           int len, bool is_write);
    /*
     * Read a register by name ("eax", "rip", "pc", ...) for the monitor's
     * `print $eax`; false if the name is unknown.
     */
    bool (*monitor_get_register)(CPUState *cpu, const char *name,
                                 int64_t *value);
    DeviceRealize parent_realize;
};

/* Values for interrupt_request (set with cpu_interrupt). */
#define CPU_INTERRUPT_HARD   0x0002
#define CPU_INTERRUPT_EXITTB 0x0004
#define CPU_INTERRUPT_HALT   0x0020
#define CPU_INTERRUPT_SMI    0x0040
#define CPU_INTERRUPT_NMI    0x0200
#define CPU_INTERRUPT_INIT   0x0400
#define CPU_INTERRUPT_SIPI   0x0800
#define CPU_INTERRUPT_POLL   0x1000
#define CPU_INTERRUPT_TPR    0x2000

struct qemu_work_item;

struct CPUState {
    DeviceState parent_obj;

    int cpu_index;
    int nr_cores, nr_threads;
    const AccelOpsClass *accel_ops;

    pthread_t thread;
    int thread_id;            /* host TID, for `info cpus` */
    bool created;             /* the thread exists and runs its loop */
    bool unplug;              /* ask the thread to leave its loop */
    bool stop;                /* pause requested (pause_all_vcpus) */
    bool stopped;             /* the thread answered: it is paused */
    bool thread_kicked;
    bool crash_occurred;
    bool in_exclusive_context;

    /* Set by start_exclusive for the CPUs it waits for. */
    bool has_waiter;
    /* True between cpu_exec_start and cpu_exec_end: running guest code. */
    bool running;

    uint32_t halted;
    uint32_t interrupt_request;
    int exit_request;         /* atomic; checked by the accelerator loop */
    int exception_index;

    pthread_cond_t halt_cond;
    pthread_mutex_t work_mutex;
    QTAILQ_HEAD(, qemu_work_item) work_list;

    QTAILQ_ENTRY(CPUState) node;

    void *env_ptr;            /* target-specific state (CPUX86State) */
    void *accel;              /* accelerator-private per-vCPU data */
};

/* All CPUs, in creation order. */
typedef QTAILQ_HEAD(CPUTailQ, CPUState) CPUTailQ;
extern CPUTailQ cpus_queue;
#define CPU_FOREACH(cpu) QTAILQ_FOREACH(cpu, &cpus_queue, node)
#define first_cpu QTAILQ_FIRST(&cpus_queue)
#define CPU_NEXT(cpu) QTAILQ_NEXT(cpu, node)

/* The CPU whose thread is running, NULL outside vCPU threads. */
extern __thread CPUState *current_cpu;

/*
 * What an accelerator provides to the vCPU machinery.  create_vcpu_thread
 * must start a thread that sets cpu->created (under the BQL) and signals
 * via cpu_thread_signal_created().
 */
struct AccelOpsClass {
    const char *name;                       /* "TCG", "KVM" */
    void (*create_vcpu_thread)(CPUState *cpu);
    void (*kick_vcpu_thread)(CPUState *cpu);
    bool (*cpu_thread_is_idle)(CPUState *cpu);
    void (*synchronize_state)(CPUState *cpu);      /* pull regs (KVM) */
    void (*synchronize_post_reset)(CPUState *cpu); /* push regs (KVM) */
    void (*synchronize_post_init)(CPUState *cpu);
};

/* Select the accelerator ops used for CPUs realized from now on. */
void cpus_register_accel(const AccelOpsClass *ops);
const AccelOpsClass *cpus_get_accel(void);

/* Thread helpers for accelerators. */
void qemu_init_vcpu(CPUState *cpu);        /* at realize; waits for thread */
void cpu_thread_signal_created(CPUState *cpu);
void cpu_thread_signal_destroyed(CPUState *cpu);
bool cpu_can_run(CPUState *cpu);
bool cpu_thread_is_idle(CPUState *cpu);
void qemu_wait_io_event(CPUState *cpu);
void qemu_wait_io_event_common(CPUState *cpu);
void qemu_cpu_kick(CPUState *cpu);
bool qemu_cpu_is_self(CPUState *cpu);
bool qemu_in_vcpu_thread(void);
void cpu_exit(CPUState *cpu);              /* ask the CPU to leave guest code */
void cpu_interrupt(CPUState *cpu, int mask);
void cpu_reset_interrupt(CPUState *cpu, int mask);
bool cpu_has_work(CPUState *cpu);
bool cpu_is_stopped(CPUState *cpu);
void cpu_remove_sync(CPUState *cpu);       /* stop and join the thread */

/* Work items. */
void run_on_cpu(CPUState *cpu, run_on_cpu_func func, run_on_cpu_data data);
void async_run_on_cpu(CPUState *cpu, run_on_cpu_func func,
                      run_on_cpu_data data);
/* Runs while no vCPU executes guest code (e.g. a TB flush). */
void async_safe_run_on_cpu(CPUState *cpu, run_on_cpu_func func,
                           run_on_cpu_data data);
void process_queued_cpu_work(CPUState *cpu);

/* Exclusive sections (used by safe work and by the accelerators). */
void cpu_exec_start(CPUState *cpu);
void cpu_exec_end(CPUState *cpu);
void start_exclusive(void);
void end_exclusive(void);

/* Pause and resume all vCPUs (BQL held). */
void pause_all_vcpus(void);
void resume_all_vcpus(void);
bool all_vcpus_paused(void);
void cpu_stop_current(void);

void cpu_synchronize_state(CPUState *cpu);
void cpu_synchronize_all_states(void);
void cpu_synchronize_all_post_reset(void);
void cpu_synchronize_all_post_init(void);    /* after loadvm: push all */

CPUState *qemu_get_cpu(int index);
int cpu_count(void);

#endif
