#!/usr/bin/env bash
# tests/cli/test_cli.sh FIREDRILL: black-box tests of the command line that touch no host.
set -uo pipefail
FD=$(realpath "${1:?usage: test_cli.sh FIREDRILL}")
SRC=${FD_SOURCE_DIR:?}
. "$SRC/tests/testlib.sh"

t_begin "version and help"
out=$($FD --version) && [[ "$out" =~ ^firedrill\ [0-9]+\.[0-9]+\.[0-9]+$ ]] || t_fail "--version printed '$out'"
$FD help | grep -q "check-hosts" || t_fail "help does not list check-hosts"
$FD help plan | grep -q "usage: firedrill plan SCENARIO" || t_fail "help plan"
t_end

t_begin "usage errors exit 2 and say why"
expect_exit 2 $FD
expect_exit 2 $FD frobnicate
grep -q "no command 'frobnicate'" "$T_ERR" || t_fail "unknown command message: $(cat "$T_ERR")"
expect_exit 2 $FD plan
grep -q "missing argument" "$T_ERR" || t_fail "missing argument message"
expect_exit 2 $FD validate --seed 1 "$SRC/scenarios/redis-sentinel-kill-primary.yaml"
grep -q "option '--seed' does not apply" "$T_ERR" || t_fail "inapplicable option: $(cat "$T_ERR")"
expect_exit 2 $FD plan --seed x "$SRC/scenarios/redis-sentinel-kill-primary.yaml"
expect_exit 2 $FD plan --var novalue "$SRC/scenarios/redis-sentinel-kill-primary.yaml"
t_end

