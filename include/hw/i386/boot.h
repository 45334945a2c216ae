/*
 * Direct kernel boot for x86 PCs: -kernel, -initrd and -append.
 *
 * The loaders know nothing about the machine, the memory API or the CPU.
 * They take the kernel file's bytes, write guest RAM through a callback
 * (GuestMemoryOps), are told where RAM is by the E820 map the machine will
 * report, and describe the CPU state the guest must start in
 * (X86BootState); the machine applies that state to CPU 0.
 *
 *   x86_boot_load()      reads the files and picks the loader:
 *     bzImage  (Linux boot protocol >= 2.06, "HdrS" at 0x202)
 *                        -> 64-bit entry, boot_params, identity page tables
 *     Multiboot v1 (0x1BADB002 in the first 8 KiB)
 *                        -> 32-bit protected mode, EAX=0x2BADB002, EBX=info
 *     ELF32 / ELF64        (PT_LOAD segments at p_paddr)
 *                        -> 32-bit protected mode / 64-bit long mode
 *
 * Every loader bounds-checks what it parses; malformed input gives an error
 * "-kernel FILE: reason" and leaves guest RAM in an unspecified state (the
 * machine is not started after a load error).
 *
 * Scratch region: the loaders that build their own CPU environment (page
 * tables, GDT, boot_params, Multiboot information) put it in
 * [scratch_addr, scratch_addr + X86_BOOT_SCRATCH_SIZE), which must be RAM:
 *   +0x0000 GDT              +0x1000 PML4        +0x2000 PDPT
 *   +0x3000..+0x6fff  four page directories (2 MiB pages, 0..4 GiB)
 *   +0x7000 boot_params / Multiboot info    +0x8000.. command lines, mmap
 */
#ifndef HW_I386_BOOT_H
#define HW_I386_BOOT_H

#include "util/osdep.h"
#include "util/error.h"

/* Guest RAM as the loaders see it. */
typedef struct GuestMemoryOps {
    /*
     * Copy len bytes to guest-physical address gpa.  Returns false when the
     * range is not (entirely) RAM; the loader then fails with an error.
     */
    bool (*write)(void *opaque, uint64_t gpa, const void *buf, size_t len);
    void *opaque;
} GuestMemoryOps;

/* E820 memory map entry, as the BIOS int 15h/E820 and boot_params carry it. */
typedef struct E820Entry {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} E820Entry;

enum {
    E820_RAM = 1,
    E820_RESERVED = 2,
    E820_ACPI = 3,
    E820_NVS = 4,
    E820_UNUSABLE = 5,
};

#define X86_BOOT_SCRATCH_SIZE 0x10000
#define X86_BOOT_DEFAULT_SCRATCH 0x80000      /* 0x80000..0x8ffff */
#define X86_BOOT_DEFAULT_REAL_MODE_BASE 0x90000

/* Selectors of the GDT the loaders write (as the Linux boot protocol uses). */
#define X86_BOOT_CS 0x10
#define X86_BOOT_DS 0x18

typedef struct X86BootConfig {
    const GuestMemoryOps *mem;
    const E820Entry *e820;          /* RAM = the E820_RAM entries */
    unsigned nr_e820;
    const char *cmdline;            /* -append; NULL means "" */
    uint64_t acpi_rsdp_addr;        /* boot_params.acpi_rsdp_addr, 0: unset */
    uint64_t scratch_addr;          /* 0: X86_BOOT_DEFAULT_SCRATCH */
    uint64_t real_mode_base;        /* 0: X86_BOOT_DEFAULT_REAL_MODE_BASE */
} X86BootConfig;

/* A file's bytes; name is used in error messages. */
typedef struct BootFile {
    const char *name;
    const uint8_t *data;
    size_t size;
} BootFile;

typedef enum X86BootMode {
    X86_BOOT_REAL,          /* CR0.PE=0: CS:IP, as a BIOS would jump */
    X86_BOOT_PROTECTED32,   /* CR0.PE=1, paging off, flat 4 GiB segments */
    X86_BOOT_LONG64,        /* CR0.PE|PG, CR4.PAE, EFER.LME|LMA, 64-bit CS */
} X86BootMode;

