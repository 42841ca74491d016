/*
 * zeropage.c - the zero-page path: free pages are zeroed through hyperspace and moved to the
 * Zeroed list, so that a demand-zero fault finds a page ready (MiRemoveZeroPage takes Zeroed
 * first). NT runs this as the zero page thread at priority 0, when nothing else runs; pagevisor
 * has no threads yet and runs it at the moments nothing else does: after a process has ended
 * and its pages are back on the Free list (ke/process.c), a slice of at most 4096 pages (16 MiB)
 * each time; a Free page not zeroed yet is zeroed when a demand-zero fault takes it.
 */
#include "mm.h"
#include "rtl.h"

ULONG MiZeroFreePages(ULONG MaximumPages)
{
    ULONG Zeroed = 0;

    while (Zeroed < MaximumPages)
    {
        PFN_NUMBER Page = MiRemovePageFromList(&MmFreePageListHead);

        if (Page == LIST_HEAD)
            break;
        MiZeroPhysicalPage(Page);
        MiInsertPageInList(&MmZeroedPageListHead, Page);
        Zeroed++;
    }
    MmInfoCounters.PagesZeroed += Zeroed;
    return Zeroed;
}
