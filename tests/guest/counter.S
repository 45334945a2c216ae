/*
 * counter: a guest whose progress is visible, for snapshot tests.
 *
 * Without "loop" on the kernel command line it counts to 3 and passes
 * (so the program runs like the others).  With -append loop it counts
 * for ever, printing "count N" on COM1, with N kept in RAM at
 * COUNTER_ADDR (outside the loaded image, so a reset that reloads the
 * kernel leaves it alone).  On entry it continues from the count in RAM
 * when COUNTER_MAGIC is beside it, printing "counter: resumed": a loadvm
 * that restores RAM but restarts the CPU still shows the count going
 * back to the snapshot's, as does one that restores the CPU too.
 */
#include "lib/runtime.h"

#define COUNTER_ADDR  0x300000
#define COUNTER_MAGIC 0x52544e43    /* "CNTR" */
#define MB_INFO_CMDLINE (1 << 2)
#define DELAY 300000

    .text
    .code32
    .globl test_main
test_main:
    call want_loop
    testl %eax, %eax
    jnz forever
    PLAN 1
    xorl %ebx, %ebx
1:  incl %ebx
    PRINT "count "
    movl %ebx, %eax
    call putdec32
    call newline32
    cmpl $3, %ebx
    jb 1b
    cmpl $3, %ebx
    CHECK e, "counted to 3"
    ret

forever:
    cmpl $COUNTER_MAGIC, COUNTER_ADDR + 4
    je 1f
    movl $0, COUNTER_ADDR
    movl $COUNTER_MAGIC, COUNTER_ADDR + 4
    PRINTLN "counter: start"
    jmp 2f
1:  PRINTLN "counter: resumed"
2:  incl COUNTER_ADDR
    PRINT "count "
    movl COUNTER_ADDR, %eax
    call putdec32
    call newline32
    movl $DELAY, %ecx
3:  decl %ecx
    jnz 3b
    jmp 2b

/* EAX = 1 when the Multiboot command line holds "loop", else 0. */
want_loop:
    movl boot_ebx, %edx
    xorl %eax, %eax
    testl $MB_INFO_CMDLINE, (%edx)
    jz 2f
    movl 16(%edx), %edx
1:  cmpb $0, (%edx)
    je 2f
    cmpl $0x706f6f6c, (%edx)        /* "loop", little-endian */
    je 3f
    incl %edx
    jmp 1b
3:  movl $1, %eax
2:  ret
