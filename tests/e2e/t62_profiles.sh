#!/usr/bin/env bash
# t62_profiles: dev/ci/prod (docs/profiles.md).
#  - prod, chosen by --profile prod, by ENV=production and by the marker file of
#    golive.yaml's profiles.prod_marker: golive build writes a binary byte-identical
#    to plain go build's, analyses nothing (a finding that reaches fail_on does not
#    fail it: the wrappers read no golive.yaml), keeps no session, and says "prod
#    profile: no per-tool figures"; --json has profile/profile_reason;
#  - the wrapper with GOLIVE_PROFILE=prod: `-V=full` answers exactly like the tool,
#    no event is recorded even with GOLIVE_SESSION set, go build -toolexec writes
#    the plain binary and ignores fail_on;
#  - the profile line and its reason: CI=true (ci, analysis on: the finding fails
#    the build), GITHUB_ACTIONS=true, GOLIVE_PROFILE=ci, --profile dev over
#    CI=true, the default; --log-format json and the trace's golive.profile;
#  - GOLIVE_PROFILE=bogus and --profile bogus: exit 2 with one line;
#  - golive dev refuses prod (--profile prod, ENV=production): exit 2, one line;
#    golive dev --profile ci says so and its builds run in ci (their build span).
# go's cache is the script's own (XDG_CACHE_HOME moves below, go's default cache
# would move with it), its std compiled once: the builds that must run the
# compile of webapp's package (with the finding) through the prod wrapper start
# from copies of that std-only cache instead of rebuilding everything with -a.
. "$(dirname "$0")/lib.sh"

# Detection must start from nothing: the runner may be a CI system itself.
unset GOLIVE_PROFILE ENV GO_ENV CI GITHUB_ACTIONS GITLAB_CI BUILDKITE JENKINS_URL || true

w=$tmp/webapp
copy_webapp "$w"
mkdir -p "$tmp/bin" "$tmp/out"
o=$tmp/out
b=$tmp/bin
marker=$tmp/golive-prod
# A finding that reaches fail_on: any build that analyses fails.
cat >"$w/api.go" <<'EOF'
package main

import (
	"context"
	"net/http"
)

func apiHandler(w http.ResponseWriter, r *http.Request) {
	_ = context.Background()
}
EOF
cat >"$w/golive.yaml" <<EOF
analyzers:
  fail_on: error
  httpctx:
    severity: error
profiles:
  prod_marker: $marker
EOF
sessions() { find "$TMPDIR" -maxdepth 1 -name 'golive-session*' | wc -l | tr -d ' '; }
cd "$w"
export GOCACHE=$tmp/gocache
seed_std_cache "$tmp/gc-std" # CTest's fixture (lib.sh), then go cache hits
warm_std_cache "$tmp/gc-std" "$w"
copy_cache "$tmp/gc-std" "$GOCACHE"
# stdonly NAME: $tmp/gc-NAME, a fresh copy of the std-only cache, for one build.
stdonly() { copy_cache "$tmp/gc-std" "$tmp/gc-$1"; }

# --- 1. prod by --profile: plain go build's binary, nothing else -------------------
go build -o "$b/plain" . >"$o/plain" 2>&1 || fail "plain go build failed: $(cat "$o/plain")"
pass "plain go build of webapp (with a fail_on finding)"

rc=0
stdonly p1
GOCACHE=$tmp/gc-p1 "$GOLIVE" build --profile prod -o "$b/p1" . >"$o/p1.out" 2>"$o/p1.err" || rc=$?
expect_eq "$rc" 0 "golive build --profile prod (webapp's package compiled) succeeds although findings reach fail_on"
expect_same_file "$b/plain" "$b/p1" "--profile prod: byte-identical to plain go build"
expect_eq "$(head -1 "$o/p1.err")" "golive: profile prod (--profile)" "--profile prod: the profile line"
grep -Eq '^golive: build ok in [0-9.]+s \(prod profile: no per-tool figures\)$' "$o/p1.err" ||
	fail "--profile prod: no 'prod profile: no per-tool figures' line: $(cat "$o/p1.err")"
pass "--profile prod: the summary says there are no per-tool figures"
expect_eq "$(count_lines "$o/p1.err")" 2 "--profile prod: two lines on stderr, no findings"
expect_eq "$(cat "$o/p1.out")" "" "--profile prod: nothing on stdout"

