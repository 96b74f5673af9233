#!/usr/bin/env bash
# t10_identical: going through golive changes nothing go produces.
#  - go build -a of examples/webapp: -toolexec (no session), -toolexec with a
#    session, and golive build all write the bytes plain go build writes; the
#    session's events.jsonl is well formed and shows the cgo and asm runs of
#    the graph;
#  - go test -toolexec and go vet via GOFLAGS=-toolexec print what plain go prints;
#  - `golive <tool> -V=full` answers exactly like the tool;
#  - a -toolexec build after a plain one is served by go's cache.
. "$(dirname "$0")/lib.sh"

w=$tmp/webapp
copy_webapp "$w"
mkdir -p "$tmp/bin" "$tmp/out"
cd "$w"

# --- 1. byte-identical binaries, -a -------------------------------------------
# The reference: plain go build (its bytes do not depend on -a), std from
# CTest's fixture when there is one (lib.sh's seed_std_cache), else compiled.
# Before Go 1.20, plain go build -a: without -a, go links std's archives
# from GOROOT/pkg (the distribution's build), not the bytes -a compiles.
if go_at_least 1.20; then
	seed_std_cache "$tmp/gc-plain"
	GOCACHE=$tmp/gc-plain go build -o "$tmp/bin/plain" . >"$tmp/out/plain" 2>&1 ||
		fail "plain go build failed: $(cat "$tmp/out/plain")"
	pass "plain go build of webapp"
else
	go build -a -o "$tmp/bin/plain" . >"$tmp/out/plain" 2>&1 || fail "plain go build -a failed: $(cat "$tmp/out/plain")"
	pass "plain go build -a of webapp"
fi

go build -a -toolexec="$GOLIVE" -o "$tmp/bin/exec" . >"$tmp/out/exec" 2>&1 ||
	fail "go build -a -toolexec=golive (no session) failed: $(cat "$tmp/out/exec")"
expect_eq "$(cat "$tmp/out/exec")" "" "go build -toolexec (no session) prints nothing"
expect_same_file "$tmp/bin/plain" "$tmp/bin/exec" "toolexec without session: identical binary"

sess=$tmp/session
mkdir "$sess"
GOLIVE_SESSION=$sess go build -a -toolexec="$GOLIVE" -o "$tmp/bin/sess" . >"$tmp/out/sess" 2>&1 ||
	fail "go build -a -toolexec=golive with GOLIVE_SESSION failed: $(cat "$tmp/out/sess")"
expect_eq "$(cat "$tmp/out/sess")" "" "go build -toolexec with a session prints nothing"
expect_same_file "$tmp/bin/plain" "$tmp/bin/sess" "toolexec with session: identical binary"

"$GOLIVE" build --quiet -a -o "$tmp/bin/golive" . >"$tmp/out/golive" 2>&1 ||
	fail "golive build -a failed: $(cat "$tmp/out/golive")"
expect_eq "$(cat "$tmp/out/golive")" "" "golive build --quiet -a prints nothing on success"
expect_same_file "$tmp/bin/plain" "$tmp/bin/golive" "golive build: identical binary"

# --- 2. the session's events --------------------------------------------------
ev=$sess/events.jsonl
[ -s "$ev" ] || fail "no events.jsonl in the session"
problems=$(check_events_file "$ev") || fail "events.jsonl malformed: $problems"
pass "every event line is JSON with all documented fields"
expect_eq "$(ls "$sess")" "events.jsonl" "the wrapper writes only events.jsonl into the session"

n=$(count_events "$ev" "e['tool']=='cgo' and not e['probe']")
[ "$n" -ge 4 ] || fail "want >= 4 cgo runs (net, runtime/cgo: 2 each), got $n"
pass "cgo runs recorded ($n)"
n=$(count_events "$ev" "e['tool']=='cgo' and not e['probe'] and e.get('importpath')=='net'")
expect_eq "$n" 2 "net's two cgo runs (objdir, -dynimport) recorded with importpath net"
# Every package of the graph with assembly (which ones moved between Go
# releases: crypto/sha256's went to crypto/internal/fips140/... in 1.24) runs
# asm at least twice: -gensymabis, then the .s files.
asmpkgs=$(go list -deps -f '{{if .SFiles}}{{.ImportPath}}{{end}}' .)
[ -n "$asmpkgs" ] || fail "go list finds no package with assembly in webapp's graph"
for p in $asmpkgs; do
	n=$(count_events "$ev" "e['tool']=='asm' and not e['probe'] and e.get('importpath')=='$p'")
	[ "$n" -ge 2 ] || fail "want >= 2 asm runs of $p (-gensymabis + .s), got $n"
