/*
 * pv_abi.h - the one host/guest ABI of pagevisor: hypercall ports, call blocks, exit codes.
 *
 * A hypercall is a single 32-bit `out` of the guest-physical address of a call block to
 * port PV_HC_PORT(nr). Fields marked PV_IN are written by the guest and read by the host,
 * which validates every one of them before use; PV_OUT fields are written by the host.
 * All addresses in call blocks are guest-physical. The host never trusts a length, an address
 * or an index without checking it against guest RAM and the limits below.
 *
 * Included by the host (x86-64, C11) and by the guest (i386, freestanding C11): fixed-width
 * types only, no pointers, no padding.
 */
#ifndef PV_ABI_H
#define PV_ABI_H

#include <stdint.h>

#define PV_IN  /* guest -> host */
#define PV_OUT /* host -> guest */

/* Port base; the call number is added to it. Port base + 0 is the identification port:
 * a 32-bit `in` from it returns PV_IDENT_MAGIC under pagevisor and all ones elsewhere
 * (an unclaimed ISA port), which is how the guest knows whether host services exist.
 * Under pagevisor, guest RAM the loader did not write (kernel, modules, Multiboot data) reads
 * zero when the guest starts (an anonymous mapping): the guest may take such frames as zeroed.
 * Firmware gives no such promise (SeaBIOS leaves its scratch memory in RAM it reports free). */
#define PV_HC_PIO_BASE   0x500u
#define PV_HC_PORT(nr)   (PV_HC_PIO_BASE + (nr))
#define PV_IDENT_PORT    PV_HC_PORT(0)
#define PV_IDENT_MAGIC   0x31564D50u /* "PVM1" little-endian */

enum pv_hc_nr {
    PV_HC_CONSOLE      = 1, /* struct pv_hc_console */
    PV_HC_PROCESS_EXIT = 2, /* struct pv_hc_process_exit */
    PV_HC_BUGCHECK     = 3, /* struct pv_hc_bugcheck */
    PV_HC_SHUTDOWN     = 4, /* struct pv_hc_shutdown */
    PV_HC_PROCESS_START = 5, /* struct pv_hc_process_start */
    PV_HC_TRACE_SETUP  = 6, /* struct pv_hc_trace_setup */
    PV_HC_TRACE_FLUSH  = 7, /* struct pv_hc_trace_flush */
    PV_HC_PAGEFILE_INFO = 8, /* struct pv_hc_pagefile_info */
    PV_HC_PAGEFILE_IO  = 9, /* struct pv_hc_pagefile_io */
    PV_HC_IMAGE_READ   = 10, /* struct pv_hc_image_read */
    PV_HC_CONSOLE_READ = 11, /* struct pv_hc_console_read */
    PV_HC_FILE_OPEN    = 12, /* struct pv_hc_file_open */
    PV_HC_FILE_IO      = 13, /* struct pv_hc_file_io */
    PV_HC_FILE_CLOSE   = 14, /* struct pv_hc_file_close */
    PV_HC_FILE_SET_SIZE = 15, /* struct pv_hc_file_set_size */
    PV_HC_DEBUG_BREAK  = 16, /* struct pv_hc_debug_break */
    PV_HC_MAX          = 17 /* first unused number; the host rejects nr >= PV_HC_MAX */
};

/* Return codes a host writes into a call block's `ret` (negative errno-style). */
#define PV_OK        0
#define PV_EFAULT   (-14) /* an address or range lies outside guest RAM */
#define PV_EINVAL   (-22) /* a field is out of range */
#define PV_EIO      (-5)  /* the host's I/O failed, or data read back did not match its checksum */
#define PV_ENODEV   (-19) /* no such backing store (no pagefile, no such image) */
#define PV_EDUPFRAME (-17) /* a pagefile or image read lists one guest frame for two pages */
#define PV_ENOSPC   (-28) /* a pagefile write found the host's file system full (or the file at
                            * its size limit): the slot is not bad, the file cannot grow */
