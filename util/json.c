/*
 * JSON for QObjects: a parser (RFC 8259 plus QEMU's single-quoted strings),
 * a writer in QEMU's output format, and the streaming splitter QMP uses to
 * cut a byte stream into messages.
 *
 * Input is untrusted (it arrives on monitor sockets), so the parser limits
 * nesting depth and token sizes, checks UTF-8, and reports every problem as
 * "JSON parse error at offset N: reason" instead of crashing.
 *
 * Strings use QEMU's "modified UTF-8": U+0000 is stored as the two bytes
 * C0 80 so that a QString stays a C string, and the writer turns C0 80
 * back into \u0000.
 */
#include <math.h>
#include "util/qobject.h"

/* Bounds for hostile input; QEMU uses the same sizes for its streamer. */
#define JSON_MAX_MESSAGE_SIZE   (64 * MiB)
#define JSON_MAX_TOKEN_COUNT    (2 * 1024 * 1024)
/* Longer than any number a sane peer sends; keeps strtod() cheap. */
#define JSON_MAX_NUMBER_LEN     1024

/* ---------------------------------------------------------------------- */
/* UTF-8 */

/*
 * Decode one code point from s (at most n bytes).  Returns the code point
 * and sets *used, or -1 for an invalid sequence (overlong forms other than
 * C0 80, surrogates, values past U+10FFFF, truncation), with *used the
 * number of bytes to skip.
 */
static int utf8_decode(const unsigned char *s, size_t n, size_t *used)
{
    unsigned char c = s[0];
    int len, cp, min;

    *used = 1;
    if (c < 0x80) {
        return c;
    }
    if (c == 0xC0 && n >= 2 && s[1] == 0x80) {
        *used = 2;
        return 0;   /* modified UTF-8 NUL */
    }
    if (c >= 0xC2 && c <= 0xDF) {
        len = 2, cp = c & 0x1F, min = 0x80;
    } else if (c >= 0xE0 && c <= 0xEF) {
        len = 3, cp = c & 0x0F, min = 0x800;
    } else if (c >= 0xF0 && c <= 0xF4) {
        len = 4, cp = c & 0x07, min = 0x10000;
    } else {
        return -1;
    }
    for (int i = 1; i < len; i++) {
        if ((size_t)i >= n || (s[i] & 0xC0) != 0x80) {
            *used = i;
            return -1;
        }
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    *used = len;
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        return -1;
    }
    return cp;
}

/* Append cp as (modified) UTF-8. */
static void utf8_encode(StrBuf *sb, unsigned cp)
{
    char b[4];
    if (cp == 0) {
        strbuf_append_len(sb, "\xC0\x80", 2);
    } else if (cp < 0x80) {
        strbuf_putc(sb, (char)cp);
    } else if (cp < 0x800) {
        b[0] = 0xC0 | (cp >> 6);
        b[1] = 0x80 | (cp & 0x3F);
        strbuf_append_len(sb, b, 2);
    } else if (cp < 0x10000) {
        b[0] = 0xE0 | (cp >> 12);
        b[1] = 0x80 | ((cp >> 6) & 0x3F);
        b[2] = 0x80 | (cp & 0x3F);
        strbuf_append_len(sb, b, 3);
    } else {
        b[0] = 0xF0 | (cp >> 18);
        b[1] = 0x80 | ((cp >> 12) & 0x3F);
        b[2] = 0x80 | ((cp >> 6) & 0x3F);
        b[3] = 0x80 | (cp & 0x3F);
        strbuf_append_len(sb, b, 4);
    }
}

/* ---------------------------------------------------------------------- */
/* Parser: recursive descent over a complete buffer. */

typedef struct JSONParser {
    const char *buf;
    size_t len;
    size_t pos;
    int depth;
    Error **errp;
} JSONParser;

static void PRINTF_FMT(3, 4) COLD
parse_error(JSONParser *p, size_t offset, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *reason = xvasprintf(fmt, ap);
    va_end(ap);
    error_setg(p->errp, "JSON parse error at offset %zu: %s", offset, reason);
    free(reason);
}

