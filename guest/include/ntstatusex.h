/*
 * ntstatusex.h - guest-only NTSTATUS values that shared/ntstatus.h does not list (yet): the
 * exception statuses of processor traps, the statuses of the virtual-memory services and the
 * informational "page fault resolved" successes of MmAccessFault. Included by the kernel and,
 * through ntapi.h, by test images. The kernel's name lookup is KiStatusName (ke.h).
 */
#ifndef PV_NTSTATUSEX_H
#define PV_NTSTATUSEX_H

#include "ntdef.h"

/* Informational successes of MmAccessFault (NT_SUCCESS: the instruction is retried). */
#define STATUS_PAGE_FAULT_TRANSITION     ((NTSTATUS)0x00000110)
#define STATUS_PAGE_FAULT_DEMAND_ZERO    ((NTSTATUS)0x00000111)
#define STATUS_PAGE_FAULT_COPY_ON_WRITE  ((NTSTATUS)0x00000112)
#define STATUS_PAGE_FAULT_GUARD_PAGE     ((NTSTATUS)0x00000113)
#define STATUS_PAGE_FAULT_PAGING_FILE    ((NTSTATUS)0x00000114)

#define STATUS_DATATYPE_MISALIGNMENT     ((NTSTATUS)0x80000002)
#define STATUS_BREAKPOINT                ((NTSTATUS)0x80000003)
#define STATUS_SINGLE_STEP               ((NTSTATUS)0x80000004)
#define STATUS_INFO_LENGTH_MISMATCH      ((NTSTATUS)0xC0000004)
#define STATUS_UNABLE_TO_FREE_VM         ((NTSTATUS)0xC000001A)
#define STATUS_UNABLE_TO_DELETE_SECTION  ((NTSTATUS)0xC000001B)
#define STATUS_NOT_COMMITTED             ((NTSTATUS)0xC000002D)
#define STATUS_INVALID_PAGE_PROTECTION   ((NTSTATUS)0xC0000045)
#define STATUS_ARRAY_BOUNDS_EXCEEDED     ((NTSTATUS)0xC000008C)
#define STATUS_FLOAT_INVALID_OPERATION   ((NTSTATUS)0xC0000090)
#define STATUS_INTEGER_OVERFLOW          ((NTSTATUS)0xC0000095)
#define STATUS_FREE_VM_NOT_AT_BASE       ((NTSTATUS)0xC000009F)
#define STATUS_MEMORY_NOT_ALLOCATED      ((NTSTATUS)0xC00000A0)
#define STATUS_NOT_SUPPORTED             ((NTSTATUS)0xC00000BB)
#define STATUS_INVALID_PARAMETER_1       ((NTSTATUS)0xC00000EF)
#define STATUS_INVALID_PARAMETER_2       ((NTSTATUS)0xC00000F0)
#define STATUS_INVALID_PARAMETER_3       ((NTSTATUS)0xC00000F1)
#define STATUS_INVALID_PARAMETER_4       ((NTSTATUS)0xC00000F2)
#define STATUS_INVALID_PARAMETER_5       ((NTSTATUS)0xC00000F3)
#define STATUS_INVALID_PARAMETER_6       ((NTSTATUS)0xC00000F4)
#define STATUS_INVALID_ADDRESS           ((NTSTATUS)0xC0000141)
#define STATUS_IO_DEVICE_ERROR           ((NTSTATUS)0xC0000185)
#define STATUS_FLOAT_MULTIPLE_TRAPS      ((NTSTATUS)0xC00002B5)

/* Bug-check codes not in shared/ntstatus.h. */
#define IRQL_NOT_GREATER_OR_EQUAL        0x00000009u
#define INSTALL_MORE_MEMORY              0x0000007Du

#endif /* PV_NTSTATUSEX_H */
