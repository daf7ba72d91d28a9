#!/bin/bash
# Compatibility check on processes: real programs that fork, exec, wait
# and signal -- dash, bash and busybox sh scripts, python3's subprocess,
# os.fork, posix_spawn and multiprocessing, perl and lua5.4 running
# commands, make -j2 building a C project with gcc, git -- run natively and
# as "HXRUN -- CMD...", must give the same stdout, stderr (hxrun's own
# "hxrun: " lines dropped) and exit status.
#
#   tests/compat/procs.sh HXRUN BUILDDIR [NAME-PATTERN]
#
# Each case runs in a fresh empty directory under /tmp (the same path for
# the native and the hxrun run, emptied and prepared again in between), with
# stdin /dev/null, stdout to a file, the environment
#   PATH=/usr/bin:/bin LC_ALL=C HOME=DIR [XDG_CACHE_HOME=...]
# and "timeout 60".  The native run's status must be what the case expects
# (0 unless said otherwise), so a broken case cannot pass.  A case may also
# name files it leaves behind (make's objects), compared byte for byte.
# One PASS/FAIL line per case; captured output is kept in
# BUILDDIR/results/procs/NAME/.  A NAME-PATTERN (a bash glob) runs only the
# cases whose names match.
#
# The last case is hxrun's alone: "kill -9" of the top hxrun of a tree of
# processes must leave no hxrun process behind.

# The cases are shell scripts in single quotes, expanded by their shell.
# Setup functions are called by name (pc -p).
# shellcheck disable=SC2016,SC2317
set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# pass, fail, finish, set_hxrun, filter_stderr, show_diff, describe_status
# shellcheck source-path=SCRIPTDIR source=../guest/run.sh
source "$here/../guest/run.sh"

TIME_LIMIT=60
PYTHON=/usr/bin/python3
PERL=/usr/bin/perl
LUA=/usr/bin/lua5.4
SHELLS=(/bin/dash /bin/bash "/bin/busybox sh")

pattern='*'
results=""

# Cases of behaviour hx does not have yet, each with its issue: skipped (one
# SKIP line each) unless HX_PENDING=1, so that make test stays green and
# they are one variable away when the work lands.
PENDING=(
	dash.ps bash.ps         # /proc/PID/stat, which procps reads (issue 18)
)

# ---- one case ----

# selected NAME: whether case NAME runs: it matches the name pattern and
# is not PENDING (then a SKIP line), unless HX_PENDING=1.
selected() {
	# shellcheck disable=SC2053
	[[ $1 == $pattern ]] || return 1
	local p
	for p in "${PENDING[@]}"; do
		if [[ $1 == "$p" && ${HX_PENDING:-0} != 1 ]]; then
			echo "SKIP $1 (pending, see PENDING)"
			return 1
		fi
	done
}

