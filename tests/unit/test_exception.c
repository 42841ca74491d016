/*
 * test_exception.c - the marshalling behind user-mode exceptions, on the host
 * (guest/ke/context.c): a trap frame into a CONTEXT and back, what a CONTEXT from user mode
 * can and cannot change (ring-0 selectors, IOPL, VM, NT, IF off: always a ring-3 frame; foreign
 * ContextFlags refused with nothing changed), NT's EXCEPTION_RECORD for each kind of fault,
 * MXCSR bits the processor lacks dropped, and the frame NT puts on the user stack.
 */
#include "../../guest/ke/context.c"

#include <stdlib.h>
#include <string.h>

#include "unit.h"

static KTRAP_FRAME user_frame(void)
{
    KTRAP_FRAME f;

    memset(&f, 0, sizeof(f));
    f.SegGs = f.SegFs = f.SegEs = f.SegDs = 0x23;
    f.Edi = 1; f.Esi = 2; f.Ebp = 3; f.Ebx = 4; f.Edx = 5; f.Ecx = 6; f.Eax = 7;
    f.TrapNumber = 14; f.ErrCode = 6;
    f.Eip = 0x00401234; f.SegCs = 0x1B; f.EFlags = 0x246;
    f.HardwareEsp = 0x7FFDFF00; f.HardwareSegSs = 0x23;
    return f;
}

static void test_frame_to_context(void)
{
    KTRAP_FRAME f = user_frame();
    CONTEXT c;

    memset(&c, 0xAA, sizeof(c));
    c.ContextFlags = CONTEXT_FULL | CONTEXT_DEBUG_REGISTERS;
    KiTrapFrameToContext(&f, &c);
    CU_ASSERT_EQUAL(c.Eip, 0x00401234);
    CU_ASSERT_EQUAL(c.Esp, 0x7FFDFF00);
    CU_ASSERT_EQUAL(c.Eax, 7);
    CU_ASSERT_EQUAL(c.Edi, 1);
    CU_ASSERT_EQUAL(c.Ebp, 3);
    CU_ASSERT_EQUAL(c.SegCs, 0x1B);
    CU_ASSERT_EQUAL(c.SegSs, 0x23);
    CU_ASSERT_EQUAL(c.SegFs, 0x23);
    CU_ASSERT_EQUAL(c.EFlags, 0x246);
    CU_ASSERT_EQUAL(c.Dr7, 0);
    /* Parts not asked for are left alone. */
    memset(&c, 0xAA, sizeof(c));
    c.ContextFlags = CONTEXT_CONTROL;
    KiTrapFrameToContext(&f, &c);
    CU_ASSERT_EQUAL(c.Eip, 0x00401234);
    CU_ASSERT_EQUAL(c.Eax, 0xAAAAAAAAu);
    CU_ASSERT_EQUAL(c.SegDs, 0xAAAAAAAAu);
}

static void test_context_round_trip(void)
{
    KTRAP_FRAME f = user_frame(), g;
    CONTEXT c;

    c.ContextFlags = CONTEXT_FULL;
    KiTrapFrameToContext(&f, &c);
    memset(&g, 0, sizeof(g));
    g.TrapNumber = 0x2E;
    CU_ASSERT_EQUAL(KiContextToTrapFrame(&c, &g), STATUS_SUCCESS);
    g.TrapNumber = f.TrapNumber;
    g.ErrCode = f.ErrCode;
    g.PushadEsp = f.PushadEsp;
    CU_ASSERT_EQUAL(memcmp(&f, &g, sizeof(f)), 0);
}

