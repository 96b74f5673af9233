#!/usr/bin/env bash
# t45_analysis_build: golive's analysis in the build, and the same findings
# through every entry point.
#  - a copy of examples/webapp with a handler that drops the request's context
#    (context.Background, http.Get) and logs without it (log.Printf), plus a cgo
#    file with a finding (analysed through the //line of cgo's generated file);
#  - golive build prints the findings grouped under "# example.com/webapp",
#    after go's output, and counts them in the text and JSON summaries; the
#    binary is byte-identical to plain go build's; with fail_on never the
#    wrapper sends the compile's sources to the session's analyser (its queue
#    analyse.jsonl; the wrapper's event carries no "diags") and diags.jsonl has
#    the findings, which the --json summary and the trace count per compile
#    (std is built once, plainly, into a cache both builds start from: the
#    module's packages are what both compile); killing the analyser mid-build
#    loses nothing (golive build analyses what it left);
#  - go vet -vettool=golive and golive check report the same
#    file:line:col [analyzer] message lines;
#  - a second golive build, every package a go cache hit (the wrapper compiles
#    nothing), replays the same findings from golive's analysis cache;
#  - a plain go build and a plain go build -toolexec=golive afterwards print nothing.
#  - the log.Printf finding is reported on every Go: the copy says go 1.21 where
#    the toolchain has it (slog advice); older ones compile it as their own Go
#    (go 1.19: no -lang, no vet.cfg GoVersion: the request-scoped logger pattern).
. "$(dirname "$0")/lib.sh"

w=$tmp/webapp
copy_webapp "$w"
lt=1 # logtrace reports on every Go (docs/analyzers.md, logtrace by Go version)
if go_at_least 1.21; then
	sed -i 's/^go 1\.19$/go 1.21/' "$w/go.mod"
fi
nd=$((3 + lt)) # the planted findings
mkdir -p "$tmp/bin" "$tmp/out"
export GOCACHE=$tmp/gocache GOLIVE_CACHE_DIR=$tmp/anacache
# std from CTest's fixture (lib.sh) before the plain std build below (then go cache hits).
seed_std_cache "$GOCACHE"
cat >"$w/api.go" <<'EOF'
package main

import (
	"context"
	"log"
	"net/http"
)

func apiHandler(w http.ResponseWriter, r *http.Request) {
	ctx := context.Background()
	_ = ctx
	resp, err := http.Get("http://example.com/")
	if err != nil {
		log.Printf("fetch failed: %v", err)
		return
	}
	resp.Body.Close()
}
EOF
cat >"$w/native.go" <<'EOF'
package main

// static int answer(void) { return 42; }
import "C"

import (
	"context"
	"net/http"
)

func nativeHandler(w http.ResponseWriter, r *http.Request) {
	_ = context.TODO()
	_ = C.answer()
}
EOF
cd "$w"

# file:line:col: [analyzer] message lines of a go-style output, "./" dropped, sorted.
findings() { grep -E '^[^ #]+\.go:[0-9]+:[0-9]+: \[[a-z0-9_.-]+\] ' "$1" | sed -E 's#^\./##' | LC_ALL=C sort; }

# Where the planted findings are (the messages are the analyzers' business: compared
# between entry points below, not spelled out here).
{
	echo 'api.go:10:9: [httpctx]'
	echo 'api.go:12:15: [httpctx]'
	[ "$lt" = 0 ] || echo 'api.go:14:3: [logtrace]'
	echo 'native.go:12:6: [httpctx]'
} >"$tmp/out/want"

