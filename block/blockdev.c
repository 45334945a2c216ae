/*
 * -drive option parsing and opening (see include/block/blockdev.h).
 */
#include "util/osdep.h"
#include "util/error.h"
#include "block/blockdev.h"

void drive_info_free(DriveInfo *d)
{
    if (!d) {
        return;
    }
    free(d->id);
    free(d->interface);
    free(d->file);
    free(d->format);
    free(d->cache);
    free(d);
}

/* Next "key=value" of optstr at *p, undoubling ",," in the value. */
static bool next_option(const char **p, char **key, char **value)
{
    const char *s = *p;
    if (!*s) {
        return false;
    }
    const char *eq = strchr(s, '=');
    const char *comma = strchr(s, ',');
    if (!eq || (comma && comma < eq)) {
        /* A bare word: the key with no value. */
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        *key = xstrndup(s, n);
        *value = NULL;
        *p = s + n + (comma ? 1 : 0);
        return true;
    }
    *key = xstrndup(s, eq - s);
    StrBuf v;
    strbuf_init(&v);
    strbuf_append(&v, "");
    for (s = eq + 1; *s; s++) {
        if (*s == ',') {
            if (s[1] == ',') {
                strbuf_putc(&v, ',');
                s++;
                continue;
            }
            s++;
            break;
        }
        strbuf_putc(&v, *s);
    }
    *value = strbuf_steal(&v);
    *p = s;
    return true;
}

static int parse_on_off(const char *key, const char *value, bool *out,
                        Error **errp)
{
    if (!value || parse_bool(value, out) < 0) {
        error_setg(errp, "Parameter '%s' expects 'on' or 'off'", key);
        return -EINVAL;
    }
    return 0;
}

/* QEMU's id_wellformed: letters, digits, '-', '.', '_', a letter first. */
static bool id_wellformed(const char *id)
{
    if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z'))) {
        return false;
    }
    for (; *id; id++) {
        if (!((*id >= 'a' && *id <= 'z') || (*id >= 'A' && *id <= 'Z') ||
              (*id >= '0' && *id <= '9') || *id == '-' || *id == '.' ||
              *id == '_')) {
            return false;
        }
    }
    return true;
}

/* Move a string option's value into *slot (the value is now owned
 * there); a bare key with no value is an error. */
static int take_value(const char *key, char **value, char **slot,
                      Error **errp)
{
    if (!*value) {
        error_setg(errp, "Parameter '%s' expects a value", key);
        return -EINVAL;
    }
    free(*slot);
    *slot = *value;
    *value = NULL;
    return 0;
}

/* One parameter of -drive or -blockdev: a string or an on/off flag. */
typedef struct OptionSlot {
    const char *key;
    char **str;
    bool *flag;
} OptionSlot;

/* Store key=value in its slot of the table (ended by a NULL key). */
static int set_option(const OptionSlot *slots, const char *key,
                      char **value, Error **errp)
{
    for (const OptionSlot *o = slots; o->key; o++) {
        if (strcmp(key, o->key)) {
            continue;
        }
        if (o->flag) {
            return parse_on_off(key, *value, o->flag, errp);
        }
        return take_value(key, value, o->str, errp);
    }
    error_setg(errp, "Invalid parameter '%s'", key);
    return -EINVAL;
}

/* Every key=value of optstr into its slot; false at the first bad one. */
static bool set_options(const char *optstr, const OptionSlot *slots,
                        Error **errp)
{
    const char *p = optstr;
    char *key, *value;

    while (next_option(&p, &key, &value)) {
        int ret = set_option(slots, key, &value, errp);

        free(key);
        free(value);
        if (ret < 0) {
            return false;
        }
    }
    return true;
}

DriveInfo *drive_parse(const char *optstr, Error **errp)
{
    DriveInfo *d = xnew(DriveInfo);
    static const char *const interfaces[] = { "virtio", "none", "ide",
                                              "scsi", "floppy", "pflash" };
    const OptionSlot slots[] = {
        { "file", &d->file },
        { "format", &d->format },
        { "id", &d->id },
        { "if", &d->interface },
        { "cache", &d->cache },
        { "readonly", NULL, &d->read_only },
        { "snapshot", NULL, &d->snapshot },
        { NULL },
    };

    if (!set_options(optstr, slots, errp)) {
        drive_info_free(d);
        return NULL;
    }
    if (d->id && !id_wellformed(d->id)) {
        error_setg(errp, "Parameter 'id' expects an identifier: letters, "
                   "digits, '-', '.', '_', starting with a letter");
        drive_info_free(d);
        return NULL;
    }
    if (!d->file || !*d->file) {
        error_setg(errp, "Parameter 'file' is missing");
        drive_info_free(d);
        return NULL;
    }
    if (!d->interface) {
        d->interface = xstrdup("virtio");
    }
    bool known = false;
    for (size_t i = 0; i < ARRAY_SIZE(interfaces); i++) {
        known |= !strcmp(d->interface, interfaces[i]);
    }
    if (!known) {
        error_setg(errp, "unsupported bus type '%s'", d->interface);
        drive_info_free(d);
        return NULL;
    }
    if (d->format && (!bdrv_find_format(d->format) ||
                      !strcmp(d->format, "file"))) {
        error_setg(errp, "Unknown driver '%s'", d->format);
        drive_info_free(d);
        return NULL;
    }
    int flags = 0;
    bool wt;
    if (d->cache && blk_parse_cache_mode(d->cache, &flags, &wt) < 0) {
        error_setg(errp, "invalid cache option");
        drive_info_free(d);
        return NULL;
    }
    return d;
}

