/*
 * ACPI PM block (see include/hw/acpi/pm.h), after QEMU's hw/acpi/core.c.
 */
#include "util/osdep.h"
#include "hw/acpi/pm.h"
#include "migration/vmstate.h"
#include "hw/i386/acpi-build.h"
#include "hw/qdev-properties.h"
#include "system/runstate.h"
#include "util/log.h"

/* PM1 events that can raise the SCI. */
#define ACPI_PM1_SCI_EVENTS (ACPI_BITMASK_TIMER_STATUS |                 \
                             ACPI_BITMASK_GLOBAL_LOCK_STATUS |           \
                             ACPI_BITMASK_POWER_BUTTON_STATUS |          \
                             ACPI_BITMASK_SLEEP_BUTTON_STATUS |          \
                             ACPI_BITMASK_RT_CLOCK_STATUS)

/* The TMR_STS period: bit 23 of the counter toggles. */
#define ACPI_PM_TMR_OVERFLOW_TICKS (1ULL << 23)

static uint64_t ns_to_ticks(int64_t ns)
{
    return (unsigned __int128)ns * ACPI_PM_TIMER_FREQUENCY /
        NANOSECONDS_PER_SECOND;
}

static int64_t ticks_to_ns(uint64_t ticks)
{
    /* Round up: the tick must have happened by the returned time. */
    return ((unsigned __int128)ticks * NANOSECONDS_PER_SECOND +
            ACPI_PM_TIMER_FREQUENCY - 1) / ACPI_PM_TIMER_FREQUENCY;
}

uint32_t acpi_pm_tmr_get(ACPIPMState *s)
{
    return ns_to_ticks(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL)) &
        ACPI_PM_TIMER_MASK;
}

static void acpi_pm_update_sci(ACPIPMState *s)
{
    bool level = (s->pm1_sts & s->pm1_en & ACPI_PM1_SCI_EVENTS) ||
        (s->gpe_sts[0] & s->gpe_en[0]) || (s->gpe_sts[1] & s->gpe_en[1]);

    qemu_set_irq(s->sci, level);
}

/* Arm the timer for the next TMR_STS while the guest wants it. */
static void acpi_pm_tmr_update(ACPIPMState *s)
{
    uint64_t now, next;

    if (!(s->pm1_en & ACPI_BITMASK_TIMER_ENABLE)) {
        timer_del(s->tmr_timer);
        return;
    }
    now = ns_to_ticks(qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL));
    next = (now / ACPI_PM_TMR_OVERFLOW_TICKS + 1) * ACPI_PM_TMR_OVERFLOW_TICKS;
    timer_mod_ns(s->tmr_timer, ticks_to_ns(next));
}

static void acpi_pm_tmr_timer(void *opaque)
{
    ACPIPMState *s = opaque;

    s->pm1_sts |= ACPI_BITMASK_TIMER_STATUS;
    acpi_pm_update_sci(s);
    acpi_pm_tmr_update(s);
}

void acpi_pm_powerdown_req(ACPIPMState *s)
{
    s->pm1_sts |= ACPI_BITMASK_POWER_BUTTON_STATUS;
    acpi_pm_update_sci(s);
}

static void acpi_pm_powerdown_notify(Notifier *n, void *data)
{
    acpi_pm_powerdown_req(container_of(n, ACPIPMState, powerdown_notifier));
}

void acpi_pm_send_gpe(ACPIPMState *s, unsigned n)
{
    if (n >= 16) {
        return;
    }
    s->gpe_sts[n / 8] |= 1 << (n % 8);
    acpi_pm_update_sci(s);
}

/* ---- PM1 event block: STS at +0, EN at +2 -------------------------- */

static uint64_t acpi_pm_evt_read(void *opaque, hwaddr addr, unsigned size)
{
    ACPIPMState *s = opaque;

    return addr == 0 ? s->pm1_sts : s->pm1_en;
}

static void acpi_pm_evt_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    ACPIPMState *s = opaque;

    if (addr == 0) {
        /*
         * Write 1 to clear.  TMR_STS is set again at once if the timer
         * overflowed meanwhile, as QEMU does (the overflow is not lost).
         */
        s->pm1_sts &= ~val;
    } else {
        s->pm1_en = val;
        acpi_pm_tmr_update(s);
    }
    acpi_pm_update_sci(s);
}

static const MemoryRegionOps acpi_pm_evt_ops = {
    .read = acpi_pm_evt_read,
    .write = acpi_pm_evt_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 2, .max_access_size = 2 },
};

