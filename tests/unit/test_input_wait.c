/*
 * test_input_wait.c - the time a run waits for console input (vmm/input_wait.c), which
 * --timeout leaves out: pauses after empty answers count while the guest keeps asking, not
 * after an answer with input, not a pause longer than INPUT_WAIT_GAP, and the open pause since
 * the last empty answer counts until then.
 */
#include "input_wait.h"
#include "unit.h"

static void nothing_before_any_answer(void)
{
    struct input_wait w = { 0 };
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 100.0), 0.0, 1e-9);
}

static void polls_without_input_count(void)
{
    struct input_wait w = { 0 };
    input_wait_answer(&w, 10.0, true);
    for (int i = 1; i <= 100; i++)
        input_wait_answer(&w, 10.0 + i * 0.05, true);   /* 5 s of 50 ms polls */
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 15.0), 5.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 16.0), 6.0, 1e-6); /* still waiting */
    input_wait_answer(&w, 16.0, false);                  /* the input came */
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 16.0), 6.0, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 50.0), 6.0, 1e-6); /* computing: not waiting */
}

static void a_pause_after_input_does_not_count(void)
{
    struct input_wait w = { 0 };
    input_wait_answer(&w, 1.0, false);
    input_wait_answer(&w, 2.0, false);
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 2.5), 0.0, 1e-9);
    input_wait_answer(&w, 2.5, true);
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 3.0), 0.5, 1e-6);
}

/* A guest that asked once, found nothing and then spins gets at most INPUT_WAIT_GAP. */
static void a_long_pause_is_not_waiting(void)
{
    struct input_wait w = { 0 };
    input_wait_answer(&w, 1.0, true);
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 1.0 + INPUT_WAIT_GAP - 0.5),
                           INPUT_WAIT_GAP - 0.5, 1e-6);
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 1.0 + INPUT_WAIT_GAP + 10.0), 0.0, 1e-9);
    input_wait_answer(&w, 1.0 + INPUT_WAIT_GAP + 10.0, true); /* asks again much later */
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 1.0 + INPUT_WAIT_GAP + 10.0), 0.0, 1e-9);
    CU_ASSERT_DOUBLE_EQUAL(input_wait_total(&w, 1.0 + INPUT_WAIT_GAP + 11.0), 1.0, 1e-6);
}

static const struct unit_test tests[] = {
    UNIT_TEST(nothing_before_any_answer),
    UNIT_TEST(polls_without_input_count),
    UNIT_TEST(a_pause_after_input_does_not_count),
    UNIT_TEST(a_long_pause_is_not_waiting),
};
UNIT_MAIN("input_wait", tests)
