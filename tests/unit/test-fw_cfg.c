/*
 * fw_cfg through its I/O ports, as SeaBIOS and Linux use it: signature and
 * feature bits, the sorted file directory, items read by selector, DMA
 * reads, skips and writes into guest RAM, and DMA descriptors with bad
 * addresses reporting the error bit.
 */
#include "test.h"
#include "hw/nvram/fw_cfg.h"
#include "memory/memory.h"
#include "system/main-loop.h"
#include <endian.h>

#define ATTRS MEMTXATTRS_UNSPECIFIED
#define RAM_SIZE (1 * MiB)

static MemoryRegion ram;
static FWCfgState *fw_cfg;

static void outw(uint16_t port, uint16_t v)
{
    address_space_stw_le(&address_space_io, port, v, ATTRS, NULL);
}

static void outl(uint16_t port, uint32_t v)
{
    address_space_stl_le(&address_space_io, port, v, ATTRS, NULL);
}

static uint8_t inb(uint16_t port)
{
    return address_space_ldub(&address_space_io, port, ATTRS, NULL);
}

static void read_item(uint16_t key, void *buf, size_t len)
{
    uint8_t *p = buf;

    outw(FW_CFG_IO_BASE, key);
    for (size_t i = 0; i < len; i++) {
        p[i] = inb(FW_CFG_IO_BASE + 1);
    }
}

static int group_setup(void **state)
{
    bql_lock();
    assert_true(memory_region_init_ram(&ram, NULL, "ram", RAM_SIZE, NULL));
    memory_region_add_subregion(get_system_memory(), 0, &ram);
    return 0;
}

static int setup(void **state)
{
    fw_cfg = fw_cfg_init_io_dma(FW_CFG_IO_BASE, FW_CFG_DMA_IO_BASE,
                                &address_space_memory);
    return 0;
}

static int teardown(void **state)
{
    object_unparent(OBJECT(fw_cfg));
    fw_cfg = NULL;
    return 0;
}

static void test_signature_and_id(void **state)
{
    char sig[5] = "";
    uint32_t id = 0;
    uint8_t dma_sig[8];

    assert_ptr_equal(fw_cfg_find(), fw_cfg);
    read_item(FW_CFG_SIGNATURE, sig, 4);
    assert_string_equal(sig, "QEMU");
    read_item(FW_CFG_ID, &id, 4);           /* one byte, then zeros */
    assert_int_equal(id, FW_CFG_VERSION | FW_CFG_VERSION_DMA);
    /* Reading 0x514 as 64 bits: "QEMU CFG". */
    assert_int_equal(address_space_read(&address_space_io,
                                        FW_CFG_DMA_IO_BASE, ATTRS,
                                        dma_sig, 8), MEMTX_OK);
    assert_memory_equal(dma_sig, "QEMU CFG", 8);
    /* An unknown key reads as zeros. */
    read_item(0x3fff, &id, 4);
    assert_int_equal(id, 0);
}

static void test_numeric_items(void **state)
{
    uint64_t ram_size = 0;
    uint16_t cpus = 0;

    fw_cfg_add_i64(fw_cfg, FW_CFG_RAM_SIZE, 512 * MiB);
    fw_cfg_add_i16(fw_cfg, FW_CFG_NB_CPUS, 4);
    fw_cfg_add_i16(fw_cfg, FW_CFG_MAX_CPUS, 8);
    read_item(FW_CFG_RAM_SIZE, &ram_size, 8);
    assert_int_equal(le64toh(ram_size), 512 * MiB);
    read_item(FW_CFG_NB_CPUS, &cpus, 2);
    assert_int_equal(le16toh(cpus), 4);
    fw_cfg_modify_i16(fw_cfg, FW_CFG_NB_CPUS, 2);
    read_item(FW_CFG_NB_CPUS, &cpus, 2);
    assert_int_equal(le16toh(cpus), 2);
}

