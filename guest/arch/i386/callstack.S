/*
 * callstack.S - KiCallOnStack: call a function on another kernel stack and come back, for
 * KeExpandKernelStackAndCallout (ke/kestack.c). The old frame pointer is the first thing on
 * the new stack, so a debugger's backtrace walks from the extension into the caller's stack.
 */
    .text
/* VOID KiCallOnStack(VOID (NTAPI *Callout)(PVOID), PVOID Parameter, ULONG StackTop) */
    .globl KiCallOnStack
KiCallOnStack:
    pushl %ebp
    movl %esp, %ebp
    movl 16(%ebp), %esp     /* the new stack's top */
    pushl %ebp              /* the caller's frame, for unwinding */
    pushl 12(%ebp)          /* Parameter */
    call *8(%ebp)           /* Callout(Parameter): EBP survives it (callee-saved) */
    movl %ebp, %esp         /* back on the caller's stack, whatever the callout popped */
    popl %ebp
    ret
    .section .note.GNU-stack,"",@progbits
