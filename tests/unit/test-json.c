/*
 * Unit tests for util/json.c: parser, writer and streaming splitter.
 */
#include "test.h"
#include <math.h>
#include "util/qobject.h"

/* Parse text that must be valid; fail the test with the message if not. */
static QObject *parse_ok(const char *json)
{
    Error *err = NULL;
    QObject *obj = qobject_from_json(json, &err);
    if (!obj) {
        fail_msg("parsing %s: %s", json, error_get_pretty(err));
    }
    assert_null(err);
    return obj;
}

/* Parse text that must be invalid; check the message contains want. */
static void parse_fails(const char *json, size_t len, const char *want)
{
    Error *err = NULL;
    QObject *obj = qobject_from_json_len(json, len, &err);
    if (obj) {
        char *s = qobject_to_json(obj);
        fail_msg("parsing '%.*s' succeeded: %s", (int)len, json, s);
    }
    assert_non_null(err);
    if (!strstr(error_get_pretty(err), want)) {
        fail_msg("parsing '%.*s': got '%s', want '%s'", (int)len, json,
                 error_get_pretty(err), want);
    }
    error_free(err);
}
#define PARSE_FAILS(lit, want) parse_fails(lit, sizeof(lit) - 1, want)

/* obj → compact JSON must be `want`; re-parsing it gives an equal value. */
static void check_writes(QObject *obj, const char *want)
{
    char *s = qobject_to_json(obj);
    assert_string_equal(s, want);
    QObject *again = parse_ok(s);
    assert_true(qobject_is_equal(obj, again));
    qobject_unref(again);
    free(s);
}

static void test_round_trip(void **state)
{
    static const char *const docs[] = {
        "null", "true", "false", "0", "-1", "42", "\"\"", "\"abc\"",
        "{}", "[]",
        "{\"return\": {}}",
        "{\"a\": 1, \"b\": [1, 2]}",
        "{\"execute\": \"qmp_capabilities\", \"arguments\": "
            "{\"enable\": [\"oob\"]}, \"id\": 7}",
        "[null, true, false, -9223372036854775808, 18446744073709551615, "
            "1.5, \"x\", [[], {}]]",
        "[0.1, -2.5e-07, 1.0, 1e+300]",
    };
    for (size_t i = 0; i < ARRAY_SIZE(docs); i++) {
        QObject *obj = parse_ok(docs[i]);
        check_writes(obj, docs[i]);
        qobject_unref(obj);
    }

    /* Whitespace and key order from the input are kept/normalised. */
    QObject *obj = parse_ok(" \t\r\n{ \"z\" :1 ,\"a\":[ ] }\n");
    check_writes(obj, "{\"z\": 1, \"a\": []}");
    qobject_unref(obj);
}

static void test_pretty(void **state)
{
    QObject *obj = parse_ok("{\"a\": 1, \"b\": [true, {}], \"c\": {\"d\": []}}");
    char *s = qobject_to_json_pretty(obj);
    assert_string_equal(s,
        "{\n"
        "    \"a\": 1,\n"
        "    \"b\": [\n"
        "        true,\n"
        "        {\n"
        "        }\n"
        "    ],\n"
        "    \"c\": {\n"
        "        \"d\": [\n"
        "        ]\n"
        "    }\n"
        "}");   /* empty containers too span lines, as QEMU's writer */
    QObject *again = parse_ok(s);
    assert_true(qobject_is_equal(obj, again));
    qobject_unref(again);
    qobject_unref(obj);
    free(s);
}

