/*
 * CPUID: the osprey64 model, feature flag names (QEMU's spelling) and the
 * -cpu "+feature,-feature" syntax.
 *
 * osprey64 advertises exactly what Osprey implements: the integer core,
 * x87/MMX/SSE..SSE4.2 (target/x86 FPU slice), PAE/NX/long mode paging
 * (softmmu slice), SYSENTER/SYSCALL, the TSC (1 GHz, from
 * QEMU_CLOCK_VIRTUAL) and a local APIC.  No XSAVE, no MONITOR/MWAIT, no
 * x2APIC by default, and the hypervisor bit set.
 */
#include "util/osdep.h"
#include "util/error.h"
#include "target/x86/cpu-qom.h"

typedef struct FeatureName {
    FeatureWord word;
    uint32_t bit;
    const char *name;
} FeatureName;

static const FeatureName feature_names[] = {
    { FEAT_1_EDX, CPUID_FP87, "fpu" },
    { FEAT_1_EDX, CPUID_VME, "vme" },
    { FEAT_1_EDX, CPUID_DE, "de" },
    { FEAT_1_EDX, CPUID_PSE, "pse" },
    { FEAT_1_EDX, CPUID_TSC, "tsc" },
    { FEAT_1_EDX, CPUID_MSR, "msr" },
    { FEAT_1_EDX, CPUID_PAE, "pae" },
    { FEAT_1_EDX, CPUID_MCE, "mce" },
    { FEAT_1_EDX, CPUID_CX8, "cx8" },
    { FEAT_1_EDX, CPUID_APIC, "apic" },
    { FEAT_1_EDX, CPUID_SEP, "sep" },
    { FEAT_1_EDX, CPUID_MTRR, "mtrr" },
    { FEAT_1_EDX, CPUID_PGE, "pge" },
    { FEAT_1_EDX, CPUID_MCA, "mca" },
    { FEAT_1_EDX, CPUID_CMOV, "cmov" },
    { FEAT_1_EDX, CPUID_PAT, "pat" },
    { FEAT_1_EDX, CPUID_PSE36, "pse36" },
    { FEAT_1_EDX, CPUID_CLFLUSH, "clflush" },
    { FEAT_1_EDX, CPUID_MMX, "mmx" },
    { FEAT_1_EDX, CPUID_FXSR, "fxsr" },
    { FEAT_1_EDX, CPUID_SSE, "sse" },
    { FEAT_1_EDX, CPUID_SSE2, "sse2" },
    { FEAT_1_ECX, CPUID_EXT_SSE3, "pni" },
    { FEAT_1_ECX, CPUID_EXT_SSSE3, "ssse3" },
    { FEAT_1_ECX, CPUID_EXT_CX16, "cx16" },
    { FEAT_1_ECX, CPUID_EXT_SSE41, "sse4_1" },
    { FEAT_1_ECX, CPUID_EXT_SSE42, "sse4_2" },
    { FEAT_1_ECX, CPUID_EXT_X2APIC, "x2apic" },
    { FEAT_1_ECX, CPUID_EXT_POPCNT, "popcnt" },
    { FEAT_1_ECX, CPUID_EXT_HYPERVISOR, "hypervisor" },
    { FEAT_7_0_EDX, CPUID_7_0_EDX_ARCH_CAPABILITIES, "arch_capabilities" },
    { FEAT_8000_0001_EDX, CPUID_EXT2_SYSCALL, "syscall" },
    { FEAT_8000_0001_EDX, CPUID_EXT2_NX, "nx" },
    { FEAT_8000_0001_EDX, CPUID_EXT2_RDTSCP, "rdtscp" },
    { FEAT_8000_0001_EDX, CPUID_EXT2_LM, "lm" },
    { FEAT_8000_0001_ECX, CPUID_EXT3_LAHF_LM, "lahf_lm" },
};

