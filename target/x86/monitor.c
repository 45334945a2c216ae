/*
 * `info registers` and -d cpu: the CPU state in QEMU's layout, so that
 * logs compare line by line with QEMU's.  64-bit layout while long mode
 * is active, 32-bit layout otherwise (as QEMU's x86_64 build does).
 */
#include "util/osdep.h"
#include "util/log.h"
#include "target/x86/cpu-qom.h"

static const char seg_names[R_SEG_COUNT][4] = { "ES", "CS", "SS", "DS", "FS", "GS" };

static void dump_seg(StrBuf *sb, const char *name, const SegmentCache *sc, bool lma)
{
    if (lma) {
        strbuf_printf(sb, "%-3s=%04x %016" PRIx64 " %08x %08x\n", name,
                      sc->selector, sc->base, sc->limit, sc->flags & 0x00ffff00);
    } else {
        strbuf_printf(sb, "%-3s=%04x %08x %08x %08x\n", name, sc->selector,
                      (uint32_t)sc->base, sc->limit, sc->flags & 0x00ffff00);
    }
}

static void dump_regs(StrBuf *sb, CPUState *cs)
{
    static const char *const names64[16] = {
        "RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI",
        "R8 ", "R9 ", "R10", "R11", "R12", "R13", "R14", "R15",
    };
    /* QEMU's order: RAX RBX RCX RDX / RSI RDI RBP RSP / R8.. */
    static const int order[16] = { R_EAX, R_EBX, R_ECX, R_EDX, R_ESI, R_EDI,
                                   R_EBP, R_ESP, 8, 9, 10, 11, 12, 13, 14, 15 };
    CPUX86State *env = x86_cpu_env(cs);
    bool lma = env->hflags & HF_LMA_MASK;
    uint32_t fl = cpu_compute_eflags(env);
    int n = lma ? 16 : 8;

    for (int i = 0; i < n; i++) {
        int r = order[i];
        if (lma) {
            strbuf_printf(sb, "%s=%016" PRIx64 "%c", names64[r], env->regs[r],
                          (i & 3) == 3 ? '\n' : ' ');
        } else {
            char name[4] = { 'E', names64[r][1], names64[r][2], 0 };
            strbuf_printf(sb, "%s=%08x%c", name, (uint32_t)env->regs[r],
                          (i & 3) == 3 ? '\n' : ' ');
        }
    }
    if (lma) {
        strbuf_printf(sb, "RIP=%016" PRIx64 " RFL=%08x ", env->rip, fl);
    } else {
        strbuf_printf(sb, "EIP=%08x EFL=%08x ", (uint32_t)env->rip, fl);
    }
    strbuf_printf(sb, "[%c%c%c%c%c%c%c] CPL=%d II=%d A20=%d SMM=%d HLT=%d\n",
                  fl & DF_MASK ? 'D' : '-', fl & CC_O ? 'O' : '-',
                  fl & CC_S ? 'S' : '-', fl & CC_Z ? 'Z' : '-',
                  fl & CC_A ? 'A' : '-', fl & CC_P ? 'P' : '-',
                  fl & CC_C ? 'C' : '-', env->hflags & HF_CPL_MASK,
                  !!(env->hflags & HF_INHIBIT_IRQ_MASK),
                  !!(env->a20_mask & (1 << 20)), !!(env->hflags & HF_SMM_MASK),
                  cs->halted ? 1 : 0);
    for (int i = 0; i < R_SEG_COUNT; i++) {
        dump_seg(sb, seg_names[i], &env->segs[i], lma);
    }
    dump_seg(sb, "LDT", &env->ldt, lma);
    dump_seg(sb, "TR", &env->tr, lma);
    if (lma) {
        strbuf_printf(sb, "GDT=     %016" PRIx64 " %08x\n", env->gdt.base, env->gdt.limit);
        strbuf_printf(sb, "IDT=     %016" PRIx64 " %08x\n", env->idt.base, env->idt.limit);
        strbuf_printf(sb, "CR0=%08x CR2=%016" PRIx64 " CR3=%016" PRIx64 " CR4=%08x\n",
                      (uint32_t)env->cr[0], env->cr[2], env->cr[3],
                      (uint32_t)env->cr[4]);
        for (int i = 0; i < 4; i++) {
            strbuf_printf(sb, "DR%d=%016" PRIx64 " ", i, env->dr[i]);
        }
        strbuf_printf(sb, "\nDR6=%016" PRIx64 " DR7=%016" PRIx64 "\n",
                      env->dr[6], env->dr[7]);
    } else {
        strbuf_printf(sb, "GDT=     %08x %08x\n", (uint32_t)env->gdt.base, env->gdt.limit);
        strbuf_printf(sb, "IDT=     %08x %08x\n", (uint32_t)env->idt.base, env->idt.limit);
        strbuf_printf(sb, "CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n",
                      (uint32_t)env->cr[0], (uint32_t)env->cr[2],
                      (uint32_t)env->cr[3], (uint32_t)env->cr[4]);
        for (int i = 0; i < 4; i++) {
            strbuf_printf(sb, "DR%d=%08x ", i, (uint32_t)env->dr[i]);
        }
        strbuf_printf(sb, "\nDR6=%08x DR7=%08x\n", (uint32_t)env->dr[6],
                      (uint32_t)env->dr[7]);
    }
    strbuf_printf(sb, "EFER=%016" PRIx64 "\n", env->efer);
}

/* f == NULL: to the -d log. */
void x86_cpu_dump_state(CPUState *cs, FILE *f, int flags)
{
    StrBuf sb;
    char *s;

    strbuf_init(&sb);
    dump_regs(&sb, cs);
    s = strbuf_steal(&sb);
    if (f) {
        fputs(s, f);
    } else {
        qemu_log("%s", s);
    }
    free(s);
}

#ifdef CONFIG_CAPSTONE
#include <capstone/capstone.h>
#endif

/* -d in_asm: the guest code of each new TB (called from tb_gen_code). */
void x86_log_tb_in_asm(CPUX86State *env, uint64_t pc, int len)
{
    uint8_t buf[4096];
    int n;

    if (!qemu_loglevel_mask(CPU_LOG_TB_IN_ASM) || len <= 0) {
        return;
    }
    len = MIN(len, (int)sizeof(buf));
    n = env->mem_ops->fetch_code(env, pc, buf, len);
    qemu_log("----------------\nIN: \n");
#ifdef CONFIG_CAPSTONE
    {
        csh h;
        cs_insn *insn;
        cs_mode mode = (env->hflags & HF_CS64_MASK) ? CS_MODE_64 :
                       (env->hflags & HF_CS32_MASK) ? CS_MODE_32 : CS_MODE_16;
        if (cs_open(CS_ARCH_X86, mode, &h) == CS_ERR_OK) {
            size_t count = cs_disasm(h, buf, n, pc, 0, &insn);
            for (size_t i = 0; i < count; i++) {
                qemu_log("0x%016" PRIx64 ":  %s %s\n", insn[i].address,
                         insn[i].mnemonic, insn[i].op_str);
            }
            if (count) {
                cs_free(insn, count);
            }
            cs_close(&h);
            qemu_log("\n");
            return;
        }
    }
#endif
    qemu_log("0x%016" PRIx64 ": ", pc);
    for (int i = 0; i < n; i++) {
        qemu_log(" %02x", buf[i]);
    }
    qemu_log("\n\n");
}
