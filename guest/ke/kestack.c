/*
 * kestack.c - KeExpandKernelStackAndCallout: a kernel stack is 12 KiB, so a deep kernel path
 * asks first. When less than Size bytes are left below ESP, the callout runs on an extension
 * stack (16 KiB for any Size up to that, more for more; its own guard page below) made for
 * the call and released when it returns; otherwise it runs where it is. The thread's
 * StackLimit follows the stack it runs on, so a nested call measures the right one.
 *
 * PvDebugRecurseInKernel (service 0x10F1) is the deep path an image can ask for: Depth frames
 * of KI_RECURSE_FRAME bytes each, expanding or not, to show both outcomes (pv.selftest=
 * expandstack runs it at the first process's start).
 */
#include "ke.h"
#include "mm.h"
#include "rtl.h"

#define KI_STACK_EXTENSION_SIZE 0x4000u   /* 16 KiB */
#define MAXIMUM_EXPANSION_SIZE  (0xF000u - PAGE_SIZE / 2)   /* KERNEL_LARGE_STACK_SIZE - 2 KiB */
#define KI_RECURSE_FRAME        256u
#define KI_RECURSE_NEED         0x800u   /* asked for before each frame: the frame and room */

VOID KiCallOnStack(PEXPAND_STACK_CALLOUT Callout, PVOID Parameter, ULONG StackTop);

ULONG KeStackExpansions;      /* extensions made since boot */
ULONG KeStackExpansionDepth;  /* extensions live now (nested calls) */
ULONG KeStackExpansionDeepest;

static ULONG KiCurrentEsp(VOID)
{
    ULONG Esp;
    __asm__ volatile("movl %%esp, %0" : "=r"(Esp));
    return Esp;
}

/* What the extension's first frame needs: it logs there, where there is room, not on the
 * nearly full stack it came from. */
typedef struct _KI_EXPANSION
{
    PEXPAND_STACK_CALLOUT Callout;
    PVOID Parameter;
    ULONG Left, Esp, Size, Limit, Top;
} KI_EXPANSION;

static VOID NTAPI KiExpansionTrampoline(PVOID Context)
{
    KI_EXPANSION *X = Context;
    ULONG Thread = KeGetCurrentThread()->UniqueThreadId;

    DbgPrint("ke: kernel stack of thread %u expanded: %u bytes left at esp 0x%08X, %u asked; "
             "the callout runs on 0x%08X-0x%08X (guard page below)\n", Thread, X->Left,
             X->Esp, X->Size, X->Limit, X->Top - 1);
    X->Callout(X->Parameter);
    DbgPrint("ke: kernel stack of thread %u: the callout returned, extension 0x%08X-0x%08X "
             "released\n", Thread, X->Limit, X->Top - 1);
}

NTSTATUS KeExpandKernelStackAndCallout(PEXPAND_STACK_CALLOUT Callout, PVOID Parameter,
                                       SIZE_T Size)
{
    PKTHREAD Thread = KeGetCurrentThread();
    KI_EXPANSION X = { Callout, Parameter, 0, KiCurrentEsp(), (ULONG)Size, 0, 0 };
    ULONG SavedLimit;
    NTSTATUS Status;

    if (Size > MAXIMUM_EXPANSION_SIZE)
        return STATUS_INVALID_PARAMETER_3;
    if (Callout == NULL)
        return STATUS_INVALID_PARAMETER_1;
    X.Left = Thread != NULL && X.Esp > Thread->StackLimit ? X.Esp - Thread->StackLimit : 0;
    if (X.Left >= Size)
    {
        Callout(Parameter);
        return STATUS_SUCCESS;
    }
    Status = MmCreateKernelStackExtension(Size > KI_STACK_EXTENSION_SIZE ? Size :
                                          KI_STACK_EXTENSION_SIZE, &X.Top, &X.Limit);
    if (!NT_SUCCESS(Status))
        return Status;
    KeStackExpansions++;
    KeStackExpansionDepth++;
    if (KeStackExpansionDepth > KeStackExpansionDeepest)
        KeStackExpansionDeepest = KeStackExpansionDepth;
    SavedLimit = Thread->StackLimit;
    Thread->StackLimit = X.Limit;
    KiCallOnStack(KiExpansionTrampoline, &X, X.Top);
    Thread->StackLimit = SavedLimit;
    MmDeleteKernelStackExtension(X.Top, X.Limit);
    KeStackExpansionDepth--;
    return STATUS_SUCCESS;
}

