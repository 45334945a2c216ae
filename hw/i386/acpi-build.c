/*
 * ACPI tables of the pc machine.
 *
 * Layout follows QEMU's hw/i386/acpi-build.c: every table goes into one
 * "etc/acpi/tables" blob (FACS first, since it must be 64-byte aligned and
 * the blob is allocated with that alignment), the RSDP into its own blob
 * for the F-segment, and pointers and checksums are left to the BIOS
 * linker/loader script.  Table contents follow ACPI 6.x chapter 5.
 */
#include "hw/i386/acpi-build.h"

#define FADT_REVISION 6
#define FADT_MINOR_REVISION 0
#define MADT_REVISION 3
#define RTC_CENTURY_OFFSET 0x32

/* FADT flags (ACPI 6.x table 5-35) */
#define FADT_F_WBINVD (1u << 0)
#define FADT_F_PROC_C1 (1u << 2)
#define FADT_F_SLP_BUTTON (1u << 5)
#define FADT_F_RTC_S4 (1u << 7)
#define FADT_F_RESET_REG_SUP (1u << 10)
#define FADT_F_USE_PLATFORM_CLOCK (1u << 15)
#define FADT_F_FORCE_APIC_CLUSTER_MODEL (1u << 18)

/* IA-PC boot architecture flags */
#define FADT_BOOT_LEGACY_DEVICES (1u << 0)
#define FADT_BOOT_8042 (1u << 1)

/* MPS INTI flags: polarity in bits 1:0, trigger mode in bits 3:2. */
#define MADT_INTI_CONFORMS 0x0
#define MADT_INTI_LEVEL_ACTIVE_HIGH 0xd

void pc_acpi_config_init(PcAcpiConfig *cfg, unsigned cpu_count)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->cpu_count = cpu_count;
    for (unsigned i = 0; i < PC_ACPI_MAX_CPUS; i++) {
        cfg->apic_ids[i] = i;
    }
    cfg->lapic_addr = 0xfee00000;
    cfg->ioapic_addr = 0xfec00000;
    cfg->ioapic_id = 0;
    cfg->ioapic_pins = 24;
    cfg->pm_io_base = 0x600;
    cfg->sci_irq = 9;
    cfg->smi_cmd = 0;
    cfg->pci_gsi[0] = 10;
    cfg->pci_gsi[1] = 10;
    cfg->pci_gsi[2] = 11;
    cfg->pci_gsi[3] = 11;
    cfg->pci_mmio32_base = 0xc0000000;
    cfg->pci_mmio32_size = 0xfec00000 - 0xc0000000;
    cfg->has_hpet = true;
    cfg->hpet_addr = 0xfed00000;
    cfg->has_serial = true;
    cfg->has_rtc = true;
    cfg->has_i8042 = true;
    cfg->oem_id = "OSPREY";
    cfg->oem_table_id = "OSPREYPC";
}

