/*
 * QEMUFile: buffered, error-latching byte streams over abstract channels.
 */
#include "migration/qemu-file.h"
#ifdef CONFIG_ZLIB
#include <zlib.h>
#else
#include <pthread.h>
#endif

#define IO_BUF_SIZE 32768
#define MAX_PEEK (IO_BUF_SIZE / 2)

struct QEMUFile {
    const QEMUFileOps *ops;
    void *opaque;
    bool writable;
    bool eof;             /* the channel said end of stream */
    bool hit_eof;         /* a read wanted bytes past the end */
    int last_error;

    int64_t channel_pos;  /* bytes moved through the channel */
    uint64_t transferred; /* bytes put or consumed by the user */
    uint64_t rate_limit_max;
    uint64_t rate_limit_used;
    uint32_t crc;

    size_t buf_index;     /* input: next unread byte; output: fill level */
    size_t buf_size;      /* input: bytes valid in buf */
    uint8_t buf[IO_BUF_SIZE];
};

/* --- CRC32 ----------------------------------------------------------- */

#ifndef CONFIG_ZLIB
static uint32_t crc_table[256];

static void crc_table_init(void)
{
    for (uint32_t n = 0; n < 256; n++) {
        uint32_t c = n;
        for (int k = 0; k < 8; k++) {
            c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
        }
        crc_table[n] = c;
    }
}
#endif

uint32_t osprey_crc32(uint32_t crc, const uint8_t *buf, size_t len)
{
#ifdef CONFIG_ZLIB
    /* zlib takes uInt lengths: feed it in pieces. */
    while (len) {
        uInt n = len > (1u << 30) ? (1u << 30) : (uInt)len;
        crc = crc32(crc, buf, n);
        buf += n;
        len -= n;
    }
    return crc;
#else
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, crc_table_init);
    crc = ~crc;
    for (size_t i = 0; i < len; i++) {
        crc = crc_table[(crc ^ buf[i]) & 0xff] ^ (crc >> 8);
    }
    return ~crc;
#endif
}

/* --- Construction ---------------------------------------------------- */

static QEMUFile *qemu_file_new(const QEMUFileOps *ops, void *opaque,
                               bool writable)
{
    QEMUFile *f = xzalloc(sizeof(*f));
    f->ops = ops;
    f->opaque = opaque;
    f->writable = writable;
    return f;
}

QEMUFile *qemu_file_new_input(const QEMUFileOps *ops, void *opaque)
{
    assert(ops->get_buffer);
    return qemu_file_new(ops, opaque, false);
}

QEMUFile *qemu_file_new_output(const QEMUFileOps *ops, void *opaque)
{
    assert(ops->put_buffer);
    return qemu_file_new(ops, opaque, true);
}

bool qemu_file_is_writable(const QEMUFile *f)
{
    return f->writable;
}

/* --- fd channel ------------------------------------------------------ */

typedef struct FdChannel {
    int fd;
    bool own_fd;
} FdChannel;

static ssize_t fd_get_buffer(void *opaque, uint8_t *buf, int64_t pos,
                             size_t size)
{
    FdChannel *c = opaque;
    for (;;) {
        ssize_t n = read(c->fd, buf, size);
        if (n >= 0) {
            return n;
        }
        if (errno != EINTR) {
            return -errno;
        }
    }
}

static ssize_t fd_put_buffer(void *opaque, const uint8_t *buf, int64_t pos,
                             size_t size)
{
    FdChannel *c = opaque;
    size_t done = 0;

    while (done < size) {
        ssize_t n = write(c->fd, buf + done, size - done);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            return -EIO;
        }
        done += n;
    }
    return size;
}

static int fd_close(void *opaque)
{
    FdChannel *c = opaque;
    int ret = 0;
    if (c->own_fd && close(c->fd) < 0) {
        ret = -errno;
    }
    free(c);
    return ret;
}

static const QEMUFileOps fd_input_ops = {
    .get_buffer = fd_get_buffer,
    .close = fd_close,
};

static const QEMUFileOps fd_output_ops = {
    .put_buffer = fd_put_buffer,
    .close = fd_close,
};

QEMUFile *qemu_file_new_fd_input(int fd, bool own_fd)
{
    FdChannel *c = xnew(FdChannel);
    c->fd = fd;
    c->own_fd = own_fd;
    return qemu_file_new_input(&fd_input_ops, c);
}

QEMUFile *qemu_file_new_fd_output(int fd, bool own_fd)
{
    FdChannel *c = xnew(FdChannel);
    c->fd = fd;
    c->own_fd = own_fd;
    return qemu_file_new_output(&fd_output_ops, c);
}

/* --- Memory buffer channel ------------------------------------------- */

typedef struct MemChannel {
    const uint8_t *in;   /* input: borrowed */
    uint8_t *out;        /* output: owned */
    size_t len;
    size_t cap;
} MemChannel;

