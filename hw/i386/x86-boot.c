/*
 * Direct kernel boot: what the loaders share (file reading, RAM checks,
 * guest writes, the GDT and identity page tables) and x86_boot_load(),
 * which picks the loader for -kernel.
 */
#include "hw/i386/boot.h"
#include <fcntl.h>
#include <sys/stat.h>

/* Larger files are not kernels we can place below 4 GiB anyway. */
#define BOOT_FILE_MAX (4ULL * GiB)

bool x86_boot_read_file(const char *filename, BootFile *file, Error **errp)
{
    struct stat sb;
    uint8_t *data = NULL;
    size_t done = 0;
    int fd;

    memset(file, 0, sizeof(*file));
    fd = open(filename, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        error_setg_errno(errp, errno, "could not open '%s'", filename);
        return false;
    }
    if (fstat(fd, &sb) < 0) {
        error_setg_errno(errp, errno, "could not stat '%s'", filename);
        goto fail;
    }
    if (!S_ISREG(sb.st_mode)) {
        error_setg(errp, "'%s' is not a regular file", filename);
        goto fail;
    }
    if ((uint64_t)sb.st_size > BOOT_FILE_MAX) {
        error_setg(errp, "'%s' is too large (%" PRIu64 " bytes)", filename,
                   (uint64_t)sb.st_size);
        goto fail;
    }
    data = xmalloc(sb.st_size ? sb.st_size : 1);
    while (done < (size_t)sb.st_size) {
        ssize_t n = read(fd, data + done, sb.st_size - done);
        if (n < 0 && errno == EINTR) {
            continue;
        }
        if (n < 0) {
            error_setg_errno(errp, errno, "could not read '%s'", filename);
            goto fail;
        }
        if (n == 0) {
            break;  /* shrank while we read: take what is there */
        }
        done += n;
    }
    close(fd);
    file->name = xstrdup(filename);
    file->data = data;
    file->size = done;
    return true;

fail:
    free(data);
    close(fd);
    return false;
}

void x86_boot_file_free(BootFile *file)
{
    free((void *)file->name);
    free((void *)file->data);
    memset(file, 0, sizeof(*file));
}

bool x86_boot_is_ram(const X86BootConfig *cfg, uint64_t addr, uint64_t size)
{
    uint64_t end;

    if (size == 0) {
        size = 1;
    }
    if (addr + size < addr) {
        return false;
    }
    end = addr + size;
    /* Walk forward through RAM entries; adjacent entries may be split. */
    while (addr < end) {
        bool advanced = false;
        for (unsigned i = 0; i < cfg->nr_e820; i++) {
            const E820Entry *e = &cfg->e820[i];
            if (e->type == E820_RAM && addr >= e->addr &&
                addr - e->addr < e->size) {
                uint64_t e_end = e->addr + e->size;
                addr = e_end < e->addr ? UINT64_MAX : e_end;
                advanced = true;
                break;
            }
        }
        if (!advanced) {
            return false;
        }
    }
    return true;
}

bool x86_boot_write(const X86BootConfig *cfg, const char *what, uint64_t gpa,
                    const void *buf, size_t len, Error **errp)
{
    if (len == 0) {
        return true;
    }
    if (!x86_boot_is_ram(cfg, gpa, len)) {
        error_setg(errp, "%s at 0x%" PRIx64 "..0x%" PRIx64 " is outside RAM",
                   what, gpa, gpa + len - 1);
        return false;
    }
    if (!cfg->mem->write(cfg->mem->opaque, gpa, buf, len)) {
        error_setg(errp, "%s: writing guest memory at 0x%" PRIx64
                   " (%zu bytes) failed", what, gpa, len);
        return false;
    }
    return true;
}

bool x86_boot_zero(const X86BootConfig *cfg, const char *what, uint64_t gpa,
                   uint64_t len, Error **errp)
{
    static const uint8_t zeros[64 * KiB];

    if (len && !x86_boot_is_ram(cfg, gpa, len)) {
        error_setg(errp, "%s at 0x%" PRIx64 "..0x%" PRIx64 " is outside RAM",
                   what, gpa, gpa + len - 1);
        return false;
    }
    while (len) {
        size_t n = MIN(len, sizeof(zeros));
        if (!x86_boot_write(cfg, what, gpa, zeros, n, errp)) {
            return false;
        }
        gpa += n;
        len -= n;
    }
    return true;
}