bool pc_acpi_config_check(const PcAcpiConfig *cfg, Error **errp)
{
    if (cfg->cpu_count < 1 || cfg->cpu_count > PC_ACPI_MAX_CPUS) {
        error_setg(errp, "acpi: cpu_count %u is outside 1..%d",
                   cfg->cpu_count, PC_ACPI_MAX_CPUS);
        return false;
    }
    for (unsigned i = 0; i < cfg->cpu_count; i++) {
        if (cfg->apic_ids[i] >= 0xff) {
            error_setg(errp, "acpi: APIC id %" PRIu32 " of CPU %u does not "
                       "fit xAPIC (max 254)", cfg->apic_ids[i], i);
            return false;
        }
        for (unsigned j = 0; j < i; j++) {
            if (cfg->apic_ids[j] == cfg->apic_ids[i]) {
                error_setg(errp, "acpi: CPUs %u and %u share APIC id %" PRIu32,
                           j, i, cfg->apic_ids[i]);
                return false;
            }
        }
    }
    if (cfg->ioapic_id >= 0xff) {
        error_setg(errp, "acpi: IOAPIC id %u is the broadcast id",
                   cfg->ioapic_id);
        return false;
    }
    if (cfg->ioapic_pins < 16 || cfg->ioapic_pins > 240) {
        error_setg(errp, "acpi: IOAPIC pin count %u is outside 16..240",
                   cfg->ioapic_pins);
        return false;
    }
    if (cfg->ioapic_addr >= 0x100000000ULL || cfg->lapic_addr == 0) {
        error_setg(errp, "acpi: APIC addresses must be below 4 GiB");
        return false;
    }
    if (!cfg->pm_io_base ||
        cfg->pm_io_base > 0x10000 - PC_ACPI_PM_IO_LEN) {
        error_setg(errp, "acpi: PM I/O base 0x%x leaves no room for its "
                   "0x%x-byte block", cfg->pm_io_base, PC_ACPI_PM_IO_LEN);
        return false;
    }
    if (cfg->sci_irq >= 16 || cfg->sci_irq == 0 || cfg->sci_irq == 2) {
        error_setg(errp, "acpi: SCI IRQ %u must be an ISA IRQ other than "
                   "0 and 2", cfg->sci_irq);
        return false;
    }
    for (int i = 0; i < 4; i++) {
        if (cfg->pci_gsi[i] >= cfg->ioapic_pins || cfg->pci_gsi[i] < 3) {
            error_setg(errp, "acpi: PCI link %c GSI %u is not a free IOAPIC "
                       "input", 'A' + i, cfg->pci_gsi[i]);
            return false;
        }
    }
    if (!cfg->pci_mmio32_size ||
        (uint64_t)cfg->pci_mmio32_base + cfg->pci_mmio32_size >
        0x100000000ULL) {
        error_setg(errp, "acpi: 32-bit PCI window 0x%" PRIx32 "+0x%" PRIx32
                   " is empty or crosses 4 GiB", cfg->pci_mmio32_base,
                   cfg->pci_mmio32_size);
        return false;
    }
    if (cfg->pci_mmio64_size &&
        cfg->pci_mmio64_base + cfg->pci_mmio64_size - 1 <
        cfg->pci_mmio64_base) {
        error_setg(errp, "acpi: 64-bit PCI window wraps around");
        return false;
    }
    if (cfg->has_hpet && cfg->hpet_addr > 0x100000000ULL - 0x400) {
        error_setg(errp, "acpi: HPET address 0x%" PRIx64 " is not below "
                   "4 GiB", cfg->hpet_addr);
        return false;
    }
    if (!cfg->oem_id || strlen(cfg->oem_id) > 6) {
        error_setg(errp, "acpi: OEM id '%s' is longer than 6 characters",
                   cfg->oem_id ? cfg->oem_id : "(null)");
        return false;
    }
    if (!cfg->oem_table_id || strlen(cfg->oem_table_id) > 8) {
        error_setg(errp, "acpi: OEM table id '%s' is longer than 8 "
                   "characters",
                   cfg->oem_table_id ? cfg->oem_table_id : "(null)");
        return false;
    }
    return true;
}

unsigned pc_acpi_pci_slot_gsi(const PcAcpiConfig *cfg, unsigned slot,
                              unsigned pin)
{
    /* PIIX swizzle: slot 1 INTA is PIRQA. */
    return cfg->pci_gsi[(slot + pin + 3) & 3];
}

uint16_t pc_acpi_level_irq_mask(const PcAcpiConfig *cfg)
{
    uint16_t mask = 1u << cfg->sci_irq;

    for (int i = 0; i < 4; i++) {
        if (cfg->pci_gsi[i] < 16) {
            mask |= 1u << cfg->pci_gsi[i];
        }
    }
    return mask;
}

/* ---- Helpers ------------------------------------------------------------ */

static void table_begin(AcpiBuildTables *t, const PcAcpiConfig *cfg,
                        AcpiTable *table, const char *sig, uint8_t rev)
{
    *table = (AcpiTable) {
        .sig = sig, .rev = rev, .oem_id = cfg->oem_id,
        .oem_table_id = cfg->oem_table_id,
    };
    acpi_table_begin(table, t->table_data);
}

/* Close a table: fix its length, ask the loader for its checksum. */
static void table_end(AcpiBuildTables *t, AcpiTable *table)
{
    AcpiTableLocation *loc;

    acpi_table_end(table);
    assert(t->ntables < PC_ACPI_MAX_TABLES);
    loc = &t->tables[t->ntables++];
    memcpy(loc->sig, table->sig, 4);
    loc->sig[4] = '\0';
    loc->offset = table->table_offset;
    loc->length = t->table_data->len - table->table_offset;
    bios_linker_loader_add_checksum(t->linker, ACPI_BUILD_TABLE_FILE,
                                    loc->offset, loc->length,
                                    loc->offset + 9);
}

