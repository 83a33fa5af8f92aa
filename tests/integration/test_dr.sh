#!/usr/bin/env bash
# Disaster-recovery drills in a lab of two datacenters: the shipped offsite-restore
# drills pass with rpo and rto measured; a damaged artifact and a stale backup fail
# the drill; a copy never overwrites a file and streams in bounded memory.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
# dc-a: h1 (primaries) and h3; dc-b: h2
lab_up --hosts 3 --datacenters 2 --services redis,postgres

dr_run() { # dr_run SCENARIO EXPECTED_EXIT
    expect_exit "$2" $FD run "$SRC/scenarios/$1.yaml" --report-dir "$T_DIR/r-$1"
    D=$(ls -d "$T_DIR/r-$1"/*/ | head -n 1)
}

for drill in postgres-offsite-restore redis-rdb-offsite-restore; do
    t_begin "$drill: backup, offsite copy, lose dc-a, restore, verify"
    dr_run "$drill" 0
    echo "  $drill: $(report_value "$D" '"lost %s of %s acknowledged before the backup, rpo %ss, rto %ss" % (r["verifies"][0]["lost_writes"], r["verifies"][0]["acknowledged_before_backup"], r["verifies"][0]["rpo_s"], r["verifies"][0]["rto_s"])')"
    python3 - "$D/report.json" <<'PY' || t_fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
v = r["verifies"][0]
assert v["lost_writes"] == 0 and v["acknowledged_before_backup"] > 50, v
assert 0 < v["rpo_s"] < 60 and 0 < v["rto_s"] < 300, v
b, c = r["backups"][0], r["copies"][0]
assert b["size"] > 0 and len(b["sha256"]) == 64 and c["sha256"] == b["sha256"], (b, c)
assert r["faults"][0]["type"] == "cut_datacenter" and r["faults"][0]["targets"] == ["h1", "h3"]
assert all(ch["pass"] for ch in r["checks"]) and len(r["checks"]) == 3
PY
    for h in h1 h3; do [ -z "$(host_leftovers $h)" ] || t_fail "left on $h: $(host_leftovers $h)"; done
    t_end
done

t_begin "redis-broken-backup: an artifact damaged in transit fails the drill (a finding, exit 1) with a clear reason"
dr_run redis-broken-backup 1
grep -q "restore failed: checksum mismatch: h2:.*redis-offsite.rdb now has sha256 .* (100 bytes), the backup had" "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ "$(report_value "$D" 'r["verdict"]')" = fail ] || t_fail "verdict"
[ "$(report_value "$D" 'all(not c["pass"] for c in r["checks"])')" = True ] || t_fail "checks passed on a failed restore"
t_end

t_begin "a stale backup that misses acknowledged writes fails the drill (lost_writes > 0)"
cat >"$T_DIR/stale.yaml" <<EOF2
version: 1
name: stale-backup
inventory: $INV
probes:
  - { name: writes, type: redis, endpoints: ["10.77.0.11:6379"], mode: write, interval: 10ms, timeout: 500ms, settle: 1s }
timeline:
  - run: { target: { hosts: [h1] }, command: "rm -f $T_DIR/old.rdb $T_DIR/stale.rdb $T_DIR/stale-copy.rdb; redis-cli -h \$FD_HOST_ADDRESS --rdb $T_DIR/old.rdb >/dev/null" }
  - wait: 1s
  # the "backup" hands over an older snapshot: what a broken backup job does silently
  - id: nightly
    backup: { target: { hosts: [h1] }, command: "cp $T_DIR/old.rdb $T_DIR/stale.rdb", artifact: "$T_DIR/stale.rdb" }
  - copy: { from: { host: h1, path: "$T_DIR/stale.rdb" }, to: { host: h2, path: "$T_DIR/stale-copy.rdb" } }
  - restore:
      target: { hosts: [h2] }
      command: >
        redis-cli -h \$FD_HOST_ADDRESS -p 6381 shutdown nosave >/dev/null 2>&1; mkdir -p $T_DIR/rs && cp $T_DIR/stale-copy.rdb $T_DIR/rs/dump.rdb &&
        redis-server --bind \$FD_HOST_ADDRESS --port 6381 --dir $T_DIR/rs --dbfilename dump.rdb --daemonize yes --save '' --protected-mode no &&
        until redis-cli -h \$FD_HOST_ADDRESS -p 6381 ping 2>/dev/null | grep -q PONG; do sleep 0.1; done
  - id: check
    verify: { probe: writes, against: nightly, read: "10.77.0.12:6381" }
  - run: { target: { hosts: [h2] }, command: "redis-cli -h \$FD_HOST_ADDRESS -p 6381 shutdown nosave >/dev/null 2>&1; true" }
checks:
  - { step: check, metric: lost_writes, max: 0 }
EOF2
expect_exit 1 $FD run "$T_DIR/stale.yaml" --report-dir "$T_DIR/r-stale"
D=$(ls -d "$T_DIR"/r-stale/*/)
lost=$(report_value "$D" 'r["verifies"][0]["lost_writes"]')
echo "  the stale backup is missing $lost acknowledged writes"
[ "$lost" -gt 10 ] || t_fail "lost_writes $lost"
[ "$(report_value "$D" 'r["verdict"]')" = fail ] || t_fail "verdict"
t_end

t_begin "copy never overwrites a file, and streams a 256 MiB artifact in bounded memory"
head -c 268435456 /dev/urandom >"$T_DIR/big.bin"
echo "keep me" >"$T_DIR/existing.bin"
cat >"$T_DIR/copy.yaml" <<EOF2
version: 1
name: big-copy
inventory: $INV
timeline:
  - copy: { from: { host: h1, path: "$T_DIR/big.bin" }, to: { host: h2, path: "$T_DIR/big-copy.bin" } }
  - copy: { from: { host: h1, path: "$T_DIR/big.bin" }, to: { host: h2, path: "$T_DIR/existing.bin" } }
EOF2
expect_exit 4 $FD run "$T_DIR/copy.yaml" --report-dir "$T_DIR/r-copy"
grep -q "existing.bin already exists (or cannot be created); firedrill never overwrites a file" "$T_ERR" || t_fail "$(cat "$T_ERR")"
[ "$(cat "$T_DIR/existing.bin")" = "keep me" ] || t_fail "an existing file was changed"
cmp -s "$T_DIR/big.bin" "$T_DIR/big-copy.bin" || t_fail "the copy differs"
D=$(ls -d "$T_DIR"/r-copy/*/)
rss=$(report_value "$D" 'r["controller"]["max_rss_kb"]')
secs=$(report_value "$D" 'r["copies"][0]["ended_s"] - r["copies"][0]["started_s"]')
echo "  256 MiB copied through the controller in ${secs}s with a peak of $((rss / 1024)) MiB"
[ "$rss" -lt 65536 ] || t_fail "peak memory ${rss} kB for a 256 MiB copy"
rm -f "$T_DIR/big.bin" "$T_DIR/big-copy.bin"
t_end

t_begin "a DR command that ran and failed is a finding (exit 1); one that cannot start is infrastructure (exit 4)"
for case in "exit 3:1:fail:the backup command exited 3" "fd-no-such-backup-tool:4:error:the backup command exited 127" \
    "true:1:fail:is missing or unreadable on h1"; do
    cmd=${case%%:*} rest=${case#*:}
    want=${rest%%:*} rest=${rest#*:}
    verdict=${rest%%:*} msg=${rest#*:}
    cat >"$T_DIR/dr-fail.yaml" <<EOF2
version: 1
name: dr-fail
inventory: $INV
timeline:
  - id: nightly
    backup: { target: { hosts: [h1] }, command: "$cmd", artifact: "$T_DIR/never-written.tar" }
  - run: { command: "touch $T_DIR/after-backup" }
EOF2
    rm -rf "$T_DIR/r-dr-fail" "$T_DIR/after-backup"
    expect_exit "$want" $FD run "$T_DIR/dr-fail.yaml" --report-dir "$T_DIR/r-dr-fail"
    D=$(ls -d "$T_DIR"/r-dr-fail/*/)
    [ "$(report_value "$D" 'r["verdict"]')" = "$verdict" ] || t_fail "$cmd: verdict"
    grep -q "$msg" "$T_ERR" || t_fail "$cmd: $(cat "$T_ERR")"
    [ ! -e "$T_DIR/after-backup" ] || t_fail "$cmd: the timeline went on after a failed backup"
done
t_end

t_done