static void test_file_dir_sorted(void **state)
{
    const char *names[] = { "etc/e820", "bootorder", "etc/acpi/tables",
                            "genroms/kvmvapic.bin", "etc/acpi/rsdp" };
    const char *sorted[] = { "bootorder", "etc/acpi/rsdp", "etc/acpi/tables",
                             "etc/e820", "genroms/kvmvapic.bin" };
    uint32_t count;
    FWCfgFile f;
    char buf[16];

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        char data[32];
        snprintf(data, sizeof(data), "contents of %zu", i);
        fw_cfg_add_file(fw_cfg, names[i], data, strlen(data));
    }
    outw(FW_CFG_IO_BASE, FW_CFG_FILE_DIR);
    for (int i = 0; i < 4; i++) {
        ((uint8_t *)&count)[i] = inb(FW_CFG_IO_BASE + 1);
    }
    assert_int_equal(be32toh(count), 5);
    for (size_t i = 0; i < ARRAY_SIZE(sorted); i++) {
        for (size_t b = 0; b < sizeof(f); b++) {
            ((uint8_t *)&f)[b] = inb(FW_CFG_IO_BASE + 1);
        }
        assert_string_equal(f.name, sorted[i]);
        assert_int_equal(be16toh(f.select), FW_CFG_FILE_FIRST + i);
        assert_int_equal(be32toh(f.size), strlen("contents of 0"));
    }
    /* Read "etc/e820" (added first, now 4th) by its selector. */
    memset(buf, 0, sizeof(buf));
    read_item(fw_cfg_file_key(fw_cfg, "etc/e820"), buf, 13);
    assert_string_equal(buf, "contents of 0");
    /* Past the end: zeros. */
    assert_int_equal(inb(FW_CFG_IO_BASE + 1), 0);

    fw_cfg_modify_file(fw_cfg, "bootorder", "/pci@i0cf8/ide@1,1\n", 20);
    memset(buf, 0, sizeof(buf));
    read_item(FW_CFG_FILE_FIRST, buf, 4);
    assert_memory_equal(buf, "/pci", 4);
}

/* Write a descriptor at desc_addr in RAM and start DMA; returns control. */
static uint32_t dma(uint64_t desc_addr, uint32_t control, uint32_t length,
                    uint64_t address)
{
    FWCfgDmaAccess d = {
        .control = htobe32(control),
        .length = htobe32(length),
        .address = htobe64(address),
    };

    if (desc_addr < RAM_SIZE) {
        address_space_write(&address_space_memory, desc_addr, ATTRS, &d,
                            sizeof(d));
    }
    /* The guest writes the big-endian address: high half, then low. */
    outl(FW_CFG_DMA_IO_BASE, htobe32(desc_addr >> 32));
    outl(FW_CFG_DMA_IO_BASE + 4, htobe32((uint32_t)desc_addr));
    if (desc_addr >= RAM_SIZE) {
        return 0;
    }
    address_space_read(&address_space_memory, desc_addr, ATTRS, &d, 4);
    return be32toh(d.control);
}

static void test_dma_read(void **state)
{
    const char kernel[] = "kernel image bytes";
    char buf[64];
    uint16_t key;

    fw_cfg_add_bytes(fw_cfg, FW_CFG_KERNEL_DATA, kernel, sizeof(kernel));
    fw_cfg_add_file(fw_cfg, "etc/table-loader", "loader!", 7);

    assert_int_equal(dma(0x1000, FW_CFG_KERNEL_DATA << 16 |
                         FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ,
                         sizeof(kernel), 0x2000), 0);
    address_space_read(&address_space_memory, 0x2000, ATTRS, buf,
                       sizeof(kernel));
    assert_string_equal(buf, kernel);

    /* Skip 2 bytes, read 3 more, then read past the end (zero-filled). */
    key = fw_cfg_file_key(fw_cfg, "etc/table-loader");
    assert_int_equal(dma(0x1000, key << 16 | FW_CFG_DMA_CTL_SELECT |
                         FW_CFG_DMA_CTL_SKIP, 2, 0), 0);
    memset(buf, 'x', sizeof(buf));
    address_space_write(&address_space_memory, 0x3000, ATTRS, buf, 16);
    assert_int_equal(dma(0x1000, FW_CFG_DMA_CTL_READ, 8, 0x3000), 0);
    address_space_read(&address_space_memory, 0x3000, ATTRS, buf, 9);
    assert_memory_equal(buf, "ader!\0\0\0x", 9);
}

