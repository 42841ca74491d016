/*
 * test_pit.c - the PIT channel 0 pagevisor emulates for the guest's clock (vmm/pit.c): the
 * command and data ports as the guest's ke/clock.c programs them (mode 2 at 100 Hz, a mode
 * command with no count to stop), the host timer armed or stopped accordingly, other channels
 * and ports left alone.
 */
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
    pit_out(&p, PIT_PORT_COMMAND, 0x30);
    pit_out(&p, PIT_PORT_CHANNEL0, 0x00);
    pit_out(&p, PIT_PORT_CHANNEL0, 0x00);                      /* 0 means 65536 */
    long long value = armed_ns(&p, &interval);
    CU_ASSERT_TRUE(value > 50000000ll && value <= 54925000ll);  /* about 55 ms, once */
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

static const struct unit_test tests[] = {
    UNIT_TEST(periodic_then_stopped),
    UNIT_TEST(one_shot_and_other_channels),
};
UNIT_MAIN("pit", tests)
