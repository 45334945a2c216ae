/*
 * i8042 keyboard controller and port 0x92 (see include/hw/input/i8042.h).
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/input/i8042.h"
#include "migration/vmstate.h"
#include "system/runstate.h"

/* Status register. */
#define KBD_STAT_OBF 0x01
#define KBD_STAT_IBF 0x02
#define KBD_STAT_SELFTEST 0x04
#define KBD_STAT_CMD 0x08
#define KBD_STAT_UNLOCKED 0x10
#define KBD_STAT_MOUSE_OBF 0x20
#define KBD_STAT_GTO 0x40       /* timeout */
#define KBD_STAT_PERR 0x80

/* Command byte. */
#define KBD_MODE_KBD_INT 0x01
#define KBD_MODE_MOUSE_INT 0x02
#define KBD_MODE_SYS 0x04
#define KBD_MODE_DISABLE_KBD 0x10
#define KBD_MODE_DISABLE_MOUSE 0x20
#define KBD_MODE_KCC 0x40       /* translate to set 1 */

/* Output port. */
#define KBD_OUT_RESET 0x01
#define KBD_OUT_A20 0x02
#define KBD_OUT_OBF 0x10
#define KBD_OUT_MOUSE_OBF 0x20

/* Keyboard replies. */
#define KBD_REPLY_POR 0xaa
#define KBD_REPLY_ID 0xab
#define KBD_REPLY_ACK 0xfa
#define KBD_REPLY_RESEND 0xfe

enum { KBD_OBSRC_CTRL, KBD_OBSRC_KBD, KBD_OBSRC_AUX };

static void queue_push(KBDQueue *q, uint8_t b)
{
    if (q->count >= I8042_QUEUE_SIZE) {
        qemu_log_mask(LOG_GUEST_ERROR, "i8042: queue full, byte 0x%02x "
                      "dropped\n", b);
        return;
    }
    q->data[(q->rptr + q->count) % I8042_QUEUE_SIZE] = b;
    q->count++;
}

static uint8_t queue_pop(KBDQueue *q)
{
    uint8_t b = q->data[q->rptr];

    q->rptr = (q->rptr + 1) % I8042_QUEUE_SIZE;
    q->count--;
    return b;
}

static void kbd_update_irq(ISAKBDState *s)
{
    KBDState *k = &s->kbd;
    int irq_kbd = 0, irq_aux = 0;

    if (k->status & KBD_STAT_OBF) {
        if (k->status & KBD_STAT_MOUSE_OBF) {
            irq_aux = !!(k->mode & KBD_MODE_MOUSE_INT);
        } else {
            irq_kbd = !!(k->mode & KBD_MODE_KBD_INT);
        }
    }
    qemu_set_irq(s->irq_kbd, irq_kbd);
    qemu_set_irq(s->irq_aux, irq_aux);
}

/* Move the next byte to the output buffer if it is free. */
static void kbd_refill(ISAKBDState *s)
{
    KBDState *k = &s->kbd;

    if (!(k->status & KBD_STAT_OBF)) {
        if (k->ctrl_queue.count) {
            k->obdata = queue_pop(&k->ctrl_queue);
            k->obsrc = KBD_OBSRC_CTRL;
        } else if (k->kbd_queue.count &&
                   !(k->mode & KBD_MODE_DISABLE_KBD)) {
            k->obdata = queue_pop(&k->kbd_queue);
            k->obsrc = KBD_OBSRC_KBD;
        } else if (k->aux_queue.count &&
                   !(k->mode & KBD_MODE_DISABLE_MOUSE)) {
            k->obdata = queue_pop(&k->aux_queue);
            k->obsrc = KBD_OBSRC_AUX;
        } else {
            goto out;
        }
        k->status |= KBD_STAT_OBF;
        if (k->obsrc == KBD_OBSRC_AUX) {
            k->status |= KBD_STAT_MOUSE_OBF;
        }
    }
out:
    kbd_update_irq(s);
}

static void kbd_reply(ISAKBDState *s, uint8_t b)
{
    queue_push(&s->kbd.ctrl_queue, b);
    kbd_refill(s);
}

