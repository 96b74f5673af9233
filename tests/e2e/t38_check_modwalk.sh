#!/usr/bin/env bash
# t38_check_modwalk: golive check resolves ./... and ./DIR/... in the cwd's module
# by walking it (src/cmd/check_modwalk.c) and gets exactly what go list gives:
#  - for real modules (examples/webapp, bench/gen-module's 127 packages, and a
#    module of edge cases: a nested module, testdata/, vendor/ below the root,
#    _dir/, .dir/, //go:build ignore, _linux/_windows/_amd64 suffixes, a cgo
#    file, a -tags file, test and xtest files, a directory whose files are all
#    excluded, one with only tests, an empty one), `golive check --json` with
#    ./..., the default, --tests, --tags, ./sub/..., from a subdirectory,
#    GOOS=windows, CGO_ENABLED=0, GOFLAGS=-tags=..., once through the walk and
#    once with GOLIVE_CHECK_GOLIST=1 (go list): byte-identical reports
#    (findings, files, packages, errors), and GOLIVE_CHECK_DEBUG=1 says the
#    walk ran;
#  - go list runs instead for a go.work, a pattern into the nested module, an
#    import path pattern, ../ patterns, GOFLAGS with a flag the walk does not
#    know, a vendor directory at the module root, a FIFO, two packages in one
#    directory, an embed import, GOEXPERIMENT, and (with go1.19, when installed)
#    a go line newer than the toolchain; the reports still match.
. "$(dirname "$0")/lib.sh"

m=$tmp/mod
mkdir -p "$m"
# Every file has one handler with one finding (context.Background in a handler).
python3 - "$m" <<'EOF2'
import os, sys
root = sys.argv[1]
body = ('import (\n\t"context"\n\t"net/http"\n)\n\n'
        'func h_{n}(w http.ResponseWriter, r *http.Request) {{\n\t_ = context.Background()\n}}\n')
