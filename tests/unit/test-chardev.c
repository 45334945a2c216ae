/*
 * Unit tests for chardev/: option parsing, the registry, the frontend API,
 * and the null, file and mux backends.
 */
#include "test.h"
#include "chardev/char.h"
#include <fcntl.h>
#include <sys/stat.h>

/* ---- A test frontend that records what it gets ---- */

typedef struct TestFe {
    CharBackend be;
    uint8_t *buf;
    size_t len;
    size_t capacity;        /* can_read = capacity - len */
    QEMUChrEvent events[64];
    int nevents;
} TestFe;

#define TEST_FE_MAX (256 * KiB)

static int test_fe_can_read(void *opaque)
{
    TestFe *fe = opaque;
    return fe->capacity > fe->len ? (int)MIN(fe->capacity - fe->len, 4096) : 0;
}

static void test_fe_read(void *opaque, const uint8_t *buf, int size)
{
    TestFe *fe = opaque;
    /* Delivering more than can_read allowed is the bug we look for. */
    assert_true(fe->len + size <= fe->capacity);
    memcpy(fe->buf + fe->len, buf, size);
    fe->len += size;
}

static void test_fe_event(void *opaque, QEMUChrEvent event)
{
    TestFe *fe = opaque;
    if (fe->nevents < (int)ARRAY_SIZE(fe->events)) {
        fe->events[fe->nevents++] = event;
    }
}

static void test_fe_attach(TestFe *fe, Chardev *chr, size_t capacity)
{
    memset(fe, 0, sizeof(*fe));
    fe->buf = xmalloc(TEST_FE_MAX);
    fe->capacity = capacity;
    assert_true(qemu_chr_fe_init(&fe->be, chr, &error_abort));
    qemu_chr_fe_set_handlers(&fe->be, test_fe_can_read, test_fe_read,
                             test_fe_event, fe);
}

static void test_fe_detach(TestFe *fe)
{
    qemu_chr_fe_deinit(&fe->be, false);
    free(fe->buf);
    fe->buf = NULL;
}

static int test_fe_count(TestFe *fe, QEMUChrEvent event)
{
    int n = 0;
    for (int i = 0; i < fe->nevents; i++) {
        n += fe->events[i] == event;
    }
    return n;
}

static char *read_file(const char *path)
{
    StrBuf sb = { 0 };
    char buf[4096];
    int fd = open(path, O_RDONLY);
    ssize_t n;

    assert_true(fd >= 0);
    strbuf_append(&sb, "");
    while ((n = read(fd, buf, sizeof(buf))) > 0) {
        strbuf_append_len(&sb, buf, n);
    }
    close(fd);
    return strbuf_steal(&sb);
}

static char tmpdir[64];

static int setup_tmpdir(void **state)
{
    strcpy(tmpdir, "/tmp/osprey-chardev-XXXXXX");
    assert_non_null(mkdtemp(tmpdir));
    return 0;
}

static int teardown_tmpdir(void **state)
{
    char *cmd = xasprintf("rm -rf %s", tmpdir);
    assert_int_equal(system(cmd), 0);
    free(cmd);
    qemu_chr_cleanup();
    return 0;
}

/* ---- Parser ---- */

static void parse_ok(const char *spec, ChardevBackendOptions *o)
{
    Error *err = NULL;
    qemu_chr_options_init(o);
    if (!qemu_chr_parse_legacy("c", spec, o, &err)) {
        fail_msg("'%s': %s", spec, error_get_pretty(err));
    }
}

static void parse_fails(const char *spec, const char *msg)
{
    ChardevBackendOptions o;
    Error *err = NULL;

    qemu_chr_options_init(&o);
    assert_false(qemu_chr_parse_legacy("c", spec, &o, &err));
    assert_non_null(err);
    assert_string_equal(error_get_pretty(err), msg);
    error_free(err);
    assert_null(o.id);   /* nothing left half-filled */
}

