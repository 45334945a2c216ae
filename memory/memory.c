/*
 * The memory region tree: creating regions, placing them, and rendering
 * each AddressSpace to a FlatView at the end of every transaction.
 *
 * Rendering follows QEMU's render_memory_region(): a region is rendered
 * after its subregions, into the gaps they leave, and subregions are kept
 * sorted with the highest priority first (the most recently added first
 * among equals), so whoever is rendered first owns an address.  Changes
 * are published with rcu_assign_pointer and the old view is freed with
 * call_rcu, so readers without the big lock always see a complete view.
 */
#include "internal.h"
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>

/* Writer-side state: changed only with the big lock held. */
static unsigned transaction_depth;
static bool update_pending;
static bool global_dirty_log;

struct AddressSpaceList address_spaces = QTAILQ_HEAD_INITIALIZER(address_spaces);
static QTAILQ_HEAD(, MemoryListener) memory_listeners =
    QTAILQ_HEAD_INITIALIZER(memory_listeners);

/* --- Guest errors ---------------------------------------------------- */

static uint64_t guest_error_count;
static bool log_guest_errors;

void memory_guest_error(const char *fmt, ...)
{
    __atomic_fetch_add(&guest_error_count, 1, __ATOMIC_RELAXED);
    if (!__atomic_load_n(&log_guest_errors, __ATOMIC_RELAXED)) {
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    char *msg = xvasprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: guest error: %s\n", error_get_progname(), msg);
    free(msg);
}

uint64_t memory_guest_error_count(void)
{
    return __atomic_load_n(&guest_error_count, __ATOMIC_RELAXED);
}

void memory_set_log_guest_errors(bool enabled)
{
    __atomic_store_n(&log_guest_errors, enabled, __ATOMIC_RELAXED);
}

/* --- Creating regions ------------------------------------------------ */

void memory_region_init(MemoryRegion *mr, Object *owner, const char *name,
                        uint64_t size)
{
    memset(mr, 0, sizeof(*mr));
    mr->owner = owner;
    mr->name = xstrdup(name ? name : "anonymous");
    mr->size = size == UINT64_MAX ? int128_2_64() : (Int128)size;
    mr->enabled = true;
    mr->romd_mode = true;
    QTAILQ_INIT(&mr->subregions);
}

void memory_region_init_io(MemoryRegion *mr, Object *owner,
                           const MemoryRegionOps *ops, void *opaque,
                           const char *name, uint64_t size)
{
    memory_region_init(mr, owner, name, size);
    mr->ops = ops;
    mr->opaque = opaque;
    mr->terminates = true;
}

static bool ram_region_setup(MemoryRegion *mr, void *host, uint64_t size,
                             int fd, bool own_fd)
{
    mr->ram = true;
    mr->terminates = true;
    mr->ram_block = ram_block_add(mr, host, size, size, fd, own_fd);
    return true;
}

static bool check_ram_size(const char *name, uint64_t size, Error **errp)
{
    if (size == 0 || size == UINT64_MAX) {
        error_setg(errp, "memory region %s: invalid RAM size 0x%" PRIx64,
                   name, size);
        return false;
    }
    return true;
}

bool memory_region_init_ram(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, Error **errp)
{
    memory_region_init(mr, owner, name, size);
    if (!check_ram_size(mr->name, size, errp)) {
        return false;
    }
    void *host = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (host == MAP_FAILED) {
        error_setg_errno(errp, errno,
                         "memory region %s: cannot allocate %" PRIu64
                         " bytes of RAM", mr->name, size);
        return false;
    }
    return ram_region_setup(mr, host, size, -1, false);
}

static bool map_fd(MemoryRegion *mr, uint64_t size, int fd, uint64_t offset,
                   bool share, bool own_fd, Error **errp)
{
    void *host = mmap(NULL, size, PROT_READ | PROT_WRITE,
                      share ? MAP_SHARED : MAP_PRIVATE, fd, offset);
    if (host == MAP_FAILED) {
        error_setg_errno(errp, errno, "memory region %s: cannot map %" PRIu64
                         " bytes of RAM", mr->name, size);
        return false;
    }
    return ram_region_setup(mr, host, size, fd, own_fd);
}

bool memory_region_init_ram_from_file(MemoryRegion *mr, Object *owner,
                                      const char *name, uint64_t size,
                                      bool share, const char *path,
                                      Error **errp)
{
    memory_region_init(mr, owner, name, size);
    if (!check_ram_size(mr->name, size, errp)) {
        return false;
    }
    int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        error_setg_errno(errp, errno, "memory region %s: cannot open %s",
                         mr->name, path);
        return false;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "memory region %s: cannot stat %s",
                         mr->name, path);
        goto fail;
    }
    /* Grow regular files to the region's size; devices (hugetlbfs) stay. */
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < size &&
        ftruncate(fd, size) < 0) {
        error_setg_errno(errp, errno, "memory region %s: cannot resize %s",
                         mr->name, path);
        goto fail;
    }
    if (!map_fd(mr, size, fd, 0, share, true, errp)) {
        error_prepend(errp, "%s: ", path);
        goto fail;
    }
    return true;
