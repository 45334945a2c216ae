/*
 * savevm: the registry of state to migrate, and the stream format that
 * carries it (see include/migration/savevm.h for the layout).
 *
 * The registry is process-wide, as QEMU's savevm_state is: devices
 * register when realized and the monitor's savevm/loadvm and migration
 * walk it.  Callers hold the big lock.
 */
#include "migration/savevm.h"
#include "hw/core/cpu.h"
#include "migration/register.h"
#include "util/queue.h"

typedef struct SaveStateEntry {
    QTAILQ_ENTRY(SaveStateEntry) entry;
    char idstr[256];
    uint32_t instance_id;
    int version_id;
    uint32_t section_id;          /* assigned per save, in stream order */
    const SaveVMHandlers *ops;    /* live or legacy handlers, or NULL */
    const VMStateDescription *vmsd;
    void *opaque;
    struct Object *obj;
    MigrationPriority priority;
} SaveStateEntry;

typedef struct SaveState {
    QTAILQ_HEAD(, SaveStateEntry) handlers;
    char *machine_name;
} SaveState;

static SaveState savevm_state = {
    .handlers = QTAILQ_HEAD_INITIALIZER(savevm_state.handlers),
};

/* A section seen on load: PART/END sections refer to it by id. */
typedef struct LoadStateEntry {
    QLIST_ENTRY(LoadStateEntry) entry;
    SaveStateEntry *se;
    uint32_t section_id;
    int version_id;
} LoadStateEntry;

typedef QLIST_HEAD(, LoadStateEntry) LoadStateList;

void savevm_set_machine_name(const char *name)
{
    free(savevm_state.machine_name);
    savevm_state.machine_name = name ? xstrdup(name) : NULL;
}

const char *savevm_get_machine_name(void)
{
    return savevm_state.machine_name ? savevm_state.machine_name : "pc";
}

/* --- Registration ---------------------------------------------------- */

static bool se_is_live(const SaveStateEntry *se)
{
    return se->ops && se->ops->save_setup;
}

static bool se_is_active(const SaveStateEntry *se)
{
    return !se->ops || !se->ops->is_active || se->ops->is_active(se->opaque);
}

static SaveStateEntry *find_se(const char *idstr, uint32_t instance_id)
{
    SaveStateEntry *se;
    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!strcmp(se->idstr, idstr) && se->instance_id == instance_id) {
            return se;
        }
    }
    return NULL;
}

static uint32_t calculate_new_instance_id(const char *idstr)
{
    SaveStateEntry *se;
    uint32_t id = 0;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!strcmp(se->idstr, idstr) && se->instance_id >= id) {
            id = se->instance_id + 1;
        }
    }
    return id;
}

/* Higher priorities first; equal ones in registration order. */
static int savevm_state_insert(SaveStateEntry *se, int instance_id)
{
    SaveStateEntry *other;

    if (instance_id == VMSTATE_INSTANCE_ID_ANY) {
        se->instance_id = calculate_new_instance_id(se->idstr);
    } else if (instance_id < 0) {
        error_report("savevm: invalid instance id %d for '%s'", instance_id,
                     se->idstr);
        free(se);
        return -EINVAL;
    } else {
        se->instance_id = instance_id;
    }
    if (find_se(se->idstr, se->instance_id)) {
        error_report("savevm: '%s' instance %u is already registered",
                     se->idstr, se->instance_id);
        free(se);
        return -EEXIST;
    }
    QTAILQ_FOREACH(other, &savevm_state.handlers, entry) {
        if (other->priority < se->priority) {
            QTAILQ_INSERT_BEFORE(other, se, entry);
            return se->instance_id;
        }
    }
    QTAILQ_INSERT_TAIL(&savevm_state.handlers, se, entry);
    return se->instance_id;
}

