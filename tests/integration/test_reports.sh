#!/usr/bin/env bash
# Reports from a real run: every file of the run directory, secrets redacted in all of
# them, JUnit well-formed, the webhook received on loopback, the HTML loaded in
# headless Chromium, and `firedrill report` rendering again.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
lab_up --hosts 3 --services redis,sentinel

# a loopback HTTP server that records what is POSTed to it
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 - "$port" "$T_DIR/hook.json" <<'PY' &
import http.server, sys
port, out = int(sys.argv[1]), sys.argv[2]
class H(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        open(out, "ab").write(body + b"\n")
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a): pass
s = http.server.HTTPServer(("127.0.0.1", port), H)
s.timeout = 1
import time
end = time.time() + 120
while time.time() < end and not __import__("os").path.exists(out + ".stop"):
    s.handle_request()
PY
hook_pid=$!
trap 'touch "$T_DIR/hook.json.stop"; kill $hook_pid 2>/dev/null; rm -rf "$T_DIR"' EXIT

export FD_TEST_TOKEN="tok-5ecr3t-$RANDOM$RANDOM"
cat >"$T_DIR/rep.yaml" <<EOF2
version: 1
name: report-check
description: "a drill whose token must never be written anywhere"
inventory: $INV
probes:
  - { name: writes, type: redis, endpoints: ["10.77.0.12:6379", "10.77.0.13:6379", "10.77.0.11:6379"], mode: write, interval: 20ms, timeout: 200ms, settle: 1s }
timeline:
  - { id: p, fault: pause, process: redis-server, target: { role: redis, where: "redis-cli -h \$FD_HOST_ADDRESS role | head -1 | grep -qx master", pick: one }, duration: 1s }
  - wait: 2s
  - run: { command: "echo 'the token is \${env:FD_TEST_TOKEN} <b>bold</b>' >&2; exit 3" }
checks:
  - { probe: writes, metric: failover_time, max: 30s }
  - { probe: writes, metric: lost_writes, max: 0 }
safety: { ttl: 1m }
report:
  formats: [json, html, junit, markdown]
  notify: { webhook: "http://127.0.0.1:$port/hook?token=\${env:FD_TEST_TOKEN}", events: [start, fault, hold, abort, end] }
  url_base: https://drills.example/reports/
EOF2

t_begin "a run writes every file of the run directory, and the index"
expect_exit 4 $FD run "$T_DIR/rep.yaml" --report-dir "$T_DIR/reports"
D=$(ls -d "$T_DIR"/reports/report-check-*/)
for f in report.json history.jsonl report.html report.md junit.xml scenario.yaml; do
    [ -s "$D/$f" ] || t_fail "missing $f"
done
[ -s "$T_DIR/reports/index.html" ] || t_fail "no index.html"
grep -q "report-check" "$T_DIR/reports/index.html" || t_fail "index does not list the run"
t_end

t_begin "a secret from the environment appears as *** in every file and message"
if grep -rl "$FD_TEST_TOKEN" "$T_DIR/reports" "$T_OUT" "$T_ERR"; then t_fail "the token leaked into the files above"; fi
grep -q 'the token is \*\*\* <b>bold</b>' "$D/report.json" || t_fail "the step's stderr is not in report.json, redacted"
grep -q 'the token is \*\*\* &lt;b&gt;bold&lt;/b&gt;' "$D/report.html" || t_fail "the stderr is not escaped in report.html"
grep -q 'the token is \*\*\* &lt;b&gt;bold&lt;/b&gt;' "$D/junit.xml" || t_fail "the stderr is not escaped in junit.xml"
grep -qF 'the token is \*\*\* &lt;b&gt;bold&lt;/b&gt;' "$D/report.md" || t_fail "the stderr is not escaped in report.md"
t_end

t_begin "junit.xml is well-formed: one testcase per check, the failed step, all faults healed, the drill"
python3 - "$D/junit.xml" <<'PY' || t_fail "junit structure: $(cat "$D/junit.xml")"
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites", root.tag
cases = root.findall("./testsuite/testcase")
names = [c.get("name") for c in cases]
assert len(cases) == 5, names
assert "all faults healed" in names and "drill completed" in names, names
step = [c for c in cases if c.get("name").startswith("step 3 run ")]
assert len(step) == 1 and step[0].find("failure").get("type") == "step", names
assert "exited 3" in step[0].find("failure").get("message"), step[0].find("failure").attrib
assert root.get("tests") == "5" and root.get("errors") == "1", root.attrib
assert cases[-1].find("error") is not None
PY
t_end

