/*
 * The `pc` machine: i440FX host bridge, PIIX3 with its ISA bus, the
 * legacy PC devices, an IOAPIC and one local APIC per CPU, fw_cfg and
 * ACPI, as QEMU's -M pc (pc-i440fx).
 *
 * Boot: with -kernel and no -bios the kernel is loaded directly (Linux
 * boot protocol, Multiboot or ELF) and CPU 0 starts at its entry point,
 * with ACPI and MP tables placed in the BIOS area by us; otherwise the
 * firmware (-bios, default SeaBIOS's bios-256k.bin) starts at the reset
 * vector.
 *
 * Memory map (as QEMU's for pc):
 *   0 .. below_4g      RAM ("ram-below-4g", an alias of the machine's RAM)
 *   below_4g .. 4G     PCI MMIO window; IOAPIC at 0xFEC00000, local APICs
 *                      and MSIs at 0xFEE00000, firmware at the top
 *   4G ..              the rest of RAM ("ram-above-4g")
 * and, as in QEMU, the "pci" container (PCI BARs and ROMs, under RAM)
 * holds "pc.rom" (option ROM space, 0xC0000..0xDFFFF), "isa-bios" (the
 * firmware's last 128 KiB, 0xE0000..0xFFFFF) and "pc.bios" (top of
 * 4 GiB).  Below 1 MiB the i440FX overlays system memory with its
 * windows: 0xA0000..0xBFFFF to PCI (SMRAM closed) and the 13 PAM regions
 * 0xC0000..0xFFFFF, which show the "pci" side (the ROMs) at reset and RAM
 * once the firmware enables shadowing.  Direct boot, with no firmware to
 * do that, turns all PAM regions to read/write RAM at every reset.
 */
#include "util/osdep.h"
#include "util/error.h"
#include <fcntl.h>
#include <sys/stat.h>
#include "hw/i386/pc.h"
#include "hw/i386/apic.h"
#include "hw/i386/mptable.h"
#include "hw/acpi/pm.h"
#include "hw/input/i8042.h"
#include "hw/intc/i8259.h"
#include "hw/intc/ioapic.h"
#include "hw/misc/pcspk.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/pci-host/i440fx.h"
#include "hw/rtc/mc146818rtc.h"
#include "hw/southbridge/piix.h"
#include "hw/sysbus.h"
#include "hw/qdev-properties.h"
#include "hw/timer/i8254.h"
#include "hw/char/serial.h"
#include "system/main-loop.h"
#include "target/x86/cpu-qom.h"
#include "system/kvm.h"

#define PC_LOWMEM_LIMIT 0xc0000000ULL  /* RAM above this goes above 4 GiB */
#define PC_IOAPIC_ADDR 0xfec00000ULL
#define PC_ACPI_TABLES_ADDR 0xe0000ULL  /* direct boot: tables ... */
#define PC_ACPI_RSDP_ADDR 0xf0000ULL    /* ... RSDP ... */
#define PC_MPTABLE_ADDR 0xf0100ULL      /* ... and MP table, in the BIOS area */
#define PC_DEFAULT_FIRMWARE "/usr/share/seabios/bios-256k.bin"
#define PC_OPTION_ROM_DIR "/usr/share/qemu"   /* Debian's qemu-system-data */
#define PC_LINUXBOOT_ROM "linuxboot_dma.bin"
/*
 * Kept free of the initrd at the top of low RAM, where SeaBIOS puts the
 * ACPI tables (QEMU's acpi_data_size for pc).
 */
#define PC_ACPI_DATA_SIZE (0x20000 + 0x8000)
#define PC_FW_REAL_MODE_BASE 0x10000    /* setup code, as QEMU's */
#define PC_ROM_MIN_VGA 0xc0000ULL       /* "pc.rom": option ROM space */
#define PC_ROM_SIZE 0x20000ULL

/* ---- interrupt routing ------------------------------------------------ */

/* A GSI drives the PIC (legacy IRQs) and the IOAPIC pin of the same number. */
static void pc_gsi_handler(void *opaque, int n, int level)
{
    PCMachineState *pcms = opaque;

    if (kvm_irqchip_in_kernel()) {
        /* KVM's PIC and IOAPIC, routed as ours (GSI n to both) */
        kvm_set_irq(n, level);
        return;
    }
    if (n < PC_ISA_IRQ_COUNT) {
        qemu_set_irq(pcms->pic_irqs[n], level);
    }
    qemu_set_irq(qdev_get_gpio_in(pcms->ioapic, n), level);
}

