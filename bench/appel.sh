#!/bin/bash
# appel.sh - Appel & Li's user-level VM primitives (bench/appel/appel.c): runs
# build/bench/vm-primitives where KVM can run the 32-bit paged guest: directly when this host's KVM can (`pagevisor
# probe`), else inside the KVM runner VM, with its Linux peers on that VM's kernel. Prints the
# table; leaves it in build/bench/appel.txt.
#
#   bench/appel.sh [APPEL OPTIONS...]     e.g. --runs 3, --pages 2048
set -euo pipefail
export LC_ALL=C

PAGEVISOR=${PAGEVISOR:-build/pagevisor}
DRIVER=build/bench/vm-primitives
KERNEL=build/guest/kernel.elf
IMAGES=build/bench/images
TEXT=build/bench/appel.txt

for f in "$PAGEVISOR" "$DRIVER" "$KERNEL" "$IMAGES/bench-appel.elf"; do
    [[ -e $f ]] || { echo "appel: $f is missing (make bench-appel builds it)" >&2; exit 1; }
done
rm -f "$TEXT"

start=$(date +%s)
status=0
if "$PAGEVISOR" probe >/dev/null 2>&1; then
    "$DRIVER" --pagevisor "$PAGEVISOR" --kernel "$KERNEL" --images "$IMAGES" --text "$TEXT" \
        --where "directly on this host" "$@" || status=$?
else
    echo "appel: this host's KVM cannot run 32-bit paged guests; running in the KVM runner VM"
    "$PAGEVISOR" runner --timeout 3600 --put "$DRIVER" --put "$KERNEL" --put "$IMAGES" \
        --get "$TEXT" -- "/pv/$DRIVER" --pagevisor pagevisor --kernel "$KERNEL" \
        --images "$IMAGES" --text "$TEXT" \
        --where "in the KVM runner VM (QEMU TCG -cpu max, nested SVM; peers on its kernel)" \
        "$@" || status=$?
fi
echo "appel: $(($(date +%s) - start)) s in all$([[ -e $TEXT ]] && echo "; saved $TEXT")"
exit $status
