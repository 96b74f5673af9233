#!/usr/bin/env bash
# t47_analysis_vettool: golive as go vet's -vettool (the unitchecker protocol).
#  - -flags prints go's flag descriptors; -V=full a release-style ID that changes
#    with golive.yaml's analysis settings and not with unrelated settings;
#  - go vet -vettool=golive: findings as file:line:col: [analyzer] message (go
#    vet's status 2; Go >= 1.26: go prints file:line:col: message from the
#    tool's JSON in vet.cfg's Stdout file, status 1, and caches it), -json in go vet's shape (status 0), analyzer selection
#    flags, clean packages pass, test variants are vetted, and it works combined
#    with GOFLAGS=-toolexec=golive; go test still passes on the module;
#  - vet.cfg handling by hand: VetxOnly writes an empty VetxOutput, a malformed
#    or missing vet.cfg is one line "golive: vet.cfg PATH: ..." and exit 1.
. "$(dirname "$0")/lib.sh"

w=$tmp/webapp
copy_webapp "$w"
# api.go's log.Printf is reported on every Go: the copy says go 1.21 where the
# toolchain has it (slog advice); older ones vet it as their own Go (no GoVersion in
# vet.cfg), where logtrace names the request-scoped logger pattern instead.
lt=1 # logtrace reports on every Go (docs/analyzers.md, logtrace by Go version)
if go_at_least 1.21; then
	sed -i 's/^go 1\.19$/go 1.21/' "$w/go.mod"
fi
mkdir -p "$tmp/out" "$tmp/cfg"
export GOCACHE=$tmp/gocache GOLIVE_CACHE_DIR=$tmp/anacache
# std from CTest's fixture (lib.sh): go vet compiles it plain here anyway.
seed_std_cache "$GOCACHE"
mkdir -p "$w/api" "$w/clean"
cat >"$w/api/api.go" <<'EOF'
package api

import (
	"context"
	"log"
	"net/http"
)

func Handler(w http.ResponseWriter, r *http.Request) {
	_ = context.Background()
	log.Printf("hello")
}
EOF
cat >"$w/api/api_test.go" <<'EOF'
package api

import (
	"context"
	"net/http"
	"testing"
)

func testHandler(w http.ResponseWriter, r *http.Request) { _ = context.TODO() }

func TestNothing(t *testing.T) { _ = testHandler }
EOF
cat >"$w/clean/clean.go" <<'EOF'
package clean

import "net/http"

func Handler(w http.ResponseWriter, r *http.Request) { _ = r.Context() }
EOF
cat >"$w/clean/clean_test.go" <<'EOF'
package clean

import "testing"

func TestClean(t *testing.T) {}
EOF
cd "$w"

# --- 1. -flags and -V=full ------------------------------------------------------------
"$GOLIVE" -flags >"$tmp/out/flags" || fail "golive -flags failed"
expect_eq "$(json_get "$tmp/out/flags" "[f['Bool'] for f in d if f['Name']=='json']")" "[true]" "-flags: json is a boolean flag"
expect_eq "$(json_get "$tmp/out/flags" "[f['Bool'] for f in d if f['Name']=='c']")" "[false]" "-flags: c takes a value"
expect_eq "$(json_get "$tmp/out/flags" "sorted(f['Name'] for f in d if f['Name'] in ('httpctx','logtrace'))")" '["httpctx", "logtrace"]' "-flags: one flag per built-in analyzer"
expect_eq "$(json_get "$tmp/out/flags" "all(set(f)=={'Name','Bool','Usage'} for f in d)")" "true" "-flags: every descriptor has Name, Bool, Usage"

v1=$("$GOLIVE" -V=full)
case "$v1" in "golive version "*" analysis="*) ;; *) fail "-V=full: unexpected answer [$v1]" ;; esac
third=$(echo "$v1" | awk '{print $3}')
[ "$third" != devel ] || fail "-V=full must not be a devel answer (go would want buildID= last)"
pass "-V=full: release-style answer ($v1)"
expect_eq "$("$GOLIVE" -V=full)" "$v1" "-V=full is deterministic"
printf 'build:\n  top: 3\n' >golive.yaml
expect_eq "$("$GOLIVE" -V=full)" "$v1" "-V=full unchanged by settings that do not change findings"
printf 'analyzers:\n  logtrace: off\n' >golive.yaml
v2=$("$GOLIVE" -V=full)
[ "$v2" != "$v1" ] || fail "-V=full must change with the analysis settings"
pass "-V=full changes with golive.yaml's analysis settings"
rm golive.yaml

