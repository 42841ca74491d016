/*
 * test_udiff.c - the integration runner's unified diff (tests/integration/udiff.h): the exact
 * text `diff -u` prints for known pairs, and for random pairs, that the diff applied to the
 * first text gives the second and changes no more lines than a longest common subsequence
 * allows.
 */
#include <stdlib.h>
#include <string.h>

#include "unit.h"
#include "../integration/udiff.h"

/* The diff of a and b as a string (caller frees); *rc gets udiff's result. */
static char *diff_of(const char *a, const char *b, int *rc)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    CU_ASSERT_PTR_NOT_NULL_FATAL(f);
    *rc = udiff(f, "a", a, "b", b);
    fclose(f);
    return text;
}

static void expect_diff(const char *a, const char *b, const char *want)
{
    int rc;
    char *got = diff_of(a, b, &rc);
    CU_ASSERT_EQUAL(rc, *want ? 1 : 0);
    CU_ASSERT_STRING_EQUAL(got, want);
    if (strcmp(got, want) != 0)
        printf("\n--- want:\n%s--- got:\n%s", want, got);
    free(got);
}

static void test_same_texts_no_output(void)
{
    expect_diff("", "", "");
    expect_diff("one\ntwo\n", "one\ntwo\n", "");
}

static void test_one_line_changed(void)
{
    expect_diff("a\nb\nc\nd\ntwo\ne\nf\ng\nh\n", "a\nb\nc\nd\nTWO\ne\nf\ng\nh\n",
                "--- a\n+++ b\n@@ -2,7 +2,7 @@\n b\n c\n d\n-two\n+TWO\n e\n f\n g\n");
}

static void test_missing_final_newline(void)
{
    expect_diff("x\ny", "x\ny\n",
                "--- a\n+++ b\n@@ -1,2 +1,2 @@\n x\n-y\n\\ No newline at end of file\n+y\n");
}

static void test_empty_expected(void)
{
    expect_diff("", "p\n", "--- a\n+++ b\n@@ -0,0 +1 @@\n+p\n");
    expect_diff("p\n", "", "--- a\n+++ b\n@@ -1 +0,0 @@\n-p\n");
}

/* "1\n".."20\n" with some lines replaced or left out. */
static char *numbers(const char *replace2, const char *replace18, int drop1, int drop2)
{
    static char buf[4][256];
    static int which;
    char *out = buf[which++ % 4];
    out[0] = '\0';
    for (int i = 1; i <= 20; i++) {
        if (i == drop1 || i == drop2)
            continue;
        char line[32];
        if (i == 2 && replace2)
            snprintf(line, sizeof(line), "%s\n", replace2);
        else if (i == 18 && replace18)
            snprintf(line, sizeof(line), "%s\n", replace18);
        else
            snprintf(line, sizeof(line), "%d\n", i);
        strcat(out, line);
    }
    return out;
}

static void test_two_hunks(void)
{
    expect_diff(numbers(NULL, NULL, 0, 0), numbers("two", "eighteen", 0, 0),
                "--- a\n+++ b\n"
                "@@ -1,5 +1,5 @@\n 1\n-2\n+two\n 3\n 4\n 5\n"
                "@@ -15,6 +15,6 @@\n 15\n 16\n 17\n-18\n+eighteen\n 19\n 20\n");
}

static void test_close_changes_share_a_hunk(void)
{
    expect_diff(numbers(NULL, NULL, 0, 0), numbers(NULL, NULL, 9, 11),
                "--- a\n+++ b\n"
                "@@ -6,9 +6,7 @@\n 6\n 7\n 8\n-9\n 10\n-11\n 12\n 13\n 14\n");
}

