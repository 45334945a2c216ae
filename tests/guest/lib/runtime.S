/*
 * Runtime shared by the guest test programs: Multiboot header, entry,
 * GDT, COM1 output, TAP reporting, exit through isa-debug-exit, and
 * exception plumbing for 32-bit and 64-bit mode.  See runtime.h.
 */
#include "runtime.h"

#define COM1 0x3F8
#define DEBUG_EXIT_PORT 0xf4

/* ---------------------------------------------------------------- */
    .section .multiboot, "a"
    .balign 4
mb_header:
    .long 0x1BADB002            /* magic */
    .long 0                     /* flags: ELF sections, no a.out kludge */
    .long -0x1BADB002           /* checksum: magic + flags + this = 0 */

/* ---------------------------------------------------------------- */
    .data
    .balign 8
    .globl gdt
gdt:
    .quad 0
    .quad 0x00CF9A000000FFFF    /* 0x08 kernel code, 32-bit */
    .quad 0x00CF92000000FFFF    /* 0x10 kernel data */
    .quad 0x00CFFA000000FFFF    /* 0x18 user code, 32-bit */
    .quad 0x00CFF2000000FFFF    /* 0x20 user data */
    .quad 0x00AFFA000000FFFF    /* 0x28 user code, 64-bit */
    .quad 0x00AF9A000000FFFF    /* 0x30 kernel code, 64-bit */
    .quad 0x00CF92000000FFFF    /* 0x38 kernel data (SYSCALL SS) */
    .quad 0x00009A000000FFFF    /* 0x40 code, 16-bit, limit 64 KiB */
    .quad 0x000092000000FFFF    /* 0x48 data, 16-bit, limit 64 KiB */
    .quad 0, 0                  /* 0x50 TSS */
    .quad 0, 0, 0, 0            /* 0x60..0x78 spare */
gdt_end:
    .globl gdt_desc
gdt_desc:
    .word gdt_end - gdt - 1
    .long gdt
    .long 0                     /* upper half for 64-bit lgdt */

    .globl exc_vector, exc_error, exc_eip, exc_cs, exc_eflags, exc_rsp
    .globl exc_cr2, exc_frame_sp, exc_recover, exc_count, user_return_sp
    .balign 8
exc_vector:     .long NO_VECTOR, 0
exc_error:      .quad 0
exc_eip:        .quad 0
exc_cs:         .quad 0
exc_eflags:     .quad 0
exc_rsp:        .quad 0         /* interrupted RSP (64-bit frames) */
exc_cr2:        .quad 0
exc_frame_sp:   .quad 0         /* where the CPU pushed the frame */
exc_recover:    .quad 0         /* 0: an exception is fatal */
exc_count:      .long 0, 0
user_return_sp: .quad 0

    .globl boot_eax, boot_ebx
boot_eax:       .long 0
boot_ebx:       .long 0
tap_count:      .long 0
tap_failed:     .long 0
tap_planned:    .long -1

    .balign 16
    .globl tss32
tss32:
    .fill 26, 4, 0
    .globl tss64
    .balign 16
tss64:
    .fill 26, 4, 0

    .bss
    .balign 4096
    .globl idt32, idt64, lm_pml4, lm_pdpt, lm_pd
lm_pml4:    .skip 4096
lm_pdpt:    .skip 4096
lm_pd:      .skip 4096
idt64:      .skip 256 * 16
idt32:      .skip 256 * 8
    .globl stack_top, ustack_top, istack_top
    .balign 16
stack:      .skip 16384
stack_top:
ustack:     .skip 8192
ustack_top:
istack:     .skip 8192          /* TSS ESP0/RSP0: entries from CPL 3 */
istack_top:

/* ---------------------------------------------------------------- */
    .text
    .code32
    .globl _start
_start:
    cli
    cld
    movl $stack_top, %esp
    movl %eax, boot_eax
    movl %ebx, boot_ebx
    lgdt gdt_desc
    ljmp $SEL_KCODE32, $1f
