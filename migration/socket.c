/*
 * Migration over sockets: "tcp:HOST:PORT" and "unix:PATH", connecting
 * (outgoing) or listening (incoming), as QEMU's migration/socket.c.  The
 * sockets themselves come from util/sockets.c.
 */
#include "channel.h"
#include "util/sockets.h"

bool socket_uri_scheme(const char *uri)
{
    return strstart(uri, "tcp:", NULL) || strstart(uri, "unix:", NULL);
}

int socket_connect_uri(const char *uri, Error **errp)
{
    SocketAddress *addr = socket_parse(uri, errp);
    int fd;

    if (!addr) {
        return -1;
    }
    fd = socket_connect(addr, errp);
    if (fd >= 0 && addr->type == SOCKET_ADDRESS_TYPE_INET) {
        /* The stream is written in large buffers: send them at once. */
        socket_set_nodelay(fd);
    }
    socket_address_free(addr);
    return fd;
}

int socket_listen_uri(const char *uri, Error **errp)
{
    SocketAddress *addr = socket_parse(uri, errp);
    int fd;

    if (!addr) {
        return -1;
    }
    /* One incoming migration: a backlog of one is enough. */
    fd = socket_listen(addr, 1, errp);
    socket_address_free(addr);
    return fd;
}