#define PV_ENOENT   (-2)  /* a volume file that does not exist */
#define PV_EBADF    (-9)  /* no such open volume file, or a write to one opened read-only */
#define PV_EACCES   (-13) /* the host refuses: not permitted, or a path out of the volume */
#define PV_EISDIR   (-21) /* a volume name that is a directory */
#define PV_EMFILE   (-24) /* PV_FILES_MAX volume files open already */
#define PV_EEXIST   (-40) /* PV_FILE_CREATE | PV_FILE_EXCL of a file that exists */

/* Console output. STDOUT is what processes print (it is the run's output); LOG is kernel
 * chatter, shown by the host only with --verbose. */
#define PV_CONSOLE_STDOUT  1u
#define PV_CONSOLE_LOG     2u
#define PV_CONSOLE_MAX     4096u /* bytes per call */

struct pv_hc_console {
    PV_IN  uint32_t channel; /* PV_CONSOLE_* */
    PV_IN  uint32_t buf_gpa; /* guest-physical address of the text */
    PV_IN  uint32_t len;     /* bytes, <= PV_CONSOLE_MAX, the whole range inside RAM */
    PV_OUT int32_t  ret;     /* PV_OK or a PV_E* code */
};

/*
 * Console input: the bytes the user types (or pipes) into pagevisor's standard input. The host
 * stores what is available now, waiting at most timeout_ms for a first byte (and never past the
 * run's --timeout); count 0 without PV_CONSOLE_READ_EOF means nothing came in time. Once input
 * has ended (end of file, the terminal's EOF character, or a standard input that cannot be
 * read) every later call sets PV_CONSOLE_READ_EOF; the flag may come with the last bytes.
 * Bytes the guest does not ask for stay with the host for the next call.
 */
#define PV_CONSOLE_READ_MAX      4096u /* bytes per call: one page */
#define PV_CONSOLE_READ_WAIT_MAX 1000u /* ms a call may wait */
#define PV_CONSOLE_READ_EOF      0x1u  /* flags: input has ended after these bytes */

struct pv_hc_console_read {
    PV_IN  uint32_t buf_gpa;     /* guest-physical address of the buffer */
    PV_IN  uint32_t capacity;    /* bytes, 1..PV_CONSOLE_READ_MAX, the whole range inside RAM */
    PV_IN  uint32_t timeout_ms;  /* longest wait for a first byte, <= PV_CONSOLE_READ_WAIT_MAX */
    PV_OUT uint32_t count;       /* bytes stored at buf_gpa, <= capacity */
    PV_OUT uint32_t flags;       /* PV_CONSOLE_READ_EOF */
    PV_OUT int32_t  ret;         /* PV_OK, PV_EINVAL or PV_EFAULT (then count is 0) */
};

#define PV_NAME_MAX 32u /* image names, NUL-terminated within the array */

/* Register state as the guest saw it at a bug check or exception. */
struct pv_regs {
    uint32_t eax, ebx, ecx, edx, esi, edi, ebp, esp;
    uint32_t eip, eflags, cs, ss;
    uint32_t cr0, cr2, cr3, cr4;
};

/* A process has ended. exit_status is the value passed to NtTerminateProcess, or the
 * NTSTATUS of the exception that ended it (then `killed` is 1 and fault_* say what happened;
 * with regs_valid, regs holds its registers at the exception and fault_trap the vector: a
 * fault address exists for a page fault, 14, and NT's 0xFFFFFFFF for an access violation
 * from a #GP, 13). */
struct pv_hc_process_exit {
    PV_IN  uint32_t pid;
    PV_IN  uint32_t exit_status;
    PV_IN  uint32_t killed;        /* 1 when ended by an exception, 0 by NtTerminateProcess */
    PV_IN  uint32_t fault_address; /* for killed processes: the faulting VA (CR2) */
    PV_IN  uint32_t fault_eip;
    PV_IN  uint32_t fault_write;   /* 0 read, 1 write, 8 execute (NT's ExceptionInformation[0]) */
    PV_IN  uint32_t child;         /* 1: started by another process (its status is the parent's
                                    * business: it does not decide the run's exit status) */
    PV_IN  char     name[PV_NAME_MAX];
    PV_IN  uint32_t fault_trap;    /* with regs_valid: the exception's vector */
    PV_IN  uint32_t regs_valid;    /* 1: regs and fault_trap are filled in */
    PV_IN  struct pv_regs regs;
    PV_OUT int32_t  ret;
};

