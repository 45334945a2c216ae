/*
 * `info mtree`: the region tree of each address space, or (-f) each
 * rendered FlatView, in the exact text QEMU prints (softmmu/memory.c,
 * mtree_print_mr and mtree_print_flatview), so tools and people used to
 * QEMU's output read ours.
 */
#include "internal.h"

#define MTREE_INDENT "  "
#define HWADDR_FMT "%016" PRIx64

static void (*owner_printer)(StrBuf *out, Object *owner);

void memory_set_owner_printer(void (*print)(StrBuf *out, Object *owner))
{
    owner_printer = print;
}

/* Last byte of a region of this size relative to its start (QEMU's MR_SIZE). */
static uint64_t mr_size(Int128 size)
{
    return size ? (uint64_t)(size - 1) : 0;
}

static const char *memory_region_type(const MemoryRegion *mr)
{
    if (mr->alias) {
        return memory_region_type(mr->alias);
    }
    if (memory_region_is_romd(mr)) {
        return "romd";
    }
    if (memory_region_is_rom(mr)) {
        return "rom";
    }
    if (memory_region_is_ram(mr)) {
        return "ram";
    }
    return "i/o";
}

static void mtree_print_mr_owner(StrBuf *out, const MemoryRegion *mr)
{
    if (!mr->owner) {
        strbuf_append(out, " orphan");
        return;
    }
    strbuf_append(out, " owner:{");
    if (owner_printer) {
        owner_printer(out, mr->owner);
    } else {
        strbuf_append(out, "obj");
    }
    strbuf_append(out, "}");
}

typedef struct MemoryRegionList {
    const MemoryRegion **mr;
    unsigned nr;
} MemoryRegionList;

static void mr_list_add_unique(MemoryRegionList *list, const MemoryRegion *mr)
{
    for (unsigned i = 0; i < list->nr; i++) {
        if (list->mr[i] == mr) {
            return;
        }
    }
    list->mr = xrealloc(list->mr, (list->nr + 1) * sizeof(*list->mr));
    list->mr[list->nr++] = mr;
}

static void mtree_print_mr(StrBuf *out, const MemoryRegion *mr,
                           unsigned level, hwaddr base,
                           MemoryRegionList *alias_queue, bool owner,
                           bool disabled)
{
    const MemoryRegion *submr;
    hwaddr cur_start, cur_end;

    cur_start = base + mr->addr;
    cur_end = cur_start + mr_size(mr->size);
    if (cur_start < base || cur_end < cur_start) {
        strbuf_append(out, "[DETECTED OVERFLOW!] ");
    }
    if (mr->enabled || disabled) {
        for (unsigned i = 0; i < level; i++) {
            strbuf_append(out, MTREE_INDENT);
        }
        strbuf_printf(out, HWADDR_FMT "-" HWADDR_FMT " (prio %d, %s): ",
                      cur_start, cur_end, mr->priority,
                      memory_region_type(mr));
        if (mr->alias) {
            strbuf_printf(out, "alias %s @%s " HWADDR_FMT "-" HWADDR_FMT,
                          mr->name, mr->alias->name, mr->alias_offset,
                          mr->alias_offset + mr_size(mr->size));
        } else {
            strbuf_append(out, mr->name);
        }
        if (!mr->enabled) {
            strbuf_append(out, " [disabled]");
        }
        if (owner) {
            mtree_print_mr_owner(out, mr);
        }
        strbuf_putc(out, '\n');
    }
    if (mr->alias) {
        mr_list_add_unique(alias_queue, mr->alias);
    }

    /* Children by address, then by descending priority, as QEMU. */
    unsigned n = 0, i;
    QTAILQ_FOREACH(submr, &mr->subregions, subregions_link) {
        n++;
    }
    const MemoryRegion **sorted = xnew_array(const MemoryRegion *, n);
    n = 0;
    QTAILQ_FOREACH(submr, &mr->subregions, subregions_link) {
        for (i = 0; i < n; i++) {
            if (submr->addr < sorted[i]->addr ||
                (submr->addr == sorted[i]->addr &&
                 submr->priority > sorted[i]->priority)) {
                break;
            }
        }
        memmove(&sorted[i + 1], &sorted[i], (n - i) * sizeof(*sorted));
        sorted[i] = submr;
        n++;
    }
    for (i = 0; i < n; i++) {
        mtree_print_mr(out, sorted[i], level + 1, cur_start, alias_queue,
                       owner, disabled);
    }
    free(sorted);
}

