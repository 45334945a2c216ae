/*
 * Unit tests for the direct kernel boot loaders (hw/i386/x86-boot.c,
 * linux-boot.c, multiboot.c, elf-loader.c): images are built in memory,
 * guest RAM is a host buffer behind GuestMemoryOps.
 *
 * OSPREY_GUEST_KERNEL=path (and optionally OSPREY_GUEST_INITRD) also loads a
 * real bzImage; without it test_real_guest_kernel is left out of the run
 * (cmocka reports skips in TAP as "not ok ... # SKIP", which tests/check.sh
 * counts as failures).
 */
#include "test.h"
#include "hw/i386/boot.h"

#define RAM_SIZE (32 * MiB)
#define RAM_FILL 0xcc

typedef struct FakeRam {
    uint8_t *ram;
    uint64_t size;
    unsigned writes;
} FakeRam;

static bool fake_write(void *opaque, uint64_t gpa, const void *buf, size_t len)
{
    FakeRam *r = opaque;

    if (gpa > r->size || len > r->size - gpa) {
        return false;
    }
    memcpy(r->ram + gpa, buf, len);
    r->writes++;
    return true;
}

/* A PC-like map: 639 KiB low RAM, the BIOS hole, RAM from 1 MiB. */
typedef struct Fixture {
    FakeRam ram;
    GuestMemoryOps ops;
    E820Entry e820[4];
    X86BootConfig cfg;
} Fixture;

static Fixture *fixture_new(uint64_t ram_size)
{
    Fixture *f = xnew(Fixture);

    f->ram.size = ram_size;
    f->ram.ram = xmalloc(ram_size);
    memset(f->ram.ram, RAM_FILL, ram_size);
    f->ops = (GuestMemoryOps){ .write = fake_write, .opaque = &f->ram };
    f->e820[0] = (E820Entry){ 0, 0x9fc00, E820_RAM };
    f->e820[1] = (E820Entry){ 0x9fc00, 0x400, E820_RESERVED };
    f->e820[2] = (E820Entry){ 0xf0000, 0x10000, E820_RESERVED };
    f->e820[3] = (E820Entry){ 1 * MiB, ram_size - 1 * MiB, E820_RAM };
    f->cfg = (X86BootConfig){
        .mem = &f->ops, .e820 = f->e820, .nr_e820 = 4,
        .cmdline = "console=ttyS0 quiet",
    };
    return f;
}

static int setup(void **state)
{
    *state = fixture_new(RAM_SIZE);
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    free(f->ram.ram);
    free(f);
    return 0;
}

static uint32_t ram32(Fixture *f, uint64_t gpa)
{
    assert_true(gpa + 4 <= f->ram.size);
    return boot_ld32(f->ram.ram + gpa);
}

static uint64_t ram64(Fixture *f, uint64_t gpa)
{
    assert_true(gpa + 8 <= f->ram.size);
    return boot_ld64(f->ram.ram + gpa);
}

static const char *ram_str(Fixture *f, uint64_t gpa)
{
    assert_true(gpa < f->ram.size);
    assert_non_null(memchr(f->ram.ram + gpa, 0, f->ram.size - gpa));
    return (const char *)f->ram.ram + gpa;
}

static bool ram_is(Fixture *f, uint64_t gpa, uint8_t byte, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (f->ram.ram[gpa + i] != byte) {
            return false;
        }
    }
    return true;
}

/* Check an error's message and free it. */
#define assert_error(err, msg) do {                              \
        assert_non_null(err);                                    \
        assert_string_equal(error_get_pretty(err), (msg));       \
        error_free(err);                                         \
        (err) = NULL;                                            \
    } while (0)

/* ---- synthetic bzImage ---- */

#define BZ_SETUP_SECTS 4
#define BZ_KERNEL_SIZE 8192
#define BZ_PREF 0x1000000
#define BZ_INIT_SIZE 0x100000

typedef struct BzImage {
    uint8_t *data;
    size_t size;
    BootFile file;
} BzImage;

static void bz_init(BzImage *bz)
{
    size_t setup = (BZ_SETUP_SECTS + 1) * 512;
    uint8_t *d;

    bz->size = setup + BZ_KERNEL_SIZE;
    d = bz->data = xzalloc(bz->size);
    d[0x1f1] = BZ_SETUP_SECTS;
    boot_st32(d + 0x1f4, BZ_KERNEL_SIZE / 16);         /* syssize */
    boot_st16(d + 0x1fe, 0xaa55);
    d[0x200] = 0xeb;                                    /* jmp short */
    d[0x201] = 0x6a;                                    /* header ends 0x26c */
    memcpy(d + 0x202, "HdrS", 4);
    boot_st16(d + 0x206, 0x020f);
    d[0x211] = LINUX_LOADED_HIGH;
    boot_st32(d + 0x214, 0x100000);
    boot_st32(d + 0x22c, 0x7fffffff);                   /* initrd_addr_max */
    boot_st32(d + 0x230, 0x200000);                     /* kernel_alignment */
    d[0x234] = 1;                                       /* relocatable */
    boot_st16(d + 0x236, LINUX_XLF_KERNEL_64 | LINUX_XLF_CAN_BE_LOADED_ABOVE_4G);
    boot_st32(d + 0x238, 2047);                         /* cmdline_size */
    boot_st64(d + 0x258, BZ_PREF);                      /* pref_address */
    boot_st32(d + 0x260, BZ_INIT_SIZE);                 /* init_size */
    for (size_t i = setup; i < bz->size; i++) {
        d[i] = (uint8_t)(i * 7 + 3);
    }
    bz->file = (BootFile){ "test.bzImage", bz->data, bz->size };
}

static void bz_free(BzImage *bz)
{
    free(bz->data);
}

