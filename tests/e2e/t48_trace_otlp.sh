#!/usr/bin/env bash
# t48_trace_otlp: golive build's OTLP/HTTP export, trace propagation and JSON
# logs, against tests/otlp_receiver.py (a real HTTP server on 127.0.0.1 that
# validates every request field by field):
#  - `golive build -a encoding/json` under TRACEPARENT/TRACESTATE with
#    OTEL_EXPORTER_OTLP_ENDPOINT: one valid request; every span in the incoming
#    trace; the build span the child of the incoming span; every tool span a
#    child of the build span with the span id its wrapper recorded
#    (events.jsonl); tracestate carried; OTEL_SERVICE_NAME and
#    OTEL_RESOURCE_ATTRIBUTES in the resource; gzip and headers when asked;
#  - collector faults (503 + Retry-After then 200, 400, partialSuccess, a
#    hang past the timeout, nothing listening): exit status and binary
#    unchanged, one warning naming the problem, retries only where allowed;
#  - OTEL_SDK_DISABLED=true and OTEL_TRACES_EXPORTER=none: nothing sent;
#  - a failing build: exported with error status, golive exits with go's status;
#  - --log-format json: every stderr line is a JSON log record carrying the
#    build's trace id; go's own output relayed with "logger":"go".
. "$(dirname "$0")/lib.sh"

recv=$GOLIVE_SRC/tests/otlp_receiver.py
unset OTEL_SDK_DISABLED OTEL_TRACES_EXPORTER OTEL_EXPORTER_OTLP_ENDPOINT OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \
	OTEL_EXPORTER_OTLP_HEADERS OTEL_EXPORTER_OTLP_TIMEOUT OTEL_EXPORTER_OTLP_COMPRESSION \
	OTEL_SERVICE_NAME OTEL_RESOURCE_ATTRIBUTES TRACEPARENT TRACESTATE || true

# start_receiver NAME SCRIPT: a receiver logging to $tmp/NAME.log; sets $port and $rlog.
rpid=
start_receiver() {
	stop_receiver
	rlog=$tmp/$1.log
	: >"$rlog"
	setsid python3 "$recv" --log "$rlog" --script "$2" --idle-timeout 120 >"$tmp/$1.port" 2>"$tmp/$1.rerr" &
	rpid=$!
	track_pid "$rpid"
	wait_until "grep -q '^PORT ' '$tmp/$1.port'" 10 || fail "the receiver did not start: $(cat "$tmp/$1.rerr")"
	port=$(awk '/^PORT /{print $2; exit}' "$tmp/$1.port")
}
stop_receiver() {
	if [ -n "$rpid" ]; then
		kill -TERM -- "-$rpid" 2>/dev/null || true
		wait "$rpid" 2>/dev/null || true
		rpid=
	fi
}
requests() { count_lines "$rlog"; }

w=$tmp/webapp
copy_webapp "$w"

# --- a parallel build, exported, under an incoming trace -----------------------------------
start_receiver ok 200
export TRACEPARENT=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
export TRACESTATE='congo=t61rcWkgMzE, rojo=00f067aa0ba902b7'
OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$port OTEL_SERVICE_NAME=ci-build \
	OTEL_RESOURCE_ATTRIBUTES='deployment.environment=ci,team=build%20tools' \
	OTEL_EXPORTER_OTLP_HEADERS='x-api-key=s3cret,x-tenant=golive' OTEL_EXPORTER_OTLP_COMPRESSION=gzip \
	"$GOLIVE" build -a --keep --json -o /dev/null encoding/json >"$tmp/b1.out" 2>"$tmp/b1.err" ||
	fail "golive build failed: $(tail -5 "$tmp/b1.err")"
