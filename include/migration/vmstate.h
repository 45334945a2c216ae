/*
 * VMState: device state described as data, read by save, load and
 * -dump-vmstate alike (QEMU's docs/devel/migration.rst).
 *
 * A VMStateDescription names a piece of state, its version, and a table of
 * VMStateFields (each an offset in the device struct, a size and a kind),
 * ending with VMSTATE_END_OF_LIST().  Optional state goes in subsections,
 * each sent only when its `needed` predicate says so (a subsection without
 * one is always sent) and named "<parent>/<what>" so the loader can tell it
 * from whatever follows the parent.
 *
 * Loading checks minimum_version_id <= version <= version_id; a field with
 * version_id V is in the stream only for stream versions >= V.
 *
 * Difference from QEMU, on purpose: the variable-length array macros
 * (VMSTATE_VARRAY_*) take the capacity of the target buffer, `_max`, and
 * a length read from the stream above it is refused instead of overflowing
 * the buffer.
 */
#ifndef MIGRATION_VMSTATE_H
#define MIGRATION_VMSTATE_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/qobject.h"
#include "migration/qemu-file.h"
#include "system/timer.h"

typedef struct VMStateInfo VMStateInfo;
typedef struct VMStateField VMStateField;
typedef struct VMStateDescription VMStateDescription;
struct Object;

/*
 * How to move one element.  get/put return 0 or a negative errno; errors
 * of the file itself are checked by the caller.
 */
struct VMStateInfo {
    const char *name;
    int (*get)(QEMUFile *f, void *pv, size_t size, const VMStateField *field);
    int (*put)(QEMUFile *f, void *pv, size_t size, const VMStateField *field);
};

enum VMStateFlags {
    VMS_SINGLE = 0x001,           /* one element at offset */
    VMS_POINTER = 0x002,          /* offset holds a pointer to the data */
    VMS_ARRAY = 0x004,            /* `num` elements */
    VMS_STRUCT = 0x008,           /* element described by `vmsd` */
    VMS_VARRAY_INT32 = 0x010,     /* element count in an int32_t field */
    VMS_BUFFER = 0x020,           /* raw bytes, `size` of them */
    VMS_VARRAY_UINT16 = 0x080,
    VMS_VARRAY_UINT8 = 0x400,
    VMS_VARRAY_UINT32 = 0x800,
    VMS_MUST_EXIST = 0x1000,      /* VMSTATE_VALIDATE: test must pass */
    VMS_ALLOC = 0x2000,           /* allocate the pointed-to buffer on load */
    VMS_END = 0x10000,
};

#define VMS_VARRAY_ANY (VMS_VARRAY_INT32 | VMS_VARRAY_UINT16 | \
                        VMS_VARRAY_UINT8 | VMS_VARRAY_UINT32)

struct VMStateField {
    const char *name;
    size_t offset;
    size_t size;                  /* of one element */
    int num;                      /* VMS_ARRAY: element count */
    int max_elems;                /* VMS_VARRAY_*: capacity */
    size_t num_offset;            /* VMS_VARRAY_*: where the count lives */
    const VMStateInfo *info;
    enum VMStateFlags flags;
    const VMStateDescription *vmsd;
    int version_id;               /* in the stream from this version on */
    bool (*field_exists)(void *opaque, int version_id);
};

typedef enum MigrationPriority {
    MIG_PRI_DEFAULT = 0,
    MIG_PRI_LOW,
    MIG_PRI_HIGH,                 /* sent and loaded before the others */
    MIG_PRI_MAX,
} MigrationPriority;

struct VMStateDescription {
    const char *name;
    int version_id;
    int minimum_version_id;
    MigrationPriority priority;
    int (*pre_load)(void *opaque);
    int (*post_load)(void *opaque, int version_id);
    int (*pre_save)(void *opaque);
    int (*post_save)(void *opaque);
    bool (*needed)(void *opaque);
    const VMStateField *fields;
    const VMStateDescription *const *subsections; /* NULL-terminated */
};

extern const VMStateInfo vmstate_info_bool;
extern const VMStateInfo vmstate_info_int8;
extern const VMStateInfo vmstate_info_int16;
extern const VMStateInfo vmstate_info_int32;
extern const VMStateInfo vmstate_info_int64;
extern const VMStateInfo vmstate_info_uint8;
extern const VMStateInfo vmstate_info_uint16;
extern const VMStateInfo vmstate_info_uint32;
extern const VMStateInfo vmstate_info_uint64;
extern const VMStateInfo vmstate_info_buffer;
extern const VMStateInfo vmstate_info_unused_buffer;
extern const VMStateInfo vmstate_info_timer;

