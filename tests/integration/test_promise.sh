#!/usr/bin/env bash
# The promise, as a hostile or careless user and a hostile host would test it: faults
# always heal, nothing runs that the user did not write, secrets stay secret. Each
# test here failed before the change that made it pass.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel

# agent_input RUN FAULT FAMILY ARGS...: what firedrill sends on stdin for an apply.
agent_input() {
    local run=$1 fault=$2 fam=$3
    shift 3
    printf 'FD_CONTROLLER=test@lab; set -- apply %s %s 60' "$run" "$fault"
    local a
    for a in "$@"; do printf " '%s'" "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"; done
    printf '\n'
    cat "$SRC/agents/lib.sh" "$SRC/agents/$fam.sh"
}

t_begin "an inventory value with dash escapes neither runs code at heal nor breaks the revert"
for dc in 'eu\0047; touch /tmp/fd-pwned-1; : \0047' 'dc\c'; do
    rm -f /tmp/fd-pwned-1
    run=promise-inject-$RANDOM
    { printf 'FD_HOST_DATACENTER=%s; export FD_HOST_DATACENTER; ' "'$dc'"
      agent_input "$run" f cmd "apply=true" "revert=true"; } | lab_ssh h1 sh -s >/dev/null 2>&1 ||
        t_fail "apply failed for datacenter $dc"
    lab_ssh h1 sh "/run/firedrill/$run/f.revert" || t_fail "the revert failed for datacenter $dc"
    [ -e /tmp/fd-pwned-1 ] && t_fail "the datacenter value ran code at heal: $dc"
    lab_ssh h1 test -e "/run/firedrill/$run/f.revert" && t_fail "the record stays after the revert ($dc)"
done
# and the loader refuses such a value outright
sed "s/datacenter: dc-a/datacenter: 'eu\\\\0047; touch \\/tmp\\/x; : \\\\0047'/" "$INV" >"$T_DIR/bad-inv.yaml"
expect_exit 2 $FD check-hosts "$T_DIR/bad-inv.yaml"
grep -q "datacenter 'eu\\\\0047; touch /tmp/x; : \\\\0047' must be 1 to 64 letters" "$T_ERR" || t_fail "$(cat "$T_ERR")"
t_end

t_begin "an apply slower than its timeout is killed with its process group and never takes effect"
rm -f /tmp/fd-late-1
scenario slow <<'EOF2'
timeline:
  - { id: slow, fault: command, apply: "sleep 5; touch /tmp/fd-late-1", revert: "rm -f /tmp/fd-late-1", timeout: 2s, target: { hosts: [h1] } }
  - wait: 1s
EOF2
expect_exit 4 $FD run "$T_DIR/slow.yaml" --report-dir "$T_DIR/r-slow"
grep -q "the apply command did not finish within 2s; it was killed with its process group" "$T_ERR" ||
    t_fail "$(cat "$T_ERR")"
sleep 5
[ -e /tmp/fd-late-1 ] && t_fail "the apply took effect after the run said it was undone"
[ -z "$(host_leftovers h1)" ] || t_fail "left: $(host_leftovers h1)"
t_end

t_begin "a revert that runs while the apply still runs ends the apply first"
rm -f /tmp/fd-late-2
run=promise-race-$RANDOM
agent_input "$run" f cmd "apply=sleep 4; touch /tmp/fd-late-2" "revert=rm -f /tmp/fd-late-2" deadline=30 |
    lab_ssh h1 sh -s >/dev/null 2>&1 &
apid=$!
for _ in $(seq 1 50); do lab_ssh h1 test -f "/run/firedrill/$run/f.revert" && break; sleep 0.1; done
sleep 0.5 # the apply is under way: recorded first, then run
lab_ssh h1 sh "/run/firedrill/$run/f.revert" || t_fail "the revert failed"
wait "$apid"
sleep 5
[ -e /tmp/fd-late-2 ] && t_fail "the apply took effect after its revert"
lab_ssh h1 test -e "/run/firedrill/$run" && t_fail "a record stays"
t_end

