/*
 * Guest memory: the tree of MemoryRegions, AddressSpaces rendered to
 * FlatViews, and the accessors that devices, DMA and the CPUs use.
 *
 * The model and the names are QEMU's (docs/devel/memory.rst):
 *
 *   - A MemoryRegion is a container, RAM, ROM, a ROM device, MMIO/PIO
 *     (callbacks in MemoryRegionOps) or an alias into part of another
 *     region.  Subregions are placed at an offset in a container with a
 *     priority; where they overlap the higher priority wins, and among equal
 *     priorities the one added last wins.
 *   - An AddressSpace is a root region plus the FlatView rendered from it:
 *     sorted, non-overlapping ranges, each pointing at a terminal region
 *     and an offset in it.
 *   - Every change to the tree (add/del, enable, move, resize...) is a
 *     transaction; at the outermost commit each AddressSpace is re-rendered
 *     once, listeners are told the difference, and the new view is
 *     published with rcu_assign_pointer.  The old one is freed after an RCU
 *     grace period, so readers (vCPU threads, without the big lock) never
 *     see a half-rendered view.
 *
 * Threading: functions that change the tree, register listeners or create
 * address spaces are called with the big lock held (one writer at a time).
 * Accessors (address_space_rw and friends) may be called from any thread.
 * address_space_translate and address_space_to_flatview must be called
 * inside an RCU read-side critical section (urcu_bp_read_lock()), and the
 * result is valid only until the matching unlock.
 *
 * This MemoryRegion is a plain struct, not a QOM object: it stores its
 * owner pointer but takes no reference on it.
 */
#ifndef MEMORY_MEMORY_H
#define MEMORY_MEMORY_H

#include "util/osdep.h"
#include "util/error.h"
#include "util/queue.h"
#include <urcu-bp.h>

struct Object;
typedef struct Object Object;

typedef uint64_t hwaddr;
typedef uint64_t ram_addr_t;
/* Sizes and ranges may reach 2^64, and aliases may offset below zero. */
typedef __int128 Int128;

#define HWADDR_MAX UINT64_MAX
#define RAM_ADDR_INVALID (~(ram_addr_t)0)
#define TARGET_PAGE_BITS 12
#define TARGET_PAGE_SIZE (1ULL << TARGET_PAGE_BITS)
#define TARGET_PAGE_MASK (~(TARGET_PAGE_SIZE - 1))

typedef struct MemoryRegion MemoryRegion;
typedef struct MemoryRegionOps MemoryRegionOps;
typedef struct MemoryRegionSection MemoryRegionSection;
typedef struct MemoryListener MemoryListener;
typedef struct AddressSpace AddressSpace;
typedef struct FlatView FlatView;
typedef struct FlatRange FlatRange;
typedef struct RAMBlock RAMBlock;

/* Result of a memory transaction: a bit mask, MEMTX_OK when clear. */
typedef uint32_t MemTxResult;
#define MEMTX_OK 0
#define MEMTX_ERROR (1U << 0)        /* device returned an error */
#define MEMTX_DECODE_ERROR (1U << 1) /* nothing at that address / bad size */
#define MEMTX_ACCESS_ERROR (1U << 2) /* access denied */

/* Who is doing an access; passed through to devices. */
typedef struct MemTxAttrs {
    unsigned int unspecified : 1; /* no attributes given */
    unsigned int secure : 1;
    unsigned int user : 1;       /* CPL 3 access */
    unsigned int memory : 1;     /* from a DMA-capable requester */
    unsigned int requester_id : 16;
} MemTxAttrs;
#define MEMTXATTRS_UNSPECIFIED ((MemTxAttrs){ .unspecified = 1 })

enum device_endian {
    DEVICE_NATIVE_ENDIAN,   /* the guest's: little-endian for x86 */
    DEVICE_BIG_ENDIAN,
    DEVICE_LITTLE_ENDIAN,
};

