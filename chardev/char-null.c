/*
 * null: output is discarded, input never comes.
 */
#include "chardev/char.h"

static bool null_chr_open(Chardev *chr, const ChardevBackendOptions *opts,
                          bool *be_opened, Error **errp)
{
    /* Nothing ever connects, so frontends get no OPENED event. */
    *be_opened = false;
    return true;
}

static int null_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    return len;
}

static const ChardevClass null_driver = {
    .name = "null",
    .kind = CHARDEV_BACKEND_NULL,
    .instance_size = sizeof(Chardev),
    .open = null_chr_open,
    .chr_write = null_chr_write,
};

static void __attribute__((constructor)) null_chr_register(void)
{
    qemu_chr_register_driver(&null_driver);
}
