#!/usr/bin/env bash
# Replicas, checked one by one: replication lag sampled on each, read-back from each
# against the primary, read-your-writes and monotonic reads, whole tables compared
# (pt-table-checksum for MariaDB, row digests past a WAL position for PostgreSQL), and
# the shipped drills: a paused standby's lag, silent drift, a killed MariaDB primary.
# The lab is taken down at the end: the failover drill leaves h2 as MariaDB's primary.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --datacenters 3 --services redis,postgres,mariadb
trap '"$LAB" down >/dev/null 2>&1' EXIT
MY="mariadb --defaults-extra-file=$FD_MYSQL_CLIENT_CONFIG"

t_begin "postgres-replica-lag: a paused standby's lag and stale reads grow, then recover; the checks bound them"
expect_exit 0 $FD run "$SRC/scenarios/postgres-replica-lag.yaml" --report-dir "$T_DIR/r-lag"
D=$(ls -d "$T_DIR"/r-lag/*/ | head -n 1)
python3 - "$D/report.json" <<'PY' || t_fail "report: $(head -c 2000 "$D/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
w, ryw = r["probes"][0], r["probes"][1]
h2, h3 = w["replicas"]
assert (h2["name"], h3["name"]) == ("h2", "h3"), w["replicas"]
# h2's replay was paused for 3 s: its worst sample shows it; h3 kept up
assert 2000 <= h2["lag_ms"]["max"] <= 6000 and h3["lag_ms"]["p99"] < 1000, (h2["lag_ms"], h3["lag_ms"])
assert h2["lag_samples"] > 10 and len(h2["lag_series"]) > 2, h2
for rep in (h2, h3):
    assert rep["lost_writes"] == 0 and rep["extra_values"] == 0 and rep["divergent_values"] == 0, rep
    assert rep["values_read_back"] >= w["ok"], rep
assert ryw["mode"] == "read_your_writes" and ryw["stale_reads"] > 10, ryw
assert 0 < ryw["stale_after_bound"] <= ryw["stale_reads"] and ryw["monotonic_violations"] == 0, ryw
assert r["verdict"] == "pass", r["checks"]
PY
echo "  $(report_value "$D" '"h2 lag p50 %.0f ms, max %.0f ms; h3 p99 %.0f ms; %d stale reads, %d still stale after 1 s" % (r["probes"][0]["replicas"][0]["lag_ms"]["p50"], r["probes"][0]["replicas"][0]["lag_ms"]["max"], r["probes"][0]["replicas"][1]["lag_ms"]["p99"], r["probes"][1]["stale_reads"], r["probes"][1]["stale_after_bound"])')"
grep -q "<h2>Replicas</h2>" "$D/report.html" || t_fail "report.html has no Replicas section"
t_end

t_begin "redis and mysql probes read back from each replica; consistency passes when nothing drifted"
scenario clean-replicas <<EOF
probes:
  - { name: cache, type: redis, endpoints: ["10.77.0.11:6379"], mode: write, interval: 20ms,
      replicas: { target: { hosts: [h2, h3] } } }
  - { name: shop, type: mysql, endpoints: ["10.77.0.11:3306"], user: firedrill,
      password: "\${env:FD_MYSQL_PASSWORD}", database: shop, table: clean, mode: write,
      interval: 20ms, replicas: { read: ["10.77.0.12:3306", "10.77.0.13:3306"] } }
  - { name: pg, type: postgres, conninfo: "host=10.77.0.11 user=postgres dbname=postgres",
      table: clean, mode: write, interval: 20ms, replicas: { target: { hosts: [h2, h3] } } }
timeline:
  - wait: 2s
  - id: pt
    consistency: { probe: shop, target: { hosts: [h3] } }
  - id: digests
    consistency: { probe: pg }
checks:
  - { probe: cache, metric: replica_lost_writes, max: 0 }
  - { probe: shop, metric: divergent_values, max: 0 }
  - { probe: pg, metric: extra_values, max: 0 }
EOF
expect_exit 0 $FD run "$T_DIR/clean-replicas.yaml" --report-dir "$T_DIR/r-clean"
D=$(ls -d "$T_DIR"/r-clean/*/ | head -n 1)
python3 - "$D/report.json" <<'PY' || t_fail "report: $(head -c 2500 "$D/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
for p in r["probes"]:
    assert len(p["replicas"]) == 2, p
    for rep in p["replicas"]:
        assert rep["lost_writes"] == 0 and rep["divergent_values"] == 0 and rep["lag_samples"] > 5, (p["name"], rep)