/*
 * The PIC's INT output reaches the CPUs through their local APICs' LINT0
 * (virtual wire), or straight to CPU 0 when it has no APIC.
 */
static void pc_pic_irq_request(void *opaque, int n, int level)
{
    CPUState *cs;
    bool delivered = false;

    CPU_FOREACH(cs) {
        DeviceState *apic = cpu_get_apic(cs);
        if (apic) {
            if (apic_accept_pic_intr(apic)) {
                apic_deliver_pic_intr(apic, level);
            }
            delivered = true;
        }
    }
    if (!delivered && first_cpu) {
        if (level) {
            cpu_interrupt(first_cpu, CPU_INTERRUPT_HARD);
        } else {
            cpu_reset_interrupt(first_cpu, CPU_INTERRUPT_HARD);
        }
    }
}

/* The CPU's interrupt acknowledge cycle: the APIC first, then the PIC. */
static int pc_get_interrupt_vector(X86CPU *cpu)
{
    PCMachineState *pcms = PC_MACHINE(current_machine_get());
    DeviceState *apic = cpu->irq_opaque;

    if (apic) {
        int vector = apic_get_interrupt(apic);
        if (vector >= 0) {
            return vector;
        }
        if (!apic_accept_pic_intr(apic)) {
            return -1;
        }
    }
    return pic_read_irq(pcms->pic);
}

static bool pc_x2apic_msr_read(X86CPU *cpu, uint32_t index, uint64_t *val)
{
    return apic_msr_read(cpu->irq_opaque, index, val) == 0;
}

static bool pc_x2apic_msr_write(X86CPU *cpu, uint32_t index, uint64_t val)
{
    return apic_msr_write(cpu->irq_opaque, index, val) == 0;
}

static int pc_get_sipi_vector(X86CPU *cpu)
{
    int vector = apic_sipi_vector(cpu->irq_opaque);
    apic_sipi(cpu->irq_opaque);     /* the APIC leaves wait-for-SIPI too */
    return vector;
}

static void pc_apic_base_changed(X86CPU *cpu, uint64_t base)
{
    cpu_set_apic_base(cpu->irq_opaque, base);
}

/* Level-triggered interrupts end at the IOAPIC when a local APIC EOIs. */
static void pc_eoi_broadcast(Notifier *n, void *data)
{
    ioapic_eoi_broadcast(*(int *)data);
}

/* ---- A20 --------------------------------------------------------------- */

static void pc_set_a20_on_cpu(CPUState *cs, run_on_cpu_data data)
{
    CPUX86State *env = x86_cpu_env(cs);
    uint64_t mask = data.int_value ? ~0ULL : ~(1ULL << 20);

    if (env->a20_mask != mask) {
        env->a20_mask = mask;
        x86_tlb_flush(env);
        cpu_exit(cs);   /* translated code may depend on the old mapping */
    }
}

/* Port 0x92 bit 1 and the i8042 output port gate address line 20. */
static void pc_a20_handler(void *opaque, int n, int level)
{
    CPUState *cs;

    CPU_FOREACH(cs) {
        if (qemu_cpu_is_self(cs)) {
            pc_set_a20_on_cpu(cs, RUN_ON_CPU_HOST_INT(level));
        } else {
            async_run_on_cpu(cs, pc_set_a20_on_cpu,
                             RUN_ON_CPU_HOST_INT(level));
        }
    }
}

/* ---- memory ------------------------------------------------------------- */