1:  movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    call serial_init
    cmpl $0x2BADB002, boot_eax
    je 2f
    PRINTLN "# not entered by a Multiboot loader (EAX magic)"
    movl $EXIT_BADBOOT, %eax
    call exit32
2:  call idt32_init
    call test_main
    call tap_finish32

serial_init:
    pushl %eax
    pushl %edx
    movw $COM1 + 1, %dx         /* IER: no interrupts */
    movb $0, %al
    outb %al, %dx
    movw $COM1 + 3, %dx         /* LCR: DLAB */
    movb $0x80, %al
    outb %al, %dx
    movw $COM1, %dx             /* divisor 1: 115200 baud */
    movb $1, %al
    outb %al, %dx
    movw $COM1 + 1, %dx
    movb $0, %al
    outb %al, %dx
    movw $COM1 + 3, %dx         /* 8N1 */
    movb $3, %al
    outb %al, %dx
    movw $COM1 + 2, %dx         /* FIFO on, cleared */
    movb $0xC7, %al
    outb %al, %dx
    movw $COM1 + 4, %dx         /* DTR, RTS */
    movb $3, %al
    outb %al, %dx
    popl %edx
    popl %eax
    ret

/* putc32: AL = character.  Waits (bounded) for THRE, then writes. */
    .globl putc32
putc32:
    pushl %eax
    pushl %ecx
    pushl %edx
    movb %al, %ah
    movw $COM1 + 5, %dx
    movl $1000000, %ecx
1:  inb %dx, %al
    testb $0x20, %al
    jnz 2f
    loop 1b
2:  movw $COM1, %dx
    movb %ah, %al
    outb %al, %dx
    popl %edx
    popl %ecx
    popl %eax
    ret

/* puts32: ESI = NUL-terminated string. */
    .globl puts32
puts32:
    pushl %eax
    pushl %esi
    pushfl
    cld
1:  lodsb
    testb %al, %al
    jz 2f
    call putc32
    jmp 1b
2:  popfl
    popl %esi
    popl %eax
    ret

    .globl newline32
newline32:
    pushl %eax
    movb $'\n', %al
    call putc32
    popl %eax
    ret

/* puthex32: EAX as 0x%08x. */
    .globl puthex32
puthex32:
    pushl %eax
    pushl %ecx
    pushl %edx
    movl %eax, %edx
    movb $'0', %al
    call putc32
    movb $'x', %al
    call putc32
    movl $8, %ecx
1:  roll $4, %edx
    movb %dl, %al
    andb $0xf, %al
    addb $'0', %al
    cmpb $'9', %al
    jbe 2f
    addb $'a' - '9' - 1, %al
2:  call putc32
    loop 1b
    popl %edx
    popl %ecx
    popl %eax
    ret

/* putdec32: EAX unsigned decimal. */
    .globl putdec32
putdec32:
    pushal
    movl $10, %ebx
    xorl %ecx, %ecx
1:  xorl %edx, %edx
    divl %ebx
    pushl %edx
    incl %ecx
    testl %eax, %eax
    jnz 1b
2:  popl %eax
    addb $'0', %al
    call putc32
    loop 2b
    popal
    ret

/* exit32: EAX = code; status (code << 1) | 1.  Does not return. */
    .globl exit32
exit32:
    outl %eax, $DEBUG_EXIT_PORT
1:  cli
    hlt
    jmp 1b

/* tap_plan32: EAX = number of checks. */
    .globl tap_plan32
tap_plan32:
    movl %eax, tap_planned
    PRINT "1.."
    call putdec32
    call newline32
    ret

/* tap_check32: EAX != 0 passed; ESI = description. */
    .globl tap_check32
tap_check32:
    pushl %eax
    incl tap_count
    testl %eax, %eax
    jnz 1f
    incl tap_failed
    PRINT "not "
1:  PRINT "ok "
    movl tap_count, %eax
    call putdec32
    PRINT " - "
    call puts32
    call newline32
    popl %eax
    ret

