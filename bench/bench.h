/*
 * bench.h - what the host-path benchmark's parts share: the work list every engine serves
 * (units of pagefile-contiguous slots), the test file's page contents, and one measurement.
 */
#ifndef BENCH_BENCH_H
#define BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pagefile.h"

#define PAGE 4096u

/* A run of pages served by one request: a hypercall, a fault, or a pread. */
struct unit {
    uint32_t slot;   /* first slot; the destination page of slot s is page s of a region */
    uint32_t count;  /* 1 or a cluster */
};

/* The same work for every engine: slots 1..pages once each, in clusters, in an order. */
struct workload {
    const char *pattern;  /* "sequential" or "random" */
    uint32_t cluster;
    struct unit *units;
    size_t nunits;
    uint32_t pages;
};

/* One timed pass of one engine over a workload. */
struct measurement {
    double seconds;
    uint64_t exits;          /* VM exits (the pagevisor engine), faults (userfaultfd), or 0 */
    double run_seconds;      /* pagevisor: time inside KVM_RUN */
    double service_seconds;  /* pagevisor: time serving the hypercalls (pagefile_io and all) */
};

uint64_t now_ns(void);

/* Units covering slots 1..pages in clusters, the last one short where cluster does not
 * divide pages (it is shuffled with the others), in slot order or shuffled with a fixed seed,
 * so every engine and every run sees the same order. */
void workload_make(struct workload *w, const char *pattern, uint32_t cluster, uint32_t pages);
void workload_free(struct workload *w);

/* The bytes of slot s: every 64-bit word names the slot and its place, so a page served into
 * the wrong place, or not at all, is caught. */
void page_fill(uint8_t *page, uint32_t slot);
bool page_check(const uint8_t *page, uint32_t slot);

/* Every slot 1..pages of region (page s at region + s * PAGE) holds what page_fill put there.
 * Returns the first wrong slot, or 0. */
uint32_t region_check(const uint8_t *region, uint32_t pages);

/* Read the whole file once so all engines start from the same warm page cache. */
void warm_page_cache(int fd, uint64_t bytes);

/* The pagevisor engine: a 32-bit guest (no paging) asking for every unit with a
 * PV_HC_PAGEFILE_IO hypercall, served by pagefile_io in this process's KVM_RUN loop. */
struct vm_path;
struct vm_path *vm_path_create(int kvm_fd, struct pagefile *pf, uint32_t pages);
void vm_path_run(struct vm_path *v, const struct workload *w, struct measurement *m);
/* What this host's KVM charges the guest side: microseconds per bare exit round trip (an
 * `out` and two more guest instructions) and nanoseconds per guest instruction. */
void vm_path_calibrate(struct vm_path *v, double *exit_us, double *insn_ns);
const uint8_t *vm_path_frames(const struct vm_path *v);  /* page s of the result at s * PAGE */
void vm_path_clear(struct vm_path *v);
void vm_path_destroy(struct vm_path *v);

/* The userfaultfd peer: a handler thread serving a process's missing pages from the file
 * with pread + UFFDIO_COPY. NULL with the reason in why when userfaultfd is not permitted.
 * The handler runs on handler_cpu (set_handler_cpu moves it), or anywhere when it is -1. */
struct uffd_peer;
/* A userfaultfd (close-on-exec), or -1 with the reason it is not available in why. */
int uffd_open(char *why, size_t whylen);
struct uffd_peer *uffd_peer_create(int fd, uint32_t pages, char *why, size_t whylen);
void uffd_peer_set_handler_cpu(struct uffd_peer *u, int cpu);
void uffd_peer_run(struct uffd_peer *u, const struct workload *w, struct measurement *m);
const uint8_t *uffd_peer_region(const struct uffd_peer *u);
void uffd_peer_destroy(struct uffd_peer *u);

