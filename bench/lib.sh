# bench/lib.sh: what the lab benchmarks share. Sourced from the repository's root:
#     . bench/lib.sh
#     bench_lab --hosts 3 --datacenters 3 --services postgres
# sets FD (the binary, built when missing), RUNS and ROWS (from the environment, with
# defaults 3 and 1,000,000), brings the lab up as asked and loads lab.env, and makes
# $work, a scratch folder removed at exit. bench_inventory makes a copy of the lab's
# inventory with a connect timeout fit for the lab's size.
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

# bench_inventory HOSTS OUT: the lab's inventory with its 3 s connect timeout, 20 s from
# 128 hosts, where every host's sshd shares this machine's cores with the others'
# agents and a login or a session's start takes longer than 3 s (CONNECT_TIMEOUT sets
# it). Drills on the copy need --yes: it is not the file the lab wrote.
bench_inventory() {
    local ct=${CONNECT_TIMEOUT:-$([ "$1" -ge 128 ] && echo 20s || echo 3s)}
    sed "s/^  connect_timeout: .*/  connect_timeout: $ct/" "$FIREDRILL_LAB_DIR/inventory.yaml" >"$2"
}
