/*
 * Unit tests for live migration's pieces below the monitor: the RAM
 * section's pass cursor under a rate limit, and the transports (file,
 * exec, unix and tcp sockets) with their error messages.  Whole
 * migrations between two processes are in tests/system/test_migration.py.
 */
#include "test.h"
#include <signal.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include "migration/qemu-file.h"
#include "migration/savevm.h"
#include "migration/ram.h"
#include "memory/memory.h"
#include "memory/ram_addr.h"
#include "util/sockets.h"
#include "../../migration/channel.h"

#define PAGE TARGET_PAGE_SIZE
/* One word of the dirty bitmap: the RAM section's unit of work. */
#define WORD_PAGES (sizeof(unsigned long) * 8)

static void fill_page(MemoryRegion *mr, uint64_t page, int value)
{
    uint8_t *host = memory_region_get_ram_ptr(mr);
    memset(host + page * PAGE, value, PAGE);
    memory_region_set_dirty(mr, page * PAGE, PAGE);
}

/*
 * A rate-limited pass goes on where the last part stopped: pages dirtied
 * again behind the cursor wait for the next pass instead of being sent
 * again first (a busy page range would starve the rest of RAM).
 */
static void test_ram_pass_cursor(void **state)
{
    MemoryRegion ram;
    RAMStats st;
    Error *err = NULL;
    const uint64_t pages = 4 * WORD_PAGES;

    memory_region_init_ram(&ram, NULL, "pc.ram", pages * PAGE, &error_abort);
    for (uint64_t i = 0; i < pages; i++) {
        fill_page(&ram, i, 1 + i % 250);
    }
    ram_mig_init();

    QEMUFile *f = qemu_file_new_buffer_output();
    /* Less than a word of pages: every part sends exactly one word. */
    qemu_file_set_rate_limit(f, 4 * PAGE);
    qemu_savevm_state_header(f);
    assert_int_equal(qemu_savevm_state_setup(f, &err), 0);

    qemu_file_reset_rate_limit(f);
    assert_int_equal(qemu_savevm_state_iterate(f, &err), 0);
    ram_get_stats(&st);
    assert_int_equal(st.normal_pages, WORD_PAGES);

    fill_page(&ram, 0, 0x77);           /* behind the cursor now */
    qemu_file_reset_rate_limit(f);
    assert_int_equal(qemu_savevm_state_iterate(f, &err), 0);
    ram_get_stats(&st);
    assert_int_equal(st.normal_pages, 2 * WORD_PAGES);
    assert_int_equal(st.passes, 0);

    int ret, rounds = 0;
    do {
        qemu_file_reset_rate_limit(f);
        ret = qemu_savevm_state_iterate(f, &err);
        assert_true(ret >= 0);
    } while (ret == 0 && ++rounds < 10);
    ram_get_stats(&st);
    assert_int_equal(st.passes, 1);
    assert_int_equal(st.normal_pages, 4 * WORD_PAGES);
    /* Page 0 is still dirty and goes with the next pass. */
    assert_true(qemu_savevm_state_pending() == PAGE);
    qemu_file_reset_rate_limit(f);
    assert_int_equal(qemu_savevm_state_iterate(f, &err), 1);
    ram_get_stats(&st);
    assert_int_equal(st.normal_pages, 4 * WORD_PAGES + 1);
    assert_true(qemu_savevm_state_pending() == 0);

    assert_int_equal(qemu_savevm_state_complete_precopy(f, &err), 0);
    assert_null(err);
    qemu_savevm_state_cleanup();
    assert_int_equal(qemu_fclose(f), 0);
    memory_region_finalize(&ram);
}

/* Is the page of RAM at host allocated (resident)? */
static bool page_resident(const uint8_t *host)
{
    unsigned char vec;
    assert_int_equal(mincore((void *)host, PAGE, &vec), 0);
    return vec & 1;
}

/*
 * Save and load leave never-touched RAM alone: it is sent as zero pages
 * without being read (reading it would allocate it where the host has no
 * shared zero page), and loading a zero page over it writes nothing.
 * Pages that hold data at load time but were zero or untouched at save
 * time are cleared, so RAM equals what was saved.
 */
