/*
 * tasks: hardware task switches in 32-bit protected mode (paging off).
 * CALL / JMP to a TSS and through a task gate (GDT and IDT), IRET with
 * NT back through the back link, busy bits, NT, the state saved in the
 * outgoing TSS, #GP for a busy target, #TS for a short TSS limit, #NP
 * for a not-present TSS, #DF delivered through a task gate (error code
 * on the new task's stack) and a 16-bit TSS.
 */
#include "lib/runtime.h"

#define SEL_TSS_B   SEL_SPARE0  /* 32-bit task B */
#define SEL_GATE_B  SEL_SPARE1  /* task gate -> B */
#define SEL_TSS_X   SEL_SPARE2  /* bad TSSs, then the 16-bit task */
#define SEL_TSS_C   SEL_SPARE3  /* #DF task */
#define VEC_TASK    0x40        /* IDT task gate -> B */
#define LOW_CODE    0x6000      /* the 16-bit task's code (IP < 64 KiB) */
#define LOW_STACK   0x6ff0

    .data
    .balign 16
tss_b:      .fill 26, 4, 0
    .balign 16
tss_c:      .fill 26, 4, 0
b_mode:     .long 0             /* 0: return by IRET, 1: by JMP to task A */
b_count:    .long 0
b_tr:       .long 0
b_eflags:   .long 0
b_link:     .long 0
b_type_a:   .long 0
b_type_b:   .long 0
c_err:      .long 0
c_link:     .long 0
c_esp:      .long 0
c_count:    .long 0

    .bss
    .balign 16
tstack_b:   .skip 4096
tstack_b_top:
tstack_c:   .skip 4096
tstack_c_top:

    .text
    .code32

/* set_task_gate: EBX = address of the 8-byte slot, EAX = TSS selector. */
set_task_gate:
    shll $16, %eax
    movl %eax, (%ebx)
    movl $0x8500, 4(%ebx)
    ret

/* desc_type: AL = the type nibble of the GDT descriptor for selector EBX. */
desc_type:
    movl gdt+4(%ebx), %eax
    shrl $8, %eax
    andl $0xf, %eax
    ret

/* init_tss32: EDI = TSS, EAX = EIP, EDX = ESP: flat kernel selectors. */
init_tss32:
    pushl %eax
    pushl %ecx
    pushl %edi
    pushl %eax
    xorl %eax, %eax
    movl $26, %ecx
    rep stosl
    popl %eax
    popl %edi
    movl %eax, 0x20(%edi)
    movl $2, 0x24(%edi)
    movl %edx, 0x38(%edi)
    movl $SEL_KDATA, 0x48(%edi)
    movl $SEL_KCODE32, 0x4c(%edi)
    movl $SEL_KDATA, 0x50(%edi)
    movl $SEL_KDATA, 0x54(%edi)
    movl $SEL_KDATA, 0x58(%edi)
    movl $SEL_KDATA, 0x5c(%edi)
    movw $104, 0x66(%edi)
    popl %ecx
    popl %eax
    ret

/* Task B: records what it sees, then returns by IRET or by JMP to A. */
task_b:
    incl b_count
    str %eax
    movl %eax, b_tr
    pushfl
    popl b_eflags
    movzwl tss_b, %eax
    movl %eax, b_link
    movl $SEL_TSS, %ebx
    call desc_type
    movl %eax, b_type_a
    movl $SEL_TSS_B, %ebx
    call desc_type
    movl %eax, b_type_b
    movl $0x99999999, %ebx
    movl $0x88888888, %esi
    cmpl $0, b_mode
    jne 1f
    iretl
b_after_iret:
    jmp task_b
1:  ljmp $SEL_TSS, $0
    jmp task_b

/* Task C: the #DF handler; the error code is on its stack. */
task_c:
    incl c_count
    movl %esp, c_esp
    popl %eax
    movl %eax, c_err
    movzwl tss_c, %eax
    movl %eax, c_link
    movl $13, %eax              /* the #GP gate back, so A's retry is a #GP */
    call idt32_stub
    movl $GATE_INT, %ecx
    call idt32_set
    iretl
    jmp task_c

