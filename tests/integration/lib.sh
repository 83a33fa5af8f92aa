# tests/integration/lib.sh: shared set-up for the lab integration tests.
SRC=${FD_SOURCE_DIR:?}
FD=${FIREDRILL:?}
LAB=$SRC/tests/lab/lab
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
. "$SRC/tests/testlib.sh"

# lab_up ARGS...: bring the lab up as asked (a no-op when it already is) and load lab.env.
# FD_LAB_MODE adds options of `lab up` to every test's own (e.g. "--user deploy": the
# whole suite as a sudo user; see CONTRIBUTING.md).
lab_up() {
    # shellcheck disable=SC2086 # FD_LAB_MODE is a list of options
    LAB_QUIET=1 "$LAB" up "$@" ${FD_LAB_MODE:-} || { echo "lab up $* ${FD_LAB_MODE:-} failed"; exit 1; }
    . "$FIREDRILL_LAB_DIR/lab.env"
    INV=$FIREDRILL_LAB_DIR/inventory.yaml
}

# The lab host that Sentinel currently reports as the Redis primary (h1, h2, ...).
redis_primary_host() {
    local ip
    ip=$(redis-cli -h 10.77.0.11 -p 26379 sentinel get-master-addr-by-name mymaster | head -1)
    echo "h$((${ip##*.} - 10))"
}

# scenario NAME: writes $T_DIR/NAME.yaml: version, name and the lab inventory, then
# the rest from stdin.
scenario() {
    { echo "version: 1"; echo "name: $1"; echo "inventory: $INV"; cat; } >"$T_DIR/$1.yaml"
}

# report_value RUN_DIR PYTHON_EXPR: a value from RUN_DIR/report.json (r is the report).
report_value() {
    python3 -c "import json,sys; r=json.load(open(sys.argv[1])); print($2)" "$1/report.json"
}

# lab_ssh HOST COMMAND: as root (through the lab's sudo user in --user mode, through
# the bastion in --bastion mode)
lab_ssh() {
    local h=$1 cmd jump=()
    shift
    cmd="$*"
    if [ "${FD_LAB_USER:-root}" != root ]; then
        cmd="sudo -n sh -c '${cmd//\'/\'\\\'\'}'"
    fi
    if [ -n "${FD_LAB_JUMP:-}" ]; then
        jump=(-o "ProxyCommand=ssh -q -i $FD_LAB_KEY -o UserKnownHostsFile=$FD_LAB_KNOWN_HOSTS -o BatchMode=yes -W %h:%p ${FD_LAB_USER:-root}@$FD_LAB_JUMP")
    fi
    ssh -q -i "$FD_LAB_KEY" -o UserKnownHostsFile="$FD_LAB_KNOWN_HOSTS" -o StrictHostKeyChecking=yes \
        -o BatchMode=yes "${jump[@]}" "${FD_LAB_USER:-root}@10.77.0.$((10 + ${h#h}))" "$cmd"
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

# ---- running drills in the background and following their history

# fd_run_bg SCENARIO [ARGS...]: starts `firedrill run` in the background.
fd_run_bg() {
    RUN_REPORTS=$T_DIR/reports-$RANDOM$RANDOM
    "$FD" run "$@" --report-dir "$RUN_REPORTS" >"$T_DIR/run.out" 2>"$T_DIR/run.err" &
    RUN_PID=$!
}

run_dir() { ls -d "$RUN_REPORTS"/*/ 2>/dev/null | head -n 1; }

# wait_event EVENT [SECONDS]: waits until the run's history holds that event.
wait_event() {
    local ev=$1 secs=${2:-30} d
    for _ in $(seq 1 $((secs * 20))); do
        d=$(run_dir)
        [ -n "$d" ] && grep -q "\"event\":\"$ev\"" "$d/history.jsonl" 2>/dev/null && return 0
        kill -0 "$RUN_PID" 2>/dev/null || { d=$(run_dir); [ -n "$d" ] && grep -q "\"event\":\"$ev\"" "$d/history.jsonl" 2>/dev/null; return $?; }
        sleep 0.05
    done
    return 1
}

# wait_events EVENT N: waits (at most 5 s) until the run's history holds N such events.
wait_events() {
    for _ in $(seq 1 100); do
        [ "$(grep -c "\"event\":\"$1\"" "$(run_dir)/history.jsonl" 2>/dev/null)" = "$2" ] && return 0
        sleep 0.05
    done
    return 1
}

# fd_run_wait: waits for the background run; its exit status is in RUN_RC.
fd_run_wait() {
    wait "$RUN_PID"
    RUN_RC=$?
}

in_host() { "$LAB" exec "$@"; }

# reach FROM ADDR PORT: a TCP connect from inside a lab host, 1 s at most.
reach() { in_host "$1" timeout 1 bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null; }

# Firewall rules and fault records on a host, for "nothing left behind" checks.
host_leftovers() {
    in_host "$1" sh -c 'nft list tables 2>/dev/null | grep firedrill; ls /run/firedrill 2>/dev/null; pgrep -af "[f]d-watchdog|[f]d-lease-reaper"; tc qdisc show dev eth0 | grep -v "noqueue 0: root"' || true
}

lab_ip() { echo "10.77.0.$((10 + ${1#h}))"; }

# no_leftovers HOST...: fails the test for every host with firedrill's rules or records left.
no_leftovers() {
    local h left
    for h in "$@"; do
        left=$(host_leftovers "$h")
        [ -z "$left" ] || t_fail "$h: left behind: $left"
    done
}

# kill_pause_cut NAME PAUSE_HOST CUT_HOST [INVENTORY]: a drill that kills h2's Redis
# (restarting it), pauses Sentinel on PAUSE_HOST and partitions CUT_HOST, with the steps
# on stdin after those; it must pass with every fault healed and Redis on h2 restarted.
# Its run folder is D.
kill_pause_cut() {
    local name=$1 before after
    before=$(in_host h2 pgrep -x redis-server)
    scenario "$name" <<EOF2
safety: { ttl: 1m }
timeline:
  - id: k
    fault: kill
    process: redis-server
    restart: "redis-server $FIREDRILL_LAB_DIR/hosts/\$FD_HOST_NAME/redis/redis.conf"
    target: { hosts: [h2] }
  - { id: p, fault: pause, process: redis-sentinel, target: { hosts: [$2] } }
  - { id: cut, fault: partition, target: { hosts: [$3] } }
$(cat)
  - wait: 1s
EOF2
    [ -z "${4:-}" ] || sed -i "s|^inventory: .*|inventory: $4|" "$T_DIR/$name.yaml"
    expect_exit 0 $FD run "$T_DIR/$name.yaml" --yes --report-dir "$T_DIR/r-$name"
    D=$(ls -d "$T_DIR/r-$name"/*/ | head -n 1)
    [ "$(report_value "$D" 'set(f["heal"] for f in r["faults"]) == {"ok"} and len(r["faults"]) >= 3')" = True ] ||
        t_fail "$(report_value "$D" 'r["faults"]')"
    after=$(in_host h2 pgrep -x redis-server)
    [ -n "$after" ] && [ "$after" != "$before" ] || t_fail "redis on h2 not restarted ($before, $after)"
}
