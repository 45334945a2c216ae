/*
 * Modern virtio-pci transport (see include/hw/virtio/virtio-pci.h).
 */
#include "util/osdep.h"
#include "util/log.h"
#include "util/error.h"
#include "hw/virtio/virtio-pci.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "hw/resettable.h"
#include <endian.h>

/* ---- interrupts ---------------------------------------------------------- */

static void virtio_pci_notify(void *opaque, uint16_t vector, uint8_t isr_bits)
{
    VirtIOPCIProxy *proxy = opaque;
    PCIDevice *pd = &proxy->pci_dev;

    proxy->vdev->isr |= isr_bits;
    if (msix_enabled(pd)) {
        if (vector != VIRTIO_NO_VECTOR) {
            msix_notify(pd, vector);
        }
        return;
    }
    pci_set_irq(pd, 1);
}

static const VirtioTransportOps virtio_pci_transport = {
    .notify = virtio_pci_notify,
};

/* A vector the driver names is kept only if the device has it. */
static uint16_t virtio_pci_check_vector(VirtIOPCIProxy *proxy, uint16_t v)
{
    if (v != VIRTIO_NO_VECTOR && v >= proxy->nvectors) {
        qemu_log_mask(LOG_GUEST_ERROR, "virtio-pci: MSI-X vector %u out of "
                      "range (%u vectors)\n", v, proxy->nvectors);
        return VIRTIO_NO_VECTOR;
    }
    return v;
}

static void virtio_pci_reset_transport(VirtIOPCIProxy *proxy)
{
    proxy->dfselect = 0;
    proxy->gfselect = 0;
    proxy->guest_features[0] = proxy->guest_features[1] = 0;
    pci_set_irq(&proxy->pci_dev, 0);
}

/* ---- common config --------------------------------------------------------- */

static VirtQueue *selected_queue(VirtIODevice *vdev)
{
    if (vdev->queue_sel >= VIRTIO_QUEUE_MAX ||
        !vdev->vq[vdev->queue_sel].num_max) {
        return NULL;
    }
    return &vdev->vq[vdev->queue_sel];
}

static uint64_t virtio_pci_common_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    VirtIODevice *vdev = proxy->vdev;
    VirtQueue *vq = selected_queue(vdev);

    switch (addr) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        return proxy->dfselect;
    case VIRTIO_PCI_COMMON_DF:
        return proxy->dfselect < 2 ?
            (uint32_t)(vdev->host_features >> (32 * proxy->dfselect)) : 0;
    case VIRTIO_PCI_COMMON_GFSELECT:
        return proxy->gfselect;
    case VIRTIO_PCI_COMMON_GF:
        return proxy->gfselect < 2 ? proxy->guest_features[proxy->gfselect]
                                   : 0;
    case VIRTIO_PCI_COMMON_MSIX:
        return vdev->config_vector;
    case VIRTIO_PCI_COMMON_NUMQ:
        return virtio_get_num_queues(vdev);
    case VIRTIO_PCI_COMMON_STATUS:
        return vdev->status;
    case VIRTIO_PCI_COMMON_CFGGENERATION:
        return vdev->generation & 0xff;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        return vdev->queue_sel;
    case VIRTIO_PCI_COMMON_Q_SIZE:
        return vq ? vq->num : 0;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        return vq ? vq->vector : VIRTIO_NO_VECTOR;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        return vq ? vq->enabled : 0;
    case VIRTIO_PCI_COMMON_Q_NOFF:
        return vdev->queue_sel;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
        return vq ? (uint32_t)vq->desc : 0;
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        return vq ? vq->desc >> 32 : 0;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
        return vq ? (uint32_t)vq->avail : 0;
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        return vq ? vq->avail >> 32 : 0;
    case VIRTIO_PCI_COMMON_Q_USEDLO:
        return vq ? (uint32_t)vq->used : 0;
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        return vq ? vq->used >> 32 : 0;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: read of common config offset "
                      "0x%" PRIx64 "\n", vdev->name, (uint64_t)addr);
        return 0;
    }
}

