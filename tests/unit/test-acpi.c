/*
 * Unit tests for the AML builder, the BIOS linker/loader and the pc
 * machine's ACPI tables.
 */
#include "test.h"
#include "hw/acpi/aml-build.h"
#include "hw/acpi/bios-linker-loader.h"
#include "hw/i386/acpi-build.h"
#include "hw/i386/mptable.h"

#define TABLES_ADDR 0x7fe0000ULL
#define RSDP_ADDR 0xf5a40ULL

static uint64_t le(const uint8_t *p, int size)
{
    uint64_t v = 0;

    for (int i = size - 1; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

/* Bytes of a closed AML term. */
static ByteArray *aml_bytes(Aml *aml)
{
    ByteArray *a = byte_array_new();

    aml_append_to_array(a, aml);
    return a;
}

static void assert_aml(Aml *aml, const uint8_t *want, size_t len)
{
    ByteArray *a = aml_bytes(aml);

    assert_int_equal(a->len, len);
    assert_memory_equal(a->data, want, len);
    byte_array_free(a);
}

#define ASSERT_AML(aml, ...) do {                                   \
        static const uint8_t want_[] = { __VA_ARGS__ };             \
        assert_aml((aml), want_, sizeof(want_));                    \
    } while (0)

/* ---- AML ---------------------------------------------------------------- */

static void check_pkg_length(size_t length, bool incl_self,
                             const uint8_t *want, int n)
{
    uint8_t out[4];

    assert_int_equal(aml_pkg_length_encode(out, length, incl_self), n);
    assert_memory_equal(out, want, n);
}

#define PKGLEN(len, self, ...) do {                                 \
        static const uint8_t w_[] = { __VA_ARGS__ };                \
        check_pkg_length((len), (self), w_, sizeof(w_));            \
    } while (0)

static void test_pkg_length(void **state)
{
    PKGLEN(0, false, 0x00);
    PKGLEN(63, false, 0x3f);
    PKGLEN(64, false, 0x40, 0x04);
    PKGLEN(4095, false, 0x4f, 0xff);
    PKGLEN(4096, false, 0x80, 0x00, 0x01);
    PKGLEN(1 * MiB - 1, false, 0x8f, 0xff, 0xff);
    PKGLEN(1 * MiB, false, 0xc0, 0x00, 0x00, 0x01);
    PKGLEN(0xfffffff, false, 0xcf, 0xff, 0xff, 0xff);

    /* Counting its own bytes can push the encoding one size up. */
    PKGLEN(62, true, 0x3f);
    PKGLEN(63, true, 0x41, 0x04);            /* 65 in 2 bytes */
    PKGLEN(4093, true, 0x4f, 0xff);          /* 4095 */
    PKGLEN(4094, true, 0x81, 0x00, 0x01);    /* 4097 in 3 bytes */
    PKGLEN(1 * MiB - 4, true, 0x8f, 0xff, 0xff);
    PKGLEN(1 * MiB - 3, true, 0xc1, 0x00, 0x00, 0x01);
}

/* A scope whose body makes the PkgLength cross an encoding boundary. */
static void test_pkg_length_in_scope(void **state)
{
    static const size_t bodies[] = { 58, 59, 4090, 4091, 1 * MiB - 10 };

    for (size_t i = 0; i < ARRAY_SIZE(bodies); i++) {
        Aml *scope = aml_scope("TEST");       /* 4 name bytes */
        Aml *raw = aml_new();
        ByteArray *a;
        uint8_t enc[4];
        int n;

        /* Raw filler so the body (name + filler) is exactly bodies[i]. */
        byte_array_set_size(raw->buf, bodies[i] - 4);
        aml_append(scope, raw);
        a = aml_bytes(scope);
        n = aml_pkg_length_encode(enc, bodies[i], true);
        assert_int_equal(a->len, 1 + n + bodies[i]);
        assert_int_equal(a->data[0], 0x10);
        assert_memory_equal(a->data + 1, enc, n);
        assert_memory_equal(a->data + 1 + n, "TEST", 4);
        byte_array_free(a);
    }
}

static void test_aml_integers(void **state)
{
    ASSERT_AML(aml_int(0), 0x00);
    ASSERT_AML(aml_int(1), 0x01);
    ASSERT_AML(aml_int(2), 0x0a, 0x02);
    ASSERT_AML(aml_int(0xff), 0x0a, 0xff);
    ASSERT_AML(aml_int(0x100), 0x0b, 0x00, 0x01);
    ASSERT_AML(aml_int(0xffff), 0x0b, 0xff, 0xff);
    ASSERT_AML(aml_int(0x10000), 0x0c, 0x00, 0x00, 0x01, 0x00);
    ASSERT_AML(aml_int(0xffffffff), 0x0c, 0xff, 0xff, 0xff, 0xff);
    ASSERT_AML(aml_int(0x100000000ULL),
               0x0e, 0, 0, 0, 0, 1, 0, 0, 0);
    ASSERT_AML(aml_string("A%d", 1), 0x0d, 'A', '1', 0x00);
    ASSERT_AML(aml_eisaid("PNP0A03"), 0x0c, 0x41, 0xd0, 0x0a, 0x03);
    ASSERT_AML(aml_local(2), 0x62);
    ASSERT_AML(aml_arg(6), 0x6e);
}

