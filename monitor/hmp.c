/*
 * HMP: the command tables, QEMU's argument mini-language, expressions,
 * completion, and the readline-driven front end on a chardev.
 */
#include <ctype.h>
#include "monitor-internal.h"
#include "monitor/hmp.h"
#include "hw/core/cpu.h"

typedef struct HMPEntry {
    const HMPCommand *cmd;
    QTAILQ_ENTRY(HMPEntry) next;
} HMPEntry;
typedef QTAILQ_HEAD(HMPList, HMPEntry) HMPList;

static HMPList hmp_commands = QTAILQ_HEAD_INITIALIZER(hmp_commands);
static HMPList hmp_info_commands = QTAILQ_HEAD_INITIALIZER(hmp_info_commands);

void hmp_register_command(const HMPCommand *cmd, bool info)
{
    HMPEntry *e = xnew(HMPEntry);

    e->cmd = cmd;
    QTAILQ_INSERT_TAIL(info ? &hmp_info_commands : &hmp_commands, e, next);
}

void hmp_handle_error(Monitor *mon, Error *err)
{
    if (err) {
        monitor_printf(mon, "Error: %s\n", error_get_pretty(err));
        error_free(err);
    }
}

/* "cont|c" matches "cont" and "c". */
static bool compare_cmd(const char *name, const char *list)
{
    const char *p = list, *end;
    size_t len = strlen(name);

    for (;;) {
        end = strchr(p, '|');
        size_t l = end ? (size_t)(end - p) : strlen(p);
        if (l == len && !memcmp(p, name, len)) {
            return true;
        }
        if (!end) {
            return false;
        }
        p = end + 1;
    }
}

static const HMPCommand *find_cmd(HMPList *list, const char *name)
{
    HMPEntry *e;

    QTAILQ_FOREACH(e, list, next) {
        if (compare_cmd(name, e->cmd->name)) {
            return e->cmd;
        }
    }
    return NULL;
}

CPUState *monitor_get_cpu(Monitor *mon)
{
    CPUState *cpu = mon && mon->cpu_index >= 0 ?
                    qemu_get_cpu(mon->cpu_index) : NULL;

    return cpu ? cpu : first_cpu;
}

/* ---- expressions ---- */

typedef struct Expr {
    Monitor *mon;
    const char *p;
    Error *err;
} Expr;

static void expr_skip(Expr *e)
{
    while (*e->p == ' ' || *e->p == '\t') {
        e->p++;
    }
}

static bool expr_fail(Expr *e, const char *msg)
{
    if (!e->err) {
        error_setg(&e->err, "%s", msg);
    }
    return false;
}

static bool expr_or(Expr *e, int64_t *v);

static bool expr_register(Expr *e, int64_t *v)
{
    CPUState *cpu = monitor_get_cpu(e->mon);
    CPUClass *cc;
    char name[64];
    size_t n = 0;

    while (isalnum((unsigned char)*e->p) || *e->p == '_' || *e->p == '.') {
        if (n + 1 < sizeof(name)) {
            name[n++] = *e->p;
        }
        e->p++;
    }
    name[n] = '\0';
    if (!n) {
        return expr_fail(e, "register name expected");
    }
    cc = cpu ? CPU_GET_CLASS(cpu) : NULL;
    if (!cc || !cc->monitor_get_register ||
        !cc->monitor_get_register(cpu, name, v)) {
        return expr_fail(e, "unknown register");
    }
    return true;
}

