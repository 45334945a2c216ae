/*
 * The 16550A UART and its ISA wrapper "isa-serial", after QEMU's
 * hw/char/serial.c and serial-isa.c (see include/hw/char/serial.h).
 *
 * Transmission is immediate (no baud-rate pacing): a byte the guest
 * writes goes through the transmit FIFO to the chardev at once.  When the
 * chardev takes nothing, the byte stays in the transmit shift register
 * (tsr, tsr_retry set), THRE/TEMT show the FIFO is not drained, and a
 * chardev write watch resumes sending when the host side has room; no
 * byte is dropped and nothing spins.
 *
 * Reception is flow controlled: can_receive offers the receive FIFO's
 * free space (one byte when the FIFO is off and RBR is empty), so bytes
 * stay in the host until the guest reads.  The character timeout (IIR
 * 0xC) uses the character time at the programmed baud rate and frame
 * format, on QEMU_CLOCK_VIRTUAL.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/char/serial.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"

#define ISA_SERIAL_BAUDBASE 115200

/* The modem status inputs with no modem: carrier, DSR and CTS on. */
#define MSR_LINES_DEFAULT (UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS)

static void serial_receive1(SerialState *s, const uint8_t *buf, int size);

/* ---- FIFOs ---- */

static void fifo_reset(SerialFifo *f)
{
    f->head = 0;
    f->num = 0;
}

static bool fifo_is_full(const SerialFifo *f)
{
    return f->num == UART_FIFO_LENGTH;
}

static void fifo_push(SerialFifo *f, uint8_t val)
{
    f->data[(f->head + f->num) % UART_FIFO_LENGTH] = val;
    f->num++;
}

static uint8_t fifo_pop(SerialFifo *f)
{
    uint8_t val = f->data[f->head];

    f->head = (f->head + 1) % UART_FIFO_LENGTH;
    f->num--;
    return val;
}

/* ---- Interrupts and line parameters ---- */

static bool fifo_enabled(SerialState *s)
{
    return s->fcr & UART_FCR_FE;
}

/*
 * One cause at a time, highest priority first: receiver line status,
 * received data at the trigger level, character timeout, THR empty,
 * modem status.
 */
static void serial_update_irq(SerialState *s)
{
    uint8_t iir = UART_IIR_NO_INT;

    if ((s->ier & UART_IER_RLSI) && (s->lsr & UART_LSR_INT_ANY)) {
        iir = UART_IIR_RLSI;
    } else if ((s->ier & UART_IER_RDI) && (s->lsr & UART_LSR_DR) &&
               (!fifo_enabled(s) || s->recv_fifo.num >= s->recv_fifo_itl)) {
        iir = UART_IIR_RDI;
    } else if ((s->ier & UART_IER_RDI) && s->timeout_ipending) {
        iir = UART_IIR_CTI;
    } else if ((s->ier & UART_IER_THRI) && s->thr_ipending) {
        iir = UART_IIR_THRI;
    } else if ((s->ier & UART_IER_MSI) && (s->msr & UART_MSR_ANY_DELTA)) {
        iir = UART_IIR_MSI;
    }
    s->iir = iir | (s->iir & UART_IIR_FE);
    qemu_set_irq(s->irq, iir != UART_IIR_NO_INT);
}

/* Character time from the divisor and the frame format in LCR. */
static void serial_update_parameters(SerialState *s)
{
    int frame = 1 + (s->lcr & UART_LCR_WLS) + 5 +
                ((s->lcr & UART_LCR_PEN) ? 1 : 0) +
                ((s->lcr & UART_LCR_STB) ? 2 : 1);

    if (s->divider == 0) {
        /* Undefined on the chip; QEMU runs it at about 3500 baud. */
        s->char_transmit_time = NANOSECONDS_PER_SECOND * frame / 3500;
    } else {
        s->char_transmit_time = NANOSECONDS_PER_SECOND * frame *
                                (int64_t)s->divider / s->baudbase;
    }
}

