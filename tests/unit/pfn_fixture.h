/*
 * pfn_fixture.h - the small PFN database the host tests of guest/mm run on (test_pfn,
 * test_section, test_fork): 64 frames, frames 60-63 standing for process page tables (active,
 * their own share and reference), frames 1-59 on the Free list, frame 0 unused, and a
 * pagefile of a given size. Include it after guest/mm/pfnlist.c and guest/mm/pagefile.c.
 */
#ifndef PV_PFN_FIXTURE_H
#define PV_PFN_FIXTURE_H

#include <string.h>

#define PAGES       64u
#define TABLE_FRAME 60u   /* frames 60..63: page tables (active, their own share) */

MMINFO_COUNTERS MmInfoCounters;
static MMPFN pfn_db[PAGES];

/* No thread waits for pages here: a wake-up (a page became available while MmPageWaiters was
 * set) is only counted. */
static unsigned page_waiter_wakeups;
VOID MiWakePageWaiters(VOID)
{
    page_waiter_wakeups++;
}

static void pfn_fixture_reset(ULONG pagefile_slots)
{
    static ULONG bitmap[(MI_PAGEFILE_MAX_SLOTS + 31) / 32];

    memset(pfn_db, 0, sizeof(pfn_db));
    memset(&MmInfoCounters, 0, sizeof(MmInfoCounters));
    MmPfnDatabase = pfn_db;
    MmHighestPhysicalPage = PAGES - 1;
    MmAvailablePages = 0;
    for (unsigned l = ZeroedPageList; l <= BadPageList; l++) {
        MmPageLocationList[l]->Total = 0;
        MmPageLocationList[l]->Flink = MmPageLocationList[l]->Blink = LIST_HEAD;
    }
    for (PFN_NUMBER p = 0; p < PAGES; p++) {
        pfn_db[p].u3.e1.PageLocation = ActiveAndValid;
        if (p >= TABLE_FRAME) {
            pfn_db[p].u2.ShareCount = 1;   /* its own PDE */
            pfn_db[p].u3.ReferenceCount = 1;
        }
    }
    for (PFN_NUMBER p = 1; p < TABLE_FRAME; p++)
        MiInsertPageInFreeList(p);
    MiInitializePagingFile(bitmap, pagefile_slots);
}

#endif /* PV_PFN_FIXTURE_H */
