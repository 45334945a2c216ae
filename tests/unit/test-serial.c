/*
 * Unit tests for the 16550A UART (hw/char/serial.c) and isa-debugcon,
 * driven through address_space_io as a guest drives them, with a ringbuf
 * chardev as the host side and a hand-stepped virtual clock.
 */
#include "test.h"
#include "hw/char/serial.h"
#include "hw/qdev-properties.h"
#include "chardev/char.h"
#include "system/timer.h"
#include "migration/savevm.h"
#include "migration/vmstate.h"
#include "isa-test-machine.h"
#include "system/main-loop.h"
#include <fcntl.h>
#include <sys/stat.h>

#define COM1 0x3f8
#define COM1_IRQ 4

typedef struct Fixture {
    ISABus *bus;
    IrqProbe irq[ISA_NUM_IRQS];
    qemu_irq lines[ISA_NUM_IRQS];
    Chardev *chr;
    ISASerialState *uart;
} Fixture;

static int64_t now_ns(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

static void advance_to(int64_t t)
{
    qemu_clock_advance_virtual_time(t);
}

static void uart_out(int reg, uint8_t val)
{
    outb(COM1 + reg, val);
}

static uint8_t uart_in(int reg)
{
    return inb(COM1 + reg);
}

static int setup(void **state)
{
    Fixture *f = xnew(Fixture);

    qemu_clock_enable(QEMU_CLOCK_VIRTUAL, false);
    f->bus = test_isa_bus_new();
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        f->lines[i] = qemu_allocate_irq(irq_probe_handler, f->irq, i);
    }
    isa_bus_irqs(f->bus, f->lines);
    f->chr = qemu_chr_new_cmdline("ringbuf,id=ser0,size=128K", &error_abort);
    f->uart = serial_isa_init(f->bus, 0, f->chr);
    bus_cold_reset(BUS(f->bus));
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;

    test_isa_bus_free(f->bus);
    for (int i = 0; i < ISA_NUM_IRQS; i++) {
        qemu_free_irq(f->lines[i]);
    }
    qemu_chr_cleanup();
    free(f);
    return 0;
}

/* What the guest sent so far (the ring is drained). */
static int host_output(Fixture *f, uint8_t *buf, int len)
{
    return qemu_chr_ringbuf_read(f->chr, buf, len);
}

/* The host sends bytes, as much as the UART says it takes; returns count. */
static int host_send(Fixture *f, const uint8_t *buf, int len)
{
    int n = MIN(qemu_chr_be_can_write(f->chr), len);

    if (n > 0) {
        qemu_chr_be_write(f->chr, buf, n);
    }
    return n;
}

static void host_send_all(Fixture *f, const char *str)
{
    int len = strlen(str);

    assert_int_equal(host_send(f, (const uint8_t *)str, len), len);
}

/* 8N1 at 115200 / divisor. */
static void set_baud(int divisor)
{
    uart_out(UART_LCR, UART_LCR_DLAB);
    uart_out(UART_DLL, divisor & 0xff);
    uart_out(UART_DLM, divisor >> 8);
    uart_out(UART_LCR, 0x03);
}

static void test_reset_values(void **state)
{
    Fixture *f = *state;

    assert_int_equal(uart_in(UART_IER), 0);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_NO_INT);
    assert_int_equal(uart_in(UART_LCR), 0);
    assert_int_equal(uart_in(UART_MCR), UART_MCR_OUT2);
    assert_int_equal(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    assert_int_equal(uart_in(UART_MSR), 0xb0);
    assert_int_equal(f->irq[COM1_IRQ].level, 0);
    /* Unused ports stay unclaimed (all ones). */
    assert_int_equal(inb(COM1 + 8), 0xff);
}

