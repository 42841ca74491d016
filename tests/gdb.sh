#!/bin/bash
# gdb.sh - `pagevisor run --gdb` with Debian's gdb and a raw protocol client, through the KVM
# runner where this host needs it: the README's walkthrough in gdb's batch mode (a breakpoint
# at MmAccessFault, bt, info registers, the self-map PDE, monitor !pte before and after the
# fault is resolved, monitor !pfn, stepi, delete, continue to the end), hostile packets on a
# Unix socket while the guest waits at its entry (and longer than --timeout), Ctrl-C and kill,
# the guest's own int3s with a breakpoint planted, and the mistakes refused before boot.
# The runs' output and exit status must be as without gdb.
# Usage: tests/gdb.sh [PAGEVISOR]   (JUnit XML to $PAGEVISOR_TEST_RESULTS/gdb.xml when set)
set -u
PV=$(readlink -f "${1:-build/pagevisor}")
cd "$(dirname "$0")/.."
passed=0 failed=0
. tests/junit.sh
junit_begin gdb
tmp=$(mktemp -d); [[ -n ${KEEP:-} ]] && echo "gdb: keeping $tmp"
trap 'kill $(jobs -p) 2>/dev/null; [[ -n ${KEEP:-} ]] || rm -rf "$tmp"' EXIT
KERNEL=build/guest/kernel.elf
IMAGES=build/images
CLIENT=tests/gdb-client.py

outcome() { # NAME FAILED(0|1) WHY [OUTPUT]
    if [[ $2 -eq 0 ]]; then
        echo "  $1 ... passed"; passed=$((passed + 1)); junit_case "$1" 0
    else
        echo "  $1 ... FAILED ($3)"
        [[ -n ${4:-} ]] && sed 's/^/      | /' <<<"$4" | head -80
        failed=$((failed + 1)); junit_case "$1" 1 "$3${4:+$'\n'$4}"
    fi
}
has() { grep -qE -- "$2" <<<"$1"; }   # TEXT PATTERN

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts pagevisor in the background (stdout, stderr and status into $tmp/NAME.*) and waits
# for its "gdb:" line: the debugger may connect from then on.
start() { # NAME ARGS...
    local name=$1; shift
    rm -f "$tmp/$name".*
    ( "$PV" run "$@" >"$tmp/$name.out" 2>"$tmp/$name.err"; echo $? >"$tmp/$name.status" ) &
    for _ in $(seq 1 900); do
        grep -qE 'pagevisor: gdb: (the guest waits|listening)' "$tmp/$name.err" 2>/dev/null && return 0
        [[ -e $tmp/$name.status ]] && return 1
        sleep 0.2
    done
    return 1
}
finish_run() { # NAME: waits for it (at most 3 minutes); its status
    for _ in $(seq 1 900); do
        [[ -e $tmp/$1.status ]] && { cat "$tmp/$1.status"; return; }
        sleep 0.2
    done
    echo timeout
}
same_output() { # NAME EXPECTED_FILE
    diff -u "$2" "$tmp/$1.out" >"$tmp/$1.diff" 2>&1
}

# --- refused before anything boots ----------------------------------------------------------
out=$("$PV" run --gdb-wait $IMAGES/hello.elf 2>&1); st=$?
[[ $st -eq 118 ]] && has "$out" '--gdb-wait needs --gdb'
outcome gdb-wait-alone-refused $? "status $st" "$out"
for bad in 0 70000; do
    out=$("$PV" run --gdb $bad $IMAGES/hello.elf 2>&1); st=$?
    [[ $st -eq 118 ]] && has "$out" "--gdb $bad: need a TCP port"
    outcome "gdb-port-$bad-refused" $? "status $st" "$out"
done
touch "$tmp/plain-file"
out=$("$PV" run --gdb "$tmp/plain-file" $IMAGES/hello.elf 2>&1); st=$?
[[ $st -eq 118 ]] && has "$out" "plain-file exists and is neither a socket nor a character device" &&
    [[ -f $tmp/plain-file ]]
outcome gdb-path-not-a-socket-refused $? "status $st" "$out"
busy=$(free_port)
python3 -c 'import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(1); time.sleep(60)' "$busy" &
holder=$!
sleep 0.5
t0=$SECONDS
out=$("$PV" run --gdb "$busy" $IMAGES/hello.elf 2>&1); st=$?
kill $holder 2>/dev/null; wait $holder 2>/dev/null
[[ $st -eq 118 ]] && has "$out" "--gdb $busy: cannot listen on 127.0.0.1:$busy: the port is in use" &&
    ! has "$out" 'hello'
