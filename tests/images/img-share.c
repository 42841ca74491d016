/*
 * img-share - one image section for every process running an image. The parent starts 8
 * copies of itself ("child I") at once; each child looks up the physical frames behind its
 * code page, a page of read-only data, and a page of initialised writable data before and
 * after it writes to it (PvQueryPhysicalPage), leaves them in its slot of a named section,
 * says so (a named semaphore) and waits for the parent (a named event), so that all 8 are alive
 * with their pages when the parent (the 9th process of the image) checks: the code and the
 * read-only data are the same frames in all 8 and in itself; the writable page too, until
 * written (PAGE_WRITECOPY): each child's write gave it a frame of its own; and the 8 children
 * together read each image page from the host at most once (PvQueryMmCounters'
 * ImagePagesRead), where 8 private copies would have read every page 8 times.
 * Expected: the parent's lines, 8 "img-share: exit(0)" from the children, its own.
 * ORDER-ANY
 */
#include <ntapi.h>

#define CHILDREN 8u
#define PAGE     0x1000u

typedef struct _SLOT
{
    ULONG Code, ReadOnly, DataBefore, DataAfter, Done;
} SLOT;

/* Page-aligned and a page each, so that each has a page of its own in the image. */
static const ULONG ReadOnly[PAGE / sizeof(ULONG)] __attribute__((aligned(PAGE))) = { 0x0C0DE };
static ULONG Data[PAGE / sizeof(ULONG)] __attribute__((aligned(PAGE))) = { 0xDA7A };

static SLOT *MapSlots(BOOLEAN Create, HANDLE *Section)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;
    ULONGLONG Size = PAGE;
    PVOID Base = NULL;
    SIZE_T ViewSize = 0;

    RtlInitUnicodeString(&Name, u"img-share-slots");
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    check_status(Create ? NtCreateSection(Section, SECTION_ALL_ACCESS, &Attributes, &Size,
                                          PAGE_READWRITE, SEC_COMMIT, NULL)
                        : NtOpenSection(Section, SECTION_ALL_ACCESS, &Attributes),
                 STATUS_SUCCESS, "%s the slots", Create ? "create" : "open");
    check_status(NtMapViewOfSection(*Section, NtCurrentProcess(), &Base, 0, 0, NULL, &ViewSize,
                                    ViewUnmap, 0, PAGE_READWRITE), STATUS_SUCCESS, "map them");
    return Base;
}

/* The semaphore the children release once their slot is filled, and the event the parent sets
 * when it has looked at them all. */
static void Handshake(BOOLEAN Create, HANDLE *Ready, HANDLE *Go)
{
    OBJECT_ATTRIBUTES Attributes;
    UNICODE_STRING Name;

    RtlInitUnicodeString(&Name, u"img-share-ready");
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    check_status(Create ? NtCreateSemaphore(Ready, 0, &Attributes, 0, CHILDREN)
                        : NtOpenSemaphore(Ready, 0, &Attributes),
                 STATUS_SUCCESS, "%s the ready semaphore", Create ? "create" : "open");
    RtlInitUnicodeString(&Name, u"img-share-go");
    InitializeObjectAttributes(&Attributes, &Name, 0, NULL, NULL);
    check_status(Create ? NtCreateEvent(Go, 0, &Attributes, NotificationEvent, FALSE)
                        : NtOpenEvent(Go, 0, &Attributes),
                 STATUS_SUCCESS, "%s the go event", Create ? "create" : "open");
}

static ULONG FrameOf(const volatile void *Address)
{
    ULONG Frame = 0;

    (void)*(const volatile ULONG *)Address;   /* resident: the query does not fault it in */
    if (PvQueryPhysicalPage((PVOID)Address, &Frame) != STATUS_SUCCESS || Frame == 0)
        fail("no frame behind 0x%08lX", (unsigned long)(ULONG_PTR)Address);
    return Frame;
}

