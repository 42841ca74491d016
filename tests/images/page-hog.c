/*
 * page-hog - what happens when no page can be had. The parent keeps 16 pages of its own data,
 * then runs itself as a child "hog" and waits for it. The hog commits more memory than RAM
 * holds (the pagefile makes up the rest) and writes every page. Run it where the pagefile stops
 * taking writes from some slot on (--inject-pagefile-errors write:slots=N-...): the hog's pages
 * cannot leave RAM, its next fault finds no page and waits for one, and nobody can free any.
 *   as=enospc (the host's file system full): the commitment the hog was given cannot be
 *     honoured; its fault fails with STATUS_COMMITMENT_LIMIT and it ends. The parent checks
 *     that status, that its own 16 pages are intact, that the commit limit shrank, that the
 *     wait and the refused writes were counted, and that it can still commit and use memory
 *     (but not past the new limit).
 *   as=eio (every write fails): the system cannot go on: bug check NO_PAGES_AVAILABLE (0x4D).
 * Expected (enospc): the parent's lines, the hog's exit line, "page-hog: exit(0)".
 * NEEDS-PAGEFILE
 */
#include <ntapi.h>

#define SELF        NtCurrentProcess()
#define OWN_PAGES   16u
#define PAGE        0x1000u

static PV_MM_COUNTERS Counters;

static void Query(void)
{
    check_status(PvQueryMmCounters(&Counters, sizeof(Counters)), STATUS_SUCCESS, "counters");
}

static PVOID Commit(ULONG Pages, NTSTATUS Expected, const char *What)
{
    PVOID Base = NULL;
    SIZE_T Size = (SIZE_T)Pages * PAGE;

    check_status(NtAllocateVirtualMemory(SELF, &Base, 0, &Size, MEM_RESERVE | MEM_COMMIT,
                                         PAGE_READWRITE), Expected, "%s", What);
    return Base;
}

/* More than RAM: every page written (its number in its first word), until a fault fails. */
static int Hog(void)
{
    volatile ULONG *Memory;
    ULONG Pages, i;

    PvQueryMmCounters(&Counters, sizeof(Counters));
    Pages = Counters.AvailablePages + 256;
    Memory = Commit(Pages, STATUS_SUCCESS, "hog: commit more than RAM");
    for (i = 0; i < Pages; i++)
        Memory[i * (PAGE / sizeof(ULONG))] = i;
    msg("hog: wrote every page (the pagefile took them all)");
    return 0;
}

int main(int argc, char **argv)
{
    static ULONG Own[OWN_PAGES][PAGE / sizeof(ULONG)];
    PROCESS_BASIC_INFORMATION Info;
    ULONG Length, i, LimitBefore;
    HANDLE Process;
    volatile ULONG *Small;

    if (argc > 1 && strcmp(argv[1], "hog") == 0)
        return Hog();
    msg("begin");
    for (i = 0; i < OWN_PAGES; i++)
        Own[i][0] = Own[i][PAGE / sizeof(ULONG) - 1] = 0x5A5A0000u + i;
    Query();
    LimitBefore = Counters.CommitLimit;

    check_status(PvCreateProcess("page-hog", "hog", &Process), STATUS_SUCCESS, "start the hog");
    check_status(NtWaitForSingleObject(Process, FALSE, NULL), STATUS_SUCCESS, "wait for it");
    check_status(NtQueryInformationProcess(Process, ProcessBasicInformation, &Info, sizeof(Info),
                                           &Length), STATUS_SUCCESS, "query it");
    check_status(Info.ExitStatus, STATUS_COMMITMENT_LIMIT, "the hog's fault found no page");
    NtClose(Process);

    for (i = 0; i < OWN_PAGES; i++)
        if (Own[i][0] != 0x5A5A0000u + i || Own[i][PAGE / sizeof(ULONG) - 1] != 0x5A5A0000u + i)
            fail("own page %lu changed: 0x%08lX", (unsigned long)i, (unsigned long)Own[i][0]);
    msg("own %u pages intact", OWN_PAGES);

    /* An image built before the page-wait counters asks with the older length. */
    check_status(PvQueryMmCounters(&Counters, PV_MM_COUNTERS_V1_SIZE), STATUS_SUCCESS,
                 "counters with the length before the page-wait counters");
    check_status(PvQueryMmCounters(&Counters, PV_MM_COUNTERS_V1_SIZE + 4),
                 STATUS_INFO_LENGTH_MISMATCH, "counters with a length between the two");
    Query();
    CHECK(Counters.PageWaits >= 1, "a fault waited for a page");
    CHECK(Counters.PagefileFullWrites >= 1, "the host refused writes: its file system full");
    CHECK(Counters.CommitLimit < LimitBefore, "the commit limit shrank");
    (void)Commit(Counters.CommitLimit - Counters.TotalCommittedPages + 1, STATUS_COMMITMENT_LIMIT,
                 "commit one page more than the new limit leaves");
    Small = Commit(8, STATUS_SUCCESS, "commit 8 pages");
    for (i = 0; i < 8; i++)
        Small[i * (PAGE / sizeof(ULONG))] = i + 1;
    for (i = 0; i < 8; i++)
        if (Small[i * (PAGE / sizeof(ULONG))] != i + 1)
            fail("new page %lu reads 0x%08lX", (unsigned long)i,
                 (unsigned long)Small[i * (PAGE / sizeof(ULONG))]);
    msg("and use them");
    msg("end");
    return 0;
}
