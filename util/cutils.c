/*
 * Allocation, string and number-parsing helpers.
 */
#include "util/osdep.h"

static void NORETURN COLD out_of_memory(size_t size)
{
    fprintf(stderr, "osprey: out of memory allocating %zu bytes\n", size);
    abort();
}

void *xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        out_of_memory(size);
    }
    return p;
}

void *xzalloc(size_t size)
{
    return xcalloc(1, size);
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        out_of_memory(n * size);
    }
    return p;
}

void *xrealloc(void *ptr, size_t size)
{
    void *p = realloc(ptr, size ? size : 1);
    if (!p) {
        out_of_memory(size);
    }
    return p;
}

char *xstrdup(const char *s)
{
    return s ? xstrndup(s, strlen(s)) : NULL;
}

char *xstrndup(const char *s, size_t n)
{
    size_t len = strnlen(s, n);
    char *p = xmalloc(len + 1);
    memcpy(p, s, len);
    p[len] = '\0';
    return p;
}

char *xvasprintf(const char *fmt, va_list ap)
{
    char *p;
    if (vasprintf(&p, fmt, ap) < 0) {
        out_of_memory(strlen(fmt));
    }
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *p = xvasprintf(fmt, ap);
    va_end(ap);
    return p;
}

bool strstart(const char *str, const char *prefix, const char **rest)
{
    size_t n = strlen(prefix);
    if (strncmp(str, prefix, n) != 0) {
        return false;
    }
    if (rest) {
        *rest = str + n;
    }
    return true;
}

int parse_uint64(const char *str, uint64_t *result)
{
    char *end;
    if (!str || !*str || *str == '-') {
        return -EINVAL;
    }
    while (*str == ' ') {
        str++;
    }
    if (*str == '-' || *str == '+') {
        return -EINVAL;
    }
    errno = 0;
    unsigned long long v = strtoull(str, &end, 0);
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (end == str || *end) {
        return -EINVAL;
    }
    *result = v;
    return 0;
}

int parse_int64(const char *str, int64_t *result)
{
    char *end;
    if (!str || !*str) {
        return -EINVAL;
    }
    errno = 0;
    long long v = strtoll(str, &end, 0);
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (end == str || *end) {
        return -EINVAL;
    }
    *result = v;
    return 0;
}

int parse_bool(const char *str, bool *result)
{
    static const char *const yes[] = { "on", "yes", "true", "y" };
    static const char *const no[] = { "off", "no", "false", "n" };
    for (size_t i = 0; i < ARRAY_SIZE(yes); i++) {
        if (!strcmp(str, yes[i])) {
            *result = true;
            return 0;
        }
        if (!strcmp(str, no[i])) {
            *result = false;
            return 0;
        }
    }
    return -EINVAL;
}

int parse_size(const char *str, char default_suffix, uint64_t *result)
{
    char *end;
    if (!str || !*str || *str == '-') {
        return -EINVAL;
    }
    errno = 0;
    unsigned long long v = strtoull(str, &end, 0);
    if (errno == ERANGE) {
        return -ERANGE;
    }
    if (end == str) {
        return -EINVAL;
    }
    /* Allow a fractional part ("1.5G") as QEMU does. */
    double frac = 0;
    if (*end == '.') {
        char *fend;
        frac = strtod(end, &fend);
        end = fend;
    }
    char suffix = *end ? *end : default_suffix;
    if (*end && end[1] && !(end[2] == '\0' && (end[1] == 'B' || end[1] == 'b'))) {
        return -EINVAL;
    }
    unsigned shift;
    switch (suffix) {
    case '\0': case 'b': case 'B': shift = 0; break;
    case 'k': case 'K': shift = 10; break;
    case 'm': case 'M': shift = 20; break;
    case 'g': case 'G': shift = 30; break;
    case 't': case 'T': shift = 40; break;
    case 'p': case 'P': shift = 50; break;
    case 'e': case 'E': shift = 60; break;
    default: return -EINVAL;
    }
    if (shift == 0 && frac != 0) {
        return -EINVAL;
    }
    if (shift && (v >> (64 - shift))) {
        return -ERANGE;
    }
    uint64_t r = (uint64_t)v << shift;
    if (frac != 0) {
        double extra = frac * (double)(1ULL << shift);
        if ((double)UINT64_MAX - (double)r < extra) {
            return -ERANGE;
        }
        r += (uint64_t)extra;
    }
    *result = r;
    return 0;
}

void strbuf_init(StrBuf *sb)
{
    sb->cap = 64;
    sb->len = 0;
    sb->str = xmalloc(sb->cap);
    sb->str[0] = '\0';
}

static void strbuf_reserve(StrBuf *sb, size_t extra)
{
    if (!sb->str) {
        strbuf_init(sb);
    }
    if (sb->len + extra + 1 > sb->cap) {
        while (sb->len + extra + 1 > sb->cap) {
            sb->cap *= 2;
        }
        sb->str = xrealloc(sb->str, sb->cap);
    }
}

void strbuf_append_len(StrBuf *sb, const char *s, size_t n)
{
    strbuf_reserve(sb, n);
    memcpy(sb->str + sb->len, s, n);
    sb->len += n;
    sb->str[sb->len] = '\0';
}

void strbuf_append(StrBuf *sb, const char *s)
{
    strbuf_append_len(sb, s, strlen(s));
}

void strbuf_putc(StrBuf *sb, char c)
{
    strbuf_append_len(sb, &c, 1);
}

void strbuf_vprintf(StrBuf *sb, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    char probe;
    int n = vsnprintf(&probe, 1, fmt, ap2);
    va_end(ap2);
    if (n < 0) {
        return;
    }
    strbuf_reserve(sb, n);
    vsnprintf(sb->str + sb->len, n + 1, fmt, ap);
    sb->len += n;
}

void strbuf_printf(StrBuf *sb, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    strbuf_vprintf(sb, fmt, ap);
    va_end(ap);
}

char *strbuf_steal(StrBuf *sb)
{
    if (!sb->str) {
        strbuf_init(sb);
    }
    char *s = sb->str;
    sb->str = NULL;
    sb->len = sb->cap = 0;
    return s;
}

void strbuf_free(StrBuf *sb)
{
    free(sb->str);
    sb->str = NULL;
    sb->len = sb->cap = 0;
}
