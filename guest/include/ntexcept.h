/*
 * ntexcept.h - exceptions as user mode sees them (NT's x86 layouts): EXCEPTION_RECORD, CONTEXT,
 * EXCEPTION_POINTERS, the ContextFlags and filter values, and the debug-object structures a
 * debugger reads (DBGUI_WAIT_STATE_CHANGE). Shared by the kernel (ke/except.c, dbgk/), the
 * system DLL (ntdll/) and, through ntapi.h, by test images.
 */
#ifndef PV_NTEXCEPT_H
#define PV_NTEXCEPT_H

#include "ntdef.h"

/* ------------------------------------------------------------------ exception records */

#define EXCEPTION_MAXIMUM_PARAMETERS 15
#define EXCEPTION_NONCONTINUABLE     0x01
#define EXCEPTION_NESTED_CALL        0x10

/* ExceptionInformation[0] of an access violation or in-page error. */
#define EXCEPTION_READ_FAULT         0
#define EXCEPTION_WRITE_FAULT        1
#define EXCEPTION_EXECUTE_FAULT      8

typedef struct _EXCEPTION_RECORD
{
    NTSTATUS ExceptionCode;
    ULONG ExceptionFlags;
    struct _EXCEPTION_RECORD *ExceptionRecord;   /* a chained record, or NULL */
    PVOID ExceptionAddress;
    ULONG NumberParameters;
    ULONG_PTR ExceptionInformation[EXCEPTION_MAXIMUM_PARAMETERS];
} EXCEPTION_RECORD, *PEXCEPTION_RECORD;
#if defined(__i386__)   /* the host's unit tests build these with 64-bit pointers */
_Static_assert(sizeof(EXCEPTION_RECORD) == 0x50, "EXCEPTION_RECORD is NT's 0x50 bytes");
#endif

/* ----------------------------------------------------------------------------- CONTEXT */

#define CONTEXT_i386               0x00010000
#define CONTEXT_CONTROL            (CONTEXT_i386 | 0x01)   /* EBP EIP CS EFLAGS ESP SS */
#define CONTEXT_INTEGER            (CONTEXT_i386 | 0x02)   /* EDI ESI EBX EDX ECX EAX */
#define CONTEXT_SEGMENTS           (CONTEXT_i386 | 0x04)   /* GS FS ES DS */
#define CONTEXT_FLOATING_POINT     (CONTEXT_i386 | 0x08)
#define CONTEXT_DEBUG_REGISTERS    (CONTEXT_i386 | 0x10)
#define CONTEXT_EXTENDED_REGISTERS (CONTEXT_i386 | 0x20)   /* the FXSAVE image */
#define CONTEXT_FULL               (CONTEXT_CONTROL | CONTEXT_INTEGER | CONTEXT_SEGMENTS)
#define CONTEXT_ALL                (CONTEXT_FULL | CONTEXT_FLOATING_POINT | \
                                    CONTEXT_DEBUG_REGISTERS | CONTEXT_EXTENDED_REGISTERS)

#define SIZE_OF_80387_REGISTERS      80
#define MAXIMUM_SUPPORTED_EXTENSION  512

typedef struct _FLOATING_SAVE_AREA
{
    ULONG ControlWord, StatusWord, TagWord, ErrorOffset, ErrorSelector, DataOffset,
          DataSelector;
    UCHAR RegisterArea[SIZE_OF_80387_REGISTERS];
    ULONG Cr0NpxState;
} FLOATING_SAVE_AREA;

typedef struct _CONTEXT
{
    ULONG ContextFlags;
    ULONG Dr0, Dr1, Dr2, Dr3, Dr6, Dr7;
    FLOATING_SAVE_AREA FloatSave;
    ULONG SegGs, SegFs, SegEs, SegDs;
    ULONG Edi, Esi, Ebx, Edx, Ecx, Eax;
    ULONG Ebp, Eip, SegCs, EFlags, Esp, SegSs;
    UCHAR ExtendedRegisters[MAXIMUM_SUPPORTED_EXTENSION];
} CONTEXT, *PCONTEXT;
_Static_assert(sizeof(CONTEXT) == 0x2CC, "CONTEXT is NT's 0x2CC bytes");
_Static_assert(__builtin_offsetof(CONTEXT, Eax) == 0xB0, "CONTEXT.Eax at 0xB0");
_Static_assert(__builtin_offsetof(CONTEXT, ExtendedRegisters) == 0xCC, "CONTEXT.Ext at 0xCC");