static void set_half(hwaddr *reg, bool high, uint32_t val)
{
    if (high) {
        *reg = (*reg & 0xffffffffULL) | (uint64_t)val << 32;
    } else {
        *reg = (*reg & ~0xffffffffULL) | val;
    }
}

static void virtio_pci_common_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    VirtIODevice *vdev = proxy->vdev;
    VirtQueue *vq = selected_queue(vdev);

    switch (addr) {
    case VIRTIO_PCI_COMMON_DFSELECT:
        proxy->dfselect = val;
        return;
    case VIRTIO_PCI_COMMON_GFSELECT:
        proxy->gfselect = val;
        return;
    case VIRTIO_PCI_COMMON_GF:
        if (proxy->gfselect < 2) {
            proxy->guest_features[proxy->gfselect] = val;
            virtio_set_features(vdev, proxy->guest_features[0] |
                                (uint64_t)proxy->guest_features[1] << 32);
        }
        return;
    case VIRTIO_PCI_COMMON_MSIX:
        vdev->config_vector = virtio_pci_check_vector(proxy, val);
        return;
    case VIRTIO_PCI_COMMON_STATUS:
        if ((val & 0xff) == 0) {
            virtio_reset(vdev);
            virtio_pci_reset_transport(proxy);
            return;
        }
        virtio_set_status(vdev, val);
        return;
    case VIRTIO_PCI_COMMON_Q_SELECT:
        vdev->queue_sel = val;
        return;
    case VIRTIO_PCI_COMMON_Q_ENABLE:
        if (vq && val == 1) {
            virtio_queue_enable(vdev, vdev->queue_sel);
        }
        return;
    default:
        break;
    }
    /* The rest describes the selected queue, fixed once it is enabled. */
    if (!vq || vq->enabled) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write to common config offset "
                      "0x%" PRIx64 " for %s queue %u\n", vdev->name,
                      (uint64_t)addr, vq ? "enabled" : "missing",
                      vdev->queue_sel);
        return;
    }
    switch (addr) {
    case VIRTIO_PCI_COMMON_Q_SIZE:
        virtio_queue_set_num(vdev, vdev->queue_sel, val);
        break;
    case VIRTIO_PCI_COMMON_Q_MSIX:
        vq->vector = virtio_pci_check_vector(proxy, val);
        break;
    case VIRTIO_PCI_COMMON_Q_DESCLO:
    case VIRTIO_PCI_COMMON_Q_DESCHI:
        set_half(&vq->desc, addr == VIRTIO_PCI_COMMON_Q_DESCHI, val);
        break;
    case VIRTIO_PCI_COMMON_Q_AVAILLO:
    case VIRTIO_PCI_COMMON_Q_AVAILHI:
        set_half(&vq->avail, addr == VIRTIO_PCI_COMMON_Q_AVAILHI, val);
        break;
    case VIRTIO_PCI_COMMON_Q_USEDLO:
    case VIRTIO_PCI_COMMON_Q_USEDHI:
        set_half(&vq->used, addr == VIRTIO_PCI_COMMON_Q_USEDHI, val);
        break;
    default:
        qemu_log_mask(LOG_GUEST_ERROR, "%s: write to read-only common "
                      "config offset 0x%" PRIx64 "\n", vdev->name,
                      (uint64_t)addr);
        break;
    }
}

/*
 * A little-endian window of the modern layout: any access width up to
 * _max, unaligned ones too, reach the handlers as they are.
 */
#define VIRTIO_PCI_REGION_OPS(_read, _write, _max) {                   \
    .read = (_read),                                                   \
    .write = (_write),                                                 \
    .endianness = DEVICE_LITTLE_ENDIAN,                                \
    .valid = { .min_access_size = 1, .max_access_size = (_max) },      \
    .impl = { .min_access_size = 1, .max_access_size = (_max),         \
              .unaligned = true },                                     \
}

static const MemoryRegionOps virtio_pci_common_ops =
    VIRTIO_PCI_REGION_OPS(virtio_pci_common_read, virtio_pci_common_write, 4);

/* ---- ISR, device config, notifications ------------------------------------ */