# --- 2. go vet -vettool=golive ----------------------------------------------------------
rc=0
go vet -vettool="$GOLIVE" ./... >"$tmp/out/vet.out" 2>"$tmp/out/vet.err" || rc=$?
expect_eq "$rc" "$VET_FAIL" "go vet -vettool=golive ./...: go vet's failure status on findings ($VET_FAIL)"
# has FILE POS ANALYZER: a finding at POS (the analyzer's tag where go prints it).
has() {
	if [ "$VET_NEW" = 1 ]; then grep -q "^$2: " "$1"; else grep -q "^$2: \\[$3\\] " "$1"; fi
}
if [ "$VET_NEW" = 0 ]; then
	grep -q '^# example.com/webapp/api$' "$tmp/out/vet.err" || fail "no '# example.com/webapp/api': $(cat "$tmp/out/vet.err")"
fi
has "$tmp/out/vet.err" api/api.go:10:6 httpctx || fail "httpctx finding missing: $(cat "$tmp/out/vet.err")"
[ "$lt" = 0 ] || has "$tmp/out/vet.err" api/api.go:11:2 logtrace || fail "logtrace finding missing: $(cat "$tmp/out/vet.err")"
pass "findings as path:line:col: message, relative to the cwd"
has "$tmp/out/vet.err" api/api_test.go:9:64 httpctx || fail "the test file was not vetted: $(cat "$tmp/out/vet.err")"
pass "test variants are vetted too (api_test.go)"
n=$(grep -c 'clean' "$tmp/out/vet.err" || true)
expect_eq "$n" 0 "nothing reported for the clean package"
expect_eq "$(cat "$tmp/out/vet.out")" "" "nothing on stdout"
if [ "$VET_NEW" = 1 ]; then
	# Go >= 1.26 caches vet results (keyed by golive -V=full): a second run replays them.
	rc=0
	go vet -vettool="$GOLIVE" ./... >"$tmp/out/vet2.out" 2>"$tmp/out/vet2.err" || rc=$?
	expect_eq "$rc" "$VET_FAIL" "go vet again: the same status"
	# (packages are vetted in parallel: compare the lines sorted)
	LC_ALL=C sort "$tmp/out/vet.err" >"$tmp/out/vet.sorted"
	LC_ALL=C sort "$tmp/out/vet2.err" >"$tmp/out/vet2.sorted"
	expect_same_file "$tmp/out/vet.sorted" "$tmp/out/vet2.sorted" "go vet again: the same findings (from go's vet cache)"
fi

rc=0
go vet -vettool="$GOLIVE" ./clean >"$tmp/out/clean" 2>&1 || rc=$?
expect_eq "$rc" 0 "go vet -vettool=golive on a clean package passes"
expect_eq "$(cat "$tmp/out/clean")" "" "and prints nothing"

rc=0
go vet -vettool="$GOLIVE" -logtrace=false ./api >"$tmp/out/sel" 2>&1 || rc=$?
! has "$tmp/out/sel" api/api.go:11:2 logtrace || fail "-logtrace=false kept the logtrace finding: $(cat "$tmp/out/sel")"
pass "-logtrace=false drops logtrace findings"
has "$tmp/out/sel" api/api.go:10:6 httpctx || fail "-logtrace=false dropped httpctx too"
pass "-logtrace=false keeps the others"
rc=0
go vet -vettool="$GOLIVE" -logtrace ./api >"$tmp/out/only" 2>&1 || rc=$?
! has "$tmp/out/only" api/api.go:10:6 httpctx || fail "-logtrace alone kept httpctx: $(cat "$tmp/out/only")"
[ "$lt" = 0 ] || has "$tmp/out/only" api/api.go:11:2 logtrace || fail "-logtrace alone dropped logtrace: $(cat "$tmp/out/only")"
pass "-logtrace alone selects only logtrace"

rc=0
go vet -vettool="$GOLIVE" -json ./api >"$tmp/out/json.out" 2>"$tmp/out/json.err" || rc=$?
expect_eq "$rc" 0 "go vet -vettool=golive -json exits 0 with findings"
sed -n '/^{/,/^}/p' "$tmp/out/json.err" "$tmp/out/json.out" | python3 -c '
import json, sys
text = sys.stdin.read()
dec = json.JSONDecoder()
pos, trees = 0, []
while pos < len(text):
    while pos < len(text) and text[pos].isspace(): pos += 1
    if pos >= len(text): break
    obj, pos = dec.raw_decode(text, pos)
    trees.append(obj)
merged = {}
for t in trees: merged.update(t)
# go vet keys the tree by package ID: "p", or "p [p.test]" for the test variant.
keys = [k for k in merged if k.split(" ")[0] == "example.com/webapp/api"]
assert len(keys) == 1, merged
d = merged[keys[0]]
assert set(d) == ({"httpctx", "logtrace"} if sys.argv[1] == "1" else {"httpctx"}), d
for name, items in d.items():
    for it in items:
        assert set(it) == {"posn", "message"}, it
        assert it["posn"].split(":")[0].endswith("/api/api.go") or it["posn"].split(":")[0].endswith("/api/api_test.go"), it