int register_savevm_live(const char *idstr, int instance_id, int version_id,
                         const SaveVMHandlers *ops, void *opaque)
{
    SaveStateEntry *se = xnew(SaveStateEntry);

    assert(strlen(idstr) < sizeof(se->idstr));
    snprintf(se->idstr, sizeof(se->idstr), "%s", idstr);
    se->version_id = version_id;
    se->ops = ops;
    se->opaque = opaque;
    /* Live state (RAM) goes first, as in QEMU's stream. */
    se->priority = ops->save_setup ? MIG_PRI_MAX : MIG_PRI_DEFAULT;
    return savevm_state_insert(se, instance_id);
}

void unregister_savevm(struct Object *obj, const char *idstr, void *opaque)
{
    SaveStateEntry *se, *next;
    QTAILQ_FOREACH_SAFE(se, &savevm_state.handlers, entry, next) {
        if (!se->vmsd && se->opaque == opaque && se->obj == obj &&
            !strcmp(se->idstr, idstr)) {
            QTAILQ_REMOVE(&savevm_state.handlers, se, entry);
            free(se);
        }
    }
}

int vmstate_register(struct Object *obj, int instance_id,
                     const VMStateDescription *vmsd, void *opaque)
{
    SaveStateEntry *se = xnew(SaveStateEntry);

    assert(strlen(vmsd->name) < sizeof(se->idstr));
    snprintf(se->idstr, sizeof(se->idstr), "%s", vmsd->name);
    se->version_id = vmsd->version_id;
    se->vmsd = vmsd;
    se->opaque = opaque;
    se->obj = obj;
    se->priority = vmsd->priority;
    return savevm_state_insert(se, instance_id);
}

void vmstate_unregister(struct Object *obj, const VMStateDescription *vmsd,
                        void *opaque)
{
    SaveStateEntry *se, *next;
    QTAILQ_FOREACH_SAFE(se, &savevm_state.handlers, entry, next) {
        if (se->vmsd == vmsd && se->opaque == opaque) {
            QTAILQ_REMOVE(&savevm_state.handlers, se, entry);
            free(se);
        }
    }
}

void vmstate_dump_json(FILE *out)
{
    SaveStateEntry *se;
    size_t n = 0;
    const VMStateDescription **list;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        n++;
    }
    list = xnew_array(const VMStateDescription *, n + 1);
    n = 0;
    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        bool seen = false;
        if (!se->vmsd) {
            continue;
        }
        /* Many instances share a description: list it once. */
        for (size_t i = 0; i < n; i++) {
            seen |= list[i] == se->vmsd;
        }
        if (!seen) {
            list[n++] = se->vmsd;
        }
    }
    vmstate_dump_json_list(out, savevm_get_machine_name(), list);
    free(list);
}

/* --- Save ------------------------------------------------------------ */

static void save_section_header(QEMUFile *f, SaveStateEntry *se,
                                uint8_t type)
{
    qemu_put_byte(f, type);
    qemu_put_be32(f, se->section_id);
    if (type == QEMU_VM_SECTION_START || type == QEMU_VM_SECTION_FULL) {
        size_t len = strlen(se->idstr);
        qemu_put_byte(f, len);
        qemu_put_buffer(f, (const uint8_t *)se->idstr, len);
        qemu_put_be32(f, se->instance_id);
        qemu_put_be32(f, se->version_id);
    }
}

static void save_section_footer(QEMUFile *f, SaveStateEntry *se)
{
    qemu_put_byte(f, QEMU_VM_SECTION_FOOTER);
    qemu_put_be32(f, se->section_id);
}

static int file_error(QEMUFile *f, Error **errp, const char *what)
{
    int ret = qemu_file_get_error(f);
    if (ret) {
        error_setg(errp, "%s: %s", what, qemu_file_error_string(f));
    }
    return ret;
}

