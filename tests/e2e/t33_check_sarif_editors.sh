#!/usr/bin/env bash
# t33_check_sarif_editors: what docs/editors.md promises, exercised.
#  - golive check --sarif validates against the SARIF 2.1.0 JSON schema (the
#    copy in npm @microsoft/jest-sarif, pinned in tests/sarif/package-lock.json,
#    validated with python3-jsonschema), with what GitHub code scanning reads:
#    rules (built-ins, golive's own, user rules) with levels, results with
#    ruleId/ruleIndex/level, URIs relative to %SRCROOT%, UTF-16 columns;
#  - the VS Code problem matcher regexp of docs/editors.md parses every line
#    of the text output into an existing file, line, column, analyzer, message;
#  - Vim/Neovim: errorformat %f:%l:%c:\ %m reads the output into the quickfix
#    list (:cgetfile), and :make with makeprg=golive\ check does too.
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/out"

# --- the schema and a validator ------------------------------------------------------
sarif_dir=$GOLIVE_SRC/tests/sarif
schema=$sarif_dir/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json
if [ ! -f "$schema" ]; then
	(cd "$sarif_dir" && npm ci --ignore-scripts --no-audit --no-fund >"$tmp/out/npm.log" 2>&1) ||
		fail "npm ci in tests/sarif failed: $(tail -5 "$tmp/out/npm.log")"
fi
[ -f "$schema" ] || fail "the SARIF schema is missing after npm ci: $schema"
py=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import jsonschema' 2>/dev/null; then
		py=$p
		break
	fi
done
[ -n "$py" ] || fail "no python3 with jsonschema: apt-get install python3-jsonschema"

# validate FILE: schema errors, printed; returns 1 on any.
validate() {
	"$py" - "$schema" "$1" <<'EOF'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
doc = json.load(open(sys.argv[2]))
v = jsonschema.Draft4Validator(schema, format_checker=jsonschema.FormatChecker())
errs = sorted(v.iter_errors(doc), key=lambda e: list(e.path))
for e in errs[:20]:
    print("/".join(map(str, e.path)), e.message)
sys.exit(1 if errs else 0)
EOF
}