! grep -q 'warning' "$tmp/b1.err" || fail "warnings: $(grep warning "$tmp/b1.err")"
expect_eq "$(requests)" 1 "one export request"
sess=$(json_get "$tmp/b1.out" 'd["session"]')
res=$(python3 - "$rlog" "$sess/events.jsonl" <<'EOF'
import json, sys
reqs = [json.loads(l) for l in open(sys.argv[1])]
evs = [json.loads(l) for l in open(sys.argv[2])]
runs = [e for e in evs if not e.get("probe")]
r = reqs[0]
bad = []
if not r["valid"]:
    bad.append("receiver: " + str(r["error"]))
if not r["gzip"]:
    bad.append("not gzip-compressed")
h = r["headers"]
if h.get("x-api-key") != "s3cret" or h.get("x-tenant") != "golive":
    bad.append("headers missing: %r" % h)
rs = r["body"]["resourceSpans"][0]
res = {a["key"]: a["value"] for a in rs["resource"]["attributes"]}
if res.get("service.name", {}).get("stringValue") != "ci-build":
    bad.append("service.name %r" % res.get("service.name"))
if res.get("deployment.environment", {}).get("stringValue") != "ci" or res.get("team", {}).get("stringValue") != "build tools":
    bad.append("OTEL_RESOURCE_ATTRIBUTES not in the resource: %r" % res)
spans = rs["scopeSpans"][0]["spans"]
if {s["traceId"] for s in spans} != {"0af7651916cd43dd8448eb211c80319c"}:
    bad.append("not all spans in the incoming trace")
root = [s for s in spans if s["name"] == "build"]
if len(root) != 1 or root[0].get("parentSpanId") != "b7ad6b7169203331":
    bad.append("the build span is not the incoming span's child")
kids = [s for s in spans if s["name"] != "build"]
if len(kids) != len(runs):
    bad.append("%d tool spans for %d runs" % (len(kids), len(runs)))
if root and any(s.get("parentSpanId") != root[0]["spanId"] for s in kids):
    bad.append("a tool span's parent is not the build span")
rec = {e.get("span_id") for e in runs}
if None in rec:
    bad.append("a wrapper recorded no span id")
if {s["spanId"] for s in kids} != rec:
    bad.append("tool span ids are not the wrappers' own")
if any(e.get("parent_span_id") != root[0]["spanId"] for e in runs):
    bad.append("a wrapper's parent is not the build span")
if any(s.get("traceState") != "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7" for s in spans):
    bad.append("traceState not carried: %r" % {s.get("traceState") for s in spans})
ra = {a["key"]: a["value"] for a in root[0]["attributes"]} if root else {}
for k in ("golive.go_version", "golive.packages", "golive.tool_runs", "process.exit.code"):
    if k not in ra:
        bad.append("build span lacks " + k)
ka = {a["key"] for a in kids[0]["attributes"]} if kids else set()
for k in ("process.executable.path", "golive.cpu_user_ns", "golive.maxrss_kb", "process.exit.code"):
    if k not in ka:
        bad.append("tool span lacks " + k)
print("\n".join(bad) if bad else "ok %d spans" % len(spans))
EOF
)
case $res in ok*) pass "-a encoding/json: $res, propagation, resource, gzip and headers checked" ;; *) fail "$res" ;; esac
unset TRACEPARENT TRACESTATE

# build_with NAME [ENV=VAL...]: the webapp built with golive, stderr in $tmp/NAME.err; sets rc and secs.
build_with() {
	local name=$1
	shift
	local t0 t1
	t0=$(date +%s.%N)
	set +e
	(cd "$w" && env "$@" "$GOLIVE" build --quiet -o "$tmp/$name.bin" .) >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	set -e
	t1=$(date +%s.%N)
	secs=$(python3 -c "print(round($t1 - $t0, 2))")
}
ep() { echo "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$port"; }

# --- 503 with Retry-After, then 200: retried, no warning -----------------------------------
start_receiver retry "503:1,200"
build_with retry "$(ep)"
expect_eq "$rc" 0 "503 then 200: exit 0"
expect_eq "$(requests)" 2 "503 with Retry-After 1: retried once"
! grep -q warning "$tmp/retry.err" || fail "a retried export warned: $(cat "$tmp/retry.err")"
[ -x "$tmp/retry.bin" ] || fail "no binary"

# --- 400: no retry, one warning ------------------------------------------------------------
start_receiver bad "400"
build_with bad "$(ep)"
expect_eq "$rc" 0 "400: exit status unchanged"
expect_eq "$(requests)" 1 "400 is not retried"
expect_eq "$(grep -c 'warning' "$tmp/bad.err")" 1 "400: one warning"
grep -q '400' "$tmp/bad.err" || fail "the warning does not name the status: $(cat "$tmp/bad.err")"

# --- partialSuccess: a warning naming the rejected spans -----------------------------------
start_receiver partial "partial:2:spans too old"
build_with partial "$(ep)"
expect_eq "$rc" 0 "partialSuccess: exit 0"
grep -q 'rejected 2 .*spans too old' "$tmp/partial.err" || fail "partialSuccess not reported: $(cat "$tmp/partial.err")"
pass "partialSuccess reported as one warning: $(grep warning "$tmp/partial.err" | head -c 160)"

# --- a collector that hangs: bounded by the timeout ----------------------------------------
start_receiver hang "hang"
build_with base0 # a baseline build of the same tree, no export
base=$secs
build_with hang "$(ep)" OTEL_EXPORTER_OTLP_TIMEOUT=1500
expect_eq "$rc" 0 "a hanging collector: exit 0"
[ -x "$tmp/hang.bin" ] || fail "no binary"
grep -q 'warning' "$tmp/hang.err" || fail "a hang was not reported"
python3 -c "import sys; sys.exit(0 if $secs < $base + 1.5 + 8 else 1)" ||
	fail "a hanging collector held the build ${secs}s (baseline ${base}s, timeout 1.5s)"