static void test_linux_parse(void **state)
{
    BzImage bz;
    LinuxSetupHeader hdr;

    bz_init(&bz);
    assert_true(linux_parse_header(&bz.file, &hdr, &error_abort));
    assert_int_equal(hdr.version, 0x20f);
    assert_int_equal(hdr.setup_sects, 4);
    assert_int_equal(hdr.setup_size, 5 * 512);
    assert_int_equal(hdr.kernel_size, BZ_KERNEL_SIZE);
    assert_int_equal(hdr.header_end, 0x26c);
    assert_int_equal(hdr.xloadflags, LINUX_XLF_KERNEL_64 |
                     LINUX_XLF_CAN_BE_LOADED_ABOVE_4G);
    assert_int_equal(hdr.kernel_alignment, 0x200000);
    assert_true(hdr.pref_address == BZ_PREF);
    assert_int_equal(hdr.init_size, BZ_INIT_SIZE);
    assert_int_equal(hdr.cmdline_size, 2047);
    assert_int_equal(hdr.initrd_addr_max, 0x7fffffff);

    /* setup_sects 0 means 4 (boot.rst). */
    bz.data[0x1f1] = 0;
    assert_true(linux_parse_header(&bz.file, &hdr, &error_abort));
    assert_int_equal(hdr.setup_sects, 4);
    bz_free(&bz);
}

static void test_linux_parse_errors(void **state)
{
    BzImage bz;
    LinuxSetupHeader hdr;
    Error *err = NULL;
    BootFile f;

    bz_init(&bz);
    f = bz.file;

    memcpy(bz.data + 0x202, "HdrT", 4);
    assert_false(linux_parse_header(&f, &hdr, &err));
    assert_error(err, "-kernel test.bzImage: not a bzImage (no 'HdrS' "
                 "signature)");
    memcpy(bz.data + 0x202, "HdrS", 4);

    f.size = 0x100;     /* too short to hold the signature */
    assert_false(linux_parse_header(&f, &hdr, &err));
    assert_error(err, "-kernel test.bzImage: not a bzImage (no 'HdrS' "
                 "signature)");
    f.size = 0x207;     /* ends inside the version field */
    assert_false(linux_parse_header(&f, &hdr, &err));
    assert_error(err, "-kernel test.bzImage: truncated: file ends inside the "
                 "setup header (519 bytes)");
    f.size = 0x240;     /* ends inside the header */
    assert_false(linux_parse_header(&f, &hdr, &err));
    assert_error(err, "-kernel test.bzImage: truncated: file ends inside the "
                 "setup header (576 bytes)");
    f.size = bz.size;

    boot_st16(bz.data + 0x206, 0x0205);
    assert_false(linux_parse_header(&f, &hdr, &err));
    assert_error(err, "-kernel test.bzImage: boot protocol 2.05 too old, "
                 "need 2.06");
    boot_st16(bz.data + 0x206, 0x020f);

    bz.data[0x1f1] = 60;
    assert_false(linux_parse_header(&f, &hdr, &err));
    assert_error(err, "-kernel test.bzImage: setup code (60 sectors) extends "
                 "beyond the end of the file (10752 bytes)");
    bz.data[0x1f1] = BZ_SETUP_SECTS;

    f.size = bz.size - 100;     /* protected-mode part cut short */
    assert_false(linux_parse_header(&f, &hdr, &err));
    assert_error(err, "-kernel test.bzImage: truncated: the protected-mode "
                 "kernel is 8192 bytes, the file has 8092 after the setup "
                 "code");
    f.size = bz.size;

    bz.data[0x211] = 0;
    assert_false(linux_parse_header(&f, &hdr, &err));
    assert_error(err, "-kernel test.bzImage: not a bzImage (loadflags lack "
                 "LOADED_HIGH): zImage kernels are not supported");
    bz.data[0x211] = LINUX_LOADED_HIGH;

    boot_st32(bz.data + 0x230, 0x300000);
    assert_false(linux_parse_header(&f, &hdr, &err));
    assert_error(err, "-kernel test.bzImage: kernel_alignment 0x300000 is not "
                 "a power of two");
    bz_free(&bz);
}

static void test_linux64_boot_params(void **state)
{
    Fixture *f = *state;
    BzImage bz;
    X86BootState st;
    LinuxBootLayout lay;
    uint8_t initrd_data[3 * 4096 + 5];
    BootFile initrd = { "test.initrd", initrd_data, sizeof(initrd_data) };
    uint64_t bp, pml4, pdpt, pd;

    memset(initrd_data, 0x5a, sizeof(initrd_data));
    bz_init(&bz);
    f->cfg.acpi_rsdp_addr = 0xf5a40;
    assert_true(x86_load_linux64(&f->cfg, &bz.file, &initrd, &st, &lay,
                                 &error_abort));

    /* CPU state for the 64-bit entry (boot.rst "64-bit Boot Protocol"). */
    assert_int_equal(st.mode, X86_BOOT_LONG64);
    assert_true(st.rip == BZ_PREF + 0x200);
    assert_true(st.rsi == X86_BOOT_DEFAULT_SCRATCH + 0x7000);
    assert_true(st.cr0 & X86_CR0_PE);
    assert_true(st.cr0 & X86_CR0_PG);
    assert_true(st.cr4 & X86_CR4_PAE);
    assert_true(st.efer == (X86_EFER_LME | X86_EFER_LMA));
    assert_int_equal(st.rflags, 2);
    assert_int_equal(st.cs.selector, 0x10);
    assert_true(st.cs.flags & X86_DESC_L);
    assert_false(st.cs.flags & X86_DESC_B);
    assert_int_equal(st.ds.selector, 0x18);
    assert_int_equal(st.ss.selector, 0x18);
    assert_int_equal(st.ds.limit, 0xffffffff);
    assert_true(st.gdt_base == X86_BOOT_DEFAULT_SCRATCH);
    assert_int_equal(st.gdt_limit, 31);
    assert_true(ram64(f, st.gdt_base + 0x10) == 0x00af9b000000ffffULL);
    assert_true(ram64(f, st.gdt_base + 0x18) == 0x00cf93000000ffffULL);

    /* Identity map of 0..4 GiB with 2 MiB pages. */
    pml4 = st.cr3;
    assert_true((pml4 & 0xfff) == 0);
    pdpt = ram64(f, pml4) & ~0xfffULL;
    assert_true((ram64(f, pml4) & 3) == 3);
    for (int i = 0; i < 4; i++) {
        pd = ram64(f, pdpt + i * 8) & ~0xfffULL;
        assert_true(ram64(f, pd) == (((uint64_t)i << 30) | 0x83));
        assert_true(ram64(f, pd + 511 * 8) ==
                    ((((uint64_t)i << 30) + 511 * (2 * MiB)) | 0x83));
    }
    assert_true(ram64(f, pdpt + 4 * 8) == 0);   /* nothing above 4 GiB */

    /* boot_params. */
    bp = st.rsi;
    assert_memory_equal(f->ram.ram + bp + 0x202, "HdrS", 4);
    assert_int_equal(f->ram.ram[bp + BP_TYPE_OF_LOADER], 0xff);
    assert_int_equal(f->ram.ram[bp + BP_E820_ENTRIES], 4);
    for (int i = 0; i < 4; i++) {
        uint64_t e = bp + BP_E820_TABLE + i * 20;
        assert_true(ram64(f, e) == f->e820[i].addr);
        assert_true(ram64(f, e + 8) == f->e820[i].size);
        assert_int_equal(ram32(f, e + 16), f->e820[i].type);
    }
    assert_int_equal(ram32(f, bp + BP_CMD_LINE_PTR), lay.cmdline_addr);
    assert_int_equal(ram32(f, bp + BP_EXT_CMD_LINE_PTR), 0);
    assert_string_equal(ram_str(f, ram32(f, bp + BP_CMD_LINE_PTR)),
                        "console=ttyS0 quiet");
    assert_int_equal(ram32(f, bp + BP_CODE32_START), BZ_PREF);
    assert_true(ram64(f, bp + BP_ACPI_RSDP_ADDR) == 0xf5a40);
    /* Nothing of the file beyond the header leaks into boot_params. */
    assert_true(ram_is(f, bp + 0x26c, 0, BP_E820_TABLE - 0x26c));

    /* initrd: highest page-aligned spot in RAM below 4 GiB / initrd_addr_max. */
    assert_int_equal(ram32(f, bp + BP_RAMDISK_SIZE), sizeof(initrd_data));
    assert_int_equal(ram32(f, bp + BP_RAMDISK_IMAGE), lay.initrd_addr);
    assert_int_equal(ram32(f, bp + BP_EXT_RAMDISK_IMAGE), 0);
    assert_true(lay.initrd_addr == ALIGN_DOWN(RAM_SIZE - sizeof(initrd_data),
                                              4096));
    assert_memory_equal(f->ram.ram + lay.initrd_addr, initrd_data,
                        sizeof(initrd_data));

    /* Kernel at pref_address. */
    assert_true(lay.kernel_addr == BZ_PREF);
    assert_memory_equal(f->ram.ram + BZ_PREF, bz.data + 5 * 512, BZ_KERNEL_SIZE);
    bz_free(&bz);
}

