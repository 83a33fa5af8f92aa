#!/usr/bin/env bash
# Process, service, disk and command faults observed on the hosts: kill (with and
# without restart, the target found with `where`), pause, stop_service, fill_disk,
# command.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel

redis_pid() { in_host "$1" pgrep -x redis-server; }

t_begin "kill a replica's redis-server; the restart command brings it back at heal"
before=$(redis_pid h3)
scenario kill <<EOF2
timeline:
  - id: k
    fault: kill
    process: redis-server
    signal: KILL
    restart: "redis-server $FIREDRILL_LAB_DIR/hosts/\$FD_HOST_NAME/redis/redis.conf"
    target: { hosts: [h3] }
    duration: 3s
  - wait: 4s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/kill.yaml"
wait_event fault_applied || t_fail "no fault_applied: $(cat "$T_DIR/run.err")"
[ -z "$(redis_pid h3)" ] || t_fail "redis-server still runs on h3"
[ -n "$(in_host h3 pgrep -x redis-sentinel)" ] || t_fail "the kill took the sentinel too"
wait_event fault_healed 10 || t_fail "not healed"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(cat "$T_DIR/run.err")"
after=$(redis_pid h3)
[ -n "$after" ] && [ "$after" != "$before" ] || t_fail "not restarted (before $before, after $after)"
redis-cli -h 10.77.0.13 ping | grep -q PONG || t_fail "h3 redis not answering"
grep -q "verified: process 'redis-server' is gone (pids $before)" "$(run_dir)/report.json" || t_fail "verification"
t_end

t_begin "kill the current primary found with where"
primary=$(wait_single_redis_primary) || t_fail "no single primary"
scenario killprimary <<EOF2
timeline:
  - id: k
    fault: kill
    process: redis-server
    restart: "redis-server $FIREDRILL_LAB_DIR/hosts/\$FD_HOST_NAME/redis/redis.conf"
    target: { role: redis, where: "redis-cli -h \$FD_HOST_ADDRESS role | head -1 | grep -qx master", pick: one }
    duration: 1s
  - wait: 2s
safety: { ttl: 1m, max_hosts_affected: 1 }
EOF2
expect_exit 0 $FD run "$T_DIR/killprimary.yaml" --report-dir "$T_DIR/r-kp"
python3 - "$T_DIR"/r-kp/*/report.json "$primary" <<'PY' || t_fail "killed the wrong host"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["faults"][0]["targets"] == [sys.argv[2]], r["faults"][0]["targets"]
PY
wait_single_redis_primary >/dev/null || t_fail "redis did not settle after the kill"
t_end

t_begin "pause: the process is stopped, then runs again"
scenario pause <<'EOF2'
timeline:
  - { id: p, fault: pause, process: redis-server, target: { hosts: [h2] }, duration: 3s }
  - wait: 4s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/pause.yaml"
wait_event fault_applied || t_fail "no fault_applied"
state=$(in_host h2 sh -c 'sed -n "s/^State:[[:space:]]*\([A-Z]\).*/\1/p" /proc/$(pgrep -x redis-server)/status')
[ "$state" = T ] || t_fail "state $state, expected T (stopped)"
timeout 1 redis-cli -h 10.77.0.12 ping >/dev/null 2>&1 && t_fail "a paused redis answered"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC"
redis-cli -h 10.77.0.12 ping | grep -q PONG || t_fail "redis did not resume"
t_end

t_begin "pause by pidfile: the process named by the pid file (a pid inside the host) stops"
scenario pausepid <<'EOF2'
timeline:
  - { id: p, fault: pause, pidfile: /run/redis.pid, target: { hosts: [h3] }, duration: 2s }
  - wait: 3s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/pausepid.yaml"
wait_event fault_applied || t_fail "no fault_applied: $(cat "$T_DIR/run.err")"
timeout 1 redis-cli -h 10.77.0.13 ping >/dev/null 2>&1 && t_fail "redis on h3 still answers"
[ "$(in_host h3 redis-cli -h 10.77.0.13 -p 26379 ping)" = PONG ] || t_fail "the sentinel on h3 was paused too"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(cat "$T_DIR/run.err")"
redis-cli -h 10.77.0.13 ping | grep -q PONG || t_fail "redis did not resume"
t_end

t_begin "kill and pause a process whose short-lived instances come and go"
# A process name with one long-lived instance and others living 5 ms, started one after
# another for at most 60 s: some of the pids the agent finds are gone by the time it
# signals them, which must not fail the fault. `setsid -f` detaches them from the lab's
# nsenter, which would stop itself when a child of its is paused.
cp /bin/sleep "$T_DIR/fdflap"
flapping() { in_host h1 pgrep -f "[e]nd=.*flap[.]stop" >/dev/null; }
in_host h1 setsid -f sh -c "end=\$((\$(date +%s) + 60)); while [ \$(date +%s) -lt \$end ] && [ ! -e '$T_DIR/flap.stop' ]; do '$T_DIR/fdflap' 0.005; done" </dev/null >/dev/null 2>&1
for kind in kill kill kill pause pause pause; do
    in_host h1 setsid -f "$T_DIR/fdflap" 60 </dev/null >/dev/null 2>&1
    scenario flap <<EOF2
