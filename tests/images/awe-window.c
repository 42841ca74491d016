/*
 * awe-window - Address Windowing Extensions: 8 MiB of physical frames (2048), seen through a
 * 1 MiB window (256 pages), with --mem 12M: more memory than the window, than the working set,
 * nearly all the guest has. Each frame gets its own pattern through the window, eight windows
 * full; then every frame is mapped again, in another order and scattered, and read back whole.
 * Mistakes are refused and change nothing: a frame not the process's, one listed twice, one
 * mapped elsewhere, an address outside the window, committing or protecting in it. Releasing
 * the window keeps the frames (a new window shows them unchanged); freeing them gives the
 * memory back. Half are left for the process's end to free (the kernel's list check after the
 * image says none leaked).
 * Expected: begin, the lines below, end.
 * NEEDS-OWN-BOOT (8 MiB of frames at once: in the boot of every image under another loader
 * the pages earlier images left on the standby list are not all there to take)
 */
#include <ntapi.h>

#define FRAMES  2048u               /* 8 MiB */
#define WINDOW  256u                /* 1 MiB */
#define WORDS   (0x1000u / 4)

static ULONG_PTR Pfns[FRAMES];

static ULONG Pattern(ULONG Frame, ULONG Word)
{
    return (Frame * 0x9E3779B1u) ^ (Word * 0x01000193u) ^ Word;
}

static ULONG Available(void)
{
    PV_MM_COUNTERS Counters;
    if (PvQueryMmCounters(&Counters, sizeof(Counters)) != STATUS_SUCCESS)
        fail("PvQueryMmCounters");
    return Counters.AvailablePages;
}

static MEMORY_BASIC_INFORMATION Query(ULONG_PTR Va)
{
    MEMORY_BASIC_INFORMATION Info;
    SIZE_T Length;
    NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)Va, MemoryBasicInformation, &Info,
                         sizeof(Info), &Length);
    return Info;
}

/* Every word of window page Page holds frame Frame's pattern. */
static int Holds(ULONG_PTR Window, ULONG Page, ULONG Frame)
{
    const volatile ULONG *Words = (const volatile ULONG *)(Window + Page * 0x1000u);
    for (ULONG w = 0; w < WORDS; w++)
        if (Words[w] != Pattern(Frame, w))
            return 0;
    return 1;
}

