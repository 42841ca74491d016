/*
 * bugcheck.c - KeBugCheckEx: the kernel stops. Under pagevisor the code, parameters and
 * registers go to the host (PV_HC_BUGCHECK), which prints NT's STOP line; on COM1 the kernel
 * prints "*** STOP: 0x%08X (p1,p2,p3,p4)", the code's name and the registers itself. Then the
 * processor halts (after asking QEMU's isa-debug-exit to end the run, if it is there).
 */
#include "ke.h"
#include "hv.h"
#include "mm.h"
#include "intrin.h"
#include "ps.h"
#include "rtl.h"

static BOOLEAN KiBugCheckActive;

DECLSPEC_NORETURN VOID KiHaltSystem(ULONG QemuExitValue)
{
    _disable();
    if (!HvHostServicesPresent)
        __outdword(HV_QEMU_EXIT_PORT, QemuExitValue);
    for (;;)
        __halt();
}

VOID KiTrapFrameRegisters(struct pv_regs *Regs, PKTRAP_FRAME TrapFrame)
{
    Regs->eax = TrapFrame->Eax;
    Regs->ebx = TrapFrame->Ebx;
    Regs->ecx = TrapFrame->Ecx;
    Regs->edx = TrapFrame->Edx;
    Regs->esi = TrapFrame->Esi;
    Regs->edi = TrapFrame->Edi;
    Regs->ebp = TrapFrame->Ebp;
    Regs->eip = TrapFrame->Eip;
    Regs->eflags = TrapFrame->EFlags;
    Regs->cs = TrapFrame->SegCs & 0xFFFF;
    if (KiUserTrap(TrapFrame) || TrapFrame->TrapNumber == 8)   /* user, or task switch */
    {
        Regs->esp = TrapFrame->HardwareEsp;
        Regs->ss = TrapFrame->HardwareSegSs & 0xFFFF;
    }
    else
    {
        /* A ring-0 trap pushes no ESP/SS: the old ESP is just past EFLAGS. */
        Regs->esp = (ULONG)(ULONG_PTR)&TrapFrame->HardwareEsp;
        Regs->ss = KGDT_R0_DATA;
    }
    Regs->cr0 = __readcr0();
    Regs->cr2 = __readcr2();
    Regs->cr3 = __readcr3();
    Regs->cr4 = __readcr4();
}

/* Inlined, so that without a trap frame EIP, ESP and EBP are those of KeBugCheckWithTf's
 * caller: EBP is where the host's backtrace starts (the kernel keeps frame pointers). */
static inline __attribute__((always_inline)) VOID KiCaptureRegisters(struct pv_regs *Regs,
                                                                    PKTRAP_FRAME TrapFrame)
{
    if (TrapFrame != NULL)
    {
        KiTrapFrameRegisters(Regs, TrapFrame);
    }
    else
    {
        Regs->ebp = *(ULONG *)__builtin_frame_address(0);
        Regs->eip = (ULONG)(ULONG_PTR)__builtin_return_address(0);
        Regs->esp = (ULONG)(ULONG_PTR)__builtin_frame_address(0);
        Regs->eflags = __readeflags();
        Regs->cs = KGDT_R0_CODE;
        Regs->ss = KGDT_R0_DATA;
        Regs->cr0 = __readcr0();
        Regs->cr2 = __readcr2();
        Regs->cr3 = __readcr3();
        Regs->cr4 = __readcr4();
    }
}

