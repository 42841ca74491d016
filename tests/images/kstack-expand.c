/*
 * kstack-expand - a system call that goes deeper than a 12 KiB kernel stack
 * (PvDebugRecurseInKernel: 256-byte frames), once asking KeExpandKernelStackAndCallout for
 * room before each frame and once not. With "expand" (the default) 200 frames (50 KiB) run on
 * extension stacks, every one released on return (a second run makes them anew): the checksum
 * of all the frames is right, and no frame went below the thread's own stack (the lowest ESP
 * is still above its guard page, 0xFF800000 and up).
 * With "overflow" the same 200 frames run on the 12 KiB stack alone: the guard page below it
 * stops the system with bug check 0x7F UNEXPECTED_KERNEL_MODE_TRAP (8, ...), naming the stack.
 * Expected (expand): begin, the lines below, end.
 */
#include <ntapi.h>

#define FRAMES 200u

/* What the kernel's frames add up to: each holds its depth's low and high byte. */
static ULONG Checksum(ULONG Frames)
{
    ULONG Sum = 0;
    for (ULONG d = 0; d <= Frames; d++)
        Sum += (d & 0xFF) + ((d >> 8) & 0xFF);
    return Sum;
}

int main(int argc, char **argv)
{
    ULONG Result[3] = { 0, 0, 0 }, Again[3] = { 0, 0, 0 };
    int Overflow = argc > 1 && strcmp(argv[1], "overflow") == 0;

    msg("begin");
    if (Overflow)
    {
        msg("200 frames of 256 bytes on the 12 KiB kernel stack, without expanding it");
        PvDebugRecurseInKernel(FRAMES, 0, Result);
        msg("FAILED: the recursion came back");
        return 1;
    }
    check_status(PvDebugRecurseInKernel(FRAMES, PV_RECURSE_EXPAND, Result), STATUS_SUCCESS,
                 "200 frames of 256 bytes, expanding the kernel stack");
    CHECK(Result[0] == Checksum(FRAMES), "every frame was there (checksum %u)", Result[0]);
    CHECK(Result[1] >= 3, "the kernel stack was expanded at least 3 times");
    CHECK(Result[2] >= 0xFF800000u, "no frame went below a kernel stack's guard page");
    check_status(PvDebugRecurseInKernel(FRAMES, PV_RECURSE_EXPAND, Again), STATUS_SUCCESS,
                 "again: the extensions were released and are made anew");
    CHECK(Again[0] == Result[0] && Again[1] == Result[1], "the same frames, the same extensions");
    check_status(PvDebugRecurseInKernel(20, 0, Result), STATUS_SUCCESS,
                 "20 frames fit without expanding");
    CHECK(Result[1] == 0 && Result[0] == Checksum(20), "no extension, every frame there");
    check_status(PvDebugRecurseInKernel(1, 2, Result), STATUS_INVALID_PARAMETER,
                 "an unknown flag");
    check_status(PvDebugRecurseInKernel(FRAMES, PV_RECURSE_EXPAND, (PULONG)0x10),
                 STATUS_ACCESS_VIOLATION, "a result buffer at 0x10");
    msg("end");
    return 0;
}