/*
 * is_osprey32: ZF clear when CPUID's hypervisor leaf (0x40000000) says
 * "OspreyOsprey".  For checks of behaviour QEMU's TCG does not implement:
 * the programs run them under Osprey and report them as skipped elsewhere.
 * Registers preserved.
 */
    .globl is_osprey32
is_osprey32:
    pushal
    movl $0x40000000, %eax
    cpuid
    cmpl $0x7270734f, %ebx      /* EBX "Ospr" */
    jne 1f
    cmpl $0x734f7965, %ecx      /* ECX "eyOs" */
1:  popal
    jne 2f
    cmpl $1, %esp               /* equal: ZF clear (ESP is never 1) */
    ret
2:  cmpl %esp, %esp             /* ZF set */
    ret

/* tap_skip32: ESI = description; counts as a pass. */
    .globl tap_skip32
tap_skip32:
    pushl %eax
    incl tap_count
    PRINT "ok "
    movl tap_count, %eax
    call putdec32
    PRINT " - "
    call puts32
    PRINT " # SKIP"
    call newline32
    popl %eax
    ret

    .globl tap_finish32
tap_finish32:
    movl tap_count, %eax
    cmpl tap_planned, %eax
    je 1f
    PRINT "# planned "
    movl tap_planned, %eax
    call putdec32
    PRINT " checks, ran "
    movl tap_count, %eax
    call putdec32
    call newline32
    movl $EXIT_PLAN, %eax
    call exit32
1:  cmpl $0, tap_failed
    je 2f
    PRINT "# failed "
    movl tap_failed, %eax
    call putdec32
    call newline32
    movl $EXIT_FAIL, %eax
    call exit32
2:  PRINTLN "# all passed"
    movl $EXIT_PASS, %eax
    call exit32

/* ---- 32-bit exceptions ---- */

/* One 16-byte stub per vector: push a dummy error code where the CPU
 * pushes none, push the vector, go to the common handler. */
    .balign 16
stubs32:
    vec = 0
    .rept 256
    .balign 16
    .if vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 || vec == 17 || vec == 21 || vec == 29 || vec == 30
    .else
    pushl $0
    .endif
    pushl $vec
    jmp exc_common32
    vec = vec + 1
    .endr

/*
 * Record the exception; resume at exc_recover (once) or panic.  A fault
 * from CPL 3 resumes on the kernel stack saved in user_return_sp (EAX
 * clobbered); one from CPL 0 returns by IRET with TF and NT cleared.
 */
exc_common32:
    pushl %ds
    pushl %eax
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movl 8(%esp), %eax
    movl %eax, exc_vector
    movl 12(%esp), %eax
    movl %eax, exc_error
    movl $0, exc_error + 4
    movl 16(%esp), %eax
    movl %eax, exc_eip
    movl $0, exc_eip + 4
    movl 20(%esp), %eax
    movl %eax, exc_cs
    movl 24(%esp), %eax
    movl %eax, exc_eflags
    movl %cr2, %eax
    movl %eax, exc_cr2
    leal 16(%esp), %eax
    movl %eax, exc_frame_sp
    incl exc_count
    movl exc_recover, %eax
    testl %eax, %eax
    jz exc_panic32
    movl $0, exc_recover
    testl $3, 20(%esp)
    jnz 1f
    movl %eax, 16(%esp)
    andl $~0x4100, 24(%esp)
    popl %eax
    popl %ds
    addl $8, %esp
    iretl
1:  movl user_return_sp, %esp
    pushl %eax
    movw $SEL_KDATA, %ax
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    popl %eax
    jmp *%eax

exc_panic32:
    movw $SEL_KDATA, %ax
    movw %ax, %ss
    movl $stack_top, %esp
    PRINT "# unexpected exception "
    movl exc_vector, %eax
    call putdec32
    PRINT " error "
    movl exc_error, %eax
    call puthex32
    PRINT " at "
    movl exc_cs, %eax
    call puthex32
    PRINT ":"
    movl exc_eip, %eax
    call puthex32
    PRINT " cr2 "
    movl exc_cr2, %eax
    call puthex32
    call newline32
    movl $EXIT_EXCEPTION, %eax
    call exit32

