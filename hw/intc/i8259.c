/*
 * 8259A programmable interrupt controller (see include/hw/intc/i8259.h).
 *
 * Priorities are kept as a rotation: priority_add is the line with the
 * highest priority, so "priority p" means line (p + priority_add) & 7.
 */
#include "util/osdep.h"
#include "util/log.h"
#include "hw/intc/i8259.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "system/kvm.h"
#include <linux/kvm.h>

/* Priority (0 highest, 8 none) of the best line set in mask. */
static int get_priority(PICCommonState *s, int mask)
{
    int priority = 0;

    if (mask == 0) {
        return 8;
    }
    while ((mask & (1 << ((priority + s->r.priority_add) & 7))) == 0) {
        priority++;
    }
    return priority;
}

/* The line to present to the CPU, or -1. */
static int pic_get_irq(PICCommonState *s)
{
    int mask, cur_priority, priority;

    mask = s->r.irr & ~s->r.imr;
    priority = get_priority(s, mask);
    if (priority == 8) {
        return -1;
    }
    /*
     * Lines in service block those of lower priority, except in special
     * mask mode where masked lines in service do not count; in special
     * fully nested mode the master lets the slave interrupt again while
     * an earlier slave interrupt is in service.
     */
    mask = s->r.isr;
    if (s->r.special_mask) {
        mask &= ~s->r.imr;
    }
    if (s->r.special_fully_nested_mode && s->master) {
        mask &= ~(1 << 2);
    }
    cur_priority = get_priority(s, mask);
    if (priority < cur_priority) {
        return (priority + s->r.priority_add) & 7;
    }
    return -1;
}

static void pic_update_irq(PICCommonState *s)
{
    qemu_set_irq(s->int_out, pic_get_irq(s) >= 0);
}

int pic_get_output(PICCommonState *s)
{
    return pic_get_irq(s) >= 0;
}

static void pic_set_irq(void *opaque, int irq, int level)
{
    PICCommonState *s = opaque;
    int mask = 1 << irq;

    if (s->r.elcr & mask) {
        /* Level triggered: the request follows the line. */
        if (level) {
            s->r.irr |= mask;
            s->r.last_irr |= mask;
        } else {
            s->r.irr &= ~mask;
            s->r.last_irr &= ~mask;
        }
    } else {
        /* Edge triggered: a rising edge latches a request. */
        if (level) {
            if ((s->r.last_irr & mask) == 0) {
                s->r.irr |= mask;
            }
            s->r.last_irr |= mask;
        } else {
            s->r.last_irr &= ~mask;
        }
    }
    pic_update_irq(s);
}

/* The CPU took line irq: move it to in-service (unless auto-EOI). */
static void pic_intack(PICCommonState *s, int irq)
{
    if (s->r.auto_eoi) {
        if (s->r.rotate_on_auto_eoi) {
            s->r.priority_add = (irq + 1) & 7;
        }
    } else {
        s->r.isr |= 1 << irq;
    }
    /* A level request stays until the line drops. */
    if (!(s->r.elcr & (1 << irq))) {
        s->r.irr &= ~(1 << irq);
    }
    pic_update_irq(s);
}

int pic_read_irq(PICCommonState *s)
{
    int irq, irq2, intno;

    irq = pic_get_irq(s);
    if (irq < 0) {
        /*
         * The request went away between INT and INTA (a level line
         * dropped, or a mask): the 8259 answers with IRQ7, without
         * setting it in service.
         */
        return s->r.irq_base + 7;
    }
    if (irq == 2 && s->slave) {
        PICCommonState *slave = s->slave;

        irq2 = pic_get_irq(slave);
        if (irq2 >= 0) {
            pic_intack(slave, irq2);
        } else {
            irq2 = 7;           /* spurious IRQ15 */
        }
        intno = slave->r.irq_base + irq2;
    } else {
        intno = s->r.irq_base + irq;
    }
    pic_intack(s, irq);
    return intno;
}

