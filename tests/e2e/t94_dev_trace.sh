#!/usr/bin/env bash
# t94_dev_trace: golive dev makes one trace per cycle, through the same
# exporters as golive build:
#  - `golive dev --listen --trace-out F --chrome-trace C` on examples/webapp with
#    OTEL_EXPORTER_OTLP_ENDPOINT at tests/otlp_receiver.py: a start cycle and an
#    edit cycle give two OTLP lines in F and two valid requests at the receiver,
#    each one trace: a root "cycle" span, the build's "build" span its child,
#    every tool span a child of "build" (the start cycle's full build has a
#    compile), a "restart" span child of "cycle" ending when the new program
#    was ready; the edit cycle took the fast path: its "build" span carries
#    golive.fast=1 and its compile and link spans (from the fast build's
#    result; they carry golive.fast=1 too); C is the latest cycle as a Chrome
#    trace;
#  - the program's environment carries neither golive's TRACEPARENT nor
#    OTEL_SDK_DISABLED (the build's env is its own);
#  - an unwritable --trace-out path: exit 2 before anything runs.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

dev_build_poller
unset OTEL_SDK_DISABLED OTEL_TRACES_EXPORTER OTEL_EXPORTER_OTLP_TRACES_ENDPOINT TRACEPARENT || true
w=$tmp/webapp
copy_webapp "$w"

setsid python3 "$GOLIVE_SRC/tests/otlp_receiver.py" --log "$tmp/r.log" --script 200 --idle-timeout 120 \
	>"$tmp/r.port" 2>"$tmp/r.err" &
track_pid $!
wait_until "grep -q '^PORT ' '$tmp/r.port'" 10 || fail "the receiver did not start: $(cat "$tmp/r.err")"
rport=$(awk '/^PORT /{print $2; exit}' "$tmp/r.port")

port=$(free_port)
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$rport dev_start d "$w" --listen "127.0.0.1:$port" \
	--trace-out "$tmp/cycles.jsonl" --chrome-trace "$tmp/last.json"
dev_wait d 'len([c for c in C if c["pid"]]) >= 1' 60 "first cycle"
wait_until "http_get 'http://127.0.0.1:$port/' >/dev/null" 10 || fail "the webapp does not answer$(dev_report d)"
pid1=$(dev_q d 'C[-1]["pid"]')
[ -z "$(env_of "$pid1" OTEL_SDK_DISABLED)" ] || fail "the program got OTEL_SDK_DISABLED"
[ -z "$(env_of "$pid1" TRACEPARENT)" ] || fail "the program got golive's TRACEPARENT"
pass "the program's environment is not the build's"

echo '// edited' >>"$w/main.go"
dev_wait d 'len([c for c in C if c["pid"]]) >= 2' 60 "the edit cycle"
wait_until "[ \$(count_lines '$tmp/cycles.jsonl') -ge 2 ] && [ \$(count_lines '$tmp/r.log') -ge 2 ]" 20 ||
	fail "want 2 cycle traces: $(count_lines "$tmp/cycles.jsonl") in the file, $(count_lines "$tmp/r.log") at the receiver"
dev_stop d INT

res=$(python3 - "$tmp/cycles.jsonl" "$tmp/r.log" "$tmp/last.json" <<'EOF'
import json, sys
lines = [json.loads(l) for l in open(sys.argv[1])]
reqs = [json.loads(l) for l in open(sys.argv[2])]
bad = []
if len(lines) != 2 or len(reqs) != 2:
    bad.append("%d file lines, %d requests" % (len(lines), len(reqs)))
if not all(r["valid"] for r in reqs):
    bad.append("invalid request: %r" % [r["error"] for r in reqs])
traces = []
for n, doc in enumerate(lines):
    spans = [s for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    by = {s["spanId"]: s for s in spans}
    cyc = [s for s in spans if s["name"] == "cycle"]
    if len(cyc) != 1 or "parentSpanId" in cyc[0]:
        bad.append("cycle %d: want one root cycle span" % n); continue
    cyc = cyc[0]
    if {s["traceId"] for s in spans} != {cyc["traceId"]}:
        bad.append("cycle %d: spans in several traces" % n)
    traces.append(cyc["traceId"])
    b = [s for s in spans if s["name"] == "build"]
    if len(b) != 1 or b[0].get("parentSpanId") != cyc["spanId"]:
        bad.append("cycle %d: the build span is not the cycle's child" % n); continue
    tools = [s for s in spans if s["name"] not in ("cycle", "build", "restart")]
    fast = {"key": "golive.fast", "value": {"intValue": "1"}} in b[0].get("attributes", [])
    if n == 1:
        # the fast path writes no spans itself: its compile and link, from its result
        names = sorted(s["name"] for s in tools)
        if not fast or "compile" not in names or names[-1] != "link" or any(
                s.get("parentSpanId") != b[0]["spanId"] or
                {"key": "golive.fast", "value": {"intValue": "1"}} not in s.get("attributes", []) or
                int(s["startTimeUnixNano"]) < int(b[0]["startTimeUnixNano"]) or
                int(s["endTimeUnixNano"]) > int(b[0]["endTimeUnixNano"]) for s in tools):
            bad.append("the edit cycle: want a fast build span over its compile and link spans: %r, %r" % (b[0].get("attributes"), [(s["name"], s.get("attributes")) for s in tools]))
    if n == 0 and (fast or not tools or any(s.get("parentSpanId") != b[0]["spanId"] for s in tools)):
        bad.append("cycle %d: tool spans not children of build: %r" % (n, [s["name"] for s in tools]))
    r = [s for s in spans if s["name"] == "restart"]
    if len(r) != 1 or r[0].get("parentSpanId") != cyc["spanId"]:
        bad.append("cycle %d: no restart span under cycle" % n)
    elif int(r[0]["endTimeUnixNano"]) > int(cyc["endTimeUnixNano"]) or int(b[0]["startTimeUnixNano"]) < int(cyc["startTimeUnixNano"]) - 50_000_000:
        bad.append("cycle %d: build/restart outside the cycle span" % n)
    if n == 0 and not any(s["name"] == "compile" for s in tools):
        bad.append("the start cycle compiled nothing")
if len(set(traces)) != len(traces):
    bad.append("two cycles share a trace")
sent = [s["traceId"] for r in reqs for rs in r["body"]["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"] if s["name"] == "cycle"]
if sorted(sent) != sorted(traces):
    bad.append("the receiver got other traces than the file")
X = [e for e in json.load(open(sys.argv[3]))["traceEvents"] if e["ph"] == "X"]
if not any(e["name"] == "cycle" for e in X) or not any(e["name"] == "build" and e.get("args", {}).get("golive.fast") == 1 for e in X):
    bad.append("the Chrome trace is not the edit cycle: %r" % [(e["name"], e.get("args")) for e in X])
print("\n".join(bad) if bad else "ok")
EOF
)
expect_eq "$res" ok "two cycles, two traces: cycle > build (> tools, or fast), cycle > restart; OTLP/HTTP, file and Chrome"

set +e
(cd "$w" && "$GOLIVE" dev --trace-out "$tmp/nosuchdir/x.jsonl") >"$tmp/bad.out" 2>"$tmp/bad.err"
rc=$?
set -e
expect_eq "$rc" 2 "an unwritable --trace-out: exit 2"
grep -q "nosuchdir/x.jsonl" "$tmp/bad.err" || fail "the error does not name the path: $(cat "$tmp/bad.err")"
finish
