/*
 * trace_overhead.c - `build/bench/trace-overhead`: what `--trace` costs a running guest. The
 * full-system benchmark's warm demand-zero loop (bench-dz N warm) runs without a trace and with
 * one in each format, side by side, round by round, in one place (one KVM runner boot here);
 * the loop is timed by the guest's TSC, so what the host does after the loop (the writer
 * finishing the trace) is not in it, but everything the vCPU waited for during it is. Each
 * traced run's file is checked to hold a record for every fault of the loop. Ratios are
 * traced over untraced, round by round; the target (issue 13) is 1.10 or less.
 */
#include <err.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"
#include "fs.h"

#define ROUNDS_MAX 31
enum { NONE, TEXT, JSONL, CHROME, NFORMATS };
static const char *const format_name[NFORMATS] = { "none", "text", "jsonl", "chrome" };

/* Records of demand-zero faults at or above the loop's first address in a trace, whatever
 * the format: each format names the resolution once per record. */
static unsigned long count_records(const char *path, int format)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    static const char *const mark[NFORMATS] = {
        NULL, "): demand_zero", "\"resolution\":\"demand_zero\"", "\"name\":\"demand_zero\"",
    };
    char line[4096];
    unsigned long n = 0;
    while (fgets(line, sizeof(line), f))
        if (strstr(line, mark[format]))
            n++;
    fclose(f);
    return n;
}

static void usage(void)
{
    fprintf(stderr, "usage: trace-overhead [--pagevisor P] [--kernel K] [--images DIR] "
            "[--text OUT] [--where TEXT] [--runs N] [--pages N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *pagevisor = "pagevisor", *kernel = "build/guest/kernel.elf",
               *images = "build/bench/images", *text = NULL, *where = "here";
    /* The runner VM is noisy (a round's ratio moves by a third): the median of 9 rounds put
     * the same loop at 1.01x in one run and 1.15x in the next; 21 settle it. */
    unsigned runs = 21;
    uint32_t pages = 8192;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v)
            usage();
        if (!strcmp(a, "--pagevisor")) pagevisor = v;
        else if (!strcmp(a, "--kernel")) kernel = v;
        else if (!strcmp(a, "--images")) images = v;
        else if (!strcmp(a, "--text")) text = v;
        else if (!strcmp(a, "--where")) where = v;
        else if (!strcmp(a, "--runs")) runs = (unsigned)bench_number(a, v, ROUNDS_MAX);
        else if (!strcmp(a, "--pages")) pages = (uint32_t)bench_number(a, v, 65536);
        else usage();
        i++;
    }
    if (runs == 0 || pages == 0)
        usage();

    char tmpdir[] = "/tmp/pv-trace-oh.XXXXXX";
    if (!mkdtemp(tmpdir))
        err(1, "mkdtemp");
    char trace[600], mem[32], npages[16];
    snprintf(trace, sizeof(trace), "%s/loop.trace", tmpdir);
    snprintf(mem, sizeof(mem), "%uM", pages / 256 + 8);
    snprintf(npages, sizeof(npages), "%u", pages);
    const char *args[] = { npages, "warm", "1", "0", NULL };

    double hz0 = fs_tsc_hz(200);
    uint64_t cycles[NFORMATS][ROUNDS_MAX];
    unsigned long records[NFORMATS] = { 0 };
    uint32_t faults = 0;
    for (unsigned r = 0; r < runs; r++) {
        for (int k = 0; k < NFORMATS; k++) {
            int fmt = (k + (int)r) % NFORMATS;          /* a different order every round */
            const char *pv_args[] = { "--trace", trace, "--trace-format", format_name[fmt],
                                      NULL };
            struct pv_env env = { .pagevisor = pagevisor, .kernel = kernel, .images = images,
                                  .tmpdir = tmpdir, .timeout = 600,
                                  .pv_args = fmt == NONE ? NULL : pv_args };
            struct pv_run run;
            unlink(trace);
            pv_run(&env, mem, "bench-dz.elf", args, false, &run);
            if (run.status != 0 || !run.have_line)
                errx(1, "%s run failed: %s", format_name[fmt], run.why);
            if (run.kinds[PV_FAULT_DEMAND_ZERO] < pages)
                errx(1, "%s run: %u demand-zero faults in the loop, expected %u",
                     format_name[fmt], run.kinds[PV_FAULT_DEMAND_ZERO], pages);
            faults = run.kinds[PV_FAULT_DEMAND_ZERO];
            cycles[fmt][r] = run.cycles;
            if (fmt != NONE) {
                /* Every fault of the loop is in the file, and the warm-up's before them. */
                unsigned long n = count_records(trace, fmt);
                if (n < pages)
                    errx(1, "%s trace holds %lu demand-zero records, fewer than the loop's %u",
                         format_name[fmt], n, pages);
                records[fmt] = n;
            }
        }
        fprintf(stderr, "trace-overhead: round %u of %u done\n", r + 1, runs);
    }
    double hz = (hz0 + fs_tsc_hz(200)) / 2;

    FILE *outs[2] = { stdout, text ? fopen(text, "w") : NULL };
    for (int o = 0; o < 2; o++) {
        FILE *f = outs[o];
        if (!f)
            continue;
        fprintf(f, "--trace on a running guest: bench-dz %u warm (%u demand-zero faults in the "
                "timed loop), %u rounds, %s\n", pages, faults, runs, where);
        fprintf(f, "Per fault: median (min-max) over the rounds; ratio = traced / untraced, "
                "round by round; target 1.10 or less.\n\n");
        fprintf(f, "%-8s %-24s %-24s %-14s %s\n", "trace", "us per fault", "ratio", "target",
                "records in the file");
        for (int k = 0; k < NFORMATS; k++) {
            double us[ROUNDS_MAX], ratio[ROUNDS_MAX], lo, hi, m;
            for (unsigned r = 0; r < runs; r++) {
                us[r] = (double)cycles[k][r] / hz / pages * 1e6;
                ratio[r] = (double)cycles[k][r] / (double)cycles[NONE][r];
            }
            char a[48], b[48] = "1", c[24] = "", d[48] = "";
            m = bench_median(us, runs, &lo, &hi);
            bench_fmt_range(a, sizeof(a), (struct bench_range){ lo, m, hi }, BENCH_MICROS);
            if (k != NONE) {
                m = bench_median(ratio, runs, &lo, &hi);
                bench_fmt_range(b, sizeof(b), (struct bench_range){ lo, m, hi }, BENCH_RATIO);
                snprintf(c, sizeof(c), "%s", m < 1.105 ? "met" : "NOT met"); /* as shown */
                snprintf(d, sizeof(d), "%lu", records[k]);
            }
            fprintf(f, "%-8s %-24s %-24s %-14s %s\n", format_name[k], a, b, c, d);
        }
    }
    if (outs[1])
        fclose(outs[1]);
    unlink(trace);
    rmdir(tmpdir);
    return 0;
}
