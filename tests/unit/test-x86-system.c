/*
 * x86 system slice: mode switches, exception and interrupt delivery in
 * each mode, fast system calls, port I/O permission checks, MSRs, CPUID
 * and -cpu feature parsing, the osprey64 device's reset state and
 * `info registers`, and the TCG vCPU thread (pause/resume, HLT wake-up).
 *
 * Guest code runs from flat test RAM with hand-assembled bytes; the
 * exception handlers are HLT instructions, so x86_cpu_exec returns
 * EXCP_HLT once a handler is reached and the test inspects the frame.
 */
#include "test.h"
#include "target/x86/cpu-qom.h"
#include "accel/tcg/cputlb.h"
#include "accel/tcg/cpu-exec.h"
#include "accel/tcg/tcg-accel-ops.h"
#include "memory/memory.h"
#include "system/main-loop.h"
#include "system/runstate.h"
#include "x86-test-ram.h"
#include "util/log.h"

static CPUX86State E;

#define GDT_BASE 0x1000
#define IDT_BASE 0x2000
#define HANDLERS 0x3000        /* vector v's handler (HLT) at HANDLERS + v * 16 */
#define TSS_BASE 0x5000
#define CODE     0x7000
#define USER     0x7400
#define KERNEL2  0x7800

enum {
    SEL_CODE64 = 0x08, SEL_DATA = 0x10, SEL_CODE32 = 0x18, SEL_DATA3 = 0x20,
    SEL_CODE64_3 = 0x28, SEL_CODE32_3 = 0x30, SEL_DATA_NP = 0x38, SEL_TSS = 0x40,
};

static void build_gdt(void)
{
    static const uint64_t gdt[] = {
        0,
        0x00af9a000000ffffULL,   /* 0x08 64-bit code, DPL 0 */
        0x00cf92000000ffffULL,   /* 0x10 data, DPL 0 */
        0x00cf9a000000ffffULL,   /* 0x18 32-bit code, DPL 0 */
        0x00cff2000000ffffULL,   /* 0x20 data, DPL 3 */
        0x00affa000000ffffULL,   /* 0x28 64-bit code, DPL 3 */
        0x00cffa000000ffffULL,   /* 0x30 32-bit code, DPL 3 */
        0x00cf12000000ffffULL,   /* 0x38 data, not present */
    };
    uint64_t base = TSS_BASE, limit = 0x67 + 0x20;

    ram_put(GDT_BASE, gdt, sizeof(gdt));
    /* 0x40: available TSS (16 bytes in long mode) */
    ram_put64(GDT_BASE + 0x40, (limit & 0xffff) | ((base & 0xffffff) << 16) |
              (0x89ULL << 40) | (((limit >> 16) & 0xf) << 48) |
              (((base >> 24) & 0xff) << 56));
    ram_put64(GDT_BASE + 0x48, base >> 32);
}

static void gate32(int v, int dpl, bool present)
{
    uint64_t off = HANDLERS + v * 16;
    ram_put64(IDT_BASE + v * 8, (off & 0xffff) | ((uint64_t)SEL_CODE32 << 16) |
              ((uint64_t)((present ? 0x8e00 : 0x0e00) | (dpl << 13)) << 32) |
              ((off >> 16) << 48));
}

static void gate64(int v, int dpl, int ist)
{
    uint64_t off = HANDLERS + v * 16;
    ram_put64(IDT_BASE + v * 16, (off & 0xffff) | ((uint64_t)SEL_CODE64 << 16) |
              ((uint64_t)(ist | 0x8e00 | (dpl << 13)) << 32) |
              (((off >> 16) & 0xffff) << 48));
    ram_put64(IDT_BASE + v * 16 + 8, off >> 32);
}

/* Fresh RAM and CPU; handlers are all HLT. */
static void fresh(void)
{
    memset(test_ram, 0, TEST_RAM_SIZE);
    memset(test_ram + HANDLERS, 0xf4, 256 * 16);
    memset(&E, 0, sizeof(E));
    E.mem_ops = &test_ram_ops;
    x86_cpu_config_osprey64(&E.cfg);
    x86_cpu_reset(&E);
    build_gdt();
}

static void set_tables(uint32_t idt_limit)
{
    E.gdt.base = GDT_BASE;
    E.gdt.limit = 0x4f;
    E.idt.base = IDT_BASE;
    E.idt.limit = idt_limit;
}

static void protected_mode(void)
{
    x86_cpu_set_protected_mode_flat(&E);
    set_tables(0x7ff);
    for (int v = 0; v < 256; v++) {
        gate32(v, 0, true);
    }
    E.regs[R_ESP] = 0x8000;
}

static void long_mode(int cpl)
{
    x86_cpu_set_long_mode_flat(&E, cpl);
    set_tables(0xfff);
    for (int v = 0; v < 256; v++) {
        gate64(v, 0, 0);
    }
    ram_put64(TSS_BASE + 4, 0xa000);       /* RSP0 */
    ram_put64(TSS_BASE + 0x24, 0x9000);    /* IST1 */
    E.tr = (SegmentCache){ SEL_TSS, TSS_BASE, 0x87,
                           DESC_P_MASK | (11 << DESC_TYPE_SHIFT) };
    E.regs[R_ESP] = 0x8000;
}

static int run_at(uint64_t rip, const void *code, size_t len)
{
    ram_put(rip, code, len);
    E.rip = rip;
    E.halted = 0;
    E.icount_budget = 10000;
    return x86_cpu_exec(&E);
}

static void assert_in_handler(int vector)
{
    assert_int_equal(E.rip, HANDLERS + vector * 16 + 1);
}

/* ---- mode switches ---------------------------------------------------- */

static void test_mode_switch_sequence(void **state)
{
    static const uint8_t real16[] = {
        0x0f, 0x01, 0x16, 0x00, 0x7f,             /* lgdt [0x7f00] */
        0x0f, 0x20, 0xc0,                         /* mov eax, cr0 */
        0x0c, 0x01,                               /* or al, 1 */
        0x0f, 0x22, 0xc0,                         /* mov cr0, eax */
        0x66, 0xea, 0x00, 0x71, 0, 0, 0x18, 0,    /* jmp dword 0x18:0x7100 */
    };
    static const uint8_t prot32[] = {
        0x66, 0xb8, 0x10, 0x00,                   /* mov ax, 0x10 */
        0x8e, 0xd8,                               /* mov ds, ax */
        0x8e, 0xd0,                               /* mov ss, ax */
        0x0f, 0x20, 0xe0,                         /* mov eax, cr4 */
        0x83, 0xc8, 0x20,                         /* or eax, PAE */
        0x0f, 0x22, 0xe0,                         /* mov cr4, eax */
        0xb8, 0x00, 0x00, 0x01, 0x00,             /* mov eax, 0x10000 */
        0x0f, 0x22, 0xd8,                         /* mov cr3, eax */
        0xb9, 0x80, 0x00, 0x00, 0xc0,             /* mov ecx, EFER */
        0x0f, 0x32,                               /* rdmsr */
        0x0d, 0x00, 0x01, 0x00, 0x00,             /* or eax, LME */
        0x0f, 0x30,                               /* wrmsr */
        0x0f, 0x20, 0xc0,                         /* mov eax, cr0 */
        0x0d, 0x00, 0x00, 0x00, 0x80,             /* or eax, PG */
        0x0f, 0x22, 0xc0,                         /* mov cr0, eax: LMA */
        0xea, 0x00, 0x72, 0, 0, 0x08, 0,          /* jmp 0x08:0x7200 */
    };
    static const uint8_t long64[] = {
        0x48, 0xb8, 0x89, 0x67, 0x45, 0x23, 1, 0, 0, 0, /* mov rax, 0x123456789 */
        0x48, 0x89, 0x04, 0x25, 0x20, 0x7f, 0, 0, /* mov [0x7f20], rax */
        0xff, 0x2c, 0x25, 0x10, 0x7f, 0, 0,       /* jmp far [0x7f10] */
    };
    static const uint8_t compat32[] = {
        0xc7, 0x05, 0x28, 0x7f, 0, 0, 0xfe, 0xca, 0, 0, /* mov dword [0x7f28], 0xcafe */
        0x8c, 0xcb,                               /* mov bx, cs */
        0x0f, 0x20, 0xc0,                         /* mov eax, cr0 */
        0x25, 0xff, 0xff, 0xff, 0x7f,             /* and eax, ~PG */
        0x0f, 0x22, 0xc0,                         /* mov cr0, eax: LMA off */
        0xb9, 0x80, 0x00, 0x00, 0xc0,             /* mov ecx, EFER */
        0x0f, 0x32,                               /* rdmsr */
        0x25, 0xff, 0xfe, 0xff, 0xff,             /* and eax, ~LME */
        0x0f, 0x30,                               /* wrmsr */
        0xf4,                                     /* hlt */
    };
    static const uint8_t gdtr[] = { 0x4f, 0x00, 0x00, 0x10, 0x00, 0x00 };
    static const uint8_t farptr[] = { 0x00, 0x73, 0, 0, 0x18, 0 };

    fresh();
    x86_cpu_set_real_mode(&E);
    E.regs[R_ESP] = 0x8000;
    ram_put(0x7f00, gdtr, sizeof(gdtr));
    ram_put(0x7f10, farptr, sizeof(farptr));
    ram_put(0x7100, prot32, sizeof(prot32));
    ram_put(0x7200, long64, sizeof(long64));
    ram_put(0x7300, compat32, sizeof(compat32));
    assert_int_equal(run_at(CODE, real16, sizeof(real16)), EXCP_HLT);

    /* 64-bit code ran, then compatibility mode, then back to protected */
    assert_true(ram_get(0x7f20, 8) == 0x123456789ULL);
    assert_int_equal(ram_get(0x7f28, 4), 0xcafe);
    assert_int_equal(E.regs[R_EBX] & 0xffff, SEL_CODE32);
    assert_true(E.cr[0] & CR0_PE_MASK);
    assert_false(E.cr[0] & CR0_PG_MASK);
    assert_int_equal(E.efer & (MSR_EFER_LME | MSR_EFER_LMA), 0);
    assert_int_equal(E.segs[R_CS].selector, SEL_CODE32);
    assert_int_equal(E.segs[R_SS].selector, SEL_DATA);
    assert_true(E.hflags & HF_PE_MASK);
    assert_true(E.hflags & HF_CS32_MASK);
    assert_true(E.hflags & HF_SS32_MASK);
    assert_false(E.hflags & (HF_LMA_MASK | HF_CS64_MASK));
    assert_int_equal(E.rip, 0x7300 + sizeof(compat32));
}

