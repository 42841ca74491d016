/*
 * vmcopy.c - another process's memory through a process handle: NtReadVirtualMemory,
 * NtWriteVirtualMemory, NtFlushInstructionCache. (Being written: not implemented yet.)
 */
#include "mm.h"
#include "ps.h"

NTSTATUS NtReadVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PVOID Buffer,
                             SIZE_T BufferSize, PSIZE_T NumberOfBytesRead)
{
    (void)ProcessHandle; (void)BaseAddress; (void)Buffer; (void)BufferSize;
    (void)NumberOfBytesRead;
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NtWriteVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PCVOID Buffer,
                              SIZE_T BufferSize, PSIZE_T NumberOfBytesWritten)
{
    (void)ProcessHandle; (void)BaseAddress; (void)Buffer; (void)BufferSize;
    (void)NumberOfBytesWritten;
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NtFlushInstructionCache(HANDLE ProcessHandle, PVOID BaseAddress, SIZE_T Length)
{
    (void)ProcessHandle; (void)BaseAddress; (void)Length;
    return STATUS_NOT_IMPLEMENTED;
}