timeline:
  - { id: f, fault: $kind, process: fdflap, target: { hosts: [h1] }, duration: 1s }
  - wait: 1500ms
safety: { ttl: 1m }
EOF2
    expect_exit 0 $FD run "$T_DIR/flap.yaml" --report-dir "$T_DIR/r-flap"
    grep -q "verified: process 'fdflap' is \(gone\|stopped\)" "$T_DIR"/r-flap/*/report.json ||
        t_fail "$kind not verified: $(cat "$T_OUT" "$T_ERR")"
    in_host h1 pkill -x -f "$T_DIR/fdflap 60"
    rm -rf "$T_DIR/r-flap"
done
flapping || t_fail "the flapping loop ended early: the test proves nothing"
touch "$T_DIR/flap.stop"
for i in $(seq 50); do flapping || break; sleep 0.1; done
flapping && t_fail "the flapping loop did not stop"
[ -z "$(host_leftovers h1)" ] || t_fail "left behind: $(host_leftovers h1)"
t_end

t_begin "stop_service with stop and start commands"
scenario stop <<EOF2
timeline:
  - id: s
    fault: stop_service
    stop: "redis-cli -h \$FD_HOST_ADDRESS shutdown nosave"
    start: "redis-server $FIREDRILL_LAB_DIR/hosts/\$FD_HOST_NAME/redis/redis.conf"
    target: { hosts: [h3] }
    duration: 2s
  - wait: 3s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/stop.yaml"
wait_event fault_applied || t_fail "no fault_applied"
[ -z "$(redis_pid h3)" ] || t_fail "still running after stop"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(cat "$T_DIR/run.err")"
redis-cli -h 10.77.0.13 ping | grep -q PONG || t_fail "not started again"
t_end

t_begin "fill_disk: the file exists at the size asked, then is gone"
scenario fill <<'EOF2'
timeline:
  - { id: f, fault: fill_disk, path: /var/tmp, size: 20M, target: { hosts: [h2] }, duration: 2s }
  - wait: 3s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/fill.yaml"
wait_event fault_applied || t_fail "no fault_applied"
f=$(ls -d /var/tmp/.firedrill-fill-*-f 2>/dev/null); [ -n "$f" ] && f=$f/fill
[ -n "$f" ] && [ "$(stat -c %s "$f")" = 20971520 ] || t_fail "fill file missing or wrong size: $f"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC"
ls /var/tmp/.firedrill-fill-* >/dev/null 2>&1 && t_fail "fill file left behind"
# a path that is not a directory is refused, nothing created
scenario fillbad <<'EOF2'
timeline:
  - { id: f, fault: fill_disk, path: /etc/hostname, size: 1M, target: { hosts: [h2] } }
EOF2
expect_exit 4 $FD run "$T_DIR/fillbad.yaml" --report-dir "$T_DIR/r-fb"
grep -q "h2: error: '/etc/hostname' is not a directory" "$T_ERR" || t_fail "$(cat "$T_ERR")"
t_end

t_begin "command fault: apply, then revert at heal"
scenario cmd <<'EOF2'
timeline:
  - { id: c, fault: command, apply: "touch /tmp/fd-cmd-$FD_HOST_NAME", revert: "rm -f /tmp/fd-cmd-$FD_HOST_NAME", target: { hosts: [h1, h3] } }
  - run: { command: "test -e /tmp/fd-cmd-h1 && test -e /tmp/fd-cmd-h3 && test ! -e /tmp/fd-cmd-h2" }
  - heal: c
  - run: { command: "test ! -e /tmp/fd-cmd-h1 && test ! -e /tmp/fd-cmd-h3" }
EOF2
expect_exit 0 $FD run "$T_DIR/cmd.yaml" --report-dir "$T_DIR/r-cmd"
ls /tmp/fd-cmd-* >/dev/null 2>&1 && t_fail "left behind: $(ls /tmp/fd-cmd-*)"
t_end

t_begin "a fault that did not take effect fails the run (exit 4), it is never scored"
scenario nokill <<'EOF2'
timeline:
  - { id: k, fault: kill, process: no-such-process, target: { hosts: [h1] } }
  - wait: 1s
EOF2
expect_exit 4 $FD run "$T_DIR/nokill.yaml" --report-dir "$T_DIR/r-nk"
grep -q "fault k did not take effect: h1: error: no running process 'no-such-process' to kill" "$T_ERR" || t_fail "$(cat "$T_ERR")"
python3 - "$T_DIR"/r-nk/*/report.json <<'PY' || t_fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "error" and r["exit_code"] == 4, r["verdict"]
assert r["faults"][0]["took_effect"] is False
assert r["steps"][0]["status"] == "failed"
assert len(r["steps"]) == 1, "the timeline went on after a failed fault"
PY
t_end

t_done