static void test_dma_errors(void **state)
{
    char buf[8];
    MemTxResult r;

    fw_cfg_add_bytes(fw_cfg, FW_CFG_KERNEL_DATA, "abcdefgh", 8);
    /* Destination outside RAM: error bit, nothing crashes. */
    assert_int_equal(dma(0x1000, FW_CFG_KERNEL_DATA << 16 |
                         FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 8,
                         0xfff00000000ULL), FW_CFG_DMA_CTL_ERROR);
    /* Crossing the end of RAM. */
    assert_int_equal(dma(0x1000, FW_CFG_KERNEL_DATA << 16 |
                         FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, 8,
                         RAM_SIZE - 4), FW_CFG_DMA_CTL_ERROR);
    /* A descriptor outside RAM is ignored (nowhere to report). */
    dma(0x7fff00000000ULL, FW_CFG_DMA_CTL_READ, 8, 0x2000);
    /* Writing a read-only item fails. */
    assert_int_equal(dma(0x1000, FW_CFG_KERNEL_DATA << 16 |
                         FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_WRITE, 4,
                         0x2000), FW_CFG_DMA_CTL_ERROR);
    read_item(FW_CFG_KERNEL_DATA, buf, 8);
    assert_memory_equal(buf, "abcdefgh", 8);
    /* Selector out of range, bad port widths: logged, ignored. */
    outw(FW_CFG_IO_BASE, 0x7fff);
    assert_int_equal(inb(FW_CFG_IO_BASE + 1), 0);
    address_space_stl_le(&address_space_io, FW_CFG_IO_BASE, 0, ATTRS, &r);
    address_space_stw_le(&address_space_io, FW_CFG_IO_BASE + 1, 0, ATTRS,
                         &r);
    address_space_stb(&address_space_io, FW_CFG_DMA_IO_BASE + 2, 0, ATTRS,
                      &r);
}

static int writes_seen;
static off_t write_start;
static size_t write_len;

static void on_write(void *opaque, off_t start, size_t len)
{
    writes_seen++;
    write_start = start;
    write_len = len;
}

static void test_dma_write_file(void **state)
{
    uint8_t zero[8] = { 0 };
    const uint8_t *data;
    size_t len;
    uint16_t key;

    fw_cfg_add_file_callback(fw_cfg, "etc/smi/features-ok", NULL, on_write,
                             NULL, zero, sizeof(zero), false);
    key = fw_cfg_file_key(fw_cfg, "etc/smi/features-ok");
    address_space_write(&address_space_memory, 0x2000, ATTRS, "\x01\x02", 2);
    assert_int_equal(dma(0x1000, key << 16 | FW_CFG_DMA_CTL_SELECT |
                         FW_CFG_DMA_CTL_SKIP, 3, 0), 0);
    assert_int_equal(dma(0x1000, FW_CFG_DMA_CTL_WRITE, 2, 0x2000), 0);
    assert_int_equal(writes_seen, 1);
    assert_int_equal(write_start, 3);
    assert_int_equal(write_len, 2);
    data = fw_cfg_get_file(fw_cfg, "etc/smi/features-ok", &len);
    assert_int_equal(len, 8);
    assert_int_equal(data[3], 1);
    assert_int_equal(data[4], 2);
    /* Writing past the end fails. */
    assert_int_equal(dma(0x1000, FW_CFG_DMA_CTL_WRITE, 8, 0x2000),
                     FW_CFG_DMA_CTL_ERROR);
}

static void test_reset_selects_signature(void **state)
{
    outw(FW_CFG_IO_BASE, FW_CFG_ID);
    device_cold_reset(DEVICE(fw_cfg));
    assert_int_equal(inb(FW_CFG_IO_BASE + 1), 'Q');
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_signature_and_id, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_numeric_items, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_dir_sorted, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_dma_read, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_dma_write_file, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_reset_selects_signature, setup,
                                        teardown),
    };

    return cmocka_run_group_tests(tests, group_setup, NULL);
}
