/*
 * kvm_probe.c - the 32-bit paging capability probe.
 *
 * The probe guest sets CR3, sets CR0.PG with EFER.LME clear, and reads a word at virtual
 * 0x4000, which its page table maps to physical 0x5000; it writes that word to a port. Only a
 * KVM that really runs 32-bit paging returns the value stored at physical 0x5000. kvm-pvm shuts
 * the vCPU down instead.
 */
#include "kvm_probe.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kvm.h"

#define PROBE_MEM      (1u << 20)
#define PROBE_CODE     0x1000u
#define PROBE_PD       0x2000u
#define PROBE_PT       0x3000u
#define PROBE_VA       0x4000u
#define PROBE_PA       0x5000u
#define PROBE_PORT     0x5FEu
#define PROBE_MAGIC    0x50474E47u  /* what lies at PROBE_PA */
#define PROBE_DECOY    0xDEADBEEFu  /* what lies at PROBE_VA's identity frame */
#define PROBE_SECONDS  10

static const uint8_t probe_code[] = {
    0xB8, 0x00, 0x20, 0x00, 0x00,       /* mov eax, PROBE_PD */
    0x0F, 0x22, 0xD8,                   /* mov cr3, eax */
    0x0F, 0x20, 0xC0,                   /* mov eax, cr0 */
    0x0D, 0x00, 0x00, 0x00, 0x80,       /* or eax, CR0.PG */
    0x0F, 0x22, 0xC0,                   /* mov cr0, eax */
    0xEB, 0x00,                         /* jmp $+2 */
    0xA1, 0x00, 0x40, 0x00, 0x00,       /* mov eax, [PROBE_VA] */
    0x66, 0xBA, PROBE_PORT & 0xFF, PROBE_PORT >> 8, /* mov dx, PROBE_PORT */
    0xEF,                               /* out dx, eax */
    0xF4,                               /* hlt */
};

static void put32(struct guest_mem *m, uint32_t gpa, uint32_t v)
{
    memcpy(gpa_ptr(m, gpa, 4), &v, 4);
}

static void build_probe_guest(struct guest_mem *m)
{
    memcpy(gpa_ptr(m, PROBE_CODE, sizeof(probe_code)), probe_code, sizeof(probe_code));
    put32(m, PROBE_PD, PROBE_PT | 0x3);                       /* PDE 0 -> PT, present, write */
    for (uint32_t i = 0; i < 8; i++)                          /* identity for the low pages */
        put32(m, PROBE_PT + i * 4, (i << 12) | 0x3);
    put32(m, PROBE_PT + (PROBE_VA >> 12) * 4, PROBE_PA | 0x3); /* except VA 0x4000 -> PA 0x5000 */
    put32(m, PROBE_VA, PROBE_DECOY);
    put32(m, PROBE_PA, PROBE_MAGIC);
}

static int kvm_pvm_loaded(void)
{
    struct stat st;
    return stat("/sys/module/kvm_pvm", &st) == 0;
}

/* In the child: returns the result as exit status, the reason on fd. */
static int probe_child(int fd)
{
    char why[256] = "";
    int kvm_fd;
    enum kvm_open_result o = kvm_open(&kvm_fd, why, sizeof(why));
    if (o != KVM_OPEN_OK) {
        (void)!write(fd, why, strlen(why));
        return o == KVM_OPEN_MISSING ? PROBE_NO_KVM
             : o == KVM_OPEN_DENIED ? PROBE_NO_PERMISSION : PROBE_FAILED;
    }
    struct vm vm;
    vm_create(&vm, kvm_fd, PROBE_MEM, false, VM_THP_SYSTEM);
    build_probe_guest(&vm.mem);
    vcpu_set_protected_mode(&vm);
    vcpu_set_entry(&vm, PROBE_CODE, 0, 0);
    alarm(PROBE_SECONDS);
    int rc = ioctl(vm.vcpu_fd, KVM_RUN, 0);
    struct kvm_run *run = vm.run;
    enum kvm_probe_result result = PROBE_FAILED;
    if (rc < 0) {
        snprintf(why, sizeof(why), "KVM_RUN: %s", strerror(errno));
    } else if (run->exit_reason == KVM_EXIT_IO && run->io.port == PROBE_PORT &&
               run->io.direction == KVM_EXIT_IO_OUT && run->io.size == 4) {
        uint32_t got;
        memcpy(&got, (uint8_t *)run + run->io.data_offset, 4);
        if (got == PROBE_MAGIC)
            result = PROBE_CAPABLE;
        else
            snprintf(why, sizeof(why), "the probe guest read 0x%08x through its page tables, "
                     "expected 0x%08x: 32-bit paging is not honoured", got, PROBE_MAGIC);
        if (got == PROBE_DECOY)
            result = PROBE_NO_32BIT_PAGING;
    } else if (run->exit_reason == KVM_EXIT_SHUTDOWN) {
        result = PROBE_NO_32BIT_PAGING;
        snprintf(why, sizeof(why), "the vCPU shut down when the guest set CR0.PG with EFER.LME "
                 "clear: this KVM runs paging only in long mode%s",
                 kvm_pvm_loaded() ? " (kvm-pvm is loaded)" : "");
    } else {
        snprintf(why, sizeof(why), "unexpected KVM exit %u from the probe guest",
                 run->exit_reason);
    }
    (void)!write(fd, why, strlen(why));
    return result;
}