static bool expr_unary(Expr *e, int64_t *v)
{
    expr_skip(e);
    switch (*e->p) {
    case '+':
        e->p++;
        return expr_unary(e, v);
    case '-':
        e->p++;
        if (!expr_unary(e, v)) {
            return false;
        }
        *v = -(uint64_t)*v;
        return true;
    case '~':
        e->p++;
        if (!expr_unary(e, v)) {
            return false;
        }
        *v = ~*v;
        return true;
    case '(':
        e->p++;
        if (!expr_or(e, v)) {
            return false;
        }
        expr_skip(e);
        if (*e->p != ')') {
            return expr_fail(e, "')' expected");
        }
        e->p++;
        return true;
    case '\'':
        /* A character constant, as QEMU: 'a' */
        if (!e->p[1] || e->p[2] != '\'') {
            return expr_fail(e, "character constant expected");
        }
        *v = (unsigned char)e->p[1];
        e->p += 3;
        return true;
    case '$':
        e->p++;
        return expr_register(e, v);
    case '\0':
        return expr_fail(e, "unexpected end of expression");
    default: {
        char *end;
        unsigned long long n;

        if (!isdigit((unsigned char)*e->p)) {
            return expr_fail(e, "invalid char in expression");
        }
        errno = 0;
        n = strtoull(e->p, &end, 0);
        if (errno == ERANGE) {
            return expr_fail(e, "number too large");
        }
        if (isalnum((unsigned char)*end) || *end == '_') {
            return expr_fail(e, "invalid char in expression");
        }
        e->p = end;
        *v = (int64_t)n;
        return true;
    }
    }
}

static bool expr_prod(Expr *e, int64_t *v)
{
    int64_t r;
    char op;

    if (!expr_unary(e, v)) {
        return false;
    }
    for (;;) {
        expr_skip(e);
        op = *e->p;
        if (op != '*' && op != '/' && op != '%') {
            return true;
        }
        e->p++;
        if (!expr_unary(e, &r)) {
            return false;
        }
        if (op == '*') {
            *v = (uint64_t)*v * (uint64_t)r;
        } else if (r == 0) {
            return expr_fail(e, "division by zero");
        } else if (r == -1) {
            /* INT64_MIN / -1 overflows in C; the answer wraps. */
            *v = op == '/' ? -(uint64_t)*v : 0;
        } else {
            *v = op == '/' ? *v / r : *v % r;
        }
    }
}

static bool expr_sum(Expr *e, int64_t *v)
{
    int64_t r;
    char op;

    if (!expr_prod(e, v)) {
        return false;
    }
    for (;;) {
        expr_skip(e);
        op = *e->p;
        if (op != '+' && op != '-') {
            return true;
        }
        e->p++;
        if (!expr_prod(e, &r)) {
            return false;
        }
        *v = op == '+' ? (uint64_t)*v + (uint64_t)r
                       : (uint64_t)*v - (uint64_t)r;
    }
}

static bool expr_shift(Expr *e, int64_t *v)
{
    int64_t r;
    bool left;

    if (!expr_sum(e, v)) {
        return false;
    }
    for (;;) {
        expr_skip(e);
        if ((e->p[0] != '<' && e->p[0] != '>') || e->p[1] != e->p[0]) {
            return true;
        }
        left = e->p[0] == '<';
        e->p += 2;
        if (!expr_sum(e, &r)) {
            return false;
        }
        /* Shifts of 64 or more (or negative) give 0, not C's UB. */
        if (r < 0 || r > 63) {
            *v = 0;
        } else {
            *v = left ? (int64_t)((uint64_t)*v << r)
                      : (int64_t)((uint64_t)*v >> r);
        }
    }
}

/*
 * One left-associative level of the bitwise operators: operands parsed by
 * `operand`, joined by `op`.  & binds tighter than ^, which binds tighter
 * than |, as in C.
 */
static bool expr_bitwise(Expr *e, int64_t *v, char op,
                         bool (*operand)(Expr *e, int64_t *v))
{
    int64_t r;

    if (!operand(e, v)) {
        return false;
    }
    for (;;) {
        expr_skip(e);
        if (*e->p != op) {
            return true;
        }
        e->p++;
        if (!operand(e, &r)) {
            return false;
        }
        *v = op == '&' ? (*v & r) : op == '^' ? (*v ^ r) : (*v | r);
    }
}

