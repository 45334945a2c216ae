/*
 * -drive: parse QEMU's option string and open the image behind it.
 *   file=PATH,format=raw|qcow2,if=virtio|none|ide,id=NAME,readonly=on|off,
 *   snapshot=on|off,cache=writeback|none|writethrough|directsync|unsafe
 * Commas inside values are written doubled (",,"), as QEMU.
 */
#ifndef BLOCK_BLOCKDEV_H
#define BLOCK_BLOCKDEV_H

#include "block/block-backend.h"

typedef struct DriveInfo {
    char *id;              /* id=, or "<if><n>" (e.g. "virtio0") when absent */
    char *interface;       /* if=, default "virtio" */
    char *file;
    char *format;          /* NULL: probe */
    bool read_only;
    bool snapshot;
    char *cache;           /* NULL: writeback */
} DriveInfo;

/* Parse without opening.  Returns NULL with *errp set on bad options. */
DriveInfo *drive_parse(const char *optstr, Error **errp);
void drive_info_free(DriveInfo *dinfo);

/*
 * Parse and open: the BlockBackend is named after the drive id, so QMP
 * query-block and devices find it by that name.  snapshot_all is the
 * global -snapshot option.  *pdinfo (optional) receives the parsed drive.
 */
BlockBackend *drive_new(const char *optstr, bool snapshot_all,
                        DriveInfo **pdinfo, Error **errp);

/*
 * -blockdev, basic form:
 *   driver=qcow2|raw,node-name=NAME,file.driver=file,file.filename=PATH
 *   [,read-only=on][,cache.direct=on][,cache.no-flush=on]
 * or driver=file,node-name=NAME,filename=PATH.  The BlockBackend is named
 * after node-name, so -device ...,drive=NAME finds it.  As in QEMU,
 * -snapshot does not apply to -blockdev nodes.
 */
BlockBackend *blockdev_new(const char *optstr, Error **errp);

/*
 * QMP block_resize: set the virtual size of the drive named device (a
 * -drive id) or node_name (a -blockdev node-name) to size bytes; either
 * may be NULL.  The device using the drive is told (virtio-blk raises a
 * config-change interrupt).  Errors as QEMU's: "Cannot find device='x'
 * nor node-name='y'", "Parameter 'size' expects a >0 size", "Block node
 * is read-only", and the format driver's own ("The new size must be a
 * multiple of 512" for qcow2).
 */
bool qmp_block_resize(const char *device, const char *node_name,
                      int64_t size, Error **errp);

#endif
