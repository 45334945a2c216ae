/*
 * ACPI tables of the pc machine, built from a plain configuration struct.
 *
 * Two outputs:
 *   - fw_cfg blobs as QEMU hands them to SeaBIOS/OVMF: "etc/acpi/tables"
 *     (FACS, DSDT, FADT, MADT, [HPET], RSDT, XSDT, concatenated),
 *     "etc/acpi/rsdp" and the "etc/table-loader" linker script that
 *     relocates the pointers and fixes the checksums;
 *   - a "direct" layout for booting a kernel without firmware: the same
 *     blobs with the linker script already run for given guest addresses
 *     (RSDP in the 0xE0000-0xFFFFF BIOS area, tables below 4 GiB).
 *
 * Hardware contract the devices must follow (it is what the tables say):
 *   PM I/O block at pm_io_base (PC_ACPI_PM_IO_LEN bytes):
 *     +0x00 PM1a_EVT (4: status, enable), +0x04 PM1a_CNT (2),
 *     +0x08 PM_TMR (4, 24-bit 3.579545 MHz), +0x20 GPE0 (4: status, enable)
 *   SLP_TYP 0 written to PM1a_CNT with SLP_EN means soft off (S5), as on
 *   QEMU's piix4.  With smi_cmd == 0 there is no SMI port: the PM device
 *   must come out of reset with PM1a_CNT.SCI_EN set (ACPI mode always on).
 *   Reset: writing 0x06 to I/O port 0xCF9 resets the machine.
 *   PCI INTx: device in slot S, pin P (0 = INTA) raises the GSI
 *     pc_acpi_pci_slot_gsi(cfg, S, P) = pci_gsi[(S + P - 1) & 3], the
 *     PIIX swizzle; those GSIs and the SCI are level-triggered, active high
 *     (pc_acpi_level_irq_mask() gives the ISA IRQs to program in ELCR).
 */
#ifndef HW_I386_ACPI_BUILD_H
#define HW_I386_ACPI_BUILD_H

#include "hw/acpi/aml-build.h"
#include "hw/acpi/bios-linker-loader.h"
#include "util/error.h"

#define ACPI_BUILD_TABLE_FILE "etc/acpi/tables"
#define ACPI_BUILD_RSDP_FILE "etc/acpi/rsdp"
#define ACPI_BUILD_LOADER_FILE "etc/table-loader"

/* xAPIC ids only: 0xFF is the broadcast id. */
#define PC_ACPI_MAX_CPUS 255

#define PC_ACPI_PM1_EVT_OFFSET 0x00
#define PC_ACPI_PM1_EVT_LEN 4
#define PC_ACPI_PM1_CNT_OFFSET 0x04
#define PC_ACPI_PM1_CNT_LEN 2
#define PC_ACPI_PM_TMR_OFFSET 0x08
#define PC_ACPI_PM_TMR_LEN 4
#define PC_ACPI_GPE0_OFFSET 0x20
#define PC_ACPI_GPE0_LEN 4
#define PC_ACPI_PM_IO_LEN 0x40

#define PC_ACPI_RESET_PORT 0xcf9
#define PC_ACPI_RESET_VALUE 0x06

typedef struct PcAcpiConfig {
    unsigned cpu_count;
    uint32_t apic_ids[PC_ACPI_MAX_CPUS]; /* index i is CPU i */
    uint32_t lapic_addr;                 /* 0xFEE00000 */
    uint64_t ioapic_addr;                /* 0xFEC00000 */
    uint8_t ioapic_id;
    uint8_t ioapic_pins;                 /* 24 */
    uint16_t pm_io_base;                 /* 0x600 */
    uint8_t sci_irq;                     /* 9 */
    uint16_t smi_cmd;                    /* 0: no SMI, ACPI always on */
    uint8_t pci_gsi[4];                  /* PIRQ A-D: 10, 10, 11, 11 */
    uint32_t pci_mmio32_base;            /* 32-bit PCI window */
    uint32_t pci_mmio32_size;
    uint64_t pci_mmio64_base;            /* 64-bit window; size 0: none */
    uint64_t pci_mmio64_size;
    bool has_hpet;
    uint64_t hpet_addr;                  /* 0xFED00000 */
    bool has_serial;                     /* COM1 at 0x3F8, IRQ 4 */
    bool has_rtc;                        /* CMOS RTC at 0x70, IRQ 8 */
    bool has_i8042;                      /* keyboard + PS/2 mouse */
    const char *oem_id;                  /* up to 6 chars: "OSPREY" */
    const char *oem_table_id;            /* up to 8 chars: "OSPREYPC" */
} PcAcpiConfig;

