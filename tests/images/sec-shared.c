/*
 * sec-shared - a named section shared by two processes: the parent maps it twice, the child
 * (this image again, started with PvCreateProcess) opens it by name and maps it once; writes
 * through any of the three views are seen through the others, on one physical page. Then the
 * lifetime: the parent closes its handle (the name goes with it: a new child cannot open it),
 * its views keep the data; unmapping one view leaves the other readable. A view can also be
 * mapped into another process by its handle: the parent maps one into a "mapped" child at
 * 0x50000000 (and one at 0x51000000 that it unmaps again) while the child waits on an event;
 * the child finds the first with the parent's data and nothing at the second.
 * Expected: the parent's steps and the children's, interleaved; exit lines 0x51, 0x52, 0.
 * ORDER-ANY
 */
#include <ntapi.h>

#define SECTION_SIZE 0x10000u

static void SectionName(OBJECT_ATTRIBUTES *Attributes, UNICODE_STRING *Name)
{
    RtlInitUnicodeString(Name, u"sec-shared");
    InitializeObjectAttributes(Attributes, Name, 0, NULL, NULL);
}

static HANDLE MappedEvent(void)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    HANDLE Event;

    RtlInitUnicodeString(&Name, u"sec-shared-mapped");
    InitializeObjectAttributes(&Attributes, &Name, OBJ_OPENIF, NULL, NULL);
    if (NtCreateEvent(&Event, 0, &Attributes, NotificationEvent, FALSE) < 0)
        fail("the sec-shared-mapped event");
    return Event;
}

/* The parent mapped a view into this process while it waited. */
static int MappedChild(void)
{
    MEMORY_BASIC_INFORMATION Info;
    SIZE_T Length;
    volatile ULONG *Words = (volatile ULONG *)0x50000000u;

    check_status(NtWaitForSingleObject(MappedEvent(), FALSE, NULL), STATUS_SUCCESS,
                 "mapped child: the parent says the view is there");
    CHECK(Words[0] == 0xA0000000u && Words[1024] == 0xA0000400u,
          "mapped child: 0x50000000 holds the parent's data");
    Words[3 * 1024 + 2] = 0x3A9ED000u;
    check_status(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)0x51000000u,
                                      MemoryBasicInformation, &Info, sizeof(Info), &Length),
                 STATUS_SUCCESS, "mapped child: query 0x51000000");
    CHECK(Info.State == MEM_FREE, "mapped child: the view the parent unmapped is gone");
    return 0x53;
}

static int Child(const char *Role)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    HANDLE Section;
    PVOID Base = NULL;
    SIZE_T Size = 0;
    volatile ULONG *Words;
    ULONG i;

    if (strcmp(Role, "mapped") == 0)
        return MappedChild();
    SectionName(&Attributes, &Name);
    if (strcmp(Role, "gone") == 0)
    {
        check_status(NtOpenSection(&Section, SECTION_ALL_ACCESS, &Attributes),
                     STATUS_OBJECT_NAME_NOT_FOUND, "child: the name is gone");
        return 0x52;
    }
    check_status(NtOpenSection(&Section, SECTION_ALL_ACCESS, &Attributes), STATUS_SUCCESS,
                 "child: open sec-shared");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &Base, 0, 0, NULL, &Size,
                                    ViewUnmap, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "child: map it");
    Words = Base;
    for (i = 0; i < SECTION_SIZE / 4; i += 1024)
        if (Words[i] != 0xA0000000u + i)
            fail("child: word %lu is 0x%08lX", (unsigned long)i, (unsigned long)Words[i]);
    msg("child: sees the parent's writes on all 16 pages");
    Words[2048 + 1] = 0xC41DC41Du;
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), Base), STATUS_SUCCESS,
                 "child: unmap");
    return 0x51;
}

static void RunChild(const char *Role, NTSTATUS Expected)
{
    PROCESS_BASIC_INFORMATION Info;
    HANDLE Process;
    ULONG Length;

    check_status(PvCreateProcess("sec-shared", Role, &Process), STATUS_SUCCESS,
                 "start the %s child", Role);
    check_status(NtWaitForSingleObject(Process, FALSE, NULL), STATUS_SUCCESS, "wait for it");
    check_status(NtQueryInformationProcess(Process, ProcessBasicInformation, &Info,
                                           sizeof(Info), &Length),
                 STATUS_SUCCESS, "its exit status");
    CHECK(Info.ExitStatus == Expected, "it exited with 0x%lX", (unsigned long)Info.ExitStatus);
    NtClose(Process);
}