static bool expr_and(Expr *e, int64_t *v)
{
    return expr_bitwise(e, v, '&', expr_shift);
}

static bool expr_xor(Expr *e, int64_t *v)
{
    return expr_bitwise(e, v, '^', expr_and);
}

static bool expr_or(Expr *e, int64_t *v)
{
    return expr_bitwise(e, v, '|', expr_xor);
}

/* Parse an expression at *pp, leaving *pp after it. */
static bool get_expr(Monitor *mon, const char **pp, int64_t *v, Error **errp)
{
    Expr e = { .mon = mon, .p = *pp };

    if (!expr_or(&e, v)) {
        error_propagate(errp, e.err);
        return false;
    }
    *pp = e.p;
    return true;
}

bool hmp_eval_expr(Monitor *mon, const char *expr, int64_t *value,
                   Error **errp)
{
    const char *p = expr;

    if (!get_expr(mon, &p, value, errp)) {
        return false;
    }
    while (*p == ' ' || *p == '\t') {
        p++;
    }
    if (*p) {
        error_setg(errp, "invalid char in expression");
        return false;
    }
    return true;
}

/* ---- argument parsing ---- */

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n') {
        p++;
    }
    return p;
}

/* A word, or a "quoted string" with \" \\ \n escapes.  NULL at end. */
static char *get_word(const char **pp, Error **errp)
{
    const char *p = skip_ws(*pp);
    StrBuf sb;

    if (!*p) {
        return NULL;
    }
    strbuf_init(&sb);
    if (*p == '"') {
        p++;
        while (*p && *p != '"') {
            if (*p == '\\' && p[1]) {
                p++;
                strbuf_putc(&sb, *p == 'n' ? '\n' : *p);
            } else {
                strbuf_putc(&sb, *p);
            }
            p++;
        }
        if (*p != '"') {
            strbuf_free(&sb);
            error_setg(errp, "unterminated string literal");
            return NULL;
        }
        p++;
    } else {
        while (*p && *p != ' ' && *p != '\t') {
            strbuf_putc(&sb, *p++);
        }
    }
    *pp = p;
    return strbuf_steal(&sb);
}

typedef struct ArgSpec {
    char name[32];
    char type[8];
    bool optional;
} ArgSpec;

/* Next "name:type[?]" of an args_type string; false at the end. */
static bool next_arg_spec(const char **pp, ArgSpec *spec)
{
    const char *p = *pp, *colon, *end;
    size_t n;

    if (!*p) {
        return false;
    }
    end = strchr(p, ',');
    if (!end) {
        end = p + strlen(p);
    }
    colon = memchr(p, ':', end - p);
    assert(colon);
    n = MIN((size_t)(colon - p), sizeof(spec->name) - 1);
    memcpy(spec->name, p, n);
    spec->name[n] = '\0';
    n = MIN((size_t)(end - colon - 1), sizeof(spec->type) - 1);
    memcpy(spec->type, colon + 1, n);
    spec->type[n] = '\0';
    spec->optional = n > 0 && spec->type[n - 1] == '?';
    if (spec->optional) {
        spec->type[n - 1] = '\0';
    }
    *pp = *end ? end + 1 : end;
    return true;
}

