/*
 * Unit tests for chardev/: option parsing, the registry, the frontend API,
 * and the null, file and mux backends.
 */
#include "test.h"
#include "chardev/char.h"
#include "system/main-loop.h"
#include "util/qobject.h"
#include "util/sockets.h"
#include "loop-watchdog.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>

/* ---- A test frontend that records what it gets ---- */

typedef struct TestFe {
    CharBackend be;
    uint8_t *buf;
    size_t len;
    size_t capacity;        /* can_read = capacity - len */
    QEMUChrEvent events[64];
    int nevents;
    size_t len_at_close;    /* bytes received when CLOSED arrived */
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
    if (event == CHR_EVENT_CLOSED) {
        fe->len_at_close = fe->len;
    }
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
    main_loop_init();
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

    QObject *q = qmp_query_chardev(&error_abort);
    assert_int_equal(qlist_size(q), 2);
    QObject *info = qlist_get(q, 0);
    assert_string_equal(qdict_get_try_str(info, "label"), "n0");
    assert_string_equal(qdict_get_try_str(info, "filename"), "null");
    assert_true(qdict_get_try_bool(info, "frontend-open", false));
    info = qlist_get(q, 1);
    assert_string_equal(qdict_get_try_str(info, "label"), "n2");
    assert_false(qdict_get_try_bool(info, "frontend-open", true));
    qobject_unref(q);
    q = qmp_query_chardev_backends(&error_abort);
    assert_int_equal(qlist_size(q), 9);
    qobject_unref(q);
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


/* ---- Helpers for backends served by the main loop ---- */

/* Run the main loop until cond holds or timeout_ms passes. */
static bool run_until(bool (*cond)(void *), void *opaque, int timeout_ms)
{
    Watchdog w;

    watchdog_start(&w, timeout_ms);
    while (!cond(opaque) && !watchdog_fired(&w)) {
        main_loop_wait(false);
    }
    watchdog_stop(&w);
    return cond(opaque);
}

static bool chr_is_open(void *opaque)
{
    return ((Chardev *)opaque)->be_open;
}

static bool chr_is_closed(void *opaque)
{
    return !((Chardev *)opaque)->be_open;
}

typedef struct WantLen {
    TestFe *fe;
    size_t len;
} WantLen;

static bool fe_has_len(void *opaque)
{
    WantLen *w = opaque;
    return w->fe->len >= w->len;
}

static void expect_input(TestFe *fe, const char *data)
{
    size_t start = fe->len, n = strlen(data);
    WantLen w = { fe, start + n };

    assert_true(run_until(fe_has_len, &w, 5000));
    assert_int_equal(fe->len, start + n);
    assert_memory_equal(fe->buf + start, data, n);
}

/* The fd, or -1 while nobody listens yet. */
static int unix_connect(const char *path)
{
    SocketAddress *addr = socket_address_new_unix(path);
    int fd = socket_connect(addr, NULL);

    socket_address_free(addr);
    return fd;
}

static int unix_listen(const char *path)
{
    SocketAddress *addr = socket_address_new_unix(path);
    int fd = socket_listen(addr, 4, &error_abort);

    socket_address_free(addr);
    return fd;
}

static void write_str(int fd, const char *s)
{
    assert_int_equal(write(fd, s, strlen(s)), (ssize_t)strlen(s));
}

/* Read exactly n bytes from fd, or fail after 5 seconds. */
static void read_exact(int fd, void *buf, size_t n)
{
    size_t got = 0;

    while (got < n) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        ssize_t r = read(fd, (char *)buf + got, n - got);
        assert_true(r > 0);
        got += r;
    }
}

static void expect_output(int fd, const char *data)
{
    size_t n = strlen(data);
    char *buf = xmalloc(n + 1);

    read_exact(fd, buf, n);
    buf[n] = 0;
    assert_string_equal(buf, data);
    free(buf);
}

static void fe_write_str(TestFe *fe, const char *s)
{
    assert_int_equal(qemu_chr_fe_write_all(&fe->be, (const uint8_t *)s,
                                           strlen(s)), (int)strlen(s));
}

/* ---- socket ---- */

