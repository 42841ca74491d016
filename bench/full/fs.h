/*
 * fs.h - the full-system benchmark (build/bench/full-system): demand-zero faults and pagefile
 * page-ins of the real pagevisor guest, measured side by side with Linux's own demand-zero
 * faults and userfaultfd handlers on the same kernel. One static program runs it all, where
 * KVM can run 32-bit paged guests: directly on a host that can, else inside the KVM runner VM
 * (bench/full-system.sh decides). It prints the table and writes it as JSON.
 */
#ifndef BENCH_FS_H
#define BENCH_FS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "pv_abi.h"

#define FS_RUNS_MAX   31
#define FS_REASONS    32   /* distinct KVM exit reasons kept per run */

/* ------------------------------------------------------------------ pagevisor guest runs */

/* The VM exits KVM took while a guest loop ran, by exit reason (as the kvm_exit tracepoint
 * names them), and how many of them went out to the VMM (kvm_userspace_exit). */
struct kvm_exits {
    unsigned n;
    struct { char reason[24]; uint64_t count; } r[FS_REASONS];
    uint64_t to_user;
};
uint64_t kvm_exits_total(const struct kvm_exits *k);

/* Tracing KVM's exits (root only) in a tracefs instance of its own (the system's tracing is
 * left alone): 0, or -1 with the reason in why. Open makes it, with the trace clock on the TSC
 * and kvm_exit, kvm_userspace_exit and kvm_write_tsc_offset enabled; close removes it. Clear
 * before a run; count after it, between two guest TSC values. */
int kvm_tracer_open(char *why, size_t whylen);
void kvm_tracer_clear(void);
int kvm_tracer_count(uint64_t guest_start, uint64_t guest_end, struct kvm_exits *k, char *why,
                     size_t whylen);
void kvm_tracer_close(void);

/* One run of `pagevisor run` with one bench image. */
struct pv_run {
    int status;                 /* pagevisor's exit status (-1: not run) */
    double wall_seconds;        /* the whole run, seen from here (boot, load, exit) */
    bool have_line;             /* the image printed its "pvbench" line */
    uint64_t cycles;            /* TSC cycles of the timed pass */
    uint64_t tsc_start, tsc_end;  /* the guest's TSC at its start and end */
    uint64_t fill_cycles;       /* bench-pagein: the fill */
    uint32_t pages, faults, bad, prefault, available;
    uint32_t kinds[PV_FAULT_RESOLUTION_MAX];      /* faults of the timed pass by kind */
    uint32_t fill_faults, fill_kinds[PV_FAULT_RESOLUTION_MAX];
    /* Counting runs only: the "# statistics:" line of the trace, and KVM's exit counts. */
    bool have_stats;
    double faults_total, vm_exits, hypercalls;
    double kinds_total[PV_FAULT_RESOLUTION_MAX];
    double pf_pages_read, pf_read_calls, pf_pages_written, pf_write_calls, image_page_reads;
    double ram_backed_kib;      /* guest RAM the host backed at the end (mincore) */
    bool have_kvm_exits;
    struct kvm_exits kvm;       /* during the timed pass */
    char kvm_why[160];          /* why not, when !have_kvm_exits */
    char why[512];              /* what went wrong, when the run did not give its line */
};

struct pv_env {
    const char *pagevisor, *kernel, *images, *tmpdir;
    unsigned timeout;
    bool count_kvm_exits;
    const char *const *pv_args;  /* more `pagevisor run` options (NULL-ended), or NULL */
};

/* Run IMAGE (a file name under env->images) with args; count: also --trace the run (for its
 * statistics) and count KVM's exits around it. */
void pv_run(const struct pv_env *env, const char *mem, const char *image,
            const char *const *args, bool count, struct pv_run *r);

/* -------------------------------------------------------------------------------- peers */

struct peer_sample {
    double seconds;      /* the touch loop, wall clock */
    uint64_t faults;     /* page faults of the process during the loop (minor + major);
                          * the swap peer: major faults (swap-ins that read the device) */
    uint64_t events;     /* userfaultfd events served; the swap peer: minor faults (pages
                          * its readahead had brought into the swap cache) */
    uint32_t resident;   /* the swap peer: pages MADV_PAGEOUT left in memory */
};

