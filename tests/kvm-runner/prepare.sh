#!/bin/bash
# prepare.sh - prepare the KVM runner: a throwaway Linux VM (QEMU TCG, -cpu max) whose stock
# Debian kernel loads kvm-amd, so pagevisor gets a KVM that runs 32-bit paged guests.
#
#   tests/kvm-runner/prepare.sh          fetch and build what is missing (idempotent, fast when done)
#   tests/kvm-runner/prepare.sh --check  only say whether the runner is ready (exit 0 ready, 1 not)
#   tests/kvm-runner/prepare.sh --if-needed PAGEVISOR
#                      nothing when PAGEVISOR's probe finds a KVM that runs the guest directly;
#                      else say why the runner is needed, install QEMU (as root), prepare it.
#                      Every make target that boots a guest goes through this one step.
#
# Everything comes from Debian packages: linux-image-6.1.0-NN-amd64 (the one linux-image-amd64
# depends on) for vmlinuz and the kvm modules, busybox-static for the userland. Packages are
# downloaded with `apt-get download` (never installed) into a scratch folder, unpacked, and
# deleted: the cache keeps what the VM boots, not the .deb files as well.
#
# The cache, shared with the C side (vmm/runner/runner.c):
#   # Without HOME (a service or CI may run us so), the home directory from the passwd database.
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
CACHE=${PAGEVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pagevisor}/runner
#   CACHE/vmlinuz         the kernel (bzImage)
#   CACHE/vmlinux         the same kernel decompressed, booted through its PVH entry (QEMU
#                         loads the ELF directly): saves the ~3 s the emulated CPU spends
#                         decompressing the bzImage. Made when xz and readelf are there.
#   CACHE/base.cpio.gz    initramfs: busybox + applet links, /init, the kvm and virtio modules
#   CACHE/VERSION         which kernel (and busybox) the runner holds
#   CACHE/prepare.*/      scratch space while preparing (the downloads), removed at the end
#   CACHE/base/           the staging tree of base.cpio.gz (without /init)
#   CACHE/base.stamp      checksum of what base.cpio.gz was built from (rebuilt when init changes)
# Preparing needs apt (and the Debian archive the first time); running needs qemu-system-x86.
set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
INIT_SRC=$here/init
# Without HOME (a service or CI may run us so), the home directory from the passwd database.
HOME=${HOME:-$(getent passwd "$(id -u)" | cut -d: -f6)}
CACHE=${PAGEVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pagevisor}/runner
# The modules init loads: kvm-amd (needs kvm and ccp; kvm needs irqbypass), and virtio-serial
# for the result port (virtio_console on virtio_pci; serial ports are too slow for files).
# loop is not loaded by init: `make bench` swaps on a loop device for its Linux swap-in peer.
MODULES=(virt/lib/irqbypass.ko arch/x86/kvm/kvm.ko drivers/crypto/ccp/ccp.ko arch/x86/kvm/kvm-amd.ko
    drivers/virtio/virtio_ring.ko drivers/virtio/virtio.ko drivers/virtio/virtio_pci_legacy_dev.ko
    drivers/virtio/virtio_pci_modern_dev.ko drivers/virtio/virtio_pci.ko drivers/char/virtio_console.ko
    drivers/block/loop.ko)

say() { printf 'runner: %s\n' "$*"; }
die() { printf 'runner: error: %s\n' "$*" >&2; exit 1; }

# The checksum of what base.cpio.gz is made from, apart from the packages' files: init, this
# script (the module list, the layout) and the package versions.
base_stamp() {
    { sha256sum "$INIT_SRC" "${BASH_SOURCE[0]}" | cut -d' ' -f1; cat "$CACHE/VERSION"; } |
        sha256sum | cut -d' ' -f1
}

is_ready() {
    [[ -s $CACHE/vmlinuz && -s $CACHE/base.cpio.gz && -s $CACHE/VERSION && -f $CACHE/base.stamp ]] &&
        [[ $(cat "$CACHE/base.stamp") == "$(base_stamp)" ]]
}

