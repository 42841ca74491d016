/*
 * vadtree.c - the VAD tree: each process's allocated user ranges, kept in an AVL tree ordered
 * by starting page (as NT's MM_AVL_TABLE since XP; this one keeps a height per node instead of
 * a balance in the parent pointer, and needs no parent pointer), and the search for a free
 * range that NtAllocateVirtualMemory does when it is given no address.
 *
 * VADs come from a fixed pool: the kernel has no pool allocator yet, and processes run one at a
 * time, so MI_VAD_POOL_SIZE bounds the VADs of one process.
 *
 * Pure C, no hardware: the host unit tests compile this file as it is (tests/unit/test_vad.c).
 */
#include "../include/vad.h"

static MMVAD MiVadPool[MI_VAD_POOL_SIZE];
static PMMVAD MiFreeVadList;
static ULONG MiVadPoolNext, MiVadCount;

/* ------------------------------------------------------------------------------------ pool */

PMMVAD MiAllocateVad(VOID)
{
    PMMVAD Vad;

    if (MiFreeVadList != NULL)
    {
        Vad = MiFreeVadList;
        MiFreeVadList = Vad->LeftChild;
    }
    else if (MiVadPoolNext < MI_VAD_POOL_SIZE)
    {
        Vad = &MiVadPool[MiVadPoolNext++];
    }
    else
    {
        return NULL;
    }
    Vad->LeftChild = Vad->RightChild = NULL;
    Vad->Height = 1;
    Vad->StartingVpn = Vad->EndingVpn = 0;
    Vad->u.LongFlags = 0;
    Vad->Section = NULL;
    Vad->FirstPrototypePte = NULL;
    Vad->NoInherit = FALSE;
    MiVadCount++;
    return Vad;
}

VOID MiFreeVad(PMMVAD Vad)
{
    Vad->RightChild = NULL;
    Vad->LeftChild = MiFreeVadList;
    MiFreeVadList = Vad;
    MiVadCount--;
}

ULONG MiVadsInUse(VOID)
{
    return MiVadCount;
}

/* ------------------------------------------------------------------------------- AVL tree */

static LONG MiHeight(PMMVAD Node)
{
    return Node != NULL ? Node->Height : 0;
}

static VOID MiUpdateHeight(PMMVAD Node)
{
    LONG Left = MiHeight(Node->LeftChild), Right = MiHeight(Node->RightChild);

    Node->Height = (Left > Right ? Left : Right) + 1;
}

static PMMVAD MiRotateRight(PMMVAD Node)
{
    PMMVAD Pivot = Node->LeftChild;

    Node->LeftChild = Pivot->RightChild;
    Pivot->RightChild = Node;
    MiUpdateHeight(Node);
    MiUpdateHeight(Pivot);
    return Pivot;
}

static PMMVAD MiRotateLeft(PMMVAD Node)
{
    PMMVAD Pivot = Node->RightChild;

    Node->RightChild = Pivot->LeftChild;
    Pivot->LeftChild = Node;
    MiUpdateHeight(Node);
    MiUpdateHeight(Pivot);
    return Pivot;
}

/* Restore |height(left) - height(right)| <= 1 at Node after one insertion or removal below. */
static PMMVAD MiRebalance(PMMVAD Node)
{
    LONG Balance;

    MiUpdateHeight(Node);
    Balance = MiHeight(Node->LeftChild) - MiHeight(Node->RightChild);
    if (Balance > 1)
    {
        if (MiHeight(Node->LeftChild->LeftChild) < MiHeight(Node->LeftChild->RightChild))
            Node->LeftChild = MiRotateLeft(Node->LeftChild);
        return MiRotateRight(Node);
    }
    if (Balance < -1)
    {
        if (MiHeight(Node->RightChild->RightChild) < MiHeight(Node->RightChild->LeftChild))
            Node->RightChild = MiRotateRight(Node->RightChild);
        return MiRotateLeft(Node);
    }
    return Node;
}