# --- 2. prod by ENV=production, --json ---------------------------------------------
rc=0
ENV=production "$GOLIVE" build --json --keep -o "$b/p2" . >"$o/p2.json" 2>"$o/p2.err" || rc=$?
expect_eq "$rc" 0 "ENV=production golive build --json succeeds"
expect_same_file "$b/plain" "$b/p2" "ENV=production: byte-identical to plain go build"
expect_eq "$(cat "$o/p2.err")" "" "--json: nothing on stderr"
j() { json_get "$1" "$2"; }
expect_eq "$(j "$o/p2.json" 'd["profile"]')" prod "--json: profile prod"
expect_eq "$(j "$o/p2.json" 'd["profile_reason"]')" ENV=production "--json: profile_reason ENV=production"
expect_eq "$(j "$o/p2.json" 'd["runs"]')" 0 "--json: no tool runs recorded"
expect_eq "$(j "$o/p2.json" 'd["diagnostics"]')" "[]" "--json: no diagnostics"
expect_eq "$(j "$o/p2.json" 'd["session"]')" null "--json --keep: no session in prod"
expect_eq "$(sessions)" 0 "prod: no session directory was created"

# --- 3. prod by the marker file of golive.yaml --------------------------------------
touch "$marker"
rc=0
"$GOLIVE" build --keep -o "$b/p3" . >"$o/p3.out" 2>"$o/p3.err" || rc=$?
expect_eq "$rc" 0 "golive build with the marker file succeeds"
expect_same_file "$b/plain" "$b/p3" "marker file: byte-identical to plain go build"
expect_eq "$(head -1 "$o/p3.err")" "golive: profile prod (marker file $marker)" "marker file: the profile line names it"
if grep -q 'session kept' "$o/p3.err"; then fail "prod kept a session: $(cat "$o/p3.err")"; fi
expect_eq "$(sessions)" 0 "marker file: no session directory"
rm -f "$marker"

# --- 4. the wrapper under GOLIVE_PROFILE=prod ---------------------------------------
for tool in compile asm link; do
	want=$("$GOTOOLDIR_/$tool" -V=full)
	s=$tmp/vsess-$tool
	mkdir -p "$s"
	got=$(GOLIVE_PROFILE=prod GOLIVE_SESSION=$s "$GOLIVE" "$GOTOOLDIR_/$tool" -V=full)
	expect_eq "$got" "$want" "GOLIVE_PROFILE=prod: $tool -V=full is the tool's own answer"
	expect_eq "$(ls -A "$s")" "" "GOLIVE_PROFILE=prod: the $tool probe records nothing"
done
# The control: the same probe without prod is recorded.
s=$tmp/vsess-control
mkdir -p "$s"
GOLIVE_SESSION=$s "$GOLIVE" "$GOTOOLDIR_/compile" -V=full >/dev/null
[ -s "$s/events.jsonl" ] || fail "control: a probe with a session should record an event"
pass "control: without GOLIVE_PROFILE=prod the probe is recorded"

# webapp's package (std from the cache) compiles, and links, through the wrapper.
s=$tmp/sess
mkdir -p "$s"
rc=0
stdonly w1
GOCACHE=$tmp/gc-w1 GOLIVE_SESSION=$s GOLIVE_PROFILE=prod go build -toolexec="$GOLIVE" -o "$b/w1" . >"$o/w1" 2>&1 || rc=$?
expect_eq "$rc" 0 "GOLIVE_SESSION + GOLIVE_PROFILE=prod go build -toolexec (webapp's package compiled) succeeds"
expect_eq "$(cat "$o/w1")" "" "... and prints nothing"
[ ! -e "$s/events.jsonl" ] || fail "GOLIVE_PROFILE=prod: events.jsonl written: $(head -3 "$s/events.jsonl")"
pass "GOLIVE_PROFILE=prod: no events.jsonl"
expect_eq "$(ls -A "$s")" "" "GOLIVE_PROFILE=prod: the session stays empty"
expect_same_file "$b/plain" "$b/w1" "GOLIVE_PROFILE=prod -toolexec: byte-identical binary"

# Without a session the wrapper would read golive.yaml and fail on the finding (t46).
rc=0
stdonly w2
GOCACHE=$tmp/gc-w2 GOLIVE_PROFILE=prod go build -toolexec="$GOLIVE" -o "$b/w2" . >"$o/w2" 2>&1 || rc=$?
expect_eq "$rc" 0 "GOLIVE_PROFILE=prod: the wrapper reads no golive.yaml (fail_on ignored)"
expect_eq "$(cat "$o/w2")" "" "... and prints nothing"
expect_same_file "$b/plain" "$b/w2" "GOLIVE_PROFILE=prod without a session: byte-identical binary"
rm -rf "$tmp"/gc-p1 "$tmp"/gc-w1 "$tmp"/gc-w2