/* A view mapped into another process by its handle, and one mapped and unmapped again. */
static void MapIntoChild(HANDLE Section)
{
    PROCESS_BASIC_INFORMATION Info;
    HANDLE Process, Event = MappedEvent();
    PVOID Base = (PVOID)0x50000000u, Other = (PVOID)0x51000000u;
    SIZE_T Size = 0, OtherSize = 0x10000;
    ULONG Length;

    check_status(PvCreateProcess("sec-shared", "mapped", &Process), STATUS_SUCCESS,
                 "start the mapped child");
    check_status(NtMapViewOfSection(Section, Process, &Base, 0, 0, NULL, &Size, ViewUnmap, 0,
                                    PAGE_READWRITE),
                 STATUS_SUCCESS, "map a view into the child at 0x50000000");
    CHECK(Base == (PVOID)0x50000000u && Size == SECTION_SIZE, "its base and size come back");
    check_status(NtMapViewOfSection(Section, Process, &Other, 0, 0, NULL, &OtherSize,
                                    ViewUnmap, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map another at 0x51000000");
    check_status(NtUnmapViewOfSection(Process, Other), STATUS_SUCCESS,
                 "unmap that one from the child");
    check_status(NtUnmapViewOfSection(Process, Other), STATUS_NOT_MAPPED_VIEW,
                 "unmapping it again");
    check_status(NtSetEvent(Event, NULL), STATUS_SUCCESS, "tell the child");
    check_status(NtWaitForSingleObject(Process, FALSE, NULL), STATUS_SUCCESS, "wait for it");
    check_status(NtQueryInformationProcess(Process, ProcessBasicInformation, &Info,
                                           sizeof(Info), &Length),
                 STATUS_SUCCESS, "its exit status");
    CHECK(Info.ExitStatus == 0x53, "it exited with 0x53");
    check_status(NtMapViewOfSection(Section, Process, &Base, 0, 0, NULL, &Size, ViewUnmap, 0,
                                    PAGE_READWRITE),
                 STATUS_PROCESS_IS_TERMINATING, "no view into a process that has ended");
    NtClose(Process);
    NtClose(Event);
}

int main(int argc, char **argv)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    ULONGLONG MaximumSize = SECTION_SIZE;
    HANDLE Section;
    PVOID View1 = NULL, View2 = NULL;
    SIZE_T Size1 = 0, Size2 = 0;
    volatile ULONG *A, *B;
    ULONG i, Frame1 = 0, Frame2 = 0;

    if (argc > 1)
        return Child(argv[1]);
    msg("begin");
    SectionName(&Attributes, &Name);
    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, &Attributes, &MaximumSize,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "create sec-shared, 64 KiB");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &View1, 0, 0, NULL, &Size1,
                                    ViewUnmap, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map view 1");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &View2, 0, 0, NULL, &Size2,
                                    ViewUnmap, 0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map view 2");
    A = View1;
    B = View2;
    for (i = 0; i < SECTION_SIZE / 4; i += 1024)
        A[i] = 0xA0000000u + i;
    CHECK(B[1024] == 0xA0000400u, "view 2 sees view 1's writes");
    RunChild("child", 0x51);
    CHECK(A[2048 + 1] == 0xC41DC41Du && B[2048 + 1] == 0xC41DC41Du,
          "both views see the child's write");
    check_status(PvQueryPhysicalPage((PVOID)&A[2048], &Frame1), STATUS_SUCCESS, "frame 1");
    check_status(PvQueryPhysicalPage((PVOID)&B[2048], &Frame2), STATUS_SUCCESS, "frame 2");
    CHECK(Frame1 != 0 && Frame1 == Frame2, "one physical page behind both views");
    MapIntoChild(Section);
    CHECK(A[3 * 1024 + 2] == 0x3A9ED000u,
          "the child's write through the view mapped for it is seen here");
    check_status(NtClose(Section), STATUS_SUCCESS, "close the section handle");
    RunChild("gone", 0x52);
    CHECK(A[0] == 0xA0000000u && B[3072] == 0xA0000C00u, "the views still hold the data");
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), View1), STATUS_SUCCESS,
                 "unmap view 1");
    CHECK(B[2048 + 1] == 0xC41DC41Du, "view 2 still reads the data");
    check_status(NtUnmapViewOfSection(NtCurrentProcess(), View2), STATUS_SUCCESS,
                 "unmap view 2: the section goes");
    msg("end");
    return 0;
}
