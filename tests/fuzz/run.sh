#!/usr/bin/env bash
# tests/fuzz/run.sh [SECONDS]: builds the libFuzzer targets with clang (ASan+UBSan)
# and fuzzes each for SECONDS (default 300), starting from the committed corpus.
# New interesting inputs go to build-fuzz/corpus-<target>/; a crash is written to
# build-fuzz/crash-<target>-*, to be fixed and then added to tests/fuzz/corpus/.
set -euo pipefail
cd "$(dirname "$0")/../.."
secs=${1:-300}
CC=clang cmake -S . -B build-fuzz -DFD_FUZZ=ON -DFD_INTEGRATION=OFF -DFD_WERROR=OFF >/dev/null
cmake --build build-fuzz -j"$(nproc)" --target fuzz_scenario fuzz_report fuzz_index fuzz_ansible >/dev/null
for t in scenario report index ansible; do
    mkdir -p "build-fuzz/corpus-$t"
    echo "fuzzing $t for ${secs}s"
    build-fuzz/tests/fuzz_$t -max_total_time="$secs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="build-fuzz/crash-$t-" -print_final_stats=1 \
        "build-fuzz/corpus-$t" "tests/fuzz/corpus/$t" 2>&1 | tail -n 12
done