static void test_escapes(void **state)
{
    QObject *obj = parse_ok("\"q\\\" s\\' b\\\\ /\\/ \\b\\f\\n\\r\\t "
                            "\\u0041\\u00e9\\u20AC\"");
    assert_string_equal(qstring_get_str(obj),
                        "q\" s' b\\ // \b\f\n\r\t A\xC3\xA9\xE2\x82\xAC");
    /* Writer: QEMU escapes controls and all non-ASCII as \uXXXX. */
    check_writes(obj, "\"q\\\" s' b\\\\ // \\b\\f\\n\\r\\t A\\u00E9\\u20AC\"");
    qobject_unref(obj);

    /* Single-quoted strings (QEMU extension) may hold bare '"'. */
    obj = parse_ok("{'execute': 'say \"hi\"', \"it's\": 'it\\'s'}");
    assert_string_equal(qdict_get_try_str(obj, "execute"), "say \"hi\"");
    assert_string_equal(qdict_get_try_str(obj, "it's"), "it's");
    qobject_unref(obj);

    /* Other control characters and DEL are written as \u00XX. */
    QObject *s = qstring_from_str("\x01\x1f\x7f");
    check_writes(s, "\"\\u0001\\u001F\\u007F\"");
    qobject_unref(s);

    /* \u0000 is kept as modified UTF-8 (C0 80), written back as \u0000. */
    obj = parse_ok("\"a\\u0000b\"");
    assert_int_equal(qstring_get_length(obj), 4);
    assert_memory_equal(qstring_get_str(obj), "a\xC0\x80" "b", 4);
    check_writes(obj, "\"a\\u0000b\"");
    qobject_unref(obj);

    /* Invalid UTF-8 built through the API is written as U+FFFD. */
    s = qstring_from_str("a\xFF" "b");
    char *j = qobject_to_json(s);
    assert_string_equal(j, "\"a\\uFFFDb\"");
    free(j);
    qobject_unref(s);

    PARSE_FAILS("\"\\x\"", "offset 1: invalid escape '\\' followed by 'x'");
    PARSE_FAILS("\"\\u12G4\"", "offset 1: \\u must be followed by four hex");
    PARSE_FAILS("\"\\u12\"", "\\u must be followed by four hex digits");
    PARSE_FAILS("\"tab\there\"", "offset 4: control character 0x09");
    PARSE_FAILS("\"line\nbreak\"", "control character 0x0a");
}

static void test_surrogates_and_utf8(void **state)
{
    QObject *obj = parse_ok("\"\\uD83D\\uDE00\"");     /* U+1F600 */
    assert_string_equal(qstring_get_str(obj), "\xF0\x9F\x98\x80");
    check_writes(obj, "\"\\uD83D\\uDE00\"");
    qobject_unref(obj);

    /* Raw UTF-8 in the input is accepted and kept. */
    obj = parse_ok("\"caf\xC3\xA9 \xF0\x9F\x98\x80\"");
    assert_string_equal(qstring_get_str(obj), "caf\xC3\xA9 \xF0\x9F\x98\x80");
    check_writes(obj, "\"caf\\u00E9 \\uD83D\\uDE00\"");
    qobject_unref(obj);

    PARSE_FAILS("\"\\uD83D\"", "\\uD83D must be followed by a \\uDC00-\\uDFFF");
    PARSE_FAILS("\"\\uD83Dx\"", "trailing surrogate");
    PARSE_FAILS("\"\\uD83D\\u0041\"", "trailing surrogate");
    PARSE_FAILS("\"\\uDE00\"", "\\uDE00 is a trailing surrogate without");
    PARSE_FAILS("\"\xFF\"", "offset 1: invalid UTF-8 sequence in string");
    PARSE_FAILS("\"\xC3\"", "invalid UTF-8");            /* truncated */
    PARSE_FAILS("\"\xC3(\"", "invalid UTF-8");
    PARSE_FAILS("\"\xC1\xBF\"", "invalid UTF-8");        /* overlong */
    PARSE_FAILS("\"\xE0\x80\xAF\"", "invalid UTF-8");    /* overlong '/' */
    PARSE_FAILS("\"\xED\xA0\x80\"", "invalid UTF-8");    /* surrogate */
    PARSE_FAILS("\"\xF4\x90\x80\x80\"", "invalid UTF-8"); /* > U+10FFFF */
}