/*
 * A segment register's hidden part.  flags has the layout of a descriptor's
 * high 32-bit word (type at bit 8, S 12, DPL 13, P 15, AVL 20, L 21, D/B 22,
 * G 23), as QEMU's SegmentCache keeps it.  limit is the expanded byte limit.
 */
typedef struct X86BootSegment {
    uint16_t selector;
    uint64_t base;
    uint32_t limit;
    uint32_t flags;
} X86BootSegment;

#define X86_DESC_TYPE_SHIFT 8
#define X86_DESC_S   (1u << 12)
#define X86_DESC_P   (1u << 15)
#define X86_DESC_L   (1u << 21)
#define X86_DESC_B   (1u << 22)
#define X86_DESC_G   (1u << 23)

#define X86_CR0_PE (1u << 0)
#define X86_CR0_ET (1u << 4)
#define X86_CR0_PG (1u << 31)
#define X86_CR4_PAE (1u << 5)
#define X86_EFER_LME (1u << 8)
#define X86_EFER_LMA (1u << 10)

/* The state CPU 0 starts in; registers not listed are zero. */
typedef struct X86BootState {
    X86BootMode mode;
    uint64_t rip, rsp, rax, rbx, rsi, rflags;
    uint64_t cr0, cr3, cr4, efer;
    uint64_t gdt_base;
    uint16_t gdt_limit;             /* 0 in real mode (GDTR unused) */
    X86BootSegment cs, ds, es, fs, gs, ss;
} X86BootState;

/* What a bzImage's setup header says, in host order. */
typedef struct LinuxSetupHeader {
    uint16_t version;               /* 0x0206 for 2.06 */
    unsigned setup_sects;           /* already mapped 0 -> 4 */
    uint32_t syssize;               /* in 16-byte paragraphs */
    uint8_t loadflags;
    uint16_t xloadflags;
    uint32_t kernel_alignment;
    uint8_t relocatable_kernel;
    uint32_t cmdline_size;          /* without the NUL */
    uint32_t initrd_addr_max;
    uint64_t pref_address;
    uint32_t init_size;
    size_t header_end;              /* file offset just past the header */
    size_t setup_size;              /* (setup_sects + 1) * 512 */
    size_t kernel_size;             /* protected-mode part: file - setup */
} LinuxSetupHeader;

#define LINUX_LOADED_HIGH    0x01
#define LINUX_CAN_USE_HEAP   0x80
#define LINUX_XLF_KERNEL_64  0x0001
#define LINUX_XLF_CAN_BE_LOADED_ABOVE_4G 0x0002

/* boot_params ("zero page") offsets the loader fills; see Linux's boot.rst. */
#define BP_ACPI_RSDP_ADDR    0x070
#define BP_EXT_RAMDISK_IMAGE 0x0c0
#define BP_EXT_RAMDISK_SIZE  0x0c4
#define BP_EXT_CMD_LINE_PTR  0x0c8
#define BP_E820_ENTRIES      0x1e8
#define BP_SETUP_HEADER      0x1f1
#define BP_TYPE_OF_LOADER    0x210
#define BP_LOADFLAGS         0x211
#define BP_CODE32_START      0x214
#define BP_RAMDISK_IMAGE     0x218
#define BP_RAMDISK_SIZE      0x21c
#define BP_HEAP_END_PTR      0x224
#define BP_EXT_LOADER_VER    0x226
#define BP_EXT_LOADER_TYPE   0x227
#define BP_CMD_LINE_PTR      0x228
#define BP_E820_TABLE        0x2d0
#define BP_E820_MAX          128
#define BP_SIZE              0x1000

/* Parse and validate a bzImage's setup header. */
bool linux_parse_header(const BootFile *kernel, LinuxSetupHeader *hdr,
                        Error **errp);

/*
 * Where a Linux load put things; filled by the loaders below (optional
 * for callers: pass NULL).
 */
