#!/usr/bin/env bash
# bench/fanout.sh: run `true` on every host of a lab of 16, 32 and 64 hosts with
# firedrill and with the parallel-SSH tools users already run, at equal fan-out:
#   firedrill cold: `firedrill exec` (a new process: connect, verify, authenticate, run)
#   firedrill warm: the same command again on its open sessions (--repeat; how faults
#                   are applied during a drill); `true` is a plain command, run without
#                   sh, so the same again with a command that sh must run (fd_warm_sh)
#   pdsh -R ssh, parallel-ssh, clush: cold (one ssh per host), and warm over OpenSSH
#                   ControlMaster sockets opened beforehand
# Each figure is the median of RUNS runs (default 5). Then a partition fault applied on
# every host of the 64-host lab, from the step's start to the last host's
# acknowledgement. Needs root; traffic goes only to the lab's addresses. The lab is
# taken down at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
FD=${FIREDRILL:-build/firedrill}
RUNS=${RUNS:-5}
SIZES=${SIZES:-"16 32 64"}
[ -x "$FD" ] || scripts/build.sh build
for p in pdsh pssh clustershell; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
export FIREDRILL_LAB_DIR=${FIREDRILL_LAB_DIR:-/tmp/firedrill-lab}
work=$(mktemp -d /tmp/fd-bench.XXXXXX)
trap 'for s in $work/cm-*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit x 2>/dev/null; done; rm -rf "$work"; tests/lab/lab down >/dev/null 2>&1 || true' EXIT

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
timed() { # timed COMMAND...: wall seconds; a run that failed is not a figure
    local t0 t1
    t0=$(now)
    if ! "$@" >"$work/out" 2>&1; then
        echo "bench: '$1' failed, so it is not timed: $(head -c 300 "$work/out")" >&2
        exit 1
    fi
    t1=$(now)
    python3 -c "print($t1 - $t0)"
}
# fd_warm COMMAND: the median of rounds 2-6 of COMMAND on firedrill's open sessions ($inv)
fd_warm() { "$FD" exec "$inv" --quiet --repeat 6 -- "$1" | sed -n 's/.*on the open sessions: median \([0-9.]*\)s.*/\1/p'; }

printf '%-6s %-28s %10s %8s\n' hosts tool seconds ratio
for n in $SIZES; do
    tests/lab/lab up --hosts "$n" --datacenters 2 --services none >/dev/null
    . "$FIREDRILL_LAB_DIR/lab.env"
    inv=$FIREDRILL_LAB_DIR/inventory.yaml
    hosts=$(for i in $(seq 1 "$n"); do echo "10.77.0.$((10 + i))"; done)
    printf '%s\n' $hosts >"$work/hosts"
    list=$(paste -sd, "$work/hosts")
    sshopts="-i $FD_LAB_KEY -o UserKnownHostsFile=$FD_LAB_KNOWN_HOSTS -o StrictHostKeyChecking=yes -o BatchMode=yes -l root"
    cm="-o ControlMaster=auto -o ControlPath=$work/cm-%h -o ControlPersist=300"
    # Each run measures every side in turn (interleaved), so a change in the machine's
    # load over the minutes of a run weighs on all sides alike.
    rm -f "$work"/t.*
    for i in $(seq 1 "$RUNS"); do
        timed "$FD" exec "$inv" --quiet -- true >>"$work/t.fd_cold"
        PDSH_SSH_ARGS_APPEND="$sshopts" timed pdsh -R ssh -f "$n" -w "$list" true >>"$work/t.pdsh"
        timed parallel-ssh -h "$work/hosts" -p "$n" -x "$sshopts" true >>"$work/t.pssh"
        timed clush -w "$list" -f "$n" -o "$sshopts" true >>"$work/t.clush"
    done
    # warm: the tools over ControlMaster sockets opened first
    PDSH_SSH_ARGS_APPEND="$sshopts $cm" pdsh -R ssh -f "$n" -w "$list" true >/dev/null
    for i in $(seq 1 "$RUNS"); do
        fd_warm true >>"$work/t.fd_warm"
        # a command with shell syntax is handed to sh: one exec() more on every host
        fd_warm '[ -n "$FD_HOST_NAME" ]' >>"$work/t.fd_warm_sh"
        PDSH_SSH_ARGS_APPEND="$sshopts $cm" timed pdsh -R ssh -f "$n" -w "$list" true >>"$work/t.pdsh_cm"
        timed parallel-ssh -h "$work/hosts" -p "$n" -x "$sshopts $cm" true >>"$work/t.pssh_cm"
        # clush interpolates % in its options: the ControlPath's %h is written %%h for it
        timed clush -w "$list" -f "$n" -o "$sshopts ${cm//%/%%}" true >>"$work/t.clush_cm"
    done
    declare -A t=()
    for f in "$work"/t.*; do
        [ "$(wc -l <"$f")" = "$RUNS" ] || { echo "bench: ${f##*/t.} has $(wc -l <"$f") figures, not $RUNS" >&2; exit 1; }
        t[${f##*/t.}]=$(median <"$f")
    done
    best_cold=$(printf '%s\n' "${t[pdsh]}" "${t[pssh]}" "${t[clush]}" | sort -n | head -1)
    best_warm=$(printf '%s\n' "${t[pdsh_cm]}" "${t[pssh_cm]}" "${t[clush_cm]}" | sort -n | head -1)
    for k in fd_cold pdsh pssh clush; do
        printf '%-6s %-28s %10.3f %8s\n' "$n" "$k" "${t[$k]}" "$(python3 -c "print('%.1fx' % (${best_cold} / ${t[$k]}))")"
    done
    for k in fd_warm fd_warm_sh pdsh_cm pssh_cm clush_cm; do
        printf '%-6s %-28s %10.3f %8s\n' "$n" "$k" "${t[$k]}" "$(python3 -c "print('%.1fx' % (${best_warm} / ${t[$k]}))")"
    done
    printf '%-6s firedrill cold is %.1fx faster than the fastest tool cold; warm is %.1fx faster than the fastest over ControlMaster (%.1fx through sh)\n' \
        "$n" "$(python3 -c "print(${best_cold} / ${t[fd_cold]})")" "$(python3 -c "print(${best_warm} / ${t[fd_warm]})")" \
        "$(python3 -c "print(${best_warm} / ${t[fd_warm_sh]})")"
    for s in "$work"/cm-*; do [ -S "$s" ] && ssh -o ControlPath="$s" -O exit x >/dev/null 2>&1; done
    unset t
done

# a partition on every host of the last lab: dc-a against dc-b
cat >"$work/split.yaml" <<EOF2
version: 1
name: split-all
inventory: $FIREDRILL_LAB_DIR/inventory.yaml
timeline:
  - { id: split, fault: partition, mode: split, groups: [ { datacenter: dc-a }, { datacenter: dc-b } ], duration: 2s }
  - wait: 3s
safety: { ttl: 1m }
EOF2
for i in $(seq 1 "$RUNS"); do
    "$FD" run "$work/split.yaml" --quiet --report-dir "$work/split$i" >/dev/null
    python3 -c "import json,glob; f=json.load(open(glob.glob('$work/split$i/*/report.json')[0]))['faults'][0]; print(f['applied_s'] - f['started_s'], len(f['targets']))"
done >"$work/split.txt"
printf 'partition applied on %s hosts, step start to the last acknowledgement: median %.3fs\n' \
    "$(head -1 "$work/split.txt" | awk '{print $2}')" "$(awk '{print $1}' "$work/split.txt" | median)"
