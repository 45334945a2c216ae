/*
 * QObject: reference-counted JSON-like values (null, bool, number, string,
 * dict, list), as QEMU's QObject.  See include/util/qobject.h.
 *
 * Every kind shares one struct with a union: values are small and there is
 * no subclassing to do.  Reference counts are atomic because QMP replies
 * and events may be built on one thread and sent from another.
 *
 * Dicts keep insertion order in a tail queue and find keys through a hash
 * index (chained buckets, doubled when the load passes 1), so building or
 * querying a dict with many keys stays linear, not quadratic.
 */
#include "util/qobject.h"
#include "util/queue.h"

typedef enum QNumKind {
    QNUM_I64,
    QNUM_U64,
    QNUM_DOUBLE,
} QNumKind;

struct QDictEntry {
    char *key;
    QObject *value;
    uint32_t hash;
    struct QDictEntry *bucket_next;       /* chain within one hash bucket */
    QTAILQ_ENTRY(QDictEntry) order;       /* insertion order */
};

typedef struct QDictData {
    QTAILQ_HEAD(, QDictEntry) entries;
    struct QDictEntry **buckets;
    size_t nbuckets;                      /* 0 or a power of two */
    size_t size;
} QDictData;

typedef struct QListData {
    QObject **items;
    size_t size;
    size_t cap;
} QListData;

struct QObject {
    QType type;
    unsigned refcnt;
    union {
        bool boolean;
        struct {
            QNumKind kind;
            union {
                int64_t i64;
                uint64_t u64;
                double dbl;
            } u;
        } num;
        struct {
            char *str;
            size_t len;
        } string;
        QDictData dict;
        QListData list;
    } u;
};

static QObject *qobject_alloc(QType type)
{
    QObject *obj = xnew(QObject);
    obj->type = type;
    obj->refcnt = 1;
    return obj;
}

QObject *qobject_ref(QObject *obj)
{
    if (obj) {
        __atomic_fetch_add(&obj->refcnt, 1, __ATOMIC_RELAXED);
    }
    return obj;
}

static void qdict_destroy(QDictData *d)
{
    QDictEntry *e, *next;
    QTAILQ_FOREACH_SAFE(e, &d->entries, order, next) {
        qobject_unref(e->value);
        free(e->key);
        free(e);
    }
    free(d->buckets);
}

static void qlist_destroy(QListData *l)
{
    for (size_t i = 0; i < l->size; i++) {
        qobject_unref(l->items[i]);
    }
    free(l->items);
}

void qobject_unref(QObject *obj)
{
    if (!obj) {
        return;
    }
    assert(obj->refcnt > 0);
    if (__atomic_sub_fetch(&obj->refcnt, 1, __ATOMIC_ACQ_REL) != 0) {
        return;
    }
    switch (obj->type) {
    case QTYPE_QSTRING:
        free(obj->u.string.str);
        break;
    case QTYPE_QDICT:
        qdict_destroy(&obj->u.dict);
        break;
    case QTYPE_QLIST:
        qlist_destroy(&obj->u.list);
        break;
    default:
        break;
    }
    free(obj);
}

QType qobject_type(const QObject *obj)
{
    assert(obj);
    return obj->type;
}

const char *qtype_name(QType type)
{
    /* The names QMP introspection uses for JSON types. */
    switch (type) {
    case QTYPE_QNULL: return "null";
    case QTYPE_QNUM: return "number";
    case QTYPE_QSTRING: return "string";
    case QTYPE_QDICT: return "object";
    case QTYPE_QLIST: return "array";
    case QTYPE_QBOOL: return "boolean";
    }
    return "unknown";
}

/* Null and bool. */

QObject *qnull(void)
{
    return qobject_alloc(QTYPE_QNULL);
}

QObject *qbool_from_bool(bool value)
{
    QObject *obj = qobject_alloc(QTYPE_QBOOL);
    obj->u.boolean = value;
    return obj;
}

bool qbool_get_bool(const QObject *obj)
{
    assert(obj && obj->type == QTYPE_QBOOL);
    return obj->u.boolean;
}

/* Numbers. */