static void serial_write_fcr(SerialState *s, uint8_t val)
{
    static const uint8_t itl[4] = { 1, 4, 8, 14 };

    s->fcr = val;
    if (val & UART_FCR_FE) {
        s->iir |= UART_IIR_FE;
        s->recv_fifo_itl = itl[val >> 6];
    } else {
        s->iir &= ~UART_IIR_FE;
        s->recv_fifo_itl = 1;
    }
}

/*
 * Drive the modem status inputs (CTS, DSR, RI, DCD in MSR's high
 * nibble), latching the delta bits the changes make.
 */
static void serial_set_modem_inputs(SerialState *s, uint8_t lines)
{
    uint8_t old = s->msr;
    uint8_t delta = 0;

    if ((old ^ lines) & UART_MSR_CTS) {
        delta |= UART_MSR_DCTS;
    }
    if ((old ^ lines) & UART_MSR_DSR) {
        delta |= UART_MSR_DDSR;
    }
    if ((old & UART_MSR_RI) && !(lines & UART_MSR_RI)) {
        delta |= UART_MSR_TERI;
    }
    if ((old ^ lines) & UART_MSR_DCD) {
        delta |= UART_MSR_DDCD;
    }
    s->msr = (lines & 0xf0) | (old & UART_MSR_ANY_DELTA) | delta;
    if (delta) {
        serial_update_irq(s);
    }
}

/* In loopback the modem outputs feed the inputs: DTR->DSR, RTS->CTS,
 * OUT1->RI, OUT2->DCD. */
