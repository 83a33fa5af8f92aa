#!/usr/bin/env bash
# Hostile input against real hosts: values that try to break out of their quoting,
# a drill against hosts that are not the lab, huge command output, a probe against a
# black hole, and an inventory of thousands of hosts.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel


t_begin "values that try to break out of their quoting never run on a host"
rm -f /tmp/pwned /tmp/pwned2
# the lab's hosts share /tmp with the controller: a file created by any of them shows here
scenario inject <<'EOF2'
vars:
  evil: "$(touch /tmp/pwned)"
timeline:
  - { id: a, fault: kill, process: "x'; touch /tmp/pwned; '", target: { hosts: [h1] } }
EOF2
expect_exit 4 $FD run "$T_DIR/inject.yaml" --report-dir "$T_DIR/r1"
grep -q "no running process 'x'\\\\''; touch /tmp/pwned; '\\\\''' to kill\|no running process 'x'; touch /tmp/pwned; '' to kill" "$T_ERR" || t_fail "$(cat "$T_ERR")"
for v in "\$(touch /tmp/pwned)" "\`touch /tmp/pwned2\`" "x'; touch /tmp/pwned; '"; do
    cat >"$T_DIR/inject2.yaml" <<EOF2
version: 1
name: inject2
inventory: $INV
timeline:
  - { id: f, fault: fill_disk, path: "/tmp/$v", size: 1M, target: { hosts: [h2] } }
  - { id: p, fault: pause, pidfile: "/run/$v", target: { hosts: [h2] } }
EOF2
    $FD run "$T_DIR/inject2.yaml" --report-dir "$T_DIR/r2" >/dev/null 2>&1
done
# a var holding a command substitution, used as a process name
sed 's|process: "x.*"|process: "${evil}"|' "$T_DIR/inject.yaml" >"$T_DIR/inject3.yaml"
$FD run "$T_DIR/inject3.yaml" --report-dir "$T_DIR/r3" >/dev/null 2>&1
# an inventory address that is a command substitution
sed 's|address: 10.77.0.11|address: "$(touch /tmp/pwned)"|' "$INV" >"$T_DIR/inv-evil.yaml"
$FD check-hosts "$T_DIR/inv-evil.yaml" >/dev/null 2>&1
[ -e /tmp/pwned ] && t_fail "/tmp/pwned was created"
[ -e /tmp/pwned2 ] && t_fail "/tmp/pwned2 was created"
for h in h1 h2 h3; do [ -z "$(host_leftovers $h)" ] || t_fail "left on $h: $(host_leftovers $h)"; done
rm -f /tmp/pwned /tmp/pwned2
t_end

t_begin "hosts that are not the lab: faults need --yes or the scenario's name at a prompt"
cp "$INV" "$T_DIR/staging.yaml"   # same hosts, but not the file the lab wrote
scenario confirm <<'EOF2'
timeline:
  - { id: c, fault: command, apply: "true", revert: "true", target: { hosts: [h1] } }
EOF2
expect_exit 2 $FD run "$T_DIR/confirm.yaml" --inventory "$T_DIR/staging.yaml" --report-dir "$T_DIR/r4" </dev/null
grep -q "which is not the local lab; run with --yes to confirm (nothing was touched)" "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ -e "$T_DIR/r4" ] && t_fail "a run directory was created before confirmation"
expect_exit 0 $FD run "$T_DIR/confirm.yaml" --inventory "$T_DIR/staging.yaml" --report-dir "$T_DIR/r5" --yes
# at a prompt (a terminal, through script(1)): a wrong name stops, the right one goes on
if command -v script >/dev/null; then
    printf 'nope\n' | script -qec "$FD run $T_DIR/confirm.yaml --inventory $T_DIR/staging.yaml --report-dir $T_DIR/r6" /dev/null >"$T_DIR/tty1" 2>&1
    grep -q "not confirmed; nothing was touched" "$T_DIR/tty1" || t_fail "wrong name: $(cat "$T_DIR/tty1")"
    printf 'confirm\n' | script -qec "$FD run $T_DIR/confirm.yaml --inventory $T_DIR/staging.yaml --report-dir $T_DIR/r7" /dev/null >"$T_DIR/tty2" 2>&1
    grep -q "verdict: pass" "$T_DIR/tty2" || t_fail "right name: $(cat "$T_DIR/tty2")"
