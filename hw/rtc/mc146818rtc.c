/*
 * MC146818 RTC and CMOS RAM (see include/hw/rtc/mc146818rtc.h).
 *
 * Guest time is base_ns at virtual time ref_ns, advancing with the
 * virtual clock while the clock runs (divider in normal operation and SET
 * clear) and frozen otherwise.  The time registers are derived from it
 * when read, so nothing ticks every second except the update timer that
 * raises UF/AF.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/rtc/mc146818rtc.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"

#include <time.h>

#define NS_PER_SEC NANOSECONDS_PER_SECOND

/* The divider field of register A: 010 is the 32.768 kHz time base. */
#define REG_A_DV_MASK 0x70
#define REG_A_DV_NORMAL 0x20
#define REG_A_RS_MASK 0x0f

static bool rtc_running(MC146818RtcState *s)
{
    return (s->cmos_data[RTC_REG_A] & REG_A_DV_MASK) == REG_A_DV_NORMAL &&
           !(s->cmos_data[RTC_REG_B] & REG_B_SET);
}

static int64_t now_ns(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static int64_t rtc_guest_ns(MC146818RtcState *s)
{
    if (!rtc_running(s)) {
        return s->base_ns;
    }
    return s->base_ns + (now_ns() - s->ref_ns);
}

/* Fold the elapsed time into base_ns (before the clock stops or jumps). */
static void rtc_sync_base(MC146818RtcState *s)
{
    s->base_ns = rtc_guest_ns(s);
    s->ref_ns = now_ns();
}

static int64_t floor_div(int64_t a, int64_t b)
{
    return a / b - (a % b < 0);
}

static uint8_t rtc_to_bcd(MC146818RtcState *s, int v)
{
    if (s->cmos_data[RTC_REG_B] & REG_B_DM) {
        return v;
    }
    return ((v / 10) << 4) | (v % 10);
}

static int rtc_from_bcd(MC146818RtcState *s, uint8_t v)
{
    if (s->cmos_data[RTC_REG_B] & REG_B_DM) {
        return v;
    }
    return (v >> 4) * 10 + (v & 0xf);
}

/* Write guest time (seconds) into the time registers. */
static void rtc_fill_registers(MC146818RtcState *s, int64_t secs)
{
    time_t t = secs;
    struct tm tm;
    int hour;

    gmtime_r(&t, &tm);
    s->cmos_data[RTC_SECONDS] = rtc_to_bcd(s, tm.tm_sec);
    s->cmos_data[RTC_MINUTES] = rtc_to_bcd(s, tm.tm_min);
    if (s->cmos_data[RTC_REG_B] & REG_B_24H) {
        s->cmos_data[RTC_HOURS] = rtc_to_bcd(s, tm.tm_hour);
    } else {
        hour = tm.tm_hour % 12;
        s->cmos_data[RTC_HOURS] = rtc_to_bcd(s, hour ? hour : 12);
        if (tm.tm_hour >= 12) {
            s->cmos_data[RTC_HOURS] |= 0x80;
        }
    }
    s->cmos_data[RTC_DAY_OF_WEEK] = rtc_to_bcd(s, tm.tm_wday + 1);
    s->cmos_data[RTC_DAY_OF_MONTH] = rtc_to_bcd(s, tm.tm_mday);
    s->cmos_data[RTC_MONTH] = rtc_to_bcd(s, tm.tm_mon + 1);
    s->cmos_data[RTC_YEAR] = rtc_to_bcd(s, (tm.tm_year + 1900) % 100);
    s->cmos_data[RTC_CENTURY] = rtc_to_bcd(s, (tm.tm_year + 1900) / 100);
}

static int rtc_hour_from_register(MC146818RtcState *s, uint8_t v)
{
    if (s->cmos_data[RTC_REG_B] & REG_B_24H) {
        return rtc_from_bcd(s, v);
    }
    return rtc_from_bcd(s, v & 0x7f) % 12 + ((v & 0x80) ? 12 : 0);
}

/* Guest time (seconds) from the time registers the guest wrote. */
static int64_t rtc_read_registers(MC146818RtcState *s)
{
    struct tm tm = { 0 };
    int century = rtc_from_bcd(s, s->cmos_data[RTC_CENTURY]);

    tm.tm_sec = rtc_from_bcd(s, s->cmos_data[RTC_SECONDS]);
    tm.tm_min = rtc_from_bcd(s, s->cmos_data[RTC_MINUTES]);
    tm.tm_hour = rtc_hour_from_register(s, s->cmos_data[RTC_HOURS]);
    tm.tm_mday = rtc_from_bcd(s, s->cmos_data[RTC_DAY_OF_MONTH]);
    tm.tm_mon = rtc_from_bcd(s, s->cmos_data[RTC_MONTH]) - 1;
    if (century < 19 || century > 99) {
        century = 20;
    }
    tm.tm_year = century * 100 + rtc_from_bcd(s, s->cmos_data[RTC_YEAR]) -
                 1900;
    /* timegm normalises out-of-range fields instead of failing. */
    return timegm(&tm);
}

/* Keep the sub-second phase when the guest sets new seconds. */
static void rtc_set_seconds(MC146818RtcState *s, int64_t secs)
{
    int64_t frac = s->base_ns - floor_div(s->base_ns, NS_PER_SEC) *
                   NS_PER_SEC;

    s->base_ns = secs * NS_PER_SEC + frac;
    s->ref_ns = now_ns();
}

static void rtc_update_irq(MC146818RtcState *s)
{
    uint8_t flags = s->cmos_data[RTC_REG_C] &
                    s->cmos_data[RTC_REG_B] & (REG_C_PF | REG_C_AF | REG_C_UF);

    if (flags && !(s->cmos_data[RTC_REG_C] & REG_C_IRQF)) {
        s->cmos_data[RTC_REG_C] |= REG_C_IRQF;
        qemu_irq_raise(s->irq);
    }
}

/* An alarm byte matches when equal, or when it is "don't care". */
static bool alarm_byte_matches(uint8_t alarm, uint8_t now)
{
    return (alarm & 0xc0) == 0xc0 || alarm == now;
}

static void rtc_arm_update_timer(MC146818RtcState *s)
{
    int64_t guest, next;

    if (!rtc_running(s)) {
        timer_del(s->update_timer);
        return;
    }
    guest = rtc_guest_ns(s);
    next = (floor_div(guest, NS_PER_SEC) + 1) * NS_PER_SEC;
    timer_mod_ns(s->update_timer, s->ref_ns + (next - s->base_ns));
}

/* A second boundary: the update cycle ends. */
static void rtc_update_timer(void *opaque)
{
    MC146818RtcState *s = opaque;
    int64_t secs = floor_div(rtc_guest_ns(s), NS_PER_SEC);
    uint8_t *r = s->cmos_data;

    rtc_fill_registers(s, secs);
    r[RTC_REG_C] |= REG_C_UF;
    if (alarm_byte_matches(r[RTC_SECONDS_ALARM], r[RTC_SECONDS]) &&
        alarm_byte_matches(r[RTC_MINUTES_ALARM], r[RTC_MINUTES]) &&
        alarm_byte_matches(r[RTC_HOURS_ALARM], r[RTC_HOURS])) {
        r[RTC_REG_C] |= REG_C_AF;
    }
    rtc_update_irq(s);
    rtc_arm_update_timer(s);
}

/* Periodic interrupt period in 32768 Hz cycles, 0 if off. */
static int rtc_periodic_cycles(MC146818RtcState *s)
{
    int rs = s->cmos_data[RTC_REG_A] & REG_A_RS_MASK;

    if (rs == 0) {
        return 0;
    }
    /* Rates 1 and 2 repeat 8 and 9 with the 32.768 kHz time base. */
    if (rs <= 2) {
        rs += 7;
    }
    return 1 << (rs - 1);
}

static void rtc_arm_periodic_timer(MC146818RtcState *s)
{
    int cycles = rtc_periodic_cycles(s);
    uint64_t now, tick, next;

    if (!cycles || !(s->cmos_data[RTC_REG_B] & REG_B_PIE) ||
        (s->cmos_data[RTC_REG_A] & REG_A_DV_MASK) != REG_A_DV_NORMAL) {
        timer_del(s->periodic_timer);
        return;
    }
    /* Edges of the 32768 Hz divider chain, aligned to virtual time 0. */
    now = now_ns();
    tick = (unsigned __int128)now * 32768 / NS_PER_SEC;
    next = (tick / cycles + 1) * cycles;
    timer_mod_ns(s->periodic_timer,
                 ((unsigned __int128)next * NS_PER_SEC + 32767) / 32768);
}

static void rtc_periodic_timer(void *opaque)
{
    MC146818RtcState *s = opaque;

    s->cmos_data[RTC_REG_C] |= REG_C_PF;
    rtc_update_irq(s);
    rtc_arm_periodic_timer(s);
}

static bool rtc_update_in_progress(MC146818RtcState *s)
{
    int64_t guest;

    if (!rtc_running(s)) {
        return false;
    }
    guest = rtc_guest_ns(s);
    return guest - floor_div(guest, NS_PER_SEC) * NS_PER_SEC >=
           NS_PER_SEC - RTC_UIP_HOLD_NS;
}

static void rtc_write_reg_a(MC146818RtcState *s, uint8_t val)
{
    bool was_running = rtc_running(s);
    bool was_reset = (s->cmos_data[RTC_REG_A] & REG_A_DV_MASK) !=
                     REG_A_DV_NORMAL;

    if (was_running) {
        rtc_sync_base(s);
    }
    s->cmos_data[RTC_REG_A] = (val & ~REG_A_UIP) |
                              (s->cmos_data[RTC_REG_A] & REG_A_UIP);
    if (!was_running && rtc_running(s)) {
        s->ref_ns = now_ns();
        /* Out of divider reset, the first update comes 500 ms later. */
        if (was_reset) {
            s->base_ns = floor_div(s->base_ns, NS_PER_SEC) * NS_PER_SEC +
                         NS_PER_SEC / 2;
        }
    }
    rtc_arm_update_timer(s);
    rtc_arm_periodic_timer(s);
}

static void rtc_write_reg_b(MC146818RtcState *s, uint8_t val)
{
    uint8_t old = s->cmos_data[RTC_REG_B];

    if ((val & REG_B_SET) && !(old & REG_B_SET)) {
        /* Stop the clock with the registers showing the current time. */
        rtc_sync_base(s);
        rtc_fill_registers(s, floor_div(s->base_ns, NS_PER_SEC));
        val &= ~REG_B_UIE;      /* SET clears UIE, as the data sheet says */
    } else if (!(val & REG_B_SET) && (old & REG_B_SET)) {
        /* The guest's registers (in the old format) become the time. */
        rtc_set_seconds(s, rtc_read_registers(s));
    }
    /* While running, a format change shows at the next register read. */
    if ((val ^ old) & (REG_B_DM | REG_B_24H) && (old & REG_B_SET) &&
        (val & REG_B_SET)) {
        qemu_log_mask(LOG_GUEST_ERROR, "mc146818rtc: data mode changed "
                      "while SET: time registers are not converted\n");
    }
    s->cmos_data[RTC_REG_B] = val;
    rtc_update_irq(s);
    rtc_arm_update_timer(s);
    rtc_arm_periodic_timer(s);
}

static bool rtc_is_time_register(int index)
{
    return index <= RTC_YEAR || index == RTC_CENTURY;
}

static void cmos_ioport_write(void *opaque, hwaddr addr, uint64_t val64,
                              unsigned size)
{
    MC146818RtcState *s = opaque;
    uint8_t val = val64;
    int index = s->cmos_index;

    if ((addr & 1) == 0) {
        s->cmos_index = val & 0x7f;
        s->nmi_disabled = val >> 7;
        return;
    }
    switch (index) {
    case RTC_REG_A:
        rtc_write_reg_a(s, val);
        return;
    case RTC_REG_B:
        rtc_write_reg_b(s, val);
        return;
    case RTC_REG_C:
    case RTC_REG_D:
        qemu_log_mask(LOG_GUEST_ERROR, "mc146818rtc: write 0x%02x to "
                      "read-only register %c\n", val, 'A' + index - 10);
        return;
    }
    if (rtc_is_time_register(index) && index != RTC_SECONDS_ALARM &&
        index != RTC_MINUTES_ALARM && index != RTC_HOURS_ALARM) {
        if (rtc_running(s)) {
            /* Setting one field of a running clock: start from now. */
            rtc_fill_registers(s, floor_div(rtc_guest_ns(s), NS_PER_SEC));
            s->cmos_data[index] = val;
            rtc_sync_base(s);
            rtc_set_seconds(s, rtc_read_registers(s));
            rtc_arm_update_timer(s);
            return;
        }
    }
    s->cmos_data[index] = val;
}

static uint64_t cmos_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    MC146818RtcState *s = opaque;
    int index = s->cmos_index;
    uint8_t ret;

    if ((addr & 1) == 0) {
        /* The index register is write-only. */
        return 0xff;
    }
    switch (index) {
    case RTC_REG_A:
        ret = s->cmos_data[RTC_REG_A] & ~REG_A_UIP;
        if (rtc_update_in_progress(s)) {
            ret |= REG_A_UIP;
        }
        return ret;
    case RTC_REG_C:
        ret = s->cmos_data[RTC_REG_C];
        s->cmos_data[RTC_REG_C] = 0;
        qemu_irq_lower(s->irq);
        return ret;
    case RTC_REG_D:
        return REG_D_VRT;
    }
    if (rtc_is_time_register(index) && index != RTC_SECONDS_ALARM &&
        index != RTC_MINUTES_ALARM && index != RTC_HOURS_ALARM &&
        rtc_running(s)) {
        rtc_fill_registers(s, floor_div(rtc_guest_ns(s), NS_PER_SEC));
    }
    return s->cmos_data[index];
}

