#!/usr/bin/env bash
# t44_analysis_goversion: logtrace's advice (log/slog) only where the package's
# Go has log/slog, through every entry point (docs/analyzers.md, logtrace).
#  - the fixture pair tests/data/check/go120 (go.mod: go 1.20) and go121 (go 1.21):
#    golive check, go vet -vettool=golive and golive build report the same
#    findings, slog advice for log calls in handlers only in go121 (and in
#    go120/slog.go, which imports log/slog), the request-scoped logger pattern in
#    go120;
#  - a second golive build (every package a go cache hit) replays them from the
#    analysis cache entries the wrappers wrote: no new entry;
#  - the same sources with go.mod lowered to go 1.20 and back: each version gets
#    its own findings, never the other's from a cache (golive's or go's);
#  - plain go build -toolexec=golive with fail_on (no session): -lang decides.
. "$(dirname "$0")/lib.sh"

if ! go_at_least 1.21; then
	pass "skipped: $(go env GOVERSION) has no log/slog (Go >= 1.21)"
	finish
	exit 0
fi
export GOCACHE=$tmp/gocache GOLIVE_CACHE_DIR=$tmp/anacache
# std from CTest's fixture (lib.sh): go vet compiles it plain here anyway.
seed_std_cache "$GOCACHE"
mkdir -p "$tmp/out"
for v in go120 go121; do
	cp -R "$GOLIVE_SRC/tests/data/check/$v" "$tmp/$v"
	chmod -R u+w "$tmp/$v"
done

# pos FILE: the findings of a go-style output as sorted "file:line:col: message"
# lines, "./" and "[analyzer] " dropped (go vet >= 1.26 prints no analyzer).
pos() { vet_text "$1"; }
entries() { find "$GOLIVE_CACHE_DIR" -name '*.json' 2>/dev/null | wc -l | tr -d ' '; }

cat >"$tmp/out/want.go120" <<'EOF'
handlers.go:14:2: log.Printf cannot carry the request's trace id; log through a request-scoped logger taken from r.Context() (log/slog's *Context methods need Go 1.21; this package is go1.20)
handlers.go:16:2: logger.Println cannot carry the request's trace id; log through a request-scoped logger taken from r.Context() (log/slog's *Context methods need Go 1.21; this package is go1.20)
handlers.go:17:6: use r.Context() instead of context.Background()
slog.go:14:2: log.Printf cannot carry the request's trace id; use slog.InfoContext(r.Context(), ...)
slog.go:15:2: slog.Info cannot carry the request's trace id; use slog.InfoContext(r.Context(), ...)
EOF
cat >"$tmp/out/want.go121" <<'EOF'
handlers.go:13:2: log.Printf cannot carry the request's trace id; use slog.InfoContext(r.Context(), ...)
handlers.go:15:2: logger.Println cannot carry the request's trace id; use slog.InfoContext(r.Context(), ...)
handlers.go:16:6: use r.Context() instead of context.Background()
EOF

# --- 1. three entry points, two versions ---------------------------------------------
for v in go120 go121; do
	cd "$tmp/$v"
	rc=0
	"$GOLIVE" check ./... >"$tmp/out/$v.check" 2>"$tmp/out/$v.check.err" || rc=$?
	expect_eq "$rc" 0 "$v: golive check exits 0"
	pos "$tmp/out/$v.check" >"$tmp/out/$v.check.pos"
	expect_same_file "$tmp/out/want.$v" "$tmp/out/$v.check.pos" "$v: golive check reports as go.mod's go line says"

	rc=0
	go vet -vettool="$GOLIVE" ./... >"$tmp/out/$v.vet.out" 2>"$tmp/out/$v.vet" || rc=$?
	expect_eq "$rc" "$VET_FAIL" "$v: go vet -vettool=golive fails on the findings"
	pos "$tmp/out/$v.vet" >"$tmp/out/$v.vet.pos"
	expect_same_file "$tmp/out/want.$v" "$tmp/out/$v.vet.pos" "$v: go vet -vettool=golive: the same findings (vet.cfg's GoVersion)"

	rc=0
	"$GOLIVE" build --keep ./... >"$tmp/out/$v.b1.out" 2>"$tmp/out/$v.b1" || rc=$?
	expect_eq "$rc" 0 "$v: golive build succeeds"
	pos "$tmp/out/$v.b1" >"$tmp/out/$v.b1.pos"
	expect_same_file "$tmp/out/want.$v" "$tmp/out/$v.b1.pos" "$v: golive build: the same findings (compile's -lang)"
	sess=$(sed -n 's/^golive: session kept in //p' "$tmp/out/$v.b1")
	n=$(count_events "$sess/diags.jsonl" "e['importpath']=='example.com/$v' and len(e['diags'])==$(count_lines "$tmp/out/want.$v")")
	expect_eq "$n" 1 "$v: the wrapper analysed the package (diags.jsonl)"
	rm -rf "$sess"

	# Every package from go's cache now: the findings come from the entry the wrapper wrote.
	before=$(entries)
	rc=0
	"$GOLIVE" build ./... >"$tmp/out/$v.b2.out" 2>"$tmp/out/$v.b2" || rc=$?
	expect_eq "$rc" 0 "$v: second golive build succeeds"
	pos "$tmp/out/$v.b2" >"$tmp/out/$v.b2.pos"
	expect_same_file "$tmp/out/want.$v" "$tmp/out/$v.b2.pos" "$v: second build replays the same findings"
	grep -q "^diagnostics: $(count_lines "$tmp/out/want.$v") in 1 package (0 analysed in this build, 1 replayed" "$tmp/out/$v.b2" ||
		fail "$v: second build did not replay: $(cat "$tmp/out/$v.b2")"
	pass "$v: the summary says replayed"
	expect_eq "$(entries)" "$before" "$v: replayed from the wrapper's cache entry (same key: same Go version), nothing analysed again"
