/*
 * Linux x86 boot protocol (Documentation/arch/x86/boot.rst), versions
 * 2.06 and later: parse a bzImage, then either enter the kernel directly at
 * its 64-bit entry point with a boot_params page we build, or prepare the
 * real-mode setup code for firmware to jump to, as a boot loader would.
 */
#include "hw/i386/boot.h"

/* Setup header field offsets in the file (and in boot_params). */
#define HDR_SETUP_SECTS      0x1f1
#define HDR_SYSSIZE          0x1f4
#define HDR_JUMP             0x200
#define HDR_MAGIC            0x202
#define HDR_VERSION          0x206
#define HDR_LOADFLAGS        0x211
#define HDR_INITRD_ADDR_MAX  0x22c
#define HDR_KERNEL_ALIGNMENT 0x230
#define HDR_RELOCATABLE      0x234
#define HDR_XLOADFLAGS       0x236
#define HDR_CMDLINE_SIZE     0x238
#define HDR_PREF_ADDRESS     0x258
#define HDR_INIT_SIZE        0x260

#define PAGE_SIZE 4096ULL
#define LINUX_ENTRY64_OFFSET 0x200
#define LINUX_LOW_KERNEL 0x100000          /* 1 MiB: protected-mode default */
/* Real-mode layout below the setup base (boot.rst, "Sample boot config"). */
#define REAL_HEAP_END 0xe000
#define REAL_CMDLINE_OFFSET REAL_HEAP_END

bool linux_parse_header(const BootFile *kernel, LinuxSetupHeader *hdr,
                        Error **errp)
{
    const uint8_t *d = kernel->data;
    size_t size = kernel->size;

    memset(hdr, 0, sizeof(*hdr));
    if (size < HDR_MAGIC + 4 || memcmp(d + HDR_MAGIC, "HdrS", 4)) {
        error_setg(errp, "-kernel %s: not a bzImage (no 'HdrS' signature)",
                   kernel->name);
        return false;
    }
    if (size < HDR_VERSION + 2) {
        error_setg(errp, "-kernel %s: truncated: file ends inside the setup "
                   "header (%zu bytes)", kernel->name, size);
        return false;
    }
    hdr->version = boot_ld16(d + HDR_VERSION);
    if (hdr->version < 0x206) {
        error_setg(errp, "-kernel %s: boot protocol %u.%02u too old, need 2.06",
                   kernel->name, hdr->version >> 8, hdr->version & 0xff);
        return false;
    }
    /* The header ends where the jump at 0x200 lands. */
    hdr->header_end = HDR_MAGIC + d[HDR_JUMP + 1];
    if (hdr->header_end < HDR_CMDLINE_SIZE + 4) {
        error_setg(errp, "-kernel %s: setup header ends at 0x%zx, before the "
                   "2.06 fields", kernel->name, hdr->header_end);
        return false;
    }
    if (hdr->header_end > size) {
        error_setg(errp, "-kernel %s: truncated: file ends inside the setup "
                   "header (%zu bytes)", kernel->name, size);
        return false;
    }

    hdr->setup_sects = d[HDR_SETUP_SECTS] ? d[HDR_SETUP_SECTS] : 4;
    hdr->setup_size = (hdr->setup_sects + 1) * 512;
    if (hdr->setup_size > size) {
        error_setg(errp, "-kernel %s: setup code (%u sectors) extends beyond "
                   "the end of the file (%zu bytes)", kernel->name,
                   hdr->setup_sects, size);
        return false;
    }
    hdr->kernel_size = size - hdr->setup_size;
    hdr->syssize = boot_ld32(d + HDR_SYSSIZE);
    if (hdr->kernel_size == 0 || (uint64_t)hdr->syssize * 16 > hdr->kernel_size) {
        error_setg(errp, "-kernel %s: truncated: the protected-mode kernel "
                   "is %" PRIu64 " bytes, the file has %zu after the setup "
                   "code", kernel->name, (uint64_t)hdr->syssize * 16,
                   hdr->kernel_size);
        return false;
    }

    hdr->loadflags = d[HDR_LOADFLAGS];
    if (!(hdr->loadflags & LINUX_LOADED_HIGH)) {
        error_setg(errp, "-kernel %s: not a bzImage (loadflags lack "
                   "LOADED_HIGH): zImage kernels are not supported",
                   kernel->name);
        return false;
    }
    hdr->initrd_addr_max = boot_ld32(d + HDR_INITRD_ADDR_MAX);
    hdr->kernel_alignment = boot_ld32(d + HDR_KERNEL_ALIGNMENT);
    hdr->relocatable_kernel = d[HDR_RELOCATABLE];
    hdr->cmdline_size = boot_ld32(d + HDR_CMDLINE_SIZE);
    if (hdr->kernel_alignment == 0 ||
        (hdr->kernel_alignment & (hdr->kernel_alignment - 1))) {
        error_setg(errp, "-kernel %s: kernel_alignment 0x%x is not a power "
                   "of two", kernel->name, hdr->kernel_alignment);
        return false;
    }
    /* Fields past 2.06 exist only when both version and header say so. */
    if (hdr->version >= 0x20a && hdr->header_end >= HDR_INIT_SIZE + 4) {
        hdr->xloadflags = boot_ld16(d + HDR_XLOADFLAGS);
        hdr->pref_address = boot_ld64(d + HDR_PREF_ADDRESS);
        hdr->init_size = boot_ld32(d + HDR_INIT_SIZE);
    } else {
        hdr->pref_address = LINUX_LOW_KERNEL;
    }
    if (hdr->version < 0x20c) {
        hdr->xloadflags = 0;    /* 2.12 defined it; before, padding */
    }
    return true;
}

