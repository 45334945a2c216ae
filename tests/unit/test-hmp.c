/*
 * HMP: commands through monitor_hmp_run (what human-monitor-command
 * uses) and through a chardev with readline: info status, xp on RAM,
 * print expressions, line editing, history and completion; block_resize
 * with QEMU's size syntax (no suffix: MiB).
 */
#include "test.h"
#include "monitor/monitor.h"
#include "monitor/hmp.h"
#include "monitor/readline.h"
#include "chardev/char.h"
#include "memory/memory.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "block/block-backend.h"

static char *hmp(const char *line)
{
    return monitor_hmp_run(line, -1, &error_abort);
}

static void assert_hmp(const char *line, const char *expected)
{
    char *out = hmp(line);

    if (strcmp(out, expected) != 0) {
        fail_msg("'%s' printed \"%s\", expected \"%s\"", line, out, expected);
    }
    free(out);
}

static void test_info_status(void **state)
{
    runstate_init();
    assert_hmp("info status", "VM status: paused (prelaunch)\r\n");
    assert_hmp("cont", "");
    assert_hmp("info status", "VM status: running\r\n");
    assert_hmp("stop", "");
    assert_hmp("info status", "VM status: paused\r\n");
    assert_hmp("c", "");
    assert_hmp("info status", "VM status: running\r\n");
    runstate_set(RUN_STATE_SHUTDOWN);
    assert_hmp("cont", "Error: Resetting the Virtual Machine is required\r\n");
    assert_hmp("info status", "VM status: paused (shutdown)\r\n");
}

static void test_unknown_and_bad_args(void **state)
{
    assert_hmp("frobnicate", "unknown command: 'frobnicate'\r\n");
    assert_hmp("info frob", "unknown command: 'info frob'\r\n");
    assert_hmp("", "");
    assert_hmp("stop now", "stop: extraneous characters at the end of "
               "line\r\n");
    assert_hmp("qom-get /", "qom-get: string expected\r\n");
    assert_hmp("xp", "xp: integer expected\r\n");
    assert_hmp("xp /4q 0", "invalid char in format: 'q'\r\n");
    assert_hmp("info mtree -z", "mtree: unsupported option -z\r\n");
    assert_hmp("qom-list /nowhere", "Error: Device '/nowhere' not found\r\n");
}

static void test_block_resize(void **state)
{
    char img[] = "/tmp/osprey-hmp-resize-XXXXXX";
    int fd = mkstemp(img);
    assert_true(fd >= 0);
    close(fd);
    BlockBackend *blk = blk_new_open(img, "raw", BDRV_O_RDWR, &error_abort);
    blk_set_name(blk, "hd0");

    assert_hmp("block_resize hd0 2", "");
    assert_int_equal(blk_getlength(blk), 2 * MiB);
    assert_hmp("block_resize hd0 1536k", "");
    assert_int_equal(blk_getlength(blk), 1536 * KiB);
    assert_hmp("block_resize hd0 1G", "");
    assert_int_equal(blk_getlength(blk), 1 * GiB);
    assert_hmp("block_resize hd0 12x", "invalid size\r\n");
    assert_hmp("block_resize hd0", "block_resize: size expected\r\n");
    assert_hmp("block_resize nope 4M", "Error: Cannot find device='nope' "
               "nor node-name=''\r\n");
    assert_int_equal(blk_getlength(blk), 1 * GiB);
    blk_unref(blk);
    unlink(img);
}

static void test_help(void **state)
{
    char *out = hmp("help");

    assert_non_null(strstr(out, "info [subcommand] -- show various"));
    assert_non_null(strstr(out, "cont|c  -- resume emulation"));
    assert_non_null(strstr(out, "xp /fmt addr -- physical memory dump"));
    free(out);
    out = hmp("help info");
    assert_non_null(strstr(out, "info status  -- show the current VM "
                           "status"));
    free(out);
    out = hmp("info");
    assert_non_null(strstr(out, "info mtree [-f][-o][-D] -- "));
    free(out);
    assert_hmp("? stop", "stop  -- stop emulation\r\n");
}