uint64_t x86_boot_scratch(const X86BootConfig *cfg)
{
    return cfg->scratch_addr ? cfg->scratch_addr : X86_BOOT_DEFAULT_SCRATCH;
}

/* Flat 4 GiB descriptors: base 0, limit 0xfffff pages. */
#define GDT_CODE64 0x00af9b000000ffffULL    /* P, S, exec/read, L, G */
#define GDT_CODE32 0x00cf9b000000ffffULL    /* P, S, exec/read, D, G */
#define GDT_DATA   0x00cf93000000ffffULL    /* P, S, read/write, B, G */

static void segment_from_descriptor(X86BootSegment *seg, uint16_t selector,
                                    uint64_t desc)
{
    uint32_t hi = desc >> 32;
    uint32_t limit = (desc & 0xffff) | (hi & 0x000f0000);

    seg->selector = selector;
    seg->base = ((desc >> 16) & 0xffffff) | ((uint64_t)(hi >> 24) << 24);
    seg->limit = hi & X86_DESC_G ? (limit << 12) | 0xfff : limit;
    seg->flags = hi & 0x00f0ff00;
}

/* Identity map of 0..4 GiB with 2 MiB pages (no need for 1 GiB pages). */
static bool write_identity_page_tables(const X86BootConfig *cfg,
                                       uint64_t base, Error **errp)
{
    uint64_t *pt = xcalloc(6 * 512, sizeof(uint64_t));
    uint64_t *pml4 = pt, *pdpt = pt + 512, *pd = pt + 1024;
    uint8_t *bytes = xmalloc(6 * 4096);
    bool ok;

    pml4[0] = (base + 0x2000) | 0x3;                /* P | RW */
    for (int i = 0; i < 4; i++) {
        pdpt[i] = (base + 0x3000 + i * 0x1000) | 0x3;
    }
    for (int i = 0; i < 4 * 512; i++) {
        pd[i] = ((uint64_t)i << 21) | 0x83;         /* P | RW | PS */
    }
    /* Guest memory is little-endian whatever the host is. */
    for (int i = 0; i < 6 * 512; i++) {
        for (int b = 0; b < 8; b++) {
            bytes[i * 8 + b] = pt[i] >> (8 * b);
        }
    }
    /* The tables start after the GDT page: PML4 at +0x1000. */
    ok = x86_boot_write(cfg, "page tables", base + 0x1000, bytes, 6 * 4096,
                        errp);
    free(bytes);
    free(pt);
    return ok;
}

bool x86_boot_setup_cpu(const X86BootConfig *cfg, X86BootMode mode,
                        X86BootState *st, Error **errp)
{
    uint64_t base = x86_boot_scratch(cfg);
    uint64_t gdt[4] = { 0, 0, mode == X86_BOOT_LONG64 ? GDT_CODE64 : GDT_CODE32,
                        GDT_DATA };
    uint8_t bytes[sizeof(gdt)];

    if (base & 0xfff) {
        error_setg(errp, "boot scratch area 0x%" PRIx64 " is not page aligned",
                   base);
        return false;
    }
    if (!x86_boot_is_ram(cfg, base, X86_BOOT_SCRATCH_SIZE)) {
        error_setg(errp, "boot scratch area 0x%" PRIx64 "..0x%" PRIx64
                   " is not RAM", base, base + X86_BOOT_SCRATCH_SIZE - 1);
        return false;
    }
    for (size_t i = 0; i < sizeof(bytes); i++) {
        bytes[i] = gdt[i / 8] >> (8 * (i % 8));
    }
    if (!x86_boot_write(cfg, "GDT", base, bytes, sizeof(bytes), errp)) {
        return false;
    }
    st->mode = mode;
    st->gdt_base = base;
    st->gdt_limit = sizeof(gdt) - 1;
    st->rflags = 0x2;                   /* interrupts off */
    st->cr0 = X86_CR0_PE | X86_CR0_ET;
    segment_from_descriptor(&st->cs, X86_BOOT_CS, gdt[2]);
    segment_from_descriptor(&st->ds, X86_BOOT_DS, gdt[3]);
    st->es = st->fs = st->gs = st->ss = st->ds;
    if (mode == X86_BOOT_LONG64) {
        if (!write_identity_page_tables(cfg, base, errp)) {
            return false;
        }
        st->cr0 |= X86_CR0_PG;
        st->cr3 = base + 0x1000;
        st->cr4 = X86_CR4_PAE;
        st->efer = X86_EFER_LME | X86_EFER_LMA;
    }
    return true;
}

