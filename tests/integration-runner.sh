#!/bin/bash
# integration-runner.sh - the integration runner itself, without booting a guest: case
# selection by globs, --shard=K/N (the shards of the real case list together hold every case
# exactly once), --list, usage errors, and with a stand-in for pagevisor (a script that plays
# the guest's output), the unified diff of a failure, --update and --update=force, and the
# JUnit XML report (checked with xmllint), and the JUnit XML of tests/junit.sh and unit.h.
# Usage: tests/integration-runner.sh [INTEGRATION]   (default build/tests/integration; a unit
# test binary, UNIT_TEST, default build/tests/unit/test_udiff, for unit.h's report)
set -u
cd "$(dirname "$0")/.."
. tests/junit.sh
IT=$(readlink -f "${1:-build/tests/integration}")
CASES=tests/integration/cases.txt
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
junit_begin integration-runner

passed=0 failed=0
check() { # NAME STATUS [DETAIL...]: prints and records a check (STATUS 0 = it held)
    local name=$1 ok=$2
    shift 2
    if [[ $ok == 0 ]]; then
        echo "  $name ... passed"; passed=$((passed + 1))
    else
        echo "  $name ... FAILED"; failed=$((failed + 1))
        [[ -n "$*" ]] && sed 's/^/      | /' <<<"$*"
    fi
    junit_case "$name" "$ok" "$*"
}

# --- selection and shards (the real list) ----------------------------------------------------
# Every case name in the file, in order, as a user reads it.
grep -vE '^\s*(#|$)' "$CASES" | awk '{print $1}' >"$work/all.want"
"$IT" --list >"$work/all" 2>"$work/err"; status=$?
[[ $status == 0 ]] && cmp -s "$work/all.want" "$work/all" && [[ -s "$work/all" ]]
check list-is-every-case $? "status $status; $(diff "$work/all.want" "$work/all" | head -5)"
total=$(wc -l <"$work/all")

for n in 1 2 3 4 7; do
    : >"$work/union"
    sizes=()
    for ((k = 1; k <= n; k++)); do
        "$IT" --list --shard=$k/$n >"$work/shard" || echo "shard $k/$n: status $?" >>"$work/union"
        cat "$work/shard" >>"$work/union"
        sizes+=("$(wc -l <"$work/shard")")
        # The same split each time.
        "$IT" --list --shard=$k/$n | cmp -s - "$work/shard" || echo "shard $k/$n differs" >>"$work/union"
    done
    dups=$(sort "$work/union" | uniq -d | head -3)
    sort "$work/union" >"$work/union.sorted"
    sort "$work/all" >"$work/all.sorted"
    [[ -z $dups ]] && cmp -s "$work/union.sorted" "$work/all.sorted"
    check "shards-of-$n-cover-every-case-once" $? "duplicates: $dups; sizes ${sizes[*]} of $total"
    # Balanced: no shard has more than one case more than another.
    min=$(printf '%s\n' "${sizes[@]}" | sort -n | head -1)
    max=$(printf '%s\n' "${sizes[@]}" | sort -n | tail -1)
    [[ $((max - min)) -le 1 ]]
    check "shards-of-$n-balanced" $? "sizes ${sizes[*]}"
done
# The split is by position: the 2nd case of the file is the first of shard 2/3.
[[ $("$IT" --list --shard=2/3 | head -1) == $(sed -n 2p "$work/all") ]]
check shard-by-position $?

for spec in 0/3 4/3 x 3 1/0 /3 1/ -1/3 1/3x ''; do
    out=$("$IT" --list --shard="$spec" 2>&1); status=$?
    [[ $status == 2 ]] && grep -qF "need --shard=K/N with 1 <= K <= N, not $spec" <<<"$out"
    check "shard-usage-error-'$spec'" $? "status $status: $out"
done
out=$("$IT" --frobnicate 2>&1); status=$?
[[ $status == 2 ]] && grep -q "unknown option --frobnicate" <<<"$out"
check unknown-option $? "status $status: $out"

# Globs, and lists separated by commas or spaces.
"$IT" --list --only='hello*' >"$work/sel"
grep -E '^hello' "$work/all" >"$work/sel.want"
cmp -s "$work/sel.want" "$work/sel" && [[ -s "$work/sel" ]]
check only-glob $? "$(cat "$work/sel")"
"$IT" --list --only='layout, av-k*' >"$work/sel"
grep -E '^(layout|av-k.*)$' "$work/all" >"$work/sel.want"
cmp -s "$work/sel.want" "$work/sel" && [[ $(wc -l <"$work/sel") -ge 3 ]]
check only-list $? "$(cat "$work/sel")"
out=$("$IT" --list --only='hello,no-such-case*' 2>&1); status=$?
[[ $status == 2 ]] && grep -qF "no case in $CASES matches 'no-such-case*'" <<<"$out"
check only-no-match-is-an-error $? "status $status: $out"
# Globs and shards together: the cases of the glob that the shard holds.
"$IT" --list --only='av-*' --shard=1/2 >"$work/a"; "$IT" --list --only='av-*' --shard=2/2 >"$work/b"
"$IT" --list --only='av-*' >"$work/c"
[[ -s "$work/a" && -s "$work/b" ]] && cmp -s <(sort "$work/a" "$work/b") <(sort "$work/c")
check only-and-shard $?

