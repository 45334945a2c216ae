/*
 * qcow2 internal snapshots: the snapshot table, and create / apply /
 * delete as reference-count walks over copies of the L1 table.
 *
 * Every step that could be interrupted leaves refcounts too high, never
 * too low: references are added before a new table names them and
 * dropped only after the table that named them is gone from the disk.
 */
#include "qcow2.h"

#define SN_HEADER_SIZE 40
#define SN_EXTRA_SIZE  24   /* vm_state_size_large, disk_size, icount */

void qcow2_free_snapshots(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    for (uint32_t i = 0; s->snapshots && i < s->nb_snapshots; i++) {
        free(s->snapshots[i].id_str);
        free(s->snapshots[i].name);
        free(s->snapshots[i].unknown_extra);
    }
    free(s->snapshots);
    s->snapshots = NULL;
}

int qcow2_read_snapshots(BlockDriverState *bs, Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int64_t file_len = bdrv_getlength(bs->file);
    uint64_t offset = s->snapshots_offset;
    int ret;

    s->snapshots_size = 0;
    if (!s->nb_snapshots) {
        s->snapshots = NULL;
        return 0;
    }
    if (s->nb_snapshots > QCOW_MAX_SNAPSHOTS) {
        error_setg(errp, "Too many snapshots (%" PRIu32 ")", s->nb_snapshots);
        s->nb_snapshots = 0;
        return -EFBIG;
    }
    if (offset_into_cluster(s, offset) || offset >= (uint64_t)file_len) {
        error_setg(errp, "Snapshot table offset %#" PRIx64 " invalid or "
                   "beyond end of file", offset);
        s->nb_snapshots = 0;
        return -EINVAL;
    }
    uint32_t count = s->nb_snapshots;
    s->snapshots = xnew_array(QCowSnapshot, count);
    s->nb_snapshots = 0;    /* counts the entries read, for cleanup */
    for (uint32_t i = 0; i < count; i++) {
        QCowSnapshot *sn = &s->snapshots[i];
        uint8_t h[SN_HEADER_SIZE];
        uint8_t extra[QCOW_MAX_SNAPSHOT_EXTRA_DATA];

        offset = ALIGN_UP(offset, 8);
        if (offset - s->snapshots_offset > QCOW_MAX_SNAPSHOTS_SIZE ||
            offset + SN_HEADER_SIZE > (uint64_t)file_len) {
            error_setg(errp, "Snapshot table is truncated or too large");
            ret = -EINVAL;
            goto fail;
        }
        ret = bdrv_pread(bs->file, offset, SN_HEADER_SIZE, h);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read the snapshot table");
            goto fail;
        }
        offset += SN_HEADER_SIZE;
        sn->l1_table_offset = ldbe64(h);
        sn->l1_size = ldbe32(h + 8);
        uint16_t id_size = ldbe16(h + 12);
        uint16_t name_size = ldbe16(h + 14);
        sn->date_sec = ldbe32(h + 16);
        sn->date_nsec = ldbe32(h + 20);
        sn->vm_clock_nsec = ldbe64(h + 24);
        sn->vm_state_size = ldbe32(h + 32);
        sn->extra_data_size = ldbe32(h + 36);
        sn->icount = UINT64_MAX;
        sn->disk_size = bs->total_size;

        if (sn->extra_data_size > QCOW_MAX_SNAPSHOT_EXTRA_DATA) {
            error_setg(errp, "Too much extra metadata in snapshot table entry "
                       "%" PRIu32, i);
            ret = -EFBIG;
            goto fail;
        }
        uint64_t need = (uint64_t)sn->extra_data_size + id_size + name_size;
        if (offset + need > (uint64_t)file_len) {
            error_setg(errp, "Snapshot table entry %" PRIu32 " is truncated",
                       i);
            ret = -EINVAL;
            goto fail;
        }
        ret = bdrv_pread(bs->file, offset, sn->extra_data_size, extra);
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read the snapshot table");
            goto fail;
        }
        offset += sn->extra_data_size;
        if (sn->extra_data_size >= 8) {
            sn->vm_state_size = ldbe64(extra);
        }
        if (sn->extra_data_size >= 16) {
            sn->disk_size = ldbe64(extra + 8);
        }
        if (sn->extra_data_size >= 24) {
            sn->icount = ldbe64(extra + 16);
        }
        if (sn->extra_data_size > SN_EXTRA_SIZE) {
            sn->unknown_extra_size = sn->extra_data_size - SN_EXTRA_SIZE;
            sn->unknown_extra = xmalloc(sn->unknown_extra_size);
            memcpy(sn->unknown_extra, extra + SN_EXTRA_SIZE,
                   sn->unknown_extra_size);
        }
        sn->id_str = xzalloc(id_size + 1);
        sn->name = xzalloc(name_size + 1);
        s->nb_snapshots++;
        ret = bdrv_pread(bs->file, offset, id_size, sn->id_str);
        if (ret == 0) {
            ret = bdrv_pread(bs->file, offset + id_size, name_size, sn->name);
        }
        if (ret < 0) {
            error_setg_errno(errp, -ret, "Could not read the snapshot table");
            goto fail;
        }
        offset += id_size + name_size;

        if ((uint64_t)sn->l1_size * 8 > QCOW_MAX_L1_SIZE) {
            error_setg(errp, "Snapshot L1 table too large (snapshot '%s')",
                       sn->name);
            ret = -EFBIG;
            goto fail;
        }
        if (offset_into_cluster(s, sn->l1_table_offset) ||
            sn->l1_table_offset > (uint64_t)file_len ||
            (uint64_t)sn->l1_size * 8 > file_len - sn->l1_table_offset) {
            error_setg(errp, "Snapshot L1 table offset %#" PRIx64 " invalid "
                       "(snapshot '%s')", sn->l1_table_offset, sn->name);
            ret = -EINVAL;
            goto fail;
        }
    }
    s->snapshots_size = offset - s->snapshots_offset;
    return 0;

