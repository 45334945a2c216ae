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

DriveInfo *drive_parse(const char *optstr, Error **errp)
{
    DriveInfo *d = xnew(DriveInfo);
    const char *p = optstr;
    char *key, *value;
    static const char *const interfaces[] = { "virtio", "none", "ide",
                                              "scsi", "floppy", "pflash" };

    while (next_option(&p, &key, &value)) {
        int ret = 0;
        char **slot = NULL;
        if (!strcmp(key, "file")) {
            slot = &d->file;
        } else if (!strcmp(key, "format")) {
            slot = &d->format;
        } else if (!strcmp(key, "id")) {
            slot = &d->id;
        } else if (!strcmp(key, "if")) {
            slot = &d->interface;
        } else if (!strcmp(key, "cache")) {
            slot = &d->cache;
        } else if (!strcmp(key, "readonly")) {
            ret = parse_on_off(key, value, &d->read_only, errp);
        } else if (!strcmp(key, "snapshot")) {
            ret = parse_on_off(key, value, &d->snapshot, errp);
        } else {
            error_setg(errp, "Invalid parameter '%s'", key);
            ret = -EINVAL;
        }
        if (slot) {
            if (!value) {
                error_setg(errp, "Parameter '%s' expects a value", key);
                ret = -EINVAL;
            } else {
                free(*slot);
                *slot = value;
                value = NULL;
            }
        }
        free(key);
        free(value);
        if (ret < 0) {
            drive_info_free(d);
            return NULL;
        }
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
