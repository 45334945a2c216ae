/*
 * BIOS linker/loader: the "etc/table-loader" fw_cfg file.
 *
 * The format is QEMU's (hw/acpi/bios-linker-loader.c), so SeaBIOS and OVMF
 * can consume it: a sequence of 128-byte little-endian entries, each a
 * 32-bit command followed by its arguments; file names are NUL-terminated
 * in 56-byte fields (fw_cfg's FW_CFG_MAX_FILE_PATH).
 *
 *   ALLOCATE      file[56] align:u32 zone:u8
 *       load fw_cfg file into memory in zone (HIGH, or FSEG = 0xE0000-
 *       0xFFFFF), aligned to align (a power of two).
 *   ADD_POINTER   dest_file[56] src_file[56] offset:u32 size:u8
 *       the size-byte integer at dest_file+offset holds an offset into
 *       src_file; add src_file's load address to it.
 *   ADD_CHECKSUM  file[56] offset:u32 start:u32 length:u32
 *       subtract the byte sum of file[start, start+length) from the byte
 *       at file+offset (which the producer leaves zero).
 *
 * The producer side (BIOSLinker) records commands while the tables are
 * built.  bios_linker_loader_run() is the consumer side, as firmware would
 * run it: it lets the machine lay tables out itself (direct kernel boot
 * without firmware) and lets tests check the script end to end.
 */
#ifndef HW_ACPI_BIOS_LINKER_LOADER_H
#define HW_ACPI_BIOS_LINKER_LOADER_H

#include "hw/acpi/aml-build.h"
#include "util/error.h"

#define BIOS_LINKER_LOADER_FILESZ 56
#define BIOS_LINKER_LOADER_ENTRY_SIZE 128

enum {
    BIOS_LINKER_LOADER_COMMAND_ALLOCATE = 0x1,
    BIOS_LINKER_LOADER_COMMAND_ADD_POINTER = 0x2,
    BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM = 0x3,
    BIOS_LINKER_LOADER_COMMAND_WRITE_POINTER = 0x4,
};

enum {
    BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH = 0x1,
    BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG = 0x2,
};

/* Bounds of the FSEG zone, where the RSDP must live (ACPI 5.2.5.1). */
#define BIOS_LINKER_LOADER_FSEG_START 0xe0000
#define BIOS_LINKER_LOADER_FSEG_END 0x100000

typedef struct BIOSLinkerFileEntry {
    char *name;
    ByteArray *blob; /* not owned; may keep growing after the ALLOCATE */
} BIOSLinkerFileEntry;

typedef struct BIOSLinker {
    ByteArray *cmd_blob; /* the "etc/table-loader" contents */
    BIOSLinkerFileEntry *files;
    size_t nfiles;
} BIOSLinker;

BIOSLinker *bios_linker_loader_init(void);
void bios_linker_loader_cleanup(BIOSLinker *linker);

/*
 * The producer calls these with its own, known-good arguments: a bad name,
 * a duplicate file or an offset outside a blob is a programming error and
 * asserts, as in QEMU.
 */
void bios_linker_loader_alloc(BIOSLinker *linker, const char *file_name,
                              ByteArray *file_blob, uint32_t alloc_align,
                              bool alloc_fseg);
void bios_linker_loader_add_checksum(BIOSLinker *linker, const char *file,
                                     unsigned start_offset, unsigned size,
                                     unsigned checksum_offset);
/*
 * Write src_offset into dest_file at dst_patched_offset (dst_patched_size
 * bytes, little endian) and record the command that relocates it.
 */
void bios_linker_loader_add_pointer(BIOSLinker *linker, const char *dest_file,
                                    uint32_t dst_patched_offset,
                                    uint8_t dst_patched_size,
                                    const char *src_file, uint32_t src_offset);

/* A file as the consumer sees it: its image and where it is loaded. */
typedef struct BIOSLinkerLoaderFile {
    const char *name;
    uint8_t *data;   /* patched in place */
    size_t size;
    uint64_t addr;   /* guest physical load address, chosen by the caller */
    bool allocated;  /* set when its ALLOCATE command has run */
} BIOSLinkerLoaderFile;

/*
 * Run a table-loader script over files, as firmware would: check every
 * ALLOCATE against the caller's addresses (alignment, FSEG bounds, below
 * 4 GiB), then patch pointers and checksums.  Commands naming unknown
 * files or reaching outside a file fail with an error; unknown command
 * numbers are skipped, as SeaBIOS does.
 */
bool bios_linker_loader_run(const uint8_t *script, size_t script_len,
                            BIOSLinkerLoaderFile *files, size_t nfiles,
                            Error **errp);

#endif
