/*
 * libFuzzer target for util/qemu-option.c: any option string must parse or
 * fail cleanly, and a parsed QemuOpts written back with
 * qemu_opts_to_string() must parse to the same options.
 *
 * Build and run as tests/fuzz/fuzz-json.c, with this file and
 * util/qemu-option.c added to the sources and -o build/fuzz-qemu-option.
 */
#include "util/qemu-option.h"

static QemuOptsList any_opts = {
    .name = "any",
    .implied_opt_name = "driver",
    .desc = { { NULL } },
};

static QemuOptsList typed_opts = {
    .name = "typed",
    .implied_opt_name = "backend",
    .desc = {
        { .name = "backend", .type = QEMU_OPT_STRING },
        { .name = "path", .type = QEMU_OPT_STRING },
        { .name = "server", .type = QEMU_OPT_BOOL },
        { .name = "port", .type = QEMU_OPT_NUMBER },
        { .name = "size", .type = QEMU_OPT_SIZE },
        { NULL }
    },
};

static void check_reparse(QemuOptsList *list, QemuOpts *opts)
{
    Error *err = NULL;
    QObject *before = qemu_opts_to_qdict(opts, NULL);
    char *text = qemu_opts_to_string(opts);

    qemu_opts_reset(list);
    QemuOpts *again = qemu_opts_parse(list, text, false, &err);
    if (!again) {
        fprintf(stderr, "'%s' did not parse back: %s\n", text,
                error_get_pretty(err));
        abort();
    }
    QObject *after = qemu_opts_to_qdict(again, NULL);
    if (!qobject_is_equal(before, after)) {
        fprintf(stderr, "'%s' parsed back differently\n", text);
        abort();
    }
    qobject_unref(before);
    qobject_unref(after);
    free(text);
    qemu_opts_reset(list);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *params = xstrndup((const char *)data, size);
    QemuOptsList *lists[] = { &any_opts, &typed_opts };
    Error *err = NULL;

    QObject *dict = keyval_parse(params, "driver", &err);
    assert((dict == NULL) == (err != NULL));
    qobject_unref(dict);
    error_free(err);

    for (size_t i = 0; i < ARRAY_SIZE(lists); i++) {
        err = NULL;
        QemuOpts *opts = qemu_opts_parse(lists[i], params, true, &err);
        assert((opts == NULL) == (err != NULL));
        if (opts) {
            check_reparse(lists[i], opts);
        } else {
            error_free(err);
        }
        qemu_opts_reset(lists[i]);
    }
    free(params);
    return 0;
}
