/*
 * ntstatusex.h - guest-only NTSTATUS values that shared/ntstatus.h does not list: the
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

#define STATUS_INFO_LENGTH_MISMATCH      ((NTSTATUS)0xC0000004)
#define STATUS_FLOAT_INVALID_OPERATION   ((NTSTATUS)0xC0000090)
#define STATUS_FLOAT_MULTIPLE_TRAPS      ((NTSTATUS)0xC00002B5)

/* Section services (mm/section.c). */
#define STATUS_TOO_MANY_OPENED_FILES     ((NTSTATUS)0xC000011F)
#define STATUS_MORE_PROCESSING_REQUIRED  ((NTSTATUS)0xC0000016)
#define SEC_RESERVE                      0x04000000u
#define SEC_COMMIT                       0x08000000u
#define SECTION_ALL_ACCESS               0x000F001Fu
#define ViewShare                        1
#define ViewUnmap                        2

/* Exceptions and debug objects (ke/except.c, dbgk/). */
#define STATUS_PARTIAL_COPY              ((NTSTATUS)0x8000000D)
#define STATUS_NONCONTINUABLE_EXCEPTION  ((NTSTATUS)0xC0000025)
#define STATUS_INVALID_DISPOSITION       ((NTSTATUS)0xC0000026)
#define STATUS_DEBUGGER_INACTIVE         ((NTSTATUS)0xC0000354)
#define STATUS_PORT_ALREADY_SET          ((NTSTATUS)0xC0000048)

/* Bug-check codes not in shared/ntstatus.h. */

#endif /* PV_NTSTATUSEX_H */
