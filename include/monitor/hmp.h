/*
 * HMP, the human monitor: a table of commands, each with an argument
 * spec in QEMU's mini-language, a help line and a handler that formats
 * what the QMP-level C functions return.
 *
 * args_type: comma-separated "name:type", type one of
 *   s   a word (or a "quoted string")       S  the rest of the line
 *   o   a size in bytes with a k/M/G/T suffix (no suffix: MiB, as QEMU)
 *   l   an expression (numbers, + - * / % & | ^ << >> ~ ( ), $reg)
 *   /   a format "/[count][x|d|u|o|c|i][b|h|w|g]" (keys count, format,
 *       size)
 *   -X  a flag -X (bool); consecutive flags may come in any order
 * with "?" after the type for an optional argument.  Handlers read
 * their arguments from a dict: strings, ints and bools.
 */
#ifndef MONITOR_HMP_H
#define MONITOR_HMP_H

#include "monitor/monitor.h"

typedef struct HMPCommand {
    const char *name;        /* "cont|c": aliases after '|' */
    const char *args_type;
    const char *params;      /* for help: "[-f] [-o]" */
    const char *help;
    void (*cmd)(Monitor *mon, const QObject *args);
} HMPCommand;

/* Add a command (or, with info, an "info" subcommand); cmd must stay. */
void hmp_register_command(const HMPCommand *cmd, bool info);

/* Print "Error: <message>" and free err (no-op for NULL). */
void hmp_handle_error(Monitor *mon, Error *err);

/*
 * Evaluate an HMP expression (as `print` does) for mon's CPU; tests use
 * it directly.  On error returns false with the message in *errp.
 */
bool hmp_eval_expr(Monitor *mon, const char *expr, int64_t *value,
                   Error **errp);

/* HMP prompt. */
#define HMP_PROMPT "(osprey) "

#endif
