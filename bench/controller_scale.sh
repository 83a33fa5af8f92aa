#!/usr/bin/env bash
# bench/controller_scale.sh: the controller's own cost at fleet scale: a 20 s drill on
# a 64-host lab (64 SSH sessions open for the whole run) with 4 redis probes at 1 ms.
# Prints the controller's CPU use and peak memory (report.json "controller") and each
# probe's rate and missed slots. Needs root; the lab is taken down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
FD=${FIREDRILL:-build/firedrill}
SECS=${SECS:-20}
[ -x "$FD" ] || scripts/build.sh build
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
work=$(mktemp -d /tmp/fd-bench.XXXXXX)
trap 'rm -rf "$work"; tests/lab/lab down >/dev/null 2>&1 || true' EXIT
tests/lab/lab up --hosts 64 --datacenters 2 --services redis >/dev/null
cat >"$work/scale.yaml" <<EOF2
version: 1
name: controller-scale
inventory: $FIREDRILL_LAB_DIR/inventory.yaml
probes:
  - { name: r1, type: redis, endpoints: ["10.77.0.11:6379"], interval: 1ms, timeout: 500ms }
  - { name: r2, type: redis, endpoints: ["10.77.0.12:6379"], interval: 1ms, timeout: 500ms }
  - { name: r3, type: redis, endpoints: ["10.77.0.13:6379"], interval: 1ms, timeout: 500ms }
  - { name: r4, type: redis, endpoints: ["10.77.0.14:6379"], interval: 1ms, timeout: 500ms }
timeline:
  - wait: ${SECS}s
EOF2
"$FD" run "$work/scale.yaml" --quiet --report-dir "$work/r" >/dev/null
python3 - "$work"/r/*/report.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
c, d = r["controller"], r["duration_s"]
print("64 SSH sessions open, 4 redis probes at 1 ms, %.1f s:" % d)
print("  controller CPU %.2f s user + %.2f s system = %.1f%% of one core; peak memory %d MiB"
      % (c["cpu_user_s"], c["cpu_system_s"], 100 * (c["cpu_user_s"] + c["cpu_system_s"]) / d,
         c["max_rss_kb"] // 1024))
for p in r["probes"]:
    print("  %s: %.0f ops/s, %d missed slots, p99 %.3f ms"
          % (p["name"], p["ops_recorded"] / d, p["missed_slots"], p["latency_ms"]["p99"]))
PY
