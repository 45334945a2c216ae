/*
 * cslimit: the CS limit in 32-bit protected mode (paging off).  A code
 * area (one page, cs_area) is reached through code segments based at it
 * with limits below its end:
 *   - far JMP/CALL/RET/IRET and an INT gate whose target offset lies
 *     beyond the target segment's limit: #GP(0) on the instruction, no
 *     state changed (stack pointer as it was);
 *   - near JMP/CALL (indirect and relative), RET, Jcc and LOOP to a target
 *     beyond the limit: #GP(0) on the branch, ESP and ECX as they were;
 *   - straight-line code running off the end of the segment: #GP(0) with
 *     EIP = limit + 1; an instruction straddling the limit: #GP(0) at its
 *     first byte.  Both first run through a segment with a larger limit
 *     and the same base, so the translated code is already cached.
 * Code beyond the limits returns normally, so a missing check fails.
 */
#include "lib/runtime.h"

#define SEL_LIM     SEL_SPARE0  /* code, base cs_area, limit LIM */
#define SEL_BIG     SEL_SPARE1  /* code, base cs_area, limit 0xfff */
#define SEL_STR     SEL_SPARE2  /* code, base cs_area, limit STR_LIM */
#define LIM         0xeff
#define STR_LIM     0xe7f
#define OFF(x)      ((x) - cs_area)
#define VEC_BEYOND  0x41        /* IDT gate to SEL_LIM:beyond */

    .data
    .balign 8
lim_ret:    .long 0             /* far pointer out of the area */
            .word SEL_KCODE32
saved_esp:  .long 0
far_call_err: .long 0

    .text
    .code32

/*
 * Enter the area at entry through selector sel; execution continues
 * after the macro whether the code faulted (the recovery point is a_back,
 * in the area, which jumps out) or not.
 */
.macro ENTER_AREA sel, entry
    movl $.Lback\@, lim_ret
    movl $NO_VECTOR, exc_vector
    movl $OFF(a_back), exc_recover
    movl %esp, saved_esp
    ljmp $\sel, $OFF(\entry)
.Lback\@:
.endm

    .globl test_main
test_main:
    PLAN 28
    movl $cs_area, %eax
    movl $0x409a, %edx
    movl $SEL_LIM, %ebx
    movl $LIM, %ecx
    call gdt_set_desc
    movl $SEL_BIG, %ebx
    movl $0xfff, %ecx
    call gdt_set_desc
    movl $SEL_STR, %ebx
    movl $STR_LIM, %ecx
    call gdt_set_desc

    /* Control: inside the limit everything runs. */
    movl $OFF(a_back), %eax
    ENTER_AREA SEL_LIM, a_jmp_eax
    cmpl $NO_VECTOR, exc_vector
    CHECK e, "near JMP within the limit runs"
    ENTER_AREA SEL_BIG, beyond
    cmpl $NO_VECTOR, exc_vector
    CHECK e, "code up to a larger limit runs"

    /* Far transfers to an offset beyond the limit. */
    EXPECT_EXC 1f
    movl $1f, lim_ret
    movl %esp, saved_esp
far_jmp:
    ljmp $SEL_LIM, $OFF(beyond)
1:  CHECK_EXC 13, 0, far_jmp, "far JMP beyond the limit: #GP(0) at the JMP"
    movl $1f, lim_ret
    EXPECT_EXC 1f
far_call:
    lcall $SEL_LIM, $OFF(beyond)
1:  CHECK_EXC 13, -1, far_call, "far CALL beyond the limit: #GP at the CALL"
    movl exc_error, %eax
    movl %eax, far_call_err
    cmpl saved_esp, %esp
    CHECK e, "far CALL beyond the limit: ESP unchanged"

    /* Running off the end and an instruction straddling the limit: the
     * code first runs under a larger limit, so it is translated (and
     * cached) before the same bytes run under the small one. */
    ENTER_AREA SEL_BIG, a_runoff
    cmpl $NO_VECTOR, exc_vector
    CHECK e, "straight-line code up to 0xf00 runs under limit 0xfff"
    xorl %eax, %eax
    ENTER_AREA SEL_BIG, a_straddle
    cmpl $0x12345678, %eax
    CHECK e, "MOV across 0xe7f runs under limit 0xfff"

    /* QEMU 7.2's TCG checks only far JMP/CALL: the rest under Osprey. */
    call is_osprey32
    jnz 2f
    .rept 21
    SKIP "CS limit: checked only under Osprey (QEMU's TCG does not check it here)"
    .endr
    ret
2:  cmpl $0, far_call_err
    CHECK e, "far CALL beyond the limit: error code 0"

    pushl $SEL_LIM
    pushl $OFF(beyond)
    movl $1f, lim_ret
    EXPECT_EXC 1f
far_ret:
    lret
1:  CHECK_EXC 13, 0, far_ret, "far RET beyond the limit: #GP(0) at the RET"
    leal 8(%esp), %eax
    cmpl saved_esp, %eax
    CHECK e, "far RET beyond the limit: ESP unchanged"
    addl $8, %esp
    pushfl
    pushl $SEL_LIM
    pushl $OFF(beyond)
    movl $1f, lim_ret
    EXPECT_EXC 1f
