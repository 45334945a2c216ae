/*
 * syscall: privilege round trips.
 *   32-bit: INT 0x80 through a DPL 3 gate with the TSS.ESP0 stack switch;
 *           SYSENTER/SYSEXIT.
 *   64-bit: SYSCALL/SYSRET with STAR/LSTAR/FMASK, 1000 round trips,
 *           checking RCX, R11, the flags mask and the selectors each time.
 * Every round trip checks on both sides and counts mismatches; the report
 * comes from the kernel at the end.
 */
#include "lib/runtime.h"

#define ROUNDS32 100
#define ROUNDS64 1000
#define FMASK (0x100 | 0x200 | 0x400 | 0x40000)     /* TF IF DF AC */

    .data
    .balign 8
k_count:        .quad 0     /* handler entries */
k_stack_bad:    .quad 0     /* wrong stack on entry */
k_seg_bad:      .quad 0     /* wrong CS/SS on entry or in the frame */
k_ret_bad:      .quad 0     /* RCX / R11 not as SYSCALL defines them */
k_flags_bad:    .quad 0     /* flags not masked */
u_count:        .quad 0     /* returns seen by user code */
u_bad:          .quad 0     /* wrong result / selectors / flags after return */
u_rsp_save:     .quad 0
sep_ok:         .long 0

    .bss
    .balign 16
sys_stack:      .skip 4096
sys_stack_top:

    .text
    .code32
    .globl test_main
test_main:
    PLAN 15
    call tss32_load
    call reset_counts

    /* ---- INT 0x80 ---- */
    movl $0x80, %eax
    movl $int80_entry, %edx
    movl $GATE_INT_U, %ecx
    call idt32_set
    USER32 user_int80, 1f
1:  cmpl $VEC_TO_KERNEL, exc_vector
    CHECK e, "INT 0x80: user code came back through int VEC_TO_KERNEL"
    cmpl $ROUNDS32, k_count
    CHECK e, "INT 0x80: 100 entries from CPL 3"
    cmpl $0, k_stack_bad
    CHECK e, "INT 0x80: handler runs on TSS.ESP0 with the 5-word frame"
    cmpl $0, k_seg_bad
    CHECK e, "INT 0x80: frame holds user CS, SS, ESP; handler at CPL 0"
    cmpl $ROUNDS32, u_count
    jne 2f
    cmpl $0, u_bad
2:  CHECK e, "INT 0x80: user sees the result, CPL 3 and its stack after IRET"

    /* ---- SYSENTER / SYSEXIT ---- */
    call reset_counts
    movl $1, %eax
    cpuid
    testl $(1 << 11), %edx
    jnz 1f
    SKIP "SYSENTER: CPUID has no SEP"
    SKIP "SYSENTER: kernel side"
    SKIP "SYSEXIT: user side"
    jmp long_part
1:  movl $MSR_SYSENTER_CS, %ecx
    movl $SEL_KCODE32, %eax
    xorl %edx, %edx
    wrmsr
    movl $MSR_SYSENTER_ESP, %ecx
    movl $sys_stack_top, %eax
    wrmsr
    movl $MSR_SYSENTER_EIP, %ecx
    movl $sysenter_entry, %eax
    wrmsr
    USER32 user_sysenter, 1f
1:  cmpl $ROUNDS32, k_count
    CHECK e, "SYSENTER: 100 entries from CPL 3"
    movl k_stack_bad, %eax
    orl k_seg_bad, %eax
    orl k_flags_bad, %eax
    CHECK z, "SYSENTER: CS 0x08, SS 0x10, ESP = SYSENTER_ESP, IF clear"
    cmpl $ROUNDS32, u_count
    jne 2f
    cmpl $0, u_bad
2:  CHECK e, "SYSEXIT: user gets CS 0x1b, SS 0x23, ESP = ECX, EIP = EDX"

long_part:
    call reset_counts
    call lm_tables_init
    movl $long_main, %eax
    jmp lm_enter

reset_counts:
    pushl %edi
    pushl %ecx
    pushl %eax
    movl $k_count, %edi
    movl $(u_rsp_save - k_count) / 4, %ecx
    xorl %eax, %eax
    rep stosl
    popl %eax
    popl %ecx
    popl %edi
    ret

/* INT 0x80 handler: EAX + 1, checks its stack and frame. */
int80_entry:
    incl k_count
    cmpl $istack_top - 20, %esp
    je 1f
    incl k_stack_bad
1:  cmpl $(SEL_UCODE32 | 3), 4(%esp)
    jne 2f
    cmpl $(SEL_UDATA | 3), 16(%esp)
    jne 2f
    cmpl %ebp, 12(%esp)             /* user keeps its ESP in EBP */
    jne 2f
    movw %cs, %bx
    cmpw $SEL_KCODE32, %bx
    je 3f
2:  incl k_seg_bad
3:  incl %eax
    iretl

user_int80:
    movl $ROUNDS32, %edi
1:  movl %esp, %ebp
    movl %edi, %eax
    int $0x80
    leal 1(%edi), %ecx
    cmpl %ecx, %eax
    jne 2f
    cmpl %ebp, %esp
    jne 2f
    movw %cs, %cx
    cmpw $(SEL_UCODE32 | 3), %cx
    je 3f
2:  incl u_bad
3:  incl u_count
    decl %edi
    jnz 1b
    int $VEC_TO_KERNEL