/* Describe the byte at pos for an error message. */
static const char *describe_byte(JSONParser *p, size_t pos, char *buf,
                                 size_t size)
{
    if (pos >= p->len) {
        return "end of input";
    }
    unsigned char c = p->buf[pos];
    if (c > 0x20 && c < 0x7F) {
        snprintf(buf, size, "'%c'", c);
    } else {
        snprintf(buf, size, "byte 0x%02x", c);
    }
    return buf;
}

static void skip_whitespace(JSONParser *p)
{
    while (p->pos < p->len) {
        char c = p->buf[p->pos];
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
            break;
        }
        p->pos++;
    }
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/* Read the four hex digits after "\u" at pos; -1 if malformed. */
static int read_hex4(JSONParser *p, size_t pos)
{
    int v = 0;
    if (p->len - pos < 4) {
        return -1;
    }
    for (int i = 0; i < 4; i++) {
        int h = hex_value(p->buf[pos + i]);
        if (h < 0) {
            return -1;
        }
        v = (v << 4) | h;
    }
    return v;
}

static QObject *parse_string(JSONParser *p)
{
    size_t start = p->pos;
    char quote = p->buf[p->pos++];
    StrBuf sb;

    strbuf_init(&sb);
    for (;;) {
        if (p->pos >= p->len) {
            parse_error(p, start, "unterminated string");
            goto fail;
        }
        if (p->pos - start > JSON_MAX_MESSAGE_SIZE) {
            parse_error(p, start, "string longer than %llu bytes",
                        (unsigned long long)JSON_MAX_MESSAGE_SIZE);
            goto fail;
        }
        unsigned char c = p->buf[p->pos];
        if (c == quote) {
            p->pos++;
            break;
        }
        if (c < 0x20) {
            parse_error(p, p->pos, "control character 0x%02x in string "
                        "(write it as \\u%04X)", c, c);
            goto fail;
        }
        if (c >= 0x80) {
            size_t used;
            if (utf8_decode((const unsigned char *)p->buf + p->pos,
                            p->len - p->pos, &used) < 0) {
                parse_error(p, p->pos, "invalid UTF-8 sequence in string");
                goto fail;
            }
            strbuf_append_len(&sb, p->buf + p->pos, used);
            p->pos += used;
            continue;
        }
        if (c != '\\') {
            strbuf_putc(&sb, c);
            p->pos++;
            continue;
        }

        size_t esc = p->pos++;
        if (p->pos >= p->len) {
            parse_error(p, start, "unterminated string");
            goto fail;
        }
        c = p->buf[p->pos++];
        switch (c) {
        case '"':  strbuf_putc(&sb, '"'); break;
        case '\'': strbuf_putc(&sb, '\''); break;   /* QEMU extension */
        case '\\': strbuf_putc(&sb, '\\'); break;
        case '/':  strbuf_putc(&sb, '/'); break;
        case 'b':  strbuf_putc(&sb, '\b'); break;
        case 'f':  strbuf_putc(&sb, '\f'); break;
        case 'n':  strbuf_putc(&sb, '\n'); break;
        case 'r':  strbuf_putc(&sb, '\r'); break;
        case 't':  strbuf_putc(&sb, '\t'); break;
        case 'u': {
            int cp = read_hex4(p, p->pos);
            if (cp < 0) {
                parse_error(p, esc, "\\u must be followed by four hex digits");
                goto fail;
            }
            p->pos += 4;
            if (cp >= 0xDC00 && cp <= 0xDFFF) {
                parse_error(p, esc, "\\u%04X is a trailing surrogate "
                            "without a leading one", cp);
                goto fail;
            }
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                int low = -1;
                if (p->len - p->pos >= 6 && p->buf[p->pos] == '\\' &&
                    p->buf[p->pos + 1] == 'u') {
                    low = read_hex4(p, p->pos + 2);
                }
                if (low < 0xDC00 || low > 0xDFFF) {
                    parse_error(p, esc, "\\u%04X must be followed by a "
                                "\\uDC00-\\uDFFF trailing surrogate", cp);
                    goto fail;
                }
                p->pos += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
            }
            utf8_encode(&sb, cp);
            break;
        }
        default: {
            char what[16];
            parse_error(p, esc, "invalid escape '\\' followed by %s",
                        describe_byte(p, p->pos - 1, what, sizeof(what)));
            goto fail;
        }
        }
    }
    size_t len = sb.len;
    return qstring_from_owned(strbuf_steal(&sb), len);

