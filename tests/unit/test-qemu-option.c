/*
 * Unit tests for util/qemu-option.c: keyval_parse() and QemuOpts.
 */
#include "test.h"
#include "util/qemu-option.h"

static void expect_error(Error *err, const char *want)
{
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err), want);
    error_free(err);
}

static char *keyval_json(const char *params, const char *implied)
{
    Error *err = NULL;
    QObject *d = keyval_parse(params, implied, &err);
    if (!d) {
        char *msg = xasprintf("ERR: %s", error_get_pretty(err));
        error_free(err);
        return msg;
    }
    assert_null(err);
    char *s = qobject_to_json(d);
    qobject_unref(d);
    return s;
}

#define CHECK_KEYVAL(params, implied, want) do {            \
    char *got_ = keyval_json(params, implied);              \
    assert_string_equal(got_, want);                        \
    free(got_);                                             \
} while (0)

static void test_keyval(void **state)
{
    CHECK_KEYVAL("socket,id=c0,path=/tmp/s,server=on,wait=off", "backend",
                 "{\"backend\": \"socket\", \"id\": \"c0\", \"path\": "
                 "\"/tmp/s\", \"server\": \"on\", \"wait\": \"off\"}");
    CHECK_KEYVAL("e1000,id=n0", "driver",
                 "{\"driver\": \"e1000\", \"id\": \"n0\"}");
    CHECK_KEYVAL("file=a.qcow2,if=virtio", NULL,
                 "{\"file\": \"a.qcow2\", \"if\": \"virtio\"}");
    /* The implied key may also be given explicitly. */
    CHECK_KEYVAL("driver=e1000", "driver", "{\"driver\": \"e1000\"}");
    /* ",," is a comma inside a value, also in the implied value. */
    CHECK_KEYVAL("file=a,,b.img,,,if=ide", NULL,
                 "{\"file\": \"a,b.img,\", \"if\": \"ide\"}");
    CHECK_KEYVAL("a,,b,x=1", "path", "{\"path\": \"a,b\", \"x\": \"1\"}");
    /* '=' inside a value is kept. */
    CHECK_KEYVAL("append=console=ttyS0 root=/dev/vda", NULL,
                 "{\"append\": \"console=ttyS0 root=/dev/vda\"}");
    /* Last one wins; empty values and a trailing comma are fine. */
    CHECK_KEYVAL("a=1,b=,a=2,", NULL, "{\"a\": \"2\", \"b\": \"\"}");
    CHECK_KEYVAL("", "driver", "{}");
    /* Dotted keys nest. */
    CHECK_KEYVAL("driver=qcow2,file.driver=file,file.filename=a.img", NULL,
                 "{\"driver\": \"qcow2\", \"file\": {\"driver\": \"file\", "
                 "\"filename\": \"a.img\"}}");

    CHECK_KEYVAL("socket,server", "backend",
                 "ERR: Expected '=' after parameter 'server'");
    CHECK_KEYVAL("e1000", NULL, "ERR: Expected '=' after parameter 'e1000'");
    CHECK_KEYVAL("a=1,=2", NULL, "ERR: Invalid parameter ''");
    CHECK_KEYVAL("a b=1", NULL, "ERR: Invalid parameter 'a b'");
    CHECK_KEYVAL("a..b=1", NULL, "ERR: Invalid parameter 'a..b'");
    CHECK_KEYVAL("a=1,a.b=2", NULL,
                 "ERR: Parameters 'a.*' used inconsistently");
    CHECK_KEYVAL("a.b=1,a=2", NULL,
                 "ERR: Parameter 'a' used inconsistently");
}

static void test_id_wellformed(void **state)
{
    assert_true(id_wellformed("c0"));
    assert_true(id_wellformed("net-0.a_b"));
    assert_true(id_wellformed("Z"));
    assert_false(id_wellformed(""));
    assert_false(id_wellformed("0c"));
    assert_false(id_wellformed("_a"));
    assert_false(id_wellformed("a b"));
    assert_false(id_wellformed("a/b"));
}

