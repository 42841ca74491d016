/*
 * fs_guest.c - the pagevisor side of the full-system benchmark: one `pagevisor run` of a
 * bench image, its "pvbench" result line, the "# statistics:" line of its trace, and the VM
 * exits KVM took while the image's timed loop ran (its tracepoints, which also see the exits
 * KVM handles in the kernel: nested page faults, interrupts).
 */
#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fs.h"
#include "trace.h"

/* ----------------------------------------------------------------- KVM exits of the loop */

/*
 * The kvm_exit tracepoint fires for every exit of the guest, the ones KVM handles in the
 * kernel (nested page faults, interrupts) and the ones it hands to the VMM (which also fire
 * kvm_userspace_exit). With the trace clock set to the TSC, each event carries the host's
 * TSC; the guest's loop is bracketed by the guest's TSC, which is the host's plus the offset
 * KVM gave the vCPU (kvm_write_tsc_offset; pagevisor does not scale the TSC). So the exits
 * counted are exactly those that happened while the loop ran, nothing before or after it.
 */
#define TRACEFS     "/sys/kernel/tracing"
#define INSTANCE    TRACEFS "/instances/pagevisor-bench"   /* our own buffer and settings */
#define TRACE_KB    16384   /* per CPU; a counting run writes ~30k events of ~100 bytes */

static const char *const trace_events[] = {
    INSTANCE "/events/kvm/kvm_exit/enable",
    INSTANCE "/events/kvm/kvm_userspace_exit/enable",
    INSTANCE "/events/kvm/kvm_write_tsc_offset/enable",
};
#define NEVENTS (sizeof(trace_events) / sizeof(trace_events[0]))

static struct {
    bool mounted, made;
} tracer;

uint64_t kvm_exits_total(const struct kvm_exits *k)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < k->n; i++)
        n += k->r[i].count;
    return n;
}

static void kvm_exits_add(struct kvm_exits *k, const char *reason)
{
    for (unsigned i = 0; i < k->n; i++)
        if (!strcmp(k->r[i].reason, reason)) {
            k->r[i].count++;
            return;
        }
    if (k->n < FS_REASONS) {
        snprintf(k->r[k->n].reason, sizeof(k->r[k->n].reason), "%s", reason);
        k->r[k->n++].count = 1;
    }
}

int fs_write_file(const char *path, const char *text, bool truncate)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC | (truncate ? O_TRUNC : 0));
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int kvm_tracer_open(char *why, size_t whylen)
{
    if (access(TRACEFS "/instances", F_OK) != 0)   /* as root; harmless if not */
        tracer.mounted = mount("nodev", TRACEFS, "tracefs", 0, NULL) == 0;
    if (mkdir(INSTANCE, 0700) == 0)
        tracer.made = true;
    else if (errno != EEXIST) {
        snprintf(why, whylen, "cannot make the trace instance %s: %s (tracing needs root)",
                 INSTANCE, strerror(errno));
        kvm_tracer_close();
        return -1;
    }
    for (size_t i = 0; i < NEVENTS; i++)
        if (access(trace_events[i], W_OK) != 0) {
            snprintf(why, whylen, "cannot use %s: %s (is the kvm module loaded?)",
                     trace_events[i], strerror(errno));
            kvm_tracer_close();
            return -1;
        }
    char kb[32];
    snprintf(kb, sizeof(kb), "%d", TRACE_KB);
    if (fs_write_file(INSTANCE "/trace_clock", "x86-tsc", true) < 0) {
        snprintf(why, whylen, "cannot put the trace clock on the TSC (x86-tsc): %s",
                 strerror(errno));
        kvm_tracer_close();
        return -1;
    }
    if (fs_write_file(INSTANCE "/buffer_size_kb", kb, true) < 0) {
        snprintf(why, whylen, "cannot size the trace buffer: %s", strerror(errno));
        kvm_tracer_close();
        return -1;
    }
    for (size_t i = 0; i < NEVENTS; i++)
        if (fs_write_file(trace_events[i], "1", true) < 0) {
            snprintf(why, whylen, "cannot enable %s: %s", trace_events[i], strerror(errno));
            kvm_tracer_close();
            return -1;
        }
    return 0;
}