static void test_linux64_initrd_limits(void **state)
{
    Fixture *f = *state;
    BzImage bz;
    X86BootState st;
    LinuxBootLayout lay;
    Error *err = NULL;
    static uint8_t big[20 * MiB];
    BootFile initrd = { "test.initrd", big, 3 * MiB + 1 };

    bz_init(&bz);
    /* initrd_addr_max at 16 MiB - 1: below it, and below the kernel. */
    boot_st32(bz.data + 0x22c, 16 * MiB - 1);
    assert_true(x86_load_linux64(&f->cfg, &bz.file, &initrd, &st, &lay,
                                 &error_abort));
    assert_true(lay.initrd_addr + lay.initrd_size <= 16 * MiB);
    assert_true(lay.initrd_addr == ALIGN_DOWN(16 * MiB - initrd.size, 4096));
    assert_true(lay.initrd_addr % 4096 == 0);

    /* Too large for the RAM left below the limit. */
    initrd.size = sizeof(big);
    assert_false(x86_load_linux64(&f->cfg, &bz.file, &initrd, &st, &lay, &err));
    assert_error(err, "-initrd test.initrd: no room for the initrd (20971520 "
                 "bytes) in RAM below 0x1000000");

    /* Command line longer than cmdline_size. */
    boot_st32(bz.data + 0x238, 8);
    assert_false(x86_load_linux64(&f->cfg, &bz.file, NULL, &st, &lay, &err));
    assert_error(err, "-append: the command line is 19 bytes, the kernel "
                 "takes at most 8");
    boot_st32(bz.data + 0x238, 2047);

    /* No 64-bit entry point. */
    boot_st16(bz.data + 0x236, 0);
    assert_false(x86_load_linux64(&f->cfg, &bz.file, NULL, &st, &lay, &err));
    assert_error(err, "-kernel test.bzImage: no 64-bit entry point (boot "
                 "protocol 2.15, xloadflags 0x0 lack XLF_KERNEL_64)");
    bz_free(&bz);
}

static void test_linux64_kernel_placement(void **state)
{
    Fixture *f = fixture_new(12 * MiB);     /* pref_address 16 MiB not RAM */
    BzImage bz;
    X86BootState st;
    LinuxBootLayout lay;
    Error *err = NULL;

    bz_init(&bz);
    assert_true(x86_load_linux64(&f->cfg, &bz.file, NULL, &st, &lay,
                                 &error_abort));
    assert_true(lay.kernel_addr == 2 * MiB);    /* 1 MiB aligned up to 2 MiB */
    assert_true(st.rip == 2 * MiB + 0x200);

    bz.data[0x234] = 0;                          /* not relocatable */
    assert_false(x86_load_linux64(&f->cfg, &bz.file, NULL, &st, &lay, &err));
    assert_error(err, "-kernel test.bzImage: no room for the kernel: it needs "
                 "0x100000 bytes of RAM at 0x1000000");
    bz_free(&bz);
    teardown((void **)&f);
}