typedef struct _EXCEPTION_POINTERS
{
    PEXCEPTION_RECORD ExceptionRecord;
    PCONTEXT ContextRecord;
} EXCEPTION_POINTERS, *PEXCEPTION_POINTERS;

/* What a filter or vectored handler returns. */
#define EXCEPTION_EXECUTE_HANDLER     1
#define EXCEPTION_CONTINUE_SEARCH     0
#define EXCEPTION_CONTINUE_EXECUTION  (-1)

typedef LONG (NTAPI *PVECTORED_EXCEPTION_HANDLER)(PEXCEPTION_POINTERS);

/* ---------------------------------------------------------------------- debug objects */

#define DEBUG_OBJECT_WAIT_STATE_CHANGE   0x0001
#define DEBUG_OBJECT_ADD_REMOVE_PROCESS  0x0002
#define DEBUG_OBJECT_SET_INFORMATION     0x0004
#define DEBUG_OBJECT_ALL_ACCESS          0x001F000F
#define DBGK_KILL_PROCESS_ON_EXIT        0x1

/* Process and thread access rights the services check. */
#define PROCESS_TERMINATE          0x0001
#define PROCESS_VM_OPERATION       0x0008
#define PROCESS_VM_READ            0x0010
#define PROCESS_VM_WRITE           0x0020
#define PROCESS_QUERY_INFORMATION  0x0400
#define PROCESS_ALL_ACCESS         0x001F0FFF
#define THREAD_GET_CONTEXT         0x0008
#define THREAD_SET_CONTEXT         0x0010
#define THREAD_ALL_ACCESS          0x001F03FF

/* NtDebugContinue's ContinueStatus. */
#define DBG_EXCEPTION_HANDLED      ((NTSTATUS)0x00010001)
#define DBG_CONTINUE               ((NTSTATUS)0x00010002)
#define DBG_TERMINATE_THREAD       ((NTSTATUS)0x40010003)
#define DBG_TERMINATE_PROCESS      ((NTSTATUS)0x40010004)
#define DBG_EXCEPTION_NOT_HANDLED  ((NTSTATUS)0x80010001)

typedef enum _DBG_STATE
{
    DbgIdle = 0,
    DbgReplyPending = 1,
    DbgCreateThreadStateChange = 2,
    DbgCreateProcessStateChange = 3,
    DbgExitThreadStateChange = 4,
    DbgExitProcessStateChange = 5,
    DbgExceptionStateChange = 6,
    DbgBreakpointStateChange = 7,
    DbgSingleStepStateChange = 8,
    DbgLoadDllStateChange = 9,
    DbgUnloadDllStateChange = 10
} DBG_STATE;

typedef struct _CLIENT_ID
{
    HANDLE UniqueProcess;
    HANDLE UniqueThread;
} CLIENT_ID, *PCLIENT_ID;

typedef struct _DBGKM_EXCEPTION
{
    EXCEPTION_RECORD ExceptionRecord;
    ULONG FirstChance;
} DBGKM_EXCEPTION;

typedef struct _DBGKM_CREATE_PROCESS
{
    ULONG SubSystemKey;
    HANDLE FileHandle;
    PVOID BaseOfImage;
    ULONG DebugInfoFileOffset;
    ULONG DebugInfoSize;
    struct { ULONG SubSystemKey; PVOID StartAddress; } InitialThread;
} DBGKM_CREATE_PROCESS;

typedef struct _DBGUI_WAIT_STATE_CHANGE
{
    DBG_STATE NewState;
    CLIENT_ID AppClientId;
    union
    {
        DBGKM_EXCEPTION Exception;
        struct { HANDLE HandleToProcess; HANDLE HandleToThread; DBGKM_CREATE_PROCESS NewProcess; } CreateProcessInfo;
        struct { NTSTATUS ExitStatus; } ExitProcess;
    } StateInfo;
} DBGUI_WAIT_STATE_CHANGE, *PDBGUI_WAIT_STATE_CHANGE;
#if defined(__i386__)
_Static_assert(__builtin_offsetof(DBGUI_WAIT_STATE_CHANGE, StateInfo) == 0x0C,
               "StateInfo at +0x0C");
#endif

#endif /* PV_NTEXCEPT_H */
