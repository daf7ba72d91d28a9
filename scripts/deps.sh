#!/bin/sh
# Installs the Debian packages hx needs to build and test. Idempotent and
# quiet when everything is already there.
set -eu
PKGS="gcc make binutils libc6-dev musl-tools libelf-dev libcapstone-dev libseccomp-dev check pkg-config
busybox-static strace clang-format clang-tidy sqlite3 lua5.4 python3 redis-server redis-tools
nginx-light wrk curl clang libclang-rt-14-dev git procps"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps.sh: installing$missing"
# Packaged services (nginx on port 80, redis on 6379) must not start: the
# tests run their own on free ports. A policy-rc.d answering 101 tells
# invoke-rc.d not to start anything; ours is removed afterwards (one that
# was there already is left alone).
policy=/usr/sbin/policy-rc.d
ours=""
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$policy" >/dev/null
    $SUDO chmod 755 "$policy"
    ours=1
fi
status=0
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing \
    >/dev/null || status=$?
[ -n "$ours" ] && $SUDO rm -f "$policy"
# If nginx started anyway (no policy-rc.d support): stop it by the pid in
# its pid file, and keep systemd from starting it at boot.
case " $missing " in
*" nginx-light "*)
    if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
        $SUDO systemctl disable --now nginx >/dev/null 2>&1 || true
    fi
    if [ -s /run/nginx.pid ]; then
        pid=$(cat /run/nginx.pid)
        if [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = nginx ]; then
            $SUDO kill -QUIT "$pid" || true
        fi
    fi
    ;;
esac
exit "$status"
