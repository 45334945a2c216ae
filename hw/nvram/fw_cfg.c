/*
 * fw_cfg device (see include/hw/nvram/fw_cfg.h), after QEMU's
 * hw/nvram/fw_cfg.c.
 */
#include "util/osdep.h"
#include "hw/nvram/fw_cfg.h"
#include "hw/qdev-properties.h"
#include "migration/vmstate.h"
#include "util/log.h"
#include <endian.h>

static uint16_t fw_cfg_max_entry(const FWCfgState *s)
{
    return FW_CFG_FILE_FIRST + s->file_slots;
}

static FWCfgEntry *fw_cfg_entry(FWCfgState *s, uint16_t key)
{
    int arch = !!(key & FW_CFG_ARCH_LOCAL);

    key &= FW_CFG_ENTRY_MASK;
    if (key >= fw_cfg_max_entry(s)) {
        return NULL;
    }
    return &s->entries[arch][key];
}

static uint32_t fw_cfg_file_count(const FWCfgState *s)
{
    uint32_t count;

    memcpy(&count, s->files, 4);
    return be32toh(count);
}

static FWCfgFile *fw_cfg_file_entry(FWCfgState *s, uint32_t i)
{
    return (FWCfgFile *)(s->files + 4) + i;
}

/* ---- guest interface ---------------------------------------------------- */

static void fw_cfg_select(FWCfgState *s, uint16_t key)
{
    FWCfgEntry *e;

    s->cur_offset = 0;
    e = fw_cfg_entry(s, key);
    if (!e) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "fw_cfg: selector 0x%04x out of range\n", key);
        s->cur_entry = FW_CFG_INVALID;
        return;
    }
    s->cur_entry = key;
    if (e->select_cb) {
        e->select_cb(e->callback_opaque);
    }
}

static FWCfgEntry *fw_cfg_current(FWCfgState *s)
{
    if (s->cur_entry == FW_CFG_INVALID) {
        return NULL;
    }
    return fw_cfg_entry(s, s->cur_entry);
}

static uint8_t fw_cfg_read_byte(FWCfgState *s)
{
    FWCfgEntry *e = fw_cfg_current(s);

    if (!e || !e->data || s->cur_offset >= e->len) {
        return 0;
    }
    return e->data[s->cur_offset++];
}

static uint64_t fw_cfg_comb_read(void *opaque, hwaddr addr, unsigned size)
{
    return fw_cfg_read_byte(opaque);
}

static void fw_cfg_comb_write(void *opaque, hwaddr addr, uint64_t value,
                              unsigned size)
{
    FWCfgState *s = opaque;

    if (addr == 0) {
        fw_cfg_select(s, value);
        return;
    }
    /* Writes through the data port were removed in QEMU 2.4. */
    qemu_log_mask(LOG_GUEST_ERROR,
                  "fw_cfg: write to the data port ignored\n");
}

static bool fw_cfg_comb_valid(void *opaque, hwaddr addr, unsigned size,
                              bool is_write, MemTxAttrs attrs)
{
    return (size == 1 && addr == 1) || (size == 2 && addr == 0 && is_write);
}

static const MemoryRegionOps fw_cfg_comb_ops = {
    .read = fw_cfg_comb_read,
    .write = fw_cfg_comb_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 2,
               .accepts = fw_cfg_comb_valid },
    .impl = { .min_access_size = 1, .max_access_size = 2 },
};

/* Zero-fill guest memory in page-sized pieces; false on a bad address. */
static bool fw_cfg_dma_zero(FWCfgState *s, hwaddr addr, uint32_t len)
{
    static const uint8_t zeros[4096];

    while (len) {
        uint32_t n = MIN(len, (uint32_t)sizeof(zeros));

        if (address_space_write(s->dma_as, addr, MEMTXATTRS_UNSPECIFIED,
                                zeros, n) != MEMTX_OK) {
            return false;
        }
        addr += n;
        len -= n;
    }
    return true;
}

