/*
 * BIOS linker/loader: producer of QEMU's "etc/table-loader" command format
 * and a consumer that runs it over in-memory files.
 *
 * Entry layout (128 bytes, little endian), offsets from the entry start:
 *   0   command (u32)
 *   ALLOCATE:     4 file[56], 60 align (u32), 64 zone (u8)
 *   ADD_POINTER:  4 dest_file[56], 60 src_file[56], 116 offset (u32),
 *                 120 size (u8)
 *   ADD_CHECKSUM: 4 file[56], 60 offset (u32), 64 start (u32),
 *                 68 length (u32)
 */
#include "hw/acpi/bios-linker-loader.h"

#define ENTRY_ARGS 4
#define FILESZ BIOS_LINKER_LOADER_FILESZ

static void put_le(uint8_t *p, uint64_t value, int size)
{
    for (int i = 0; i < size; i++) {
        p[i] = value >> (8 * i);
    }
}

static uint64_t get_le(const uint8_t *p, int size)
{
    uint64_t value = 0;

    for (int i = size - 1; i >= 0; i--) {
        value = (value << 8) | p[i];
    }
    return value;
}

static void put_name(uint8_t *p, const char *name)
{
    size_t len = strlen(name);

    /* The name and its NUL must fit in the 56-byte field. */
    assert(len < FILESZ);
    memcpy(p, name, len);
}

BIOSLinker *bios_linker_loader_init(void)
{
    BIOSLinker *linker = xnew(BIOSLinker);

    linker->cmd_blob = byte_array_new();
    return linker;
}

void bios_linker_loader_cleanup(BIOSLinker *linker)
{
    if (!linker) {
        return;
    }
    for (size_t i = 0; i < linker->nfiles; i++) {
        free(linker->files[i].name);
    }
    free(linker->files);
    byte_array_free(linker->cmd_blob);
    free(linker);
}

static const BIOSLinkerFileEntry *linker_find_file(const BIOSLinker *linker,
                                                   const char *name)
{
    for (size_t i = 0; i < linker->nfiles; i++) {
        if (!strcmp(linker->files[i].name, name)) {
            return &linker->files[i];
        }
    }
    return NULL;
}

static uint8_t *linker_new_entry(BIOSLinker *linker, uint32_t command)
{
    size_t off = linker->cmd_blob->len;

    byte_array_set_size(linker->cmd_blob, off + BIOS_LINKER_LOADER_ENTRY_SIZE);
    put_le(linker->cmd_blob->data + off, command, 4);
    return linker->cmd_blob->data + off;
}

void bios_linker_loader_alloc(BIOSLinker *linker, const char *file_name,
                              ByteArray *file_blob, uint32_t alloc_align,
                              bool alloc_fseg)
{
    uint8_t *e;

    assert(alloc_align && !(alloc_align & (alloc_align - 1)));
    assert(!linker_find_file(linker, file_name));
    linker->files = xrealloc(linker->files,
                             (linker->nfiles + 1) * sizeof(*linker->files));
    linker->files[linker->nfiles].name = xstrdup(file_name);
    linker->files[linker->nfiles].blob = file_blob;
    linker->nfiles++;

    e = linker_new_entry(linker, BIOS_LINKER_LOADER_COMMAND_ALLOCATE);
    put_name(e + ENTRY_ARGS, file_name);
    put_le(e + ENTRY_ARGS + FILESZ, alloc_align, 4);
    e[ENTRY_ARGS + FILESZ + 4] = alloc_fseg ?
        BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG : BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH;
}

void bios_linker_loader_add_checksum(BIOSLinker *linker, const char *file,
                                     unsigned start_offset, unsigned size,
                                     unsigned checksum_offset)
{
    const BIOSLinkerFileEntry *f = linker_find_file(linker, file);
    uint8_t *e;

    assert(f);
    assert(start_offset <= f->blob->len && size <= f->blob->len - start_offset);
    assert(checksum_offset >= start_offset &&
           checksum_offset < start_offset + size);
    /* The loader subtracts the sum from this byte: it must start at 0. */
    f->blob->data[checksum_offset] = 0;

    e = linker_new_entry(linker, BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM);
    put_name(e + ENTRY_ARGS, file);
    put_le(e + ENTRY_ARGS + FILESZ, checksum_offset, 4);
    put_le(e + ENTRY_ARGS + FILESZ + 4, start_offset, 4);
    put_le(e + ENTRY_ARGS + FILESZ + 8, size, 4);
}

