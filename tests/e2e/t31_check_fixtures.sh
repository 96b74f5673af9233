#!/usr/bin/env bash
# t31_check_fixtures: golive check on tests/data/check (see its README.md).
#  - plain directories: their .go files, not recursive, build constraints as
#    go applies them (tagged.go only with --tags golive_extra), _test.go only
#    with --tests, _x.go/.x.go never, generated files skipped;
#    every finding is one a `// want` comment expects, and every want is met;
#  - paths as go vet prints them: relative to the cwd (also "../x.go"), for
#    relative and absolute arguments and for .go files given one by one;
#  - package patterns through go list in a module: ./... reaches sub/,
#    --tags and GOOS select files, --tests adds the test files;
#  - --json: the documented schema, exactly; -j 1 and -j 8 print the same;
#  - files that are garbage, empty, deeply nested or dangling symlinks never
#    crash the analysis (a dangling one is an error entry, not a failure);
#  - the Go version: the go120/ and go121/ fixtures (modules whose go.mod says
#    go 1.20 and go 1.21) as plain directories, single files and modules: log
#    calls in handlers get slog advice only where the module's Go has log/slog
#    (or the file imports it), the request-scoped logger pattern elsewhere; a
#    directory without go.mod counts as the newest Go, a go.mod without a go
#    line as go 1.16.
. "$(dirname "$0")/lib.sh"

data=$GOLIVE_SRC/tests/data/check
mkdir -p "$tmp/out"

# check_wants OUT FILE...: the findings in OUT (text output) are exactly what the
# `// want` comments of FILE... (paths as golive prints them) expect. With
# NO_SLOG=1, logtrace's wants ("... trace id; use slog...") keep only what precedes
# their advice: the code is analysed as a Go without log/slog, where logtrace names
# the request-scoped logger pattern instead.
check_wants() {
	python3 - "$@" <<'EOF'
import os, re, sys
out, files = sys.argv[1], sys.argv[2:]
no_slog = os.environ.get("NO_SLOG") == "1"
want_re = re.compile(r'//\s*want\s+(.*)$')
pat_re = re.compile(r'`([^`]*)`|"((?:[^"\\]|\\.)*)"')
wants = {}
for f in files:
    for i, line in enumerate(open(f, encoding="utf-8"), 1):
        m = want_re.search(line)
        if m:
            for a, b in pat_re.findall(m.group(1)):
                w = a or b
                if no_slog and "trace id" in w:
                    w = w.split("; ")[0]
                wants.setdefault((f, i), []).append([w, False])
bad = 0
line_re = re.compile(r'^(.+?):(\d+):(\d+): \[([^\]]+)\] (.*)$')
for l in open(out):
    l = l.rstrip("\n")
    m = line_re.match(l)
    if not m:
        print("not a finding line:", l); bad += 1; continue
    f, ln = m.group(1), int(m.group(2))
    ws = wants.get((f, ln), [])
    hit = [w for w in ws if re.search(w[0], m.group(5))]
    if not hit:
        print("unexpected finding:", l); bad += 1
    for w in hit:
        w[1] = True
for (f, ln), ws in wants.items():
    for w in ws:
        if not w[1]:
            print(f"{f}:{ln}: no finding matched want {w[0]!r}"); bad += 1
sys.exit(1 if bad else 0)
EOF
}

# run NAME ARGS...: golive check ARGS..., stdout/stderr/exit status into $tmp/out/NAME.*
run() {
	local name=$1
	shift
	local rc=0
	"$GOLIVE" check "$@" >"$tmp/out/$name.out" 2>"$tmp/out/$name.err" || rc=$?
	echo "$rc" >"$tmp/out/$name.rc"
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$tmp/out/$name.err"; then
		cat "$tmp/out/$name.err" >&2
		fail "$name: sanitizer report"
	fi
}
rc_of() { cat "$tmp/out/$1.rc"; }
summary() { tail -n 1 "$tmp/out/$1.err"; }

# --- 1. a plain directory ----------------------------------------------------------
cd "$GOLIVE_SRC/tests/data"
run dir check
expect_eq "$(rc_of dir)" 0 "findings below fail_on (never): exit 0"
check_wants "$tmp/out/dir.out" check/handlers.go check/unicode.go check/suppressed.go \
	check/broken.go || fail "plain directory: findings differ from the wants"
pass "plain directory: exactly the wanted findings (tagged/generated/_x/.x/sub/ and tests not read)"
expect_eq "$(summary dir)" "golive check: 6 findings in 4 files (1 package)" "summary line on stderr"
expect_eq "$(sed -n 2p "$tmp/out/dir.out")" \
	"check/handlers.go:11:9: [httpctx] use r.Context() instead of context.Background()" \
	"a finding, exactly as go vet prints one"