static uint8_t serial_loopback_lines(SerialState *s)
{
    uint8_t lines = 0;

    lines |= (s->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0;
    lines |= (s->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0;
    lines |= (s->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0;
    lines |= (s->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0;
    return lines;
}

/* ---- Transmit ---- */

static void serial_xmit(SerialState *s);

static void serial_write_ready(void *opaque)
{
    SerialState *s = opaque;

    s->write_watch = false;
    serial_xmit(s);
}

/*
 * Send what THR / the transmit FIFO holds.  Stops, with tsr_retry set
 * and TEMT clear, when the chardev is full; the write watch calls back.
 */
static void serial_xmit(SerialState *s)
{
    for (;;) {
        if (s->tsr_retry == 0) {
            if (s->lsr & UART_LSR_THRE) {
                break;              /* nothing left to send */
            }
            if (fifo_enabled(s) && s->xmit_fifo.num == 0) {
                /* Only after loading an inconsistent stream. */
                s->lsr |= UART_LSR_THRE;
                break;
            }
            if (fifo_enabled(s)) {
                s->tsr = fifo_pop(&s->xmit_fifo);
                if (s->xmit_fifo.num == 0) {
                    s->lsr |= UART_LSR_THRE;
                }
            } else {
                s->tsr = s->thr;
                s->lsr |= UART_LSR_THRE;
            }
            if ((s->lsr & UART_LSR_THRE) && !s->thr_ipending) {
                s->thr_ipending = 1;
                serial_update_irq(s);
            }
        }

        if (s->mcr & UART_MCR_LOOP) {
            serial_receive1(s, &s->tsr, 1);
        } else {
            int rc = qemu_chr_fe_write(&s->chr, &s->tsr, 1);

            if (rc == 0) {
                if (s->write_watch) {
                    s->tsr_retry++;
                    return;
                }
                if (qemu_chr_fe_add_write_watch(&s->chr, serial_write_ready,
                                                s)) {
                    s->write_watch = true;
                    s->tsr_retry++;
                    return;
                }
                /* The chardev cannot say when it has room: do not spin. */
            }
        }
        s->tsr_retry = 0;
    }
    s->lsr |= UART_LSR_TEMT;
}

static void serial_write_thr(SerialState *s, uint8_t val)
{
    s->thr = val;
    if (fifo_enabled(s)) {
        if (fifo_is_full(&s->xmit_fifo)) {
            /* Only while the chardev is stalled: the guest ignored THRE. */
            qemu_log_mask(LOG_GUEST_ERROR, "serial: transmit FIFO overrun, "
                          "byte 0x%02x dropped\n", val);
            return;
        }
        fifo_push(&s->xmit_fifo, val);
    }
    s->thr_ipending = 0;
    s->lsr &= ~(UART_LSR_THRE | UART_LSR_TEMT);
    serial_update_irq(s);
    if (s->tsr_retry == 0) {
        serial_xmit(s);
    }
}

/* ---- Receive ---- */

static void serial_fifo_timeout(void *opaque)
{
    SerialState *s = opaque;

    if (s->recv_fifo.num) {
        s->timeout_ipending = 1;
        serial_update_irq(s);
    }
}

static void serial_arm_timeout(SerialState *s)
{
    timer_mod_ns(s->fifo_timeout_timer,
                 qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL) +
                 s->char_transmit_time * 4);
}

static void serial_receive1(SerialState *s, const uint8_t *buf, int size)
{
    if (size <= 0) {
        return;
    }
    if (fifo_enabled(s)) {
        for (int i = 0; i < size; i++) {
            /* An overrun keeps what the FIFO holds and loses the new byte. */
            if (fifo_is_full(&s->recv_fifo)) {
                s->lsr |= UART_LSR_OE;
            } else {
                fifo_push(&s->recv_fifo, buf[i]);
            }
        }
        s->lsr |= UART_LSR_DR;
        serial_arm_timeout(s);
    } else {
        if (s->lsr & UART_LSR_DR) {
            s->lsr |= UART_LSR_OE;
        }
        s->rbr = buf[size - 1];
        s->lsr |= UART_LSR_DR;
    }
    serial_update_irq(s);
}

static int serial_can_receive(void *opaque)
{
    SerialState *s = opaque;

    /* Loopback disconnects the receiver from the line. */
    if (s->mcr & UART_MCR_LOOP) {
        return 0;
    }
    if (fifo_enabled(s)) {
        return UART_FIFO_LENGTH - s->recv_fifo.num;
    }
    return !(s->lsr & UART_LSR_DR);
}

static void serial_receive(void *opaque, const uint8_t *buf, int size)
{
    SerialState *s = opaque;

    if (s->mcr & UART_MCR_LOOP) {
        return;
    }
    serial_receive1(s, buf, size);
}

static void serial_receive_break(SerialState *s)
{
    uint8_t zero = 0;

    /* A break reads as a NUL character with BI set. */
    serial_receive1(s, &zero, 1);
    s->lsr |= UART_LSR_BI | UART_LSR_DR;
    serial_update_irq(s);
}

static void serial_event(void *opaque, QEMUChrEvent event)
{
    SerialState *s = opaque;

    if (event == CHR_EVENT_BREAK && !(s->mcr & UART_MCR_LOOP)) {
        serial_receive_break(s);
    }
}

/* ---- Registers ---- */

static uint64_t serial_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    SerialState *s = opaque;
    uint8_t ret = 0xff;

    switch (addr & 7) {
    case UART_RBR:
        if (s->lcr & UART_LCR_DLAB) {
            ret = s->divider & 0xff;
            break;
        }
        if (fifo_enabled(s)) {
            ret = s->recv_fifo.num ? fifo_pop(&s->recv_fifo) : 0;
            if (s->recv_fifo.num == 0) {
                s->lsr &= ~(UART_LSR_DR | UART_LSR_BI);
                timer_del(s->fifo_timeout_timer);
            } else {
                serial_arm_timeout(s);
            }
            s->timeout_ipending = 0;
        } else {
            ret = s->rbr;
            s->lsr &= ~(UART_LSR_DR | UART_LSR_BI);
        }
        serial_update_irq(s);
        if (!(s->mcr & UART_MCR_LOOP)) {
            qemu_chr_fe_accept_input(&s->chr);
        }
        break;
    case UART_IER:
        ret = (s->lcr & UART_LCR_DLAB) ? s->divider >> 8 : s->ier;
        break;
    case UART_IIR:
        ret = s->iir;
        /* Reading IIR acknowledges a THRE interrupt. */
        if ((ret & UART_IIR_ID) == UART_IIR_THRI) {
            s->thr_ipending = 0;
            serial_update_irq(s);
        }
        break;
    case UART_LCR:
        ret = s->lcr;
        break;
    case UART_MCR:
        ret = s->mcr;
        break;
    case UART_LSR:
        ret = s->lsr;
        /* The error bits clear when read. */
        if (s->lsr & (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE |
                      UART_LSR_BI)) {
            s->lsr &= ~(UART_LSR_OE | UART_LSR_PE | UART_LSR_FE |
                        UART_LSR_BI);
            serial_update_irq(s);
        }
        break;
    case UART_MSR:
        ret = s->msr;
        if (s->msr & UART_MSR_ANY_DELTA) {
            s->msr &= ~UART_MSR_ANY_DELTA;
            serial_update_irq(s);
        }
        break;
    case UART_SCR:
        ret = s->scr;
        break;
    }
    return ret;
}

static void serial_write_ier(SerialState *s, uint8_t val)
{
    uint8_t changed = (s->ier ^ val) & 0x0f;

    s->ier = val & 0x0f;
    /*
     * Enabling the THRE interrupt with THR empty raises it even if an IIR
     * read had acknowledged it (not in the datasheet; Windows relies on
     * it, and QEMU and Bochs do the same).  With THRI off thr_ipending is
     * unused; keep it 0.
     */
    if (changed & UART_IER_THRI) {
        s->thr_ipending = (s->ier & UART_IER_THRI) &&
                          (s->lsr & UART_LSR_THRE);
    }
    if (changed) {
        serial_update_irq(s);
    }
}

static void serial_write_fcr_reg(SerialState *s, uint8_t val)
{
    /* Turning the FIFOs on or off empties them. */
    if ((val ^ s->fcr) & UART_FCR_FE) {
        val |= UART_FCR_XFR | UART_FCR_RFR;
    }
    if (val & UART_FCR_RFR) {
        s->lsr &= ~(UART_LSR_DR | UART_LSR_BI);
        timer_del(s->fifo_timeout_timer);
        s->timeout_ipending = 0;
        fifo_reset(&s->recv_fifo);
    }
    if (val & UART_FCR_XFR) {
        /* A byte stuck in tsr for the chardev stays; TEMT says so. */
        s->lsr |= UART_LSR_THRE;
        s->thr_ipending = 1;
        fifo_reset(&s->xmit_fifo);
    }
    serial_write_fcr(s, val & 0xc9);
    serial_update_irq(s);
    if (val & UART_FCR_RFR) {
        qemu_chr_fe_accept_input(&s->chr);
    }
}

static void serial_write_mcr(SerialState *s, uint8_t val)
{
    bool was_loop = s->mcr & UART_MCR_LOOP;

    s->mcr = val & 0x1f;
    if (s->mcr & UART_MCR_LOOP) {
        serial_set_modem_inputs(s, serial_loopback_lines(s));
    } else {
        serial_set_modem_inputs(s, MSR_LINES_DEFAULT);
        if (was_loop) {
            /* The line is connected again: take pending input. */
            qemu_chr_fe_accept_input(&s->chr);
        }
    }
}

static void serial_ioport_write(void *opaque, hwaddr addr, uint64_t val64,
                                unsigned size)
{
    SerialState *s = opaque;
    uint8_t val = val64;

    switch (addr & 7) {
    case UART_THR:
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (s->divider & 0xff00) | val;
            serial_update_parameters(s);
        } else {
            serial_write_thr(s, val);
        }
        break;
    case UART_IER:
        if (s->lcr & UART_LCR_DLAB) {
            s->divider = (s->divider & 0x00ff) | (val << 8);
            serial_update_parameters(s);
        } else {
            serial_write_ier(s, val);
        }
        break;
    case UART_FCR:
        serial_write_fcr_reg(s, val);
        break;
    case UART_LCR:
        s->lcr = val;
        serial_update_parameters(s);
        /* No host serial line to send a break on: just remember it. */
        s->last_break_enable = !!(val & UART_LCR_SBC);
        break;
    case UART_MCR:
        serial_write_mcr(s, val);
        break;
    case UART_LSR:
    case UART_MSR:
        /* Factory test registers on the real chip. */
        qemu_log_mask(LOG_GUEST_ERROR, "serial: write 0x%02x to read-only "
                      "register %s ignored\n", val,
                      (addr & 7) == UART_LSR ? "LSR" : "MSR");
        break;
    case UART_SCR:
        s->scr = val;
        break;
    }
}

static const MemoryRegionOps serial_io_ops = {
    .read = serial_ioport_read,
    .write = serial_ioport_write,
    .valid = { .min_access_size = 1, .max_access_size = 1 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

/* ---- Reset ---- */

static void serial_reset_enter(SerialState *s)
{
    /* Bytes the chardev refused are gone, as on the chip. */
    if (s->write_watch) {
        qemu_chr_fe_remove_write_watch(&s->chr, serial_write_ready, s);
        s->write_watch = false;
    }
    s->tsr_retry = 0;
    s->rbr = 0;
    s->thr = 0;
    s->tsr = 0;
    s->ier = 0;
    s->iir = UART_IIR_NO_INT;
    s->lcr = 0;
    s->lsr = UART_LSR_TEMT | UART_LSR_THRE;
    s->msr = MSR_LINES_DEFAULT;
    /* 9600 baud, 8N1, OUT2 on, as QEMU resets it. */
    s->divider = ISA_SERIAL_BAUDBASE / 9600;
    s->mcr = UART_MCR_OUT2;
    s->scr = 0;
    s->fcr = 0;
    s->fcr_vmstate = 0;
    s->recv_fifo_itl = 1;
    s->thr_ipending = 0;
    s->timeout_ipending = 0;
    s->last_break_enable = 0;
    s->poll_msl = -1;
    timer_del(s->fifo_timeout_timer);
    fifo_reset(&s->recv_fifo);
    fifo_reset(&s->xmit_fifo);
    serial_update_parameters(s);
}

/* ---- VMState (QEMU's "serial", version 3) ---- */

static int serial_pre_save(void *opaque)
{
    SerialState *s = opaque;

    s->fcr_vmstate = s->fcr;
    return 0;
}

static int serial_pre_load(void *opaque)
{
    SerialState *s = opaque;

    s->thr_ipending = -1;
    s->poll_msl = -1;
    s->fcr_vmstate = 0;
    /* A subsection left out of the stream means its state is idle. */
    s->tsr_retry = 0;
    s->timeout_ipending = 0;
    fifo_reset(&s->recv_fifo);
    fifo_reset(&s->xmit_fifo);
    timer_del(s->fifo_timeout_timer);
    return 0;
}

static int serial_post_load(void *opaque, int version_id)
{
    SerialState *s = opaque;

    if (version_id < 3) {
        s->fcr_vmstate = 0;
    }
    if (s->recv_fifo.num > UART_FIFO_LENGTH ||
        s->recv_fifo.head >= UART_FIFO_LENGTH ||
        s->xmit_fifo.num > UART_FIFO_LENGTH ||
        s->xmit_fifo.head >= UART_FIFO_LENGTH) {
        return -EINVAL;
    }
    if (s->thr_ipending == -1) {
        s->thr_ipending = (s->iir & UART_IIR_ID) == UART_IIR_THRI;
    }
    s->ier &= 0x0f;
    s->mcr &= 0x1f;
    serial_write_fcr(s, s->fcr_vmstate);
    serial_update_parameters(s);
    /*
     * The loaded receive state may have room where the old one had none
     * (input typed on a migration destination before the stream came):
     * let the chardev deliver again, or it waits for a read that the
     * guest has no reason to make.
     */
    qemu_chr_fe_accept_input(&s->chr);
    /* A byte was waiting for the chardev on the source: resume sending. */
    if (s->tsr_retry > 0 && !s->write_watch) {
        s->lsr &= ~UART_LSR_TEMT;
        if (qemu_chr_fe_add_write_watch(&s->chr, serial_write_ready, s)) {
            s->write_watch = true;
        } else {
            serial_write_ready(s);
        }
    }
    return 0;
}

static bool serial_thr_ipending_needed(void *opaque)
{
    SerialState *s = opaque;

    if (s->ier & UART_IER_THRI) {
        bool expected = (s->iir & UART_IIR_ID) == UART_IIR_THRI;
        return s->thr_ipending != expected;
    }
    return false;
}

static const VMStateDescription vmstate_serial_thr_ipending = {
    .name = "serial/thr_ipending",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = serial_thr_ipending_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_INT32(thr_ipending, SerialState),
        VMSTATE_END_OF_LIST()
    },
};

static bool serial_tsr_needed(void *opaque)
{
    return ((SerialState *)opaque)->tsr_retry != 0;
}

static const VMStateDescription vmstate_serial_tsr = {
    .name = "serial/tsr",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = serial_tsr_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(tsr_retry, SerialState),
        VMSTATE_UINT8(thr, SerialState),
        VMSTATE_UINT8(tsr, SerialState),
        VMSTATE_END_OF_LIST()
    },
};

/* QEMU's Fifo8 description, with the capacity fixed at 16. */
static const VMStateDescription vmstate_fifo8 = {
    .name = "Fifo8",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_BUFFER(data, SerialFifo),
        VMSTATE_UINT32(head, SerialFifo),
        VMSTATE_UINT32(num, SerialFifo),
        VMSTATE_END_OF_LIST()
    },
};