static void kbd_queue_kbd(ISAKBDState *s, uint8_t b)
{
    queue_push(&s->kbd.kbd_queue, b);
    kbd_refill(s);
}

static void kbd_set_outport(ISAKBDState *s, uint8_t val)
{
    s->kbd.outport = val;
    qemu_set_irq(s->a20_out, (val >> 1) & 1);
    if (!(val & KBD_OUT_RESET)) {
        qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

void i8042_put_kbd_byte(ISAKBDState *s, uint8_t byte)
{
    if (s->kbd.kbd_scan_enabled) {
        kbd_queue_kbd(s, byte);
    }
}

static void kbd_keyboard_defaults(KBDState *k)
{
    k->kbd_scancode_set = 2;
    k->kbd_leds = 0;
    k->kbd_pending_cmd = 0;
}

/* A byte for the keyboard itself. */
static void kbd_keyboard_write(ISAKBDState *s, uint8_t val)
{
    KBDState *k = &s->kbd;
    uint8_t pending = k->kbd_pending_cmd;

    if (pending) {
        k->kbd_pending_cmd = 0;
        switch (pending) {
        case 0xed:
            k->kbd_leds = val & 7;
            kbd_queue_kbd(s, KBD_REPLY_ACK);
            return;
        case 0xf3:
            kbd_queue_kbd(s, KBD_REPLY_ACK);
            return;
        case 0xf0:
            if (val == 0) {
                kbd_queue_kbd(s, KBD_REPLY_ACK);
                /* Set 2 reads as 0x41 through translation, as real ones. */
                kbd_queue_kbd(s, (k->mode & KBD_MODE_KCC) ?
                              (uint8_t[]){ 0, 0x43, 0x41, 0x3f }
                                  [k->kbd_scancode_set] :
                              k->kbd_scancode_set);
            } else if (val <= 3) {
                k->kbd_scancode_set = val;
                kbd_queue_kbd(s, KBD_REPLY_ACK);
            } else {
                kbd_queue_kbd(s, KBD_REPLY_RESEND);
            }
            return;
        }
    }
    switch (val) {
    case 0xed:
    case 0xf0:
    case 0xf3:
        k->kbd_pending_cmd = val;
        kbd_queue_kbd(s, KBD_REPLY_ACK);
        break;
    case 0xee:
        kbd_queue_kbd(s, 0xee);
        break;
    case 0xf2:
        kbd_queue_kbd(s, KBD_REPLY_ACK);
        kbd_queue_kbd(s, KBD_REPLY_ID);
        kbd_queue_kbd(s, (k->mode & KBD_MODE_KCC) ? 0x41 : 0x83);
        break;
    case 0xf4:
        k->kbd_scan_enabled = 1;
        kbd_queue_kbd(s, KBD_REPLY_ACK);
        break;
    case 0xf5:
        k->kbd_scan_enabled = 0;
        kbd_keyboard_defaults(k);
        kbd_queue_kbd(s, KBD_REPLY_ACK);
        break;
    case 0xf6:
        kbd_keyboard_defaults(k);
        kbd_queue_kbd(s, KBD_REPLY_ACK);
        break;
    case 0xff:
        k->kbd_queue.count = 0;
        kbd_keyboard_defaults(k);
        k->kbd_scan_enabled = 1;
        kbd_queue_kbd(s, KBD_REPLY_ACK);
        kbd_queue_kbd(s, KBD_REPLY_POR);
        break;
    default:
        qemu_log_mask(LOG_UNIMP, "i8042: keyboard command 0x%02x not "
                      "supported\n", val);
        kbd_queue_kbd(s, KBD_REPLY_RESEND);
        break;
    }
}

/* Nothing on the aux port: the controller times out and says so. */
static void kbd_aux_write(ISAKBDState *s, uint8_t val)
{
    KBDState *k = &s->kbd;

    k->mode &= ~KBD_MODE_DISABLE_MOUSE;
    queue_push(&k->aux_queue, KBD_REPLY_RESEND);
    k->status |= KBD_STAT_GTO;
    kbd_refill(s);
}

static void kbd_write_command(ISAKBDState *s, uint8_t val)
{
    KBDState *k = &s->kbd;

    k->status |= KBD_STAT_CMD;
    if (val >= 0xf0) {
        /* Pulse the output port bits whose mask bit is 0: bit 0 resets. */
        if (!(val & 1)) {
            qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
        }
        return;
    }
    switch (val) {
    case 0x20:
        kbd_reply(s, k->mode);
        break;
    case 0x60:
    case 0xd1:
    case 0xd2:
    case 0xd3:
    case 0xd4:
        k->write_cmd = val;
        break;
    case 0xa7:
        k->mode |= KBD_MODE_DISABLE_MOUSE;
        break;
    case 0xa8:
        k->mode &= ~KBD_MODE_DISABLE_MOUSE;
        kbd_refill(s);
        break;
    case 0xa9:                  /* aux interface test: lines are fine */
    case 0xab:                  /* keyboard interface test */
        kbd_reply(s, 0x00);
        break;
    case 0xaa:
        k->status |= KBD_STAT_SELFTEST;
        kbd_reply(s, 0x55);
        break;
    case 0xad:
        k->mode |= KBD_MODE_DISABLE_KBD;
        kbd_update_irq(s);
        break;
    case 0xae:
        k->mode &= ~KBD_MODE_DISABLE_KBD;
        kbd_refill(s);
        break;
    case 0xc0:                  /* input port: keyboard not inhibited */
        kbd_reply(s, 0x80);
        break;
    case 0xd0: {
        uint8_t out = k->outport & ~(KBD_OUT_OBF | KBD_OUT_MOUSE_OBF);

        if (k->status & KBD_STAT_OBF) {
            out |= (k->status & KBD_STAT_MOUSE_OBF) ? KBD_OUT_MOUSE_OBF
                                                    : KBD_OUT_OBF;
        }
        kbd_reply(s, out);
        break;
    }
    case 0xdd:
        kbd_set_outport(s, k->outport & ~KBD_OUT_A20);
        break;
    case 0xdf:
        kbd_set_outport(s, k->outport | KBD_OUT_A20);
        break;
    case 0xe0:
        kbd_reply(s, 0x00);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "i8042: unknown command 0x%02x\n",
                      val);
        break;
    }
}

static void kbd_write_data(ISAKBDState *s, uint8_t val)
{
    KBDState *k = &s->kbd;
    uint8_t cmd = k->write_cmd;

    k->status &= ~KBD_STAT_CMD;
    k->write_cmd = 0;
    switch (cmd) {
    case 0:
        /* Talking to the keyboard enables its interface again. */
        k->mode &= ~KBD_MODE_DISABLE_KBD;
        kbd_keyboard_write(s, val);
        break;
    case 0x60:
        k->mode = val;
        k->status = (k->status & ~KBD_STAT_SELFTEST) |
                    ((val & KBD_MODE_SYS) ? KBD_STAT_SELFTEST : 0);
        kbd_refill(s);
        break;
    case 0xd1:
        kbd_set_outport(s, val);
        break;
    case 0xd2:
        kbd_queue_kbd(s, val);
        break;
    case 0xd3:
        queue_push(&k->aux_queue, val);
        kbd_refill(s);
        break;
    case 0xd4:
        kbd_aux_write(s, val);
        break;
    }
}

static uint64_t kbd_read_data(ISAKBDState *s)
{
    KBDState *k = &s->kbd;
    uint8_t val = k->obdata;

    k->status &= ~(KBD_STAT_OBF | KBD_STAT_MOUSE_OBF | KBD_STAT_GTO);
    kbd_refill(s);
    return val;
}

static uint64_t kbd_data_read(void *opaque, hwaddr addr, unsigned size)
{
    return kbd_read_data(opaque);
}

static void kbd_data_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    kbd_write_data(opaque, val);
}

