/*
 * svc-no-side-effects - a system service that fails on a bad pointer has changed nothing.
 * Each service is called with a pointer it cannot use (unmapped, in the read-only code, in
 * the kernel, or a buffer whose later pages are not there) in its output or input position,
 * returns STATUS_ACCESS_VIOLATION, and then the state it would have changed is checked: a
 * semaphore's count and an event's state are unchanged, no object of the name exists and no
 * handle to it was left, no child process or clone runs, nothing is printed, no memory was
 * reserved, freed, protected or mapped, no output buffer was written in part (not even the
 * good one beside a bad one).
 * Expected: one line per step, end; "svc-no-side-effects: exit(0)". A child or clone that ran
 * would print a line of its own and break the expected output.
 */
#include <ntapi.h>

#define UNMAPPED ((void *)0x10)
#define KERNEL   ((void *)0x80100000u)
#define PAGE     4096u

static LARGE_INTEGER Zero = 0;

static void Name(OBJECT_ATTRIBUTES *Attributes, UNICODE_STRING *String, const WCHAR *Text)
{
    RtlInitUnicodeString(String, Text);
    InitializeObjectAttributes(Attributes, String, 0, NULL, NULL);
}

int main(int argc, char **argv);

/* Three places no output can go: unmapped, a read-only page of code, the kernel. */
static void *const BadOutputs[] = { UNMAPPED, (void *)main, KERNEL };
static const char *const BadNames[] = { "unmapped", "read-only code", "kernel" };
#define FOR_EACH_BAD(i) for (ULONG i = 0; i < 3; i++)

static void Semaphores(void)
{
    HANDLE Semaphore, Other;
    LONG Previous = -1;
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING String;

    check_status(NtCreateSemaphore(&Semaphore, 0, NULL, 0, 5), STATUS_SUCCESS,
                 "a semaphore, count 0 of 5");
    FOR_EACH_BAD(i)
        check_status(NtReleaseSemaphore(Semaphore, 1, BadOutputs[i]), STATUS_ACCESS_VIOLATION,
                     "NtReleaseSemaphore, PreviousCount %s", BadNames[i]);
    check_status(NtWaitForSingleObject(Semaphore, FALSE, &Zero), STATUS_TIMEOUT,
                 "the count is still 0: a wait times out");
    check_status(NtReleaseSemaphore(Semaphore, 1, &Previous), STATUS_SUCCESS, "release one");
    CHECK(Previous == 0, "the count was 0 before it");
    check_status(NtWaitForSingleObject(Semaphore, FALSE, KERNEL), STATUS_ACCESS_VIOLATION,
                 "NtWaitForSingleObject, Timeout in the kernel");
    check_status(NtWaitForSingleObject(Semaphore, FALSE, &Zero), STATUS_SUCCESS,
                 "the unit is still there: a wait takes it");
    NtClose(Semaphore);

    Name(&Attributes, &String, u"SvcSemaphore");
    FOR_EACH_BAD(i)
        check_status(NtCreateSemaphore(BadOutputs[i], 0, &Attributes, 0, 1),
                     STATUS_ACCESS_VIOLATION, "NtCreateSemaphore, handle %s", BadNames[i]);
    check_status(NtOpenSemaphore(&Other, 0, &Attributes), STATUS_OBJECT_NAME_NOT_FOUND,
                 "no semaphore of that name was left behind");
    check_status(NtCreateSemaphore(&Semaphore, 0, &Attributes, 0, 1), STATUS_SUCCESS,
                 "create it properly");
    check_status(NtOpenSemaphore(UNMAPPED, 0, &Attributes), STATUS_ACCESS_VIOLATION,
                 "NtOpenSemaphore, handle unmapped");
    check_status(NtOpenSemaphore(&Other, 0, UNMAPPED), STATUS_ACCESS_VIOLATION,
                 "NtOpenSemaphore, attributes unmapped");
    NtClose(Semaphore);
    check_status(NtOpenSemaphore(&Other, 0, &Attributes), STATUS_OBJECT_NAME_NOT_FOUND,
                 "closing the one handle ended it: no handle was left by the failed opens");
}