static bool serial_recv_fifo_needed(void *opaque)
{
    return ((SerialState *)opaque)->recv_fifo.num != 0;
}

static const VMStateDescription vmstate_serial_recv_fifo = {
    .name = "serial/recv_fifo",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = serial_recv_fifo_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(recv_fifo, SerialState, 1, vmstate_fifo8, SerialFifo),
        VMSTATE_END_OF_LIST()
    },
};

static bool serial_xmit_fifo_needed(void *opaque)
{
    return ((SerialState *)opaque)->xmit_fifo.num != 0;
}

static const VMStateDescription vmstate_serial_xmit_fifo = {
    .name = "serial/xmit_fifo",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = serial_xmit_fifo_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(xmit_fifo, SerialState, 1, vmstate_fifo8, SerialFifo),
        VMSTATE_END_OF_LIST()
    },
};

static bool serial_fifo_timeout_timer_needed(void *opaque)
{
    return timer_pending(((SerialState *)opaque)->fifo_timeout_timer);
}

static const VMStateDescription vmstate_serial_fifo_timeout_timer = {
    .name = "serial/fifo_timeout_timer",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = serial_fifo_timeout_timer_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_TIMER_PTR(fifo_timeout_timer, SerialState),
        VMSTATE_END_OF_LIST()
    },
};

