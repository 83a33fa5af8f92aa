#!/usr/bin/env bash
# Network faults observed from outside the controller: partition (isolate, split,
# oneway), drop, netem, cut_datacenter. Each heals on schedule and leaves nothing.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel


t_begin "partition isolate: h2 cannot reach h1's Redis, the controller still can SSH to h1; healed after"
scenario iso <<'EOF2'
timeline:
  - { id: cut, fault: partition, mode: isolate, target: { hosts: [h1] }, duration: 4s }
  - wait: 5s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/iso.yaml"
wait_event fault_applied || t_fail "no fault_applied: $(cat "$T_DIR/run.err")"
reach h2 10.77.0.11 6379 && t_fail "h2 still reaches h1:6379 during the partition"
reach h3 10.77.0.11 6379 && t_fail "h3 still reaches h1:6379 during the partition"
reach h2 10.77.0.13 6379 || t_fail "h2 cannot reach h3 (not part of the cut)"
[ "$(lab_ssh h1 hostname)" = h1 ] || t_fail "the controller lost SSH to h1"
redis-cli -h 10.77.0.11 ping | grep -q PONG || t_fail "clients: reach, but the controller cannot reach h1's redis"
wait_event fault_healed 10 || t_fail "not healed"
reach h2 10.77.0.11 6379 || t_fail "h2 cannot reach h1 after the heal"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC: $(cat "$T_DIR/run.err")"
grep -q "observed: h1 cannot reach h2; h2 still reaches h3" "$(run_dir)/report.json" || t_fail "no verification in report"
grep -q '"heal": "ok"' "$(run_dir)/report.json" || t_fail "heal status"
[ -z "$(host_leftovers h1)" ] || t_fail "left behind on h1: $(host_leftovers h1)"
t_end

t_begin "partition isolate with clients: cut: the controller loses Redis on h1 but keeps SSH"
scenario isocut <<'EOF2'
timeline:
  - { id: cut, fault: partition, mode: isolate, clients: cut, target: { hosts: [h1] }, duration: 3s }
  - wait: 4s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/isocut.yaml"
wait_event fault_applied || t_fail "no fault_applied"
timeout 1 redis-cli -h 10.77.0.11 ping >/dev/null 2>&1 && t_fail "the controller still reaches h1's redis"
[ "$(lab_ssh h1 hostname)" = h1 ] || t_fail "the controller lost SSH to h1"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC"
redis-cli -h 10.77.0.11 ping | grep -q PONG || t_fail "h1 redis unreachable after heal"
t_end

t_begin "partition split: {h1} | {h2, h3}"
scenario split <<'EOF2'
timeline:
  - id: s
    fault: partition
    mode: split
    groups: [ { hosts: [h1] }, { hosts: [h2, h3] } ]
    duration: 3s
  - wait: 4s
safety: { ttl: 1m }
EOF2
fd_run_bg "$T_DIR/split.yaml"
wait_event fault_applied || t_fail "no fault_applied"
reach h2 10.77.0.11 22 && t_fail "h2 reaches h1 across the split"
reach h1 10.77.0.13 22 && t_fail "h1 reaches h3 across the split"
reach h2 10.77.0.13 22 || t_fail "h2 cannot reach h3 on its own side"
wait_event fault_verified 10 || t_fail "the cut was not verified"
grep -q "still reaches" "$(run_dir)/history.jsonl" || t_fail "within-side check missing"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC"
reach h2 10.77.0.11 22 || t_fail "h2 cannot reach h1 after the heal"
t_end

t_begin "partition oneway h1 -> h2: h1's datagrams to h2 vanish, h2's to h1 arrive"
scenario oneway <<'EOF2'
timeline:
  - { id: o, fault: partition, mode: oneway, from: { hosts: [h1] }, to: { hosts: [h2] }, duration: 6s }
  - wait: 7s
safety: { ttl: 1m }
EOF2
udp_probe() { # udp_probe FROM TO: 1 when a datagram from FROM reaches a listener on TO
    in_host "$2" timeout 2 python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind((sys.argv[1],9911)); s.settimeout(1.5)
try:
    s.recvfrom(100); print(1)
except OSError:
    print(0)' "$(lab_ip "$2")" >"$T_DIR/udp" &
    sleep 0.3
    in_host "$1" python3 -c '
import socket,sys
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)
for _ in range(5): s.sendto(b"x",(sys.argv[1],9911))' "$(lab_ip "$2")"
    wait
    cat "$T_DIR/udp"
}
fd_run_bg "$T_DIR/oneway.yaml"
wait_event fault_applied || t_fail "no fault_applied"
[ "$(udp_probe h1 h2)" = 0 ] || t_fail "h1 -> h2 datagram arrived"
[ "$(udp_probe h2 h1)" = 1 ] || t_fail "h2 -> h1 datagram was dropped"
[ "$(udp_probe h1 h3)" = 1 ] || t_fail "h1 -> h3 datagram was dropped"
fd_run_wait
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC"
[ "$(udp_probe h1 h2)" = 1 ] || t_fail "h1 -> h2 still dropped after the heal"
t_end

t_begin "drop 30%: the measured loss of h2's replies is near 30%"
scenario drop <<'EOF2'
timeline:
  - { id: d, fault: drop, loss: 30%, target: { hosts: [h2] }, duration: 12s }
  - wait: 13s
safety: { ttl: 1m }
EOF2
in_host h2 timeout 16 python3 -c '
import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.bind(("10.77.0.12",9912))
while True:
    d,a=s.recvfrom(100)
    try:
        s.sendto(d,a)
    except PermissionError:
        pass  # a reply dropped in the OUTPUT hook fails with EPERM locally
' &
echo_pid=$!
fd_run_bg "$T_DIR/drop.yaml"
wait_event fault_applied || t_fail "no fault_applied"
loss=$(python3 -c '
import socket
s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.settimeout(0.02)
got=0; n=1000
for i in range(n):
    s.sendto(str(i).encode(),("10.77.0.12",9912))
    try:
        s.recvfrom(100); got+=1
    except OSError:
        pass
print("%.3f" % (1 - got / n))')
echo "  measured loss: $loss (asked 0.30)"
python3 -c "import sys; sys.exit(0 if 0.22 <= $loss <= 0.38 else 1)" || t_fail "loss $loss is not near 0.30"
"$FD" heal "$INV" --run "$(basename "$(run_dir)")" >/dev/null
fd_run_wait
kill "$echo_pid" 2>/dev/null
[ "$RUN_RC" = 0 ] || t_fail "exit $RUN_RC"
[ -z "$(host_leftovers h2)" ] || t_fail "left behind: $(host_leftovers h2)"
t_end

t_begin "netem on a kernel without netem: a clear error naming the host, nothing left behind"
scenario netem <<'EOF2'
timeline:
  - { id: slow, fault: netem, delay: 100ms, target: { hosts: [h2] }, duration: 5s }
safety: { ttl: 1m }
EOF2
expect_exit 4 $FD run "$T_DIR/netem.yaml" --report-dir "$T_DIR/r-netem"
grep -q "fault slow did not take effect: h2: error: this host's kernel has no 'netem' qdisc" "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ -z "$(host_leftovers h2)" ] || t_fail "left behind: $(host_leftovers h2)"
t_end

t_done
