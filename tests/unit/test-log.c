/*
 * Unit tests for -d / -D logging (util/log.c).
 */
#include "test.h"
#include "util/log.h"

static void test_parse_mask(void **state)
{
    Error *err = NULL;

    assert_int_equal(qemu_str_to_log_mask("guest_errors,unimp", &error_abort),
                     LOG_GUEST_ERROR | LOG_UNIMP);
    assert_int_equal(qemu_str_to_log_mask("int,exec,in_asm,cpu",
                                          &error_abort),
                     CPU_LOG_INT | CPU_LOG_EXEC | CPU_LOG_TB_IN_ASM |
                     CPU_LOG_TB_CPU);
    assert_true(qemu_str_to_log_mask("all", &error_abort) & LOG_GUEST_ERROR);
    assert_int_equal(qemu_str_to_log_mask("int,bogus", &err), 0);
    assert_non_null(strstr(error_get_pretty(err), "'bogus'"));
    error_free(err);
    err = NULL;
    assert_int_equal(qemu_str_to_log_mask("", &err), 0);
    assert_non_null(err);
    error_free(err);
}

static void test_mask_and_file(void **state)
{
    char path[] = "/tmp/osprey-log-XXXXXX";
    int fd = mkstemp(path);
    char buf[256] = { 0 };
    FILE *f;
    Error *err = NULL;

    assert_true(fd >= 0);
    close(fd);
    assert_true(qemu_set_log_filename(path, &error_abort));
    qemu_set_log(LOG_GUEST_ERROR);
    assert_true(qemu_loglevel_mask(LOG_GUEST_ERROR));
    assert_false(qemu_loglevel_mask(LOG_UNIMP));
    qemu_log_mask(LOG_GUEST_ERROR, "pic: bad %d\n", 1);
    qemu_log_mask(LOG_UNIMP, "not shown\n");
    qemu_log_mask(CPU_LOG_INT, "not shown either\n");
    qemu_log("always %s\n", "shown");
    assert_true(qemu_set_log_filename(NULL, &error_abort));
    qemu_set_log(0);

    f = fopen(path, "r");
    assert_non_null(f);
    assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
    fclose(f);
    unlink(path);
    assert_string_equal(buf, "pic: bad 1\nalways shown\n");

    assert_false(qemu_set_log_filename("/nonexistent/dir/log", &err));
    assert_non_null(strstr(error_get_pretty(err), "/nonexistent/dir/log"));
    error_free(err);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_mask),
        cmocka_unit_test(test_mask_and_file),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
