/*
 * runner.c - the KVM runner (see runner.h): boots a throwaway Linux VM under QEMU's TCG
 * emulator, runs one command in it and brings back its output, exit status and files.
 *
 * One run:
 *   1. find the ingredients (runner cache, qemu-system-x86_64, the static pagevisor);
 *   2. in a fresh temp dir, write the initrd: the cached base.cpio.gz, zero padding, then an
 *      uncompressed newc archive with the job (/pv/.job/cmd, /pv/.job/outputs, the inputs,
 *      /pv/bin/pagevisor); Linux unpacks concatenated initramfs archives in order;
 *   3. make a FIFO pair per QEMU character device and start QEMU with them:
 *        ttyS0 (isa-serial, irq 4)  kernel console and init's progress lines
 *        ttyS1 (isa-serial, irq 3)  the command's stdout
 *        ttyS2 (isa-serial, irq 7)  the command's stderr
 *        virtio-serial port "pv.result"  the result stream (framing in runner.h), and BYE back
 *        virtio-serial port "pv.stdin"   the stdin relay: requests in, input out (runner.h)
 *      Every port gets its own IRQ line (QEMU's ISA lines are not shared-safe).
 *   4. relay stdout/stderr live, parse the result stream, store output files, enforce limits;
 *      after END send BYE so the VM powers off; drain everything once QEMU is gone.
 *
 * Why these transports: the serial ports give the command real ttys (line-buffered stdio, live
 * output), and the VM's init waits (TCSADRAIN) until they have drained before it reports the
 * exit status, so nothing written is lost. But QEMU's 16550 moves about 0.5 MB/s under TCG (one
 * host write per byte), too slow for fault traces of several MiB; the virtio-serial port moved
 * 8 MiB in well under a second, and QEMU throttles it (never drops) when we read slowly.
 */
#include "runner.h"
#include "runner_util.h"
#include "cpio.h"
#include "input_wait.h"
#include "prefix.h"
#include "sparse_file.h"
#include "volume_sync.h"
#include "pv_abi.h"
#include "fdio.h"

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define RUNNER_QEMU          "qemu-system-x86_64"
#define RUNNER_KERNEL_ARGS   "console=ttyS0 quiet rdinit=/init panic=-1"
#define RUNNER_BOOT_LIMIT    300 /* s from QEMU's start to the command's start */
#define RUNNER_RESULT_LIMIT  300 /* s from the command's end to the last result frame */
#define RUNNER_SHUTDOWN_WAIT 30  /* s from BYE to QEMU's exit before it is killed */
#define RUNNER_TAIL_LINES    25  /* console lines shown when the VM fails */
#define RUNNER_TAIL_WIDTH    240
#define RUNNER_MAX_DEPTH     64  /* directory nesting for --put */

static const char *const prog = "pagevisor";

/* ------------------------------------------------------------------------------------------ */
/* Small helpers.                                                                             */

void runner_errmsg(const char *fmt, ...)
{
    va_list ap;
    fflush(stdout);
    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* snprintf that says whether everything fitted. */
static bool fmt_ok(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fmt_ok(char *buf, size_t size, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, size, fmt, ap);
    va_end(ap);
    return n >= 0 && (size_t)n < size;
}

/* "~/x" for paths under $HOME, for messages. */
static const char *tilde(const char *path, char *buf, size_t size)
{
    const char *home = getenv("HOME");
    size_t hl = home ? strlen(home) : 0;
    if (hl > 1 && strncmp(path, home, hl) == 0 && path[hl] == '/') {
        snprintf(buf, size, "~%s", path + hl);
        return buf;
    }
    return path;
}

/* Search PATH like execvp would. */
static bool find_in_path(const char *name, char *out, size_t size)
{
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    while (*path) {
        const char *end = strchrnul(path, ':');
        int n = snprintf(out, size, "%.*s/%s", (int)(end - path), end == path ? "." : path, name);
        if (end == path)
            n = snprintf(out, size, "./%s", name);
        if (n > 0 && (size_t)n < size && access(out, X_OK) == 0)
            return true;
        path = *end ? end + 1 : end;
    }
    return false;
}

/* Double every comma: QEMU option values separate key=value pairs with commas. */
static void qemu_escape(const char *in, char *out, size_t size)
{
    size_t o = 0;
    for (; *in && o + 2 < size; in++) {
        out[o++] = *in;
        if (*in == ',')
            out[o++] = ',';
    }
    out[o] = '\0';
}

/* 1 if the ELF file at fd has a program interpreter (is dynamically linked), 0 if not (or not
 * an ELF file we can judge), -1 on read errors. */
static int elf_is_dynamic(int fd)
{
    Elf64_Ehdr eh;
    if (pread(fd, &eh, sizeof(eh), 0) != (ssize_t)sizeof(eh))
        return 0;
    if (memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 || eh.e_ident[EI_CLASS] != ELFCLASS64 ||
        eh.e_phentsize != sizeof(Elf64_Phdr))
        return 0;
    for (unsigned i = 0; i < eh.e_phnum; i++) {
        Elf64_Phdr ph;
        if (pread(fd, &ph, sizeof(ph), (off_t)(eh.e_phoff + (uint64_t)i * sizeof(ph))) !=
            (ssize_t)sizeof(ph))
            return -1;
        if (ph.p_type == PT_INTERP)
            return 1;
    }
    return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Console and QEMU log lines: echoed with --verbose, the last ones kept for error reports.   */

struct tail {
    const char *label; /* "" for the console, "qemu: " for QEMU's own output */
    bool echo;
    char lines[RUNNER_TAIL_LINES][RUNNER_TAIL_WIDTH];
    unsigned count, next;
    char cur[RUNNER_TAIL_WIDTH];
    size_t cur_len;
    char alarm[RUNNER_TAIL_WIDTH]; /* the first panic/oops line, which may scroll out */
};

static const char *const alarm_words[] = { "Kernel panic", "BUG:", "Oops", "general protection",
                                           "kernel BUG" };

static void tail_commit(struct tail *t)
{
    t->cur[t->cur_len] = '\0';
    if (t->echo) {
        fflush(stdout);
        fprintf(stderr, "runner: %s%s\n", t->label, t->cur);
    }
    for (size_t i = 0; !t->alarm[0] && i < sizeof(alarm_words) / sizeof(alarm_words[0]); i++)
        if (strstr(t->cur, alarm_words[i]))
            snprintf(t->alarm, sizeof(t->alarm), "%s", t->cur);
    snprintf(t->lines[t->next], RUNNER_TAIL_WIDTH, "%s", t->cur);
    t->next = (t->next + 1) % RUNNER_TAIL_LINES;
    if (t->count < RUNNER_TAIL_LINES)
        t->count++;
    t->cur_len = 0;
}

static void tail_feed(struct tail *t, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)buf[i];
        if (c == '\n') {
            tail_commit(t);
        } else if (c == '\r') {
            continue;
        } else if (t->cur_len + 1 < RUNNER_TAIL_WIDTH) {
            t->cur[t->cur_len++] = (c >= 0x20 && c != 0x7F) || c == '\t' ? (char)c : '?';
        }
    }
}

static void tail_end(struct tail *t)
{
    if (t->cur_len > 0)
        tail_commit(t);
}

static void tail_print(const struct tail *t, const char *title)
{
    if (t->count == 0)
        return;
    fprintf(stderr, "%s: %s\n", prog, title);
    for (unsigned i = 0; i < t->count; i++) {
        unsigned idx = (t->next + RUNNER_TAIL_LINES - t->count + i) % RUNNER_TAIL_LINES;
        fprintf(stderr, "    %s\n", t->lines[idx]);
    }
}

/* ------------------------------------------------------------------------------------------ */
/* One run.                                                                                   */

enum { CH_CON, CH_OUT, CH_ERR, CH_RES, CH_IN, CH_LIVE, CH_N };
static const char *const ch_name[CH_N] = { "con", "out", "err", "res", "in", "live" };