/*
 * The highest page-aligned address at which size bytes fit in RAM at or
 * below limit (inclusive) without touching any busy range; UINT64_MAX if
 * there is none.
 */
static uint64_t find_highest_slot(const X86BootConfig *cfg, uint64_t size,
                                  uint64_t limit, const uint64_t (*busy)[2],
                                  unsigned nr_busy)
{
    uint64_t best = UINT64_MAX;

    for (unsigned i = 0; i < cfg->nr_e820; i++) {
        const E820Entry *e = &cfg->e820[i];
        uint64_t top, cand;
        bool moved;

        if (e->type != E820_RAM || e->addr > limit) {
            continue;
        }
        top = e->addr + e->size < e->addr ? UINT64_MAX : e->addr + e->size;
        if (limit < UINT64_MAX) {
            top = MIN(top, limit + 1);
        }
        if (top - e->addr < size) {
            continue;
        }
        cand = ALIGN_DOWN(top - size, PAGE_SIZE);
        /* Slide below every busy range we hit; each pass only moves down. */
        do {
            moved = false;
            for (unsigned b = 0; b < nr_busy && cand != UINT64_MAX; b++) {
                if (!boot_ranges_overlap(cand, size, busy[b][0], busy[b][1])) {
                    continue;
                }
                if (busy[b][0] < e->addr + size) {
                    cand = UINT64_MAX;      /* nothing left in this entry */
                } else {
                    cand = ALIGN_DOWN(busy[b][0] - size, PAGE_SIZE);
                    moved = true;
                }
            }
        } while (moved && cand != UINT64_MAX);
        if (cand != UINT64_MAX && cand >= e->addr &&
            (best == UINT64_MAX || cand > best)) {
            best = cand;
        }
    }
    return best;
}

/* Where the protected-mode kernel goes for the 64-bit entry. */
static bool place_kernel64(const X86BootConfig *cfg, const BootFile *kernel,
                           const LinuxSetupHeader *hdr, uint64_t *addr,
                           Error **errp)
{
    uint64_t need = MAX((uint64_t)hdr->init_size, hdr->kernel_size);
    uint64_t scratch = x86_boot_scratch(cfg);
    uint64_t cand[2] = {
        hdr->pref_address ? hdr->pref_address : LINUX_LOW_KERNEL,
        ALIGN_UP((uint64_t)LINUX_LOW_KERNEL, hdr->kernel_alignment),
    };
    unsigned tries = hdr->relocatable_kernel ? 2 : 1;

    for (unsigned i = 0; i < tries; i++) {
        if (x86_boot_is_ram(cfg, cand[i], need) &&
            cand[i] + need <= 4 * GiB &&
            !boot_ranges_overlap(cand[i], need, scratch, X86_BOOT_SCRATCH_SIZE)) {
            *addr = cand[i];
            return true;
        }
    }
    error_setg(errp, "-kernel %s: no room for the kernel: it needs 0x%" PRIx64
               " bytes of RAM at 0x%" PRIx64 "%s", kernel->name, need, cand[0],
               hdr->relocatable_kernel ? " or 0x100000" : "");
    return false;
}

