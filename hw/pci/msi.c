/*
 * MSI capability (see include/hw/pci/msi.h), after QEMU's hw/pci/msi.c.
 */
#include "util/osdep.h"
#include "hw/pci/msi.h"
#include "util/log.h"

static uint16_t msi_flags(const PCIDevice *dev)
{
    return pci_get_word(dev->config + dev->msi_cap + PCI_MSI_FLAGS);
}

static bool msi_64bit(uint16_t flags)
{
    return flags & PCI_MSI_FLAGS_64BIT;
}

static unsigned msi_data_off(uint16_t flags)
{
    return msi_64bit(flags) ? 12 : 8;
}

static unsigned msi_mask_off(uint16_t flags)
{
    return msi_64bit(flags) ? 16 : 12;
}

static unsigned msi_cap_size(uint16_t flags)
{
    unsigned size = msi_data_off(flags) + 4;  /* data + reserved */

    return flags & PCI_MSI_FLAGS_MASKBIT ? size + 8 : size - 2;
}

void pci_send_msi_message(PCIDevice *dev, uint64_t addr, uint32_t data)
{
    /* Without bus mastering the device cannot write anything. */
    if (!(pci_get_word(dev->config + PCI_COMMAND) & PCI_COMMAND_MASTER)) {
        return;
    }
    address_space_stl_le(&address_space_memory, addr, data,
                         MEMTXATTRS_UNSPECIFIED, NULL);
}

int msi_init(PCIDevice *dev, uint8_t offset, unsigned nr_vectors,
             bool msi64bit, bool per_vector_mask, Error **errp)
{
    unsigned log2 = __builtin_ctz(nr_vectors);
    uint16_t flags = log2 << 1;
    unsigned cap, size, data_off;
    int ret;

    if (!nr_vectors || nr_vectors > 32 || (nr_vectors & (nr_vectors - 1))) {
        error_setg(errp, "msi: %u vectors: must be a power of 2 up to 32",
                   nr_vectors);
        return -EINVAL;
    }
    if (msi64bit) {
        flags |= PCI_MSI_FLAGS_64BIT;
    }
    if (per_vector_mask) {
        flags |= PCI_MSI_FLAGS_MASKBIT;
    }
    size = msi_cap_size(flags);
    ret = pci_add_capability(dev, PCI_CAP_ID_MSI, offset, size, errp);
    if (ret < 0) {
        return ret;
    }
    cap = ret;
    dev->msi_cap = cap;
    pci_set_word(dev->config + cap + PCI_MSI_FLAGS, flags);
    pci_set_word(dev->wmask + cap + PCI_MSI_FLAGS,
                 PCI_MSI_FLAGS_QSIZE | PCI_MSI_FLAGS_ENABLE);
    pci_set_long(dev->wmask + cap + PCI_MSI_ADDRESS_LO, 0xfffffffc);
    if (msi64bit) {
        pci_set_long(dev->wmask + cap + PCI_MSI_ADDRESS_HI, 0xffffffff);
    }
    data_off = msi_data_off(flags);
    pci_set_word(dev->wmask + cap + data_off, 0xffff);
    if (per_vector_mask) {
        pci_set_long(dev->wmask + cap + msi_mask_off(flags),
                     nr_vectors == 32 ? 0xffffffff : (1U << nr_vectors) - 1);
    }
    return cap;
}

bool msi_enabled(const PCIDevice *dev)
{
    return dev->msi_cap && (msi_flags(dev) & PCI_MSI_FLAGS_ENABLE);
}

void msi_get_message(PCIDevice *dev, unsigned vector, uint64_t *addr,
                     uint32_t *data)
{
    uint16_t flags = msi_flags(dev);
    unsigned nr = 1U << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4);
    uint8_t *cap = dev->config + dev->msi_cap;

    *addr = pci_get_long(cap + PCI_MSI_ADDRESS_LO);
    if (msi_64bit(flags)) {
        *addr |= (uint64_t)pci_get_long(cap + PCI_MSI_ADDRESS_HI) << 32;
    }
    *data = pci_get_word(cap + msi_data_off(flags));
    /* The low log2(enabled vectors) bits of data carry the vector. */
    *data = (*data & ~(nr - 1)) | (vector & (nr - 1));
}

static bool msi_is_masked(PCIDevice *dev, unsigned vector)
{
    uint16_t flags = msi_flags(dev);

    if (!(flags & PCI_MSI_FLAGS_MASKBIT)) {
        return false;
    }
    return pci_get_long(dev->config + dev->msi_cap + msi_mask_off(flags)) &
        (1U << vector);
}

static void msi_set_pending(PCIDevice *dev, unsigned vector, bool pending)
{
    uint16_t flags = msi_flags(dev);
    uint8_t *p = dev->config + dev->msi_cap + msi_mask_off(flags) + 4;
    uint32_t bits = pci_get_long(p);

    pci_set_long(p, pending ? bits | (1U << vector) : bits & ~(1U << vector));
}

void msi_notify(PCIDevice *dev, unsigned vector)
{
    uint16_t flags;
    unsigned nr;
    uint64_t addr;
    uint32_t data;

    if (!msi_enabled(dev)) {
        return;
    }
    flags = msi_flags(dev);
    nr = 1U << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4);
    if (vector >= nr) {
        return;
    }
    if (msi_is_masked(dev, vector)) {
        msi_set_pending(dev, vector, true);
        return;
    }
    msi_get_message(dev, vector, &addr, &data);
    pci_send_msi_message(dev, addr, data);
}

void msi_write_config(PCIDevice *dev, uint32_t addr, int len)
{
    uint16_t flags;
    unsigned nr_cap, nr_en;
    uint32_t pending;

    if (!dev->msi_cap ||
        addr + len <= dev->msi_cap ||
        addr >= dev->msi_cap + msi_cap_size(msi_flags(dev))) {
        return;
    }
    flags = msi_flags(dev);
    nr_cap = 1U << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
    nr_en = 1U << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4);
    if (nr_en > nr_cap) {
        /* More than the device offers: clamp, as real devices do. */
        qemu_log_mask(LOG_GUEST_ERROR, "msi: %u vectors enabled, %u capable\n",
                      nr_en, nr_cap);
        flags = (flags & ~PCI_MSI_FLAGS_QSIZE) |
            ((flags & PCI_MSI_FLAGS_QMASK) << 3);
        pci_set_word(dev->config + dev->msi_cap + PCI_MSI_FLAGS, flags);
    }
    if (!(flags & PCI_MSI_FLAGS_ENABLE) || !(flags & PCI_MSI_FLAGS_MASKBIT)) {
        return;
    }
    /* Unmasked vectors that were pending go out now. */
    pending = pci_get_long(dev->config + dev->msi_cap + msi_mask_off(flags) +
                           4);
    for (unsigned v = 0; v < nr_cap; v++) {
        if ((pending & (1U << v)) && !msi_is_masked(dev, v)) {
            msi_set_pending(dev, v, false);
            msi_notify(dev, v);
        }
    }
}

void msi_reset(PCIDevice *dev)
{
    uint16_t flags;

    if (!dev->msi_cap) {
        return;
    }
    flags = msi_flags(dev) & ~(PCI_MSI_FLAGS_QSIZE | PCI_MSI_FLAGS_ENABLE);
    pci_set_word(dev->config + dev->msi_cap + PCI_MSI_FLAGS, flags);
    memset(dev->config + dev->msi_cap + PCI_MSI_ADDRESS_LO, 0,
           msi_cap_size(flags) - PCI_MSI_ADDRESS_LO);
}