static void test_numbers(void **state)
{
    int64_t i;
    uint64_t u;
    QObject *obj;

    obj = parse_ok("9223372036854775807");
    assert_true(qnum_get_try_int(obj, &i) && i == INT64_MAX);
    qobject_unref(obj);

    obj = parse_ok("-9223372036854775808");
    assert_true(qnum_get_try_int(obj, &i) && i == INT64_MIN);
    qobject_unref(obj);

    obj = parse_ok("9223372036854775808");    /* INT64_MAX + 1: uint64 */
    assert_false(qnum_get_try_int(obj, &i));
    assert_true(qnum_get_try_uint(obj, &u) && u == 9223372036854775808ULL);
    qobject_unref(obj);

    obj = parse_ok("18446744073709551615");
    assert_true(qnum_get_try_uint(obj, &u) && u == UINT64_MAX);
    check_writes(obj, "18446744073709551615");
    qobject_unref(obj);

    /* Beyond uint64 (or below int64): a double, as QEMU. */
    obj = parse_ok("18446744073709551616");
    assert_true(qnum_is_double(obj));
    assert_true(qnum_get_double(obj) == 18446744073709551616.0);
    check_writes(obj, "1.8446744073709552e+19");
    qobject_unref(obj);
    obj = parse_ok("-9223372036854775809");
    assert_true(qnum_is_double(obj));
    qobject_unref(obj);

    obj = parse_ok("[-0, 0.5, 1E2, 2e-3, -1.25e+1]");
    assert_true(qnum_is_integer(qlist_get(obj, 0)));
    assert_true(qnum_get_double(qlist_get(obj, 1)) == 0.5);
    assert_true(qnum_get_double(qlist_get(obj, 2)) == 100.0);
    assert_true(qnum_is_double(qlist_get(obj, 2)));
    assert_true(qnum_get_double(qlist_get(obj, 3)) == 0.002);
    assert_true(qnum_get_double(qlist_get(obj, 4)) == -12.5);
    check_writes(obj, "[0, 0.5, 100.0, 0.002, -12.5]");
    qobject_unref(obj);

    /* Doubles print round-trippably. */
    QObject *d = qnum_from_double(1.0 / 3.0);
    check_writes(d, "0.3333333333333333");
    qobject_unref(d);
    d = qnum_from_double(NAN);
    char *s = qobject_to_json(d);
    assert_string_equal(s, "null");   /* JSON has no NaN */
    free(s);
    qobject_unref(d);

    PARSE_FAILS("01", "offset 0: invalid number '01'");
    PARSE_FAILS("1.", "invalid number '1.'");
    PARSE_FAILS(".5", "offset 0: expected a value, got '.'");
    PARSE_FAILS("1e", "invalid number");
    PARSE_FAILS("-", "invalid number '-'");
    PARSE_FAILS("+1", "expected a value, got '+'");
    PARSE_FAILS("0x10", "invalid number '0x10'");
    PARSE_FAILS("12abc", "invalid number '12abc'");
    PARSE_FAILS("1e400", "number 1e400 is out of range");
}

static void test_literals_and_structure(void **state)
{
    PARSE_FAILS("", "offset 0: expected a value, got end of input");
    PARSE_FAILS("   ", "offset 3: expected a value, got end of input");
    PARSE_FAILS("tru", "offset 0: invalid literal 'tru'");
    PARSE_FAILS("nullx", "invalid literal 'nullx'");
    PARSE_FAILS("True", "invalid literal 'True'");
    PARSE_FAILS("{\"a\" 1}", "offset 5: expected ':' after object key, got '1'");
    PARSE_FAILS("{\"a\": 1,}", "offset 8: expected string as object key");
    PARSE_FAILS("{1: 2}", "expected string as object key, got '1'");
    PARSE_FAILS("{\"a\": 1 \"b\": 2}", "expected ',' or '}' in object");
    PARSE_FAILS("[1 2]", "offset 3: expected ',' or ']' in array, got '2'");
    PARSE_FAILS("[1,]", "offset 3: expected a value, got ']'");
    PARSE_FAILS("[1}", "expected ',' or ']' in array, got '}'");
    PARSE_FAILS("{\"a\": 1, \"a\": 2}", "offset 9: duplicate key 'a'");
    PARSE_FAILS("@", "offset 0: expected a value, got '@'");
    PARSE_FAILS("[\0]", "expected a value, got byte 0x00");
}

static void test_truncated_and_trailing(void **state)
{
    static const char *const truncated[] = {
        "{", "[", "{\"a\"", "{\"a\":", "{\"a\": 1", "{\"a\": 1,", "[1,",
        "\"abc", "'abc", "\"abc\\", "\"\\u00", "[[[]]",
    };
    for (size_t i = 0; i < ARRAY_SIZE(truncated); i++) {
        Error *err = NULL;
        assert_null(qobject_from_json(truncated[i], &err));
        assert_non_null(err);
        error_free(err);
    }
    PARSE_FAILS("{\"a\"", "offset 4: expected ':' after object key, got end");
    PARSE_FAILS("\"abc", "offset 0: unterminated string");
    PARSE_FAILS("[1", "offset 2: expected ',' or ']' in array, got end");

    PARSE_FAILS("{} x", "offset 3: unexpected 'x' after the value");
    PARSE_FAILS("1 2", "offset 2: unexpected '2' after the value");
    PARSE_FAILS("{}}", "unexpected '}' after the value");
    PARSE_FAILS("null\n\n[", "offset 6: unexpected '[' after the value");

    /* Explicit lengths stop early: a prefix of valid JSON is judged alone. */
    Error *err = NULL;
    QObject *obj = qobject_from_json_len("[1, 2] garbage", 6, &err);
    assert_non_null(obj);
    assert_int_equal(qlist_size(obj), 2);
    qobject_unref(obj);
}

