#!/bin/bash
# The monitor's own confinement (DESIGN.md section 12): while a program
# runs, hxrun's /proc status shows the seccomp filter and no_new_privs; run
# as root it keeps docker's default capabilities, --cap-add and --cap-drop
# change them, and the program sees the difference (a netfilter query needs
# CAP_NET_ADMIN, a raw socket CAP_NET_RAW); with --net=none the host's
# abstract AF_UNIX names are out of reach.
# Usage: tests/sandbox/run.sh HXRUN BUILDDIR
set -u
HX=$(realpath "$1")
B=$(realpath -m "$2")/sandbox
D=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$B"
pass=0 fail=0
ok() { pass=$((pass + 1)); echo "PASS $1"; }
bad() { fail=$((fail + 1)); echo "FAIL $1"; }
check() { # NAME GOT WANT
    if [ "$2" = "$3" ]; then ok "$1"; else bad "$1: got '$2', want '$3'"; fi
}

musl-gcc -static -O2 -Wall -Wextra -Werror -o "$B/netadmin" "$D/netadmin.c"

# status FIELD OPTIONS...: FIELD of /proc/PID/status of an hxrun running
# busybox sleep with OPTIONS, once the guest runs (the filter is in).
status() {
    local field=$1 line="" i
    shift
    "$HX" "$@" /bin/busybox sleep 3 2>/dev/null &
    local pid=$!
    for i in $(seq 100); do
        line=$(grep "^Seccomp:" "/proc/$pid/status" 2>/dev/null)
        [ "$line" = "Seccomp:	2" ] && break
        sleep 0.05
    done
    grep "^$field:" "/proc/$pid/status" 2>/dev/null | cut -f2
    kill "$pid" 2>/dev/null
    wait "$pid" 2>/dev/null
}

check "Seccomp: 2 while the program runs" "$(status Seccomp)" 2
check "NoNewPrivs: 1 while the program runs" "$(status NoNewPrivs)" 1

if [ "$(id -u)" -eq 0 ]; then
    # Docker's default set: CHOWN DAC_OVERRIDE FOWNER FSETID KILL SETGID
    # SETUID SETPCAP NET_BIND_SERVICE NET_RAW SYS_CHROOT MKNOD AUDIT_WRITE
    # SETFCAP.
    check "root: CapEff is docker's default set" "$(status CapEff)" 00000000a80425fb
    check "root: CapBnd is docker's default set" "$(status CapBnd)" 00000000a80425fb
    check "root: --cap-drop ALL" "$(status CapEff --cap-drop ALL)" 0000000000000000
    check "root: --cap-add NET_ADMIN" "$(status CapEff --cap-add NET_ADMIN)" 00000000a80435fb
    check "root: --cap-drop CAP_CHOWN --cap-drop kill" \
        "$(status CapEff --cap-drop CAP_CHOWN --cap-drop kill)" 00000000a80425da
    out=$("$HX" "$B/netadmin" 2>&1 | tr '\n' ' ')
    check "root: a raw socket works, a netfilter query is refused" "$out" \
        "raw socket: ok netfilter query: Operation not permitted "
    out=$("$HX" --cap-add NET_ADMIN "$B/netadmin" 2>&1 | tr '\n' ' ')
    check "root: --cap-add NET_ADMIN allows the netfilter query" "$out" \
        "raw socket: ok netfilter query: allowed "
    out=$("$HX" --cap-drop NET_RAW "$B/netadmin" 2>&1 | tr '\n' ' ')
    check "root: --cap-drop NET_RAW refuses the raw socket" "$out" \
        "raw socket: Operation not permitted netfilter query: Operation not permitted "
else
    echo "SKIP capability checks: not run as root"
fi

# Abstract AF_UNIX names: the host's are reachable with the host's network
# (the default), not with --net=none, where the run's own names work as
# on Linux.
musl-gcc -static -O2 -Wall -Wextra -Werror -o "$B/abstract" "$D/abstract.c"
name=hx-sandbox-host-$$
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind("\0" + sys.argv[1]); s.listen(8); print("ready", flush=True)
s.settimeout(20)
try:
    while True: s.accept()[0].close()
except OSError: pass' "$name" >"$B/listener.out" &
listener=$!
for i in $(seq 100); do grep -q ready "$B/listener.out" 2>/dev/null && break; sleep 0.05; done
check "abstract name of the host: reachable by default" \
    "$("$HX" "$B/abstract" connect "$name" 2>&1)" "connect: ok"
check "abstract name of the host: not with --net=none" \
    "$("$HX" --net=none "$B/abstract" connect "$name" 2>&1)" "connect: Connection refused"
kill "$listener" 2>/dev/null
wait "$listener" 2>/dev/null
native=$("$B/abstract" self 2>&1)
check "the run's own abstract names with --net=none, as natively" \
    "$("$HX" --net=none "$B/abstract" self 2>&1)" "$native"

"$HX" --cap-add NOPE /bin/true >"$B/out" 2>"$B/err"
rc=$?
check "unknown capability: status 2 and one line" "$rc $(wc -l <"$B/err") $(cat "$B/err")" \
    "2 1 hxrun: unknown capability 'NOPE'"
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
