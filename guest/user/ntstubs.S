/*
 * ntstubs.S - user-mode system-service stubs, one per entry of guest/include/ntservices.h:
 * EAX = service number, EDX = address of the caller's first argument, int 0x2E, and return
 * popping the arguments (stdcall, as NTAPI).
 */
#include "../include/ntservices.h"

.macro SYSTEM_SERVICE name, number, count
    .globl \name
    .type \name, @function
\name:
    movl $\number, %eax
    leal 4(%esp), %edx
    int $0x2E
    ret $(\count * 4)
.endm

#define PV_STUB(Name, Number, Count) SYSTEM_SERVICE Name, Number, Count;

    .text
    PV_NT_SERVICES(PV_STUB)
    PV_PV_SERVICES(PV_STUB)

    .section .note.GNU-stack, "", @progbits
