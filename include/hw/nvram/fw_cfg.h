/*
 * fw_cfg: the firmware configuration device, after QEMU's hw/nvram/fw_cfg.c
 * and docs/specs/fw_cfg.rst, so SeaBIOS, OVMF and Linux's qemu_fw_cfg
 * driver work unchanged.
 *
 * x86 I/O interface (TYPE_FW_CFG_IO):
 *   0x510  selector, 16-bit write: picks an item, rewinds its offset
 *   0x511  data, 8-bit read: next byte of the item (0 past the end)
 *   0x514  DMA, 64-bit big-endian (two 32-bit writes, high then low, or
 *          one 64-bit write; the low half starts it): guest address of a
 *          FWCfgDmaAccess { be32 control; be32 length; be64 address; }.
 *          Reading 0x514 as 64 bits gives "QEMU CFG" (the DMA signature).
 *
 * Items are numbered keys (FW_CFG_*) and named files (FW_CFG_FILE_DIR lists
 * them sorted by name; selectors from FW_CFG_FILE_FIRST).  Every add and
 * modify function copies the data: the caller keeps ownership of its
 * buffer.  A file may be writable by the guest through DMA; its write
 * callback then runs with the range written (see fw_cfg_get_file).
 *
 * Guest mistakes (bad selectors, DMA to addresses outside RAM, writes to
 * read-only items) are logged with -d guest_errors and end the DMA
 * transfer with the ERROR control bit; nothing aborts.  Board-side
 * misuse (duplicate key or file name, too many files) is a programming
 * error and aborts, as in QEMU.  Runs under the big lock.
 */
#ifndef HW_NVRAM_FW_CFG_H
#define HW_NVRAM_FW_CFG_H

#include "hw/sysbus.h"
#include "memory/memory.h"
#include <sys/types.h>

#define FW_CFG_SIGNATURE        0x00
#define FW_CFG_ID               0x01
#define FW_CFG_UUID             0x02
#define FW_CFG_RAM_SIZE         0x03
#define FW_CFG_NOGRAPHIC        0x04
#define FW_CFG_NB_CPUS          0x05
#define FW_CFG_MACHINE_ID       0x06
#define FW_CFG_KERNEL_ADDR      0x07
#define FW_CFG_KERNEL_SIZE      0x08
#define FW_CFG_KERNEL_CMDLINE   0x09
#define FW_CFG_INITRD_ADDR      0x0a
#define FW_CFG_INITRD_SIZE      0x0b
#define FW_CFG_BOOT_DEVICE      0x0c
#define FW_CFG_NUMA             0x0d
#define FW_CFG_BOOT_MENU        0x0e
#define FW_CFG_MAX_CPUS         0x0f
#define FW_CFG_KERNEL_ENTRY     0x10
#define FW_CFG_KERNEL_DATA      0x11
#define FW_CFG_INITRD_DATA      0x12
#define FW_CFG_CMDLINE_ADDR     0x13
#define FW_CFG_CMDLINE_SIZE     0x14
#define FW_CFG_CMDLINE_DATA     0x15
#define FW_CFG_SETUP_ADDR       0x16
#define FW_CFG_SETUP_SIZE       0x17
#define FW_CFG_SETUP_DATA       0x18
#define FW_CFG_FILE_DIR         0x19
#define FW_CFG_FILE_FIRST       0x20
#define FW_CFG_FILE_SLOTS_DFLT  0x20
#define FW_CFG_WRITE_CHANNEL    0x4000
#define FW_CFG_ARCH_LOCAL       0x8000
#define FW_CFG_ENTRY_MASK       (~(FW_CFG_WRITE_CHANNEL | FW_CFG_ARCH_LOCAL))
#define FW_CFG_INVALID          0xffff

/* x86 arch-local keys (QEMU's hw/i386/fw_cfg.h). */
#define FW_CFG_ACPI_TABLES      (FW_CFG_ARCH_LOCAL + 0)
#define FW_CFG_SMBIOS_ENTRIES   (FW_CFG_ARCH_LOCAL + 1)
#define FW_CFG_IRQ0_OVERRIDE    (FW_CFG_ARCH_LOCAL + 2)
#define FW_CFG_E820_TABLE       (FW_CFG_ARCH_LOCAL + 3)
#define FW_CFG_HPET             (FW_CFG_ARCH_LOCAL + 4)

#define FW_CFG_MAX_FILE_PATH    56
#define FW_CFG_SIG_SIZE         4

/* FW_CFG_ID bits. */
#define FW_CFG_VERSION          0x01
#define FW_CFG_VERSION_DMA      0x02

