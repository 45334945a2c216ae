/*
 * KVM: the VM, memory slots, and the vCPU run loop (see system/kvm.h).
 *
 * Memory: a listener on the system address space mirrors every RAM (and
 * ROM, read-only) section into a KVM memory slot; sections that are not
 * RAM stay out, so guest accesses to them exit as KVM_EXIT_MMIO and go
 * through the memory API.  Dirty logging is turned on per slot when the
 * section's regions log (migration, display) and KVM_GET_DIRTY_LOG feeds
 * the dirty bitmaps on log_sync.
 *
 * Kicks: a kick sets cpu->exit_request, then run->immediate_exit, then
 * sends SIG_IPI to the thread.  SIG_IPI is blocked in the vCPU thread
 * except inside KVM_RUN (KVM_SET_SIGNAL_MASK), so it interrupts KVM_RUN
 * (EINTR) and never a system call elsewhere; immediate_exit covers the
 * window between our last check of exit_request and entering KVM_RUN.
 * Pending signals are consumed after KVM_RUN returns.
 */
#include "util/osdep.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include "system/kvm_int.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "system/timer.h"
#include "memory/ram_addr.h"
#include "target/x86/cpu-qom.h"
#include "monitor/hmp.h"
#include "monitor/monitor.h"

bool kvm_allowed;
KVMState *kvm_state;

static const AccelOpsClass kvm_accel_ops;

/* ---- ioctls ----------------------------------------------------------- */

int kvm_ioctl(KVMState *s, unsigned long type, void *arg)
{
    int r = ioctl(s->fd, type, arg);
    return r < 0 ? -errno : r;
}

int kvm_vm_ioctl(KVMState *s, unsigned long type, void *arg)
{
    int r = ioctl(s->vmfd, type, arg);
    return r < 0 ? -errno : r;
}

int kvm_vcpu_ioctl(CPUState *cpu, unsigned long type, void *arg)
{
    int r = ioctl(kvm_cpu_state(cpu)->fd, type, arg);
    return r < 0 ? -errno : r;
}

int kvm_check_extension(int extension)
{
    KVMState *s = kvm_state;
    int r;

    if (!s) {
        return 0;
    }
    r = ioctl(s->vmfd >= 0 ? s->vmfd : s->fd, KVM_CHECK_EXTENSION,
              (unsigned long)extension);
    return r < 0 ? 0 : r;
}

/* ---- options ------------------------------------------------------------ */

bool kvm_parse_accel_options(const char *opts, KVMAccelOptions *out,
                             Error **errp)
{
    char *copy, *tok, *save = NULL;
    bool ok = true;

    out->kernel_irqchip = KVM_IRQCHIP_AUTO;
    out->device = "/dev/kvm";
    if (!opts || !*opts) {
        return true;
    }
    copy = xstrdup(opts);
    for (tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        const char *val = eq ? eq + 1 : "on";

        if (eq) {
            *eq = '\0';
        }
        if (!strcmp(tok, "kernel-irqchip")) {
            if (!strcmp(val, "on") || !strcmp(val, "split")) {
                /* split (userspace IOAPIC) is not offered: all in kernel */
                out->kernel_irqchip = KVM_IRQCHIP_ON;
            } else if (!strcmp(val, "off")) {
                out->kernel_irqchip = KVM_IRQCHIP_OFF;
            } else {
                error_setg(errp, "-accel kvm: kernel-irqchip=%s: expected "
                           "on, off or split", val);
                ok = false;
                break;
            }
        } else if (!strcmp(tok, "device") && eq) {
            /* points into opts, which outlives the parse (argv) */
            out->device = opts + (val - copy);
        } else {
            error_setg(errp, "-accel kvm: invalid option '%s' (known: "
                       "kernel-irqchip, device)", tok);
            ok = false;
            break;
        }
    }
    free(copy);
    return ok;
}

/* ---- memory slots -------------------------------------------------------- */

static KVMSlot *kvm_alloc_slot(KVMState *s)
{
    for (int i = 0; i < s->nr_slots; i++) {
        if (!s->slots[i].used) {
            s->slots[i].used = true;
            return &s->slots[i];
        }
    }
    return NULL;
}

static KVMSlot *kvm_lookup_slot(KVMState *s, uint64_t start, uint64_t size)
{
    for (int i = 0; i < s->nr_slots; i++) {
        KVMSlot *sl = &s->slots[i];
        if (sl->used && sl->start == start && sl->size == size) {
            return sl;
        }
    }
    return NULL;
}

static int kvm_set_user_memory_region(KVMState *s, KVMSlot *sl, bool del)
{
    struct kvm_userspace_memory_region mem = {
        .slot = sl->slot,
        .flags = sl->flags,
        .guest_phys_addr = sl->start,
        .memory_size = del ? 0 : sl->size,
        .userspace_addr = (uintptr_t)sl->host,
    };
    return kvm_vm_ioctl(s, KVM_SET_USER_MEMORY_REGION, &mem);
}