static void test_socket_server(void **state)
{
    char *path = xasprintf("%s/s0", tmpdir);
    char *cmd = xasprintf("socket,id=s0,path=%s,server=on,wait=off", path);
    char *name = xasprintf("unix:%s,server=on", path);
    char *disc = xasprintf("disconnected:unix:%s,server=on", path);
    Chardev *chr;
    TestFe fe;
    int c1, c2;

    /* wait=off: creation returns at once, nobody connected. */
    chr = qemu_chr_new_cmdline(cmd, &error_abort);
    assert_non_null(chr);
    assert_false(chr->be_open);
    assert_string_equal(qemu_chr_get_filename(chr), disc);
    test_fe_attach(&fe, chr, TEST_FE_MAX);
    assert_int_equal(fe.nevents, 0);

    /* Output with no client is dropped, and reported as written. */
    fe_write_str(&fe, "lost");

    c1 = unix_connect(path);
    assert_true(c1 >= 0);
    assert_true(run_until(chr_is_open, chr, 5000));
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_OPENED), 1);
    assert_string_equal(qemu_chr_get_filename(chr), name);

    write_str(c1, "hello");
    expect_input(&fe, "hello");
    fe_write_str(&fe, "from guest");
    expect_output(c1, "from guest");

    /* A second client waits until the first leaves. */
    c2 = unix_connect(path);
    assert_true(c2 >= 0);
    write_str(c2, "second");
    write_str(c1, " again");
    expect_input(&fe, " again");
    /* The last bytes before a disconnect still arrive. */
    write_str(c1, "bye");
    close(c1);
    assert_true(run_until(chr_is_closed, chr, 5000));
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_CLOSED), 1);
    assert_int_equal(fe.len_at_close, strlen("hello again") + 3);
    assert_memory_equal(fe.buf + fe.len_at_close - 3, "bye", 3);

    assert_true(run_until(chr_is_open, chr, 5000));
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_OPENED), 2);
    expect_input(&fe, "second");
    fe_write_str(&fe, "to second");
    expect_output(c2, "to second");
    close(c2);
    assert_true(run_until(chr_is_closed, chr, 5000));
    assert_string_equal(qemu_chr_get_filename(chr), disc);

    Error *err = NULL;
    assert_null(qemu_chr_new("bad", "unix:/nonexistent/s,server=on,wait=off",
                             &err));
    assert_string_equal(error_get_pretty(err), "chardev 'bad': Failed to "
                        "listen on socket unix:/nonexistent/s: No such file "
                        "or directory");
    error_free(err);

    /* Reconnect after everyone left. */
    c1 = unix_connect(path);
    assert_true(run_until(chr_is_open, chr, 5000));
    write_str(c1, "third");
    expect_input(&fe, "third");

    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    close(c1);
    /* The socket file goes away with the server. */
    assert_int_equal(access(path, F_OK), -1);
    free(disc);
    free(name);
    free(cmd);
    free(path);
}

typedef struct LateClient {
    char *path;
    int delay_ms;
    int fd;
    const char *send;
} LateClient;

static void *late_client_thread(void *opaque)
{
    LateClient *lc = opaque;

    sleep_ms(lc->delay_ms);
    for (int i = 0; i < 500 && lc->fd < 0; i++) {
        lc->fd = unix_connect(lc->path);
        if (lc->fd < 0) {
            sleep_ms(10);
        }
    }
    if (lc->fd >= 0 && lc->send) {
        write_str(lc->fd, lc->send);
    }
    return NULL;
}

static void test_socket_wait_on(void **state)
{
    LateClient lc = { .delay_ms = 100, .fd = -1, .send = "early" };
    pthread_t thread;
    Chardev *chr;
    TestFe fe;

    lc.path = xasprintf("%s/wait", tmpdir);
    char *cmd = xasprintf("socket,id=w0,path=%s,server=on,wait=on", lc.path);
    pthread_create(&thread, NULL, late_client_thread, &lc);
    /* Blocks until the client thread connects. */
    chr = qemu_chr_new_cmdline(cmd, &error_abort);
    pthread_join(thread, NULL);
    assert_true(lc.fd >= 0);
    assert_true(chr->be_open);

    /* The frontend comes later and still hears OPENED and the data. */
    test_fe_attach(&fe, chr, TEST_FE_MAX);
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_OPENED), 1);
    expect_input(&fe, "early");

    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    close(lc.fd);
    free(cmd);
    free(lc.path);
}