static void pc_memory_init(PCMachineState *pcms)
{
    MachineState *ms = MACHINE(pcms);
    MemoryRegion *sysmem = get_system_memory();

    pcms->below_4g_mem_size = MIN(ms->ram_size, PC_LOWMEM_LIMIT);
    pcms->above_4g_mem_size = ms->ram_size - pcms->below_4g_mem_size;

    memory_region_init_alias(&pcms->ram_below_4g, OBJECT(pcms),
                             "ram-below-4g", ms->ram, 0,
                             pcms->below_4g_mem_size);
    memory_region_add_subregion(sysmem, 0, &pcms->ram_below_4g);
    if (pcms->above_4g_mem_size) {
        memory_region_init_alias(&pcms->ram_above_4g, OBJECT(pcms),
                                 "ram-above-4g", ms->ram,
                                 pcms->below_4g_mem_size,
                                 pcms->above_4g_mem_size);
        memory_region_add_subregion(sysmem, 4 * GiB, &pcms->ram_above_4g);
    }
    /* PCI BARs live in a container below RAM (priority -1). */
    memory_region_init(&pcms->pci_memory, OBJECT(pcms), "pci", UINT64_MAX);
    memory_region_add_subregion_overlap(sysmem, 0, &pcms->pci_memory, -1);

    /*
     * Option ROM space, RAM the firmware copies ROMs into, read-only to
     * the guest (as QEMU's for a PCI pc); seen through the PAM regions.
     */
    memory_region_init_ram(&pcms->option_rom, OBJECT(pcms), "pc.rom",
                           PC_ROM_SIZE, &error_fatal);
    memory_region_set_readonly(&pcms->option_rom, true);
    memory_region_add_subregion_overlap(&pcms->pci_memory, PC_ROM_MIN_VGA,
                                        &pcms->option_rom, 1);

    /*
     * The E820 map the guest is told about: base memory up to the EBDA,
     * the BIOS area reserved, the rest of low RAM, and RAM above 4 GiB.
     */
    E820Entry *e = pcms->e820;
    e[0] = (E820Entry){ 0, 0x9fc00, E820_RAM };
    e[1] = (E820Entry){ 0x9fc00, 0x400, E820_RESERVED };
    e[2] = (E820Entry){ 0xe0000, 0x20000, E820_RESERVED };
    e[3] = (E820Entry){ 0x100000, pcms->below_4g_mem_size - 0x100000,
                        E820_RAM };
    pcms->nr_e820 = 4;
    if (pcms->above_4g_mem_size) {
        e[pcms->nr_e820++] = (E820Entry){ 4 * GiB, pcms->above_4g_mem_size,
                                          E820_RAM };
    }
}

static bool pc_firmware_init(PCMachineState *pcms, const char *path,
                             Error **errp)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0) {
        error_setg_errno(errp, errno, "-bios %s: cannot open firmware",
                         path);
        return false;
    }
    if (fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size % 65536 ||
        (uint64_t)st.st_size > 16 * MiB) {
        error_setg(errp, "-bios %s: firmware size must be a non-zero "
                   "multiple of 64 KiB, at most 16 MiB", path);
        close(fd);
        return false;
    }
    uint64_t size = st.st_size;
    if (!memory_region_init_rom(&pcms->bios, OBJECT(pcms), "pc.bios", size,
                                errp)) {
        close(fd);
        return false;
    }
    uint8_t *rom = memory_region_get_ram_ptr(&pcms->bios);
    if (pread(fd, rom, size, 0) != (ssize_t)size) {
        error_setg_errno(errp, errno, "-bios %s: cannot read firmware", path);
        close(fd);
        return false;
    }
    close(fd);
    /*
     * At the top of 4 GiB (reset vector), and its last 128 KiB below
     * 1 MiB, both on the PCI side: below 1 MiB the PAM regions decide
     * whether the CPU sees the firmware or its shadow in RAM.
     */
    memory_region_add_subregion(&pcms->pci_memory, 4 * GiB - size,
                                &pcms->bios);
    uint64_t isa_size = MIN(size, 128 * KiB);
    memory_region_init_alias(&pcms->isa_bios, OBJECT(pcms), "isa-bios",
                             &pcms->bios, size - isa_size, isa_size);
    memory_region_add_subregion_overlap(&pcms->pci_memory,
                                        1 * MiB - isa_size,
                                        &pcms->isa_bios, 1);
    memory_region_set_readonly(&pcms->isa_bios, true);
    return true;
}

/* ---- devices ------------------------------------------------------------ */

