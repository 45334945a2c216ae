/*
 * KVM accelerator pieces that need no /dev/kvm: CPUX86State <-> KVM
 * structure conversions (they must round-trip, and agree with the
 * software CPU's FXSAVE image), the CPUID table a vCPU gets, -accel kvm
 * option parsing, and the errors kvm_accel_init gives when the device is
 * missing or is not KVM.
 */
#include "test.h"
#include "target/x86/cpu.h"
#include "target/x86/fpu-state.h"
#include "target/x86/kvm.h"
#include "system/kvm.h"

static void env_init(CPUX86State *env)
{
    memset(env, 0, sizeof(*env));
    x86_cpu_config_osprey64(&env->cfg);
    x86_cpu_reset(env);
}

static void test_regs_roundtrip(void **state)
{
    CPUX86State a, b;
    struct kvm_regs r;

    env_init(&a);
    env_init(&b);
    for (int i = 0; i < CPU_NB_REGS; i++) {
        a.regs[i] = 0x1111111111111111ULL * (i + 1) + i;
    }
    a.rip = 0xffffffff81000123ULL;
    cpu_load_eflags(&a, IF_MASK | DF_MASK | CC_C | CC_Z | CC_O, ~0ULL);
    x86_kvm_env_to_regs(&a, &r);
    assert_int_equal(r.rax, a.regs[R_EAX]);
    assert_int_equal(r.rsp, a.regs[R_ESP]);
    assert_int_equal(r.r15, a.regs[R_R15]);
    assert_int_equal(r.rflags, IF_MASK | DF_MASK | CC_C | CC_Z | CC_O |
                     EFLAGS_FIXED);
    x86_kvm_regs_to_env(&b, &r);
    assert_memory_equal(a.regs, b.regs, sizeof(a.regs));
    assert_int_equal(b.rip, a.rip);
    assert_int_equal(cpu_compute_eflags(&b), cpu_compute_eflags(&a));
}

static void check_sregs_roundtrip(CPUX86State *a)
{
    CPUX86State b;
    struct kvm_sregs s;

    env_init(&b);
    x86_kvm_env_to_sregs(a, &s);
    x86_kvm_sregs_to_env(&b, &s);
    for (int i = 0; i < R_SEG_COUNT; i++) {
        assert_int_equal(b.segs[i].selector, a->segs[i].selector);
        assert_int_equal(b.segs[i].base, a->segs[i].base);
        assert_int_equal(b.segs[i].limit, a->segs[i].limit);
        assert_int_equal(b.segs[i].flags, a->segs[i].flags);
    }
    assert_int_equal(b.tr.flags, a->tr.flags);
    assert_int_equal(b.ldt.flags, a->ldt.flags);
    assert_int_equal(b.gdt.base, a->gdt.base);
    assert_int_equal(b.idt.limit, a->idt.limit);
    assert_int_equal(b.cr[0], a->cr[0]);
    assert_int_equal(b.cr[3], a->cr[3]);
    assert_int_equal(b.cr[4], a->cr[4]);
    assert_int_equal(b.efer, a->efer);
    assert_int_equal(b.apic_base, a->apic_base);
    assert_int_equal(b.hflags, a->hflags);
}

static void test_sregs_reset_state(void **state)
{
    CPUX86State a;
    struct kvm_sregs s;

    env_init(&a);
    x86_kvm_env_to_sregs(&a, &s);
    /* The SDM's reset state, as KVM wants it. */
    assert_int_equal(s.cs.selector, 0xf000);
    assert_int_equal(s.cs.base, 0xffff0000);
    assert_int_equal(s.cs.limit, 0xffff);
    assert_int_equal(s.cs.type, 0xb);
    assert_true(s.cs.present && s.cs.s && !s.cs.unusable);
    assert_int_equal(s.cr0, 0x60000010);
    assert_int_equal(s.apic_base, 0xfee00900);
    check_sregs_roundtrip(&a);
}

static void test_sregs_modes(void **state)
{
    CPUX86State a;

    env_init(&a);
    x86_cpu_set_protected_mode_flat(&a);
    a.gdt.base = 0x1000;
    a.gdt.limit = 0x27;
    check_sregs_roundtrip(&a);

    env_init(&a);
    x86_cpu_set_long_mode_flat(&a, 3);
    a.cr[3] = 0x123000;
    check_sregs_roundtrip(&a);
    assert_int_equal(a.hflags & HF_CPL_MASK, 3);
}

