/*
 * Cross-check Osprey's 64-bit Linux loader against a real kernel, using
 * another emulator as the CPU: load KERNEL (+INITRD) with x86_load_linux64()
 * into a host buffer, then write the loaded memory as a Multiboot ELF32 file
 * whose entry is a small trampoline that puts the CPU into exactly the
 * X86BootState the loader returned (GDT, CR3, CR4.PAE, EFER.LME, CR0.PG,
 * CS=0x10, data segments 0x18, RSI) and jumps to its RIP.  Booting that file
 * with `qemu-system-x86_64 -kernel OUT.elf` then exercises our boot_params,
 * E820 table, page tables and placement decisions without Osprey's CPU.
 *
 *   x86-boot-snapshot KERNEL INITRD|- "CMDLINE" RAM_MIB OUT.elf [real]
 *
 * With "real", x86_load_linux_real_mode() does the loading instead and the
 * trampoline copies the setup area (kept above 1 MiB in the file) down to
 * the real-mode base, drops to real mode and jumps to CS = base/16 + 0x20,
 * as firmware would.
 *
 * RAM_MIB is the guest's -m; the E820 map given to the kernel ends 2 MiB
 * short of it so the emulator's own Multiboot information (put after the
 * highest loaded byte) stays in RAM.  SNAPSHOT_HALT=1 makes the 64-bit
 * variant spin at its entry, for inspection with the emulator's monitor.
 * Test tool only: not built by make (scripts/guest-smoke.py builds it).
 */
#include "hw/i386/boot.h"

/*
 * Everything above 1 MiB: QEMU copies a Multiboot ELF as one block from its
 * lowest to its highest address, which must not cover the BIOS area.
 */
#define SCRATCH    0x200000
#define TRAMPOLINE (SCRATCH + X86_BOOT_SCRATCH_SIZE)

typedef struct Ram {
    uint8_t *buf;
    uint64_t size;
} Ram;

static bool ram_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
    Ram *r = opaque;
    if (gpa > r->size || len > r->size - gpa) {
        return false;
    }
    memcpy(r->buf + gpa, buf, len);
    return true;
}

/* 32-bit code: enter long mode as st says, then jump to st->rip. */
static size_t make_trampoline(uint8_t *p, const X86BootState *st)
{
    uint8_t *c = p;
    uint32_t gdtr = TRAMPOLINE + 0x100, code64;

    /* lgdt [gdtr] */
    *c++ = 0x0f; *c++ = 0x01; *c++ = 0x15; boot_st32(c, gdtr); c += 4;
    /* mov eax, cr4; mov cr4, eax */
    *c++ = 0xb8; boot_st32(c, st->cr4); c += 4;
    *c++ = 0x0f; *c++ = 0x22; *c++ = 0xe0;
    *c++ = 0xb8; boot_st32(c, st->cr3); c += 4;
    *c++ = 0x0f; *c++ = 0x22; *c++ = 0xd8;
    /* wrmsr EFER (LMA is set by the CPU when paging turns on) */
    *c++ = 0xb9; boot_st32(c, 0xc0000080); c += 4;
    *c++ = 0xb8; boot_st32(c, st->efer & ~X86_EFER_LMA); c += 4;
    *c++ = 0x31; *c++ = 0xd2;
    *c++ = 0x0f; *c++ = 0x30;
    *c++ = 0xb8; boot_st32(c, st->cr0); c += 4;
    *c++ = 0x0f; *c++ = 0x22; *c++ = 0xc0;
    /* ljmp cs:code64 */
    code64 = TRAMPOLINE + (c - p) + 7;
    *c++ = 0xea; boot_st32(c, code64); c += 4; boot_st16(c, st->cs.selector); c += 2;
    /* 64-bit: data segments, rsi, jump */
    *c++ = 0xb8; boot_st32(c, st->ds.selector); c += 4;
    *c++ = 0x8e; *c++ = 0xd8;   /* ds */
    *c++ = 0x8e; *c++ = 0xc0;   /* es */
    *c++ = 0x8e; *c++ = 0xd0;   /* ss */
    *c++ = 0x8e; *c++ = 0xe0;   /* fs */
    *c++ = 0x8e; *c++ = 0xe8;   /* gs */
    *c++ = 0x48; *c++ = 0xbe; boot_st64(c, st->rsi); c += 8;
    *c++ = 0x48; *c++ = 0xb8; boot_st64(c, st->rip); c += 8;
    *c++ = 0xff; *c++ = 0xe0;
    /* GDTR image */
    boot_st16(p + 0x100, st->gdt_limit);
    boot_st32(p + 0x102, st->gdt_base);
    return 0x200;
}

