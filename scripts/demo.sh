#!/usr/bin/env bash
# scripts/demo.sh: the firedrill demo on this machine, as root. It installs what is
# missing, builds firedrill, brings up a local lab of 3 SSH hosts running Redis with
# Sentinel, checks every host over real SSH, and runs the shipped drill
# scenarios/redis-sentinel-kill-primary.yaml: SIGKILL the current Redis primary,
# let Sentinel promote a replica, and measure the failover time and the lost
# acknowledged writes. The lab stays up for you to explore; `tests/lab/lab down`
# removes it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh build
FD=build/firedrill
SCENARIO=scenarios/redis-sentinel-kill-primary.yaml
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
REPORTS=${FIREDRILL_DEMO_REPORTS:-reports}

echo "== 1. the lab: 3 hosts in network, PID and mount namespaces, each with its own sshd, Redis and Sentinel"
tests/lab/lab up --hosts 3 --datacenters 3 --services redis,sentinel
. "$FIREDRILL_LAB_DIR/lab.env"

echo
echo "== 2. firedrill check-hosts: connect over SSH, verify host keys, authenticate, look for fault tools"
$FD check-hosts "$SCENARIO"

echo
echo "== 3. firedrill run $SCENARIO"
rc=0
$FD run "$SCENARIO" --report-dir "$REPORTS" || rc=$?
dir=$(ls -td "$REPORTS/redis-sentinel-kill-primary-"*/ | head -n 1)

echo
echo "== result"
python3 - "$dir/report.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
p = r["probes"][0]
print("verdict:        %s (exit %d)" % (r["verdict"], r["exit_code"]))
print("failover time:  %s s (the longest stretch of failed writes)" % p["failover_time_s"])
print("availability:   %s of %d writes succeeded" % (p["availability"], p["ops"]))
print("lost writes:    %s acknowledged writes missing after the failover" % p["lost_writes"])
for c in r["checks"]:
    limit = c.get("max", c.get("min"))
    print("check:          %s %s %s %s -> %s" % (c["metric"], "<=" if "max" in c else ">=", limit,
                                                c["value"], "pass" if c["pass"] else "FAIL"))
PY
echo "report:         ${dir}report.json (history of every operation: ${dir}history.jsonl)"
echo
echo "The lab is still up: inventory $FIREDRILL_LAB_DIR/inventory.yaml, service addresses in $FIREDRILL_LAB_DIR/lab.env."
echo "Run the drill again with: $FD run $SCENARIO; take the lab down with: tests/lab/lab down"
exit $rc
