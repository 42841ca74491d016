#!/bin/bash
# multiboot-qemu.sh - boots the guest kernel under QEMU's emulator (qemu-system-i386 -kernel,
# QEMU's own Multiboot loader: no pagevisor, no KVM) and checks the guest on its own:
#   1. every test image in one boot (layout gets the arguments its "ARGS:" comment names;
#      images marked RUNS-FOREVER, NEEDS-PAGEFILE or NEEDS-OWN-BOOT are left out):
#      "pagevisor host services absent; console on COM1" and "mm: N self-checks passed"
#      appear on COM1, and each image's lines ("(NAME) ..." and "NAME: exit(...)") equal
#      tests/images/NAME.expected;
#   2. hello with 4 MiB of RAM;
#   3. a corrupt image (hello with e_machine changed) is refused with
#      STATUS_INVALID_IMAGE_FORMAT and the next image still runs;
#   4. pv.selftest=bugcheck stops the kernel with "*** STOP: 0x00000050 (0xE0000000,...";
#   5. pv.selftest=stackoverflow stops it with "*** STOP: 0x0000007F (0x00000008,..." (double
#      fault on the kernel stack guard page, handled by the double-fault task), and so does
#      pv.selftest=kernelstack (a thread's own 12 KiB stack, named in the report);
#   (images marked ORDER-ANY run several processes at once: their lines are compared sorted)
#   6. the scheduler under QEMU's PIT: two preempt images at once (pv.parallel) finish;
#   7. the /3GB kernel (kernel-3gb.elf) with /3GB: 3gb-user-space uses memory above 2 GB.
# QEMU ends through isa-debug-exit: status 1 when the kernel finished, 3 after a bug check.
# Each boot has a 60 s limit. Exit status 0 when everything matched, 1 otherwise.
# Usage: tests/multiboot-qemu.sh   (after `make`; KERNEL=, KERNEL_3GB=, IMAGES_DIR=, QEMU=
# override)
set -u
cd "$(dirname "$0")/.."

KERNEL=${KERNEL:-${GUEST_KERNEL:-build/guest/kernel.elf}}
IMAGES_DIR=${IMAGES_DIR:-build/images}
QEMU=${QEMU:-qemu-system-i386}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
failures=0
. tests/junit.sh
junit_begin multiboot-qemu

fail() { echo "multiboot-qemu: FAIL: $*"; failures=$((failures + 1)); junit_case "$*" 1 "$*"; }
pass() { echo "multiboot-qemu: ok: $*"; junit_case "$*" 0; }

if ! command -v "$QEMU" >/dev/null 2>&1; then
    fail "$QEMU not found (Debian package qemu-system-x86)"
    junit_end
    exit 1
fi
if [ ! -f "$KERNEL" ]; then
    fail "$KERNEL not found: run make first"
    junit_end
    exit 1
fi

# boot OUTFILE MEM CMDLINE MODULES... ; sets $status
boot() {
    local out=$1 mem=$2 cmdline=$3
    shift 3
    local initrd
    initrd=$(IFS=,; echo "$*")
    timeout 60 "$QEMU" -kernel "$KERNEL" -append "$cmdline" -initrd "$initrd" \
        -m "$mem" -display none -monitor none -serial stdio -no-reboot \
        -device isa-debug-exit,iobase=0xf4,iosize=4 >"$out" 2>"$out.stderr" </dev/null
    status=$?
    if [ $status -eq 124 ]; then
        fail "QEMU timed out after 60 s (output in the lines below)"
        tail -n 20 "$out"
    fi
}

# check_image OUTFILE NAME: the image's own lines equal its .expected file
check_image() {
    local out=$1 name=$2 expected=tests/images/$2.expected
    grep -a -F -e "($name) " -e "$name: exit(" "$out" | grep -a -E "^(\($name\) |$name: exit\()" \
        >"$WORK/$name.got" || true
    # Processes of one image that run at once (marked ORDER-ANY) interleave their lines.
    if grep -q '^ \* ORDER-ANY' "tests/images/$name.c" 2>/dev/null; then
        LC_ALL=C sort "$expected" >"$WORK/$name.want"
        LC_ALL=C sort -o "$WORK/$name.got" "$WORK/$name.got"
        expected=$WORK/$name.want
    fi
    if diff -u "$expected" "$WORK/$name.got" >"$WORK/$name.diff"; then
        pass "$name matches $expected"
    else
        fail "$name differs from $expected:"
        cat "$WORK/$name.diff"
    fi
}

check_line() {
    local out=$1 what=$2
    if grep -a -q -F -- "$what" "$out"; then pass "found \"$what\""; else fail "missing \"$what\""; fi
}

# 1. Every image with an expected output, in one boot.
modules=()
names=()
for expected in tests/images/*.expected; do
    name=$(basename "$expected" .expected)
    image=$IMAGES_DIR/$name.elf
    if [ ! -f "$image" ]; then
        fail "$image not built"
        continue
    fi
    # An image that never ends by design (marked RUNS-FOREVER) would stall the shared boot;
    # one that needs pagevisor's pagefile (marked NEEDS-PAGEFILE) cannot pass without a host.
    grep -q '^ \* RUNS-FOREVER' "tests/images/$name.c" 2>/dev/null && continue
    grep -q '^ \* NEEDS-PAGEFILE' "tests/images/$name.c" 2>/dev/null && continue
    # One that needs a partner started with it, or that stops the kernel (NEEDS-OWN-BOOT).
    grep -q '^ \* NEEDS-OWN-BOOT' "tests/images/$name.c" 2>/dev/null && continue
    args=$(sed -n 's/^ \* ARGS: *//p' "tests/images/$name.c" 2>/dev/null | head -n 1)
    modules+=("$image${args:+ $args}")
    names+=("$name")
