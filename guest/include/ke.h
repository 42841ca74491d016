/*
 * ke.h - the kernel core: segment selectors, the trap frame, bug checks, the console
 * (DbgPrint), trap dispatch and the image runner.
 */
#ifndef PV_KE_H
#define PV_KE_H

#include "ntdef.h"
#include "ntstatusex.h"
#include "nt_layout.h"

/* Interrupt request levels (NT's x86 values). Nothing interrupts the kernel yet (every gate
 * is an interrupt gate and the PICs are masked), but the level is kept as NT keeps it, because
 * the page-fault path depends on it: a fault at DISPATCH_LEVEL or above cannot wait for a page
 * and is bug check 0x0A IRQL_NOT_LESS_OR_EQUAL. */
typedef UCHAR KIRQL, *PKIRQL;
#define PASSIVE_LEVEL  0
#define APC_LEVEL      1
#define DISPATCH_LEVEL 2
#define HIGH_LEVEL     31

/* GDT selectors (NT's x86 values). */
#define KGDT_NULL      0x00
#define KGDT_R0_CODE   0x08
#define KGDT_R0_DATA   0x10
#define KGDT_R3_CODE   0x18
#define KGDT_R3_DATA   0x20
#define KGDT_TSS       0x28
#define KGDT_DF_TSS    0x50
#define KGDT_ENTRIES   12
#define RPL_USER       3

/* Vectors. */
#define KI_SYSTEM_SERVICE_VECTOR 0x2E
#define PRIMARY_VECTOR_BASE      0x20   /* 8259 master IRQ0 (IRQ14 would be 0x2E: all masked) */
#define KI_STUB_VECTORS          0x30   /* trap.S has stubs for vectors 0x00..0x2F */

/*
 * The trap frame: what trap.S pushes on every trap, interrupt and system call, lowest address
 * first. pagevisor's own layout (not NT's KTRAP_FRAME): segment registers, PUSHAD, the vector
 * and error code, then what the CPU pushed. HardwareEsp/HardwareSegSs exist only for traps
 * from ring 3.
 */
typedef struct _KTRAP_FRAME
{
    ULONG SegGs, SegFs, SegEs, SegDs;
    ULONG Edi, Esi, Ebp, PushadEsp, Ebx, Edx, Ecx, Eax;
    ULONG TrapNumber, ErrCode;
    ULONG Eip, SegCs, EFlags;
    ULONG HardwareEsp, HardwareSegSs;
} KTRAP_FRAME, *PKTRAP_FRAME;

#define KiUserTrap(TrapFrame) (((TrapFrame)->SegCs & RPL_USER) == RPL_USER)

/* The i386 hardware task-state segment. */
typedef struct _KTSS
{
    USHORT Backlink, Reserved0;
    ULONG Esp0;
    USHORT Ss0, Reserved1;
    ULONG Esp1;
    USHORT Ss1, Reserved2;
    ULONG Esp2;
    USHORT Ss2, Reserved3;
    ULONG CR3, Eip, EFlags, Eax, Ecx, Edx, Ebx, Esp, Ebp, Esi, Edi;
    USHORT Es, Reserved4, Cs, Reserved5, Ss, Reserved6, Ds, Reserved7;
    USHORT Fs, Reserved8, Gs, Reserved9, LDT, Reserved10;
    USHORT Flags, IoMapBase;
} KTSS, *PKTSS;
_Static_assert(sizeof(KTSS) == 104, "KTSS layout");

/* Saved callee-saved registers of the image runner while a process runs (trap.S). */
typedef struct _KI_RUNNER_CONTEXT
{
    ULONG Ebx, Esi, Edi, Ebp, Esp;
} KI_RUNNER_CONTEXT, *PKI_RUNNER_CONTEXT;

/* Stacks and boot page tables (arch/i386/boot.S). */
extern UCHAR KiBootStackGuard[], KiBootStackTop[];
extern UCHAR KiTrapStackGuard[], KiTrapStackTop[];
extern UCHAR KiDoubleFaultStackTop[];

/* Linker-script symbols (arch/i386/kernel.ld). */
extern UCHAR __KernelStart[], __KernelWritableStart[], __KernelEnd[];

/* The physical address of a kernel-image address (the image is mapped linearly). */
#define KI_IMAGE_TO_PHYSICAL(Va) ((ULONG)(ULONG_PTR)(Va) - KSEG0_BASE)

/* arch/i386 */
VOID KiInitializeGdt(VOID);
VOID KiInitializeIdt(VOID);
VOID KiSetKernelStack(ULONG Esp0);
extern KTSS KiTss;
VOID HalInitializePic(VOID);
VOID HalHandleInterrupt(ULONG Vector);
VOID HalSerialInitialize(VOID);
VOID HalSerialWrite(PCSTR Text, ULONG Length);
VOID KiStartUserProcess(PKTRAP_FRAME TrapFrame, PKI_RUNNER_CONTEXT Context);
DECLSPEC_NORETURN VOID KiResumeRunner(PKI_RUNNER_CONTEXT Context);
VOID KiDispatchTrap(PKTRAP_FRAME TrapFrame);
DECLSPEC_NORETURN VOID KiDoubleFault(VOID);

/* ke/irql.c */
KIRQL KeGetCurrentIrql(VOID);
VOID KeRaiseIrql(KIRQL NewIrql, PKIRQL OldIrql);
VOID KeLowerIrql(KIRQL NewIrql);

/* ke/bugcheck.c */
DECLSPEC_NORETURN VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                                    ULONG_PTR P3, ULONG_PTR P4);
DECLSPEC_NORETURN VOID KeBugCheckWithTf(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                                        ULONG_PTR P3, ULONG_PTR P4, PKTRAP_FRAME TrapFrame);
DECLSPEC_NORETURN VOID KiHaltSystem(ULONG QemuExitValue);

/* ke/console.c */
ULONG DbgPrint(PCSTR Format, ...) __attribute__((format(printf, 1, 2)));
VOID KiPrintStdout(PCSTR Format, ...) __attribute__((format(printf, 1, 2)));
NTSTATUS PvDisplayString(PCSTR Text, ULONG Length);

/* ke/trap.c */
BOOLEAN KiFindExceptionFixup(PKTRAP_FRAME TrapFrame);

/* ke/syscall.c */
VOID KiSystemService(PKTRAP_FRAME TrapFrame);

/* ke/process.c */
ULONG KiRunImages(VOID);
NTSTATUS NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus);
DECLSPEC_NORETURN VOID KiTerminateByException(NTSTATUS Status, ULONG FaultAddress,
                                              ULONG FaultAccess, PKTRAP_FRAME TrapFrame);

/* ke/status.c: the name of a status (shared table first, then ntstatusex.h's), or NULL. */
PCSTR KiStatusName(NTSTATUS Status);

/* ke/main.c */
BOOLEAN KiCommandLineHasOption(PCSTR Option);
/* "Option=N" on the kernel command line (decimal, or 0x hexadecimal): TRUE and *Value. */
BOOLEAN KiQueryCommandLineValue(PCSTR Option, PULONG Value);

#endif /* PV_KE_H */