static void test_parse_legacy(void **state)
{
    ChardevBackendOptions o;

    parse_ok("stdio", &o);
    assert_int_equal(o.kind, CHARDEV_BACKEND_STDIO);
    assert_string_equal(o.id, "c");
    assert_false(o.mux);
    assert_true(o.signal);
    qemu_chr_options_clear(&o);

    parse_ok("mon:stdio", &o);
    assert_int_equal(o.kind, CHARDEV_BACKEND_STDIO);
    assert_true(o.mux);
    assert_true(o.monitor);
    qemu_chr_options_clear(&o);

    parse_ok("null", &o);
    assert_int_equal(o.kind, CHARDEV_BACKEND_NULL);
    qemu_chr_options_clear(&o);

    parse_ok("none", &o);
    assert_int_equal(o.kind, CHARDEV_BACKEND_NONE);
    qemu_chr_options_clear(&o);

    parse_ok("pty", &o);
    assert_int_equal(o.kind, CHARDEV_BACKEND_PTY);
    qemu_chr_options_clear(&o);

    parse_ok("file:/tmp/serial.log", &o);
    assert_int_equal(o.kind, CHARDEV_BACKEND_FILE);
    assert_string_equal(o.path, "/tmp/serial.log");
    qemu_chr_options_clear(&o);

    parse_ok("pipe:/tmp/guest", &o);
    assert_int_equal(o.kind, CHARDEV_BACKEND_PIPE);
    assert_string_equal(o.path, "/tmp/guest");
    qemu_chr_options_clear(&o);

    parse_ok("unix:/tmp/s", &o);
    assert_int_equal(o.kind, CHARDEV_BACKEND_SOCKET);
    assert_string_equal(o.path, "/tmp/s");
    assert_false(o.server);
    qemu_chr_options_clear(&o);

    parse_ok("unix:/tmp/s,server=on,wait=off", &o);
    assert_string_equal(o.path, "/tmp/s");
    assert_true(o.server);
    assert_false(o.wait);
    qemu_chr_options_clear(&o);

    parse_ok("unix:/tmp/s,server,nowait", &o);
    assert_true(o.server);
    assert_false(o.wait);
    qemu_chr_options_clear(&o);

    parse_ok("unix:/tmp/s,server=on", &o);
    assert_true(o.wait);           /* QEMU's default: block for a client */
    qemu_chr_options_clear(&o);

    parse_ok("unix:/tmp/s,reconnect=2", &o);
    assert_int_equal(o.reconnect_ms, 2000);
    qemu_chr_options_clear(&o);

    parse_ok("tcp:localhost:4444,server=on,wait=off,nodelay=on", &o);
    assert_int_equal(o.kind, CHARDEV_BACKEND_SOCKET);
    assert_null(o.path);
    assert_string_equal(o.host, "localhost");
    assert_string_equal(o.port, "4444");
    assert_true(o.server);
    assert_false(o.wait);
    assert_true(o.nodelay);
    assert_false(o.telnet);
    qemu_chr_options_clear(&o);

    parse_ok("tcp::4444,server=on", &o);
    assert_string_equal(o.host, "");
    assert_string_equal(o.port, "4444");
    qemu_chr_options_clear(&o);

    parse_ok("tcp:[::1]:5555,server=on,wait=off", &o);
    assert_string_equal(o.host, "::1");
    assert_string_equal(o.port, "5555");
    qemu_chr_options_clear(&o);

    parse_ok("telnet::4444,server=on,wait=off", &o);
    assert_true(o.telnet);
    assert_true(o.server);
    qemu_chr_options_clear(&o);

    parse_ok("mon:telnet:127.0.0.1:4444,server=on,wait=off", &o);
    assert_true(o.telnet);
    assert_true(o.monitor);
    assert_string_equal(o.host, "127.0.0.1");
    qemu_chr_options_clear(&o);
}