struct run {
    const struct runner_job *job;
    char tmpbase[PATH_MAX]; /* $TMPDIR or /tmp */
    char tmpdir[PATH_MAX];  /* ours, removed as soon as QEMU has opened what is in it */
    char cache[PATH_MAX];
    char qemu_path[PATH_MAX];
    char pv_static[PATH_MAX]; /* "" when none goes in */
    char kernel[PATH_MAX + 16]; /* vmlinux (PVH entry, boots ~3 s faster) or vmlinuz */

    pid_t qemu;
    int qemu_status;
    bool qemu_exited;
    int fd[CH_N];     /* our read ends of the FIFOs QEMU writes (.out) */
    int fd_res_in;    /* our write end of the result port's FIFO QEMU reads (.in) */
    int fd_in_in;     /* our write end of the stdin port's FIFO QEMU reads: the answers */
    int fd_log;       /* QEMU's stdout+stderr */
    int fd_live;      /* the job's live output file on the host, -1 without one */
    bool out_broken, err_broken, live_broken;

    struct runner_frames *frames;
    struct tail console, qemu_log;
    bool bye_sent;

    /* The stdin relay: the request line being read, and the request waiting for input. */
    char in_line[64];
    size_t in_len;
    bool in_waiting, in_ended, in_warned;
    size_t in_cap;
    double in_deadline;
    struct input_wait in_wait; /* time the command waited for input: not charged to it */

    double t_spawn, t_start, t_exit, t_end, t_bye, t_done;

    /* The output file being received. */
    int out_fd; /* an unlinked temp file */
    size_t out_idx;
    uint64_t out_size, out_got; /* for the progress line of a big file */
    double out_shown;           /* when progress was last shown; 0: not shown */
    bool *out_done;
    bool *out_existed;          /* the host file was there when the run began */
    char store_error[2 * PATH_MAX + 256]; /* a whole sentence */
};

/* Signals that end a run early arrive through this pipe. */
static int sig_pipe[2] = { -1, -1 };
static volatile sig_atomic_t sig_caught;

static void on_signal(int sig)
{
    int saved = errno;
    unsigned char s = (unsigned char)sig;
    sig_caught = sig;
    if (sig_pipe[1] >= 0 && write(sig_pipe[1], &s, 1) < 0) {
        /* the flag is enough */
    }
    errno = saved;
}

static const int stop_signals[] = { SIGINT, SIGTERM, SIGHUP };
#define N_STOP_SIGNALS (sizeof(stop_signals) / sizeof(stop_signals[0]))

struct saved_signals {
    struct sigaction stop[N_STOP_SIGNALS];
    struct sigaction pipe;
};

static int install_signals(struct saved_signals *saved)
{
    struct sigaction sa;
    if (pipe2(sig_pipe, O_CLOEXEC | O_NONBLOCK) < 0)
        return -1;
    sig_caught = 0;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    for (size_t i = 0; i < N_STOP_SIGNALS; i++) {
        /* A signal the caller ignores (e.g. SIGINT in a background job) stays ignored. */
        sigaction(stop_signals[i], NULL, &saved->stop[i]);
        if (saved->stop[i].sa_handler != SIG_IGN)
            sigaction(stop_signals[i], &sa, NULL);
    }
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, &saved->pipe);
    return 0;
}

static void restore_signals(const struct saved_signals *saved)
{
    for (size_t i = 0; i < N_STOP_SIGNALS; i++)
        sigaction(stop_signals[i], &saved->stop[i], NULL);
    sigaction(SIGPIPE, &saved->pipe, NULL);
    close(sig_pipe[0]);
    close(sig_pipe[1]);
    sig_pipe[0] = sig_pipe[1] = -1;
}

/* --- ingredients ---------------------------------------------------------------------------*/

/* The home directory from /etc/passwd, for when HOME is not set (a service or CI may start us
 * so). Read directly rather than through getpwuid, which a static binary cannot use. */
static const char *passwd_home(char *buf, size_t size)
{
    FILE *f = fopen("/etc/passwd", "r");
    char line[1024];
    const char *found = NULL;
    while (f && !found && fgets(line, sizeof(line), f)) {
        char *field[7], *p = line;
        int n = 0;
        /* name:password:uid:gid:gecos:home:shell; gecos may be empty, so split by hand */
        for (; n < 7 && p; n++) {
            field[n] = p;
            p = strchr(p, ':');
            if (p)
                *p++ = '\0';
        }
        if (n == 7 && strtoul(field[2], NULL, 10) == (unsigned long)getuid() && field[5][0]) {
            snprintf(buf, size, "%s", field[5]);
            found = buf;
        }
    }
    if (f)
        fclose(f);
    return found;
}

