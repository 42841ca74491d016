/*
 * udiff.h - a unified diff (as `diff -u` prints it, 3 lines of context) of two texts held in
 * memory, for the integration runner's report of expected against actual output. Lines are
 * matched by a longest common subsequence after the common head and tail are set aside; when
 * what is left is too big for that table, it is shown as one block removed and one added.
 */
#ifndef PV_UDIFF_H
#define PV_UDIFF_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UDIFF_CONTEXT   3
#define UDIFF_MAX_CELLS (16u << 20) /* LCS table entries at most */

/* Each line keeps its '\n' (the last may have none), so "a" and "a\n" differ as diff says. */
struct udiff_lines {
    const char **start;
    size_t *len;
    size_t n;
};

static inline int udiff_split(const char *text, struct udiff_lines *l)
{
    size_t n = 0;
    for (const char *p = text; *p; p++)
        n += *p == '\n';
    n += *text && text[strlen(text) - 1] != '\n';
    l->n = 0;
    l->start = malloc((n + 1) * sizeof(*l->start));
    l->len = malloc((n + 1) * sizeof(*l->len));
    if (!l->start || !l->len)
        return -1;
    for (const char *p = text; *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        l->start[l->n] = p;
        l->len[l->n++] = len;
        p += len;
    }
    return 0;
}

static inline int udiff_same(const struct udiff_lines *a, size_t i, const struct udiff_lines *b,
                             size_t j)
{
    return a->len[i] == b->len[j] && memcmp(a->start[i], b->start[j], a->len[i]) == 0;
}

static inline void udiff_line(FILE *f, char mark, const struct udiff_lines *l, size_t i)
{
    fputc(mark, f);
    fwrite(l->start[i], 1, l->len[i], f);
    if (l->len[i] == 0 || l->start[i][l->len[i] - 1] != '\n')
        fputs("\n\\ No newline at end of file\n", f);
}

/* One edit: ' ' both, '-' only in a (index i), '+' only in b (index j). */
struct udiff_op {
    char kind;
    size_t i, j;
};

/* The edit script from a to b; returns the number of ops (or -1 out of memory). */
static inline long udiff_script(const struct udiff_lines *a, const struct udiff_lines *b,
                                struct udiff_op *ops)
{
    size_t head = 0, tail = 0;
    while (head < a->n && head < b->n && udiff_same(a, head, b, head))
        head++;
    while (tail < a->n - head && tail < b->n - head &&
           udiff_same(a, a->n - 1 - tail, b, b->n - 1 - tail))
        tail++;
    size_t n = a->n - head - tail, m = b->n - head - tail, k = 0;
    for (size_t x = 0; x < head; x++)
        ops[k++] = (struct udiff_op){ ' ', x, x };
    unsigned *t = NULL;
    if (n && m && (n + 1) * (m + 1) <= UDIFF_MAX_CELLS) {
        /* t[x][y]: the LCS length of a's lines x.. and b's lines y.. (of the middle part). */
        t = calloc((n + 1) * (m + 1), sizeof(*t));
        if (!t)
            return -1;
        for (size_t x = n; x-- > 0;)
            for (size_t y = m; y-- > 0;) {
                unsigned *cell = &t[x * (m + 1) + y];
                if (udiff_same(a, head + x, b, head + y))
                    *cell = t[(x + 1) * (m + 1) + y + 1] + 1;
                else {
                    unsigned down = t[(x + 1) * (m + 1) + y], right = t[x * (m + 1) + y + 1];
                    *cell = down >= right ? down : right;
                }
            }
    }
    size_t x = 0, y = 0;
    while (t && x < n && y < m) {
        if (udiff_same(a, head + x, b, head + y)) {
            ops[k++] = (struct udiff_op){ ' ', head + x, head + y };
            x++, y++;
        } else if (t[(x + 1) * (m + 1) + y] >= t[x * (m + 1) + y + 1]) {
            ops[k++] = (struct udiff_op){ '-', head + x++, 0 };
        } else {
            ops[k++] = (struct udiff_op){ '+', 0, head + y++ };
        }
    }
    free(t);
    while (x < n)
        ops[k++] = (struct udiff_op){ '-', head + x++, 0 };
    while (y < m)
        ops[k++] = (struct udiff_op){ '+', 0, head + y++ };
    for (size_t z = 0; z < tail; z++)
        ops[k++] = (struct udiff_op){ ' ', head + n + z, head + m + z };
    return (long)k;
}

