#!/bin/sh
# Hostile-guest test: build the hostile kernel, run it under hxrun, expect
# every bad request refused (status 0), then a broken request block to end
# the run with 125 and one clear line, the host unharmed.
set -eu
HX=$1
B=$2/hostile
mkdir -p "$B"
D=$(dirname "$0")
cc -std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
    -mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
    -Iinclude -c "$D/hostile.c" -o "$B/hostile.o"
ld -nostdlib -z max-page-size=4096 --no-warn-rwx-segments -T "$D/hostile.ld" -o "$B/hostile.elf" "$B/hostile.o"
pass=0 fail=0
# Fds 3-7 must be ones the guest was never given: hxrun passes on what it
# inherits.
out=$("$HX" --kernel "$B/hostile.elf" /bin/busybox 2>"$B/stderr" 3>&- 4>&- 5>&- 6>&- 7>&-) && rc=0 || rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ] && ! printf '%s\n' "$out" | grep -q FAIL; then
    pass=$((pass + 1)); echo "PASS hostile hypercalls refused"
else
    fail=$((fail + 1)); echo "FAIL hostile hypercalls (status $rc)"; cat "$B/stderr"
fi
"$HX" --stats --kernel "$B/hostile.elf" /bin/busybox 2>"$B/stderr" && rc=0 || rc=$?
if [ "$rc" -eq 125 ] && grep -q "hypercall block at bad address" "$B/stderr"; then
    pass=$((pass + 1)); echo "PASS request block outside guest RAM"
else
    fail=$((fail + 1)); echo "FAIL request block outside guest RAM (status $rc)"; cat "$B/stderr"
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