static uint64_t kbd_status_read(void *opaque, hwaddr addr, unsigned size)
{
    return I8042(opaque)->kbd.status;
}

static void kbd_command_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    kbd_write_command(opaque, val);
}

static const MemoryRegionOps kbd_data_ops = {
    .read = kbd_data_read,
    .write = kbd_data_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static const MemoryRegionOps kbd_cmd_ops = {
    .read = kbd_status_read,
    .write = kbd_command_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void i8042_realize(DeviceState *dev, Error **errp)
{
    ISAKBDState *s = I8042(dev);
    ISADevice *isa = ISA_DEVICE(dev);

    memory_region_init_io(&s->io[0], OBJECT(dev), &kbd_data_ops, s,
                          "i8042-data", 1);
    memory_region_init_io(&s->io[1], OBJECT(dev), &kbd_cmd_ops, s,
                          "i8042-cmd", 1);
    isa_register_ioport(isa, &s->io[0], 0x60);
    isa_register_ioport(isa, &s->io[1], 0x64);
    isa_init_irq(isa, &s->irq_kbd, 1);
    isa_init_irq(isa, &s->irq_aux, 12);
}

static void i8042_init(Object *obj)
{
    qdev_init_gpio_out_named(DEVICE(obj), &I8042(obj)->a20_out,
                             I8042_A20_LINE, 1);
}

static void i8042_finalize(Object *obj)
{
    ISAKBDState *s = I8042(obj);

    memory_region_finalize(&s->io[0]);
    memory_region_finalize(&s->io[1]);
}

static void i8042_reset_enter(Object *obj, ResetType type)
{
    KBDState *k = &I8042(obj)->kbd;

    memset(k, 0, sizeof(*k));
    k->mode = KBD_MODE_KBD_INT | KBD_MODE_MOUSE_INT;
    k->status = KBD_STAT_CMD | KBD_STAT_UNLOCKED;
    k->outport = KBD_OUT_RESET | KBD_OUT_A20;
    k->kbd_scan_enabled = 1;
    kbd_keyboard_defaults(k);
}

static void i8042_reset_hold(Object *obj, ResetType type)
{
    ISAKBDState *s = I8042(obj);

    kbd_update_irq(s);
    qemu_irq_raise(s->a20_out);
}

static const VMStateDescription vmstate_kbd_queue = {
    .name = "pckbd queue",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_ARRAY(data, KBDQueue, I8042_QUEUE_SIZE),
        VMSTATE_UINT8(rptr, KBDQueue),
        VMSTATE_UINT8(count, KBDQueue),
        VMSTATE_END_OF_LIST()
    },
};

static bool kbd_queues_valid(void *opaque, int version_id)
{
    KBDState *k = opaque;
    const KBDQueue *q[] = { &k->ctrl_queue, &k->kbd_queue, &k->aux_queue };

    for (size_t i = 0; i < ARRAY_SIZE(q); i++) {
        if (q[i]->rptr >= I8042_QUEUE_SIZE ||
            q[i]->count > I8042_QUEUE_SIZE) {
            return false;
        }
    }
    return true;
}

/* QEMU's "pckbd_outport" subsection, named as our loader wants. */
static const VMStateDescription vmstate_kbd_outport = {
    .name = "pckbd/outport",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(outport, KBDState),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * Output buffer, queues and the keyboard behind the controller (QEMU
 * keeps the keyboard in a separate "ps2kbd"; ours is part of the i8042).
 */
static const VMStateDescription vmstate_kbd_extended_state = {
    .name = "pckbd/extended_state",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(obdata, KBDState),
        VMSTATE_UINT8(obsrc, KBDState),
        VMSTATE_STRUCT(ctrl_queue, KBDState, 0, vmstate_kbd_queue, KBDQueue),
        VMSTATE_STRUCT(kbd_queue, KBDState, 0, vmstate_kbd_queue, KBDQueue),
        VMSTATE_STRUCT(aux_queue, KBDState, 0, vmstate_kbd_queue, KBDQueue),
        VMSTATE_VALIDATE("queue pointers in range", kbd_queues_valid),
        VMSTATE_UINT8(kbd_scan_enabled, KBDState),
        VMSTATE_UINT8(kbd_scancode_set, KBDState),
        VMSTATE_UINT8(kbd_leds, KBDState),
        VMSTATE_UINT8(kbd_pending_cmd, KBDState),
        VMSTATE_END_OF_LIST()
    },
};

/* QEMU's hw/input/pckbd.c "pckbd" (KBDState). */
static const VMStateDescription vmstate_kbd = {
    .name = "pckbd",
    .version_id = 3,
    .minimum_version_id = 3,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(write_cmd, KBDState),
        VMSTATE_UINT8(status, KBDState),
        VMSTATE_UINT8(mode, KBDState),
        VMSTATE_UNUSED(1),      /* QEMU's "pending": our obsrc + queues */
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_kbd_outport,
        &vmstate_kbd_extended_state,
        NULL
    },
};