static void fw_cfg_dma_transfer(FWCfgState *s)
{
    hwaddr dma_addr = s->dma_addr;
    FWCfgDmaAccess dma;
    uint32_t control, length;
    uint64_t address;
    uint32_t status;

    s->dma_addr = 0;
    if (address_space_read(s->dma_as, dma_addr, MEMTXATTRS_UNSPECIFIED,
                           &dma, sizeof(dma)) != MEMTX_OK) {
        qemu_log_mask(LOG_GUEST_ERROR,
                      "fw_cfg: DMA descriptor at 0x%" PRIx64
                      " is not readable\n", (uint64_t)dma_addr);
        status = htobe32(FW_CFG_DMA_CTL_ERROR);
        address_space_write(s->dma_as, dma_addr, MEMTXATTRS_UNSPECIFIED,
                            &status, 4);
        return;
    }
    control = be32toh(dma.control);
    length = be32toh(dma.length);
    address = be64toh(dma.address);

    if (control & FW_CFG_DMA_CTL_SELECT) {
        fw_cfg_select(s, control >> 16);
    }

    while (length > 0 && !(control & FW_CFG_DMA_CTL_ERROR)) {
        FWCfgEntry *e = fw_cfg_current(s);
        uint32_t len;

        if (!e || !e->data || s->cur_offset >= e->len) {
            /* Past the end: reads give zeros, writes fail. */
            len = length;
            if (control & FW_CFG_DMA_CTL_READ) {
                if (!fw_cfg_dma_zero(s, address, len)) {
                    control |= FW_CFG_DMA_CTL_ERROR;
                }
            }
            if (control & FW_CFG_DMA_CTL_WRITE) {
                control |= FW_CFG_DMA_CTL_ERROR;
            }
        } else {
            len = MIN(length, e->len - s->cur_offset);
            if (control & FW_CFG_DMA_CTL_READ) {
                if (address_space_write(s->dma_as, address,
                                        MEMTXATTRS_UNSPECIFIED,
                                        e->data + s->cur_offset,
                                        len) != MEMTX_OK) {
                    control |= FW_CFG_DMA_CTL_ERROR;
                }
            } else if (control & FW_CFG_DMA_CTL_WRITE) {
                if (!e->allow_write ||
                    address_space_read(s->dma_as, address,
                                       MEMTXATTRS_UNSPECIFIED,
                                       e->data + s->cur_offset,
                                       len) != MEMTX_OK) {
                    control |= FW_CFG_DMA_CTL_ERROR;
                } else if (e->write_cb) {
                    e->write_cb(e->callback_opaque, s->cur_offset, len);
                }
            }
            s->cur_offset += len;
        }
        if (control & FW_CFG_DMA_CTL_ERROR) {
            qemu_log_mask(LOG_GUEST_ERROR,
                          "fw_cfg: DMA of %u bytes at 0x%" PRIx64
                          " failed (item 0x%04x)\n", len, address,
                          s->cur_entry);
        }
        address += len;
        length -= len;
    }

    /* Done: the control word becomes 0, or just the error bit. */
    status = htobe32(control & FW_CFG_DMA_CTL_ERROR);
    address_space_write(s->dma_as, dma_addr + offsetof(FWCfgDmaAccess, control),
                        MEMTXATTRS_UNSPECIFIED, &status, 4);
}

static uint64_t fw_cfg_dma_read(void *opaque, hwaddr addr, unsigned size)
{
    /* Big-endian device: byte addr of the signature is its first byte. */
    return (FW_CFG_DMA_SIGNATURE >> ((8 - addr - size) * 8)) &
        (size == 8 ? ~0ULL : (1ULL << (size * 8)) - 1);
}

static void fw_cfg_dma_write(void *opaque, hwaddr addr, uint64_t value,
                             unsigned size)
{
    FWCfgState *s = opaque;

    if (size == 4) {
        if (addr == 0) {
            s->dma_addr = value << 32;
        } else if (addr == 4) {
            s->dma_addr |= value;
            fw_cfg_dma_transfer(s);
        }
    } else if (size == 8 && addr == 0) {
        s->dma_addr = value;
        fw_cfg_dma_transfer(s);
    }
}

static bool fw_cfg_dma_valid(void *opaque, hwaddr addr, unsigned size,
                             bool is_write, MemTxAttrs attrs)
{
    return !is_write || ((size == 4 && (addr == 0 || addr == 4)) ||
                         (size == 8 && addr == 0));
}

static const MemoryRegionOps fw_cfg_dma_ops = {
    .read = fw_cfg_dma_read,
    .write = fw_cfg_dma_write,
    .endianness = DEVICE_BIG_ENDIAN,
    .valid = { .min_access_size = 1, .max_access_size = 8,
               .accepts = fw_cfg_dma_valid },
    .impl = { .min_access_size = 1, .max_access_size = 8 },
};

