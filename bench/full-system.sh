#!/bin/bash
# full-system.sh - the full-system benchmark of `make bench` (see bench/full/fs_main.c): runs
# build/bench/full-system where KVM can run the 32-bit paged guest: directly when this host's
# KVM can (`pagevisor probe`), else inside the KVM runner VM (one boot for everything), with
# the same peers measured beside it on that VM's kernel. Prints the table; leaves it in
# build/bench/full-system.txt and build/bench/full-system.json.
#
#   bench/full-system.sh [FULL-SYSTEM OPTIONS...]     e.g. --runs 3, --dz-pages 4096
# Run from the top of the tree after `make build/bench/full-system` (make bench does both).
set -euo pipefail
export LC_ALL=C

PAGEVISOR=${PAGEVISOR:-build/pagevisor}
DRIVER=build/bench/full-system
KERNEL=build/guest/kernel.elf
IMAGES=build/bench/images
JSON=build/bench/full-system.json
TEXT=build/bench/full-system.txt

for f in "$PAGEVISOR" "$DRIVER" "$KERNEL" "$IMAGES/bench-dz.elf" "$IMAGES/bench-pagein.elf"; do
    [[ -e $f ]] || { echo "full-system: $f is missing (make bench builds it)" >&2; exit 1; }
done
rm -f "$JSON" "$TEXT"   # never leave an old result looking like a new one

. "$(dirname "${BASH_SOURCE[0]}")/host.sh"   # $kvm, $host
when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
args=(--kernel "$KERNEL" --images "$IMAGES" --json "$JSON" --text "$TEXT" --when "$when")

start=$(date +%s)
if "$PAGEVISOR" probe >/dev/null 2>&1; then
    # Linux's swap-in peer needs swap of its own: BENCH_FS_ARGS="--swap-loop" (root: a loop
    # device over a file in TMPDIR, swapped on for the run), else it is reported unavailable.
    status=0
    "$DRIVER" --pagevisor "$PAGEVISOR" "${args[@]}" --where "directly on this host" \
        --host "$host" "$@" || status=$?
else
    echo "full system: this host's KVM cannot run 32-bit paged guests ($kvm); running in the" \
         "KVM runner VM"
    status=0
    # The Linux swap-in peer swaps on a loop device over a file in the VM's tmpfs there (loop.ko
    # is in the runner's modules), as the guest's pagefile there is in RAM too.
    "$PAGEVISOR" runner --timeout 3600 --put "$DRIVER" --put "$KERNEL" --put "$IMAGES" \
        --get "$JSON" --get "$TEXT" -- "/pv/$DRIVER" --pagevisor pagevisor "${args[@]}" \
        --load-module /lib/modules/loop.ko --swap-loop \
        --where "in the KVM runner VM (QEMU TCG -cpu max, nested SVM)" \
        --host "run from $host" "$@" || status=$?
fi
echo "full system: $(($(date +%s) - start)) s in all$([[ -e $JSON ]] && echo "; saved $JSON")"
exit $status
