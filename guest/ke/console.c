/*
 * console.c - console output: DbgPrint (kernel chatter, PV_CONSOLE_LOG), KiPrintStdout (the
 * kernel's process-exit lines, PV_CONSOLE_STDOUT) and the PvDisplayString system service,
 * which copies a process's text in with the fault-safe user copy.
 */
#include "ke.h"
#include "hv.h"
#include "mm.h"
#include "rtl.h"

ULONG DbgPrint(PCSTR Format, ...)
{
    CHAR Buffer[512];
    va_list Arguments;
    ULONG Length;

    va_start(Arguments, Format);
    Length = RtlFormatStringV(Buffer, sizeof(Buffer), Format, Arguments);
    va_end(Arguments);
    HvConsoleWrite(PV_CONSOLE_LOG, Buffer, Length);
    return Length;
}

VOID KiPrintStdout(PCSTR Format, ...)
{
    CHAR Buffer[512];
    va_list Arguments;
    ULONG Length;

    va_start(Arguments, Format);
    Length = RtlFormatStringV(Buffer, sizeof(Buffer), Format, Arguments);
    va_end(Arguments);
    HvConsoleWrite(PV_CONSOLE_STDOUT, Buffer, Length);
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