fail:
    strbuf_free(&sb);
    return NULL;
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_word_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           is_digit(c) || c == '_' || c == '.' || c == '+' || c == '-';
}

static QObject *parse_number(JSONParser *p)
{
    size_t start = p->pos, pos = p->pos;
    bool is_float = false;
    char text[JSON_MAX_NUMBER_LEN + 1];

    if (pos < p->len && p->buf[pos] == '-') {
        pos++;
    }
    if (pos >= p->len || !is_digit(p->buf[pos])) {
        goto invalid;
    }
    if (p->buf[pos] == '0') {
        pos++;
    } else {
        while (pos < p->len && is_digit(p->buf[pos])) {
            pos++;
        }
    }
    if (pos < p->len && p->buf[pos] == '.') {
        is_float = true;
        pos++;
        if (pos >= p->len || !is_digit(p->buf[pos])) {
            goto invalid;
        }
        while (pos < p->len && is_digit(p->buf[pos])) {
            pos++;
        }
    }
    if (pos < p->len && (p->buf[pos] == 'e' || p->buf[pos] == 'E')) {
        is_float = true;
        pos++;
        if (pos < p->len && (p->buf[pos] == '+' || p->buf[pos] == '-')) {
            pos++;
        }
        if (pos >= p->len || !is_digit(p->buf[pos])) {
            goto invalid;
        }
        while (pos < p->len && is_digit(p->buf[pos])) {
            pos++;
        }
    }
    /* "01", "1x", "1.5.3" are one bad token, not a number and garbage. */
    if (pos < p->len && is_word_char(p->buf[pos])) {
        goto invalid;
    }
    if (pos - start > JSON_MAX_NUMBER_LEN) {
        parse_error(p, start, "number longer than %d characters",
                    JSON_MAX_NUMBER_LEN);
        return NULL;
    }
    memcpy(text, p->buf + start, pos - start);
    text[pos - start] = '\0';
    p->pos = pos;

    /* Integers: int64 if it fits, else uint64, else a double, as QEMU. */
    if (!is_float) {
        char *end;
        errno = 0;
        long long i = strtoll(text, &end, 10);
        if (errno != ERANGE) {
            return qnum_from_int(i);
        }
        if (text[0] != '-') {
            errno = 0;
            unsigned long long u = strtoull(text, &end, 10);
            if (errno != ERANGE) {
                return qnum_from_uint(u);
            }
        }
    }
    double d = strtod(text, NULL);
    if (!isfinite(d)) {
        parse_error(p, start, "number %s is out of range", text);
        return NULL;
    }
    return qnum_from_double(d);

invalid:
    while (pos < p->len && is_word_char(p->buf[pos]) &&
           pos - start < 32) {
        pos++;
    }
    parse_error(p, start, "invalid number '%.*s'", (int)(pos - start),
                p->buf + start);
    return NULL;
}

static QObject *parse_literal(JSONParser *p)
{
    size_t start = p->pos, pos = p->pos;
    static const char *const words[] = { "true", "false", "null" };

    while (pos < p->len && is_word_char(p->buf[pos])) {
        pos++;
    }
    size_t n = pos - start;
    for (size_t i = 0; i < ARRAY_SIZE(words); i++) {
        if (n == strlen(words[i]) && !memcmp(p->buf + start, words[i], n)) {
            p->pos = pos;
            return i == 2 ? qnull() : qbool_from_bool(i == 0);
        }
    }
    parse_error(p, start, "invalid literal '%.*s'%s", (int)MIN(n, 32),
                p->buf + start, n > 32 ? "..." : "");
    return NULL;
}

