#!/bin/bash
# ensure-packages.sh - make sure the Debian packages a step needs are installed.
# Usage: tests/ensure-packages.sh GROUP...   (groups: build, test, runner, fuzz, bench)
# As root, missing packages are installed with apt-get; otherwise the exact command is printed
# and the script fails. Nothing is fetched from anywhere but the Debian archive.
set -euo pipefail

declare -A GROUP=(
    [build]="gcc libc6-dev make binutils libcapstone-dev"
    [test]="libcunit1-dev qemu-system-x86 libxml2-utils python3-yaml pkg-config man-db gdb"
    [runner]="qemu-system-x86"
    [fuzz]="clang libclang-rt-14-dev"
    [bench]="valgrind"
)

want=()
for g in "$@"; do
    [[ -n "${GROUP[$g]:-}" ]] || { echo "ensure-packages: unknown group '$g'" >&2; exit 2; }
    for p in ${GROUP[$g]}; do
        [[ " ${want[*]:-} " == *" $p "* ]] || want+=("$p")
    done
done

missing_packages() {
    missing=()
    for p in "${want[@]}"; do
        status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
        [[ "$status" == "install ok installed" ]] || missing+=("$p")
    done
}
missing_packages
[[ ${#missing[@]} -eq 0 ]] && exit 0

if [[ $(id -u) -ne 0 ]]; then
    echo "pagevisor needs these Debian packages: ${missing[*]}" >&2
    echo "install them with: sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

# make runs several of these at once (deps-build and deps-test in one parallel build), and apt
# holds dpkg's lock for the whole install: one at a time, each re-checking once it has the lock,
# and apt itself waits for dpkg's lock should anything else (unattended-upgrades) hold it.
exec 9>/tmp/pagevisor-apt.lock
flock 9
missing_packages
[[ ${#missing[@]} -eq 0 ]] && exit 0

log=/tmp/pagevisor-apt.log
echo "installing Debian packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt=(apt-get -o DPkg::Lock::Timeout=600 -y -q --no-install-recommends)
if ! "${apt[@]}" install "${missing[@]}" >"$log" 2>&1; then
    apt-get -o DPkg::Lock::Timeout=600 update -q >>"$log" 2>&1 || true
    if ! "${apt[@]}" install "${missing[@]}" >>"$log" 2>&1; then
        tail -n 20 "$log" >&2
        echo "ensure-packages: apt-get install ${missing[*]} failed (log: $log)" >&2
        exit 1
    fi
fi
