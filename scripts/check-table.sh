#!/bin/sh
# Checks what syscalls/table.h says of each system call: that the file its
# `where` column names (syscalls/WHERE.c) defines it with SYSCALL(name), and
# that every SYSCALL(name) in syscalls/ has its line. One line per mistake;
# exit status 1 if there is any. Usage: scripts/check-table.sh [REPO]
set -eu
cd "${1:-.}"
bad=0
lines=$(sed -n 's/^SC([0-9]*, \([a-z0-9_]*\), \([a-z0-9_]*\),.*/\1 \2/p' syscalls/table.h)
echo "$lines" | {
    while read -r name where; do
        case $where in none | quiet) continue ;; esac
        if ! grep -Eq "^(LEAF_)?SYSCALL\($name\)" "syscalls/$where.c" 2>/dev/null; then
            echo "table.h: $name: no SYSCALL($name) or LEAF_SYSCALL($name) in syscalls/$where.c"
            bad=1
        fi
    done
    exit $bad
} || bad=1
for f in syscalls/*.c; do
    for name in $(sed -n -E "s/^(LEAF_)?SYSCALL\\(([a-z0-9_]*)\\).*/\\2/p" "$f"); do
        where=$(basename "$f" .c)
        if ! echo "$lines" | grep -qx "$name $where"; then
            echo "$f: SYSCALL($name) is not table.h's $name (where: $where)"
            bad=1
        fi
    done
done
n=$(echo "$lines" | grep -cv ' none$\| quiet$')
[ $bad = 0 ] && echo "table-test: the $n implemented system calls are where table.h says"
exit $bad
