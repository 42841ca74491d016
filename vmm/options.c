/* options.c - parsing `pagevisor run` options and image lists. */
#include "mm_inspect.h"
#include "options.h"

#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "gdb_conn.h"
#include "guest_mem.h"
#include "pagefile.h"
#include "prefix.h"
#include "pv_cmdline.h"

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
    "                      read:nth=3, write:slots=5,9-12, rw:rate=0.01,seed=7 (repeatable);\n"
    "                      ',as=enospc' on a write rule: the write finds the disk full\n"
    "  --trace FILE        write one record per guest page fault to FILE\n"
    "  --trace-format FMT  text (default), jsonl, or chrome (opens in Perfetto); needs --trace\n"
    "  --stats             print faults by kind, pagefile traffic, VM exits and where the\n"
    "                      time went (VMM set-up, guest boot, images, exit, teardown) at exit\n"
    "  --verbose           show the guest kernel's log, the VMM's own lines and --stats\n"
    "  --parallel          start all the images at once (processes run concurrently)\n"
    "  --child IMAGE       load IMAGE without starting it: a process starts it as its child\n"
    "                      (PvCreateProcess by name; repeatable)\n"
    "  --volume HOSTDIR    the guest's volume C: is the directory HOSTDIR (its files only;\n"
    "                      names cannot leave it); what the guest writes stays there\n"
    "  --thp MODE          back guest RAM with the host's huge pages: system (default: as\n"
    "                      /sys/kernel/mm/transparent_hugepage says), always, never\n"
    "  --inspect-on-exit   when the guest stops (and on SIGUSR1), print its memory manager's\n"
    "                      state as WinDbg's !vm, !memusage and !process 0 0 would, read\n"
    "                      from guest RAM by the host\n"
    "  --inspect CMD       run CMD there instead (repeatable): !vm, !memusage, !process 0 0\n"
    "                      or 0 1, !pte VA, !pfn N, !vad [EPROCESS], !ws [EPROCESS] (hex)\n"
    "  --gdb PORT|PATH     serve the GDB remote protocol on 127.0.0.1:PORT or a Unix socket\n"
    "                      at PATH (through the KVM runner too): registers, memory through\n"
    "                      the guest's page tables, breakpoints, watchpoints, steps, and\n"
    "                      `monitor !pte VA` and the other --inspect commands\n"
    "  --gdb-wait          hold the guest at the kernel's entry until gdb continues it\n"
    "Images run one after another, each in its own process; a lone -- separates them.\n"
    "Before anything boots, the kernel and every image must be a static i386 ELF executable,\n"
    "the --trace and --pagefile paths writable and --volume a directory you can read and\n"
    "write; otherwise the run stops with status 118.\n"
    "--trace /dev/stdout (or /dev/stderr, a pipe, a FIFO) works, through the runner too.\n";

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