t_begin "two runs of one scenario started at once keep their own ids, records and reports"
scenario twin <<'EOF2'
timeline:
  - { id: f, fault: command, apply: "touch /tmp/fd-twin-$FD_RUN_ID", revert: "rm /tmp/fd-twin-$FD_RUN_ID", target: { hosts: [h2] }, duration: 2s }
  - wait: 3s
EOF2
# each leases h2, so the second would be refused: --allow-overlap lets both run
$FD run "$T_DIR/twin.yaml" --allow-overlap --report-dir "$T_DIR/r-twin" >"$T_DIR/t1.out" 2>&1 &
p1=$!
$FD run "$T_DIR/twin.yaml" --allow-overlap --report-dir "$T_DIR/r-twin" >"$T_DIR/t2.out" 2>&1 &
p2=$!
wait "$p1"; rc1=$?
wait "$p2"; rc2=$?
[ "$rc1" = 0 ] && [ "$rc2" = 0 ] || t_fail "exits $rc1 and $rc2: $(cat "$T_DIR/t1.out" "$T_DIR/t2.out")"
[ "$(ls -d "$T_DIR"/r-twin/twin-*/ | wc -l)" = 2 ] || t_fail "run directories: $(ls "$T_DIR/r-twin")"
ls /tmp/fd-twin-* >/dev/null 2>&1 && t_fail "a fault stayed in place: $(ls /tmp/fd-twin-*)"
[ -z "$(host_leftovers h2)" ] || t_fail "left: $(host_leftovers h2)"
t_end

t_begin "process names match literally, and never firedrill's own agent or watchdogs"
cp /bin/sleep /tmp/fdvictimA
cp /bin/sleep /tmp/fdvictimB
lab_ssh h1 'setsid /tmp/fdvictimA 300 </dev/null >/dev/null 2>&1 & setsid /tmp/fdvictimB 300 </dev/null >/dev/null 2>&1 &'
scenario regex <<'EOF2'
timeline:
  - { id: k, fault: kill, process: "fdvictim[AB]", target: { hosts: [h1] } }
EOF2
expect_exit 4 $FD run "$T_DIR/regex.yaml" --report-dir "$T_DIR/r-regex"
grep -q "no running process 'fdvictim\[AB\]' to kill" "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ "$(lab_ssh h1 pgrep -c -x 'fdvictim[AB]')" = 2 ] || t_fail "a victim was killed by a pattern"
lab_ssh h1 'setsid sleep 301 </dev/null >/dev/null 2>&1 &'
scenario sleepkill <<'EOF2'
timeline:
  - { id: hold, fault: command, apply: "true", revert: "true", target: { hosts: [h1] } }
  - { id: k, fault: kill, process: sleep, target: { hosts: [h1] } }
  - wait: 3s
EOF2
fd_run_bg "$T_DIR/sleepkill.yaml"
wait_events fault_applied 2 || t_fail "not two faults applied"
sleep 0.5
wd=$(lab_ssh h1 pgrep -c -f '[f]d-watchdog')
[ "$wd" = 2 ] || t_fail "watchdogs running after kill sleep: $wd, expected 2"
lab_ssh h1 "pgrep -f '[s]leep 301'" >/dev/null && t_fail "the user's sleep was not killed"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(cat "$T_DIR/run.err")"
# the run's lease reaper sleeps in its own session on h1: its sleep is firedrill's own
killed=$(report_value "$(run_dir)" '[f["verification"] for f in r["faults"] if f["id"] == "k"][0]')
echo "$killed" | grep -Eq "is gone \(pids [0-9]+\)" || t_fail "more than the user's sleep was killed: $killed"
lab_ssh h1 'kill $(pgrep -x fdvictimA) $(pgrep -x fdvictimB)'
[ -z "$(host_leftovers h1)" ] || t_fail "left: $(host_leftovers h1)"
t_end

t_begin "a failed apply whose undo fails too is a heal failure (exit 5), not 'nothing left'"
rm -f /tmp/fd-undo-ok
scenario undo <<'EOF2'
timeline:
  - { id: u, fault: command, apply: "exit 1", revert: "[ -e /tmp/fd-undo-ok ]", target: { hosts: [h3] } }
