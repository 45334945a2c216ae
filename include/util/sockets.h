/*
 * Stream sockets by address, as QEMU's util/qemu-sockets.c: parse
 * "unix:PATH" / "tcp:HOST:PORT" into a SocketAddress, then listen on it or
 * connect to it.  Every fd returned is close-on-exec.  Errors name the
 * address and the reason:
 *   "Failed to connect socket to unix:/tmp/s: No such file or directory"
 */
#ifndef UTIL_SOCKETS_H
#define UTIL_SOCKETS_H

#include "util/error.h"

typedef enum SocketAddressType {
    SOCKET_ADDRESS_TYPE_INET,
    SOCKET_ADDRESS_TYPE_UNIX,
} SocketAddressType;

typedef struct SocketAddress {
    SocketAddressType type;
    /*
     * inet: host is a name or numeric address without brackets; "" means
     * any address when listening and the local host when connecting.
     * port is a number or service name; "0" listens on a free port.
     */
    char *host;
    char *port;
    char *path;     /* unix */
} SocketAddress;

SocketAddress *socket_address_new_inet(const char *host, const char *port);
SocketAddress *socket_address_new_unix(const char *path);
void socket_address_free(SocketAddress *addr);
/* "unix:PATH" or "tcp:HOST:PORT" ("tcp:[V6ADDR]:PORT"); caller frees. */
char *socket_address_to_string(const SocketAddress *addr);

/*
 * "unix:PATH", "tcp:HOST:PORT", or "HOST:PORT" without a prefix; an IPv6
 * host goes in brackets, "[::1]:4444".  Returns NULL with *errp set when
 * the string is not an address.
 */
SocketAddress *socket_parse(const char *str, Error **errp);

/*
 * Listen with SO_REUSEADDR and the given backlog.  A unix socket file left
 * over from an earlier run is replaced.  Returns the fd or -1.
 */
int socket_listen(const SocketAddress *addr, int backlog, Error **errp);

/* Connect, blocking until done.  Returns the fd or -1. */
int socket_connect(const SocketAddress *addr, Error **errp);

/*
 * Connect without blocking: the fd is O_NONBLOCK.  Sets *in_progress when
 * the connection is still being made; the caller then waits for the fd to
 * become writable and reads SO_ERROR (socket_connect_finish).
 */
int socket_connect_nonblock(const SocketAddress *addr, bool *in_progress,
                            Error **errp);
/* The result of a non-blocking connect: 0 or a positive errno. */
int socket_connect_finish(int fd);

/* Disable Nagle's algorithm (tcp only; harmless elsewhere). */
void socket_set_nodelay(int fd);

/*
 * The numeric local / peer address of a connected or listening fd: for
 * inet, host and port as numbers (port 0 resolved to the real one).
 */
SocketAddress *socket_local_address(int fd, Error **errp);
SocketAddress *socket_remote_address(int fd, Error **errp);

#endif
