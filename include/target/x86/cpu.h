/*
 * x86-64 CPU state for the software CPU (and, later, for KVM register
 * synchronisation): every piece of architectural state a PC needs.
 *
 * Condition codes are lazy, as in QEMU: an arithmetic instruction records
 * what it did (cc_op) and its operands/result (cc_dst, cc_src, cc_src2);
 * the six arithmetic flags are computed only when something reads them
 * (Jcc, PUSHF, ADC, ...).  env->eflags holds every other flag (DF, IF, TF,
 * IOPL, ...); its arithmetic bits are meaningless while cc_op != CC_OP_EFLAGS.
 */
#ifndef TARGET_X86_CPU_H
#define TARGET_X86_CPU_H

#include "util/osdep.h"
#include <setjmp.h>

/* General purpose registers, in encoding order. */
enum {
    R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI,
    R_R8, R_R9, R_R10, R_R11, R_R12, R_R13, R_R14, R_R15,
    CPU_NB_REGS = 16,
};

/* Segment registers, in encoding order. */
enum {
    R_ES, R_CS, R_SS, R_DS, R_FS, R_GS,
    R_SEG_COUNT = 6,
    /*
     * A segment whose base is always 0.  In 64-bit mode the decoder points
     * ES/CS/SS/DS accesses here, so address generation adds a base without
     * asking which mode it is in.
     */
    R_SEG_FLAT = 6,
};

/* EFLAGS bits. */
#define CC_C     0x0001
#define CC_P     0x0004
#define CC_A     0x0010
#define CC_Z     0x0040
#define CC_S     0x0080
#define CC_O     0x0800
#define CC_ALL   (CC_C | CC_P | CC_A | CC_Z | CC_S | CC_O)
#define TF_MASK  0x00000100
#define IF_MASK  0x00000200
#define DF_MASK  0x00000400
#define IOPL_MASK 0x00003000
#define NT_MASK  0x00004000
#define RF_MASK  0x00010000
#define VM_MASK  0x00020000
#define AC_MASK  0x00040000
#define VIF_MASK 0x00080000
#define VIP_MASK 0x00100000
#define ID_MASK  0x00200000
#define EFLAGS_FIXED 0x00000002 /* bit 1 reads as 1 */

/* Control register bits the core consults. */
#define CR0_PE_MASK (1u << 0)
#define CR0_MP_MASK (1u << 1)
#define CR0_EM_MASK (1u << 2)
#define CR0_TS_MASK (1u << 3)
#define CR0_ET_MASK (1u << 4)
#define CR0_NE_MASK (1u << 5)
#define CR0_WP_MASK (1u << 16)
#define CR0_AM_MASK (1u << 18)
#define CR0_NW_MASK (1u << 29)
#define CR0_CD_MASK (1u << 30)
#define CR0_PG_MASK (1u << 31)
#define CR4_PAE_MASK (1u << 5)
#define CR4_OSFXSR_MASK (1u << 9)
#define MSR_EFER_SCE (1u << 0)
#define MSR_EFER_LME (1u << 8)
#define MSR_EFER_LMA (1u << 10)
#define MSR_EFER_NXE (1u << 11)

/* Exception vectors. */
enum {
    EXCP00_DIVZ = 0, EXCP01_DB, EXCP02_NMI, EXCP03_INT3, EXCP04_INTO,
    EXCP05_BOUND, EXCP06_ILLOP, EXCP07_PREX, EXCP08_DBLE, EXCP09_XERR,
    EXCP0A_TSS, EXCP0B_NOSEG, EXCP0C_STACK, EXCP0D_GPF, EXCP0E_PAGE,
    EXCP10_COPR = 16, EXCP11_ALGN, EXCP12_MCHK, EXCP13_XMM,
};
/* exception_index values above the vectors: reasons to leave cpu_exec. */
#define EXCP_NONE      -1
#define EXCP_INTERRUPT 0x10000 /* exit request / budget exhausted */
#define EXCP_HLT       0x10001

/*
 * Lazy condition code operations.  The B/W/L/Q variants of each are
 * consecutive, so "CC_OP_ADDB + ot" selects by operand size (ot = 0..3 for
 * 8/16/32/64 bits).
 */