fail:
    close(fd);
    return false;
}

bool memory_region_init_ram_from_fd(MemoryRegion *mr, Object *owner,
                                    const char *name, uint64_t size, int fd,
                                    uint64_t offset, Error **errp)
{
    memory_region_init(mr, owner, name, size);
    if (!check_ram_size(mr->name, size, errp)) {
        return false;
    }
    if (offset & (TARGET_PAGE_SIZE - 1)) {
        error_setg(errp, "memory region %s: fd offset 0x%" PRIx64
                   " is not page aligned", mr->name, offset);
        return false;
    }
    /* Touching a mapping past the end of a file kills us with SIGBUS. */
    struct stat st;
    if (fstat(fd, &st) < 0) {
        error_setg_errno(errp, errno, "memory region %s: cannot stat fd %d",
                         mr->name, fd);
        return false;
    }
    if (S_ISREG(st.st_mode) && (uint64_t)st.st_size < offset + size) {
        error_setg(errp, "memory region %s: fd %d holds 0x%" PRIx64
                   " bytes, fewer than the 0x%" PRIx64 " needed", mr->name,
                   fd, (uint64_t)st.st_size, offset + size);
        return false;
    }
    return map_fd(mr, size, fd, offset, true, false, errp);
}

bool memory_region_init_rom(MemoryRegion *mr, Object *owner, const char *name,
                            uint64_t size, Error **errp)
{
    if (!memory_region_init_ram(mr, owner, name, size, errp)) {
        return false;
    }
    mr->readonly = true;
    return true;
}

bool memory_region_init_rom_device(MemoryRegion *mr, Object *owner,
                                   const MemoryRegionOps *ops, void *opaque,
                                   const char *name, uint64_t size,
                                   Error **errp)
{
    if (!memory_region_init_ram(mr, owner, name, size, errp)) {
        return false;
    }
    /* Not "ram": guest writes must reach ops->write, not the memory. */
    mr->ram = false;
    mr->rom_device = true;
    mr->ops = ops;
    mr->opaque = opaque;
    return true;
}

void memory_region_init_alias(MemoryRegion *mr, Object *owner,
                              const char *name, MemoryRegion *orig,
                              hwaddr offset, uint64_t size)
{
    memory_region_init(mr, owner, name, size);
    mr->alias = orig;
    mr->alias_offset = offset;
}

void memory_region_finalize(MemoryRegion *mr)
{
    MemoryRegion *sub;

    assert(!mr->container);
    /* Children go with their container, as in QEMU. */
    memory_region_transaction_begin();
    while ((sub = QTAILQ_FIRST(&mr->subregions))) {
        memory_region_del_subregion(mr, sub);
    }
    memory_region_transaction_commit();
    if (mr->ram_block) {
        ram_block_remove(mr->ram_block);
        mr->ram_block = NULL;
    }
    free(mr->name);
    mr->name = NULL;
}

/* --- Queries --------------------------------------------------------- */

const char *memory_region_name(const MemoryRegion *mr)
{
    return mr->name;
}

uint64_t memory_region_size(const MemoryRegion *mr)
{
    return mr->size == int128_2_64() ? UINT64_MAX : (uint64_t)mr->size;
}

bool memory_region_is_ram(const MemoryRegion *mr)
{
    return mr->ram;
}

