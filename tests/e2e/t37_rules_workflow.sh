#!/usr/bin/env bash
# t37_rules_workflow: the rule workflows of docs/analyzers.md, on its worked
# example (tests/data/rules-workflow), with the real binary and real Go code:
#  - golive check finds what the rules say, paths: exclude keeps no-panic out
#    of cmd/, and unusedignore (turned on) reports a //golive:ignore that
#    suppresses nothing;
#  - --test-rules passes on the example, and fails (exit 1) with a missing and
#    a noisy case when a rule is broken;
#  - --diff prints the safe fixes as a unified diff that patch(1) applies
#    cleanly (exit 1), --fix-unsafe adds the unsafe one; --fix rewrites the
#    file as the diff showed, the fixed code still builds, the fixed findings
#    are gone; the unsafe fix shows why it is unsafe (an unused import);
#  - --baseline-write / --baseline: after lines move and a new finding
#    appears, only the new one is reported (and fails --fail-on error);
#  - --sarif carries the fixes (artifactChanges, replacements) and, with
#    --baseline-suppressed, external suppressions on the baselined results;
#  - golive build reports the same findings as golive check.
. "$(dirname "$0")/lib.sh"

ex=$tmp/ex
cp -R "$GOLIVE_SRC/tests/data/rules-workflow" "$ex"
chmod -R u+w "$ex"
cd "$ex"

"$GOLIVE" check ./... >"$tmp/find.txt" 2>"$tmp/find.err" && rc=0 || rc=$?
expect_eq "$rc" 0 "check exits 0 (fail_on never)"
expect_eq "$(cat "$tmp/find.txt")" "timing.go:11:22: [time-since] time.Now().Sub(t): use time.Since(t)
timing.go:18:3: [no-panic] panic outside main: return an error
timing.go:20:2: [unusedignore] //golive:ignore time-since suppresses nothing: remove it
timing.go:21:31: [errorf] errors.New(fmt.Sprintf(...)): use fmt.Errorf" \
	"the rules' findings; no-panic skips cmd/ (paths.exclude); the stale ignore is reported"

# ---- rule tests
"$GOLIVE" check --test-rules testdata/rules >"$tmp/t.txt" 2>"$tmp/t.err" && rc=0 || rc=$?
expect_eq "$rc" 0 "--test-rules passes on the example"
expect_eq "$(cat "$tmp/t.txt")" "ok   time-since: 6 passed
ok   errorf: 2 passed
ok   no-panic: 1 passed" "--test-rules: one line per rule"
# break time-since: it now matches only Sub calls on a variable called "x"
sed 's/(#eq? @pkg "time")/(#eq? @pkg "x")/; s/_ = deadline.Sub(start)/_ = x.Now().Sub(start)/' \
	golive.yaml >"$tmp/broken.yaml"
"$GOLIVE" check --config "$tmp/broken.yaml" --test-rules testdata/rules >"$tmp/b.txt" 2>&1 && rc=0 || rc=$?
expect_eq "$rc" 1 "--test-rules exits 1 when a rule fails"
grep -q '^FAIL time-since: 3 passed, 2 missing, 1 noisy$' "$tmp/b.txt" ||
	{ cat "$tmp/b.txt" >&2; fail "the broken rule's summary"; }
grep -q '^  invalid\[0\]: missing: not reported: _ = time.Now().Sub(start)$' "$tmp/b.txt" &&
	grep -q '^  valid\[1\]: noisy: reported: _ = x.Now().Sub(start)$' "$tmp/b.txt" &&
	grep -q '^  testdata/rules/cases.go:10: missing: no finding of time-since$' "$tmp/b.txt" ||
	{ cat "$tmp/b.txt" >&2; fail "the broken rule's cases"; }
pass "--test-rules names each missing and noisy case"
grep -q '^ok   errorf: 2 passed$' "$tmp/b.txt" || fail "the other rules still pass"
pass "a failing rule does not hide the others"

# ---- fixes
cp timing.go "$tmp/timing.orig"
"$GOLIVE" check --diff ./... >"$tmp/safe.diff" 2>/dev/null && rc=0 || rc=$?
expect_eq "$rc" 1 "--diff exits 1 when there is something to fix"
expect_same_file timing.go "$tmp/timing.orig" "--diff changes nothing"
expect_eq "$(grep -c '^[-+][^-+]' "$tmp/safe.diff")" 2 "--diff: the safe fix only (one line out, one in)"
grep -q '^+	d := time.Since(start)$' "$tmp/safe.diff" || fail "the safe fix's line"
(cd "$tmp" && mkdir -p p && cp timing.orig p/timing.go && cd p && patch -p1 -s <"../safe.diff") ||
	fail "patch applies --diff's output"
