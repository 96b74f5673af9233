#!/usr/bin/env bash
# t36_check_constraints: golive check on plain directories outside a module
# applies build constraints as go does, and DIR/... walks a tree as go's ./...:
#  - a tree of files with //go:build lines (GOOS, GOARCH, unix, tags, ignore,
#    go1.N, !, &&, ||, parentheses), // +build lines, _GOOS/_GOARCH/_test
#    suffixes, and testdata/, vendor/, _x/, .x/ directories: the files golive
#    analyses are exactly the GoFiles go list reports for it (GOPATH mode, the
#    same tree), for linux/amd64, GOOS=windows GOARCH=arm64, --tags and
#    GOFLAGS=-tags, --tests, CGO_ENABLED=0 (a file importing "C" left out);
#  - a malformed //go:build line is an error entry naming the file, not a crash;
#  - GOROOT's net/http (triv.go is //go:build ignore) is analysed without triv.go,
#    with exactly the files go list builds there;
#  - DIR/... in the cwd's module still goes to go list, from elsewhere it is
#    walked; a pattern matching no directory with Go files warns, and exits 2
#    when nothing else is analysed.
. "$(dirname "$0")/lib.sh"

t=$tmp/tree
mkdir -p "$t"
# Every file has one handler with one finding, so the files with findings are the
# files analysed (no generated file here).
python3 - "$t" <<'EOF2'
import os, sys
root = sys.argv[1]
body = ('import (\n\t"context"\n\t"net/http"\n)\n\n'
        'func h_{n}(w http.ResponseWriter, r *http.Request) {{\n\t_ = context.Background()\n}}\n')
