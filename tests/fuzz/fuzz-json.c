/*
 * libFuzzer target for util/json.c.
 *
 * For each input:
 *  - qobject_from_json_len(): on success, the compact and the pretty
 *    output must parse back to an equal value, and writing that again must
 *    give the same text (the writer is a fixed point);
 *  - the streaming splitter, fed all at once and fed in chunks whose sizes
 *    come from the input, must report the same sequence of values and
 *    errors, and every value must survive the same round trip.
 *
 * Build and run (not part of `make check`; Debian's clang-14 with
 * libclang-rt-14-dev), from the top of the tree:
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude \
 *       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *       tests/fuzz/fuzz-json.c util/json.c util/qobject.c util/cutils.c \
 *       util/error.c -lm -o build/fuzz-json
 *   mkdir -p build/fuzz-corpus-json
 *   build/fuzz-json -max_total_time=60 -max_len=4096 \
 *       -artifact_prefix=build/ build/fuzz-corpus-json tests/fuzz/corpus-json
 * New inputs go to the first directory; the seeds in tests/fuzz/corpus-json
 * are only read.
 */
#include "util/qobject.h"

static void check_round_trip(const QObject *obj)
{
    char *compact = qobject_to_json(obj);
    char *pretty = qobject_to_json_pretty(obj);
    Error *err = NULL;

    QObject *again = qobject_from_json(compact, &err);
    if (!again || !qobject_is_equal(obj, again)) {
        fprintf(stderr, "compact output did not round-trip: %s\n%s\n",
                compact, err ? error_get_pretty(err) : "(values differ)");
        abort();
    }
    char *compact2 = qobject_to_json(again);
    if (strcmp(compact, compact2) != 0) {
        fprintf(stderr, "writer not stable:\n%s\n%s\n", compact, compact2);
        abort();
    }
    qobject_unref(again);

    again = qobject_from_json(pretty, &err);
    if (!again || !qobject_is_equal(obj, again)) {
        fprintf(stderr, "pretty output did not round-trip: %s\n%s\n",
                pretty, err ? error_get_pretty(err) : "(values differ)");
        abort();
    }
    qobject_unref(again);
    free(compact);
    free(compact2);
    free(pretty);
}

/* What the splitter reported, one line per callback. */
static void record(void *opaque, QObject *value, Error *err)
{
    StrBuf *log = opaque;
    if ((value == NULL) == (err == NULL)) {
        fprintf(stderr, "callback needs exactly one of value and error\n");
        abort();
    }
    if (value) {
        check_round_trip(value);
        char *s = qobject_to_json(value);
        strbuf_printf(log, "V %s\n", s);
        free(s);
        qobject_unref(value);
    } else {
        strbuf_printf(log, "E %s\n", error_get_pretty(err));
        error_free(err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    Error *err = NULL;

    QObject *obj = qobject_from_json_len(text, size, &err);
    if (obj) {
        check_round_trip(obj);
        qobject_unref(obj);
    } else if (!err) {
        fprintf(stderr, "parse failed without an error\n");
        abort();
    } else {
        error_free(err);
    }

    StrBuf whole, chunked;
    strbuf_init(&whole);
    strbuf_init(&chunked);

    JSONMessageParser *p = json_message_parser_new(record, &whole);
    json_message_parser_feed(p, text, size);
    json_message_parser_flush(p);
    json_message_parser_free(p);

    p = json_message_parser_new(record, &chunked);
    size_t pos = 0, step = 0;
    while (pos < size) {
        /* Chunk sizes 1..8 chosen by the input's own bytes. */
        size_t n = (data[step++ % size] & 7) + 1;
        n = MIN(n, size - pos);
        json_message_parser_feed(p, text + pos, n);
        pos += n;
    }
    json_message_parser_flush(p);
    json_message_parser_free(p);

    if (strcmp(whole.str, chunked.str) != 0) {
        fprintf(stderr, "chunking changed the result:\n%s---\n%s", whole.str,
                chunked.str);
        abort();
    }
    strbuf_free(&whole);
    strbuf_free(&chunked);
    return 0;
}
