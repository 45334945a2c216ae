/*
 * QMP over an in-memory chardev: greeting, negotiation, dispatch errors
 * with QEMU's classes and texts, id echo, events to several monitors,
 * malformed and hostile input, disconnects.
 */
#include "test.h"
#include "monitor/monitor.h"
#include "monitor/qmp.h"
#include "chardev/char.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "../../monitor/monitor-internal.h"

/* A chardev that keeps what the frontend writes. */
typedef struct MemChardev {
    Chardev parent;
    StrBuf out;
    size_t read_pos;       /* how far the test consumed out */
} MemChardev;

static int mem_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    MemChardev *m = (MemChardev *)chr;

    strbuf_append_len(&m->out, (const char *)buf, len);
    return len;
}

static const ChardevClass mem_chr_driver = {
    .name = "test-mem",
    .kind = CHARDEV_BACKEND_NULL,
    .instance_size = sizeof(MemChardev),
    .chr_write = mem_chr_write,
};

static MemChardev *mem_chr_new(const char *label)
{
    MemChardev *m = xnew(MemChardev);

    m->parent.driver = &mem_chr_driver;
    m->parent.label = xstrdup(label);
    m->parent.logfd = -1;
    pthread_mutex_init(&m->parent.write_lock, NULL);
    strbuf_init(&m->out);
    return m;
}

static void mem_chr_free(MemChardev *m)
{
    free(m->parent.label);
    free(m->parent.filename);
    pthread_mutex_destroy(&m->parent.write_lock);
    strbuf_free(&m->out);
    free(m);
}

static void mem_send(MemChardev *m, const char *text)
{
    qemu_chr_be_write(&m->parent, (const uint8_t *)text, strlen(text));
}

/* Next line the monitor wrote, parsed, or NULL if there is none. */
static QObject *mem_next(MemChardev *m)
{
    const char *start, *nl;
    QObject *obj;
    Error *err = NULL;

    if (m->read_pos >= m->out.len) {
        return NULL;
    }
    start = m->out.str + m->read_pos;
    nl = strstr(start, "\r\n");
    assert_non_null(nl);            /* QEMU ends QMP lines with CR LF */
    obj = qobject_from_json_len(start, nl - start, &err);
    if (!obj) {
        fail_msg("bad JSON from monitor: %s", error_get_pretty(err));
    }
    m->read_pos = nl + 2 - m->out.str;
    return obj;
}

typedef struct Fixture {
    MemChardev *chr;
    Monitor *mon;
} Fixture;

static void fixture_open(Fixture *f, const char *label)
{
    f->chr = mem_chr_new(label);
    f->mon = monitor_new(&f->chr->parent, true, false, &error_abort);
    qemu_chr_be_event(&f->chr->parent, CHR_EVENT_OPENED);
}

static void fixture_close(Fixture *f)
{
    monitor_destroy(f->mon);
    mem_chr_free(f->chr);
}

/* Send one request; return the next message (the reply). */
static QObject *request(Fixture *f, const char *json)
{
    QObject *rsp;

    mem_send(f->chr, json);
    rsp = mem_next(f->chr);
    assert_non_null(rsp);
    return rsp;
}

static void expect_error(Fixture *f, const char *json, const char *cls,
                         const char *desc)
{
    QObject *rsp = request(f, json);
    QObject *err = qdict_get(rsp, "error");

    if (!err) {
        char *s = qobject_to_json(rsp);
        fail_msg("%s: expected an error, got %s", json, s);
    }
    assert_string_equal(qdict_get_try_str(err, "class"), cls);
    assert_string_equal(qdict_get_try_str(err, "desc"), desc);
    qobject_unref(rsp);
}

static QObject *expect_return(Fixture *f, const char *json)
{
    QObject *rsp = request(f, json);
    QObject *ret = qdict_get(rsp, "return");

    if (!ret) {
        char *s = qobject_to_json(rsp);
        fail_msg("%s: expected a return, got %s", json, s);
    }
    qobject_ref(ret);
    qobject_unref(rsp);
    return ret;
}