static QObject *parse_value(JSONParser *p);

static bool enter_container(JSONParser *p)
{
    if (++p->depth > QOBJECT_JSON_MAX_NESTING) {
        parse_error(p, p->pos, "nesting deeper than %d levels",
                    QOBJECT_JSON_MAX_NESTING);
        return false;
    }
    p->pos++;   /* the '{' or '[' */
    return true;
}

static QObject *parse_object(JSONParser *p)
{
    char what[16];
    QObject *dict;

    if (!enter_container(p)) {
        return NULL;
    }
    dict = qdict_new();
    skip_whitespace(p);
    if (p->pos < p->len && p->buf[p->pos] == '}') {
        p->pos++;
        goto out;
    }
    for (;;) {
        skip_whitespace(p);
        if (p->pos >= p->len ||
            (p->buf[p->pos] != '"' && p->buf[p->pos] != '\'')) {
            parse_error(p, p->pos, "expected string as object key, got %s",
                        describe_byte(p, p->pos, what, sizeof(what)));
            goto fail;
        }
        size_t key_pos = p->pos;
        QObject *key = parse_string(p);
        if (!key) {
            goto fail;
        }
        skip_whitespace(p);
        if (p->pos >= p->len || p->buf[p->pos] != ':') {
            parse_error(p, p->pos, "expected ':' after object key, got %s",
                        describe_byte(p, p->pos, what, sizeof(what)));
            qobject_unref(key);
            goto fail;
        }
        p->pos++;
        /* As QEMU: a duplicate key is an error, not "last one wins". */
        if (qdict_haskey(dict, qstring_get_str(key))) {
            parse_error(p, key_pos, "duplicate key '%s' in object",
                        qstring_get_str(key));
            qobject_unref(key);
            goto fail;
        }
        QObject *value = parse_value(p);
        if (!value) {
            qobject_unref(key);
            goto fail;
        }
        qdict_put(dict, qstring_get_str(key), value);
        qobject_unref(key);
        skip_whitespace(p);
        if (p->pos < p->len && p->buf[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->buf[p->pos] == '}') {
            p->pos++;
            break;
        }
        parse_error(p, p->pos, "expected ',' or '}' in object, got %s",
                    describe_byte(p, p->pos, what, sizeof(what)));
        goto fail;
    }
out:
    p->depth--;
    return dict;
fail:
    qobject_unref(dict);
    return NULL;
}

static QObject *parse_array(JSONParser *p)
{
    char what[16];
    QObject *list;

    if (!enter_container(p)) {
        return NULL;
    }
    list = qlist_new();
    skip_whitespace(p);
    if (p->pos < p->len && p->buf[p->pos] == ']') {
        p->pos++;
        goto out;
    }
    for (;;) {
        QObject *value = parse_value(p);
        if (!value) {
            goto fail;
        }
        qlist_append(list, value);
        skip_whitespace(p);
        if (p->pos < p->len && p->buf[p->pos] == ',') {
            p->pos++;
            continue;
        }
        if (p->pos < p->len && p->buf[p->pos] == ']') {
            p->pos++;
            break;
        }
        parse_error(p, p->pos, "expected ',' or ']' in array, got %s",
                    describe_byte(p, p->pos, what, sizeof(what)));
        goto fail;
    }
out:
    p->depth--;
    return list;
fail:
    qobject_unref(list);
    return NULL;
}

static QObject *parse_value(JSONParser *p)
{
    char what[16];

    skip_whitespace(p);
    if (p->pos >= p->len) {
        parse_error(p, p->pos, "expected a value, got end of input");
        return NULL;
    }
    char c = p->buf[p->pos];
    switch (c) {
    case '{':
        return parse_object(p);
    case '[':
        return parse_array(p);
    case '"':
    case '\'':
        return parse_string(p);
    case '-':
    case '0' ... '9':
        return parse_number(p);
    case 'a' ... 'z':
    case 'A' ... 'Z':
        return parse_literal(p);
    default:
        parse_error(p, p->pos, "expected a value, got %s",
                    describe_byte(p, p->pos, what, sizeof(what)));
        return NULL;
    }
}

QObject *qobject_from_json_len(const char *json, size_t len, Error **errp)
{
    JSONParser p = { .buf = json, .len = len, .errp = errp };
    char what[16];

    QObject *obj = parse_value(&p);
    if (!obj) {
        return NULL;
    }
    skip_whitespace(&p);
    if (p.pos < len) {
        parse_error(&p, p.pos, "unexpected %s after the value",
                    describe_byte(&p, p.pos, what, sizeof(what)));
        qobject_unref(obj);
        return NULL;
    }
    return obj;
}

QObject *qobject_from_json(const char *json, Error **errp)
{
    return qobject_from_json_len(json, strlen(json), errp);
}

/* ---------------------------------------------------------------------- */
/* Writer, in QEMU's format: ", " and ": " separators, non-ASCII as \uXXXX. */

static void write_string(StrBuf *sb, const char *str, size_t len)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;

    strbuf_putc(sb, '"');
    while (i < len) {
        size_t used;
        int cp = utf8_decode(s + i, len - i, &used);
        i += used;
        switch (cp) {
        case '"':  strbuf_append(sb, "\\\""); break;
        case '\\': strbuf_append(sb, "\\\\"); break;
        case '\b': strbuf_append(sb, "\\b"); break;
        case '\f': strbuf_append(sb, "\\f"); break;
        case '\n': strbuf_append(sb, "\\n"); break;
        case '\r': strbuf_append(sb, "\\r"); break;
        case '\t': strbuf_append(sb, "\\t"); break;
        default:
            if (cp < 0) {
                cp = 0xFFFD;    /* replacement character, as QEMU */
            }
            if (cp > 0xFFFF) {
                strbuf_printf(sb, "\\u%04X\\u%04X",
                              0xD800 + ((cp - 0x10000) >> 10),
                              0xDC00 + ((cp - 0x10000) & 0x3FF));
            } else if (cp < 0x20 || cp >= 0x7F) {
                strbuf_printf(sb, "\\u%04X", cp);
            } else {
                strbuf_putc(sb, (char)cp);
            }
        }
    }
    strbuf_putc(sb, '"');
}