t_begin "validate: every invalid case exits 2 with its exact error on stderr"
n=0
for d in "$SRC"/tests/scenarios/invalid/*/; do
    (cd "$d" && env -u FD_TEST_SURELY_UNSET_VARIABLE "$FD" validate scenario.yaml >/dev/null 2>"$T_DIR/err"; echo $? >"$T_DIR/rc")
    [ "$(cat "$T_DIR/rc")" = 2 ] || t_fail "$d: exit $(cat "$T_DIR/rc"), expected 2"
    cmp -s "$T_DIR/err" "$d/error" || t_fail "$d: stderr differs: $(cat "$T_DIR/err")"
    n=$((n + 1))
done
[ $n -ge 40 ] || t_fail "only $n invalid cases"
t_end

t_begin "validate: valid scenarios, the shipped drills, and several at once"
expect_exit 0 $FD validate "$SRC"/tests/scenarios/valid/spec-example.yaml "$SRC"/tests/scenarios/valid/every-fault.yaml
[ "$(grep -c ': ok: ' "$T_OUT")" = 2 ] || t_fail "not every file reported ok"
# the shipped drills name the lab's inventory; --inventory points them elsewhere
expect_exit 0 $FD validate --inventory "$SRC/tests/scenarios/lab-inventory.yaml" "$SRC"/scenarios/*.yaml
[ "$(grep -c ': ok: ' "$T_OUT")" = "$(ls "$SRC"/scenarios/*.yaml | wc -l)" ] || t_fail "a shipped scenario is invalid: $(cat "$T_ERR")"
# one good and two bad files: every error is printed, exit 2
expect_exit 2 $FD validate "$SRC"/tests/scenarios/valid/spec-example.yaml \
    "$SRC"/tests/scenarios/invalid/bad-version/scenario.yaml "$SRC"/tests/scenarios/invalid/unknown-role/scenario.yaml
[ "$(wc -l <"$T_ERR")" = 2 ] || t_fail "expected two errors, got: $(cat "$T_ERR")"
t_end

t_begin "init: every template, for firedrill's and Ansible's inventories, validates and plans as written"
expect_exit 0 $FD init --list
for t in redis-sentinel postgres etcd mariadb postgres-pitr mariadb-binlog-restore; do
    grep -q "^$t " "$T_OUT" || t_fail "init --list does not name $t: $(cat "$T_OUT")"
done
[ "$(wc -l <"$T_OUT")" = 6 ] || t_fail "init --list: $(cat "$T_OUT")"
mkdir -p "$T_DIR/init/ansible"
cp -r "$SRC/tests/ansible/prod/." "$T_DIR/init/ansible/"
for t in redis-sentinel postgres etcd mariadb postgres-pitr mariadb-binlog-restore; do
    (cd "$T_DIR/init" && "$FD" init "$t" --inventory "$SRC/tests/scenarios/lab-inventory.yaml" "lab-$t.yaml") >"$T_OUT" 2>"$T_ERR" ||
        t_fail "init $t (lab): $(cat "$T_ERR")"
    grep -q "^inventory: \"$SRC/tests/scenarios/lab-inventory.yaml\"$" "$T_DIR/init/lab-$t.yaml" || t_fail "$t: inventory line"
    grep -q "@{" "$T_DIR/init/lab-$t.yaml" && t_fail "$t: a placeholder left: $(grep '@{' "$T_DIR/init/lab-$t.yaml")"
    grep -q "note:" "$T_ERR" && t_fail "$t: the lab's roles not found: $(cat "$T_ERR")"
    expect_exit 0 $FD validate "$T_DIR/init/lab-$t.yaml"
    expect_exit 0 $FD plan "$T_DIR/init/lab-$t.yaml"
    # an Ansible inventory below the output's directory is named relative to it
    (cd "$T_DIR/init" && "$FD" init "$t" --inventory ansible/hosts.ini "ansible-$t.yaml") >"$T_OUT" 2>"$T_ERR" ||
        t_fail "init $t (ansible): $(cat "$T_ERR")"
    grep -q '^  ansible: "ansible/hosts.ini"$' "$T_DIR/init/ansible-$t.yaml" || t_fail "$t: ansible line: $(head -20 "$T_DIR/init/ansible-$t.yaml")"
    expect_exit 0 $FD validate "$T_DIR/init/ansible-$t.yaml"
done
# the lab's roles are used by name; the Ansible inventory has no etcd group: every host
grep -q "target: { role: redis, where:" "$T_DIR/init/lab-redis-sentinel.yaml" || t_fail "redis target"
grep -q 'endpoints: "http://10.77.0.11:2379,http://10.77.0.12:2379,http://10.77.0.13:2379"' "$T_DIR/init/lab-etcd.yaml" || t_fail "etcd endpoints"
grep -q 'sentinels: "redis1.example:26379,redis2.example:26379,192.0.2.23:26379,sentinel4.example:26379"' "$T_DIR/init/ansible-redis-sentinel.yaml" ||
    t_fail "sentinels from the Ansible group: $(grep sentinels: "$T_DIR/init/ansible-redis-sentinel.yaml")"
(cd "$T_DIR/init" && "$FD" init etcd --inventory ansible/hosts.ini -) >"$T_OUT" 2>"$T_ERR" || t_fail "init to stdout"
grep -q "note: no role in the inventory is named like 'etcd'" "$T_ERR" || t_fail "no note: $(cat "$T_ERR")"
grep -q "^      hosts: \[bastion.example, redis1.example, " "$T_OUT" || t_fail "every host: $(grep -A2 'target:' "$T_OUT")"
# never over a file, nor through a link planted where it writes
echo "mine" >"$T_DIR/init/taken.yaml"
ln -s "$T_DIR/init/victim" "$T_DIR/init/link.yaml"
for f in taken.yaml link.yaml; do
    (cd "$T_DIR/init" && "$FD" init etcd --inventory ansible/hosts.ini "$f") >"$T_OUT" 2>"$T_ERR"
    [ $? = 2 ] && grep -q "init never writes over a file" "$T_ERR" || t_fail "$f: $(cat "$T_ERR")"
done
[ "$(cat "$T_DIR/init/taken.yaml")" = mine ] && [ ! -e "$T_DIR/init/victim" ] || t_fail "a file was written over"
expect_exit 2 $FD init nosuch --inventory "$SRC/tests/scenarios/lab-inventory.yaml"
grep -q "no template 'nosuch'" "$T_ERR" || t_fail "unknown template: $(cat "$T_ERR")"
expect_exit 2 $FD init etcd
t_end

t_begin "plan: exact commands, static selectors resolved, nothing touched"
expect_exit 0 $FD plan "$SRC/tests/scenarios/valid/every-fault.yaml" --seed 5
grep -q "^step 7 \[iso\] fault" "$T_OUT" || t_fail "step 7 header"
grep -q "db1 apply:  FD_SSH_CONNECTION=\"\$SSH_CONNECTION\" FD_HOST_NAME=db1 FD_HOST_ADDRESS=10.77.0.11 FD_HOST_DATACENTER=east sh -s # agents/net.sh" "$T_OUT" ||
    t_fail "isolate apply command"
grep -q "db1 stdin:  FD_CONTROLLER=[A-Za-z0-9_.@-]*; set -- apply every-fault-[0-9TZ]*-[0-9a-f]* iso 600 kind=partition peers=10.77.0.12,10.77.0.13 direction=both clients=cut deadline=60$" "$T_OUT" ||
    t_fail "isolate apply arguments"
grep -q "db3 apply:  FD_SSH_CONNECTION=\"\$SSH_CONNECTION\" FD_HOST_NAME=db3 FD_HOST_ADDRESS=10.77.0.13 FD_HOST_DATACENTER=west sudo -n --preserve-env=FD_SSH_CONNECTION,FD_HOST_NAME,FD_HOST_ADDRESS,FD_HOST_DATACENTER sh -s # agents/" "$T_OUT" ||
    t_fail "sudo host apply command"
grep -q "db2 stdin: .* split .* peers=10.77.0.11 " "$T_OUT" || t_fail "split peers for db2"
grep -q "db2 stdin: .* dc .* peers=10.77.0.11 direction=both clients=cut" "$T_OUT" || t_fail "cut_datacenter for db2"
grep -q "kind=drop loss=30% peers=10.77.0.13" "$T_OUT" || t_fail "drop with to"
grep -q "delay=100ms jitter=10ms loss=1% duplicate=0.5% corrupt=0.1% reorder=25% rate=1mbit device=eth0 peers=10.77.0.12" "$T_OUT" || t_fail "netem args"
grep -q "path=/var/lib percent=95" "$T_OUT" || t_fail "fill_disk percent"
# same seed, same random picks
$FD plan "$SRC/tests/scenarios/valid/every-fault.yaml" --seed 5 | grep -v "^plan for" | sed 's/every-fault-[0-9TZ]*-[0-9a-f]*/RUN/g' >"$T_DIR/a"
$FD plan "$SRC/tests/scenarios/valid/every-fault.yaml" --seed 5 | grep -v "^plan for" | sed 's/every-fault-[0-9TZ]*-[0-9a-f]*/RUN/g' >"$T_DIR/b"
cmp -s "$T_DIR/a" "$T_DIR/b" || t_fail "plan with the same seed differs"
t_end