done
grep -q '\[logtrace\] log\.Printf cannot carry' "$tmp/out/go121.b1" || fail "no [logtrace] tag in golive build's output"
pass "golive build prints the analyzer of each finding"

# --- 2. one module, its go line lowered and raised: never the other version's findings ---
cd "$tmp/go121"
sed 's/; use slog\.InfoContext(r\.Context(), \.\.\.)$/; log through a request-scoped logger taken from r.Context() (log\/slog'"'"'s *Context methods need Go 1.21; this package is go1.20)/' \
	"$tmp/out/want.go121" >"$tmp/out/want.lowered"
for round in 1 2; do
	sed -i 's/^go 1\.21$/go 1.20/' go.mod
	rc=0
	"$GOLIVE" build ./... >/dev/null 2>"$tmp/out/low$round" || rc=$?
	expect_eq "$rc" 0 "go 1.20 (round $round): golive build succeeds"
	pos "$tmp/out/low$round" >"$tmp/out/low$round.pos"
	expect_same_file "$tmp/out/want.lowered" "$tmp/out/low$round.pos" "go 1.20 (round $round): no slog advice, the request-scoped logger pattern"
	rc=0
	go vet -vettool="$GOLIVE" ./... >/dev/null 2>"$tmp/out/lowvet$round" || rc=$?
	pos "$tmp/out/lowvet$round" >"$tmp/out/lowvet$round.pos"
	expect_same_file "$tmp/out/want.lowered" "$tmp/out/lowvet$round.pos" "go 1.20 (round $round): go vet agrees"
	sed -i 's/^go 1\.20$/go 1.21/' go.mod
	rc=0
	"$GOLIVE" build ./... >/dev/null 2>"$tmp/out/high$round" || rc=$?
	pos "$tmp/out/high$round" >"$tmp/out/high$round.pos"
	expect_same_file "$tmp/out/want.go121" "$tmp/out/high$round.pos" "go 1.21 again (round $round): the slog advice is back"
	rc=0
	go vet -vettool="$GOLIVE" ./... >/dev/null 2>"$tmp/out/highvet$round" || rc=$?
	pos "$tmp/out/highvet$round" >"$tmp/out/highvet$round.pos"
	expect_same_file "$tmp/out/want.go121" "$tmp/out/highvet$round.pos" "go 1.21 again (round $round): go vet agrees"
done

# --- 3. plain go build -toolexec=golive (no session): fail_on, decided by -lang ----------
printf 'analyzers:\n  fail_on: error\n  logtrace: { severity: error }\n' >golive.yaml
printf 'package go121\n' >edit.go # go's cache would serve the compile without the wrapper
rc=0
go build -toolexec="$GOLIVE" ./... >"$tmp/out/plain21" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "go 1.21: logtrace at error must fail the compile: $(cat "$tmp/out/plain21")"
grep -q '^.*handlers.go:13:2: \[logtrace\] ' "$tmp/out/plain21" || fail "go 1.21: no logtrace line: $(cat "$tmp/out/plain21")"
pass "go 1.21, no session: logtrace at error fails the compile"
sed -i 's/^go 1\.21$/go 1.20/' go.mod
rc=0
go build -toolexec="$GOLIVE" ./... >"$tmp/out/plain20" 2>&1 || rc=$?
[ "$rc" -ne 0 ] || fail "go 1.20: logtrace at error must fail the compile too: $(cat "$tmp/out/plain20")"
grep -q '^.*handlers.go:13:2: \[logtrace\] log\.Printf .*request-scoped logger.*go1\.20)$' "$tmp/out/plain20" ||
	fail "go 1.20: no request-scoped advice: $(cat "$tmp/out/plain20")"
pass "go 1.20, no session: -lang gives the request-scoped advice (and fails at error)"

finish
