/*
 * modes: the processor mode ladder, one stage at a time, each printed:
 *   32-bit protected mode -> PAE 4-level tables, EFER.LME, CR0.PG ->
 *   far jump to 64-bit code -> far return into a 32-bit compatibility-
 *   mode segment -> far jump back to 64-bit -> compatibility mode, paging
 *   off, EFER.LME off: 32-bit protected mode -> 16-bit protected mode ->
 *   real mode (CR0.PE=0): segment:offset addressing and INT through the
 *   IVT -> back to 32-bit protected mode.
 * The 16-bit code is copied to RM_BASE (segment 0x0800), below 1 MiB.
 */
#include "lib/runtime.h"

#define RM_BASE 0x8000
#define RM_SEG  (RM_BASE >> 4)
#define RM_OFF(label) ((label) - rm_start)
#define IVT_VEC 0x42
#define SEGOFF_SEG 0x1234
#define SEGOFF_OFF 0x0010           /* linear 0x12350 */
#define SEGOFF_LIN ((SEGOFF_SEG << 4) + SEGOFF_OFF)

    .data
pm_saved_esp:   .long 0

    .text
    .code32
    .globl test_main
test_main:
    PLAN 17
    PRINTLN "# stage: 32-bit protected mode"
    movl %cr0, %eax
    andl $(CR0_PE | CR0_PG), %eax
    cmpl $CR0_PE, %eax
    CHECK e, "32-bit protected mode: CR0.PE=1, CR0.PG=0"

    PRINTLN "# stage: PAE, 4-level identity tables, EFER.LME, CR0.PG"
    call lm_tables_init
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $lm_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    movl $MSR_EFER, %ecx
    rdmsr
    testl $EFER_LMA, %eax
    CHECK nz, "CR0.PG with EFER.LME: EFER.LMA set (still in a 32-bit segment)"
    ljmp $SEL_KCODE64, $long64

    .code64
long64:
    movw $SEL_KDATA64, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %esp, %esp
    call idt64_init
    PRINTLN64 "# stage: 64-bit mode"
    movabsq $0x123456789abcdef0, %rax
    movq %rax, %r8
    addq %r8, %rax                      /* 0x2468acf13579bde0 */
    movabsq $0x2468acf13579bde0, %rbx
    cmpq %rbx, %rax
    CHECK64 e, "64-bit mode: 64-bit add with R8"
    movq $-1, %rax
    shrq $63, %rax
    cmpq $1, %rax
    CHECK64 e, "64-bit mode: 64-bit shift"
    movw %cs, %ax
    cmpw $SEL_KCODE64, %ax
    CHECK64 e, "64-bit mode: CS = the L=1 code segment"

    pushq $SEL_KCODE32
    pushq $compat32
    lretq

    .code32
compat32:
    PRINTLN "# stage: compatibility mode"
    movl $5, %eax
    .byte 0x48                          /* DEC EAX here, REX.W in 64-bit */
    cmpl $4, %eax
    CHECK e, "compatibility mode: 0x48 decodes as DEC EAX"
    movl $MSR_EFER, %ecx
    rdmsr
    testl $EFER_LMA, %eax
    CHECK nz, "compatibility mode: EFER.LMA still set"
    ljmp $SEL_KCODE64, $back64

    .code64
back64:
    PRINTLN64 "# stage: back in 64-bit mode"
    movl $5, %eax
    .byte 0x48, 0xff, 0xc8              /* DEC RAX */
    cmpq $4, %rax
    CHECK64 e, "far jump back to 64-bit mode: 0x48 is REX.W again"
    pushq $SEL_KCODE32
    pushq $leave32
    lretq

    .code32
leave32:
    movl %cr0, %eax
    andl $~CR0_PG, %eax
    movl %eax, %cr0
    movl $MSR_EFER, %ecx
    rdmsr
    andl $~EFER_LME, %eax
    wrmsr
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    call idt32_load
    PRINTLN "# stage: paging off, EFER.LME off: 32-bit protected mode"
    movl $MSR_EFER, %ecx
    rdmsr
    testl $(EFER_LMA | EFER_LME), %eax
    jnz 1f
    movl %cr0, %eax
    testl $CR0_PG, %eax
1:  CHECK z, "left long mode: EFER.LMA=0, CR0.PG=0"

    /* Copy the 16-bit code below 1 MiB; 16-bit segments based there. */
    movl $rm_start, %esi
    movl $RM_BASE, %edi
    movl $rm_end - rm_start, %ecx
    rep movsb
    movl $0x8000FFFF, gdt + SEL_SPARE0          /* code16, base 0x8000 */
    movl $0x00009A00, gdt + SEL_SPARE0 + 4
    movl $0x8000FFFF, gdt + SEL_SPARE1          /* data16, base 0x8000 */
    movl $0x00009200, gdt + SEL_SPARE1 + 4
    movw gdt_desc, %ax
    movw %ax, RM_BASE + RM_OFF(rm_gdtr)
    movl gdt_desc + 2, %eax
    movl %eax, RM_BASE + RM_OFF(rm_gdtr) + 2
    movl $0, SEGOFF_LIN
    movl %esp, pm_saved_esp
    ljmp $SEL_SPARE0, $RM_OFF(pm16)

