/* options.c - parsing `pagevisor run` options and image lists. */
#include "options.h"

#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "guest_mem.h"
#include "pagefile.h"
#include "prefix.h"

const char run_usage[] =
    "usage: pagevisor run [OPTIONS] IMAGE [ARGS...] [-- IMAGE [ARGS...]]...\n"
    "  --mem SIZE          guest RAM (default 16M; 2M to 1G; suffixes K, M, G)\n"
    "  --kernel PATH       guest kernel (default: guest/kernel.elf beside pagevisor)\n"
    "  --cmdline TEXT      guest kernel command line\n"
    "  --3gb               3 GB user space: /3GB on the kernel command line and the kernel\n"
    "                      linked above 0xC0800000 (default: guest/kernel-3gb.elf)\n"
    "  --timeout SECONDS   stop a guest that runs longer (default 120; 0 = no limit)\n"
    "  --runner MODE       auto, never or always: run inside the KVM runner VM when this\n"
    "                      host's KVM cannot run 32-bit paged guests (default auto)\n"
    "  --pagefile PATH     keep the pagefile at PATH (default: an unlinked temporary file)\n"
    "  --pagefile-size SIZE  pagefile size (default 64M)\n"
    "  --inject-pagefile-errors SPEC  make chosen pagefile reads or writes fail, e.g.\n"
    "                      read:nth=3, write:slots=5,9-12, rw:rate=0.01,seed=7 (repeatable)\n"
    "  --trace FILE        write one record per guest page fault to FILE\n"
    "  --trace-format FMT  text (default), jsonl, or chrome (opens in Perfetto)\n"
    "  --stats             print faults by kind, pagefile traffic and VM exits at exit\n"
    "  --verbose           show the guest kernel's log, the VMM's own lines and --stats\n"
    "  --parallel          start all the images at once (processes run concurrently)\n"
    "  --child IMAGE       load IMAGE without starting it: a process starts it as its child\n"
    "                      (PvCreateProcess by name; repeatable)\n"
    "Images run one after another, each in its own process; a lone -- separates them.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "pagevisor run: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n(see pagevisor run --help)\n");
    return -1;
}

/* --3gb: NT's boot.ini switch goes first on the kernel command line. */
static int add_3gb_switch(struct run_options *o)
{
    if (asprintf(&o->cmdline_owned, "/3GB%s%s", o->cmdline[0] ? " " : "", o->cmdline) < 0) {
        o->cmdline_owned = NULL;
        return usage_error("%s", "out of memory");
    }
    o->cmdline = o->cmdline_owned;
    return 0;
}

static int parse_images(int argc, char **argv, int first, struct run_options *o, size_t extra)
{
    o->images = calloc((size_t)(argc - first) + 1 + extra, sizeof(*o->images));
    if (!o->images)
        return usage_error("%s", "out of memory");
    for (int i = first; i < argc;) {
        if (strcmp(argv[i], "--") == 0) {
            i++;
            continue;
        }
        struct image_spec *img = &o->images[o->nimages++];
        img->path = argv[i++];
        img->args = &argv[i];
        while (i < argc && strcmp(argv[i], "--") != 0) {
            i++;
            img->nargs++;
        }
    }
    if (o->nimages == 0) {
        run_options_free(o);
        return usage_error("%s", "no IMAGE given");
    }
    return 0;
}

