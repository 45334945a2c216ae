/*
 * debug: the debug registers in 32-bit protected mode (paging off).
 * Instruction breakpoints (a fault at the instruction, EFLAGS.RF lets it
 * run once), data breakpoints (a trap after the access) of the write and
 * read/write kinds and lengths 1, 2, 4 and 8, DR6 B0-B3, DR4/DR5
 * aliases and CR4.DE.  DR7.GD and ICEBP are left to the unit tests
 * (test-x86-system): QEMU's TCG implements neither.
 */
#include "lib/runtime.h"

#define DR7_LE      0x100
/* DR7 for breakpoint n: local enable, R/W type t, LEN code l. */
#define BP(n, t, l) ((1 << ((n) * 2)) | ((t) << (16 + (n) * 4)) | ((l) << (18 + (n) * 4)))
#define RW_EXEC     0
#define RW_WRITE    1
#define RW_RDWR     3
#define LEN1        0
#define LEN2        1
#define LEN8        2
#define LEN4        3
#define CR4_DE      (1 << 3)

    .data
    .balign 16
watch_d:    .long 0, 0, 0, 0
watch_q:    .quad 0, 0
rf_hits:    .long 0
rf_runs:    .long 0

    .text
    .code32

/* #DB handler for the RF check: count, set RF in the frame, return. */
db_rf_handler:
    incl rf_hits
    orl $0x10000, 8(%esp)
    iretl

/* dr6_low: EAX = DR6 & 0xf. */
dr6_low:
    movl %dr6, %eax
    andl $0xf, %eax
    ret

    .globl test_main
test_main:
    PLAN 24

    /* Instruction breakpoint: #DB fault before the instruction runs. */
    xorl %eax, %eax
    movl %eax, %dr6
    movl $ibp_insn, %eax
    movl %eax, %dr0
    movl $BP(0, RW_EXEC, LEN1), %eax
    movl %eax, %dr7
    xorl %ecx, %ecx
    EXPECT_EXC 1f
ibp_insn:
    movl $1, %ecx
1:  xorl %eax, %eax
    movl %eax, %dr7
    CHECK_EXC 1, -1, ibp_insn, "instruction breakpoint: #DB with EIP = the instruction"
    testl %ecx, %ecx
    CHECK z, "instruction breakpoint: the instruction did not run"
    call dr6_low
    cmpl $1, %eax
    CHECK e, "instruction breakpoint: DR6.B0"
    movl %dr6, %eax
    testl $0x4000, %eax
    CHECK z, "instruction breakpoint: DR6.BS clear"

    /* RF: a handler returning with RF set runs the instruction once. */
    movl $1, %eax
    movl $db_rf_handler, %edx
    movl $GATE_INT, %ecx
    call idt32_set
    movl $rf_insn, %eax
    movl %eax, %dr1
    movl $BP(1, RW_EXEC, LEN1), %eax
    movl %eax, %dr7
    movl $3, %ecx
2:
rf_insn:
    incl rf_runs
    loop 2b
    xorl %eax, %eax
    movl %eax, %dr7
    cmpl $3, rf_runs
    CHECK e, "RF: the breakpointed instruction ran every time"
    cmpl $3, rf_hits
    CHECK e, "RF: one #DB per execution, none on the RF-resumed one"
    pushfl
    popl %eax
    testl $0x10000, %eax
    CHECK z, "RF: cleared after the instruction completes"
    movl $1, %eax
    call idt32_stub
    movl $GATE_INT, %ecx
    call idt32_set

    /* Write breakpoint, 4 bytes: a trap after the store. */
    xorl %eax, %eax
    movl %eax, %dr6
    movl $watch_d, %eax
    movl %eax, %dr1
    movl $BP(1, RW_WRITE, LEN4), %eax
    movl %eax, %dr7
    EXPECT_EXC 1f
    movl $5, watch_d
wbp_after:
    nop
1:  CHECK_EXC 1, -1, wbp_after, "write breakpoint: #DB trap, EIP after the store"
    cmpl $5, watch_d
    CHECK e, "write breakpoint: the store completed"
    call dr6_low
    cmpl $2, %eax
    CHECK e, "write breakpoint: DR6.B1"
    EXPECT_EXC 1f
    movl watch_d, %eax
    movl watch_d + 4, %eax      /* next to it: no hit either */
    movb $1, watch_d + 4