/* The 16-bit task's code, copied to LOW_CODE. */
low_code:
    movl $0x1234, %eax
    iretl
    jmp low_code - low_code + LOW_CODE
low_code_end:

    .globl test_main
test_main:
    PLAN 34
    call tss32_load
    movl $tss_b, %edi
    movl $task_b, %eax
    movl $tstack_b_top, %edx
    call init_tss32
    movl $SEL_TSS_B, %ebx
    movl $tss_b, %eax
    movl $103, %ecx
    movl $0x89, %edx
    call gdt_set_desc

    /* CALL to a TSS: nested task, back by IRET. */
    movl $0x11111111, %ebx
    movl $0x22222222, %esi
    lcall $SEL_TSS_B, $0
    cmpl $0x11111111, %ebx
    CHECK e, "CALL TSS + IRET: EBX of the caller restored"
    cmpl $0x22222222, %esi
    CHECK e, "CALL TSS + IRET: ESI of the caller restored"
    cmpl $1, b_count
    CHECK e, "CALL TSS: task B ran once"
    cmpl $SEL_TSS_B, b_tr
    CHECK e, "CALL TSS: TR = B's selector inside B"
    testl $0x4000, b_eflags
    CHECK nz, "CALL TSS: EFLAGS.NT set in the nested task"
    cmpl $SEL_TSS, b_link
    CHECK e, "CALL TSS: B's back link = caller's TSS"
    cmpl $0xb, b_type_a
    CHECK e, "CALL TSS: caller's TSS stays busy"
    cmpl $0xb, b_type_b
    CHECK e, "CALL TSS: B's TSS busy"
    pushfl
    popl %eax
    testl $0x4000, %eax
    CHECK z, "IRET task return: NT clear in the caller"
    movl $SEL_TSS_B, %ebx
    call desc_type
    cmpl $9, %eax
    CHECK e, "IRET task return: B's TSS no longer busy"
    cmpl $b_after_iret, tss_b + 0x20
    CHECK e, "IRET task return: B's TSS holds the EIP after its IRET"
    cmpl $0x99999999, tss_b + 0x34
    CHECK e, "IRET task return: B's TSS holds B's EBX"
    str %eax
    cmpw $SEL_TSS, %ax
    CHECK e, "IRET task return: TR = caller's TSS"
    movl %cr0, %eax
    testl $CR0_TS, %eax
    CHECK nz, "task switch sets CR0.TS"
    clts

    /* CALL through a task gate in the GDT: B resumes after its IRET. */
    movl $gdt + SEL_GATE_B, %ebx
    movl $SEL_TSS_B, %eax
    call set_task_gate
    lcall $SEL_GATE_B, $0
    cmpl $2, b_count
    CHECK e, "CALL task gate: task B resumed"

    /* JMP to a TSS: no nesting; B comes back by JMP to A. */
    movl $1, b_mode
    ljmp $SEL_TSS_B, $0
    movl $0, b_mode
    testl $0x4000, b_eflags
    CHECK z, "JMP TSS: NT clear in the new task"
    cmpl $9, b_type_a
    CHECK e, "JMP TSS: the old task's TSS is available"
    cmpl $0xb, b_type_b
    CHECK e, "JMP TSS: the new task's TSS is busy"
    movl $SEL_TSS_B, %ebx
    call desc_type
    cmpl $9, %eax
    CHECK e, "JMP back: B's TSS available again"
    movl $SEL_TSS, %ebx
    call desc_type
    cmpl $0xb, %eax
    CHECK e, "JMP back: A's TSS busy again"

    /* CALL to a busy TSS: #GP(selector). */
    EXPECT_EXC 1f
busy_insn:
    lcall $SEL_TSS, $0
1:  CHECK_EXC 13, SEL_TSS, busy_insn, "CALL to a busy TSS: #GP(selector)"

    /* A TSS limit below 103: #TS(selector). */
    movl $SEL_TSS_X, %ebx
    movl $tss_b, %eax
    movl $0x60, %ecx
    movl $0x89, %edx
    call gdt_set_desc
    EXPECT_EXC 1f