/*
 * Type checks: the macros refuse, at compile time, a field whose C type
 * differs from the kind named (a uint16_t described as VMSTATE_UINT32).
 */
#define typeof_field(type, field) typeof(((type *)0)->field)
#define type_check(t1, t2) \
    sizeof(char[1 - 2 * !__builtin_types_compatible_p(t1, t2)])
#define type_check_array(t1, t2, n) \
    sizeof(char[1 - 2 * !__builtin_types_compatible_p(t1[n], t2)])
#define vmstate_offset_value(_state, _field, _type)                    \
    (offsetof(_state, _field) +                                        \
     0 * sizeof(type_check(_type, typeof_field(_state, _field))))
#define vmstate_offset_pointer(_state, _field, _type)                  \
    (offsetof(_state, _field) +                                        \
     0 * sizeof(type_check(_type *, typeof_field(_state, _field))))
#define vmstate_offset_array(_state, _field, _type, _num)              \
    (offsetof(_state, _field) +                                        \
     0 * sizeof(type_check_array(_type, typeof_field(_state, _field), \
                                 _num)))
/* Any byte array (char or uint8_t). */
#define vmstate_offset_buffer(_state, _field) offsetof(_state, _field)

#define VMSTATE_SINGLE_TEST(_field, _state, _test, _version, _info, _type) { \
    .name = #_field,                                                   \
    .version_id = (_version),                                          \
    .field_exists = (_test),                                           \
    .size = sizeof(_type),                                             \
    .info = &(_info),                                                  \
    .flags = VMS_SINGLE,                                               \
    .offset = vmstate_offset_value(_state, _field, _type),             \
}
#define VMSTATE_SINGLE(_field, _state, _version, _info, _type)         \
    VMSTATE_SINGLE_TEST(_field, _state, NULL, _version, _info, _type)

#define VMSTATE_BOOL_V(_f, _s, _v)   VMSTATE_SINGLE(_f, _s, _v, vmstate_info_bool, bool)
#define VMSTATE_INT8_V(_f, _s, _v)   VMSTATE_SINGLE(_f, _s, _v, vmstate_info_int8, int8_t)
#define VMSTATE_INT16_V(_f, _s, _v)  VMSTATE_SINGLE(_f, _s, _v, vmstate_info_int16, int16_t)
#define VMSTATE_INT32_V(_f, _s, _v)  VMSTATE_SINGLE(_f, _s, _v, vmstate_info_int32, int32_t)
#define VMSTATE_INT64_V(_f, _s, _v)  VMSTATE_SINGLE(_f, _s, _v, vmstate_info_int64, int64_t)
#define VMSTATE_UINT8_V(_f, _s, _v)  VMSTATE_SINGLE(_f, _s, _v, vmstate_info_uint8, uint8_t)
#define VMSTATE_UINT16_V(_f, _s, _v) VMSTATE_SINGLE(_f, _s, _v, vmstate_info_uint16, uint16_t)
#define VMSTATE_UINT32_V(_f, _s, _v) VMSTATE_SINGLE(_f, _s, _v, vmstate_info_uint32, uint32_t)
#define VMSTATE_UINT64_V(_f, _s, _v) VMSTATE_SINGLE(_f, _s, _v, vmstate_info_uint64, uint64_t)

#define VMSTATE_BOOL(_f, _s)   VMSTATE_BOOL_V(_f, _s, 0)
#define VMSTATE_INT8(_f, _s)   VMSTATE_INT8_V(_f, _s, 0)
#define VMSTATE_INT16(_f, _s)  VMSTATE_INT16_V(_f, _s, 0)
#define VMSTATE_INT32(_f, _s)  VMSTATE_INT32_V(_f, _s, 0)
#define VMSTATE_INT64(_f, _s)  VMSTATE_INT64_V(_f, _s, 0)
#define VMSTATE_UINT8(_f, _s)  VMSTATE_UINT8_V(_f, _s, 0)
#define VMSTATE_UINT16(_f, _s) VMSTATE_UINT16_V(_f, _s, 0)
#define VMSTATE_UINT32(_f, _s) VMSTATE_UINT32_V(_f, _s, 0)
#define VMSTATE_UINT64(_f, _s) VMSTATE_UINT64_V(_f, _s, 0)

#define VMSTATE_UINT8_TEST(_f, _s, _t) \
    VMSTATE_SINGLE_TEST(_f, _s, _t, 0, vmstate_info_uint8, uint8_t)
