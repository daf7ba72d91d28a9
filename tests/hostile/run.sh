#!/bin/sh
# Hostile-guest test: build the hostile kernel, run it under hxrun, expect
# every bad request refused (status 0), then a broken request block to end
# the run with 125 and one clear line, the host unharmed; then the same
# from a program that issues raw hypercalls (rawhc.c).
set -eu
HX=$(realpath "$1")
B=$(realpath -m "$2")/hostile
mkdir -p "$B"
D=$(dirname "$0")
cc -std=c11 -O2 -Wall -Wextra -Werror -ffreestanding -fno-pic -fno-pie -mcmodel=kernel \
    -mno-red-zone -mgeneral-regs-only -fno-stack-protector -fno-asynchronous-unwind-tables \
    -Iinclude -c "$D/hostile.c" -o "$B/hostile.o"
ld -nostdlib -z max-page-size=4096 --no-warn-rwx-segments -T "$D/hostile.ld" -o "$B/hostile.elf" "$B/hostile.o"
pass=0 fail=0
# Fds 3-7 must be ones the guest was never given: hxrun passes on what it
# inherits.
out=$("$HX" --tmpfs /tmp --kernel "$B/hostile.elf" /bin/busybox 2>"$B/stderr" 3>&- 4>&- 5>&- 6>&- 7>&-) && rc=0 || rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ] && ! printf '%s\n' "$out" | grep -q FAIL &&
    [ ! -e /tmp/hx-hostile-escape.sock ] && [ ! -e /tmp/hx-hostile-probe ]; then
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

# Raw hypercalls from a program (rawhc.c): replies into read-only file
# mappings and copies from file pages past the end fail with EFAULT; a
# request block in either ends the run with 125 and one line.
musl-gcc -static -O2 -Wall -Wextra -Werror -Iinclude -o "$B/rawhc" "$D/rawhc.c"
out=$(cd "$B" && "$HX" ./rawhc checks 2>"$B/stderr") && rc=0 || rc=$?
printf '%s\n' "$out"
if [ "$rc" -eq 0 ] && printf '%s\n' "$out" | grep -q '^checks done' &&
    ! printf '%s\n' "$out" | grep -q FAIL; then
    pass=$((pass + 1)); echo "PASS raw hypercalls from a program"
else
    fail=$((fail + 1)); echo "FAIL raw hypercalls from a program (status $rc)"; cat "$B/stderr"
fi
for m in block-ro block-past; do
    (cd "$B" && "$HX" ./rawhc $m >/dev/null 2>"$B/stderr") && rc=0 || rc=$?
    if [ "$rc" -eq 125 ] && [ "$(wc -l <"$B/stderr")" -eq 1 ] &&
        grep -q "hypercall block at bad address" "$B/stderr"; then
        pass=$((pass + 1)); echo "PASS request block in a file mapping ($m)"
    else
        fail=$((fail + 1)); echo "FAIL request block in a file mapping ($m): status $rc"
        cat "$B/stderr"
    fi
done

# A guest blocked in the host in each way a hypercall can block: SIGTERM
# must end the call at once (the guest prints what it returned, within
# 2 s), and as the guest never takes the signal, the wedged-guest guard
# must end the run (status 143, its line) within 10 s. Each run is killed
# after 15 s whatever happens, so a regression fails instead of hanging.
rm -f "$B/fifo"
mkfifo "$B/fifo"
exec 3<>"$B/fifo" # stdin that never has data
for mode in sleep poll wait read recv accept write; do
    out=$B/block.$mode.out err=$B/block.$mode.err
    : >"$out"
    timeout -s KILL 15 "$HX" --kernel "$B/hostile.elf" /bin/busybox "$mode" <&3 >"$out" 2>"$err" &
    pid=$!
    what=""
    if timeout 10 sh -c 'until grep -q ready "$1"; do sleep 0.05; done' _ "$out"; then
        sleep 0.2
        kill -TERM "$pid" 2>/dev/null || true
        timeout 2 sh -c 'until grep -q returned "$1"; do sleep 0.05; done' _ "$out" ||
            what="the blocking call did not end at SIGTERM"
    else
        what="no ready"
    fi
    wait "$pid" && rc=0 || rc=$?
    if [ -z "$what" ] && [ "$rc" -ne 143 ]; then
        what="status $rc, not 143"
    elif [ -z "$what" ] && ! grep -q "did not take signal 15" "$err"; then
        what="no guard line"
    fi
    if [ -z "$what" ]; then
        pass=$((pass + 1)); echo "PASS host call $mode ends at a host signal, the guard ends the run"
    else
        fail=$((fail + 1)); echo "FAIL host call $mode: $what"; sed 's/^/    /' "$out" "$err"
    fi
done
exec 3>&-
rm -f "$B/fifo"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
