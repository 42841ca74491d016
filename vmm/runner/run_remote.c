/*
 * run_remote.c - re-running `pagevisor run` inside the KVM runner VM.
 *
 * The kernel and the images are put into the VM under the runner's path mapping, and the
 * command is rebuilt with those paths and --runner never, so that the pagevisor inside (the
 * static twin of this one) runs the guest directly on the VM's own KVM. Our standard input is
 * its guest's console input: the runner's stdin relay brings it what the guest asks for, read
 * here the way a direct run reads it (console_input.c: a terminal switched on the first
 * request, Ctrl-D as the end). A --volume directory goes in as it is (symbolic links as links),
 * and what the run created or changed in it comes back packed (volume_sync.h) into it.
 */
#include "run_remote.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sys/stat.h>
#include <unistd.h>

#include "console_input.h"
#include "gdb_conn.h"
#include "preflight.h"
#include "pv_abi.h"
#include "runner.h"
#include "volume_sync.h"

/* Where the trace is written inside the VM: a link to the runner's live port, so that the
 * records reach --trace's path on the host as the run goes on. */
#define RUNNER_VM_TRACE "/tmp/pagevisor-trace"
/* A kept pagefile is written here inside the VM, packed (sparse_file.h) after the run into
 * RUNNER_VM_PAGEFILE_PACKED, and written back sparse to --pagefile's path: only the pages in it
 * cross, not its whole size. */
#define RUNNER_VM_PAGEFILE "/tmp/pagevisor-pagefile"
#define RUNNER_VM_PAGEFILE_PACKED RUNNER_VM_PAGEFILE ".packed"
/* The runner puts the static pagevisor here. */
#define RUNNER_VM_PAGEVISOR "/pv/bin/pagevisor"
/* The runner charges only the command's own run time to the timeout; allow for the VM's nested
 * KVM being slower than the guest's own limit assumes. */
#define RUNNER_TIME_ALLOWANCE 60u

/* --volume's copy inside the VM, and the files the run created or changed there, packed
 * (volume_sync.h) for the way back. */
#define RUNNER_VM_VOLUME "/pv/.volume"
#define RUNNER_VM_VOLUME_PACKED "/tmp/pagevisor-volume.packed"

/* With a kept pagefile or a volume the command runs under sh: the volume's files are marked
 * before it, and after it the pagefile and the volume are packed, whatever its status. */
#define STR_(x) #x
#define STR(x) STR_(x)
static const char volume_mark_script[] =
    RUNNER_VM_PAGEVISOR " volume-pack --mark " RUNNER_VM_VOLUME " || exit "
    STR(PV_EXIT_VMM_ERROR) "; ";
static const char run_script[] = "\"$@\"; s=$?; ";
static const char pagefile_pack_script[] =
    "if [ -e " RUNNER_VM_PAGEFILE " ]; then " RUNNER_VM_PAGEVISOR " sparse-pack "
    RUNNER_VM_PAGEFILE " " RUNNER_VM_PAGEFILE_PACKED " || s=" STR(PV_EXIT_VMM_ERROR) "; fi; ";
static const char volume_pack_script[] =
    RUNNER_VM_PAGEVISOR " volume-pack " RUNNER_VM_VOLUME " " RUNNER_VM_VOLUME_PACKED " || s="
    STR(PV_EXIT_VMM_ERROR) "; ";

struct argv_builder {
    char **v;
    size_t n, cap;
};

static int push(struct argv_builder *b, const char *s)
{
    if (b->n + 2 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 32;
        char **v = realloc(b->v, cap * sizeof(*v));
        if (!v)
            return -1;
        b->v = v;
        b->cap = cap;
    }
    b->v[b->n] = strdup(s);
    if (!b->v[b->n])
        return -1;
    b->v[++b->n] = NULL;
    return 0;
}

/* Pushes each string in order up to a NULL; stops at the first failure. */
static int push_all(struct argv_builder *b, ...)
{
    va_list ap;
    va_start(ap, b);
    int rc = 0;
    for (const char *s; rc == 0 && (s = va_arg(ap, const char *)) != NULL;)
        rc = push(b, s);
    va_end(ap);
    return rc;
}

static void free_argv(struct argv_builder *b)
{
    for (size_t i = 0; i < b->n; i++)
        free(b->v[i]);
    free(b->v);
}

