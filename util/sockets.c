/*
 * Stream sockets by address, as QEMU's util/qemu-sockets.c.  The one place
 * that turns "unix:PATH" / "tcp:HOST:PORT" into a listening or connected
 * fd, for chardevs, migration and tests alike.
 */
#include "util/sockets.h"
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/un.h>

SocketAddress *socket_address_new_inet(const char *host, const char *port)
{
    SocketAddress *addr = xnew(SocketAddress);

    addr->type = SOCKET_ADDRESS_TYPE_INET;
    addr->host = xstrdup(host ? host : "");
    addr->port = xstrdup(port);
    return addr;
}

SocketAddress *socket_address_new_unix(const char *path)
{
    SocketAddress *addr = xnew(SocketAddress);

    addr->type = SOCKET_ADDRESS_TYPE_UNIX;
    addr->path = xstrdup(path);
    return addr;
}

void socket_address_free(SocketAddress *addr)
{
    if (!addr) {
        return;
    }
    free(addr->host);
    free(addr->port);
    free(addr->path);
    free(addr);
}

char *socket_address_to_string(const SocketAddress *addr)
{
    if (addr->type == SOCKET_ADDRESS_TYPE_UNIX) {
        return xasprintf("unix:%s", addr->path);
    }
    bool v6 = strchr(addr->host, ':') != NULL;
    return xasprintf("tcp:%s%s%s:%s", v6 ? "[" : "", addr->host,
                     v6 ? "]" : "", addr->port);
}

SocketAddress *socket_parse(const char *str, Error **errp)
{
    const char *rest;

    if (strstart(str, "unix:", &rest)) {
        if (!*rest) {
            error_setg(errp, "%s: no socket path", str);
            return NULL;
        }
        return socket_address_new_unix(rest);
    }

    bool prefixed = strstart(str, "tcp:", &rest);
    if (!prefixed) {
        rest = str;
    }
    const char *colon = strrchr(rest, ':');
    if (!colon || !colon[1]) {
        error_setg(errp, "%s: expected %sHOST:PORT", str,
                   prefixed ? "tcp:" : "");
        return NULL;
    }
    size_t hlen = colon - rest;
    char *host;
    if (hlen >= 2 && rest[0] == '[' && rest[hlen - 1] == ']') {
        host = xstrndup(rest + 1, hlen - 2);
    } else {
        host = xstrndup(rest, hlen);
    }
    SocketAddress *addr = socket_address_new_inet(host, colon + 1);
    free(host);
    return addr;
}

/* ---- resolving ---- */

static bool unix_sockaddr(const SocketAddress *addr, struct sockaddr_un *sun,
                          Error **errp)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (!*addr->path) {
        error_setg(errp, "unix socket path is empty");
        return false;
    }
    if (strlen(addr->path) >= sizeof(sun->sun_path)) {
        error_setg(errp, "unix socket path '%s' is too long (at most %zu "
                   "bytes)", addr->path, sizeof(sun->sun_path) - 1);
        return false;
    }
    strcpy(sun->sun_path, addr->path);
    return true;
}

/*
 * The candidate addresses to try, in getaddrinfo's order; for unix a
 * single entry pointing at *sun.  Free with free_candidates.
 */
static struct addrinfo *resolve(const SocketAddress *addr, bool passive,
                                struct addrinfo *unix_ai,
                                struct sockaddr_un *sun, Error **errp)
{
    if (addr->type == SOCKET_ADDRESS_TYPE_UNIX) {
        if (!unix_sockaddr(addr, sun, errp)) {
            return NULL;
        }
        *unix_ai = (struct addrinfo) {
            .ai_family = AF_UNIX,
            .ai_socktype = SOCK_STREAM,
            .ai_addr = (struct sockaddr *)sun,
            .ai_addrlen = sizeof(*sun),
        };
        return unix_ai;
    }

    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = passive ? AI_PASSIVE : 0,
    };
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(*addr->host ? addr->host : NULL, addr->port, &hints,
                         &res);
    if (rc != 0) {
        char *str = socket_address_to_string(addr);
        error_setg(errp, "address resolution failed for %s: %s", str,
                   gai_strerror(rc));
        free(str);
        return NULL;
    }
    return res;
}

static void free_candidates(struct addrinfo *res, struct addrinfo *unix_ai)
{
    if (res && res != unix_ai) {
        freeaddrinfo(res);
    }
}

static void set_error(Error **errp, int err, const char *what,
                      const SocketAddress *addr)
{
    char *str = socket_address_to_string(addr);

    error_setg_errno(errp, err, "%s %s", what, str);
    free(str);
}

