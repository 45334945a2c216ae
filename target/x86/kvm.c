/*
 * x86 side of the KVM accelerator: CPUID, register get/put, interrupt
 * injection with Osprey's interrupt controllers, INIT/SIPI, HLT.
 *
 * The conversions between CPUX86State and KVM's structures are plain
 * functions (include/target/x86/kvm.h) so they can be tested without
 * /dev/kvm.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "system/kvm_int.h"
#include "system/runstate.h"
#include "system/main-loop.h"
#include "target/x86/cpu-qom.h"
#include "target/x86/kvm.h"
#include "hw/i386/apic.h"
#include "system/timer.h"

/* Where KVM may put the TSS and identity page table it needs on VMX. */
#define KVM_IDENTITY_BASE 0xfeffc000ULL

/* ---- segments, registers ---------------------------------------------- */

static void seg_to_kvm(struct kvm_segment *k, const SegmentCache *s)
{
    uint32_t f = s->flags;

    memset(k, 0, sizeof(*k));
    k->selector = s->selector;
    k->base = s->base;
    k->limit = s->limit;
    k->type = (f >> DESC_TYPE_SHIFT) & 15;
    k->present = (f & DESC_P_MASK) != 0;
    k->dpl = (f >> DESC_DPL_SHIFT) & 3;
    k->db = (f & DESC_B_MASK) != 0;
    k->s = (f & DESC_S_MASK) != 0;
    k->l = (f & DESC_L_MASK) != 0;
    k->g = (f & DESC_G_MASK) != 0;
    k->avl = (f & DESC_AVL_MASK) != 0;
    k->unusable = !k->present;
}

static void seg_from_kvm(SegmentCache *s, const struct kvm_segment *k)
{
    s->selector = k->selector;
    s->base = k->base;
    s->limit = k->limit;
    s->flags = ((uint32_t)k->type << DESC_TYPE_SHIFT) |
               (k->present && !k->unusable ? DESC_P_MASK : 0) |
               ((uint32_t)k->dpl << DESC_DPL_SHIFT) |
               (k->db ? DESC_B_MASK : 0) | (k->s ? DESC_S_MASK : 0) |
               (k->l ? DESC_L_MASK : 0) | (k->g ? DESC_G_MASK : 0) |
               (k->avl ? DESC_AVL_MASK : 0);
}

/* Virtual-8086 segments as the hardware wants them (QEMU's rule). */
static void seg_to_kvm_v86(struct kvm_segment *k, const SegmentCache *s)
{
    memset(k, 0, sizeof(*k));
    k->selector = s->selector;
    k->base = s->base;
    k->limit = s->limit;
    k->type = 3;
    k->present = 1;
    k->dpl = 3;
    k->s = 1;
}

void x86_kvm_env_to_regs(CPUX86State *env, struct kvm_regs *r)
{
    memset(r, 0, sizeof(*r));
    r->rax = env->regs[R_EAX];
    r->rbx = env->regs[R_EBX];
    r->rcx = env->regs[R_ECX];
    r->rdx = env->regs[R_EDX];
    r->rsi = env->regs[R_ESI];
    r->rdi = env->regs[R_EDI];
    r->rsp = env->regs[R_ESP];
    r->rbp = env->regs[R_EBP];
    r->r8 = env->regs[R_R8];
    r->r9 = env->regs[R_R9];
    r->r10 = env->regs[R_R10];
    r->r11 = env->regs[R_R11];
    r->r12 = env->regs[R_R12];
    r->r13 = env->regs[R_R13];
    r->r14 = env->regs[R_R14];
    r->r15 = env->regs[R_R15];
    r->rip = env->rip;
    r->rflags = cpu_compute_eflags(env);
}

void x86_kvm_regs_to_env(CPUX86State *env, const struct kvm_regs *r)
{
    env->regs[R_EAX] = r->rax;
    env->regs[R_EBX] = r->rbx;
    env->regs[R_ECX] = r->rcx;
    env->regs[R_EDX] = r->rdx;
    env->regs[R_ESI] = r->rsi;
    env->regs[R_EDI] = r->rdi;
    env->regs[R_ESP] = r->rsp;
    env->regs[R_EBP] = r->rbp;
    env->regs[R_R8] = r->r8;
    env->regs[R_R9] = r->r9;
    env->regs[R_R10] = r->r10;
    env->regs[R_R11] = r->r11;
    env->regs[R_R12] = r->r12;
    env->regs[R_R13] = r->r13;
    env->regs[R_R14] = r->r14;
    env->regs[R_R15] = r->r15;
    env->rip = r->rip;
    cpu_load_eflags(env, r->rflags, ~0ULL);
}

void x86_kvm_env_to_sregs(CPUX86State *env, struct kvm_sregs *s)
{
    static const int order[6] = { R_CS, R_DS, R_ES, R_FS, R_GS, R_SS };
    struct kvm_segment *dst[6];

    memset(s, 0, sizeof(*s));
    dst[0] = &s->cs; dst[1] = &s->ds; dst[2] = &s->es;
    dst[3] = &s->fs; dst[4] = &s->gs; dst[5] = &s->ss;
    for (int i = 0; i < 6; i++) {
        if (env->eflags & VM_MASK) {
            seg_to_kvm_v86(dst[i], &env->segs[order[i]]);
        } else {
            seg_to_kvm(dst[i], &env->segs[order[i]]);
        }
    }
    seg_to_kvm(&s->tr, &env->tr);
    seg_to_kvm(&s->ldt, &env->ldt);
    s->gdt.base = env->gdt.base;
    s->gdt.limit = env->gdt.limit;
    s->idt.base = env->idt.base;
    s->idt.limit = env->idt.limit;
    s->cr0 = env->cr[0];
    s->cr2 = env->cr[2];
    s->cr3 = env->cr[3];
    s->cr4 = env->cr[4];
    s->cr8 = env->cr8;
    s->efer = env->efer;
    s->apic_base = env->apic_base;
}

