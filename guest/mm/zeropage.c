/*
 * zeropage.c - the zero-page path: free pages are zeroed through hyperspace and moved to the
 * Zeroed list, so that a demand-zero fault finds a page ready (MiRemoveZeroPage takes Zeroed
 * first). As NT's zero page thread at priority 0 it runs only when nothing else does: the idle
 * thread zeroes a slice of 16 pages at a time between looks at the ready queues
 * (ke/dispatch.c). A Free page not zeroed yet is zeroed when a demand-zero fault takes it, so
 * nothing is ever zeroed in bulk, and a guest that never idles zeroes only what it uses.
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
