#!/usr/bin/env bash
# Game days with people in them, over real SSH: a hold acknowledged from another
# terminal with `firedrill ack` while an observer adds a `firedrill note`; the finally
# section after a failed step and after an interrupted hold; `firedrill halt` reaching
# running drills; leases keeping two drills off one host, and a killed controller's
# lease lapsing; and the shipped manual switchover drill run unattended (--auto-ack
# runs the hold's promotion). The lab is
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

# halt_seen_after RUN_DIR T: seconds from wall time T to the run's halt event.
halt_seen_after() {
    python3 - "$1" "$2" <<'PY'
import json, sys
d, t = sys.argv[1], float(sys.argv[2])
r = json.load(open(d + "/report.json"))
ev = [json.loads(l) for l in open(d + "/history.jsonl")]
h = [e for e in ev if e.get("event") == "halt"]
print("%.3f" % (r["started_at_unix"] + h[0]["at_s"] - t) if h else "none")
PY
}

t_begin "firedrill halt: a running drill aborts within a second and heals; halted hosts refuse drills; --clear"
scenario halted <<'EOF'
safety: { ttl: 2m }
timeline:
  - { id: cut, fault: partition, target: { hosts: [h2] } }
  - { id: pause, fault: pause, process: postgres, target: { hosts: [h3] } }
  - { id: look, hold: { prompt: "watch the dashboards", timeout: 60s } }
  - run: { target: { hosts: [h1] }, command: "touch /tmp/fd-halt-never" }
EOF
"$LAB" exec h1 rm -f /tmp/fd-halt-never
fd_run_bg "$T_DIR/halted.yaml"
wait_event hold_waiting 30 || t_fail "the drill never reached its hold: $(tail -3 "$T_DIR/run.err")"
started=$EPOCHREALTIME
expect_exit 0 $FD halt "$INV" --reason "INC-4711: real outage in dc-b"
grep -q "^h2: halted; drills holding it, which stop now: .*drill=halted" "$T_OUT" ||
    t_fail "the halt did not name the drill holding h2: $(cat "$T_OUT")"
fd_run_wait
[ "$RUN_RC" = 3 ] || t_fail "exit $RUN_RC, expected 3: $(tail -5 "$T_DIR/run.err")"
D=$(run_dir)
[ "$(report_value "$D" 'r["abort_reason"]')" = "halted: INC-4711: real outage in dc-b" ] ||
    t_fail "abort reason: $(report_value "$D" 'r.get("abort_reason")')"
[ "$(report_value "$D" '[f["heal"] for f in r["faults"]]')" = "['ok', 'ok']" ] || t_fail "not healed"
echo "  the drill saw the halt $(halt_seen_after "$D" "$started")s after firedrill halt started (connecting included)"
"$LAB" exec h1 test -e /tmp/fd-halt-never && t_fail "the timeline went on after the halt"
no_leftovers h2 h3
# a halted host refuses a new drill at preflight, touching nothing
expect_exit 3 $FD run "$T_DIR/halted.yaml" --auto-ack --report-dir "$T_DIR/r-halted2"
grep -q "host h2 is halted: INC-4711" "$T_ERR" || t_fail "preflight: $(cat "$T_ERR")"
# ... and the agent itself refuses a fault, whoever sends it, touching nothing
{
    printf '%s\n' "FD_CONTROLLER=test; set -- apply run-halt-1 f1 60 'apply=touch /tmp/fd-halt-agent' revert=true"
    cat "$SRC/agents/lib.sh" "$SRC/agents/cmd.sh"
} >"$T_DIR/apply-input"
lab_ssh h2 sh -s <"$T_DIR/apply-input" >"$T_OUT" 2>"$T_ERR"
rc=$?
[ "$rc" = 9 ] && grep -q "^error: halted: INC-4711" "$T_ERR" || t_fail "agent: exit $rc: $(cat "$T_ERR")"
"$LAB" exec h2 test -e /tmp/fd-halt-agent && t_fail "the halted agent ran the fault"
"$LAB" exec h2 test -e /run/firedrill/run-halt-1 && t_fail "the halted agent recorded the fault"
expect_exit 4 $FD check-hosts "$INV"
grep -q "^h2 .*problem: halted (INC-4711: real outage in dc-b)" "$T_OUT" || t_fail "check-hosts: $(cat "$T_OUT")"
expect_exit 0 $FD halt "$INV" --clear
grep -q "^h2: cleared" "$T_OUT" || t_fail "clear: $(cat "$T_OUT")"
expect_exit 0 $FD run "$T_DIR/halted.yaml" --auto-ack --report-dir "$T_DIR/r-halted3"
"$LAB" exec h1 rm -f /tmp/fd-halt-never
t_end