/*
 * The page-aligned part of a section that can be a slot: RAM, or a ROM
 * device in romd mode (read-only: writes exit as MMIO).  False when there
 * is none.
 */
static bool kvm_section_range(MemoryRegionSection *sec, uint64_t *start,
                              uint64_t *size, hwaddr *offset)
{
    MemoryRegion *mr = sec->mr;
    uint64_t s, e;

    if (!memory_region_is_ram(mr) && !memory_region_is_romd(mr)) {
        return false;
    }
    s = ALIGN_UP(sec->offset_within_address_space, TARGET_PAGE_SIZE);
    e = (sec->offset_within_address_space + (uint64_t)sec->size) &
        TARGET_PAGE_MASK;
    if (e <= s) {
        return false;
    }
    *start = s;
    *size = e - s;
    *offset = sec->offset_within_region + (s - sec->offset_within_address_space);
    return true;
}

/* The slot that region_add made for sec, or NULL (not RAM, or left out). */
static KVMSlot *kvm_section_slot(KVMState *s, MemoryRegionSection *sec)
{
    uint64_t start, size;
    hwaddr offset;

    if (!kvm_section_range(sec, &start, &size, &offset)) {
        return NULL;
    }
    return kvm_lookup_slot(s, start, size);
}

static uint32_t kvm_slot_flags(KVMState *s, MemoryRegionSection *sec)
{
    uint32_t flags = 0;
    uint8_t log = memory_region_get_dirty_log_mask(sec->mr);

    /* KVM has no translated code to protect: CODE logging is TCG's. */
    if (log & ~(1 << DIRTY_MEMORY_CODE)) {
        flags |= KVM_MEM_LOG_DIRTY_PAGES;
    }
    if (sec->readonly || memory_region_is_rom(sec->mr) ||
        memory_region_is_romd(sec->mr)) {
        flags |= KVM_MEM_READONLY;
    }
    return flags;
}

static void kvm_region_add(MemoryListener *l, MemoryRegionSection *sec)
{
    KVMState *s = container_of(l, KVMState, listener);
    uint64_t start, size;
    hwaddr offset;
    KVMSlot *sl;
    int r;

    if (!kvm_section_range(sec, &start, &size, &offset)) {
        return;
    }
    sl = kvm_alloc_slot(s);
    if (!sl) {
        error_report("kvm: no free memory slot for %s at 0x%" PRIx64
                     " (%d in use)", memory_region_name(sec->mr), start,
                     s->nr_slots);
        abort();
    }
    sl->start = start;
    sl->size = size;
    sl->mr = sec->mr;
    sl->offset_in_region = offset;
    sl->host = (uint8_t *)memory_region_get_ram_ptr(sec->mr) + offset;
    sl->flags = kvm_slot_flags(s, sec);
    if ((sl->flags & KVM_MEM_READONLY) && !s->readonly_mem) {
        /*
         * Without read-only slots a ROM cannot be mapped: leave it out, so
         * reads and writes both exit as MMIO and the memory API serves
         * them (slow, but correct).
         */
        sl->used = false;
        return;
    }
    r = kvm_set_user_memory_region(s, sl, false);
    if (r < 0) {
        error_report("kvm: KVM_SET_USER_MEMORY_REGION %s [0x%" PRIx64
                     ", +0x%" PRIx64 "): %s", memory_region_name(sec->mr),
                     start, size, strerror(-r));
        abort();
    }
}

/* Fold a slot's dirty log into the bitmaps (all clients but CODE). */
static void kvm_slot_sync_dirty(KVMState *s, KVMSlot *sl)
{
    uint64_t pages = sl->size >> TARGET_PAGE_BITS;
    size_t words = (pages + 63) / 64;
    uint64_t *bitmap;
    struct kvm_dirty_log log = { .slot = sl->slot };
    ram_addr_t base;

    if (!(sl->flags & KVM_MEM_LOG_DIRTY_PAGES)) {
        return;
    }
    bitmap = xzalloc(words * 8);
    log.dirty_bitmap = bitmap;
    if (kvm_vm_ioctl(s, KVM_GET_DIRTY_LOG, &log) < 0) {
        free(bitmap);
        return;
    }
    base = memory_region_get_ram_addr(sl->mr) + sl->offset_in_region;
    for (size_t w = 0; w < words; w++) {
        uint64_t bits = bitmap[w];
        while (bits) {
            int b = __builtin_ctzll(bits);
            bits &= bits - 1;
            cpu_physical_memory_set_dirty_range(
                base + ((w * 64 + b) << TARGET_PAGE_BITS), TARGET_PAGE_SIZE,
                DIRTY_CLIENTS_NOCODE);
        }
    }
    free(bitmap);
}