static void test_xp_ram(void **state)
{
    static MemoryRegion ram;
    static bool mapped;
    uint8_t *p;

    if (!mapped) {
        memory_region_init_ram(&ram, NULL, "test.ram", 0x10000, &error_abort);
        memory_region_add_subregion(get_system_memory(), 0x100000, &ram);
        mapped = true;
    }
    p = memory_region_get_ram_ptr(&ram);
    for (int i = 0; i < 32; i++) {
        p[i] = i;
    }
    memcpy(p + 32, "Hi\n'\\\x01", 6);

    assert_hmp("xp /4xw 0x100000",
               "0000000000100000: 0x03020100 0x07060504 0x0b0a0908 "
               "0x0f0e0d0c\r\n");
    assert_hmp("xp /2xg 0x100000 + 8",
               "0000000000100008: 0x0f0e0d0c0b0a0908 0x1716151413121110\r\n");
    assert_hmp("xp /3xb 0x100001", "0000000000100001: 0x01 0x02 0x03\r\n");
    assert_hmp("xp /10xb 0x100000",
               "0000000000100000: 0x00 0x01 0x02 0x03 0x04 0x05 0x06 0x07\r\n"
               "0000000000100008: 0x08 0x09\r\n");
    assert_hmp("xp /2uh 0x100002", "0000000000100002:   770  1284\r\n");
    assert_hmp("xp /1dw 0x100000", "0000000000100000:   50462976\r\n");
    assert_hmp("xp /6c 0x100020",
               "0000000000100020: 'H' 'i' '\\n' '\\'' '\\\\' '\\x01'\r\n");
    assert_hmp("xp /1ob 0x100008", "0000000000100008: 010\r\n");
    /* Unmapped memory is reported, not read. */
    assert_hmp("xp /1xw 0x0", "0000000000000000: Cannot access memory\r\n");
    /* Without a CPU that translates, x is physical too. */
    assert_hmp("x /1xw 0x100004", "0000000000100004: 0x07060504\r\n");
#ifdef CONFIG_CAPSTONE
    /* mov eax, 1; ret */
    memcpy(p + 0x100, "\xb8\x01\x00\x00\x00\xc3", 6);
    {
        char *out = hmp("xp /2i 0x100100");
        assert_non_null(strstr(out, "0x00100100:  b8 01 00 00 00"));
        assert_non_null(strstr(out, "mov      eax, 1\r\n"));
        assert_non_null(strstr(out, "0x00100105:  c3"));
        assert_non_null(strstr(out, "ret"));
        free(out);
    }
#endif
}

static void test_print(void **state)
{
    int64_t v;
    Error *err = NULL;

    assert_hmp("print 1 + 2 * 3", "7\r\n");
    assert_hmp("p (1 + 2) * 3", "9\r\n");
    assert_hmp("p/x 255", "0xff\r\n");
    assert_hmp("p /x 1 << 12 | 0xf", "0x100f\r\n");
    assert_hmp("p 0x10 >> 2 ^ 1", "5\r\n");
    assert_hmp("p 7 & 3", "3\r\n");
    assert_hmp("p 1 | 6 & 3 ^ 8", "11\r\n");   /* & over ^ over | */
    assert_hmp("p -5 / 2", "-2\r\n");
    assert_hmp("p/u -1", "18446744073709551615\r\n");
    assert_hmp("p/o 8", "010\r\n");
    assert_hmp("p/c 65", "'A'\r\n");
    assert_hmp("p ~0", "-1\r\n");
    assert_hmp("p 'a'", "97\r\n");
    assert_hmp("p 1 / 0", "division by zero\r\n");
    assert_hmp("p (1 + 2", "')' expected\r\n");
    assert_hmp("p 1 +", "unexpected end of expression\r\n");
    assert_hmp("p 12x", "invalid char in expression\r\n");
    assert_hmp("p 99999999999999999999", "number too large\r\n");
    assert_hmp("p $eax", "unknown register\r\n");

    assert_true(hmp_eval_expr(NULL, "1 << 63 >> 63", &v, &err));
    assert_int_equal(v, 1);
    assert_true(hmp_eval_expr(NULL, "-9223372036854775807 - 1 / -1", &v,
                              &err));
    assert_false(hmp_eval_expr(NULL, "1 2", &v, &err));
    assert_string_equal(error_get_pretty(err), "invalid char in expression");
    error_free(err);
}

