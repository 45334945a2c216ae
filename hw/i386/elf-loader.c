/*
 * ELF32/ELF64 executables as -kernel: PT_LOAD segments go to their physical
 * addresses (p_paddr), the part of p_memsz past p_filesz is zeroed.
 *
 * Entry: ELF32 (EM_386) in 32-bit protected mode with paging off, as a
 * Multiboot kernel would start; ELF64 (EM_X86_64) directly in 64-bit mode
 * with the loader's identity map of 0..4 GiB.  (QEMU instead boots ELF64
 * kernels through their PVH note in 32-bit mode; a 64-bit entry is simpler
 * for the test kernels Osprey runs and says what the CPU state is.)
 *
 * Every header field is checked against the file size before use.
 */
#include "hw/i386/boot.h"

#define EI_NIDENT 16
#define ELFCLASS32 1
#define ELFCLASS64 2
#define ELFDATA2LSB 1
#define ET_EXEC 2
#define EM_386 3
#define EM_X86_64 62
#define PT_LOAD 1
#define ELF_MAX_PHNUM 256

typedef struct ElfSegment {
    uint64_t offset, vaddr, paddr, filesz, memsz;
} ElfSegment;

/* Read program header i (already bounds-checked by the caller). */
static void elf_read_phdr(const uint8_t *ph, bool is64, uint32_t *type,
                          ElfSegment *seg)
{
    *type = boot_ld32(ph);
    if (is64) {
        seg->offset = boot_ld64(ph + 8);
        seg->vaddr = boot_ld64(ph + 16);
        seg->paddr = boot_ld64(ph + 24);
        seg->filesz = boot_ld64(ph + 32);
        seg->memsz = boot_ld64(ph + 40);
    } else {
        seg->offset = boot_ld32(ph + 4);
        seg->vaddr = boot_ld32(ph + 8);
        seg->paddr = boot_ld32(ph + 12);
        seg->filesz = boot_ld32(ph + 16);
        seg->memsz = boot_ld32(ph + 20);
    }
}