static bool place_initrd(const X86BootConfig *cfg, const BootFile *initrd,
                         const LinuxSetupHeader *hdr, uint64_t kernel_addr,
                         uint64_t kernel_need, uint64_t *addr, Error **errp)
{
    uint64_t limit = MIN((uint64_t)hdr->initrd_addr_max, 4 * GiB - 1);
    const uint64_t busy[3][2] = {
        { 0, 1 * MiB },                         /* BIOS, setup, scratch */
        { kernel_addr, kernel_need },
        { x86_boot_scratch(cfg), X86_BOOT_SCRATCH_SIZE },
    };

    if (initrd->size == 0) {
        error_setg(errp, "-initrd %s: file is empty", initrd->name);
        return false;
    }
    *addr = find_highest_slot(cfg, initrd->size, limit, busy, ARRAY_SIZE(busy));
    if (*addr == UINT64_MAX) {
        error_setg(errp, "-initrd %s: no room for the initrd (%zu bytes) in "
                   "RAM below 0x%" PRIx64, initrd->name, initrd->size,
                   limit + 1);
        return false;
    }
    return true;
}

static bool check_cmdline(const LinuxSetupHeader *hdr, const char *cmdline,
                          size_t room, Error **errp)
{
    size_t len = strlen(cmdline);
    size_t max = MIN((size_t)hdr->cmdline_size, room - 1);

    if (len > max) {
        error_setg(errp, "-append: the command line is %zu bytes, the kernel "
                   "takes at most %zu", len, max);
        return false;
    }
    return true;
}

bool x86_load_linux64(const X86BootConfig *cfg, const BootFile *kernel,
                      const BootFile *initrd, X86BootState *st,
                      LinuxBootLayout *layout, Error **errp)
{
    LinuxSetupHeader hdr;
    const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
    uint64_t scratch = x86_boot_scratch(cfg);
    uint64_t bp_addr = scratch + 0x7000, cmdline_addr = scratch + 0x8000;
    uint64_t kaddr, kneed, initrd_addr = 0, initrd_size = 0;
    uint8_t *bp = NULL;
    bool ok = false;

    if (!linux_parse_header(kernel, &hdr, errp)) {
        return false;
    }
    if (!(hdr.xloadflags & LINUX_XLF_KERNEL_64)) {
        error_setg(errp, "-kernel %s: no 64-bit entry point (boot protocol "
                   "%u.%02u, xloadflags 0x%x lack XLF_KERNEL_64)", kernel->name,
                   hdr.version >> 8, hdr.version & 0xff, hdr.xloadflags);
        return false;
    }
    if (cfg->nr_e820 > BP_E820_MAX) {
        error_setg(errp, "-kernel %s: %u E820 entries, boot_params holds %d",
                   kernel->name, cfg->nr_e820, BP_E820_MAX);
        return false;
    }
    if (!check_cmdline(&hdr, cmdline, X86_BOOT_SCRATCH_SIZE - 0x8000, errp) ||
        !place_kernel64(cfg, kernel, &hdr, &kaddr, errp)) {
        return false;
    }
    kneed = MAX((uint64_t)hdr.init_size, hdr.kernel_size);
    if (initrd) {
        if (!place_initrd(cfg, initrd, &hdr, kaddr, kneed, &initrd_addr, errp)) {
            return false;
        }
        initrd_size = initrd->size;
    }

    /* boot_params: zero page with the file's setup header at 0x1f1. */
    bp = xzalloc(BP_SIZE);
    memcpy(bp + BP_SETUP_HEADER, kernel->data + BP_SETUP_HEADER,
           hdr.header_end - BP_SETUP_HEADER);
    bp[BP_TYPE_OF_LOADER] = 0xff;       /* "undefined" loader, no ext id */
    bp[BP_EXT_LOADER_VER] = 0;
    bp[BP_EXT_LOADER_TYPE] = 0;
    boot_st32(bp + BP_CODE32_START, kaddr);
    boot_st32(bp + BP_CMD_LINE_PTR, cmdline_addr);
    boot_st32(bp + BP_EXT_CMD_LINE_PTR, cmdline_addr >> 32);
    boot_st32(bp + BP_RAMDISK_IMAGE, initrd_addr);
    boot_st32(bp + BP_EXT_RAMDISK_IMAGE, initrd_addr >> 32);
    boot_st32(bp + BP_RAMDISK_SIZE, initrd_size);
    boot_st32(bp + BP_EXT_RAMDISK_SIZE, initrd_size >> 32);
    if (cfg->acpi_rsdp_addr && hdr.version >= 0x20e) {
        boot_st64(bp + BP_ACPI_RSDP_ADDR, cfg->acpi_rsdp_addr);
    }
    bp[BP_E820_ENTRIES] = cfg->nr_e820;
    for (unsigned i = 0; i < cfg->nr_e820; i++) {
        uint8_t *e = bp + BP_E820_TABLE + i * 20;
        boot_st64(e, cfg->e820[i].addr);
        boot_st64(e + 8, cfg->e820[i].size);
        boot_st32(e + 16, cfg->e820[i].type);
    }

    memset(st, 0, sizeof(*st));
    if (!x86_boot_setup_cpu(cfg, X86_BOOT_LONG64, st, errp) ||
        !x86_boot_write(cfg, "boot_params", bp_addr, bp, BP_SIZE, errp) ||
        !x86_boot_write(cfg, "kernel command line", cmdline_addr, cmdline,
                        strlen(cmdline) + 1, errp) ||
        !x86_boot_write(cfg, "kernel", kaddr, kernel->data + hdr.setup_size,
                        hdr.kernel_size, errp) ||
        (initrd && !x86_boot_write(cfg, "initrd", initrd_addr, initrd->data,
                                   initrd->size, errp))) {
        error_prepend(errp, "-kernel %s: ", kernel->name);
        goto out;
    }
    st->rip = kaddr + LINUX_ENTRY64_OFFSET;
    st->rsi = bp_addr;
    if (layout) {
        *layout = (LinuxBootLayout) {
            .kernel_addr = kaddr, .kernel_size = hdr.kernel_size,
            .initrd_addr = initrd_addr, .initrd_size = initrd_size,
            .cmdline_addr = cmdline_addr, .boot_params_addr = bp_addr,
        };
    }
    ok = true;
out:
    free(bp);
    return ok;
}

