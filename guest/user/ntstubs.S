/*
 * ntstubs.S - the native API of a user image: one thunk per entry of
 * guest/include/ntservices.h, an indirect jump through the image's import table, which the
 * kernel's loader fills with the address of the stub of that name in the system DLL at
 * 0x77F60000 (guest/ntdll/ntdll.S, ldr/sysdll.c) before the image runs.
 *
 * Import table: the PT_PV_IMPORTS program header (guest/include/elf.h; image.ld) covers an
 * array of { name address, target } pairs in the image's writable data. Until the loader
 * fills it, each target is PvpUnresolvedImport, which ends the process with
 * STATUS_ENTRYPOINT_NOT_FOUND (an image run by a kernel without the DLL).
 */
#include "../include/ntservices.h"

.macro IMPORT name
    .section .rodata.pvnames, "a"
\name\()_ImportName:
    .asciz "\name"

    .section .pvimports, "aw"
    .balign 4
\name\()_Import:
    .long \name\()_ImportName, PvpUnresolvedImport

    .text
    .globl \name
    .type \name, @function
\name:
    jmp *(\name\()_Import + 4)
    .size \name, . - \name
.endm

#define PV_IMPORT(Name, Number, Count) IMPORT Name;

    PV_NT_SERVICES(PV_IMPORT)
    PV_PV_SERVICES(PV_IMPORT)
#define PV_IMPORT_FUNCTION(Name) IMPORT Name;
    PV_NTDLL_FUNCTIONS(PV_IMPORT_FUNCTION)

/* NtTerminateProcess(NtCurrentProcess(), STATUS_ENTRYPOINT_NOT_FOUND), straight to the kernel. */
    .text
    .type PvpUnresolvedImport, @function
PvpUnresolvedImport:
    pushl $0xC0000139
    pushl $-1
    pushl $0
    movl $0, %eax
    leal 4(%esp), %edx
    int $0x2E
    ud2
    .size PvpUnresolvedImport, . - PvpUnresolvedImport

    .section .note.GNU-stack, "", @progbits
