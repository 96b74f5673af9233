#!/usr/bin/env bash
# t11_go_features: what newer Go added goes through the wrapper unchanged.
#  - cover (redesigned in Go 1.20: -coveragecfg): go test -cover and
#    -coverprofile through -toolexec=golive print and write what plain go
#    does; go build -cover gives the same bytes;
#  - go test -json: the same event stream (times aside);
#  - go build -json (Go >= 1.24): a compile error reads the same;
#  - PGO (Go >= 1.21): go build -pgo=auto with a default.pgo made by this
#    script from a real CPU profile: the same bytes plain, through
#    -toolexec and through golive build, and the wrapper compiled with it.
# Every comparison builds the module's own packages through the wrapper:
# the plain and the wrapped build start from copies of one cache holding
# only std (the wrapper does not change go's action IDs, so a package in
# the cache would never reach it).
. "$(dirname "$0")/lib.sh"

m=$tmp/feat
new_module "$m" example.com/feat
mkdir -p "$m/hot" "$m/cmd/feat" "$m/cmd/warm" "$tmp/out" "$tmp/bin"
cat >"$m/hot/hot.go" <<'EOF'
// Package hot has a loop worth optimising with a profile.
package hot

import (
	"sort"
	"strconv"
	"strings"
)

// Work sorts n numbers by their decimal spelling and joins the first ten.
func Work(n int) string {
	s := make([]string, n)
	for i := range s {
		s[i] = strconv.Itoa(i * 7919 % 10007)
	}
	sort.Strings(s)
	return strings.Join(s[:10], ",")
}

// Kind names what n is; the test covers only part of it.
func Kind(n int) string {
	if n < 0 {
		return "negative"
	}
	if n == 0 {
		return "zero"
	}
	return "positive"
}
EOF
cat >"$m/hot/hot_test.go" <<'EOF'
package hot

import "testing"

func TestWork(t *testing.T) {
	if got := Work(100); got == "" {
		t.Fatal("empty")
	}
}

func TestKind(t *testing.T) {
	if Kind(1) != "positive" {
		t.Fatal("Kind(1)")
	}
}

func BenchmarkWork(b *testing.B) {
	for i := 0; i < b.N; i++ {
		Work(2000)
	}
}
EOF
cat >"$m/cmd/feat/main.go" <<'EOF'
package main

import (
	"fmt"

	"example.com/feat/hot"
)

func main() { fmt.Println(hot.Work(1000), hot.Kind(3)) }
EOF
# warm: the same std imports (and, below, profile) as feat, none of feat's packages.
cat >"$m/cmd/warm/main.go" <<'EOF'
package main

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

func main() {
	s := []string{strconv.Itoa(2), "1"}
	sort.Strings(s)
	fmt.Println(strings.Join(s, ","))
}
EOF
printf 'package main\n\nimport "testing"\n\nfunc TestWarm(t *testing.T) {}\n' >"$m/cmd/warm/warm_test.go"
cd "$m"
export GOCACHE=$tmp/gocache
strip_times() { sed -E -e 's/\([0-9.]+s\)/(T)/' -e 's/[[:space:]][0-9.]+s([[:space:]]|$)/ T\1/' -e 's/\(cached\)/T/'; }

# fresh_caches NAME...: $tmp/gc-NAME, each a copy of the warmed cache (std only).
fresh_caches() {
	local n
	for n in "$@"; do
		rm -rf "$tmp/gc-$n"
		cp -a "$GOCACHE" "$tmp/gc-$n"
	done
}