static void test_ram_untouched_pages(void **state)
{
    MemoryRegion ram;
    RAMStats st;
    Error *err = NULL;
    const uint64_t pages = 16 * WORD_PAGES;
    size_t len;

    memory_region_init_ram(&ram, NULL, "pc.ram", pages * PAGE, &error_abort);
    uint8_t *host = memory_region_get_ram_ptr(&ram);
    for (uint64_t i = 0; i < 10; i++) {
        fill_page(&ram, i, 0x40 + i);
    }
    fill_page(&ram, 20, 0);             /* allocated, but zero */
    fill_page(&ram, 9 * WORD_PAGES + 3, 0x99);
    ram_mig_init();

    QEMUFile *f = qemu_file_new_buffer_output();
    assert_int_equal(qemu_savevm_state(f, &err), 0);
    assert_null(err);
    ram_get_stats(&st);
    assert_int_equal(st.normal_pages, 11);
    assert_int_equal(st.zero_pages, pages - 11);
    assert_false(page_resident(host + 30 * PAGE));
    assert_false(page_resident(host + (pages - 1) * PAGE));
    const uint8_t *data = qemu_file_buffer_data(f, &len);
    uint8_t *stream = xmalloc(len);
    memcpy(stream, data, len);
    qemu_fclose(f);

    /* The guest goes on: data where zero or nothing was saved. */
    memset(host, 0xee, PAGE);
    memset(host + 20 * PAGE, 0x21, PAGE);
    memset(host + 30 * PAGE, 0x31, PAGE);
    memset(host + (9 * WORD_PAGES + 3) * PAGE, 0, PAGE);

    f = qemu_file_new_buffer_input(stream, len);
    assert_int_equal(qemu_loadvm_state(f, &err), 0);
    assert_null(err);
    qemu_fclose(f);
    free(stream);
    for (uint64_t i = 0; i < pages; i++) {
        int want = i < 10 ? 0x40 + (int)i : i == 9 * WORD_PAGES + 3 ? 0x99 : 0;
        uint8_t *p = host + i * PAGE;
        if (!page_resident(p)) {
            continue;                   /* reads as zero: not touched */
        }
        for (size_t b = 0; b < PAGE; b += 512) {
            if (p[b] != want) {
                fail_msg("page %" PRIu64 " byte %zu: 0x%02x, want 0x%02x",
                         i, b, p[b], want);
            }
        }
    }
    assert_int_equal(host[30 * PAGE + 100], 0);
    assert_int_equal(host[20 * PAGE + 7], 0);
    /* Loading zero pages allocated nothing. */
    assert_false(page_resident(host + 40 * PAGE));
    assert_false(page_resident(host + (pages - 1) * PAGE));
    memory_region_finalize(&ram);
}

/*
 * The stream checksum covers the bytes that went out, even when the
 * source buffer changes right after qemu_put_buffer (guest RAM does,
 * during live migration).
 */
static void test_checksum_covers_bytes_sent(void **state)
{
    uint8_t page[PAGE];
    QEMUFile *f = qemu_file_new_buffer_output();
    size_t len;

    memset(page, 0x11, sizeof(page));
    qemu_put_buffer(f, page, sizeof(page));
    memset(page, 0x22, sizeof(page));      /* the "guest" writes again */
    const uint8_t *data = qemu_file_buffer_data(f, &len);
    assert_int_equal(len, PAGE);
    assert_int_equal(data[0], 0x11);
    assert_int_equal(qemu_file_get_checksum(f), osprey_crc32(0, data, len));
    qemu_fclose(f);
}

/* Write "hello" through a channel, read it back through another. */
static void roundtrip(MigrationChannel *out, MigrationChannel *(*open_in)(
                          void *opaque), void *opaque)
{
    QEMUFile *f = migration_channel_file(out);
    qemu_put_buffer(f, (const uint8_t *)"hello", 5);
    qemu_put_be32(f, 0xdeadbeef);
    assert_int_equal(qemu_fclose(f), 0);

    MigrationChannel *in = open_in(opaque);
    f = migration_channel_file(in);
    uint8_t buf[5];
    assert_int_equal(qemu_get_buffer(f, buf, 5), 5);
    assert_memory_equal(buf, "hello", 5);
    assert_int_equal(qemu_get_be32(f), 0xdeadbeef);
    assert_int_equal(qemu_file_get_error(f), 0);
    qemu_fclose(f);
}

static MigrationChannel *open_file_in(void *opaque)
{
    int fd = file_open_uri(opaque, false, &error_abort);
    return migration_channel_new(fd, 0, false, false, "file:");
}

static MigrationChannel *open_exec_in(void *opaque)
{
    char *cmd = xasprintf("cat %s", (char *)opaque);
    pid_t pid;
    int fd = exec_start(cmd, false, &pid, &error_abort);
    free(cmd);
    return migration_channel_new(fd, pid, false, false, "exec:");
}

