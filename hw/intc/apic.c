/*
 * Local APIC (xAPIC and x2APIC), after QEMU's hw/intc/apic.c.
 * See include/hw/i386/apic.h for the contract with the CPU model.
 */
#include "util/osdep.h"
#include "system/kvm.h"
#include "hw/i386/apic.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/main-loop.h"
#include "util/log.h"
#include <linux/kvm.h>

/*
 * The APIC bus: every realized APIC, the shared MSI region and the EOI
 * broadcast subscribers.  There is one of each in a PC, as in QEMU's
 * local_apics[] array.
 */
typedef struct APICBus {
    QTAILQ_HEAD(, APICCommonState) apics;
    NotifierList eoi_notifiers;
    MemoryRegion msi;
    bool msi_ready;
} APICBus;

static APICBus apic_bus = {
    .apics = QTAILQ_HEAD_INITIALIZER(apic_bus.apics),
    .eoi_notifiers = NOTIFIER_LIST_INITIALIZER(apic_bus.eoi_notifiers),
};

#define APIC_FOREACH(s) QTAILQ_FOREACH(s, &apic_bus.apics, link)

/* ---- bit arrays ------------------------------------------------------- */

static void apic_set_bit(uint32_t *tab, int index)
{
    tab[index >> 5] |= 1U << (index & 31);
}

static void apic_reset_bit(uint32_t *tab, int index)
{
    tab[index >> 5] &= ~(1U << (index & 31));
}

static bool apic_get_bit(const uint32_t *tab, int index)
{
    return tab[index >> 5] & (1U << (index & 31));
}

/* Highest set bit of a 256-bit array, -1 if none. */
static int apic_highest_bit(const uint32_t *tab)
{
    for (int i = 7; i >= 0; i--) {
        if (tab[i]) {
            return i * 32 + 31 - __builtin_clz(tab[i]);
        }
    }
    return -1;
}

/* ---- priorities --------------------------------------------------------- */

static bool apic_x2apic_mode(const APICCommonState *s)
{
    return s->apicbase & MSR_IA32_APICBASE_EXTD;
}

static bool apic_hw_enabled(const APICCommonState *s)
{
    return s->apicbase & MSR_IA32_APICBASE_ENABLE;
}

static bool apic_sw_enabled(const APICCommonState *s)
{
    return s->spurious_vec & APIC_SV_ENABLE;
}

static uint32_t apic_get_ppr(const APICCommonState *s)
{
    int isrv = apic_highest_bit(s->isr);
    int tpr = s->tpr >> 4;

    isrv = isrv < 0 ? 0 : isrv >> 4;
    return tpr >= isrv ? s->tpr : isrv << 4;
}

/* SDM 10.6.2.4: the arbitration priority used for lowest-priority. */
static uint32_t apic_get_arb_pri(const APICCommonState *s)
{
    int isrv = MAX(apic_highest_bit(s->isr), 0);
    int irrv = MAX(apic_highest_bit(s->irr), 0);

    if ((s->tpr & 0xf0) >= (irrv & 0xf0) && (s->tpr & 0xf0) > (isrv & 0xf0)) {
        return s->tpr;
    }
    return MAX(s->tpr & 0xf0, MAX(isrv & 0xf0, irrv & 0xf0));
}

/* Vector to deliver: > 0, 0 for nothing, -1 when masked by the PPR. */
static int apic_irq_pending(const APICCommonState *s)
{
    int irrv = apic_highest_bit(s->irr);

    if (irrv < 0) {
        return 0;
    }
    if ((irrv & 0xf0) <= (apic_get_ppr(s) & 0xf0)) {
        return -1;
    }
    return irrv;
}

/* An ExtINT from the PIC takes precedence over the APIC's own vectors. */
static bool apic_check_pic(const APICCommonState *s)
{
    return s->extint_level && apic_accept_pic_intr(DEVICE(s));
}

/* Tell the CPU whether it has a maskable interrupt to take. */
static void apic_update_irq(APICCommonState *s)
{
    if (!s->cpu) {
        return;
    }
    if (apic_hw_enabled(s) && apic_sw_enabled(s) && apic_irq_pending(s) > 0) {
        cpu_interrupt(s->cpu, CPU_INTERRUPT_HARD);
    } else if (apic_check_pic(s)) {
        cpu_interrupt(s->cpu, CPU_INTERRUPT_HARD);
    } else {
        cpu_reset_interrupt(s->cpu, CPU_INTERRUPT_HARD);
    }
}

static void apic_report_error(APICCommonState *s, uint32_t bit);

static void apic_set_irq(APICCommonState *s, int vector, int trigger_mode)
{
    if (vector < 16) {
        /* Vectors 0-15 are reserved: the receiving APIC flags the error. */
        apic_report_error(s, APIC_ESR_RECV_ILLEGAL_VECTOR);
        return;
    }
    apic_set_bit(s->irr, vector);
    if (trigger_mode == APIC_TRIGGER_LEVEL) {
        apic_set_bit(s->tmr, vector);
    } else {
        apic_reset_bit(s->tmr, vector);
    }
    apic_update_irq(s);
}

/* ---- local vector table ------------------------------------------------ */

static void apic_local_deliver(APICCommonState *s, int vector)
{
    uint32_t lvt = s->lvt[vector];
    int trigger = APIC_TRIGGER_EDGE;

    if (lvt & APIC_LVT_MASKED) {
        return;
    }
    switch ((lvt >> 8) & 7) {
    case APIC_DM_SMI:
        if (s->cpu) {
            cpu_interrupt(s->cpu, CPU_INTERRUPT_SMI);
        }
        break;
    case APIC_DM_NMI:
        if (s->cpu) {
            cpu_interrupt(s->cpu, CPU_INTERRUPT_NMI);
        }
        break;
    case APIC_DM_EXTINT:
        if (s->cpu) {
            cpu_interrupt(s->cpu, CPU_INTERRUPT_HARD);
        }
        break;
    case APIC_DM_FIXED:
        if ((vector == APIC_LVT_LINT0 || vector == APIC_LVT_LINT1) &&
            (lvt & APIC_LVT_LEVEL_TRIGGER)) {
            trigger = APIC_TRIGGER_LEVEL;
        }
        apic_set_irq(s, lvt & 0xff, trigger);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "apic: LVT %d: reserved delivery mode %u\n", vector,
                      (lvt >> 8) & 7);
        break;
    }
}

static void apic_report_error(APICCommonState *s, uint32_t bit)
{
    s->esr_pending |= bit;
    /* An illegal vector in the error LVT itself must not recurse. */
    if ((s->lvt[APIC_LVT_ERROR] & 0xff) >= 16) {
        apic_local_deliver(s, APIC_LVT_ERROR);
    }
}