static void test_linux_real_mode(void **state)
{
    Fixture *f = *state;
    BzImage bz;
    LinuxFwBlobs b;
    X86BootState st;
    LinuxBootLayout lay;
    uint8_t initrd_data[100];
    BootFile initrd = { "test.initrd", initrd_data, sizeof(initrd_data) };

    memset(initrd_data, 0x11, sizeof(initrd_data));
    bz_init(&bz);
    assert_true(linux_prepare_real_mode(&f->cfg, &bz.file, &initrd, &b,
                                        &error_abort));
    assert_true(b.setup_addr == 0x90000);
    assert_int_equal(b.setup_size, 5 * 512);
    assert_int_equal(boot_ld16(b.setup + BP_HEAP_END_PTR), 0xde00);
    assert_true(b.setup[BP_LOADFLAGS] & LINUX_CAN_USE_HEAP);
    assert_int_equal(b.setup[BP_TYPE_OF_LOADER], 0xff);
    assert_int_equal(boot_ld32(b.setup + BP_CMD_LINE_PTR), 0x9e000);
    assert_int_equal(boot_ld32(b.setup + BP_RAMDISK_IMAGE), b.initrd_addr);
    assert_int_equal(boot_ld32(b.setup + BP_RAMDISK_SIZE), 100);
    assert_true(b.kernel_addr == 0x100000);
    assert_int_equal(b.kernel_size, BZ_KERNEL_SIZE);
    assert_string_equal(b.cmdline, "console=ttyS0 quiet");
    assert_int_equal(b.entry.mode, X86_BOOT_REAL);
    assert_int_equal(b.entry.cs.selector, 0x9020);
    assert_true(b.entry.cs.base == 0x90200);
    assert_true(b.entry.rip == 0);
    assert_true(b.entry.rsp == 0xe000);
    assert_int_equal(b.entry.ss.selector, 0x9000);
    assert_int_equal(b.entry.ds.selector, 0x9000);
    assert_false(b.entry.cr0 & X86_CR0_PE);
    linux_fw_blobs_free(&b);

    assert_true(x86_load_linux_real_mode(&f->cfg, &bz.file, &initrd, &st, &lay,
                                         &error_abort));
    assert_memory_equal(f->ram.ram + 0x90202, "HdrS", 4);
    assert_int_equal(boot_ld16(f->ram.ram + 0x90000 + BP_HEAP_END_PTR), 0xde00);
    assert_string_equal(ram_str(f, 0x9e000), "console=ttyS0 quiet");
    assert_memory_equal(f->ram.ram + 0x100000, bz.data + 5 * 512,
                        BZ_KERNEL_SIZE);
    assert_memory_equal(f->ram.ram + lay.initrd_addr, initrd_data, 100);
    assert_int_equal(st.cs.selector, 0x9020);
    bz_free(&bz);
}

/* ---- Multiboot ---- */

#define MB_HDR_OFF 0x1000
#define MB_LOAD 0x200000
#define MB_FILE_SIZE 0x3000
#define MB_BSS_END (MB_LOAD + 0x5000)

static uint8_t *mb_image(void)
{
    uint8_t *d = xzalloc(MB_FILE_SIZE);
    uint8_t *h = d + MB_HDR_OFF;
    uint32_t flags = (1u << 16) | (1u << 0) | (1u << 1);

    for (int i = 0; i < MB_FILE_SIZE; i++) {
        d[i] = (uint8_t)(i ^ 0x5c);
    }
    boot_st32(h, MULTIBOOT_HEADER_MAGIC);
    boot_st32(h + 4, flags);
    boot_st32(h + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
    boot_st32(h + 12, MB_LOAD + MB_HDR_OFF);    /* header_addr */
    boot_st32(h + 16, MB_LOAD);                 /* load_addr */
    boot_st32(h + 20, 0);                       /* load_end: whole file */
    boot_st32(h + 24, MB_BSS_END);              /* bss_end */
    boot_st32(h + 28, MB_LOAD + 0x10);          /* entry */
    return d;
}

static void test_multiboot(void **state)
{
    Fixture *f = *state;
    uint8_t *d = mb_image();
    BootFile k = { "test.mb", d, MB_FILE_SIZE };
    uint8_t m1[5000], m2[10];
    MultibootModule mods[2] = {
        { { "mod1.bin", m1, sizeof(m1) }, "mod1.bin root=/x" },
        { { "mod2.bin", m2, sizeof(m2) }, NULL },
    };
    X86BootState st;
    uint64_t info, mods_addr, mmap, m;

    memset(m1, 0x31, sizeof(m1));
    memset(m2, 0x32, sizeof(m2));
    assert_int_equal(multiboot_find_header(&k), MB_HDR_OFF);
    assert_true(x86_load_multiboot(&f->cfg, &k, mods, 2, &st, &info,
                                   &error_abort));

    assert_int_equal(st.mode, X86_BOOT_PROTECTED32);
    assert_true(st.rax == 0x2BADB002);
    assert_true(st.rbx == info);
    assert_true(st.rip == MB_LOAD + 0x10);
    assert_true(st.cr0 & X86_CR0_PE);
    assert_false(st.cr0 & X86_CR0_PG);
    assert_true(st.efer == 0);
    assert_true(st.cs.flags & X86_DESC_B);
    assert_false(st.cs.flags & X86_DESC_L);
    assert_int_equal(st.cs.limit, 0xffffffff);
    assert_true(st.cs.base == 0 && st.ds.base == 0);

    /* Image and zeroed bss. */
    assert_memory_equal(f->ram.ram + MB_LOAD, d, MB_FILE_SIZE);
    assert_true(ram_is(f, MB_LOAD + MB_FILE_SIZE, 0, MB_BSS_END - MB_LOAD -
                       MB_FILE_SIZE));

    /* Information structure. */
    assert_true(info < 1 * MiB);
    assert_int_equal(ram32(f, info + MBI_FLAGS),
                     MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS |
                     MBI_FLAG_MMAP | MBI_FLAG_LOADER_NAME);
    assert_int_equal(ram32(f, info + MBI_MEM_LOWER), 639);
    assert_int_equal(ram32(f, info + MBI_MEM_UPPER), (RAM_SIZE - MiB) / KiB);
    assert_string_equal(ram_str(f, ram32(f, info + MBI_CMDLINE)),
                        "test.mb console=ttyS0 quiet");
    assert_string_equal(ram_str(f, ram32(f, info + MBI_LOADER_NAME)), "osprey");

    assert_int_equal(ram32(f, info + MBI_MODS_COUNT), 2);
    mods_addr = ram32(f, info + MBI_MODS_ADDR);
    m = ram32(f, mods_addr);
    assert_true(m == MB_BSS_END);               /* page aligned after bss */
    assert_int_equal(ram32(f, mods_addr + 4), m + sizeof(m1));
    assert_memory_equal(f->ram.ram + m, m1, sizeof(m1));
    assert_string_equal(ram_str(f, ram32(f, mods_addr + 8)), "mod1.bin root=/x");
    m = ram32(f, mods_addr + 16);
    assert_true(m == ALIGN_UP(MB_BSS_END + sizeof(m1), 4096));
    assert_memory_equal(f->ram.ram + m, m2, sizeof(m2));
    assert_string_equal(ram_str(f, ram32(f, mods_addr + 24)), "mod2.bin");

    assert_int_equal(ram32(f, info + MBI_MMAP_LENGTH), 4 * 24);
    mmap = ram32(f, info + MBI_MMAP_ADDR);
    for (int i = 0; i < 4; i++) {
        assert_int_equal(ram32(f, mmap + i * 24), 20);
        assert_true(ram64(f, mmap + i * 24 + 4) == f->e820[i].addr);
        assert_true(ram64(f, mmap + i * 24 + 12) == f->e820[i].size);
        assert_int_equal(ram32(f, mmap + i * 24 + 20), f->e820[i].type);
    }
    free(d);
}

static void test_multiboot_errors(void **state)
{
    Fixture *f = *state;
    uint8_t *d = mb_image();
    uint8_t *h = d + MB_HDR_OFF;
    BootFile k = { "test.mb", d, MB_FILE_SIZE };
    X86BootState st;
    Error *err = NULL;
    uint32_t flags;

    /* Bad checksum: no header. */
    boot_st32(h + 8, boot_ld32(h + 8) + 1);
    assert_int_equal(multiboot_find_header(&k), -1);
    assert_false(x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, NULL, &err));
    assert_error(err, "-kernel test.mb: no Multiboot header in the first 8 KiB");
    boot_st32(h + 8, boot_ld32(h + 8) - 1);

    /* Header truncated by the end of the file. */
    k.size = MB_HDR_OFF + 8;
    assert_int_equal(multiboot_find_header(&k), -1);
    k.size = MB_HDR_OFF + 20;
    assert_false(x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, NULL, &err));
    assert_error(err, "-kernel test.mb: truncated Multiboot header");
    k.size = MB_FILE_SIZE;

    /* Unsupported required feature bit. */
    flags = (1u << 16) | (1u << 5);
    boot_st32(h + 4, flags);
    boot_st32(h + 8, -(MULTIBOOT_HEADER_MAGIC + flags));
    assert_false(x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, NULL, &err));
    assert_error(err, "-kernel test.mb: Multiboot header requires unsupported "
                 "features (flags 0x10020)");
    flags = 1u << 16;
    boot_st32(h + 4, flags);
    boot_st32(h + 8, -(MULTIBOOT_HEADER_MAGIC + flags));

    /* load_end past the end of the file. */
    boot_st32(h + 20, MB_LOAD + MB_FILE_SIZE + 1);
    assert_false(x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, NULL, &err));
    assert_error(err, "-kernel test.mb: Multiboot image 0x200000..0x203001 "
                 "extends beyond the end of the file (12288 bytes)");
    boot_st32(h + 20, 0);

    /* Image outside RAM. */
    boot_st32(h + 12, 0x40000000 + MB_HDR_OFF);
    boot_st32(h + 16, 0x40000000);
    boot_st32(h + 24, 0);
    boot_st32(h + 28, 0x40000010);
    assert_false(x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, NULL, &err));
    assert_error(err, "-kernel test.mb: Multiboot image 0x40000000..0x40003000 "
                 "is outside RAM");

    /* header_addr inconsistent with the file offset. */
    boot_st32(h + 12, 0x40000000 + MB_HDR_OFF + 4);
    assert_false(x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, NULL, &err));
    assert_error(err, "-kernel test.mb: Multiboot header_addr 0x40001004 and "
                 "load_addr 0x40000000 do not match the header's file offset "
                 "0x1000");

    /* No a.out kludge and not ELF. */
    boot_st32(h + 4, 0);
    boot_st32(h + 8, -MULTIBOOT_HEADER_MAGIC);
    assert_false(x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, NULL, &err));
    assert_error(err, "-kernel test.mb: Multiboot kernel is not ELF and has no "
                 "load addresses (flag 16 clear)");

    /* Header beyond the first 8 KiB is not found. */
    free(d);
    d = xzalloc(16384);
    boot_st32(d + 8192, MULTIBOOT_HEADER_MAGIC);
    boot_st32(d + 8196, 0);
    boot_st32(d + 8200, -MULTIBOOT_HEADER_MAGIC);
    k = (BootFile){ "late.mb", d, 16384 };
    assert_int_equal(multiboot_find_header(&k), -1);
    free(d);
}

