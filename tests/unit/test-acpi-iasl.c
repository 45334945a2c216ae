/*
 * Check the generated ACPI tables with ACPICA's iasl (Debian package
 * acpica-tools): every table must disassemble without errors, and the
 * disassembly must compile back to the same bytes.  Skipped when iasl is
 * not installed.  When acpiexec (same package) is there too, the AML is
 * also run: a few methods evaluated must give the expected values.
 */
#include "test.h"
#include <sys/stat.h>
#include <sys/wait.h>
#include "hw/acpi/aml-build.h"
#include "hw/i386/acpi-build.h"

typedef struct IaslFixture {
    char dir[64];
} IaslFixture;

static bool have_iasl(void)
{
    return system("command -v iasl >/dev/null 2>&1") == 0;
}

static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    StrBuf sb = { 0 };
    char buf[4096];
    size_t n;

    if (!f) {
        return NULL;
    }
    strbuf_append(&sb, "");
    while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
        strbuf_append_len(&sb, buf, n);
    }
    fclose(f);
    if (len) {
        *len = sb.len;
    }
    return strbuf_steal(&sb);
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
    FILE *f = fopen(path, "wb");

    assert_non_null(f);
    assert_int_equal(fwrite(data, 1, len, f), len);
    assert_int_equal(fclose(f), 0);
}

