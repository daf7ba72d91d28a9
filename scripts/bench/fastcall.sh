#!/bin/sh
# Fastcall benchmark: the null-syscall loop (getppid through a raw syscall
# instruction) natively, under hxrun, and rewritten by hxrewrite under
# hxrun, and a plain function call natively, in ns per call with the
# ratios, all measured in this one run; then
# how many syscall sites hxrewrite patches in real programs and libraries.
# Usage: scripts/bench/fastcall.sh HXRUN BUILDDIR
set -eu
HX=$(realpath "$1")
BUILD=$(realpath -m "$2")
RW=$BUILD/hxrewrite
B=$BUILD/bench/fastcall
SRC=$(dirname "$0")
mkdir -p "$B"
[ -x "$RW" ] || { echo "fastcall.sh: build $RW first (make)" >&2; exit 2; }
CFLAGS="-O2 -Wall -Wextra -Werror"
musl-gcc -static $CFLAGS -o "$B/null_syscall" "$SRC/null_syscall.c"
"$RW" "$B/null_syscall" -o "$B/null_syscall.fast" >/dev/null

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b / a }'; }
N=${N:-200000}
# Calls that cost nanoseconds need more of them to measure.
NF=${NF:-20000000}
c=$("$B/null_syscall" "$NF" call)
n=$("$B/null_syscall" "$N")
h=$("$HX" --no-fastcall "$B/null_syscall" "$N")
f=$("$HX" "$B/null_syscall.fast" "$NF") || f=failed
echo "null syscall (getppid), ns per call ($N calls; $NF for the function call and the fastcall)"
printf "  %-30s %8s ns\n" "native syscall" "$n"
printf "  %-30s %8s ns %8sx native\n" "hxrun, syscall instruction" "$h" "$(ratio "$n" "$h")"
printf "  %-30s %8s ns %8sx native  %sx the function call\n" \
    "hxrun, rewritten (fastcall)" "$f" "$(ratio "$n" "$f")" "$(ratio "$c" "$f")"
printf "  %-30s %8s ns\n" "native plain function call" "$c"
printf "  fastcall: %sx cheaper than the native syscall, %sx cheaper than the syscall instruction\n" \
    "$(ratio "$f" "$n")" "$(ratio "$f" "$h")"

echo "syscall sites patched / found by hxrewrite"
cover() {
    "$RW" "$1" -o "$B/cover.fast" | awk -v f="$1" 'NR == 1 {
        printf "  %-48s %5d / %-5d (%.1f%%)\n", f, $6, $2, $2 ? 100 * $6 / $2 : 100 }'
    rm -f "$B/cover.fast"
}
for f in /bin/busybox /lib/x86_64-linux-gnu/libc.so.6 /lib/x86_64-linux-musl/libc.so \
    /lib64/ld-linux-x86-64.so.2 /usr/bin/redis-server; do
    cover "$f"
done
# redis-server makes its system calls through its libraries.
ldd /usr/bin/redis-server | awk '$3 ~ /^\// { print $3 }' | while read -r lib; do
    cover "$lib"
done
