#!/bin/bash
# Compatibility check on files: Debian's static busybox applets working on
# a fixed directory tree -- ls -l, cat, wc, sort, md5sum, find, gzip and
# gunzip, tar, cp/mv/rm -- run natively and as "HXRUN /bin/busybox APPLET
# ARGS", must give the same stdout, stderr and exit status, and leave the
# same files behind.
#
#   tests/compat/files.sh HXRUN
#
# Each scenario is a list of steps (one applet each: busybox applets that
# never fork, checked with strace -f) run in a fresh directory populated
# by a setup function; the native steps run first, then the directory is
# emptied and populated again and the hxrun steps run in it (same path, so
# the same output).  Every step is compared as tests/guest/run.sh compares
# a program (its functions are used): stdout to a file and to a pipe,
# "hxrun: " lines dropped from stderr.  A step's native status must be
# what the scenario expects (0 unless said otherwise), so a broken scenario
# cannot pass.  "snapshot" steps compare the directory's contents as the
# host sees them (names, types, modes, sizes, link targets, md5sums).
#
# programs.sh sources this file for scenario/step/snapshot; nothing below
# the definitions runs unless the script is executed directly.

set -u

BUSYBOX=/bin/busybox
files_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source-path=SCRIPTDIR source=../guest/run.sh
source "$files_here/../guest/run.sh"

# ---- scenarios of steps ----

sc_res="" sc_dir="" sc_mode="" sc_who="" sc_n=0
sc_runner=()

# scenario LABEL SETUP STEPS: for each output mode, run the function STEPS
# natively and then under hxrun, each time in the same directory freshly
# prepared by "SETUP DIR", and compare step by step.
scenario() {
	local label=$1 setup=$2 steps=$3 mode
	for mode in file pipe; do
		sc_res=$results/$label.$mode
		rm -rf "$sc_res"
		mkdir -p "$sc_res"
		sc_dir=$(mktemp -d "${TMPDIR:-/tmp}/hx-files.XXXXXX")
		sc_mode=$mode
		for sc_who in native hxrun; do
			sc_n=0
			sc_runner=()
			[[ $sc_who == hxrun ]] && sc_runner=("$HXRUN")
			chmod -R u+rwX "$sc_dir"
			find "$sc_dir" -mindepth 1 -delete
			"$setup" "$sc_dir"
			"$steps"
		done
		chmod -R u+rwX "$sc_dir"
		rm -rf "$sc_dir"
		scenario_compare "$label" "$mode"
	done
}

# step [-s STATUS] [-S] NAME CMD...: one step of the current scenario.
#   -s STATUS  the native run must end with STATUS (default 0)
#   -S         compare stdout sorted (output in directory order)
step() {
	local want=0 sorted=0
	while [[ $1 == -* ]]; do
		case $1 in
		-s)
			want=$2
			shift
			;;
		-S) sorted=1 ;;
		esac
		shift
	done
	local name=$1
	shift
	sc_n=$((sc_n + 1))
	local p=$sc_res/$sc_n.$sc_who
	printf '%s\n' "$name" >"$sc_res/$sc_n.name"
	printf '%s\n' "$want" >"$sc_res/$sc_n.want"
	run_one "$sc_mode" "$sc_dir" /dev/null "$p.out" "$p.err.raw" "${sc_runner[@]}" "$@"
	echo "$run_status" >"$p.status"
	filter_stderr "$sc_who" "$p.err.raw" "$p.err"
	if ((sorted)); then
		LC_ALL=C sort -o "$p.out" "$p.out"
	fi
}

# manifest DIR: what the host sees in DIR, without times (files made by
# the steps get the time of the run).
manifest() {
	(
		cd "$1" || exit 1
		find . -mindepth 1 -type d -printf '%p d %m\n'
		find . -mindepth 1 ! -type d -printf '%p %y %m %s %l\n'
		find . -type f -exec md5sum {} +
	) | LC_ALL=C sort
}

# snapshot NAME: a pseudo-step whose output is the directory's manifest.
snapshot() {
	sc_n=$((sc_n + 1))
	local p=$sc_res/$sc_n.$sc_who
	printf 'snapshot-%s\n' "$1" >"$sc_res/$sc_n.name"
	echo 0 >"$sc_res/$sc_n.want"
	manifest "$sc_dir" >"$p.out"
	: >"$p.err"
	echo 0 >"$p.status"
}

# show_stream_diff NAME NATIVE HXRUN: show_diff for text; sizes and the
# first differing byte for binary data.
show_stream_diff() {
	if LC_ALL=C grep -qa '[^[:print:][:space:]]' "$2" "$3"; then
		echo "    binary $1: native $(wc -c <"$2") bytes, hxrun $(wc -c <"$3") bytes"
		cmp "$2" "$3" 2>&1 | head -n 1 | sed 's/^/    /'
	else
		show_diff "$@"
	fi
}