void x86_kvm_sregs_to_env(CPUX86State *env, const struct kvm_sregs *s)
{
    int cpl;

    seg_from_kvm(&env->segs[R_CS], &s->cs);
    seg_from_kvm(&env->segs[R_DS], &s->ds);
    seg_from_kvm(&env->segs[R_ES], &s->es);
    seg_from_kvm(&env->segs[R_FS], &s->fs);
    seg_from_kvm(&env->segs[R_GS], &s->gs);
    seg_from_kvm(&env->segs[R_SS], &s->ss);
    seg_from_kvm(&env->tr, &s->tr);
    seg_from_kvm(&env->ldt, &s->ldt);
    env->gdt.base = s->gdt.base;
    env->gdt.limit = s->gdt.limit;
    env->idt.base = s->idt.base;
    env->idt.limit = s->idt.limit;
    env->cr[0] = s->cr0;
    env->cr[2] = s->cr2;
    env->cr[3] = s->cr3;
    env->cr[4] = s->cr4;
    env->cr8 = s->cr8;
    env->efer = s->efer;
    env->apic_base = s->apic_base;
    /* CPL: 0 in real mode, 3 in virtual-8086 mode, else SS.DPL. */
    if (!(env->cr[0] & CR0_PE_MASK)) {
        cpl = 0;
    } else if (env->eflags & VM_MASK) {
        cpl = 3;
    } else {
        cpl = s->ss.dpl;
    }
    env->hflags = (env->hflags & ~HF_CPL_MASK) | cpl;
    x86_update_hflags(env);
}

void x86_kvm_env_to_fxsave(CPUX86State *env, uint8_t *img)
{
    uint16_t fsw = (env->fpus & ~(7u << 11)) | ((env->fpstt & 7) << 11);
    uint32_t mask = 0xffff;

    memset(img, 0, 512);
    memcpy(img + 0, &env->fpuc, 2);
    memcpy(img + 2, &fsw, 2);
    img[4] = ~env->fptags;
    memcpy(img + 6, &env->fpop, 2);
    memcpy(img + 8, &env->fpip, 8);
    memcpy(img + 16, &env->fpdp, 8);
    memcpy(img + 24, &env->mxcsr, 4);
    memcpy(img + 28, &mask, 4);
    for (int i = 0; i < 8; i++) {
        X86FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        memcpy(img + 32 + 16 * i, &r->mant, 8);
        memcpy(img + 40 + 16 * i, &r->sign_exp, 2);
    }
    memcpy(img + 160, env->xmm, 16 * 16);
}

void x86_kvm_fxsave_to_env(CPUX86State *env, const uint8_t *img)
{
    uint16_t fsw;

    memcpy(&env->fpuc, img + 0, 2);
    memcpy(&fsw, img + 2, 2);
    env->fpstt = (fsw >> 11) & 7;
    env->fpus = fsw & ~(7u << 11);
    env->fptags = ~img[4];
    memcpy(&env->fpop, img + 6, 2);
    memcpy(&env->fpip, img + 8, 8);
    memcpy(&env->fpdp, img + 16, 8);
    memcpy(&env->mxcsr, img + 24, 4);
    for (int i = 0; i < 8; i++) {
        X86FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        memcpy(&r->mant, img + 32 + 16 * i, 8);
        memcpy(&r->sign_exp, img + 40 + 16 * i, 2);
    }
    memcpy(env->xmm, img + 160, 16 * 16);
}

void x86_kvm_env_to_fpu(CPUX86State *env, struct kvm_fpu *fpu)
{
    memset(fpu, 0, sizeof(*fpu));
    fpu->fcw = env->fpuc;
    fpu->fsw = (env->fpus & ~(7u << 11)) | ((env->fpstt & 7) << 11);
    fpu->ftwx = ~env->fptags;
    fpu->last_opcode = env->fpop;
    fpu->last_ip = env->fpip;
    fpu->last_dp = env->fpdp;
    fpu->mxcsr = env->mxcsr;
    for (int i = 0; i < 8; i++) {
        X86FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        memcpy(fpu->fpr[i], &r->mant, 8);
        memcpy(fpu->fpr[i] + 8, &r->sign_exp, 2);
    }
    memcpy(fpu->xmm, env->xmm, sizeof(fpu->xmm));
}

void x86_kvm_fpu_to_env(CPUX86State *env, const struct kvm_fpu *fpu)
{
    env->fpuc = fpu->fcw;
    env->fpstt = (fpu->fsw >> 11) & 7;
    env->fpus = fpu->fsw & ~(7u << 11);
    env->fptags = ~fpu->ftwx;
    env->fpop = fpu->last_opcode;
    env->fpip = fpu->last_ip;
    env->fpdp = fpu->last_dp;
    env->mxcsr = fpu->mxcsr;
    for (int i = 0; i < 8; i++) {
        X86FPReg *r = &env->fpregs[(env->fpstt + i) & 7];
        memcpy(&r->mant, fpu->fpr[i], 8);
        memcpy(&r->sign_exp, fpu->fpr[i] + 8, 2);
    }
    memcpy(env->xmm, fpu->xmm, sizeof(fpu->xmm));
}

/* ---- CPUID ------------------------------------------------------------ */

static const struct kvm_cpuid_entry2 *
find_supported(const struct kvm_cpuid2 *sup, uint32_t fn, uint32_t idx)
{
    for (uint32_t i = 0; sup && i < sup->nent; i++) {
        const struct kvm_cpuid_entry2 *e = &sup->entries[i];
        if (e->function == fn &&
            (!(e->flags & KVM_CPUID_FLAG_SIGNIFCANT_INDEX) || e->index == idx)) {
            return e;
        }
    }
    return NULL;
}

static bool leaf_has_index(uint32_t fn)
{
    return fn == 4 || fn == 7 || fn == 0xb || fn == 0xd || fn == 0x1f;
}

static void add_model_leaf(CPUX86State *env, const struct kvm_cpuid2 *sup,
                           uint32_t fn, struct kvm_cpuid_entry2 *e)
{
    const struct kvm_cpuid_entry2 *s = find_supported(sup, fn, 0);

    memset(e, 0, sizeof(*e));
    e->function = fn;
    if (leaf_has_index(fn)) {
        e->flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX;
    }
    x86_cpuid(env, fn, 0, &e->eax, &e->ebx, &e->ecx, &e->edx);
    /* Feature words: only what the host can give. */
    switch (fn) {
    case 1:
        e->ecx &= (s ? s->ecx : 0) | CPUID_EXT_HYPERVISOR;
        e->edx &= s ? s->edx : 0;
        break;
    case 7:
        e->ebx &= s ? s->ebx : 0;
        e->ecx &= s ? s->ecx : 0;
        e->edx &= s ? s->edx : 0;
        break;
    case 0x80000001:
        e->ecx &= s ? s->ecx : 0;
        e->edx &= s ? s->edx : 0;
        break;
    }
}

