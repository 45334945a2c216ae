/*
 * Intel MultiProcessor Specification 1.4 tables, for guests booted with
 * acpi=off (or too old for ACPI): a 16-byte floating pointer followed by
 * the configuration table, described by the same PcAcpiConfig as the ACPI
 * tables so both tell the guest the same interrupt routing.
 */
#ifndef HW_I386_MPTABLE_H
#define HW_I386_MPTABLE_H

#include "hw/i386/acpi-build.h"

#define MPTABLE_FLOATING_SIZE 16
#define MPTABLE_CONFIG_HEADER_SIZE 44

/* Bus ids in the configuration table. */
#define MPTABLE_PCI_BUS_ID 0
#define MPTABLE_ISA_BUS_ID 1

/*
 * Build the floating pointer at guest physical address addr (16-byte
 * aligned, below 1 MiB, where guests search: the EBDA's first KiB, the
 * last KiB of base memory or 0xF0000-0xFFFFF) and the configuration table
 * right after it.  out receives the bytes to copy to addr.
 */
bool mptable_build(const PcAcpiConfig *cfg, uint32_t addr, ByteArray *out,
                   Error **errp);

#endif
