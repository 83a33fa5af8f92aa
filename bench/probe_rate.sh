#!/usr/bin/env bash
# bench/probe_rate.sh: can one redis write probe keep a 1 ms schedule?
# Runs a 10 s drill with a single redis write probe at interval 1ms against the lab's
# Redis (three times), and prints per run the operations per second, missed slots,
# latency and the controller's CPU use, then the medians. For comparison it runs
# `redis-benchmark -c 1 -P 1 -t set` (one client, no pipelining) against the same
# server: the probe's ceiling, had it no schedule to keep.
# Needs root (the lab). Traffic goes only to the lab's addresses.
set -euo pipefail
cd "$(dirname "$0")/.."
FD=${FIREDRILL:-build/firedrill}
RUNS=${RUNS:-3}
SECS=${SECS:-10}
[ -x "$FD" ] || scripts/build.sh build
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
tests/lab/lab up --hosts 3 --services redis >/dev/null
. "$FIREDRILL_LAB_DIR/lab.env"
work=$(mktemp -d /tmp/fd-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
cat >"$work/rate.yaml" <<EOF2
version: 1
name: probe-rate
inventory: $FIREDRILL_LAB_DIR/inventory.yaml
probes:
  - { name: writes, type: redis, endpoints: ["$FD_REDIS"], mode: write, interval: 1ms, timeout: 500ms, settle: 0s }
timeline:
  - wait: ${SECS}s
EOF2
echo "one redis write probe, interval 1ms, ${SECS}s, against $FD_REDIS ($RUNS runs)"
for i in $(seq 1 "$RUNS"); do
    "$FD" run "$work/rate.yaml" --quiet --report-dir "$work/r$i" >/dev/null
    python3 - "$work"/r$i/*/report.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["probes"][0]
c = r["controller"]
span = r["duration_s"]
print("  ops/s %7.1f  missed slots %5d  ok %d/%d  lost %s  p50 %.3f ms  p99 %.3f ms  controller cpu %.2f s user + %.2f s system over %.1f s (%.1f%% of one core)"
      % (p["ops_recorded"] / (span or 1), p["missed_slots"], p["ok"], p["ops"],
         p["lost_writes"], p["latency_ms"]["p50"], p["latency_ms"]["p99"], c["cpu_user_s"],
         c["cpu_system_s"], span, 100.0 * (c["cpu_user_s"] + c["cpu_system_s"]) / (span or 1)))
PY
done | tee "$work/runs.txt"
python3 - "$work/runs.txt" <<'PY'
import re, statistics, sys
rates = [float(re.search(r"ops/s\s+([\d.]+)", l).group(1)) for l in open(sys.argv[1])]
missed = [int(re.search(r"missed slots\s+(\d+)", l).group(1)) for l in open(sys.argv[1])]
cpu = [float(re.search(r"\(([\d.]+)% of one core", l).group(1)) for l in open(sys.argv[1])]
print("median: %.1f ops/s, %d missed slots, controller %.1f%% of one core" %
      (statistics.median(rates), statistics.median(missed), statistics.median(cpu)))
PY
# two probes of different types at once: the redis probe's rate must not drop
cat >"$work/two.yaml" <<EOF2
version: 1
name: probe-rate-two
inventory: $FIREDRILL_LAB_DIR/inventory.yaml
probes:
  - { name: writes, type: redis, endpoints: ["$FD_REDIS"], mode: write, interval: 1ms, timeout: 500ms, settle: 0s }
  - { name: connect, type: tcp, address: 10.77.0.12, port: 6379, interval: 1ms, timeout: 500ms }
timeline:
  - wait: ${SECS}s
EOF2
"$FD" run "$work/two.yaml" --quiet --report-dir "$work/two" >/dev/null
python3 - "$work"/two/*/report.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
span = r["duration_s"]
for p in r["probes"]:
    print("  together: %s (%s) %.1f ops/s, %d missed slots" % (p["name"], p["type"], p["ops_recorded"] / span, p["missed_slots"]))
PY
host=${FD_REDIS%:*}
: >"$work/rb.txt"
# as fast as it can go: one write probe with no pause between operations, against
# redis-benchmark with one client and no pipelining on the same server
cat >"$work/fast.yaml" <<EOF2
version: 1
name: probe-fast
inventory: $FIREDRILL_LAB_DIR/inventory.yaml
probes:
  - { name: writes, type: redis, endpoints: ["$FD_REDIS"], mode: write, rate: 100000/s, timeout: 500ms, settle: 0s }
timeline:
  - wait: ${SECS}s
EOF2
for i in $(seq 1 "$RUNS"); do
    "$FD" run "$work/fast.yaml" --quiet --report-dir "$work/fast$i" >/dev/null
    python3 -c "import json,glob; r=json.load(open(glob.glob('$work/fast$i/*/report.json')[0])); p=r['probes'][0]; print(p['ops_recorded'] / r['duration_s'])"
    redis-benchmark -h "$host" -p 6379 -c 1 -P 1 -t set -n 50000 -q 2>/dev/null | tr '\r' '\n' | grep -o 'SET: [0-9.]*' | tail -n 1 | awk '{print $2}' >>"$work/rb.txt"
done >"$work/fast.txt"
python3 - "$work/fast.txt" "$work/rb.txt" <<'PY'
import statistics, sys
fd = statistics.median(float(x) for x in open(sys.argv[1]))
rb = statistics.median(float(x) for x in open(sys.argv[2]) if x.strip())
print("as fast as it goes: firedrill redis write probe %.0f ops/s, redis-benchmark -c 1 -P 1 -t set %.0f requests/s: ratio %.2f" % (fd, rb, fd / rb))
PY
