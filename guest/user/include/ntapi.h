/*
 * ntapi.h - THE header test images include: NT basic types and NTSTATUS values, the NT native
 * API the kernel implements (with NT's names and signatures), pagevisor's own Pv* services,
 * and the small runtime every image is linked with (console printing, string routines, and
 * the Pintos-style test helpers msg/fail/CHECK).
 *
 * System calls: `int 0x2E` with EAX = service number, EDX = pointer to the arguments on the
 * user stack; NTSTATUS in EAX. Numbers are in guest/include/ntservices.h.
 */
#ifndef PV_NTAPI_H
#define PV_NTAPI_H

#include "../../include/ntdef.h"
#include "../../include/ntstatusex.h"
#include "../../include/ntmmapi.h"

/* ---------------------------------------------------------------------- NT native services */

/* Ends the process (ProcessHandle = NtCurrentProcess()) with ExitStatus; does not return then.
 * NULL ends the caller's other threads (there are none) and returns STATUS_SUCCESS. */
NTSTATUS NTAPI NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus);

/* Reserve and/or commit private memory (MEM_RESERVE on 64 KiB granularity, MEM_COMMIT inside
 * an existing allocation, both; *BaseAddress NULL lets the system pick, bottom-up or with
 * MEM_TOP_DOWN). On success *BaseAddress and *RegionSize are the pages reserved or committed.
 * Committed memory reads zero until written; it gets physical pages on first touch. */
NTSTATUS NTAPI NtAllocateVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
                                       ULONG_PTR ZeroBits, PSIZE_T RegionSize,
                                       ULONG AllocationType, ULONG Protect);
/* MEM_DECOMMIT or MEM_RELEASE (size 0: the whole allocation, *BaseAddress its base). */
NTSTATUS NTAPI NtFreeVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
                                   PSIZE_T RegionSize, ULONG FreeType);
/* New protection for committed pages of one allocation; the first page's old one back. */
NTSTATUS NTAPI NtProtectVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
                                      PSIZE_T NumberOfBytesToProtect, ULONG NewAccessProtection,
                                      PULONG OldAccessProtection);
/* MemoryBasicInformation of the region holding BaseAddress. */
NTSTATUS NTAPI NtQueryVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress,
                                    MEMORY_INFORMATION_CLASS MemoryInformationClass,
                                    PVOID MemoryInformation, SIZE_T MemoryInformationLength,
                                    PSIZE_T ReturnLength);

/* A pagefile-backed section (FileHandle NULL, AllocationAttributes SEC_COMMIT) of
 * *MaximumSize bytes (a 64-bit size, rounded up to pages), charged against the commit limit
 * at once; ObjectAttributes is ignored for now. *SectionHandle gets the handle. */
NTSTATUS NTAPI NtCreateSection(PHANDLE SectionHandle, ULONG DesiredAccess,
                               PVOID ObjectAttributes, PULONGLONG MaximumSize,
                               ULONG SectionPageProtection, ULONG AllocationAttributes,
                               HANDLE FileHandle);
/* A view of the section in the current process: *BaseAddress NULL picks a free address
 * (MEM_TOP_DOWN: the highest), else 64 KiB aligned; SectionOffset (NULL: 0) a multiple of
 * 64 KiB; *ViewSize 0: to the end. Views of one section share its pages. */
NTSTATUS NTAPI NtMapViewOfSection(HANDLE SectionHandle, HANDLE ProcessHandle, PVOID *BaseAddress,
                                  ULONG_PTR ZeroBits, SIZE_T CommitSize,
                                  PULONGLONG SectionOffset, PSIZE_T ViewSize,
                                  ULONG InheritDisposition, ULONG AllocationType,
                                  ULONG Win32Protect);
/* The view holding BaseAddress goes (STATUS_NOT_MAPPED_VIEW if none does). */
NTSTATUS NTAPI NtUnmapViewOfSection(HANDLE ProcessHandle, PVOID BaseAddress);
/* A handle goes; a section lives until its last handle and its last view are gone. */
NTSTATUS NTAPI NtClose(HANDLE Handle);

/* ---------------------------------------------------------------- pagevisor's own services */

/* Writes Length bytes of Text to the run's output (STDOUT). STATUS_ACCESS_VIOLATION if any
 * byte of the range is not readable user memory (nothing of it is printed then);
 * STATUS_GUARD_PAGE_VIOLATION (once) if it runs into a guard page. */
