# tests/integration/lib.sh: shared set-up for the lab integration tests.
SRC=${FD_SOURCE_DIR:?}
FD=${FIREDRILL:?}
LAB=$SRC/tests/lab/lab
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
. "$SRC/tests/testlib.sh"

# lab_up ARGS...: bring the lab up as asked (a no-op when it already is) and load lab.env.
lab_up() {
    LAB_QUIET=1 "$LAB" up "$@" || { echo "lab up $* failed"; exit 1; }
    . "$FIREDRILL_LAB_DIR/lab.env"
    INV=$FIREDRILL_LAB_DIR/inventory.yaml
}

# The lab host that Sentinel currently reports as the Redis primary (h1, h2, ...).
redis_primary_host() {
    local ip
    ip=$(redis-cli -h 10.77.0.11 -p 26379 sentinel get-master-addr-by-name mymaster | head -1)
    echo "h$((${ip##*.} - 10))"
}

lab_ssh() { # lab_ssh HOST COMMAND
    local h=$1
    shift
    ssh -q -i "$FD_LAB_KEY" -o UserKnownHostsFile="$FD_LAB_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
        -o BatchMode=yes "root@10.77.0.$((10 + ${h#h}))" "$@"
}

# Waits (at most 30 s) until exactly one lab Redis answers ROLE with master and the
# sentinels agree on it; after a failover the old primary claims master until Sentinel
# converts it. Prints that host.
wait_single_redis_primary() {
    local n=${FD_LAB_HOSTS:-3} i masters who
    for _ in $(seq 1 150); do
        masters=0
        who=
        for i in $(seq 1 "$n"); do
            if redis-cli -h "10.77.0.$((10 + i))" role 2>/dev/null | head -1 | grep -qx master; then
                masters=$((masters + 1))
                who=h$i
            fi
        done
        if [ "$masters" = 1 ] && [ "$who" = "$(redis_primary_host)" ]; then
            echo "$who"
            return 0
        fi
        sleep 0.2
    done
    return 1
}
