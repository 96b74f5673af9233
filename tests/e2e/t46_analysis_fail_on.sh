#!/usr/bin/env bash
# t46_analysis_fail_on: analyzers.fail_on in the build.
#  - fail_on: error with an error-severity finding: golive build fails with the
#    findings shown once under "# example.com/webapp" (printed by the wrapper,
#    relayed by go); plain go build -toolexec=golive (no session) fails the same
#    way, again on the next run (a failed compile is not cached by go);
#  - findings below fail_on, or fail_on: never, print nothing in a plain
#    -toolexec build; once that build is cached, golive build replays the
#    findings from its analysis cache and exits 1 when they reach fail_on;
#  - a dependency with its own golive.yaml (fail_on: error) and findings never
#    fails the main module's build; a broken golive.yaml fails it with one line.
. "$(dirname "$0")/lib.sh"

w=$tmp/webapp
copy_webapp "$w"
mkdir -p "$tmp/bin" "$tmp/out"
export GOCACHE=$tmp/gocache GOLIVE_CACHE_DIR=$tmp/anacache
cat >"$w/api.go" <<'EOF'
package main

import (
	"context"
	"net/http"
)

func apiHandler(w http.ResponseWriter, r *http.Request) {
	_ = context.Background()
}
EOF
yaml() { printf 'analyzers:\n  fail_on: %s\n  httpctx:\n    severity: %s\n' "$1" "$2" >"$w/golive.yaml"; }
findings() { grep -E '^[^ #]+\.go:[0-9]+:[0-9]+: \[[a-z0-9_.-]+\] ' "$1" | sed -E 's#^\./##' | LC_ALL=C sort; }
cd "$w"

# --- 1. fail_on: error, an error finding: golive build fails ----------------------
yaml error error
rc=0
"$GOLIVE" build --keep -o "$tmp/bin/a" . >"$tmp/out/b1.out" 2>"$tmp/out/b1.err" || rc=$?
[ "$rc" -ne 0 ] || fail "golive build must fail when findings reach fail_on: $(cat "$tmp/out/b1.err")"
pass "golive build fails on an error finding with fail_on: error (exit $rc, go's)"
grep -q '^# example.com/webapp$' "$tmp/out/b1.err" || fail "no '# example.com/webapp' header: $(cat "$tmp/out/b1.err")"
n=$(findings "$tmp/out/b1.err" | grep -c '^api.go:9:6: \[httpctx\] ' || true)
expect_eq "$n" 1 "the finding is shown once, under # example.com/webapp"
grep -q 'golive: findings reach analyzers.fail_on (error)' "$tmp/out/b1.err" || fail "no fail_on line"
pass "the reason is named"
[ ! -e "$tmp/bin/a" ] || fail "a binary was written although the build failed"
pass "no binary written"
sess=$(sed -n 's/^golive: session kept in //p' "$tmp/out/b1.err")
n=$(count_events "$sess/diags.jsonl" "e['importpath']=='example.com/webapp' and e['printed']")
expect_eq "$n" 1 "diags.jsonl marks the findings as printed by the wrapper"
n=$(count_events "$sess/events.jsonl" "e['tool']=='compile' and e.get('importpath')=='example.com/webapp' and e['exit']==0 and e.get('diags')==1")
expect_eq "$n" 1 "the compiler itself succeeded (exit 0, diags 1 in its event)"

# --- 2. plain go build -toolexec=golive (no session) fails the same way -----------
for i in 1 2; do
	rc=0
	go build -toolexec="$GOLIVE" -o "$tmp/bin/b" . >"$tmp/out/e$i.out" 2>"$tmp/out/e$i.err" || rc=$?
	[ "$rc" -ne 0 ] || fail "go build -toolexec=golive (run $i) must fail with fail_on: error"
	grep -q '^# example.com/webapp$' "$tmp/out/e$i.err" || fail "run $i: no header: $(cat "$tmp/out/e$i.err")"
	n=$(findings "$tmp/out/e$i.err" | grep -c '^api.go:9:6: \[httpctx\] ' || true)
	expect_eq "$n" 1 "go build -toolexec=golive (no session, run $i): fails showing the finding under # pkg"
done

# --- 3. below fail_on / never: a plain -toolexec build prints nothing -------------
yaml error warning
rc=0
go build -toolexec="$GOLIVE" -o "$tmp/bin/c" . >"$tmp/out/w.out" 2>"$tmp/out/w.err" || rc=$?
expect_eq "$rc" 0 "a warning below fail_on: error does not fail go build -toolexec=golive"
expect_eq "$(cat "$tmp/out/w.out" "$tmp/out/w.err")" "" "and prints nothing"
yaml never error
touch api.go
echo "// edited" >>api.go
rc=0
go build -toolexec="$GOLIVE" -o "$tmp/bin/d" . >"$tmp/out/n.out" 2>"$tmp/out/n.err" || rc=$?
expect_eq "$rc" 0 "fail_on: never: go build -toolexec=golive succeeds"
expect_eq "$(cat "$tmp/out/n.out" "$tmp/out/n.err")" "" "fail_on: never: go build -toolexec=golive prints nothing"