bool apic_accept_pic_intr(DeviceState *dev)
{
    APICCommonState *s = APIC(dev);
    uint32_t lvt0 = s->lvt[APIC_LVT_LINT0];

    return !apic_hw_enabled(s) ||
        (!(lvt0 & APIC_LVT_MASKED) && ((lvt0 >> 8) & 7) == APIC_DM_EXTINT);
}

void apic_deliver_pic_intr(DeviceState *dev, int level)
{
    APICCommonState *s = APIC(dev);
    uint32_t lvt = s->lvt[APIC_LVT_LINT0];

    s->extint_level = level;
    if (!apic_hw_enabled(s)) {
        /* Virtual wire: INTR goes straight to the CPU. */
        apic_update_irq(s);
        return;
    }
    if (level) {
        apic_local_deliver(s, APIC_LVT_LINT0);
        return;
    }
    switch ((lvt >> 8) & 7) {
    case APIC_DM_FIXED:
        if (!(lvt & APIC_LVT_LEVEL_TRIGGER)) {
            break;
        }
        apic_reset_bit(s->irr, lvt & 0xff);
        /* fall through */
    case APIC_DM_EXTINT:
        apic_update_irq(s);
        break;
    }
}

void apic_deliver_nmi(DeviceState *dev)
{
    apic_local_deliver(APIC(dev), APIC_LVT_LINT1);
}

/* ---- timer ---------------------------------------------------------------- */

static uint32_t apic_timer_mode(const APICCommonState *s)
{
    return s->lvt[APIC_LVT_TIMER] & APIC_LVT_TIMER_MODE_MASK;
}

static uint32_t apic_current_count_at(const APICCommonState *s, int64_t now)
{
    int64_t d;

    if (apic_timer_mode(s) == APIC_LVT_TIMER_TSCDEADLINE ||
        !s->initial_count) {
        return 0;
    }
    d = (now - s->initial_count_load_time) >> s->count_shift;
    if (apic_timer_mode(s) == APIC_LVT_TIMER_PERIODIC) {
        return s->initial_count - (d % ((uint64_t)s->initial_count + 1));
    }
    return d >= s->initial_count ? 0 : s->initial_count - d;
}

static uint32_t apic_get_current_count(const APICCommonState *s)
{
    return apic_current_count_at(s, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
}

/* Next expiry after current_time in counting mode; false when none. */
static bool apic_next_timer(APICCommonState *s, int64_t current_time)
{
    uint64_t d, period = (uint64_t)s->initial_count + 1;

    if (!s->initial_count) {
        return false;
    }
    d = (current_time - s->initial_count_load_time) >> s->count_shift;
    if (apic_timer_mode(s) == APIC_LVT_TIMER_PERIODIC) {
        d = (d / period + 1) * period;
    } else {
        if (d >= s->initial_count) {
            return false;
        }
        d = period;
    }
    s->next_time = s->initial_count_load_time + (int64_t)(d << s->count_shift);
    return true;
}

static int64_t apic_tsc_to_ns(const APICCommonState *s, uint64_t tsc)
{
    __int128 t = (__int128)tsc - s->tsc_offset;

    if (t <= 0) {
        return 0;
    }
    t = t * NANOSECONDS_PER_SECOND / s->tsc_frequency;
    return t > INT64_MAX ? INT64_MAX : (int64_t)t;
}

uint64_t apic_get_tsc(DeviceState *dev)
{
    APICCommonState *s = APIC(dev);
    __int128 t = (__int128)qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) *
        s->tsc_frequency / NANOSECONDS_PER_SECOND;

    return (uint64_t)t + (uint64_t)s->tsc_offset;
}

void apic_set_tsc(DeviceState *dev, uint64_t tsc)
{
    APICCommonState *s = APIC(dev);

    s->tsc_offset = 0;
    s->tsc_offset = (int64_t)(tsc - apic_get_tsc(dev));
}

/* Re-arm (or stop) the timer for the current mode and registers. */
static void apic_timer_update(APICCommonState *s, int64_t current_time)
{
    if (apic_timer_mode(s) == APIC_LVT_TIMER_TSCDEADLINE) {
        if (s->tsc_deadline) {
            timer_mod_ns(s->timer, apic_tsc_to_ns(s, s->tsc_deadline));
        } else {
            timer_del(s->timer);
        }
        return;
    }
    if (apic_next_timer(s, current_time)) {
        timer_mod_ns(s->timer, s->next_time);
    } else {
        timer_del(s->timer);
    }
}

static void apic_timer(void *opaque)
{
    APICCommonState *s = opaque;
    int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    if (kvm_irqchip_in_kernel()) {
        return;     /* armed only to be saved (apic_pre_save): KVM's fires */
    }
    apic_local_deliver(s, APIC_LVT_TIMER);
    switch (apic_timer_mode(s)) {
    case APIC_LVT_TIMER_TSCDEADLINE:
        s->tsc_deadline = 0;
        break;
    case APIC_LVT_TIMER_PERIODIC:
        if (apic_next_timer(s, now)) {
            /* Bounded rate: see APIC_MIN_PERIOD_NS. */
            timer_mod_ns(s->timer, MAX(s->next_time, now + APIC_MIN_PERIOD_NS));
        }
        break;
    default:
        break;
    }
}

uint64_t apic_get_tsc_deadline(DeviceState *dev)
{
    APICCommonState *s = APIC(dev);

    return apic_timer_mode(s) == APIC_LVT_TIMER_TSCDEADLINE ?
        s->tsc_deadline : 0;
}