void qemu_savevm_state_header(QEMUFile *f)
{
    const char *machine = savevm_get_machine_name();
    size_t len = strlen(machine);
    SaveStateEntry *se;
    uint32_t section_id = 0;

    /* Section ids in stream order, so equal states give equal streams. */
    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        se->section_id = section_id++;
    }
    qemu_file_reset_checksum(f);
    qemu_put_be32(f, QEMU_VM_FILE_MAGIC);
    qemu_put_be32(f, QEMU_VM_FILE_VERSION);
    qemu_put_byte(f, QEMU_VM_CONFIGURATION);
    qemu_put_be32(f, len);
    qemu_put_buffer(f, (const uint8_t *)machine, len);
}

int qemu_savevm_state_setup(QEMUFile *f, Error **errp)
{
    SaveStateEntry *se;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!se_is_live(se) || !se_is_active(se)) {
            continue;
        }
        save_section_header(f, se, QEMU_VM_SECTION_START);
        int ret = se->ops->save_setup(f, se->opaque, errp);
        if (ret < 0) {
            error_prepend(errp, "savevm: setting up '%s': ", se->idstr);
            qemu_file_set_error(f, ret);
            return ret;
        }
        save_section_footer(f, se);
    }
    return file_error(f, errp, "savevm: writing the stream");
}

int qemu_savevm_state_iterate(QEMUFile *f, Error **errp)
{
    SaveStateEntry *se;
    int all_done = 1;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!se_is_live(se) || !se_is_active(se) ||
            !se->ops->save_live_iterate) {
            continue;
        }
        if (qemu_file_rate_limit(f)) {
            return file_error(f, errp, "savevm: writing the stream") ?: 0;
        }
        save_section_header(f, se, QEMU_VM_SECTION_PART);
        int ret = se->ops->save_live_iterate(f, se->opaque);
        save_section_footer(f, se);
        if (ret < 0) {
            error_setg(errp, "savevm: '%s' failed: %s", se->idstr,
                       strerror(-ret));
            qemu_file_set_error(f, ret);
            return ret;
        }
        if (ret == 0) {
            all_done = 0;
        }
    }
    int ret = file_error(f, errp, "savevm: writing the stream");
    return ret ? ret : all_done;
}

uint64_t qemu_savevm_state_pending(void)
{
    SaveStateEntry *se;
    uint64_t total = 0;

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (se_is_live(se) && se_is_active(se) &&
            se->ops->save_live_pending) {
            uint64_t n = 0;
            se->ops->save_live_pending(se->opaque, &n);
            total += n;
        }
    }
    return total;
}

int qemu_savevm_state_complete_precopy(QEMUFile *f, Error **errp)
{
    SaveStateEntry *se;
    int ret;

    cpu_synchronize_all_states();   /* KVM: registers into CPUX86State */

    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (!se_is_live(se) || !se_is_active(se) ||
            !se->ops->save_live_complete_precopy) {
            continue;
        }
        save_section_header(f, se, QEMU_VM_SECTION_END);
        ret = se->ops->save_live_complete_precopy(f, se->opaque);
        save_section_footer(f, se);
        if (ret < 0) {
            error_setg(errp, "savevm: completing '%s' failed: %s", se->idstr,
                       strerror(-ret));
            qemu_file_set_error(f, ret);
            return ret;
        }
    }
    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (se_is_live(se) || !se_is_active(se)) {
            continue;
        }
        if (!se->vmsd && !(se->ops && se->ops->save_state)) {
            continue;
        }
        save_section_header(f, se, QEMU_VM_SECTION_FULL);
        if (se->vmsd) {
            ret = vmstate_save_state(f, se->vmsd, se->opaque, NULL, errp);
            if (ret) {
                error_prepend(errp, "savevm: instance %u of '%s': ",
                              se->instance_id, se->idstr);
                qemu_file_set_error(f, ret);
                return ret;
            }
        } else {
            se->ops->save_state(f, se->opaque);
        }
        save_section_footer(f, se);
    }
    qemu_put_byte(f, QEMU_VM_EOF);
    uint32_t crc = qemu_file_get_checksum(f);
    qemu_put_be32(f, OSPREY_VM_CHECKSUM_MAGIC);
    qemu_put_be32(f, crc);
    qemu_fflush(f);
    return file_error(f, errp, "savevm: writing the stream");
}