static void kvm_region_del(MemoryListener *l, MemoryRegionSection *sec)
{
    KVMState *s = container_of(l, KVMState, listener);
    KVMSlot *sl = kvm_section_slot(s, sec);

    if (!sl) {
        return;   /* a ROM left out for want of read-only slots */
    }
    /* Writes the guest made since the last sync must not be lost. */
    kvm_slot_sync_dirty(s, sl);
    kvm_set_user_memory_region(s, sl, true);
    sl->used = false;
}

static void kvm_log_change(MemoryListener *l, MemoryRegionSection *sec,
                           int old_mask, int new_mask)
{
    KVMState *s = container_of(l, KVMState, listener);
    KVMSlot *sl = kvm_section_slot(s, sec);
    uint32_t flags;

    if (!sl) {
        return;
    }
    flags = kvm_slot_flags(s, sec);
    if (flags == sl->flags) {
        return;
    }
    if (!(flags & KVM_MEM_LOG_DIRTY_PAGES)) {
        kvm_slot_sync_dirty(s, sl);
    }
    sl->flags = flags;
    kvm_set_user_memory_region(s, sl, false);
}

static void kvm_log_sync(MemoryListener *l, MemoryRegionSection *sec)
{
    KVMState *s = container_of(l, KVMState, listener);
    KVMSlot *sl = kvm_section_slot(s, sec);

    if (sl) {
        kvm_slot_sync_dirty(s, sl);
    }
}

void kvm_dirty_log_sync_all(void)
{
    KVMState *s = kvm_state;
    if (!s) {
        return;
    }
    for (int i = 0; i < s->nr_slots; i++) {
        if (s->slots[i].used) {
            kvm_slot_sync_dirty(s, &s->slots[i]);
        }
    }
}

/* ---- irqchip ----------------------------------------------------------- */

bool kvm_irqchip_in_kernel(void)
{
    return kvm_state && kvm_state->irqchip_in_kernel;
}

const char *kvm_irqchip_description(void)
{
    return kvm_state ? kvm_state->irqchip_desc : "KVM not in use";
}

int kvm_set_irq(int irq, int level)
{
    struct kvm_irq_level event = { .irq = irq, .level = level };

    if (!kvm_irqchip_in_kernel()) {
        return -ENOSYS;
    }
    return kvm_vm_ioctl(kvm_state, KVM_IRQ_LINE, &event);
}

int kvm_send_msi(uint64_t address, uint32_t data)
{
    struct kvm_msi msi = {
        .address_lo = (uint32_t)address,
        .address_hi = address >> 32,
        .data = data,
    };

    if (!kvm_irqchip_in_kernel() || !kvm_state->has_signal_msi) {
        return -ENOSYS;
    }
    return kvm_vm_ioctl(kvm_state, KVM_SIGNAL_MSI, &msi);
}

bool kvm_pit_in_kernel(void)
{
    return kvm_irqchip_in_kernel() && kvm_state->pit_in_kernel;
}

int kvm_irqchip_get(struct kvm_irqchip *chip)
{
    if (!kvm_irqchip_in_kernel()) {
        return -ENOSYS;
    }
    return kvm_vm_ioctl(kvm_state, KVM_GET_IRQCHIP, chip);
}

int kvm_irqchip_set(struct kvm_irqchip *chip)
{
    if (!kvm_irqchip_in_kernel()) {
        return -ENOSYS;
    }
    return kvm_vm_ioctl(kvm_state, KVM_SET_IRQCHIP, chip);
}

int kvm_pit_get(struct kvm_pit_state2 *st)
{
    if (!kvm_pit_in_kernel()) {
        return -ENOSYS;
    }
    return kvm_vm_ioctl(kvm_state, KVM_GET_PIT2, st);
}

int kvm_pit_set(struct kvm_pit_state2 *st)
{
    if (!kvm_pit_in_kernel()) {
        return -ENOSYS;
    }
    return kvm_vm_ioctl(kvm_state, KVM_SET_PIT2, st);
}

typedef struct KVMLapicCall {
    unsigned long type;
    struct kvm_lapic_state *st;
    int ret;
} KVMLapicCall;

static void do_kvm_lapic_ioctl(CPUState *cpu, run_on_cpu_data arg)
{
    KVMLapicCall *c = arg.host_ptr;

    c->ret = kvm_vcpu_ioctl(cpu, c->type, c->st);
}

/* vCPU ioctls go to the vCPU's own thread, as QEMU's kvm_apic_put. */
static int kvm_lapic_ioctl(CPUState *cpu, unsigned long type,
                           struct kvm_lapic_state *st)
{
    KVMLapicCall c = { .type = type, .st = st, .ret = -ENOSYS };