static void fill_fpu(CPUX86State *a)
{
    for (int i = 0; i < 8; i++) {
        a->fpregs[i].mant = 0x8000000000000000ULL | (i * 0x1111);
        a->fpregs[i].sign_exp = 0x3fff + i;
    }
    for (int i = 0; i < 16; i++) {
        for (int j = 0; j < 16; j++) {
            a->xmm[i].b[j] = i * 16 + j;
        }
    }
    a->fpstt = 5;
    a->fptags = 0x1f;    /* physical registers 5, 6, 7 in use */
    a->fpuc = 0x27f;
    a->fpus = 0x0021;
    a->fpop = 0x1d9;
    a->fpip = 0x400123;
    a->fpdp = 0x600040;
    a->mxcsr = 0x1fa0;
}

static void test_fpu_roundtrip(void **state)
{
    CPUX86State a, b;
    struct kvm_fpu f;

    env_init(&a);
    fill_fpu(&a);
    x86_kvm_env_to_fpu(&a, &f);
    /* FXSAVE order: fpr[0] is ST(0), the physical register TOP. */
    assert_memory_equal(f.fpr[0], &a.fpregs[5].mant, 8);
    assert_memory_equal(f.fpr[3], &a.fpregs[0].mant, 8);
    assert_int_equal(f.fsw, 0x0021 | (5 << 11));
    assert_int_equal(f.ftwx, 0xe0);
    env_init(&b);
    x86_kvm_fpu_to_env(&b, &f);
    assert_memory_equal(a.fpregs, b.fpregs, sizeof(a.fpregs));
    assert_memory_equal(a.xmm, b.xmm, sizeof(a.xmm));
    assert_int_equal(b.fpstt, 5);
    assert_int_equal(b.fptags, a.fptags);
    assert_int_equal(b.mxcsr, a.mxcsr);
    assert_int_equal(b.fpuc, a.fpuc);
    assert_int_equal(b.fpus, a.fpus);
}

static void test_fxsave_matches_software_cpu(void **state)
{
    CPUX86State a, b;
    uint8_t kvm_img[512], tcg_img[512];

    env_init(&a);
    x86_cpu_set_long_mode_flat(&a, 0);   /* FXSAVE64: all 16 XMM */
    fill_fpu(&a);
    x86_kvm_env_to_fxsave(&a, kvm_img);
    x86_fxsave_image(&a, tcg_img, true);
    /* XSAVE's legacy area is the FXSAVE64 image; bytes 416+ are free. */
    assert_memory_equal(kvm_img, tcg_img, 416);
    env_init(&b);
    x86_kvm_fxsave_to_env(&b, kvm_img);
    assert_memory_equal(a.fpregs, b.fpregs, sizeof(a.fpregs));
    assert_memory_equal(a.xmm, b.xmm, sizeof(a.xmm));
    assert_int_equal(b.fpstt, a.fpstt);
}

/* A host that lacks SSE2, POPCNT and long mode. */
static struct kvm_cpuid2 *fake_supported(void)
{
    struct kvm_cpuid2 *c = calloc(1, sizeof(*c) +
                                  4 * sizeof(struct kvm_cpuid_entry2));
    c->nent = 4;
    c->entries[0] = (struct kvm_cpuid_entry2){ .function = 0, .eax = 0xd,
        .ebx = 0x756e6547, .edx = 0x49656e69, .ecx = 0x6c65746e };
    c->entries[1] = (struct kvm_cpuid_entry2){ .function = 1, .eax = 0x906ea,
        .ebx = 0x00010800, .ecx = ~(uint32_t)CPUID_EXT_POPCNT,
        .edx = ~(uint32_t)CPUID_SSE2 };
    c->entries[2] = (struct kvm_cpuid_entry2){ .function = 0xb, .index = 0,
        .flags = KVM_CPUID_FLAG_SIGNIFCANT_INDEX, .eax = 1, .ebx = 1 };
    c->entries[3] = (struct kvm_cpuid_entry2){ .function = 0x80000001,
        .ecx = ~0u, .edx = ~(uint32_t)CPUID_EXT2_LM };
    return c;
}

static const struct kvm_cpuid_entry2 *find(const struct kvm_cpuid_entry2 *e,
                                           int n, uint32_t fn)
{
    for (int i = 0; i < n; i++) {
        if (e[i].function == fn) {
            return &e[i];
        }
    }
    return NULL;
}

