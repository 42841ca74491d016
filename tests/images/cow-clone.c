/*
 * cow-clone - process duplication with copy-on-write through NtCreateProcess (the clone form:
 * the child resumes in the same call, which returns STATUS_PROCESS_CLONED there).
 *   simple  (KAIST Pintos cow-simple): a page written before the fork is the same physical
 *           page in parent and child until one writes; the child's write gives it a new frame
 *           and leaves the parent's data alone; the parent's frame is unchanged; the child
 *           inherits the parent's handles (InheritObjectTable) and sets its event; bad
 *           arguments clone nothing;
 *   three   (xv6 usertests cowtest's threetest): a parent with 3 MiB of written memory forks a
 *           child that forks a grandchild; the grandchild rewrites a quarter of the pages, the
 *           child reads them all and rewrites another quarter, all three check their own data
 *           at the end; in small RAM the shared pages go through the pagefile. Repeated 3 times.
 * ORDER-ANY
 * Expected: the steps of each process, interleaved; exit lines.
 */
#include <ntapi.h>

#define WORDS_PER_PAGE (0x1000u / 4)

static ULONG ExitStatusOf(HANDLE Process)
{
    PROCESS_BASIC_INFORMATION Info;
    ULONG Length;

    if (NtWaitForSingleObject(Process, FALSE, NULL) != STATUS_SUCCESS ||
        NtQueryInformationProcess(Process, ProcessBasicInformation, &Info, sizeof(Info),
                                  &Length) != STATUS_SUCCESS)
        fail("wait for the child");
    NtClose(Process);
    return (ULONG)Info.ExitStatus;
}

/* NtCreateProcess as fork(): the handle in the parent, NULL in the child; handles inherited. */
static NTSTATUS Fork(PHANDLE Child)
{
    *Child = NULL;
    return NtCreateProcess(Child, 0, NULL, NtCurrentProcess(), TRUE, NULL, NULL, NULL);
}

static int Simple(void)
{
    static volatile ULONG Page[WORDS_PER_PAGE] __attribute__((aligned(4096)));
    ULONG Before = 0, After = 0, Mine = 0, Code;
    HANDLE Child;
    NTSTATUS Status;

    HANDLE Event;

    check_status(NtCreateEvent(&Event, 0, NULL, NotificationEvent, FALSE), STATUS_SUCCESS,
                 "an event the child will inherit");
    check_status(NtCreateProcess(&Child, 0, NULL, (HANDLE)4, FALSE, NULL, NULL, NULL),
                 STATUS_INVALID_PARAMETER_4, "only the caller can be cloned");
    check_status(NtCreateProcess((PHANDLE)0x10, 0, NULL, NtCurrentProcess(), FALSE, NULL, NULL,
                                 NULL),
                 STATUS_ACCESS_VIOLATION, "an unwritable handle pointer: nothing is cloned");
    Page[7] = 0xC0FFEE00u;
    check_status(PvQueryPhysicalPage((PVOID)Page, &Before), STATUS_SUCCESS, "frame before");
    Status = Fork(&Child);
    if (Status == STATUS_PROCESS_CLONED)
    {
        check_status(NtSetEvent(Event, NULL), STATUS_SUCCESS, "child: set the inherited event");
        CHECK(Page[7] == 0xC0FFEE00u, "child: it holds the parent's data");
        PvQueryPhysicalPage((PVOID)Page, &Mine);   /* mapped now, by that read */
        CHECK(Mine == Before, "child: the page is the parent's frame");
        Page[7] = 0xCC1D0001u;
        PvQueryPhysicalPage((PVOID)Page, &Mine);
        CHECK(Mine != Before && Mine != 0, "child: its write gave it a frame of its own");
        CHECK(Page[7] == 0xCC1D0001u, "child: it reads its own write");
        return 0x5A;
    }
    check_status(Status, STATUS_SUCCESS, "fork");
    Code = ExitStatusOf(Child);
    CHECK(Code == 0x5A, "the child ended with 0x5A");
    check_status(NtWaitForSingleObject(Event, FALSE, NULL), STATUS_SUCCESS,
                 "the child set the event through its inherited handle");
    PvQueryPhysicalPage((PVOID)Page, &After);
    CHECK(Page[7] == 0xC0FFEE00u && After == Before,
          "parent: same frame, same data: the child's write was its own");
    return 0;
}

#define THREE_PAGES 768u   /* 3 MiB */

static ULONG Pattern(ULONG Page, ULONG Who)
{
    return 0x9E3779B9u * (Page + 1) ^ (Who * 0x01000193u);
}

static void Fill(volatile ULONG *Memory, ULONG First, ULONG Last, ULONG Who)
{
    ULONG Page;

    for (Page = First; Page < Last; Page++)
        Memory[Page * WORDS_PER_PAGE + 3] = Pattern(Page, Who);
}

static ULONG Mismatches(volatile ULONG *Memory, ULONG First, ULONG Last, ULONG Who)
{
    ULONG Page, Bad = 0;

    for (Page = First; Page < Last; Page++)
        Bad += Memory[Page * WORDS_PER_PAGE + 3] != Pattern(Page, Who);
    return Bad;
}

static int Three(void)
{
    PVOID Base = NULL;
    SIZE_T Size = THREE_PAGES * 0x1000u;
    volatile ULONG *Memory;
    ULONG Round, Quarter = THREE_PAGES / 4, Code;
    HANDLE Child, Grandchild;
    NTSTATUS Status;

    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit 3 MiB");
    Memory = Base;
    for (Round = 0; Round < 3; Round++)
    {
        Fill(Memory, 0, THREE_PAGES, 1);
        Status = Fork(&Child);
        if (Status == STATUS_PROCESS_CLONED)
        {
            Status = Fork(&Grandchild);
            if (Status == STATUS_PROCESS_CLONED)
            {
                Fill(Memory, 0, Quarter, 3);
                return Mismatches(Memory, 0, Quarter, 3) == 0 &&
                       Mismatches(Memory, Quarter, THREE_PAGES, 1) == 0 ? 0x33 : 1;
            }
            if (Status != STATUS_SUCCESS)
                return 2;
            Fill(Memory, Quarter, 2 * Quarter, 2);
            if (ExitStatusOf(Grandchild) != 0x33)
                return 3;
            return Mismatches(Memory, 0, Quarter, 1) == 0 &&
                   Mismatches(Memory, Quarter, 2 * Quarter, 2) == 0 &&
                   Mismatches(Memory, 2 * Quarter, THREE_PAGES, 1) == 0 ? 0x22 : 4;
        }
        check_status(Status, STATUS_SUCCESS, "round %lu: fork", (unsigned long)Round);
        Fill(Memory, 3 * Quarter, THREE_PAGES, 4);
        Code = ExitStatusOf(Child);
        CHECK(Code == 0x22,
              "round %lu: child and grandchild saw their own writes and the parent's data",
              (unsigned long)Round);
        CHECK(Mismatches(Memory, 0, 3 * Quarter, 1) == 0 &&
              Mismatches(Memory, 3 * Quarter, THREE_PAGES, 4) == 0,
              "round %lu: the parent's data is its own", (unsigned long)Round);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int Result;

    msg("begin");
    if (argc > 1 && strcmp(argv[1], "three") == 0)
        Result = Three();
    else
        Result = Simple();
    if (Result == 0)
        msg("end");
    return Result;
}
