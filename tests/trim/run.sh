#!/bin/bash
# Trimmed kernels: for each program, hxscan --trim lists its system calls,
# `make kernel SYSCALLS=LIST` builds a kernel with only those handlers, and
# the program must run on it (hxrun --kernel) with the same output and
# status as on the full kernel. Prints the kernel sizes (text) full vs
# trimmed. Usage: tests/trim/run.sh HXRUN BUILDDIR
set -u
HX=$(realpath "$1")
BUILD=$2
B=$(realpath -m "$BUILD")/trimtest
mkdir -p "$B"
pass=0 fail=0
text() { size "$1" | awk 'NR == 2 { print $1 }'; }
full=$(text "$BUILD/hxkernel.elf")

musl-gcc -static -O2 -o "$B/hello.musl" tests/demo/hello.c
gcc -static -O2 -o "$B/hello.glibc" tests/demo/hello.c
gcc -O2 -o "$B/hello.dynamic" tests/demo/hello.c

# name, then the command line
check() {
    local name=$1
    shift
    "$BUILD/hxscan" --trim "$B/$name.list" "$1" >/dev/null
    if ! make -s kernel SYSCALLS="$B/$name.list" >"$B/$name.build" 2>&1; then
        fail=$((fail + 1))
        echo "FAIL $name: trimmed kernel does not build"
        tail -5 "$B/$name.build"
        return
    fi
    cp "$BUILD/trim/hxkernel.elf" "$B/$name.kernel"
    "$HX" "$@" >"$B/$name.full.out" 2>&1
    local want=$?
    "$HX" --kernel "$B/$name.kernel" "$@" >"$B/$name.trim.out" 2>&1
    local got=$?
    local trimmed
    trimmed=$(text "$B/$name.kernel")
    local n
    n=$(grep -vc '^#' "$B/$name.list")
    if [ "$want" = "$got" ] && cmp -s "$B/$name.full.out" "$B/$name.trim.out"; then
        pass=$((pass + 1))
        printf 'PASS %-14s %3d syscalls, kernel text %6d of %6d bytes (%d%%)\n' "$name" "$n" \
            "$trimmed" "$full" $((100 * trimmed / full))
    else
        fail=$((fail + 1))
        echo "FAIL $name: status $got (full kernel $want), or the output differs"
        diff "$B/$name.full.out" "$B/$name.trim.out" | head -5
    fi
}

check hello.musl "$B/hello.musl"
check hello.glibc "$B/hello.glibc"
check hello.dynamic "$B/hello.dynamic"
# shellcheck disable=SC2016 # the inner shell expands it
check busybox /bin/busybox sh -c 'echo hi; x=$((6*7)); echo $x'
check sqlite3 /usr/bin/sqlite3 :memory: 'select 6*7;'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
