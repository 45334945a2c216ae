/*
 * VMState interpreter: walks a VMStateDescription's field table to save
 * or load a struct, and dumps descriptions as JSON.
 *
 * Loading treats the stream as untrusted: counts are checked against the
 * capacity the description gives, booleans must be 0 or 1, and a short
 * stream ends in an error naming the description and field, never a
 * crash.
 */
#include "migration/vmstate.h"
#include "system/timer.h"

/* --- Element kinds --------------------------------------------------- */

static int get_bool(QEMUFile *f, void *pv, size_t size,
                    const VMStateField *field)
{
    int v = qemu_get_byte(f);
    if (v > 1) {
        return -EINVAL;
    }
    *(bool *)pv = v;
    return 0;
}

static int put_bool(QEMUFile *f, void *pv, size_t size,
                    const VMStateField *field)
{
    qemu_put_byte(f, *(bool *)pv);
    return 0;
}

const VMStateInfo vmstate_info_bool = {
    .name = "bool", .get = get_bool, .put = put_bool,
};

#define DEFINE_INT_INFO(_name, _type, _bits, _get, _put)               \
    static int get_##_name(QEMUFile *f, void *pv, size_t size,         \
                           const VMStateField *field)                  \
    {                                                                  \
        *(_type *)pv = (_type)_get(f);                                 \
        return 0;                                                      \
    }                                                                  \
    static int put_##_name(QEMUFile *f, void *pv, size_t size,         \
                           const VMStateField *field)                  \
    {                                                                  \
        _put(f, *(_type *)pv);                                         \
        return 0;                                                      \
    }                                                                  \
    const VMStateInfo vmstate_info_##_name = {                         \
        .name = #_name, .get = get_##_name, .put = put_##_name,        \
    };

DEFINE_INT_INFO(int8, int8_t, 8, qemu_get_byte, qemu_put_byte)
DEFINE_INT_INFO(int16, int16_t, 16, qemu_get_be16, qemu_put_be16)
DEFINE_INT_INFO(int32, int32_t, 32, qemu_get_be32, qemu_put_be32)
DEFINE_INT_INFO(int64, int64_t, 64, qemu_get_be64, qemu_put_be64)
DEFINE_INT_INFO(uint8, uint8_t, 8, qemu_get_byte, qemu_put_byte)
DEFINE_INT_INFO(uint16, uint16_t, 16, qemu_get_be16, qemu_put_be16)
DEFINE_INT_INFO(uint32, uint32_t, 32, qemu_get_be32, qemu_put_be32)
DEFINE_INT_INFO(uint64, uint64_t, 64, qemu_get_be64, qemu_put_be64)

static int get_buffer(QEMUFile *f, void *pv, size_t size,
                      const VMStateField *field)
{
    qemu_get_buffer(f, pv, size);
    return 0;
}

static int put_buffer(QEMUFile *f, void *pv, size_t size,
                      const VMStateField *field)
{
    qemu_put_buffer(f, pv, size);
    return 0;
}

const VMStateInfo vmstate_info_buffer = {
    .name = "buffer", .get = get_buffer, .put = put_buffer,
};

static int get_unused_buffer(QEMUFile *f, void *pv, size_t size,
                             const VMStateField *field)
{
    uint8_t scratch[1024];
    while (size) {
        size_t n = MIN(size, sizeof(scratch));
        qemu_get_buffer(f, scratch, n);
        size -= n;
    }
    return 0;
}

static int put_unused_buffer(QEMUFile *f, void *pv, size_t size,
                             const VMStateField *field)
{
    static const uint8_t zeros[1024];
    while (size) {
        size_t n = MIN(size, sizeof(zeros));
        qemu_put_buffer(f, zeros, n);
        size -= n;
    }
    return 0;
}

const VMStateInfo vmstate_info_unused_buffer = {
    .name = "unused_buffer", .get = get_unused_buffer,
    .put = put_unused_buffer,
};

/* pv is the QEMUTimer itself (the field is a pointer, VMS_POINTER). */
static int get_timer(QEMUFile *f, void *pv, size_t size,
                     const VMStateField *field)
{
    int64_t expire = (int64_t)qemu_get_be64(f);
    if (qemu_file_get_error(f)) {
        return qemu_file_get_error(f);
    }
    if (expire == -1) {
        timer_del(pv);
    } else if (expire < 0) {
        return -EINVAL;
    } else {
        timer_mod_ns(pv, expire);
    }
    return 0;
}

