/*
 * Unit tests for the MC146818 RTC (hw/rtc/mc146818rtc.c), through ports
 * 0x70/0x71 as a guest uses them, on a hand-stepped virtual clock.
 */
#include "test.h"
#include "hw/rtc/mc146818rtc.h"
#include "hw/qdev-properties.h"
#include "system/timer.h"
#include "isa-test-machine.h"

#define BASE "2024-02-29T23:59:58"

typedef struct Fixture {
    ISABus *bus;
    IrqProbe irq8;
    qemu_irq lines[ISA_NUM_IRQS];
    MC146818RtcState *rtc;
    int64_t t0;                 /* virtual time of the base */
} Fixture;

static int64_t now_ns(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void advance_to(int64_t t)
{
    qemu_clock_advance_virtual_time(t);
}

static int setup(void **state)
{
    Fixture *f = xnew(Fixture);
    DeviceState *dev;

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    f->bus = test_isa_bus_new();
    f->lines[8] = qemu_allocate_irq(irq_probe_handler, &f->irq8, 0);
    isa_bus_irqs(f->bus, f->lines);
    dev = qdev_new(TYPE_MC146818_RTC);
    qdev_prop_set_string(dev, "base", BASE);
    qdev_realize_and_unref(dev, BUS(f->bus), &error_abort);
    f->rtc = MC146818_RTC(dev);
    f->t0 = now_ns();
    bus_cold_reset(BUS(f->bus));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    test_isa_bus_free(f->bus);
    qemu_free_irq(f->lines[8]);
    free(f);
    return 0;
}

static uint8_t cmos_read(uint8_t index)
{
    outb(0x70, index);
    return inb(0x71);
}

static void cmos_write(uint8_t index, uint8_t val)
{
    outb(0x70, index);
    outb(0x71, val);
}

static void test_time_advances(void **state)
{
    Fixture *f = *state;

    assert_int_equal(cmos_read(RTC_REG_A), 0x26);
    assert_int_equal(cmos_read(RTC_REG_B), 0x02);
    assert_int_equal(cmos_read(RTC_REG_D), 0x80);
    /* BCD, 24 hour after power-on. */
    assert_int_equal(cmos_read(RTC_SECONDS), 0x58);
    assert_int_equal(cmos_read(RTC_MINUTES), 0x59);
    assert_int_equal(cmos_read(RTC_HOURS), 0x23);
    assert_int_equal(cmos_read(RTC_DAY_OF_MONTH), 0x29);
    assert_int_equal(cmos_read(RTC_MONTH), 0x02);
    assert_int_equal(cmos_read(RTC_YEAR), 0x24);
    assert_int_equal(cmos_read(RTC_CENTURY), 0x20);
    assert_int_equal(cmos_read(RTC_DAY_OF_WEEK), 0x05);    /* Thursday */

    advance_to(f->t0 + 999LL * SCALE_MS);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x58);
    advance_to(f->t0 + 1000LL * SCALE_MS);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x59);
    advance_to(f->t0 + 2000LL * SCALE_MS);
    /* Leap day rolls over into March. */
    assert_int_equal(cmos_read(RTC_SECONDS), 0x00);
    assert_int_equal(cmos_read(RTC_MINUTES), 0x00);
    assert_int_equal(cmos_read(RTC_HOURS), 0x00);
    assert_int_equal(cmos_read(RTC_DAY_OF_MONTH), 0x01);
    assert_int_equal(cmos_read(RTC_MONTH), 0x03);
    assert_int_equal(cmos_read(RTC_DAY_OF_WEEK), 0x06);
    assert_int_equal(mc146818rtc_get_time(f->rtc), 1709251200);
}