# --- 1. golive build: findings after go's output, identical binary --------------
# std (and nothing of the module) in the cache first, copied for the plain build.
go build $(go list -deps -f '{{if .Standard}}{{.ImportPath}}{{end}}' .) || fail "building webapp's std packages failed"
cp -a "$GOCACHE" "$tmp/gc-plain"
rc=0
"$GOLIVE" build --keep --trace-out "$tmp/out/b1.otlp.jsonl" -o "$tmp/bin/golive" . >"$tmp/out/b1.out" 2>"$tmp/out/b1.err" || rc=$?
expect_eq "$rc" 0 "golive build with findings below fail_on succeeds"
findings "$tmp/out/b1.err" >"$tmp/out/build"
cut -d' ' -f1-2 "$tmp/out/build" >"$tmp/out/build.pos"
expect_same_file "$tmp/out/want" "$tmp/out/build.pos" "golive build prints the planted findings"
grep -q 'r\.Context()' "$tmp/out/build" || fail "the messages name r.Context(): $(cat "$tmp/out/build")"
pass "messages name the handler's r.Context()"
n=$(grep -c '^# example.com/webapp$' "$tmp/out/b1.err" || true)
expect_eq "$n" 1 "findings grouped under one '# example.com/webapp' header"
first=$(grep -n -m1 '^# example.com/webapp$' "$tmp/out/b1.err" | cut -d: -f1)
summ=$(grep -n -m1 '^golive: build ok' "$tmp/out/b1.err" | cut -d: -f1)
[ -n "$first" ] && [ -n "$summ" ] && [ "$first" -lt "$summ" ] || fail "findings must come before the summary: $(cat "$tmp/out/b1.err")"
pass "findings printed before the summary"
grep -q "^diagnostics: $nd in 1 package (1 analysed in this build, 0 replayed" "$tmp/out/b1.err" ||
	fail "summary lacks the diagnostics line: $(cat "$tmp/out/b1.err")"
pass "text summary counts the findings"
expect_eq "$(cat "$tmp/out/b1.out")" "" "nothing on stdout without --json"

GOCACHE=$tmp/gc-plain go build -o "$tmp/bin/plain" . >"$tmp/out/plain" 2>&1 || fail "plain go build failed: $(cat "$tmp/out/plain")"
expect_same_file "$tmp/bin/plain" "$tmp/bin/golive" "golive build with analysis: binary identical to plain go build"