static uint64_t virtio_pci_isr_read(void *opaque, hwaddr addr, unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    uint8_t val = proxy->vdev->isr;

    /* Reading acknowledges: the register clears and INTx drops. */
    proxy->vdev->isr = 0;
    pci_set_irq(&proxy->pci_dev, 0);
    return val;
}

static void virtio_pci_isr_write(void *opaque, hwaddr addr, uint64_t val,
                                 unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "virtio-pci: write to the ISR register\n");
}

static const MemoryRegionOps virtio_pci_isr_ops = {
    .read = virtio_pci_isr_read,
    .write = virtio_pci_isr_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
    .impl = { .min_access_size = 1, .max_access_size = 1 },
};

static uint64_t virtio_pci_device_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    VirtIODevice *vdev = proxy->vdev;
    uint64_t val = 0;

    if (addr >= vdev->config_len || size > vdev->config_len - addr) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: device config read at 0x%"
                      PRIx64 " beyond its %zu bytes\n", vdev->name,
                      (uint64_t)addr, vdev->config_len);
        return 0;
    }
    virtio_config_read(vdev);
    memcpy(&val, vdev->config + addr, size);
    return le64toh(val);
}

static void virtio_pci_device_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;
    VirtIODevice *vdev = proxy->vdev;
    uint64_t le = htole64(val);

    if (addr >= vdev->config_len || size > vdev->config_len - addr) {
        qemu_log_mask(LOG_GUEST_ERROR, "%s: device config write at 0x%"
                      PRIx64 " beyond its %zu bytes\n", vdev->name,
                      (uint64_t)addr, vdev->config_len);
        return;
    }
    virtio_config_read(vdev);
    memcpy(vdev->config + addr, &le, size);
    virtio_config_written(vdev);
}

static const MemoryRegionOps virtio_pci_device_ops =
    VIRTIO_PCI_REGION_OPS(virtio_pci_device_read, virtio_pci_device_write, 8);

static uint64_t virtio_pci_notify_read(void *opaque, hwaddr addr,
                                       unsigned size)
{
    return 0;
}

static void virtio_pci_notify_write(void *opaque, hwaddr addr, uint64_t val,
                                    unsigned size)
{
    VirtIOPCIProxy *proxy = opaque;

    virtio_queue_notify(proxy->vdev, addr / VIRTIO_PCI_NOTIFY_MULTIPLIER);
}

static const MemoryRegionOps virtio_pci_notify_ops =
    VIRTIO_PCI_REGION_OPS(virtio_pci_notify_read, virtio_pci_notify_write, 4);

/* ---- capabilities and realize --------------------------------------------- */

static bool virtio_pci_add_cap(VirtIOPCIProxy *proxy, uint8_t cfg_type,
                               uint32_t offset, uint32_t length,
                               Error **errp)
{
    PCIDevice *pd = &proxy->pci_dev;
    uint8_t cap_len = cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG ? 20 : 16;
    int pos = pci_add_capability(pd, PCI_CAP_ID_VNDR, 0, cap_len, errp);
    uint8_t *c;

    if (pos < 0) {
        return false;
    }
    c = pd->config + pos;
    c[2] = cap_len;
    c[3] = cfg_type;
    c[4] = VIRTIO_PCI_MODERN_BAR;
    pci_set_long(c + 8, offset);
    pci_set_long(c + 12, length);
    if (cfg_type == VIRTIO_PCI_CAP_NOTIFY_CFG) {
        pci_set_long(c + 16, VIRTIO_PCI_NOTIFY_MULTIPLIER);
    }
    return true;
}