t_begin "plan: --inventory replaces the scenario's, --var overrides vars"
cat >"$T_DIR/inv.yaml" <<EOI
hosts:
  - { name: db1, address: 192.0.2.1, datacenter: east, roles: [redis] }
EOI
expect_exit 0 $FD plan "$SRC/tests/scenarios/valid/anchors-and-escapes.yaml" --inventory "$T_DIR/inv.yaml" --var proc=valkey-server
grep -q "db1 stdin: .* process=valkey-server" "$T_OUT" || t_fail "--var not applied"
grep -q "1 hosts" "$T_OUT" || t_fail "--inventory not applied"
t_end

t_begin "report --prune: the newest N runs of each scenario kept, only runs' files removed, the index written"
R=$T_DIR/prune
mkdir -p "$R"
mkrun() { # mkrun SCENARIO STARTED: a run directory as a run leaves it
    local id="$1-$2-abcdef"
    mkdir "$R/$id"
    printf '{"format":"firedrill-report/1","run_id":"%s","scenario":{"name":"%s"},"started_at_unix":%s,"verdict":"pass","exit_code":0,"duration_s":1}\n' \
        "$id" "$1" "$2" >"$R/$id/report.json"
    : >"$R/$id/history.jsonl"
    : >"$R/$id/report.html"
}
for t in 100 200 300; do mkrun alpha $t; mkrun beta $t; done
echo "mine" >"$R/alpha-100-abcdef/notes.txt"      # a user's file: that run stays
mkdir "$R/not-a-run" && echo x >"$R/not-a-run/report.json"
ln -s "$R/beta-100-abcdef" "$R/link-to-run"
expect_exit 0 $FD report --prune "$R" --keep 1
for gone in alpha-200 beta-200 beta-100; do [ ! -e "$R/$gone-abcdef" ] || t_fail "$gone not removed"; done
for kept in alpha-300-abcdef beta-300-abcdef alpha-100-abcdef not-a-run; do
    [ -e "$R/$kept" ] || t_fail "$kept removed"
done
[ -L "$R/link-to-run" ] || t_fail "the link was removed"
[ "$(cat "$R/alpha-100-abcdef/notes.txt")" = mine ] || t_fail "the user's file is gone"
grep -q "^kept $R/alpha-100-abcdef: it holds notes.txt, which no run writes" "$T_OUT" || t_fail "$(cat "$T_OUT")"
grep -q "^3 runs removed, the newest 1 of each scenario kept (1 older kept" "$T_OUT" || t_fail "$(cat "$T_OUT")"
[ -f "$R/index.html" ] || t_fail "no index"
grep -q "beta-100" "$R/index.html" && t_fail "the index lists a removed run"
expect_exit 2 $FD report --prune "$R"
expect_exit 2 $FD report --prune "$R" --keep 0
t_end

