/*
 * console.c - the console: output through DbgPrint (kernel chatter, PV_CONSOLE_LOG),
 * KiPrintStdout (the kernel's process-exit lines, PV_CONSOLE_STDOUT) and the PvDisplayString
 * system service, which copies a process's text in with the fault-safe user copy; input through
 * the PvReadConsole system service, which polls the host for what the user typed.
 */
#include "ke.h"
#include "hv.h"
#include "ps.h"
#include "mm.h"
#include "rtl.h"

/* Format into a line buffer and send it to one console channel. */
static ULONG KiConsolePrintV(ULONG Channel, PCSTR Format, va_list Arguments)
{
    CHAR Buffer[512];
    ULONG Length = RtlFormatStringV(Buffer, sizeof(Buffer), Format, Arguments);

    HvConsoleWrite(Channel, Buffer, Length);
    return Length;
}

ULONG DbgPrint(PCSTR Format, ...)
{
    va_list Arguments;
    ULONG Length;

    va_start(Arguments, Format);
    Length = KiConsolePrintV(PV_CONSOLE_LOG, Format, Arguments);
    va_end(Arguments);
    return Length;
}

VOID KiPrintStdout(PCSTR Format, ...)
{
    va_list Arguments;

    va_start(Arguments, Format);
    KiConsolePrintV(PV_CONSOLE_STDOUT, Format, Arguments);
    va_end(Arguments);
}

/*
 * NTSTATUS PvDisplayString(const char *Text, ULONG Length) - system service 0x1000.
 * Writes Length bytes of the caller's text to STDOUT. Every page of the range is read first
 * (MmProbeForReadAccess): a range with any page that cannot be read prints nothing and returns
 * the fault's status (STATUS_ACCESS_VIOLATION). Then it is copied and printed piecewise.
 */
NTSTATUS PvDisplayString(PCSTR Text, ULONG Length)
{
    static CHAR Buffer[PV_CONSOLE_MAX];
    NTSTATUS Status;

    Status = MmProbeForReadAccess(Text, Length);
    if (!NT_SUCCESS(Status))
        return Status;
    while (Length > 0)
    {
        ULONG Chunk = Length < sizeof(Buffer) ? Length : sizeof(Buffer);

        Status = MmCopyFromUser(Buffer, Text, Chunk);
        if (!NT_SUCCESS(Status))
            return Status;
        HvConsoleWrite(PV_CONSOLE_STDOUT, Buffer, Chunk);
        Text += Chunk;
        Length -= Chunk;
    }
    return STATUS_SUCCESS;
}

/*
 * Console input. The host is polled, and between polls the waiting thread sleeps a clock tick
 * (KiYieldForInput) so that the others run. While another thread is ready the host is only
 * asked (no wait: the only vCPU must not sit in the host); when nothing else can run it waits
 * there up to 20 ms. Bytes the host handed over but the caller did not take (its buffer could
 * not be written) wait here for the next read: none is lost. Threads switch only in
 * KiYieldForInput (a page fault on the caller's buffer resolves without a switch), and nothing
 * is pending then, so callers never see each other half done.
 */
#define KI_CONSOLE_POLL_MS 20

static CHAR KiConsoleInputBuffer[PV_CONSOLE_READ_MAX] __attribute__((aligned(4096)));
static ULONG KiConsoleInputStart, KiConsoleInputCount;
static BOOLEAN KiConsoleInputEnded;

/* A tick's sleep between polls; a process being terminated stops waiting for input. */
NTSTATUS KiYieldForInput(VOID)
{
    if (PsGetCurrentProcess()->TerminationRequested)
        return STATUS_PROCESS_IS_TERMINATING;
    return KeDelayExecutionThread(1);
}

/* One poll of the host for up to Wanted bytes; nothing is pending when it is called. */
static VOID KiPollConsoleInput(ULONG Wanted)
{
    ULONG Count;
    BOOLEAN Ended;
    LONG Result;

    if (Wanted > sizeof(KiConsoleInputBuffer))
        Wanted = sizeof(KiConsoleInputBuffer);
    Result = HvConsoleRead(KiConsoleInputBuffer, Wanted,
                           KiReadyQueues.Summary != 0 ? 0 : KI_CONSOLE_POLL_MS, &Count, &Ended);
    if (Result != PV_OK)
    {
        DbgPrint("ke: the host refused a console read (%ld); console input ends\n", (long)Result);
        Ended = TRUE;
    }
    KiConsoleInputStart = 0;
    KiConsoleInputCount = Count;
    KiConsoleInputEnded = Ended;
}