static const MemoryRegionOps cmos_ioport_ops = {
    .read = cmos_ioport_read,
    .write = cmos_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

void mc146818rtc_set_cmos_data(MC146818RtcState *s, int addr, int val)
{
    if (addr < 0 || addr >= (int)sizeof(s->cmos_data)) {
        return;
    }
    s->cmos_data[addr] = val;
}

int mc146818rtc_get_cmos_data(MC146818RtcState *s, int addr)
{
    if (addr < 0 || addr >= (int)sizeof(s->cmos_data)) {
        return -1;
    }
    return s->cmos_data[addr];
}

int64_t mc146818rtc_get_time(MC146818RtcState *s)
{
    return floor_div(rtc_guest_ns(s), NS_PER_SEC);
}

void mc146818rtc_set_time(MC146818RtcState *s, int64_t seconds)
{
    s->base_ns = seconds * NS_PER_SEC;
    s->ref_ns = now_ns();
    rtc_fill_registers(s, seconds);
    rtc_arm_update_timer(s);
}

bool mc146818rtc_nmi_disabled(MC146818RtcState *s)
{
    return s->nmi_disabled;
}

void rtc_cmos_set_ram_size(MC146818RtcState *s, uint64_t below_4g,
                           uint64_t above_4g)
{
    uint64_t val;

    mc146818rtc_set_cmos_data(s, 0x15, 640 & 0xff);
    mc146818rtc_set_cmos_data(s, 0x16, 640 >> 8);
    /* Extended memory above 1 MiB, in KiB, as the BIOS reports it. */
    val = below_4g > 1 * MiB ? (below_4g - 1 * MiB) / KiB : 0;
    val = MIN(val, 65535);
    mc146818rtc_set_cmos_data(s, 0x17, val);
    mc146818rtc_set_cmos_data(s, 0x18, val >> 8);
    mc146818rtc_set_cmos_data(s, 0x30, val);
    mc146818rtc_set_cmos_data(s, 0x31, val >> 8);
    /* Memory above 16 MiB, in 64 KiB units. */
    val = below_4g > 16 * MiB ? (below_4g - 16 * MiB) / (64 * KiB) : 0;
    val = MIN(val, 65535);
    mc146818rtc_set_cmos_data(s, 0x34, val);
    mc146818rtc_set_cmos_data(s, 0x35, val >> 8);
    /* Memory above 4 GiB, in 64 KiB units, three bytes. */
    val = above_4g / (64 * KiB);
    mc146818rtc_set_cmos_data(s, 0x5b, val);
    mc146818rtc_set_cmos_data(s, 0x5c, val >> 8);
    mc146818rtc_set_cmos_data(s, 0x5d, val >> 16);
}

void rtc_cmos_set_cpus(MC146818RtcState *s, unsigned cpus)
{
    mc146818rtc_set_cmos_data(s, 0x5f, cpus ? cpus - 1 : 0);
}

void rtc_cmos_set_equipment(MC146818RtcState *s, uint8_t equipment)
{
    mc146818rtc_set_cmos_data(s, 0x14, equipment);
}

bool rtc_cmos_set_boot_order(MC146818RtcState *s, const char *order,
                             bool fd_bootchk, Error **errp)
{
    int devs[3] = { 0, 0, 0 };
    size_t n = strlen(order);

    if (n > 3) {
        error_setg(errp, "-boot order=%s: at most 3 boot devices with the "
                   "CMOS boot order", order);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        switch (order[i]) {
        case 'a':
        case 'b':
            devs[i] = 1;
            break;
        case 'c':
            devs[i] = 2;
            break;
        case 'd':
            devs[i] = 3;
            break;
        case 'n':
            devs[i] = 4;
            break;
        default:
            error_setg(errp, "-boot order=%s: invalid boot device '%c'",
                       order, order[i]);
            return false;
        }
    }
    mc146818rtc_set_cmos_data(s, 0x3d, (devs[1] << 4) | devs[0]);
    mc146818rtc_set_cmos_data(s, 0x38, (devs[2] << 4) | (fd_bootchk ? 0 : 1));
    return true;
}

/* "utc", "localtime", "YYYY-MM-DD" or "YYYY-MM-DDTHH:MM:SS". */
static bool rtc_parse_base(const char *base, int64_t *secs, Error **errp)
{
    time_t now = time(NULL);
    struct tm tm = { 0 };
    char extra;

    if (!base || !strcmp(base, "utc")) {
        *secs = now;
        return true;
    }
    if (!strcmp(base, "localtime")) {
        localtime_r(&now, &tm);
        *secs = timegm(&tm);
        return true;
    }
    if (sscanf(base, "%d-%d-%dT%d:%d:%d%c", &tm.tm_year, &tm.tm_mon,
               &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
               &extra) != 6 &&
        (memset(&tm, 0, sizeof(tm)),
         sscanf(base, "%d-%d-%d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                &extra) != 3)) {
        goto bad;
    }
    if (tm.tm_year < 1900 || tm.tm_year > 9999 || tm.tm_mon < 1 ||
        tm.tm_mon > 12 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
        tm.tm_hour < 0 || tm.tm_hour > 23 || tm.tm_min < 0 ||
        tm.tm_min > 59 || tm.tm_sec < 0 || tm.tm_sec > 59) {
        goto bad;
    }
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    *secs = timegm(&tm);
    return true;
bad:
    error_setg(errp, "mc146818rtc: base '%s': expected utc, localtime, "
               "YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS", base);
    return false;
}

static void rtc_realize(DeviceState *dev, Error **errp)
{
    MC146818RtcState *s = MC146818_RTC(dev);
    int64_t secs;

    if (s->iobase > 0xfffe) {
        error_setg(errp, "mc146818rtc: iobase 0x%x is not a port pair",
                   s->iobase);
        return;
    }
    if (!rtc_parse_base(s->base, &secs, errp)) {
        return;
    }
    /* Power-on contents (the battery keeps them over resets). */
    s->cmos_data[RTC_REG_A] = 0x26;
    s->cmos_data[RTC_REG_B] = REG_B_24H;
    s->cmos_data[RTC_REG_C] = 0;
    s->cmos_data[RTC_REG_D] = REG_D_VRT;
    s->update_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, rtc_update_timer, s);
    s->periodic_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL, rtc_periodic_timer,
                                     s);
    mc146818rtc_set_time(s, secs);

    memory_region_init_io(&s->io, OBJECT(dev), &cmos_ioport_ops, s, "rtc",
                          2);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, s->iobase);
    isa_init_irq(ISA_DEVICE(dev), &s->irq, RTC_ISA_IRQ);
}

