#!/usr/bin/env bash
# cut_datacenter: every host of the datacenter is cut from the others and from the
# probe clients (the controller), while the controller keeps SSH and the cut-off hosts
# still reach each other.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# 4 hosts in 2 datacenters: dc-a = h1, h3; dc-b = h2, h4
lab_up --hosts 4 --datacenters 2 --services redis

t_begin "cut_datacenter dc-a"
cat >"$T_DIR/dc.yaml" <<EOF2
version: 1
name: dc
inventory: $INV
timeline:
  - { id: dc, fault: cut_datacenter, datacenter: dc-a, duration: 4s }
  - wait: 5s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/dc.yaml"
wait_event fault_applied || t_fail "no fault_applied: $(cat "$T_DIR/run.err")"
reach h1 10.77.0.12 22 && t_fail "h1 (dc-a) reaches h2 (dc-b)"
reach h4 10.77.0.13 22 && t_fail "h4 (dc-b) reaches h3 (dc-a)"
reach h1 10.77.0.13 22 || t_fail "h1 cannot reach h3 inside dc-a"
reach h2 10.77.0.14 22 || t_fail "h2 cannot reach h4 inside dc-b"
timeout 1 redis-cli -h 10.77.0.11 ping >/dev/null 2>&1 && t_fail "the controller (a client) still reaches dc-a"
redis-cli -h 10.77.0.12 ping | grep -q PONG || t_fail "the controller lost dc-b"
[ "$(lab_ssh h3 hostname)" = h3 ] || t_fail "the controller lost SSH to h3"
wait_event fault_verified 10 || t_fail "not verified: $(cat "$T_DIR/run.err")"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(cat "$T_DIR/run.err")"
grep -q '"targets": \[' "$(run_dir)/report.json" || t_fail "report"
python3 - "$(run_dir)/report.json" <<'PY' || t_fail "report targets"
import json, sys
r = json.load(open(sys.argv[1]))
f = r["faults"][0]
assert f["type"] == "cut_datacenter", f
assert f["targets"] == ["h1", "h3"], f["targets"]
assert f["heal"] == "ok" and f["took_effect"] is True, f
# when the cut took effect on each host (the hosts share the machine's clock here, so
# the agents' own timestamps are used) and how far apart: the apply and the heal
for what, at in (("apply", "applied_at_s"), ("heal", "healed_at_s")):
    sk = f[what + "_skew"]
    assert sk["hosts"] == 2 and sk["clock"] == "hosts" and sk["skew_s"] == sk["hosts_s"], sk
    assert 0 <= sk["skew_s"] < 0.25 and 0 <= sk["controller_s"] < 0.5, sk
    for c in f["commands"]:
        assert c[what + "_sent_s"] - 0.002 <= c[at] <= c[what + "_ack_s"] + 0.002, c
print("  apply skew %.1f ms (hosts' clocks; %.1f ms by the acknowledgements), heal skew %.1f ms" %
      (f["apply_skew"]["skew_s"] * 1000, f["apply_skew"]["controller_s"] * 1000, f["heal_skew"]["skew_s"] * 1000))
PY
reach h1 10.77.0.12 22 || t_fail "h1 cannot reach h2 after the heal"
for h in h1 h3; do [ -z "$(host_leftovers $h)" ] || t_fail "left behind on $h: $(host_leftovers $h)"; done
t_end

t_done
