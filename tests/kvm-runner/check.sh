#!/bin/bash
# check.sh - real round trips through the KVM runner VM (make runner-check).
#   tests/kvm-runner/check.sh RUNNER-CLI
# RUNNER-CLI is build/tests/kvm-runner/runner-cli (runner_main on its own). The jobs use only
# busybox inside the VM, so no pagevisor goes in (PAGEVISOR_STATIC=none); when
# build/pagevisor-static exists, one more job runs `pagevisor probe` inside the VM.
# Each round boots the VM (about 3 s here).
set -uo pipefail

cli=$(realpath "${1:?usage: check.sh RUNNER-CLI}")
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
work=$(mktemp -d /tmp/pagevisor-runner-check.XXXXXX)
trap 'rm -rf "$work"' EXIT
cd "$work" || exit 1
export PAGEVISOR_STATIC=none

passed=0
failed=0
ok() { echo "  ok    $1"; passed=$((passed + 1)); }
bad() { echo "  FAIL  $1${2:+: $2}"; failed=$((failed + 1)); }

echo "runner-check: round trips through the KVM runner VM"

# Exit status, stdout and stderr kept apart.
start=$(date +%s.%N)
"$cli" -- sh -c 'echo out-line; echo err-line >&2; exit 7' >out 2>err
status=$?
end=$(date +%s.%N)
if [[ $status -eq 7 && $(cat out) == out-line && $(cat err) == err-line ]]; then
    ok "exit status 7, stdout and stderr ($(printf "%.1f" "$(echo "$end - $start" | bc)") s round trip)"
else
    bad "exit status, stdout, stderr" "status $status, stdout '$(head -c 200 out)', stderr '$(head -c 300 err)'"
fi

# /dev/kvm inside (kvm-amd on the emulated SVM CPU).
if "$cli" -- sh -c 'test -c /dev/kvm && grep -q "^kvm_amd " /proc/modules' >out 2>err; then
    ok "/dev/kvm exists, kvm_amd loaded"
else
    bad "/dev/kvm" "$(tail -n 5 err)"
fi

# Files both ways: 1 MiB of random bytes in (relative path and a directory), back out.
mkdir -p in/sub
head -c 1048576 /dev/urandom >in/sub/data.bin
printf 'x' >in/small
"$cli" --put in --get copy.bin --get /pv/never=never.bin -- \
    sh -c 'test -f in/small && cp in/sub/data.bin copy.bin' >out 2>err
status=$?
if [[ $status -eq 0 ]] && cmp -s in/sub/data.bin copy.bin && [[ ! -e never.bin ]] &&
    grep -q 'did not create never.bin; nothing copied back' err; then
    ok "1 MiB file in and back intact, a missing output is reported"
else
    bad "files in and out" "status $status; $(tail -n 3 err)"
fi

# An absolute path lands under /pv/root.
abs=$work/in/small
"$cli" --put "$abs" -- sh -c "test -f /pv/root$(realpath "$abs")" >out 2>err
status=$?
[[ $status -eq 0 ]] && ok "absolute --put lands at /pv/root/PATH" || bad "absolute --put" "status $status"

# A lot of stdout, written fast, arrives whole and in order.
"$cli" -- sh -c 'i=0; while [ $i -lt 20000 ]; do echo "line $i"; i=$((i + 1)); done' >out 2>err
status=$?
if [[ $status -eq 0 && $(wc -l <out) -eq 20000 && $(sed -n '12345p' out) == "line 12344" ]]; then
    ok "20000 lines of stdout, none lost"
else
    bad "bulk stdout" "status $status, $(wc -l <out) lines"
fi

# The timeout stops the command (exit status 115) and leaves nothing behind.
before=$(ls /tmp | grep -c '^pagevisor-runner\.' || true)
"$cli" --timeout 2 -- sleep 60 >out 2>err
status=$?
after=$(ls /tmp | grep -c '^pagevisor-runner\.' || true)
if [[ $status -eq 115 ]] && grep -q 'longer than 2 s' err && [[ $after -le $before ]]; then
    ok "--timeout 2 stops the command (exit status 115)"
else
    bad "--timeout" "status $status; $(tail -n 2 err)"
fi

# Bad command lines.
"$cli" --bogus -- true >out 2>err
status=$?
[[ $status -eq 118 ]] && ok "unknown option: exit status 118" || bad "usage error" "status $status"

# The real pagevisor, when it has been built.
if [[ -x $root/build/pagevisor-static ]]; then
    PAGEVISOR_STATIC=$root/build/pagevisor-static "$cli" -- /pv/bin/pagevisor probe >out 2>err
    status=$?
    if [[ $status -eq 0 ]]; then
        ok "pagevisor probe inside the VM: $(head -n 1 out)"
    else
        bad "pagevisor probe inside the VM" "status $status; $(tail -n 3 out err)"
    fi
fi

echo "runner-check: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