short_insn:
    lcall $SEL_TSS_X, $0
1:  CHECK_EXC 10, SEL_TSS_X, short_insn, "CALL to a TSS with limit 0x60: #TS(selector)"

    /* A not-present TSS: #NP(selector). */
    movl $SEL_TSS_X, %ebx
    movl $tss_b, %eax
    movl $103, %ecx
    movl $0x09, %edx
    call gdt_set_desc
    EXPECT_EXC 1f
np_insn:
    ljmp $SEL_TSS_X, $0
1:  CHECK_EXC 11, SEL_TSS_X, np_insn, "JMP to a not-present TSS: #NP(selector)"

    /* INT n through a task gate in the IDT. */
    movl $idt32 + VEC_TASK * 8, %ebx
    movl $SEL_TSS_B, %eax
    call set_task_gate
    movl $0x33333333, %ebx
    int $VEC_TASK
    cmpl $0x33333333, %ebx
    CHECK e, "INT through a task gate: caller's EBX restored"
    cmpl $4, b_count
    CHECK e, "INT through a task gate: task B ran"
    testl $0x4000, b_eflags
    CHECK nz, "INT through a task gate: nested (NT set)"

    /* #DF through a task gate: #GP while the #GP gate is not present. */
    movl $tss_c, %edi
    movl $task_c, %eax
    movl $tstack_c_top, %edx
    call init_tss32
    movl $SEL_TSS_C, %ebx
    movl $tss_c, %eax
    movl $103, %ecx
    movl $0x89, %edx
    call gdt_set_desc
    movl $idt32 + 8 * 8, %ebx
    movl $SEL_TSS_C, %eax
    call set_task_gate
    movl $13, %eax
    call idt32_stub
    movl $GATE_ABSENT, %ecx
    call idt32_set
    EXPECT_EXC 1f
    movw $0x7ff8, %ax
df_insn:
    movw %ax, %ds
1:  CHECK_EXC 13, 0x7ff8, df_insn, "after the #DF task returns, the faulting MOV DS retries: #GP"
    cmpl $1, c_count
    CHECK e, "#DF through a task gate: task C ran"
    cmpl $0, c_err
    CHECK e, "#DF task: error code 0 on its stack"
    cmpl $tstack_c_top - 4, c_esp
    CHECK e, "#DF task: the error code is the only thing pushed (ESP = top - 4)"
    cmpl $SEL_TSS, c_link
    CHECK e, "#DF task: back link = interrupted task"

    /* A 16-bit TSS: IP, SP and selectors in 16-bit fields. */
    movl $low_code, %esi
    movl $LOW_CODE, %edi
    movl $low_code_end - low_code, %ecx
    rep movsb
    movl $tss_c, %edi           /* reuse: C is done */
    xorl %eax, %eax
    movl $26, %ecx
    rep stosl
    movw $LOW_CODE, tss_c + 0x0e
    movw $2, tss_c + 0x10
    movw $LOW_STACK, tss_c + 0x1a
    movw $SEL_KDATA, tss_c + 0x22
    movw $SEL_KCODE32, tss_c + 0x24
    movw $SEL_KDATA, tss_c + 0x26
    movw $SEL_KDATA, tss_c + 0x28
    movl $SEL_TSS_X, %ebx
    movl $tss_c, %eax
    movl $43, %ecx
    movl $0x81, %edx
    call gdt_set_desc
    movl $0x55555555, %eax
    lcall $SEL_TSS_X, $0
    cmpl $0x55555555, %eax
    CHECK e, "16-bit TSS: caller's EAX restored"
    cmpw $0x1234, tss_c + 0x12
    CHECK e, "16-bit TSS: the task's AX saved at offset 0x12"
    cmpw $LOW_CODE + 6, tss_c + 0x0e
    CHECK e, "16-bit TSS: the task's IP (after IRET) saved at offset 0x0e"
    ret