"$GOLIVE" check --diff --fix-unsafe ./... >"$tmp/all.diff" 2>/dev/null || true
expect_eq "$(grep -c '^[-+][^-+]' "$tmp/all.diff")" 4 "--fix-unsafe adds the unsafe fix"
grep -q '^+	return fmt.Errorf("bad name %q", name)$' "$tmp/all.diff" || fail "the unsafe fix's line"
pass "the diffs hold the expanded fix templates"

"$GOLIVE" check --fix ./... >"$tmp/fixed.txt" 2>"$tmp/fixed.err" && rc=0 || rc=$?
expect_eq "$rc" 0 "--fix exits as check does"
grep -q 'fixed 1 finding in 1 file' "$tmp/fixed.err" || { cat "$tmp/fixed.err" >&2; fail "--fix's summary"; }
expect_eq "$(cut -d' ' -f2 "$tmp/fixed.txt" | tr '\n' ' ')" "[no-panic] [unusedignore] [errorf] " \
	"after --fix the safe fix's finding is gone"
expect_same_file timing.go "$tmp/p/timing.go" "--fix writes what --diff showed"
check "the safely fixed code builds" go build ./...
"$GOLIVE" check --fix --fix-unsafe ./... >"$tmp/fixed2.txt" 2>"$tmp/fixed2.err" || true
grep -q 'fixed 1 finding in 1 file' "$tmp/fixed2.err" || { cat "$tmp/fixed2.err" >&2; fail "--fix-unsafe's summary"; }
expect_eq "$(cut -d' ' -f2 "$tmp/fixed2.txt" | tr '\n' ' ')" "[no-panic] [unusedignore] " \
	"after --fix --fix-unsafe only the findings without a fix are left"
check "the fixed code is gofmt-clean" test -z "$(gofmt -l timing.go)"
go build ./... 2>"$tmp/unsafe.err" && fail "the unsafe fix leaves errors unused: the build should fail"
grep -q '"errors" imported and not used' "$tmp/unsafe.err" || { cat "$tmp/unsafe.err" >&2; fail "why the unsafe fix is unsafe"; }
pass "why errorf's fix is marked unsafe: the errors import may become unused"
"$GOLIVE" check --diff --fix-unsafe ./... >/dev/null 2>&1 && rc=0 || rc=$?
expect_eq "$rc" 0 "--diff after --fix: nothing left to fix (exit 0)"
cp "$tmp/timing.orig" timing.go

# ---- baselines
"$GOLIVE" check --baseline-write "$tmp/base.json" ./... 2>"$tmp/bw.err" && rc=0 || rc=$?
expect_eq "$rc" 0 "--baseline-write exits 0"
expect_eq "$(json_get "$tmp/base.json" 'sum(f["count"] for f in d["findings"])')" 4 \
	"the baseline holds the 4 findings"
# move everything down two lines, and add a new panic in a new function
{
	printf '// Package app times jobs.\n\n'
	cat "$tmp/timing.orig"
	printf '\nfunc must(err error) {\n\tif err != nil {\n\t\tpanic(err)\n\t}\n}\n'
} >timing.go
"$GOLIVE" check --baseline "$tmp/base.json" --fail-on error ./... >"$tmp/new.txt" 2>"$tmp/new.err" && rc=0 || rc=$?
expect_eq "$(cat "$tmp/new.txt")" "timing.go:28:3: [no-panic] panic outside main: return an error" \
	"--baseline: only the new finding, though every line moved"
expect_eq "$rc" 1 "--baseline: the new error fails --fail-on error"
grep -q '4 findings in the baseline' "$tmp/new.err" || fail "--baseline's summary"
# the baselined panic edited: new again
sed -i 's/panic("empty name")/panic("no name")/' timing.go
"$GOLIVE" check --baseline "$tmp/base.json" ./... >"$tmp/new2.txt" 2>/dev/null || true
expect_eq "$(grep -c no-panic "$tmp/new2.txt")" 2 "an edited baselined finding is new"
echo '{"version": 2}' >"$tmp/bad.json"
"$GOLIVE" check --baseline "$tmp/bad.json" ./... >/dev/null 2>"$tmp/bad.err" && rc=0 || rc=$?
expect_eq "$rc" 2 "a file that is not a baseline: exit 2"
expect_eq "$(cat "$tmp/bad.err")" "golive check: $tmp/bad.json: not a golive baseline (version 1, findings)" \
	"... with a one-line error naming the file"

# ---- SARIF: fixes and suppressions, valid against the SARIF 2.1.0 schema (as t33)
sarif_dir=$GOLIVE_SRC/tests/sarif
schema=$sarif_dir/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json
if [ ! -f "$schema" ]; then
	(cd "$sarif_dir" && npm ci --ignore-scripts --no-audit --no-fund >"$tmp/npm.log" 2>&1) ||
		fail "npm ci in tests/sarif failed: $(tail -5 "$tmp/npm.log")"
