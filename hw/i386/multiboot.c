/*
 * Multiboot v1 (the Multiboot Specification 0.6.96): find the header in the
 * first 8 KiB, load the kernel by the a.out kludge fields (flag 16) or as
 * ELF32, put the modules page aligned after it, and build the information
 * structure with the memory map, command lines and loader name "osprey".
 *
 * As in QEMU, the kernel's command line is "<kernel file> <-append>", the
 * way GRUB passes it, and the video mode request (flag 2) is ignored: there
 * is no VBE information to give.
 */
#include "hw/i386/boot.h"

#define MB_FLAG_PAGE_ALIGN  (1u << 0)
#define MB_FLAG_MEMORY_INFO (1u << 1)
#define MB_FLAG_VIDEO_MODE  (1u << 2)
#define MB_FLAG_AOUT_KLUDGE (1u << 16)
#define MB_KNOWN_REQUIRED   (MB_FLAG_PAGE_ALIGN | MB_FLAG_MEMORY_INFO | \
                             MB_FLAG_VIDEO_MODE)

/* Layout in the scratch area (see boot.h): info, module list, the rest. */
#define MB_INFO_OFFSET  0x7000
#define MB_MODS_OFFSET  0x7080
#define MB_AREA_SIZE    (X86_BOOT_SCRATCH_SIZE - MB_INFO_OFFSET)
#define MB_MOD_ENTRY    16
#define MB_MMAP_ENTRY   24

long multiboot_find_header(const BootFile *kernel)
{
    size_t limit = MIN(kernel->size, (size_t)MULTIBOOT_SEARCH);

    for (size_t off = 0; off + 12 <= limit; off += 4) {
        const uint8_t *h = kernel->data + off;
        uint32_t magic = boot_ld32(h);
        if (magic == MULTIBOOT_HEADER_MAGIC &&
            (uint32_t)(magic + boot_ld32(h + 4) + boot_ld32(h + 8)) == 0) {
            return off;
        }
    }
    return -1;
}

/* A growing image of [scratch + MB_INFO_OFFSET, scratch + 64 KiB). */
typedef struct MbArea {
    uint8_t buf[MB_AREA_SIZE];
    size_t used;
    uint64_t base;                  /* guest address of buf[0] */
} MbArea;

/* Reserve len bytes (8-byte aligned); returns the offset in buf or -1. */
static long mb_alloc(MbArea *a, size_t len)
{
    size_t off = ALIGN_UP(a->used, 8);

    if (off > sizeof(a->buf) || len > sizeof(a->buf) - off) {
        return -1;
    }
    a->used = off + len;
    return off;
}

static long mb_add_string(MbArea *a, const char *s)
{
    long off = mb_alloc(a, strlen(s) + 1);

    if (off >= 0) {
        memcpy(a->buf + off, s, strlen(s) + 1);
    }
    return off;
}

