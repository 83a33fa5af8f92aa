#!/usr/bin/env bash
# bench/replica_readback.sh: how long a write probe's per-replica read-back takes when
# each of its replicas holds ROWS (default 1,000,000) of its values, and how much memory
# the controller needs. A drill against the lab's PostgreSQL (h1 primary, standbys h2
# and h3, and h1 itself listed as a third "replica") fills the probe's table with ROWS
# values for its own run, waits until the standbys have replayed them, and stops: the
# read-back then reads and checks every replica. Prints each replica's read-back time,
# their sum and the controller's peak memory over RUNS runs, and `psql` reading the same
# rows from the three servers to /dev/null, the floor any client pays. Needs root (the
# lab); traffic stays in the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
bench_lab --hosts 3 --datacenters 3 --services postgres
pg="host=10.77.0.11 port=5432 user=postgres dbname=postgres"
cat >"$work/replicas.yaml" <<EOF2
version: 1
name: replica-readback-bench
inventory: $FIREDRILL_LAB_DIR/inventory.yaml
probes:
  - { name: writes, type: postgres, conninfo: "$pg", table: firedrill_bench, mode: write,
      interval: 100ms, timeout: 2s, settle: 0s, replicas: { target: { hosts: [h1, h2, h3] } } }
timeline:
  - wait: 1s
  - id: fill
    run:
      target: { hosts: [h1] }
      timeout: 5m
      command: >
        psql -h \$FD_HOST_ADDRESS -U postgres -qc "insert into firedrill_bench (run, probe, v)
        select '\$FD_RUN_ID', 'writes', 'bench-' || g from generate_series(1, $ROWS) g"
  - id: replayed
    run:
      timeout: 5m
      command: >
        for h in 10.77.0.12 10.77.0.13; do i=0; until [ "\$(psql -h \$h -U postgres -Atc
        "select pg_last_wal_replay_lsn() >= '\$(psql -h 10.77.0.11 -U postgres -Atc 'select pg_current_wal_lsn()')'")" = t ];
        do i=\$((i + 1)); [ \$i -lt 600 ] || exit 1; sleep 0.5; done; done
EOF2
echo "per-replica read-back: $ROWS values on each of 3 servers ($RUNS runs, lab PostgreSQL)"
for i in $(seq 1 "$RUNS"); do
    "$FD" run "$work/replicas.yaml" --quiet --report-dir "$work/r$i" >/dev/null
    python3 - "$work"/r$i/*/report.json "$ROWS" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
reps = r["probes"][0]["replicas"]
assert all(x["values_read_back"] >= int(sys.argv[2]) and x["divergent_values"] == int(sys.argv[2]) for x in reps), reps
print("  %s: %.2f s in all; controller peak %.0f MiB" % (
    ", ".join("%s %.2f s" % (x["name"], x["read_back_s"]) for x in reps),
    sum(x["read_back_s"] for x in reps), r["controller"]["max_rss_kb"] / 1024))
PY
done
run=$(psql "$pg" -Atc "select run from firedrill_bench group by run order by count(*) desc limit 1")
start=$(date +%s.%N)
for h in 10.77.0.11 10.77.0.12 10.77.0.13; do
    psql -h $h -U postgres -d postgres -Atc "select v from firedrill_bench where run = '$run' and probe = 'writes'" >/dev/null
done
end=$(date +%s.%N)
python3 -c "print('  psql reading the same rows from the 3 servers to /dev/null: %.2f s' % ($end - $start))"
psql "$pg" -qc "drop table firedrill_bench"
