/*
 * vCPU thread machinery under stress: 4 vCPU threads of a dummy
 * accelerator that "runs guest code" by spinning until kicked.  The main
 * thread pauses and resumes them, runs work on them synchronously and
 * queues exclusive work, 1,000 rounds, and checks that
 *  - pause_all_vcpus returns only when every vCPU is out of guest code and
 *    no vCPU makes progress until resume_all_vcpus;
 *  - run_on_cpu runs the function on the target's own thread, once;
 *  - async_safe_run_on_cpu runs while no vCPU is in guest code, once each;
 *  - nothing deadlocks (a watchdog aborts the test after 120 s).
 */
#include "test.h"
#include <sys/syscall.h>
#include "hw/core/cpu.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "system/timer.h"

#define NR_CPUS 4
#define ROUNDS 1000

#define TYPE_DUMMY_CPU "dummy-cpu"

static CPUState *cpus[NR_CPUS];
static int in_guest[NR_CPUS];
static uint64_t progress[NR_CPUS];
static int safe_work_done, safe_work_violations;
static int sync_work_done, sync_work_wrong_thread;

static void *dummy_cpu_thread(void *arg)
{
    CPUState *cpu = arg;

    bql_lock();
    current_cpu = cpu;
    cpu->thread_id = syscall(SYS_gettid);
    cpu_thread_signal_created(cpu);
    do {
        if (cpu_can_run(cpu)) {
            bql_unlock();
            cpu_exec_start(cpu);
            __atomic_store_n(&in_guest[cpu->cpu_index], 1, __ATOMIC_SEQ_CST);
            while (!__atomic_load_n(&cpu->exit_request, __ATOMIC_SEQ_CST)) {
                __atomic_add_fetch(&progress[cpu->cpu_index], 1,
                                   __ATOMIC_RELAXED);
            }
            __atomic_store_n(&in_guest[cpu->cpu_index], 0, __ATOMIC_SEQ_CST);
            __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST);
            cpu_exec_end(cpu);
            bql_lock();
        }
        qemu_wait_io_event(cpu);
    } while (!cpu->unplug);
    cpu_thread_signal_destroyed(cpu);
    bql_unlock();
    current_cpu = NULL;
    return NULL;
}

static void dummy_create_vcpu_thread(CPUState *cpu)
{
    pthread_create(&cpu->thread, NULL, dummy_cpu_thread, cpu);
}

static const AccelOpsClass dummy_accel_ops = {
    .name = "dummy",
    .create_vcpu_thread = dummy_create_vcpu_thread,
};

static const TypeInfo dummy_cpu_type = {
    .name = TYPE_DUMMY_CPU,
    .parent = TYPE_CPU,
    .instance_size = sizeof(CPUState),
    .class_size = sizeof(CPUClass),
};

static void register_dummy_cpu(void)
{
    type_register_static(&dummy_cpu_type);
}
type_init(register_dummy_cpu)

static void *watchdog(void *arg)
{
    sleep(120);
    fprintf(stderr, "test-cpus: deadlock (watchdog fired)\n");
    abort();
}

static void sync_work(CPUState *cpu, run_on_cpu_data data)
{
    if (current_cpu != cpu || !pthread_equal(pthread_self(), cpu->thread)) {
        sync_work_wrong_thread++;
    }
    (*(int *)data.host_ptr)++;
    sync_work_done++;
}

static void safe_work(CPUState *cpu, run_on_cpu_data data)
{
    for (int i = 0; i < NR_CPUS; i++) {
        if (__atomic_load_n(&in_guest[i], __ATOMIC_SEQ_CST)) {
            safe_work_violations++;
        }
    }
    __atomic_add_fetch(&safe_work_done, 1, __ATOMIC_SEQ_CST);
}

static int setup(void **state)
{
    pthread_t wd;
    pthread_create(&wd, NULL, watchdog, NULL);
    pthread_detach(wd);

    main_loop_init();
    runstate_init();
    bql_lock();
    cpus_register_accel(&dummy_accel_ops);
    for (int i = 0; i < NR_CPUS; i++) {
        cpus[i] = CPU(object_new(TYPE_DUMMY_CPU));
        qdev_realize(DEVICE(cpus[i]), NULL, &error_abort);
    }
    return 0;
}

