#!/bin/sh
# hx process benchmarks (issue 14): fork+exit+wait of a small and of a
# 200 MiB process, posix_spawn+wait of /bin/true, a shell pipeline and a
# shell loop of $(...) substitutions. Each line: the native time of one
# operation, hx's, and hx/native (above 1: hx is that many times slower),
# all measured in this one run; each figure is the best of RUNS (default 3).
# Usage: scripts/bench/proc.sh HXRUN BUILDDIR
set -eu
HX=$(realpath "$1")
B=$(realpath -m "$2")/bench
SRC=$(dirname "$0")
mkdir -p "$B"
CFLAGS="-O2 -Wall -Wextra -Werror"
musl-gcc -static $CFLAGS -o "$B/proc" "$SRC/proc.c"
gcc $CFLAGS -o "$B/proc.glibc" "$SRC/proc.c"

RUNS=${RUNS:-3}
N=${N:-50}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.1fx", b / a; else print "-" }'; }

# best CMD...: the lowest time CMD prints over RUNS runs, or "failed".
best() {
    b=failed
    i=0
    while [ "$i" -lt "$RUNS" ]; do
        if r=$("$@" 2>/dev/null); then
            if [ "$b" = failed ] || [ "$(awk -v r="$r" -v b="$b" 'BEGIN { print (r < b) }')" = 1 ]; then
                b=$r
            fi
        fi
        i=$((i + 1))
    done
    echo "$b"
}

# shell_us N SCRIPT [HXRUN]: microseconds per iteration of a shell loop.
shell_us() {
    n=$1 script=$2
    shift 2
    s=$(date +%s%N)
    "$@" /bin/dash -c "i=0; while [ \$i -lt $n ]; do $script; i=\$((i + 1)); done" >/dev/null || return 1
    e=$(date +%s%N)
    awk -v s="$s" -v e="$e" -v n="$n" 'BEGIN { printf "%.1f\n", (e - s) / 1000 / n }'
}

line() {
    printf "%-48s %10s %10s %8s\n" "$1" "$2" "$3" "$(ratio "$2" "$3")"
}

printf "%-48s %10s %10s %8s\n" "benchmark (us per operation, best of $RUNS)" native hx hx/native
for v in proc proc.glibc; do
    line "fork+exit+wait, small ($v)" "$(best "$B/$v" fork "$N" 0)" "$(best "$HX" "$B/$v" fork "$N" 0)"
done
line "fork+exit+wait, 200 MiB written (proc)" "$(best "$B/proc" fork 10 200)" \
    "$(best "$HX" -m 1G "$B/proc" fork 10 200)"
line "posix_spawn+wait of /bin/true (proc.glibc)" "$(best "$B/proc.glibc" spawn "$N" /bin/true)" \
    "$(best "$HX" "$B/proc.glibc" spawn "$N" /bin/true)"
line "dash: seq 100 | sort -r | head -1" "$(best shell_us 10 'seq 100 | sort -r | head -1')" \
    "$(best shell_us 10 'seq 100 | sort -r | head -1' "$HX")"
line "dash: x=\$(echo \$i)" "$(best shell_us 200 'x=$(echo $i)')" \
    "$(best shell_us 200 'x=$(echo $i)' "$HX")"