void qemu_savevm_state_cleanup(void)
{
    SaveStateEntry *se;
    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (se->ops && se->ops->save_cleanup) {
            se->ops->save_cleanup(se->opaque);
        }
    }
}

int qemu_savevm_state(QEMUFile *f, Error **errp)
{
    int ret = qemu_file_get_error(f);

    if (ret) {
        error_setg(errp, "savevm: the stream is already in error: %s",
                   qemu_file_error_string(f));
        return ret;
    }
    qemu_savevm_state_header(f);
    ret = qemu_savevm_state_setup(f, errp);
    if (!ret) {
        ret = qemu_savevm_state_complete_precopy(f, errp);
    }
    qemu_savevm_state_cleanup();
    return ret;
}

/* --- Load ------------------------------------------------------------ */

static int load_section_body(QEMUFile *f, LoadStateEntry *le, Error **errp)
{
    SaveStateEntry *se = le->se;
    int ret;

    if (se->vmsd) {
        ret = vmstate_load_state(f, se->vmsd, se->opaque, le->version_id,
                                 errp);
    } else if (se->ops && se->ops->load_state) {
        ret = se->ops->load_state(f, se->opaque, le->version_id, errp);
        if (!ret && qemu_file_get_error(f)) {
            ret = qemu_file_get_error(f);
            error_setg(errp, "%s", qemu_file_error_string(f));
        } else if (ret && errp && !*errp) {
            error_setg(errp, "%s", strerror(-ret));
        }
    } else {
        error_setg(errp, "no handler loads it");
        ret = -EINVAL;
    }
    if (ret) {
        error_prepend(errp, "error while loading state for instance 0x%x "
                      "of device '%s': ", se->instance_id, se->idstr);
        qemu_file_set_error(f, ret);
        return ret;
    }

    int marker = qemu_get_byte(f);
    uint32_t id = qemu_get_be32(f);
    if (qemu_file_get_error(f)) {
        error_setg(errp, "section '%s': %s at the section footer", se->idstr,
                   qemu_file_error_string(f));
        return qemu_file_get_error(f);
    }
    if (marker != QEMU_VM_SECTION_FOOTER) {
        error_setg(errp, "Missing section footer for %s", se->idstr);
        qemu_file_set_error(f, -EINVAL);
        return -EINVAL;
    }
    if (id != le->section_id) {
        error_setg(errp, "Mismatched section id in footer for %s -- read "
                   "0x%x expected 0x%x", se->idstr, id, le->section_id);
        qemu_file_set_error(f, -EINVAL);
        return -EINVAL;
    }
    return 0;
}

static int truncated(QEMUFile *f, Error **errp, const char *where)
{
    error_setg(errp, "migration stream: %s in %s",
               qemu_file_error_string(f), where);
    return qemu_file_get_error(f);
}

static int load_header(QEMUFile *f, Error **errp)
{
    uint32_t magic = qemu_get_be32(f);
    if (qemu_file_get_error(f)) {
        return truncated(f, errp, "the file header");
    }
    if (magic != QEMU_VM_FILE_MAGIC) {
        error_setg(errp, "not an Osprey/QEMU migration stream (magic "
                   "0x%08x)", magic);
        return -EINVAL;
    }
    uint32_t version = qemu_get_be32(f);
    if (qemu_file_get_error(f)) {
        return truncated(f, errp, "the file header");
    }
    if (version != QEMU_VM_FILE_VERSION) {
        error_setg(errp, "not an Osprey/QEMU migration stream of a supported "
                   "version (version %u, expected %u)", version,
                   QEMU_VM_FILE_VERSION);
        return -ENOTSUP;
    }

    int type = qemu_get_byte(f);
    uint32_t len = qemu_get_be32(f);
    if (qemu_file_get_error(f)) {
        return truncated(f, errp, "the configuration section");
    }
    if (type != QEMU_VM_CONFIGURATION) {
        error_setg(errp, "Configuration section missing");
        return -EINVAL;
    }
    if (len > 255) {
        error_setg(errp, "Configuration section: machine type name of %u "
                   "bytes is too long", len);
        return -EINVAL;
    }
    char name[256];
    qemu_get_buffer(f, (uint8_t *)name, len);
    name[len] = '\0';
    if (qemu_file_get_error(f)) {
        return truncated(f, errp, "the configuration section");
    }
    const char *local = savevm_get_machine_name();
    if (strlen(name) != len || strcmp(name, local)) {
        error_setg(errp, "Machine type received is '%s' and local is '%s'",
                   name, local);
        return -EINVAL;
    }
    return 0;
}

