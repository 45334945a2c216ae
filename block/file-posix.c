/*
 * The "file" protocol: an image file (or block device) on the host.
 *
 * Image locking follows QEMU's scheme byte for byte, so Osprey and QEMU
 * processes exclude each other: for each permission bit i a node holds a
 * shared OFD lock on byte 100+i when it has the permission and on byte
 * 200+i when it does not let others have it.  A conflict is another open
 * file description holding the byte we would need to be free.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "block/block.h"
#include "block/block_int.h"

#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <linux/fs.h>
#include <linux/falloc.h>

#define RAW_LOCK_PERM_BASE   100
#define RAW_LOCK_SHARED_BASE 200

enum {
    BLK_PERM_CONSISTENT_READ = 0x01,
    BLK_PERM_WRITE           = 0x02,
    BLK_PERM_WRITE_UNCHANGED = 0x04,
    BLK_PERM_RESIZE          = 0x08,
    BLK_PERM_ALL             = 0x0f,
};

static const char *const perm_names[] = {
    "consistent read", "write", "write unchanged", "resize",
};

/* O_DIRECT needs buffers, offsets and lengths aligned to this. */
#define DIRECT_ALIGN 4096

typedef struct BDRVRawState {
    int fd;
    bool direct;
    bool is_block_device;
    bool locked;
} BDRVRawState;

static int lock_byte(int fd, int64_t start, bool lock)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = start,
        .l_len = 1,
        .l_type = lock ? F_RDLCK : F_UNLCK,
    };
    return fcntl(fd, F_OFD_SETLK, &fl) == -1 ? -errno : 0;
}

/* True when another open file description holds a lock on the byte. */
static bool byte_is_locked_by_other(int fd, int64_t start)
{
    struct flock fl = {
        .l_whence = SEEK_SET,
        .l_start = start,
        .l_len = 1,
        .l_type = F_WRLCK,
    };
    if (fcntl(fd, F_OFD_GETLK, &fl) == -1) {
        return false;
    }
    return fl.l_type != F_UNLCK;
}

static void raw_unlock(BDRVRawState *s)
{
    for (int i = 0; i < 4; i++) {
        lock_byte(s->fd, RAW_LOCK_PERM_BASE + i, false);
        lock_byte(s->fd, RAW_LOCK_SHARED_BASE + i, false);
    }
    s->locked = false;
}

static int raw_lock(BlockDriverState *bs, BDRVRawState *s, Error **errp)
{
    int perm = BLK_PERM_CONSISTENT_READ;
    int shared = BLK_PERM_CONSISTENT_READ | BLK_PERM_WRITE_UNCHANGED;
    if (!bs->read_only) {
        perm |= BLK_PERM_WRITE | BLK_PERM_WRITE_UNCHANGED | BLK_PERM_RESIZE;
    }
    for (int i = 0; i < 4; i++) {
        int bit = 1 << i;
        int ret = 0;
        if (perm & bit) {
            ret = lock_byte(s->fd, RAW_LOCK_PERM_BASE + i, true);
        }
        if (!ret && !(shared & bit)) {
            ret = lock_byte(s->fd, RAW_LOCK_SHARED_BASE + i, true);
        }
        if (ret == -EINVAL || ret == -ENOSYS || ret == -EOPNOTSUPP) {
            /* The filesystem has no OFD locks: run unlocked, as QEMU. */
            raw_unlock(s);
            return 0;
        }
        if (ret) {
            raw_unlock(s);
            error_setg_errno(errp, -ret, "Failed to lock byte %d", 100 + i);
            return ret;
        }
    }
    s->locked = true;
    for (int i = 0; i < 4; i++) {
        int bit = 1 << i;
        if ((perm & bit) &&
            byte_is_locked_by_other(s->fd, RAW_LOCK_SHARED_BASE + i)) {
            raw_unlock(s);
            error_setg(errp, "Failed to get \"%s\" lock\n"
                       "Is another process using the image [%s]?",
                       perm_names[i], bs->filename);
            return -EAGAIN;
        }
        if (!(shared & bit) &&
            byte_is_locked_by_other(s->fd, RAW_LOCK_PERM_BASE + i)) {
            raw_unlock(s);
            error_setg(errp, "Failed to get shared \"%s\" lock\n"
                       "Is another process using the image [%s]?",
                       perm_names[i], bs->filename);
            return -EAGAIN;
        }
    }
    return 0;
}