# pc NAME [-s STATUS] [-p SETUP] [-k FILE]... [-S] -- CMD...
#   -s STATUS  the native run must end with STATUS (default 0)
#   -p SETUP   run "SETUP DIR" to populate the directory before each run
#   -k FILE    keep FILE (relative to the directory) and compare it with cmp
#   -S         compare stdout sorted (make -j2's lines come in any order)
pc() {
	local name=$1
	shift
	local want=0 setup="" sorted=0 keep=()
	while [[ $1 != -- ]]; do
		case $1 in
		-s)
			want=$2
			shift
			;;
		-p)
			setup=$2
			shift
			;;
		-k)
			keep+=("$2")
			shift
			;;
		-S) sorted=1 ;;
		*)
			echo "pc: bad option $1" >&2
			exit 2
			;;
		esac
		shift
	done
	shift
	selected "$name" || return 0
	local res=$results/$name
	rm -rf "$res"
	mkdir -p "$res"
	printf '%q ' "$@" >"$res/cmd"
	local dir who st_native=0 st_hxrun=0
	dir=$(mktemp -d "${TMPDIR:-/tmp}/hx-procs.XXXXXX")
	for who in native hxrun; do
		chmod -R u+rwX "$dir"
		find "$dir" -mindepth 1 -delete
		[[ -n $setup ]] && "$setup" "$dir"
		local runner=()
		[[ $who == hxrun ]] && runner=("$HXRUN" --)
		local env=(PATH=/usr/bin:/bin LC_ALL=C "HOME=$dir"
			${XDG_CACHE_HOME:+"XDG_CACHE_HOME=$XDG_CACHE_HOME"})
		local t0=$EPOCHREALTIME
		{
			(cd "$dir" && exec timeout -k 5 "$TIME_LIMIT" \
				env -i "${env[@]}" "${runner[@]}" "$@" </dev/null \
				>"$res/out.$who" 2>"$res/err.raw.$who")
			printf -v "st_$who" %d $?
		} 2>/dev/null
		echo "$t0 $EPOCHREALTIME" >"$res/time.$who"
		filter_stderr "$who" "$res/err.raw.$who" "$res/err.$who"
		if ((sorted)); then
			sort "$res/out.$who" >"$res/out.sorted.$who"
			mv "$res/out.sorted.$who" "$res/out.$who"
		fi
		local f
		mkdir -p "$res/keep.$who"
		for f in "${keep[@]}"; do
			[[ -f $dir/$f ]] && cp "$dir/$f" "$res/keep.$who/${f//\//_}"
		done
	done
	chmod -R u+rwX "$dir"
	rm -rf "$dir"

	if ((st_native != want)); then
		fail "$name" "native run ended with $(describe_status "$st_native"), not $want (broken case)"
		show_diff stderr /dev/null "$res/err.native"
		return
	fi
	local why=()
	((st_native == st_hxrun)) ||
		why+=("status $(describe_status "$st_hxrun"), native $st_native")
	cmp -s "$res/out.native" "$res/out.hxrun" || why+=("stdout differs")
	cmp -s "$res/err.native" "$res/err.hxrun" || why+=("stderr differs")
	for f in "${keep[@]}"; do
		f=${f//\//_}
		if [[ ! -f $res/keep.native/$f ]]; then
			why+=("native run left no $f")
		elif [[ ! -f $res/keep.hxrun/$f ]]; then
			why+=("hxrun run left no $f")
		elif ! cmp -s "$res/keep.native/$f" "$res/keep.hxrun/$f"; then
			why+=("$f differs")
		fi
	done
	if ((${#why[@]} == 0)); then
		pass "$name"
		return
	fi
	local IFS=,
	fail "$name" "${why[*]}"
	cmp -s "$res/out.native" "$res/out.hxrun" ||
		show_diff stdout "$res/out.native" "$res/out.hxrun"
	cmp -s "$res/err.native" "$res/err.hxrun" ||
		show_diff stderr "$res/err.native" "$res/err.hxrun"
}

# ---- 1. shells ----

setup_script() {
	printf '#!/bin/sh\necho "script $1 $#"\nexit 4\n' >"$1/t.sh"
	chmod +x "$1/t.sh"
}

setup_txt() {
	mkdir "$1/sub"
	echo one >"$1/a.txt"
	echo two >"$1/sub/b.txt"
	echo three >"$1/c.txt"
	echo no >"$1/d.dat"
}

# sh_case NAME [pc options] -- SCRIPT: the script under each shell.
sh_case() {
	local name=$1
	shift
	local opts=()
	while [[ $1 != -- ]]; do
		opts+=("$1")
		shift
	done
	local script=$2 sh
	for sh in "${SHELLS[@]}"; do
		local label=${sh##*/}
		label=${label// /-}
		# shellcheck disable=SC2086
		pc "$label.$name" "${opts[@]}" -- $sh -c "$script"
	done
}

shells() {
	sh_case pipeline -- 'seq 1 1000 | sort -r | head -3'
	sh_case substitution -- 'a=$(echo one; echo two); b=`echo three`
echo "$a" $b $(echo $(echo nested) `echo back`)'
	sh_case subshell -- 'x=1; (x=2; echo in $x; exit 3); echo out $x $?
(echo piped; exit 0) | tr a-z A-Z'
	sh_case background-wait -- 'sleep 0.1 & wait $!; echo $?
(exit 7) & wait $!; echo $?
false & true & wait; echo all $?'
	# busybox sh says Terminated, or not, by the timing: not compared
	sh_case wait-killed -- 'sleep 10 & sleep 0.2; kill $!; wait $! 2>/dev/null; echo $?'
	sh_case stop-cont -- 'sleep 0.5 & p=$!; kill -STOP $p; kill -CONT $p; wait $p; echo $?'
	sh_case trap-exit -- "trap 'echo trapped' EXIT; echo body"
	sh_case trap-term -s 5 -- "trap 'echo got TERM; exit 5' TERM; echo before; kill -TERM \$\$; echo after"
	sh_case set-e -s 1 -- 'set -e; echo a; false; echo b'
	sh_case heredoc -- 'cat <<EOF
line $((1 + 2))
$(echo sub)
EOF
cat <<"X"
$literal `x`
X'
	sh_case loop-20 -- 's=; for i in $(seq 1 20); do s="$s $(echo $i)"; done; echo $s'
	sh_case pipe-status -- 'false | true; echo $?; true | false; echo $?'
	sh_case read-pipe -- 'echo a b | { read x y; echo $y $x; }'
	sh_case getppid -- 'echo $(( $$ == $(sh -c "echo \$PPID") ))'
	sh_case script-by-path -s 4 -p setup_script -- './t.sh arg; echo $?; sh ./t.sh a b; echo $?; ./t.sh last'
	sh_case exec -- '(exec sh -c "echo inner \$0" name); exec echo replaced; echo not reached'
	sh_case command-v -- 'command -v sh; command -v echo; command -v nonexistent; echo $?'
	sh_case xargs -- 'printf "%s\n" 4 3 2 1 | xargs -P2 -n1 echo | sort'
	sh_case find-exec -p setup_txt -- "find . -name '*.txt' -exec cat {} + | sort"
	sh_case env -- "env VAR=1 sh -c 'echo \$VAR'"
	sh_case timeout -- 'timeout 1 sleep 5; echo $?'
	sh_case nohup -- 'nohup true; echo $?; nohup echo out'
	sh_case dev-null -- 'cat </dev/null; echo $?; /bin/echo x >/dev/null; echo $?
(exec </dev/null; cat; echo $?)'
	sh_case sigpipe -- 'yes | head -3; seq 1 100000 | head -1'
	sh_case cwd-umask -- 'mkdir sub && cd sub && /bin/pwd | sed "s|.*/||"; umask 027; touch f; stat -c %a f'
	sh_case fd-inherit -- 'exec 3>out.txt; echo one >&3; sh -c "echo two >&3"; /bin/echo three >&3; cat out.txt'
	pc bash.process-substitution -- /bin/bash -c 'diff <(printf "a\nb\n") <(printf "a\nc\n"); echo $?; cat <(echo x) <(echo y)'
	pc bash.coproc -- /bin/bash -c 'coproc tr a-z A-Z; echo hello >&${COPROC[1]}; exec {COPROC[1]}>&-; read -r l <&${COPROC[0]}; echo $l; wait'
	pc bash.wait-n -- /bin/bash -c 'sleep 0.3 & (exit 4) & wait -n; echo $?; wait; echo $?'
	pc bash.proc-self-exe -- /bin/bash -c 'exec /proc/self/exe -c "echo via proc"'
	sh_case signal-default -s 130 -- 'echo before; kill -INT $$; echo after'
	sh_case ignored-inherited -- 'trap "" USR1; sh -c "kill -USR1 \$\$; echo survived"'
	sh_case ulimit-inherited -- 'ulimit -n 77; sh -c "ulimit -n"'
	# busybox sh has no job control without a terminal
	local sh
	for sh in dash bash; do
		pc "$sh.job-pgroup" -- "/bin/$sh" -c 'set -m; (sleep 5 & sleep 5 & wait) & p=$!; sleep 0.3; kill -TERM -$p; wait $p; echo $?'
	done
	sh_case tar-gzip -p setup_txt -- 'tar czf t.tgz a.txt sub c.txt && tar tzf t.tgz | sort && tar xzOf t.tgz sub/b.txt'
	sh_case awk -- 'awk "BEGIN { system(\"echo sys\"); while ((\"seq 3\" | getline l) > 0) s += l; print s; print \"to sort\" | \"cat\" }"'
	sh_case nice -- 'nice -n 5 nice'
	sh_case flock -- 'flock lockfile -c "echo locked"; echo $?'
	sh_case stdbuf -- 'stdbuf -oL sh -c "echo line"'
	# procps's ps (busybox sh would run its own, which has no -p)
	for sh in dash bash; do
		pc "$sh.ps" -- "/bin/$sh" -c 'ps -o comm= -p $$; sleep 1 & ps -o comm= --ppid $$'
	done
	pc bash.pipefail -s 3 -- /bin/bash -c 'set -o pipefail; false | true; echo $?
true | (exit 3) | true; echo $? ${PIPESTATUS[*]}
set -e; true | (exit 3) | true; echo not reached'
	pc direct-script -s 4 -p setup_script -- ./t.sh arg
}

# ---- 2. python3 ----

setup_mp() {
	cat >"$1/pool.py" <<'PY'
import multiprocessing, sys
if __name__ == '__main__':
    multiprocessing.set_start_method(sys.argv[1])
    with multiprocessing.Pool(2) as p:
        print(sys.argv[1], p.map(abs, range(-5, 5)))
PY
	cat >"$1/futures.py" <<'PY'
import concurrent.futures
if __name__ == '__main__':
    with concurrent.futures.ProcessPoolExecutor(2) as ex:
        print(list(ex.map(abs, range(-5, 5))))
PY
}

python() {
	local py=("$PYTHON" -I -c)
	pc python.run-ls -- "${py[@]}" '
import subprocess
r = subprocess.run(["ls", "/"], capture_output=True)
print(r.returncode, r.stdout.split(), r.stderr)'
	pc python.check-output-shell -- "${py[@]}" '
import subprocess
print(subprocess.check_output("seq 1 100 | grep 7 | wc -l", shell=True))'
	pc python.popen-communicate -- "${py[@]}" '
from subprocess import Popen, PIPE
p = Popen(["tr", "a-z", "A-Z"], stdin=PIPE, stdout=PIPE)
out, _ = p.communicate(b"hello\n" * 20000)
print(len(out), out[:12], p.returncode)'
	pc python.fork-waitpid -- "${py[@]}" '
import os, sys
sys.stdout.flush()
pid = os.fork()
if pid == 0:
    print("child", os.getppid() != 0)
    sys.stdout.flush()
    os._exit(7)
_, st = os.waitpid(pid, 0)
print("parent", os.WIFEXITED(st), os.WEXITSTATUS(st))'
	pc python.posix-spawn -- "${py[@]}" '
import os
pid = os.posix_spawn("/bin/echo", ["echo", "spawned"], {})
print(os.waitpid(pid, 0)[1])'
	pc python.system -- "${py[@]}" '
import os, sys
print(os.system("exit 3") >> 8); sys.stdout.flush()
print(os.system("echo from system"))'
	pc python.mp-fork -p setup_mp -- "$PYTHON" -I pool.py fork
	pc python.mp-spawn -p setup_mp -- "$PYTHON" -I pool.py spawn
	pc python.mp-forkserver -p setup_mp -- "$PYTHON" -I pool.py forkserver
	pc python.process-pool -p setup_mp -- "$PYTHON" -I futures.py
	pc python.timeout-expired -- "${py[@]}" '
import subprocess
try:
    subprocess.run(["sleep", "5"], timeout=0.3)
except subprocess.TimeoutExpired as e:
    print("expired", e.cmd)'
	pc python.kill-child -- "${py[@]}" '
import subprocess, signal
p = subprocess.Popen(["sleep", "5"])
p.send_signal(signal.SIGUSR1)
print(p.wait())'
	pc python.resetids -- "${py[@]}" '
import os
pid = os.posix_spawn("/bin/echo", ["echo", "reset ids"], {}, resetids=True)
print(os.waitpid(pid, 0)[1])'
	pc python.shared-mmap -- "${py[@]}" '
import mmap, os
fd = os.memfd_create("x")
os.ftruncate(fd, 4096)
m = mmap.mmap(fd, 4096)
a = mmap.mmap(-1, 4096)
pid = os.fork()
if pid == 0:
    m[0:5] = b"child"
    a[0:4] = b"anon"
    os._exit(0)
os.waitpid(pid, 0)
print(m[0:5], a[0:4])'
	pc python.shared-memory -- "${py[@]}" '
import os
from multiprocessing import shared_memory
s = shared_memory.SharedMemory(create=True, size=16)
pid = os.fork()
if pid == 0:
    c = shared_memory.SharedMemory(s.name)
    c.buf[0:2] = b"hi"
    c.close()
    os._exit(0)
os.waitpid(pid, 0)
print(bytes(s.buf[0:2]))
s.close()
s.unlink()'
	pc python.signal-sibling -- "${py[@]}" '
import os, signal, sys
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    def h(s, f):
        os.write(1, b"child got SIGUSR1\n")
        os._exit(9)
    signal.signal(signal.SIGUSR1, h)
    os.write(w, b"r")
    while True:
        signal.pause()
os.read(r, 1)
os.kill(pid, signal.SIGUSR1)
print(os.waitpid(pid, 0)[1] >> 8)'
	pc python.popen-options -- "${py[@]}" '
import os, subprocess
r, w = os.pipe()
p = subprocess.run(["sh", "-c", "echo through fd $0 >&$0", str(w)], pass_fds=[w])
os.close(w)
print(os.read(r, 100))
p = subprocess.run(["/usr/bin/python3", "-c", "import os; print(os.getsid(0) == os.getpid())"], start_new_session=True, capture_output=True)
print(p.stdout)
print(subprocess.run(["sh", "-c", "echo $X"], preexec_fn=lambda: os.environ.update(X="pre"), capture_output=True).stdout)
print(subprocess.run("exit 3", shell=True).returncode, subprocess.run(["true"], cwd="/").returncode)'
	pc perl.fork-open -- "$PERL" -e '
my $pid = open(my $fh, "-|") // die "fork: $!";
if (!$pid) { print "from kid\n"; exit 3 }
print "got ", <$fh>; close $fh; print "st ", $? >> 8, "\n";
my $k = fork(); if (!$k) { exit 5 } waitpid($k, 0); print "waited ", $? >> 8, "\n";'
	pc python.nonexistent -s 1 -- "${py[@]}" '
import subprocess
subprocess.run(["/nonexistent"])'
}

# ---- 3. perl, lua ----

perl_lua() {
	pc perl.system -- "$PERL" -e '
system("echo", "sys"); print "status ", $? >> 8, "\n";
system("exit 3"); print "status ", $? >> 8, "\n";'
	pc perl.backticks -- "$PERL" -e '
my $x = `echo hi; echo there`; print length($x), " $x";
my @l = `seq 3`; print scalar(@l), "\n";'
	pc perl.open-pipe -- "$PERL" -e '
open(my $f, "-|", "echo", "hi") or die; print "got ", <$f>; close $f; print "st $?\n";
open(my $g, "|-", "tr", "a-z", "A-Z") or die; print $g "to tr\n"; close $g;'
	pc lua.os-execute -- "$LUA" -e '
print(os.execute("exit 3")); print(os.execute("true")); print(os.execute())'
	pc lua.io-popen -- "$LUA" -e '
local f = io.popen("seq 3"); print(f:read("a")); print(f:close())
local g = io.popen("tr a-z A-Z", "w"); g:write("to tr\n"); print(g:close())'
}

# ---- 4. make -j2 with gcc ----

setup_make() {
	cat >"$1/common.h" <<'EOF'
#ifndef COMMON_H
#define COMMON_H
int square(int x);
const char *greeting(void);
#endif
EOF
	cat >"$1/main.c" <<'EOF'
#include <stdio.h>
#include "common.h"
int main(void) {
	printf("%s %d\n", greeting(), square(12));
	return 0;
}
EOF
	cat >"$1/square.c" <<'EOF'
#include "common.h"
int square(int x) { return x * x; }
EOF
	cat >"$1/greeting.c" <<'EOF'
#include "common.h"
const char *greeting(void) { return "hello from make"; }
EOF
	printf '%s\n' 'CC = gcc' 'CFLAGS = -O2 -Wall' \
		'OBJS = main.o square.o greeting.o' \
		'prog: $(OBJS)' '	$(CC) -o $@ $(OBJS)' \
		'%.o: %.c common.h' '	$(CC) $(CFLAGS) -c $<' \
		'run: prog' '	./prog' >"$1/Makefile"
}

setup_make_recursive() {
	mkdir "$1/sub"
	printf '%s\n' 'all:' '	@echo top $(shell echo shelled)' '	@$(MAKE) -s -C sub' >"$1/Makefile"
	printf '%s\n' 'all:' '	@echo sub $(MAKELEVEL)' >"$1/sub/Makefile"
}

make_gcc() {
	pc make.recursive -p setup_make_recursive -- /usr/bin/make -s
	pc make.j2-gcc -S -p setup_make -k main.o -k square.o -k greeting.o -k prog \
		-- /usr/bin/make -j2 run
}

# ---- 5. git ----

setup_git() {
	cat >"$1/git.sh" <<'EOF'
set -e
export GIT_AUTHOR_DATE='2024-01-02T03:04:05Z' GIT_COMMITTER_DATE='2024-01-02T03:04:05Z'
git -c init.defaultBranch=main init -q repo
cd repo
git config user.name 'Test User'
git config user.email test@example.com
printf 'one\ntwo\n' >a.txt
echo b >b.txt
git add a.txt b.txt
git commit -q -m first
printf 'one\n2\n' >a.txt
echo new >c.txt
git status --short
git diff
git commit -q -am second
git log --oneline
git gc -q
git count-objects -v | grep -v size
git fsck --no-progress && echo fsck ok
printf '#!/bin/sh\necho hook ran >&2\n' >.git/hooks/pre-commit
chmod +x .git/hooks/pre-commit
echo d >d.txt
git add d.txt
git commit -q -m third
git -c core.pager=cat log --format=%s | head -1
EOF
}

git_case() {
	pc git.steps -p setup_git -- /bin/sh git.sh
}

# ---- 6. many processes; kill -9 of the top hxrun ----

trees() {
	pc bash.64-true -- /bin/bash -c 'for i in $(seq 64); do true & done; wait; echo done $?'
	pc bash.64-subshells -- /bin/bash -c 'for i in $(seq 64); do (echo $i >f$i) & done; wait; ls | wc -l; cat f* | sort -n | tail -1'
	local name=hxrun.kill-9-tree
	selected "$name" || return 0
	# A unique sleep duration marks every process of this tree.
	local marker=30.$$$RANDOM n=0 i top dirs_before dirs_left
	# The run's directory (run_dir.c), made as the top starts: its janitor
	# removes it after a kill -9 too.
	dirs_before=$(run_dirs)
	env -i PATH=/usr/bin:/bin LC_ALL=C ${XDG_CACHE_HOME:+"XDG_CACHE_HOME=$XDG_CACHE_HOME"} \
		"$HXRUN" -- /bin/sh -c "sleep $marker & sleep $marker & wait" </dev/null >/dev/null 2>&1 &
	top=$!
	for ((i = 0; i < 100; i++)); do
		n=$(pgrep -c -f -- "$marker")
		((n >= 3)) && break
		sleep 0.1
	done
	if ((n < 3)); then
		fail "$name" "only $n processes of the tree started"
	else
		echo "$n processes before kill -9" >"$results/$name.log"
		kill -9 "$top"
		for ((i = 0; i < 20; i++)); do
			n=$(pgrep -c -f -- "$marker")
			((n == 0)) && break
			sleep 0.1
		done
		for ((i = 0; i < 20; i++)); do
			dirs_left=$(run_dirs_since "$dirs_before")
			[[ -z $dirs_left ]] && break
			sleep 0.1
		done
		if [[ -n $dirs_left ]]; then
			fail "$name" "the run's directory is left 2 s after kill -9 of the top hxrun: $dirs_left"
		elif ((n == 0)); then
			pass "$name"
		else
			fail "$name" "$n processes left 2 s after kill -9 of the top hxrun:"
			pgrep -a -f -- "$marker" | sed 's/^[0-9]* /    /'
		fi
	fi
	wait "$top" 2>/dev/null
	local left
	left=$(pgrep -f -- "$marker")
	# shellcheck disable=SC2086 # one pid a word
	[[ -z $left ]] || kill -9 $left 2>/dev/null
}

main() {
	if (($# < 2 || $# > 3)); then
		echo "usage: $0 HXRUN BUILDDIR [NAME-PATTERN]" >&2
		exit 2
	fi
	set_hxrun "$1"
	pattern=${3:-*}
	local missing=() p
	for p in "$PYTHON:python3" "$PERL:perl" "$LUA:lua5.4" /bin/busybox:busybox-static \
		/usr/bin/gcc:gcc /usr/bin/make:make /usr/bin/git:git; do
		[[ -x ${p%%:*} ]] || missing+=("${p#*:}")
	done
	if ((${#missing[@]} > 0)); then
		echo "${0##*/}: missing programs (apt-get install ${missing[*]})" >&2
		exit 2
	fi
	mkdir -p "$2/results/procs"
	results=$(cd "$2/results/procs" && pwd)
	shells
	python
	perl_lua
	make_gcc
	git_case
	trees
	finish
}

main "$@"