#define CC_OP_SIZED(X) X##B, X##W, X##L, X##Q
typedef enum CCOp {
    CC_OP_EFLAGS,   /* cc_src holds the flags themselves */
    CC_OP_SIZED(CC_OP_MUL),   /* cc_dst = low result, cc_src != 0 => C = O = 1 */
    CC_OP_SIZED(CC_OP_ADD),   /* cc_dst = result, cc_src = src2 */
    CC_OP_SIZED(CC_OP_ADC),   /* cc_dst = result, cc_src = src2, cc_src2 = carry in */
    CC_OP_SIZED(CC_OP_SUB),   /* cc_dst = result, cc_src = src2 */
    CC_OP_SIZED(CC_OP_SBB),   /* cc_dst = result, cc_src = src2, cc_src2 = borrow in */
    CC_OP_SIZED(CC_OP_LOGIC), /* cc_dst = result */
    CC_OP_SIZED(CC_OP_INC),   /* cc_dst = result, cc_src = carry flag kept */
    CC_OP_SIZED(CC_OP_DEC),   /* cc_dst = result, cc_src = carry flag kept */
    CC_OP_SIZED(CC_OP_SHL),   /* cc_dst = result, cc_src = src << (count - 1) */
    CC_OP_SIZED(CC_OP_SAR),   /* cc_dst = result, cc_src = src >> (count - 1) */
    CC_OP_NB,
} CCOp;

/* Operand sizes, as log2 of the byte count. */
enum { MO_8, MO_16, MO_32, MO_64 };

/* Descriptor-cache flag bits (the high dword of a descriptor, as QEMU keeps them). */
#define DESC_G_MASK   (1u << 23)
#define DESC_B_MASK   (1u << 22) /* D/B: 32-bit code, big stack */
#define DESC_L_MASK   (1u << 21) /* 64-bit code segment */
#define DESC_P_MASK   (1u << 15)
#define DESC_DPL_SHIFT 13
#define DESC_S_MASK   (1u << 12)
#define DESC_TYPE_SHIFT 8
#define DESC_CS_MASK  (1u << 11)
#define DESC_W_MASK   (1u << 9)  /* data: writable */
#define DESC_R_MASK   (1u << 9)  /* code: readable */
#define DESC_A_MASK   (1u << 8)
#define DESC_C_MASK   (1u << 10) /* code: conforming */
#define DESC_E_MASK   (1u << 10) /* data: expand-down */
#define DESC_AVL_MASK (1u << 20)

typedef struct SegmentCache {
    uint32_t selector;
    uint64_t base;
    uint32_t limit;
    uint32_t flags;
} SegmentCache;

/*
 * hflags: the mode bits translation depends on.  They are part of a TB's
 * key, so anything that changes them (mode switch, CS load, ...) must end
 * the TB.
 */
#define HF_CPL_MASK     0x0003  /* current privilege level */
#define HF_CS32_SHIFT   2       /* CS.D: 32-bit default operand/address size */
#define HF_CS32_MASK    (1u << HF_CS32_SHIFT)
#define HF_SS32_SHIFT   3       /* SS.B: 32-bit stack pointer */
#define HF_SS32_MASK    (1u << HF_SS32_SHIFT)
#define HF_CS64_SHIFT   4       /* CS.L in long mode: 64-bit code */
#define HF_CS64_MASK    (1u << HF_CS64_SHIFT)
#define HF_LMA_SHIFT    5       /* long mode active */
#define HF_LMA_MASK     (1u << HF_LMA_SHIFT)
#define HF_PE_SHIFT     6
#define HF_PE_MASK      (1u << HF_PE_SHIFT)
#define HF_VM_SHIFT     7       /* virtual-8086 mode */
#define HF_VM_MASK      (1u << HF_VM_SHIFT)
#define HF_ADDSEG_SHIFT 8       /* some of DS/ES/SS has a nonzero base */
#define HF_ADDSEG_MASK  (1u << HF_ADDSEG_SHIFT)
#define HF_INHIBIT_IRQ_SHIFT 9  /* after MOV SS / STI */
#define HF_INHIBIT_IRQ_MASK  (1u << HF_INHIBIT_IRQ_SHIFT)
#define HF_SMM_SHIFT    10
#define HF_SMM_MASK     (1u << HF_SMM_SHIFT)
#define HF_OSFXSR_SHIFT 11
#define HF_OSFXSR_MASK  (1u << HF_OSFXSR_SHIFT)