static void test_parse_legacy_errors(void **state)
{
    parse_fails("unix:", "chardev: unix: missing path");
    parse_fails("unix:,server=on", "chardev: unix: missing path");
    parse_fails("foo", "'foo' is not a valid char driver");
    parse_fails("foo:bar", "'foo' is not a valid char driver");
    parse_fails("", "'' is not a valid char driver");
    parse_fails("file:", "chardev: file: missing path");
    parse_fails("pipe:", "chardev: pipe: missing path");
    parse_fails("tcp:localhost", "chardev: tcp: expected HOST:PORT");
    parse_fails("tcp:localhost:", "chardev: tcp: missing port");
    parse_fails("tcp:[::1:4", "chardev: tcp: expected [ADDRESS]:PORT");
    parse_fails("tcp::4444", "chardev: tcp: missing host to connect to");
    parse_fails("unix:/tmp/s,server=maybe",
                "chardev: unix: parameter 'server' expects 'on' or 'off'");
    parse_fails("unix:/tmp/s,bogus=1",
                "chardev: unix: invalid parameter 'bogus'");
    parse_fails("unix:/tmp/s,id=x", "chardev: unix: invalid parameter 'id'");
    parse_fails("unix:/tmp/s,wait=off",
                "chardev: unix: 'wait' option is incompatible with socket "
                "in client connect mode");
    parse_fails("unix:/tmp/s,server=on,reconnect=1",
                "chardev: unix: 'reconnect' option is incompatible with "
                "'server' option");
    parse_fails("unix:/tmp/s,reconnect=-1",
                "chardev: unix: parameter 'reconnect' expects a "
                "non-negative number");
}

static void test_parse_chardev(void **state)
{
    ChardevBackendOptions o;
    Error *err = NULL;

    qemu_chr_options_init(&o);
    assert_true(qemu_chr_parse_opts("socket,id=c0,path=/tmp/s,server=on,"
                                    "wait=off", &o, &error_abort));
    assert_int_equal(o.kind, CHARDEV_BACKEND_SOCKET);
    assert_string_equal(o.id, "c0");
    assert_string_equal(o.path, "/tmp/s");
    assert_true(o.server);
    assert_false(o.wait);

    assert_true(qemu_chr_parse_opts("socket,id=c1,host=127.0.0.1,port=0,"
                                    "server=on,wait=off,telnet=on,"
                                    "nodelay=on", &o, &error_abort));
    assert_string_equal(o.host, "127.0.0.1");
    assert_string_equal(o.port, "0");
    assert_true(o.telnet);
    assert_true(o.nodelay);
    assert_null(o.path);

    assert_true(qemu_chr_parse_opts("file,id=f,path=/tmp/a,,b,append=on",
                                    &o, &error_abort));
    assert_int_equal(o.kind, CHARDEV_BACKEND_FILE);
    assert_string_equal(o.path, "/tmp/a,b");
    assert_true(o.append);

    assert_true(qemu_chr_parse_opts("stdio,id=s,signal=off,mux=on,"
                                    "logfile=/tmp/l,logappend=on",
                                    &o, &error_abort));
    assert_false(o.signal);
    assert_true(o.mux);
    assert_string_equal(o.logfile, "/tmp/l");
    assert_true(o.logappend);

    assert_true(qemu_chr_parse_opts("socket,id=r,path=/tmp/s,reconnect=5",
                                    &o, &error_abort));
    assert_int_equal(o.reconnect_ms, 5000);
    qemu_chr_options_clear(&o);

    static const struct {
        const char *str, *msg;
    } bad[] = {
        { "foo,id=x", "'foo' is not a valid char driver" },
        { "none,id=x", "'none' is not a valid char driver" },
        { ",id=x", "chardev: missing backend name" },
        { "socket,id=x", "chardev: socket: missing path or host" },
        { "socket,id=x,host=h", "chardev: socket: missing port" },
        { "socket,id=x,path=/a,host=h,port=1",
          "chardev: socket: 'path' and 'host' are exclusive" },
        { "null", "chardev: null: parameter 'id' is missing" },
        { "null,id=n,path=/x", "chardev: null: invalid parameter 'path'" },
        { "file,id=f", "chardev: file: missing path" },
        { "stdio,id=s,signal=sometimes",
          "chardev: stdio: parameter 'signal' expects 'on' or 'off'" },
    };
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        assert_false(qemu_chr_parse_opts(bad[i].str, &o, &err));
        if (strcmp(error_get_pretty(err), bad[i].msg)) {
            fail_msg("'%s': got '%s', want '%s'", bad[i].str,
                     error_get_pretty(err), bad[i].msg);
        }
        error_free(err);
        err = NULL;
    }
}

/* ---- Registry and frontend API ---- */

static void collect_label(Chardev *chr, void *opaque)
{
    StrBuf *sb = opaque;
    strbuf_printf(sb, "%s=%s,%d;", qemu_chr_get_label(chr),
                  qemu_chr_get_filename(chr), qemu_chr_frontend_open(chr));
}

