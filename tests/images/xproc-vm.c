/*
 * xproc-vm - a process working on its child's memory through the child's handle:
 * NtAllocateVirtualMemory commits at a chosen address in the child (the results written to
 * the parent's variables), NtWriteVirtualMemory and NtReadVirtualMemory move 12 KiB both ways,
 * NtQueryVirtualMemory and NtProtectVirtualMemory see and change the child's pages (a write
 * into a page made read-only fails and changes nothing), a read running past the committed
 * pages is STATUS_PARTIAL_COPY with the exact count, kernel addresses and bad handles are
 * refused, the child's image data is readable; the child then finds the parent's bytes in its
 * own memory, and cannot use a handle that is not a process handle. After the child ended,
 * its memory is gone: STATUS_PROCESS_IS_TERMINATING.
 */
#include <ntapi.h>

#define CHILD_BASE 0x20000000u

static const char Marker[] = "xproc-vm image data";
static UCHAR Pattern[0x3000], Back[0x3000];

static void Fill(void)
{
    ULONG i;

    for (i = 0; i < sizeof(Pattern); i++)
        Pattern[i] = (UCHAR)(i * 7 + (i >> 12));
}

static HANDLE GoEvent(BOOLEAN Create)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING String;
    HANDLE Event;

    RtlInitUnicodeString(&String, u"xproc-vm-go");
    InitializeObjectAttributes(&Attributes, &String, 0, NULL, NULL);
    check_status(Create ? NtCreateEvent(&Event, 0, &Attributes, NotificationEvent,
                                        FALSE)
                        : NtOpenEvent(&Event, 0, &Attributes),
                 STATUS_SUCCESS, "%s the go event", Create ? "create" : "open");
    return Event;
}

static int Child(void)
{
    HANDLE Event = GoEvent(FALSE);
    ULONG Value;

    check_status(NtWaitForSingleObject(Event, FALSE, NULL), STATUS_SUCCESS, "child: wait");
    Fill();
    CHECK(memcmp((void *)(CHILD_BASE + 0x1000), Pattern + 0x1000, 0x2000) == 0,
          "child: the parent's bytes are in my memory at 0x%08X", CHILD_BASE + 0x1000);
    check_status(NtReadVirtualMemory(Event, (PVOID)CHILD_BASE, &Value, 4, NULL),
                 STATUS_OBJECT_TYPE_MISMATCH, "child: an event handle is not a process handle");
    return 0;
}

int main(int argc, char **argv)
{
    HANDLE Process, Event;
    PVOID Base = (PVOID)CHILD_BASE;
    SIZE_T Size = 0x3000, Count = 99;
    ULONG Old = 0;
    char Text[sizeof(Marker)];
    MEMORY_BASIC_INFORMATION Info;

    if (argc > 1 && strcmp(argv[1], "child") == 0)
        return Child();
    msg("begin");
    Fill();
    Event = GoEvent(TRUE);
    check_status(PvCreateProcess("xproc-vm", "child", &Process), STATUS_SUCCESS, "start a child");

    check_status(NtAllocateVirtualMemory(Process, &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                         PAGE_READWRITE), STATUS_SUCCESS,
                 "commit 12 KiB at 0x%08X in the child", CHILD_BASE);
    CHECK(Base == (PVOID)CHILD_BASE && Size == 0x3000, "base and size back: %p, 0x%X", Base,
          (ULONG)Size);
    check_status(NtWriteVirtualMemory(Process, Base, Pattern, sizeof(Pattern), &Count),
                 STATUS_SUCCESS, "write 12 KiB into it");
    CHECK(Count == sizeof(Pattern), "written: 0x%X bytes", (ULONG)Count);
    check_status(NtReadVirtualMemory(Process, Base, Back, sizeof(Back), &Count), STATUS_SUCCESS,
                 "read them back");
    CHECK(Count == sizeof(Back) && memcmp(Back, Pattern, sizeof(Back)) == 0, "the same bytes");

    check_status(NtQueryVirtualMemory(Process, Base, MemoryBasicInformation, &Info, sizeof(Info),
                                      NULL), STATUS_SUCCESS, "query the child's region");
    CHECK(Info.State == MEM_COMMIT && Info.Protect == PAGE_READWRITE && Info.RegionSize == 0x3000 &&
          Info.Type == MEM_PRIVATE, "committed, read/write, 0x%X bytes, private",
          (ULONG)Info.RegionSize);
    Base = (PVOID)(CHILD_BASE + 0x2000);
    Size = 0x1000;
    check_status(NtProtectVirtualMemory(Process, &Base, &Size, PAGE_READONLY, &Old),
                 STATUS_SUCCESS, "make its third page read-only");
    CHECK(Old == PAGE_READWRITE, "it was read/write");
    check_status(NtWriteVirtualMemory(Process, (PVOID)(CHILD_BASE + 0x2000), Back, 16, &Count),
                 STATUS_ACCESS_VIOLATION, "a write into the read-only page");
    CHECK(Count == 0, "nothing written");
    check_status(NtReadVirtualMemory(Process, (PVOID)(CHILD_BASE + 0x2800), Back, 0x1000, &Count),
                 STATUS_PARTIAL_COPY, "a read running past the committed pages");
    CHECK(Count == 0x800 && memcmp(Back, Pattern + 0x2800, 0x800) == 0,
          "0x%X bytes read, the right ones", (ULONG)Count);
    check_status(NtReadVirtualMemory(Process, (PVOID)0x80000000, Back, 4, NULL),
                 STATUS_ACCESS_VIOLATION, "a kernel address");
    check_status(NtReadVirtualMemory((HANDLE)0x44, (PVOID)CHILD_BASE, Back, 4, NULL),
                 STATUS_INVALID_HANDLE, "a bad handle");
    check_status(NtReadVirtualMemory(Process, (PVOID)Marker, Text, sizeof(Text), NULL),
                 STATUS_SUCCESS, "read the child's image data");
    CHECK(strcmp(Text, Marker) == 0, "\"%s\"", Text);
    check_status(NtFlushInstructionCache(Process, (PVOID)CHILD_BASE, 0x1000), STATUS_SUCCESS,
                 "flush its instruction cache");

    check_status(NtSetEvent(Event, NULL), STATUS_SUCCESS, "let the child look");
    check_status(NtWaitForSingleObject(Process, FALSE, NULL), STATUS_SUCCESS, "wait for it");
    check_status(NtReadVirtualMemory(Process, (PVOID)CHILD_BASE, Back, 4, NULL),
                 STATUS_PROCESS_IS_TERMINATING, "its memory after it ended");
    NtClose(Process);
    NtClose(Event);
    msg("end");
    return 0;
}
