#!/bin/bash
# Differential test runner for hx: run each guest program natively and under
# HXRUN, and require the same stdout, stderr and exit status.
#
#   tests/guest/run.sh HXRUN BUILDDIR [NAME...]
#
# Every tests/guest/NAME.c (or only the NAMEs given) is built five times, with
# musl-gcc and gcc, as BUILDDIR/guest/NAME.musl, NAME.glibc, NAME.glibc-pie,
# NAME.glibc-dyn and NAME.musl-dyn
# (static PIE, and dynamically linked).  Each binary
# then runs natively and as "HXRUN BINARY ARGS", once with stdout sent to a
# regular file and once through a pipe, in a fresh empty directory, with a
# fixed environment and stdin.  The native run is the oracle.
#
# Optional per-test files next to NAME.c:
#   NAME.args   arguments, word-split; several lines mean several runs,
#               labelled NAME#N.LIBC.MODE; lines starting with # are skipped
#   NAME.stdin  stdin for the program (default /dev/null)
#
# Captured output is kept in BUILDDIR/results/LABEL/ for inspection.
#
# busybox.sh in ../compat sources this file for its comparison functions,
# so nothing below runs unless the script is executed directly.

set -u

GUEST_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CFLAGS=(-std=c11 -O2 -Wall -Wextra -Werror)
# hxrun keeps its rewritten copies (fastcalls) where XDG_CACHE_HOME says
# (make test: BUILD/cache); both runs get it, so the environments match.
TEST_ENV=(HX_TEST=1 LC_ALL=C PATH=/usr/bin:/bin ${XDG_CACHE_HOME:+"XDG_CACHE_HOME=$XDG_CACHE_HOME"})
TIME_LIMIT=20
DIFF_LINES=20

passed=0
failed=0

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}

# fail LABEL REASON: details (diffs, compiler output) may follow on stdout.
fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
}

no_failures() {
	((failed == 0))
}

# Print the summary line and exit 1 if anything failed.
finish() {
	echo "$passed passed, $failed failed"
	((failed == 0)) || exit 1
	exit 0
}

# run_dirs: hxrun's run directories now on the host (hypervisor/run_dir.c),
# sorted; run_dirs_since BEFORE: those not in BEFORE, an earlier run_dirs.
run_dirs() {
	find /dev/shm /tmp "${TMPDIR:-/tmp}" -maxdepth 1 -name 'hxrun.*' 2>/dev/null | LC_ALL=C sort -u
}

run_dirs_since() {
	comm -13 <(printf '%s\n' "$1") <(run_dirs)
}

# set_hxrun PATH: set HXRUN to an absolute path, usable from any directory
# and with PATH reset by env -i, or exit.  Also turns off core dumps: no
# core files in the test directories, and no "core dumped" differences
# between a native crash and an emulated one.
set_hxrun() {
	local h=$1
	if [[ $h != */* ]]; then
		h=$(command -v -- "$h") || h=$1
	fi
	[[ $h == /* ]] || h=$PWD/$h
	if [[ ! -x $h || -d $h ]]; then
		echo "${0##*/}: HXRUN '$1' is not an executable file" >&2
		exit 2
	fi
	HXRUN=$h
	ulimit -c 0
}

# run_one MODE DIR STDIN OUT ERR CMD...: run CMD in DIR with the fixed
# environment, stdout to OUT (a file, or a pipe into cat when MODE is pipe)
# and stderr to ERR.  Sets run_status to what the shell saw: the exit code,
# or 128+N for death by signal N.
run_one() {
	local mode=$1 dir=$2 in=$3 out=$4 err=$5
	shift 5
	# The outer 2>/dev/null swallows bash's own "Segmentation fault"
	# notice about a child killed by a signal; the program's stderr is
	# redirected separately inside.
	if [[ $mode == file ]]; then
		{
			(cd "$dir" && exec timeout -k 5 "$TIME_LIMIT" \
				env -i "${TEST_ENV[@]}" "$@" <"$in" >"$out" 2>"$err")
			run_status=$?
		} 2>/dev/null
	else
		{
			(cd "$dir" && exec timeout -k 5 "$TIME_LIMIT" \
				env -i "${TEST_ENV[@]}" "$@" <"$in" 2>"$err") | cat >"$out"
			run_status=${PIPESTATUS[0]}
		} 2>/dev/null
	fi
}

# Drop lines that are not the program's output: hxrun's own diagnostics
# (hxrun run only) and timeout's remark about core dumps (both runs).
filter_stderr() {
	local who=$1 in=$2 out=$3
	if [[ $who == hxrun ]]; then
		sed -e '/^hxrun: /d' -e '/^timeout: the monitored command dumped core$/d' "$in" >"$out"
	else
		sed -e '/^timeout: the monitored command dumped core$/d' "$in" >"$out"
	fi
}

describe_status() {
	case $1 in
	124) echo "124 (timed out after ${TIME_LIMIT}s)" ;;
	137) echo "137 (SIGKILL, or killed after timing out)" ;;
	*) if (($1 > 128)); then echo "$1 (signal $(($1 - 128)))"; else echo "$1"; fi ;;
	esac
}

# show_diff NAME NATIVE HXRUN: a short unified diff of one stream.
show_diff() {
	diff -a -u --label "native $1" --label "hxrun $1" "$2" "$3" |
		head -n "$DIFF_LINES" | sed 's/^/    /'
}

