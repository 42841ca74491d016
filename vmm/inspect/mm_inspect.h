/*
 * mm_inspect.h - the guest memory manager's state as WinDbg's !vm and !memusage show it,
 * computed on the host from guest RAM and the kernel's symbols: the guest does not help and is
 * not changed by looking. Used by `run --inspect-on-exit`.
 */
#ifndef PV_MM_INSPECT_H
#define PV_MM_INSPECT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "guest_mem.h"
#include "symbols.h"

/* Where to look: guest RAM, the address space to read it through (CR3, CR4.PSE; paging off:
 * cr3 ignored, addresses physical) and the kernel's symbols. */
struct mm_inspect_src {
    const struct guest_mem *mem;
    bool paging, pse;
    uint32_t cr3;
    const struct symbol_file *kernel;
};

/* The numbers !vm and !memusage print, read from the guest. */
struct mm_state {
    uint32_t highest_page, available, committed, commit_limit;
    uint32_t list_total[6];          /* Zeroed, Free, Standby, Modified, ModifiedNoWrite, Bad */
    uint32_t pagefile_slots, pagefile_free, pagefile_in_use;
};

/* The counters a trace samples over time: the system's (lists, available, commit, pagefile)
 * and each live process's working-set size and page faults (the first MM_COUNTER_PROCESSES). */
#define MM_COUNTER_PROCESSES 8
struct mm_counters {
    struct mm_state sys;
    unsigned nproc;
    struct { uint32_t pid, ws, faults; } proc[MM_COUNTER_PROCESSES];
};
int mm_inspect_counters(const struct mm_inspect_src *src, struct mm_counters *c, char *why,
                        size_t whylen);

/* Reads the state: 0, or -1 with why (a symbol missing from the kernel, memory unreadable). */
int mm_inspect_read(const struct mm_inspect_src *src, struct mm_state *st, char *why,
                    size_t whylen);

/* !vm 1 (the lines this kernel has) and !memusage's summary, in WinDbg's layout. */
void mm_inspect_print_vm(FILE *out, const struct mm_state *st);
void mm_inspect_print_memusage(FILE *out, const struct mm_state *st);

/* !process 0 0: every process on PsActiveProcessHead, three lines each, as WinDbg prints
 * them; details (!process 0 1) adds its VADs, working-set sizes (now, min, max), peak, page
 * faults and commit. 0, or -1 with why (the list could not be followed; what was printed
 * stays). */
int mm_inspect_print_processes(FILE *out, const struct mm_inspect_src *src, bool details,
                               char *why, size_t whylen);

/* !ws [EPROCESS]: a process's working-set list (the current one by default), its header and
 * its entries in FIFO order, oldest first, read in the process's own address space. */
int mm_inspect_print_ws(FILE *out, const struct mm_inspect_src *src, bool have_process,
                        uint32_t eprocess, char *why, size_t whylen);

/* !pte VA: the PDE and PTE of va in the current address space (src->cr3), in WinDbg's three
 * lines; invalid entries decoded (DemandZero, PageFile, Transition, Proto). */
int mm_inspect_print_pte(FILE *out, const struct mm_inspect_src *src, uint32_t va, char *why,
                         size_t whylen);

/* !pfn N: the MMPFN of frame N (links or share count, reference count, PteAddress, OriginalPte,
 * containing page, list, flags). */
int mm_inspect_print_pfn(FILE *out, const struct mm_inspect_src *src, uint32_t pfn, char *why,
                         size_t whylen);

/* !vad [EPROCESS]: the VAD tree of a process (the one whose page directory the vCPU runs on,
 * when no address is given), in order, as WinDbg prints it: level, start and end VPN, commit,
 * Private / Mapped (Exe: an image view), protection. */
int mm_inspect_print_vad(FILE *out, const struct mm_inspect_src *src, bool have_process,
                         uint32_t eprocess, char *why, size_t whylen);

/* One command as typed ("!vm", "!memusage", "!process 0 0", "!pte 401000", "!pfn 0x1a3"):
 * numbers in hex, as WinDbg reads them (a 0x prefix is allowed). 0, or -1 with why (an
 * unknown command, a bad number, or what the command could not read). The one entry point for
 * every place that takes commands. */
int mm_inspect_command(FILE *out, const struct mm_inspect_src *src, const char *command,
                       char *why, size_t whylen);

/* The command is one mm_inspect_command knows, with well-formed arguments (checked before
 * anything boots). */
bool mm_inspect_command_valid(const char *command, char *why, size_t whylen);

#endif /* PV_MM_INSPECT_H */