/* Paging with LME but without PAE is #GP(0). */
static void test_long_mode_needs_pae(void **state)
{
    static const uint8_t code[] = {
        0xb8, 0x01, 0x00, 0x00, 0x80,             /* mov eax, PG | PE */
        0x0f, 0x22, 0xc0,                         /* mov cr0, eax */
    };

    fresh();
    protected_mode();
    E.efer |= MSR_EFER_LME;
    assert_int_equal(run_at(CODE, code, sizeof(code)), EXCP_HLT);
    assert_in_handler(EXCP0D_GPF);
    assert_int_equal(ram_get(E.regs[R_ESP], 4), 0);
    assert_int_equal(ram_get(E.regs[R_ESP] + 4, 4), CODE + 5);
    assert_false(E.efer & MSR_EFER_LMA);
}

/* ---- real mode -------------------------------------------------------- */

static void test_real_mode_int(void **state)
{
    static const uint8_t int21[] = { 0xcd, 0x21 };
    static const uint8_t div0[] = { 0xf6, 0xf3 };      /* div bl */

    fresh();
    x86_cpu_set_real_mode(&E);
    E.regs[R_ESP] = 0x8000;
    E.eflags |= IF_MASK;
    ram_put(0x21 * 4, (uint16_t[]){ 0x7500, 0x0000 }, 4);
    test_ram[0x7500] = 0xf4;
    assert_int_equal(run_at(CODE, int21, sizeof(int21)), EXCP_HLT);
    assert_int_equal(E.rip, 0x7501);
    assert_int_equal(E.regs[R_ESP], 0x7ffa);
    assert_int_equal(ram_get(0x7ffa, 2), CODE + 2);   /* IP after INT */
    assert_int_equal(ram_get(0x7ffc, 2), 0);          /* CS */
    assert_int_equal(ram_get(0x7ffe, 2), 0x202);      /* FLAGS with IF */
    assert_false(E.eflags & IF_MASK);

    /* #DE pushes the address of the faulting DIV */
    fresh();
    x86_cpu_set_real_mode(&E);
    E.regs[R_ESP] = 0x8000;
    E.regs[R_EAX] = 1;
    ram_put(0, (uint16_t[]){ 0x7600, 0x0000 }, 4);
    test_ram[0x7600] = 0xf4;
    assert_int_equal(run_at(CODE, div0, sizeof(div0)), EXCP_HLT);
    assert_int_equal(E.rip, 0x7601);
    assert_int_equal(ram_get(0x7ffa, 2), CODE);
}

/* ---- protected mode exceptions ---------------------------------------- */

static void check_frame32(int vector, bool has_error, uint32_t error,
                          uint32_t eip)
{
    uint32_t esp = E.regs[R_ESP];

    assert_in_handler(vector);
    assert_int_equal(esp, 0x8000 - (has_error ? 16 : 12));
    if (has_error) {
        assert_int_equal(ram_get(esp, 4), error);
        esp += 4;
    }
    assert_int_equal(ram_get(esp, 4), eip);
    assert_int_equal(ram_get(esp + 4, 4), SEL_CODE64);   /* the old CS */
    assert_int_equal(E.segs[R_CS].selector, SEL_CODE32);
}

static void test_protected_exceptions(void **state)
{
    static const uint8_t ss_code[] = { 0x66, 0xb8, 0x18, 0x00, 0x8e, 0xd0 };
    static const uint8_t ss_null[] = { 0x31, 0xc0, 0x8e, 0xd0 };
    static const uint8_t ds_np[] = { 0x66, 0xb8, 0x38, 0x00, 0x8e, 0xd8 };
    static const uint8_t ud2[] = { 0x0f, 0x0b };
    static const uint8_t div0[] = { 0x31, 0xc9, 0xf7, 0xf1 };   /* div ecx */

    fresh();
    protected_mode();
    assert_int_equal(run_at(CODE, ss_code, sizeof(ss_code)), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, SEL_CODE32, CODE + 4);

    fresh();
    protected_mode();
    assert_int_equal(run_at(CODE, ss_null, sizeof(ss_null)), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, 0, CODE + 2);

    fresh();
    protected_mode();
    assert_int_equal(run_at(CODE, ds_np, sizeof(ds_np)), EXCP_HLT);
    check_frame32(EXCP0B_NOSEG, true, SEL_DATA_NP, CODE + 4);

    fresh();
    protected_mode();
    assert_int_equal(run_at(CODE, ud2, sizeof(ud2)), EXCP_HLT);
    check_frame32(EXCP06_ILLOP, false, 0, CODE);

    fresh();
    protected_mode();
    assert_int_equal(run_at(CODE, div0, sizeof(div0)), EXCP_HLT);
    check_frame32(EXCP00_DIVZ, false, 0, CODE + 2);
}

/* ---- segment limit and rights checks --------------------------------- */

/* A descriptor: access byte (P, DPL, S, type) and flags nibble (G, D/B). */
static void put_desc(int sel, uint32_t base, uint32_t limit, int access, int flags)
{
    ram_put64(GDT_BASE + sel, (limit & 0xffff) | ((uint64_t)(base & 0xffffff) << 16) |
              ((uint64_t)access << 40) | ((uint64_t)((limit >> 16) & 0xf) << 48) |
              ((uint64_t)flags << 52) | ((uint64_t)(base >> 24) << 56));
}

enum { SEL_SMALL = 0x50, SEL_RO = 0x58, SEL_DOWN = 0x60, SEL_RCODE = 0x68 };

