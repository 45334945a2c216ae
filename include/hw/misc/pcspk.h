/*
 * Port 0x61 (NMI status and control, PC speaker), after QEMU's
 * hw/audio/pcspk.c.  An "isa-pcspk" device linked to the PIT ("pit"):
 *   bit 0  counter 2 GATE (read/write)
 *   bit 1  speaker data enable (read/write)
 *   bit 4  refresh request toggle: flips on every read (software times
 *          short delays with it)
 *   bit 5  counter 2 OUT (read-only)
 * No sound is produced.
 */
#ifndef HW_MISC_PCSPK_H
#define HW_MISC_PCSPK_H

#include "hw/isa/isa.h"
#include "hw/timer/i8254.h"

#define TYPE_PC_SPEAKER "isa-pcspk"
OBJECT_DECLARE_SIMPLE_TYPE(PCSpkState, PC_SPEAKER)

struct PCSpkState {
    ISADevice parent_obj;

    uint8_t data_on;            /* guest state */
    uint8_t dummy_refresh_clock;

    uint32_t iobase;            /* property */
    PITCommonState *pit;        /* link */
    MemoryRegion ioport;
};

/* Create "isa-pcspk" at 0x61 on bus, linked to pit. */
ISADevice *pcspk_init(ISABus *bus, PITCommonState *pit);

#endif
