/*
 * Command-line option strings, as QEMU's: "value,key=val,key2=val2".
 *
 * Two layers, named as in QEMU:
 *
 *  - keyval_parse(): the plain syntax, to a QDict of strings.  Dotted keys
 *    build nested dicts ("a.b=1" gives {"a": {"b": "1"}}).
 *
 *  - QemuOpts: named groups of options (QemuOptsList, one per command-line
 *    flag such as -chardev or -drive) holding instances (QemuOpts, one per
 *    occurrence, optionally with an `id`), checked against a table of known
 *    options with types and defaults.
 *
 * Syntax shared by both:
 *  - elements are separated by ','; inside a value ",," stands for ','.
 *  - the first element may omit "key=": it then sets the implied key
 *    ("socket,id=c0" with implied key "backend" is backend=socket).
 *  - a repeated key: the last one wins.
 *  - QemuOpts only: a bare "flag" means flag=on and "noflag" flag=off, for
 *    options declared QEMU_OPT_BOOL (or any option of a list without a
 *    table, as QEMU does).
 *
 * Error messages follow QEMU's ("Invalid parameter 'foo'", "Parameter
 * 'server' expects 'on' or 'off'", "Duplicate ID 'c0' for chardev"); the
 * caller prepends the command-line context.
 */
#ifndef UTIL_QEMU_OPTION_H
#define UTIL_QEMU_OPTION_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/queue.h"
#include "util/qobject.h"

/*
 * Parse "key=val,..." into a new QDict of strings.  implied_key (or NULL)
 * names the key of a leading element without '='.
 */
QObject *keyval_parse(const char *params, const char *implied_key,
                      Error **errp);

/* True if id is a valid identifier: a letter, then letters, digits, -._ */
bool id_wellformed(const char *id);

typedef enum QemuOptType {
    QEMU_OPT_STRING = 0,    /* no parsing: any string */
    QEMU_OPT_BOOL,          /* on/off (also yes/no, true/false) */
    QEMU_OPT_NUMBER,        /* unsigned 64-bit, decimal or 0x hex */
    QEMU_OPT_SIZE,          /* unsigned 64-bit, with k/M/G/T/P/E suffix */
} QemuOptType;

typedef struct QemuOptDesc {
    const char *name;
    QemuOptType type;
    const char *help;
    const char *def_value_str;  /* default when unset, or NULL */
} QemuOptDesc;

typedef struct QemuOpt QemuOpt;
typedef struct QemuOpts QemuOpts;

typedef struct QemuOptsList {
    const char *name;               /* "chardev", "drive", ... */
    const char *implied_opt_name;   /* key of a leading bare value */
    /*
     * Options without an id share one QemuOpts (as -machine and -accel
     * repeated on one command line add to the same settings).
     */
    bool merge_lists;
    /* Created on first use; a zero-initialised list is ready to use. */
    QTAILQ_HEAD(, QemuOpts) head;
    /*
     * Known options, ended by an entry with a NULL name.  An empty table
     * accepts any option as a string (checked later by whoever uses it,
     * as -device checks against the device's properties).
     */
    QemuOptDesc desc[];
} QemuOptsList;

/*
 * Create an instance with the given id (NULL: none).  An existing id is an
 * error if fail_if_exists, otherwise that instance is returned.
 */
QemuOpts *qemu_opts_create(QemuOptsList *list, const char *id,
                           bool fail_if_exists, Error **errp);
/*
 * Parse params into a new instance of list.  permit_abbrev allows the
 * leading bare value for list->implied_opt_name.  On error nothing is
 * added to the list.
 */
QemuOpts *qemu_opts_parse(QemuOptsList *list, const char *params,
                          bool permit_abbrev, Error **errp);
/* As qemu_opts_parse, reporting the error with error_report_err(). */
QemuOpts *qemu_opts_parse_noisily(QemuOptsList *list, const char *params,
                                  bool permit_abbrev);
QemuOpts *qemu_opts_find(QemuOptsList *list, const char *id); /* NULL id ok */
void qemu_opts_del(QemuOpts *opts);
void qemu_opts_reset(QemuOptsList *list);       /* delete every instance */
const char *qemu_opts_id(const QemuOpts *opts);
QemuOptsList *qemu_opts_list(const QemuOpts *opts);

/* Set one option, checked against the list's table. */
bool qemu_opt_set(QemuOpts *opts, const char *name, const char *value,
                  Error **errp);
bool qemu_opt_set_bool(QemuOpts *opts, const char *name, bool value,
                       Error **errp);
bool qemu_opt_set_number(QemuOpts *opts, const char *name, uint64_t value,
                         Error **errp);
bool qemu_opt_unset(QemuOpts *opts, const char *name); /* false if unset */

/*
 * Getters.  When the option was not given, the table's def_value_str is
 * used if there is one, else defval (NULL for qemu_opt_get).  A value that
 * does not parse as the asked-for type also yields the default (values
 * checked by a table always parse).
 */
bool qemu_opt_is_set(const QemuOpts *opts, const char *name);
const char *qemu_opt_get(const QemuOpts *opts, const char *name);
bool qemu_opt_get_bool(const QemuOpts *opts, const char *name, bool defval);
uint64_t qemu_opt_get_number(const QemuOpts *opts, const char *name,
                             uint64_t defval);
uint64_t qemu_opt_get_size(const QemuOpts *opts, const char *name,
                           uint64_t defval);

/*
 * Iteration.  A nonzero return from func stops the loop and is returned.
 * qemu_opt_foreach visits options in the order first given.
 */
typedef int (*qemu_opt_loopfunc)(void *opaque, const char *name,
                                 const char *value, Error **errp);
int qemu_opt_foreach(QemuOpts *opts, qemu_opt_loopfunc func, void *opaque,
                     Error **errp);
typedef int (*qemu_opts_loopfunc)(void *opaque, QemuOpts *opts,
                                  Error **errp);
int qemu_opts_foreach(QemuOptsList *list, qemu_opts_loopfunc func,
                      void *opaque, Error **errp);

/*
 * Add opts (id as "id", every option as a string) to qdict, or to a new
 * QDict if qdict is NULL; returns the dict.
 */
QObject *qemu_opts_to_qdict(const QemuOpts *opts, QObject *qdict);
/* Back to "id=c0,path=/tmp/s,..." (",," escapes), for messages. */
char *qemu_opts_to_string(const QemuOpts *opts);

/*
 * The option groups known to the command line, by name (-readconfig and
 * the monitor find them here).  Registering the same name twice is a bug.
 */
void qemu_add_opts(QemuOptsList *list);
QemuOptsList *qemu_find_opts(const char *group);
/* As qemu_find_opts, with "There is no option group 'x'" on failure. */
QemuOptsList *qemu_find_opts_err(const char *group, Error **errp);

#endif