/*
 * Callbacks of an MMIO or port I/O region.
 *
 * `valid` says what the guest may do: an access outside it (size out of
 * [min, max], unaligned when !unaligned, or refused by accepts) is a guest
 * error and fails with MEMTX_DECODE_ERROR without calling the device.
 * A max_access_size of 0 means "any size 1..4" for the accessors' splitting
 * and "no size check" for validation, as in QEMU.
 *
 * `impl` says what the callbacks implement: valid accesses are split into
 * several callbacks (too wide) or widened (too narrow) to fit
 * [impl.min_access_size, impl.max_access_size] (defaults 1 and 4).  When
 * !impl.unaligned, every callback gets an address aligned to its size:
 * unaligned accesses are done as the covering aligned accesses, reads
 * extracting the bytes asked for, writes sending zeros in the bytes that
 * were not written (as QEMU does when widening; never a hidden read).
 *
 * Values are passed in the device's endianness; sizes are in bytes.
 */
struct MemoryRegionOps {
    uint64_t (*read)(void *opaque, hwaddr addr, unsigned size);
    void (*write)(void *opaque, hwaddr addr, uint64_t value, unsigned size);
    /* Variants that can fail; used instead of read/write when set. */
    MemTxResult (*read_with_attrs)(void *opaque, hwaddr addr, uint64_t *data,
                                   unsigned size, MemTxAttrs attrs);
    MemTxResult (*write_with_attrs)(void *opaque, hwaddr addr, uint64_t data,
                                    unsigned size, MemTxAttrs attrs);
    enum device_endian endianness;
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;
        bool (*accepts)(void *opaque, hwaddr addr, unsigned size,
                        bool is_write, MemTxAttrs attrs);
    } valid;
    struct {
        unsigned min_access_size;
        unsigned max_access_size;
        bool unaligned;
    } impl;
};

/* Dirty memory clients: one bitmap each per RAMBlock. */
enum {
    DIRTY_MEMORY_VGA = 0,
    DIRTY_MEMORY_CODE = 1,      /* clear bit: the page holds translated code */
    DIRTY_MEMORY_MIGRATION = 2,
    DIRTY_MEMORY_NUM = 3,
};
#define DIRTY_MEMORY_DISPLAY DIRTY_MEMORY_VGA
#define DIRTY_CLIENTS_ALL ((1 << DIRTY_MEMORY_NUM) - 1)
#define DIRTY_CLIENTS_NOCODE (DIRTY_CLIENTS_ALL & ~(1 << DIRTY_MEMORY_CODE))

struct MemoryRegion {
    /* All fields are private; use the functions below. */
    Object *owner;
    char *name;
    const MemoryRegionOps *ops;
    void *opaque;
    MemoryRegion *container;
    Int128 size;
    hwaddr addr;            /* offset in the container */
    int priority;
    bool may_overlap;
    bool enabled;
    bool ram;
    bool readonly;          /* for the guest; ROM is RAM + readonly */
    bool rom_device;
    bool romd_mode;         /* ROM device: reads go straight to RAM */
    bool terminates;        /* not a container or alias */
    bool is_io_port;        /* made for an I/O address space (info only) */
    uint8_t vga_logging_count;
    uint8_t dirty_log_mask;
    RAMBlock *ram_block;
    MemoryRegion *alias;
    hwaddr alias_offset;
    QTAILQ_HEAD(, MemoryRegion) subregions;  /* by priority, highest first */
    QTAILQ_ENTRY(MemoryRegion) subregions_link;
};

/*
 * What a listener or a lookup gets: part of one region, at an address of
 * an address space.
 */
struct MemoryRegionSection {
    Int128 size;
    MemoryRegion *mr;
    FlatView *fv;
    hwaddr offset_within_region;
    hwaddr offset_within_address_space;
    bool readonly;
};