done
pass "assembly recorded for each of the $(echo "$asmpkgs" | wc -l) packages with .s files (>= 2 asm runs each)"
n=$(count_events "$ev" "e['tool']=='compile' and not e['probe'] and e.get('importpath')=='runtime' and e.get('pkg')=='runtime' and e['files']>50 and e['bytes']>500000")
expect_eq "$n" 1 "runtime compiled once, with files and bytes measured"
n=$(count_events "$ev" "e['tool']=='link' and not e['probe'] and e.get('importpath')=='example.com/webapp'")
expect_eq "$n" 1 "one link of example.com/webapp"
n=$(count_events "$ev" "e['tool']=='compile' and not e['probe'] and e.get('importpath')=='example.com/webapp' and e.get('pkg')=='main'")
expect_eq "$n" 1 "main package compiled as -p main with its import path"
n=$(count_events "$ev" "e['exit']!=0 or e['signal']!=0")
expect_eq "$n" 0 "no failed tool runs"
n=$(count_events "$ev" "e['probe'] and e['tool'] in ('compile','asm','cgo','link')")
[ "$n" -ge 4 ] || fail "want -V=full probes for compile, asm, cgo, link; got $n"
pass "-V=full probes recorded as probe=true ($n)"
n=$(count_events "$ev" "not e['probe'] and (e['wall_ns']<=0 or e['start_ns']<1600000000*10**9 or e['tool_maxrss_kb']<=0 or e['self_maxrss_kb']<=0)")
expect_eq "$n" 0 "times and RSS are plausible in every event"

# --- 3. go test -toolexec -----------------------------------------------------
strip_times() { sed -E -e 's/\([0-9.]+s\)/(T)/' -e 's/[[:space:]][0-9.]+s$/ T/' -e 's/\(cached\)/T/'; }
tsess=$tmp/test-session
mkdir "$tsess"
rc=0
GOLIVE_SESSION=$tsess go test -count=1 -v -toolexec="$GOLIVE" ./... >"$tmp/out/test-exec" 2>&1 || rc=$?
expect_eq "$rc" 0 "go test -toolexec=golive passes"
rc=0
go test -count=1 -v ./... >"$tmp/out/test-plain" 2>&1 || rc=$?
expect_eq "$rc" 0 "plain go test passes"
strip_times <"$tmp/out/test-plain" >"$tmp/out/test-plain.s"
strip_times <"$tmp/out/test-exec" >"$tmp/out/test-exec.s"
grep -q '^--- PASS: TestHealthz' "$tmp/out/test-exec.s" || fail "go test -toolexec output lacks TestHealthz: $(cat "$tmp/out/test-exec")"
expect_same_file "$tmp/out/test-plain.s" "$tmp/out/test-exec.s" "go test -toolexec prints what go test prints"
n=$(count_events "$tsess/events.jsonl" "e['tool']=='compile' and e.get('importpath')=='example.com/webapp [example.com/webapp.test]'")
expect_eq "$n" 1 "test variant compiled with TOOLEXEC_IMPORTPATH 'p [p.test]'"
n=$(count_events "$tsess/events.jsonl" "e['tool']=='vet' and not e['probe']")
[ "$n" -ge 1 ] || fail "go test's vet run not recorded"
pass "go test's vet run went through the wrapper ($n)"

# --- 4. go vet via GOFLAGS=-toolexec -------------------------------------------
v=$tmp/vetmod
new_module "$v" example.com/vetmod
mkdir -p "$v/bad" "$v/clean"
cat >"$v/bad/bad.go" <<'EOF'
package bad

import "fmt"

func Hello(name string) { fmt.Printf("hello %d\n", name) }
EOF
cat >"$v/clean/clean.go" <<'EOF'
package clean

import "fmt"

