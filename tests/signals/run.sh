#!/bin/bash
# Signals from outside: a program waiting in pause(), in a CPU loop with no
# system calls, blocked in read(), in a far nanosleep(), in poll() with no
# timeout, or in write() to a full pipe is sent a signal by pid, natively and
# as "HXRUN PROGRAM", and both runs must end the same way: the handler
# runs and the program exits 42 with the same output, or (no handler) the
# signal kills it and the shell sees 128+N.  The native run is the oracle,
# and is also checked against those expectations.
#
# A program that blocks every signal and sleeps holds SIGTERM pending on
# Linux (checked natively: still running a second later); under hxrun the
# wedged-guest guard ends the run within its 3 s with one line ("hxrun: the
# program holds signal 15 blocked and waits; ending it") and status 143, as
# the user's kill means to end the run (SIGKILL is the native equivalent).
#
#   tests/signals/run.sh HXRUN BUILDDIR
#
# catch.c is built with musl-gcc -static and gcc -static into
# BUILDDIR/signals/.  HXRUN must exec the program or forward signals to it
# (hxrun does the latter; a pass-through wrapper must use exec).  Every
# case is bounded: "ready" is awaited under timeout(1), the exit for a few
# seconds, after which the process is killed by its pid.  Output of each
# run stays in BUILDDIR/signals/LABEL.{native,hxrun}.{out,err}.

set -u

DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CFLAGS=(-std=c11 -O2 -Wall -Wextra -Werror -static)
READY_LIMIT=${READY_LIMIT:-10} # seconds to wait for "ready"
EXIT_LIMIT=${EXIT_LIMIT:-10}   # seconds to wait for the exit after the signal

passed=0
failed=0
pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

