#!/bin/bash
# cli.sh - the pagevisor command line on this host: help, version, usage errors, mistakes found
# before anything boots (images, kernel, --trace/--pagefile paths, --volume, --cmdline's pv.*
# keys), the KVM probe, and the capability errors of `--runner never` (including a host without
# /dev/kvm and a user without permission on it, simulated where we are root), all without
# booting a guest; then, where runs go through the KVM runner, its QEMU killed and a kept
# pagefile that cannot be written back or was deleted; then four real runs of the hello image
# (traces to stdout and to a pipe, a --volume left as it was, a load error) that boot it,
# through the KVM runner where this host needs it.
# Usage: tests/cli.sh [PAGEVISOR]   (JUnit XML to $PAGEVISOR_TEST_RESULTS/cli.xml when set)
set -u
PV=${1:-build/pagevisor}
PV=$(readlink -f "$PV")
passed=0 failed=0
. "$(dirname "$0")/junit.sh"
junit_begin cli

# One check's outcome: printed, counted, and recorded for the JUnit report.
outcome() { # NAME FAILED(0|1) WHY [OUTPUT]
    if [[ $2 -eq 0 ]]; then
        echo "  $1 ... passed"; passed=$((passed + 1))
        junit_case "$1" 0
    else
        echo "  $1 ... FAILED ($3)"
        [[ -n ${4:-} ]] && sed 's/^/      | /' <<<"$4"
        failed=$((failed + 1))
        junit_case "$1" 1 "$3${4:+$'\n'$4}"
    fi
}

check() { # NAME EXPECTED_STATUS ACTUAL_STATUS OUTPUT PATTERN
    local name=$1 want=$2 got=$3 out=$4 pattern=$5
    [[ $got -eq $want ]] && grep -qE -- "$pattern" <<<"$out"
    outcome "$name" $? "status $got, expected $want; output must match /$pattern/" "$out"
}

run() { out=$("$@" 2>&1); status=$?; }
# Lines naming a path inside the KVM runner VM (/pv/...), which a user must never see; a path of
# the user's that merely has a directory named pv in it (a clone in /tmp/x/pv) is not one.
vm_paths() { grep -nE '(^|[^A-Za-z0-9._/-])/pv/' "$@"; }
# A further check of a case already reported, that failed: counted and recorded on its own.
extra_failure() { # NAME MESSAGE
    outcome "$1" 1 "$2"
}

run "$PV" --help;           check help 0 $status "$out" '^usage: pagevisor COMMAND'
run "$PV" --version;        check version 0 $status "$out" '^pagevisor [0-9]+\.[0-9]+'
run "$PV";                  check no-command 118 $status "$out" '^usage:'
run "$PV" frobnicate;       check unknown-command 118 $status "$out" "unknown command 'frobnicate'"
run "$PV" run;              check run-no-image 118 $status "$out" 'no IMAGE given'
run "$PV" run --mem 1M x;   check run-bad-mem 118 $status "$out" '--mem 1M: need a page-aligned size'
run "$PV" run --runner x y; check run-bad-runner 118 $status "$out" '--runner x: need auto, never or always'
run "$PV" run --thp x y;    check run-bad-thp 118 $status "$out" '--thp x: need system, always or never'
run "$PV" run --help;       check run-help 0 $status "$out" '--timeout SECONDS'
run "$PV" run --help;       check run-help-3gb 0 $status "$out" '--3gb +3 GB user space'
# --3gb with a kernel linked inside the third gigabyte is refused before anything boots.
run "$PV" run --3gb --kernel build/guest/kernel.elf x.elf
check run-3gb-wrong-kernel 118 $status "$out" \
    '--3gb needs a kernel linked above 0xC0800000 .* is linked at 0x80100000'

# --- Mistakes found before anything boots -----------------------------------------------------
# Each is refused with status 118 and exactly one line naming the file as given; --verbose is
# on, so a VM or the KVM runner starting would have printed more (the kernel's load, "running
# in the KVM runner VM"): the whole output must be that one line.
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
hello=build/images/hello.elf

refused() { # NAME EXPECTED_OUTPUT ARGS-OF-RUN...
    local name=$1 want=$2
    shift 2
    run "$PV" run --verbose "$@"
    [[ $status -eq 118 && ( "$out" == "$want" || ( -n ${regex:-} && "$out" != *$'\n'* &&
       "$out" =~ ^$want$ ) ) ]]
    outcome "$name" $? "status $status, expected 118 and exactly: $want" "$out"
}