/* ---- PM1 control ------------------------------------------------------- */

static uint64_t acpi_pm_cnt_read(void *opaque, hwaddr addr, unsigned size)
{
    ACPIPMState *s = opaque;

    return s->pm1_cnt;
}

static void acpi_pm_cnt_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    ACPIPMState *s = opaque;
    unsigned slp_typ;

    /* SLP_EN is write-only: it starts the transition, never reads back. */
    s->pm1_cnt = val & ~ACPI_BITMASK_SLEEP_ENABLE;
    if (!(val & ACPI_BITMASK_SLEEP_ENABLE)) {
        return;
    }
    slp_typ = (val & ACPI_BITMASK_SLEEP_TYPE) >> 10;
    if (slp_typ == 0) {
        /* _S5: soft off. */
        qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
        return;
    }
    qemu_log_mask(LOG_GUEST_ERROR | LOG_UNIMP,
                  "acpi-pm: sleep type %u is not in the DSDT; ignored\n",
                  slp_typ);
}

static const MemoryRegionOps acpi_pm_cnt_ops = {
    .read = acpi_pm_cnt_read,
    .write = acpi_pm_cnt_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 2 },
    .impl = { .min_access_size = 2, .max_access_size = 2 },
};

/* ---- PM timer ----------------------------------------------------------- */

static uint64_t acpi_pm_tmr_read(void *opaque, hwaddr addr, unsigned size)
{
    return acpi_pm_tmr_get(opaque);
}

static void acpi_pm_tmr_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "acpi-pm: PM timer is read-only\n");
}

static const MemoryRegionOps acpi_pm_tmr_ops = {
    .read = acpi_pm_tmr_read,
    .write = acpi_pm_tmr_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 4 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

/* ---- GPE0: STS bytes at +0, EN bytes at +2 ----------------------------- */

static uint64_t acpi_pm_gpe_read(void *opaque, hwaddr addr, unsigned size)
{
    ACPIPMState *s = opaque;

    return addr < 2 ? s->gpe_sts[addr] : s->gpe_en[addr - 2];
}

static void acpi_pm_gpe_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    ACPIPMState *s = opaque;

    if (addr < 2) {
        s->gpe_sts[addr] &= ~val;
    } else {
        s->gpe_en[addr - 2] = val;
    }
    acpi_pm_update_sci(s);
}

static const MemoryRegionOps acpi_pm_gpe_ops = {
    .read = acpi_pm_gpe_read,
    .write = acpi_pm_gpe_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* ---- device ------------------------------------------------------------- */

static void acpi_pm_reset_enter(Object *obj, ResetType type)
{
    ACPIPMState *s = ACPI_PM(obj);

    s->pm1_sts = 0;
    s->pm1_en = 0;
    /* No SMI_CMD port: ACPI mode is always on (see acpi-build.h). */
    s->pm1_cnt = ACPI_BITMASK_SCI_ENABLE;
    memset(s->gpe_sts, 0, sizeof(s->gpe_sts));
    memset(s->gpe_en, 0, sizeof(s->gpe_en));
    if (s->tmr_timer) {
        timer_del(s->tmr_timer);
    }
}

static void acpi_pm_reset_hold(Object *obj, ResetType type)
{
    qemu_irq_lower(ACPI_PM(obj)->sci);
}

static void acpi_pm_init(Object *obj)
{
    ACPIPMState *s = ACPI_PM(obj);

    sysbus_init_irq(SYS_BUS_DEVICE(obj), &s->sci);
    memory_region_init(&s->io, obj, "acpi-pm", PC_ACPI_PM_IO_LEN);
    memory_region_init_io(&s->evt, obj, &acpi_pm_evt_ops, s, "acpi-evt",
                          PC_ACPI_PM1_EVT_LEN);
    memory_region_init_io(&s->cnt, obj, &acpi_pm_cnt_ops, s, "acpi-cnt",
                          PC_ACPI_PM1_CNT_LEN);
    memory_region_init_io(&s->tmr, obj, &acpi_pm_tmr_ops, s, "acpi-tmr",
                          PC_ACPI_PM_TMR_LEN);
    memory_region_init_io(&s->gpe, obj, &acpi_pm_gpe_ops, s, "acpi-gpe0",
                          PC_ACPI_GPE0_LEN);
    memory_region_add_subregion(&s->io, PC_ACPI_PM1_EVT_OFFSET, &s->evt);
    memory_region_add_subregion(&s->io, PC_ACPI_PM1_CNT_OFFSET, &s->cnt);
    memory_region_add_subregion(&s->io, PC_ACPI_PM_TMR_OFFSET, &s->tmr);
    memory_region_add_subregion(&s->io, PC_ACPI_GPE0_OFFSET, &s->gpe);
    s->powerdown_notifier.notify = acpi_pm_powerdown_notify;
}

static void acpi_pm_finalize(Object *obj)
{
    ACPIPMState *s = ACPI_PM(obj);

    memory_region_del_subregion(&s->io, &s->evt);
    memory_region_del_subregion(&s->io, &s->cnt);
    memory_region_del_subregion(&s->io, &s->tmr);
    memory_region_del_subregion(&s->io, &s->gpe);
    memory_region_finalize(&s->evt);
    memory_region_finalize(&s->cnt);
    memory_region_finalize(&s->tmr);
    memory_region_finalize(&s->gpe);
    memory_region_finalize(&s->io);
}

static void acpi_pm_realize(DeviceState *dev, Error **errp)
{
    ACPIPMState *s = ACPI_PM(dev);

    if (s->io_base > 0x10000 - PC_ACPI_PM_IO_LEN ||
        s->io_base % PC_ACPI_PM_IO_LEN) {
        error_setg(errp, "acpi-pm: io-base 0x%x must be a multiple of 0x%x "
                   "below 0x10000", s->io_base, PC_ACPI_PM_IO_LEN);
        return;
    }
    s->tmr_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, acpi_pm_tmr_timer, s);
    memory_region_add_subregion(get_system_io(), s->io_base, &s->io);
    s->mapped = true;
    qemu_register_powerdown_notifier(&s->powerdown_notifier);
}