/* The kernel has stopped with a bug check (KeBugCheckEx). The host reports it in NT's
 * "*** STOP: 0x%08X (p1,p2,p3,p4)" form and ends the run with PV_EXIT_BUGCHECK. The call does
 * not return. */
struct pv_hc_bugcheck {
    PV_IN  uint32_t code;
    PV_IN  uint32_t param[4];
    PV_IN  uint32_t regs_valid;    /* 1 when regs holds the trap frame of the failure */
    PV_IN  struct pv_regs regs;
    PV_IN  char     text[128];     /* optional NUL-terminated note from the kernel */
};

/* Every image has run; the kernel is done. The host ends the run. Does not return. */
struct pv_hc_shutdown {
    PV_IN  uint32_t images_run;
};

/* Exit statuses of `pagevisor run` (documented in README.md). 0..PV_EXIT_IMAGE_MAX is the
 * first non-zero exit code of an image (larger plain codes are clamped to PV_EXIT_IMAGE_MAX). */
#define PV_EXIT_IMAGE_MAX        111
#define PV_EXIT_IMAGE_EXCEPTION  112 /* an image was ended by an exception status (e.g. 0xC0000005) */
#define PV_EXIT_BUGCHECK         113 /* the guest kernel bug-checked */
#define PV_EXIT_TRIPLE_FAULT     114 /* the vCPU shut down (triple fault) */
#define PV_EXIT_TIMEOUT          115 /* --timeout expired */
#define PV_EXIT_INCAPABLE        116 /* no KVM that can run 32-bit paged guests, and no runner */
#define PV_EXIT_VMM_ERROR        117 /* bad input, bad guest behaviour the VMM cannot serve, KVM error */
#define PV_EXIT_USAGE            118 /* bad command line */
#define PV_EXIT_KILLED           119 /* the debugger killed the guest (gdb `kill`) */

/* A process is about to run its first instruction. The host learns its name and page
 * directory, which it needs to decode the instructions in that process's fault records. */
struct pv_hc_process_start {
    PV_IN  uint32_t pid;
    PV_IN  uint32_t cr3;           /* physical address of its page directory */
    PV_IN  uint32_t image_base, image_end;
    PV_IN  char     name[PV_NAME_MAX];
    PV_OUT int32_t  ret;
};

/*
 * The fault trace ring: faults the guest resolves alone are recorded here, in guest RAM the
 * host reads, so they cost no VM exit of their own. The host drains the ring at every VM exit;
 * a guest whose ring is full makes a PV_HC_TRACE_FLUSH call (one exit) and goes on. The guest
 * must report a process's end (PV_HC_PROCESS_EXIT) before it tears the address space down, so
 * that the host can still read the instructions of that process's faults.
 *
 * Layout at ring_gpa: struct pv_trace_ring, then `capacity` struct pv_fault_record.
 * head and tail count records ever written and ever consumed; the record for count n is at
 * index n % capacity. The host trusts none of it: a head that runs more than capacity ahead
 * of tail, or a record with out-of-range fields, is counted as lost, never followed.
 */
#define PV_TRACE_RING_MAGIC   0x52545650u /* "PVTR" */
#define PV_TRACE_RING_MAX     65536u      /* records */

struct pv_trace_ring {
    PV_IN  uint32_t magic;
    PV_IN  uint32_t capacity;   /* records, a power of two, <= PV_TRACE_RING_MAX */
    PV_IN  uint32_t head;       /* records written by the guest */
    PV_OUT uint32_t tail;       /* records consumed by the host */
    PV_IN  uint32_t lost;       /* records the guest could not write */
    PV_IN  uint32_t reserved[3];
};