static int put_timer(QEMUFile *f, void *pv, size_t size,
                     const VMStateField *field)
{
    qemu_put_be64(f, (uint64_t)timer_expire_time_ns(pv));
    return 0;
}

const VMStateInfo vmstate_info_timer = {
    .name = "timer", .get = get_timer, .put = put_timer,
};

/* --- Field helpers --------------------------------------------------- */

static bool field_is_varray(const VMStateField *field)
{
    return field->flags & VMS_VARRAY_ANY;
}

/* Element count; for a variable array, read from the struct (may be < 0). */
static int64_t vmstate_n_elems(void *opaque, const VMStateField *field)
{
    const uint8_t *p = (const uint8_t *)opaque + field->num_offset;

    if (field->flags & VMS_ARRAY) {
        return field->num;
    }
    if (field->flags & VMS_VARRAY_INT32) {
        return *(const int32_t *)p;
    }
    if (field->flags & VMS_VARRAY_UINT32) {
        return *(const uint32_t *)p;
    }
    if (field->flags & VMS_VARRAY_UINT16) {
        return *(const uint16_t *)p;
    }
    if (field->flags & VMS_VARRAY_UINT8) {
        return *(const uint8_t *)p;
    }
    return 1;
}

static bool field_in_stream(const VMStateField *field, void *opaque,
                            int version_id)
{
    if (field->field_exists) {
        return field->field_exists(opaque, version_id);
    }
    return field->version_id <= version_id;
}

static bool subsection_needed(const VMStateDescription *vmsd, void *opaque)
{
    return !vmsd->needed || vmsd->needed(opaque);
}

/* --- Save ------------------------------------------------------------ */

static int vmstate_subsection_save(QEMUFile *f,
                                   const VMStateDescription *vmsd,
                                   void *opaque, QObject *vmdesc,
                                   Error **errp);

static QObject *vmdesc_field(const VMStateField *field, int64_t n)
{
    QObject *d = qdict_new();
    qdict_put_str(d, "name", field->name);
    qdict_put_str(d, "type", field->vmsd ? "struct" :
                  field->info ? field->info->name : "unknown");
    qdict_put_uint(d, "size", field->size);
    if (n != 1) {
        qdict_put_int(d, "array_len", n);
    }
    return d;
}

int vmstate_save_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, QObject *vmdesc, Error **errp)
{
    QObject *fields = NULL;
    int ret;

    if (vmsd->pre_save) {
        ret = vmsd->pre_save(opaque);
        if (ret) {
            error_setg(errp, "vmstate '%s': pre_save failed: %s", vmsd->name,
                       strerror(ret < 0 ? -ret : EINVAL));
            return ret < 0 ? ret : -EINVAL;
        }
    }
    if (vmdesc) {
        qdict_put_str(vmdesc, "vmsd_name", vmsd->name);
        qdict_put_int(vmdesc, "version", vmsd->version_id);
        fields = qlist_new();
        qdict_put(vmdesc, "fields", fields);
    }

    for (const VMStateField *field = vmsd->fields;
         field && field->name; field++) {
        if (field->flags & VMS_MUST_EXIST ||
            !field_in_stream(field, opaque, vmsd->version_id)) {
            continue;
        }
        uint8_t *first = (uint8_t *)opaque + field->offset;
        int64_t n = vmstate_n_elems(opaque, field);
        size_t size = field->size;

        if (field_is_varray(field) && (n < 0 || n > field->max_elems)) {
            error_setg(errp, "vmstate '%s': field '%s': length %" PRId64
                       " exceeds the maximum %d", vmsd->name, field->name,
                       n, field->max_elems);
            return -EINVAL;
        }
        if (field->flags & VMS_POINTER) {
            first = *(uint8_t **)first;
            if (!first && n && size) {
                error_setg(errp, "vmstate '%s': field '%s': NULL pointer",
                           vmsd->name, field->name);
                return -EINVAL;
            }
        }
        if (fields) {
            qlist_append(fields, vmdesc_field(field, n));
        }
        for (int64_t i = 0; i < n; i++) {
            uint8_t *elem = first + size * i;
            if (field->flags & VMS_STRUCT) {
                ret = vmstate_save_state(f, field->vmsd, elem, NULL, errp);
                if (ret) {
                    error_prepend(errp, "vmstate '%s': field '%s': ",
                                  vmsd->name, field->name);
                    return ret;
                }
            } else {
                ret = field->info->put(f, elem, size, field);
                if (ret) {
                    error_setg(errp, "vmstate '%s': field '%s': %s",
                               vmsd->name, field->name, strerror(-ret));
                    return ret;
                }
            }
        }
    }

    ret = vmstate_subsection_save(f, vmsd, opaque, vmdesc, errp);
    if (ret) {
        return ret;
    }
    if (vmsd->post_save) {
        vmsd->post_save(opaque);
    }
    ret = qemu_file_get_error(f);
    if (ret) {
        error_setg(errp, "vmstate '%s': write failed: %s", vmsd->name,
                   qemu_file_error_string(f));
    }
    return ret;
}