/* ICW1 and reset: everything but the ELCR goes back to its initial state. */
static void pic_init_reset(PICCommonState *s)
{
    uint8_t elcr = s->r.elcr;
    uint8_t irr = s->r.irr & elcr;  /* level lines still asserted stay */

    memset(&s->r, 0, sizeof(s->r));
    s->r.elcr = elcr;
    s->r.irr = irr;
    s->r.last_irr = irr;
}

static void pic_ocw2(PICCommonState *s, uint8_t val)
{
    int cmd = val >> 5;
    int priority, irq;

    switch (cmd) {
    case 0:     /* rotate in auto-EOI mode: clear */
    case 4:     /* rotate in auto-EOI mode: set */
        s->r.rotate_on_auto_eoi = cmd >> 2;
        break;
    case 1:     /* non-specific EOI */
    case 5:     /* rotate on non-specific EOI */
        priority = get_priority(s, s->r.isr);
        if (priority != 8) {
            irq = (priority + s->r.priority_add) & 7;
            s->r.isr &= ~(1 << irq);
            if (cmd == 5) {
                s->r.priority_add = (irq + 1) & 7;
            }
            pic_update_irq(s);
        }
        break;
    case 3:     /* specific EOI */
        irq = val & 7;
        s->r.isr &= ~(1 << irq);
        pic_update_irq(s);
        break;
    case 6:     /* set priority: line val&7 becomes the lowest */
        s->r.priority_add = (val + 1) & 7;
        pic_update_irq(s);
        break;
    case 7:     /* rotate on specific EOI */
        irq = val & 7;
        s->r.isr &= ~(1 << irq);
        s->r.priority_add = (irq + 1) & 7;
        pic_update_irq(s);
        break;
    default:    /* 2: no operation */
        break;
    }
}

static void pic_ioport_write(void *opaque, hwaddr addr, uint64_t val64,
                             unsigned size)
{
    PICCommonState *s = opaque;
    uint8_t val = val64;

    if ((addr & 1) == 0) {
        if (val & 0x10) {
            /* ICW1 */
            pic_init_reset(s);
            s->r.init_state = 1;
            s->r.init4 = val & 1;
            s->r.single_mode = (val >> 1) & 1;
            if (val & 0x08) {
                qemu_log_mask(LOG_UNIMP, "i8259 0x%x: ICW1 level-triggered "
                              "mode not supported (use the ELCR)\n",
                              s->iobase);
            }
            pic_update_irq(s);
        } else if (val & 0x08) {
            /* OCW3 */
            if (val & 0x04) {
                s->r.poll = 1;
            }
            if (val & 0x02) {
                s->r.read_reg_select = val & 1;
            }
            if (val & 0x40) {
                s->r.special_mask = (val >> 5) & 1;
                pic_update_irq(s);
            }
        } else {
            pic_ocw2(s, val);
        }
        return;
    }

    switch (s->r.init_state) {
    case 0:     /* OCW1 */
        s->r.imr = val;
        pic_update_irq(s);
        break;
    case 1:     /* ICW2 */
        s->r.irq_base = val & 0xf8;
        if (s->r.single_mode) {
            s->r.init_state = s->r.init4 ? 3 : 0;
        } else {
            s->r.init_state = 2;
        }
        break;
    case 2:     /* ICW3: the cascade is fixed on the PC */
        s->r.init_state = s->r.init4 ? 3 : 0;
        break;
    case 3:     /* ICW4 */
        s->r.special_fully_nested_mode = (val >> 4) & 1;
        s->r.auto_eoi = (val >> 1) & 1;
        if (!(val & 0x01)) {
            qemu_log_mask(LOG_UNIMP, "i8259 0x%x: ICW4 8080/85 mode not "
                          "supported\n", s->iobase);
        }
        s->r.init_state = 0;
        break;
    }
}

static uint64_t pic_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PICCommonState *s = opaque;
    int ret;

    if (s->r.poll) {
        /* A poll read acknowledges like INTA, without the CPU. */
        ret = pic_get_irq(s);
        if (ret >= 0) {
            pic_intack(s, ret);
            ret |= 0x80;
        } else {
            ret = 0;
        }
        s->r.poll = 0;
        return ret;
    }
    if ((addr & 1) == 0) {
        return s->r.read_reg_select ? s->r.isr : s->r.irr;
    }
    return s->r.imr;
}