static void test_hostile_context(void)
{
    KTRAP_FRAME f = user_frame();
    CONTEXT c;

    c.ContextFlags = CONTEXT_FULL;
    KiTrapFrameToContext(&f, &c);
    c.SegCs = 0x08;                 /* ring-0 code */
    c.SegSs = 0x10;
    c.SegDs = c.SegEs = 0x10;
    c.SegFs = 0x28;                 /* the TSS */
    c.SegGs = 0;
    c.EFlags = 0x3000 | 0x20000 | 0x4000 | 0x80000 | 0x100000 | 0x1;   /* IOPL 3 VM NT VIF VIP CF */
    c.Eip = 0x80100000;
    c.Esp = 0x10;
    CU_ASSERT_EQUAL(KiContextToTrapFrame(&c, &f), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(f.SegCs, 0x1B);
    CU_ASSERT_EQUAL(f.HardwareSegSs, 0x23);
    CU_ASSERT_EQUAL(f.SegDs, 0x23);
    CU_ASSERT_EQUAL(f.SegEs, 0x23);
    CU_ASSERT_EQUAL(f.SegFs, 0x23);
    CU_ASSERT_EQUAL(f.SegGs, 0);
    CU_ASSERT_EQUAL(f.EFlags, 0x200 | 0x2 | 0x1);   /* IF on, IOPL 0, no VM/NT/VIF/VIP */
    /* A kernel EIP or a bad ESP is only a fault in ring 3: kept, never a ring-0 frame. */
    CU_ASSERT_EQUAL(f.Eip, 0x80100000);
    CU_ASSERT_EQUAL(f.HardwareEsp, 0x10);
    CU_ASSERT_TRUE(KiUserTrap(&f));
    /* TF, DF, OF, AC and ID are the thread's to set. */
    CU_ASSERT_EQUAL(KiSanitizeUserEFlags(0x100 | 0x400 | 0x800 | 0x40000 | 0x200000),
                    0x100 | 0x400 | 0x800 | 0x40000 | 0x200000 | 0x202);
}

static void test_foreign_flags_refused(void)
{
    KTRAP_FRAME f = user_frame(), before = f;
    CONTEXT c;

    memset(&c, 0, sizeof(c));
    c.ContextFlags = 0x7;           /* no CONTEXT_i386 */
    CU_ASSERT_EQUAL(KiContextToTrapFrame(&c, &f), STATUS_INVALID_PARAMETER);
    c.ContextFlags = CONTEXT_FULL | 0x100;
    CU_ASSERT_EQUAL(KiContextToTrapFrame(&c, &f), STATUS_INVALID_PARAMETER);
    CU_ASSERT_EQUAL(memcmp(&f, &before, sizeof(f)), 0);
    /* Only the integer registers: control and segments stay. */
    c.ContextFlags = CONTEXT_INTEGER;
    c.Eax = 0x55;
    c.Eip = 0x12345678;
    c.SegCs = 0x08;
    CU_ASSERT_EQUAL(KiContextToTrapFrame(&c, &f), STATUS_SUCCESS);
    CU_ASSERT_EQUAL(f.Eax, 0x55);
    CU_ASSERT_EQUAL(f.Eip, before.Eip);
    CU_ASSERT_EQUAL(f.SegCs, 0x1B);
}

static void test_records(void)
{
    EXCEPTION_RECORD r;

    KiBuildExceptionRecord(&r, STATUS_ACCESS_VIOLATION, 0x401000, 0x30000010, MI_ACCESS_WRITE, 0);
    CU_ASSERT_EQUAL(r.ExceptionCode, STATUS_ACCESS_VIOLATION);
    CU_ASSERT_EQUAL((ULONG)(ULONG_PTR)r.ExceptionAddress, 0x401000);
    CU_ASSERT_EQUAL(r.NumberParameters, 2);
    CU_ASSERT_EQUAL(r.ExceptionInformation[0], EXCEPTION_WRITE_FAULT);
    CU_ASSERT_EQUAL(r.ExceptionInformation[1], 0x30000010);
    CU_ASSERT_EQUAL(KiExceptionRecordLength(&r), 0x14 + 8);

    KiBuildExceptionRecord(&r, STATUS_ACCESS_VIOLATION, 0x80100000, 0x80100000, MI_ACCESS_EXECUTE, 0);
    CU_ASSERT_EQUAL(r.ExceptionInformation[0], EXCEPTION_EXECUTE_FAULT);
    CU_ASSERT_EQUAL(KiExceptionInformationToAccess(r.ExceptionInformation[0]), MI_ACCESS_EXECUTE);

    KiBuildExceptionRecord(&r, STATUS_IN_PAGE_ERROR, 0x401000, 0x500000, MI_ACCESS_READ,
                           (NTSTATUS)0xC000009C);
    CU_ASSERT_EQUAL(r.NumberParameters, 3);
    CU_ASSERT_EQUAL(r.ExceptionInformation[0], EXCEPTION_READ_FAULT);
    CU_ASSERT_EQUAL(r.ExceptionInformation[2], 0xC000009Cu);

    KiBuildExceptionRecord(&r, STATUS_GUARD_PAGE_VIOLATION, 0x401000, 0x600000, MI_ACCESS_READ, 0);
    CU_ASSERT_EQUAL(r.NumberParameters, 2);
    CU_ASSERT_EQUAL(r.ExceptionInformation[1], 0x600000);

    KiBuildExceptionRecord(&r, STATUS_BREAKPOINT, 0x401001, 0, MI_ACCESS_READ, 0);
    CU_ASSERT_EQUAL((ULONG)(ULONG_PTR)r.ExceptionAddress, 0x401000);   /* the int3 itself */
    CU_ASSERT_EQUAL(r.NumberParameters, 0);

    KiBuildExceptionRecord(&r, STATUS_INTEGER_DIVIDE_BY_ZERO, 0x401000, 0, MI_ACCESS_READ, 0);
    CU_ASSERT_EQUAL(r.NumberParameters, 0);
    CU_ASSERT_EQUAL(KiExceptionRecordLength(&r), 0x14);
}

static void test_mxcsr(void)
{
    UCHAR image[512];
    ULONG mxcsr = 0xFFFF1F80u;

    memset(image, 0, sizeof(image));
    memcpy(image + 24, &mxcsr, 4);
    KiSanitizeExtendedRegisters(image, 0xFFBF);
    memcpy(&mxcsr, image + 24, 4);
    CU_ASSERT_EQUAL(mxcsr, 0x1F80);
}

static void test_user_stack_frame(void)
{
    KI_USER_EXCEPTION_FRAME f;

    CU_ASSERT_TRUE(KiLayOutUserExceptionFrame(0x7FFDFF02, 0x1C, &f));
    CU_ASSERT_EQUAL(f.ContextAddress, 0x7FFDFF00 - 0x2CC);
    CU_ASSERT_EQUAL(f.RecordAddress, f.ContextAddress - 0x1C);
    CU_ASSERT_EQUAL(f.NewEsp, f.RecordAddress - 8);
    CU_ASSERT_EQUAL(f.ContextAddress % 4, 0);
    /* No stack to speak of: refused, not wrapped. */
    CU_ASSERT_FALSE(KiLayOutUserExceptionFrame(0x10, 0x1C, &f));
    CU_ASSERT_FALSE(KiLayOutUserExceptionFrame(0x1100, 0x1C, &f));
    CU_ASSERT_TRUE(KiLayOutUserExceptionFrame(0x3000, 0x1C, &f));
}

int main(void)
{
    static const struct unit_test tests[] = {
        UNIT_TEST(test_frame_to_context),
        UNIT_TEST(test_context_round_trip),
        UNIT_TEST(test_hostile_context),
        UNIT_TEST(test_foreign_flags_refused),
        UNIT_TEST(test_records),
        UNIT_TEST(test_mxcsr),
        UNIT_TEST(test_user_stack_frame),
    };
    return unit_run("exception", tests, sizeof(tests) / sizeof(tests[0]));
}
