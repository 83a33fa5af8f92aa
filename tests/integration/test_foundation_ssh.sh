#!/usr/bin/env bash
# check-hosts, strict host keys, unreachable hosts, concurrent fan-out and `where`
# selectors, over real SSH to the lab.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel
trap '"$LAB" link h2 up 2>/dev/null; "$LAB" link h3 up 2>/dev/null; rm -rf "$T_DIR"' EXIT

t_begin "check-hosts passes on 3 hosts over real SSH"
expect_exit 0 $FD check-hosts "$INV"
[ "$(grep -c ': ok: reachable, host key verified (ssh-ed25519 SHA256:' "$T_OUT")" = 3 ] || t_fail "$(cat "$T_OUT")"
grep -q "^3 of 3 hosts ready" "$T_OUT" || t_fail "summary line"
grep -q "authenticated as ${FD_LAB_USER:-root} (publickey $FD_LAB_KEY)" "$T_OUT" || t_fail "auth method"
# the lab kernel has no netem: a warning, not a failure
[ "$(grep -c 'warning: tc has no netem' "$T_OUT")" = 3 ] || t_fail "netem warning missing"
# the same through the shipped scenario
expect_exit 0 $FD check-hosts "$SRC/scenarios/redis-sentinel-kill-primary.yaml"
t_end

t_begin "a where selector finds the current Redis primary, before and after a failover"
where='redis-cli -h $FD_HOST_ADDRESS role | head -1 | grep -qx master'
before=$(wait_single_redis_primary) || t_fail "redis has no single primary"
expect_exit 0 $FD select "$INV" --role redis --where "$where" --pick one
grep -q "^selected (.*): $before$" "$T_OUT" || t_fail "expected $before: $(cat "$T_OUT")"
[ "$(grep -c 'where exited 0 (match)' "$T_OUT")" = 1 ] || t_fail "exactly one host should match"
redis-cli -h 10.77.0.11 -p 26379 sentinel failover mymaster >/dev/null
for _ in $(seq 1 100); do
    [ "$(redis_primary_host)" != "$before" ] && break
    sleep 0.2
done
after=$(wait_single_redis_primary) || t_fail "no single primary after the failover"
[ "$after" != "$before" ] || t_fail "sentinel did not fail over"
expect_exit 0 $FD select "$INV" --role redis --where "$where" --pick one
grep -q "^selected (.*): $after$" "$T_OUT" || t_fail "expected the new primary $after: $(cat "$T_OUT")"
# no host matches: exit 1, says so
expect_exit 1 $FD select "$INV" --role redis --where 'false'
grep -q "selected (.*): no host" "$T_OUT" || t_fail "$(cat "$T_OUT")"
t_end

t_begin "a host whose known_hosts entry is wrong is refused, by name"
ssh-keygen -q -t ed25519 -N '' -f "$T_DIR/other" </dev/null
# every other entry kept as it is (the bastion's too, in the --bastion mode)
{ grep -v '^10\.77\.0\.12 ' "$FD_LAB_KNOWN_HOSTS"; echo "10.77.0.12 $(cut -d' ' -f1-2 "$T_DIR/other.pub")"; } >"$T_DIR/kh_wrong"
sed "s|known_hosts: .*|known_hosts: $T_DIR/kh_wrong|" "$INV" >"$T_DIR/inv_wrong.yaml"
expect_exit 4 $FD check-hosts "$T_DIR/inv_wrong.yaml"
grep -q "^h2 (10.77.0.12, dc-b): FAILED: HOST KEY CHANGED" "$T_OUT" || t_fail "$(cat "$T_OUT")"
grep -q "^h1 .*: ok:" "$T_OUT" || t_fail "h1 should still pass"
# even with --accept-new-host-keys a changed key is refused
expect_exit 4 $FD check-hosts "$T_DIR/inv_wrong.yaml" --accept-new-host-keys
grep -q "^h2 .*HOST KEY CHANGED" "$T_OUT" || t_fail "changed key accepted with --accept-new-host-keys"
t_end

t_begin "an unknown host key is refused unless --accept-new-host-keys"
grep -v '^10.77.0.13 ' "$FD_LAB_KNOWN_HOSTS" >"$T_DIR/kh_missing"
sed "s|known_hosts: .*|known_hosts: $T_DIR/kh_missing|" "$INV" >"$T_DIR/inv_missing.yaml"
expect_exit 4 $FD check-hosts "$T_DIR/inv_missing.yaml"
grep -q "^h3 .*FAILED: host key ssh-ed25519 SHA256:.* is not in $T_DIR/kh_missing; refusing an unknown host" "$T_OUT" || t_fail "$(cat "$T_OUT")"
expect_exit 0 $FD check-hosts "$T_DIR/inv_missing.yaml" --accept-new-host-keys
grep -q "^h3 .*newly accepted" "$T_OUT" || t_fail "not accepted"
grep -q "^10.77.0.13 ssh-ed25519 $(cut -d' ' -f2 "$FIREDRILL_LAB_DIR/hosts/h3/ssh_host_ed25519_key.pub")" "$T_DIR/kh_missing" ||
    t_fail "the accepted key was not written to known_hosts"
