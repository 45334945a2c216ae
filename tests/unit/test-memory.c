/*
 * Unit tests for memory/: rendering, dispatch, listeners, dirty tracking,
 * info mtree and lock-free readers.
 */
#include "test.h"
#include "memory/memory.h"
#include "memory/ram_addr.h"
#include <pthread.h>
#include <sys/mman.h>

#define ATTRS MEMTXATTRS_UNSPECIFIED

typedef struct Fixture {
    MemoryRegion root;
    AddressSpace as;
} Fixture;

static int setup(void **state)
{
    Fixture *f = xnew(Fixture);
    memory_region_init(&f->root, NULL, "root", UINT64_MAX);
    address_space_init(&f->as, &f->root, "test");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    Fixture *f = *state;
    MemoryRegion *sub;
    while ((sub = QTAILQ_FIRST(&f->root.subregions))) {
        memory_region_del_subregion(&f->root, sub);
    }
    address_space_destroy(&f->as);
    memory_region_finalize(&f->root);
    urcu_bp_barrier();
    free(f);
    return 0;
}

/* "start-last name@offset[ ro]" per range, one line each. */
static char *flatview_text(AddressSpace *as)
{
    StrBuf sb = { 0 };
    strbuf_append(&sb, "");
    urcu_bp_read_lock();
    FlatView *fv = address_space_to_flatview(as);
    for (unsigned i = 0; i < fv->nr; i++) {
        FlatRange *r = &fv->ranges[i];
        strbuf_printf(&sb, "%" PRIx64 "-%" PRIx64 " %s@%" PRIx64 "%s\n",
                      (uint64_t)r->start, (uint64_t)(r->start + r->size - 1),
                      r->mr->name, r->offset_in_region,
                      r->readonly ? " ro" : "");
    }
    urcu_bp_read_unlock();
    return strbuf_steal(&sb);
}

#define assert_flatview(as, expected) do {                               \
    char *text_ = flatview_text(as);                                     \
    assert_string_equal(text_, expected);                                \
    free(text_);                                                         \
} while (0)

static void test_flatview_priorities(void **state)
{
    Fixture *f = *state;
    MemoryRegion a, b, c, d;

    memory_region_init_ram(&a, NULL, "a", 0x10000, &error_abort);
    memory_region_init_ram(&b, NULL, "b", 0x1000, &error_abort);
    memory_region_init_ram(&c, NULL, "c", 0x1000, &error_abort);
    memory_region_init_ram(&d, NULL, "d", 0x1000, &error_abort);

    memory_region_add_subregion(&f->root, 0, &a);
    /* b (prio 1) over a; c, same priority and added later, over b. */
    memory_region_add_subregion_overlap(&f->root, 0x2000, &b, 1);
    memory_region_add_subregion_overlap(&f->root, 0x2800, &c, 1);
    /* d has a's priority but was added later: it wins over a. */
    memory_region_add_subregion_overlap(&f->root, 0x8000, &d, 0);
    assert_flatview(&f->as,
                    "0-1fff a@0\n"
                    "2000-27ff b@0\n"
                    "2800-37ff c@0\n"
                    "3800-7fff a@3800\n"
                    "8000-8fff d@0\n"
                    "9000-ffff a@9000\n");

    /* Raise a above everything: it hides the others completely. */
    memory_region_del_subregion(&f->root, &a);
    memory_region_add_subregion_overlap(&f->root, 0, &a, 5);
    assert_flatview(&f->as, "0-ffff a@0\n");

    /* Lower priority subregions of a container show through its holes. */
    MemoryRegion cont;
    memory_region_del_subregion(&f->root, &a);
    memory_region_del_subregion(&f->root, &b);
    memory_region_init(&cont, NULL, "cont", 0x4000);
    memory_region_add_subregion(&cont, 0x1000, &b);
    memory_region_add_subregion_overlap(&f->root, 0, &cont, 2);
    memory_region_add_subregion_overlap(&f->root, 0, &a, 1);
    assert_flatview(&f->as,
                    "0-fff a@0\n"
                    "1000-1fff b@0\n"
                    "2000-ffff a@2000\n");
    memory_region_del_subregion(&f->root, &cont);
    memory_region_del_subregion(&cont, &b);
    memory_region_finalize(&cont);

    while (QTAILQ_FIRST(&f->root.subregions)) {
        memory_region_del_subregion(&f->root, QTAILQ_FIRST(&f->root.subregions));
    }
    memory_region_finalize(&a);
    memory_region_finalize(&b);
    memory_region_finalize(&c);
    memory_region_finalize(&d);
}

static void test_alias_into_ram(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram, alias;
    uint32_t v;

    memory_region_init_ram(&ram, NULL, "ram", 0x100000, &error_abort);
    memory_region_init_alias(&alias, NULL, "window", &ram, 0x80000, 0x10000);
    memory_region_add_subregion(&f->root, 0, &ram);
    memory_region_add_subregion(&f->root, 0x200000, &alias);
    assert_flatview(&f->as,
                    "0-fffff ram@0\n"
                    "200000-20ffff ram@80000\n");

    address_space_stl_le(&f->as, 0x200010, 0xcafef00d, ATTRS, NULL);
    uint8_t *host = memory_region_get_ram_ptr(&ram);
    memcpy(&v, host + 0x80010, 4);
    assert_int_equal(v, 0xcafef00d);
    assert_int_equal(address_space_ldl_le(&f->as, 0x80010, ATTRS, NULL),
                     0xcafef00d);
    assert_ptr_equal(memory_region_get_ram_ptr(&alias), host + 0x80000);

    /* Translation resolves the alias to the RAM region and its offset. */
    hwaddr xlat, len = 0x100000;
    urcu_bp_read_lock();
    MemoryRegion *mr = address_space_translate(&f->as, 0x200100, &xlat, &len,
                                               false);
    urcu_bp_read_unlock();
    assert_ptr_equal(mr, &ram);
    assert_int_equal(xlat, 0x80100);
    assert_int_equal(len, 0xff00);

    memory_region_set_alias_offset(&alias, 0x1000);
    assert_flatview(&f->as,
                    "0-fffff ram@0\n"
                    "200000-20ffff ram@1000\n");

    memory_region_del_subregion(&f->root, &alias);
    memory_region_del_subregion(&f->root, &ram);
    memory_region_finalize(&alias);
    memory_region_finalize(&ram);
}

