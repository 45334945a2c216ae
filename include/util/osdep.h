/*
 * Common includes and small helpers used by every Osprey source file.
 */
#ifndef UTIL_OSDEP_H
#define UTIL_OSDEP_H

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define OSPREY_VERSION "0.1.0"

#ifndef container_of
#define container_of(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))
#endif
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))
#endif
#define ALIGN_DOWN(n, m) ((n) / (m) * (m))
#define ALIGN_UP(n, m) ALIGN_DOWN((n) + (m) - 1, (m))
#define DIV_ROUND_UP(n, d) (((n) + (d) - 1) / (d))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define COLD __attribute__((cold))
#define NORETURN __attribute__((noreturn))
#define PRINTF_FMT(a, b) __attribute__((format(printf, a, b)))
#define UNUSED __attribute__((unused))

#define KiB (1ULL << 10)
#define MiB (1ULL << 20)
#define GiB (1ULL << 30)

/*
 * Allocation: running out of host memory is not an error a caller can
 * recover from, so these abort with a message instead of returning NULL.
 */
void *xmalloc(size_t size);
void *xzalloc(size_t size);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *ptr, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...) PRINTF_FMT(1, 2);
char *xvasprintf(const char *fmt, va_list ap) PRINTF_FMT(1, 0);
#define xnew(type) ((type *)xzalloc(sizeof(type)))
#define xnew_array(type, n) ((type *)xcalloc((n), sizeof(type)))

/* String helpers. */
bool strstart(const char *str, const char *prefix, const char **rest);
/*
 * Parse a size with an optional suffix (k, M, G, T; binary units) as used by
 * -m and -o size=.  Returns 0 or -EINVAL / -ERANGE.  default_suffix applies
 * when none is given ('\0' for bytes, 'M' for -m).
 */
int parse_size(const char *str, char default_suffix, uint64_t *result);
/* Strict integer parsing: whole string, base 0 (0x, 0 prefixes). */
int parse_int64(const char *str, int64_t *result);
int parse_uint64(const char *str, uint64_t *result);
int parse_bool(const char *str, bool *result); /* on/off/yes/no/true/false */

/* A growable string buffer. */
typedef struct StrBuf {
    char *str;
    size_t len;
    size_t cap;
} StrBuf;
void strbuf_init(StrBuf *sb);
void strbuf_append(StrBuf *sb, const char *s);
void strbuf_append_len(StrBuf *sb, const char *s, size_t n);
void strbuf_printf(StrBuf *sb, const char *fmt, ...) PRINTF_FMT(2, 3);
void strbuf_vprintf(StrBuf *sb, const char *fmt, va_list ap) PRINTF_FMT(2, 0);
void strbuf_putc(StrBuf *sb, char c);
char *strbuf_steal(StrBuf *sb); /* returns the string, leaves sb empty */
void strbuf_free(StrBuf *sb);

#endif
