#!/bin/sh
# hx thread benchmarks: futex ping-pong between two threads and thread
# create+join, each line the native rate, the hx rate and their ratio
# (hx / native: below 1 means hx is slower), measured in this one run.
# Each figure is the best of RUNS runs (default 3): rates are noisy.
# Usage: scripts/bench/threads.sh HXRUN BUILDDIR
# PINGPONG and CREATE set the counts (default 20000 round trips, 2000 threads).
set -eu
HX=$(realpath "$1")
B=$(realpath -m "$2")/bench
SRC=$(dirname "$0")
mkdir -p "$B"
CFLAGS="-O2 -Wall -Wextra -Werror"
musl-gcc -static $CFLAGS -o "$B/threads" "$SRC/threads.c"
gcc -static $CFLAGS -o "$B/threads.glibc" "$SRC/threads.c"

RUNS=${RUNS:-3}
PINGPONG=${PINGPONG:-20000}
CREATE=${CREATE:-2000}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2fx", b / a; else print "-" }'; }

# best CMD...: the highest rate CMD prints over RUNS runs, or "failed".
best() {
    b=failed
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        if r=$("$@" 2>/dev/null); then
            if [ "$b" = failed ] || [ "$(awk -v r="$r" -v b="$b" 'BEGIN { print (r > b) }')" = 1 ]; then
                b=$r
            fi
        fi
        i=$((i + 1))
    done
    echo "$b"
}

line() {
    n=$(best "$B/$2" "$3" "$4")
    h=$(best "$HX" "$B/$2" "$3" "$4")
    printf "%-44s %10s %10s %10s\n" "$1 ($2)" "$n" "$h" "$(ratio "$n" "$h")"
}

printf "%-44s %10s %10s %10s\n" "benchmark (per second, best of $RUNS)" native hx hx/native
for v in threads threads.glibc; do
    line "futex ping-pong round trips" "$v" pingpong "$PINGPONG"
done
for v in threads threads.glibc; do
    line "thread create+join" "$v" create "$CREATE"
done