void bios_linker_loader_add_pointer(BIOSLinker *linker, const char *dest_file,
                                    uint32_t dst_patched_offset,
                                    uint8_t dst_patched_size,
                                    const char *src_file, uint32_t src_offset)
{
    const BIOSLinkerFileEntry *dst = linker_find_file(linker, dest_file);
    const BIOSLinkerFileEntry *src = linker_find_file(linker, src_file);
    uint8_t *e;

    assert(dst && src);
    assert(dst_patched_size == 1 || dst_patched_size == 2 ||
           dst_patched_size == 4 || dst_patched_size == 8);
    assert(dst_patched_offset < dst->blob->len &&
           dst_patched_size <= dst->blob->len - dst_patched_offset);
    assert(src_offset < src->blob->len);
    put_le(dst->blob->data + dst_patched_offset, src_offset, dst_patched_size);

    e = linker_new_entry(linker, BIOS_LINKER_LOADER_COMMAND_ADD_POINTER);
    put_name(e + ENTRY_ARGS, dest_file);
    put_name(e + ENTRY_ARGS + FILESZ, src_file);
    put_le(e + ENTRY_ARGS + 2 * FILESZ, dst_patched_offset, 4);
    e[ENTRY_ARGS + 2 * FILESZ + 4] = dst_patched_size;
}

/* ---- Consumer ----------------------------------------------------------- */

/* Copy a name field out of an entry, refusing one without a NUL. */
static bool get_name(char out[FILESZ], const uint8_t *field, size_t index,
                     Error **errp)
{
    if (!memchr(field, '\0', FILESZ)) {
        error_setg(errp, "table-loader entry %zu: file name not "
                   "NUL-terminated", index);
        return false;
    }
    memcpy(out, field, FILESZ);
    return true;
}

static BIOSLinkerLoaderFile *find_loaded(BIOSLinkerLoaderFile *files,
                                         size_t nfiles, const char *name,
                                         size_t index, bool want_allocated,
                                         Error **errp)
{
    for (size_t i = 0; i < nfiles; i++) {
        if (strcmp(files[i].name, name)) {
            continue;
        }
        if (want_allocated && !files[i].allocated) {
            error_setg(errp, "table-loader entry %zu: file '%s' used before "
                       "its ALLOCATE", index, name);
            return NULL;
        }
        return &files[i];
    }
    error_setg(errp, "table-loader entry %zu: no file '%s'", index, name);
    return NULL;
}

static bool run_allocate(const uint8_t *e, size_t index,
                         BIOSLinkerLoaderFile *files, size_t nfiles,
                         Error **errp)
{
    char name[FILESZ];
    uint32_t align = get_le(e + ENTRY_ARGS + FILESZ, 4);
    uint8_t zone = e[ENTRY_ARGS + FILESZ + 4];
    BIOSLinkerLoaderFile *f;

    if (!get_name(name, e + ENTRY_ARGS, index, errp)) {
        return false;
    }
    f = find_loaded(files, nfiles, name, index, false, errp);
    if (!f) {
        return false;
    }
    if (f->allocated) {
        error_setg(errp, "table-loader entry %zu: file '%s' allocated twice",
                   index, name);
        return false;
    }
    if (!align || (align & (align - 1))) {
        error_setg(errp, "table-loader entry %zu: alignment %" PRIu32
                   " of '%s' is not a power of two", index, align, name);
        return false;
    }
    if (f->addr & (align - 1)) {
        error_setg(errp, "'%s' at 0x%" PRIx64 " is not %" PRIu32
                   "-byte aligned", name, f->addr, align);
        return false;
    }
    switch (zone) {
    case BIOS_LINKER_LOADER_ALLOC_ZONE_HIGH:
        /* Tables point at each other with 32-bit pointers too. */
        if (f->addr + f->size > 0x100000000ULL) {
            error_setg(errp, "'%s' at 0x%" PRIx64 " (+0x%zx) does not end "
                       "below 4 GiB", name, f->addr, f->size);
            return false;
        }
        break;
    case BIOS_LINKER_LOADER_ALLOC_ZONE_FSEG:
        if (f->addr < BIOS_LINKER_LOADER_FSEG_START ||
            f->addr + f->size > BIOS_LINKER_LOADER_FSEG_END) {
            error_setg(errp, "'%s' at 0x%" PRIx64 " (+0x%zx) is outside the "
                       "0xE0000-0xFFFFF BIOS area", name, f->addr, f->size);
            return false;
        }
        break;
    default:
        error_setg(errp, "table-loader entry %zu: unknown zone %u for '%s'",
                   index, zone, name);
        return false;
    }
    f->allocated = true;
    return true;
}

