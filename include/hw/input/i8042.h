/*
 * The i8042 keyboard controller and port 0x92, after QEMU's
 * hw/input/pckbd.c.
 *
 * "i8042": data port 0x60, status/command port 0x64, IRQ 1 (keyboard)
 * and IRQ 12 (aux), GPIO output "a20".  The controller answers its
 * commands (read/write command byte 0x20/0x60, self-test 0xAA -> 0x55,
 * interface tests 0xAB/0xA9 -> 0x00, disable/enable keyboard 0xAD/0xAE
 * and aux 0xA7/0xA8, read/write output port 0xD0/0xD1, write keyboard /
 * aux output buffer 0xD2/0xD3, write to aux 0xD4, A20 0xDD/0xDF, pulse
 * output port 0xF0-0xFF: bit 0 low resets the machine).  The keyboard
 * behind it answers reset (0xFF -> 0xFA 0xAA), identify (0xF2 -> 0xFA
 * 0xAB 0x83, or 0x41 when translating), LEDs (0xED), scan code set
 * (0xF0), typematic (0xF3), enable/disable scanning (0xF4/0xF5),
 * defaults (0xF6) and echo (0xEE); anything else gets 0xFE (resend).
 * No mouse is attached: bytes sent to the aux port come back as 0xFE
 * with the timeout bit set, as a controller with an empty port does, so
 * a guest's probe fails at once instead of waiting.
 *
 * "port92": System Control Port A at 0x92: bit 1 drives GPIO "a20", a
 * rising bit 0 requests a guest reset.
 */
#ifndef HW_INPUT_I8042_H
#define HW_INPUT_I8042_H

#include "hw/isa/isa.h"

#define TYPE_I8042 "i8042"
OBJECT_DECLARE_SIMPLE_TYPE(ISAKBDState, I8042)
#define TYPE_PORT92 "port92"
OBJECT_DECLARE_SIMPLE_TYPE(Port92State, PORT92)

#define I8042_A20_LINE "a20"
#define I8042_QUEUE_SIZE 16

typedef struct KBDQueue {
    uint8_t data[I8042_QUEUE_SIZE];
    uint8_t rptr, count;
} KBDQueue;

/* Guest-visible state of controller and keyboard (one plain struct). */
typedef struct KBDState {
    uint8_t status;
    uint8_t mode;               /* the command byte */
    uint8_t outport;
    uint8_t write_cmd;          /* command waiting for its data byte */
    uint8_t obdata;             /* output buffer */
    uint8_t obsrc;              /* KBD_OBSRC_* of the output buffer */
    KBDQueue ctrl_queue;        /* controller replies */
    KBDQueue kbd_queue;         /* from the keyboard */
    KBDQueue aux_queue;         /* from the aux port */
    /* The keyboard. */
    uint8_t kbd_scan_enabled;
    uint8_t kbd_scancode_set;
    uint8_t kbd_leds;
    uint8_t kbd_pending_cmd;    /* 0xED, 0xF0, 0xF3 waiting for an arg */
} KBDState;

struct ISAKBDState {
    ISADevice parent_obj;

    KBDState kbd;
    qemu_irq irq_kbd;
    qemu_irq irq_aux;
    qemu_irq a20_out;
    MemoryRegion io[2];
};

struct Port92State {
    ISADevice parent_obj;

    uint8_t outport;
    qemu_irq a20_out;
    MemoryRegion io;
};

/* A key press or release from the UI, in the current scan code set. */
void i8042_put_kbd_byte(ISAKBDState *s, uint8_t byte);

#endif