sort -t: -k1,1 -k2,2n -k3,3n -c "$tmp/out/dir.out" || fail "findings are not sorted by file, line, column"
pass "findings sorted by file, line, column"

run dirtests --tests check
check_wants "$tmp/out/dirtests.out" check/handlers.go check/unicode.go check/suppressed.go \
	check/broken.go check/handlers_test.go || fail "--tests: findings differ"
pass "--tests adds the _test.go files of a plain directory"
run dirtags --tags golive_extra check
check_wants "$tmp/out/dirtags.out" check/handlers.go check/unicode.go check/suppressed.go \
	check/broken.go check/tagged.go || fail "plain directory --tags: findings differ"
pass "--tags golive_extra brings tagged.go (//go:build golive_extra) into a plain directory"

run quiet --quiet check
[ ! -s "$tmp/out/quiet.err" ] || fail "--quiet printed on stderr: $(cat "$tmp/out/quiet.err")"
expect_same_file "$tmp/out/quiet.out" "$tmp/out/dir.out" "--quiet: the same findings, no summary"

# --- 2. paths as go vet prints them ------------------------------------------------
cd "$GOLIVE_SRC"
run fromroot tests/data/check
sed 's#^#tests/data/#' "$tmp/out/dir.out" >"$tmp/out/fromroot.want"
expect_same_file "$tmp/out/fromroot.out" "$tmp/out/fromroot.want" "paths are relative to the cwd"
run absolute "$data"
expect_same_file "$tmp/out/absolute.out" "$tmp/out/fromroot.want" "an absolute argument prints relative paths"
run dotslash ./tests/data/../data/check/
expect_same_file "$tmp/out/dotslash.out" "$tmp/out/fromroot.want" "./a/../b/ arguments are cleaned"
cd "$data/sub"
run updir ..
sed 's#^check/#../#' "$tmp/out/dir.out" >"$tmp/out/updir.want"
expect_same_file "$tmp/out/updir.out" "$tmp/out/updir.want" "files above the cwd print as ../x.go"
cd "$GOLIVE_SRC/tests/data"
run files check/handlers.go check/unicode.go check/zz_generated.go
grep -E '^check/(handlers|unicode)\.go:' "$tmp/out/dir.out" >"$tmp/out/files.want"
expect_same_file "$tmp/out/files.out" "$tmp/out/files.want" ".go files given one by one"
expect_eq "$(summary files)" "golive check: 5 findings in 2 files (1 package)" \
	"a generated file given by name is still skipped"

# --- 3. package patterns in a module ---------------------------------------------
m=$tmp/mod
new_module "$m" example.com/check
# handlers.go's log.Printf is reported in a module whose Go has log/slog (1.21); a
# toolchain older than that compiles the module as its own Go (no -lang), without.
slog=1
if go_at_least 1.21; then sed -i 's/^go 1\.19$/go 1.21/' "$m/go.mod"; else slog=0; fi
export NO_SLOG=$((1 - slog))
cp -R "$data/." "$m/"
cat >"$m/only_windows.go" <<'EOF'
package check

import (
	"context"
	"net/http"
)

func windowsOnly(w http.ResponseWriter, r *http.Request) {
	_ = context.Background() // want `use r\.Context\(\)`
}
EOF
cd "$m"
base="handlers.go unicode.go suppressed.go broken.go sub/nested.go"
run pkg ./...
# shellcheck disable=SC2086
check_wants "$tmp/out/pkg.out" $base || fail "./...: findings differ"
pass "./... : go list's files (sub/ included, tagged.go and only_windows.go not)"
expect_eq "$(summary pkg)" "golive check: 7 findings in 5 files (2 packages)" "packages are counted"
run pkgtags --tags golive_extra ./...
# shellcheck disable=SC2086
check_wants "$tmp/out/pkgtags.out" $base tagged.go || fail "--tags: findings differ"
pass "--tags golive_extra brings in tagged.go"
run pkgtags2 --tags=golive_extra,other --tests ./...
# shellcheck disable=SC2086
check_wants "$tmp/out/pkgtags2.out" $base tagged.go handlers_test.go || fail "--tags= --tests differ"
pass "--tags=a,b and --tests together"
rc=0
GOOS=windows "$GOLIVE" check ./... >"$tmp/out/win.out" 2>"$tmp/out/win.err" || rc=$?
expect_eq "$rc" 0 "GOOS=windows: exit 0"
# shellcheck disable=SC2086
check_wants "$tmp/out/win.out" $base only_windows.go || fail "GOOS=windows: findings differ"
pass "GOOS=windows selects only_windows.go, as go build would"
rc=0
GOFLAGS=-tags=golive_extra "$GOLIVE" check ./... >"$tmp/out/goflags.out" 2>"$tmp/out/goflags.err" || rc=$?
# shellcheck disable=SC2086
check_wants "$tmp/out/goflags.out" $base tagged.go || fail "GOFLAGS=-tags: findings differ"
pass "GOFLAGS is respected"
run sub ./sub
expect_eq "$(cut -d: -f1 "$tmp/out/sub.out" | sort -u)" "sub/nested.go" "./sub is the package (a directory argument)"
run pkgpath example.com/check/sub
expect_same_file "$tmp/out/pkgpath.out" "$tmp/out/sub.out" "an import path gives the same findings"
run default
expect_same_file "$tmp/out/default.out" "$tmp/out/pkg.out" "no argument means ./..."