/* Adds host_path as an input of the job and returns the path to name it by inside the VM.
 * The command runs in /pv there, so a relative path that maps to /pv/<path> is passed as it
 * was given, and messages from inside name files the way the user did. */
static const char *put(struct runner_file *files, size_t *nfiles, const char *host_path)
{
    char buf[4096];
    if (runner_vm_path(host_path, buf, sizeof(buf)) != 0) {
        fprintf(stderr, "pagevisor: %s: cannot map into the runner VM\n", host_path);
        return NULL;
    }
    char *vm_path = strdup(buf);
    if (!vm_path)
        return NULL;
    files[*nfiles].host_path = host_path;
    files[*nfiles].vm_path = vm_path;
    (*nfiles)++;
    if (strncmp(vm_path, "/pv/", 4) == 0 && strcmp(vm_path + 4, host_path) == 0)
        return host_path;
    return vm_path;
}

/* Where the pagevisor inside writes the trace: a trace to our standard output or error goes
 * to its own, which the runner relays to ours as the run goes; any other to RUNNER_VM_TRACE,
 * the link to the live port, whose bytes the runner writes to the user's path as they come. */
static const char *vm_trace_path(const struct run_options *o)
{
    switch (output_path_std_fd(o->trace_path)) {
    case 1: return "/proc/self/fd/1"; /* the VM has no /dev/stdout */
    case 2: return "/proc/self/fd/2";
    default: return RUNNER_VM_TRACE;
    }
}

/* --name WHAT=PATH: what the pagevisor inside calls a file in its messages. */
static int push_name(struct argv_builder *b, const char *what, const char *path)
{
    char *arg;
    if (asprintf(&arg, "--name=%s=%s", what, path) < 0)
        return -1;
    int rc = push(b, arg);
    free(arg);
    return rc;
}

static int build_command(const struct run_options *o, struct argv_builder *b,
                         struct runner_file *files, size_t *nfiles)
{
    const char *kernel = put(files, nfiles, run_kernel_path(o));
    if (!kernel)
        return -1;
    char mem[32], timeout[32];
    snprintf(mem, sizeof(mem), "%llu", (unsigned long long)o->mem);
    snprintf(timeout, sizeof(timeout), "%u", o->timeout);
    char script[sizeof(volume_mark_script) + sizeof(run_script) + sizeof(pagefile_pack_script) +
                sizeof(volume_pack_script) + 16];
    snprintf(script, sizeof(script), "%s%s%s%sexit $s", o->volume_path ? volume_mark_script : "",
             run_script, o->pagefile_path ? pagefile_pack_script : "",
             o->volume_path ? volume_pack_script : "");
    int rc = o->pagefile_path || o->volume_path ?
             push_all(b, "/bin/sh", "-c", script, "sh", NULL) : 0;
    rc = rc ? rc : push_all(b, RUNNER_VM_PAGEVISOR, "run", "--runner", "never", "--kernel", kernel,
                      "--mem", mem, "--timeout", timeout, "--cmdline", o->cmdline, NULL);
    if (rc == 0 && o->verbose)
        rc = push(b, "--verbose");
    if (rc == 0 && o->stats)
        rc = push(b, "--stats");
    char pfsize[32];
    snprintf(pfsize, sizeof(pfsize), "%llu", (unsigned long long)o->pagefile_size);
    if (rc == 0)
        rc = push_all(b, "--pagefile-size", pfsize, NULL);
    if (rc == 0 && o->pagefile_path)
        rc = push_all(b, "--pagefile", RUNNER_VM_PAGEFILE, NULL);
    for (size_t i = 0; rc == 0 && i < o->ninject; i++)
        rc = push_all(b, "--inject-pagefile-errors", o->inject[i], NULL);
    if (rc == 0)
        rc = push_name(b, "kernel", run_kernel_name(o));
    for (size_t i = 0; i < o->nimages && rc == 0; i++) {
        char what[32];
        snprintf(what, sizeof(what), "image%zu", i);
        rc = push_name(b, what, o->images[i].name);
    }
    if (rc == 0 && o->pagefile_path)
        rc = push_name(b, "pagefile", o->pagefile_name);
    if (rc == 0 && o->trace_path)
        rc = push_name(b, "trace", o->trace_name);
    if (rc == 0 && o->trace_path)
        rc = push_all(b, "--trace", vm_trace_path(o), "--trace-format",
                      o->trace_format == TRACE_JSONL ? "jsonl" :
                      o->trace_format == TRACE_CHROME ? "chrome" : "text", NULL);
    if (rc == 0 && o->parallel)
        rc = push(b, "--parallel");
    if (rc == 0 && o->inspect_on_exit)
        rc = push(b, "--inspect-on-exit");
    for (size_t i = 0; rc == 0 && i < o->ninspect; i++)
        rc = push_all(b, "--inspect", o->inspect[i], NULL);
    if (rc == 0 && o->gdb)
        rc = push_all(b, "--gdb", RUNNER_VM_GDB, NULL);
    if (rc == 0 && o->gdb)
        rc = push_name(b, "gdb", o->gdb_name);
    if (rc == 0 && o->gdb_wait)
        rc = push(b, "--gdb-wait");
    if (rc == 0 && o->thp != VM_THP_SYSTEM)
        rc = push_all(b, "--thp", o->thp == VM_THP_ALWAYS ? "always" : "never", NULL);
    if (rc == 0 && o->volume_path) {
        char *vm_path = strdup(RUNNER_VM_VOLUME);
        if (!vm_path)
            return -1;
        files[*nfiles] = (struct runner_file){ .host_path = o->volume_path, .vm_path = vm_path,
                                               .volume = 1 };
        (*nfiles)++;
        rc = push_all(b, "--volume", RUNNER_VM_VOLUME, NULL);
        rc = rc ? rc : push_name(b, "volume", o->volume_name);
    }
    for (size_t i = o->nstart; i < o->nimages && rc == 0; i++) {
        const char *image = put(files, nfiles, o->images[i].path);
        if (!image)
            return -1;
        rc = push_all(b, "--child", image, NULL);
    }
    for (size_t i = 0; i < o->nstart && rc == 0; i++) {
        const char *image = put(files, nfiles, o->images[i].path);
        if (!image)
            return -1;
        rc = i > 0 ? push(b, "--") : 0;
        rc = rc ? rc : push(b, image);
        for (int a = 0; a < o->images[i].nargs && rc == 0; a++)
            rc = push(b, o->images[i].args[a]);
    }
    return rc;
}