static int resolve_names(struct run_options *o);

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
        { "volume", required_argument, 0, 'V' },
        { "thp", required_argument, 0, 'H' },
        { "inspect-on-exit", no_argument, 0, 'X' },
        { "inspect", required_argument, 0, 'x' },
        { "gdb", required_argument, 0, 'g' },
        { "gdb-wait", no_argument, 0, 'W' },
        { "help", no_argument, 0, 'h' },
        /* Internal: --name WHAT=PATH, WHAT one of kernel, trace, pagefile, imageN (N counting
         * from 0 in the order of o->images): what messages call that file. The KVM runner
         * path passes the user's paths so that messages from inside the VM name them so. */
        { "name", required_argument, 0, 'N' },
        { 0, 0, 0, 0 },
    };
    const char *children[PV_MAX_CHILD_IMAGES];
    size_t nchildren = 0;
    bool format_given = false;
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
            format_given = true;
            break;
        case 'N': {
            const char **v = realloc(o->name_specs, (o->nname_specs + 1) * sizeof(*v));
            if (!v)
                return usage_error("%s", "out of memory");
            o->name_specs = v;
            o->name_specs[o->nname_specs++] = optarg;
            o->from_host = true;
            break;
        }
        case 'p': o->parallel = true; break;
        case 'X': o->inspect_on_exit = true; break;
        case 'x': {
            char why[256];
            if (!mm_inspect_command_valid(optarg, why, sizeof(why))) {
                fprintf(stderr, "pagevisor run: --inspect: %s\n", why);
                return -1;
            }
            if (o->ninspect == sizeof(o->inspect) / sizeof(o->inspect[0]))
                return usage_error("%s", "too many --inspect commands");
            o->inspect[o->ninspect++] = optarg;
            o->inspect_on_exit = true;
            break;
        }
        case 'H':
            if (strcmp(optarg, "system") == 0) o->thp = VM_THP_SYSTEM;
            else if (strcmp(optarg, "always") == 0) o->thp = VM_THP_ALWAYS;
            else if (strcmp(optarg, "never") == 0) o->thp = VM_THP_NEVER;
            else return usage_error("--thp %s: need system, always or never", optarg);
            break;
        case 'V': o->volume_path = optarg; break;
        case 'g': {
            unsigned port;
            if (!*optarg || (gdb_spec_port(optarg, &port) && (port == 0 || port > 65535)))
                return usage_error("--gdb %s: need a TCP port (1-65535, on 127.0.0.1) or a path "
                                   "(a Unix socket to create, or a character device)", optarg);
            o->gdb = optarg;
            break;
        }
        case 'W': o->gdb_wait = true; break;
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
    if (format_given && !o->trace_path) {
        run_options_free(o);
        return usage_error("%s", "--trace-format needs --trace FILE");
    }
    if (o->gdb_wait && !o->gdb)
        return usage_error("%s", "--gdb-wait needs --gdb PORT|PATH");
    if (o->three_gb && add_3gb_switch(o) != 0)
        return -1;
    if (parse_images(argc, argv, optind, o, nchildren) != 0)
        return -1;
    o->nstart = o->nimages;
    for (size_t i = 0; i < nchildren; i++)
        o->images[o->nimages++] = (struct image_spec){ .path = children[i], .child = true };
    o->trace_name = o->trace_path;
    o->pagefile_name = o->pagefile_path;
    o->volume_name = o->volume_path;
    o->gdb_name = o->gdb;
    for (size_t i = 0; i < o->nimages; i++)
        o->images[i].name = o->images[i].path;
    return resolve_names(o);
}

/* --name WHAT=PATH, once the images are known. */
static int resolve_names(struct run_options *o)
{
    for (size_t i = 0; i < o->nname_specs; i++) {
        const char *spec = o->name_specs[i], *eq = strchr(spec, '=');
        size_t n = eq ? (size_t)(eq - spec) : 0;
        char *end;
        unsigned long idx;
        if (!eq || !eq[1])
            ;
        else if (n == 6 && strncmp(spec, "kernel", 6) == 0)
            o->kernel_name = eq + 1;
        else if (n == 5 && strncmp(spec, "trace", 5) == 0)
            o->trace_name = eq + 1;
        else if (n == 8 && strncmp(spec, "pagefile", 8) == 0)
            o->pagefile_name = eq + 1;
        else if (n == 6 && strncmp(spec, "volume", 6) == 0)
            o->volume_name = eq + 1;
        else if (n == 3 && strncmp(spec, "gdb", 3) == 0)
            o->gdb_name = eq + 1;
        else if (n > 5 && strncmp(spec, "image", 5) == 0 && spec[5] >= '0' && spec[5] <= '9' &&
                 (idx = strtoul(spec + 5, &end, 10)) < o->nimages && end == eq)
            o->images[idx].name = eq + 1;
        else
            eq = NULL;
        if (!eq) {
            run_options_free(o);
            return usage_error("--name %s: need kernel, trace, pagefile, volume, gdb or imageN=PATH", spec);
        }
    }
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
    free(o->name_specs);
    o->name_specs = NULL;
    o->nname_specs = 0;
}