/*
 * Segments whose limit or rights need checking on data accesses, one bit
 * per segment register (ES..GS) from HF_SEGCHK_SHIFT: not 4 GiB-limit
 * writable expand-up data (in real and virtual-8086 mode: a limit below
 * 4 GiB).  Never set in 64-bit mode.  A TB translated with a bit set
 * makes memory operands through that segment tagged addresses (see
 * x86_seg_untag); flat segments, the common case, cost nothing.
 */
#define HF_SEGCHK_SHIFT 12
#define HF_SEGCHK_MASK  (0x3fu << HF_SEGCHK_SHIFT)
/*
 * CS has a limit below 4 GiB (never set in 64-bit mode, where code has
 * no limit): instruction fetches and near branch targets are checked
 * against segs[R_CS].limit (#GP(0)).  The limit itself is not part of a
 * TB's key: a TB translated with the bit set stops before the limit, and
 * the execution loop runs one whose end lies beyond the current limit
 * (translated under a larger one) afresh instead.  Near branches in such
 * TBs check their target (x86_op_cs_limit).  Flat code never has it.
 */
#define HF_CSLIM_SHIFT  18
#define HF_CSLIM_MASK   (1u << HF_CSLIM_SHIFT)

#define MSR_STORE_COUNT 32

typedef union X86XMMReg {
    uint8_t b[16];
    uint16_t w[8];
    uint32_t l[4];
    uint64_t q[2];
} __attribute__((aligned(16))) X86XMMReg;

/* An x87 register: 80-bit extended precision, kept as its raw bits. */
typedef struct X86FPReg {
    uint64_t mant;
    uint16_t sign_exp;
} X86FPReg;

struct X86MemOps;
struct TCGCPUState;
struct CPUState;

/* ---- system slice (x86sys) ------------------------------------------ */
/* CPUID feature words (X86CPUConfig.features). */
typedef enum FeatureWord {
    FEAT_1_EDX,
    FEAT_1_ECX,
    FEAT_7_0_EBX,
    FEAT_7_0_EDX,
    FEAT_8000_0001_EDX,
    FEAT_8000_0001_ECX,
    FEATURE_WORDS,
} FeatureWord;

/* What CPUID reports; chosen by the CPU model and -cpu +/-feature. */
typedef struct X86CPUConfig {
    uint32_t features[FEATURE_WORDS];
    uint32_t level;           /* highest basic leaf */
    uint32_t xlevel;          /* highest extended leaf */
    uint32_t version;         /* CPUID(1).EAX: family/model/stepping */
    uint32_t apic_id;
    char vendor[13];
    char model_id[49];
} X86CPUConfig;

#define CPUID_FP87   (1u << 0)
#define CPUID_VME    (1u << 1)
#define CPUID_DE     (1u << 2)
#define CPUID_PSE    (1u << 3)
#define CPUID_TSC    (1u << 4)
#define CPUID_MSR    (1u << 5)
#define CPUID_PAE    (1u << 6)
#define CPUID_MCE    (1u << 7)
#define CPUID_CX8    (1u << 8)
#define CPUID_APIC   (1u << 9)
#define CPUID_SEP    (1u << 11)
#define CPUID_MTRR   (1u << 12)
#define CPUID_PGE    (1u << 13)
#define CPUID_MCA    (1u << 14)
#define CPUID_CMOV   (1u << 15)
#define CPUID_PAT    (1u << 16)
#define CPUID_PSE36  (1u << 17)
#define CPUID_CLFLUSH (1u << 19)
#define CPUID_MMX    (1u << 23)
#define CPUID_FXSR   (1u << 24)
#define CPUID_SSE    (1u << 25)
#define CPUID_SSE2   (1u << 26)
#define CPUID_EXT_SSE3    (1u << 0)
#define CPUID_EXT_SSSE3   (1u << 9)
#define CPUID_EXT_CX16    (1u << 13)
#define CPUID_EXT_SSE41   (1u << 19)
#define CPUID_EXT_SSE42   (1u << 20)
#define CPUID_EXT_X2APIC  (1u << 21)
#define CPUID_EXT_POPCNT  (1u << 23)
#define CPUID_EXT_HYPERVISOR (1u << 31)
#define CPUID_EXT2_SYSCALL (1u << 11)
#define CPUID_EXT2_NX     (1u << 20)
#define CPUID_EXT2_RDTSCP (1u << 27)
#define CPUID_EXT2_LM     (1u << 29)
#define CPUID_EXT3_LAHF_LM (1u << 0)
#define CPUID_7_0_EDX_ARCH_CAPABILITIES (1u << 29)

