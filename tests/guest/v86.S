/*
 * v86: virtual-8086 mode in 32-bit protected mode (paging off).
 * IRET from PL 0 with EFLAGS.VM into 16-bit code at CPL 3 with real-mode
 * segments; INT n back to PL 0 through a 32-bit gate (the frame with
 * GS/FS/DS/ES, VM cleared, null data segments); the IOPL-sensitive
 * instructions (CLI, STI, PUSHF, POPF, INT n, IRET) #GP(0) at IOPL 0 and
 * work at IOPL 3 (POPF cannot change IOPL, IRET pops as in real mode);
 * IN/OUT checked against the TSS I/O bitmap even at IOPL 3; a task
 * switch into a TSS with EFLAGS.VM.  (Segment limits in v86 mode are
 * tested in tests/unit/test-x86-system.c: QEMU's TCG does not check them.)
 */
#include "lib/runtime.h"

#define SEL_VTSS    SEL_SPARE0  /* TSS with an I/O bitmap (kernel task) */
#define SEL_V86TASK SEL_SPARE1  /* TSS of a virtual-8086 task */
#define V86_SEG     0x1000      /* the blob runs at linear 0x10000 */
#define V86_BASE    (V86_SEG << 4)
#define V86_DATA    0x2000      /* ES in v86: linear 0x20000 */
#define V86_SP      0xfff0      /* SS = V86_SEG */
#define VEC_V86     0x82        /* INT from v86, DPL 3 gate */
#define EFL_VM      0x20000
#define EFL_IOPL3   0x3000
#define OFF(l)      ((l) - v86_blob)

    .data
    .balign 16
/* 104-byte TSS, then an I/O bitmap for ports 0-255 and the 0xff byte */
vtss:       .fill 26, 4, 0
vtss_map:   .fill 32, 1, 0
            .byte 0xff
vtss_end:
    .balign 16
v86tss:     .fill 26, 4, 0      /* the v86 task's TSS */
v86tss_end:

/* what the PL 0 handler found */
t_vec:      .long 0
t_err:      .long 0
t_eip:      .long 0
t_cs:       .long 0
t_eflags:   .long 0
t_esp:      .long 0
t_ss:       .long 0
t_es:       .long 0
t_ds:       .long 0
t_fs:       .long 0
t_gs:       .long 0
t_entry_ds: .long 0
t_entry_fs: .long 0
v86_cont:   .long 0

    .text
/* ---- the virtual-8086 code, copied to V86_BASE ---------------------- */
    .code16
v86_blob:
/* main run at IOPL 3: segments, stack, PUSHF/POPF, CLI/STI, IRET, INT */
v86_main:
    movw %cs, %ax
    movw %ax, %ds
    movw $V86_DATA, %ax
    movw %ax, %es
    movw OFF(v86_word), %ax         /* DS = CS: base CS << 4 */
    movw %ax, %es:0                 /* -> linear 0x20000 */
    pushw $0x1234
    popw %bx
    movw %bx, %es:2
    pushfl
    popl %eax
    movl %eax, %es:4                /* EFLAGS as v86 sees it */
    andl $~EFL_IOPL3, %eax
    pushl %eax
    popfl                           /* IOPL cannot change at CPL 3 */
    pushfl
    popl %eax
    movl %eax, %es:8
    cli
    sti
    cli                             /* (in STI's shadow: no interrupt) */
    pushw $0
    popfw
    pushw $0x0001                   /* IRET as in real mode: CF, IOPL 0 */
    pushw %cs
    pushw $OFF(1f)
    iret
    hlt
1:  movw $0x5678, %es:12
    pushfw
    popw %es:14
    movw $0x3333, %ax
    movw %ax, %fs
    movw $0x4444, %ax
    movw %ax, %gs
    movw $0x7777, %si
    int $VEC_V86
    hlt
v86_word:   .word 0xbeef

/* IOPL 0: each of these #GP(0)s at its own address */
v86_cli:    cli
v86_sti:    sti
v86_pushf:  pushfw
v86_popf:   popfw
v86_int:    int $VEC_V86
v86_iret:   iret
/* IOPL 3: the bitmap lets port 0x80 through, not 0x82 */
v86_in_ok:  inb $0x80, %al
            int $VEC_V86
v86_in_bad: inb $0x82, %al
/* the v86 task */
v86_task:   movw $0x6666, %si
            int $VEC_V86
v86_blob_end:
    .code32