static void acpi_pm_unrealize(DeviceState *dev)
{
    ACPIPMState *s = ACPI_PM(dev);

    notifier_remove(&s->powerdown_notifier);
    if (s->mapped) {
        memory_region_del_subregion(get_system_io(), &s->io);
        s->mapped = false;
    }
    timer_free(s->tmr_timer);
    s->tmr_timer = NULL;
}

static int acpi_pm_post_load(void *opaque, int version_id)
{
    acpi_pm_update_sci(opaque);
    return 0;
}

/*
 * The PM1/timer/GPE0 part of QEMU's hw/acpi/piix4.c "piix4_pm" (ours is
 * not a PCI function yet, so the name is the device's).  The PM timer
 * counts virtual time and needs nothing; its overflow timer is saved.
 */
static const VMStateDescription vmstate_acpi_pm = {
    .name = "acpi-pm",
    .version_id = 1,
    .minimum_version_id = 1,
    .post_load = acpi_pm_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16_NAMED("ar.pm1.evt.sts", pm1_sts, ACPIPMState),
        VMSTATE_UINT16_NAMED("ar.pm1.evt.en", pm1_en, ACPIPMState),
        VMSTATE_UINT16_NAMED("ar.pm1.cnt.cnt", pm1_cnt, ACPIPMState),
        VMSTATE_TIMER_PTR(tmr_timer, ACPIPMState),
        VMSTATE_UINT8_ARRAY(gpe_sts, ACPIPMState, 2),
        VMSTATE_UINT8_ARRAY(gpe_en, ACPIPMState, 2),
        VMSTATE_END_OF_LIST()
    },
};

static const Property acpi_pm_properties[] = {
    DEFINE_PROP_UINT32("io-base", ACPIPMState, io_base, 0x600),
    DEFINE_PROP_END_OF_LIST(),
};

static void acpi_pm_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = acpi_pm_realize;
    dc->unrealize = acpi_pm_unrealize;
    dc->desc = "ACPI PM1, PM timer and GPE0 block";
    dc->vmsd = &vmstate_acpi_pm;
    dc->user_creatable = false;
    device_class_set_props(dc, acpi_pm_properties);
    rc->phases.enter = acpi_pm_reset_enter;
    rc->phases.hold = acpi_pm_reset_hold;
}

static const TypeInfo acpi_pm_info = {
    .name = TYPE_ACPI_PM,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(ACPIPMState),
    .instance_init = acpi_pm_init,
    .instance_finalize = acpi_pm_finalize,
    .class_init = acpi_pm_class_init,
};

static void acpi_pm_register_types(void)
{
    type_register_static(&acpi_pm_info);
}

type_init(acpi_pm_register_types)