static QemuOptsList chardev_opts = {
    .name = "chardev",
    .implied_opt_name = "backend",
    .desc = {
        { .name = "backend", .type = QEMU_OPT_STRING },
        { .name = "path", .type = QEMU_OPT_STRING, .help = "socket path" },
        { .name = "server", .type = QEMU_OPT_BOOL },
        { .name = "wait", .type = QEMU_OPT_BOOL, .def_value_str = "on" },
        { .name = "port", .type = QEMU_OPT_NUMBER },
        { .name = "bufsize", .type = QEMU_OPT_SIZE },
        { NULL }
    },
};

/* No table: any key is accepted (as -device, checked by qdev later). */
static QemuOptsList device_opts = {
    .name = "device",
    .implied_opt_name = "driver",
    .desc = { { NULL } },
};

static QemuOptsList machine_opts = {
    .name = "machine",
    .implied_opt_name = "type",
    .merge_lists = true,
    .desc = { { NULL } },
};

static void test_opts_parse_typed(void **state)
{
    Error *err = NULL;
    QemuOpts *opts = qemu_opts_parse(&chardev_opts,
        "socket,id=c0,path=/tmp/s,,x,server=on,wait=off,port=0x10,"
        "bufsize=64k", true, &err);
    assert_non_null(opts);
    assert_null(err);
    assert_string_equal(qemu_opts_id(opts), "c0");
    assert_ptr_equal(qemu_opts_list(opts), &chardev_opts);
    assert_string_equal(qemu_opt_get(opts, "backend"), "socket");
    assert_string_equal(qemu_opt_get(opts, "path"), "/tmp/s,x");
    assert_true(qemu_opt_get_bool(opts, "server", false));
    assert_false(qemu_opt_get_bool(opts, "wait", true));
    assert_int_equal(qemu_opt_get_number(opts, "port", 0), 16);
    assert_int_equal(qemu_opt_get_size(opts, "bufsize", 0), 64 * KiB);
    assert_false(qemu_opt_is_set(opts, "id"));   /* id is not an option */
    assert_ptr_equal(qemu_opts_find(&chardev_opts, "c0"), opts);
    assert_null(qemu_opts_find(&chardev_opts, "c1"));

    /* Defaults: the table's def_value_str, else the caller's. */
    opts = qemu_opts_parse(&chardev_opts, "pty,id=c1", true, &err);
    assert_non_null(opts);
    assert_true(qemu_opt_get_bool(opts, "wait", false));  /* table: on */
    assert_string_equal(qemu_opt_get(opts, "wait"), "on");
    assert_false(qemu_opt_get_bool(opts, "server", false));
    assert_true(qemu_opt_get_bool(opts, "server", true));
    assert_int_equal(qemu_opt_get_number(opts, "port", 4444), 4444);
    assert_int_equal(qemu_opt_get_size(opts, "bufsize", 1 * MiB), 1 * MiB);
    assert_null(qemu_opt_get(opts, "path"));
    assert_null(qemu_opt_get(NULL, "path"));

    /* Flags on bool options: "server" is on, "nowait" is wait=off. */
    opts = qemu_opts_parse(&chardev_opts, "socket,id=c2,server,nowait",
                           true, &err);
    assert_non_null(opts);
    assert_true(qemu_opt_get_bool(opts, "server", false));
    assert_false(qemu_opt_get_bool(opts, "wait", true));
    assert_string_equal(qemu_opt_get(opts, "wait"), "off");

    /* Without permit_abbrev the leading bare word is a flag. */
    opts = qemu_opts_parse(&chardev_opts, "server,id=c3", false, &err);
    assert_non_null(opts);
    assert_null(qemu_opt_get(opts, "backend"));
    assert_true(qemu_opt_get_bool(opts, "server", false));

    /* Setting after parsing; last one wins. */
    assert_true(qemu_opt_set(opts, "port", "22", &err));
    assert_true(qemu_opt_set_number(opts, "port", 23, &err));
    assert_true(qemu_opt_set_bool(opts, "server", false, &err));
    assert_int_equal(qemu_opt_get_number(opts, "port", 0), 23);
    assert_false(qemu_opt_get_bool(opts, "server", true));
    assert_false(qemu_opt_set(opts, "port", "x", &err));
    expect_error(err, "Parameter 'port' expects a number");
    err = NULL;
    assert_int_equal(qemu_opt_get_number(opts, "port", 0), 23);
    assert_true(qemu_opt_unset(opts, "port"));
    assert_false(qemu_opt_unset(opts, "port"));
    assert_false(qemu_opt_is_set(opts, "port"));

    qemu_opts_reset(&chardev_opts);
    assert_null(qemu_opts_find(&chardev_opts, "c0"));
}

