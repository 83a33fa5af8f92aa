#!/usr/bin/env bash
# Hosts behind a bastion (lab up --bastion, as a deploy user with sudo): the machine
# reaches SSH on h0 only, enforced by the lab's network. firedrill reaches the others
# through it with the inventory's `jump:` and with ProxyJump from ~/.ssh/config, the
# host keys of the bastion and of each host verified; a bastion that is down or whose
# key changed is a clear error naming the host, and nothing is left behind.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel --user fddeploy --bastion
trap '"$LAB" down >/dev/null 2>&1' EXIT

t_begin "the machine reaches SSH on the bastion h0 only; the hosts' services stay reachable"
timeout 5 bash -c "exec 3<>/dev/tcp/$FD_LAB_JUMP/22" || t_fail "the bastion's SSH is not reachable"
timeout 5 bash -c "exec 3<>/dev/tcp/10.77.0.11/22" 2>/dev/null && t_fail "h1's SSH is reachable directly"
redis-cli -h 10.77.0.11 ping | grep -q PONG || t_fail "h1's redis is not reachable"
grep -q "^  jump: $FD_LAB_JUMP$" "$INV" || t_fail "inventory: $(head -10 "$INV")"
grep -q "name: h0" "$INV" && t_fail "the bastion is in the inventory"
t_end

t_begin "check-hosts and exec through the inventory's jump:, every host key verified"
expect_exit 0 $FD check-hosts "$INV"
[ "$(grep -c ': ok: reachable, host key verified (ssh-ed25519 SHA256:' "$T_OUT")" = 3 ] || t_fail "$(cat "$T_OUT")"
expect_exit 0 $FD exec "$INV" -- hostname
for h in h1 h2 h3; do grep -q "^$h: $h$" "$T_OUT" || t_fail "exec: $(cat "$T_OUT")"; done
t_end

t_begin "a drill through the bastion: kill, pause and partition applied through sudo and healed"
kill_pause_cut through h3 h1 </dev/null
no_leftovers h1 h2 h3
t_end

t_begin "clients: cut through the bastion cuts the controller's probes, not the bastion; SSH stays open"
scenario clients-cut <<'EOF2'
timeline:
  - { id: cut, fault: partition, mode: isolate, clients: cut, target: { hosts: [h2] } }
  - wait: 30s
EOF2
fd_run_bg "$T_DIR/clients-cut.yaml" --yes
wait_event fault_applied || t_fail "no fault_applied: $(cat "$T_DIR/run.err")"
timeout 2 bash -c 'exec 3<>/dev/tcp/10.77.0.12/6379' 2>/dev/null &&
    t_fail "the controller still reaches h2's redis (the rule cut the bastion's address instead)"
reach h2 10.77.0.10 22 || t_fail "h2 no longer reaches the bastion's SSH (it was cut instead of the controller)"
kill -INT "$RUN_PID"
fd_run_wait
no_leftovers h1 h2 h3
t_end

t_begin "ProxyJump from ~/.ssh/config (an inventory without jump:): check-hosts and a drill"
# The controller's home is a folder of the test's own, mounted over /root in a private
# mount namespace: the machine's own ~/.ssh is neither read nor touched.
home=$T_DIR/home
mkdir -p "$home/.ssh"
cp "$FD_LAB_KEY" "$home/.ssh/id_ed25519"
cp "$FD_LAB_KNOWN_HOSTS" "$home/.ssh/known_hosts"
cat >"$home/.ssh/config" <<EOF2
Host 10.77.0.1? !$FD_LAB_JUMP
    ProxyJump $FD_LAB_USER@$FD_LAB_JUMP
Host 10.77.0.*
    User $FD_LAB_USER
    IdentityFile $home/.ssh/id_ed25519
    UserKnownHostsFile $home/.ssh/known_hosts
    StrictHostKeyChecking yes
    BatchMode yes
EOF2
chmod 700 "$home/.ssh"
chmod 600 "$home/.ssh/"*
grep -v "^  jump: " "$INV" >"$T_DIR/nojump.yaml"
as_home() { unshare --mount --propagation private sh -c 'mount --bind "$0" /root && exec "$@"' "$home" "$@"; }
expect_exit 0 as_home $FD check-hosts "$T_DIR/nojump.yaml"
[ "$(grep -c ': ok: reachable, host key verified' "$T_OUT")" = 3 ] || t_fail "$(cat "$T_OUT")"
FD="as_home $FD" kill_pause_cut config-jump h3 h1 "$T_DIR/nojump.yaml" </dev/null
no_leftovers h1 h2 h3
# without the jump (no config, no jump:), the hosts are out of reach: the bastion is the way
expect_exit 4 $FD check-hosts "$T_DIR/nojump.yaml"
t_end