/* Protected mode with the test descriptors; EBX = 0x1000. */
static void seg_mode(void)
{
    fresh();
    protected_mode();
    E.gdt.limit = 0x7f;
    put_desc(SEL_SMALL, 0, 0xfff, 0x92, 0x4);       /* RW data, limit 4 KiB - 1 */
    put_desc(SEL_RO, 0, 0xfffff, 0x90, 0xc);        /* read-only data, 4 GiB */
    put_desc(SEL_DOWN, 0, 0xfff, 0x96, 0x4);        /* RW expand-down, big */
    put_desc(SEL_RCODE, 0, 0xfffff, 0x9a, 0xc);     /* readable code, 4 GiB */
    E.regs[R_EBX] = 0x1000;
}

#define LOAD_DS(sel) 0x66, 0xb8, (sel), 0x00, 0x8e, 0xd8   /* mov ax, sel; mov ds, ax */

static void test_segment_checks(void **state)
{
    static const uint8_t beyond[] = { LOAD_DS(SEL_SMALL), 0x8b, 0x03 };    /* mov eax, [ebx] */
    static const uint8_t straddle[] = { LOAD_DS(SEL_SMALL), 0x8b, 0x43, 0xfe }; /* [ebx-2] */
    static const uint8_t inside[] = { LOAD_DS(SEL_SMALL), 0x8b, 0x43, 0xfc, 0xf4 };
    static const uint8_t ro_write[] = { LOAD_DS(SEL_RO), 0x8b, 0x03, 0x89, 0x03 };
    static const uint8_t code_write[] = { LOAD_DS(SEL_RCODE), 0x8b, 0x03, 0x89, 0x03 };
    static const uint8_t null_ds[] = { 0x31, 0xc0, 0x8e, 0xd8, 0x8b, 0x03 };
    static const uint8_t down_low[] = { LOAD_DS(SEL_DOWN), 0x8b, 0x43, 0x10, 0x8b, 0x43, 0xf0 };
    static const uint8_t es_stos[] = {
        0x66, 0xb8, SEL_SMALL, 0x00, 0x8e, 0xc0,    /* mov ax, sel; mov es, ax */
        0xbf, 0xf0, 0x0f, 0x00, 0x00,               /* mov edi, 0xff0 */
        0xb9, 0x20, 0x00, 0x00, 0x00,               /* mov ecx, 32 */
        0xf3, 0xaa,                                 /* rep stosb */
    };
    static const uint8_t ss_beyond[] = {
        0xbd, 0x00, 0x00, 0x02, 0x00,               /* mov ebp, 0x20000 */
        0x8b, 0x45, 0x00,                           /* mov eax, [ebp]: SS */
    };

    /* flat protected mode: only CS (code is never writable) is checked */
    fresh();
    protected_mode();
    assert_int_equal(E.hflags & HF_SEGCHK_MASK, 1u << (HF_SEGCHK_SHIFT + R_CS));
    x86_cpu_set_long_mode_flat(&E, 0);
    assert_int_equal(E.hflags & HF_SEGCHK_MASK, 0);

    seg_mode();
    assert_int_equal(run_at(CODE, beyond, sizeof(beyond)), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, 0, CODE + 6);

    seg_mode();
    assert_int_equal(run_at(CODE, straddle, sizeof(straddle)), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, 0, CODE + 6);

    seg_mode();
    assert_int_equal(run_at(CODE, inside, sizeof(inside)), EXCP_HLT);
    assert_int_equal(E.rip, CODE + sizeof(inside));

    seg_mode();
    assert_int_equal(run_at(CODE, ro_write, sizeof(ro_write)), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, 0, CODE + 8);     /* the read passed */

    seg_mode();
    assert_int_equal(run_at(CODE, code_write, sizeof(code_write)), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, 0, CODE + 8);

    seg_mode();
    assert_int_equal(run_at(CODE, null_ds, sizeof(null_ds)), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, 0, CODE + 4);

    /* expand-down: [ebx+0x10] is above the limit (valid), [ebx-0x10] not */
    seg_mode();
    assert_int_equal(run_at(CODE, down_low, sizeof(down_low)), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, 0, CODE + 9);

    /* a string store running past ES's limit faults with EDI/ECX precise */
    seg_mode();
    assert_int_equal(run_at(CODE, es_stos, sizeof(es_stos)), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, 0, CODE + 16);
    assert_int_equal(E.regs[R_EDI], 0x1000);
    assert_int_equal(E.regs[R_ECX], 16);

    /* SS-relative beyond SS's limit: #SS(0) */
    seg_mode();
    E.segs[R_SS].limit = 0xffff;
    x86_update_hflags(&E);
    assert_int_equal(run_at(CODE, ss_beyond, sizeof(ss_beyond)), EXCP_HLT);
    check_frame32(EXCP0C_STACK, true, 0, CODE + 5);

    /* execute-only CS: a CS-override read faults */
    seg_mode();
    E.segs[R_CS].flags &= ~DESC_R_MASK;
    x86_update_hflags(&E);
    assert_int_equal(run_at(CODE, (uint8_t[]){ 0x2e, 0x8b, 0x03 }, 3), EXCP_HLT);
    check_frame32(EXCP0D_GPF, true, 0, CODE);
}

/* Real mode: 16-bit limits apply (a word at offset 0xffff faults). */
static void test_segment_checks_real_mode(void **state)
{
    static const uint8_t code[] = {
        0x8b, 0x07,                         /* mov ax, [bx] (bx = 0xfffe): ok */
        0x8b, 0x47, 0x01,                   /* mov ax, [bx+1]: #GP */
    };

    fresh();
    x86_cpu_set_real_mode(&E);
    E.idt.base = 0;
    E.idt.limit = 0x3ff;
    ram_put(13 * 4, (uint16_t[]){ HANDLERS + 13 * 16, 0 }, 4);
    E.regs[R_EBX] = 0xfffe;
    E.regs[R_ESP] = 0x8000;
    assert_true(E.hflags & (1u << (HF_SEGCHK_SHIFT + R_DS)));
    assert_int_equal(run_at(CODE, code, sizeof(code)), EXCP_HLT);
    assert_in_handler(EXCP0D_GPF);
    assert_int_equal(ram_get(0x8000 - 6, 2), CODE + 2);   /* IP of the fault */
}

/*
 * The CS limit in real mode (64 KiB; QEMU's TCG does not check it, so
 * this is not in the cslimit guest program): a near JMP with a 32-bit
 * target beyond it, an instruction straddling it and a 32-bit far RET
 * beyond it #GP(0) with IP on the instruction, registers unchanged.
 */
static void real_mode_gp_at(const uint8_t *code, size_t len, uint16_t ip)
{
    fresh();
    x86_cpu_set_real_mode(&E);
    E.idt.base = 0;
    E.idt.limit = 0x3ff;
    ram_put(13 * 4, (uint16_t[]){ HANDLERS + 13 * 16, 0 }, 4);
    E.regs[R_ESP] = 0x8000;
    assert_true(E.hflags & HF_CSLIM_MASK);
    assert_int_equal(run_at(ip, code, len), EXCP_HLT);
    assert_in_handler(EXCP0D_GPF);
    assert_int_equal(E.regs[R_ESP], 0x8000 - 6);
    assert_int_equal(ram_get(0x8000 - 6, 2), ip);        /* IP of the fault */
}

static void test_cs_limit_real_mode(void **state)
{
    /* jmp dword 0x10000 (o32 E9 rel32) from CODE */
    static const uint8_t jmp32[] = { 0x66, 0xe9, 0xfa, 0x8f, 0x00, 0x00 };
    static const uint8_t mov_ax[] = { 0xb8, 0x34, 0x12 };  /* 0xfffe..0x10000 */
    static const uint8_t retf32[] = { 0x66, 0xcb };

    real_mode_gp_at(jmp32, sizeof(jmp32), CODE);

    real_mode_gp_at(mov_ax, sizeof(mov_ax), 0xfffe);
    assert_int_equal(E.regs[R_EAX] & 0xffff, 0);

    fresh();
    x86_cpu_set_real_mode(&E);
    E.idt.base = 0;
    E.idt.limit = 0x3ff;
    ram_put(13 * 4, (uint16_t[]){ HANDLERS + 13 * 16, 0 }, 4);
    ram_put(0x7ff8, (uint32_t[]){ 0x10000, 0 }, 8);       /* EIP, CS */
    E.regs[R_ESP] = 0x7ff8;
    assert_int_equal(run_at(CODE, retf32, sizeof(retf32)), EXCP_HLT);
    assert_in_handler(EXCP0D_GPF);
    assert_int_equal(E.regs[R_ESP], 0x7ff8 - 6);          /* nothing popped */
    assert_int_equal(ram_get(0x7ff8 - 6, 2), CODE);

    /* the same jump within a 4 GiB (big real mode) limit runs */
    fresh();
    x86_cpu_set_real_mode(&E);
    E.segs[R_CS].limit = 0xffffffff;
    x86_update_hflags(&E);
    assert_false(E.hflags & HF_CSLIM_MASK);
    test_ram[0x10000] = 0xf4;
    assert_int_equal(run_at(CODE, jmp32, sizeof(jmp32)), EXCP_HLT);
    assert_int_equal(E.rip, 0x10001);
}