char *image_cmdline(const struct image_spec *img)
{
    /* The user's name for it: inside the KVM runner the guest sees what it would see here. */
    const char *path = img->name ? img->name : img->path;
    size_t len = strlen(path) + 1;
    for (int i = 0; i < img->nargs; i++) {
        if (img->args[i][0] == '\0' || strpbrk(img->args[i], " \t\n\r"))
            return NULL;
        len += strlen(img->args[i]) + 1;
    }
    if (strpbrk(path, " \t\n\r"))
        return NULL;
    char *s = malloc(len);
    if (!s)
        return NULL;
    strcpy(s, path);
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

const char *run_kernel_name(const struct run_options *o)
{
    return o->kernel_name ? o->kernel_name : run_kernel_path(o);
}

/* The kernel's reading of a number (KiQueryCommandLineValue): decimal or 0x-hexadecimal digits
 * to the end of the word. -1 when it would ignore the word, 1 when the value wraps 32 bits. */
static int kernel_number(const char *s, size_t len, uint64_t *value)
{
    unsigned base = 10;
    size_t i = 0, digits = 0;
    *value = 0;
    if (len >= 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        i = 2;
    }
    for (; i < len; i++, digits++) {
        unsigned d;
        if (s[i] >= '0' && s[i] <= '9')
            d = (unsigned)(s[i] - '0');
        else if (base == 16 && s[i] >= 'a' && s[i] <= 'f')
            d = (unsigned)(s[i] - 'a' + 10);
        else if (base == 16 && s[i] >= 'A' && s[i] <= 'F')
            d = (unsigned)(s[i] - 'A' + 10);
        else
            return -1;
        *value = *value * base + d;
        if (*value > 0xFFFFFFFFu)
            *value = 0x100000000ull; /* stays above the limit */
    }
    return digits == 0 ? -1 : *value > 0xFFFFFFFFu;
}

struct pv_key {
    const char *name;
    int kind;
    uint32_t min, max;
    const char *choices;
};

#define PV_KEY_ENTRY(name, kind, min, max, choices) { name, kind, min, max, choices },
static const struct pv_key pv_keys[] = { PV_CMDLINE_KEYS(PV_KEY_ENTRY) };

static bool has_choice(const char *choices, const char *word, size_t len)
{
    for (const char *c = choices; *c;) {
        size_t n = strcspn(c, " ");
        if (n == len && strncmp(c, word, len) == 0)
            return true;
        c += n;
        c += strspn(c, " ");
    }
    return false;
}

static void warn(FILE *out, int *count, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void warn(FILE *out, int *count, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("pagevisor run: warning: --cmdline ", out);
    vfprintf(out, fmt, ap);
    fputc('\n', out);
    va_end(ap);
    (*count)++;
}

int cmdline_warnings(const char *cmdline, FILE *out)
{
    int count = 0;
    for (const char *w = cmdline; *w;) {
        w += strspn(w, " \t");
        size_t len = strcspn(w, " \t");
        if (len == 0)
            break;
        const char *word = w;
        w += len;
        if (len < 3 || strncmp(word, "pv.", 3) != 0)
            continue;
        const char *eq = memchr(word, '=', len);
        size_t klen = eq ? (size_t)(eq - word) : len;
        const char *val = eq ? eq + 1 : NULL;
        size_t vlen = eq ? len - klen - 1 : 0;
        int wl = (int)len, kl = (int)klen;
        const struct pv_key *k = NULL;
        for (size_t i = 0; i < sizeof(pv_keys) / sizeof(pv_keys[0]); i++)
            if (strlen(pv_keys[i].name) == klen && strncmp(pv_keys[i].name, word, klen) == 0)
                k = &pv_keys[i];
        if (!k) {
            char known[512] = "";
            for (size_t i = 0; i < sizeof(pv_keys) / sizeof(pv_keys[0]); i++)
                snprintf(known + strlen(known), sizeof(known) - strlen(known), "%s%s",
                         i ? ", " : "", pv_keys[i].name);
            warn(out, &count, "%.*s: unknown key %.*s, which the guest kernel ignores (it knows "
                 "%s)", wl, word, kl, word, known);
            continue;
        }
        if (k->kind == PV_KEY_FLAG) {
            if (val)
                warn(out, &count, "%.*s: %s takes no value; the guest kernel ignores this word "
                     "(write %s)", wl, word, k->name, k->name);
            continue;
        }
        if (k->kind == PV_KEY_CHOICE) {
            if (!val || !has_choice(k->choices, val, vlen))
                warn(out, &count, "%.*s: the guest kernel ignores it (%s=WORD takes one of: %s)",
                     wl, word, k->name, k->choices);
            continue;
        }
        uint64_t v;
        int rc = val ? kernel_number(val, vlen, &v) : -1;
        if (rc < 0)
            warn(out, &count, "%.*s: %s needs a number (%s=N, decimal or 0x hexadecimal); the "
                 "guest kernel ignores this word", wl, word, k->name, k->name);
        else if (rc > 0)
            warn(out, &count, "%.*s: out of range %u-%u; above 32 bits, the guest kernel's "
                 "reading of it wraps", wl, word, k->min, k->max);
        else if (v < k->min || v > k->max)
            warn(out, &count, "%.*s: out of range %u-%u; the guest kernel uses %u instead", wl,
                 word, k->min, k->max, v < k->min ? k->min : k->max);
    }
    return count;
}