static void negotiate(Fixture *f)
{
    QObject *greeting = mem_next(f->chr), *ret;

    assert_non_null(greeting);
    assert_non_null(qdict_get(greeting, "QMP"));
    qobject_unref(greeting);
    ret = expect_return(f, "{\"execute\": \"qmp_capabilities\"}");
    assert_int_equal(qdict_size(ret), 0);
    qobject_unref(ret);
}

static int setup(void **state)
{
    runstate_init();
    return 0;
}

static void test_greeting(void **state)
{
    Fixture f;
    QObject *g, *qmp, *ver, *caps;
    char *json;

    fixture_open(&f, "g");
    g = mem_next(f.chr);
    assert_non_null(g);
    json = qobject_to_json(g);
    assert_string_equal(json,
        "{\"QMP\": {\"version\": {\"qemu\": {\"micro\": 0, \"minor\": 1, "
        "\"major\": 0}, \"package\": \"osprey-0.1.0\"}, "
        "\"capabilities\": []}}");
    free(json);
    qmp = qdict_get(g, "QMP");
    ver = qdict_get(qmp, "version");
    caps = qdict_get(qmp, "capabilities");
    assert_int_equal(qobject_type(ver), QTYPE_QDICT);
    assert_int_equal(qlist_size(caps), 0);
    qobject_unref(g);
    assert_null(mem_next(f.chr));
    fixture_close(&f);
}

static void test_negotiation(void **state)
{
    Fixture f;
    QObject *ret;

    fixture_open(&f, "n");
    qobject_unref(mem_next(f.chr));
    expect_error(&f, "{\"execute\": \"query-status\"}", "CommandNotFound",
                 "Expecting capabilities negotiation with "
                 "'qmp_capabilities'");
    expect_error(&f, "{\"execute\": \"no-such-thing\"}", "CommandNotFound",
                 "Expecting capabilities negotiation with "
                 "'qmp_capabilities'");
    /* We offer no capability, so enabling oob fails, as QEMU on stdio. */
    expect_error(&f, "{\"execute\": \"qmp_capabilities\", "
                 "\"arguments\": {\"enable\": [\"oob\"]}}",
                 "GenericError", "Capability 'oob' not available");
    expect_error(&f, "{\"execute\": \"qmp_capabilities\", "
                 "\"arguments\": {\"enable\": [\"x\"]}}",
                 "GenericError",
                 "Parameter 'enable[0]' does not accept value 'x'");
    ret = expect_return(&f, "{\"execute\": \"qmp_capabilities\", "
                        "\"arguments\": {\"enable\": []}}");
    qobject_unref(ret);
    expect_error(&f, "{\"execute\": \"qmp_capabilities\"}", "CommandNotFound",
                 "Capabilities negotiation is already complete, command "
                 "ignored");
    ret = expect_return(&f, "{\"execute\": \"query-status\"}");
    assert_string_equal(qdict_get_try_str(ret, "status"), "prelaunch");
    assert_false(qdict_get_try_bool(ret, "running", true));
    assert_false(qdict_get_try_bool(ret, "singlestep", true));
    qobject_unref(ret);
    fixture_close(&f);
}