void apic_set_tsc_deadline(DeviceState *dev, uint64_t deadline)
{
    APICCommonState *s = APIC(dev);

    /* Writes outside TSC-deadline mode are ignored (SDM 10.5.4.1). */
    if (apic_timer_mode(s) != APIC_LVT_TIMER_TSCDEADLINE) {
        return;
    }
    s->tsc_deadline = deadline;
    apic_timer_update(s, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
}

/* ---- APIC bus: destinations and delivery ------------------------------- */

static uint32_t apic_x2apic_ldr(const APICCommonState *s)
{
    return ((s->id >> 4) << 16) | (1U << (s->id & 0xf));
}

/* Does s accept an interrupt sent to dest in dest_mode? */
static bool apic_match_dest(const APICCommonState *s, uint32_t dest,
                            uint8_t dest_mode, bool x2apic_format)
{
    uint32_t broadcast = x2apic_format ? 0xffffffff : 0xff;

    if (dest == broadcast) {
        return true;
    }
    if (dest_mode == APIC_DESTMODE_PHYSICAL) {
        return x2apic_format ? s->id == dest : (s->id & 0xff) == dest;
    }
    if (apic_x2apic_mode(s)) {
        uint32_t ldr = apic_x2apic_ldr(s);

        if (!x2apic_format) {
            return false;
        }
        return (dest >> 16) == (ldr >> 16) && (dest & ldr & 0xffff);
    }
    if (s->dest_mode == 0xf) {
        return dest & s->log_dest;            /* flat */
    }
    return (dest >> 4) == (s->log_dest >> 4) && /* cluster */
        (dest & s->log_dest & 0xf);
}

typedef struct APICSet {
    APICCommonState **v;
    int n;
} APICSet;

static void apic_set_init(APICSet *set)
{
    APICCommonState *s;
    int count = 0;

    APIC_FOREACH(s) {
        count++;
    }
    set->v = xnew_array(APICCommonState *, MAX(count, 1));
    set->n = 0;
}

static void apic_set_add(APICSet *set, APICCommonState *s)
{
    set->v[set->n++] = s;
}

static void apic_find_dest(APICSet *set, uint32_t dest, uint8_t dest_mode,
                           bool x2apic_format)
{
    APICCommonState *s;

    APIC_FOREACH(s) {
        if (apic_hw_enabled(s) &&
            apic_match_dest(s, dest, dest_mode, x2apic_format)) {
            apic_set_add(set, s);
        }
    }
}

static void apic_startup(APICCommonState *s, int vector)
{
    /* A SIPI reaches only a CPU waiting for one (SDM 8.4.4). */
    if (!s->wait_for_sipi) {
        return;
    }
    s->sipi_vector = vector;
    if (s->cpu) {
        cpu_interrupt(s->cpu, CPU_INTERRUPT_SIPI);
    }
}

static void apic_bus_deliver(APICSet *set, uint8_t delivery_mode,
                             uint8_t vector, uint8_t trigger_mode)
{
    switch (delivery_mode) {
    case APIC_DM_LOWPRI: {
        APICCommonState *best = NULL;

        for (int i = 0; i < set->n; i++) {
            if (!best || apic_get_arb_pri(set->v[i]) <
                apic_get_arb_pri(best)) {
                best = set->v[i];
            }
        }
        if (best) {
            apic_set_irq(best, vector, trigger_mode);
        }
        return;
    }
    case APIC_DM_FIXED:
        for (int i = 0; i < set->n; i++) {
            apic_set_irq(set->v[i], vector, trigger_mode);
        }
        return;
    case APIC_DM_SMI:
    case APIC_DM_NMI:
        for (int i = 0; i < set->n; i++) {
            if (set->v[i]->cpu) {
                cpu_interrupt(set->v[i]->cpu,
                              delivery_mode == APIC_DM_SMI ?
                              CPU_INTERRUPT_SMI : CPU_INTERRUPT_NMI);
            }
        }
        return;
    case APIC_DM_INIT:
        for (int i = 0; i < set->n; i++) {
            apic_init_reset(DEVICE(set->v[i]));
            if (set->v[i]->cpu) {
                cpu_interrupt(set->v[i]->cpu, CPU_INTERRUPT_INIT);
            }
        }
        return;
    case APIC_DM_SIPI:
        for (int i = 0; i < set->n; i++) {
            apic_startup(set->v[i], vector);
        }
        return;
    case APIC_DM_EXTINT:
        /* Only the PIC's INTR line may deliver ExtINT. */
        qemu_log_mask(LOG_GUEST_ERROR, "apic: ExtINT message ignored\n");
        return;
    default:
        qemu_log_mask(LOG_GUEST_ERROR,
                      "apic: reserved delivery mode %u ignored\n",
                      delivery_mode);
        return;
    }
}

void apic_deliver_irq(uint32_t dest, uint8_t dest_mode, uint8_t delivery_mode,
                      uint8_t vector, uint8_t trigger_mode)
{
    APICSet set;

    apic_set_init(&set);
    apic_find_dest(&set, dest, dest_mode, false);
    apic_bus_deliver(&set, delivery_mode, vector, trigger_mode);
    free(set.v);
}

void apic_send_msi(uint64_t addr, uint32_t data)
{
    uint32_t dest = (addr >> MSI_ADDR_DEST_ID_SHIFT) & 0xff;
    uint8_t dest_mode = (addr >> MSI_ADDR_DEST_MODE_SHIFT) & 1;
    bool redirect = (addr >> MSI_ADDR_REDIRECTION_SHIFT) & 1;
    uint8_t vector = data & MSI_DATA_VECTOR_MASK;
    uint8_t delivery = (data >> MSI_DATA_DELIVERY_MODE_SHIFT) & 7;
    uint8_t trigger = (data >> MSI_DATA_TRIGGER_SHIFT) & 1;

    if (kvm_irqchip_in_kernel()) {
        /* the local APICs are KVM's: let it deliver */
        kvm_send_msi(addr, data);
        return;
    }

    /* RH with logical destinations: one of them, by priority. */
    if (redirect && dest_mode == APIC_DESTMODE_LOGICAL &&
        delivery == APIC_DM_FIXED) {
        delivery = APIC_DM_LOWPRI;
    }
    apic_deliver_irq(dest, dest_mode, delivery, vector, trigger);
}

/* An IPI from s, as written to the ICR. */
static void apic_send_ipi(APICCommonState *s)
{
    uint32_t icr = s->icr[0];
    uint8_t vector = icr & 0xff;
    uint8_t delivery = (icr >> 8) & 7;
    uint8_t dest_mode = (icr >> 11) & 1;
    uint8_t trigger = (icr >> 15) & 1;
    bool assert_level = icr & APIC_ICR_LEVEL_ASSERT;
    int shorthand = (icr >> APIC_ICR_DEST_SHORTHAND_SHIFT) & 3;
    bool x2apic = apic_x2apic_mode(s);
    uint32_t dest = x2apic ? s->icr[1] : s->icr[1] >> 24;
    APICCommonState *d;
    APICSet set;

    /* INIT level de-assert: a no-op since the Pentium 4. */
    if (delivery == APIC_DM_INIT && trigger == APIC_TRIGGER_LEVEL &&
        !assert_level) {
        return;
    }
    if ((delivery == APIC_DM_FIXED || delivery == APIC_DM_LOWPRI) &&
        vector < 16) {
        apic_report_error(s, APIC_ESR_SEND_ILLEGAL_VECTOR);
        return;
    }
    apic_set_init(&set);
    switch (shorthand) {
    case APIC_ICR_SHORTHAND_NONE:
        apic_find_dest(&set, dest, dest_mode, x2apic);
        break;
    case APIC_ICR_SHORTHAND_SELF:
        apic_set_add(&set, s);
        break;
    case APIC_ICR_SHORTHAND_ALL:
    case APIC_ICR_SHORTHAND_OTHERS:
        APIC_FOREACH(d) {
            if (apic_hw_enabled(d) &&
                (d != s || shorthand == APIC_ICR_SHORTHAND_ALL)) {
                apic_set_add(&set, d);
            }
        }
        break;
    }
    apic_bus_deliver(&set, delivery, vector, trigger);
    free(set.v);
}

static void apic_eoi(APICCommonState *s)
{
    int isrv = apic_highest_bit(s->isr);

    if (isrv < 0) {
        return;
    }
    apic_reset_bit(s->isr, isrv);
    if (!(s->spurious_vec & APIC_SV_DIRECTED_IO) &&
        apic_get_bit(s->tmr, isrv)) {
        notifier_list_notify(&apic_bus.eoi_notifiers, &isrv);
    }
    apic_update_irq(s);
}

void apic_add_eoi_notifier(Notifier *notifier)
{
    notifier_list_add(&apic_bus.eoi_notifiers, notifier);
}

void apic_remove_eoi_notifier(Notifier *notifier)
{
    notifier_remove(notifier);
}

int apic_get_interrupt(DeviceState *dev)
{
    APICCommonState *s = APIC(dev);
    int intno;

    if (!apic_hw_enabled(s) || !apic_sw_enabled(s)) {
        return -1;
    }
    intno = apic_irq_pending(s);
    /* ExtINT from the 8259 ignores priorities: the caller asks the PIC. */
    if (intno == 0 || apic_check_pic(s)) {
        return -1;
    }
    if (intno < 0) {
        /* Withdrawn by a TPR raise after INTR was signalled. */
        return s->spurious_vec & 0xff;
    }
    apic_reset_bit(s->irr, intno);
    apic_set_bit(s->isr, intno);
    apic_update_irq(s);
    return intno;
}

/* ---- registers -------------------------------------------------------- */

/* Register write, shared by MMIO and x2APIC MSRs (index = offset >> 4). */
static void apic_register_write(APICCommonState *s, int index, uint64_t val)
{
    switch (index) {
    case 0x02:
        if (!apic_x2apic_mode(s)) {
            s->id = val >> 24;
        }
        break;
    case 0x03: /* version: read-only */
    case 0x09: /* APR */
    case 0x0a: /* PPR */
        break;
    case 0x08:
        s->tpr = val & 0xff;
        apic_update_irq(s);
        break;
    case 0x0b:
        apic_eoi(s);
        break;
    case 0x0d:
        if (!apic_x2apic_mode(s)) {
            s->log_dest = val >> 24;
        }
        break;
    case 0x0e:
        s->dest_mode = val >> 28;
        break;
    case 0x0f:
        s->spurious_vec = val & 0x11ff;
        if (!apic_sw_enabled(s)) {
            /* Software disable masks every LVT (SDM 10.4.7.2). */
            for (int i = 0; i < APIC_LVT_NB; i++) {
                s->lvt[i] |= APIC_LVT_MASKED;
            }
        }
        apic_update_irq(s);
        break;
    case 0x10 ... 0x27: /* ISR, TMR, IRR: read-only */
        break;
    case 0x28:
        s->esr = s->esr_pending;
        s->esr_pending = 0;
        break;
    case 0x30:
        s->icr[0] = val;
        if (apic_x2apic_mode(s)) {
            s->icr[1] = val >> 32;
        }
        apic_send_ipi(s);
        break;
    case 0x31:
        s->icr[1] = val;
        break;
    case 0x32 ... 0x37: {
        int n = index - 0x32;
        uint32_t old = s->lvt[n];

        if (!apic_sw_enabled(s)) {
            val |= APIC_LVT_MASKED;
        }
        s->lvt[n] = val;
        if (n == APIC_LVT_TIMER) {
            if ((old ^ s->lvt[n]) & APIC_LVT_TIMER_MODE_MASK) {
                /* A mode change stops the timer (SDM 10.5.4.1). */
                s->tsc_deadline = 0;
                s->initial_count = 0;
            }
            apic_timer_update(s, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
        } else if (n == APIC_LVT_LINT0 && s->extint_level &&
                   apic_accept_pic_intr(DEVICE(s))) {
            apic_update_irq(s);
        }
        break;
    }
    case 0x38:
        if (apic_timer_mode(s) == APIC_LVT_TIMER_TSCDEADLINE) {
            break;
        }
        s->initial_count = val;
        s->initial_count_load_time = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        apic_timer_update(s, s->initial_count_load_time);
        break;
    case 0x39:
        break;
    case 0x3e: {
        int v;

        s->divide_conf = val & 0xb;
        v = (s->divide_conf & 3) | ((s->divide_conf >> 1) & 4);
        s->count_shift = (v + 1) & 7;
        /* Keep the current count where it is. */
        if (s->initial_count) {
            int64_t now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
            s->initial_count_load_time = now;
            apic_timer_update(s, now);
        }
        break;
    }
    case 0x3f:
        /* x2APIC SELF IPI: fixed, edge. */
        apic_set_irq(s, val & 0xff, APIC_TRIGGER_EDGE);
        break;
    default:
        apic_report_error(s, APIC_ESR_ILLEGAL_ADDRESS);
        qemu_log_mask(LOG_GUEST_ERROR,
                      "apic: write to reserved register 0x%03x\n",
                      index << 4);
        break;
    }
}

static uint64_t apic_register_read(APICCommonState *s, int index)
{
    switch (index) {
    case 0x02:
        return apic_x2apic_mode(s) ? s->id : s->id << 24;
    case 0x03:
        /* Max LVT index (5) in bits 23:16. */
        return s->version | ((APIC_LVT_NB - 1) << 16);
    case 0x08:
        return s->tpr;
    case 0x09:
        return apic_get_arb_pri(s);
    case 0x0a:
        return apic_get_ppr(s);
    case 0x0b:
        return 0;
    case 0x0d:
        return apic_x2apic_mode(s) ? apic_x2apic_ldr(s) :
            (uint32_t)s->log_dest << 24;
    case 0x0e:
        return ((uint32_t)s->dest_mode << 28) | 0x0fffffff;
    case 0x0f:
        return s->spurious_vec;
    case 0x10 ... 0x17:
        return s->isr[index & 7];
    case 0x18 ... 0x1f:
        return s->tmr[index & 7];
    case 0x20 ... 0x27:
        return s->irr[index & 7];
    case 0x28:
        return s->esr;
    case 0x30:
        return apic_x2apic_mode(s) ?
            ((uint64_t)s->icr[1] << 32) | s->icr[0] : s->icr[0];
    case 0x31:
        return s->icr[1];
    case 0x32 ... 0x37:
        return s->lvt[index - 0x32];
    case 0x38:
        return s->initial_count;
    case 0x39:
        return apic_get_current_count(s);
    case 0x3e:
        return s->divide_conf;
    default:
        apic_report_error(s, APIC_ESR_ILLEGAL_ADDRESS);
        qemu_log_mask(LOG_GUEST_ERROR,
                      "apic: read of reserved register 0x%03x\n",
                      index << 4);
        return 0;
    }
}

uint32_t apic_mem_readl(DeviceState *dev, hwaddr offset)
{
    APICCommonState *s = APIC(dev);
    int index = (offset >> 4) & 0xff;

    if (index == 0x3f) {
        /* SELF IPI exists in x2APIC mode only. */
        apic_report_error(s, APIC_ESR_ILLEGAL_ADDRESS);
        return 0;
    }
    return apic_register_read(s, index);
}

void apic_mem_writel(DeviceState *dev, hwaddr offset, uint32_t val)
{
    APICCommonState *s = APIC(dev);
    int index = (offset >> 4) & 0xff;

    if (index == 0x3f) {
        apic_report_error(s, APIC_ESR_ILLEGAL_ADDRESS);
        return;
    }
    apic_register_write(s, index, val);
}

/* x2APIC MSR access rules (SDM table 10-6). */
typedef enum { X2_RW, X2_RO, X2_WO, X2_NONE } X2Access;

static X2Access x2apic_access(int index)
{
    switch (index) {
    case 0x02: case 0x03: case 0x09: case 0x0a: case 0x0d:
    case 0x10 ... 0x27:
    case 0x39:
        return X2_RO;
    case 0x0b: case 0x3f:
        return X2_WO;
    case 0x08: case 0x0f: case 0x28: case 0x30:
    case 0x32 ... 0x38: case 0x3e:
        return X2_RW;
    default: /* includes DFR (0x0e) and ICR high (0x31) */
        return X2_NONE;
    }
}

int apic_msr_read(DeviceState *dev, uint32_t index, uint64_t *val)
{
    APICCommonState *s = APIC(dev);
    int reg = index - MSR_X2APIC_BASE;
    X2Access a;

    if (!apic_x2apic_mode(s) || index < MSR_X2APIC_BASE ||
        index > MSR_X2APIC_LAST) {
        return -1;
    }
    a = x2apic_access(reg);
    if (a == X2_NONE || a == X2_WO) {
        return -1;
    }
    *val = apic_register_read(s, reg);
    return 0;
}

int apic_msr_write(DeviceState *dev, uint32_t index, uint64_t val)
{
    APICCommonState *s = APIC(dev);
    int reg = index - MSR_X2APIC_BASE;
    X2Access a;

    if (!apic_x2apic_mode(s) || index < MSR_X2APIC_BASE ||
        index > MSR_X2APIC_LAST) {
        return -1;
    }
    a = x2apic_access(reg);
    if (a == X2_NONE || a == X2_RO) {
        return -1;
    }
    /* Reserved bits: only ICR is 64 bits wide; EOI and ESR take 0. */
    if (reg != 0x30 && (val >> 32)) {
        return -1;
    }
    if ((reg == 0x0b || reg == 0x28) && val) {
        return -1;
    }
    if (reg == 0x3f && (val & ~0xffULL)) {
        return -1;
    }
    apic_register_write(s, reg, val);
    return 0;
}

/* ---- IA32_APIC_BASE ---------------------------------------------------- */

static void apic_update_relocation(APICCommonState *s);

DeviceState *cpu_get_apic(CPUState *cpu)
{
    APICCommonState *s;

    APIC_FOREACH(s) {
        if (s->cpu == cpu) {
            return DEVICE(s);
        }
    }
    return NULL;
}

uint64_t cpu_get_apic_base(DeviceState *dev)
{
    return APIC(dev)->apicbase;
}

bool cpu_is_apic_enabled(DeviceState *dev)
{
    return apic_hw_enabled(APIC(dev));
}

bool apic_is_x2apic(DeviceState *dev)
{
    return apic_x2apic_mode(APIC(dev));
}

int cpu_set_apic_base(DeviceState *dev, uint64_t val)
{
    APICCommonState *s = APIC(dev);
    bool en = val & MSR_IA32_APICBASE_ENABLE;
    bool extd = val & MSR_IA32_APICBASE_EXTD;
    bool was_x2apic = apic_x2apic_mode(s);

    if (val & ~(MSR_IA32_APICBASE_BASE | MSR_IA32_APICBASE_BSP |
                MSR_IA32_APICBASE_EXTD | MSR_IA32_APICBASE_ENABLE)) {
        return -1;
    }
    /* SDM 10.12.5: invalid state, x2APIC -> xAPIC, disabled -> x2APIC. */
    if (extd && !en) {
        return -1;
    }
    if (was_x2apic && en && !extd) {
        return -1;
    }
    if (!apic_hw_enabled(s) && extd) {
        return -1;
    }
    /* BSP is read-only: it says which CPU came out of reset first. */
    s->apicbase = (val & ~MSR_IA32_APICBASE_BSP) |
        (s->apicbase & MSR_IA32_APICBASE_BSP);
    if (!en) {
        /* Global disable: the APIC comes back as after INIT. */
        s->spurious_vec &= ~APIC_SV_ENABLE;
        for (int i = 0; i < APIC_LVT_NB; i++) {
            s->lvt[i] |= APIC_LVT_MASKED;
        }
        memset(s->irr, 0, sizeof(s->irr));
        memset(s->isr, 0, sizeof(s->isr));
        timer_del(s->timer);
        s->id = s->initial_apic_id;
    }
    if (extd && !was_x2apic) {
        /* The x2APIC ID is the initial APIC ID; LDR is derived from it. */
        s->id = s->initial_apic_id;
    }
    apic_update_relocation(s);
    apic_update_irq(s);
    return 0;
}

/* ---- memory ----------------------------------------------------------- */

/* The APIC of the accessing vCPU when its page is at addr, else NULL. */
static APICCommonState *apic_for_access(hwaddr addr)
{
    DeviceState *dev;
    APICCommonState *s;

    if (!current_cpu) {
        return NULL;
    }
    dev = cpu_get_apic(current_cpu);
    if (!dev) {
        return NULL;
    }
    s = APIC(dev);
    if (!apic_hw_enabled(s) || apic_x2apic_mode(s) ||
        (s->apicbase & MSR_IA32_APICBASE_BASE) != (addr & ~0xfffULL)) {
        return NULL;
    }
    return s;
}

static uint64_t apic_msi_read(void *opaque, hwaddr addr, unsigned size)
{
    APICCommonState *s = apic_for_access(APIC_DEFAULT_ADDRESS + addr);

    if (!s || addr > 0xfff) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "apic: read at 0x%" PRIx64 " outside an APIC page\n",
                      (uint64_t)(APIC_DEFAULT_ADDRESS + addr));
        return 0;
    }
    return apic_mem_readl(DEVICE(s), addr);
}