/* hflags2: modes that do not change translation. */
#define HF2_NMI_MASK     (1u << 0)  /* NMI blocked until the next IRET */
#define HF2_WAIT_SIPI    (1u << 1)  /* AP after INIT: only SIPI wakes it */

/* More control register and MSR bits. */
#define DR6_BS        (1u << 14)  /* single-step trap */
#define DR6_BD        (1u << 13)  /* general detect */
#define DR7_GD        (1u << 13)  /* MOV DR raises #DB */
#define DR7_TYPE_EXEC  0          /* DR7 R/W field */
#define DR7_TYPE_WRITE 1
#define DR7_TYPE_IO    2
#define DR7_TYPE_RW    3
/* CPUX86State.dbg_active: what DR7 enables. */
#define DBG_EXEC      (1u << 0)   /* an instruction breakpoint */
#define DBG_DATA      (1u << 1)   /* a data breakpoint */
#define DBG_IO        (1u << 2)   /* an I/O breakpoint (CR4.DE) */
/* x86_watchpoint_page: which accesses to a page a breakpoint covers. */
#define DBG_WATCH_READ  (1u << 0)
#define DBG_WATCH_WRITE (1u << 1)
#define CR4_VME_MASK  (1u << 0)
#define CR4_PVI_MASK  (1u << 1)
#define CR4_TSD_MASK  (1u << 2)
#define CR4_DE_MASK   (1u << 3)
#define CR4_PSE_MASK  (1u << 4)
#define CR4_MCE_MASK  (1u << 6)
#define CR4_PGE_MASK  (1u << 7)
#define CR4_PCE_MASK  (1u << 8)
#define CR4_OSXMMEXCPT_MASK (1u << 10)

#define MSR_IA32_TSC            0x10
#define MSR_IA32_APICBASE       0x1b
#define MSR_IA32_FEATURE_CONTROL 0x3a
#define MSR_IA32_UCODE_REV      0x8b
#define MSR_MTRRcap             0xfe
#define MSR_IA32_ARCH_CAPABILITIES 0x10a
#define MSR_IA32_SYSENTER_CS    0x174
#define MSR_IA32_SYSENTER_ESP   0x175
#define MSR_IA32_SYSENTER_EIP   0x176
#define MSR_MCG_CAP             0x179
#define MSR_MCG_STATUS          0x17a
#define MSR_IA32_MISC_ENABLE    0x1a0
#define MSR_MTRRphysBase0       0x200
#define MSR_MTRRphysMask7       0x20f
#define MSR_MTRRfix64K_00000    0x250
#define MSR_MTRRfix16K_80000    0x258
#define MSR_MTRRfix16K_A0000    0x259
#define MSR_MTRRfix4K_C0000     0x268
#define MSR_MTRRfix4K_F8000     0x26f
#define MSR_PAT                 0x277
#define MSR_MTRRdefType         0x2ff
#define MSR_X2APIC_FIRST        0x800
#define MSR_X2APIC_LAST         0x8ff
#define MSR_EFER                0xc0000080
#define MSR_STAR                0xc0000081
#define MSR_LSTAR               0xc0000082
#define MSR_CSTAR               0xc0000083
#define MSR_FMASK               0xc0000084
#define MSR_FSBASE              0xc0000100
#define MSR_GSBASE              0xc0000101
#define MSR_KERNELGSBASE        0xc0000102
#define MSR_TSC_AUX             0xc0000103