struct FlatRange {
    MemoryRegion *mr;
    hwaddr offset_in_region;
    Int128 start;           /* in the address space */
    Int128 size;
    uint8_t dirty_log_mask;
    bool romd_mode;
    bool readonly;
};

/*
 * A rendered address space.  Immutable once published; freed by RCU.
 * ranges[] is sorted by start and ranges do not overlap, so a lookup is a
 * binary search (flatview_lookup).
 */
struct FlatView {
    struct rcu_head rcu;
    FlatRange *ranges;
    unsigned nr;
    unsigned nr_allocated;
    MemoryRegion *root;
};

typedef struct AddressSpaceBounce {
    bool in_use;            /* atomic: one mapping at a time */
    void *buffer;
    hwaddr addr;
    hwaddr len;
    MemTxAttrs attrs;
} AddressSpaceBounce;

struct AddressSpace {
    char *name;
    MemoryRegion *root;
    FlatView *current_map;  /* RCU-protected */
    AddressSpaceBounce bounce;
    QTAILQ_HEAD(, MemoryListener) listeners;
    QTAILQ_ENTRY(AddressSpace) address_spaces_link;
};

/*
 * Told about every change of an address space's FlatView.  On each
 * committed change: begin, then for each AddressSpace the sections that
 * went away (region_del, in reverse priority order) followed by those that
 * stayed (region_nop, plus log_start/log_stop when their dirty logging
 * changed) and those that appeared (region_add), then commit.
 * Registration replays region_add for the current view; unregistration
 * calls region_del for it.  Lower priority listeners hear adds first and
 * dels last.
 */
struct MemoryListener {
    void (*begin)(MemoryListener *listener);
    void (*commit)(MemoryListener *listener);
    void (*region_add)(MemoryListener *listener, MemoryRegionSection *section);
    void (*region_del)(MemoryListener *listener, MemoryRegionSection *section);
    void (*region_nop)(MemoryListener *listener, MemoryRegionSection *section);
    void (*log_start)(MemoryListener *listener, MemoryRegionSection *section,
                      int old_mask, int new_mask);
    void (*log_stop)(MemoryListener *listener, MemoryRegionSection *section,
                     int old_mask, int new_mask);
    void (*log_sync)(MemoryListener *listener, MemoryRegionSection *section);
    void (*log_global_start)(MemoryListener *listener);
    void (*log_global_stop)(MemoryListener *listener);
    unsigned priority;
    const char *name;
    /* private */
    AddressSpace *address_space;
    QTAILQ_ENTRY(MemoryListener) link;
    QTAILQ_ENTRY(MemoryListener) link_as;
};

/* --- Regions -------------------------------------------------------- */

/* A container (no content of its own).  size UINT64_MAX means 2^64. */
void memory_region_init(MemoryRegion *mr, Object *owner, const char *name,
                        uint64_t size);
/* MMIO (or port I/O, when added to an I/O address space). */
void memory_region_init_io(MemoryRegion *mr, Object *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size);
/* RAM backed by anonymous host memory, zero-filled. */
bool memory_region_init_ram(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, Error **errp);
/*
 * RAM backed by a file (created if missing, grown to size); `share` maps it
 * MAP_SHARED so writes reach the file.
 */
bool memory_region_init_ram_from_file(MemoryRegion *mr, Object *owner,
                                      const char *name, uint64_t size,
                                      bool share, const char *path,
                                      Error **errp);
/* RAM backed by an open file descriptor (a memfd, say), mapped shared. */
bool memory_region_init_ram_from_fd(MemoryRegion *mr, Object *owner,
                                    const char *name, uint64_t size, int fd,
                                    uint64_t offset, Error **errp);
/* Read-only for the guest: writes are dropped and logged as guest errors. */
bool memory_region_init_rom(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, Error **errp);
/*
 * ROM device: reads come from RAM while in romd mode (the default), writes
 * always go to ops->write; out of romd mode reads go to ops->read too.
 */
