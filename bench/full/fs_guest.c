/*
 * fs_guest.c - the pagevisor side of the full-system benchmark: one `pagevisor run` of a
 * bench image, its "pvbench" result line, the "# statistics:" line of its trace, and KVM's
 * own count of VM exits around it (a histogram trigger on the kvm_exit tracepoint, which sees
 * the exits KVM handles in the kernel too, nested-page faults first of all).
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

/* ------------------------------------------------------------------------ KVM exit counts */

#define TRACEFS      "/sys/kernel/tracing"
#define KVM_EXIT_DIR TRACEFS "/events/kvm/kvm_exit"
#define HIST_TRIGGER "hist:keys=exit_reason:size=256"

static bool trigger_added;

uint64_t kvm_exits_total(const struct kvm_exits *k)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < k->n; i++)
        n += k->r[i].count;
    return n;
}

uint64_t kvm_exits_of(const struct kvm_exits *k, uint32_t reason)
{
    for (unsigned i = 0; i < k->n; i++)
        if (k->r[i].reason == reason)
            return k->r[i].count;
    return 0;
}

static void kvm_exits_add(struct kvm_exits *k, uint32_t reason, uint64_t count)
{
    for (unsigned i = 0; i < k->n; i++)
        if (k->r[i].reason == reason) {
            k->r[i].count += count;
            return;
        }
    if (k->n < FS_REASONS)
        k->r[k->n++] = (typeof(k->r[0])){ reason, count };
}

void kvm_exits_sub(struct kvm_exits *out, const struct kvm_exits *after,
                   const struct kvm_exits *before)
{
    struct kvm_exits d = { 0 };
    for (unsigned i = 0; i < after->n; i++) {
        uint64_t b = kvm_exits_of(before, after->r[i].reason);
        if (after->r[i].count > b)
            kvm_exits_add(&d, after->r[i].reason, after->r[i].count - b);
    }
    *out = d;
}

/* Names of the exit codes that matter here: AMD SVM's (kvm_amd) or Intel VMX's (kvm_intel). */
const char *kvm_exit_reason_name(uint32_t reason, char *buf, size_t len)
{
    static int svm = -1;
    if (svm < 0)
        svm = access("/sys/module/kvm_intel", F_OK) != 0;
    const char *name = NULL;
    if (svm) {
        switch (reason) {
        case 0x060: name = "intr"; break;
        case 0x061: name = "nmi"; break;
        case 0x064: name = "vintr"; break;
        case 0x065: name = "cr0_sel_write"; break;
        case 0x06e: name = "rdtsc"; break;
        case 0x072: name = "cpuid"; break;
        case 0x078: name = "hlt"; break;
        case 0x079: name = "invlpg"; break;
        case 0x07b: name = "io"; break;
        case 0x07c: name = "msr"; break;
        case 0x07f: name = "shutdown"; break;
        case 0x081: name = "vmmcall"; break;
        case 0x400: name = "npf"; break;
        default:
            if (reason < 0x10)
                snprintf(buf, len, "read_cr%u", reason);
            else if (reason < 0x20)
                snprintf(buf, len, "write_cr%u", reason - 0x10);
            else if (reason >= 0x40 && reason < 0x60)
                snprintf(buf, len, "exception_%u", reason - 0x40);
            else
                snprintf(buf, len, "svm_0x%x", reason);
            return buf;
        }
    } else {
        switch (reason) {
        case 0: name = "exception_nmi"; break;
        case 1: name = "external_interrupt"; break;
        case 10: name = "cpuid"; break;
        case 12: name = "hlt"; break;
        case 18: name = "vmcall"; break;
        case 28: name = "cr_access"; break;
        case 30: name = "io"; break;
        case 31: name = "msr_read"; break;
        case 32: name = "msr_write"; break;
        case 48: name = "ept_violation"; break;
        case 49: name = "ept_misconfig"; break;
        default:
            snprintf(buf, len, "vmx_%u", reason);
            return buf;
        }
    }
    snprintf(buf, len, "%s", name);
    return buf;
}