static void test_socket_client_reconnect(void **state)
{
    char *path = xasprintf("%s/later", tmpdir);
    char *cmd = xasprintf("socket,id=r0,path=%s,reconnect=1", path);
    Error *err = NULL;
    Chardev *chr;
    TestFe fe;
    int lfd, conn;

    /* Without reconnect, a missing server is an error. */
    char *spec = xasprintf("unix:%s", path);
    assert_null(qemu_chr_new("r1", spec, &err));
    char *msg = xasprintf("chardev 'r1': Failed to connect socket to "
                          "unix:%s: No such file or directory", path);
    assert_string_equal(error_get_pretty(err), msg);
    error_free(err);

    /* With reconnect, creation succeeds and the client keeps trying. */
    chr = qemu_chr_new_cmdline(cmd, &error_abort);
    assert_false(chr->be_open);
    test_fe_attach(&fe, chr, TEST_FE_MAX);

    lfd = unix_listen(path);
    assert_true(run_until(chr_is_open, chr, 5000));
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_OPENED), 1);
    conn = accept(lfd, NULL, NULL);
    assert_true(conn >= 0);
    write_str(conn, "served");
    expect_input(&fe, "served");
    fe_write_str(&fe, "client says");
    expect_output(conn, "client says");

    /* The server drops us: CLOSED, then a new connection. */
    close(conn);
    assert_true(run_until(chr_is_closed, chr, 5000));
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_CLOSED), 1);
    assert_true(run_until(chr_is_open, chr, 5000));
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_OPENED), 2);
    conn = accept(lfd, NULL, NULL);
    write_str(conn, "again");
    expect_input(&fe, "again");

    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    close(conn);
    close(lfd);
    free(msg);
    free(spec);
    free(cmd);
    free(path);
}

typedef struct Streamer {
    int fd;
    const uint8_t *data;
    size_t len;
} Streamer;

static void *streamer_thread(void *opaque)
{
    Streamer *st = opaque;
    size_t done = 0;

    while (done < st->len) {
        ssize_t n = write(st->fd, st->data + done, st->len - done);
        if (n <= 0) {
            break;
        }
        done += n;
    }
    close(st->fd);
    return NULL;
}

static void test_socket_flow_control(void **state)
{
    char *path = xasprintf("%s/flow", tmpdir);
    char *cmd = xasprintf("socket,id=f0,path=%s,server=on,wait=off", path);
    size_t total = 64 * KiB;
    uint8_t *data = xmalloc(total);
    Chardev *chr;
    TestFe fe;
    Streamer st;
    pthread_t thread;
    Watchdog w;

    for (size_t i = 0; i < total; i++) {
        data[i] = (uint8_t)(i * 7 + i / 251);
    }
    chr = qemu_chr_new_cmdline(cmd, &error_abort);
    /* A slow guest: room for one byte per main-loop iteration. */
    test_fe_attach(&fe, chr, 1);
    st = (Streamer) { .fd = unix_connect(path), .data = data, .len = total };
    assert_true(st.fd >= 0);
    pthread_create(&thread, NULL, streamer_thread, &st);

    watchdog_start(&w, 60000);
    while (!watchdog_fired(&w) && test_fe_count(&fe, CHR_EVENT_CLOSED) == 0) {
        main_loop_wait(false);
        if (fe.len == fe.capacity) {
            fe.capacity++;
            qemu_chr_fe_accept_input(&fe.be);
        }
    }
    watchdog_stop(&w);
    pthread_join(thread, NULL);

    assert_int_equal(fe.len, total);
    assert_int_equal(fe.len_at_close, total);
    assert_memory_equal(fe.buf, data, total);

    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    free(data);
    free(cmd);
    free(path);
}

static int tcp_connect(const char *port)
{
    SocketAddress *addr = socket_address_new_inet("127.0.0.1", port);
    int fd = socket_connect(addr, &error_abort);

    socket_address_free(addr);
    return fd;
}

