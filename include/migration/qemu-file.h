/*
 * QEMUFile: a buffered byte stream for migration and snapshots.
 *
 * A QEMUFile reads or writes (never both) over an abstract channel given
 * as a pair of callbacks; implementations are provided for a file
 * descriptor (socket, pipe, regular file), an in-memory buffer, and any
 * caller-supplied positioned read/write pair (qcow2's vmstate area).
 *
 * Errors latch: the first error set on a file sticks and every later
 * operation is a no-op (puts are dropped, gets return zeros), so callers
 * may do a run of qemu_get_* calls and check qemu_file_get_error() once.
 * Reading past the end of the stream sets -EIO; it never crashes.
 *
 * Multi-byte values are big-endian, as in QEMU's stream format.
 *
 * The file keeps a running CRC32 of every byte written, or every byte
 * consumed (peeked bytes count once they are skipped or read), from its
 * creation or the last qemu_file_reset_checksum(); savevm puts it in the
 * stream's footer.
 */
#ifndef MIGRATION_QEMU_FILE_H
#define MIGRATION_QEMU_FILE_H

#include "util/osdep.h"
#include "util/error.h"

typedef struct QEMUFile QEMUFile;

/*
 * The channel under a QEMUFile.  `pos` is the channel offset of the first
 * byte (the count of bytes moved so far); stream channels may ignore it.
 *   get_buffer: fill up to size bytes; return the count (0 at end of
 *               stream) or a negative errno.
 *   put_buffer: write all size bytes; return size or a negative errno.
 *   close:      release the channel; return 0 or a negative errno.
 * Only the callbacks for the file's direction are needed.
 */
typedef struct QEMUFileOps {
    ssize_t (*get_buffer)(void *opaque, uint8_t *buf, int64_t pos,
                          size_t size);
    ssize_t (*put_buffer)(void *opaque, const uint8_t *buf, int64_t pos,
                          size_t size);
    int (*close)(void *opaque);
} QEMUFileOps;

QEMUFile *qemu_file_new_input(const QEMUFileOps *ops, void *opaque);
QEMUFile *qemu_file_new_output(const QEMUFileOps *ops, void *opaque);

/* Over a file descriptor; the fd is closed by qemu_fclose when own_fd. */
QEMUFile *qemu_file_new_fd_input(int fd, bool own_fd);
QEMUFile *qemu_file_new_fd_output(int fd, bool own_fd);

/*
 * Reading an in-memory buffer; the data is borrowed and must outlive the
 * file.
 */
QEMUFile *qemu_file_new_buffer_input(const void *data, size_t len);
/* Writing into a growing in-memory buffer; see qemu_file_buffer_data. */
QEMUFile *qemu_file_new_buffer_output(void);
/*
 * The bytes written so far to a buffer output file (flushed first).
 * The pointer stays owned by the file and valid until the next write or
 * qemu_fclose; NULL for any other kind of file.
 */
const uint8_t *qemu_file_buffer_data(QEMUFile *f, size_t *len);

/* Flush, close the channel, free.  Returns the latched error or 0. */
int qemu_fclose(QEMUFile *f);
/* Write out buffered bytes (output files). */
void qemu_fflush(QEMUFile *f);

bool qemu_file_is_writable(const QEMUFile *f);

/* Error latching. */
int qemu_file_get_error(const QEMUFile *f);   /* 0 or a negative errno */
void qemu_file_set_error(QEMUFile *f, int ret); /* first error sticks */
/* True when the latched error is a read past the end of the stream. */
bool qemu_file_hit_eof(const QEMUFile *f);
/* The latched error in words: "unexpected end of stream" or strerror. */
const char *qemu_file_error_string(const QEMUFile *f);

/* Writing. */
void qemu_put_byte(QEMUFile *f, int v);
void qemu_put_be16(QEMUFile *f, unsigned int v);
void qemu_put_be32(QEMUFile *f, unsigned int v);
void qemu_put_be64(QEMUFile *f, uint64_t v);
void qemu_put_buffer(QEMUFile *f, const uint8_t *buf, size_t size);
static inline void qemu_put_sbyte(QEMUFile *f, int v) { qemu_put_byte(f, v); }

/* Reading: past the end (or after an error) these return zeros. */
int qemu_get_byte(QEMUFile *f);               /* 0..255 */
unsigned int qemu_get_be16(QEMUFile *f);
unsigned int qemu_get_be32(QEMUFile *f);
uint64_t qemu_get_be64(QEMUFile *f);
/* Returns the count read; short (rest zeroed) at end of stream. */
size_t qemu_get_buffer(QEMUFile *f, uint8_t *buf, size_t size);
static inline int qemu_get_sbyte(QEMUFile *f)
{
    return (int8_t)qemu_get_byte(f);
}

/*
 * Look ahead without consuming: the byte `offset` bytes ahead (-1 at end
 * of stream), or up to size bytes from offset into *buf (a pointer into
 * the file's buffer, valid until the next read).  offset + size must be
 * below 16 KiB.  Peeking past the end is not an error.
 */
int qemu_peek_byte(QEMUFile *f, size_t offset);
size_t qemu_peek_buffer(QEMUFile *f, const uint8_t **buf, size_t size,
                        size_t offset);
/* Consume size bytes already peeked. */
void qemu_file_skip(QEMUFile *f, size_t size);

/*
 * Read every remaining byte of an input file into a new buffer (caller
 * frees).  Refuses (-EFBIG, latched) more than max bytes.  Reaching the
 * end is not an error here.
 */
uint8_t *qemu_file_read_to_end(QEMUFile *f, size_t max, size_t *len);

/* Bytes put or consumed since the file was created. */
uint64_t qemu_file_transferred(const QEMUFile *f);
/* Same, but counting bytes still buffered for output. */
static inline uint64_t qemu_ftell(const QEMUFile *f)
{
    return qemu_file_transferred(f);
}

/*
 * Rate limiting for live migration: a writer sends while
 * !qemu_file_rate_limit(f), and the caller resets the window every
 * period.  A limit of 0 means unlimited.
 */
void qemu_file_set_rate_limit(QEMUFile *f, uint64_t bytes_per_window);
uint64_t qemu_file_get_rate_limit(const QEMUFile *f);
bool qemu_file_rate_limit(QEMUFile *f);
void qemu_file_reset_rate_limit(QEMUFile *f);

/* The running CRC32 (zlib's polynomial) over bytes moved so far. */
uint32_t qemu_file_get_checksum(const QEMUFile *f);
void qemu_file_reset_checksum(QEMUFile *f);
/* CRC32 of a buffer, continuing from crc (start with 0). */
uint32_t osprey_crc32(uint32_t crc, const uint8_t *buf, size_t len);

#endif
