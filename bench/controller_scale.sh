#!/usr/bin/env bash
# bench/controller_scale.sh: the controller's own cost at fleet scale: a 20 s drill on
# a lab of HOSTS hosts (default 200; an SSH session to each open for the whole run)
# with PROBES redis probes at 1 ms (default 8, each on its own host), and a partition
# of the two datacenters (every host) for 5 s in the middle (FAULT=command: a fault that
# changes nothing on every host instead). Prints the controller's
# CPU use and peak memory (report.json "controller"), its threads and file
# descriptors at the peak, and each probe's rate and missed slots. Needs root; the lab
# is taken down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # FD, bench_inventory
SECS=${SECS:-20}
HOSTS=${HOSTS:-200}
PROBES=${PROBES:-8}
[ -x "$FD" ] || scripts/build.sh build
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
work=$(mktemp -d /tmp/fd-bench.XXXXXX)
trap 'rm -rf "$work"; tests/lab/lab down >/dev/null 2>&1 || true' EXIT
tests/lab/lab up --hosts "$HOSTS" --datacenters 2 --services none >/dev/null
# a Redis of its own on each probed host (the lab's redis service would make every
# host a replica of h1)
for i in $(seq 1 "$PROBES"); do
    tests/lab/lab exec "h$i" redis-server --bind "10.77.0.$((10 + i))" --port 6379 --protected-mode no --save '' \
        --appendonly no --daemonize yes --dir /tmp --pidfile "/run/fd-bench-redis.pid" >/dev/null
done
bench_inventory "$HOSTS" "$work/inventory.yaml"
{
    printf '%s\n' "version: 1" "name: controller-scale" "inventory: $work/inventory.yaml" "probes:"
    for i in $(seq 1 "$PROBES"); do
        printf '  - { name: r%s, type: redis, endpoints: ["10.77.0.%s:6379"], interval: 1ms, timeout: 500ms }\n' \
            "$i" "$((10 + i))"
    done
    half=$((SECS / 2 - 3))
    # FAULT=command: a fault that does nothing on every host instead (the same sessions,
    # leases and watches, without a firewall change on every host of the lab)
    if [ "${FAULT:-partition}" = command ]; then
        all=$(for i in $(seq 1 "$HOSTS"); do printf 'h%s, ' "$i"; done)
        fault="  - { id: cut, fault: command, apply: 'true', revert: 'true', target: { hosts: [${all%, }] }, duration: 5s }"
    else
        fault="  - { id: cut, fault: partition, mode: split, groups: [ { datacenter: dc-a }, { datacenter: dc-b } ], duration: 5s }"
    fi
    printf '%s\n' "timeline:" "  - wait: ${half}s" \
        "$fault" \
        "  - wait: $((SECS - half))s" "safety: { ttl: 5m }"
} >"$work/scale.yaml"
"$FD" run "$work/scale.yaml" --quiet --yes --report-dir "$work/r" >/dev/null &
pid=$!
threads=0 fds=0
while kill -0 "$pid" 2>/dev/null; do
    t=$(awk '/^Threads:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
    f=$( (ls "/proc/$pid/fd" 2>/dev/null || true) | wc -l)
    [ "${t:-0}" -le "$threads" ] || threads=$t
    [ "$f" -le "$fds" ] || fds=$f
    sleep 0.2
done
rc=0
wait "$pid" || rc=$?
echo "the drill exited $rc"
python3 - "$work"/r/*/report.json "$HOSTS" "$PROBES" "$threads" "$fds" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c, d = r["controller"], r["duration_s"]
f = r["faults"][0]
print("verdict %s; errors: %s" % (r["verdict"], "; ".join(r.get("errors") or []) or "none"))
print("%s SSH sessions open, %s redis probes at 1 ms, %.1f s, a partition of %d hosts for 5 s:"
      % (sys.argv[2], sys.argv[3], d, len(f["targets"])))
print("  the partition: applied %.3f s after its step began, apply skew %.1f ms, heal skew %.1f ms (%s clocks)"
      % (f["applied_s"] - f["started_s"], f["apply_skew"]["skew_s"] * 1e3, f["heal_skew"]["skew_s"] * 1e3,
         f["apply_skew"]["clock"]))
print("  controller at its peak: %s threads, %s file descriptors" % (sys.argv[4], sys.argv[5]))
print("  controller CPU %.2f s user + %.2f s system = %.1f%% of one core; peak memory %d MiB"
      % (c["cpu_user_s"], c["cpu_system_s"], 100 * (c["cpu_user_s"] + c["cpu_system_s"]) / d,
         c["max_rss_kb"] // 1024))
for p in r["probes"]:
    p99 = p["latency_ms"].get("p99")
    print("  %s: %.0f ops/s, %d missed slots, availability %s, p99 %s"
          % (p["name"], p["ops_recorded"] / d, p["missed_slots"], p.get("availability"),
             "%.3f ms" % p99 if p99 is not None else "none (no operation succeeded)"))
PY
