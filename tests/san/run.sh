#!/bin/sh
# hxrewrite under AddressSanitizer and UBSan, stopping at its first report,
# on programs and libraries with and without system calls (no trampolines
# at all is its own path).
# Usage: tests/san/run.sh ASANBUILD (make asan builds it and runs this)
set -u
S=$1
pass=0 fail=0
export ASAN_OPTIONS=detect_leaks=0
musl-gcc -static -O2 -o "$S/hello" tests/demo/hello.c
for f in "$S/hello" /bin/true /bin/busybox /lib/x86_64-linux-gnu/libc.so.6 \
    /lib/x86_64-linux-gnu/libm.so.6; do
    [ -e "$f" ] || continue
    if "$S/hxrewrite" "$f" -o "$S/out" >"$S/rewrite.out" 2>&1; then
        pass=$((pass + 1)); echo "PASS hxrewrite $f under ASan and UBSan"
    else
        fail=$((fail + 1)); echo "FAIL hxrewrite $f under ASan and UBSan"
        grep -E 'runtime error|ERROR' "$S/rewrite.out" | head -3 | sed 's/^/    /'
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