t_begin "plan: the monitoring stack it will ask: queries, the Alertmanager, value and alert checks, the push"
expect_exit 0 $FD plan "$SRC/tests/scenarios/valid/monitoring.yaml"
for want in 'asks http://10.77.0.9:9090/ (once at preflight, then every operation): min(etcd_server_has_leader{job="etcd"})' \
    'steady state: probe leader value >= 1 for 2s before any fault' \
    'alerts: http://10.77.0.9:9093 is asked before any fault (an alert firing stops the run) and every 0.5s after; expected: EtcdNoLeader' \
    'check: leader value_min <= 0 during kill' 'check: EtcdNoLeader time_to_alert <= 10' \
    'metrics: pushed to http://10.77.0.9:9091 when the run ends'; do
    grep -qF "$want" "$T_OUT" || t_fail "missing: $want"
done
grep -q '(null)' "$T_OUT" && t_fail "a (null) in the plan"
t_end

t_begin "plan: host commands as sent, plain ones without sh -c, sudo for recovery steps and run steps that ask"
expect_exit 0 $FD plan "$SRC/tests/scenarios/valid/dr-drill.yaml"
grep -q "^    h2: FD_HOST_NAME=h2 FD_HOST_ADDRESS=10.77.0.12 FD_HOST_DATACENTER=dc-b FD_RUN_ID=dr-drill-[0-9TZ]*-[0-9a-f]* pg_isready$" "$T_OUT" ||
    t_fail "plain run command: $(grep 'pg_isready' "$T_OUT")"
grep -q "^    controller: sh -c 'echo restored'$" "$T_OUT" || t_fail "controller command: $(grep controller: "$T_OUT")"
cat >"$T_DIR/sudo-inv.yaml" <<EOI
hosts:
  - { name: h1, address: 192.0.2.1, datacenter: dc-a, sudo: true }
  - { name: h2, address: 192.0.2.2, datacenter: dc-b, sudo: true }
EOI
expect_exit 0 $FD plan "$SRC/tests/scenarios/valid/dr-drill.yaml" --inventory "$T_DIR/sudo-inv.yaml"
grep -q "^    h1: sudo -n env FD_HOST_NAME=h1 .* pg_dump -Fc -f /tmp/db.dump postgres$" "$T_OUT" ||
    t_fail "backup under sudo: $(grep pg_dump "$T_OUT")"
grep -q "^    h2: sudo -n env FD_HOST_NAME=h2 .* pg_restore -d postgres /tmp/db.dump$" "$T_OUT" ||
    t_fail "restore under sudo: $(grep pg_restore "$T_OUT")"
grep -q "^    h2: FD_HOST_NAME=h2 .* pg_isready$" "$T_OUT" || t_fail "a run step is not privileged"
grep -q "^    h1: sudo -n env FD_HOST_NAME=h1 .* chown postgres /tmp/db.dump$" "$T_OUT" ||
    t_fail "a run step with sudo: true: $(grep chown "$T_OUT")"
t_end

t_begin "report --index: runs grouped by scenario, and how failover time moved"
mkdir -p "$T_DIR/runs/a" "$T_DIR/runs/b" "$T_DIR/runs/c"
for x in a:1795446000:2.0:pass b:1795532400:2.1:pass c:1795618800:5.1:fail; do
    IFS=: read -r d t fo v <<<"$x"
    cat >"$T_DIR/runs/$d/report.json" <<EOJ
{"format":"firedrill-report/1","scenario":{"name":"kill-primary"},"run_id":"kill-primary-$d","started_at_unix":$t,
 "duration_s":30,"verdict":"$v","exit_code":0,"probes":[{"name":"w","failover_time_s":$fo,"availability":0.9,"lost_writes":0}]}
EOJ
done
expect_exit 0 $FD report --index "$T_DIR/runs"
grep -q "3 runs in" "$T_DIR/runs/index.html" || t_fail "run count"
grep -q "failover time 5.10 s: +3.00 s since the previous run, +3.10 s since the first" "$T_DIR/runs/index.html" ||
    t_fail "trend line: $(grep -o 'failover time [^<]*' "$T_DIR/runs/index.html")"
grep -q '<svg class="trend"' "$T_DIR/runs/index.html" || t_fail "no trend chart"
[ "$(grep -o '<circle' "$T_DIR/runs/index.html" | wc -l)" = 3 ] || t_fail "one point per run"
t_end

t_begin "report: files are replaced, never written through a link planted in a run or reports folder"
mkdir -p "$T_DIR/lr/run1"
cp "$T_DIR/runs/a/report.json" "$T_DIR/lr/run1/report.json"
echo "victim" >"$T_DIR/victim"
for f in report.html report.md junit.xml report.html.tmp report.md.tmp junit.xml.tmp; do
    ln -s "$T_DIR/victim" "$T_DIR/lr/run1/$f"