static void pc_interrupts_init(PCMachineState *pcms)
{
    qemu_irq *gsi = qemu_allocate_irqs(pc_gsi_handler, pcms, PC_GSI_COUNT);
    memcpy(pcms->gsi, gsi, sizeof(pcms->gsi));
    free(gsi);

    qemu_irq pic_out = qemu_allocate_irq(pc_pic_irq_request, pcms, 0);
    pcms->pic_irqs = i8259_init(pcms->isa_bus, pic_out, &pcms->pic);

    pcms->ioapic = qdev_new(TYPE_IOAPIC);
    object_property_add_child(OBJECT(pcms), "ioapic", OBJECT(pcms->ioapic));
    sysbus_realize_and_unref(SYS_BUS_DEVICE(pcms->ioapic), &error_fatal);
    sysbus_mmio_map(SYS_BUS_DEVICE(pcms->ioapic), 0, PC_IOAPIC_ADDR);

    isa_bus_irqs(pcms->isa_bus, pcms->gsi);

    /* MSIs (from the IOAPIC and PCI devices) and the local APIC pages. */
    apic_msi_region();
    pcms->eoi_notifier.notify = pc_eoi_broadcast;
    apic_add_eoi_notifier(&pcms->eoi_notifier);
}

static void pc_cpus_init(PCMachineState *pcms, Error **errp)
{
    MachineState *ms = MACHINE(pcms);

    for (unsigned i = 0; i < ms->smp.cpus; i++) {
        Object *cpu = object_new(ms->cpu_type);
        X86CPU *x86 = X86_CPU(cpu);
        DeviceState *apic = qdev_new(TYPE_APIC);

        object_property_add_child(OBJECT(pcms), "cpu[*]", cpu);
        if (ms->cpu_features &&
            !x86_cpu_parse_features(x86, ms->cpu_features, errp)) {
            error_prepend(errp, "-cpu %s: ", ms->cpu_features);
            object_unref(cpu);
            return;
        }
        /* APIC ID i for CPU i, as the ACPI MADT and MP table say. */
        x86->env.cfg.apic_id = pcms->acpi_cfg.apic_ids[i];
        qdev_prop_set_uint32(apic, "id", pcms->acpi_cfg.apic_ids[i]);
        object_property_set_link(OBJECT(apic), "cpu", cpu, &error_abort);
        object_property_add_child(cpu, "lapic", OBJECT(apic));
        x86->irq_opaque = apic;
        x86->get_interrupt_vector = pc_get_interrupt_vector;
        x86->x2apic_msr_read = pc_x2apic_msr_read;
        x86->x2apic_msr_write = pc_x2apic_msr_write;
        x86->apic_base_changed = pc_apic_base_changed;
        x86->get_sipi_vector = pc_get_sipi_vector;
        if (!qdev_realize(apic, NULL, errp) ||
            !qdev_realize(DEVICE(cpu), NULL, errp)) {
            return;
        }
        object_unref(OBJECT(apic));
        object_unref(cpu);
    }
}

static void pc_isa_devices_init(PCMachineState *pcms)
{
    MachineState *ms = MACHINE(pcms);
    ISABus *isa = pcms->isa_bus;
    Error *err = NULL;

    ISADevice *pit = i8254_pit_init(isa, 0x40, 0);
    pcspk_init(isa, I8254(pit));

    pcms->rtc = mc146818_rtc_init(isa, &error_fatal);
    rtc_cmos_set_ram_size(pcms->rtc, pcms->below_4g_mem_size,
                          pcms->above_4g_mem_size);
    rtc_cmos_set_cpus(pcms->rtc, ms->smp.cpus);
    rtc_cmos_set_boot_order(pcms->rtc, "cad", false, &err);
    error_free(err);

    qemu_irq a20 = qemu_allocate_irq(pc_a20_handler, pcms, 0);
    ISADevice *kbd = isa_create_simple(isa, TYPE_I8042);
    qdev_connect_gpio_out_named(DEVICE(kbd), "a20", 0, a20);
    ISADevice *port92 = isa_create_simple(isa, TYPE_PORT92);
    qdev_connect_gpio_out_named(DEVICE(port92), "a20", 0, a20);
    isa_create_simple(isa, "cf9-reset");

    for (int i = 0; i < 4; i++) {
        Chardev *chr = serial_hd(i);
        if (chr || i == 0) {
            serial_isa_init(isa, i, chr);
        }
    }
}