static bool run_add_pointer(const uint8_t *e, size_t index,
                            BIOSLinkerLoaderFile *files, size_t nfiles,
                            Error **errp)
{
    char dst_name[FILESZ], src_name[FILESZ];
    uint32_t offset = get_le(e + ENTRY_ARGS + 2 * FILESZ, 4);
    uint8_t size = e[ENTRY_ARGS + 2 * FILESZ + 4];
    BIOSLinkerLoaderFile *dst, *src;
    uint64_t value, max;

    if (!get_name(dst_name, e + ENTRY_ARGS, index, errp) ||
        !get_name(src_name, e + ENTRY_ARGS + FILESZ, index, errp)) {
        return false;
    }
    dst = find_loaded(files, nfiles, dst_name, index, true, errp);
    src = dst ? find_loaded(files, nfiles, src_name, index, true, errp) : NULL;
    if (!src) {
        return false;
    }
    if (size != 1 && size != 2 && size != 4 && size != 8) {
        error_setg(errp, "table-loader entry %zu: bad pointer size %u",
                   index, size);
        return false;
    }
    if (offset > dst->size || size > dst->size - offset) {
        error_setg(errp, "table-loader entry %zu: pointer at 0x%" PRIx32
                   " is outside '%s' (0x%zx bytes)", index, offset, dst_name,
                   dst->size);
        return false;
    }
    value = get_le(dst->data + offset, size);
    if (value >= src->size) {
        error_setg(errp, "table-loader entry %zu: pointer value 0x%" PRIx64
                   " is outside '%s' (0x%zx bytes)", index, value, src_name,
                   src->size);
        return false;
    }
    value += src->addr;
    max = size == 8 ? UINT64_MAX : (1ULL << (8 * size)) - 1;
    if (value > max) {
        error_setg(errp, "table-loader entry %zu: address 0x%" PRIx64
                   " does not fit a %u-byte pointer", index, value, size);
        return false;
    }
    put_le(dst->data + offset, value, size);
    return true;
}

static bool run_add_checksum(const uint8_t *e, size_t index,
                             BIOSLinkerLoaderFile *files, size_t nfiles,
                             Error **errp)
{
    char name[FILESZ];
    uint32_t offset = get_le(e + ENTRY_ARGS + FILESZ, 4);
    uint32_t start = get_le(e + ENTRY_ARGS + FILESZ + 4, 4);
    uint32_t length = get_le(e + ENTRY_ARGS + FILESZ + 8, 4);
    BIOSLinkerLoaderFile *f;

    if (!get_name(name, e + ENTRY_ARGS, index, errp)) {
        return false;
    }
    f = find_loaded(files, nfiles, name, index, true, errp);
    if (!f) {
        return false;
    }
    if (offset >= f->size || start > f->size || length > f->size - start) {
        error_setg(errp, "table-loader entry %zu: checksum range outside "
                   "'%s' (0x%zx bytes)", index, name, f->size);
        return false;
    }
    f->data[offset] -= acpi_checksum(f->data + start, length);
    return true;
}

bool bios_linker_loader_run(const uint8_t *script, size_t script_len,
                            BIOSLinkerLoaderFile *files, size_t nfiles,
                            Error **errp)
{
    if (script_len % BIOS_LINKER_LOADER_ENTRY_SIZE) {
        error_setg(errp, "table-loader: size %zu is not a multiple of %d",
                   script_len, BIOS_LINKER_LOADER_ENTRY_SIZE);
        return false;
    }
    for (size_t i = 0; i < nfiles; i++) {
        files[i].allocated = false;
    }
    for (size_t i = 0; i < script_len / BIOS_LINKER_LOADER_ENTRY_SIZE; i++) {
        const uint8_t *e = script + i * BIOS_LINKER_LOADER_ENTRY_SIZE;
        bool ok = true;

        switch (get_le(e, 4)) {
        case BIOS_LINKER_LOADER_COMMAND_ALLOCATE:
            ok = run_allocate(e, i, files, nfiles, errp);
            break;
        case BIOS_LINKER_LOADER_COMMAND_ADD_POINTER:
            ok = run_add_pointer(e, i, files, nfiles, errp);
            break;
        case BIOS_LINKER_LOADER_COMMAND_ADD_CHECKSUM:
            ok = run_add_checksum(e, i, files, nfiles, errp);
            break;
        default:
            /* Newer commands (WRITE_POINTER, ...): skip, as SeaBIOS does. */
            break;
        }
        if (!ok) {
            return false;
        }
    }
    return true;
}