NTSTATUS NTAPI PvDisplayString(const char *Text, ULONG Length);

/* The memory manager's counters (Length = sizeof(PV_MM_COUNTERS)). */
NTSTATUS NTAPI PvQueryMmCounters(PPV_MM_COUNTERS Counters, ULONG Length);

/* The physical frame mapped at a user address, 0 when none is (never touched, decommitted,
 * guard or no access). Touches nothing. */
NTSTATUS NTAPI PvQueryPhysicalPage(PVOID VirtualAddress, PULONG PageFrameNumber);

/* The calling process's working-set limits, in pages: Minimum <= Maximum, 16 <= Maximum <=
 * the largest the system allows (STATUS_INVALID_PARAMETER_1/_2 otherwise). A working set above
 * the new maximum loses its oldest pages at once; at the maximum, each new page pushes the
 * oldest one out (FIFO). (0xFFFFFFFF, 0xFFFFFFFF) keeps the limits and empties the working
 * set instead. */
NTSTATUS NTAPI PvSetWorkingSetLimits(ULONG MinimumPages, ULONG MaximumPages);

/* Reads what the user typed (or piped) into pagevisor's standard input: waits until at least
 * one byte is there, then returns up to Length bytes of what is available (*BytesRead says
 * how many). STATUS_END_OF_FILE (with *BytesRead 0) once the input has ended and nothing of
 * it is left; a Length of 0 returns at once. STATUS_ACCESS_VIOLATION for a buffer or BytesRead
 * outside user memory, or a buffer that cannot be written: bytes that could not be delivered
 * are kept for the next call. On a terminal keys arrive one by one, without echo; Ctrl-D ends
 * the input. Without pagevisor (another Multiboot loader) the input is always at its end. */
NTSTATUS NTAPI PvReadConsole(PVOID Buffer, ULONG Length, PULONG BytesRead);

/* ------------------------------------------------------------------------ runtime (libntuser) */

/* The image name (argv[0]), set by crt0 before main. */
extern const char *PvImageName;

/* printf to STDOUT through PvDisplayString (one call per PvPrint). */
ULONG PvPrint(const char *Format, ...) __attribute__((format(printf, 1, 2)));
ULONG RtlFormatString(char *Buffer, ULONG Size, const char *Format, ...)
    __attribute__((format(printf, 3, 4)));

void *memcpy(void *Destination, const void *Source, size_t Length);
void *memmove(void *Destination, const void *Source, size_t Length);
void *memset(void *Destination, int Fill, size_t Length);
int memcmp(const void *A, const void *B, size_t Length);
size_t strlen(const char *String);
int strcmp(const char *A, const char *B);
int strncmp(const char *A, const char *B, size_t Length);

/* ---------------------------------------------------------- algorithms the Pintos tests use */

/* ARC4 (RC4) keystream cipher: key schedule, then XOR of the keystream into Buffer. */
struct arc4
{
    unsigned char S[256];
    unsigned char i, j;
};
void arc4_init(struct arc4 *State, const void *Key, size_t KeyLength);
void arc4_crypt(struct arc4 *State, void *Buffer, size_t Length);

/* POSIX cksum: CRC-32 (polynomial 0x04C11DB7, most significant bit first) of the bytes, then
 * of the length in bytes (least significant byte first, no trailing zeros), complemented. */
unsigned long cksum(const void *Buffer, size_t Length);

/* ------------------------------------------------------------ Pintos-style test helpers */

/* The test's name in its output lines: the image name. */
#define test_name PvImageName

/* "(name) text" */
void msg(const char *Format, ...) __attribute__((format(printf, 1, 2)));
/* "(name) text: FAILED", then the process ends with exit status 1. */
void fail(const char *Format, ...) __attribute__((format(printf, 1, 2), noreturn));
/* "(name) text: 0xSTATUS" if Status is Expected, else fail saying what was expected. */
void check_status(NTSTATUS Status, NTSTATUS Expected, const char *Format, ...)
    __attribute__((format(printf, 3, 4)));
/* msg the text, then fail with it if Success is false. */
#define CHECK(Success, ...)              \
    do                                   \
    {                                    \
        msg(__VA_ARGS__);                \
        if (!(Success))                  \
            fail(__VA_ARGS__);           \
    } while (0)

#endif /* PV_NTAPI_H */