static int runner_cache_dir(char *buf, size_t size)
{
    const char *pc = getenv("PAGEVISOR_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
    const char *home = getenv("HOME");
    char pw_home[PATH_MAX];
    if (!home || !*home)
        home = passwd_home(pw_home, sizeof(pw_home));
    int n;
    if (pc && *pc)
        n = snprintf(buf, size, "%s/runner", pc);
    else if (xdg && *xdg)
        n = snprintf(buf, size, "%s/pagevisor/runner", xdg);
    else if (home && *home)
        n = snprintf(buf, size, "%s/.cache/pagevisor/runner", home);
    else
        return -1;
    return n > 0 && (size_t)n < size ? 0 : -1;
}

const char *runner_prepare_command(char *buf, size_t size)
{
    struct pv_piece_where prep;
    if (pv_piece_locate_self(PV_PIECE_RUNNER_PREPARE, &prep) == 0 && prep.installed)
        snprintf(buf, size, "%s", prep.path);
    else
        snprintf(buf, size, "`make runner` in the source tree (tests/kvm-runner/prepare.sh)");
    return buf;
}

static int find_ingredients(struct run *r)
{
    char path[PATH_MAX + 32], shown[PATH_MAX + 32];

    if (runner_cache_dir(r->cache, sizeof(r->cache)) < 0) {
        runner_errmsg("KVM runner: cannot tell where its cache is (set HOME or PAGEVISOR_CACHE)");
        return -1;
    }
    static const char *const need[] = { "vmlinuz", "base.cpio.gz" };
    for (size_t i = 0; i < 2; i++) {
        snprintf(path, sizeof(path), "%s/%s", r->cache, need[i]);
        if (access(path, R_OK) != 0) {
            char how[PATH_MAX + 64];
            runner_errmsg("KVM runner not prepared (no %s): run %s", tilde(path, shown, sizeof(shown)),
                   runner_prepare_command(how, sizeof(how)));
            return -1;
        }
    }
    /* prepare.sh also leaves the kernel decompressed, which QEMU boots through its PVH entry
     * without the emulated CPU spending seconds on decompression. */
    snprintf(r->kernel, sizeof(r->kernel), "%s/vmlinux", r->cache);
    if (access(r->kernel, R_OK) != 0)
        snprintf(r->kernel, sizeof(r->kernel), "%s/vmlinuz", r->cache);
    if (!find_in_path(RUNNER_QEMU, r->qemu_path, sizeof(r->qemu_path))) {
        runner_errmsg("%s not found: apt-get install qemu-system-x86", RUNNER_QEMU);
        return -1;
    }

    const char *env = getenv("PAGEVISOR_STATIC");
    struct pv_piece_where twin = { .provider = "" };
    if (env && strcmp(env, "none") == 0) {
        r->pv_static[0] = '\0';
        return 0;
    }
    if (env && *env) {
        snprintf(r->pv_static, sizeof(r->pv_static), "%s", env);
    } else if (pv_piece_locate_self(PV_PIECE_STATIC, &twin) != 0 ||
               !fmt_ok(r->pv_static, sizeof(r->pv_static), "%s", twin.path)) {
        runner_errmsg("KVM runner: the path of the static pagevisor beside pagevisor is too long "
               "(set PAGEVISOR_STATIC)");
        return -1;
    }
    int fd = open(r->pv_static, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (env && *env)
            runner_errmsg("KVM runner: PAGEVISOR_STATIC=%s: %s", r->pv_static, strerror(errno));
        else
            runner_errmsg("KVM runner: no static pagevisor for the VM at %s (%s, or set PAGEVISOR_STATIC)",
                   r->pv_static, twin.provider);
        return -1;
    }
    int dyn = elf_is_dynamic(fd);
    close(fd);
    if (dyn == 1) {
        runner_errmsg("KVM runner: %s is dynamically linked; the VM has no shared libraries (link it -static)",
               r->pv_static);
        return -1;
    }
    return 0;
}

/* --- the job archive -----------------------------------------------------------------------*/

static int put_path(struct cpio_writer *w, const char *host, const char *vm, int depth);

/* A directory and, through put_entry, everything in it (put_path's way or put_volume's). */
static int put_dir(struct cpio_writer *w, const char *host, const char *vm, const struct stat *st,
                   int depth,
                   int (*put_entry)(struct cpio_writer *, const char *, const char *, int))
{
    if (depth > RUNNER_MAX_DEPTH) {
        runner_errmsg("KVM runner: cannot put %s: directories nested too deep (a symlink loop?)", host);
        return -1;
    }
    if (cpio_add_dir(w, vm, st->st_mode & 07777) < 0) {
        runner_errmsg("KVM runner: cannot put %s at %s: %s", host, vm, strerror(errno));
        return -1;
    }
    DIR *d = opendir(host);
    if (!d) {
        runner_errmsg("KVM runner: cannot put %s: %s", host, strerror(errno));
        return -1;
    }
    int rc = 0;
    struct dirent *de;
    while (rc == 0 && (de = readdir(d)) != NULL) {
        if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
            continue;
        char h[PATH_MAX], v[PATH_MAX];
        if (snprintf(h, sizeof(h), "%s/%s", host, de->d_name) >= (int)sizeof(h) ||
            snprintf(v, sizeof(v), "%s/%s", vm, de->d_name) >= (int)sizeof(v)) {
            runner_errmsg("KVM runner: cannot put %s/%s: path too long", host, de->d_name);
            rc = -1;
            break;
        }
        rc = put_entry(w, h, v, depth + 1);
    }
    closedir(d);
    return rc;
}

static int put_path(struct cpio_writer *w, const char *host, const char *vm, int depth)
{
    struct stat st;
    if (stat(host, &st) < 0) {
        runner_errmsg("KVM runner: cannot put %s: %s", host, strerror(errno));
        return -1;
    }
    if (S_ISDIR(st.st_mode))
        return put_dir(w, host, vm, &st, depth, put_path);
    if (!S_ISREG(st.st_mode)) {
        if (depth == 0) {
            runner_errmsg("KVM runner: cannot put %s: not a regular file or directory", host);
            return -1;
        }
        fprintf(stderr, "%s: KVM runner: warning: %s skipped (not a regular file or directory)\n",
                prog, host);
        return 0;
    }
    int fd = open(host, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        runner_errmsg("KVM runner: cannot put %s: %s", host, strerror(errno));
        return -1;
    }
    int rc = fstat(fd, &st);
    if (rc == 0)
        rc = cpio_add_file_fd(w, vm, st.st_mode & 07777, (uint32_t)st.st_mtime, fd,
                              (uint64_t)st.st_size);
    if (rc < 0)
        runner_errmsg("KVM runner: cannot put %s: %s", host,
               errno == EIO ? "it changed while being read" : strerror(errno));
    close(fd);
    return rc;
}

/* A --volume directory: like put_path, but a symbolic link goes in as a link (the pagevisor
 * inside refuses one leading out of the volume as a direct run does), and a file that is
 * neither a regular file, a directory nor a link is left out with a warning. */
static int put_volume(struct cpio_writer *w, const char *host, const char *vm, int depth)
{
    struct stat st;
    /* The volume itself may be given by a link; inside it, links stay links. */
    if ((depth == 0 ? stat(host, &st) : lstat(host, &st)) < 0) {
        runner_errmsg("KVM runner: cannot put %s: %s", host, strerror(errno));
        return -1;
    }
    if (S_ISLNK(st.st_mode)) {
        char target[PATH_MAX];
        ssize_t n = readlink(host, target, sizeof(target) - 1);
        if (n < 0 || (target[n] = '\0', cpio_add_symlink(w, vm, target) < 0)) {
            runner_errmsg("KVM runner: cannot put %s: %s", host, strerror(errno));
            return -1;
        }
        return 0;
    }
    if (S_ISREG(st.st_mode))
        return put_path(w, host, vm, depth);
    if (!S_ISDIR(st.st_mode)) {
        fprintf(stderr, "%s: KVM runner: warning: %s skipped (not a regular file, directory or "
                "symbolic link)\n", prog, host);
        return 0;
    }
    return put_dir(w, host, vm, &st, depth, put_volume);
}

/* Append a shell-quoted word: 'it'\''s' */
static int quote_word(char **buf, size_t *len, size_t *cap, const char *word)
{
    size_t need = *len + 4 * strlen(word) + 4;
    if (need > *cap) {
        size_t cap2 = need * 2;
        char *b = realloc(*buf, cap2);
        if (!b)
            return -1;
        *buf = b;
        *cap = cap2;
    }
    char *o = *buf + *len;
    *o++ = ' ';
    *o++ = '\'';
    for (const char *p = word; *p; p++) {
        if (*p == '\'') {
            memcpy(o, "'\\''", 4);
            o += 4;
        } else {
            *o++ = *p;
        }
    }
    *o++ = '\'';
    *len = (size_t)(o - *buf);
    return 0;
}

/* The VM path as an absolute path with no "..", into out; inputs must lie under /pv/. */
static int check_vm_path(const char *vm, bool input, char *out, size_t size)
{
    char norm[PATH_MAX];
    if (!vm || !*vm) {
        runner_errmsg("KVM runner: empty VM path");
        return -1;
    }
    if (vm[0] != '/') { /* relative: under the command's cwd */
        char abs[PATH_MAX + 8];
        snprintf(abs, sizeof(abs), "/pv/%s", vm);
        return check_vm_path(abs, input, out, size);
    }
    if (cpio_normalize_path(vm, norm, sizeof(norm)) < 0) {
        runner_errmsg("KVM runner: bad VM path %s (\"..\" is not allowed)", vm);
        return -1;
    }
    if (strchr(norm, '\n')) {
        runner_errmsg("KVM runner: bad VM path (it has a newline)");
        return -1;
    }
    if (input && (strncmp(norm, "pv/", 3) != 0 || strncmp(norm, "pv/.job", 7) == 0)) {
        runner_errmsg("KVM runner: VM path %s: inputs go under /pv/ (and not /pv/.job)", vm);
        return -1;
    }
    if (!fmt_ok(out, size, "/%s", norm)) {
        runner_errmsg("KVM runner: VM path too long: %s", vm);
        return -1;
    }
    return 0;
}

/* The head of the job script when the command gets the stdin relay: find the port's device
 * (its name arrives from QEMU a moment after the port itself) and name it in the environment. */
static const char stdin_port_script[] =
    "i=0\n"
    "while [ $i -lt 250 ]; do\n"
    "    for d in /sys/class/virtio-ports/*; do\n"
    "        [ \"$(cat \"$d/name\" 2>/dev/null)\" = pv.stdin ] && [ -c \"/dev/${d##*/}\" ] &&\n"
    "            " RUNNER_STDIN_ENV "=/dev/${d##*/}\n"
    "    done\n"
    "    [ -n \"$" RUNNER_STDIN_ENV "\" ] && break\n"
    "    usleep 20000\n"
    "    i=$((i + 1))\n"
    "done\n"
    "[ -n \"$" RUNNER_STDIN_ENV "\" ] ||\n"
    "    echo 'pagevisor: KVM runner: no pv.stdin port in the VM; the command gets no input' >&2\n"
    "export " RUNNER_STDIN_ENV "\n";

/* The head of the job script for a port linked at a path before the command starts: the
 * live output file ("pv.live") and the debugger's port ("pv.gdb"). %1$s: the port's name,
 * %2$s: the link's path (quoted, with a space before it). */
static const char port_link_script[] =
    "i=0 dev=\n"
    "while [ $i -lt 250 ]; do\n"
    "    for d in /sys/class/virtio-ports/*; do\n"
    "        [ \"$(cat \"$d/name\" 2>/dev/null)\" = %1$s ] && [ -c \"/dev/${d##*/}\" ] &&\n"
    "            dev=/dev/${d##*/}\n"
    "    done\n"
    "    [ -n \"$dev\" ] && break\n"
    "    usleep 20000\n"
    "    i=$((i + 1))\n"
    "done\n"
    "if [ -n \"$dev\" ]; then ln -sf \"$dev\"%2$s; else\n"
    "    echo 'pagevisor: KVM runner: no %1$s port in the VM' >&2; fi\n";

/* Appends port_link_script for port, linked at vm_path, to the script in *cmd. */
static int add_port_link(char **cmd, size_t *len, size_t *cap, const char *port,
                         const char *vm_path)
{
    char vm[PATH_MAX], *link = NULL;
    size_t link_len = 0, link_cap = 0;
    if (check_vm_path(vm_path, false, vm, sizeof(vm)) < 0)
        return -1;
    if (quote_word(&link, &link_len, &link_cap, vm) < 0) {
        runner_errmsg("KVM runner: out of memory");
        return -1;
    }
    link[link_len] = '\0';
    size_t need = *len + sizeof(port_link_script) + link_len + 2 * strlen(port) + 64;
    char *bigger = need > *cap ? realloc(*cmd, need) : *cmd;
    if (!bigger) {
        free(link);
        runner_errmsg("KVM runner: out of memory");
        return -1;
    }
    *cmd = bigger;
    *cap = need > *cap ? need : *cap;
    *len += (size_t)snprintf(*cmd + *len, *cap - *len, port_link_script, port, link);
    free(link);
    return 0;
}

static int write_initrd(struct run *r)
{
    const struct runner_job *job = r->job;
    char path[PATH_MAX + 32];
    int rc = -1, in = -1, out = -1;
    char *cmd = NULL, *outs = NULL;
    size_t cmd_len = 0, cmd_cap = 0, outs_len = 0;
    struct cpio_writer w;
    bool w_open = false;

    snprintf(path, sizeof(path), "%s/initrd", r->tmpdir);
    out = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    snprintf(path, sizeof(path), "%s/base.cpio.gz", r->cache);
    in = open(path, O_RDONLY | O_CLOEXEC);
    if (out < 0 || in < 0) {
        runner_errmsg("KVM runner: cannot %s: %s", in < 0 ? "read the runner's base.cpio.gz" :
               "write the initrd", strerror(errno));
        goto done;
    }
    /* The compressed base, then zeros up to a 512-byte boundary: the kernel skips zeros
     * between archives but needs the next one 4-byte aligned. */
    char buf[1 << 16];
    uint64_t total = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && fd_write_all(out, buf, (size_t)n) < 0)) {
            runner_errmsg("KVM runner: cannot write the initrd: %s", strerror(errno));
            goto done;
        }
        if (n == 0)
            break;
        total += (uint64_t)n;
    }
    memset(buf, 0, 512);
    if (total % 512 && fd_write_all(out, buf, 512 - total % 512) < 0) {
        runner_errmsg("KVM runner: cannot write the initrd: %s", strerror(errno));
        goto done;
    }

    /* The command, as a script for the VM's sh. */
    cmd_cap = sizeof(stdin_port_script) + 64;
    cmd = malloc(cmd_cap);
    if (!cmd)
        goto oom;
    if (job->stdin_read) {
        memcpy(cmd, stdin_port_script, sizeof(stdin_port_script) - 1);
        cmd_len = sizeof(stdin_port_script) - 1;
    }
    if (job->live && add_port_link(&cmd, &cmd_len, &cmd_cap, "pv.live", job->live->vm_path) < 0)
        goto done;
    if ((job->gdb_port || job->gdb_path) && add_port_link(&cmd, &cmd_len, &cmd_cap, "pv.gdb", RUNNER_VM_GDB) < 0)
        goto done;
    memcpy(cmd + cmd_len, "exec", 4);
    cmd_len += 4;
    for (char *const *a = job->argv; *a; a++)
        if (quote_word(&cmd, &cmd_len, &cmd_cap, *a) < 0)
            goto oom;
    cmd[cmd_len++] = '\n'; /* quote_word leaves a spare byte */

    /* The outputs, one VM path per line. */
    outs = malloc(job->n_outputs * (PATH_MAX + 1) + 1);
    if (!outs)
        goto oom;
    for (size_t i = 0; i < job->n_outputs; i++) {
        char vm[PATH_MAX];
        if (check_vm_path(job->outputs[i].vm_path, false, vm, sizeof(vm)) < 0)
            goto done;
        outs_len += (size_t)sprintf(outs + outs_len, "%s\n", vm);
    }

    cpio_writer_init(&w, out);
    w_open = true;
    if (cpio_add_dir(&w, "pv", 0755) < 0 || cpio_add_dir(&w, "pv/.job", 0755) < 0 ||
        cpio_add_file(&w, "pv/.job/cmd", 0644, cmd, cmd_len) < 0 ||
        cpio_add_file(&w, "pv/.job/outputs", 0644, outs, outs_len) < 0) {
        runner_errmsg("KVM runner: cannot write the initrd: %s", strerror(errno));
        goto done;
    }
    if (r->pv_static[0] && put_path(&w, r->pv_static, "pv/bin/pagevisor", 0) < 0)
        goto done;
    for (size_t i = 0; i < job->n_inputs; i++) {
        char vm[PATH_MAX];
        if (check_vm_path(job->inputs[i].vm_path, true, vm, sizeof(vm)) < 0 ||
            (job->inputs[i].volume ? put_volume(&w, job->inputs[i].host_path, vm, 0) :
             put_path(&w, job->inputs[i].host_path, vm, 0)) < 0)
            goto done;
    }
    if (cpio_finish(&w) < 0) {
        runner_errmsg("KVM runner: cannot write the initrd: %s", strerror(errno));
        goto done;
    }
    rc = 0;
    goto done;