static char *nested(const char *open, const char *close, int depth)
{
    StrBuf sb = { 0 };
    for (int i = 0; i < depth; i++) {
        strbuf_append(&sb, open);
    }
    strbuf_append(&sb, "1");
    for (int i = 0; i < depth; i++) {
        strbuf_append(&sb, close);
    }
    return strbuf_steal(&sb);
}

static void test_nesting_limit(void **state)
{
    char *ok = nested("[", "]", QOBJECT_JSON_MAX_NESTING);
    QObject *obj = parse_ok(ok);
    qobject_unref(obj);
    free(ok);

    char *deep = nested("{\"k\":", "}", QOBJECT_JSON_MAX_NESTING + 1);
    Error *err = NULL;
    assert_null(qobject_from_json(deep, &err));
    assert_non_null(strstr(error_get_pretty(err), "nesting deeper than 64"));
    error_free(err);
    free(deep);

    /* Far beyond the limit (would overflow a naive recursive parser). */
    char *huge = nested("[", "]", 1000000);
    err = NULL;
    assert_null(qobject_from_json(huge, &err));
    assert_non_null(err);
    error_free(err);
    free(huge);
}

/* ---- streaming ---- */

typedef struct Collected {
    int n_values, n_errors;
    char results[32][256];   /* JSON of each value, or "ERR: message" */
    int n;
} Collected;

static void collect(void *opaque, QObject *value, Error *err)
{
    Collected *c = opaque;
    assert_true((value == NULL) != (err == NULL));
    assert_true(c->n < 32);
    if (value) {
        char *s = qobject_to_json(value);
        snprintf(c->results[c->n++], 256, "%s", s);
        free(s);
        c->n_values++;
        qobject_unref(value);
    } else {
        snprintf(c->results[c->n++], 256, "ERR: %s", error_get_pretty(err));
        c->n_errors++;
        error_free(err);
    }
}

static void feed_str(JSONMessageParser *p, const char *s, bool bytewise)
{
    size_t len = strlen(s);
    if (!bytewise) {
        json_message_parser_feed(p, s, len);
        return;
    }
    for (size_t i = 0; i < len; i++) {
        json_message_parser_feed(p, s + i, 1);
    }
}

static void test_stream_messages(void **state)
{
    static const char input[] =
        "{\"execute\": \"qmp_capabilities\"}\n"
        "{'execute':'query-status','id':{\"a\":[1,\"}]\\\"\"]}}"
        "  [1, [2]] \"top }\" 17 true null\r\n"
        "{\"x\": 'a\\'}'}";
    static const char *const want[] = {
        "{\"execute\": \"qmp_capabilities\"}",
        "{\"execute\": \"query-status\", \"id\": {\"a\": [1, \"}]\\\"\"]}}",
        "[1, [2]]",
        "\"top }\"",
        "17",
        "true",
        "null",
        "{\"x\": \"a'}\"}",
    };
    for (int bytewise = 0; bytewise <= 1; bytewise++) {
        Collected c = { 0 };
        JSONMessageParser *p = json_message_parser_new(collect, &c);
        feed_str(p, input, bytewise);
        json_message_parser_flush(p);
        json_message_parser_free(p);
        assert_int_equal(c.n_errors, 0);
        assert_int_equal(c.n, ARRAY_SIZE(want));
        for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
            assert_string_equal(c.results[i], want[i]);
        }
    }
}

static void test_stream_split_points(void **state)
{
    /* Every split of one message into two feeds gives the same result. */
    static const char msg[] = "{\"a\": [1, 2.5, \"\\u00e9\\\"\"], 'b': null}";
    for (size_t cut = 0; cut <= strlen(msg); cut++) {
        Collected c = { 0 };
        JSONMessageParser *p = json_message_parser_new(collect, &c);
        json_message_parser_feed(p, msg, cut);
        json_message_parser_feed(p, msg + cut, strlen(msg) - cut);
        json_message_parser_free(p);
        assert_int_equal(c.n, 1);
        assert_string_equal(c.results[0],
                            "{\"a\": [1, 2.5, \"\\u00E9\\\"\"], \"b\": null}");
    }

    /* A top-level number is only complete once something follows it. */
    Collected c = { 0 };
    JSONMessageParser *p = json_message_parser_new(collect, &c);
    feed_str(p, "12", true);
    assert_int_equal(c.n, 0);
    feed_str(p, "34 ", true);
    assert_int_equal(c.n, 1);
    assert_string_equal(c.results[0], "1234");
    feed_str(p, "5", false);
    json_message_parser_flush(p);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.results[1], "5");
    /* Flush reports a partial message. */
    feed_str(p, "{\"a\":", false);
    json_message_parser_flush(p);
    assert_int_equal(c.n, 3);
    assert_string_equal(c.results[2],
                        "ERR: JSON parse error at offset 5: incomplete "
                        "message at end of input");
    json_message_parser_free(p);
}

