#!/usr/bin/env bash
# Drills against the real monitoring stack in the lab (Prometheus scraping etcd and a
# Redis exporter, an Alertmanager with the lab's rules, a Pushgateway, a node exporter's
# textfile collector): the shipped drills etcd-kill-leader-slo and redis-sentinel-alert,
# the alert gate's refusals and abort, conditions on a prometheus probe's values, the
# figures pushed and written and read back from Prometheus, and bad input.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel,postgres,etcd,prometheus

# promql QUERY: the value of the one series QUERY gives now (empty when none).
promql() {
    curl -sf "$FD_PROMETHEUS/api/v1/query" --data-urlencode "query=$1" |
        python3 -c 'import json,sys; r=json.load(sys.stdin)["data"]["result"]; print(r[0]["value"][1] if len(r) == 1 else "")'
}

# wait_promql QUERY WANT: waits (at most 15 s: a scrape a second) until QUERY gives WANT.
wait_promql() {
    local got
    for _ in $(seq 1 75); do
        got=$(promql "$1")
        [ "$got" = "$2" ] && return 0
        sleep 0.2
    done
    t_fail "$1: got '${got}', want '$2'"
    return 1
}

# post_alert NAME SECONDS: an alert posted to the lab's Alertmanager, as Prometheus posts
# one, with severity critical; it ends SECONDS from now (0: it resolves now).
post_alert() {
    local ends
    ends=$(date -u -d "@$(($(date +%s) + $2))" +%Y-%m-%dT%H:%M:%SZ)
    curl -sf -XPOST -H 'Content-Type: application/json' "$FD_ALERTMANAGER/api/v2/alerts" \
        -d "[{\"labels\":{\"alertname\":\"$1\",\"severity\":\"critical\",\"team\":\"storage\"},\"endsAt\":\"$ends\"}]" >/dev/null
}

# no critical alert active: the drills below gate on them
alerts_quiet() {
    for _ in $(seq 1 100); do
        [ "$(curl -sf "$FD_ALERTMANAGER/api/v2/alerts?active=true&filter=severity%3D%22critical%22")" = "[]" ] && return 0
        sleep 0.2
    done
    return 1
}

t_begin "the lab's monitoring host: every exporter scraped, the alert rules loaded, nothing firing"
for job in prometheus pushgateway node etcd redis postgres; do
    n=$(promql "count(up{job=\"$job\"} == 1)")
    want=1
    case $job in etcd | redis | postgres) want=3 ;; esac
    [ "$n" = "$want" ] || t_fail "job $job: ${n:-no} targets up, want $want"
done
[ "$(promql 'count(pg_up == 1)')" = 3 ] || t_fail "the PostgreSQL exporters do not reach their servers"
[ "$(promql 'count(redis_up == 1)')" = 3 ] || t_fail "the Redis exporter does not reach every Redis"
rules=$(curl -sf "$FD_PROMETHEUS/api/v1/rules" | python3 -c 'import json,sys; print(" ".join(sorted(r["name"] for g in json.load(sys.stdin)["data"]["groups"] for r in g["rules"])))')
[ "$rules" = "EtcdMemberDown EtcdNoLeader PostgresDown RedisDown RedisMasterDown RedisMasterLinkDown" ] ||
    t_fail "rules: $rules"
alerts_quiet || t_fail "a critical alert fires in the lab at rest"
t_end

t_begin "etcd-kill-leader-slo: the client's outage and Prometheus's election agree; the figures reach Prometheus"
prom=$FD_TEXTFILE_DIR/firedrill-slo.prom
rm -f "$prom"
expect_exit 0 $FD run "$SRC/scenarios/etcd-kill-leader-slo.yaml" --report-dir "$T_DIR/r-slo" \
    --metrics-file "$prom"