static int vmstate_subsection_save(QEMUFile *f,
                                   const VMStateDescription *vmsd,
                                   void *opaque, QObject *vmdesc,
                                   Error **errp)
{
    QObject *list = NULL;

    for (const VMStateDescription *const *sub = vmsd->subsections;
         sub && *sub; sub++) {
        if (!subsection_needed(*sub, opaque)) {
            continue;
        }
        size_t len = strlen((*sub)->name);
        assert(len <= 255);
        qemu_put_byte(f, QEMU_VM_SUBSECTION);
        qemu_put_byte(f, len);
        qemu_put_buffer(f, (const uint8_t *)(*sub)->name, len);
        qemu_put_be32(f, (*sub)->version_id);

        QObject *desc = NULL;
        if (vmdesc) {
            if (!list) {
                list = qlist_new();
                qdict_put(vmdesc, "subsections", list);
            }
            desc = qdict_new();
            qlist_append(list, desc);
        }
        int ret = vmstate_save_state(f, *sub, opaque, desc, errp);
        if (ret) {
            return ret;
        }
    }
    return 0;
}

/* --- Load ------------------------------------------------------------ */

static int vmstate_load(QEMUFile *f, const VMStateDescription *vmsd,
                        void *opaque, int version_id, int depth,
                        Error **errp);

static const VMStateDescription *
find_subsection(const VMStateDescription *const *sub, const char *name)
{
    for (; sub && *sub; sub++) {
        if (!strcmp((*sub)->name, name)) {
            return *sub;
        }
    }
    return NULL;
}

/*
 * Subsections come after the fields, each as
 *   QEMU_VM_SUBSECTION, u8 name length, name, be32 version, state
 * in any order.  One whose name does not start with ours belongs to an
 * enclosing description and is left in the stream for it; at the top
 * level there is none, so it is unknown.
 */
static int vmstate_subsection_load(QEMUFile *f,
                                   const VMStateDescription *vmsd,
                                   void *opaque, int depth, Error **errp)
{
    size_t prefix = strlen(vmsd->name);

    while (qemu_peek_byte(f, 0) == QEMU_VM_SUBSECTION) {
        const uint8_t *peek;
        char name[256];
        int len = qemu_peek_byte(f, 1);

        if (len < 0 || qemu_peek_buffer(f, &peek, len, 2) != (size_t)len) {
            /* A marker without its header: consume to latch the EOF. */
            uint8_t scratch[2 + 255];
            qemu_get_buffer(f, scratch, len < 0 ? 2 : 2 + len);
            break;
        }
        memcpy(name, peek, len);
        name[len] = '\0';
        if (strncmp(name, vmsd->name, prefix) && depth > 0) {
            return 0;
        }
        const VMStateDescription *sub = find_subsection(vmsd->subsections,
                                                        name);
        if (!sub) {
            error_setg(errp, "vmstate '%s': unknown subsection '%s'",
                       vmsd->name, name);
            return -ENOENT;
        }
        qemu_file_skip(f, 2 + len);
        int version_id = qemu_get_be32(f);
        if (qemu_file_get_error(f)) {
            break;
        }
        int ret = vmstate_load(f, sub, opaque, version_id, depth + 1, errp);
        if (ret) {
            return ret;
        }
    }
    if (qemu_file_get_error(f)) {
        error_setg(errp, "vmstate '%s': subsections: %s", vmsd->name,
                   qemu_file_error_string(f));
        return qemu_file_get_error(f);
    }
    return 0;
}