static bool parse_format(Monitor *mon, const HMPCommand *cmd,
                         const char **pp, QObject *args)
{
    const char *p = skip_ws(*pp);
    int count = 1, format = -1, size = -1;

    if (*p == '/') {
        p++;
        if (isdigit((unsigned char)*p)) {
            count = 0;
            while (isdigit((unsigned char)*p)) {
                count = count * 10 + (*p++ - '0');
                if (count > 1000000) {
                    monitor_printf(mon, "%s: count too large\n", cmd->name);
                    return false;
                }
            }
        }
        for (;; p++) {
            switch (*p) {
            case 'o': case 'd': case 'u': case 'x': case 'i': case 'c':
                format = *p;
                continue;
            case 'b':
                size = 1;
                continue;
            case 'h':
                size = 2;
                continue;
            case 'w':
                size = 4;
                continue;
            case 'g':
            case 'L':
                size = 8;
                continue;
            }
            break;
        }
        if (*p && *p != ' ' && *p != '\t') {
            monitor_printf(mon, "invalid char in format: '%c'\n", *p);
            return false;
        }
        /* Sticky defaults, as QEMU's x/xp. */
        if (format < 0) {
            format = mon->last_format;
        }
        if (format != 'i') {
            if (size < 0) {
                size = format == 'c' ? 1 : mon->last_size;
            }
            mon->last_size = size;
        }
        mon->last_format = format;
    }
    qdict_put_int(args, "count", count);
    qdict_put_int(args, "format", format);
    qdict_put_int(args, "size", size);
    *pp = p;
    return true;
}

/*
 * Fill args from the text after the command name.  Errors are printed,
 * as QEMU does.
 */
/*
 * The next word for argument spec (a "what" is expected): 1 and *word
 * set, 0 when an optional argument is absent, -1 after telling the user.
 */
static int take_word(Monitor *mon, const HMPCommand *cmd,
                     const ArgSpec *spec, const char **pp, const char *what,
                     char **word)
{
    Error *err = NULL;

    if (!**pp) {
        if (spec->optional) {
            return 0;
        }
        monitor_printf(mon, "%s: %s expected\n", cmd->name, what);
        return -1;
    }
    *word = get_word(pp, &err);
    if (!*word) {
        monitor_printf(mon, "%s: %s\n", cmd->name, error_get_pretty(err));
        error_free(err);
        return -1;
    }
    return 1;
}

static bool parse_args(Monitor *mon, const HMPCommand *cmd, const char *p,
                       QObject *args)
{
    const char *spec_p = cmd->args_type;
    ArgSpec spec;
    Error *err = NULL;

    while (next_arg_spec(&spec_p, &spec)) {
        if (spec.type[0] == '-') {
            /* A run of flags: accept them in any order. */
            const char *group = spec_p;
            ArgSpec f;

            qdict_put_bool(args, spec.name, false);
            while (next_arg_spec(&group, &f) && f.type[0] == '-') {
                qdict_put_bool(args, f.name, false);
                spec_p = group;
            }
            for (;;) {
                const char *q = skip_ws(p);
                const char *g = cmd->args_type;
                bool found = false;

                if (q[0] != '-' || !q[1] || (q[2] && q[2] != ' ')) {
                    break;
                }
                while (next_arg_spec(&g, &f)) {
                    if (f.type[0] == '-' && f.type[1] == q[1]) {
                        qdict_put_bool(args, f.name, true);
                        found = true;
                    }
                }
                if (!found) {
                    monitor_printf(mon, "%s: unsupported option -%c\n",
                                   cmd->name, q[1]);
                    return false;
                }
                p = q + 2;
            }
            continue;
        }
        p = skip_ws(p);
        switch (spec.type[0]) {
        case '/':
            if (!parse_format(mon, cmd, &p, args)) {
                return false;
            }
            break;
        case 's': {
            char *word;
            int got = take_word(mon, cmd, &spec, &p, "string", &word);

            if (got <= 0) {
                if (got < 0) {
                    return false;
                }
                break;
            }
            qdict_put_str(args, spec.name, word);
            free(word);
            break;
        }
        case 'o': {
            char *word;
            uint64_t size;
            int got = take_word(mon, cmd, &spec, &p, "size", &word);

            if (got <= 0) {
                if (got < 0) {
                    return false;
                }
                break;
            }
            /* QEMU's qemu_strtosz_MiB: no suffix means MiB. */
            if (parse_size(word, 'M', &size) < 0 || size > INT64_MAX) {
                monitor_printf(mon, "invalid size\n");
                free(word);
                return false;
            }
            qdict_put_int(args, spec.name, (int64_t)size);
            free(word);
            break;
        }
        case 'S':
            if (!*p) {
                if (spec.optional) {
                    break;
                }
                monitor_printf(mon, "%s: %s expected\n", cmd->name,
                               "string");
                return false;
            }
            qdict_put_str(args, spec.name, p);
            p += strlen(p);
            break;
        case 'l':
        case 'i': {
            int64_t v;

            if (!*p) {
                if (spec.optional) {
                    break;
                }
                monitor_printf(mon, "%s: %s expected\n", cmd->name,
                               "integer");
                return false;
            }
            if (!get_expr(mon, &p, &v, &err)) {
                monitor_printf(mon, "%s\n", error_get_pretty(err));
                error_free(err);
                return false;
            }
            qdict_put_int(args, spec.name, v);
            break;
        }
        default:
            monitor_printf(mon, "%s: unknown type '%c'\n", cmd->name,
                           spec.type[0]);
            return false;
        }
    }
    p = skip_ws(p);
    if (*p) {
        monitor_printf(mon, "%s: extraneous characters at the end of line\n",
                       cmd->name);
        return false;
    }
    return true;
}