typedef struct LinuxBootLayout {
    uint64_t kernel_addr, kernel_size;       /* protected-mode kernel */
    uint64_t initrd_addr, initrd_size;       /* size 0: no initrd */
    uint64_t cmdline_addr;
    uint64_t boot_params_addr;               /* 64-bit path only */
    uint64_t setup_addr;                     /* real-mode path only */
} LinuxBootLayout;

/*
 * 64-bit boot protocol: load the protected-mode kernel (at pref_address, or
 * the lowest kernel_alignment-aligned address from 1 MiB if that is not
 * RAM and the kernel is relocatable), the initrd at the highest page below
 * min(initrd_addr_max, 4 GiB) that is RAM, boot_params with the E820 map,
 * the command line, a GDT and identity page tables for 0..4 GiB in the
 * scratch region.  Entry: RIP = kernel + 0x200, RSI = boot_params.
 * initrd may be NULL.
 */
bool x86_load_linux64(const X86BootConfig *cfg, const BootFile *kernel,
                      const BootFile *initrd, X86BootState *st,
                      LinuxBootLayout *layout, Error **errp);

/*
 * The pieces firmware needs to boot Linux through its real-mode entry
 * (QEMU's linuxboot option ROM takes them from fw_cfg): the setup code with
 * its header filled in for the addresses below, the protected-mode kernel,
 * the initrd and the command line, plus the real-mode entry state
 * (CS = base/16 + 0x20, IP = 0, DS = ES = FS = GS = SS = base/16,
 * SP = heap end).  setup is allocated; kernel and initrd point into the
 * files.  Free with linux_fw_blobs_free().
 */
typedef struct LinuxFwBlobs {
    uint8_t *setup;
    size_t setup_size;
    uint64_t setup_addr;
    const uint8_t *kernel;
    size_t kernel_size;
    uint64_t kernel_addr;
    const uint8_t *initrd;
    size_t initrd_size;
    uint64_t initrd_addr;
    char *cmdline;
    size_t cmdline_size;            /* with the NUL */
    uint64_t cmdline_addr;
    X86BootState entry;
} LinuxFwBlobs;

bool linux_prepare_real_mode(const X86BootConfig *cfg, const BootFile *kernel,
                             const BootFile *initrd, LinuxFwBlobs *blobs,
                             Error **errp);
void linux_fw_blobs_free(LinuxFwBlobs *blobs);
/* The same, written straight into guest RAM (no firmware in between). */
bool x86_load_linux_real_mode(const X86BootConfig *cfg,
                              const BootFile *kernel, const BootFile *initrd,
                              X86BootState *st, LinuxBootLayout *layout,
                              Error **errp);

/* Multiboot v1. */
#define MULTIBOOT_HEADER_MAGIC     0x1BADB002
#define MULTIBOOT_BOOTLOADER_MAGIC 0x2BADB002
#define MULTIBOOT_SEARCH           8192
#define MULTIBOOT_INFO_SIZE        120

/* Info structure offsets and flags (Multiboot specification 0.6.96). */
#define MBI_FLAGS        0
#define MBI_MEM_LOWER    4
#define MBI_MEM_UPPER    8
#define MBI_CMDLINE      16
#define MBI_MODS_COUNT   20
#define MBI_MODS_ADDR    24
#define MBI_MMAP_LENGTH  44
#define MBI_MMAP_ADDR    48
#define MBI_LOADER_NAME  64
#define MBI_FLAG_MEM     (1u << 0)
#define MBI_FLAG_CMDLINE (1u << 2)
#define MBI_FLAG_MODS    (1u << 3)
#define MBI_FLAG_MMAP    (1u << 6)
#define MBI_FLAG_LOADER_NAME (1u << 9)

/* Offset of a valid Multiboot header in the first 8 KiB, or -1. */
long multiboot_find_header(const BootFile *kernel);

typedef struct MultibootModule {
    BootFile file;
    const char *cmdline;            /* NULL: the file name */
} MultibootModule;

