#!/usr/bin/env bash
# bench/restore_overhead.sh: a 1 GiB pgBackRest restore timed by a drill, and what of
# its RTO is firedrill's own (everything but the restore command on the host).
# Fills the lab's primary with SCALE pgbench scale units (70: about 1 GiB), takes a full
# pgBackRest backup, then runs the shipped postgres-restore-latest-backup drill, whose
# restore step restores it (and the WAL since) into a fresh PostgreSQL on another host.
# The restore command stamps its own start and end on the host; the overhead is the RTO
# minus that. Needs root (the lab); traffic stays in the lab.
set -euo pipefail
cd "$(dirname "$0")/.."
FD=${FIREDRILL:-build/firedrill}
SCALE=${SCALE:-70}
[ -x "$FD" ] || scripts/build.sh build
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
tests/lab/lab up --hosts 3 --datacenters 3 --services postgres,pgbackrest >/dev/null
. "$FIREDRILL_LAB_DIR/lab.env"
work=$(mktemp -d /tmp/fd-bench.XXXXXX)
trap 'rm -rf "$work"; psql -h 10.77.0.11 -U postgres -qc "drop table if exists pgbench_accounts, pgbench_branches, pgbench_history, pgbench_tellers" 2>/dev/null || true' EXIT
echo "filling the primary: pgbench scale $SCALE"
/usr/lib/postgresql/15/bin/pgbench -h 10.77.0.11 -U postgres -i -s "$SCALE" -q postgres 2>&1 | tail -n 1
size=$(psql -h 10.77.0.11 -U postgres -Atc "select pg_database_size('postgres')")
tests/lab/lab exec h3 pgbackrest --config="$FIREDRILL_LAB_DIR/pgbackrest/repo.conf" --stanza=lab --type=full backup
# the shipped drill, its restore command wrapped to stamp the command's own time
mkdir -p "$FIREDRILL_LAB_DIR/scratch/dr"
stamp="$FIREDRILL_LAB_DIR/scratch/dr/restore-stamp"
rm -f "$stamp"
python3 - scenarios/postgres-restore-latest-backup.yaml "$work/drill.yaml" "$stamp" <<'PY'
import sys
s = open(sys.argv[1]).read()
old = "        cd /tmp; d="
assert old in s
s = s.replace(old, "        date +%s.%N > " + sys.argv[3] + "; cd /tmp; d=", 1)
old = "        sleep 0.2; done\n"
assert old in s
s = s.replace(old, "        sleep 0.2; done; date +%s.%N >> " + sys.argv[3] + "\n", 1)
open(sys.argv[2], "w").write(s)
PY
"$FD" run "$work/drill.yaml" --quiet --report-dir "$work/r" >/dev/null
python3 - "$work"/r/*/report.json "$stamp" "$size" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
start, end = (float(x) for x in open(sys.argv[2]).read().split())
v = r["verifies"][0]
cmd = end - start
rto = v["rto_s"]
print("database %.2f GiB, backup %s (%.0f MiB in the repository)" % (
    int(sys.argv[3]) / 2**30, r["backups"][0]["label"], r["backups"][0]["size"] / 2**20))
print("restore command on the host %.2f s; RTO %.2f s; firedrill's own %.2f s (%.1f%% of RTO); verdict %s, %d of %d writes restored"
      % (cmd, rto, rto - cmd, 100 * (rto - cmd) / rto, r["verdict"],
         v["acknowledged_before_backup"] - v["lost_writes"], v["acknowledged_before_backup"]))
PY