static void test_errors(void **state)
{
    Fixture f;

    fixture_open(&f, "e");
    negotiate(&f);
    expect_error(&f, "{\"execute\": \"foo\"}", "CommandNotFound",
                 "The command foo has not been found");
    expect_error(&f, "[1, 2]", "GenericError",
                 "QMP input must be a JSON object");
    expect_error(&f, "\"str\"", "GenericError",
                 "QMP input must be a JSON object");
    expect_error(&f, "{\"id\": 1}", "GenericError",
                 "QMP input lacks member 'execute'");
    expect_error(&f, "{\"execute\": 1}", "GenericError",
                 "QMP input member 'execute' must be a string");
    expect_error(&f, "{\"execute\": \"stop\", \"arguments\": []}",
                 "GenericError",
                 "QMP input member 'arguments' must be an object");
    expect_error(&f, "{\"execute\": \"stop\", \"foo\": 1}", "GenericError",
                 "QMP input member 'foo' is unexpected");
    /* OOB is not offered, so exec-oob is just an unexpected member. */
    expect_error(&f, "{\"exec-oob\": \"stop\"}", "GenericError",
                 "QMP input member 'exec-oob' is unexpected");
    expect_error(&f, "{\"execute\": \"query-status\", "
                 "\"arguments\": {\"foo\": 1}}", "GenericError",
                 "Invalid parameter 'foo'");
    expect_error(&f, "{\"execute\": \"qom-get\", "
                 "\"arguments\": {\"path\": \"/\"}}", "GenericError",
                 "Parameter 'property' missing");
    expect_error(&f, "{\"execute\": \"qom-list\", \"arguments\": {}}",
                 "GenericError", "Parameter 'path' missing");
    expect_error(&f, "{\"execute\": \"qom-list\", "
                 "\"arguments\": {\"path\": 5}}", "GenericError",
                 "Invalid parameter type for 'path', expected: string");
    expect_error(&f, "{\"execute\": \"qom-list-types\", "
                 "\"arguments\": {\"abstract\": \"yes\"}}", "GenericError",
                 "Invalid parameter type for 'abstract', expected: boolean");
    expect_error(&f, "{\"execute\": \"human-monitor-command\", "
                 "\"arguments\": {\"command-line\": \"info status\", "
                 "\"cpu-index\": 1.5}}", "GenericError",
                 "Invalid parameter type for 'cpu-index', expected: integer");
    expect_error(&f, "{\"execute\": \"qom-list\", "
                 "\"arguments\": {\"path\": \"/nowhere\"}}", "DeviceNotFound",
                 "Device '/nowhere' not found");
    fixture_close(&f);
}

static void test_id_echo(void **state)
{
    Fixture f;
    QObject *rsp, *id;
    char *json;

    fixture_open(&f, "id");
    negotiate(&f);
    rsp = request(&f, "{\"execute\": \"query-name\", \"id\": "
                  "{\"a\": [1, \"x\"]}}");
    json = qobject_to_json(rsp);
    assert_string_equal(json, "{\"return\": {}, \"id\": {\"a\": [1, \"x\"]}}");
    free(json);
    qobject_unref(rsp);
    /* Errors echo the id too, also before the command is known. */
    rsp = request(&f, "{\"execute\": \"foo\", \"id\": 42}");
    id = qdict_get(rsp, "id");
    assert_non_null(id);
    assert_int_equal(qdict_get_try_int(rsp, "id", 0), 42);
    qobject_unref(rsp);
    rsp = request(&f, "{\"id\": \"x\", \"bogus\": true}");
    assert_string_equal(qdict_get_try_str(rsp, "id"), "x");
    assert_non_null(qdict_get(rsp, "error"));
    qobject_unref(rsp);
    fixture_close(&f);
}

static void test_malformed_input(void **state)
{
    Fixture f;
    QObject *rsp, *ret;
    StrBuf deep;

    fixture_open(&f, "m");
    negotiate(&f);
    /* A parse error gets a GenericError without id. */
    rsp = request(&f, "{\"execute\": }\n");
    assert_non_null(qdict_get(rsp, "error"));
    assert_string_equal(qdict_get_try_str(qdict_get(rsp, "error"), "class"),
                        "GenericError");
    assert_null(qdict_get(rsp, "id"));
    qobject_unref(rsp);
    /* The stream resynchronises: the next request works. */
    ret = expect_return(&f, "{\"execute\": \"query-name\"}");
    qobject_unref(ret);

    /* Too deep: refused, not a stack overflow. */
    strbuf_init(&deep);
    for (int i = 0; i < 10000; i++) {
        strbuf_putc(&deep, '[');
    }
    mem_send(f.chr, deep.str);
    mem_send(f.chr, "\n");
    rsp = mem_next(f.chr);
    assert_non_null(rsp);
    assert_non_null(qdict_get(rsp, "error"));
    qobject_unref(rsp);
    while ((rsp = mem_next(f.chr))) {
        qobject_unref(rsp);
    }
    strbuf_free(&deep);
    ret = expect_return(&f, "{\"execute\": \"query-name\"}");
    qobject_unref(ret);

    /* Several requests in one chunk: replies in order. */
    mem_send(f.chr, "{\"execute\": \"query-name\", \"id\": 1}"
             "{\"execute\": \"foo\", \"id\": 2}");
    rsp = mem_next(f.chr);
    assert_int_equal(qdict_get_try_int(rsp, "id", 0), 1);
    qobject_unref(rsp);
    rsp = mem_next(f.chr);
    assert_int_equal(qdict_get_try_int(rsp, "id", 0), 2);
    qobject_unref(rsp);
    fixture_close(&f);
}