static void test_stream_recovery(void **state)
{
    for (int bytewise = 0; bytewise <= 1; bytewise++) {
        Collected c = { 0 };
        JSONMessageParser *p = json_message_parser_new(collect, &c);
        feed_str(p,
                 /* garbage inside a message: one error, skip to '{' */
                 "{\"execute\": @@@ \"x\"} more junk {\"id\": 1}\n"
                 /* syntax error in a complete message: no skipping */
                 "{\"a\" 1}{\"id\": 2}\n"
                 /* garbage words at top level: one error per line */
                 "hello world\n{\"id\": 3}\n"
                 /* stray closers and commas */
                 "}{\"id\": 4}\n"
                 /* control character in a string */
                 "{\"a\": \"x\x01y\"} {\"id\": 5}\n"
                 /* 0xFF abandons a partial message, no skipping */
                 "{\"a\": [1, \xFF{\"id\": 6}\n",
                 bytewise);
        json_message_parser_free(p);
        static const char *const want[] = {
            "ERR: JSON parse error at offset 12: unexpected character '@'",
            "{\"id\": 1}",
            "ERR: JSON parse error at offset 5: expected ':' after object "
                "key, got '1'",
            "{\"id\": 2}",
            "ERR: JSON parse error at offset 0: invalid literal 'hello'",
            "{\"id\": 3}",
            "ERR: JSON parse error at offset 0: unexpected '}'",
            "{\"id\": 4}",
            "ERR: JSON parse error at offset 8: control character 0x01 in "
                "string",
            "{\"id\": 5}",
            "ERR: JSON parse error at offset 10: message abandoned by a "
                "0xFF byte",
            "{\"id\": 6}",
        };
        assert_int_equal(c.n, ARRAY_SIZE(want));
        for (size_t i = 0; i < ARRAY_SIZE(want); i++) {
            assert_string_equal(c.results[i], want[i]);
        }
    }
}

static void test_stream_limits(void **state)
{
    Collected c = { 0 };
    JSONMessageParser *p = json_message_parser_new(collect, &c);

    /* Too deep: one error, then the rest of the line is skipped. */
    char *deep = nested("[", "]", 1000);
    feed_str(p, deep, false);
    feed_str(p, "\n{\"ok\": 1}", false);
    free(deep);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.results[0], "ERR: JSON parse error at offset 64: "
                        "nesting deeper than 64 levels");
    assert_string_equal(c.results[1], "{\"ok\": 1}");

    /* Too many tokens: an error instead of unbounded memory. */
    c = (Collected){ 0 };
    feed_str(p, "[", false);
    for (int i = 0; i < 1100000; i++) {
        json_message_parser_feed(p, "1,", 2);
    }
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.results[0], "more than 2097152 tokens"));
    feed_str(p, "\n{\"ok\": 2}", false);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.results[1], "{\"ok\": 2}");

    /* Too large: a 64 MiB string is refused, memory stays bounded. */
    c = (Collected){ 0 };
    char *chunk = xmalloc(MiB);
    memset(chunk, 'a', MiB);
    feed_str(p, "{\"big\": \"", false);
    for (int i = 0; i < 65; i++) {
        json_message_parser_feed(p, chunk, MiB);
    }
    free(chunk);
    assert_int_equal(c.n, 1);
    assert_non_null(strstr(c.results[0], "message longer than 67108864"));
    feed_str(p, "\"}\n[1]", false);
    assert_int_equal(c.n, 2);
    assert_string_equal(c.results[1], "[1]");
    json_message_parser_free(p);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_pretty),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_surrogates_and_utf8),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_literals_and_structure),
        cmocka_unit_test(test_truncated_and_trailing),
        cmocka_unit_test(test_nesting_limit),
        cmocka_unit_test(test_stream_messages),
        cmocka_unit_test(test_stream_split_points),
        cmocka_unit_test(test_stream_recovery),
        cmocka_unit_test(test_stream_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