# --- 1. cover --------------------------------------------------------------------------
go build -o /dev/null ./cmd/warm || fail "warm-up build failed"
go test -count=1 ./cmd/warm >/dev/null 2>&1 || fail "warm-up test build failed"
go test -count=1 -cover ./cmd/warm >/dev/null 2>&1 || fail "warm-up cover build failed"
if go_at_least 1.20; then go build -cover -o /dev/null ./cmd/warm || fail "warm-up build -cover failed"; fi
fresh_caches cplain cexec
rc=0
GOCACHE=$tmp/gc-cplain go test -count=1 -cover -coverprofile="$tmp/out/c-plain.prof" ./hot >"$tmp/out/c-plain" 2>&1 || rc=$?
expect_eq "$rc" 0 "plain go test -cover passes"
mkdir "$tmp/csess"
rc=0
GOCACHE=$tmp/gc-cexec GOLIVE_SESSION=$tmp/csess go test -count=1 -cover -coverprofile="$tmp/out/c-exec.prof" \
	-toolexec="$GOLIVE" ./hot >"$tmp/out/c-exec" 2>&1 || rc=$?
expect_eq "$rc" 0 "go test -cover -toolexec=golive passes"
grep -q 'coverage: [0-9.]*% of statements' "$tmp/out/c-exec" || fail "no coverage figure: $(cat "$tmp/out/c-exec")"
expect_eq "$(strip_times <"$tmp/out/c-exec")" "$(strip_times <"$tmp/out/c-plain")" \
	"go test -cover through golive prints what go prints ($(grep -o 'coverage: [0-9.]*%' "$tmp/out/c-plain"))"
expect_same_file "$tmp/out/c-plain.prof" "$tmp/out/c-exec.prof" "the same coverage profile"
n=$(count_events "$tmp/csess/events.jsonl" "e['tool']=='compile' and e.get('importpath','').startswith('example.com/feat/hot')")
[ "$n" -ge 1 ] || fail "hot's compiles did not reach the wrapper"
pass "the cover build's compiles went through the wrapper ($n)"
if go_at_least 1.20; then
	n=$(count_events "$tmp/csess/events.jsonl" "e['tool']=='cover' and not e['probe']")
	[ "$n" -ge 1 ] || fail "Go >= 1.20 runs cover as a tool: not recorded"
	pass "the cover tool's runs recorded ($n)"
fi
if go_at_least 1.20; then # go build -cover arrived with the redesign
	fresh_caches bplain bexec
	GOCACHE=$tmp/gc-bplain go build -cover -o "$tmp/bin/cover-plain" ./cmd/feat || fail "plain go build -cover failed"
	GOCACHE=$tmp/gc-bexec go build -cover -toolexec="$GOLIVE" -o "$tmp/bin/cover-exec" ./cmd/feat ||
		fail "go build -cover -toolexec failed"
	expect_same_file "$tmp/bin/cover-plain" "$tmp/bin/cover-exec" "go build -cover: identical binary through golive"
else
	pass "go build -cover: not in $(go env GOVERSION)"
fi

# --- 2. go test -json ------------------------------------------------------------------
fresh_caches jplain jexec
# json_events FILE: the events without their times, one per line.
json_events() {
	python3 - "$1" <<'EOF'
import json, re, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    e.pop("Time", None)
    e.pop("Elapsed", None)
    if "Output" in e:
        e["Output"] = re.sub(r"\(?[0-9.]+s\)?", "T", e["Output"])
    print(json.dumps(e, sort_keys=True))
EOF
}
GOCACHE=$tmp/gc-jplain go test -count=1 -json ./hot >"$tmp/out/j-plain" 2>&1 || fail "plain go test -json failed"
GOCACHE=$tmp/gc-jexec go test -count=1 -json -toolexec="$GOLIVE" ./hot >"$tmp/out/j-exec" 2>&1 ||
	fail "go test -json -toolexec failed"
json_events "$tmp/out/j-plain" >"$tmp/out/j-plain.e"
json_events "$tmp/out/j-exec" >"$tmp/out/j-exec.e"
grep -q '"Action": "pass", "Package": "example.com/feat/hot", "Test": "TestKind"' "$tmp/out/j-exec.e" ||
	fail "no TestKind pass event: $(head -5 "$tmp/out/j-exec.e")"
