/*
 * The TCG accelerator's vCPU thread: one host thread per CPU, named
 * "CPU n/TCG", running x86_cpu_exec in slices of X86_CPU_EXEC_SLICE
 * instructions without the BQL and taking it back in between, so that
 * the main loop (timers, devices, pause requests) gets its turn.
 */
#ifndef ACCEL_TCG_TCG_ACCEL_OPS_H
#define ACCEL_TCG_TCG_ACCEL_OPS_H

#include "hw/core/cpu.h"

extern const AccelOpsClass tcg_accel_ops;

/* cpus_register_accel(&tcg_accel_ops): CPUs realized afterwards run on TCG. */
void tcg_accel_register(void);

#endif