    if (!kvm_irqchip_in_kernel() || !cpu || !kvm_cpu_state(cpu)) {
        return -ENOSYS;
    }
    if (qemu_cpu_is_self(cpu)) {
        do_kvm_lapic_ioctl(cpu, RUN_ON_CPU_HOST_PTR(&c));
    } else {
        run_on_cpu(cpu, do_kvm_lapic_ioctl, RUN_ON_CPU_HOST_PTR(&c));
    }
    return c.ret;
}

int kvm_lapic_get(CPUState *cpu, struct kvm_lapic_state *st)
{
    return kvm_lapic_ioctl(cpu, KVM_GET_LAPIC, st);
}

int kvm_lapic_set(CPUState *cpu, struct kvm_lapic_state *st)
{
    return kvm_lapic_ioctl(cpu, KVM_SET_LAPIC, st);
}

uint64_t kvm_apic_base(CPUState *cpu)
{
    KVMCPUState *kc = cpu ? kvm_cpu_state(cpu) : NULL;

    if (!cpu) {
        return 0;
    }
    if (!kc || kc->vcpu_dirty) {
        return X86_CPU(cpu)->env.apic_base;
    }
    return kc->run->apic_base;
}

int64_t kvm_pit_clock_offset(void)
{
    int64_t best = 0;

    /*
     * The later CLOCK_MONOTONIC is read, the smaller the offset: the
     * largest one comes from the pair with the least delay between reads.
     */
    for (int i = 0; i < 5; i++) {
        struct timespec ts;
        int64_t v = qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
        int64_t off;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        off = v - (ts.tv_sec * 1000000000LL + ts.tv_nsec);
        if (i == 0 || off > best) {
            best = off;
        }
    }
    return best;
}

/*
 * In-kernel PIC + IOAPIC + LAPICs, and the PIT.  The default GSI routing
 * KVM_CREATE_IRQCHIP installs is the PC's (GSI 0-15 to both the PIC and
 * the IOAPIC pins of the same number, 16-23 to the IOAPIC), which is what
 * our board wires, so no KVM_SET_GSI_ROUTING is needed.
 */
static bool kvm_irqchip_create(KVMState *s, KVMIrqchipMode mode,
                               Error **errp)
{
    const char *why = NULL;
    int r;

    if (mode == KVM_IRQCHIP_OFF) {
        snprintf(s->irqchip_desc, sizeof(s->irqchip_desc),
                 "Osprey's PIC, IOAPIC, LAPIC and PIT (kernel-irqchip=off)");
        return true;
    }
    if (!kvm_check_extension(KVM_CAP_IRQCHIP)) {
        why = "the host lacks KVM_CAP_IRQCHIP";
    } else if ((r = kvm_vm_ioctl(s, KVM_CREATE_IRQCHIP, NULL)) < 0) {
        why = strerror(-r);
    }
    if (why) {
        if (mode == KVM_IRQCHIP_ON) {
            error_setg(errp, "kernel-irqchip=on: could not create the "
                       "in-kernel irqchip: %s", why);
            return false;
        }
        snprintf(s->irqchip_desc, sizeof(s->irqchip_desc),
                 "Osprey's PIC, IOAPIC, LAPIC and PIT (in-kernel irqchip "
                 "unavailable: %s)", why);
        fprintf(stderr, "osprey: kvm: in-kernel irqchip unavailable (%s); "
                "using Osprey's PIC, IOAPIC, LAPIC and PIT\n", why);
        return true;
    }
    s->irqchip_in_kernel = true;
    s->has_signal_msi = kvm_check_extension(KVM_CAP_SIGNAL_MSI) > 0;
    if (kvm_check_extension(KVM_CAP_PIT2)) {
        struct kvm_pit_config pit = { .flags = KVM_PIT_SPEAKER_DUMMY };
        r = kvm_vm_ioctl(s, KVM_CREATE_PIT2, &pit);
        s->pit_in_kernel = r >= 0;
        if (r < 0) {
            fprintf(stderr, "osprey: kvm: KVM_CREATE_PIT2: %s; the PIT "
                    "stays in Osprey\n", strerror(-r));
        }
    }
    snprintf(s->irqchip_desc, sizeof(s->irqchip_desc),
             "in-kernel PIC, IOAPIC and LAPIC%s",
             s->pit_in_kernel ? ", in-kernel PIT" : ", Osprey's PIT");
    return true;
}

/* ---- the VM ----------------------------------------------------------- */