static void test_disconnect_mid_command(void **state)
{
    Fixture f;
    QObject *rsp, *ret;

    fixture_open(&f, "d");
    negotiate(&f);
    mem_send(f.chr, "{\"execute\": \"qu");
    assert_null(mem_next(f.chr));
    qemu_chr_be_event(&f.chr->parent, CHR_EVENT_CLOSED);
    qemu_chr_be_event(&f.chr->parent, CHR_EVENT_OPENED);
    /* A new client: greeted again, and must negotiate again. */
    rsp = mem_next(f.chr);
    assert_non_null(qdict_get(rsp, "QMP"));
    qobject_unref(rsp);
    /* The old client's half request did not survive. */
    expect_error(&f, "{\"execute\": \"query-status\"}", "CommandNotFound",
                 "Expecting capabilities negotiation with "
                 "'qmp_capabilities'");
    ret = expect_return(&f, "{\"execute\": \"qmp_capabilities\"}");
    qobject_unref(ret);
    fixture_close(&f);
}

static void test_events_reach_negotiated_monitors(void **state)
{
    Fixture a, b, c;
    QObject *ev, *ret, *data, *ts;

    fixture_open(&a, "a");
    fixture_open(&b, "b");
    fixture_open(&c, "c");
    negotiate(&a);
    negotiate(&b);
    qobject_unref(mem_next(c.chr));         /* c stays in negotiation */

    /* As in QEMU, the event goes out before the command's reply. */
    mem_send(a.chr, "{\"execute\": \"cont\"}");
    ev = mem_next(a.chr);
    assert_string_equal(qdict_get_try_str(ev, "event"), "RESUME");
    qobject_unref(ev);
    ret = mem_next(a.chr);
    assert_non_null(qdict_get(ret, "return"));
    qobject_unref(ret);
    ev = mem_next(b.chr);
    assert_non_null(ev);
    assert_string_equal(qdict_get_try_str(ev, "event"), "RESUME");
    ts = qdict_get(ev, "timestamp");
    assert_non_null(ts);
    assert_true(qdict_get_try_int(ts, "seconds", 0) > 0);
    assert_true(qdict_haskey(ts, "microseconds"));
    qobject_unref(ev);

    mem_send(a.chr, "{\"execute\": \"stop\", \"id\": \"s\"}");
    ev = mem_next(a.chr);
    assert_string_equal(qdict_get_try_str(ev, "event"), "STOP");
    qobject_unref(ev);
    ev = mem_next(a.chr);
    assert_string_equal(qdict_get_try_str(ev, "id"), "s");
    qobject_unref(ev);
    ev = mem_next(b.chr);
    assert_string_equal(qdict_get_try_str(ev, "event"), "STOP");
    qobject_unref(ev);
    assert_null(mem_next(c.chr));

    ret = expect_return(&b, "{\"execute\": \"query-status\"}");
    assert_string_equal(qdict_get_try_str(ret, "status"), "paused");
    qobject_unref(ret);

    /* Runstate events carry data: RESET {guest, reason}. */
    qemu_system_reset(SHUTDOWN_CAUSE_HOST_QMP_SYSTEM_RESET);
    ev = mem_next(b.chr);
    assert_string_equal(qdict_get_try_str(ev, "event"), "RESET");
    data = qdict_get(ev, "data");
    assert_false(qdict_get_try_bool(data, "guest", true));
    assert_string_equal(qdict_get_try_str(data, "reason"),
                        "host-qmp-system-reset");
    qobject_unref(ev);
    /* Any subsystem's event. */
    data = qdict_new();
    qdict_put_str(data, "path", "/machine/peripheral/x");
    qapi_event_send("DEVICE_DELETED", data);
    ev = mem_next(b.chr);
    assert_string_equal(qdict_get_try_str(ev, "event"), "DEVICE_DELETED");
    qobject_unref(ev);
    qobject_unref(mem_next(a.chr));         /* RESET */
    ev = mem_next(a.chr);
    assert_string_equal(qdict_get_try_str(ev, "event"), "DEVICE_DELETED");
    qobject_unref(ev);
    assert_null(mem_next(c.chr));

    fixture_close(&a);
    fixture_close(&b);
    fixture_close(&c);
}

