/*
 * callgate: a far CALL from CPL 3 through a 32-bit call gate with three
 * parameters to a CPL 1 handler (32-bit protected mode, paging off): the
 * stack switch to TSS.SS1:ESP1, the parameters copied in order, the old
 * SS:ESP and CS:EIP on the new stack, and RET imm16 back to CPL 3.  Then
 * (checked only under Osprey: QEMU 7.2's TCG checks neither) the limits:
 *   - a new stack without room for SS:ESP, the parameters and CS:EIP:
 *     #SS(new SS selector) on the CALL, nothing written there;
 *   - parameters reaching beyond the caller's SS limit: #SS(0).
 * CPL 1 (not 0) so the #SS itself is delivered on the intact CPL 0 stack.
 */
#include "lib/runtime.h"

#define SEL_GATE    SEL_SPARE0  /* call gate, DPL 3, 3 parameters */
#define SEL_CODE1   SEL_SPARE1  /* flat 32-bit code, DPL 1 */
#define SEL_SS1     SEL_SPARE2  /* the CPL 1 stack: flat, or small */
#define SEL_USS     SEL_SPARE3  /* a small DPL 3 stack for the caller */
#define NPARAM      3
#define FRAME       ((4 + NPARAM) * 4)
#define PATTERN     0xa5a5a5a5

    .data
    .balign 8
g_cs:       .long 0
g_esp:      .long 0
g_frame:    .fill 7, 4, 0
u_esp:      .long 0

    .bss
    .balign 16
sstack:     .skip 4096          /* CPL 1 stack */
sstack_top:
ubuf:       .skip 256           /* the caller's small stack */

    .text
    .code32

/* The CPL 1 stack: flat with ESP1 = sstack_top (small = 0), or based at
 * sstack with limit 0xfff and ESP1 = FRAME - 8 (too small by 8 bytes). */
set_ss1:
    pushal
    movl $SEL_SS1, %ebx
    testl %eax, %eax
    jnz 1f
    xorl %eax, %eax
    movl $0xfffff, %ecx
    movl $0xc0b2, %edx
    call gdt_set_desc
    movl $sstack_top, tss32 + 0x0c
    jmp 2f
1:  movl $sstack, %eax
    movl $0xfff, %ecx
    movl $0x40b2, %edx
    call gdt_set_desc
    movl $(FRAME - 8), tss32 + 0x0c
2:  movl $(SEL_SS1 | 1), tss32 + 0x10
    popal
    ret

/* CPL 1: record CS, ESP and the frame, return to CPL 3 popping the
 * parameters. */
gate_handler:
    movw %cs, %ax
    movzwl %ax, %eax
    movl %eax, g_cs
    movl %esp, g_esp
    .irp i, 0, 1, 2, 3, 4, 5, 6
    movl 4*\i(%esp), %eax
    movl %eax, g_frame + 4*\i
    .endr
    lret $(NPARAM * 4)

/* CPL 3 callers. */
user_call:
    pushl $0x33333333
    pushl $0x22222222
    pushl $0x11111111
user_lcall:
    lcall $(SEL_GATE | 3), $0
    movl %esp, u_esp
    int $VEC_TO_KERNEL

user_call_small_ss:
    movw $(SEL_USS | 3), %ax
    movw %ax, %ss
    movl $0xf8, %esp            /* parameters at 0xf8, 0xfc, 0x100: the last
                                 * beyond the limit 0xff */
user_lcall_small:
    lcall $(SEL_GATE | 3), $0
    int $VEC_TO_KERNEL


    .globl test_main
test_main:
    PLAN 13
    call tss32_load
    movl $SEL_CODE1, %ebx
    xorl %eax, %eax
    movl $0xfffff, %ecx
    movl $0xc0ba, %edx          /* code, DPL 1, 4 GiB */
    call gdt_set_desc
    movl $SEL_USS, %ebx
    movl $ubuf, %eax
    movl $0xff, %ecx
    movl $0x40f2, %edx          /* data, DPL 3, limit 0xff */
    call gdt_set_desc
    /* the gate: CODE1:gate_handler, P, DPL 3, type 0xC, 3 parameters */
    movl $gate_handler, %eax
    andl $0xffff, %eax
    orl $(SEL_CODE1 << 16), %eax
    movl %eax, gdt + SEL_GATE
    movl $gate_handler, %eax
    andl $0xffff0000, %eax
    orl $(0xec00 | NPARAM), %eax
    movl %eax, gdt + SEL_GATE + 4
    xorl %eax, %eax
    call set_ss1

    USER32 user_call, 1f
1:  cmpl $VEC_TO_KERNEL, exc_vector
    CHECK e, "CALL through the gate and RET back to CPL 3"
    cmpl $(SEL_CODE1 | 1), g_cs
    CHECK e, "gate handler runs at CPL 1"
    cmpl $(sstack_top - FRAME), g_esp
    CHECK e, "new stack: TSS.ESP1 less EIP, CS, 3 parameters, ESP, SS"
    cmpl $user_lcall + 7, g_frame
    CHECK e, "new stack: return EIP"
    cmpl $(SEL_UCODE32 | 3), g_frame + 4
    CHECK e, "new stack: return CS"
    cmpl $0x11111111, g_frame + 8
    jne 2f
    cmpl $0x22222222, g_frame + 12
    jne 2f
    cmpl $0x33333333, g_frame + 16
2:  CHECK e, "new stack: the 3 parameters copied in order"
    cmpl $(ustack_top - 12), g_frame + 20
    CHECK e, "new stack: the caller's ESP"
    cmpl $(SEL_UDATA | 3), g_frame + 24
    CHECK e, "new stack: the caller's SS"
    cmpl $ustack_top, u_esp
    CHECK e, "RET 12 back at CPL 3: the caller's parameters popped"

    call is_osprey32
    jnz 3f
    .rept 4
    SKIP "call gate stack limits: checked only under Osprey (QEMU's TCG does not)"
    .endr
    ret

3:  /* A new stack 8 bytes too small. */
    movl $1, %eax
    call set_ss1
    movl $sstack, %edi
    movl $PATTERN, %eax
    movl $(FRAME / 4), %ecx
    rep stosl
    USER32 user_call, 1f
1:  CHECK_EXC 12, SEL_SS1, user_lcall, "new stack without room: #SS(new SS) at the CALL"
    movl $sstack, %esi
    movl $(FRAME / 4), %ecx
4:  cmpl $PATTERN, (%esi)
    jne 5f
    leal 4(%esi), %esi          /* flags stay those of the CMP */
    loop 4b
5:  CHECK e, "new stack without room: nothing written there"

    /* Parameters beyond the caller's SS limit. */
    xorl %eax, %eax
    call set_ss1
    USER32 user_call_small_ss, 1f
1:  CHECK_EXC 12, 0, user_lcall_small, "parameters beyond the caller's SS limit: #SS(0)"
    cmpl $(SEL_UCODE32 | 3), exc_cs
    CHECK e, "parameters beyond the caller's SS limit: still at CPL 3"
    ret