/* Linux's own demand-zero faults: touch (write) every page of a fresh anonymous mapping. */
void linux_dz_run(uint32_t pages, struct peer_sample *s);

/* A userfaultfd handler thread serving zero pages to the touching thread: UFFDIO_ZEROPAGE
 * (the write then also takes Linux's copy-on-write fault of the zero page) or UFFDIO_COPY
 * from a zeroed page. NULL with the reason when userfaultfd is not available. */
enum uffd_zero_mode { UFFD_ZEROPAGE, UFFD_COPY_ZEROS };
struct uffd_zero;
struct uffd_zero *uffd_zero_create(uint32_t pages, enum uffd_zero_mode mode, char *why,
                                   size_t whylen);
/* Touch the first pages (at most the pages it was created with), each missing again. */
void uffd_zero_run(struct uffd_zero *u, uint32_t pages, struct peer_sample *s);
void uffd_zero_destroy(struct uffd_zero *u);

/* Linux's swap-in (fs_swap.c): format DEV as swap and swap on it (root), room for PAGES pages
 * twice over; 0, or -1 with the reason. Set vm.page-cluster so readahead reads at most PAGES
 * pages (a power of two: the smallest not below it, returned). Run: fill PAGES pages, push them
 * out with MADV_PAGEOUT, read them back in bench-pagein's order (-1 with the reason when the
 * kernel would not push them out). Close: swap off, vm.page-cluster as it was. */
int swap_peer_open(const char *dev, uint32_t pages, char *why, size_t whylen);
/* A loop device over a new (unlinked) file in DIR, big enough to swap PAGES pages on twice:
 * its path in dev; 0, or -1 with the reason. swap_peer_close detaches it. */
int swap_loop_create(const char *dir, uint32_t pages, char *dev, size_t devlen, char *why,
                     size_t whylen);
unsigned swap_peer_set_cluster(unsigned pages);
int swap_peer_run(uint32_t pages, bool random, struct peer_sample *s, char *why, size_t whylen);
void swap_peer_close(void);

/* Write TEXT to a control file (tracefs, cgroupfs, procfs) in one write(2): 0, or -1 with
 * errno. */
int fs_write_file(const char *path, const char *text, bool truncate);

/* The time stamp counter, and its rate measured against CLOCK_MONOTONIC_RAW. */
uint64_t fs_rdtsc(void);
double fs_tsc_hz(unsigned ms);
double fs_now(void);   /* seconds, CLOCK_MONOTONIC_RAW */

/* ------------------------------------------------------------------------------ results */

/* Demand zero, warm and cold (cold also with guest RAM on the host's huge pages, --thp
 * always); page-ins sequential and random with read-ahead at most 1, 4 or
 * 16 pages on both sides: the guest's pv.readaroundmax (its default is 16, starting at 3 and
 * doubling on sequential faults), Linux's vm.page-cluster (its window adapts the same way). */
enum fs_row { ROW_DZ_WARM, ROW_DZ_COLD, ROW_DZ_COLD_THP,
              ROW_PAGEIN_SEQ_1, ROW_PAGEIN_RANDOM_1, ROW_PAGEIN_SEQ_4, ROW_PAGEIN_RANDOM_4,
              ROW_PAGEIN_SEQ_16, ROW_PAGEIN_RANDOM_16, FS_ROWS };
#define FS_PAGEIN_ROWS 6
/* Linux's swap-in for each page-in row, in the same order (PEER_SWAP_SEQ_1 + row - first). */
enum fs_peer { PEER_LINUX_DZ, PEER_UFFD_ZEROPAGE, PEER_UFFD_COPY, PEER_UFFD_FILE_SEQ,
               PEER_UFFD_FILE_RANDOM,
               PEER_SWAP_SEQ_1, PEER_SWAP_RANDOM_1, PEER_SWAP_SEQ_4, PEER_SWAP_RANDOM_4,
               PEER_SWAP_SEQ_16, PEER_SWAP_RANDOM_16, FS_PEERS };