oom:
    runner_errmsg("KVM runner: out of memory");
done:
    if (w_open)
        cpio_writer_free(&w);
    free(cmd);
    free(outs);
    if (in >= 0)
        close(in);
    if (out >= 0 && close(out) < 0 && rc == 0) {
        runner_errmsg("KVM runner: cannot write the initrd: %s", strerror(errno));
        rc = -1;
    }
    return rc;
}

/* --- output files --------------------------------------------------------------------------*/

/* A file this big shows its progress on a terminal while it comes back. */
#define RUNNER_PROGRESS_BYTES (32u << 20)

static void out_progress(struct run *r, bool last)
{
    double t = monotonic_seconds();
    if (r->out_size < RUNNER_PROGRESS_BYTES || !isatty(2) || (!last && t - r->out_shown < 0.5))
        return;
    if (last && !r->out_shown)
        return;
    fflush(stdout);
    fprintf(stderr, "\r%s: KVM runner: copying back %s: %llu of %llu MiB%s", prog,
            r->job->outputs[r->out_idx].host_path, (unsigned long long)(r->out_got >> 20),
            (unsigned long long)(r->out_size >> 20), last ? "\n" : "");
    r->out_shown = t;
}

/* "cannot write the pagefile back to PATH", or "cannot write back PATH": the start of every
 * message about the output being received. */
static const char *out_cannot(const struct run *r, char *buf, size_t len)
{
    const struct runner_file *f = &r->job->outputs[r->out_idx];
    if (f->what)
        snprintf(buf, len, "cannot write %s back to %s", f->what, f->host_path);
    else
        snprintf(buf, len, "cannot write back %s", f->host_path);
    return buf;
}

