#!/bin/bash
# install.sh - `make install` and the SDK as a user sees them: install into a temporary prefix,
# build images outside the tree with the installed pagevisor-cc (two sources, SSE floating
# point) and with pkg-config, run them with the installed pagevisor and check their output and
# exit status; a moved install still builds and names its missing pieces; DESTDIR staging and
# `make uninstall`; the man pages render without warnings.
# Usage: tests/install.sh   (from the top of the tree, after `make`; boots the guest once)
set -u
cd "$(dirname "$0")/.." || exit 2
passed=0 failed=0
work=$(mktemp -d "${TMPDIR:-/tmp}/pv-install.XXXXXX")
trap 'rm -rf -- "$work"' EXIT
prefix=$work/prefix

. tests/junit.sh
junit_begin install
ok()   { echo "  $1 ... passed"; passed=$((passed + 1)); junit_case "$1" 0; }
bad()  {
    echo "  $1 ... FAILED: $2"; [[ -n ${3:-} ]] && sed 's/^/      | /' <<<"$3"; failed=$((failed + 1))
    junit_case "$1" 1 "$2"$'\n'"${3:-}"
}
# check NAME WANT_STATUS STATUS OUTPUT [PATTERN]
check() {
    if [[ $3 -ne $2 ]]; then bad "$1" "status $3, expected $2" "$4"
    elif [[ -n ${5:-} ]] && ! grep -qE -- "$5" <<<"$4"; then bad "$1" "output does not match /$5/" "$4"
    else ok "$1"; fi
}
run() { out=$("$@" 2>&1); status=$?; }

# --- make install PREFIX=... ---------------------------------------------------------------
run env -u MAKEFLAGS -u MFLAGS make -s install PREFIX="$prefix"
check make-install 0 $status "$out"
want=(bin/pagevisor bin/pagevisor-cc lib/pagevisor/pagevisor-static lib/pagevisor/kernel.elf
      lib/pagevisor/kernel-3gb.elf lib/pagevisor/crt0.o lib/pagevisor/libntuser.a
      lib/pagevisor/image.ld include/pagevisor/ntapi.h lib/pkgconfig/pagevisor.pc
      lib/pkgconfig/pagevisor-sse.pc lib/pagevisor/runner/prepare.sh lib/pagevisor/runner/init
      share/man/man1/pagevisor.1 share/man/man1/pagevisor-cc.1)
missing=()
for f in "${want[@]}"; do [[ -f $prefix/$f ]] || missing+=("$f"); done
for f in bin/pagevisor bin/pagevisor-cc lib/pagevisor/pagevisor-static lib/pagevisor/runner/prepare.sh; do
    [[ -x $prefix/$f ]] || missing+=("$f (not executable)")
