/*
 * cow-fork - MmCloneProcessAddressSpace through the PvDebugCloneProcess debugging aid (kernel
 * option pv.debugclone): the process clones its address space into a child that never runs
 * and whose memory it reads and writes by attaching to it (the kernel does), then checks that
 * the two share their private pages copy-on-write:
 *   3 MiB of private memory (run it in 3 MiB of RAM: its pages are valid, in transition and
 *   in the pagefile when cloned; the last 64 pages never touched), a read/write view and a
 *   copy-on-write view of a section (with private copies), a view mapped ViewUnmap (not
 *   inherited), the image and the stack;
 *   the clone is charged the parent's commitment; the parent's writes are copies (its child
 *   still reads the old data), the child's writes are its own; both see the section's pages
 *   through their read/write views; the child inherits the parent's private copies.
 * Arguments: "child-first" deletes the child, after which the parent's writes take its pages
 * back without a copy (same frame); "parent-first" ends with the child alive (the kernel
 * deletes it after the parent); "nocommit" first commits more than half of what is left, so
 * that the clone fails with STATUS_COMMITMENT_LIMIT and the parent is left as it was; "novads"
 * first reserves 300 ranges, so that the clone runs out of VADs half-way
 * (STATUS_INSUFFICIENT_RESOURCES: what it had copied is undone, views included); "noblocks"
 * (run with pv.cloneblocks=300) runs out of clone blocks half-way through the pages: the
 * child's references are given back, the parent's shared pages are its own again.
 * Every run ends with the kernel's leak checks (pages, commitment, VADs, pagefile slots).
 * NEEDS-PAGEFILE
 * Expected: the steps, then "end".
 */
#include <ntapi.h>

#define PRIVATE_PAGES 768u
#define TOUCHED_PAGES 704u
#define WORDS         (0x1000u / 4)

static volatile ULONG *Private;
static volatile ULONG *V, *C, *U;

static ULONG Pattern(ULONG Page, ULONG Round)
{
    return 0x9E3779B9u * (Page + 1) ^ (Round * 0x01000193u);
}

static PV_MM_COUNTERS Counters(VOID)
{
    PV_MM_COUNTERS Now;

    if (PvQueryMmCounters(&Now, sizeof(Now)) != STATUS_SUCCESS)
        fail("PvQueryMmCounters");
    return Now;
}

static ULONG ChildWord(volatile ULONG *Address)
{
    ULONG Value = 0xFFFFFFFFu;
    NTSTATUS Status = PvDebugCloneProcess(PV_DEBUG_CLONE_READ, (PVOID)Address, &Value,
                                          sizeof(Value));

    if (Status != STATUS_SUCCESS)
        fail("reading the child at %p: 0x%08lX", (PVOID)Address, (unsigned long)Status);
    return Value;
}

static VOID ChildWrite(volatile ULONG *Address, ULONG Value)
{
    NTSTATUS Status = PvDebugCloneProcess(PV_DEBUG_CLONE_WRITE, (PVOID)Address, &Value,
                                          sizeof(Value));

    if (Status != STATUS_SUCCESS)
        fail("writing the child at %p: 0x%08lX", (PVOID)Address, (unsigned long)Status);
}

/* Pages [First, Last) of the private memory hold Round's pattern (0: zero), in the parent or
 * in the child. */
static VOID Verify(ULONG First, ULONG Last, ULONG Round, BOOLEAN Child, const char *What)
{
    ULONG Page, Want, Got;

    for (Page = First; Page < Last; Page++)
    {
        Want = Round != 0 ? Pattern(Page, Round) : 0;
        Got = Child ? ChildWord(&Private[Page * WORDS + 5]) : Private[Page * WORDS + 5];
        if (Got != Want)
            fail("%s: page %lu reads 0x%08lX, not 0x%08lX", What, (unsigned long)Page,
                 (unsigned long)Got, (unsigned long)Want);
    }
    msg("%s: pages %lu-%lu intact", What, (unsigned long)First, (unsigned long)Last - 1);
}

static VOID Fill(ULONG First, ULONG Last, ULONG Round)
{
    ULONG Page;

    for (Page = First; Page < Last; Page++)
        Private[Page * WORDS + 5] = Pattern(Page, Round);
}

static VOID MapSection(VOID)
{
    HANDLE Section = NULL;
    ULONGLONG MaximumSize = 0x10000;
    PVOID PV = NULL, PC = NULL, PU = NULL;
    SIZE_T SV = 0, SC = 0, SU = 0;

    check_status(NtCreateSection(&Section, SECTION_ALL_ACCESS, NULL, &MaximumSize,
                                 PAGE_READWRITE, SEC_COMMIT, NULL),
                 STATUS_SUCCESS, "create a 64 KiB section");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &PV, 0, 0, NULL, &SV, ViewShare,
                                    0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map it read/write");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &PC, 0, 0, NULL, &SC, ViewShare,
                                    0, PAGE_WRITECOPY),
                 STATUS_SUCCESS, "map it copy-on-write");
    check_status(NtMapViewOfSection(Section, NtCurrentProcess(), &PU, 0, 0, NULL, &SU, ViewUnmap,
                                    0, PAGE_READWRITE),
                 STATUS_SUCCESS, "map it ViewUnmap (not inherited)");
    V = (volatile ULONG *)PV;
    C = (volatile ULONG *)PC;
    U = (volatile ULONG *)PU;
    (void)U[0];
    V[0] = 0x5EC00000u;
    V[WORDS] = 0x5EC00001u;
    C[WORDS] = 0xC0C00001u;   /* page 1 of C: a private copy */
}