static void elcr_ioport_write(void *opaque, hwaddr addr, uint64_t val,
                              unsigned size)
{
    PICCommonState *s = opaque;

    if (val & ~s->elcr_mask & 0xff) {
        qemu_log_mask(LOG_GUEST_ERROR, "i8259 ELCR 0x%x: lines 0x%02x "
                      "cannot be level-triggered\n", s->elcr_addr,
                      (unsigned)(val & ~s->elcr_mask & 0xff));
    }
    s->r.elcr = val & s->elcr_mask;
}

static uint64_t elcr_ioport_read(void *opaque, hwaddr addr, unsigned size)
{
    PICCommonState *s = opaque;
    return s->r.elcr;
}

static const MemoryRegionOps pic_base_ioport_ops = {
    .read = pic_ioport_read,
    .write = pic_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static const MemoryRegionOps pic_elcr_ioport_ops = {
    .read = elcr_ioport_read,
    .write = elcr_ioport_write,
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static void pic_realize(DeviceState *dev, Error **errp)
{
    PICCommonState *s = I8259(dev);
    ISADevice *isa = ISA_DEVICE(dev);

    if (s->iobase > 0xfffe) {
        error_setg(errp, "isa-i8259: iobase 0x%x is not a valid port pair",
                   s->iobase);
        return;
    }
    if (s->elcr_addr != UINT32_MAX && s->elcr_addr > 0xffff) {
        error_setg(errp, "isa-i8259: elcr_addr 0x%x is not a port",
                   s->elcr_addr);
        return;
    }
    memory_region_init_io(&s->base_io, OBJECT(dev), &pic_base_ioport_ops, s,
                          "pic", 2);
    isa_register_ioport(isa, &s->base_io, s->iobase);
    if (s->elcr_addr != UINT32_MAX) {
        memory_region_init_io(&s->elcr_io, OBJECT(dev), &pic_elcr_ioport_ops,
                              s, "elcr", 1);
        isa_register_ioport(isa, &s->elcr_io, s->elcr_addr);
    }
}

static void pic_finalize(Object *obj)
{
    PICCommonState *s = I8259(obj);

    memory_region_finalize(&s->base_io);
    memory_region_finalize(&s->elcr_io);
}

static void pic_init(Object *obj)
{
    PICCommonState *s = I8259(obj);

    qdev_init_gpio_in(DEVICE(obj), pic_set_irq, 8);
    qdev_init_gpio_out(DEVICE(obj), &s->int_out, 1);
}

/* Reset: registers (and, unlike ICW1, the ELCR) to their power-on state. */
static void pic_reset_enter(Object *obj, ResetType type)
{
    PICCommonState *s = I8259(obj);

    memset(&s->r, 0, sizeof(s->r));
}

static void pic_reset_hold(Object *obj, ResetType type)
{
    pic_update_irq(I8259(obj));
}

void pic_print_info(StrBuf *out, PICCommonState *s)
{
    strbuf_printf(out, "pic%d: irr=%02x imr=%02x isr=%02x hprio=%d "
                  "irq_base=%02x rr_sel=%d elcr=%02x fnm=%d\n",
                  s->master ? 0 : 1, s->r.irr, s->r.imr, s->r.isr,
                  s->r.priority_add, s->r.irq_base, s->r.read_reg_select,
                  s->r.elcr, s->r.special_fully_nested_mode);
}

qemu_irq *i8259_init(ISABus *bus, qemu_irq parent_irq,
                     PICCommonState **master_out)
{
    qemu_irq *irqs = xnew_array(qemu_irq, ISA_NUM_IRQS);
    DeviceState *master, *slave;

    master = qdev_new(TYPE_I8259);
    qdev_prop_set_uint32(master, "iobase", 0x20);
    qdev_prop_set_uint32(master, "elcr_addr", 0x4d0);
    qdev_prop_set_uint8(master, "elcr_mask", 0xf8);
    qdev_prop_set_bit(master, "master", true);
    qdev_realize_and_unref(master, BUS(bus), &error_abort);
    qdev_connect_gpio_out(master, 0, parent_irq);

    slave = qdev_new(TYPE_I8259);
    qdev_prop_set_uint32(slave, "iobase", 0xa0);
    qdev_prop_set_uint32(slave, "elcr_addr", 0x4d1);
    qdev_prop_set_uint8(slave, "elcr_mask", 0xde);
    qdev_realize_and_unref(slave, BUS(bus), &error_abort);
    qdev_connect_gpio_out(slave, 0, qdev_get_gpio_in(master, 2));
    I8259(master)->slave = I8259(slave);

    for (int i = 0; i < 8; i++) {
        irqs[i] = qdev_get_gpio_in(master, i);
        irqs[8 + i] = qdev_get_gpio_in(slave, i);
    }
    if (master_out) {
        *master_out = I8259(master);
    }
    return irqs;
}

/* ---- the in-kernel PIC (KVM) ------------------------------------------ */

/*
 * KVM's struct kvm_pic_state has our registers under QEMU's names, less
 * single_mode (KVM always expects ICW3), plus elcr_mask (our property).
 */
void pic_state_to_kvm(const PICCommonState *s, struct kvm_pic_state *k)
{
    const PICRegs *r = &s->r;

    memset(k, 0, sizeof(*k));
    k->last_irr = r->last_irr;
    k->irr = r->irr;
    k->imr = r->imr;
    k->isr = r->isr;
    k->priority_add = r->priority_add;
    k->irq_base = r->irq_base;
    k->read_reg_select = r->read_reg_select;
    k->poll = r->poll;
    k->special_mask = r->special_mask;
    k->init_state = r->init_state;
    k->auto_eoi = r->auto_eoi;
    k->rotate_on_auto_eoi = r->rotate_on_auto_eoi;
    k->special_fully_nested_mode = r->special_fully_nested_mode;
    k->init4 = r->init4;
    k->elcr = r->elcr;
    k->elcr_mask = s->elcr_mask;
}

/* single_mode and the elcr_mask property keep their values. */
void pic_state_from_kvm(PICCommonState *s, const struct kvm_pic_state *k)
{
    PICRegs *r = &s->r;

    r->last_irr = k->last_irr;
    r->irr = k->irr;
    r->imr = k->imr;
    r->isr = k->isr;
    r->priority_add = k->priority_add;
    r->irq_base = k->irq_base;
    r->read_reg_select = k->read_reg_select;
    r->poll = k->poll;
    r->special_mask = k->special_mask;
    r->init_state = k->init_state;
    r->auto_eoi = k->auto_eoi;
    r->rotate_on_auto_eoi = k->rotate_on_auto_eoi;
    r->special_fully_nested_mode = k->special_fully_nested_mode;
    r->init4 = k->init4;
    r->elcr = k->elcr & s->elcr_mask;
}

static uint32_t pic_kvm_chip_id(PICCommonState *s)
{
    return s->master ? KVM_IRQCHIP_PIC_MASTER : KVM_IRQCHIP_PIC_SLAVE;
}

/*
 * With the irqchip in the kernel this model is idle: the state to save
 * is the kernel's (the vCPUs are stopped by now).
 */
static int pic_pre_save(void *opaque)
{
    PICCommonState *s = opaque;
    struct kvm_irqchip chip = { .chip_id = pic_kvm_chip_id(s) };
    int r;

    if (!kvm_irqchip_in_kernel()) {
        return 0;
    }
    r = kvm_irqchip_get(&chip);
    if (r < 0) {
        error_report("i8259: KVM_GET_IRQCHIP (%s): %s",
                     s->master ? "master" : "slave", strerror(-r));
        return r;
    }
    pic_state_from_kvm(s, &chip.chip.pic);
    return 0;
}

/*
 * After load the output line follows the loaded registers (the CPU's
 * pending-interrupt flag is rebuilt from it); under KVM the registers go
 * to the in-kernel PIC instead, which drives the CPUs itself.
 */
static int pic_post_load(void *opaque, int version_id)
{
    PICCommonState *s = opaque;
    struct kvm_irqchip chip = { .chip_id = pic_kvm_chip_id(s) };
    int r;

    if (!kvm_irqchip_in_kernel()) {
        pic_update_irq(s);
        return 0;
    }
    pic_state_to_kvm(s, &chip.chip.pic);
    r = kvm_irqchip_set(&chip);
    if (r < 0) {
        error_report("i8259: KVM_SET_IRQCHIP (%s): %s",
                     s->master ? "master" : "slave", strerror(-r));
        return r;
    }
    return 0;
}

/* QEMU's hw/intc/i8259_common.c "i8259"; one instance per chip. */
static const VMStateDescription vmstate_pic_common = {
    .name = "i8259",
    .version_id = 1,
    .minimum_version_id = 1,
    .pre_save = pic_pre_save,
    .post_load = pic_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT8_NAMED("last_irr", r.last_irr, PICCommonState),
        VMSTATE_UINT8_NAMED("irr", r.irr, PICCommonState),
        VMSTATE_UINT8_NAMED("imr", r.imr, PICCommonState),
        VMSTATE_UINT8_NAMED("isr", r.isr, PICCommonState),
        VMSTATE_UINT8_NAMED("priority_add", r.priority_add, PICCommonState),
        VMSTATE_UINT8_NAMED("irq_base", r.irq_base, PICCommonState),
        VMSTATE_UINT8_NAMED("read_reg_select", r.read_reg_select,
                            PICCommonState),
        VMSTATE_UINT8_NAMED("poll", r.poll, PICCommonState),
        VMSTATE_UINT8_NAMED("special_mask", r.special_mask, PICCommonState),
        VMSTATE_UINT8_NAMED("init_state", r.init_state, PICCommonState),
        VMSTATE_UINT8_NAMED("auto_eoi", r.auto_eoi, PICCommonState),
        VMSTATE_UINT8_NAMED("rotate_on_auto_eoi", r.rotate_on_auto_eoi,
                            PICCommonState),
        VMSTATE_UINT8_NAMED("special_fully_nested_mode",
                            r.special_fully_nested_mode, PICCommonState),
        VMSTATE_UINT8_NAMED("init4", r.init4, PICCommonState),
        VMSTATE_UINT8_NAMED("single_mode", r.single_mode, PICCommonState),
        VMSTATE_UINT8_NAMED("elcr", r.elcr, PICCommonState),
        VMSTATE_END_OF_LIST()
    },
};

static const Property pic_properties[] = {
    DEFINE_PROP_UINT32("iobase", PICCommonState, iobase, 0x20),
    DEFINE_PROP_UINT32("elcr_addr", PICCommonState, elcr_addr, UINT32_MAX),
    DEFINE_PROP_UINT8("elcr_mask", PICCommonState, elcr_mask, 0xff),
    DEFINE_PROP_BOOL("master", PICCommonState, master, false),
    DEFINE_PROP_END_OF_LIST(),
};

static void pic_class_init(ObjectClass *oc, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(oc);
    ResettableClass *rc = RESETTABLE_CLASS(oc);

    dc->realize = pic_realize;
    dc->desc = "ISA 8259A programmable interrupt controller";
    dc->vmsd = &vmstate_pic_common;
    device_class_set_props(dc, pic_properties);
    rc->phases.enter = pic_reset_enter;
    rc->phases.hold = pic_reset_hold;
}

static const TypeInfo pic_types[] = {
    {
        .name = TYPE_I8259,
        .parent = TYPE_ISA_DEVICE,
        .instance_size = sizeof(PICCommonState),
        .instance_init = pic_init,
        .instance_finalize = pic_finalize,
        .class_init = pic_class_init,
    },
};

DEFINE_TYPES(pic_types)
