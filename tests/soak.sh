#!/bin/bash
# soak.sh - the integration suite N times in a row (`make soak N=5`): reports every case that
# failed or hung even once, how often, and where each failing run's report is, so a rare
# failure (a timer that stops in the runner VM, a livelock under memory pressure) shows up.
# Each run writes build/soak/run-K/integration.xml (the case's diff, exit status and stderr)
# and, where the guest runs directly, its failing cases' outputs and traces beside it.
# Usage: tests/soak.sh N INTEGRATION-RUNNER [ITS ARGS...]
set -u
n=${1:?usage: soak.sh N INTEGRATION-RUNNER [ARGS...]}
shift
[[ $n =~ ^[1-9][0-9]*$ ]] || { echo "soak: N must be a positive number, not '$n'" >&2; exit 2; }
dir=build/soak
rm -rf "$dir"
declare -A fails=()
runs_failed=0
for k in $(seq 1 "$n"); do
    out=$dir/run-$k
    mkdir -p "$out"
    start=$SECONDS
    # A whole run that hangs is ended too (the runner's own per-case limits should come first).
    PAGEVISOR_TEST_RESULTS=$PWD/$out timeout --kill-after=30 7200 "$@" >"$out/log" 2>&1
    status=$?
    line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out/log" | tail -n1)
    echo "soak: run $k of $n: ${line:-no result line} (exit $status, $((SECONDS - start)) s)"
    [[ $status -eq 0 ]] || runs_failed=$((runs_failed + 1))
    # The failed cases of this run: a <testcase ...> that is followed by a <failure.
    if [[ -f $out/integration.xml ]]; then
        while read -r name; do
            fails[$name]="${fails[$name]:-}${fails[$name]:+ }$k"
        done < <(awk '/<testcase /{ if (match($0, / name="[^"]*"/)) name = substr($0, RSTART + 7, RLENGTH - 8) }
                      /<failure/{ print name }' "$out/integration.xml")
    elif [[ $status -ne 0 ]]; then
        fails["(the whole run: no report)"]="${fails["(the whole run: no report)"]:-} $k"
    fi
done
if [[ ${#fails[@]} -eq 0 && $runs_failed -eq 0 ]]; then
    echo "soak: every case passed in all $n runs"
else
    echo "soak: cases that failed at least once (run numbers; reports in $dir/run-K/):"
    for name in "${!fails[@]}"; do echo "  $name: runs ${fails[$name]}"; done | sort
fi
echo "soak: $((n - runs_failed)) passed, $runs_failed failed"
[[ $runs_failed -eq 0 ]]
