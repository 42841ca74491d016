#!/bin/bash
# samples.sh - rewrites the sample outputs in README.md from real runs, so that what the README
# shows is what pagevisor prints today (`make readme-samples`, after `make`).
#
# A sample is a marker line followed by a fenced block:
#   <!-- sample: COMMAND -->      the block becomes COMMAND's standard output (add 2>&1 to
#                                 show standard error too)
#   <!-- sample $: COMMAND -->    the same, under a first line "$ COMMAND" as typed
# COMMAND runs with bash from the top of the tree; a command whose status is not 0 still has
# its output shown (crash reports are samples too). Absolute temporary paths in the output are
# shown as /tmp/... Usage: docs/samples.sh [README]
set -uo pipefail
cd "$(dirname "$0")/.."
readme=${1:-README.md}
[[ -x build/pagevisor ]] || { echo "samples: build/pagevisor missing: run make first" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
out=$tmp/readme
n=0
in_block=0 pending=""
while IFS= read -r line || [[ -n $line ]]; do
    if [[ $in_block == 1 ]]; then
        # Skip the old block's lines up to its closing fence.
        [[ $line == '```'* ]] && { in_block=0; printf '%s\n' "$line" >>"$out"; }
        continue
    fi
    printf '%s\n' "$line" >>"$out"
    if [[ -n $pending && $line == '```'* ]]; then
        cmd=${pending#*: }
        [[ $pending == 'sample $:'* ]] && printf '$ %s\n' "$cmd" >>"$out"
        (export TMPDIR=$tmp; bash -c "$cmd" 2>/dev/null) | sed "s#$tmp#/tmp#g" >>"$out"
        n=$((n + 1))
        pending="" in_block=1
        continue
    fi
    pending=""
    if [[ $line =~ ^'<!-- '(sample( \$)?: .*)' -->'$ ]]; then
        pending=${BASH_REMATCH[1]}
    fi
done <"$readme"
[[ $in_block == 0 ]] || { echo "samples: $readme ends inside a sample block" >&2; exit 1; }
cp "$out" "$readme"
echo "samples: $n samples in $readme rewritten from real runs"