/* Applies a unified diff to a; returns the result (caller frees) or NULL when it does not fit. */
static char *apply(const char *a, const char *diff)
{
    struct udiff_lines al;
    if (udiff_split(a, &al) < 0)
        return NULL;
    char *out = calloc(1, strlen(a) + strlen(diff) + 1);
    size_t used = 0, ai = 0;
    bool ok = out != NULL;
    const char *p = diff;
    for (int i = 0; ok && *p && i < 2; i++) {  /* the "---" and "+++" lines */
        ok = strncmp(p, i ? "+++ " : "--- ", 4) == 0 && strchr(p, '\n');
        p = ok ? strchr(p, '\n') + 1 : p;
    }
    while (ok && *p) {
        const char *nl = strchr(p, '\n');
        ok = nl != NULL;
        if (!ok)
            break;
        size_t len = (size_t)(nl - p) + 1;
        /* The line itself: without its '\n' when "\ No newline" follows. */
        size_t body = len - 1 - (nl[1] == '\\' ? 1 : 0);
        if (p[0] == '@') {
            char *end;
            unsigned long start = strtoul(p + 4, &end, 10), count = 1;
            if (*end == ',')
                count = strtoul(end + 1, NULL, 10);
            size_t first = count ? start - 1 : start;
            ok = strncmp(p, "@@ -", 4) == 0 && first >= ai && first <= al.n;
            while (ok && ai < first) {
                memcpy(out + used, al.start[ai], al.len[ai]);
                used += al.len[ai++];
            }
        } else if (p[0] == ' ' || p[0] == '-') {
            ok = ai < al.n && al.len[ai] == body && memcmp(al.start[ai], p + 1, body) == 0;
            if (ok && p[0] == ' ') {
                memcpy(out + used, p + 1, body);
                used += body;
            }
            ai++;
        } else if (p[0] == '+') {
            memcpy(out + used, p + 1, body);
            used += body;
        } else {
            ok = p[0] == '\\';
        }
        p += len;
    }
    while (ok && ai < al.n) {
        memcpy(out + used, al.start[ai], al.len[ai]);
        used += al.len[ai++];
    }
    free(al.start);
    free(al.len);
    if (!ok) {
        free(out);
        return NULL;
    }
    out[used] = '\0';
    return out;
}

/* Lines of random text from a small alphabet, so that many match. */
static char *random_text(unsigned *seed, size_t max_lines)
{
    size_t n = (size_t)rand_r(seed) % (max_lines + 1);
    char *t = calloc(1, n * 3 + 1);
    for (size_t i = 0; t && i < n; i++) {
        t[i * 2] = (char)('a' + rand_r(seed) % 4);
        t[i * 2 + 1] = '\n';
    }
    /* Sometimes without the final newline. */
    if (t && n && rand_r(seed) % 4 == 0)
        t[n * 2 - 1] = '\0';
    return t;
}

static size_t lcs(const struct udiff_lines *a, const struct udiff_lines *b)
{
    size_t *t = calloc((a->n + 1) * (b->n + 1), sizeof(*t));
    for (size_t i = a->n; i-- > 0;)
        for (size_t j = b->n; j-- > 0;)
            t[i * (b->n + 1) + j] = udiff_same(a, i, b, j)
                ? t[(i + 1) * (b->n + 1) + j + 1] + 1
                : (t[(i + 1) * (b->n + 1) + j] > t[i * (b->n + 1) + j + 1]
                       ? t[(i + 1) * (b->n + 1) + j] : t[i * (b->n + 1) + j + 1]);
    size_t r = t[0];
    free(t);
    return r;
}

static void test_random_pairs_apply_and_are_minimal(void)
{
    unsigned seed = 12345;
    int bad = 0;
    for (int round = 0; round < 2000; round++) {
        char *a = random_text(&seed, 30), *b = random_text(&seed, 30);
        int rc;
        char *d = diff_of(a, b, &rc);
        char *back = apply(a, d);
        struct udiff_lines al, bl;
        udiff_split(a, &al);
        udiff_split(b, &bl);
        size_t changed = 0;
        for (const char *p = d; *p; p = strchr(p, '\n') + 1) {
            if ((*p == '-' && p[1] != '-') || (*p == '+' && p[1] != '+'))
                changed++;
            if (!strchr(p, '\n'))
                break;
        }
        bool ok = rc == (strcmp(a, b) != 0) && back && strcmp(back, b) == 0 &&
                  changed == al.n + bl.n - 2 * lcs(&al, &bl);
        if (!ok && bad++ == 0)
            printf("\nround %d: a=[%s] b=[%s] diff:\n%s", round, a, b, d);
        free(al.start), free(al.len), free(bl.start), free(bl.len);
        free(a), free(b), free(d), free(back);
    }
    CU_ASSERT_EQUAL(bad, 0);
}

static const struct unit_test tests[] = {
    UNIT_TEST(test_same_texts_no_output),
    UNIT_TEST(test_one_line_changed),
    UNIT_TEST(test_missing_final_newline),
    UNIT_TEST(test_empty_expected),
    UNIT_TEST(test_two_hunks),
    UNIT_TEST(test_close_changes_share_a_hunk),
    UNIT_TEST(test_random_pairs_apply_and_are_minimal),
};

UNIT_MAIN("udiff", tests)