#define PV_FAULT_PTE_KNOWN   0x1u /* pte_before is meaningful (a page table existed) */
#define PV_FAULT_KERNEL_MODE 0x2u /* the fault was taken in ring 0 */
#define PV_FAULT_HAS_VAD     0x4u /* vad_* describe the VAD that covers cr2 */
#define PV_FAULT_RELOCATED_TABLE 0x8u /* a relocate record of a page table (PDEs in pte_*) */

/* Where an image_read or file_read fault's page came from (pv_fault_record.backing). */
#define PV_BACKING_KIND_MASK   0xF0000000u
#define PV_BACKING_IMAGE       0x10000000u /* | the boot module's index: the image file */
#define PV_BACKING_FILE        0x20000000u /* | the volume file's handle (PV_HC_FILE_OPEN) */
#define PV_BACKING_SYSTEM_DLL  0x30000000u /* ntdll, carried inside the kernel file */
#define PV_BACKING_OFFSET_NONE 0xFFFFFFFFu

struct pv_fault_record {
    PV_IN uint32_t seq;          /* the guest's fault count, from 1 */
    PV_IN uint32_t pid;          /* 0 for the kernel (System) */
    PV_IN uint32_t eip, cr2, error_code, cr3;
    PV_IN uint32_t pde_before, pte_before, pde_after, pte_after;
    PV_IN uint32_t flags;        /* PV_FAULT_* */
    PV_IN uint32_t resolution;   /* enum pv_fault_resolution */
    PV_IN uint32_t status;       /* NTSTATUS when the process is ended, bug-check code */
    PV_IN uint32_t vad_start, vad_end, vad_protection; /* end inclusive; protection MM_* */
    PV_IN uint32_t backing;      /* an image_read or file_read: PV_BACKING_* | which file; else 0 */
    PV_IN uint32_t backing_offset; /* the faulting page's byte offset in that file
                                    * (PV_BACKING_OFFSET_NONE: a page assembled from pieces) */
    PV_IN uint32_t regs[8];      /* eax ecx edx ebx esp ebp esi edi at the fault */
    PV_IN uint64_t tsc_start, tsc_end; /* rdtsc on entry to and exit from the handler */
};

struct pv_hc_trace_setup {
    PV_IN  uint32_t ring_gpa;    /* physically contiguous ring, inside guest RAM */
    PV_IN  uint32_t ring_bytes;  /* sizeof(struct pv_trace_ring) + capacity * record size */
    PV_OUT int32_t  ret;
};

struct pv_hc_trace_flush {
    PV_OUT int32_t  ret;         /* PV_OK once the ring is empty */
};

/* PvDebugBreak(): a process asks the host to look at the guest now. The host prints the
 * snapshot of `run --inspect` (its commands, else !vm 1, !memusage and !process 0 0) headed by
 * the process and its label, then the guest goes on. */
#define PV_DEBUG_LABEL_MAX 64u
struct pv_hc_debug_break {
    PV_IN  uint32_t pid;                       /* the process that asked */
    PV_IN  uint32_t label_len;                 /* bytes of label, at most PV_DEBUG_LABEL_MAX */
    PV_IN  char     label[PV_DEBUG_LABEL_MAX]; /* its words (not NUL-terminated) */
    PV_OUT int32_t  ret;                       /* PV_OK once the host has looked */
};

/*
 * The pagefile: a host file addressed in 4 KiB slots. The guest owns slot allocation; the host
 * checks every slot and frame and does the I/O with pread/pwrite straight into guest frames.
 * The host keeps a checksum of every slot it writes and verifies it on read: a mismatch fails
 * the read (PV_EIO), it is never handed over silently.
 */
#define PV_PAGEFILE_CLUSTER_MAX 16u  /* pages in one PV_HC_PAGEFILE_IO call */
#define PV_PAGEFILE_READ  1u
#define PV_PAGEFILE_WRITE 2u

