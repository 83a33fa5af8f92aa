#!/usr/bin/env bash
# Probes and measurement against real services in the lab: failover_time accuracy
# against a truth recorded on the host, steady state, abort_if, wait_for, unknown
# outcomes, and checks on metrics that could not be measured.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel,postgres,etcd


accuracy() { # accuracy SECONDS: stop h2's Redis for that long; compare with the probe
    local secs=$1 name=accuracy-$1
    rm -f /tmp/fd-truth-*
    scenario "$name" <<EOF2
probes:
  - { name: reads, type: redis, endpoints: ["10.77.0.12:6379"], interval: 10ms, timeout: 200ms }
timeline:
  - wait: 1s
  - run:
      target: { hosts: [h2] }
      timeout: 60s
      sudo: true
      command: >
        redis-cli -h \$FD_HOST_ADDRESS shutdown nosave >/dev/null 2>&1;
        while redis-cli -h \$FD_HOST_ADDRESS ping >/dev/null 2>&1; do :; done;
        date +%s.%N > /tmp/fd-truth-down;
        sleep $secs;
        redis-server $FIREDRILL_LAB_DIR/hosts/h2/redis/redis.conf;
        until [ "\$(redis-cli -h \$FD_HOST_ADDRESS get nothing 2>&1)" = "" ]; do :; done;
        date +%s.%N > /tmp/fd-truth-up
  - wait: 1s
EOF2
    expect_exit 0 $FD run "$T_DIR/$name.yaml" --report-dir "$T_DIR/r-$name"
    local d measured truth
    d=$(ls -d "$T_DIR/r-$name"/*/)
    measured=$(report_value "$d" 'r["probes"][0]["failover_time_s"]')
    truth=$(python3 -c "print(float(open('/tmp/fd-truth-up').read()) - float(open('/tmp/fd-truth-down').read()))")
    echo "  outage of ${secs}s: truth recorded on the host ${truth}s, measured ${measured}s"
    python3 -c "import sys; sys.exit(0 if abs($measured - $truth) <= 0.010 + 0.050 else 1)" ||
        t_fail "measured $measured vs truth $truth: more than one interval + 50 ms apart"
    [ "$(report_value "$d" 'len(r["probes"][0]["outages"])')" = 1 ] || t_fail "expected one outage"
}

t_begin "failover_time is within one interval + 50 ms of a 2 s outage recorded on the host"
accuracy 2
t_end

t_begin "failover_time is within one interval + 50 ms of a 5 s outage recorded on the host"
accuracy 5
t_end

t_begin "a tcp probe at 1 ms leaves no socket in TIME_WAIT on either side"
scenario tcprate <<'EOF2'
probes:
  - { name: connect, type: tcp, address: 10.77.0.12, port: 6379, interval: 1ms, timeout: 500ms }
timeline:
  - wait: 10s
EOF2
# the sockets other tests' clients left (they last 60 s) are not the probe's
here0=$(ss -Htan state time-wait dst 10.77.0.12:6379 | wc -l)
there0=$(in_host h2 ss -Htan state time-wait src 10.77.0.12:6379 dst 10.77.0.1 | wc -l)
expect_exit 0 $FD run "$T_DIR/tcprate.yaml" --report-dir "$T_DIR/r-tcprate"
d=$(ls -d "$T_DIR"/r-tcprate/*/)
ops=$(report_value "$d" 'r["probes"][0]["ok"]')
here=$(($(ss -Htan state time-wait dst 10.77.0.12:6379 | wc -l) - here0))
there=$(($(in_host h2 ss -Htan state time-wait src 10.77.0.12:6379 dst 10.77.0.1 | wc -l) - there0))
echo "  $ops connects: $here more sockets in TIME_WAIT on the controller, $there more on h2"
[ "$ops" -ge 5000 ] || t_fail "only $ops connects"
[ "$here" -lt 10 ] || t_fail "$here sockets in TIME_WAIT on the controller"
[ "$there" -lt 10 ] || t_fail "$there sockets in TIME_WAIT on h2"
t_end

t_begin "the probes' operations past the run's memory budget: the run aborts and heals, and says so"
scenario budget <<'EOF2'
probes:
  - { name: connect, type: tcp, address: 10.77.0.12, port: 6379, interval: 1ms, timeout: 500ms }
timeline:
  - { id: p, fault: pause, process: redis-sentinel, target: { hosts: [h2] } }
  - wait: 30s
safety: { ttl: 1m }
EOF2
t0=$(t_now_ms)
FIREDRILL_MAX_OPS=3000 expect_exit 3 $FD run "$T_DIR/budget.yaml" --report-dir "$T_DIR/r-budget"
ms=$(($(t_now_ms) - t0))
[ "$ms" -lt 15000 ] || t_fail "the abort took ${ms} ms"
grep -q "ABORT: probe connect stopped: the probes' operations reached 3000, the run's memory budget" "$T_OUT" ||
    t_fail "$(grep -i abort "$T_OUT")"
d=$(ls -d "$T_DIR"/r-budget/*/)
[ "$(report_value "$d" 'r["probes"][0]["ops_recorded"]')" -le 3000 ] || t_fail "more operations than the budget"
[ "$(report_value "$d" 'r["faults"][0]["heal"]')" = ok ] || t_fail "the pause was not healed"
t_end

t_begin "steady state unmet: abort with exit 3, nothing injected"
scenario steady <<'EOF2'
probes:
  - { name: dead, type: tcp, address: 10.77.0.11, port: 1, interval: 50ms, timeout: 100ms }
steady_state:
  - { probe: dead, availability: ">= 0.99", for: 1s }
timeline:
  - { id: cut, fault: partition, target: { hosts: [h1] }, duration: 5s }
EOF2
expect_exit 3 $FD run "$T_DIR/steady.yaml" --report-dir "$T_DIR/r-steady"
grep -q "steady state not met: probe dead availability 0.0000, needs >= 0.99" "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ "$(report_value "$(ls -d "$T_DIR"/r-steady/*/)" 'len(r["faults"])')" = 0 ] || t_fail "a fault was injected"
[ -z "$(host_leftovers h1)" ] || t_fail "left: $(host_leftovers h1)"
t_end