static void pc_acpi_init(PCMachineState *pcms)
{
    MachineState *ms = MACHINE(pcms);
    PcAcpiConfig *cfg = &pcms->acpi_cfg;

    pc_acpi_config_init(cfg, ms->smp.cpus);
    cfg->has_hpet = false;          /* no HPET device (yet) */
    cfg->pci_mmio32_base = MAX(pcms->below_4g_mem_size, 0xe0000000ULL);
    cfg->pci_mmio32_size = PC_IOAPIC_ADDR - cfg->pci_mmio32_base;

    pcms->acpi_pm = qdev_new(TYPE_ACPI_PM);
    object_property_add_child(OBJECT(pcms), "pm", OBJECT(pcms->acpi_pm));
    qdev_prop_set_uint32(pcms->acpi_pm, "io-base", cfg->pm_io_base);
    sysbus_realize_and_unref(SYS_BUS_DEVICE(pcms->acpi_pm), &error_fatal);
    sysbus_connect_irq(SYS_BUS_DEVICE(pcms->acpi_pm), 0,
                       pcms->gsi[cfg->sci_irq]);
}

/* ---- kernel boot through the firmware ------------------------------------ */

static bool pc_read_option_rom(const char *name, BootFile *rom, Error **errp)
{
    char *path = xasprintf("%s/%s", PC_OPTION_ROM_DIR, name);
    bool ok = x86_boot_read_file(path, rom, errp);

    if (!ok) {
        error_prepend(errp, "option ROM %s (from Debian's qemu-system-data "
                      "package): ", name);
    } else if (rom->size < 512 || rom->data[0] != 0x55 ||
               rom->data[1] != 0xaa) {
        error_setg(errp, "option ROM %s: no 0x55 0xAA ROM signature", path);
        x86_boot_file_free(rom);
        ok = false;
    }
    free(path);
    return ok;
}

/*
 * -bios with -kernel: hand the kernel to the firmware through fw_cfg as
 * QEMU's x86_load_linux does for its option ROM.  SeaBIOS runs the
 * "genroms/linuxboot_dma.bin" ROM first (bootorder), which loads the
 * setup code, kernel, initrd and command line from fw_cfg and jumps to
 * the setup code in real mode.
 */
static bool pc_fw_cfg_load_linux(PCMachineState *pcms, FWCfgState *fw,
                                 Error **errp)
{
    MachineState *ms = MACHINE(pcms);
    BootFile kernel, initrd = { 0 }, rom = { 0 };
    E820Entry e820[PC_MAX_E820];
    LinuxFwBlobs b;
    bool ok = false;

    if (!x86_boot_read_file(ms->kernel_filename, &kernel, errp)) {
        error_prepend(errp, "-kernel: ");
        return false;
    }
    if (kernel.size < 0x206 || memcmp(kernel.data + 0x202, "HdrS", 4)) {
        error_setg(errp, "-kernel %s: with -bios only Linux bzImage kernels "
                   "are booted through the firmware; leave out -bios to "
                   "boot Multiboot or ELF kernels directly", kernel.name);
        goto out;
    }
    if (ms->initrd_filename &&
        !x86_boot_read_file(ms->initrd_filename, &initrd, errp)) {
        error_prepend(errp, "-initrd: ");
        goto out;
    }
    if (!pc_read_option_rom(PC_LINUXBOOT_ROM, &rom, errp)) {
        goto out;
    }
    /* The firmware's ACPI tables take the top of low RAM: not the initrd. */
    memcpy(e820, pcms->e820, sizeof(e820));
    for (unsigned i = 0; i < pcms->nr_e820; i++) {
        if (e820[i].type == E820_RAM &&
            e820[i].addr + e820[i].size == pcms->below_4g_mem_size &&
            e820[i].size > PC_ACPI_DATA_SIZE) {
            e820[i].size -= PC_ACPI_DATA_SIZE;
        }
    }
    X86BootConfig cfg = {
        .e820 = e820,
        .nr_e820 = pcms->nr_e820,
        .cmdline = ms->kernel_cmdline,
        .real_mode_base = PC_FW_REAL_MODE_BASE,
    };
    if (!linux_prepare_real_mode(&cfg, &kernel,
                                 ms->initrd_filename ? &initrd : NULL, &b,
                                 errp)) {
        goto out;
    }
    fw_cfg_add_i32(fw, FW_CFG_SETUP_ADDR, b.setup_addr);
    fw_cfg_add_i32(fw, FW_CFG_SETUP_SIZE, b.setup_size);
    fw_cfg_add_bytes(fw, FW_CFG_SETUP_DATA, b.setup, b.setup_size);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_ADDR, b.kernel_addr);
    fw_cfg_add_i32(fw, FW_CFG_KERNEL_SIZE, b.kernel_size);
    fw_cfg_add_bytes(fw, FW_CFG_KERNEL_DATA, b.kernel, b.kernel_size);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_ADDR, b.initrd_addr);
    fw_cfg_add_i32(fw, FW_CFG_INITRD_SIZE, b.initrd_size);
    fw_cfg_add_bytes(fw, FW_CFG_INITRD_DATA, b.initrd, b.initrd_size);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_ADDR, b.cmdline_addr);
    fw_cfg_add_i32(fw, FW_CFG_CMDLINE_SIZE, b.cmdline_size);
    fw_cfg_add_bytes(fw, FW_CFG_CMDLINE_DATA, b.cmdline, b.cmdline_size);
    linux_fw_blobs_free(&b);

    fw_cfg_add_file(fw, "genroms/" PC_LINUXBOOT_ROM, rom.data, rom.size);
    /* bootindex 0, as QEMU gives the ROM: boot it before any disk. */
    static const char order[] = "/rom@genroms/" PC_LINUXBOOT_ROM;
    fw_cfg_add_file(fw, "bootorder", order, sizeof(order));
    ok = true;