static void (*rtc_parent_unrealize)(DeviceState *dev);

static void rtc_unrealize(DeviceState *dev)
{
    MC146818RtcState *s = MC146818_RTC(dev);

    timer_free(s->update_timer);
    timer_free(s->periodic_timer);
    s->update_timer = NULL;
    s->periodic_timer = NULL;
    rtc_parent_unrealize(dev);
}

static void rtc_finalize(Object *obj)
{
    memory_region_finalize(&MC146818_RTC(obj)->io);
}

/* RESET clears the interrupt enables and flags; time and CMOS stay. */
static void rtc_reset_enter(Object *obj, ResetType type)
{
    MC146818RtcState *s = MC146818_RTC(obj);

    s->cmos_data[RTC_REG_B] &= ~(REG_B_PIE | REG_B_AIE | REG_B_UIE |
                                 REG_B_SQWE);
    s->cmos_data[RTC_REG_C] = 0;
}

static void rtc_reset_hold(Object *obj, ResetType type)
{
    MC146818RtcState *s = MC146818_RTC(obj);

    qemu_irq_lower(s->irq);
    timer_del(s->periodic_timer);
}

static void rtc_reset_exit(Object *obj, ResetType type)
{
    rtc_arm_update_timer(MC146818_RTC(obj));
}