fi
python3 -c 'import jsonschema' 2>/dev/null || fail "no python3 with jsonschema: apt-get install python3-jsonschema"
validate() {
	python3 - "$schema" "$1" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
v = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
for e in errs[:20]:
    print("/".join(map(str, e.path)), e.message)
sys.exit(1 if errs else 0)
PY
}
cp "$tmp/timing.orig" timing.go
"$GOLIVE" check --sarif ./... >"$tmp/s.json" 2>/dev/null
expect_eq "$(json_get "$tmp/s.json" '[r["fixes"][0]["artifactChanges"][0]["replacements"][0]["insertedContent"]["text"] for r in d["runs"][0]["results"] if "fixes" in r]')" \
	'["time.Since(start)", "fmt.Errorf(\"bad name %q\", name)"]' "SARIF: the fixes' inserted text"
expect_eq "$(json_get "$tmp/s.json" '[r["fixes"][0]["artifactChanges"][0]["replacements"][0]["deletedRegion"] for r in d["runs"][0]["results"] if r["ruleId"] == "time-since"][0]')" \
	'{"startLine": 11, "startColumn": 7, "endLine": 11, "endColumn": 28}' "SARIF: the deleted region"
printf '\nfunc must(err error) {\n\tif err != nil {\n\t\tpanic(err)\n\t}\n}\n' >>timing.go
"$GOLIVE" check --sarif --baseline "$tmp/base.json" --baseline-suppressed ./... >"$tmp/sup.json" 2>/dev/null || true
expect_eq "$(json_get "$tmp/sup.json" '[(r["locations"][0]["physicalLocation"]["region"]["startLine"], [s["kind"] for s in r.get("suppressions", [])]) for r in d["runs"][0]["results"]]')" \
	'[[11, ["external"]], [18, ["external"]], [20, ["external"]], [21, ["external"]], [26, []]]' \
	"--baseline-suppressed: baselined results carry an external suppression, the new one none"
check "the SARIF log with fixes is valid SARIF 2.1.0" validate "$tmp/s.json"
check "the SARIF log with suppressions is valid SARIF 2.1.0" validate "$tmp/sup.json"
"$GOLIVE" check --sarif --baseline "$tmp/base.json" ./... >"$tmp/nosup.json" 2>/dev/null || true
expect_eq "$(json_get "$tmp/nosup.json" 'len(d["runs"][0]["results"])')" 1 "without the flag, baselined results are left out"
cp "$tmp/timing.orig" timing.go

# ---- the build reports what check reports
"$GOLIVE" build -o /dev/null ./cmd/tool >"$tmp/build.out" 2>&1 || { cat "$tmp/build.out" >&2; fail "golive build"; }
grep -E '^timing\.go:' "$tmp/build.out" >"$tmp/build.txt" || true
expect_same_file "$tmp/build.txt" "$tmp/find.txt" "golive build: the same findings as golive check"

# ---- the wrappers of one build share one compilation of the rules (a blob in the session)
sess=$tmp/session
mkdir -p "$sess"
"$GOLIVE" config --json | python3 -c '
import json, sys
d = json.load(sys.stdin)
json.dump({"settings": {"analyzers": [], "rules": d["rules"], "fail_on": "never",
                        "include_generated": False, "include_deps": False},
           "root": sys.argv[1], "cache": None}, open(sys.argv[2], "w"))' "$ex" "$sess/analysis.json"
# a new comment makes go compile the package again (not -a: std stays cached), and fresh
# analysis caches keep its findings from being replayed (its rules never compiled)
echo '// build 1' >>timing.go
GOLIVE_CACHE_DIR=$tmp/ac1 GOLIVE_SESSION=$sess go build -toolexec="$GOLIVE" -o /dev/null ./cmd/tool ||
	fail "a build in a session"
expect_eq "$(find "$sess" -name 'rules-*.tsq' | wc -l | tr -d ' ')" 1 "the session holds the compiled rules (one blob)"
blob=$(find "$sess" -name 'rules-*.tsq')
python3 -c '
import json, sys
n = sum(len(json.loads(l)["diags"]) for l in open(sys.argv[1]))
sys.exit(0 if n == 3 else 1)' "$sess/diags.jsonl" || fail "the session build's findings"
pass "the session build found the 3 findings of the library package (none in cmd/: paths)"
# a damaged blob is refused and replaced: the next build compiles again and finds the same
printf 'garbage' >"$blob"
rm -f "$sess/diags.jsonl"
echo '// build 2' >>timing.go
GOLIVE_CACHE_DIR=$tmp/ac2 GOLIVE_SESSION=$sess go build -toolexec="$GOLIVE" -o /dev/null ./cmd/tool ||
	fail "a build with a damaged blob"
python3 -c '
import json, sys
n = sum(len(json.loads(l)["diags"]) for l in open(sys.argv[1]))
sys.exit(0 if n == 3 else 1)' "$sess/diags.jsonl" || fail "the findings with a damaged blob"
check "the damaged blob was replaced by a good one" test "$(head -c 11 "$blob")" = "golive-tsq1"
finish
