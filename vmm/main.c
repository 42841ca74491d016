/*
 * main.c - the pagevisor command: run guest images, probe this host's KVM, or run a command
 * inside the KVM runner VM.
 */
#include <stdio.h>
#include <string.h>

#include "pv_abi.h"
#include "run.h"
#include "runner.h"
#include "sparse_file.h"
#include "volume_sync.h"

#ifndef PV_VERSION
#define PV_VERSION "0.1.0"
#endif

static const char usage[] =
    "usage: pagevisor COMMAND [ARGS...]\n"
    "\n"
    "  run [OPTIONS] IMAGE [ARGS...] [-- IMAGE [ARGS...]]...\n"
    "        boot the guest kernel and run the images, one process each\n"
    "        (pagevisor run --help lists the options)\n"
    "  probe  say whether this host's KVM can run 32-bit paged guests\n"
    "  runner [--put PATH]... [--get VMPATH=PATH]... [--timeout SEC] [--verbose] -- CMD [ARGS...]\n"
    "        run a command inside the KVM runner VM (a Linux VM under QEMU's emulator)\n"
    "  --help, --version\n"
    "\n"
    "Exit status of run: the first non-zero exit code of an image (0-111), or\n"
    "  112 an image was ended by an exception   113 guest bug check\n"
    "  114 triple fault                          115 timeout\n"
    "  116 no KVM able to run the guest          117 VMM error\n"
    "  118 bad command line, or a file it names that cannot be used: an IMAGE or\n"
    "      --child/--kernel file that is missing or no static i386 ELF executable, a\n"
    "      --trace/--pagefile path that cannot be written, a --volume that is no\n"
    "      directory you can read and write (found before anything boots)\n";

int main(int argc, char **argv)
{
    run_mark_start();
    if (argc < 2) {
        fputs(usage, stderr);
        return PV_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage, stdout);
        return 0;
    }
    if (strcmp(cmd, "--version") == 0) {
        printf("pagevisor %s\n", PV_VERSION);
        return 0;
    }
    if (strcmp(cmd, "run") == 0)
        return cmd_run(argc - 1, argv + 1);
    if (strcmp(cmd, "probe") == 0)
        return cmd_probe(argc - 1, argv + 1);
    if (strcmp(cmd, "runner") == 0)
        return runner_main(argc - 1, argv + 1);
    /* Not for users: packs a kept pagefile inside the KVM runner VM (run_remote.c). */
    if (strcmp(cmd, "sparse-pack") == 0)
        return sparse_pack_main(argc - 1, argv + 1);
    /* Not for users either: marks and packs a --volume inside the VM (run_remote.c). */
    if (strcmp(cmd, "volume-pack") == 0)
        return volume_pack_main(argc - 1, argv + 1);
    fprintf(stderr, "pagevisor: unknown command '%s'\n\n%s", cmd, usage);
    return PV_EXIT_USAGE;
}