static int out_begin(void *ctx, const char *vm_path, uint64_t size)
{
    struct run *r = ctx;
    for (size_t i = 0; i < r->job->n_outputs; i++) {
        char vm[PATH_MAX], tmp[PATH_MAX];
        if (check_vm_path(r->job->outputs[i].vm_path, false, vm, sizeof(vm)) == 0 &&
            strcmp(vm, vm_path) == 0 && !r->out_done[i]) {
            r->out_idx = i;
            if (!fmt_ok(tmp, sizeof(tmp), "%s/pagevisor-runner-out.XXXXXX", r->tmpbase) ||
                (r->out_fd = mkostemp(tmp, O_CLOEXEC)) < 0) {
                char what[PATH_MAX + 64];
                int e = errno;
                snprintf(r->store_error, sizeof(r->store_error), "%s: a temporary file in %s: %s",
                         out_cannot(r, what, sizeof(what)), r->tmpbase, strerror(e));
                return -1;
            }
            unlink(tmp);
            r->out_size = size;
            r->out_got = 0;
            r->out_shown = 0;
            return 0;
        }
    }
    snprintf(r->store_error, sizeof(r->store_error), "cannot store an output file: the VM sent "
             "%s, which was not asked for", vm_path);
    return -1;
}

static int out_data(void *ctx, const void *buf, size_t len)
{
    struct run *r = ctx;
    if (fd_write_all(r->out_fd, buf, len) < 0) {
        char what[PATH_MAX + 64];
        int e = errno;
        snprintf(r->store_error, sizeof(r->store_error), "%s: a temporary file in %s: %s",
                 out_cannot(r, what, sizeof(what)), r->tmpbase, strerror(e));
        return -1;
    }
    r->out_got += len;
    out_progress(r, false);
    return 0;
}

/* The file arrived whole (its checksum matched): copy it over the host path (created
 * 0666 & ~umask, or truncated; with the output's mode when it names one, e.g. 0600 for a
 * pagefile, whose guest data is nobody else's business). A host file that cannot be written
 * whole is removed, not left short or with holes that read as zeros: the run fails with one
 * line saying why. A host file deleted during the run is written back as a new one, with a
 * note: the user asked for the file after the run. */
static int out_end(void *ctx, const char *vm_path)
{
    struct run *r = ctx;
    const struct runner_file *out = &r->job->outputs[r->out_idx];
    const char *host = out->host_path;
    char cannot[PATH_MAX + 64];
    int rc = -1, dst = -1;
    off_t off = 0;
    struct stat st;
    (void)vm_path;

    out_cannot(r, cannot, sizeof(cannot));
    if (out->volume) {
        /* Only what the run created or changed comes back, into the directory. */
        unsigned written, unchanged;
        char why[4000];
        if (volume_unpack(r->out_fd, host, &written, &unchanged, why, sizeof(why)) != 0) {
            snprintf(r->store_error, sizeof(r->store_error), "%s: %s", cannot, why);
        } else {
            r->out_done[r->out_idx] = true;
            rc = 0;
            if (r->job->verbose)
                fprintf(stderr, "%s: KVM runner: %u file(s) of the volume written back to %s, "
                        "%u unchanged\n", prog, written, host, unchanged);
        }
        goto done;
    }
    if (r->out_existed[r->out_idx] && lstat(host, &st) < 0 && errno == ENOENT) {
        fflush(stdout);
        fprintf(stderr, "%s: %s%s%s was deleted during the run; it is written back as a new "
                "file\n", prog, out->what ? out->what : "", out->what ? " " : "", host);
    }
    unsigned mode = out->mode;
    dst = open(host, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode ? mode : 0666);
    if (dst >= 0 && mode && fchmod(dst, mode) < 0) {
        int e = errno;
        close(dst);
        dst = -1;
        errno = e;
    }
    if (dst < 0) {
        snprintf(r->store_error, sizeof(r->store_error), "%s: %s", cannot, strerror(errno));
        goto done;
    }
    out_progress(r, true);
    if (out->sparse_packed) {
        /* Only the data comes back; the holes stay holes on the host too. */
        if (sparse_unpack(r->out_fd, dst, cannot, r->store_error, sizeof(r->store_error)) != 0)
            goto incomplete;
        goto written;
    }
    char buf[1 << 16];
    for (;;) {
        ssize_t n = pread(r->out_fd, buf, sizeof(buf), off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 || (n > 0 && fd_write_all(dst, buf, (size_t)n) < 0)) {
            snprintf(r->store_error, sizeof(r->store_error), "%s: %s", cannot, strerror(errno));
            goto incomplete;
        }
        if (n == 0)
            break;
        off += n;
    }
written:
    /* A file system that allocates late (NFS, some FUSE ones) may say it is full only here. */
    if (fsync(dst) < 0 && errno != EINVAL && errno != EROFS) {
        snprintf(r->store_error, sizeof(r->store_error), "%s: %s", cannot, strerror(errno));
        goto incomplete;
    }
    if (close(dst) < 0) {
        dst = -1;
        snprintf(r->store_error, sizeof(r->store_error), "%s: %s", cannot, strerror(errno));
        goto incomplete;
    }
    dst = -1;
    r->out_done[r->out_idx] = true;
    rc = 0;
    goto done;
incomplete:
    /* Only a regular file is removed (not a device or FIFO the user named). */
    if (dst < 0 ? lstat(host, &st) == 0 : fstat(dst, &st) == 0) {
        if (S_ISREG(st.st_mode)) {
            size_t used = strlen(r->store_error);
            bool removed = unlink(host) == 0;
            snprintf(r->store_error + used, sizeof(r->store_error) - used, "; %s",
                     removed ? "the incomplete file was removed" : "the file is incomplete");
        }
    }
done:
    if (dst >= 0)
        close(dst);
    close(r->out_fd);
    r->out_fd = -1;
    return rc;
}

/* An output the command did not write: named by the host path the user asked for, not by
 * where it would have been in the VM. */
static void out_missing(void *ctx, const char *vm_path)
{
    struct run *r = ctx;
    char vm[PATH_MAX];
    const char *shown = vm_path;
    for (size_t i = 0; i < r->job->n_outputs; i++)
        if (check_vm_path(r->job->outputs[i].vm_path, false, vm, sizeof(vm)) == 0 &&
            strcmp(vm, vm_path) == 0)
            shown = r->job->outputs[i].host_path;
    fflush(stdout);
    fprintf(stderr, "%s: KVM runner: warning: the command did not create %s; nothing copied back\n",
            prog, shown);
}

/* --- QEMU ----------------------------------------------------------------------------------*/

static int make_fifos(struct run *r)
{
    char path[PATH_MAX + 16];
    for (int c = 0; c < CH_N; c++) {
        for (int dir = 0; dir < 2; dir++) {
            snprintf(path, sizeof(path), "%s/%s.%s", r->tmpdir, ch_name[c], dir ? "out" : "in");
            if (mkfifo(path, 0600) < 0) {
                runner_errmsg("KVM runner: mkfifo %s: %s", path, strerror(errno));
                return -1;
            }
        }
        /* O_RDWR: opening never blocks and never sees EOF; QEMU's exit is seen on fd_log. */
        snprintf(path, sizeof(path), "%s/%s.out", r->tmpdir, ch_name[c]);
        r->fd[c] = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
        if (r->fd[c] < 0) {
            runner_errmsg("KVM runner: open %s: %s", path, strerror(errno));
            return -1;
        }
    }
    snprintf(path, sizeof(path), "%s/res.in", r->tmpdir);
    r->fd_res_in = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (r->fd_res_in < 0) {
        runner_errmsg("KVM runner: open %s: %s", path, strerror(errno));
        return -1;
    }
    snprintf(path, sizeof(path), "%s/in.in", r->tmpdir);
    r->fd_in_in = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (r->fd_in_in < 0) {
        runner_errmsg("KVM runner: open %s: %s", path, strerror(errno));
        return -1;
    }
    return 0;
}

#define QEMU_MAX_ARGS 56

