/*
 * pit.h - the guest's clock: channel 0 of an 8254 PIT emulated in pagevisor itself. The guest
 * programs it on ports 0x40/0x43 as on a PC; each period a host timer signal breaks KVM_RUN
 * and the tick goes in as a pulse on IRQ 0 of KVM's in-kernel 8259 (KVM_IRQ_LINE).
 */
#ifndef PV_PIT_H
#define PV_PIT_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define PIT_PORT_CHANNEL0 0x40
#define PIT_PORT_COMMAND  0x43
#define PIT_INPUT_HZ      1193182u
/* The shortest period the host timer is armed with: 1193 counts, about 1 ms (1000 Hz). A
 * count below it is run at this period. See pit_arm(). */
#define PIT_MIN_COUNT     1193u

struct pit {
    int vm_fd;
    timer_t timer;
    bool timer_made;
    uint8_t mode;            /* of channel 0: 0 one-shot, 2/3 periodic */
    uint8_t access;          /* 1 low byte, 2 high byte, 3 low then high */
    bool high_next;          /* access 3: the next data byte is the high one */
    uint16_t reload;
    uint64_t ticks;          /* delivered */
};

/* Sets up the timer (not running). Exits naming the call that failed on a broken host. */
struct kvm_run;
void pit_init(struct pit *p, int vm_fd, struct kvm_run *run);
void pit_free(struct pit *p);
/* A guest OUT to a PIT port; false if the port is not the PIT's. */
bool pit_out(struct pit *p, uint16_t port, uint8_t value);
/* Ticks that came due since the last call go in as IRQ 0 pulses (one per call, the rest
 * dropped as a real PIC drops them while the line is pending). */
void pit_deliver(struct pit *p);
/* The signal the timer raises: KVM_RUN must not restart after it. */
void pit_install_signal(void);

#endif /* PV_PIT_H */
