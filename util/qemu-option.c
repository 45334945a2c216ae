/*
 * Command-line option strings: keyval_parse() and QemuOpts.
 * See include/util/qemu-option.h for the syntax.
 */
#include "util/qemu-option.h"

/* ---------------------------------------------------------------------- */
/* Splitting "a=1,b,,c=2,flag" into (name, value) pairs. */

typedef struct OptPair {
    char *name;
    char *value;        /* NULL for a bare "flag" */
} OptPair;

typedef struct OptPairs {
    OptPair *pairs;
    size_t n, cap;
} OptPairs;

static void pairs_add(OptPairs *ps, char *name, char *value)
{
    if (ps->n == ps->cap) {
        ps->cap = ps->cap ? ps->cap * 2 : 8;
        ps->pairs = xrealloc(ps->pairs, ps->cap * sizeof(*ps->pairs));
    }
    ps->pairs[ps->n].name = name;
    ps->pairs[ps->n].value = value;
    ps->n++;
}

static void pairs_free(OptPairs *ps)
{
    for (size_t i = 0; i < ps->n; i++) {
        free(ps->pairs[i].name);
        free(ps->pairs[i].value);
    }
    free(ps->pairs);
}

/* Read a value up to a lone ',' or the end; ",," stands for ','. */
static const char *get_opt_value(const char *p, char **value)
{
    StrBuf sb;
    strbuf_init(&sb);
    for (;;) {
        size_t n = strcspn(p, ",");
        strbuf_append_len(&sb, p, n);
        p += n;
        if (p[0] == ',' && p[1] == ',') {
            strbuf_putc(&sb, ',');
            p += 2;
            continue;
        }
        break;
    }
    *value = strbuf_steal(&sb);
    return p;
}

/*
 * Split params.  A leading element without '=' becomes implied_key=value
 * when implied_key is given; other elements without '=' are flags.
 */
static void split_params(const char *params, const char *implied_key,
                         OptPairs *ps)
{
    const char *p = params;
    bool first = true;

    while (*p) {
        const char *name_end = p + strcspn(p, "=,");
        char *name, *value = NULL;

        if (*name_end == '=') {
            name = xstrndup(p, name_end - p);
            p = get_opt_value(name_end + 1, &value);
        } else if (first && implied_key) {
            name = xstrdup(implied_key);
            p = get_opt_value(p, &value);
        } else {
            name = xstrndup(p, name_end - p);
            p = name_end;
        }
        pairs_add(ps, name, value);
        if (*p == ',') {
            p++;
        }
        first = false;
    }
}

/* ---------------------------------------------------------------------- */
/* keyval_parse */

/* Keys are words of letters, digits, '-' and '_', joined by dots. */
static bool keyval_key_valid(const char *key)
{
    const char *seg = key;
    if (!*key) {
        return false;
    }
    for (const char *p = key;; p++) {
        if (*p == '.' || *p == '\0') {
            if (p == seg) {
                return false;       /* empty segment: "a..b", ".a", "a." */
            }
            if (!*p) {
                return true;
            }
            seg = p + 1;
            continue;
        }
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '_')) {
            return false;
        }
    }
}

/* Store key (possibly dotted) = value under dict. */
static bool keyval_store(QObject *dict, const char *key, const char *value,
                         Error **errp)
{
    QObject *cur = dict;
    const char *seg = key;
    const char *dot;

    /* Walk or create one nested dict per dotted prefix. */
    while ((dot = strchr(seg, '.'))) {
        char *prefix = xstrndup(key, dot - key);
        char *name = xstrndup(seg, dot - seg);
        QObject *next = qdict_get(cur, name);
        if (!next) {
            next = qdict_new();
            qdict_put(cur, name, next);
        } else if (qobject_type(next) != QTYPE_QDICT) {
            error_setg(errp, "Parameters '%s.*' used inconsistently", prefix);
            free(prefix);
            free(name);
            return false;
        }
        free(prefix);
        free(name);
        cur = next;
        seg = dot + 1;
    }
    QObject *old = qdict_get(cur, seg);
    if (old && qobject_type(old) == QTYPE_QDICT) {
        error_setg(errp, "Parameter '%s' used inconsistently", key);
        return false;
    }
    qdict_put_str(cur, seg, value);     /* last one wins */
    return true;
}

