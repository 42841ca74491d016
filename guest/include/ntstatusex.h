/*
 * ntstatusex.h - guest-only NTSTATUS values for processor exceptions that shared/ntstatus.h
 * does not list (yet), and the name lookup the kernel prints in exit lines.
 */
#ifndef PV_NTSTATUSEX_H
#define PV_NTSTATUSEX_H

#include "ntdef.h"

#define STATUS_DATATYPE_MISALIGNMENT     ((NTSTATUS)0x80000002)
#define STATUS_BREAKPOINT                ((NTSTATUS)0x80000003)
#define STATUS_SINGLE_STEP               ((NTSTATUS)0x80000004)
#define STATUS_ARRAY_BOUNDS_EXCEEDED     ((NTSTATUS)0xC000008C)
#define STATUS_FLOAT_INVALID_OPERATION   ((NTSTATUS)0xC0000090)
#define STATUS_INTEGER_OVERFLOW          ((NTSTATUS)0xC0000095)
#define STATUS_FLOAT_MULTIPLE_TRAPS      ((NTSTATUS)0xC00002B5)

/* Bug-check codes not in shared/ntstatus.h. */
#define INSTALL_MORE_MEMORY              0x0000007Du

/* Name of a status (shared table first, then the ones above), or NULL. */
PCSTR KiStatusName(NTSTATUS Status);

#endif /* PV_NTSTATUSEX_H */