/*
 * Shortest form that reads back as the same double, with ".0" added to
 * integral values so that the value re-parses as a double, not an integer
 * (QEMU prints %.17g, which turns 0.1 into 0.10000000000000001 and 1.0
 * into 1).  JSON has no Inf/NaN: those are written as null.
 */
static void write_double(StrBuf *sb, double d)
{
    char buf[40];

    if (!isfinite(d)) {
        strbuf_append(sb, "null");
        return;
    }
    for (int prec = 15; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*g", prec, d);
        if (strtod(buf, NULL) == d) {
            break;
        }
    }
    strbuf_append(sb, buf);
    if (!strpbrk(buf, ".eE")) {
        strbuf_append(sb, ".0");
    }
}

static void write_newline(StrBuf *sb, int indent)
{
    strbuf_putc(sb, '\n');
    for (int i = 0; i < indent; i++) {
        strbuf_append(sb, "    ");
    }
}

static void write_value(StrBuf *sb, const QObject *obj, bool pretty,
                        int indent)
{
    switch (qobject_type(obj)) {
    case QTYPE_QNULL:
        strbuf_append(sb, "null");
        break;
    case QTYPE_QBOOL:
        strbuf_append(sb, qbool_get_bool(obj) ? "true" : "false");
        break;
    case QTYPE_QNUM: {
        int64_t i;
        uint64_t u;
        if (qnum_get_try_int(obj, &i)) {
            strbuf_printf(sb, "%" PRId64, i);
        } else if (qnum_get_try_uint(obj, &u)) {
            strbuf_printf(sb, "%" PRIu64, u);
        } else {
            write_double(sb, qnum_get_double(obj));
        }
        break;
    }
    case QTYPE_QSTRING:
        write_string(sb, qstring_get_str(obj), qstring_get_length(obj));
        break;
    case QTYPE_QDICT: {
        const QDictEntry *e;
        strbuf_putc(sb, '{');
        for (e = qdict_first(obj); e; e = qdict_next(obj, e)) {
            if (e != qdict_first(obj)) {
                strbuf_append(sb, pretty ? "," : ", ");
            }
            if (pretty) {
                write_newline(sb, indent + 1);
            }
            write_string(sb, qdict_entry_key(e), strlen(qdict_entry_key(e)));
            strbuf_append(sb, ": ");
            write_value(sb, qdict_entry_value(e), pretty, indent + 1);
        }
        if (pretty) {
            write_newline(sb, indent);   /* even when empty, as QEMU */
        }
        strbuf_putc(sb, '}');
        break;
    }
    case QTYPE_QLIST: {
        size_t n = qlist_size(obj);
        strbuf_putc(sb, '[');
        for (size_t i = 0; i < n; i++) {
            if (i) {
                strbuf_append(sb, pretty ? "," : ", ");
            }
            if (pretty) {
                write_newline(sb, indent + 1);
            }
            write_value(sb, qlist_get(obj, i), pretty, indent + 1);
        }
        if (pretty) {
            write_newline(sb, indent);
        }
        strbuf_putc(sb, ']');
        break;
    }
    }
}

