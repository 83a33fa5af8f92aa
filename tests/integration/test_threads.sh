#!/usr/bin/env bash
# A lab drill under ThreadSanitizer: probes (one with a lag sampler per replica, one
# reading its own writes from a replica), the healer thread (a fault with a duration),
# a network cut's verifier thread, abort_if checks and a run step, all at once. The
# test command builds the TSan binary and names it in FIREDRILL_TSAN.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
if [ -z "${FIREDRILL_TSAN:-}" ]; then
    echo "FIREDRILL_TSAN is not set (scripts/test.sh builds it): nothing to run"
    t_done
    exit 0
fi
lab_up --hosts 3 --services redis,sentinel

t_begin "a drill with every engine thread at work reports no data race"
scenario threads <<'EOF2'
probes:
  - { name: writes, type: redis, mode: write, endpoints: ["10.77.0.11:6379"], interval: 20ms, timeout: 500ms,
      replicas: { target: { hosts: [h2, h3] } } }
  - { name: reads, type: tcp, address: 10.77.0.12, port: 6379, interval: 50ms, timeout: 500ms }
  - { name: own, type: redis, mode: read_your_writes, endpoints: ["10.77.0.11:6379"],
      read_from: "10.77.0.13:6379", bound: 200ms, interval: 50ms, timeout: 500ms }
steady_state:
  - { probe: reads, availability: ">= 0.9", for: 1s }
timeline:
  - { id: cut, fault: partition, mode: isolate, target: { hosts: [h2] }, duration: 2s }
  - { id: quick, fault: command, apply: "true", revert: "true", target: { hosts: [h3] }, duration: 1s }
  - wait_for: { probe: writes, healthy_for: 1s, timeout: 20s }
  - wait: 2s
  - { id: r, run: { command: "true", target: { hosts: [h1] } } }
safety: { ttl: 1m, abort_if: { probe: writes, availability: "< 0.01", for: 10s } }
EOF2
TSAN_OPTIONS="halt_on_error=0 exitcode=66" "$FIREDRILL_TSAN" run "$T_DIR/threads.yaml" \
    --report-dir "$T_DIR/r" >"$T_OUT" 2>"$T_ERR"
rc=$?
grep -q "WARNING: ThreadSanitizer" "$T_ERR" && t_fail "$(grep -A20 'WARNING: ThreadSanitizer' "$T_ERR" | head -40)"
[ "$rc" = 0 ] || t_fail "exit $rc: $(tail -5 "$T_ERR")"
t_end

t_begin "an interrupted drill heals under ThreadSanitizer with no data race"
scenario threads-int <<'EOF2'
probes:
  - { name: writes, type: redis, mode: write, endpoints: ["10.77.0.11:6379"], interval: 20ms, timeout: 500ms }
timeline:
  - { id: cut, fault: partition, mode: isolate, target: { hosts: [h2] }, ttl: 1m }
  - wait: 60s
EOF2
TSAN_OPTIONS="halt_on_error=0 exitcode=66" "$FIREDRILL_TSAN" run "$T_DIR/threads-int.yaml" \
    --report-dir "$T_DIR/r2" >"$T_OUT" 2>"$T_ERR" &
pid=$!
for _ in $(seq 1 200); do
    grep -q '"event":"fault_applied"' "$T_DIR"/r2/*/history.jsonl 2>/dev/null && break
    sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
grep -q "WARNING: ThreadSanitizer" "$T_ERR" && t_fail "$(grep -A20 'WARNING: ThreadSanitizer' "$T_ERR" | head -40)"
[ "$rc" = 3 ] || t_fail "exit $rc, expected 3"
[ -z "$(host_leftovers h2)" ] || t_fail "left: $(host_leftovers h2)"
t_end

t_done