# --- 5. ci keeps the analysis --------------------------------------------------------
rc=0
CI=true "$GOLIVE" build -o "$b/c1" . >"$o/c1.out" 2>"$o/c1.err" || rc=$?
[ "$rc" -ne 0 ] || fail "CI=true: the fail_on finding must fail the build: $(cat "$o/c1.err")"
pass "CI=true: analysis is on, the finding fails the build (exit $rc)"
expect_eq "$(head -1 "$o/c1.err")" "golive: profile ci (CI=true)" "CI=true: the profile line"
grep -q '\[httpctx\]' "$o/c1.err" || fail "CI=true: the finding is not shown: $(cat "$o/c1.err")"
pass "CI=true: the finding is shown"

# The rest without the finding: a clean build, so the lines can be compared.
rm "$w/api.go"
printf 'profiles:\n  prod_marker: %s\n' "$marker" >"$w/golive.yaml"

# --- 6. the profile line and its reason ------------------------------------------------
first_line() { # first_line ENV... -- golive build args: the first stderr line
	local -a vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	local rc=0
	env ${vars[@]+"${vars[@]}"} "$GOLIVE" build "$@" -o "$b/l" . >"$o/l.out" 2>"$o/l.err" || rc=$?
	[ "$rc" -eq 0 ] || fail "golive build ${vars[*]} $* failed ($rc): $(cat "$o/l.err")"
	head -1 "$o/l.err"
}
expect_eq "$(first_line CI=true --)" "golive: profile ci (CI=true)" "CI=true -> ci"
grep -q 'tool runs' "$o/l.err" || fail "ci: the summary has per-tool figures: $(cat "$o/l.err")"
pass "ci: the summary has per-tool figures"
expect_eq "$(first_line CI=1 --)" "golive: profile ci (CI=1)" "CI=1 -> ci"
expect_eq "$(first_line GITHUB_ACTIONS=true CI=true --)" "golive: profile ci (GITHUB_ACTIONS=true)" \
	"GITHUB_ACTIONS=true -> ci, named over CI=true"
expect_eq "$(first_line GITLAB_CI=true --)" "golive: profile ci (GITLAB_CI=true)" "GITLAB_CI -> ci"
expect_eq "$(first_line CI=true -- --profile dev)" "golive: profile dev (--profile)" "--profile dev overrides CI=true"
expect_eq "$(first_line CI=true -- --profile=ci)" "golive: profile ci (--profile)" "--profile=ci"
expect_eq "$(first_line GOLIVE_PROFILE=ci --)" "golive: profile ci (GOLIVE_PROFILE=ci)" "GOLIVE_PROFILE=ci"
expect_eq "$(first_line GOLIVE_PROFILE=dev ENV=production --)" "golive: profile dev (GOLIVE_PROFILE=dev)" \
	"GOLIVE_PROFILE=dev overrides ENV=production"
expect_eq "$(first_line GO_ENV=production CI=true --)" "golive: profile prod (GO_ENV=production)" \
	"GO_ENV=production -> prod, over CI=true"
expect_eq "$(first_line --)" "golive: profile dev (default)" "nothing set -> dev (default)"
grep -q 'diagnostics: ' "$o/l.err" || fail "dev: no analysis line: $(cat "$o/l.err")"
pass "dev: the build is analysed"
rc=0
"$GOLIVE" build --quiet -o "$b/l" . >"$o/q.out" 2>"$o/q.err" || rc=$?
expect_eq "$rc:$(cat "$o/q.err")" "0:" "--quiet: no profile line"

# --log-format json: an info record.
CI=true "$GOLIVE" build --log-format json -o "$b/l" . 2>"$o/lj.err" >/dev/null ||
	fail "--log-format json build failed: $(cat "$o/lj.err")"
head -1 "$o/lj.err" >"$o/lj1.json"
expect_eq "$(json_get "$o/lj1.json" '[d["level"], d["message"], d["profile"], d["profile_reason"]]')" \
	'["info", "profile ci (CI=true)", "ci", "CI=true"]' "--log-format json: the profile is an info record"
expect_eq "$(json_get "$o/lj1.json" 'len(d["trace_id"])')" 32 "--log-format json: the record has the trace id"

# The build span's golive.profile.
rm -f "$o/trace.jsonl"
"$GOLIVE" build --quiet --profile ci --trace-out "$o/trace.jsonl" -o "$b/l" . ||
	fail "--trace-out build failed"