static void Events(void)
{
    HANDLE Event, Other;
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING String;

    check_status(NtCreateEvent(&Event, 0, NULL, NotificationEvent, FALSE), STATUS_SUCCESS,
                 "a notification event, clear");
    FOR_EACH_BAD(i)
        check_status(NtSetEvent(Event, BadOutputs[i]), STATUS_ACCESS_VIOLATION,
                     "NtSetEvent, PreviousState %s", BadNames[i]);
    check_status(NtWaitForSingleObject(Event, FALSE, &Zero), STATUS_TIMEOUT,
                 "still clear: a wait times out");
    check_status(NtSetEvent(Event, NULL), STATUS_SUCCESS, "set it");
    FOR_EACH_BAD(i)
        check_status(NtResetEvent(Event, BadOutputs[i]), STATUS_ACCESS_VIOLATION,
                     "NtResetEvent, PreviousState %s", BadNames[i]);
    check_status(NtWaitForSingleObject(Event, FALSE, &Zero), STATUS_SUCCESS,
                 "still set: a wait succeeds");
    NtClose(Event);

    Name(&Attributes, &String, u"SvcEvent");
    FOR_EACH_BAD(i)
        check_status(NtCreateEvent(BadOutputs[i], 0, &Attributes, NotificationEvent, FALSE),
                     STATUS_ACCESS_VIOLATION, "NtCreateEvent, handle %s", BadNames[i]);
    check_status(NtOpenEvent(&Other, 0, &Attributes), STATUS_OBJECT_NAME_NOT_FOUND,
                 "no event of that name was left behind");
    String.Buffer = UNMAPPED;
    check_status(NtCreateEvent(&Event, 0, &Attributes, NotificationEvent, FALSE),
                 STATUS_ACCESS_VIOLATION, "NtCreateEvent, the name's characters unmapped");
    Attributes.ObjectName = UNMAPPED;
    check_status(NtCreateEvent(&Event, 0, &Attributes, NotificationEvent, FALSE),
                 STATUS_ACCESS_VIOLATION, "NtCreateEvent, the name's UNICODE_STRING unmapped");
    check_status(NtCreateEvent(&Event, 0, UNMAPPED, NotificationEvent, FALSE),
                 STATUS_ACCESS_VIOLATION, "NtCreateEvent, attributes unmapped");
}

static void Sections(void)
{
    HANDLE Section, Other;
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING String;
    ULONGLONG MaximumSize = 65536;
    PVOID Base;
    SIZE_T Size;

    Name(&Attributes, &String, u"SvcSection");
    FOR_EACH_BAD(i)
        check_status(NtCreateSection(BadOutputs[i], SECTION_ALL_ACCESS, &Attributes,
                                     &MaximumSize, PAGE_READWRITE, SEC_COMMIT, NULL),
                     STATUS_ACCESS_VIOLATION, "NtCreateSection, handle %s", BadNames[i]);
    check_status(NtOpenSection(&Other, SECTION_ALL_ACCESS, &Attributes),
                 STATUS_OBJECT_NAME_NOT_FOUND, "no section of that name was left behind");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, &Attributes, UNMAPPED,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_ACCESS_VIOLATION, "NtCreateSection, MaximumSize unmapped");
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, &Attributes, &MaximumSize,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "create it properly");
    check_status(NtOpenSection(UNMAPPED, SECTION_ALL_ACCESS, &Attributes),
                 STATUS_ACCESS_VIOLATION, "NtOpenSection, handle unmapped");
    Base = (PVOID)0x30000000u;
    FOR_EACH_BAD(i)
        check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL,
                                        BadOutputs[i], ViewUnmap, 0, PAGE_READWRITE),
                     STATUS_ACCESS_VIOLATION, "NtMapViewOfSection, ViewSize %s", BadNames[i]);
    Size = 0;
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, UNMAPPED, &Size,
                                    ViewUnmap, 0, PAGE_READWRITE),
                 STATUS_ACCESS_VIOLATION, "NtMapViewOfSection, SectionOffset unmapped");
    CHECK(Base == (PVOID)0x30000000u && Size == 0, "its BaseAddress and ViewSize kept");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), (PVOID *)(void *)main, 0, 0,
                                    NULL, &Size, ViewUnmap, 0, PAGE_READWRITE),
                 STATUS_ACCESS_VIOLATION, "NtMapViewOfSection, BaseAddress read-only code");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &Size,
                                    ViewUnmap, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "nothing was mapped at 0x30000000: a view goes there now");
    {
        PVOID Again = Base;
        SIZE_T AgainSize = 0;
        check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Again, 0, 0, NULL,
                                        &AgainSize, ViewUnmap, 0, PAGE_READWRITE),
                     STATUS_CONFLICTING_ADDRESSES, "a second view at the same address");
        CHECK(Again == Base && AgainSize == 0, "its BaseAddress and ViewSize kept");
    }
    CHECK(Base == (PVOID)0x30000000u && Size == 65536, "at 0x%08X, %u bytes", (ULONG)Base,
          (ULONG)Size);
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), Base), STATUS_SUCCESS, "unmap it");
    NtClose(Section);
}