static void test_file_and_exec(void **state)
{
    char path[] = "/tmp/test-migration-XXXXXX";
    int tmp = mkstemp(path);
    assert_true(tmp >= 0);
    close(tmp);

    int fd = file_open_uri(path, true, &error_abort);
    roundtrip(migration_channel_new(fd, 0, false, true, "file:"),
              open_file_in, path);

    char *cmd = xasprintf("cat > %s", path);
    pid_t pid;
    fd = exec_start(cmd, true, &pid, &error_abort);
    assert_true(pid > 0);
    roundtrip(migration_channel_new(fd, pid, false, true, "exec:"),
              open_exec_in, path);
    free(cmd);

    /* A command that fails makes closing the stream fail. */
    fd = exec_start("exec 2>/dev/null; cat > /nonexistent-dir/x", true, &pid,
                    &error_abort);
    QEMUFile *f = migration_channel_file(
        migration_channel_new(fd, pid, false, true, "exec:"));
    qemu_put_be32(f, 1);
    assert_true(qemu_fclose(f) < 0);
    unlink(path);

    Error *err = NULL;
    assert_int_equal(file_open_uri("/nonexistent-dir/x", false, &err), -1);
    assert_non_null(strstr(error_get_pretty(err),
                           "file:/nonexistent-dir/x: cannot open for reading"));
    error_free(err);
    err = NULL;
    assert_int_equal(exec_start("", true, &pid, &err), -1);
    assert_string_equal(error_get_pretty(err), "exec: no command given");
    error_free(err);
}

static void test_socket_uris(void **state)
{
    Error *err = NULL;
    char dir[] = "/tmp/test-migration-dir-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *uri = xasprintf("unix:%s/s", dir);

    assert_true(socket_uri_scheme("tcp:1:2"));
    assert_true(socket_uri_scheme("unix:/x"));
    assert_false(socket_uri_scheme("exec:x"));

    /* Nobody listens yet. */
    assert_int_equal(socket_connect_uri(uri, &err), -1);
    assert_non_null(strstr(error_get_pretty(err),
                           "Failed to connect socket"));
    error_free(err);
    err = NULL;

    int lfd = socket_listen_uri(uri, &error_abort);
    int cfd = socket_connect_uri(uri, &error_abort);
    int afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    QEMUFile *out = migration_channel_file(
        migration_channel_new(cfd, 0, true, true, uri));
    QEMUFile *in = migration_channel_file(
        migration_channel_new(afd, 0, true, false, uri));
    qemu_put_be64(out, 0x0123456789abcdefULL);
    qemu_fflush(out);
    assert_true(qemu_get_be64(in) == 0x0123456789abcdefULL);
    assert_int_equal(qemu_fclose(out), 0);
    /* The writer closed: the reader sees the end of the stream. */
    qemu_get_byte(in);
    assert_true(qemu_file_hit_eof(in));
    qemu_fclose(in);
    close(lfd);

    /* tcp on a free port of the loopback, then refused once closed. */
    lfd = socket_listen_uri("tcp:127.0.0.1:0", &error_abort);
    SocketAddress *local = socket_local_address(lfd, &error_abort);
    char *tcp = socket_address_to_string(local);
    socket_address_free(local);
    assert_non_null(strstr(tcp, "tcp:127.0.0.1:"));
    cfd = socket_connect_uri(tcp, &error_abort);
    close(cfd);
    close(lfd);
    assert_int_equal(socket_connect_uri(tcp, &err), -1);
    assert_non_null(strstr(error_get_pretty(err), "Connection refused"));
    error_free(err);
    err = NULL;
    free(tcp);

    assert_int_equal(socket_connect_uri("tcp:noport", &err), -1);
    assert_string_equal(error_get_pretty(err),
                        "tcp:noport: expected tcp:HOST:PORT");
    error_free(err);
    err = NULL;
    assert_int_equal(socket_listen_uri("unix:", &err), -1);
    assert_string_equal(error_get_pretty(err), "unix:: no socket path");
    error_free(err);

    char *path = xasprintf("%s/s", dir);
    unlink(path);
    rmdir(dir);
    free(path);
    free(uri);
}

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_ram_pass_cursor),
        cmocka_unit_test(test_ram_untouched_pages),
        cmocka_unit_test(test_checksum_covers_bytes_sent),
        cmocka_unit_test(test_file_and_exec),
        cmocka_unit_test(test_socket_uris),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
