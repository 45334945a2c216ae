/* hello: the smallest Multiboot test kernel.  Prints over COM1 and exits
 * through isa-debug-exit with the success code. */
#include "lib/runtime.h"

    .text
    .code32
    .globl test_main
test_main:
    PLAN 2
    PRINTLN "Hello from guest"
    cmpl $0x2BADB002, boot_eax
    CHECK e, "entered with the Multiboot magic in EAX"
    movw %cs, %ax
    cmpw $SEL_KCODE32, %ax
    CHECK e, "runtime GDT loaded (CS = 0x08)"
    ret