QObject *qnum_from_int(int64_t value)
{
    QObject *obj = qobject_alloc(QTYPE_QNUM);
    obj->u.num.kind = QNUM_I64;
    obj->u.num.u.i64 = value;
    return obj;
}

QObject *qnum_from_uint(uint64_t value)
{
    QObject *obj = qobject_alloc(QTYPE_QNUM);
    obj->u.num.kind = QNUM_U64;
    obj->u.num.u.u64 = value;
    return obj;
}

QObject *qnum_from_double(double value)
{
    QObject *obj = qobject_alloc(QTYPE_QNUM);
    obj->u.num.kind = QNUM_DOUBLE;
    obj->u.num.u.dbl = value;
    return obj;
}

bool qnum_get_try_int(const QObject *obj, int64_t *value)
{
    if (!obj || obj->type != QTYPE_QNUM) {
        return false;
    }
    switch (obj->u.num.kind) {
    case QNUM_I64:
        *value = obj->u.num.u.i64;
        return true;
    case QNUM_U64:
        if (obj->u.num.u.u64 > INT64_MAX) {
            return false;
        }
        *value = (int64_t)obj->u.num.u.u64;
        return true;
    case QNUM_DOUBLE:
        return false;
    }
    return false;
}

bool qnum_get_try_uint(const QObject *obj, uint64_t *value)
{
    if (!obj || obj->type != QTYPE_QNUM) {
        return false;
    }
    switch (obj->u.num.kind) {
    case QNUM_I64:
        if (obj->u.num.u.i64 < 0) {
            return false;
        }
        *value = (uint64_t)obj->u.num.u.i64;
        return true;
    case QNUM_U64:
        *value = obj->u.num.u.u64;
        return true;
    case QNUM_DOUBLE:
        return false;
    }
    return false;
}

double qnum_get_double(const QObject *obj)
{
    assert(obj && obj->type == QTYPE_QNUM);
    switch (obj->u.num.kind) {
    case QNUM_I64:
        return (double)obj->u.num.u.i64;
    case QNUM_U64:
        return (double)obj->u.num.u.u64;
    case QNUM_DOUBLE:
        return obj->u.num.u.dbl;
    }
    return 0;
}

bool qnum_is_integer(const QObject *obj)
{
    return obj && obj->type == QTYPE_QNUM && obj->u.num.kind != QNUM_DOUBLE;
}

bool qnum_is_double(const QObject *obj)
{
    return obj && obj->type == QTYPE_QNUM && obj->u.num.kind == QNUM_DOUBLE;
}

/* Strings. */

QObject *qstring_from_len(const char *str, size_t len)
{
    QObject *obj = qobject_alloc(QTYPE_QSTRING);
    obj->u.string.str = xmalloc(len + 1);
    memcpy(obj->u.string.str, str, len);
    obj->u.string.str[len] = '\0';
    obj->u.string.len = len;
    return obj;
}

QObject *qstring_from_str(const char *str)
{
    return qstring_from_len(str, strlen(str));
}

/* Take over a malloc'ed string without copying it (used by the parser). */
QObject *qstring_from_owned(char *str, size_t len)
{
    QObject *obj = qobject_alloc(QTYPE_QSTRING);
    obj->u.string.str = str;
    obj->u.string.len = len;
    return obj;
}

const char *qstring_get_str(const QObject *obj)
{
    if (!obj || obj->type != QTYPE_QSTRING) {
        return NULL;
    }
    return obj->u.string.str;
}

size_t qstring_get_length(const QObject *obj)
{
    if (!obj || obj->type != QTYPE_QSTRING) {
        return 0;
    }
    return obj->u.string.len;
}

/* Dicts. */

static uint32_t hash_key(const char *key)
{
    /* FNV-1a: short keys, no adversarial need beyond a sane spread. */
    uint32_t h = 2166136261u;
    for (const unsigned char *p = (const unsigned char *)key; *p; p++) {
        h ^= *p;
        h *= 16777619u;
    }
    return h;
}

static QDictData *dict_data(const QObject *dict)
{
    assert(dict && dict->type == QTYPE_QDICT);
    return (QDictData *)&dict->u.dict;
}

