/*
 * ACPI PM block through its I/O ports at 0x600: the PM timer's rate under
 * a stepped virtual clock, SCI_EN after reset, S5 via SLP_EN requesting a
 * guest shutdown, the power button (powerdown request) setting
 * PWRBTN_STS and raising the SCI, TMR_STS on timer overflow, GPE0.
 */
#include "test.h"
#include "hw/acpi/pm.h"
#include "hw/i386/acpi-build.h"
#include "memory/memory.h"
#include "system/main-loop.h"
#include "system/runstate.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED
#define PM 0x600

static ACPIPMState *pm;
static qemu_irq sci_line;
static int sci_level, sci_raises;

static void sci_handler(void *opaque, int n, int level)
{
    if (level && !sci_level) {
        sci_raises++;
    }
    sci_level = level;
}

static uint16_t inw(uint16_t port)
{
    return address_space_lduw_le(&address_space_io, port, ATTRS, NULL);
}

static uint32_t inl(uint16_t port)
{
    return address_space_ldl_le(&address_space_io, port, ATTRS, NULL);
}

static void outw(uint16_t port, uint16_t v)
{
    address_space_stw_le(&address_space_io, port, v, ATTRS, NULL);
}

static void outb(uint16_t port, uint8_t v)
{
    address_space_stb(&address_space_io, port, v, ATTRS, NULL);
}

static uint8_t inb(uint16_t port)
{
    return address_space_ldub(&address_space_io, port, ATTRS, NULL);
}

static int setup(void **state)
{
    DeviceState *dev = qdev_new(TYPE_ACPI_PM);

    runstate_init();
    sci_level = sci_raises = 0;
    sci_line = qemu_allocate_irq(sci_handler, NULL, 0);
    sysbus_connect_irq(SYS_BUS_DEVICE(dev), 0, sci_line);
    assert_true(sysbus_realize_and_unref(SYS_BUS_DEVICE(dev), NULL));
    device_cold_reset(dev);
    pm = ACPI_PM(dev);
    return 0;
}

static int teardown(void **state)
{
    object_unparent(OBJECT(pm));
    qemu_free_irq(sci_line);
    pm = NULL;
    return 0;
}

static void test_reset_state(void **state)
{
    assert_int_equal(inw(PM + PC_ACPI_PM1_CNT_OFFSET) &
                     ACPI_BITMASK_SCI_ENABLE, ACPI_BITMASK_SCI_ENABLE);
    assert_int_equal(inw(PM + PC_ACPI_PM1_EVT_OFFSET), 0);
    assert_int_equal(inw(PM + PC_ACPI_PM1_EVT_OFFSET + 2), 0);
    assert_int_equal(sci_level, 0);
}

static void test_pm_timer_rate(void **state)
{
    int64_t t0 = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
    uint32_t v0, v1;

    v0 = inl(PM + PC_ACPI_PM_TMR_OFFSET);
    assert_true(v0 <= ACPI_PM_TIMER_MASK);
    qemu_clock_advance_virtual_time(t0 + 1000000);           /* 1 ms */
    v1 = inl(PM + PC_ACPI_PM_TMR_OFFSET);
    /* 3579.545 ticks per ms, give or take the rounding of each read. */
    assert_in_range((v1 - v0) & ACPI_PM_TIMER_MASK, 3579, 3580);
    qemu_clock_advance_virtual_time(t0 + 1000000 + NANOSECONDS_PER_SECOND);
    v0 = inl(PM + PC_ACPI_PM_TMR_OFFSET);
    assert_in_range((v0 - v1) & ACPI_PM_TIMER_MASK, 3579544, 3579546);
    /* 32-bit reads only. */
    assert_int_equal(inw(PM + PC_ACPI_PM_TMR_OFFSET), 0xffff);
}

static void test_timer_overflow_sci(void **state)
{
    int64_t t0 = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);

    outw(PM + PC_ACPI_PM1_EVT_OFFSET + 2, ACPI_BITMASK_TIMER_ENABLE);
    /* Bit 23 toggles every 2^23 ticks, about 2.34 s. */
    qemu_clock_advance_virtual_time(t0 + 2400 * (int64_t)SCALE_MS);
    assert_true(inw(PM + PC_ACPI_PM1_EVT_OFFSET) & ACPI_BITMASK_TIMER_STATUS);
    assert_int_equal(sci_level, 1);
    outw(PM + PC_ACPI_PM1_EVT_OFFSET, ACPI_BITMASK_TIMER_STATUS);
    assert_int_equal(sci_level, 0);
    assert_false(inw(PM + PC_ACPI_PM1_EVT_OFFSET) &
                 ACPI_BITMASK_TIMER_STATUS);
}

static void test_s5_shutdown(void **state)
{
    /* SLP_TYP 1 is not in the DSDT: ignored. */
    outw(PM + PC_ACPI_PM1_CNT_OFFSET,
         ACPI_BITMASK_SCI_ENABLE | 1 << 10 | ACPI_BITMASK_SLEEP_ENABLE);
    assert_int_equal(qemu_shutdown_requested_get(), SHUTDOWN_CAUSE_NONE);
    /* SLP_TYP 0 (_S5) + SLP_EN. */
    outw(PM + PC_ACPI_PM1_CNT_OFFSET,
         ACPI_BITMASK_SCI_ENABLE | ACPI_BITMASK_SLEEP_ENABLE);
    assert_int_equal(qemu_shutdown_requested_get(),
                     SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
    /* SLP_EN does not read back. */
    assert_int_equal(inw(PM + PC_ACPI_PM1_CNT_OFFSET),
                     ACPI_BITMASK_SCI_ENABLE);
}

static void test_power_button(void **state)
{
    int status = 0;

    /* Status without enable: no SCI. */
    qemu_system_powerdown_request();
    main_loop_should_exit(&status);
    assert_true(inw(PM) & ACPI_BITMASK_POWER_BUTTON_STATUS);
    assert_int_equal(sci_level, 0);
    outw(PM, ACPI_BITMASK_POWER_BUTTON_STATUS);

    outw(PM + 2, ACPI_BITMASK_POWER_BUTTON_ENABLE);
    qemu_system_powerdown_request();
    assert_false(main_loop_should_exit(&status));
    assert_true(inw(PM) & ACPI_BITMASK_POWER_BUTTON_STATUS);
    assert_int_equal(sci_level, 1);
    assert_int_equal(sci_raises, 1);
    /* The OS acknowledges: write 1 to clear. */
    outw(PM, ACPI_BITMASK_POWER_BUTTON_STATUS);
    assert_int_equal(sci_level, 0);
}

static void test_gpe0(void **state)
{
    acpi_pm_send_gpe(pm, 9);
    assert_int_equal(inb(PM + PC_ACPI_GPE0_OFFSET + 1), 0x02);
    assert_int_equal(sci_level, 0);
    outb(PM + PC_ACPI_GPE0_OFFSET + 3, 0x02);
    assert_int_equal(sci_level, 1);
    outb(PM + PC_ACPI_GPE0_OFFSET + 1, 0x02);
    assert_int_equal(sci_level, 0);
    assert_int_equal(inb(PM + PC_ACPI_GPE0_OFFSET + 3), 0x02);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_reset_state, setup, teardown),
        cmocka_unit_test_setup_teardown(test_pm_timer_rate, setup, teardown),
        cmocka_unit_test_setup_teardown(test_timer_overflow_sci, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_s5_shutdown, setup, teardown),
        cmocka_unit_test_setup_teardown(test_power_button, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gpe0, setup, teardown),
    };

    main_loop_init();
    bql_lock();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