fi
t_end

t_begin "huge command output is capped and memory stays bounded"
scenario bigout <<'EOF2'
timeline:
  - run: { target: { hosts: [h1] }, command: "head -c 50000000 /dev/zero | tr '\\0' x; exit 7", expect_exit: 7, timeout: 60s }
  - run: { command: "head -c 50000000 /dev/zero | tr '\\0' y; exit 7", expect_exit: 7, timeout: 60s }
EOF2
expect_exit 0 $FD run "$T_DIR/bigout.yaml" --report-dir "$T_DIR/r8"
rss=$(python3 -c "import json,glob; print(json.load(open(glob.glob('$T_DIR/r8/*/report.json')[0]))['controller']['max_rss_kb'])")
echo "  controller peak memory after 2 x 50 MB of output: $((rss / 1024)) MiB"
[ "$rss" -lt 65536 ] || t_fail "peak memory ${rss} kB"
t_end

t_begin "a probe against a black hole fails within its timeout and the run keeps its schedule"
scenario blackhole <<'EOF2'
probes:
  - { name: hole, type: tcp, address: 10.77.0.250, port: 22, interval: 100ms, timeout: 150ms }
  - { name: hole-redis, type: redis, endpoints: ["10.77.0.250:6379"], interval: 100ms, timeout: 150ms }
timeline:
  - wait: 2s
EOF2
t0=$(t_now_ms)
expect_exit 0 $FD run "$T_DIR/blackhole.yaml" --report-dir "$T_DIR/r9"
ms=$(($(t_now_ms) - t0))
[ "$ms" -lt 4000 ] || t_fail "took ${ms}ms"
python3 - "$T_DIR"/r9/*/report.json <<'PY' || t_fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
for p in r["probes"]:
    assert p["ok"] == 0 and p["ops"] >= 8, p
    assert p["availability"] == 0, p
    assert p["latency_ms"]["p50"] is None, p
PY
t_end

t_begin "an inventory of 5000 hosts validates and plans quickly, in bounded memory"
python3 - "$T_DIR/big.yaml" <<'PY'
import sys
with open(sys.argv[1], "w") as f:
    f.write("version: 1\nname: big\ninventory:\n  hosts:\n")
    for i in range(5000):
        f.write("    - { name: n%d, address: 192.0.2.%d, datacenter: dc-%d, roles: [app] }\n" % (i, i % 250 + 1, i % 7))
    f.write("timeline:\n  - { id: cut, fault: partition, target: { role: app, pick: 'random:3' } }\n")
PY
t0=$(t_now_ms)
expect_exit 0 $FD validate "$T_DIR/big.yaml"
expect_exit 0 $FD plan "$T_DIR/big.yaml" --seed 1
ms=$(($(t_now_ms) - t0))
echo "  validate + plan of 5000 hosts: ${ms} ms"
[ "$ms" -lt 10000 ] || t_fail "took ${ms}ms"
[ "$(grep -c ' apply: ' "$T_OUT")" = 3 ] || t_fail "random:3 should touch 3 hosts"
t_end

t_begin "a command that timed out leaves nothing of its own in the session: the next command there reads no freed stack (valgrind)"
# The where command outlives its 30 s timeout (sh is killed, its sleep keeps the channel
# open), so its channel closes while the finally step runs on the same connection from
# another thread: libssh then looks up the callbacks the timed-out command registered,
# which must have been removed with it.
scenario stale-channel <<'EOF2'
timeline:
  - { id: pick, run: { target: { hosts: [h1, h2], where: "sleep 34; true" }, command: "true" } }
finally:
  - { id: after, run: { target: { hosts: [h1] }, command: "sleep 6; true" } }
EOF2
expect_exit 4 valgrind -q --error-exitcode=99 $FD run "$T_DIR/stale-channel.yaml" --report-dir "$T_DIR/r-stale"
grep -q "the where command could not run on h[12]: command did not finish within 30.0s" "$T_ERR" ||
    t_fail "$(grep -v '^==' "$T_ERR" | tail -3)"
grep -q "Invalid read" "$T_ERR" && t_fail "$(grep -A8 'Invalid read' "$T_ERR" | head -12)"
t_end

t_done
