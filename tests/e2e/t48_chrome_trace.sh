#!/usr/bin/env bash
# t48_chrome_trace: golive build --chrome-trace and --trace-out on real builds.
#  - `golive build -a --chrome-trace F encoding/json` under a valid TRACEPARENT:
#    F is valid Chrome trace JSON with one "build" span (tid 0) and one span
#    per non-probe tool run of the session (--keep), named by tool; spans on one
#    lane never overlap; the build span covers them all; no warning printed;
#    --trace-out writes the same spans as one OTLP/JSON line, all in the incoming
#    trace, the build span the child of the incoming span, tools its children;
#  - a garbage TRACEPARENT: exactly one warning naming it, the build and the
#    trace go on;
#  - a failing compile: the trace is still written, the build span and the
#    compile span carry "error": true, golive exits with go's status;
#  - an unwritable path: exit 2 before anything is built, one line naming it.
. "$(dirname "$0")/lib.sh"

# check_trace FILE EVENTS: the trace against the session's events.
check_trace() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
evs = [json.loads(l) for l in open(sys.argv[2])]
runs = [e for e in evs if not e.get("probe")]
X = [e for e in d["traceEvents"] if e["ph"] == "X"]
M = [e for e in d["traceEvents"] if e["ph"] == "M"]
bad = []
roots = [e for e in X if e["tid"] == 0]
if len(roots) != 1 or roots[0]["name"] != "build":
    bad.append("want one build span on tid 0, got %r" % [e["name"] for e in roots])
kids = [e for e in X if e["tid"] != 0]
if len(kids) != len(runs):
    bad.append("%d tool spans, %d tool runs in events.jsonl" % (len(kids), len(runs)))
want = sorted((e["tool"], e.get("importpath") or "") for e in runs)
got = sorted((e["name"], e["args"].get("golive.importpath", "")) for e in kids)
if want != got:
    bad.append("spans do not match the runs")
lanes = {}
for e in kids:
    lanes.setdefault(e["tid"], []).append((e["ts"], e["ts"] + e["dur"]))
for tid, iv in lanes.items():
    iv.sort()
    for a, b in zip(iv, iv[1:]):
        if b[0] < a[1]:
            bad.append("lane %d: overlap %r %r" % (tid, a, b))
if roots:
    r = roots[0]
    for e in kids:
        if e["ts"] < r["ts"] or e["ts"] + e["dur"] > r["ts"] + r["dur"]:
            bad.append("%s is outside the build span" % e["name"])
if not any(m["name"] == "process_name" for m in M):
    bad.append("no process_name metadata")
print("\n".join(bad) if bad else "ok %d spans on %d lanes" % (len(X), len(lanes)))
EOF
}

# --- a parallel build under a valid TRACEPARENT ------------------------------------------
export TRACEPARENT=00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01
"$GOLIVE" build -a --keep --json --chrome-trace "$tmp/t1.json" --trace-out "$tmp/t1.otlp" \
	-o /dev/null encoding/json \
	>"$tmp/t1.out" 2>"$tmp/t1.err" || fail "golive build failed: $(tail -5 "$tmp/t1.err")"