/* First word of *pp into buf (at most size-1 bytes); NULL if none. */
static const char *get_command_name(const char **pp, char *buf, size_t size)
{
    const char *p = skip_ws(*pp), *start = p;
    size_t n;

    /* "p/x 10": the format may follow the name without a space. */
    while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' &&
           *p != '/') {
        p++;
    }
    if (p == start) {
        return NULL;
    }
    n = MIN((size_t)(p - start), size - 1);
    memcpy(buf, start, n);
    buf[n] = '\0';
    *pp = p;
    return buf;
}

static void help_list(Monitor *mon, HMPList *list, const char *prefix,
                      const char *only)
{
    HMPEntry *e;

    QTAILQ_FOREACH(e, list, next) {
        if (only && !compare_cmd(only, e->cmd->name)) {
            continue;
        }
        monitor_printf(mon, "%s%s %s -- %s\n", prefix, e->cmd->name,
                       e->cmd->params, e->cmd->help);
    }
}

void hmp_help_cmd(Monitor *mon, const char *name);
void hmp_help_cmd(Monitor *mon, const char *name)
{
    if (!name) {
        help_list(mon, &hmp_commands, "", NULL);
    } else if (!strcmp(name, "info")) {
        help_list(mon, &hmp_info_commands, "info ", NULL);
    } else if (find_cmd(&hmp_commands, name)) {
        help_list(mon, &hmp_commands, "", name);
    } else {
        monitor_printf(mon, "unknown command: '%s'\n", name);
    }
}

void hmp_handle_command(Monitor *mon, const char *cmdline)
{
    const char *p = cmdline, *start;
    char name[256];
    const HMPCommand *cmd;
    QObject *args;
    Monitor *old;

    if (!get_command_name(&p, name, sizeof(name))) {
        return;
    }
    cmd = find_cmd(&hmp_commands, name);
    if (cmd && !strcmp(name, "info")) {
        start = skip_ws(cmdline);
        if (!get_command_name(&p, name, sizeof(name))) {
            help_list(mon, &hmp_info_commands, "info ", NULL);
            return;
        }
        cmd = find_cmd(&hmp_info_commands, name);
        if (!cmd) {
            monitor_printf(mon, "unknown command: '%.*s'\n",
                           (int)(p - start), start);
            return;
        }
    } else if (!cmd) {
        monitor_printf(mon, "unknown command: '%s'\n", name);
        return;
    }
    args = qdict_new();
    if (parse_args(mon, cmd, p, args)) {
        old = monitor_set_cur(mon);
        cmd->cmd(mon, args);
        monitor_set_cur(old);
    }
    qobject_unref(args);
}

