#!/usr/bin/env bash
# The classic offsite recipe for MariaDB, in the lab: h1 the primary in dc-a, a
# --master-data dump and h1's binlogs streamed to h3 in dc-c. The shipped drill loses
# dc-a and restores dump plus binlogs in dc-b with every acknowledged write there; the
# mysql probe writes and reads through libmariadb and follows the writable server; a
# binlog missing from the middle of the archive fails the drill.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --datacenters 3 --services mariadb
MY="mariadb --defaults-extra-file=$FD_MYSQL_CLIENT_CONFIG"

t_begin "mariadb-binlog-pitr-restore: lose dc-a, restore the dump and every streamed binlog in dc-b"
expect_exit 0 $FD run "$SRC/scenarios/mariadb-binlog-pitr-restore.yaml" --report-dir "$T_DIR/r-pitr"
D=$(ls -d "$T_DIR"/r-pitr/*/ | head -n 1)
# the dump's own coordinates, as the backup host holds them
pos=$(sed -n "s/^-- CHANGE MASTER TO MASTER_LOG_FILE='\([^']*\)', MASTER_LOG_POS=\([0-9]*\);.*/\1:\2/p" \
    "$FD_MYSQL_ARCHIVE/dump.sql" | head -n 1)
python3 - "$D/report.json" "$pos" <<'PY' || t_fail "report: $(head -c 1500 "$D/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
b, lag, rs, v, f = r["backups"][0], r["archive_lags"][0], r["restores"][0], r["verifies"][0], r["faults"][0]
assert b["tool"] == "mysqldump" and b["type"] == "logical" and b["log_position"] == sys.argv[2], b
assert b["point_unix"] is None and 0 <= b["age_s"] < 60, b
# read just before the cut: the archive a few events behind the primary, in the same binlog
assert lag["archive_position"].split(":")[0] == lag["primary_position"].split(":")[0], lag
assert 0 <= lag["lag_bytes"] < 1 << 20 and 0 <= lag["lag_s"] < 5, lag
assert lag["at_s"] <= f["started_s"], (lag, f)
assert rs["recovery_target"] == "latest" and rs["ok"], rs
assert v["lost_writes"] == 0 and v["acknowledged_before_backup"] > 100, v
assert v["archive_lag_s"] == lag["lag_s"], v
# where the restore got to: up to the cut, within the archive's lag and its apply
cut = r["started_at_unix"] + f["applied_s"]
assert v["reached_unix"] <= cut + 0.01 and 0 <= v["rpo_s"] <= 5, (v, cut)
assert [c["pass"] for c in r["checks"]] == [True] * 5 and r["verdict"] == "pass", r["checks"]
PY
echo "  $(report_value "$D" '"%d writes restored from dump + binlogs; archive %.3fs (%d bytes) behind at the cut, rpo %.2fs, rto %.2fs" % (r["verifies"][0]["values_read"], r["archive_lags"][0]["lag_s"], r["archive_lags"][0]["lag_bytes"], r["verifies"][0]["rpo_s"], r["verifies"][0]["rto_s"])')"
# the password the probe used is redacted everywhere the run wrote
grep -rlF "$FD_MYSQL_PASSWORD" "$D" "$T_OUT" "$T_ERR" && t_fail "the mysql password is in the run's output"
# the restored server was stopped by the drill's last step, and dc-a is whole again
"$LAB" exec h2 sh -c 'ss -ltn | grep -q ":3307 "' && t_fail "the restored server still listens"
$MY -h 10.77.0.11 -N -e 'select 1' >/dev/null || t_fail "h1 unreachable after the drill"
t_end

t_begin "mysql probe: writes follow the writable server, reads and read-back work on a replica"
# h2 is made writable while h1 is read-only: a write probe listing both settles on h2
$MY -h 10.77.0.11 -e 'set global read_only = 1'
$MY -h 10.77.0.12 -e 'set global read_only = 0'
scenario mysql-follow <<EOF
probes:
  - { name: w, type: mysql, endpoints: ["10.77.0.11:3306", "10.77.0.12:3306"], user: firedrill,
      password: "\${env:FD_MYSQL_PASSWORD}", table: follow, mode: write, interval: 20ms }
  - { name: r, type: mysql, endpoints: ["10.77.0.13:3306"], user: firedrill,
      password: "\${env:FD_MYSQL_PASSWORD}", interval: 20ms }
timeline:
  - wait: 1s
checks:
  - { probe: w, metric: availability, min: 1 }
  - { probe: w, metric: lost_writes, max: 0 }
  - { probe: r, metric: availability, min: 1 }
EOF
expect_exit 0 $FD run "$T_DIR/mysql-follow.yaml" --report-dir "$T_DIR/r-follow"
$MY -h 10.77.0.12 -e 'set global read_only = 1'
$MY -h 10.77.0.11 -e 'set global read_only = 0'
n2=$($MY -h 10.77.0.12 -N -e 'select count(*) from firedrill.follow')
n1=$($MY -h 10.77.0.11 -N -e "select count(*) from information_schema.tables where table_name = 'follow'")
[ "$n2" -gt 20 ] && [ "$n1" = 0 ] || t_fail "writes on h2: $n2, table on h1: $n1"
t_end

t_begin "a binlog missing from the middle of the archive: the restore has a hole, the drill fails (exit 1)"
# two rotations after the dump, then the middle binlog is taken out of the archive
python3 - "$SRC/scenarios/mariadb-binlog-pitr-restore.yaml" "$T_DIR/gap.yaml" <<'PY'
import sys
s = open(sys.argv[1]).read()
rotate = '''  - { id: rotate-1, run: { target: { hosts: [h1] }, sudo: true, command: "${client_h1} -e 'flush binary logs'" } }
  - wait: 1s
  - { id: rotate-2, run: { target: { hosts: [h1] }, sudo: true, command: "${client_h1} -e 'flush binary logs'" } }
'''
lose = '''  - id: lose-a-binlog
    run:
      target: { hosts: [h3] }
      sudo: true
      command: "cd ${archive}/binlogs && f=$(ls mysql-bin.[0-9]* | sort | tail -n 2 | head -n 1) && rm -- $f"
  - id: pack
'''
assert "  - wait: 3s\n" in s and "  - id: pack\n" in s
s = s.replace("  - wait: 3s\n", "  - wait: 1s\n" + rotate + "  - wait: 1s\n", 1)
s = s.replace("  - id: pack\n", lose, 1)
s = s.replace("name: mariadb-binlog-pitr-restore", "name: mariadb-binlog-gap")
client = [l for l in s.splitlines() if l.startswith("  client: ")][0]
s = s.replace(client + "\n", client + '\n  client_h1: "mariadb ${client} -h 10.77.0.11"\n', 1)
open(sys.argv[2], "w").write(s)
PY
expect_exit 1 $FD run "$T_DIR/gap.yaml" --report-dir "$T_DIR/r-gap"
D=$(ls -d "$T_DIR"/r-gap/*/ | head -n 1)
[ "$(report_value "$D" 'r["verifies"][0]["lost_writes"] > 0 and r["verdict"] == "fail" and r["restores"][0]["ok"]')" = True ] ||
    t_fail "$(report_value "$D" '(r["verdict"], r.get("restores"), r.get("verifies"))')"
echo "  $(report_value "$D" '"%d acknowledged writes missing from the restore" % r["verifies"][0]["lost_writes"]')"
t_end

t_done
