/*
 * Interrupt lines (see include/hw/irq.h).
 */
#include "util/osdep.h"
#include "hw/irq.h"

void qemu_set_irq(qemu_irq irq, int level)
{
    if (!irq) {
        return;
    }
    irq->handler(irq->opaque, irq->n, level);
}

qemu_irq qemu_allocate_irq(qemu_irq_handler handler, void *opaque, int n)
{
    qemu_irq irq = xnew(struct IRQState);

    irq->handler = handler;
    irq->opaque = opaque;
    irq->n = n;
    return irq;
}

qemu_irq *qemu_extend_irqs(qemu_irq *old, int n, qemu_irq_handler handler,
                           void *opaque, int extra)
{
    qemu_irq *irqs = xrealloc(old, sizeof(qemu_irq) * (n + extra));

    for (int i = 0; i < extra; i++) {
        irqs[n + i] = qemu_allocate_irq(handler, opaque, n + i);
    }
    return irqs;
}

qemu_irq *qemu_allocate_irqs(qemu_irq_handler handler, void *opaque, int n)
{
    return qemu_extend_irqs(NULL, 0, handler, opaque, n);
}

void qemu_free_irq(qemu_irq irq)
{
    free(irq);
}

void qemu_free_irqs(qemu_irq *irqs, int n)
{
    if (!irqs) {
        return;
    }
    for (int i = 0; i < n; i++) {
        qemu_free_irq(irqs[i]);
    }
    free(irqs);
}