static void test_aml_names(void **state)
{
    ByteArray *a = byte_array_new();

    ASSERT_AML(aml_name("_S5"), '_', 'S', '5', '_');
    ASSERT_AML(aml_name("\\_SB.PCI0"),
               '\\', 0x2e, '_', 'S', 'B', '_', 'P', 'C', 'I', '0');
    ASSERT_AML(aml_name("\\_SB.PCI0.ISA"),
               '\\', 0x2f, 3, '_', 'S', 'B', '_', 'P', 'C', 'I', '0',
               'I', 'S', 'A', '_');
    ASSERT_AML(aml_name("^^FOO"), '^', '^', 'F', 'O', 'O', '_');
    ASSERT_AML(aml_name("\\"), '\\', 0x00);

    assert_false(build_append_namestring(a, "1ABC"));
    assert_false(build_append_namestring(a, "ABCDE"));
    assert_false(build_append_namestring(a, "AB..CD"));
    assert_false(build_append_namestring(a, "AB."));
    assert_false(build_append_namestring(a, "ab"));
    assert_int_equal(a->len, 0);
    byte_array_free(a);
}

static void test_aml_blocks(void **state)
{
    Aml *method, *ifc, *dev, *field;

    ASSERT_AML(aml_name_decl("_UID", aml_int(0)),
               0x08, '_', 'U', 'I', 'D', 0x00);
    ASSERT_AML(aml_package(2), 0x12, 0x02, 0x02);
    ASSERT_AML(aml_buffer(2, (const uint8_t[]){ 0xaa, 0xbb }),
               0x11, 0x05, 0x0a, 0x02, 0xaa, 0xbb);

    /* Method(TEST, 2, Serialized) { If (Arg0 == 1) { Return (Arg1) } } */
    method = aml_method("TEST", 2, AML_SERIALIZED);
    ifc = aml_if(aml_equal(aml_arg(0), aml_int(1)));
    aml_append(ifc, aml_return(aml_arg(1)));
    aml_append(method, ifc);
    aml_append(method, aml_else());
    ASSERT_AML(method,
               0x14, 0x0f, 'T', 'E', 'S', 'T', 0x0a,
               0xa0, 0x06, 0x93, 0x68, 0x01, 0xa4, 0x69,
               0xa1, 0x01);

    dev = aml_device("DEV");
    ASSERT_AML(dev, 0x5b, 0x82, 0x05, 'D', 'E', 'V', '_');

    ASSERT_AML(aml_operation_region("PMIO", AML_SYSTEM_IO, aml_int(0x600),
                                    0x40),
               0x5b, 0x80, 'P', 'M', 'I', 'O', 0x01, 0x0b, 0x00, 0x06,
               0x0a, 0x40);
    field = aml_field("PMIO", AML_WORD_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);
    aml_append(field, aml_reserved_field(32));
    aml_append(field, aml_named_field("SLP", 16));
    ASSERT_AML(field,
               0x5b, 0x81, 0x0d, 'P', 'M', 'I', 'O', 0x42,
               0x00, 0x20, 'S', 'L', 'P', '_', 0x10);

    ASSERT_AML(aml_store(aml_int(5), aml_local(0)), 0x70, 0x0a, 0x05, 0x60);
    ASSERT_AML(aml_and(aml_local(0), aml_int(3), NULL),
               0x7b, 0x60, 0x0a, 0x03, 0x00);
    ASSERT_AML(aml_or(aml_local(0), aml_int(3), aml_local(1)),
               0x7d, 0x60, 0x0a, 0x03, 0x61);
}