/* SYSENTER entry: EAX + 1; SYSEXIT to EDX with ESP = ECX. */
sysenter_entry:
    incl k_count
    cmpl $sys_stack_top, %esp
    je 1f
    incl k_stack_bad
1:  movw %cs, %bx
    cmpw $SEL_KCODE32, %bx
    jne 2f
    movw %ss, %bx
    cmpw $SEL_KDATA, %bx
    je 3f
2:  incl k_seg_bad
3:  pushfl
    testl $0x200, (%esp)
    popl %ebx
    jz 4f
    incl k_flags_bad
4:  incl %eax
    sysexit

user_sysenter:
    movl $ROUNDS32, %edi
1:  movl %edi, %eax
    movl %esp, %ecx
    movl %esp, %ebp
    movl $2f, %edx
    sysenter
2:  leal 1(%edi), %ecx
    cmpl %ecx, %eax
    jne 3f
    cmpl %ebp, %esp
    jne 3f
    movw %cs, %cx
    cmpw $(SEL_UCODE32 | 3), %cx
    jne 3f
    movw %ss, %cx
    cmpw $(SEL_UDATA | 3), %cx
    je 4f
3:  incl u_bad
4:  incl u_count
    decl %edi
    jnz 1b
    int $VEC_TO_KERNEL

/* ---- 64-bit SYSCALL / SYSRET ---- */
    .code64
long_main:
    movq $istack_top, %rdi
    call tss64_load
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_SCE, %eax
    wrmsr
    movl $MSR_STAR, %ecx
    xorl %eax, %eax
    movl $(SEL_UCODE32 << 16) | SEL_KCODE64, %edx
    wrmsr
    movl $MSR_LSTAR, %ecx
    movl $syscall_entry, %eax
    xorl %edx, %edx
    wrmsr
    movl $MSR_FMASK, %ecx
    movl $FMASK, %eax
    wrmsr
    USER64 user_syscall, 1f
1:  cmpl $VEC_TO_KERNEL, exc_vector
    CHECK64 e, "SYSCALL: user code came back through int VEC_TO_KERNEL"
    cmpq $ROUNDS64, k_count
    CHECK64 e, "SYSCALL: 1000 entries from CPL 3 through LSTAR"
    cmpq $0, k_seg_bad
    CHECK64 e, "SYSCALL: CS = STAR[47:32] (0x30), SS = +8 (0x38)"
    cmpq $0, k_ret_bad
    CHECK64 e, "SYSCALL: RCX = return RIP, R11 = user RFLAGS"
    cmpq $0, k_flags_bad
    CHECK64 e, "SYSCALL: RFLAGS masked by FMASK (TF IF DF AC clear)"
    cmpq $ROUNDS64, u_count
    jne 2f
    cmpq $0, u_bad
2:  je 3f
    PRINT64 "# user-side mismatches (1 result, 2 RSP, 4 RFLAGS, 8 CS, 16 SS): "
    movq u_bad, %rax
    call puthex64
    call newline64
    cmpq $0, u_bad
3:  CHECK64 e, "SYSRET: CS 0x2b, SS 0x23, RFLAGS = R11, RIP = RCX, result"
    movq exc_eip, %rax
    cmpq $user_syscall_end + 2, %rax
    CHECK64 e, "SYSCALL: the user loop ran to its end"
    jmp tap_finish64

syscall_entry:
    movq %rsp, u_rsp_save
    movq $sys_stack_top, %rsp
    incq k_count
    movw %cs, %bx
    cmpw $SEL_KCODE64, %bx
    jne 1f
    movw %ss, %bx
    cmpw $SEL_KDATA64, %bx
    je 2f
1:  incq k_seg_bad
2:  cmpq %r12, %rcx                 /* user put the return RIP in R12 */
    jne 3f
    cmpq %r13, %r11                 /* ... and its RFLAGS in R13 */
    je 4f
3:  incq k_ret_bad
4:  pushfq
    popq %rbx
    testl $FMASK, %ebx
    jz 5f
    incq k_flags_bad
5:  incq %rax
    movq u_rsp_save, %rsp
    sysretq

user_syscall:
    movl $ROUNDS64, %edi
    std
    pushfq
    orl $0x40000, (%rsp)            /* AC, settable at CPL 3 */
    popfq
1:  movq %rdi, %rax
    shlq $32, %rax                  /* a 64-bit value */
    orq %rdi, %rax
    movq %rax, %r14
    leaq 2f(%rip), %r12
    pushfq
    popq %r13
    movq %rsp, %rbp
    syscall
2:  xorl %r15d, %r15d
    incq %r14
    cmpq %r14, %rax
    setne %r15b
    cmpq %rbp, %rsp
    setne %bl
    shlb $1, %bl
    orb %bl, %r15b
    pushfq
    popq %rbx
    xorq %r13, %rbx
    testq $~0x8D5, %rbx             /* all but the status flags */
    setnz %bl
    shlb $2, %bl
    orb %bl, %r15b
    movw %cs, %bx
    cmpw $(SEL_UCODE64 | 3), %bx
    setne %bl
    shlb $3, %bl
    orb %bl, %r15b
    movw %ss, %bx
    cmpw $(SEL_UDATA | 3), %bx
    setne %bl
    shlb $4, %bl
    orb %bl, %r15b
    orq %r15, u_bad
    incq u_count
    decl %edi
    jnz 1b
    cld
    pushfq
    andl $~0x40000, (%rsp)
    popfq
user_syscall_end:
    int $VEC_TO_KERNEL