/*
 * gdt_set_desc: the GDT descriptor for selector EBX gets base EAX, limit
 * ECX (20 bits) and type byte EDX (P, DPL, S, type), with the flags
 * nibble (G, D/B, L, AVL) in EDX bits 15:12 (0x409a: 32-bit code, DPL 0;
 * 0 there: 16-bit and byte granular).
 */
    .globl gdt_set_desc
gdt_set_desc:
    pushal
    addl $gdt, %ebx
    movl %eax, %esi
    shll $16, %esi
    movw %cx, %si
    movl %esi, (%ebx)
    movl %eax, %esi
    andl $0xff000000, %esi
    andl $0xf0000, %ecx
    orl %ecx, %esi
    shll $8, %edx
    orl %edx, %esi
    shrl $16, %eax
    movzbl %al, %eax
    orl %eax, %esi
    movl %esi, 4(%ebx)
    popal
    ret

/* idt32_set: EAX = vector, EDX = handler, ECX = attribute byte. */
    .globl idt32_set
idt32_set:
    pushl %ebx
    leal idt32(,%eax,8), %ebx
    movw %dx, (%ebx)
    movw $SEL_KCODE32, 2(%ebx)
    movb $0, 4(%ebx)
    movb %cl, 5(%ebx)
    shrl $16, %edx
    movw %dx, 6(%ebx)
    popl %ebx
    ret

/* idt32_stub: EDX = the default stub for vector EAX. */
    .globl idt32_stub
idt32_stub:
    movl %eax, %edx
    shll $4, %edx
    addl $stubs32, %edx
    ret

/* idt32_init: every vector to its stub (interrupt gate, DPL 0); LIDT. */
    .globl idt32_init, idt32_load
idt32_init:
    pushal
    xorl %eax, %eax
1:  call idt32_stub
    movl $GATE_INT, %ecx
    call idt32_set
    incl %eax
    cmpl $256, %eax
    jb 1b
    movl $VEC_TO_KERNEL, %eax       /* user code's way back */
    call idt32_stub
    movl $GATE_INT_U, %ecx
    call idt32_set
    popal
idt32_load:
    pushl $idt32
    pushw $256 * 8 - 1
    lidt (%esp)
    addl $6, %esp
    ret

/*
 * check_exc32(desc, vector, error, eip): cdecl.  error -1 and eip 0 are
 * not compared.  Prints what was seen when the check fails.
 */
    .globl check_exc32
check_exc32:
    pushl %ebp
    movl %esp, %ebp
    pushal
    movl $0, exc_recover
    xorl %eax, %eax
    movl 12(%ebp), %ecx
    cmpl exc_vector, %ecx
    jne 1f
    movl 16(%ebp), %ecx
    cmpl $-1, %ecx
    je 2f
    cmpl exc_error, %ecx
    jne 1f
2:  movl 20(%ebp), %ecx
    testl %ecx, %ecx
    jz 3f
    cmpl exc_eip, %ecx
    jne 1f
3:  movl $1, %eax
1:  movl 8(%ebp), %esi
    call tap_check32
    testl %eax, %eax
    jnz 4f
    PRINT "#   got vector "
    movl exc_vector, %eax
    call puthex32
    PRINT " error "
    movl exc_error, %eax
    call puthex32
    PRINT " eip "
    movl exc_eip, %eax
    call puthex32
    PRINT " cr2 "
    movl exc_cr2, %eax
    call puthex32
    call newline32
4:  popal
    popl %ebp
    ret

/*
 * gdt_set_tss: EAX = base, EDX = type byte (0x89 available TSS); writes
 * the 16-byte system descriptor at SEL_TSS with limit 103.
 */