/*
 * PL 0 handlers.  The v86 frame: [error], EIP, CS, EFLAGS, ESP, SS, ES,
 * DS, FS, GS.  Record it and go on at v86_cont on the kernel stack.
 */
v86_gp:
    movl %ds, %eax
    movl %eax, %ss:t_entry_ds
    movl %fs, %eax
    movl %eax, %ss:t_entry_fs
    movl $13, %ss:t_vec
    popl %ss:t_err
    jmp v86_record
v86_intr:
    movl %ds, %eax
    movl %eax, %ss:t_entry_ds
    movl %fs, %eax
    movl %eax, %ss:t_entry_fs
    movl $VEC_V86, %ss:t_vec
    movl $-1, %ss:t_err
v86_record:
    movw $SEL_KDATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %fs
    movw %ax, %gs
    popl t_eip
    popl t_cs
    popl t_eflags
    popl t_esp
    popl t_ss
    popl t_es
    popl t_ds
    popl t_fs
    popl t_gs
    movl user_return_sp, %esp
    jmp *v86_cont

/*
 * run_v86: IRET to v86 at CS:IP = V86_SEG:ESI with EFLAGS EDX (VM added);
 * returns when the handler jumps to the continuation.
 */
run_v86:
    pushal
    movl $1f, v86_cont
    movl %esp, user_return_sp
    movl $0, t_vec
    pushl $0x5555                   /* GS */
    pushl $0x4444                   /* FS */
    pushl $V86_SEG                  /* DS */
    pushl $V86_SEG                  /* ES */
    pushl $V86_SEG                  /* SS */
    pushl $V86_SP                   /* ESP */
    orl $EFL_VM | 2, %edx
    pushl %edx                      /* EFLAGS */
    pushl $V86_SEG                  /* CS */
    pushl %esi                      /* EIP */
    iretl
1:  popal
    ret

.macro RUN_V86 label, eflags
    movl $OFF(\label), %esi
    movl $\eflags, %edx
    call run_v86
.endm

/* After a #GP(0) from v86 at label: vector, error, EIP, VM in EFLAGS. */
.macro CHECK_GP label, desc
    cmpl $13, t_vec
    CHECK e, "\desc: #GP"
    cmpl $0, t_err
    CHECK e, "\desc: error code 0"
    cmpl $OFF(\label), t_eip
    CHECK e, "\desc: EIP at the instruction"
.endm

    .globl test_main
