/*
 * ntstatus.h - the NTSTATUS values and bug-check codes pagevisor uses, with their names.
 *
 * Shared so that the guest returns and reports the same numbers the host names in its
 * messages and trace records.
 */
#ifndef PV_NTSTATUS_H
#define PV_NTSTATUS_H

#include <stdint.h>

typedef int32_t NTSTATUS;

#define NT_SUCCESS(s)                    ((NTSTATUS)(s) >= 0)

#define STATUS_SUCCESS                   ((NTSTATUS)0x00000000)
#define STATUS_GUARD_PAGE_VIOLATION      ((NTSTATUS)0x80000001)
#define STATUS_UNSUCCESSFUL              ((NTSTATUS)0xC0000001)
#define STATUS_NOT_IMPLEMENTED           ((NTSTATUS)0xC0000002)
#define STATUS_INVALID_INFO_CLASS        ((NTSTATUS)0xC0000003)
#define STATUS_ACCESS_VIOLATION          ((NTSTATUS)0xC0000005)
#define STATUS_IN_PAGE_ERROR             ((NTSTATUS)0xC0000006)
#define STATUS_INVALID_HANDLE            ((NTSTATUS)0xC0000008)
#define STATUS_INVALID_PARAMETER         ((NTSTATUS)0xC000000D)
#define STATUS_INVALID_SYSTEM_SERVICE    ((NTSTATUS)0xC000001C)
#define STATUS_ILLEGAL_INSTRUCTION       ((NTSTATUS)0xC000001D)
#define STATUS_NO_MEMORY                 ((NTSTATUS)0xC0000017)
#define STATUS_CONFLICTING_ADDRESSES     ((NTSTATUS)0xC0000018)
#define STATUS_ALREADY_COMMITTED         ((NTSTATUS)0xC0000021)
#define STATUS_INVALID_IMAGE_FORMAT      ((NTSTATUS)0xC000007B)
#define STATUS_INSUFFICIENT_RESOURCES    ((NTSTATUS)0xC000009A)
#define STATUS_INTEGER_DIVIDE_BY_ZERO    ((NTSTATUS)0xC0000094)
#define STATUS_PRIVILEGED_INSTRUCTION    ((NTSTATUS)0xC0000096)
#define STATUS_STACK_OVERFLOW            ((NTSTATUS)0xC00000FD)
#define STATUS_COMMITMENT_LIMIT          ((NTSTATUS)0xC000012D)

/* Bug-check codes. */
#define IRQL_NOT_LESS_OR_EQUAL           0x0000000Au
#define MEMORY_MANAGEMENT                0x0000001Au
#define KMODE_EXCEPTION_NOT_HANDLED      0x0000001Eu
#define PFN_LIST_CORRUPT                 0x0000004Eu
#define PAGE_FAULT_IN_NONPAGED_AREA      0x00000050u
#define KERNEL_DATA_INPAGE_ERROR         0x0000007Au
#define UNEXPECTED_KERNEL_MODE_TRAP      0x0000007Fu
#define ATTEMPTED_WRITE_TO_READONLY_MEMORY 0x000000BEu
#define PHASE1_INITIALIZATION_FAILED     0x00000032u
/* pagevisor's own: a boot-time self-check of the memory manager failed (P1 = which check). */
#define PV_MM_SELF_CHECK_FAILED          0x0000E001u

#define PV_NAME_ENTRY(x) { (uint32_t)(x), #x }
struct pv_code_name { uint32_t code; const char *name; };

/* Name of a status or bug-check code, or NULL. Tables are static so both sides can use them. */
static inline const char *pv_ntstatus_name(uint32_t status)
{
    static const struct pv_code_name names[] = {
        PV_NAME_ENTRY(STATUS_SUCCESS), PV_NAME_ENTRY(STATUS_GUARD_PAGE_VIOLATION),
        PV_NAME_ENTRY(STATUS_UNSUCCESSFUL), PV_NAME_ENTRY(STATUS_NOT_IMPLEMENTED),
        PV_NAME_ENTRY(STATUS_INVALID_INFO_CLASS), PV_NAME_ENTRY(STATUS_ACCESS_VIOLATION),
        PV_NAME_ENTRY(STATUS_IN_PAGE_ERROR), PV_NAME_ENTRY(STATUS_INVALID_HANDLE),
        PV_NAME_ENTRY(STATUS_INVALID_PARAMETER), PV_NAME_ENTRY(STATUS_INVALID_SYSTEM_SERVICE),
        PV_NAME_ENTRY(STATUS_ILLEGAL_INSTRUCTION), PV_NAME_ENTRY(STATUS_NO_MEMORY),
        PV_NAME_ENTRY(STATUS_CONFLICTING_ADDRESSES), PV_NAME_ENTRY(STATUS_ALREADY_COMMITTED),
        PV_NAME_ENTRY(STATUS_INVALID_IMAGE_FORMAT), PV_NAME_ENTRY(STATUS_INSUFFICIENT_RESOURCES),
        PV_NAME_ENTRY(STATUS_INTEGER_DIVIDE_BY_ZERO), PV_NAME_ENTRY(STATUS_PRIVILEGED_INSTRUCTION),
        PV_NAME_ENTRY(STATUS_STACK_OVERFLOW), PV_NAME_ENTRY(STATUS_COMMITMENT_LIMIT),
    };
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == status)
            return names[i].name;
    return 0;
}

static inline const char *pv_bugcheck_name(uint32_t code)
{
    static const struct pv_code_name names[] = {
        PV_NAME_ENTRY(IRQL_NOT_LESS_OR_EQUAL), PV_NAME_ENTRY(MEMORY_MANAGEMENT),
        PV_NAME_ENTRY(KMODE_EXCEPTION_NOT_HANDLED), PV_NAME_ENTRY(PFN_LIST_CORRUPT),
        PV_NAME_ENTRY(PAGE_FAULT_IN_NONPAGED_AREA), PV_NAME_ENTRY(KERNEL_DATA_INPAGE_ERROR),
        PV_NAME_ENTRY(UNEXPECTED_KERNEL_MODE_TRAP), PV_NAME_ENTRY(ATTEMPTED_WRITE_TO_READONLY_MEMORY),
        PV_NAME_ENTRY(PHASE1_INITIALIZATION_FAILED), PV_NAME_ENTRY(PV_MM_SELF_CHECK_FAILED),
    };
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++)
        if (names[i].code == code)
            return names[i].name;
    return 0;
}

#endif /* PV_NTSTATUS_H */
