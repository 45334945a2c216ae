/*
 * FlatView dispatch: finding what lies at an address and performing
 * accesses on it (RAM by memcpy, MMIO/PIO through MemoryRegionOps with
 * QEMU's access-size rules), plus map/unmap for DMA.
 *
 * Every access runs inside an RCU read-side critical section over the
 * address space's current FlatView, so a concurrent topology change never
 * shows a half-rendered view; the old view stays valid until we leave.
 */
#include "internal.h"

MemoryRegion io_mem_unassigned = {
    .name = (char *)"unassigned",
    .size = (Int128)1 << 64,
    .enabled = true,
    .terminates = true,
    .subregions = QTAILQ_HEAD_INITIALIZER(io_mem_unassigned.subregions),
};

bool memory_region_is_unassigned(const MemoryRegion *mr)
{
    return mr == &io_mem_unassigned;
}

/* --- Lookup ---------------------------------------------------------- */

/* Index of the first range ending after addr (nr if none). O(log n). */
static unsigned flatview_find_index(const FlatView *fv, hwaddr addr)
{
    unsigned lo = 0, hi = fv->nr;

    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        const FlatRange *fr = &fv->ranges[mid];
        if (fr->start + fr->size <= (Int128)addr) {
            lo = mid + 1;
        } else {
            hi = mid;
        }
    }
    return lo;
}

const FlatRange *flatview_lookup(const FlatView *fv, hwaddr addr)
{
    unsigned i = flatview_find_index(fv, addr);

    if (i < fv->nr && fv->ranges[i].start <= (Int128)addr) {
        return &fv->ranges[i];
    }
    return NULL;
}

/*
 * The terminal region at addr, with *xlat the offset in it, *plen clipped
 * to the range and *readonly the range's flag.  Holes give the unassigned
 * region, clipped to the next range.
 */
static MemoryRegion *flatview_translate_internal(const FlatView *fv,
                                                 hwaddr addr, hwaddr *xlat,
                                                 hwaddr *plen, bool *readonly)
{
    unsigned i = fv ? flatview_find_index(fv, addr) : 0;
    Int128 len = *plen;

    if (fv && i < fv->nr && fv->ranges[i].start <= (Int128)addr) {
        const FlatRange *fr = &fv->ranges[i];
        Int128 diff = addr - fr->start;
        *xlat = fr->offset_in_region + (hwaddr)diff;
        *plen = (hwaddr)MIN(len, fr->size - diff);
        *readonly = fr->readonly;
        return fr->mr;
    }
    if (fv && i < fv->nr) {
        *plen = (hwaddr)MIN(len, fv->ranges[i].start - addr);
    }
    *xlat = addr;
    *readonly = false;
    return &io_mem_unassigned;
}

MemoryRegion *flatview_translate(FlatView *fv, hwaddr addr, hwaddr *xlat,
                                 hwaddr *plen, bool is_write)
{
    bool readonly;
    return flatview_translate_internal(fv, addr, xlat, plen, &readonly);
}

MemoryRegion *address_space_translate(AddressSpace *as, hwaddr addr,
                                      hwaddr *xlat, hwaddr *plen,
                                      bool is_write)
{
    return flatview_translate(address_space_to_flatview(as), addr, xlat, plen,
                              is_write);
}

MemoryRegionSection flatview_find_section(FlatView *fv, hwaddr addr)
{
    MemoryRegionSection section = {
        .fv = fv,
        .offset_within_address_space = addr,
    };
    unsigned i = flatview_find_index(fv, addr);

    if (i < fv->nr && fv->ranges[i].start <= (Int128)addr) {
        const FlatRange *fr = &fv->ranges[i];
        Int128 diff = addr - fr->start;
        section.mr = fr->mr;
        section.offset_within_region = fr->offset_in_region + (hwaddr)diff;
        section.size = fr->size - diff;
        section.readonly = fr->readonly;
        return section;
    }
    section.mr = &io_mem_unassigned;
    section.offset_within_region = addr;
    section.size = (i < fv->nr ? fv->ranges[i].start : int128_2_64()) - addr;
    return section;
}

