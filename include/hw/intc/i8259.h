/*
 * The pair of 8259A programmable interrupt controllers of the PC, after
 * QEMU's hw/intc/i8259.c.
 *
 * Two "isa-i8259" devices: the master at 0x20/0x21 (ELCR 0x4D0) drives the
 * CPU's INT line; the slave at 0xA0/0xA1 (ELCR 0x4D1) drives the master's
 * input 2 (cascade).  Each has 8 GPIO inputs (the IRQ lines) and one GPIO
 * output (INT).  The CPU acknowledges an interrupt with pic_read_irq on
 * the master, which returns the vector (and acknowledges the slave when
 * the request came through IRQ2).
 *
 * Supported: ICW1-ICW4 (cascade or single, ICW4 optional), OCW1 (mask),
 * OCW2 (non-specific/specific EOI, rotate on EOI / auto-EOI, set
 * priority), OCW3 (read IRR/ISR, poll, special mask mode), auto-EOI,
 * special fully nested mode, edge or level per line (ELCR), spurious
 * IRQ7/IRQ15.  Not supported (logged with -d unimp): ICW1 LTIM (level
 * mode for every line; the PIIX uses the ELCR instead), 8080/85 mode.
 */
#ifndef HW_INTC_I8259_H
#define HW_INTC_I8259_H

#include "hw/isa/isa.h"
#include "util/osdep.h"

#define TYPE_I8259 "isa-i8259"
OBJECT_DECLARE_SIMPLE_TYPE(PICCommonState, I8259)

/* Every field here is guest-visible state (for a VMState description). */
typedef struct PICRegs {
    uint8_t last_irr;           /* input levels, for edge detection */
    uint8_t irr;                /* interrupt request register */
    uint8_t imr;                /* interrupt mask register */
    uint8_t isr;                /* in-service register */
    uint8_t priority_add;       /* line with the highest priority */
    uint8_t irq_base;           /* ICW2: vector of line 0 */
    uint8_t read_reg_select;    /* OCW3: 0 read IRR, 1 read ISR */
    uint8_t poll;               /* OCW3: next read is a poll */
    uint8_t special_mask;       /* OCW3: special mask mode */
    uint8_t init_state;         /* next byte to port 1: 0 OCW1, 1-3 ICW2-4 */
    uint8_t auto_eoi;           /* ICW4 AEOI */
    uint8_t rotate_on_auto_eoi; /* OCW2 */
    uint8_t special_fully_nested_mode; /* ICW4 SFNM */
    uint8_t init4;              /* ICW1: ICW4 follows */
    uint8_t single_mode;        /* ICW1: no ICW3 */
    uint8_t elcr;               /* edge/level control (PIIX) */
} PICRegs;

struct PICCommonState {
    ISADevice parent_obj;

    PICRegs r;
    qemu_irq int_out;
    /* The master's slave on IRQ2 (NULL on the slave or a lone chip). */
    PICCommonState *slave;

    /* Properties. */
    uint32_t iobase;
    uint32_t elcr_addr;
    uint8_t elcr_mask;          /* lines that may be level-triggered */
    bool master;

    MemoryRegion base_io;
    MemoryRegion elcr_io;
};

/*
 * Create and realize the master and slave on bus, the master's INT going
 * to parent_irq.  Returns a new array of the 16 ISA IRQ inputs (free()
 * it; the lines belong to the chips) and the master in *master.
 */
qemu_irq *i8259_init(ISABus *bus, qemu_irq parent_irq,
                     PICCommonState **master);
/* Interrupt acknowledge: the vector of the highest priority request. */
int pic_read_irq(PICCommonState *master);
/* 1 when the chip asks the CPU for an interrupt (its INT output). */
int pic_get_output(PICCommonState *s);
/*
 * Conversions to and from KVM's in-kernel PIC state (struct
 * kvm_pic_state, <linux/kvm.h>), used by the VMState hooks when the
 * irqchip is in the kernel.  single_mode is not in KVM's state: from_kvm
 * leaves it (and the elcr_mask property) as they are.
 */
struct kvm_pic_state;
void pic_state_to_kvm(const PICCommonState *s, struct kvm_pic_state *k);
void pic_state_from_kvm(PICCommonState *s, const struct kvm_pic_state *k);

/* `info pic` */
void pic_print_info(StrBuf *out, PICCommonState *s);

#endif