static VOID CommitMostOfWhatIsLeft(VOID)
{
    PV_MM_COUNTERS Now = Counters();
    SIZE_T Size = ((Now.CommitLimit - Now.TotalCommittedPages) / 2 + 16) * 0x1000u;
    PVOID Base = NULL;

    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit more than half of what is left");
}

/* 300 reservations: the VADs of the process and of its clone are more than the kernel has. */
static VOID ReserveManyRanges(VOID)
{
    ULONG i;

    for (i = 0; i < 300; i++)
    {
        PVOID Base = NULL;
        SIZE_T Size = 0x10000;

        if (NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_RESERVE,
                                    PAGE_READWRITE) != STATUS_SUCCESS)
            fail("reservation %lu", (unsigned long)i);
    }
    msg("reserve 300 ranges");
}

/* A protection is per process: the parent makes a page it shares with the child read-only
 * (mapped at the time, or not: the working set emptied first), and the child's stays
 * read/write. */
static VOID ProtectShared(ULONG Page, BOOLEAN Mapped)
{
    volatile ULONG *Address = &Private[Page * WORDS];
    SIZE_T Size = 0x1000;
    PVOID Base = (PVOID)Address;
    ULONG Old = 0;
    MEMORY_BASIC_INFORMATION Info;

    if (Mapped)
        (void)Address[5];
    else if (PvSetWorkingSetLimits(0xFFFFFFFFu, 0xFFFFFFFFu) != STATUS_SUCCESS)
        fail("emptying the working set");
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READONLY, &Old),
                 STATUS_SUCCESS, "parent makes shared page %lu read-only (%s)",
                 (unsigned long)Page, Mapped ? "mapped" : "not mapped");
    CHECK(Old == PAGE_READWRITE && Address[5] == Pattern(Page, 1), "it was read/write, it reads");
    check_status(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)Address, MemoryBasicInformation,
                                      &Info, sizeof(Info), NULL),
                 STATUS_SUCCESS, "query it");
    CHECK(Info.Protect == PAGE_READONLY && Info.RegionSize == 0x1000, "read-only, that page only");
    ChildWrite(&Address[6], 0xC41DC41Du);
    CHECK(ChildWord(&Address[6]) == 0xC41DC41Du && ChildWord(&Address[5]) == Pattern(Page, 1) &&
              Address[6] == 0,
          "the child still writes it, into its own copy");
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READWRITE, &Old),
                 STATUS_SUCCESS, "read/write again");
    Address[6] = 0x9A9A9A9Au;
    CHECK(Address[6] == 0x9A9A9A9Au && ChildWord(&Address[6]) == 0xC41DC41Du,
          "the parent writes its own");
}