# --- 1. SARIF on the fixtures, with a user rule -----------------------------------
m=$tmp/mod
new_module "$m" example.com/check
cp -R "$GOLIVE_SRC/tests/data/check/." "$m/"
cat >"$m/golive.yaml" <<'EOF'
rules:
  - id: no-panic-in-handler
    query: |
      (call_expression
        function: (identifier) @fn (#eq? @fn "panic")) @call
    message: "panic in a handler ({{fn}})"
    severity: error
    scope: handler
analyzers:
  logtrace: { severity: info }
EOF
cat >"$m/panics.go" <<'EOF'
package check

import "net/http"

func panicky(w http.ResponseWriter, r *http.Request) {
	panic("boom")
}
EOF
cd "$m"
rc=0
"$GOLIVE" check --sarif --tests ./... example.com/check/nosuchpkg >"$tmp/out/a.sarif" 2>"$tmp/out/a.err" || rc=$?
expect_eq "$rc" 0 "--sarif: exit 0 (fail_on never)"
validate "$tmp/out/a.sarif" || fail "the SARIF log does not validate against sarif-2.1.0-rtm.5.json"
pass "the SARIF log validates against the SARIF 2.1.0 schema"
"$GOLIVE" check --tests ./... >"$tmp/out/a.txt" 2>/dev/null
python3 - "$tmp/out/a.sarif" "$tmp/out/a.txt" "$m" <<'EOF' || fail "SARIF content"
import json, sys
d = json.load(open(sys.argv[1]))
text = [l.rstrip("\n") for l in open(sys.argv[2])]
assert d["version"] == "2.1.0" and d["$schema"].endswith("sarif-2.1.0.json")
assert len(d["runs"]) == 1
run = d["runs"][0]
drv = run["tool"]["driver"]
assert drv["name"] == "golive" and drv["version"]
rules = drv["rules"]
ids = [r["id"] for r in rules]
assert ids[:2] == ["httpctx", "logtrace"] and "golive" in ids and "no-panic-in-handler" in ids, ids
lv = {r["id"]: r["defaultConfiguration"]["level"] for r in rules}
assert lv["httpctx"] == "warning" and lv["logtrace"] == "note" and lv["no-panic-in-handler"] == "error", lv
assert all(r["shortDescription"]["text"] for r in rules)
assert run["originalUriBaseIds"]["%SRCROOT%"]["uri"] == "file://" + sys.argv[3] + "/"
assert run["columnKind"] == "utf16CodeUnits"
res = run["results"]
assert len(res) == len(text), (len(res), len(text))
got = []
for r in res:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert r["level"] in ("error", "warning", "note")
    assert r["level"] == lv[r["ruleId"]]
    loc = r["locations"][0]["physicalLocation"]
    al = loc["artifactLocation"]
    assert al["uriBaseId"] == "%SRCROOT%" and not al["uri"].startswith(("/", "file:")), al
    got.append((al["uri"], loc["region"]["startLine"], loc["region"]["startColumn"], r["ruleId"], r["message"]["text"]))
want = []
for l in text:
    f, ln, col, rest = l.split(":", 3)
    an, msg = rest[2:].split("] ", 1)
    want.append((f, int(ln), int(col), an, msg))
# The one line with non-ASCII text before the finding: byte column 30 is UTF-16 column 25.
fixed = [(f, ln, 25 if f == "unicode.go" else c, a, m) for f, ln, c, a, m in want]
assert sorted(got) == sorted(fixed), (sorted(set(got) ^ set(fixed)))
assert ("panics.go", 6, 2, "no-panic-in-handler", "panic in a handler (panic)") in got
notes = run["invocations"][0]["toolExecutionNotifications"]
assert len(notes) == 1 and "example.com/check/nosuchpkg" in notes[0]["message"]["text"], notes
assert run["invocations"][0]["executionSuccessful"] is True
EOF
pass "rules with levels (user rule included), results = the text findings, UTF-16 columns, list errors as notifications"

# --- 2. SARIF with nothing found, and with files outside the cwd ---------------------
mkdir -p "$tmp/empty" "$tmp/sp ace/sub"
cd "$tmp/empty"
"$GOLIVE" check --sarif . >"$tmp/out/empty.sarif" 2>/dev/null
validate "$tmp/out/empty.sarif" || fail "an empty SARIF log does not validate"
expect_eq "$(json_get "$tmp/out/empty.sarif" 'len(d["runs"][0]["results"])')" 0 "no findings: a valid log with no results"
cp "$GOLIVE_SRC/tests/data/check/handlers.go" "$tmp/sp ace/h%1.go"
cd "$tmp/sp ace/sub"
"$GOLIVE" check --sarif .. >"$tmp/out/up.sarif" 2>/dev/null
validate "$tmp/out/up.sarif" || fail "SARIF with a file above the cwd does not validate"
expect_eq "$(json_get "$tmp/out/up.sarif" 'sorted({r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in d["runs"][0]["results"]})')" \
	"[\"file://${tmp// /%20}/sp%20ace/h%251.go\"]" "a file above the cwd: an absolute, percent-encoded file:// URI"
cd "$tmp/sp ace"
"$GOLIVE" check --sarif . >"$tmp/out/here.sarif" 2>/dev/null
expect_eq "$(json_get "$tmp/out/here.sarif" 'd["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]')" \
	"h%251.go" "a relative URI is percent-encoded too"

# --- 3. VS Code: the tasks.json problem matcher -----------------------------------------
cd "$m"
"$GOLIVE" check --tests ./... >"$tmp/out/vscode.txt" 2>&1 || true
python3 - "$tmp/out/vscode.txt" "$GOLIVE_SRC/docs/editors.md" <<'EOF' || fail "VS Code problem matcher"
import json, os, re, sys
doc = open(sys.argv[2]).read()
# The tasks.json of docs/editors.md, parsed as JSON (with the // comments removed).
block = re.search(r"```jsonc?\n(\{\n\s*\"version\": \"2\.0\.0\".*?)```", doc, re.S).group(1)
tasks = json.loads(re.sub(r"^\s*//.*$", "", block, flags=re.M))
pm = tasks["tasks"][0]["problemMatcher"]
pat = pm["pattern"]
assert pm["owner"] == "golive" and pm["fileLocation"][0] == "relative", pm
rx = re.compile(pat["regexp"])
assert pat["regexp"] == r"^(.*):(\d+):(\d+): \[(.*)\] (.*)$", pat["regexp"]
lines = open(sys.argv[1]).read().splitlines()
found = 0
for l in lines:
    m = rx.match(l)
    if l.startswith("golive check: "):
        assert not m, "the summary line must not match: " + l
        continue
    assert m, "no match: " + l
    g = lambda k: m.group(pat[k])
    assert os.path.isfile(g("file")), g("file")
    assert int(g("line")) > 0 and int(g("column")) > 0
    assert re.fullmatch(r"[a-z0-9._-]+", g("code")), g("code")
    assert g("message") and "[" not in g("message")[:1]
    found += 1
assert found == len(lines) - 1 and found >= 8, found
EOF
pass "the VS Code problem matcher of docs/editors.md parses every finding"

# --- 4. Vim / Neovim: errorformat and :make -------------------------------------------
if command -v vim >/dev/null 2>&1; then
	"$GOLIVE" check ./... >"$tmp/out/vim.txt" 2>&1 || true
	cat >"$tmp/out/qf.vim" <<EOF
set errorformat=%f:%l:%c:\\ %m,%-Ggolive\\ check:%.%#
cgetfile $tmp/out/vim.txt
call writefile(map(getqflist(), {_, e -> e.valid . '|' . bufname(e.bufnr) . '|' . e.lnum . '|' . e.col . '|' . e.text}), '$tmp/out/qf.txt')
let &makeprg = '$GOLIVE check'
silent make ./...
call writefile(map(getqflist(), {_, e -> e.valid . '|' . bufname(e.bufnr) . '|' . e.lnum . '|' . e.col . '|' . e.text}), '$tmp/out/qfmake.txt')
qall!
EOF
	vim -es -N -u NONE -i NONE -S "$tmp/out/qf.vim" </dev/null >"$tmp/out/vim.log" 2>&1 || true
	grep -v '^golive check: ' "$tmp/out/vim.txt" | sed -E 's/^([^:]+):([0-9]+):([0-9]+): /1|\1|\2|\3|/' >"$tmp/out/qf.want"
	expect_same_file "$tmp/out/qf.txt" "$tmp/out/qf.want" "Vim :cgetfile with errorformat %f:%l:%c:\\ %m: every finding valid, summary dropped"
	expect_same_file "$tmp/out/qfmake.txt" "$tmp/out/qf.want" "Vim :make with makeprg=golive\\ check fills the quickfix list the same way"
else
	pass "vim not installed: Vim checks skipped (apt-get install vim)"
fi

finish