if [[ ${1:-} == --if-needed ]]; then
    [[ $# -eq 2 ]] || { echo "usage: $0 --if-needed PAGEVISOR" >&2; exit 2; }
    # The probe's one line says what this host's KVM lacks; capable hosts need nothing here.
    if why=$("$2" probe 2>&1); then
        exit 0
    fi
    shift 2
    if ! is_ready; then
        say "this host cannot run the 32-bit paged guest directly:"
        say "  ${why#pagevisor: }"
        say "so guests run inside the KVM runner, a small Linux VM under QEMU whose KVM can."
    fi
    "$here/../ensure-packages.sh" runner || exit 1
fi

if [[ ${1:-} == --check ]]; then
    status=0
    if is_ready; then
        say "ready in $CACHE ($(head -n1 "$CACHE/VERSION"))"
    elif [[ ! -s $CACHE/vmlinuz || ! -s $CACHE/base.cpio.gz ]]; then
        say "not prepared (no $CACHE/vmlinuz or base.cpio.gz): run \`make runner\` (or tests/kvm-runner/prepare.sh)"
        status=1
    else
        say "out of date (tests/kvm-runner changed): run \`make runner\` (or tests/kvm-runner/prepare.sh)"
        status=1
    fi
    if ! command -v qemu-system-x86_64 >/dev/null; then
        say "qemu-system-x86_64 not found: apt-get install qemu-system-x86"
        status=1
    fi
    exit $status
elif [[ $# -gt 0 ]]; then
    echo "usage: $0 [--check]" >&2
    exit 2
fi

[[ -f $INIT_SRC ]] || die "missing $INIT_SRC"
for tool in apt-get apt-cache dpkg-deb tar gzip sha256sum find; do
    command -v "$tool" >/dev/null || die "$tool not found (the runner is built from Debian packages)"
done

# The init script alone changed: rebuild base.cpio.gz from the staging tree, nothing else.
build_base() {
    local tmp=$CACHE/base.cpio.gz.tmp
    cp "$INIT_SRC" "$CACHE/base/init"
    chmod 0755 "$CACHE/base/init"
    # The staging tree holds no device nodes (making one needs root): /dev/console, which the
    # kernel opens for init's stdio before anything is mounted, is appended as a second newc
    # archive written by hand. The kernel unpacks concatenated archives in order.
    {
        (cd "$CACHE/base" && find . -mindepth 1 | LC_ALL=C sort |
            "$CACHE/base/bin/busybox" cpio -o -H newc -R 0:0 --renumber-inodes 2>/dev/null)
        newc_entry dev 040755 0 0
        newc_entry dev/console 020600 5 1
        newc_entry TRAILER!!! 0 0 0
    } | gzip -9n >"$tmp"
    mv -f "$tmp" "$CACHE/base.cpio.gz"
    base_stamp >"$CACHE/base.stamp"
}

# One newc header for an entry without data (a directory or a device node), name padded to 4.
newc_entry() {
    local name=$1 mode=$((8#$2)) rmaj=$3 rmin=$4
    local namesize=$((${#name} + 1))
    printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
        0 "$mode" 0 0 1 0 0 0 0 "$rmaj" "$rmin" "$namesize" 0 "$name"
    local pad=$(((4 - (110 + namesize) % 4) % 4))
    [[ $pad -gt 0 ]] && head -c "$pad" /dev/zero
    return 0
}

# The kernel as an uncompressed ELF with a PVH entry, for QEMU -kernel. Debian's bzImage holds an
# xz stream (CONFIG_KERNEL_XZ) at an offset; without xz-utils and binutils the bzImage is used.
make_vmlinux() {
    local off notes tmp=$CACHE/vmlinux.tmp
    if ! command -v xz >/dev/null || ! command -v readelf >/dev/null; then
        rm -f "$CACHE/vmlinux"
        say "note: no xz or readelf (apt-get install xz-utils binutils): the VM boots the compressed kernel, about 3 s slower"
        return 0
    fi
    # (xz stops after the stream; reading through <(...) keeps tail's SIGPIPE out of pipefail.)
    off=$(grep -obUaP '\xfd7zXZ\x00' "$CACHE/vmlinuz" | sed -n '1s/:.*//p') || true
    if [[ -n $off ]] && xz -dc --single-stream < <(tail -c +$((off + 1)) "$CACHE/vmlinuz") >"$tmp" 2>/dev/null &&
        notes=$(readelf -n "$tmp" 2>/dev/null) && grep -q -E 'Xen.*(0x00000012|PHYS32_ENTRY)' <<<"$notes"; then
        mv -f "$tmp" "$CACHE/vmlinux"
    else
        rm -f "$tmp" "$CACHE/vmlinux"
        say "note: cannot unpack a PVH vmlinux from vmlinuz: the VM boots the compressed kernel"
    fi
}

if is_ready; then
    say "ready in $CACHE ($(head -n1 "$CACHE/VERSION"))"
    exit 0
fi

mkdir -p "$CACHE"
# One preparation at a time (parallel make, two shells); the second finds the work done.
exec 9>"$CACHE/.lock"
if command -v flock >/dev/null; then
    flock 9
    if is_ready; then
        say "ready in $CACHE ($(head -n1 "$CACHE/VERSION"))"
        exit 0
    fi
fi

# The packages' files are all there (every module of the list by name): only init or this
# script changed, so base.cpio.gz is rebuilt without fetching anything.
have_modules() {
    local m
    [[ $(find "$CACHE/base/lib/modules" -name '*.ko' | wc -l) -eq ${#MODULES[@]} ]] || return 1
    for m in "${MODULES[@]}"; do [[ -s $CACHE/base/lib/modules/${m##*/} ]] || return 1; done
}
if [[ -s $CACHE/VERSION && -x $CACHE/base/bin/busybox && -s $CACHE/vmlinuz ]] && have_modules; then
    say "rebuilding base.cpio.gz (tests/kvm-runner changed)"
    build_base
    make_vmlinux
    say "ready in $CACHE ($(head -n1 "$CACHE/VERSION"))"
    exit 0
fi

# Which kernel: the one Debian's linux-image-amd64 depends on today.
# (Outputs are read whole before matching: with pipefail, grep -q or head closing the pipe early
# would make the pipeline fail.)
resolve_kernel() {
    local deps
    deps=$(apt-cache depends linux-image-amd64 2>/dev/null) || true
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' <<<"$deps" | sed -n 1p
}
have_candidate() {
    local policy
    policy=$(apt-cache policy "$1" 2>/dev/null) || true
    [[ $policy == *"Candidate: "[0-9]* ]]
}
kpkg=$(resolve_kernel)
if [[ -z $kpkg ]] || ! have_candidate busybox-static; then
    if [[ $(id -u) -eq 0 ]]; then
        say "apt lists are missing: running apt-get update"
        # tests/ensure-packages.sh may be installing at the same time: take its lock.
        (flock 9 && apt-get -o DPkg::Lock::Timeout=600 update -qq) 9>/tmp/pagevisor-apt.lock ||
            die "apt-get update failed"
        kpkg=$(resolve_kernel)
    else
        die "apt does not know linux-image-amd64 or busybox-static (package lists missing): run \`sudo apt-get update\`, then $0"
    fi
fi
[[ -n $kpkg ]] || die "cannot resolve the kernel package from \`apt-cache depends linux-image-amd64\`"

# Whether a .deb is whole: its control data reads, and its SHA256 is the one apt lists.
deb_ok() {
    local pkg ver want info
    pkg=$(dpkg-deb -f "$1" Package 2>/dev/null) && ver=$(dpkg-deb -f "$1" Version 2>/dev/null) || return 1
    info=$(apt-cache show "$pkg=$ver" 2>/dev/null) || true
    want=$(sed -n 's/^SHA256: //p' <<<"$info" | sed -n 1p)
    [[ -z $want || $(sha256sum "$1" | cut -d' ' -f1) == "$want" ]]
}
# A package's download size in bytes, as apt lists it (0 when it does not say).
deb_size() {
    local info
    info=$(apt-cache show "$1" 2>/dev/null) || true
    info=$(sed -n 's/^Size: //p' <<<"$info" | sed -n 1p)
    echo "${info:-0}"
}
mb() { awk -v b="$1" 'BEGIN { printf "%.1f MB", b / 1e6 }'; }

# Downloads one package into DIR, showing how far it got while apt works (on a terminal one
# line that updates; elsewhere a line every 5 s). Prints the .deb's path.
fetch() {
    local pkg=$1 dir=$2 size=$3 pid f got last=$SECONDS now deb
    # apt-get download writes into the current directory under the final name. As root it
    # warns that the _apt user cannot write there (it downloads unsandboxed); that is harmless.
    (cd "$dir" && apt-get download -q "$pkg" 2>&1 |
        grep -v -e '^W: Download is performed unsandboxed' -e '^Get:' -e '^Fetched' >&2) &
    pid=$!
    while kill -0 "$pid" 2>/dev/null; do
        sleep 1
        got=0
        for f in "$dir/$pkg"_*.deb; do [[ -f $f ]] && got=$(stat -c %s "$f"); done
        now=$SECONDS
        if [[ -t 2 ]]; then
            printf '\rrunner:   %s: %s of %s ' "$pkg" "$(mb "$got")" "$(mb "$size")" >&2
        elif ((now - last >= 5)); then
            say "  $pkg: $(mb "$got") of $(mb "$size")" >&2
            last=$now
        fi
    done
    wait "$pid" || true
    [[ -t 2 ]] && printf '\n' >&2
    for deb in "$dir/$pkg"_*.deb; do
        if [[ -s $deb ]] && deb_ok "$deb"; then
            echo "$deb"
            return 0
        fi
    done
    die "apt-get download $pkg failed, or what it wrote is not the package apt lists"
}

# A cache from before kept the .deb files; they are not needed.
rm -rf "$CACHE/debs"
work=$(mktemp -d "$CACHE/prepare.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/debs"
ksize=$(deb_size "$kpkg")
bsize=$(deb_size busybox-static)
say "downloading from the Debian archive: $kpkg ($(mb "$ksize")), busybox-static ($(mb "$bsize"))"
say "  (kept in $CACHE: the kernel and 10 of its modules, busybox; about 45 MB)"
t0=$SECONDS
kdeb=$(fetch "$kpkg" "$work/debs" "$ksize")
bdeb=$(fetch busybox-static "$work/debs" "$bsize")
say "  downloaded in $((SECONDS - t0)) s"

# Unpack only what is needed from the kernel package: its tree is 400 MB of modules, of which
# the runner needs four. (dpkg -x would unpack all of it; dpkg-deb --fsys-tarfile is the same
# data stream, filtered by tar.)
t0=$SECONDS
say "unpacking $(basename "$kdeb"): the kernel and ${#MODULES[@]} modules"
patterns=('./boot/vmlinuz-*')
for m in "${MODULES[@]}"; do patterns+=("./lib/modules/*/kernel/$m"); done
dpkg-deb --fsys-tarfile "$kdeb" | tar -x -C "$work" --wildcards "${patterns[@]}" ||
    die "cannot unpack $kdeb"
say "unpacking $(basename "$bdeb")"
mkdir -p "$work/bb"
dpkg-deb -x "$bdeb" "$work/bb" || die "cannot unpack $bdeb"
say "  unpacked in $((SECONDS - t0)) s"

vmlinuz=$(find "$work/boot" -name 'vmlinuz-*' | head -n1)
[[ -n $vmlinuz ]] || die "no vmlinuz in $kdeb"
kver=${vmlinuz##*/vmlinuz-}

base=$work/base
mkdir -p "$base"/{bin,sbin,usr/bin,usr/sbin,lib/modules,proc,sys,dev,tmp,pv,root,etc}
cp "$work/bb/bin/busybox" "$base/bin/busybox"
chmod 0755 "$base/bin/busybox"
# Applet links, where busybox itself would put them (--install -s), relative so they work in
# the VM's root.
while read -r applet; do
    [[ -z $applet || $applet == bin/busybox ]] && continue
    [[ $applet == */* ]] || continue # linuxrc: not wanted
    dir=${applet%/*}
    up=$(echo "$dir" | sed 's#[^/][^/]*#..#g')
    mkdir -p "$base/$dir"
    ln -sf "$up/bin/busybox" "$base/$applet"
done < <("$base/bin/busybox" --list-full)
[[ -e $base/bin/sh ]] || die "busybox has no sh applet"
for m in "${MODULES[@]}"; do
    ko=$(find "$work/lib/modules/$kver/kernel" -path "*/$m" | head -n1)
    [[ -n $ko ]] || die "module $m missing from $kdeb"
    cp "$ko" "$base/lib/modules/${m##*/}"
done

kdebver=$(dpkg-deb -f "$kdeb" Version)
bdebver=$(dpkg-deb -f "$bdeb" Version)

# Replace the previous runner (if any) with the new one.
rm -rf "$CACHE/base"
mv "$base" "$CACHE/base"
cp "$vmlinuz" "$CACHE/vmlinuz.tmp" && mv -f "$CACHE/vmlinuz.tmp" "$CACHE/vmlinuz"
printf '%s %s (kernel %s)\nbusybox-static %s\n' "$kpkg" "$kdebver" "$kver" "$bdebver" >"$CACHE/VERSION"
build_base
make_vmlinux
say "ready in $CACHE ($(head -n1 "$CACHE/VERSION"))"
