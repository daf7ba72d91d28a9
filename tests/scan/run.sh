#!/bin/bash
# Soundness check for hxscan: every system call a program makes at run time
# must be one hxscan lists for it.
#
#   tests/scan/run.sh HXSCAN BUILDDIR
#
# Each program runs natively under strace (-f -c: a count per syscall name).
# hxscan --trim writes the names it finds for the same program; a name strace
# saw that hxscan did not list is a miss, and any miss fails the program.
# Precision is observed/listed: how much of hxscan's list this one run used.
#
# Programs: guest test programs (and the demo) built static, static-PIE
# (glibc) and dynamic with musl and glibc into BUILDDIR/scan/; busybox
# (package busybox-static), sqlite3 and redis-server (packages of the same
# names; redis runs without a TCP listener for about a second, then gets
# SIGTERM). A program that is not installed counts as a failure.

set -u

SCAN_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$SCAN_DIR/../.." && pwd)
GUEST_NAMES=(args files malloc stdio time mem)
LIBCS=(musl glibc glibc-pie glibc-dyn musl-dyn)
CFLAGS=(-std=c11 -O2 -Wall -Wextra -Werror)
# hxrun keeps its rewritten copies (fastcalls) where XDG_CACHE_HOME says
# (make test: BUILD/cache); both runs get it, so the environments match.
TEST_ENV=(HX_TEST=1 LC_ALL=C PATH=/usr/bin:/bin ${XDG_CACHE_HOME:+"XDG_CACHE_HOME=$XDG_CACHE_HOME"})
TIME_LIMIT=20

passed=0
failed=0