void kvm_tracer_clear(void)
{
    (void)fs_write_file(INSTANCE "/trace", "", true);
}

void kvm_tracer_close(void)
{
    for (size_t i = 0; tracer.made && i < NEVENTS; i++)
        (void)fs_write_file(trace_events[i], "0", true);
    if (tracer.made)
        (void)rmdir(INSTANCE);
    if (tracer.mounted)
        (void)umount(TRACEFS);
    memset(&tracer, 0, sizeof(tracer));
}

/* "       pagevisor-345     [000] d..2.  5184723874521: kvm_exit: vcpu 0 reason npf rip ..."
 * The task's name, the timestamp and where the event's own text starts; false if the line is
 * not an event of a pagevisor task. */
static bool trace_line(const char *line, const char *event, uint64_t *ts, const char **text)
{
    const char *e = strstr(line, event);
    if (!e)
        return false;
    const char *p = line;
    while (*p == ' ')
        p++;
    if (strncmp(p, "pagevisor", 9) != 0)
        return false;
    const char *colon = e - 2;           /* the timestamp ends at ": " before the event */
    if (colon < line || colon[0] != ':')
        return false;
    const char *digits = colon;
    while (digits > line && digits[-1] >= '0' && digits[-1] <= '9')
        digits--;
    *ts = strtoull(digits, NULL, 10);
    *text = e + strlen(event);
    return true;
}

int kvm_tracer_count(uint64_t guest_start, uint64_t guest_end, struct kvm_exits *k, char *why,
                     size_t whylen)
{
    memset(k, 0, sizeof(*k));
    FILE *f = fopen(INSTANCE "/trace", "r");
    if (!f) {
        snprintf(why, whylen, "cannot read the trace: %s", strerror(errno));
        return -1;
    }
    /* The offset is written when the vCPU is made, before any exit: one pass in order. */
    char line[1024];
    bool have_offset = false, lost = false;
    uint64_t offset = 0, start = 0, end = 0;
    while (fgets(line, sizeof(line), f)) {
        unsigned long long in, written;
        uint64_t ts;
        const char *text;
        if (line[0] == '#') {
            if (sscanf(line, "# entries-in-buffer/entries-written: %llu/%llu", &in,
                       &written) == 2 && in < written)
                lost = true;
            continue;
        }
        if (trace_line(line, "kvm_write_tsc_offset: ", &ts, &text)) {
            const char *next = strstr(text, "next=");
            if (next) {
                offset = strtoull(next + 5, NULL, 10);
                have_offset = true;
                start = guest_start - offset;   /* host TSC = guest TSC - offset (mod 2^64) */
                end = guest_end - offset;
            }
        } else if (trace_line(line, "kvm_exit: ", &ts, &text)) {
            if (!have_offset || ts < start || ts > end)
                continue;
            const char *reason = strstr(text, "reason ");
            char name[24] = "?";
            if (reason)
                sscanf(reason + 7, "%23s", name);
            kvm_exits_add(k, name);
        } else if (trace_line(line, "kvm_userspace_exit: ", &ts, &text)) {
            if (have_offset && ts >= start && ts <= end)
                k->to_user++;
        }
    }
    fclose(f);
    if (lost) {
        snprintf(why, whylen, "the trace buffer overflowed (events lost)");
        return -1;
    }
    if (!have_offset) {
        snprintf(why, whylen, "no kvm_write_tsc_offset event: cannot place the guest's loop "
                 "on the host's clock");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------------- one pagevisor run */

static uint64_t hex64(const char *s)
{
    return strtoull(s, NULL, 16);
}

/* "a,b,c,..." into kinds[] */
static void parse_kinds(const char *s, uint32_t *kinds)
{
    for (unsigned i = 0; i < PV_FAULT_RESOLUTION_MAX && *s; i++) {
        char *end;
        kinds[i] = (uint32_t)strtoul(s, &end, 10);
        s = *end == ',' ? end + 1 : end;
    }
}

/* The key=value words of a "pvbench" line. */
static void parse_line(char *line, struct pv_run *r)
{
    r->have_line = true;
    for (char *save = NULL, *w = strtok_r(line, " \n", &save); w;
         w = strtok_r(NULL, " \n", &save)) {
        char *v = strchr(w, '=');
        if (!v)
            continue;
        *v++ = '\0';
        if (!strcmp(w, "cycles"))
            r->cycles = hex64(v);
        else if (!strcmp(w, "tsc_start"))
            r->tsc_start = hex64(v);
        else if (!strcmp(w, "tsc_end"))
            r->tsc_end = hex64(v);
        else if (!strcmp(w, "fill_cycles"))
            r->fill_cycles = hex64(v);
        else if (!strcmp(w, "pages"))
            r->pages = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(w, "faults"))
            r->faults = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(w, "fill_faults"))
            r->fill_faults = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(w, "kinds"))
            parse_kinds(v, r->kinds);
        else if (!strcmp(w, "fill_kinds"))
            parse_kinds(v, r->fill_kinds);
        else if (!strcmp(w, "bad"))
            r->bad = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(w, "prefault"))
            r->prefault = (uint32_t)strtoul(v, NULL, 10);
        else if (!strcmp(w, "available"))
            r->available = (uint32_t)strtoul(v, NULL, 10);
    }
}