t_begin "an Ansible inventory of the same hosts: groups of groups, group_vars, become, ProxyJump"
# The hosts as a site's Ansible inventory has them (the deploy user, sudo through
# ansible_become, the bastion in ansible_ssh_common_args), used by every command that
# takes an inventory; firedrill's defaults add only what Ansible has no variable for.
adir=$T_DIR/ansible
mkdir -p "$adir/group_vars/redis"
cat >"$adir/hosts.ini" <<EOF2
[dc_a]
h1 ansible_host=10.77.0.11 dc=dc-a
[dc_b]
h2 ansible_host=10.77.0.12 dc=dc-b
[dc_c]
h3 ansible_host=10.77.0.13 dc=dc-c
[redis:children]
dc_a
dc_b
dc_c
[sentinel:children]
redis
EOF2
cat >"$adir/group_vars/all.yml" <<EOF2
ansible_user: $FD_LAB_USER
ansible_ssh_private_key_file: $FD_LAB_KEY
ansible_ssh_common_args: '-o ProxyJump=$FD_LAB_USER@$FD_LAB_JUMP -o ServerAliveInterval=15'
EOF2
cat >"$adir/group_vars/redis/main.yml" <<'EOF2'
ansible_become: true
redis_maxmemory: 64mb
EOF2
cat >"$adir/inventory.yaml" <<EOF2
ansible: hosts.ini
datacenter_var: dc
defaults: { known_hosts: $FD_LAB_KNOWN_HOSTS, connect_timeout: 3s }
EOF2
expect_exit 0 $FD inventory show "$adir/inventory.yaml"
grep -Eq "^h2 +10\.77\.0\.12 +dc-b +dc_b,redis,sentinel +$FD_LAB_USER +- +yes +$FD_LAB_USER@$FD_LAB_JUMP:22$" "$T_OUT" ||
    t_fail "inventory show: $(cat "$T_OUT")"
[ -s "$T_ERR" ] && t_fail "warnings without --verbose: $(cat "$T_ERR")"
expect_exit 0 $FD inventory show "$adir/inventory.yaml" --verbose
grep -q "group_vars/redis/main.yml:2:18: warning: Ansible variable 'redis_maxmemory' is not one firedrill reads" "$T_ERR" &&
    grep -q "ssh option 'ServerAliveInterval=15' in 'ansible_ssh_common_args' is not applied" "$T_ERR" ||
    t_fail "--verbose: $(cat "$T_ERR")"
expect_exit 0 $FD check-hosts "$adir/inventory.yaml"
[ "$(grep -c ': ok: reachable, host key verified (ssh-ed25519 SHA256:' "$T_OUT")" = 3 ] || t_fail "$(cat "$T_OUT")"
expect_exit 0 $FD exec "$adir/inventory.yaml" --role redis --datacenter dc-b -- sudo -n id -u
grep -qx "h2: 0" "$T_OUT" && ! grep -q "^h[13]:" "$T_OUT" || t_fail "exec: $(cat "$T_OUT")"
kill_pause_cut ansible h3 h1 "$adir/inventory.yaml" </dev/null
no_leftovers h1 h2 h3
expect_exit 0 $FD halt "$adir/inventory.yaml" --reason "an Ansible-listed halt"
[ "$(grep -c ': halted' "$T_OUT")" = 3 ] || t_fail "halt: $(cat "$T_OUT")"
expect_exit 0 $FD halt "$adir/inventory.yaml" --clear
expect_exit 0 $FD heal "$adir/inventory.yaml"
# the INI file itself, as --inventory, with the known_hosts of the controller's home
sed "s|^inventory: .*|inventory: $INV|" "$T_DIR/ansible.yaml" >"$T_DIR/ansible-direct.yaml"
expect_exit 0 as_home $FD check-hosts "$T_DIR/ansible-direct.yaml" --inventory "$adir/hosts.ini"
[ "$(grep -c ': ok: reachable, host key verified' "$T_OUT")" = 3 ] || t_fail "$(cat "$T_OUT")"
t_end

t_begin "a changed bastion key: refused, naming the host and the jump host; nothing touched"
sed "s|^$FD_LAB_JUMP ssh-ed25519 .*|$FD_LAB_JUMP $(ssh-keygen -q -t ed25519 -N '' -f "$T_DIR/other" >/dev/null && cut -d' ' -f1-2 "$T_DIR/other.pub")|" \
    "$FD_LAB_KNOWN_HOSTS" >"$T_DIR/changed_known_hosts"
sed "s|^  known_hosts: .*|  known_hosts: $T_DIR/changed_known_hosts|" "$INV" >"$T_DIR/changed.yaml"
sed "s|^inventory: .*|inventory: $T_DIR/changed.yaml|" "$T_DIR/through.yaml" >"$T_DIR/changed-run.yaml"
expect_exit 4 $FD run "$T_DIR/changed-run.yaml" --yes --report-dir "$T_DIR/r-changed"
grep -q "h1.*unreachable through the jump host $FD_LAB_JUMP:22 (its ssh says: the jump host.s key has CHANGED; Host key verification failed.)" "$T_ERR" ||
    t_fail "$(cat "$T_ERR")"
ls "$T_DIR"/r-changed/*/history.jsonl >/dev/null 2>&1 &&
    grep -q '"event":"fault_applied"' "$T_DIR"/r-changed/*/history.jsonl && t_fail "a fault was applied"
no_leftovers h1 h2 h3
t_end

t_begin "the bastion down: every host named unreachable through it, within the connect timeout"
"$LAB" link h0 down
start=$(date +%s.%N)
expect_exit 4 $FD check-hosts "$INV"
took=$(python3 -c "print(round($(date +%s.%N) - $start, 2))")
[ "$(grep -c "unreachable through the jump host $FD_LAB_JUMP:22" "$T_OUT")" = 3 ] || t_fail "$(cat "$T_OUT")"
python3 -c "import sys; sys.exit(0 if $took < 8 else 1)" || t_fail "took ${took}s"
echo "  check-hosts with the bastion down answered in ${took}s (connect_timeout 3s)"
expect_exit 4 $FD run "$T_DIR/through.yaml" --report-dir "$T_DIR/r-down"
grep -q "unreachable through the jump host" "$T_ERR" || t_fail "$(cat "$T_ERR")"
"$LAB" link h0 up
no_leftovers h1 h2 h3
t_end

t_done