void x86_cpu_config_osprey64(X86CPUConfig *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->features[FEAT_1_EDX] = CPUID_FP87 | CPUID_DE | CPUID_PSE | CPUID_TSC |
        CPUID_MSR | CPUID_PAE | CPUID_MCE | CPUID_CX8 | CPUID_APIC | CPUID_SEP |
        CPUID_MTRR | CPUID_PGE | CPUID_MCA | CPUID_CMOV | CPUID_PAT |
        CPUID_PSE36 | CPUID_CLFLUSH | CPUID_MMX | CPUID_FXSR | CPUID_SSE |
        CPUID_SSE2;
    cfg->features[FEAT_1_ECX] = CPUID_EXT_SSE3 | CPUID_EXT_SSSE3 |
        CPUID_EXT_CX16 | CPUID_EXT_SSE41 | CPUID_EXT_SSE42 | CPUID_EXT_POPCNT |
        CPUID_EXT_HYPERVISOR;
    cfg->features[FEAT_8000_0001_EDX] = CPUID_EXT2_SYSCALL | CPUID_EXT2_NX |
        CPUID_EXT2_RDTSCP | CPUID_EXT2_LM;
    cfg->features[FEAT_8000_0001_ECX] = CPUID_EXT3_LAHF_LM;
    /* Say "not affected" by speculation bugs, so guests skip PTI, VERW... */
    cfg->features[FEAT_7_0_EDX] = CPUID_7_0_EDX_ARCH_CAPABILITIES;
    cfg->level = 7;
    cfg->xlevel = 0x80000008;
    cfg->version = 0x000006f1;   /* family 6, model 15, stepping 1 */
    strcpy(cfg->vendor, "GenuineIntel");
    strcpy(cfg->model_id, "Osprey Virtual CPU");
}

/* Four ASCII bytes of s at offset, little-endian, as CPUID returns them. */
static uint32_t str_reg(const char *s, int len, int offset)
{
    uint32_t v = 0;

    for (int i = 0; i < 4; i++) {
        if (offset + i < len) {
            v |= (uint32_t)(uint8_t)s[offset + i] << (8 * i);
        }
    }
    return v;
}

void x86_cpuid(CPUX86State *env, uint32_t leaf, uint32_t subleaf,
               uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx)
{
    const X86CPUConfig *cfg = &env->cfg;
    int vlen = strlen(cfg->vendor);

    *eax = *ebx = *ecx = *edx = 0;
    if (leaf < 0x40000000 && leaf > cfg->level) {
        leaf = cfg->level;   /* Intel: beyond the max, the max leaf answers */
    }
    switch (leaf) {
    case 0:
        *eax = cfg->level;
        *ebx = str_reg(cfg->vendor, vlen, 0);
        *edx = str_reg(cfg->vendor, vlen, 4);
        *ecx = str_reg(cfg->vendor, vlen, 8);
        break;
    case 1:
        *eax = cfg->version;
        /* APIC id, one logical processor, CLFLUSH line 8 * 8 bytes */
        *ebx = (cfg->apic_id << 24) | (1 << 16) | (8 << 8);
        *ecx = cfg->features[FEAT_1_ECX];
        *edx = cfg->features[FEAT_1_EDX];
        break;
    case 2:
        *eax = 1;            /* one round, no cache descriptors */
        break;
    case 7:
        if (subleaf == 0) {
            *ebx = cfg->features[FEAT_7_0_EBX];
            *edx = cfg->features[FEAT_7_0_EDX];
        }
        break;
    case 0x40000000:
        if (cfg->features[FEAT_1_ECX] & CPUID_EXT_HYPERVISOR) {
            *eax = 0x40000000;
            *ebx = str_reg("OspreyOsprey", 12, 0);
            *ecx = str_reg("OspreyOsprey", 12, 4);
            *edx = str_reg("OspreyOsprey", 12, 8);
        }
        break;
    case 0x80000000:
        *eax = cfg->xlevel;
        break;
    case 0x80000001:
        *ecx = cfg->features[FEAT_8000_0001_ECX];
        *edx = cfg->features[FEAT_8000_0001_EDX];
        break;
    case 0x80000002: case 0x80000003: case 0x80000004: {
        int off = (leaf - 0x80000002) * 16;
        int mlen = strlen(cfg->model_id);
        *eax = str_reg(cfg->model_id, mlen, off);
        *ebx = str_reg(cfg->model_id, mlen, off + 4);
        *ecx = str_reg(cfg->model_id, mlen, off + 8);
        *edx = str_reg(cfg->model_id, mlen, off + 12);
        break;
    }
    case 0x80000008:
        *eax = 0x3028;       /* 48-bit linear, 40-bit physical addresses */
        break;
    }
    if (leaf >= 0x80000000 && leaf > cfg->xlevel) {
        *eax = *ebx = *ecx = *edx = 0;
    }
}

