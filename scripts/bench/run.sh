#!/bin/sh
# hx benchmarks: each line prints the native figure, the hx figure and their
# ratio, measured in this one run. Usage: scripts/bench/run.sh HXRUN BUILDDIR
set -eu
HX=$(realpath "$1")
B=$(realpath -m "$2")/bench
SRC=$(dirname "$0")
mkdir -p "$B"
CFLAGS="-O2 -Wall -Wextra -Werror"
cc $CFLAGS -o "$B/exec_time" "$SRC/exec_time.c"
cc $CFLAGS -o "$B/floor" "$SRC/floor.c"
cc -c -o "$B/floor_guest.o" "$SRC/floor_guest.S"
ld -Ttext=0 --oformat binary -o "$B/floor_guest.bin" "$B/floor_guest.o"
ld -Ttext=0 -o "$B/floor_guest.elf" "$B/floor_guest.o"
entry=0x$(nm "$B/floor_guest.elf" | awk '$3 == "entry" { print $1 }')
musl-gcc -static $CFLAGS -o "$B/hello" tests/demo/hello.c
musl-gcc -static $CFLAGS -o "$B/null_syscall" "$SRC/null_syscall.c"
gcc -static $CFLAGS -o "$B/hello.glibc" tests/demo/hello.c
gcc $CFLAGS -o "$B/hello.dynamic" tests/demo/hello.c

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
RUNS=${RUNS:-50}

echo "benchmark                              native        hx     hx/native"
for v in hello hello.glibc hello.dynamic; do
    n=$("$B/exec_time" "$RUNS" "$B/$v")
    h=$("$B/exec_time" "$RUNS" "$HX" "$B/$v")
    printf "%-36s %8s ms %6s ms %8sx\n" "start to exit ($v, median)" "$n" "$h" "$(ratio "$n" "$h")"
done
for v in hello hello.glibc hello.dynamic; do
    printf "%-36s %s VM exits, %s CPL0 entries\n" "hx run of $v" \
        "$("$HX" --stats "$B/$v" 2>&1 >/dev/null | sed -n 's/^hxrun: stats: \([0-9]*\) VM exits$/\1/p')" \
        "$("$HX" --stats "$B/$v" 2>&1 >/dev/null | sed -n 's/^hxrun: stats: \([0-9]*\) CPL0 entries$/\1/p')"
done
N=${N:-200000}
n=$("$B/null_syscall" "$N")
h=$("$HX" --no-fastcall "$B/null_syscall" "$N")
f=$("$B/floor" "$B/floor_guest.bin" "$entry" "$N")
printf "%-36s %8s ns %6s ns %8sx\n" "null syscall (getppid, syscall insn)" "$n" "$h" "$(ratio "$n" "$h")"
printf "%-36s %8s ns %6s ns %8sx   (hx / floor)\n" "bare syscall floor in a VM" "-" "$f" "$(ratio "$f" "$h")"