fail:
    qcow2_free_snapshots(bs);
    s->nb_snapshots = 0;
    return ret;
}

/*
 * Write the whole table to new clusters and switch the header to it; the
 * old table is freed afterwards.
 */
static int write_snapshots(BlockDriverState *bs)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t size = 0;
    int ret;

    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        QCowSnapshot *sn = &s->snapshots[i];
        size = ALIGN_UP(size, 8);
        size += SN_HEADER_SIZE + SN_EXTRA_SIZE + sn->unknown_extra_size +
                strlen(sn->id_str) + strlen(sn->name);
    }
    size = ALIGN_UP(size, 8);
    if (size > QCOW_MAX_SNAPSHOTS_SIZE) {
        return -EFBIG;
    }
    uint8_t *buf = xzalloc(size ? size : 1);
    uint64_t off = 0;
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        QCowSnapshot *sn = &s->snapshots[i];
        size_t id_len = strlen(sn->id_str), name_len = strlen(sn->name);
        off = ALIGN_UP(off, 8);
        uint8_t *h = buf + off;
        stbe64(h, sn->l1_table_offset);
        stbe32(h + 8, sn->l1_size);
        stbe16(h + 12, id_len);
        stbe16(h + 14, name_len);
        stbe32(h + 16, sn->date_sec);
        stbe32(h + 20, sn->date_nsec);
        stbe64(h + 24, sn->vm_clock_nsec);
        stbe32(h + 32, (uint32_t)sn->vm_state_size);
        stbe32(h + 36, SN_EXTRA_SIZE + sn->unknown_extra_size);
        stbe64(h + 40, sn->vm_state_size);
        stbe64(h + 48, sn->disk_size);
        stbe64(h + 56, sn->icount);
        off += SN_HEADER_SIZE + SN_EXTRA_SIZE;
        if (sn->unknown_extra_size) {
            memcpy(buf + off, sn->unknown_extra, sn->unknown_extra_size);
            off += sn->unknown_extra_size;
        }
        memcpy(buf + off, sn->id_str, id_len);
        off += id_len;
        memcpy(buf + off, sn->name, name_len);
        off += name_len;
    }

    int64_t new_offset = 0;
    if (size) {
        new_offset = qcow2_alloc_clusters(bs, size);
        if (new_offset < 0) {
            free(buf);
            return new_offset;
        }
    }
    ret = qcow2_flush_metadata(bs);
    if (ret == 0 && size) {
        ret = bdrv_pwrite(bs->file, new_offset, size, buf);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    free(buf);
    if (ret == 0) {
        uint8_t hdr[12];
        stbe32(hdr, s->nb_snapshots);
        stbe64(hdr + 4, new_offset);
        ret = qcow2_update_header_field(bs, HDR_NB_SNAPSHOTS, 12, hdr);
    }
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        if (size) {
            qcow2_free_clusters_deferred(bs, new_offset, size);
        }
        return ret;
    }
    if (s->snapshots_size) {
        qcow2_free_clusters_deferred(bs, s->snapshots_offset,
                                     s->snapshots_size);
    }
    s->snapshots_offset = new_offset;
    s->snapshots_size = size;
    return qcow2_flush_metadata(bs);
}

