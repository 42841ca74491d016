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
#include "../../include/ntobapi.h"
#include "../../include/ntpsapi.h"
#include "../../include/ntioapi.h"
#include "../../include/ntexcept.h"

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
/* Address Windowing Extensions (guest/mm/physical.c), for the calling process only
 * (NtCurrentProcess(); another handle: STATUS_NOT_SUPPORTED). Allocate up to *NumberOfPages
 * zeroed physical frames, locked and never paged, their frame numbers into UserPfnArray
 * (*NumberOfPages: how many, fewer when memory is short; none: STATUS_INSUFFICIENT_RESOURCES);
 * free frames (every one the caller's, STATUS_CONFLICTING_ADDRESSES otherwise, none twice:
 * STATUS_INVALID_PARAMETER_3; mapped ones are unmapped); map frame UserPfnArray[i] at
 * VirtualAddress + i pages, or at VirtualAddresses[i] (a NULL array, or a 0 entry, unmaps),
 * inside a window reserved with MEM_RESERVE | MEM_PHYSICAL and PAGE_READWRITE
 * (STATUS_INVALID_PARAMETER_1 outside one). A frame is mapped at one address at most
 * (STATUS_INVALID_PARAMETER_3). A failed call changes nothing. */
NTSTATUS NTAPI NtAllocateUserPhysicalPages(HANDLE ProcessHandle, PULONG_PTR NumberOfPages,
                                           PULONG_PTR UserPfnArray);
NTSTATUS NTAPI NtFreeUserPhysicalPages(HANDLE ProcessHandle, PULONG_PTR NumberOfPages,
                                       PULONG_PTR UserPfnArray);
NTSTATUS NTAPI NtMapUserPhysicalPages(PVOID VirtualAddress, ULONG_PTR NumberOfPages,
                                      PULONG_PTR UserPfnArray);
NTSTATUS NTAPI NtMapUserPhysicalPagesScatter(PVOID *VirtualAddresses, ULONG_PTR NumberOfPages,
                                             PULONG_PTR UserPfnArray);
/* The large-page size (GetLargePageMinimum): 4 MiB. NtAllocateVirtualMemory with
 * MEM_LARGE_PAGES | MEM_RESERVE | MEM_COMMIT and PAGE_READWRITE maps whole large pages (size and
 * any base multiples of it; STATUS_INVALID_PARAMETER_4 / _2 otherwise, _5 without MEM_COMMIT):
 * physically contiguous, zeroed, never paged; STATUS_INSUFFICIENT_RESOURCES when no aligned run
 * of frames can be cleared for them (then nothing moved). Released whole (MEM_RELEASE). */
NTSTATUS NTAPI PvGetLargePageMinimum(PSIZE_T Minimum);
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
/* A handle goes (any object); a section lives until its last handle and its last view are
 * gone, a process object until its last handle is closed and it has ended. */
NTSTATUS NTAPI NtClose(HANDLE Handle);

/* Names: NT's OBJECT_ATTRIBUTES with a UNICODE_STRING (UTF-16: write names as u"...";
 * ntobapi.h). All names share one namespace (as if in \BaseNamedObjects); up to 64
 * characters. */

/* NT's InitializeObjectAttributes and RtlInitUnicodeString (user runtime). */
void RtlInitUnicodeString(PUNICODE_STRING String, const WCHAR *Source);
#define InitializeObjectAttributes(p, n, a, r, s)      \
    do                                                 \
    {                                                  \
        (p)->Length = sizeof(OBJECT_ATTRIBUTES);       \
        (p)->RootDirectory = (r);                      \
        (p)->ObjectName = (n);                         \
        (p)->Attributes = (a);                         \
        (p)->SecurityDescriptor = (s);                 \
        (p)->SecurityQualityOfService = NULL;          \
    } while (0)

/* Opens the named section another process created (STATUS_OBJECT_NAME_NOT_FOUND if none). */
NTSTATUS NTAPI NtOpenSection(PHANDLE SectionHandle, ULONG DesiredAccess,
                             POBJECT_ATTRIBUTES ObjectAttributes);

/* Files of the volume C: (pagevisor run --volume HOSTDIR), named "\??\C:\NAME" (NAME up to
 * 57 characters, '\' between directories). I/O is synchronous; ByteOffset NULL means the
 * file's current position. A section on a file handle (NtCreateSection's last argument) pages
 * its views in from the file and writes dirty pages back to it (never to the pagefile);
 * NtFlushVirtualMemory writes a view's dirty pages now. NtReadFile and NtWriteFile go to the
 * file itself: they see a mapped view's writes once those are flushed (no cache manager). */
