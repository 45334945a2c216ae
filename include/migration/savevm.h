/*
 * The migration stream: what savevm, loadvm and live migration write and
 * read.  The format is QEMU's (docs/devel/migration.rst), version 3:
 *
 *   be32 QEMU_VM_FILE_MAGIC ("QEVM"), be32 QEMU_VM_FILE_VERSION (3)
 *   QEMU_VM_CONFIGURATION, be32 length, machine type name
 *   sections, each one of
 *     QEMU_VM_SECTION_START / _FULL:  u8 type, be32 section id,
 *         u8 idstr length, idstr, be32 instance id, be32 version id,
 *         data, QEMU_VM_SECTION_FOOTER, be32 section id
 *     QEMU_VM_SECTION_PART / _END:    u8 type, be32 section id,
 *         data, QEMU_VM_SECTION_FOOTER, be32 section id
 *   QEMU_VM_EOF
 *
 * followed by a footer of our own, which QEMU does not write: be32
 * OSPREY_VM_CHECKSUM_MAGIC ("OSCK") and be32 CRC32 (zlib's) of every byte
 * from the file magic through QEMU_VM_EOF.  A stream without it is
 * refused, so a truncated or corrupted snapshot is detected before any
 * device state is touched.
 */
#ifndef MIGRATION_SAVEVM_H
#define MIGRATION_SAVEVM_H

#include "migration/qemu-file.h"
#include "migration/vmstate.h"

#define QEMU_VM_FILE_MAGIC        0x5145564d
#define QEMU_VM_FILE_VERSION      0x00000003
#define OSPREY_VM_CHECKSUM_MAGIC  0x4f53434b

/* The largest stream qemu_loadvm_state reads into memory to check it. */
#define SAVEVM_MAX_BUFFERED_STREAM (64 * GiB)

/*
 * The machine type written in the configuration section and required on
 * load ("pc" until a machine sets it).
 */
void savevm_set_machine_name(const char *name);
const char *savevm_get_machine_name(void);

/* Non-live save: every section, whole, then EOF and the footer. */
int qemu_savevm_state(QEMUFile *f, Error **errp);

/*
 * Load a whole stream: read it to the end, check the footer's CRC, and
 * only then apply the sections.  For files and buffers (loadvm).
 */
int qemu_loadvm_state(QEMUFile *f, Error **errp);
/*
 * Check a whole stream held in memory without applying it: the header,
 * the machine type and the footer's CRC.  loadvm calls it before it
 * reverts any disk, so a corrupt snapshot changes nothing.
 */
int qemu_loadvm_state_verify(const uint8_t *data, size_t len, Error **errp);
/*
 * Load as the bytes arrive (live migration): sections are applied as
 * they are read; the footer is still checked at the end.
 */
int qemu_loadvm_state_stream(QEMUFile *f, Error **errp);

/* The steps of a live (pre-copy) save, for the migration thread. */
void qemu_savevm_state_header(QEMUFile *f);
int qemu_savevm_state_setup(QEMUFile *f, Error **errp);
/* 1: every live entry is done for now; 0: rate limited; < 0: error. */
int qemu_savevm_state_iterate(QEMUFile *f, Error **errp);
uint64_t qemu_savevm_state_pending(void);
/* With the guest stopped: live ends, device sections, EOF, footer. */
int qemu_savevm_state_complete_precopy(QEMUFile *f, Error **errp);
void qemu_savevm_state_cleanup(void);

#endif