assert any(it["posn"].endswith("api.go:10:6") for it in d["httpctx"]), d
' "$lt" || fail "-json: not go vet's shape: $(cat "$tmp/out/json.err" "$tmp/out/json.out")"
pass "-json: {importpath: {analyzer: [{posn, message}]}}"

rc=0
GOFLAGS=-toolexec=$GOLIVE go vet -vettool="$GOLIVE" ./api >"$tmp/out/both" 2>&1 || rc=$?
expect_eq "$rc" "$VET_FAIL" "GOFLAGS=-toolexec=golive plus -vettool=golive: same status"
has "$tmp/out/both" api/api.go:10:6 httpctx || fail "combined: finding missing: $(cat "$tmp/out/both")"
pass "GOFLAGS=-toolexec=golive plus -vettool=golive: same findings"

rc=0
go test ./... >"$tmp/out/test" 2>&1 || rc=$?
expect_eq "$rc" 0 "go test ./... still passes on the module (go's own vet runs)"

# --- 3. vet.cfg by hand ------------------------------------------------------------------
c=$tmp/cfg
cat >"$c/vetx.cfg" <<EOF
{"ID":"example.com/webapp/api","Compiler":"gc","Dir":"$w/api","ImportPath":"example.com/webapp/api",
 "GoFiles":["$w/api/api.go"],"NonGoFiles":null,"IgnoredFiles":null,"ImportMap":{},"PackageFile":{},
 "Standard":{},"PackageVetx":{},"VetxOnly":true,"VetxOutput":"$c/vetx.out","SucceedOnTypecheckFailure":false}
EOF
rc=0
"$GOLIVE" "$c/vetx.cfg" >"$tmp/out/vx.out" 2>"$tmp/out/vx.err" || rc=$?
expect_eq "$rc" 0 "VetxOnly: exit 0"
expect_eq "$(cat "$tmp/out/vx.out" "$tmp/out/vx.err")" "" "VetxOnly: prints nothing (findings are not reported)"
[ -f "$c/vetx.out" ] && [ ! -s "$c/vetx.out" ] || fail "VetxOnly: VetxOutput not written empty"
pass "VetxOnly: an empty VetxOutput is written"

sed -e 's/"VetxOnly":true/"VetxOnly":false/' -e "s#vetx.out#full.out#" "$c/vetx.cfg" >"$c/full.cfg"
rc=0
"$GOLIVE" -c=1 "$c/full.cfg" >"$tmp/out/full.out" 2>"$tmp/out/full.err" || rc=$?
expect_eq "$rc" 1 "a vet.cfg with findings: exit 1"
grep -q "^$w/api/api.go:10:6: \[httpctx\] " "$tmp/out/full.err" || fail "vet.cfg by hand: $(cat "$tmp/out/full.err")"
pass "findings on stderr with absolute paths (go makes them relative)"
[ -f "$c/full.out" ] || fail "VetxOutput not written for a full run"
pass "VetxOutput written for a full run too"

printf '{"ImportPath": "p", "GoFiles": [' >"$c/bad.cfg"
rc=0
"$GOLIVE" "$c/bad.cfg" >"$tmp/out/bad.out" 2>"$tmp/out/bad.err" || rc=$?
expect_eq "$rc" 1 "malformed vet.cfg: exit 1"
expect_eq "$(count_lines "$tmp/out/bad.err")" 1 "malformed vet.cfg: one line"
grep -q "^golive: vet.cfg $c/bad.cfg: " "$tmp/out/bad.err" || fail "malformed vet.cfg message: $(cat "$tmp/out/bad.err")"
pass "malformed vet.cfg: 'golive: vet.cfg PATH: ...'"
expect_eq "$(cat "$tmp/out/bad.out")" "" "malformed vet.cfg: nothing on stdout"

printf '{"ImportPath": 7, "GoFiles": []}' >"$c/type.cfg"
rc=0
"$GOLIVE" -json "$c/type.cfg" >/dev/null 2>"$tmp/out/type.err" || rc=$?
expect_eq "$rc" 1 "vet.cfg with a wrong field type: exit 1"
grep -q "^golive: vet.cfg $c/type.cfg: field ImportPath" "$tmp/out/type.err" || fail "wrong type message: $(cat "$tmp/out/type.err")"
expect_eq "$(count_lines "$tmp/out/type.err")" 1 "wrong field type: one line naming the field"

rc=0
"$GOLIVE" "$c/missing.cfg" >/dev/null 2>"$tmp/out/missing.err" || rc=$?
expect_eq "$rc" 1 "missing vet.cfg: exit 1"
expect_eq "$(count_lines "$tmp/out/missing.err")" 1 "missing vet.cfg: one line"
grep -q "^golive: vet.cfg $c/missing.cfg: " "$tmp/out/missing.err" || fail "missing vet.cfg message: $(cat "$tmp/out/missing.err")"
pass "missing vet.cfg named"

finish