pass "a hanging collector: ${secs}s against ${base}s without export (timeout 1.5 s), one warning"

# --- nothing listening ---------------------------------------------------------------------
stop_receiver
dead=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
build_with down "OTEL_EXPORTER_OTLP_ENDPOINT=http://127.0.0.1:$dead" OTEL_EXPORTER_OTLP_TIMEOUT=2000
expect_eq "$rc" 0 "collector down: exit 0"
expect_eq "$(grep -c warning "$tmp/down.err")" 1 "collector down: one warning"
expect_same_file "$tmp/down.bin" "$tmp/base0.bin" "collector down: the same binary as without export"

# --- turned off ----------------------------------------------------------------------------
start_receiver off 200
build_with off1 "$(ep)" OTEL_SDK_DISABLED=true
build_with off2 "$(ep)" OTEL_TRACES_EXPORTER=none
expect_eq "$(requests)" 0 "OTEL_SDK_DISABLED=true / OTEL_TRACES_EXPORTER=none: nothing sent"

# --- a failing build: exported as an error, go's exit status --------------------------------
start_receiver fail 200
cp "$w/main.go" "$tmp/main.go.orig"
echo 'func broken() { undefined() }' >>"$w/main.go"
set +e
(cd "$w" && go build -o "$tmp/plain.bin" .) >/dev/null 2>&1
gors=$?
set -e
[ "$gors" -ne 0 ] || fail "the broken tree built with plain go build"
build_with failed "$(ep)"
expect_eq "$rc" "$gors" "a broken build: go's exit status"
res=$(python3 - "$rlog" <<'EOF'
import json, sys
r = [json.loads(l) for l in open(sys.argv[1])][0]
spans = r["body"]["resourceSpans"][0]["scopeSpans"][0]["spans"]
b = [s for s in spans if s["name"] == "build"][0]
c = [s for s in spans if s["name"] == "compile" and s["status"].get("code") == 2]
print(r["valid"] and b["status"].get("code") == 2 and len(c) == 1)
EOF
)
expect_eq "$res" True "a failing build: build and compile spans exported with status ERROR"

# --- --log-format json -----------------------------------------------------------------------
set +e
(cd "$w" && TRACEPARENT=00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01 \
	"$GOLIVE" build --log-format json -o "$tmp/j.bin" .) >"$tmp/j.out" 2>"$tmp/j.err"
rc=$?
set -e
expect_eq "$rc" "$gors" "json logs: go's exit status"
go124=0
if go_at_least 1.24; then go124=1; fi
res=$(GO124=$go124 python3 - "$tmp/j.err" <<'EOF'
import json, os, sys
lines = open(sys.argv[1]).read().splitlines()
bad = []
recs = []
for l in lines:
    try:
        recs.append(json.loads(l))
    except ValueError:
        bad.append("not JSON: %r" % l)
for r in recs:
    for k in ("time", "level", "message", "trace_id", "span_id"):
        if k not in r:
            bad.append("%s missing in %r" % (k, r))
    if r.get("trace_id") != "4bf92f3577b34da6a3ce929d0e0e4736":
        bad.append("trace_id %r" % r.get("trace_id"))
    if r.get("level") not in ("error", "warn", "info"):
        bad.append("level %r" % r.get("level"))
go = [r for r in recs if r.get("logger") == "go"]
if not any("undefined" in r["message"] for r in go):
    bad.append("go's compile error not relayed as a log record")
if not any(r["message"].startswith("build failed") and "summary" in r for r in recs):
    bad.append("no build summary record")
if os.environ["GO124"] == "1":
    # go build -json: every line of go's output names its package.
    if not all(r.get("importpath") == "example.com/webapp" and r.get("action") in ("build-output", "build-fail") for r in go):
        bad.append("go's records without importpath/action: %r" % go)
    if not any(r.get("action") == "build-fail" and r["message"] == "build of example.com/webapp failed" for r in go):
        bad.append("no build-fail record")
    if not any(r["message"] == "# example.com/webapp" for r in go):
        bad.append("go's package header not relayed")
print("\n".join(bad) if bad else "ok %d records" % len(recs))
EOF
)
case $res in ok*) pass "--log-format json: $res, all with the build's trace id" ;; *) fail "$res" ;; esac
cp "$tmp/main.go.orig" "$w/main.go"

set +e
(cd "$w" && TRACEPARENT=garbage "$GOLIVE" build --log-format json -o "$tmp/j2.bin" .) >/dev/null 2>"$tmp/j2.err"
rc=$?
set -e
expect_eq "$rc" 0 "json logs, bad TRACEPARENT: the build goes on"
res=$(python3 -c '
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
w = [r for r in recs if r["level"] == "warn" and "TRACEPARENT" in r["message"]]
print(len(w))' "$tmp/j2.err")
expect_eq "$res" 1 "a bad TRACEPARENT: one warn record"

stop_receiver
finish
