/*
 * Unit tests for util/qobject.c: value kinds, reference counting, dicts,
 * lists and equality.
 */
#include "test.h"
#include "util/qobject.h"

static void test_scalars(void **state)
{
    QObject *n = qnull(), *t = qbool_from_bool(true), *f = qbool_from_bool(false);
    assert_int_equal(qobject_type(n), QTYPE_QNULL);
    assert_int_equal(qobject_type(t), QTYPE_QBOOL);
    assert_true(qbool_get_bool(t));
    assert_false(qbool_get_bool(f));
    assert_false(qobject_is_equal(t, f));
    assert_false(qobject_is_equal(n, f));
    QObject *n2 = qnull();
    assert_true(qobject_is_equal(n, n2));
    qobject_unref(n);
    qobject_unref(n2);
    qobject_unref(t);
    qobject_unref(f);

    QObject *s = qstring_from_str("hello");
    assert_int_equal(qobject_type(s), QTYPE_QSTRING);
    assert_string_equal(qstring_get_str(s), "hello");
    assert_int_equal(qstring_get_length(s), 5);
    QObject *s2 = qstring_from_len("hello world", 5);
    assert_true(qobject_is_equal(s, s2));
    qobject_unref(s2);
    /* Embedded NUL: length counts, equality compares all bytes. */
    s2 = qstring_from_len("hel\0o", 5);
    assert_int_equal(qstring_get_length(s2), 5);
    assert_false(qobject_is_equal(s, s2));
    qobject_unref(s2);
    assert_null(qstring_get_str(NULL));
    qobject_unref(s);
}

static void test_qtype_names(void **state)
{
    assert_string_equal(qtype_name(QTYPE_QNULL), "null");
    assert_string_equal(qtype_name(QTYPE_QNUM), "number");
    assert_string_equal(qtype_name(QTYPE_QSTRING), "string");
    assert_string_equal(qtype_name(QTYPE_QDICT), "object");
    assert_string_equal(qtype_name(QTYPE_QLIST), "array");
    assert_string_equal(qtype_name(QTYPE_QBOOL), "boolean");
}

static void test_numbers(void **state)
{
    int64_t i;
    uint64_t u;

    QObject *a = qnum_from_int(-5);
    assert_true(qnum_get_try_int(a, &i));
    assert_true(i == -5);
    assert_false(qnum_get_try_uint(a, &u));
    assert_true(qnum_get_double(a) == -5.0);
    assert_true(qnum_is_integer(a));
    assert_false(qnum_is_double(a));

    QObject *b = qnum_from_uint(UINT64_MAX);
    assert_false(qnum_get_try_int(b, &i));
    assert_true(qnum_get_try_uint(b, &u));
    assert_true(u == UINT64_MAX);
    assert_true(qnum_is_integer(b));

    /* A uint64 that fits in int64 reads back through either getter. */
    QObject *c = qnum_from_uint(42), *d = qnum_from_int(42);
    assert_true(qnum_get_try_int(c, &i));
    assert_true(i == 42);
    assert_true(qobject_is_equal(c, d));
    assert_false(qobject_is_equal(a, b));

    /* Doubles never equal integers (as QEMU), but equal each other. */
    QObject *x = qnum_from_double(42.0), *y = qnum_from_double(42.0);
    assert_false(qobject_is_equal(x, d));
    assert_true(qobject_is_equal(x, y));
    assert_false(qnum_get_try_int(x, &i));
    assert_false(qnum_get_try_uint(x, &u));
    assert_false(qnum_is_integer(x));
    assert_true(qnum_is_double(x));
    assert_true(qnum_get_double(x) == 42.0);

    QObject *m = qnum_from_int(INT64_MIN), *neg1 = qnum_from_int(-1);
    assert_true(qnum_get_try_int(m, &i));
    assert_true(i == INT64_MIN);
    /* -1 vs UINT64_MAX: same bits, different numbers. */
    assert_false(qobject_is_equal(neg1, b));

    QObject *objs[] = { a, b, c, d, x, y, m, neg1 };
    for (size_t k = 0; k < ARRAY_SIZE(objs); k++) {
        qobject_unref(objs[k]);
    }
}