const AcpiTableLocation *acpi_build_find_table(const AcpiBuildTables *tables,
                                               const char *sig)
{
    for (unsigned i = 0; i < tables->ntables; i++) {
        if (!strcmp(tables->tables[i].sig, sig)) {
            return &tables->tables[i];
        }
    }
    return NULL;
}

/* Reserve size bytes for a pointer to src_offset in the tables blob. */
static void append_table_pointer(AcpiBuildTables *t, int size,
                                 uint32_t src_offset)
{
    size_t off = t->table_data->len;

    build_append_int_noprefix(t->table_data, 0, size);
    bios_linker_loader_add_pointer(t->linker, ACPI_BUILD_TABLE_FILE, off,
                                   size, ACPI_BUILD_TABLE_FILE, src_offset);
}

/* ---- FACS --------------------------------------------------------------- */

static uint32_t build_facs(AcpiBuildTables *t)
{
    ByteArray *a = t->table_data;
    size_t start = a->len;

    assert(start % 64 == 0);
    build_append_padded_str(a, "FACS", 4, ' ');
    build_append_int_noprefix(a, ACPI_FACS_SIZE, 4); /* Length */
    build_append_int_noprefix(a, 0, 4);  /* Hardware Signature */
    build_append_int_noprefix(a, 0, 4);  /* Firmware Waking Vector */
    build_append_int_noprefix(a, 0, 4);  /* Global Lock */
    build_append_int_noprefix(a, 0, 4);  /* Flags */
    build_append_int_noprefix(a, 0, 8);  /* X Firmware Waking Vector */
    build_append_byte(a, 2);             /* Version */
    build_append_int_noprefix(a, 0, 3);  /* Reserved */
    build_append_int_noprefix(a, 0, 4);  /* OSPM Flags */
    byte_array_set_size(a, a->len + 24); /* Reserved */
    assert(a->len - start == ACPI_FACS_SIZE);
    return start;
}

/* ---- DSDT --------------------------------------------------------------- */

static Aml *build_pci0_crs(const PcAcpiConfig *cfg)
{
    Aml *crs = aml_resource_template();

    aml_append(crs, aml_word_bus_number(AML_MIN_FIXED, AML_MAX_FIXED,
                                        AML_POS_DECODE, 0x0000, 0x0000,
                                        0x00ff, 0x0000, 0x0100));
    aml_append(crs, aml_io(AML_DECODE16, 0x0cf8, 0x0cf8, 0x01, 0x08));
    aml_append(crs, aml_word_io(AML_MIN_FIXED, AML_MAX_FIXED, AML_POS_DECODE,
                                AML_ENTIRE_RANGE, 0x0000, 0x0000, 0x0cf7,
                                0x0000, 0x0cf8));
    aml_append(crs, aml_word_io(AML_MIN_FIXED, AML_MAX_FIXED, AML_POS_DECODE,
                                AML_ENTIRE_RANGE, 0x0000, 0x0d00, 0xffff,
                                0x0000, 0xf300));
    /* Legacy VGA window */
    aml_append(crs, aml_dword_memory(AML_POS_DECODE, AML_MIN_FIXED,
                                     AML_MAX_FIXED, AML_CACHEABLE,
                                     AML_READ_WRITE, 0, 0x000a0000,
                                     0x000bffff, 0, 0x00020000));
    aml_append(crs, aml_dword_memory(AML_POS_DECODE, AML_MIN_FIXED,
                                     AML_MAX_FIXED, AML_NON_CACHEABLE,
                                     AML_READ_WRITE, 0, cfg->pci_mmio32_base,
                                     cfg->pci_mmio32_base +
                                     cfg->pci_mmio32_size - 1,
                                     0, cfg->pci_mmio32_size));
    if (cfg->pci_mmio64_size) {
        aml_append(crs, aml_qword_memory(AML_POS_DECODE, AML_MIN_FIXED,
                                         AML_MAX_FIXED, AML_CACHEABLE,
                                         AML_READ_WRITE, 0,
                                         cfg->pci_mmio64_base,
                                         cfg->pci_mmio64_base +
                                         cfg->pci_mmio64_size - 1,
                                         0, cfg->pci_mmio64_size));
    }
    return crs;
}

