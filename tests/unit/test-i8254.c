/*
 * Unit tests for the 8254 PIT (hw/timer/i8254.c) and port 0x61
 * (hw/misc/pcspk.c), through their ports, on a virtual clock the test
 * steps by hand (qemu_clock_advance_virtual_time), so every edge of IRQ 0
 * lands on an exact tick.
 */
#include "test.h"
#include "hw/timer/i8254.h"
#include "hw/misc/pcspk.h"
#include "system/timer.h"
#include "isa-test-machine.h"

typedef struct Fixture {
    ISABus *bus;
    IrqProbe irq0;
    qemu_irq lines[ISA_NUM_IRQS];
    ISADevice *pit;
} Fixture;

/* First ns at which k ticks have passed. */
static int64_t ticks_ns(uint64_t k)
{
    return ((unsigned __int128)k * NANOSECONDS_PER_SECOND + PIT_FREQ - 1) /
           PIT_FREQ;
}

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

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    f->bus = test_isa_bus_new();
    f->lines[0] = qemu_allocate_irq(irq_probe_handler, &f->irq0, 0);
    isa_bus_irqs(f->bus, f->lines);
    f->pit = i8254_pit_init(f->bus, 0x40, 0);
    pcspk_init(f->bus, I8254(f->pit));
    bus_cold_reset(BUS(f->bus));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    test_isa_bus_free(f->bus);
    qemu_free_irq(f->lines[0]);
    free(f);
    return 0;
}

static void reset_probe(IrqProbe *p)
{
    int level = p->level;
    memset(p, 0, sizeof(*p));
    p->level = level;
}

/* Program counter ch: control word then a 16-bit count; returns load time. */
static int64_t program(int ch, uint8_t mode_bits, uint16_t count)
{
    outb(0x43, (ch << 6) | 0x30 | mode_bits);
    outb(0x40 + ch, count & 0xff);
    outb(0x40 + ch, count >> 8);
    return now_ns();
}

static uint16_t read_count(int ch)
{
    uint16_t lo = inb(0x40 + ch);
    return lo | inb(0x40 + ch) << 8;
}

static uint16_t latch_count(int ch)
{
    outb(0x43, ch << 6);
    return read_count(ch);
}

/* After reset counter 0 runs in mode 3 with count 65536: ~18.2 Hz. */
static void test_power_on_irq0(void **state)
{
    Fixture *f = *state;
    int64_t t0 = now_ns();

    /* OUT went high when the reset ended, then once a period. */
    assert_int_equal(f->irq0.raises, 1);
    advance_to(t0 + 200 * SCALE_MS);
    assert_int_equal(f->irq0.raises, 4);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(f->irq0.raise_ns[i], t0 + ticks_ns(i * 65536));
    }
}

static void test_mode0_terminal_count(void **state)
{
    Fixture *f = *state;
    int64_t t0;

    outb(0x43, 0x30);               /* counter 0, LSB/MSB, mode 0 */
    assert_int_equal(f->irq0.level, 0);     /* OUT low after the control */
    reset_probe(&f->irq0);
    outb(0x40, 1000 & 0xff);
    outb(0x40, 1000 >> 8);
    t0 = now_ns();

    advance_to(t0 + ticks_ns(999));
    assert_int_equal(f->irq0.level, 0);
    assert_int_equal(latch_count(0), 1);
    advance_to(t0 + ticks_ns(1000));
    assert_int_equal(f->irq0.raises, 1);
    assert_int_equal(f->irq0.raise_ns[0], t0 + ticks_ns(1000));
    /* OUT stays high; the counter wraps on. */
    advance_to(t0 + ticks_ns(100000));
    assert_int_equal(f->irq0.raises, 1);
    assert_int_equal(f->irq0.level, 1);
    assert_int_equal(latch_count(0), (1000 + 65536 - 100000 % 65536) & 0xffff);
    /* A new control word takes OUT low again. */
    outb(0x43, 0x30);
    assert_int_equal(f->irq0.level, 0);
}