static void Memory(void)
{
    PVOID Base = (PVOID)0x20000000u;
    SIZE_T Size = 2 * PAGE;
    ULONG Old = 0;
    PROCESS_BASIC_INFORMATION Info;
    PV_MM_COUNTERS Counters;

    FOR_EACH_BAD(i)
        check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, BadOutputs[i],
                                             MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     STATUS_ACCESS_VIOLATION, "NtAllocateVirtualMemory, RegionSize %s",
                     BadNames[i]);
    FOR_EACH_BAD(i)
        check_status(NtAllocateVirtualMemory(NtCurrentProcess(), BadOutputs[i], 0, &Size,
                                             MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                     STATUS_ACCESS_VIOLATION, "NtAllocateVirtualMemory, BaseAddress %s",
                     BadNames[i]);
    CHECK(Size == 2 * PAGE, "its RegionSize was not written");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "nothing was reserved at 0x20000000: it is reserved now");
    ((volatile char *)Base)[0] = 1;
    FOR_EACH_BAD(i)
        check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READONLY,
                                            BadOutputs[i]),
                     STATUS_ACCESS_VIOLATION, "NtProtectVirtualMemory, OldProtect %s",
                     BadNames[i]);
    FOR_EACH_BAD(i)
        check_status(NtProtectVirtualMemory(NtCurrentProcess(), BadOutputs[i], &Size,
                                            PAGE_READONLY, &Old),
                     STATUS_ACCESS_VIOLATION, "NtProtectVirtualMemory, BaseAddress %s",
                     BadNames[i]);
    FOR_EACH_BAD(i)
        check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Base, BadOutputs[i],
                                            PAGE_READONLY, &Old),
                     STATUS_ACCESS_VIOLATION, "NtProtectVirtualMemory, NumberOfBytes %s",
                     BadNames[i]);
    CHECK(Old == 0, "its OldProtect was not written");
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READWRITE, &Old),
                 STATUS_SUCCESS, "protect it again");
    CHECK(Old == PAGE_READWRITE, "it was still read-write (0x%X)", Old);
    FOR_EACH_BAD(i)
        check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Base, BadOutputs[i],
                                         MEM_RELEASE),
                     STATUS_ACCESS_VIOLATION, "NtFreeVirtualMemory, RegionSize %s", BadNames[i]);
    FOR_EACH_BAD(i)
        check_status(NtFreeVirtualMemory(NtCurrentProcess(), BadOutputs[i], &Size, MEM_RELEASE),
                     STATUS_ACCESS_VIOLATION, "NtFreeVirtualMemory, BaseAddress %s", BadNames[i]);
    ((volatile char *)Base)[PAGE] = 2;
    Size = 0;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE),
                 STATUS_SUCCESS, "it was still allocated: free it");

    memset(&Info, 0xAB, sizeof(Info));
    FOR_EACH_BAD(i)
        check_status(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               &Info, sizeof(Info), BadOutputs[i]),
                     STATUS_ACCESS_VIOLATION, "NtQueryInformationProcess, ReturnLength %s",
                     BadNames[i]);
    CHECK(((const unsigned char *)&Info)[0] == 0xAB &&
          ((const unsigned char *)&Info)[sizeof(Info) - 1] == 0xAB,
          "the information buffer was not written");
    FOR_EACH_BAD(i)
    {
        ULONG Returned = 0x5A5A;
        check_status(NtQueryInformationProcess(NtCurrentProcess(), ProcessBasicInformation,
                                               BadOutputs[i], sizeof(Info), &Returned),
                     STATUS_ACCESS_VIOLATION, "NtQueryInformationProcess, Information %s",
                     BadNames[i]);
        CHECK(Returned == 0x5A5A, "its ReturnLength was not written");
    }
    FOR_EACH_BAD(i)
        check_status(PvQueryMmCounters(BadOutputs[i], sizeof(Counters)),
                     STATUS_ACCESS_VIOLATION, "PvQueryMmCounters, Counters %s", BadNames[i]);
    check_status(NtDelayExecution(FALSE, UNMAPPED), STATUS_ACCESS_VIOLATION,
                 "NtDelayExecution, DelayInterval unmapped");
}

