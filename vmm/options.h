/*
 * options.h - the command line of `pagevisor run`: options, then one or more images, each with
 * its own arguments, separated by a lone "--".
 */
#ifndef PV_OPTIONS_H
#define PV_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "guest_mem.h"
#include "trace.h"

#define PV_DEFAULT_MEM     (16u << 20)
#define PV_MAX_MEM         (1024u << 20)
#define PV_DEFAULT_TIMEOUT 120u
#define PV_DEFAULT_PAGEFILE (64u << 20)
#define PV_MAX_CHILD_IMAGES 16

enum runner_mode { RUNNER_AUTO, RUNNER_NEVER, RUNNER_ALWAYS };

struct image_spec {
    const char *path;
    const char *name;  /* what messages call it: the path as the user gave it (see --name) */
    char **args;     /* arguments after the path (not NUL-terminated list; use nargs) */
    int nargs;
    bool child;      /* --child: loaded for PvCreateProcess, not started */
};

struct run_options {
    uint64_t mem;
    const char *kernel;      /* NULL: the kernel built beside the pagevisor binary */
    const char *cmdline;     /* kernel command line, "" if none (with --3gb: "/3GB ...") */
    bool three_gb;           /* --3gb: /3GB on the command line, the kernel linked for it */
    char *cmdline_owned;     /* what cmdline points at when --3gb built it */
    unsigned timeout;        /* seconds, 0 = none */
    bool verbose;
    bool stats;              /* --stats: print the run's counters at exit */
    const char *trace_path;  /* --trace FILE, NULL for none */
    const char *pagefile_path;   /* --pagefile PATH, NULL: an unlinked temporary file */
    uint64_t pagefile_size;      /* --pagefile-size, bytes */
    const char *inject[16];      /* --inject-pagefile-errors SPEC, each as given */
    size_t ninject;
    enum trace_format trace_format;
    enum runner_mode runner;
    bool parallel;           /* --parallel: start the images at once */
    enum vm_thp thp;         /* --thp: how the host backs guest RAM */
    bool inspect_on_exit;    /* --inspect-on-exit: !vm and !memusage when the guest stops */
    const char *inspect[16]; /* --inspect CMD, as given (repeatable; implies inspect_on_exit) */
    size_t ninspect;
    const char *volume_path; /* --volume HOSTDIR: the guest's C:, NULL for none */
    const char *gdb;         /* --gdb PORT|PATH: where a debugger attaches, NULL for none */
    bool gdb_wait;           /* --gdb-wait: the guest waits at its entry for the debugger */
    const char *kernel_name;     /* what messages call these files: the user's paths (--name) */
    const char *trace_name;
    const char *pagefile_name;
    const char *volume_name;
    const char *gdb_name;
    bool from_host;          /* --name given: a re-run inside the KVM runner for a host
                              * pagevisor, which has checked the command line already */
    const char **name_specs; /* --name WHAT=PATH as given, resolved once the images are known */
    size_t nname_specs;
    struct image_spec *images;   /* the images to start, then the --child ones */
    size_t nimages;
    size_t nstart;           /* how many of images start (the rest are children) */
};

/* The kernel command line the run gives the guest: --cmdline's text plus what --parallel and
 * --child ask of the kernel. Caller frees; NULL when out of memory. */
char *guest_cmdline(const struct run_options *o);

/* Parses argv of `pagevisor run` (argv[0] = "run"). On error prints one line to stderr and
 * returns -1; the caller exits with PV_EXIT_USAGE. */
int run_options_parse(int argc, char **argv, struct run_options *o);
void run_options_free(struct run_options *o);

/* "PATH ARG..." as the module's Multiboot command line, PATH the image's name (else its path);
 * NULL when an argument cannot be represented (whitespace). Caller frees. */
char *image_cmdline(const struct image_spec *img);

/* The guest kernel beside this executable (DIR/guest/kernel.elf for DIR/pagevisor in the build
 * tree, PREFIX/lib/pagevisor/kernel.elf for PREFIX/bin/pagevisor; kernel-3gb.elf, the kernel
 * linked above 0xC0800000, for /3GB): see prefix.h. */
const char *default_kernel_path(bool three_gb);

/* The kernel a run boots: --kernel, else the default for its split. */
const char *run_kernel_path(const struct run_options *o);

/* What messages call the kernel: the path the user gave, or the default kernel's path. */
const char *run_kernel_name(const struct run_options *o);

/* Warnings about the pv.* words of a kernel command line: a key the guest kernel does not
 * know (shared/pv_cmdline.h), a flag given a value, a number that is no number or lies
 * outside the kernel's range, a choice it does not have. One line each to out, starting
 * "pagevisor run: warning: "; returns how many. */
int cmdline_warnings(const char *cmdline, FILE *out);

extern const char run_usage[];

#endif /* PV_OPTIONS_H */
