/*
 * trap.S - entry stubs for every exception, hardware interrupt and the system service
 * (int 0x2E): each builds a KTRAP_FRAME (ke.h) and calls KiDispatchTrap; KiTrapExit returns
 * with iret (a new thread's first entry to ring 3 too). Also the double-fault task entry.
 */
#define KGDT_R0_DATA 0x10

.macro TRAP_STUB vector, has_error_code
KiTrapStub\vector:
    .if \has_error_code == 0
    pushl $0
    .endif
    pushl $\vector
    jmp KiTrapCommon
.endm

    .text
.irp v, 0,1,2,3,4,5,6,7,9,15,16,18,19,20,22,23,24,25,26,27,28,31
    TRAP_STUB \v, 0
.endr
.irp v, 8,10,11,12,13,14,17,21,29,30
    TRAP_STUB \v, 1
.endr
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    TRAP_STUB \v, 0
.endr

KiTrapCommon:
    pushal
    pushl %ds
    pushl %es
    pushl %fs
    pushl %gs
    movl $KGDT_R0_DATA, %eax
    movl %eax, %ds
    movl %eax, %es
    cld
    pushl %esp                      /* PKTRAP_FRAME */
    call KiDispatchTrap
    addl $4, %esp
    .globl KiTrapExit
KiTrapExit:
    popl %gs
    popl %fs
    popl %es
    popl %ds
    popal
    addl $8, %esp                   /* vector and error code */
    iret

/* Double fault: entered through a task gate on its own TSS and stack. */
    .globl KiTrap08Task
KiTrap08Task:
    addl $4, %esp                   /* error code (always 0) */
    call KiDoubleFault
1:  cli
    hlt
    jmp 1b

    .section .rodata
    .align 4
    .globl KiTrapStubTable
KiTrapStubTable:
.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    .long KiTrapStub\v
.endr
.irp v, 32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47
    .long KiTrapStub\v
.endr

    .section .note.GNU-stack, "", @progbits
