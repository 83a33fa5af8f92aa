#!/usr/bin/env bash
# The shipped scenarios, run as a new user would run them against the lab.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
run_shipped() { # run_shipped NAME EXPECTED_EXIT
    expect_exit "$2" $FD run "$SRC/scenarios/$1.yaml" --report-dir "$T_DIR/r-$1"
    D=$(ls -d "$T_DIR/r-$1"/*/ 2>/dev/null | head -n 1)
    [ -n "$D" ] || { t_fail "no run directory"; return; }
    echo "  $1: $(report_value "$D" '"verdict %s, failover %ss, availability %s, lost writes %s" % (r["verdict"], r["probes"][0]["failover_time_s"], r["probes"][0]["availability"], r["probes"][0].get("lost_writes"))')"
}

lab_up --hosts 3 --services redis,sentinel,postgres,etcd

t_begin "redis-sentinel-kill-primary: Sentinel promotes a replica; failover time and lost writes measured"
wait_single_redis_primary >/dev/null || t_fail "no single primary"
run_shipped redis-sentinel-kill-primary 0
python3 - "$D/report.json" <<'PY' || t_fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["probes"][0]
assert 1.0 <= p["failover_time_s"] <= 10.0, p["failover_time_s"]
assert p["lost_writes"] is not None and p["lost_writes"] >= 0, p
assert p["corrupt_values"] == 0, p
assert r["faults"][0]["took_effect"] and r["faults"][0]["heal"] == "ok"
PY
t_end

t_begin "redis-primary-partition: the isolated old primary acknowledges writes that are lost, as the drill expects"
wait_single_redis_primary >/dev/null || t_fail "no single primary"
run_shipped redis-primary-partition 0
python3 - "$D/report.json" <<'PY' || t_fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["probes"][0]
assert p["lost_writes"] > 0, p
lost = [c for c in r["checks"] if c["metric"] == "lost_writes"][0]
assert lost["pass"] is False and lost["value"] == p["lost_writes"], lost
assert lost["expect"] == "fail" and lost["expected_failure"] is True and r["verdict"] == "pass", lost
PY
t_end

t_begin "etcd-kill-leader: a new leader is elected and no acknowledged write is lost"
run_shipped etcd-kill-leader 0
python3 - "$D/report.json" <<'PY' || t_fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["probes"][0]
assert p["lost_writes"] == 0, p
assert p["failover_time_s"] is not None and p["failover_time_s"] > 0, p
PY
t_end

t_begin "postgres-kill-primary: the standby is promoted and libpq follows it"
# from a fresh lab: the drill promotes h2 and leaves the old primary down
"$LAB" down >/dev/null
lab_up --hosts 3 --services redis,sentinel,postgres,etcd
run_shipped postgres-kill-primary 0
python3 - "$D/report.json" <<'PY' || t_fail "report"
import json, sys
r = json.load(open(sys.argv[1]))
p = r["probes"][0]
assert p["failover_time_s"] is not None and p["failover_time_s"] > 0, p
assert p["lost_writes"] is not None, p
assert r["steps"][1]["id"] == "promote" and r["steps"][1]["status"] == "ok"
PY
# the drill leaves the old primary down: start the lab afresh for whatever runs next
"$LAB" down >/dev/null
t_end

t_done