static void test_uip(void **state)
{
    Fixture *f = *state;
    int64_t edge = f->t0 + 3 * NANOSECONDS_PER_SECOND;

    advance_to(edge - RTC_UIP_HOLD_NS - 1000);
    assert_int_equal(cmos_read(RTC_REG_A) & REG_A_UIP, 0);
    advance_to(edge - RTC_UIP_HOLD_NS);
    assert_int_equal(cmos_read(RTC_REG_A) & REG_A_UIP, REG_A_UIP);
    /* Linux's loop: wait for UIP to drop, then read a stable time. */
    assert_int_equal(cmos_read(RTC_SECONDS), 0x00);
    advance_to(edge - 1);
    assert_int_equal(cmos_read(RTC_REG_A) & REG_A_UIP, REG_A_UIP);
    advance_to(edge);
    assert_int_equal(cmos_read(RTC_REG_A) & REG_A_UIP, 0);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x01);
    /* No UIP while SET holds the clock. */
    cmos_write(RTC_REG_B, 0x82);
    advance_to(edge + NANOSECONDS_PER_SECOND - RTC_UIP_HOLD_NS / 2);
    assert_int_equal(cmos_read(RTC_REG_A) & REG_A_UIP, 0);
}

static void test_binary_and_12h(void **state)
{
    Fixture *f = *state;

    cmos_write(RTC_REG_B, REG_B_DM | REG_B_24H);
    assert_int_equal(cmos_read(RTC_SECONDS), 58);
    assert_int_equal(cmos_read(RTC_HOURS), 23);
    assert_int_equal(cmos_read(RTC_YEAR), 24);
    assert_int_equal(cmos_read(RTC_CENTURY), 20);
    /* 12 hour binary: 11 PM. */
    cmos_write(RTC_REG_B, REG_B_DM);
    assert_int_equal(cmos_read(RTC_HOURS), 0x80 | 11);
    /* 12 hour BCD: 11 PM, then 12 AM after midnight. */
    cmos_write(RTC_REG_B, 0);
    assert_int_equal(cmos_read(RTC_HOURS), 0x91);
    advance_to(f->t0 + 2 * NANOSECONDS_PER_SECOND);
    assert_int_equal(cmos_read(RTC_HOURS), 0x12);
}

static void test_set_mode(void **state)
{
    Fixture *f = *state;

    cmos_write(RTC_REG_B, REG_B_SET | REG_B_24H);
    cmos_write(RTC_SECONDS, 0x30);
    cmos_write(RTC_MINUTES, 0x15);
    cmos_write(RTC_HOURS, 0x10);
    cmos_write(RTC_DAY_OF_MONTH, 0x04);
    cmos_write(RTC_MONTH, 0x07);
    cmos_write(RTC_YEAR, 0x99);
    cmos_write(RTC_CENTURY, 0x19);
    advance_to(f->t0 + 5 * NANOSECONDS_PER_SECOND);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x30);         /* held */
    cmos_write(RTC_REG_B, REG_B_24H);
    assert_int_equal(mc146818rtc_get_time(f->rtc), 931083330);
    advance_to(f->t0 + 6 * NANOSECONDS_PER_SECOND);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x31);
    assert_int_equal(cmos_read(RTC_YEAR), 0x99);

    /* Writing one field of the running clock moves it. */
    cmos_write(RTC_MINUTES, 0x45);
    assert_int_equal(cmos_read(RTC_MINUTES), 0x45);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x31);
    advance_to(f->t0 + 7 * NANOSECONDS_PER_SECOND);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x32);
    assert_int_equal(cmos_read(RTC_MINUTES), 0x45);
}

static void test_update_interrupt(void **state)
{
    Fixture *f = *state;

    cmos_write(RTC_SECONDS_ALARM, 0x30);   /* no alarm in this test */
    cmos_write(RTC_REG_B, REG_B_UIE | REG_B_24H);
    advance_to(f->t0 + 999LL * SCALE_MS);
    assert_int_equal(f->irq8.raises, 0);
    advance_to(f->t0 + 1000LL * SCALE_MS);
    assert_int_equal(f->irq8.raises, 1);
    assert_int_equal(f->irq8.raise_ns[0], f->t0 + NANOSECONDS_PER_SECOND);
    assert_int_equal(cmos_read(RTC_REG_C), REG_C_IRQF | REG_C_UF);
    assert_int_equal(f->irq8.level, 0);
    assert_int_equal(cmos_read(RTC_REG_C), 0);
    advance_to(f->t0 + 3000LL * SCALE_MS);
    assert_int_equal(f->irq8.raises, 2);   /* not cleared: no new edge */
    assert_int_equal(cmos_read(RTC_REG_C), REG_C_IRQF | REG_C_UF);

    /* UF without UIE: flag only, no interrupt. */
    cmos_write(RTC_REG_B, REG_B_24H);
    advance_to(f->t0 + 4000LL * SCALE_MS);
    assert_int_equal(cmos_read(RTC_REG_C), REG_C_UF);
    assert_int_equal(f->irq8.raises, 2);
}