static int find_snapshot_by_id(BDRVQcow2State *s, const char *id)
{
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        if (!strcmp(s->snapshots[i].id_str, id)) {
            return i;
        }
    }
    return -1;
}

static int find_snapshot(BDRVQcow2State *s, const char *name_or_id)
{
    int i = find_snapshot_by_id(s, name_or_id);
    if (i >= 0) {
        return i;
    }
    for (uint32_t j = 0; j < s->nb_snapshots; j++) {
        if (!strcmp(s->snapshots[j].name, name_or_id)) {
            return j;
        }
    }
    return -1;
}

int qcow2_snapshot_create(BlockDriverState *bs, QEMUSnapshotInfo *info,
                          Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    QCowSnapshot sn = { 0 };
    int64_t l1_offset = 0;
    int ret;

    if (s->nb_snapshots >= QCOW_MAX_SNAPSHOTS) {
        error_setg(errp, "Too many snapshots");
        return -EFBIG;
    }
    if (!info->id_str[0]) {
        unsigned long max = 0;
        for (uint32_t i = 0; i < s->nb_snapshots; i++) {
            unsigned long id = strtoul(s->snapshots[i].id_str, NULL, 10);
            max = MAX(max, id);
        }
        snprintf(info->id_str, sizeof(info->id_str), "%lu", max + 1);
    }
    if (find_snapshot_by_id(s, info->id_str) >= 0) {
        error_setg(errp, "Snapshot with ID '%s' already exists",
                   info->id_str);
        return -EEXIST;
    }
    if (strlen(info->id_str) > 0xffff || strlen(info->name) > 0xffff) {
        error_setg(errp, "Snapshot name too long");
        return -EINVAL;
    }
    ret = qcow2_flush_metadata(bs);
    if (ret < 0) {
        goto io_error;
    }

    /* References for the snapshot first, then its L1 copy, then the entry. */
    ret = qcow2_update_snapshot_refcount(bs, s->l1_table_offset, s->l1_size,
                                         1);
    if (ret == -ERANGE) {
        error_setg(errp, "Could not create snapshot '%s': a reference count "
                   "would overflow (refcount_bits=%d)", info->name,
                   s->refcount_bits);
        return ret;
    }
    if (ret < 0) {
        goto io_error;
    }
    if (s->l1_size) {
        l1_offset = qcow2_alloc_clusters(bs, (uint64_t)s->l1_size * 8);
        if (l1_offset < 0) {
            ret = l1_offset;
            goto undo_refs;
        }
        uint8_t *buf = xmalloc((uint64_t)s->l1_size * 8);
        for (uint32_t i = 0; i < s->l1_size; i++) {
            stbe64(buf + 8 * i, s->l1_table[i]);
        }
        ret = bdrv_pwrite(bs->file, l1_offset, (uint64_t)s->l1_size * 8, buf);
        free(buf);
        if (ret < 0) {
            qcow2_update_refcount(bs, l1_offset, (uint64_t)s->l1_size * 8, -1);
            goto undo_refs;
        }
    }

    sn.l1_table_offset = l1_offset;
    sn.l1_size = s->l1_size;
    sn.id_str = xstrdup(info->id_str);
    sn.name = xstrdup(info->name);
    sn.disk_size = bs->total_size;
    sn.vm_state_size = info->vm_state_size;
    sn.date_sec = info->date_sec;
    sn.date_nsec = info->date_nsec;
    sn.vm_clock_nsec = info->vm_clock_nsec;
    sn.icount = info->icount;
    s->snapshots = xrealloc(s->snapshots,
                            (s->nb_snapshots + 1) * sizeof(QCowSnapshot));
    s->snapshots[s->nb_snapshots++] = sn;
    ret = write_snapshots(bs);
    if (ret < 0) {
        s->nb_snapshots--;
        free(sn.id_str);
        free(sn.name);
        if (l1_offset) {
            qcow2_update_refcount(bs, l1_offset, (uint64_t)s->l1_size * 8, -1);
        }
        goto undo_refs;
    }

    /* The VM state now belongs to the snapshot; drop the active copy. */
    if (info->vm_state_size) {
        uint64_t vm_off = qcow2_vm_state_offset(s, bs->total_size);
        ret = qcow2_discard_clusters(bs, vm_off,
                                     ALIGN_UP(info->vm_state_size,
                                              s->cluster_size), false);
        if (ret == 0) {
            ret = qcow2_flush_metadata(bs);
        }
        if (ret < 0) {
            goto io_error;
        }
    }
    return 0;

undo_refs:
    qcow2_update_snapshot_refcount(bs, s->l1_table_offset, s->l1_size, -1);
    qcow2_flush_metadata(bs);
io_error:
    error_setg_errno(errp, -ret, "Could not create snapshot '%s'",
                     info->name);
    return ret;
}