BlockBackend *drive_new(const char *optstr, bool snapshot_all,
                        DriveInfo **pdinfo, Error **errp)
{
    DriveInfo *d = drive_parse(optstr, errp);
    if (!d) {
        return NULL;
    }
    if (!d->id) {
        /* Unnamed drives get QEMU's "<if><n>" names. */
        for (int n = 0;; n++) {
            char *name = xasprintf("%s%d", d->interface, n);
            if (!blk_by_name(name)) {
                d->id = name;
                break;
            }
            free(name);
        }
    } else if (blk_by_name(d->id)) {
        error_setg(errp, "Duplicate ID '%s' for drive", d->id);
        drive_info_free(d);
        return NULL;
    }
    int flags = d->read_only ? 0 : BDRV_O_RDWR;
    bool writethrough = false;
    if (d->cache) {
        blk_parse_cache_mode(d->cache, &flags, &writethrough);
    }
    if (d->snapshot || snapshot_all) {
        flags |= BDRV_O_SNAPSHOT;
    }
    BlockBackend *blk = blk_new_open(d->file, d->format, flags, errp);
    if (!blk) {
        drive_info_free(d);
        return NULL;
    }
    blk_set_name(blk, d->id);
    blk_set_enable_write_cache(blk, !writethrough);
    if (pdinfo) {
        *pdinfo = d;
    } else {
        drive_info_free(d);
    }
    return blk;
}

/* ---- -blockdev ---------------------------------------------------------- */

BlockBackend *blockdev_new(const char *optstr, Error **errp)
{
    char *driver = NULL, *node_name = NULL, *file_driver = NULL;
    char *filename = NULL;
    bool read_only = false, cache_direct = false, cache_no_flush = false;
    BlockBackend *blk = NULL;
    int flags;

    const OptionSlot slots[] = {
        { "driver", &driver },
        { "node-name", &node_name },
        { "file.driver", &file_driver },
        { "file.filename", &filename },
        { "filename", &filename },
        { "cache.direct", NULL, &cache_direct },
        { "cache.no-flush", NULL, &cache_no_flush },
        { "read-only", NULL, &read_only },
        { NULL },
    };

    if (!set_options(optstr, slots, errp)) {
        goto out;
    }
    if (!driver) {
        error_setg(errp, "Parameter 'driver' is missing");
        goto out;
    }
    if (strcmp(driver, "raw") && strcmp(driver, "qcow2") &&
        strcmp(driver, "file")) {
        error_setg(errp, "Invalid parameter value for 'driver': '%s' (raw, "
                   "qcow2 or file)", driver);
        goto out;
    }
    if (!node_name) {
        /* QEMU names it; devices need a name to find it by. */
        error_setg(errp, "Parameter 'node-name' is missing");
        goto out;
    }
    if (!id_wellformed(node_name)) {
        error_setg(errp, "Invalid node-name: '%s'", node_name);
        goto out;
    }
    if (file_driver && strcmp(file_driver, "file")) {
        error_setg(errp, "Invalid parameter value for 'file.driver': '%s' "
                   "(only 'file' is supported)", file_driver);
        goto out;
    }
    if (!filename) {
        error_setg(errp, "Parameter '%s' is missing",
                   strcmp(driver, "file") ? "file.filename" : "filename");
        goto out;
    }
    if (blk_by_name(node_name)) {
        error_setg(errp, "Duplicate nodes with node-name='%s'", node_name);
        goto out;
    }
    flags = (read_only ? 0 : BDRV_O_RDWR) |
            (cache_direct ? BDRV_O_NOCACHE : 0) |
            (cache_no_flush ? BDRV_O_NO_FLUSH : 0);
    /* driver=file is the protocol node alone: its bytes, as raw. */
    blk = blk_new_open(filename, strcmp(driver, "file") ? driver : "raw",
                       flags, errp);
    if (blk) {
        blk_set_name(blk, node_name);
    }
out:
    free(driver);
    free(node_name);
    free(file_driver);
    free(filename);
    return blk;
}

/*
 * QEMU's qmp_block_resize: find the drive, wait for its requests, change
 * its size.  Shrinking is allowed, as QEMU does; what a format cannot do
 * (an unaligned qcow2 size, shrinking a qcow2 image with snapshots) is
 * refused by its driver with its reason.
 */
bool qmp_block_resize(const char *device, const char *node_name,
                      int64_t size, Error **errp)
{
    BlockBackend *blk = NULL;

    if (device) {
        blk = blk_by_name(device);
    }
    if (!blk && node_name) {
        blk = blk_by_name(node_name);
    }
    if (!blk) {
        error_setg(errp, "Cannot find device='%s' nor node-name='%s'",
                   device ? device : "", node_name ? node_name : "");
        return false;
    }
    if (size < 0) {
        error_setg(errp, "Parameter 'size' expects a >0 size");
        return false;
    }
    if (blk_is_read_only(blk)) {
        error_setg(errp, "Block node is read-only");
        return false;
    }
    /* As QEMU's drained section: no request sees the size change. */
    blk_drain(blk);
    return blk_truncate(blk, size, true, errp) == 0;
}
