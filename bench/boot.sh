#!/bin/bash
# boot.sh - boot to exit of hello (make bench-boot, issue 13): `pagevisor run --stats` of
# build/images/hello.elf N times, split by pagevisor's own time line into VMM set-up, guest
# boot, images, guest exit and teardown, and each run timed whole from outside; beside it,
# qemu-system-i386 -kernel booting the same kernel with hello as its Multiboot module, timed
# the same way. Both are timed by build/bench/boot-times (one untimed warm-up run each first),
# and every run must have printed hello's expected lines. Where this host's KVM runs the
# guest, pagevisor runs directly and QEMU with -accel kvm, and the ratio is given; where it
# cannot, pagevisor's runs go inside one KVM runner VM boot and QEMU runs here under TCG: two
# different places, so no ratio. Prints the table; leaves it in build/bench/boot.txt.
#
#   bench/boot.sh [--runs N]      (default 9)
set -euo pipefail
export LC_ALL=C

PAGEVISOR=${PAGEVISOR:-build/pagevisor}
QEMU=${QEMU:-qemu-system-i386}
TIMES=build/bench/boot-times
KERNEL=build/guest/kernel.elf
IMAGE=build/images/hello.elf
EXPECTED=tests/images/hello.expected
TEXT=build/bench/boot.txt
PV_RUNS=build/bench/boot-pagevisor.runs
QEMU_RUNS=build/bench/boot-qemu.runs
RUN_LIMIT=60   # s a run may take before it is killed (and the benchmark fails)

die() { echo "boot: $*" >&2; exit 1; }

