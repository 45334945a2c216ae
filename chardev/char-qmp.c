/*
 * The chardev side of QMP's query-chardev and query-chardev-backends, as
 * QObjects in QEMU's JSON shapes, for the monitor to return:
 *   query-chardev:          [{"label", "filename", "frontend-open"}, ...]
 *   query-chardev-backends: [{"name"}, ...]
 */
#include "chardev/char.h"
#include "util/qobject.h"

static void add_chardev_info(Chardev *chr, void *opaque)
{
    QObject *info = qdict_new();

    qdict_put_str(info, "label", qemu_chr_get_label(chr));
    qdict_put_str(info, "filename", qemu_chr_get_filename(chr));
    qdict_put_bool(info, "frontend-open", qemu_chr_frontend_open(chr));
    qlist_append(opaque, info);
}

QObject *qmp_query_chardev(Error **errp)
{
    QObject *list = qlist_new();

    qemu_chr_foreach(add_chardev_info, list);
    return list;
}

QObject *qmp_query_chardev_backends(Error **errp)
{
    static const char *const names[] = {
        "null", "stdio", "file", "pipe", "pty", "socket", "mux",
        "ringbuf", "memory",
    };
    QObject *list = qlist_new();

    for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
        /* "memory" is an alias of ringbuf, listed as QEMU lists it. */
        const char *driver = strcmp(names[i], "memory") ? names[i] : "ringbuf";
        if (qemu_chr_find_driver(driver)) {
            QObject *info = qdict_new();
            qdict_put_str(info, "name", names[i]);
            qlist_append(list, info);
        }
    }
    return list;
}
