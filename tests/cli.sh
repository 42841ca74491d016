#!/bin/bash
# cli.sh - the pagevisor command line on this host, without booting a guest: help, version,
# usage errors, the KVM probe, and the capability errors of `--runner never` (including a host
# without /dev/kvm and a user without permission on it, simulated where we are root).
# Usage: tests/cli.sh [PAGEVISOR]   (JUnit XML to $PAGEVISOR_TEST_RESULTS/cli.xml when set)
set -u
PV=${1:-build/pagevisor}
PV=$(readlink -f "$PV")
passed=0 failed=0
. "$(dirname "$0")/junit.sh"
junit_begin cli

check() { # NAME EXPECTED_STATUS ACTUAL_STATUS OUTPUT PATTERN
    local name=$1 want=$2 got=$3 out=$4 pattern=$5
    if [[ $got -eq $want ]] && grep -qE -- "$pattern" <<<"$out"; then
        echo "  $name ... passed"; passed=$((passed + 1))
        junit_case "$name" 0
    else
        echo "  $name ... FAILED (status $got, expected $want; output must match /$pattern/)"
        sed 's/^/      | /' <<<"$out"
        failed=$((failed + 1))
        junit_case "$name" 1 "status $got, expected $want; output must match /$pattern/"$'\n'"$out"
    fi
}

run() { out=$("$@" 2>&1); status=$?; }

run "$PV" --help;           check help 0 $status "$out" '^usage: pagevisor COMMAND'
run "$PV" --version;        check version 0 $status "$out" '^pagevisor [0-9]+\.[0-9]+'
run "$PV";                  check no-command 118 $status "$out" '^usage:'
run "$PV" frobnicate;       check unknown-command 118 $status "$out" "unknown command 'frobnicate'"
run "$PV" run;              check run-no-image 118 $status "$out" 'no IMAGE given'
run "$PV" run --mem 1M x;   check run-bad-mem 118 $status "$out" '--mem 1M: need a page-aligned size'
run "$PV" run --runner x y; check run-bad-runner 118 $status "$out" '--runner x: need auto, never or always'
run "$PV" run --help;       check run-help 0 $status "$out" '--timeout SECONDS'
run "$PV" run --help;       check run-help-3gb 0 $status "$out" '--3gb +3 GB user space'
# --3gb with a kernel linked inside the third gigabyte is refused before anything boots.
run "$PV" run --3gb --kernel build/guest/kernel.elf x.elf
check run-3gb-wrong-kernel 118 $status "$out" \
    '--3gb needs a kernel linked above 0xC0800000 .* is linked at 0x80100000'

run "$PV" probe; probe_status=$status; probe_out=$out
check probe-answers $([[ $probe_status -eq 0 ]] && echo 0 || echo 116) $probe_status "$probe_out" \
    'runs 32-bit paged guests|cannot run 32-bit paged guests'

if [[ $probe_status -ne 0 ]]; then
    # The cause the probe found is the one `--runner never` names, with its own exit status.
    cause=$(sed -E 's/.*\): //' <<<"$probe_out")
    run "$PV" run --runner never build/images/hello.elf
    check runner-never-incapable 116 $status "$out" "cannot run 32-bit paged guests on this host: .*--runner never"
    if grep -qF -- "$cause" <<<"$out"; then
        passed=$((passed + 1)); junit_case runner-never-repeats-probe-cause 0
    else
        echo "  (runner-never message does not repeat the probe's cause)"; failed=$((failed + 1))
        junit_case runner-never-repeats-probe-cause 1 "the message does not repeat the probe's cause: $cause"
    fi
fi

if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
    run unshare -m bash -c "mount -t tmpfs none /dev && '$PV' run --runner never build/images/hello.elf"
    check no-dev-kvm 116 $status "$out" 'no /dev/kvm on this host'
    run unshare -m bash -c "mount -t tmpfs none /dev && '$PV' probe"
    check probe-no-dev-kvm 116 $status "$out" '\(no KVM\): no /dev/kvm'
fi
if [[ $(id -u) -eq 0 ]] && [[ -e /dev/kvm ]] && command -v setpriv >/dev/null && \
   [[ $(stat -c %a /dev/kvm) == 600 ]]; then
    run setpriv --reuid=nobody --regid=nogroup --clear-groups "$PV" run --runner never build/images/hello.elf
    check kvm-permission-denied 116 $status "$out" 'permission denied on /dev/kvm'
fi

junit_end
echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
