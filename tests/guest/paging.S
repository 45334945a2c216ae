/*
 * paging: every page size and the TLB rules a guest may rely on.
 *   32-bit (CR4.PSE): 4 KiB and 4 MiB pages, Accessed/Dirty, CR0.WP,
 *                     INVLPG, CR3 reload, global pages (CR4.PGE)
 *   PAE:              2 MiB and 4 KiB pages, Dirty on a large page
 *   4-level (64-bit): 4 KiB, 2 MiB, 1 GiB (if CPUID.pdpe1gb) pages
 * Test pages live at virtual 0x40000000 and above; 0..64 MiB stays
 * identity mapped so the code, stack and tables are where they were.
 */
#include "lib/runtime.h"

#define VBASE   0x40000000
#define MAGIC_A 0xaaaa1111
#define MAGIC_B 0xbbbb2222
#define MAGIC_L 0x1a26e000      /* in the large-page frame */
#define LARGE_PHYS 0x00800000   /* 4 MiB (and so 2 MiB) aligned, free RAM */
#define LARGE_OFF  0x1234

    .bss
    .balign 4096
pd32:       .skip 4096
pt32:       .skip 4096
pdpt_pae:   .skip 4096          /* only 32 bytes used */
pd_pae0:    .skip 4096
pd_pae1:    .skip 4096
pt_pae:     .skip 4096
pd4:        .skip 4096
pt4:        .skip 4096
pdpt_hi:    .skip 4096
phys_a:     .skip 4096
phys_b:     .skip 4096

    .data
gpf_seen:   .long 0

    .text
    .code32
    .globl test_main
test_main:
    PLAN 23
    movl $MAGIC_A, phys_a
    movl $MAGIC_B, phys_b
    movl $MAGIC_L, LARGE_PHYS + LARGE_OFF

    /* ---- 32-bit paging ---- */
    PRINTLN "# 32-bit paging, CR4.PSE"
    xorl %ecx, %ecx                     /* 0..64 MiB: 4 MiB pages */
1:  movl %ecx, %eax
    shll $22, %eax
    orl $(PTE_P | PTE_W | PTE_PS), %eax
    movl %eax, pd32(,%ecx,4)
    incl %ecx
    cmpl $16, %ecx
    jb 1b
    movl $pt32 + (PTE_P | PTE_W), pd32 + (VBASE >> 22) * 4
    movl $LARGE_PHYS + (PTE_P | PTE_W | PTE_PS), pd32 + (VBASE >> 22) * 4 + 4
    movl $phys_a + (PTE_P | PTE_W), pt32            /* VBASE: A */
    movl $phys_b + PTE_P, pt32 + 4                  /* +1: B read-only */
    movl %cr4, %eax
    orl $CR4_PSE, %eax
    movl %eax, %cr4
    movl $pd32, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $CR0_PG, %eax
    andl $~CR0_WP, %eax
    movl %eax, %cr0

    cmpl $MAGIC_A, VBASE
    CHECK e, "4 KiB page: read through the mapping"
    movl pt32, %eax
    andl $(PTE_A | PTE_D), %eax
    cmpl $PTE_A, %eax
    CHECK e, "4 KiB page: read sets PTE.A, not PTE.D"
    testl $PTE_A, pd32 + (VBASE >> 22) * 4
    CHECK nz, "4 KiB page: walk sets PDE.A"
    movl $MAGIC_A + 1, VBASE
    testl $PTE_D, pt32
    CHECK nz, "4 KiB page: write sets PTE.D"
    cmpl $MAGIC_A + 1, phys_a
    CHECK e, "4 KiB page: write reaches the physical page"
    movl $MAGIC_A, phys_a

    cmpl $MAGIC_L, VBASE + 0x400000 + LARGE_OFF
    CHECK e, "4 MiB page (PSE): read through the mapping"
    movl $0, VBASE + 0x400000 + LARGE_OFF + 4
    movl pd32 + (VBASE >> 22) * 4 + 4, %eax
    andl $(PTE_A | PTE_D), %eax
    cmpl $(PTE_A | PTE_D), %eax
    CHECK e, "4 MiB page: read and write set PDE.A and PDE.D"

    /* CR0.WP: supervisor writes to a read-only page. */
    movl $MAGIC_B + 1, VBASE + 0x1000
    cmpl $MAGIC_B + 1, phys_b
    CHECK e, "CR0.WP=0: supervisor write to a read-only page succeeds"
    movl %cr0, %eax
    orl $CR0_WP, %eax
    movl %eax, %cr0
    EXPECT_EXC 1f