test_main:
    PLAN 49

    /* copy the v86 code below 1 MiB */
    movl $v86_blob, %esi
    movl $V86_BASE, %edi
    movl $v86_blob_end - v86_blob, %ecx
    rep movsb

    /* a TSS with ESP0 and an I/O bitmap: port 0x82 denied */
    movl $istack_top, vtss + 4
    movl $SEL_KDATA, vtss + 8
    movw $vtss_map - vtss, vtss + 102
    movb $0x04, vtss_map + 0x10
    movl $SEL_VTSS, %ebx
    movl $vtss, %eax
    movl $vtss_end - vtss - 1, %ecx
    movl $0x89, %edx
    call gdt_set_desc
    movw $SEL_VTSS, %ax
    ltr %ax

    /* INT 0x82 from v86 (DPL 3 interrupt gate), #GP to its own handler */
    movl $VEC_V86, %eax
    movl $v86_intr, %edx
    movl $GATE_INT_U, %ecx
    call idt32_set
    movl $13, %eax
    movl $v86_gp, %edx
    movl $GATE_INT, %ecx
    call idt32_set

    /* ---- IRET into v86 at IOPL 3, back by INT n ---- */
    RUN_V86 v86_main, EFL_IOPL3
    cmpl $VEC_V86, t_vec
    CHECK e, "INT n from v86 reaches the PL 0 handler"
    cmpl $0, t_entry_ds
    CHECK e, "DS is null in the handler"
    cmpl $0, t_entry_fs
    CHECK e, "FS is null in the handler"
    cmpl $V86_SEG, t_cs
    CHECK e, "frame: CS"
    cmpl $OFF(v86_word) - 1, t_eip
    CHECK e, "frame: EIP after INT n"
    testl $EFL_VM, t_eflags
    CHECK nz, "frame: EFLAGS.VM set"
    movl t_eflags, %eax
    andl $EFL_IOPL3, %eax
    cmpl $EFL_IOPL3, %eax
    CHECK e, "frame: IOPL 3 kept (POPF at CPL 3)"
    cmpl $V86_SP, t_esp
    CHECK e, "frame: ESP"
    cmpl $V86_SEG, t_ss
    CHECK e, "frame: SS"
    cmpl $V86_DATA, t_es
    CHECK e, "frame: ES"
    cmpl $V86_SEG, t_ds
    CHECK e, "frame: DS"
    cmpl $0x3333, t_fs
    CHECK e, "frame: FS"
    cmpl $0x4444, t_gs
    CHECK e, "frame: GS"
    cmpw $0xbeef, 0x20000
    CHECK e, "v86 segments: base = selector << 4"
    cmpw $0x1234, 0x20002
    CHECK e, "v86 stack push/pop"
    movl 0x20004, %eax
    andl $EFL_VM | EFL_IOPL3, %eax
    cmpl $EFL_IOPL3, %eax
    CHECK e, "PUSHF in v86: IOPL 3, VM reads as 0"
    movl 0x20008, %eax
    andl $EFL_IOPL3, %eax
    cmpl $EFL_IOPL3, %eax
    CHECK e, "POPF in v86 leaves IOPL"
    cmpw $0x5678, 0x2000c
    CHECK e, "IRET in v86 at IOPL 3 (real-mode frame)"
    testl $1, 0x2000e
    CHECK nz, "IRET in v86 loads the flags of its frame"

    /* ---- IOPL 0: the IOPL-sensitive instructions #GP(0) ---- */
    RUN_V86 v86_cli, 0
    CHECK_GP v86_cli, "CLI at IOPL 0"
    testl $EFL_VM, t_eflags
    CHECK nz, "#GP frame: EFLAGS.VM set"
    RUN_V86 v86_sti, 0
    CHECK_GP v86_sti, "STI at IOPL 0"
    RUN_V86 v86_pushf, 0
    CHECK_GP v86_pushf, "PUSHF at IOPL 0"
    RUN_V86 v86_popf, 0
    CHECK_GP v86_popf, "POPF at IOPL 0"
    RUN_V86 v86_int, 0
    CHECK_GP v86_int, "INT n at IOPL 0"
    RUN_V86 v86_iret, 0
    CHECK_GP v86_iret, "IRET at IOPL 0"

    /* ---- I/O bitmap at IOPL 3 ---- */
    RUN_V86 v86_in_ok, EFL_IOPL3
    cmpl $VEC_V86, t_vec
    CHECK e, "IN from a port the bitmap allows"
    RUN_V86 v86_in_bad, EFL_IOPL3
    CHECK_GP v86_in_bad, "IN from a port the bitmap denies, IOPL 3"

    /* ---- task switch into a v86 task ---- */
    movl $istack_top, v86tss + 4
    movl $SEL_KDATA, v86tss + 8
    movl $OFF(v86_task), v86tss + 0x20      /* EIP */
    movl $EFL_VM | EFL_IOPL3 | 2, v86tss + 0x24
    movl $V86_SP, v86tss + 0x38             /* ESP */
    movl $V86_DATA, v86tss + 0x48           /* ES */
    movl $V86_SEG, v86tss + 0x4c            /* CS */
    movl $V86_SEG, v86tss + 0x50            /* SS */
    movl $V86_SEG, v86tss + 0x54            /* DS */
    movl $0x1111, v86tss + 0x58             /* FS */
    movl $0x2222, v86tss + 0x5c             /* GS */
    movw $104, v86tss + 102
    movl $SEL_V86TASK, %ebx
    movl $v86tss, %eax
    movl $v86tss_end - v86tss - 1, %ecx
    movl $0x89, %edx
    call gdt_set_desc
    movl $1f, v86_cont
    movl %esp, user_return_sp
    movl $0, t_vec
    ljmp $SEL_V86TASK, $0
1:  cmpl $VEC_V86, t_vec
    CHECK e, "task switch into a v86 task, INT n back to PL 0"
    cmpl $OFF(v86_task) + 5, t_eip
    CHECK e, "v86 task: EIP after INT n"
    cmpl $V86_SEG, t_cs
    CHECK e, "v86 task: CS"
    cmpl $V86_DATA, t_es
    CHECK e, "v86 task: ES"
    cmpl $0x2222, t_gs
    CHECK e, "v86 task: GS"
    testl $EFL_VM, t_eflags
    CHECK nz, "v86 task: EFLAGS.VM"
    str %ax
    cmpw $SEL_V86TASK, %ax
    CHECK e, "TR is the v86 task"
    ret