/* An undefined opcode: #UD, logged once under -d unimp; UD2 never. */
static void test_undefined_opcode_logged_once(void **state)
{
    static const uint8_t undef[] = { 0x0f, 0x04 };
    static const uint8_t ud2[] = { 0x0f, 0x0b };
    char path[] = "/tmp/osprey-unimp-XXXXXX";
    char buf[512] = { 0 };
    int fd = mkstemp(path);
    FILE *f;

    assert_true(fd >= 0);
    close(fd);
    assert_true(qemu_set_log_filename(path, &error_abort));
    qemu_set_log(LOG_UNIMP);
    for (int i = 0; i < 3; i++) {
        fresh();
        protected_mode();
        assert_int_equal(run_at(CODE, undef, sizeof(undef)), EXCP_HLT);
        assert_in_handler(EXCP06_ILLOP);
        fresh();
        protected_mode();
        assert_int_equal(run_at(CODE, ud2, sizeof(ud2)), EXCP_HLT);
        assert_in_handler(EXCP06_ILLOP);
    }
    assert_true(qemu_set_log_filename(NULL, &error_abort));
    qemu_set_log(0);
    f = fopen(path, "r");
    assert_non_null(f);
    assert_true(fread(buf, 1, sizeof(buf) - 1, f) > 0);
    fclose(f);
    unlink(path);
    assert_non_null(strstr(buf, "opcode 0f 04 at 0008:00007000"));
    assert_null(strstr(strstr(buf, "0f 04") + 1, "0f 04"));   /* once */
    assert_null(strstr(buf, "0f 0b"));
}

/* ARPL: raises the destination's RPL to the source's, ZF says so; #UD in
 * real mode (in 64-bit mode 63 is MOVSXD). */
static void test_arpl(void **state)
{
    static const uint8_t arpl[] = { 0x63, 0xd8, 0xf4 };   /* arpl ax, bx; hlt */
    static const uint8_t arpl_mem[] = { 0x63, 0x1d, 0x00, 0x06, 0x00, 0x00, 0xf4 };

    fresh();
    protected_mode();
    E.regs[R_EAX] = 0xabcd0010;
    E.regs[R_EBX] = 0x3;
    assert_int_equal(run_at(CODE, arpl, sizeof(arpl)), EXCP_HLT);
    assert_int_equal(E.regs[R_EAX], 0xabcd0013);
    assert_true(cpu_compute_eflags(&E) & CC_Z);
    E.regs[R_EBX] = 0x2;                                   /* lower: no change */
    assert_int_equal(run_at(CODE, arpl, sizeof(arpl)), EXCP_HLT);
    assert_int_equal(E.regs[R_EAX], 0xabcd0013);
    assert_false(cpu_compute_eflags(&E) & CC_Z);

    /* arpl [0x600], bx */
    ram_put(0x600, (uint16_t[]){ 0x0029 }, 2);
    E.regs[R_EBX] = 0x3;
    assert_int_equal(run_at(CODE, arpl_mem, sizeof(arpl_mem)), EXCP_HLT);
    assert_int_equal(ram_get(0x600, 2), 0x002b);
    assert_true(cpu_compute_eflags(&E) & CC_Z);

    fresh();
    x86_cpu_set_real_mode(&E);
    E.idt.base = 0;
    E.idt.limit = 0x3ff;
    ram_put(6 * 4, (uint16_t[]){ HANDLERS + 6 * 16, 0 }, 4);
    E.regs[R_ESP] = 0x8000;
    assert_int_equal(run_at(CODE, arpl, sizeof(arpl)), EXCP_HLT);
    assert_in_handler(EXCP06_ILLOP);
}

/*
 * Virtual-8086 mode (QEMU's TCG checks no data segment limits, so this is
 * not in the v86 guest program): IRET from PL 0 enters v86 with 64 KiB
 * segments based at selector << 4; a word at offset 0xffff #GPs, and the
 * #GP reaches the PL 0 handler with the v86 segment frame and null data
 * segments.
 */
static void test_v86_mode(void **state)
{
    static const uint8_t iretd[] = { 0xcf };
    static const uint8_t v86[] = {
        0x8b, 0x06, 0xfe, 0xff,             /* mov ax, [0xfffe]: ok */
        0x8b, 0x06, 0xff, 0xff,             /* mov ax, [0xffff]: #GP(0) */
    };
    const uint32_t frame[] = { 0, 0x0740, VM_MASK | IOPL_MASK | 2, 0x100,
                               0x0600, 0x0111, 0x0222, 0x0333, 0x0444 };
    uint32_t esp;

    fresh();
    protected_mode();
    ram_put(TSS_BASE + 4, (uint32_t[]){ 0x9000, SEL_DATA }, 8);  /* ESP0, SS0 */
    E.tr = (SegmentCache){ SEL_TSS, TSS_BASE, 0x67,
                           DESC_P_MASK | (11 << DESC_TYPE_SHIFT) };
    ram_put(0x8000, frame, sizeof(frame));
    ram_put(0x7400, v86, sizeof(v86));
    ram_put(0x0222 * 16 + 0xfffe, (uint16_t[]){ 0x1234 }, 2);
    assert_int_equal(run_at(CODE, iretd, sizeof(iretd)), EXCP_HLT);
    assert_in_handler(EXCP0D_GPF);
    assert_int_equal(E.regs[R_EAX] & 0xffff, 0x1234);   /* DS base 0x2220 */
    esp = E.regs[R_ESP];
    assert_int_equal(esp, 0x9000 - 40);
    assert_int_equal(ram_get(esp, 4), 0);                 /* error code */
    assert_int_equal(ram_get(esp + 4, 4), 4);             /* IP of the fault */
    assert_int_equal(ram_get(esp + 8, 4), 0x0740);
    assert_true(ram_get(esp + 12, 4) & VM_MASK);
    assert_int_equal(ram_get(esp + 16, 4), 0x100);
    assert_int_equal(ram_get(esp + 20, 4), 0x0600);
    assert_int_equal(ram_get(esp + 24, 4), 0x0111);       /* ES */
    assert_int_equal(ram_get(esp + 28, 4), 0x0222);       /* DS */
    assert_int_equal(ram_get(esp + 32, 4), 0x0333);       /* FS */
    assert_int_equal(ram_get(esp + 36, 4), 0x0444);       /* GS */
    assert_false(E.eflags & VM_MASK);
    assert_int_equal(E.hflags & HF_CPL_MASK, 0);
    assert_int_equal(E.segs[R_DS].selector, 0);
    assert_int_equal(E.segs[R_ES].selector, 0);
    assert_int_equal(E.segs[R_SS].selector, SEL_DATA);
}

/*
 * Stack accesses made by the far transfer and delivery helpers obey the SS
 * limit (#SS(0)); a non-canonical 64-bit stack gives #SS(0), not #GP.
 */