bool memory_region_is_rom(const MemoryRegion *mr)
{
    return mr->ram && mr->readonly;
}

bool memory_region_is_romd(const MemoryRegion *mr)
{
    return mr->rom_device && mr->romd_mode;
}

bool memory_region_is_enabled(const MemoryRegion *mr)
{
    return mr->enabled;
}

Object *memory_region_owner(const MemoryRegion *mr)
{
    return mr->owner;
}

void *memory_region_get_ram_ptr(MemoryRegion *mr)
{
    hwaddr offset = 0;
    while (mr->alias) {
        offset += mr->alias_offset;
        mr = mr->alias;
    }
    if (!mr->ram_block) {
        return NULL;
    }
    return mr->ram_block->host + offset;
}

ram_addr_t memory_region_get_ram_addr(MemoryRegion *mr)
{
    return mr->ram_block ? mr->ram_block->offset : RAM_ADDR_INVALID;
}

uint8_t memory_region_get_dirty_log_mask(MemoryRegion *mr)
{
    uint8_t mask = mr->dirty_log_mask;
    if (global_dirty_log && mr->ram_block) {
        mask |= 1 << DIRTY_MEMORY_MIGRATION;
    }
    return mask;
}

/* --- Changing the tree ----------------------------------------------- */

static void memory_region_update_container_subregions(MemoryRegion *subregion)
{
    MemoryRegion *mr = subregion->container;
    MemoryRegion *other;

    memory_region_transaction_begin();
    /* Before the first one it beats or ties: later additions win ties. */
    QTAILQ_FOREACH(other, &mr->subregions, subregions_link) {
        if (subregion->priority >= other->priority) {
            QTAILQ_INSERT_BEFORE(other, subregion, subregions_link);
            goto done;
        }
    }
    QTAILQ_INSERT_TAIL(&mr->subregions, subregion, subregions_link);
done:
    update_pending = true;
    memory_region_transaction_commit();
}

static void memory_region_add_subregion_common(MemoryRegion *mr, hwaddr offset,
                                               MemoryRegion *subregion)
{
    assert(!subregion->container);
    assert(subregion != mr);
    subregion->container = mr;
    subregion->addr = offset;
    memory_region_update_container_subregions(subregion);
}

void memory_region_add_subregion(MemoryRegion *mr, hwaddr offset,
                                 MemoryRegion *subregion)
{
    subregion->may_overlap = false;
    subregion->priority = 0;
    memory_region_add_subregion_common(mr, offset, subregion);
}

void memory_region_add_subregion_overlap(MemoryRegion *mr, hwaddr offset,
                                         MemoryRegion *subregion, int priority)
{
    subregion->may_overlap = true;
    subregion->priority = priority;
    memory_region_add_subregion_common(mr, offset, subregion);
}

