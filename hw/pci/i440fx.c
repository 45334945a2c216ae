/*
 * i440FX host bridge (see include/hw/pci-host/i440fx.h), after QEMU's
 * hw/pci-host/i440fx.c.  Lives in hw/pci until hw/pci-host is a SUBDIR.
 */
#include "util/osdep.h"
#include "hw/pci-host/i440fx.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "hw/i386/boot.h"  /* boot_ranges_overlap */

typedef struct I440FXHostState {
    PCIHostState parent_obj;
    MemoryRegion *pci_memory;
    MemoryRegion *system_io;
} I440FXHostState;

#define I440FX_PCI_HOST_BRIDGE(obj) \
    OBJECT_CHECK(I440FXHostState, (obj), TYPE_I440FX_PCI_HOST_BRIDGE)

static void i440fx_host_realize(DeviceState *dev, Error **errp)
{
    I440FXHostState *s = I440FX_PCI_HOST_BRIDGE(dev);
    PCIHostState *phb = PCI_HOST_BRIDGE(dev);

    if (!s->pci_memory || !s->system_io) {
        error_setg(errp, "i440FX-pcihost: no PCI memory or I/O space given");
        return;
    }
    memory_region_init_io(&phb->conf_mem, OBJECT(dev), &pci_host_conf_le_ops,
                          phb, "pci-conf-idx", 4);
    memory_region_init_io(&phb->data_mem, OBJECT(dev), &pci_host_data_le_ops,
                          phb, "pci-conf-data", 4);
    memory_region_add_subregion(s->system_io, 0xcf8, &phb->conf_mem);
    memory_region_add_subregion(s->system_io, 0xcfc, &phb->data_mem);
    phb->bus = pci_root_bus_new(dev, "pci.0", s->pci_memory, s->system_io, 0);
}

static void i440fx_host_unrealize(DeviceState *dev)
{
    I440FXHostState *s = I440FX_PCI_HOST_BRIDGE(dev);
    PCIHostState *phb = PCI_HOST_BRIDGE(dev);

    memory_region_del_subregion(s->system_io, &phb->conf_mem);
    memory_region_del_subregion(s->system_io, &phb->data_mem);
    memory_region_finalize(&phb->conf_mem);
    memory_region_finalize(&phb->data_mem);
}

static void i440fx_host_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);

    dc->realize = i440fx_host_realize;
    dc->unrealize = i440fx_host_unrealize;
    dc->desc = "i440FX PCI host bridge";
    dc->fw_name = "pci";
    dc->user_creatable = false;
}

/*
 * The PAM regions and the legacy VGA window follow the PAM and SMRAM
 * registers.  Without SMM, SMRAM is storage plus its D_OPEN bit: closed
 * (the reset state), 0xA0000-0xBFFFF goes to PCI (VGA); open, it is RAM.
 */
static void i440fx_update_memory_mappings(PCII440FXState *d)
{
    PCIDevice *pd = PCI_DEVICE(d);

    if (!d->ram_memory) {
        return;
    }
    memory_region_transaction_begin();
    for (int i = 0; i < PAM_REGIONS_COUNT; i++) {
        pam_update(&d->pam_regions[i], i,
                   pd->config[I440FX_PAM + DIV_ROUND_UP(i, 2)]);
    }
    memory_region_set_enabled(&d->smram_region,
                              !(pd->config[I440FX_SMRAM] & SMRAM_D_OPEN));
    memory_region_transaction_commit();
}

static void i440fx_write_config(PCIDevice *dev, uint32_t address,
                                uint32_t val, int len)
{
    pci_default_write_config(dev, address, val, len);
    if (boot_ranges_overlap(address, len, I440FX_PAM, I440FX_PAM_SIZE) ||
        boot_ranges_overlap(address, len, I440FX_SMRAM, 1)) {
        i440fx_update_memory_mappings(PCII440FX(dev));
    }
}

/*
 * Below 1 MiB the PCI side ends in master abort (all ones, writes lost)
 * where no ROM or device decodes, rather than letting RAM show through
 * the PAM and SMRAM windows as an empty container would.
 */
static uint64_t i440fx_master_abort_read(void *opaque, hwaddr addr,
                                         unsigned size)
{
    return size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1;
}

static void i440fx_master_abort_write(void *opaque, hwaddr addr,
                                      uint64_t val, unsigned size)
{
}