static void apic_msi_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    APICCommonState *s = apic_for_access(APIC_DEFAULT_ADDRESS + addr);

    /*
     * MSI and the xAPIC page share addresses, but MSI travels on the PCI
     * bus and the page is private to each CPU: a vCPU writing its own page
     * reaches its registers, everything else is an interrupt message.
     */
    if (s && addr <= 0xfff) {
        apic_mem_writel(DEVICE(s), addr, val);
        return;
    }
    apic_send_msi(APIC_DEFAULT_ADDRESS + addr, val);
}

static const MemoryRegionOps apic_msi_ops = {
    .read = apic_msi_read,
    .write = apic_msi_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static uint64_t apic_relocated_read(void *opaque, hwaddr addr, unsigned size)
{
    APICCommonState *self = opaque;
    APICCommonState *s = apic_for_access(
        (self->apicbase & MSR_IA32_APICBASE_BASE) + addr);

    if (!s) {
        return 0;
    }
    return apic_mem_readl(DEVICE(s), addr);
}

static void apic_relocated_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    APICCommonState *self = opaque;
    APICCommonState *s = apic_for_access(
        (self->apicbase & MSR_IA32_APICBASE_BASE) + addr);

    if (s) {
        apic_mem_writel(DEVICE(s), addr, val);
    }
}

