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

/* ---------------------------------------------------------------------- NT native services */

/* Ends the process (ProcessHandle = NtCurrentProcess()) with ExitStatus; does not return then.
 * NULL ends the caller's other threads (there are none) and returns STATUS_SUCCESS. */
NTSTATUS NTAPI NtTerminateProcess(HANDLE ProcessHandle, NTSTATUS ExitStatus);

/* ---------------------------------------------------------------- pagevisor's own services */

/* Writes Length bytes of Text to the run's output (STDOUT). STATUS_ACCESS_VIOLATION if any
 * byte of the range is not readable user memory (nothing of it is printed then). */
NTSTATUS NTAPI PvDisplayString(const char *Text, ULONG Length);

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

/* ------------------------------------------------------------ Pintos-style test helpers */

/* The test's name in its output lines: the image name. */
#define test_name PvImageName

/* "(name) text" */
void msg(const char *Format, ...) __attribute__((format(printf, 1, 2)));
/* "(name) text: FAILED", then the process ends with exit status 1. */
void fail(const char *Format, ...) __attribute__((format(printf, 1, 2), noreturn));
/* msg the text, then fail with it if Success is false. */
#define CHECK(Success, ...)              \
    do                                   \
    {                                    \
        msg(__VA_ARGS__);                \
        if (!(Success))                  \
            fail(__VA_ARGS__);           \
    } while (0)

#endif /* PV_NTAPI_H */