/* Run "iasl args" in the fixture directory; return its exit status. */
static int run_iasl(IaslFixture *fx, const char *args, const char *log)
{
    char *cmd = xasprintf("cd %s && iasl %s > %s 2>&1", fx->dir, args, log);
    int rc = system(cmd);

    free(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static char *fixture_path(IaslFixture *fx, const char *name)
{
    return xasprintf("%s/%s", fx->dir, name);
}

static void assert_log_clean(IaslFixture *fx, const char *log, int rc,
                             bool compile)
{
    char *path = fixture_path(fx, log);
    char *text = read_file(path, NULL);

    assert_non_null(text);
    if (rc != 0 || strstr(text, "Error ") ||
        (compile && !strstr(text, " 0 Errors"))) {
        fail_msg("iasl failed (exit %d), %s:\n%s", rc, log, text);
    }
    free(text);
    free(path);
}

/*
 * Disassemble name.dat, compile the result with optimizations off, and
 * compare: the header's checksum and compiler fields differ by design, and
 * iasl writes zero into each resource template's EndTag checksum where we
 * compute a real one.
 */
static void iasl_round_trip(IaslFixture *fx, const char *sig,
                            const uint8_t *table, size_t len)
{
    char *dat = xasprintf("%s.dat", sig), *dsl = xasprintf("%s.dsl", sig);
    char *aml = xasprintf("%s.aml", sig);
    char *dis_log = xasprintf("%s.dis.log", sig);
    char *asl_log = xasprintf("%s.asl.log", sig);
    char *path, *args, *out;
    size_t out_len;
    int rc;

    path = fixture_path(fx, dat);
    write_file(path, table, len);
    free(path);

    /* Legacy ASL: ASL+ operators would recompile to other opcodes. */
    args = xasprintf("-dl %s", dat);
    rc = run_iasl(fx, args, dis_log);
    free(args);
    assert_log_clean(fx, dis_log, rc, false);

    args = xasprintf("-oa %s", dsl);
    rc = run_iasl(fx, args, asl_log);
    free(args);
    assert_log_clean(fx, asl_log, rc, true);

    path = fixture_path(fx, aml);
    out = read_file(path, &out_len);
    free(path);
    assert_non_null(out);
    assert_int_equal(out_len, len);
    assert_memory_equal(out, table, 9);               /* sig, len, rev */
    assert_memory_equal(out + 10, table + 10, 18);    /* OEM fields */
    for (size_t i = ACPI_TABLE_HEADER_SIZE; i < len; i++) {
        bool endtag_cksum = (uint8_t)out[i] == 0 && table[i - 1] == 0x79;

        if ((uint8_t)out[i] != table[i] && !endtag_cksum) {
            fail_msg("%s: byte 0x%zx differs after iasl round trip: "
                     "0x%02x, recompiled 0x%02x", sig, i, table[i],
                     (uint8_t)out[i]);
        }
    }
    free(out);
    free(dat);
    free(dsl);
    free(aml);
    free(dis_log);
    free(asl_log);
}

static bool have_acpiexec(void)
{
    return system("command -v acpiexec >/dev/null 2>&1") == 0;
}

/*
 * Run ACPICA's AML interpreter on table file dat (written by
 * iasl_round_trip), evaluating the ";"-separated commands, and require
 * each of the expected strings, in order, in its output and no exception.
 */
static void acpiexec_expect(IaslFixture *fx, const char *dat,
                            const char *commands, const char *const *want,
                            size_t nwant)
{
    char *cmd = xasprintf("cd %s && timeout 60 acpiexec -b \"%s\" %s "
                          "> acpiexec.log 2>&1", fx->dir, commands, dat);
    char *path = fixture_path(fx, "acpiexec.log");
    char *text, *pos;
    int rc = system(cmd);

    text = read_file(path, NULL);
    assert_non_null(text);
    if (rc != 0 || strstr(text, "Exception") || strstr(text, "Error")) {
        fail_msg("acpiexec failed (status %d):\n%s", rc, text);
    }
    pos = text;
    for (size_t i = 0; i < nwant; i++) {
        char *hit = strstr(pos, want[i]);

        if (!hit) {
            fail_msg("acpiexec output lacks '%s' after offset %td:\n%s",
                     want[i], pos - text, text);
        }
        pos = hit + strlen(want[i]);
    }
    free(text);
    free(path);
    free(cmd);
}

static int setup(void **state)
{
    IaslFixture *fx = xnew(IaslFixture);

    snprintf(fx->dir, sizeof(fx->dir), "/tmp/osprey-iasl-XXXXXX");
    if (!mkdtemp(fx->dir)) {
        free(fx);
        return -1;
    }
    *state = fx;
    return 0;
}

static int teardown(void **state)
{
    IaslFixture *fx = *state;
    char *cmd = xasprintf("rm -rf %s", fx->dir);

    /* OSPREY_KEEP_IASL=1 keeps the tables and iasl logs for a look. */
    if (getenv("OSPREY_KEEP_IASL")) {
        fprintf(stderr, "iasl files kept in %s\n", fx->dir);
    } else if (system(cmd) != 0) {
        fprintf(stderr, "could not remove %s\n", fx->dir);
    }
    free(cmd);
    free(fx);
    return 0;
}

static void check_config(IaslFixture *fx, const PcAcpiConfig *cfg)
{
    PcAcpiDirect d;

    assert_true(pc_acpi_build_direct(cfg, 0x7fe0000, 0xf0000, &d,
                                     &error_abort));
    /* FACS sits at offset 0 of the blob and has no standard header. */
    iasl_round_trip(fx, "FACS", d.tables->data, ACPI_FACS_SIZE);
    for (unsigned i = 0; i < d.ntables; i++) {
        iasl_round_trip(fx, d.index[i].sig,
                        d.tables->data + d.index[i].offset,
                        d.index[i].length);
    }
    pc_acpi_direct_cleanup(&d);
}

static void test_iasl_pc_tables(void **state)
{
    PcAcpiConfig cfg;

    if (!have_iasl()) {
        skip();
    }
    pc_acpi_config_init(&cfg, 4);
    check_config(*state, &cfg);

    if (have_acpiexec()) {
        /* The DSDT of the first configuration is still in the directory. */
        static const char *const want[] = {
            "Evaluation of \\_S5", "[Package] Contains 4 Elements",
            "[Integer] = 0000000000000000",
            "Evaluation of \\_SB.PCI0._CRS", "[Buffer]",
            "Evaluation of \\_SB.PCI0._PRT",
            "[Package] Contains 128 Elements",
        };
        acpiexec_expect(*state, "DSDT.dat", "evaluate \\_S5; "
                        "evaluate \\_SB.PCI0._CRS; "
                        "evaluate \\_SB.PCI0._PRT", want, ARRAY_SIZE(want));
    }

    pc_acpi_config_init(&cfg, 200);
    cfg.has_hpet = false;
    cfg.has_i8042 = false;
    cfg.pci_mmio64_base = 0x8000000000ULL;
    cfg.pci_mmio64_size = 0x1000000000ULL;
    check_config(*state, &cfg);
}

/* An SSDT using every AML builder the pc tables do not. */
static void test_iasl_aml_builders(void **state)
{
    ByteArray *table = byte_array_new();
    AcpiTable t = {
        .sig = "SSDT", .rev = 2, .oem_id = "OSPREY", .oem_table_id = "TEST",
    };
    Aml *body = aml_new(), *scope, *dev, *method, *ifc, *elsec, *whilec;
    Aml *field, *pkg, *crs;
    uint32_t irqs[2] = { 5, 7 };

    if (!have_iasl()) {
        byte_array_free(table);
        aml_free(body);
        skip();
    }
    acpi_table_begin(&t, table);

    scope = aml_scope("\\_SB");
    aml_append(scope, aml_operation_region("PMIO", AML_SYSTEM_IO,
                                           aml_int(0x600), 0x40));
    field = aml_field("PMIO", AML_WORD_ACC, AML_NOLOCK, AML_WRITE_AS_ZEROS);
    aml_append(field, aml_reserved_field(32));
    aml_append(field, aml_named_field("SLPC", 16));
    aml_append(scope, field);
    aml_append(scope, aml_name_decl("BUF0", aml_buffer(3,
                                    (const uint8_t[]){ 1, 2, 3 })));
    aml_append(scope, aml_name_decl("STR0", aml_string("hello")));
    aml_append(scope, aml_name_decl("QW0", aml_int(0x123456789ULL)));
    pkg = aml_package(2);
    aml_append(pkg, aml_int(1));
    aml_append(pkg, aml_string("x"));
    aml_append(scope, aml_name_decl("PKG0", pkg));

    dev = aml_device("TST0");
    aml_append(dev, aml_name_decl("_HID", aml_string("OSPR0001")));
    crs = aml_resource_template();
    aml_append(crs, aml_interrupt(AML_CONSUMER, AML_LEVEL, AML_ACTIVE_LOW,
                                  AML_SHARED, irqs, 2));
    aml_append(crs, aml_memory32_fixed(0xfed00000, 0x400, AML_READ_WRITE));
    aml_append(crs, aml_io(AML_DECODE10, 0x2f8, 0x2f8, 1, 8));
    aml_append(crs, aml_irq_no_flags(3));
    aml_append(crs, aml_dword_memory(AML_POS_DECODE, AML_MIN_FIXED,
                                     AML_MAX_FIXED, AML_PREFETCHABLE,
                                     AML_READ_ONLY, 0, 0xe0000000,
                                     0xefffffff, 0, 0x10000000));
    aml_append(dev, aml_name_decl("_CRS", crs));

    method = aml_method("TEST", 2, AML_SERIALIZED);
    aml_append(method, aml_store(aml_int(0), aml_local(0)));
    whilec = aml_while(aml_lless(aml_local(0), aml_int(4)));
    aml_append(whilec, aml_increment(aml_local(0)));
    aml_append(method, whilec);
    ifc = aml_if(aml_land(aml_equal(aml_arg(0), aml_int(1)),
                          aml_lnot(aml_lgreater(aml_arg(1), aml_int(5)))));
    aml_append(ifc, aml_store(aml_int(0x2000), aml_name("SLPC")));
    aml_append(ifc, aml_return(aml_or(aml_local(0), aml_int(1),
                                      aml_local(1))));
    aml_append(method, ifc);
    elsec = aml_else();
    aml_append(elsec, aml_return(aml_and(aml_shiftleft(aml_arg(1),
                                                       aml_int(2)),
                                         aml_int(0xff), aml_local(2))));
    aml_append(method, elsec);
    aml_append(dev, method);

    method = aml_method("ADD1", 1, AML_NOTSERIALIZED);
    aml_append(method, aml_notify(aml_name("TST0"), aml_int(0x80)));
    aml_append(method, aml_store(aml_index(aml_name("PKG0"), aml_int(1)),
                                 aml_local(3)));
    aml_append(method, aml_return(aml_add(aml_arg(0),
                                          aml_shiftright(aml_arg(0),
                                                         aml_int(1), NULL),
                                          aml_local(1))));
    aml_append(dev, method);
    method = aml_method("LOR1", 2, AML_NOTSERIALIZED);
    aml_append(method, aml_return(aml_lor(aml_arg(0), aml_arg(1))));
    aml_append(dev, method);
    aml_append(scope, dev);
    aml_append(body, scope);

    aml_append_to_array(table, body);
    acpi_table_end(&t);
    table->data[9] = -acpi_checksum(table->data, table->len);
    iasl_round_trip(*state, "SSDT", table->data, table->len);
    byte_array_free(table);

    /* Run the methods: the encodings must mean what they say. */
    if (have_acpiexec()) {
        static const char *const want[] = {
            "[Integer] = 0000000000000005",   /* TEST(1, 3): 4 | 1 */
            "[Integer] = 000000000000000C",   /* TEST(2, 3): 3 << 2 */
            "[Integer] = FFFFFFFFFFFFFFFF",   /* LOR1(0, 1) */
            "[Integer] = 000000000000000F",   /* ADD1(10): 10 + 5 */
        };
        acpiexec_expect(*state, "SSDT.dat",
                        "evaluate \\_SB.TST0.TEST 1 3; "
                        "evaluate \\_SB.TST0.TEST 2 3; "
                        "evaluate \\_SB.TST0.LOR1 0 1; "
                        "evaluate \\_SB.TST0.ADD1 10", want,
                        ARRAY_SIZE(want));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_iasl_pc_tables, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_iasl_aml_builders, setup,
                                        teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
