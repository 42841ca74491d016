/*
 * veh-launcher - Experiment 1 inside one process: the user-level pager pattern. It reserves
 * tokyo-vm's code range, registers a vectored handler that pages the code in on each fault
 * (commit, copy the page from the blob it carries, NtFlushInstructionCache) and calls the
 * code. Unlike fault-launcher it runs the code on its own, committed stack: an exception is
 * delivered on the faulting thread's stack, so a process cannot take the faults of a stack
 * that has no pages yet (the kernel has nowhere to put the exception; the process ends).
 * That is what the debugger in fault-launcher is for.
 *   pagevisor run veh-launcher.elf 10
 */
#include <ntapi.h>
#include "tokyo/tokyo.h"

#include "tokyo/blob.h"

static const TOKYO_SERVICES Services = { PvDisplayString };
static ULONG CodeFaults, Other;

static LONG NTAPI Pager(PEXCEPTION_POINTERS Pointers)
{
    PEXCEPTION_RECORD Record = Pointers->ExceptionRecord;
    ULONG Address = Record->ExceptionInformation[1], Page = Address & ~(TOKYO_PAGE_SIZE - 1);
    ULONG Offset = Page - TOKYO_CODE_BASE, BlobSize = (ULONG)(TokyoBlobEnd - TokyoBlob);
    PVOID Base = (PVOID)Page;
    SIZE_T Size = TOKYO_PAGE_SIZE;

    if (Record->ExceptionCode != STATUS_ACCESS_VIOLATION || Offset >= BlobSize)
    {
        Other++;
        return EXCEPTION_CONTINUE_SEARCH;
    }
    CodeFaults++;
    PvPrint("veh-launcher: code fault at 0x%08X (eip 0x%08X): page %u of the code\n", Address,
            Pointers->ContextRecord->Eip, Offset / TOKYO_PAGE_SIZE);
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_COMMIT,
                                            PAGE_EXECUTE_READWRITE)))
        return EXCEPTION_CONTINUE_SEARCH;
    memcpy(Base, TokyoBlob + Offset,
           BlobSize - Offset < TOKYO_PAGE_SIZE ? BlobSize - Offset : TOKYO_PAGE_SIZE);
    NtFlushInstructionCache(NtCurrentProcess(), Base, TOKYO_PAGE_SIZE);
    return EXCEPTION_CONTINUE_EXECUTION;
}

int main(int argc, char **argv)
{
    PVOID Code = (PVOID)TOKYO_CODE_BASE;
    SIZE_T CodeSize = TOKYO_CODE_SIZE;
    ULONG Argument = 0;
    const char *Digit;

    for (Digit = argc > 1 ? argv[1] : "10"; *Digit >= '0' && *Digit <= '9'; Digit++)
        Argument = Argument * 10 + (ULONG)(*Digit - '0');
    if (!NT_SUCCESS(NtAllocateVirtualMemory(NtCurrentProcess(), &Code, 0, &CodeSize,
                                            MEM_RESERVE, PAGE_EXECUTE_READWRITE)) ||
        RtlAddVectoredExceptionHandler(1, Pager) == NULL)
        return 2;
    ((TOKYO_ENTRY)TOKYO_CODE_BASE)(&Services, Argument);
    PvPrint("veh-launcher: faults handled: %u demand-page code, %u passed on\n", CodeFaults,
            Other);
    return 0;
}