int main(int argc, char **argv)
{
    const char *Mode = argc > 1 ? argv[1] : "child-first";
    PVOID Base = NULL;
    SIZE_T Size = PRIVATE_PAGES * 0x1000u;
    PV_MM_COUNTERS Before, After;
    ULONG Page, Frame = 0, FrameAfter = 0, Value = 0;

    msg("begin (%s)", Mode);
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit 3 MiB");
    Private = (volatile ULONG *)Base;
    Fill(0, TOUCHED_PAGES, 1);
    Verify(0, 16, 1, FALSE, "parent before the clone");
    MapSection();

    if (strcmp(Mode, "nocommit") == 0 || strcmp(Mode, "novads") == 0 ||
        strcmp(Mode, "noblocks") == 0)
    {
        if (Mode[2] == 'c')
            CommitMostOfWhatIsLeft();
        else if (Mode[2] == 'v')
            ReserveManyRanges();
        Before = Counters();
        check_status(PvDebugCloneProcess(PV_DEBUG_CLONE_CREATE, NULL, NULL, 0),
                     Mode[2] == 'c' ? STATUS_COMMITMENT_LIMIT : STATUS_INSUFFICIENT_RESOURCES,
                     "clone");
        After = Counters();
        CHECK(After.TotalCommittedPages == Before.TotalCommittedPages, "nothing charged");
        CHECK(After.AvailablePages >= Before.AvailablePages, "no page kept");
        check_status(PvDebugCloneProcess(PV_DEBUG_CLONE_READ, Base, &Page, 4),
                     STATUS_INVALID_PARAMETER_1, "no child");
        Verify(0, TOUCHED_PAGES, 1, FALSE, "parent after the failed clone");
        (void)Private[5];
        if (PvQueryPhysicalPage((PVOID)Private, &Frame) != STATUS_SUCCESS)
            fail("PvQueryPhysicalPage");
        Fill(0, 64, 2);
        Verify(0, 64, 2, FALSE, "parent writes as before");
        if (PvQueryPhysicalPage((PVOID)Private, &FrameAfter) != STATUS_SUCCESS)
            fail("PvQueryPhysicalPage");
        CHECK(Frame != 0 && Frame == FrameAfter, "its page 0 was not copied to be written");
        msg("end");
        return 0;
    }

    Before = Counters();
    check_status(PvDebugCloneProcess(PV_DEBUG_CLONE_CREATE, NULL, NULL, 0), STATUS_SUCCESS,
                 "clone");
    After = Counters();
    CHECK(After.TotalCommittedPages - Before.TotalCommittedPages == Before.ProcessCommitCharge,
          "the child is charged the parent's %lu pages", (unsigned long)Before.ProcessCommitCharge);

    Before = Counters();
    Fill(0, 100, 2);
    After = Counters();
    CHECK(After.FaultsByResolution[PV_FAULT_COPY_ON_WRITE] -
              Before.FaultsByResolution[PV_FAULT_COPY_ON_WRITE] == 100,
          "the parent's writes to 100 shared pages are 100 copies on write");
    Verify(0, 100, 2, FALSE, "parent's copies");
    Verify(0, TOUCHED_PAGES, 1, TRUE, "child still has the old data");
    Verify(TOUCHED_PAGES, PRIVATE_PAGES, 0, TRUE, "child's untouched pages");
    for (Page = 200; Page < 300; Page++)
        ChildWrite(&Private[Page * WORDS + 5], Pattern(Page, 3));
    Verify(200, 300, 3, TRUE, "child's own copies");
    check_status(NtQueryVirtualMemory(NtCurrentProcess(), Base, MemoryBasicInformation,
                                      (PVOID)&Private[150 * WORDS + 64],
                                      sizeof(MEMORY_BASIC_INFORMATION), NULL),
                 STATUS_SUCCESS, "a system call writes into shared page 150");
    CHECK(((PMEMORY_BASIC_INFORMATION)&Private[150 * WORDS + 64])->BaseAddress == Base &&
              ChildWord(&Private[150 * WORDS + 64]) == 0,
          "the kernel's write was a copy on write too");
    Verify(100, TOUCHED_PAGES, 1, FALSE, "parent did not see them");

    CHECK(ChildWord(&V[0]) == 0x5EC00000u && ChildWord(&C[WORDS]) == 0xC0C00001u &&
              ChildWord(&C[0]) == 0x5EC00000u,
          "the child maps the section and inherits the private copy of the copy-on-write view");
    V[0] = 0x5EC00002u;
    ChildWrite(&V[WORDS], 0x5EC00003u);
    CHECK(ChildWord(&V[0]) == 0x5EC00002u && V[WORDS] == 0x5EC00003u,
          "read/write views of the section are shared both ways");
    check_status(PvDebugCloneProcess(PV_DEBUG_CLONE_READ, (PVOID)U, &Value, sizeof(Value)),
                 STATUS_ACCESS_VIOLATION, "the child has nothing where the ViewUnmap view is");
    ChildWrite(&C[WORDS], 0xC0C00004u);
    CHECK(C[WORDS] == 0xC0C00001u && ChildWord(&C[WORDS]) == 0xC0C00004u,
          "the inherited private copy is copied on write too");

    ProtectShared(600, TRUE);
    ProtectShared(650, FALSE);

    if (strcmp(Mode, "parent-first") == 0)
    {
        msg("end, the child left for the kernel to delete after the parent");
        return 0;
    }
    check_status(PvDebugCloneProcess(PV_DEBUG_CLONE_DELETE, NULL, NULL, 0), STATUS_SUCCESS,
                 "delete the child");
    Verify(0, 100, 2, FALSE, "parent's copies");
    Verify(100, TOUCHED_PAGES, 1, FALSE, "parent's pages");
    (void)Private[400 * WORDS];
    check_status(PvQueryPhysicalPage((PVOID)&Private[400 * WORDS], &Frame), STATUS_SUCCESS,
                 "frame of page 400");
    Before = Counters();
    Private[400 * WORDS + 5] = Pattern(400, 4);
    After = Counters();
    check_status(PvQueryPhysicalPage((PVOID)&Private[400 * WORDS], &FrameAfter),
                 STATUS_SUCCESS, "frame of page 400 after a write");
    CHECK(Frame != 0 && Frame == FrameAfter &&
              After.FaultsByResolution[PV_FAULT_COPY_ON_WRITE] -
                      Before.FaultsByResolution[PV_FAULT_COPY_ON_WRITE] == 1,
          "the child gone, a write takes the page back without a copy");
    msg("end");
    return 0;
}
