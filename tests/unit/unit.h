/*
 * unit.h - what every CUnit test binary of pagevisor shares: registering suites from a table
 * and a main() that exits non-zero when anything failed (CUnit's own exit code does not).
 * With PAGEVISOR_TEST_RESULTS set (as `make test` does), a run also writes the JUnit XML
 * report $PAGEVISOR_TEST_RESULTS/unit-SUITE.xml (CUnit's own XML is another format).
 */
#ifndef PV_UNIT_H
#define PV_UNIT_H

#include <CUnit/Basic.h>
#include <stdio.h>

#include "../junit.h"

struct unit_test {
    const char *name;
    void (*fn)(void);
};

#define UNIT_TEST(fn) { #fn, fn }

/* Every test runs through this, in the table's order (CUnit runs a suite's tests in the order
 * they were added), so each one's start time is known; a test's time lasts until the next
 * one's start, as a fatal assertion leaves the test by longjmp. */
static const struct unit_test *unit_table;
static size_t unit_next;
static double *unit_starts;

static inline void unit_trampoline(void)
{
    size_t i = unit_next++;
    unit_starts[i] = junit_now();
    unit_table[i].fn();
}

/* The JUnit report of the run just made: a test's failures are CUnit's failure records. */
static inline void unit_write_junit(const char *suite_name, size_t n, double end)
{
    char file[128];
    snprintf(file, sizeof(file), "unit-%s.xml", suite_name);
    char *path = junit_results_path(file);
    if (!path)
        return;
    struct junit_suite js = { .name = (char *)suite_name };
    for (size_t i = 0; i < n; i++) {
        char *msg = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&msg, &len);
        unsigned count = 0;
        for (CU_pFailureRecord f = CU_get_failure_list(); m && f; f = f->pNext)
            if (f->pTest && strcmp(f->pTest->pName, unit_table[i].name) == 0)
                fprintf(m, "%s%s:%u: %s", count++ ? "\n" : "", f->strFileName ? f->strFileName : "?",
                        f->uiLineNumber, f->strCondition ? f->strCondition : "?");
        if (m)
            fclose(m);
        double start = unit_starts[i], stop = i + 1 < n && unit_starts[i + 1] ? unit_starts[i + 1] : end;
        junit_add(&js, unit_table[i].name, start ? stop - start : 0,
                  count ? msg : (start ? NULL : "did not run"), NULL);
        free(msg);
    }
    junit_write(&js, path);
    junit_free(&js);
    free(path);
}

static inline int unit_run(const char *suite_name, const struct unit_test *tests, size_t n)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    CU_pSuite suite = CU_add_suite(suite_name, NULL, NULL);
    unit_table = tests;
    unit_next = 0;
    unit_starts = calloc(n + 1, sizeof(*unit_starts));
    if (!unit_starts)
        suite = NULL;
    for (size_t i = 0; suite && i < n; i++)
        if (!CU_add_test(suite, tests[i].name, unit_trampoline))
            suite = NULL;
    if (!suite) {
        fprintf(stderr, "%s: cannot register tests: %s\n", suite_name, CU_get_error_msg());
        CU_cleanup_registry();
        free(unit_starts);
        unit_starts = NULL;
        return 2;
    }
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unit_write_junit(suite_name, n, junit_now());
    free(unit_starts);
    unit_starts = NULL;
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
