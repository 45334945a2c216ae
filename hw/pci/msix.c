/*
 * MSI-X capability (see include/hw/pci/msix.h), after QEMU's
 * hw/pci/msix.c.
 */
#include "util/osdep.h"
#include "hw/pci/msix.h"
#include "hw/pci/msi.h"
#include "util/log.h"
#include "migration/vmstate.h"

static uint16_t msix_control(const PCIDevice *dev)
{
    return pci_get_word(dev->config + dev->msix_cap + PCI_MSIX_FLAGS);
}

bool msix_enabled(const PCIDevice *dev)
{
    return dev->msix_cap && (msix_control(dev) & PCI_MSIX_FLAGS_ENABLE);
}

static bool msix_function_masked(const PCIDevice *dev)
{
    return msix_control(dev) & PCI_MSIX_FLAGS_MASKALL;
}

static uint8_t *msix_entry(PCIDevice *dev, unsigned vector)
{
    return dev->msix_table + vector * PCI_MSIX_ENTRY_SIZE;
}

bool msix_is_masked(PCIDevice *dev, unsigned vector)
{
    return msix_function_masked(dev) ||
        (pci_get_long(msix_entry(dev, vector) + PCI_MSIX_ENTRY_VECTOR_CTRL) &
         PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

bool msix_is_pending(PCIDevice *dev, unsigned vector)
{
    return dev->msix_pba[vector / 8] & (1 << (vector % 8));
}

static void msix_set_pending(PCIDevice *dev, unsigned vector, bool pending)
{
    if (pending) {
        dev->msix_pba[vector / 8] |= 1 << (vector % 8);
    } else {
        dev->msix_pba[vector / 8] &= ~(1 << (vector % 8));
    }
}

static void msix_send(PCIDevice *dev, unsigned vector)
{
    uint8_t *e = msix_entry(dev, vector);
    uint64_t addr = pci_get_quad(e + PCI_MSIX_ENTRY_LOWER_ADDR);
    uint32_t data = pci_get_long(e + PCI_MSIX_ENTRY_DATA);

    pci_send_msi_message(dev, addr, data);
}

void msix_notify(PCIDevice *dev, unsigned vector)
{
    if (!msix_enabled(dev) || vector >= dev->msix_entries_nr) {
        return;
    }
    if (msix_is_masked(dev, vector)) {
        msix_set_pending(dev, vector, true);
        return;
    }
    msix_send(dev, vector);
}

/* A vector may have been unmasked: deliver what was pending. */
static void msix_handle_mask_update(PCIDevice *dev, unsigned vector)
{
    if (msix_enabled(dev) && !msix_is_masked(dev, vector) &&
        msix_is_pending(dev, vector)) {
        msix_set_pending(dev, vector, false);
        msix_send(dev, vector);
    }
}

static uint64_t msix_table_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIDevice *dev = opaque;

    return pci_get_long(dev->msix_table + addr);
}

static void msix_table_write(void *opaque, hwaddr addr, uint64_t val,
                             unsigned size)
{
    PCIDevice *dev = opaque;
    unsigned vector = addr / PCI_MSIX_ENTRY_SIZE;

    pci_set_long(dev->msix_table + addr, val);
    if (addr % PCI_MSIX_ENTRY_SIZE == PCI_MSIX_ENTRY_VECTOR_CTRL) {
        msix_handle_mask_update(dev, vector);
    }
}

static const MemoryRegionOps msix_table_ops = {
    .read = msix_table_read,
    .write = msix_table_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

static uint64_t msix_pba_read(void *opaque, hwaddr addr, unsigned size)
{
    PCIDevice *dev = opaque;

    return pci_get_long(dev->msix_pba + addr);
}

static void msix_pba_write(void *opaque, hwaddr addr, uint64_t val,
                           unsigned size)
{
    qemu_log_mask(LOG_GUEST_ERROR, "msix: write to the read-only PBA\n");
}

static const MemoryRegionOps msix_pba_ops = {
    .read = msix_pba_read,
    .write = msix_pba_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 4, .max_access_size = 8 },
    .impl = { .min_access_size = 4, .max_access_size = 4 },
};

int msix_init(PCIDevice *dev, unsigned short nentries,
              MemoryRegion *table_bar, uint8_t table_bar_nr,
              unsigned table_offset, MemoryRegion *pba_bar,
              uint8_t pba_bar_nr, unsigned pba_offset, uint8_t cap_pos,
              Error **errp)
{
    unsigned table_size = nentries * PCI_MSIX_ENTRY_SIZE;
    /* The PBA is read in 32-bit (or 64-bit) units: round it up. */
    unsigned pba_size = ALIGN_UP(DIV_ROUND_UP(nentries, 8), 8);
    uint8_t *config;
    int cap;

    if (!nentries || nentries > 2048) {
        error_setg(errp, "msix: %u vectors: must be 1 to 2048", nentries);
        return -EINVAL;
    }
    if (table_bar_nr >= PCI_NUM_REGIONS || pba_bar_nr >= PCI_NUM_REGIONS ||
        (table_offset | pba_offset) & 7 ||
        table_offset + table_size > memory_region_size(table_bar) ||
        pba_offset + pba_size > memory_region_size(pba_bar) ||
        (table_bar == pba_bar && table_offset < pba_offset + pba_size &&
         pba_offset < table_offset + table_size)) {
        error_setg(errp, "msix: table or PBA does not fit its BAR");
        return -EINVAL;
    }
    cap = pci_add_capability(dev, PCI_CAP_ID_MSIX, cap_pos,
                             PCI_MSIX_CAP_SIZE, errp);
    if (cap < 0) {
        return cap;
    }
    dev->msix_cap = cap;
    dev->msix_entries_nr = nentries;
    config = dev->config + cap;
    pci_set_word(config + PCI_MSIX_FLAGS, nentries - 1);
    pci_set_long(config + PCI_MSIX_TABLE, table_offset | table_bar_nr);
    pci_set_long(config + PCI_MSIX_PBA, pba_offset | pba_bar_nr);
    pci_set_word(dev->wmask + cap + PCI_MSIX_FLAGS,
                 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);

    dev->msix_table = xzalloc(table_size);
    dev->msix_pba = xzalloc(pba_size);
    msix_reset(dev);
    memory_region_init_io(&dev->msix_table_mmio, OBJECT(dev), &msix_table_ops,
                          dev, "msix-table", table_size);
    memory_region_add_subregion(table_bar, table_offset,
                                &dev->msix_table_mmio);
    memory_region_init_io(&dev->msix_pba_mmio, OBJECT(dev), &msix_pba_ops,
                          dev, "msix-pba", pba_size);
    memory_region_add_subregion(pba_bar, pba_offset, &dev->msix_pba_mmio);
    return cap;
}

void msix_uninit(PCIDevice *dev, MemoryRegion *table_bar,
                 MemoryRegion *pba_bar)
{
    if (!dev->msix_cap) {
        return;
    }
    memory_region_del_subregion(table_bar, &dev->msix_table_mmio);
    memory_region_del_subregion(pba_bar, &dev->msix_pba_mmio);
    memory_region_finalize(&dev->msix_table_mmio);
    memory_region_finalize(&dev->msix_pba_mmio);
    free(dev->msix_table);
    free(dev->msix_pba);
    dev->msix_table = dev->msix_pba = NULL;
    dev->msix_cap = 0;
    dev->msix_entries_nr = 0;
}

void msix_write_config(PCIDevice *dev, uint32_t addr, int len)
{
    uint32_t flags_off;
    bool was_masked;

    if (!dev->msix_cap) {
        return;
    }
    flags_off = dev->msix_cap + PCI_MSIX_FLAGS;
    if (addr + len <= flags_off || addr >= flags_off + 2) {
        return;
    }
    was_masked = dev->msix_function_masked;
    dev->msix_function_masked = !msix_enabled(dev) ||
        msix_function_masked(dev);
    if (was_masked && !dev->msix_function_masked) {
        for (unsigned v = 0; v < dev->msix_entries_nr; v++) {
            msix_handle_mask_update(dev, v);
        }
    }
}

void msix_reset(PCIDevice *dev)
{
    if (!dev->msix_cap) {
        return;
    }
    pci_set_word(dev->config + dev->msix_cap + PCI_MSIX_FLAGS,
                 dev->msix_entries_nr - 1);
    memset(dev->msix_table, 0, dev->msix_entries_nr * PCI_MSIX_ENTRY_SIZE);
    memset(dev->msix_pba, 0,
           ALIGN_UP(DIV_ROUND_UP(dev->msix_entries_nr, 8), 8));
    /* Every vector starts masked. */
    for (unsigned v = 0; v < dev->msix_entries_nr; v++) {
        pci_set_long(msix_entry(dev, v) + PCI_MSIX_ENTRY_VECTOR_CTRL,
                     PCI_MSIX_ENTRY_CTRL_MASKBIT);
    }
    dev->msix_function_masked = true;
}

/* ---- VMState ------------------------------------------------------------ */

static unsigned msix_pba_bytes(const PCIDevice *dev)
{
    return DIV_ROUND_UP(dev->msix_entries_nr, 8);
}

void msix_save(PCIDevice *dev, QEMUFile *f)
{
    if (!dev->msix_cap) {
        return;
    }
    qemu_put_buffer(f, dev->msix_table,
                    dev->msix_entries_nr * PCI_MSIX_ENTRY_SIZE);
    qemu_put_buffer(f, dev->msix_pba, msix_pba_bytes(dev));
}

void msix_load(PCIDevice *dev, QEMUFile *f)
{
    if (!dev->msix_cap) {
        return;
    }
    qemu_get_buffer(f, dev->msix_table,
                    dev->msix_entries_nr * PCI_MSIX_ENTRY_SIZE);
    qemu_get_buffer(f, dev->msix_pba, msix_pba_bytes(dev));
    /* The control word came with config space; follow it. */
    dev->msix_function_masked = !msix_enabled(dev) ||
        msix_function_masked(dev);
    for (unsigned v = 0; v < dev->msix_entries_nr; v++) {
        msix_handle_mask_update(dev, v);
    }
}

static int get_msix_state(QEMUFile *f, void *pv, size_t size,
                          const VMStateField *field)
{
    msix_load(pv, f);
    return qemu_file_get_error(f);
}

static int put_msix_state(QEMUFile *f, void *pv, size_t size,
                          const VMStateField *field)
{
    msix_save(pv, f);
    return 0;
}

static const VMStateInfo vmstate_info_msix = {
    .name = "msix state",
    .get = get_msix_state,
    .put = put_msix_state,
};

const VMStateDescription vmstate_msix = {
    .name = "msix",
    .fields = (const VMStateField[]) {
        {
            .name = "msix",
            .size = sizeof(PCIDevice),
            .info = &vmstate_info_msix,
            .flags = VMS_SINGLE,
            .offset = 0,
        },
        VMSTATE_END_OF_LIST()
    },
};