static inline bool fs_row_is_pagein(int r) { return r >= ROW_PAGEIN_SEQ_1; }
static inline bool fs_row_is_random(int r) { return fs_row_is_pagein(r) && (r - ROW_PAGEIN_SEQ_1) % 2; }
/* The most a page-in row's reads may bring in (its read-ahead window at most). */
static inline unsigned fs_row_cluster(int r)
{
    static const unsigned c[] = { 1, 4, 16 };
    return fs_row_is_pagein(r) ? c[(r - ROW_PAGEIN_SEQ_1) / 2] : 0;
}

/* Min, median and max of a set of samples (rates, ratios). */
struct fs_stat { double lo, med, hi; };

struct fs_peer_result {
    const char *unavailable;
    uint32_t pages;
    unsigned cluster;              /* the swap peer: readahead window at most this many pages */
    double per_sec, spread;        /* pages (= faults served) per second, median run */
    struct fs_stat rate;           /* per second: min, median, max of the rounds */
    double resident;               /* the swap peer: pages left in memory, most of any run */
    double faults_per_page;        /* page faults of the process per page */
    double events_per_page;        /* userfaultfd events per page */
};

struct fs_row_result {
    const char *unavailable;       /* NULL when measured */
    uint32_t pages;
    const char *mem;
    /* The timed pass, median run by the guest's TSC. */
    double seconds, per_sec, spread;
    struct fs_stat rate;                          /* per second: min, median, max of the runs */
    double faults_per_page;                       /* all faults of the timed pass per page */
    uint32_t faults, kinds[PV_FAULT_RESOLUTION_MAX];
    /* The cross-check from outside: whole runs minus their baselines, round by round; the
     * rate only when that difference stands out of the baselines' spread (0 otherwise). */
    double host_diff_seconds, host_noise_seconds, host_timed_per_sec;
    /* Ratios of rates, round by round (the engines ran side by side); med 0: none.
     * vs_peer: against the row's own peer (peer): Linux's demand zero for warm frames, the
     * faster userfaultfd zero-page server for cold ones, Linux's swap-in at the same cluster
     * for page-ins; vs_uffd: page-ins of one page per fault against userfaultfd from a file. */
    struct fs_stat vs_peer, vs_uffd;
    int peer, uffd_peer;           /* enum fs_peer; uffd_peer -1: none */
    /* Counting runs minus their baselines: what the timed pass cost the host, by pagevisor's
     * counters (the whole runs differ by the loop alone). */
    bool have_counts;
    uint32_t count_loop_faults;    /* the loop's faults in the counting run, by the guest */
    double d_faults, d_kinds[PV_FAULT_RESOLUTION_MAX];
    double d_vm_exits, d_hypercalls, d_pf_pages_read, d_pf_read_calls, d_pf_pages_written,
           d_pf_write_calls;
    double ram_backed_kib;         /* guest RAM the host backed after the counting run */
    bool have_kvm;
    struct kvm_exits kvm;          /* KVM's exits during the loop (counting run) */
    char kvm_why[160];
};

struct fs_info {
    char when[32], where[256], host[256], cpu[128], kernel[128], kvm[32];
    double tsc_hz_start, tsc_hz_end, tsc_hz;
    unsigned runs;
    double elapsed;
    bool tsc_inconsistent;
    char kvm_why[256];
};

void fs_report_table(FILE *out, const struct fs_info *info, const struct fs_row_result *rows,
                     const struct fs_peer_result *peers);
void fs_report_json(FILE *out, const struct fs_info *info, const struct fs_row_result *rows,
                    const struct fs_peer_result *peers);

/* The targets. */
#define TARGET_DZ_EXITS_PER_FAULT 0.01   /* demand-zero (and soft) faults: under this */
#define TARGET_EXITS_PER_CLUSTER  1.0    /* page-ins: one exit per cluster read */

#endif /* BENCH_FS_H */
