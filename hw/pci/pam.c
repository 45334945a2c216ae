/*
 * PAM shadow-RAM regions (see include/hw/pci-host/pam.h), after QEMU's
 * hw/pci-host/pam.c.  Lives in hw/pci until hw/pci-host is a SUBDIR.
 */
#include "util/osdep.h"
#include "hw/pci-host/pam.h"
#include "memory/ram_addr.h"

/* Write-only: reads see what is on the PCI side (ROM or nothing). */
static uint64_t pam_wo_read(void *opaque, hwaddr addr, unsigned size)
{
    PAMMemoryRegion *pam = opaque;
    uint8_t buf[8];
    uint64_t val = 0;

    address_space_read(pam->pci_as, pam->start + addr, MEMTXATTRS_UNSPECIFIED,
                       buf, size);
    for (int i = size - 1; i >= 0; i--) {
        val = (val << 8) | buf[i];
    }
    return val;
}

/* ... and writes reach RAM, keeping dirty bits and translated code right. */
static void pam_wo_write(void *opaque, hwaddr addr, uint64_t val,
                         unsigned size)
{
    PAMMemoryRegion *pam = opaque;
    uint8_t *host = memory_region_get_ram_ptr(pam->ram_memory);
    hwaddr offset = pam->start + addr;

    for (unsigned i = 0; i < size; i++) {
        host[offset + i] = val >> (8 * i);
    }
    invalidate_and_set_dirty(pam->ram_memory, offset, size);
}

static const MemoryRegionOps pam_wo_ops = {
    .read = pam_wo_read,
    .write = pam_wo_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .unaligned = true },
    .impl = { .min_access_size = 1, .max_access_size = 8,
              .unaligned = true },
};

void init_pam(PAMMemoryRegion *mem, Object *owner, MemoryRegion *ram_memory,
              MemoryRegion *system_memory, MemoryRegion *pci_address_space,
              AddressSpace *pci_as, uint32_t start, uint32_t size)
{
    mem->ram_memory = ram_memory;
    mem->pci_as = pci_as;
    mem->start = start;

    memory_region_init_alias(&mem->alias[0], owner, "pam-pci",
                             pci_address_space, start, size);
    memory_region_init_alias(&mem->alias[PAM_ATTR_RE], owner, "pam-rom",
                             ram_memory, start, size);
    memory_region_set_readonly(&mem->alias[PAM_ATTR_RE], true);
    memory_region_init_io(&mem->alias[PAM_ATTR_WE], owner, &pam_wo_ops, mem,
                          "pam-wo", size);
    memory_region_init_alias(&mem->alias[PAM_ATTR_RE | PAM_ATTR_WE], owner,
                             "pam-ram", ram_memory, start, size);

    memory_region_transaction_begin();
    for (int i = 0; i < 4; i++) {
        memory_region_set_enabled(&mem->alias[i], i == 0);
        memory_region_add_subregion_overlap(system_memory, start,
                                            &mem->alias[i], 1);
    }
    memory_region_transaction_commit();
    mem->current = 0;
}

void pam_update(PAMMemoryRegion *mem, int idx, uint8_t val)
{
    unsigned attr;

    assert(idx >= 0 && idx < PAM_REGIONS_COUNT);
    attr = (val >> (!(idx & 1) * 4)) & PAM_ATTR_MASK;
    if (attr == mem->current) {
        return;
    }
    memory_region_set_enabled(&mem->alias[mem->current], false);
    mem->current = attr;
    memory_region_set_enabled(&mem->alias[mem->current], true);
}