out:
    x86_boot_file_free(&rom);
    x86_boot_file_free(&initrd);
    x86_boot_file_free(&kernel);
    return ok;
}

/* ---- fw_cfg ------------------------------------------------------------- */

static void pc_fw_cfg_init(PCMachineState *pcms)
{
    MachineState *ms = MACHINE(pcms);
    AcpiBuildTables tables;
    AcpiFwCfgBlob blobs[PC_ACPI_FW_CFG_BLOBS];
    FWCfgState *fw = fw_cfg_init_io_dma(0x510, 0x514, &address_space_memory);

    pcms->fw_cfg = fw;
    fw_cfg_add_i64(fw, FW_CFG_RAM_SIZE, ms->ram_size);
    fw_cfg_add_i16(fw, FW_CFG_NB_CPUS, ms->smp.cpus);
    fw_cfg_add_i16(fw, FW_CFG_MAX_CPUS, ms->smp.max_cpus);
    fw_cfg_add_i16(fw, FW_CFG_NOGRAPHIC, 1);
    fw_cfg_add_i16(fw, FW_CFG_BOOT_MENU, 0);

    /* "etc/e820": the same map, as QEMU's struct e820_entry (packed LE). */
    uint8_t e820[PC_MAX_E820 * 20];
    for (unsigned i = 0; i < pcms->nr_e820; i++) {
        uint8_t *p = e820 + i * 20;
        for (int b = 0; b < 8; b++) {
            p[b] = pcms->e820[i].addr >> (8 * b);
            p[8 + b] = pcms->e820[i].size >> (8 * b);
        }
        for (int b = 0; b < 4; b++) {
            p[16 + b] = pcms->e820[i].type >> (8 * b);
        }
    }
    fw_cfg_add_file(fw, "etc/e820", e820, pcms->nr_e820 * 20);

    /* ACPI tables for the firmware, with the linker/loader script. */
    if (pc_acpi_build(&pcms->acpi_cfg, &tables, &error_fatal)) {
        pc_acpi_fw_cfg_blobs(&tables, blobs);
        for (int i = 0; i < PC_ACPI_FW_CFG_BLOBS; i++) {
            fw_cfg_add_file(fw, blobs[i].name, blobs[i].data, blobs[i].size);
        }
        acpi_build_tables_cleanup(&tables);
    }

    /* -1: no reboot when nothing boots (QEMU's default reboot-timeout). */
    static const uint8_t no_retry[4] = { 0xff, 0xff, 0xff, 0xff };
    fw_cfg_add_file(fw, "etc/boot-fail-wait", no_retry, sizeof(no_retry));

    if (ms->kernel_filename && ms->firmware) {
        Error *err = NULL;
        if (!pc_fw_cfg_load_linux(pcms, fw, &err)) {
            error_report_err(err);
            exit(1);
        }
    } else {
        /* No boot devices named: an empty list, as QEMU's. */
        fw_cfg_add_file(fw, "bootorder", "", 1);
    }
}

