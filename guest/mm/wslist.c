/*
 * wslist.c - the working-set list (include/ws.h): a FIFO of the pages a process has valid,
 * oldest first, kept as a doubly linked list through its entries so that a page can leave from
 * anywhere, with free entries chained for reuse. Pure C: the kernel keeps the list in
 * hyperspace (mm/wsmanagr.c maps pages for it and decides what leaves); the host unit tests
 * (tests/unit/test_pfn.c) run the same code over an array.
 */
#include "../include/ws.h"

VOID MiInitializeWsl(PMMWSL Wsl, ULONG Capacity)
{
    Wsl->FirstFree = MI_WSLE_NONE;
    Wsl->LastInitializedWsle = 0;
    Wsl->Capacity = Capacity;
    Wsl->Oldest = Wsl->Newest = MI_WSLE_NONE;
    Wsl->Count = 0;
}

VOID MiGrowWsl(PMMWSL Wsl, ULONG Capacity)
{
    if (Capacity > Wsl->Capacity)
        Wsl->Capacity = Capacity;
}

ULONG MiInsertWsle(PMMWSL Wsl, ULONG VirtualAddress)
{
    ULONG Index;
    PMMWSLE Entry;

    if (Wsl->FirstFree != MI_WSLE_NONE)
    {
        Index = Wsl->FirstFree;
        Wsl->FirstFree = Wsl->Wsle[Index].Flink;
    }
    else if (Wsl->LastInitializedWsle < Wsl->Capacity)
    {
        Index = Wsl->LastInitializedWsle++;
    }
    else
    {
        return MI_WSLE_NONE;
    }

    Entry = &Wsl->Wsle[Index];
    Entry->VirtualAddress = VirtualAddress | MI_WSLE_VALID;
    Entry->Flink = MI_WSLE_NONE;
    Entry->Blink = Wsl->Newest;
    if (Wsl->Newest != MI_WSLE_NONE)
        Wsl->Wsle[Wsl->Newest].Flink = Index;
    else
        Wsl->Oldest = Index;
    Wsl->Newest = Index;
    Wsl->Count++;
    return Index;
}

static VOID MiUnlinkWsle(PMMWSL Wsl, ULONG Index)
{
    PMMWSLE Entry = &Wsl->Wsle[Index];

    if (Entry->Blink != MI_WSLE_NONE)
        Wsl->Wsle[Entry->Blink].Flink = Entry->Flink;
    else
        Wsl->Oldest = Entry->Flink;
    if (Entry->Flink != MI_WSLE_NONE)
        Wsl->Wsle[Entry->Flink].Blink = Entry->Blink;
    else
        Wsl->Newest = Entry->Blink;
}

VOID MiRemoveWsle(PMMWSL Wsl, ULONG Index)
{
    PMMWSLE Entry = &Wsl->Wsle[Index];

    MiUnlinkWsle(Wsl, Index);
    Entry->VirtualAddress = 0;
    Entry->Blink = MI_WSLE_NONE;
    Entry->Flink = Wsl->FirstFree;
    Wsl->FirstFree = Index;
    Wsl->Count--;
}

VOID MiMakeWsleNewest(PMMWSL Wsl, ULONG Index)
{
    PMMWSLE Entry = &Wsl->Wsle[Index];

    if (Wsl->Newest == Index)
        return;
    MiUnlinkWsle(Wsl, Index);
    Entry->Flink = MI_WSLE_NONE;
    Entry->Blink = Wsl->Newest;
    Wsl->Wsle[Wsl->Newest].Flink = Index;
    Wsl->Newest = Index;
}

ULONG MiFindOldestTrimmableWsle(PMMWSL Wsl, ULONG Limit, PMI_WSLE_TRIMMABLE Trimmable,
                                PVOID Context)
{
    ULONG Looked;

    for (Looked = 0; Looked < Limit && Wsl->Oldest != MI_WSLE_NONE; Looked++)
    {
        ULONG Index = Wsl->Oldest;

        if (Trimmable(Wsl, Index, Context))
            return Index;
        MiMakeWsleNewest(Wsl, Index);
    }
    return MI_WSLE_NONE;
}

ULONG MiCheckWsl(PMMWSL Wsl)
{
    ULONG Index, Previous = MI_WSLE_NONE, Count = 0, Free = 0;

    if (Wsl->LastInitializedWsle > Wsl->Capacity)
        return MI_WSLE_NONE;
    for (Index = Wsl->Oldest; Index != MI_WSLE_NONE; Index = Wsl->Wsle[Index].Flink)
    {
        if (Index >= Wsl->LastInitializedWsle || Count >= Wsl->LastInitializedWsle ||
            !(Wsl->Wsle[Index].VirtualAddress & MI_WSLE_VALID) ||
            Wsl->Wsle[Index].Blink != Previous)
            return MI_WSLE_NONE;
        Previous = Index;
        Count++;
    }
    if (Previous != Wsl->Newest || Count != Wsl->Count)
        return MI_WSLE_NONE;
    for (Index = Wsl->FirstFree; Index != MI_WSLE_NONE; Index = Wsl->Wsle[Index].Flink)
    {
        if (Index >= Wsl->LastInitializedWsle || Free >= Wsl->LastInitializedWsle ||
            Wsl->Wsle[Index].VirtualAddress != 0)
            return MI_WSLE_NONE;
        Free++;
    }
    if (Count + Free != Wsl->LastInitializedWsle)
        return MI_WSLE_NONE;
    return Count;
}
