/*
 * qdev GPIO lines (see include/hw/qdev-core.h).
 */
#include "util/osdep.h"
#include "hw/qdev-core.h"

static bool gpio_name_equal(const char *a, const char *b)
{
    if (!a || !b) {
        return a == b;
    }
    return !strcmp(a, b);
}

static NamedGPIOList *gpio_list_find(DeviceState *dev, const char *name)
{
    NamedGPIOList *ngl;

    QLIST_FOREACH(ngl, &dev->gpios, node) {
        if (gpio_name_equal(ngl->name, name)) {
            return ngl;
        }
    }
    return NULL;
}

static NamedGPIOList *gpio_list_get(DeviceState *dev, const char *name)
{
    NamedGPIOList *ngl = gpio_list_find(dev, name);

    if (!ngl) {
        ngl = xnew(NamedGPIOList);
        ngl->name = name ? xstrdup(name) : NULL;
        QLIST_INSERT_HEAD(&dev->gpios, ngl, node);
    }
    return ngl;
}

void qdev_init_gpio_in_named(DeviceState *dev, qemu_irq_handler handler,
                             const char *name, int n)
{
    NamedGPIOList *ngl = gpio_list_get(dev, name);

    assert(n >= 0);
    ngl->in = qemu_extend_irqs(ngl->in, ngl->num_in, handler, dev, n);
    ngl->num_in += n;
}

void qdev_init_gpio_in(DeviceState *dev, qemu_irq_handler handler, int n)
{
    qdev_init_gpio_in_named(dev, handler, NULL, n);
}

void qdev_init_gpio_out_named(DeviceState *dev, qemu_irq *pins,
                              const char *name, int n)
{
    NamedGPIOList *ngl = gpio_list_get(dev, name);

    assert(n >= 0);
    ngl->out = xrealloc(ngl->out, sizeof(qemu_irq *) * (ngl->num_out + n));
    for (int i = 0; i < n; i++) {
        ngl->out[ngl->num_out + i] = &pins[i];
    }
    ngl->num_out += n;
}

void qdev_init_gpio_out(DeviceState *dev, qemu_irq *pins, int n)
{
    qdev_init_gpio_out_named(dev, pins, NULL, n);
}

qemu_irq qdev_get_gpio_in_named(DeviceState *dev, const char *name, int n)
{
    NamedGPIOList *ngl = gpio_list_find(dev, name);

    if (!ngl || n < 0 || n >= ngl->num_in) {
        fprintf(stderr, "%s: no GPIO input %s[%d]\n",
                object_get_typename(OBJECT(dev)), name ? name : "", n);
        abort();
    }
    return ngl->in[n];
}

qemu_irq qdev_get_gpio_in(DeviceState *dev, int n)
{
    return qdev_get_gpio_in_named(dev, NULL, n);
}

static qemu_irq *gpio_out_slot(DeviceState *dev, const char *name, int n)
{
    NamedGPIOList *ngl = gpio_list_find(dev, name);

    if (!ngl || n < 0 || n >= ngl->num_out) {
        fprintf(stderr, "%s: no GPIO output %s[%d]\n",
                object_get_typename(OBJECT(dev)), name ? name : "", n);
        abort();
    }
    return ngl->out[n];
}

void qdev_connect_gpio_out_named(DeviceState *dev, const char *name, int n,
                                 qemu_irq input_pin)
{
    *gpio_out_slot(dev, name, n) = input_pin;
}

void qdev_connect_gpio_out(DeviceState *dev, int n, qemu_irq input_pin)
{
    qdev_connect_gpio_out_named(dev, NULL, n, input_pin);
}

qemu_irq qdev_get_gpio_out_connector(DeviceState *dev, const char *name,
                                     int n)
{
    return *gpio_out_slot(dev, name, n);
}

int qdev_gpio_in_count(DeviceState *dev, const char *name)
{
    NamedGPIOList *ngl = gpio_list_find(dev, name);
    return ngl ? ngl->num_in : 0;
}

int qdev_gpio_out_count(DeviceState *dev, const char *name)
{
    NamedGPIOList *ngl = gpio_list_find(dev, name);
    return ngl ? ngl->num_out : 0;
}

void qdev_gpio_cleanup(DeviceState *dev)
{
    NamedGPIOList *ngl, *next;

    QLIST_FOREACH_SAFE(ngl, &dev->gpios, node, next) {
        QLIST_REMOVE(ngl, node);
        qemu_free_irqs(ngl->in, ngl->num_in);
        free(ngl->out);
        free(ngl->name);
        free(ngl);
    }
}
