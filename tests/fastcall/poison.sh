#!/bin/bash
# The fastcall cache against its guests (issue 12): with HOME as the
# current directory (read-write in the guest, so ~/.cache/hx lies inside a
# writable mount), a guest program must not get its code into a later run:
#   1. a first run caches the program (~/.cache/hx/KEY-prog);
#   2. a guest that overwrites that copy (by its path, or through openat2
#      beneath ~/.cache) fails, and the next run runs the original;
#   3. a copy changed behind hxrun's back (here by the host) is not run:
#      it is rewritten anew;
#   4. a guest that moves the cache away and puts its own file under the
#      copy's name in a new ~/.cache/hx does not get it run;
#   5. a group- or world-writable cache directory is not used (a warning,
#      and the run goes on without fastcalls).
# Every guest-made file is a genuine rewritten program (made here by
# hxrewrite, as a guest could), printing "poisoned" instead of "original";
# the guest's attacks are a small static program (busybox sh cannot fork
# its applets in hx).
#
#   tests/fastcall/poison.sh HXRUN BUILDDIR
set -u
if (($# != 2)); then
	echo "usage: $0 HXRUN BUILDDIR" >&2
	exit 2
fi
HX=$(realpath "$1")
BUILD=$(realpath -m "$2")
W=$BUILD/fastcall/poison
rm -rf "$W"
mkdir -p "$W"
# pass, fail and finish (the closing count and status) of the guest suite.
# shellcheck source=../guest/run.sh
source "$(dirname "${BASH_SOURCE[0]}")/../guest/run.sh"

for word in original poisoned; do
	printf '#include <stdio.h>\nint main(void) { puts("%s"); return 0; }\n' "$word" >"$W/$word.c"
	musl-gcc -static -O2 -o "$W/$word" "$W/$word.c"
done
mv "$W/original" "$W/prog"
cat >"$W/attack.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>
/* attack overwrite FILE SRC: FILE made writable and given SRC's bytes.
 * attack beneath NAME SRC: the same through openat2 beneath .cache (the
 *   host resolves hx/NAME there).
 * attack replace NAME SRC: .cache moved away, SRC as .cache/hx/NAME. */
static int copy_to(const char *src, int out, const char *dst)
{
    char buf[65536];
    ssize_t n;
    int in = open(src, O_RDONLY);
    if (in < 0 || out < 0)
        return perror(dst), 1;
    while ((n = read(in, buf, sizeof(buf))) > 0)
        if (write(out, buf, (size_t)n) != n)
            return perror("write"), 1;
    return close(out) ? perror("close"), 1 : 0;
}
static int copy(const char *src, const char *dst, int flags)
{
    return copy_to(src, open(dst, O_WRONLY | flags, 0755), dst);
}
int main(int argc, char **argv)
{
    if (argc != 4)
        return 2;
    if (!strcmp(argv[1], "overwrite")) {
        if (chmod(argv[2], 0644))
            perror("chmod");
        return copy(argv[3], argv[2], O_TRUNC);
    }
    char dst[4096];
    snprintf(dst, sizeof(dst), "hx/%s", argv[2]);
    if (!strcmp(argv[1], "beneath")) {
        struct {
            unsigned long long flags, mode, resolve;
        } how = {O_WRONLY, 0, 0x08 /* RESOLVE_BENEATH */};
        int dir = open(".cache", O_RDONLY | O_DIRECTORY);
        return copy_to(argv[3], (int)syscall(SYS_openat2, dir, dst, &how, sizeof(how)), dst);
    }
    snprintf(dst, sizeof(dst), ".cache/hx/%s", argv[2]);
    if (rename(".cache", ".cache.old") || mkdir(".cache", 0700) || mkdir(".cache/hx", 0700))
        return perror("replace"), 1;
    return copy(argv[3], dst, O_CREAT | O_EXCL);
}
EOF
musl-gcc -static -O2 -o "$W/attack" "$W/attack.c"
"$BUILD/hxrewrite" "$W/poisoned" -o "$W/evil.fast" >/dev/null

# hx ARGS...: hxrun in W with HOME=W and no XDG_CACHE_HOME (the cache is
# W/.cache/hx).
hx() {
	(cd "$W" && env -u XDG_CACHE_HOME HOME="$W" "$HX" "$@")
}
# guest ARGS...: the attack program in the guest, in W.
guest() {
	hx ./attack "$@" >"$W/guest.out" 2>&1
}
# copy: the name of prog's cached copy.
copy() {
	(cd "$W/.cache/hx" 2>/dev/null && ls -- *-prog 2>/dev/null | head -n 1)
}

out=$(hx ./prog 2>"$W/err")
name=$(copy)
if [[ $out == original && -n $name ]]; then
	pass "cache: a first run caches the program"
else
	fail "cache: a first run caches the program" "output '$out', copy '$name'"
fi

# overwrite HOW: the guest's attack HOW on the copy fails and leaves it as
# it was; the next run runs the original.
overwrite() {
	local what="cache: the guest cannot overwrite a cached copy ($1)" st
	cp "$W/.cache/hx/$name" "$W/before"
	guest "$1" "$2" evil.fast
	st=$?
	out=$(hx ./prog 2>"$W/err")
	if ((st != 0)) && cmp -s "$W/.cache/hx/$name" "$W/before" && [[ $out == original ]]; then
		pass "$what"
	else
		fail "$what" "attack status $st, second run: '$out'"
		sed 's/^/    /' "$W/guest.out"
	fi
}
overwrite overwrite ".cache/hx/$name"
overwrite beneath "$name"

chmod u+w "$W/.cache/hx/$name"
cat "$W/evil.fast" >"$W/.cache/hx/$name"
out=$(hx ./prog 2>"$W/err")
if [[ $out == original ]] && ! cmp -s "$W/.cache/hx/$name" "$W/evil.fast" &&
	[[ $(<"$W/err") == "hxrun: warning: fastcall cache: $name was changed after hxrun wrote it: rewriting it" ]]; then
	pass "cache: a changed copy is rewritten, not run"
else
	fail "cache: a changed copy is rewritten, not run" "output '$out', $(<"$W/err")"
fi

guest replace "$name" evil.fast
out=$(hx ./prog 2>"$W/err")
if [[ $out == original ]] && ! cmp -s "$W/.cache/hx/$name" "$W/evil.fast"; then
	pass "cache: a cache directory replaced by the guest is not trusted"
else
	fail "cache: a cache directory replaced by the guest is not trusted" "output '$out'"
	sed 's/^/    /' "$W/guest.out"
fi

chmod 777 "$W/.cache/hx"
out=$(hx --stats ./prog 2>&1)
fast=$(sed -n 's/^hxrun: stats: [0-9]* system calls (.* \([0-9][0-9]*\) fastcall)$/\1/p' <<<"$out")
chmod 700 "$W/.cache/hx"
if [[ $out == *original* && $out == *"hxrun: warning:"*"$W/.cache/hx"* && $fast == 0 ]]; then
	pass "cache: a world-writable cache directory is not used"
else
	fail "cache: a world-writable cache directory is not used" "fastcalls '$fast': $out"
fi

finish