static void test_disabled_and_readonly(void **state)
{
    Fixture *f = *state;
    MemoryRegion low, high;
    memory_region_init_ram(&low, NULL, "low", 0x4000, &error_abort);
    memory_region_init_ram(&high, NULL, "high", 0x1000, &error_abort);
    memory_region_add_subregion(&f->root, 0, &low);
    memory_region_add_subregion_overlap(&f->root, 0x1000, &high, 1);
    memory_region_set_enabled(&high, false);
    assert_flatview(&f->as, "0-3fff low@0\n");
    memory_region_set_enabled(&high, true);
    assert_flatview(&f->as, "0-fff low@0\n1000-1fff high@0\n"
                            "2000-3fff low@2000\n");

    /* A read-only region drops writes and says so. */
    memory_region_set_readonly(&low, true);
    uint64_t errors = memory_guest_error_count();
    MemTxResult r;
    address_space_stb(&f->as, 0x10, 0x55, ATTRS, &r);
    assert_int_equal(r, MEMTX_DECODE_ERROR);
    assert_int_equal(address_space_ldub(&f->as, 0x10, ATTRS, NULL), 0);
    assert_true(memory_guest_error_count() > errors);
    assert_flatview(&f->as, "0-fff low@0 ro\n1000-1fff high@0\n"
                            "2000-3fff low@2000 ro\n");

    memory_region_del_subregion(&f->root, &high);
    memory_region_del_subregion(&f->root, &low);
    memory_region_finalize(&high);
    memory_region_finalize(&low);
}

static void test_rom(void **state)
{
    Fixture *f = *state;
    MemoryRegion rom;
    MemTxResult r;

    memory_region_init_rom(&rom, NULL, "bios", 0x1000, &error_abort);
    uint8_t *host = memory_region_get_ram_ptr(&rom);
    host[0] = 0xea;
    memory_region_add_subregion(&f->root, 0xf0000, &rom);
    assert_true(memory_region_is_rom(&rom));
    address_space_stb(&f->as, 0xf0000, 0x90, ATTRS, &r);
    assert_int_equal(r, MEMTX_DECODE_ERROR);
    assert_int_equal(address_space_ldub(&f->as, 0xf0000, ATTRS, &r), 0xea);
    assert_int_equal(r, MEMTX_OK);
    memory_region_del_subregion(&f->root, &rom);
    memory_region_finalize(&rom);
}

/* --- MMIO ------------------------------------------------------------ */

typedef struct Access {
    bool is_write;
    hwaddr addr;
    unsigned size;
    uint64_t value;
} Access;

typedef struct Device {
    Access log[32];
    unsigned n;
    uint8_t regs[64];
    bool big;
} Device;

static uint64_t dev_read(void *opaque, hwaddr addr, unsigned size)
{
    Device *d = opaque;
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned shift = d->big ? (size - 1 - i) * 8 : i * 8;
        v |= (uint64_t)d->regs[(addr + i) % 64] << shift;
    }
    d->log[d->n++ % 32] = (Access){ false, addr, size, v };
    return v;
}

static void dev_write(void *opaque, hwaddr addr, uint64_t v, unsigned size)
{
    Device *d = opaque;
    for (unsigned i = 0; i < size; i++) {
        unsigned shift = d->big ? (size - 1 - i) * 8 : i * 8;
        d->regs[(addr + i) % 64] = v >> shift;
    }
    d->log[d->n++ % 32] = (Access){ true, addr, size, v };
}

