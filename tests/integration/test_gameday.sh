#!/usr/bin/env bash
# Game days with people in them, over real SSH: a hold acknowledged from another
# terminal with `firedrill ack` while an observer adds a `firedrill note`; the finally
# section after a failed step and after an interrupted hold; and the shipped manual
# switchover drill run unattended (--auto-ack runs the hold's promotion). The lab is
# taken down at the end: the switchover leaves h2 as PostgreSQL's primary.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --datacenters 3 --services postgres
trap '"$LAB" down >/dev/null 2>&1' EXIT
export FIREDRILL_CONTROL_DIR="$T_DIR/control"

t_begin "a hold waits for firedrill ack from another terminal; a note lands in the report"
scenario held <<'EOF'
probes:
  - { name: ssh, type: tcp, address: 10.77.0.12, port: 22, interval: 100ms }
timeline:
  - { id: look, hold: { prompt: "Look at the dashboards, then acknowledge", timeout: 60s } }
  - run: { target: { hosts: [h2] }, command: "true" }
checks:
  - { step: look, metric: time_to_ack, max: 30s }
EOF
$FD run "$T_DIR/held.yaml" --report-dir "$T_DIR/r-held" >"$T_OUT" 2>"$T_ERR" &
pid=$!
acked=
for _ in $(seq 1 100); do
    if [ -z "$acked" ] && $FD ack --as alice >/dev/null 2>&1; then acked=1; fi
    [ -n "$acked" ] && break
    sleep 0.1
done
[ -n "$acked" ] || t_fail "firedrill ack never found the hold"
wait "$pid"
rc=$?
[ "$rc" = 0 ] || t_fail "exit $rc: $(tail -5 "$T_ERR")"
grep -q "HOLD \[look\]: Look at the dashboards" "$T_OUT" || t_fail "no prompt: $(head -5 "$T_OUT")"
D=$(ls -d "$T_DIR"/r-held/*/ | head -n 1)
[ "$(report_value "$D" '(r["holds"][0]["acked_by"], r["holds"][0]["how"], r["holds"][0]["time_to_ack_s"] < 30)')" = "('alice', 'firedrill ack', True)" ] ||
    t_fail "$(report_value "$D" 'r.get("holds")')"
t_end

t_begin "firedrill note during a drill: logged, in history.jsonl and the report's Observations"
scenario noted <<'EOF'
timeline:
  - { id: look, hold: { prompt: "Acknowledge after the note", timeout: 60s } }
EOF
$FD run "$T_DIR/noted.yaml" --report-dir "$T_DIR/r-noted" >"$T_OUT" 2>"$T_ERR" &
pid=$!
for _ in $(seq 1 100); do
    $FD note --as bob "pager fired at 12:03 <b>" >/dev/null 2>&1 && break
    sleep 0.1
done
sleep 0.5
for _ in $(seq 1 100); do $FD ack >/dev/null 2>&1 && break; sleep 0.1; done
wait "$pid" || t_fail "exit $?: $(tail -5 "$T_ERR")"
D=$(ls -d "$T_DIR"/r-noted/*/ | head -n 1)
[ "$(report_value "$D" '(r["notes"][0]["by"], r["notes"][0]["text"])')" = "('bob', 'pager fired at 12:03 <b>')" ] ||
    t_fail "$(report_value "$D" 'r.get("notes")')"
grep -q '"event":"note"' "$D/history.jsonl" || t_fail "no note event"
grep -q "pager fired at 12:03 &lt;b&gt;" "$D/report.md" || t_fail "report.md: $(grep -A3 Observations "$D/report.md")"
grep -q "NOTE from bob: pager fired" "$T_OUT" || t_fail "not logged"
[ -z "$(ls -A "$FIREDRILL_CONTROL_DIR")" ] || t_fail "control directory left: $(ls -A "$FIREDRILL_CONTROL_DIR")"
t_end