/* "disconnected:tcp:127.0.0.1:PORT,server=on" -> "PORT" */
static char *port_of(Chardev *chr)
{
    const char *f = qemu_chr_get_filename(chr);
    const char *p = strstr(f, "127.0.0.1:");

    assert_non_null(p);
    p += strlen("127.0.0.1:");
    return xstrndup(p, strcspn(p, ","));
}

static void test_socket_tcp_telnet(void **state)
{
    Chardev *chr;
    TestFe fe;
    char *port, *want;
    int c;

    chr = qemu_chr_new("t0", "tcp:127.0.0.1:0,server=on,wait=off,nodelay=on",
                       &error_abort);
    port = port_of(chr);
    assert_true(atoi(port) > 0);
    want = xasprintf("disconnected:tcp:127.0.0.1:%s,server=on", port);
    assert_string_equal(qemu_chr_get_filename(chr), want);
    free(want);

    test_fe_attach(&fe, chr, TEST_FE_MAX);
    c = tcp_connect(port);
    assert_true(run_until(chr_is_open, chr, 5000));
    want = xasprintf("tcp:127.0.0.1:%s,server=on <-> 127.0.0.1:", port);
    assert_true(strstart(qemu_chr_get_filename(chr), want, NULL));
    free(want);
    write_str(c, "tcp data");
    expect_input(&fe, "tcp data");
    fe_write_str(&fe, "reply");
    expect_output(c, "reply");
    close(c);
    assert_true(run_until(chr_is_closed, chr, 5000));
    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    free(port);

    /* telnet: negotiation sent, IAC sequences stripped, IAC BREAK. */
    chr = qemu_chr_new("t1", "telnet:127.0.0.1:0,server=on,wait=off",
                       &error_abort);
    port = port_of(chr);
    want = xasprintf("disconnected:telnet:127.0.0.1:%s,server=on", port);
    assert_string_equal(qemu_chr_get_filename(chr), want);
    free(want);
    test_fe_attach(&fe, chr, TEST_FE_MAX);
    c = tcp_connect(port);
    assert_true(run_until(chr_is_open, chr, 5000));
    uint8_t nego[12];
    read_exact(c, nego, sizeof(nego));
    assert_int_equal(nego[0], 0xff);
    assert_int_equal(nego[1], 0xfb);
    static const uint8_t in[] = {
        'a', 0xff, 0xff, 'b', 0xff, 0xfb, 0x01, 'c',
        0xff, 0xfa, 0x18, 0x00, 'x', 0xff, 0xf0, 'd', 0xff, 0xf3, 'e',
    };
    assert_int_equal(write(c, in, sizeof(in)), (ssize_t)sizeof(in));
    expect_input(&fe, "a\xff" "bcde");
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_BREAK), 1);
    close(c);
    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    free(port);
}

static int watch_calls;

static void test_watch_cb(void *opaque)
{
    watch_calls++;
}

static bool watch_fired(void *opaque)
{
    return watch_calls > 0;
}

static void test_socket_write_watch(void **state)
{
    char *path = xasprintf("%s/ww", tmpdir);
    char *spec = xasprintf("unix:%s,server=on,wait=off", path);
    Chardev *chr = qemu_chr_new("ww", spec, &error_abort);
    uint8_t chunk[4096];
    size_t queued = 0;
    TestFe fe;
    int c, n;

    memset(chunk, 'z', sizeof(chunk));
    test_fe_attach(&fe, chr, TEST_FE_MAX);
    c = unix_connect(path);
    assert_true(run_until(chr_is_open, chr, 5000));

    /* The client does not read: non-blocking writes fill up, then stop. */
    while ((n = qemu_chr_fe_write(&fe.be, chunk, sizeof(chunk))) > 0) {
        queued += n;
        assert_true(queued < 64 * MiB);
    }
    assert_int_equal(n, 0);
    assert_true(qemu_chr_fe_add_write_watch(&fe.be, test_watch_cb, NULL));
    main_loop_wait(true);
    assert_int_equal(watch_calls, 0);

    /* Once the client drains, the watch fires exactly once. */
    uint8_t *sink = xmalloc(queued);
    read_exact(c, sink, queued);
    free(sink);
    assert_true(run_until(watch_fired, NULL, 5000));
    main_loop_wait(true);
    assert_int_equal(watch_calls, 1);
    assert_int_equal(qemu_chr_fe_write(&fe.be, chunk, 10), 10);

    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    close(c);
    free(spec);
    free(path);
}

