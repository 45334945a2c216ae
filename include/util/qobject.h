/*
 * QObject: reference-counted JSON-like values, as QEMU's QObject.
 * Used for QMP messages, QOM property values (qom-get/qom-set) and option
 * parsing.  Kinds: null, bool, number (int64, uint64 or double), string,
 * dict (string keys, insertion order kept), list.
 *
 * Ownership: constructors return a new reference.  qdict_put/qlist_append
 * take over the caller's reference to the value.  Getters return borrowed
 * pointers (valid while the container lives).
 */
#ifndef UTIL_QOBJECT_H
#define UTIL_QOBJECT_H

#include "util/osdep.h"
#include "util/error.h"

typedef enum QType {
    QTYPE_QNULL,
    QTYPE_QNUM,
    QTYPE_QSTRING,
    QTYPE_QDICT,
    QTYPE_QLIST,
    QTYPE_QBOOL,
} QType;

typedef struct QObject QObject;

QObject *qobject_ref(QObject *obj);       /* returns obj; NULL-safe */
void qobject_unref(QObject *obj);         /* NULL-safe */
QType qobject_type(const QObject *obj);
const char *qtype_name(QType type);       /* "null", "number", "string", ... */
bool qobject_is_equal(const QObject *a, const QObject *b);

/* Null and bool. */
QObject *qnull(void);
QObject *qbool_from_bool(bool value);
bool qbool_get_bool(const QObject *obj);  /* obj must be a bool */

/* Numbers keep their kind: integers parse as int64 (or uint64 if too big). */
QObject *qnum_from_int(int64_t value);
QObject *qnum_from_uint(uint64_t value);
QObject *qnum_from_double(double value);
bool qnum_get_try_int(const QObject *obj, int64_t *value);   /* fits int64 */
bool qnum_get_try_uint(const QObject *obj, uint64_t *value); /* >= 0, fits */
double qnum_get_double(const QObject *obj);
bool qnum_is_integer(const QObject *obj);
bool qnum_is_double(const QObject *obj);  /* kept as a double (1.0, 1e3) */

/* Strings. */
QObject *qstring_from_str(const char *str);
QObject *qstring_from_len(const char *str, size_t len);
const char *qstring_get_str(const QObject *obj);  /* NULL if not a string */
size_t qstring_get_length(const QObject *obj);     /* bytes, without NUL */
/* Take over malloc'ed str (NUL-terminated at str[len]) without copying. */
QObject *qstring_from_owned(char *str, size_t len);

/* Dicts: string keys, values in insertion order. */
QObject *qdict_new(void);
void qdict_put(QObject *dict, const char *key, QObject *value); /* replaces */
void qdict_put_int(QObject *dict, const char *key, int64_t value);
void qdict_put_uint(QObject *dict, const char *key, uint64_t value);
void qdict_put_bool(QObject *dict, const char *key, bool value);
void qdict_put_str(QObject *dict, const char *key, const char *value);
QObject *qdict_get(const QObject *dict, const char *key); /* borrowed/NULL */
bool qdict_haskey(const QObject *dict, const char *key);
bool qdict_del(QObject *dict, const char *key);
size_t qdict_size(const QObject *dict);
/* Typed getters: NULL / default when missing or of another type. */
const char *qdict_get_try_str(const QObject *dict, const char *key);
int64_t qdict_get_try_int(const QObject *dict, const char *key, int64_t def);
bool qdict_get_try_bool(const QObject *dict, const char *key, bool def);
QObject *qdict_get_qdict(const QObject *dict, const char *key);
QObject *qdict_get_qlist(const QObject *dict, const char *key);
/* Iteration in insertion order. */
typedef struct QDictEntry QDictEntry;
const QDictEntry *qdict_first(const QObject *dict);
const QDictEntry *qdict_next(const QObject *dict, const QDictEntry *entry);
const char *qdict_entry_key(const QDictEntry *entry);
QObject *qdict_entry_value(const QDictEntry *entry);

/* Lists. */
QObject *qlist_new(void);
void qlist_append(QObject *list, QObject *value);
size_t qlist_size(const QObject *list);
QObject *qlist_get(const QObject *list, size_t index); /* borrowed/NULL */

/*
 * JSON.  The parser accepts RFC 8259 JSON plus QEMU's extensions: single-
 * quoted strings and %-free input only (no interpolation).  It limits
 * nesting depth (MAX_NESTING) and token size so hostile input cannot exhaust
 * the host; errors name the position and the reason.
 */
#define QOBJECT_JSON_MAX_NESTING 64
QObject *qobject_from_json(const char *json, Error **errp);
QObject *qobject_from_json_len(const char *json, size_t len, Error **errp);
char *qobject_to_json(const QObject *obj);         /* compact, one line */
char *qobject_to_json_pretty(const QObject *obj);  /* indented */

/*
 * Streaming JSON splitter for QMP: feed bytes as they arrive, get called
 * once per complete top-level value (or once per error, after which the
 * splitter resynchronises at the next newline or top-level '{').
 */
typedef void JSONMessageFunc(void *opaque, QObject *value, Error *err);
typedef struct JSONMessageParser JSONMessageParser;
JSONMessageParser *json_message_parser_new(JSONMessageFunc *func,
                                           void *opaque);
void json_message_parser_feed(JSONMessageParser *p, const char *buf,
                              size_t len);
void json_message_parser_free(JSONMessageParser *p);

#endif