/* ---- completion ---- */

static void hmp_completion(void *opaque, ReadLineState *rs,
                           const char *cmdline)
{
    const char *p = skip_ws(cmdline), *word;
    HMPList *list = &hmp_commands;
    HMPEntry *e;
    char first[64];

    /* Complete the first word, or the second after "info" and "help". */
    word = p;
    while (*p && *p != ' ') {
        p++;
    }
    if (*p) {
        size_t n = MIN((size_t)(p - word), sizeof(first) - 1);

        memcpy(first, word, n);
        first[n] = '\0';
        if (!strcmp(first, "info")) {
            list = &hmp_info_commands;
        } else if (strcmp(first, "help") != 0 && strcmp(first, "?") != 0) {
            return;
        }
        word = skip_ws(p);
        if (strchr(word, ' ')) {
            return;
        }
    }
    readline_set_completion_index(rs, strlen(word));
    QTAILQ_FOREACH(e, list, next) {
        /* Offer each alias of "cont|c" by its own name. */
        char *names = xstrdup(e->cmd->name), *save = NULL;

        for (char *n = strtok_r(names, "|", &save); n;
             n = strtok_r(NULL, "|", &save)) {
            readline_add_completion_of(rs, word, n);
        }
        free(names);
    }
}

/* ---- the front end ---- */

static void hmp_readline_out(void *opaque, const char *str)
{
    Monitor *mon = opaque;

    /* Without readline (-mon mode=readline off): no echo, no prompt. */
    if (mon->use_readline) {
        monitor_puts(mon, str);
    }
}

static void hmp_read_line(void *opaque, const char *line)
{
    Monitor *mon = opaque;

    hmp_handle_command(mon, line);
    if (mon->rs) {
        readline_show_prompt(mon->rs);
    }
}

static int hmp_can_read(void *opaque)
{
    return 4096;
}

static void hmp_read(void *opaque, const uint8_t *buf, int size)
{
    Monitor *mon = opaque;

    for (int i = 0; i < size; i++) {
        readline_handle_byte(mon->rs, buf[i]);
    }
}

static void hmp_event(void *opaque, QEMUChrEvent event)
{
    Monitor *mon = opaque;

    switch (event) {
    case CHR_EVENT_OPENED:
        monitor_printf(mon, "Osprey %s monitor - type 'help' for more "
                       "information\n", OSPREY_VERSION);
        if (!mon->suspended_prompt) {
            readline_restart(mon->rs);
            readline_show_prompt(mon->rs);
        }
        break;
    case CHR_EVENT_MUX_IN:
        mon->suspended_prompt = false;
        readline_restart(mon->rs);
        readline_show_prompt(mon->rs);
        break;
    case CHR_EVENT_MUX_OUT:
        mon->suspended_prompt = true;
        break;
    case CHR_EVENT_CLOSED:
        readline_restart(mon->rs);
        break;
    default:
        break;
    }
}

void monitor_hmp_setup(Monitor *mon)
{
    mon->rs = readline_init(hmp_readline_out, hmp_completion, mon);
    readline_start(mon->rs, HMP_PROMPT, hmp_read_line, mon);
    if (mon->chr.chr) {
        qemu_chr_fe_set_handlers(&mon->chr, hmp_can_read, hmp_read,
                                 hmp_event, mon);
    }
}

void monitor_hmp_finalize(Monitor *mon)
{
    readline_free(mon->rs);
    mon->rs = NULL;
}

char *monitor_hmp_run(const char *line, int cpu_index, Error **errp)
{
    StrBuf out;
    Monitor *mon;

    strbuf_init(&out);
    mon = monitor_new_detached(false, &out);
    mon->cpu_index = cpu_index;
    hmp_handle_command(mon, line);
    monitor_destroy(mon);
    if (!out.str) {
        return xstrdup("");
    }
    return strbuf_steal(&out);
}