static void test_socket_tcp_client_reconnect(void **state)
{
    SocketAddress *any = socket_address_new_inet("127.0.0.1", "0");
    int lfd = socket_listen(any, 4, &error_abort);
    SocketAddress *local = socket_local_address(lfd, &error_abort);
    Chardev *chr;
    TestFe fe;
    int conn;

    char *spec = xasprintf("tcp:127.0.0.1:%s,reconnect-ms=50,nodelay=on",
                           local->port);
    socket_address_free(any);
    socket_address_free(local);

    chr = qemu_chr_new("tc", spec, &error_abort);
    assert_true(chr->be_open);
    test_fe_attach(&fe, chr, TEST_FE_MAX);
    conn = accept(lfd, NULL, NULL);
    write_str(conn, "one");
    expect_input(&fe, "one");
    close(conn);
    assert_true(run_until(chr_is_closed, chr, 5000));
    /* The retry connects without blocking the loop. */
    assert_true(run_until(chr_is_open, chr, 5000));
    conn = accept(lfd, NULL, NULL);
    write_str(conn, "two");
    expect_input(&fe, "two");
    fe_write_str(&fe, "back");
    expect_output(conn, "back");

    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    close(conn);
    close(lfd);
    free(spec);
}

/* ---- pty ---- */

static void test_pty(void **state)
{
    char *errlog = xasprintf("%s/stderr", tmpdir);
    int saved_err = dup(2);
    int logfd = open(errlog, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    Chardev *chr;
    TestFe fe;
    const char *dev;
    int slave;

    /* Catch the "char device redirected to" line on stderr. */
    dup2(logfd, 2);
    chr = qemu_chr_new("p0", "pty", &error_abort);
    dup2(saved_err, 2);
    close(saved_err);
    close(logfd);

    assert_non_null(chr);
    assert_true(strstart(qemu_chr_get_filename(chr), "pty:/dev/pts/", &dev));
    dev = qemu_chr_get_filename(chr) + 4;
    char *text = read_file(errlog);
    char *want = xasprintf("char device redirected to %s (label p0)\n", dev);
    assert_string_equal(text, want);
    free(want);
    free(text);

    test_fe_attach(&fe, chr, TEST_FE_MAX);
    slave = open(dev, O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    /* Raw mode: bytes, including C-a and CR, pass unchanged. */
    write_str(slave, "ping\r\x01");
    expect_input(&fe, "ping\r\x01");
    fe_write_str(&fe, "pong\n");
    expect_output(slave, "pong\n");

    close(slave);
    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    free(errlog);
}

/* ---- pipe ---- */

static void test_pipe(void **state)
{
    char *base = xasprintf("%s/guest", tmpdir);
    char *in = xasprintf("%s.in", base);
    char *out = xasprintf("%s.out", base);
    char *spec = xasprintf("pipe:%s", base);
    Error *err = NULL;
    Chardev *chr;
    TestFe fe;

    assert_null(qemu_chr_new("pp", spec, &err));
    assert_true(strstr(error_get_pretty(err), "cannot open pipe") != NULL);
    error_free(err);

    assert_int_equal(mkfifo(in, 0600), 0);
    assert_int_equal(mkfifo(out, 0600), 0);
    chr = qemu_chr_new("pp", spec, &error_abort);
    assert_string_equal(qemu_chr_get_filename(chr), spec);
    test_fe_attach(&fe, chr, TEST_FE_MAX);

    int wfd = open(in, O_WRONLY);
    int rfd = open(out, O_RDONLY | O_NONBLOCK);
    write_str(wfd, "into guest");
    expect_input(&fe, "into guest");
    fe_write_str(&fe, "out of guest");
    expect_output(rfd, "out of guest");
    /* A writer that goes away is not an end of input (we hold it open). */
    close(wfd);
    main_loop_wait(true);
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_CLOSED), 0);

    close(rfd);
    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    free(spec);
    free(out);
    free(in);
    free(base);
}

/* ---- stdio ---- */

static bool fe_closed(void *opaque)
{
    return test_fe_count(opaque, CHR_EVENT_CLOSED) > 0;
}