bool virtio_pci_realize(VirtIOPCIProxy *proxy, VirtIODevice *vdev,
                        Error **errp)
{
    PCIDevice *pd = &proxy->pci_dev;
    Object *owner = OBJECT(proxy);

    if (proxy->nvectors > 128) {
        error_setg(errp, "virtio-pci: vectors=%u: at most 128 are supported",
                   proxy->nvectors);
        return false;
    }
    proxy->vdev = vdev;
    virtio_bind_transport(vdev, &virtio_pci_transport, proxy);
    pci_set_word(pd->config + PCI_DEVICE_ID,
                 PCI_DEVICE_ID_VIRTIO_10_BASE + vdev->device_id);
    pd->config[PCI_REVISION_ID] = 1;
    pd->config[PCI_INTERRUPT_PIN] = 1;

    memory_region_init(&proxy->modern_bar, owner, "virtio-pci",
                       VIRTIO_PCI_MODERN_BAR_SIZE);
    memory_region_init_io(&proxy->common, owner, &virtio_pci_common_ops,
                          proxy, "virtio-pci-common", VIRTIO_PCI_REGION_SIZE);
    memory_region_init_io(&proxy->isr, owner, &virtio_pci_isr_ops, proxy,
                          "virtio-pci-isr", VIRTIO_PCI_REGION_SIZE);
    memory_region_init_io(&proxy->device, owner, &virtio_pci_device_ops,
                          proxy, "virtio-pci-device", VIRTIO_PCI_REGION_SIZE);
    memory_region_init_io(&proxy->notify, owner, &virtio_pci_notify_ops,
                          proxy, "virtio-pci-notify", VIRTIO_PCI_REGION_SIZE);
    memory_region_add_subregion(&proxy->modern_bar, VIRTIO_PCI_COMMON_OFFSET,
                                &proxy->common);
    memory_region_add_subregion(&proxy->modern_bar, VIRTIO_PCI_ISR_OFFSET,
                                &proxy->isr);
    memory_region_add_subregion(&proxy->modern_bar, VIRTIO_PCI_DEVICE_OFFSET,
                                &proxy->device);
    memory_region_add_subregion(&proxy->modern_bar, VIRTIO_PCI_NOTIFY_OFFSET,
                                &proxy->notify);
    if (!virtio_pci_add_cap(proxy, VIRTIO_PCI_CAP_COMMON_CFG,
                            VIRTIO_PCI_COMMON_OFFSET, VIRTIO_PCI_COMMON_SIZE,
                            errp) ||
        !virtio_pci_add_cap(proxy, VIRTIO_PCI_CAP_ISR_CFG,
                            VIRTIO_PCI_ISR_OFFSET, 1, errp) ||
        !virtio_pci_add_cap(proxy, VIRTIO_PCI_CAP_DEVICE_CFG,
                            VIRTIO_PCI_DEVICE_OFFSET, vdev->config_len,
                            errp) ||
        !virtio_pci_add_cap(proxy, VIRTIO_PCI_CAP_NOTIFY_CFG,
                            VIRTIO_PCI_NOTIFY_OFFSET,
                            VIRTIO_PCI_NOTIFY_MULTIPLIER * VIRTIO_QUEUE_MAX,
                            errp)) {
        return false;
    }
    pci_register_bar(pd, VIRTIO_PCI_MODERN_BAR,
                     PCI_BASE_ADDRESS_SPACE_MEMORY |
                     PCI_BASE_ADDRESS_MEM_TYPE_64 |
                     PCI_BASE_ADDRESS_MEM_PREFETCH, &proxy->modern_bar);

    if (proxy->nvectors) {
        memory_region_init(&proxy->msix_bar, owner, "virtio-pci-msix",
                           0x1000);
        if (msix_init(pd, proxy->nvectors, &proxy->msix_bar,
                      VIRTIO_PCI_MSIX_BAR, 0, &proxy->msix_bar,
                      VIRTIO_PCI_MSIX_BAR, VIRTIO_PCI_MSIX_PBA_OFFSET, 0,
                      errp) < 0) {
            return false;
        }
        pci_register_bar(pd, VIRTIO_PCI_MSIX_BAR,
                         PCI_BASE_ADDRESS_SPACE_MEMORY, &proxy->msix_bar);
    }
    return true;
}

void virtio_pci_exit(VirtIOPCIProxy *proxy)
{
    if (proxy->nvectors) {
        msix_uninit(&proxy->pci_dev, &proxy->msix_bar, &proxy->msix_bar);
    }
}

/* ---- VMState -------------------------------------------------------------- */