static void test_tx_in_order(void **state)
{
    Fixture *f = *state;
    const char *msg = "Hello, 16550A!\r\n";
    uint8_t buf[64];

    for (const char *p = msg; *p; p++) {
        assert_true(uart_in(UART_LSR) & UART_LSR_THRE);
        uart_out(UART_THR, *p);
    }
    /* And with the FIFOs on. */
    uart_out(UART_FCR, UART_FCR_FE);
    for (const char *p = msg; *p; p++) {
        uart_out(UART_THR, *p);
    }
    assert_int_equal(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    assert_int_equal(host_output(f, buf, sizeof(buf)), 2 * strlen(msg));
    assert_memory_equal(buf, msg, strlen(msg));
    assert_memory_equal(buf + strlen(msg), msg, strlen(msg));
}

static void test_scratch(void **state)
{
    uart_out(UART_SCR, 0x5a);
    assert_int_equal(uart_in(UART_SCR), 0x5a);
    uart_out(UART_SCR, 0xa5);
    assert_int_equal(uart_in(UART_SCR), 0xa5);
}

static void test_divisor_latch(void **state)
{
    Fixture *f = *state;

    uart_out(UART_IER, UART_IER_RDI);
    uart_out(UART_LCR, UART_LCR_DLAB | 0x03);
    assert_int_equal(uart_in(UART_DLL), 12);     /* 9600 after reset */
    assert_int_equal(uart_in(UART_DLM), 0);
    uart_out(UART_DLL, 0x34);
    uart_out(UART_DLM, 0x12);
    assert_int_equal(uart_in(UART_DLL), 0x34);
    assert_int_equal(uart_in(UART_DLM), 0x12);
    assert_int_equal(uart_in(UART_LCR), UART_LCR_DLAB | 0x03);
    /* Latch writes neither sent a byte nor changed IER. */
    assert_int_equal(qemu_chr_ringbuf_count(f->chr), 0);
    uart_out(UART_LCR, 0x03);
    assert_int_equal(uart_in(UART_IER), UART_IER_RDI);
    uart_out(UART_LCR, UART_LCR_DLAB);
    assert_int_equal(uart_in(UART_DLL), 0x34);
    assert_int_equal(uart_in(UART_DLM), 0x12);
    assert_int_equal(f->uart->state.divider, 0x1234);
}

/* The timeout runs 4 character times; divisor 0 must not crash. */
static void check_timeout_after(Fixture *f, int64_t char_ns)
{
    int64_t t0 = now_ns();
    int raises = f->irq[COM1_IRQ].raises;

    host_send_all(f, "ab");
    assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_NO_INT);
    advance_to(t0 + 4 * char_ns - 1);
    assert_int_equal(f->irq[COM1_IRQ].level, 0);
    advance_to(t0 + 4 * char_ns);
    assert_int_equal(f->irq[COM1_IRQ].level, 1);
    assert_int_equal(f->irq[COM1_IRQ].raises, raises + 1);
    assert_int_equal(f->irq[COM1_IRQ].raise_ns[raises], t0 + 4 * char_ns);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_CTI);

    /* A read acknowledges it and restarts the count. */
    t0 = now_ns();
    assert_int_equal(uart_in(UART_RBR), 'a');
    assert_int_equal(f->irq[COM1_IRQ].level, 0);
    advance_to(t0 + 4 * char_ns);
    assert_int_equal(f->irq[COM1_IRQ].level, 1);
    assert_int_equal(uart_in(UART_RBR), 'b');
    assert_int_equal(f->irq[COM1_IRQ].level, 0);
    advance_to(now_ns() + 100 * char_ns);
    assert_int_equal(f->irq[COM1_IRQ].level, 0);
}

static void test_char_timeout(void **state)
{
    Fixture *f = *state;

    uart_out(UART_FCR, UART_FCR_FE | 0x80);      /* trigger level 8 */
    uart_out(UART_IER, UART_IER_RDI);

    set_baud(12);                                /* 9600 8N1 */
    check_timeout_after(f, NANOSECONDS_PER_SECOND * 10 * 12 / 115200);
    set_baud(1);                                 /* 115200 8N1 */
    check_timeout_after(f, NANOSECONDS_PER_SECOND * 10 / 115200);
    uart_out(UART_LCR, 0x0f);                    /* 8 bits, parity, 2 stop */
    check_timeout_after(f, NANOSECONDS_PER_SECOND * 12 / 115200);
    set_baud(0);                                 /* about 3500 baud */
    check_timeout_after(f, NANOSECONDS_PER_SECOND * 10 / 3500);
}

