#!/usr/bin/env bash
# bench/skew.sh: how simultaneously a fault lands on a fleet. In labs of 64 and 200 hosts
# (SIZES), a drill kills a process on every host and then partitions the two
# datacenters from each other (every host), then heals both. From each run's
# report.json: the apply and heal skew (last host minus first, by the hosts' own
# clocks, which the lab's hosts share with the controller, and by the controller's
# receipt of the answers), the step's start to the last host's answer, and where a
# host's time goes: sending the command and running the agent up to the moment of
# effect, then from the effect to the answer (verification and the way back). Each
# figure is the median of RUNS runs (default 3). Then, on the largest lab, Ansible
# ad-hoc (`ansible all -f N -m shell`, Debian's ansible-core), the tool game-day teams
# most often push a firewall rule with: a bare iptables rule on every host, cold (its
# first run opens the SSH connections) and warm (over the ControlPersist sockets it
# keeps), against firedrill's verified, self-reverting partition on its open sessions.
# Needs root; traffic goes only to the lab's addresses. The lab is taken down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh # FD, RUNS
SIZES=${SIZES:-"64 200"}
dpkg-query -W -f='${Status}' ansible-core 2>/dev/null | grep -q 'install ok installed' ||
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ansible-core >/dev/null
# the first lab as bench_lab brings it up (the binary, $work, and its removal at exit);
# the lab is taken down at the end too
bench_lab --hosts "${SIZES%% *}" --datacenters 2 --services none
trap 'rm -rf "$work"; tests/lab/lab down >/dev/null 2>&1 || true' EXIT
chmod 755 "$work"
# the victim: a sleep of its own name, so that nothing else is killed
cp "$(command -v sleep)" "$work/fdvictim"

printf '%-6s %-10s %-6s %9s %9s %10s %12s %12s\n' hosts fault phase skew_ms ctl_ms last_ack_s \
    to_effect_ms to_answer_ms
for n in $SIZES; do
    tests/lab/lab up --hosts "$n" --datacenters 2 --services none >/dev/null
    . "$FIREDRILL_LAB_DIR/lab.env"
    hosts=$(for i in $(seq 1 "$n"); do printf 'h%s, ' "$i"; done)
    bench_inventory "$n" "$work/inventory-$n.yaml"
    cat >"$work/skew.yaml" <<EOF
version: 1
name: skew-$n
inventory: $work/inventory-$n.yaml
timeline:
  - id: kill
    fault: kill
    process: fdvictim
    restart: "$work/fdvictim 600 >/dev/null 2>&1 &"
    target: { hosts: [${hosts%, }] }
  - { id: cut, fault: partition, mode: split, groups: [ { datacenter: dc-a }, { datacenter: dc-b } ] }
  - wait: 2s
  - heal: cut
  - heal: kill
safety: { ttl: 5m }
EOF
    for i in $(seq 1 "$n"); do
        tests/lab/lab exec "h$i" sh -c "$work/fdvictim 600 >/dev/null 2>&1 &"
    done
    for r in $(seq 1 "$RUNS"); do
        "$FD" run "$work/skew.yaml" --quiet --yes --report-dir "$work/r$n-$r" >/dev/null ||
            { echo "bench: the drill failed on $n hosts (run $r): $work/r$n-$r" >&2; exit 1; }
    done
    python3 - "$n" "$work" "$RUNS" >"$work/table-$n" <<'PY'
import glob, json, statistics, sys
n, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
rows = {}
for r in range(1, runs + 1):
    rep = json.load(open(glob.glob("%s/r%s-%d/*/report.json" % (work, n, r))[0]))
    for f in rep["faults"]:
        for phase, pre, at in (("apply", "apply", "applied_at_s"), ("heal", "heal", "healed_at_s")):
            sk = f[phase + "_skew"]
            assert sk["hosts"] == int(n), sk
            cs = f["commands"]
            to_eff = statistics.median(c[at] - c[pre + "_sent_s"] for c in cs)
            to_ans = statistics.median(c[pre + "_ack_s"] - c[at] for c in cs)
            last = max(c[pre + "_ack_s"] for c in cs) - min(c[pre + "_sent_s"] for c in cs)
            rows.setdefault((f["id"], phase), []).append(
                (sk["skew_s"], sk["controller_s"], last, to_eff, to_ans, sk["clock"]))
for (fid, phase), v in rows.items():
    med = [statistics.median(x[k] for x in v) for k in range(5)]
    print("%-6s %-10s %-6s %9.1f %9.1f %10.3f %12.1f %12.1f%s" % (
        n, fid, phase, med[0] * 1e3, med[1] * 1e3, med[2], med[3] * 1e3, med[4] * 1e3,
        "" if all(x[5] == "hosts" for x in v) else "  (some runs by the controller's clock)"))
PY
    cat "$work/table-$n"
done

# Ansible ad-hoc on the last lab: a bare rule on every host (a harmless address), cold
# then warm; firedrill's partition is the median "cut apply" line above
n=${SIZES##* }
. "$FIREDRILL_LAB_DIR/lab.env"
for i in $(seq 1 "$n"); do echo "10.77.0.$((10 + i))"; done >"$work/ansible-hosts"
export ANSIBLE_HOST_KEY_CHECKING=True ANSIBLE_PYTHON_INTERPRETER=/usr/bin/python3 \
    ANSIBLE_SSH_ARGS="-o ControlMaster=auto -o ControlPersist=120s -o UserKnownHostsFile=$FD_LAB_KNOWN_HOSTS" \
    ANSIBLE_LOCAL_TEMP=$work/ansible-tmp ANSIBLE_CONTROL_PATH_DIR=$work/cp
ansible_rule() { # ansible_rule -I|-D: wall seconds for the rule on every host
    local t0 t1
    t0=$(date +%s.%N)
    ansible all -i "$work/ansible-hosts" -f "$n" -u root --private-key "$FD_LAB_KEY" -m shell \
        -a "iptables -w $1 INPUT -s 10.77.0.250 -j DROP" >"$work/ansible.out" 2>&1 ||
        { echo "bench: ansible failed: $(tail -c 400 "$work/ansible.out")" >&2; exit 1; }
    t1=$(date +%s.%N)
    python3 -c "print($t1 - $t0)"
}
cold=$(ansible_rule -I)
warm=$(ansible_rule -D)
fd=$(awk '$2 == "cut" && $3 == "apply" { print $6 }' "$work/table-$n")
printf '%s hosts: ansible ad-hoc (bare iptables rule): cold %.2fs, warm %.2fs; firedrill partition (verified, self-reverting): %.3fs, %.0fx faster than ansible warm\n' \
    "$n" "$cold" "$warm" "$fd" "$(python3 -c "print($warm / $fd)")"