runs=9
while [[ $# -gt 0 ]]; do
    case $1 in
        --runs) [[ $# -ge 2 && $2 =~ ^[1-9][0-9]*$ ]] || die "--runs needs a number of runs >= 1"
                runs=$2; shift 2 ;;
        -h|--help) sed -n '2,12s/^# \{0,1\}//p' "$0"; exit 0 ;;
        *) die "unknown argument '$1' (bench/boot.sh [--runs N])" ;;
    esac
done

for f in "$PAGEVISOR" "$TIMES" "$KERNEL" "$IMAGE" "$EXPECTED"; do
    [[ -e $f ]] || die "$f is missing (make bench-boot builds it)"
done
command -v "$QEMU" >/dev/null ||
    die "$QEMU not found (Debian package qemu-system-x86: tests/ensure-packages.sh runner)"
rm -f "$TEXT" "$PV_RUNS" "$QEMU_RUNS"   # never leave an old result looking like a new one

. "$(dirname "${BASH_SOURCE[0]}")/host.sh"   # $kvm, $host
when=$(date -u +%Y-%m-%dT%H:%M:%SZ)
qemu_version=$("$QEMU" --version 2>/dev/null | sed -n "1s/^QEMU emulator version //p" || true)

# The same kernel and image on both sides; --runner never: pagevisor's direct path, nothing else.
pv_args=(run --stats --runner never --timeout $RUN_LIMIT --kernel "$KERNEL" "$IMAGE")
qemu_args=(-kernel "$KERNEL" -append "" -initrd "$IMAGE" -m 16 -display none -monitor none
           -serial stdio -no-reboot -device isa-debug-exit,iobase=0xf4,iosize=4)
timing=(--runs "$runs" --warmup 1 --timeout $RUN_LIMIT)

start=$(date +%s)
if probe=$("$PAGEVISOR" probe 2>&1); then
    direct=1
    pv_where="directly on this host (KVM)"
    qemu_args+=(-accel kvm)
    qemu_where="on this host, -accel kvm"
    echo "boot: $runs runs of pagevisor on this host..."
    "$TIMES" "${timing[@]}" --out "$PV_RUNS" -- "$PAGEVISOR" "${pv_args[@]}" ||
        die "timing pagevisor failed"
else
    direct=0
    why=$(sed -n '1s/^pagevisor: //p' <<<"$probe")
    [[ -n $why ]] || why="this host's KVM cannot run the guest"
    pv_where="in the KVM runner VM (QEMU TCG -cpu max, 1 vCPU, nested SVM), all runs in one boot: $why"
    qemu_args+=(-accel tcg)
    qemu_where="on this host, TCG (this host's KVM cannot run the guest)"
    echo "boot: this host's KVM cannot run 32-bit paged guests ($kvm); pagevisor's $runs runs go" \
         "into one KVM runner VM boot"
    "$PAGEVISOR" runner --timeout $(( (runs + 1) * RUN_LIMIT + 60 )) --put "$TIMES" \
        --put "$KERNEL" --put "$IMAGE" --get "$PV_RUNS" -- \
        "/pv/$TIMES" "${timing[@]}" --out "$PV_RUNS" -- pagevisor "${pv_args[@]}" ||
        die "timing pagevisor in the KVM runner VM failed"
fi
[[ -s $PV_RUNS ]] || die "no result from pagevisor's runs ($PV_RUNS)"
echo "boot: $runs runs of $QEMU -kernel $qemu_where..."
"$TIMES" "${timing[@]}" --out "$QEMU_RUNS" -- "$QEMU" "${qemu_args[@]}" ||
    die "timing $QEMU failed"

# One line per run: RUN STATUS WALL_MS HELLO(ok|bad) SETUP BOOT IMAGES EXIT TEARDOWN ("-" when
# the run printed no time line). Hello's lines are "(hello) ..." and "hello: exit(...)".
parse() { # RUNS-FILE
    awk -v expected="$EXPECTED" '
        BEGIN { while ((getline l < expected) > 0) want = want l "\n" }
        function flush() { if (run) print run, status, wall, (got == want ? "ok" : "bad"), phases }
        /^run [0-9]+ status -?[0-9]+ wall_ms / { flush(); run = $2; status = $4; wall = $6
                                                got = ""; phases = "- - - - -"; next }
        /^> / {
            line = substr($0, 3); sub(/\r$/, "", line)
            if (line ~ /^\(hello\) / || line ~ /^hello: exit\(/) got = got line "\n"
            if (line ~ /^pagevisor: time: VMM set-up .* teardown [0-9.]+ ms$/ &&
                line !~ /no image started/) {
                sub(/^pagevisor: time: /, "", line)
                n = split(line, item, ", "); phases = ""
                for (i = 1; i <= n; i++) { m = split(item[i], w, " "); phases = phases " " w[m - 1] }
                sub(/^ /, "", phases)
            }
        }
        END { flush() }' "$1"
}
pv=$(parse "$PV_RUNS")
qemu=$(parse "$QEMU_RUNS")

# Every run must have done the work: status, hello's lines, pagevisor's time line.
bad=0
check_runs() { # NAME PARSED WANT-STATUS RUNS-FILE NEED-PHASES
    local n
    n=$(awk 'END { print NR }' <<<"$2")
    [[ $n -eq $runs ]] || { echo "boot: $1: $n runs recorded, expected $runs" >&2; bad=1; }
    while read -r run status wall hello setup rest; do
        local what=()
        [[ $status == "$3" ]] || what+=("exit status $status, expected $3")
        [[ $hello == ok ]] || what+=("the lines of hello differ from $EXPECTED")
        [[ $5 == 0 || $setup != - ]] || what+=("no time line with every phase")
        if [[ ${#what[@]} -gt 0 ]]; then
            echo "boot: $1 run $run: $(IFS=';'; echo "${what[*]}"); its output:" >&2
            awk -v r="$run" '/^run / { on = ($2 == r) } on && /^> / { print "  | " substr($0, 3) }' \
                "$4" | tail -n 30 >&2
            bad=1
        fi
    done <<<"$2"
}
check_runs pagevisor "$pv" 0 "$PV_RUNS" 1
check_runs "$QEMU" "$qemu" 1 "$QEMU_RUNS" 0   # isa-debug-exit: status 1 when the kernel finished
[[ $bad -eq 0 ]] || die "some runs failed (all runs: $PV_RUNS, $QEMU_RUNS)"

# min, median and max of column COL of the parsed lines, rounded as every benchmark rounds
# (bench_fmt_range in bench/util.c): at most 3 significant digits and 2 decimals, nothing finer
# than a tenth of the spread's leading digit.
summary() { # COL PARSED
    awk -v c="$1" '{ print $c }' <<<"$2" | sort -g | awk '
        function lg(x) { return log(x) / log(10) }
        function fl(x) { return x == int(x) || x > 0 ? int(x) : int(x) - 1 }
        { v[NR] = $1 }
        END { med = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
              mag = med > 0 ? fl(lg(med)) : 0
              u = 10 ^ (mag - 2); if (u < 0.01) u = 0.01
              if (v[NR] > v[1]) { s = 10 ^ (fl(lg(v[NR] - v[1])) - 1); if (s > u) u = s }
              if (med > 0 && u > 10 ^ mag) u = 10 ^ mag
              d = u < 0.999 ? int(-lg(u) + 0.5) : 0
              printf "%10.*f %10.*f %10.*f", d, int(v[1] / u + 0.5) * u, d,
                     int(med / u + 0.5) * u, d, int(v[NR] / u + 0.5) * u }'
}
median() { summary "$1" "$2" | awk '{ print $2 }'; }
# pagevisor's process outside its phases: the whole run less the five (exec, exit, the wait).
pv=$(awk '{ print $0, $3 - ($5 + $6 + $7 + $8 + $9) }' <<<"$pv")

{
    echo "Boot to exit of hello: \`pagevisor run --stats $IMAGE\` beside \`$QEMU -kernel\`"
    echo "booting the same kernel ($KERNEL) with the same image; measured $when"
    echo "host: $host"
    echo "pagevisor: $pv_where"
    echo "$QEMU ${qemu_version:-(unknown version)}: $qemu_where"
    echo "$runs runs each after one untimed warm-up run; every run printed hello's expected lines;"
    echo "whole runs timed from outside (fork to wait), phases by pagevisor's own --stats time line"
    echo
    printf '%-44s %10s %10s %10s\n' "" "min ms" "median ms" "max ms"
    printf '%-44s %s\n' "pagevisor: VMM set-up (to the first KVM_RUN)" "$(summary 5 "$pv")"
    printf '%-44s %s\n' "pagevisor: guest boot (to hello's start)" "$(summary 6 "$pv")"
    printf '%-44s %s\n' "pagevisor: images (hello's run)" "$(summary 7 "$pv")"
    printf '%-44s %s\n' "pagevisor: guest exit (to the final exit)" "$(summary 8 "$pv")"
    printf '%-44s %s\n' "pagevisor: teardown" "$(summary 9 "$pv")"
    printf '%-44s %s\n' "pagevisor: process start and exit (the rest)" "$(summary 10 "$pv")"
    printf '%-44s %s\n' "pagevisor: whole run" "$(summary 3 "$pv")"
    printf '%-44s %s\n' "$QEMU -kernel: whole run" "$(summary 3 "$qemu")"
    echo
    if [[ $direct -eq 1 ]]; then
        awk -v q="$(median 3 "$qemu")" -v p="$(median 3 "$pv")" -v qemu="$QEMU" 'BEGIN {
            printf "%s / pagevisor, whole runs (medians): %.2fx\n", qemu, q / p }'
    else
        echo "No ratio: the two ran in different places (pagevisor inside the KVM runner VM, under"
        echo "QEMU's emulator; $QEMU on this host under TCG), so their times do not compare."
    fi
} >"$TEXT"
cat "$TEXT"
echo "boot: $(($(date +%s) - start)) s in all; saved $TEXT (runs: $PV_RUNS, $QEMU_RUNS)"
