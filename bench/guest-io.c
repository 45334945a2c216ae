/*
 * Guest side of bench/blockio.py: time block I/O on a device with O_DIRECT
 * (so the guest's page cache does not hide the device), one request at a
 * time, timed inside the guest with clock_gettime.
 *
 *   guest-io MODE DEVICE BLOCK_BYTES TOTAL_BYTES [SPAN_BYTES]
 *
 * MODE is seqwrite, seqread, randwrite or randread.  Sequential modes
 * transfer TOTAL_BYTES from offset 0 in BLOCK_BYTES requests; random modes
 * do TOTAL_BYTES / BLOCK_BYTES requests at BLOCK_BYTES-aligned offsets
 * drawn uniformly from [0, SPAN_BYTES) (default: the first TOTAL_BYTES).
 * Prints one line:
 *
 *   GUEST-IO mode=randread bytes=... ops=... secs=... mbps=... iops=...
 *
 * Built static on the host (gcc -static -O2) and put into the guest's
 * initramfs by bench/blockio.py; a plain C program so it needs nothing
 * from the guest but the kernel.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64*: reproducible offsets without libc's rand() state. */
static uint64_t next_random(uint64_t *s)
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 2685821657736338717ULL;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;

    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v == 0) {
        return -1;
    }
    *out = v;
    return 0;
}

int main(int argc, char **argv)
{
    uint64_t block, total, span, seed = 0x9e3779b97f4a7c15ULL;
    int write_mode, random_mode;

    if (argc < 5 || argc > 6) {
        fprintf(stderr, "usage: %s seqwrite|seqread|randwrite|randread "
                "DEVICE BLOCK_BYTES TOTAL_BYTES [SPAN_BYTES]\n", argv[0]);
        return 2;
    }
    const char *mode = argv[1];
    if (!strcmp(mode, "seqwrite")) {
        write_mode = 1, random_mode = 0;
    } else if (!strcmp(mode, "seqread")) {
        write_mode = 0, random_mode = 0;
    } else if (!strcmp(mode, "randwrite")) {
        write_mode = 1, random_mode = 1;
    } else if (!strcmp(mode, "randread")) {
        write_mode = 0, random_mode = 1;
    } else {
        fprintf(stderr, "guest-io: unknown mode '%s'\n", mode);
        return 2;
    }
    if (parse_size(argv[3], &block) < 0 || block % 512 ||
        parse_size(argv[4], &total) < 0 || total % block) {
        fprintf(stderr, "guest-io: BLOCK_BYTES must be a multiple of 512 "
                "and TOTAL_BYTES a multiple of BLOCK_BYTES\n");
        return 2;
    }
    span = total;
    if (argc == 6 && (parse_size(argv[5], &span) < 0 || span < block)) {
        fprintf(stderr, "guest-io: SPAN_BYTES must be at least BLOCK_BYTES\n");
        return 2;
    }

    int fd = open(argv[2], (write_mode ? O_WRONLY : O_RDONLY) | O_DIRECT);
    if (fd < 0) {
        fprintf(stderr, "guest-io: %s: %s\n", argv[2], strerror(errno));
        return 1;
    }
    void *buf;
    if (posix_memalign(&buf, 4096, block)) {
        fprintf(stderr, "guest-io: out of memory\n");
        return 1;
    }
    /* Non-zero data, so a format cannot treat the writes as zero writes. */
    memset(buf, 0xa5, block);

    uint64_t ops = total / block, slots = span / block;
    double start = now();
    for (uint64_t i = 0; i < ops; i++) {
        uint64_t off = random_mode ? next_random(&seed) % slots * block
                                   : i * block;
        ssize_t n = write_mode ? pwrite(fd, buf, block, off)
                               : pread(fd, buf, block, off);
        if (n != (ssize_t)block) {
            fprintf(stderr, "guest-io: %s at %llu: %s\n", mode,
                    (unsigned long long)off,
                    n < 0 ? strerror(errno) : "short transfer");
            return 1;
        }
    }
    if (write_mode && fdatasync(fd) < 0) {
        fprintf(stderr, "guest-io: fdatasync: %s\n", strerror(errno));
        return 1;
    }
    double secs = now() - start;
    printf("GUEST-IO mode=%s bytes=%llu ops=%llu secs=%.4f mbps=%.2f "
           "iops=%.0f\n", mode, (unsigned long long)total,
           (unsigned long long)ops, secs, total / secs / 1e6, ops / secs);
    close(fd);
    free(buf);
    return 0;
}