/* Static _PRT: every slot's four pins, straight to IOAPIC inputs. */
static Aml *build_pci0_prt(const PcAcpiConfig *cfg)
{
    Aml *prt = aml_package(128);

    for (unsigned slot = 0; slot < 32; slot++) {
        for (unsigned pin = 0; pin < 4; pin++) {
            Aml *entry = aml_package(4);

            aml_append(entry, aml_int((slot << 16) | 0xffff));
            aml_append(entry, aml_int(pin));
            aml_append(entry, aml_int(0)); /* Source: a GSI, no link */
            aml_append(entry, aml_int(pc_acpi_pci_slot_gsi(cfg, slot, pin)));
            aml_append(prt, entry);
        }
    }
    return prt;
}

static Aml *build_isa_device(const char *name, const char *hid, int uid)
{
    Aml *dev = aml_device("%s", name);

    aml_append(dev, aml_name_decl("_HID", aml_eisaid(hid)));
    if (uid >= 0) {
        aml_append(dev, aml_name_decl("_UID", aml_int(uid)));
    }
    return dev;
}

static Aml *build_isa_bridge(const PcAcpiConfig *cfg)
{
    /* QEMU's pc keeps the ISA devices under the PIIX3 at 00:01.0. */
    Aml *isa = aml_device("ISA");
    Aml *dev, *crs;

    aml_append(isa, aml_name_decl("_ADR", aml_int(0x00010000)));

    if (cfg->has_rtc) {
        dev = build_isa_device("RTC", "PNP0B00", -1);
        crs = aml_resource_template();
        aml_append(crs, aml_io(AML_DECODE16, 0x0070, 0x0070, 0x10, 0x02));
        aml_append(crs, aml_irq_no_flags(8));
        aml_append(crs, aml_io(AML_DECODE16, 0x0072, 0x0072, 0x02, 0x06));
        aml_append(dev, aml_name_decl("_CRS", crs));
        aml_append(isa, dev);
    }
    if (cfg->has_i8042) {
        dev = build_isa_device("KBD", "PNP0303", -1);
        aml_append(dev, aml_name_decl("_STA", aml_int(0xf)));
        crs = aml_resource_template();
        aml_append(crs, aml_io(AML_DECODE16, 0x0060, 0x0060, 0x01, 0x01));
        aml_append(crs, aml_io(AML_DECODE16, 0x0064, 0x0064, 0x01, 0x01));
        aml_append(crs, aml_irq_no_flags(1));
        aml_append(dev, aml_name_decl("_CRS", crs));
        aml_append(isa, dev);

        dev = build_isa_device("MOU", "PNP0F13", -1);
        aml_append(dev, aml_name_decl("_STA", aml_int(0xf)));
        crs = aml_resource_template();
        aml_append(crs, aml_irq_no_flags(12));
        aml_append(dev, aml_name_decl("_CRS", crs));
        aml_append(isa, dev);
    }
    if (cfg->has_serial) {
        dev = build_isa_device("COM1", "PNP0501", 1);
        aml_append(dev, aml_name_decl("_STA", aml_int(0xf)));
        crs = aml_resource_template();
        aml_append(crs, aml_io(AML_DECODE16, 0x03f8, 0x03f8, 0x00, 0x08));
        aml_append(crs, aml_irq_no_flags(4));
        aml_append(dev, aml_name_decl("_CRS", crs));
        aml_append(isa, dev);
    }
    return isa;
}

static void build_dsdt(AcpiBuildTables *t, const PcAcpiConfig *cfg)
{
    AcpiTable table;
    Aml *dsdt = aml_new();
    Aml *sb, *dev, *crs, *pkg;

    table_begin(t, cfg, &table, "DSDT", 2);

    sb = aml_scope("\\_SB");

    dev = aml_device("PCI0");
    aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0A03")));
    /*
     * No _ADR beside the _HID, unlike QEMU: ACPI 6.x 6.1 wants one or the
     * other, and iasl warns about both.
     */
    aml_append(dev, aml_name_decl("_UID", aml_int(0)));
    aml_append(dev, aml_name_decl("_CRS", build_pci0_crs(cfg)));
    aml_append(dev, aml_name_decl("_PRT", build_pci0_prt(cfg)));
    aml_append(dev, build_isa_bridge(cfg));
    aml_append(sb, dev);

    if (cfg->has_hpet) {
        dev = aml_device("HPET");
        aml_append(dev, aml_name_decl("_HID", aml_eisaid("PNP0103")));
        aml_append(dev, aml_name_decl("_UID", aml_int(0)));
        crs = aml_resource_template();
        aml_append(crs, aml_memory32_fixed(cfg->hpet_addr, 0x400,
                                           AML_READ_ONLY));
        aml_append(dev, aml_name_decl("_CRS", crs));
        aml_append(sb, dev);
    }

    /* Processor devices; _UID matches the MADT's ACPI Processor UID. */
    for (unsigned i = 0; i < cfg->cpu_count; i++) {
        dev = aml_device("C%03X", i);
        aml_append(dev, aml_name_decl("_HID", aml_string("ACPI0007")));
        aml_append(dev, aml_name_decl("_UID", aml_int(i)));
        aml_append(sb, dev);
    }
    aml_append(dsdt, sb);

    /*
     * S5 only (no S3/S4): SLP_TYP 0 for PM1a and PM1b, then two reserved
     * values, as QEMU's piix4.
     */
    pkg = aml_package(4);
    for (int i = 0; i < 4; i++) {
        aml_append(pkg, aml_int(0));
    }
    aml_append(dsdt, aml_name_decl("\\_S5", pkg));

    aml_append_to_array(t->table_data, dsdt);
    table_end(t, &table);
}