static const MemoryRegionOps apic_relocated_ops = {
    .read = apic_relocated_read,
    .write = apic_relocated_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static void apic_update_relocation(APICCommonState *s)
{
    hwaddr base = s->apicbase & MSR_IA32_APICBASE_BASE;
    bool want = apic_hw_enabled(s) && !apic_x2apic_mode(s) &&
        base != APIC_DEFAULT_ADDRESS && s->parent_obj.realized;

    if (s->relocated_mapped) {
        memory_region_del_subregion(get_system_memory(), &s->relocated_mmio);
        s->relocated_mapped = false;
    }
    if (want) {
        memory_region_add_subregion_overlap(get_system_memory(), base,
                                            &s->relocated_mmio, 0x1000);
        s->relocated_mapped = true;
    }
}

MemoryRegion *apic_msi_region(void)
{
    if (!apic_bus.msi_ready) {
        memory_region_init_io(&apic_bus.msi, NULL, &apic_msi_ops, NULL,
                              "apic-msi", APIC_SPACE_SIZE);
        memory_region_add_subregion_overlap(get_system_memory(),
                                            APIC_DEFAULT_ADDRESS,
                                            &apic_bus.msi, 0x1000);
        apic_bus.msi_ready = true;
    }
    return &apic_bus.msi;
}

/* ---- device ------------------------------------------------------------- */

void apic_init_reset(DeviceState *dev)
{
    APICCommonState *s = APIC(dev);

    s->tpr = 0;
    s->spurious_vec = 0xff;
    s->log_dest = 0;
    s->dest_mode = 0xf;
    memset(s->isr, 0, sizeof(s->isr));
    memset(s->tmr, 0, sizeof(s->tmr));
    memset(s->irr, 0, sizeof(s->irr));
    for (int i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] = APIC_LVT_MASKED;
    }
    s->esr = s->esr_pending = 0;
    s->icr[0] = s->icr[1] = 0;
    s->divide_conf = 0;
    s->count_shift = 1;
    s->initial_count = 0;
    s->initial_count_load_time = 0;
    s->next_time = 0;
    s->tsc_deadline = 0;
    s->sipi_vector = 0;
    /* After INIT the BSP restarts at the reset vector; APs wait. */
    s->wait_for_sipi = !(s->apicbase & MSR_IA32_APICBASE_BSP);
    if (s->timer) {
        timer_del(s->timer);
    }
}