/* IA32_ARCH_CAPABILITIES bits (SDM vol. 4, table 2-2). */
#define ARCH_CAP_RDCL_NO            (1ULL << 0)   /* no Meltdown */
#define ARCH_CAP_SKIP_L1DFL_VMENTRY (1ULL << 3)   /* no L1D flush on VM entry */
#define ARCH_CAP_SSB_NO             (1ULL << 4)   /* no speculative store bypass */
#define ARCH_CAP_MDS_NO             (1ULL << 5)   /* no MDS */
#define ARCH_CAP_PSCHANGE_MC_NO     (1ULL << 6)   /* no iTLB multihit */
#define ARCH_CAP_TAA_NO             (1ULL << 8)   /* no TSX async abort */
#define ARCH_CAP_SBDR_SSDP_NO       (1ULL << 13)  /* MMIO stale data: */
#define ARCH_CAP_FBSDP_NO           (1ULL << 14)  /*   all three say */
#define ARCH_CAP_PSDP_NO            (1ULL << 15)  /*   not affected */
#define ARCH_CAP_BHI_NO             (1ULL << 20)  /* no branch history injection */
#define ARCH_CAP_PBRSB_NO           (1ULL << 24)  /* no post-barrier RSB */
#define ARCH_CAP_GDS_NO             (1ULL << 26)  /* no gather data sampling */
#define ARCH_CAP_RFDS_NO            (1ULL << 27)  /* no register file sampling */
#define ARCH_CAP_ITS_NO             (1ULL << 62)  /* no indirect target selection */

/*
 * What osprey64 reports in IA32_ARCH_CAPABILITIES under TCG: every "not
 * affected" bit, because an emulator executes nothing speculatively and
 * has no fill buffers, store buffers or branch predictors to leak from.
 * No control bits (IBRS_ALL, TSX_CTRL, FB_CLEAR...): those name MSRs and
 * behaviours Osprey does not implement.
 */
#define X86_ARCH_CAP_TCG (ARCH_CAP_RDCL_NO | ARCH_CAP_SKIP_L1DFL_VMENTRY | \
    ARCH_CAP_SSB_NO | ARCH_CAP_MDS_NO | ARCH_CAP_PSCHANGE_MC_NO | \
    ARCH_CAP_TAA_NO | ARCH_CAP_SBDR_SSDP_NO | ARCH_CAP_FBSDP_NO | \
    ARCH_CAP_PSDP_NO | ARCH_CAP_BHI_NO | ARCH_CAP_PBRSB_NO | \
    ARCH_CAP_GDS_NO | ARCH_CAP_RFDS_NO | ARCH_CAP_ITS_NO)

/* The TSC counts QEMU_CLOCK_VIRTUAL nanoseconds: a fixed 1 GHz. */
#define X86_TSC_FREQ_HZ 1000000000ULL

