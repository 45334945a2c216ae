/* migcount: a counter for live migration tests.
 *
 * Keeps a counter in RAM and prints "count 0x%08x" for every increment,
 * rewriting one word in each page of a 1 MiB buffer every step so that
 * RAM keeps being re-dirtied while a migration iterates.
 *
 * With "forever" on the Multiboot command line (-append forever) it
 * never stops, for tests/system/test_migration.py.  Entered again with
 * the counter already running (state_magic set: the RAM came from a
 * migration stream but the CPU started at the entry point, because no
 * CPU state came with it), it prints "# resumed" and carries on from the
 * counter in RAM instead of starting over.  Without "forever" it counts
 * to COUNT_STANDALONE and exits with the pass code, so it also runs as
 * an ordinary guest test program.
 */
#include "lib/runtime.h"

#define STATE_MAGIC 0x4d494743          /* "MIGC" */
#define COUNT_STANDALONE 200
#define DIRTY_PAGES 256
#define MBI_FLAG_CMDLINE (1 << 2)

    .data
    .balign 4
state_magic:    .long 0
counter:        .long 0
forever:        .long 0

    .bss
    .balign 4096
dirty_buf:      .skip DIRTY_PAGES * 4096

    .text
    .code32
    .globl test_main
test_main:
    PLAN 1
    call parse_cmdline
    cmpl $STATE_MAGIC, state_magic
    jne 1f
    NOTE "resumed"
    jmp count_loop
1:  movl $0, counter
    movl $STATE_MAGIC, state_magic

count_loop:
    incl counter
    movl counter, %eax
    /* Dirty every page of the buffer with the new count. */
    movl $dirty_buf, %edi
    movl $DIRTY_PAGES, %ecx
2:  movl %eax, (%edi)
    addl $4096, %edi
    loop 2b
    PRINT "count "
    call puthex32
    call newline32
    cmpl $0, forever
    jne count_loop
    cmpl $COUNT_STANDALONE, %eax
    jb count_loop
    /* Standalone: the last page written holds the final count. */
    cmpl %eax, dirty_buf + (DIRTY_PAGES - 1) * 4096
    CHECK e, "counted to the end with the buffer in step"
    ret

/* forever = 1 when the Multiboot command line contains "forever". */
parse_cmdline:
    pushl %esi
    movl boot_ebx, %esi
    testl $MBI_FLAG_CMDLINE, (%esi)
    jz 9f
    movl 16(%esi), %esi
1:  cmpb $0, (%esi)
    je 9f
    cmpl $0x65726f66, (%esi)            /* "fore" */
    jne 2f
    cmpw $0x6576, 4(%esi)               /* "ve" */
    jne 2f
    cmpb $'r', 6(%esi)
    jne 2f
    movl $1, forever
    jmp 9f
2:  incl %esi
    jmp 1b
9:  popl %esi
    ret
