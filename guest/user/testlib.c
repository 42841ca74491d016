/*
 * testlib.c - Pintos-style test helpers for test images: msg prints "(name) text", fail
 * prints "(name) text: FAILED" and ends the process with exit status 1, check_status prints
 * "(name) text: 0xSTATUS" and fails unless the status is the expected one. The name is the
 * image name (argv[0]).
 */
#include "ntapi.h"
#include "rtl.h"

static void TestPrint(const char *Suffix, const char *Format, va_list Arguments)
{
    char Buffer[512];
    ULONG Length;

    Length = RtlFormatString(Buffer, sizeof(Buffer), "(%s) ", test_name);
    Length += RtlFormatStringV(Buffer + Length, sizeof(Buffer) - Length, Format, Arguments);
    Length += RtlFormatString(Buffer + Length, sizeof(Buffer) - Length, "%s\n", Suffix);
    PvDisplayString(Buffer, Length);
}

void msg(const char *Format, ...)
{
    va_list Arguments;

    va_start(Arguments, Format);
    TestPrint("", Format, Arguments);
    va_end(Arguments);
}

void fail(const char *Format, ...)
{
    va_list Arguments;

    va_start(Arguments, Format);
    TestPrint(": FAILED", Format, Arguments);
    va_end(Arguments);
    NtTerminateProcess(NtCurrentProcess(), 1);
    for (;;)
        ;
}

void check_status(NTSTATUS Status, NTSTATUS Expected, const char *Format, ...)
{
    char Text[400];
    va_list Arguments;

    va_start(Arguments, Format);
    RtlFormatStringV(Text, sizeof(Text), Format, Arguments);
    va_end(Arguments);
    if (Status != Expected)
        fail("%s: 0x%08X, expected 0x%08X", Text, (ULONG)Status, (ULONG)Expected);
    msg("%s: 0x%08X", Text, (ULONG)Status);
}