gdt_set_tss:
    pushl %ebx
    pushl %ecx
    movl $gdt + SEL_TSS, %ebx
    movl %eax, %ecx
    shll $16, %ecx
    orl $103, %ecx
    movl %ecx, (%ebx)
    movl %eax, %ecx
    andl $0xff000000, %ecx
    shll $8, %edx
    orl %edx, %ecx
    shrl $8, %edx
    pushl %eax
    shrl $16, %eax
    andl $0xff, %eax
    orl %eax, %ecx
    popl %eax
    movl %ecx, 4(%ebx)
    movl $0, 8(%ebx)
    movl $0, 12(%ebx)
    popl %ecx
    popl %ebx
    ret

/* tss32_load: ESP0 = istack_top, SS0 = KDATA; LTR. */
    .globl tss32_load
tss32_load:
    pushal
    movl $istack_top, tss32 + 4
    movl $SEL_KDATA, tss32 + 8
    movw $104, tss32 + 102
    movl $tss32, %eax
    movl $0x89, %edx
    call gdt_set_tss
    movw $SEL_TSS, %ax
    ltr %ax
    popal
    ret

/* ---- long mode ---- */

/*
 * lm_tables_init: identity map 0..1 GiB with 2 MiB pages, user and
 * writable, in lm_pml4 -> lm_pdpt -> lm_pd.  Tests may add entries.
 */
    .globl lm_tables_init
lm_tables_init:
    pushal
    movl $lm_pml4, %edi
    movl $3 * 4096 / 4, %ecx
    xorl %eax, %eax
    rep stosl
    movl $lm_pdpt + (PTE_P | PTE_W | PTE_U), lm_pml4
    movl $lm_pd + (PTE_P | PTE_W | PTE_U), lm_pdpt
    xorl %ecx, %ecx
1:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_W | PTE_U | PTE_PS), %eax
    movl %eax, lm_pd(,%ecx,8)
    incl %ecx
    cmpl $512, %ecx
    jb 1b
    popal
    ret

/*
 * lm_enter: EAX = 64-bit entry point.  CR4.PAE, CR3 = lm_pml4 (call
 * lm_tables_init first), EFER.LME, CR0.PG, far jump to KCODE64; then
 * data segments KDATA64, idt64_init and a jump to the entry with the
 * same stack.  Does not return.
 */
    .globl lm_enter
lm_enter:
    movl %eax, %esi
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
    ljmp $SEL_KCODE64, $lm_entry64

    .code64
lm_entry64:
    movw $SEL_KDATA64, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    movw %ax, %ss
    movl %esp, %esp
    movl %esi, %esi
    call idt64_init
    jmp *%rsi

/* putc64: AL. */
    .globl putc64
putc64:
    pushq %rax
    pushq %rcx
    pushq %rdx
    movb %al, %ah
    movw $COM1 + 5, %dx
    movl $1000000, %ecx
1:  inb %dx, %al
    testb $0x20, %al
    jnz 2f
    loop 1b
2:  movw $COM1, %dx
    movb %ah, %al
    outb %al, %dx
    popq %rdx
    popq %rcx
    popq %rax
    ret

/* puts64: RSI. */
    .globl puts64
puts64:
    pushq %rax
    pushq %rsi
    pushfq
    cld
1:  lodsb
    testb %al, %al
    jz 2f
    call putc64
    jmp 1b
2:  popfq
    popq %rsi
    popq %rax
    ret

    .globl newline64
newline64:
    pushq %rax
    movb $'\n', %al
    call putc64
    popq %rax
    ret

/* puthex64: RAX as 0x%016x. */
    .globl puthex64
puthex64:
    pushq %rax
    pushq %rcx
    pushq %rdx
    movq %rax, %rdx
    movb $'0', %al
    call putc64
    movb $'x', %al
    call putc64
    movl $16, %ecx
1:  rolq $4, %rdx
    movb %dl, %al
    andb $0xf, %al
    addb $'0', %al
    cmpb $'9', %al
    jbe 2f
    addb $'a' - '9' - 1, %al
2:  call putc64
    loop 1b
    popq %rdx
    popq %rcx
    popq %rax
    ret

/* putdec64: RAX unsigned decimal. */
    .globl putdec64
