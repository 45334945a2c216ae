/*
 * The i440FX PAM and SMRAM windows below 1 MiB, driven through 0xCF8/0xCFC
 * as SeaBIOS does: reset shows the ROMs, each attribute (DRAM disabled,
 * read-only, write-only, read/write) routes reads and writes where the
 * datasheet says, the 13 regions follow their own nibbles, SMRAM D_OPEN
 * opens the VGA window onto RAM, and reset restores the ROM view.
 */
#include "test.h"
#include "hw/pci/pci.h"
#include "hw/pci-host/i440fx.h"
#include "memory/memory.h"
#include "system/main-loop.h"

#define ATTRS MEMTXATTRS_UNSPECIFIED

static MemoryRegion ram, pci_memory, rom;
static uint8_t *ram_ptr, *rom_ptr;
static PCIDevice *i440fx;

static void cfg_write(int reg, uint32_t val, int len)
{
    address_space_stl_le(&address_space_io, 0xcf8,
                         0x80000000u | (reg & 0xfc), ATTRS, NULL);
    switch (len) {
    case 1:
        address_space_stb(&address_space_io, 0xcfc + (reg & 3), val, ATTRS,
                          NULL);
        break;
    default:
        address_space_stl_le(&address_space_io, 0xcfc, val, ATTRS, NULL);
        break;
    }
}

static uint32_t cfg_read(int reg)
{
    address_space_stl_le(&address_space_io, 0xcf8,
                         0x80000000u | (reg & 0xfc), ATTRS, NULL);
    return address_space_ldl_le(&address_space_io, 0xcfc, ATTRS, NULL);
}

static uint8_t rd(hwaddr addr)
{
    return address_space_ldub(&address_space_memory, addr, ATTRS, NULL);
}

static void wr(hwaddr addr, uint8_t val)
{
    address_space_stb(&address_space_memory, addr, val, ATTRS, NULL);
}

static int group_setup(void **state)
{
    bql_lock();
    /* 1 MiB of RAM at 0, filled with 0x11; a "ROM" of 0xAA on the PCI side. */
    memory_region_init_ram(&ram, NULL, "ram", 1 * MiB, &error_abort);
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    memory_region_init(&pci_memory, NULL, "pci", UINT64_MAX);
    memory_region_add_subregion_overlap(get_system_memory(), 0, &pci_memory,
                                        -1);
    memory_region_init_rom(&rom, NULL, "isa-bios", 0x20000, &error_abort);
    memory_region_add_subregion_overlap(&pci_memory, 0xe0000, &rom, 1);
    ram_ptr = memory_region_get_ram_ptr(&ram);
    rom_ptr = memory_region_get_ram_ptr(&rom);
    i440fx_init(get_system_memory(), &ram, &pci_memory, get_system_io(),
                &i440fx);
    return 0;
}

static int setup(void **state)
{
    device_cold_reset(DEVICE(i440fx));
    memset(ram_ptr, 0x11, 1 * MiB);
    memset(rom_ptr, 0xaa, 0x20000);
    return 0;
}

static void test_reset_shows_roms(void **state)
{
    assert_int_equal(cfg_read(0x58) >> 8, 0);           /* PAM0-2 */
    assert_int_equal(cfg_read(0x5c), 0);                /* PAM3-6 */
    assert_int_equal(cfg_read(0x70) >> 16 & 0xff, 0x02); /* SMRAM */
    /* BIOS and extended BIOS areas read the ROM, writes do not stick. */
    assert_int_equal(rd(0xffff0), 0xaa);
    assert_int_equal(rd(0xe0000), 0xaa);
    wr(0xf0000, 0x55);
    assert_int_equal(rd(0xf0000), 0xaa);
    assert_int_equal(ram_ptr[0xf0000], 0x11);
    assert_int_equal(rom_ptr[0x10000], 0xaa);
    /* 0xC0000 (no ROM there) and the VGA window: nothing, all ones. */
    assert_int_equal(rd(0xc0000), 0xff);
    assert_int_equal(rd(0xa0000), 0xff);
    /* Conventional memory is RAM. */
    assert_int_equal(rd(0x9ffff), 0x11);
}