static bool serial_timeout_ipending_needed(void *opaque)
{
    return ((SerialState *)opaque)->timeout_ipending != 0;
}

static const VMStateDescription vmstate_serial_timeout_ipending = {
    .name = "serial/timeout_ipending",
    .version_id = 1,
    .minimum_version_id = 1,
    .needed = serial_timeout_ipending_needed,
    .fields = (const VMStateField[]) {
        VMSTATE_INT32(timeout_ipending, SerialState),
        VMSTATE_END_OF_LIST()
    },
};

static const VMStateDescription vmstate_serial = {
    .name = "serial",
    .version_id = 3,
    .minimum_version_id = 2,
    .pre_save = serial_pre_save,
    .pre_load = serial_pre_load,
    .post_load = serial_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16_V(divider, SerialState, 2),
        VMSTATE_UINT8(rbr, SerialState),
        VMSTATE_UINT8(ier, SerialState),
        VMSTATE_UINT8(iir, SerialState),
        VMSTATE_UINT8(lcr, SerialState),
        VMSTATE_UINT8(mcr, SerialState),
        VMSTATE_UINT8(lsr, SerialState),
        VMSTATE_UINT8(msr, SerialState),
        VMSTATE_UINT8(scr, SerialState),
        VMSTATE_UINT8_V(fcr_vmstate, SerialState, 3),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_serial_thr_ipending,
        &vmstate_serial_tsr,
        &vmstate_serial_recv_fifo,
        &vmstate_serial_xmit_fifo,
        &vmstate_serial_fifo_timeout_timer,
        &vmstate_serial_timeout_ipending,
        NULL
    },
};