int x86_kvm_build_cpuid(CPUX86State *env, const struct kvm_cpuid2 *sup,
                        bool host, struct kvm_cpuid_entry2 *out, int max)
{
    uint32_t apic_id = env->cfg.apic_id;
    int n = 0;

    if (host) {
        for (uint32_t i = 0; sup && i < sup->nent && n < max; i++) {
            struct kvm_cpuid_entry2 *e = &out[n++];
            *e = sup->entries[i];
            if (e->function == 1) {
                e->ebx = (e->ebx & 0x00ffffff) | (apic_id << 24);
                e->ecx |= CPUID_EXT_HYPERVISOR;
            } else if (e->function == 0xb || e->function == 0x1f) {
                e->edx = apic_id;
            }
        }
        return n;
    }
    for (uint32_t fn = 0; fn <= env->cfg.level && n < max; fn++) {
        add_model_leaf(env, sup, fn, &out[n++]);
    }
    if ((env->cfg.features[FEAT_1_ECX] & CPUID_EXT_HYPERVISOR) && n < max) {
        add_model_leaf(env, sup, 0x40000000, &out[n++]);
    }
    for (uint32_t fn = 0x80000000; fn <= env->cfg.xlevel && n < max; fn++) {
        add_model_leaf(env, sup, fn, &out[n++]);
    }
    return n;
}

/* What CPUID(1) and friends now say, so reset and the monitor agree. */
static void update_cfg_from_cpuid(CPUX86State *env,
                                  const struct kvm_cpuid_entry2 *e, int n)
{
    for (int i = 0; i < n; i++) {
        switch (e[i].function) {
        case 0:
            env->cfg.level = e[i].eax;
            memcpy(env->cfg.vendor + 0, &e[i].ebx, 4);
            memcpy(env->cfg.vendor + 4, &e[i].edx, 4);
            memcpy(env->cfg.vendor + 8, &e[i].ecx, 4);
            env->cfg.vendor[12] = '\0';
            break;
        case 1:
            env->cfg.version = e[i].eax;
            env->cfg.features[FEAT_1_ECX] = e[i].ecx;
            env->cfg.features[FEAT_1_EDX] = e[i].edx;
            break;
        case 7:
            if (e[i].index == 0) {
                env->cfg.features[FEAT_7_0_EBX] = e[i].ebx;
                env->cfg.features[FEAT_7_0_EDX] = e[i].edx;
            }
            break;
        case 0x80000000:
            env->cfg.xlevel = e[i].eax;
            break;
        case 0x80000001:
            env->cfg.features[FEAT_8000_0001_ECX] = e[i].ecx;
            env->cfg.features[FEAT_8000_0001_EDX] = e[i].edx;
            break;
        }
    }
}

/* ---- the VM -------------------------------------------------------------- */

static struct kvm_cpuid2 *get_supported_cpuid(KVMState *s)
{
    for (int max = 64; max <= 4096; max *= 2) {
        struct kvm_cpuid2 *c = xzalloc(sizeof(*c) +
                                        max * sizeof(struct kvm_cpuid_entry2));
        int r;

        c->nent = max;
        r = kvm_ioctl(s, KVM_GET_SUPPORTED_CPUID, c);
        if (r >= 0) {
            return c;
        }
        free(c);
        if (r != -E2BIG) {
            return NULL;
        }
    }
    return NULL;
}

static void get_msr_list(KVMState *s)
{
    struct kvm_msr_list probe = { .nmsrs = 0 }, *list;

    if (kvm_ioctl(s, KVM_GET_MSR_INDEX_LIST, &probe) != -E2BIG ||
        !probe.nmsrs) {
        return;
    }
    list = xzalloc(sizeof(*list) + probe.nmsrs * sizeof(uint32_t));
    list->nmsrs = probe.nmsrs;
    if (kvm_ioctl(s, KVM_GET_MSR_INDEX_LIST, list) >= 0) {
        s->nr_msrs = list->nmsrs;
        s->msr_list = xmalloc(s->nr_msrs * sizeof(uint32_t));
        memcpy(s->msr_list, list->indices, s->nr_msrs * sizeof(uint32_t));
    }
    free(list);
}

bool kvm_arch_init(KVMState *s, Error **errp)
{
    uint64_t identity = KVM_IDENTITY_BASE;
    int r;

    s->supported_cpuid = get_supported_cpuid(s);
    if (!s->supported_cpuid) {
        error_setg(errp, "kvm: KVM_GET_SUPPORTED_CPUID failed");
        return false;
    }
    get_msr_list(s);
    /*
     * VMX without unrestricted guest runs real mode through vm86 and
     * needs a TSS and an identity-mapped page table in guest space: put
     * them just under the BIOS, as QEMU does.
     */
    if (kvm_check_extension(KVM_CAP_SET_IDENTITY_MAP_ADDR)) {
        r = kvm_vm_ioctl(s, KVM_SET_IDENTITY_MAP_ADDR, &identity);
        if (r < 0) {
            error_setg(errp, "kvm: KVM_SET_IDENTITY_MAP_ADDR: %s",
                       strerror(-r));
            return false;
        }
    }
    r = kvm_vm_ioctl(s, KVM_SET_TSS_ADDR,
                     (void *)(uintptr_t)(identity + 0x1000));
    if (r < 0 && r != -ENOTTY && r != -EINVAL) {
        error_setg(errp, "kvm: KVM_SET_TSS_ADDR: %s", strerror(-r));
        return false;
    }
    return true;
}