static int spawn_qemu(struct run *r)
{
    char initrd[PATH_MAX + 16];
    char dev[CH_N][2 * PATH_MAX + 64];
    char esc[2 * PATH_MAX + 32];
    const char *argv[QEMU_MAX_ARGS];
    int n = 0;

    snprintf(initrd, sizeof(initrd), "%s/initrd", r->tmpdir);
    for (int c = 0; c < CH_N; c++) {
        char p[PATH_MAX + 8];
        snprintf(p, sizeof(p), "%s/%s", r->tmpdir, ch_name[c]);
        qemu_escape(p, esc, sizeof(esc));
        snprintf(dev[c], sizeof(dev[c]), "pipe,id=%s,path=%s", ch_name[c], esc);
    }
    argv[n++] = r->qemu_path;
    argv[n++] = "-accel";
    argv[n++] = "tcg";
    argv[n++] = "-cpu";
    argv[n++] = "max";
    argv[n++] = "-m";
    argv[n++] = "1024";
    argv[n++] = "-smp";
    argv[n++] = "1";
    argv[n++] = "-kernel";
    argv[n++] = r->kernel;
    argv[n++] = "-initrd";
    argv[n++] = initrd;
    argv[n++] = "-append";
    argv[n++] = RUNNER_KERNEL_ARGS;
    argv[n++] = "-display";
    argv[n++] = "none";
    argv[n++] = "-no-reboot";
    argv[n++] = "-nodefaults";
    argv[n++] = "-chardev";
    argv[n++] = dev[CH_CON];
    argv[n++] = "-device";
    argv[n++] = "isa-serial,chardev=con,index=0";
    argv[n++] = "-chardev";
    argv[n++] = dev[CH_OUT];
    argv[n++] = "-device";
    argv[n++] = "isa-serial,chardev=out,index=1";
    argv[n++] = "-chardev";
    argv[n++] = dev[CH_ERR];
    argv[n++] = "-device";
    argv[n++] = "isa-serial,chardev=err,index=2,irq=7";
    argv[n++] = "-device";
    argv[n++] = "virtio-serial-pci,id=vs";
    argv[n++] = "-chardev";
    argv[n++] = dev[CH_RES];
    argv[n++] = "-device";
    argv[n++] = "virtserialport,bus=vs.0,nr=1,chardev=res,name=pv.result";
    argv[n++] = "-chardev";
    argv[n++] = dev[CH_IN];
    argv[n++] = "-device";
    argv[n++] = "virtserialport,bus=vs.0,nr=2,chardev=in,name=pv.stdin";
    argv[n++] = "-chardev";
    argv[n++] = dev[CH_LIVE];
    argv[n++] = "-device";
    argv[n++] = "virtserialport,bus=vs.0,nr=3,chardev=live,name=pv.live";
    char gdb[2 * PATH_MAX + 96];
    if (r->job->gdb_port || r->job->gdb_path) {
        /* QEMU listens where the user's gdb connects, and relays it to the port. */
        if (r->job->gdb_port) {
            snprintf(gdb, sizeof(gdb), "socket,id=gdb,host=127.0.0.1,port=%u,ipv4=on,"
                     "server=on,wait=off", r->job->gdb_port);
        } else {
            qemu_escape(r->job->gdb_path, esc, sizeof(esc));
            snprintf(gdb, sizeof(gdb), "socket,id=gdb,path=%s,server=on,wait=off", esc);
        }
        argv[n++] = "-chardev";
        argv[n++] = gdb;
        argv[n++] = "-device";
        argv[n++] = "virtserialport,bus=vs.0,nr=4,chardev=gdb,name=pv.gdb";
    }
    argv[n] = NULL;

    /* The whole QEMU command line only on request: it is long, and --verbose is what the
     * demo shows. */
    if (r->job->verbose) {
        fflush(stdout);
        const char *debug = getenv("PAGEVISOR_RUNNER_DEBUG");
        if (debug && *debug && strcmp(debug, "0") != 0) {
            fprintf(stderr, "runner:");
            for (int i = 0; i < n; i++)
                fprintf(stderr, " %s", argv[i]);
            fputc('\n', stderr);
        } else {
            fprintf(stderr, "runner: booting the KVM runner VM (%s -cpu max; "
                    "PAGEVISOR_RUNNER_DEBUG=1 shows its command line)\n", argv[0]);
        }
    }

    int logp[2];
    if (pipe2(logp, O_CLOEXEC) < 0) {
        runner_errmsg("KVM runner: pipe: %s", strerror(errno));
        return -1;
    }
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    if (devnull < 0) {
        runner_errmsg("KVM runner: /dev/null: %s", strerror(errno));
        close(logp[0]);
        close(logp[1]);
        return -1;
    }
    pid_t parent = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        runner_errmsg("KVM runner: fork: %s", strerror(errno));
        close(logp[0]);
        close(logp[1]);
        close(devnull);
        return -1;
    }
    if (pid == 0) {
        /* Its own process group (a Ctrl-C reaches us, and we stop QEMU), and it dies with us. */
        setpgid(0, 0);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        signal(SIGPIPE, SIG_DFL);
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        dup2(devnull, 0);
        dup2(logp[1], 1);
        dup2(logp[1], 2);
        close_range(3, ~0u, 0); /* the caller's descriptors are none of QEMU's business */
        execv(r->qemu_path, (char *const *)argv);
        dprintf(2, "cannot run %s: %s\n", r->qemu_path, strerror(errno));
        _exit(127);
    }
    close(devnull);
    close(logp[1]);
    r->fd_log = logp[0];
    fcntl(r->fd_log, F_SETFL, O_NONBLOCK);
    r->qemu = pid;
    r->t_spawn = monotonic_seconds();
    return 0;
}

static void reap_qemu(struct run *r, bool kill_it)
{
    if (r->qemu <= 0 || r->qemu_exited)
        return;
    if (kill_it)
        kill(r->qemu, SIGKILL);
    for (;;) {
        pid_t p = waitpid(r->qemu, &r->qemu_status, 0);
        if (p == r->qemu)
            break;
        if (p < 0 && errno == EINTR)
            continue;
        r->qemu_status = 0; /* ECHILD: reaped elsewhere (SIGCHLD ignored) */
        break;
    }
    r->qemu_exited = true;
    r->t_done = monotonic_seconds();
}

/* --- the relay loop ------------------------------------------------------------------------*/

static void remove_tmpdir(struct run *r);

/* --- the stdin relay ----------------------------------------------------------------------*/

static void stdin_answer(struct run *r, const char *head, const void *data, size_t len)
{
    /* The VM reads every answer before it asks again: the FIFO never holds more than one. */
    if (fd_write_all(r->fd_in_in, head, strlen(head)) < 0 ||
        (len && fd_write_all(r->fd_in_in, data, len) < 0))
        r->in_ended = true;
    r->in_waiting = false;
    input_wait_answer(&r->in_wait, monotonic_seconds(),
                      len == 0 && strncmp(head, "PV1 DATA", 8) == 0);
}

/* The request that waits gets what the input has now; without anything (and before its time
 * is up) it goes on waiting. */
static void stdin_serve(struct run *r, bool time_is_up)
{
    char buf[PV_CONSOLE_READ_MAX], head[48];
    int eof = r->in_ended || !r->job->stdin_read;
    size_t n = 0;

    if (!eof)
        n = r->job->stdin_read(r->job->stdin_ctx, buf, r->in_cap, &eof);
    if (n > r->in_cap)
        n = r->in_cap;
    if (n == 0 && !eof && !time_is_up)
        return;
    if (eof)
        r->in_ended = true;
    if (n == 0 && eof) {
        stdin_answer(r, "PV1 EOF\n", NULL, 0);
    } else {
        snprintf(head, sizeof(head), "PV1 DATA %zu\n", n);
        stdin_answer(r, head, buf, n);
    }
}

static void stdin_request(struct run *r)
{
    unsigned long cap, ms;
    char extra;
    r->in_line[r->in_len < sizeof(r->in_line) ? r->in_len : sizeof(r->in_line) - 1] = '\0';
    if (r->in_len >= sizeof(r->in_line) || r->in_waiting ||
        sscanf(r->in_line, "PV1 READ %lu %lu%c", &cap, &ms, &extra) != 2 || cap == 0 ||
        cap > PV_CONSOLE_READ_MAX || ms > PV_CONSOLE_READ_WAIT_MAX) {
        if (!r->in_warned) {
            char shown[80];
            runner_printable(shown, sizeof(shown), r->in_line, strlen(r->in_line));
            runner_errmsg("KVM runner: bad request on the stdin port (\"%s\"); the command's input ends",
                   shown);
            r->in_warned = true;
        }
        r->in_ended = true;
        stdin_answer(r, "PV1 EOF\n", NULL, 0);
        return;
    }
    r->in_waiting = true;
    r->in_cap = cap;
    r->in_deadline = monotonic_seconds() + (double)ms / 1000.0;
    stdin_serve(r, ms == 0);
}