/* FWCfgDmaAccess.control bits. */
#define FW_CFG_DMA_CTL_ERROR    0x01
#define FW_CFG_DMA_CTL_READ     0x02
#define FW_CFG_DMA_CTL_SKIP     0x04
#define FW_CFG_DMA_CTL_SELECT   0x08
#define FW_CFG_DMA_CTL_WRITE    0x10

#define FW_CFG_DMA_SIGNATURE    0x51454d5520434647ULL /* "QEMU CFG" */

#define FW_CFG_IO_BASE          0x510
#define FW_CFG_DMA_IO_BASE      0x514

/* One FW_CFG_FILE_DIR entry, as the guest sees it (big-endian). */
typedef struct FWCfgFile {
    uint32_t size;
    uint16_t select;
    uint16_t reserved;
    char name[FW_CFG_MAX_FILE_PATH];
} __attribute__((packed)) FWCfgFile;

typedef struct FWCfgDmaAccess {
    uint32_t control;
    uint32_t length;
    uint64_t address;
} __attribute__((packed)) FWCfgDmaAccess;

typedef void (*FWCfgCallback)(void *opaque);
/* The guest wrote [start, start + len) of a writable file. */
typedef void (*FWCfgWriteCallback)(void *opaque, off_t start, size_t len);

typedef struct FWCfgEntry {
    uint32_t len;
    bool allow_write;
    uint8_t *data;
    void *callback_opaque;
    FWCfgCallback select_cb;
    FWCfgWriteCallback write_cb;
} FWCfgEntry;

#define TYPE_FW_CFG_IO "fw_cfg_io"
OBJECT_DECLARE_SIMPLE_TYPE(FWCfgState, FW_CFG_IO)

struct FWCfgState {
    SysBusDevice parent_obj;

    /* Properties. */
    uint32_t iobase;            /* "iobase": 0x510 */
    uint32_t dma_iobase;        /* "dma_iobase": 0x514 */
    bool dma_enabled;           /* "dma_enabled" */
    uint16_t file_slots;        /* "x-file-slots" */

    AddressSpace *dma_as;       /* address_space_memory unless set */
    uint16_t file_slots_used;
    FWCfgEntry *entries[2];     /* [arch-local?][key & mask] */
    uint8_t *files;             /* FW_CFG_FILE_DIR blob (be32 count, ...) */
    uint16_t cur_entry;
    uint32_t cur_offset;
    uint64_t dma_addr;
    uint8_t id;

    MemoryRegion comb_iomem;    /* selector + data */
    MemoryRegion dma_iomem;
    bool mapped;
};

/*
 * Create "/machine/fw_cfg" on ports iobase (selector, data at +1) and
 * dma_iobase (0: no DMA), realize it and map it into the system I/O space.
 */
FWCfgState *fw_cfg_init_io_dma(uint32_t iobase, uint32_t dma_iobase,
                               AddressSpace *dma_as);
/* The machine's fw_cfg ("/machine/fw_cfg"), or NULL. */
FWCfgState *fw_cfg_find(void);

void fw_cfg_add_bytes(FWCfgState *s, uint16_t key, const void *data,
                      size_t len);
void fw_cfg_add_string(FWCfgState *s, uint16_t key, const char *value);
void fw_cfg_add_i16(FWCfgState *s, uint16_t key, uint16_t value);
void fw_cfg_add_i32(FWCfgState *s, uint16_t key, uint32_t value);
void fw_cfg_add_i64(FWCfgState *s, uint16_t key, uint64_t value);
/* Replace a key's data (added before). */
void fw_cfg_modify_bytes(FWCfgState *s, uint16_t key, const void *data,
                         size_t len);
void fw_cfg_modify_i16(FWCfgState *s, uint16_t key, uint16_t value);
void fw_cfg_modify_i32(FWCfgState *s, uint16_t key, uint32_t value);
void fw_cfg_modify_i64(FWCfgState *s, uint16_t key, uint64_t value);

void fw_cfg_add_file(FWCfgState *s, const char *filename, const void *data,
                     size_t len);
/*
 * select_cb runs when the guest selects the file (before reading it, e.g.
 * to build it lazily); write_cb after a guest DMA write, allowed only
 * when !read_only.
 */
void fw_cfg_add_file_callback(FWCfgState *s, const char *filename,
                              FWCfgCallback select_cb,
                              FWCfgWriteCallback write_cb,
                              void *callback_opaque, const void *data,
                              size_t len, bool read_only);
/* Replace a file's data, adding the file if it does not exist. */
void fw_cfg_modify_file(FWCfgState *s, const char *filename,
                        const void *data, size_t len);
/* A file's current contents (what the guest wrote, too), or NULL. */
const void *fw_cfg_get_file(FWCfgState *s, const char *filename,
                            size_t *len);
/* The key a file was given (it moves while files are added), or -1. */
int fw_cfg_file_key(FWCfgState *s, const char *filename);

#endif
