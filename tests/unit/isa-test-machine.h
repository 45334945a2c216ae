/*
 * A small test machine for device tests: an ISA bus on the system memory
 * and I/O address spaces, port accessors through address_space_io, and
 * lines that record what devices drive on them.
 */
#ifndef TESTS_UNIT_ISA_TEST_MACHINE_H
#define TESTS_UNIT_ISA_TEST_MACHINE_H

#include "util/osdep.h"
#include "hw/isa/isa.h"
#include "hw/irq.h"
#include "memory/memory.h"
#include "system/timer.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED

/* A probe on the far end of a line: its level and what it went through. */
typedef struct IrqProbe {
    int level;
    int raises;                 /* 0 -> 1 transitions */
    int lowers;                 /* 1 -> 0 transitions */
    int64_t raise_ns[64];       /* virtual time of each raise (first 64) */
} IrqProbe;

static UNUSED void irq_probe_handler(void *opaque, int n, int level)
{
    IrqProbe *p = &((IrqProbe *)opaque)[n];

    level = !!level;
    if (level && !p->level) {
        if (p->raises < (int)ARRAY_SIZE(p->raise_ns)) {
            p->raise_ns[p->raises] = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        }
        p->raises++;
    } else if (!level && p->level) {
        p->lowers++;
    }
    p->level = level;
}

static inline ISABus *test_isa_bus_new(void)
{
    return isa_bus_new(NULL, get_system_memory(), get_system_io(),
                       &error_abort);
}

/* Unplug every device of the bus, then drop the bus. */
static inline void test_isa_bus_free(ISABus *bus)
{
    BusChild *kid;

    while ((kid = QTAILQ_FIRST(&BUS(bus)->children))) {
        object_unparent(OBJECT(kid->child));
    }
    object_unref(OBJECT(bus));
    urcu_bp_barrier();
}

static inline void outb(uint16_t port, uint8_t val)
{
    address_space_stb(&address_space_io, port, val, ATTRS, NULL);
}

static inline uint8_t inb(uint16_t port)
{
    return address_space_ldub(&address_space_io, port, ATTRS, NULL);
}

#endif
