/*
 * The 16550A UART, after QEMU's include/hw/char/serial.h.
 *
 * SerialState is the UART itself; ISASerialState ("isa-serial") puts one
 * on the ISA bus at a COM port:
 *
 *   -device isa-serial,index=0,chardev=ser0      COM1: 0x3f8, IRQ 4
 *   serial_isa_init(isa_bus, 0, serial_hd(0));   the same from board code
 *
 * index 0-3 picks COM1-COM4 (0x3f8/4, 0x2f8/3, 0x3e8/4, 0x2e8/3); iobase
 * and irq override it.  Output goes to the chardev as the guest writes
 * it; when the chardev is busy the bytes wait in the transmit FIFO (THRE
 * and TEMT stay clear) until it can take more.  Input is flow controlled
 * by the receive FIFO's free space, so a slow guest loses nothing.
 */
#ifndef HW_CHAR_SERIAL_H
#define HW_CHAR_SERIAL_H

#include "hw/isa/isa.h"
#include "chardev/char.h"
#include "system/timer.h"

#define UART_FIFO_LENGTH 16

/* Register offsets (from the base port). */
#define UART_RBR 0      /* read, DLAB=0 */
#define UART_THR 0      /* write, DLAB=0 */
#define UART_DLL 0      /* DLAB=1 */
#define UART_IER 1      /* DLAB=0 */
#define UART_DLM 1      /* DLAB=1 */
#define UART_IIR 2      /* read */
#define UART_FCR 2      /* write */
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_MSR 6
#define UART_SCR 7

#define UART_IER_RDI   0x01     /* received data available */
#define UART_IER_THRI  0x02     /* transmitter holding register empty */
#define UART_IER_RLSI  0x04     /* receiver line status */
#define UART_IER_MSI   0x08     /* modem status */

#define UART_IIR_NO_INT 0x01
#define UART_IIR_ID    0x0e
#define UART_IIR_MSI   0x00
#define UART_IIR_THRI  0x02
#define UART_IIR_RDI   0x04
#define UART_IIR_RLSI  0x06
#define UART_IIR_CTI   0x0c     /* character timeout */
#define UART_IIR_FE    0xc0     /* FIFOs enabled */

#define UART_FCR_FE    0x01     /* FIFO enable */
#define UART_FCR_RFR   0x02     /* receive FIFO reset */
#define UART_FCR_XFR   0x04     /* transmit FIFO reset */
#define UART_FCR_DMS   0x08
#define UART_FCR_ITL_MASK 0xc0  /* receive trigger level: 1, 4, 8, 14 */

#define UART_LCR_WLS   0x03     /* word length - 5 */
#define UART_LCR_STB   0x04     /* two stop bits */
#define UART_LCR_PEN   0x08     /* parity */
#define UART_LCR_SBC   0x40     /* set break */
#define UART_LCR_DLAB  0x80

#define UART_MCR_DTR   0x01
#define UART_MCR_RTS   0x02
#define UART_MCR_OUT1  0x04
#define UART_MCR_OUT2  0x08
#define UART_MCR_LOOP  0x10

#define UART_LSR_DR    0x01     /* data ready */
#define UART_LSR_OE    0x02     /* overrun */
#define UART_LSR_PE    0x04     /* parity error */
#define UART_LSR_FE    0x08     /* framing error */
#define UART_LSR_BI    0x10     /* break */
#define UART_LSR_THRE  0x20     /* transmit holding register (FIFO) empty */
#define UART_LSR_TEMT  0x40     /* transmitter empty: nothing left to send */
#define UART_LSR_INT_ANY 0x1e   /* the causes of a line status interrupt */

#define UART_MSR_DCTS  0x01
#define UART_MSR_DDSR  0x02
#define UART_MSR_TERI  0x04     /* RI went from on to off */
#define UART_MSR_DDCD  0x08
#define UART_MSR_ANY_DELTA 0x0f
#define UART_MSR_CTS   0x10
#define UART_MSR_DSR   0x20
#define UART_MSR_RI    0x40
#define UART_MSR_DCD   0x80

/* A byte FIFO (QEMU's Fifo8, fixed at the UART's 16 bytes). */
typedef struct SerialFifo {
    uint8_t data[UART_FIFO_LENGTH];
    uint32_t head;
    uint32_t num;
} SerialFifo;

typedef struct SerialState {
    uint16_t divider;
    uint8_t rbr;                /* receive buffer (FIFO disabled) */
    uint8_t thr;                /* transmit holding (FIFO disabled) */
    uint8_t tsr;                /* the byte being sent */
    uint8_t ier;
    uint8_t iir;                /* read-only */
    uint8_t lcr;
    uint8_t mcr;
    uint8_t lsr;                /* read-only */
    uint8_t msr;                /* read-only */
    uint8_t scr;
    uint8_t fcr;
    uint8_t fcr_vmstate;        /* fcr, for the stream */
    int32_t thr_ipending;       /* THRE interrupt latched */
    int32_t timeout_ipending;   /* character timeout interrupt latched */
    uint32_t tsr_retry;         /* tsr is waiting for the chardev */
    bool write_watch;           /* a chardev write watch is pending */
    int last_break_enable;
    uint32_t baudbase;
    uint8_t wakeup;
    qemu_irq irq;
    CharBackend chr;

    SerialFifo recv_fifo;
    SerialFifo xmit_fifo;
    uint8_t recv_fifo_itl;      /* receive trigger level in bytes */
    QEMUTimer *fifo_timeout_timer;
    int64_t char_transmit_time; /* ns per character at the current setting */
    int32_t poll_msl;           /* always -1: no host modem lines to poll */
} SerialState;

#define TYPE_ISA_SERIAL "isa-serial"
OBJECT_DECLARE_SIMPLE_TYPE(ISASerialState, ISA_SERIAL)

#define MAX_ISA_SERIAL_PORTS 4

struct ISASerialState {
    ISADevice parent_obj;

    uint32_t index;             /* 0-3, or -1: the first one free */
    uint32_t iobase;            /* -1: from index */
    uint32_t isairq;            /* -1: from index */
    char *chardev;              /* chardev id ("" or unset: none) */
    SerialState state;
    MemoryRegion io;
};

/* An isa-serial at COM(index+1) on chr (may be NULL); aborts on failure. */
ISASerialState *serial_isa_init(ISABus *bus, int index, Chardev *chr);

/*
 * The -serial list: main() adds each -serial chardev in order (NULL for
 * "none"), board code asks for port i.  At most MAX_SERIAL_PORTS.
 */
#define MAX_SERIAL_PORTS 4
bool serial_hds_add(Chardev *chr, Error **errp);
/* The chardev of -serial number i, NULL if none given. */
Chardev *serial_hd(int i);
/* How many -serial options were given. */
int serial_max_hds(void);
/* Forget the list (tests). */
void serial_hds_clear(void);

#endif