static void test_refcount(void **state)
{
    QObject *s = qstring_from_str("shared");
    QObject *d = qdict_new(), *l = qlist_new();
    qdict_put(d, "k", qobject_ref(s));
    qlist_append(l, qobject_ref(s));
    qobject_unref(d);
    /* Still referenced by the list and by us. */
    assert_string_equal(qstring_get_str(qlist_get(l, 0)), "shared");
    qobject_unref(l);
    assert_string_equal(qstring_get_str(s), "shared");
    assert_ptr_equal(qobject_ref(s), s);
    qobject_unref(s);
    qobject_unref(s);
    /* NULL-safe. */
    assert_null(qobject_ref(NULL));
    qobject_unref(NULL);
}

static void test_dict_basic(void **state)
{
    QObject *d = qdict_new();
    assert_int_equal(qdict_size(d), 0);
    assert_null(qdict_first(d));
    assert_null(qdict_get(d, "missing"));
    assert_false(qdict_del(d, "missing"));

    qdict_put_str(d, "driver", "e1000");
    qdict_put_int(d, "addr", -3);
    qdict_put_uint(d, "big", UINT64_MAX);
    qdict_put_bool(d, "on", true);
    qdict_put(d, "sub", qdict_new());
    qdict_put(d, "arr", qlist_new());
    assert_int_equal(qdict_size(d), 6);

    assert_string_equal(qdict_get_try_str(d, "driver"), "e1000");
    assert_null(qdict_get_try_str(d, "addr"));
    assert_null(qdict_get_try_str(d, "nope"));
    assert_int_equal(qdict_get_try_int(d, "addr", 7), -3);
    assert_int_equal(qdict_get_try_int(d, "driver", 7), 7);
    assert_int_equal(qdict_get_try_int(d, "big", 7), 7); /* too big */
    assert_int_equal(qdict_get_try_int(d, "nope", 7), 7);
    assert_true(qdict_get_try_bool(d, "on", false));
    assert_false(qdict_get_try_bool(d, "driver", false));
    assert_true(qdict_get_try_bool(d, "nope", true));
    assert_non_null(qdict_get_qdict(d, "sub"));
    assert_null(qdict_get_qdict(d, "arr"));
    assert_non_null(qdict_get_qlist(d, "arr"));
    assert_null(qdict_get_qlist(d, "sub"));
    assert_true(qdict_haskey(d, "on"));
    assert_false(qdict_haskey(d, "off"));

    /* Replacing keeps the key's position and the size. */
    qdict_put_str(d, "addr", "0x3");
    assert_int_equal(qdict_size(d), 6);
    const char *order[] = { "driver", "addr", "big", "on", "sub", "arr" };
    size_t n = 0;
    for (const QDictEntry *e = qdict_first(d); e; e = qdict_next(d, e)) {
        assert_string_equal(qdict_entry_key(e), order[n]);
        n++;
    }
    assert_int_equal(n, 6);
    assert_string_equal(qdict_get_try_str(d, "addr"), "0x3");

    assert_true(qdict_del(d, "big"));
    assert_false(qdict_del(d, "big"));
    assert_int_equal(qdict_size(d), 5);
    assert_null(qdict_get(d, "big"));
    const QDictEntry *e = qdict_first(d);
    e = qdict_next(d, e);
    e = qdict_next(d, e);
    assert_string_equal(qdict_entry_key(e), "on");
    assert_true(qbool_get_bool(qdict_entry_value(e)));

    /* Getters on a non-dict give "missing", not a crash. */
    QObject *s = qstring_from_str("x");
    assert_null(qdict_get(s, "a"));
    assert_int_equal(qdict_get_try_int(s, "a", 9), 9);
    assert_null(qdict_get(NULL, "a"));
    qobject_unref(s);
    qobject_unref(d);
}