static const MemoryRegionOps i440fx_master_abort_ops = {
    .read = i440fx_master_abort_read,
    .write = i440fx_master_abort_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

static void i440fx_realize(PCIDevice *dev, Error **errp)
{
    PCII440FXState *d = PCII440FX(dev);

    /* PAM0-6 and SMRAM: the firmware programs them. */
    memset(dev->wmask + I440FX_PAM, 0xff, I440FX_PAM_SIZE);
    dev->wmask[I440FX_SMRAM] = 0xff;
    if (!d->ram_memory) {
        return;     /* a bus without RAM behind it (unit tests) */
    }
    if (!d->system_memory || !d->pci_address_space) {
        error_setg(errp, "i440FX: RAM given without system or PCI memory");
        return;
    }
    if (memory_region_size(d->ram_memory) < 1 * MiB) {
        error_setg(errp, "i440FX: PAM needs at least 1 MiB of RAM, "
                   "there are %" PRIu64 " bytes",
                   memory_region_size(d->ram_memory));
        d->ram_memory = NULL;
        return;
    }
    memory_region_init_io(&d->master_abort, OBJECT(d),
                          &i440fx_master_abort_ops, d, "pci-master-abort",
                          1 * MiB - SMRAM_C_BASE);
    memory_region_add_subregion_overlap(d->pci_address_space, SMRAM_C_BASE,
                                        &d->master_abort, -100);
    address_space_init(&d->pci_as, d->pci_address_space, "i440fx-pam-pci");
    memory_region_init_alias(&d->smram_region, OBJECT(d), "smram-region",
                             d->pci_address_space, SMRAM_C_BASE,
                             SMRAM_C_SIZE);
    memory_region_add_subregion_overlap(d->system_memory, SMRAM_C_BASE,
                                        &d->smram_region, 1);
    init_pam(&d->pam_regions[0], OBJECT(d), d->ram_memory, d->system_memory,
             d->pci_address_space, &d->pci_as, PAM_BIOS_BASE, PAM_BIOS_SIZE);
    for (int i = 0; i < 12; i++) {
        init_pam(&d->pam_regions[i + 1], OBJECT(d), d->ram_memory,
                 d->system_memory, d->pci_address_space, &d->pci_as,
                 PAM_EXPAN_BASE + i * PAM_EXPAN_SIZE, PAM_EXPAN_SIZE);
    }
    i440fx_update_memory_mappings(d);
}

static ResettablePhases i440fx_parent_phases;

static void i440fx_reset_hold(Object *obj, ResetType type)
{
    PCIDevice *dev = PCI_DEVICE(obj);

    if (i440fx_parent_phases.hold) {
        i440fx_parent_phases.hold(obj, type);
    }
    /* Shadow RAM off: 0xC0000-0xFFFFF reads the ROMs again. */
    memset(dev->config + I440FX_PAM, 0, I440FX_PAM_SIZE);
    dev->config[I440FX_SMRAM] = 0x02;
    i440fx_update_memory_mappings(PCII440FX(dev));
}

/* PAM and SMRAM registers came with the config space: map to match. */
static int i440fx_post_load(void *opaque, int version_id)
{
    i440fx_update_memory_mappings(opaque);
    return 0;
}

/* QEMU's hw/pci-host/i440fx.c "I440FX". */
static const VMStateDescription vmstate_i440fx = {
    .name = "I440FX",
    .version_id = 3,
    .minimum_version_id = 3,
    .post_load = i440fx_post_load,
    .fields = (const VMStateField[]) {
        VMSTATE_PCI_DEVICE(parent_obj, PCII440FXState),
        VMSTATE_UNUSED(1),      /* QEMU's former smm_enabled */
        VMSTATE_END_OF_LIST()
    },
};

static void i440fx_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    PCIDeviceClass *k = PCI_DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    k->realize = i440fx_realize;
    k->config_write = i440fx_write_config;
    k->vendor_id = PCI_VENDOR_ID_INTEL;
    k->device_id = PCI_DEVICE_ID_INTEL_82441;
    k->revision = 0x02;
    k->class_id = PCI_CLASS_BRIDGE_HOST;
    dc->desc = "Host bridge";
    dc->vmsd = &vmstate_i440fx;
    /* Part of the chipset: cannot be added with -device. */
    dc->user_creatable = false;
    resettable_class_set_parent_phases(rc, NULL, i440fx_reset_hold, NULL,
                                       &i440fx_parent_phases);
}

static const TypeInfo i440fx_types[] = {
    {
        .name = TYPE_I440FX_PCI_HOST_BRIDGE,
        .parent = TYPE_PCI_HOST_BRIDGE,
        .instance_size = sizeof(I440FXHostState),
        .class_init = i440fx_host_class_init,
    },
    {
        .name = TYPE_I440FX_PCI_DEVICE,
        .parent = TYPE_PCI_DEVICE,
        .instance_size = sizeof(PCII440FXState),
        .class_size = sizeof(PCIDeviceClass),
        .class_init = i440fx_class_init,
    },
};

DEFINE_TYPES(i440fx_types)

PCIBus *i440fx_init(MemoryRegion *system_memory, MemoryRegion *ram_memory,
                    MemoryRegion *pci_memory, MemoryRegion *system_io,
                    PCIDevice **i440fx_dev)
{
    DeviceState *dev = qdev_new(TYPE_I440FX_PCI_HOST_BRIDGE);
    I440FXHostState *s = I440FX_PCI_HOST_BRIDGE(dev);
    PCII440FXState *f;
    PCIBus *bus;
    PCIDevice *d;

    s->pci_memory = pci_memory;
    s->system_io = system_io;
    object_property_add_child(qdev_get_machine(), "i440fx", OBJECT(dev));
    sysbus_realize_and_unref(SYS_BUS_DEVICE(dev), &error_fatal);
    bus = PCI_HOST_BRIDGE(dev)->bus;
    d = pci_new(PCI_DEVFN(0, 0), TYPE_I440FX_PCI_DEVICE);
    f = PCII440FX(d);
    f->system_memory = system_memory;
    f->ram_memory = ram_memory;
    f->pci_address_space = pci_memory;
    pci_realize_and_unref(d, bus, &error_fatal);
    if (i440fx_dev) {
        *i440fx_dev = d;
    }
    return bus;
}
