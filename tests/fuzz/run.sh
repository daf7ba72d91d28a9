#!/bin/bash
# Runs each libFuzzer harness for a bounded time, starting from its seeds
# and crash reproducers in git (tests/fuzz/corpus/NAME, replayed first) and
# the corpus earlier runs grew ($BUILD/fuzz/corpus/NAME). A fuzzer passes
# when it ends without a crash, leak, timeout or sanitizer report; its
# final statistics (executions, coverage) are printed either way.
# Usage: tests/fuzz/run.sh BUILDDIR SECONDS NAME...
set -u
B=$(realpath -m "$1")/fuzz
secs=$2
shift 2
pass=0 fail=0
src=$(cd "$(dirname "$0")" && pwd)

for name in "$@"; do
    bin=$B/fuzz_$name
    corpus=$B/corpus/$name
    art=$B/artifacts/$name
    log=$B/$name.log
    mkdir -p "$corpus" "$art" "$B/tmp"
    seeds=("$src/corpus/$name")
    # The rewriter starts from the loader's real ELF files too.
    [ "$name" = rewrite ] && seeds+=("$src/corpus/elf")
    # -timeout: a single input running this long is a hang (a blocking
    # host call the harness should have prevented, or a loop).
    # -rss_limit_mb: ASan's shadow counts too.
    # TMPDIR: fuzz_rewrite's files, in the build directory even after a
    # crash (libFuzzer may end without running atexit).
    TMPDIR=$B/tmp "$bin" -max_total_time="$secs" -print_final_stats=1 -timeout=10 -rss_limit_mb=4096 \
        -max_len=65536 -artifact_prefix="$art/" "$corpus" "${seeds[@]}" >"$log" 2>&1
    rc=$?
    stats=$(grep -E '^stat::(number_of_executed_units|peak_rss_mb|new_units_added)' "$log" |
        sed 's/^stat:://; s/: */=/' | tr '\n' ' ')
    cov=$(grep -Eo 'cov: [0-9]+ ft: [0-9]+' "$log" | tail -1)
    if [ "$rc" -eq 0 ]; then
        pass=$((pass + 1))
        echo "PASS fuzz_$name ($cov; $stats)"
    else
        fail=$((fail + 1))
        echo "FAIL fuzz_$name (status $rc; $cov; $stats; log $log)"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|fuzz_[a-z]+:)' "$log" | head -5 |
            sed 's/^/    /'
        ls "$art" | sed 's/^/    artifact: /'
    fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
