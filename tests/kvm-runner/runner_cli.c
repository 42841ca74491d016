/*
 * runner_cli.c - `runner-cli [OPTIONS] -- COMMAND...`: the `pagevisor runner` subcommand on its
 * own, for checking the KVM runner without the rest of pagevisor (tests/kvm-runner/check.sh).
 */
#include "runner.h"

int main(int argc, char **argv)
{
    return runner_main(argc, argv);
}
