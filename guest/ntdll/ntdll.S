/*
 * ntdll.S - the system DLL (pagevisor's ntdll): the native-API stubs, one per entry of
 * guest/include/ntservices.h (EAX = service number, EDX = address of the caller's first
 * argument, int 0x2E, return popping the arguments: stdcall, as NTAPI), and its export table.
 * The kernel carries the linked DLL (ldr/ntdllimg.S) and maps it into every process at
 * 0x77F60000 as an image section (ldr/sysdll.c); images reach these stubs through the import
 * table their loader fills (guest/user/ntstubs.S).
 *
 * Export table: the PT_PV_EXPORTS program header (guest/include/elf.h) covers an array of
 * { name address, stub address } pairs, absolute addresses in the DLL as linked.
 */
#include "../include/ntservices.h"

/* An export: its name, and a { name, address } pair in the export table. */
.macro EXPORT name
    .section .rodata.pvnames, "a"
\name\()_ExportName:
    .asciz "\name"

    .section .pvexports, "a"
    .balign 4
    .long \name\()_ExportName, \name
.endm

.macro SYSTEM_SERVICE name, number, count
    .text
    .globl \name
    .type \name, @function
\name:
    movl $\number, %eax
    leal 4(%esp), %edx
    int $0x2E
    ret $(\count * 4)
    .size \name, . - \name
    EXPORT \name
.endm

#define PV_STUB(Name, Number, Count) SYSTEM_SERVICE Name, Number, Count;

    PV_NT_SERVICES(PV_STUB)
    PV_PV_SERVICES(PV_STUB)

/* The DLL's C functions (except.c), exported by name like the stubs. */
#define PV_EXPORT(Name) EXPORT Name;
    PV_NTDLL_FUNCTIONS(PV_EXPORT)
    EXPORT KiUserExceptionDispatcher

/* Where the kernel sends a thread with an exception to dispatch (ke/except.c): [esp] is the
 * EXCEPTION_RECORD's address, [esp+4] the CONTEXT's, and there is no return address. */
    .text
    .globl KiUserExceptionDispatcher
    .type KiUserExceptionDispatcher, @function
KiUserExceptionDispatcher:
    cld
    movl (%esp), %eax
    movl 4(%esp), %edx
    pushl %edx
    pushl %eax
    call RtlpUserExceptionDispatcher
    ud2
    .size KiUserExceptionDispatcher, . - KiUserExceptionDispatcher

    .section .note.GNU-stack, "", @progbits
