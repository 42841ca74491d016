#!/bin/bash
# host-path.sh - the host-path benchmark of `make bench` (bench/host_path.c): pages served from
# the pagefile into guest frames through real PV_HC_PAGEFILE_IO hypercalls of a tiny 32-bit
# guest without paging, against a userfaultfd handler and pread. Runs build/bench/host-path
# directly where this host's KVM runs that guest (`host-path --check` tries it: one hypercall
# served and checked; it needs no paging, so kvm-pvm may do), else build/bench/host-path-static
# inside the KVM runner VM (one boot), with the peers on that VM's kernel. Prints the table;
# leaves it in build/bench/host-path.txt and build/bench/host-path.json.
#
#   bench/host-path.sh [--runner | --direct] [HOST-PATH OPTIONS...]   e.g. --pages 4096 --runs 3
#     --runner   run in the KVM runner VM even where this host's KVM runs the guest
#     --direct   run on this host whatever the check says (pagevisor is then n/a, with the reason)
# Run from the top of the tree after `make build/bench/host-path build/bench/host-path-static`
# (make bench-host-path does both).
set -euo pipefail
export LC_ALL=C

PAGEVISOR=${PAGEVISOR:-build/pagevisor}
DRIVER=build/bench/host-path
STATIC=build/bench/host-path-static
JSON=build/bench/host-path.json
TEXT=build/bench/host-path.txt

mode=auto
args=()
for a in "$@"; do
    case $a in
        --runner) mode=runner ;;
        --direct) mode=direct ;;
        *) args+=("$a") ;;
    esac
done

for f in "$PAGEVISOR" "$DRIVER" "$STATIC"; do
    [[ -e $f ]] || { echo "host-path: $f is missing (make bench-host-path builds it)" >&2; exit 1; }
done
rm -f "$JSON" "$TEXT"   # never leave an old result looking like a new one

. "$(dirname "${BASH_SOURCE[0]}")/host.sh"   # $kvm, $host

check=""
if [[ $mode == auto ]]; then
    if check=$("$DRIVER" --check 2>&1); then mode=direct; else mode=runner; fi
    echo "$check"
fi

start=$(date +%s)
status=0
if [[ $mode == direct ]]; then
    note=()
    [[ -n $check ]] && note=(--host "${check#host-path: }")
    "$DRIVER" --json "$JSON" --text "$TEXT" --where "directly on this host" ${note[@]+"${note[@]}"} \
        ${args[@]+"${args[@]}"} || status=$?
else
    reason=${check#host-path: }
    [[ -n $reason ]] || reason="asked for the runner (--runner)"
    echo "host path: running in the KVM runner VM"
    "$PAGEVISOR" runner --timeout 3600 --put "$STATIC" --get "$JSON" --get "$TEXT" -- \
        "/pv/$STATIC" --json "$JSON" --text "$TEXT" \
        --where "in the KVM runner VM (QEMU TCG -cpu max, nested SVM; peers on its kernel)" \
        --host "run from $host: $reason" ${args[@]+"${args[@]}"} || status=$?
fi
echo "host path: $(($(date +%s) - start)) s in all$([[ -e $JSON ]] && echo "; saved $JSON and $TEXT")"
exit $status