d=$(ls -d "$T_DIR"/r-slo/*/)
fo=$(report_value "$d" '[p for p in r["probes"] if p["name"] == "writes"][0]["failover_time_s"]')
changes=$(report_value "$d" '[c for c in r["checks"] if c.get("during") == "kill-leader"][0]["value"]')
echo "  client: failover ${fo}s; Prometheus: ${changes} leader changes seen during the kill"
python3 -c "import sys; sys.exit(0 if $fo > 0 and $changes >= 1 else 1)" || t_fail "views disagree: $fo s, $changes changes"
# the values are in history.jsonl, operation by operation
n=$(grep -c '"probe":"has_leader","n":[0-9]*,"op":"read","value":' "$d/history.jsonl")
[ "$n" -ge 20 ] || t_fail "only $n has_leader values in history.jsonl"
[ "$(report_value "$d" '[p for p in r["probes"] if p["name"] == "has_leader"][0]["values"]["last"]')" = 1.0 ] ||
    t_fail "has_leader's last value is not 1"
grep -q '^# firedrill metrics:' "$prom" || t_fail "no metrics file"
# read back from Prometheus: pushed (job firedrill) and through the textfile collector (job node)
wait_promql 'firedrill_exit_code{scenario="etcd-kill-leader-slo",job="firedrill"}' 0
wait_promql 'firedrill_exit_code{scenario="etcd-kill-leader-slo",job="node"}' 0
got=$(promql 'firedrill_failover_seconds{scenario="etcd-kill-leader-slo",probe="writes",job="firedrill"}')
python3 -c "import sys; sys.exit(0 if abs(float('${got:-nan}') - $fo) < 1e-6 else 1)" ||
    t_fail "Prometheus says failover ${got}s, the report ${fo}s"
wait_promql 'firedrill_lost_writes{scenario="etcd-kill-leader-slo",probe="writes",job="node"}' 0
t_end

t_begin "redis-sentinel-alert: RedisMasterDown fires within its bound and resolves after the failover"
alerts_quiet || t_fail "a critical alert is active before the drill"
expect_exit 0 $FD run "$SRC/scenarios/redis-sentinel-alert.yaml" --report-dir "$T_DIR/r-alert"
d=$(ls -d "$T_DIR"/r-alert/*/)
tta=$(report_value "$d" '[c for c in r["checks"] if c["metric"] == "time_to_alert"][0]["value"]')
ttr=$(report_value "$d" '[c for c in r["checks"] if c["metric"] == "time_to_resolve"][0]["value"]')
echo "  RedisMasterDown: firing ${tta}s after the kill, resolved ${ttr}s after it"
python3 -c "import sys; sys.exit(0 if 0 < $tta <= 15 and $tta < $ttr <= 60 else 1)" || t_fail "times $tta, $ttr"
[ "$(report_value "$d" '[a["expected"] for a in r["alerts"]["alerts"] if a["name"] == "RedisMasterDown"][0]')" = True ] ||
    t_fail "RedisMasterDown not recorded as expected"
grep -q '"event":"alert","state":"resolved","name":"RedisMasterDown"' "$d/history.jsonl" ||
    grep -q '"state":"resolved"' "$d/history.jsonl" || t_fail "no resolution in history.jsonl"
wait_single_redis_primary >/dev/null || t_fail "no single redis primary after the drill"
t_end

t_begin "an alert firing before the start: exit 3 naming it, nothing injected"
alerts_quiet || t_fail "a critical alert is active before the test"
post_alert FdTestDiskFull 120
expect_exit 3 $FD run "$SRC/scenarios/redis-sentinel-alert.yaml" --report-dir "$T_DIR/r-firing"
grep -q 'safety.alerts: alert FdTestDiskFull {severity="critical", team="storage"} is firing' "$T_ERR" ||
    t_fail "the alert is not named: $(cat "$T_ERR")"