int qcow2_snapshot_goto(BlockDriverState *bs, const char *name_or_id,
                        Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    uint64_t *old_l1 = NULL;
    uint32_t old_l1_size;
    uint8_t *buf = NULL;
    int ret;

    int idx = find_snapshot(s, name_or_id);
    if (idx < 0) {
        error_setg(errp, "Could not apply snapshot '%s': snapshot not found",
                   name_or_id);
        return -ENOENT;
    }
    QCowSnapshot *sn = &s->snapshots[idx];
    s->cluster_cache_offset = 0;
    ret = qcow2_flush_metadata(bs);
    if (ret == 0 && sn->l1_size > s->l1_size) {
        ret = qcow2_grow_l1_table(bs, sn->l1_size);
    }
    if (ret < 0) {
        goto fail;
    }

    /* 1. The snapshot's tree gains a reference (the active L1 to be). */
    ret = qcow2_update_snapshot_refcount(bs, sn->l1_table_offset, sn->l1_size,
                                         1);
    if (ret == 0) {
        ret = qcow2_flush_metadata(bs);
    }
    if (ret < 0) {
        goto fail;
    }

    /*
     * 2. The active L1 becomes a copy of the snapshot's, with no COPIED
     * flags (which only ever make writes copy needlessly) until step 4.
     */
    uint64_t bytes = (uint64_t)s->l1_size * 8;
    buf = xzalloc(bytes ? bytes : 1);
    ret = bdrv_pread(bs->file, sn->l1_table_offset, (uint64_t)sn->l1_size * 8,
                     buf);
    if (ret < 0) {
        goto fail_undo;
    }
    for (uint32_t i = 0; i < sn->l1_size; i++) {
        stbe64(buf + 8 * i, ldbe64(buf + 8 * i) & ~QCOW_OFLAG_COPIED);
    }
    ret = bdrv_pwrite(bs->file, s->l1_table_offset, bytes, buf);
    if (ret == 0) {
        ret = bdrv_flush(bs->file);
    }
    if (ret < 0) {
        goto fail_undo;
    }
    old_l1 = s->l1_table;
    old_l1_size = s->l1_size;
    s->l1_table = xnew_array(uint64_t, s->l1_size ? s->l1_size : 1);
    for (uint32_t i = 0; i < s->l1_size; i++) {
        s->l1_table[i] = ldbe64(buf + 8 * i);
    }

    /* 3. The old active tree loses its reference. */
    ret = qcow2_update_l1_refcount(bs, old_l1, old_l1_size, -1);
    if (ret < 0) {
        goto fail;
    }
    /* 4. COPIED flags where the refcount is 1. */
    ret = qcow2_update_snapshot_refcount(bs, s->l1_table_offset, s->l1_size,
                                         0);
    if (ret == 0) {
        ret = qcow2_flush_metadata(bs);
    }
    if (ret == 0 && sn->disk_size != bs->total_size) {
        uint8_t size[8];
        stbe64(size, sn->disk_size);
        ret = qcow2_update_header_field(bs, HDR_SIZE, 8, size);
        if (ret == 0) {
            ret = bdrv_flush(bs->file);
            bs->total_size = sn->disk_size;
        }
    }
    if (ret < 0) {
        goto fail;
    }
    free(old_l1);
    free(buf);
    return 0;

fail_undo:
    qcow2_update_snapshot_refcount(bs, sn->l1_table_offset, sn->l1_size, -1);
    qcow2_flush_metadata(bs);
fail:
    free(old_l1);
    free(buf);
    error_setg_errno(errp, -ret, "Could not apply snapshot '%s'",
                     name_or_id);
    return ret;
}