/* ---- ELF ---- */

typedef struct ElfSeg {
    uint32_t type;
    uint64_t offset, vaddr, paddr, filesz, memsz;
} ElfSeg;

/* An ELF file: header, program headers, then 0x1000 bytes of payload. */
static uint8_t *make_elf(bool is64, uint64_t entry, const ElfSeg *segs,
                         unsigned n, size_t *size)
{
    size_t ehsize = is64 ? 64 : 52, phsize = is64 ? 56 : 32;
    uint8_t *d;

    *size = 0x1000 + 0x1000;
    d = xzalloc(*size);
    memcpy(d, "\177ELF", 4);
    d[4] = is64 ? 2 : 1;
    d[5] = 1;
    d[6] = 1;
    boot_st16(d + 16, 2);                       /* ET_EXEC */
    boot_st16(d + 18, is64 ? 62 : 3);
    boot_st32(d + 20, 1);
    if (is64) {
        boot_st64(d + 24, entry);
        boot_st64(d + 32, ehsize);              /* phoff */
        boot_st16(d + 52, ehsize);
        boot_st16(d + 54, phsize);
        boot_st16(d + 56, n);
    } else {
        boot_st32(d + 24, entry);
        boot_st32(d + 28, ehsize);
        boot_st16(d + 40, ehsize);
        boot_st16(d + 42, phsize);
        boot_st16(d + 44, n);
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = d + ehsize + i * phsize;
        boot_st32(p, segs[i].type);
        if (is64) {
            boot_st64(p + 8, segs[i].offset);
            boot_st64(p + 16, segs[i].vaddr);
            boot_st64(p + 24, segs[i].paddr);
            boot_st64(p + 32, segs[i].filesz);
            boot_st64(p + 40, segs[i].memsz);
        } else {
            boot_st32(p + 4, segs[i].offset);
            boot_st32(p + 8, segs[i].vaddr);
            boot_st32(p + 12, segs[i].paddr);
            boot_st32(p + 16, segs[i].filesz);
            boot_st32(p + 20, segs[i].memsz);
        }
    }
    for (size_t i = 0x1000; i < *size; i++) {
        d[i] = (uint8_t)(i * 13);
    }
    return d;
}