static void test_aml_resources(void **state)
{
    Aml *crs = aml_resource_template();
    uint32_t irq = 9;
    ByteArray *a;
    size_t hdr;

    aml_append(crs, aml_io(AML_DECODE16, 0x3f8, 0x3f8, 0, 8));
    aml_append(crs, aml_irq_no_flags(4));
    aml_append(crs, aml_interrupt(AML_CONSUMER, AML_LEVEL, AML_ACTIVE_HIGH,
                                  AML_EXCLUSIVE, &irq, 1));
    aml_append(crs, aml_word_bus_number(AML_MIN_FIXED, AML_MAX_FIXED,
                                        AML_POS_DECODE, 0, 0, 0xff, 0,
                                        0x100));
    a = aml_bytes(crs);
    /* BufferOp PkgLength BufferSize(BytePrefix n) */
    assert_int_equal(a->data[0], 0x11);
    hdr = 4;
    assert_int_equal(a->data[2], 0x0a);
    assert_int_equal(a->data[3], a->len - hdr);
    assert_memory_equal(a->data + hdr,
                        ((const uint8_t[]){ 0x47, 0x01, 0xf8, 0x03, 0xf8,
                                            0x03, 0x00, 0x08,
                                            0x22, 0x10, 0x00,
                                            0x89, 0x06, 0x00, 0x01, 0x01,
                                            0x09, 0x00, 0x00, 0x00,
                                            0x88, 0x0d, 0x00, 0x02, 0x0c,
                                            0x00 }), 26);
    /* EndTag last, its checksum makes the template sum to zero. */
    assert_int_equal(a->data[a->len - 2], 0x79);
    assert_int_equal(acpi_checksum(a->data + hdr, a->len - hdr), 0);
    byte_array_free(a);
}

/* ---- Linker/loader ------------------------------------------------------ */

static void test_linker_encoding(void **state)
{
    BIOSLinker *linker = bios_linker_loader_init();
    ByteArray *tables = byte_array_new(), *rsdp = byte_array_new();
    const uint8_t *e;

    byte_array_set_size(tables, 100);
    byte_array_set_size(rsdp, 36);
    tables->data[50] = 0x77;
    bios_linker_loader_alloc(linker, "etc/acpi/tables", tables, 64, false);
    bios_linker_loader_alloc(linker, "etc/acpi/rsdp", rsdp, 16, true);
    bios_linker_loader_add_pointer(linker, "etc/acpi/rsdp", 16, 4,
                                   "etc/acpi/tables", 0x20);
    bios_linker_loader_add_checksum(linker, "etc/acpi/tables", 40, 60, 50);
    assert_int_equal(linker->cmd_blob->len, 4 * 128);

    e = linker->cmd_blob->data;
    assert_int_equal(le(e, 4), BIOS_LINKER_LOADER_COMMAND_ALLOCATE);
    assert_string_equal((const char *)e + 4, "etc/acpi/tables");
    for (int i = 4 + 15; i < 4 + 56; i++) {
        assert_int_equal(e[i], 0);
    }
    assert_int_equal(le(e + 60, 4), 64);
    assert_int_equal(e[64], BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH);
    for (int i = 65; i < 128; i++) {
        assert_int_equal(e[i], 0);
    }

    e += 128;
    assert_int_equal(le(e, 4), BIOS_LINKER_LOADER_COMMAND_ALLOCATE);
    assert_string_equal((const char *)e + 4, "etc/acpi/rsdp");
    assert_int_equal(le(e + 60, 4), 16);
    assert_int_equal(e[64], BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG);

    e += 128;
    assert_int_equal(le(e, 4), BIOS_LINKER_LOADER_COMMAND_ADD_POINTER);
    assert_string_equal((const char *)e + 4, "etc/acpi/rsdp");
    assert_string_equal((const char *)e + 60, "etc/acpi/tables");
    assert_int_equal(le(e + 116, 4), 16);
    assert_int_equal(e[120], 4);
    /* The pointer field now holds the offset into the source file. */
    assert_int_equal(le(rsdp->data + 16, 4), 0x20);

    e += 128;
    assert_int_equal(le(e, 4), BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM);
    assert_string_equal((const char *)e + 4, "etc/acpi/tables");
    assert_int_equal(le(e + 60, 4), 50);
    assert_int_equal(le(e + 64, 4), 40);
    assert_int_equal(le(e + 68, 4), 60);
    /* The checksum byte is zeroed for the loader to subtract from. */
    assert_int_equal(tables->data[50], 0);

    bios_linker_loader_cleanup(linker);
    byte_array_free(tables);
    byte_array_free(rsdp);
}