#define VMSTATE_UINT32_TEST(_f, _s, _t) \
    VMSTATE_SINGLE_TEST(_f, _s, _t, 0, vmstate_info_uint32, uint32_t)

/*
 * A field whose stream name differs from its C path (state kept in a
 * sub-struct, e.g. "irr" for r.irr): the name is what QEMU's description
 * calls it, so streams and -dump-vmstate compare.
 */
#define VMSTATE_SINGLE_NAMED(_name, _field, _state, _version, _info, _type) { \
    .name = (_name),                                                   \
    .version_id = (_version),                                          \
    .size = sizeof(_type),                                             \
    .info = &(_info),                                                  \
    .flags = VMS_SINGLE,                                               \
    .offset = vmstate_offset_value(_state, _field, _type),             \
}
#define VMSTATE_UINT8_NAMED(_n, _f, _s) \
    VMSTATE_SINGLE_NAMED(_n, _f, _s, 0, vmstate_info_uint8, uint8_t)
#define VMSTATE_UINT16_NAMED(_n, _f, _s) \
    VMSTATE_SINGLE_NAMED(_n, _f, _s, 0, vmstate_info_uint16, uint16_t)
#define VMSTATE_UINT32_NAMED(_n, _f, _s) \
    VMSTATE_SINGLE_NAMED(_n, _f, _s, 0, vmstate_info_uint32, uint32_t)
#define VMSTATE_UINT64_NAMED(_n, _f, _s) \
    VMSTATE_SINGLE_NAMED(_n, _f, _s, 0, vmstate_info_uint64, uint64_t)
#define VMSTATE_INT32_NAMED(_n, _f, _s) \
    VMSTATE_SINGLE_NAMED(_n, _f, _s, 0, vmstate_info_int32, int32_t)
#define VMSTATE_INT64_NAMED(_n, _f, _s) \
    VMSTATE_SINGLE_NAMED(_n, _f, _s, 0, vmstate_info_int64, int64_t)

/* Fixed-size arrays inside the struct. */
#define VMSTATE_ARRAY(_field, _state, _num, _version, _info, _type) { \
    .name = #_field,                                                   \
    .version_id = (_version),                                          \
    .num = (_num),                                                     \
    .info = &(_info),                                                  \
    .size = sizeof(_type),                                             \
    .flags = VMS_ARRAY,                                                \
    .offset = vmstate_offset_array(_state, _field, _type, _num),       \
}
#define VMSTATE_BOOL_ARRAY_V(_f, _s, _n, _v)   VMSTATE_ARRAY(_f, _s, _n, _v, vmstate_info_bool, bool)
#define VMSTATE_UINT8_ARRAY_V(_f, _s, _n, _v)  VMSTATE_ARRAY(_f, _s, _n, _v, vmstate_info_uint8, uint8_t)
#define VMSTATE_UINT16_ARRAY_V(_f, _s, _n, _v) VMSTATE_ARRAY(_f, _s, _n, _v, vmstate_info_uint16, uint16_t)
#define VMSTATE_UINT32_ARRAY_V(_f, _s, _n, _v) VMSTATE_ARRAY(_f, _s, _n, _v, vmstate_info_uint32, uint32_t)
#define VMSTATE_UINT64_ARRAY_V(_f, _s, _n, _v) VMSTATE_ARRAY(_f, _s, _n, _v, vmstate_info_uint64, uint64_t)
#define VMSTATE_INT32_ARRAY_V(_f, _s, _n, _v)  VMSTATE_ARRAY(_f, _s, _n, _v, vmstate_info_int32, int32_t)
#define VMSTATE_INT64_ARRAY_V(_f, _s, _n, _v)  VMSTATE_ARRAY(_f, _s, _n, _v, vmstate_info_int64, int64_t)
#define VMSTATE_BOOL_ARRAY(_f, _s, _n)   VMSTATE_BOOL_ARRAY_V(_f, _s, _n, 0)
#define VMSTATE_UINT8_ARRAY(_f, _s, _n)  VMSTATE_UINT8_ARRAY_V(_f, _s, _n, 0)
#define VMSTATE_UINT16_ARRAY(_f, _s, _n) VMSTATE_UINT16_ARRAY_V(_f, _s, _n, 0)
#define VMSTATE_UINT32_ARRAY(_f, _s, _n) VMSTATE_UINT32_ARRAY_V(_f, _s, _n, 0)
#define VMSTATE_UINT64_ARRAY(_f, _s, _n) VMSTATE_UINT64_ARRAY_V(_f, _s, _n, 0)
#define VMSTATE_INT32_ARRAY(_f, _s, _n)  VMSTATE_INT32_ARRAY_V(_f, _s, _n, 0)
#define VMSTATE_INT64_ARRAY(_f, _s, _n)  VMSTATE_INT64_ARRAY_V(_f, _s, _n, 0)