MemoryRegionSection memory_region_find(MemoryRegion *mr, hwaddr addr,
                                       uint64_t size)
{
    MemoryRegionSection ret = { .mr = NULL };
    MemoryRegion *root = mr;
    AddressSpace *as;

    addr += mr->addr;
    while (root->container) {
        root = root->container;
        addr += root->addr;
    }
    urcu_bp_read_lock();
    QTAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
        if (as->root != root) {
            continue;
        }
        /* The first range overlapping [addr, addr + size), clipped. */
        FlatView *fv = address_space_to_flatview(as);
        unsigned i = flatview_find_index(fv, addr);
        if (i == fv->nr || fv->ranges[i].start >= (Int128)addr + size) {
            break;
        }
        const FlatRange *fr = &fv->ranges[i];
        Int128 start = MAX((Int128)addr, fr->start);
        Int128 end = MIN((Int128)addr + size, fr->start + fr->size);
        ret.mr = fr->mr;
        ret.fv = fv;
        ret.offset_within_region = fr->offset_in_region +
                                   (hwaddr)(start - fr->start);
        ret.offset_within_address_space = (hwaddr)start;
        ret.size = end - start;
        ret.readonly = fr->readonly;
        break;
    }
    urcu_bp_read_unlock();
    return ret;
}

/* --- MMIO ------------------------------------------------------------ */

static void store_device(uint8_t *p, uint64_t v, unsigned size, bool big)
{
    for (unsigned i = 0; i < size; i++) {
        unsigned shift = big ? (size - 1 - i) * 8 : i * 8;
        p[i] = v >> shift;
    }
}

static uint64_t load_device(const uint8_t *p, unsigned size, bool big)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned shift = big ? (size - 1 - i) * 8 : i * 8;
        v |= (uint64_t)p[i] << shift;
    }
    return v;
}

static bool memory_region_access_valid(MemoryRegion *mr, hwaddr addr,
                                       unsigned size, bool is_write,
                                       MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;

    if (!ops) {
        memory_guest_error("invalid %s of %u bytes at offset 0x%" PRIx64
                           " of region %s: no device behind it",
                           is_write ? "write" : "read", size, addr, mr->name);
        return false;
    }
    if (ops->valid.accepts &&
        !ops->valid.accepts(mr->opaque, addr, size, is_write, attrs)) {
        memory_guest_error("invalid %s of %u bytes at offset 0x%" PRIx64
                           " of region %s: rejected by the device",
                           is_write ? "write" : "read", size, addr, mr->name);
        return false;
    }
    if (!ops->valid.unaligned && (addr & (size - 1))) {
        memory_guest_error("invalid unaligned %s of %u bytes at offset 0x%"
                           PRIx64 " of region %s",
                           is_write ? "write" : "read", size, addr, mr->name);
        return false;
    }
    /* Zero means "no rule", as in QEMU. */
    if (!ops->valid.max_access_size) {
        return true;
    }
    if (size > ops->valid.max_access_size ||
        size < ops->valid.min_access_size) {
        memory_guest_error("invalid %s size %u at offset 0x%" PRIx64
                           " of region %s (valid: %u..%u)",
                           is_write ? "write" : "read", size, addr, mr->name,
                           ops->valid.min_access_size,
                           ops->valid.max_access_size);
        return false;
    }
    return true;
}

static MemTxResult device_read(MemoryRegion *mr, hwaddr addr, uint64_t *v,
                               unsigned size, MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;

    if (ops->read_with_attrs) {
        return ops->read_with_attrs(mr->opaque, addr, v, size, attrs);
    }
    if (ops->read) {
        *v = ops->read(mr->opaque, addr, size);
        return MEMTX_OK;
    }
    memory_guest_error("read from write-only region %s at offset 0x%" PRIx64,
                       mr->name, addr);
    *v = UINT64_MAX;
    return MEMTX_DECODE_ERROR;
}

static MemTxResult device_write(MemoryRegion *mr, hwaddr addr, uint64_t v,
                                unsigned size, MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;

    if (ops->write_with_attrs) {
        return ops->write_with_attrs(mr->opaque, addr, v, size, attrs);
    }
    if (ops->write) {
        ops->write(mr->opaque, addr, v, size);
        return MEMTX_OK;
    }
    memory_guest_error("write to read-only region %s at offset 0x%" PRIx64,
                       mr->name, addr);
    return MEMTX_DECODE_ERROR;
}

/*
 * Do a valid access of `size` bytes as callbacks of the sizes the device
 * implements.  bytes[] is in guest memory order.  Too-wide accesses are
 * split; too-narrow ones widened (reads keep the bytes asked for, writes
 * send zeros in the others, as QEMU does); a device that cannot take
 * unaligned callbacks gets the aligned accesses covering the range.
 */