static void stdin_feed(struct run *r, const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (buf[i] == '\n') {
            stdin_request(r);
            r->in_len = 0;
        } else if (r->in_len < sizeof(r->in_line)) {
            r->in_line[r->in_len++] = buf[i]; /* a full buffer marks the line too long */
        }
    }
}

/* Read what one channel has. Returns bytes read (0 when nothing is waiting), -1 on errors. */
static ssize_t pump(struct run *r, int c)
{
    char buf[1 << 16];
    ssize_t n = read(c == CH_N ? r->fd_log : r->fd[c], buf, sizeof(buf));
    if (n < 0)
        return (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) ? 0 : -1;
    if (n == 0)
        return 0;
    switch (c) {
    case CH_CON:
        tail_feed(&r->console, buf, (size_t)n);
        break;
    case CH_OUT:
        if (!r->out_broken && fd_write_all(1, buf, (size_t)n) < 0)
            r->out_broken = true; /* EPIPE: the reader went away; the job goes on */
        break;
    case CH_ERR:
        if (!r->err_broken) {
            fflush(stdout);
            if (fd_write_all(2, buf, (size_t)n) < 0)
                r->err_broken = true;
        }
        break;
    case CH_IN:
        stdin_feed(r, buf, (size_t)n);
        break;
    case CH_LIVE:
        if (r->fd_live >= 0 && !r->live_broken && fd_write_all(r->fd_live, buf, (size_t)n) < 0) {
            runner_errmsg("KVM runner: cannot write %s: %s; the rest of it is lost",
                   r->job->live->host_path, strerror(errno));
            r->live_broken = true;
        }
        break;
    case CH_RES: {
        bool started = r->frames->started, exited = r->frames->exited;
        runner_frames_feed(r->frames, buf, (size_t)n);
        double t = monotonic_seconds();
        if (!started && r->frames->started) {
            r->t_start = t;
            /* QEMU opened the initrd and the FIFOs long ago (we hold our ends): nothing needs
             * the directory any more, and even a SIGKILL cannot leave it behind now. */
            remove_tmpdir(r);
        }
        if (!exited && r->frames->exited)
            r->t_exit = t;
        if (r->frames->ended && r->t_end == 0)
            r->t_end = t;
        break;
    }
    default: /* QEMU's own output */
        tail_feed(&r->qemu_log, buf, (size_t)n);
        break;
    }
    return n;
}

/* Everything still waiting in the FIFOs (after QEMU is gone nothing more comes). */
static void drain(struct run *r)
{
    for (int c = 0; c <= CH_N; c++) {
        if (c < CH_N && r->fd[c] < 0)
            continue;
        if (c == CH_N && r->fd_log < 0)
            continue;
        while (pump(r, c) > 0 && r->frames->state != FR_FAILED)
            ;
    }
}

enum outcome { OK, FAILED, TIMED_OUT, INTERRUPTED };

static enum outcome relay(struct run *r)
{
    const struct runner_job *job = r->job;

    for (;;) {
        /* Which limit applies now. */
        double t = monotonic_seconds(), deadline;
        const char *phase;
        if (r->bye_sent) {
            deadline = r->t_bye + RUNNER_SHUTDOWN_WAIT;
            phase = "shutdown";
        } else if (r->frames->exited) {
            deadline = r->t_exit + RUNNER_RESULT_LIMIT;
            phase = "results";
        } else if (r->frames->started) {
            /* Time the command spent waiting for its input is not charged to it. */
            deadline = job->timeout_sec ? r->t_start + job->timeout_sec +
                                          input_wait_total(&r->in_wait, monotonic_seconds()) : 0;
            phase = "command";
        } else {
            deadline = r->t_spawn + RUNNER_BOOT_LIMIT;
            phase = "boot";
        }
        if (deadline && t >= deadline) {
            if (strcmp(phase, "shutdown") == 0) {
                reap_qemu(r, true); /* everything is in; it just did not power off */
                drain(r);
                return OK;
            }
            reap_qemu(r, true);
            drain(r);
            if (strcmp(phase, "command") == 0)
                return TIMED_OUT;
            runner_errmsg("KVM runner: the VM took more than %d s to %s; QEMU stopped",
                   strcmp(phase, "boot") == 0 ? RUNNER_BOOT_LIMIT : RUNNER_RESULT_LIMIT,
                   strcmp(phase, "boot") == 0 ? "boot and start the command" : "send the results");
            tail_end(&r->console);
            tail_print(&r->console, "last lines of the VM console:");
            return FAILED;
        }

        struct pollfd pfd[CH_N + 3];
        for (int c = 0; c < CH_N; c++)
            pfd[c] = (struct pollfd){ .fd = r->fd[c], .events = POLLIN };
        pfd[CH_N] = (struct pollfd){ .fd = r->fd_log, .events = POLLIN };
        pfd[CH_N + 1] = (struct pollfd){ .fd = sig_pipe[0], .events = POLLIN };
        /* Standard input only while the command asks for it. */
        bool want_stdin = r->in_waiting && job->stdin_read;
        pfd[CH_N + 2] = (struct pollfd){ .fd = want_stdin ? job->stdin_fd : -1, .events = POLLIN };
        int ms = -1;
        if (deadline) {
            double left = (deadline - t) * 1000.0 + 1;
            ms = left > 60000 ? 60000 : (int)left;
        }
        if (r->in_waiting) {
            double left = (r->in_deadline - t) * 1000.0 + 1;
            int in_ms = left < 0 ? 0 : (int)left;
            ms = ms < 0 || in_ms < ms ? in_ms : ms;
        }
        int rc = poll(pfd, CH_N + 3, ms);
        if (rc < 0 && errno != EINTR) {
            runner_errmsg("KVM runner: poll: %s", strerror(errno));
            reap_qemu(r, true);
            return FAILED;
        }
        if (sig_caught) {
            reap_qemu(r, true);
            drain(r);
            return INTERRUPTED;
        }
        if (r->in_waiting && (pfd[CH_N + 2].revents || monotonic_seconds() >= r->in_deadline))
            stdin_serve(r, monotonic_seconds() >= r->in_deadline);
        if (rc <= 0)
            continue;
        for (int c = 0; c < CH_N; c++)
            if (pfd[c].revents & POLLIN)
                pump(r, c);
        if (r->frames->state == FR_FAILED) {
            reap_qemu(r, true);
            drain(r);
            if (r->store_error[0])
                runner_errmsg("KVM runner: %s", r->store_error);
            else
                runner_errmsg("KVM runner: garbled result stream from the VM: %s", r->frames->error);
            return FAILED;
        }
        if (r->frames->ended && !r->bye_sent) {
            /* All results are in, and the VM drained stdout and stderr before EXIT. Empty
             * their FIFOs so QEMU can flush anything it still holds, then let the VM power off. */
            while (pump(r, CH_OUT) > 0 || pump(r, CH_ERR) > 0)
                ;
            if (fd_write_all(r->fd_res_in, "BYE\n", 4) < 0) {
                reap_qemu(r, true);
                drain(r);
                return OK;
            }
            r->bye_sent = true;
            r->t_bye = monotonic_seconds();
        }
        if (pfd[CH_N].revents & (POLLIN | POLLHUP | POLLERR)) {
            ssize_t n;
            do
                n = pump(r, CH_N);
            while (n > 0);
            char probe;
            ssize_t e = read(r->fd_log, &probe, 1);
            if (e == 0 || (e < 0 && errno != EAGAIN && errno != EINTR)) {
                /* EOF: QEMU has exited. */
                reap_qemu(r, false);
                drain(r);
                return OK;
            }
            if (e > 0)
                tail_feed(&r->qemu_log, &probe, 1);
        }
    }
}

/* --- the temp dir --------------------------------------------------------------------------*/