static void test_commands(void **state)
{
    Fixture f;
    QObject *ret, *rsp;
    bool found_caps = false, found_qom_get = false;

    fixture_open(&f, "cmds");
    negotiate(&f);
    ret = expect_return(&f, "{\"execute\": \"query-commands\"}");
    for (size_t i = 0; i < qlist_size(ret); i++) {
        const char *n = qdict_get_try_str(qlist_get(ret, i), "name");
        found_caps |= !strcmp(n, "qmp_capabilities");
        found_qom_get |= !strcmp(n, "qom-get");
    }
    assert_true(found_caps && found_qom_get);
    qobject_unref(ret);

    ret = expect_return(&f, "{\"execute\": \"query-version\"}");
    assert_int_equal(qdict_get_try_int(qdict_get(ret, "qemu"), "minor", -1),
                     1);
    qobject_unref(ret);

    ret = expect_return(&f, "{\"execute\": \"query-kvm\"}");
    assert_false(qdict_get_try_bool(ret, "enabled", true));
    assert_int_equal(qobject_type(qdict_get(ret, "present")), QTYPE_QBOOL);
    qobject_unref(ret);

    ret = expect_return(&f, "{\"execute\": \"query-cpus-fast\"}");
    assert_int_equal(qobject_type(ret), QTYPE_QLIST);
    qobject_unref(ret);
    ret = expect_return(&f, "{\"execute\": \"query-machines\"}");
    assert_int_equal(qobject_type(ret), QTYPE_QLIST);
    qobject_unref(ret);
    ret = expect_return(&f, "{\"execute\": \"query-chardev\"}");
    assert_int_equal(qobject_type(ret), QTYPE_QLIST);
    qobject_unref(ret);

    monitor_set_vm_name("guest1");
    ret = expect_return(&f, "{\"execute\": \"query-name\"}");
    assert_string_equal(qdict_get_try_str(ret, "name"), "guest1");
    qobject_unref(ret);
    monitor_set_vm_name(NULL);

    ret = expect_return(&f, "{\"execute\": \"human-monitor-command\", "
                        "\"arguments\": {\"command-line\": \"info status\"}}");
    assert_string_equal(qstring_get_str(ret),
                        "VM status: paused (prelaunch)\r\n");
    qobject_unref(ret);

    ret = expect_return(&f, "{\"execute\": \"qom-list\", "
                        "\"arguments\": {\"path\": \"/\"}}");
    assert_int_equal(qobject_type(ret), QTYPE_QLIST);
    qobject_unref(ret);
    ret = expect_return(&f, "{\"execute\": \"qom-list-types\", "
                        "\"arguments\": {\"implements\": \"object\"}}");
    assert_true(qlist_size(ret) > 0);
    qobject_unref(ret);
    expect_error(&f, "{\"execute\": \"device-list-properties\", "
                 "\"arguments\": {\"typename\": \"nope\"}}", "DeviceNotFound",
                 "Device 'nope' not found");

    /* cont after a shutdown needs a reset first, as QEMU says. */
    runstate_set(RUN_STATE_RUNNING);
    runstate_set(RUN_STATE_SHUTDOWN);
    expect_error(&f, "{\"execute\": \"cont\"}", "GenericError",
                 "Resetting the Virtual Machine is required");

    /* quit replies, then asks the main loop to exit. */
    rsp = request(&f, "{\"execute\": \"quit\", \"id\": 9}");
    assert_non_null(qdict_get(rsp, "return"));
    qobject_unref(rsp);
    assert_int_equal(qemu_shutdown_requested_get(),
                     SHUTDOWN_CAUSE_HOST_QMP_QUIT);
    fixture_close(&f);
}