func Hello(name string) { fmt.Printf("hello %s\n", name) }
EOF
cd "$v"
for p in ./bad ./clean ./...; do
	prc=0 erc=0
	go vet "$p" >"$tmp/out/vet-plain.out" 2>"$tmp/out/vet-plain.err" || prc=$?
	GOFLAGS=-toolexec=$GOLIVE go vet "$p" >"$tmp/out/vet-exec.out" 2>"$tmp/out/vet-exec.err" || erc=$?
	expect_eq "$erc" "$prc" "go vet $p: same exit status through golive ($prc)"
	expect_same_file "$tmp/out/vet-plain.err" "$tmp/out/vet-exec.err" "go vet $p: same stderr"
	expect_same_file "$tmp/out/vet-plain.out" "$tmp/out/vet-exec.out" "go vet $p: same stdout"
done
grep -q 'bad.go:5:.*Printf format %d has arg name of wrong type string' "$tmp/out/vet-plain.err" ||
	fail "the vet finding was not reported: $(cat "$tmp/out/vet-plain.err")"
pass "the Printf finding is reported"
vs=$tmp/vet-session
mkdir "$vs"
# A new comment: go's vet cache (Go >= 1.26) must not answer for the package.
printf '\n// again\n' >>bad/bad.go
rc=0
GOLIVE_SESSION=$vs GOFLAGS=-toolexec=$GOLIVE go vet ./bad >/dev/null 2>"$tmp/out/vet-sess.err" || rc=$?
expect_eq "$rc" "$prc" "go vet with a session: same exit status"
grep -q 'Printf format %d' "$tmp/out/vet-sess.err" || fail "go vet with a session lost the finding"
# Go >= 1.26 runs vet with -json (the findings in a file, exit 0); older Go, exit 1.
vexit=1
[ "$VET_NEW" = 0 ] || vexit=0
n=$(count_events "$vs/events.jsonl" "e['tool']=='vet' and not e['probe'] and e['exit']==$vexit and e.get('importpath')=='example.com/vetmod/bad'")
expect_eq "$n" 1 "the vet run with the finding is recorded (exit $vexit)"

# --- 5. -V=full ------------------------------------------------------------------
for tool in compile asm link; do
	"$GOTOOLDIR_/$tool" -V=full >"$tmp/out/v-plain" 2>&1
	"$GOLIVE" "$GOTOOLDIR_/$tool" -V=full >"$tmp/out/v-exec" 2>&1
	expect_same_file "$tmp/out/v-plain" "$tmp/out/v-exec" "$tool -V=full identical without a session"
	vsess=$tmp/vfull-$tool
	mkdir "$vsess"
	GOLIVE_SESSION=$vsess "$GOLIVE" "$GOTOOLDIR_/$tool" -V=full >"$tmp/out/v-sess" 2>&1
	expect_same_file "$tmp/out/v-plain" "$tmp/out/v-sess" "$tool -V=full identical with a session"
	n=$(count_events "$vsess/events.jsonl" "e['tool']=='$tool' and e['probe'] and e['exit']==0")
	expect_eq "$n" 1 "$tool -V=full recorded as one probe"
done

# --- 6. a -toolexec build reuses a plain build's cache ---------------------------
c=$tmp/cachemod
new_module "$c" example.com/cachemod
cat >"$c/main.go" <<'EOF'
package main

func main() { println("cached") }
EOF
cd "$c"
export GOCACHE=$tmp/gocache
go build -o "$tmp/bin/c-plain" . || fail "plain build with an isolated cache failed"
cs=$tmp/cache-session
mkdir "$cs"
GOLIVE_SESSION=$cs go build -toolexec="$GOLIVE" -o "$tmp/bin/c-exec" . >"$tmp/out/c-exec" 2>&1 ||
	fail "toolexec build after plain build failed: $(cat "$tmp/out/c-exec")"
n=$(count_events "$cs/events.jsonl" "e['tool'] in ('compile','asm') and not e['probe']")
expect_eq "$n" 0 "toolexec build after a plain build compiles nothing (go's cache reused)"
n=$(count_events "$cs/events.jsonl" "e['tool']=='link' and not e['probe']")
expect_eq "$n" 1 "the link still runs through the wrapper"
expect_same_file "$tmp/bin/c-plain" "$tmp/bin/c-exec" "cached toolexec build: identical binary"
unset GOCACHE

finish