static int load_sections(QEMUFile *f, LoadStateList *loaded, Error **errp)
{
    for (;;) {
        int type = qemu_get_byte(f);
        if (qemu_file_get_error(f)) {
            return truncated(f, errp, "a section header");
        }
        if (type == QEMU_VM_EOF) {
            return 0;
        }
        if (type == QEMU_VM_SECTION_START || type == QEMU_VM_SECTION_FULL) {
            uint32_t section_id = qemu_get_be32(f);
            char idstr[256];
            int len = qemu_get_byte(f);
            qemu_get_buffer(f, (uint8_t *)idstr, len);
            idstr[len] = '\0';
            uint32_t instance_id = qemu_get_be32(f);
            int version_id = (int)qemu_get_be32(f);
            if (qemu_file_get_error(f)) {
                return truncated(f, errp, "a section header");
            }
            SaveStateEntry *se = find_se(idstr, instance_id);
            if (!se || strlen(idstr) != (size_t)len) {
                error_setg(errp, "Unknown savevm section or instance '%s' %u."
                           " Make sure that your current VM setup matches "
                           "your saved VM setup", idstr, instance_id);
                return -EINVAL;
            }
            if (!se->vmsd &&
                (version_id > se->version_id || version_id < 0)) {
                error_setg(errp, "savevm: unsupported version %d for '%s' "
                           "v%d", version_id, idstr, se->version_id);
                return -EINVAL;
            }
            LoadStateEntry *le = xnew(LoadStateEntry);
            le->se = se;
            le->section_id = section_id;
            le->version_id = version_id;
            QLIST_INSERT_HEAD(loaded, le, entry);
            int ret = load_section_body(f, le, errp);
            if (ret) {
                return ret;
            }
        } else if (type == QEMU_VM_SECTION_PART ||
                   type == QEMU_VM_SECTION_END) {
            uint32_t section_id = qemu_get_be32(f);
            LoadStateEntry *le;
            if (qemu_file_get_error(f)) {
                return truncated(f, errp, "a section header");
            }
            QLIST_FOREACH(le, loaded, entry) {
                if (le->section_id == section_id) {
                    break;
                }
            }
            if (!le) {
                error_setg(errp, "Unknown savevm section %u", section_id);
                return -EINVAL;
            }
            int ret = load_section_body(f, le, errp);
            if (ret) {
                return ret;
            }
        } else {
            error_setg(errp, "Unknown savevm section type %d", type);
            return -EINVAL;
        }
    }
}

static int load_footer(QEMUFile *f, Error **errp)
{
    uint32_t computed = qemu_file_get_checksum(f);
    uint32_t magic = qemu_get_be32(f);
    uint32_t stored = qemu_get_be32(f);

    if (qemu_file_get_error(f)) {
        return truncated(f, errp, "the checksum footer");
    }
    if (magic != OSPREY_VM_CHECKSUM_MAGIC) {
        error_setg(errp, "migration stream has no checksum footer after its "
                   "end (not written by Osprey, or corrupt)");
        return -EINVAL;
    }
    if (stored != computed) {
        error_setg(errp, "migration stream checksum mismatch (stored 0x%08x,"
                   " computed 0x%08x): the stream is corrupt", stored,
                   computed);
        return -EINVAL;
    }
    return 0;
}