static void test_stdio_pipes(void **state)
{
    int in[2], out[2];
    int saved_in = dup(0), saved_out = dup(1);
    Chardev *chr;
    TestFe fe;
    Error *err = NULL;

    assert_int_equal(pipe(in), 0);
    assert_int_equal(pipe(out), 0);
    fflush(stdout);
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[0]);
    close(out[1]);

    chr = qemu_chr_new("io", "stdio", &error_abort);
    assert_null(qemu_chr_new("io2", "stdio", &err));
    assert_string_equal(error_get_pretty(err), "chardev 'io2': cannot use "
                        "stdio by multiple character devices");
    error_free(err);

    test_fe_attach(&fe, chr, TEST_FE_MAX);
    assert_int_equal(test_fe_count(&fe, CHR_EVENT_OPENED), 1);
    write_str(in[1], "typed\x01");
    close(in[1]);
    assert_true(run_until(fe_closed, &fe, 5000));
    assert_int_equal(fe.len, 6);
    assert_memory_equal(fe.buf, "typed\x01", 6);
    assert_int_equal(fe.len_at_close, 6);
    fe_write_str(&fe, "printed");

    test_fe_detach(&fe);
    qemu_chr_delete(chr);
    dup2(saved_in, 0);
    dup2(saved_out, 1);
    close(saved_in);
    close(saved_out);
    expect_output(out[0], "printed");
    close(out[0]);
}

/*
 * In a child whose stdin is the slave of a new pty: open stdio, tell the
 * parent, then wait for a byte on go_fd and exit(0), or for a signal.
 */
static pid_t stdio_child(int master, const char *spec, int *ready_fd,
                         int *go_fd)
{
    int ready[2], go[2];
    pid_t pid;
    char c;

    assert_int_equal(pipe(ready), 0);
    assert_int_equal(pipe(go), 0);
    pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
        dup2(slave, 0);
        close(ready[0]);
        close(go[1]);
        Chardev *chr = strchr(spec, ',') ? qemu_chr_new_cmdline(spec, NULL)
                                         : qemu_chr_new("tty", spec, NULL);
        if (write(ready[1], chr ? "y" : "n", 1) != 1) {
            _exit(3);
        }
        if (read(go[0], &c, 1) == 1) {
            exit(0);            /* atexit hook restores */
        }
        _exit(4);
    }
    close(ready[1]);
    close(go[0]);
    *ready_fd = ready[0];
    *go_fd = go[1];
    return pid;
}

static void check_stdio_terminal(const char *spec, int sig, bool isig_in_raw)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    struct termios before, raw, after;
    int ready, go, status, slave;
    char c;

    assert_true(master >= 0);
    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_int_equal(tcgetattr(slave, &before), 0);
    assert_true(before.c_lflag & ICANON);
    assert_true(before.c_lflag & ECHO);

    pid_t pid = stdio_child(master, spec, &ready, &go);
    read_exact(ready, &c, 1);
    assert_int_equal(c, 'y');
    assert_int_equal(tcgetattr(slave, &raw), 0);
    assert_false(raw.c_lflag & ICANON);
    assert_false(raw.c_lflag & ECHO);
    assert_int_equal(!!(raw.c_lflag & ISIG), isig_in_raw);

    if (sig) {
        kill(pid, sig);
    } else {
        write_str(go, "x");
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    if (sig) {
        assert_true(WIFSIGNALED(status));
        assert_int_equal(WTERMSIG(status), sig);
    } else {
        assert_true(WIFEXITED(status));
        assert_int_equal(WEXITSTATUS(status), 0);
    }
    assert_int_equal(tcgetattr(slave, &after), 0);
    assert_true(after.c_lflag & ICANON);
    assert_true(after.c_lflag & ECHO);
    assert_int_equal(after.c_lflag, before.c_lflag);
    assert_int_equal(after.c_iflag, before.c_iflag);
    close(ready);
    close(go);
    close(slave);
    close(master);
}

static void test_stdio_terminal_restored(void **state)
{
    fflush(stdout);
    check_stdio_terminal("stdio", 0, true);
    check_stdio_terminal("stdio", SIGTERM, true);
    check_stdio_terminal("stdio", SIGINT, true);
    check_stdio_terminal("stdio", SIGHUP, true);
    check_stdio_terminal("mon:stdio", SIGTERM, true);
    /* signal=off: C-c is a byte for the guest, not SIGINT. */
    check_stdio_terminal("stdio,id=tty,signal=off", SIGTERM, false);
}