far_iret:
    iretl
1:  CHECK_EXC 13, 0, far_iret, "IRET beyond the limit: #GP(0) at the IRET"
    leal 12(%esp), %eax
    cmpl saved_esp, %eax
    CHECK e, "IRET beyond the limit: ESP unchanged"
    addl $12, %esp
    /* An interrupt gate whose offset lies beyond its segment's limit. */
    movl $VEC_BEYOND, %eax
    movl $OFF(beyond), %edx
    movl $GATE_INT, %ecx
    call idt32_set
    movw $SEL_LIM, idt32 + VEC_BEYOND * 8 + 2
    movl $1f, lim_ret
    EXPECT_EXC 1f
int_beyond:
    int $VEC_BEYOND
1:  CHECK_EXC 13, 0, int_beyond, "INT through a gate beyond the limit: #GP(0)"
    cmpl saved_esp, %esp
    CHECK e, "INT through a gate beyond the limit: ESP unchanged"

    /* Near branches to a target beyond the limit. */
    movl $OFF(beyond), %eax
    ENTER_AREA SEL_LIM, a_jmp_eax
    CHECK_EXC 13, 0, OFF(a_jmp_eax), "JMP r32 beyond the limit: #GP(0) at the JMP"
    movl $OFF(beyond), %eax
    ENTER_AREA SEL_LIM, a_call_eax
    CHECK_EXC 13, 0, OFF(a_call_eax), "CALL r32 beyond the limit: #GP(0) at the CALL"
    cmpl saved_esp, %esp
    CHECK e, "CALL r32 beyond the limit: ESP unchanged"
    ENTER_AREA SEL_LIM, a_call_rel
    CHECK_EXC 13, 0, OFF(a_call_rel), "CALL rel32 beyond the limit: #GP(0) at the CALL"
    cmpl saved_esp, %esp
    CHECK e, "CALL rel32 beyond the limit: ESP unchanged"
    ENTER_AREA SEL_LIM, a_jmp_rel
    CHECK_EXC 13, 0, OFF(a_jmp_rel), "JMP rel32 beyond the limit: #GP(0) at the JMP"
    pushl $OFF(beyond)
    ENTER_AREA SEL_LIM, a_ret
    CHECK_EXC 13, 0, OFF(a_ret), "RET beyond the limit: #GP(0) at the RET"
    cmpl saved_esp, %esp
    CHECK e, "RET beyond the limit: ESP unchanged"
    addl $4, %esp
    ENTER_AREA SEL_LIM, a_jcc
    CHECK_EXC 13, 0, OFF(a_jcc_insn), "taken Jcc beyond the limit: #GP(0) at the Jcc"
    movl $5, %ecx
    ENTER_AREA SEL_LIM, a_loop
    CHECK_EXC 13, 0, OFF(a_loop), "LOOP beyond the limit: #GP(0) at the LOOP"
    cmpl $5, %ecx
    CHECK e, "LOOP beyond the limit: ECX unchanged"

    ENTER_AREA SEL_LIM, a_runoff
    CHECK_EXC 13, 0, OFF(beyond), "code running off the limit: #GP(0) at limit + 1"
    xorl %eax, %eax
    ENTER_AREA SEL_STR, a_straddle
    CHECK_EXC 13, 0, OFF(a_straddle), "MOV across the limit: #GP(0) at its first byte"
    testl %eax, %eax
    CHECK e, "MOV across the limit: EAX unchanged"
    ret



/*
 * The code area: segments based here.  Offsets below the limits hold the
 * entry points; `beyond` (0xf00) lies past SEL_LIM's limit.  a_back is
 * not at offset 0 (exc_recover 0 means "no recovery").
 */
    .balign 4096
cs_area:
    nop
    .org cs_area + 0x08
a_back:
    ljmpl *lim_ret
    .org cs_area + 0x10
a_jmp_eax:
    jmp *%eax
    .org cs_area + 0x20
a_call_eax:
    call *%eax
    .org cs_area + 0x30
a_ret:
    ret
    .org cs_area + 0x40
a_jcc:
    cmpl %eax, %eax
a_jcc_insn:
    je beyond
    .org cs_area + 0x60
a_jmp_rel:
    jmp beyond
    .org cs_area + 0x70
a_call_rel:
    call beyond
    .org cs_area + STR_LIM + 1 - 4
a_straddle:
    movl $0x12345678, %eax      /* 5 bytes: the last one past STR_LIM */
    jmp a_back
    .org cs_area + 0xea0
a_loop:
    loop beyond                 /* rel8: needs to be near the limit */
    jmp a_back
    .org cs_area + LIM + 1 - 8
a_runoff:
    .fill 8, 1, 0x90
beyond:                         /* LIM + 1 */
    ljmpl *lim_ret
    .fill 16, 1, 0x90
    ljmpl *lim_ret
    .org cs_area + 0x1000