! grep -q 'warning' "$tmp/t1.err" || fail "a valid TRACEPARENT gave a warning: $(grep warning "$tmp/t1.err")"
sess=$(json_get "$tmp/t1.out" 'd["session"]')
res=$(check_trace "$tmp/t1.json" "$sess/events.jsonl")
case $res in ok*) pass "encoding/json -a: $res" ;; *) fail "trace: $res" ;; esac
lanes=$(python3 -c 'import json,sys; print(len({e["tid"] for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"]=="X" and e["tid"]}))' "$tmp/t1.json")
[ "$lanes" -ge 2 ] || fail "a parallel build used $lanes lane(s)"
pass "tools that ran at once are on $lanes lanes"
res=$(python3 - "$tmp/t1.otlp" "$tmp/t1.json" <<'EOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 1, "want one OTLP line, got %d" % len(lines)
rs = json.loads(lines[0])["resourceSpans"]
spans = rs[0]["scopeSpans"][0]["spans"]
X = [e for e in json.load(open(sys.argv[2]))["traceEvents"] if e["ph"] == "X"]
root = [s for s in spans if s["name"] == "build"]
bad = []
if len(spans) != len(X):
    bad.append("%d OTLP spans, %d Chrome spans" % (len(spans), len(X)))
if {s["traceId"] for s in spans} != {"0af7651916cd43dd8448eb211c80319c"}:
    bad.append("not every span is in the incoming trace")
if len(root) != 1 or root[0].get("parentSpanId") != "b7ad6b7169203331":
    bad.append("the build span is not the child of the incoming span")
kids = [s for s in spans if s["name"] != "build"]
if root and any(s.get("parentSpanId") != root[0]["spanId"] for s in kids):
    bad.append("a tool span's parent is not the build span")
if len({s["spanId"] for s in spans}) != len(spans):
    bad.append("span ids repeat")
keys = {a["key"] for a in rs[0]["resource"]["attributes"]}
if "service.name" not in keys:
    bad.append("no service.name")
if any(not isinstance(a["value"].get("intValue", ""), str) for s in kids for a in s["attributes"]):
    bad.append("an intValue is not a string")
print("\n".join(bad) if bad else "ok %d spans" % len(spans))
EOF
)
case $res in ok*) pass "--trace-out: OTLP/JSON, $res in the TRACEPARENT's trace, tool spans children of the build span" ;; *) fail "OTLP: $res" ;; esac

# --- a garbage TRACEPARENT ---------------------------------------------------------------
w=$tmp/webapp
copy_webapp "$w"
export TRACEPARENT=00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01
(cd "$w" && "$GOLIVE" build --quiet --chrome-trace "$tmp/t2.json" -o "$tmp/app" .) 2>"$tmp/t2.err" ||
	fail "golive build failed with a bad TRACEPARENT: $(cat "$tmp/t2.err")"
expect_eq "$(grep -c 'TRACEPARENT' "$tmp/t2.err")" 1 "a bad TRACEPARENT: one warning"
grep -q 'uppercase' "$tmp/t2.err" || fail "the warning does not say what is wrong: $(cat "$tmp/t2.err")"
python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$tmp/t2.json" || fail "t2.json is not JSON"
pass "a bad TRACEPARENT: warning, build ok, trace written"
unset TRACEPARENT

# --- a failing compile -------------------------------------------------------------------
echo 'func broken() { undefined() }' >>"$w/main.go"
set +e
(cd "$w" && "$GOLIVE" build --quiet --chrome-trace "$tmp/t3.json" -o "$tmp/app" .) 2>"$tmp/t3.err"
rc=$?
set -e
[ "$rc" -ne 0 ] || fail "a broken build exited 0"
res=$(python3 - "$tmp/t3.json" <<'EOF'
import json, sys
X = [e for e in json.load(open(sys.argv[1]))["traceEvents"] if e["ph"] == "X"]
b = [e for e in X if e["name"] == "build"][0]
c = [e for e in X if e["name"] == "compile" and e["args"].get("golive.importpath") == "example.com/webapp"]
print(b["args"].get("error") is True and len(c) == 1 and c[0]["args"].get("error") is True
      and c[0]["args"]["process.exit.code"] != 0)
EOF
)
expect_eq "$res" True "a failing compile: build and compile spans marked as errors"

# --- an unwritable path ------------------------------------------------------------------
set +e
(cd "$w" && "$GOLIVE" build --chrome-trace "$tmp/nosuchdir/t.json" .) >"$tmp/t4.out" 2>"$tmp/t4.err"
rc=$?
set -e
expect_eq "$rc" 2 "an unwritable --chrome-trace path: exit 2"
expect_eq "$(wc -l <"$tmp/t4.err" | tr -d ' ')" 1 "one line of error"
grep -q "nosuchdir/t.json" "$tmp/t4.err" || fail "the error does not name the path"
pass "the error names the path"

finish