static int write_file(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, text, strlen(text));
    int saved = errno;
    close(fd);
    errno = saved;
    return n == (ssize_t)strlen(text) ? 0 : -1;
}

int kvm_exit_counter_open(char *why, size_t whylen)
{
    if (access(KVM_EXIT_DIR, F_OK) != 0 && access(TRACEFS "/events", F_OK) != 0)
        (void)mount("nodev", TRACEFS, "tracefs", 0, NULL);   /* as root; harmless if not */
    if (access(KVM_EXIT_DIR, F_OK) != 0) {
        snprintf(why, whylen, "no kvm_exit tracepoint (%s: %s; tracefs needs root, and the kvm "
                 "module must be loaded)", KVM_EXIT_DIR, strerror(errno));
        return -1;
    }
    if (write_file(KVM_EXIT_DIR "/trigger", HIST_TRIGGER "\n") == 0)
        trigger_added = true;
    else if (errno != EEXIST) {
        snprintf(why, whylen, "cannot add a histogram trigger to the kvm_exit tracepoint: %s",
                 strerror(errno));
        return -1;
    }
    struct kvm_exits k;
    if (kvm_exit_counter_read(&k) < 0) {
        snprintf(why, whylen, "cannot read %s/hist", KVM_EXIT_DIR);
        kvm_exit_counter_close();
        return -1;
    }
    return 0;
}

/* Lines like "{ exit_reason:       1024 } hitcount:        603". */
int kvm_exit_counter_read(struct kvm_exits *k)
{
    memset(k, 0, sizeof(*k));
    FILE *f = fopen(KVM_EXIT_DIR "/hist", "r");
    if (!f)
        return -1;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        unsigned long reason;
        unsigned long long count;
        if (sscanf(line, " { exit_reason: %lu } hitcount: %llu", &reason, &count) == 2)
            kvm_exits_add(k, (uint32_t)reason, count);
    }
    fclose(f);
    return 0;
}

void kvm_exit_counter_close(void)
{
    if (trigger_added)
        (void)write_file(KVM_EXIT_DIR "/trigger", "!" HIST_TRIGGER "\n");
    trigger_added = false;
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

/* The first line of a file that is not empty (for a failed run's reason). */
static void first_line(const char *path, const char *skip_prefix, char *out, size_t len)
{
    FILE *f = fopen(path, "r");
    char line[512];
    out[0] = '\0';
    while (f && fgets(line, sizeof(line), f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0] || (skip_prefix && !strncmp(line, skip_prefix, strlen(skip_prefix))))
            continue;
        copy_text(out, len, line);
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
    if (count) {
        argv[n++] = "--trace";
        argv[n++] = trace;
    }
    argv[n++] = img;
    for (unsigned i = 0; args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;

    struct kvm_exits before = { 0 }, after;
    bool kvm = count && env->count_kvm_exits && kvm_exit_counter_read(&before) == 0;
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
    if (kvm && kvm_exit_counter_read(&after) == 0) {
        kvm_exits_sub(&r->kvm, &after, &before);
        r->have_kvm_exits = true;
    }
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

    char cmd[128];
    size_t used = (size_t)snprintf(cmd, sizeof(cmd), "%s", image);
    for (unsigned i = 0; args[i] && used < sizeof(cmd); i++)
        used += (size_t)snprintf(cmd + used, sizeof(cmd) - used, " %s", args[i]);
    if (r->have_line && r->bad) {
        snprintf(r->why, sizeof(r->why), "WRONG DATA: %s (--mem %s) read %u pages back wrong",
                 cmd, mem, r->bad);
    } else if (r->status != 0 || !r->have_line) {
        char what[192];
        /* pagevisor's own account first (its stderr), else the image's last word. */
        first_line(errf, NULL, what, sizeof(what));
        if (!what[0])
            first_line(out, "(", what, sizeof(what));
        snprintf(r->why, sizeof(r->why), "%s (--mem %s): exit status %d%s%s", cmd, mem,
                 r->status, what[0] ? ": " : "", what);
    }
}
