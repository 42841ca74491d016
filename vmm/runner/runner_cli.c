/*
 * runner_cli.c - `pagevisor runner`: the runner as a command of its own (--put, --get,
 * --timeout), for trying the VM by hand and for tests/kvm-runner/check.sh.
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "runner.h"
#include "runner_util.h"
#include "pv_abi.h"

/* ------------------------------------------------------------------------------------------ */
/* pagevisor runner ...                                                                       */

static const char runner_usage[] =
    "usage: pagevisor runner [--put PATH]... [--get VMPATH=HOSTPATH]... [--timeout SEC] [--verbose]\n"
    "                        -- COMMAND [ARGS...]\n"
    "Run COMMAND inside the KVM runner VM: a Linux VM under QEMU's emulator whose KVM runs 32-bit\n"
    "paged guests. Inside, the cwd is /pv and this pagevisor (its static build) is /pv/bin/pagevisor.\n"
    "\n"
    "  --put PATH        copy a file or directory into the VM: a relative PATH without \"..\" goes to\n"
    "                    /pv/PATH (so relative paths work alike inside), any other to\n"
    "                    /pv/root/ABSOLUTE-PATH\n"
    "  --get VMPATH=HOSTPATH\n"
    "                    after the command, copy the VM's file VMPATH (relative: under /pv) to\n"
    "                    HOSTPATH; --get PATH maps PATH as --put does\n"
    "  --timeout SEC     stop the command after SEC seconds (boot time is not counted)\n"
    "  --verbose, -v     show the VM's console and timings on stderr\n"
    "\n"
    "Needs the runner prepared (`make runner`) and qemu-system-x86. Exit status: the command's;\n"
    "115 when --timeout expired, 117 when the runner failed, 118 on a bad command line.\n";

static int usage_error(const char *fmt, const char *arg)
{
    fprintf(stderr, "pagevisor runner: ");
    fprintf(stderr, fmt, arg);
    fprintf(stderr, "\n%s", runner_usage);
    return PV_EXIT_USAGE;
}

/* "--opt VALUE" or "--opt=VALUE"; returns the value or NULL when argv[*i] is not --opt. */
static const char *opt_value(int argc, char **argv, int *i, const char *opt, bool *missing)
{
    size_t ol = strlen(opt);
    const char *a = argv[*i];
    *missing = false;
    if (strncmp(a, opt, ol) != 0)
        return NULL;
    if (a[ol] == '=')
        return a + ol + 1;
    if (a[ol] != '\0')
        return NULL;
    if (*i + 1 >= argc) {
        *missing = true;
        return NULL;
    }
    return argv[++*i];
}

int runner_main(int argc, char **argv)
{
    struct runner_file *inputs = calloc((size_t)argc + 1, sizeof(*inputs));
    struct runner_file *outputs = calloc((size_t)argc + 1, sizeof(*outputs));
    char **owned = calloc(2 * (size_t)argc + 1, sizeof(*owned));
    size_t n_in = 0, n_out = 0, n_owned = 0;
    struct runner_job job = { 0 };
    int status = PV_EXIT_USAGE, i;

    if (!inputs || !outputs || !owned) {
        runner_errmsg("out of memory");
        status = PV_EXIT_VMM_ERROR;
        goto done;
    }
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        bool missing;
        if (strcmp(a, "--") == 0) {
            i++;
            break;
        }
        if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
            fputs(runner_usage, stdout);
            status = 0;
            goto done;
        }
        if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            job.verbose = 1;
        } else if ((v = opt_value(argc, argv, &i, "--put", &missing)) != NULL) {
            char vm[PATH_MAX];
            if (runner_vm_path(v, vm, sizeof(vm)) < 0) {
                status = usage_error("--put %s: bad path", v);
                goto done;
            }
            inputs[n_in].host_path = v;
            inputs[n_in++].vm_path = owned[n_owned++] = strdup(vm);
        } else if (!missing && (v = opt_value(argc, argv, &i, "--get", &missing)) != NULL) {
            const char *eq = strchr(v, '=');
            if (eq) {
                if (eq == v || !eq[1]) {
                    status = usage_error("--get %s: want VMPATH=HOSTPATH", v);
                    goto done;
                }
                outputs[n_out].vm_path = owned[n_owned++] = strndup(v, (size_t)(eq - v));
                outputs[n_out++].host_path = eq + 1;
            } else {
                char vm[PATH_MAX];
                if (runner_vm_path(v, vm, sizeof(vm)) < 0) {
                    status = usage_error("--get %s: bad path", v);
                    goto done;
                }
                outputs[n_out].vm_path = owned[n_owned++] = strdup(vm);
                outputs[n_out++].host_path = v;
            }
        } else if (!missing && (v = opt_value(argc, argv, &i, "--timeout", &missing)) != NULL) {
            uint64_t t;
            if (!runner_parse_u64(v, 10, 10u * 365 * 86400, &t)) {
                status = usage_error("--timeout %s: want a whole number of seconds", v);
                goto done;
            }
            job.timeout_sec = (unsigned)t;
        } else if (missing) {
            status = usage_error("%s needs a value", a);
            goto done;
        } else if (a[0] == '-') {
            status = usage_error("unknown option %s", a);
            goto done;
        } else {
            break; /* the command, without "--" */
        }
    }
    for (size_t k = 0; k < n_owned; k++)
        if (!owned[k]) {
            runner_errmsg("out of memory");
            status = PV_EXIT_VMM_ERROR;
            goto done;
        }
    if (i >= argc) {
        status = usage_error("%s", "no COMMAND given");
        goto done;
    }
    job.argv = argv + i;
    job.inputs = inputs;
    job.n_inputs = n_in;
    job.outputs = outputs;
    job.n_outputs = n_out;

    int exit_status;
    if (runner_run(&job, &exit_status) == 0)
        status = exit_status;
    else
        status = errno == ETIMEDOUT ? PV_EXIT_TIMEOUT : PV_EXIT_VMM_ERROR;
done:
    for (size_t k = 0; owned && k < n_owned; k++)
        free(owned[k]);
    free(owned);
    free(inputs);
    free(outputs);
    return status;
}