/*
 * IRQ lines follow the loaded output buffer.  A20 is not driven: the
 * CPU's own state carries its A20 mask, and port 0x92 drives the same
 * line.
 */
static int kbd_post_load(void *opaque, int version_id)
{
    kbd_update_irq(opaque);
    return 0;
}

/* QEMU's "pckbd" of the ISA device: the KBDState embedded. */
static const VMStateDescription vmstate_kbd_isa = {
    .name = "pckbd",
    .version_id = 3,
    .minimum_version_id = 3,
    .post_load = kbd_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_STRUCT(kbd, ISAKBDState, 0, vmstate_kbd, KBDState),
        VMSTATE_END_OF_LIST()
    },
};

static void i8042_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    dc->realize = i8042_realize;
    dc->desc = "i8042 keyboard controller";
    dc->vmsd = &vmstate_kbd_isa;
    rc->phases.enter = i8042_reset_enter;
    rc->phases.hold = i8042_reset_hold;
}

/* ---- port 0x92 ---- */

static uint64_t port92_read(void *opaque, hwaddr addr, unsigned size)
{
    return PORT92(opaque)->outport;
}

static void port92_write(void *opaque, hwaddr addr, uint64_t val,
                         unsigned size)
{
    Port92State *s = PORT92(opaque);
    uint8_t old = s->outport;

    s->outport = val;
    qemu_set_irq(s->a20_out, (val >> 1) & 1);
    /* Fast reset on a rising bit 0. */
    if ((val & 1) && !(old & 1)) {
        qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
    }
}