files = {
    "go.mod": None,
    "main.go": "", "ignore.go": "//go:build ignore\n\n", "tagged.go": "//go:build golive_x\n\n",
    "nottagged.go": "//go:build !golive_x\n\n", "plus.go": "// +build linux\n\n",
    "x_linux.go": "", "x_windows.go": "", "x_amd64.go": "", "x_arm64.go": "",
    "cgo.go": "", "y_test.go": "", "z_test.go": "xtest", "w_windows_test.go": "",
    "sub/inner.go": "", "sub/deeper/leaf.go": "", "sub/deeper/leaf_windows.go": "",
    "sub/_x.go": "", "sub/.y.go": "", "sub/vendor/v/v.go": "",
    "excluded/a.go": "//go:build ignore\n\n", "excluded/b_windows.go": "",
    "onlywin/a_windows.go": "", "onlytest/t_test.go": "", "onlytest/x_test.go": "xtest",
    "testdata/td.go": "", "_under/u.go": "", ".dot/d.go": "",
    "nested/go.mod": None, "nested/n.go": "", "nested/deep/d.go": "",
    "sub/README.md": None, "sub/asm_amd64.s": None, "sub/asm.h": None,
}
for i, (name, head) in enumerate(sorted(files.items())):
    path = os.path.join(root, name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    if name.endswith("go.mod"):
        mod = "example.com/a" + ("/nested" if "nested" in name else "")
        open(path, "w").write(f"module {mod}\n\ngo 1.19\n")
        continue
    if head is None:
        open(path, "w").write("text\n")
        continue
    d = os.path.dirname(name)
    pkg = "main" if d == "" else os.path.basename(d).lstrip("._")
    xtest = head == "xtest"
    with open(path, "w") as f:
        f.write(("" if xtest else head) + f"package {pkg}{'_test' if xtest else ''}\n\n")
        if name == "cgo.go":
            f.write('// int one(void) { return 1; }\nimport "C"\n\n')
        f.write(body.format(n=i))
os.makedirs(os.path.join(root, "empty"), exist_ok=True)
EOF2
# a generator of another package, left out by //go:build ignore (go/build never reads its clause)
printf '//go:build ignore\n\npackage main\n\nfunc main() {}\n' >"$m/sub/gen.go"

# same WHAT [ENV=V ...] -- ARGS: the walk ran, and its report is go list's.
same() {
	local what=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	env "${envs[@]}" GOLIVE_CHECK_DEBUG=1 "$GOLIVE" check --json "$@" >"$tmp/walk.json" 2>"$tmp/walk.err" || [ $? = 1 ] ||
		fail "$what: walk: $(cat "$tmp/walk.err")"
	grep -q 'resolver: walk' "$tmp/walk.err" || fail "$what: the walk did not run: $(cat "$tmp/walk.err")"
	env "${envs[@]}" GOLIVE_CHECK_GOLIST=1 GOLIVE_CHECK_DEBUG=1 "$GOLIVE" check --json "$@" >"$tmp/list.json" 2>"$tmp/list.err" || [ $? = 1 ] ||
		fail "$what: go list: $(cat "$tmp/list.err")"
	grep -q 'resolver: go list' "$tmp/list.err" || fail "$what: go list did not run"
	cmp -s "$tmp/walk.json" "$tmp/list.json" ||
		fail "$what: the walk and go list differ: $(diff "$tmp/walk.json" "$tmp/list.json" | head -20)"
	# the summary lines too (findings, files, packages)
	diff <(grep -v resolver "$tmp/walk.err") <(grep -v resolver "$tmp/list.err") >/dev/null ||
		fail "$what: stderr differs: $(cat "$tmp/walk.err" "$tmp/list.err")"
	local n
	n=$(python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["files"], d["packages"], len(d["diagnostics"]))' "$tmp/walk.json")
	[ "${n%% *}" -gt 0 ] || fail "$what: nothing analysed"
	pass "$what: walk = go list ($n files/packages/findings)"
}

# listed WHAT [ENV=V ...] -- ARGS: the walk declined (go list resolved, or the tree is
# another module's and read as plain directories), same report either way.
listed() {
	local what=$1 envs=()
	shift
	while [ "$1" != -- ]; do envs+=("$1"); shift; done
	shift
	local rc1=0 rc2=0
	env "${envs[@]}" GOLIVE_CHECK_DEBUG=1 "$GOLIVE" check --json "$@" >"$tmp/walk.json" 2>"$tmp/walk.err" || rc1=$?
	case $rc1 in 0 | 1 | 2) ;; *) fail "$what: exit $rc1: $(cat "$tmp/walk.err")" ;; esac
	! grep -q 'resolver: walk' "$tmp/walk.err" || fail "$what: the walk ran: $(cat "$tmp/walk.err")"
	env "${envs[@]}" GOLIVE_CHECK_GOLIST=1 "$GOLIVE" check --json "$@" >"$tmp/list.json" 2>/dev/null || rc2=$?
	[ "$rc1" = "$rc2" ] || fail "$what: exit $rc1, with go list forced $rc2"
	cmp -s "$tmp/walk.json" "$tmp/list.json" || fail "$what: reports differ"
	pass "$what: not the walk ($(grep -o 'resolver: go list (.*' "$tmp/walk.err" | head -c 100 || echo "a plain directory tree"))"
}

cd "$m"
same "edge module ./..." -- ./...
same "edge module, default pattern" --
same "edge module --tests" -- --tests ./...
same "edge module --tags" -- --tags golive_x --tests ./...
same "edge module GOFLAGS=-tags" GOFLAGS=-tags=golive_x -- ./...
same "edge module ./sub/..." -- ./sub/...
same "edge module ./sub/... ./onlytest/... --tests" -- --tests ./sub/... ./onlytest/...
same "edge module sub/... (a directory)" -- sub/...
same "edge module GOOS=windows" GOOS=windows -- --tests ./...
same "edge module CGO_ENABLED=0" CGO_ENABLED=0 -- ./...
same "edge module GOFLAGS=-mod=mod -trimpath" "GOFLAGS=-mod=mod -trimpath" -- ./...
cd sub
same "edge module from sub/" -- --tests ./...
cd "$m"

listed "nested module pattern (plain directories, as before)" -- ./nested/...
listed "a pattern inside the nested module" -- ./nested/deep/...
listed "import path pattern" -- example.com/a/...
listed "../ pattern" -- ../mod/...
listed "GOFLAGS with an unknown flag" GOFLAGS=-installsuffix=x -- ./...
listed "GOEXPERIMENT" GOEXPERIMENT=loopvar -- ./...
printf 'go 1.19\n\nuse .\n' >go.work
listed "go.work" -- ./...
same "go.work with GOWORK=off" GOWORK=off -- ./...
rm go.work