putdec64:
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    movl $10, %ebx
    xorl %ecx, %ecx
1:  xorl %edx, %edx
    divq %rbx
    pushq %rdx
    incl %ecx
    testq %rax, %rax
    jnz 1b
2:  popq %rax
    addb $'0', %al
    call putc64
    loop 2b
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    ret

    .globl exit64
exit64:
    outl %eax, $DEBUG_EXIT_PORT
1:  cli
    hlt
    jmp 1b

    .globl tap_check64
tap_check64:
    pushq %rax
    incl tap_count
    testl %eax, %eax
    jnz 1f
    incl tap_failed
    PRINT64 "not "
1:  PRINT64 "ok "
    movl tap_count, %eax
    call putdec64
    PRINT64 " - "
    call puts64
    call newline64
    popq %rax
    ret

    .globl tap_skip64
tap_skip64:
    pushq %rax
    incl tap_count
    PRINT64 "ok "
    movl tap_count, %eax
    call putdec64
    PRINT64 " - "
    call puts64
    PRINT64 " # SKIP"
    call newline64
    popq %rax
    ret

    .globl tap_finish64
tap_finish64:
    movl tap_count, %eax
    cmpl tap_planned, %eax
    je 1f
    PRINT64 "# planned "
    movl tap_planned, %eax
    call putdec64
    PRINT64 " checks, ran "
    movl tap_count, %eax
    call putdec64
    call newline64
    movl $EXIT_PLAN, %eax
    call exit64
1:  cmpl $0, tap_failed
    je 2f
    PRINT64 "# failed "
    movl tap_failed, %eax
    call putdec64
    call newline64
    movl $EXIT_FAIL, %eax
    call exit64
2:  PRINTLN64 "# all passed"
    movl $EXIT_PASS, %eax
    call exit64

/* ---- 64-bit exceptions ---- */

    .balign 16
stubs64:
    vec = 0
    .rept 256
    .balign 16
    .if vec == 8 || vec == 10 || vec == 11 || vec == 12 || vec == 13 || vec == 14 || vec == 17 || vec == 21 || vec == 29 || vec == 30
    .else
    pushq $0
    .endif
    pushq $vec
    jmp exc_common64
    vec = vec + 1
    .endr

/*
 * Frame: vector, error, RIP, CS, RFLAGS, RSP, SS.  Resume at exc_recover
 * (once); a fault from CPL 3 resumes at CPL 0 on user_return_sp.
 */
exc_common64:
    pushq %rax
    movq 8(%rsp), %rax
    movl %eax, exc_vector
    movq 16(%rsp), %rax
    movq %rax, exc_error
    movq 24(%rsp), %rax
    movq %rax, exc_eip
    movq 32(%rsp), %rax
    movq %rax, exc_cs
    movq 40(%rsp), %rax
    movq %rax, exc_eflags
    movq 48(%rsp), %rax
    movq %rax, exc_rsp
    movq %cr2, %rax
    movq %rax, exc_cr2
    leaq 24(%rsp), %rax
    movq %rax, exc_frame_sp
    incl exc_count
    movq exc_recover, %rax
    testq %rax, %rax
    jz exc_panic64
    movq $0, exc_recover
    movq %rax, 24(%rsp)
    andq $~0x4100, 40(%rsp)
    testb $3, 32(%rsp)
    jz 1f
    movq $SEL_KCODE64, 32(%rsp)
    movq $SEL_KDATA64, 56(%rsp)
    movq user_return_sp, %rax
    movq %rax, 48(%rsp)
1:  popq %rax
    addq $16, %rsp
    iretq

exc_panic64:
    movl $stack_top, %esp
    PRINT64 "# unexpected exception "
    movl exc_vector, %eax
    call putdec64
    PRINT64 " error "
    movq exc_error, %rax
    call puthex64
    PRINT64 " at "
    movq exc_cs, %rax
    call puthex64
    PRINT64 ":"
    movq exc_eip, %rax
    call puthex64
    PRINT64 " cr2 "
    movq exc_cr2, %rax
    call puthex64
    call newline64
    movl $EXIT_EXCEPTION, %eax
    call exit64

