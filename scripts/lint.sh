#!/bin/sh
# make lint: clang-tidy, with the checks in .clang-tidy, over the C files
# given, each compiled with the flags in LINT_CFLAGS (word-split, as make
# does). Prints every finding and fails if there is one.
#   LINT_CFLAGS='-std=c11 -Iinclude' scripts/lint.sh FILE.c...
# One file per clang-tidy run: clang-tidy 14 given several files carries
# analyzer state from one to the next (a va_list started in the second file
# is reported uninitialized after the first); LINT_JOBS runs (default: the
# CPU count) go in parallel.
set -eu
cd "$(dirname "$0")/.."
[ $# -gt 0 ] || { echo "usage: LINT_CFLAGS=... $0 FILE.c..." >&2; exit 2; }
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT INT TERM
export out LINT_CFLAGS="${LINT_CFLAGS:-}"
status=0
# shellcheck disable=SC2016 # expanded by the inner shell
printf '%s\n' "$@" | xargs -P "${LINT_JOBS:-$(nproc)}" -I{} sh -c '
    log="$out/$(printf %s "$1" | tr / _).log"
    # shellcheck disable=SC2086 # LINT_CFLAGS is a list of flags
    clang-tidy --quiet "$1" -- $LINT_CFLAGS >"$log" 2>&1 || echo "$1" >"$log.failed"
' sh {} || status=$?
# clang prints "N warnings generated." for the system headers it filtered.
for log in "$out"/*.log; do
    grep -v '^[0-9][0-9]* warnings\{0,1\} generated\.$' "$log" || true
done
if [ -n "$(find "$out" -name '*.failed')" ] || [ "$status" -ne 0 ]; then
    # A header's finding shows once per file that includes it: the summary
    # lists each once.
    echo "lint: clang-tidy found these (the full reports above):"
    cat "$out"/*.log | grep -E '^[^ ]+:[0-9]+:[0-9]+: (error|warning):' |
        sed "s|^$(pwd)/||" | sort -u
    echo "lint: failed in: $(cat "$out"/*.failed 2>/dev/null | tr '\n' ' ')"
    exit 1
fi
echo "lint: clang-tidy clean ($# files)"