NTSTATUS NTAPI NtCreateFile(PHANDLE FileHandle, ULONG DesiredAccess,
                            POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
                            PLARGE_INTEGER AllocationSize, ULONG FileAttributes,
                            ULONG ShareAccess, ULONG CreateDisposition, ULONG CreateOptions,
                            PVOID EaBuffer, ULONG EaLength);
NTSTATUS NTAPI NtOpenFile(PHANDLE FileHandle, ULONG DesiredAccess,
                          POBJECT_ATTRIBUTES ObjectAttributes, PIO_STATUS_BLOCK IoStatusBlock,
                          ULONG ShareAccess, ULONG OpenOptions);
NTSTATUS NTAPI NtReadFile(HANDLE FileHandle, HANDLE Event, PVOID ApcRoutine, PVOID ApcContext,
                          PIO_STATUS_BLOCK IoStatusBlock, PVOID Buffer, ULONG Length,
                          PLARGE_INTEGER ByteOffset, PULONG Key);
NTSTATUS NTAPI NtWriteFile(HANDLE FileHandle, HANDLE Event, PVOID ApcRoutine, PVOID ApcContext,
                           PIO_STATUS_BLOCK IoStatusBlock, const void *Buffer, ULONG Length,
                           PLARGE_INTEGER ByteOffset, PULONG Key);
NTSTATUS NTAPI NtQueryInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                                      PVOID FileInformation, ULONG Length,
                                      ULONG FileInformationClass);
NTSTATUS NTAPI NtSetInformationFile(HANDLE FileHandle, PIO_STATUS_BLOCK IoStatusBlock,
                                    PVOID FileInformation, ULONG Length,
                                    ULONG FileInformationClass);
NTSTATUS NTAPI NtFlushVirtualMemory(HANDLE ProcessHandle, PVOID *BaseAddress,
                                    PSIZE_T RegionSize, PIO_STATUS_BLOCK IoStatusBlock);

/* Processes. NtCreateProcess only clones the caller (ParentProcess NtCurrentProcess(),
 * SectionHandle NULL): the child resumes where the caller is, NtCreateProcess returning
 * STATUS_PROCESS_CLONED there; its address space is a copy-on-write copy of the parent's;
 * InheritObjectTable copies the handles. The parent gets STATUS_SUCCESS and a handle. */
NTSTATUS NTAPI NtCreateProcess(PHANDLE ProcessHandle, ULONG DesiredAccess,
                               POBJECT_ATTRIBUTES ObjectAttributes, HANDLE ParentProcess,
                               BOOLEAN InheritObjectTable, HANDLE SectionHandle,
                               HANDLE DebugPort, HANDLE ExceptionPort);

/* ProcessBasicInformation: PROCESS_BASIC_INFORMATION (ntpsapi.h), ExitStatus STILL_ACTIVE
 * while the process runs. */
NTSTATUS NTAPI NtQueryInformationProcess(HANDLE ProcessHandle, ULONG ProcessInformationClass,
                                         PVOID ProcessInformation, ULONG Length,
                                         PULONG ReturnLength);

/* Waits for a process (its end), a semaphore (takes one), an event. Timeout NULL: forever;
 * else 100 ns units, negative = from now (STATUS_TIMEOUT when it passes; 0 only tests). */
NTSTATUS NTAPI NtWaitForSingleObject(HANDLE Handle, BOOLEAN Alertable, PLARGE_INTEGER Timeout);
NTSTATUS NTAPI NtDelayExecution(BOOLEAN Alertable, PLARGE_INTEGER DelayInterval);
NTSTATUS NTAPI NtYieldExecution(void);

/* Semaphores: InitialCount <= MaximumCount; NtReleaseSemaphore beyond the maximum is
 * STATUS_SEMAPHORE_LIMIT_EXCEEDED. A name in use: STATUS_OBJECT_NAME_COLLISION, or with
 * OBJ_OPENIF the existing one (STATUS_OBJECT_NAME_EXISTS). */
NTSTATUS NTAPI NtCreateSemaphore(PHANDLE SemaphoreHandle, ULONG DesiredAccess,
                                 POBJECT_ATTRIBUTES ObjectAttributes, LONG InitialCount,
                                 LONG MaximumCount);