# scenario_compare LABEL MODE: one PASS/FAIL line per step.
scenario_compare() {
	local label=$1 mode=$2 i name want nst hst r what msg w
	for ((i = 1; i <= sc_n; i++)); do
		r=$sc_res/$i
		name=$(cat "$r.name")
		want=$(cat "$r.want")
		nst=$(cat "$r.native.status")
		hst=$(cat "$r.hxrun.status")
		what=()
		[[ $nst == "$want" ]] ||
			what+=("native status $(describe_status "$nst"), scenario expects $want")
		cmp -s "$r.native.out" "$r.hxrun.out" || what+=("stdout differs")
		cmp -s "$r.native.err" "$r.hxrun.err" || what+=("stderr differs")
		[[ $nst == "$hst" ]] ||
			what+=("status native $(describe_status "$nst"), hxrun $(describe_status "$hst")")
		if ((${#what[@]} == 0)); then
			pass "$label.$i-$name.$mode"
			continue
		fi
		msg=""
		for w in "${what[@]}"; do msg+="${msg:+; }$w"; done
		fail "$label.$i-$name.$mode" "$msg"
		cmp -s "$r.native.out" "$r.hxrun.out" ||
			show_stream_diff stdout "$r.native.out" "$r.hxrun.out"
		cmp -s "$r.native.err" "$r.hxrun.err" ||
			show_stream_diff stderr "$r.native.err" "$r.hxrun.err"
		[[ $nst == "$want" ]] && continue
		sed 's/^/    native stderr: /' "$r.native.err" | head -n 5
	done
}

# ---- the busybox scenarios ----

bb() {
	local opts=()
	while [[ $1 == -* ]]; do
		opts+=("$1")
		[[ $1 == -s ]] && {
			opts+=("$2")
			shift
		}
		shift
	done
	local name=$1
	shift
	step "${opts[@]}" "$name" "$BUSYBOX" "$@"
}

# The fixed tree: text, numbers, binary data, an empty file and directory,
# a symlink, a few modes and a distinct old mtime on every entry.
populate() {
	local d=$1/tree i t
	mkdir -p "$d/sub/deeper" "$d/empty-dir"
	printf 'alpha\nbeta\ngamma\n' >"$d/a.txt"
	for ((i = 0; i < 300; i++)); do
		printf '%s %d\n' "$(((i * 7919) % 1009))-word" $((i % 17))
	done >"$d/words.txt"
	seq 1 5000 >"$d/sub/numbers.txt"
	# 64 KiB of fixed pseudo-random bytes (a linear congruential generator).
	awk 'BEGIN { x = 12345; for (i = 0; i < 65536; i++) {
		x = (x * 1103515245 + 12345) % 2147483648; printf "%c", int(x / 65536) % 256 } }' \
		</dev/null >"$d/sub/deeper/bin.dat"
	: >"$d/empty.txt"
	printf '#!/bin/sh\necho hi\n' >"$d/script.sh"
	ln -s a.txt "$d/link"
	ln -s sub/deeper "$d/dirlink"
	chmod 0755 "$d/script.sh"
	chmod 0600 "$d/sub/numbers.txt"
	chmod 0750 "$d/sub/deeper"
	(cd "$1" && md5sum tree/a.txt tree/sub/numbers.txt tree/sub/deeper/bin.dat) >"$1/sums.md5"
	# Distinct times in an order unlike the names' (last, as making an
	# entry changes its directory's mtime).
	t=0
	while IFS= read -r i; do
		t=$((t + 1))
		touch -h -d "2021-03-04 05:06:07 UTC + $(((t * 7) % 23 + 1)) hours" "$i"
	done < <(find "$1" -mindepth 1 | LC_ALL=C sort)
}

steps_ls() {
	bb ls-l ls -l tree
	bb ls-la-sub ls -la tree/sub
	bb ls-lR ls -lR tree
	bb ls-ln ls -ln tree
	bb ls-lt ls -lt tree
	bb ls-full-time ls -l --full-time tree/sub/deeper
	bb ls-ld ls -ld tree tree/link tree/dirlink
	bb ls-lL ls -lL tree/link tree/dirlink
	bb ls-F ls -F tree
	bb -s 1 ls-missing ls -l tree/missing
}

steps_cat() {
	bb cat cat tree/a.txt tree/sub/numbers.txt
	bb cat-n cat -n tree/a.txt
	bb cat-binary cat tree/sub/deeper/bin.dat
	bb cat-empty cat tree/empty.txt
	bb cat-link cat tree/link
	bb -s 1 cat-missing cat tree/missing
	bb -s 1 cat-dir cat tree/sub
	bb head head -n 3 tree/words.txt
	bb tail tail -n 3 tree/sub/numbers.txt
}

steps_wc() {
	bb wc wc tree/a.txt tree/words.txt tree/sub/numbers.txt tree/empty.txt
	bb wc-c wc -c tree/sub/deeper/bin.dat
	bb wc-l wc -l tree/words.txt
}

steps_sort() {
	bb sort sort tree/words.txt
	bb sort-nr sort -n -r tree/sub/numbers.txt
	bb sort-k2n sort -k2,2n -k1,1 tree/words.txt
	bb sort-u-o sort -u -o sorted.txt tree/words.txt
	bb cat-sorted cat sorted.txt
	bb uniq-c uniq -c sorted.txt
	snapshot after-sort
}

steps_md5() {
	bb md5sum md5sum tree/a.txt tree/sub/deeper/bin.dat tree/empty.txt
	bb md5sum-c md5sum -c sums.md5
	bb sha256sum sha256sum tree/sub/numbers.txt
	bb -s 1 md5sum-missing md5sum tree/missing
}

steps_find() {
	bb -S find-name find . -name '*.txt'
	bb -S find-type-d find tree -type d
	bb -S find-type-l find tree -type l
	bb -S find-type-f-L find -L tree -type f
	bb -S find-size find tree -size +10k
	bb -S find-newer find tree -newer tree/sub/numbers.txt
	bb -S find-perm find tree -perm 0600
	bb -S find-empty find tree -empty
	bb -S find-maxdepth find tree -maxdepth 1
}

steps_gzip() {
	bb gzip-c gzip -c tree/words.txt
	bb gzip-k gzip -k tree/sub/deeper/bin.dat
	bb md5sum-gz md5sum tree/sub/deeper/bin.dat.gz
	bb gzip-replace gzip -9 tree/sub/numbers.txt
	bb -S find-after-gzip find tree -name '*.gz'
	bb gunzip gunzip tree/sub/numbers.txt.gz
	bb gunzip-c gunzip -c tree/sub/deeper/bin.dat.gz
	bb gunzip-t gzip -t tree/sub/deeper/bin.dat.gz
	bb rm-original rm tree/sub/deeper/bin.dat
	bb gunzip-bin gunzip tree/sub/deeper/bin.dat.gz
	bb md5sum-c-after md5sum -c sums.md5
	snapshot after-gzip
}

steps_tar() {
	bb tar-cf tar cf t.tar tree
	bb -S tar-tvf tar tvf t.tar
	bb mkdir-out mkdir out
	bb tar-xf tar xf t.tar -C out
	bb diff-r diff -r tree out/tree
	# Busybox tar gives symlinks the time of extraction, and a directory's
	# time depends on the archive's order (the directory's order): fix
	# those, so that the listing shows what tar restored to files.
	bb touch-h touch -h -d '2000-01-01 00:00:00' out/tree/link out/tree/dirlink \
		out/tree/sub out/tree/sub/deeper out/tree/empty-dir
	bb ls-lR-extracted ls -lR out/tree
	bb md5sum-extracted md5sum out/tree/a.txt out/tree/sub/numbers.txt out/tree/sub/deeper/bin.dat
	snapshot after-tar
}

steps_copy() {
	bb cp-a cp -a tree copy
	bb diff-r diff -r tree copy
	# cp -a gives symlinks the time of the copy.
	bb touch-h touch -h -d '2000-01-01 00:00:00' copy/link copy/dirlink
	bb ls-lR-copy ls -lR copy
	bb mv mv copy moved
	bb mv-file mv moved/a.txt moved/renamed.txt
	bb -s 1 mv-missing mv moved/a.txt x
	bb ln-s ln -s renamed.txt moved/newlink
	bb touch-h-newlink touch -h -d '2000-01-02 00:00:00' moved/newlink
	bb cat-newlink cat moved/newlink
	bb chmod chmod 0640 moved/renamed.txt
	bb touch touch -d '2000-01-01 00:00:00' moved/renamed.txt
	bb ls-l-moved ls -l moved
	snapshot before-rm
	bb rm-r rm -r moved
	bb -s 1 ls-gone ls moved
	snapshot after-rm
}

main() {
	if (($# != 1)); then
		echo "usage: $0 HXRUN" >&2
		exit 2
	fi
	set_hxrun "$1"
	if [[ ! -x $BUSYBOX ]]; then
		echo "${0##*/}: $BUSYBOX not found (apt-get install busybox-static)" >&2
		exit 2
	fi
	results=$(mktemp -d "${TMPDIR:-/tmp}/hx-files-results.XXXXXX")
	scenario files.ls populate steps_ls
	scenario files.cat populate steps_cat
	scenario files.wc populate steps_wc
	scenario files.sort populate steps_sort
	scenario files.md5sum populate steps_md5
	scenario files.find populate steps_find
	scenario files.gzip populate steps_gzip
	scenario files.tar populate steps_tar
	scenario files.cp-mv-rm populate steps_copy
	if no_failures; then
		rm -rf "$results"
	else
		echo "captured output is in $results"
	fi
	finish
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	main "$@"
fi