echo "not an executable" >"$tmp/notelf.elf"
mkdir "$tmp/dir.elf"
cp "$(type -P true)" "$tmp/elf64.elf"
cp "$hello" "$tmp/arm.elf"
printf '\x28\x00' | dd of="$tmp/arm.elf" bs=1 seek=18 conv=notrunc status=none  # e_machine EM_ARM
obj=$(ls build/images/*.o | head -1)
refused image-not-elf "pagevisor run: $tmp/notelf.elf: not an ELF file" "$tmp/notelf.elf"
refused image-directory "pagevisor run: $tmp/dir.elf: a directory, not a file" "$tmp/dir.elf"
refused image-missing "pagevisor run: no/such.elf: No such file or directory" no/such.elf
refused image-elf64 "pagevisor run: $tmp/elf64.elf: a 64-bit ELF file (ELFCLASS64), not ELFCLASS32: pagevisor loads 32-bit i386 executables" "$tmp/elf64.elf"
refused image-not-i386 "pagevisor run: $tmp/arm.elf: built for ELF machine 40 (32-bit ARM), not EM_386 (i386)" "$tmp/arm.elf"
refused image-object-file "pagevisor run: $obj: ELF type 1 (an object file) is not ET_EXEC (an executable linked at fixed addresses)" "$obj"
refused second-image-bad "pagevisor run: $tmp/notelf.elf: not an ELF file" "$hello" -- "$tmp/notelf.elf"
refused child-missing "pagevisor run: --child no/child.elf: No such file or directory" --child no/child.elf "$hello"
refused kernel-not-elf "pagevisor run: --kernel $tmp/notelf.elf: not an ELF file" --kernel "$tmp/notelf.elf" "$hello"
refused kernel-directory "pagevisor run: --kernel $tmp/dir.elf: a directory, not a file" --kernel "$tmp/dir.elf" "$hello"
refused kernel-not-multiboot "pagevisor run: --kernel $hello: no Multiboot header in the first 8192 bytes" --kernel "$hello" "$hello"
refused image-arg-empty "pagevisor run: $hello: image arguments may not be empty or contain whitespace (Multiboot command lines are split on spaces)" "$hello" a ''

# No false refusals: every built image, and both kernels, pass the checks (the refusal that
# follows is the --trace path's, checked last).
bad=""
for image in build/images/*.elf; do
    run "$PV" run --trace /nonexistent/t "$image"
    [[ "$out" == "pagevisor run: --trace /nonexistent/t: no such directory /nonexistent" ]] ||
        bad+="$out"$'\n'
done
for kernel in build/guest/kernel.elf build/guest/kernel-3gb.elf; do
    run "$PV" run --kernel "$kernel" --trace /nonexistent/t "$hello"
    [[ "$out" == "pagevisor run: --trace /nonexistent/t: no such directory /nonexistent" ]] ||
        bad+="$out"$'\n'
done
check images-and-kernels-accepted 0 $([[ -z $bad && -e build/images/hello.elf ]]; echo $?) \
    "${bad:-all accepted}" '^all accepted$'

# --trace and --pagefile paths that cannot be written, refused before the run; a user's file
# is neither created nor truncated by a refused run.
refused trace-no-dir "pagevisor run: --trace $tmp/none/t.txt: no such directory $tmp/none" --trace "$tmp/none/t.txt" "$hello"
# (root may open /proc/version for writing, but a write fails; others may not open it.)
regex=1 refused trace-proc "pagevisor run: --trace /proc/version: cannot write it: (Input/output error|Permission denied)" --trace /proc/version "$hello"
regex=1 refused trace-proc-new "pagevisor run: --trace /proc/pv-trace: cannot create it: (No such file or directory|Permission denied)" --trace /proc/pv-trace "$hello"
refused trace-directory "pagevisor run: --trace $tmp: a directory, not a file" --trace "$tmp" "$hello"
refused pagefile-device "pagevisor run: --pagefile /dev/null: not a regular file (a pagefile must be one)" --pagefile /dev/null "$hello"
refused pagefile-no-dir "pagevisor run: --pagefile $tmp/none/pf: no such directory $tmp/none" --pagefile "$tmp/none/pf" "$hello"
# --volume: a directory the user can read and write, checked before the run; through the KVM
# runner at most 256 MiB of files (a sparse file counts its size), refused before the VM boots.
refused volume-missing "pagevisor run: --volume $tmp/none: no such directory" --volume "$tmp/none" "$hello"
refused volume-not-directory "pagevisor run: --volume $tmp/notelf.elf: not a directory" --volume "$tmp/notelf.elf" "$hello"
mkdir "$tmp/volro"
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
    run unshare -m bash -c "mount -t tmpfs -o ro none '$tmp/volro' && '$PV' run --verbose --volume '$tmp/volro' $hello"
else
    chmod 555 "$tmp/volro"
    run "$PV" run --verbose --volume "$tmp/volro" "$hello"
fi
check volume-read-only 118 $status "$out" "^pagevisor run: --volume $tmp/volro: cannot read and write in it: (Read-only file system|Permission denied)\$"
mkdir "$tmp/volbig"
truncate -s 300M "$tmp/volbig/sparse"
refused volume-too-big-for-runner "pagevisor run: --volume $tmp/volbig: 300 MiB of files; a volume carried into the KVM runner VM may hold at most 256 MiB" --runner always --volume "$tmp/volbig" "$hello"
run "$PV" run --help
check run-help-volume 0 $status "$out" '^  --volume HOSTDIR +the guest.s volume C: is the directory HOSTDIR'
mkdir "$tmp/ro"
if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
    run unshare -m bash -c "mount -t tmpfs -o ro none '$tmp/ro' && '$PV' run --verbose --trace '$tmp/ro/t.txt' $hello"
else
    chmod 555 "$tmp/ro"
    run "$PV" run --verbose --trace "$tmp/ro/t.txt" "$hello"
fi
check trace-read-only 118 $status "$out" "^pagevisor run: --trace $tmp/ro/t.txt: cannot create it: (Read-only file system|Permission denied)\$"
echo "the user's data" >"$tmp/keep.txt"
run "$PV" run --trace "$tmp/keep.txt" "$tmp/notelf.elf"
run "$PV" run --trace "$tmp/keep.txt" --pagefile /dev/null "$hello"
run "$PV" run --trace "$tmp/new.txt" --pagefile "$tmp/keep.txt" --kernel "$tmp/notelf.elf" "$hello"
check refusal-keeps-files 0 $([[ "$(cat "$tmp/keep.txt")" == "the user's data" && ! -e "$tmp/new.txt" ]]; echo $?) \
    "$(cat "$tmp/keep.txt"; ls "$tmp")" "the user's data"
run "$PV" run --trace-format jsonl "$hello"
check trace-format-without-trace 118 $status "$out" '^pagevisor run: --trace-format needs --trace FILE$'

# pv.* words of --cmdline the guest kernel would ignore or clamp are named in a warning (the
# refusal of the missing image then keeps the VM from starting).
refused cmdline-unknown-key "pagevisor run: warning: --cmdline pv.wmax=40: unknown key pv.wmax, which the guest kernel ignores (it knows pv.burnpages, pv.readcluster, pv.readaroundmax, pv.wsmin, pv.wsmax, pv.cloneblocks, pv.largekernel, pv.startimages, pv.parallel, pv.debugclone, pv.selftest)
pagevisor run: no/such.elf: No such file or directory" --cmdline "/3GB pv.wmax=40" no/such.elf
refused cmdline-out-of-range "pagevisor run: warning: --cmdline pv.readcluster=40: out of range 1-16; the guest kernel uses 16 instead
pagevisor run: no/such.elf: No such file or directory" --cmdline "pv.wsmax=64 pv.readcluster=40" no/such.elf
refused cmdline-not-a-number "pagevisor run: warning: --cmdline pv.wsmin=lots: pv.wsmin needs a number (pv.wsmin=N, decimal or 0x hexadecimal); the guest kernel ignores this word
pagevisor run: no/such.elf: No such file or directory" --cmdline "pv.wsmin=lots" no/such.elf
# The host's list (shared/pv_cmdline.h) knows every pv.KEY the guest kernel's sources read.
keys=$(grep -rhoE --include='*.c' '"pv\.[a-z]+' guest | tr -d '"' | sort -u)
run "$PV" run --cmdline "$(echo $keys)" no/such.elf
check cmdline-keys-agree-with-guest 118 $status "$out" '^pagevisor run: no/such.elf: No such file'
if [[ $(wc -w <<<"$keys") -lt 8 ]] || grep -q 'unknown key' <<<"$out"; then
    extra_failure guest-keys-listed "guest keys: $(echo $keys); $(grep 'unknown key' <<<"$out")"
fi

run "$PV" probe; probe_status=$status; probe_out=$out
check probe-answers $([[ $probe_status -eq 0 ]] && echo 0 || echo 116) $probe_status "$probe_out" \
    'runs 32-bit paged guests|cannot run 32-bit paged guests'

# The probe's answer is kept for this boot (/tmp/pagevisor-probe-UID, 0600): a run asks no second
# VM; a file anybody else could have written is not believed, and is replaced.
cache=/tmp/pagevisor-probe-$(id -u)
if [[ ! -e /dev/kvm ]]; then
    echo "  probe-cached, probe-cache-not-trusted-when-writable ... skipped: no /dev/kvm, so no answer is kept"
elif [[ -f $cache ]]; then
    run "$PV" run --verbose --runner never build/images/hello.elf
    check probe-cached 0 $([[ $(stat -c %a "$cache") == 600 ]]; echo $?) "$out" \
        "^pagevisor: probe: [a-z0-9 -]+ \(this boot's answer, kept in /tmp/pagevisor-probe-UID\)\$"
    chmod 0666 "$cache"
    run "$PV" run --verbose --runner never build/images/hello.elf
    ! grep -q "this boot's answer" <<<"$out" && [[ $(stat -c %a "$cache") == 600 ]]
    outcome probe-cache-not-trusted-when-writable $? "a world-writable cache file was believed or kept" "$out"
else
    outcome probe-cached 1 "no probe answer was kept ($cache): the probe should keep a capable or no-32-bit-paging answer" "$probe_out"
fi

if [[ $probe_status -ne 0 ]]; then
    # The cause the probe found is the one `--runner never` names, with its own exit status.
    cause=$(head -1 <<<"$probe_out" | sed -E 's/.*\): //')
    # ... and says plainly that `pagevisor run` still works, through the runner.
    check probe-says-run-works 116 $probe_status "$probe_out" \
        '^pagevisor: `pagevisor run` still works here: it runs the guest inside the KVM runner VM.*`make runner`'

    run "$PV" run --runner never build/images/hello.elf
    check runner-never-incapable 116 $status "$out" "cannot run 32-bit paged guests on this host: .*--runner never"
    grep -qF -- "$cause" <<<"$out"
    outcome runner-never-repeats-probe-cause $? "the message does not repeat the probe's cause: $cause"
fi

if [[ $(id -u) -eq 0 ]] && command -v unshare >/dev/null; then
    run unshare -m bash -c "mount -t tmpfs none /dev && '$PV' run --runner never build/images/hello.elf"
    check no-dev-kvm 116 $status "$out" 'no /dev/kvm on this host'
    run unshare -m bash -c "mount -t tmpfs none /dev && '$PV' probe"
    check probe-no-dev-kvm 116 $status "$out" '\(no KVM\): no /dev/kvm'
fi
if [[ $(id -u) -eq 0 ]] && [[ -e /dev/kvm ]] && command -v setpriv >/dev/null && \
   [[ $(stat -c %a /dev/kvm) == 600 ]]; then
    # The kernel by its relative path: nobody may not be able to reach the tree by its absolute
    # one (a clone under a 0700 directory), and the files are checked before /dev/kvm is.
    run setpriv --reuid=nobody --regid=nogroup --clear-groups "$PV" run --runner never \
        --kernel build/guest/kernel.elf build/images/hello.elf
    check kvm-permission-denied 116 $status "$out" 'permission denied on /dev/kvm'
fi

# --- The runner's QEMU killed mid-run (SIGKILL): one line saying so, the VMM-error status,
# nothing left in TMPDIR. Only where runs go through the runner; elsewhere there is no QEMU.
# The runner's QEMU started by pagevisor process $1: up to 60 s for the VM to start, less if
# pagevisor ends first; nothing when there is none.
qemu_of() {
    local q
    for _ in $(seq 1 600); do
        q=$(pgrep -P "$1" -f qemu-system 2>/dev/null | head -n1)
        [[ -n $q ]] && { echo "$q"; return; }
        kill -0 "$1" 2>/dev/null || return
        sleep 0.1
    done
}
if [[ $probe_status -ne 0 ]]; then
    mkdir "$tmp/tmpbase"
    TMPDIR=$tmp/tmpbase "$PV" run --timeout 120 build/images/spin.elf >"$tmp/kill.out" 2>"$tmp/kill.err" &
    pv=$!
    qemu=$(qemu_of "$pv")
    sleep 3   # into the run
    [[ -n $qemu ]] && kill -KILL "$qemu"
    wait "$pv"
    status=$?
    check runner-qemu-killed 117 $status "$(cat "$tmp/kill.err")" \
        'qemu-system-x86_64 was killed by signal 9 \(Killed\)'
    left=$(ls -A "$tmp/tmpbase")
    [[ -z $left ]] || extra_failure runner-qemu-killed-cleans-up "left in TMPDIR: $left"
    # pagevisor killed mid-run: its QEMU goes too (no orphan VM left running).
    "$PV" run --timeout 120 build/images/spin.elf >/dev/null 2>&1 &
    pv=$!
    qemu=$(qemu_of "$pv")
    kill -KILL "$pv"
    wait "$pv" 2>/dev/null
    for _ in $(seq 1 100); do [[ -n $qemu ]] && kill -0 "$qemu" 2>/dev/null || break; sleep 0.1; done
    [[ -n $qemu ]] && ! kill -0 "$qemu" 2>/dev/null
    gone=$?
    [[ $gone -eq 0 || -z $qemu ]] || kill -KILL "$qemu" 2>/dev/null
    outcome pagevisor-killed-qemu-goes $gone \
        "QEMU ${qemu:-(never seen)} still running 10 s after pagevisor was killed"
else
    echo "  runner-qemu-killed, pagevisor-killed-qemu-goes ... skipped: runs here use this host's KVM directly, no QEMU"
fi

# --- A kept pagefile (--pagefile) comes back from the runner VM after the run. Written back into
# a file size limit (`ulimit -f`: 32 MiB leaves room for the runner's initrd, not for the 64 MiB
# pagefile), that is one line naming the path and the reason, the VMM-error status, and no short
# file left. Deleted on the host during the run, it is written back as a new file, with a note.
if [[ $probe_status -ne 0 ]]; then
    run bash -c "ulimit -f 32768 && exec '$PV' run --mem 3M --pagefile '$tmp/kept.pf' build/images/page-linear.elf"
    check runner-pagefile-writeback-full 117 $status "$out" \
        "^pagevisor: KVM runner: cannot write the pagefile back to $tmp/kept.pf: .*File too large; the incomplete file was removed\$"
    [[ ! -e $tmp/kept.pf ]] || extra_failure runner-pagefile-writeback-full-removed "$(ls -ls "$tmp/kept.pf")"
    echo "an old pagefile" >"$tmp/kept.pf"
    "$PV" run --mem 3M --pagefile-size 8M --pagefile "$tmp/kept.pf" build/images/page-linear.elf \
        >"$tmp/kept.out" 2>"$tmp/kept.err" &
    pv=$!
    qemu=$(qemu_of "$pv")
    rm -f "$tmp/kept.pf"
    wait "$pv"
    check runner-pagefile-deleted 0 $? "$(cat "$tmp/kept.err")" \
        "^pagevisor: the pagefile $tmp/kept.pf was deleted during the run; it is written back as a new file\$"
    [[ -n $qemu && $(stat -c %s "$tmp/kept.pf" 2>&1) == 8388608 ]] ||
        extra_failure runner-pagefile-deleted-written "QEMU ${qemu:-never seen}; $(ls -ls "$tmp/kept.pf" 2>&1)"
else
    echo "  runner-pagefile-writeback-full, runner-pagefile-deleted ... skipped: runs here use this host's KVM directly"
fi

# --- Three real runs (they boot the hello image; through the KVM runner where this host needs it)
# A trace to our standard output, here a file: the trace records and the guest's own output
# both arrive, neither overwriting the other.
"$PV" run --trace /dev/stdout --trace-format jsonl "$hello" >"$tmp/out" 2>"$tmp/err"
check trace-to-stdout 0 $? "$(cat "$tmp/out" "$tmp/err")" '^\(hello\) Hello from ring 3 of pagevisor!'
grep -q '^{"type":"fault","seq":1,' "$tmp/out" && grep -q '^{"type":"statistics","faults":' "$tmp/out" ||
    extra_failure trace-to-stdout-records "no trace records in standard output"
# A trace to a pipe (/dev/fd/3), with an absolute image path: nothing names the runner's
# /pv/... paths, not even the guest kernel's log.
"$PV" run --verbose --trace /dev/fd/3 "$PWD/$hello" 3>&1 >"$tmp/out" 2>"$tmp/err" | cat >"$tmp/pipe"
check trace-to-pipe 0 ${PIPESTATUS[0]} "$(cat "$tmp/pipe")" '^#1 .*\(hello\)'
grep -q '^(hello) end' "$tmp/out" && ! grep -q '^#1 ' "$tmp/out" ||
    extra_failure trace-to-pipe-output "the guest's output is not as expected"
grep -q "$PWD/$hello" "$tmp/err" && ! vm_paths "$tmp/err" ||
    extra_failure trace-to-pipe-paths "--verbose names /pv/ paths or not the image's"
# A run with --volume (hello opens nothing in it): the volume's counters are shown, so the run
# had it, and afterwards HOSTDIR is exactly as it was, through the KVM runner too: its files,
# their times, the directories' times, a link inside it and one leading out (still links).
mkdir -p "$tmp/vol/sub"
echo one >"$tmp/vol/a.txt"
echo two >"$tmp/vol/sub/b"
ln -s a.txt "$tmp/vol/in"
ln -s /etc/hostname "$tmp/vol/out"
touch -h -d '2020-01-02 03:04:05' "$tmp/vol/a.txt" "$tmp/vol/sub/b" "$tmp/vol/in" "$tmp/vol/out" \
    "$tmp/vol/sub" "$tmp/vol"
listing() { (cd "$tmp/vol" && find . -printf '%p %y %m %s %T@ %l\n' | sort); }
before=$(listing)
run "$PV" run --verbose --volume "$tmp/vol" "$hello"
check volume-run 0 $status "$out" '^pagevisor: volume: 0 files opened, 0 pages read in 0 calls'
[[ "$(listing)" == "$before" ]] ||
    extra_failure volume-run-untouched "$(diff <(echo "$before") <(listing))"
! vm_paths <<<"$out" || extra_failure volume-run-no-vm-path "a /pv/ path"
# The file services on a volume (vol-files: create, write, read, sizes, a section's view
# flushed into the file, refusals): through the KVM runner what the guest wrote is in HOSTDIR
# afterwards, and nothing else appeared; the trace names the file and offset of each file page
# read in (file_read) and of image pages (the system DLL's: in the kernel).
mkdir "$tmp/vol2"
run "$PV" run --volume "$tmp/vol2" --trace "$tmp/vol2.trace" build/images/vol-files.elf
check volume-file-services 0 $status "$out" '^vol-files: exit\(0\)$'
[[ "$(cd "$tmp/vol2" && ls -A)" == "vol-files.txt" &&
   "$(od -An -c "$tmp/vol2/vol-files.txt" | tr -s ' ')" == " H E L L O \0 \0 \0 \0 \0" ]] ||
    extra_failure volume-file-services-on-host "$(ls -la "$tmp/vol2"; od -c "$tmp/vol2"/* 2>&1)"
grep -q ': file_read from C:\\vol-files.txt+0x0$' "$tmp/vol2.trace" &&
    grep -q ': image_read from ntdll (in the kernel)+0x0$' "$tmp/vol2.trace" ||
    extra_failure volume-trace-names-files "$(grep -E '_read' "$tmp/vol2.trace")"
# Nothing lost: a 16 MiB file, 4 times guest RAM, mapped and every 32-bit word incremented by
# two processes in turn (map-increment twice, the second without NtFlushVirtualMemory: closing
# its view and section writes the pages back): afterwards the host file holds exactly word
# i = 7 * i + 2, the guest's cksum of its view is the host's, and the pagefile saw none of it.
mkdir "$tmp/vol3"
perl -e 'print pack("V*", map { 7 * $_ } 0 .. 4194303)' >"$tmp/vol3/big.bin"
perl -e 'print pack("V*", map { 7 * $_ + 2 } 0 .. 4194303)' >"$tmp/big-want.bin"
run "$PV" run --stats --mem 4M --volume "$tmp/vol3" build/images/map-increment.elf big.bin -- \
    build/images/map-increment.elf big.bin noflush
check volume-map-increment 0 $status "$out" \
    '^pagevisor: pagefile 0 pages read in 0 calls, 0 pages written in 0 calls;'
cmp -s "$tmp/vol3/big.bin" "$tmp/big-want.bin" ||
    extra_failure volume-map-increment-data "$(cmp "$tmp/vol3/big.bin" "$tmp/big-want.bin" 2>&1)"
read -r want_sum _ < <(cksum <"$tmp/big-want.bin")
grep -q "^(map-increment) big.bin: 4194304 words incremented, cksum $want_sum\$" <<<"$out" ||
    extra_failure volume-map-increment-cksum "the guest's last cksum is not $want_sum"
# --stats counts every return of KVM_RUN, by its reason, signals included: the reasons add up
# to the total. (The run is timed for the time line's check below.)
started=$(date +%s%N)
run "$PV" run --stats build/images/hello.elf
wall_ms=$(awk -v a="$started" -v b="$(date +%s%N)" 'BEGIN { printf "%.3f", (b - a) / 1e6 }')
check stats-exits-by-reason 0 $status "$out" \
    '^pagevisor: VM exits by reason: io [0-9]+,.* interrupted by a signal [0-9]+$'
total=$(sed -n 's/^pagevisor: \([0-9]*\) VM exits, .*/\1/p' <<<"$out")
sum=$(sed -n 's/^pagevisor: VM exits by reason: //p' <<<"$out" | grep -oE '[0-9]+' |
      awk '{ s += $1 } END { print s + 0 }')
[[ -n $total && $total -gt 0 && $total == "$sum" ]] ||
    extra_failure stats-exits-add-up "VM exits $total, by reason $sum"
# --stats ends with where the run's time went, phase by phase: each is >= 0, and together they
# fit in the run's wall time as seen from here (no limit on any phase).
num='\([0-9.]*\) ms'
phases=$(sed -n "s/^pagevisor: time: VMM set-up $num, guest boot $num, images $num, guest exit $num, teardown $num\$/\\1 \\2 \\3 \\4 \\5/p" <<<"$out")
[[ -n $phases ]] &&
    awk -v wall="$wall_ms" '{ for (i = 1; i <= NF; i++) { if ($i < 0) bad = 1; s += $i } }
                            END { exit !(NR == 1 && !bad && s <= wall) }' <<<"$phases"
failed_time=$?
outcome stats-time-phases $failed_time "set-up, boot, images, exit, teardown (ms): \
${phases:-no time line}; the run's wall time $wall_ms ms" "$out"
# Nothing zeroes memory ahead of need: the host backs only the guest RAM that was used (the
# PFN database grows with --mem: 6 MiB at 1 GiB).
for mem in 16M 1G; do
    run "$PV" run --stats --mem $mem build/images/hello.elf
    backed=$(sed -n 's/^pagevisor: host memory: \([0-9]*\) KiB of the guest.s \([0-9]*\) KiB RAM backed.*/\1/p' <<<"$out")
    limit=$([[ $mem == 16M ]] && echo 8192 || echo 16384)
    [[ $status -eq 0 && -n $backed && $backed -lt $limit ]]
    outcome "host-backs-what-hello-used-$mem" $? "backed ${backed:-?} KiB, expected under $limit" "$out"
done
# --thp: with 4 KiB host pages only, the host still backs just what hello used; with huge pages
# the run works the same (through the runner the option goes with it) and backs whole 2 MiB
# pages, so at least as much.
run "$PV" run --stats --thp never --mem 64M build/images/hello.elf
small=$(sed -n 's/^pagevisor: host memory: \([0-9]*\) KiB of the guest.s.*/\1/p' <<<"$out")
check thp-never 0 $status "$out" '^\(hello\) '
[[ -n $small && $small -lt 8192 ]] || extra_failure thp-never-backed "backed ${small:-?} KiB"
run "$PV" run --stats --thp always --mem 64M build/images/hello.elf
huge=$(sed -n 's/^pagevisor: host memory: \([0-9]*\) KiB of the guest.s.*/\1/p' <<<"$out")
check thp-always 0 $status "$out" '^\(hello\) '
[[ -n $huge && -n $small && $huge -ge $small ]] ||
    extra_failure thp-always-backed "backed ${huge:-?} KiB with huge pages, ${small:-?} KiB without"
# --inspect-on-exit: the memory manager's state read by the host when the guest stops, in
# WinDbg's !vm and !memusage layout, and consistent: the frames of the lists and the rest add
# up to --mem, and Available is Zeroed + Free + Standby.
run "$PV" run --inspect-on-exit build/images/hello.elf
check inspect-on-exit 0 $status "$out" '^      Physical Memory: +4096   \(   16384 Kb\)$'
list() { sed -n "s/^ *$1: *\([0-9]*\) (.*/\1/p" <<<"$out" | tail -1; }
avail=$(sed -n 's/^ *Available Pages: *\([0-9]*\) .*/\1/p' <<<"$out")
[[ -n $avail && $avail -eq $(( $(list Zeroed) + $(list Free) + $(list Standby) )) &&
   $(list TOTAL) -eq 4096 && $(grep -c '^\*\*\* Virtual Memory Usage \*\*\*$' <<<"$out") -eq 1 ]] ||
    extra_failure inspect-on-exit-adds-up "Available ${avail:-?}, lists $(list Zeroed)/$(list Free)/$(list Standby), TOTAL $(list TOTAL)"
# ... and on SIGUSR1 while the guest runs (spin loops until --timeout ends it): the process's
# commit is still charged then. Through the runner the signal is sent inside the VM.
spin_cmd='pagevisor run --runner never --timeout 8 --kernel KERNEL --inspect "!vm 1" --inspect "!process 0 1" --inspect "!vad" --inspect "!ws" SPIN & p=$!; sleep 4; kill -USR1 $p; wait $p'
if "$PV" probe >/dev/null 2>&1; then
    run bash -c "$(sed "s|^pagevisor|$PV|; s|KERNEL|build/guest/kernel.elf|; s|SPIN|build/images/spin.elf|" <<<"$spin_cmd")"
else
    run "$PV" runner --timeout 120 --put build/guest/kernel.elf --put build/images/spin.elf -- \
        sh -c "$(sed 's|KERNEL|/pv/build/guest/kernel.elf|; s|SPIN|/pv/build/images/spin.elf|' <<<"$spin_cmd")"
fi
# Sent to a pagevisor whose guest runs in the runner VM, SIGUSR1 cannot reach the guest: the
# run says so and goes on to its end (the signal's default would have ended it).
if ! "$PV" probe >/dev/null 2>&1; then
    usr1_out=$tmp/usr1.out
    "$PV" run --timeout 8 --inspect-on-exit build/images/spin.elf >"$usr1_out" 2>&1 &
    usr1_pid=$!
    for _ in $(seq 100); do grep -q '(spin) begin' "$usr1_out" && break; sleep 0.2; done
    kill -USR1 $usr1_pid
    wait $usr1_pid; usr1_status=$?
    check inspect-sigusr1-through-runner 115 $usr1_status "$(cat "$usr1_out")" \
        'SIGUSR1: the guest runs inside the KVM runner VM'
fi
committed=$(sed -n '/on SIGUSR1/,$s/^ *Committed pages: *\([0-9]*\) .*/\1/p' <<<"$out" | head -1)
check inspect-on-sigusr1 115 $status "$out" '^pagevisor: the guest.s memory manager on SIGUSR1 \(cr3 [0-9A-F]{8}\):$'
[[ -n $committed && $committed -gt 0 ]] ||
    extra_failure inspect-on-sigusr1-commit "Committed pages while spin ran: ${committed:-none}"
# !process 0 0 names spin, with the page directory the vCPU had when --timeout stopped it.
dirbase=$(sed -n '/on SIGUSR1/,/Image: spin/s/^    DirBase: \([0-9A-F]*\) .*/\1/p' <<<"$out" | tail -1)
cr3=$(sed -n 's/.* cr3=\([0-9a-f]*\) .*/\1/p' <<<"$out" | head -1)
[[ -n $dirbase && ${dirbase,,} == "$cr3" ]] && grep -q '^    Image: spin$' <<<"$out" ||
    extra_failure inspect-process-spin "!process: DirBase ${dirbase:-none}, the vCPU's cr3 ${cr3:-none}"
# !vad of the process on that CR3: its image view at 0x400000, the system DLL's, its stack.
grep -qE '^[0-9a-f]{8} \( [0-9]\) +400 +[0-9a-f]+ +[0-9]+ Mapped  Exe  EXECUTE_WRITECOPY$' <<<"$out" &&
    grep -qE '^[0-9a-f]{8} \( [0-9]\) +7fee0 +7ffdf +[0-9]+ Private +READWRITE$' <<<"$out" &&
    grep -qE '^Total VADs: +3  ' <<<"$out" ||
    extra_failure inspect-vad-spin "!vad: not spin's image, system DLL and stack"
# !ws: spin's working set oldest first, its code page in it; as many entries as the list's Count
# and as !process 0 1's working-set size now.
ws_lines=$(sed -n '/on SIGUSR1/,/timed out/p' <<<"$out" | sed -n '/^kd> !ws$/,$p' |
           grep -cE '^ +[0-9a-f]+  [0-9a-f]{8}')
ws_count=$(sed -n 's/^    Oldest .*Count *\([0-9a-f]*\)$/\1/p' <<<"$out" | head -1)
ws_now=$(sed -n 's/^    Working Set Sizes (now,min,max)  (\([0-9]*\),.*/\1/p' <<<"$out" | head -1)
[[ -n $ws_count && -n $ws_now && $ws_lines -eq $((16#$ws_count)) && $ws_now -eq $ws_lines ]] &&
    grep -qE '^ +[0-9a-f]+  00400000$' <<<"$out" ||
    extra_failure inspect-ws-spin "!ws: ${ws_lines:-?} entries, Count ${ws_count:-?}, now ${ws_now:-?}"
# --inspect CMD: a command it does not know is refused before anything boots; !pte of the
# self-map shows the page directory mapping itself, and !pfn of that frame (the same boot,
# so the same frame) says so from the PFN database: active, its PTE at C0300C00 inside itself.
run "$PV" run --inspect '!wsle 1' build/images/hello.elf
check inspect-unknown-command 118 $status "$out" "^pagevisor run: --inspect: unknown command '!wsle 1'"
run "$PV" run --inspect '!pte C0300000' build/images/hello.elf
check inspect-pte-self-map 0 $status "$out" '^          contains ([0-9A-F]{8})      contains \1$'
pd=$(sed -n 's/^        pfn \([0-9a-f]*\) .*/\1/p' <<<"$out" | head -1)
run "$PV" run --inspect "!pfn ${pd:-0}" build/images/hello.elf
check inspect-pfn-page-directory 0 $status "$out" \
    "pteaddress C0300C00\$|^    restore pte [0-9A-F]{8}  containing page +0*${pd^^}  Active"
grep -q 'pteaddress C0300C00$' <<<"$out" &&
    grep -qE "^    restore pte [0-9A-F]{8}  containing page +0*${pd^^}  Active" <<<"$out" ||
    extra_failure inspect-pfn-page-directory-both "pfn ${pd:-?}: not the page directory's entry"
# Counter tracks: dz-big's 520 faults bring samples at its start, after 256 faults (at the
# ring's flush) and at its end; in every sample Available is Zeroed + Free + Standby, and the
# last one's page faults of the process equal its fault records in the trace, and --stats's.
run "$PV" run --stats --trace "$tmp/counters.jsonl" --trace-format jsonl build/images/dz-big.elf
samples=$(grep -c '^{"type":"counters"' "$tmp/counters.jsonl")
check counter-tracks 0 $status "$out" '^pagevisor: [0-9]+ page faults:'
bad_sum=$(grep '^{"type":"counters"' "$tmp/counters.jsonl" |
          sed 's/.*"Zeroed":\([0-9]*\),"Free":\([0-9]*\),"Standby":\([0-9]*\),.*"available":\([0-9]*\),.*/\1 \2 \3 \4/' |
          awk '$1 + $2 + $3 != $4' | wc -l)
last=$(grep '^{"type":"counters"' "$tmp/counters.jsonl" | tail -1)
pid=$(sed -n 's/.*"processes":\[{"pid":\([0-9]*\),.*/\1/p' <<<"$last")
last_faults=$(sed -n 's/.*"page_faults":\([0-9]*\)}.*/\1/p' <<<"$last")
records=$(grep -c "^{\"type\":\"fault\",.*\"pid\":${pid:-x}," "$tmp/counters.jsonl")
stats_faults=$(sed -n 's/^pagevisor: \([0-9]*\) page faults:.*/\1/p' <<<"$out")
[[ $samples -ge 3 && $bad_sum -eq 0 && -n $last_faults && $last_faults -eq $records &&
   $last_faults -eq ${stats_faults:-0} ]] ||
    extra_failure counter-tracks-consistent "samples $samples, sums off in $bad_sum, last faults ${last_faults:-?} for pid ${pid:-?}, its records $records, --stats ${stats_faults:-?}"
# Host I/O in the trace: one host_io record per pagefile and image call, their pages adding up
# to what --stats counts.
run "$PV" run --stats --mem 4M --trace "$tmp/io.jsonl" --trace-format jsonl \
    build/images/demo-paging.elf summary
check trace-host-io 0 $status "$out" '^pagevisor: pagefile [0-9]+ pages read in [0-9]+ calls'
io_sum() { grep "\"io\":\"$1\"" "$tmp/io.jsonl" | sed 's/.*"pages":\([0-9]*\).*/\1/' |
           awk '{ n++; s += $1 } END { print n + 0, s + 0 }'; }
want=$(sed -n 's/^pagevisor: pagefile \([0-9]*\) pages read in \([0-9]*\) calls, \([0-9]*\) pages written in \([0-9]*\) calls; \([0-9]*\) image pages read in \([0-9]*\) calls$/\2 \1 \4 \3 \6 \5/p' <<<"$out")
got="$(io_sum 'pagefile read') $(io_sum 'pagefile write') $(io_sum 'image read')"
[[ -n $want && $got == "$want" ]] ||
    extra_failure trace-host-io-adds-up "host_io calls and pages $got, --stats $want"
# The Chrome trace keeps the Trace Event Format's rules, checked without a viewer: one event per
# line between the header and the closing, each with a name, a known phase and integer pid and
# tid; complete events (X) with ts and dur, counters (C) with ts and numeric args only, metadata
# (M) naming a process or thread.
run "$PV" run --mem 4M --trace "$tmp/tef.json" --trace-format chrome build/images/demo-paging.elf summary
tef_bad=$(sed '1d;$d' "$tmp/tef.json" | sed 's/,$//' | grep -vcE \
  -e '^\{"name":"[^"]+","cat":"[a-z_]+","ph":"X","ts":[0-9]+\.[0-9]{3},"dur":[0-9]+\.[0-9]{3},"pid":[0-9]+,"tid":[0-9]+,"args":\{.*\}\}$' \
  -e '^\{"name":"[^"]+","cat":"mm","ph":"C","ts":[0-9]+\.[0-9]{3},"pid":[0-9]+,"tid":[0-9]+,"args":\{("[^"]+":[0-9]+,?)+\}\}$' \
  -e '^\{"name":"(process|thread)_name","ph":"M","pid":[0-9]+,"tid":[0-9]+,"args":\{"name":"[^"]*"\}\}$' \
  -e '^\{"name":"statistics","ph":"i","s":"g","ts":[0-9]+\.[0-9]{3},"pid":0,"tid":0,"args":\{.*\}\}$')
tef_events=$(sed '1d;$d' "$tmp/tef.json" | wc -l)
[[ $status -eq 0 && $(head -1 "$tmp/tef.json") == '{"displayTimeUnit":"ns","traceEvents":[' &&
   $(tail -1 "$tmp/tef.json") == ']}' && $tef_bad -eq 0 && $tef_events -gt 100 ]]
outcome trace-event-format-rules $? "$tef_bad of $tef_events events break a rule" "$(head -c 2000 "$tmp/tef.json")"
# A mistake found only at load (an image too large for --mem) is named as given too.
cp "$hello" "$tmp/big.elf"
head -c 1048576 /dev/zero >>"$tmp/big.elf"
big_kib=$(( ($(stat -c %s "$tmp/big.elf") + 1023) / 1024 ))
run "$PV" run --mem 2M "$tmp/big.elf"
check load-error-named 117 $status "$out" "^pagevisor: $tmp/big.elf \\($big_kib KiB\\) does not fit in guest RAM"
! vm_paths <<<"$out" || extra_failure load-error-no-vm-path "a /pv/ path"

junit_end
echo "cli: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