bool kvm_arch_init_vcpu(CPUState *cpu, Error **errp)
{
    KVMState *s = kvm_state;
    KVMCPUState *kc = kvm_cpu_state(cpu);
    X86CPU *xcpu = X86_CPU(cpu);
    X86CPUClass *xcc = X86_CPU_GET_CLASS(cpu);
    CPUX86State *env = &xcpu->env;
    enum { MAX_ENTRIES = 256 };
    struct kvm_cpuid2 *c;
    int n, r;

    c = xzalloc(sizeof(*c) + MAX_ENTRIES * sizeof(struct kvm_cpuid_entry2));
    n = x86_kvm_build_cpuid(env, s->supported_cpuid, xcc->host_cpuid,
                            c->entries, MAX_ENTRIES);
    c->nent = n;
    r = kvm_vcpu_ioctl(cpu, KVM_SET_CPUID2, c);
    if (r < 0) {
        error_setg(errp, "kvm: KVM_SET_CPUID2 for CPU %d: %s",
                   cpu->cpu_index, strerror(-r));
        free(c);
        return false;
    }
    if (xcc->host_cpuid) {
        update_cfg_from_cpuid(env, c->entries, n);
        /* EDX after reset is CPUID(1).EAX: the host's now. */
        env->regs[R_EDX] = env->cfg.version;
    }
    free(c);

    if (s->has_xsave) {
        int size = kvm_check_extension(KVM_CAP_XSAVE2);
        size = MAX(size, (int)sizeof(struct kvm_xsave));
        kc->xsave = xzalloc(size);
    }
    return true;
}

void kvm_arch_destroy_vcpu(CPUState *cpu)
{
}

/* ---- MSRs ------------------------------------------------------------- */

typedef struct MsrRef {
    uint32_t index;
    uint64_t *ptr;        /* or NULL: the 32-bit sysenter_cs */
} MsrRef;

static int64_t kvm_virtual_now(void)
{
    return qemu_clock_get_ns(QEMU_CLOCK_VIRTUAL);
}

/*
 * The CPU's VMState carries the TSC as tsc_offset from the virtual clock
 * (TCG's TSC is virtual ns + tsc_offset): KVM's TSC goes there, so a
 * snapshot keeps the guest's TSC (the "timer" section brings the virtual
 * clock back) under either accelerator.  No kvmclock is advertised
 * (CPUID 0x40000001 is not given), so the TSC is the guest's time base.
 */
void x86_kvm_tsc_to_env(CPUX86State *env, uint64_t tsc, int64_t now)
{
    env->tsc_offset = tsc - (uint64_t)now;
}

uint64_t x86_kvm_tsc_from_env(CPUX86State *env, int64_t now)
{
    return (uint64_t)now + env->tsc_offset;
}

static bool kvm_has_msr(uint32_t index)
{
    KVMState *s = kvm_state;

    if (!s->msr_list) {
        return true;   /* no list: try them all */
    }
    for (int i = 0; i < s->nr_msrs; i++) {
        if (s->msr_list[i] == index) {
            return true;
        }
    }
    /* MTRRs and PAT are handled by KVM but not always listed. */
    return (index >= MSR_MTRRphysBase0 && index <= MSR_MTRRphysMask7) ||
           index == MSR_MTRRdefType || index == MSR_PAT ||
           (index >= MSR_MTRRfix64K_00000 && index <= MSR_MTRRfix4K_F8000);
}

static int build_msr_refs(CPUX86State *env, MsrRef *refs)
{
    static const uint32_t fixed[11] = {
        MSR_MTRRfix64K_00000, MSR_MTRRfix16K_80000, MSR_MTRRfix16K_A0000,
        0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
    };
    int n = 0;

    refs[n++] = (MsrRef){ MSR_IA32_SYSENTER_CS, NULL };
    refs[n++] = (MsrRef){ MSR_IA32_SYSENTER_ESP, &env->sysenter_esp };
    refs[n++] = (MsrRef){ MSR_IA32_SYSENTER_EIP, &env->sysenter_eip };
    refs[n++] = (MsrRef){ MSR_PAT, &env->pat };
    refs[n++] = (MsrRef){ MSR_STAR, &env->star };
    refs[n++] = (MsrRef){ MSR_LSTAR, &env->lstar };
    refs[n++] = (MsrRef){ MSR_CSTAR, &env->cstar };
    refs[n++] = (MsrRef){ MSR_FMASK, &env->fmask };
    refs[n++] = (MsrRef){ MSR_KERNELGSBASE, &env->kernelgsbase };
    refs[n++] = (MsrRef){ MSR_TSC_AUX, &env->tsc_aux };
    refs[n++] = (MsrRef){ MSR_MTRRdefType, &env->mtrr_deftype };
    for (int i = 0; i < 11; i++) {
        refs[n++] = (MsrRef){ fixed[i], &env->mtrr_fixed[i] };
    }
    for (int i = 0; i < 16; i++) {
        refs[n++] = (MsrRef){ MSR_MTRRphysBase0 + i, &env->mtrr_var[i] };
    }
    return n;
}

#define MAX_MSRS 64

/* struct kvm_msrs ends in a flexible array: entries live after it. */
typedef struct {
    struct kvm_msr_entry e[MAX_MSRS];
} MsrBuf;

static struct kvm_msrs *msrs_alloc(int n)
{
    struct kvm_msrs *m = xzalloc(sizeof(*m) + n * sizeof(m->entries[0]));
    m->nmsrs = n;
    return m;
}

/*
 * KVM_GET/SET_MSRS stop at the first MSR the kernel refuses: report it
 * and go on with the rest.  Entries that failed are marked with index
 * 0xffffffff.  Returns 0 or -errno.
 */
static int kvm_msrs_ioctl(CPUState *cpu, unsigned long type, MsrBuf *buf,
                          int n)
{
    int done = 0;

    while (done < n) {
        struct kvm_msrs *part = msrs_alloc(n - done);
        int r;

        memcpy(part->entries, buf->e + done,
               (n - done) * sizeof(part->entries[0]));
        r = kvm_vcpu_ioctl(cpu, type, part);
        if (r < 0) {
            free(part);
            return r;
        }
        memcpy(buf->e + done, part->entries, r * sizeof(part->entries[0]));
        free(part);
        done += r;
        if (done < n) {
            fprintf(stderr, "kvm: CPU %d: MSR 0x%x refused by %s\n",
                    cpu->cpu_index, buf->e[done].index,
                    type == KVM_SET_MSRS ? "KVM_SET_MSRS" : "KVM_GET_MSRS");
            buf->e[done].index = 0xffffffff;
            done++;
        }
    }
    return 0;
}