static int vmstate_load_field(QEMUFile *f, const VMStateDescription *vmsd,
                              const VMStateField *field, void *opaque,
                              int depth, Error **errp)
{
    uint8_t *first = (uint8_t *)opaque + field->offset;
    int64_t n = vmstate_n_elems(opaque, field);
    size_t size = field->size;
    int ret;

    if (field_is_varray(field)) {
        if (n < 0 || n > field->max_elems) {
            error_setg(errp, "vmstate '%s': field '%s': length %" PRId64
                       " exceeds the maximum %d", vmsd->name, field->name,
                       n, field->max_elems);
            return -EINVAL;
        }
        if (field->flags & VMS_ALLOC) {
            void **pp = (void **)first;
            free(*pp);
            *pp = n ? xcalloc(n, size) : NULL;
        }
    }
    if (field->flags & VMS_POINTER) {
        first = *(uint8_t **)first;
        if (!first && n && size) {
            error_setg(errp, "vmstate '%s': field '%s': NULL pointer",
                       vmsd->name, field->name);
            return -EINVAL;
        }
    }
    for (int64_t i = 0; i < n; i++) {
        uint8_t *elem = first + size * i;
        if (field->flags & VMS_STRUCT) {
            ret = vmstate_load(f, field->vmsd, elem, field->vmsd->version_id,
                               depth + 1, errp);
            if (ret) {
                error_prepend(errp, "vmstate '%s': field '%s': ",
                              vmsd->name, field->name);
                return ret;
            }
            continue;
        }
        ret = field->info->get(f, elem, size, field);
        if (qemu_file_get_error(f)) {
            error_setg(errp, "vmstate '%s': field '%s': %s", vmsd->name,
                       field->name, qemu_file_error_string(f));
            return qemu_file_get_error(f);
        }
        if (ret) {
            error_setg(errp, "vmstate '%s': field '%s': bad value: %s",
                       vmsd->name, field->name, strerror(-ret));
            return ret;
        }
    }
    return 0;
}

static int vmstate_load(QEMUFile *f, const VMStateDescription *vmsd,
                        void *opaque, int version_id, int depth,
                        Error **errp)
{
    int ret;

    if (version_id > vmsd->version_id ||
        version_id < vmsd->minimum_version_id) {
        error_setg(errp, "vmstate '%s': version %d not supported (%d..%d)",
                   vmsd->name, version_id, vmsd->minimum_version_id,
                   vmsd->version_id);
        return -EINVAL;
    }
    if (vmsd->pre_load) {
        ret = vmsd->pre_load(opaque);
        if (ret) {
            error_setg(errp, "vmstate '%s': pre_load failed: %s", vmsd->name,
                       strerror(ret < 0 ? -ret : EINVAL));
            return ret < 0 ? ret : -EINVAL;
        }
    }
    for (const VMStateField *field = vmsd->fields;
         field && field->name; field++) {
        if (field->flags & VMS_MUST_EXIST) {
            if (!field->field_exists(opaque, version_id)) {
                error_setg(errp, "vmstate '%s': input validation failed: %s",
                           vmsd->name, field->name);
                return -EINVAL;
            }
            continue;
        }
        if (!field_in_stream(field, opaque, version_id)) {
            continue;
        }
        ret = vmstate_load_field(f, vmsd, field, opaque, depth, errp);
        if (ret) {
            qemu_file_set_error(f, ret);
            return ret;
        }
    }
    ret = vmstate_subsection_load(f, vmsd, opaque, depth, errp);
    if (ret) {
        qemu_file_set_error(f, ret);
        return ret;
    }
    if (vmsd->post_load) {
        ret = vmsd->post_load(opaque, version_id);
        if (ret) {
            error_setg(errp, "vmstate '%s': post_load failed: %s",
                       vmsd->name, strerror(ret < 0 ? -ret : EINVAL));
            ret = ret < 0 ? ret : -EINVAL;
            qemu_file_set_error(f, ret);
            return ret;
        }
    }
    return 0;
}

