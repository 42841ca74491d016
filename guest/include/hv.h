/*
 * hv.h - host services: pagevisor's hypercalls (shared/pv_abi.h) when the host answers on
 * PV_IDENT_PORT, and the COM1 / isa-debug-exit fallback when it does not (QEMU, real loaders).
 */
#ifndef PV_HV_H
#define PV_HV_H

#include "ntdef.h"
#include "pv_abi.h"

extern BOOLEAN HvHostServicesPresent;

VOID HvInitialize(VOID);
VOID HvConsoleWrite(ULONG Channel, PCSTR Text, ULONG Length);
LONG HvConsoleRead(PVOID Buffer, ULONG Capacity, ULONG TimeoutMs, PULONG Count,
                   BOOLEAN *Ended);
/* Regs (NULL when not killed by an exception) and FaultTrap: the exception's registers and
 * vector, for the host's crash report. */
VOID HvNotifyProcessExit(ULONG ProcessId, ULONG ExitStatus, BOOLEAN Killed, ULONG FaultAddress,
                         ULONG FaultEip, ULONG FaultAccess, BOOLEAN Child, PCSTR Name,
                         ULONG FaultTrap, const struct pv_regs *Regs);
VOID HvNotifyProcessStart(ULONG ProcessId, ULONG Cr3, ULONG ImageBase, ULONG ImageEnd,
                          PCSTR Name);
VOID HvReportBugCheck(const struct pv_hc_bugcheck *BugCheck);
LONG HvSetupTraceRing(ULONG RingPhysical, ULONG RingBytes);
VOID HvFlushTraceRing(VOID);
ULONG HvQueryPagefileSlots(VOID);
LONG HvPagefileIo(ULONG Operation, ULONG Slot, ULONG Count, const PFN_NUMBER *Frames,
                  PULONG Done);
LONG HvReadImagePage(ULONG Image, ULONG Offset, PFN_NUMBER Frame, PULONG Bytes);
/* Count (1..PV_PAGEFILE_CLUSTER_MAX) consecutive file pages from Offset into Frames, one call. */
LONG HvReadImagePages(ULONG Image, ULONG Offset, ULONG Count, const PFN_NUMBER *Frames,
                      PULONG Bytes);
/* The volume's files (run --volume): PV_OK or the host's PV_E* code; PV_ENODEV without one. */
LONG HvFileOpen(PCSTR Name, ULONG Flags, PULONG Handle, BOOLEAN *Created, PULONGLONG Size);
LONG HvFileIo(ULONG Operation, ULONG Handle, ULONGLONG Offset, ULONG Count, ULONG Length,
              const PFN_NUMBER *Frames, PULONG Bytes);
LONG HvFileClose(ULONG Handle);
LONG HvFileSetSize(ULONG Handle, ULONGLONG Size);
LONG HvDebugBreak(ULONG ProcessId, PCSTR Label, ULONG Length);
DECLSPEC_NORETURN VOID HvShutdown(ULONG ImagesRun);

/* Value written to QEMU's isa-debug-exit port (0xF4): QEMU exits with (value << 1) | 1. */
#define HV_QEMU_EXIT_PORT      0xF4
#define HV_QEMU_EXIT_DONE      0  /* all images ran: QEMU exits with status 1 */
#define HV_QEMU_EXIT_BUGCHECK  1  /* bug check: QEMU exits with status 3 */

#endif /* PV_HV_H */