static void test_linker_run(void **state)
{
    BIOSLinker *linker = bios_linker_loader_init();
    ByteArray *a = byte_array_new(), *b = byte_array_new();
    BIOSLinkerLoaderFile files[2];
    Error *err = NULL;

    byte_array_set_size(a, 64);
    byte_array_set_size(b, 32);
    a->data[3] = 0x55;
    bios_linker_loader_alloc(linker, "a", a, 64, false);
    bios_linker_loader_alloc(linker, "b", b, 16, true);
    bios_linker_loader_add_pointer(linker, "b", 8, 8, "a", 0x10);
    bios_linker_loader_add_pointer(linker, "a", 0, 2, "b", 4);
    bios_linker_loader_add_checksum(linker, "b", 0, 32, 31);

    files[0] = (BIOSLinkerLoaderFile) { "a", a->data, a->len, 0x100000 };
    files[1] = (BIOSLinkerLoaderFile) { "b", b->data, b->len, 0xf0000 };
    /* 0xf0004 does not fit the 2-byte pointer in "a". */
    assert_false(bios_linker_loader_run(linker->cmd_blob->data,
                                        linker->cmd_blob->len, files, 2,
                                        &err));
    assert_non_null(strstr(error_get_pretty(err), "2-byte pointer"));
    error_free(err);
    err = NULL;
    bios_linker_loader_cleanup(linker);

    /* Same without the narrow pointer. */
    linker = bios_linker_loader_init();
    memset(a->data, 0, a->len);
    memset(b->data, 0, b->len);
    a->data[3] = 0x55;
    bios_linker_loader_alloc(linker, "a", a, 64, false);
    bios_linker_loader_alloc(linker, "b", b, 16, true);
    bios_linker_loader_add_pointer(linker, "b", 8, 8, "a", 0x10);
    bios_linker_loader_add_checksum(linker, "b", 0, 32, 31);
    bios_linker_loader_add_checksum(linker, "a", 0, 64, 9);
    assert_true(bios_linker_loader_run(linker->cmd_blob->data,
                                       linker->cmd_blob->len, files, 2,
                                       &error_abort));
    assert_int_equal(le(b->data + 8, 8), 0x100010);
    assert_int_equal(acpi_checksum(b->data, 32), 0);
    assert_int_equal(acpi_checksum(a->data, 64), 0);
    assert_int_equal(a->data[9], (uint8_t)-0x55);

    /* Misplaced files are refused with a reason. */
    files[0].addr = 0x100020;
    assert_false(bios_linker_loader_run(linker->cmd_blob->data,
                                        linker->cmd_blob->len, files, 2,
                                        &err));
    assert_non_null(strstr(error_get_pretty(err), "aligned"));
    error_free(err);
    err = NULL;
    files[0].addr = 0x100000;
    files[1].addr = 0xd0000;
    assert_false(bios_linker_loader_run(linker->cmd_blob->data,
                                        linker->cmd_blob->len, files, 2,
                                        &err));
    assert_non_null(strstr(error_get_pretty(err), "0xE0000-0xFFFFF"));
    error_free(err);
    err = NULL;
    files[1].addr = 0xf0000;

    /* Missing file, truncated script. */
    assert_false(bios_linker_loader_run(linker->cmd_blob->data,
                                        linker->cmd_blob->len, files, 1,
                                        &err));
    assert_non_null(strstr(error_get_pretty(err), "no file 'b'"));
    error_free(err);
    err = NULL;
    assert_false(bios_linker_loader_run(linker->cmd_blob->data, 100, files,
                                        2, &err));
    error_free(err);
    err = NULL;

    bios_linker_loader_cleanup(linker);
    byte_array_free(a);
    byte_array_free(b);
}

static void test_linker_run_malformed(void **state)
{
    uint8_t script[3 * 128];
    uint8_t data[64] = { 0 };
    BIOSLinkerLoaderFile f = { "f", data, sizeof(data), 0x1000 };
    Error *err = NULL;

    memset(script, 0, sizeof(script));
    /* ALLOCATE with a name that fills the field without a NUL. */
    script[0] = BIOS_LINKER_LOADER_COMMAND_ALLOCATE;
    memset(script + 4, 'x', 56);
    assert_false(bios_linker_loader_run(script, 128, &f, 1, &err));
    assert_non_null(strstr(error_get_pretty(err), "NUL"));
    error_free(err);
    err = NULL;

    /* Good ALLOCATE, then a checksum reaching past the file. */
    memset(script + 4, 0, 56);
    script[4] = 'f';
    script[60] = 16;
    script[64] = BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH;
    script[128] = BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM;
    script[132] = 'f';
    script[188] = 0;          /* offset */
    script[192] = 0x10;       /* start */
    script[196] = 0x40;       /* length: 0x10 + 0x40 > 64 */
    assert_false(bios_linker_loader_run(script, 256, &f, 1, &err));
    assert_non_null(strstr(error_get_pretty(err), "outside"));
    error_free(err);
    err = NULL;

    /* An unknown command is skipped; a zero entry too. */
    script[128] = 0x7f;
    assert_true(bios_linker_loader_run(script, sizeof(script), &f, 1,
                                       &error_abort));
}

/* ---- Tables ------------------------------------------------------------- */