/* The ISA device's section, as QEMU's serial-isa.c names it. */
static const VMStateDescription vmstate_isa_serial = {
    .name = "serial",
    .version_id = 3,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(state, ISASerialState, 0, vmstate_serial, SerialState),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- isa-serial ---- */

static const uint16_t isa_serial_io[MAX_ISA_SERIAL_PORTS] = {
    0x3f8, 0x2f8, 0x3e8, 0x2e8
};
static const uint8_t isa_serial_irq[MAX_ISA_SERIAL_PORTS] = { 4, 3, 4, 3 };

/* The lowest index no other isa-serial on the bus has taken. */
static uint32_t isa_serial_free_index(ISASerialState *self)
{
    BusState *bus = DEVICE(self)->parent_bus;
    bool used[MAX_ISA_SERIAL_PORTS] = { false };
    BusChild *kid;
    uint32_t i;

    if (bus) {
        QTAILQ_FOREACH(kid, &bus->children, sibling) {
            Object *o = object_dynamic_cast(OBJECT(kid->child),
                                            TYPE_ISA_SERIAL);
            ISASerialState *other = (ISASerialState *)o;

            if (other && other != self && kid->child->realized &&
                other->index < MAX_ISA_SERIAL_PORTS) {
                used[other->index] = true;
            }
        }
    }
    for (i = 0; i < MAX_ISA_SERIAL_PORTS && used[i]; i++) {
        continue;
    }
    return i;
}

static void isa_serial_realize(DeviceState *dev, Error **errp)
{
    ISASerialState *isa = ISA_SERIAL(dev);
    SerialState *s = &isa->state;
    Chardev *chr = NULL;

    if (isa->index == UINT32_MAX) {
        isa->index = isa_serial_free_index(isa);
    }
    if (isa->index >= MAX_ISA_SERIAL_PORTS) {
        error_setg(errp, "Max. supported number of ISA serial ports is %d.",
                   MAX_ISA_SERIAL_PORTS);
        return;
    }
    if (isa->iobase == UINT32_MAX) {
        isa->iobase = isa_serial_io[isa->index];
    }
    if (isa->isairq == UINT32_MAX) {
        isa->isairq = isa_serial_irq[isa->index];
    }
    if (isa->iobase > 0x10000 - 8) {
        error_setg(errp, "isa-serial: iobase 0x%x does not leave room for "
                   "8 ports", isa->iobase);
        return;
    }
    if (isa->isairq >= ISA_NUM_IRQS) {
        error_setg(errp, "isa-serial: irq %u is not an ISA IRQ (0-15)",
                   isa->isairq);
        return;
    }
    if (isa->chardev && *isa->chardev) {
        chr = qemu_chr_find(isa->chardev);
        if (!chr) {
            error_setg(errp, "Property '%s.chardev' can't find value '%s'",
                       TYPE_ISA_SERIAL, isa->chardev);
            return;
        }
    }
    if (!qemu_chr_fe_init(&s->chr, chr, errp)) {
        return;
    }

    s->baudbase = ISA_SERIAL_BAUDBASE;
    s->fifo_timeout_timer = timer_new_ns(QEMU_CLOCK_VIRTUAL,
                                         serial_fifo_timeout, s);
    serial_reset_enter(s);
    qemu_chr_fe_set_handlers(&s->chr, serial_can_receive, serial_receive,
                             serial_event, s);

    isa_init_irq(ISA_DEVICE(dev), &s->irq, isa->isairq);
    memory_region_init_io(&isa->io, OBJECT(dev), &serial_io_ops, s,
                          "serial", 8);
    isa_register_ioport(ISA_DEVICE(dev), &isa->io, isa->iobase);
}

static void (*isa_serial_parent_unrealize)(DeviceState *dev);

static void isa_serial_unrealize(DeviceState *dev)
{
    ISASerialState *isa = ISA_SERIAL(dev);
    SerialState *s = &isa->state;

    if (s->write_watch) {
        qemu_chr_fe_remove_write_watch(&s->chr, serial_write_ready, s);
        s->write_watch = false;
    }
    qemu_chr_fe_deinit(&s->chr, false);
    timer_free(s->fifo_timeout_timer);
    s->fifo_timeout_timer = NULL;
    isa_serial_parent_unrealize(dev);
}

static void isa_serial_finalize(Object *obj)
{
    memory_region_finalize(&ISA_SERIAL(obj)->io);
}

static void isa_serial_reset_enter(Object *obj, ResetType type)
{
    serial_reset_enter(&ISA_SERIAL(obj)->state);
}

static void isa_serial_reset_hold(Object *obj, ResetType type)
{
    qemu_irq_lower(ISA_SERIAL(obj)->state.irq);
}

static void isa_serial_reset_exit(Object *obj, ResetType type)
{
    /* The receive FIFO is empty again: let the chardev deliver. */
    qemu_chr_fe_accept_input(&ISA_SERIAL(obj)->state.chr);
}

static const Property isa_serial_properties[] = {
    DEFINE_PROP_UINT32("index", ISASerialState, index, -1),
    DEFINE_PROP_UINT32("iobase", ISASerialState, iobase, -1),
    DEFINE_PROP_UINT32("irq", ISASerialState, isairq, -1),
    DEFINE_PROP_STRING("chardev", ISASerialState, chardev),
    DEFINE_PROP_UINT8("wakeup", ISASerialState, state.wakeup, 0),
    DEFINE_PROP_END_OF_LIST(),
};

static void isa_serial_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    dc->realize = isa_serial_realize;
    device_class_set_parent_unrealize(dc, isa_serial_unrealize,
                                      &isa_serial_parent_unrealize);
    dc->desc = "16550A UART on the ISA bus";
    dc->vmsd = &vmstate_isa_serial;
    dc->user_creatable = true;
    device_class_set_props(dc, isa_serial_properties);
    rc->phases.enter = isa_serial_reset_enter;
    rc->phases.hold = isa_serial_reset_hold;
    rc->phases.exit = isa_serial_reset_exit;
}