typedef struct CPUX86State {
    /* Hot state first: what every instruction touches. */
    uint64_t regs[CPU_NB_REGS];
    uint64_t rip;
    uint32_t cc_op;
    uint64_t cc_dst;
    uint64_t cc_src;
    uint64_t cc_src2;
    uint64_t eflags;          /* non-arithmetic flags; see top of file */
    uint32_t hflags;
    SegmentCache segs[R_SEG_COUNT + 1];  /* + R_SEG_FLAT */

    /* Memory access: the softmmu later; a test's RAM now. */
    const struct X86MemOps *mem_ops;
    void *mem_opaque;
    /*
     * Non-zero while the CPU itself reads or writes system structures
     * (GDT, LDT, IDT, TSS): such implicit accesses are checked as CPL 0
     * whatever the current privilege level (the SDM's "implicit
     * supervisor-mode accesses").
     */
    int implicit_supervisor;
    /*
     * A LOCK-prefixed instruction in progress (cpu.c, x86_op_locked):
     * non-zero while its handler runs with mem_ops swapped for the
     * atomic ones; `atomic` holds the operand's old and new bytes.
     */
    int atomic_held;
    struct X86AtomicState {
        const struct X86MemOps *ops;   /* the CPU's own mem_ops */
        uint64_t addr;                 /* the locked operand ... */
        int size;                      /* ... 0 until its first load */
        void *host;                    /* its bytes in host RAM */
        bool stored;
        bool serialised;               /* not RAM: under the global lock */
        uint8_t old[16], val[16];
    } atomic;
    /*
     * The software MMU's per-vCPU state (TLB, jump cache, TB execution
     * state; accel/tcg/cputlb.h), or NULL when mem_ops is something else
     * (unit tests' flat RAM).  Kept across x86_cpu_reset.
     */
    struct TCGCPUState *tcg;

    /* Exceptions leave guest code by longjmp to cpu_exec. */
    sigjmp_buf jmp_env;
    int exception_index;
    uint32_t error_code;
    int exception_is_int;     /* raised by INT n (affects IDT privilege checks) */
    uint64_t exception_next_rip;
    int old_exception;        /* for double-fault detection */

    /* System registers. */
    SegmentCache ldt;
    SegmentCache tr;
    SegmentCache gdt;         /* only base and limit used */
    SegmentCache idt;         /* only base and limit used */
    uint64_t cr[5];           /* CR0, (CR1 unused), CR2, CR3, CR4 */
    uint8_t cr8;              /* task priority (mirrors the local APIC TPR) */
    uint64_t efer;
    uint64_t dr[8];
    uint32_t dbg_active;      /* DBG_*: derived from DR7 by x86_dr7_update */
    uint32_t dbg_hits;        /* data breakpoints hit by this instruction */
    uint64_t a20_mask;        /* ANDed into physical addresses */

    /* MSRs. */
    uint64_t star, lstar, cstar, fmask;
    uint64_t kernelgsbase;
    uint32_t sysenter_cs;
    uint64_t sysenter_esp, sysenter_eip;
    uint64_t pat;
    uint64_t apic_base;
    uint64_t tsc_offset;
    uint64_t tsc_aux;
    uint64_t mtrr_deftype;
    uint64_t mtrr_fixed[11];
    uint64_t mtrr_var[16];    /* base/mask pairs */
    uint64_t misc_enable;
    struct {
        uint32_t index;
        uint64_t value;
    } msrs[MSR_STORE_COUNT];  /* other MSRs the machine stores without meaning */
    int msr_count;

    /* x87 / MMX (the MMX registers alias the x87 mantissas). */
    X86FPReg fpregs[8];
    uint16_t fpuc;            /* control word */
    uint16_t fpus;            /* status word without TOP */
    unsigned fpstt;           /* TOP */
    uint8_t fptags;           /* abridged tag word: bit set = empty */
    uint16_t fpop;
    uint64_t fpip, fpdp;

    /* SSE. */
    X86XMMReg xmm[16];
    uint32_t mxcsr;
    uint64_t xcr0;

    /* Interrupt state the machine drives. */
    int interrupt_request;
    int halted;
    int64_t icount_budget;    /* instructions cpu_exec may still run */

    /* ---- system slice (x86sys): modes, events, CPUID ---------------- */
    /* The owning CPUState (X86CPU), NULL for a bare env in unit tests:
     * without it there are no external interrupts. */
    struct CPUState *cpu;
    uint32_t hflags2;         /* HF2_*: state that is not a TB key */
    int sipi_vector;
    /* CPUID configuration: kept across reset (see X86CPUConfig). */
    X86CPUConfig cfg;
} CPUX86State;

/*
 * Memory access interface.  Addresses are linear (segment base already
 * added); the implementation translates them (paging later) and raises
 * guest exceptions with raise_exception(), never returns an error.  The
 * software MMU implements this; unit tests use a flat RAM buffer.
 */
typedef enum MMUAccessType {
    MMU_DATA_LOAD,
    MMU_DATA_STORE,
    MMU_INST_FETCH,
} MMUAccessType;