static int make_tmpdir(struct run *r)
{
    const char *base = getenv("TMPDIR");
    if (!base || !*base || strchr(base, ',') || strlen(base) > PATH_MAX / 4 || access(base, W_OK) != 0)
        base = "/tmp";
    snprintf(r->tmpbase, sizeof(r->tmpbase), "%s", base);
    snprintf(r->tmpdir, sizeof(r->tmpdir), "%s/pagevisor-runner.XXXXXX", base);
    if (!mkdtemp(r->tmpdir)) {
        runner_errmsg("KVM runner: cannot make a temporary directory in %s: %s", base, strerror(errno));
        r->tmpdir[0] = '\0';
        return -1;
    }
    return 0;
}

static void remove_tmpdir(struct run *r)
{
    if (!r->tmpdir[0])
        return;
    DIR *d = opendir(r->tmpdir);
    if (d) {
        struct dirent *de;
        while ((de = readdir(d)) != NULL)
            if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
                unlinkat(dirfd(d), de->d_name, 0);
        closedir(d);
    }
    rmdir(r->tmpdir);
    r->tmpdir[0] = '\0';
}

/* --- runner_run ----------------------------------------------------------------------------*/

static bool host_output_ok(const char *host)
{
    char dir[PATH_MAX];
    path_parent_dir(host, dir, sizeof(dir));
    struct stat st;
    if (stat(dir, &st) < 0 || !S_ISDIR(st.st_mode)) {
        runner_errmsg("KVM runner: cannot write %s: no directory %s", host, dir);
        return false;
    }
    if (access(dir, W_OK) != 0 && access(host, W_OK) != 0) {
        runner_errmsg("KVM runner: cannot write %s: %s", host, strerror(errno));
        return false;
    }
    if (stat(host, &st) == 0 && S_ISDIR(st.st_mode)) {
        runner_errmsg("KVM runner: cannot write %s: it is a directory", host);
        return false;
    }
    return true;
}

int runner_run(const struct runner_job *job, int *exit_status)
{
    struct run *r = calloc(1, sizeof(*r));
    struct saved_signals saved;
    bool signals_set = false;
    int rc = -1, err = 0, caught = 0;

    if (!r || !(r->frames = malloc(sizeof(*r->frames))) ||
        !(r->out_done = calloc(job->n_outputs + 1, sizeof(bool))) ||
        !(r->out_existed = calloc(job->n_outputs + 1, sizeof(bool)))) {
        runner_errmsg("KVM runner: out of memory");
        if (r) {
            free(r->frames);
            free(r->out_done);
            free(r);
        }
        errno = ENOMEM;
        return -1;
    }
    r->job = job;
    r->fd_log = r->fd_res_in = r->fd_in_in = r->out_fd = r->fd_live = -1;
    for (int c = 0; c < CH_N; c++)
        r->fd[c] = -1;
    r->console.label = "";
    r->qemu_log.label = "qemu: ";
    r->console.echo = r->qemu_log.echo = job->verbose != 0;
    runner_frames_init(r->frames);
    r->frames->file_begin = out_begin;
    r->frames->file_data = out_data;
    r->frames->file_end = out_end;
    r->frames->file_missing = out_missing;
    r->frames->ctx = r;

    if (!job->argv || !job->argv[0]) {
        runner_errmsg("KVM runner: no command to run");
        err = EINVAL;
        goto out;
    }
    for (size_t i = 0; i < job->n_outputs; i++) {
        struct stat st;
        if (!job->outputs[i].volume && !host_output_ok(job->outputs[i].host_path)) {
            err = EINVAL;
            goto out;
        }
        r->out_existed[i] = lstat(job->outputs[i].host_path, &st) == 0;
    }
    if (job->live) {
        /* O_APPEND is not used: a FIFO or a terminal given as the live file works as well. */
        unsigned mode = job->live->mode;
        r->fd_live = open(job->live->host_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
                          mode ? mode : 0666);
        if (r->fd_live < 0) {
            runner_errmsg("KVM runner: cannot write %s: %s", job->live->host_path, strerror(errno));
            err = EINVAL;
            goto out;
        }
    }
    if (find_ingredients(r) < 0 || make_tmpdir(r) < 0 || write_initrd(r) < 0 || make_fifos(r) < 0) {
        err = EIO;
        goto out;
    }
    if (install_signals(&saved) < 0) {
        runner_errmsg("KVM runner: pipe: %s", strerror(errno));
        err = EIO;
        goto out;
    }
    signals_set = true;
    if (spawn_qemu(r) < 0) {
        err = EIO;
        goto out;
    }

    enum outcome o = relay(r);
    tail_end(&r->console);
    tail_end(&r->qemu_log);
    if (o == OK && runner_frames_finish(r->frames) == 0) {
        *exit_status = r->frames->exit_status;
        rc = 0;
    } else if (o == OK) {
        struct runner_frames *f = r->frames;
        if (r->qemu_exited && WIFSIGNALED(r->qemu_status))
            runner_errmsg("KVM runner: %s was killed by signal %d (%s) %s the command", RUNNER_QEMU,
                   WTERMSIG(r->qemu_status), strsignal(WTERMSIG(r->qemu_status)),
                   f->started ? "while the VM ran" : "before the VM started");
        else if (r->store_error[0])
            runner_errmsg("KVM runner: %s", r->store_error);
        else if (f->vm_error[0])
            runner_errmsg("KVM runner: the VM could not run the command: %s", f->vm_error);
        else if (!f->started && r->qemu_exited && WIFEXITED(r->qemu_status) &&
                 WEXITSTATUS(r->qemu_status) != 0)
            runner_errmsg("KVM runner: %s failed (exit status %d) before the VM started the command",
                   RUNNER_QEMU, WEXITSTATUS(r->qemu_status));
        else if (!f->started)
            runner_errmsg("KVM runner: the VM stopped before it started the command");
        else if (!f->exited)
            runner_errmsg("KVM runner: the VM stopped while the command ran, without reporting its exit status");
        else
            runner_errmsg("KVM runner: the VM stopped before sending all results (%s)", f->error);
        if (r->console.alarm[0])
            fprintf(stderr, "%s: the VM's kernel said: %s\n", prog, r->console.alarm);
        tail_print(&r->qemu_log, "QEMU said:");
        tail_print(&r->console, "last lines of the VM console:");
        err = EIO;
    } else if (o == TIMED_OUT) {
        runner_errmsg("KVM runner: the command ran longer than %u s; the VM was stopped", job->timeout_sec);
        err = ETIMEDOUT;
    } else if (o == INTERRUPTED) {
        caught = sig_caught;
        runner_errmsg("KVM runner: interrupted (%s); the VM was stopped", strsignal(caught));
        err = EINTR;
    } else {
        err = EIO;
    }
    if (job->verbose && r->t_spawn > 0) {
        double end = r->t_done ? r->t_done : monotonic_seconds();
        fprintf(stderr, "runner: boot to command %.2f s, command %.2f s, results %.2f s, "
                "power off %.2f s, total %.2f s\n",
                r->t_start ? r->t_start - r->t_spawn : 0,
                r->t_exit && r->t_start ? r->t_exit - r->t_start : 0,
                r->t_end && r->t_exit ? r->t_end - r->t_exit : 0,
                r->t_end ? end - r->t_end : 0, end - r->t_spawn);
    }

out:
    reap_qemu(r, true);
    for (int c = 0; c < CH_N; c++)
        if (r->fd[c] >= 0)
            close(r->fd[c]);
    if (r->fd_res_in >= 0)
        close(r->fd_res_in);
    if (r->fd_in_in >= 0)
        close(r->fd_in_in);
    if (r->fd_log >= 0)
        close(r->fd_log);
    if (r->out_fd >= 0)
        close(r->out_fd);
    if (r->fd_live >= 0 && close(r->fd_live) < 0 && !r->live_broken && rc == 0)
        runner_errmsg("KVM runner: cannot write %s: %s", job->live->host_path, strerror(errno));
    remove_tmpdir(r);
    if (signals_set)
        restore_signals(&saved);
    free(r->out_done);
    free(r->out_existed);
    free(r->frames);
    free(r);
    if (caught)
        raise(caught); /* the caller's disposition for it; by default this ends the process */
    if (rc < 0)
        errno = err;
    return rc;
}
