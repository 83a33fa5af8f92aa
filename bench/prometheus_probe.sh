#!/usr/bin/env bash
# bench/prometheus_probe.sh: does a prometheus probe at 100 ms disturb a redis write probe
# at 1 ms, and what does it cost?
# Runs a drill of SECS seconds (default 30) with both probes against the lab's Redis and
# Prometheus (RUNS times), and the same drill with the redis probe alone, and prints per
# run each probe's operations per second, missed slots and latency and the controller's
# CPU use, then the medians and the prometheus probe's share of the CPU. For comparison
# it runs what a user would otherwise write for the same view: a shell loop of
# `promtool query instant` on a 100 ms schedule for as long, with its CPU use and the
# queries it managed.
# Needs root (the lab). Traffic goes only to the lab's addresses.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # FD, RUNS, bench_lab (the lab, lab.env, $work)
SECS=${SECS:-30}
bench_lab --hosts 3 --services redis,prometheus
QUERY='sum(rate(redis_commands_processed_total[10s]))'

drill() { # drill NAME WITH_PROMETHEUS
    {
        echo "version: 1"
        echo "name: $1"
        echo "inventory: $FIREDRILL_LAB_DIR/inventory.yaml"
        echo "probes:"
        echo "  - { name: writes, type: redis, endpoints: [\"$FD_REDIS\"], mode: write, interval: 1ms, timeout: 500ms, settle: 0s }"
        [ "$2" = no ] || echo "  - { name: rate, type: prometheus, url: \"$FD_PROMETHEUS\", query: '$QUERY', interval: 100ms, timeout: 1s }"
        echo "timeline:"
        echo "  - wait: ${SECS}s"
    } >"$work/$1.yaml"
}
drill both yes
drill alone no

report() { # report RUN_DIR: one line per probe, then the controller's CPU
    python3 - "$1"/*/report.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
span = r["duration_s"] or 1
c = r["controller"]
for p in r["probes"]:
    print("  %-7s %-10s %8.1f ops/s  missed slots %4d  ok %d/%d  p50 %.3f ms  p99 %.3f ms"
          % (p["name"], p["type"], p["ops_recorded"] / span, p["missed_slots"], p["ok"], p["ops"],
             p["latency_ms"]["p50"] or 0, p["latency_ms"]["p99"] or 0))
print("  controller cpu %.2f s over %.1f s: %.2f%% of one core"
      % (c["cpu_user_s"] + c["cpu_system_s"], span, 100.0 * (c["cpu_user_s"] + c["cpu_system_s"]) / span))
PY
}

echo "a redis write probe at 1ms beside a prometheus probe at 100ms ($QUERY), ${SECS}s, $RUNS runs"
for i in $(seq 1 "$RUNS"); do
    "$FD" run "$work/both.yaml" --quiet --report-dir "$work/both$i" >/dev/null
    echo "run $i, both probes:"
    report "$work/both$i"
    "$FD" run "$work/alone.yaml" --quiet --report-dir "$work/alone$i" >/dev/null
    echo "run $i, the redis probe alone:"
    report "$work/alone$i"
done | tee "$work/runs.txt"

echo "promtool query instant in a shell loop, every 100ms for ${SECS}s:"
/usr/bin/time -f '%U %S %e' -o "$work/loop.time" bash -c '
    end=$((SECONDS + '"$SECS"')); n=0; next=$(date +%s%N)
    while [ $SECONDS -lt $end ]; do
        promtool query instant "'"$FD_PROMETHEUS"'" "'"$QUERY"'" >/dev/null 2>&1 && n=$((n + 1))
        next=$((next + 100000000)); now=$(date +%s%N)
        [ $now -lt $next ] && sleep "0.$(printf %09d $((next - now)))"
    done
    echo $n >'"$work/loop.n"
python3 - "$work/runs.txt" "$work/loop.time" "$work/loop.n" "$SECS" <<'PY'
import re, statistics, sys
lines = open(sys.argv[1]).read().split("\nrun ")
both = [l for l in lines if "both probes" in l]
alone = [l for l in lines if "alone" in l]
def f(blocks, pat):
    return [float(re.search(pat, b).group(1)) for b in blocks]
w_rate = statistics.median(f(both, r"writes\s+redis\s+([\d.]+) ops/s"))
w_missed = statistics.median(f(both, r"writes\s+redis\s+[\d.]+ ops/s\s+missed slots\s+(\d+)"))
p_rate = statistics.median(f(both, r"rate\s+prometheus\s+([\d.]+) ops/s"))
p_missed = statistics.median(f(both, r"rate\s+prometheus\s+[\d.]+ ops/s\s+missed slots\s+(\d+)"))
cpu_both = statistics.median(f(both, r"controller cpu ([\d.]+) s"))
cpu_alone = statistics.median(f(alone, r"controller cpu ([\d.]+) s"))
a_rate = statistics.median(f(alone, r"writes\s+redis\s+([\d.]+) ops/s"))
span = float(sys.argv[4])
user, system, wall = (float(x) for x in open(sys.argv[2]).read().split()[-3:])
n = int(open(sys.argv[3]).read())
fd_per_q = (cpu_both - cpu_alone) / max(p_rate * span, 1)
print("median, both probes: redis %.1f ops/s (%d missed slots), prometheus %.2f ops/s (%d missed slots); "
      "the redis probe alone: %.1f ops/s" % (w_rate, w_missed, p_rate, p_missed, a_rate))
print("controller cpu: %.2f s with both, %.2f s with the redis probe alone: the prometheus probe costs "
      "%.3f s over %.0f s (%.3f ms a query)" % (cpu_both, cpu_alone, cpu_both - cpu_alone, span, fd_per_q * 1000))
print("promtool loop: %d queries in %.1f s (%.2f a second), cpu %.2f s (%.1f ms a query): "
      "%.0fx the prometheus probe's cpu a query"
      % (n, wall, n / wall, user + system, 1000 * (user + system) / max(n, 1),
         (user + system) / max(n, 1) / fd_per_q if fd_per_q > 0 else float("nan")))
PY
