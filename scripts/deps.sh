#!/bin/sh
# Installs the Debian packages hx needs to build and test. Idempotent and
# quiet when everything is already there.
set -eu
PKGS="gcc make binutils libc6-dev musl-tools libelf-dev libcapstone-dev check pkg-config
busybox-static strace clang-format sqlite3 lua5.4 python3 redis-server"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done
[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "deps.sh: installing$missing"
$SUDO apt-get update -qq
# shellcheck disable=SC2086
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