t_begin "finally runs after a failed step and after an interrupted hold; the fault is healed first"
scenario fin <<'EOF'
vars: { mark: /tmp/fd-finally-mark }
timeline:
  - { id: pause, fault: pause, process: postgres, target: { hosts: [h3] }, duration: 60s }
  - run: { target: { hosts: [h2] }, command: "exit 3" }
  - run: { target: { hosts: [h2] }, command: "touch ${mark}.never" }
finally:
  - { id: mark, run: { target: { hosts: [h2] }, command: "rm -f ${mark}.never; touch ${mark}" } }
EOF
"$LAB" exec h2 rm -f /tmp/fd-finally-mark
expect_exit 4 $FD run "$T_DIR/fin.yaml" --report-dir "$T_DIR/r-fin"
"$LAB" exec h2 test -e /tmp/fd-finally-mark || t_fail "finally did not run after the failed step"
D=$(ls -d "$T_DIR"/r-fin/*/ | head -n 1)
[ "$(report_value "$D" '[(s["id"], s["status"], s.get("phase")) for s in r["steps"]][-1]')" = "('mark', 'ok', 'finally')" ] ||
    t_fail "$(report_value "$D" 'r["steps"]')"
[ "$(report_value "$D" 'r["faults"][0]["heal"]')" = ok ] || t_fail "not healed"
"$LAB" exec h2 rm -f /tmp/fd-finally-mark
sed -e 's/command: "exit 3"/command: "true"/' "$T_DIR/fin.yaml" >"$T_DIR/fin2.yaml"
python3 - "$T_DIR/fin2.yaml" <<'PY'
import sys
p = sys.argv[1]
s = open(p).read().replace('  - run: { target: { hosts: [h2] }, command: "true" }\n',
                           '  - { id: wait-here, hold: { prompt: "interrupt me", timeout: 60s } }\n')
open(p, "w").write(s)
PY
$FD run "$T_DIR/fin2.yaml" --report-dir "$T_DIR/r-fin2" >"$T_OUT" 2>"$T_ERR" &
pid=$!
for _ in $(seq 1 100); do grep -q "HOLD \[wait-here\]" "$T_OUT" && break; sleep 0.1; done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" = 3 ] || t_fail "exit $rc after SIGINT: $(tail -5 "$T_ERR")"
"$LAB" exec h2 test -e /tmp/fd-finally-mark || t_fail "finally did not run after the interrupt"
"$LAB" exec h2 test -e /tmp/fd-finally-mark.never && t_fail "the timeline went on after the interrupt"
"$LAB" exec h2 rm -f /tmp/fd-finally-mark
t_end

# last: it promotes h2
t_begin "postgres-dc-cut-manual-switchover --auto-ack: the hold's auto command promotes h2; outage and decision measured"
expect_exit 0 $FD run "$SRC/scenarios/postgres-dc-cut-manual-switchover.yaml" --auto-ack --report-dir "$T_DIR/r-switch"
D=$(ls -d "$T_DIR"/r-switch/*/ | head -n 1)
python3 - "$D/report.json" <<'PY' || t_fail "report: $(head -c 1500 "$D/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
h, p, f = r["holds"][0], r["probes"][0], r["faults"][0]
assert h["id"] == "switchover" and h["how"] == "auto" and h["acked_by"] == "auto", h
assert 0 < h["time_to_ack_s"] < 30, h
# clients saw the outage from the cut until h2 took writes
assert p["failover_time_s"] >= h["time_to_ack_s"] * 0.5 and p["outages"], p
assert f["heal"] == "ok" and r["verdict"] == "pass", (f["heal"], r["checks"])
PY
echo "  $(report_value "$D" '"decision (auto) %.2fs, outage as clients saw it %.2fs, %d writes lost" % (r["holds"][0]["time_to_ack_s"], r["probes"][0]["failover_time_s"], r["probes"][0]["lost_writes"])')"
[ "$(psql -h 10.77.0.12 -U postgres -Atc 'select pg_is_in_recovery()')" = f ] || t_fail "h2 is not the primary"
t_end

t_done