/* ---- FADT --------------------------------------------------------------- */

static void build_fadt(AcpiBuildTables *t, const PcAcpiConfig *cfg,
                       uint32_t facs_off, uint32_t dsdt_off)
{
    ByteArray *a = t->table_data;
    AcpiTable table;
    uint32_t pm = cfg->pm_io_base;
    uint32_t flags = FADT_F_WBINVD | FADT_F_PROC_C1 | FADT_F_SLP_BUTTON |
                     FADT_F_RTC_S4 | FADT_F_RESET_REG_SUP |
                     FADT_F_USE_PLATFORM_CLOCK;

    /* Flat logical destination mode addresses at most 8 CPUs. */
    if (cfg->cpu_count > 8) {
        flags |= FADT_F_FORCE_APIC_CLUSTER_MODEL;
    }

    table_begin(t, cfg, &table, "FACP", FADT_REVISION);
    append_table_pointer(t, 4, facs_off);            /* FIRMWARE_CTRL */
    append_table_pointer(t, 4, dsdt_off);            /* DSDT */
    build_append_byte(a, 1);                 /* INT_MODEL (ACPI 1.0) */
    build_append_byte(a, 0);                 /* Preferred_PM_Profile */
    build_append_int_noprefix(a, cfg->sci_irq, 2);
    build_append_int_noprefix(a, cfg->smi_cmd, 4);
    build_append_byte(a, cfg->smi_cmd ? 0xf1 : 0); /* ACPI_ENABLE */
    build_append_byte(a, cfg->smi_cmd ? 0xf0 : 0); /* ACPI_DISABLE */
    build_append_byte(a, 0);                 /* S4BIOS_REQ */
    build_append_byte(a, 0);                 /* PSTATE_CNT */
    build_append_int_noprefix(a, pm + PC_ACPI_PM1_EVT_OFFSET, 4);
    build_append_int_noprefix(a, 0, 4);      /* PM1b_EVT_BLK */
    build_append_int_noprefix(a, pm + PC_ACPI_PM1_CNT_OFFSET, 4);
    build_append_int_noprefix(a, 0, 4);      /* PM1b_CNT_BLK */
    build_append_int_noprefix(a, 0, 4);      /* PM2_CNT_BLK */
    build_append_int_noprefix(a, pm + PC_ACPI_PM_TMR_OFFSET, 4);
    build_append_int_noprefix(a, pm + PC_ACPI_GPE0_OFFSET, 4);
    build_append_int_noprefix(a, 0, 4);      /* GPE1_BLK */
    build_append_byte(a, PC_ACPI_PM1_EVT_LEN);
    build_append_byte(a, PC_ACPI_PM1_CNT_LEN);
    build_append_byte(a, 0);                 /* PM2_CNT_LEN */
    build_append_byte(a, PC_ACPI_PM_TMR_LEN);
    build_append_byte(a, PC_ACPI_GPE0_LEN);
    build_append_byte(a, 0);                 /* GPE1_BLK_LEN */
    build_append_byte(a, 0);                 /* GPE1_BASE */
    build_append_byte(a, 0);                 /* CST_CNT */
    build_append_int_noprefix(a, 0xfff, 2);  /* P_LVL2_LAT: no C2 */
    build_append_int_noprefix(a, 0xfff, 2);  /* P_LVL3_LAT: no C3 */
    build_append_int_noprefix(a, 0, 2);      /* FLUSH_SIZE */
    build_append_int_noprefix(a, 0, 2);      /* FLUSH_STRIDE */
    build_append_byte(a, 0);                 /* DUTY_OFFSET */
    build_append_byte(a, 0);                 /* DUTY_WIDTH */
    build_append_byte(a, 0);                 /* DAY_ALRM */
    build_append_byte(a, 0);                 /* MON_ALRM */
    build_append_byte(a, RTC_CENTURY_OFFSET); /* CENTURY */
    /*
     * Linux treats a revision >= 2 FADT without the 8042 flag as "no
     * keyboard controller" and skips probing it.
     */
    build_append_int_noprefix(a, FADT_BOOT_LEGACY_DEVICES |
                              (cfg->has_i8042 ? FADT_BOOT_8042 : 0), 2);
    build_append_byte(a, 0);                 /* Reserved */
    build_append_int_noprefix(a, flags, 4);
    build_append_gas(a, AML_AS_SYSTEM_IO, 8, 0, AML_AS_ACCESS_BYTE,
                     PC_ACPI_RESET_PORT);    /* RESET_REG */
    build_append_byte(a, PC_ACPI_RESET_VALUE);
    build_append_int_noprefix(a, 0, 2);      /* ARM_BOOT_ARCH */
    build_append_byte(a, FADT_MINOR_REVISION);
    /* X_FIRMWARE_CTRL stays 0: FIRMWARE_CTRL is set (they are exclusive). */
    build_append_int_noprefix(a, 0, 8);
    append_table_pointer(t, 8, dsdt_off);            /* X_DSDT */
    build_append_gas(a, AML_AS_SYSTEM_IO, PC_ACPI_PM1_EVT_LEN * 8, 0, 0,
                     pm + PC_ACPI_PM1_EVT_OFFSET);   /* X_PM1a_EVT_BLK */
    build_append_gas(a, 0, 0, 0, 0, 0);              /* X_PM1b_EVT_BLK */
    build_append_gas(a, AML_AS_SYSTEM_IO, PC_ACPI_PM1_CNT_LEN * 8, 0, 0,
                     pm + PC_ACPI_PM1_CNT_OFFSET);   /* X_PM1a_CNT_BLK */
    build_append_gas(a, 0, 0, 0, 0, 0);              /* X_PM1b_CNT_BLK */
    build_append_gas(a, 0, 0, 0, 0, 0);              /* X_PM2_CNT_BLK */
    build_append_gas(a, AML_AS_SYSTEM_IO, PC_ACPI_PM_TMR_LEN * 8, 0, 0,
                     pm + PC_ACPI_PM_TMR_OFFSET);    /* X_PM_TMR_BLK */
    build_append_gas(a, AML_AS_SYSTEM_IO, PC_ACPI_GPE0_LEN * 8, 0, 0,
                     pm + PC_ACPI_GPE0_OFFSET);      /* X_GPE0_BLK */
    build_append_gas(a, 0, 0, 0, 0, 0);              /* X_GPE1_BLK */
    build_append_gas(a, 0, 0, 0, 0, 0);              /* SLEEP_CONTROL_REG */
    build_append_gas(a, 0, 0, 0, 0, 0);              /* SLEEP_STATUS_REG */
    build_append_int_noprefix(a, 0, 8);      /* Hypervisor Vendor Identity */
    assert(a->len - table.table_offset == ACPI_FADT_SIZE);
    table_end(t, &table);
}

