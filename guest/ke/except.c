/*
 * except.c - exceptions dispatched to user mode. (Being written: not implemented yet.)
 */
#include "ke.h"
#include "dbgk.h"

NTSTATUS NtContinue(PCONTEXT Context, BOOLEAN TestAlert)
{
    (void)Context; (void)TestAlert;
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NtRaiseException(PEXCEPTION_RECORD ExceptionRecord, PCONTEXT Context,
                          BOOLEAN FirstChance)
{
    (void)ExceptionRecord; (void)Context; (void)FirstChance;
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NtGetContextThread(HANDLE ThreadHandle, PCONTEXT Context)
{
    (void)ThreadHandle; (void)Context;
    return STATUS_NOT_IMPLEMENTED;
}

NTSTATUS NtSetContextThread(HANDLE ThreadHandle, PCONTEXT Context)
{
    (void)ThreadHandle; (void)Context;
    return STATUS_NOT_IMPLEMENTED;
}