QObject *qdict_new(void)
{
    QObject *obj = qobject_alloc(QTYPE_QDICT);
    QTAILQ_INIT(&obj->u.dict.entries);
    return obj;
}

static QDictEntry *dict_find(const QDictData *d, const char *key,
                             uint32_t hash)
{
    if (!d->nbuckets) {
        return NULL;
    }
    for (QDictEntry *e = d->buckets[hash & (d->nbuckets - 1)]; e;
         e = e->bucket_next) {
        if (e->hash == hash && !strcmp(e->key, key)) {
            return e;
        }
    }
    return NULL;
}

static void dict_rehash(QDictData *d, size_t nbuckets)
{
    QDictEntry *e;
    free(d->buckets);
    d->buckets = xnew_array(QDictEntry *, nbuckets);
    d->nbuckets = nbuckets;
    QTAILQ_FOREACH(e, &d->entries, order) {
        QDictEntry **head = &d->buckets[e->hash & (nbuckets - 1)];
        e->bucket_next = *head;
        *head = e;
    }
}

void qdict_put(QObject *dict, const char *key, QObject *value)
{
    QDictData *d = dict_data(dict);
    uint32_t hash = hash_key(key);
    QDictEntry *e = dict_find(d, key, hash);

    assert(value);
    if (e) {
        /* Replace in place: the key keeps its original position. */
        qobject_unref(e->value);
        e->value = value;
        return;
    }
    e = xnew(QDictEntry);
    e->key = xstrdup(key);
    e->value = value;
    e->hash = hash;
    QTAILQ_INSERT_TAIL(&d->entries, e, order);
    d->size++;
    if (d->size > d->nbuckets) {
        dict_rehash(d, d->nbuckets ? d->nbuckets * 2 : 8);
    } else {
        QDictEntry **head = &d->buckets[hash & (d->nbuckets - 1)];
        e->bucket_next = *head;
        *head = e;
    }
}

void qdict_put_int(QObject *dict, const char *key, int64_t value)
{
    qdict_put(dict, key, qnum_from_int(value));
}

void qdict_put_uint(QObject *dict, const char *key, uint64_t value)
{
    qdict_put(dict, key, qnum_from_uint(value));
}

void qdict_put_bool(QObject *dict, const char *key, bool value)
{
    qdict_put(dict, key, qbool_from_bool(value));
}

void qdict_put_str(QObject *dict, const char *key, const char *value)
{
    qdict_put(dict, key, qstring_from_str(value));
}

QObject *qdict_get(const QObject *dict, const char *key)
{
    if (!dict || dict->type != QTYPE_QDICT) {
        return NULL;
    }
    QDictEntry *e = dict_find(dict_data(dict), key, hash_key(key));
    return e ? e->value : NULL;
}

bool qdict_haskey(const QObject *dict, const char *key)
{
    return qdict_get(dict, key) != NULL;
}

bool qdict_del(QObject *dict, const char *key)
{
    QDictData *d = dict_data(dict);
    uint32_t hash = hash_key(key);

    if (!d->nbuckets) {
        return false;
    }
    for (QDictEntry **pp = &d->buckets[hash & (d->nbuckets - 1)]; *pp;
         pp = &(*pp)->bucket_next) {
        QDictEntry *e = *pp;
        if (e->hash == hash && !strcmp(e->key, key)) {
            *pp = e->bucket_next;
            QTAILQ_REMOVE(&d->entries, e, order);
            d->size--;
            qobject_unref(e->value);
            free(e->key);
            free(e);
            return true;
        }
    }
    return false;
}

size_t qdict_size(const QObject *dict)
{
    return dict_data(dict)->size;
}

const char *qdict_get_try_str(const QObject *dict, const char *key)
{
    return qstring_get_str(qdict_get(dict, key));
}

int64_t qdict_get_try_int(const QObject *dict, const char *key, int64_t def)
{
    int64_t v;
    return qnum_get_try_int(qdict_get(dict, key), &v) ? v : def;
}