static ssize_t mem_get_buffer(void *opaque, uint8_t *buf, int64_t pos,
                              size_t size)
{
    MemChannel *c = opaque;
    if ((uint64_t)pos >= c->len) {
        return 0;
    }
    size_t n = MIN(size, c->len - (size_t)pos);
    memcpy(buf, c->in + pos, n);
    return n;
}

static ssize_t mem_put_buffer(void *opaque, const uint8_t *buf, int64_t pos,
                              size_t size)
{
    MemChannel *c = opaque;
    if (c->len + size > c->cap) {
        c->cap = MAX(c->cap * 2, c->len + size);
        c->out = xrealloc(c->out, c->cap);
    }
    memcpy(c->out + c->len, buf, size);
    c->len += size;
    return size;
}

static int mem_close(void *opaque)
{
    MemChannel *c = opaque;
    free(c->out);
    free(c);
    return 0;
}

static const QEMUFileOps mem_input_ops = {
    .get_buffer = mem_get_buffer,
    .close = mem_close,
};

static const QEMUFileOps mem_output_ops = {
    .put_buffer = mem_put_buffer,
    .close = mem_close,
};

QEMUFile *qemu_file_new_buffer_input(const void *data, size_t len)
{
    MemChannel *c = xnew(MemChannel);
    c->in = data;
    c->len = len;
    return qemu_file_new_input(&mem_input_ops, c);
}

QEMUFile *qemu_file_new_buffer_output(void)
{
    return qemu_file_new_output(&mem_output_ops, xnew(MemChannel));
}

const uint8_t *qemu_file_buffer_data(QEMUFile *f, size_t *len)
{
    if (f->ops != &mem_output_ops) {
        *len = 0;
        return NULL;
    }
    qemu_fflush(f);
    MemChannel *c = f->opaque;
    *len = c->len;
    return c->out;
}

/* --- Errors ---------------------------------------------------------- */

int qemu_file_get_error(const QEMUFile *f)
{
    return f->last_error;
}

void qemu_file_set_error(QEMUFile *f, int ret)
{
    if (ret < 0 && !f->last_error) {
        f->last_error = ret;
    }
}

bool qemu_file_hit_eof(const QEMUFile *f)
{
    return f->hit_eof && f->last_error == -EIO;
}

const char *qemu_file_error_string(const QEMUFile *f)
{
    if (!f->last_error) {
        return "no error";
    }
    if (qemu_file_hit_eof(f)) {
        return "unexpected end of stream";
    }
    return strerror(-f->last_error);
}

/* --- Output ---------------------------------------------------------- */

void qemu_fflush(QEMUFile *f)
{
    if (!f->writable || !f->buf_index) {
        return;
    }
    if (!f->last_error) {
        ssize_t n = f->ops->put_buffer(f->opaque, f->buf, f->channel_pos,
                                       f->buf_index);
        if (n < 0) {
            qemu_file_set_error(f, (int)n);
        } else if ((size_t)n != f->buf_index) {
            qemu_file_set_error(f, -EIO);
        } else {
            f->channel_pos += n;
        }
    }
    f->buf_index = 0;
}

void qemu_put_buffer(QEMUFile *f, const uint8_t *buf, size_t size)
{
    assert(f->writable);
    if (f->last_error) {
        return;
    }
    f->transferred += size;
    f->rate_limit_used += size;
    while (size) {
        size_t n = MIN(size, IO_BUF_SIZE - f->buf_index);
        memcpy(f->buf + f->buf_index, buf, n);
        /*
         * Checksum our copy, not buf: live migration reads guest RAM
         * while the guest writes it, and the checksum must match the
         * bytes that actually go out.
         */
        f->crc = osprey_crc32(f->crc, f->buf + f->buf_index, n);
        f->buf_index += n;
        buf += n;
        size -= n;
        if (f->buf_index == IO_BUF_SIZE) {
            qemu_fflush(f);
            if (f->last_error) {
                return;
            }
        }
    }
}

void qemu_put_byte(QEMUFile *f, int v)
{
    uint8_t b = v;
    qemu_put_buffer(f, &b, 1);
}

void qemu_put_be16(QEMUFile *f, unsigned int v)
{
    uint8_t b[2] = { v >> 8, v };
    qemu_put_buffer(f, b, 2);
}

void qemu_put_be32(QEMUFile *f, unsigned int v)
{
    uint8_t b[4] = { v >> 24, v >> 16, v >> 8, v };
    qemu_put_buffer(f, b, 4);
}

void qemu_put_be64(QEMUFile *f, uint64_t v)
{
    qemu_put_be32(f, v >> 32);
    qemu_put_be32(f, (uint32_t)v);
}

/* --- Input ----------------------------------------------------------- */

/* Read more bytes from the channel; false at end of stream or error. */
static bool qemu_fill_buffer(QEMUFile *f)
{
    if (f->eof || f->last_error) {
        return false;
    }
    size_t pending = f->buf_size - f->buf_index;
    if (pending && f->buf_index) {
        memmove(f->buf, f->buf + f->buf_index, pending);
    }
    f->buf_index = 0;
    f->buf_size = pending;
    if (pending == IO_BUF_SIZE) {
        return false;
    }
    ssize_t n = f->ops->get_buffer(f->opaque, f->buf + pending,
                                   f->channel_pos, IO_BUF_SIZE - pending);
    if (n < 0) {
        qemu_file_set_error(f, (int)n);
        return false;
    }
    if (n == 0) {
        f->eof = true;
        return false;
    }
    f->buf_size += n;
    f->channel_pos += n;
    return true;
}

