/*
 * PAM: the Programmable Attribute Map of Intel host bridges (i440FX,
 * Q35), after QEMU's hw/pci-host/pam.c.  The 13 PAM regions shadow
 * 0xC0000-0xFFFFF: 12 pieces of 16 KiB from 0xC0000 (expansion ROMs and
 * the lower BIOS) and one of 64 KiB at 0xF0000 (the BIOS).  Each is in
 * one of four states, chosen by two bits of a PAM register:
 *
 *   attr 0  DRAM disabled: reads and writes go to the PCI side (the
 *           firmware's "isa-bios" alias, "pc.rom" or nothing)
 *   attr 1  read-only (RE): reads RAM, writes go to the PCI side, where
 *           they are dropped (ROMs) as in QEMU
 *   attr 2  write-only (WE): reads the PCI side, writes RAM
 *   attr 3  read/write (RE|WE): RAM
 *
 * As in QEMU there are four regions per PAM region, overlaid on system
 * memory at priority 1 (above RAM), exactly one enabled.  Three are
 * aliases; write-only cannot be an alias (reads and writes go to
 * different places), so it is a small MMIO region that reads through the
 * PCI address space and writes RAM.  Callers batch pam_update() calls in
 * a memory_region_transaction.
 */
#ifndef HW_PCI_HOST_PAM_H
#define HW_PCI_HOST_PAM_H

#include "memory/memory.h"

#define SMRAM_C_BASE    0xa0000
#define SMRAM_C_END     0xc0000
#define SMRAM_C_SIZE    0x20000

#define PAM_EXPAN_BASE  0xc0000
#define PAM_EXPAN_SIZE  0x04000
#define PAM_EXBIOS_BASE 0xe0000
#define PAM_EXBIOS_SIZE 0x04000
#define PAM_BIOS_BASE   0xf0000
#define PAM_BIOS_END    0xfffff
#define PAM_BIOS_SIZE   0x10000

/* The SMRAM register (i440FX 0x72, Q35 0x9D). */
#define SMRAM_D_OPEN    ((uint8_t)(1 << 6))
#define SMRAM_D_CLS     ((uint8_t)(1 << 5))
#define SMRAM_D_LCK     ((uint8_t)(1 << 4))
#define SMRAM_G_SMRAME  ((uint8_t)(1 << 3))
#define SMRAM_C_BASE_SEG_MASK ((uint8_t)0x7)
#define SMRAM_C_BASE_SEG ((uint8_t)0x2)    /* 0xa0000 */

#define PAM_ATTR_RE     ((uint8_t)1)
#define PAM_ATTR_WE     ((uint8_t)2)
#define PAM_ATTR_MASK   ((uint8_t)3)

#define PAM_REGIONS_COUNT 13

typedef struct PAMMemoryRegion {
    /* Indexed by attribute: pci, read-only RAM, write-only, RAM. */
    MemoryRegion alias[4];
    unsigned current;
    /* For the write-only region. */
    MemoryRegion *ram_memory;
    AddressSpace *pci_as;
    uint32_t start;
} PAMMemoryRegion;

/*
 * Set up PAM region [start, start + size): ram_memory is the machine's
 * RAM (offset = guest physical address below 1 MiB), pci_as an address
 * space over pci_address_space (for write-only reads).  The region starts
 * DRAM-disabled.
 */
void init_pam(PAMMemoryRegion *mem, Object *owner, MemoryRegion *ram_memory,
              MemoryRegion *system_memory, MemoryRegion *pci_address_space,
              AddressSpace *pci_as, uint32_t start, uint32_t size);
/*
 * Region idx (0: 0xF0000, 1..12: 0xC0000 + (idx - 1) * 16 KiB) takes its
 * attribute from PAM register value val: the high nibble for even idx,
 * the low nibble for odd idx.
 */
void pam_update(PAMMemoryRegion *mem, int idx, uint8_t val);

#endif