static PMMVAD MiInsertNode(PMMVAD Node, PMMVAD Vad)
{
    if (Node == NULL)
        return Vad;
    if (Vad->StartingVpn < Node->StartingVpn)
        Node->LeftChild = MiInsertNode(Node->LeftChild, Vad);
    else
        Node->RightChild = MiInsertNode(Node->RightChild, Vad);
    return MiRebalance(Node);
}

VOID MiInsertVad(PMM_AVL_TABLE Table, PMMVAD Vad)
{
    Vad->LeftChild = Vad->RightChild = NULL;
    Vad->Height = 1;
    Table->Root = MiInsertNode(Table->Root, Vad);
    Table->NumberGenericTableElements++;
}

/* Detach the lowest node of a subtree; *Lowest receives it. */
static PMMVAD MiRemoveLowest(PMMVAD Node, PMMVAD *Lowest)
{
    if (Node->LeftChild == NULL)
    {
        *Lowest = Node;
        return Node->RightChild;
    }
    Node->LeftChild = MiRemoveLowest(Node->LeftChild, Lowest);
    return MiRebalance(Node);
}

static PMMVAD MiRemoveNode(PMMVAD Node, PMMVAD Vad)
{
    PMMVAD Successor;

    if (Node == NULL)
        return NULL;
    if (Node != Vad)
    {
        if (Vad->StartingVpn < Node->StartingVpn)
            Node->LeftChild = MiRemoveNode(Node->LeftChild, Vad);
        else
            Node->RightChild = MiRemoveNode(Node->RightChild, Vad);
        return MiRebalance(Node);
    }
    if (Node->LeftChild == NULL)
        return Node->RightChild;
    if (Node->RightChild == NULL)
        return Node->LeftChild;
    /* Two children: the in-order successor takes this node's place. */
    Node->RightChild = MiRemoveLowest(Node->RightChild, &Successor);
    Successor->LeftChild = Node->LeftChild;
    Successor->RightChild = Node->RightChild;
    return MiRebalance(Successor);
}

VOID MiRemoveVad(PMM_AVL_TABLE Table, PMMVAD Vad)
{
    Table->Root = MiRemoveNode(Table->Root, Vad);
    Table->NumberGenericTableElements--;
    if (Table->NodeHint == Vad)
        Table->NodeHint = NULL;
    Vad->LeftChild = Vad->RightChild = NULL;
}

PMMVAD MiLocateVad(PMM_AVL_TABLE Table, ULONG_PTR Vpn)
{
    PMMVAD Node = Table->NodeHint;

    if (Node != NULL && Vpn >= Node->StartingVpn && Vpn <= Node->EndingVpn)
        return Node;
    for (Node = Table->Root; Node != NULL;)
    {
        if (Vpn < Node->StartingVpn)
            Node = Node->LeftChild;
        else if (Vpn > Node->EndingVpn)
            Node = Node->RightChild;
        else
        {
            Table->NodeHint = Node;
            return Node;
        }
    }
    return NULL;
}

PMMVAD MiFirstVadAtOrAbove(PMM_AVL_TABLE Table, ULONG_PTR Vpn)
{
    PMMVAD Node = Table->Root, Found = NULL;

    /* VADs are disjoint, so ordering by start also orders them by end. */
    while (Node != NULL)
    {
        if (Node->EndingVpn >= Vpn)
        {
            Found = Node;
            Node = Node->LeftChild;
        }
        else
        {
            Node = Node->RightChild;
        }
    }
    return Found;
}

PMMVAD MiLastVadAtOrBelow(PMM_AVL_TABLE Table, ULONG_PTR Vpn)
{
    PMMVAD Node = Table->Root, Found = NULL;

    while (Node != NULL)
    {
        if (Node->StartingVpn <= Vpn)
        {
            Found = Node;
            Node = Node->RightChild;
        }
        else
        {
            Node = Node->LeftChild;
        }
    }
    return Found;
}