bool apic_wait_for_sipi(DeviceState *dev)
{
    return APIC(dev)->wait_for_sipi;
}

int apic_sipi_vector(DeviceState *dev)
{
    return APIC(dev)->sipi_vector;
}

void apic_sipi(DeviceState *dev)
{
    APICCommonState *s = APIC(dev);

    if (s->cpu) {
        cpu_reset_interrupt(s->cpu, CPU_INTERRUPT_SIPI);
    }
    s->wait_for_sipi = false;
}

static void apic_reset_enter(Object *obj, ResetType type)
{
    APICCommonState *s = APIC(obj);
    bool bsp = s->cpu && s->cpu->cpu_index == 0;

    s->apicbase = APIC_DEFAULT_ADDRESS | MSR_IA32_APICBASE_ENABLE |
        (bsp ? MSR_IA32_APICBASE_BSP : 0);
    s->id = s->initial_apic_id;
    s->extint_level = false;
    s->tsc_offset = 0;
    apic_init_reset(DEVICE(s));
    /* LINT0 is ExtINT after reset until the OS programs it (virtual wire
     * mode is the firmware's job), as QEMU does for the BSP. */
    if (bsp) {
        s->lvt[APIC_LVT_LINT0] = APIC_DM_EXTINT << 8;
    }
}

static void apic_reset_hold(Object *obj, ResetType type)
{
    APICCommonState *s = APIC(obj);

    if (s->parent_obj.realized) {
        apic_update_relocation(s);
    }
    if (s->cpu) {
        cpu_reset_interrupt(s->cpu, CPU_INTERRUPT_HARD | CPU_INTERRUPT_SIPI);
    }
}

/* ---- the in-kernel LAPIC (KVM) ------------------------------------------ */

static void kvm_lapic_set_reg(struct kvm_lapic_state *k, int off, uint32_t v)
{
    memcpy(k->regs + off, &v, 4);
}

static uint32_t kvm_lapic_get_reg(const struct kvm_lapic_state *k, int off)
{
    uint32_t v;

    memcpy(&v, k->regs + off, 4);
    return v;
}

/*
 * KVM's LAPIC state is the xAPIC register page (QEMU's
 * kvm_put_apic_state).  Without KVM_CAP_X2APIC_API, which we do not
 * enable, the ID register holds the id in bits 31:24 in x2APIC mode too
 * (KVM then takes the x2APIC id and LDR from the vCPU id).  The timer
 * keeps running in KVM: it gets the current count at now (virtual ns)
 * and counts on from there.
 */