static int Child(ULONG Index)
{
    HANDLE Section, Ready, Go;
    SLOT *Slot = &MapSlots(FALSE, &Section)[Index];

    Handshake(FALSE, &Ready, &Go);
    Slot->Code = FrameOf((const void *)(ULONG_PTR)&FrameOf);
    Slot->ReadOnly = FrameOf(ReadOnly);
    Slot->DataBefore = FrameOf(Data);
    if (Data[0] != 0xDA7A)
        fail("child %lu: the data page holds 0x%08lX", (unsigned long)Index,
             (unsigned long)Data[0]);
    Data[0] = 0xC0FFEE00u + Index;
    Slot->DataAfter = FrameOf(Data);
    Slot->Done = 1;
    check_status(NtReleaseSemaphore(Ready, 1, NULL), STATUS_SUCCESS, "child: slot filled");
    check_status(NtWaitForSingleObject(Go, FALSE, NULL), STATUS_SUCCESS,
                 "child: the parent is done");
    return 0;
}

int main(int argc, char **argv)
{
    HANDLE Section, Ready, Go, Children[CHILDREN];
    PV_MM_COUNTERS Before, After;
    char Arguments[16];
    SLOT *Slots;
    ULONG i, j, Code, Rodata;

    if (argc > 2 && strcmp(argv[1], "child") == 0)
        return Child((ULONG)(argv[2][0] - '0'));
    msg("begin");
    Slots = MapSlots(TRUE, &Section);
    Handshake(TRUE, &Ready, &Go);
    Code = FrameOf((const void *)(ULONG_PTR)&FrameOf);
    Rodata = FrameOf(ReadOnly);
    PvQueryMmCounters(&Before, sizeof(Before));
    for (i = 0; i < CHILDREN; i++)
    {
        RtlFormatString(Arguments, sizeof(Arguments), "child %lu", (unsigned long)i);
        check_status(PvCreateProcess("img-share", Arguments, &Children[i]), STATUS_SUCCESS,
                     "start child %lu", (unsigned long)i);
    }
    for (i = 0; i < CHILDREN; i++)
        check_status(NtWaitForSingleObject(Ready, FALSE, NULL), STATUS_SUCCESS,
                     "a child filled its slot");
    PvQueryMmCounters(&After, sizeof(After));

    for (i = 0; i < CHILDREN; i++)
        if (!Slots[i].Done)
            fail("child %lu left no frames", (unsigned long)i);
    for (i = 0; i < CHILDREN; i++)
        if (Slots[i].Code != Code || Slots[i].ReadOnly != Rodata)
            fail("child %lu: code frame 0x%lX, read-only data 0x%lX; the parent's 0x%lX, 0x%lX",
                 (unsigned long)i, (unsigned long)Slots[i].Code,
                 (unsigned long)Slots[i].ReadOnly, (unsigned long)Code, (unsigned long)Rodata);
    msg("the code page is one frame in all 9 processes");
    msg("the read-only data page is one frame in all 9 processes");
    for (i = 1; i < CHILDREN; i++)
        if (Slots[i].DataBefore != Slots[0].DataBefore)
            fail("child %lu read its data page from frame 0x%lX, child 0 from 0x%lX",
                 (unsigned long)i, (unsigned long)Slots[i].DataBefore,
                 (unsigned long)Slots[0].DataBefore);
    msg("the writable data page, only read, is one frame in all 8 children");
    for (i = 0; i < CHILDREN; i++)
    {
        if (Slots[i].DataAfter == Slots[i].DataBefore)
            fail("child %lu wrote into the shared frame 0x%lX", (unsigned long)i,
                 (unsigned long)Slots[i].DataAfter);
        for (j = 0; j < i; j++)
            if (Slots[i].DataAfter == Slots[j].DataAfter)
                fail("children %lu and %lu wrote into one frame", (unsigned long)j,
                     (unsigned long)i);
    }
    msg("each child's write gave it a frame of its own");
    CHECK(Data[0] == 0xDA7A, "the parent's data page still holds the image's value");
    CHECK(After.ImagePagesRead - Before.ImagePagesRead < CHILDREN,
          "the 8 children read fewer than 8 image pages from the host between them");
    check_status(NtSetEvent(Go, NULL), STATUS_SUCCESS, "let them go");
    for (i = 0; i < CHILDREN; i++)
    {
        check_status(NtWaitForSingleObject(Children[i], FALSE, NULL), STATUS_SUCCESS,
                     "child %lu ended", (unsigned long)i);
        NtClose(Children[i]);
    }
    NtClose(Section);
    msg("end");
    return 0;
}