t_begin "a halt marker made by hand on one host reaches the running drill within a second"
fd_run_bg "$T_DIR/halted.yaml"
wait_event hold_waiting 30 || t_fail "the drill never reached its hold: $(tail -3 "$T_DIR/run.err")"
started=$EPOCHREALTIME
"$LAB" exec h3 sh -c 'printf "%s\n" "maintenance window" >/var/lib/firedrill/halt'
fd_run_wait
[ "$RUN_RC" = 3 ] || t_fail "exit $RUN_RC, expected 3: $(tail -5 "$T_DIR/run.err")"
D=$(run_dir)
[ "$(report_value "$D" 'r["abort_reason"]')" = "halted: maintenance window" ] ||
    t_fail "abort reason: $(report_value "$D" 'r.get("abort_reason")')"
seen=$(halt_seen_after "$D" "$started")
echo "  the drill saw the marker ${seen}s after it was written"
python3 -c "import sys; sys.exit(0 if float('$seen') <= 1.0 else 1)" 2>/dev/null ||
    t_fail "the drill saw the halt ${seen}s after the marker was written"
"$LAB" exec h3 rm -f /var/lib/firedrill/halt
t_end

t_begin "firedrill halt with a host unreachable: the others are halted, the missing one named (exit 4)"
python3 - "$INV" "$T_DIR/inv-down.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read().rstrip("\n")
s += "\n  - { name: h9, address: 10.77.0.99, datacenter: dc-c, connect_timeout: 1s }\n"
open(sys.argv[2], "w").write(s)
PY
expect_exit 4 $FD halt "$T_DIR/inv-down.yaml" --reason "drill freeze"
grep -q "^h9: UNREACHABLE" "$T_OUT" && grep -q "halted 3 of 4 hosts; NOT on: h9" "$T_OUT" ||
    t_fail "$(cat "$T_OUT")"
"$LAB" exec h1 cat /var/lib/firedrill/halt | grep -qx "reason=drill freeze" || t_fail "no marker on h1"
expect_exit 4 $FD halt "$T_DIR/inv-down.yaml" --clear
"$LAB" exec h1 test -e /var/lib/firedrill/halt && t_fail "the marker stayed on h1"
t_end

t_begin "leases: a second drill on a leased host is refused (exit 4) naming the first; --allow-overlap runs"
scenario leased <<'EOF'
safety: { ttl: 2m }
timeline:
  - { id: cut, fault: partition, target: { role: postgres, where: "test $FD_HOST_NAME = h2", pick: one } }
  - { id: look, hold: { prompt: "hold the lease", timeout: 60s } }
EOF
scenario other <<'EOF'
probes:
  - { name: ssh2, type: tcp, address: 10.77.0.12, port: 22, interval: 200ms }
timeline:
  - { id: kill-it, fault: pause, process: postgres, target: { hosts: [h3] }, duration: 1s }
EOF
fd_run_bg "$T_DIR/leased.yaml"
wait_event hold_waiting 30 || t_fail "the drill never reached its hold: $(tail -3 "$T_DIR/run.err")"
first=$(basename "$(run_dir)")
# every candidate of the where selector is leased, h1 and h3 too
expect_exit 4 $FD run "$T_DIR/other.yaml" --report-dir "$T_DIR/r-other"
grep -q "host h3 is held by another drill (run $first (drill leased from" "$T_ERR" ||
    t_fail "not named: $(cat "$T_ERR")"
[ "$(in_host h3 ls /run/firedrill)" = leases ] || t_fail "the refused drill touched h3"
expect_exit 0 $FD run "$T_DIR/other.yaml" --allow-overlap --report-dir "$T_DIR/r-other2"
grep -q "host h3 is also held by run $first" "$T_OUT" || t_fail "overlap not said: $(head -5 "$T_OUT")"
$FD ack "$first" >/dev/null
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "the first drill exited $RUN_RC: $(tail -3 "$T_DIR/run.err")"
no_leftovers h1 h2 h3
t_end

t_begin "a controller killed during a hold: its lease holds others off, then nothing is left after ttl"
scenario killed <<'EOF'
safety: { ttl: 6s }
timeline:
  - { id: cut, fault: partition, target: { hosts: [h2] } }
  - { id: look, hold: { prompt: "nobody answers", timeout: 60s } }
