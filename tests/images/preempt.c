/*
 * preempt - two copies run at once (`--parallel preempt.elf a -- preempt.elf b`) and never
 * make a system call while they spin: each counts in its own word of a shared named section
 * until it has seen the other's word grow by a million and the other has seen the same. Only
 * the clock's preemption lets the other run at all: without it the first would spin until the
 * host's timeout.
 * Expected (interleaved): each copy's begin, "saw the other run", end, exit(0).
 * NEEDS-OWN-BOOT
 */
#include <ntapi.h>

int main(int argc, char **argv)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    ULONGLONG Size = 4096;
    HANDLE Section;
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;
    volatile ULONG *Words;
    ULONG Me = argc > 1 && argv[1][0] == 'b', Start;
    NTSTATUS Status;

    msg("begin");
    RtlInitUnicodeString(&Name, u"preempt-words");
    InitializeObjectAttributes(&Attributes, &Name, OBJ_OPENIF, NULL, NULL);
    Status = NtCreateSection(&Section, SECTION_ALL_ACCESS, &Attributes, &Size, PAGE_READWRITE,
                             SEC_COMMIT, NULL);
    CHECK(Status == STATUS_SUCCESS || Status == STATUS_OBJECT_NAME_EXISTS, "shared words");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    ViewUnmap, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map them");
    /* Words[0..1]: the counters; Words[2..3]: "I have seen the other run". Each keeps
     * counting until both have seen the other, so neither stops the other's proof. */
    Words = Base;
    Start = Words[1 - Me];
    while (!(Words[2 + Me] && Words[3 - Me]))
    {
        Words[Me]++;
        if (!Words[2 + Me] && Words[1 - Me] - Start >= 1000000u)
            Words[2 + Me] = 1;
    }
    msg("saw the other run");
    msg("end");
    return 0;
}