QObject *keyval_parse(const char *params, const char *implied_key,
                      Error **errp)
{
    OptPairs ps = { 0 };
    QObject *dict = qdict_new();

    split_params(params, implied_key, &ps);
    for (size_t i = 0; i < ps.n; i++) {
        const OptPair *pair = &ps.pairs[i];
        if (!keyval_key_valid(pair->name)) {
            error_setg(errp, "Invalid parameter '%s'", pair->name);
            goto fail;
        }
        if (!pair->value) {
            error_setg(errp, "Expected '=' after parameter '%s'", pair->name);
            goto fail;
        }
        if (!keyval_store(dict, pair->name, pair->value, errp)) {
            goto fail;
        }
    }
    pairs_free(&ps);
    return dict;

fail:
    pairs_free(&ps);
    qobject_unref(dict);
    return NULL;
}

bool id_wellformed(const char *id)
{
    if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z'))) {
        return false;
    }
    for (const char *p = id + 1; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
              (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' ||
              *p == '_')) {
            return false;
        }
    }
    return true;
}

/* ---------------------------------------------------------------------- */
/* QemuOpts */

struct QemuOpt {
    char *name;
    char *str;
    const QemuOptDesc *desc;    /* NULL when the list has no table */
    union {
        bool boolean;
        uint64_t uint;
    } value;
    QTAILQ_ENTRY(QemuOpt) next;
};

struct QemuOpts {
    char *id;
    QemuOptsList *list;
    QTAILQ_HEAD(, QemuOpt) head;
    QTAILQ_ENTRY(QemuOpts) next;
};

static void list_init(QemuOptsList *list)
{
    /* Lists are static tables; set the queue up on first use. */
    if (!list->head.tqh_last) {
        QTAILQ_INIT(&list->head);
    }
}

static bool list_has_table(const QemuOptsList *list)
{
    return list->desc[0].name != NULL;
}

static const QemuOptDesc *find_desc(const QemuOptsList *list,
                                    const char *name)
{
    for (const QemuOptDesc *d = list->desc; d->name; d++) {
        if (!strcmp(d->name, name)) {
            return d;
        }
    }
    return NULL;
}

static QemuOpt *find_opt(const QemuOpts *opts, const char *name)
{
    QemuOpt *opt;
    QTAILQ_FOREACH(opt, &opts->head, next) {
        if (!strcmp(opt->name, name)) {
            return opt;
        }
    }
    return NULL;
}

/* Check value against desc's type; fill *opt's parsed value if given. */
static bool parse_typed(const QemuOptDesc *desc, const char *name,
                        const char *value, QemuOpt *opt, Error **errp)
{
    bool b;
    uint64_t u;

    if (!desc) {
        return true;
    }
    switch (desc->type) {
    case QEMU_OPT_STRING:
        return true;
    case QEMU_OPT_BOOL:
        if (parse_bool(value, &b) < 0) {
            error_setg(errp, "Parameter '%s' expects 'on' or 'off'", name);
            return false;
        }
        if (opt) {
            opt->value.boolean = b;
        }
        return true;
    case QEMU_OPT_NUMBER:
        if (parse_uint64(value, &u) < 0) {
            error_setg(errp, "Parameter '%s' expects a number", name);
            return false;
        }
        break;
    case QEMU_OPT_SIZE:
        if (parse_size(value, '\0', &u) < 0) {
            error_setg(errp, "Parameter '%s' expects a non-negative size "
                       "below 2^64 (optional suffix k, M, G, T, P or E)",
                       name);
            return false;
        }
        break;
    }
    if (opt) {
        opt->value.uint = u;
    }
    return true;
}