expect_same_file "$tmp/out/j-plain.e" "$tmp/out/j-exec.e" "go test -json: the same events through golive ($(count_lines "$tmp/out/j-plain.e"))"

# --- 3. go build -json (Go >= 1.24) ----------------------------------------------------
if go_at_least 1.24; then
	mkdir -p "$m/broken"
	printf 'package broken\n\nfunc F() int { return "x" }\n' >"$m/broken/broken.go"
	rc1=0 rc2=0
	go build -json ./broken >"$tmp/out/bj-plain" 2>"$tmp/out/bj-plain.err" || rc1=$?
	go build -json -toolexec="$GOLIVE" ./broken >"$tmp/out/bj-exec" 2>"$tmp/out/bj-exec.err" || rc2=$?
	expect_eq "$rc2" "$rc1" "go build -json on a compile error: the same status ($rc1)"
	grep -q '"Action":"build-fail"' "$tmp/out/bj-exec" || fail "no build-fail event: $(cat "$tmp/out/bj-exec")"
	expect_same_file "$tmp/out/bj-plain" "$tmp/out/bj-exec" "go build -json: the same events through golive"
	expect_same_file "$tmp/out/bj-plain.err" "$tmp/out/bj-exec.err" "go build -json: the same stderr"
	rm -rf "$m/broken"
else
	pass "go build -json: not in $(go env GOVERSION)"
fi

# --- 4. PGO (Go >= 1.21) ---------------------------------------------------------------
if ! go_at_least 1.21; then
	pass "PGO: not in $(go env GOVERSION)"
	finish
	exit 0
fi
go test -run '^$' -bench BenchmarkWork -benchtime 300x -cpuprofile "$tmp/cpu.pprof" -o "$tmp/hot.test" ./hot \
	>"$tmp/out/bench" 2>&1 || fail "the benchmark that makes the profile failed: $(tail -5 "$tmp/out/bench")"
[ -s "$tmp/cpu.pprof" ] || fail "no CPU profile written"
cp "$tmp/cpu.pprof" cmd/feat/default.pgo
cp "$tmp/cpu.pprof" cmd/warm/default.pgo
go build -pgo=auto -o /dev/null ./cmd/warm || fail "PGO warm-up build failed"
fresh_caches pplain pexec pgolive
GOCACHE=$tmp/gc-pplain go build -pgo=auto -o "$tmp/bin/pgo-plain" ./cmd/feat || fail "plain go build -pgo=auto failed"
GOCACHE=$tmp/gc-pplain go build -pgo=off -o "$tmp/bin/pgo-off" ./cmd/feat || fail "plain go build -pgo=off failed"
if cmp -s "$tmp/bin/pgo-plain" "$tmp/bin/pgo-off"; then fail "the profile changed nothing: this would check nothing"; fi
pass "the profile changes the binary (PGO at work)"
mkdir "$tmp/psess"
GOCACHE=$tmp/gc-pexec GOLIVE_SESSION=$tmp/psess go build -pgo=auto -toolexec="$GOLIVE" -o "$tmp/bin/pgo-exec" ./cmd/feat ||
	fail "go build -pgo=auto -toolexec failed"
expect_same_file "$tmp/bin/pgo-plain" "$tmp/bin/pgo-exec" "PGO: identical binary through -toolexec=golive"
n=$(count_events "$tmp/psess/events.jsonl" "e['tool']=='compile' and e.get('importpath')=='example.com/feat/hot'")
expect_eq "$n" 1 "PGO: hot compiled through the wrapper"
GOCACHE=$tmp/gc-pgolive "$GOLIVE" build --quiet -pgo=auto -o "$tmp/bin/pgo-golive" ./cmd/feat ||
	fail "golive build -pgo=auto failed"
expect_same_file "$tmp/bin/pgo-plain" "$tmp/bin/pgo-golive" "PGO: identical binary through golive build"
expect_eq "$("$tmp/bin/pgo-golive")" "$("$tmp/bin/pgo-off")" "PGO: the program prints the same"

finish