/* The bytes first, then the count: a call that fails never leaves a count behind that claims
 * bytes were read, and the bytes leave the pending buffer only once both arrived. */
static NTSTATUS KiDeliverConsoleInput(PVOID Buffer, ULONG Length, PULONG BytesRead)
{
    ULONG Count = Length < KiConsoleInputCount ? Length : KiConsoleInputCount;
    NTSTATUS Status;

    Status = MmCopyToUser(Buffer, KiConsoleInputBuffer + KiConsoleInputStart, Count);
    if (NT_SUCCESS(Status))
        Status = MmCopyToUser(BytesRead, &Count, sizeof(Count));
    if (!NT_SUCCESS(Status))
        return Status;
    KiConsoleInputStart += Count;
    KiConsoleInputCount -= Count;
    return STATUS_SUCCESS;
}

/*
 * NTSTATUS PvReadConsole(PVOID Buffer, ULONG Length, PULONG BytesRead) - system service 0x1004.
 * Waits until console input is there, then copies up to Length bytes of it to Buffer and the
 * count to *BytesRead. STATUS_END_OF_FILE (*BytesRead = 0) once the input has ended and nothing
 * is left. Length 0 returns at once with *BytesRead = 0. Ranges outside user space fail with
 * STATUS_ACCESS_VIOLATION before anything is read; a buffer that faults on the copy fails with
 * the fault's status and keeps the bytes for the next call.
 */
NTSTATUS PvReadConsole(PVOID Buffer, ULONG Length, PULONG BytesRead)
{
    ULONG Zero = 0;
    NTSTATUS Status;

    Status = ProbeForWrite(Buffer, Length, 1);
    if (NT_SUCCESS(Status))
        Status = ProbeForWrite(BytesRead, sizeof(*BytesRead), 1);
    if (!NT_SUCCESS(Status))
        return Status;
    if (Length == 0)
        return MmCopyToUser(BytesRead, &Zero, sizeof(Zero));
    while (KiConsoleInputCount == 0)
    {
        if (KiConsoleInputEnded)
        {
            Status = MmCopyToUser(BytesRead, &Zero, sizeof(Zero));
            return NT_SUCCESS(Status) ? STATUS_END_OF_FILE : Status;
        }
        KiPollConsoleInput(Length);
        if (KiConsoleInputCount == 0 && !KiConsoleInputEnded)
        {
            Status = KiYieldForInput();
            if (!NT_SUCCESS(Status))
                return Status;
        }
    }
    return KiDeliverConsoleInput(Buffer, Length, BytesRead);
}

/*
 * NTSTATUS PvDebugBreak(const char *Label, ULONG Length) - system service 0x1007.
 * The host looks at the whole guest now (pagevisor prints its --inspect snapshot, headed by the
 * process and the label's first PV_DEBUG_LABEL_MAX bytes), and the caller goes on. The label
 * is read like PvDisplayString's text: STATUS_ACCESS_VIOLATION if it is not readable (nothing
 * happens then). STATUS_NOT_SUPPORTED without pagevisor (under firmware, say).
 */
NTSTATUS PvDebugBreak(PCSTR Label, ULONG Length)
{
    CHAR Buffer[PV_DEBUG_LABEL_MAX];
    NTSTATUS Status;

    if (Length > sizeof(Buffer))
        Length = sizeof(Buffer);
    Status = MmProbeForReadAccess(Label, Length);
    if (!NT_SUCCESS(Status))
        return Status;
    Status = MmCopyFromUser(Buffer, Label, Length);
    if (!NT_SUCCESS(Status))
        return Status;
    return HvDebugBreak(PsGetCurrentProcess()->UniqueProcessId, Buffer, Length) == PV_OK
               ? STATUS_SUCCESS : STATUS_NOT_SUPPORTED;
}