expect_exit 0 $FD check-hosts "$T_DIR/inv_missing.yaml"
t_end

t_begin "a stopped host is reported unreachable within the connect timeout"
"$LAB" link h3 down
t0=$(t_now_ms)
expect_exit 4 $FD check-hosts "$INV"
ms=$(($(t_now_ms) - t0))
# (in the --bastion mode: "unreachable through the jump host 10.77.0.10:22: no answer ...")
grep -Eq "^h3 \(10.77.0.13, dc-c\): FAILED: unreachable( through the jump host [0-9.]+:22)?: no answer within 3.0s" "$T_OUT" ||
    t_fail "$(cat "$T_OUT")"
[ "$ms" -lt 4500 ] || t_fail "took ${ms}ms with a 3s connect timeout"
[ "$ms" -ge 2900 ] || t_fail "gave up after ${ms}ms, before the 3s connect timeout"
t_end

t_begin "fan-out is concurrent: two dead hosts cost one timeout, not two"
"$LAB" link h2 down
t0=$(t_now_ms)
expect_exit 4 $FD check-hosts "$INV"
ms=$(($(t_now_ms) - t0))
[ "$(grep -c 'FAILED: unreachable' "$T_OUT")" = 2 ] || t_fail "$(cat "$T_OUT")"
[ "$ms" -lt 4500 ] || t_fail "two unreachable hosts took ${ms}ms: connects are not concurrent"
"$LAB" link h2 up
"$LAB" link h3 up
expect_exit 0 $FD check-hosts "$INV"
t_end

t_begin "exec runs a command on every host at once, and again on the open sessions"
expect_exit 0 $FD exec "$INV" --repeat 3 -- 'echo "$FD_HOST_NAME says $(hostname)"'
for h in h1 h2 h3; do grep -q "^$h: $h says $h$" "$T_OUT" || t_fail "$h: $(cat "$T_OUT")"; done
grep -q "^3 hosts: 3 ok, 0 failed, 0 unreachable; round 1 .*; rounds 2-3 on the open sessions: median" "$T_OUT" || t_fail "$(tail -1 "$T_OUT")"
expect_exit 1 $FD exec "$INV" --hosts h2 -- 'exit 7'
grep -q "^h2: exit 7$" "$T_OUT" || t_fail "$(cat "$T_OUT")"
t_end

t_begin "commands run under sh with every FD_ variable, whatever the login shell"
[ "$(getent passwd root | cut -d: -f7)" != /bin/sh ] || t_fail "root's login shell is sh: this test proves nothing"
expect_exit 0 $FD exec "$INV" --hosts h2 -- 'echo "vars $FD_HOST_NAME|$FD_HOST_ADDRESS|$FD_HOST_DATACENTER|${FD_RUN_ID%%-*}"; echo "shell $(readlink /proc/$$/exe)"'
grep -q "^h2: vars h2|10.77.0.12|dc-b|exec$" "$T_OUT" || t_fail "$(cat "$T_OUT")"
grep -q "^h2: shell $(readlink -f /bin/sh)$" "$T_OUT" || t_fail "$(cat "$T_OUT")"
# a plain command (no shell syntax) is started by the login shell itself, with the same variables
expect_exit 0 $FD exec "$INV" --hosts h2 -- printenv FD_HOST_NAME FD_HOST_ADDRESS FD_HOST_DATACENTER
[ "$(grep -c '^h2: ' "$T_OUT")" = 4 ] && grep -q "^h2: h2$" "$T_OUT" && grep -q "^h2: 10.77.0.12$" "$T_OUT" &&
    grep -q "^h2: dc-b$" "$T_OUT" || t_fail "$(cat "$T_OUT")"
expect_exit 1 $FD exec "$INV" --hosts h2 -- false
grep -q "^h2: exit 1$" "$T_OUT" || t_fail "$(cat "$T_OUT")"
t_end

t_begin "plan of the shipped drill against the lab inventory"
expect_exit 0 $FD plan "$SRC/scenarios/redis-sentinel-kill-primary.yaml" --seed 3
grep -q "if picked, h1:" "$T_OUT" || t_fail "$(cat "$T_OUT")"
grep -q "h1 stdin: .* kill-primary 120 kind=kill process=redis-server signal=KILL 'restart=redis-server \*\*\*/hosts/\$FD_HOST_NAME/redis/redis.conf' deadline=60" "$T_OUT" ||
    grep -q "h1 stdin: .* kill-primary 120 kind=kill process=redis-server signal=KILL 'restart=redis-server $FIREDRILL_LAB_DIR/hosts/\$FD_HOST_NAME/redis/redis.conf' deadline=60" "$T_OUT" ||
    t_fail "kill command: $(grep 'h1 stdin' "$T_OUT")"
t_end

t_done