/* ---- board interface ---------------------------------------------------- */

static void fw_cfg_set_entry(FWCfgEntry *e, const void *data, size_t len)
{
    assert(len <= UINT32_MAX);
    free(e->data);
    e->data = xmalloc(MAX(len, 1));
    if (len) {
        memcpy(e->data, data, len);
    }
    e->len = len;
}

static FWCfgEntry *fw_cfg_board_entry(FWCfgState *s, uint16_t key)
{
    FWCfgEntry *e = fw_cfg_entry(s, key);

    /* A bad key from board code is a bug, not a guest error. */
    assert(e && !(key & FW_CFG_WRITE_CHANNEL));
    return e;
}

void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data,
                      size_t len)
{
    FWCfgEntry *e = fw_cfg_board_entry(s, key);

    assert(!e->data);
    fw_cfg_set_entry(e, data, len);
}

void fw_cfg_modify_bytes(FWCfgState *s, uint16_t key, const void *data,
                         size_t len)
{
    FWCfgEntry *e = fw_cfg_board_entry(s, key);

    assert(e->data);
    fw_cfg_set_entry(e, data, len);
}

void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *value)
{
    fw_cfg_add_bytes(s, key, value, strlen(value) + 1);
}

void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value)
{
    uint16_t v = htole16(value);
    fw_cfg_add_bytes(s, key, &v, sizeof(v));
}

void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value)
{
    uint32_t v = htole32(value);
    fw_cfg_add_bytes(s, key, &v, sizeof(v));
}

void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value)
{
    uint64_t v = htole64(value);
    fw_cfg_add_bytes(s, key, &v, sizeof(v));
}

void fw_cfg_modify_i16(FWCfgState *s, uint16_t key, uint16_t value)
{
    uint16_t v = htole16(value);
    fw_cfg_modify_bytes(s, key, &v, sizeof(v));
}

void fw_cfg_modify_i32(FWCfgState *s, uint16_t key, uint32_t value)
{
    uint32_t v = htole32(value);
    fw_cfg_modify_bytes(s, key, &v, sizeof(v));
}

void fw_cfg_modify_i64(FWCfgState *s, uint16_t key, uint64_t value)
{
    uint64_t v = htole64(value);
    fw_cfg_modify_bytes(s, key, &v, sizeof(v));
}

static int fw_cfg_find_file(FWCfgState *s, const char *filename)
{
    uint32_t count = fw_cfg_file_count(s);

    for (uint32_t i = 0; i < count; i++) {
        if (!strcmp(fw_cfg_file_entry(s, i)->name, filename)) {
            return i;
        }
    }
    return -1;
}

int fw_cfg_file_key(FWCfgState *s, const char *filename)
{
    int i = fw_cfg_find_file(s, filename);

    return i < 0 ? -1 : FW_CFG_FILE_FIRST + i;
}

static void fw_cfg_update_file_dir(FWCfgState *s)
{
    FWCfgEntry *dir = &s->entries[0][FW_CFG_FILE_DIR];

    /* The directory entry points into s->files; never freed separately. */
    dir->data = s->files;
    dir->len = 4 + fw_cfg_file_count(s) * sizeof(FWCfgFile);
}

void fw_cfg_add_file_callback(FWCfgState *s, const char *filename,
                              FWCfgCallback select_cb,
                              FWCfgWriteCallback write_cb,
                              void *callback_opaque, const void *data,
                              size_t len, bool read_only)
{
    uint32_t count = fw_cfg_file_count(s);
    uint32_t index;
    FWCfgFile *f;
    FWCfgEntry *e;

    assert(strlen(filename) < FW_CFG_MAX_FILE_PATH);
    assert(count < s->file_slots);
    assert(fw_cfg_find_file(s, filename) < 0);

    /* Keep the directory sorted by name: later files move up one key. */
    for (index = 0; index < count; index++) {
        if (strcmp(filename, fw_cfg_file_entry(s, index)->name) < 0) {
            break;
        }
    }
    for (uint32_t i = count; i > index; i--) {
        FWCfgFile *dst = fw_cfg_file_entry(s, i);

        *dst = *fw_cfg_file_entry(s, i - 1);
        dst->select = htobe16(FW_CFG_FILE_FIRST + i);
        s->entries[0][FW_CFG_FILE_FIRST + i] =
            s->entries[0][FW_CFG_FILE_FIRST + i - 1];
    }

    e = &s->entries[0][FW_CFG_FILE_FIRST + index];
    memset(e, 0, sizeof(*e));
    fw_cfg_set_entry(e, data, len);
    e->select_cb = select_cb;
    e->write_cb = write_cb;
    e->callback_opaque = callback_opaque;
    e->allow_write = !read_only;

    f = fw_cfg_file_entry(s, index);
    memset(f, 0, sizeof(*f));
    strncpy(f->name, filename, sizeof(f->name) - 1);
    f->size = htobe32(len);
    f->select = htobe16(FW_CFG_FILE_FIRST + index);

    count = htobe32(count + 1);
    memcpy(s->files, &count, 4);
    s->file_slots_used++;
    fw_cfg_update_file_dir(s);
}

