/*
 * 8254 programmable interval timer (see include/hw/timer/i8254.h).
 *
 * A counter's state is a function of the ticks d elapsed since its count
 * was loaded; the formulas below give the count and OUT for each mode.
 * Tick k happens at the first nanosecond where d >= k, so a timer set for
 * it sees exactly the OUT the guest would read then.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/timer/i8254.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/kvm.h"
#include <linux/kvm.h>

enum {
    RW_STATE_LSB = 1,
    RW_STATE_MSB = 2,
    RW_STATE_WORD0 = 3,
    RW_STATE_WORD1 = 4,
};

static uint64_t ns_to_ticks(int64_t ns)
{
    if (ns <= 0) {
        return 0;
    }
    return (unsigned __int128)ns * PIT_FREQ / NANOSECONDS_PER_SECOND;
}

/* First ns (relative to load) at which tick k has happened. */
static int64_t ticks_to_ns(uint64_t k)
{
    return ((unsigned __int128)k * NANOSECONDS_PER_SECOND + PIT_FREQ - 1) /
           PIT_FREQ;
}

static uint32_t bcd_to_bin16(uint32_t v)
{
    return (v & 0xf) + ((v >> 4) & 0xf) * 10 + ((v >> 8) & 0xf) * 100 +
           ((v >> 12) & 0xf) * 1000;
}

static uint32_t bin_to_bcd16(uint32_t v)
{
    return (v % 10) | ((v / 10 % 10) << 4) | ((v / 100 % 10) << 8) |
           ((v / 1000 % 10) << 12);
}

/* The counter wraps at 0x10000 in binary, 10000 in BCD. */
static uint32_t pit_modulus(PITChannelState *s)
{
    return s->bcd ? 10000 : 0x10000;
}

/* Modes 6 and 7 are aliases of 2 and 3. */
static int pit_mode(PITChannelState *s)
{
    return s->mode >= 6 ? s->mode - 4 : s->mode;
}

static uint64_t pit_ticks(PITChannelState *s, int64_t now)
{
    return ns_to_ticks(now - s->count_load_time);
}

/* The current count, in binary. */
static uint32_t pit_get_count(PITChannelState *s)
{
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    uint32_t mod = pit_modulus(s);
    uint64_t d;

    if (!s->counting) {
        return s->count % mod;
    }
    d = pit_ticks(s, now);
    switch (pit_mode(s)) {
    case 2:
        return s->count - d % s->count;
    case 3:
        /* Counts down by two, twice per period. */
        return s->count - (2 * d) % s->count;
    default:    /* 0, 1, 4, 5: one pass, then wrap around */
        return (s->count + mod - d % mod) % mod;
    }
}

int pit_get_out(PITChannelState *s, int64_t now)
{
    uint64_t d;
    int mode = pit_mode(s);

    if (!s->counting) {
        /* Mode 0 starts low; the others start high. */
        return mode != 0;
    }
    if ((mode == 2 || mode == 3) && !s->gate) {
        return 1;
    }
    d = pit_ticks(s, now);
    switch (mode) {
    case 0:
        return d >= s->count;
    case 1:
        return d >= s->count;
    case 2:
        /* Low for the one tick at count 1. */
        return s->count < 2 || d % s->count != s->count - 1;
    case 3:
        return d % s->count < (s->count + 1) / 2;
    default:    /* 4, 5: low for the one tick after terminal count */
        return d != s->count;
    }
}

