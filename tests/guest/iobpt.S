/*
 * iobpt: I/O breakpoints (DR7 R/W = 10b) in 32-bit protected mode.  With
 * CR4.DE set, IN/OUT/INS/OUTS touching the port range (length 1, 2 or 4)
 * trap with #DB after the instruction, DR6.Bn naming the breakpoint;
 * accesses outside the range do not.  With CR4.DE clear the encoding is
 * undefined: MOV to DR7 takes it without a fault and no breakpoint fires
 * (as QEMU does); setting CR4.DE afterwards arms it.  Ports 0x80-0x87
 * (POST and DMA page registers) take the accesses harmlessly.
 */
#include "lib/runtime.h"

/* DR7 for breakpoint n: local enable, R/W type t, LEN code l. */
#define BP(n, t, l) ((1 << ((n) * 2)) | ((t) << (16 + (n) * 4)) | ((l) << (18 + (n) * 4)))
#define RW_IO       2
#define LEN1        0
#define LEN2        1
#define LEN4        3
#define CR4_DE      (1 << 3)

    .data
    .balign 16
iobuf:      .long 0, 0

    .text
    .code32

/* dr6_low: EAX = DR6 & 0xf. */
dr6_low:
    movl %dr6, %eax
    andl $0xf, %eax
    ret

/* clear_dr6: DR6 = 0 (the low bits are sticky). */
clear_dr6:
    pushl %eax
    xorl %eax, %eax
    movl %eax, %dr6
    popl %eax
    ret

set_de:
    movl %cr4, %eax
    orl $CR4_DE, %eax
    movl %eax, %cr4
    ret

clear_de:
    movl %cr4, %eax
    andl $~CR4_DE, %eax
    movl %eax, %cr4
    ret

    .globl test_main
test_main:
    PLAN 20

    /* CR4.DE clear: R/W = 10b is accepted and does nothing. */
    call clear_de
    call clear_dr6
    movl $0x80, %eax
    movl %eax, %dr0
    movl $BP(0, RW_IO, LEN1), %eax
    EXPECT_EXC 1f
    movl %eax, %dr7
1:  cmpl $NO_VECTOR, exc_vector
    CHECK e, "CR4.DE=0: MOV to DR7 with R/W=10b does not fault"
    /* undefined by the SDM; QEMU 7.2 fires the breakpoint anyway */
    call is_osprey32
    jz 2f
    EXPECT_EXC 1f
    outb %al, $0x80
1:  cmpl $NO_VECTOR, exc_vector
    CHECK e, "CR4.DE=0: OUT to the port does not trap"
    jmp 3f
2:  SKIP "CR4.DE=0: OUT to the port does not trap (QEMU's TCG traps)"
3:

    /* Setting CR4.DE arms it. */
    call set_de
    call clear_dr6
    EXPECT_EXC 1f
    outb %al, $0x80
1:  CHECK_EXC 1, -1, 1b, "OUT imm8 to the port: #DB trap after it"
    call dr6_low
    cmpl $1, %eax
    CHECK e, "OUT imm8: DR6.B0"
    call clear_dr6
    movw $0x80, %dx
    EXPECT_EXC 1f
    inb %dx, %al
1:  CHECK_EXC 1, -1, 1b, "IN DX from the port: #DB trap after it"
    call dr6_low
    cmpl $1, %eax
    CHECK e, "IN DX: DR6.B0"
    EXPECT_EXC 1f
    outb %al, $0x81
1:  cmpl $NO_VECTOR, exc_vector
    CHECK e, "OUT to the next port (length 1): no #DB"

    /* DR1: ports 0x84-0x87 (length 4). */
    movl $0x84, %eax
    movl %eax, %dr1
    movl $(BP(0, RW_IO, LEN1) | BP(1, RW_IO, LEN4)), %eax
    movl %eax, %dr7
    call clear_dr6
    EXPECT_EXC 1f
    outb %al, $0x86
1:  CHECK_EXC 1, -1, 1b, "OUT to 0x86, breakpoint 0x84 length 4: #DB"
    call dr6_low
    cmpl $2, %eax
    CHECK e, "length 4: DR6.B1 only"
    call clear_dr6
    movw $0x83, %dx
    EXPECT_EXC 1f
    outw %ax, %dx
1:  CHECK_EXC 1, -1, 1b, "16-bit OUT to 0x83 overlapping 0x84: #DB"
    call dr6_low
    cmpl $2, %eax
    CHECK e, "16-bit OUT overlapping: DR6.B1"
    movw $0x82, %dx
    EXPECT_EXC 1f
    outw %ax, %dx
1:  cmpl $NO_VECTOR, exc_vector
    CHECK e, "16-bit OUT to 0x82-0x83: no #DB"

    /* String forms. */
    call clear_dr6
    movw $0x80, %dx
    movl $iobuf, %esi
    cld
    EXPECT_EXC 1f
    outsb
1:  CHECK_EXC 1, -1, 1b, "OUTSB to the port: #DB trap after it"
    cmpl $iobuf + 1, %esi
    CHECK e, "OUTSB: ESI advanced before the trap"
    call clear_dr6
    movl $iobuf, %edi
    EXPECT_EXC 1f
    insb
1:  CHECK_EXC 1, -1, 1b, "INSB from the port: #DB trap after it"
    call dr6_low
    cmpl $1, %eax
    CHECK e, "INSB: DR6.B0"

    /* REP OUTSB: the trap comes after the first iteration, EIP still on
     * the instruction (the rest runs after the handler returns). */
    call clear_dr6
    movw $0x80, %dx
    movl $iobuf, %esi
    movl $3, %ecx
    EXPECT_EXC 1f
rep_outs:
    rep outsb
1:  cmpl $iobuf + 1, %esi
    CHECK e, "REP OUTSB: #DB after one iteration (ESI advanced once)"
    /* QEMU 7.2 reports the EIP after the instruction and loses the
     * remaining count */
    call is_osprey32
    jz 2f
    CHECK_EXC 1, -1, rep_outs, "REP OUTSB: #DB with EIP still on the instruction"
    cmpl $2, %ecx
    CHECK e, "REP OUTSB: ECX counts the one iteration done"
    jmp 3f
2:  SKIP "REP OUTSB: EIP on the instruction (QEMU's TCG: after it)"
    SKIP "REP OUTSB: ECX counts one iteration (QEMU's TCG: loses the rest)"
3:

    /* CR4.DE cleared again: the breakpoints are off. */
    call clear_de
    call is_osprey32
    jz 2f
    EXPECT_EXC 1f
    outb %al, $0x80
1:  cmpl $NO_VECTOR, exc_vector
    CHECK e, "CR4.DE cleared: OUT no longer traps"
    jmp 3f
2:  SKIP "CR4.DE cleared: OUT no longer traps (QEMU's TCG traps)"
3:

    xorl %eax, %eax
    movl %eax, %dr7
    call clear_dr6
    movl $0, exc_recover
    ret