bool kvm_accel_init(const char *opts, Error **errp)
{
    KVMAccelOptions o;
    KVMState *s;
    int r;

    if (!kvm_parse_accel_options(opts, &o, errp)) {
        return false;
    }
    s = xnew(KVMState);
    s->vmfd = -1;
    s->fd = open(o.device, O_RDWR | O_CLOEXEC);
    if (s->fd < 0) {
        error_setg(errp, "Could not access KVM kernel module: %s",
                   strerror(errno));
        goto fail;
    }
    r = ioctl(s->fd, KVM_GET_API_VERSION, 0);
    if (r < 0) {
        error_setg(errp, "%s: not a KVM device (KVM_GET_API_VERSION: %s)",
                   o.device, strerror(errno));
        goto fail;
    }
    if (r != KVM_API_VERSION) {
        error_setg(errp, "%s: KVM API version %d, Osprey needs %d",
                   o.device, r, KVM_API_VERSION);
        goto fail;
    }
    kvm_state = s;    /* kvm_check_extension uses the system fd for now */
    if (!kvm_check_extension(KVM_CAP_USER_MEMORY) ||
        !kvm_check_extension(KVM_CAP_IMMEDIATE_EXIT)) {
        error_setg(errp, "%s: the kernel lacks %s", o.device,
                   !kvm_check_extension(KVM_CAP_USER_MEMORY) ?
                   "KVM_CAP_USER_MEMORY" : "KVM_CAP_IMMEDIATE_EXIT");
        goto fail;
    }
    do {
        r = ioctl(s->fd, KVM_CREATE_VM, 0);
    } while (r < 0 && errno == EINTR);
    if (r < 0) {
        error_setg(errp, "%s: KVM_CREATE_VM: %s", o.device, strerror(errno));
        goto fail;
    }
    s->vmfd = r;
    s->vcpu_mmap_size = ioctl(s->fd, KVM_GET_VCPU_MMAP_SIZE, 0);
    if (s->vcpu_mmap_size < (int)sizeof(struct kvm_run)) {
        error_setg(errp, "%s: KVM_GET_VCPU_MMAP_SIZE: %s", o.device,
                   s->vcpu_mmap_size < 0 ? strerror(errno) : "too small");
        goto fail;
    }
    s->nr_slots = kvm_check_extension(KVM_CAP_NR_MEMSLOTS);
    if (s->nr_slots <= 0) {
        s->nr_slots = 32;
    }
    s->nr_slots = MIN(s->nr_slots, 512);
    s->slots = xzalloc(s->nr_slots * sizeof(KVMSlot));
    for (int i = 0; i < s->nr_slots; i++) {
        s->slots[i].slot = i;
    }
    s->readonly_mem = kvm_check_extension(KVM_CAP_READONLY_MEM) > 0;
    s->has_xsave = kvm_check_extension(KVM_CAP_XSAVE) > 0;
    s->has_xcrs = kvm_check_extension(KVM_CAP_XCRS) > 0;
    s->has_vcpu_events = kvm_check_extension(KVM_CAP_VCPU_EVENTS) > 0;
    s->has_debugregs = kvm_check_extension(KVM_CAP_DEBUGREGS) > 0;

    if (!kvm_arch_init(s, errp) ||
        !kvm_irqchip_create(s, o.kernel_irqchip, errp)) {
        goto fail;
    }

    s->listener = (MemoryListener){
        .name = "kvm-memory",
        .region_add = kvm_region_add,
        .region_del = kvm_region_del,
        .log_start = kvm_log_change,
        .log_stop = kvm_log_change,
        .log_sync = kvm_log_sync,
        .priority = 10,
    };
    memory_listener_register(&s->listener, &address_space_memory);
    kvm_allowed = true;
    cpus_register_accel(&kvm_accel_ops);
    return true;

fail:
    if (s->vmfd >= 0) {
        close(s->vmfd);
    }
    if (s->fd >= 0) {
        close(s->fd);
    }
    free(s->slots);
    free(s->supported_cpuid);
    free(s->msr_list);
    free(s);
    kvm_state = NULL;
    return false;
}

/* ---- vCPUs ------------------------------------------------------------- */

bool kvm_init_vcpu(CPUState *cpu, Error **errp)
{
    KVMState *s = kvm_state;
    KVMCPUState *kc = xnew(KVMCPUState);
    X86CPU *xcpu = X86_CPU(cpu);
    int r;

    /* The vCPU id is the APIC id, which the in-kernel LAPIC reports. */
    r = kvm_vm_ioctl(s, KVM_CREATE_VCPU,
                     (void *)(uintptr_t)xcpu->env.cfg.apic_id);
    if (r < 0) {
        error_setg(errp, "kvm: KVM_CREATE_VCPU %d: %s", cpu->cpu_index,
                   strerror(-r));
        free(kc);
        return false;
    }
    kc->fd = r;
    kc->run = mmap(NULL, s->vcpu_mmap_size, PROT_READ | PROT_WRITE,
                   MAP_SHARED, kc->fd, 0);
    if (kc->run == MAP_FAILED) {
        error_setg(errp, "kvm: mmap of vCPU %d's kvm_run: %s",
                   cpu->cpu_index, strerror(errno));
        close(kc->fd);
        free(kc);
        return false;
    }
    /* The CPU was reset at realize: its state goes in before it runs. */
    kc->vcpu_dirty = true;
    kc->put_level = KVM_PUT_FULL_STATE;
    cpu->accel = kc;
    if (!kvm_arch_init_vcpu(cpu, errp)) {
        kvm_destroy_vcpu(cpu);
        return false;
    }
    return true;
}