static size_t read_console_input(void *ctx, void *buf, size_t cap, int *eof)
{
    bool ended;
    size_t n = console_input_read(ctx, buf, cap, 0, &ended);
    *eof = ended;
    return n;
}

/* Writing the pagefile or the trace back past RLIMIT_FSIZE (`ulimit -f`) must fail that write
 * with EFBIG, said in a line, not kill pagevisor with SIGXFSZ and leave a short file. */
static void ignore_sigxfsz(void)
{
    struct sigaction old;
    if (sigaction(SIGXFSZ, NULL, &old) == 0 && old.sa_handler == SIG_DFL)
        signal(SIGXFSZ, SIG_IGN);
}

/* SIGUSR1 asks for an --inspect snapshot, but the guest runs in the VM, out of this process's
 * reach: say so, and keep the run (SIGUSR1's default would end it). */
static void on_sigusr1(int sig)
{
    static const char note[] = "pagevisor: SIGUSR1: the guest runs inside the KVM runner VM, where "
                               "this signal does not reach; its snapshot comes when it stops "
                               "(--inspect-on-exit) or at a PvDebugBreak\n";
    int saved = errno;
    (void)sig;
    if (write(STDERR_FILENO, note, sizeof(note) - 1) < 0) {
        /* nothing more to do in a signal handler */
    }
    errno = saved;
}

/* --gdb through the runner: QEMU listens in our place, so the port (or socket path) is tried
 * here first, for a clear error before the VM boots; a character device cannot be relayed. */
static int gdb_check_relayable(const struct run_options *o)
{
    struct stat st;
    unsigned port;
    char why[256];
    if (!gdb_spec_port(o->gdb, &port) && stat(o->gdb, &st) == 0 && S_ISCHR(st.st_mode)) {
        fprintf(stderr, "pagevisor run: --gdb %s: a character device cannot be relayed into the "
                "KVM runner VM; give a TCP port or a Unix socket path\n", o->gdb_name);
        return -1;
    }
    struct gdb_conn c;
    if (gdb_conn_open(&c, o->gdb, why, sizeof(why)) != 0) {
        fprintf(stderr, "pagevisor run: --gdb %s: %s\n", o->gdb_name, why);
        return -1;
    }
    gdb_conn_close(&c);
    return 0;
}