static bool virtio_pci_vectors_valid(void *opaque, int version_id)
{
    VirtIOPCIProxy *proxy = opaque;
    VirtIODevice *vdev = proxy->vdev;
    bool ok = true;

    /* The driver could only set vectors the MSI-X table has. */
    if (vdev->config_vector != VIRTIO_NO_VECTOR &&
        vdev->config_vector >= proxy->nvectors) {
        error_report("%s: config vector %u beyond the %u MSI-X vectors",
                     vdev->name, vdev->config_vector, proxy->nvectors);
        vdev->config_vector = VIRTIO_NO_VECTOR;
        ok = false;
    }
    for (int i = 0; i < VIRTIO_QUEUE_MAX; i++) {
        VirtQueue *vq = &vdev->vq[i];
        if (vq->vector != VIRTIO_NO_VECTOR && vq->vector >= proxy->nvectors) {
            error_report("%s: queue %d vector %u beyond the %u MSI-X "
                         "vectors", vdev->name, i, vq->vector,
                         proxy->nvectors);
            vq->vector = VIRTIO_NO_VECTOR;
            ok = false;
        }
    }
    if (!ok) {
        vdev->broken = true;
    }
    return ok;
}

const VMStateDescription vmstate_virtio_pci = {
    .name = "virtio_pci",
    .version_id = 1,
    .minimum_version_id = 1,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT32(dfselect, VirtIOPCIProxy),
        VMSTATE_UINT32(gfselect, VirtIOPCIProxy),
        VMSTATE_UINT32_ARRAY(guest_features, VirtIOPCIProxy, 2),
        VMSTATE_STRUCT_POINTER(vdev, VirtIOPCIProxy, vmstate_virtio_device,
                               VirtIODevice),
        VMSTATE_VALIDATE("config/queue vectors: within the MSI-X table",
                         virtio_pci_vectors_valid),
        VMSTATE_END_OF_LIST()
    },
};

/* ---- the abstract type ------------------------------------------------------ */

static ResettablePhases virtio_pci_parent_phases;

static void virtio_pci_reset_hold(Object *obj, ResetType type)
{
    VirtIOPCIProxy *proxy = VIRTIO_PCI(obj);

    if (virtio_pci_parent_phases.hold) {
        virtio_pci_parent_phases.hold(obj, type);
    }
    if (proxy->vdev) {
        virtio_reset(proxy->vdev);
    }
    virtio_pci_reset_transport(proxy);
}

static const Property virtio_pci_props[] = {
    DEFINE_PROP_UINT32("vectors", VirtIOPCIProxy, nvectors, 2),
    DEFINE_PROP_END_OF_LIST(),
};

static void virtio_pci_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->vendor_id = PCI_VENDOR_ID_REDHAT_QUMRANET;
    k->revision = 1;
    device_class_set_props(dc, virtio_pci_props);
    resettable_class_set_parent_phases(rc, NULL, virtio_pci_reset_hold, NULL,
                                       &virtio_pci_parent_phases);
}

/* The regions outlive exit (the bus unmaps the BARs after it). */
static void virtio_pci_instance_finalize(Object *obj)
{
    VirtIOPCIProxy *proxy = VIRTIO_PCI(obj);
    MemoryRegion *const mrs[] = {
        &proxy->modern_bar, &proxy->common, &proxy->isr, &proxy->device,
        &proxy->notify, &proxy->msix_bar,
    };

    for (size_t i = 0; i < ARRAY_SIZE(mrs); i++) {
        if (mrs[i]->name) {
            memory_region_finalize(mrs[i]);
        }
    }
}

static const TypeInfo virtio_pci_info = {
    .name = TYPE_VIRTIO_PCI,
    .parent = TYPE_PCI_DEVICE,
    .instance_size = sizeof(VirtIOPCIProxy),
    .class_size = sizeof(PCIDeviceClass),
    .class_init = virtio_pci_class_init,
    .instance_finalize = virtio_pci_instance_finalize,
    .abstract = true,
};

static void virtio_pci_register_types(void)
{
    type_register_static(&virtio_pci_info);
}

type_init(virtio_pci_register_types)
