/*
 * console.c - console output: DbgPrint (kernel chatter, PV_CONSOLE_LOG), KiPrintStdout (the
 * kernel's process-exit lines, PV_CONSOLE_STDOUT) and the PvDisplayString system service,
 * which copies a process's text in with the fault-safe user copy.
 */
#include "ke.h"
#include "hv.h"
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
 * Writes Length bytes of the caller's text to STDOUT. The whole range is probed first, then
 * copied piecewise; a piece is printed only once it was copied completely, so a bad pointer
 * prints nothing of that piece and returns STATUS_ACCESS_VIOLATION.
 */
NTSTATUS PvDisplayString(PCSTR Text, ULONG Length)
{
    static CHAR Buffer[PV_CONSOLE_MAX];
    NTSTATUS Status;

    Status = ProbeForRead(Text, Length, 1);
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