# --- runs with a stand-in pagevisor ------------------------------------------------------------
# "run" sources the image (a shell snippet) as the guest; "probe" says KVM is fine.
mkdir -p "$work/images" "$work/expected" "$work/results"
cat >"$work/pagevisor" <<'EOF'
#!/bin/bash
[[ $1 == probe ]] && exit 0
shift
while [[ $1 == --* ]]; do shift 2; done
image=$1; shift
. "$image"
EOF
chmod +x "$work/pagevisor"
cat >"$work/cases.txt" <<'EOF'
same      0  -- same.elf
differ    0  -- differ.elf
badexit   0  -- badexit.elf
noexp     0  -- noexp.elf
odd-bytes 0  -- odd.elf
EOF
printf 'echo one; echo two; echo three; exit 0\n' >"$work/images/same.elf"
printf 'printf "a\\nb\\nc\\nd\\nTWO\\ne\\nf\\ng\\nh\\n"; exit 0\n' >"$work/images/differ.elf"
printf 'echo crashed; echo "dump" >&2; exit 112\n' >"$work/images/badexit.elf"
printf 'echo brand new; exit 0\n' >"$work/images/noexp.elf"
printf 'printf "<&\\"> \\001 \\377 \\x1b[0m done\\n"; exit 0\n' >"$work/images/odd.elf"
printf 'one\ntwo\nthree\n' >"$work/expected/same.expected"
printf 'a\nb\nc\nd\ntwo\ne\nf\ng\nh\n' >"$work/expected/differ.expected"
printf 'fine\n' >"$work/expected/badexit.expected"
printf 'something else\n' >"$work/expected/odd-bytes.expected"
cp -r "$work/expected" "$work/expected.orig"

fake_run() { # ARGS...: the runner on the stand-in; sets $status, output in $work/out
    # Its reports never go where the real suite's go: FAKE_RESULTS, else a scratch directory.
    PAGEVISOR_TEST_RESULTS=${FAKE_RESULTS:-$work/scratch-results} "$IT" --pagevisor="$work/pagevisor" --cases="$work/cases.txt" --images="$work/images" \
        --expected="$work/expected" --kernel=/dev/null "$@" >"$work/out" 2>&1
    status=$?
}

fake_run --junit="$work/results/integration.xml"
[[ $status == 1 ]] && grep -q '^1 passed, 4 failed' "$work/out"
check fake-run-fails $? "status $status; $(tail -3 "$work/out")"
# The diff: GNU diff's unified format, 3 lines of context.
cat >"$work/diff.want" <<EOF
      --- $work/expected/differ.expected
      +++ actual stdout
      @@ -2,7 +2,7 @@
       b
       c
       d
      -two
      +TWO
       e
       f
       g
EOF
grep -A10 -F -- "--- $work/expected/differ.expected" "$work/out" | head -11 >"$work/diff.got"
cmp -s "$work/diff.want" "$work/diff.got"
check failure-shows-unified-diff $? "$(diff "$work/diff.want" "$work/diff.got")"
grep -qF 'exit status 112, expected 0' "$work/out"
check failure-shows-exit-status $?
grep -qF "no noexp.expected in $work/expected" "$work/out"
check failure-names-missing-expected $?

xml=$work/results/integration.xml
if command -v xmllint >/dev/null; then
    xmllint --noout "$xml" 2>"$work/xmlerr"
    check junit-xml-well-formed $? "$(cat "$work/xmlerr")"
else
    check junit-xml-well-formed 1 "xmllint not installed (Debian package libxml2-utils)"
fi
grep -q '<testsuite name="integration" tests="5" failures="4" errors="0"' "$xml" &&
    grep -q '<testcase classname="integration" name="same" time="[0-9.]*"/>' "$xml" &&
    grep -q '<failure message="stdout differs from the expected output"' "$xml" &&
    grep -q '<failure message="wrong exit status; stdout differs' "$xml" &&
    grep -qF '+TWO' "$xml" && grep -qF '&lt;&amp;&quot;&gt; ? ? ?[0m done' "$xml"