static const uint8_t *direct_table_at(const PcAcpiDirect *d, uint64_t addr,
                                      const char *sig)
{
    const uint8_t *t;

    assert_true(addr >= d->tables_addr);
    assert_true(addr - d->tables_addr + 36 <= d->tables->len);
    t = d->tables->data + (addr - d->tables_addr);
    assert_memory_equal(t, sig, 4);
    assert_true(addr - d->tables_addr + le(t + 4, 4) <= d->tables->len);
    return t;
}

static unsigned count_madt_entries(const uint8_t *madt, unsigned *cpus,
                                   unsigned *ioapics, unsigned *overrides,
                                   unsigned *nmis)
{
    uint32_t len = le(madt + 4, 4);
    unsigned n = 0;

    *cpus = *ioapics = *overrides = *nmis = 0;
    for (uint32_t off = 44; off < len; n++) {
        uint8_t type = madt[off], elen = madt[off + 1];

        assert_true(elen >= 2 && off + elen <= len);
        switch (type) {
        case 0:
            assert_int_equal(elen, 8);
            assert_int_equal(le(madt + off + 4, 4), 1);
            (*cpus)++;
            break;
        case 1:
            assert_int_equal(elen, 12);
            assert_int_equal(le(madt + off + 4, 4), 0xfec00000);
            (*ioapics)++;
            break;
        case 2:
            assert_int_equal(elen, 10);
            (*overrides)++;
            break;
        case 4:
            assert_int_equal(elen, 6);
            assert_int_equal(madt[off + 5], 1); /* LINT1 */
            (*nmis)++;
            break;
        default:
            fail_msg("unexpected MADT entry type %u", type);
        }
        off += elen;
    }
    return n;
}

static void check_direct(const PcAcpiConfig *cfg)
{
    PcAcpiDirect d;
    const uint8_t *r, *xsdt, *rsdt, *fadt, *madt, *dsdt;
    unsigned nent, cpus, ioapics, overrides, nmis;
    const char *want[] = { "FACP", "APIC", "HPET" };

    assert_true(pc_acpi_build_direct(cfg, TABLES_ADDR, RSDP_ADDR, &d,
                                     &error_abort));

    /* Every table: length field right, checksum zero. */
    for (unsigned i = 0; i < d.ntables; i++) {
        const uint8_t *t = d.tables->data + d.index[i].offset;

        assert_memory_equal(t, d.index[i].sig, 4);
        assert_int_equal(le(t + 4, 4), d.index[i].length);
        assert_int_equal(acpi_checksum(t, d.index[i].length), 0);
        assert_memory_equal(t + 10, "OSPREY", 6);
    }

    /* RSDP */
    r = d.rsdp->data;
    assert_int_equal(d.rsdp->len, ACPI_RSDP_SIZE);
    assert_memory_equal(r, "RSD PTR ", 8);
    assert_int_equal(r[15], 2);
    assert_int_equal(le(r + 20, 4), ACPI_RSDP_SIZE);
    assert_int_equal(acpi_checksum(r, 20), 0);
    assert_int_equal(acpi_checksum(r, 36), 0);

    /* RSDT and XSDT list the same tables, which are the right ones. */
    rsdt = direct_table_at(&d, le(r + 16, 4), "RSDT");
    xsdt = direct_table_at(&d, le(r + 24, 8), "XSDT");
    nent = (le(xsdt + 4, 4) - 36) / 8;
    assert_int_equal(nent, cfg->has_hpet ? 3 : 2);
    assert_int_equal((le(rsdt + 4, 4) - 36) / 4, nent);
    for (unsigned i = 0; i < nent; i++) {
        uint64_t x = le(xsdt + 36 + 8 * i, 8);

        assert_int_equal(le(rsdt + 36 + 4 * i, 4), x);
        direct_table_at(&d, x, want[i]);
    }

    /* FADT: FACS (64-byte aligned) and both DSDT pointers. */
    fadt = direct_table_at(&d, le(xsdt + 36, 8), "FACP");
    assert_int_equal(le(fadt + 4, 4), ACPI_FADT_SIZE);
    assert_int_equal(fadt[8], 6);
    assert_int_equal(le(fadt + 36, 4) % 64, 0);
    direct_table_at(&d, le(fadt + 36, 4), "FACS");
    assert_int_equal(le(d.tables->data + le(fadt + 36, 4) - TABLES_ADDR + 4,
                        4), ACPI_FACS_SIZE);
    dsdt = direct_table_at(&d, le(fadt + 40, 4), "DSDT");
    assert_int_equal(le(fadt + 140, 8), le(fadt + 40, 4));
    assert_true(dsdt[36] == 0x10); /* ScopeOp: \_SB */
    assert_int_equal(le(fadt + 46, 2), cfg->sci_irq);
    assert_int_equal(le(fadt + 56, 4), cfg->pm_io_base);
    assert_int_equal(le(fadt + 64, 4), cfg->pm_io_base + 4);
    assert_int_equal(le(fadt + 76, 4), cfg->pm_io_base + 8);
    assert_true(le(fadt + 112, 4) & (1u << 10));      /* RESET_REG_SUP */
    assert_int_equal(fadt[116], 1);                   /* SystemIO */
    assert_int_equal(le(fadt + 120, 8), 0xcf9);
    assert_int_equal(fadt[128], 0x06);
    assert_int_equal(le(fadt + 172 + 4, 8), cfg->pm_io_base + 4);
    assert_int_equal(!!(le(fadt + 112, 4) & (1u << 18)), cfg->cpu_count > 8);

    /* MADT: a LAPIC per CPU, one IOAPIC, the overrides, one NMI. */
    madt = direct_table_at(&d, le(xsdt + 44, 8), "APIC");
    nent = count_madt_entries(madt, &cpus, &ioapics, &overrides, &nmis);
    assert_int_equal(cpus, cfg->cpu_count);
    assert_int_equal(ioapics, 1);
    assert_int_equal(overrides,
                     1 + __builtin_popcount(pc_acpi_level_irq_mask(cfg)));
    assert_int_equal(nmis, 1);
    assert_int_equal(nent, cpus + ioapics + overrides + nmis);
    for (unsigned i = 0; i < cfg->cpu_count; i++) {
        assert_int_equal(madt[44 + 8 * i + 2], i);
        assert_int_equal(madt[44 + 8 * i + 3], cfg->apic_ids[i]);
    }

    pc_acpi_direct_cleanup(&d);
}

