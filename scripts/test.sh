#!/usr/bin/env bash
# scripts/test.sh: everything a fresh Debian 12 machine needs to prove firedrill works,
# as root: install what is missing, build (plain and ASan+UBSan), run the unit tests
# (also under valgrind), the command-line tests and the lab integration tests over
# real SSH. The lab is taken down at the end, pass or fail.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== format (.clang-format) and size (CONTRIBUTING.md)"
scripts/check-format.sh
scripts/check-size.py

echo "== build"
scripts/build.sh build
echo "== unit and command-line tests"
(cd build && ctest -L 'unit|cli' --output-on-failure)

echo "== installing: cmake --install, the .deb and lintian, manual pages, completion"
(cd build && ctest -L install --output-on-failure)

echo "== unit tests under valgrind"
for t in build/tests/test_*; do
    [ -x "$t" ] || continue
    FD_TEST_DATA=tests FD_SOURCE_DIR=. valgrind -q --error-exitcode=99 --leak-check=full \
        --errors-for-leak-kinds=definite,indirect,possible "$t" >/dev/null ||
        { echo "valgrind found errors in $t"; exit 1; }
done
# validate on the whole corpus: the valid scenarios, every invalid case, the shipped drills
rc=0
env -u FD_TEST_SURELY_UNSET_VARIABLE valgrind -q --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect,possible build/firedrill validate \
    tests/scenarios/valid/[!i]*.yaml tests/scenarios/invalid/*/scenario.yaml >/dev/null 2>/tmp/fd-vg.$$ || rc=$?
[ "$rc" = 2 ] || { cat /tmp/fd-vg.$$; echo "valgrind: validate exited $rc over the corpus"; exit 1; }
valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
    build/firedrill validate --inventory tests/scenarios/lab-inventory.yaml scenarios/*.yaml >/dev/null ||
    { echo "valgrind: validate failed on the shipped drills"; exit 1; }
rm -f /tmp/fd-vg.$$
# the fuzz corpora, every input ever found, replayed under valgrind too
for t in build/tests/replay_*; do
    [ -x "$t" ] || continue
    valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect,possible \
        "$t" "tests/fuzz/corpus/${t##*/replay_}" >/dev/null ||
        { echo "valgrind found errors in $t over its corpus"; exit 1; }
done
echo "valgrind: no errors or leaks in the unit tests, the fuzz corpora and validate over the corpus"

echo "== ASan+UBSan build"
scripts/build.sh build-asan -DFD_SANITIZE=ON -DFD_INTEGRATION=OFF
(cd build-asan && ctest -L 'unit|cli' --output-on-failure)

echo "== ThreadSanitizer build: the unit tests, and a lab drill (test_threads)"
scripts/build.sh build-tsan -DFD_SANITIZE=thread -DFD_INTEGRATION=OFF
(cd build-tsan && TSAN_OPTIONS="halt_on_error=1" ctest -L unit --output-on-failure)

echo "== lab integration tests (real sshd, Redis, Sentinel, PostgreSQL, etcd, Prometheus, Alertmanager)"
trap 'tests/lab/lab down >/dev/null 2>&1 || true' EXIT
(cd build && FIREDRILL_TSAN=$PWD/../build-tsan/firedrill ctest -L integration --output-on-failure)