static void test_info_misc(void **state)
{
    char *out;

    assert_hmp("info version", "0.1.0 (osprey-0.1.0)\r\n");
    out = hmp("info mtree");
    assert_non_null(strstr(out, "address-space: memory"));
    free(out);
    out = hmp("info mtree -o -f");
    assert_non_null(strstr(out, "FlatView"));
    free(out);
    out = hmp("info qom-tree");
    assert_non_null(strstr(out, "/machine (container)"));
    free(out);
    out = hmp("info qom-tree /");
    assert_true(!strncmp(out, "/ (container)\r\n", 15));
    free(out);
    assert_hmp("info qom-tree /nope", "Path '/nope' could not be "
               "resolved.\r\n");
    assert_hmp("info cpus", "");
    assert_hmp("info registers", "No CPU available\r\n");
    assert_hmp("qom-list", "/\r\n");
    out = hmp("qom-list /");
    assert_non_null(strstr(out, "machine (child<container>)"));
    free(out);
    assert_hmp("qom-get /machine type", "\"container\"\r\n");
    assert_hmp("qom-set /machine type x",
               "Error: Property 'container.type' is not writable\r\n");
}

/* ---- readline on its own ---- */

typedef struct RLTest {
    StrBuf out;
    char *line;
} RLTest;

static void rl_out(void *opaque, const char *str)
{
    strbuf_append(&((RLTest *)opaque)->out, str);
}

static void rl_line(void *opaque, const char *line)
{
    RLTest *t = opaque;

    free(t->line);
    t->line = xstrdup(line);
}

static void rl_complete(void *opaque, ReadLineState *rs, const char *cmdline)
{
    static const char *words[] = { "info", "inject-nmi", "quit", NULL };

    readline_set_completion_index(rs, strlen(cmdline));
    for (int i = 0; words[i]; i++) {
        readline_add_completion_of(rs, cmdline, words[i]);
    }
}

static void feed(ReadLineState *rs, const char *bytes)
{
    for (const char *p = bytes; *p; p++) {
        readline_handle_byte(rs, (unsigned char)*p);
    }
}