pm_back:
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl pm_saved_esp, %esp
    call idt32_load
    PRINTLN "# stage: back in 32-bit protected mode"
    movl %cr0, %eax
    testl $CR0_PE, %eax
    CHECK nz, "back to protected mode: CR0.PE=1"
    cmpw $SEL_SPARE1, RM_BASE + RM_OFF(rm_pm16_ss)
    CHECK e, "16-bit protected mode: ran with the 16-bit data selector in SS"
    cmpw $1, RM_BASE + RM_OFF(rm_pm16_ok)
    CHECK e, "16-bit protected mode: 16-bit operand size by default"
    cmpw $RM_SEG, RM_BASE + RM_OFF(rm_cs)
    CHECK e, "real mode: CS = 0x0800 after the far jump"
    cmpw $1, RM_BASE + RM_OFF(rm_segoff_ok)
    CHECK e, "real mode: 0x1234:0x0010 and 0x1235:0x0000 are the same byte"
    cmpl $0xBEEF, SEGOFF_LIN
    CHECK e, "real mode: the store landed at linear 0x12350"
    cmpw $1, RM_BASE + RM_OFF(rm_int_ran)
    jne 1f
    cmpw $RM_SEG, RM_BASE + RM_OFF(rm_int_cs)
1:  CHECK e, "real mode: INT 0x42 through the IVT ran the handler at 0800:xxxx"
    cmpw $0x5151, RM_BASE + RM_OFF(rm_int_ax)
    CHECK e, "real mode: IRET returned with the handler's AX and after the INT"
    ret

/* ---- 16-bit code, run at RM_BASE ---- */
    .section .text.rm, "ax"
    .balign 16
    .code16
rm_start:
pm16:
    movw $SEL_SPARE1, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl $0x7000, %esp
    movw %ss, RM_OFF(rm_pm16_ss)
    movl $0x12340000, %eax
    movw $0xffff, %ax                  /* 16-bit op: upper half stays */
    incw %ax
    cmpl $0x12340000, %eax
    jne 1f
    movw $1, RM_OFF(rm_pm16_ok)
1:  movw $RM_OFF(s_pm16), %si
    call rm_puts
    /* real mode */
    movl %cr0, %eax
    andl $~CR0_PE, %eax
    movl %eax, %cr0
    ljmp $RM_SEG, $RM_OFF(rm_entry)
rm_entry:
    movw $RM_SEG, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw $0x7000, %sp
    movw %cs, RM_OFF(rm_cs)
    movw $RM_OFF(s_real), %si
    call rm_puts
    lidt RM_OFF(rm_idtr)
    /* segment:offset */
    movw $SEGOFF_SEG, %ax
    movw %ax, %es
    movw $0xBEEF, %es:SEGOFF_OFF
    movw $SEGOFF_SEG + 1, %ax
    movw %ax, %fs
    cmpw $0xBEEF, %fs:0
    jne 1f
    movw $1, RM_OFF(rm_segoff_ok)
1:  /* INT through the IVT */
    xorw %ax, %ax
    movw %ax, %es
    movl %es:IVT_VEC * 4, %eax
    pushl %eax
    movw $RM_OFF(rm_int_handler), %es:IVT_VEC * 4
    movw $RM_SEG, %es:IVT_VEC * 4 + 2
    movw $0x4242, %ax
    int $IVT_VEC
    incw %ax                           /* runs after the IRET */
    movw %ax, RM_OFF(rm_int_ax)
    popl %eax
    movl %eax, %es:IVT_VEC * 4
    movw $RM_OFF(s_back), %si
    call rm_puts
    /* back to protected mode */
    lgdtl RM_OFF(rm_gdtr)
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $SEL_KCODE32, $pm_back

rm_int_handler:
    movw $1, %ds:RM_OFF(rm_int_ran)
    movw %cs, %ds:RM_OFF(rm_int_cs)
    movw $0x5150, %ax
    iretw

/* SI: string in this segment (DS).  Polls COM1 like putc32. */
rm_puts:
    pushw %ax
    pushw %dx
1:  lodsb
    testb %al, %al
    jz 3f
    movb %al, %ah
    movw $0x3FD, %dx
2:  inb %dx, %al
    testb $0x20, %al
    jz 2b
    movw $0x3F8, %dx
    movb %ah, %al
    outb %al, %dx
    jmp 1b
3:  popw %dx
    popw %ax
    ret

    .balign 4
rm_gdtr:        .word 0
                .long 0
    .balign 4
rm_idtr:        .word 0x3ff
                .long 0
rm_pm16_ss:     .word 0
rm_pm16_ok:     .word 0
rm_cs:          .word 0
rm_segoff_ok:   .word 0
rm_int_ran:     .word 0
rm_int_cs:      .word 0
rm_int_ax:      .word 0
s_pm16:         .asciz "# stage: 16-bit protected mode\n"
s_real:         .asciz "# stage: real mode (CR0.PE=0)\n"
s_back:         .asciz "# stage: real mode -> protected mode\n"
rm_end:
