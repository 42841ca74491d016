/*
 * test_bench_fmt.c - how `make bench` prints a figure with its spread (bench/util.c): no more
 * digits than the spread between runs supports, ratios with "x", one number where the runs
 * agree once rounded, and the median's leading digit never rounded away.
 */
#include <string.h>

#include "../../bench/util.c"
#include "unit.h"

static const char *fmt(double lo, double med, double hi, enum bench_kind k)
{
    static char out[80];
    bench_fmt_range(out, sizeof(out), (struct bench_range){ lo, med, hi }, k);
    return out;
}

static void rates_keep_what_the_spread_supports(void)
{
    /* A spread of 13,000: thousands are the finest digit worth printing. */
    CU_ASSERT_STRING_EQUAL(fmt(70123, 82456, 83321, BENCH_RATE), "82,000 (70,000-83,000)");
    /* A spread of 8,300 keeps hundreds; at most 3 significant digits. */
    CU_ASSERT_STRING_EQUAL(fmt(64812, 69903, 73109, BENCH_RATE), "69,900 (64,800-73,100)");
    /* Runs that agree: three significant digits, one number. */
    CU_ASSERT_STRING_EQUAL(fmt(1234567, 1234567, 1234567, BENCH_RATE), "1,230,000");
}

static void ratios_and_times(void)
{
    /* A spread of 0.52: hundredths are a tenth of its leading digit. */
    CU_ASSERT_STRING_EQUAL(fmt(1.21, 1.39, 1.73, BENCH_RATIO), "1.39x (1.21-1.73)");
    CU_ASSERT_STRING_EQUAL(fmt(0.62, 1.05, 1.86, BENCH_RATIO), "1.1x (0.6-1.9)");
    CU_ASSERT_STRING_EQUAL(fmt(0.702, 0.7234, 0.7301, BENCH_RATIO), "0.72x (0.70-0.73)");
    CU_ASSERT_STRING_EQUAL(fmt(18.40, 31.24, 33.30, BENCH_MICROS), "31 (18-33)");
    CU_ASSERT_STRING_EQUAL(fmt(1.51, 1.70, 2.04, BENCH_MICROS), "1.70 (1.51-2.04)");
}

static void a_wide_spread_never_hides_the_median(void)
{
    /* The spread (about 2,000) is larger than the median (about 40): it is still printed by
     * its own first digit, not rounded to 0. */
    const char *s = fmt(3.0, 42.0, 2000.0, BENCH_MICROS);
    CU_ASSERT_EQUAL(strncmp(s, "40 (", 4), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(s, "-2,000)"));
}

static const struct unit_test tests[] = {
    UNIT_TEST(rates_keep_what_the_spread_supports),
    UNIT_TEST(ratios_and_times),
    UNIT_TEST(a_wide_spread_never_hides_the_median),
};
UNIT_MAIN("bench_fmt", tests)