static void test_elf32(void **state)
{
    Fixture *f = *state;
    ElfSeg segs[] = {
        { 1, 0x1000, 0x200000, 0x200000, 0x800, 0x800 },    /* text */
        { 4, 0, 0, 0, 0, 0 },                               /* PT_NOTE */
        { 1, 0x1800, 0x300000, 0x300000, 0x100, 0x3000 },   /* data + bss */
    };
    size_t size;
    uint8_t *d = make_elf(false, 0x200010, segs, 3, &size);
    BootFile k = { "test.elf", d, size };
    X86BootState st;
    uint64_t end;

    assert_true(x86_load_elf(&f->cfg, &k, &st, &end, &error_abort));
    assert_int_equal(st.mode, X86_BOOT_PROTECTED32);
    assert_true(st.rip == 0x200010);
    assert_false(st.cr0 & X86_CR0_PG);
    assert_int_equal(st.cs.selector, X86_BOOT_CS);
    assert_true(end == 0x303000);
    assert_memory_equal(f->ram.ram + 0x200000, d + 0x1000, 0x800);
    assert_memory_equal(f->ram.ram + 0x300000, d + 0x1800, 0x100);
    assert_true(ram_is(f, 0x300100, 0, 0x3000 - 0x100));
    assert_true(ram_is(f, 0x303000, RAM_FILL, 16));     /* nothing beyond */
    free(d);
}

static void test_elf64(void **state)
{
    Fixture *f = *state;
    ElfSeg segs[] = {
        /* Linked high, loaded low: entry is translated to the paddr. */
        { 1, 0x1000, 0xffffffff80200000ULL, 0x200000, 0x1000, 0x2000 },
    };
    size_t size;
    uint8_t *d = make_elf(true, 0xffffffff80200040ULL, segs, 1, &size);
    BootFile k = { "test64.elf", d, size };
    X86BootState st;

    assert_true(x86_load_elf(&f->cfg, &k, &st, NULL, &error_abort));
    assert_int_equal(st.mode, X86_BOOT_LONG64);
    assert_true(st.rip == 0x200040);
    assert_true(st.cr0 & X86_CR0_PG);
    assert_true(st.efer & X86_EFER_LMA);
    assert_true(st.cs.flags & X86_DESC_L);
    assert_true(st.cr3 == X86_BOOT_DEFAULT_SCRATCH + 0x1000);
    assert_memory_equal(f->ram.ram + 0x200000, d + 0x1000, 0x1000);
    assert_true(ram_is(f, 0x201000, 0, 0x1000));
    free(d);
}

/* Build an ELF32 from segs, expect the load to fail with msg. */
static void expect_elf_error(Fixture *f, bool is64, uint64_t entry,
                             const ElfSeg *segs, unsigned n, size_t size,
                             void (*patch)(uint8_t *), const char *msg)
{
    size_t full;
    uint8_t *d = make_elf(is64, entry, segs, n, &full);
    BootFile k = { "bad.elf", d, size ? size : full };
    X86BootState st;
    Error *err = NULL;

    if (patch) {
        patch(d);
    }
    assert_false(x86_load_elf(&f->cfg, &k, &st, NULL, &err));
    assert_error(err, msg);
    free(d);
}

static void patch_et_dyn(uint8_t *d)
{
    boot_st16(d + 16, 3);
}

static void patch_phoff(uint8_t *d)
{
    boot_st32(d + 28, 0x1ff0);
}

static void patch_machine(uint8_t *d)
{
    boot_st16(d + 18, 40);      /* EM_ARM */
}

static void patch_phentsize(uint8_t *d)
{
    boot_st16(d + 42, 40);
}

static void patch_big_endian(uint8_t *d)
{
    d[5] = 2;
}

static void test_elf_malformed(void **state)
{
    Fixture *f = *state;
    ElfSeg ok[] = { { 1, 0x1000, 0x200000, 0x200000, 0x100, 0x100 } };
    ElfSeg s[2];

    expect_elf_error(f, false, 0x200000, ok, 1, 40, NULL,
                     "-kernel bad.elf: truncated ELF header (40 bytes)");
    expect_elf_error(f, false, 0x200000, ok, 1, 3, NULL,
                     "-kernel bad.elf: not an ELF file");
    expect_elf_error(f, false, 0x200000, ok, 1, 0, patch_et_dyn,
                     "-kernel bad.elf: ELF type 3 is not an executable "
                     "(ET_EXEC)");
    expect_elf_error(f, false, 0x200000, ok, 1, 0, patch_machine,
                     "-kernel bad.elf: ELF32 machine 40 is not i386");
    expect_elf_error(f, false, 0x200000, ok, 1, 0, patch_big_endian,
                     "-kernel bad.elf: ELF file is not little-endian");
    expect_elf_error(f, false, 0x200000, ok, 1, 0, patch_phentsize,
                     "-kernel bad.elf: bad ELF program header size 40");
    expect_elf_error(f, false, 0x200000, ok, 1, 0, patch_phoff,
                     "-kernel bad.elf: ELF program headers at 0x1ff0 extend "
                     "beyond the end of the file (8192 bytes)");
    expect_elf_error(f, false, 0x200000, ok, 0, 0, NULL,
                     "-kernel bad.elf: 0 ELF program headers (1..256 "
                     "supported)");
    /* Segment data beyond the end of the file (file truncated). */
    expect_elf_error(f, false, 0x200000, ok, 1, 0x1080, NULL,
                     "-kernel bad.elf: ELF segment 0: file range 0x1000+0x100 "
                     "extends beyond the end of the file (4224 bytes)");
    /* Bad offset. */
    s[0] = ok[0];
    s[0].offset = 0xffffff00;
    expect_elf_error(f, false, 0x200000, s, 1, 0, NULL,
                     "-kernel bad.elf: ELF segment 0: file range 0xffffff00"
                     "+0x100 extends beyond the end of the file (8192 bytes)");
    s[0] = ok[0];
    s[0].filesz = 0x200;
    expect_elf_error(f, false, 0x200000, s, 1, 0, NULL,
                     "-kernel bad.elf: ELF segment 0: file size 0x200 exceeds "
                     "memory size 0x100");
    /* Outside RAM; huge sizes. */
    s[0] = ok[0];
    s[0].paddr = 0x10000000;
    expect_elf_error(f, false, 0x200000, s, 1, 0, NULL,
                     "-kernel bad.elf: ELF segment 0 at 0x10000000 (0x100 "
                     "bytes) is outside RAM");
    s[0] = ok[0];
    s[0].memsz = 0xfffff000;
    expect_elf_error(f, false, 0x200000, s, 1, 0, NULL,
                     "-kernel bad.elf: ELF segment 0 at 0x200000 (0xfffff000 "
                     "bytes) is outside RAM");
    s[0] = ok[0];
    s[0].memsz = 0xffffffffffff0000ULL;
    expect_elf_error(f, true, 0x200000, s, 1, 0, NULL,
                     "-kernel bad.elf: ELF segment 0 at 0x200000 "
                     "(0xffffffffffff0000 bytes) is outside RAM");
    /* In the low-RAM hole. */
    s[0] = ok[0];
    s[0].paddr = 0x9fc00;
    expect_elf_error(f, false, 0x200000, s, 1, 0, NULL,
                     "-kernel bad.elf: ELF segment 0 at 0x9fc00 (0x100 "
                     "bytes) is outside RAM");
    /* Overlapping segments. */
    s[0] = ok[0];
    s[1] = ok[0];
    s[1].paddr = 0x2000f0;
    s[1].vaddr = 0x2000f0;
    expect_elf_error(f, false, 0x200000, s, 2, 0, NULL,
                     "-kernel bad.elf: ELF segment 1 at 0x2000f0 overlaps the "
                     "one at 0x200000");
    /* Over the loader's scratch area. */
    s[0] = ok[0];
    s[0].paddr = 0x80f00;
    expect_elf_error(f, false, 0x200000, s, 1, 0, NULL,
                     "-kernel bad.elf: ELF segment 0 at 0x80f00 overlaps the "
                     "loader's scratch area 0x80000..0x8ffff");
    /* Entry outside every segment; no loadable segment. */
    expect_elf_error(f, false, 0x400000, ok, 1, 0, NULL,
                     "-kernel bad.elf: ELF entry point 0x400000 is not in a "
                     "loadable segment");
    s[0] = ok[0];
    s[0].type = 4;
    expect_elf_error(f, false, 0x200000, s, 1, 0, NULL,
                     "-kernel bad.elf: ELF file has no loadable segments");
}