DECLSPEC_NORETURN VOID KeBugCheckWithTf(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                                        ULONG_PTR P3, ULONG_PTR P4, PKTRAP_FRAME TrapFrame)
{
    struct pv_hc_bugcheck BugCheck;
    PCSTR Name;

    _disable();
    if (KiBugCheckActive)
        KiHaltSystem(HV_QEMU_EXIT_BUGCHECK);   /* a bug check while bug-checking */
    KiBugCheckActive = TRUE;

    memset(&BugCheck, 0, sizeof(BugCheck));
    BugCheck.code = BugCheckCode;
    BugCheck.param[0] = P1;
    BugCheck.param[1] = P2;
    BugCheck.param[2] = P3;
    BugCheck.param[3] = P4;
    BugCheck.regs_valid = TrapFrame != NULL;
    KiCaptureRegisters(&BugCheck.regs, TrapFrame);
    Name = pv_bugcheck_name(BugCheckCode);
    if (Name == NULL)
        Name = BugCheckCode == INSTALL_MORE_MEMORY ? "INSTALL_MORE_MEMORY" : "UNKNOWN_BUGCHECK";
    /* The note says where the kernel was: the host prints the code's name itself. */
    if (PsCurrentProcess != &PsInitialSystemProcess)
        RtlFormatString(BugCheck.text, sizeof(BugCheck.text), "%s in process %s (pid %u)%s",
                        TrapFrame != NULL ? "trap" : "call", PsCurrentProcess->ImageFileName,
                        PsCurrentProcess->UniqueProcessId,
                        TrapFrame != NULL && KiUserTrap(TrapFrame) ? " from user mode" : "");
    else
        RtlFormatString(BugCheck.text, sizeof(BugCheck.text), "%s in the System process",
                        TrapFrame != NULL ? "trap" : "call");

    if (HvHostServicesPresent)
    {
        HvReportBugCheck(&BugCheck);
    }
    else
    {
        const struct pv_regs *R = &BugCheck.regs;

        DbgPrint("\n*** STOP: 0x%08X (0x%08X,0x%08X,0x%08X,0x%08X)\n%s\n(%s)\n",
                 BugCheckCode, P1, P2, P3, P4, Name, BugCheck.text);
        DbgPrint("eax=%08x ebx=%08x ecx=%08x edx=%08x esi=%08x edi=%08x\n",
                 R->eax, R->ebx, R->ecx, R->edx, R->esi, R->edi);
        DbgPrint("eip=%08x esp=%08x ebp=%08x efl=%08x cs=%04x ss=%04x%s\n",
                 R->eip, R->esp, R->ebp, R->eflags, R->cs, R->ss,
                 TrapFrame != NULL ? "" : " (no trap frame)");
        DbgPrint("cr0=%08x cr2=%08x cr3=%08x cr4=%08x\n", R->cr0, R->cr2, R->cr3, R->cr4);
    }
    KiHaltSystem(HV_QEMU_EXIT_BUGCHECK);
}

DECLSPEC_NORETURN VOID KeBugCheckEx(ULONG BugCheckCode, ULONG_PTR P1, ULONG_PTR P2,
                                    ULONG_PTR P3, ULONG_PTR P4)
{
    KeBugCheckWithTf(BugCheckCode, P1, P2, P3, P4, NULL);
}

/* A double fault with ESP in a kernel stack's guard page is that stack's overrun: say whose. */
static VOID KiNameOverrunStack(ULONG Esp)
{
    PKTHREAD Thread = KeGetCurrentThread();
    ULONG Limit, Top;

    if (!MmIsKernelStackGuardPage(Esp, &Limit, &Top) &&
        !MmIsKernelStackGuardPage(Esp - 1, &Limit, &Top))
        return;
    DbgPrint("ke: kernel stack overrun: esp 0x%08X in the guard page 0x%08X below the stack "
             "0x%08X-0x%08X of thread %u (%s)\n", Esp, Limit - PAGE_SIZE, Limit, Top - 1,
             Thread != NULL ? Thread->UniqueThreadId : 0,
             Thread != NULL && Thread->Process != NULL ? Thread->Process->ImageFileName : "?");
}

/* Double fault (task gate): the failing context was saved in KiTss by the task switch. */
DECLSPEC_NORETURN VOID KiDoubleFault(VOID)
{
    KTRAP_FRAME Frame;

    memset(&Frame, 0, sizeof(Frame));
    Frame.Eax = KiTss.Eax;
    Frame.Ebx = KiTss.Ebx;
    Frame.Ecx = KiTss.Ecx;
    Frame.Edx = KiTss.Edx;
    Frame.Esi = KiTss.Esi;
    Frame.Edi = KiTss.Edi;
    Frame.Ebp = KiTss.Ebp;
    Frame.Eip = KiTss.Eip;
    Frame.EFlags = KiTss.EFlags;
    Frame.SegCs = KiTss.Cs;
    Frame.HardwareEsp = KiTss.Esp;
    Frame.HardwareSegSs = KiTss.Ss;
    Frame.TrapNumber = 8;
    KiNameOverrunStack(KiTss.Esp);
    KeBugCheckWithTf(UNEXPECTED_KERNEL_MODE_TRAP, 8, KiTss.Esp, KiTss.Eip, 0, &Frame);
}