bool memory_region_init_rom_device(MemoryRegion *mr, Object *owner,
                                   const MemoryRegionOps *ops, void *opaque,
                                   const char *name, uint64_t size,
                                   Error **errp);
void memory_region_rom_device_set_romd(MemoryRegion *mr, bool romd_mode);
/* The window [offset, offset + size) of orig, seen wherever mr is placed. */
void memory_region_init_alias(MemoryRegion *mr, Object *owner,
                              const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size);
/*
 * Release what init allocated (name, RAM) and detach its subregions.  The
 * region must not be in a container; a RAM region waits for an RCU grace
 * period, so never call it inside a read-side critical section.
 */
void memory_region_finalize(MemoryRegion *mr);

void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                 MemoryRegion *subregion);
void memory_region_add_subregion_overlap(MemoryRegion *mr, hwaddr offset,
                                         MemoryRegion *subregion,
                                         int priority);
void memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *subregion);
void memory_region_set_enabled(MemoryRegion *mr, bool enabled);
void memory_region_set_address(MemoryRegion *mr, hwaddr addr);
void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset);
void memory_region_set_size(MemoryRegion *mr, uint64_t size);
void memory_region_set_readonly(MemoryRegion *mr, bool readonly);
/* Turn dirty logging for `client` (DIRTY_MEMORY_VGA only) on or off. */
void memory_region_set_log(MemoryRegion *mr, bool log, unsigned client);

/* Batch changes: the views are rendered once, at the outermost commit. */
void memory_region_transaction_begin(void);
void memory_region_transaction_commit(void);

const char *memory_region_name(const MemoryRegion *mr);
uint64_t memory_region_size(const MemoryRegion *mr); /* 2^64: UINT64_MAX */
bool memory_region_is_ram(const MemoryRegion *mr);
bool memory_region_is_rom(const MemoryRegion *mr);
bool memory_region_is_romd(const MemoryRegion *mr);
bool memory_region_is_enabled(const MemoryRegion *mr);
Object *memory_region_owner(const MemoryRegion *mr);
/* Host address of a RAM region's first byte (through aliases). */
void *memory_region_get_ram_ptr(MemoryRegion *mr);
ram_addr_t memory_region_get_ram_addr(MemoryRegion *mr);
uint8_t memory_region_get_dirty_log_mask(MemoryRegion *mr);

/*
 * Access a region directly (the TLB slow path does this after
 * address_space_translate).  Values are in the guest's byte order;
 * size is 1, 2, 4 or 8.
 */
MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr,
                                        uint64_t *pval, unsigned size,
                                        MemTxAttrs attrs);
MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr,
                                         uint64_t val, unsigned size,
                                         MemTxAttrs attrs);

/* --- Address spaces ------------------------------------------------- */

void address_space_init(AddressSpace *as, MemoryRegion *root,
                        const char *name);
/* Unregisters its listeners and waits for readers: not on the read side. */
void address_space_destroy(AddressSpace *as);

/* The machine's "system" (2^64) and "io" (64 KiB) containers, made on
 * first use together with address_space_memory and address_space_io. */
MemoryRegion *get_system_memory(void);
MemoryRegion *get_system_io(void);
extern AddressSpace address_space_memory;
extern AddressSpace address_space_io;

/* Inside an RCU read-side critical section only. */
static inline FlatView *address_space_to_flatview(AddressSpace *as)
{
    return rcu_dereference(as->current_map);
}

/*
 * The range of fv containing addr, or NULL where nothing is mapped.
 * O(log n).
 */
const FlatRange *flatview_lookup(const FlatView *fv, hwaddr addr);

/*
 * Find what is at addr: returns the terminal region (the "unassigned"
 * region for holes, never NULL) with *xlat the offset in it and *plen cut
 * down to what lies in that one range.  Inside an RCU read-side critical
 * section only.
 */