int qemu_loadvm_state_stream(QEMUFile *f, Error **errp)
{
    LoadStateList loaded = QLIST_HEAD_INITIALIZER(loaded);
    SaveStateEntry *se;
    int ret;

    if (qemu_file_get_error(f)) {
        error_setg(errp, "loadvm: the stream is already in error: %s",
                   qemu_file_error_string(f));
        return qemu_file_get_error(f);
    }
    qemu_file_reset_checksum(f);
    ret = load_header(f, errp);
    if (ret) {
        return ret;
    }
    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (se->ops && se->ops->load_setup) {
            ret = se->ops->load_setup(f, se->opaque, errp);
            if (ret) {
                error_prepend(errp, "loadvm: setting up '%s': ", se->idstr);
                goto cleanup;
            }
        }
    }
    /* KVM: what the stream does not set must not be pushed stale. */
    cpu_synchronize_all_states();
    ret = load_sections(f, &loaded, errp);
    if (!ret) {
        ret = load_footer(f, errp);
    }
    if (!ret) {
        cpu_synchronize_all_post_init();   /* KVM: push the loaded state */
    }
cleanup:
    QTAILQ_FOREACH(se, &savevm_state.handlers, entry) {
        if (se->ops && se->ops->load_cleanup) {
            se->ops->load_cleanup(se->opaque);
        }
    }
    while (!QLIST_EMPTY(&loaded)) {
        LoadStateEntry *le = QLIST_FIRST(&loaded);
        QLIST_REMOVE(le, entry);
        free(le);
    }
    return ret;
}

/*
 * Check what can be checked without applying anything: the header, the
 * machine type and the footer's CRC over the whole stream.
 */
static int loadvm_verify(const uint8_t *data, size_t len, Error **errp)
{
    QEMUFile *f = qemu_file_new_buffer_input(data, len);
    int ret = load_header(f, errp);
    qemu_fclose(f);
    if (ret) {
        return ret;
    }
    if (len < 17 || data[len - 9] != QEMU_VM_EOF ||
        ((uint32_t)data[len - 8] << 24 | data[len - 7] << 16 |
         data[len - 6] << 8 | data[len - 5]) !=
        OSPREY_VM_CHECKSUM_MAGIC) {
        error_setg(errp, "migration stream is truncated: no end-of-stream "
                   "checksum footer");
        return -EINVAL;
    }
    uint32_t stored = (uint32_t)data[len - 4] << 24 | data[len - 3] << 16 |
                      data[len - 2] << 8 | data[len - 1];
    uint32_t computed = osprey_crc32(0, data, len - 8);
    if (stored != computed) {
        error_setg(errp, "migration stream checksum mismatch (stored 0x%08x,"
                   " computed 0x%08x): the stream is corrupt", stored,
                   computed);
        return -EINVAL;
    }
    return 0;
}

int qemu_loadvm_state(QEMUFile *f, Error **errp)
{
    size_t len;
    uint8_t *data = qemu_file_read_to_end(f, SAVEVM_MAX_BUFFERED_STREAM, &len);
    int ret = qemu_file_get_error(f);

    if (ret) {
        error_setg(errp, "loadvm: reading the stream: %s",
                   qemu_file_error_string(f));
        goto out;
    }
    ret = loadvm_verify(data, len, errp);
    if (ret) {
        goto out;
    }
    QEMUFile *in = qemu_file_new_buffer_input(data, len);
    ret = qemu_loadvm_state_stream(in, errp);
    if (!ret && qemu_file_transferred(in) != len) {
        error_setg(errp, "migration stream: %" PRIu64 " bytes of garbage "
                   "after its end", (uint64_t)(len - qemu_file_transferred(in)));
        ret = -EINVAL;
    }
    qemu_fclose(in);
out:
    free(data);
    return ret;
}

int qemu_loadvm_state_verify(const uint8_t *data, size_t len, Error **errp)
{
    return loadvm_verify(data, len, errp);
}