static void test_stack_frame_limits(void **state)
{
    static const uint8_t retf[] = { 0xcb };
    static const uint8_t int3[] = { 0xcc };

    /* RETF: EIP at 0x7ffc..0x7fff is inside, CS at 0x8000 is not */
    fresh();
    protected_mode();
    E.segs[R_SS].limit = 0x7fff;
    x86_update_hflags(&E);
    E.regs[R_ESP] = 0x7ffc;
    assert_int_equal(run_at(CODE, retf, sizeof(retf)), EXCP_HLT);
    assert_in_handler(EXCP0C_STACK);
    assert_int_equal(E.regs[R_ESP], 0x7ffc - 16);
    assert_int_equal(ram_get(E.regs[R_ESP], 4), 0);       /* error code */
    assert_int_equal(ram_get(E.regs[R_ESP] + 4, 4), CODE);

    /* 64-bit: INT3 on a non-canonical RSP; #SS goes to an IST stack */
    fresh();
    long_mode(0);
    gate64(EXCP0C_STACK, 0, 1);
    E.regs[R_ESP] = 0x8000000000001000ULL;
    assert_int_equal(run_at(CODE, int3, sizeof(int3)), EXCP_HLT);
    assert_in_handler(EXCP0C_STACK);
    assert_int_equal(E.regs[R_ESP], 0x9000 - 48);
    assert_int_equal(ram_get(E.regs[R_ESP], 8), 0);       /* error code */
    assert_int_equal(ram_get(E.regs[R_ESP] + 32, 8), 0x8000000000001000ULL);
}

/* DR7.GD: MOV DR faults with #DB and DR6.BD, GD clears itself. */
static void test_debug_general_detect(void **state)
{
    static const uint8_t code[] = {
        0xb8, 0x00, 0x24, 0x00, 0x00,   /* mov eax, 0x2400 (GD) */
        0x0f, 0x23, 0xf8,               /* mov dr7, eax */
        0x0f, 0x21, 0xc0,               /* mov eax, dr0: #DB */
    };

    fresh();
    protected_mode();
    assert_int_equal(run_at(CODE, code, sizeof(code)), EXCP_HLT);
    check_frame32(EXCP01_DB, false, 0, CODE + 8);
    assert_true(E.dr[6] & DR6_BD);
    assert_false(E.dr[7] & DR7_GD);
}

/* ICEBP (F1): #DB as a trap, without the gate's DPL check. */
static void test_debug_icebp(void **state)
{
    static const uint8_t code[] = { 0x90, 0xf1 };

    fresh();
    protected_mode();
    assert_int_equal(run_at(CODE, code, sizeof(code)), EXCP_HLT);
    check_frame32(EXCP01_DB, false, 0, CODE + 2);
}

/* An instruction breakpoint faults before the instruction; RF skips it. */
static void test_debug_insn_breakpoint(void **state)
{
    static const uint8_t code[] = { 0x90, 0x41, 0x41 };   /* nop; inc ecx x2 */

    fresh();
    protected_mode();
    E.regs[R_ECX] = 0;
    E.dr[1] = CODE + 2;
    E.dr[7] = 0x400 | (1 << 2);         /* L1, execute, 1 byte */
    x86_dr7_update(&E);
    assert_int_equal(run_at(CODE, code, sizeof(code)), EXCP_HLT);
    check_frame32(EXCP01_DB, false, 0, CODE + 2);
    assert_int_equal(E.regs[R_ECX], 1);
    assert_int_equal(E.dr[6] & 0xf, 2);

    /* resumed with RF set: the instruction runs, RF clears after it */
    fresh();
    protected_mode();
    E.regs[R_ECX] = 0;
    E.dr[1] = CODE + 1;
    E.dr[7] = 0x400 | (1 << 2);
    x86_dr7_update(&E);
    E.eflags |= RF_MASK;
    ram_put(CODE, code, sizeof(code));
    ram_put(CODE + 3, (uint8_t[]){ 0xf4 }, 1);
    E.rip = CODE + 1;
    E.icount_budget = 10000;
    assert_int_equal(x86_cpu_exec(&E), EXCP_HLT);
    assert_int_equal(E.rip, CODE + 4);
    assert_int_equal(E.regs[R_ECX], 2);
    assert_false(E.eflags & RF_MASK);
}

/* #NP while delivering #NP (gate 11 not present) becomes #DF. */
static void test_double_fault(void **state)
{
    static const uint8_t ds_np[] = { 0x66, 0xb8, 0x38, 0x00, 0x8e, 0xd8 };

    fresh();
    protected_mode();
    gate32(EXCP0B_NOSEG, 0, false);
    assert_int_equal(run_at(CODE, ds_np, sizeof(ds_np)), EXCP_HLT);
    check_frame32(EXCP08_DBLE, true, 0, CODE + 4);
}

static void test_triple_fault(void **state)
{
    static const uint8_t ds_np[] = { 0x66, 0xb8, 0x38, 0x00, 0x8e, 0xd8 };

    fresh();
    protected_mode();
    gate32(EXCP0B_NOSEG, 0, false);
    gate32(EXCP08_DBLE, 0, false);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_NONE);
    assert_int_equal(run_at(CODE, ds_np, sizeof(ds_np)), EXCP_HLT);
    assert_int_equal(qemu_reset_requested_get(), SHUTDOWN_CAUSE_GUEST_RESET);
    assert_int_equal(E.rip, CODE + 4);     /* nothing was delivered */
    assert_int_equal(E.regs[R_ESP], 0x8000);
    /* let the main loop consume the request */
    int status;
    main_loop_should_exit(&status);
}

/* ---- long mode -------------------------------------------------------- */

static void check_frame64(uint64_t rsp, uint64_t rip, uint64_t cs,
                          uint64_t old_rsp, uint64_t ss)
{
    assert_int_equal(E.regs[R_ESP], rsp);
    assert_true(ram_get(rsp, 8) == rip);
    assert_true(ram_get(rsp + 8, 8) == cs);
    assert_true(ram_get(rsp + 24, 8) == old_rsp);
    assert_true(ram_get(rsp + 32, 8) == ss);
}

static void test_long_mode_ist(void **state)
{
    static const uint8_t code[] = {
        0x66, 0xb8, 0x40, 0x00,                   /* mov ax, 0x40 */
        0x0f, 0x00, 0xd8,                         /* ltr ax */
        0xcc,                                     /* int3 */
    };

    fresh();
    long_mode(0);
    E.tr = (SegmentCache){ 0 };
    gate64(EXCP03_INT3, 3, 1);
    assert_int_equal(run_at(CODE, code, sizeof(code)), EXCP_HLT);
    assert_in_handler(EXCP03_INT3);
    /* LTR loaded the 16-byte descriptor and marked it busy */
    assert_int_equal(E.tr.selector, SEL_TSS);
    assert_int_equal(E.tr.base, TSS_BASE);
    assert_int_equal((ram_get(GDT_BASE + 0x44, 4) >> 8) & 0xf, 11);
    check_frame64(0x9000 - 40, CODE + 8, SEL_CODE64, 0x8000, SEL_DATA);
}

static void test_iretq_to_user_and_int80(void **state)
{
    static const uint8_t kernel[] = {
        0x6a, 0x23,                               /* push 0x23 (SS) */
        0x68, 0x00, 0x60, 0x00, 0x00,             /* push 0x6000 (RSP) */
        0x68, 0x02, 0x02, 0x00, 0x00,             /* push 0x202 (RFLAGS) */
        0x6a, 0x2b,                               /* push 0x2b (CS) */
        0x68, 0x00, 0x74, 0x00, 0x00,             /* push 0x7400 (RIP) */
        0x48, 0xcf,                               /* iretq */
    };
    static const uint8_t user[] = { 0x8c, 0xcb, 0xcd, 0x80 };   /* mov bx, cs; int 0x80 */
    static const uint8_t user_bad[] = { 0xcd, 0x81 };           /* gate DPL 0 */

    fresh();
    long_mode(0);
    gate64(0x80, 3, 0);
    ram_put(USER, user, sizeof(user));
    assert_int_equal(run_at(CODE, kernel, sizeof(kernel)), EXCP_HLT);
    assert_in_handler(0x80);
    assert_int_equal(E.regs[R_EBX] & 0xffff, 0x2b);   /* ran at CPL 3 */
    assert_int_equal(E.hflags & HF_CPL_MASK, 0);
    assert_int_equal(E.segs[R_SS].selector, 0);       /* null SS after the switch */
    check_frame64(0xa000 - 40, USER + 4, 0x2b, 0x6000, 0x23);
    assert_true(ram_get(0xa000 - 24, 8) & IF_MASK);
    assert_false(E.eflags & IF_MASK);

    /* INT n through a DPL 0 gate from CPL 3: #GP(vector * 8 + 2) */
    fresh();
    long_mode(0);
    ram_put(USER, user_bad, sizeof(user_bad));
    assert_int_equal(run_at(CODE, kernel, sizeof(kernel)), EXCP_HLT);
    assert_in_handler(EXCP0D_GPF);
    assert_int_equal(ram_get(0xa000 - 48, 8), 0x81 * 8 + 2);
    assert_int_equal(ram_get(0xa000 - 40, 8), USER);
}