/* The next time OUT changes, after now; -1 if it never will. */
static int64_t pit_get_next_transition_time(PITChannelState *s, int64_t now)
{
    uint64_t d, base, next;
    int mode = pit_mode(s);

    if (!s->counting || ((mode == 2 || mode == 3) && !s->gate)) {
        return -1;
    }
    d = pit_ticks(s, now);
    switch (mode) {
    case 0:
    case 1:
        if (d >= s->count) {
            return -1;
        }
        next = s->count;
        break;
    case 2:
        if (s->count < 2) {
            return -1;
        }
        base = d - d % s->count;
        if (d % s->count < s->count - 1) {
            next = base + s->count - 1;
        } else {
            next = base + s->count;
        }
        break;
    case 3: {
        uint64_t half = (s->count + 1) / 2;

        if (s->count < 2) {
            return -1;
        }
        base = d - d % s->count;
        next = d % s->count < half ? base + half : base + s->count;
        break;
    }
    default:
        if (d < s->count) {
            next = s->count;
        } else if (d == s->count) {
            next = s->count + 1;
        } else {
            return -1;
        }
        break;
    }
    return s->count_load_time + ticks_to_ns(next);
}

/* Drive IRQ 0 for counter 0 at time now, and arm the next transition. */
static void pit_irq_timer_update(PITCommonState *pit, int64_t now)
{
    PITChannelState *s = &pit->channels[0];
    int64_t expire;

    if (kvm_pit_in_kernel()) {
        /* KVM's PIT drives GSI 0 and owns the ports: this one is idle. */
        timer_del(pit->irq_timer);
        return;
    }
    qemu_set_irq(pit->irq, pit_get_out(s, now));
    expire = pit_get_next_transition_time(s, now);
    s->next_transition_time = expire;
    if (expire >= 0) {
        timer_mod_ns(pit->irq_timer, expire);
    } else {
        timer_del(pit->irq_timer);
    }
}

static void pit_irq_timer(void *opaque)
{
    PITCommonState *pit = opaque;

    /* The transition's own time, not "now": no drift if the loop is late. */
    pit_irq_timer_update(pit, pit->channels[0].next_transition_time);
}

static void pit_channel_changed(PITCommonState *pit, int channel)
{
    if (channel == 0) {
        pit_irq_timer_update(pit, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
    }
}

static void pit_load_count(PITCommonState *pit, int channel, uint32_t val)
{
    PITChannelState *s = &pit->channels[channel];
    int mode = pit_mode(s);

    if (s->bcd) {
        val = bcd_to_bin16(val);
    }
    if (val == 0) {
        val = pit_modulus(s);
    }
    if (val == 1 && (mode == 2 || mode == 3)) {
        qemu_log_mask(LOG_GUEST_ERROR, "i8254: counter %d: count 1 is "
                      "illegal in mode %d\n", channel, mode);
    }
    s->count = val;
    s->null_count = 0;
    s->count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    /* Modes 1 and 5 wait for a rising gate. */
    s->counting = mode != 1 && mode != 5;
    pit_channel_changed(pit, channel);
}

static void pit_latch_count(PITChannelState *s)
{
    if (!s->count_latched) {
        uint32_t count = pit_get_count(s);

        s->latched_count = s->bcd ? bin_to_bcd16(count) : count;
        s->count_latched = s->rw_mode;
    }
}

static void pit_control_write(PITCommonState *pit, uint8_t val)
{
    int channel = val >> 6;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    PITChannelState *s;
    int access;

    if (channel == 3) {
        /* Read-back: bit 5 clear latches counts, bit 4 clear status. */
        for (channel = 0; channel < 3; channel++) {
            s = &pit->channels[channel];
            if (!(val & (2 << channel))) {
                continue;
            }
            if (!(val & 0x20)) {
                pit_latch_count(s);
            }
            if (!(val & 0x10) && !s->status_latched) {
                s->status = (pit_get_out(s, now) << 7) |
                            (s->null_count << 6) | (s->rw_mode << 4) |
                            (s->mode << 1) | s->bcd;
                s->status_latched = 1;
            }
        }
        return;
    }
    s = &pit->channels[channel];
    access = (val >> 4) & 3;
    if (access == 0) {
        pit_latch_count(s);
        return;
    }
    s->rw_mode = access;
    s->read_state = access;
    s->write_state = access;
    s->mode = (val >> 1) & 7;
    s->bcd = val & 1;
    /* A control word stops the counter until a count is written. */
    s->count_latched = 0;
    s->status_latched = 0;
    s->counting = 0;
    s->null_count = 1;
    pit_channel_changed(pit, channel);
}

static void pit_ioport_write(void *opaque, hwaddr addr, uint64_t val64,
                             unsigned size)
{
    PITCommonState *pit = opaque;
    uint8_t val = val64;
    PITChannelState *s;

    addr &= 3;
    if (addr == 3) {
        pit_control_write(pit, val);
        return;
    }
    s = &pit->channels[addr];
    switch (s->write_state) {
    case RW_STATE_LSB:
        pit_load_count(pit, addr, val);
        break;
    case RW_STATE_MSB:
        pit_load_count(pit, addr, val << 8);
        break;
    case RW_STATE_WORD0:
        s->write_latch = val;
        s->write_state = RW_STATE_WORD1;
        break;
    case RW_STATE_WORD1:
        pit_load_count(pit, addr, s->write_latch | (val << 8));
        s->write_state = RW_STATE_WORD0;
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "i8254: counter %d written before "
                      "its control word\n", (int)addr);
        break;
    }
}