static void parse_error_is(QemuOptsList *list, const char *params,
                           const char *want)
{
    Error *err = NULL;
    assert_null(qemu_opts_parse(list, params, true, &err));
    expect_error(err, want);
}

static void test_opts_errors(void **state)
{
    parse_error_is(&chardev_opts, "socket,foo=1",
                   "Invalid parameter 'foo'");
    parse_error_is(&chardev_opts, "socket,server=maybe",
                   "Parameter 'server' expects 'on' or 'off'");
    parse_error_is(&chardev_opts, "socket,port=-1",
                   "Parameter 'port' expects a number");
    parse_error_is(&chardev_opts, "socket,port=12abc",
                   "Parameter 'port' expects a number");
    parse_error_is(&chardev_opts, "socket,bufsize=12q",
                   "Parameter 'bufsize' expects a non-negative size below "
                   "2^64 (optional suffix k, M, G, T, P or E)");
    parse_error_is(&chardev_opts, "socket,id=0bad",
                   "Parameter 'id' expects an identifier");
    parse_error_is(&chardev_opts, "socket,id=",
                   "Parameter 'id' expects an identifier");
    parse_error_is(&chardev_opts, "socket,id",
                   "Parameter 'id' expects an identifier");
    parse_error_is(&chardev_opts, "socket,path",
                   "Expected '=' after parameter 'path'");
    parse_error_is(&chardev_opts, "socket,nopath",
                   "Invalid parameter 'nopath'");
    parse_error_is(&chardev_opts, "socket,bogus",
                   "Invalid parameter 'bogus'");

    /* Duplicate ids; a failed parse leaves nothing behind. */
    Error *err = NULL;
    assert_non_null(qemu_opts_parse(&chardev_opts, "socket,id=c0", true,
                                    &err));
    parse_error_is(&chardev_opts, "pty,id=c0", "Duplicate ID 'c0' for chardev");
    parse_error_is(&chardev_opts, "pty,id=c9,foo=1", "Invalid parameter 'foo'");
    assert_null(qemu_opts_find(&chardev_opts, "c9"));
    assert_string_equal(qemu_opt_get(qemu_opts_find(&chardev_opts, "c0"),
                                     "backend"), "socket");
    assert_null(qemu_opts_create(&chardev_opts, "c0", true, &err));
    expect_error(err, "Duplicate ID 'c0' for chardev");
    err = NULL;
    /* Without fail_if_exists the existing instance comes back. */
    assert_ptr_equal(qemu_opts_create(&chardev_opts, "c0", false, &err),
                     qemu_opts_find(&chardev_opts, "c0"));
    qemu_opts_reset(&chardev_opts);
}

static void test_opts_no_table(void **state)
{
    Error *err = NULL;
    QemuOpts *a = qemu_opts_parse(&device_opts,
        "e1000,id=n0,netdev=h0,mac=52:54:00:12:34:56,noromfile,x-flag",
        true, &err);
    assert_non_null(a);
    assert_string_equal(qemu_opt_get(a, "driver"), "e1000");
    assert_string_equal(qemu_opt_get(a, "netdev"), "h0");
    assert_string_equal(qemu_opt_get(a, "romfile"), "off");
    assert_string_equal(qemu_opt_get(a, "x-flag"), "on");
    /* Typed getters parse on demand and fall back to the default. */
    assert_true(qemu_opt_get_bool(a, "x-flag", false));
    assert_int_equal(qemu_opt_get_number(a, "netdev", 7), 7);

    QemuOpts *b = qemu_opts_parse(&device_opts, "virtio-blk,drive=d0",
                                  true, &err);
    QemuOpts *c = qemu_opts_parse(&device_opts, "isa-debugcon", true, &err);
    assert_non_null(b);
    assert_non_null(c);
    assert_ptr_not_equal(b, c);             /* no id: separate instances */
    assert_null(qemu_opts_id(b));

    QObject *d = qemu_opts_to_qdict(a, NULL);
    char *json = qobject_to_json(d);
    assert_string_equal(json, "{\"id\": \"n0\", \"driver\": \"e1000\", "
                        "\"netdev\": \"h0\", \"mac\": \"52:54:00:12:34:56\", "
                        "\"romfile\": \"off\", \"x-flag\": \"on\"}");
    free(json);
    qobject_unref(d);

    assert_true(qemu_opt_set(b, "serial", "a,b", &err));
    char *s = qemu_opts_to_string(b);
    assert_string_equal(s, "driver=virtio-blk,drive=d0,serial=a,,b");
    free(s);
    qemu_opts_del(b);
    qemu_opts_reset(&device_opts);
}