void apic_state_to_kvm(const APICCommonState *s, struct kvm_lapic_state *k,
                       int64_t now)
{
    memset(k, 0, sizeof(*k));
    kvm_lapic_set_reg(k, APIC_REG_ID, s->id << 24);
    kvm_lapic_set_reg(k, APIC_REG_VERSION,
                      s->version | ((APIC_LVT_NB - 1) << 16));
    kvm_lapic_set_reg(k, APIC_REG_TPR, s->tpr);
    kvm_lapic_set_reg(k, APIC_REG_LDR, (uint32_t)s->log_dest << 24);
    kvm_lapic_set_reg(k, APIC_REG_DFR, (uint32_t)s->dest_mode << 28 |
                      0x0fffffff);
    kvm_lapic_set_reg(k, APIC_REG_SVR, s->spurious_vec);
    for (int i = 0; i < 8; i++) {
        kvm_lapic_set_reg(k, APIC_REG_ISR + 0x10 * i, s->isr[i]);
        kvm_lapic_set_reg(k, APIC_REG_TMR + 0x10 * i, s->tmr[i]);
        kvm_lapic_set_reg(k, APIC_REG_IRR + 0x10 * i, s->irr[i]);
    }
    kvm_lapic_set_reg(k, APIC_REG_ESR, s->esr);
    kvm_lapic_set_reg(k, APIC_REG_ICR_LOW, s->icr[0]);
    kvm_lapic_set_reg(k, APIC_REG_ICR_HIGH, s->icr[1]);
    for (int i = 0; i < APIC_LVT_NB; i++) {
        kvm_lapic_set_reg(k, APIC_REG_LVT_TIMER + 0x10 * i, s->lvt[i]);
    }
    kvm_lapic_set_reg(k, APIC_REG_TIMER_INITIAL, s->initial_count);
    kvm_lapic_set_reg(k, APIC_REG_TIMER_CURRENT,
                      apic_current_count_at(s, now));
    kvm_lapic_set_reg(k, APIC_REG_TIMER_DIVIDE, s->divide_conf);
}

/*
 * The reverse (QEMU's kvm_get_apic_state), except that the timer keeps
 * its phase: the load time is put back from KVM's current count at now,
 * and next_time follows.  The timer itself is not armed (see pre_save).
 * Fields KVM does not have (apicbase, which the CPU's APIC_BASE MSR
 * holds; esr_pending, extint_level, SIPI, TSC deadline) stay as they are.
 */
void apic_state_from_kvm(APICCommonState *s, const struct kvm_lapic_state *k,
                         int64_t now)
{
    uint32_t cur;
    int v;

    s->id = kvm_lapic_get_reg(k, APIC_REG_ID) >> 24;
    s->tpr = kvm_lapic_get_reg(k, APIC_REG_TPR);
    s->log_dest = kvm_lapic_get_reg(k, APIC_REG_LDR) >> 24;
    s->dest_mode = kvm_lapic_get_reg(k, APIC_REG_DFR) >> 28;
    s->spurious_vec = kvm_lapic_get_reg(k, APIC_REG_SVR);
    for (int i = 0; i < 8; i++) {
        s->isr[i] = kvm_lapic_get_reg(k, APIC_REG_ISR + 0x10 * i);
        s->tmr[i] = kvm_lapic_get_reg(k, APIC_REG_TMR + 0x10 * i);
        s->irr[i] = kvm_lapic_get_reg(k, APIC_REG_IRR + 0x10 * i);
    }
    s->esr = kvm_lapic_get_reg(k, APIC_REG_ESR);
    s->icr[0] = kvm_lapic_get_reg(k, APIC_REG_ICR_LOW);
    s->icr[1] = kvm_lapic_get_reg(k, APIC_REG_ICR_HIGH);
    for (int i = 0; i < APIC_LVT_NB; i++) {
        s->lvt[i] = kvm_lapic_get_reg(k, APIC_REG_LVT_TIMER + 0x10 * i);
    }
    s->initial_count = kvm_lapic_get_reg(k, APIC_REG_TIMER_INITIAL);
    s->divide_conf = kvm_lapic_get_reg(k, APIC_REG_TIMER_DIVIDE) & 0xb;
    v = (s->divide_conf & 3) | ((s->divide_conf >> 1) & 4);
    s->count_shift = (v + 1) & 7;

    cur = kvm_lapic_get_reg(k, APIC_REG_TIMER_CURRENT);
    if (apic_timer_mode(s) == APIC_LVT_TIMER_TSCDEADLINE ||
        !s->initial_count) {
        s->initial_count_load_time = now;
        return;
    }
    if (cur > s->initial_count) {
        cur = s->initial_count;
    }
    /* One-shot and expired: cur is 0, the whole count has elapsed. */
    s->initial_count_load_time =
        now - (int64_t)((uint64_t)(s->initial_count - cur) << s->count_shift);
    apic_next_timer(s, now);
}

static int apic_pre_save(void *opaque)
{
    APICCommonState *s = opaque;
    struct kvm_lapic_state k;
    uint64_t deadline, tsc;
    int64_t now;
    int r;

    if (!kvm_irqchip_in_kernel() || !s->cpu) {
        return 0;
    }
    r = kvm_lapic_get(s->cpu, &k);
    if (r < 0) {
        error_report("apic %u: KVM_GET_LAPIC: %s", s->initial_apic_id,
                     strerror(-r));
        return r;
    }
    now = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    apic_state_from_kvm(s, &k, now);
    s->apicbase = kvm_apic_base(s->cpu);
    /* The deadline on our TSC, which now reads what KVM's does. */
    if (kvm_get_tsc_deadline(s->cpu, &deadline, &tsc) == 0) {
        apic_set_tsc(DEVICE(s), tsc);
        s->tsc_deadline = deadline;
    }
    /*
     * The model's timer stands for KVM's in the stream ("timer_expiry"):
     * armed here and stopped again by post_save, before the main loop
     * could run it.
     */
    apic_timer_update(s, now);
    return 0;
}

static int apic_post_save(void *opaque)
{
    APICCommonState *s = opaque;

    if (kvm_irqchip_in_kernel()) {
        timer_del(s->timer);
    }
    return 0;
}

