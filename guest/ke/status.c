/*
 * status.c - names of NTSTATUS values for the kernel's exit lines: shared/ntstatus.h's table,
 * then the exception statuses only the guest uses (ntstatusex.h).
 */
#include "ntstatusex.h"

PCSTR KiStatusName(NTSTATUS Status)
{
    static const struct pv_code_name Extra[] = {
        PV_NAME_ENTRY(STATUS_DATATYPE_MISALIGNMENT), PV_NAME_ENTRY(STATUS_BREAKPOINT),
        PV_NAME_ENTRY(STATUS_SINGLE_STEP), PV_NAME_ENTRY(STATUS_ARRAY_BOUNDS_EXCEEDED),
        PV_NAME_ENTRY(STATUS_FLOAT_INVALID_OPERATION), PV_NAME_ENTRY(STATUS_INTEGER_OVERFLOW),
        PV_NAME_ENTRY(STATUS_FLOAT_MULTIPLE_TRAPS),
    };
    PCSTR Name = pv_ntstatus_name((uint32_t)Status);
    ULONG i;

    if (Name != NULL)
        return Name;
    for (i = 0; i < RTL_NUMBER_OF(Extra); i++)
    {
        if (Extra[i].code == (uint32_t)Status)
            return Extra[i].name;
    }
    return NULL;
}