NTSTATUS NTAPI NtOpenSemaphore(PHANDLE SemaphoreHandle, ULONG DesiredAccess,
                               POBJECT_ATTRIBUTES ObjectAttributes);
NTSTATUS NTAPI NtReleaseSemaphore(HANDLE SemaphoreHandle, LONG ReleaseCount,
                                  PLONG PreviousCount);

/* Events: NotificationEvent (stays set, wakes every waiter) or SynchronizationEvent (wakes
 * one, which takes the signal). */
#define NotificationEvent    0
#define SynchronizationEvent 1
NTSTATUS NTAPI NtCreateEvent(PHANDLE EventHandle, ULONG DesiredAccess,
                             POBJECT_ATTRIBUTES ObjectAttributes, ULONG EventType,
                             BOOLEAN InitialState);
NTSTATUS NTAPI NtOpenEvent(PHANDLE EventHandle, ULONG DesiredAccess,
                           POBJECT_ATTRIBUTES ObjectAttributes);
NTSTATUS NTAPI NtSetEvent(HANDLE EventHandle, PLONG PreviousState);
NTSTATUS NTAPI NtResetEvent(HANDLE EventHandle, PLONG PreviousState);

/* Exceptions (guest/include/ntexcept.h has the structures). NtContinue resumes the thread with
 * Context (sanitized: user selectors, no IOPL, interrupts on); NtRaiseException dispatches
 * Record with Context: FirstChance TRUE as a new exception (a debugger, then the vectored
 * handlers), FALSE as one no handler took (a debugger's second chance, else the process ends
 * with its code and today's crash report). Neither returns on success. */
NTSTATUS NTAPI NtContinue(PCONTEXT Context, BOOLEAN TestAlert);
NTSTATUS NTAPI NtRaiseException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT Context,
                                BOOLEAN FirstChance);
/* The registers of a thread (NtCurrentThread() or a thread handle from PvCreateProcessEx; a
 * child's only while it is stopped at a debug event), as Context->ContextFlags asks; Set goes
 * through NtContinue's sanitizing. */
NTSTATUS NTAPI NtGetContextThread(HANDLE ThreadHandle, PCONTEXT Context);
NTSTATUS NTAPI NtSetContextThread(HANDLE ThreadHandle, PCONTEXT Context);
/* Vectored exception handlers (in the system DLL): First nonzero puts Handler first. Called in
 * order with the EXCEPTION_POINTERS; EXCEPTION_CONTINUE_EXECUTION resumes with the (possibly
 * changed) context, EXCEPTION_CONTINUE_SEARCH asks the next one. NULL when 16 are in use. */
PVOID NTAPI RtlAddVectoredExceptionHandler(ULONG First, PVECTORED_EXCEPTION_HANDLER Handler);
ULONG NTAPI RtlRemoveVectoredExceptionHandler(PVOID Handle);

/* Another process's memory (a child's, through its handle, or NtCurrentProcess()): copies
 * BufferSize bytes; *NumberOfBytes (optional) says how many were copied. STATUS_PARTIAL_COPY
 * when only part could be, STATUS_ACCESS_VIOLATION when none. Rights: PROCESS_VM_READ,
 * PROCESS_VM_WRITE. NtFlushInstructionCache (PROCESS_VM_WRITE) after writing code. */
NTSTATUS NTAPI NtReadVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, PVOID Buffer,
                                   SIZE_T BufferSize, PSIZE_T NumberOfBytesRead);
NTSTATUS NTAPI NtWriteVirtualMemory(HANDLE ProcessHandle, PVOID BaseAddress, const void *Buffer,
                                    SIZE_T BufferSize, PSIZE_T NumberOfBytesWritten);
NTSTATUS NTAPI NtFlushInstructionCache(HANDLE ProcessHandle, PVOID BaseAddress, SIZE_T Length);

/* Debug objects: a debugger receives its debugged children's events (process start,
 * exceptions, exit) with NtWaitForDebugEvent; each stops the child until NtDebugContinue
 * (DBG_CONTINUE: resume, retrying a faulting instruction; DBG_EXCEPTION_NOT_HANDLED: on to the
 * child's own handlers, then its end). Flags: DBGK_KILL_PROCESS_ON_EXIT. */
NTSTATUS NTAPI NtCreateDebugObject(PHANDLE DebugObjectHandle, ULONG DesiredAccess,
                                   PVOID ObjectAttributes, ULONG Flags);