d=$(ls -d "$T_DIR"/r-firing/*/)
[ "$(report_value "$d" 'len(r["faults"])')" = 0 ] || t_fail "a fault was injected"
[ "$(report_value "$d" 'r["alerts"]["alerts"][0]["at_start"]')" = True ] || t_fail "not recorded at_start"
post_alert FdTestDiskFull 0
t_end

t_begin "an alert the drill does not expect starts firing: abort, every fault healed"
alerts_quiet || t_fail "a critical alert is still active"
scenario unexpected <<EOF2
probes:
  - { name: r2, type: redis, endpoints: ["10.77.0.12:6379"], interval: 20ms, timeout: 200ms }
timeline:
  - { id: p, fault: pause, process: redis-server, target: { hosts: [h2] } }
  - wait: 30s
safety:
  ttl: 2m
  alerts: { alertmanager: "$FD_ALERTMANAGER", matchers: ['severity="critical"'], interval: 200ms }
EOF2
fd_run_bg "$T_DIR/unexpected.yaml"
wait_event fault_applied 30 || t_fail "the fault was not applied"
t0=$(t_now_ms)
post_alert FdTestDiskFull 120
fd_run_wait
ms=$(($(t_now_ms) - t0))
[ "$RUN_RC" = 3 ] || t_fail "exit $RUN_RC, not 3: $(cat "$T_DIR/run.err")"
echo "  aborted and healed ${ms} ms after the alert was posted"
[ "$ms" -lt 10000 ] || t_fail "the abort took ${ms} ms"
d=$(run_dir)
report_value "$d" 'r["abort_reason"]' | grep -q 'alert FdTestDiskFull .* started firing' ||
    t_fail "abort_reason: $(report_value "$d" 'r["abort_reason"]')"
[ "$(report_value "$d" 'r["faults"][0]["heal"]')" = ok ] || t_fail "the pause was not healed"
redis-cli -h 10.77.0.12 ping | grep -q PONG || t_fail "Redis on h2 is still paused"
post_alert FdTestDiskFull 0
no_leftovers h2
t_end

t_begin "an expected alert that fires before any fault stops the drill: the service is unwell already"
alerts_quiet || t_fail "a critical alert is still active"
scenario early <<EOF2
probes:
  - { name: r2, type: redis, endpoints: ["10.77.0.12:6379"], interval: 20ms, timeout: 200ms }
steady_state:
  - { probe: r2, availability: ">= 0.99", for: 5s }
timeline:
  - { id: p, fault: pause, process: redis-server, target: { hosts: [h2] }, duration: 5s }
safety:
  alerts: { alertmanager: "$FD_ALERTMANAGER", matchers: ['severity="critical"'], expect: [FdTestDiskFull], interval: 200ms }
EOF2
fd_run_bg "$T_DIR/early.yaml"
for _ in $(seq 1 100); do grep -q 'steady state: measuring' "$T_DIR/run.out" && break; sleep 0.05; done
post_alert FdTestDiskFull 120
fd_run_wait
[ "$RUN_RC" = 3 ] || t_fail "exit $RUN_RC, not 3: $(cat "$T_DIR/run.err")"
d=$(run_dir)
report_value "$d" 'r["abort_reason"]' | grep -q 'alert FdTestDiskFull .* started firing before any fault' ||
    t_fail "abort_reason: $(report_value "$d" 'r["abort_reason"]')"
[ "$(report_value "$d" 'len(r["faults"])')" = 0 ] || t_fail "a fault was injected"
post_alert FdTestDiskFull 0
t_end

t_begin "conditions on values: an unmet steady state injects nothing; abort_if on a value heals"
scenario valuesteady <<EOF2
probes:
  - { name: five, type: prometheus, url: "$FD_PROMETHEUS", query: "vector(5)", interval: 100ms }
steady_state:
  - { probe: five, value: "< 1", for: 1s }
timeline:
  - { id: p, fault: pause, process: redis-server, target: { hosts: [h2] }, duration: 5s }
EOF2
expect_exit 3 $FD run "$T_DIR/valuesteady.yaml" --report-dir "$T_DIR/r-valuesteady"
grep -q 'steady state not met: probe five value 5 at operation [0-9]*, needs < 1' "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ "$(report_value "$(ls -d "$T_DIR"/r-valuesteady/*/)" 'len(r["faults"])')" = 0 ] || t_fail "a fault was injected"
# etcd members Prometheus cannot scrape: the kill of one makes it 1
scenario valueabort <<EOF2
probes:
  - { name: down, type: prometheus, url: "$FD_PROMETHEUS", query: 'sum(up{job="etcd"} == bool 0)', interval: 200ms }
steady_state:
  - { probe: down, value: "< 1", for: 1s }
timeline:
  - { id: k, fault: kill, process: etcd, signal: KILL, target: { hosts: [h3] },
      restart: "sh $FIREDRILL_LAB_DIR/hosts/h3/etcd/start.sh" }
  - wait: 30s
safety:
  ttl: 2m
  abort_if: { probe: down, value: ">= 1", for: 1s }
EOF2
t0=$(t_now_ms)
expect_exit 3 $FD run "$T_DIR/valueabort.yaml" --report-dir "$T_DIR/r-valueabort"
ms=$(($(t_now_ms) - t0))
[ "$ms" -lt 20000 ] || t_fail "the abort took ${ms} ms"
grep -q 'ABORT: abort_if: probe down value 1 (the last of [0-9]*, all holding) >= 1 over the last 1s' "$T_OUT" ||
    t_fail "no abort message: $(grep ABORT "$T_OUT")"
d=$(ls -d "$T_DIR"/r-valueabort/*/)
[ "$(report_value "$d" 'r["faults"][0]["heal"]')" = ok ] || t_fail "the kill was not healed"
ETCDCTL_API=3 etcdctl --endpoints "$FD_ETCD_ENDPOINTS" endpoint health >/dev/null 2>&1 ||
    sleep 3
ETCDCTL_API=3 etcdctl --endpoints "$FD_ETCD_ENDPOINTS" endpoint health >/dev/null 2>&1 ||
    t_fail "etcd is not healthy after the heal"
t_end

t_begin "Prometheus or the Alertmanager unreachable at the start: exit 4 naming the URL, nothing injected"
expect_exit 4 $FD run "$SRC/scenarios/etcd-kill-leader-slo.yaml" --report-dir "$T_DIR/r-noprom" \
    --var prometheus=http://10.77.0.9:1
grep -q 'preflight: probe has_leader: cannot query http://10.77.0.9:1' "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ "$(report_value "$(ls -d "$T_DIR"/r-noprom/*/)" 'len(r["faults"])')" = 0 ] || t_fail "a fault was injected"
expect_exit 4 $FD run "$SRC/scenarios/redis-sentinel-alert.yaml" --report-dir "$T_DIR/r-noam" \
    --var alertmanager=http://10.77.0.9:1