/* ---- direct kernel boot ------------------------------------------------- */

static bool pc_write_guest(void *opaque, uint64_t gpa, const void *buf,
                           size_t len)
{
    PCMachineState *pcms = opaque;

    /*
     * Only RAM below 4 GiB is written by the loaders.  Writing through the
     * address space keeps dirty bits and translated code right.
     */
    if (gpa >= pcms->below_4g_mem_size ||
        len > pcms->below_4g_mem_size - gpa) {
        return false;
    }
    return address_space_write(&address_space_memory, gpa,
                               MEMTXATTRS_UNSPECIFIED, buf, len) == MEMTX_OK;
}

/*
 * Without firmware we write what the firmware would have: ACPI tables and
 * the RSDP in the BIOS area (0xE0000-0xFFFFF, reserved in E820), an MP
 * table for acpi=off, then the kernel.  Called at every reset, since the
 * guest may have overwritten RAM.
 */
static bool pc_direct_boot_load(PCMachineState *pcms, Error **errp)
{
    MachineState *ms = MACHINE(pcms);
    GuestMemoryOps mem = { pc_write_guest, pcms };
    PcAcpiDirect acpi;
    ByteArray *mp;
    bool ok;

    if (!pc_acpi_build_direct(&pcms->acpi_cfg, PC_ACPI_TABLES_ADDR,
                              PC_ACPI_RSDP_ADDR, &acpi, errp)) {
        return false;
    }
    ok = pc_write_guest(pcms, acpi.tables_addr, acpi.tables->data,
                        acpi.tables->len) &&
         pc_write_guest(pcms, acpi.rsdp_addr, acpi.rsdp->data,
                        acpi.rsdp->len);
    pc_acpi_direct_cleanup(&acpi);
    if (!ok) {
        error_setg(errp, "pc: no room for the ACPI tables below 1 MiB");
        return false;
    }
    mp = byte_array_new();
    ok = mptable_build(&pcms->acpi_cfg, PC_MPTABLE_ADDR, mp, errp) &&
         pc_write_guest(pcms, PC_MPTABLE_ADDR, mp->data, mp->len);
    byte_array_free(mp);
    if (!ok) {
        error_prepend(errp, "pc: MP table: ");
        return false;
    }

    X86BootConfig cfg = {
        .mem = &mem,
        .e820 = pcms->e820,
        .nr_e820 = pcms->nr_e820,
        .cmdline = ms->kernel_cmdline,
        .acpi_rsdp_addr = PC_ACPI_RSDP_ADDR,
    };
    return x86_boot_load(&cfg, ms->kernel_filename, ms->initrd_filename,
                         &pcms->boot_state, errp);
}

static void pc_load_segment(SegmentCache *sc, const X86BootSegment *seg)
{
    sc->selector = seg->selector;
    sc->base = seg->base;
    sc->limit = seg->limit;
    sc->flags = seg->flags;
}

/* CPU 0 starts where the loader said, in the mode it said. */
static void pc_apply_boot_state(PCMachineState *pcms)
{
    const X86BootState *st = &pcms->boot_state;
    CPUX86State *env = x86_cpu_env(first_cpu);

    env->regs[R_EAX] = st->rax;
    env->regs[R_EBX] = st->rbx;
    env->regs[R_ESI] = st->rsi;
    env->regs[R_ESP] = st->rsp;
    env->rip = st->rip;
    env->cr[0] = st->cr0;
    env->cr[3] = st->cr3;
    env->cr[4] = st->cr4;
    env->efer = st->efer;
    env->gdt.base = st->gdt_base;
    env->gdt.limit = st->gdt_limit;
    pc_load_segment(&env->segs[R_CS], &st->cs);
    pc_load_segment(&env->segs[R_DS], &st->ds);
    pc_load_segment(&env->segs[R_ES], &st->es);
    pc_load_segment(&env->segs[R_FS], &st->fs);
    pc_load_segment(&env->segs[R_GS], &st->gs);
    pc_load_segment(&env->segs[R_SS], &st->ss);
    cpu_load_eflags(env, st->rflags, ~0ULL);
    x86_update_hflags(env);
    x86_tlb_flush(env);
}