done
[[ ${#missing[@]} -eq 0 ]] && ok installed-files || bad installed-files "missing: ${missing[*]}"
# Every header ntapi.h needs is there: it compiles alone against the install only.
run gcc -fsyntax-only -m32 -ffreestanding -nostdinc -isystem "$(gcc -m32 -print-file-name=include)" \
    -I "$prefix/include/pagevisor" -x c - <<<'#include <ntapi.h>'
check headers-self-contained 0 $status "$out"

# The installed runner script is the tree's: it knows the runner cache the tree prepared.
if [[ -s ${PAGEVISOR_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pagevisor}/runner/base.stamp ]]; then
    run "$prefix/lib/pagevisor/runner/prepare.sh" --check
    check installed-runner-prepare-check 0 $status "$out" '^runner: ready in '
fi

# --- an image outside the tree ---------------------------------------------------------------
src=$work/src out_dir=$work/out
mkdir -p "$src" "$out_dir"
cat >"$src/my.c" <<'EOF'
/* my - an image built outside the tree: prints its arguments and a sum from another file,
 * then exits with its first argument as the status. */
#include <ntapi.h>

int add_up(int n);

int main(int argc, char **argv)
{
    int status = 0;
    msg("begin");
    for (int i = 1; i < argc; i++)
        msg("argv[%d] = %s", i, argv[i]);
    msg("1 + 2 + ... + 10 = %d", add_up(10));
    if (argc > 1)
        for (const char *p = argv[1]; *p >= '0' && *p <= '9'; p++)
            status = status * 10 + (*p - '0');
    msg("end");
    return status;
}
EOF
cat >"$src/util.c" <<'EOF'
int add_up(int n)
{
    int sum = 0;
    for (int i = 1; i <= n; i++)
        sum += i;
    return sum;
}
EOF
cat >"$src/flt.c" <<'EOF'
/* flt - floating point in SSE registers (built with -msse2). */
#include <ntapi.h>

static volatile float a = 1.5f, b = 2.25f;
static volatile double c = 10.0;

int main(void)
{
    float s = a + b;
    double q = c / 4.0;
    CHECK(s == 3.75f, "1.5f + 2.25f = %d/100", (int)(s * 100.0f));
    CHECK(q == 2.5, "10.0 / 4.0 = %d/10", (int)(q * 10.0));
    return 0;
}
EOF
run "$prefix/bin/pagevisor-cc" -o "$out_dir/my.elf" "$src/my.c" "$src/util.c"
check pagevisor-cc-builds 0 $status "$out"
# -c makes an object; objects link like sources.
run "$prefix/bin/pagevisor-cc" -c -o "$work/util.o" "$src/util.c"
check pagevisor-cc-compile-only 0 $status "$out"
run "$prefix/bin/pagevisor-cc" -o "$work/from-object.elf" "$src/my.c" "$work/util.o"
check pagevisor-cc-links-objects 0 $status "$out"
run readelf -hl "$out_dir/my.elf"
check image-is-i386-exec-at-400000 0 $status "$out" \
    'Machine: +Intel 80386'
grep -qE 'LOAD +0x000000 0x00400000' <<<"$out" && ok image-linked-at-400000 ||
    bad image-linked-at-400000 "no PT_LOAD at 0x00400000" "$out"
run "$prefix/bin/pagevisor-cc" -msse2 -o "$out_dir/flt.elf" "$src/flt.c"
check pagevisor-cc-sse2 0 $status "$out"
# Floating point without SSE has no soft-float routines to link: the driver says what to do.
run "$prefix/bin/pagevisor-cc" -o "$out_dir/nosse.elf" "$src/flt.c"
check pagevisor-cc-float-needs-sse 1 $status "$out" 'floating point needs SSE: build with -msse2'
run "$prefix/bin/pagevisor-cc" -mavx2 -o "$out_dir/avx.elf" "$src/flt.c"
check pagevisor-cc-refuses-avx 2 $status "$out" '^pagevisor-cc: -mavx2: .*XSAVE'
[[ ! -e $out_dir/avx.elf ]] && ok refused-build-writes-nothing || bad refused-build-writes-nothing "avx.elf exists"
run "$prefix/bin/pagevisor-cc" -o "$out_dir/x.elf" "$src/nonexistent.c"
check pagevisor-cc-no-such-file 2 $status "$out" 'nonexistent.c: no such file'

# --- pkg-config ------------------------------------------------------------------------------
if command -v pkg-config >/dev/null; then
    export PKG_CONFIG_PATH=$prefix/lib/pkgconfig
    run pkg-config --cflags pagevisor
    check pkg-config-cflags 0 $status "$out" "-m32 .*-I$prefix/lib/pkgconfig/../../include/pagevisor"
    cflags=$out
    run pkg-config --libs pagevisor
    check pkg-config-libs 0 $status "$out" "image.ld.* -lntuser"
    libs=$out
    # shellcheck disable=SC2086  # the flags are words
    run gcc $cflags -c -o "$work/pc-my.o" "$src/my.c"
    check pkg-config-compile 0 $status "$out"
    # shellcheck disable=SC2086
    run gcc $cflags -c -o "$work/pc-util.o" "$src/util.c"
    # shellcheck disable=SC2086
    run gcc -o "$out_dir/pc.elf" "$work/pc-my.o" "$work/pc-util.o" $libs
    check pkg-config-link 0 $status "$out"
    # pagevisor-sse: floating point in SSE registers.
    # shellcheck disable=SC2046
    run gcc $(pkg-config --cflags pagevisor-sse) -c -o "$work/pcflt.o" "$src/flt.c"
    check pkg-config-sse-compile 0 $status "$out"
    # shellcheck disable=SC2046
    run gcc -o "$out_dir/pcflt.elf" "$work/pcflt.o" $(pkg-config --libs pagevisor-sse)
    check pkg-config-sse-link 0 $status "$out"
    unset PKG_CONFIG_PATH
else
    bad pkg-config "pkg-config is not installed (tests/ensure-packages.sh test)"
fi

# --- run them with the installed pagevisor ---------------------------------------------------
cat >"$work/expected" <<'EOF'
(my) begin
(my) argv[1] = 0
(my) argv[2] = zero
(my) 1 + 2 + ... + 10 = 55
(my) end
my: exit(0)
(flt) 1.5f + 2.25f = 375/100
(flt) 10.0 / 4.0 = 25/10
flt: exit(0)
(pc) begin
(pc) argv[1] = 42
(pc) 1 + 2 + ... + 10 = 55
(pc) end
pc: exit(42)
(pcflt) 1.5f + 2.25f = 375/100
(pcflt) 10.0 / 4.0 = 25/10
pcflt: exit(0)
EOF
images=("$out_dir/my.elf" 0 zero -- "$out_dir/flt.elf")
[[ -f $out_dir/pc.elf ]] || cp "$out_dir/my.elf" "$out_dir/pc.elf"
[[ -f $out_dir/pcflt.elf ]] || cp "$out_dir/flt.elf" "$out_dir/pcflt.elf"
images+=(-- "$out_dir/pc.elf" 42 -- "$out_dir/pcflt.elf")
"$prefix/bin/pagevisor" run "${images[@]}" >"$work/stdout" 2>"$work/stderr"
status=$?
if [[ $status -eq 42 ]] && diff -u "$work/expected" "$work/stdout" >"$work/diff"; then
    ok installed-pagevisor-runs-images
else
    bad installed-pagevisor-runs-images "status $status (expected 42) or output differs" \
        "$(cat "$work/diff" "$work/stderr")"
fi

# --- a moved install, a copied pagevisor ------------------------------------------------------
moved=$work/moved
cp -a "$prefix" "$moved"
run "$moved/bin/pagevisor-cc" -v -o "$work/moved.elf" "$src/my.c" "$src/util.c"
check moved-install-builds 0 $status "$out" "-I $moved/include/pagevisor"
# The same image but for the header paths in its debug information.
strip --strip-debug -o "$work/a.elf" "$work/moved.elf" && strip --strip-debug -o "$work/b.elf" "$out_dir/my.elf" &&
    cmp -s "$work/a.elf" "$work/b.elf" && ok moved-install-same-image ||
    bad moved-install-same-image "the moved install's image differs from the first"
rm "$moved/lib/pagevisor/kernel.elf"
run "$moved/bin/pagevisor" run "$out_dir/my.elf"
check moved-missing-kernel-named 117 $status "$out" \
    "^pagevisor: no guest kernel at $moved/lib/pagevisor/kernel\\.elf \\(run \`make install PREFIX=$moved\` in pagevisor's source tree, or give --kernel\\)$"
rm "$moved/lib/pagevisor/crt0.o"
run "$moved/bin/pagevisor-cc" -o "$work/x.elf" "$src/my.c" "$src/util.c"
check moved-missing-crt0-named 2 $status "$out" "no $moved/lib/pagevisor/crt0.o \\(run \`make install PREFIX=$moved\`"
if ! "$prefix/bin/pagevisor" probe >/dev/null 2>&1; then
    # Where the guest runs in the KVM runner, the static twin comes from the install too.
    rm "$moved/lib/pagevisor/pagevisor-static"
    run env -u PAGEVISOR_STATIC "$moved/bin/pagevisor" run --kernel "$prefix/lib/pagevisor/kernel.elf" "$out_dir/my.elf"
    check moved-missing-twin-named 117 $status "$out" \
        "no static pagevisor for the VM at $moved/lib/pagevisor/pagevisor-static \\(run \`make install PREFIX=$moved\`"
fi
mkdir "$work/copy"
cp build/pagevisor "$work/copy/"
run "$work/copy/pagevisor" run "$out_dir/my.elf"
check copied-missing-kernel-named 117 $status "$out" \
    "^pagevisor: no guest kernel at $work/copy/guest/kernel\\.elf \\(run \`make\` in pagevisor's source tree, or give --kernel\\)$"

# --- DESTDIR staging and uninstall -----------------------------------------------------------
stage=$work/stage
run env -u MAKEFLAGS -u MFLAGS make -s install DESTDIR="$stage" PREFIX=/opt/pagevisor-test
check destdir-install 0 $status "$out"
missing=()
for f in "${want[@]}"; do [[ -f $stage/opt/pagevisor-test/$f ]] || missing+=("$f"); done
[[ ${#missing[@]} -eq 0 && ! -e /opt/pagevisor-test ]] && ok destdir-staged-only ||
    bad destdir-staged-only "missing under DESTDIR: ${missing[*]:-none}; /opt/pagevisor-test exists: $([[ -e /opt/pagevisor-test ]] && echo yes || echo no)"
run env -u MAKEFLAGS -u MFLAGS make -s uninstall DESTDIR="$stage" PREFIX=/opt/pagevisor-test
left=$(find "$stage" -type f)
[[ $status -eq 0 && -z $left ]] && ok uninstall-removes-all || bad uninstall-removes-all "status $status; left: $left"

# --- the man pages ----------------------------------------------------------------------------
for page in pagevisor pagevisor-cc; do
    f=$prefix/share/man/man1/$page.1
    run groff -man -ww -z "$f"
    [[ $status -eq 0 && -z $out ]] && ok "man-$page-groff-no-warnings" ||
        bad "man-$page-groff-no-warnings" "status $status" "$out"
    if command -v man >/dev/null; then
        text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man --warnings -l "$f" 2>"$work/man.err"); status=$?
        [[ $status -eq 0 && $text == *"$page"* && ! -s $work/man.err ]] && ok "man-$page-renders" ||
            bad "man-$page-renders" "status $status" "$(cat "$work/man.err")"
    else
        bad "man-$page-renders" "man is not installed (tests/ensure-packages.sh test)"
    fi
done
for section in NAME SYNOPSIS COMMANDS OPTIONS 'EXIT STATUS' ENVIRONMENT FILES; do
    grep -q "^\.SH \"\?$section\"\?$" "$prefix/share/man/man1/pagevisor.1" || missing_section+=" $section"
done
man_text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$prefix/share/man/man1/pagevisor.1" 2>/dev/null)
for word in PAGEVISOR_CACHE XDG_CACHE_HOME PAGEVISOR_STATIC --3gb --trace-format 118 kernel-3gb.elf; do
    grep -qF -- "$word" <<<"$man_text" || missing_section+=" $word"
done
[[ -z ${missing_section:-} ]] && ok man-pagevisor-contents || bad man-pagevisor-contents "lacks:${missing_section}"
# The page keeps up with the program: every option `run --help` lists, every command and exit
# status `--help` lists, and every option `pagevisor-cc --help` names.
undocumented=
for opt in $("$prefix/bin/pagevisor" run --help | grep -oE -- '--[a-z0-9][a-z0-9-]*' | sort -u); do
    grep -qF -- "$opt" <<<"$man_text" || undocumented+=" $opt"
done
for word in $("$prefix/bin/pagevisor" --help | sed -nE 's/^  ([a-z]+) .*/\1/p') \
            $("$prefix/bin/pagevisor" --help | grep -oE '\b1[01][0-9]\b' | sort -u); do
    grep -qwF -- "$word" <<<"$man_text" || undocumented+=" $word"
done
[[ -z $undocumented ]] && ok man-pagevisor-matches-help || bad man-pagevisor-matches-help "not in pagevisor.1:$undocumented"
cc_text=$(LC_ALL=C.UTF-8 MANWIDTH=80 man -l "$prefix/share/man/man1/pagevisor-cc.1" 2>/dev/null)
undocumented=
for opt in $("$prefix/bin/pagevisor-cc" --help | grep -oE -- '(^|[ ([])-[a-zA-Z][a-zA-Z0-9.=-]*' | sed -e 's/^[ ([]//' -e 's/[.]*$//' | sort -u); do
    grep -qF -- "$opt" <<<"$cc_text" || undocumented+=" $opt"
done
[[ -z $undocumented ]] && ok man-pagevisor-cc-matches-help || bad man-pagevisor-cc-matches-help "not in pagevisor-cc.1:$undocumented"

junit_end
echo "install: $passed passed, $failed failed"
[[ $failed -eq 0 ]]