static uint64_t pit_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PITCommonState *pit = opaque;
    PITChannelState *s;
    uint32_t count;
    int ret;

    addr &= 3;
    if (addr == 3) {
        /* The control word register is write-only. */
        return 0xff;
    }
    s = &pit->channels[addr];
    if (s->status_latched) {
        s->status_latched = 0;
        return s->status;
    }
    if (s->count_latched) {
        switch (s->count_latched) {
        case RW_STATE_MSB:
            ret = s->latched_count >> 8;
            s->count_latched = 0;
            break;
        case RW_STATE_WORD0:
            ret = s->latched_count & 0xff;
            s->count_latched = RW_STATE_MSB;
            break;
        default:
            ret = s->latched_count & 0xff;
            s->count_latched = 0;
            break;
        }
        return ret;
    }
    count = pit_get_count(s);
    if (s->bcd) {
        count = bin_to_bcd16(count);
    }
    switch (s->read_state) {
    case RW_STATE_MSB:
        return (count >> 8) & 0xff;
    case RW_STATE_WORD0:
        s->read_state = RW_STATE_WORD1;
        return count & 0xff;
    case RW_STATE_WORD1:
        s->read_state = RW_STATE_WORD0;
        return (count >> 8) & 0xff;
    default:
        return count & 0xff;
    }
}

