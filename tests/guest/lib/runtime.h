/*
 * Shared runtime of the x86 guest test programs (tests/guest/lib/runtime.S).
 * Included by every test source (GNU as, AT&T syntax, preprocessed).
 *
 * Boot: a Multiboot v1 loader enters _start in 32-bit protected mode with
 * paging off.  _start checks EAX == 0x2BADB002, loads the runtime's GDT
 * (selectors below), sets up COM1 and a stack, and calls the test's
 * test_main (32-bit code).  When test_main returns, tap_finish reports.
 *
 * Output is TAP-like over COM1 (0x3F8, polled):
 *     1..N                    (the plan, printed by PLAN)
 *     ok 1 - description
 *     not ok 2 - description
 *     # diagnostic line
 *
 * Exit: the runtime writes a code to the isa-debug-exit port 0xf4 (4 bytes);
 * the emulator's exit status is (code << 1) | 1, so status 1 means success:
 *     code 0 -> status 1  every check passed and the plan was met
 *     code 1 -> status 3  at least one "not ok"
 *     code 2 -> status 5  unexpected exception (no recovery point was set)
 *     code 3 -> status 7  number of checks run differs from the plan
 *     code 4 -> status 9  not entered by a Multiboot loader (EAX magic)
 * A triple fault with -no-reboot gives status 0, a hang the test timeout.
 */
#ifndef GUEST_RUNTIME_H
#define GUEST_RUNTIME_H

#define EXIT_PASS       0
#define EXIT_FAIL       1
#define EXIT_EXCEPTION  2
#define EXIT_PLAN       3
#define EXIT_BADBOOT    4

/*
 * GDT selectors.  The order serves SYSENTER (KCODE32, KDATA, UCODE32,
 * UDATA at +0/+8/+16/+24) and SYSCALL/SYSRET (STAR[47:32] = KCODE64 with
 * KDATA64 after it; STAR[63:48] = UCODE32 with UDATA, UCODE64 after it).
 */
#define SEL_KCODE32 0x08
#define SEL_KDATA   0x10
#define SEL_UCODE32 0x18        /* DPL 3 */
#define SEL_UDATA   0x20        /* DPL 3 */
#define SEL_UCODE64 0x28        /* DPL 3, L=1 */
#define SEL_KCODE64 0x30
#define SEL_KDATA64 0x38
#define SEL_CODE16  0x40        /* base 0, limit 0xffff, D=0 */
#define SEL_DATA16  0x48        /* base 0, limit 0xffff */
#define SEL_TSS     0x50        /* 32-bit TSS (8 bytes) or 64-bit (16) */
#define SEL_SPARE0  0x60        /* free for tests: 0x60, 0x68, 0x70, 0x78 */
#define SEL_SPARE1  0x68
#define SEL_SPARE2  0x70
#define SEL_SPARE3  0x78
#define GDT_ENTRIES 16

/* Gate attribute bytes (P, DPL, type). */
#define GATE_INT    0x8E        /* interrupt gate, DPL 0 */
#define GATE_INT_U  0xEE        /* interrupt gate, DPL 3 */
#define GATE_TRAP   0x8F
#define GATE_ABSENT 0x0E        /* P = 0 */

/* Control register and MSR bits. */
#define CR0_PE  (1 << 0)
#define CR0_MP  (1 << 1)
#define CR0_EM  (1 << 2)
#define CR0_TS  (1 << 3)
#define CR0_NE  (1 << 5)
#define CR0_WP  (1 << 16)
#define CR0_AM  (1 << 18)
#define CR0_PG  (1 << 31)
#define CR4_PSE (1 << 4)
#define CR4_PAE (1 << 5)
#define CR4_PGE (1 << 7)
#define CR4_OSFXSR (1 << 9)
#define CR4_OSXMMEXCPT (1 << 10)
#define MSR_EFER 0xC0000080
#define MSR_STAR 0xC0000081
#define MSR_LSTAR 0xC0000082
#define MSR_FMASK 0xC0000084
#define MSR_SYSENTER_CS 0x174
#define MSR_SYSENTER_ESP 0x175
#define MSR_SYSENTER_EIP 0x176
#define EFER_SCE (1 << 0)
#define EFER_LME (1 << 8)
#define EFER_LMA (1 << 10)
#define EFER_NXE (1 << 11)

/* Page table entry bits. */
#define PTE_P   0x001
#define PTE_W   0x002
#define PTE_U   0x004
#define PTE_A   0x020
#define PTE_D   0x040
#define PTE_PS  0x080
#define PTE_G   0x100

/* Exception recording: no exception seen yet. */
#define NO_VECTOR 0xffffffff

#ifdef __ASSEMBLER__

/* A NUL-terminated string in .rodata named label. */
.macro STRING label, text
    .pushsection .rodata
\label: .asciz "\text"
    .popsection
.endm

/* ---- 32-bit code ---- */

/* Print text (no newline) / a line. Registers and flags preserved. */
.macro PRINT text
    STRING .Lstr\@, "\text"
    pushl %esi
    movl $.Lstr\@, %esi
    call puts32
    popl %esi