sess=$(sed -n 's/^golive: session kept in //p' "$tmp/out/b1.err")
[ -d "$sess" ] || fail "no kept session: $(cat "$tmp/out/b1.err")"
problems=$(check_events_file "$sess/events.jsonl") || fail "events.jsonl malformed: $problems"
[ -f "$sess/analysis.defer" ] || fail "fail_on never: no analysis.defer in the session"
n=$(count_events "$sess/analyse.jsonl" "e.get('importpath')=='example.com/webapp' and '$w/main.go' in e.get('files', [])")
expect_eq "$n" 1 "fail_on never: the compile of example.com/webapp went to the session's analyser"
expect_eq "$(count_events "$sess/analyse.jsonl" "e.get('end') is True")" 1 "golive build ended the analyser's queue"
n=$(count_events "$sess/events.jsonl" "'diags' in e")
expect_eq "$n" 0 "the wrappers analysed nothing themselves"
n=$(count_events "$sess/analyse.jsonl" "'files' in e and e.get('importpath')!='example.com/webapp'")
expect_eq "$n" 0 "no other package was analysed"
n=$(python3 - "$tmp/out/b1.otlp.jsonl" <<'EOF'
import json, sys
found = []
for l in open(sys.argv[1]):
    for rs in json.loads(l)["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for sp in ss["spans"]:
                a = {x["key"]: x["value"] for x in sp.get("attributes", [])}
                if a.get("golive.importpath", {}).get("stringValue") == "example.com/webapp" and "golive.diagnostics" in a:
                    found.append(int(a["golive.diagnostics"]["intValue"]))
print(found)
EOF
)
expect_eq "$n" "[$nd]" "the trace's compile span of example.com/webapp counts its $nd findings"
# std compiled through the wrapper is not analysed (include_deps: false): a small -a build.
sm=$tmp/small
new_module "$sm" example.com/small
printf 'package main\n\nimport "strings"\n\nfunc main() { println(strings.ToUpper("x")) }\n' >"$sm/main.go"
(cd "$sm" && "$GOLIVE" build -a --keep -o "$tmp/bin/small" .) >"$tmp/out/sm.out" 2>"$tmp/out/sm.err" ||
	fail "golive build -a of a small module failed: $(cat "$tmp/out/sm.err")"
ssm=$(sed -n 's/^golive: session kept in //p' "$tmp/out/sm.err")
n=$(count_events "$ssm/events.jsonl" "e['tool']=='compile' and not e['probe'] and e.get('importpath') in ('strings','runtime')")
expect_eq "$n" 2 "-a: std (strings, runtime) compiled through the wrapper"
n=$(count_events "$ssm/analyse.jsonl" "'files' in e and e.get('importpath')!='example.com/small'")
expect_eq "$n" 0 "no std package compiled under -a was analysed"
rm -rf "$ssm"
n=$(count_events "$sess/diags.jsonl" "e['importpath']=='example.com/webapp' and len(e['diags'])==$nd and e['dir']=='$w' and len(e['key'])==32 and not e['printed']")
expect_eq "$n" 1 "diags.jsonl: one line for example.com/webapp with its findings and cache key"
expect_eq "$(count_lines "$sess/diags.jsonl")" 1 "diags.jsonl has nothing else"
[ -f "$sess/analysis.json" ] || fail "no analysis.json in the session"
expect_eq "$(json_get "$sess/analysis.json" "d['root']")" "$w" "analysis.json names the module root"
n=$(find "$GOLIVE_CACHE_DIR" -name '*.json' | wc -l | tr -d ' ')
[ "$n" -ge 1 ] || fail "nothing stored in the analysis cache $GOLIVE_CACHE_DIR"
pass "findings stored in the analysis cache ($n entries)"
[ -z "$(find "$GOCACHE" -mindepth 1 \( -name '*golive*' -o -name '*.json' \) -print -quit)" ] || fail "golive wrote into GOCACHE"
pass "nothing of golive's inside GOCACHE"

# --- 2. go vet -vettool and golive check: the same findings ----------------------
rc=0
go vet -vettool="$GOLIVE" . >"$tmp/out/vet.out" 2>"$tmp/out/vet.err" || rc=$?
expect_eq "$rc" "$VET_FAIL" "go vet -vettool=golive fails on findings (go vet's status $VET_FAIL)"
vet_text "$tmp/out/vet.err" >"$tmp/out/vet"
vet_text "$tmp/out/build" >"$tmp/out/build.vet"
expect_same_file "$tmp/out/build.vet" "$tmp/out/vet" "go vet -vettool=golive: the same findings as golive build"
if [ "$VET_NEW" = 1 ]; then
	n=$(grep -c '\[httpctx\]\|^# ' "$tmp/out/vet.err" || true)
	expect_eq "$n" 0 "go vet (>= 1.26) prints them itself: no [analyzer], no '# pkg' header"
else
	grep -q '^# example.com/webapp$' "$tmp/out/vet.err" || fail "go vet output lacks '# example.com/webapp'"
	pass "go vet shows them under # example.com/webapp"
	findings "$tmp/out/vet.err" >"$tmp/out/vet.full"
	expect_same_file "$tmp/out/build" "$tmp/out/vet.full" "go vet (< 1.26): the same lines as golive build, [analyzer] included"
fi

rc=0
"$GOLIVE" check ./... >"$tmp/out/check.out" 2>"$tmp/out/check.err" || rc=$?
expect_eq "$rc" 0 "golive check: findings below fail_on exit 0"
cat "$tmp/out/check.out" "$tmp/out/check.err" >"$tmp/out/check.all"
findings "$tmp/out/check.all" >"$tmp/out/check"
expect_same_file "$tmp/out/build" "$tmp/out/check" "golive check: the same findings as golive build"

# --- 3. second golive build: every package from go's cache, findings replayed ----
rc=0
"$GOLIVE" build --keep -o "$tmp/bin/golive2" . >"$tmp/out/b2.out" 2>"$tmp/out/b2.err" || rc=$?
expect_eq "$rc" 0 "second golive build succeeds"
sess2=$(sed -n 's/^golive: session kept in //p' "$tmp/out/b2.err")
n=$(count_events "$sess2/events.jsonl" "e['tool'] in ('compile','asm','cgo') and not e['probe']")
expect_eq "$n" 0 "second build: the wrapper compiled nothing (all go cache hits)"
expect_eq "$(count_lines "$sess2/diags.jsonl")" 0 "second build: no wrapper analysed anything"
findings "$tmp/out/b2.err" >"$tmp/out/build2"
expect_same_file "$tmp/out/build" "$tmp/out/build2" "second build: the same findings, replayed"
grep -q "^diagnostics: $nd in 1 package (0 analysed in this build, 1 replayed" "$tmp/out/b2.err" ||
	fail "second build summary: $(cat "$tmp/out/b2.err")"
pass "second build summary says the findings were replayed"

rc=0
"$GOLIVE" build --json -o "$tmp/bin/golive3" . >"$tmp/out/b3.json" 2>"$tmp/out/b3.err" || rc=$?
expect_eq "$rc" 0 "golive build --json succeeds"
expect_eq "$(json_get "$tmp/out/b3.json" "len(d['diagnostics'])")" "$nd" "JSON summary: $nd diagnostics"
expect_eq "$(json_get "$tmp/out/b3.json" "sorted(set(x['importpath'] for x in d['diagnostics']))")" '["example.com/webapp"]' "JSON diagnostics carry the import path"
expect_eq "$(json_get "$tmp/out/b3.json" "[x['file']+':'+str(x['line'])+':'+str(x['col']) for x in d['diagnostics']][0]")" "api.go:10:9" "JSON diagnostics: file relative to the cwd, line, col"
expect_eq "$(json_get "$tmp/out/b3.json" "all(x['severity'] in ('info','warning','error') and x['replayed'] for x in d['diagnostics'])")" true "JSON diagnostics carry the severity and say they were replayed"
findings "$tmp/out/b3.err" >"$tmp/out/build3"
expect_same_file "$tmp/out/build" "$tmp/out/build3" "--json: findings still printed on stderr"

# An edited file is analysed again (new cache key), the others replayed.
sed -i 's/log.Printf("fetch failed: %v", err)/_ = log.Prefix() + err.Error()/' api.go
rc=0
"$GOLIVE" build --quiet -o "$tmp/bin/golive4" . >/dev/null 2>"$tmp/out/b4.err" || rc=$?
expect_eq "$rc" 0 "build after an edit succeeds"
n=$(findings "$tmp/out/b4.err" | grep -c logtrace || true)
expect_eq "$n" 0 "the fixed finding is gone after the edit"
n=$(findings "$tmp/out/b4.err" | wc -l | tr -d ' ')
expect_eq "$n" 3 "the other findings remain"
sed -i 's/_ = log.Prefix() + err.Error()/log.Printf("fetch failed: %v", err)/' api.go

# --- 4. plain go afterwards prints nothing of golive's ----------------------------
rc=0
go build -o "$tmp/bin/plain2" . >"$tmp/out/p2" 2>&1 || rc=$?
expect_eq "$rc" 0 "plain go build after golive builds succeeds"
expect_eq "$(cat "$tmp/out/p2")" "" "plain go build after golive build prints nothing"
rc=0
go build -toolexec="$GOLIVE" -o "$tmp/bin/exec" . >"$tmp/out/e2" 2>&1 || rc=$?
expect_eq "$rc" 0 "go build -toolexec=golive (no session, fail_on never) succeeds"
expect_eq "$(cat "$tmp/out/e2")" "" "go build -toolexec=golive (no session) prints nothing"
# A new comment changes the package's action ID: the wrapper compiles (and analyses) it.
printf '\n// recompiled %s\n' "$(date +%s%N)" >>main.go
rc=0
go build -toolexec="$GOLIVE" -o "$tmp/bin/exec-a" . >"$tmp/out/e3" 2>&1 || rc=$?
expect_eq "$rc" 0 "go build -toolexec=golive (no session, the package recompiled) succeeds"
expect_eq "$(cat "$tmp/out/e3")" "" "go build -toolexec=golive (no session, compiles run) prints nothing"

finish