bool elf_load_segments(const X86BootConfig *cfg, const BootFile *kernel,
                       ElfImageInfo *info, Error **errp)
{
    const uint8_t *d = kernel->data;
    const char *name = kernel->name;
    ElfSegment *segs = NULL;
    unsigned nr_segs = 0;
    uint64_t entry, phoff, scratch = x86_boot_scratch(cfg);
    unsigned phentsize, phnum, machine;
    bool is64, entry_found = false, ok = false;

    memset(info, 0, sizeof(*info));
    if (kernel->size < EI_NIDENT || memcmp(d, "\177ELF", 4)) {
        error_setg(errp, "-kernel %s: not an ELF file", name);
        return false;
    }
    if (d[4] != ELFCLASS32 && d[4] != ELFCLASS64) {
        error_setg(errp, "-kernel %s: unknown ELF class %u", name, d[4]);
        return false;
    }
    is64 = d[4] == ELFCLASS64;
    if (d[5] != ELFDATA2LSB) {
        error_setg(errp, "-kernel %s: ELF file is not little-endian", name);
        return false;
    }
    if (kernel->size < (is64 ? 64u : 52u)) {
        error_setg(errp, "-kernel %s: truncated ELF header (%zu bytes)", name,
                   kernel->size);
        return false;
    }
    if (boot_ld16(d + 16) != ET_EXEC) {
        error_setg(errp, "-kernel %s: ELF type %u is not an executable "
                   "(ET_EXEC)", name, boot_ld16(d + 16));
        return false;
    }
    machine = boot_ld16(d + 18);
    if (machine != (is64 ? EM_X86_64 : EM_386)) {
        error_setg(errp, "-kernel %s: ELF%d machine %u is not %s", name,
                   is64 ? 64 : 32, machine, is64 ? "x86-64" : "i386");
        return false;
    }
    entry = is64 ? boot_ld64(d + 24) : boot_ld32(d + 24);
    phoff = is64 ? boot_ld64(d + 32) : boot_ld32(d + 28);
    phentsize = boot_ld16(d + (is64 ? 54 : 42));
    phnum = boot_ld16(d + (is64 ? 56 : 44));
    if (phentsize != (is64 ? 56u : 32u)) {
        error_setg(errp, "-kernel %s: bad ELF program header size %u", name,
                   phentsize);
        return false;
    }
    if (phnum == 0 || phnum > ELF_MAX_PHNUM) {
        error_setg(errp, "-kernel %s: %u ELF program headers (1..%d "
                   "supported)", name, phnum, ELF_MAX_PHNUM);
        return false;
    }
    if (phoff > kernel->size ||
        (uint64_t)phnum * phentsize > kernel->size - phoff) {
        error_setg(errp, "-kernel %s: ELF program headers at 0x%" PRIx64
                   " extend beyond the end of the file (%zu bytes)", name,
                   phoff, kernel->size);
        return false;
    }

    segs = xnew_array(ElfSegment, phnum);
    for (unsigned i = 0; i < phnum; i++) {
        ElfSegment s;
        uint32_t type;

        elf_read_phdr(d + phoff + (uint64_t)i * phentsize, is64, &type, &s);
        if (type != PT_LOAD || s.memsz == 0) {
            continue;
        }
        if (s.filesz > s.memsz) {
            error_setg(errp, "-kernel %s: ELF segment %u: file size 0x%" PRIx64
                       " exceeds memory size 0x%" PRIx64, name, i, s.filesz,
                       s.memsz);
            goto out;
        }
        if (s.offset > kernel->size || s.filesz > kernel->size - s.offset) {
            error_setg(errp, "-kernel %s: ELF segment %u: file range 0x%"
                       PRIx64 "+0x%" PRIx64 " extends beyond the end of the "
                       "file (%zu bytes)", name, i, s.offset, s.filesz,
                       kernel->size);
            goto out;
        }
        if (s.paddr + s.memsz < s.paddr ||
            !x86_boot_is_ram(cfg, s.paddr, s.memsz)) {
            error_setg(errp, "-kernel %s: ELF segment %u at 0x%" PRIx64
                       " (0x%" PRIx64 " bytes) is outside RAM", name, i,
                       s.paddr, s.memsz);
            goto out;
        }
        if (boot_ranges_overlap(s.paddr, s.memsz, scratch,
                                X86_BOOT_SCRATCH_SIZE)) {
            error_setg(errp, "-kernel %s: ELF segment %u at 0x%" PRIx64
                       " overlaps the loader's scratch area 0x%" PRIx64
                       "..0x%" PRIx64, name, i, s.paddr, scratch,
                       scratch + X86_BOOT_SCRATCH_SIZE - 1);
            goto out;
        }
        for (unsigned j = 0; j < nr_segs; j++) {
            if (boot_ranges_overlap(s.paddr, s.memsz, segs[j].paddr,
                                    segs[j].memsz)) {
                error_setg(errp, "-kernel %s: ELF segment %u at 0x%" PRIx64
                           " overlaps the one at 0x%" PRIx64, name, i,
                           s.paddr, segs[j].paddr);
                goto out;
            }
        }
        /* Entry is virtual; paging is off or identity at entry. */
        if (!entry_found && entry >= s.vaddr && entry - s.vaddr < s.memsz) {
            info->entry = entry - s.vaddr + s.paddr;
            entry_found = true;
        }
        segs[nr_segs++] = s;
    }
    if (nr_segs == 0) {
        error_setg(errp, "-kernel %s: ELF file has no loadable segments", name);
        goto out;
    }
    if (!entry_found) {
        error_setg(errp, "-kernel %s: ELF entry point 0x%" PRIx64 " is not "
                   "in a loadable segment", name, entry);
        goto out;
    }

    info->is64 = is64;
    info->low = UINT64_MAX;
    for (unsigned i = 0; i < nr_segs; i++) {
        ElfSegment *s = &segs[i];
        if (!x86_boot_write(cfg, "ELF segment", s->paddr, d + s->offset,
                            s->filesz, errp) ||
            !x86_boot_zero(cfg, "ELF bss", s->paddr + s->filesz,
                           s->memsz - s->filesz, errp)) {
            error_prepend(errp, "-kernel %s: ", name);
            goto out;
        }
        info->low = MIN(info->low, s->paddr);
        info->high = MAX(info->high, s->paddr + s->memsz);
    }
    ok = true;
out:
    free(segs);
    return ok;
}

bool x86_load_elf(const X86BootConfig *cfg, const BootFile *kernel,
                  X86BootState *st, uint64_t *end, Error **errp)
{
    ElfImageInfo info;

    if (!elf_load_segments(cfg, kernel, &info, errp)) {
        return false;
    }
    if (info.is64 && info.entry >= 4 * GiB) {
        error_setg(errp, "-kernel %s: ELF entry point 0x%" PRIx64 " is above "
                   "the 4 GiB identity map", kernel->name, info.entry);
        return false;
    }
    memset(st, 0, sizeof(*st));
    if (!x86_boot_setup_cpu(cfg, info.is64 ? X86_BOOT_LONG64
                                           : X86_BOOT_PROTECTED32, st, errp)) {
        error_prepend(errp, "-kernel %s: ", kernel->name);
        return false;
    }
    st->rip = info.entry;
    if (end) {
        *end = info.high;
    }
    return true;
}
