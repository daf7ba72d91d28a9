#!/bin/bash
# Fastcall rewriting (issue 7), end to end:
#   1. hxrewrite on Debian's busybox-static, sqlite3 and redis-server and on
#      the libraries and loaders they run with: the counts line, every
#      original loadable segment unchanged, the hx note, a second rewrite
#      refused, and for programs the native-run guard (status 126 and its
#      message instead of a crash);
#   2. hxrun refuses a rewritten file whose fastcall ABI version it does not
#      know (126);
#   3. a program rewritten offline runs under hxrun with the output of the
#      original, and --stats shows its system calls took the fastcall path;
#   4. hxrun rewrites by default (into $XDG_CACHE_HOME/hx), --no-fastcall
#      turns that off, and --fastcall with an unusable cache warns; a guest
#      cannot get its code into the cache (poison.sh, runnable alone);
#   5. the other suites of make test run with the default, fastcalls:
#      here every tests/guest program (five builds each) and the busybox
#      and sqlite3/lua/python3 compatibility scenarios run again with
#      "hxrun --no-fastcall" and must match the native runs as well (a
#      test that fails with fastcalls too is reported, not counted);
#      redis-server answers redis-cli the same rewritten as not.
#
#   tests/fastcall/run.sh HXRUN BUILDDIR
set -u
if (($# != 2)); then
	echo "usage: $0 HXRUN BUILDDIR" >&2
	exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../.." && pwd)
HX=$(realpath "$1")
BUILD=$(realpath -m "$2")
RW=$BUILD/hxrewrite
B=$BUILD/fastcall
rm -rf "$B"
mkdir -p "$B/static" "$B/offline" "$B/orig"
passed=0
failed=0

pass() {
	echo "PASS $1"
	passed=$((passed + 1))
}
fail() {
	echo "FAIL $1: $2"
	failed=$((failed + 1))
	[[ -s $B/err ]] && head -n 20 "$B/err" | sed 's/^/    /'
}

GUARD='this program was rewritten by hxrewrite and runs only under hxrun'

# static_check FILE: rewrite FILE and check the result without running it
# under hxrun.
static_check() {
	local f=$1 name=${1##*/} out=$B/static/${1##*/}.fast
	if ! "$RW" "$f" -o "$out" >"$B/out" 2>"$B/err"; then
		fail "rewrite $name" "hxrewrite failed"
		return
	fi
	if ! grep -Eq "^$f: [0-9]+ syscall sites found, [0-9]+ patched, [0-9]+ left$" "$B/out"; then
		fail "rewrite $name" "no counts line"
		return
	fi
	sed -n 1p "$B/out"
	# Every original PT_LOAD, byte for byte the same header line, in order.
	readelf -lW "$f" | grep '^ *LOAD' >"$B/load.orig"
	readelf -lW "$out" | grep '^ *LOAD' >"$B/load.new"
	if [[ $(head -n "$(wc -l <"$B/load.orig")" "$B/load.new") != "$(cat "$B/load.orig")" ]] ||
		(($(wc -l <"$B/load.new") != $(wc -l <"$B/load.orig") + 1)); then
		fail "rewrite $name" "original segments changed or no new segment"
		return
	fi
	if ! readelf -nW "$out" 2>/dev/null | grep -Eq '^ +hx +0x00000004'; then
		fail "rewrite $name" "no hx note"
		return
	fi
	if "$RW" "$out" -o "$B/static/again" >/dev/null 2>"$B/err" ||
		! grep -q 'already rewritten' "$B/err"; then
		fail "rewrite $name" "a rewritten file was rewritten again"
		return
	fi
	rm -f "$B/err"
	pass "rewrite $name"
}

# guard_check FILE: the rewritten program run natively stops cleanly.
guard_check() {
	local out=$B/static/${1##*/}.fast st
	"$out" --help >/dev/null 2>"$B/err" </dev/null
	st=$?
	if ((st == 126)) && grep -q "^$out: $GUARD\$" "$B/err"; then
		rm -f "$B/err"
		pass "native guard ${1##*/}"
	else
		fail "native guard ${1##*/}" "status $st"
	fi
}

echo "== hxrewrite on Debian programs and libraries"
for f in /bin/busybox /usr/bin/sqlite3 /usr/bin/redis-server; do
	static_check "$f"
	guard_check "$f"
done
for f in /lib/x86_64-linux-gnu/libc.so.6 /lib64/ld-linux-x86-64.so.2 \
	/lib/x86_64-linux-musl/libc.so "$(ldd /usr/bin/redis-server | awk '/libssl/ { print $3 }')"; do
	[[ -n $f ]] && static_check "$f"
done

echo "== an unknown fastcall ABI version"
musl-gcc -static -O2 -o "$B/orig/hello" "$root/tests/demo/hello.c"
"$RW" "$B/orig/hello" -o "$B/offline/hello" >/dev/null
cp "$B/offline/hello" "$B/v2"
# The note's descriptor: 16 bytes into the last PT_NOTE (12-byte header, "hx\0" padded).
off=$(readelf -lW "$B/v2" | awk '$1 == "NOTE" { o = $2 } END { print o }')
v=$(awk '$2 == "HX_FASTCALL_VERSION" { print $3 }' "$root/include/hx/abi.h")
printf "\\$(printf %o $((v + 1)))" | dd of="$B/v2" bs=1 seek=$((off + 16)) conv=notrunc status=none
"$HX" "$B/v2" >/dev/null 2>"$B/err"
st=$?
if ((st == 126)) && grep -q "fastcall ABI version $((v + 1)); this hxrun runs version $v" "$B/err"; then
	rm -f "$B/err"
	pass "unknown version refused"
else
	fail "unknown version refused" "status $st"
fi

echo "== programs rewritten offline, under hxrun"
# offline NAME ARGS...: B/orig/NAME and B/offline/NAME (its rewrite) run
# under hxrun as ./NAME in their own directories: same output and status
# (the original with --no-fastcall: as it is).
offline() {
	local name=$1 o r so sr
	shift
	o=$(cd "$B/orig" && "$HX" --no-fastcall "./$name" "$@" 2>&1 </dev/null)
	so=$?
	r=$(cd "$B/offline" && "$HX" "./$name" "$@" 2>&1 </dev/null)
	sr=$?
	if [[ $o == "$r" && $so == "$sr" ]]; then
		pass "offline $name $*"
	else
		printf '%s\n--- rewritten:\n%s\n' "$o" "$r" >"$B/err"
		fail "offline $name $*" "output or status differs ($so, $sr)"
	fi
}
offline hello
cp /bin/busybox "$B/orig/busybox"
"$RW" /bin/busybox -o "$B/offline/busybox" >/dev/null
offline busybox echo fastcall
offline busybox sh -c 'i=0; while [ $i -lt 50 ]; do i=$((i+1)); done; echo $i; cat /etc/hostname'
offline busybox ls -l /usr/share/doc/busybox-static
# Most system calls must take the fastcall path: everything but
# exit_group here.
# fastcalls_in: the fastcall count in hxrun --stats output on stdin.
fastcalls_in() {
	sed -n 's/^hxrun: stats: [0-9]* system calls (.* \([0-9][0-9]*\) fastcall)$/\1/p'
}
stats=$(cd "$B/offline" && "$HX" --stats ./hello 2>&1 >/dev/null)
fast=$(fastcalls_in <<<"$stats")
if [[ -n $fast ]] && ((fast > 0)); then
	pass "fastcalls counted ($fast)"
else
	echo "$stats" >"$B/err"
	fail "fastcalls counted" "no fastcalls in --stats"
fi

echo "== fastcalls by default"
# Without options hxrun rewrites into $XDG_CACHE_HOME/hx; --no-fastcall
# does not; --fastcall with a cache it cannot use warns and runs as it is.
d=$(XDG_CACHE_HOME="$B/xdg" "$HX" --stats "$B/orig/hello" 2>&1 >/dev/null | fastcalls_in)
n=$(XDG_CACHE_HOME="$B/xdg" "$HX" --stats --no-fastcall "$B/orig/hello" 2>&1 >/dev/null | fastcalls_in)
w=$("$HX" --fastcall --fastcall-cache /proc/hx-no-cache "$B/orig/hello" 2>&1)
if [[ -n $d && -n $n ]] && ((d > 0 && n == 0)) && ls "$B/xdg/hx" | grep -q -- '-hello$' &&
	[[ $w == *"running without fastcalls"*"Hello from"* ]]; then
	pass "default on ($d fastcalls), --no-fastcall off, an unusable cache warns"
else
	printf 'default %s, --no-fastcall %s\n%s\n' "$d" "$n" "$w" >"$B/err"
	fail "fastcalls by default" "default $d, --no-fastcall $n"
fi

echo "== a program rewritten after the monitor's seccomp filter is on"
# The first run caches dash (and its loader and libc); the second starts
# with everything cached, and dash's child execs tr, which is not yet: the
# monitor rewrites it under its seccomp filter (glibc's qsort then calls
# sysinfo once).
rm -rf "$B/xdg-exec"
XDG_CACHE_HOME="$B/xdg-exec" "$HX" /bin/dash -c true </dev/null >/dev/null 2>&1
o=$(XDG_CACHE_HOME="$B/xdg-exec" "$HX" /bin/dash -c 'echo abc | /usr/bin/tr a-z A-Z; echo $?' </dev/null 2>"$B/err")
if [[ $o == $'ABC\n0' ]] && ls "$B/xdg-exec/hx" | grep -q -- '-tr$'; then
	pass "an execve rewrites its program into the cache"
else
	fail "an execve rewrites its program into the cache" "output '$o'"
fi

# The running program's own file again (dash running dash, git its
# subcommands): the guest's open of it reads the copy, read-only in the
# cache, and the exec must not ask the copy for X_OK.
o=$(XDG_CACHE_HOME="$B/xdg-exec" "$HX" /bin/dash -c '/bin/dash -c "echo again"; echo $?' </dev/null 2>"$B/err")
if [[ $o == $'again\n0' ]]; then
	pass "a program execs its own (rewritten, cached) file"
else
	fail "a program execs its own (rewritten, cached) file" "output '$o'"
fi

echo "== the cache against its guests"
while IFS= read -r line; do
	case $line in
	PASS*) passed=$((passed + 1)) ;;
	FAIL*) failed=$((failed + 1)) ;;
	*" passed, "*" failed") continue ;;
	esac
	echo "$line"
done < <("$here/poison.sh" "$HX" "$BUILD" 2>&1)

echo "== hxrun --no-fastcall: guest programs and compatibility scenarios"
# make test runs every suite with hxrun's default, fastcalls; here they run
# again with syscall instructions, the path of programs hxrun cannot
# rewrite. The test runners take one HXRUN executable and a clean
# environment: a compiled wrapper adds the option (a shell script would
# add PWD to the program's environment and reorder it).
cc -O2 -Wall -Wextra -Werror -DHXRUN="\"$HX\"" -o "$B/hxrun-nofastcall" -x c - <<'EOF'
#include <unistd.h>
int main(int argc, char **argv)
{
    char *args[argc + 2];
    args[0] = HXRUN;
    args[1] = "--no-fastcall";
    for (int i = 1; i <= argc; i++)
        args[i + 1] = argv[i];
    execv(HXRUN, args);
    return 127;
}
EOF
mkdir -p "$BUILD/guest"
ln -sfn "$BUILD/guest" "$B/guest" # the guest test binaries, built once
# suite NAME RUNNER: one suite with the wrapper. A label that fails there
# counts against the syscall-instruction path only when it passes with
# the default: the guest tests that fail are run again to tell.
suite() {
	local name=$1 log=$B/$1.log
	shift
	"$@" >"$log" 2>&1
	tail -n 1 "$log"
	grep -q '^FAIL' "$log" || return 0
	local -a names
	mapfile -t names < <(sed -n -E 's/^FAIL ([^.#]+)[.#].*/\1/p' "$log" | sort -u)
	if [[ $name == guest ]]; then
		mkdir -p "$B/default"
		ln -sfn "$BUILD/guest" "$B/default/guest"
		"$root/tests/guest/run.sh" "$HX" "$B/default" "${names[@]}" >"$B/default.log" 2>&1
	else
		"${@:1:1}" "$HX" >"$B/default.log" 2>&1 # the compat scripts take HXRUN only
	fi
	local label regress=0
	while read -r label; do
		if grep -q "^PASS $label\$" "$B/default.log"; then
			echo "  $label fails only with syscall instructions"
			regress=1
		else
			echo "  $label fails with fastcalls too (not counted)"
		fi
	done < <(sed -n -E 's/^FAIL ([^:]+):.*/\1/p' "$log")
	return $regress
}
suites=0
suite guest "$root/tests/guest/run.sh" "$B/hxrun-nofastcall" "$B" || suites=1
suite busybox "$root/tests/compat/busybox.sh" "$B/hxrun-nofastcall" || suites=1
suite programs "$root/tests/compat/programs.sh" "$B/hxrun-nofastcall" || suites=1
echo "== redis-server with and without fastcalls (sockets)"
# The replies of a few commands, from redis-server under hxrun with
# fastcalls and without: the same.
redis_replies() {
	local port=$1 pid i
	shift
	"$@" /usr/bin/redis-server --port "$port" --save '' --appendonly no >/dev/null 2>&1 &
	pid=$!
	for i in $(seq 50); do
		redis-cli -p "$port" ping >/dev/null 2>&1 && break
		sleep 0.2
	done
	redis-cli -p "$port" ping
	redis-cli -p "$port" set key fastcall
	redis-cli -p "$port" incrby counter 42
	redis-cli -p "$port" get key
	redis-cli -p "$port" shutdown nosave >/dev/null 2>&1
	wait "$pid" 2>/dev/null
}
if command -v redis-cli >/dev/null; then
	port=$((20000 + $$ % 20000))
	o=$(redis_replies "$port" "$B/hxrun-nofastcall")
	r=$(redis_replies "$((port + 1))" "$HX" --fastcall --fastcall-cache "$B/cache")
	if [[ $o == "$r" && $o == *PONG* ]]; then
		pass "redis-server rewritten"
	else
		printf '%s\n--- rewritten:\n%s\n' "$o" "$r" >"$B/err"
		fail "redis-server rewritten" "replies differ"
	fi
fi

if ((suites == 0)); then
	pass "guest, busybox and programs suites with --no-fastcall"
else
	fail "guest, busybox and programs suites with --no-fastcall" "see $B/*.log"
fi

echo "$passed passed, $failed failed"
((failed == 0))
