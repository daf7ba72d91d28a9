#!/bin/bash
# Compatibility check with a real program: Debian's static busybox, run
# natively and as "HXRUN /bin/busybox APPLET ARGS", must give the same
# stdout, stderr and exit status.
#
#   tests/compat/busybox.sh HXRUN
#
# Only applets and shell snippets that never fork or exec are used (checked
# with strace -f): builtins, loops, functions, parameter expansion and
# redirections to files, but no pipes, subshells, command substitution or
# external commands.  The comparison itself -- fixed environment, fresh cwd,
# stdout to a file and to a pipe, "hxrun: " lines dropped from stderr -- is
# the one tests/guest/run.sh uses.  Captured output stays in a directory
# printed at the end when something failed.

set -u

BUSYBOX=/bin/busybox
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../guest/run.sh
source "$here/../guest/run.sh"

if (($# != 1)); then
	echo "usage: $0 HXRUN" >&2
	exit 2
fi
set_hxrun "$1"
if [[ ! -x $BUSYBOX ]]; then
	echo "${0##*/}: $BUSYBOX not found (apt-get install busybox-static)" >&2
	exit 2
fi
results=$(mktemp -d "${TMPDIR:-/tmp}/hx-busybox.XXXXXX")

# bb LABEL APPLET ARGS...: one comparison of "busybox APPLET ARGS".
bb() {
	local label=$1
	shift
	compare "busybox.$label" "$results" /dev/null "busybox $*" "$BUSYBOX" "$@"
}

# Plain applets.
bb echo echo hello world
bb echo-n echo -n x
bb echo-e echo -e 'tab\there\nnewline\c'
bb printf printf '%s-%d\n' a 5
bb seq seq 1 10
bb seq-down seq 5 -1 1
bb expr-mul expr 6 '*' 7
bb expr-add expr 1 + 1
bb expr-length expr length abc
bb expr-zero expr 0 + 0
bb uname-s uname -s
bb uname-m uname -m
bb uname-r uname -r
bb basename basename /a/b/c.txt .txt
bb true true
bb false false
bb test test 3 -gt 2
bb bracket '[' a = b ']'
bb env env
bb pwd pwd
bb ls ls -a
bb sleep sleep 0.1

# Shell snippets built from builtins only.  Single quotes are deliberate:
# the $ expansions are for busybox sh, not for this script.
# shellcheck disable=SC2016
{
	bb sh-arith sh -c 'echo a; x=5; echo $((x*2)); test 1 -lt 2 && echo yes; exit 3'
	bb sh-for sh -c 'for i in 1 2 3; do echo $i; done'
	bb sh-while sh -c 'i=0; while [ $i -lt 100 ]; do i=$((i+1)); done; echo $i'
	bb sh-case sh -c 'for f in a.c b.txt c; do case $f in *.c) echo "$f: C";; *.txt) echo "$f: text";; *) echo "$f: other";; esac; done'
	bb sh-func sh -c 'f() { echo "fn $1 $#"; return 7; }; f one two; echo "rc=$?"'
	bb sh-args sh -c 'set -- a "b c" d; echo $#; shift; for a in "$@"; do echo "[$a]"; done'
	bb sh-params sh -c 'v=hello.tar.gz; echo ${#v} ${v%.gz} ${v%%.*} ${v#*.} ${u:-default} ${v:+set}'
	bb sh-stderr sh -c 'echo to-stdout; echo to-stderr >&2; printf "%s\n" more-stderr 1>&2'
	bb sh-printf sh -c 'printf "%05d|%x|%o|%-4s|%c\n" 42 255 8 ab xyz'
	bb sh-redir sh -c 'echo line1 > f; echo line2 >> f; while read l; do echo "[$l]"; done < f; echo done'
	bb sh-cd sh -c 'cd /; pwd; cd /usr/bin; echo $PWD'
	bb sh-kill0 sh -c 'kill -0 $$ && echo alive'
	bb sh-exit300 sh -c 'echo bye; exit 300'
	bb sh-negate sh -c 'false; echo $?; ! false && echo negated; true || echo never'
	bb sh-readonly sh -c 'x=1; readonly x; x=2; echo unreachable'
	bb sh-div0 sh -c 'echo before; echo $((7 / 0))'
	bb sh-notfound sh -c 'no_such_command_xyz; echo "status $?"'
	bb sh-syntax sh -c 'if then fi'
}

if no_failures; then
	rm -rf "$results"
else
	echo "captured output is in $results"
fi
finish
