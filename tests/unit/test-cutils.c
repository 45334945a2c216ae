/*
 * Unit tests for util/cutils.c and util/error.c.
 */
#include "test.h"
#include "util/osdep.h"
#include "util/error.h"

static void test_parse_size(void **state)
{
    uint64_t v;
    assert_int_equal(parse_size("512", 'M', &v), 0);
    assert_true(v == 512 * MiB);
    assert_int_equal(parse_size("4G", 'M', &v), 0);
    assert_true(v == 4 * GiB);
    assert_int_equal(parse_size("1.5k", '\0', &v), 0);
    assert_true(v == 1536);
    assert_int_equal(parse_size("64KiB", '\0', &v), -EINVAL);
    assert_int_equal(parse_size("64KB", '\0', &v), 0);
    assert_true(v == 64 * KiB);
    assert_int_equal(parse_size("12q", '\0', &v), -EINVAL);
    assert_int_equal(parse_size("-1", '\0', &v), -EINVAL);
    assert_int_equal(parse_size("", '\0', &v), -EINVAL);
    assert_int_equal(parse_size("99999999999999999999", '\0', &v), -ERANGE);
    assert_int_equal(parse_size("20000000000000G", '\0', &v), -ERANGE);
}

static void test_parse_int(void **state)
{
    int64_t i;
    uint64_t u;
    bool b;
    assert_int_equal(parse_int64("-0x10", &i), 0);
    assert_true(i == -16);
    assert_int_equal(parse_int64("12abc", &i), -EINVAL);
    assert_int_equal(parse_uint64("-1", &u), -EINVAL);
    assert_int_equal(parse_uint64("18446744073709551615", &u), 0);
    assert_true(u == UINT64_MAX);
    assert_int_equal(parse_uint64("18446744073709551616", &u), -ERANGE);
    assert_int_equal(parse_bool("on", &b), 0);
    assert_true(b);
    assert_int_equal(parse_bool("off", &b), 0);
    assert_false(b);
    assert_int_equal(parse_bool("maybe", &b), -EINVAL);
}

static void test_error_prepend_propagate(void **state)
{
    Error *local = NULL, *dst = NULL;
    error_setg(&local, "L1 table offset 0x%x beyond end of file", 0x1000);
    error_prepend(&local, "-drive file=%s: ", "disk.qcow2");
    error_propagate(&dst, local);
    assert_string_equal(error_get_pretty(dst),
                        "-drive file=disk.qcow2: L1 table offset 0x1000 "
                        "beyond end of file");
    assert_int_equal(error_get_class(dst), ERROR_CLASS_GENERIC_ERROR);
    error_free(dst);
    dst = NULL;

    /* NULL errp: errors are dropped without effect. */
    error_setg(NULL, "ignored");
    error_setg_errno(&dst, ENOENT, "open %s", "x");
    assert_string_equal(error_get_pretty(dst),
                        "open x: No such file or directory");
    error_free(dst);
}

static void test_strbuf(void **state)
{
    StrBuf sb = { 0 };
    for (int i = 0; i < 100; i++) {
        strbuf_printf(&sb, "%d,", i);
    }
    assert_int_equal(strlen(sb.str), sb.len);
    assert_true(strstr(sb.str, "98,99,") != NULL);
    char *s = strbuf_steal(&sb);
    assert_null(sb.str);
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_size),
        cmocka_unit_test(test_parse_int),
        cmocka_unit_test(test_error_prepend_propagate),
        cmocka_unit_test(test_strbuf),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