static MemTxResult access_with_adjusted_size(MemoryRegion *mr, hwaddr addr,
                                             uint8_t *bytes, unsigned size,
                                             bool is_write, MemTxAttrs attrs)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned min = ops->impl.min_access_size ? ops->impl.min_access_size : 1;
    unsigned max = ops->impl.max_access_size ? ops->impl.max_access_size : 4;
    unsigned access_size = MAX(MIN(size, max), min);
    bool big = ops->endianness == DEVICE_BIG_ENDIAN;
    hwaddr start = addr, end = addr + MAX(size, access_size);
    MemTxResult r = MEMTX_OK;

    if (!ops->impl.unaligned) {
        start = ALIGN_DOWN(addr, access_size);
        end = ALIGN_UP(addr + size, access_size);
    }
    for (hwaddr a = start; a < end; a += access_size) {
        hwaddr lo = MAX(a, addr), hi = MIN(a + access_size, addr + size);
        uint8_t chunk[8] = { 0 };
        uint64_t v;

        if (!is_write) {
            r |= device_read(mr, a, &v, access_size, attrs);
            store_device(chunk, v, access_size, big);
            memcpy(bytes + (lo - addr), chunk + (lo - a), hi - lo);
        } else {
            memcpy(chunk + (lo - a), bytes + (lo - addr), hi - lo);
            v = load_device(chunk, access_size, big);
            r |= device_write(mr, a, v, access_size, attrs);
        }
    }
    return r;
}

/* A terminal region that is not plain RAM for this kind of access. */
static MemTxResult memory_region_io(MemoryRegion *mr, hwaddr addr,
                                    uint8_t *bytes, unsigned size,
                                    bool is_write, MemTxAttrs attrs)
{
    if (!memory_region_access_valid(mr, addr, size, is_write, attrs)) {
        if (!is_write) {
            memset(bytes, 0xff, size);
        }
        return MEMTX_DECODE_ERROR;
    }
    return access_with_adjusted_size(mr, addr, bytes, size, is_write, attrs);
}

static bool memory_access_is_direct(MemoryRegion *mr, bool is_write,
                                    bool readonly)
{
    if (is_write) {
        return mr->ram && !mr->readonly && !readonly;
    }
    return mr->ram || memory_region_is_romd(mr);
}

static unsigned pow2floor(uint64_t v)
{
    return v ? 1U << (63 - __builtin_clzll(v)) : 0;
}

/* The largest access the region takes at addr, at most l. */
static unsigned memory_access_size(MemoryRegion *mr, hwaddr l, hwaddr addr)
{
    unsigned access_size_max = mr->ops ? mr->ops->valid.max_access_size : 0;

    /* Regions take 1..4 byte accesses unless they say otherwise. */
    if (access_size_max == 0) {
        access_size_max = 4;
    }
    /* Stay aligned when the device cannot take unaligned accesses. */
    if (!mr->ops || !mr->ops->impl.unaligned) {
        hwaddr align_size_max = addr & -addr;
        if (align_size_max != 0 && align_size_max < access_size_max) {
            access_size_max = align_size_max;
        }
    }
    if (l > access_size_max) {
        l = access_size_max;
    }
    return pow2floor(l);
}

/*
 * One step of an access: at most *plen bytes of one region, *plen updated
 * to what was done.
 */
static MemTxResult region_access_step(MemoryRegion *mr, hwaddr xlat,
                                      bool readonly, uint8_t *buf,
                                      hwaddr *plen, bool is_write,
                                      MemTxAttrs attrs)
{
    hwaddr l = *plen;

    if (mr == &io_mem_unassigned) {
        memory_guest_error("%s of %" PRIu64 " bytes at unassigned address 0x%"
                           PRIx64, is_write ? "write" : "read", l, xlat);
        if (!is_write) {
            memset(buf, 0xff, l);
        }
        return MEMTX_DECODE_ERROR;
    }
    if (memory_access_is_direct(mr, is_write, readonly)) {
        uint8_t *host = mr->ram_block->host + xlat;
        if (is_write) {
            memcpy(host, buf, l);
            invalidate_and_set_dirty(mr, xlat, l);
        } else {
            memcpy(buf, host, l);
        }
        return MEMTX_OK;
    }
    if (is_write && mr->ram) {
        memory_guest_error("write of %" PRIu64 " bytes to read-only region %s"
                           " at offset 0x%" PRIx64 " ignored", l, mr->name,
                           xlat);
        return MEMTX_DECODE_ERROR;
    }
    l = memory_access_size(mr, l, xlat);
    *plen = l;
    return memory_region_io(mr, xlat, buf, l, is_write, attrs);
}

/*
 * The TLB slow path: the access is not split by `valid` (a size the
 * device does not accept is an error), only adjusted to `impl`.
 */