static void test_dict_many_keys(void **state)
{
    enum { N = 20000 };
    QObject *d = qdict_new();
    char key[32];

    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        qdict_put_int(d, key, i);
    }
    assert_int_equal(qdict_size(d), N);
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof(key), "key%d", i);
        assert_int_equal(qdict_get_try_int(d, key, -1), i);
    }
    /* Delete every other key; order of the rest is unchanged. */
    for (int i = 0; i < N; i += 2) {
        snprintf(key, sizeof(key), "key%d", i);
        assert_true(qdict_del(d, key));
    }
    assert_int_equal(qdict_size(d), N / 2);
    int expect = 1;
    for (const QDictEntry *e = qdict_first(d); e; e = qdict_next(d, e)) {
        snprintf(key, sizeof(key), "key%d", expect);
        assert_string_equal(qdict_entry_key(e), key);
        expect += 2;
    }
    assert_int_equal(expect, N + 1);
    /* Re-adding a deleted key appends it at the end. */
    qdict_put_int(d, "key0", 0);
    const QDictEntry *last = NULL;
    for (const QDictEntry *e = qdict_first(d); e; e = qdict_next(d, e)) {
        last = e;
    }
    assert_string_equal(qdict_entry_key(last), "key0");
    qobject_unref(d);
}

static void test_list(void **state)
{
    QObject *l = qlist_new();
    assert_int_equal(qlist_size(l), 0);
    assert_null(qlist_get(l, 0));
    for (int i = 0; i < 100; i++) {
        qlist_append(l, qnum_from_int(i));
    }
    assert_int_equal(qlist_size(l), 100);
    int64_t v;
    assert_true(qnum_get_try_int(qlist_get(l, 57), &v));
    assert_int_equal(v, 57);
    assert_null(qlist_get(l, 100));
    assert_null(qlist_get(NULL, 0));
    qobject_unref(l);
}

static QObject *make_nested(bool variant)
{
    QObject *d = qdict_new(), *l = qlist_new(), *inner = qdict_new();
    qdict_put_str(inner, "id", "c0");
    qlist_append(l, qnum_from_int(1));
    qlist_append(l, inner);
    qlist_append(l, qnull());
    if (variant) {
        qdict_put(d, "b", l);
        qdict_put_bool(d, "a", true);
    } else {
        qdict_put_bool(d, "a", true);
        qdict_put(d, "b", l);
    }
    return d;
}

static void test_equality(void **state)
{
    QObject *a = make_nested(false), *b = make_nested(true);
    /* Key order does not matter for equality. */
    assert_true(qobject_is_equal(a, b));
    assert_true(qobject_is_equal(a, a));
    assert_false(qobject_is_equal(a, NULL));
    assert_true(qobject_is_equal(NULL, NULL));

    qdict_put_str((QObject *)qlist_get(qdict_get(b, "b"), 1), "id", "c1");
    assert_false(qobject_is_equal(a, b));
    qobject_unref(b);

    b = make_nested(false);
    qlist_append(qdict_get_qlist(b, "b"), qnull());
    assert_false(qobject_is_equal(a, b));
    qobject_unref(b);

    b = make_nested(false);
    qdict_put_int(b, "c", 1);
    assert_false(qobject_is_equal(a, b));
    assert_false(qobject_is_equal(b, a));
    qdict_del(b, "c");
    assert_true(qobject_is_equal(b, a));
    qdict_del(b, "a");
    qdict_put_bool(b, "z", true);
    assert_false(qobject_is_equal(a, b));
    qobject_unref(b);
    qobject_unref(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_scalars),
        cmocka_unit_test(test_qtype_names),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_refcount),
        cmocka_unit_test(test_dict_basic),
        cmocka_unit_test(test_dict_many_keys),
        cmocka_unit_test(test_list),
        cmocka_unit_test(test_equality),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