void kvm_destroy_vcpu(CPUState *cpu)
{
    KVMCPUState *kc = kvm_cpu_state(cpu);

    if (!kc) {
        return;
    }
    kvm_arch_destroy_vcpu(cpu);
    munmap(kc->run, kvm_state->vcpu_mmap_size);
    close(kc->fd);
    free(kc->xsave);
    free(kc);
    cpu->accel = NULL;
}

static void kvm_ipi_signal(int sig)
{
    /* The handler itself has nothing to do: EINTR ends KVM_RUN. */
    if (current_cpu && kvm_cpu_state(current_cpu)) {
        __atomic_store_n(&kvm_cpu_state(current_cpu)->run->immediate_exit, 1,
                         __ATOMIC_SEQ_CST);
    }
}

void kvm_init_cpu_signals(CPUState *cpu)
{
    struct sigaction sa = { .sa_handler = kvm_ipi_signal };
    struct kvm_signal_mask *m = xzalloc(sizeof(*m) + 8);
    sigset_t set;

    sigaction(SIG_IPI, &sa, NULL);
    /* Blocked here, so it only ever interrupts KVM_RUN... */
    sigemptyset(&set);
    sigaddset(&set, SIG_IPI);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    /* ...where the mask below (ours without SIG_IPI) applies. */
    pthread_sigmask(SIG_BLOCK, NULL, &set);
    sigdelset(&set, SIG_IPI);
    m->len = 8;                         /* the kernel's sigset_t */
    memcpy(m->sigset, &set, 8);
    if (kvm_vcpu_ioctl(cpu, KVM_SET_SIGNAL_MASK, m) < 0) {
        error_report("kvm: KVM_SET_SIGNAL_MASK: %s", strerror(errno));
        abort();
    }
    free(m);
}

/* Consume SIG_IPIs that arrived while it was blocked. */
static void kvm_eat_signals(void)
{
    struct timespec ts = { 0, 0 };
    sigset_t set, pending;

    sigemptyset(&set);
    sigaddset(&set, SIG_IPI);
    for (;;) {
        if (sigpending(&pending) < 0 || !sigismember(&pending, SIG_IPI)) {
            return;
        }
        if (sigtimedwait(&set, NULL, &ts) < 0 && errno != EINTR &&
            errno != EAGAIN) {
            return;
        }
    }
}

void kvm_cpu_kick(CPUState *cpu)
{
    KVMCPUState *kc = kvm_cpu_state(cpu);

    cpu_exit(cpu);
    if (!kc || !cpu->created) {
        return;
    }
    __atomic_store_n(&kc->run->immediate_exit, 1, __ATOMIC_SEQ_CST);
    if (!qemu_cpu_is_self(cpu)) {
        pthread_kill(cpu->thread, SIG_IPI);
    }
}

/* ---- register synchronisation (on the vCPU thread) -------------------- */

static void do_kvm_synchronize_state(CPUState *cpu, run_on_cpu_data arg)
{
    KVMCPUState *kc = kvm_cpu_state(cpu);

    if (!kc->vcpu_dirty) {
        int r = kvm_arch_get_registers(cpu);
        if (r < 0) {
            error_report("kvm: failed to get registers of CPU %d: %s",
                         cpu->cpu_index, strerror(-r));
            return;
        }
        kc->vcpu_dirty = true;
    }
}

void kvm_cpu_synchronize_state(CPUState *cpu)
{
    KVMCPUState *kc = kvm_cpu_state(cpu);

    if (kc && !kc->vcpu_dirty) {
        run_on_cpu(cpu, do_kvm_synchronize_state, RUN_ON_CPU_NULL);
    }
}

static void do_kvm_put(CPUState *cpu, run_on_cpu_data arg)
{
    int r = kvm_arch_put_registers(cpu, arg.int_value);

    if (r < 0) {
        error_report("kvm: failed to set registers of CPU %d: %s",
                     cpu->cpu_index, strerror(-r));
        return;
    }
    kvm_cpu_state(cpu)->vcpu_dirty = false;
    kvm_cpu_state(cpu)->put_level = 0;
}

void kvm_cpu_synchronize_post_reset(CPUState *cpu)
{
    if (kvm_cpu_state(cpu)) {
        run_on_cpu(cpu, do_kvm_put, RUN_ON_CPU_HOST_INT(KVM_PUT_RESET_STATE));
    }
}

void kvm_cpu_synchronize_post_init(CPUState *cpu)
{
    if (kvm_cpu_state(cpu)) {
        run_on_cpu(cpu, do_kvm_put, RUN_ON_CPU_HOST_INT(KVM_PUT_FULL_STATE));
    }
}