int vmstate_load_state(QEMUFile *f, const VMStateDescription *vmsd,
                       void *opaque, int version_id, Error **errp)
{
    return vmstate_load(f, vmsd, opaque, version_id, 0, errp);
}

/* --- JSON dump (QEMU's -dump-vmstate layout) ------------------------- */

static void dump_vmsd(FILE *out, const VMStateDescription *vmsd, int indent,
                      bool is_subsection);

static void dump_field(FILE *out, const VMStateField *field, int indent)
{
    fprintf(out, "%*s{\n", indent, "");
    indent += 2;
    fprintf(out, "%*s\"field\": \"%s\",\n", indent, "", field->name);
    fprintf(out, "%*s\"version_id\": %d,\n", indent, "", field->version_id);
    fprintf(out, "%*s\"field_exists\": %s,\n", indent, "",
            field->field_exists ? "true" : "false");
    if (field->flags & VMS_ARRAY) {
        fprintf(out, "%*s\"num\": %d,\n", indent, "", field->num);
    }
    fprintf(out, "%*s\"size\": %zu", indent, "", field->size);
    if (field->vmsd) {
        fprintf(out, ",\n");
        dump_vmsd(out, field->vmsd, indent, false);
    }
    fprintf(out, "\n%*s}", indent - 2, "");
}

static void dump_vmsd(FILE *out, const VMStateDescription *vmsd, int indent,
                      bool is_subsection)
{
    if (is_subsection) {
        fprintf(out, "%*s{\n", indent, "");
    } else {
        fprintf(out, "%*s\"Description\": {\n", indent, "");
    }
    indent += 2;
    fprintf(out, "%*s\"name\": \"%s\",\n", indent, "", vmsd->name);
    fprintf(out, "%*s\"version_id\": %d,\n", indent, "", vmsd->version_id);
    fprintf(out, "%*s\"minimum_version_id\": %d", indent, "",
            vmsd->minimum_version_id);
    if (vmsd->fields) {
        bool first = true;
        fprintf(out, ",\n%*s\"Fields\": [\n", indent, "");
        for (const VMStateField *field = vmsd->fields; field->name; field++) {
            if (field->flags & VMS_MUST_EXIST) {
                continue;   /* validation only: nothing in the stream */
            }
            if (!first) {
                fprintf(out, ",\n");
            }
            dump_field(out, field, indent + 2);
            first = false;
        }
        fprintf(out, "\n%*s]", indent, "");
    }
    if (vmsd->subsections) {
        bool first = true;
        fprintf(out, ",\n%*s\"Subsections\": [\n", indent, "");
        for (const VMStateDescription *const *sub = vmsd->subsections;
             *sub; sub++) {
            if (!first) {
                fprintf(out, ",\n");
            }
            dump_vmsd(out, *sub, indent + 2, true);
            first = false;
        }
        fprintf(out, "\n%*s]", indent, "");
    }
    fprintf(out, "\n%*s}", indent - 2, "");
}

void vmstate_dump_json_list(FILE *out, const char *machine,
                            const VMStateDescription *const *list)
{
    fprintf(out, "{\n");
    fprintf(out, "  \"vmschkmachine\": {\n");
    fprintf(out, "    \"Name\": \"%s\"\n", machine);
    fprintf(out, "  }");
    for (; list && *list; list++) {
        const VMStateDescription *vmsd = *list;
        int indent = 2;

        fprintf(out, ",\n%*s\"%s\": {\n", indent, "", vmsd->name);
        indent += 2;
        fprintf(out, "%*s\"Name\": \"%s\",\n", indent, "", vmsd->name);
        fprintf(out, "%*s\"version_id\": %d,\n", indent, "",
                vmsd->version_id);
        fprintf(out, "%*s\"minimum_version_id\": %d,\n", indent, "",
                vmsd->minimum_version_id);
        dump_vmsd(out, vmsd, indent, false);
        fprintf(out, "\n%*s}", indent - 2, "");
    }
    fprintf(out, "\n}\n");
}