files = {
    "plain.go": "",
    "ignore.go": "//go:build ignore\n\n",
    "plusignore.go": "// +build ignore\n\n",
    "pluslinux.go": "// +build linux darwin\n\n",
    "plusnotlinux.go": "// +build !linux\n\n",
    "linux_only.go": "//go:build linux\n\n",
    "unix.go": "//go:build unix\n\n",
    "notunix.go": "//go:build !unix\n\n",
    "amd64_or_tag.go": "//go:build amd64 || golive_x\n\n",
    "both.go": "//go:build (linux && amd64) || (windows && arm64)\n\n",
    "tagged.go": "// Copyright header.\n\n//go:build golive_x && !golive_y\n\n// Package doc.\n",
    "neg.go": "//go:build !golive_x\n\n",
    "go121.go": "//go:build go1.21\n\n",
    "go999.go": "//go:build go1.999\n\n",
    "x_linux.go": "", "x_windows.go": "", "x_amd64.go": "", "x_arm64.go": "",
    "x_windows_arm64.go": "", "x_linux_arm64.go": "", "x_android.go": "",
    "x_linux_test.go": "", "x_windows_test.go": "",
    "y_test.go": "",
    "sub/inner.go": "", "sub/deeper/leaf_windows.go": "",
    "cgo.go": "",
    "testdata/td.go": "", "vendor/v.go": "", "_under/u.go": "", ".dot/d.go": "",
    "sub/testdata/td2.go": "", "sub/_x.go": "", "sub/.y.go": "",
}
for i, (name, head) in enumerate(sorted(files.items())):
    path = os.path.join(root, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    pkg = os.path.basename(os.path.dirname(path)).lstrip("._") or "tree"
    if pkg == os.path.basename(root): pkg = "tree"
    with open(path, "w") as f:
        f.write(head + f"package {pkg}\n\n")
        if name == "cgo.go":  # built only with cgo on
            f.write('// int one(void) { return 1; }\nimport "C"\n\n')
        f.write(body.format(n=i))
os.makedirs(os.path.join(root, "empty"), exist_ok=True)
EOF2

# golive_files OUT: the absolute paths of the files with findings in golive's text output
golive_files() { cut -d: -f1 "$1" | sort -u | sed "s#^#$PWD/#"; }
# go_files TESTS [ARGS...]: what go list builds in the tree, GoFiles and CgoFiles
# (GOPATH mode: outside a module), without vendor/: module mode's ./... never
# matches vendor directories (Go 1.9 on), GOPATH mode's still does outside GOPATH.
go_files() {
	local tests=$1
	shift
	GO111MODULE=off go list -e "$@" -f \
		"{{\$d := .Dir}}{{range .GoFiles}}{{\$d}}/{{.}}
{{end}}{{range .CgoFiles}}{{\$d}}/{{.}}
{{end}}$([ "$tests" = 1 ] && echo '{{range .TestGoFiles}}{{$d}}/{{.}}
{{end}}{{range .XTestGoFiles}}{{$d}}/{{.}}
{{end}}')" ./... | grep . | grep -v '/vendor/' | sort -u
}

cd "$t"
i=0
while IFS='|' read -r env args tests what; do
	i=$((i + 1))
	rc=0
	# shellcheck disable=SC2086
	env $env "$GOLIVE" check $args ./... >"$tmp/g$i.out" 2>"$tmp/g$i.err" || rc=$?
	expect_eq "$rc" 0 "$what: exit 0"
	! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$tmp/g$i.err" || fail "$what: sanitizer report"
	golive_files "$tmp/g$i.out" >"$tmp/g$i.files"
	gotags=$(echo "$args" | sed -n 's/.*--tags \([^ ]*\).*/-tags=\1/p')
	# shellcheck disable=SC2086
	(export $env && go_files "$tests" $gotags) >"$tmp/go$i.files"
	expect_same_file "$tmp/g$i.files" "$tmp/go$i.files" "$what: the files go list builds"
done <<'EOF2'
GOOS=linux GOARCH=amd64||0|linux/amd64
GOOS=windows GOARCH=arm64||0|windows/arm64
GOOS=darwin GOARCH=arm64||0|darwin/arm64
GOOS=linux GOARCH=amd64|--tags golive_x|0|--tags golive_x
GOOS=linux GOARCH=amd64|--tags golive_x,golive_y|0|--tags golive_x,golive_y
GOOS=windows GOARCH=arm64|--tests|1|--tests on windows/arm64
CGO_ENABLED=0 GOOS=linux GOARCH=amd64||0|CGO_ENABLED=0 (no cgo.go)
EOF2
grep -q '/ignore.go\|/plusignore.go\|testdata\|vendor\|_under\|\.dot' "$tmp/g1.files" &&
	fail "ignored files or directories analysed: $(cat "$tmp/g1.files")"
pass "no //go:build ignore file, no testdata/vendor/_x/.x directory"

# GOFLAGS=-tags, as go reads it
rc=0
GOOS=linux GOARCH=amd64 GOFLAGS=-tags=golive_x "$GOLIVE" check ./... >"$tmp/gf.out" 2>/dev/null || rc=$?
golive_files "$tmp/gf.out" >"$tmp/gf.files"
expect_same_file "$tmp/gf.files" "$tmp/go4.files" "GOFLAGS=-tags=golive_x selects as --tags golive_x"

# a plain directory (not ./...) applies the same constraints
GOOS=linux GOARCH=amd64 "$GOLIVE" check . >"$tmp/dot.out" 2>"$tmp/dot.err"
golive_files "$tmp/dot.out" >"$tmp/dot.files"
grep -v '/sub/' "$tmp/go1.files" >"$tmp/dot.want"
expect_same_file "$tmp/dot.files" "$tmp/dot.want" "a plain directory: its own files, constraints applied"
expect_eq "$(tail -n 1 "$tmp/dot.err")" "golive check: $(count_lines "$tmp/dot.want") findings in $(count_lines "$tmp/dot.want") files (1 package)" "summary of a plain directory"
GOOS=linux GOARCH=amd64 "$GOLIVE" check ./... 2>"$tmp/tree.err" >/dev/null
expect_eq "$(tail -n 1 "$tmp/tree.err")" "golive check: $(count_lines "$tmp/go1.files") findings in $(count_lines "$tmp/go1.files") files (2 packages)" "DIR/...: directories with Go files built here count as packages (not empty/, nor sub/deeper/ with only a _windows file)"
cd "$tmp"
"$GOLIVE" check tree/... >"$tmp/rel.out" 2>/dev/null
expect_eq "$(cut -d: -f1 "$tmp/rel.out" | sort -u | head -n 1)" "tree/amd64_or_tag.go" "tree/... from outside: paths relative to the cwd"

# a malformed //go:build line: an error entry for the file, the rest analysed
mkdir -p "$tmp/bad"
printf '//go:build linux &&\n\npackage bad\n' >"$tmp/bad/bad.go"
printf '//go:build linux\n//go:build amd64\n\npackage bad\n' >"$tmp/bad/two.go"
cp "$t/plain.go" "$tmp/bad/ok.go"
sed -i 's/^package tree/package bad/' "$tmp/bad/ok.go"
rc=0
"$GOLIVE" check --json bad/... >"$tmp/bad.json" 2>"$tmp/bad.err" || rc=$?
expect_eq "$rc" 0 "a malformed //go:build line: exit 0"
expect_eq "$(json_get "$tmp/bad.json" 'sorted((e["file"], e["message"]) for e in d["errors"])')" \
	'[["bad/bad.go", "parsing //go:build line: unexpected end of expression at offset 9"], ["bad/two.go", "multiple //go:build comments"]]' \
	"error entries name the file and what is wrong"
expect_eq "$(json_get "$tmp/bad.json" 'd["files"]')" 1 "the other file is analysed"
grep -q '^golive: warning: bad/bad.go: parsing //go:build line' "$tmp/bad.err" || fail "no warning line: $(cat "$tmp/bad.err")"
pass "and a warning line"

# GOROOT's net/http: triv.go (//go:build ignore) is not analysed
goroot=$(go env GOROOT)
rc=0
"$GOLIVE" check --json "$goroot/src/net/http" >"$tmp/nethttp.json" 2>"$tmp/nethttp.err" || rc=$?
expect_eq "$rc" 0 "GOROOT net/http as a plain directory: exit 0"
! grep -q 'triv.go' "$tmp/nethttp.json" || fail "triv.go reported: $(grep triv.go "$tmp/nethttp.json")"
pass "GOROOT's net/http/triv.go (//go:build ignore) is not reported"
n_go=$(cd "$goroot/src" && go list -f '{{len .GoFiles}}' net/http)
expect_eq "$(json_get "$tmp/nethttp.json" 'd["files"] + d["generated"]')" "$n_go" "as many files as go list builds in net/http"

# DIR/... in the cwd's module goes to go list (which leaves out the nested module
# nested/); from outside that module, where go list cannot resolve it, the tree is
# walked as plain directories (nested/ included: a directory like any other).
m=$tmp/mod
new_module "$m" example.com/cons
new_module "$m/nested" example.com/nested
cp "$t/plain.go" "$t/ignore.go" "$m/"
cp "$t/plain.go" "$m/nested/"
sed -i 's/^package tree/package cons/' "$m"/*.go "$m"/nested/*.go
cd "$m"
"$GOLIVE" check ./... >"$tmp/mod.out" 2>"$tmp/mod.err"
expect_eq "$(cut -d: -f1 "$tmp/mod.out")" "plain.go" "./... in a module: go list's packages"
cd "$tmp"
"$GOLIVE" check mod/... >"$tmp/mod2.out" 2>"$tmp/mod2.err"
expect_eq "$(cut -d: -f1 "$tmp/mod2.out" | tr '\n' ' ')" "mod/nested/plain.go mod/plain.go " \
	"mod/... from outside the module: walked, constraints applied"

# nothing to analyse under a tree: a warning and, with nothing else, exit 2
mkdir -p "$tmp/none/testdata"
cp "$t/plain.go" "$tmp/none/testdata/"
rc=0
"$GOLIVE" check none/... >"$tmp/none.out" 2>"$tmp/none.err" || rc=$?
expect_eq "$rc" 2 "a tree without Go files: nothing to analyse, exit 2"
grep -q '^golive: warning: none/...: matched no packages$' "$tmp/none.err" || fail "no warning: $(cat "$tmp/none.err")"
pass "a tree without Go files: one warning line"
rc=0
"$GOLIVE" check none/... mod/plain.go >"$tmp/none2.out" 2>"$tmp/none2.err" || rc=$?
expect_eq "$rc" 0 "with something else to analyse: exit 0"

finish