PMMVAD MiCheckForConflictingVad(PMM_AVL_TABLE Table, ULONG_PTR StartVpn, ULONG_PTR EndVpn)
{
    PMMVAD Vad = MiFirstVadAtOrAbove(Table, StartVpn);

    return Vad != NULL && Vad->StartingVpn <= EndVpn ? Vad : NULL;
}

/* ---------------------------------------------------------------------- free-range search */

NTSTATUS MiFindEmptyAddressRange(PMM_AVL_TABLE Table, ULONG_PTR Size, ULONG_PTR Alignment,
                                 ULONG_PTR Lowest, ULONG_PTR Highest, BOOLEAN TopDown,
                                 PULONG_PTR Base)
{
    ULONG_PTR Candidate;
    PMMVAD Vad;

    if (Size == 0 || Highest < Lowest || Highest - Lowest + 1 < Size)
        return STATUS_NO_MEMORY;

    if (!TopDown)
    {
        /* Walk the VADs upward from Lowest; the first gap that holds Size wins. */
        Candidate = ALIGN_UP_BY(Lowest, Alignment);
        while (Candidate >= Lowest && Candidate <= Highest && Highest - Candidate + 1 >= Size)
        {
            Vad = MiCheckForConflictingVad(Table, MI_VA_TO_VPN(Candidate),
                                           MI_VA_TO_VPN(Candidate + Size - 1));
            if (Vad == NULL)
            {
                *Base = Candidate;
                return STATUS_SUCCESS;
            }
            Candidate = ALIGN_UP_BY(MI_VPN_TO_VA_ENDING(Vad->EndingVpn) + 1, Alignment);
            if (Candidate == 0)
                break;   /* wrapped */
        }
        return STATUS_NO_MEMORY;
    }

    /* Top down: the highest aligned start whose range ends at or below Highest, then below
     * each VAD in the way. */
    Candidate = ALIGN_DOWN_BY(Highest - Size + 1, Alignment);
    for (;;)
    {
        if (Candidate < Lowest)
            return STATUS_NO_MEMORY;
        Vad = MiLastVadAtOrBelow(Table, MI_VA_TO_VPN(Candidate + Size - 1));
        if (Vad == NULL || MI_VPN_TO_VA_ENDING(Vad->EndingVpn) < Candidate)
        {
            *Base = Candidate;
            return STATUS_SUCCESS;
        }
        if (MI_VPN_TO_VA(Vad->StartingVpn) < Size)
            return STATUS_NO_MEMORY;
        Candidate = ALIGN_DOWN_BY(MI_VPN_TO_VA(Vad->StartingVpn) - Size, Alignment);
    }
}

/* ---------------------------------------------------------------------------- consistency */

/* Returns the subtree's height, or -1 if it is broken; *Count and *Last track in-order. */
static LONG MiCheckSubtree(PMMVAD Node, ULONG *Count, PMMVAD *Last, ULONG Depth)
{
    LONG Left, Right, Height;

    if (Node == NULL)
        return 0;
    if (Depth > 64 || Node->StartingVpn > Node->EndingVpn)
        return -1;
    Left = MiCheckSubtree(Node->LeftChild, Count, Last, Depth + 1);
    if (Left < 0)
        return -1;
    if (*Last != NULL && (*Last)->EndingVpn >= Node->StartingVpn)
        return -1;   /* out of order or overlapping */
    *Last = Node;
    (*Count)++;
    Right = MiCheckSubtree(Node->RightChild, Count, Last, Depth + 1);
    if (Right < 0 || Left - Right > 1 || Right - Left > 1)
        return -1;
    Height = (Left > Right ? Left : Right) + 1;
    return Node->Height == Height ? Height : -1;
}

ULONG MiCheckVadTree(PMM_AVL_TABLE Table)
{
    ULONG Count = 0;
    PMMVAD Last = NULL;

    if (MiCheckSubtree(Table->Root, &Count, &Last, 0) < 0 ||
        Count != Table->NumberGenericTableElements)
        return ~0u;
    return Count;
}