static void test_syscall_sysret(void **state)
{
    static const uint8_t user[] = { 0x0f, 0x05, 0x0f, 0x0b };   /* syscall; ud2 */
    static const uint8_t kernel[] = {
        0x48, 0x89, 0x0c, 0x25, 0x30, 0x7f, 0, 0, /* mov [0x7f30], rcx */
        0x4c, 0x89, 0x1c, 0x25, 0x38, 0x7f, 0, 0, /* mov [0x7f38], r11 */
        0x8c, 0xd0,                               /* mov ax, ss */
        0x48, 0x0f, 0x07,                         /* sysretq */
    };

    fresh();
    long_mode(3);
    E.efer |= MSR_EFER_SCE;
    E.star = (0x18ULL << 48) | (0x08ULL << 32);
    E.lstar = KERNEL2;
    E.fmask = IF_MASK;
    E.eflags |= IF_MASK;
    E.regs[R_ESP] = 0x6000;
    ram_put(KERNEL2, kernel, sizeof(kernel));
    assert_int_equal(run_at(USER, user, sizeof(user)), EXCP_HLT);
    assert_true(ram_get(0x7f30, 8) == USER + 2);
    assert_true(ram_get(0x7f38, 8) & IF_MASK);
    assert_int_equal(E.regs[R_EAX] & 0xffff, SEL_DATA);  /* kernel SS */
    /* back at CPL 3 with IF restored, then #UD */
    assert_in_handler(EXCP06_ILLOP);
    check_frame64(0xa000 - 40, USER + 2, 0x2b, 0x6000, 0x23);
    assert_true(ram_get(0xa000 - 24, 8) & IF_MASK);
}

static void test_sysenter_sysexit(void **state)
{
    static const uint8_t kernel[] = {
        0xb9, 0x00, 0x60, 0x00, 0x00,             /* mov ecx, 0x6000 */
        0xba, 0x00, 0x74, 0x00, 0x00,             /* mov edx, 0x7400 */
        0x0f, 0x35,                               /* sysexit */
    };
    static const uint8_t user[] = {
        0x8c, 0xcb,                               /* mov bx, cs */
        0xb8, 0x55, 0x00, 0x00, 0x00,             /* mov eax, 0x55 */
        0x0f, 0x34,                               /* sysenter */
    };

    fresh();
    protected_mode();
    E.sysenter_cs = SEL_CODE32;
    E.sysenter_esp = 0x9000;
    E.sysenter_eip = KERNEL2;
    test_ram[KERNEL2] = 0xf4;
    ram_put(USER, user, sizeof(user));
    assert_int_equal(run_at(CODE, kernel, sizeof(kernel)), EXCP_HLT);
    assert_int_equal(E.rip, KERNEL2 + 1);
    assert_int_equal(E.regs[R_EBX] & 0xffff, (SEL_CODE32 + 16) | 3);
    assert_int_equal(E.regs[R_EAX], 0x55);
    assert_int_equal(E.regs[R_ESP], 0x9000);
    assert_int_equal(E.segs[R_CS].selector, SEL_CODE32);
    assert_int_equal(E.segs[R_SS].selector, SEL_CODE32 + 8);
    assert_int_equal(E.hflags & HF_CPL_MASK, 0);
}

/* ---- port I/O --------------------------------------------------------- */

static int port_writes[4];
static uint32_t port_last;

static uint64_t port_read(void *opaque, hwaddr addr, unsigned size)
{
    return 0x5a;
}

static void port_write(void *opaque, hwaddr addr, uint64_t val, unsigned size)
{
    __atomic_add_fetch(&port_writes[addr & 3], 1, __ATOMIC_SEQ_CST);
    port_last = val;
}

static const MemoryRegionOps port_ops = {
    .read = port_read,
    .write = port_write,
    .valid = { .min_access_size = 1, .max_access_size = 4 },
};

static MemoryRegion port_mr;

static void test_port_io(void **state)
{
    static const uint8_t kernel[] = {
        0xb0, 0x42,                               /* mov al, 0x42 */
        0xe6, 0x80,                               /* out 0x80, al */
        0xe4, 0x80,                               /* in al, 0x80 */
        0xf4,
    };
    static const uint8_t user[] = {
        0xe6, 0x80,                               /* allowed by the bitmap */
        0xe6, 0x81,                               /* denied: #GP(0) */
    };
    int before = port_writes[0];

    fresh();
    protected_mode();
    assert_int_equal(run_at(CODE, kernel, sizeof(kernel)), EXCP_HLT);
    assert_int_equal(port_writes[0], before + 1);
    assert_int_equal(port_last, 0x42);
    assert_int_equal(E.regs[R_EAX] & 0xff, 0x5a);

    /* CPL 3, IOPL 0: the TSS I/O bitmap decides */
    fresh();
    protected_mode();
    E.segs[R_CS].selector = SEL_CODE32_3 | 3;
    E.segs[R_CS].flags |= 3 << DESC_DPL_SHIFT;
    E.segs[R_SS].selector = SEL_DATA3 | 3;
    E.segs[R_SS].flags |= 3 << DESC_DPL_SHIFT;
    E.hflags |= 3;
    ram_put(TSS_BASE + 4, (uint32_t[]){ 0xa000, SEL_DATA }, 8);   /* ESP0, SS0 */
    ram_put(TSS_BASE + 0x66, (uint16_t[]){ 0x68 }, 2);
    test_ram[TSS_BASE + 0x68 + 0x10] = 0x02;                     /* port 0x81 */
    test_ram[TSS_BASE + 0x68 + 0x11] = 0xff;
    E.tr = (SegmentCache){ SEL_TSS, TSS_BASE, 0x68 + 0x20,
                           DESC_P_MASK | (11 << DESC_TYPE_SHIFT) };
    assert_int_equal(run_at(USER, user, sizeof(user)), EXCP_HLT);
    assert_int_equal(port_writes[0], before + 2);
    assert_int_equal(port_writes[1], 0);
    assert_in_handler(EXCP0D_GPF);
    assert_int_equal(E.regs[R_ESP], 0xa000 - 24);     /* with SS:ESP */
    assert_int_equal(ram_get(0xa000 - 24, 4), 0);
    assert_int_equal(ram_get(0xa000 - 20, 4), USER + 2);
    assert_int_equal(ram_get(0xa000 - 8, 4), 0x8000);
    assert_int_equal(ram_get(0xa000 - 4, 4), SEL_DATA3 | 3);
}

/* ---- MSRs and CPUID --------------------------------------------------- */

static void test_msrs(void **state)
{
    static const uint8_t code[] = {
        0xb9, 0x81, 0x00, 0x00, 0xc0,             /* mov ecx, STAR */
        0xb8, 0x44, 0x33, 0x22, 0x11,             /* mov eax, 0x11223344 */
        0xba, 0x88, 0x77, 0x66, 0x55,             /* mov edx, 0x55667788 */
        0x0f, 0x30,                               /* wrmsr */
        0x31, 0xc0, 0x31, 0xd2,                   /* xor eax, eax; xor edx, edx */
        0x0f, 0x32,                               /* rdmsr */
        0xb9, 0x45, 0x23, 0x01, 0x00,             /* mov ecx, 0x12345 */
        0x0f, 0x32,                               /* rdmsr: #GP(0) */
    };
    uint64_t v;

    fresh();
    long_mode(0);
    assert_int_equal(run_at(CODE, code, sizeof(code)), EXCP_HLT);
    assert_true(E.star == 0x5566778811223344ULL);
    assert_int_equal(E.regs[R_EAX], 0x11223344);
    assert_int_equal(E.regs[R_EDX], 0x55667788);
    assert_in_handler(EXCP0D_GPF);
    assert_int_equal(ram_get(E.regs[R_ESP], 8), 0);
    assert_int_equal(ram_get(E.regs[R_ESP] + 8, 8), CODE + 28);

    assert_false(x86_msr_write(&E, MSR_FSBASE, 0x0000800000000000ULL));
    assert_true(x86_msr_write(&E, MSR_FSBASE, 0xffff800000001000ULL));
    assert_true(E.segs[R_FS].base == 0xffff800000001000ULL);
    assert_false(x86_msr_write(&E, MSR_PAT, 0x02));     /* reserved type */
    assert_false(x86_msr_write(&E, MSR_EFER, 1 << 3));  /* reserved bit */
    assert_true(x86_msr_write(&E, MSR_IA32_TSC, 1000000));
    assert_true(x86_msr_read(&E, MSR_IA32_TSC, &v));
    assert_true(v >= 1000000);
    assert_true(x86_msr_read(&E, MSR_MTRRcap, &v));
    assert_true(x86_msr_write(&E, 0x200, 0x6));
    assert_true(x86_msr_read(&E, 0x200, &v) && v == 6);
}

