/*
 * smc: self-modifying code, as a translating CPU must notice it.
 *   (a) a loop patching an immediate on its own page and re-executing it
 *   (b) an instruction spanning a page boundary, executed, its second
 *       page patched, executed again
 *   (c) code rewritten by device DMA (fw_cfg DMA of the "QEMU" signature
 *       into a MOV immediate that already ran)
 *   (d) an instruction rewriting the very next one (32-bit absolute
 *       address; 64-bit RIP-relative)
 */
#include "lib/runtime.h"

#define FW_CFG_PORT_SEL     0x510
#define FW_CFG_PORT_DATA    0x511
#define FW_CFG_PORT_DMA_HI  0x514
#define FW_CFG_PORT_DMA_LO  0x518
#define FW_CFG_SIGNATURE    0x00
#define FW_CFG_ID           0x01
#define FW_CFG_DMA_CTL_ERROR  0x01
#define FW_CFG_DMA_CTL_READ   0x02
#define FW_CFG_DMA_CTL_SELECT 0x08

    .data
    .balign 16
dma_desc:                       /* FWCfgDmaAccess, big-endian fields */
dma_control:    .long 0
dma_length:     .long 0
dma_address:    .quad 0

    .text
    .code32
    .globl test_main
test_main:
    PLAN 8

    /* (a) */
    xorl %ebx, %ebx
    movl $4, %edi
    movl $0x11111111, %esi
1:
smc_a_insn:
    movl $0x11111111, %eax
    cmpl %esi, %eax
    je 2f
    incl %ebx
2:  addl $0x01010101, %esi
    movl %esi, smc_a_insn + 1
    decl %edi
    jnz 1b
    testl %ebx, %ebx
    CHECK z, "(a) loop patching a MOV immediate on its own page: new value each pass"

    /* (b) */
    call span_insn
    cmpl $0x12345678 + 1, %eax
    CHECK e, "(b) MOV spanning a page boundary, first run"
    movw $0xcafe, span_insn + 3         /* immediate bytes 2-3: second page */
    movb $7, span_next + 2              /* ADD's imm8: second page */
    call span_insn
    cmpl $0xcafe5678 + 7, %eax
    CHECK e, "(b) second page patched: the spanning MOV and the next insn see it"

    /* (c) */
    movw $FW_CFG_ID, %ax
    movw $FW_CFG_PORT_SEL, %dx
    outw %ax, %dx
    movw $FW_CFG_PORT_DATA, %dx
    inb %dx, %al
    testb $2, %al
    jnz 1f
    SKIP "(c) fw_cfg has no DMA interface"
    SKIP "(c) DMA completed"
    SKIP "(c) code rewritten by DMA runs"
    jmp smc_d
1:  call dma_code
    testl %eax, %eax
    CHECK z, "(c) code buffer runs before the DMA (MOV $0)"
    /* control = key << 16 | SELECT | READ; 4 bytes to the immediate */
    movl $(FW_CFG_SIGNATURE << 16) | FW_CFG_DMA_CTL_SELECT | FW_CFG_DMA_CTL_READ, %eax
    bswap %eax
    movl %eax, dma_control
    movl $4, %eax
    bswap %eax
    movl %eax, dma_length
    movl $0, dma_address
    movl $dma_code + 1, %eax
    bswap %eax
    movl %eax, dma_address + 4
    xorl %eax, %eax
    movw $FW_CFG_PORT_DMA_HI, %dx
    outl %eax, %dx
    movl $dma_desc, %eax
    bswap %eax
    movw $FW_CFG_PORT_DMA_LO, %dx
    outl %eax, %dx                      /* starts the transfer */
    movl $1000000, %ecx
2:  movl dma_control, %eax
    bswap %eax
    testl $~FW_CFG_DMA_CTL_ERROR, %eax
    jz 3f
    loop 2b
3:  testl %eax, %eax
    CHECK z, "(c) fw_cfg DMA completed without error"
    call dma_code
    cmpl $0x554D4551, %eax              /* "QEMU" */
    CHECK e, "(c) code rewritten by DMA runs: MOV now loads \"QEMU\""

smc_d:
    /* (d) 32-bit: patch the opcode of the next instruction. */
    xorl %eax, %eax
    movb $0x40, 1f                      /* nop -> inc %eax */
1:  nop
    cmpl $1, %eax
    CHECK e, "(d) instruction rewrites the next one (nop -> inc), the new one runs"

    call lm_tables_init
    movl $long_main, %eax
    jmp lm_enter

    .code64
long_main:
    xorl %eax, %eax
    movb $5, 1f + 2(%rip)               /* imm8 of the next ADD */
1:  addl $0, %eax
    cmpl $5, %eax
    CHECK64 e, "(d) 64-bit: RIP-relative store into the next ADD's immediate"
    jmp tap_finish64

    .code32
    .section .text.smc, "ax"
    .balign 4096
    .skip 4096 - 3
span_insn:                              /* B8 | 78 56 || 34 12 */
    movl $0x12345678, %eax
span_next:
    addl $1, %eax                       /* 83 C0 01 */
    ret

    .balign 16
dma_code:
    movl $0, %eax
    ret