wp_insn:
    movl $MAGIC_B + 2, VBASE + 0x1000
1:  CHECK_EXC 14, 3, wp_insn, "CR0.WP=1: supervisor write to a read-only page is #PF(P|W)"
    cmpl $VBASE + 0x1000, exc_cr2
    jne 2f
    cmpl $MAGIC_B + 1, phys_b
2:  CHECK e, "CR0.WP=1: CR2 = the address, memory unchanged"

    /* INVLPG after changing a PTE. */
    movl $phys_a + (PTE_P | PTE_W), pt32 + 12
    movl VBASE + 0x3000, %eax           /* cache the translation */
    movl $phys_b + (PTE_P | PTE_W), pt32 + 12
    invlpg VBASE + 0x3000
    movl VBASE + 0x3000, %eax
    andl $0xffff0000, %eax
    cmpl $MAGIC_B & 0xffff0000, %eax
    CHECK e, "INVLPG: the changed PTE takes effect"

    /* A CR3 reload flushes non-global entries. */
    movl $phys_a + (PTE_P | PTE_W), pt32 + 16
    movl VBASE + 0x4000, %eax
    movl $phys_b + (PTE_P | PTE_W), pt32 + 16
    movl %cr3, %eax
    movl %eax, %cr3
    movl VBASE + 0x4000, %eax
    andl $0xffff0000, %eax
    cmpl $MAGIC_B & 0xffff0000, %eax
    CHECK e, "CR3 reload: a changed non-global PTE takes effect"

    /*
     * Global pages: with CR4.PGE a G=1 translation may survive a CR3
     * reload (the architecture allows, never requires, keeping it: QEMU
     * flushes it), and toggling CR4.PGE must flush it.
     */
    movl %cr4, %eax
    orl $CR4_PGE, %eax
    movl %eax, %cr4
    movl $phys_a + (PTE_P | PTE_W | PTE_G), pt32 + 20
    movl VBASE + 0x5000, %eax
    movl $phys_b + (PTE_P | PTE_W | PTE_G), pt32 + 20
    movl %cr3, %eax
    movl %eax, %cr3
    movl VBASE + 0x5000, %eax
    cmpl $MAGIC_A, %eax
    jne 1f
    NOTE "global page kept across the CR3 reload"
    jmp 2f
1:  NOTE "global page not kept across the CR3 reload (allowed)"
2:  andl $0xffff0000, %eax
    cmpl $MAGIC_A & 0xffff0000, %eax
    je 3f
    cmpl $MAGIC_B & 0xffff0000, %eax
3:  CHECK e, "CR4.PGE: a global page reads the old or the new frame after CR3 reload"
    movl %cr4, %eax
    andl $~CR4_PGE, %eax
    movl %eax, %cr4
    orl $CR4_PGE, %eax
    movl %eax, %cr4
    movl VBASE + 0x5000, %eax
    andl $0xffff0000, %eax
    cmpl $MAGIC_B & 0xffff0000, %eax
    CHECK e, "CR4.PGE toggle flushes the global page"

    /* ---- PAE ---- */
    movl %cr0, %eax
    andl $~CR0_PG, %eax
    movl %eax, %cr0
    PRINTLN "# PAE paging"
    movl $pd_pae0 + PTE_P, pdpt_pae
    movl $pd_pae1 + PTE_P, pdpt_pae + 8
    xorl %ecx, %ecx                     /* 0..64 MiB: 2 MiB pages */