static void test_opts_merge(void **state)
{
    Error *err = NULL;
    QemuOpts *a = qemu_opts_parse(&machine_opts, "pc,accel=tcg", true, &err);
    QemuOpts *b = qemu_opts_parse(&machine_opts, "usb=off,accel=kvm", true,
                                  &err);
    assert_ptr_equal(a, b);
    assert_string_equal(qemu_opt_get(a, "type"), "pc");
    assert_string_equal(qemu_opt_get(a, "accel"), "kvm");
    assert_false(qemu_opt_get_bool(a, "usb", true));
    qemu_opts_reset(&machine_opts);
}

typedef struct Seen {
    StrBuf names;
    int stop_at;
    int calls;
} Seen;

static int note_opt(void *opaque, const char *name, const char *value,
                    Error **errp)
{
    Seen *seen = opaque;
    strbuf_printf(&seen->names, "%s=%s;", name, value);
    return ++seen->calls == seen->stop_at ? 42 : 0;
}

static int note_opts(void *opaque, QemuOpts *opts, Error **errp)
{
    Seen *seen = opaque;
    strbuf_printf(&seen->names, "%s;", qemu_opts_id(opts));
    if (!strcmp(qemu_opts_id(opts), "bad")) {
        error_setg(errp, "chardev %s is bad", qemu_opts_id(opts));
        return -1;
    }
    return 0;
}

static void test_foreach(void **state)
{
    Error *err = NULL;
    QemuOpts *opts = qemu_opts_parse(&chardev_opts,
                                     "socket,id=a,path=p,server=on", true,
                                     &err);
    Seen seen = { .stop_at = 0 };
    strbuf_init(&seen.names);
    assert_int_equal(qemu_opt_foreach(opts, note_opt, &seen, &err), 0);
    assert_string_equal(seen.names.str, "backend=socket;path=p;server=on;");

    seen.calls = 0;
    seen.stop_at = 2;
    seen.names.len = 0;
    assert_int_equal(qemu_opt_foreach(opts, note_opt, &seen, &err), 42);
    assert_int_equal(seen.calls, 2);

    assert_non_null(qemu_opts_parse(&chardev_opts, "pty,id=bad", true, &err));
    assert_non_null(qemu_opts_parse(&chardev_opts, "pty,id=z", true, &err));
    strbuf_free(&seen.names);
    strbuf_init(&seen.names);
    assert_int_equal(qemu_opts_foreach(&chardev_opts, note_opts, &seen,
                                       &err), -1);
    assert_string_equal(seen.names.str, "a;bad;");
    expect_error(err, "chardev bad is bad");
    strbuf_free(&seen.names);
    qemu_opts_reset(&chardev_opts);
}

static void test_registry(void **state)
{
    Error *err = NULL;
    qemu_add_opts(&chardev_opts);
    qemu_add_opts(&device_opts);
    assert_ptr_equal(qemu_find_opts("chardev"), &chardev_opts);
    assert_ptr_equal(qemu_find_opts("device"), &device_opts);
    assert_null(qemu_find_opts("nonesuch"));
    assert_null(qemu_find_opts_err("nonesuch", &err));
    expect_error(err, "There is no option group 'nonesuch'");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_keyval),
        cmocka_unit_test(test_id_wellformed),
        cmocka_unit_test(test_opts_parse_typed),
        cmocka_unit_test(test_opts_errors),
        cmocka_unit_test(test_opts_no_table),
        cmocka_unit_test(test_opts_merge),
        cmocka_unit_test(test_foreach),
        cmocka_unit_test(test_registry),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
