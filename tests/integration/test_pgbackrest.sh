#!/usr/bin/env bash
# Restore tests of the backups a backup system made: pgBackRest in the lab (its
# repository on h3 in dc-c, WAL archived from the primary h1 in dc-a, reached over SSH).
# The shipped nightly restore test passes with the newest backup read from the catalog;
# point-in-time recovery stops just before a destructive mistake, and a restore that
# goes past its target is caught; a backup older than its limit, a catalog with no
# usable backup, and a WAL segment lost from the repository fail the drill.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --datacenters 3 --services postgres,pgbackrest
PGBR="pgbackrest --config=$FIREDRILL_LAB_DIR/pgbackrest/repo.conf --stanza=lab"

t_begin "postgres-restore-latest-backup: the newest backup in the repository restores with every write acknowledged before it"
expect_exit 0 $FD run "$SRC/scenarios/postgres-restore-latest-backup.yaml" --report-dir "$T_DIR/r-latest"
D=$(ls -d "$T_DIR"/r-latest/*/ | head -n 1)
# the catalog's newest label, as the repository host says it
newest=$("$LAB" exec h3 $PGBR info --output=json | python3 -c \
    'import json,sys; print(max((b for s in json.load(sys.stdin) for b in s["backup"]), key=lambda b: b["timestamp"]["stop"])["label"])')
python3 - "$D/report.json" "$newest" <<'PY' || t_fail "report: $(head -c 800 "$D/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
b = r["backups"][0]
assert b["tool"] == "pgbackrest" and b["label"] == sys.argv[2], (b, sys.argv[2])
assert b["type"] == "incr" and b["size"] > 0 and 0 <= b["age_s"] < 120, b
assert "sha256" not in b and "artifact" not in b, b
v = r["verifies"][0]
assert v["lost_writes"] == 0 and v["acknowledged_before_backup"] > 20, v
assert v["values_read"] >= v["acknowledged_before_backup"], v
assert r["verdict"] == "pass" and all(c["pass"] for c in r["checks"]), r["checks"]
PY
echo "  $(report_value "$D" '"backup %s, %d of %d writes restored, rto %.2fs" % (r["backups"][0]["label"], r["verifies"][0]["acknowledged_before_backup"] - r["verifies"][0]["lost_writes"], r["verifies"][0]["acknowledged_before_backup"], r["verifies"][0]["rto_s"])')"
grep -q "Disaster recovery" "$D/report.html" || t_fail "report.html has no DR section"
# the restored server was stopped by the drill's last step
"$LAB" exec h2 sh -c 'ss -ltn | grep -q ":5433 "' && t_fail "the restored server still listens"
t_end

t_begin "postgres-pitr-before-mistake: replay to just before the mistake: every earlier write there, no later one"
expect_exit 0 $FD run "$SRC/scenarios/postgres-pitr-before-mistake.yaml" --report-dir "$T_DIR/r-pitr"
D=$(ls -d "$T_DIR"/r-pitr/*/ | head -n 1)
python3 - "$D/report.json" <<'PY' || t_fail "report: $(head -c 1200 "$D/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
rs, v, f = r["restores"][0], r["verifies"][0], r["faults"][0]
assert rs["recovery_target"] == "before" and rs["before"] == "mistake" and rs["ok"], rs
# the target is the mistake's start, on the run's clock
assert abs(rs["target_unix"] - (r["started_at_unix"] + f["started_s"])) < 0.01, (rs, f)
assert v["lost_writes"] == 0 and v["late_writes"] == 0 and v["acknowledged_before_backup"] > 50, v
# the newest write restored was sent before the target; one in flight at it (committed
# before it, answered after) is legitimately there, acknowledged up to its 1 s timeout later
assert v["reached_unix"] <= rs["target_unix"] + 1.0, v
# the mistake emptied the primary's table: the live probe lost its writes
assert r["probes"][0]["lost_writes"] > 0, r["probes"][0]
assert r["verdict"] == "pass", r["verdict"]
PY
echo "  $(report_value "$D" '"%d writes before the mistake restored, 0 after it; stopped %.3fs before the target" % (r["verifies"][0]["values_read"], r["restores"][0]["target_unix"] - r["verifies"][0]["reached_unix"])')"
t_end