/* ---- MADT --------------------------------------------------------------- */

static void build_madt(AcpiBuildTables *t, const PcAcpiConfig *cfg)
{
    ByteArray *a = t->table_data;
    AcpiTable table;
    uint16_t level = pc_acpi_level_irq_mask(cfg);

    table_begin(t, cfg, &table, "APIC", MADT_REVISION);
    build_append_int_noprefix(a, cfg->lapic_addr, 4);
    build_append_int_noprefix(a, 1, 4);      /* Flags: PCAT_COMPAT */

    for (unsigned i = 0; i < cfg->cpu_count; i++) {
        build_append_byte(a, 0);             /* Processor Local APIC */
        build_append_byte(a, 8);
        build_append_byte(a, i);             /* ACPI Processor UID */
        build_append_byte(a, cfg->apic_ids[i]);
        build_append_int_noprefix(a, 1, 4);  /* Flags: Enabled */
    }

    build_append_byte(a, 1);                 /* I/O APIC */
    build_append_byte(a, 12);
    build_append_byte(a, cfg->ioapic_id);
    build_append_byte(a, 0);
    build_append_int_noprefix(a, cfg->ioapic_addr, 4);
    build_append_int_noprefix(a, 0, 4);      /* GSI base */

    /* The PIT's IRQ 0 is wired to IOAPIC input 2, as on real PCs. */
    build_append_byte(a, 2);                 /* Interrupt Source Override */
    build_append_byte(a, 10);
    build_append_byte(a, 0);                 /* Bus: ISA */
    build_append_byte(a, 0);
    build_append_int_noprefix(a, 2, 4);
    build_append_int_noprefix(a, MADT_INTI_CONFORMS, 2);

    for (int irq = 1; irq < 16; irq++) {
        if (!(level & (1u << irq))) {
            continue;
        }
        build_append_byte(a, 2);
        build_append_byte(a, 10);
        build_append_byte(a, 0);
        build_append_byte(a, irq);
        build_append_int_noprefix(a, irq, 4);
        build_append_int_noprefix(a, MADT_INTI_LEVEL_ACTIVE_HIGH, 2);
    }

    build_append_byte(a, 4);                 /* Local APIC NMI */
    build_append_byte(a, 6);
    build_append_byte(a, 0xff);              /* all processors */
    build_append_int_noprefix(a, 0, 2);      /* Flags */
    build_append_byte(a, 1);                 /* LINT1 */

    table_end(t, &table);
}

