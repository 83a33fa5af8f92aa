#!/usr/bin/env bash
# Hosts whose init is a real systemd (lab up --systemd 2: h2 and h3, systemd-nspawn),
# with Redis as Debian's unit redis-server.service: stop_service, kill, pause and the
# restart at heal by unit, a partition inside a systemd host; a unit that does not
# exist and a host without systemd, each a clear error naming the host, with nothing
# left behind; check-hosts says which hosts cannot take a fault by unit.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis --systemd 2
trap '"$LAB" down >/dev/null 2>&1' EXIT

unit_show() { in_host "$1" systemctl show -p "$2" --value redis-server.service; }

t_begin "h2 and h3 boot systemd, with sshd and Redis as units; h1 has no systemd"
for h in h2 h3; do
    [ "$(in_host "$h" cat /proc/1/comm)" = systemd ] || t_fail "$h's init: $(in_host "$h" cat /proc/1/comm)"
    [ "$(unit_show "$h" ActiveState)" = active ] || t_fail "redis-server.service on $h: $(unit_show "$h" ActiveState)"
    [ "$(lab_ssh "$h" 'systemctl is-active ssh.service')" = active ] || t_fail "ssh.service on $h"
done
[ "$(in_host h1 cat /proc/1/comm)" = systemd ] && t_fail "h1's init is systemd"
t_end

t_begin "check-hosts: a scenario with a fault by unit needs systemd; h1 has none"
scenario unit-h1 <<'EOF2'
timeline:
  - { id: s, fault: stop_service, unit: redis-server.service, target: { hosts: [h1] } }
EOF2
expect_exit 4 $FD check-hosts "$T_DIR/unit-h1.yaml"
grep -q "^h1 .*FAILED: .*systemd is not running here (faults by unit will fail on this host)" "$T_OUT" ||
    t_fail "$(cat "$T_OUT")"
grep -q "^h3 .*: ok: .*systemctl" "$T_OUT" || t_fail "$(cat "$T_OUT")"
t_end

t_begin "stop_service, kill, pause by unit and the restart at heal, on systemd hosts"
# On h2, Restart=no (a drop-in under /run, gone with the host): a unit killed stays down
# until firedrill's heal starts it. On h3, Debian's Restart=always brings it back itself.
in_host h2 sh -c 'mkdir -p /run/systemd/system/redis-server.service.d &&
printf "[Service]\nRestart=no\n" >/run/systemd/system/redis-server.service.d/norestart.conf &&
systemctl daemon-reload'
h2_before=$(unit_show h2 MainPID)
h3_before=$(unit_show h3 MainPID)
scenario units <<'EOF2'
safety: { ttl: 1m }
timeline:
  - { id: stop, fault: stop_service, unit: redis-server.service, duration: 500ms, target: { hosts: [h3] } }
  - wait: 2s
  - { id: pause, fault: pause, unit: redis-server, duration: 1s, target: { hosts: [h3] } }
  - wait: 2s
  - { id: kill3, fault: kill, unit: redis-server, target: { hosts: [h3] } }
  - { id: kill2, fault: kill, unit: redis-server.service, target: { hosts: [h2] } }
  - { id: cut, fault: partition, target: { hosts: [h3] } }
  - wait: 3s
EOF2
fd_run_bg "$T_DIR/units.yaml"
for _ in $(seq 1 300); do
    grep -q '"event":"fault_applied","fault":"kill2"' "$(run_dir)/history.jsonl" 2>/dev/null && break
    sleep 0.05
done
grep -q '"event":"fault_applied","fault":"kill2"' "$(run_dir)/history.jsonl" || t_fail "kill2 not applied: $(cat "$T_DIR/run.err")"
sleep 1.5
# while the fault is in place: h2's unit is down (Restart=no), h3's is back under systemd
[ "$(unit_show h2 ActiveState)" = active ] && t_fail "h2's redis-server.service active during the fault"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(tail -20 "$T_DIR/run.err")"
D=$(run_dir)
python3 - "$D/report.json" <<'PY' || t_fail "report: $(report_value "$D" 'r["faults"]')"
import json, sys
r = json.load(open(sys.argv[1]))
f = {x["id"]: x for x in r["faults"]}
assert set(f) == {"stop", "pause", "kill3", "kill2", "cut"}, list(f)
for x in f.values():
    assert x["heal"] == "ok" and x["took_effect"], x
said = {k: " ".join(c.get("agent", "") for c in x["commands"]) for k, x in f.items()}
assert "verified: unit redis-server.service is not active" in said["stop"], said
assert "verified: unit redis-server is stopped" in said["pause"], said
assert "verified: unit redis-server is gone" in said["kill3"], said
PY
for h in h2 h3; do
    [ "$(unit_show "$h" ActiveState)" = active ] || t_fail "redis-server.service on $h after the heal: $(unit_show "$h" ActiveState)"
done
[ "$(unit_show h2 MainPID)" != "$h2_before" ] || t_fail "h2's redis was not restarted"
[ "$(unit_show h3 MainPID)" != "$h3_before" ] || t_fail "h3's redis was not restarted"
[ "$(in_host h3 sh -c 'cat /proc/$(systemctl show -p MainPID --value redis-server)/status' | sed -n 's/^State:\s*//p' | cut -c1)" = S ] ||
    t_fail "h3's redis is not running after the heal"
no_leftovers h2 h3
reach h1 10.77.0.13 6379 || t_fail "h1 cannot reach h3's redis after the heal"
t_end

t_begin "a unit that does not exist: exit 4 naming the host and the unit; the fault before it healed"
scenario nounit <<'EOF2'
timeline:
  - { id: cut, fault: partition, target: { hosts: [h2] } }
  - { id: nope, fault: stop_service, unit: no-such-thing.service, target: { hosts: [h3] } }
  - wait: 1s
EOF2
expect_exit 4 $FD run "$T_DIR/nounit.yaml" --yes --report-dir "$T_DIR/r-nounit"
grep -q "h3: error: unit no-such-thing.service does not exist on this host" "$T_OUT" "$T_ERR" || t_fail "$(cat "$T_OUT" "$T_ERR")"
no_leftovers h2 h3
reach h1 10.77.0.12 22 || t_fail "the partition of h2 was not healed"
t_end

t_begin "a fault by unit on a host without systemd: exit 4 naming the host"
expect_exit 4 $FD run "$T_DIR/unit-h1.yaml" --yes --report-dir "$T_DIR/r-unit-h1"
grep -q "h1: error: systemd is not running on this host" "$T_OUT" "$T_ERR" || t_fail "$(cat "$T_OUT" "$T_ERR")"
no_leftovers h1
t_end

t_done