/* idt64_set: EDI = vector, RSI = handler, EDX = attribute | IST << 8. */
    .globl idt64_set
idt64_set:
    pushq %rbx
    pushq %rsi
    movl %edi, %ebx
    shll $4, %ebx
    addq $idt64, %rbx
    movw %si, (%rbx)
    movw $SEL_KCODE64, 2(%rbx)
    movb %dh, 4(%rbx)
    movb %dl, 5(%rbx)
    shrq $16, %rsi
    movw %si, 6(%rbx)
    shrq $16, %rsi
    movl %esi, 8(%rbx)
    movl $0, 12(%rbx)
    popq %rsi
    popq %rbx
    ret

/* idt64_stub: RSI = the default stub for vector EDI. */
    .globl idt64_stub
idt64_stub:
    movl %edi, %esi
    shll $4, %esi
    addq $stubs64, %rsi
    ret

    .globl idt64_init, idt64_load
idt64_init:
    pushq %rdi
    pushq %rsi
    pushq %rdx
    xorl %edi, %edi
1:  call idt64_stub
    movl $GATE_INT, %edx
    call idt64_set
    incl %edi
    cmpl $256, %edi
    jb 1b
    movl $VEC_TO_KERNEL, %edi
    call idt64_stub
    movl $GATE_INT_U, %edx
    call idt64_set
    popq %rdx
    popq %rsi
    popq %rdi
idt64_load:
    subq $16, %rsp
    movw $256 * 16 - 1, (%rsp)
    movq $idt64, 2(%rsp)
    lidt (%rsp)
    addq $16, %rsp
    ret

/* check_exc64: RDI = desc, ESI = vector, RDX = error (-1 any), RCX = RIP (0 any). */
    .globl check_exc64
check_exc64:
    pushq %rax
    movq $0, exc_recover
    xorl %eax, %eax
    cmpl exc_vector, %esi
    jne 1f
    cmpq $-1, %rdx
    je 2f
    cmpq exc_error, %rdx
    jne 1f
2:  testq %rcx, %rcx
    jz 3f
    cmpq exc_eip, %rcx
    jne 1f
3:  movl $1, %eax
1:  pushq %rsi
    movq %rdi, %rsi
    call tap_check64
    popq %rsi
    testl %eax, %eax
    jnz 4f
    PRINT64 "#   got vector "
    movl exc_vector, %eax
    call puthex64
    PRINT64 " error "
    movq exc_error, %rax
    call puthex64
    PRINT64 " rip "
    movq exc_eip, %rax
    call puthex64
    PRINT64 " cr2 "
    movq exc_cr2, %rax
    call puthex64
    call newline64
4:  popq %rax
    ret

/* tss64_load: RSP0 = istack_top, IST1 = RDI; 64-bit TSS at SEL_TSS; LTR. */
    .globl tss64_load
tss64_load:
    pushq %rax
    pushq %rdx
    movq $istack_top, %rax
    movq %rax, tss64 + 4
    movq %rdi, tss64 + 0x24
    movw $104, tss64 + 102
    movl $tss64, %eax
    movl $0x89, %edx
    .code64
    call gdt_set_tss64
    movw $SEL_TSS, %ax
    ltr %ax
    popq %rdx
    popq %rax
    ret

gdt_set_tss64:
    pushq %rbx
    pushq %rcx
    movl $gdt + SEL_TSS, %ebx
    movl %eax, %ecx
    shll $16, %ecx
    orl $103, %ecx
    movl %ecx, (%rbx)
    movl %eax, %ecx
    andl $0xff000000, %ecx
    shll $8, %edx
    orl %edx, %ecx
    movl %eax, %edx
    shrl $16, %edx
    andl $0xff, %edx
    orl %edx, %ecx
    movl %ecx, 4(%rbx)
    movq $0, 8(%rbx)
    popq %rcx
    popq %rbx
    ret