static int kvm_put_msrs(CPUState *cpu, int level)
{
    CPUX86State *env = x86_cpu_env(cpu);
    MsrRef refs[MAX_MSRS];
    MsrBuf buf;
    int n = build_msr_refs(env, refs), m = 0;

    memset(&buf, 0, sizeof(buf));
    for (int i = 0; i < n; i++) {
        if (!kvm_has_msr(refs[i].index)) {
            continue;
        }
        buf.e[m].index = refs[i].index;
        buf.e[m].data = refs[i].ptr ? *refs[i].ptr : env->sysenter_cs;
        m++;
    }
    if (level >= KVM_PUT_RESET_STATE) {
        buf.e[m].index = MSR_IA32_TSC;
        buf.e[m].data = level == KVM_PUT_FULL_STATE ?
                        x86_kvm_tsc_from_env(env, kvm_virtual_now()) : 0;
        m++;
    }
    return kvm_msrs_ioctl(cpu, KVM_SET_MSRS, &buf, m);
}

static int kvm_get_msrs(CPUState *cpu)
{
    CPUX86State *env = x86_cpu_env(cpu);
    KVMCPUState *kc = kvm_cpu_state(cpu);
    MsrRef refs[MAX_MSRS], *used[MAX_MSRS];
    MsrBuf buf;
    int n = build_msr_refs(env, refs), m = 0, r;

    memset(&buf, 0, sizeof(buf));
    for (int i = 0; i < n; i++) {
        if (kvm_has_msr(refs[i].index)) {
            used[m] = &refs[i];
            buf.e[m++].index = refs[i].index;
        }
    }
    used[m] = NULL;
    buf.e[m++].index = MSR_IA32_TSC;
    r = kvm_msrs_ioctl(cpu, KVM_GET_MSRS, &buf, m);
    if (r < 0) {
        return r;
    }
    for (int i = 0; i < m; i++) {
        if (buf.e[i].index == 0xffffffff) {
            continue;           /* refused: env keeps its value */
        }
        if (!used[i]) {
            kc->tsc = buf.e[i].data;
            x86_kvm_tsc_to_env(env, kc->tsc, kvm_virtual_now());
        } else if (used[i]->ptr) {
            *used[i]->ptr = buf.e[i].data;
        } else {
            env->sysenter_cs = buf.e[i].data;
        }
    }
    return 0;
}

/* ---- get / put ---------------------------------------------------------- */

/*
 * A loaded LAPIC state goes in after KVM_SET_SREGS and KVM_SET_MSRS, so
 * after the APIC base: an APIC base change (x2APIC on or off) resets
 * parts of KVM's LAPIC (QEMU's kvm_apic_put does the same ordering).
 */
static int kvm_put_loaded_lapic(CPUState *cpu)
{
    DeviceState *apic = cpu_get_apic(cpu);
    struct kvm_lapic_state st;
    MsrBuf buf;
    uint64_t deadline;
    int r;

    if (!kvm_irqchip_in_kernel() || !apic ||
        !apic_kvm_take_loaded_state(apic, &st)) {
        return 0;
    }
    r = kvm_vcpu_ioctl(cpu, KVM_SET_LAPIC, &st);
    if (r < 0 || !kvm_has_msr(MSR_IA32_TSCDEADLINE)) {
        return r;
    }
    /*
     * After the LVT (QEMU's kvm_put_tscdeadline_msr): the deadline from
     * the APIC's TSC to the TSC just put, which agree but for rounding.
     */
    deadline = apic_get_tsc_deadline(apic);
    if (deadline) {
        deadline += x86_kvm_tsc_from_env(x86_cpu_env(cpu), kvm_virtual_now()) -
                    apic_get_tsc(apic);
    }
    memset(&buf, 0, sizeof(buf));
    buf.e[0].index = MSR_IA32_TSCDEADLINE;
    buf.e[0].data = deadline;
    return kvm_msrs_ioctl(cpu, KVM_SET_MSRS, &buf, 1);
}

typedef struct TscDeadlineCall {
    uint64_t deadline, tsc;
    int ret;
} TscDeadlineCall;

static void do_get_tsc_deadline(CPUState *cpu, run_on_cpu_data arg)
{
    TscDeadlineCall *c = arg.host_ptr;
    MsrBuf buf;

    memset(&buf, 0, sizeof(buf));
    buf.e[0].index = MSR_IA32_TSCDEADLINE;
    buf.e[1].index = MSR_IA32_TSC;
    c->ret = kvm_msrs_ioctl(cpu, KVM_GET_MSRS, &buf, 2);
    if (c->ret == 0 && buf.e[0].index == 0xffffffff) {
        c->ret = -ENOENT;
    }
    c->deadline = buf.e[0].data;
    c->tsc = buf.e[1].data;
}

int kvm_get_tsc_deadline(CPUState *cpu, uint64_t *deadline, uint64_t *tsc)
{
    TscDeadlineCall c = { .ret = -ENOSYS };

    if (!kvm_irqchip_in_kernel() || !cpu || !kvm_cpu_state(cpu) ||
        !kvm_has_msr(MSR_IA32_TSCDEADLINE)) {
        return -ENOSYS;
    }
    run_on_cpu(cpu, do_get_tsc_deadline, RUN_ON_CPU_HOST_PTR(&c));
    *deadline = c.deadline;
    *tsc = c.tsc;
    return c.ret;
}