t_begin "abort_if: heal everything and end aborted"
scenario abortif <<'EOF2'
probes:
  - { name: r2, type: redis, endpoints: ["10.77.0.12:6379"], interval: 20ms, timeout: 200ms }
timeline:
  - { id: p, fault: pause, process: redis-server, target: { hosts: [h2] } }
  - wait: 20s
safety:
  ttl: 1m
  abort_if: { probe: r2, availability: "< 0.5", for: 1s }
EOF2
t0=$(t_now_ms)
expect_exit 3 $FD run "$T_DIR/abortif.yaml" --report-dir "$T_DIR/r-abortif"
ms=$(($(t_now_ms) - t0))
[ "$ms" -lt 8000 ] || t_fail "abort took ${ms}ms"
a=$(sed -n 's/.*ABORT: abort_if: probe r2 availability \([0-9.]*\) < 0.5 over the last 1s.*/\1/p' "$T_OUT")
[ -n "$a" ] || t_fail "no abort message: $(cat "$T_OUT")"
python3 -c "import sys; sys.exit(0 if float('${a:-1}') < 0.5 else 1)" || t_fail "aborted at availability $a, not below 0.5"
grep -q '"verdict": "aborted"' "$T_DIR"/r-abortif/*/report.json || t_fail "verdict"
redis-cli -h 10.77.0.12 ping | grep -q PONG || t_fail "the pause was not healed"
t_end

t_begin "wait_for that times out fails the run (exit 1) and heals"
scenario waitfor <<'EOF2'
probes:
  - { name: r2, type: redis, endpoints: ["10.77.0.12:6379"], interval: 20ms, timeout: 200ms }
timeline:
  - { id: p, fault: pause, process: redis-server, target: { hosts: [h2] } }
  - wait_for: { probe: r2, healthy_for: 1s, timeout: 2s }
safety: { ttl: 1m }
EOF2
expect_exit 1 $FD run "$T_DIR/waitfor.yaml" --report-dir "$T_DIR/r-waitfor"
grep -q "probe r2 did not stay healthy for 1s within 2s" "$T_ERR" || t_fail "$(cat "$T_ERR")"
redis-cli -h 10.77.0.12 ping | grep -q PONG || t_fail "the pause was not healed"
t_end

t_begin "writes that time out are unknown: never lost, never a success"
primary=$(wait_single_redis_primary) || t_fail "no single redis primary"
ip=$(lab_ip "$primary")
scenario unknown <<EOF2
probes:
  - { name: w, type: redis, endpoints: ["$ip:6379"], mode: write, interval: 20ms, timeout: 200ms, settle: 1s }
timeline:
  - wait: 1s
  - { id: p, fault: pause, process: redis-server, target: { hosts: [$primary] }, duration: 1500ms }
  - wait: 3s
safety: { ttl: 1m }
EOF2
expect_exit 0 $FD run "$T_DIR/unknown.yaml" --report-dir "$T_DIR/r-unknown"
d=$(ls -d "$T_DIR"/r-unknown/*/)
unknown=$(report_value "$d" 'r["probes"][0]["unknown"]')
lost=$(report_value "$d" 'r["probes"][0]["lost_writes"]')
echo "  paused 1.5 s: $unknown unknown writes, $lost lost"
[ "$unknown" -ge 1 ] || t_fail "no unknown outcome while the server was paused"
[ "$lost" = 0 ] || t_fail "lost_writes $lost: unknown writes must not count as lost"
# the history says so, operation by operation
grep -q '"outcome":"unknown","error":"no reply: ' "$d/history.jsonl" || t_fail "no unknown op in history"
t_end

t_begin "a metric that could not be measured is null and fails its check"
scenario nullmetric <<'EOF2'
probes:
  - { name: dead, type: tcp, address: 10.77.0.11, port: 1, interval: 50ms, timeout: 100ms }
timeline:
  - wait: 500ms
checks:
  - { probe: dead, metric: latency_p99, max: 1s }
EOF2
expect_exit 1 $FD run "$T_DIR/nullmetric.yaml" --report-dir "$T_DIR/r-null"
d=$(ls -d "$T_DIR"/r-null/*/)
[ "$(report_value "$d" 'r["checks"][0]["value"]')" = None ] || t_fail "value should be null"
[ "$(report_value "$d" 'r["checks"][0]["pass"]')" = False ] || t_fail "an unmeasured metric passed"
[ "$(report_value "$d" 'r["probes"][0]["latency_ms"]["p99"]')" = None ] || t_fail "p99 should be null"
t_end

t_done