done
ln -s "$T_DIR/victim" "$T_DIR/lr/index.html"
ln -s "$T_DIR/victim" "$T_DIR/lr/index.html.tmp"
ln -sfn "$T_DIR/absent-target" "$T_DIR/lr/run1/report.json.tmp"
expect_exit 0 $FD report "$T_DIR/lr/run1"
expect_exit 0 $FD report --index "$T_DIR/lr"
[ "$(cat "$T_DIR/victim")" = victim ] || t_fail "a link's target was overwritten"
[ ! -e "$T_DIR/absent-target" ] || t_fail "a dangling link's target was created"
[ -f "$T_DIR/lr/run1/report.html" ] && [ ! -L "$T_DIR/lr/run1/report.html" ] || t_fail "report.html not a new file"
[ -f "$T_DIR/lr/index.html" ] && [ ! -L "$T_DIR/lr/index.html" ] || t_fail "index.html not a new file"
# a run directory named like a URL scheme is linked as a relative path
mkdir -p "$T_DIR/lr/javascript:alert(1)"
cp "$T_DIR/runs/a/report.json" "$T_DIR/lr/javascript:alert(1)/report.json"
expect_exit 0 $FD report --index "$T_DIR/lr"
grep -q 'href="javascript:' "$T_DIR/lr/index.html" && t_fail "the index links a javascript: URL"
grep -q 'href="./javascript%3Aalert%281%29/report.html"' "$T_DIR/lr/index.html" || t_fail "relative link"
t_end

t_begin "plan: scenario values with terminal escapes are shown escaped"
cat >"$T_DIR/esc.yaml" <<EOS
version: 1
name: esc
inventory:
  hosts:
    - { name: h1, address: 192.0.2.1, datacenter: dc-a }
timeline:
  - { fault: command, apply: "true \r\e[2Khidden", revert: "true", target: { hosts: [h1] } }
EOS
expect_exit 0 $FD plan "$T_DIR/esc.yaml"
grep -q "$(printf '\033')" "$T_OUT" && t_fail "an escape sequence reached the output"
grep -q "$(printf '\r')" "$T_OUT" && t_fail "a carriage return reached the output"
grep -q 'true \\x0d\\x1b\[2Khidden' "$T_OUT" || t_fail "the value is not shown escaped: $(grep -a apply "$T_OUT")"
t_end

t_begin "plan: a selector's line and the commands name the same hosts, for every seed"
cat >"$T_DIR/picks.yaml" <<EOS
version: 1
name: picks
inventory:
  hosts:
    - { name: h1, address: 192.0.2.1, datacenter: dc-a, roles: [db] }
    - { name: h2, address: 192.0.2.2, datacenter: dc-a, roles: [db] }
    - { name: h3, address: 192.0.2.3, datacenter: dc-b, roles: [db] }
    - { name: h4, address: 192.0.2.4, datacenter: dc-b, roles: [db] }
timeline:
  - { id: w, run: { command: "true", target: { role: db, where: "true", pick: random:1 } } }
  - { id: a, fault: kill, process: x, target: { role: db, pick: random:2 } }
  - { id: b, fault: kill, process: y, target: { role: db, pick: random:1 } }
EOS
seen=
for seed in 1 2 3 4 5 6 7 8; do
    $FD plan "$T_DIR/picks.yaml" --seed $seed >"$T_DIR/full"
    grep -q "^    target: role=db, where .* -> h1, h2, h3, h4 (candidates; the where command picks" "$T_DIR/full" ||
        t_fail "the where selector is not shown as its candidates"
    for id in a b; do
        want=$(awk -v id="$id" '$0 ~ "\\[" id "\\] fault" {on=1; next} /^step /{on=0} on && /^    target:/ {sub(/.*-> /, ""); gsub(/, /, " "); print}' "$T_DIR/full")
        got=$(awk -v id="$id" '$0 ~ "\\[" id "\\] fault" {on=1; next} /^step /{on=0} on && / apply: / {print $1}' "$T_DIR/full" | tr '\n' ' ')
        [ -n "$want" ] && [ "$want " = "$got" ] || t_fail "seed $seed step $id: selector says '$want', commands go to '$got'"
        seen="$seen $want"
    done
done
# the seeds do pick differently
[ "$(tr ' ' '\n' <<<"$seen" | sort -u | grep -c .)" -ge 3 ] || t_fail "the picks never vary: $seen"
t_end

t_done