1:  cmpl $NO_VECTOR, exc_vector
    CHECK e, "write breakpoint: reads and neighbouring writes do not trigger"
    EXPECT_EXC 1f
    movb $7, watch_d + 3        /* one byte inside the 4 */
    nop
1:  cmpl $1, exc_vector
    CHECK e, "write breakpoint: a 1-byte store inside the range triggers"

    /* Read/write breakpoint, 2 bytes at watch_d + 2. */
    xorl %eax, %eax
    movl %eax, %dr6
    movl $watch_d + 2, %eax
    movl %eax, %dr2
    movl $BP(2, RW_RDWR, LEN2), %eax
    movl %eax, %dr7
    EXPECT_EXC 1f
    movb watch_d + 3, %al
rwbp_after:
    nop
1:  CHECK_EXC 1, -1, rwbp_after, "read/write breakpoint: a read traps after it"
    call dr6_low
    cmpl $4, %eax
    CHECK e, "read/write breakpoint: DR6.B2"
    EXPECT_EXC 1f
    movl watch_d, %eax          /* 4-byte read overlapping the 2 */
    nop
1:  cmpl $1, exc_vector
    CHECK e, "read/write breakpoint: an overlapping wider read triggers"
    EXPECT_EXC 1f
    movw watch_d, %ax           /* bytes 0-1: outside */
    movb watch_d + 4, %al
1:  cmpl $NO_VECTOR, exc_vector
    CHECK e, "read/write breakpoint: reads outside the 2 bytes do not trigger"

    /* Write breakpoint, 8 bytes. */
    xorl %eax, %eax
    movl %eax, %dr6
    movl $watch_q, %eax
    movl %eax, %dr3
    movl $BP(3, RW_WRITE, LEN8), %eax
    movl %eax, %dr7
    EXPECT_EXC 1f
    movb $1, watch_q + 7
    nop
1:  cmpl $1, exc_vector
    CHECK e, "8-byte write breakpoint: a store to its last byte triggers"
    call dr6_low
    cmpl $8, %eax
    CHECK e, "8-byte write breakpoint: DR6.B3"
    EXPECT_EXC 1f
    movb $1, watch_q + 8
    nop
1:  cmpl $NO_VECTOR, exc_vector
    CHECK e, "8-byte write breakpoint: the byte after it does not trigger"
    xorl %eax, %eax
    movl %eax, %dr7

    /* Two breakpoints hit by one instruction: both B bits. */
    xorl %eax, %eax
    movl %eax, %dr6
    movl $watch_d + 2, %eax
    movl %eax, %dr0
    addl $3, %eax
    movl %eax, %dr1
    movl $(BP(0, RW_WRITE, LEN1) | BP(1, RW_WRITE, LEN1)), %eax
    movl %eax, %dr7
    EXPECT_EXC 1f
    movl $watch_d + 2, %ebx
    movl $0, (%ebx)             /* bytes 2-5: covers both */
    nop
1:  xorl %eax, %eax
    movl %eax, %dr7
    cmpl $1, exc_vector
    CHECK e, "two data breakpoints in one store: one #DB"
    /* The SDM sets both B0 and B1; QEMU reports one: the unit test
     * (test-tcg-tb) checks both. */
    call dr6_low
    testl $3, %eax
    CHECK nz, "two data breakpoints in one store: DR6.B0 or B1"
    call dr6_low
    testl $0xc, %eax
    CHECK z, "two data breakpoints in one store: not DR6.B2/B3"

    /* DR4/DR5 alias DR6/DR7 without CR4.DE, #UD with it. */
    movl $0x1, %eax
    movl %eax, %dr6
    movl %dr4, %eax
    movl %dr6, %edx
    cmpl %edx, %eax
    CHECK e, "CR4.DE=0: DR4 reads DR6"
    movl %cr4, %eax
    orl $CR4_DE, %eax
    movl %eax, %cr4
    EXPECT_EXC 1f
dr4_insn:
    movl %dr4, %eax
1:  CHECK_EXC 6, -1, dr4_insn, "CR4.DE=1: MOV from DR4 is #UD"
    movl %cr4, %eax
    andl $~CR4_DE, %eax
    movl %eax, %cr4

    ret