static void test_alarm_interrupt(void **state)
{
    Fixture *f = *state;

    /* Alarm at 00:00:00 (BCD). */
    cmos_write(RTC_SECONDS_ALARM, 0x00);
    cmos_write(RTC_MINUTES_ALARM, 0x00);
    cmos_write(RTC_HOURS_ALARM, 0x00);
    cmos_write(RTC_REG_B, REG_B_AIE | REG_B_24H);
    advance_to(f->t0 + 1 * NANOSECONDS_PER_SECOND);        /* 23:59:59 */
    assert_int_equal(f->irq8.raises, 0);
    assert_int_equal(cmos_read(RTC_REG_C), REG_C_UF);
    advance_to(f->t0 + 2 * NANOSECONDS_PER_SECOND);        /* 00:00:00 */
    assert_int_equal(f->irq8.raises, 1);
    assert_int_equal(cmos_read(RTC_REG_C),
                     REG_C_IRQF | REG_C_AF | REG_C_UF);
    advance_to(f->t0 + 3 * NANOSECONDS_PER_SECOND);
    assert_int_equal(cmos_read(RTC_REG_C), REG_C_UF);

    /* "Don't care" seconds: every second of minute 00. */
    cmos_write(RTC_SECONDS_ALARM, 0xc0);
    advance_to(f->t0 + 4 * NANOSECONDS_PER_SECOND);
    assert_int_equal(f->irq8.raises, 2);
    assert_int_equal(cmos_read(RTC_REG_C),
                     REG_C_IRQF | REG_C_AF | REG_C_UF);
}

/* Step in small increments, acknowledging each interrupt as a guest. */
static void run_periodic(Fixture *f, int64_t until)
{
    while (now_ns() < until) {
        advance_to(MIN(now_ns() + 50 * SCALE_US, until));
        if (f->irq8.level) {
            /* UF (and AF at midnight) come along, not enabled. */
            assert_int_equal(cmos_read(RTC_REG_C) & (REG_C_IRQF | REG_C_PF),
                             REG_C_IRQF | REG_C_PF);
        }
    }
}

static void test_periodic_interrupt(void **state)
{
    Fixture *f = *state;
    int64_t start = now_ns();
    int n;

    cmos_write(RTC_REG_A, 0x26);           /* rate 6: 1024 Hz */
    cmos_write(RTC_REG_B, REG_B_PIE | REG_B_24H);
    run_periodic(f, start + 100LL * SCALE_MS);
    n = f->irq8.raises;
    assert_in_range(n, 102, 103);
    for (int i = 1; i < MIN(n, 64); i++) {
        /* 32 cycles of 32768 Hz: 976562.5 ns. */
        assert_in_range(f->irq8.raise_ns[i] - f->irq8.raise_ns[i - 1],
                        976562, 976563);
    }

    /* Rate 15: 2 Hz. */
    memset(&f->irq8, 0, sizeof(f->irq8));
    cmos_write(RTC_REG_A, 0x2f);
    start = now_ns();
    run_periodic(f, start + 2 * NANOSECONDS_PER_SECOND);
    assert_int_equal(f->irq8.raises, 4);
    assert_int_equal(f->irq8.raise_ns[1] - f->irq8.raise_ns[0],
                     500LL * SCALE_MS);

    /* Rate 0 stops it. */
    cmos_write(RTC_REG_A, 0x20);
    cmos_read(RTC_REG_C);
    start = now_ns();
    run_periodic(f, start + NANOSECONDS_PER_SECOND);
    assert_int_equal(f->irq8.raises, 4);
}

static void test_divider_reset(void **state)
{
    Fixture *f = *state;

    cmos_write(RTC_REG_A, 0x70);           /* divider held in reset */
    advance_to(f->t0 + 10 * NANOSECONDS_PER_SECOND);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x58);
    cmos_write(RTC_REG_A, 0x26);
    /* The first update comes 500 ms after release. */
    advance_to(now_ns() + 499LL * SCALE_MS);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x58);
    advance_to(now_ns() + 1LL * SCALE_MS);
    assert_int_equal(cmos_read(RTC_SECONDS), 0x59);
}