static void test_fifo_trigger_levels(void **state)
{
    Fixture *f = *state;
    static const struct { uint8_t bits; int level; } itl[] = {
        { 0x00, 1 }, { 0x40, 4 }, { 0x80, 8 }, { 0xc0, 14 },
    };

    uart_out(UART_IER, UART_IER_RDI);
    for (size_t i = 0; i < ARRAY_SIZE(itl); i++) {
        uart_out(UART_FCR, UART_FCR_FE | UART_FCR_RFR | itl[i].bits);
        assert_int_equal(qemu_chr_be_can_write(f->chr), UART_FIFO_LENGTH);
        for (int n = 0; n < itl[i].level - 1; n++) {
            host_send_all(f, "x");
        }
        assert_int_equal(f->irq[COM1_IRQ].level, 0);
        assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_NO_INT);
        if (itl[i].level > 1) {
            assert_true(uart_in(UART_LSR) & UART_LSR_DR);
        }
        host_send_all(f, "y");
        assert_int_equal(f->irq[COM1_IRQ].level, 1);
        assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_RDI);
        assert_int_equal(qemu_chr_be_can_write(f->chr),
                         UART_FIFO_LENGTH - itl[i].level);
        /* Below the level again: the interrupt goes. */
        assert_int_equal(uart_in(UART_RBR), itl[i].level == 1 ? 'y' : 'x');
        assert_int_equal(f->irq[COM1_IRQ].level, 0);
    }
    /* Fill the FIFO: the host is told there is no room, nothing is lost. */
    uart_out(UART_FCR, UART_FCR_FE | UART_FCR_RFR);
    assert_int_equal(host_send(f, (const uint8_t *)"0123456789abcdefXYZ",
                               19), 16);
    assert_int_equal(qemu_chr_be_can_write(f->chr), 0);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(uart_in(UART_RBR), "0123456789abcdef"[i]);
    }
    assert_int_equal(uart_in(UART_LSR) & (UART_LSR_DR | UART_LSR_OE), 0);

    /* FIFO off: one byte at a time. */
    uart_out(UART_FCR, 0);
    assert_int_equal(uart_in(UART_IIR) & UART_IIR_FE, 0);
    assert_int_equal(qemu_chr_be_can_write(f->chr), 1);
    host_send_all(f, "q");
    assert_int_equal(qemu_chr_be_can_write(f->chr), 0);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_RDI);
    assert_int_equal(uart_in(UART_RBR), 'q');
    assert_int_equal(uart_in(UART_IIR), UART_IIR_NO_INT);
}

static void test_iir_priority(void **state)
{
    Fixture *f = *state;

    uart_out(UART_FCR, UART_FCR_FE | 0x40);      /* trigger level 4 */
    uart_out(UART_IER, 0x0f);
    /* THR is empty: enabling THRI raises it at once. */
    assert_int_equal(f->irq[COM1_IRQ].level, 1);
    /* A modem line change (through loopback) is lowest priority. */
    uart_out(UART_MCR, UART_MCR_LOOP);
    uart_out(UART_MCR, UART_MCR_OUT2);
    assert_true(f->uart->state.msr & UART_MSR_ANY_DELTA);
    /* One byte, below the trigger level: no RDA yet. */
    host_send_all(f, "a");
    assert_int_equal(f->uart->state.iir, UART_IIR_FE | UART_IIR_THRI);
    /* After 4 character times: the timeout beats THRE. */
    advance_to(now_ns() + 4 * f->uart->state.char_transmit_time);
    assert_int_equal(f->uart->state.iir, UART_IIR_FE | UART_IIR_CTI);
    /* Reaching the trigger level: RDA beats the timeout. */
    host_send_all(f, "bcd");
    assert_int_equal(f->uart->state.iir, UART_IIR_FE | UART_IIR_RDI);
    /* A break beats everything. */
    qemu_chr_be_event(f->chr, CHR_EVENT_BREAK);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_RLSI);
    assert_int_equal(uart_in(UART_LSR) & (UART_LSR_BI | UART_LSR_DR),
                     UART_LSR_BI | UART_LSR_DR);
    assert_int_equal(uart_in(UART_LSR) & UART_LSR_BI, 0);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_RDI);
    /* Drain the data, the NUL of the break last. */
    assert_int_equal(uart_in(UART_RBR), 'a');
    assert_int_equal(uart_in(UART_RBR), 'b');
    assert_int_equal(uart_in(UART_RBR), 'c');
    assert_int_equal(uart_in(UART_RBR), 'd');
    assert_int_equal(uart_in(UART_RBR), 0);
    assert_int_equal(uart_in(UART_LSR) & UART_LSR_DR, 0);
    /* Then THRE (acknowledged by reading IIR), then modem status. */
    assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_THRI);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_MSI);
    assert_int_equal(f->irq[COM1_IRQ].level, 1);
    assert_int_equal(uart_in(UART_MSR) & UART_MSR_ANY_DELTA,
                     UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_NO_INT);
    assert_int_equal(f->irq[COM1_IRQ].level, 0);
}

static void test_thre_interrupt(void **state)
{
    Fixture *f = *state;
    IrqProbe *p = &f->irq[COM1_IRQ];

    uart_out(UART_IER, UART_IER_THRI);
    assert_int_equal(p->level, 1);
    assert_int_equal(p->raises, 1);
    /* Reading IIR acknowledges it. */
    assert_int_equal(uart_in(UART_IIR), UART_IIR_THRI);
    assert_int_equal(p->level, 0);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_NO_INT);
    /* Sending a byte empties THR again: raised again. */
    uart_out(UART_THR, 'x');
    assert_int_equal(p->level, 1);
    assert_int_equal(p->raises, 2);
    /* Disabling THRI lowers it; enabling with THR empty raises it. */
    uart_out(UART_IER, 0);
    assert_int_equal(p->level, 0);
    uart_out(UART_IER, UART_IER_THRI);
    assert_int_equal(p->level, 1);
    assert_int_equal(p->raises, 3);
    /* Re-enabling after an acknowledge re-raises too. */
    assert_int_equal(uart_in(UART_IIR), UART_IIR_THRI);
    uart_out(UART_IER, 0);
    uart_out(UART_IER, UART_IER_THRI);
    assert_int_equal(p->raises, 4);
    /* Writing IER with THRI unchanged does not. */
    assert_int_equal(uart_in(UART_IIR), UART_IIR_THRI);
    uart_out(UART_IER, UART_IER_THRI);
    assert_int_equal(p->level, 0);
}