static void test_tables_direct(void **state)
{
    static const unsigned counts[] = { 1, 2, 8, 9, 64, 255 };
    PcAcpiConfig cfg;

    for (size_t i = 0; i < ARRAY_SIZE(counts); i++) {
        pc_acpi_config_init(&cfg, counts[i]);
        check_direct(&cfg);
    }

    /* Sparse APIC ids, no HPET, 64-bit window, no ISA devices. */
    pc_acpi_config_init(&cfg, 4);
    for (int i = 0; i < 4; i++) {
        cfg.apic_ids[i] = 2 * i + 1;
    }
    cfg.has_hpet = false;
    cfg.has_serial = cfg.has_rtc = cfg.has_i8042 = false;
    cfg.pci_mmio64_base = 0x8000000000ULL;
    cfg.pci_mmio64_size = 0x800000000ULL;
    cfg.pci_gsi[2] = cfg.pci_gsi[3] = 5;
    check_direct(&cfg);
}

static void test_fw_cfg_blobs(void **state)
{
    PcAcpiConfig cfg;
    AcpiBuildTables t;
    AcpiFwCfgBlob blobs[PC_ACPI_FW_CFG_BLOBS];
    const AcpiTableLocation *facs_loc, *fadt_loc, *dsdt_loc;
    const uint8_t *e;

    pc_acpi_config_init(&cfg, 2);
    assert_true(pc_acpi_build(&cfg, &t, &error_abort));
    pc_acpi_fw_cfg_blobs(&t, blobs);
    assert_string_equal(blobs[0].name, "etc/acpi/tables");
    assert_string_equal(blobs[1].name, "etc/acpi/rsdp");
    assert_string_equal(blobs[2].name, "etc/table-loader");
    assert_int_equal(blobs[1].size, ACPI_RSDP_SIZE);
    assert_int_equal(blobs[2].size % 128, 0);

    /* FACS first; pointers in the blob are offsets into the blob. */
    assert_memory_equal(blobs[0].data, "FACS", 4);
    facs_loc = acpi_build_find_table(&t, "FACS");
    assert_null(facs_loc); /* FACS has no header of the usual kind */
    fadt_loc = acpi_build_find_table(&t, "FACP");
    dsdt_loc = acpi_build_find_table(&t, "DSDT");
    assert_non_null(fadt_loc);
    assert_non_null(dsdt_loc);
    assert_int_equal(le(blobs[0].data + fadt_loc->offset + 36, 4), 0);
    assert_int_equal(le(blobs[0].data + fadt_loc->offset + 40, 4),
                     dsdt_loc->offset);
    /* Checksums are the loader's job: left zero. */
    assert_int_equal(blobs[0].data[fadt_loc->offset + 9], 0);
    assert_int_equal(blobs[1].data[8], 0);

    /* First command allocates the tables, HIGH zone, 64-byte aligned. */
    e = blobs[2].data;
    assert_int_equal(le(e, 4), BIOS_LINKER_LOADER_COMMAND_ALLOCATE);
    assert_string_equal((const char *)e + 4, "etc/acpi/tables");
    assert_int_equal(le(e + 60, 4), 64);
    assert_int_equal(e[64], BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH);
    /* Every table's checksum is requested; the RSDP gets two. */
    {
        unsigned checksums = 0, rsdp_alloc = 0;

        for (size_t off = 0; off < blobs[2].size; off += 128) {
            e = blobs[2].data + off;
            if (le(e, 4) == BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM) {
                checksums++;
            }
            if (le(e, 4) == BIOS_LINKER_LOADER_COMMAND_ALLOCATE &&
                !strcmp((const char *)e + 4, "etc/acpi/rsdp")) {
                assert_int_equal(e[64], BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG);
                rsdp_alloc++;
            }
        }
        assert_int_equal(checksums, t.ntables + 2);
        assert_int_equal(rsdp_alloc, 1);
    }
    acpi_build_tables_cleanup(&t);
}