MemTxResult memory_region_dispatch_read(MemoryRegion *mr, hwaddr addr,
                                        uint64_t *pval, unsigned size,
                                        MemTxAttrs attrs)
{
    uint8_t bytes[8];
    hwaddr l = size;
    MemTxResult r;

    assert(size == 1 || size == 2 || size == 4 || size == 8);
    if (mr != &io_mem_unassigned && !memory_access_is_direct(mr, false,
                                                             false)) {
        r = memory_region_io(mr, addr, bytes, size, false, attrs);
    } else {
        r = region_access_step(mr, addr, false, bytes, &l, false, attrs);
    }
    *pval = load_device(bytes, size, false);
    return r;
}

MemTxResult memory_region_dispatch_write(MemoryRegion *mr, hwaddr addr,
                                         uint64_t val, unsigned size,
                                         MemTxAttrs attrs)
{
    uint8_t bytes[8];
    hwaddr l = size;

    assert(size == 1 || size == 2 || size == 4 || size == 8);
    store_device(bytes, val, size, false);
    if (mr != &io_mem_unassigned && !mr->ram) {
        return memory_region_io(mr, addr, bytes, size, true, attrs);
    }
    return region_access_step(mr, addr, false, bytes, &l, true, attrs);
}

/* --- Accessors ------------------------------------------------------- */

static MemTxResult flatview_rw(FlatView *fv, hwaddr addr, MemTxAttrs attrs,
                               uint8_t *buf, hwaddr len, bool is_write)
{
    MemTxResult result = MEMTX_OK;

    while (len) {
        hwaddr xlat, l = len;
        bool readonly;
        MemoryRegion *mr = flatview_translate_internal(fv, addr, &xlat, &l,
                                                       &readonly);
        result |= region_access_step(mr, xlat, readonly, buf, &l, is_write,
                                     attrs);
        len -= l;
        buf += l;
        addr += l;
    }
    return result;
}

MemTxResult address_space_rw(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                             void *buf, hwaddr len, bool is_write)
{
    MemTxResult r;

    urcu_bp_read_lock();
    r = flatview_rw(address_space_to_flatview(as), addr, attrs, buf, len,
                    is_write);
    urcu_bp_read_unlock();
    return r;
}

MemTxResult address_space_read(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, void *buf, hwaddr len)
{
    return address_space_rw(as, addr, attrs, buf, len, false);
}

MemTxResult address_space_write(AddressSpace *as, hwaddr addr,
                                MemTxAttrs attrs, const void *buf, hwaddr len)
{
    return address_space_rw(as, addr, attrs, (void *)buf, len, true);
}

/* Would the device take this access whole (size and alignment)? */
static bool access_fits_region(MemoryRegion *mr, hwaddr addr, unsigned size)
{
    const MemoryRegionOps *ops = mr->ops;
    unsigned max = ops && ops->valid.max_access_size ?
                   ops->valid.max_access_size : 4;

    if (!ops || size > max) {
        return false;
    }
    return ops->valid.unaligned || !(addr & (size - 1));
}

/*
 * Loads and stores are one access of one region, as QEMU's ld/st helpers:
 * a device region at the start address gets the whole access even when the
 * next byte belongs to another region (an OUTL to 0xCF8 must not leak a
 * byte into the reset register at 0xCF9).  Only RAM accesses that cross
 * into another region are split.
 */
static MemTxResult address_space_ldst(AddressSpace *as, hwaddr addr,
                                      MemTxAttrs attrs, uint8_t *bytes,
                                      unsigned size, bool is_write)
{
    MemTxResult r;
    hwaddr xlat, l = size;
    bool readonly;

    urcu_bp_read_lock();
    FlatView *fv = address_space_to_flatview(as);
    MemoryRegion *mr = flatview_translate_internal(fv, addr, &xlat, &l,
                                                   &readonly);
    if (mr != &io_mem_unassigned && !mr->ram &&
        !memory_access_is_direct(mr, is_write, readonly) &&
        access_fits_region(mr, xlat, size)) {
        r = memory_region_io(mr, xlat, bytes, size, is_write, attrs);
    } else {
        /* RAM, holes, and sizes the device does not take whole: split. */
        r = flatview_rw(fv, addr, attrs, bytes, size, is_write);
    }
    urcu_bp_read_unlock();
    return r;
}

static uint64_t address_space_ld(AddressSpace *as, hwaddr addr,
                                 MemTxAttrs attrs, MemTxResult *result,
                                 unsigned size)
{
    uint8_t bytes[8];
    MemTxResult r = address_space_ldst(as, addr, attrs, bytes, size, false);
    if (result) {
        *result = r;
    }
    return load_device(bytes, size, false);
}