EOF2
expect_exit 5 $FD run "$T_DIR/undo.yaml" --report-dir "$T_DIR/r-undo"
grep -q "HEAL FAILED: fault 'u' (command) on host h3" "$T_ERR" || t_fail "$(cat "$T_ERR")"
grep -q '"verdict": "heal_failed"' "$T_DIR"/r-undo/*/report.json || t_fail "verdict"
touch /tmp/fd-undo-ok
expect_exit 0 $FD heal "$INV"
grep -q "^h3: healed undo-" "$T_OUT" || t_fail "the record was not kept for a heal: $(cat "$T_OUT")"
rm -f /tmp/fd-undo-ok
t_end

t_begin "fill_disk never writes through a link planted at its name"
run=promise-fill-$RANDOM
rm -f /tmp/fd-fill-victim
ln -s /tmp/fd-fill-victim "/var/tmp/.firedrill-fill-$run-f"
agent_input "$run" f disk path=/var/tmp bytes=4096 | lab_ssh h1 sh -s >"$T_OUT" 2>&1
rc=$?
[ "$rc" = 3 ] || t_fail "exit $rc: $(cat "$T_OUT")"
[ -e /tmp/fd-fill-victim ] && t_fail "root created the link's target"
rm -f "/var/tmp/.firedrill-fill-$run-f"
lab_ssh h1 test -e "/run/firedrill/$run" && t_fail "a record stays"
t_end

t_begin "secrets: not in ps on the host, not in history.jsonl or report.json in any form"
export FD_TEST_PROMISE_SECRET="hunter2'x y"
scenario secret <<'EOF2'
probes:
  - { name: leak, type: command, command: "printf '%s\\n' ${q:env:FD_TEST_PROMISE_SECRET} >&2; exit 1", interval: 200ms, timeout: 2s }
timeline:
  - { id: s, fault: command, apply: "sleep 3 # ${env:FD_TEST_PROMISE_SECRET}", revert: "true # ${env:FD_TEST_PROMISE_SECRET}", target: { hosts: [h1] } }
EOF2
fd_run_bg "$T_DIR/secret.yaml"
wait_event step_started || t_fail "no step_started"
sleep 1
lab_ssh h1 ps -eo args >"$T_DIR/ps" 2>&1
grep -q hunter2 "$T_DIR/ps" && t_fail "the secret shows in ps: $(grep hunter2 "$T_DIR/ps")"
grep -q "fd-user-command" "$T_DIR/ps" || t_fail "the apply was not running when ps looked"
fd_run_wait
d=$(run_dir)
grep -rq hunter2 "$d" && t_fail "the secret is in the run directory: $(grep -rl hunter2 "$d")"
grep -q '\*\*\*' "$d/history.jsonl" || t_fail "no redacted value in history.jsonl"
unset FD_TEST_PROMISE_SECRET
t_end

t_begin "a local run step's daemonised child does not hold the run, nor Ctrl-C"
scenario daemon <<'EOF2'
timeline:
  - { id: f, fault: command, apply: "true", revert: "true", target: { hosts: [h1] } }
  - { id: d, run: { command: "setsid sh -c 'sleep 25' fd-daemon-test & echo started", timeout: 20s } }
EOF2
t0=$(t_now_ms)
expect_exit 0 $FD run "$T_DIR/daemon.yaml" --report-dir "$T_DIR/r-daemon"
ms=$(($(t_now_ms) - t0))
[ "$ms" -lt 10000 ] || t_fail "the run took ${ms} ms: it waited for the daemon"
pkill -f fd-daemon-test
scenario daemonint <<'EOF2'
timeline:
  - { id: f, fault: command, apply: "true", revert: "true", target: { hosts: [h1] } }
  - { id: d, run: { command: "setsid sh -c 'sleep 25' fd-daemon-test & sleep 20", timeout: 30s } }
EOF2
fd_run_bg "$T_DIR/daemonint.yaml"
wait_event fault_applied || t_fail "no fault_applied"
sleep 1
t0=$(t_now_ms)
kill -INT "$RUN_PID"
fd_run_wait
ms=$(($(t_now_ms) - t0))
[ "$RUN_RC" = 3 ] || t_fail "exit $RUN_RC after SIGINT"
[ "$ms" -lt 5000 ] || t_fail "SIGINT took ${ms} ms to end the run"
[ -z "$(host_leftovers h1)" ] || t_fail "left: $(host_leftovers h1)"
pkill -f fd-daemon-test
t_end

t_begin "a heal does not wait behind a long command on the same host"
scenario behind <<'EOF2'
timeline:
  - { id: short, fault: command, apply: "true", revert: "true", target: { hosts: [h1] }, duration: 2s }
  - { id: long, run: { command: "sleep 8", target: { hosts: [h1] }, timeout: 20s } }
EOF2
expect_exit 0 $FD run "$T_DIR/behind.yaml" --report-dir "$T_DIR/r-behind"
held=$(report_value "$T_DIR"/r-behind/*/ "round(r['faults'][0]['healed_s'] - r['faults'][0]['applied_s'], 2)")
awk -v h="$held" 'BEGIN { exit !(h < 4) }' || t_fail "a 2s fault stayed ${held}s"
t_end