/* A Multiboot kernel in ELF32 form (flag 16 clear): segments from the ELF. */
static void test_multiboot_elf(void **state)
{
    Fixture *f = *state;
    ElfSeg segs[] = { { 1, 0x1000, 0x400000, 0x400000, 0x1000, 0x2000 } };
    size_t size;
    uint8_t *d = make_elf(false, 0x400020, segs, 1, &size);
    BootFile k = { "mbelf", d, size };
    X86BootState st;
    uint64_t info;
    Error *err = NULL;

    /* Header inside the first segment's data, at file offset 0x1100. */
    boot_st32(d + 0x1100, MULTIBOOT_HEADER_MAGIC);
    boot_st32(d + 0x1104, 0x2);
    boot_st32(d + 0x1108, -(MULTIBOOT_HEADER_MAGIC + 0x2));
    assert_int_equal(multiboot_find_header(&k), 0x1100);
    assert_true(x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, &info,
                                   &error_abort));
    assert_true(st.rip == 0x400020);
    assert_true(st.rax == MULTIBOOT_BOOTLOADER_MAGIC && st.rbx == info);
    assert_int_equal(ram32(f, info + MBI_MODS_COUNT), 0);
    assert_string_equal(ram_str(f, ram32(f, info + MBI_CMDLINE)),
                        "mbelf console=ttyS0 quiet");
    assert_memory_equal(f->ram.ram + 0x400000, d + 0x1000, 0x1000);
    assert_true(ram_is(f, 0x401000, 0, 0x1000));

    /* Multiboot v1 enters in 32-bit mode: an ELF64 kernel is refused. */
    d[4] = 2;
    assert_false(x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, NULL, &err));
    assert_error(err, "-kernel mbelf: Multiboot v1 kernels must be ELF32");
    free(d);
}

/*
 * Mutated and truncated images never crash the loaders (run this under
 * ASan/UBSan) and never write outside the RAM buffer (fake_write checks).
 */
static void test_fuzz_headers(void **state)
{
    Fixture *f = *state;
    ElfSeg segs[] = { { 1, 0x1000, 0x200000, 0x200000, 0x800, 0x1000 } };
    size_t elf_size;
    uint8_t *elf = make_elf(false, 0x200000, segs, 1, &elf_size);
    uint8_t *mb = mb_image();
    BzImage bz;
    unsigned seed = 12345;

    bz_init(&bz);
    for (int iter = 0; iter < 3000; iter++) {
        const uint8_t *src;
        size_t size;
        uint8_t *d;
        X86BootState st;
        LinuxFwBlobs b;
        Error *err = NULL;
        int kind = iter % 3;

        src = kind == 0 ? bz.data : kind == 1 ? elf : mb;
        size = kind == 0 ? bz.size : kind == 1 ? elf_size : MB_FILE_SIZE;
        d = xmalloc(size);
        memcpy(d, src, size);
        for (int n = 0; n < 4; n++) {
            seed = seed * 1103515245 + 12345;
            /* Bias flips to the headers, where the parsing happens. */
            size_t at = kind == 0 ? 0x1f0 + (seed >> 8) % 0x80
                      : kind == 1 ? (seed >> 8) % 0x80
                                  : MB_HDR_OFF + (seed >> 8) % 32;
            d[at] ^= 1u << ((seed >> 4) & 7);
        }
        seed = seed * 1103515245 + 12345;
        if (seed & 0x10000) {
            size = (seed >> 8) % size;
        }
        BootFile k = { "fuzz", d, size };
        if (x86_load_linux64(&f->cfg, &k, NULL, &st, NULL, &err)) {
            assert_true(st.rip >= 1 * MiB);
        }
        error_free(err);
        err = NULL;
        if (linux_prepare_real_mode(&f->cfg, &k, NULL, &b, &err)) {
            linux_fw_blobs_free(&b);
        }
        error_free(err);
        err = NULL;
        x86_load_elf(&f->cfg, &k, &st, NULL, &err);
        error_free(err);
        err = NULL;
        x86_load_multiboot(&f->cfg, &k, NULL, 0, &st, NULL, &err);
        error_free(err);
        free(d);
    }
    bz_free(&bz);
    free(elf);
    free(mb);
}