1:  movl %ecx, %eax
    shll $21, %eax
    orl $(PTE_P | PTE_W | PTE_PS), %eax
    movl %eax, pd_pae0(,%ecx,8)
    incl %ecx
    cmpl $32, %ecx
    jb 1b
    movl $LARGE_PHYS + (PTE_P | PTE_W | PTE_PS), pd_pae1     /* VBASE: 2 MiB */
    movl $pt_pae + (PTE_P | PTE_W), pd_pae1 + 8              /* +2 MiB: 4 KiB */
    movl $phys_a + (PTE_P | PTE_W), pt_pae
    movl %cr4, %eax
    orl $CR4_PAE, %eax
    movl %eax, %cr4
    movl $pdpt_pae, %eax
    movl %eax, %cr3
    movl %cr0, %eax
    orl $CR0_PG, %eax
    movl %eax, %cr0
    cmpl $MAGIC_L, VBASE + LARGE_OFF
    CHECK e, "PAE 2 MiB page: read through the mapping"
    movl $0, VBASE + LARGE_OFF + 4
    movl pd_pae1, %eax
    andl $(PTE_A | PTE_D), %eax
    cmpl $(PTE_A | PTE_D), %eax
    CHECK e, "PAE 2 MiB page: write sets PDE.A and PDE.D"
    cmpl $MAGIC_A, VBASE + 0x200000
    CHECK e, "PAE 4 KiB page: read through the mapping"
    testl $PTE_A, pt_pae
    CHECK nz, "PAE 4 KiB page: read sets PTE.A"
    movl %cr0, %eax
    andl $~CR0_PG, %eax
    movl %eax, %cr0

    /* ---- 4-level ---- */
    call lm_tables_init
    movl $pd4 + (PTE_P | PTE_W), lm_pdpt + (VBASE >> 30) * 8
    movl $pt4 + (PTE_P | PTE_W), pd4                        /* VBASE: 4 KiB */
    movl $phys_a + (PTE_P | PTE_W), pt4
    movl $LARGE_PHYS + (PTE_P | PTE_W | PTE_PS), pd4 + 8    /* +2 MiB */
    movl $pdpt_hi + (PTE_P | PTE_W), lm_pml4 + 8            /* 512 GiB.. */
    movl $(PTE_P | PTE_W | PTE_PS), pdpt_hi                 /* 1 GiB: phys 0 */
    movl $long_main, %eax
    jmp lm_enter

    .code64
long_main:
    PRINTLN64 "# 4-level paging (long mode)"
    cmpl $MAGIC_A, VBASE
    CHECK64 e, "4-level 4 KiB page: read through the mapping"
    movl $MAGIC_A + 2, VBASE
    movq pt4, %rax
    andl $(PTE_A | PTE_D), %eax
    cmpl $(PTE_A | PTE_D), %eax
    CHECK64 e, "4-level 4 KiB page: write sets PTE.A and PTE.D"
    testl $PTE_A, pd4
    jz 1f
    testl $PTE_A, lm_pdpt + (VBASE >> 30) * 8
    jz 1f
    testl $PTE_A, lm_pml4
1:  CHECK64 nz, "4-level walk sets A in the PML4E, PDPTE and PDE"
    cmpl $MAGIC_L, VBASE + 0x200000 + LARGE_OFF
    CHECK64 e, "4-level 2 MiB page: read through the mapping"

    movl $0x80000001, %eax
    cpuid
    testl $(1 << 26), %edx
    jnz 2f
    SKIP64 "4-level 1 GiB page: CPUID has no pdpe1gb"
    jmp 3f
2:  movabsq $0x8000000000, %rbx
    movl $phys_b, %eax
    addq %rax, %rbx
    movl (%rbx), %eax
    andl $0xffff0000, %eax
    cmpl $MAGIC_B & 0xffff0000, %eax
    CHECK64 e, "4-level 1 GiB page: read through the mapping at 512 GiB"
3:  jmp tap_finish64
