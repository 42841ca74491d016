#!/bin/bash
# summary.sh - the last line of `make test`: every suite's JUnit XML in DIR added up, as
# "tests: N passed, M failed". Fails when a suite failed or when no test ran at all.
# Usage: tests/summary.sh DIR
set -euo pipefail
dir=${1:?usage: summary.sh DIR}
shopt -s nullglob
files=("$dir"/*.xml)
total=0 failed=0
for f in "${files[@]}"; do
    # One <testcase> element a test; a failed one holds <failure or <error.
    # (grep finding nothing is not an error here.)
    n=$({ grep -o '<testcase[ >/]' "$f" || true; } | wc -l)
    m=$({ grep -o -e '<failure[ >/]' -e '<error[ >/]' "$f" || true; } | wc -l)
    total=$((total + n))
    failed=$((failed + m))
done
echo "tests: $((total - failed)) passed, $failed failed"
[[ ${#files[@]} -gt 0 && $total -gt 0 ]] || { echo "summary: no test results in $dir" >&2; exit 1; }
[[ $failed -eq 0 ]]
