#!/bin/bash
# Helpers for the server tests (redis.sh, nginx.sh) and scripts/bench/net.sh:
# free loopback ports, servers started in the background and always ended
# by their pid, bounded waits.  Sourced; defines functions only (and an
# EXIT trap that ends every server still running).
#
#   srv_start LOG CMD...   start CMD in the background, stdout and stderr to
#                          LOG; its pid is in $srv_pid
#   srv_wait_ready PID SECS CMD...
#                          run CMD every 0.1 s until it succeeds (0), PID
#                          dies (1) or SECS pass (2)
#   srv_wait_exit PID SECS wait up to SECS for PID to exit; its status is in
#                          $srv_status (-1 if it had to be killed)
#   srv_stop PID           SIGTERM, then SIGKILL after 5 s; reaps it
#   free_port              print a loopback TCP port free right now
#   srv_children PID       PID's child processes (pgrep -P), sorted,
#                          space-separated
#   srv_alive PID...       print those of PIDs still there (zombies too)
#   srv_gone SECS PID...   wait up to SECS for all of PIDs to be gone (0),
#                          or 1
#   srv_set_hxrun PATH     set HXRUN to PATH made absolute, or exit 2
#
# and the recording of a scenario run twice, natively (who=native) and
# under hxrun (who=hxrun), each step's output in $res/$who/STEP:
#
#   note STEP TEXT         record TEXT
#   rec STEP CMD...        record CMD's stdout, stderr and (if not 0) status;
#                          CMD runs under timeout $CMD_LIMIT, stdin empty
#   expect STEP REGEX      the native output must match REGEX (whole text,
#                          final newline dropped): the oracle is checked too
#   srv_report PREFIX      PASS/FAIL per step (hxrun output == native
#                          output) and per failed expectation
#
# Steps named in the sourcing script's PENDING array check behaviour hx
# does not have yet (each with its reason there): srv_report prints SKIP
# for them, so that make test stays green, unless HX_PENDING=1.  Their
# expectations of the native output are still checked.

# srv_pid, srv_status and the recording state are read by the sourcing script.
# shellcheck disable=SC2034
set -u

srv_pids=()
srv_status=0 srv_pid=0

srv_cleanup() {
	local p
	for p in "${srv_pids[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${srv_pids[@]}"; do
		srv_wait_exit "$p" 3 >/dev/null 2>&1
	done
	srv_pids=()
}
trap srv_cleanup EXIT

srv_forget() {
	local p keep=()
	for p in "${srv_pids[@]}"; do
		[[ $p == "$1" ]] || keep+=("$p")
	done
	srv_pids=("${keep[@]}")
}

# The kernel picks the port (bind to 0); it stays free until a server takes
# it unless something else grabs it in between, so callers retry.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

srv_set_hxrun() {
	local h=$1
	[[ $h == */* ]] || h=$(command -v -- "$h") || h=$1
	HXRUN=$(realpath -- "$h")
	if [[ ! -x $HXRUN || -d $HXRUN ]]; then
		echo "${0##*/}: HXRUN '$1' is not an executable file" >&2
		exit 2
	fi
}

srv_start() {
	local log=$1
	shift
	# The subshell drops the EXIT trap: a signal that arrives before
	# the exec must not run srv_cleanup in it.
	(
		trap - EXIT
		exec "$@"
	) >"$log" 2>&1 &
	srv_pid=$!
	srv_pids+=("$srv_pid")
}

srv_wait_ready() {
	local pid=$1 secs=$2 i
	shift 2
	for ((i = 0; i < secs * 10; i++)); do
		"$@" >/dev/null 2>&1 && return 0
		kill -0 "$pid" 2>/dev/null || return 1
		sleep 0.1
	done
	return 2
}

srv_wait_exit() {
	local pid=$1 secs=$2 i
	for ((i = 0; i < secs * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid" 2>/dev/null
			srv_status=$?
			srv_forget "$pid"
			return 0
		fi
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	srv_status=-1
	srv_forget "$pid"
	return 1
}

srv_stop() {
	kill -TERM "$1" 2>/dev/null
	srv_wait_exit "$1" 5
}

srv_children() {
	pgrep -P "$1" | sort -n | tr '\n' ' '
}

srv_alive() {
	local p out=""
	for p in "$@"; do
		kill -0 "$p" 2>/dev/null && out+=" $p"
	done
	echo "${out# }"
}

srv_gone() {
	local secs=$1 i
	shift
	for ((i = 0; i < secs * 10; i++)); do
		[[ -z $(srv_alive "$@") ]] && return 0
		sleep 0.1
	done
	[[ -z $(srv_alive "$@") ]]
}

# ---- recording a scenario ----

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

who="" res=""
CMD_LIMIT=${CMD_LIMIT:-10}
steps=()
expects=()
PENDING=()

note() {
	[[ $who == native ]] && steps+=("$1")
	printf '%s\n' "$2" >"$res/$who/$1"
}

rec() {
	local name=$1 st
	shift
	[[ $who == native ]] && steps+=("$name")
	timeout -k 2 "$CMD_LIMIT" "$@" >"$res/$who/$name" 2>&1 </dev/null
	st=$?
	[[ $st == 0 ]] || echo "status $st" >>"$res/$who/$name"
}

expect() {
	[[ $who == native ]] && expects+=("$1" "$2")
}

srv_report() {
	local prefix=$1 i name
	for ((i = 0; i < ${#expects[@]}; i += 2)); do
		name=${expects[i]}
		if ! [[ $(cat "$res/native/$name" 2>/dev/null) =~ ${expects[i + 1]} ]]; then
			fail "$prefix.$name.native" "native output is not what the scenario expects"
			sed 's/^/    /' "$res/native/$name" | head -n 20
		fi
	done
	for name in "${steps[@]}"; do
		if [[ ${HX_PENDING:-0} != 1 && " ${PENDING[*]} " == *" $name "* ]]; then
			echo "SKIP $prefix.$name (pending, see PENDING)"
		elif [[ ! -e $res/hxrun/$name ]]; then
			fail "$prefix.$name" "no hxrun output"
		elif cmp -s "$res/native/$name" "$res/hxrun/$name"; then
			pass "$prefix.$name"
		else
			fail "$prefix.$name" "hxrun output differs from native"
			diff -a -u --label native --label hxrun "$res/native/$name" "$res/hxrun/$name" |
				head -n 20 | sed 's/^/    /'
		fi
	done
}