int run_options_parse(int argc, char **argv, struct run_options *o)
{
    static const struct option longopts[] = {
        { "mem", required_argument, 0, 'm' },
        { "kernel", required_argument, 0, 'k' },
        { "3gb", no_argument, 0, '3' },
        { "cmdline", required_argument, 0, 'c' },
        { "timeout", required_argument, 0, 't' },
        { "runner", required_argument, 0, 'r' },
        { "verbose", no_argument, 0, 'v' },
        { "stats", no_argument, 0, 's' },
        { "trace", required_argument, 0, 'T' },
        { "pagefile", required_argument, 0, 'P' },
        { "pagefile-size", required_argument, 0, 'S' },
        { "inject-pagefile-errors", required_argument, 0, 'I' },
        { "trace-format", required_argument, 0, 'F' },
        { "parallel", no_argument, 0, 'p' },
        { "child", required_argument, 0, 'C' },
        { "help", no_argument, 0, 'h' },
        { 0, 0, 0, 0 },
    };
    const char *children[PV_MAX_CHILD_IMAGES];
    size_t nchildren = 0;
    memset(o, 0, sizeof(*o));
    o->mem = PV_DEFAULT_MEM;
    o->timeout = PV_DEFAULT_TIMEOUT;
    o->pagefile_size = PV_DEFAULT_PAGEFILE;
    o->cmdline = "";
    o->runner = RUNNER_AUTO;
    optind = 1;
    opterr = 0;
    int c;
    /* "+": stop at the first image path, so an image's own options stay its own. */
    while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
        char *end;
        switch (c) {
        case 'm':
            if (parse_size(optarg, &o->mem) || o->mem < (2u << 20) || o->mem > PV_MAX_MEM ||
                (o->mem & 0xFFF))
                return usage_error("--mem %s: need a page-aligned size from 2M to 1G", optarg);
            break;
        case 'k': o->kernel = optarg; break;
        case '3': o->three_gb = true; break;
        case 'c': o->cmdline = optarg; break;
        case 't': {
            unsigned long t = strtoul(optarg, &end, 10);
            if (*optarg < '0' || *optarg > '9' || *end || t > 86400)
                return usage_error("--timeout %s: need whole seconds from 0 to 86400", optarg);
            o->timeout = (unsigned)t;
            break;
        }
        case 'r':
            if (strcmp(optarg, "auto") == 0) o->runner = RUNNER_AUTO;
            else if (strcmp(optarg, "never") == 0) o->runner = RUNNER_NEVER;
            else if (strcmp(optarg, "always") == 0) o->runner = RUNNER_ALWAYS;
            else return usage_error("--runner %s: need auto, never or always", optarg);
            break;
        case 'v': o->verbose = true; break;
        case 's': o->stats = true; break;
        case 'T': o->trace_path = optarg; break;
        case 'P': o->pagefile_path = optarg; break;
        case 'S':
            if (parse_size(optarg, &o->pagefile_size) || o->pagefile_size < (8u << 10) ||
                o->pagefile_size > (4ull << 30) || (o->pagefile_size & 0xFFF))
                return usage_error("--pagefile-size %s: need a page-aligned size from 8K to 4G",
                                   optarg);
            break;
        case 'I': {
            char why[256];
            if (pagefile_inject(NULL, optarg, why, sizeof(why)) != 0) {
                fprintf(stderr, "pagevisor run: --inject-pagefile-errors %s: %s\n", optarg, why);
                return -1;
            }
            if (o->ninject == sizeof(o->inject) / sizeof(o->inject[0]))
                return usage_error("%s", "too many --inject-pagefile-errors options");
            o->inject[o->ninject++] = optarg;
            break;
        }
        case 'F':
            if (trace_format_parse(optarg, &o->trace_format))
                return usage_error("--trace-format %s: need text, jsonl or chrome", optarg);
            break;
        case 'p': o->parallel = true; break;
        case 'C':
            if (nchildren == PV_MAX_CHILD_IMAGES)
                return usage_error("%s", "too many --child images");
            children[nchildren++] = optarg;
            break;
        case 'h': fputs(run_usage, stdout); exit(0);
        default:
            return usage_error("unknown or incomplete option %s", argv[optind - 1]);
        }
    }
    if (o->three_gb && add_3gb_switch(o) != 0)
        return -1;
    if (parse_images(argc, argv, optind, o, nchildren) != 0)
        return -1;
    o->nstart = o->nimages;
    for (size_t i = 0; i < nchildren; i++)
        o->images[o->nimages++] = (struct image_spec){ .path = children[i], .child = true };
    return 0;
}

char *guest_cmdline(const struct run_options *o)
{
    char *s;
    char start[48] = "";
    if (o->nstart < o->nimages)
        snprintf(start, sizeof(start), " pv.startimages=%zu", o->nstart);
    if (asprintf(&s, "%s%s%s", o->cmdline, o->parallel ? " pv.parallel" : "", start) < 0)
        return NULL;
    return s;
}

void run_options_free(struct run_options *o)
{
    free(o->cmdline_owned);
    o->cmdline_owned = NULL;
    o->cmdline = "";
    free(o->images);
    o->images = NULL;
    o->nimages = 0;
}

char *image_cmdline(const struct image_spec *img)
{
    size_t len = strlen(img->path) + 1;
    for (int i = 0; i < img->nargs; i++) {
        if (img->args[i][0] == '\0' || strpbrk(img->args[i], " \t\n\r"))
            return NULL;
        len += strlen(img->args[i]) + 1;
    }
    if (strpbrk(img->path, " \t\n\r"))
        return NULL;
    char *s = malloc(len);
    if (!s)
        return NULL;
    strcpy(s, img->path);
    for (int i = 0; i < img->nargs; i++) {
        strcat(s, " ");
        strcat(s, img->args[i]);
    }
    return s;
}

const char *default_kernel_path(bool three_gb)
{
    static struct pv_piece_where w;
    if (pv_piece_locate_self(three_gb ? PV_PIECE_KERNEL_3GB : PV_PIECE_KERNEL, &w) != 0)
        snprintf(w.path, sizeof(w.path), "build/guest/%s",
                 three_gb ? "kernel-3gb.elf" : "kernel.elf");
    return w.path;
}

const char *run_kernel_path(const struct run_options *o)
{
    return o->kernel ? o->kernel : default_kernel_path(o->three_gb);
}