int main(void)
{
    ULONG_PTR Count = FRAMES, Window = 0, Window2 = 0, Bad[2];
    SIZE_T Size = WINDOW * 0x1000u;
    PVOID Base = NULL, Vas[WINDOW];
    ULONG Before = Available(), Wrong = 0;

    msg("begin");
    check_status(NtAllocateUserPhysicalPages(NtCurrentProcess(), &Count, Pfns), STATUS_SUCCESS,
                 "allocate 2048 physical frames (8 MiB)");
    CHECK(Count == FRAMES, "all 2048 came");
    PV_MM_COUNTERS C;
    if (PvQueryMmCounters(&C, sizeof(C)) != STATUS_SUCCESS)
        fail("PvQueryMmCounters");
    CHECK(C.ProcessLockedPages == FRAMES && C.AwePages >= FRAMES, "locked, and counted as AWE pages");
    /* Fewer available pages by 2048, less what working-set trimming put on the standby
     * list to make room (without a pagefile, as under another loader, that is most). */
    CHECK(Available() < Before, "they left the available pages");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_PHYSICAL, PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve a 1 MiB window (MEM_RESERVE | MEM_PHYSICAL)");
    Window = (ULONG_PTR)Base;
    CHECK(Query(Window).State == MEM_RESERVE, "unmapped, the window is reserved memory");

    /* Eight windows full: write each frame's pattern through the window. */
    for (ULONG c = 0; c < FRAMES / WINDOW; c++)
    {
        NTSTATUS Status = NtMapUserPhysicalPages((PVOID)Window, WINDOW, &Pfns[c * WINDOW]);
        if (c == 0)
            check_status(Status, STATUS_SUCCESS, "map frames 0-255 into it");
        else if (Status != STATUS_SUCCESS)
            fail("map frames %u-%u: 0x%08X", c * WINDOW, c * WINDOW + WINDOW - 1, Status);
        for (ULONG p = 0; p < WINDOW; p++)
        {
            volatile ULONG *Words = (volatile ULONG *)(Window + p * 0x1000u);
            if (c == 0 && p == 0)
                CHECK(Words[0] == 0 && Words[WORDS - 1] == 0, "a new frame reads zero");
            for (ULONG w = 0; w < WORDS; w++)
                Words[w] = Pattern(c * WINDOW + p, w);
        }
    }
    msg("wrote a pattern into every frame, 256 at a time");
    PvDebugBreak("window mapped", 13);         /* the host's !vad shows the window "Phys" */
    CHECK(Query(Window).State == MEM_COMMIT && Query(Window).Protect == PAGE_READWRITE,
          "mapped, a window page is committed read/write");

    /* Read back in reverse order of windows, the odd ones scattered backwards. A frame is
     * mapped at one address at most: the window is emptied (a NULL array) before each. */
    for (ULONG c = FRAMES / WINDOW; c-- > 0;)
    {
        if (NtMapUserPhysicalPages((PVOID)Window, WINDOW, NULL) != STATUS_SUCCESS)
            fail("unmap the window");
        if (c & 1)
        {
            for (ULONG p = 0; p < WINDOW; p++)
                Vas[p] = (PVOID)(Window + (WINDOW - 1 - p) * 0x1000u);
            NTSTATUS Status = NtMapUserPhysicalPagesScatter(Vas, WINDOW, &Pfns[c * WINDOW]);
            if (c == 7)
                check_status(Status, STATUS_SUCCESS, "map frames 1792-2047 scattered, backwards");
            else if (Status != STATUS_SUCCESS)
                fail("scatter frames %u-: 0x%08X", c * WINDOW, Status);
            for (ULONG p = 0; p < WINDOW; p++)
                Wrong += !Holds(Window, WINDOW - 1 - p, c * WINDOW + p);
        }
        else
        {
            if (NtMapUserPhysicalPages((PVOID)Window, WINDOW, &Pfns[c * WINDOW]) != STATUS_SUCCESS)
                fail("map frames %u-", c * WINDOW);
            for (ULONG p = 0; p < WINDOW; p++)
                Wrong += !Holds(Window, p, c * WINDOW + p);
        }
    }
    CHECK(Wrong == 0, "every frame read back whole through the window (%u wrong)", Wrong);

    /* Mistakes: refused, and the window still shows frames 0-255 as mapped last. */
    Bad[0] = 1;
    Bad[1] = Pfns[5];
    check_status(NtMapUserPhysicalPages((PVOID)Window, 1, Bad), STATUS_CONFLICTING_ADDRESSES,
                 "map frame 1, not the process's");
    Bad[0] = Pfns[300];
    Bad[1] = Pfns[300];
    check_status(NtMapUserPhysicalPages((PVOID)(Window + 0x1000), 2, Bad),
                 STATUS_INVALID_PARAMETER_3, "map one frame twice");
    check_status(NtMapUserPhysicalPages((PVOID)(Window + 0x2000), 1, &Pfns[0]),
                 STATUS_INVALID_PARAMETER_3, "map the first frame at page 2 (it is mapped at page 0)");
    check_status(NtMapUserPhysicalPages((PVOID)(Window + (WINDOW - 1) * 0x1000u), 2, &Pfns[0]),
                 STATUS_INVALID_PARAMETER_1, "map past the window's end");
    check_status(NtMapUserPhysicalPages((PVOID)Pfns, 1, &Pfns[0]), STATUS_INVALID_PARAMETER_1,
                 "map outside any window");
    Bad[0] = 0x1000;
    check_status(NtFreeUserPhysicalPages(NtCurrentProcess(), &Bad[0], Pfns),
                 STATUS_INVALID_PARAMETER_2, "free more frames than there are");
    Count = 1;
    Bad[0] = 1;
    check_status(NtFreeUserPhysicalPages(NtCurrentProcess(), &Count, Bad),
                 STATUS_CONFLICTING_ADDRESSES, "free frame 1, not the process's");
    Count = 1;
    check_status(NtAllocateUserPhysicalPages((HANDLE)(ULONG_PTR)4, &Count, Bad),
                 STATUS_NOT_SUPPORTED, "allocate for another process");
    Base = (PVOID)(Window + 0x1000);
    Size = 0x1000;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size, MEM_COMMIT,
                                         PAGE_READWRITE),
                 STATUS_CONFLICTING_ADDRESSES, "commit inside the window");
    ULONG Old;
    Base = (PVOID)Window;
    Size = 0x1000;
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Base, &Size, PAGE_READONLY, &Old),
                 STATUS_CONFLICTING_ADDRESSES, "make the window read-only");
    Wrong = 0;
    for (ULONG p = 0; p < WINDOW; p++)
        Wrong += !Holds(Window, p, p);
    CHECK(Wrong == 0, "nothing changed: the window still shows frames 0-255");

    /* Unmap part, release the window with frames in it, and see them in a new one. */
    check_status(NtMapUserPhysicalPages((PVOID)Window, 16, NULL), STATUS_SUCCESS,
                 "unmap the first 16 pages (a NULL array)");
    CHECK(Query(Window).State == MEM_RESERVE, "an unmapped page is reserved again");
    Base = (PVOID)Window;
    Size = 0;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE),
                 STATUS_SUCCESS, "release the window with frames mapped in it");
    Base = NULL;
    Size = WINDOW * 0x1000u;
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_PHYSICAL, PAGE_READWRITE),
                 STATUS_SUCCESS, "reserve another window");
    Window2 = (ULONG_PTR)Base;
    check_status(NtMapUserPhysicalPages((PVOID)Window2, WINDOW, &Pfns[1024]), STATUS_SUCCESS,
                 "map frames 1024-1279 into it");
    Wrong = 0;
    for (ULONG p = 0; p < WINDOW; p++)
        Wrong += !Holds(Window2, p, 1024 + p);
    CHECK(Wrong == 0, "they kept their contents");

    /* Free the first half (mapped ones are unmapped first); the rest goes at exit. */
    ULONG Mid = Available();
    Count = FRAMES / 2;
    check_status(NtFreeUserPhysicalPages(NtCurrentProcess(), &Count, &Pfns[0]), STATUS_SUCCESS,
                 "free frames 0-1023");
    CHECK(Available() - Mid >= FRAMES / 2, "1024 pages came back");
    check_status(NtMapUserPhysicalPages((PVOID)Window2, 1, &Pfns[0]),
                 STATUS_CONFLICTING_ADDRESSES, "map a freed frame");
    msg("end: frames 1024-2047 left for the process's end");
    return 0;
}