/* The limit: pread of the same units into the same kind of destination, nothing else. */
struct pread_peer;
struct pread_peer *pread_peer_create(int fd, uint32_t pages);
void pread_peer_run(struct pread_peer *p, const struct workload *w, struct measurement *m);
const uint8_t *pread_peer_region(const struct pread_peer *p);
void pread_peer_clear(struct pread_peer *p);
void pread_peer_destroy(struct pread_peer *p);

/* Results, for the table and the JSON file. The userfaultfd peer runs with its handler on
 * the faulting thread's CPU and on another one; the table takes the faster by median (never
 * the slower: the peer is not tuned down). */
enum engine { ENGINE_VM, ENGINE_UFFD_SAME_CPU, ENGINE_UFFD_OTHER_CPU, ENGINE_PREAD, ENGINES };

#define RUNS_MAX 31

/* Every timed run of one engine over one row, in run order: run r of every engine ran in the
 * same turn, so ratios are taken run by run. */
struct engine_result {
    const char *unavailable;        /* NULL when measured, else why not */
    double pages_per_sec[RUNS_MAX];
    double exits_per_page[RUNS_MAX]; /* VM exits (pagevisor) or faults (userfaultfd) per page */
    double run_us_per_page[RUNS_MAX];     /* pagevisor: time inside KVM_RUN */
    double service_us_per_page[RUNS_MAX]; /* pagevisor: time serving hypercalls */
};

struct bench_row {
    const char *pattern;
    uint32_t cluster;
    size_t requests;          /* hypercalls, faults or preads per run */
    uint32_t last_count;      /* pages of the last request (short where cluster does not divide) */
    struct engine_result e[ENGINES];
};

struct bench_info {
    uint32_t pages;
    unsigned runs;
    const char *file_dir;     /* where the pagefile lived */
    const char *where;        /* "directly on this host", "in the KVM runner VM ...", or NULL */
    const char *host;         /* the host the run was started from (--host), or NULL */
    double write_pages_per_sec; /* filling the pagefile through pagefile_io (no VM) */
    double exit_us, insn_ns;  /* vm_path_calibrate; 0 without KVM */
    int main_cpu, other_cpu;  /* where the measuring thread and the remote handler ran */
    char cpu[128], kernel[128], kvm[64], when[32];
};

void bench_info_fill_machine(struct bench_info *info);

/* A number for option opt from 1 to max, or exit with a message (util.c). */
/* The median of v[0..n) (the mean of the middle two for an even n), and its range. */
double bench_median(const double *v, unsigned n, double *lo, double *hi);
unsigned long bench_number(const char *opt, const char *text, unsigned long max);

/* A figure and its spread over runs: min, median, max. */
struct bench_range {
    double lo, med, hi;
};
enum bench_kind {
    BENCH_RATE,   /* per second: at most 3 significant digits, thousands grouped */
    BENCH_RATIO,  /* at most 2 decimals, "x" after it */
    BENCH_MICROS, /* times: at most 3 significant digits, at most 2 decimals */
};
/* "87,600 (84,100-90,300)": the median (min-max), rounded no finer than a tenth of the
 * spread's leading digit; one number where the rounded min and max agree (util.c). */
void bench_fmt_range(char *out, size_t len, struct bench_range r, enum bench_kind k);
/* v rounded to the unit u (1, 0.01, 1000...), thousands grouped when no decimals are left. */
void bench_fmt_number(char *out, size_t len, double v, double u);
/* s as a JSON string, quotes included (util.c). */
void bench_json_string(FILE *out, const char *s);
void report_table(FILE *out, const struct bench_info *info, const struct bench_row *rows,
                  size_t nrows);
void report_json(FILE *out, const struct bench_info *info, const struct bench_row *rows,
                 size_t nrows);

/* The target: the host path serves pages at least this many times faster than the
 * userfaultfd peer. */
#define TARGET_VS_UFFD 5.0

#endif /* BENCH_BENCH_H */
