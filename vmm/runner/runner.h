/*
 * runner.h - the KVM runner: run a command inside a throwaway Linux VM under QEMU's TCG emulator
 * (-cpu max emulates AMD SVM with nested paging), whose stock Debian kernel loads kvm-amd. It
 * gives pagevisor a KVM that runs 32-bit paged guests on hosts whose own KVM cannot (kvm-pvm).
 *
 * Ingredients, all found at run time:
 *   - the runner cache, made by tests/kvm-runner/prepare.sh (`make runner`):
 *     ${PAGEVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pagevisor}/runner/{vmlinuz,base.cpio.gz}
 *   - qemu-system-x86_64 on PATH (Debian package qemu-system-x86)
 *   - a statically linked pagevisor, put at /pv/bin/pagevisor in the VM:
 *     $PAGEVISOR_STATIC, else pagevisor-static beside pagevisor (build/pagevisor-static, or
 *     PREFIX/lib/pagevisor/pagevisor-static for PREFIX/bin/pagevisor: see prefix.h)
 *     (PAGEVISOR_STATIC=none puts none in)
 *
 * Inside the VM the command runs with cwd /pv, stdin /dev/null, PATH of busybox applets and
 * /pv/bin. A job may name one live output file, written on the host while the command runs
 * (a third virtio-serial port, "pv.live"). Its stdout and stderr are serial ports (ttys in raw mode) relayed live to the caller's
 * stdout and stderr; its exit status, and the output files asked for, come back over a
 * virtio-serial port in the framing below. A job may also serve its caller's standard input to
 * the command, on request, through a second virtio-serial port (the stdin relay below).
 */
#ifndef PV_RUNNER_H
#define PV_RUNNER_H

#include <stddef.h>
#include <stdint.h>

struct runner_file {
    const char *host_path; /* file (or, for inputs, directory: put recursively) on the host */
    const char *vm_path;   /* absolute path in the VM; inputs must lie under /pv/ */
    unsigned mode;         /* outputs: permissions of the host file (0: 0666 & ~umask) */
    int sparse_packed;     /* outputs: the VM file is a packed sparse file (sparse_file.h),
                            * written to the host file with its holes */
    const char *what;      /* outputs: what messages call it, e.g. "the pagefile" (NULL: the
                            * path alone) */
    int volume;            /* inputs: a --volume directory: symbolic links are put as links,
                            * other special files left out; outputs: the VM file is a packed
                            * volume (volume_sync.h) written back into host_path, a directory */
};

struct runner_job {
    char *const *argv;                 /* run inside the VM, cwd /pv; NULL-terminated */
    const struct runner_file *inputs;  /* put into the VM before the command starts */
    size_t n_inputs;
    const struct runner_file *outputs; /* copied back to the host after the command ends */
    size_t n_outputs;
    unsigned timeout_sec;              /* limit on the command's run time; 0 = none */
    int verbose;                       /* echo the VM console to stderr ("runner: ...") */

    /* The stdin relay: up to cap bytes of input available now (waiting for nothing); *eof set
     * once the input has ended. NULL: every request is answered with the end of input. */
    size_t (*stdin_read)(void *ctx, void *buf, size_t cap, int *eof);
    void *stdin_ctx;
    int stdin_fd;                      /* polled while a request waits for input */

    /* A live output file (NULL: none): what the command writes to live->vm_path (a symbolic
     * link the job script makes to the "pv.live" port) goes to live->host_path as it comes,
     * created (0666 & ~umask, or live->mode) or truncated before the VM boots. */
    const struct runner_file *live;

    /* A debugger's way in: a TCP port on 127.0.0.1 (gdb_port, 0: none) or a Unix socket
     * (gdb_path, NULL: none), where QEMU listens and relays what comes to the "pv.gdb"
     * virtio-serial port, linked at RUNNER_VM_GDB in the VM before the command starts. */
    unsigned gdb_port;
    const char *gdb_path;
};

#define RUNNER_VM_GDB "/tmp/pagevisor-gdb"

/*
 * Run the job. Returns 0 when the command ran (*exit_status = its exit status inside the VM,
 * 0..255; 128+N when killed by signal N), or -1 after printing one clear error line (plus the
 * VM console's last lines when the VM misbehaved). errno is ETIMEDOUT when the command
 * exceeded timeout_sec, EINTR when SIGINT/SIGTERM/SIGHUP stopped the run (the signal is
 * re-raised after cleanup).
 *
 * The timeout counts from the moment the command starts in the VM (boot is not charged to
 * it, nor the time the command waits for input over the stdin relay: input_wait.h); booting
 * and sending the results back have their own generous limits. An output file
 * the command did not create is reported with a warning and left alone on the host. One that
 * cannot be written back whole (a full file system, a file size limit) fails the run with one
 * line naming it and the reason, and the incomplete host file is removed; one whose host file
 * existed when the run began and was deleted since is written back as a new file, with a note.
 * All temporary files live in one directory under $TMPDIR (or /tmp) removed before returning.
 */