void fw_cfg_add_file(FWCfgState *s, const char *filename, const void *data,
                     size_t len)
{
    fw_cfg_add_file_callback(s, filename, NULL, NULL, NULL, data, len, true);
}

void fw_cfg_modify_file(FWCfgState *s, const char *filename,
                        const void *data, size_t len)
{
    int i = fw_cfg_find_file(s, filename);

    if (i < 0) {
        fw_cfg_add_file(s, filename, data, len);
        return;
    }
    fw_cfg_set_entry(&s->entries[0][FW_CFG_FILE_FIRST + i], data, len);
    fw_cfg_file_entry(s, i)->size = htobe32(len);
}

const void *fw_cfg_get_file(FWCfgState *s, const char *filename, size_t *len)
{
    int i = fw_cfg_find_file(s, filename);
    FWCfgEntry *e;

    if (i < 0) {
        return NULL;
    }
    e = &s->entries[0][FW_CFG_FILE_FIRST + i];
    if (len) {
        *len = e->len;
    }
    return e->data;
}

/* ---- device ------------------------------------------------------------- */

static void fw_cfg_reset_enter(Object *obj, ResetType type)
{
    FWCfgState *s = FW_CFG_IO(obj);

    s->cur_entry = 0;
    s->cur_offset = 0;
    s->dma_addr = 0;
}

static void fw_cfg_realize(DeviceState *dev, Error **errp)
{
    FWCfgState *s = FW_CFG_IO(dev);
    uint16_t max;

    if (s->file_slots < FW_CFG_FILE_SLOTS_DFLT ||
        FW_CFG_FILE_FIRST + s->file_slots > FW_CFG_WRITE_CHANNEL) {
        error_setg(errp, "fw_cfg: x-file-slots must be between %d and %d",
                   FW_CFG_FILE_SLOTS_DFLT,
                   FW_CFG_WRITE_CHANNEL - FW_CFG_FILE_FIRST);
        return;
    }
    max = fw_cfg_max_entry(s);
    s->entries[0] = xnew_array(FWCfgEntry, max);
    s->entries[1] = xnew_array(FWCfgEntry, max);
    s->files = xzalloc(4 + (size_t)s->file_slots * sizeof(FWCfgFile));
    if (!s->dma_as) {
        s->dma_as = &address_space_memory;
    }
    s->id = FW_CFG_VERSION | (s->dma_enabled ? FW_CFG_VERSION_DMA : 0);

    fw_cfg_add_bytes(s, FW_CFG_SIGNATURE, "QEMU", FW_CFG_SIG_SIZE);
    fw_cfg_add_bytes(s, FW_CFG_ID, &s->id, 1);
    fw_cfg_update_file_dir(s);

    memory_region_init_io(&s->comb_iomem, OBJECT(s), &fw_cfg_comb_ops, s,
                          "fwcfg", 2);
    memory_region_add_subregion(get_system_io(), s->iobase, &s->comb_iomem);
    if (s->dma_enabled) {
        memory_region_init_io(&s->dma_iomem, OBJECT(s), &fw_cfg_dma_ops, s,
                              "fwcfg.dma", 8);
        memory_region_add_subregion(get_system_io(), s->dma_iobase,
                                    &s->dma_iomem);
    }
    s->mapped = true;
}