/* a.out kludge: the header says where the image and its bss go. */
static bool mb_load_aout(const X86BootConfig *cfg, const BootFile *kernel,
                         size_t hoff, uint64_t *entry, uint64_t *end,
                         Error **errp)
{
    const uint8_t *h = kernel->data + hoff;
    uint32_t header_addr, load_addr, load_end, bss_end, entry_addr;
    uint64_t file_off, load_size, mem_end;
    const char *name = kernel->name;

    if (hoff + 32 > kernel->size) {
        error_setg(errp, "-kernel %s: truncated Multiboot header", name);
        return false;
    }
    header_addr = boot_ld32(h + 12);
    load_addr = boot_ld32(h + 16);
    load_end = boot_ld32(h + 20);
    bss_end = boot_ld32(h + 24);
    entry_addr = boot_ld32(h + 28);

    if (header_addr < load_addr || header_addr - load_addr > hoff) {
        error_setg(errp, "-kernel %s: Multiboot header_addr 0x%x and "
                   "load_addr 0x%x do not match the header's file offset 0x%zx",
                   name, header_addr, load_addr, hoff);
        return false;
    }
    file_off = hoff - (header_addr - load_addr);
    if (load_end == 0) {
        load_size = kernel->size - file_off;
    } else if (load_end < load_addr) {
        error_setg(errp, "-kernel %s: Multiboot load_end_addr 0x%x is below "
                   "load_addr 0x%x", name, load_end, load_addr);
        return false;
    } else {
        load_size = load_end - load_addr;
    }
    if (load_size > kernel->size - file_off) {
        error_setg(errp, "-kernel %s: Multiboot image 0x%x..0x%" PRIx64
                   " extends beyond the end of the file (%zu bytes)", name,
                   load_addr, load_addr + load_size, kernel->size);
        return false;
    }
    mem_end = load_addr + load_size;
    if (bss_end) {
        if (bss_end < mem_end) {
            error_setg(errp, "-kernel %s: Multiboot bss_end_addr 0x%x is below "
                       "the end of the image 0x%" PRIx64, name, bss_end,
                       mem_end);
            return false;
        }
        mem_end = bss_end;
    }
    if (!x86_boot_is_ram(cfg, load_addr, mem_end - load_addr)) {
        error_setg(errp, "-kernel %s: Multiboot image 0x%x..0x%" PRIx64
                   " is outside RAM", name, load_addr, mem_end);
        return false;
    }
    if (boot_ranges_overlap(load_addr, mem_end - load_addr,
                            x86_boot_scratch(cfg), X86_BOOT_SCRATCH_SIZE)) {
        error_setg(errp, "-kernel %s: Multiboot image 0x%x..0x%" PRIx64
                   " overlaps the loader's scratch area at 0x%" PRIx64, name,
                   load_addr, mem_end, x86_boot_scratch(cfg));
        return false;
    }
    if (entry_addr < load_addr || entry_addr >= mem_end) {
        error_setg(errp, "-kernel %s: Multiboot entry_addr 0x%x is outside the "
                   "image 0x%x..0x%" PRIx64, name, entry_addr, load_addr,
                   mem_end);
        return false;
    }
    if (!x86_boot_write(cfg, "Multiboot image", load_addr,
                        kernel->data + file_off, load_size, errp) ||
        !x86_boot_zero(cfg, "Multiboot bss", load_addr + load_size,
                       mem_end - load_addr - load_size, errp)) {
        error_prepend(errp, "-kernel %s: ", name);
        return false;
    }
    *entry = entry_addr;
    *end = mem_end;
    return true;
}

static void mb_memory_sizes(const X86BootConfig *cfg, uint32_t *lower,
                            uint32_t *upper)
{
    *lower = *upper = 0;
    for (unsigned i = 0; i < cfg->nr_e820; i++) {
        const E820Entry *e = &cfg->e820[i];
        if (e->type != E820_RAM) {
            continue;
        }
        if (e->addr == 0) {
            *lower = MIN(e->size, 640 * KiB) / KiB;
        }
        if (e->addr <= 1 * MiB && e->addr + e->size > 1 * MiB) {
            *upper = MIN((e->addr + e->size - 1 * MiB) / KiB, (uint64_t)UINT32_MAX);
        }
    }
}