bool qdict_get_try_bool(const QObject *dict, const char *key, bool def)
{
    QObject *v = qdict_get(dict, key);
    return v && v->type == QTYPE_QBOOL ? v->u.boolean : def;
}

QObject *qdict_get_qdict(const QObject *dict, const char *key)
{
    QObject *v = qdict_get(dict, key);
    return v && v->type == QTYPE_QDICT ? v : NULL;
}

QObject *qdict_get_qlist(const QObject *dict, const char *key)
{
    QObject *v = qdict_get(dict, key);
    return v && v->type == QTYPE_QLIST ? v : NULL;
}

const QDictEntry *qdict_first(const QObject *dict)
{
    return QTAILQ_FIRST(&dict_data(dict)->entries);
}

const QDictEntry *qdict_next(const QObject *dict, const QDictEntry *entry)
{
    return QTAILQ_NEXT(entry, order);
}

const char *qdict_entry_key(const QDictEntry *entry)
{
    return entry->key;
}

QObject *qdict_entry_value(const QDictEntry *entry)
{
    return entry->value;
}

/* Lists. */

static QListData *list_data(const QObject *list)
{
    assert(list && list->type == QTYPE_QLIST);
    return (QListData *)&list->u.list;
}

QObject *qlist_new(void)
{
    return qobject_alloc(QTYPE_QLIST);
}

void qlist_append(QObject *list, QObject *value)
{
    QListData *l = list_data(list);
    assert(value);
    if (l->size == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 4;
        l->items = xrealloc(l->items, l->cap * sizeof(*l->items));
    }
    l->items[l->size++] = value;
}

size_t qlist_size(const QObject *list)
{
    return list_data(list)->size;
}

QObject *qlist_get(const QObject *list, size_t index)
{
    if (!list || list->type != QTYPE_QLIST) {
        return NULL;
    }
    const QListData *l = list_data(list);
    return index < l->size ? l->items[index] : NULL;
}

/* Equality, as QEMU's qobject_is_equal(). */

static bool qnum_is_equal(const QObject *a, const QObject *b)
{
    int64_t ia, ib;
    uint64_t ua, ub;

    /* Doubles are never equal to integers, as in QEMU: 1.0 != 1. */
    if ((a->u.num.kind == QNUM_DOUBLE) != (b->u.num.kind == QNUM_DOUBLE)) {
        return false;
    }
    if (a->u.num.kind == QNUM_DOUBLE) {
        return a->u.num.u.dbl == b->u.num.u.dbl;
    }
    if (qnum_get_try_int(a, &ia) && qnum_get_try_int(b, &ib)) {
        return ia == ib;
    }
    if (qnum_get_try_uint(a, &ua) && qnum_get_try_uint(b, &ub)) {
        return ua == ub;
    }
    return false;   /* one negative, the other above INT64_MAX */
}

bool qobject_is_equal(const QObject *a, const QObject *b)
{
    if (a == b) {
        return true;
    }
    if (!a || !b || a->type != b->type) {
        return false;
    }
    switch (a->type) {
    case QTYPE_QNULL:
        return true;
    case QTYPE_QBOOL:
        return a->u.boolean == b->u.boolean;
    case QTYPE_QNUM:
        return qnum_is_equal(a, b);
    case QTYPE_QSTRING:
        return a->u.string.len == b->u.string.len &&
               !memcmp(a->u.string.str, b->u.string.str, a->u.string.len);
    case QTYPE_QLIST:
        if (a->u.list.size != b->u.list.size) {
            return false;
        }
        for (size_t i = 0; i < a->u.list.size; i++) {
            if (!qobject_is_equal(a->u.list.items[i], b->u.list.items[i])) {
                return false;
            }
        }
        return true;
    case QTYPE_QDICT: {
        /* Key order does not matter, as in QEMU. */
        const QDictEntry *e;
        if (a->u.dict.size != b->u.dict.size) {
            return false;
        }
        for (e = qdict_first(a); e; e = qdict_next(a, e)) {
            QObject *other = qdict_get(b, e->key);
            if (!other || !qobject_is_equal(e->value, other)) {
                return false;
            }
        }
        return true;
    }
    }
    return false;
}
