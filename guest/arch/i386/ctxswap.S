/*
 * ctxswap.S - the context switch: KiSwapContext saves the running thread's callee-saved
 * registers on its own kernel stack and its ESP in the KTHREAD, then takes the next thread's
 * ESP and returns on its stack (into its own KiSwapContext call, or, for a thread that never
 * ran, into KiThreadStartupThunk). CR3, TSS.Esp0, the IRQL and the x87 state are the
 * dispatcher's business (ke/dispatch.c); here only the stack changes.
 */
    .text
/* VOID KiSwapContext(PULONG OldKernelStack, ULONG NewKernelStack) */
    .globl KiSwapContext
KiSwapContext:
    movl 4(%esp), %eax
    movl 8(%esp), %edx
    pushl %ebp
    pushl %ebx
    pushl %esi
    pushl %edi
    movl %esp, (%eax)
    movl %edx, %esp
    popl %edi
    popl %esi
    popl %ebx
    popl %ebp
    ret

/* A new thread's stack (KeInitializeThread): four zero registers, this thunk's address, the
 * KTHREAD pointer, then its trap frame. KiThreadStartup(Thread) runs, then the trap frame is
 * left through KiTrapExit into ring 3. */
    .globl KiThreadStartupThunk
KiThreadStartupThunk:
    call KiThreadStartup            /* the argument is already at 0(%esp)... */
    addl $4, %esp                   /* ...and is popped here: ESP is the trap frame */
    jmp KiTrapExit

    .section .note.GNU-stack, "", @progbits