pt, dg = r["consistency"]
assert pt["tool"] == "pt-table-checksum" and pt["mismatched"] == 0, pt
assert [(t["table"], t["replica"]) for t in pt["tables"]] == [("shop.clean", "10.77.0.12:3306"), ("shop.clean", "10.77.0.13:3306")], pt
assert all(t["match"] and t["rows"] > 20 and t["chunks"] >= 1 for t in pt["tables"]), pt
assert dg["tool"] == "firedrill" and dg["mismatched"] == 0 and "/" in dg["marker"], dg
assert all(t["match"] and t["rows"] > 20 and t["checksum"] == t["primary_checksum"] for t in dg["tables"]), dg
PY
echo "  $(report_value "$D" '"pt-table-checksum %.2fs, digests %.2fs" % (r["consistency"][0]["ended_s"] - r["consistency"][0]["started_s"], r["consistency"][1]["ended_s"] - r["consistency"][1]["started_s"])')"
t_end

t_begin "consistency: a named table that does not exist fails the step with its name (exit 1)"
scenario no-table <<EOF
probes:
  - { name: pg, type: postgres, conninfo: "host=10.77.0.11 user=postgres dbname=postgres",
      table: clean, mode: write, interval: 50ms, replicas: { target: { hosts: [h2] } } }
timeline:
  - wait: 1s
  - consistency: { probe: pg, tables: [public.no_such_orders] }
EOF
expect_exit 1 $FD run "$T_DIR/no-table.yaml" --report-dir "$T_DIR/r-nt"
grep -q "table public.no_such_orders does not exist on the primary" "$T_ERR" || t_fail "$(cat "$T_ERR")"
t_end

t_begin "mariadb-silent-drift: changes that never replicate fail the drill, naming table, replica and rows"
expect_exit 1 $FD run "$SRC/scenarios/mariadb-silent-drift.yaml" --report-dir "$T_DIR/r-drift"
D=$(ls -d "$T_DIR"/r-drift/*/ | head -n 1)
grep -Fq "shop.orders on h2: 1000 rows, 1000 on the primary, 1 of 1 chunks differ (REPLACE INTO \`shop\`.\`orders\`(\`id\`, \`qty\`) VALUES ('500', '2')...); shop.orders on h3" "$T_ERR" ||
    t_fail "$(cat "$T_ERR")"
python3 - "$D/report.json" <<'PY' || t_fail "report: $(head -c 2500 "$D/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
c = r["consistency"][0]
bad = {(t["table"], t["replica"]) for t in c["tables"] if not t["match"]}
assert bad == {("shop.orders", "h2"), ("shop.orders", "h3"), ("shop.firedrill_orders", "h2")}, c["tables"]
orders_h2 = [t for t in c["tables"] if t["table"] == "shop.orders" and t["replica"] == "h2"][0]
assert orders_h2["diff_chunks"] >= 1 and "VALUES ('502', '2')" in orders_h2["sample"], orders_h2
probe_h2 = [t for t in c["tables"] if t["table"] == "shop.firedrill_orders" and t["replica"] == "h2"][0]
assert "-edited" not in probe_h2["sample"] and "REPLACE INTO `shop`.`firedrill_orders`" in probe_h2["sample"], probe_h2
h2, h3 = r["probes"][0]["replicas"]
assert h2["divergent_values"] == 1 and h2["lost_writes"] == 1, h2   # the edited row
assert h2["divergent_sample"] == [h2["lost_sample"][0] + "-edited"], h2
assert h3["divergent_values"] == 0 and h3["lost_writes"] == 0, h3
assert r["verdict"] == "fail", r["verdict"]
PY
t_end

# last: it moves MariaDB's primary to h2
t_begin "mariadb-kill-primary: promote h2, point h3 at it; failover time, per-replica loss, h1's unreplicated writes"
expect_exit 0 $FD run "$SRC/scenarios/mariadb-kill-primary.yaml" --report-dir "$T_DIR/r-kill"
D=$(ls -d "$T_DIR"/r-kill/*/ | head -n 1)
python3 - "$D/report.json" <<'PY' || t_fail "report: $(head -c 2500 "$D/report.json")"
import json, sys
r = json.load(open(sys.argv[1]))
w = r["probes"][0]
h1, h3 = w["replicas"]
assert 0 < w["failover_time_s"] < 15 and w["values_read_back"] >= w["ok"] - w["lost_writes"], w
assert h3["lost_writes"] == 0 and h3["divergent_values"] == 0, h3
# h1 stopped at the kill: it lacks what h2 took after, and holds what never left it
assert h1["lost_writes"] > 0 and h1["extra_values"] >= w["lost_writes"], (h1, w["lost_writes"])
assert r["faults"][0]["heal"] == "ok" and r["verdict"] == "pass", r["checks"]
PY
echo "  $(report_value "$D" '"failover %.2fs; lost on the new primary %d; h1 holds %d writes h2 never got" % (r["probes"][0]["failover_time_s"], r["probes"][0]["lost_writes"], r["probes"][0]["replicas"][0]["extra_values"])')"
[ "$($MY -h 10.77.0.12 -N -e 'select @@global.read_only')" = 0 ] || t_fail "h2 is not the primary"
t_end

t_done