static int compare_as_name(const void *a, const void *b)
{
    return strcmp((*(AddressSpace *const *)a)->name,
                  (*(AddressSpace *const *)b)->name);
}

/* The spaces sharing a root, by name as QEMU sorts them. */
static void mtree_print_as_names(StrBuf *out, const MemoryRegion *root)
{
    AddressSpace *as, **names = NULL;
    unsigned n = 0;

    QTAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
        if (as->root == root) {
            names = xrealloc(names, (n + 1) * sizeof(*names));
            names[n++] = as;
        }
    }
    qsort(names, n, sizeof(*names), compare_as_name);
    for (unsigned i = 0; i < n; i++) {
        strbuf_printf(out, "address-space: %s\n", names[i]->name);
    }
    free(names);
}

static void mtree_info_as(StrBuf *out, bool owner, bool disabled)
{
    MemoryRegionList aliases = { 0 };
    MemoryRegionList roots = { 0 };
    AddressSpace *as;

    /* One tree per distinct root, headed by every space that uses it. */
    QTAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
        mr_list_add_unique(&roots, as->root);
    }
    for (unsigned r = 0; r < roots.nr; r++) {
        mtree_print_as_names(out, roots.mr[r]);
        mtree_print_mr(out, roots.mr[r], 1, 0, &aliases, owner, disabled);
        strbuf_putc(out, '\n');
    }
    /* The list grows while we print: aliases of aliases come last. */
    for (unsigned i = 0; i < aliases.nr; i++) {
        strbuf_printf(out, "memory-region: %s\n", aliases.mr[i]->name);
        mtree_print_mr(out, aliases.mr[i], 1, 0, &aliases, owner, disabled);
        strbuf_putc(out, '\n');
    }
    free(aliases.mr);
    free(roots.mr);
}

static void mtree_print_flatview(StrBuf *out, unsigned counter,
                                 FlatView *view, bool owner)
{
    AddressSpace *as;

    strbuf_printf(out, "FlatView #%u\n", counter);
    QTAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
        FlatView *other = address_space_to_flatview(as);
        if (other != view && (!other || other->root != view->root)) {
            continue;
        }
        strbuf_printf(out, " AS \"%s\", root: %s", as->name, as->root->name);
        if (as->root->alias) {
            strbuf_printf(out, ", alias %s", as->root->alias->name);
        }
        strbuf_putc(out, '\n');
    }
    strbuf_printf(out, " Root memory region: %s\n",
                  view->root ? view->root->name : "(none)");
    if (!view->nr) {
        strbuf_append(out, MTREE_INDENT "No rendered FlatView\n\n");
        return;
    }
    for (unsigned i = 0; i < view->nr; i++) {
        const FlatRange *range = &view->ranges[i];
        const MemoryRegion *mr = range->mr;
        strbuf_printf(out, MTREE_INDENT HWADDR_FMT "-" HWADDR_FMT
                      " (prio %d, %s): %s",
                      (uint64_t)range->start,
                      (uint64_t)range->start + mr_size(range->size),
                      mr->priority,
                      range->readonly ? "rom" : memory_region_type(mr),
                      mr->name);
        if (range->offset_in_region) {
            strbuf_printf(out, " @" HWADDR_FMT, range->offset_in_region);
        }
        if (owner) {
            mtree_print_mr_owner(out, mr);
        }
        strbuf_putc(out, '\n');
    }
    strbuf_putc(out, '\n');
}

static void mtree_info_flatview(StrBuf *out, bool owner)
{
    MemoryRegionList roots = { 0 };
    AddressSpace *as;
    unsigned counter = 0;

    urcu_bp_read_lock();
    /*
     * QEMU shares one FlatView among the address spaces whose views start
     * from the same region; print them as one, likewise.
     */
    QTAILQ_FOREACH(as, &address_spaces, address_spaces_link) {
        FlatView *view = address_space_to_flatview(as);
        unsigned before = roots.nr;
        if (!view) {
            continue;
        }
        mr_list_add_unique(&roots, view->root);
        if (roots.nr != before) {
            mtree_print_flatview(out, counter++, view, owner);
        }
    }
    urcu_bp_read_unlock();
    free(roots.mr);
}

void mtree_info(StrBuf *out, bool flatview, bool owner, bool disabled)
{
    if (flatview) {
        mtree_info_flatview(out, owner);
        return;
    }
    mtree_info_as(out, owner, disabled);
}
