/*
 * console-echo - reads its console input (PvReadConsole, what pagevisor's standard input
 * holds) until STATUS_END_OF_FILE, 1000 bytes at a time, and prints it back: the first 20
 * lines (up to 60 characters each, other bytes than printable ASCII as '?'), then the number
 * of lines and bytes and the POSIX cksum of all the bytes (`cksum` on the host prints the
 * same for the same input).
 * First the pointer checks, which cost no input: a kernel-space buffer and a kernel-space
 * BytesRead are STATUS_ACCESS_VIOLATION, Length 0 succeeds with 0 bytes, and a NULL BytesRead
 * is STATUS_ACCESS_VIOLATION whether input is there or not (bytes the host already handed over
 * are kept for the next read, so the echo still has all of them). With the argument "badbuf"
 * it also reads once into an unmapped user buffer (STATUS_ACCESS_VIOLATION when there is
 * input; those bytes too come with the next read). With "limit=N" it stops after N bytes,
 * asking for no more than that, so the rest of the input is left for whoever reads it next.
 * Expected with no input (an empty standard input, or no pagevisor): the checks, then
 * "0 lines, 0 bytes, cksum 4294967295", end; "console-echo: exit(0)".
 */
#include <ntapi.h>

#define ECHO_CHUNK     1000u
#define ECHO_MAX_BYTES (256u * 1024u)
#define ECHO_MAX_LINES 20u
#define ECHO_LINE_MAX  60u

static char Input[ECHO_MAX_BYTES];

static void Expect(NTSTATUS Status, NTSTATUS Expected, const char *What)
{
    if (Status != Expected)
        fail("%s returned 0x%08X, expected 0x%08X", What, (ULONG)Status, (ULONG)Expected);
    msg("%s returned 0x%08X", What, (ULONG)Status);
}

static void PointerChecks(int BadBuffer)
{
    ULONG Count = 77;
    NTSTATUS Status;

    Expect(PvReadConsole((PVOID)0x80100000u, 16, &Count), STATUS_ACCESS_VIOLATION,
           "PvReadConsole(0x80100000 kernel image, 16)");
    Expect(PvReadConsole(Input, 16, (PULONG)0xC0000000u), STATUS_ACCESS_VIOLATION,
           "PvReadConsole(BytesRead 0xC0000000)");
    Expect(PvReadConsole((PVOID)0xC0000000u, 0, &Count), STATUS_SUCCESS,
           "PvReadConsole(0xC0000000, 0)");
    CHECK(Count == 0, "length 0 read %u bytes", Count);
    Expect(PvReadConsole(Input, 16, NULL), STATUS_ACCESS_VIOLATION,
           "PvReadConsole(BytesRead NULL)");
    if (BadBuffer)
    {
        Count = 77;
        Status = PvReadConsole((PVOID)0x10000000u, 16, &Count);
        Expect(Status, STATUS_ACCESS_VIOLATION, "PvReadConsole(0x10000000 unmapped, 16)");
        CHECK(Count == 77, "a failed read left the count as it was (%u)", Count);
    }
}

/* Everything until the end of input, or Limit bytes; returns the byte count. */
static ULONG ReadAll(ULONG Limit)
{
    ULONG Total = 0, Count;
    NTSTATUS Status;

    for (;;)
    {
        ULONG Want = ECHO_MAX_BYTES - Total < ECHO_CHUNK ? ECHO_MAX_BYTES - Total : ECHO_CHUNK;

        if (Limit && Limit - Total < Want)
            Want = Limit - Total;
        if (Limit && Want == 0)
            return Total;
        if (Want == 0)
            fail("more than %u bytes of input", ECHO_MAX_BYTES);
        Count = 0xFFFFFFFFu;
        Status = PvReadConsole(Input + Total, Want, &Count);
        if (Status == STATUS_END_OF_FILE)
        {
            if (Count != 0)
                fail("STATUS_END_OF_FILE with %u bytes", Count);
            return Total;
        }
        if (!NT_SUCCESS(Status))
            fail("PvReadConsole returned 0x%08X", (ULONG)Status);
        if (Count == 0 || Count > Want)
            fail("PvReadConsole read %u bytes for a buffer of %u", Count, Want);
        Total += Count;
    }
}

static void PrintLine(ULONG Number, const char *Line, ULONG Length)
{
    char Shown[ECHO_LINE_MAX + 4];
    ULONG i, Take = Length < ECHO_LINE_MAX ? Length : ECHO_LINE_MAX;

    for (i = 0; i < Take; i++)
        Shown[i] = (Line[i] >= 0x20 && Line[i] < 0x7F) ? Line[i] : '?';
    if (Take < Length)
        Shown[i++] = '.', Shown[i++] = '.', Shown[i++] = '.';
    Shown[i] = '\0';
    msg("line %u: %s", Number, Shown);
}

int main(int argc, char **argv)
{
    ULONG Total, Lines = 0, Start = 0, Limit = 0, i;
    int BadBuffer = 0, a;

    for (a = 1; a < argc; a++)
    {
        if (strcmp(argv[a], "badbuf") == 0)
            BadBuffer = 1;
        else if (strncmp(argv[a], "limit=", 6) == 0)
            for (const char *p = argv[a] + 6; *p >= '0' && *p <= '9'; p++)
                Limit = Limit * 10 + (ULONG)(*p - '0');
    }
    if (Limit > ECHO_MAX_BYTES)
        fail("limit=%u is more than %u", Limit, ECHO_MAX_BYTES);
    msg("begin");
    PointerChecks(BadBuffer);
    Total = ReadAll(Limit);
    for (i = 0; i < Total; i++)
    {
        if (Input[i] != '\n' && i + 1 < Total)
            continue;
        Lines++;
        if (Lines <= ECHO_MAX_LINES)
            PrintLine(Lines, Input + Start, i + 1 - Start - (Input[i] == '\n'));
        Start = i + 1;
    }
    if (Lines > ECHO_MAX_LINES)
        msg("(%u more lines)", Lines - ECHO_MAX_LINES);
    msg("%u lines, %u bytes, cksum %lu", Lines, Total, cksum(Input, Total));
    msg("end");
    return 0;
}