EOF
fd_run_bg "$T_DIR/killed.yaml"
wait_event hold_waiting 30 || t_fail "the drill never reached its hold: $(tail -3 "$T_DIR/run.err")"
dead=$(basename "$(run_dir)")
kill -KILL "$RUN_PID"
fd_run_wait
expect_exit 4 $FD run "$T_DIR/killed.yaml" --auto-ack --report-dir "$T_DIR/r-killed2"
grep -q "held by another drill (run $dead" "$T_ERR" || t_fail "the dead run's lease: $(cat "$T_ERR")"
sleep 9 # the ttl (6 s from the apply) and the revert; the lease lapses with it
left=$(host_leftovers h2)
[ -z "$left" ] || t_fail "h2: left behind after the ttl: $left"
reach h2 10.77.0.11 22 || t_fail "the partition is still in place"
expect_exit 0 $FD run "$T_DIR/killed.yaml" --auto-ack --report-dir "$T_DIR/r-killed3"
t_end

t_begin "firedrill heal clears a dead run's lease (and its faults): the next drill runs at once"
sed -e 's/ttl: 6s/ttl: 5m/' "$T_DIR/killed.yaml" >"$T_DIR/killed-long.yaml"
fd_run_bg "$T_DIR/killed-long.yaml"
wait_event hold_waiting 30 || t_fail "the drill never reached its hold: $(tail -3 "$T_DIR/run.err")"
dead=$(basename "$(run_dir)")
kill -KILL "$RUN_PID"
fd_run_wait
expect_exit 0 $FD heal "$INV" --run "$dead"
grep -q "^h2: cleared the lease of run $dead" "$T_OUT" || t_fail "heal: $(cat "$T_OUT")"
left=$(host_leftovers h2)
[ -z "$left" ] || t_fail "h2: left behind after the heal: $left"
expect_exit 0 $FD run "$T_DIR/killed-long.yaml" --auto-ack --report-dir "$T_DIR/r-healed"
t_end

t_begin "a run's watches end on the hosts when it ends (not when their renewal period is over)"
scenario watch-ends <<'EOF2'
safety: { ttl: 1m }
timeline:
  - { id: c, fault: command, apply: "true", revert: "true", target: { hosts: [h1, h2, h3] } }
  - wait: 3s
EOF2
$FD run "$T_DIR/watch-ends.yaml" --yes --report-dir "$T_DIR/r-watch-ends" >"$T_DIR/watch-ends.out" 2>&1 &
pid=$!
# with bash and inotify-tools, one inotifywait watches the whole renewal period
sleep 2
in_host h1 pgrep -f '^inotifywait -m ' >/dev/null || t_fail "no lasting inotifywait on h1: $(in_host h1 ps -eo args)"
wait $pid || t_fail "the run failed: $(cat "$T_DIR/watch-ends.out")"
# a watch renews every 20 s here: one still running 3 s after the run is one left behind
sleep 3
for h in h1 h2 h3; do
    left=$(in_host "$h" pgrep -af '^sh -s$|inotifywait|fd-watch-wait' || true)
    [ -z "$left" ] || t_fail "$h: the watch still runs after the run ended: $left"
done
t_end

t_begin "a run that ends while a watch renews its lease leaves no lease behind"
# h2's mktemp, in its own mount namespace, takes 0.5 s for a lease: the run's release
# came during the watch's first renewal, which then wrote the lease again
cp "$(command -v mktemp)" "$T_DIR/mktemp.real"
printf '#!/bin/sh\ncase "$*" in *"/run/firedrill/leases/"*) sleep 0.5 ;; esac\nexec %s "$@"\n' \
    "$T_DIR/mktemp.real" >"$T_DIR/mktemp.slow"
chmod 755 "$T_DIR/mktemp.slow"
in_host h2 mount --bind "$T_DIR/mktemp.slow" /usr/bin/mktemp || t_fail "cannot slow h2's mktemp"
# the run fails at its first step, on h1, before its fault on h2: it ends at once
scenario short-run <<'EOF2'
timeline:
  - run: { target: { hosts: [h1] }, command: "exit 3" }
  - { id: f, fault: fill_disk, path: /tmp, size: 1M, target: { hosts: [h2] } }
EOF2
for i in 1 2 3; do
    expect_exit 4 $FD run "$T_DIR/short-run.yaml" --yes --report-dir "$T_DIR/r-short"
    left=$(in_host h2 sh -c 'ls -A /run/firedrill/leases 2>/dev/null; ls /run/firedrill 2>/dev/null')
    if [ -n "$left" ]; then
        t_fail "run $i left on h2: $(printf '%s ' $left)"
        in_host h2 rm -rf /run/firedrill/leases
        break
    fi
done
in_host h2 umount /usr/bin/mktemp
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