static int raw_open(BlockDriverState *bs, int flags, Error **errp)
{
    BDRVRawState *s = bs->opaque;
    int oflags = O_CLOEXEC | (bs->read_only ? O_RDONLY : O_RDWR);
    struct stat st;

    if (flags & BDRV_O_NOCACHE) {
        oflags |= O_DIRECT;
    }
    s->fd = open(bs->filename, oflags);
    if (s->fd < 0 && errno == EINVAL && (oflags & O_DIRECT)) {
        error_setg(errp, "filesystem does not support O_DIRECT "
                   "(cache=none)");
        return -EINVAL;
    }
    if (s->fd < 0) {
        int err = errno;
        error_setg(errp, "%s", strerror(err));
        return -err;
    }
    s->direct = oflags & O_DIRECT;
    if (fstat(s->fd, &st) == 0) {
        if (S_ISDIR(st.st_mode)) {
            error_setg(errp, "Is a directory");
            close(s->fd);
            return -EISDIR;
        }
        s->is_block_device = S_ISBLK(st.st_mode);
    }
    if (!(flags & BDRV_O_FORCE_SHARE)) {
        int ret = raw_lock(bs, s, errp);
        if (ret < 0) {
            close(s->fd);
            return ret;
        }
    }
    return 0;
}

static void raw_close(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    if (s->fd >= 0) {
        if (s->locked) {
            raw_unlock(s);
        }
        close(s->fd);
        s->fd = -1;
    }
}

static int64_t raw_getlength(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    if (s->is_block_device) {
        uint64_t size;
        if (ioctl(s->fd, BLKGETSIZE64, &size) < 0) {
            return -errno;
        }
        return size;
    }
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return st.st_size;
}