/* ---- the run loop ---------------------------------------------------- */

static void kvm_handle_io(uint16_t port, void *data, int direction, int size,
                          uint32_t count)
{
    uint8_t *p = data;

    for (uint32_t i = 0; i < count; i++) {
        address_space_rw(&address_space_io, port, MEMTXATTRS_UNSPECIFIED, p,
                         size, direction == KVM_EXIT_IO_OUT);
        p += size;
    }
}

static const char *kvm_exit_name(uint32_t reason)
{
    switch (reason) {
    case KVM_EXIT_INTERNAL_ERROR: return "KVM_EXIT_INTERNAL_ERROR";
    case KVM_EXIT_FAIL_ENTRY: return "KVM_EXIT_FAIL_ENTRY";
    case KVM_EXIT_UNKNOWN: return "KVM_EXIT_UNKNOWN";
    case KVM_EXIT_EXCEPTION: return "KVM_EXIT_EXCEPTION";
    default: return "an unexpected exit";
    }
}

/* An exit we cannot continue from: say what the kernel told us. */
static void kvm_report_error(CPUState *cpu, struct kvm_run *run)
{
    fprintf(stderr, "KVM: %s (exit reason %u) on CPU %d",
            kvm_exit_name(run->exit_reason), run->exit_reason,
            cpu->cpu_index);
    if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
        fprintf(stderr, ", suberror %u", run->internal.suberror);
        if (run->internal.suberror == KVM_INTERNAL_ERROR_EMULATION) {
            fprintf(stderr, " (emulation failure)");
        }
        for (uint32_t i = 0; i < run->internal.ndata &&
             i < ARRAY_SIZE(run->internal.data); i++) {
            fprintf(stderr, "\n  data[%u]: 0x%016llx", i,
                    (unsigned long long)run->internal.data[i]);
        }
    } else if (run->exit_reason == KVM_EXIT_FAIL_ENTRY) {
        fprintf(stderr, ", hardware entry failure reason 0x%llx",
                (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
    }
    fprintf(stderr, "\n");
}

int kvm_cpu_exec(CPUState *cpu)
{
    KVMCPUState *kc = kvm_cpu_state(cpu);
    struct kvm_run *run = kc->run;
    bool s_irqchip_in_kernel = kvm_irqchip_in_kernel();
    int ret = 0, r;

    if (kvm_arch_process_async_events(cpu)) {
        __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST);
        return EXCP_HLT;
    }
    bql_unlock();
    cpu_exec_start(cpu);
    do {
        if (kc->vcpu_dirty) {
            r = kvm_arch_put_registers(cpu, MAX(kc->put_level,
                                                KVM_PUT_RUNTIME_STATE));
            if (r < 0) {
                error_report("kvm: failed to set registers of CPU %d: %s",
                             cpu->cpu_index, strerror(-r));
                ret = EXCP_KVM_ERROR;
                break;
            }
            kc->vcpu_dirty = false;
            kc->put_level = 0;
        }
        if (!s_irqchip_in_kernel) {
            /* injection runs the PIC/APIC INTA cycle: device state */
            bql_lock();
            kvm_arch_pre_run(cpu, run);
            bql_unlock();
        }
        /* A kick after this reads exit_request sets immediate_exit. */
        if (__atomic_load_n(&cpu->exit_request, __ATOMIC_SEQ_CST)) {
            __atomic_store_n(&run->immediate_exit, 1, __ATOMIC_SEQ_CST);
        }
        r = kvm_vcpu_ioctl(cpu, KVM_RUN, NULL);
        kvm_arch_post_run(cpu, run);

        if (r < 0) {
            if (r == -EINTR || r == -EAGAIN) {
                __atomic_store_n(&run->immediate_exit, 0, __ATOMIC_SEQ_CST);
                kvm_eat_signals();
                ret = EXCP_INTERRUPT;
                break;
            }
            fprintf(stderr, "KVM: KVM_RUN on CPU %d failed: %s\n",
                    cpu->cpu_index, strerror(-r));
            ret = EXCP_KVM_ERROR;
            break;
        }

        switch (run->exit_reason) {
        case KVM_EXIT_IO:
            bql_lock();
            kvm_handle_io(run->io.port, (uint8_t *)run + run->io.data_offset,
                          run->io.direction, run->io.size, run->io.count);
            bql_unlock();
            ret = 0;
            break;
        case KVM_EXIT_MMIO:
            bql_lock();
            address_space_rw(&address_space_memory, run->mmio.phys_addr,
                             MEMTXATTRS_UNSPECIFIED, run->mmio.data,
                             run->mmio.len, run->mmio.is_write);
            bql_unlock();
            ret = 0;
            break;
        case KVM_EXIT_IRQ_WINDOW_OPEN:
            ret = EXCP_INTERRUPT;
            break;
        case KVM_EXIT_SHUTDOWN:
            /* Triple fault: the machine resets (or stops: -no-reboot). */
            qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
            ret = EXCP_INTERRUPT;
            break;
        case KVM_EXIT_SYSTEM_EVENT:
            switch (run->system_event.type) {
            case KVM_SYSTEM_EVENT_SHUTDOWN:
                qemu_system_shutdown_request(SHUTDOWN_CAUSE_GUEST_SHUTDOWN);
                break;
            case KVM_SYSTEM_EVENT_RESET:
                qemu_system_reset_request(SHUTDOWN_CAUSE_GUEST_RESET);
                break;
            case KVM_SYSTEM_EVENT_CRASH:
                bql_lock();
                vm_stop(RUN_STATE_GUEST_PANICKED);
                bql_unlock();
                break;
            default:
                fprintf(stderr, "KVM: CPU %d: unknown system event %u\n",
                        cpu->cpu_index, run->system_event.type);
                break;
            }
            ret = EXCP_INTERRUPT;
            break;
        case KVM_EXIT_INTERNAL_ERROR:
        case KVM_EXIT_FAIL_ENTRY:
            kvm_report_error(cpu, run);
            ret = EXCP_KVM_ERROR;
            break;
        default:
            bql_lock();
            ret = kvm_arch_handle_exit(cpu, run);
            bql_unlock();
            if (ret == EXCP_KVM_ERROR) {
                kvm_report_error(cpu, run);
            }
            break;
        }
    } while (ret == 0);
    cpu_exec_end(cpu);
    bql_lock();

    if (ret == EXCP_KVM_ERROR) {
        /*
         * As QEMU: print the registers and stop the VM in the
         * internal-error state; the process and the monitor stay up, and
         * system_reset makes the machine runnable again.
         */
        CPUClass *cc = CPU_GET_CLASS(cpu);
        if (!kc->vcpu_dirty && kvm_arch_get_registers(cpu) >= 0) {
            kc->vcpu_dirty = true;
        }
        if (cc->dump_state) {
            cc->dump_state(cpu, stderr, 0);
        }
        vm_stop(RUN_STATE_INTERNAL_ERROR);
    }
    __atomic_store_n(&cpu->exit_request, 0, __ATOMIC_SEQ_CST);
    return ret;
}