size_t qemu_peek_buffer(QEMUFile *f, const uint8_t **buf, size_t size,
                        size_t offset)
{
    assert(!f->writable);
    assert(offset + size <= MAX_PEEK);
    while (f->buf_size - f->buf_index < offset + size) {
        if (!qemu_fill_buffer(f)) {
            break;
        }
    }
    size_t avail = f->buf_size - f->buf_index;
    *buf = f->buf + f->buf_index + offset;
    if (avail <= offset) {
        return 0;
    }
    return MIN(size, avail - offset);
}

int qemu_peek_byte(QEMUFile *f, size_t offset)
{
    const uint8_t *p;
    if (f->last_error || qemu_peek_buffer(f, &p, 1, offset) != 1) {
        return -1;
    }
    return *p;
}

void qemu_file_skip(QEMUFile *f, size_t size)
{
    size_t avail = f->buf_size - f->buf_index;
    size = MIN(size, avail);
    f->crc = osprey_crc32(f->crc, f->buf + f->buf_index, size);
    f->buf_index += size;
    f->transferred += size;
}

static void qemu_file_set_eof_error(QEMUFile *f)
{
    if (!f->last_error) {
        f->hit_eof = true;
        f->last_error = -EIO;
    }
}

size_t qemu_get_buffer(QEMUFile *f, uint8_t *buf, size_t size)
{
    size_t done = 0;

    assert(!f->writable);
    while (done < size && !f->last_error) {
        size_t avail = f->buf_size - f->buf_index;
        if (!avail) {
            if (!qemu_fill_buffer(f)) {
                if (!f->last_error) {
                    qemu_file_set_eof_error(f);
                }
                break;
            }
            continue;
        }
        size_t n = MIN(avail, size - done);
        memcpy(buf + done, f->buf + f->buf_index, n);
        qemu_file_skip(f, n);
        done += n;
    }
    memset(buf + done, 0, size - done);
    return done;
}

int qemu_get_byte(QEMUFile *f)
{
    uint8_t b;
    qemu_get_buffer(f, &b, 1);
    return b;
}

unsigned int qemu_get_be16(QEMUFile *f)
{
    uint8_t b[2];
    qemu_get_buffer(f, b, 2);
    return b[0] << 8 | b[1];
}

unsigned int qemu_get_be32(QEMUFile *f)
{
    uint8_t b[4];
    qemu_get_buffer(f, b, 4);
    return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3];
}

uint64_t qemu_get_be64(QEMUFile *f)
{
    uint64_t hi = qemu_get_be32(f);
    return hi << 32 | qemu_get_be32(f);
}

uint8_t *qemu_file_read_to_end(QEMUFile *f, size_t max, size_t *len)
{
    size_t cap = 64 * KiB, n = 0;
    uint8_t *data = xmalloc(cap);

    assert(!f->writable);
    while (!f->last_error) {
        size_t avail = f->buf_size - f->buf_index;
        if (!avail) {
            if (!qemu_fill_buffer(f)) {
                break;
            }
            continue;
        }
        if (n + avail > max) {
            qemu_file_set_error(f, -EFBIG);
            break;
        }
        if (n + avail > cap) {
            cap = MAX(cap * 2, n + avail);
            data = xrealloc(data, cap);
        }
        memcpy(data + n, f->buf + f->buf_index, avail);
        qemu_file_skip(f, avail);
        n += avail;
    }
    *len = n;
    return data;
}

/* --- Accounting ------------------------------------------------------ */

uint64_t qemu_file_transferred(const QEMUFile *f)
{
    return f->transferred;
}

void qemu_file_set_rate_limit(QEMUFile *f, uint64_t bytes_per_window)
{
    f->rate_limit_max = bytes_per_window;
}

uint64_t qemu_file_get_rate_limit(const QEMUFile *f)
{
    return f->rate_limit_max;
}

bool qemu_file_rate_limit(QEMUFile *f)
{
    if (f->last_error) {
        return true;   /* stop sending: the stream is dead */
    }
    return f->rate_limit_max && f->rate_limit_used >= f->rate_limit_max;
}

void qemu_file_reset_rate_limit(QEMUFile *f)
{
    f->rate_limit_used = 0;
}

uint32_t qemu_file_get_checksum(const QEMUFile *f)
{
    return f->crc;
}

void qemu_file_reset_checksum(QEMUFile *f)
{
    f->crc = 0;
}

int qemu_fclose(QEMUFile *f)
{
    qemu_fflush(f);
    int ret = f->last_error;
    if (f->ops->close) {
        int r = f->ops->close(f->opaque);
        if (!ret) {
            ret = r;
        }
    }
    free(f);
    return ret;
}