NTSTATUS NTAPI NtWaitForDebugEvent(HANDLE DebugObjectHandle, BOOLEAN Alertable,
                                   PLARGE_INTEGER Timeout, PDBGUI_WAIT_STATE_CHANGE StateChange);
NTSTATUS NTAPI NtDebugContinue(HANDLE DebugObjectHandle, PCLIENT_ID ClientId,
                               NTSTATUS ContinueStatus);
/* Attaches a running child to a debug object (not the caller itself). */
NTSTATUS NTAPI NtDebugActiveProcess(HANDLE ProcessHandle, HANDLE DebugObjectHandle);

/* ---------------------------------------------------------------- pagevisor's own services */

/* Writes Length bytes of Text to the run's output (STDOUT). STATUS_ACCESS_VIOLATION if any
 * byte of the range is not readable user memory (nothing of it is printed then);
 * STATUS_GUARD_PAGE_VIOLATION (once) if it runs into a guard page. */
NTSTATUS NTAPI PvDisplayString(const char *Text, ULONG Length);

/* Asks pagevisor to look at the guest now: it prints the snapshot `run --inspect` names
 * (by default !vm 1, !memusage and !process 0 0), headed by this process and Label (its first
 * 64 bytes), and the process goes on. STATUS_NOT_SUPPORTED without pagevisor;
 * STATUS_ACCESS_VIOLATION for a Label that cannot be read. */
NTSTATUS NTAPI PvDebugBreak(const char *Label, ULONG Length);

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

/* A new process (the caller's child) for a boot module named by its image name (the file name
 * without ".elf", as argv[0] shows it; `pagevisor run --child FILE` loads one without
 * starting it), Arguments its command line after the name (NULL: none). A process handle
 * back; STATUS_OBJECT_NAME_NOT_FOUND for an unknown image. */
NTSTATUS NTAPI PvCreateProcess(const char *ImageName, const char *Arguments,
                               PHANDLE ProcessHandle);
/* PvCreateProcess with a debug object (NULL: none; it needs DEBUG_OBJECT_ADD_REMOVE_PROCESS)
 * and a thread handle (optional) back: the child's first event is its creation, before it
 * runs any instruction. */
NTSTATUS NTAPI PvCreateProcessEx(const char *ImageName, const char *Arguments,
                                 HANDLE DebugObjectHandle, PHANDLE ProcessHandle,
                                 PHANDLE ThreadHandle);
/* Reads what the user typed (or piped) into pagevisor's standard input: waits until at least
 * one byte is there, then returns up to Length bytes of what is available (*BytesRead says
 * how many). STATUS_END_OF_FILE (with *BytesRead 0) once the input has ended and nothing of
 * it is left; a Length of 0 returns at once. STATUS_ACCESS_VIOLATION for a buffer or BytesRead
 * outside user memory, or a buffer that cannot be written: bytes that could not be delivered
 * are kept for the next call. On a terminal keys arrive one by one, without echo; Ctrl-D ends
 * the input. Without pagevisor (another Multiboot loader) the input is always at its end. */
NTSTATUS NTAPI PvReadConsole(PVOID Buffer, ULONG Length, PULONG BytesRead);
/* DEBUGGING AID: recurse Depth frames of 256 bytes in the kernel, on the caller's 12 KiB kernel
 * stack; with PV_RECURSE_EXPAND each frame first asks KeExpandKernelStackAndCallout for room,
 * so the recursion goes on on extension stacks. Result[0] a checksum of the frames, [1] the
 * extensions made, [2] the lowest kernel ESP reached. Without PV_RECURSE_EXPAND a deep one
 * runs into the stack's guard page: bug check 0x7F UNEXPECTED_KERNEL_MODE_TRAP (8, ...).
 * STATUS_INVALID_PARAMETER for unknown flags or Depth above PV_RECURSE_MAX_DEPTH. */
NTSTATUS NTAPI PvDebugRecurseInKernel(ULONG Depth, ULONG Flags, PULONG Result);
/* DEBUGGING AID (kernel option pv.debugclone, else STATUS_NOT_IMPLEMENTED): clone the caller's
 * address space into a child that never runs, and read or write the child's memory, or delete
 * it (PV_DEBUG_CLONE_*; guest/ke/forktest.c). */
NTSTATUS NTAPI PvDebugCloneProcess(ULONG Operation, PVOID ChildAddress, PVOID Buffer,
                                   ULONG Length);

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