got=$(python3 - "$o/trace.jsonl" <<'EOF'
import json, sys
d = json.loads(open(sys.argv[1]).readline())
for rs in d["resourceSpans"]:
    for ss in rs["scopeSpans"]:
        for s in ss["spans"]:
            if s["name"] == "build":
                for a in s["attributes"]:
                    if a["key"] == "golive.profile":
                        print(a["value"]["stringValue"])
EOF
)
expect_eq "$got" ci "the build span has golive.profile=ci"

# --- 7. invalid values ------------------------------------------------------------------
rc=0
GOLIVE_PROFILE=bogus "$GOLIVE" build -o "$b/x" . >"$o/x.out" 2>"$o/x.err" || rc=$?
expect_eq "$rc" 2 "GOLIVE_PROFILE=bogus: exit 2"
expect_eq "$(cat "$o/x.err")" 'golive: error: golive build: GOLIVE_PROFILE: unknown profile "bogus" (want dev, ci or prod)' \
	"GOLIVE_PROFILE=bogus: one line naming it and the valid values"
rc=0
"$GOLIVE" build --profile bogus -o "$b/x" . >"$o/x.out" 2>"$o/x.err" || rc=$?
expect_eq "$rc" 2 "--profile bogus: exit 2"
expect_eq "$(count_lines "$o/x.err")" 1 "--profile bogus: one line"
grep -q 'unknown profile "bogus" (want dev, ci or prod)' "$o/x.err" || fail "--profile bogus: $(cat "$o/x.err")"
pass "--profile bogus: names the valid values"
[ ! -e "$b/x" ] || fail "an invalid profile built something"
pass "an invalid profile builds nothing"

# --- 8. golive dev refuses prod ---------------------------------------------------------
export XDG_CACHE_HOME=$tmp/cache
dev_refused() { # dev_refused DESC ENV... -- ARGS
	local desc=$1 rc=0
	shift
	local -a vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	env ${vars[@]+"${vars[@]}"} timeout 60 "$GOLIVE" dev "$@" >"$o/dev.out" 2>"$o/dev.err" </dev/null || rc=$?
	expect_eq "$rc" 2 "golive dev $desc: exit 2"
	expect_eq "$(count_lines "$o/dev.err")" 1 "golive dev $desc: one line"
}
dev_refused "--profile prod" -- --profile prod
grep -q 'prod profile (--profile) is for golive build' "$o/dev.err" || fail "golive dev --profile prod: $(cat "$o/dev.err")"
pass "golive dev --profile prod: says why"
dev_refused "with ENV=production" ENV=production --
grep -q 'prod profile (ENV=production)' "$o/dev.err" || fail "golive dev ENV=production: $(cat "$o/dev.err")"
pass "golive dev with ENV=production: names the reason"
dev_refused "--profile bogus" -- --profile bogus
grep -q 'unknown profile "bogus"' "$o/dev.err" || fail "golive dev --profile bogus: $(cat "$o/dev.err")"
pass "golive dev --profile bogus: names the value"

# --- 9. golive dev --profile ci: its builds run in ci ---------------------------------
(setsid "$GOLIVE" dev --json --profile ci --trace-out "$o/dev-trace.jsonl" -- -addr 127.0.0.1:0 \
	>"$o/dev.json" 2>"$o/dev.err" </dev/null &
	echo $! >"$o/dev.pid")
track_pid "$(cat "$o/dev.pid")"
wait_until "grep -q '\"type\":\"cycle\"' '$o/dev.json'" 120 || fail "golive dev --profile ci: no cycle: $(cat "$o/dev.err")"
kill -INT "$(cat "$o/dev.pid")"
wait_until "! kill -0 $(cat "$o/dev.pid") 2>/dev/null" 30 || fail "golive dev did not stop on SIGINT"
expect_eq "$(head -1 "$o/dev.err")" "golive: profile ci (--profile)" "golive dev --profile ci: the profile line"
expect_eq "$(grep '"type":"cycle"' "$o/dev.json" | head -1 | sed -n 's/.*"build":"\([a-z]*\)".*/\1/p')" ok \
	"golive dev --profile ci: the first build succeeds"
got=$(python3 - "$o/dev-trace.jsonl" <<'EOF2'
import json, sys
for line in open(sys.argv[1]):
    for rs in json.loads(line)["resourceSpans"]:
        for ss in rs["scopeSpans"]:
            for s in ss["spans"]:
                for a in s["attributes"]:
                    if a["key"] == "golive.profile":
                        print(s["name"], a["value"]["stringValue"])
EOF2
)
expect_eq "$got" "build ci" "golive dev passes --profile ci to its golive build (the build span says ci)"

finish