static void address_space_st(AddressSpace *as, hwaddr addr, uint64_t val,
                             MemTxAttrs attrs, MemTxResult *result,
                             unsigned size)
{
    uint8_t bytes[8];
    store_device(bytes, val, size, false);
    MemTxResult r = address_space_ldst(as, addr, attrs, bytes, size, true);
    if (result) {
        *result = r;
    }
}

uint8_t address_space_ldub(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                           MemTxResult *result)
{
    return address_space_ld(as, addr, attrs, result, 1);
}

uint16_t address_space_lduw_le(AddressSpace *as, hwaddr addr,
                               MemTxAttrs attrs, MemTxResult *result)
{
    return address_space_ld(as, addr, attrs, result, 2);
}

uint32_t address_space_ldl_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result)
{
    return address_space_ld(as, addr, attrs, result, 4);
}

uint64_t address_space_ldq_le(AddressSpace *as, hwaddr addr, MemTxAttrs attrs,
                              MemTxResult *result)
{
    return address_space_ld(as, addr, attrs, result, 8);
}

void address_space_stb(AddressSpace *as, hwaddr addr, uint8_t val,
                       MemTxAttrs attrs, MemTxResult *result)
{
    address_space_st(as, addr, val, attrs, result, 1);
}

void address_space_stw_le(AddressSpace *as, hwaddr addr, uint16_t val,
                          MemTxAttrs attrs, MemTxResult *result)
{
    address_space_st(as, addr, val, attrs, result, 2);
}

void address_space_stl_le(AddressSpace *as, hwaddr addr, uint32_t val,
                          MemTxAttrs attrs, MemTxResult *result)
{
    address_space_st(as, addr, val, attrs, result, 4);
}

void address_space_stq_le(AddressSpace *as, hwaddr addr, uint64_t val,
                          MemTxAttrs attrs, MemTxResult *result)
{
    address_space_st(as, addr, val, attrs, result, 8);
}

/* --- Map / unmap ----------------------------------------------------- */

void *address_space_map(AddressSpace *as, hwaddr addr, hwaddr *plen,
                        bool is_write, MemTxAttrs attrs)
{
    AddressSpaceBounce *bounce = &as->bounce;
    hwaddr xlat, l = *plen;
    bool readonly;
    void *ptr;

    if (!l) {
        return NULL;
    }
    urcu_bp_read_lock();
    FlatView *fv = address_space_to_flatview(as);
    MemoryRegion *mr = flatview_translate_internal(fv, addr, &xlat, &l,
                                                   &readonly);
    if (mr != &io_mem_unassigned &&
        memory_access_is_direct(mr, is_write, readonly)) {
        *plen = l;
        ptr = mr->ram_block->host + xlat;
        goto out;
    }
    /* Not RAM: one page at a time through the single bounce buffer. */
    if (__atomic_exchange_n(&bounce->in_use, true, __ATOMIC_ACQUIRE)) {
        *plen = 0;
        ptr = NULL;
        goto out;
    }
    l = MIN(l, TARGET_PAGE_SIZE);
    if (!bounce->buffer) {
        bounce->buffer = xmalloc(TARGET_PAGE_SIZE);
    }
    bounce->addr = addr;
    bounce->len = l;
    bounce->attrs = attrs;
    if (!is_write) {
        flatview_rw(fv, addr, attrs, bounce->buffer, l, false);
    }
    *plen = l;
    ptr = bounce->buffer;
out:
    urcu_bp_read_unlock();
    return ptr;
}

void address_space_unmap(AddressSpace *as, void *buffer, hwaddr len,
                         bool is_write, hwaddr access_len)
{
    AddressSpaceBounce *bounce = &as->bounce;

    if (buffer != bounce->buffer ||
        !__atomic_load_n(&bounce->in_use, __ATOMIC_ACQUIRE)) {
        ram_addr_t offset;
        urcu_bp_read_lock();
        RAMBlock *block = qemu_ram_block_from_host(buffer, &offset);
        if (block && is_write && access_len) {
            invalidate_and_set_dirty(block->mr, offset,
                                     MIN(access_len, len));
        }
        urcu_bp_read_unlock();
        return;
    }
    if (is_write) {
        address_space_write(as, bounce->addr, bounce->attrs, bounce->buffer,
                            MIN(access_len, bounce->len));
    }
    __atomic_store_n(&bounce->in_use, false, __ATOMIC_RELEASE);
}
