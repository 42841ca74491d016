#!/bin/bash
# trace.sh - what --trace costs (make bench-trace):
#  1. host instructions per fault record, counted by callgrind on build/bench/trace-cost (the
#     host side of --trace without a VM): on the vCPU's exit path (tracer_drain) and on the
#     writer thread (decoding, formatting, writing), each format; the target is under 1,000
#     on the exit path;
#  2. build/bench/trace-overhead: a warm demand-zero loop traced in each format against the
#     same loop untraced, side by side, directly where this host's KVM runs the guest, else in
#     one KVM runner boot; the target is 1.10x or less.
# Prints both tables; leaves them in build/bench/trace.txt.
#
#   bench/trace.sh [TRACE-OVERHEAD OPTIONS...]     e.g. --runs 3, --pages 4096
set -euo pipefail
export LC_ALL=C

PAGEVISOR=${PAGEVISOR:-build/pagevisor}
COST=build/bench/trace-cost
DRIVER=build/bench/trace-overhead
KERNEL=build/guest/kernel.elf
IMAGES=build/bench/images
TEXT=build/bench/trace.txt
LOOP=build/bench/trace-overhead.txt

for f in "$PAGEVISOR" "$COST" "$DRIVER" "$KERNEL" "$IMAGES/bench-dz.elf"; do
    [[ -e $f ]] || { echo "trace: $f is missing (make bench-trace builds it)" >&2; exit 1; }
done
rm -f "$TEXT" "$LOOP"
start=$(date +%s)
RECORDS=16384

{
    echo "Host instructions per fault record (callgrind, $RECORDS demand-zero records drained"
    echo "512 at a time, as at VM exits; $(uname -m), $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1))"
    echo
    printf '%-8s %-26s %-26s\n' "trace" "exit path (tracer_drain)" "writer thread (write_item)"
} >"$TEXT"
if ! command -v valgrind >/dev/null; then
    echo "  valgrind is not installed (apt-get install valgrind): not counted" >>"$TEXT"
else
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    count() {  # count FORMAT FUNCTION: instructions per record inside FUNCTION
        valgrind --tool=callgrind --callgrind-out-file="$tmp/cg" --toggle-collect="$2" \
            "$COST" --records $RECORDS --format "$1" >/dev/null 2>"$tmp/log" ||
            { cat "$tmp/log" >&2; echo "trace: callgrind failed" >&2; exit 1; }
        local ir
        ir=$(sed -n 's/^summary: *//p' "$tmp/cg" | awk '{print $1}')
        awk -v ir="${ir:-0}" -v n=$RECORDS 'BEGIN { printf "%.0f", ir / n }'
    }
    for fmt in none text jsonl chrome; do
        exitp=$(count "$fmt" exit_path_drain)
        if [[ $fmt == none ]]; then writer="-"; else writer=$(count "$fmt" write_item); fi
        target=$([[ $exitp -lt 1000 ]] && echo "met (< 1,000)" || echo "NOT met (< 1,000)")
        printf '%-8s %-26s %-26s\n' "$fmt" "$exitp  $target" "$writer" >>"$TEXT"
    done
fi
echo >>"$TEXT"

args=(--kernel "$KERNEL" --images "$IMAGES" --text "$LOOP")
status=0
if "$PAGEVISOR" probe >/dev/null 2>&1; then
    "$DRIVER" --pagevisor "$PAGEVISOR" "${args[@]}" --where "directly on this host" "$@" \
        >/dev/null || status=$?
else
    echo "trace: this host's KVM cannot run 32-bit paged guests; the loop runs in the KVM runner VM"
    "$PAGEVISOR" runner --timeout 3600 --put "$DRIVER" --put "$KERNEL" --put "$IMAGES" \
        --get "$LOOP" -- "/pv/$DRIVER" --pagevisor pagevisor "${args[@]}" \
        --where "in the KVM runner VM (QEMU TCG -cpu max, 1 vCPU, nested SVM)" "$@" \
        >/dev/null || status=$?
fi
[[ -e $LOOP ]] && cat "$LOOP" >>"$TEXT"
rm -f "$LOOP"
cat "$TEXT"
echo "trace: $(($(date +%s) - start)) s in all; saved $TEXT"
exit $status