static void test_threads_created(void **state)
{
    assert_int_equal(cpu_count(), NR_CPUS);
    for (int i = 0; i < NR_CPUS; i++) {
        assert_true(cpus[i]->created);
        assert_int_equal(cpus[i]->cpu_index, i);
        assert_true(cpus[i]->thread_id > 0);
        /* Realized CPUs wait for vm_start. */
        assert_true(cpus[i]->stopped);
    }
    assert_int_equal(vm_start(), 0);
    assert_true(runstate_is_running());
    for (int i = 0; i < NR_CPUS; i++) {
        assert_false(cpus[i]->stopped);
    }
}

static void test_pause_resume_stress(void **state)
{
    uint64_t seen[NR_CPUS];

    for (int round = 0; round < ROUNDS; round++) {
        pause_all_vcpus();
        assert_true(all_vcpus_paused());
        for (int i = 0; i < NR_CPUS; i++) {
            assert_int_equal(__atomic_load_n(&in_guest[i], __ATOMIC_SEQ_CST),
                             0);
            seen[i] = __atomic_load_n(&progress[i], __ATOMIC_SEQ_CST);
        }
        /* Paused vCPUs make no progress, even given time to run. */
        if (round % 100 == 0) {
            bql_unlock();
            usleep(2000);
            bql_lock();
        }
        for (int i = 0; i < NR_CPUS; i++) {
            assert_true(__atomic_load_n(&progress[i], __ATOMIC_SEQ_CST) ==
                        seen[i]);
        }
        resume_all_vcpus();
    }
}

static void test_work_stress(void **state)
{
    int counter = 0;

    for (int round = 0; round < ROUNDS; round++) {
        CPUState *cpu = cpus[round % NR_CPUS];
        run_on_cpu(cpu, sync_work, RUN_ON_CPU_HOST_PTR(&counter));
        async_safe_run_on_cpu(cpus[(round + 1) % NR_CPUS], safe_work,
                              RUN_ON_CPU_NULL);
        if (round % 10 == 0) {
            pause_all_vcpus();
            resume_all_vcpus();
        }
    }
    assert_int_equal(counter, ROUNDS);
    assert_int_equal(sync_work_done, ROUNDS);
    assert_int_equal(sync_work_wrong_thread, 0);

    /* Safe work is asynchronous: wait for the last items to run. */
    while (__atomic_load_n(&safe_work_done, __ATOMIC_SEQ_CST) < ROUNDS) {
        bql_unlock();
        usleep(1000);
        bql_lock();
    }
    assert_int_equal(safe_work_done, ROUNDS);
    assert_int_equal(safe_work_violations, 0);

    /* Every vCPU ran guest code at some point. */
    for (int i = 0; i < NR_CPUS; i++) {
        assert_true(__atomic_load_n(&progress[i], __ATOMIC_SEQ_CST) > 0);
    }
}

static void test_vm_stop_pauses(void **state)
{
    assert_int_equal(vm_stop(RUN_STATE_PAUSED), 0);
    assert_true(runstate_check(RUN_STATE_PAUSED));
    assert_true(all_vcpus_paused());
    /* Work still reaches a paused vCPU. */
    int counter = 0;
    run_on_cpu(cpus[2], sync_work, RUN_ON_CPU_HOST_PTR(&counter));
    assert_int_equal(counter, 1);
    assert_true(cpus[2]->stopped);
    assert_int_equal(vm_start(), 0);
    assert_false(all_vcpus_paused());
}

static int teardown(void **state)
{
    for (int i = NR_CPUS - 1; i >= 0; i--) {
        qdev_unrealize(DEVICE(cpus[i]));
        assert_false(cpus[i]->created);
        object_unref(OBJECT(cpus[i]));
    }
    assert_int_equal(cpu_count(), 0);
    bql_unlock();
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_created),
        cmocka_unit_test(test_pause_resume_stress),
        cmocka_unit_test(test_work_stress),
        cmocka_unit_test(test_vm_stop_pauses),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