/*
 * Variable-length arrays: the element count is the integer field
 * _field_num (loaded earlier in the same description); _field points to a
 * buffer of at least _max elements.  The _ALLOC forms (re)allocate that
 * buffer with malloc on load, and still refuse counts above _max.
 */
#define VMSTATE_VARRAY_GENERIC(_field, _state, _field_num, _numtype,   \
                               _flag, _max, _version, _info, _type) {  \
    .name = #_field,                                                   \
    .version_id = (_version),                                          \
    .num_offset = vmstate_offset_value(_state, _field_num, _numtype),  \
    .max_elems = (_max),                                               \
    .info = &(_info),                                                  \
    .size = sizeof(_type),                                             \
    .flags = (_flag) | VMS_POINTER,                                    \
    .offset = vmstate_offset_pointer(_state, _field, _type),           \
}
#define VMSTATE_VARRAY_UINT32(_f, _s, _fn, _max, _v, _info, _type)     \
    VMSTATE_VARRAY_GENERIC(_f, _s, _fn, uint32_t, VMS_VARRAY_UINT32,   \
                           _max, _v, _info, _type)
#define VMSTATE_VARRAY_UINT32_ALLOC(_f, _s, _fn, _max, _v, _info, _type) \
    VMSTATE_VARRAY_GENERIC(_f, _s, _fn, uint32_t,                      \
                           VMS_VARRAY_UINT32 | VMS_ALLOC, _max, _v,    \
                           _info, _type)
#define VMSTATE_VARRAY_INT32(_f, _s, _fn, _max, _v, _info, _type)      \
    VMSTATE_VARRAY_GENERIC(_f, _s, _fn, int32_t, VMS_VARRAY_INT32,     \
                           _max, _v, _info, _type)
#define VMSTATE_VARRAY_UINT16(_f, _s, _fn, _max, _v, _info, _type)     \
    VMSTATE_VARRAY_GENERIC(_f, _s, _fn, uint16_t, VMS_VARRAY_UINT16,   \
                           _max, _v, _info, _type)
#define VMSTATE_VARRAY_UINT8(_f, _s, _fn, _max, _v, _info, _type)      \
    VMSTATE_VARRAY_GENERIC(_f, _s, _fn, uint8_t, VMS_VARRAY_UINT8,     \
                           _max, _v, _info, _type)

/* Raw bytes of a char/uint8_t array in the struct. */
#define VMSTATE_BUFFER_V(_field, _state, _version) {                   \
    .name = #_field,                                                   \
    .version_id = (_version),                                          \
    .size = sizeof(typeof_field(_state, _field)),                      \
    .info = &vmstate_info_buffer,                                      \
    .flags = VMS_BUFFER,                                               \
    .offset = vmstate_offset_buffer(_state, _field),                   \
}
#define VMSTATE_BUFFER(_f, _s) VMSTATE_BUFFER_V(_f, _s, 0)

/* A struct embedded in ours, described by _vmsd. */
#define VMSTATE_STRUCT(_field, _state, _version, _vmsd, _type) {       \
    .name = #_field,                                                   \
    .version_id = (_version),                                          \
    .vmsd = &(_vmsd),                                                  \
    .size = sizeof(_type),                                             \
    .flags = VMS_STRUCT,                                               \
    .offset = vmstate_offset_value(_state, _field, _type),             \
}
/*
 * The first _num elements of _field[_len] under the stream name _name:
 * for an array longer than the stream's, or named differently.
 */
#define VMSTATE_STRUCT_ARRAY_NAMED(_name, _field, _state, _num, _len,   \
                                   _version, _vmsd, _type) {            \
    .name = (_name),                                                   \
    .version_id = (_version),                                          \
    .num = (_num),                                                     \
    .vmsd = &(_vmsd),                                                  \
    .size = sizeof(_type),                                             \
    .flags = VMS_STRUCT | VMS_ARRAY,                                   \
    .offset = vmstate_offset_array(_state, _field, _type, _len),       \
}
#define VMSTATE_STRUCT_ARRAY(_field, _state, _num, _version, _vmsd, _type) \
    VMSTATE_STRUCT_ARRAY_NAMED(#_field, _field, _state, _num, _num,     \
                               _version, _vmsd, _type)