static int kvm_put_fpu_state(CPUState *cpu)
{
    KVMState *s = kvm_state;
    KVMCPUState *kc = kvm_cpu_state(cpu);
    CPUX86State *env = x86_cpu_env(cpu);
    int r;

    if (kc->xsave) {
        uint8_t *img = (uint8_t *)kc->xsave->region;
        uint64_t bv;

        /* Keep the extended components the last get saw; x87/SSE are ours. */
        x86_kvm_env_to_fxsave(env, img);
        memcpy(&bv, img + 512, 8);
        bv |= 3;
        memcpy(img + 512, &bv, 8);
        r = kvm_vcpu_ioctl(cpu, KVM_SET_XSAVE, kc->xsave);
    } else {
        struct kvm_fpu fpu;
        x86_kvm_env_to_fpu(env, &fpu);
        r = kvm_vcpu_ioctl(cpu, KVM_SET_FPU, &fpu);
    }
    if (r < 0) {
        return r;
    }
    if (s->has_xcrs) {
        struct kvm_xcrs x = { .nr_xcrs = 1 };
        x.xcrs[0].xcr = 0;
        x.xcrs[0].value = env->xcr0 | 1;
        r = kvm_vcpu_ioctl(cpu, KVM_SET_XCRS, &x);
    }
    return r < 0 ? r : 0;
}

static int kvm_get_fpu_state(CPUState *cpu)
{
    KVMState *s = kvm_state;
    KVMCPUState *kc = kvm_cpu_state(cpu);
    CPUX86State *env = x86_cpu_env(cpu);
    int r;

    if (kc->xsave) {
        r = kvm_vcpu_ioctl(cpu, kvm_check_extension(KVM_CAP_XSAVE2) >
                           (int)sizeof(struct kvm_xsave) ?
                           KVM_GET_XSAVE2 : KVM_GET_XSAVE, kc->xsave);
        if (r >= 0) {
            x86_kvm_fxsave_to_env(env, (uint8_t *)kc->xsave->region);
        }
    } else {
        struct kvm_fpu fpu;
        r = kvm_vcpu_ioctl(cpu, KVM_GET_FPU, &fpu);
        if (r >= 0) {
            x86_kvm_fpu_to_env(env, &fpu);
        }
    }
    if (r < 0) {
        return r;
    }
    if (s->has_xcrs) {
        struct kvm_xcrs x;
        memset(&x, 0, sizeof(x));
        r = kvm_vcpu_ioctl(cpu, KVM_GET_XCRS, &x);
        if (r < 0) {
            return r;
        }
        for (uint32_t i = 0; i < x.nr_xcrs; i++) {
            if (x.xcrs[i].xcr == 0) {
                env->xcr0 = x.xcrs[i].value;
            }
        }
    }
    return 0;
}

static int kvm_put_events(CPUState *cpu, int level)
{
    KVMCPUState *kc = kvm_cpu_state(cpu);
    CPUX86State *env = x86_cpu_env(cpu);
    struct kvm_vcpu_events ev;

    if (!kvm_state->has_vcpu_events) {
        return 0;
    }
    if (kc->events_valid && level < KVM_PUT_RESET_STATE) {
        ev = kc->events;      /* an injection in flight survives a put */
    } else {
        memset(&ev, 0, sizeof(ev));
    }
    ev.interrupt.shadow = (env->hflags & HF_INHIBIT_IRQ_MASK) ?
                          KVM_X86_SHADOW_INT_MOV_SS : 0;
    ev.nmi.masked = (env->hflags2 & HF2_NMI_MASK) != 0;
    ev.flags = KVM_VCPUEVENT_VALID_SHADOW;
    if (level >= KVM_PUT_RESET_STATE) {
        ev.flags |= KVM_VCPUEVENT_VALID_NMI_PENDING;
    }
    ev.sipi_vector = env->sipi_vector;
    ev.flags |= KVM_VCPUEVENT_VALID_SIPI_VECTOR;
    return kvm_vcpu_ioctl(cpu, KVM_SET_VCPU_EVENTS, &ev);
}

static int kvm_get_events(CPUState *cpu)
{
    KVMCPUState *kc = kvm_cpu_state(cpu);
    CPUX86State *env = x86_cpu_env(cpu);
    int r;

    if (!kvm_state->has_vcpu_events) {
        return 0;
    }
    r = kvm_vcpu_ioctl(cpu, KVM_GET_VCPU_EVENTS, &kc->events);
    if (r < 0) {
        return r;
    }
    kc->events_valid = true;
    env->hflags = (env->hflags & ~HF_INHIBIT_IRQ_MASK) |
                  (kc->events.interrupt.shadow ? HF_INHIBIT_IRQ_MASK : 0);
    env->hflags2 = (env->hflags2 & ~HF2_NMI_MASK) |
                   (kc->events.nmi.masked ? HF2_NMI_MASK : 0);
    return 0;
}

static int kvm_put_debugregs(CPUState *cpu)
{
    CPUX86State *env = x86_cpu_env(cpu);
    struct kvm_debugregs d;

    if (!kvm_state->has_debugregs) {
        return 0;
    }
    memset(&d, 0, sizeof(d));
    for (int i = 0; i < 4; i++) {
        d.db[i] = env->dr[i];
    }
    d.dr6 = env->dr[6];
    d.dr7 = env->dr[7];
    return kvm_vcpu_ioctl(cpu, KVM_SET_DEBUGREGS, &d);
}

static int kvm_get_debugregs(CPUState *cpu)
{
    CPUX86State *env = x86_cpu_env(cpu);
    struct kvm_debugregs d;
    int r;

    if (!kvm_state->has_debugregs) {
        return 0;
    }
    r = kvm_vcpu_ioctl(cpu, KVM_GET_DEBUGREGS, &d);
    if (r < 0) {
        return r;
    }
    for (int i = 0; i < 4; i++) {
        env->dr[i] = d.db[i];
    }
    env->dr[6] = d.dr6;
    env->dr[7] = d.dr7;
    return 0;
}

void x86_kvm_mp_state_to_env(CPUX86State *env, uint32_t mp_state)
{
    bool wait_sipi = mp_state == KVM_MP_STATE_UNINITIALIZED ||
                     mp_state == KVM_MP_STATE_INIT_RECEIVED;

    env->halted = mp_state == KVM_MP_STATE_HALTED;
    if (wait_sipi) {
        env->hflags2 |= HF2_WAIT_SIPI;
    } else {
        env->hflags2 &= ~HF2_WAIT_SIPI;
    }
}

