#!/usr/bin/env bash
# The lab: hosts are isolated from each other; up is idempotent; down removes what the
# lab created and nothing else.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

t_begin "lab up brings 3 hosts with Redis and Sentinel"
lab_up --hosts 3 --services redis,sentinel
[ -f "$INV" ] || t_fail "no inventory"
for v in FD_REDIS FD_SENTINELS; do [ -n "${!v:-}" ] || t_fail "lab.env lacks $v"; done
[ "$FD_SENTINELS" = "10.77.0.11:26379,10.77.0.12:26379,10.77.0.13:26379" ] || t_fail "FD_SENTINELS=$FD_SENTINELS"
grep -q "name: h2, address: 10.77.0.12, datacenter: dc-b, roles: \[redis, sentinel\]" "$INV" || t_fail "inventory h2 line"
t_end

t_begin "up twice is harmless"
out=$("$LAB" up --hosts 3 --services redis,sentinel 2>&1) || t_fail "second up failed: $out"
grep -q "already up" <<<"$out" || t_fail "second up did more than nothing: $out"
"$LAB" status >"$T_OUT" || t_fail "status: $(cat "$T_OUT")"
[ "$(grep -c running "$T_OUT")" = 3 ] || t_fail "status: $(cat "$T_OUT")"
t_end

t_begin "each host has its own hostname, process table and /run"
for h in h1 h2 h3; do
    [ "$(lab_ssh $h hostname)" = "$h" ] || t_fail "$h hostname"
    [ "$(lab_ssh $h pgrep -c -x redis-server)" = 1 ] || t_fail "$h sees other hosts' redis-server"
    [ "$(lab_ssh $h pgrep -c -x redis-sentinel)" = 1 ] || t_fail "$h sentinel count"
    [ "$(lab_ssh $h 'cat /run/redis.pid')" = "$(lab_ssh $h 'pgrep -x redis-server')" ] || t_fail "$h private /run"
done
t_end

t_begin "down removes the lab's namespaces, bridge and processes, and nothing else"
# decoys the lab did not create: a redis-server and a network namespace
redis-server --bind 127.0.0.1 --port 16379 --daemonize yes --save "" --pidfile /tmp/fd-decoy-redis.pid \
    --logfile /tmp/fd-decoy-redis.log
ip netns add fdtest-decoy
decoy=$(cat /tmp/fd-decoy-redis.pid)
"$LAB" down >/dev/null || t_fail "down failed"
ip netns list | grep -q '^fdlab-' && t_fail "lab namespaces left: $(ip netns list)"
ip link show fdlab0 >/dev/null 2>&1 && t_fail "bridge fdlab0 left"
pgrep -af 'redis.*10\.77\.0\.' && t_fail "lab redis processes left"
pgrep -af "sshd.*$FIREDRILL_LAB_DIR" && t_fail "lab sshd processes left"
[ -e "$FIREDRILL_LAB_DIR" ] && t_fail "lab dir left: $(ls -A "$FIREDRILL_LAB_DIR")"
kill -0 "$decoy" 2>/dev/null || t_fail "down killed a redis-server it did not start"
ip netns list | grep -q '^fdtest-decoy' || t_fail "down removed a namespace it did not create"
"$LAB" down >/dev/null || t_fail "second down failed"
kill "$decoy"
ip netns del fdtest-decoy
t_end

t_begin "lab up again after down"
lab_up --hosts 3 --services redis,sentinel
[ "$(lab_ssh h1 hostname)" = h1 ] || t_fail "h1 not reachable after a fresh up"
t_end

t_done