/* A hunk's range as diff prints it: "start,count", start 1-based (0 when count is 0). */
static inline void udiff_range(FILE *f, size_t first, size_t count)
{
    if (count == 1)
        fprintf(f, "%zu", first + 1);
    else
        fprintf(f, "%zu,%zu", count ? first + 1 : first, count);
}

/*
 * Writes the unified diff of a (labelled label_a) to b (label_b) to f; nothing when they are
 * the same. Returns 1 when they differ, 0 when the same, -1 out of memory.
 */
static inline int udiff(FILE *f, const char *label_a, const char *a_text, const char *label_b,
                        const char *b_text)
{
    struct udiff_lines a = { 0 }, b = { 0 };
    struct udiff_op *ops = NULL;
    int rc = -1;
    if (udiff_split(a_text, &a) < 0 || udiff_split(b_text, &b) < 0 ||
        !(ops = malloc((a.n + b.n + 1) * sizeof(*ops))))
        goto done;
    long nops = udiff_script(&a, &b, ops);
    if (nops < 0)
        goto done;
    rc = 0;
    for (long k = 0; k < nops; k++) {
        if (ops[k].kind == ' ')
            continue;
        if (rc == 0)
            fprintf(f, "--- %s\n+++ %s\n", label_a, label_b);
        rc = 1;
        /* A hunk: from UDIFF_CONTEXT lines before this change to UDIFF_CONTEXT after the last
         * change that lies within 2 * UDIFF_CONTEXT unchanged lines of the one before. */
        long begin = k >= UDIFF_CONTEXT ? k - UDIFF_CONTEXT : 0, end = k;
        for (long z = k; z < nops; z++) {
            if (ops[z].kind != ' ') {
                end = z;
                continue;
            }
            if (z - end > 2 * UDIFF_CONTEXT)
                break;
        }
        long stop = end + 1 + UDIFF_CONTEXT < nops ? end + 1 + UDIFF_CONTEXT : nops;
        /* Where the hunk starts in each text: the first line at or after begin in it. */
        size_t a_first = 0, b_first = 0, a_count = 0, b_count = 0;
        bool a_set = false, b_set = false;
        for (long z = begin; z < stop; z++) {
            if (ops[z].kind != '+') {
                if (!a_set)
                    a_first = ops[z].i, a_set = true;
                a_count++;
            }
            if (ops[z].kind != '-') {
                if (!b_set)
                    b_first = ops[z].j, b_set = true;
                b_count++;
            }
        }
        /* An empty side starts after the line before the hunk. */
        if (!a_set) {
            a_first = 0;
            for (long z = begin; z-- > 0;)
                if (ops[z].kind != '+') {
                    a_first = ops[z].i + 1;
                    break;
                }
        }
        if (!b_set) {
            b_first = 0;
            for (long z = begin; z-- > 0;)
                if (ops[z].kind != '-') {
                    b_first = ops[z].j + 1;
                    break;
                }
        }
        fputs("@@ -", f);
        udiff_range(f, a_first, a_count);
        fputs(" +", f);
        udiff_range(f, b_first, b_count);
        fputs(" @@\n", f);
        for (long z = begin; z < stop; z++) {
            if (ops[z].kind == '+')
                udiff_line(f, '+', &b, ops[z].j);
            else
                udiff_line(f, ops[z].kind, &a, ops[z].i);
        }
        k = stop - 1;
    }
done:
    free(a.start);
    free(a.len);
    free(b.start);
    free(b.len);
    free(ops);
    return rc;
}

#endif /* PV_UDIFF_H */