static const MemoryRegionOps port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void port92_realize(DeviceState *dev, Error **errp)
{
    Port92State *s = PORT92(dev);

    memory_region_init_io(&s->io, OBJECT(dev), &port92_ops, s, "port92", 1);
    isa_register_ioport(ISA_DEVICE(dev), &s->io, 0x92);
}

static void port92_init(Object *obj)
{
    qdev_init_gpio_out_named(DEVICE(obj), &PORT92(obj)->a20_out,
                             I8042_A20_LINE, 1);
}

static void port92_finalize(Object *obj)
{
    memory_region_finalize(&PORT92(obj)->io);
}

/* Bit 0 goes back to 0 so the next rising edge resets again. */
static void port92_reset_enter(Object *obj, ResetType type)
{
    PORT92(obj)->outport &= ~1;
}

/* QEMU's hw/i386/port92.c "port92". */
static const VMStateDescription vmstate_port92 = {
    .name = "port92",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8(outport, Port92State),
        VMSTATE_END_OF_LIST()
    },
};

static void port92_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);

    dc->realize = port92_realize;
    dc->desc = "System Control Port A (0x92)";
    dc->vmsd = &vmstate_port92;
    RESETTABLE_CLASS(oc)->phases.enter = port92_reset_enter;
}

static const TypeInfo pckbd_types[] = {
    {
        .name = TYPE_I8042,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(ISAKBDState),
        .instance_init = i8042_init,
        .instance_finalize = i8042_finalize,
        .class_init = i8042_class_init,
    }, {
        .name = TYPE_PORT92,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(Port92State),
        .instance_init = port92_init,
        .instance_finalize = port92_finalize,
        .class_init = port92_class_init,
    },
};

DEFINE_TYPES(pckbd_types)