/* Check name=value against the list's table, without storing anything. */
static bool validate_opt(const QemuOptsList *list, const char *name,
                         const char *value, const QemuOptDesc **descp,
                         Error **errp)
{
    const QemuOptDesc *desc = NULL;

    if (list_has_table(list)) {
        desc = find_desc(list, name);
        if (!desc) {
            error_setg(errp, "Invalid parameter '%s'", name);
            return false;
        }
    }
    if (descp) {
        *descp = desc;
    }
    return parse_typed(desc, name, value, NULL, errp);
}

bool qemu_opt_set(QemuOpts *opts, const char *name, const char *value,
                  Error **errp)
{
    const QemuOptDesc *desc;
    QemuOpt tmp = { 0 };

    if (!validate_opt(opts->list, name, value, &desc, errp)) {
        return false;
    }
    parse_typed(desc, name, value, &tmp, NULL);

    QemuOpt *opt = find_opt(opts, name);
    if (opt) {
        /* Last one wins; the option keeps its first position. */
        free(opt->str);
    } else {
        opt = xnew(QemuOpt);
        opt->name = xstrdup(name);
        QTAILQ_INSERT_TAIL(&opts->head, opt, next);
    }
    opt->str = xstrdup(value);
    opt->desc = desc;
    opt->value = tmp.value;
    return true;
}

bool qemu_opt_set_bool(QemuOpts *opts, const char *name, bool value,
                       Error **errp)
{
    return qemu_opt_set(opts, name, value ? "on" : "off", errp);
}

bool qemu_opt_set_number(QemuOpts *opts, const char *name, uint64_t value,
                         Error **errp)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%" PRIu64, value);
    return qemu_opt_set(opts, name, buf, errp);
}

static void opt_free(QemuOpt *opt)
{
    free(opt->name);
    free(opt->str);
    free(opt);
}

bool qemu_opt_unset(QemuOpts *opts, const char *name)
{
    QemuOpt *opt = find_opt(opts, name);
    if (!opt) {
        return false;
    }
    QTAILQ_REMOVE(&opts->head, opt, next);
    opt_free(opt);
    return true;
}

bool qemu_opt_is_set(const QemuOpts *opts, const char *name)
{
    return find_opt(opts, name) != NULL;
}

/* The given value, else the table's default, else NULL. */
static const char *opt_string(const QemuOpts *opts, const char *name)
{
    QemuOpt *opt = find_opt(opts, name);
    if (opt) {
        return opt->str;
    }
    const QemuOptDesc *desc = find_desc(opts->list, name);
    return desc ? desc->def_value_str : NULL;
}

const char *qemu_opt_get(const QemuOpts *opts, const char *name)
{
    if (!opts) {
        return NULL;
    }
    return opt_string(opts, name);
}

bool qemu_opt_get_bool(const QemuOpts *opts, const char *name, bool defval)
{
    const char *str = qemu_opt_get(opts, name);
    bool b;
    return str && parse_bool(str, &b) == 0 ? b : defval;
}

uint64_t qemu_opt_get_number(const QemuOpts *opts, const char *name,
                             uint64_t defval)
{
    const char *str = qemu_opt_get(opts, name);
    uint64_t u;
    return str && parse_uint64(str, &u) == 0 ? u : defval;
}

uint64_t qemu_opt_get_size(const QemuOpts *opts, const char *name,
                           uint64_t defval)
{
    const char *str = qemu_opt_get(opts, name);
    uint64_t u;
    return str && parse_size(str, '\0', &u) == 0 ? u : defval;
}

QemuOpts *qemu_opts_find(QemuOptsList *list, const char *id)
{
    QemuOpts *opts;

    list_init(list);
    QTAILQ_FOREACH(opts, &list->head, next) {
        if (!opts->id && !id) {
            return opts;
        }
        if (opts->id && id && !strcmp(opts->id, id)) {
            return opts;
        }
    }
    return NULL;
}

