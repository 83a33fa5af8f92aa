#!/usr/bin/env bash
# Hosts as they are in production: the lab's hosts take SSH only as a deploy user with
# sudo (lab up --user), one of them with a sudo that asks for a password. A drill runs
# its faults through sudo and heals; check-hosts names the host whose sudo cannot be
# used; a drill that would fault it stops at preflight touching nothing; heal and halt
# work through sudo. (The whole suite runs in this mode by hand: CONTRIBUTING.md.)
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel --user fddeploy --sudo-password h3
trap '"$LAB" down >/dev/null 2>&1' EXIT

t_begin "the hosts refuse root over SSH and take the deploy user, whose sudo works on h1 and h2"
ssh -q -i "$FD_LAB_KEY" -o UserKnownHostsFile="$FD_LAB_KNOWN_HOSTS" -o BatchMode=yes \
    root@10.77.0.11 true && t_fail "root logged in"
[ "$(lab_ssh h1 id -u)" = 0 ] || t_fail "no sudo on h1"
grep -q "user: fddeploy" "$INV" && grep -q "sudo: true" "$INV" || t_fail "inventory: $(head -8 "$INV")"
t_end

t_begin "check-hosts: the tools sudo finds; h3's sudo asks for a password: named, exit 4"
expect_exit 4 $FD check-hosts "$INV"
grep -q "^h1 .*ok: .*authenticated as fddeploy.*sudo -n ok" "$T_OUT" || t_fail "h1: $(grep ^h1 "$T_OUT")"
# the tools as sudo finds them (/usr/sbin is on sudo's PATH, not on the user's)
grep -q "^h1 .*tools: nft, iptables, tc, " "$T_OUT" || t_fail "h1's tools: $(grep ^h1 "$T_OUT")"
grep -q "^h3 .*FAILED: .*sudo -n is refused" "$T_OUT" || t_fail "h3: $(grep ^h3 "$T_OUT")"
t_end

t_begin "a drill as the deploy user: kill, pause and partition through sudo, healed, nothing left; run steps as the user, or root with sudo: true"
kill_pause_cut deploy h1 h1 <<'EOF2'
  - { id: look, run: { target: { hosts: [h2] }, command: "id -un > /tmp/fd-deploy-whoami" } }
  - { id: look-root, run: { target: { hosts: [h2] }, sudo: true, command: "id -un > /tmp/fd-deploy-whoami-sudo" } }
EOF2
# a run step is the user's command, run as the login user, not through sudo
[ "$(in_host h2 cat /tmp/fd-deploy-whoami)" = fddeploy ] || t_fail "the run step ran as $(in_host h2 cat /tmp/fd-deploy-whoami)"
# one that says sudo: true runs under sudo -n
[ "$(in_host h2 cat /tmp/fd-deploy-whoami-sudo)" = root ] || t_fail "the sudo run step ran as $(in_host h2 cat /tmp/fd-deploy-whoami-sudo)"
in_host h2 rm -f /tmp/fd-deploy-whoami /tmp/fd-deploy-whoami-sudo
no_leftovers h1 h2
reach h2 10.77.0.11 6379 || t_fail "h2 cannot reach h1's redis after the heal"
t_end

t_begin "a drill that would fault h3 stops at preflight naming its sudo; nothing is touched"
scenario needs-h3 <<'EOF2'
timeline:
  - { id: p1, fault: pause, process: redis-sentinel, target: { hosts: [h1] } }
  - { id: p3, fault: pause, process: redis-sentinel, target: { hosts: [h3] } }
EOF2
expect_exit 4 $FD run "$T_DIR/needs-h3.yaml" --report-dir "$T_DIR/r-h3"
grep -q "host h3 refuses sudo -n (.*password.*): its faults need root there; nothing was injected" "$T_ERR" ||
    t_fail "$(cat "$T_ERR")"
grep -q '"event":"fault_applied"' "$(ls -d "$T_DIR"/r-h3/*/)/history.jsonl" && t_fail "a fault was applied"
[ -z "$(host_leftovers h1)" ] || t_fail "h1: left behind: $(host_leftovers h1)"
t_end

t_begin "sudo asks for a password mid-drill: the heal fails loudly, naming the host and sudo; the host's watchdog still reverts at ttl"
scenario midpw <<'EOF2'
timeline:
  - { id: cut, fault: partition, target: { hosts: [h1] }, ttl: 6s }
  - wait: 2s
EOF2
fd_run_bg "$T_DIR/midpw.yaml"
wait_event fault_applied || t_fail "no fault_applied: $(cat "$T_DIR/run.err")"
cp /etc/sudoers.d/firedrill-lab "$T_DIR/sudoers.saved"
sed -i 's/^fddeploy h1 = (ALL) NOPASSWD: ALL$/fddeploy h1 = (ALL) ALL/' /etc/sudoers.d/firedrill-lab
fd_run_wait
cat "$T_DIR/sudoers.saved" >/etc/sudoers.d/firedrill-lab
[ "$RUN_RC" = 5 ] || t_fail "exit $RUN_RC: $(tail -3 "$T_DIR/run.err")"
grep -q "HEAL FAILED: fault 'cut' (partition) on host h1: .*password.*Revert it by hand: ssh fddeploy@10.77.0.11 'sudo -n sh -c" "$T_DIR/run.err" ||
    t_fail "$(cat "$T_DIR/run.err")"
for _ in $(seq 1 100); do [ -z "$(host_leftovers h1)" ] && break; sleep 0.1; done
no_leftovers h1
reach h2 10.77.0.11 22 || t_fail "h2 cannot reach h1 after the watchdog"
t_end

t_begin "halt and heal through sudo; h3, whose sudo asks for a password, is said not to be done"
expect_exit 4 $FD halt "$T_DIR/deploy.yaml" --reason "freeze"
grep -q "^h3: FAILED: .*password" "$T_OUT" && grep -q "halted 2 of 3 hosts; NOT on: h3" "$T_OUT" ||
    t_fail "$(cat "$T_OUT")"
[ "$(in_host h1 stat -c %U /var/lib/firedrill/halt)" = root ] || t_fail "the marker is not root's"
expect_exit 3 $FD run "$T_DIR/deploy.yaml" --report-dir "$T_DIR/r-halted"
expect_exit 4 $FD halt "$T_DIR/deploy.yaml" --clear
in_host h1 test -e /var/lib/firedrill/halt && t_fail "the halt stayed on h1"
expect_exit 5 $FD heal "$T_DIR/deploy.yaml"
grep -q "^h1: nothing recorded" "$T_OUT" && grep -q "^h3: FAILED: the heal agent exited 1: .*password" "$T_OUT" ||
    t_fail "$(cat "$T_OUT")"
t_end

t_done