static void test_cmos_and_nmi(void **state)
{
    Fixture *f = *state;
    Error *err = NULL;

    outb(0x70, 0x80 | 0x40);
    assert_true(mc146818rtc_nmi_disabled(f->rtc));
    outb(0x71, 0xa5);
    outb(0x70, 0x40);
    assert_false(mc146818rtc_nmi_disabled(f->rtc));
    assert_int_equal(inb(0x71), 0xa5);
    /* Register C and D are read-only. */
    cmos_write(RTC_REG_D, 0x00);
    assert_int_equal(cmos_read(RTC_REG_D), 0x80);

    rtc_cmos_set_ram_size(f->rtc, 128 * MiB, 2 * GiB);
    assert_int_equal(cmos_read(0x15) | cmos_read(0x16) << 8, 640);
    assert_int_equal(cmos_read(0x17) | cmos_read(0x18) << 8, 0xffff);
    assert_int_equal(cmos_read(0x30) | cmos_read(0x31) << 8, 0xffff);
    assert_int_equal(cmos_read(0x34) | cmos_read(0x35) << 8, 0x0700);
    assert_int_equal(cmos_read(0x5b) | cmos_read(0x5c) << 8 |
                     cmos_read(0x5d) << 16, 0x8000);
    rtc_cmos_set_ram_size(f->rtc, 8 * MiB, 0);
    assert_int_equal(cmos_read(0x17) | cmos_read(0x18) << 8, 7 * 1024);
    assert_int_equal(cmos_read(0x34) | cmos_read(0x35) << 8, 0);
    rtc_cmos_set_cpus(f->rtc, 4);
    assert_int_equal(cmos_read(0x5f), 3);
    rtc_cmos_set_equipment(f->rtc, 0x06);
    assert_int_equal(cmos_read(0x14), 0x06);
    assert_true(rtc_cmos_set_boot_order(f->rtc, "cdn", false, &error_abort));
    assert_int_equal(cmos_read(0x3d), 0x32);
    assert_int_equal(cmos_read(0x38), 0x41);
    assert_false(rtc_cmos_set_boot_order(f->rtc, "cx", false, &err));
    assert_non_null(strstr(error_get_pretty(err), "invalid boot device 'x'"));
    error_free(err);
    /* CMOS survives a reset; interrupt enables do not. */
    cmos_write(RTC_REG_B, REG_B_UIE | REG_B_PIE | REG_B_24H);
    bus_cold_reset(BUS(f->bus));
    assert_int_equal(cmos_read(0x40), 0xa5);
    assert_int_equal(cmos_read(RTC_REG_B), REG_B_24H);
}

static void test_bad_base(void **state)
{
    Fixture *f = *state;
    const char *bad[] = { "yesterday", "2024-13-01", "2024-02-29T25:00:00",
                          "2024-01-01x" };

    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        DeviceState *dev = qdev_new(TYPE_MC146818_RTC);
        Error *err = NULL;

        qdev_prop_set_uint32(dev, "iobase", 0x170);
        qdev_prop_set_string(dev, "base", bad[i]);
        assert_false(qdev_realize_and_unref(dev, BUS(f->bus), &err));
        assert_non_null(strstr(error_get_pretty(err), bad[i]));
        error_free(err);
    }
}

static void test_host_base(void **state)
{
    Fixture *f = *state;
    DeviceState *dev = qdev_new(TYPE_MC146818_RTC);
    int64_t host = time(NULL);

    qdev_prop_set_uint32(dev, "iobase", 0x170);
    qdev_realize_and_unref(dev, BUS(f->bus), &error_abort);
    assert_in_range(mc146818rtc_get_time(MC146818_RTC(dev)), host - 2,
                    host + 2);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_time_advances),
        T(test_uip),
        T(test_binary_and_12h),
        T(test_set_mode),
        T(test_update_interrupt),
        T(test_alarm_interrupt),
        T(test_periodic_interrupt),
        T(test_divider_reset),
        T(test_cmos_and_nmi),
        T(test_bad_base),
        T(test_host_base),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
