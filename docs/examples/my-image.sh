#!/bin/bash
# my-image.sh - the README's "Your own images" session, for real: installs pagevisor into a
# temporary prefix, builds docs/examples/my.c there with pagevisor-cc and runs it, printing each
# command as typed (PREFIX stands for the install prefix). Run by docs/samples.sh.
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
env -u MAKEFLAGS -u MFLAGS make -s -C "$top" install PREFIX="$work/prefix" >/dev/null 2>&1 ||
    { echo "my-image: make install failed" >&2; exit 1; }
cp "$top/docs/examples/my.c" "$work/"
cd "$work" || exit 1
export PATH=$work/prefix/bin:$PATH
show() { echo "\$ $*"; "$@" 2>/dev/null; }
show pagevisor-cc -o my.elf my.c
show pagevisor run my.elf hello
show pagevisor run my.elf a b
echo "\$ echo \$?"
pagevisor run my.elf a b >/dev/null 2>&1
echo $?
