/*
 * protect-paged - protections of pages that are not in memory. 2 MiB at 0x10000000 are written
 * one word per page with --mem 3M, so the first pages are in the pagefile by the end. The first
 * page is made PAGE_READONLY while it is there (its PTE keeps its slot: NtQueryVirtualMemory
 * shows the new protection, reading it brings back what was written); a write to it through a
 * system call then fails with STATUS_ACCESS_VIOLATION; made PAGE_READWRITE again it takes a
 * write. The same for a page of the image's read-only data that is not resident (an image PTE):
 * made PAGE_READWRITE before its first touch, it still reads what the image file holds, and can
 * be written. The pagefile slots of the 2 MiB are all free again once they are released.
 * NEEDS-PAGEFILE
 * Expected: the lines below; "protect-paged: exit(0)".
 */
#include <ntapi.h>

#define BASE  0x10000000u
#define SIZE  (2u << 20)

static volatile ULONG Stored;
/* Read-only data far from anything else touched: its own pages of the image, never touched
 * before the protection change. */
static const ULONG Table[3 * 1024] __attribute__((aligned(4096))) = { 0xC0DE0001u, [2048] = 0xC0DE0002u };

static __attribute__((noinline)) void Store(volatile ULONG *Word, ULONG Value)
{
    *Word = Value;
    Stored++;
}

static ULONG ProtectionOf(PVOID Address)
{
    MEMORY_BASIC_INFORMATION Info;

    NtQueryVirtualMemory(NtCurrentProcess(), Address, MemoryBasicInformation, &Info,
                         sizeof(Info), NULL);
    return Info.Protect;
}

int main(void)
{
    PVOID Base = (PVOID)BASE, Page;
    SIZE_T Size = SIZE;
    volatile ULONG *Words = (volatile ULONG *)BASE;
    PV_MM_COUNTERS Counters;
    ULONG i, Old, Frame = 1;

    msg("begin");
    check_status(NtAllocateVirtualMemory(NtCurrentProcess(), &Base, 0, &Size,
                                         MEM_RESERVE | MEM_COMMIT, PAGE_READWRITE),
                 STATUS_SUCCESS, "commit 2 MiB at 0x%08X", BASE);
    for (i = 0; i < SIZE / 4096; i++)
        Store(&Words[i * 1024], 0x9A6E0000u + i);
    PvQueryPhysicalPage((PVOID)BASE, &Frame);
    PvQueryMmCounters(&Counters, sizeof(Counters));
    CHECK(Frame == 0 && Counters.PagefileSlotsInUse > 0, "the first page left memory");

    Page = (PVOID)BASE;
    Size = 0x1000;
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Page, &Size, PAGE_READONLY, &Old),
                 STATUS_SUCCESS, "make it PAGE_READONLY");
    CHECK(Old == PAGE_READWRITE && ProtectionOf((PVOID)BASE) == PAGE_READONLY,
          "it was PAGE_READWRITE, it is PAGE_READONLY");
    CHECK(Words[0] == 0x9A6E0000u, "it reads back what was written");
    check_status(NtQueryVirtualMemory(NtCurrentProcess(), (PVOID)BASE, MemoryBasicInformation,
                                      (PVOID)BASE, sizeof(MEMORY_BASIC_INFORMATION), NULL),
                 STATUS_ACCESS_VIOLATION, "the kernel cannot write into it");
    Page = (PVOID)BASE;
    Size = 0x1000;
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Page, &Size, PAGE_READWRITE, &Old),
                 STATUS_SUCCESS, "make it PAGE_READWRITE again");
    Words[0] = 0x12345678u;
    CHECK(Words[0] == 0x12345678u && Words[1024] == 0x9A6E0001u, "it takes a write");

    Page = (PVOID)&Table[2048];
    Size = 0x1000;
    PvQueryPhysicalPage(Page, &Frame);
    check_status(NtProtectVirtualMemory(NtCurrentProcess(), &Page, &Size, PAGE_READWRITE, &Old),
                 STATUS_SUCCESS, "make a page of read-only image data PAGE_READWRITE");
    CHECK(Frame == 0 && Old == PAGE_READONLY, "it was not in memory, and PAGE_READONLY");
    CHECK(((const volatile ULONG *)Table)[2048] == 0xC0DE0002u,
          "it reads what the image file holds");
    ((volatile ULONG *)Table)[2048] = 7;
    CHECK(((const volatile ULONG *)Table)[2048] == 7, "and takes a write");

    Size = 0;
    Base = (PVOID)BASE;
    check_status(NtFreeVirtualMemory(NtCurrentProcess(), &Base, &Size, MEM_RELEASE),
                 STATUS_SUCCESS, "release the 2 MiB");
    PvQueryMmCounters(&Counters, sizeof(Counters));
    CHECK(Counters.PagefileSlotsInUse < 8, "their pagefile slots are free");
    msg("end");
    return 0;
}