/*
 * IA32_ARCH_CAPABILITIES: advertised in CPUID.(7,0):EDX[29], reads the
 * "not affected" bits (what keeps Linux from turning on PTI and VERW),
 * #GPs on WRMSR, and is gone with -cpu osprey64,-arch-capabilities.
 */
static void test_arch_capabilities(void **state)
{
    static const uint8_t code[] = {
        0xb8, 0x07, 0x00, 0x00, 0x00,             /* mov eax, 7 */
        0x31, 0xc9,                               /* xor ecx, ecx */
        0x0f, 0xa2,                               /* cpuid */
        0x89, 0xd6,                               /* mov esi, edx */
        0xb9, 0x0a, 0x01, 0x00, 0x00,             /* mov ecx, 0x10a */
        0x0f, 0x32,                               /* rdmsr */
        0x89, 0xc7,                               /* mov edi, eax */
        0x41, 0x89, 0xd0,                         /* mov r8d, edx */
        0x31, 0xc0, 0x31, 0xd2,                   /* xor eax, eax; xor edx, edx */
        0x0f, 0x30,                               /* wrmsr: #GP(0) */
    };
    X86CPU *cpu;
    uint32_t a, b, c, d;
    uint64_t v;

    fresh();
    long_mode(0);
    assert_int_equal(run_at(CODE, code, sizeof(code)), EXCP_HLT);
    assert_true(E.regs[R_ESI] & CPUID_7_0_EDX_ARCH_CAPABILITIES);
    v = E.regs[R_EDI] | (uint64_t)E.regs[8] << 32;
    assert_true(v == X86_ARCH_CAP_TCG);
    assert_true(v & ARCH_CAP_RDCL_NO && v & ARCH_CAP_MDS_NO &&
                v & ARCH_CAP_TAA_NO && v & ARCH_CAP_BHI_NO &&
                v & ARCH_CAP_ITS_NO && v & ARCH_CAP_GDS_NO);
    assert_false(v & (1ULL << 1));            /* no IBRS_ALL: no SPEC_CTRL */
    assert_in_handler(EXCP0D_GPF);
    assert_int_equal(ram_get(E.regs[R_ESP], 8), 0);
    assert_int_equal(ram_get(E.regs[R_ESP] + 8, 8), CODE + 27);
    assert_false(x86_msr_write(&E, MSR_IA32_ARCH_CAPABILITIES, X86_ARCH_CAP_TCG));

    /* the feature flag: on by default, off drops the bit and the MSR */
    cpu = X86_CPU(object_new(TYPE_OSPREY64_CPU));
    x86_cpuid(&cpu->env, 7, 0, &a, &b, &c, &d);
    assert_true(d & CPUID_7_0_EDX_ARCH_CAPABILITIES);
    assert_true(x86_msr_read(&cpu->env, MSR_IA32_ARCH_CAPABILITIES, &v));
    assert_true(x86_cpu_parse_features(cpu, "osprey64,-arch-capabilities",
                                       &error_abort));
    x86_cpuid(&cpu->env, 7, 0, &a, &b, &c, &d);
    assert_false(d & CPUID_7_0_EDX_ARCH_CAPABILITIES);
    assert_false(x86_msr_read(&cpu->env, MSR_IA32_ARCH_CAPABILITIES, &v));
    assert_true(x86_cpu_parse_features(cpu, "osprey64,arch_capabilities=on",
                                       &error_abort));
    assert_true(x86_msr_read(&cpu->env, MSR_IA32_ARCH_CAPABILITIES, &v));
    object_unref(OBJECT(cpu));
}

static uint32_t reg_str(const char *s)
{
    uint32_t v;
    memcpy(&v, s, 4);
    return v;
}

static void test_cpuid(void **state)
{
    static const uint8_t code[] = { 0x31, 0xc0, 0x0f, 0xa2, 0xf4 };
    uint32_t a, b, c, d;
    char brand[49] = { 0 };

    fresh();
    long_mode(0);
    assert_int_equal(run_at(CODE, code, sizeof(code)), EXCP_HLT);
    assert_int_equal(E.regs[R_EBX], reg_str("Genu"));
    assert_int_equal(E.regs[R_EDX], reg_str("ineI"));
    assert_int_equal(E.regs[R_ECX], reg_str("ntel"));
    assert_int_equal(E.regs[R_EAX], 7);

    x86_cpuid(&E, 1, 0, &a, &b, &c, &d);
    assert_int_equal(a, 0x6f1);
    assert_true(d & CPUID_SSE2 && d & CPUID_APIC && d & CPUID_PAE && d & CPUID_SEP);
    assert_true(c & CPUID_EXT_SSE42 && c & CPUID_EXT_HYPERVISOR);
    assert_false(c & CPUID_EXT_X2APIC);
    x86_cpuid(&E, 0x80000001, 0, &a, &b, &c, &d);
    assert_true(d & CPUID_EXT2_LM && d & CPUID_EXT2_NX && d & CPUID_EXT2_SYSCALL);
    x86_cpuid(&E, 0x80000008, 0, &a, &b, &c, &d);
    assert_int_equal(a, 0x3028);
    for (int i = 0; i < 3; i++) {
        x86_cpuid(&E, 0x80000002 + i, 0, &a, &b, &c, &d);
        memcpy(brand + 16 * i, (uint32_t[]){ a, b, c, d }, 16);
    }
    assert_string_equal(brand, "Osprey Virtual CPU");
    x86_cpuid(&E, 0x80000009, 0, &a, &b, &c, &d);
    assert_int_equal(a | b | c | d, 0);
}

static void test_cpu_features(void **state)
{
    X86CPU *cpu = X86_CPU(object_new(TYPE_OSPREY64_CPU));
    Error *err = NULL;
    uint32_t *f = cpu->env.cfg.features;

    assert_true(f[FEAT_1_ECX] & CPUID_EXT_SSE42);
    assert_true(x86_cpu_parse_features(cpu, "osprey64,-sse4_2,+x2apic,nx=off",
                                       &error_abort));
    assert_false(f[FEAT_1_ECX] & CPUID_EXT_SSE42);
    assert_true(f[FEAT_1_ECX] & CPUID_EXT_X2APIC);
    assert_false(f[FEAT_8000_0001_EDX] & CPUID_EXT2_NX);
    assert_true(f[FEAT_1_ECX] & CPUID_EXT_SSE41);

    assert_false(x86_cpu_parse_features(cpu, "osprey64,+nosuchflag", &err));
    assert_non_null(err);
    assert_non_null(strstr(error_get_pretty(err), "nosuchflag"));
    error_free(err);
    err = NULL;
    assert_false(x86_cpu_parse_features(cpu, "osprey64,sse=maybe", &err));
    assert_non_null(strstr(error_get_pretty(err), "maybe"));
    error_free(err);

    assert_string_equal(x86_cpu_type_by_model("osprey64"), "osprey64-x86_64-cpu");
    assert_null(x86_cpu_type_by_model("pentium"));
    char *buf;
    size_t len;
    FILE *mf = open_memstream(&buf, &len);
    x86_cpu_list(mf);
    fclose(mf);
    assert_non_null(strstr(buf, "Available CPUs:\n  osprey64"));
    assert_non_null(strstr(buf, "sse4_2"));
    free(buf);
    object_unref(OBJECT(cpu));
}