/* The pc machine's defaults, for cpu_count CPUs with APIC id = index. */
void pc_acpi_config_init(PcAcpiConfig *cfg, unsigned cpu_count);
/* Check a configuration; the message names the bad field. */
bool pc_acpi_config_check(const PcAcpiConfig *cfg, Error **errp);

unsigned pc_acpi_pci_slot_gsi(const PcAcpiConfig *cfg, unsigned slot,
                              unsigned pin);
/* ISA IRQs (< 16) that are level-triggered, active high: SCI and PCI. */
uint16_t pc_acpi_level_irq_mask(const PcAcpiConfig *cfg);

#define PC_ACPI_MAX_TABLES 8

typedef struct AcpiTableLocation {
    char sig[5];
    uint32_t offset; /* in table_data */
    uint32_t length;
} AcpiTableLocation;

typedef struct AcpiBuildTables {
    ByteArray *table_data; /* "etc/acpi/tables" */
    ByteArray *rsdp;       /* "etc/acpi/rsdp" */
    BIOSLinker *linker;    /* linker->cmd_blob is "etc/table-loader" */
    AcpiTableLocation tables[PC_ACPI_MAX_TABLES];
    unsigned ntables;
} AcpiBuildTables;

bool pc_acpi_build(const PcAcpiConfig *cfg, AcpiBuildTables *tables,
                   Error **errp);
void acpi_build_tables_cleanup(AcpiBuildTables *tables);
/* Location of the table with signature sig, or NULL. */
const AcpiTableLocation *acpi_build_find_table(const AcpiBuildTables *tables,
                                               const char *sig);

/* One fw_cfg file. */
typedef struct AcpiFwCfgBlob {
    const char *name;
    const uint8_t *data;
    size_t size;
} AcpiFwCfgBlob;
#define PC_ACPI_FW_CFG_BLOBS 3
/* The three fw_cfg files, pointing into tables (valid while it lives). */
void pc_acpi_fw_cfg_blobs(const AcpiBuildTables *tables,
                          AcpiFwCfgBlob out[PC_ACPI_FW_CFG_BLOBS]);

/* Tables laid out at fixed guest addresses, ready to copy into RAM. */
typedef struct PcAcpiDirect {
    ByteArray *tables;     /* copy to tables_addr (mark E820 ACPI) */
    uint64_t tables_addr;
    ByteArray *rsdp;       /* copy to rsdp_addr */
    uint64_t rsdp_addr;
    AcpiTableLocation index[PC_ACPI_MAX_TABLES]; /* offsets in tables */
    unsigned ntables;
} PcAcpiDirect;

/*
 * tables_addr must be 64-byte aligned and the tables must end below
 * 4 GiB; rsdp_addr 16-byte aligned within 0xE0000-0xFFFFF.
 */
bool pc_acpi_build_direct(const PcAcpiConfig *cfg, uint64_t tables_addr,
                          uint64_t rsdp_addr, PcAcpiDirect *out,
                          Error **errp);
void pc_acpi_direct_cleanup(PcAcpiDirect *direct);

/* Table layouts shared with the tests. */
#define ACPI_RSDP_SIZE 36
#define ACPI_FADT_SIZE 276  /* revision 6 */
#define ACPI_FACS_SIZE 64

#endif