QemuOpts *qemu_opts_create(QemuOptsList *list, const char *id,
                           bool fail_if_exists, Error **errp)
{
    QemuOpts *opts;

    list_init(list);
    if (id) {
        if (!id_wellformed(id)) {
            error_setg(errp, "Parameter 'id' expects an identifier");
            return NULL;
        }
        opts = qemu_opts_find(list, id);
        if (opts) {
            if (fail_if_exists) {
                error_setg(errp, "Duplicate ID '%s' for %s", id, list->name);
                return NULL;
            }
            return opts;
        }
    } else if (list->merge_lists) {
        opts = qemu_opts_find(list, NULL);
        if (opts) {
            return opts;
        }
    }
    opts = xnew(QemuOpts);
    opts->id = xstrdup(id);
    opts->list = list;
    QTAILQ_INIT(&opts->head);
    QTAILQ_INSERT_TAIL(&list->head, opts, next);
    return opts;
}

void qemu_opts_del(QemuOpts *opts)
{
    QemuOpt *opt, *next;

    if (!opts) {
        return;
    }
    QTAILQ_FOREACH_SAFE(opt, &opts->head, next, next) {
        opt_free(opt);
    }
    QTAILQ_REMOVE(&opts->list->head, opts, next);
    free(opts->id);
    free(opts);
}

void qemu_opts_reset(QemuOptsList *list)
{
    QemuOpts *opts, *next;

    list_init(list);
    QTAILQ_FOREACH_SAFE(opts, &list->head, next, next) {
        qemu_opts_del(opts);
    }
}

const char *qemu_opts_id(const QemuOpts *opts)
{
    return opts->id;
}

QemuOptsList *qemu_opts_list(const QemuOpts *opts)
{
    return opts->list;
}

/*
 * Turn a bare element into name=on / name=off.  With a table, only bool
 * options may be written so; without one, any name may, as in QEMU.
 */
static bool resolve_flag(const QemuOptsList *list, OptPair *pair,
                         Error **errp)
{
    const char *name = pair->name;
    const QemuOptDesc *desc;

    if (!strcmp(name, "id")) {
        error_setg(errp, "Parameter 'id' expects an identifier");
        return false;
    }
    if (!list_has_table(list)) {
        if (strstart(name, "no", NULL) && name[2]) {
            char *base = xstrdup(name + 2);
            free(pair->name);
            pair->name = base;
            pair->value = xstrdup("off");
        } else {
            pair->value = xstrdup("on");
        }
        return true;
    }
    desc = find_desc(list, name);
    if (desc) {
        if (desc->type != QEMU_OPT_BOOL) {
            error_setg(errp, "Expected '=' after parameter '%s'", name);
            return false;
        }
        pair->value = xstrdup("on");
        return true;
    }
    if (strstart(name, "no", NULL)) {
        desc = find_desc(list, name + 2);
        if (desc && desc->type == QEMU_OPT_BOOL) {
            char *base = xstrdup(name + 2);
            free(pair->name);
            pair->name = base;
            pair->value = xstrdup("off");
            return true;
        }
    }
    error_setg(errp, "Invalid parameter '%s'", name);
    return false;
}

QemuOpts *qemu_opts_parse(QemuOptsList *list, const char *params,
                          bool permit_abbrev, Error **errp)
{
    OptPairs ps = { 0 };
    const char *id = NULL;
    QemuOpts *opts = NULL;
    const char *implied = permit_abbrev ? list->implied_opt_name : NULL;

    /* Check everything before creating anything, so errors leave no trace. */
    split_params(params, implied, &ps);
    for (size_t i = 0; i < ps.n; i++) {
        OptPair *pair = &ps.pairs[i];
        if (!pair->value && !resolve_flag(list, pair, errp)) {
            goto out;
        }
        if (!strcmp(pair->name, "id")) {
            id = pair->value;
            continue;
        }
        if (!validate_opt(list, pair->name, pair->value, NULL, errp)) {
            goto out;
        }
    }
    opts = qemu_opts_create(list, id, !list->merge_lists, errp);
    if (!opts) {
        goto out;
    }
    for (size_t i = 0; i < ps.n; i++) {
        if (strcmp(ps.pairs[i].name, "id") != 0) {
            bool ok = qemu_opt_set(opts, ps.pairs[i].name, ps.pairs[i].value,
                                   &error_abort);
            assert(ok);
        }
    }
out:
    pairs_free(&ps);
    return opts;
}