enum kvm_probe_result kvm_probe(char *why, size_t whylen)
{
    int pipefd[2];
    snprintf(why, whylen, "probe failed to start");
    if (pipe(pipefd) < 0)
        return PROBE_FAILED;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        close(pipefd[0]);
        close(pipefd[1]);
        return PROBE_FAILED;
    }
    if (pid == 0) {
        close(pipefd[0]);
        _exit(probe_child(pipefd[1]));
    }
    close(pipefd[1]);
    size_t got = 0;
    ssize_t r;
    while (got + 1 < whylen && (r = read(pipefd[0], why + got, whylen - 1 - got)) != 0) {
        if (r < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        got += (size_t)r;
    }
    why[got] = '\0';
    close(pipefd[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) <= PROBE_FAILED)
        return (enum kvm_probe_result)WEXITSTATUS(status);
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        snprintf(why, whylen, "the probe guest did not finish within %d s (KVM_RUN hung)",
                 PROBE_SECONDS);
    else if (!got)
        snprintf(why, whylen, "the probe process failed (status 0x%x)", status);
    return PROBE_FAILED;
}

const char *kvm_probe_result_name(enum kvm_probe_result r)
{
    switch (r) {
    case PROBE_CAPABLE: return "capable";
    case PROBE_NO_KVM: return "no KVM";
    case PROBE_NO_PERMISSION: return "no permission";
    case PROBE_NO_32BIT_PAGING: return "no 32-bit paging";
    case PROBE_FAILED: return "failed";
    }
    return "?";
}

/* What makes a probe's answer still true: this boot of the host, and which KVM modules are
 * loaded (one could be swapped for another without a reboot). */
static bool probe_key(char *key, size_t len)
{
    char boot[64] = "";
    FILE *f = fopen("/proc/sys/kernel/random/boot_id", "r");
    if (!f)
        return false;
    bool ok = fgets(boot, sizeof(boot), f) != NULL;
    fclose(f);
    if (!ok)
        return false;
    boot[strcspn(boot, "\n")] = '\0';
    int n = snprintf(key, len, "%s", boot);
    static const char *const modules[] = { "kvm_intel", "kvm_amd", "kvm_pvm" };
    for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++) {
        char path[64];
        struct stat st;
        snprintf(path, sizeof(path), "/sys/module/%s", modules[i]);
        if (stat(path, &st) == 0 && n >= 0 && (size_t)n < len)
            n += snprintf(key + n, len - (size_t)n, "+%s", modules[i]);
    }
    return n > 0 && (size_t)n < len;
}

static void probe_cache_path(char *path, size_t len)
{
    snprintf(path, len, "/tmp/pagevisor-probe-%u", (unsigned)getuid());
}

/* The file is trusted only if it is ours, a regular file, and nobody else can write it. */
static bool probe_cache_read(const char *key, enum kvm_probe_result *r, char *why, size_t whylen)
{
    char path[64], buf[512];
    probe_cache_path(path, sizeof(path));
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0)
        return false;
    struct stat st;
    ssize_t n = -1;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == getuid() &&
        (st.st_mode & 022) == 0)
        n = read(fd, buf, sizeof(buf) - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    char *nl1 = strchr(buf, '\n'), *nl2 = nl1 ? strchr(nl1 + 1, '\n') : NULL;
    if (!nl1 || !nl2)
        return false;
    *nl1 = *nl2 = '\0';
    int v;
    if (strcmp(buf, key) != 0 || sscanf(nl1 + 1, "%d", &v) != 1 ||
        (v != PROBE_CAPABLE && v != PROBE_NO_32BIT_PAGING))
        return false;
    const char *text = strchr(nl1 + 1, ' ');
    snprintf(why, whylen, "%s", text ? text + 1 : "");
    *r = (enum kvm_probe_result)v;
    return true;
}

static void probe_cache_write(const char *key, enum kvm_probe_result r, const char *why)
{
    char path[64], tmp[80];
    probe_cache_path(path, sizeof(path));
    snprintf(tmp, sizeof(tmp), "%s.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return;
    char buf[512];
    int n = snprintf(buf, sizeof(buf), "%s\n%d %s\n", key, (int)r, why);
    bool ok = n > 0 && (size_t)n < sizeof(buf) && write(fd, buf, (size_t)n) == n;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0)
        unlink(tmp);
}

/* Probes, and keeps an answer that stays true for this boot under key (NULL: no key). */
static enum kvm_probe_result probe_and_keep(char *why, size_t whylen, const char *key)
{
    enum kvm_probe_result r = kvm_probe(why, whylen);
    if (key && (r == PROBE_CAPABLE || r == PROBE_NO_32BIT_PAGING))
        probe_cache_write(key, r, why);
    return r;
}

enum kvm_probe_result kvm_probe_fresh(char *why, size_t whylen)
{
    char key[160];
    return probe_and_keep(why, whylen, probe_key(key, sizeof(key)) ? key : NULL);
}

enum kvm_probe_result kvm_probe_cached(char *why, size_t whylen, bool *cached)
{
    char key[160];
    enum kvm_probe_result r;
    *cached = false;
    /* Without /dev/kvm, or without access to it, nothing is cached: saying so is cheap. */
    if (access("/dev/kvm", R_OK | W_OK) != 0)
        return kvm_probe(why, whylen);
    bool keyed = probe_key(key, sizeof(key));
    if (keyed && probe_cache_read(key, &r, why, whylen)) {
        *cached = true;
        return r;
    }
    return probe_and_keep(why, whylen, keyed ? key : NULL);
}
