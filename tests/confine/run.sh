#!/bin/bash
# Confinement test: a guest program tries to reach a host file outside its
# mounts -- through "..", absolute and relative symlinks, /proc/self/root,
# /proc/self/fd/N, openat2 -- and to change a read-only mount; every
# attempt must fail with the errno Linux gives for the same layout in a
# chroot-like sandbox (escape.c says which and why), and the host tree must
# be unchanged afterwards (content, modes, sizes and mtimes of everything).
#
#   tests/confine/run.sh HXRUN BUILDDIR
#
# The tree, in a fresh BUILDDIR/confine/tree.XXXXXX (called TREE):
#   host/outside/secret.txt           the file to protect
#   host/mnt/                         mounted as /data (read-write)
#     inside.txt, abs -> TREE/host/outside/secret.txt, absdir -> TREE/host/outside,
#     a -> b, b -> ../outside/secret.txt, up -> .., loop -> loop
#   host/ro/file.txt, host/ro/sub/    mounted as /ro:ro
#   work/                             the cwd, read-write
#   nest/                             mounted as /rw (read-write), with
#     sub/f                           also mounted as /rw/nest:ro
#     par/in/h                        mounted as /rw/par/in:ro
#
# Two runs of BUILDDIR/confine/escape (static musl):
#   confined   hxrun --no-host-root -v host/mnt:/data -v host/ro:/ro:ro
#                    -v TREE/work:TREE/work -v nest:/rw -v nest/sub:/rw/nest:ro
#                    -v nest/par/in:/rw/par/in:ro
#   hostroot   hxrun -v host/ro:/ro:ro   (the host root is visible, read-only)
#
# Prints one PASS/FAIL line per check, then "N passed, N failed"; exit 1 on
# failure.  Output stays in BUILDDIR/confine/results/.

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../guest/run.sh
source "$here/../guest/run.sh"