int run_remote(const struct run_options *o)
{
    struct argv_builder b = { 0 };
    struct console_input input;
    console_input_init(&input, STDIN_FILENO);
    if (o->inspect_on_exit) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = on_sigusr1;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
    }
    if (o->volume_path) {
        /* The VM's RAM holds the volume, the guest and what comes back: a limit, said now. */
        uint64_t bytes;
        char why[PATH_MAX + 128];
        if (volume_measure(o->volume_path, &bytes, why, sizeof(why)) != 0) {
            fprintf(stderr, "pagevisor run: --volume %s: cannot read it all: %s\n",
                    o->volume_name, why);
            console_input_close(&input);
            return PV_EXIT_USAGE;
        }
        if (bytes > VOLUME_SYNC_LIMIT) {
            fprintf(stderr, "pagevisor run: --volume %s: %llu MiB of files; a volume carried "
                    "into the KVM runner VM may hold at most %llu MiB\n", o->volume_name,
                    (unsigned long long)((bytes + (1u << 20) - 1) >> 20),
                    (unsigned long long)(VOLUME_SYNC_LIMIT >> 20));
            console_input_close(&input);
            return PV_EXIT_USAGE;
        }
    }
    if (o->gdb && gdb_check_relayable(o) != 0) {
        console_input_close(&input);
        return PV_EXIT_USAGE;
    }
    struct runner_file *files = calloc(o->nimages + 2, sizeof(*files));
    size_t nfiles = 0;
    unsigned gdb_port = 0;
    if (o->gdb && !gdb_spec_port(o->gdb, &gdb_port))
        gdb_port = 0;
    int status = PV_EXIT_VMM_ERROR;
    if (!files || build_command(o, &b, files, &nfiles) != 0) {
        fprintf(stderr, "pagevisor: cannot prepare the runner job (out of memory or a bad path)\n");
    } else {
        struct runner_file outputs[2];
        size_t nout = 0;
        /* A trace file comes over the live port as it is written; a trace to /dev/stdout or
         * /dev/stderr is written inside the VM to its own stdout or stderr, which are relayed. */
        struct runner_file live = { o->trace_path, RUNNER_VM_TRACE, 0, 0, NULL, 0 };
        bool live_trace = o->trace_path && strcmp(vm_trace_path(o), RUNNER_VM_TRACE) == 0;
        if (o->pagefile_path)
            outputs[nout++] = (struct runner_file){ o->pagefile_path, RUNNER_VM_PAGEFILE_PACKED,
                                                    0600, 1, "the pagefile", 0 };
        if (o->volume_path)
            outputs[nout++] = (struct runner_file){ o->volume_path, RUNNER_VM_VOLUME_PACKED,
                                                    0, 0, "the volume", 1 };
        struct runner_job job = {
            .argv = b.v,
            .inputs = files,
            .n_inputs = nfiles,
            .outputs = outputs,
            .n_outputs = nout,
            /* Under a debugger the run lasts as long as the user debugs: the pagevisor
             * inside keeps --timeout, not counting the time the guest is held still. */
            .timeout_sec = o->timeout && !o->gdb ? o->timeout + RUNNER_TIME_ALLOWANCE : 0,
            .gdb_port = gdb_port,
            .gdb_path = o->gdb && !gdb_port ? o->gdb : NULL,
            .verbose = o->verbose,
            .stdin_read = read_console_input,
            .stdin_ctx = &input,
            .stdin_fd = STDIN_FILENO,
            .live = live_trace ? &live : NULL,
        };
        int inner;
        ignore_sigxfsz();
        if (runner_run(&job, &inner) == 0)
            status = inner;
        else if (errno == ETIMEDOUT)
            status = PV_EXIT_TIMEOUT;
    }
    console_input_close(&input);
    for (size_t i = 0; i < nfiles; i++)
        free((void *)files[i].vm_path);
    free(files);
    free_argv(&b);
    return status;
}
