#!/usr/bin/env bash
# scripts/demo.sh: the firedrill demo on this machine, as root. It installs what is
# missing, builds firedrill, brings up a local lab of 3 SSH hosts running Redis with
# Sentinel, checks every host over real SSH and prints the plan of the shipped drill
# scenarios/redis-sentinel-kill-primary.yaml. The lab stays up for you to explore;
# `tests/lab/lab down` removes it.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh
scripts/build.sh build
FD=build/firedrill
SCENARIO=scenarios/redis-sentinel-kill-primary.yaml
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}

echo "== 1. the lab: 3 hosts in network, PID and mount namespaces, each with its own sshd"
tests/lab/lab up --hosts 3 --datacenters 3 --services redis,sentinel
. "$FIREDRILL_LAB_DIR/lab.env"

echo
echo "== 2. firedrill check-hosts: connect over SSH, verify host keys, authenticate, look for fault tools"
$FD check-hosts "$SCENARIO"

echo
echo "== 3. firedrill validate and plan: the exact commands the drill would send, touching nothing"
$FD validate "$SCENARIO"
$FD plan "$SCENARIO" --seed 1

echo
echo "== done"
echo "The lab is up: inventory $FIREDRILL_LAB_DIR/inventory.yaml, service addresses in $FIREDRILL_LAB_DIR/lab.env."
echo "Take it down with: tests/lab/lab down"