/* Plain pread/pwrite loops; reads past the end of file return zeroes. */
static int do_pread(int fd, uint64_t offset, uint64_t bytes, uint8_t *buf)
{
    while (bytes) {
        ssize_t n = pread(fd, buf, bytes, offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            memset(buf, 0, bytes);
            return 0;
        }
        buf += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

static int do_pwrite(int fd, uint64_t offset, uint64_t bytes,
                     const uint8_t *buf)
{
    while (bytes) {
        ssize_t n = pwrite(fd, buf, bytes, offset);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            return -errno;
        }
        if (n == 0) {
            return -EIO;
        }
        buf += n;
        offset += n;
        bytes -= n;
    }
    return 0;
}

/*
 * O_DIRECT: go through an aligned bounce buffer covering the request.
 * Reads beyond EOF in the last block come back as zeroes from do_pread.
 */
static int direct_rw(BDRVRawState *s, uint64_t offset, uint64_t bytes,
                     void *rbuf, const void *wbuf)
{
    uint64_t start = ALIGN_DOWN(offset, DIRECT_ALIGN);
    uint64_t end = ALIGN_UP(offset + bytes, DIRECT_ALIGN);
    uint8_t *bounce;
    int ret;

    if (posix_memalign((void **)&bounce, DIRECT_ALIGN, end - start)) {
        return -ENOMEM;
    }
    if (rbuf || start != offset || end != offset + bytes) {
        ret = do_pread(s->fd, start, end - start, bounce);
        if (ret < 0) {
            goto out;
        }
    }
    if (rbuf) {
        memcpy(rbuf, bounce + (offset - start), bytes);
        ret = 0;
        goto out;
    }
    memcpy(bounce + (offset - start), wbuf, bytes);
    struct stat st;
    off_t old_len = fstat(s->fd, &st) == 0 ? st.st_size : 0;
    ret = do_pwrite(s->fd, start, end - start, bounce);
    if (ret == 0 && !s->is_block_device && (uint64_t)old_len < end) {
        /* Do not grow the file by the alignment padding. */
        off_t want = MAX((uint64_t)old_len, offset + bytes);
        if (ftruncate(s->fd, want) < 0) {
            ret = -errno;
        }
    }
out:
    free(bounce);
    return ret;
}

static int raw_pread(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                     void *buf)
{
    BDRVRawState *s = bs->opaque;
    if (s->direct) {
        return direct_rw(s, offset, bytes, buf, NULL);
    }
    return do_pread(s->fd, offset, bytes, buf);
}

static int raw_pwrite(BlockDriverState *bs, uint64_t offset, uint64_t bytes,
                      const void *buf)
{
    BDRVRawState *s = bs->opaque;
    if (s->direct) {
        return direct_rw(s, offset, bytes, NULL, buf);
    }
    return do_pwrite(s->fd, offset, bytes, buf);
}

static int raw_flush(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    if (fdatasync(s->fd) < 0) {
        return -errno;
    }
    return 0;
}

static int raw_pdiscard(BlockDriverState *bs, uint64_t offset, uint64_t bytes)
{
    BDRVRawState *s = bs->opaque;
    if (fallocate(s->fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE,
                  offset, bytes) < 0) {
        /* Discard is a hint: not supporting it is not an error. */
        if (errno == EOPNOTSUPP || errno == ENOSYS) {
            return 0;
        }
        return -errno;
    }
    return 0;
}

static int raw_pwrite_zeroes(BlockDriverState *bs, uint64_t offset,
                             uint64_t bytes)
{
    BDRVRawState *s = bs->opaque;
    if (!s->is_block_device &&
        fallocate(s->fd, FALLOC_FL_ZERO_RANGE, offset, bytes) == 0) {
        return 0;
    }
    uint64_t chunk = MIN(bytes, 1 * MiB);
    uint8_t *zero = xzalloc(chunk);
    int ret = 0;
    while (bytes && ret == 0) {
        uint64_t n = MIN(bytes, chunk);
        ret = raw_pwrite(bs, offset, n, zero);
        offset += n;
        bytes -= n;
    }
    free(zero);
    return ret;
}

static int raw_truncate(BlockDriverState *bs, uint64_t size, bool shrink,
                        Error **errp)
{
    BDRVRawState *s = bs->opaque;
    int64_t cur = raw_getlength(bs);
    if (s->is_block_device) {
        if (cur >= 0 && (uint64_t)cur < size) {
            error_setg(errp, "Cannot grow device files");
            return -EINVAL;
        }
        return 0;
    }
    if (cur >= 0 && size < (uint64_t)cur && !shrink) {
        error_setg(errp, "Use the --shrink option to perform a shrink "
                   "operation.");
        return -EINVAL;
    }
    if (ftruncate(s->fd, size) < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Failed to resize '%s'", bs->filename);
        return -err;
    }
    return 0;
}

static int64_t raw_get_allocated_file_size(BlockDriverState *bs)
{
    BDRVRawState *s = bs->opaque;
    struct stat st;
    if (fstat(s->fd, &st) < 0) {
        return -errno;
    }
    return (int64_t)st.st_blocks * 512;
}

/* Data vs holes with SEEK_DATA/SEEK_HOLE, as QEMU's find_allocation. */
static int raw_block_status(BlockDriverState *bs, uint64_t offset,
                            uint64_t bytes, uint64_t *pnum, uint64_t *map,
                            BlockDriverState **file)
{
    BDRVRawState *s = bs->opaque;
    *map = offset;
    *file = bs;
    *pnum = bytes;
    off_t data = lseek(s->fd, offset, SEEK_DATA);
    if (data < 0) {
        /* ENXIO: offset is in a hole that runs to EOF. */
        return errno == ENXIO ? BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID
                              : BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
    }
    if ((uint64_t)data > offset) {
        *pnum = MIN(bytes, (uint64_t)data - offset);
        return BDRV_BLOCK_ZERO | BDRV_BLOCK_OFFSET_VALID;
    }
    off_t hole = lseek(s->fd, offset, SEEK_HOLE);
    if (hole > 0 && (uint64_t)hole > offset) {
        *pnum = MIN(bytes, (uint64_t)hole - offset);
    }
    return BDRV_BLOCK_DATA | BDRV_BLOCK_OFFSET_VALID;
}

static int raw_create_file(const char *filename, const BlockCreateOptions *o,
                           Error **errp)
{
    int fd = open(filename, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Could not create '%s'", filename);
        return -err;
    }
    if (ftruncate(fd, o->size) < 0) {
        int err = errno;
        error_setg_errno(errp, err, "Could not resize file '%s'", filename);
        close(fd);
        return -err;
    }
    close(fd);
    return 0;
}

const BlockDriver bdrv_file = {
    .format_name = "file",
    .instance_size = sizeof(BDRVRawState),
    .is_protocol = true,
    .bdrv_open = raw_open,
    .bdrv_close = raw_close,
    .bdrv_pread = raw_pread,
    .bdrv_pwrite = raw_pwrite,
    .bdrv_flush = raw_flush,
    .bdrv_pdiscard = raw_pdiscard,
    .bdrv_pwrite_zeroes = raw_pwrite_zeroes,
    .bdrv_truncate = raw_truncate,
    .bdrv_getlength = raw_getlength,
    .bdrv_get_allocated_file_size = raw_get_allocated_file_size,
    .bdrv_block_status = raw_block_status,
    .bdrv_create = raw_create_file,
};

static void __attribute__((constructor)) file_posix_register(void)
{
    bdrv_register(&bdrv_file);
}
