#!/usr/bin/env bash
# Faults always heal: SIGKILL of the controller (the host watchdog reverts at ttl),
# `firedrill heal`, SIGINT, max_hosts_affected, a user's own firewall rules untouched,
# and --dry-run touching nothing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel

cat >"$T_DIR/long.yaml" <<EOF2
version: 1
name: long-partition
inventory: $INV
timeline:
  - { id: cut, fault: partition, mode: isolate, target: { hosts: [h1] }, ttl: 5s }
  - wait: 60s
EOF2

t_begin "SIGKILL the controller during a partition with ttl 5s: gone within ttl + 3s, no help"
fd_run_bg "$T_DIR/long.yaml"
wait_event fault_applied || t_fail "no fault_applied"
applied_ms=$(t_now_ms)
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
reach h2 10.77.0.11 22 && t_fail "no partition in place after the kill"
gone=
for _ in $(seq 1 100); do
    if [ -z "$(host_leftovers h1)" ]; then gone=$(($(t_now_ms) - applied_ms)); break; fi
    sleep 0.1
done
echo "  reverted by the host watchdog ${gone:-never} ms after the fault was applied"
[ -n "$gone" ] && [ "$gone" -le 8000 ] || t_fail "still in place: $(host_leftovers h1)"
reach h2 10.77.0.11 22 || t_fail "h2 cannot reach h1 after the watchdog"
t_end

t_begin "firedrill heal removes a leftover fault at once"
fd_run_bg "$T_DIR/long.yaml"
wait_event fault_applied || t_fail "no fault_applied"
kill -KILL "$RUN_PID"
wait "$RUN_PID" 2>/dev/null
run_id=$(basename "$(run_dir)")
expect_exit 0 $FD heal "$INV" --run "$run_id"
grep -q "^h1: healed $run_id/cut$" "$T_OUT" || t_fail "$(cat "$T_OUT")"
[ -z "$(host_leftovers h1)" ] || t_fail "left: $(host_leftovers h1)"
reach h2 10.77.0.11 22 || t_fail "h2 cannot reach h1 after heal"
expect_exit 0 $FD heal "$INV"
grep -q "^0 fault records healed" "$T_OUT" || t_fail "a second heal found something: $(cat "$T_OUT")"
t_end

t_begin "SIGINT during a fault: healed before exit, exit code 3"
fd_run_bg "$T_DIR/long.yaml"
wait_event fault_applied || t_fail "no fault_applied"
kill -INT "$RUN_PID"
fd_run_wait
[ "$RUN_RC" = 3 ] || t_fail "exit $RUN_RC, expected 3"
grep -q "interrupted by SIGINT" "$T_DIR/run.out" || t_fail "no interruption message"
grep -q "fault cut healed (the run was aborted)" "$T_DIR/run.out" || t_fail "$(cat "$T_DIR/run.out")"
[ -z "$(host_leftovers h1)" ] || t_fail "left: $(host_leftovers h1)"
grep -q '"verdict": "aborted"' "$(run_dir)/report.json" || t_fail "verdict"
t_end

t_begin "SIGTERM during a fault: healed before exit, exit code 3"
fd_run_bg "$T_DIR/long.yaml"
wait_event fault_applied || t_fail "no fault_applied"
kill -TERM "$RUN_PID"
fd_run_wait
[ "$RUN_RC" = 3 ] || t_fail "exit $RUN_RC, expected 3"
[ -z "$(host_leftovers h1)" ] || t_fail "left: $(host_leftovers h1)"
t_end

t_begin "a user's own firewall rules survive apply and heal untouched"
in_host h1 nft -f - <<'EOF2'
table inet user_rules {
  chain input { type filter hook input priority 0; policy accept; tcp dport 9999 drop; }
}
EOF2
in_host h1 iptables -A INPUT -p tcp --dport 9998 -j DROP
before=$(in_host h1 nft list ruleset)
cat >"$T_DIR/short.yaml" <<EOF2
version: 1
name: short-partition
inventory: $INV
timeline:
  - { id: cut, fault: partition, mode: isolate, target: { hosts: [h1] }, duration: 2s }
  - { id: d, fault: drop, loss: 10%, target: { hosts: [h1] }, duration: 2s }
  - wait: 3s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/short.yaml"