if (($# != 2)); then
	echo "usage: $0 HXSCAN BUILDDIR" >&2
	exit 2
fi
HXSCAN=$1
BUILD_DIR=$2
[[ $HXSCAN == /* ]] || HXSCAN=$PWD/$HXSCAN
[[ $BUILD_DIR == /* ]] || BUILD_DIR=$PWD/$BUILD_DIR
if [[ ! -x $HXSCAN ]]; then
	echo "${0##*/}: HXSCAN '$1' is not an executable file" >&2
	exit 2
fi
if ! command -v strace >/dev/null; then
	echo "${0##*/}: strace is not installed (scripts/deps.sh installs it)" >&2
	exit 2
fi
OUT=$BUILD_DIR/scan
rm -rf "$OUT/results"
mkdir -p "$OUT/results"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/hx-scan.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
ulimit -c 0

fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

# build NAME LIBC SRC: compile SRC as $OUT/NAME.LIBC unless it is up to date.
build() {
	local name=$1 libc=$2 src=$3 out=$OUT/$1.$2 cc=gcc
	local -a extra=(-static)
	[[ $libc == musl* ]] && cc=musl-gcc
	[[ $libc == glibc-pie ]] && extra=(-static-pie -fPIE)
	[[ $libc == *-dyn ]] && extra=()
	[[ -e $out && ! $src -nt $out ]] && return 0
	if ! "$cc" "${CFLAGS[@]}" "${extra[@]}" -o "$out" "$src" 2>"$out.log"; then
		rm -f "$out"
		fail "$name.$libc" "$cc failed: $(head -n 3 "$out.log" | tr '\n' ' ')"
		return 1
	fi
	rm -f "$out.log"
}

# observed TRACE: the syscall names of an strace -c summary, one per line.
# strace's own execve of the program is counted there too: one execve is
# not the program's.
observed() {
	awk '/^------/ { table = !table; next }
	     table && NF >= 5 {
		name = $NF; calls = $4
		if (name == "execve") calls--
		if (calls > 0) print name
	     }' "$1" | sort -u
}

# listed LIST: the names of an hxscan --trim file, one per line.
listed() {
	grep -v '^#' "$1" | sort -u
}

# scan PROGRAM KEY: runs hxscan once per program, keeping its trim list as
# $OUT/results/KEY.trim and its report as KEY.report. Returns 1 when hxscan
# failed (status 2 or a crash).
scan() {
	local prog=$1 key=$2 st
	[[ -e $OUT/results/$key.trim ]] && return 0
	"$HXSCAN" --trim "$OUT/results/$key.trim" "$prog" >"$OUT/results/$key.report" \
		2>"$OUT/results/$key.err"
	st=$?
	if ((st != 0 && st != 1)); then
		rm -f "$OUT/results/$key.trim"
		fail "$key" "hxscan exited $st: $(head -n 2 "$OUT/results/$key.err" | tr '\n' ' ')"
		return 1
	fi
}

# check LABEL KEY TRACE: compares what strace saw with hxscan's list.
check() {
	local label=$1 key=$2 trace=$3
	local obs lst missed n_obs n_lst n_missed unresolved precision
	obs=$(observed "$trace")
	lst=$(listed "$OUT/results/$key.trim")
	missed=$(comm -23 <(echo "$obs") <(echo "$lst") | grep -v '^$')
	n_obs=$(grep -c . <<<"$obs")
	n_lst=$(grep -c . <<<"$lst")
	n_missed=$(grep -c . <<<"$missed")
	unresolved=$(sed -n 's/^\([0-9]*\) unresolved site.*/\1/p' "$OUT/results/$key.report")
	precision=$(awk -v o="$n_obs" -v l="$n_lst" 'BEGIN { printf "%.1f%%", l ? 100 * o / l : 0 }')
	local line
	line=$(printf '%-22s observed %3d  listed %3d  missed %d  precision %6s  unresolved %s' \
		"$label" "$n_obs" "$n_lst" "$n_missed" "$precision" "${unresolved:-?}")
	if ((n_obs == 0)); then
		fail "$label" "strace saw no system calls ($trace)"
	elif ((n_missed == 0)); then
		echo "PASS $line"
		passed=$((passed + 1))
	else
		echo "FAIL $line: $(tr '\n' ' ' <<<"$missed")"
		failed=$((failed + 1))
	fi
}

# trace LABEL KEY PROGRAM ARGS...: runs PROGRAM under strace in a fresh
# directory and checks it.
trace() {
	local label=$1 key=$2
	shift 2
	local dir=$WORK/$label st
	mkdir -p "$dir"
	scan "$1" "$key" || return
	(cd "$dir" && exec timeout -k 5 "$TIME_LIMIT" env -i "${TEST_ENV[@]}" \
		strace -f -qq -c -o "$OUT/results/$label.strace" "$@" </dev/null >/dev/null 2>&1)
	st=$?
	if ((st == 124 || st == 137)); then
		fail "$label" "timed out after ${TIME_LIMIT}s"
		return
	fi
	check "$label" "$key" "$OUT/results/$label.strace"
}

# redis-server with no TCP listener (port 0; Redis 7 refuses to start with
# no listener at all, so it gets a Unix socket in its private directory) and
# no saving: up for about a second, then SIGTERM, which it answers with an
# orderly shutdown.
trace_redis() {
	local prog=$1 dir=$WORK/redis pid=
	mkdir -p "$dir"
	scan "$prog" redis-server || return
	(cd "$dir" && exec timeout -k 5 "$TIME_LIMIT" env -i "${TEST_ENV[@]}" \
		strace -f -qq -c -o "$OUT/results/redis-server.strace" \
		"$prog" --port 0 --unixsocket "$dir/redis.sock" --save '' --dir "$dir" \
		--pidfile "$dir/redis.pid" \
		</dev/null >/dev/null 2>&1) &
	local job=$!
	for _ in $(seq 50); do
		[[ -s $dir/redis.pid ]] && break
		sleep 0.1
	done
	sleep 1
	[[ -s $dir/redis.pid ]] && pid=$(cat "$dir/redis.pid")
	if [[ -z $pid ]]; then
		wait "$job"
		fail redis-server "redis-server did not start (no pid file)"
		return
	fi
	kill -TERM "$pid"
	wait "$job"
	check redis-server redis-server "$OUT/results/redis-server.strace"
}

echo "== guest programs"
for name in hello "${GUEST_NAMES[@]}"; do
	src=$ROOT/tests/guest/$name.c
	[[ $name == hello ]] && src=$ROOT/tests/demo/hello.c
	args=()
	if [[ -e $ROOT/tests/guest/$name.args ]]; then
		read -ra args < <(grep -v '^#' "$ROOT/tests/guest/$name.args" | head -n 1)
	fi
	for libc in "${LIBCS[@]}"; do
		build "$name" "$libc" "$src" || continue
		trace "$name.$libc" "$name.$libc" "$OUT/$name.$libc" "${args[@]}"
	done
done

echo "== Debian programs"
if [[ -x /bin/busybox ]]; then
	trace busybox-echo busybox /bin/busybox echo hi
	trace busybox-ls busybox /bin/busybox ls /
	# shellcheck disable=SC2016 # $x is for busybox's shell
	trace busybox-sh busybox /bin/busybox sh -c 'x=1; echo $x'
else
	fail busybox "/bin/busybox missing (package busybox-static; scripts/deps.sh)"
fi
if command -v sqlite3 >/dev/null; then
	trace sqlite3 sqlite3 "$(command -v sqlite3)" :memory: 'select 1;'
else
	fail sqlite3 "not installed (package sqlite3; scripts/deps.sh)"
fi
if command -v redis-server >/dev/null; then
	trace_redis "$(command -v redis-server)"
else
	fail redis-server "not installed (package redis-server; scripts/deps.sh)"
fi

echo "$passed passed, $failed failed"
((failed == 0)) || exit 1
exit 0