# compare LABEL RESULTS STDIN CMD...: run CMD natively and under $HXRUN in
# both output modes and report one PASS/FAIL line per mode.  NOTE is added
# to a FAIL line to say what was run.
compare() {
	local label=$1 results=$2 in=$3 note=$4
	shift 4
	local mode dir res nst hst what
	for mode in file pipe; do
		res=$results/$label.$mode
		rm -rf "$res"
		mkdir -p "$res"
		dir=$(mktemp -d "${TMPDIR:-/tmp}/hx-test.XXXXXX")

		# Same directory for both runs, emptied in between, so a
		# program that prints its cwd prints the same thing twice.
		run_one "$mode" "$dir" "$in" "$res/native.out" "$res/native.err.raw" "$@"
		nst=$run_status
		find "$dir" -mindepth 1 -delete
		run_one "$mode" "$dir" "$in" "$res/hxrun.out" "$res/hxrun.err.raw" "$HXRUN" "$@"
		hst=$run_status
		rm -rf "$dir"

		filter_stderr native "$res/native.err.raw" "$res/native.err"
		filter_stderr hxrun "$res/hxrun.err.raw" "$res/hxrun.err"

		what=()
		cmp -s "$res/native.out" "$res/hxrun.out" || what+=("stdout differs")
		cmp -s "$res/native.err" "$res/hxrun.err" || what+=("stderr differs")
		[[ $nst == "$hst" ]] ||
			what+=("status native $(describe_status "$nst"), hxrun $(describe_status "$hst")")
		if ((${#what[@]} == 0)); then
			pass "$label.$mode"
			continue
		fi
		local msg="" w
		for w in "${what[@]}"; do msg+="${msg:+; }$w"; done
		fail "$label.$mode" "$msg${note:+ ($note)}"
		cmp -s "$res/native.out" "$res/hxrun.out" ||
			show_diff stdout "$res/native.out" "$res/hxrun.out"
		cmp -s "$res/native.err" "$res/hxrun.err" ||
			show_diff stderr "$res/native.err" "$res/hxrun.err"
	done
}

# build NAME LIBC BUILDDIR: compile NAME.c for one libc unless the binary
# is newer than the source.  Reports a FAIL and returns 1 on error.
build() {
	local name=$1 libc=$2 src=$GUEST_DIR/$1.c out=$3/guest/$1.$2 cc=gcc
	local -a extra=(-static)
	[[ $libc == musl ]] && cc=musl-gcc
	# glibc-pie: a static position-independent executable (ET_DYN, no
	# interpreter), which Linux maps below the mmap base.
	[[ $libc == glibc-pie ]] && extra=(-static-pie -fPIE)
	# *-dyn: dynamically linked, loaded by ld.so inside the guest.
	[[ $libc == *-dyn ]] && extra=()
	[[ $libc == musl-dyn ]] && cc=musl-gcc
	[[ -e $out && ! $src -nt $out ]] && return 0
	mkdir -p "$3/guest"
	if ! "$cc" "${CFLAGS[@]}" "${extra[@]}" -o "$out" "$src" 2>"$out.log"; then
		rm -f "$out"
		fail "$name.$libc.build" "$cc failed"
		head -n "$DIFF_LINES" "$out.log" | sed 's/^/    /'
		return 1
	fi
	rm -f "$out.log"
}

# The argument lines of a test: one empty line when there is no .args file.
args_lines() {
	local f=$GUEST_DIR/$1.args line
	if [[ ! -e $f ]]; then
		echo ""
		return
	fi
	while IFS= read -r line || [[ -n $line ]]; do
		[[ $line == \#* ]] && continue
		printf '%s\n' "$line"
	done <"$f"
}

main() {
	if (($# < 2)); then
		echo "usage: $0 HXRUN BUILDDIR [NAME...]" >&2
		exit 2
	fi
	set_hxrun "$1"
	local build_dir=$2
	shift 2
	[[ $build_dir == /* ]] || build_dir=$PWD/$build_dir
	mkdir -p "$build_dir/guest" "$build_dir/results"

	local names=() name libc stdin lines n i label words
	if (($# > 0)); then
		for name; do names+=("${name%.c}"); done
	else
		for name in "$GUEST_DIR"/*.c; do
			name=${name##*/}
			names+=("${name%.c}")
		done
	fi

	for name in "${names[@]}"; do
		if [[ ! -e $GUEST_DIR/$name.c ]]; then
			fail "$name" "no such test ($GUEST_DIR/$name.c)"
			continue
		fi
		stdin=/dev/null
		[[ -e $GUEST_DIR/$name.stdin ]] && stdin=$GUEST_DIR/$name.stdin
		mapfile -t lines < <(args_lines "$name")
		n=${#lines[@]}
		for libc in musl glibc glibc-pie glibc-dyn musl-dyn; do
			build "$name" "$libc" "$build_dir" || continue
			for ((i = 0; i < n; i++)); do
				label=$name.$libc
				((n > 1)) && label=$name#$((i + 1)).$libc
				read -ra words <<<"${lines[i]}"
				compare "$label" "$build_dir/results" "$stdin" \
					"${words[*]:+args: ${words[*]}}" \
					"$build_dir/guest/$name.$libc" "${words[@]}"
			done
		done
	done
	finish
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