char *qobject_to_json(const QObject *obj)
{
    StrBuf sb;
    strbuf_init(&sb);
    write_value(&sb, obj, false, 0);
    return strbuf_steal(&sb);
}

char *qobject_to_json_pretty(const QObject *obj)
{
    StrBuf sb;
    strbuf_init(&sb);
    write_value(&sb, obj, true, 0);
    return strbuf_steal(&sb);
}

/* ---------------------------------------------------------------------- */
/*
 * Streaming splitter.  It does not parse: it follows just enough of the
 * lexical structure (strings, escapes, bracket depth, bare words) to find
 * where each top-level value ends, then hands the bytes of that value to
 * qobject_from_json_len().  Bytes that can never be valid JSON outside a
 * string are reported at once, so garbage does not pile up until the size
 * limit.  After such an error, input is skipped up to the next newline or
 * '{' (a client resynchronises by starting a new line or a new command).
 * A 0xFF byte, which never occurs in UTF-8, abandons any partial message
 * without skipping further: QMP clients send it to reset the parser.
 */
struct JSONMessageParser {
    JSONMessageFunc *func;
    void *opaque;
    StrBuf buf;             /* bytes of the message in progress */
    int depth;              /* open '{' and '[' */
    size_t tokens;
    char quote;             /* inside a string: its quote, else 0 */
    bool escape;            /* inside a string, just after '\' */
    bool in_word;           /* inside a number or literal */
    bool recovering;        /* skipping input after an error */
};

JSONMessageParser *json_message_parser_new(JSONMessageFunc *func,
                                           void *opaque)
{
    JSONMessageParser *p = xnew(JSONMessageParser);
    p->func = func;
    p->opaque = opaque;
    strbuf_init(&p->buf);
    return p;
}

void json_message_parser_free(JSONMessageParser *p)
{
    if (p) {
        strbuf_free(&p->buf);
        free(p);
    }
}

static void splitter_reset(JSONMessageParser *p)
{
    p->buf.len = 0;
    p->buf.str[0] = '\0';
    p->depth = 0;
    p->tokens = 0;
    p->quote = 0;
    p->escape = false;
    p->in_word = false;
}

/* Report an error found by the splitter; the message so far is dropped. */
static void PRINTF_FMT(3, 4) COLD
splitter_error(JSONMessageParser *p, bool recover, const char *fmt, ...)
{
    Error *err = NULL;
    va_list ap;
    va_start(ap, fmt);
    char *reason = xvasprintf(fmt, ap);
    va_end(ap);
    error_setg(&err, "JSON parse error at offset %zu: %s", p->buf.len,
               reason);
    free(reason);
    splitter_reset(p);
    p->recovering = recover;
    p->func(p->opaque, NULL, err);
}