# --- 4. replayed findings reaching fail_on fail golive build with exit 1 ----------
yaml error error
rc=0
"$GOLIVE" build --keep -o "$tmp/bin/e" . >"$tmp/out/r.out" 2>"$tmp/out/r.err" || rc=$?
expect_eq "$rc" 1 "golive build exits 1 when replayed findings reach fail_on"
sess=$(sed -n 's/^golive: session kept in //p' "$tmp/out/r.err")
n=$(count_events "$sess/events.jsonl" "e['tool']=='compile' and not e['probe']")
expect_eq "$n" 0 "the package came from go's cache (nothing compiled)"
n=$(findings "$tmp/out/r.err" | grep -c '^api.go:9:6: \[httpctx\] ' || true)
expect_eq "$n" 1 "the replayed finding is printed"
grep -q '^# example.com/webapp$' "$tmp/out/r.err" || fail "replayed findings lack the header"
grep -q 'golive: build failed' "$tmp/out/r.err" || fail "summary should say failed: $(cat "$tmp/out/r.err")"
pass "the summary reports the build as failed"

# --- 5. a clean package passes with fail_on: error --------------------------------
rm api.go
rc=0
"$GOLIVE" build --quiet -o "$tmp/bin/f" . >"$tmp/out/c.out" 2>"$tmp/out/c.err" || rc=$?
expect_eq "$rc" 0 "no findings: golive build passes with fail_on: error"
expect_eq "$(cat "$tmp/out/c.err")" "" "golive build --quiet prints nothing for a clean package"
# A new comment changes the package's action ID: its compile, not go's cache,
# answers (std stays cached: its compiles are not the point here).
printf '\n// recompiled %s\n' "$(date +%s%N)" >>main.go
rc=0
go build -toolexec="$GOLIVE" -o "$tmp/bin/g" . >"$tmp/out/ca" 2>&1 || rc=$?
expect_eq "$rc" 0 "no findings: go build -toolexec=golive passes with fail_on: error"
expect_eq "$(cat "$tmp/out/ca")" "" "and prints nothing"

# --- 6. a dependency's own golive.yaml never fails the main module ----------------
dep=$tmp/dep
new_module "$dep" example.com/dep
printf 'analyzers:\n  fail_on: warning\n' >"$dep/golive.yaml"
cat >"$dep/dep.go" <<'EOF'
package dep

import (
	"context"
	"net/http"
)

func Handler(w http.ResponseWriter, r *http.Request) { _ = context.Background() }
EOF
m=$tmp/main
new_module "$m" example.com/main
printf 'require example.com/dep v0.0.0\nreplace example.com/dep => %s\n' "$dep" >>"$m/go.mod"
printf 'analyzers:\n  fail_on: warning\n' >"$m/golive.yaml"
cat >"$m/main.go" <<'EOF'
package main

import (
	"net/http"

	"example.com/dep"
)

func main() { http.HandleFunc("/", dep.Handler) }
EOF
cd "$m"
rc=0
go build -toolexec="$GOLIVE" -o "$tmp/bin/m" . >"$tmp/out/m" 2>&1 || rc=$?
expect_eq "$rc" 0 "a dependency with findings and fail_on in its own golive.yaml does not fail the build"
expect_eq "$(cat "$tmp/out/m")" "" "nothing printed for the dependency"
rc=0
"$GOLIVE" build --quiet -o "$tmp/bin/m2" . >"$tmp/out/m2" 2>&1 || rc=$?
expect_eq "$rc" 0 "golive build: dependencies are not analysed by default"
expect_eq "$(cat "$tmp/out/m2")" "" "golive build --quiet: nothing printed for the dependency"
printf 'analyzers:\n  fail_on: warning\n  include_deps: true\n' >"$m/golive.yaml"
rc=0
"$GOLIVE" build --quiet -o "$tmp/bin/m3" . >"$tmp/out/m3" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "include_deps: the dependency's finding must fail the build"
grep -q '^# example.com/dep$' "$tmp/out/m3" || fail "include_deps: no '# example.com/dep': $(cat "$tmp/out/m3")"
pass "include_deps: the dependency's findings are reported and reach fail_on"

# --- 7. a broken golive.yaml fails a -toolexec compile with one line --------------
cd "$w"
printf 'analyzers:\n  fail_on: sometimes\n' >"$w/golive.yaml"
echo 'package main' >"$w/extra.go"
rc=0
go build -toolexec="$GOLIVE" -o "$tmp/bin/h" . >"$tmp/out/y" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "a broken golive.yaml must fail the build"
n=$(grep -c '^golive: .*golive.yaml:2:[0-9]*: ' "$tmp/out/y" || true)
expect_eq "$n" 1 "broken golive.yaml: one line naming file:line:col"

finish