/* ---- HPET --------------------------------------------------------------- */

static void build_hpet(AcpiBuildTables *t, const PcAcpiConfig *cfg)
{
    ByteArray *a = t->table_data;
    AcpiTable table;

    table_begin(t, cfg, &table, "HPET", 1);
    /* Event Timer Block ID: the value QEMU's HPET reports (vendor 8086). */
    build_append_int_noprefix(a, 0x8086a201, 4);
    build_append_gas(a, AML_AS_SYSTEM_MEMORY, 64, 0, 0, cfg->hpet_addr);
    build_append_byte(a, 0);                 /* HPET Number */
    build_append_int_noprefix(a, 0, 2);      /* Minimum Clock Tick */
    build_append_byte(a, 0);                 /* Page Protection */
    table_end(t, &table);
}

/* ---- RSDT, XSDT, RSDP --------------------------------------------------- */

static uint32_t build_sdt(AcpiBuildTables *t, const PcAcpiConfig *cfg,
                          const char *sig, int ptr_size,
                          const uint32_t *offsets, unsigned count)
{
    AcpiTable table;

    table_begin(t, cfg, &table, sig, 1);
    for (unsigned i = 0; i < count; i++) {
        append_table_pointer(t, ptr_size, offsets[i]);
    }
    table_end(t, &table);
    return table.table_offset;
}

static void build_rsdp(AcpiBuildTables *t, const PcAcpiConfig *cfg,
                       uint32_t rsdt_off, uint32_t xsdt_off)
{
    ByteArray *r = t->rsdp;

    bios_linker_loader_alloc(t->linker, ACPI_BUILD_RSDP_FILE, r, 16, true);
    build_append_padded_str(r, "RSD PTR ", 8, ' ');
    build_append_byte(r, 0);                 /* Checksum (first 20 bytes) */
    build_append_padded_str(r, cfg->oem_id, 6, ' ');
    build_append_byte(r, 2);                 /* Revision: ACPI 2.0+ */
    build_append_int_noprefix(r, 0, 4);      /* RsdtAddress */
    build_append_int_noprefix(r, ACPI_RSDP_SIZE, 4);
    build_append_int_noprefix(r, 0, 8);      /* XsdtAddress */
    build_append_byte(r, 0);                 /* Extended Checksum */
    build_append_int_noprefix(r, 0, 3);      /* Reserved */

    bios_linker_loader_add_pointer(t->linker, ACPI_BUILD_RSDP_FILE, 16, 4,
                                   ACPI_BUILD_TABLE_FILE, rsdt_off);
    bios_linker_loader_add_pointer(t->linker, ACPI_BUILD_RSDP_FILE, 24, 8,
                                   ACPI_BUILD_TABLE_FILE, xsdt_off);
    /* The legacy checksum first: the extended one covers it. */
    bios_linker_loader_add_checksum(t->linker, ACPI_BUILD_RSDP_FILE,
                                    0, 20, 8);
    bios_linker_loader_add_checksum(t->linker, ACPI_BUILD_RSDP_FILE,
                                    0, ACPI_RSDP_SIZE, 32);
}

