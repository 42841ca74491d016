/*
 * deadlock - waits forever on an event nothing will set: with no other thread to run and no
 * timed wait, the kernel reports the deadlock (the process and what it waits on) and stops
 * with bug check 0xE002 instead of waiting for the host's --timeout.
 * Expected: begin, then the kernel's deadlock lines; no end, no exit line.
 * NEEDS-OWN-BOOT
 */
#include <ntapi.h>

int main(void)
{
    HANDLE Event;

    msg("begin");
    check_status(NtCreateEvent(&Event, 0, NULL, NotificationEvent, FALSE), STATUS_SUCCESS,
                 "an event nobody sets");
    NtWaitForSingleObject(Event, FALSE, NULL);
    msg("end");
    return 0;
}