# Trees the walk must leave to go list, one change at a time.
variant() { cd "$tmp"; rm -rf "$tmp/v"; cp -a "$m" "$tmp/v"; }
variant
printf 'module example.com/a\n\ngo 1.16\n\nrequire example.com/x v1.0.0\n' >"$tmp/v/go.mod"
cd "$tmp/v"
listed "requirements under go 1.16 (the whole graph; exit 2 both ways offline)" -- ./...
variant
mkdir -p "$tmp/v/vendor" && : >"$tmp/v/vendor/modules.txt"
cd "$tmp/v"
listed "vendor/ at the module root" -- ./...
variant
mkfifo "$tmp/v/sub/fifo.go"
cd "$tmp/v"
listed "a FIFO" -- ./...
variant
printf 'package other\n' >"$tmp/v/sub/other.go"
cd "$tmp/v"
listed "two packages in one directory" -- ./...
variant
printf 'package sub\n\nimport _ "embed"\n\n//go:embed README.md\nvar readme string\n' >"$tmp/v/sub/embed.go"
cd "$tmp/v"
listed "an embed import" -- ./...
variant
printf 'package sub\n\nimport "C"\n' >"$tmp/v/sub/c_test.go"
cd "$tmp/v"
listed "a test importing C, cgo off" CGO_ENABLED=0 -- ./...
variant
printf 'package sub\n\nimport (\n\t"C"\n)\n' >"$tmp/v/sub/grouped.go"
cd "$tmp/v"
listed "a grouped import of C, cgo off" CGO_ENABLED=0 -- ./...
variant
printf 'int x;\n' >"$tmp/v/sub/x.c"
cd "$tmp/v"
listed "a C file in a package without cgo" -- ./...
variant
mkdir "$tmp/v/real" && printf 'package real\n' >"$tmp/v/real/r.go" && ln -s real "$tmp/v/link"
cd "$tmp/v"
listed "a symlinked directory" -- ./...
variant
printf 'module example.com/a\n\ngo 1.19\n\nrequire example.com/x\n' >"$tmp/v/go.mod"
cd "$tmp/v"
listed "a go.mod go cannot parse (exit 2 both ways)" -- ./...
variant
printf 'module example.com/a\n\ngo 1.19\n\nignore ./sub\n' >"$tmp/v/go.mod"
cd "$tmp/v"
listed "go.mod's ignore directive" -- ./...

# go.mod with a toolchain line, requirements never downloaded, replace, exclude, retract.
variant
cat >"$tmp/v/go.mod" <<'EOF3'
module example.com/a // the main module

go 1.22

toolchain go1.22.1

require (
	example.com/nothere v1.2.3
	example.com/other v0.1.0 // indirect
)

require example.com/single v1.0.0

exclude example.com/nothere v1.2.2

replace example.com/other => ./other

retract [v0.0.1, v0.0.5]
EOF3
cd "$tmp/v"
if go version | grep -q 'go1\.\(19\|2[01]\)\b'; then :; else
	same "go.mod with toolchain, require, replace, exclude, retract" -- --tests ./...
fi

# Real modules: examples/webapp and bench/gen-module's.
cd "$GOLIVE_SRC/examples/webapp"
same "examples/webapp --tests" -- --tests ./...
"$GOLIVE_SRC/bench/gen-module" "$tmp/gen" >/dev/null
cd "$tmp/gen"
same "bench/gen-module (127 packages)" -- ./...
same "bench/gen-module rules" -- --config "$GOLIVE_SRC/bench/rules/golive.yaml" ./internal/...

# Debian's go1.19, when there: the same answers, and a go line newer than it is go list's.
if [ -x /usr/lib/go-1.19/bin/go ]; then
	export PATH=/usr/lib/go-1.19/bin:$PATH
	unset GOROOT
	cd "$m"
	same "go1.19: edge module --tests" -- --tests ./...
	same "go1.19: GOOS=windows" GOOS=windows -- ./...
	variant
	printf 'module example.com/a\n\ngo 1.21\n' >"$tmp/v/go.mod"
	cd "$tmp/v"
	listed "go1.19: a go line newer than the toolchain" -- ./...
fi
finish