struct pv_hc_pagefile_info {
    PV_OUT uint32_t slots;       /* pagefile size in 4 KiB slots (0: no pagefile) */
    PV_OUT int32_t  ret;
};

/* Pages slot..slot+count-1 of the pagefile to or from the given guest frames. */
struct pv_hc_pagefile_io {
    PV_IN  uint32_t op;          /* PV_PAGEFILE_READ or PV_PAGEFILE_WRITE */
    PV_IN  uint32_t slot;        /* first slot */
    PV_IN  uint32_t count;       /* 1..PV_PAGEFILE_CLUSTER_MAX */
    PV_IN  uint32_t frames[PV_PAGEFILE_CLUSTER_MAX]; /* guest page frame numbers (gpa >> 12) */
    PV_OUT int32_t  ret;         /* PV_OK, or PV_EIO/PV_ENOSPC/PV_EINVAL/PV_EFAULT/PV_EDUPFRAME/
                                  * PV_ENODEV */
    PV_OUT uint32_t done;        /* pages transferred before the first failure */
};

/* Read consecutive pages of an image file (a Multiboot module's file) on the host into a list
 * of guest frames: the demand-page code fault, clustered. Page i of the request is the file's
 * page at offset + i * 4096 and goes to frames[i]. The host checks every field: image an open
 * file, offset page aligned and every page starting inside the file, count
 * 1..PV_PAGEFILE_CLUSTER_MAX, every frame inside guest RAM and none listed twice
 * (PV_EDUPFRAME); then nothing is read unless all are good. Bytes past the end of the file
 * read as zero. */
struct pv_hc_image_read {
    PV_IN  uint32_t image;       /* module index, 0-based */
    PV_IN  uint32_t offset;      /* byte offset in the file of the first page, page aligned */
    PV_IN  uint32_t count;       /* pages, 1..PV_PAGEFILE_CLUSTER_MAX */
    PV_IN  uint32_t frames[PV_PAGEFILE_CLUSTER_MAX]; /* guest page frame numbers (gpa >> 12) */
    PV_OUT int32_t  ret;         /* PV_OK, or PV_ENODEV/PV_EINVAL/PV_EFAULT/PV_EDUPFRAME/PV_EIO */
    PV_OUT uint32_t bytes;       /* file bytes copied in all (the rest of each page zeroed) */
};

/* Files of the guest's volume C: (`run --volume HOSTDIR`). A name is a path relative to
 * HOSTDIR, '/' between its components, NUL-terminated within the array; the host refuses
 * (PV_EACCES) anything that would leave HOSTDIR: "..", an absolute path, a symbolic link out of
 * it. Without --volume every call is PV_ENODEV. Handles are 1..PV_FILES_MAX. */
#define PV_FILE_NAME_MAX 128u
#define PV_FILES_MAX     64u
#define PV_FILE_WRITE    1u   /* open for writing too (else read-only) */
#define PV_FILE_CREATE   2u   /* create it if it does not exist (needs PV_FILE_WRITE) */
#define PV_FILE_EXCL     4u   /* with PV_FILE_CREATE: PV_EEXIST if it exists */
#define PV_FILE_TRUNCATE 8u   /* with PV_FILE_WRITE: its size becomes 0 */

struct pv_hc_file_open {
    PV_IN  char     name[PV_FILE_NAME_MAX];
    PV_IN  uint32_t flags;       /* PV_FILE_* */
    PV_OUT int32_t  ret;         /* PV_OK, PV_ENODEV, PV_ENOENT, PV_EEXIST, PV_EACCES, PV_EISDIR,
                                  * PV_EMFILE, PV_EINVAL (a bad name or flags), PV_EIO */
    PV_OUT uint32_t handle;
    PV_OUT uint32_t created;     /* 1 if this call created the file */
    PV_OUT uint32_t size_lo, size_hi; /* its size in bytes now */
};

/* Whole pages of an open volume file to or from guest frames: offset page aligned, pages
 * offset..offset + count * 4096 in order. A read past the end of the file reads zeros (bytes:
 * the file bytes there were); a write writes `length` bytes from the frames (the last page
 * may be partial), growing the file if it ends past it. */
