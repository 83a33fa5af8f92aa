#!/usr/bin/env bash
# Hosts whose /bin/sh and core tools are BusyBox (lab up --busybox 1: h3), as on small
# or container-based hosts: check-hosts, every fault family applied and healed there,
# the host's watchdog after the controller is killed, and the apply skew, which falls
# back to the controller's clock because BusyBox's date has no %N.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel --busybox 1
trap '"$LAB" down >/dev/null 2>&1' EXIT

t_begin "h3's sh and tools are BusyBox; h1's are not"
lab_ssh h3 'sh -c "date --help" 2>&1' | grep -q BusyBox || t_fail "h3's date: $(lab_ssh h3 'date --help 2>&1 | head -1')"
lab_ssh h3 'sh --help 2>&1' | grep -q BusyBox || t_fail "h3's sh is not BusyBox"
lab_ssh h1 'date --help 2>&1' | grep -q BusyBox && t_fail "h1's date is BusyBox"
t_end

t_begin "check-hosts passes on the BusyBox host"
expect_exit 0 $FD check-hosts "$INV"
grep -q "^h3 .*: ok: " "$T_OUT" || t_fail "$(cat "$T_OUT")"
t_end

t_begin "every fault family on the BusyBox host: applied, verified, healed, nothing left"
kill_pause_cut busybox h3 h3 <<EOF2
  - { id: drop, fault: drop, loss: 50%, to: { hosts: [h1] }, target: { hosts: [h3] } }
  - { id: fill, fault: fill_disk, path: /var/tmp, size: 5M, target: { hosts: [h3] } }
  - { id: cmd, fault: command, apply: "touch /tmp/fd-bb-flag", revert: "rm -f /tmp/fd-bb-flag", target: { hosts: [h3] } }
  - { id: both, fault: pause, process: redis-sentinel, target: { hosts: [h1, h3] } }
EOF2
D=$(ls -d "$T_DIR"/r-busybox/*/ | head -n 1)
python3 - "$D/report.json" <<'PY' || t_fail "report: $(report_value "$D" 'r["faults"]')"
import json, sys
r = json.load(open(sys.argv[1]))
f = {x["id"]: x for x in r["faults"]}
assert set(f) == {"k", "p", "cut", "drop", "fill", "cmd", "both"}, list(f)
for x in f.values():
    assert x["heal"] == "ok" and x["took_effect"], x
# BusyBox's date has no %N: h3 says only whole seconds, which are not used, so the skew
# of a fault on h1 and h3 is measured by the controller's receipt of the answers
sk = f["both"]["apply_skew"]
assert sk["hosts"] == 2 and sk["clock"] == "controller" and sk["skew_s"] == sk["controller_s"], sk
at = {c["host"]: c["applied_at_s"] for c in f["both"]["commands"]}
assert at["h3"] is None and at["h1"] is not None, at
PY
in_host h3 test -e /tmp/fd-bb-flag && t_fail "the command fault was not reverted"
no_leftovers h1 h2 h3
reach h3 10.77.0.11 6379 || t_fail "h3 cannot reach h1's redis after the heal"
t_end

t_begin "SIGKILL the controller during a partition of the BusyBox host: its watchdog reverts at ttl"
scenario bb-long <<'EOF2'
timeline:
  - { id: cut, fault: partition, mode: isolate, target: { hosts: [h3] }, ttl: 5s }
  - wait: 60s
EOF2
fd_run_bg "$T_DIR/bb-long.yaml"
wait_event fault_applied || t_fail "no fault_applied: $(cat "$T_DIR/run.err")"
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
reach h2 10.77.0.13 22 && t_fail "no partition in place after the kill"
for _ in $(seq 1 100); do [ -z "$(host_leftovers h3)" ] && break; sleep 0.1; done
no_leftovers h3
reach h2 10.77.0.13 22 || t_fail "h2 cannot reach h3 after the watchdog"
t_end

t_done