wait_event fault_applied || t_fail "no fault_applied"
# (a listing racing the next fault's nft transaction may fail for a moment: try thrice)
listed=
for _ in 1 2 3; do
    listed=$(in_host h1 nft list table inet user_rules 2>/dev/null) && break
    sleep 0.2
done
grep -q "tcp dport 9999 drop" <<<"$listed" || t_fail "user table changed during the fault: $listed"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(cat "$T_DIR/run.err")"
after=$(in_host h1 nft list ruleset)
[ "$before" = "$after" ] || t_fail "ruleset differs after heal: $(diff <(echo "$before") <(echo "$after"))"
in_host h1 iptables -C INPUT -p tcp --dport 9998 -j DROP || t_fail "the user's iptables rule is gone"
in_host h1 iptables -D INPUT -p tcp --dport 9998 -j DROP
in_host h1 nft delete table inet user_rules
t_end

t_begin "max_hosts_affected: the run aborts before a fault would touch too many hosts"
cat >"$T_DIR/wide.yaml" <<EOF2
version: 1
name: too-wide
inventory: $INV
timeline:
  - { id: one, fault: partition, target: { hosts: [h1] }, duration: 10s }
  - { id: everyone, fault: partition, target: { role: redis }, duration: 10s }
  - wait: 5s
safety: { ttl: 1m, max_hosts_affected: 1 }
EOF2
expect_exit 3 $FD run "$T_DIR/wide.yaml" --report-dir "$T_DIR/r-wide"
grep -q "fault everyone would bring the hosts touched by faults to 3, more than safety.max_hosts_affected (1); aborting before it touches any host" "$T_ERR" || t_fail "$(cat "$T_ERR")"
for h in h1 h2 h3; do [ -z "$(host_leftovers $h)" ] || t_fail "left on $h: $(host_leftovers $h)"; done
python3 - "$T_DIR"/r-wide/*/report.json <<'PY' || t_fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "aborted", r["verdict"]
assert [f["id"] for f in r["faults"]] == ["one"], r["faults"]
assert r["faults"][0]["heal"] == "ok"
PY
t_end

t_begin "a heal that fails: exit 5, naming the host, the fault and the by-hand command"
rm -f /tmp/fd-allow-revert /tmp/fd-flag
cat >"$T_DIR/badheal.yaml" <<EOF2
version: 1
name: bad-heal
inventory: $INV
timeline:
  - { id: sticky, fault: command, apply: "touch /tmp/fd-flag", revert: "test -e /tmp/fd-allow-revert && rm -f /tmp/fd-flag", target: { hosts: [h2] } }
safety: { ttl: 1m }
EOF2
expect_exit 5 $FD run "$T_DIR/badheal.yaml" --report-dir "$T_DIR/r-bh"
# as root: the loop itself; as a sudo user (FD_LAB_MODE=--user): the loop under sudo -n
by_hand="ssh root@10.77.0.12 'for f in"
[ "${FD_LAB_USER:-root}" = root ] || by_hand="ssh $FD_LAB_USER@10.77.0.12 'sudo -n sh -c '\\''for f in"
grep -qF "HEAL FAILED: fault 'sticky' (command) on host h2: revert exited 1: " "$T_ERR" &&
    grep -qF "Revert it by hand: $by_hand /run/firedrill/bad-heal-" "$T_ERR" &&
    grep -q "/run/firedrill/bad-heal-[0-9TZ]*-[0-9a-f]*/\*.revert; do" "$T_ERR" ||
    t_fail "$(cat "$T_ERR")"