static void test_loopback(void **state)
{
    Fixture *f = *state;
    uint8_t out[4];

    uart_out(UART_FCR, UART_FCR_FE);
    uart_out(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
    /* Linux's autoconfig check: RTS->CTS, OUT2->DCD. */
    assert_int_equal(uart_in(UART_MSR) & 0xf0, 0x90);
    assert_int_equal(uart_in(UART_MSR) & UART_MSR_ANY_DELTA, 0);
    uart_out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_OUT1);
    assert_int_equal(uart_in(UART_MSR),
                     UART_MSR_DSR | UART_MSR_RI | UART_MSR_DCTS |
                     UART_MSR_DDSR | UART_MSR_DDCD);
    /* RI's falling edge is TERI; its rising edge is nothing. */
    uart_out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
    assert_int_equal(uart_in(UART_MSR), UART_MSR_DSR | UART_MSR_TERI);

    /* Host input waits while the line is disconnected. */
    assert_int_equal(qemu_chr_be_can_write(f->chr), 0);
    uart_out(UART_THR, 'l');
    uart_out(UART_THR, 'o');
    uart_out(UART_THR, 'o');
    uart_out(UART_THR, 'p');
    assert_int_equal(uart_in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    assert_int_equal(uart_in(UART_RBR), 'l');
    assert_int_equal(uart_in(UART_RBR), 'o');
    assert_int_equal(uart_in(UART_RBR), 'o');
    assert_int_equal(uart_in(UART_RBR), 'p');
    assert_int_equal(uart_in(UART_LSR) & UART_LSR_DR, 0);
    assert_int_equal(host_output(f, out, sizeof(out)), 0);

    /* Back to normal: output goes out, input comes in. */
    uart_out(UART_MCR, UART_MCR_OUT2);
    assert_int_equal(uart_in(UART_MSR) & 0xf0, 0xb0);
    uart_out(UART_THR, '!');
    assert_int_equal(host_output(f, out, sizeof(out)), 1);
    assert_int_equal(out[0], '!');
    assert_int_equal(qemu_chr_be_can_write(f->chr), UART_FIFO_LENGTH);
}

/*
 * A 64 KiB stream at full speed against a guest that reads one byte per
 * virtual millisecond: flow control holds the rest in the host.
 */
static void test_slow_reader(void **state)
{
    Fixture *f = *state;
    enum { STREAM = 64 * 1024 };
    uint8_t *data = xmalloc(STREAM);
    int sent = 0, got = 0;

    for (int i = 0; i < STREAM; i++) {
        data[i] = i * 7 + (i >> 8);
    }
    uart_out(UART_FCR, UART_FCR_FE | 0xc0);
    uart_out(UART_IER, UART_IER_RDI | UART_IER_RLSI);
    set_baud(1);
    while (got < STREAM) {
        if (sent < STREAM) {
            sent += host_send(f, data + sent, STREAM - sent);
        }
        advance_to(now_ns() + SCALE_MS);
        uint8_t lsr = uart_in(UART_LSR);
        assert_int_equal(lsr & UART_LSR_OE, 0);
        assert_true(lsr & UART_LSR_DR);
        assert_int_equal(uart_in(UART_RBR), data[got]);
        got++;
        /* Never more than the FIFO outstanding on the guest side. */
        assert_true(sent - got <= UART_FIFO_LENGTH);
    }
    assert_int_equal(sent, STREAM);
    assert_int_equal(uart_in(UART_LSR) & (UART_LSR_DR | UART_LSR_OE), 0);
    assert_int_equal(f->irq[COM1_IRQ].level, 0);
    free(data);
}

/*
 * A host side that takes a few bytes and then nothing until it says it
 * has room: a ringbuf with its write wrapped.
 */
static ChardevClass slow_driver;
static const ChardevClass *ringbuf_driver;
static int slow_budget;
static int slow_calls;
static int slow_watches;

static int slow_write(Chardev *chr, const uint8_t *buf, int len)
{
    int n = MIN(len, slow_budget);

    slow_calls++;
    slow_budget -= n;
    return n ? ringbuf_driver->chr_write(chr, buf, n) : 0;
}

static bool slow_add_write_watch(Chardev *chr)
{
    slow_watches++;
    return true;
}

static void make_slow(Fixture *f)
{
    ringbuf_driver = f->chr->driver;
    slow_driver = *ringbuf_driver;
    slow_driver.chr_write = slow_write;
    slow_driver.chr_add_write_watch = slow_add_write_watch;
    f->chr->driver = &slow_driver;
    slow_budget = 0;
    slow_calls = 0;
    slow_watches = 0;
}

/* The host drains: room for 3 more bytes. */
static void host_room(Fixture *f)
{
    slow_budget = 3;
    qemu_chr_be_write_ready(f->chr);
}

static void check_slow_backend(Fixture *f, bool fifo)
{
    enum { LEN = 4096 };
    uint8_t *data = xmalloc(LEN), *out = xmalloc(LEN);
    int written = 0, stalls = 0;
    int chunk = fifo ? UART_FIFO_LENGTH : 1;

    for (int i = 0; i < LEN; i++) {
        data[i] = i ^ (i >> 5);
    }
    uart_out(UART_FCR, fifo ? UART_FCR_FE : 0);
    uart_out(UART_IER, UART_IER_THRI);
    assert_int_equal(uart_in(UART_IIR) & UART_IIR_ID, UART_IIR_THRI);
    make_slow(f);
    while (written < LEN) {
        uint8_t lsr = uart_in(UART_LSR);
        if (!(lsr & UART_LSR_THRE)) {
            /* Stalled: no interrupt, not empty, and no spinning. */
            assert_int_equal(lsr & UART_LSR_TEMT, 0);
            assert_int_equal(f->irq[COM1_IRQ].level, 0);
            host_room(f);
            stalls++;
            continue;
        }
        for (int i = 0; i < chunk && written < LEN; i++) {
            uart_out(UART_THR, data[written++]);
        }
    }
    while (!(uart_in(UART_LSR) & UART_LSR_TEMT)) {
        host_room(f);
        stalls++;
    }
    assert_true(stalls > LEN / 4);
    /* One call per accepted chunk plus one per refusal. */
    assert_true(slow_calls <= LEN + stalls + 1);
    assert_true(slow_watches <= stalls + 1);
    /* THRE interrupt came back once all was sent. */
    assert_int_equal(f->irq[COM1_IRQ].level, 1);
    assert_int_equal(qemu_chr_ringbuf_count(f->chr), LEN);
    assert_int_equal(host_output(f, out, LEN), LEN);
    assert_memory_equal(out, data, LEN);
    f->chr->driver = ringbuf_driver;
    free(data);
    free(out);
}

static void test_slow_backend_fifo(void **state)
{
    check_slow_backend(*state, true);
}

static void test_slow_backend_no_fifo(void **state)
{
    check_slow_backend(*state, false);
}

/* THRE and TEMT while a byte waits for the host. */
static void test_tx_stall_flags(void **state)
{
    Fixture *f = *state;
    uint8_t out[8];

    uart_out(UART_FCR, UART_FCR_FE);
    make_slow(f);
    uart_out(UART_THR, 'a');
    /* 'a' sits in the shift register: the FIFO is empty, TX is not. */
    assert_int_equal(uart_in(UART_LSR), UART_LSR_THRE);
    uart_out(UART_THR, 'b');
    assert_int_equal(uart_in(UART_LSR), 0);
    /* A transmit FIFO reset drops 'b' but not the byte being sent. */
    uart_out(UART_FCR, UART_FCR_FE | UART_FCR_XFR);
    assert_int_equal(uart_in(UART_LSR), UART_LSR_THRE);
    host_room(f);
    assert_int_equal(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    f->chr->driver = ringbuf_driver;
    assert_int_equal(host_output(f, out, sizeof(out)), 1);
    assert_int_equal(out[0], 'a');

    /* A reset while stalled forgets the watch: its firing is harmless. */
    make_slow(f);
    uart_out(UART_THR, 'c');
    assert_int_equal(uart_in(UART_LSR) & UART_LSR_TEMT, 0);
    device_cold_reset(DEVICE(f->uart));
    assert_int_equal(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    host_room(f);
    f->chr->driver = ringbuf_driver;
    assert_int_equal(host_output(f, out, sizeof(out)), 0);
}

static void test_reset(void **state)
{
    Fixture *f = *state;
    IrqProbe *p = &f->irq[COM1_IRQ];

    uart_out(UART_FCR, UART_FCR_FE | 0x40);
    uart_out(UART_IER, 0x0f);
    uart_out(UART_SCR, 0x77);
    uart_out(UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
    set_baud(3);
    uart_out(UART_LCR, 0x1b);
    host_send_all(f, "data");
    assert_int_equal(p->level, 1);
    int lowers = p->lowers;

    device_cold_reset(DEVICE(f->uart));
    assert_int_equal(p->level, 0);
    assert_int_equal(p->lowers, lowers + 1);
    assert_int_equal(uart_in(UART_IER), 0);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_NO_INT);
    assert_int_equal(uart_in(UART_LCR), 0);
    assert_int_equal(uart_in(UART_MCR), UART_MCR_OUT2);
    assert_int_equal(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    assert_int_equal(uart_in(UART_MSR), 0xb0);
    assert_int_equal(uart_in(UART_SCR), 0);
    uart_out(UART_LCR, UART_LCR_DLAB);
    assert_int_equal(uart_in(UART_DLL), 12);
    assert_int_equal(uart_in(UART_DLM), 0);
    uart_out(UART_LCR, 0);
    /* The receive FIFO was emptied and input flows again. */
    assert_int_equal(qemu_chr_be_can_write(f->chr), 1);
    /* No timer left over from before. */
    advance_to(now_ns() + NANOSECONDS_PER_SECOND);
    assert_int_equal(p->level, 0);
}

static void test_properties(void **state)
{
    Fixture *f = *state;
    Error *err = NULL;
    DeviceState *dev;

    /* Unknown chardev. */
    dev = qdev_new(TYPE_ISA_SERIAL);
    qdev_prop_set_string(dev, "chardev", "nosuch");
    assert_false(qdev_realize_and_unref(dev, BUS(f->bus), &err));
    assert_string_equal(error_get_pretty(err),
                        "Property 'isa-serial.chardev' can't find value "
                        "'nosuch'");
    error_free(err);
    err = NULL;

    /* A chardev has one frontend. */
    dev = qdev_new(TYPE_ISA_SERIAL);
    qdev_prop_set_string(dev, "chardev", "ser0");
    assert_false(qdev_realize_and_unref(dev, BUS(f->bus), &err));
    assert_string_equal(error_get_pretty(err), "Device 'ser0' is in use");
    error_free(err);
    err = NULL;

    /* Bad index. */
    dev = qdev_new(TYPE_ISA_SERIAL);
    qdev_prop_set_uint32(dev, "index", 4);
    assert_false(qdev_realize_and_unref(dev, BUS(f->bus), &err));
    assert_string_equal(error_get_pretty(err),
                        "Max. supported number of ISA serial ports is 4.");
    error_free(err);
    err = NULL;

    /* No index: the next free one, COM2, then COM3 with a chosen IRQ. */
    dev = qdev_new(TYPE_ISA_SERIAL);
    qdev_realize_and_unref(dev, BUS(f->bus), &error_abort);
    assert_int_equal(ISA_SERIAL(dev)->index, 1);
    assert_int_equal(ISA_SERIAL(dev)->iobase, 0x2f8);
    assert_int_equal(ISA_SERIAL(dev)->isairq, 3);
    dev = qdev_new(TYPE_ISA_SERIAL);
    qdev_prop_set_uint32(dev, "irq", 5);
    qdev_realize_and_unref(dev, BUS(f->bus), &error_abort);
    assert_int_equal(ISA_SERIAL(dev)->iobase, 0x3e8);
    assert_int_equal(ISA_SERIAL(dev)->isairq, 5);
    /* COM3 answers at 0x3e8 on IRQ 5 (no chardev: output dropped). */
    outb(0x3e8 + UART_SCR, 0x42);
    assert_int_equal(inb(0x3e8 + UART_SCR), 0x42);
    outb(0x3e8 + UART_IER, UART_IER_THRI);
    assert_int_equal(f->irq[5].level, 1);
    outb(0x3e8 + UART_THR, 'z');
    assert_int_equal(inb(0x3e8 + UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
}

static void test_serial_hds(void **state)
{
    Fixture *f = *state;
    Error *err = NULL;

    serial_hds_clear();
    assert_null(serial_hd(0));
    assert_true(serial_hds_add(f->chr, &error_abort));
    assert_true(serial_hds_add(NULL, &error_abort));
    assert_true(serial_hds_add(NULL, &error_abort));
    assert_true(serial_hds_add(NULL, &error_abort));
    assert_false(serial_hds_add(NULL, &err));
    assert_non_null(err);
    error_free(err);
    assert_ptr_equal(serial_hd(0), f->chr);
    assert_null(serial_hd(1));
    assert_null(serial_hd(-1));
    assert_null(serial_hd(7));
    assert_int_equal(serial_max_hds(), 4);
    serial_hds_clear();
    assert_int_equal(serial_max_hds(), 0);
}

static void test_debugcon(void **state)
{
    Fixture *f = *state;
    Chardev *dbg = qemu_chr_new_cmdline("ringbuf,id=dbg,size=1k",
                                        &error_abort);
    Chardev *dbg2 = qemu_chr_new_cmdline("ringbuf,id=dbg2", &error_abort);
    const char *msg = "SeaBIOS (version rel-1.16)\n";
    Error *err = NULL;
    uint8_t buf[64];
    DeviceState *dev;

    dev = qdev_new("isa-debugcon");
    qdev_prop_set_uint32(dev, "iobase", 0x402);
    qdev_prop_set_string(dev, "chardev", "dbg");
    qdev_realize_and_unref(dev, BUS(f->bus), &error_abort);
    for (const char *p = msg; *p; p++) {
        outb(0x402, *p);
    }
    assert_int_equal(inb(0x402), 0xe9);
    assert_int_equal(qemu_chr_ringbuf_read(dbg, buf, sizeof(buf)),
                     strlen(msg));
    assert_memory_equal(buf, msg, strlen(msg));

    /* Defaults: port 0xe9; readback is a property. */
    dev = qdev_new("isa-debugcon");
    qdev_prop_set_string(dev, "chardev", "dbg2");
    qdev_prop_set_uint32(dev, "readback", 0x42);
    qdev_realize_and_unref(dev, BUS(f->bus), &error_abort);
    outb(0xe9, 'Q');
    assert_int_equal(inb(0xe9), 0x42);
    assert_int_equal(qemu_chr_ringbuf_read(dbg2, buf, sizeof(buf)), 1);
    assert_int_equal(buf[0], 'Q');

    dev = qdev_new("isa-debugcon");
    qdev_prop_set_string(dev, "chardev", "missing");
    assert_false(qdev_realize_and_unref(dev, BUS(f->bus), &err));
    assert_string_equal(error_get_pretty(err),
                        "Property 'isa-debugcon.chardev' can't find value "
                        "'missing'");
    error_free(err);
}

static void test_ringbuf_backend(void **state)
{
    Error *err = NULL;
    Chardev *chr;
    uint8_t buf[8];

    assert_null(qemu_chr_new_cmdline("ringbuf,id=r1,size=1000", &err));
    assert_string_equal(error_get_pretty(err), "chardev: ringbuf: size of "
                        "ringbuf chardev must be power of two");
    error_free(err);
    err = NULL;
    assert_null(qemu_chr_new_cmdline("ringbuf,id=r1,path=x", &err));
    assert_string_equal(error_get_pretty(err),
                        "chardev: ringbuf: invalid parameter 'path'");
    error_free(err);

    /* "memory" is the old name; the oldest bytes are overwritten. */
    chr = qemu_chr_new_cmdline("memory,id=r2,size=4", &error_abort);
    assert_int_equal(qemu_chr_write(chr, (const uint8_t *)"abcdef", 6,
                                    false), 6);
    assert_int_equal(qemu_chr_ringbuf_count(chr), 4);
    assert_int_equal(qemu_chr_ringbuf_read(chr, buf, 2), 2);
    assert_memory_equal(buf, "cd", 2);
    assert_int_equal(qemu_chr_ringbuf_write(chr, (const uint8_t *)"g", 1), 1);
    assert_int_equal(qemu_chr_ringbuf_read(chr, buf, 8), 3);
    assert_memory_equal(buf, "efg", 3);
    assert_int_equal(qemu_chr_ringbuf_read(qemu_chr_find("ser0"), buf, 8), 0);
    qemu_chr_delete(chr);
}

static uint8_t *savevm(size_t *len)
{
    QEMUFile *f = qemu_file_new_buffer_output();
    const uint8_t *data;
    uint8_t *copy;

    assert_int_equal(qemu_savevm_state(f, &error_abort), 0);
    data = qemu_file_buffer_data(f, len);
    copy = xmalloc(*len);
    memcpy(copy, data, *len);
    qemu_fclose(f);
    return copy;
}

static void loadvm(const uint8_t *data, size_t len)
{
    QEMUFile *f = qemu_file_new_buffer_input(data, len);

    assert_int_equal(qemu_loadvm_state(f, &error_abort), 0);
    qemu_fclose(f);
}

/* Run the main loop until COM2 has a byte (at most about 5 s). */
static bool com2_wait_byte(void)
{
    for (int i = 0; i < 5000; i++) {
        main_loop_wait(true);
        if (inb(0x2f8 + UART_LSR) & UART_LSR_DR) {
            return true;
        }
        usleep(1000);
    }
    return false;
}

/*
 * A host that types while the UART is full stops being read (flow
 * control); a loadvm that empties the UART must start reading again, or
 * the console stays deaf (input typed on a migration destination before
 * the stream arrived).
 */
static void test_loadvm_resumes_input(void **state)
{
    char dir[] = "/tmp/test-serial-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *base = xasprintf("%s/com2", dir);
    char *in = xasprintf("%s.in", base), *out = xasprintf("%s.out", base);
    char *spec = xasprintf("pipe:%s", base);
    assert_int_equal(mkfifo(in, 0600), 0);
    assert_int_equal(mkfifo(out, 0600), 0);

    Fixture *f = *state;
    Chardev *chr = qemu_chr_new("com2", spec, &error_abort);
    ISASerialState *uart2 = serial_isa_init(f->bus, 1, chr);
    device_cold_reset(DEVICE(uart2));
    int wfd = open(in, O_WRONLY);
    assert_true(wfd >= 0);

    size_t empty_len;
    uint8_t *empty = savevm(&empty_len);

    /* FIFO off: one byte fills the UART, the second waits in the pipe. */
    assert_int_equal(write(wfd, "ab", 2), 2);
    assert_true(com2_wait_byte());
    for (int i = 0; i < 20; i++) {
        main_loop_wait(true);
    }
    assert_int_equal(qemu_chr_be_can_write(chr), 0);

    loadvm(empty, empty_len);
    assert_int_equal(inb(0x2f8 + UART_LSR) & UART_LSR_DR, 0);
    assert_true(com2_wait_byte());
    assert_int_equal(inb(0x2f8 + UART_RBR), 'b');

    close(wfd);
    free(empty);
    unlink(in);
    unlink(out);
    rmdir(dir);
    free(spec);
    free(out);
    free(in);
    free(base);
}

/* Busy state survives save, reset, load; save -> load -> save is stable. */
static void test_vmstate(void **state)
{
    Fixture *f = *state;
    uint8_t *a, *b;
    size_t alen, blen;
    int64_t t0, char_ns;
    char *dump = NULL;
    size_t dump_len = 0;
    FILE *out;

    uart_out(UART_FCR, UART_FCR_FE | 0x80);
    uart_out(UART_IER, UART_IER_RDI | UART_IER_THRI);
    set_baud(6);
    uart_out(UART_SCR, 0x99);
    host_send_all(f, "xyz");
    t0 = now_ns();
    char_ns = f->uart->state.char_transmit_time;
    make_slow(f);
    uart_out(UART_THR, 'p');                     /* stuck in tsr */
    uart_out(UART_THR, 'q');                     /* waits in the FIFO */
    a = savevm(&alen);

    device_cold_reset(DEVICE(f->uart));
    assert_int_equal(uart_in(UART_SCR), 0);
    loadvm(a, alen);
    b = savevm(&blen);
    assert_int_equal(alen, blen);
    assert_memory_equal(a, b, alen);

    assert_int_equal(uart_in(UART_SCR), 0x99);
    assert_int_equal(uart_in(UART_IER), UART_IER_RDI | UART_IER_THRI);
    assert_int_equal(uart_in(UART_LSR), UART_LSR_DR);
    assert_int_equal(f->uart->state.char_transmit_time, char_ns);
    /* The timeout timer came back: CTI after 4 character times. */
    advance_to(t0 + 4 * char_ns);
    assert_int_equal(uart_in(UART_IIR), UART_IIR_FE | UART_IIR_CTI);
    assert_int_equal(uart_in(UART_RBR), 'x');
    assert_int_equal(uart_in(UART_RBR), 'y');
    assert_int_equal(uart_in(UART_RBR), 'z');
    /* And so did the pending transmission. */
    host_room(f);
    assert_int_equal(uart_in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT);
    f->chr->driver = ringbuf_driver;
    uint8_t sent[4];
    assert_int_equal(host_output(f, sent, sizeof(sent)), 2);
    assert_memory_equal(sent, "pq", 2);

    free(b);
    free(a);

    /* -dump-vmstate lists the section with QEMU's field names. */
    out = open_memstream(&dump, &dump_len);
    vmstate_dump_json(out);
    fclose(out);
    assert_non_null(strstr(dump, "\"serial\""));
    assert_non_null(strstr(dump, "\"fcr_vmstate\""));
    assert_non_null(strstr(dump, "\"serial/thr_ipending\""));
    free(dump);
}

#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)

int main(void)
{
    const struct CMUnitTest tests[] = {
        T(test_reset_values),
        T(test_tx_in_order),
        T(test_scratch),
        T(test_divisor_latch),
        T(test_char_timeout),
        T(test_fifo_trigger_levels),
        T(test_iir_priority),
        T(test_thre_interrupt),
        T(test_loopback),
        T(test_slow_reader),
        T(test_slow_backend_fifo),
        T(test_slow_backend_no_fifo),
        T(test_tx_stall_flags),
        T(test_reset),
        T(test_properties),
        T(test_serial_hds),
        T(test_debugcon),
        T(test_ringbuf_backend),
        T(test_vmstate),
        T(test_loadvm_resumes_input),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