/* Real-mode variant: staging copy of base..base+REAL_COPY, stub inside it. */
#define REAL_STAGING   0x6000000
#define REAL_TRAMPOLINE (REAL_STAGING + 0x10000)
#define REAL_COPY      0xf100
#define REAL_STUB      0xf000

/*
 * 32-bit code: copy the real-mode area down, then through a 16-bit code
 * segment (based at the stub) clear CR0.PE and far-jump into the stub's
 * real-mode half, which sets the segments as st says and enters the setup.
 */
static void make_real_trampoline(uint8_t *p, uint8_t *stub, uint64_t base,
                                 const X86BootState *st)
{
    uint8_t *c = p;
    uint32_t gdtr = REAL_TRAMPOLINE + 0x100, gdt = REAL_TRAMPOLINE + 0x110;
    uint32_t stub_addr = base + REAL_STUB;
    uint64_t code16 = 0x00009a000000ffffULL |
                      ((uint64_t)(stub_addr & 0xffffff) << 16) |
                      ((uint64_t)(stub_addr >> 24) << 56);
    uint64_t data16 = 0x000092000000ffffULL;
    uint16_t label;

    *c++ = 0xbe; boot_st32(c, REAL_STAGING); c += 4;       /* mov esi */
    *c++ = 0xbf; boot_st32(c, base); c += 4;               /* mov edi */
    *c++ = 0xb9; boot_st32(c, REAL_COPY); c += 4;          /* mov ecx */
    *c++ = 0xfc; *c++ = 0xf3; *c++ = 0xa4;                 /* cld; rep movsb */
    *c++ = 0x0f; *c++ = 0x01; *c++ = 0x15; boot_st32(c, gdtr); c += 4;
    *c++ = 0xea; boot_st32(c, 0); c += 4; boot_st16(c, 0x08); c += 2;
    boot_st16(p + 0x100, 23);
    boot_st32(p + 0x102, gdt);
    boot_st64(p + 0x118, code16);
    boot_st64(p + 0x120, data16);

    /* The stub: 16-bit protected mode first. */
    c = stub;
    *c++ = 0xb8; boot_st16(c, 0x10); c += 2;
    *c++ = 0x8e; *c++ = 0xd8; *c++ = 0x8e; *c++ = 0xc0; *c++ = 0x8e; *c++ = 0xd0;
    *c++ = 0x8e; *c++ = 0xe0; *c++ = 0x8e; *c++ = 0xe8;
    *c++ = 0x0f; *c++ = 0x20; *c++ = 0xc0;                 /* mov eax, cr0 */
    *c++ = 0x24; *c++ = 0xfe;                              /* and al, ~PE */
    *c++ = 0x0f; *c++ = 0x22; *c++ = 0xc0;
    label = (c - stub) + 5;
    *c++ = 0xea; boot_st16(c, label); c += 2; boot_st16(c, stub_addr >> 4); c += 2;
    /* Real mode. */
    *c++ = 0xb8; boot_st16(c, st->ds.selector); c += 2;
    *c++ = 0x8e; *c++ = 0xd8; *c++ = 0x8e; *c++ = 0xc0; *c++ = 0x8e; *c++ = 0xd0;
    *c++ = 0x8e; *c++ = 0xe0; *c++ = 0x8e; *c++ = 0xe8;
    *c++ = 0xbc; boot_st16(c, st->rsp); c += 2;            /* mov sp */
    *c++ = 0xea; boot_st16(c, st->rip); c += 2; boot_st16(c, st->cs.selector);
}

typedef struct Seg {
    uint64_t addr, size;
    const uint8_t *data;
} Seg;

