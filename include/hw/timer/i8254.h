/*
 * The 8254 programmable interval timer, after QEMU's hw/timer/i8254.c.
 *
 * An "isa-pit" device at iobase (0x40): counters 0-2 at +0..+2 and the
 * control word at +3.  Counters run at PIT_FREQ (1.193182 MHz) on the
 * virtual clock; their state is computed from the time the count was
 * loaded, and only counter 0's OUT (GPIO output 0, ISA IRQ 0) is driven
 * by a timer, at each of its transitions.
 *
 * Supported: modes 0-5, binary and BCD counting, LSB / MSB / LSB-then-MSB
 * access with the read and write flip-flops, counter latch, read-back
 * (count and status, with OUT and null count), GATE (counters 0 and 1
 * tied high; counter 2 through port 0x61, see hw/misc/pcspk.h): modes 1
 * and 5 start on a rising gate, modes 2 and 3 restart on it and hold OUT
 * high while it is low, modes 0 and 4 count regardless (as QEMU).
 */
#ifndef HW_TIMER_I8254_H
#define HW_TIMER_I8254_H

#include "hw/isa/isa.h"
#include "system/timer.h"

#define TYPE_I8254 "isa-pit"
OBJECT_DECLARE_SIMPLE_TYPE(PITCommonState, I8254)

#define PIT_FREQ 1193182

/* One counter; every field is guest-visible state. */
typedef struct PITChannelState {
    uint32_t count;             /* reload value in binary: 1..0x10000 */
    uint16_t latched_count;
    uint8_t count_latched;      /* RW_STATE_* of a pending count latch */
    uint8_t status_latched;
    uint8_t status;
    uint8_t read_state;
    uint8_t write_state;
    uint8_t write_latch;
    uint8_t rw_mode;
    uint8_t mode;
    uint8_t bcd;
    uint8_t gate;
    uint8_t null_count;         /* control word written, no count yet */
    uint8_t counting;           /* count loaded (and, modes 1/5, triggered) */
    int64_t count_load_time;    /* virtual ns when counting started */
    int64_t next_transition_time;
} PITChannelState;

struct PITCommonState {
    ISADevice parent_obj;

    PITChannelState channels[3];
    qemu_irq irq;               /* counter 0 OUT */
    QEMUTimer *irq_timer;

    uint32_t iobase;            /* property */
    MemoryRegion ioports;
};

typedef struct PITChannelInfo {
    int gate;
    int mode;
    int initial_count;
    int out;
} PITChannelInfo;

/* Create "isa-pit" at base with OUT0 on ISA IRQ isa_irq. */
ISADevice *i8254_pit_init(ISABus *bus, int base, int isa_irq);
void pit_set_gate(PITCommonState *pit, int channel, int val);
void pit_get_channel_info(PITCommonState *pit, int channel,
                          PITChannelInfo *info);
/* OUT of a counter at virtual time now (ns). */
int pit_get_out(PITChannelState *s, int64_t now);

/*
 * Conversions to and from KVM's in-kernel PIT state (struct
 * kvm_pit_state2, KVM_GET/SET_PIT2), used by the VMState hooks when the
 * PIT is in the kernel.  clock_offset is QEMU_CLOCK_VIRTUAL minus the
 * kernel's CLOCK_MONOTONIC (kvm_pit_clock_offset()); from_kvm computes
 * counter 0's next transition after now (virtual ns).
 */
struct kvm_pit_state2;
void pit_state_to_kvm(const PITCommonState *pit, struct kvm_pit_state2 *k,
                      int64_t clock_offset);
void pit_state_from_kvm(PITCommonState *pit, const struct kvm_pit_state2 *k,
                        int64_t clock_offset, int64_t now);

#endif