typedef struct X86MemOps {
    /* size is 1, 2, 4 or 8; little-endian value */
    uint64_t (*load)(CPUX86State *env, uint64_t addr, int size,
                     MMUAccessType access);
    void (*store)(CPUX86State *env, uint64_t addr, uint64_t val, int size);
    /*
     * Copy up to len code bytes starting at addr into buf without faulting;
     * returns how many were readable (0 if addr itself is not).  The
     * translator uses it to stop a TB before an unreadable page instead
     * of faulting for an instruction that may never run.
     */
    int (*fetch_code)(CPUX86State *env, uint64_t addr, uint8_t *buf, int len);
    /*
     * For a LOCK-prefixed read-modify-write: a host pointer to the size
     * bytes at addr, to be updated with host atomics, after the checks a
     * store there makes (it may fault) and with any translated code there
     * invalidated.  NULL when they are not plain RAM in one page (MMIO):
     * the instruction is then serialised with the other locked ones
     * instead.  Optional (NULL: always serialised).
     */
    void *(*host_rmw)(CPUX86State *env, uint64_t addr, int size);
} X86MemOps;

/*
 * Tagged addresses: outside 64-bit mode a memory operand through a
 * segment with HF_SEGCHK set reaches X86MemOps as its 32-bit linear
 * address with (segment + 1) in bits 48-51 (never a valid address there,
 * so the softmmu's fast-path compare misses).  Every X86MemOps load and
 * store passes its address through x86_seg_untag, which checks the
 * segment's limit and rights (#GP(0), #SS(0) for SS) and returns the
 * linear address.
 */
#define X86_SEG_TAG_SHIFT 48
uint64_t x86_seg_check(CPUX86State *env, uint64_t addr, int size,
                       MMUAccessType access);
static inline uint64_t x86_seg_untag(CPUX86State *env, uint64_t addr, int size,
                                     MMUAccessType access)
{
    if (unlikely((addr >> X86_SEG_TAG_SHIFT) - 1 < R_SEG_COUNT &&
                 !(env->hflags & HF_CS64_MASK))) {
        return x86_seg_check(env, addr, size, access);
    }
    return addr;
}

/* Raise a guest exception: leaves the current instruction by longjmp with
 * env->rip still at its first byte. */
NORETURN void raise_exception(CPUX86State *env, int vector);
NORETURN void raise_exception_err(CPUX86State *env, int vector,
                                  uint32_t error_code);

/*
 * Software MMU (target/x86/mmu.c, accel/tcg/cputlb.c).  Whoever changes
 * what a linear address means calls a flush: x86_tlb_flush on CR0 (PG,
 * WP, PE), CR4 (PAE, PSE, PGE), EFER (NXE, LMA) and A20 changes, and on
 * a CR3 write (x86_tlb_flush_nonglobal keeps PGE global pages there, as
 * the hardware does); x86_tlb_flush_page for INVLPG.  The flushes act on
 * this vCPU's TLB and jump cache only and are no-ops without a softmmu.
 */
void x86_tlb_flush(CPUX86State *env);
void x86_tlb_flush_nonglobal(CPUX86State *env);
void x86_tlb_flush_page(CPUX86State *env, uint64_t addr);
/*
 * Physical address of linear vaddr for the monitor and debugger: walks the
 * page tables without permission checks or A/D updates.  False when the
 * address is not mapped.
 */
bool x86_cpu_get_phys_page_debug(CPUX86State *env, uint64_t vaddr,
                                 uint64_t *paddr);

/* Flags. */
uint32_t cpu_cc_compute_all(CPUX86State *env);   /* the six arithmetic flags */
uint32_t cpu_cc_compute_c(CPUX86State *env);     /* CF only, 0 or 1 */
/* The whole EFLAGS register / set it, changing only the bits in mask. */
uint64_t cpu_compute_eflags(CPUX86State *env);
void cpu_load_eflags(CPUX86State *env, uint64_t eflags, uint64_t mask);

/* Mode set-up used by reset and by tests. */
void x86_cpu_reset(CPUX86State *env);
/* Put the CPU in flat 64-bit long mode at CPL cpl (tests, later SMM/boot). */
void x86_cpu_set_long_mode_flat(CPUX86State *env, int cpl);
/* Flat 32-bit protected mode, or 16-bit real mode, without paging. */
void x86_cpu_set_protected_mode_flat(CPUX86State *env);
void x86_cpu_set_real_mode(CPUX86State *env);
/* Recompute the CS/SS-derived hflags after a segment or mode change. */
void x86_update_hflags(CPUX86State *env);