static const MemoryRegionOps pit_ioport_ops = {
    .read = pit_ioport_read,
    .write = pit_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void pit_set_gate(PITCommonState *pit, int channel, int val)
{
    PITChannelState *s = &pit->channels[channel];
    bool rising = val && !s->gate;

    s->gate = !!val;
    switch (pit_mode(s)) {
    case 1:
    case 5:
        /* Trigger: (re)start a loaded count. */
        if (rising && !s->null_count) {
            s->count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
            s->counting = 1;
        }
        break;
    case 2:
    case 3:
        /* Restart from the reload value on the rising edge. */
        if (rising && s->counting) {
            s->count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        }
        break;
    default:
        break;
    }
    pit_channel_changed(pit, channel);
}

void pit_get_channel_info(PITCommonState *pit, int channel,
                          PITChannelInfo *info)
{
    PITChannelState *s = &pit->channels[channel];

    info->gate = s->gate;
    info->mode = s->mode;
    info->initial_count = s->count;
    info->out = pit_get_out(s, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
}

/*
 * Give KVM's in-kernel PIT this model's state (after a load or a reset);
 * KVM restarts the counters from their counts (as QEMU's).
 */
static int pit_kvm_put(PITCommonState *pit)
{
    struct kvm_pit_state2 k;
    int r;

    pit_state_to_kvm(pit, &k, kvm_pit_clock_offset());
    r = kvm_pit_set(&k);
    if (r < 0) {
        error_report("i8254: KVM_SET_PIT2: %s", strerror(-r));
        return r;
    }
    return 0;
}

/* Power-on: every counter in mode 3 with count 0x10000, as QEMU. */
static void pit_reset_enter(Object *obj, ResetType type)
{
    PITCommonState *pit = I8254(obj);
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    for (int i = 0; i < 3; i++) {
        PITChannelState *s = &pit->channels[i];

        memset(s, 0, sizeof(*s));
        s->mode = 3;
        s->gate = i != 2;
        s->count = 0x10000;
        s->count_load_time = now;
        s->counting = 1;
        s->next_transition_time = -1;
    }
}

static void pit_reset_hold(Object *obj, ResetType type)
{
    PITCommonState *pit = I8254(obj);

    timer_del(pit->irq_timer);
    qemu_irq_lower(pit->irq);
}

/*
 * Leaving reset, counter 0 starts driving IRQ 0.  KVM's PIT keeps its
 * state across a machine reset: it gets the power-on state (as QEMU's
 * kvm_pit_reset does).
 */
static void pit_reset_exit(Object *obj, ResetType type)
{
    PITCommonState *pit = I8254(obj);

    pit->channels[0].count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    if (kvm_pit_in_kernel()) {
        pit_kvm_put(pit);
    }
    pit_irq_timer_update(pit, pit->channels[0].count_load_time);
}

static void pit_realize(DeviceState *dev, Error **errp)
{
    PITCommonState *pit = I8254(dev);

    if (pit->iobase > 0xfffc) {
        error_setg(errp, "isa-pit: iobase 0x%x leaves no room for its 4 "
                   "ports", pit->iobase);
        return;
    }
    memory_region_init_io(&pit->ioports, OBJECT(dev), &pit_ioport_ops, pit,
                          "pit", 4);
    isa_register_ioport(ISA_DEVICE(dev), &pit->ioports, pit->iobase);
    pit->irq_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, pit_irq_timer, pit);
}

static void (*pit_parent_unrealize)(DeviceState *dev);

static void pit_unrealize(DeviceState *dev)
{
    PITCommonState *pit = I8254(dev);

    timer_free(pit->irq_timer);
    pit->irq_timer = NULL;
    pit_parent_unrealize(dev);
}

static void pit_init(Object *obj)
{
    qdev_init_gpio_out(DEVICE(obj), &I8254(obj)->irq, 1);
}

static void pit_finalize(Object *obj)
{
    memory_region_finalize(&I8254(obj)->ioports);
}

ISADevice *i8254_pit_init(ISABus *bus, int base, int isa_irq)
{
    DeviceState *dev = qdev_new(TYPE_I8254);

    qdev_prop_set_uint32(dev, "iobase", base);
    qdev_realize_and_unref(dev, BUS(bus), &error_abort);
    qdev_connect_gpio_out(dev, 0, isa_bus_get_irq(bus, isa_irq));
    ISA_DEVICE(dev)->isairq[0] = isa_irq;
    ISA_DEVICE(dev)->nirqs = 1;
    return ISA_DEVICE(dev);
}

/* ---- the in-kernel PIT (KVM) -------------------------------------------- */

/* KVM's mode of a counter never programmed since KVM_CREATE_PIT2. */
#define KVM_PIT_MODE_NONE 0xff

/*
 * struct kvm_pit_state2 has QEMU's channel fields; count_load_time is on
 * the kernel's clock (CLOCK_MONOTONIC), clock_offset = virtual - kernel
 * (kvm_pit_clock_offset).  Our null_count and counting flags are not in
 * it: a counter with neither (no count and no control word since power-on,
 * not waiting for a gate) is KVM's "never programmed" mode 0xff, whose
 * timer does not run; mode 1/5 counters waiting for their gate and
 * counters with a control word pending keep their flags on the way back.
 */
void pit_state_to_kvm(const PITCommonState *pit, struct kvm_pit_state2 *k,
                      int64_t clock_offset)
{
    memset(k, 0, sizeof(*k));
    for (int i = 0; i < 3; i++) {
        const PITChannelState *s = &pit->channels[i];
        struct kvm_pit_channel_state *c = &k->channels[i];
        int mode = s->mode >= 6 ? s->mode - 4 : s->mode;

        c->count = s->count;
        c->latched_count = s->latched_count;
        c->count_latched = s->count_latched;
        c->status_latched = s->status_latched;
        c->status = s->status;
        c->read_state = s->read_state;
        c->write_state = s->write_state;
        c->write_latch = s->write_latch;
        c->rw_mode = s->rw_mode;
        c->mode = s->mode;
        if (!s->counting && !s->null_count && mode != 1 && mode != 5) {
            c->mode = KVM_PIT_MODE_NONE;
        }
        c->bcd = s->bcd;
        c->gate = s->gate;
        c->count_load_time = s->count_load_time - clock_offset;
    }
}

/*
 * now (virtual ns) is when the state was read: counter 0's next
 * transition is computed from it.
 */
void pit_state_from_kvm(PITCommonState *pit, const struct kvm_pit_state2 *k,
                        int64_t clock_offset, int64_t now)
{
    for (int i = 0; i < 3; i++) {
        PITChannelState *s = &pit->channels[i];
        const struct kvm_pit_channel_state *c = &k->channels[i];
        int mode;

        s->count = c->count >= 1 && c->count <= 0x10000 ? c->count : 0x10000;
        s->latched_count = c->latched_count;
        s->count_latched = c->count_latched;
        s->status_latched = c->status_latched;
        s->status = c->status;
        s->read_state = c->read_state;
        s->write_state = c->write_state;
        s->write_latch = c->write_latch;
        s->rw_mode = c->rw_mode;
        s->bcd = c->bcd & 1;
        s->gate = c->gate & 1;
        s->count_load_time = c->count_load_time + clock_offset;
        if (c->mode > 7) {
            /* Never programmed: idle, in the mode we had if it idles. */
            mode = s->mode >= 6 ? s->mode - 4 : s->mode;
            if (mode == 1 || mode == 5 || s->counting || s->null_count) {
                s->mode = 0;
            }
            s->counting = 0;
            s->null_count = 0;
            continue;
        }
        s->mode = c->mode;
        mode = s->mode >= 6 ? s->mode - 4 : s->mode;
        if (s->null_count) {
            s->counting = 0;
        } else if (mode != 1 && mode != 5) {
            s->counting = 1;
        }
        /* modes 1 and 5: KVM does not say whether the gate came; keep */
    }
    pit->channels[0].next_transition_time =
        pit_get_next_transition_time(&pit->channels[0], now);
}

/*
 * With the PIT in the kernel this model is idle: the state to save is
 * KVM's, on our clock.
 */
static int pit_pre_save(void *opaque)
{
    PITCommonState *pit = opaque;
    struct kvm_pit_state2 k;
    int r;

    if (!kvm_pit_in_kernel()) {
        return 0;
    }
    r = kvm_pit_get(&k);
    if (r < 0) {
        error_report("i8254: KVM_GET_PIT2: %s", strerror(-r));
        return r;
    }
    pit_state_from_kvm(pit, &k, kvm_pit_clock_offset(),
                       qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
    return 0;
}

/* A count of 0 would divide by zero; the rest index nothing. */
static bool pit_channel_valid(void *opaque, int version_id)
{
    PITChannelState *s = opaque;

    return s->count >= 1 && s->count <= 0x10000 && s->bcd <= 1 &&
           s->gate <= 1 && s->mode <= 7;
}

/* QEMU's hw/timer/i8254_common.c "pit channel". */
static const VMStateDescription vmstate_pit_channel = {
    .name = "pit channel",
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(count, PITChannelState),
        VMSTATE_UINT16(latched_count, PITChannelState),
        VMSTATE_UINT8(count_latched, PITChannelState),
        VMSTATE_UINT8(status_latched, PITChannelState),
        VMSTATE_UINT8(status, PITChannelState),
        VMSTATE_UINT8(read_state, PITChannelState),
        VMSTATE_UINT8(write_state, PITChannelState),
        VMSTATE_UINT8(write_latch, PITChannelState),
        VMSTATE_UINT8(rw_mode, PITChannelState),
        VMSTATE_UINT8(mode, PITChannelState),
        VMSTATE_UINT8(bcd, PITChannelState),
        VMSTATE_UINT8(gate, PITChannelState),
        VMSTATE_INT64(count_load_time, PITChannelState),
        VMSTATE_INT64(next_transition_time, PITChannelState),
        VMSTATE_VALIDATE("count 1..0x10000, mode 0..7", pit_channel_valid),
        VMSTATE_END_OF_LIST()
    },
};

/* Our counters' "null count" and "waiting for a trigger" flags. */
static const VMStateDescription vmstate_pit_counting = {
    .name = "i8254/counting",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(channels[0].null_count, PITCommonState),
        VMSTATE_UINT8(channels[0].counting, PITCommonState),
        VMSTATE_UINT8(channels[1].null_count, PITCommonState),
        VMSTATE_UINT8(channels[1].counting, PITCommonState),
        VMSTATE_UINT8(channels[2].null_count, PITCommonState),
        VMSTATE_UINT8(channels[2].counting, PITCommonState),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * The loaded counter 0 drives IRQ 0 again and its timer fires at the
 * saved next transition, so the tick keeps its phase across a load.
 *
 * The line goes back to the level the source left it at, which holds
 * until the next transition: not the output at the loaded time, which
 * differs when the VM stopped after a transition was due but before its
 * timer ran.  That transition is the timer's to make once the VM runs,
 * as on the source; made here, it would set bits in the PIC's and the
 * IOAPIC's IRR during the load, and save -> load -> save would not give
 * the same stream.
 */
static int pit_post_load(void *opaque, int version_id)
{
    PITCommonState *pit = opaque;
    PITChannelState *s = &pit->channels[0];
    int64_t at = s->next_transition_time >= 0 ?
                 s->next_transition_time - 1 :
                 qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    if (kvm_pit_in_kernel()) {
        timer_del(pit->irq_timer);
        return pit_kvm_put(pit);
    }
    qemu_set_irq(pit->irq, pit_get_out(s, at));
    if (s->next_transition_time >= 0) {
        timer_mod_ns(pit->irq_timer, s->next_transition_time);
    } else {
        timer_del(pit->irq_timer);
    }
    return 0;
}

/*
 * QEMU's hw/timer/i8254_common.c "i8254".  The counter-0 timer is carried
 * by channels[0].next_transition_time, as in QEMU (formerly irq_timer).
 */
static const VMStateDescription vmstate_pit_common = {
    .name = "i8254",
    .version_id = 3,
    .minimum_version_id = 2,
    .pre_save = pit_pre_save,
    .post_load = pit_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UNUSED_V(3, 4), /* QEMU's channels[0].irq_disabled */
        VMSTATE_STRUCT_ARRAY(channels, PITCommonState, 3, 2,
                             vmstate_pit_channel, PITChannelState),
        VMSTATE_INT64(channels[0].next_transition_time, PITCommonState),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_pit_counting,
        NULL
    },
};

static const Property pit_properties[] = {
    DEFINE_PROP_UINT32("iobase", PITCommonState, iobase, 0x40),
    DEFINE_PROP_END_OF_LIST(),
};

static void pit_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    dc->realize = pit_realize;
    device_class_set_parent_unrealize(dc, pit_unrealize,
                                      &pit_parent_unrealize);
    dc->desc = "ISA 8254 programmable interval timer";
    dc->vmsd = &vmstate_pit_common;
    device_class_set_props(dc, pit_properties);
    rc->phases.enter = pit_reset_enter;
    rc->phases.hold = pit_reset_hold;
    rc->phases.exit = pit_reset_exit;
}

static const TypeInfo pit_types[] = {
    {
        .name = TYPE_I8254,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(PITCommonState),
        .instance_init = pit_init,
        .instance_finalize = pit_finalize,
        .class_init = pit_class_init,
    },
};

DEFINE_TYPES(pit_types)
