/*
 * test_pit.c - the PIT channel 0 pagevisor emulates for the guest's clock (vmm/pit.c): the
 * command and data ports as the guest's ke/clock.c programs them (mode 2 at 100 Hz, a mode
 * command with no count to stop), the host timer armed or stopped accordingly, other channels
 * and ports left alone.
 */
#include <signal.h>
#include <string.h>

#include "pit.h"
#include "unit.h"

static long long armed_ns(struct pit *p, long long *interval_ns)
{
    struct itimerspec its;
    CU_ASSERT_EQUAL_FATAL(timer_gettime(p->timer, &its), 0);
    *interval_ns = its.it_interval.tv_sec * 1000000000ll + its.it_interval.tv_nsec;
    return its.it_value.tv_sec * 1000000000ll + its.it_value.tv_nsec;
}

static void periodic_then_stopped(void)
{
    struct pit p;
    long long interval;
    pit_init(&p, -1, NULL);
    CU_ASSERT_EQUAL(armed_ns(&p, &interval), 0);               /* nothing until programmed */
    CU_ASSERT_TRUE(pit_out(&p, PIT_PORT_COMMAND, 0x34));       /* ch 0, lo/hi, mode 2 */
    CU_ASSERT_TRUE(pit_out(&p, PIT_PORT_CHANNEL0, 0x9C));
    CU_ASSERT_EQUAL(armed_ns(&p, &interval), 0);               /* half a count: not yet */
    CU_ASSERT_TRUE(pit_out(&p, PIT_PORT_CHANNEL0, 0x2E));      /* 11932: 100 Hz */
    CU_ASSERT_EQUAL(p.reload, 11932);
    CU_ASSERT_EQUAL(p.mode, 2);
    long long value = armed_ns(&p, &interval);
    CU_ASSERT_TRUE(value > 0 && value <= 10000000ll);
    CU_ASSERT_TRUE(interval > 9990000ll && interval < 10010000ll);
    CU_ASSERT_TRUE(pit_out(&p, PIT_PORT_COMMAND, 0x30));       /* mode 0, no count: stop */
    CU_ASSERT_EQUAL(armed_ns(&p, &interval), 0);
    CU_ASSERT_EQUAL(interval, 0);
    pit_free(&p);
}

static void one_shot_and_other_channels(void)
{
    struct pit p;
    long long interval;
    pit_init(&p, -1, NULL);
    struct timespec t0, t1;
    pit_out(&p, PIT_PORT_COMMAND, 0x30);
    pit_out(&p, PIT_PORT_CHANNEL0, 0x00);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pit_out(&p, PIT_PORT_CHANNEL0, 0x00);                      /* 0 means 65536 */
    long long value = armed_ns(&p, &interval);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    /* About 55 ms, once: what is left plus what passed since arming, however long this thread
     * waited for a CPU in between (a fixed lower bound failed now and then on a busy host). */
    long long passed = (t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec);
    CU_ASSERT_TRUE(value <= 54925401ll);                       /* 65536 counts, in ns */
    CU_ASSERT_TRUE(value + passed >= 54900000ll);
    CU_ASSERT_EQUAL(interval, 0);
    CU_ASSERT_TRUE(pit_out(&p, PIT_PORT_COMMAND, 0xB6));       /* channel 2: ignored */
    CU_ASSERT_EQUAL(p.mode, 0);
    CU_ASSERT_TRUE(armed_ns(&p, &interval) > 0);
    CU_ASSERT_TRUE(pit_out(&p, PIT_PORT_COMMAND, 0x3C));       /* mode 6 is mode 2 */
    CU_ASSERT_EQUAL(p.mode, 2);
    CU_ASSERT_FALSE(pit_out(&p, 0x41, 0x12));                  /* not channel 0's port */
    CU_ASSERT_FALSE(pit_out(&p, 0x500, 0x12));
    pit_free(&p);
}

/* A guest loading a count of 1 (1.19 MHz) or 2 gets a host timer of about 1 ms, not one
 * firing a million times a second; a count just above the floor is kept. */
static void short_counts_are_clamped(void)
{
    struct pit p;
    long long interval;
    /* Held back while this test runs: without the clamp the timer would fire every 838 ns
     * and leave this thread no time to finish. */
    sigset_t rt, old;
    sigemptyset(&rt);
    sigaddset(&rt, SIGRTMIN);
    sigprocmask(SIG_BLOCK, &rt, &old);
    pit_init(&p, -1, NULL);
    pit_out(&p, PIT_PORT_COMMAND, 0x34);                       /* mode 2, periodic */
    pit_out(&p, PIT_PORT_CHANNEL0, 0x01);
    pit_out(&p, PIT_PORT_CHANNEL0, 0x00);                      /* count 1 */
    CU_ASSERT_EQUAL(p.reload, 1);                              /* kept as written */
    armed_ns(&p, &interval);
    CU_ASSERT_TRUE(interval >= 999000ll && interval <= 1000000ll);
    /* One-shot: what is left plus what has passed since arming is the period, however long
     * this thread waited for a CPU in between. */
    struct timespec t0, t1;
    pit_out(&p, PIT_PORT_COMMAND, 0x30);                       /* mode 0, one-shot */
    pit_out(&p, PIT_PORT_CHANNEL0, 0x02);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pit_out(&p, PIT_PORT_CHANNEL0, 0x00);                      /* count 2 */
    long long value = armed_ns(&p, &interval);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long long passed = (t1.tv_sec - t0.tv_sec) * 1000000000ll + (t1.tv_nsec - t0.tv_nsec);
    CU_ASSERT_TRUE(value <= 1000000ll);
    CU_ASSERT_TRUE(value + passed >= 999000ll);
    CU_ASSERT_EQUAL(interval, 0);
    pit_out(&p, PIT_PORT_COMMAND, 0x34);
    pit_out(&p, PIT_PORT_CHANNEL0, 0xD0);
    pit_out(&p, PIT_PORT_CHANNEL0, 0x07);                      /* 2000: 1.676 ms, kept */
    armed_ns(&p, &interval);
    CU_ASSERT_TRUE(interval > 1675000ll && interval < 1677000ll);
    pit_free(&p);
    sigprocmask(SIG_SETMASK, &old, NULL);
}

static const struct unit_test tests[] = {
    UNIT_TEST(periodic_then_stopped),
    UNIT_TEST(one_shot_and_other_channels),
    UNIT_TEST(short_counts_are_clamped),
};
UNIT_MAIN("pit", tests)