/* "# statistics: faults 8194, demand_zero 8193, ..., vm_exits 101, ..." */
static void parse_stats(char *line, struct pv_run *r)
{
    r->have_stats = true;
    char *save = NULL;
    for (char *item = strtok_r(line + strlen("# statistics:"), ",\n", &save); item;
         item = strtok_r(NULL, ",\n", &save)) {
        char name[64];
        double value;
        if (sscanf(item, " %63s %lf", name, &value) != 2)
            continue;
        if (!strcmp(name, "faults"))
            r->faults_total = value;
        else if (!strcmp(name, "vm_exits"))
            r->vm_exits = value;
        else if (!strcmp(name, "hypercalls"))
            r->hypercalls = value;
        else if (!strcmp(name, "pagefile_pages_read"))
            r->pf_pages_read = value;
        else if (!strcmp(name, "pagefile_read_calls"))
            r->pf_read_calls = value;
        else if (!strcmp(name, "pagefile_pages_written"))
            r->pf_pages_written = value;
        else if (!strcmp(name, "pagefile_write_calls"))
            r->pf_write_calls = value;
        else if (!strcmp(name, "image_page_reads"))
            r->image_page_reads = value;
        else if (!strcmp(name, "guest_ram_resident_kib"))
            r->ram_backed_kib = value;
        else
            for (unsigned k = 1; k < PV_FAULT_RESOLUTION_MAX; k++)
                if (!strcmp(name, fault_resolution_name(k)))
                    r->kinds_total[k] = value;
    }
}

/* Copy as much of text as fits (truncation is fine for a reason). */
static void copy_text(char *out, size_t len, const char *text)
{
    size_t n = strnlen(text, len - 1);
    memcpy(out, text, n);
    out[n] = '\0';
}

/* For a failed run's reason: the first line of the file that contains want (any non-empty
 * line when want is NULL); with last, the last such line. */
static void find_line(const char *path, const char *want, bool last, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = '\0';
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || (want && !strstr(line, want)))
            continue;
        copy_text(out, len, line);
        if (!last)
            break;
    }
    if (f)
        fclose(f);
}

