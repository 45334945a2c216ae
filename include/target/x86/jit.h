/*
 * The x86-64 host JIT for decoded translation blocks.
 *
 * A TB's DecodedInsn array compiles to one host function.  The hottest
 * integer forms on 32- and 64-bit registers (MOV, ADD/SUB/AND/OR/XOR/
 * CMP/TEST, NOT/NEG, shifts and rotates by a constant, LEA, MOVZX/MOVSX)
 * become inline host code on env->regs; every other instruction is a
 * call to the interpreter's own handler for it, so the JIT never has
 * semantics of its own for anything hard.  The interpreter stays the
 * reference: tests/unit/test-x86-jit.c runs the same code on both.
 *
 * Loads and stores of the inline forms (64-bit addressing, flat segment)
 * probe the softmmu TLB inline and call the softmmu on a miss.
 *
 * Guest state stays exact where it can be observed:
 *  - Inline register forms never fault; on a TLB miss, as before a
 *    handler call, rip and icount_budget are brought up to date first.  Before each handler call rip and
 *    icount_budget are brought up to date, so a fault (longjmp out of
 *    the handler) sees guest state precise at the faulting instruction.
 *  - Dead-flag elimination: an inline form whose flags every path
 *    overwrites before any read does not record them.  A handler call
 *    counts as reading all flags (it may fault, read them or stop the
 *    TB), as does the end of the TB.
 *  - After each handler call the code checks tb_stop (a store hit this
 *    TB's code) and returns 1 with the state after that instruction.
 * A TB only runs compiled when the budget covers all of it; a partial
 * run goes through the interpreter.
 */
#ifndef TARGET_X86_JIT_H
#define TARGET_X86_JIT_H

#include "target/x86/decode.h"

/* Returns 0 when the whole TB ran, 1 when it stopped early (tb_stop). */
typedef int X86JitFn(CPUX86State *env);

/* True when this host has the JIT (x86-64). */
bool x86_jit_available(void);

/*
 * Compile the n instructions at insns, decoded under hflags (the TB's
 * flags: they give the MMU mode of the inline TLB path), into code.
 * invalid: the TB's invalid flag; with it, a TB that ends branching
 * back to its own start loops inside the host code (checking the flag,
 * the budget and exit/interrupt requests each time round); NULL: never.  The code
 * refers to insns by address: they must be at their final place and
 * outlive it.  Returns the bytes used, or 0 when it does not fit (or no
 * JIT on this host); the TB then runs on the interpreter.
 */
size_t x86_jit_translate(uint32_t hflags, const DecodedInsn *insns, int n,
                         const int *invalid, uint8_t *code, size_t room);

/* How many of the n instructions at insns compile to inline code. */
int x86_jit_count_inline(const DecodedInsn *insns, int n);

#endif
