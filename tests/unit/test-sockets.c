/*
 * Unit tests for util/sockets.c: parsing addresses, listening, connecting
 * (blocking and not) over tcp and unix, and the errors for bad addresses.
 */
#include "test.h"
#include "util/sockets.h"
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>

/* err's message is the formatted one; err is freed. */
static void PRINTF_FMT(2, 3) expect_error(Error *err, const char *fmt, ...)
{
    va_list ap;

    assert_non_null(err);
    va_start(ap, fmt);
    char *want = xvasprintf(fmt, ap);
    va_end(ap);
    assert_string_equal(error_get_pretty(err), want);
    free(want);
    error_free(err);
}

static void expect_parse_error(const char *str, const char *msg)
{
    Error *err = NULL;

    assert_null(socket_parse(str, &err));
    expect_error(err, "%s", msg);
}

static void test_parse(void **state)
{
    SocketAddress *a;
    char *s;

    a = socket_parse("unix:/tmp/x.sock", &error_abort);
    assert_int_equal(a->type, SOCKET_ADDRESS_TYPE_UNIX);
    assert_string_equal(a->path, "/tmp/x.sock");
    s = socket_address_to_string(a);
    assert_string_equal(s, "unix:/tmp/x.sock");
    free(s);
    socket_address_free(a);

    a = socket_parse("tcp:localhost:4444", &error_abort);
    assert_int_equal(a->type, SOCKET_ADDRESS_TYPE_INET);
    assert_string_equal(a->host, "localhost");
    assert_string_equal(a->port, "4444");
    socket_address_free(a);

    /* No prefix means inet; an empty host is the wildcard. */
    a = socket_parse(":0", &error_abort);
    assert_int_equal(a->type, SOCKET_ADDRESS_TYPE_INET);
    assert_string_equal(a->host, "");
    assert_string_equal(a->port, "0");
    socket_address_free(a);

    /* IPv6 in brackets, and back to a string that parses the same. */
    a = socket_parse("tcp:[::1]:5555", &error_abort);
    assert_string_equal(a->host, "::1");
    assert_string_equal(a->port, "5555");
    s = socket_address_to_string(a);
    assert_string_equal(s, "tcp:[::1]:5555");
    free(s);
    socket_address_free(a);

    expect_parse_error("tcp:noport", "tcp:noport: expected tcp:HOST:PORT");
    expect_parse_error("tcp:host:", "tcp:host:: expected tcp:HOST:PORT");
    expect_parse_error("justaname", "justaname: expected HOST:PORT");
    expect_parse_error("unix:", "unix:: no socket path");
}

/* Send a byte one way and read it on the other end. */
static void check_pair(int a, int b)
{
    char c = 0;

    assert_int_equal(write(a, "x", 1), 1);
    assert_int_equal(read(b, &c, 1), 1);
    assert_int_equal(c, 'x');
}

/* Listen on a free port of the loopback: the fd, and *local its address. */
static int listen_loopback(int backlog, SocketAddress **local)
{
    SocketAddress *any = socket_parse("tcp:127.0.0.1:0", &error_abort);
    int lfd = socket_listen(any, backlog, &error_abort);

    *local = socket_local_address(lfd, &error_abort);
    socket_address_free(any);
    return lfd;
}