/* Services that only report: a bad output fails them, nothing else to check but the status
 * and that the good output next to it was not written either. */
static void Queries(void)
{
    MEMORY_BASIC_INFORMATION Basic;
    SIZE_T Length = 0x5A5A;
    ULONG Read = 0x5A5A;
    char Buffer[16];

    FOR_EACH_BAD(i)
        check_status(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)main,
                                          MemoryBasicInformation, BadOutputs[i], sizeof(Basic),
                                          &Length),
                     STATUS_ACCESS_VIOLATION, "NtQueryVirtualMemory, information %s",
                     BadNames[i]);
    CHECK(Length == 0x5A5A, "its ReturnLength was not written");
    memset(&Basic, 0xAB, sizeof(Basic));
    FOR_EACH_BAD(i)
        check_status(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)main,
                                          MemoryBasicInformation, &Basic, sizeof(Basic),
                                          BadOutputs[i]),
                     STATUS_ACCESS_VIOLATION, "NtQueryVirtualMemory, ReturnLength %s",
                     BadNames[i]);
    CHECK(((const unsigned char *)&Basic)[0] == 0xAB, "its information was not written");
    FOR_EACH_BAD(i)
        check_status(PvQueryPhysicalPage((PVOID)main, BadOutputs[i]), STATUS_ACCESS_VIOLATION,
                     "PvQueryPhysicalPage, PageFrameNumber %s", BadNames[i]);
    FOR_EACH_BAD(i)
        check_status(PvReadConsole(Buffer, sizeof(Buffer), BadOutputs[i]),
                     STATUS_ACCESS_VIOLATION, "PvReadConsole, BytesRead %s", BadNames[i]);
    FOR_EACH_BAD(i)
        check_status(PvReadConsole(BadOutputs[i], sizeof(Buffer), &Read),
                     STATUS_ACCESS_VIOLATION, "PvReadConsole, Buffer %s", BadNames[i]);
    CHECK(Read == 0x5A5A, "its BytesRead was not written");
}

/* A buffer of three pages of which only the first two are committed. */
static void Display(void)
{
    PVOID Base = NULL;
    SIZE_T Size = 3 * PAGE;

    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve three pages");
    Size = 2 * PAGE;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE),
                 STATUS_SUCCESS, "commit the first two");
    memset(Base, 'X', 2 * PAGE);
    check_status(PvDisplayString(Base, 3 * PAGE), STATUS_ACCESS_VIOLATION,
                 "PvDisplayString of all three prints nothing");
    check_status(PvDisplayString((const char *)Base + PAGE, 2 * PAGE), STATUS_ACCESS_VIOLATION,
                 "PvDisplayString of the last two prints nothing");
}

static void Processes(void)
{
    HANDLE Process;
    LARGE_INTEGER Wait = -500000;   /* 50 ms: time enough for a child to show itself */
    NTSTATUS Status;

    FOR_EACH_BAD(i)
        check_status(PvCreateProcess("svc-no-side-effects", "child", BadOutputs[i]),
                     STATUS_ACCESS_VIOLATION, "PvCreateProcess, handle %s", BadNames[i]);
    check_status(PvCreateProcess(UNMAPPED, NULL, &Process), STATUS_ACCESS_VIOLATION,
                 "PvCreateProcess, image name unmapped");
    check_status(PvCreateProcess("svc-no-side-effects", UNMAPPED, &Process),
                 STATUS_ACCESS_VIOLATION, "PvCreateProcess, arguments unmapped");
    FOR_EACH_BAD(i)
    {
        Status = NtCreateProcess(BadOutputs[i], 0, NULL, NtCurrentProcess(), FALSE, NULL, NULL,
                                 NULL);
        if (Status == STATUS_PROCESS_CLONED)
            fail("a clone runs although NtCreateProcess failed");
        check_status(Status, STATUS_ACCESS_VIOLATION, "NtCreateProcess, handle %s",
                     BadNames[i]);
    }
    check_status(NtDelayExecution(FALSE, &Wait), STATUS_SUCCESS,
                 "a 50 ms wait in which a child would have printed");
}

int main(int argc, char **argv)
{
    if (argc > 1)
    {
        msg("child %s runs: a failed PvCreateProcess made a process", argv[1]);
        return 1;
    }
    msg("begin");
    Semaphores();
    Events();
    Sections();
    Memory();
    Queries();
    Display();
    Processes();
    msg("end");
    return 0;
}