static void expect_config_error(PcAcpiConfig *cfg, const char *what)
{
    AcpiBuildTables t;
    PcAcpiDirect d;
    Error *err = NULL;

    assert_false(pc_acpi_build(cfg, &t, &err));
    assert_non_null(err);
    if (!strstr(error_get_pretty(err), what)) {
        fail_msg("error '%s' lacks '%s'", error_get_pretty(err), what);
    }
    error_free(err);
    err = NULL;
    assert_false(pc_acpi_build_direct(cfg, TABLES_ADDR, RSDP_ADDR, &d, &err));
    error_free(err);
}

static void test_config_errors(void **state)
{
    PcAcpiConfig cfg;
    PcAcpiDirect d;
    Error *err = NULL;

    pc_acpi_config_init(&cfg, 0);
    expect_config_error(&cfg, "cpu_count 0");
    pc_acpi_config_init(&cfg, 256);
    expect_config_error(&cfg, "cpu_count 256");
    pc_acpi_config_init(&cfg, 2);
    cfg.apic_ids[1] = 0;
    expect_config_error(&cfg, "share APIC id 0");
    pc_acpi_config_init(&cfg, 2);
    cfg.apic_ids[1] = 300;
    expect_config_error(&cfg, "APIC id 300");
    pc_acpi_config_init(&cfg, 2);
    cfg.oem_id = "TOOLONGID";
    expect_config_error(&cfg, "OEM id");
    pc_acpi_config_init(&cfg, 2);
    cfg.sci_irq = 16;
    expect_config_error(&cfg, "SCI IRQ 16");
    pc_acpi_config_init(&cfg, 2);
    cfg.pm_io_base = 0xfff0;
    expect_config_error(&cfg, "PM I/O base");
    pc_acpi_config_init(&cfg, 2);
    cfg.pci_mmio32_base = 0xf0000000;
    cfg.pci_mmio32_size = 0x20000000;
    expect_config_error(&cfg, "32-bit PCI window");

    /* Layout errors come from running the loader script. */
    pc_acpi_config_init(&cfg, 2);
    assert_false(pc_acpi_build_direct(&cfg, TABLES_ADDR, 0x9fc00, &d, &err));
    assert_non_null(strstr(error_get_pretty(err), "etc/acpi/rsdp"));
    error_free(err);
    err = NULL;
    assert_false(pc_acpi_build_direct(&cfg, TABLES_ADDR + 8, RSDP_ADDR, &d,
                                      &err));
    assert_non_null(strstr(error_get_pretty(err), "64-byte aligned"));
    error_free(err);
    err = NULL;
    assert_false(pc_acpi_build_direct(&cfg, 0xffffff00, RSDP_ADDR, &d, &err));
    assert_non_null(strstr(error_get_pretty(err), "4 GiB"));
    error_free(err);
}

static void test_pci_routing(void **state)
{
    PcAcpiConfig cfg;

    pc_acpi_config_init(&cfg, 1);
    /* PIIX swizzle with SeaBIOS's default PIRQ routing 10, 10, 11, 11. */
    assert_int_equal(pc_acpi_pci_slot_gsi(&cfg, 1, 0), 10);  /* PIRQA */
    assert_int_equal(pc_acpi_pci_slot_gsi(&cfg, 1, 2), 11);  /* PIRQC */
    assert_int_equal(pc_acpi_pci_slot_gsi(&cfg, 0, 0), 11);  /* PIRQD */
    assert_int_equal(pc_acpi_pci_slot_gsi(&cfg, 3, 1), 11);  /* PIRQD */
    assert_int_equal(pc_acpi_level_irq_mask(&cfg),
                     (1 << 9) | (1 << 10) | (1 << 11));
}

/* ---- MP table ----------------------------------------------------------- */