static void test_cpuid_model_filtered(void **state)
{
    CPUX86State env;
    struct kvm_cpuid2 *sup = fake_supported();
    struct kvm_cpuid_entry2 out[64];
    const struct kvm_cpuid_entry2 *e;
    int n;

    env_init(&env);
    env.cfg.apic_id = 3;
    n = x86_kvm_build_cpuid(&env, sup, false, out, 64);
    /* leaves 0..7, the hypervisor leaf, 0x80000000..0x80000008 */
    assert_int_equal(n, 8 + 1 + 9);
    e = find(out, n, 0);
    assert_int_equal(e->eax, env.cfg.level);
    assert_int_equal(e->ebx, 0x756e6547);   /* "Genu" */
    e = find(out, n, 1);
    assert_int_equal(e->eax, env.cfg.version);
    assert_int_equal(e->ebx >> 24, 3);
    assert_true(e->edx & CPUID_SSE);
    assert_false(e->edx & CPUID_SSE2);      /* the host lacks it */
    assert_false(e->ecx & CPUID_EXT_POPCNT);
    assert_true(e->ecx & CPUID_EXT_SSE42);
    assert_true(e->ecx & CPUID_EXT_HYPERVISOR);
    e = find(out, n, 7);
    assert_int_equal(e->flags, KVM_CPUID_FLAG_SIGNIFCANT_INDEX);
    e = find(out, n, 0x80000001);
    assert_false(e->edx & CPUID_EXT2_LM);
    assert_true(e->edx & CPUID_EXT2_NX);
    /* Bounded by max. */
    assert_int_equal(x86_kvm_build_cpuid(&env, sup, false, out, 5), 5);
    free(sup);
}

static void test_cpuid_host(void **state)
{
    CPUX86State env;
    struct kvm_cpuid2 *sup = fake_supported();
    struct kvm_cpuid_entry2 out[8];
    int n;

    env_init(&env);
    env.cfg.apic_id = 2;
    n = x86_kvm_build_cpuid(&env, sup, true, out, 8);
    assert_int_equal(n, 4);
    assert_int_equal(find(out, n, 1)->eax, 0x906ea);
    assert_int_equal(find(out, n, 1)->ebx, 0x02010800);
    assert_true(find(out, n, 1)->ecx & CPUID_EXT_HYPERVISOR);
    assert_int_equal(find(out, n, 0xb)->edx, 2);
    free(sup);
}

static void test_accel_options(void **state)
{
    KVMAccelOptions o;
    Error *err = NULL;

    assert_true(kvm_parse_accel_options(NULL, &o, &err));
    assert_int_equal(o.kernel_irqchip, KVM_IRQCHIP_AUTO);
    assert_string_equal(o.device, "/dev/kvm");
    assert_true(kvm_parse_accel_options("kernel-irqchip=off", &o, &err));
    assert_int_equal(o.kernel_irqchip, KVM_IRQCHIP_OFF);
    assert_true(kvm_parse_accel_options("kernel-irqchip=on,device=/x/y",
                                        &o, &err));
    assert_int_equal(o.kernel_irqchip, KVM_IRQCHIP_ON);
    assert_string_equal(o.device, "/x/y");
    assert_false(kvm_parse_accel_options("kernel-irqchip=maybe", &o, &err));
    assert_non_null(strstr(error_get_pretty(err), "kernel-irqchip=maybe"));
    error_free(err);
    err = NULL;
    assert_false(kvm_parse_accel_options("speed=fast", &o, &err));
    assert_non_null(strstr(error_get_pretty(err), "'speed'"));
    error_free(err);
}

static void test_init_errors(void **state)
{
    Error *err = NULL;

    assert_false(kvm_accel_init("device=/nonexistent/kvm", &err));
    assert_string_equal(error_get_pretty(err),
                        "Could not access KVM kernel module: "
                        "No such file or directory");
    error_free(err);
    err = NULL;
    /* A device that is not KVM: the API version check says so. */
    assert_false(kvm_accel_init("device=/dev/null", &err));
    assert_non_null(strstr(error_get_pretty(err),
                           "/dev/null: not a KVM device"));
    error_free(err);
    assert_false(kvm_enabled());
    assert_false(kvm_irqchip_in_kernel());
    assert_int_equal(kvm_set_irq(0, 1), -ENOSYS);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_regs_roundtrip),
        cmocka_unit_test(test_sregs_reset_state),
        cmocka_unit_test(test_sregs_modes),
        cmocka_unit_test(test_fpu_roundtrip),
        cmocka_unit_test(test_fxsave_matches_software_cpu),
        cmocka_unit_test(test_cpuid_model_filtered),
        cmocka_unit_test(test_cpuid_host),
        cmocka_unit_test(test_accel_options),
        cmocka_unit_test(test_init_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
