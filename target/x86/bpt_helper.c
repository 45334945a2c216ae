/*
 * Debug registers: DR0-DR3 breakpoints as DR7 enables them, DR6 status,
 * DR7.GD general detect.
 *
 * Breakpoints cost nothing while DR7 enables none.  Once one is enabled
 * (env->dbg_active), the execution loop runs one instruction at a time
 * (x86_cpu_exec): before each, x86_check_insn_breakpoint looks for an
 * instruction breakpoint on it (a fault, suppressed by EFLAGS.RF); the
 * softmmu sends accesses to pages a data breakpoint covers to its slow
 * path (TLB_WATCHPOINT), which records hits with
 * x86_check_data_breakpoint, and the port I/O instructions record I/O
 * breakpoint hits (DR7 R/W 10b, only with CR4.DE) with
 * x86_check_io_breakpoint; a completed instruction with hits then traps
 * with #DB (x86_debug_after_insn).  A REP INS/OUTS stops after the
 * iteration that hit, rip still on it, so the trap comes between
 * iterations as the SDM has it.
 */
#include "util/osdep.h"
#include "seg_helper.h"

/* DR7 fields of breakpoint i. */
static bool bp_enabled(uint64_t dr7, int i)
{
    return (dr7 >> (i * 2)) & 3;
}

static int bp_type(uint64_t dr7, int i)
{
    return (dr7 >> (16 + i * 4)) & 3;
}

/* Length in bytes: LEN 00 -> 1, 01 -> 2, 11 -> 4, 10 -> 8. */
static int bp_len(uint64_t dr7, int i)
{
    static const int len[4] = { 1, 2, 8, 4 };

    return len[(dr7 >> (18 + i * 4)) & 3];
}

void x86_dr7_update(CPUX86State *env)
{
    uint64_t dr7 = env->dr[7];
    uint32_t old = env->dbg_active, active = 0;

    for (int i = 0; i < 4; i++) {
        if (!bp_enabled(dr7, i)) {
            continue;
        }
        switch (bp_type(dr7, i)) {
        case DR7_TYPE_EXEC:
            active |= DBG_EXEC;
            break;
        case DR7_TYPE_WRITE:
        case DR7_TYPE_RW:
            active |= DBG_DATA;
            break;
        case DR7_TYPE_IO:
            /* Without CR4.DE the SDM leaves R/W=10b undefined: no
             * breakpoint (QEMU 7.2's TCG fires it regardless). */
            if (env->cr[4] & CR4_DE_MASK) {
                active |= DBG_IO;
            }
            break;
        }
    }
    env->dbg_active = active;
    /* TLB entries carry the watchpoint flag: refill them. */
    if ((old | active) & DBG_DATA) {
        x86_tlb_flush(env);
    }
}

int x86_watchpoint_page(CPUX86State *env, uint64_t page, uint64_t page_size)
{
    uint64_t dr7 = env->dr[7];
    int kinds = 0;

    for (int i = 0; i < 4; i++) {
        int type = bp_type(dr7, i), len;
        uint64_t start;

        if (!bp_enabled(dr7, i) ||
            (type != DR7_TYPE_WRITE && type != DR7_TYPE_RW)) {
            continue;
        }
        len = bp_len(dr7, i);
        start = env->dr[i] & ~(uint64_t)(len - 1);
        if (start < page + page_size && start + len > page) {
            kinds |= DBG_WATCH_WRITE;
            if (type == DR7_TYPE_RW) {
                kinds |= DBG_WATCH_READ;
            }
        }
    }
    return kinds;
}

void x86_check_data_breakpoint(CPUX86State *env, uint64_t addr, int size,
                               bool is_write)
{
    uint64_t dr7 = env->dr[7];

    for (int i = 0; i < 4; i++) {
        int type = bp_type(dr7, i), len;
        uint64_t start;

        if (!bp_enabled(dr7, i) ||
            !(type == DR7_TYPE_RW || (type == DR7_TYPE_WRITE && is_write))) {
            continue;
        }
        len = bp_len(dr7, i);
        start = env->dr[i] & ~(uint64_t)(len - 1);
        if (start < addr + size && start + len > addr) {
            env->dbg_hits |= 1u << i;
        }
    }
}

bool x86_check_io_breakpoint_slow(CPUX86State *env, uint32_t port, int size)
{
    uint64_t dr7 = env->dr[7];
    uint32_t hits = 0;

    for (int i = 0; i < 4; i++) {
        int len;
        uint32_t start;

        if (!bp_enabled(dr7, i) || bp_type(dr7, i) != DR7_TYPE_IO) {
            continue;
        }
        len = bp_len(dr7, i);
        start = (uint16_t)env->dr[i] & ~(uint32_t)(len - 1);
        if (start < port + size && start + len > port) {
            hits |= 1u << i;
        }
    }
    env->dbg_hits |= hits;
    return hits != 0;
}

void x86_check_insn_breakpoint(CPUX86State *env)
{
    uint64_t dr7 = env->dr[7];
    uint64_t pc = env->segs[R_CS].base + env->rip;
    uint32_t hits = 0;

    if (env->eflags & RF_MASK) {
        return;
    }
    if (!(env->hflags & HF_CS64_MASK)) {
        pc = (uint32_t)pc;
    }
    for (int i = 0; i < 4; i++) {
        if (bp_enabled(dr7, i) && bp_type(dr7, i) == DR7_TYPE_EXEC &&
            env->dr[i] == pc) {
            hits |= 1u << i;
        }
    }
    if (hits) {
        env->dr[6] = (env->dr[6] & ~0xfULL) | hits;
        raise_exception(env, EXCP01_DB);
    }
}

bool x86_debug_after_insn(CPUX86State *env)
{
    if (!env->dbg_hits) {
        return false;
    }
    env->dr[6] = (env->dr[6] & ~0xfULL) | env->dbg_hits;
    env->dbg_hits = 0;
    return true;
}

void x86_check_general_detect(CPUX86State *env)
{
    if (env->dr[7] & DR7_GD) {
        /* GD clears itself so the handler can use the debug registers. */
        env->dr[7] &= ~(uint64_t)DR7_GD;
        env->dr[6] |= DR6_BD;
        raise_exception(env, EXCP01_DB);
    }
}