grep -q '"verdict": "heal_failed"' "$T_DIR"/r-bh/*/report.json || t_fail "verdict"
[ -e /tmp/fd-flag ] || t_fail "the flag should still be there"
touch /tmp/fd-allow-revert
expect_exit 0 $FD heal "$INV"
grep -q "^h2: healed bad-heal-.*/sticky$" "$T_OUT" || t_fail "$(cat "$T_OUT")"
[ -e /tmp/fd-flag ] && t_fail "not reverted by firedrill heal"
rm -f /tmp/fd-allow-revert
t_end

t_begin "SSH sessions lost during a drill: the heal and the lease release connect again; the log says the connection was lost"
cat >"$T_DIR/lost.yaml" <<EOF2
version: 1
name: lost-sessions
inventory: $INV
timeline:
  - { id: mark, fault: command, apply: "touch /tmp/fd-lost-flag", revert: "rm -f /tmp/fd-lost-flag", target: { hosts: [h3] } }
  - run: { command: "$LAB exec h3 pkill -f '^sshd: [^/]'" }
  - wait: 1s
safety: { ttl: 1m }
EOF2
expect_exit 0 $FD run "$T_DIR/lost.yaml" --report-dir "$T_DIR/r-lost"
d=$(ls -d "$T_DIR"/r-lost/*/)
[ "$(report_value "$d" 'r["faults"][0]["heal"]')" = ok ] || t_fail "not healed: $(cat "$T_ERR")"
in_host h3 test -e /tmp/fd-lost-flag && t_fail "the flag is still there"
grep -q "the connection was lost" "$T_ERR" || t_fail "the lost session is not named: $(cat "$T_ERR")"
grep -qE "cannot open a channel: [;:]|: Socket error: No such file" "$T_ERR" && t_fail "a meaningless reason: $(cat "$T_ERR")"
grep -q "was not released" "$T_ERR" && t_fail "a lease was left: $(cat "$T_ERR")"
[ -z "$(in_host h3 sh -c 'ls /run/firedrill/leases 2>/dev/null')" ] || t_fail "a lease file is left on h3"
t_end

t_begin "without nft, partitions use firedrill's own iptables chains and remove only those"
# hide nft inside h3's own mount namespace only
in_host h3 mount --bind /bin/false "$(command -v nft)"
in_host h3 iptables -A INPUT -p tcp --dport 9997 -j DROP
before=$(in_host h3 iptables -S)
cat >"$T_DIR/ipt.yaml" <<EOF2
version: 1
name: ipt-partition
inventory: $INV
timeline:
  - { id: cut, fault: partition, mode: isolate, target: { hosts: [h3] }, duration: 3s }
  - wait: 4s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/ipt.yaml"
wait_event fault_applied || t_fail "no fault_applied: $(cat "$T_DIR/run.err")"
grep -q "verified: rules loaded in iptables chains" "$(run_dir)/history.jsonl" || t_fail "not the iptables path"
reach h1 10.77.0.13 22 && t_fail "h1 reaches h3 during the partition"
[ "$(lab_ssh h3 hostname)" = h3 ] || t_fail "the controller lost SSH to h3"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(cat "$T_DIR/run.err")"
[ "$(in_host h3 iptables -S)" = "$before" ] || t_fail "iptables differ after heal: $(in_host h3 iptables -S)"
reach h1 10.77.0.13 22 || t_fail "h1 cannot reach h3 after heal"
in_host h3 iptables -D INPUT -p tcp --dport 9997 -j DROP
in_host h3 umount "$(command -v nft)"
t_end

t_begin "run --dry-run prints the plan and touches nothing"
expect_exit 0 $FD run "$T_DIR/short.yaml" --dry-run --report-dir "$T_DIR/r-dry"
grep -q "h1 apply:  FD_SSH_CONNECTION" "$T_OUT" || t_fail "no commands printed"
[ -e "$T_DIR/r-dry" ] && t_fail "dry run created a run directory"
t_end

t_done
