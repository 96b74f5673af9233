#!/usr/bin/env bash
# t70_gopath: GOPATH mode (GO111MODULE=off) on Debian's golang-github-google-go-cmp-dev.
#  - go build -a of github.com/google/go-cmp/cmp/... plus a small GOPATH program using
#    it: plain and through golive build --json both succeed, the whole graph is
#    compiled, every compile event has its GOPATH import path; the program is
#    byte-identical built plain or through golive;
#  - go vet via GOFLAGS=-toolexec=golive: same status and output as plain go vet.
. "$(dirname "$0")/lib.sh"

GOCODE=/usr/share/gocode
[ -d "$GOCODE/src/github.com/google/go-cmp/cmp" ] ||
	fail "golang-github-google-go-cmp-dev is not installed (run scripts/bootstrap)"
export GO111MODULE=off GOPATH=$tmp/gopath:$GOCODE

mkdir -p "$tmp/gopath/src/cmpdemo" "$tmp/bin-plain" "$tmp/bin-golive" "$tmp/out"
cat >"$tmp/gopath/src/cmpdemo/main.go" <<'EOF'
package main

import (
	"fmt"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

type T struct{ A, B int }

func main() {
	fmt.Println(cmp.Equal([]T{{2, 1}, {1, 2}}, []T{{1, 2}, {2, 1}},
		cmpopts.SortSlices(func(a, b T) bool { return a.A < b.A })))
}
EOF
cd "$tmp/gopath/src/cmpdemo"
pkgs=(github.com/google/go-cmp/cmp/... cmpdemo)

n=$(go list "${pkgs[@]}" | wc -l)
[ "$n" -ge 10 ] || fail "go list in GOPATH mode finds $n packages, want >= 10"
pass "GOPATH mode sees go-cmp's packages ($n)"
[ -z "$(go list -f '{{join .CgoFiles ""}}' "${pkgs[@]}")" ] || fail "go-cmp unexpectedly uses cgo"
pass "no cgo in the packages"

# -a over all the packages (no -o: with -o DIR go would build only the main ones).
rc=0
go build -a "${pkgs[@]}" >"$tmp/out/plain" 2>&1 || rc=$?
expect_eq "$rc" 0 "plain go build -a in GOPATH mode succeeds ($(head -c 300 "$tmp/out/plain"))"
expect_eq "$(cat "$tmp/out/plain")" "" "plain go build -a prints nothing"

rc=0
"$GOLIVE" build --json --keep -a "${pkgs[@]}" >"$tmp/out/golive.json" 2>"$tmp/out/golive.err" || rc=$?
expect_eq "$rc" 0 "golive build -a in GOPATH mode succeeds ($(head -c 300 "$tmp/out/golive.err"))"
grep -v '^golive: session kept in ' "$tmp/out/golive.err" >"$tmp/out/golive.err2" || true
expect_same_file "$tmp/out/plain" "$tmp/out/golive.err2" "golive build --json -a: go's output unchanged"

# The program, plain and through golive (from the cache just filled: link only).
go build -o "$tmp/bin-plain/cmpdemo" cmpdemo || fail "plain go build -o cmpdemo failed"
expect_eq "$("$tmp/bin-plain/cmpdemo")" true "the GOPATH program works"
"$GOLIVE" build --quiet -o "$tmp/bin-golive/cmpdemo" cmpdemo || fail "golive build -o cmpdemo failed"
expect_same_file "$tmp/bin-plain/cmpdemo" "$tmp/bin-golive/cmpdemo" "GOPATH program byte-identical through golive build"
j() { json_get "$tmp/out/golive.json" "$1"; }
expect_eq "$(j 'd["ok"]')" true "--json: ok"
graph=$(j 'd["packages"]["graph"]')
deps=$(go list -deps "${pkgs[@]}" | grep -v -x -e unsafe -e C | wc -l)
expect_eq "$graph" "$deps" "--json: packages.graph is go list -deps (without unsafe)"
expect_eq "$(j 'd["packages"]["compiled"]')" "$graph" "--json: -a compiles the whole graph"
expect_eq "$(j 'd["packages"]["cached"]')" 0 "--json: -a: nothing from go's cache"

sess=$(j 'd["session"]')
ev=$sess/events.jsonl
[ -s "$ev" ] || fail "--keep: no events in $sess"
problems=$(check_events_file "$ev") || fail "events malformed: $problems"
pass "events are well formed"
n=$(count_events "$ev" "e['tool']=='compile' and not e['probe'] and not e.get('importpath')")
expect_eq "$n" 0 "every compile has an import path"
for p in github.com/google/go-cmp/cmp github.com/google/go-cmp/cmp/cmpopts \
	github.com/google/go-cmp/cmp/internal/value cmpdemo; do
	n=$(count_events "$ev" "e['tool']=='compile' and not e['probe'] and e.get('importpath')=='$p'")
	expect_eq "$n" 1 "$p compiled once, under its GOPATH import path"
done
n=$(count_events "$ev" "e['tool']=='compile' and not e['probe'] and e.get('importpath')=='cmpdemo' and e.get('pkg')=='main'")
expect_eq "$n" 1 "the GOPATH main package compiles as -p main"
n=$(count_events "$ev" "e['tool']=='compile' and not e['probe'] and e['files']>0 and e['bytes']>0 and e.get('importpath','').startswith('github.com/google/go-cmp/')")
expect_eq "$n" "$(go list github.com/google/go-cmp/cmp/... | wc -l)" "go-cmp compiles: files and bytes measured in GOPATH"
rm -rf "$sess"

# go vet through the wrapper (the test files of go-cmp have vet findings). Go >=
# 1.26 caches vet results under the vet tool's -V=full, which the wrapper leaves
# alone: each vet run gets its own copy of a cache warmed by go test (which
# vets with other flags), so both run vet and only vet.
export GOCACHE=$tmp/gc-warm
go test -count=1 -run '^$' github.com/google/go-cmp/cmp/... >/dev/null 2>&1 || true
for p in github.com/google/go-cmp/cmp/... github.com/google/go-cmp/cmp/cmpopts; do
	prc=0 erc=0
	rm -rf "$tmp/gc-vp" "$tmp/gc-ve"
	cp -a "$tmp/gc-warm" "$tmp/gc-vp"
	cp -a "$tmp/gc-warm" "$tmp/gc-ve"
	GOCACHE=$tmp/gc-vp go vet "$p" >"$tmp/out/vet-plain.out" 2>"$tmp/out/vet-plain.err" || prc=$?
	GOCACHE=$tmp/gc-ve GOFLAGS=-toolexec=$GOLIVE go vet "$p" >"$tmp/out/vet-exec.out" 2>"$tmp/out/vet-exec.err" || erc=$?
	expect_eq "$erc" "$prc" "go vet $p: same status through golive ($prc)"
	# Several packages are vetted in parallel: compare their blocks (Go >= 1.26:
	# lines, go prints no "# pkg" header) in a stable order.
	if [ "$VET_NEW" = 1 ]; then
		LC_ALL=C sort <"$tmp/out/vet-plain.err" >"$tmp/out/vet-plain.sorted"
		LC_ALL=C sort <"$tmp/out/vet-exec.err" >"$tmp/out/vet-exec.sorted"
	else
		sort_blocks <"$tmp/out/vet-plain.err" >"$tmp/out/vet-plain.sorted"
		sort_blocks <"$tmp/out/vet-exec.err" >"$tmp/out/vet-exec.sorted"
	fi
	expect_same_file "$tmp/out/vet-plain.sorted" "$tmp/out/vet-exec.sorted" "go vet $p: same stderr (per package)"
	expect_same_file "$tmp/out/vet-plain.out" "$tmp/out/vet-exec.out" "go vet $p: same stdout"
done
mkdir "$tmp/vet-session"
rc=0
rm -rf "$tmp/gc-ve"
cp -a "$tmp/gc-warm" "$tmp/gc-ve"
GOCACHE=$tmp/gc-ve GOLIVE_SESSION=$tmp/vet-session GOFLAGS=-toolexec=$GOLIVE go vet github.com/google/go-cmp/cmp/cmpopts >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 0 "go vet of cmpopts with a session: clean"
# cmpopts has tests: go vet checks its test variants, "p [p.test]" and "p_test [p.test]".
n=$(count_events "$tmp/vet-session/events.jsonl" "e['tool']=='vet' and not e['probe'] and e.get('importpath') in ('github.com/google/go-cmp/cmp/cmpopts [github.com/google/go-cmp/cmp/cmpopts.test]', 'github.com/google/go-cmp/cmp/cmpopts_test [github.com/google/go-cmp/cmp/cmpopts.test]')")
expect_eq "$n" 2 "the vet runs are recorded with their GOPATH import paths"
n=$(count_events "$tmp/vet-session/events.jsonl" "e['tool']=='vet' and e['probe']")
[ "$n" -ge 1 ] || fail "vet's -flags / -V=full queries are not marked as probes"
pass "vet's -flags / -V=full queries are probes ($n)"

finish
