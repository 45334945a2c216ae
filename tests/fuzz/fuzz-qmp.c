/*
 * libFuzzer target for the QMP input path: bytes go to a QMP monitor
 * exactly as a chardev would deliver them (in chunks whose sizes come
 * from the input), with replies collected in memory.  Every reply must
 * be one line of valid JSON that is a greeting-free response: a dict
 * with "return" or "error" (or an event).
 *
 * The monitor starts negotiated half of the time (first input byte), so
 * the commands past qmp_capabilities are reached.  Commands that would
 * end the process or act on the VM (quit, stop, cont, system_*) run
 * against runstate only: requests are recorded, never carried out.
 *
 * Build and run (not part of `make check`; Debian's clang-14 with
 * libclang-rt-14-dev), from the top of the tree after `make`:
 *   clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude \
 *       $(pkg-config --cflags liburcu-bp) \
 *       -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined \
 *       tests/fuzz/fuzz-qmp.c $(ls util/[a-z]*.c qom/[a-z]*.c memory/[a-z]*.c system/[a-z]*.c \
 *       chardev/[a-z]*.c hw/core/[a-z]*.c monitor/[a-z]*.c | grep -v system/main.c) \
 *       $(pkg-config --libs liburcu-bp) -lm -lrt -pthread \
 *       $(pkg-config --cflags --libs capstone) -DCONFIG_CAPSTONE \
 *       -o build/fuzz-qmp
 *   mkdir -p build/fuzz-corpus-qmp
 *   build/fuzz-qmp -max_total_time=60 -max_len=4096 \
 *       -artifact_prefix=build/ build/fuzz-corpus-qmp tests/fuzz/corpus-qmp
 */
#include "util/qobject.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "../../monitor/monitor-internal.h"

static void check_replies(const StrBuf *out)
{
    const char *p = out->str ? out->str : "";

    while (*p) {
        const char *nl = strstr(p, "\r\n");
        Error *err = NULL;
        QObject *msg;

        if (!nl) {
            fprintf(stderr, "reply without CR LF: %s\n", p);
            abort();
        }
        msg = qobject_from_json_len(p, nl - p, &err);
        if (!msg || qobject_type(msg) != QTYPE_QDICT ||
            !(qdict_haskey(msg, "return") || qdict_haskey(msg, "error") ||
              qdict_haskey(msg, "event"))) {
            fprintf(stderr, "bad reply: %.*s\n", (int)(nl - p), p);
            abort();
        }
        qobject_unref(msg);
        p = nl + 2;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bool initialised;
    StrBuf out;
    Monitor *mon;
    size_t pos = 1;

    if (!initialised) {
        main_loop_init();
        bql_lock();
        initialised = true;
    }
    if (size < 1) {
        return 0;
    }
    runstate_init();
    strbuf_init(&out);
    mon = monitor_new_detached(true, &out);
    mon->negotiated = data[0] & 1;
    while (pos < size) {
        /* Chunk sizes from the input exercise every split point. */
        size_t chunk = 1 + (data[pos - 1] % 64);

        chunk = MIN(chunk, size - pos);
        monitor_qmp_feed(mon, data + pos, chunk);
        pos += chunk;
    }
    json_message_parser_flush(mon->parser);
    check_replies(&out);
    monitor_destroy(mon);
    strbuf_free(&out);
    return 0;
}
