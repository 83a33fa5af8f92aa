#!/usr/bin/env bash
# bench/restore_verify.sh: how long a verify takes to read back and check a restored
# table of ROWS (default 1,000,000) values, and how much memory the controller needs.
# A drill against the lab's PostgreSQL fills the probe's table with ROWS values for its
# own run (as a restore of a busy table would hold), then a verify reads them all back
# and checks every acknowledged write against them. Prints the verify's time and the
# controller's peak memory over RUNS runs, and `psql` reading the same rows to
# /dev/null, the floor any client pays. Needs root (the lab); traffic stays in the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_lab --hosts 3 --datacenters 2 --services postgres
pg="host=10.77.0.11 port=5432 user=postgres dbname=postgres"
cat >"$work/verify.yaml" <<EOF2
version: 1
name: restore-verify-bench
inventory: $FIREDRILL_LAB_DIR/inventory.yaml
probes:
  - { name: writes, type: postgres, conninfo: "$pg", table: firedrill_bench, mode: write, interval: 20ms, timeout: 2s, settle: 0s }
timeline:
  - wait: 1s
  - id: fill
    run:
      target: { hosts: [h1] }
      timeout: 5m
      command: >
        psql -h \$FD_HOST_ADDRESS -U postgres -qc "insert into firedrill_bench (run, probe, v)
        select '\$FD_RUN_ID', 'writes', 'bench-' || g from generate_series(1, $ROWS) g"
  - id: point
    backup: { target: { hosts: [h1] }, command: "rm -f $work/point && touch $work/point", artifact: "$work/point" }
  - id: check
    verify: { probe: writes, against: point }
EOF2
echo "verify: read back and check $ROWS restored values ($RUNS runs, lab PostgreSQL)"
for i in $(seq 1 "$RUNS"); do
    "$FD" run "$work/verify.yaml" --quiet --report-dir "$work/r$i" >/dev/null
    python3 - "$work"/r$i/*/report.json "$ROWS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
s = next(s for s in r["steps"] if s["id"] == "check")
v = r["verifies"][0]
assert v["values_read"] >= int(sys.argv[2]), v
print("  verify %.2f s for %d values (%d acknowledged writes checked, %d lost); controller peak %.0f MiB"
      % (s["ended_s"] - s["started_s"], v["values_read"], v["acknowledged_before_backup"],
         v["lost_writes"], r["controller"]["max_rss_kb"] / 1024))
PY
done
run=$(psql "$pg" -Atc "select run from firedrill_bench group by run order by count(*) desc limit 1")
start=$(date +%s.%N)
psql "$pg" -Atc "select v from firedrill_bench where run = '$run' and probe = 'writes'" >/dev/null
end=$(date +%s.%N)
python3 -c "print('  psql reading the same rows to /dev/null: %.2f s' % ($end - $start))"
psql "$pg" -qc "drop table firedrill_bench"