done
boot "$WORK/all.out" 16 "" "${modules[@]}"
[ $status -eq 1 ] || fail "boot with every image: QEMU exit status $status, expected 1"
check_line "$WORK/all.out" "pagevisor host services absent; console on COM1"
grep -a -q -E '^mm: [0-9]+ self-checks passed' "$WORK/all.out" &&
    pass "$(grep -a -E '^mm: [0-9]+ self-checks passed' "$WORK/all.out")" ||
    fail "no \"mm: N self-checks passed\" line"
grep -a -q -F '*** STOP' "$WORK/all.out" && fail "bug check in the boot with every image"
for name in "${names[@]}"; do
    check_image "$WORK/all.out" "$name"
done
check_line "$WORK/all.out" "ke: ${#names[@]} image(s) run"

# 2. hello in 4 MiB of RAM.
boot "$WORK/small.out" 4 "" "$IMAGES_DIR/hello.elf"
[ $status -eq 1 ] || fail "boot with -m 4: QEMU exit status $status, expected 1"
check_image "$WORK/small.out" hello

# 3. A corrupt image is refused, the kernel goes on.
cp "$IMAGES_DIR/hello.elf" "$WORK/bad-image.elf"
printf '\x3e\x00' | dd of="$WORK/bad-image.elf" bs=1 seek=18 conv=notrunc status=none  # e_machine
boot "$WORK/bad.out" 16 "" "$WORK/bad-image.elf" "$IMAGES_DIR/hello.elf"
[ $status -eq 1 ] || fail "boot with a corrupt image: QEMU exit status $status, expected 1"
check_line "$WORK/bad.out" "bad-image: exit(0xC000007B) STATUS_INVALID_IMAGE_FORMAT"
check_image "$WORK/bad.out" hello

# 4. The bug-check path.
boot "$WORK/bugcheck.out" 16 "pv.selftest=bugcheck" "$IMAGES_DIR/hello.elf"
[ $status -eq 3 ] || fail "pv.selftest=bugcheck: QEMU exit status $status, expected 3"
check_line "$WORK/bugcheck.out" "*** STOP: 0x00000050 (0xE0000000,0x00000000,0x8"
check_line "$WORK/bugcheck.out" "PAGE_FAULT_IN_NONPAGED_AREA"
grep -a -q -F "(hello) begin" "$WORK/bugcheck.out" && fail "hello ran after the bug check"

# 5. A kernel stack overflow double-faults onto the double-fault task.
boot "$WORK/stack.out" 16 "pv.selftest=stackoverflow" "$IMAGES_DIR/hello.elf"
[ $status -eq 3 ] || fail "pv.selftest=stackoverflow: QEMU exit status $status, expected 3"
check_line "$WORK/stack.out" "*** STOP: 0x0000007F (0x00000008,"
check_line "$WORK/stack.out" "UNEXPECTED_KERNEL_MODE_TRAP"
boot "$WORK/kstack.out" 16 "pv.selftest=kernelstack" "$IMAGES_DIR/hello.elf"
[ $status -eq 3 ] || fail "pv.selftest=kernelstack: QEMU exit status $status, expected 3"
check_line "$WORK/kstack.out" "ke: kernel stack overrun: esp 0xFF80"
check_line "$WORK/kstack.out" "*** STOP: 0x0000007F (0x00000008,"

# 6. Preemption by QEMU's PIT: neither preempt copy finishes unless the other runs.
boot "$WORK/preempt.out" 16 "pv.parallel" "$IMAGES_DIR/preempt.elf a" "$IMAGES_DIR/preempt.elf b"
[ $status -eq 1 ] || fail "two preempt images at once: QEMU exit status $status, expected 1"
[ "$(grep -a -c -F '(preempt) saw the other run' "$WORK/preempt.out")" -eq 2 ] &&
    pass "two preempt images at once both saw the other run" ||
    fail "two preempt images at once: not both saw the other run"

# 7. The /3GB kernel (linked at 0xC0900000) with /3GB: memory above 2 GB for the image.
KERNEL_3GB=${KERNEL_3GB:-${GUEST_KERNEL_3GB:-build/guest/kernel-3gb.elf}}
if [ -f "$KERNEL_3GB" ]; then
    KERNEL=$KERNEL_3GB boot "$WORK/3gb.out" 16 "/3GB" "$IMAGES_DIR/3gb-user-space.elf 3gb"
    [ $status -eq 1 ] || fail "/3GB: QEMU exit status $status, expected 1"
    check_line "$WORK/3gb.out" "system space from 0xC0000000 (/3GB), kernel at 0xC0900000"
    check_line "$WORK/3gb.out" "(3gb-user-space) 0xA0000000-0xA00FFFFF written and read back"
    check_line "$WORK/3gb.out" "3gb-user-space: exit(0)"
else
    fail "$KERNEL_3GB not found: run make first"
fi

junit_end
if [ $failures -ne 0 ]; then
    echo "multiboot-qemu: $failures check(s) FAILED"
    exit 1
fi
echo "multiboot-qemu: all checks passed"
exit 0