void memory_region_del_subregion(MemoryRegion *mr, MemoryRegion *subregion)
{
    memory_region_transaction_begin();
    assert(subregion->container == mr);
    subregion->container = NULL;
    QTAILQ_REMOVE(&mr->subregions, subregion, subregions_link);
    update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_set_enabled(MemoryRegion *mr, bool enabled)
{
    if (enabled == mr->enabled) {
        return;
    }
    memory_region_transaction_begin();
    mr->enabled = enabled;
    update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_set_address(MemoryRegion *mr, hwaddr addr)
{
    MemoryRegion *container = mr->container;

    if (addr == mr->addr) {
        return;
    }
    if (!container) {
        mr->addr = addr;
        return;
    }
    /* Re-add so it sits where a fresh addition with its priority would. */
    memory_region_transaction_begin();
    QTAILQ_REMOVE(&container->subregions, mr, subregions_link);
    mr->addr = addr;
    memory_region_update_container_subregions(mr);
    memory_region_transaction_commit();
}

void memory_region_set_alias_offset(MemoryRegion *mr, hwaddr offset)
{
    assert(mr->alias);
    if (offset == mr->alias_offset) {
        return;
    }
    memory_region_transaction_begin();
    mr->alias_offset = offset;
    update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_set_size(MemoryRegion *mr, uint64_t size)
{
    Int128 s = size == UINT64_MAX ? int128_2_64() : (Int128)size;

    /* RAM cannot outgrow its host memory: accesses would run past it. */
    if (mr->ram_block && s > (Int128)mr->ram_block->max_length) {
        warn_report("memory region %s: cannot grow RAM to 0x%" PRIx64
                    " bytes beyond its 0x%" PRIx64, mr->name, size,
                    mr->ram_block->max_length);
        s = mr->ram_block->max_length;
    }
    if (s == mr->size) {
        return;
    }
    memory_region_transaction_begin();
    mr->size = s;
    update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_set_readonly(MemoryRegion *mr, bool readonly)
{
    if (mr->readonly == readonly) {
        return;
    }
    memory_region_transaction_begin();
    mr->readonly = readonly;
    update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_rom_device_set_romd(MemoryRegion *mr, bool romd_mode)
{
    if (mr->romd_mode == romd_mode) {
        return;
    }
    memory_region_transaction_begin();
    mr->romd_mode = romd_mode;
    update_pending = true;
    memory_region_transaction_commit();
}

void memory_region_set_log(MemoryRegion *mr, bool log, unsigned client)
{
    assert(client == DIRTY_MEMORY_VGA);
    uint8_t mask = 1 << client;
    uint8_t old = mr->vga_logging_count;

    if (!log && !old) {
        warn_report("memory region %s: dirty logging stopped but never "
                    "started", mr->name);
        return;
    }

    mr->vga_logging_count += log ? 1 : -1;
    if (!!old == !!mr->vga_logging_count) {
        return;
    }
    memory_region_transaction_begin();
    mr->dirty_log_mask = (mr->dirty_log_mask & ~mask) | (log ? mask : 0);
    update_pending = true;
    memory_region_transaction_commit();
}

/* --- Rendering ------------------------------------------------------- */

static FlatView *flatview_new(MemoryRegion *root)
{
    FlatView *view = xnew(FlatView);
    view->root = root;
    return view;
}

static void flatview_free(FlatView *view)
{
    if (view) {
        free(view->ranges);
        free(view);
    }
}

static void flatview_free_rcu(struct rcu_head *head)
{
    flatview_free(container_of(head, FlatView, rcu));
}

static void flatview_insert(FlatView *view, unsigned pos, const FlatRange *fr)
{
    if (view->nr == view->nr_allocated) {
        view->nr_allocated = MAX(2 * view->nr, 10);
        view->ranges = xrealloc(view->ranges,
                                view->nr_allocated * sizeof(*view->ranges));
    }
    memmove(view->ranges + pos + 1, view->ranges + pos,
            (view->nr - pos) * sizeof(FlatRange));
    view->ranges[pos] = *fr;
    view->nr++;
}

static bool flatrange_equal(const FlatRange *a, const FlatRange *b)
{
    return a->mr == b->mr && a->start == b->start && a->size == b->size &&
           a->offset_in_region == b->offset_in_region &&
           a->romd_mode == b->romd_mode && a->readonly == b->readonly;
}

static bool can_merge(const FlatRange *a, const FlatRange *b)
{
    return a->start + a->size == b->start && a->mr == b->mr &&
           (Int128)a->offset_in_region + a->size ==
               (Int128)b->offset_in_region &&
           a->dirty_log_mask == b->dirty_log_mask &&
           a->romd_mode == b->romd_mode && a->readonly == b->readonly;
}

/* Join neighbouring ranges that continue each other. */
static void flatview_simplify(FlatView *view)
{
    unsigned i = 0, j, k;

    while (i < view->nr) {
        j = i + 1;
        while (j < view->nr && can_merge(&view->ranges[j - 1],
                                         &view->ranges[j])) {
            view->ranges[i].size += view->ranges[j].size;
            ++j;
        }
        ++i;
        k = j - i;
        if (k) {
            memmove(&view->ranges[i], &view->ranges[j],
                    (view->nr - j) * sizeof(view->ranges[j]));
            view->nr -= k;
        }
    }
}

/*
 * Render mr, placed at `base` in the address space, into the parts of
 * [clip_start, clip_start + clip_size) that view does not cover yet.
 */
static void render_memory_region(FlatView *view, MemoryRegion *mr,
                                 Int128 base, Int128 clip_start,
                                 Int128 clip_size, bool readonly)
{
    MemoryRegion *subregion;
    FlatRange fr;

    if (!mr->enabled) {
        return;
    }
    base += mr->addr;
    readonly |= mr->readonly;

    /* Intersect the region with the clip window. */
    Int128 start = MAX(base, clip_start);
    Int128 end = MIN(base + mr->size, clip_start + clip_size);
    if (start >= end) {
        return;
    }
    clip_start = start;
    clip_size = end - start;

    if (mr->alias) {
        /* Render the target so that alias_offset lands at our base. */
        base -= mr->alias->addr;
        base -= mr->alias_offset;
        render_memory_region(view, mr->alias, base, clip_start, clip_size,
                             readonly);
        return;
    }

    QTAILQ_FOREACH(subregion, &mr->subregions, subregions_link) {
        render_memory_region(view, subregion, base, clip_start, clip_size,
                             readonly);
    }

    if (!mr->terminates) {
        return;
    }

    hwaddr offset_in_region = clip_start - base;
    Int128 now, remain = clip_size;
    unsigned i;

    base = clip_start;
    fr.mr = mr;
    fr.dirty_log_mask = memory_region_get_dirty_log_mask(mr);
    fr.romd_mode = mr->romd_mode;
    fr.readonly = readonly;

    /* Fill the gaps between what higher-priority regions already hold. */
    for (i = 0; i < view->nr && remain; ++i) {
        FlatRange *r = &view->ranges[i];
        if (base >= r->start + r->size) {
            continue;
        }
        if (base < r->start) {
            now = MIN(remain, r->start - base);
            fr.offset_in_region = offset_in_region;
            fr.start = base;
            fr.size = now;
            flatview_insert(view, i, &fr);
            ++i;
            base += now;
            offset_in_region += now;
            remain -= now;
        }
        r = &view->ranges[i];
        now = MIN(base + remain, r->start + r->size) - base;
        base += now;
        offset_in_region += now;
        remain -= now;
    }
    if (remain) {
        fr.offset_in_region = offset_in_region;
        fr.start = base;
        fr.size = remain;
        flatview_insert(view, i, &fr);
    }
}

/*
 * The region a view really starts from, as QEMU's
 * memory_region_get_flatview_root: through aliases that show all of their
 * target and containers whose only enabled child covers them from 0.
 * NULL when nothing is enabled.  `info mtree -f` prints it, and groups
 * address spaces that share it.
 */
static MemoryRegion *memory_region_get_flatview_root(MemoryRegion *mr)
{
    while (mr && mr->enabled) {
        if (mr->alias) {
            if (!mr->alias_offset && mr->size >= mr->alias->size) {
                mr = mr->alias;
                continue;
            }
        } else if (!mr->terminates) {
            MemoryRegion *child, *next = NULL;
            unsigned found = 0;
            QTAILQ_FOREACH(child, &mr->subregions, subregions_link) {
                if (!child->enabled) {
                    continue;
                }
                if (++found > 1) {
                    next = NULL;
                    break;
                }
                if (!child->addr && mr->size >= child->size) {
                    next = child;
                }
            }
            if (found == 0) {
                return NULL;
            }
            if (next) {
                mr = next;
                continue;
            }
        }
        return mr;
    }
    return NULL;
}

static FlatView *generate_memory_topology(MemoryRegion *root)
{
    FlatView *view = flatview_new(memory_region_get_flatview_root(root));
    if (root) {
        render_memory_region(view, root, 0, 0, int128_2_64(), false);
    }
    flatview_simplify(view);
    return view;
}

/* --- Listeners ------------------------------------------------------- */

static MemoryRegionSection section_from_flat_range(const FlatRange *fr,
                                                   FlatView *fv)
{
    return (MemoryRegionSection) {
        .mr = fr->mr,
        .fv = fv,
        .offset_within_region = fr->offset_in_region,
        .size = fr->size,
        .offset_within_address_space = (hwaddr)fr->start,
        .readonly = fr->readonly,
    };
}

enum listener_call {
    CALL_REGION_ADD,
    CALL_REGION_DEL,
    CALL_REGION_NOP,
    CALL_LOG_START,
    CALL_LOG_STOP,
};

static void listener_call_one(MemoryListener *l, enum listener_call call,
                              MemoryRegionSection *section, int old_mask,
                              int new_mask)
{
    switch (call) {
    case CALL_REGION_ADD:
        if (l->region_add) {
            l->region_add(l, section);
        }
        break;
    case CALL_REGION_DEL:
        if (l->region_del) {
            l->region_del(l, section);
        }
        break;
    case CALL_REGION_NOP:
        if (l->region_nop) {
            l->region_nop(l, section);
        }
        break;
    case CALL_LOG_START:
        if (l->log_start) {
            l->log_start(l, section, old_mask, new_mask);
        }
        break;
    case CALL_LOG_STOP:
        if (l->log_stop) {
            l->log_stop(l, section, old_mask, new_mask);
        }
        break;
    }
}

/* Our lists have no backward walk; listeners are few, so recurse. */
static void listener_call_reverse(MemoryListener *l, enum listener_call call,
                                  MemoryRegionSection *section, int old_mask,
                                  int new_mask)
{
    if (!l) {
        return;
    }
    listener_call_reverse(QTAILQ_NEXT(l, link_as), call, section, old_mask,
                          new_mask);
    listener_call_one(l, call, section, old_mask, new_mask);
}

/* Forward (ascending priority) for add/nop/start, reverse for del/stop. */
static void listeners_update_region(AddressSpace *as, const FlatRange *fr,
                                    FlatView *fv, enum listener_call call,
                                    int old_mask, int new_mask)
{
    MemoryRegionSection section = section_from_flat_range(fr, fv);
    MemoryListener *l;

    if (call == CALL_REGION_DEL || call == CALL_LOG_STOP) {
        listener_call_reverse(QTAILQ_FIRST(&as->listeners), call, &section,
                              old_mask, new_mask);
        return;
    }
    QTAILQ_FOREACH(l, &as->listeners, link_as) {
        listener_call_one(l, call, &section, old_mask, new_mask);
    }
}

/*
 * Walk both sorted views in step.  First pass (adding = false) reports
 * what disappeared, second pass what stayed and what appeared, as in
 * QEMU's address_space_update_topology_pass().
 */
static void address_space_update_topology_pass(AddressSpace *as,
                                               FlatView *old_view,
                                               FlatView *new_view, bool adding)
{
    unsigned iold = 0, inew = 0;
    unsigned old_nr = old_view ? old_view->nr : 0;

    while (iold < old_nr || inew < new_view->nr) {
        FlatRange *frold = iold < old_nr ? &old_view->ranges[iold] : NULL;
        FlatRange *frnew = inew < new_view->nr ? &new_view->ranges[inew]
                                               : NULL;

        if (frold && (!frnew || frold->start < frnew->start ||
                      (frold->start == frnew->start &&
                       !flatrange_equal(frold, frnew)))) {
            /* In old but not in new, or in both with other attributes. */
            if (!adding) {
                listeners_update_region(as, frold, old_view, CALL_REGION_DEL,
                                        0, 0);
            }
            ++iold;
        } else if (frold && frnew && flatrange_equal(frold, frnew)) {
            if (adding) {
                listeners_update_region(as, frnew, new_view, CALL_REGION_NOP,
                                        0, 0);
                if (frnew->dirty_log_mask & ~frold->dirty_log_mask) {
                    listeners_update_region(as, frnew, new_view,
                                            CALL_LOG_START,
                                            frold->dirty_log_mask,
                                            frnew->dirty_log_mask);
                }
                if (frold->dirty_log_mask & ~frnew->dirty_log_mask) {
                    listeners_update_region(as, frnew, new_view,
                                            CALL_LOG_STOP,
                                            frold->dirty_log_mask,
                                            frnew->dirty_log_mask);
                }
            }
            ++iold;
            ++inew;
        } else {
            if (adding) {
                listeners_update_region(as, frnew, new_view, CALL_REGION_ADD,
                                        0, 0);
            }
            ++inew;
        }
    }
}

static void address_space_update_topology(AddressSpace *as)
{
    FlatView *old_view = as->current_map;
    FlatView *new_view = generate_memory_topology(as->root);

    if (!QTAILQ_EMPTY(&as->listeners)) {
        address_space_update_topology_pass(as, old_view, new_view, false);
        address_space_update_topology_pass(as, old_view, new_view, true);
    }
    rcu_assign_pointer(as->current_map, new_view);
    if (old_view) {
        /* Readers may still be walking it: free after a grace period. */
        urcu_bp_call_rcu(&old_view->rcu, flatview_free_rcu);
    }
}

static void listeners_call_global(size_t offset, bool reverse)
{
    MemoryListener *l;

    if (!reverse) {
        QTAILQ_FOREACH(l, &memory_listeners, link) {
            void (*fn)(MemoryListener *) =
                *(void (**)(MemoryListener *))((char *)l + offset);
            if (fn) {
                fn(l);
            }
        }
        return;
    }
    /* Reverse walk: collect first, the list is singly navigable here. */
    unsigned n = 0, i;
    QTAILQ_FOREACH(l, &memory_listeners, link) {
        n++;
    }
    MemoryListener **all = xnew_array(MemoryListener *, n);
    i = 0;
    QTAILQ_FOREACH(l, &memory_listeners, link) {
        all[i++] = l;
    }
    while (i--) {
        void (*fn)(MemoryListener *) =
            *(void (**)(MemoryListener *))((char *)all[i] + offset);
        if (fn) {
            fn(all[i]);
        }
    }
    free(all);
}

#define LISTENERS_CALL_GLOBAL(callback, reverse) \
    listeners_call_global(offsetof(MemoryListener, callback), reverse)

void memory_region_transaction_begin(void)
{
    ++transaction_depth;
}

void memory_region_transaction_commit(void)
{
    AddressSpace *as;

    assert(transaction_depth);
    if (transaction_depth > 1) {
        --transaction_depth;
        return;
    }
    /*
     * Stay inside the transaction while updating: a listener that changes
     * the tree only marks the update pending, and we render again after,
     * instead of re-entering an update half done.
     */
    while (update_pending) {
        update_pending = false;
        LISTENERS_CALL_GLOBAL(begin, false);
        QTAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
            address_space_update_topology(as);
        }
        LISTENERS_CALL_GLOBAL(commit, false);
    }
    --transaction_depth;
}

static void listener_add_address_space(MemoryListener *listener,
                                       AddressSpace *as)
{
    FlatView *view = as->current_map;

    if (listener->begin) {
        listener->begin(listener);
    }
    if (global_dirty_log && listener->log_global_start) {
        listener->log_global_start(listener);
    }
    for (unsigned i = 0; i < view->nr; i++) {
        FlatRange *fr = &view->ranges[i];
        MemoryRegionSection section = section_from_flat_range(fr, view);
        if (listener->region_add) {
            listener->region_add(listener, &section);
        }
        if (fr->dirty_log_mask && listener->log_start) {
            listener->log_start(listener, &section, 0, fr->dirty_log_mask);
        }
    }
    if (listener->commit) {
        listener->commit(listener);
    }
}

static void listener_del_address_space(MemoryListener *listener,
                                       AddressSpace *as)
{
    FlatView *view = as->current_map;

    if (listener->begin) {
        listener->begin(listener);
    }
    for (unsigned i = 0; i < view->nr; i++) {
        FlatRange *fr = &view->ranges[i];
        MemoryRegionSection section = section_from_flat_range(fr, view);
        if (fr->dirty_log_mask && listener->log_stop) {
            listener->log_stop(listener, &section, fr->dirty_log_mask, 0);
        }
        if (listener->region_del) {
            listener->region_del(listener, &section);
        }
    }
    if (listener->commit) {
        listener->commit(listener);
    }
}

void memory_listener_register(MemoryListener *listener, AddressSpace *as)
{
    MemoryListener *other;

    listener->address_space = as;
    /* Sorted by priority; equal priorities keep registration order. */
    QTAILQ_FOREACH(other, &memory_listeners, link) {
        if (listener->priority < other->priority) {
            QTAILQ_INSERT_BEFORE(other, listener, link);
            goto global_done;
        }
    }
    QTAILQ_INSERT_TAIL(&memory_listeners, listener, link);
global_done:
    QTAILQ_FOREACH(other, &as->listeners, link_as) {
        if (listener->priority < other->priority) {
            QTAILQ_INSERT_BEFORE(other, listener, link_as);
            goto as_done;
        }
    }
    QTAILQ_INSERT_TAIL(&as->listeners, listener, link_as);
as_done:
    listener_add_address_space(listener, as);
}

void memory_listener_unregister(MemoryListener *listener)
{
    if (!listener->address_space) {
        return;
    }
    listener_del_address_space(listener, listener->address_space);
    QTAILQ_REMOVE(&memory_listeners, listener, link);
    QTAILQ_REMOVE(&listener->address_space->listeners, listener, link_as);
    listener->address_space = NULL;
}

void memory_global_dirty_log_start(void)
{
    if (global_dirty_log) {
        return;
    }
    global_dirty_log = true;
    LISTENERS_CALL_GLOBAL(log_global_start, false);
    /* RAM ranges gain the MIGRATION log bit: listeners see log_start. */
    memory_region_transaction_begin();
    update_pending = true;
    memory_region_transaction_commit();
}

void memory_global_dirty_log_stop(void)
{
    if (!global_dirty_log) {
        return;
    }
    global_dirty_log = false;
    memory_region_transaction_begin();
    update_pending = true;
    memory_region_transaction_commit();
    LISTENERS_CALL_GLOBAL(log_global_stop, true);
}

bool memory_global_dirty_log_enabled(void)
{
    return global_dirty_log;
}

void memory_global_dirty_log_sync(void)
{
    AddressSpace *as;
    MemoryListener *l;

    QTAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
        FlatView *view = as->current_map;
        QTAILQ_FOREACH(l, &as->listeners, link_as) {
            if (!l->log_sync) {
                continue;
            }
            for (unsigned i = 0; i < view->nr; i++) {
                if (view->ranges[i].dirty_log_mask) {
                    MemoryRegionSection section =
                        section_from_flat_range(&view->ranges[i], view);
                    l->log_sync(l, &section);
                }
            }
        }
    }
}

/* --- Address spaces -------------------------------------------------- */

void address_space_init(AddressSpace *as, MemoryRegion *root,
                        const char *name)
{
    memset(as, 0, sizeof(*as));
    as->root = root;
    as->name = xstrdup(name ? name : "anonymous");
    QTAILQ_INIT(&as->listeners);
    QTAILQ_INSERT_TAIL(&address_spaces, as, address_spaces_link);
    /* Render now, even inside a transaction: lookups need a view. */
    address_space_update_topology(as);
}

void address_space_destroy(AddressSpace *as)
{
    MemoryListener *l, *next;

    QTAILQ_FOREACH_SAFE(l, &as->listeners, link_as, next) {
        memory_listener_unregister(l);
    }
    QTAILQ_REMOVE(&address_spaces, as, address_spaces_link);
    FlatView *view = as->current_map;
    rcu_assign_pointer(as->current_map, NULL);
    urcu_bp_synchronize_rcu();
    flatview_free(view);
    free(as->bounce.buffer);
    free(as->name);
    as->name = NULL;
}

static MemoryRegion system_memory;
static MemoryRegion system_io;
static bool system_memory_initialized;
AddressSpace address_space_memory;
AddressSpace address_space_io;

static uint64_t unassigned_io_read(void *opaque, hwaddr addr, unsigned size)
{
    return UINT64_MAX;
}

static void unassigned_io_write(void *opaque, hwaddr addr, uint64_t value,
                                unsigned size)
{
}

static const MemoryRegionOps unassigned_io_ops = {
    .read = unassigned_io_read,
    .write = unassigned_io_write,
    .endianness = DEVICE_LITTLE_ENDIAN,
};

static void memory_map_init(void)
{
    if (system_memory_initialized) {
        return;
    }
    system_memory_initialized = true;
    memory_region_init(&system_memory, NULL, "system", UINT64_MAX);
    address_space_init(&address_space_memory, &system_memory, "memory");
    /* As on a PC (and in QEMU), ports nobody claims read all-ones. */
    memory_region_init_io(&system_io, NULL, &unassigned_io_ops, NULL, "io",
                          64 * KiB);
    system_io.is_io_port = true;
    address_space_init(&address_space_io, &system_io, "I/O");
}

MemoryRegion *get_system_memory(void)
{
    memory_map_init();
    return &system_memory;
}

MemoryRegion *get_system_io(void)
{
    memory_map_init();
    return &system_io;
}
