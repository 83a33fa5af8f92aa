# bench/lib.sh: what the lab benchmarks share. Sourced from the repository's root:
#     . bench/lib.sh
#     bench_lab --hosts 3 --datacenters 3 --services postgres
# sets FD (the binary, built when missing), RUNS and ROWS (from the environment, with
# defaults 3 and 1,000,000), brings the lab up as asked and loads lab.env, and makes
# $work, a scratch folder removed at exit.
FD=${FIREDRILL:-build/firedrill}
RUNS=${RUNS:-3}
ROWS=${ROWS:-1000000}

bench_lab() {
    [ -x "$FD" ] || scripts/build.sh build
    export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
    tests/lab/lab up "$@" >/dev/null
    . "$FIREDRILL_LAB_DIR/lab.env"
    work=$(mktemp -d /tmp/fd-bench.XXXXXX)
    trap 'rm -rf "$work"' EXIT
}
