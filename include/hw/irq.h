/*
 * Interrupt lines, after QEMU's include/hw/irq.h.
 *
 * A qemu_irq is the input end of a wire: a handler, its opaque and a line
 * number.  A device that drives a line keeps a qemu_irq (NULL when not
 * connected: setting it does nothing) and calls qemu_set_irq with the new
 * level; the receiver's handler runs synchronously.  Lines are levels;
 * qemu_irq_pulse raises and lowers for edge-triggered receivers.
 *
 * Runs under the big lock, like the device code that drives the lines.
 */
#ifndef HW_IRQ_H
#define HW_IRQ_H

#include "util/osdep.h"

typedef struct IRQState *qemu_irq;
typedef void (*qemu_irq_handler)(void *opaque, int n, int level);

struct IRQState {
    qemu_irq_handler handler;
    void *opaque;
    int n;
};

void qemu_set_irq(qemu_irq irq, int level);

static inline void qemu_irq_raise(qemu_irq irq)
{
    qemu_set_irq(irq, 1);
}

static inline void qemu_irq_lower(qemu_irq irq)
{
    qemu_set_irq(irq, 0);
}

static inline void qemu_irq_pulse(qemu_irq irq)
{
    qemu_set_irq(irq, 1);
    qemu_set_irq(irq, 0);
}

/* One line, number n.  Free with qemu_free_irq. */
qemu_irq qemu_allocate_irq(qemu_irq_handler handler, void *opaque, int n);
/* n lines numbered 0..n-1, in an array.  Free with qemu_free_irqs. */
qemu_irq *qemu_allocate_irqs(qemu_irq_handler handler, void *opaque, int n);
/* old (n lines, may be NULL) grown to n + extra; new lines numbered on. */
qemu_irq *qemu_extend_irqs(qemu_irq *old, int n, qemu_irq_handler handler,
                           void *opaque, int extra);
void qemu_free_irq(qemu_irq irq);
/* Frees the n lines and the array. */
void qemu_free_irqs(qemu_irq *irqs, int n);

#endif