static void test_pretty(void **state)
{
    MemChardev *chr = mem_chr_new("p");
    Monitor *mon = monitor_new(&chr->parent, true, true, &error_abort);

    qemu_chr_be_event(&chr->parent, CHR_EVENT_OPENED);
    assert_non_null(strstr(chr->out.str, "{\r\n    \"QMP\": {\r\n"));
    monitor_destroy(mon);
    mem_chr_free(chr);
}

/* Arguments are checked from the schema, for commands added later too. */
static void echo_cmd(QObject *args, QObject **ret, Error **errp)
{
    *ret = qobject_ref(args);
}

static void test_registered_command(void **state)
{
    static const QmpArgSpec echo_args[] = {
        { "s", QMP_ARG_STR }, { "n", QMP_ARG_INT, true },
        { "u", QMP_ARG_UINT, true }, { "f", QMP_ARG_NUMBER, true },
        { "d", QMP_ARG_DICT, true }, { "any", QMP_ARG_ANY, true },
        { NULL }
    };
    static const QmpCommand echo = { "x-test-echo", echo_cmd, echo_args };
    Fixture f;
    QObject *ret;

    if (!qmp_find_command("x-test-echo")) {
        qmp_register_command(&echo);
    }
    fixture_open(&f, "r");
    negotiate(&f);
    ret = expect_return(&f, "{\"execute\": \"x-test-echo\", \"arguments\": "
                        "{\"s\": \"hi\", \"n\": -3, \"f\": 1, "
                        "\"any\": [null]}}");
    assert_string_equal(qdict_get_try_str(ret, "s"), "hi");
    qobject_unref(ret);
    expect_error(&f, "{\"execute\": \"x-test-echo\", \"arguments\": "
                 "{\"s\": \"hi\", \"u\": -1}}", "GenericError",
                 "Parameter 'u' expects uint64");
    expect_error(&f, "{\"execute\": \"x-test-echo\", \"arguments\": "
                 "{\"s\": \"hi\", \"n\": 18446744073709551615}}",
                 "GenericError", "Parameter 'n' expects integer");
    expect_error(&f, "{\"execute\": \"x-test-echo\", \"arguments\": "
                 "{\"s\": \"hi\", \"d\": 1}}", "GenericError",
                 "Invalid parameter type for 'd', expected: object");
    expect_error(&f, "{\"execute\": \"x-test-echo\", \"arguments\": "
                 "{\"s\": \"hi\", \"f\": \"1\"}}", "GenericError",
                 "Invalid parameter type for 'f', expected: number");
    fixture_close(&f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_greeting, setup),
        cmocka_unit_test_setup(test_negotiation, setup),
        cmocka_unit_test_setup(test_errors, setup),
        cmocka_unit_test_setup(test_id_echo, setup),
        cmocka_unit_test_setup(test_malformed_input, setup),
        cmocka_unit_test_setup(test_disconnect_mid_command, setup),
        cmocka_unit_test_setup(test_events_reach_negotiated_monitors, setup),
        cmocka_unit_test_setup(test_commands, setup),
        cmocka_unit_test_setup(test_pretty, setup),
        cmocka_unit_test_setup(test_registered_command, setup),
    };

    main_loop_init();
    bql_lock();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