/* ---- Entry points ------------------------------------------------------- */

bool pc_acpi_build(const PcAcpiConfig *cfg, AcpiBuildTables *t, Error **errp)
{
    uint32_t facs, dsdt, rsdt, xsdt;
    uint32_t entries[PC_ACPI_MAX_TABLES];
    unsigned nentries = 0;

    memset(t, 0, sizeof(*t));
    if (!pc_acpi_config_check(cfg, errp)) {
        return false;
    }
    t->table_data = byte_array_new();
    t->rsdp = byte_array_new();
    t->linker = bios_linker_loader_init();

    /* 64-byte alignment of the blob keeps the FACS at offset 0 aligned. */
    bios_linker_loader_alloc(t->linker, ACPI_BUILD_TABLE_FILE, t->table_data,
                             64, false);
    facs = build_facs(t);
    dsdt = t->table_data->len;
    build_dsdt(t, cfg);

    entries[nentries++] = t->table_data->len;
    build_fadt(t, cfg, facs, dsdt);
    entries[nentries++] = t->table_data->len;
    build_madt(t, cfg);
    if (cfg->has_hpet) {
        entries[nentries++] = t->table_data->len;
        build_hpet(t, cfg);
    }
    rsdt = build_sdt(t, cfg, "RSDT", 4, entries, nentries);
    xsdt = build_sdt(t, cfg, "XSDT", 8, entries, nentries);
    build_rsdp(t, cfg, rsdt, xsdt);
    return true;
}

void acpi_build_tables_cleanup(AcpiBuildTables *t)
{
    byte_array_free(t->table_data);
    byte_array_free(t->rsdp);
    bios_linker_loader_cleanup(t->linker);
    memset(t, 0, sizeof(*t));
}

void pc_acpi_fw_cfg_blobs(const AcpiBuildTables *t,
                          AcpiFwCfgBlob out[PC_ACPI_FW_CFG_BLOBS])
{
    out[0] = (AcpiFwCfgBlob) { ACPI_BUILD_TABLE_FILE, t->table_data->data,
                               t->table_data->len };
    out[1] = (AcpiFwCfgBlob) { ACPI_BUILD_RSDP_FILE, t->rsdp->data,
                               t->rsdp->len };
    out[2] = (AcpiFwCfgBlob) { ACPI_BUILD_LOADER_FILE,
                               t->linker->cmd_blob->data,
                               t->linker->cmd_blob->len };
}

static ByteArray *byte_array_copy(const ByteArray *src)
{
    ByteArray *copy = byte_array_new();

    byte_array_append(copy, src->data, src->len);
    return copy;
}

bool pc_acpi_build_direct(const PcAcpiConfig *cfg, uint64_t tables_addr,
                          uint64_t rsdp_addr, PcAcpiDirect *out,
                          Error **errp)
{
    AcpiBuildTables t;
    BIOSLinkerLoaderFile files[2];
    bool ok;

    memset(out, 0, sizeof(*out));
    if (!pc_acpi_build(cfg, &t, errp)) {
        return false;
    }
    out->tables = byte_array_copy(t.table_data);
    out->rsdp = byte_array_copy(t.rsdp);
    out->tables_addr = tables_addr;
    out->rsdp_addr = rsdp_addr;
    memcpy(out->index, t.tables, sizeof(out->index));
    out->ntables = t.ntables;

    /* Run the same script firmware would, at the caller's addresses. */
    files[0] = (BIOSLinkerLoaderFile) {
        .name = ACPI_BUILD_TABLE_FILE, .data = out->tables->data,
        .size = out->tables->len, .addr = tables_addr,
    };
    files[1] = (BIOSLinkerLoaderFile) {
        .name = ACPI_BUILD_RSDP_FILE, .data = out->rsdp->data,
        .size = out->rsdp->len, .addr = rsdp_addr,
    };
    ok = bios_linker_loader_run(t.linker->cmd_blob->data,
                                t.linker->cmd_blob->len, files, 2, errp);
    acpi_build_tables_cleanup(&t);
    if (!ok) {
        error_prepend(errp, "acpi: ");
        pc_acpi_direct_cleanup(out);
        return false;
    }
    return true;
}

void pc_acpi_direct_cleanup(PcAcpiDirect *direct)
{
    byte_array_free(direct->tables);
    byte_array_free(direct->rsdp);
    memset(direct, 0, sizeof(*direct));
}
