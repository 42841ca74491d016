#!/bin/bash
# san-smoke.sh - the whole host program built with AddressSanitizer and UndefinedBehaviorSanitizer
# (build/san/pagevisor), driven through what a user does: the command line and probe
# (tests/cli.sh), and real runs, which on a host whose KVM cannot run 32-bit paged guests go
# through the KVM runner (options, path mapping, the job archive, the result stream, output
# files, the stdin relay) and otherwise straight through KVM (loader, exit loop, hypercalls, trace ring).
# Any sanitizer report fails the run (the build aborts on the first one).
# Usage: tests/san-smoke.sh SAN-PAGEVISOR
set -u
SAN=${1:?usage: san-smoke.sh SAN-PAGEVISOR}
export PAGEVISOR_STATIC=${PAGEVISOR_STATIC:-build/pagevisor-static}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0 failed=0
. "$(dirname "$0")/junit.sh"
junit_begin san-smoke
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

report() { # NAME OK
    if [[ $2 == 0 ]]; then echo "  $1 ... passed"; passed=$((passed + 1))
    else echo "  $1 ... FAILED"; failed=$((failed + 1)); fi
    junit_case "$1" "$2"
}
no_sanitizer_report() { ! grep -qE 'ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer' "$1"; }

PAGEVISOR_TEST_RESULTS= tests/cli.sh "$SAN" >"$work/cli.out" 2>&1  # its report is cli.xml's
status=$?
no_sanitizer_report "$work/cli.out" && [[ $status == 0 ]]; report cli-under-sanitizers $?
[[ $status == 0 ]] || sed 's/^/      | /' "$work/cli.out"

# A run with a trace, a kept pagefile and two images. The 512 MiB pagefile stays sparse: it
# holds no page, so it comes back (through the runner) as its size with no blocks behind it.
"$SAN" run --kernel build/guest/kernel.elf --trace "$work/t.jsonl" --trace-format jsonl --pagefile "$work/pf" --pagefile-size 512M \
    build/images/dz-trace.elf -- build/images/hello.elf >"$work/run.out" 2>"$work/run.err"
status=$?
cat tests/images/dz-trace.expected tests/images/hello.expected >"$work/want"
[[ $status == 0 ]] && cmp -s "$work/want" "$work/run.out" && no_sanitizer_report "$work/run.err" &&
    grep -q '"type":"statistics","faults":' "$work/t.jsonl" &&
    [[ $(stat -c %a "$work/pf") == 600 ]] && [[ $(stat -c %s "$work/pf") == 536870912 ]] &&
    (( $(stat -c %b "$work/pf") * 512 < 1048576 ))
report run-trace-pagefile $?
[[ $status == 0 ]] || sed 's/^/      | /' "$work/run.err"

# A run that ends badly: a killed image and its crash report.
"$SAN" run --kernel build/guest/kernel.elf build/images/av-null.elf >"$work/av.out" 2>"$work/av.err"
status=$?
[[ $status == 112 ]] && grep -q 'no VAD covers 00000000' "$work/av.err" &&
    no_sanitizer_report "$work/av.err"
report run-killed-image $?

# Console input from a pipe: the hypercall's reads, or the runner's stdin relay.
cat tests/integration/input/console-lines.txt |
    "$SAN" run --kernel build/guest/kernel.elf build/images/console-echo.elf badbuf \
    >"$work/in.out" 2>"$work/in.err"
status=$?
[[ $status == 0 ]] && cmp -s tests/integration/expected/console-echo-lines.expected "$work/in.out" &&
    no_sanitizer_report "$work/in.err"
report run-console-input $?
[[ $status == 0 ]] || sed 's/^/      | /' "$work/in.err"

# The guest asks for 16 bytes and stops: pagevisor takes exactly those from its standard input
# and leaves the rest to the next reader.
{ "$SAN" run --kernel build/guest/kernel.elf build/images/console-echo.elf limit=16 \
    >"$work/limit.out" 2>"$work/limit.err"; status=$?; cat >"$work/rest"; } \
    <tests/integration/input/console-lines.txt
tail -c +17 tests/integration/input/console-lines.txt >"$work/want-rest"
[[ $status == 0 ]] && grep -qF '(console-echo) 1 lines, 16 bytes' "$work/limit.out" &&
    cmp -s "$work/want-rest" "$work/rest" && no_sanitizer_report "$work/limit.err"
report run-console-input-leaves-the-rest $?
[[ $status == 0 ]] || sed 's/^/      | /' "$work/limit.err"

junit_end
echo "san-smoke: $passed passed, $failed failed"
[[ $failed == 0 ]]
