/*
 * Weak stand-ins for what the softmmu provides (TLB flushes, the debug
 * page walk), so the system slice links before the softmmu is merged.
 * The softmmu's strong definitions replace these at link time.
 */
#include "util/osdep.h"
#include "target/x86/cpu.h"

__attribute__((weak)) void x86_tlb_flush(CPUX86State *env)
{
}

__attribute__((weak)) void x86_tlb_flush_page(CPUX86State *env, uint64_t addr)
{
}

/* Without paging support, linear addresses are physical. */
__attribute__((weak)) int64_t x86_cpu_get_phys_page_debug(CPUX86State *env,
                                                          uint64_t vaddr)
{
    if (env->cr[0] & CR0_PG_MASK) {
        return -1;
    }
    return vaddr & env->a20_mask & 0xffffffffffULL;
}