check junit-xml-cases-and-failures $? "$(head -c 2000 "$xml")"
[[ -f $work/results/integration-failures/badexit.stdout ]] &&
    grep -q dump "$work/results/integration-failures/badexit.stderr" &&
    [[ ! -e $work/results/integration-failures/same.stdout ]]
check failed-case-outputs-kept $?

# --update: rewrites what differs where the exit status is right, not badexit's.
fake_run --update --only='differ,badexit,noexp,same'
[[ $status == 1 ]] && grep -q '^3 passed, 1 failed' "$work/out" &&
    grep -qF "rewrote $work/expected/differ.expected" "$work/out" &&
    grep -qF 'not rewriting the expected output: the exit status is wrong' "$work/out"
check update-run $? "status $status; $(tail -5 "$work/out")"
printf 'a\nb\nc\nd\nTWO\ne\nf\ng\nh\n' | cmp -s - "$work/expected/differ.expected" &&
    [[ $(cat "$work/expected/noexp.expected") == "brand new" ]] &&
    cmp -s "$work/expected.orig/badexit.expected" "$work/expected/badexit.expected" &&
    cmp -s "$work/expected.orig/same.expected" "$work/expected/same.expected" &&
    cmp -s "$work/expected.orig/odd-bytes.expected" "$work/expected/odd-bytes.expected"
check update-rewrites-only-right-status $?
fake_run --only='differ,noexp,same'
[[ $status == 0 ]]
check after-update-passes $? "$(tail -5 "$work/out")"
fake_run --update=force --only=badexit
[[ $status == 1 ]] && [[ $(cat "$work/expected/badexit.expected") == crashed ]]
check update-force-rewrites-despite-status $? "$(tail -5 "$work/out")"

# Without --junit: $PAGEVISOR_TEST_RESULTS names the directory, a shard its own file.
FAKE_RESULTS=$work/env-results fake_run --shard=1/2
[[ -f $work/env-results/integration-shard-1-of-2.xml ]] &&
    grep -q 'tests="3"' "$work/env-results/integration-shard-1-of-2.xml"
check junit-default-path-per-shard $? "$(ls "$work/env-results" 2>&1)"

# A suite that never finished (here a "pagevisor" that fails its probe and the runner) still
# leaves a report that says so.
"$IT" --pagevisor=/bin/false --only=hello --junit="$work/dead/integration.xml" >"$work/out" 2>&1
status=$?
[[ $status != 0 ]] &&
    grep -qF '<failure message="the suite did not finish in the KVM runner VM (/bin/false exit status 1)"' \
        "$work/dead/integration.xml"
check junit-when-the-suite-did-not-finish $? "status $status; $(cat "$work/out" "$work/dead/integration.xml" 2>&1)"

# --- the other JUnit writers: tests/junit.sh (shell suites) and unit.h (unit tests) ----------
(
    PAGEVISOR_TEST_RESULTS=$work/sh
    junit_begin 'shell <suite>'
    junit_case 'passes & "quotes"' 0
    junit_case $'fails <\x01\xff>' 1 $'first line & more\nsecond <line>\x1b[0m'
    junit_case 'fails without message' 3
    junit_end
)
xml=$work/sh/'shell <suite>'.xml
if command -v xmllint >/dev/null; then
    xmllint --noout "$xml" 2>"$work/xmlerr" &&
        grep -q 'tests="3" failures="2"' "$xml" &&
        grep -qF '<testcase classname="shell &lt;suite&gt;" name="passes &amp; &quot;quotes&quot;" time="' "$xml" &&
        grep -qF '<failure message="first line &amp; more">first line &amp; more' "$xml" &&
        grep -qF '<failure message="failed (status 3)">' "$xml"
    check junit-sh-well-formed $? "$(cat "$work/xmlerr" "$xml" 2>&1)"
    unit=${UNIT_TEST:-build/tests/unit/test_udiff}
    if [[ -x $unit ]]; then
        PAGEVISOR_TEST_RESULTS=$work/unit "$unit" >/dev/null 2>&1
        xml=$(ls "$work"/unit/unit-*.xml 2>/dev/null | head -1)
        [[ -n $xml ]] && xmllint --noout "$xml" 2>"$work/xmlerr" &&
            grep -q '<testsuite name="[a-z_]*" tests="[1-9][0-9]*" failures="0"' "$xml"
        check junit-unit-well-formed $? "$(cat "$work/xmlerr" "$xml" 2>&1)"
    else
        check junit-unit-well-formed 1 "$unit not built"
    fi
else
    check junit-xml-well-formed 1 "xmllint not installed (Debian package libxml2-utils)"
fi

junit_end
echo "integration-runner: $passed passed, $failed failed"
[[ $failed == 0 ]]