/* ---- the CPU device --------------------------------------------------- */

static void test_cpu_reset_state(void **state)
{
    X86CPU *cpu = X86_CPU(object_new(TYPE_OSPREY64_CPU));
    CPUX86State *env = &cpu->env;
    char *buf;
    size_t len;
    FILE *mf;

    env->regs[R_EAX] = 0x1234;
    env->cr[0] = 0x80000011;
    device_cold_reset(DEVICE(cpu));
    assert_int_equal(env->segs[R_CS].selector, 0xf000);
    assert_true(env->segs[R_CS].base == 0xffff0000);
    assert_int_equal(env->segs[R_CS].limit, 0xffff);
    assert_true(env->rip == 0xfff0);
    assert_int_equal(env->regs[R_EDX], 0x6f1);        /* CPUID(1).EAX */
    assert_int_equal(env->regs[R_EAX], 0);
    assert_true(env->cr[0] == 0x60000010);
    assert_true(cpu_compute_eflags(env) == 2);
    assert_true(env->dr[6] == 0xffff0ff0);
    assert_true(env->dr[7] == 0x400);
    assert_true(env->pat == 0x0007040600070406ULL);
    assert_int_equal(env->mxcsr, 0x1f80);
    assert_int_equal(env->fpuc, 0x37f);
    assert_int_equal(env->fpus, 0);
    assert_int_equal(env->fptags, 0xff);
    assert_true(env->gdt.base == 0 && env->gdt.limit == 0xffff);
    assert_true(env->idt.base == 0 && env->idt.limit == 0xffff);
    assert_true(env->apic_base == 0xfee00900);
    assert_true(env->a20_mask == ~0ULL);
    assert_true(env->efer == 0);
    assert_true(env->cpu == CPU(cpu));

    mf = open_memstream(&buf, &len);
    x86_cpu_dump_state(CPU(cpu), mf, 0);
    fclose(mf);
    assert_non_null(strstr(buf, "EAX=00000000 EBX=00000000 ECX=00000000 EDX=000006f1\n"));
    assert_non_null(strstr(buf, "EIP=0000fff0 EFL=00000002 [-------] CPL=0"));
    assert_non_null(strstr(buf, "ES =0000 00000000 0000ffff 00009300\n"));
    assert_non_null(strstr(buf, "CS =f000 ffff0000 0000ffff 00009b00\n"));
    assert_non_null(strstr(buf, "CR0=60000010 CR2=00000000"));
    assert_non_null(strstr(buf, "DR6=ffff0ff0 DR7=00000400\n"));
    assert_non_null(strstr(buf, "EFER=0000000000000000\n"));
    free(buf);
    object_unref(OBJECT(cpu));
}

/* ---- the TCG vCPU thread ---------------------------------------------- */

static MemoryRegion ram_mr;

static int vector_hook(X86CPU *cpu)
{
    return 0x30;
}

/* Wait (BQL held) up to 10 s for *p to exceed v. */
static bool wait_above(int *p, int v)
{
    for (int i = 0; i < 10000; i++) {
        if (__atomic_load_n(p, __ATOMIC_SEQ_CST) > v) {
            return true;
        }
        bql_unlock();
        usleep(1000);
        bql_lock();
    }
    return false;
}

static void test_tcg_thread(void **state)
{
    static const uint8_t loop[] = { 0xe6, 0x80, 0xeb, 0xfc };   /* out 0x80, al; jmp */
    static const uint8_t idle[] = { 0xfb, 0xf4, 0xeb, 0xfd };   /* sti; hlt; jmp hlt */
    static const uint8_t isr[] = { 0xe6, 0x82, 0xcf };          /* out 0x82, al; iret */
    X86CPU *cpu;
    CPUState *cs;
    int seen;

    bql_lock();
    memory_region_init_ram(&ram_mr, NULL, "test-ram", 1 * MiB, &error_abort);
    memory_region_add_subregion(get_system_memory(), 0, &ram_mr);
    address_space_write(&address_space_memory, 0x1000, MEMTXATTRS_UNSPECIFIED,
                        loop, sizeof(loop));
    address_space_write(&address_space_memory, 0x2000, MEMTXATTRS_UNSPECIFIED,
                        idle, sizeof(idle));
    address_space_write(&address_space_memory, 0x3000, MEMTXATTRS_UNSPECIFIED,
                        isr, sizeof(isr));
    address_space_write(&address_space_memory, 0x30 * 4, MEMTXATTRS_UNSPECIFIED,
                        (uint16_t[]){ 0x3000, 0 }, 4);

    tcg_accel_register();
    cpu = X86_CPU(object_new(TYPE_OSPREY64_CPU));
    cs = CPU(cpu);
    qdev_realize(DEVICE(cpu), NULL, &error_abort);
    assert_true(cs->created);
    assert_true(cs->stopped);
    /* A realized CPU runs through the softmmu (TLB and TB cache). */
    assert_true(cpu->env.mem_ops == &x86_softmmu_ops);

    x86_cpu_set_real_mode(&cpu->env);
    cpu->env.rip = 0x1000;
    cpu->env.regs[R_ESP] = 0x8000;
    assert_int_equal(vm_start(), 0);
    seen = port_writes[0];
    assert_true(wait_above(&port_writes[0], seen));

    /* paused: no progress; resumed: progress again */
    pause_all_vcpus();
    seen = __atomic_load_n(&port_writes[0], __ATOMIC_SEQ_CST);
    bql_unlock();
    usleep(20000);
    bql_lock();
    assert_int_equal(__atomic_load_n(&port_writes[0], __ATOMIC_SEQ_CST), seen);
    resume_all_vcpus();
    assert_true(wait_above(&port_writes[0], seen));

    /* HLT with IF=1 sleeps until an interrupt arrives */
    pause_all_vcpus();
    cpu->env.rip = 0x2000;
    cpu->get_interrupt_vector = vector_hook;
    resume_all_vcpus();
    for (int i = 0; i < 10000 && !cs->halted; i++) {
        bql_unlock();
        usleep(1000);
        bql_lock();
    }
    assert_true(cs->halted);
    assert_int_equal(port_writes[2], 0);
    cpu_interrupt(cs, CPU_INTERRUPT_HARD);
    assert_true(wait_above(&port_writes[2], 0));
    pause_all_vcpus();
    assert_int_equal(port_writes[2], 1);
    bql_unlock();
}

static int setup(void **state)
{
    test_ram = xzalloc(TEST_RAM_SIZE);
    main_loop_init();
    runstate_init();
    memory_region_init_io(&port_mr, NULL, &port_ops, NULL, "test-port", 4);
    memory_region_add_subregion(get_system_io(), 0x80, &port_mr);
    return 0;
}

static int teardown(void **state)
{
    free(test_ram);
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mode_switch_sequence),
        cmocka_unit_test(test_long_mode_needs_pae),
        cmocka_unit_test(test_real_mode_int),
        cmocka_unit_test(test_protected_exceptions),
        cmocka_unit_test(test_segment_checks),
        cmocka_unit_test(test_segment_checks_real_mode),
        cmocka_unit_test(test_cs_limit_real_mode),
        cmocka_unit_test(test_arpl),
        cmocka_unit_test(test_undefined_opcode_logged_once),
        cmocka_unit_test(test_v86_mode),
        cmocka_unit_test(test_stack_frame_limits),
        cmocka_unit_test(test_debug_general_detect),
        cmocka_unit_test(test_debug_icebp),
        cmocka_unit_test(test_debug_insn_breakpoint),
        cmocka_unit_test(test_double_fault),
        cmocka_unit_test(test_triple_fault),
        cmocka_unit_test(test_long_mode_ist),
        cmocka_unit_test(test_iretq_to_user_and_int80),
        cmocka_unit_test(test_syscall_sysret),
        cmocka_unit_test(test_sysenter_sysexit),
        cmocka_unit_test(test_port_io),
        cmocka_unit_test(test_msrs),
        cmocka_unit_test(test_arch_capabilities),
        cmocka_unit_test(test_cpuid),
        cmocka_unit_test(test_cpu_features),
        cmocka_unit_test(test_cpu_reset_state),
        cmocka_unit_test(test_tcg_thread),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