/*
 * Load a Multiboot v1 kernel, its modules (page aligned after the kernel)
 * and the information structure (in the scratch region; its address is
 * returned in EBX).  32-bit protected mode entry, paging off.
 */
bool x86_load_multiboot(const X86BootConfig *cfg, const BootFile *kernel,
                        const MultibootModule *mods, unsigned nr_mods,
                        X86BootState *st, uint64_t *info_addr, Error **errp);

/*
 * ELF executables: PT_LOAD segments are copied to p_paddr and their bss
 * zeroed.  ELF32 (EM_386) enters in 32-bit protected mode, paging off;
 * ELF64 (EM_X86_64) enters in 64-bit mode with the 0..4 GiB identity map
 * from the scratch region, so e_entry must be below 4 GiB.  *end (if not
 * NULL) receives the highest loaded address + 1.
 */
bool x86_load_elf(const X86BootConfig *cfg, const BootFile *kernel,
                  X86BootState *st, uint64_t *end, Error **errp);

/*
 * The segment loading part of x86_load_elf(), shared with Multiboot.
 * entry is e_entry translated from the virtual to the physical address of
 * the segment that holds it (paging is off or identity at entry).
 */
typedef struct ElfImageInfo {
    bool is64;
    uint64_t entry;
    uint64_t low, high;             /* loaded range [low, high) */
} ElfImageInfo;

bool elf_load_segments(const X86BootConfig *cfg, const BootFile *kernel,
                       ElfImageInfo *info, Error **errp);

/*
 * -kernel/-initrd/-append: read the files and boot whichever format the
 * kernel is (bzImage, Multiboot, ELF).  initrd_spec may be NULL; for
 * Multiboot it is a comma-separated module list, each "file[ cmdline]".
 */
bool x86_boot_load(const X86BootConfig *cfg, const char *kernel_filename,
                   const char *initrd_spec, X86BootState *st, Error **errp);

/* Little-endian access to file and guest-image bytes. */
static inline uint16_t boot_ld16(const uint8_t *p)
{
    return p[0] | (uint16_t)p[1] << 8;
}
static inline uint32_t boot_ld32(const uint8_t *p)
{
    return boot_ld16(p) | (uint32_t)boot_ld16(p + 2) << 16;
}
static inline uint64_t boot_ld64(const uint8_t *p)
{
    return boot_ld32(p) | (uint64_t)boot_ld32(p + 4) << 32;
}
static inline void boot_st16(uint8_t *p, uint16_t v)
{
    p[0] = v;
    p[1] = v >> 8;
}
static inline void boot_st32(uint8_t *p, uint32_t v)
{
    boot_st16(p, v);
    boot_st16(p + 2, v >> 16);
}
static inline void boot_st64(uint8_t *p, uint64_t v)
{
    boot_st32(p, v);
    boot_st32(p + 4, v >> 32);
}

/* True when [a, a + a_size) and [b, b + b_size) share a byte. */
static inline bool boot_ranges_overlap(uint64_t a, uint64_t a_size,
                                       uint64_t b, uint64_t b_size)
{
    return a_size && b_size && a < b + b_size && b < a + a_size;
}

/* Helpers shared by the loaders (hw/i386/x86-boot.c). */
bool x86_boot_read_file(const char *filename, BootFile *file, Error **errp);
void x86_boot_file_free(BootFile *file);
/* True when [addr, addr + size) is entirely E820 RAM (size 0: addr in RAM). */
bool x86_boot_is_ram(const X86BootConfig *cfg, uint64_t addr, uint64_t size);
bool x86_boot_write(const X86BootConfig *cfg, const char *what, uint64_t gpa,
                    const void *buf, size_t len, Error **errp);
bool x86_boot_zero(const X86BootConfig *cfg, const char *what, uint64_t gpa,
                   uint64_t len, Error **errp);
uint64_t x86_boot_scratch(const X86BootConfig *cfg);
/* Write the GDT and (for LONG64) page tables; fill st's mode-dependent part. */
bool x86_boot_setup_cpu(const X86BootConfig *cfg, X86BootMode mode,
                        X86BootState *st, Error **errp);

#endif