static void test_registry(void **state)
{
    Error *err = NULL;
    Chardev *n0 = qemu_chr_new("n0", "null", &error_abort);
    TestFe fe, other;

    assert_non_null(n0);
    assert_ptr_equal(qemu_chr_find("n0"), n0);
    assert_null(qemu_chr_find("n1"));
    assert_string_equal(qemu_chr_get_filename(n0), "null");
    assert_false(qemu_chr_frontend_open(n0));

    /* none: no device, no error. */
    assert_null(qemu_chr_new("nothing", "none", &error_abort));
    assert_null(qemu_chr_find("nothing"));

    assert_null(qemu_chr_new("n0", "null", &err));
    assert_string_equal(error_get_pretty(err), "chardev 'n0' already exists");
    error_free(err);
    err = NULL;

    assert_null(qemu_chr_new("bad", "foo", &err));
    assert_string_equal(error_get_pretty(err),
                        "'foo' is not a valid char driver");
    error_free(err);
    err = NULL;

    Chardev *n2 = qemu_chr_new_cmdline("null,id=n2", &error_abort);
    StrBuf sb = { 0 };
    qemu_chr_foreach(collect_label, &sb);
    assert_string_equal(sb.str, "n0=null,0;n2=null,0;");
    strbuf_free(&sb);

    test_fe_attach(&fe, n0, 100);
    assert_true(qemu_chr_frontend_open(n0));
    /* One frontend per non-mux chardev. */
    memset(&other, 0, sizeof(other));
    assert_false(qemu_chr_fe_init(&other.be, n0, &err));
    assert_string_equal(error_get_pretty(err), "Device 'n0' is in use");
    error_free(err);
    err = NULL;

    /* null never opens and swallows output. */
    assert_int_equal(fe.nevents, 0);
    assert_int_equal(qemu_chr_fe_write(&fe.be, (const uint8_t *)"abc", 3), 3);
    assert_int_equal(qemu_chr_fe_write_all(&fe.be, (const uint8_t *)"ab", 2),
                     2);

    assert_false(qemu_chr_remove("n0", &err));
    assert_string_equal(error_get_pretty(err), "Chardev 'n0' is busy");
    error_free(err);
    err = NULL;
    assert_false(qemu_chr_remove("zz", &err));
    assert_string_equal(error_get_pretty(err), "Chardev 'zz' not found");
    assert_int_equal(error_get_class(err), ERROR_CLASS_DEVICE_NOT_FOUND);
    error_free(err);
    err = NULL;

    test_fe_detach(&fe);
    assert_false(qemu_chr_frontend_open(n0));
    assert_true(qemu_chr_remove("n0", &error_abort));
    assert_null(qemu_chr_find("n0"));

    /* A frontend without chardev drops output and does not crash. */
    CharBackend none;
    assert_true(qemu_chr_fe_init(&none, NULL, &error_abort));
    assert_int_equal(qemu_chr_fe_write(&none, (const uint8_t *)"x", 1), 1);
    qemu_chr_fe_set_handlers(&none, NULL, NULL, NULL, NULL);
    qemu_chr_fe_deinit(&none, false);

    qemu_chr_delete(n2);
}

/* ---- file ---- */

static void test_file_backend(void **state)
{
    char *path = xasprintf("%s/serial.log", tmpdir);
    char *spec = xasprintf("file:%s", path);
    Chardev *chr;
    CharBackend be;
    char *text;

    chr = qemu_chr_new("f0", spec, &error_abort);
    assert_non_null(chr);
    assert_string_equal(qemu_chr_get_filename(chr), spec);
    assert_true(qemu_chr_fe_init(&be, chr, &error_abort));
    assert_int_equal(qemu_chr_fe_write(&be, (const uint8_t *)"hello ", 6), 6);
    assert_int_equal(qemu_chr_fe_write_all(&be, (const uint8_t *)"world\n",
                                           6), 6);
    qemu_chr_fe_deinit(&be, true);
    assert_null(qemu_chr_find("f0"));
    text = read_file(path);
    assert_string_equal(text, "hello world\n");
    free(text);

    /* Reopen without append truncates; with append=on adds. */
    char *cmd = xasprintf("file,id=f1,path=%s,append=on", path);
    chr = qemu_chr_new_cmdline(cmd, &error_abort);
    assert_true(qemu_chr_fe_init(&be, chr, &error_abort));
    qemu_chr_fe_write_all(&be, (const uint8_t *)"more\n", 5);
    qemu_chr_fe_deinit(&be, true);
    text = read_file(path);
    assert_string_equal(text, "hello world\nmore\n");
    free(text);

    chr = qemu_chr_new("f2", spec, &error_abort);
    qemu_chr_delete(chr);
    text = read_file(path);
    assert_string_equal(text, "");
    free(text);

    /* Errors name the chardev and the file. */
    Error *err = NULL;
    assert_null(qemu_chr_new("f3", "file:/nonexistent/dir/x", &err));
    assert_string_equal(error_get_pretty(err),
                        "chardev 'f3': cannot open '/nonexistent/dir/x': "
                        "No such file or directory");
    error_free(err);

    free(cmd);
    free(spec);
    free(path);
}