static void test_mode2_rate_generator(void **state)
{
    Fixture *f = *state;
    int64_t t0;

    t0 = program(0, 0x04, 1193);    /* mode 2, ~1 kHz */
    reset_probe(&f->irq0);
    advance_to(t0 + 10 * SCALE_MS + SCALE_MS / 2);
    assert_int_equal(f->irq0.raises, 10);
    assert_int_equal(f->irq0.lowers, 10);
    for (int i = 0; i < 10; i++) {
        /* Low for the tick at count 1, high again at reload. */
        assert_int_equal(f->irq0.raise_ns[i], t0 + ticks_ns((i + 1) * 1193));
    }
    /* Just before the 11th period ends, OUT is low. */
    advance_to(t0 + ticks_ns(11 * 1193 - 1));
    assert_int_equal(f->irq0.level, 0);
    assert_int_equal(latch_count(0), 1);
}

static void test_mode3_square_wave_via_port61(void **state)
{
    int64_t t0;
    uint8_t a, b;

    outb(0x61, 0x01);               /* gate 2 on, speaker off */
    t0 = program(2, 0x06, 100);     /* mode 3, period 100 */
    for (int period = 0; period < 3; period++) {
        advance_to(t0 + ticks_ns(period * 100 + 49));
        assert_int_equal(inb(0x61) & 0x20, 0x20);      /* high half */
        advance_to(t0 + ticks_ns(period * 100 + 50));
        assert_int_equal(inb(0x61) & 0x20, 0x00);      /* low half */
        advance_to(t0 + ticks_ns(period * 100 + 99));
        assert_int_equal(inb(0x61) & 0x20, 0x00);
    }
    /* Counts down by two. */
    advance_to(t0 + ticks_ns(310));
    assert_int_equal(latch_count(2), 80);
    /* Gate and speaker bits read back; bit 4 toggles each read. */
    outb(0x61, 0x03);
    a = inb(0x61);
    b = inb(0x61);
    assert_int_equal(a & 0x03, 0x03);
    assert_int_equal((a ^ b) & 0x10, 0x10);
    /* Gate low holds OUT high in mode 3. */
    outb(0x61, 0x00);
    assert_int_equal(inb(0x61) & 0x21, 0x20);
}

static void test_latch_and_flip_flop(void **state)
{
    int64_t t0 = program(0, 0x04, 10000);

    advance_to(t0 + ticks_ns(1000));
    outb(0x43, 0x00);               /* latch counter 0 */
    advance_to(t0 + ticks_ns(3000));
    /* The latched value survives time passing, until read. */
    assert_int_equal(read_count(0), 9000);
    assert_int_equal(read_count(0), 7000);
    /* A second latch before reading is ignored. */
    outb(0x43, 0x00);
    advance_to(t0 + ticks_ns(4000));
    outb(0x43, 0x00);
    assert_int_equal(read_count(0), 7000);

    /* LSB only and MSB only access. */
    outb(0x43, 0x14);               /* counter 0, LSB only, mode 2 */
    outb(0x40, 0x80);
    t0 = now_ns();
    advance_to(t0 + ticks_ns(0x10));
    assert_int_equal(inb(0x40), 0x70);
    outb(0x43, 0x24);               /* MSB only, mode 2 */
    outb(0x40, 0x12);               /* count 0x1200 */
    t0 = now_ns();
    advance_to(t0 + ticks_ns(0x100));
    assert_int_equal(inb(0x40), 0x11);
}

static void test_read_back(void **state)
{
    Fixture *f = *state;
    int64_t t0;

    outb(0x43, 0x34);               /* counter 0, LSB/MSB, mode 2 */
    /* Status: null count until a count is written. */
    outb(0x43, 0xe2);               /* read-back status only, counter 0 */
    assert_int_equal(inb(0x40), 0x80 | 0x40 | 0x30 | 0x04);
    outb(0x40, 0x00);
    outb(0x40, 0x10);               /* 0x1000 */
    t0 = now_ns();
    advance_to(t0 + ticks_ns(0x100));

    outb(0x43, 0xc2);               /* count and status, counter 0 */
    advance_to(t0 + ticks_ns(0x200));
    assert_int_equal(inb(0x40), 0x80 | 0x30 | 0x04);   /* status first */
    assert_int_equal(read_count(0), 0x0f00);           /* then the count */

    /* Read-back of counters 0 and 2 at once; count only. */
    outb(0x61, 0x01);
    program(2, 0x00, 0x0200);       /* mode 0 */
    outb(0x43, 0xda);               /* 11 0 1 1 0 1 0: count, ch 0 and 2 */
    advance_to(now_ns() + ticks_ns(0x50));
    assert_int_equal(read_count(2), 0x0200);
    /* Latched when the command was written, 0x200 ticks in. */
    assert_int_equal(read_count(0), 0x0e00);
    (void)f;
}