MemoryRegion *flatview_translate(FlatView *fv, hwaddr addr, hwaddr *xlat,
                                 hwaddr *plen, bool is_write);
MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr,
                                      hwaddr *xlat, hwaddr *plen,
                                      bool is_write);
/*
 * What the TLB fills from: the section at addr, running to the end of its
 * range (the unassigned region and the hole's extent when nothing is
 * mapped), with the range's readonly flag.  O(log n), RCU read side only.
 */
MemoryRegionSection flatview_find_section(FlatView *fv, hwaddr addr);
/*
 * QEMU's memory_region_find: the first part of [addr, addr + size) of mr
 * (addr relative to mr) that is mapped in the address space whose root
 * holds mr, clipped to one range.  .mr is NULL when none is.  The section
 * (and its .fv) is only a snapshot: do not keep .fv.
 */
MemoryRegionSection memory_region_find(MemoryRegion *mr, hwaddr addr,
                                       uint64_t size);
/* True for the region that stands for holes in a FlatView. */
bool memory_region_is_unassigned(const MemoryRegion *mr);

/* Accessors: split at region boundaries and to sizes the regions accept. */
MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                             void *buf, hwaddr len, bool is_write);
MemTxResult address_space_read(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, void *buf, hwaddr len);
MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                MemTxAttrs attrs, const void *buf, hwaddr len);

/* Loads and stores; result may be NULL. */
uint8_t address_space_ldub(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result);
uint16_t address_space_lduw_le(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, MemTxResult *result);
uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result);
void address_space_stb(AddressSpace *as, hwaddr addr, uint8_t val,
                       MemTxAttrs attrs, MemTxResult *result);
void address_space_stw_le(AddressSpace *as, hwaddr addr, uint16_t val,
                          MemTxAttrs attrs, MemTxResult *result);
void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result);
void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t val,
                          MemTxAttrs attrs, MemTxResult *result);

/*
 * Map guest memory for direct access (DMA).  RAM gives a host pointer into
 * the region, *plen cut to what is contiguous.  Anything else goes
 * through the address space's single bounce buffer (at most one page),
 * filled first for reads; NULL when it is already in use.  unmap with
 * access_len = bytes actually touched: marks RAM dirty, or writes the
 * bounce buffer back.
 */
void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen,
                        bool is_write, MemTxAttrs attrs);
void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len,
                         bool is_write, hwaddr access_len);

/* --- Listeners, dirty logging ----------------------------------------- */

void memory_listener_register(MemoryListener *listener, AddressSpace *as);
void memory_listener_unregister(MemoryListener *listener);
/* Migration: every RAM range gets DIRTY_MEMORY_MIGRATION logging. */
void memory_global_dirty_log_start(void);
void memory_global_dirty_log_stop(void);
bool memory_global_dirty_log_enabled(void);
/* Ask listeners (KVM) to fold their dirty logs into the bitmaps. */
void memory_global_dirty_log_sync(void);

/* --- Info and guest errors ---------------------------------------------- */

/*
 * `info mtree` in QEMU's format.  flatview: print each rendered FlatView
 * instead of the tree (-f); owner: add each region's owner (-o);
 * disabled: show disabled regions too (-D).
 */
void mtree_info(StrBuf *out, bool flatview, bool owner, bool disabled);
/*
 * How `owner` prints an owner inside " owner:{...}": QEMU prints
 * "dev id=<id>" or "obj path=<path>"; the object model installs this
 * (without it, "obj").  Regions without an owner print " orphan".
 */
void memory_set_owner_printer(void (*print)(StrBuf *out, Object *owner));

/*
 * Guest mistakes (unassigned addresses, invalid access sizes, ROM writes)
 * are counted, and printed on stderr when enabled (-d guest_errors).
 */
uint64_t memory_guest_error_count(void);
void memory_set_log_guest_errors(bool enabled);

#endif