/* A whole top-level value is in buf: parse it and pass it on. */
static void splitter_emit(JSONMessageParser *p)
{
    Error *err = NULL;
    QObject *obj = qobject_from_json_len(p->buf.str, p->buf.len, &err);
    /* A bad bare word at top level is garbage: skip the rest of it. */
    bool was_word = p->in_word;
    splitter_reset(p);
    if (!obj && was_word) {
        p->recovering = true;
    }
    p->func(p->opaque, obj, err);
}

static bool is_space(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_word_byte(unsigned char c)
{
    return is_word_char((char)c);
}

static void splitter_byte(JSONMessageParser *p, unsigned char c)
{
    if (c == 0xFF) {
        bool partial = p->buf.len > 0;
        p->recovering = false;
        if (partial) {
            splitter_error(p, false, "message abandoned by a 0xFF byte");
        }
        return;
    }
    if (p->recovering) {
        if (c == '\n') {
            p->recovering = false;
            return;
        }
        if (c != '{') {
            return;
        }
        p->recovering = false;
    }
    if (p->buf.len >= JSON_MAX_MESSAGE_SIZE) {
        splitter_error(p, true, "message longer than %llu bytes",
                       (unsigned long long)JSON_MAX_MESSAGE_SIZE);
        return;
    }

    if (p->quote) {
        if (c < 0x20) {
            splitter_error(p, true, "control character 0x%02x in string", c);
            return;
        }
        strbuf_putc(&p->buf, c);
        if (p->escape) {
            p->escape = false;
        } else if (c == '\\') {
            p->escape = true;
        } else if (c == (unsigned char)p->quote) {
            p->quote = 0;
            if (p->depth == 0) {
                splitter_emit(p);
            }
        }
        return;
    }

    if (p->in_word) {
        if (is_word_byte(c)) {
            strbuf_putc(&p->buf, c);
            return;
        }
        /* The word ended; at top level that ends the message. */
        if (p->depth == 0) {
            splitter_emit(p);
            if (p->recovering) {
                splitter_byte(p, c);   /* c may end the recovery */
                return;
            }
        } else {
            p->in_word = false;
        }
    }

    if (is_space(c)) {
        if (p->buf.len) {
            strbuf_putc(&p->buf, c);
        }
        return;
    }
    if (++p->tokens > JSON_MAX_TOKEN_COUNT) {
        splitter_error(p, true, "message has more than %d tokens",
                       JSON_MAX_TOKEN_COUNT);
        return;
    }
    switch (c) {
    case '"':
    case '\'':
        p->quote = c;
        break;
    case '{':
    case '[':
        if (++p->depth > QOBJECT_JSON_MAX_NESTING) {
            splitter_error(p, true, "nesting deeper than %d levels",
                           QOBJECT_JSON_MAX_NESTING);
            return;
        }
        break;
    case '}':
    case ']':
        if (p->depth == 0) {
            splitter_error(p, false, "unexpected '%c'", c);
            return;
        }
        strbuf_putc(&p->buf, c);
        if (--p->depth == 0) {
            splitter_emit(p);
        }
        return;
    case ',':
    case ':':
        if (p->depth == 0) {
            splitter_error(p, false, "unexpected '%c'", c);
            return;
        }
        break;
    default:
        if (is_word_byte(c)) {
            p->in_word = true;
            break;
        }
        if (c > 0x20 && c < 0x7F) {
            splitter_error(p, true, "unexpected character '%c'", c);
        } else {
            splitter_error(p, true, "unexpected byte 0x%02x", c);
        }
        return;
    }
    strbuf_putc(&p->buf, c);
}

void json_message_parser_feed(JSONMessageParser *p, const char *buf,
                              size_t len)
{
    for (size_t i = 0; i < len; i++) {
        splitter_byte(p, (unsigned char)buf[i]);
    }
}

void json_message_parser_flush(JSONMessageParser *p)
{
    if (p->in_word && p->depth == 0) {
        splitter_emit(p);
    } else if (p->buf.len) {
        splitter_error(p, false, "incomplete message at end of input");
    }
    p->recovering = false;
}
