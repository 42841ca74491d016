#!/bin/bash
# summary-check.sh - tests/summary.sh, the last line of `make test`, on made-up JUnit reports:
# the totals, its exit status, and a folder with no report at all (which must fail).
set -u
cd "$(dirname "$0")/.." || exit 2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
passed=0 failed=0
. tests/junit.sh
junit_begin summary
expect() { # NAME WANT-STATUS WANT-LINE DIR
    local out status
    out=$(tests/summary.sh "$4" 2>/dev/null); status=$?
    if [[ $status -eq $2 && $out == "$3" ]]; then
        echo "  $1 ... passed"; passed=$((passed + 1)); junit_case "$1" 0
    else
        echo "  $1 ... FAILED (status $status, output '$out'; expected $2, '$3')"
        failed=$((failed + 1)); junit_case "$1" 1 "status $status, output '$out'"
    fi
}
mkdir -p "$work/ok" "$work/bad" "$work/empty"
cat >"$work/ok/a.xml" <<'X'
<testsuites><testsuite name="a" tests="2"><testcase name="x"/><testcase name="y" time="1"></testcase></testsuite></testsuites>
X
cp "$work/ok/a.xml" "$work/bad/a.xml"
cat >"$work/bad/b.xml" <<'X'
<testsuites><testsuite name="b" tests="3"><testcase name="p"/><testcase name="q"><failure message="m">t</failure></testcase><testcase name="r"><error message="e"/></testcase></testsuite></testsuites>
X
expect totals-all-passed 0 "tests: 2 passed, 0 failed" "$work/ok"
expect totals-with-failures 1 "tests: 3 passed, 2 failed" "$work/bad"
expect no-reports-fails 1 "tests: 0 passed, 0 failed" "$work/empty"
junit_end
echo "summary: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
