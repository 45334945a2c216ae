/*
 * Migration over sockets: "tcp:HOST:PORT" and "unix:PATH", connecting
 * (outgoing) or listening (incoming), as QEMU's migration/socket.c.
 */
#include "channel.h"
#include <netdb.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <netinet/in.h>
#include <netinet/tcp.h>

bool socket_uri_scheme(const char *uri)
{
    return strstart(uri, "tcp:", NULL) || strstart(uri, "unix:", NULL);
}

static bool unix_addr(const char *uri, const char *path,
                      struct sockaddr_un *sun, Error **errp)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    if (!*path) {
        error_setg(errp, "%s: no socket path", uri);
        return false;
    }
    if (strlen(path) >= sizeof(sun->sun_path)) {
        error_setg(errp, "%s: unix socket path is too long (at most %zu "
                   "bytes)", uri, sizeof(sun->sun_path) - 1);
        return false;
    }
    strcpy(sun->sun_path, path);
    return true;
}

/* "HOST:PORT" or "[V6ADDR]:PORT" into host and port (caller frees). */
static bool split_host_port(const char *uri, const char *addr, char **host,
                            char **port, Error **errp)
{
    const char *colon = strrchr(addr, ':');

    if (!colon || !colon[1]) {
        error_setg(errp, "%s: expected tcp:HOST:PORT", uri);
        return false;
    }
    size_t hlen = colon - addr;
    if (hlen >= 2 && addr[0] == '[' && addr[hlen - 1] == ']') {
        *host = xstrndup(addr + 1, hlen - 2);
    } else {
        *host = xstrndup(addr, hlen);
    }
    *port = xstrdup(colon + 1);
    return true;
}

static struct addrinfo *tcp_resolve(const char *uri, const char *addr,
                                    bool passive, Error **errp)
{
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC,
        .ai_socktype = SOCK_STREAM,
        .ai_flags = passive ? AI_PASSIVE : 0,
    };
    struct addrinfo *res = NULL;
    char *host, *port;

    if (!split_host_port(uri, addr, &host, &port, errp)) {
        return NULL;
    }
    int rc = getaddrinfo(*host ? host : NULL, port, &hints, &res);
    if (rc != 0) {
        error_setg(errp, "%s: address resolution failed for %s:%s: %s", uri,
                   host, port, gai_strerror(rc));
        res = NULL;
    }
    free(host);
    free(port);
    return res;
}

int socket_connect_uri(const char *uri, Error **errp)
{
    const char *rest;
    int fd = -1, err = 0;

    if (strstart(uri, "unix:", &rest)) {
        struct sockaddr_un sun;
        if (!unix_addr(uri, rest, &sun, errp)) {
            return -1;
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
            err = errno;
            if (fd >= 0) {
                close(fd);
            }
            fd = -1;
        }
    } else if (strstart(uri, "tcp:", &rest)) {
        struct addrinfo *res = tcp_resolve(uri, rest, false, errp), *ai;
        if (!res) {
            return -1;
        }
        for (ai = res; ai; ai = ai->ai_next) {
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                        ai->ai_protocol);
            if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) == 0) {
                int one = 1;
                setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
                break;
            }
            err = errno;
            if (fd >= 0) {
                close(fd);
            }
            fd = -1;
        }
        freeaddrinfo(res);
    } else {
        error_setg(errp, "%s: not a socket URI", uri);
        return -1;
    }
    if (fd < 0) {
        error_setg_errno(errp, err, "%s: Failed to connect socket", uri);
    }
    return fd;
}

int socket_listen_uri(const char *uri, Error **errp)
{
    const char *rest;
    int fd = -1, err = 0;

    if (strstart(uri, "unix:", &rest)) {
        struct sockaddr_un sun;
        if (!unix_addr(uri, rest, &sun, errp)) {
            return -1;
        }
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        /* A stale socket file from an earlier run is replaced, as QEMU. */
        unlink(rest);
        if (fd < 0 || bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
            listen(fd, 1) < 0) {
            err = errno;
            if (fd >= 0) {
                close(fd);
            }
            fd = -1;
        }
    } else if (strstart(uri, "tcp:", &rest)) {
        struct addrinfo *res = tcp_resolve(uri, rest, true, errp), *ai;
        if (!res) {
            return -1;
        }
        for (ai = res; ai; ai = ai->ai_next) {
            int one = 1;
            fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
                        ai->ai_protocol);
            if (fd < 0) {
                err = errno;
                continue;
            }
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            if (bind(fd, ai->ai_addr, ai->ai_addrlen) == 0 &&
                listen(fd, 1) == 0) {
                break;
            }
            err = errno;
            close(fd);
            fd = -1;
        }
        freeaddrinfo(res);
    } else {
        error_setg(errp, "%s: not a socket URI", uri);
        return -1;
    }
    if (fd < 0) {
        error_setg_errno(errp, err, "%s: Failed to listen on socket", uri);
    }
    return fd;
}