int runner_run(const struct runner_job *job, int *exit_status);

/*
 * The VM path of a host path: a relative path without ".." maps to /pv/<path> (so paths
 * relative to the cwd keep working inside, where the cwd is /pv); anything else maps to
 * /pv/root/<absolute canonical path> (symlinks resolved as far as the path exists).
 * Returns 0, or -1 with errno set (EINVAL for an empty path, ENAMETOOLONG).
 */
int runner_vm_path(const char *host_path, char *buf, size_t size);

/* The command that prepares the runner's cache, for messages: the installed prepare.sh beside
 * an installed pagevisor, else `make runner` in the source tree. */
const char *runner_prepare_command(char *buf, size_t size);

/*
 * `pagevisor runner [--put PATH]... [--get VMPATH=HOSTPATH]... [--timeout SEC] [--verbose]
 *  -- COMMAND [ARGS...]`. argv[0] is the subcommand's name. Returns the exit status for the
 * process: the command's, PV_EXIT_USAGE on a bad command line, PV_EXIT_TIMEOUT when --timeout
 * expired, PV_EXIT_VMM_ERROR when the runner failed.
 */
int runner_main(int argc, char **argv);

/* zlib's CRC-32 (as busybox crc32 prints it); start with crc = 0. */
uint32_t runner_crc32(uint32_t crc, const void *buf, size_t len);

/*
 * The result stream (VM -> host, one virtio-serial port), lines of text and raw file bytes:
 *   PV1 START\n                        the command starts now
 *   PV1 EXIT <status>\n                it ended with this status (decimal 0..255)
 *   PV1 FILE <size> <crc32> <path>\n   then exactly <size> raw bytes, then "\n"
 *   PV1 NOFILE <path>\n                a requested output file does not exist
 *   PV1 ERROR <message>\n              the VM could not run the job
 *   PV1 END\n                          the last frame; nothing may follow
 * <size> is decimal, <crc32> hexadecimal (runner_crc32 of the bytes), <path> the rest of the
 * line. Order: START, EXIT, then FILE/NOFILE frames, then END; ERROR may come at any point
 * before END. The host answers END with "BYE\n" on the same port, after which the VM powers off
 * (so nothing still queued in QEMU is lost).
 *
 * The parser is fed the stream in pieces of any size and calls back for file data.
 */
/*
 * The stdin relay: a virtio-serial port named "pv.stdin". When the job has stdin_read, the
 * command runs with RUNNER_STDIN_ENV naming the port's device, and the pagevisor inside asks
 * for input only when its guest does, one request at a time:
 *   PV1 READ <cap> <ms>\n     up to cap bytes (1..PV_CONSOLE_READ_MAX), waiting at most ms
 *                             (<= PV_CONSOLE_READ_WAIT_MAX) for the first one
 * and the host answers each request with exactly one of
 *   PV1 DATA <n>\n            then n raw bytes (n <= cap; 0 when nothing came in time)
 *   PV1 EOF\n                 the input has ended; so are the answers to every later request
 * Bytes are read from the caller's input only for a request, at most cap of them, so nothing
 * the guest did not ask for is taken from it (and a terminal is switched only when asked).
 */
#define RUNNER_STDIN_ENV "PAGEVISOR_RUNNER_STDIN"

#define RUNNER_FRAME_LINE_MAX 4352 /* longest frame line, path included */

enum { FR_LINE, FR_DATA, FR_NEWLINE, FR_FAILED };

struct runner_frames {
    /* Callbacks (any may be NULL); a non-zero return from begin/data/end stops the parse. */
    int (*file_begin)(void *ctx, const char *vm_path, uint64_t size);
    int (*file_data)(void *ctx, const void *buf, size_t len);
    int (*file_end)(void *ctx, const char *vm_path); /* after the checksum matched */
    void (*file_missing)(void *ctx, const char *vm_path);
    void *ctx;

    /* What has been seen. */
    int started, exited, ended;
    int exit_status;
    char vm_error[256]; /* the ERROR message, "" if none */
    unsigned files;     /* FILE frames completed */

    /* Parse state. */
    int state; /* FR_*: a line, file data, the newline after data, failed */
    char line[RUNNER_FRAME_LINE_MAX];
    size_t line_len;
    char path[RUNNER_FRAME_LINE_MAX];
    uint64_t size, left;
    uint32_t crc_expected, crc;
    char error[RUNNER_FRAME_LINE_MAX + 64]; /* why the stream was rejected */
};

void runner_frames_init(struct runner_frames *p);
/* Feed bytes. 0, or -1 when the stream is garbled or a callback failed (p->error says why). */
int runner_frames_feed(struct runner_frames *p, const void *buf, size_t len);
/* The stream has ended: 0 if it was complete (an exit status, then END), else -1 with p->error
 * saying what is missing (or the VM's ERROR message). */
int runner_frames_finish(struct runner_frames *p);

#endif /* PV_RUNNER_H */