static void real_segment(X86BootSegment *seg, uint16_t selector, bool code)
{
    seg->selector = selector;
    seg->base = (uint64_t)selector << 4;
    seg->limit = 0xffff;
    seg->flags = X86_DESC_P | X86_DESC_S |
                 ((code ? 0xb : 0x3) << X86_DESC_TYPE_SHIFT);
}

bool linux_prepare_real_mode(const X86BootConfig *cfg, const BootFile *kernel,
                             const BootFile *initrd, LinuxFwBlobs *blobs,
                             Error **errp)
{
    LinuxSetupHeader hdr;
    const char *cmdline = cfg->cmdline ? cfg->cmdline : "";
    uint64_t base = cfg->real_mode_base ? cfg->real_mode_base
                                        : X86_BOOT_DEFAULT_REAL_MODE_BASE;
    uint64_t kneed, initrd_addr = 0;
    uint16_t seg;
    uint8_t *s;

    memset(blobs, 0, sizeof(*blobs));
    if (!linux_parse_header(kernel, &hdr, errp)) {
        return false;
    }
    /* Setup, heap, stack and command line must all sit below 640 KiB. */
    if ((base & 0xf) || base + REAL_CMDLINE_OFFSET + hdr.cmdline_size + 1 >
        0xa0000) {
        error_setg(errp, "-kernel %s: real-mode base 0x%" PRIx64 " leaves no "
                   "room below 0xa0000", kernel->name, base);
        return false;
    }
    if (hdr.setup_size > REAL_HEAP_END - 0x200) {
        error_setg(errp, "-kernel %s: setup code of %zu bytes does not fit "
                   "below its heap", kernel->name, hdr.setup_size);
        return false;
    }
    if (!check_cmdline(&hdr, cmdline, 0xa0000 - base - REAL_CMDLINE_OFFSET,
                       errp)) {
        return false;
    }
    if (!x86_boot_is_ram(cfg, base, REAL_CMDLINE_OFFSET + strlen(cmdline) + 1)) {
        error_setg(errp, "-kernel %s: real-mode area at 0x%" PRIx64 " is not "
                   "RAM", kernel->name, base);
        return false;
    }
    kneed = MAX((uint64_t)hdr.init_size, hdr.kernel_size);
    if (!x86_boot_is_ram(cfg, LINUX_LOW_KERNEL, kneed)) {
        error_setg(errp, "-kernel %s: no room for the kernel: it needs 0x%"
                   PRIx64 " bytes of RAM at 0x100000", kernel->name, kneed);
        return false;
    }
    if (initrd &&
        !place_initrd(cfg, initrd, &hdr, LINUX_LOW_KERNEL, kneed, &initrd_addr,
                      errp)) {
        return false;
    }

    s = blobs->setup = xmalloc(hdr.setup_size);
    memcpy(s, kernel->data, hdr.setup_size);
    s[BP_TYPE_OF_LOADER] = 0xff;
    s[BP_LOADFLAGS] |= LINUX_CAN_USE_HEAP;
    boot_st16(s + BP_HEAP_END_PTR, REAL_HEAP_END - 0x200);
    boot_st32(s + BP_CODE32_START, LINUX_LOW_KERNEL);
    boot_st32(s + BP_CMD_LINE_PTR, base + REAL_CMDLINE_OFFSET);
    boot_st32(s + BP_RAMDISK_IMAGE, initrd_addr);
    boot_st32(s + BP_RAMDISK_SIZE, initrd ? initrd->size : 0);
    blobs->setup_size = hdr.setup_size;
    blobs->setup_addr = base;
    blobs->kernel = kernel->data + hdr.setup_size;
    blobs->kernel_size = hdr.kernel_size;
    blobs->kernel_addr = LINUX_LOW_KERNEL;
    if (initrd) {
        blobs->initrd = initrd->data;
        blobs->initrd_size = initrd->size;
        blobs->initrd_addr = initrd_addr;
    }
    blobs->cmdline = xstrdup(cmdline);
    blobs->cmdline_size = strlen(cmdline) + 1;
    blobs->cmdline_addr = base + REAL_CMDLINE_OFFSET;

    /* boot.rst: SS = DS = ES = FS = GS = seg, SP = heap end, CS = seg+0x20. */
    seg = base >> 4;
    blobs->entry.mode = X86_BOOT_REAL;
    blobs->entry.cr0 = X86_CR0_ET;
    blobs->entry.rflags = 0x2;
    blobs->entry.rip = 0;
    blobs->entry.rsp = REAL_HEAP_END;
    real_segment(&blobs->entry.cs, seg + 0x20, true);
    real_segment(&blobs->entry.ds, seg, false);
    blobs->entry.es = blobs->entry.fs = blobs->entry.gs = blobs->entry.ss =
        blobs->entry.ds;
    return true;
}