if (($# != 2)); then
	echo "usage: $0 HXRUN BUILDDIR" >&2
	exit 2
fi
HX=$1
[[ $HX == */* ]] || HX=$(command -v -- "$HX") || HX=$1
HX=$(realpath -- "$HX")
if [[ ! -x $HX || -d $HX ]]; then
	echo "${0##*/}: HXRUN '$1' is not an executable file" >&2
	exit 2
fi
B=$(realpath -m -- "$2")/signals
mkdir -p "$B"
ulimit -c 0

# Processes this script started and has not reaped; killed by pid on exit.
live=()
cleanup() {
	local p
	for p in "${live[@]}"; do
		kill -KILL "$p" 2>/dev/null
	done
	exec 3>&- 4>&- 2>/dev/null
	rm -f "$B/fifo" "$B/wfifo"
}
trap cleanup EXIT

# stdin for the "read" wait: a FIFO held open for reading and writing by
# this shell, so it never has data and never reports end of file. The
# "write" wait fills its own (fd 4), which nobody reads.
rm -f "$B/fifo" "$B/wfifo"
mkfifo "$B/fifo" "$B/wfifo"
exec 3<>"$B/fifo" 4<>"$B/wfifo"
stdin_fd=3

build() {
	local libc=$1 cc=gcc
	[[ $libc == musl ]] && cc=musl-gcc
	local out=$B/catch.$libc
	[[ -e $out && ! $DIR/catch.c -nt $out ]] && return 0
	if ! "$cc" "${CFLAGS[@]}" -o "$out" "$DIR/catch.c" 2>"$out.log"; then
		fail "catch.$libc.build" "$cc failed"
		sed 's/^/    /' "$out.log" | head -n 20
		return 1
	fi
	rm -f "$out.log"
}

# run_one OUT ERR SIG CMD...: start CMD in the background, wait for "ready"
# on its stdout, send SIG to its pid, and wait for it to end.  Sets
# run_status to the status as the shell sees it, or to "no-ready" or
# "no-exit" when a limit was hit (the process is then killed).
run_one() {
	local out=$1 err=$2 sig=$3
	shift 3
	: >"$out"
	"$@" >"$out" 2>"$err" <&"$stdin_fd" &
	local pid=$!
	live+=("$pid")
	if ! timeout "$READY_LIMIT" bash -c 'until grep -qx ready "$1" 2>/dev/null; do sleep 0.01; done' \
		_ "$out"; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		unlive "$pid"
		run_status=no-ready
		return
	fi
	# For the spinning program, give it a moment to be in its loop.
	sleep 0.05
	kill "-$sig" "$pid"
	local i
	for ((i = 0; i < EXIT_LIMIT * 50; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.02
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		unlive "$pid"
		run_status=no-exit
		return
	fi
	wait "$pid" 2>/dev/null
	run_status=$?
	unlive "$pid"
}

unlive() {
	local keep=() p
	for p in "${live[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	live=("${keep[@]}")
}

signum() {
	case $1 in
	INT) echo 2 ;; HUP) echo 1 ;; TERM) echo 15 ;; USR1) echo 10 ;;
	esac
}

# check LIBC MODE WAIT SIG
check() {
	local libc=$1 mode=$2 wait=$3 sig=$4
	local label=catch.$libc.$mode.$wait.$sig bin=$B/catch.$libc
	local res=$B/$label
	local want_status want_out
	if [[ $mode == handler ]]; then
		want_status=42
		want_out="ready"$'\n'
		[[ $wait == @(read|sleep|poll|write) ]] && want_out+="$wait interrupted"$'\n'
		want_out+="caught SIG$sig"$'\n'
	else
		want_status=$((128 + $(signum "$sig")))
		want_out="ready"$'\n'
	fi

	stdin_fd=3
	[[ $wait == write ]] && stdin_fd=4
	run_one "$res.native.out" "$res.native.err" "$sig" "$bin" "$mode" "$wait" "$sig"
	local nst=$run_status
	run_one "$res.hxrun.out" "$res.hxrun.err.raw" "$sig" "$HX" "$bin" "$mode" "$wait" "$sig"
	local hst=$run_status
	sed '/^hxrun: /d' "$res.hxrun.err.raw" >"$res.hxrun.err"

	local what=()
	if [[ $nst != "$want_status" || $(cat "$res.native.out"; echo x) != "${want_out}x" ]]; then
		what+=("native run not as expected (status $nst)")
	fi
	[[ $hst == "$nst" ]] || what+=("status native $nst, hxrun $hst")
	cmp -s "$res.native.out" "$res.hxrun.out" || what+=("stdout differs")
	cmp -s "$res.native.err" "$res.hxrun.err" || what+=("stderr differs")
	if ((${#what[@]} == 0)); then
		pass "$label"
		return
	fi
	local msg="" w
	for w in "${what[@]}"; do msg+="${msg:+; }$w"; done
	fail "$label" "$msg"
	diff -a -u --label "native stdout" --label "hxrun stdout" \
		"$res.native.out" "$res.hxrun.out" | head -n 20 | sed 's/^/    /'
}

# held_run OUT CMD...: start CMD, wait for "ready", send SIGTERM, and
# report in held_status whether it is still running 4 s later (longer than
# hxrun's wedged-guest guard waits for a signal the guest leaves untaken),
# then kill it.
held_run() {
	local out=$1 pid
	shift
	: >"$out"
	"$@" >"$out" 2>/dev/null <&3 &
	pid=$!
	live+=("$pid")
	if timeout "$READY_LIMIT" bash -c 'until grep -qx ready "$1" 2>/dev/null; do sleep 0.01; done' \
		_ "$out"; then
		kill -TERM "$pid"
		sleep 4
		if kill -0 "$pid" 2>/dev/null; then held_status=held; else held_status=ended; fi
	else
		held_status=no-ready
	fi
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	unlive "$pid"
}

# check_held LIBC: SIGTERM to a program that blocks every signal and
# sleeps (see the top) stays pending, under hxrun as on Linux: the guest
# took it, so the guard has nothing to end.
check_held() {
	local libc=$1 label=catch.$1.held.TERM bin=$B/catch.$1 what=()
	local res=$B/$label
	held_run "$res.native.out" "$bin" handler held TERM
	[[ $held_status == held ]] || what+=("native run: $held_status")
	held_run "$res.hxrun.out" "$HX" "$bin" handler held TERM
	[[ $held_status == held ]] || what+=("hxrun run: $held_status")
	if ((${#what[@]} == 0)); then
		pass "$label"
	else
		local msg="" w
		for w in "${what[@]}"; do msg+="${msg:+; }$w"; done
		fail "$label" "$msg"
	fi
}

# stderr of the loop is bash's own notices about jobs killed by signals.
for libc in musl glibc; do
	build "$libc" || continue
	check_held "$libc"
	for wait in pause spin read sleep poll write; do
		for sig in INT TERM HUP USR1; do
			check "$libc" handler "$wait" "$sig"
		done
		for sig in INT TERM; do
			check "$libc" default "$wait" "$sig"
		done
	done
done 2>/dev/null

echo "$passed passed, $failed failed"
((failed == 0)) || exit 1
exit 0