static void test_logfile(void **state)
{
    char *log = xasprintf("%s/out.log", tmpdir);
    char *cmd = xasprintf("null,id=l0,logfile=%s", log);
    Chardev *chr = qemu_chr_new_cmdline(cmd, &error_abort);
    CharBackend be;

    assert_true(qemu_chr_fe_init(&be, chr, &error_abort));
    qemu_chr_fe_write_all(&be, (const uint8_t *)"logged", 6);
    qemu_chr_fe_deinit(&be, true);
    char *text = read_file(log);
    assert_string_equal(text, "logged");
    free(text);
    free(cmd);
    free(log);
}

/* ---- mux ---- */

static int quit_calls;

static void test_quit_hook(void *opaque)
{
    quit_calls++;
}

/* Feed bytes into chr as its host side would, honouring can_read. */
static void inject(Chardev *chr, const char *s, size_t len)
{
    assert_true(qemu_chr_be_can_write(chr) >= (int)len);
    qemu_chr_be_write(chr, (const uint8_t *)s, len);
}

static void test_mux(void **state)
{
    char *path = xasprintf("%s/mux.out", tmpdir);
    char *spec = xasprintf("mon:file:%s", path);
    Chardev *mux, *base;
    TestFe serial, monitor;

    mux = qemu_chr_new("serial0", spec, &error_abort);
    base = qemu_chr_find("serial0-base");
    assert_non_null(mux);
    assert_non_null(base);
    assert_true(qemu_chr_is_mux(mux));
    assert_string_equal(qemu_chr_get_filename(mux), "mux");
    assert_int_equal(qemu_chr_mux_get_focus(mux), -1);
    /* No frontend yet: the mux reads nothing, so nothing is lost. */
    assert_int_equal(qemu_chr_be_can_write(base), 0);

    test_fe_attach(&serial, mux, TEST_FE_MAX);
    test_fe_attach(&monitor, mux, TEST_FE_MAX);
    /* The last frontend to set handlers has the focus, as in QEMU. */
    assert_int_equal(qemu_chr_mux_get_focus(mux), 1);
    assert_int_equal(test_fe_count(&monitor, CHR_EVENT_MUX_IN), 1);
    assert_int_equal(test_fe_count(&serial, CHR_EVENT_MUX_OUT), 1);
    /* The file backend is open: both frontends heard so. */
    assert_int_equal(test_fe_count(&serial, CHR_EVENT_OPENED), 1);
    assert_int_equal(test_fe_count(&monitor, CHR_EVENT_OPENED), 1);

    qemu_chr_mux_set_focus(mux, 0);
    inject(base, "ab", 2);
    assert_int_equal(serial.len, 2);
    assert_memory_equal(serial.buf, "ab", 2);
    assert_int_equal(monitor.len, 0);

    /* C-a c: focus moves to the monitor. */
    serial.nevents = monitor.nevents = 0;
    inject(base, "\x01" "cxy", 4);
    assert_int_equal(qemu_chr_mux_get_focus(mux), 1);
    assert_int_equal(test_fe_count(&serial, CHR_EVENT_MUX_OUT), 1);
    assert_int_equal(test_fe_count(&monitor, CHR_EVENT_MUX_IN), 1);
    assert_int_equal(serial.len, 2);
    assert_int_equal(monitor.len, 2);
    assert_memory_equal(monitor.buf, "xy", 2);

    /* C-a C-a sends one C-a; split across two reads works too. */
    inject(base, "\x01", 1);
    assert_int_equal(monitor.len, 2);
    inject(base, "\x01", 1);
    assert_int_equal(monitor.len, 3);
    assert_int_equal(monitor.buf[2], 0x01);

    /* C-a b: break to the focused frontend only. */
    inject(base, "\x01" "b", 2);
    assert_int_equal(test_fe_count(&monitor, CHR_EVENT_BREAK), 1);
    assert_int_equal(test_fe_count(&serial, CHR_EVENT_BREAK), 0);

    /* C-a c again wraps back to the serial port. */
    inject(base, "\x01" "c", 2);
    assert_int_equal(qemu_chr_mux_get_focus(mux), 0);

    /*
     * The serial port stops reading: the mux buffers, then tells the base
     * to stop; accept_input delivers everything in order.
     */
    serial.capacity = serial.len;
    char big[200];
    size_t sent = 0;
    for (size_t i = 0; i < sizeof(big); i++) {
        big[i] = 'A' + i % 26;
    }
    while (sent < sizeof(big) && qemu_chr_be_can_write(base) > 0) {
        size_t n = MIN((size_t)qemu_chr_be_can_write(base),
                       sizeof(big) - sent);
        inject(base, big + sent, n);
        sent += n;
    }
    assert_true(sent > 0 && sent < sizeof(big));
    assert_int_equal(qemu_chr_be_can_write(base), 0);
    assert_int_equal(serial.len, 2);
    serial.capacity = TEST_FE_MAX;
    qemu_chr_fe_accept_input(&serial.be);
    assert_int_equal(serial.len, 2 + sent);
    assert_memory_equal(serial.buf + 2, big, sent);
    assert_true(qemu_chr_be_can_write(base) > 0);

    /* Output from both frontends reaches the base. */
    qemu_chr_fe_write_all(&serial.be, (const uint8_t *)"[serial]", 8);
    qemu_chr_fe_write_all(&monitor.be, (const uint8_t *)"[mon]", 5);

    /* C-a h prints help; C-a x runs the quit hook after a message. */
    inject(base, "\x01" "h", 2);
    qemu_chr_set_quit_hook(test_quit_hook, NULL);
    inject(base, "\x01" "x", 2);
    assert_int_equal(quit_calls, 1);
    qemu_chr_set_quit_hook(NULL, NULL);

    char *text = read_file(path);
    assert_non_null(strstr(text, "[serial][mon]"));
    assert_non_null(strstr(text, "C-a c    switch between console and "
                           "monitor"));
    assert_non_null(strstr(text, "osprey: terminated"));
    free(text);

    /* Base is busy while the mux uses it. */
    Error *err = NULL;
    assert_false(qemu_chr_remove("serial0-base", &err));
    error_free(err);

    test_fe_detach(&serial);
    test_fe_detach(&monitor);
    qemu_chr_delete(mux);
    qemu_chr_delete(base);
    free(spec);
    free(path);
}