/*
 * Split a -initrd list for Multiboot: "a.bin arg,b.bin" -> modules.  A ",,"
 * stands for a literal comma, as in QEMU.
 */
static char **split_module_list(const char *spec, unsigned *count)
{
    char **items = NULL;
    unsigned n = 0;
    StrBuf cur = { 0 };

    strbuf_append(&cur, "");
    for (const char *p = spec;; p++) {
        if (*p == ',' && p[1] == ',') {
            strbuf_putc(&cur, ',');
            p++;
            continue;
        }
        if (*p == ',' || *p == '\0') {
            items = xrealloc(items, (n + 1) * sizeof(*items));
            items[n++] = strbuf_steal(&cur);
            strbuf_append(&cur, "");
            if (*p == '\0') {
                break;
            }
            continue;
        }
        strbuf_putc(&cur, *p);
    }
    strbuf_free(&cur);
    *count = n;
    return items;
}

static bool boot_multiboot(const X86BootConfig *cfg, const BootFile *kernel,
                           const char *initrd_spec, X86BootState *st,
                           Error **errp)
{
    char **items = NULL;
    unsigned n = 0, loaded = 0;
    MultibootModule *mods = NULL;
    uint64_t info;
    bool ok = false;

    if (initrd_spec && *initrd_spec) {
        items = split_module_list(initrd_spec, &n);
    }
    mods = xnew_array(MultibootModule, n ? n : 1);
    for (; loaded < n; loaded++) {
        char *file = items[loaded];
        char *space = strchr(file, ' ');
        if (space) {
            *space = '\0';
        }
        if (!*file) {
            error_setg(errp, "-initrd: empty module name");
            goto out;
        }
        if (!x86_boot_read_file(file, &mods[loaded].file, errp)) {
            error_prepend(errp, "-initrd: ");
            goto out;
        }
        /* The module's command line starts with its name, as in GRUB. */
        if (space) {
            *space = ' ';
        }
        mods[loaded].cmdline = file;
    }
    ok = x86_load_multiboot(cfg, kernel, mods, n, st, &info, errp);
out:
    for (unsigned i = 0; i < loaded; i++) {
        x86_boot_file_free(&mods[i].file);
    }
    for (unsigned i = 0; i < n; i++) {
        free(items[i]);
    }
    free(items);
    free(mods);
    return ok;
}

bool x86_boot_load(const X86BootConfig *cfg, const char *kernel_filename,
                   const char *initrd_spec, X86BootState *st, Error **errp)
{
    BootFile kernel, initrd = { 0 };
    bool ok = false;

    memset(st, 0, sizeof(*st));
    if (!x86_boot_read_file(kernel_filename, &kernel, errp)) {
        error_prepend(errp, "-kernel: ");
        return false;
    }

    if (kernel.size >= 0x206 && !memcmp(kernel.data + 0x202, "HdrS", 4)) {
        if (initrd_spec && !x86_boot_read_file(initrd_spec, &initrd, errp)) {
            error_prepend(errp, "-initrd: ");
            goto out;
        }
        ok = x86_load_linux64(cfg, &kernel, initrd_spec ? &initrd : NULL, st,
                              NULL, errp);
    } else if (multiboot_find_header(&kernel) >= 0) {
        ok = boot_multiboot(cfg, &kernel, initrd_spec, st, errp);
    } else if (kernel.size >= 4 && !memcmp(kernel.data, "\177ELF", 4)) {
        if (initrd_spec) {
            error_setg(errp, "-kernel %s: -initrd needs a Linux or Multiboot "
                       "kernel, this is a plain ELF executable", kernel.name);
            goto out;
        }
        ok = x86_load_elf(cfg, &kernel, st, NULL, errp);
    } else {
        error_setg(errp, "-kernel %s: not a bzImage (no 'HdrS' signature), "
                   "Multiboot or ELF kernel", kernel.name);
    }
out:
    x86_boot_file_free(&initrd);
    x86_boot_file_free(&kernel);
    return ok;
}