static void test_bcd(void **state)
{
    Fixture *f = *state;
    int64_t t0;

    outb(0x43, 0x31);               /* counter 0, LSB/MSB, mode 0, BCD */
    outb(0x40, 0x00);
    outb(0x40, 0x10);               /* 1000 decimal */
    t0 = now_ns();
    advance_to(t0 + ticks_ns(250));
    assert_int_equal(latch_count(0), 0x0750);
    reset_probe(&f->irq0);
    advance_to(t0 + ticks_ns(1000));
    assert_int_equal(f->irq0.raises, 1);
    assert_int_equal(f->irq0.raise_ns[0], t0 + ticks_ns(1000));
    /* BCD wraps at 10000: 1000 - 1001 = 9999. */
    advance_to(t0 + ticks_ns(1001));
    assert_int_equal(latch_count(0), 0x9999);
}

/* Linux's TSC calibration: counter 2, mode 0, gate via port 0x61. */
static void test_channel2_mode0_poll(void **state)
{
    int64_t t0;
    int polls = 0;

    outb(0x61, (inb(0x61) & ~0x02) | 0x01);
    t0 = program(2, 0x00, 0xffff);
    assert_int_equal(inb(0x61) & 0x20, 0);
    while (!(inb(0x61) & 0x20)) {
        advance_to(now_ns() + 100 * SCALE_US);
        polls++;
        assert_true(polls < 1000);
    }
    assert_true(now_ns() >= t0 + ticks_ns(0xffff));
    assert_true(now_ns() < t0 + ticks_ns(0xffff) + 100 * SCALE_US);
}

static void test_mode1_and_mode4(void **state)
{
    Fixture *f = *state;
    int64_t t0;

    /* Mode 1 waits for a rising gate, then OUT is low for the count. */
    outb(0x61, 0x00);
    program(2, 0x02, 100);
    advance_to(now_ns() + ticks_ns(500));
    assert_int_equal(inb(0x61) & 0x20, 0x20);
    outb(0x61, 0x01);
    t0 = now_ns();
    assert_int_equal(inb(0x61) & 0x20, 0x00);
    advance_to(t0 + ticks_ns(99));
    assert_int_equal(inb(0x61) & 0x20, 0x00);
    advance_to(t0 + ticks_ns(100));
    assert_int_equal(inb(0x61) & 0x20, 0x20);

    /* Mode 4: one low tick at terminal count on IRQ 0. */
    t0 = program(0, 0x08, 50);
    reset_probe(&f->irq0);
    assert_int_equal(f->irq0.level, 1);
    advance_to(t0 + ticks_ns(1000));
    assert_int_equal(f->irq0.lowers, 1);
    assert_int_equal(f->irq0.raises, 1);
    assert_int_equal(f->irq0.raise_ns[0], t0 + ticks_ns(51));
}

static void test_reset_stops_counters(void **state)
{
    Fixture *f = *state;
    int64_t t0;

    program(0, 0x04, 100);
    bus_cold_reset(BUS(f->bus));
    reset_probe(&f->irq0);
    t0 = now_ns();
    /* Back to power-on: mode 3, 65536, no 100-tick interrupts. */
    advance_to(t0 + ticks_ns(65535));
    assert_int_equal(f->irq0.raises, 0);
    advance_to(t0 + ticks_ns(65536));
    assert_int_equal(f->irq0.raises, 1);
    assert_int_equal(inb(0x61) & 0x01, 0);      /* gate 2 low */
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_power_on_irq0),
        T(test_mode0_terminal_count),
        T(test_mode2_rate_generator),
        T(test_mode3_square_wave_via_port61),
        T(test_latch_and_flip_flop),
        T(test_read_back),
        T(test_bcd),
        T(test_channel2_mode0_poll),
        T(test_mode1_and_mode4),
        T(test_reset_stops_counters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