static void test_mux_frontend_limit(void **state)
{
    Chardev *mux = qemu_chr_new("m4", "mon:null", &error_abort);
    CharBackend be[5];
    Error *err = NULL;

    for (int i = 0; i < 4; i++) {
        assert_true(qemu_chr_fe_init(&be[i], mux, &error_abort));
        assert_int_equal(be[i].tag, i);
    }
    assert_false(qemu_chr_fe_init(&be[4], mux, &err));
    assert_string_equal(error_get_pretty(err),
                        "too many uses of multiplexed chardev 'm4'");
    error_free(err);
    /* Deleting the mux leaves the frontends detached, not dangling. */
    qemu_chr_delete(mux);
    for (int i = 0; i < 4; i++) {
        assert_null(be[i].chr);
        assert_int_equal(qemu_chr_fe_write(&be[i], (const uint8_t *)"x", 1),
                         1);
    }
    qemu_chr_delete(qemu_chr_find("m4-base"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_legacy),
        cmocka_unit_test(test_parse_legacy_errors),
        cmocka_unit_test(test_parse_chardev),
        cmocka_unit_test(test_registry),
        cmocka_unit_test(test_file_backend),
        cmocka_unit_test(test_logfile),
        cmocka_unit_test(test_mux),
        cmocka_unit_test(test_mux_frontend_limit),
    };
    return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