void pv_run(const struct pv_env *env, const char *mem, const char *image,
            const char *const *args, bool count, struct pv_run *r)
{
    memset(r, 0, sizeof(*r));
    r->status = -1;
    char out[512], errf[512], trace[512], img[512], timeout[16];
    snprintf(out, sizeof(out), "%s/run.out", env->tmpdir);
    snprintf(errf, sizeof(errf), "%s/run.err", env->tmpdir);
    snprintf(trace, sizeof(trace), "%s/run.trace", env->tmpdir);
    snprintf(img, sizeof(img), "%s/%s", env->images, image);
    snprintf(timeout, sizeof(timeout), "%u", env->timeout);

    const char *argv[32];
    int n = 0;
    argv[n++] = env->pagevisor;
    argv[n++] = "run";
    argv[n++] = "--mem";
    argv[n++] = mem;
    argv[n++] = "--kernel";
    argv[n++] = env->kernel;
    argv[n++] = "--timeout";
    argv[n++] = timeout;
    argv[n++] = "--runner";   /* here or nowhere: the peers run on this kernel */
    argv[n++] = "never";
    if (count) {
        argv[n++] = "--trace";
        argv[n++] = trace;
    }
    for (unsigned i = 0; env->pv_args && env->pv_args[i] && n < 24; i++)
        argv[n++] = env->pv_args[i];
    argv[n++] = img;
    for (unsigned i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    bool kvm = count && env->count_kvm_exits;
    if (kvm)
        kvm_tracer_clear();
    unlink(trace);
    double t0 = fs_now();
    pid_t pid = fork();
    if (pid < 0)
        err(1, "fork");
    if (pid == 0) {
        int o = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        int e = open(errf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (o < 0 || e < 0 || dup2(o, 1) < 0 || dup2(e, 2) < 0)
            _exit(127);
        execvp(argv[0], (char *const *)argv);
        dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
        _exit(127);
    }
    int ws;
    while (waitpid(pid, &ws, 0) < 0)
        if (errno != EINTR)
            err(1, "waitpid");
    r->wall_seconds = fs_now() - t0;
    r->status = WIFEXITED(ws) ? WEXITSTATUS(ws) : 128 + WTERMSIG(ws);

    FILE *f = fopen(out, "r");
    char line[1024];
    while (f && fgets(line, sizeof(line), f))
        if (!strncmp(line, "pvbench ", 8))
            parse_line(line, r);
    if (f)
        fclose(f);
    if (count && (f = fopen(trace, "r")) != NULL) {
        while (fgets(line, sizeof(line), f))
            if (!strncmp(line, "# statistics:", 13))
                parse_stats(line, r);
        fclose(f);
    }
    unlink(trace);
    if (kvm && r->have_line)
        r->have_kvm_exits = kvm_tracer_count(r->tsc_start, r->tsc_end, &r->kvm, r->kvm_why,
                                             sizeof(r->kvm_why)) == 0;
    else if (count)
        snprintf(r->kvm_why, sizeof(r->kvm_why), "%s", env->count_kvm_exits ?
                 "the run gave no result line" : "not counted");

    char cmd[128];
    size_t used = (size_t)snprintf(cmd, sizeof(cmd), "%s", image);
    for (unsigned i = 0; args[i] && used < sizeof(cmd); i++)
        used += (size_t)snprintf(cmd + used, sizeof(cmd) - used, " %s", args[i]);
    if (r->have_line && r->bad) {
        snprintf(r->why, sizeof(r->why), "WRONG DATA: %s (--mem %s) read %u pages back wrong",
                 cmd, mem, r->bad);
    } else if (r->status != 0 || !r->have_line) {
        char what[192];
        /* The image's own failure line, else pagevisor's account, else the image's last word. */
        find_line(out, ": FAILED", false, what, sizeof(what));
        if (!what[0])
            find_line(errf, NULL, false, what, sizeof(what));
        if (!what[0])
            find_line(out, NULL, true, what, sizeof(what));
        snprintf(r->why, sizeof(r->why), "%s (--mem %s): exit status %d%s%s", cmd, mem,
                 r->status, what[0] ? ": " : "", what);
    }
}
