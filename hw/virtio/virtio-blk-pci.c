/*
 * virtio-blk-pci: a VirtIOBlock on the modern virtio-pci transport.
 *   -device virtio-blk-pci,drive=ID[,serial=STR][,vectors=N][,addr=SLOT]
 * drive= names a -drive id= or a -blockdev node-name=.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "hw/virtio/virtio-pci.h"
#include "hw/virtio/virtio-blk.h"
#include "hw/pci/msix.h"
#include "hw/qdev-properties.h"
#include "block/block-backend.h"
#include "migration/vmstate.h"

#define TYPE_VIRTIO_BLK_PCI "virtio-blk-pci"

typedef struct VirtIOBlkPCI {
    VirtIOPCIProxy parent_obj;
    VirtIOBlock vdev;
    char *drive;
    char *serial;
} VirtIOBlkPCI;

#define VIRTIO_BLK_PCI(obj) \
    OBJECT_CHECK(VirtIOBlkPCI, (obj), TYPE_VIRTIO_BLK_PCI)

static void virtio_blk_pci_realize(PCIDevice *pd, Error **errp)
{
    VirtIOBlkPCI *d = VIRTIO_BLK_PCI(pd);
    BlockBackend *blk;

    if (!d->drive || !*d->drive) {
        error_setg(errp, "virtio-blk-pci: drive property not set");
        return;
    }
    blk = blk_by_name(d->drive);
    if (!blk) {
        error_setg(errp, "virtio-blk-pci: drive=%s: no drive or block node "
                   "with that name", d->drive);
        return;
    }
    /* One device per backend, as QEMU's "drive is in use" check. */
    if (blk_attach_dev(blk, d) < 0) {
        error_setg(errp, "virtio-blk-pci: drive=%s: drive is already in use "
                   "by another device", d->drive);
        return;
    }
    if (!virtio_blk_realize(&d->vdev, blk, d->serial, &address_space_memory,
                            errp)) {
        blk_detach_dev(blk, d);
        return;
    }
    if (!virtio_pci_realize(&d->parent_obj, &d->vdev.parent_obj, errp)) {
        virtio_blk_unrealize(&d->vdev);
        blk_detach_dev(blk, d);
        return;
    }
}

static void virtio_blk_pci_exit(PCIDevice *pd)
{
    VirtIOBlkPCI *d = VIRTIO_BLK_PCI(pd);

    virtio_pci_exit(&d->parent_obj);
    virtio_blk_unrealize(&d->vdev);
    blk_detach_dev(d->vdev.blk, d);
}

/*
 * QEMU's "virtio-blk": the PCI proxy first (config space with BARs and
 * INTx level, MSI-X table and PBA, the transport registers), then the
 * virtio device with its queues.  In-flight requests are not described:
 * pre_save drains them, so the used ring holds every answer when the
 * state is written and the loaded queues have nothing popped.
 */
static int virtio_blk_pci_pre_save(void *opaque)
{
    VirtIOBlkPCI *d = opaque;

    virtio_blk_drain(&d->vdev);
    return 0;
}

static const VMStateDescription vmstate_virtio_blk_pci = {
    .name = "virtio-blk",
    .version_id = 3,
    .minimum_version_id = 3,
    .pre_save = virtio_blk_pci_pre_save,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj.pci_dev, VirtIOBlkPCI),
        VMSTATE_MSIX(parent_obj.pci_dev, VirtIOBlkPCI),
        VMSTATE_STRUCT(parent_obj, VirtIOBlkPCI, 0, vmstate_virtio_pci,
                       VirtIOPCIProxy),
        VMSTATE_END_OF_LIST()
    },
};

static const Property virtio_blk_pci_props[] = {
    DEFINE_PROP_STRING("drive", VirtIOBlkPCI, drive),
    DEFINE_PROP_STRING("serial", VirtIOBlkPCI, serial),
    DEFINE_PROP_END_OF_LIST(),
};

static void virtio_blk_pci_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);

    k->realize = virtio_blk_pci_realize;
    k->exit = virtio_blk_pci_exit;
    k->device_id = PCI_DEVICE_ID_VIRTIO_10_BASE + VIRTIO_ID_BLOCK;
    k->class_id = 0x0100;           /* mass storage, SCSI: as QEMU's */
    dc->desc = "virtio block device (modern PCI transport)";
    dc->user_creatable = true;
    dc->vmsd = &vmstate_virtio_blk_pci;
    device_class_set_props(dc, virtio_blk_pci_props);
}

static const TypeInfo virtio_blk_pci_info = {
    .name = TYPE_VIRTIO_BLK_PCI,
    .parent = TYPE_VIRTIO_PCI,
    .instance_size = sizeof(VirtIOBlkPCI),
    .class_size = sizeof(PCIDeviceClass),
    .class_init = virtio_blk_pci_class_init,
};

static void virtio_blk_pci_register_types(void)
{
    type_register_static(&virtio_blk_pci_info);
}

type_init(virtio_blk_pci_register_types)
