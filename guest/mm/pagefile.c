/*
 * pagefile.c - the guest's side of the pagefile: which slots hold pages. The host only checks
 * bounds and moves data (PV_HC_PAGEFILE_IO); allocation is the memory manager's, as NT's
 * paging-file bitmap was. One bit per slot of 1..Size-1 (slot 0 is never a page: a software
 * PTE whose PageFileHigh is 0 means demand zero). The modified page writer takes runs of
 * contiguous free slots (a cluster is one call), next-fit from a hint so that pages written
 * one after another sit side by side; a slot goes back when its page is freed, or read back
 * and dirtied. A slot whose write failed is marked bad: it stays allocated for good and is
 * never handed out again (the data that failed to reach it is still in RAM, on the Modified
 * list: see mm/modwrite.c).
 *
 * No hardware here (the bitmap's memory is mapped at boot by mm/mminit.c), so this file also
 * compiles for the host unit tests.
 */
#include "../include/mm.h"

MMPAGING_FILE MmPagingFile;

#define MI_BITS 32u
#define MI_TEST(Slot)  ((MmPagingFile.Bitmap[(Slot) / MI_BITS] >> ((Slot) % MI_BITS)) & 1u)
#define MI_SET(Slot)   (MmPagingFile.Bitmap[(Slot) / MI_BITS] |= 1u << ((Slot) % MI_BITS))
#define MI_CLEAR(Slot) (MmPagingFile.Bitmap[(Slot) / MI_BITS] &= ~(1u << ((Slot) % MI_BITS)))

/* Bitmap holds (Slots + 31) / 32 words; Slots is the host's size (slot 0 included). */
VOID MiInitializePagingFile(PULONG Bitmap, ULONG Slots)
{
    ULONG i, Words = (Slots + MI_BITS - 1) / MI_BITS;

    if (Slots > MI_PAGEFILE_MAX_SLOTS)
        Slots = MI_PAGEFILE_MAX_SLOTS;
    MmPagingFile.Bitmap = Bitmap;
    MmPagingFile.Size = Slots;
    MmPagingFile.Hint = 1;
    MmPagingFile.InUse = 0;
    MmPagingFile.BadSlots = 0;
    MmPagingFile.FreeSpace = Slots > 1 ? Slots - 1 : 0;
    for (i = 0; i < Words; i++)
        Bitmap[i] = 0;
    if (Slots > 0)
    {
        MI_SET(0);
        /* Bits past the end read as used, so that a word-wise search never goes there. */
        for (i = Slots; i < Words * MI_BITS; i++)
            MI_SET(i);
    }
}

BOOLEAN MiIsPagefileSlotInUse(ULONG Slot)
{
    return Slot < MmPagingFile.Size && MI_TEST(Slot);
}

/* The first free slot at or after Start (below Size), or 0 if none. */
static ULONG MiFindFreeSlot(ULONG Start)
{
    ULONG Slot = Start;

    while (Slot < MmPagingFile.Size)
    {
        if ((Slot % MI_BITS) == 0 && MmPagingFile.Bitmap[Slot / MI_BITS] == 0xFFFFFFFFu)
        {
            Slot += MI_BITS;
            continue;
        }
        if (!MI_TEST(Slot))
            return Slot;
        Slot++;
    }
    return 0;
}

ULONG MiAllocatePagefileSlots(ULONG Wanted, PULONG FirstSlot)
{
    ULONG Slot, Count = 0;

    if (Wanted == 0 || MmPagingFile.FreeSpace == 0)
        return 0;
    Slot = MiFindFreeSlot(MmPagingFile.Hint);
    if (Slot == 0)
        Slot = MiFindFreeSlot(1);
    if (Slot == 0)
        return 0;
    while (Count < Wanted && Slot + Count < MmPagingFile.Size && !MI_TEST(Slot + Count))
    {
        MI_SET(Slot + Count);
        Count++;
    }
    *FirstSlot = Slot;
    MmPagingFile.FreeSpace -= Count;
    MmPagingFile.InUse += Count;
    MmPagingFile.Hint = Slot + Count < MmPagingFile.Size ? Slot + Count : 1;
    return Count;
}

VOID MiReleasePagefileSlot(ULONG Slot)
{
    if (Slot == 0 || Slot >= MmPagingFile.Size || !MI_TEST(Slot))
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_PAGEFILE_SLOT, Slot, MmPagingFile.Size, 0);
    MI_CLEAR(Slot);
    MmPagingFile.FreeSpace++;
    MmPagingFile.InUse--;
}


/* The slot stays allocated for good (the first MI_PAGEFILE_BAD_REMEMBERED are remembered, so
 * that MiReleaseAllPagefileSlots keeps them out). */
VOID MiMarkPagefileSlotBad(ULONG Slot)
{
    if (Slot == 0 || Slot >= MmPagingFile.Size || !MI_TEST(Slot))
        KeBugCheckEx(MEMORY_MANAGEMENT, MI_BUGCHECK_PAGEFILE_SLOT, Slot, MmPagingFile.Size, 1);
    MmPagingFile.InUse--;
    if (MmPagingFile.BadSlots < MI_PAGEFILE_BAD_REMEMBERED)
        MmPagingFile.Bad[MmPagingFile.BadSlots] = Slot;
    MmPagingFile.BadSlots++;
}

/* Release the slot a software PTE (or a page's OriginalPte) names, if it names one. */
VOID MiReleasePageFileSpace(MMPTE PteContents)
{
    if (MI_PTE_HAS_PAGEFILE_SLOT(PteContents.u.Long))
        MiReleasePagefileSlot(MI_PAGEFILE_HIGH(PteContents.u.Long));
}

/* Every allocated slot that is not bad goes back: only for when the one process that could
 * own slots is gone and some of its page tables could not be read to find them. Returns how
 * many were released. */
ULONG MiReleaseAllPagefileSlots(VOID)
{
    ULONG Slot, Released = MmPagingFile.InUse, i;

    for (Slot = 1; Slot < MmPagingFile.Size; Slot++)
        MI_CLEAR(Slot);
    if (MmPagingFile.BadSlots > MI_PAGEFILE_BAD_REMEMBERED)
        MmPagingFile.BadSlots = MI_PAGEFILE_BAD_REMEMBERED;
    for (i = 0; i < MmPagingFile.BadSlots; i++)
        MI_SET(MmPagingFile.Bad[i]);
    MmPagingFile.InUse = 0;
    MmPagingFile.FreeSpace = MmPagingFile.Size - 1 - MmPagingFile.BadSlots;
    return Released;
}
