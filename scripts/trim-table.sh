#!/bin/sh
# Writes syscalls/table.h trimmed to the syscalls named in LIST (one name per
# line, '#' comments, as `hxscan --trim` writes it): every other implemented
# syscall becomes `none`, so its handler is not referenced and the linker
# drops it (--gc-sections). Usage: scripts/trim-table.sh LIST TABLE > OUT
set -eu
list=$1
table=$2
awk -v list="$list" '
BEGIN {
    while ((getline line < list) > 0) {
        sub(/#.*/, "", line)
        gsub(/[ \t]/, "", line)
        if (line != "")
            keep[line] = 1
    }
}
/^SC\(/ {
    split($0, f, /[(), ]+/)  # f[2] nr, f[3] name, f[4] where
    if (f[4] != "none" && f[4] != "quiet" && !(f[3] in keep))
        sub("SC\\(" f[2] ", " f[3] ", " f[4] ",", "SC(" f[2] ", " f[3] ", none,")
}
{ print }
' "$table"