t_begin "SIGHUP (a dropped terminal) heals before exit, exit 3"
scenario hup <<'EOF2'
timeline:
  - { id: cut, fault: partition, mode: isolate, target: { hosts: [h1] }, ttl: 1m }
  - wait: 60s
EOF2
fd_run_bg "$T_DIR/hup.yaml"
wait_event fault_applied || t_fail "no fault_applied"
kill -HUP "$RUN_PID"
fd_run_wait
[ "$RUN_RC" = 3 ] || t_fail "exit $RUN_RC, expected 3"
[ -z "$(host_leftovers h1)" ] || t_fail "left: $(host_leftovers h1)"
grep -q '"abort_reason": "SIGHUP"' "$(run_dir)/report.json" || t_fail "abort reason"
t_end

t_begin "heal names every host whose heal agent could not run"
sed 's/^  - { name: \(h[0-9]\)\(.*\) }$/  - { name: \1\2, sudo: true }/' "$INV" >"$T_DIR/sudo-inv.yaml"
grep -q "sudo: true" "$T_DIR/sudo-inv.yaml" || t_fail "could not make a sudo inventory: $(cat "$T_DIR/sudo-inv.yaml")"
if lab_ssh h1 command -v sudo >/dev/null; then
    echo "  (sudo is installed on the lab hosts: skipped)"
else
    expect_exit 5 $FD heal "$T_DIR/sudo-inv.yaml"
    for h in h1 h2 h3; do
        grep -q "^$h: FAILED: the heal agent exited" "$T_OUT" || t_fail "no failure for $h: $(cat "$T_OUT")"
    done
    grep -q "^0 fault records healed, 3 failed" "$T_OUT" || t_fail "count: $(tail -1 "$T_OUT")"
fi
t_end

t_begin "faults a.b and a-b keep tables of their own; user commands keep the session's umask"
rm -f /tmp/fd-umask-1
scenario ids <<'EOF2'
timeline:
  - { id: a.b, fault: drop, loss: 1%, target: { hosts: [h2] } }
  - { id: a-b, fault: drop, loss: 1%, target: { hosts: [h2] } }
  - { id: um, fault: command, apply: "touch /tmp/fd-umask-1", revert: "rm -f /tmp/fd-umask-1", target: { hosts: [h2] } }
  - wait: 3s
EOF2
fd_run_bg "$T_DIR/ids.yaml"
wait_events fault_applied 3 || t_fail "not three faults applied"
[ "$(in_host h2 nft list tables | grep -c firedrill)" = 2 ] || t_fail "tables: $(in_host h2 nft list tables)"
[ "$(stat -c %a /tmp/fd-umask-1 2>/dev/null)" = 644 ] || t_fail "mode $(stat -c %a /tmp/fd-umask-1 2>/dev/null)"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(cat "$T_DIR/run.err")"
[ -z "$(host_leftovers h2)" ] || t_fail "left: $(host_leftovers h2)"
t_end

