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
    vm_create(&vm, kvm_fd, PROBE_MEM, false);
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
