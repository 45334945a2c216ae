/* hashcount: a paced counter with a hash of a RAM buffer, for the
 * snapshot and migration tests (tests/system/test_vmstate_guest.py).
 *
 * Every step (every 100 ms of guest time, or as fast as it can with
 * "fast" on the command line) it increments a counter N kept in RAM,
 * stores one word in each page of a 1 MiB buffer (256 pages of 1024
 * words) and prints
 *     count N hash 0x%08x
 * where the hash is FNV-1a (32-bit, per dword) over the whole buffer.
 * At step N, word N mod 1024 of page p gets N ^ (p << 20), so the buffer
 * after step N is a function of N alone:
 *     word i of page p = M ^ (p << 20), M the largest 1 <= M <= N with
 *     M = i (mod 1024), or 0 when there is none.
 * A snapshot or migration that restores RAM wrongly shows as a hash that
 * differs from the one printed for the same count before (or from the
 * one the test computes).  Every page is dirtied at every step, so a live
 * migration has to iterate.
 *
 * Pacing uses PIT channel 2 one-shots (mode 0, gate and output through
 * port 0x61), polled: two of 50 ms per step.  A snapshot taken while one
 * runs must restore the PIT (and the virtual clock it counts against) for
 * the wait to end on time.
 *
 * With "forever" on the command line it never stops.  Without it, it
 * counts to 3 and checks the hash against the value the formula gives
 * (computed with the test's Python model), so it also runs as an
 * ordinary guest test program.  Entered again with the counter already
 * running (RAM restored, CPU from reset) it prints "# resumed" and goes
 * on from the counter in RAM, redoing that step's store.
 */
#include "lib/runtime.h"

#define STATE_MAGIC 0x48534354          /* "HSCT" */
#define BUF_PAGES 256
#define PAGE_WORDS 1024
#define FNV_OFFSET 0x811c9dc5
#define FNV_PRIME 0x01000193
#define STANDALONE_COUNT 3
#define STANDALONE_HASH 0xb13779c5      /* hash after step 3 */
#define PIT_50MS 59659                  /* 1193182 Hz * 0.05 s */
#define MBI_FLAG_CMDLINE (1 << 2)

    .data
    .balign 4
state_magic:    .long 0
counter:        .long 0
forever:        .long 0
fast:           .long 0
last_hash:      .long 0

    .bss
    .balign 4096
buf:            .skip BUF_PAGES * 4096

    .text
    .code32
    .globl test_main
test_main:
    PLAN 1
    movl $str_forever, %edi
    call cmdline_has
    movl %eax, forever
    movl $str_fast, %edi
    call cmdline_has
    movl %eax, fast
    cmpl $STATE_MAGIC, state_magic
    jne 1f
    NOTE "resumed"
    jmp step
1:  movl $0, counter
    movl $STATE_MAGIC, state_magic

next:
    incl counter
step:
    call store_step
    call hash_buf
    movl %eax, last_hash
    PRINT "count "
    movl counter, %eax
    call putdec32
    PRINT " hash "
    movl last_hash, %eax
    call puthex32
    call newline32
    cmpl $0, forever
    jne 2f
    cmpl $STANDALONE_COUNT, counter
    jae done
2:  cmpl $0, fast
    jne next
    call wait_50ms
    call wait_50ms
    jmp next

done:
    cmpl $STANDALONE_HASH, last_hash
    CHECK e, "hash after 3 steps as the formula gives"
    ret

/* Word counter mod 1024 of every page := counter ^ (page << 20). */
store_step:
    pushl %ebx
    movl counter, %eax
    movl %eax, %edi
    andl $PAGE_WORDS - 1, %edi
    shll $2, %edi
    addl $buf, %edi
    xorl %edx, %edx                     /* page << 20 */
    movl $BUF_PAGES, %ecx
1:  movl %eax, %ebx
    xorl %edx, %ebx
    movl %ebx, (%edi)
    addl $4096, %edi
    addl $1 << 20, %edx
    loop 1b
    popl %ebx
    ret

/* EAX = FNV-1a over the buffer's dwords. */
hash_buf:
    pushl %ebx
    movl $FNV_OFFSET, %eax
    movl $buf, %esi
    movl $BUF_PAGES * PAGE_WORDS, %ecx
    movl $FNV_PRIME, %ebx
1:  xorl (%esi), %eax
    mull %ebx                           /* EDX:EAX = EAX * prime */
    addl $4, %esi
    loop 1b
    popl %ebx
    ret

/* A 50 ms one-shot on PIT channel 2, polled through port 0x61 bit 5. */
wait_50ms:
    inb $0x61, %al
    andb $0xfc, %al                     /* speaker off */
    orb $0x01, %al                      /* gate 2 high */
    outb %al, $0x61
    movb $0xb0, %al                     /* ch 2, lo/hi, mode 0, binary */
    outb %al, $0x43
    movb $(PIT_50MS & 0xff), %al
    outb %al, $0x42
    movb $(PIT_50MS >> 8), %al
    outb %al, $0x42
1:  inb $0x61, %al
    testb $0x20, %al
    jz 1b
    ret

/* EAX = 1 when the Multiboot command line holds the string at EDI. */
cmdline_has:
    pushl %esi
    xorl %eax, %eax
    movl boot_ebx, %esi
    testl $MBI_FLAG_CMDLINE, (%esi)
    jz 9f
    movl 16(%esi), %esi
1:  cmpb $0, (%esi)
    je 9f
    xorl %ecx, %ecx
2:  movb (%edi,%ecx), %dl
    testb %dl, %dl
    jz 3f                               /* whole word matched */
    cmpb %dl, (%esi,%ecx)
    jne 4f
    incl %ecx
    jmp 2b
3:  movl $1, %eax
    jmp 9f
4:  incl %esi
    jmp 1b
9:  popl %esi
    ret

    .section .rodata
str_forever:    .asciz "forever"
str_fast:       .asciz "fast"