static void test_attributes(void **state)
{
    /* Read/write: RAM. */
    cfg_write(0x59, 0x30, 1);
    assert_int_equal(rd(0xf0000), 0x11);
    wr(0xf0000, 0x22);
    assert_int_equal(ram_ptr[0xf0000], 0x22);
    assert_int_equal(rd(0xf0000), 0x22);

    /* Read-only: RAM is read, writes are dropped. */
    cfg_write(0x59, 0x10, 1);
    assert_int_equal(rd(0xf0000), 0x22);
    wr(0xf0000, 0x33);
    assert_int_equal(ram_ptr[0xf0000], 0x22);
    assert_int_equal(rom_ptr[0x10000], 0xaa);

    /* Write-only: the ROM is read, writes reach RAM (any size). */
    cfg_write(0x59, 0x20, 1);
    assert_int_equal(rd(0xf0000), 0xaa);
    wr(0xf0000, 0x44);
    assert_int_equal(ram_ptr[0xf0000], 0x44);
    assert_int_equal(rd(0xf0000), 0xaa);
    address_space_stl_le(&address_space_memory, 0xf0004, 0x01020304, ATTRS,
                         NULL);
    assert_int_equal(ram_ptr[0xf0004], 0x04);
    assert_int_equal(ram_ptr[0xf0007], 0x01);
    assert_int_equal(address_space_ldl_le(&address_space_memory, 0xf0004,
                                          ATTRS, NULL), 0xaaaaaaaa);

    /* Disabled again: the ROM. */
    cfg_write(0x59, 0x00, 1);
    assert_int_equal(rd(0xf0000), 0xaa);
    assert_int_equal(ram_ptr[0xf0000], 0x44);
}

/* PAMn's low nibble is the lower 16 KiB, the high nibble the upper. */
static void test_region_layout(void **state)
{
    /* PAM1 low: 0xC0000-0xC3FFF only. */
    cfg_write(0x5a, 0x03, 1);
    assert_int_equal(rd(0xc0000), 0x11);
    assert_int_equal(rd(0xc3fff), 0x11);
    assert_int_equal(rd(0xc4000), 0xff);
    /* A dword write to 0x5C sets PAM3-6: 0xE0000-0xEFFFF read/write. */
    cfg_write(0x5c, 0x33330000, 4);
    assert_int_equal(rd(0xdffff), 0xff);
    assert_int_equal(rd(0xe0000), 0x11);
    assert_int_equal(rd(0xeffff), 0x11);
    assert_int_equal(rd(0xf0000), 0xaa);        /* PAM0 untouched */
    /* Everything, as SeaBIOS's make_bios_writable does. */
    cfg_write(0x58, 0x33333000, 4);
    cfg_write(0x5c, 0x33333333, 4);
    for (hwaddr a = 0xc0000; a < 0x100000; a += 0x4000) {
        assert_int_equal(rd(a), 0x11);
        assert_int_equal(rd(a + 0x3fff), 0x11);
    }
    /* The reserved low nibble of PAM0 changes nothing. */
    cfg_write(0x59, 0x03, 1);
    assert_int_equal(rd(0xf0000), 0xaa);
}

static void test_smram_window(void **state)
{
    assert_int_equal(rd(0xb8000), 0xff);
    cfg_write(0x72, 0x02 | SMRAM_D_OPEN, 1);
    assert_int_equal(rd(0xb8000), 0x11);
    wr(0xa0000, 0x66);
    assert_int_equal(ram_ptr[0xa0000], 0x66);
    cfg_write(0x72, 0x02, 1);
    assert_int_equal(rd(0xa0000), 0xff);
}

static void test_reset_restores_roms(void **state)
{
    cfg_write(0x58, 0x33333000, 4);
    cfg_write(0x5c, 0x33333333, 4);
    cfg_write(0x72, 0x02 | SMRAM_D_OPEN, 1);
    assert_int_equal(rd(0xffff0), 0x11);
    device_cold_reset(DEVICE(i440fx));
    assert_int_equal(cfg_read(0x5c), 0);
    assert_int_equal(rd(0xffff0), 0xaa);
    assert_int_equal(rd(0xc0000), 0xff);
    assert_int_equal(rd(0xa0000), 0xff);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_reset_shows_roms, setup),
        cmocka_unit_test_setup(test_attributes, setup),
        cmocka_unit_test_setup(test_region_layout, setup),
        cmocka_unit_test_setup(test_smram_window, setup),
        cmocka_unit_test_setup(test_reset_restores_roms, setup),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