if (($# != 2)); then
	echo "usage: $0 HXRUN BUILDDIR" >&2
	exit 2
fi
set_hxrun "$1"
B=$(realpath -m "$2")/confine
mkdir -p "$B/results"
results=$B/results
prog=$B/escape

if [[ ! -e $prog || $here/escape.c -nt $prog ]]; then
	if ! musl-gcc -static "${CFLAGS[@]}" -o "$prog" "$here/escape.c" 2>"$results/build.log"; then
		fail "escape.build" "musl-gcc failed"
		head -n "$DIFF_LINES" "$results/build.log" | sed 's/^/    /'
		finish
	fi
fi

# The tree lives outside the host's /tmp: the guest's /tmp is its own RAM
# file system and would hide it from the run that sees the host root.
T=$(mktemp -d /var/tmp/hx-confine.XXXXXX)
T=$(realpath "$T")
trap 'chmod -R u+rwX "$T" 2>/dev/null; rm -rf "$T"' EXIT

# make_tree: the tree, afresh for each run.
make_tree() {
	chmod -R u+rwX "$T" 2>/dev/null
	rm -rf "${T:?}/host" "$T/work"
	rm -rf "${T:?}/nest"
	mkdir -p "$T/host/outside" "$T/host/mnt" "$T/host/ro/sub" "$T/work" "$T/nest/sub" \
		"$T/nest/par/in"
	printf 'ro\n' >"$T/nest/sub/f"
	printf 'ro\n' >"$T/nest/par/in/h"
	printf 'secret\n' >"$T/host/outside/secret.txt"
	printf 'inside\n' >"$T/host/mnt/inside.txt"
	printf 'readonly\n' >"$T/host/ro/file.txt"
	ln -s "$T/host/outside/secret.txt" "$T/host/mnt/abs"
	ln -s "$T/host/outside" "$T/host/mnt/absdir"
	ln -s b "$T/host/mnt/a"
	ln -s ../outside/secret.txt "$T/host/mnt/b"
	ln -s .. "$T/host/mnt/up"
	ln -s loop "$T/host/mnt/loop"
	# Old fixed times on everything, so that any change shows in the manifest.
	find "$T/host" "$T/nest" -depth -exec touch -h -d '2001-02-03 04:05:06' {} +
}

# manifest DIR: every entry's type, mode, size, mtime (ns) and link
# target, then every regular file's md5sum.
manifest() {
	(
		cd "$1" || exit 1
		find . -printf '%p %y %m %s %T@ %l\n' | LC_ALL=C sort
		find . -type f -exec md5sum {} + | LC_ALL=C sort
	)
}

# run_escape NAME HXRUN-OPTIONS... -- ARGS...: run the program in the cwd
# TREE/work, check its exit status and report each of its checks, then
# check that the host tree is exactly as before and that the cwd holds
# only the file the program made there.
run_escape() {
	local name=$1 opts=() st line n=0 seen=0
	shift
	while [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	shift
	local out=$results/$name.out err=$results/$name.err
	local before after secret_before secret_after
	make_tree
	before=$(manifest "$T/host"; manifest "$T/nest/sub"; manifest "$T/nest/par/in")
	secret_before=$(stat -c '%s %Y.%y' "$T/host/outside/secret.txt")

	(cd "$T/work" && exec timeout -k 5 "$TIME_LIMIT" env -i "${TEST_ENV[@]}" \
		"$HXRUN" "${opts[@]}" "$prog" "$@" <"/dev/null" >"$out" 2>"$err")
	st=$?

	if ((st == 0)); then
		pass "$name: exit status 0"
	else
		fail "$name: exit status" "$(describe_status "$st")"
		head -n "$DIFF_LINES" "$err" | sed 's/^/    /'
	fi
	while IFS= read -r line; do
		case $line in
		"PASS "*)
			pass "$name: ${line#PASS }"
			seen=$((seen + 1))
			;;
		"FAIL "*)
			line=${line#FAIL }
			fail "$name: ${line%%: *}" "${line#*: }"
			seen=$((seen + 1))
			;;
		"checks: "*) n=${line#checks: } ;;
		esac
	done <"$out"
	if ((n > 0 && n == seen)); then
		pass "$name: all $n checks reported"
	else
		fail "$name: checks reported" "$seen lines, program says ${n:-nothing} (crashed?)"
		head -n "$DIFF_LINES" "$err" | sed 's/^/    /'
	fi

	after=$(manifest "$T/host"; manifest "$T/nest/sub"; manifest "$T/nest/par/in")
	secret_after=$(stat -c '%s %Y.%y' "$T/host/outside/secret.txt" 2>&1)
	if [[ $(cat "$T/host/outside/secret.txt" 2>&1) == secret ]]; then
		pass "$name: host: secret.txt content unchanged"
	else
		fail "$name: host: secret.txt content" "changed"
	fi
	if [[ $secret_after == "$secret_before" ]]; then
		pass "$name: host: secret.txt size and mtime unchanged"
	else
		fail "$name: host: secret.txt size and mtime" "$secret_before -> $secret_after"
	fi
	if [[ $after == "$before" ]]; then
		pass "$name: host: whole tree unchanged (incl. the :ro mount)"
	else
		fail "$name: host: tree changed" "diff follows"
		diff <(printf '%s\n' "$before") <(printf '%s\n' "$after") |
			head -n "$DIFF_LINES" | sed 's/^/    /'
	fi
	local listing
	listing=$(cd "$T/work" && find . -mindepth 1 -printf '%p\n' | LC_ALL=C sort)
	if [[ $listing == ./made-in-cwd && $(cat "$T/work/made-in-cwd") == cwd ]]; then
		pass "$name: host: the cwd holds only made-in-cwd"
	else
		fail "$name: host: the cwd" "holds: $(echo "$listing" | tr '\n' ' ')"
	fi
}

# --no-host-root exposes only the program and the -v mounts, so the cwd is
# mounted explicitly, at its own path.
# The run's directories (a RAM /tmp and /dev/shm) on the host: none may
# be left when a run ends, whatever the program left in them.
dirs_before=$(run_dirs)
run_escape confined --no-host-root -v "$T/host/mnt:/data" -v "$T/host/ro:/ro:ro" \
	-v "$T/work:$T/work" -v "$T/nest:/rw" -v "$T/nest/sub:/rw/nest:ro" \
	-v "$T/nest/par/in:/rw/par/in:ro" -v "$T/host/ro:/ro2" -- confined "$T"
run_escape hostroot -v "$T/host/ro:/ro:ro" -- hostroot "$T"
left=$(run_dirs_since "$dirs_before")
if [[ -z $left ]]; then
	pass "host: the run's directory is removed"
else
	fail "host: the run's directory is left" "$left"
fi
finish