static void fw_cfg_unrealize(DeviceState *dev)
{
    FWCfgState *s = FW_CFG_IO(dev);
    uint16_t max = fw_cfg_max_entry(s);

    if (s->mapped) {
        memory_region_del_subregion(get_system_io(), &s->comb_iomem);
        memory_region_finalize(&s->comb_iomem);
        if (s->dma_enabled) {
            memory_region_del_subregion(get_system_io(), &s->dma_iomem);
            memory_region_finalize(&s->dma_iomem);
        }
        s->mapped = false;
    }
    for (int arch = 0; arch < 2; arch++) {
        for (uint16_t i = 0; i < max; i++) {
            if (!(arch == 0 && i == FW_CFG_FILE_DIR)) {
                free(s->entries[arch][i].data);
            }
        }
        free(s->entries[arch]);
        s->entries[arch] = NULL;
    }
    free(s->files);
    s->files = NULL;
}

static const Property fw_cfg_io_properties[] = {
    DEFINE_PROP_UINT32("iobase", FWCfgState, iobase, FW_CFG_IO_BASE),
    DEFINE_PROP_UINT32("dma_iobase", FWCfgState, dma_iobase,
                       FW_CFG_DMA_IO_BASE),
    DEFINE_PROP_BOOL("dma_enabled", FWCfgState, dma_enabled, true),
    DEFINE_PROP_UINT16("x-file-slots", FWCfgState, file_slots,
                       FW_CFG_FILE_SLOTS_DFLT),
    DEFINE_PROP_END_OF_LIST(),
};

static bool fw_cfg_dma_enabled(void *opaque)
{
    return ((FWCfgState *)opaque)->dma_enabled;
}

static const VMStateDescription vmstate_fw_cfg_dma = {
    .name = "fw_cfg/dma",
    .needed = fw_cfg_dma_enabled,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT64(dma_addr, FWCfgState),
        VMSTATE_END_OF_LIST()
    },
};

/*
 * QEMU's hw/nvram/fw_cfg.c "fw_cfg": the selected item and the offset in
 * it (the items themselves are rebuilt by the board).  Any loaded key or
 * offset is safe: reads past an item or of a missing one give 0.
 */
static const VMStateDescription vmstate_fw_cfg = {
    .name = "fw_cfg",
    .version_id = 2,
    .minimum_version_id = 2,
    .fields = (const VMStateField[]) {
        VMSTATE_UINT16(cur_entry, FWCfgState),
        VMSTATE_UINT32_V(cur_offset, FWCfgState, 2),
        VMSTATE_END_OF_LIST()
    },
    .subsections = (const VMStateDescription *const[]) {
        &vmstate_fw_cfg_dma,
        NULL
    },
};

static void fw_cfg_io_class_init(ObjectClass *klass, const void *data)
{
    DeviceClass *dc = DEVICE_CLASS(klass);
    ResettableClass *rc = RESETTABLE_CLASS(klass);

    dc->realize = fw_cfg_realize;
    dc->unrealize = fw_cfg_unrealize;
    dc->desc = "QEMU firmware configuration device (I/O ports)";
    dc->vmsd = &vmstate_fw_cfg;
    dc->user_creatable = false;
    device_class_set_props(dc, fw_cfg_io_properties);
    rc->phases.enter = fw_cfg_reset_enter;
}

static const TypeInfo fw_cfg_io_info = {
    .name = TYPE_FW_CFG_IO,
    .parent = TYPE_SYS_BUS_DEVICE,
    .instance_size = sizeof(FWCfgState),
    .class_init = fw_cfg_io_class_init,
};

static void fw_cfg_register_types(void)
{
    type_register_static(&fw_cfg_io_info);
}

type_init(fw_cfg_register_types)

FWCfgState *fw_cfg_init_io_dma(uint32_t iobase, uint32_t dma_iobase,
                               AddressSpace *dma_as)
{
    DeviceState *dev = qdev_new(TYPE_FW_CFG_IO);
    FWCfgState *s = FW_CFG_IO(dev);

    qdev_prop_set_uint32(dev, "iobase", iobase);
    qdev_prop_set_uint32(dev, "dma_iobase", dma_iobase);
    qdev_prop_set_bit(dev, "dma_enabled", dma_iobase != 0);
    s->dma_as = dma_as;
    object_property_add_child(qdev_get_machine(), "fw_cfg", OBJECT(dev));
    sysbus_realize_and_unref(SYS_BUS_DEVICE(dev), &error_fatal);
    return s;
}

FWCfgState *fw_cfg_find(void)
{
    Object *obj = object_resolve_path_type("/machine/fw_cfg", TYPE_FW_CFG_IO,
                                           NULL);
    return obj ? FW_CFG_IO(obj) : NULL;
}