int main(int argc, char **argv)
{
    Ram ram;
    GuestMemoryOps ops = { .write = ram_write, .opaque = &ram };
    E820Entry e820[4];
    X86BootConfig cfg;
    BootFile kernel, initrd = { 0 };
    X86BootState st;
    LinuxBootLayout lay;
    uint8_t tramp[0x200] = { 0 }, mbhdr[12];
    uint64_t ram_mib;
    Seg segs[4];
    unsigned n = 0;
    FILE *out;
    size_t off;

    bool real = argc == 7 && !strcmp(argv[6], "real");
    uint64_t entry = TRAMPOLINE;

    if ((argc != 6 && !real) || parse_uint64(argv[4], &ram_mib) || ram_mib < 64) {
        fprintf(stderr, "usage: %s KERNEL INITRD|- CMDLINE RAM_MIB OUT.elf "
                "[real]\n",
                argv[0]);
        return 2;
    }
    ram.size = ram_mib * MiB;
    ram.buf = xzalloc(ram.size);
    e820[0] = (E820Entry){ 0, 0x9fc00, E820_RAM };
    e820[1] = (E820Entry){ 0x9fc00, 0x400, E820_RESERVED };
    e820[2] = (E820Entry){ 0xf0000, 0x10000, E820_RESERVED };
    e820[3] = (E820Entry){ 1 * MiB, ram.size - 3 * MiB, E820_RAM };
    cfg = (X86BootConfig){ .mem = &ops, .e820 = e820, .nr_e820 = 4,
                           .cmdline = argv[3], .scratch_addr = SCRATCH };

    x86_boot_read_file(argv[1], &kernel, &error_fatal);
    if (strcmp(argv[2], "-")) {
        x86_boot_read_file(argv[2], &initrd, &error_fatal);
    }
    if (real) {
        uint64_t base = X86_BOOT_DEFAULT_REAL_MODE_BASE;
        x86_load_linux_real_mode(&cfg, &kernel, initrd.data ? &initrd : NULL,
                                 &st, &lay, &error_fatal);
        make_real_trampoline(tramp, ram.buf + base + REAL_STUB, base, &st);
        entry = REAL_TRAMPOLINE;
        segs[n++] = (Seg){ REAL_TRAMPOLINE, sizeof(tramp), tramp };
        segs[n++] = (Seg){ REAL_STAGING, REAL_COPY, ram.buf + base };
    } else {
        x86_load_linux64(&cfg, &kernel, initrd.data ? &initrd : NULL, &st,
                         &lay, &error_fatal);
        make_trampoline(tramp, &st);
        if (getenv("SNAPSHOT_HALT")) {
            tramp[0x1f0] = 0xeb;        /* debugging: spin at the entry */
            tramp[0x1f1] = 0xfe;
            entry = TRAMPOLINE + 0x1f0;
        }
        /* Trampoline first: the Multiboot header must be in the first 8 KiB. */
        segs[n++] = (Seg){ TRAMPOLINE, sizeof(tramp), tramp };
        segs[n++] = (Seg){ SCRATCH, X86_BOOT_SCRATCH_SIZE, ram.buf + SCRATCH };
    }
    segs[n++] = (Seg){ lay.kernel_addr, lay.kernel_size,
                       ram.buf + lay.kernel_addr };
    if (lay.initrd_size) {
        segs[n++] = (Seg){ lay.initrd_addr, lay.initrd_size,
                           ram.buf + lay.initrd_addr };
    }

    out = fopen(argv[5], "wb");
    if (!out) {
        perror(argv[5]);
        return 1;
    }
    uint8_t eh[52] = { 0x7f, 'E', 'L', 'F', 1, 1, 1 };
    boot_st16(eh + 16, 2);
    boot_st16(eh + 18, 3);
    boot_st32(eh + 20, 1);
    boot_st32(eh + 24, entry);
    boot_st32(eh + 28, 52);
    boot_st16(eh + 40, 52);
    boot_st16(eh + 42, 32);
    boot_st16(eh + 44, n);
    fwrite(eh, 1, sizeof(eh), out);
    off = 0x1000;
    for (unsigned i = 0; i < n; i++) {
        uint8_t ph[32] = { 0 };
        boot_st32(ph, 1);
        boot_st32(ph + 4, off);
        boot_st32(ph + 8, segs[i].addr);
        boot_st32(ph + 12, segs[i].addr);
        boot_st32(ph + 16, segs[i].size);
        boot_st32(ph + 20, segs[i].size);
        boot_st32(ph + 24, 7);
        fwrite(ph, 1, sizeof(ph), out);
        off = ALIGN_UP(off + segs[i].size, 4096);
    }
    /* Multiboot header (ELF kind: flags 0) right after the headers. */
    boot_st32(mbhdr, MULTIBOOT_HEADER_MAGIC);
    boot_st32(mbhdr + 4, 0);
    boot_st32(mbhdr + 8, -MULTIBOOT_HEADER_MAGIC);
    fwrite(mbhdr, 1, sizeof(mbhdr), out);
    off = 0x1000;
    for (unsigned i = 0; i < n; i++) {
        fseek(out, off, SEEK_SET);
        fwrite(segs[i].data, 1, segs[i].size, out);
        off = ALIGN_UP(off + segs[i].size, 4096);
    }
    fclose(out);
    fprintf(stderr, "kernel 0x%" PRIx64 " initrd 0x%" PRIx64 "+0x%" PRIx64
            " cs 0x%x rip 0x%" PRIx64 " rsi 0x%" PRIx64 " cr3 0x%" PRIx64 "\n",
            lay.kernel_addr, lay.initrd_addr, lay.initrd_size, st.cs.selector,
            st.rip, st.rsi, st.cr3);
    return 0;
}