/* ---- system slice (x86sys) ------------------------------------------ */
/* Linear address of the exception being raised in software-interrupt
 * terms: exception_is_int values. */
#define EXCP_IS_INT_SOFT 1     /* INT n, INT3, INTO: gate DPL checked */
#define EXCP_IS_INT_ICEBP 2    /* INT1: trap-like, no DPL check */

/* Deliver env->exception_index (a vector) through the IVT/IDT; a fault
 * while doing so raises the next exception (double fault rules). */
void x86_cpu_do_interrupt(CPUX86State *env);
/* Deliver an external interrupt or NMI vector (is_hw). */
void x86_cpu_do_hw_interrupt(CPUX86State *env, int vector);
/* True when cpu_exec must leave guest code at the next TB boundary:
 * an exit request, a deliverable interrupt, or an interrupt shadow that
 * the outer loop steps through one instruction at a time. */
bool x86_cpu_exit_pending(CPUX86State *env);
/* Segment loads and far transfers (seg_helper.c). */
void x86_load_seg(CPUX86State *env, int seg, uint32_t selector);
void x86_load_seg_cache(CPUX86State *env, int seg, uint32_t selector,
                        uint64_t base, uint32_t limit, uint32_t flags);
void x86_set_cpl(CPUX86State *env, int cpl);
/* Control registers (misc_helper.c): faults for bad values. */
void x86_write_cr0(CPUX86State *env, uint64_t val);
void x86_write_cr3(CPUX86State *env, uint64_t val);
void x86_write_cr4(CPUX86State *env, uint64_t val);
/* MSRs: false for an unknown one (the instruction raises #GP). */
bool x86_msr_read(CPUX86State *env, uint32_t index, uint64_t *val);
bool x86_msr_write(CPUX86State *env, uint32_t index, uint64_t val);
uint64_t x86_cpu_get_tsc(CPUX86State *env);
/*
 * Debug registers (bpt_helper.c).  x86_dr7_update recomputes dbg_active
 * after DR0-DR3 or DR7 change.  While it is non-zero the CPU runs one
 * instruction at a time: x86_check_insn_breakpoint (before one; raises
 * the #DB fault), x86_check_data_breakpoint (the softmmu, for accesses to
 * pages x86_watchpoint_page flags), x86_debug_after_insn (true when the
 * instruction that completed must trap with #DB; DR6 updated).
 */
void x86_dr7_update(CPUX86State *env);
int x86_watchpoint_page(CPUX86State *env, uint64_t page, uint64_t page_size);
void x86_check_data_breakpoint(CPUX86State *env, uint64_t addr, int size,
                               bool is_write);
void x86_check_insn_breakpoint(CPUX86State *env);
bool x86_debug_after_insn(CPUX86State *env);
/*
 * IN/OUT/INS/OUTS after the access to size bytes at port: records the
 * I/O breakpoints (DR7 R/W 10b, with CR4.DE) it hits, which trap like
 * data breakpoints; returns whether one was hit.  Cheap while none is on.
 */
bool x86_check_io_breakpoint_slow(CPUX86State *env, uint32_t port, int size);
static inline bool x86_check_io_breakpoint(CPUX86State *env, uint32_t port,
                                           int size)
{
    return unlikely(env->dbg_active & DBG_IO) &&
           x86_check_io_breakpoint_slow(env, port, size);
}
/* MOV DR with DR7.GD set: #DB with DR6.BD. */
void x86_check_general_detect(CPUX86State *env);
/* CPUID for leaf/subleaf from env->cfg. */
void x86_cpuid(CPUX86State *env, uint32_t leaf, uint32_t subleaf,
               uint32_t *eax, uint32_t *ebx, uint32_t *ecx, uint32_t *edx);
/* Fill env->cfg with the osprey64 model (what the CPU implements). */
void x86_cpu_config_osprey64(X86CPUConfig *cfg);


#endif
