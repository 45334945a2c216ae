/*
 * ringbuf (alias memory), as QEMU's chardev/char-ringbuf.c: what the
 * frontend writes is kept in a power-of-two ring in RAM, the newest
 * `size` bytes of it; writes always succeed, overwriting the oldest
 * bytes.  The ring is read (and, as QEMU does, written) from outside:
 * QMP ringbuf-read / ringbuf-write, and tests.
 *
 *   -chardev ringbuf,id=log,size=4096
 */
#include "chardev/char.h"

#define RINGBUF_DEFAULT_SIZE 65536

typedef struct RingBufChardev {
    Chardev parent;
    uint8_t *data;
    size_t size;                /* a power of two */
    size_t prod;                /* bytes ever written */
    size_t cons;                /* bytes ever read (or overwritten) */
} RingBufChardev;

static RingBufChardev *ringbuf_of(Chardev *chr)
{
    if (!chr || chr->driver->kind != CHARDEV_BACKEND_RINGBUF) {
        return NULL;
    }
    return (RingBufChardev *)chr;
}

static bool ringbuf_chr_open(Chardev *chr, const ChardevBackendOptions *opts,
                             bool *be_opened, Error **errp)
{
    RingBufChardev *d = (RingBufChardev *)chr;
    int64_t size = opts->size ? opts->size : RINGBUF_DEFAULT_SIZE;

    if (size < 0 || size > (1 << 30) || (size & (size - 1))) {
        error_setg(errp, "chardev '%s': size of ringbuf chardev must be "
                   "power of two", chr->label);
        return false;
    }
    d->size = size;
    d->data = xzalloc(d->size);
    qemu_chr_set_filename(chr, "ringbuf");
    return true;
}

static int ringbuf_chr_write(Chardev *chr, const uint8_t *buf, int len)
{
    RingBufChardev *d = (RingBufChardev *)chr;

    for (int i = 0; i < len; i++) {
        d->data[d->prod++ & (d->size - 1)] = buf[i];
        if (d->prod - d->cons > d->size) {
            d->cons = d->prod - d->size;
        }
    }
    return len;
}

static void ringbuf_chr_finalize(Chardev *chr)
{
    free(((RingBufChardev *)chr)->data);
}

int qemu_chr_ringbuf_count(Chardev *chr)
{
    RingBufChardev *d = ringbuf_of(chr);
    int n;

    if (!d) {
        return -1;
    }
    pthread_mutex_lock(&chr->write_lock);
    n = d->prod - d->cons;
    pthread_mutex_unlock(&chr->write_lock);
    return n;
}

int qemu_chr_ringbuf_read(Chardev *chr, uint8_t *buf, int len)
{
    RingBufChardev *d = ringbuf_of(chr);
    int i;

    if (!d) {
        return -1;
    }
    /* Frontends write from vCPU threads too. */
    pthread_mutex_lock(&chr->write_lock);
    for (i = 0; i < len && d->cons != d->prod; i++) {
        buf[i] = d->data[d->cons++ & (d->size - 1)];
    }
    pthread_mutex_unlock(&chr->write_lock);
    return i;
}

int qemu_chr_ringbuf_write(Chardev *chr, const uint8_t *buf, int len)
{
    if (!ringbuf_of(chr)) {
        return -1;
    }
    return qemu_chr_write(chr, buf, len, true);
}

static const ChardevClass ringbuf_driver = {
    .name = "ringbuf",
    .kind = CHARDEV_BACKEND_RINGBUF,
    .instance_size = sizeof(RingBufChardev),
    .open = ringbuf_chr_open,
    .chr_write = ringbuf_chr_write,
    .finalize = ringbuf_chr_finalize,
};

static void __attribute__((constructor)) ringbuf_chr_register(void)
{
    qemu_chr_register_driver(&ringbuf_driver);
}
