#!/usr/bin/env bash
# bench/consistency.sh: the consistency step on a ROWS-row table (default 1,000,000) of
# the lab's MariaDB (h1 primary, replicas h2 and h3), against pt-table-checksum run
# alone on the same host with the same options. The step's time (from report.json)
# includes what firedrill adds: the existence checks, the DSN table, the option file,
# the probe's own table, and reading percona.checksums on each replica. Prints both
# over RUNS runs and firedrill's overhead. Needs root (the lab); traffic stays in the
# lab, and the version check of pt-table-checksum is off.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_lab --hosts 3 --datacenters 3 --services mariadb
MY="mariadb --defaults-extra-file=$FD_MYSQL_CLIENT_CONFIG"
$MY -h 10.77.0.11 -e "CREATE DATABASE IF NOT EXISTS bench; USE bench; DROP TABLE IF EXISTS bench.big;
CREATE TABLE bench.big (id INT PRIMARY KEY, qty INT NOT NULL, note VARCHAR(40) NOT NULL);
INSERT INTO bench.big SELECT seq, seq % 97, CONCAT('order ', seq) FROM seq_1_to_$ROWS"
for h in 12 13; do
    until [ "$($MY -h 10.77.0.$h -N -e 'select count(*) from bench.big' 2>/dev/null)" = "$ROWS" ]; do sleep 0.5; done
done
cat >"$work/consistency.yaml" <<EOF2
version: 1
name: consistency-bench
inventory: $FIREDRILL_LAB_DIR/inventory.yaml
probes:
  - { name: writes, type: mysql, endpoints: ["10.77.0.11:3306"], user: firedrill,
      password: "\${env:FD_MYSQL_PASSWORD}", database: bench, table: probe, mode: write,
      interval: 100ms, settle: 0s, replicas: { target: { hosts: [h2, h3] } } }
timeline:
  - wait: 1s
  - id: checksum
    consistency: { probe: writes, tables: [bench.big], target: { hosts: [h3] }, timeout: 10m }
EOF2
echo "consistency on a $ROWS-row table, 2 replicas ($RUNS runs, lab MariaDB)"
step=()
alone=()
for i in $(seq 1 "$RUNS"); do
    "$FD" run "$work/consistency.yaml" --quiet --report-dir "$work/r$i" >/dev/null
    step+=("$(python3 -c 'import json,sys; c = json.load(open(sys.argv[1]))["consistency"][0]; assert c["mismatched"] == 0, c; print("%.3f" % (c["ended_s"] - c["started_s"]))' "$work"/r$i/*/report.json)")
    $MY -h 10.77.0.11 -e "CREATE TABLE IF NOT EXISTS percona.dsns_alone (id INT AUTO_INCREMENT PRIMARY KEY, parent_id INT NULL, dsn VARCHAR(255) NOT NULL); DELETE FROM percona.dsns_alone; INSERT INTO percona.dsns_alone (dsn) VALUES ('h=10.77.0.12,P=3306'), ('h=10.77.0.13,P=3306')"
    start=$(date +%s.%N)
    tests/lab/lab exec h3 pt-table-checksum --no-version-check --no-check-binlog-format \
        --replicate=percona.checksums --empty-replicate-table \
        "--recursion-method=dsn=F=$FD_MYSQL_CLIENT_CONFIG,h=10.77.0.11,P=3306,D=percona,t=dsns_alone" \
        --tables bench.big "F=$FD_MYSQL_CLIENT_CONFIG,h=10.77.0.11,P=3306" >"$work/alone.log" 2>&1 ||
        { cat "$work/alone.log"; exit 1; }
    end=$(date +%s.%N)
    alone+=("$(python3 -c "print('%.3f' % ($end - $start))")")
    echo "  run $i: consistency step ${step[-1]} s, pt-table-checksum alone ${alone[-1]} s"
done
python3 - "${step[*]}" "${alone[*]}" <<'PY'
import statistics, sys
s = statistics.median(map(float, sys.argv[1].split()))
a = statistics.median(map(float, sys.argv[2].split()))
print("  median: step %.2f s, alone %.2f s: firedrill's overhead %.1f%%" % (s, a, (s / a - 1) * 100))
PY
$MY -h 10.77.0.11 -e "DROP TABLE bench.big; DROP TABLE IF EXISTS percona.dsns_alone"