# --- 4. --json --------------------------------------------------------------------
run json --json --tests ./...
expect_eq "$(rc_of json)" 0 "--json: exit 0"
python3 - "$tmp/out/json.out" "$tmp/out/pkg.out" "$slog" <<'EOF' || fail "--json does not follow the schema"
import json, sys
d = json.load(open(sys.argv[1]))
assert list(d) == ["version", "diagnostics", "files", "generated", "packages", "errors"], list(d)
assert d["version"] == 1
for k in ("files", "generated", "packages"):
    assert type(d[k]) is int and d[k] >= 0, k
assert (d["files"], d["generated"], d["packages"]) == (6, 1, 2), (d["files"], d["generated"], d["packages"])
assert d["errors"] == []
keys = ["file", "line", "col", "analyzer", "severity", "message", "end_line", "end_col"]
for x in d["diagnostics"]:
    assert list(x) in (keys, keys + ["fix"]), list(x)   # the fields of docs/check.md
    assert (x["end_line"], x["end_col"]) > (x["line"], x["col"]), x
    assert type(x["line"]) is int and type(x["col"]) is int and x["line"] > 0 and x["col"] > 0
    assert x["severity"] in ("info", "warning", "error")
    assert not x["file"].startswith("/"), x["file"]
texts = {f'{x["file"]}:{x["line"]}:{x["col"]}: [{x["analyzer"]}] {x["message"]}' for x in d["diagnostics"]}
plain = {l.rstrip("\n") for l in open(sys.argv[2])}
assert plain <= texts, plain - texts
assert len(texts) == len(plain) + 1, texts - plain   # + handlers_test.go
sev = {x["analyzer"]: x["severity"] for x in d["diagnostics"]}
assert sev == {"httpctx": "warning", "logtrace": "info"}, sev
EOF
pass "--json: keys in order, types, counts, the same findings as the text output"

# --- 5. threads: the same output whatever -j ---------------------------------------
run j1 -j 1 --tests ./...
run j8 -j8 --tests ./...
run j3 --jobs=3 --tests ./...
expect_same_file "$tmp/out/j1.out" "$tmp/out/j8.out" "-j 1 and -j8 print the same"
expect_same_file "$tmp/out/j1.out" "$tmp/out/j3.out" "--jobs=3 prints the same"

# --- 6. hostile files ---------------------------------------------------------------
h=$tmp/hostile
mkdir -p "$h"
python3 - "$h" <<'EOF'
import os, random, sys
d = sys.argv[1]
random.seed(7)
hdr = 'package hostile\n\nimport (\n\t"context"\n\t"net/http"\n)\n\n'
open(f"{d}/garbage.go", "wb").write(bytes(random.randrange(256) for _ in range(8000)))
open(f"{d}/empty.go", "w").write("")
open(f"{d}/nul.go", "wb").write(b"package hostile\x00\x00\nfunc \x00(")
open(f"{d}/parens.go", "w").write(hdr + "func h1(w http.ResponseWriter, r *http.Request) {\n\t_ = "
    + "(" * 3000 + "context.Background()" + ")" * 3000 + "\n}\n")
open(f"{d}/blocks.go", "w").write(hdr + "func h2(w http.ResponseWriter, r *http.Request) {\n"
    + "\tif true {\n" * 2000 + "\t_ = context.Background()\n" + "}\n" * 2000 + "}\n")
open(f"{d}/lits.go", "w").write(hdr + "func h3(w http.ResponseWriter, r *http.Request) {\n\t_ = "
    + "func() { " * 1000 + "context.Background()" + " }" * 1000 + "\n}\n")
open(f"{d}/unterminated.go", "w").write(hdr + 'func h4(w http.ResponseWriter, r *http.Request) {\n\t_ = "\n\t_ = `\n')
open(f"{d}/crlf.go", "wb").write((hdr + "func h5(w http.ResponseWriter, r *http.Request) {\n\t_ = context.Background()\n}\n").replace("\n", "\r\n").encode())
EOF
ln -s "$tmp/nonexistent.go" "$h/dangling.go"
cd "$h"
for j in 1 2; do
	run "hostile$j" -j "$j" --json .
	expect_eq "$(rc_of "hostile$j")" 0 "hostile files (-j $j): no crash, exit 0"