outcome gdb-port-in-use-refused-before-boot $? "status $st" "$out"

# --- the README's walkthrough in gdb's batch mode ---------------------------------------------
port=$(free_port)
fault_fn=$(nm $KERNEL | awk '$3 == "MmAccessFault" { print $1 }')
cat >"$tmp/walk-script.gdb" <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$port
info registers eip cr0
break MmAccessFault
continue
set \$fault = *(unsigned *)(\$esp + 8)
printf "fault address %08x\n", \$fault
bt
info registers
x/4xw 0xC0300C00
eval "monitor !pte %x", \$fault
stepi
info registers eip
delete
finish
eval "monitor !pte %x", \$fault
set \$pte = *(unsigned *)(0xC0000000 + ((\$fault >> 12) << 2))
printf "pte %08x\n", \$pte
eval "monitor !pfn %x", \$pte >> 12
monitor !vm 1
continue
EOF
if start walk --gdb "$port" --gdb-wait $IMAGES/hello.elf; then
    timeout 300 gdb -batch -nx -x "$tmp/walk-script.gdb" $KERNEL >"$tmp/walk.gdb.out" 2>&1
    st=$(finish_run walk)
else
    st="did not start"
fi
g=$(cat "$tmp/walk.gdb.out" 2>/dev/null)
err=$(cat "$tmp/walk.err")
has "$g" 'eip +0x[0-9a-f]+' && has "$g" 'cr0 +0x11 '
outcome gdb-waits-at-the-kernel-entry-paging-off $? "no entry registers" "$g"
has "$g" '^Breakpoint 1, MmAccessFault \(FaultCode='
outcome gdb-break-at-MmAccessFault-hit $? "no stop at MmAccessFault" "$g"
has "$g" '^#1 .* in KiTrap0E ' && has "$g" 'KiTrapCommon'
outcome gdb-bt-from-the-trap $? "bt lacks KiTrap0E/KiTrapCommon" "$g"
cr3=$(awk '$1 == "cr3" { print $2; exit }' <<<"$g")
cr2=$(awk '$1 == "cr2" { print $2; exit }' <<<"$g")
fault=$(awk '$1 == "fault" && $2 == "address" { print $3; exit }' <<<"$g")
has "$g" "^eip +0x$fault_fn " && [[ -n $cr3 && $((cr2)) -eq $((16#${fault:-x})) ]]
outcome gdb-info-registers-eip-cr2-cr3 $? "eip/cr2/cr3 (cr2 $cr2, fault $fault)" "$g"
pde=$(awk '$1 == "0xc0300c00:" { print $2; exit }' <<<"$g")
[[ -n $pde && $(( pde & ~0xFFF )) -eq $(( cr3 & ~0xFFF )) && $(( pde & 1 )) -eq 1 ]]
outcome gdb-self-map-pde-points-at-the-directory $? "PDE $pde, cr3 $cr3" "$g"
pte_va=$(printf '%08X' $(( 0xC0000000 + ((16#${fault:-0} >> 12) << 2) )))
[[ $(grep -c "PTE at $pte_va" <<<"$g") -eq 2 ]]
outcome gdb-monitor-pte-before-and-after $? "want two !pte outputs naming PTE at $pte_va" "$g"
has "$g" "eip +0x[0-9a-f]+ +0x[0-9a-f]+ <MmAccessFault\+[0-9]+>"
outcome gdb-stepi-moves-into-MmAccessFault $? "stepi did not step" "$g"
has "$g" '^KiTrap0E \(' && has "$g" '^Value returned is '
outcome gdb-finish-returns-to-KiTrap0E $? "finish did not return" "$g"
pte=$(awk '$1 == "pte" { print $2; exit }' <<<"$g")
pfn=$(printf '%X' $(( 16#${pte:-0} >> 12 )))
[[ -n $pte && $(( 16#$pte & 1 )) -eq 1 ]] && has "$g" "PFN 0*$pfn at address" &&
    has "$g" "pfn $(tr 'A-F' 'a-f' <<<"$pfn") .*V"
outcome gdb-fault-resolved-pte-valid-and-pfn-shown $? "pte ${pte:-?}, pfn ${pfn:-?}" "$g"
has "$g" 'Available Pages: +[0-9]+' && has "$g" 'Commit limit: +[0-9]+'
outcome gdb-monitor-vm $? "no !vm output" "$g"
has "$g" 'exited normally' && [[ $st == 0 ]] && same_output walk tests/images/hello.expected
outcome gdb-walkthrough-run-as-without-gdb $? "status $st" "$(cat "$tmp/walk.diff" 2>/dev/null)
$err"

# --- hostile packets on a Unix socket, held past --timeout ------------------------------------
sock=$tmp/gdb.sock
if start hostile --timeout 3 --gdb "$sock" --gdb-wait $IMAGES/hello.elf; then
    timeout 120 python3 $CLIENT "$sock" hostile 5 >"$tmp/hostile.client" 2>&1
    cst=$?
    st=$(finish_run hostile)
else
    cst=1 st="did not start"
fi
c=$(cat "$tmp/hostile.client")
while read -r line; do
    [[ $line == ok:* || $line == FAIL:* ]] || continue
    name=$(sed -E 's/^(ok|FAIL): //; s/[^A-Za-z0-9]+/-/g; s/-$//' <<<"$line" | cut -c1-70)
    [[ $line == ok:* ]]
    outcome "gdb-hostile-$name" $? "$line"
done <<<"$c"
[[ $cst -eq 0 && $st == 0 ]] && same_output hostile tests/images/hello.expected && [[ ! -e $sock ]]
outcome gdb-hostile-stream-then-detach-run-as-without-gdb $? \
    "client $cst, status $st (a 5 s hold must not count against --timeout 3; the socket removed)" \
    "$c
$(cat "$tmp/hostile.err")"

# --- Ctrl-C and kill ----------------------------------------------------------------------------
port=$(free_port)
if start spin --timeout 120 --gdb "$port" $IMAGES/spin.elf; then
    sleep 1
    timeout 120 python3 $CLIENT "$port" interrupt-kill >"$tmp/spin.client" 2>&1
    cst=$?
    st=$(finish_run spin)
else
    cst=1 st="did not start"
fi
c=$(cat "$tmp/spin.client")
[[ $cst -eq 0 ]]
outcome gdb-ctrl-c-stops-spin-in-ring-3 $? "client $cst" "$c"
[[ $st == 119 ]] && grep -q 'the debugger killed the guest' "$tmp/spin.err"
outcome gdb-kill-ends-the-run-with-119 $? "status $st" "$(cat "$tmp/spin.err")"

# --- the guest's own int3s with a breakpoint planted; hardware breakpoints ------------------
port=$(free_port)
cat >"$tmp/veh-script.gdb" <<EOF
set pagination off
set confirm off
target remote 127.0.0.1:$port
break KeBugCheckEx
hbreak NtTerminateProcess
continue
EOF
if start veh --gdb "$port" --gdb-wait $IMAGES/exc-veh.elf; then
    timeout 300 gdb -batch -nx -x "$tmp/veh-script.gdb" $KERNEL >"$tmp/veh.gdb.out" 2>&1
    if ! grep -q 'exited normally' "$tmp/veh.gdb.out"; then
        # Stopped at the hardware breakpoint (a host whose KVM fires them): go on to the end.
        printf 'set confirm off\ntarget remote 127.0.0.1:%s\ndelete\ncontinue\n' "$port" >"$tmp/veh2-script.gdb"
        timeout 300 gdb -batch -nx -x "$tmp/veh2-script.gdb" $KERNEL >>"$tmp/veh.gdb.out" 2>&1
    fi
    st=$(finish_run veh)
else
    st="did not start"
fi
g=$(cat "$tmp/veh.gdb.out")
[[ $st == 0 ]] && same_output veh tests/integration/expected/exc-veh.expected
outcome gdb-guest-int3-unchanged-with-a-breakpoint-planted $? "status $st" \
    "$(cat "$tmp/veh.diff" 2>/dev/null)
$g"
if grep -q 'running in the KVM runner VM' "$tmp/veh.err"; then
    grep -q 'no hardware breakpoints or watchpoints in the KVM runner' "$tmp/veh.err"
    outcome gdb-hbreak-refused-in-the-runner-with-a-reason $? "no reason given" "$(cat "$tmp/veh.err")"
else
    has "$g" 'Hardware assisted breakpoint 2, .*NtTerminateProcess'
    outcome gdb-hbreak-fires $? "no stop at the hardware breakpoint" "$g"
fi

junit_end
echo "gdb: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