.endm
.macro PRINTLN text
    PRINT "\text"
    call newline32
.endm
/* "# text" diagnostic line. */
.macro NOTE text
    PRINTLN "# \text"
.endm

/* Print "1..n" and remember n: tap_finish compares it with the count. */
.macro PLAN n
    pushl %eax
    movl $\n, %eax
    call tap_plan32
    popl %eax
.endm

/* After a cmp/test: one TAP line, "ok" when condition cc holds. */
.macro CHECK cc, desc
    STRING .Lstr\@, "\desc"
    pushl %eax
    pushl %esi
    set\cc %al
    movzbl %al, %eax
    movl $.Lstr\@, %esi
    call tap_check32
    popl %esi
    popl %eax
.endm

/* "ok N - desc # SKIP reason" */
.macro SKIP desc
    STRING .Lstr\@, "\desc"
    pushl %esi
    movl $.Lstr\@, %esi
    call tap_skip32
    popl %esi
.endm

/*
 * Checks of behaviour QEMU's TCG does not implement: "call is_osprey32"
 * leaves ZF clear under Osprey (CPUID hypervisor leaf "OspreyOsprey");
 * elsewhere the program reports those checks with SKIP.
 */

/*
 * Arm exception recovery: the next exception resumes at label (once).
 * Resets the recorded vector to NO_VECTOR.
 */
.macro EXPECT_EXC label
    movl $NO_VECTOR, exc_vector
    movl $\label, exc_recover
.endm

/*
 * Check the last exception: vector, error code (-1: do not check) and
 * saved EIP (0: do not check).
 */
.macro CHECK_EXC vec, err, eip, desc
    STRING .Lstr\@, "\desc"
    pushl $\eip
    pushl $\err
    pushl $\vec
    pushl $.Lstr\@
    call check_exc32
    addl $16, %esp
.endm

/*
 * Run user code at CPL 3 (selectors UCODE32/UDATA, also in DS and ES,
 * stack ustack_top); the code returns to the kernel by raising any
 * exception/interrupt, e.g.
 * "int $VEC_TO_KERNEL" (a DPL 3 gate), after which execution continues at
 * cont on the kernel stack as it was here.  Needs a TSS with ESP0 (tss32_load).
 */
#define VEC_TO_KERNEL 0x81
.macro USER32 code, cont
    movl $NO_VECTOR, exc_vector
    movl $\cont, exc_recover
    movl %esp, user_return_sp
    pushl $(SEL_UDATA | 3)
    pushl $ustack_top
    pushl $0x2
    pushl $(SEL_UCODE32 | 3)
    pushl $\code
    /* DS/ES usable at CPL 3 (IRET would make the kernel's null there) */
    pushl %eax
    movw $(SEL_UDATA | 3), %ax
    movw %ax, %ds
    movw %ax, %es
    popl %eax
    iretl
.endm

/* ---- 64-bit code ---- */

.macro PRINT64 text
    STRING .Lstr\@, "\text"
    pushq %rsi
    movl $.Lstr\@, %esi
    call puts64
    popq %rsi
.endm
.macro PRINTLN64 text
    PRINT64 "\text"
    call newline64
.endm
.macro NOTE64 text
    PRINTLN64 "# \text"
.endm

.macro CHECK64 cc, desc
    STRING .Lstr\@, "\desc"
    pushq %rax
    pushq %rsi
    set\cc %al
    movzbl %al, %eax
    movl $.Lstr\@, %esi
    call tap_check64
    popq %rsi
    popq %rax
.endm

.macro SKIP64 desc
    STRING .Lstr\@, "\desc"
    pushq %rsi
    movl $.Lstr\@, %esi
    call tap_skip64
    popq %rsi
.endm

.macro EXPECT_EXC64 label
    movl $NO_VECTOR, exc_vector
    movq $\label, exc_recover
.endm

/* vec, err (-1: any), rip (0: any), desc */
.macro CHECK_EXC64 vec, err, rip, desc
    STRING .Lstr\@, "\desc"
    pushq %rdi
    pushq %rsi
    pushq %rdx
    pushq %rcx
    movl $.Lstr\@, %edi
    movl $\vec, %esi
    movq $\err, %rdx
    movq $\rip, %rcx
    call check_exc64
    popq %rcx
    popq %rdx
    popq %rsi
    popq %rdi
.endm

/*
 * CPL 3 in 64-bit mode (UCODE64/UDATA, stack ustack_top, IF=0); back to
 * the kernel through any exception, continuing at cont.  Needs tss64_load.
 */
.macro USER64 code, cont
    movl $NO_VECTOR, exc_vector
    movq $\cont, exc_recover
    movq %rsp, user_return_sp
    pushq $(SEL_UDATA | 3)
    pushq $ustack_top
    pushq $0x2
    pushq $(SEL_UCODE64 | 3)
    pushq $\code
    iretq
.endm

#endif /* __ASSEMBLER__ */
#endif