#define PV_FILE_READ  1u
#define PV_FILE_WRITE_PAGES 2u
struct pv_hc_file_io {
    PV_IN  uint32_t op;          /* PV_FILE_READ or PV_FILE_WRITE_PAGES */
    PV_IN  uint32_t handle;
    PV_IN  uint32_t offset_lo, offset_hi; /* bytes, page aligned */
    PV_IN  uint32_t count;       /* pages, 1..PV_PAGEFILE_CLUSTER_MAX */
    PV_IN  uint32_t length;      /* write: bytes, more than (count - 1) pages, at most count */
    PV_IN  uint32_t frames[PV_PAGEFILE_CLUSTER_MAX]; /* guest page frame numbers */
    PV_OUT int32_t  ret;         /* PV_OK, PV_EIO, PV_ENOSPC, PV_EBADF, PV_EINVAL, PV_EFAULT,
                                  * PV_EDUPFRAME (a read into one frame twice), PV_ENODEV */
    PV_OUT uint32_t bytes;       /* file bytes read (the rest zeroed) or written */
};

struct pv_hc_file_close {
    PV_IN  uint32_t handle;
    PV_OUT int32_t  ret;         /* PV_OK, PV_EBADF, PV_EIO (a deferred write failed) */
};

/* The end of an open file (opened for writing): it grows with zeros or is cut. */
struct pv_hc_file_set_size {
    PV_IN  uint32_t handle;
    PV_IN  uint32_t size_lo, size_hi;
    PV_OUT int32_t  ret;         /* PV_OK, PV_EBADF, PV_ENOSPC, PV_EIO, PV_EINVAL */
};

/* How the guest resolved a page fault (fault trace records). */
enum pv_fault_resolution {
    PV_FAULT_DEMAND_ZERO      = 1, /* a zeroed page for a demand-zero or committed zero PTE */
    PV_FAULT_PAGE_TABLE       = 2, /* a missing page table, itself demand-zero faulted */
    PV_FAULT_PAGEFILE_READ    = 3, /* read back from the pagefile (a hard fault) */
    PV_FAULT_TRANSITION       = 4, /* taken back from the standby or modified list (soft) */
    PV_FAULT_PROTOTYPE        = 5, /* resolved through a section's prototype PTE */
    PV_FAULT_COPY_ON_WRITE    = 6, /* a private copy for a write to a copy-on-write page */
    PV_FAULT_IMAGE_READ       = 7, /* a code or data page read from the image file */
    PV_FAULT_GUARD_PAGE       = 8, /* STATUS_GUARD_PAGE_VIOLATION raised, guard cleared */
    PV_FAULT_STACK_GROWTH     = 9, /* the stack grew through its guard page */
    PV_FAULT_ACCESS_VIOLATION = 10, /* the process is ended (status says which) */
    PV_FAULT_BUGCHECK         = 11, /* a kernel fault the system cannot survive */
    PV_FAULT_SPURIOUS         = 12, /* already valid by the time it was looked at */
    PV_FAULT_IN_PAGE_ERROR    = 13, /* the backing store's read failed (STATUS_IN_PAGE_ERROR) */
    PV_FAULT_FILE_READ        = 14, /* a mapped file's page read from the volume's file */
    /* Not a fault: a resident page moved to another frame to clear a run for a large page.
     * cr2 the address it is mapped at (a page table: the first address its PDE covers,
     * PV_FAULT_RELOCATED_TABLE and error_code 1), pte_before/pte_after its PTE (PDE) with the
     * old and the new frame, cr3 its process's page directory, seq 0: no fault count. */
    PV_FAULT_RELOCATE         = 15,
    PV_FAULT_RESOLUTION_MAX   = 16
};

/* Multiboot boot loader name the VMM passes; the guest prints it in its boot log. */
#define PV_BOOT_LOADER_NAME "pagevisor"

#endif /* PV_ABI_H */