/* ---- listen ---- */

int socket_listen(const SocketAddress *addr, int backlog, Error **errp)
{
    struct addrinfo unix_ai, *res, *ai;
    struct sockaddr_un sun;
    int fd = -1, err = EADDRNOTAVAIL;

    res = resolve(addr, true, &unix_ai, &sun, errp);
    if (!res) {
        return -1;
    }
    if (addr->type == SOCKET_ADDRESS_TYPE_UNIX) {
        /* A stale socket file from an earlier run is replaced, as QEMU. */
        unlink(addr->path);
    }
    for (ai = res; ai; ai = ai->ai_next) {
        int one = 1;

        fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (ai->ai_family != AF_UNIX) {
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        }
        if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
            listen(fd, backlog) == 0) {
            break;
        }
        err = errno;
        close(fd);
        fd = -1;
    }
    free_candidates(res, &unix_ai);
    if (fd < 0) {
        set_error(errp, err, "Failed to listen on socket", addr);
    }
    return fd;
}

/* ---- connect ---- */

static int do_connect(const SocketAddress *addr, bool blocking,
                      bool *in_progress, Error **errp)
{
    struct addrinfo unix_ai, *res, *ai;
    struct sockaddr_un sun;
    int fd = -1, err = ECONNREFUSED;
    int type_flags = SOCK_CLOEXEC | (blocking ? 0 : SOCK_NONBLOCK);

    if (in_progress) {
        *in_progress = false;
    }
    res = resolve(addr, false, &unix_ai, &sun, errp);
    if (!res) {
        return -1;
    }
    for (ai = res; ai; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype | type_flags,
                    ai->ai_protocol);
        if (fd < 0) {
            err = errno;
            continue;
        }
        if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
            break;
        }
        err = errno;
        if (!blocking && err == EINPROGRESS) {
            /* Only this candidate is tried: the caller waits for it. */
            *in_progress = true;
            break;
        }
        close(fd);
        fd = -1;
    }
    free_candidates(res, &unix_ai);
    if (fd < 0) {
        set_error(errp, err, "Failed to connect socket to", addr);
    }
    return fd;
}

int socket_connect(const SocketAddress *addr, Error **errp)
{
    return do_connect(addr, true, NULL, errp);
}

int socket_connect_nonblock(const SocketAddress *addr, bool *in_progress,
                            Error **errp)
{
    return do_connect(addr, false, in_progress, errp);
}

int socket_connect_finish(int fd)
{
    int err = 0;
    socklen_t len = sizeof(err);

    if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) {
        return errno;
    }
    return err;
}

void socket_set_nodelay(int fd)
{
    int one = 1;

    /* Fails with EOPNOTSUPP on unix sockets, which have no Nagle. */
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ---- names of connected sockets ---- */

static SocketAddress *sockaddr_to_address(const struct sockaddr_storage *ss,
                                          socklen_t len, Error **errp)
{
    char host[NI_MAXHOST], serv[NI_MAXSERV];

    if (ss->ss_family == AF_UNIX) {
        const struct sockaddr_un *sun = (const struct sockaddr_un *)ss;
        size_t plen = len > offsetof(struct sockaddr_un, sun_path) ?
                      len - offsetof(struct sockaddr_un, sun_path) : 0;
        char *path = xstrndup(sun->sun_path, plen);
        SocketAddress *addr = socket_address_new_unix(path);
        free(path);
        return addr;
    }
    int rc = getnameinfo((const struct sockaddr *)ss, len, host, sizeof(host),
                         serv, sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV);
    if (rc != 0) {
        error_setg(errp, "cannot format socket address: %s",
                   gai_strerror(rc));
        return NULL;
    }
    return socket_address_new_inet(host, serv);
}

/* getsockname or getpeername of fd, as a SocketAddress. */
static SocketAddress *socket_name(int fd, bool peer, Error **errp)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int rc;

    memset(&ss, 0, sizeof(ss));
    if (peer) {
        rc = getpeername(fd, (struct sockaddr *)&ss, &len);
    } else {
        rc = getsockname(fd, (struct sockaddr *)&ss, &len);
    }
    if (rc < 0) {
        error_setg_errno(errp, errno, "cannot get the %s address of fd %d",
                         peer ? "peer" : "local", fd);
        return NULL;
    }
    return sockaddr_to_address(&ss, len, errp);
}

SocketAddress *socket_local_address(int fd, Error **errp)
{
    return socket_name(fd, false, errp);
}

SocketAddress *socket_remote_address(int fd, Error **errp)
{
    return socket_name(fd, true, errp);
}