/* ---- accelerator ops ---------------------------------------------------- */

static void *kvm_vcpu_thread_fn(void *arg)
{
    CPUState *cpu = arg;
    Error *err = NULL;
    char name[16];

    snprintf(name, sizeof(name), "CPU %d/KVM", cpu->cpu_index);
    pthread_setname_np(pthread_self(), name);

    bql_lock();
    current_cpu = cpu;
    cpu->thread_id = syscall(SYS_gettid);
    if (!kvm_init_vcpu(cpu, &err)) {
        error_report_err(err);
        exit(1);
    }
    kvm_init_cpu_signals(cpu);
    cpu_thread_signal_created(cpu);
    do {
        if (cpu_can_run(cpu)) {
            kvm_cpu_exec(cpu);
        }
        qemu_wait_io_event(cpu);
    } while (!cpu->unplug);
    kvm_destroy_vcpu(cpu);
    cpu_thread_signal_destroyed(cpu);
    current_cpu = NULL;
    bql_unlock();
    return NULL;
}

static void kvm_create_vcpu_thread(CPUState *cpu)
{
    pthread_create(&cpu->thread, NULL, kvm_vcpu_thread_fn, cpu);
}

static bool kvm_vcpu_thread_is_idle(CPUState *cpu)
{
    /* With the in-kernel LAPIC, HLT waits inside KVM_RUN. */
    return !kvm_irqchip_in_kernel();
}

static const AccelOpsClass kvm_accel_ops = {
    .name = "KVM",
    .create_vcpu_thread = kvm_create_vcpu_thread,
    .kick_vcpu_thread = kvm_cpu_kick,
    .cpu_thread_is_idle = kvm_vcpu_thread_is_idle,
    .synchronize_state = kvm_cpu_synchronize_state,
    .synchronize_post_reset = kvm_cpu_synchronize_post_reset,
    .synchronize_post_init = kvm_cpu_synchronize_post_init,
};

/* ---- info kvm ----------------------------------------------------------- */

static void hmp_info_kvm(Monitor *mon, const QObject *args)
{
    monitor_printf(mon, "kvm support: %s\n",
                   kvm_enabled() ? "enabled" : "disabled");
    if (kvm_enabled()) {
        monitor_printf(mon, "interrupt controllers: %s\n",
                       kvm_irqchip_description());
    }
}

static const HMPCommand hmp_info_kvm_cmd = {
    "kvm", "", "", "show KVM information", hmp_info_kvm,
};

static void __attribute__((constructor)) kvm_hmp_init(void)
{
    hmp_register_command(&hmp_info_kvm_cmd, true);
}