uint32_t x86_kvm_mp_state_from_env(CPUX86State *env)
{
    if (env->hflags2 & HF2_WAIT_SIPI) {
        return KVM_MP_STATE_UNINITIALIZED;
    }
    return env->halted ? KVM_MP_STATE_HALTED : KVM_MP_STATE_RUNNABLE;
}

/* With Osprey's APIC the vCPU thread itself halts and holds APs back. */
static int kvm_get_mp_state(CPUState *cpu)
{
    struct kvm_mp_state mp;
    int r;

    if (!kvm_irqchip_in_kernel()) {
        return 0;
    }
    r = kvm_vcpu_ioctl(cpu, KVM_GET_MP_STATE, &mp);
    if (r < 0) {
        return r;
    }
    x86_kvm_mp_state_to_env(x86_cpu_env(cpu), mp.mp_state);
    return 0;
}

static int kvm_put_mp_state(CPUState *cpu)
{
    struct kvm_mp_state mp;

    if (!kvm_irqchip_in_kernel()) {
        return 0;
    }
    mp.mp_state = x86_kvm_mp_state_from_env(x86_cpu_env(cpu));
    return kvm_vcpu_ioctl(cpu, KVM_SET_MP_STATE, &mp);
}

/*
 * The in-kernel irqchip keeps its state across a vCPU reset: put each
 * LAPIC (and, once per machine, the PIC and IOAPIC) back in their
 * power-on state, as Osprey's own models do in their reset phases.
 */
static int kvm_reset_lapic(CPUState *cpu)
{
    CPUX86State *env = x86_cpu_env(cpu);
    struct kvm_lapic_state st;
    uint32_t v;
    int r = kvm_vcpu_ioctl(cpu, KVM_GET_LAPIC, &st);

    if (r < 0) {
        return r;
    }
#define APIC_REG(off, val) (v = (val), memcpy(st.regs + (off), &v, 4))
    memcpy(&v, st.regs + 0x30, 4);            /* keep the version */
    memset(st.regs, 0, sizeof(st.regs));
    APIC_REG(0x30, v);
    APIC_REG(0x20, env->cfg.apic_id << 24);   /* ID */
    APIC_REG(0xe0, 0xffffffff);               /* DFR: flat */
    APIC_REG(0xf0, 0xff);                     /* SVR: software-disabled */
    for (int off = 0x320; off <= 0x370; off += 0x10) {
        APIC_REG(off, 0x10000);               /* LVTs masked */
    }
    if (env->apic_base & (1 << 8)) {
        /* the BSP takes PIC interrupts through LINT0 (ExtINT) */
        APIC_REG(0x350, 0x700);
    }
#undef APIC_REG
    return kvm_vcpu_ioctl(cpu, KVM_SET_LAPIC, &st);
}

static int kvm_reset_pic_ioapic(void)
{
    for (uint32_t id = KVM_IRQCHIP_PIC_MASTER; id <= KVM_IRQCHIP_IOAPIC;
         id++) {
        struct kvm_irqchip chip = { .chip_id = id };
        int r = kvm_vm_ioctl(kvm_state, KVM_GET_IRQCHIP, &chip);

        if (r < 0) {
            return r;
        }
        if (id == KVM_IRQCHIP_IOAPIC) {
            struct kvm_ioapic_state *io = &chip.chip.ioapic;
            io->id = 0;
            io->ioregsel = 0;
            io->irr = 0;
            for (int i = 0; i < KVM_IOAPIC_NUM_PINS; i++) {
                io->redirtbl[i].bits = 1ULL << 16;   /* masked */
            }
        } else {
            struct kvm_pic_state *p = &chip.chip.pic;
            uint8_t elcr_mask = p->elcr_mask;
            memset(p, 0, sizeof(*p));
            p->elcr_mask = elcr_mask;
        }
        r = kvm_vm_ioctl(kvm_state, KVM_SET_IRQCHIP, &chip);
        if (r < 0) {
            return r;
        }
    }
    return 0;
}

int kvm_arch_put_registers(CPUState *cpu, int level)
{
    CPUX86State *env = x86_cpu_env(cpu);
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    int r;

    if (level >= KVM_PUT_RESET_STATE) {
        r = kvm_put_mp_state(cpu);
        if (r < 0) {
            return r;
        }
        /*
         * Only a reset resets the irqchip.  A full put (vCPU creation,
         * after loadvm or an incoming migration) leaves it alone: KVM's
         * is fresh at creation, and after a load it holds the state the
         * models' post_load pushed (the LAPIC follows below).
         */
        if (kvm_irqchip_in_kernel()) {
            /* the in-kernel LAPIC handles HLT and INIT/SIPI */
            cpu->halted = 0;
            if (level == KVM_PUT_RESET_STATE &&
                ((cpu->cpu_index == 0 && (r = kvm_reset_pic_ioapic()) < 0) ||
                 (r = kvm_reset_lapic(cpu)) < 0)) {
                return r;
            }
        }
    }
    x86_kvm_env_to_regs(env, &regs);
    r = kvm_vcpu_ioctl(cpu, KVM_SET_REGS, &regs);
    if (r < 0) {
        return r;
    }
    x86_kvm_env_to_sregs(env, &sregs);
    r = kvm_vcpu_ioctl(cpu, KVM_SET_SREGS, &sregs);
    if (r < 0) {
        return r;
    }
    if ((r = kvm_put_fpu_state(cpu)) < 0 ||
        (r = kvm_put_msrs(cpu, level)) < 0 ||
        (r = kvm_put_events(cpu, level)) < 0 ||
        (r = kvm_put_debugregs(cpu)) < 0) {
        return r;
    }
    if (level == KVM_PUT_FULL_STATE && (r = kvm_put_loaded_lapic(cpu)) < 0) {
        return r;
    }
    return 0;
}

int kvm_arch_get_registers(CPUState *cpu)
{
    CPUX86State *env = x86_cpu_env(cpu);
    struct kvm_regs regs;
    struct kvm_sregs sregs;
    int r;

    r = kvm_vcpu_ioctl(cpu, KVM_GET_REGS, &regs);
    if (r < 0) {
        return r;
    }
    x86_kvm_regs_to_env(env, &regs);
    r = kvm_vcpu_ioctl(cpu, KVM_GET_SREGS, &sregs);
    if (r < 0) {
        return r;
    }
    x86_kvm_sregs_to_env(env, &sregs);
    if ((r = kvm_get_fpu_state(cpu)) < 0 ||
        (r = kvm_get_msrs(cpu)) < 0 ||
        (r = kvm_get_events(cpu)) < 0 ||
        (r = kvm_get_debugregs(cpu)) < 0 ||
        (r = kvm_get_mp_state(cpu)) < 0) {
        return r;
    }
    return 0;
}