/* --------------------------------------------------------------- a deep path to try it on */

typedef struct _KI_RECURSION
{
    ULONG Depth, Limit;
    BOOLEAN Expand;
    ULONG LowestEsp;
    NTSTATUS Status;      /* the first expansion that failed */
} KI_RECURSION, *PKI_RECURSION;

typedef struct _KI_RECURSE_CALL
{
    PKI_RECURSION R;
    ULONG Sum;
} KI_RECURSE_CALL;

static ULONG KiRecurse(PKI_RECURSION R);

static VOID NTAPI KiRecurseCallout(PVOID Parameter)
{
    KI_RECURSE_CALL *Call = Parameter;

    Call->Sum = KiRecurse(Call->R);
}

/* The sum of every frame's own bytes below this one: proof the frames were all there. */
static ULONG KiRecurse(PKI_RECURSION R)
{
    volatile UCHAR Frame[KI_RECURSE_FRAME];
    ULONG Esp = KiCurrentEsp(), Mine;

    Frame[0] = (UCHAR)R->Depth;
    Frame[KI_RECURSE_FRAME - 1] = (UCHAR)(R->Depth >> 8);
    if (Esp < R->LowestEsp)
        R->LowestEsp = Esp;
    if (R->Depth >= R->Limit)
        return Frame[0] + Frame[KI_RECURSE_FRAME - 1];
    R->Depth++;
    if (R->Expand)
    {
        /* The next frames may need more than is left: ask, as a driver would. */
        KI_RECURSE_CALL Call = { R, 0 };
        NTSTATUS Status = KeExpandKernelStackAndCallout(KiRecurseCallout, &Call, KI_RECURSE_NEED);

        if (!NT_SUCCESS(Status) && NT_SUCCESS(R->Status))
            R->Status = Status;
        Mine = Call.Sum;
    }
    else
    {
        Mine = KiRecurse(R);
    }
    return Mine + Frame[0] + Frame[KI_RECURSE_FRAME - 1];
}

/* Depth frames, expanding or not: Out[0] the frames' checksum, [1] the extensions made,
 * [2] the lowest ESP reached. */
NTSTATUS KeRecurseInKernel(ULONG Depth, BOOLEAN Expand, ULONG Out[3])
{
    KI_RECURSION R = { 0, Depth, Expand, 0xFFFFFFFFu, STATUS_SUCCESS };
    ULONG Before = KeStackExpansions;

    Out[0] = KiRecurse(&R);
    Out[1] = KeStackExpansions - Before;
    Out[2] = R.LowestEsp;
    return R.Status;
}

/*
 * NTSTATUS PvDebugRecurseInKernel(ULONG Depth, ULONG Flags, PULONG Result) - service 0x10F1.
 * Recurses Depth frames of 256 bytes on the caller's kernel stack; Flags & PV_RECURSE_EXPAND
 * asks KeExpandKernelStackAndCallout before each frame. Result as KeRecurseInKernel's Out.
 * Without expansion a Depth past 12 KiB runs into the guard page: bug check 0x7F (8, ...).
 */
NTSTATUS PvDebugRecurseInKernel(ULONG Depth, ULONG Flags, PULONG Result)
{
    ULONG Out[3];
    NTSTATUS Status;

    if ((Flags & ~PV_RECURSE_EXPAND) != 0 || Depth > PV_RECURSE_MAX_DEPTH)
        return STATUS_INVALID_PARAMETER;
    Status = KeRecurseInKernel(Depth, (Flags & PV_RECURSE_EXPAND) != 0, Out);
    if (!NT_SUCCESS(Status))
        return Status;
    return MmCopyToUser(Result, Out, sizeof(Out));
}