t_begin "the webhook receives each stage in order, then a JSON summary that works as a Slack message, linked under url_base"
for _ in $(seq 1 50); do [ "$(wc -l <"$T_DIR/hook.json" 2>/dev/null)" -ge 3 ] && break; sleep 0.1; done
python3 - "$T_DIR/hook.json" "$D" <<'PY' || t_fail "webhook body: $(cat "$T_DIR/hook.json")"
import json, os, sys
bodies = [json.loads(l) for l in open(sys.argv[1]).read().splitlines()]
assert [b["event"] for b in bodies] == ["start", "fault", "end"], bodies
run_id = os.path.basename(sys.argv[2].rstrip("/"))
link = "https://drills.example/reports/%s/report.html" % run_id
assert bodies[1]["text"] == "firedrill: report-check: fault p (pause) applied, heals in 1s. Report: " + link, bodies[1]
assert all(b["report"] == link and b["run_id"] == run_id for b in bodies), bodies
body = bodies[-1]
assert body["scenario"] == "report-check" and body["verdict"] == "error", body
assert body["text"].startswith("firedrill: report-check error (exit 4)"), body["text"]
assert body["text"].endswith("Report: " + link), body["text"]
assert body["run_dir"].rstrip("/") == sys.argv[2].rstrip("/"), body["run_dir"]
assert "failover_time_s" in body and "lost_writes" in body
PY
grep -q "$FD_TEST_TOKEN" "$T_DIR/hook.json" && t_fail "the token is in the webhook body"
t_end

t_begin "a webhook that cannot be reached is reported and does not change the verdict"
sed "s|http://127.0.0.1:$port/hook|http://127.0.0.1:9/hook|" "$T_DIR/rep.yaml" >"$T_DIR/rep2.yaml"
expect_exit 4 $FD run "$T_DIR/rep2.yaml" --report-dir "$T_DIR/reports2"
grep -q "the webhook notification to http://127.0.0.1:9/hook?token=\*\*\* failed: .*(the verdict stands)" "$T_ERR" || t_fail "$(cat "$T_ERR")"
grep -q "2 stage messages to http://127.0.0.1:9/hook?token=\*\*\* not delivered: .*(the verdict stands)" "$T_ERR" || t_fail "$(cat "$T_ERR")"
t_end

t_begin "report.html in headless Chromium: the timeline SVG is there, no console errors"
profile=$(mktemp -d)
timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --enable-logging=stderr --v=0 --window-size=1100,1400 \
    --screenshot="$T_DIR/report.png" "file://${D}report.html" 2>"$T_DIR/chromium.log" >/dev/null
[ -s "$T_DIR/report.png" ] || t_fail "no screenshot: $(tail -5 "$T_DIR/chromium.log")"
grep -i "CONSOLE" "$T_DIR/chromium.log" && t_fail "console messages above"
timeout 90 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
    --disable-background-networking --disable-component-update --disable-sync \
    --user-data-dir="$profile" --dump-dom "file://${D}report.html" 2>/dev/null >"$T_DIR/dom.html"
grep -q '<svg' "$T_DIR/dom.html" || t_fail "no svg in the rendered page"
grep -q 'class="fault"' "$T_DIR/dom.html" || t_fail "no fault band in the page"
[ -n "${FD_KEEP_SCREENSHOT:-}" ] && cp "$T_DIR/report.png" "$FD_KEEP_SCREENSHOT"
rm -rf "$profile"
t_end

t_begin "firedrill report renders any format again from the run directory"
rm -f "$D/report.md" "$D/junit.xml" "$D/report.html"
expect_exit 0 $FD report "$D" --format markdown
[ -s "$D/report.md" ] && [ ! -e "$D/report.html" ] || t_fail "--format markdown"
expect_exit 0 $FD report "$D"
[ -s "$D/report.html" ] && [ -s "$D/junit.xml" ] || t_fail "all formats"
expect_exit 0 $FD report --index "$T_DIR/reports"
expect_exit 2 $FD report "$T_DIR/nowhere"
t_end

t_done