void linux_fw_blobs_free(LinuxFwBlobs *blobs)
{
    free(blobs->setup);
    free(blobs->cmdline);
    memset(blobs, 0, sizeof(*blobs));
}

bool x86_load_linux_real_mode(const X86BootConfig *cfg,
                              const BootFile *kernel, const BootFile *initrd,
                              X86BootState *st, LinuxBootLayout *layout,
                              Error **errp)
{
    LinuxFwBlobs b;
    bool ok;

    if (!linux_prepare_real_mode(cfg, kernel, initrd, &b, errp)) {
        return false;
    }
    ok = x86_boot_write(cfg, "setup code", b.setup_addr, b.setup, b.setup_size,
                        errp) &&
         x86_boot_write(cfg, "kernel command line", b.cmdline_addr, b.cmdline,
                        b.cmdline_size, errp) &&
         x86_boot_write(cfg, "kernel", b.kernel_addr, b.kernel, b.kernel_size,
                        errp) &&
         x86_boot_write(cfg, "initrd", b.initrd_addr, b.initrd, b.initrd_size,
                        errp);
    if (!ok) {
        error_prepend(errp, "-kernel %s: ", kernel->name);
    } else {
        *st = b.entry;
        if (layout) {
            *layout = (LinuxBootLayout) {
                .kernel_addr = b.kernel_addr, .kernel_size = b.kernel_size,
                .initrd_addr = b.initrd_addr, .initrd_size = b.initrd_size,
                .cmdline_addr = b.cmdline_addr, .setup_addr = b.setup_addr,
            };
        }
    }
    linux_fw_blobs_free(&b);
    return ok;
}