/* Input through a mux over a real fd-backed chardev (pty). */
static void test_mux_pty(void **state)
{
    Chardev *mux = qemu_chr_new("mp", "mon:pty", &error_abort);
    Chardev *base = qemu_chr_find("mp-base");
    TestFe serial, monitor;
    int slave;

    assert_non_null(base);
    slave = open(qemu_chr_get_filename(base) + 4, O_RDWR | O_NOCTTY);
    assert_true(slave >= 0);
    /* Typed before any frontend exists: kept, not lost. */
    write_str(slave, "early");
    main_loop_wait(true);

    test_fe_attach(&serial, mux, TEST_FE_MAX);
    expect_input(&serial, "early");
    test_fe_attach(&monitor, mux, TEST_FE_MAX);
    write_str(slave, "info\r");
    expect_input(&monitor, "info\r");
    write_str(slave, "\x01" "c" "login");
    expect_input(&serial, "login");
    assert_int_equal(monitor.len, 5);
    fe_write_str(&serial, "out");
    expect_output(slave, "out");

    close(slave);
    test_fe_detach(&serial);
    test_fe_detach(&monitor);
    qemu_chr_delete(mux);
    qemu_chr_delete(base);
}

/* C-a x on mon:stdio: message, exit(0), terminal restored. */
static void test_mux_stdio_quit(void **state)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    struct termios before, after;
    int ready[2], status, slave;
    StrBuf out = { 0 };
    pid_t pid;
    char c;

    assert_int_equal(grantpt(master), 0);
    assert_int_equal(unlockpt(master), 0);
    slave = open(ptsname(master), O_RDWR | O_NOCTTY);
    assert_int_equal(tcgetattr(slave, &before), 0);
    assert_int_equal(pipe(ready), 0);
    fflush(stdout);
    pid = fork();
    if (pid == 0) {
        TestFe fe;
        alarm(10);              /* never outlive a failed test */
        dup2(slave, 0);
        dup2(slave, 1);
        Chardev *chr = qemu_chr_new("serial0", "mon:stdio", NULL);
        if (!chr) {
            _exit(3);
        }
        test_fe_attach(&fe, chr, TEST_FE_MAX);
        if (write(ready[1], "y", 1) != 1) {
            _exit(4);
        }
        for (int i = 0; i < 10000; i++) {
            main_loop_wait(false);
        }
        _exit(5);
    }
    close(ready[1]);
    read_exact(ready[0], &c, 1);
    write_str(master, "abc\x01" "x");
    while (!out.str || !strstr(out.str, "osprey: terminated")) {
        char buf[256];
        struct pollfd pfd = { .fd = master, .events = POLLIN };
        assert_int_equal(poll(&pfd, 1, 5000), 1);
        ssize_t n = read(master, buf, sizeof(buf));
        assert_true(n > 0);
        strbuf_append_len(&out, buf, n);
    }
    assert_int_equal(waitpid(pid, &status, 0), pid);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_int_equal(tcgetattr(slave, &after), 0);
    assert_int_equal(after.c_lflag, before.c_lflag);
    strbuf_free(&out);
    close(ready[0]);
    close(slave);
    close(master);
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
        cmocka_unit_test(test_socket_server),
        cmocka_unit_test(test_socket_wait_on),
        cmocka_unit_test(test_socket_client_reconnect),
        cmocka_unit_test(test_socket_flow_control),
        cmocka_unit_test(test_socket_tcp_telnet),
        cmocka_unit_test(test_socket_tcp_client_reconnect),
        cmocka_unit_test(test_socket_write_watch),
        cmocka_unit_test(test_pty),
        cmocka_unit_test(test_pipe),
        cmocka_unit_test(test_stdio_pipes),
        cmocka_unit_test(test_stdio_terminal_restored),
        cmocka_unit_test(test_mux_pty),
        cmocka_unit_test(test_mux_stdio_quit),
    };
    return cmocka_run_group_tests(tests, setup_tmpdir, teardown_tmpdir);
}