static void test_mmio_split(void **state)
{
    Fixture *f = *state;
    static const MemoryRegionOps ops = {
        .read = dev_read,
        .write = dev_write,
        .endianness = DEVICE_LITTLE_ENDIAN,
        .valid = { .min_access_size = 1, .max_access_size = 8 },
        .impl = { .min_access_size = 4, .max_access_size = 4 },
    };
    Device dev = { .n = 0 };
    MemoryRegion mmio;
    MemTxResult r;

    for (int i = 0; i < 64; i++) {
        dev.regs[i] = i;
    }
    memory_region_init_io(&mmio, NULL, &ops, &dev, "dev", 64);
    memory_region_add_subregion(&f->root, 0x1000, &mmio);

    /* 8 bytes on a 4-byte implementation: two callbacks, low half first. */
    uint64_t v = address_space_ldq_le(&f->as, 0x1008, ATTRS, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(v, 0x0f0e0d0c0b0a0908ULL);
    assert_int_equal(dev.n, 2);
    assert_int_equal(dev.log[0].addr, 8);
    assert_int_equal(dev.log[0].size, 4);
    assert_int_equal(dev.log[1].addr, 12);
    assert_int_equal(dev.log[1].size, 4);

    dev.n = 0;
    address_space_stq_le(&f->as, 0x1010, 0x1122334455667788ULL, ATTRS, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(dev.n, 2);
    assert_true(dev.log[0].is_write && dev.log[0].addr == 0x10 &&
                dev.log[0].value == 0x55667788);
    assert_true(dev.log[1].addr == 0x14 && dev.log[1].value == 0x11223344);

    /* 1 byte widened to an aligned 4-byte read; the right byte comes back. */
    dev.n = 0;
    assert_int_equal(address_space_ldub(&f->as, 0x1006, ATTRS, &r), 6);
    assert_int_equal(dev.n, 1);
    assert_int_equal(dev.log[0].addr, 4);
    assert_int_equal(dev.log[0].size, 4);

    /* memory_region_dispatch_read keeps the 8-byte access whole. */
    dev.n = 0;
    r = memory_region_dispatch_read(&mmio, 0x20, &v, 8, ATTRS);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(v, 0x2726252423222120ULL);
    assert_int_equal(dev.n, 2);

    memory_region_del_subregion(&f->root, &mmio);
    memory_region_finalize(&mmio);
}

static void test_mmio_unaligned(void **state)
{
    Fixture *f = *state;
    static const MemoryRegionOps ops = {
        .read = dev_read,
        .write = dev_write,
        .endianness = DEVICE_LITTLE_ENDIAN,
        .valid = { .min_access_size = 1, .max_access_size = 4,
                   .unaligned = true },
        .impl = { .min_access_size = 4, .max_access_size = 4 },
    };
    Device dev = { .n = 0 };
    MemoryRegion mmio;
    uint64_t v;

    for (int i = 0; i < 64; i++) {
        dev.regs[i] = 0xa0 + i;
    }
    memory_region_init_io(&mmio, NULL, &ops, &dev, "dev", 64);
    memory_region_add_subregion(&f->root, 0, &mmio);

    /* 4 bytes at offset 2: the device only sees aligned 4-byte reads. */
    assert_int_equal(memory_region_dispatch_read(&mmio, 2, &v, 4, ATTRS),
                     MEMTX_OK);
    assert_int_equal(v, 0xa5a4a3a2);
    assert_int_equal(dev.n, 2);
    assert_int_equal(dev.log[0].addr, 0);
    assert_int_equal(dev.log[1].addr, 4);

    /* 2-byte write at offset 9: one aligned write, other bytes zero. */
    dev.n = 0;
    assert_int_equal(memory_region_dispatch_write(&mmio, 9, 0xbeef, 2, ATTRS),
                     MEMTX_OK);
    assert_int_equal(dev.n, 1);
    assert_int_equal(dev.log[0].addr, 8);
    assert_int_equal(dev.log[0].size, 4);
    assert_int_equal(dev.log[0].value, 0x00beef00);

    memory_region_del_subregion(&f->root, &mmio);
    memory_region_finalize(&mmio);
}

static bool reject_odd(void *opaque, hwaddr addr, unsigned size,
                       bool is_write, MemTxAttrs attrs)
{
    return !(addr & 0x10);
}

static void test_mmio_invalid(void **state)
{
    Fixture *f = *state;
    static const MemoryRegionOps ops = {
        .read = dev_read,
        .write = dev_write,
        .endianness = DEVICE_LITTLE_ENDIAN,
        .valid = { .min_access_size = 4, .max_access_size = 4,
                   .accepts = reject_odd },
    };
    Device dev = { .n = 0 };
    MemoryRegion mmio;
    MemTxResult r;
    uint64_t v;

    memset(dev.regs, 0x42, sizeof(dev.regs));
    memory_region_init_io(&mmio, NULL, &ops, &dev, "strict", 64);
    memory_region_add_subregion(&f->root, 0x3000, &mmio);

    uint64_t errors = memory_guest_error_count();
    assert_int_equal(address_space_ldub(&f->as, 0x3000, ATTRS, &r), 0xff);
    assert_int_equal(r, MEMTX_DECODE_ERROR);
    assert_int_equal(memory_region_dispatch_read(&mmio, 0, &v, 8, ATTRS),
                     MEMTX_DECODE_ERROR);
    assert_int_equal(memory_region_dispatch_read(&mmio, 2, &v, 4, ATTRS),
                     MEMTX_DECODE_ERROR);
    address_space_stl_le(&f->as, 0x3010, 1, ATTRS, &r);
    assert_int_equal(r, MEMTX_DECODE_ERROR);
    assert_int_equal(dev.n, 0);
    assert_int_equal(memory_guest_error_count(), errors + 4);

    /* The valid size works, and an 8-byte access is split into two. */
    assert_int_equal(address_space_ldq_le(&f->as, 0x3000, ATTRS, &r),
                     0x4242424242424242ULL);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(dev.n, 2);

    memory_region_del_subregion(&f->root, &mmio);
    memory_region_finalize(&mmio);
}

/*
 * An OUTL to the PCI configuration address (0xCF8, 4 bytes) must reach that
 * register whole, although 0xCF9 (reset control, 1 byte, higher priority)
 * sits inside it: loads and stores go to the region at their start address.
 */
static void test_ldst_whole_region(void **state)
{
    Fixture *f = *state;
    static const MemoryRegionOps ops = {
        .read = dev_read,
        .write = dev_write,
        .endianness = DEVICE_LITTLE_ENDIAN,
        .valid = { .min_access_size = 1, .max_access_size = 4 },
    };
    Device addr_dev = { .n = 0 }, reset_dev = { .n = 0 };
    MemoryRegion conf_addr, reset;
    MemTxResult r;

    memory_region_init_io(&conf_addr, NULL, &ops, &addr_dev, "pci-conf-idx", 4);
    memory_region_init_io(&reset, NULL, &ops, &reset_dev, "reset-control", 1);
    memory_region_add_subregion(&f->root, 0x2cf8, &conf_addr);
    memory_region_add_subregion_overlap(&f->root, 0x2cf9, &reset, 1);

    address_space_stl_le(&f->as, 0x2cf8, 0x80000810, ATTRS, &r);
    assert_int_equal(r, MEMTX_OK);
    assert_int_equal(addr_dev.n, 1);
    assert_true(addr_dev.log[0].is_write && addr_dev.log[0].size == 4 &&
                addr_dev.log[0].value == 0x80000810);
    assert_int_equal(reset_dev.n, 0);

    /* A byte access at 0xCF9 is the reset register's. */
    address_space_stb(&f->as, 0x2cf9, 6, ATTRS, &r);
    assert_int_equal(reset_dev.n, 1);
    assert_int_equal(addr_dev.n, 1);

    memory_region_del_subregion(&f->root, &reset);
    memory_region_del_subregion(&f->root, &conf_addr);
    memory_region_finalize(&reset);
    memory_region_finalize(&conf_addr);
}

static void test_mmio_big_endian(void **state)
{
    Fixture *f = *state;
    static const MemoryRegionOps ops = {
        .read = dev_read,
        .write = dev_write,
        .endianness = DEVICE_BIG_ENDIAN,
        .impl = { .min_access_size = 2, .max_access_size = 2 },
    };
    Device dev = { .big = true };
    MemoryRegion mmio;
    uint8_t buf[4];

    for (int i = 0; i < 64; i++) {
        dev.regs[i] = i;
    }
    memory_region_init_io(&mmio, NULL, &ops, &dev, "be", 64);
    memory_region_add_subregion(&f->root, 0, &mmio);
    /* Device byte order is memory order for a big-endian device. */
    assert_int_equal(address_space_read(&f->as, 4, ATTRS, buf, 4), MEMTX_OK);
    assert_int_equal(buf[0], 4);
    assert_int_equal(buf[3], 7);
    assert_int_equal(dev.n, 2);
    assert_int_equal(dev.log[0].value, 0x0405);
    assert_int_equal(address_space_ldl_le(&f->as, 4, ATTRS, NULL),
                     0x07060504);
    address_space_stw_le(&f->as, 8, 0x1234, ATTRS, NULL);
    assert_int_equal(dev.regs[8], 0x34);
    assert_int_equal(dev.regs[9], 0x12);
    memory_region_del_subregion(&f->root, &mmio);
    memory_region_finalize(&mmio);
}

static void test_unassigned(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram;
    uint8_t buf[8];
    MemTxResult r;

    memory_region_init_ram(&ram, NULL, "ram", 0x1000, &error_abort);
    memory_region_add_subregion(&f->root, 0, &ram);

    uint64_t errors = memory_guest_error_count();
    assert_int_equal(address_space_ldl_le(&f->as, 0x5000, ATTRS, &r),
                     0xffffffff);
    assert_int_equal(r, MEMTX_DECODE_ERROR);
    address_space_stl_le(&f->as, 0x5000, 0, ATTRS, &r);
    assert_int_equal(r, MEMTX_DECODE_ERROR);
    assert_int_equal(memory_guest_error_count(), errors + 2);

    /* Straddling RAM and a hole: the RAM part is real, the rest 0xff. */
    address_space_stl_le(&f->as, 0xffc, 0x44332211, ATTRS, NULL);
    assert_int_equal(address_space_read(&f->as, 0xffc, ATTRS, buf, 8),
                     MEMTX_DECODE_ERROR);
    assert_memory_equal(buf, "\x11\x22\x33\x44\xff\xff\xff\xff", 8);

    hwaddr xlat, len = 0x10000;
    urcu_bp_read_lock();
    MemoryRegion *mr = address_space_translate(&f->as, 0x1000, &xlat, &len,
                                               false);
    urcu_bp_read_unlock();
    assert_true(memory_region_is_unassigned(mr));

    memory_region_del_subregion(&f->root, &ram);
    memory_region_finalize(&ram);
}

static void test_rom_device(void **state)
{
    Fixture *f = *state;
    static const MemoryRegionOps ops = {
        .read = dev_read,
        .write = dev_write,
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    Device dev = { .n = 0 };
    MemoryRegion flash;

    memset(dev.regs, 0x77, sizeof(dev.regs));
    assert_true(memory_region_init_rom_device(&flash, NULL, &ops, &dev,
                                              "flash", 0x1000, &error_abort));
    ((uint8_t *)memory_region_get_ram_ptr(&flash))[4] = 0x12;
    memory_region_add_subregion(&f->root, 0x4000, &flash);

    /* romd mode: reads from memory, writes to the device. */
    assert_int_equal(address_space_ldub(&f->as, 0x4004, ATTRS, NULL), 0x12);
    address_space_stb(&f->as, 0x4004, 0x34, ATTRS, NULL);
    assert_int_equal(dev.n, 1);
    assert_true(dev.log[0].is_write);
    assert_int_equal(address_space_ldub(&f->as, 0x4004, ATTRS, NULL), 0x12);

    /* Out of romd mode the device answers reads too. */
    memory_region_rom_device_set_romd(&flash, false);
    assert_int_equal(address_space_ldub(&f->as, 0x4005, ATTRS, NULL), 0x77);
    assert_int_equal(dev.n, 2);

    memory_region_del_subregion(&f->root, &flash);
    memory_region_finalize(&flash);
}

static void test_find_section(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram, cont, inner;

    memory_region_init_ram(&ram, NULL, "ram", 0x4000, &error_abort);
    memory_region_init(&cont, NULL, "cont", 0x10000);
    memory_region_init_ram(&inner, NULL, "inner", 0x1000, &error_abort);
    memory_region_add_subregion(&f->root, 0, &ram);
    memory_region_add_subregion(&cont, 0x2000, &inner);
    memory_region_add_subregion(&f->root, 0x100000, &cont);
    memory_region_set_readonly(&cont, true);

    urcu_bp_read_lock();
    FlatView *fv = address_space_to_flatview(&f->as);
    MemoryRegionSection s = flatview_find_section(fv, 0x102800);
    assert_ptr_equal(s.mr, &inner);
    assert_int_equal(s.offset_within_region, 0x800);
    assert_true(s.size == 0x800);
    assert_true(s.readonly);
    s = flatview_find_section(fv, 0x5000);
    assert_true(memory_region_is_unassigned(s.mr));
    assert_true(s.size == 0x102000 - 0x5000);
    assert_null(flatview_lookup(fv, 0x5000));
    urcu_bp_read_unlock();

    /* Relative to a region deep in the tree. */
    s = memory_region_find(&cont, 0x1000, 0x2000);
    assert_ptr_equal(s.mr, &inner);
    assert_int_equal(s.offset_within_address_space, 0x102000);
    assert_int_equal(s.offset_within_region, 0);
    assert_true(s.size == 0x1000);
    s = memory_region_find(&cont, 0x4000, 0x100);
    assert_null(s.mr);

    /* RAM cannot be stretched past its memory. */
    memory_region_set_size(&ram, 0x8000);
    assert_int_equal(memory_region_size(&ram), 0x4000);

    /* Finalizing a container takes its children out of the view. */
    memory_region_del_subregion(&f->root, &cont);
    memory_region_finalize(&cont);
    assert_null(inner.container);
    memory_region_finalize(&inner);
    memory_region_del_subregion(&f->root, &ram);
    memory_region_finalize(&ram);
}

/* --- Listeners ------------------------------------------------------- */

typedef struct Recorder {
    MemoryListener listener;
    StrBuf log;
} Recorder;

static void rec_event(MemoryListener *l, const char *what,
                      MemoryRegionSection *s)
{
    Recorder *rec = container_of(l, Recorder, listener);
    strbuf_printf(&rec->log, "%s %s %" PRIx64 "+%" PRIx64 "@%" PRIx64 ";",
                  what, s->mr->name, s->offset_within_address_space,
                  (uint64_t)s->size, s->offset_within_region);
}

static void rec_add(MemoryListener *l, MemoryRegionSection *s)
{
    rec_event(l, "add", s);
}

static void rec_del(MemoryListener *l, MemoryRegionSection *s)
{
    rec_event(l, "del", s);
}

static void rec_nop(MemoryListener *l, MemoryRegionSection *s)
{
    rec_event(l, "nop", s);
}

static void rec_log_start(MemoryListener *l, MemoryRegionSection *s,
                          int old, int new)
{
    rec_event(l, "log_start", s);
}

static void rec_log_stop(MemoryListener *l, MemoryRegionSection *s,
                         int old, int new)
{
    rec_event(l, "log_stop", s);
}

static void rec_begin(MemoryListener *l)
{
    strbuf_append(&container_of(l, Recorder, listener)->log, "begin;");
}

static void rec_commit(MemoryListener *l)
{
    strbuf_append(&container_of(l, Recorder, listener)->log, "commit;");
}

static void recorder_init(Recorder *rec)
{
    memset(rec, 0, sizeof(*rec));
    rec->listener = (MemoryListener) {
        .begin = rec_begin,
        .commit = rec_commit,
        .region_add = rec_add,
        .region_del = rec_del,
        .region_nop = rec_nop,
        .log_start = rec_log_start,
        .log_stop = rec_log_stop,
        .name = "recorder",
    };
    strbuf_append(&rec->log, "");
}

static void recorder_expect(Recorder *rec, const char *expected)
{
    assert_string_equal(rec->log.str, expected);
    strbuf_free(&rec->log);
    strbuf_append(&rec->log, "");
}

static int global_log_calls, sync_calls;

static void global_log_changed(MemoryListener *l)
{
    global_log_calls++;
}

/* Pretend the hypervisor saw a write to the first page of each range. */
static void sync_dirty(MemoryListener *l, MemoryRegionSection *s)
{
    sync_calls++;
    memory_region_set_dirty(s->mr, s->offset_within_region, 1);
}

static void test_move_and_listener(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram, bar;
    static const MemoryRegionOps ops = {
        .read = dev_read,
        .write = dev_write,
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    Device dev = { .n = 0 };
    Recorder rec;

    memset(dev.regs, 0x5a, sizeof(dev.regs));
    memory_region_init_ram(&ram, NULL, "ram", 0x10000, &error_abort);
    memory_region_init_io(&bar, NULL, &ops, &dev, "bar", 0x1000);
    memory_region_add_subregion(&f->root, 0, &ram);
    memory_region_add_subregion(&f->root, 0xe0000000, &bar);

    recorder_init(&rec);
    memory_listener_register(&rec.listener, &f->as);
    recorder_expect(&rec, "begin;add ram 0+10000@0;"
                          "add bar e0000000+1000@0;commit;");

    /* Reprogram the BAR: the old place disappears, the new one appears. */
    memory_region_set_address(&bar, 0xd0000000);
    recorder_expect(&rec, "begin;del bar e0000000+1000@0;"
                          "nop ram 0+10000@0;add bar d0000000+1000@0;commit;");
    assert_int_equal(address_space_ldub(&f->as, 0xd0000000, ATTRS, NULL),
                     0x5a);
    assert_int_equal(address_space_ldub(&f->as, 0xe0000000, ATTRS, NULL),
                     0xff);

    /* A transaction renders once, whatever it changes. */
    memory_region_transaction_begin();
    memory_region_set_address(&bar, 0xc0000000);
    memory_region_set_address(&bar, 0xb0000000);
    memory_region_set_size(&ram, 0x8000);
    memory_region_transaction_commit();
    recorder_expect(&rec, "begin;del ram 0+10000@0;del bar d0000000+1000@0;"
                          "add ram 0+8000@0;add bar b0000000+1000@0;commit;");

    /* Moving it on top of RAM splits the RAM range around it. */
    memory_region_transaction_begin();
    memory_region_del_subregion(&f->root, &bar);
    memory_region_add_subregion_overlap(&f->root, 0x2000, &bar, 1);
    memory_region_transaction_commit();
    recorder_expect(&rec, "begin;del ram 0+8000@0;del bar b0000000+1000@0;"
                          "add ram 0+2000@0;add bar 2000+1000@0;"
                          "add ram 3000+5000@3000;commit;");

    /* Dirty logging changes come as log_start / log_stop. */
    memory_region_set_log(&ram, true, DIRTY_MEMORY_VGA);
    recorder_expect(&rec, "begin;nop ram 0+2000@0;log_start ram 0+2000@0;"
                          "nop bar 2000+1000@0;nop ram 3000+5000@3000;"
                          "log_start ram 3000+5000@3000;commit;");
    memory_region_set_log(&ram, false, DIRTY_MEMORY_VGA);
    recorder_expect(&rec, "begin;nop ram 0+2000@0;log_stop ram 0+2000@0;"
                          "nop bar 2000+1000@0;nop ram 3000+5000@3000;"
                          "log_stop ram 3000+5000@3000;commit;");

    /* A second listener that syncs a dirty log, as KVM's does. */
    MemoryListener syncer = {
        .log_sync = sync_dirty,
        .log_global_start = global_log_changed,
        .log_global_stop = global_log_changed,
        .priority = 10,
    };
    memory_listener_register(&syncer, &f->as);
    recorder_expect(&rec, "");

    global_log_calls = sync_calls = 0;
    memory_global_dirty_log_start();
    assert_int_equal(global_log_calls, 1);
    assert_true(memory_global_dirty_log_enabled());
    memory_region_test_and_clear_dirty(&ram, 0, 0x8000,
                                       DIRTY_MEMORY_MIGRATION);
    memory_global_dirty_log_sync();
    /* Both RAM ranges log for migration; the BAR does not. */
    assert_int_equal(sync_calls, 2);
    assert_true(memory_region_get_dirty(&ram, 0x3000, 1,
                                        DIRTY_MEMORY_MIGRATION));
    assert_false(memory_region_get_dirty(&ram, 0x4000, 0x1000,
                                         DIRTY_MEMORY_MIGRATION));
    recorder_expect(&rec, "begin;nop ram 0+2000@0;log_start ram 0+2000@0;"
                          "nop bar 2000+1000@0;nop ram 3000+5000@3000;"
                          "log_start ram 3000+5000@3000;commit;");
    memory_global_dirty_log_stop();
    assert_int_equal(global_log_calls, 2);
    memory_listener_unregister(&syncer);
    strbuf_free(&rec.log);
    strbuf_append(&rec.log, "");

    memory_listener_unregister(&rec.listener);
    recorder_expect(&rec, "begin;del ram 0+2000@0;del bar 2000+1000@0;"
                          "del ram 3000+5000@3000;commit;");
    strbuf_free(&rec.log);

    memory_region_del_subregion(&f->root, &bar);
    memory_region_del_subregion(&f->root, &ram);
    memory_region_finalize(&bar);
    memory_region_finalize(&ram);
}

static MemoryRegion *reactive_target;

/* A listener that maps something in reaction to a mapping. */
static void reactive_add(MemoryListener *l, MemoryRegionSection *s)
{
    rec_add(l, s);
    if (!strcmp(s->mr->name, "trigger")) {
        memory_region_set_enabled(reactive_target, true);
    }
}

static void test_listener_changes_tree(void **state)
{
    Fixture *f = *state;
    MemoryRegion trigger, follower;
    Recorder rec;

    memory_region_init_ram(&trigger, NULL, "trigger", 0x1000, &error_abort);
    memory_region_init_ram(&follower, NULL, "follower", 0x1000,
                           &error_abort);
    memory_region_set_enabled(&follower, false);
    memory_region_add_subregion(&f->root, 0x1000, &follower);
    reactive_target = &follower;

    recorder_init(&rec);
    rec.listener.region_add = reactive_add;
    memory_listener_register(&rec.listener, &f->as);
    recorder_expect(&rec, "begin;commit;");

    /* The nested change is rendered after the first, not inside it. */
    memory_region_add_subregion(&f->root, 0, &trigger);
    recorder_expect(&rec, "begin;add trigger 0+1000@0;commit;"
                          "begin;nop trigger 0+1000@0;"
                          "add follower 1000+1000@0;commit;");
    assert_flatview(&f->as, "0-fff trigger@0\n1000-1fff follower@0\n");

    memory_listener_unregister(&rec.listener);
    strbuf_free(&rec.log);
    memory_region_del_subregion(&f->root, &trigger);
    memory_region_del_subregion(&f->root, &follower);
    memory_region_finalize(&trigger);
    memory_region_finalize(&follower);
}

/* --- Dirty tracking -------------------------------------------------- */

static ram_addr_t hook_start, hook_end;
static int hook_calls;

static void code_hook(ram_addr_t start, ram_addr_t end)
{
    hook_start = start;
    hook_end = end;
    hook_calls++;
}

static void test_dirty_tracking(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram;

    memory_region_init_ram(&ram, NULL, "ram", 0x10000, &error_abort);
    memory_region_add_subregion(&f->root, 0x100000, &ram);
    ram_addr_t base = memory_region_get_ram_addr(&ram);
    assert_true(base != RAM_ADDR_INVALID);

    /* New RAM starts dirty for every client. */
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        assert_true(cpu_physical_memory_get_dirty(base, 0x10000, c));
        assert_true(cpu_physical_memory_test_and_clear_dirty(base, 0x10000,
                                                             c));
        assert_false(cpu_physical_memory_get_dirty(base, 0x10000, c));
    }
    assert_false(cpu_physical_memory_test_and_clear_dirty(
        base, 0x10000, DIRTY_MEMORY_MIGRATION));

    /* A write straddling pages 2 and 3 dirties exactly those. */
    uint8_t buf[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    address_space_write(&f->as, 0x100000 + 0x2ffc, ATTRS, buf, 8);
    for (unsigned c = 0; c < DIRTY_MEMORY_NUM; c++) {
        assert_false(cpu_physical_memory_get_dirty(base, 0x2000, c));
        assert_true(cpu_physical_memory_get_dirty_flag(base + 0x2000, c));
        assert_true(cpu_physical_memory_get_dirty_flag(base + 0x3000, c));
        assert_false(cpu_physical_memory_get_dirty(base + 0x4000, 0xc000, c));
    }
    assert_true(memory_region_test_and_clear_dirty(&ram, 0x2000, 0x2000,
                                                   DIRTY_MEMORY_VGA));
    assert_false(memory_region_get_dirty(&ram, 0, 0x10000, DIRTY_MEMORY_VGA));
    assert_true(memory_region_get_dirty(&ram, 0, 0x10000,
                                        DIRTY_MEMORY_MIGRATION));

    /* DMA through map/unmap marks what was written. */
    hwaddr len = 0x100;
    uint8_t *p = address_space_map(&f->as, 0x100000 + 0x5000, &len, true,
                                   ATTRS);
    assert_non_null(p);
    assert_int_equal(len, 0x100);
    assert_ptr_equal(p, (uint8_t *)memory_region_get_ram_ptr(&ram) + 0x5000);
    p[0] = 0x77;
    address_space_unmap(&f->as, p, len, true, 1);
    assert_true(memory_region_get_dirty(&ram, 0x5000, 1, DIRTY_MEMORY_VGA));

    memory_region_del_subregion(&f->root, &ram);
    memory_region_finalize(&ram);
}

static void test_code_write_hook(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram;

    memory_region_init_ram(&ram, NULL, "ram", 0x4000, &error_abort);
    memory_region_add_subregion(&f->root, 0, &ram);
    ram_addr_t base = memory_region_get_ram_addr(&ram);
    memory_set_code_write_hook(code_hook);
    hook_calls = 0;

    /* The translator protects page 1: it now holds code. */
    cpu_physical_memory_test_and_clear_dirty(base + 0x1000, 0x1000,
                                             DIRTY_MEMORY_CODE);
    address_space_stl_le(&f->as, 0x0010, 1, ATTRS, NULL);
    assert_int_equal(hook_calls, 0);
    address_space_stl_le(&f->as, 0x1010, 1, ATTRS, NULL);
    assert_int_equal(hook_calls, 1);
    assert_int_equal(hook_start, base + 0x1010);
    assert_int_equal(hook_end, base + 0x1014);
    /* The bit stays clear until the translator says the code is gone. */
    assert_false(cpu_physical_memory_get_dirty_flag(base + 0x1000,
                                                    DIRTY_MEMORY_CODE));
    assert_true(cpu_physical_memory_get_dirty_flag(base + 0x1000,
                                                   DIRTY_MEMORY_VGA));
    cpu_physical_memory_set_dirty_flag(base + 0x1000, DIRTY_MEMORY_CODE);
    address_space_stl_le(&f->as, 0x1010, 2, ATTRS, NULL);
    assert_int_equal(hook_calls, 1);

    memory_set_code_write_hook(NULL);
    memory_region_del_subregion(&f->root, &ram);
    memory_region_finalize(&ram);
}

static void test_map_bounce(void **state)
{
    Fixture *f = *state;
    static const MemoryRegionOps ops = {
        .read = dev_read,
        .write = dev_write,
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    Device dev = { .n = 0 };
    MemoryRegion mmio;

    for (int i = 0; i < 64; i++) {
        dev.regs[i] = i;
    }
    memory_region_init_io(&mmio, NULL, &ops, &dev, "dev", 64);
    memory_region_add_subregion(&f->root, 0x1000, &mmio);

    hwaddr len = 0x100;
    uint8_t *p = address_space_map(&f->as, 0x1000, &len, false, ATTRS);
    assert_non_null(p);
    assert_int_equal(len, 64);
    assert_int_equal(p[10], 10);
    /* One bounce buffer: a second mapping must wait. */
    hwaddr len2 = 4;
    assert_null(address_space_map(&f->as, 0x1000, &len2, true, ATTRS));
    assert_int_equal(len2, 0);
    address_space_unmap(&f->as, p, len, false, len);

    len2 = 4;
    p = address_space_map(&f->as, 0x1000, &len2, true, ATTRS);
    assert_non_null(p);
    memcpy(p, "\xaa\xbb\xcc\xdd", 4);
    address_space_unmap(&f->as, p, len2, true, 4);
    assert_memory_equal(dev.regs, "\xaa\xbb\xcc\xdd", 4);

    memory_region_del_subregion(&f->root, &mmio);
    memory_region_finalize(&mmio);
}

static void test_ram_backends(void **state)
{
    Fixture *f = *state;
    MemoryRegion file_ram, fd_ram, bad;
    char path[] = "/tmp/osprey-test-ramXXXXXX";
    int tmp = mkstemp(path);
    Error *err = NULL;

    assert_true(tmp >= 0);
    close(tmp);
    assert_true(memory_region_init_ram_from_file(&file_ram, NULL, "file",
                                                 0x2000, true, path,
                                                 &error_abort));
    memory_region_add_subregion(&f->root, 0, &file_ram);
    address_space_stl_le(&f->as, 0x1000, 0x600df00d, ATTRS, NULL);
    memory_region_del_subregion(&f->root, &file_ram);
    memory_region_finalize(&file_ram);

    FILE *fp = fopen(path, "rb");
    uint32_t v = 0;
    assert_non_null(fp);
    assert_int_equal(fseek(fp, 0x1000, SEEK_SET), 0);
    assert_int_equal(fread(&v, 4, 1, fp), 1);
    fclose(fp);
    unlink(path);
    assert_int_equal(v, 0x600df00d);

    int fd = memfd_create("osprey-test", MFD_CLOEXEC);
    assert_true(fd >= 0);
    assert_int_equal(ftruncate(fd, 0x1000), 0);
    assert_true(memory_region_init_ram_from_fd(&fd_ram, NULL, "memfd",
                                               0x1000, fd, 0, &error_abort));
    memory_region_add_subregion(&f->root, 0x10000, &fd_ram);
    address_space_stb(&f->as, 0x10003, 0x99, ATTRS, NULL);
    uint8_t b = 0;
    assert_int_equal(pread(fd, &b, 1, 3), 1);
    assert_int_equal(b, 0x99);
    memory_region_del_subregion(&f->root, &fd_ram);
    memory_region_finalize(&fd_ram);

    /* A file too small for the region is refused, not a later SIGBUS. */
    assert_false(memory_region_init_ram_from_fd(&bad, NULL, "short", 0x2000,
                                                fd, 0, &err));
    assert_non_null(strstr(error_get_pretty(err), "fewer than"));
    error_free(err);
    err = NULL;
    memory_region_finalize(&bad);
    close(fd);

    assert_false(memory_region_init_ram_from_file(
        &bad, NULL, "bad", 0x1000, false, "/nonexistent/dir/ram", &err));
    assert_non_null(err);
    assert_non_null(strstr(error_get_pretty(err), "/nonexistent/dir/ram"));
    error_free(err);
    memory_region_finalize(&bad);
}

/* --- info mtree ------------------------------------------------------ */

static void test_mtree(void **state)
{
    Fixture *f = *state;
    MemoryRegion *sysmem = get_system_memory();
    MemoryRegion ram, below_4g, bios, serial;
    static const MemoryRegionOps ops = {
        .read = dev_read,
        .write = dev_write,
        .endianness = DEVICE_LITTLE_ENDIAN,
    };
    Device dev = { .n = 0 };

    /* The fixture's space would show too; this test is about the machine's. */
    address_space_destroy(&f->as);

    memory_region_init_ram(&ram, NULL, "pc.ram", 0x8000000, &error_abort);
    memory_region_init_alias(&below_4g, NULL, "ram-below-4g", &ram, 0,
                             0x8000000);
    memory_region_add_subregion(sysmem, 0, &below_4g);
    memory_region_init_rom(&bios, NULL, "pc.bios", 0x40000, &error_abort);
    memory_region_add_subregion_overlap(sysmem, 0xfffc0000, &bios, 1);
    memory_region_init_io(&serial, NULL, &ops, &dev, "serial", 8);
    memory_region_add_subregion(get_system_io(), 0x3f8, &serial);

    StrBuf sb = { 0 };
    mtree_info(&sb, false, false, false);
    assert_string_equal(sb.str,
        "address-space: memory\n"
        "  0000000000000000-ffffffffffffffff (prio 0, i/o): system\n"
        "    0000000000000000-0000000007ffffff (prio 0, ram): alias "
        "ram-below-4g @pc.ram 0000000000000000-0000000007ffffff\n"
        "    00000000fffc0000-00000000ffffffff (prio 1, rom): pc.bios\n"
        "\n"
        "address-space: I/O\n"
        "  0000000000000000-000000000000ffff (prio 0, i/o): io\n"
        "    00000000000003f8-00000000000003ff (prio 0, i/o): serial\n"
        "\n"
        "memory-region: pc.ram\n"
        "  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n"
        "\n");
    strbuf_free(&sb);

    mtree_info(&sb, true, true, false);
    assert_string_equal(sb.str,
        "FlatView #0\n"
        " AS \"memory\", root: system\n"
        " Root memory region: system\n"
        "  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram orphan\n"
        "  00000000fffc0000-00000000ffffffff (prio 1, rom): pc.bios orphan\n"
        "\n"
        "FlatView #1\n"
        " AS \"I/O\", root: io\n"
        " Root memory region: io\n"
        "  0000000000000000-00000000000003f7 (prio 0, i/o): io orphan\n"
        "  00000000000003f8-00000000000003ff (prio 0, i/o): serial orphan\n"
        "  0000000000000400-000000000000ffff (prio 0, i/o): io @0000000000000400"
        " orphan\n"
        "\n");
    strbuf_free(&sb);

    /* With one child covering it, the view starts from pc.ram (QEMU's
     * flatview root), which -f shows. */
    memory_region_set_enabled(&bios, false);
    mtree_info(&sb, true, false, false);
    assert_string_equal(sb.str,
        "FlatView #0\n"
        " AS \"memory\", root: system\n"
        " Root memory region: pc.ram\n"
        "  0000000000000000-0000000007ffffff (prio 0, ram): pc.ram\n"
        "\n"
        "FlatView #1\n"
        " AS \"I/O\", root: io\n"
        " Root memory region: io\n"
        "  0000000000000000-00000000000003f7 (prio 0, i/o): io\n"
        "  00000000000003f8-00000000000003ff (prio 0, i/o): serial\n"
        "  0000000000000400-000000000000ffff (prio 0, i/o): io @0000000000000400\n"
        "\n");
    strbuf_free(&sb);

    mtree_info(&sb, false, false, true);
    assert_non_null(strstr(sb.str, "(prio 1, rom): pc.bios [disabled]\n"));
    strbuf_free(&sb);

    /* Port I/O: the device answers, unclaimed ports read all-ones. */
    dev.regs[0] = 0x5b;
    assert_int_equal(address_space_ldub(&address_space_io, 0x3f8, ATTRS, NULL),
                     0x5b);
    assert_int_equal(address_space_ldub(&address_space_io, 0x80, ATTRS, NULL),
                     0xff);

    memory_region_del_subregion(get_system_io(), &serial);
    memory_region_del_subregion(sysmem, &bios);
    memory_region_del_subregion(sysmem, &below_4g);
    memory_region_finalize(&serial);
    memory_region_finalize(&bios);
    memory_region_finalize(&below_4g);
    memory_region_finalize(&ram);
    /* Give teardown something to destroy. */
    address_space_init(&f->as, &f->root, "test");
}

/* --- Lock-free readers ----------------------------------------------- */

#define SLOT_A 0x10000
#define SLOT_B 0x80000

typedef struct Race {
    AddressSpace *as;
    MemoryRegion *moving;
    MemoryRegion *background;
    volatile bool stop;
    unsigned long torn;
    unsigned long lookups;
    unsigned long seen_at_a, seen_at_b;   /* views seen with moving there */
} Race;

/* Check one view: sorted, disjoint, moving region at exactly one slot. */
static bool view_is_whole(Race *race)
{
    bool ok = true;
    FlatView *fv = address_space_to_flatview(race->as);

    for (unsigned i = 1; i < fv->nr; i++) {
        FlatRange *prev = &fv->ranges[i - 1];
        if (prev->start + prev->size > fv->ranges[i].start) {
            ok = false;
        }
    }
    hwaddr xa, xb, la = 0x1000, lb = 0x1000;
    MemoryRegion *a = flatview_translate(fv, SLOT_A, &xa, &la, false);
    MemoryRegion *b = flatview_translate(fv, SLOT_B, &xb, &lb, false);
    if ((a == race->moving) == (b == race->moving)) {
        ok = false;
    }
    if (a != race->moving && a != race->background) {
        ok = false;
    }
    __atomic_fetch_add(a == race->moving ? &race->seen_at_a
                                         : &race->seen_at_b,
                       1, __ATOMIC_RELAXED);
    if (b != race->moving && b != race->background) {
        ok = false;
    }
    return ok;
}

static bool caught_both(Race *race)
{
    return __atomic_load_n(&race->seen_at_a, __ATOMIC_RELAXED) >= 100 &&
           __atomic_load_n(&race->seen_at_b, __ATOMIC_RELAXED) >= 100;
}

static void *race_reader(void *opaque)
{
    Race *race = opaque;
    unsigned long torn = 0, lookups = 0;

    while (!__atomic_load_n(&race->stop, __ATOMIC_ACQUIRE)) {
        urcu_bp_read_lock();
        if (!view_is_whole(race)) {
            torn++;
        }
        urcu_bp_read_unlock();
        /* The accessor path too: the moving region reads 0x5a. */
        uint8_t a = address_space_ldub(race->as, SLOT_A, ATTRS, NULL);
        if (a != 0x5a && a != 0) {
            torn++;
        }
        lookups++;
    }
    __atomic_fetch_add(&race->torn, torn, __ATOMIC_RELAXED);
    __atomic_fetch_add(&race->lookups, lookups, __ATOMIC_RELAXED);
    return NULL;
}

static void test_concurrent_readers(void **state)
{
    Fixture *f = *state;
    MemoryRegion ram, moving, extra;
    Race race = { .as = &f->as, .moving = &moving, .background = &ram };
    pthread_t readers[3];

    memory_region_init_ram(&ram, NULL, "ram", 0x100000, &error_abort);
    memory_region_init_ram(&moving, NULL, "moving", 0x1000, &error_abort);
    memset(memory_region_get_ram_ptr(&moving), 0x5a, 0x1000);
    memory_region_add_subregion(&f->root, 0, &ram);
    memory_region_add_subregion_overlap(&f->root, SLOT_A, &moving, 1);
    memory_region_init_alias(&extra, NULL, "extra", &ram, 0, 0x1000);
    memory_region_add_subregion_overlap(&f->root, 0x40000, &extra, 2);

    for (unsigned i = 0; i < ARRAY_SIZE(readers); i++) {
        pthread_create(&readers[i], NULL, race_reader, &race);
    }
    /*
     * Move it at least 2000 times, and on until the readers have caught it
     * at both places often, so the test shows real overlap.
     */
    for (int i = 0; i < 2000 || (i < 1000000 && !caught_both(&race)); i++) {
        memory_region_set_address(&moving, i & 1 ? SLOT_A : SLOT_B);
        /* Also churn the view's shape, not just one range. */
        if (i % 7 == 0) {
            memory_region_transaction_begin();
            memory_region_set_enabled(&extra, !memory_region_is_enabled(&extra));
            memory_region_set_address(&moving, SLOT_B);
            memory_region_set_address(&moving, SLOT_A);
            memory_region_transaction_commit();
        }
    }
    __atomic_store_n(&race.stop, true, __ATOMIC_RELEASE);
    for (unsigned i = 0; i < ARRAY_SIZE(readers); i++) {
        pthread_join(readers[i], NULL);
    }
    assert_true(race.lookups > 0);
    assert_true(caught_both(&race));
    assert_int_equal(race.torn, 0);

    memory_region_del_subregion(&f->root, &extra);
    memory_region_finalize(&extra);
    memory_region_del_subregion(&f->root, &moving);
    memory_region_del_subregion(&f->root, &ram);
    memory_region_finalize(&moving);
    memory_region_finalize(&ram);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_flatview_priorities, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_alias_into_ram, setup, teardown),
        cmocka_unit_test_setup_teardown(test_disabled_and_readonly, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_rom, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rom_device, setup, teardown),
        cmocka_unit_test_setup_teardown(test_find_section, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmio_split, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmio_unaligned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mmio_invalid, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ldst_whole_region, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_mmio_big_endian, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_unassigned, setup, teardown),
        cmocka_unit_test_setup_teardown(test_move_and_listener, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_listener_changes_tree, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dirty_tracking, setup, teardown),
        cmocka_unit_test_setup_teardown(test_code_write_hook, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_map_bounce, setup, teardown),
        cmocka_unit_test_setup_teardown(test_ram_backends, setup, teardown),
        cmocka_unit_test_setup_teardown(test_mtree, setup, teardown),
        cmocka_unit_test_setup_teardown(test_concurrent_readers, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