t_begin "postgres-pitr-offsite-restore: lose dc-a, restore the newest backup and all archived WAL in dc-b"
expect_exit 0 $FD run "$SRC/scenarios/postgres-pitr-offsite-restore.yaml" --report-dir "$T_DIR/r-offsite"
D=$(ls -d "$T_DIR"/r-offsite/*/ | head -n 1)
python3 - "$D/report.json" <<'PY' || t_fail "report: $(head -c 1200 "$D/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
rs, v, f = r["restores"][0], r["verifies"][0], r["faults"][0]
assert rs["recovery_target"] == "latest" and rs["target_unix"] is None and rs["ok"], rs
assert "late_writes" not in v and v["lost_writes"] == 0 and v["acknowledged_before_backup"] > 50, v
# where it got: before the cut, and within the archive's second plus its push
cut = r["started_at_unix"] + f["started_s"]
assert v["reached_unix"] <= cut + 0.5 and 0 <= v["rpo_s"] <= 10, (v, cut)
# the WAL archive's lag read just before the cut: an LSN behind the primary's, and at
# most the archive_timeout plus its push behind in time
lag = r["archive_lags"][0]
assert "/" in lag["archive_position"] and "/" in lag["primary_position"], lag
assert lag["lag_bytes"] >= 0 and 0 <= lag["lag_s"] <= 10 and v["archive_lag_s"] == lag["lag_s"], lag
assert f["heal"] == "ok" and r["verdict"] == "pass", (f["heal"], r["verdict"])
PY
echo "  $(report_value "$D" '"restored %d writes, rpo %.2fs, rto %.2fs, archive %.2fs (%s bytes) behind at the cut" % (r["verifies"][0]["acknowledged_before_backup"], r["verifies"][0]["rpo_s"], r["verifies"][0]["rto_s"], r["archive_lags"][0]["lag_s"], r["archive_lags"][0]["lag_bytes"])')"
[ "$(psql -h 10.77.0.11 -U postgres -Atc 'show archive_timeout')" = 1min ] || t_fail "archive_timeout not reset"
t_end

t_begin "a restore that goes past its recovery target fails the drill: late_writes (and the mistake replayed: lost_writes)"
sed -e 's|--type=time "--target=$FD_RECOVERY_TARGET" --target-action=promote|--type=default|' \
    -e 's|^name: .*|name: pitr-past-target|' \
    "$SRC/scenarios/postgres-pitr-before-mistake.yaml" >"$T_DIR/past.yaml"
grep -q -- '--type=default' "$T_DIR/past.yaml" || t_fail "the drill's restore command changed: update this test"
expect_exit 1 $FD run "$T_DIR/past.yaml" --report-dir "$T_DIR/r-past"
D=$(ls -d "$T_DIR"/r-past/*/ | head -n 1)
[ "$(report_value "$D" 'r["verifies"][0]["late_writes"] > 0 and r["verifies"][0]["lost_writes"] > 0')" = True ] ||
    t_fail "$(report_value "$D" 'r["verifies"]')"
[ "$(report_value "$D" 'r["verdict"]')" = fail ] || t_fail verdict
t_end

t_begin "a backup older than backup_age allows fails the drill (exit 1)"
cat >"$T_DIR/stale.yaml" <<EOF2
version: 1
name: stale-catalog
inventory: $FD_INVENTORY
timeline:
  - wait: 2s
  - id: newest
    backup: { target: { hosts: [h3] }, catalog: "$PGBR info --output=json" }
checks:
  - { step: newest, metric: backup_age, max: 1s }
EOF2
expect_exit 1 $FD run "$T_DIR/stale.yaml" --report-dir "$T_DIR/r-stale"
D=$(ls -d "$T_DIR"/r-stale/*/ | head -n 1)
[ "$(report_value "$D" 'r["checks"][0]["value"] > 1 and not r["checks"][0]["pass"]')" = True ] ||
    t_fail "$(report_value "$D" 'r["checks"]')"
t_end

t_begin "a catalog with no usable backup is a finding (exit 1), a catalog command that cannot start is not (exit 4)"
for case in "printf '[]':1:the catalog is not|the catalog lists no usable backup" \
    "pgbackrest --config=$FIREDRILL_LAB_DIR/pgbackrest/repo.conf --stanza=nosuch info --output=json:1:the catalog lists no usable backup \\(pgBackRest says: missing stanza path\\)" \
    "fd-no-such-catalog-tool:4:the catalog command exited 127"; do
    cmd=${case%%:*} rest=${case#*:}
    want=${rest%%:*} msg=${rest#*:}
    cat >"$T_DIR/none.yaml" <<EOF2
version: 1
name: no-backup
inventory: $FD_INVENTORY
timeline:
  - id: newest
    backup: { target: { hosts: [h3] }, catalog: "$cmd" }
EOF2
    expect_exit "$want" $FD run "$T_DIR/none.yaml" --report-dir "$T_DIR/r-none"
    grep -Eq "$msg" "$T_ERR" || t_fail "$cmd: $(cat "$T_ERR")"
done
t_end

# last: it removes a WAL segment from the lab's repository
t_begin "postgres-broken-wal-chain: a WAL segment lost from the repository fails the drill (exit 1) with PostgreSQL's reason"
expect_exit 1 $FD run "$SRC/scenarios/postgres-broken-wal-chain.yaml" --report-dir "$T_DIR/r-gap"
grep -q "restore failed: the restore command exited 1: .*FATAL:  recovery ended before configured recovery target was reached" "$T_ERR" ||
    t_fail "$(cat "$T_ERR")"
D=$(ls -d "$T_DIR"/r-gap/*/ | head -n 1)
[ "$(report_value "$D" 'r["verdict"] == "fail" and r["restores"][0]["ok"] is False and not r.get("verifies")')" = True ] ||
    t_fail "$(report_value "$D" '(r["verdict"], r.get("restores"), r.get("verifies"))')"
t_end

t_done