static void check_mptable(const PcAcpiConfig *cfg, uint32_t addr)
{
    ByteArray *a = byte_array_new();
    const uint8_t *fp, *ct, *e;
    unsigned count, cpus = 0, buses = 0, ioapics = 0, ioints = 0, locals = 0;
    bool saw_irq0 = false, saw_sci = false, saw_pci = false;
    uint16_t len;

    assert_true(mptable_build(cfg, addr, a, &error_abort));
    fp = a->data;
    assert_memory_equal(fp, "_MP_", 4);
    assert_int_equal(le(fp + 4, 4), addr + 16);
    assert_int_equal(fp[8], 1);
    assert_int_equal(fp[9], 4);
    assert_int_equal(acpi_checksum(fp, 16), 0);
    assert_int_equal(fp[11], 0); /* a configuration table follows */

    ct = fp + 16;
    assert_memory_equal(ct, "PCMP", 4);
    len = le(ct + 4, 2);
    assert_int_equal(16 + len, a->len);
    assert_int_equal(ct[6], 4);
    assert_int_equal(acpi_checksum(ct, len), 0);
    assert_int_equal(le(ct + 36, 4), cfg->lapic_addr);
    count = le(ct + 34, 2);

    e = ct + 44;
    for (unsigned i = 0; i < count; i++) {
        assert_true(e < ct + len);
        switch (e[0]) {
        case 0:
            assert_int_equal(e[1], cfg->apic_ids[cpus]);
            assert_int_equal(e[3], cpus == 0 ? 3 : 1); /* EN, BP */
            cpus++;
            e += 20;
            break;
        case 1:
            assert_memory_equal(e + 2, buses == 0 ? "PCI   " : "ISA   ", 6);
            buses++;
            e += 8;
            break;
        case 2:
            assert_int_equal(e[1], cfg->ioapic_id);
            assert_int_equal(le(e + 4, 4), cfg->ioapic_addr);
            ioapics++;
            e += 8;
            break;
        case 3:
            assert_int_equal(e[6], cfg->ioapic_id);
            if (e[4] == 1 && e[5] == 0) {
                assert_int_equal(e[7], 2);
                saw_irq0 = true;
            }
            if (e[4] == 1 && e[5] == cfg->sci_irq) {
                assert_int_equal(le(e + 2, 2), 0xd);
                saw_sci = true;
            }
            if (e[4] == 0 && e[5] == ((2 << 2) | 1)) {
                assert_int_equal(e[7], pc_acpi_pci_slot_gsi(cfg, 2, 1));
                assert_int_equal(le(e + 2, 2), 0xd);
                saw_pci = true;
            }
            ioints++;
            e += 8;
            break;
        case 4:
            locals++;
            e += 8;
            break;
        default:
            fail_msg("unexpected MP entry type %u", e[0]);
        }
    }
    assert_ptr_equal(e, ct + len);
    assert_int_equal(cpus, cfg->cpu_count);
    assert_int_equal(buses, 2);
    assert_int_equal(ioapics, 1);
    assert_int_equal(ioints, 31 * 4 + 15);
    assert_int_equal(locals, 2);
    assert_true(saw_irq0 && saw_sci && saw_pci);
    byte_array_free(a);
}

static void test_mptable(void **state)
{
    PcAcpiConfig cfg;
    ByteArray *a = byte_array_new();
    Error *err = NULL;

    pc_acpi_config_init(&cfg, 1);
    check_mptable(&cfg, 0xf0000);
    pc_acpi_config_init(&cfg, 16);
    cfg.apic_ids[0] = 4;
    cfg.apic_ids[4] = 0;
    check_mptable(&cfg, 0x9fc00);

    assert_false(mptable_build(&cfg, 0xf0008, a, &err));
    assert_non_null(strstr(error_get_pretty(err), "16-byte aligned"));
    error_free(err);
    err = NULL;
    assert_false(mptable_build(&cfg, 0xfff00, a, &err));
    assert_non_null(strstr(error_get_pretty(err), "below 1 MiB"));
    error_free(err);
    err = NULL;
    cfg.cpu_count = 0;
    assert_false(mptable_build(&cfg, 0xf0000, a, &err));
    error_free(err);
    assert_int_equal(a->len, 0);
    byte_array_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pkg_length),
        cmocka_unit_test(test_pkg_length_in_scope),
        cmocka_unit_test(test_aml_integers),
        cmocka_unit_test(test_aml_names),
        cmocka_unit_test(test_aml_blocks),
        cmocka_unit_test(test_aml_resources),
        cmocka_unit_test(test_linker_encoding),
        cmocka_unit_test(test_linker_run),
        cmocka_unit_test(test_linker_run_malformed),
        cmocka_unit_test(test_tables_direct),
        cmocka_unit_test(test_fw_cfg_blobs),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_pci_routing),
        cmocka_unit_test(test_mptable),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