static void test_readline_editing(void **state)
{
    RLTest t = { 0 };
    ReadLineState *rs;

    strbuf_init(&t.out);
    rs = readline_init(rl_out, rl_complete, &t);
    readline_start(rs, "(osprey) ", rl_line, &t);
    readline_show_prompt(rs);
    assert_string_equal(t.out.str, "(osprey) ");

    /* Insert in the middle after moving left. */
    feed(rs, "inf status\033[D\033[D\033[D\033[D\033[D\033[D\033[Do");
    assert_string_equal(readline_get_line(rs), "info status");
    assert_int_equal(readline_get_cursor(rs), 4);
    feed(rs, "\r");
    assert_string_equal(t.line, "info status");
    assert_string_equal(readline_get_line(rs), "");

    /* Ctrl-A, Ctrl-E, backspace, Ctrl-D, Ctrl-K, right arrow, Home/End. */
    feed(rs, "Xstop\001\004\005!\b");
    assert_string_equal(readline_get_line(rs), "stop");
    feed(rs, "\001\033[C\013");
    assert_string_equal(readline_get_line(rs), "s");
    feed(rs, "top now\027\033[Hx\033[4~y\033[3~");
    assert_string_equal(readline_get_line(rs), "xstop y");
    feed(rs, "\025");                                   /* Ctrl-U */
    assert_string_equal(readline_get_line(rs), "");
    feed(rs, "stop\n");
    assert_string_equal(t.line, "stop");

    /* CR LF is one line, not two. */
    free(t.line);
    t.line = NULL;
    feed(rs, "cont\r\n");
    assert_string_equal(t.line, "cont");
    assert_string_equal(readline_get_line(rs), "");

    /* History: up goes back, down comes forward to an empty line. */
    feed(rs, "\033[A");
    assert_string_equal(readline_get_line(rs), "cont");
    feed(rs, "\033[A\033[A");
    assert_string_equal(readline_get_line(rs), "info status");
    feed(rs, "\033[A");
    assert_string_equal(readline_get_line(rs), "info status");
    feed(rs, "\033[B");
    assert_string_equal(readline_get_line(rs), "stop");
    feed(rs, "\033[B\033[B");
    assert_string_equal(readline_get_line(rs), "");
    feed(rs, "\033[A\r");
    assert_string_equal(t.line, "cont");
    /* The repeated line moved to the end instead of being added twice. */
    assert_string_equal(readline_get_history(rs, 0), "info status");
    assert_string_equal(readline_get_history(rs, 1), "stop");
    assert_string_equal(readline_get_history(rs, 2), "cont");
    assert_null(readline_get_history(rs, 3));

    /* Completion: one match completes with a space; several list. */
    feed(rs, "q\t");
    assert_string_equal(readline_get_line(rs), "quit ");
    feed(rs, "\025i\t");
    assert_string_equal(readline_get_line(rs), "in");
    assert_non_null(strstr(t.out.str, "\ninfo        inject-nmi  \n"));
    feed(rs, "f\t");
    assert_string_equal(readline_get_line(rs), "info ");

    readline_free(rs);
    free(t.line);
    strbuf_free(&t.out);
}

/* ---- HMP over a chardev ---- */

typedef struct MemChardev {
    Chardev parent;
    StrBuf out;
} MemChardev;

static int mem_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    strbuf_append_len(&((MemChardev *)chr)->out, (const char *)buf, len);
    return len;
}

static const ChardevClass mem_chr_driver = {
    .name = "test-mem",
    .kind = CHARDEV_BACKEND_NULL,
    .instance_size = sizeof(MemChardev),
    .chr_write = mem_chr_write,
};

static void test_hmp_chardev(void **state)
{
    MemChardev *m = xnew(MemChardev);
    Monitor *mon;
    const char *in = "info st\t\r";

    m->parent.driver = &mem_chr_driver;
    m->parent.label = xstrdup("hmp");
    m->parent.logfd = -1;
    pthread_mutex_init(&m->parent.write_lock, NULL);
    strbuf_init(&m->out);
    runstate_init();

    mon = monitor_new(&m->parent, false, false, &error_abort);
    qemu_chr_be_event(&m->parent, CHR_EVENT_OPENED);
    assert_string_equal(m->out.str, "Osprey 0.1.0 monitor - type 'help' for "
                        "more information\r\n(osprey) ");
    m->out.len = 0;
    /* Completion inside "info": "st" -> "status ". */
    qemu_chr_be_write(&m->parent, (const uint8_t *)in, strlen(in));
    assert_non_null(strstr(m->out.str, "VM status: paused (prelaunch)\r\n"
                           "(osprey) "));
    m->out.len = 0;
    m->out.str[0] = '\0';
    qemu_chr_be_write(&m->parent, (const uint8_t *)"help qu\t\r", 9);
    assert_non_null(strstr(m->out.str, "quit|q  -- quit the emulator\r\n"));

    monitor_destroy(mon);
    free(m->parent.label);
    pthread_mutex_destroy(&m->parent.write_lock);
    strbuf_free(&m->out);
    free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_info_status),
        cmocka_unit_test(test_unknown_and_bad_args),
        cmocka_unit_test(test_block_resize),
        cmocka_unit_test(test_help),
        cmocka_unit_test(test_xp_ram),
        cmocka_unit_test(test_print),
        cmocka_unit_test(test_info_misc),
        cmocka_unit_test(test_readline_editing),
        cmocka_unit_test(test_hmp_chardev),
    };

    main_loop_init();
    bql_lock();
    return cmocka_run_group_tests(tests, NULL, NULL);
}