static const TypeInfo isa_serial_types[] = {
    {
        .name = TYPE_ISA_SERIAL,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(ISASerialState),
        .instance_finalize = isa_serial_finalize,
        .class_init = isa_serial_class_init,
    },
};

DEFINE_TYPES(isa_serial_types)

ISASerialState *serial_isa_init(ISABus *bus, int index, Chardev *chr)
{
    DeviceState *dev = qdev_new(TYPE_ISA_SERIAL);

    qdev_prop_set_uint32(dev, "index", index);
    if (chr) {
        qdev_prop_set_string(dev, "chardev", qemu_chr_get_label(chr));
    }
    qdev_realize_and_unref(dev, BUS(bus), &error_fatal);
    return ISA_SERIAL(dev);
}

/* ---- The -serial list ---- */

/* As QEMU's serial_hds[]: filled from the command line, read by boards. */
static Chardev *serial_hds[MAX_SERIAL_PORTS];
static int num_serial_hds;

bool serial_hds_add(Chardev *chr, Error **errp)
{
    if (num_serial_hds >= MAX_SERIAL_PORTS) {
        error_setg(errp, "-serial: too many serial ports (at most %d)",
                   MAX_SERIAL_PORTS);
        return false;
    }
    serial_hds[num_serial_hds++] = chr;
    return true;
}

Chardev *serial_hd(int i)
{
    if (i < 0 || i >= num_serial_hds) {
        return NULL;
    }
    return serial_hds[i];
}

int serial_max_hds(void)
{
    return num_serial_hds;
}

void serial_hds_clear(void)
{
    memset(serial_hds, 0, sizeof(serial_hds));
    num_serial_hds = 0;
}