MC146818RtcState *mc146818_rtc_init(ISABus *bus, Error **errp)
{
    DeviceState *dev = qdev_new(TYPE_MC146818_RTC);

    if (!qdev_realize_and_unref(dev, BUS(bus), errp)) {
        return NULL;
    }
    return MC146818_RTC(dev);
}

static bool rtc_index_valid(void *opaque, int version_id)
{
    return ((MC146818RtcState *)opaque)->cmos_index < 128;
}

/* The IRQ line follows the loaded IRQF (the timers re-arm themselves). */
static int rtc_post_load(void *opaque, int version_id)
{
    MC146818RtcState *s = opaque;

    qemu_set_irq(s->irq, !!(s->cmos_data[RTC_REG_C] & REG_C_IRQF));
    return 0;
}

/*
 * Name and version of QEMU's hw/rtc/mc146818rtc.c "mc146818rtc"; the time
 * base is ours: guest time base_ns at virtual time ref_ns, so the clock
 * continues from the saved instant with the virtual clock.
 */
static const VMStateDescription vmstate_rtc = {
    .name = "mc146818rtc",
    .version_id = 3,
    .minimum_version_id = 3,
    .post_load = rtc_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_BUFFER(cmos_data, MC146818RtcState),
        VMSTATE_UINT8(cmos_index, MC146818RtcState),
        VMSTATE_VALIDATE("cmos_index below 128", rtc_index_valid),
        VMSTATE_UINT8(nmi_disabled, MC146818RtcState),
        VMSTATE_TIMER_PTR(periodic_timer, MC146818RtcState),
        VMSTATE_INT64(base_ns, MC146818RtcState),
        VMSTATE_INT64(ref_ns, MC146818RtcState),
        VMSTATE_TIMER_PTR(update_timer, MC146818RtcState),
        VMSTATE_END_OF_LIST()
    },
};

static const Property rtc_properties[] = {
    DEFINE_PROP_UINT32("iobase", MC146818RtcState, iobase, RTC_ISA_BASE),
    DEFINE_PROP_STRING("base", MC146818RtcState, base),
    DEFINE_PROP_END_OF_LIST(),
};

static void rtc_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    dc->realize = rtc_realize;
    device_class_set_parent_unrealize(dc, rtc_unrealize,
                                      &rtc_parent_unrealize);
    dc->desc = "MC146818 real-time clock and CMOS RAM";
    dc->vmsd = &vmstate_rtc;
    device_class_set_props(dc, rtc_properties);
    rc->phases.enter = rtc_reset_enter;
    rc->phases.hold = rtc_reset_hold;
    rc->phases.exit = rtc_reset_exit;
}

static const TypeInfo rtc_types[] = {
    {
        .name = TYPE_MC146818_RTC,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(MC146818RtcState),
        .instance_finalize = rtc_finalize,
        .class_init = rtc_class_init,
    },
};

DEFINE_TYPES(rtc_types)
