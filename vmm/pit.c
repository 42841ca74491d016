/*
 * pit.c - channel 0 of the 8254 PIT, emulated here rather than by KVM: modes 0 (one-shot) and
 * 2/3 (periodic), programmed through the command and data ports. A POSIX timer in the host
 * raises SIGRTMIN at the programmed period; the signal breaks KVM_RUN (EINTR, or
 * immediate_exit if it lands just before), and the exit loop pulses IRQ 0 of KVM's in-kernel
 * 8259. KVM's own PIT is not used: under nested virtualization on an emulated CPU (the KVM
 * runner) it made runs several times slower and now and then stopped the runner VM's clock
 * for good; this timer costs a host signal and one exit per tick, like a hypercall.
 */
#include "pit.h"

#include <err.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "pv_abi.h"

static volatile sig_atomic_t pit_due;
static struct kvm_run *volatile pit_run;

static void on_pit_signal(int sig)
{
    (void)sig;
    pit_due = 1;
    if (pit_run)
        pit_run->immediate_exit = 1;   /* in case the signal lands just before KVM_RUN */
}

void pit_install_signal(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_pit_signal;   /* no SA_RESTART: KVM_RUN returns EINTR */
    sigemptyset(&sa.sa_mask);
    sigaction(SIGRTMIN, &sa, NULL);
}

void pit_init(struct pit *p, int vm_fd, struct kvm_run *run)
{
    memset(p, 0, sizeof(*p));
    p->vm_fd = vm_fd;
    pit_due = 0;
    pit_run = run;
    pit_install_signal();
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGRTMIN;
    if (timer_create(CLOCK_MONOTONIC, &ev, &p->timer) < 0)
        err(PV_EXIT_VMM_ERROR, "timer_create for the guest's PIT");
    p->timer_made = true;
}

void pit_free(struct pit *p)
{
    pit_run = NULL;
    if (p->timer_made)
        timer_delete(p->timer);
    p->timer_made = false;
}

/* Count 0 means 65536, as on the chip. A count below PIT_MIN_COUNT is clamped to it: the chip
 * would count down from as little as 2 (about 600 kHz), but no PC operating system uses its
 * clock faster than about 1 kHz (Linux's largest HZ is 1000, Windows' finest timer resolution
 * 1 ms); faster, interrupt handling eats the CPU on real hardware. Here every tick costs a
 * host signal, a VM exit and an injected interrupt, so a guest writing 1 would otherwise get
 * a 1.19 MHz host timer and starve the host and its own progress. The guest's count is kept
 * as written; only the host timer's period is clamped. */
static void pit_arm(struct pit *p)
{
    uint64_t count = p->reload ? p->reload : 65536u;
    if (count < PIT_MIN_COUNT)
        count = PIT_MIN_COUNT;
    uint64_t ns = count * 1000000000ull / PIT_INPUT_HZ;
    struct itimerspec its;
    memset(&its, 0, sizeof(its));
    its.it_value.tv_sec = (time_t)(ns / 1000000000ull);
    its.it_value.tv_nsec = (long)(ns % 1000000000ull);
    if (p->mode == 2 || p->mode == 3)
        its.it_interval = its.it_value;
    if (timer_settime(p->timer, 0, &its, NULL) < 0)
        err(PV_EXIT_VMM_ERROR, "timer_settime for the guest's PIT");
}

static void pit_command(struct pit *p, uint8_t value)
{
    if ((value >> 6) != 0)
        return;                      /* channels 1 and 2: nothing is wired to them */
    uint8_t access = (value >> 4) & 3;
    if (access == 0)
        return;                      /* a latch command: reads are not emulated */
    struct itimerspec off;
    memset(&off, 0, sizeof(off));
    timer_settime(p->timer, 0, &off, NULL);   /* a new mode stops the count until loaded */
    p->access = access;
    p->mode = (value >> 1) & 7;
    if (p->mode > 5)
        p->mode -= 4;                /* 6 and 7 are 2 and 3 */
    p->high_next = false;
}

static void pit_data(struct pit *p, uint8_t value)
{
    if (p->access == 1) {
        p->reload = (uint16_t)((p->reload & 0xFF00) | value);
    } else if (p->access == 2) {
        p->reload = (uint16_t)((p->reload & 0x00FF) | (value << 8));
    } else if (p->access == 3 && !p->high_next) {
        p->reload = (uint16_t)((p->reload & 0xFF00) | value);
        p->high_next = true;
        return;
    } else if (p->access == 3) {
        p->reload = (uint16_t)((p->reload & 0x00FF) | (value << 8));
        p->high_next = false;
    } else {
        return;
    }
    pit_arm(p);
}

bool pit_out(struct pit *p, uint16_t port, uint8_t value)
{
    if (port == PIT_PORT_COMMAND)
        pit_command(p, value);
    else if (port == PIT_PORT_CHANNEL0)
        pit_data(p, value);
    else
        return false;
    return true;
}

void pit_deliver(struct pit *p)
{
    if (!pit_due)
        return;
    pit_due = 0;
    struct kvm_irq_level line = { .irq = 0, .level = 1 };
    if (ioctl(p->vm_fd, KVM_IRQ_LINE, &line) < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_IRQ_LINE (IRQ 0 up)");
    line.level = 0;
    if (ioctl(p->vm_fd, KVM_IRQ_LINE, &line) < 0)
        err(PV_EXIT_VMM_ERROR, "KVM_IRQ_LINE (IRQ 0 down)");
    p->ticks++;
}