bool x86_load_multiboot(const X86BootConfig *cfg, const BootFile *kernel,
                        const MultibootModule *mods, unsigned nr_mods,
                        X86BootState *st, uint64_t *info_addr, Error **errp)
{
    const char *name = kernel->name;
    long hoff = multiboot_find_header(kernel);
    uint32_t flags, lower, upper;
    uint64_t entry, end, mod_addr, scratch = x86_boot_scratch(cfg);
    MbArea *a = NULL;
    long off, mmap_off;
    char *cmdline;
    bool ok = false;

    if (hoff < 0) {
        error_setg(errp, "-kernel %s: no Multiboot header in the first 8 KiB",
                   name);
        return false;
    }
    flags = boot_ld32(kernel->data + hoff + 4);
    if (flags & 0xffff & ~MB_KNOWN_REQUIRED) {
        error_setg(errp, "-kernel %s: Multiboot header requires unsupported "
                   "features (flags 0x%x)", name, flags);
        return false;
    }
    if (flags & MB_FLAG_AOUT_KLUDGE) {
        if (!mb_load_aout(cfg, kernel, hoff, &entry, &end, errp)) {
            return false;
        }
    } else {
        ElfImageInfo elf;
        if (kernel->size < 5 || memcmp(kernel->data, "\177ELF", 4)) {
            error_setg(errp, "-kernel %s: Multiboot kernel is not ELF and has "
                       "no load addresses (flag 16 clear)", name);
            return false;
        }
        if (kernel->data[4] != 1) {
            error_setg(errp, "-kernel %s: Multiboot v1 kernels must be ELF32",
                       name);
            return false;
        }
        if (!elf_load_segments(cfg, kernel, &elf, errp)) {
            return false;
        }
        entry = elf.entry;
        end = elf.high;
    }

    a = xnew(MbArea);
    a->base = scratch + MB_INFO_OFFSET;
    a->used = MB_MODS_OFFSET - MB_INFO_OFFSET;      /* info + padding */
    if (mb_alloc(a, (size_t)nr_mods * MB_MOD_ENTRY) != MB_MODS_OFFSET - MB_INFO_OFFSET) {
        error_setg(errp, "-initrd: too many Multiboot modules (%u)", nr_mods);
        goto out;
    }

    /* Modules, each page aligned, one after the other above the kernel. */
    mod_addr = ALIGN_UP(end, 4096);
    for (unsigned i = 0; i < nr_mods; i++) {
        const BootFile *f = &mods[i].file;
        uint8_t *m = a->buf + MB_MODS_OFFSET - MB_INFO_OFFSET + i * MB_MOD_ENTRY;
        uint64_t size = f->size;

        if (mod_addr + size > 4 * GiB || !x86_boot_is_ram(cfg, mod_addr, size) ||
            boot_ranges_overlap(mod_addr, size, scratch, X86_BOOT_SCRATCH_SIZE)) {
            error_setg(errp, "-initrd %s: no room for the module (%" PRIu64
                       " bytes) at 0x%" PRIx64, f->name, size, mod_addr);
            goto out;
        }
        off = mb_add_string(a, mods[i].cmdline ? mods[i].cmdline : f->name);
        if (off < 0) {
            error_setg(errp, "-initrd: Multiboot module command lines do not "
                       "fit in %d bytes", MB_AREA_SIZE);
            goto out;
        }
        if (!x86_boot_write(cfg, "Multiboot module", mod_addr, f->data, size,
                            errp)) {
            error_prepend(errp, "-initrd %s: ", f->name);
            goto out;
        }
        boot_st32(m, mod_addr);
        boot_st32(m + 4, mod_addr + size);
        boot_st32(m + 8, a->base + off);
        mod_addr = ALIGN_UP(mod_addr + size, 4096);
    }

    mmap_off = mb_alloc(a, (size_t)cfg->nr_e820 * MB_MMAP_ENTRY);
    cmdline = cfg->cmdline && *cfg->cmdline
              ? xasprintf("%s %s", name, cfg->cmdline) : xstrdup(name);
    off = mmap_off < 0 ? -1 : mb_add_string(a, cmdline);
    free(cmdline);
    if (off < 0) {
        error_setg(errp, "-kernel %s: Multiboot command line and memory map "
                   "do not fit in %d bytes", name, MB_AREA_SIZE);
        goto out;
    }
    boot_st32(a->buf + MBI_CMDLINE, a->base + off);
    for (unsigned i = 0; i < cfg->nr_e820; i++) {
        uint8_t *e = a->buf + mmap_off + i * MB_MMAP_ENTRY;
        boot_st32(e, MB_MMAP_ENTRY - 4);    /* size excludes itself */
        boot_st64(e + 4, cfg->e820[i].addr);
        boot_st64(e + 12, cfg->e820[i].size);
        boot_st32(e + 20, cfg->e820[i].type);
    }
    off = mb_add_string(a, "osprey");
    if (off < 0) {
        error_setg(errp, "-kernel %s: Multiboot information does not fit in "
                   "%d bytes", name, MB_AREA_SIZE);
        goto out;
    }
    boot_st32(a->buf + MBI_LOADER_NAME, a->base + off);

    mb_memory_sizes(cfg, &lower, &upper);
    boot_st32(a->buf + MBI_FLAGS, MBI_FLAG_MEM | MBI_FLAG_CMDLINE |
              MBI_FLAG_MODS | MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME);
    boot_st32(a->buf + MBI_MEM_LOWER, lower);
    boot_st32(a->buf + MBI_MEM_UPPER, upper);
    boot_st32(a->buf + MBI_MODS_COUNT, nr_mods);
    boot_st32(a->buf + MBI_MODS_ADDR, scratch + MB_MODS_OFFSET);
    boot_st32(a->buf + MBI_MMAP_LENGTH, cfg->nr_e820 * MB_MMAP_ENTRY);
    boot_st32(a->buf + MBI_MMAP_ADDR, a->base + mmap_off);

    memset(st, 0, sizeof(*st));
    if (!x86_boot_setup_cpu(cfg, X86_BOOT_PROTECTED32, st, errp) ||
        !x86_boot_write(cfg, "Multiboot information", a->base, a->buf, a->used,
                        errp)) {
        error_prepend(errp, "-kernel %s: ", name);
        goto out;
    }
    st->rip = entry;
    st->rax = MULTIBOOT_BOOTLOADER_MAGIC;
    st->rbx = a->base;
    if (info_addr) {
        *info_addr = a->base;
    }
    ok = true;
out:
    free(a);
    return ok;
}