/* ---- interrupts with Osprey's controllers ------------------------------ */

static uint32_t irq_req(CPUState *cpu)
{
    return __atomic_load_n(&cpu->interrupt_request, __ATOMIC_ACQUIRE);
}

void kvm_arch_pre_run(CPUState *cpu, struct kvm_run *run)
{
    X86CPU *xcpu = X86_CPU(cpu);
    CPUX86State *env = &xcpu->env;

    if (kvm_irqchip_in_kernel()) {
        return;
    }
    if (irq_req(cpu) & CPU_INTERRUPT_NMI) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_NMI);
        if (kvm_vcpu_ioctl(cpu, KVM_NMI, NULL) < 0) {
            fprintf(stderr, "kvm: CPU %d: KVM_NMI failed\n", cpu->cpu_index);
        }
    }
    /*
     * The PIC/APIC INTA cycle happens only when the guest can take the
     * vector now; otherwise ask KVM to exit when it can.
     */
    if ((irq_req(cpu) & CPU_INTERRUPT_HARD) &&
        run->ready_for_interrupt_injection && (env->eflags & IF_MASK)) {
        int vector = -1;

        cpu_reset_interrupt(cpu, CPU_INTERRUPT_HARD);
        if (xcpu->get_interrupt_vector) {
            vector = xcpu->get_interrupt_vector(xcpu);
        }
        if (vector >= 0) {
            struct kvm_interrupt intr = { .irq = vector };
            if (kvm_vcpu_ioctl(cpu, KVM_INTERRUPT, &intr) < 0) {
                fprintf(stderr, "kvm: CPU %d: KVM_INTERRUPT 0x%x failed\n",
                        cpu->cpu_index, vector);
            }
        }
    }
    run->request_interrupt_window =
        (irq_req(cpu) & CPU_INTERRUPT_HARD) ? 1 : 0;
}

void kvm_arch_post_run(CPUState *cpu, struct kvm_run *run)
{
    CPUX86State *env = x86_cpu_env(cpu);
    KVMCPUState *kc = kvm_cpu_state(cpu);

    if (kc->vcpu_dirty) {
        return;
    }
    /* The kernel's IF, which decides whether a halted CPU has work. */
    if (run->if_flag) {
        env->eflags |= IF_MASK;
    } else {
        env->eflags &= ~(uint64_t)IF_MASK;
    }
    /*
     * The guest wrote IA32_APIC_BASE (KVM handles the MSR): tell
     * Osprey's APIC, which decodes its page from it.  Rare, so the BQL is
     * taken only then.
     */
    if (!kvm_irqchip_in_kernel() && run->apic_base != env->apic_base) {
        X86CPU *xcpu = X86_CPU(cpu);

        env->apic_base = run->apic_base;
        if (xcpu->apic_base_changed) {
            bql_lock();
            xcpu->apic_base_changed(xcpu, run->apic_base);
            bql_unlock();
        }
    }
}

bool kvm_arch_process_async_events(CPUState *cpu)
{
    X86CPU *xcpu = X86_CPU(cpu);
    CPUX86State *env = &xcpu->env;
    uint32_t req = irq_req(cpu);

    if (kvm_irqchip_in_kernel()) {
        cpu->halted = 0;
        return false;
    }
    if (req & CPU_INTERRUPT_INIT) {
        kvm_cpu_synchronize_state(cpu);
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_INIT);
        x86_cpu_do_init(xcpu);
        kvm_cpu_state(cpu)->events_valid = false;
    }
    if ((irq_req(cpu) & CPU_INTERRUPT_SIPI)) {
        cpu_reset_interrupt(cpu, CPU_INTERRUPT_SIPI);
        if (env->hflags2 & HF2_WAIT_SIPI) {
            uint32_t sel;

            kvm_cpu_synchronize_state(cpu);
            if (xcpu->get_sipi_vector) {
                env->sipi_vector = xcpu->get_sipi_vector(xcpu) & 0xff;
            }
            sel = env->sipi_vector << 8;
            env->hflags2 &= ~HF2_WAIT_SIPI;
            env->segs[R_CS].selector = sel;
            env->segs[R_CS].base = (uint64_t)sel << 4;
            env->rip = 0;
            env->halted = 0;
            cpu->halted = 0;
            x86_update_hflags(env);
        }
    }
    if (env->hflags2 & HF2_WAIT_SIPI) {
        cpu->halted = 1;
        return true;
    }
    req = irq_req(cpu);
    if (cpu->halted) {
        if (((req & CPU_INTERRUPT_HARD) && (env->eflags & IF_MASK)) ||
            (req & CPU_INTERRUPT_NMI)) {
            cpu->halted = 0;
            env->halted = 0;
        } else {
            return true;
        }
    }
    return false;
}

int kvm_arch_handle_exit(CPUState *cpu, struct kvm_run *run)
{
    CPUX86State *env = x86_cpu_env(cpu);
    uint32_t req = irq_req(cpu);

    switch (run->exit_reason) {
    case KVM_EXIT_HLT:
        if (((req & CPU_INTERRUPT_HARD) && (env->eflags & IF_MASK)) ||
            (req & CPU_INTERRUPT_NMI)) {
            return 0;
        }
        cpu->halted = 1;
        env->halted = 1;
        return EXCP_HLT;
    case KVM_EXIT_DEBUG:
        /* No debugger attached yet: stop as a breakpoint would. */
        qemu_system_debug_request();
        return EXCP_INTERRUPT;
    case KVM_EXIT_TPR_ACCESS:
    case KVM_EXIT_SET_TPR:
        return 0;
    default:
        return EXCP_KVM_ERROR;
    }
}

bool kvm_arch_stop_on_emulation_error(CPUState *cpu)
{
    return true;
}