static void test_tcp_port0(void **state)
{
    SocketAddress *local;
    int lfd = listen_loopback(4, &local);

    assert_int_equal(fcntl(lfd, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC);
    assert_int_equal(local->type, SOCKET_ADDRESS_TYPE_INET);
    assert_string_equal(local->host, "127.0.0.1");
    assert_string_not_equal(local->port, "0");

    int cfd = socket_connect(local, &error_abort);
    int afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    check_pair(cfd, afd);
    check_pair(afd, cfd);

    /* Each end names the other. */
    SocketAddress *peer = socket_remote_address(afd, &error_abort);
    SocketAddress *me = socket_local_address(cfd, &error_abort);
    assert_string_equal(peer->host, me->host);
    assert_string_equal(peer->port, me->port);
    socket_set_nodelay(cfd);
    socket_address_free(peer);
    socket_address_free(me);
    close(afd);
    close(cfd);

    /* SO_REUSEADDR: the same port can be listened on again at once. */
    close(lfd);
    lfd = socket_listen(local, 4, &error_abort);
    close(lfd);

    /* Nobody listens now: refused, naming the address. */
    Error *err = NULL;
    assert_int_equal(socket_connect(local, &err), -1);
    expect_error(err, "Failed to connect socket to tcp:127.0.0.1:%s: "
                 "Connection refused", local->port);
    socket_address_free(local);
}

static void test_tcp_in_use(void **state)
{
    SocketAddress *local;
    int lfd = listen_loopback(1, &local);
    Error *err = NULL;

    assert_int_equal(socket_listen(local, 1, &err), -1);
    expect_error(err, "Failed to listen on socket tcp:127.0.0.1:%s: "
                 "Address already in use", local->port);
    close(lfd);
    socket_address_free(local);
}

static void test_nonblocking(void **state)
{
    SocketAddress *local;
    int lfd = listen_loopback(4, &local);
    bool in_progress = true;

    int cfd = socket_connect_nonblock(local, &in_progress, &error_abort);
    assert_true(cfd >= 0);
    assert_true(fcntl(cfd, F_GETFL) & O_NONBLOCK);
    if (in_progress) {
        struct pollfd pfd = { .fd = cfd, .events = POLLOUT };
        assert_int_equal(poll(&pfd, 1, 10000), 1);
    }
    assert_int_equal(socket_connect_finish(cfd), 0);
    int afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    check_pair(afd, cfd);
    close(afd);
    close(cfd);
    close(lfd);

    /* Refused: either at once or through SO_ERROR once it is writable. */
    Error *err = NULL;
    cfd = socket_connect_nonblock(local, &in_progress, &err);
    if (cfd >= 0) {
        struct pollfd pfd = { .fd = cfd, .events = POLLOUT };
        assert_true(in_progress);
        assert_int_equal(poll(&pfd, 1, 10000), 1);
        assert_int_equal(socket_connect_finish(cfd), ECONNREFUSED);
        close(cfd);
    } else {
        assert_non_null(strstr(error_get_pretty(err), "refused"));
        error_free(err);
    }
    socket_address_free(local);
}

static void test_unix(void **state)
{
    char dir[] = "/tmp/test-sockets-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char *path = xasprintf("%s/s", dir);
    char *str = xasprintf("unix:%s", path);
    SocketAddress *addr = socket_parse(str, &error_abort);
    Error *err = NULL;

    /* Nobody listens: the error names the path and the reason. */
    assert_int_equal(socket_connect(addr, &err), -1);
    expect_error(err, "Failed to connect socket to %s: No such file or "
                 "directory", str);
    err = NULL;

    /* A stale file from an earlier run is replaced. */
    int fd = open(path, O_CREAT | O_WRONLY, 0600);
    assert_true(fd >= 0);
    close(fd);
    int lfd = socket_listen(addr, 1, &error_abort);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISSOCK(st.st_mode));

    int cfd = socket_connect(addr, &error_abort);
    int afd = accept(lfd, NULL, NULL);
    assert_true(afd >= 0);
    check_pair(cfd, afd);
    SocketAddress *local = socket_local_address(lfd, &error_abort);
    assert_int_equal(local->type, SOCKET_ADDRESS_TYPE_UNIX);
    assert_string_equal(local->path, path);
    socket_address_free(local);
    close(afd);
    close(cfd);
    close(lfd);
    unlink(path);

    /* Listening where the directory does not exist. */
    SocketAddress *bad = socket_address_new_unix("/nonexistent/dir/s");
    assert_int_equal(socket_listen(bad, 1, &err), -1);
    expect_error(err, "Failed to listen on socket unix:/nonexistent/dir/s: "
                 "No such file or directory");
    err = NULL;
    socket_address_free(bad);

    /* A path longer than sun_path holds. */
    char longpath[200];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    bad = socket_address_new_unix(longpath);
    assert_int_equal(socket_connect(bad, &err), -1);
    expect_error(err, "unix socket path '%s' is too long (at most 107 bytes)",
                 longpath);
    socket_address_free(bad);

    socket_address_free(addr);
    free(str);
    free(path);
    rmdir(dir);
}

static void test_bad_addresses(void **state)
{
    SocketAddress *a = socket_parse("tcp:no such host!:1", &error_abort);
    Error *err = NULL;

    assert_int_equal(socket_connect(a, &err), -1);
    assert_true(strstart(error_get_pretty(err), "address resolution failed "
                         "for tcp:no such host!:1: ", NULL));
    error_free(err);
    err = NULL;
    socket_address_free(a);

    a = socket_parse("tcp:127.0.0.1:notaport", &error_abort);
    assert_int_equal(socket_listen(a, 1, &err), -1);
    assert_true(strstart(error_get_pretty(err), "address resolution failed "
                         "for tcp:127.0.0.1:notaport: ", NULL));
    error_free(err);
    err = NULL;
    socket_address_free(a);

    /* Not a socket at all. */
    assert_null(socket_local_address(-1, &err));
    expect_error(err, "cannot get the local address of fd -1: Bad file "
                 "descriptor");
    err = NULL;
    assert_null(socket_remote_address(0x7fff, &err));
    expect_error(err, "cannot get the peer address of fd 32767: Bad file "
                 "descriptor");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse),
        cmocka_unit_test(test_tcp_port0),
        cmocka_unit_test(test_tcp_in_use),
        cmocka_unit_test(test_nonblocking),
        cmocka_unit_test(test_unix),
        cmocka_unit_test(test_bad_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