/* ---- the machine -------------------------------------------------------- */

static void pc_machine_reset(MachineState *ms, ShutdownCause cause)
{
    PCMachineState *pcms = PC_MACHINE(ms);

    qemu_devices_reset(OBJECT(ms), RESET_TYPE_COLD);
    if (pcms->direct_boot && first_cpu) {
        Error *err = NULL;
        /* What the firmware would do: shadow RAM on, read/write. */
        for (int i = 0; i < I440FX_PAM_SIZE; i++) {
            pci_host_config_write_common(pcms->i440fx, I440FX_PAM + i,
                                         PCI_CONFIG_SPACE_SIZE,
                                         i == 0 ? 0x30 : 0x33, 1);
        }
        if (!pc_direct_boot_load(pcms, &err)) {
            error_report_err(err);
            qemu_system_shutdown_request(SHUTDOWN_CAUSE_HOST_ERROR);
            return;
        }
        pc_apply_boot_state(pcms);
    }
    cpu_synchronize_all_post_reset();
}

static void pc_init(MachineState *ms)
{
    PCMachineState *pcms = PC_MACHINE(ms);
    Error *err = NULL;

    if (ms->ram_size < 1 * MiB) {
        error_report("pc: -m %" PRIu64 "k is too small, the pc machine needs "
                     "at least 1 MiB of RAM", (uint64_t)(ms->ram_size / KiB));
        exit(1);
    }
    pc_memory_init(pcms);
    pcms->direct_boot = ms->kernel_filename && !ms->firmware;
    if (!pcms->direct_boot &&
        !pc_firmware_init(pcms, ms->firmware ? ms->firmware
                                             : PC_DEFAULT_FIRMWARE, &err)) {
        error_report_err(err);
        exit(1);
    }

    pcms->pci_bus = i440fx_init(get_system_memory(), ms->ram,
                                &pcms->pci_memory, get_system_io(),
                                &pcms->i440fx);
    PCIDevice *piix3 = pci_new_multifunction(PCI_DEVFN(1, 0),
                                             TYPE_PIIX3_DEVICE);
    pci_realize_and_unref(piix3, pcms->pci_bus, &error_fatal);
    pcms->isa_bus = PIIX3_DEVICE(piix3)->isa_bus;

    pc_interrupts_init(pcms);
    pc_acpi_init(pcms);
    /* Route PCI INTA-D as the DSDT's _PRT says (no firmware to do it). */
    for (int i = 0; i < 4; i++) {
        char name[8];
        snprintf(name, sizeof(name), "pirq%c", 'a' + i);
        object_property_set_uint(OBJECT(piix3), name,
                                 pcms->acpi_cfg.pci_gsi[i], NULL);
    }
    pc_isa_devices_init(pcms);
    pc_fw_cfg_init(pcms);
    pc_cpus_init(pcms, &err);
    if (err) {
        error_report_err(err);
        exit(1);
    }
}

static void pc_machine_class_init(ObjectClass *oc, const void *data)
{
    MachineClass *mc = MACHINE_CLASS(oc);

    mc->desc = "Standard PC (i440FX + PIIX, 1996)";
    mc->is_default = true;
    mc->init = pc_init;
    mc->reset = pc_machine_reset;
    mc->min_cpus = 1;
    mc->max_cpus = 255;
    mc->default_cpus = 1;
    mc->default_ram_size = 128 * MiB;
    mc->default_cpu_type = TYPE_OSPREY64_CPU;
    mc->default_ram_id = "pc.ram";
}

static const TypeInfo pc_machine_type_info = {
    .name = TYPE_PC_MACHINE,
    .parent = TYPE_MACHINE,
    .instance_size = sizeof(PCMachineState),
    .class_init = pc_machine_class_init,
};

static void pc_machine_register_types(void)
{
    type_register_static(&pc_machine_type_info);
}

type_init(pc_machine_register_types)
