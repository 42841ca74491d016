/* util.c - small helpers the benchmarks share: numbers from the command line, JSON strings,
 * medians and figures rounded to what their spread supports. */
#include <err.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

unsigned long bench_number(const char *opt, const char *text, unsigned long max)
{
    char *end;
    unsigned long v = strtoul(text ? text : "", &end, 10);
    if (!text || !*text || *end || v == 0 || v > max)
        errx(2, "%s: '%s' is not a number from 1 to %lu", opt, text ? text : "", max);
    return v;
}

void bench_json_string(FILE *out, const char *s)
{
    fputc('"', out);
    for (; *s; s++) {
        if (*s == '"' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else if ((unsigned char)*s < 0x20)
            fprintf(out, "\\u%04x", *s);
        else
            fputc(*s, out);
    }
    fputc('"', out);
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double bench_median(const double *v, unsigned n, double *lo, double *hi)
{
    double *s = malloc(n * sizeof(*s));
    if (!s)
        abort();
    memcpy(s, v, n * sizeof(*v));
    qsort(s, n, sizeof(*s), by_double);
    *lo = s[0];
    *hi = s[n - 1];
    double m = n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
    free(s);
    return m;
}

static double pow10i(int e)
{
    return pow(10.0, e);
}

/* The rounding unit of a figure: no finer than its kind allows, nor than a tenth of the
 * spread's leading digit (a spread of 6,200 keeps hundreds); never so coarse that the median
 * loses its first digit. */
static double unit_for(struct bench_range r, enum bench_kind k)
{
    int mag = r.med > 0 ? (int)floor(log10(r.med)) : 0;
    double u = k == BENCH_RATIO ? 0.01 : pow10i(mag - 2);
    if (k == BENCH_MICROS && u < 0.01)
        u = 0.01;
    double spread = r.hi - r.lo;
    if (spread > 0) {
        double us = pow10i((int)floor(log10(spread)) - 1);
        if (us > u)
            u = us;
    }
    if (r.med > 0 && u > pow10i(mag))
        u = pow10i(mag);
    return u;
}

/* v rounded to unit u, thousands grouped when no decimals are left. */
void bench_fmt_number(char *out, size_t len, double v, double u)
{
    double x = round(v / u) * u;
    if (u < 0.999) {
        int decimals = (int)lround(-log10(u));
        snprintf(out, len, "%.*f", decimals, x);
        return;
    }
    char digits[32];
    snprintf(digits, sizeof(digits), "%.0f", x);
    size_t n = strlen(digits), o = 0;
    for (size_t i = 0; i < n && o + 2 < len; i++) {
        out[o++] = digits[i];
        size_t left = n - 1 - i;
        if (left && left % 3 == 0 && digits[i] != '-' && o + 2 < len)
            out[o++] = ',';
    }
    out[o] = '\0';
}

/* "87,600 (84,100-90,300)", or one number where the rounded min and max agree. */
void bench_fmt_range(char *out, size_t len, struct bench_range r, enum bench_kind k)
{
    double u = unit_for(r, k);
    const char *suffix = k == BENCH_RATIO ? "x" : "";
    char med[32], lo[32], hi[32];
    bench_fmt_number(med, sizeof(med), r.med, u);
    bench_fmt_number(lo, sizeof(lo), r.lo, u);
    bench_fmt_number(hi, sizeof(hi), r.hi, u);
    if (!strcmp(lo, hi))
        snprintf(out, len, "%s%s", med, suffix);
    else
        snprintf(out, len, "%s%s (%s-%s)", med, suffix, lo, hi);
}