int qcow2_snapshot_delete(BlockDriverState *bs, const char *name_or_id,
                          Error **errp)
{
    BDRVQcow2State *s = bs->opaque;
    int idx = find_snapshot(s, name_or_id);
    int ret;

    if (idx < 0) {
        error_setg(errp, "Could not delete snapshot '%s': snapshot not found",
                   name_or_id);
        return -ENOENT;
    }
    QCowSnapshot sn = s->snapshots[idx];
    memmove(&s->snapshots[idx], &s->snapshots[idx + 1],
            (s->nb_snapshots - idx - 1) * sizeof(QCowSnapshot));
    s->nb_snapshots--;
    ret = write_snapshots(bs);
    if (ret < 0) {
        memmove(&s->snapshots[idx + 1], &s->snapshots[idx],
                (s->nb_snapshots - idx) * sizeof(QCowSnapshot));
        s->snapshots[idx] = sn;
        s->nb_snapshots++;
        error_setg_errno(errp, -ret, "Could not delete snapshot '%s'",
                         name_or_id);
        return ret;
    }

    /* The entry is gone from the disk: its references can go. */
    s->cluster_cache_offset = 0;
    ret = qcow2_update_snapshot_refcount(bs, sn.l1_table_offset, sn.l1_size,
                                         -1);
    if (ret == 0 && sn.l1_size) {
        ret = qcow2_update_refcount(bs, sn.l1_table_offset,
                                    (uint64_t)sn.l1_size * 8, -1);
    }
    if (ret == 0) {
        ret = qcow2_update_snapshot_refcount(bs, s->l1_table_offset,
                                             s->l1_size, 0);
    }
    if (ret == 0) {
        ret = qcow2_flush_metadata(bs);
    }
    free(sn.id_str);
    free(sn.name);
    free(sn.unknown_extra);
    if (ret < 0) {
        error_setg_errno(errp, -ret, "Could not free the clusters of "
                         "snapshot '%s' (they leak)", name_or_id);
    }
    return ret;
}

int qcow2_snapshot_list(BlockDriverState *bs, QEMUSnapshotInfo **psn)
{
    BDRVQcow2State *s = bs->opaque;
    if (!s->nb_snapshots) {
        *psn = NULL;
        return 0;
    }
    QEMUSnapshotInfo *list = xnew_array(QEMUSnapshotInfo, s->nb_snapshots);
    for (uint32_t i = 0; i < s->nb_snapshots; i++) {
        QCowSnapshot *sn = &s->snapshots[i];
        snprintf(list[i].id_str, sizeof(list[i].id_str), "%s", sn->id_str);
        snprintf(list[i].name, sizeof(list[i].name), "%s", sn->name);
        list[i].vm_state_size = sn->vm_state_size;
        list[i].date_sec = sn->date_sec;
        list[i].date_nsec = sn->date_nsec;
        list[i].vm_clock_nsec = sn->vm_clock_nsec;
        list[i].icount = sn->icount;
        list[i].disk_size = sn->disk_size;
    }
    *psn = list;
    return s->nb_snapshots;
}

/*
 * Read from a snapshot's VM state without making it the active state
 * (loadvm checks the whole stream before any disk is reverted): the
 * snapshot's L1 table stands in for the active one for the length of
 * the read.  Reads only, with the caller holding the node (VM stopped,
 * requests drained), so nothing can see the swapped table.
 */
int qcow2_snapshot_load_vmstate(BlockDriverState *bs, const char *name_or_id,
                                void *buf, int64_t pos, size_t size)
{
    BDRVQcow2State *s = bs->opaque;
    int idx = find_snapshot(s, name_or_id);
    int ret;

    if (idx < 0) {
        return -ENOENT;
    }
    QCowSnapshot *sn = &s->snapshots[idx];
    if (pos < 0 || (uint64_t)pos > sn->vm_state_size ||
        size > sn->vm_state_size - pos) {
        return -EINVAL;
    }
    /* Dirty cached L2 tables of the active tree may be shared with it. */
    ret = qcow2_flush_metadata(bs);
    if (ret < 0) {
        return ret;
    }
    uint64_t *l1 = xnew_array(uint64_t, sn->l1_size ? sn->l1_size : 1);
    if (sn->l1_size) {
        uint8_t *raw = xmalloc((uint64_t)sn->l1_size * 8);
        ret = bdrv_pread(bs->file, sn->l1_table_offset,
                         (uint64_t)sn->l1_size * 8, raw);
        for (uint32_t i = 0; ret == 0 && i < sn->l1_size; i++) {
            l1[i] = ldbe64(raw + 8 * i);
        }
        free(raw);
        if (ret < 0) {
            free(l1);
            return ret;
        }
    }
    uint64_t *active_l1 = s->l1_table;
    uint32_t active_l1_size = s->l1_size;
    s->l1_table = l1;
    s->l1_size = sn->l1_size;
    ret = qcow2_read_guest(bs, qcow2_vm_state_offset(s, sn->disk_size) + pos,
                           size, buf);
    s->l1_table = active_l1;
    s->l1_size = active_l1_size;
    free(l1);
    return ret;
}