static const FeatureName *find_feature(const char *name, size_t len)
{
    char buf[32];

    if (len == 0 || len >= sizeof(buf)) {
        return NULL;
    }
    /* QEMU spells some flags with '.', some with '_': accept both */
    for (size_t i = 0; i < len; i++) {
        buf[i] = name[i] == '.' || name[i] == '-' ? '_' : name[i];
    }
    buf[len] = 0;
    if (!strcmp(buf, "sse3")) {
        strcpy(buf, "pni");
    }
    for (size_t i = 0; i < ARRAY_SIZE(feature_names); i++) {
        if (!strcmp(buf, feature_names[i].name)) {
            return &feature_names[i];
        }
    }
    return NULL;
}

bool x86_cpu_parse_features(X86CPU *cpu, const char *str, Error **errp)
{
    X86CPUConfig *cfg = &cpu->env.cfg;
    const char *p = strchr(str, ',');

    while (p && *p) {
        const char *item = p + 1, *end = strchrnul(item, ',');
        const char *eq = memchr(item, '=', end - item);
        const char *name = item;
        size_t len;
        bool on;
        const FeatureName *f;

        p = end;
        if (item == end) {
            continue;
        }
        if (*item == '+' || *item == '-') {
            on = *item == '+';
            name++;
            len = end - name;
        } else if (eq) {
            size_t vlen = end - eq - 1;
            len = eq - item;
            if ((vlen == 2 && !strncmp(eq + 1, "on", 2)) ||
                (vlen == 4 && !strncmp(eq + 1, "true", 4))) {
                on = true;
            } else if ((vlen == 3 && !strncmp(eq + 1, "off", 3)) ||
                       (vlen == 5 && !strncmp(eq + 1, "false", 5))) {
                on = false;
            } else {
                error_setg(errp, "-cpu %s: feature '%.*s': value '%.*s' is not "
                           "on or off", str, (int)len, item, (int)vlen, eq + 1);
                return false;
            }
        } else {
            on = true;
            len = end - name;
        }
        f = find_feature(name, len);
        if (!f) {
            error_setg(errp, "-cpu %s: unknown CPU feature '%.*s' (see -cpu help)",
                       str, (int)len, name);
            return false;
        }
        if (on) {
            cfg->features[f->word] |= f->bit;
        } else {
            cfg->features[f->word] &= ~f->bit;
        }
    }
    return true;
}

char *x86_cpu_feature_string(const X86CPUConfig *cfg)
{
    StrBuf sb;

    strbuf_init(&sb);
    for (size_t i = 0; i < ARRAY_SIZE(feature_names); i++) {
        const FeatureName *f = &feature_names[i];
        if (cfg->features[f->word] & f->bit) {
            strbuf_printf(&sb, "%s%s", sb.len ? " " : "", f->name);
        }
    }
    return strbuf_steal(&sb);
}

void x86_cpu_list(FILE *f)
{
    X86CPUConfig cfg;
    char *flags;

    x86_cpu_config_osprey64(&cfg);
    flags = x86_cpu_feature_string(&cfg);
    fprintf(f, "Available CPUs:\n");
    fprintf(f, "  %-16s %s\n", "osprey64", cfg.model_id);
    fprintf(f, "  %-16s %s\n", "host", "KVM only: the features KVM supports "
            "on this host");
    fprintf(f, "\nDefault flags of osprey64:\n  %s\n", flags);
    fprintf(f, "\nRecognized CPUID flags:\n ");
    for (size_t i = 0; i < ARRAY_SIZE(feature_names); i++) {
        fprintf(f, " %s", feature_names[i].name);
    }
    fprintf(f, "\n");
    free(flags);
}