static char *write_temp(const char *tag, const void *data, size_t len)
{
    char *path = xasprintf("/tmp/test-x86-boot-%d-%s", (int)getpid(), tag);
    FILE *fp = fopen(path, "wb");

    assert_non_null(fp);
    assert_int_equal(fwrite(data, 1, len, fp), len);
    fclose(fp);
    return path;
}

static void test_boot_load_dispatch(void **state)
{
    Fixture *f = *state;
    BzImage bz;
    uint8_t *mb = mb_image();
    uint8_t junk[600] = "#!/bin/sh\necho not a kernel\n";
    uint8_t mod[64] = "module";
    char *bz_path, *mb_path, *junk_path, *mod_path, *spec, *msg;
    X86BootState st;
    Error *err = NULL;
    uint64_t mods;

    bz_init(&bz);
    bz_path = write_temp("bz", bz.data, bz.size);
    mb_path = write_temp("mb", mb, MB_FILE_SIZE);
    junk_path = write_temp("junk", junk, sizeof(junk));
    mod_path = write_temp("mod", mod, sizeof(mod));

    assert_true(x86_boot_load(&f->cfg, bz_path, NULL, &st, &error_abort));
    assert_int_equal(st.mode, X86_BOOT_LONG64);
    assert_true(st.rip == BZ_PREF + 0x200);

    spec = xasprintf("%s arg1 x,,y,%s", mod_path, mod_path);
    assert_true(x86_boot_load(&f->cfg, mb_path, spec, &st, &error_abort));
    assert_int_equal(st.mode, X86_BOOT_PROTECTED32);
    assert_int_equal(ram32(f, st.rbx + MBI_MODS_COUNT), 2);
    mods = ram32(f, st.rbx + MBI_MODS_ADDR);
    msg = xasprintf("%s arg1 x,y", mod_path);
    assert_string_equal(ram_str(f, ram32(f, mods + 8)), msg);
    assert_string_equal(ram_str(f, ram32(f, mods + 24)), mod_path);
    free(msg);
    free(spec);

    assert_false(x86_boot_load(&f->cfg, junk_path, NULL, &st, &err));
    msg = xasprintf("-kernel %s: not a bzImage (no 'HdrS' signature), "
                    "Multiboot or ELF kernel", junk_path);
    assert_error(err, msg);
    free(msg);

    assert_false(x86_boot_load(&f->cfg, "/nonexistent/vmlinuz", NULL, &st,
                               &err));
    assert_error(err, "-kernel: could not open '/nonexistent/vmlinuz': No such "
                 "file or directory");

    assert_false(x86_boot_load(&f->cfg, bz_path, "/nonexistent/initrd", &st,
                               &err));
    assert_error(err, "-initrd: could not open '/nonexistent/initrd': No such "
                 "file or directory");

    unlink(bz_path);
    unlink(mb_path);
    unlink(junk_path);
    unlink(mod_path);
    free(bz_path);
    free(mb_path);
    free(junk_path);
    free(mod_path);
    free(mb);
    bz_free(&bz);
}

/* The default guest's kernel (scripts/build-guest.sh), when given. */
static void test_real_guest_kernel(void **state)
{
    const char *path = getenv("OSPREY_GUEST_KERNEL");
    const char *initrd_path = getenv("OSPREY_GUEST_INITRD");
    BootFile kernel, initrd = { 0 };
    LinuxSetupHeader hdr;
    LinuxBootLayout lay;
    X86BootState st;
    Fixture *f;

    assert_true(x86_boot_read_file(path, &kernel, &error_abort));
    assert_true(linux_parse_header(&kernel, &hdr, &error_abort));
    assert_true(hdr.version >= 0x20c);
    assert_true(hdr.xloadflags & LINUX_XLF_KERNEL_64);
    assert_true(hdr.loadflags & LINUX_LOADED_HIGH);
    assert_true(hdr.relocatable_kernel);
    assert_true(hdr.init_size >= hdr.kernel_size);
    assert_true(hdr.cmdline_size >= 255);
    printf("# %s: protocol %u.%02u, setup_sects %u, pref_address 0x%" PRIx64
           ", init_size 0x%x, kernel_alignment 0x%x, xloadflags 0x%x\n",
           path, hdr.version >> 8, hdr.version & 0xff, hdr.setup_sects,
           hdr.pref_address, hdr.init_size, hdr.kernel_alignment,
           hdr.xloadflags);

    f = fixture_new(256 * MiB);
    if (initrd_path && *initrd_path) {
        assert_true(x86_boot_read_file(initrd_path, &initrd, &error_abort));
    }
    assert_true(x86_load_linux64(&f->cfg, &kernel, initrd.data ? &initrd : NULL,
                                 &st, &lay, &error_abort));
    assert_true(st.rip == lay.kernel_addr + 0x200);
    assert_true(lay.kernel_addr == hdr.pref_address);
    assert_memory_equal(f->ram.ram + lay.kernel_addr,
                        kernel.data + hdr.setup_size, 4096);
    if (initrd.data) {
        assert_true(lay.initrd_addr % 4096 == 0);
        assert_true(lay.initrd_addr >= lay.kernel_addr + hdr.init_size);
        assert_memory_equal(f->ram.ram + lay.initrd_addr, initrd.data,
                            initrd.size);
    }
    x86_boot_file_free(&initrd);
    x86_boot_file_free(&kernel);
    teardown((void **)&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linux_parse),
        cmocka_unit_test(test_linux_parse_errors),
        cmocka_unit_test_setup_teardown(test_linux64_boot_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_linux64_initrd_limits, setup, teardown),
        cmocka_unit_test(test_linux64_kernel_placement),
        cmocka_unit_test_setup_teardown(test_linux_real_mode, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiboot, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiboot_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_multiboot_elf, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elf32, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elf64, setup, teardown),
        cmocka_unit_test_setup_teardown(test_elf_malformed, setup, teardown),
        cmocka_unit_test_setup_teardown(test_fuzz_headers, setup, teardown),
        cmocka_unit_test_setup_teardown(test_boot_load_dispatch, setup, teardown),
        cmocka_unit_test(test_real_guest_kernel),
    };
    const char *kernel = getenv("OSPREY_GUEST_KERNEL");
    size_t n = ARRAY_SIZE(tests);

    if (!kernel || !*kernel) {
        printf("# test_real_guest_kernel not run: OSPREY_GUEST_KERNEL unset\n");
        n--;
    }
    return _cmocka_run_group_tests("tests", tests, n, NULL, NULL);
}
