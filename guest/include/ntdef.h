/*
 * ntdef.h - the basic NT types (ULONG, PVOID, BOOLEAN, HANDLE, ...) that the guest kernel and
 * its user runtime are written in. Plain typedefs over <stdint.h>; no pointers to kernel state.
 */
#ifndef PV_NTDEF_H
#define PV_NTDEF_H

#include <stdint.h>
#include <stddef.h>
#include <stdarg.h>
#include "ntstatus.h"

typedef void VOID, *PVOID;
typedef const void *PCVOID;
typedef char CHAR, *PCHAR;
typedef const char *PCSTR;
typedef uint8_t UCHAR, *PUCHAR;
typedef uint16_t USHORT, *PUSHORT;
typedef int32_t LONG, *PLONG;
typedef uint32_t ULONG, *PULONG;
typedef uint64_t ULONGLONG;
typedef ULONGLONG *PULONGLONG;
typedef int64_t LONGLONG, *PLONGLONG;
typedef LONGLONG LARGE_INTEGER, *PLARGE_INTEGER;   /* the QuadPart is all that is used */
typedef uint16_t WCHAR, *PWCHAR;
typedef const WCHAR *PCWSTR;
typedef intptr_t LONG_PTR;
typedef uintptr_t ULONG_PTR, *PULONG_PTR;
typedef size_t SIZE_T, *PSIZE_T;
typedef UCHAR BOOLEAN;
typedef PVOID HANDLE;
typedef HANDLE *PHANDLE;
typedef ULONG PFN_NUMBER, *PPFN_NUMBER;

#define TRUE  1
#define FALSE 0

#if defined(__i386__)
#define NTAPI              __attribute__((stdcall))
#else
#define NTAPI              /* the host's unit tests: stdcall is i386's */
#endif
#define DECLSPEC_NORETURN  __attribute__((noreturn))
#define FORCEINLINE        static inline __attribute__((always_inline))
#define UNREFERENCED_PARAMETER(P) ((void)(P))
#define RTL_NUMBER_OF(A)   (sizeof(A) / sizeof((A)[0]))
#define ALIGN_DOWN_BY(X, A) ((ULONG_PTR)(X) & ~((ULONG_PTR)(A) - 1))
#define ALIGN_UP_BY(X, A)   ALIGN_DOWN_BY((ULONG_PTR)(X) + (A) - 1, (A))

/* The pseudo-handle for the calling process. */
#define NtCurrentProcess() ((HANDLE)(LONG_PTR)-1)
#define NtCurrentThread()  ((HANDLE)(LONG_PTR)-2)

typedef enum _KPROCESSOR_MODE { KernelMode = 0, UserMode = 1 } KPROCESSOR_MODE;

#endif /* PV_NTDEF_H */