/* Our struct holds a pointer to the sub-struct (which must exist). */
#define VMSTATE_STRUCT_POINTER_V(_field, _state, _version, _vmsd, _type) { \
    .name = #_field,                                                   \
    .version_id = (_version),                                          \
    .vmsd = &(_vmsd),                                                  \
    .size = sizeof(_type),                                             \
    .flags = VMS_STRUCT | VMS_POINTER,                                 \
    .offset = vmstate_offset_pointer(_state, _field, _type),           \
}
#define VMSTATE_STRUCT_POINTER(_f, _s, _vmsd, _type)                   \
    VMSTATE_STRUCT_POINTER_V(_f, _s, 0, _vmsd, _type)

/*
 * A QEMUTimer * field: saved as the expiry in ns (-1 when not pending);
 * loading re-arms it with timer_mod_ns or deletes it.
 */
#define VMSTATE_TIMER_PTR_V(_field, _state, _version) {                \
    .name = #_field,                                                   \
    .version_id = (_version),                                          \
    .size = sizeof(QEMUTimer *),                                       \
    .info = &vmstate_info_timer,                                       \
    .flags = VMS_SINGLE | VMS_POINTER,                                 \
    .offset = vmstate_offset_value(_state, _field, QEMUTimer *),       \
}
#define VMSTATE_TIMER_PTR(_f, _s) VMSTATE_TIMER_PTR_V(_f, _s, 0)

/* Bytes in the stream with nothing behind them: written as zeros. */
#define VMSTATE_UNUSED_V(_version, _size) {                            \
    .name = "unused",                                                  \
    .version_id = (_version),                                          \
    .size = (_size),                                                   \
    .info = &vmstate_info_unused_buffer,                               \
    .flags = VMS_BUFFER,                                               \
}
#define VMSTATE_UNUSED(_size) VMSTATE_UNUSED_V(0, _size)

/* Not in the stream: loading fails unless _test(opaque, version) holds. */
#define VMSTATE_VALIDATE(_name, _test) {                               \
    .name = (_name),                                                   \
    .field_exists = (_test),                                           \
    .flags = VMS_ARRAY | VMS_MUST_EXIST,                               \
    .num = 0,                                                          \
}

#define VMSTATE_END_OF_LIST() { .flags = VMS_END }

/* Stream markers (QEMU's values). */
#define QEMU_VM_EOF                  0x00
#define QEMU_VM_SECTION_START        0x01
#define QEMU_VM_SECTION_PART         0x02
#define QEMU_VM_SECTION_END          0x03
#define QEMU_VM_SECTION_FULL         0x04
#define QEMU_VM_SUBSECTION           0x05
#define QEMU_VM_VMDESCRIPTION        0x06
#define QEMU_VM_CONFIGURATION        0x07
#define QEMU_VM_COMMAND              0x08
#define QEMU_VM_SECTION_FOOTER       0x7e

/*
 * Write the state of opaque as vmsd describes it, subsections included.
 * vmdesc, when not NULL, is a QDict that receives a JSON description of
 * what was written ("vmsd_name", "version", "fields", "subsections").
 * Returns 0 or a negative errno with *errp set.
 */
int vmstate_save_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, QObject *vmdesc, Error **errp);
/*
 * Load state written at stream version version_id.  Errors name the
 * description and the field: "vmstate 'serial': field 'divider': ...".
 */
int vmstate_load_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, int version_id, Error **errp);

/*
 * Registration (migration/savevm.c).  instance_id VMSTATE_INSTANCE_ID_ANY
 * picks one more than the highest instance of the same name.  obj is the
 * owning device, or NULL; it is kept to unregister by owner.
 */
#define VMSTATE_INSTANCE_ID_ANY (-1)
int vmstate_register(struct Object *obj, int instance_id,
                     const VMStateDescription *vmsd, void *opaque);
void vmstate_unregister(struct Object *obj, const VMStateDescription *vmsd,
                        void *opaque);

/*
 * Every registered description as JSON, in the shape of QEMU's
 * -dump-vmstate (scripts/vmstate-static-checker.py reads it).
 */
void vmstate_dump_json(FILE *out);
/* The same for an explicit list (NULL-terminated) of descriptions. */
void vmstate_dump_json_list(FILE *out, const char *machine,
                            const VMStateDescription *const *list);

#endif