grep -q 'safety.alerts: cannot ask the Alertmanager at http://10.77.0.9:1' "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ "$(report_value "$(ls -d "$T_DIR"/r-noam/*/)" 'len(r["faults"])')" = 0 ] || t_fail "a fault was injected"
t_end

t_begin "a query Prometheus refuses: exit 2 at preflight with its error, before any fault"
scenario badquery <<EOF2
probes:
  - { name: bad, type: prometheus, url: "$FD_PROMETHEUS", query: "sum(rate(redis_up[1]))" }
timeline:
  - { id: p, fault: pause, process: redis-server, target: { hosts: [h2] }, duration: 5s }
EOF2
expect_exit 2 $FD run "$T_DIR/badquery.yaml" --report-dir "$T_DIR/r-badquery"
grep -q "badquery.yaml:5:5: probe bad: the server refused the query: bad_data: .*parse error" "$T_ERR" ||
    t_fail "$(cat "$T_ERR")"
d=$(ls -d "$T_DIR"/r-badquery/*/)
[ "$(report_value "$d" 'len(r["faults"])')" = 0 ] || t_fail "a fault was injected"
[ "$(report_value "$d" 'r["exit_code"]')" = 2 ] || t_fail "report.json's exit_code"
t_end

t_begin "Prometheus unreachable during the run: the probe's operations fail, recorded, never skipped"
scenario promdown <<EOF2
probes:
  - { name: up, type: prometheus, url: "$FD_PROMETHEUS", query: 'count(up)', interval: 100ms, timeout: 300ms }
timeline:
  - wait: 1s
  - run: { command: "$LAB link hmon down" }
  - wait: 2s
  - run: { command: "$LAB link hmon up" }
  - wait: 2s
EOF2
expect_exit 0 $FD run "$T_DIR/promdown.yaml" --report-dir "$T_DIR/r-promdown"
"$LAB" link hmon up 2>/dev/null
d=$(ls -d "$T_DIR"/r-promdown/*/)
fail=$(report_value "$d" 'r["probes"][0]["fail"] + r["probes"][0]["unknown"]')
ok=$(report_value "$d" 'r["probes"][0]["ok"]')
ops=$(report_value "$d" 'r["probes"][0]["ops"]')
missed=$(report_value "$d" 'r["probes"][0]["missed_slots"]')
echo "  $ops operations: $ok ok, $fail failed, $missed missed slots"
[ "$fail" -ge 3 ] || t_fail "only $fail failed operations while Prometheus was unreachable"
[ "$ok" -ge 20 ] || t_fail "only $ok ok operations"
grep -q '"probe":"up",.*"outcome":"fail","error":"http://10.77.0.9:9090: ' "$d/history.jsonl" ||
    t_fail "no failed operation with its error in history.jsonl"
python3 -c "import sys; sys.exit(0 if $ok + $fail + $missed >= 45 else 1)" ||
    t_fail "operations and missed slots do not cover the run: $ok + $fail + $missed"
t_end

t_begin "--metrics-file never replaces a file firedrill did not write"
echo "node_custom_metric 1" >"$T_DIR/mine.prom"
expect_exit 2 $FD run "$SRC/scenarios/etcd-kill-leader-slo.yaml" --report-dir "$T_DIR/r-mine" \
    --metrics-file "$T_DIR/mine.prom"
grep -q 'refusing to replace it' "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ "$(cat "$T_DIR/mine.prom")" = "node_custom_metric 1" ] || t_fail "the file was changed"
[ ! -e "$T_DIR/r-mine" ] || t_fail "the run started"
ln -s "$T_DIR/mine.prom" "$T_DIR/link.prom"
expect_exit 2 $FD run "$SRC/scenarios/etcd-kill-leader-slo.yaml" --report-dir "$T_DIR/r-mine" \
    --metrics-file "$T_DIR/link.prom"
[ "$(cat "$T_DIR/mine.prom")" = "node_custom_metric 1" ] || t_fail "the link's target was changed"
t_end

t_done