t_begin "a revert ends only its own watchdog, not a process that reused the pid"
run=promise-wd-$RANDOM
agent_input "$run" f cmd "apply=true" "revert=true" | lab_ssh h1 sh -s >/dev/null 2>&1
lab_ssh h1 'setsid sleep 302 </dev/null >/dev/null 2>&1 &'
victim=$(lab_ssh h1 "pgrep -f '^sleep 302\$'")
real=$(lab_ssh h1 cat "/run/firedrill/$run/f.watchdog")
lab_ssh h1 "printf '%s\n' $victim >/run/firedrill/$run/f.watchdog"
lab_ssh h1 sh "/run/firedrill/$run/f.revert" || t_fail "revert failed"
lab_ssh h1 kill -0 "$victim" || t_fail "the revert killed a process that was not its watchdog"
lab_ssh h1 "kill $victim; kill -TERM -$real" 2>/dev/null
t_end

t_begin "every apply and revert is in the host's log, with run, fault and controller"
if [ -e /dev/log ]; then
    echo "  (a syslog daemon owns /dev/log here: skipped)"
else
    python3 - "$T_DIR/syslog" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
s.settimeout(0.5)
end = time.time() + 20
with open(sys.argv[1], "w") as out:
    while time.time() < end:
        try:
            out.write(s.recv(4096).decode(errors="replace") + "\n")
            out.flush()
        except socket.timeout:
            pass
PY
    lpid=$!
    for _ in $(seq 1 50); do [ -S /dev/log ] && break; sleep 0.1; done
    scenario logged <<'EOF2'
timeline:
  - { id: lg, fault: command, apply: "true", revert: "true", target: { hosts: [h3] }, duration: 1s }
  - wait: 2s
EOF2
    expect_exit 0 $FD run "$T_DIR/logged.yaml" --report-dir "$T_DIR/r-logged"
    sleep 0.5
    kill "$lpid" 2>/dev/null
    wait "$lpid" 2>/dev/null
    rm -f /dev/log
    id=$(basename "$(ls -d "$T_DIR"/r-logged/*/)")
    grep -q "firedrill: applying fault lg of run $id from [^ ]*@" "$T_DIR/syslog" || t_fail "no apply line: $(cat "$T_DIR/syslog")"
    grep -q "firedrill: reverted fault lg of run $id (applied from [^ ]*@" "$T_DIR/syslog" || t_fail "no revert line"
fi
t_end

t_begin "plan and run agree on the hosts every selector picks, for every seed"
scenario picks <<'EOF2'
timeline:
  - { id: w, run: { command: "true", target: { role: redis, where: "true", pick: random:1 } } }
  - { id: a, fault: command, apply: "true", revert: "true", target: { role: redis, pick: random:1 } }
  - { id: b, fault: command, apply: "true", revert: "true", target: { role: redis, pick: random:2 } }
EOF2
for seed in 1 2 3 4 5; do
    $FD plan "$T_DIR/picks.yaml" --seed $seed >"$T_DIR/plan"
    for id in a b; do
        planned=$(awk -v id="$id" '$0 ~ "\\[" id "\\] fault" {on=1; next} /^step /{on=0} on && /^    target:/ {sub(/.*-> /, ""); gsub(/, /, ","); print}' "$T_DIR/plan")
        echo "$planned" >"$T_DIR/planned-$id"
    done
    expect_exit 0 $FD run "$T_DIR/picks.yaml" --seed $seed --report-dir "$T_DIR/r-picks-$seed"
    for id in a b; do
        ran=$(report_value "$T_DIR"/r-picks-$seed/*/ "','.join([f for f in r['faults'] if f['id'] == '$id'][0]['targets'])")
        [ -n "$ran" ] && [ "$ran" = "$(cat "$T_DIR/planned-$id")" ] ||
            t_fail "seed $seed, fault $id: plan showed '$(cat "$T_DIR/planned-$id")', run used '$ran'"
    done
done
t_end

rm -f /tmp/fdvictimA /tmp/fdvictimB
t_done
