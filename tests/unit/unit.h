/*
 * unit.h - what every CUnit test binary of pagevisor shares: registering suites from a table
 * and a main() that exits non-zero when anything failed (CUnit's own exit code does not).
 */
#ifndef PV_UNIT_H
#define PV_UNIT_H

#include <CUnit/Basic.h>
#include <stdio.h>

struct unit_test {
    const char *name;
    void (*fn)(void);
};

#define UNIT_TEST(fn) { #fn, fn }

static inline int unit_run(const char *suite_name, const struct unit_test *tests, size_t n)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    for (size_t i = 0; suite && i < n; i++)
        if (!CU_add_test(suite, tests[i].name, tests[i].fn))
            suite = NULL;
    if (!suite) {
        fprintf(stderr, "%s: cannot register tests: %s\n", suite_name, CU_get_error_msg());
        CU_cleanup_registry();
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    /* Read the counts before cleanup, which resets them. */
    unsigned ran = CU_get_number_of_tests_run();
    unsigned failed = CU_get_number_of_tests_failed() + CU_get_number_of_suites_failed();
    unsigned failures = CU_get_number_of_failures();
    CU_cleanup_registry();
    printf("%s: %u passed, %u failed\n", suite_name, ran - (failed > ran ? ran : failed), failed);
    if (ran == 0)
        return 3;
    return (failed || failures) ? 1 : 0;
}

#define UNIT_MAIN(suite_name, table) \
    int main(void) { return unit_run(suite_name, table, sizeof(table) / sizeof(table[0])); }

#endif /* PV_UNIT_H */
