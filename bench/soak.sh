#!/usr/bin/env bash
# bench/soak.sh: do the probes hold their rate and precision for as long as a game day?
# One drill of MINUTES minutes (default 30) with a probe of every type at its fastest
# sensible rate (tcp and redis at 1 ms; postgres at PG_INTERVAL, mysql at
# MYSQL_INTERVAL and etcd at ETCD_INTERVAL, default 5ms, 20ms and 10ms: what their
# writes sustain beside everything else on a 2-core machine, where alone they hold 1 ms,
# 1 ms and 3 ms (docs/benchmarks.md); http at 2 ms; prometheus and command at 100 ms) and a fault every FAULT_EVERY minutes
# (default 5: redis-server on the primary paused for 10 s). Prints, per probe, its
# operations, missed slots outside and inside fault windows, and p99; and the
# controller's CPU, memory, threads, descriptors and the machine's TIME_WAIT sockets
# minute by minute, so that a slope shows. CONTROLLER_NICE (default 0) runs the controller
# at that nice value: -10 gives it the share of the cores a controller on a machine of its
# own has, here where the lab's services share the same two cores. Not run by the test
# command. Needs root (the lab); traffic goes only to the lab's addresses.
set -euo pipefail
cd "$(dirname "$0")/.."
FD=${FIREDRILL:-build/firedrill}
MINUTES=${MINUTES:-30}
FAULT_EVERY=${FAULT_EVERY:-5}
PG_INTERVAL=${PG_INTERVAL:-5ms}
MYSQL_INTERVAL=${MYSQL_INTERVAL:-20ms}
ETCD_INTERVAL=${ETCD_INTERVAL:-10ms}
CONTROLLER_NICE=${CONTROLLER_NICE:-0}
[ -x "$FD" ] || scripts/build.sh build
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
services=redis,postgres,mariadb,etcd,prometheus
# MYSQL_INTERVAL=off: no mysql probe and no MariaDB in the lab (its three servers cost the
# machine about a sixth of a core even when idle)
[ "$MYSQL_INTERVAL" = off ] && services=redis,postgres,etcd,prometheus
tests/lab/lab down >/dev/null 2>&1 || true
tests/lab/lab up --hosts 3 --services "$services" >/dev/null
. "$FIREDRILL_LAB_DIR/lab.env"
work=$(mktemp -d /tmp/fd-soak.XXXXXX) # kept: its run directory is for reading afterwards
{
    printf '%s\n' "version: 1" "name: soak" "inventory: $FIREDRILL_LAB_DIR/inventory.yaml" "probes:"
    echo "  - { name: tcp, type: tcp, address: 10.77.0.12, port: 6379, interval: 1ms, timeout: 500ms }"
    echo "  - { name: redis, type: redis, endpoints: [\"$FD_REDIS\"], mode: write, interval: 1ms, timeout: 500ms }"
    echo "  - { name: postgres, type: postgres, conninfo: \"$FD_PG_CONNINFO\", mode: write, interval: $PG_INTERVAL, timeout: 1s }"
    [ "$MYSQL_INTERVAL" = off ] ||
        echo "  - { name: mysql, type: mysql, endpoints: [\"10.77.0.11:3306\"], user: \"$FD_MYSQL_USER\", password: \"\${env:FD_MYSQL_PASSWORD}\", database: soak, table: soak, mode: write, interval: $MYSQL_INTERVAL, timeout: 1s }"
    echo "  - { name: etcd, type: etcd, endpoints: \"$FD_ETCD_ENDPOINTS\", mode: write, interval: $ETCD_INTERVAL, timeout: 1s }"
    echo "  - { name: http, type: http, url: \"$FD_PROMETHEUS/-/healthy\", interval: 2ms, timeout: 500ms }"
    echo "  - { name: prometheus, type: prometheus, url: \"$FD_PROMETHEUS\", query: 'sum(rate(redis_commands_processed_total[30s]))', interval: 100ms, timeout: 1s }"
    echo "  - { name: command, type: command, command: 'true', target: { hosts: [h3] }, interval: 100ms, timeout: 2s }"
    echo "timeline:"
    rounds=$((MINUTES / FAULT_EVERY))
    for i in $(seq 1 "$rounds"); do
        echo "  - wait: $((FAULT_EVERY * 60 - 10))s"
        echo "  - { id: pause-$i, fault: pause, process: redis-server, target: { hosts: [h1] }, duration: 10s }"
        echo "  - wait: 10s"
    done
    echo "safety: { ttl: 5m }"
} >"$work/soak.yaml"
echo "soak: $MINUTES minutes, every probe type, a 10 s pause of the Redis primary every $FAULT_EVERY minutes, the controller at nice $CONTROLLER_NICE"
nice -n "$CONTROLLER_NICE" "$FD" run "$work/soak.yaml" --quiet --report-dir "$work/r" >/dev/null &
pid=$!
tick=$(getconf CLK_TCK)
echo "minute  cpu(s) in the minute  rss(MiB)  threads  fds  time_wait  machine busy"
prev=0
# the whole machine's busy share of its cores in the minute (/proc/stat: all but idle
# and iowait)
machine() { awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 + $9, $5 + $6 }' /proc/stat; }
read -r mbusy0 midle0 < <(machine)
minute=0
while kill -0 "$pid" 2>/dev/null; do
    for _ in $(seq 1 60); do kill -0 "$pid" 2>/dev/null && sleep 1; done
    kill -0 "$pid" 2>/dev/null || break
    minute=$((minute + 1))
    read -r ut st < <(awk '{ s = $0; sub(/^.*\) /, "", s); split(s, f, " "); print f[12], f[13] }' "/proc/$pid/stat")
    now=$((ut + st))
    rss=$(awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status")
    thr=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status")
    fds=$(ls "/proc/$pid/fd" | wc -l)
    tw=$(ss -Htan state time-wait | wc -l)
    read -r mbusy midle < <(machine)
    printf '%6d  %20.2f  %8s  %7s  %3s  %9s  %11s%%\n' "$minute" "$(awk -v a="$now" -v b="$prev" -v t="$tick" 'BEGIN { print (a - b) / t }')" \
        "$rss" "$thr" "$fds" "$tw" \
        "$(awk -v b="$((mbusy - mbusy0))" -v i="$((midle - midle0))" 'BEGIN { printf "%.0f", 100 * b / (b + i) }')"
    mbusy0=$mbusy midle0=$midle
    prev=$now
done | tee "$work/minutes.txt"
wait "$pid" || echo "the drill exited $?"
python3 - "$work"/r/*/ <<'PY'
import gzip, json, sys
d = sys.argv[1]
r = json.load(open(d + "report.json"))
windows = [(f["started_s"], f["healed_s"] or r["duration_s"]) for f in r["faults"]]
inside = {}
outside = {}
hist = d + r.get("history_file", "history.jsonl")
for line in (gzip.open(hist, "rt") if hist.endswith(".gz") else open(hist)):
    if '"missed_slots"' not in line:
        continue
    e = json.loads(line)
    if e.get("event") != "missed_slots":
        continue
    at = e["from_s"]
    hit = any(a - 1 <= at <= b + 1 for a, b in windows)
    (inside if hit else outside)[e["probe"]] = (inside if hit else outside).get(e["probe"], 0) + e["slots"]
print("%-11s %10s %9s %12s %12s %9s %11s %9s" % ("probe", "ops", "ops/s", "missed out", "missed in", "p99 ms",
      "max lag ms", "ok"))
for p in r["probes"]:
    print("%-11s %10d %9.1f %12d %12d %9.3f %11.1f %9d" % (p["name"], p["ops"], p["ops"] / r["duration_s"],
          outside.get(p["name"], 0), inside.get(p["name"], 0), p["latency_ms"]["p99"] or 0,
          p.get("max_lag_ms") or 0, p["ok"]))
c = r["controller"]
ops = sum(p["ops"] for p in r["probes"])
print("controller: %.1f s cpu over %.0f s, peak rss %.1f MiB, %.1f bytes of peak rss per operation (%d operations)"
      % (c["cpu_user_s"] + c["cpu_system_s"], r["duration_s"], c["max_rss_kb"] / 1024,
         c["max_rss_kb"] * 1024 / max(ops, 1), ops))
PY
ls -la "$work"/r/*/history.jsonl* | awk '{ print "history:", $5, "bytes" }'
echo "run directory: $(ls -d "$work"/r/*/)"