QemuOpts *qemu_opts_parse_noisily(QemuOptsList *list, const char *params,
                                  bool permit_abbrev)
{
    Error *err = NULL;
    QemuOpts *opts = qemu_opts_parse(list, params, permit_abbrev, &err);
    if (!opts) {
        error_report_err(err);
    }
    return opts;
}

int qemu_opt_foreach(QemuOpts *opts, qemu_opt_loopfunc func, void *opaque,
                     Error **errp)
{
    QemuOpt *opt, *next;
    QTAILQ_FOREACH_SAFE(opt, &opts->head, next, next) {
        int rc = func(opaque, opt->name, opt->str, errp);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

int qemu_opts_foreach(QemuOptsList *list, qemu_opts_loopfunc func,
                      void *opaque, Error **errp)
{
    QemuOpts *opts, *next;

    list_init(list);
    QTAILQ_FOREACH_SAFE(opts, &list->head, next, next) {
        int rc = func(opaque, opts, errp);
        if (rc) {
            return rc;
        }
    }
    return 0;
}

QObject *qemu_opts_to_qdict(const QemuOpts *opts, QObject *qdict)
{
    QemuOpt *opt;

    if (!qdict) {
        qdict = qdict_new();
    }
    if (opts->id) {
        qdict_put_str(qdict, "id", opts->id);
    }
    QTAILQ_FOREACH(opt, &opts->head, next) {
        qdict_put_str(qdict, opt->name, opt->str);
    }
    return qdict;
}

static void append_escaped(StrBuf *sb, const char *value)
{
    for (const char *p = value; *p; p++) {
        if (*p == ',') {
            strbuf_putc(sb, ',');
        }
        strbuf_putc(sb, *p);
    }
}

char *qemu_opts_to_string(const QemuOpts *opts)
{
    StrBuf sb;
    QemuOpt *opt;
    const char *sep = "";

    strbuf_init(&sb);
    if (opts->id) {
        strbuf_printf(&sb, "id=%s", opts->id);
        sep = ",";
    }
    QTAILQ_FOREACH(opt, &opts->head, next) {
        strbuf_printf(&sb, "%s%s=", sep, opt->name);
        append_escaped(&sb, opt->str);
        sep = ",";
    }
    return strbuf_steal(&sb);
}

/* ---------------------------------------------------------------------- */
/* The registry of option groups. */

static QemuOptsList *option_groups[64];

void qemu_add_opts(QemuOptsList *list)
{
    for (size_t i = 0; i < ARRAY_SIZE(option_groups); i++) {
        assert(option_groups[i] != list);
        if (option_groups[i]) {
            assert(strcmp(option_groups[i]->name, list->name) != 0);
            continue;
        }
        option_groups[i] = list;
        return;
    }
    fprintf(stderr, "osprey: too many option groups\n");
    abort();
}

QemuOptsList *qemu_find_opts(const char *group)
{
    for (size_t i = 0; i < ARRAY_SIZE(option_groups) && option_groups[i];
         i++) {
        if (!strcmp(option_groups[i]->name, group)) {
            return option_groups[i];
        }
    }
    return NULL;
}

QemuOptsList *qemu_find_opts_err(const char *group, Error **errp)
{
    QemuOptsList *list = qemu_find_opts(group);
    if (!list) {
        error_setg(errp, "There is no option group '%s'", group);
    }
    return list;
}