bool apic_kvm_take_loaded_state(DeviceState *dev, struct kvm_lapic_state *k)
{
    APICCommonState *s = APIC(dev);

    if (!s->kvm_state_loaded) {
        return false;
    }
    s->kvm_state_loaded = false;
    apic_state_to_kvm(s, k, qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
    return true;
}

/* ---- VMState ------------------------------------------------------------ */

static bool apic_state_valid(void *opaque, int version_id)
{
    APICCommonState *s = opaque;

    return s->count_shift >= 0 && s->count_shift <= 7 &&
           s->sipi_vector >= 0 && s->sipi_vector <= 0xff;
}

/*
 * Loaded registers decide the rest: where the page is mapped, whether the
 * CPU has an interrupt to take (the timer re-armed itself on load).
 */
static int apic_post_load(void *opaque, int version_id)
{
    APICCommonState *s = opaque;

    /* Checked here: sipi_vector comes in a subsection, after the fields. */
    if (!apic_state_valid(s, version_id)) {
        error_report("apic: count_shift %d or sipi_vector %d out of range",
                     s->count_shift, s->sipi_vector);
        return -EINVAL;
    }
    apic_update_relocation(s);
    if (kvm_irqchip_in_kernel()) {
        /*
         * KVM's LAPIC gets this state when the vCPU's registers are put
         * (kvm_arch_put_registers), after its APIC base: KVM_SET_LAPIC
         * before it would be undone by an APIC base change.
         */
        timer_del(s->timer);
        s->kvm_state_loaded = true;
        return 0;
    }
    /* A SIPI not yet taken is in the CPU's interrupt_request ("cpu"). */
    apic_update_irq(s);
    return 0;
}

/* QEMU's "apic_sipi" subsection. */
static const VMStateDescription vmstate_apic_sipi = {
    .name = "apic/sipi",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_INT32(sipi_vector, APICCommonState),
        VMSTATE_BOOL(wait_for_sipi, APICCommonState),
        VMSTATE_END_OF_LIST()
    },
};

/* TSC-deadline register and the TSC (offset from the virtual clock). */
static const VMStateDescription vmstate_apic_tsc = {
    .name = "apic/tsc",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(tsc_deadline, APICCommonState),
        VMSTATE_INT64(tsc_offset, APICCommonState),
        VMSTATE_END_OF_LIST()
    },
};

/* Errors not yet latched into ESR, and the PIC's INTR level on LINT0. */
static const VMStateDescription vmstate_apic_pending = {
    .name = "apic/pending",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(esr_pending, APICCommonState),
        VMSTATE_BOOL(extint_level, APICCommonState),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * QEMU's hw/intc/apic_common.c "apic", one instance per CPU with the
 * initial APIC id as instance id (as QEMU registers it).  The timer is
 * in the stream as its expiry, "timer_expiry" (-1: not armed).
 */
const VMStateDescription vmstate_apic_common = {
    .name = "apic",
    .version_id = 3,
    .minimum_version_id = 3,
    .pre_save = apic_pre_save,
    .post_save = apic_post_save,
    .post_load = apic_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(apicbase, APICCommonState),
        VMSTATE_UINT32(id, APICCommonState),
        VMSTATE_UNUSED(1),                      /* QEMU's arb_id */
        VMSTATE_UINT8(tpr, APICCommonState),
        VMSTATE_UINT32(spurious_vec, APICCommonState),
        VMSTATE_UINT8(log_dest, APICCommonState),
        VMSTATE_UINT8(dest_mode, APICCommonState),
        VMSTATE_UINT32_ARRAY(isr, APICCommonState, 8),
        VMSTATE_UINT32_ARRAY(tmr, APICCommonState, 8),
        VMSTATE_UINT32_ARRAY(irr, APICCommonState, 8),
        VMSTATE_UINT32_ARRAY(lvt, APICCommonState, APIC_LVT_NB),
        VMSTATE_UINT32(esr, APICCommonState),
        VMSTATE_UINT32_ARRAY(icr, APICCommonState, 2),
        VMSTATE_UINT32(divide_conf, APICCommonState),
        VMSTATE_INT32(count_shift, APICCommonState),
        VMSTATE_UINT32(initial_count, APICCommonState),
        VMSTATE_INT64(initial_count_load_time, APICCommonState),
        VMSTATE_INT64(next_time, APICCommonState),
        {
            .name = "timer_expiry",
            .size = sizeof(QEMUTimer *),
            .info = &vmstate_info_timer,
            .flags = VMS_SINGLE | VMS_POINTER,
            .offset = vmstate_offset_value(APICCommonState, timer,
                                           QEMUTimer *),
        },
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_apic_sipi,
        &vmstate_apic_tsc,
        &vmstate_apic_pending,
        NULL
    },
};

static void apic_realize(DeviceState *dev, Error **errp)
{
    APICCommonState *s = APIC(dev);
    APICCommonState *other;

    if (!s->tsc_frequency) {
        error_setg(errp, "apic: tsc-frequency must not be 0");
        return;
    }
    if (s->cpu && cpu_get_apic(s->cpu)) {
        error_setg(errp, "apic: CPU %d already has an APIC",
                   s->cpu->cpu_index);
        return;
    }
    APIC_FOREACH(other) {
        if (other->initial_apic_id == s->initial_apic_id) {
            error_setg(errp, "apic: APIC id %u is already in use",
                       s->initial_apic_id);
            return;
        }
    }
    apic_msi_region();
    s->timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, apic_timer, s);
    memory_region_init_io(&s->relocated_mmio, OBJECT(s), &apic_relocated_ops,
                          s, "apic-mmio", 0x1000);
    QTAILQ_INSERT_TAIL(&apic_bus.apics, s, link);
    vmstate_register(OBJECT(s), s->initial_apic_id, &vmstate_apic_common, s);
}

static void apic_unrealize(DeviceState *dev)
{
    APICCommonState *s = APIC(dev);

    vmstate_unregister(OBJECT(s), &vmstate_apic_common, s);
    QTAILQ_REMOVE(&apic_bus.apics, s, link);
    if (s->relocated_mapped) {
        memory_region_del_subregion(get_system_memory(), &s->relocated_mmio);
        s->relocated_mapped = false;
    }
    memory_region_finalize(&s->relocated_mmio);
    timer_free(s->timer);
    s->timer = NULL;
}

static void apic_instance_init(Object *obj)
{
    APICCommonState *s = APIC(obj);

    object_property_add_link(obj, "cpu", TYPE_CPU, (Object **)&s->cpu,
                             object_property_allow_set_link, 0);
}

static const Property apic_properties[] = {
    DEFINE_PROP_UINT32("id", APICCommonState, initial_apic_id, 0),
    DEFINE_PROP_UINT8("version", APICCommonState, version, 0x14),
    DEFINE_PROP_UINT64("tsc-frequency", APICCommonState, tsc_frequency,
                       APIC_DEFAULT_TSC_FREQ_HZ),
    DEFINE_PROP_END_OF_LIST(),
};

static void apic_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = apic_realize;
    dc->unrealize = apic_unrealize;
    dc->desc = "local APIC";
    dc->user_creatable = false;
    device_class_set_props(dc, apic_properties);
    rc->phases.enter = apic_reset_enter;
    rc->phases.hold = apic_reset_hold;
}

static const TypeInfo apic_type_info = {
    .name = TYPE_APIC,
    .parent = TYPE_DEVICE,
    .instance_size = sizeof(APICCommonState),
    .instance_init = apic_instance_init,
    .class_init = apic_class_init,
};

static void apic_register_types(void)
{
    type_register_static(&apic_type_info);
}

type_init(apic_register_types)