done
expect_same_file "$tmp/out/hostile1.out" "$tmp/out/hostile2.out" "hostile files: the same report with -j 1 and -j 2"
n=$(json_get "$tmp/out/hostile1.out" 'len([x for x in d["diagnostics"] if x["file"] in ("parens.go", "blocks.go", "lits.go", "crlf.go") and x["analyzer"] == "httpctx"])')
expect_eq "$n" 4 "findings inside deep nesting and CRLF files are still found"
expect_eq "$(json_get "$tmp/out/hostile1.out" 'd["errors"]')" \
	'[{"file": "dangling.go", "message": "No such file or directory"}]' "a dangling symlink is an error entry"
grep -q '^golive: warning: dangling.go: No such file or directory$' "$tmp/out/hostile1.err" ||
	fail "no warning line for the dangling symlink: $(cat "$tmp/out/hostile1.err")"
pass "and one warning line"
unset NO_SLOG

# --- 7. the Go version: logtrace only where log/slog exists --------------------------
# Plain directories and files: the go line of the nearest go.mod.
cd "$GOLIVE_SRC/tests/data"
run v120 check/go120
if go_at_least 1.21; then
	check_wants "$tmp/out/v120.out" check/go120/handlers.go check/go120/slog.go ||
		fail "go 1.20 directory: findings differ from the wants"
	pass "go 1.20 directory: the request-scoped logger pattern, slog advice only in slog.go (which imports log/slog)"
else
	# slog.go is //go:build go1.21: this toolchain would not build it, nor does golive read it
	check_wants "$tmp/out/v120.out" check/go120/handlers.go || fail "go 1.20 directory: findings differ"
	pass "go 1.20 directory on $(go env GOVERSION): the request-scoped logger pattern (slog.go not built)"
fi
run v121 check/go121
check_wants "$tmp/out/v121.out" check/go121/handlers.go || fail "go 1.21 directory: findings differ"
pass "go 1.21 directory: log calls in handlers reported, with slog advice"
expect_eq "$(grep -c '\[logtrace\]' "$tmp/out/v121.out")" 2 "go 1.21: two logtrace findings"
run v120f check/go120/handlers.go
expect_eq "$(grep -c '\[logtrace\].*request-scoped logger.*this package is go1\.20)' "$tmp/out/v120f.out")" 2 "a .go file given by name: its directory's go.mod counts"
expect_eq "$(grep -c '\[httpctx\]' "$tmp/out/v120f.out")" 1 "and httpctx still reports there"
# Outside any module: the newest Go. A go.mod without a go line: go 1.16, as go assumes.
mkdir -p "$tmp/nomod" "$tmp/nogoline"
cp "$data/go121/handlers.go" "$tmp/nomod/"
cp "$data/go121/handlers.go" "$tmp/nogoline/"
printf 'module example.com/nogoline\n' >"$tmp/nogoline/go.mod"
run vnomod "$tmp/nomod"
expect_eq "$(grep -c '\[logtrace\]' "$tmp/out/vnomod.out")" 2 "no go.mod: analysed as the newest Go"
run vnogoline "$tmp/nogoline"
expect_eq "$(grep -c '\[logtrace\].*request-scoped logger.*this package is go1\.16)' "$tmp/out/vnogoline.out")" 2 "a go.mod without a go line: go 1.16, no log/slog"
# Modules through go list: Module.GoVersion.
for v in go120 go121; do
	cp -R "$data/$v" "$tmp/$v"
done
cd "$tmp/go120"
run m120 ./...
if go_at_least 1.21; then
	check_wants "$tmp/out/m120.out" handlers.go slog.go || fail "go 1.20 module: findings differ"
	pass "go 1.20 module: slog advice only in slog.go (//go:build go1.21, imports log/slog)"
else
	check_wants "$tmp/out/m120.out" handlers.go || fail "go 1.20 module: findings differ"
	pass "go 1.20 module on $(go env GOVERSION): the request-scoped logger pattern (slog.go not built)"
fi
cd "$tmp/go121"
run m121 ./...
NO_SLOG=$((1 - slog)) check_wants "$tmp/out/m121.out" handlers.go || fail "go 1.21 module: findings differ"
pass "go 1.21 module: log calls reported where the toolchain has log/slog ($(go env GOVERSION))"
sed -i 's/^go 1\.21$/go 1.20/' go.mod
run m121as120 ./...
expect_eq "$(grep -c '\[logtrace\].*request-scoped logger' "$tmp/out/m121as120.out"):$(grep -c 'slog\.' "$tmp/out/m121as120.out")" 2:0 "the same code, go.mod lowered to go 1.20: no slog advice"

finish
