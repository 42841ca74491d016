/*
 * ntapi.c - the user runtime's console helpers: PvPrint formats into a buffer and writes it
 * with one PvDisplayString call. PvImageName is set by crt0. RtlInitUnicodeString for names.
 */
#include "ntapi.h"
#include "rtl.h"

const char *PvImageName = "?";

ULONG PvPrint(const char *Format, ...)
{
    char Buffer[512];
    va_list Arguments;
    ULONG Length;

    va_start(Arguments, Format);
    Length = RtlFormatStringV(Buffer, sizeof(Buffer), Format, Arguments);
    va_end(Arguments);
    PvDisplayString(Buffer, Length);
    return Length;
}

void RtlInitUnicodeString(PUNICODE_STRING String, const WCHAR *Source)
{
    USHORT Length = 0;

    while (Source != NULL && Source[Length] != 0)
        Length++;
    String->Length = (USHORT)(Length * sizeof(WCHAR));
    String->MaximumLength = (USHORT)(String->Length + sizeof(WCHAR));
    String->Buffer = (PWCHAR)Source;
}
