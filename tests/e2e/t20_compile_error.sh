#!/usr/bin/env bash
# t20_compile_error: a type error reads the same through golive.
#  - go build, go build -toolexec=golive (with and without a session) and
#    golive build --quiet: same stderr byte for byte, same stdout, same exit status;
#  - golive build (no --quiet) prints go's output first, then "build failed";
#  - golive build --json reports ok=false and go's exit status; the failing
#    compile is an event with a non-zero exit.
. "$(dirname "$0")/lib.sh"

m=$tmp/mod
new_module "$m" example.com/ce
mkdir -p "$m/lib"
cat >"$m/lib/lib.go" <<'EOF'
package lib

func F() int { return "forty-two" }

func G() string { return undefinedName }
EOF
cat >"$m/main.go" <<'EOF'
package main

import "example.com/ce/lib"

func main() { println(lib.F()) }
EOF
cd "$m"
o=$tmp/out
mkdir -p "$o"

run() { # run NAME cmd...: stdout, stderr and status into $o/NAME.{out,err,rc}
	local name=$1 rc=0
	shift
	"$@" >"$o/$name.out" 2>"$o/$name.err" || rc=$?
	echo "$rc" >"$o/$name.rc"
}

run plain go build -o app .
run exec go build -toolexec="$GOLIVE" -o app .
mkdir "$tmp/session"
GOLIVE_SESSION=$tmp/session run sess go build -toolexec="$GOLIVE" -o app .
run quiet "$GOLIVE" build --quiet -o app .
run loud "$GOLIVE" build -o app .
run json "$GOLIVE" build --json -o app .

[ "$(cat "$o/plain.rc")" -ne 0 ] || fail "plain go build of a broken package succeeded"
pass "plain go build fails (status $(cat "$o/plain.rc"))"
grep -q 'lib.go:3:.*cannot use "forty-two"' "$o/plain.err" || fail "plain go build: no type error: $(cat "$o/plain.err")"
grep -q 'lib.go:5:.*undefined: undefinedName' "$o/plain.err" || fail "plain go build: second error missing"
pass "plain go build reports both errors"
[ ! -e app ] || fail "a binary was written despite the error"
pass "no binary written"

for v in exec sess quiet; do
	expect_eq "$(cat "$o/$v.rc")" "$(cat "$o/plain.rc")" "$v: same exit status as go build"
	expect_same_file "$o/plain.err" "$o/$v.err" "$v: same stderr as go build"
	expect_same_file "$o/plain.out" "$o/$v.out" "$v: same stdout as go build"
done

# Without --quiet: the profile line, go's output untouched, then the summary.
expect_eq "$(cat "$o/loud.rc")" "$(cat "$o/plain.rc")" "golive build: same exit status as go build"
head -n 1 "$o/loud.err" | grep -Eq '^golive: profile (dev|ci) \(.+\)$' ||
	fail "golive build: no profile line first: $(head -n 1 "$o/loud.err")"
pass "golive build: the profile line comes first"
tail -n +2 "$o/loud.err" >"$o/loud.go"
n=$(count_lines "$o/plain.err")
head -n "$n" "$o/loud.go" >"$o/loud.head"
expect_same_file "$o/plain.err" "$o/loud.head" "golive build: go's output comes next, unchanged"
tail -n +"$((n + 1))" "$o/loud.go" >"$o/loud.tail"
head -n 1 "$o/loud.tail" | grep -q '^golive: build failed' ||
	fail "golive build: no 'golive: build failed' line after go's output: $(cat "$o/loud.tail")"
pass "golive build: summary line says build failed"
grep -q 'cannot use\|undefined' "$o/loud.tail" && fail "go's errors repeated in the summary"
pass "golive build: the summary does not repeat go's errors"
expect_eq "$(cat "$o/loud.out")" "" "golive build: nothing on stdout"
[ -z "$(ls -A "$TMPDIR" | grep golive-session || true)" ] || fail "session directory left behind"
pass "no session directory left behind"

# --json: go's errors still on stderr, a machine-readable failure on stdout.
expect_eq "$(cat "$o/json.rc")" "$(cat "$o/plain.rc")" "golive build --json: same exit status"
expect_same_file "$o/plain.err" "$o/json.err" "golive build --json: stderr is go's alone"
expect_eq "$(json_get "$o/json.out" 'd["ok"]')" false "--json: ok is false"
expect_eq "$(json_get "$o/json.out" 'd["exit"]')" "$(cat "$o/plain.rc")" "--json: exit is go's status"
[ "$(json_get "$o/json.out" 'd["failed_runs"]')" -ge 1 ] || fail "--json: failed_runs should count the failed compile"
pass "--json: failed_runs counts the failed compile"

# The session of the toolexec build recorded the failing compile.
problems=$(check_events_file "$tmp/session/events.jsonl") || fail "events malformed: $problems"
pass "events of the failed build are well formed"
n=$(count_events "$tmp/session/events.jsonl" "e['tool']=='compile' and not e['probe'] and e.get('importpath')=='example.com/ce/lib' and e['exit']!=0 and e['signal']==0")
expect_eq "$n" 1 "the failing compile is recorded with its non-zero exit"
n=$(count_events "$tmp/session/events.jsonl" "e.get('importpath')=='example.com/ce'")
expect_eq "$n" 0 "nothing ran for the package above the broken one"

# An error in the main package itself, and a missing package: same story.
cat >"$m/lib/lib.go" <<'EOF'
package lib

func F() int { return 42 }
EOF
cat >"$m/main.go" <<'EOF'
package main

import "example.com/ce/lib"

func main() { var unused int; println(lib.F()) }
EOF
run plain2 go build -o app .
run quiet2 "$GOLIVE" build --quiet -o app .
grep -Eq 'declared (but|and) not used' "$o/plain2.err" || fail "no unused-variable error: $(cat "$o/plain2.err")"
expect_eq "$(cat "$o/quiet2.rc")" "$(cat "$o/plain2.rc")" "error in main: same exit status"
expect_same_file "$o/plain2.err" "$o/quiet2.err" "error in main: same stderr"
run plain3 go build ./nosuchdir
run quiet3 "$GOLIVE" build --quiet ./nosuchdir
expect_eq "$(cat "$o/quiet3.rc")" "$(cat "$o/plain3.rc")" "missing package: same exit status ($(cat "$o/plain3.rc"))"
expect_same_file "$o/plain3.err" "$o/quiet3.err" "missing package: same stderr"
# After "--" go takes every word as a package, "-a" too: golive passes it on as one.
run plain4 go build -o app -- -a .
run quiet4 "$GOLIVE" build --quiet -o app -- -a .
expect_eq "$(cat "$o/quiet4.rc")" "$(cat "$o/plain4.rc")" "-- -a: same exit status ($(cat "$o/plain4.rc"))"
grep -q 'malformed import path "-a"' "$o/quiet4.err" || fail "-- -a: not go's package error: $(cat "$o/quiet4.err")"
expect_same_file "$o/plain4.err" "$o/quiet4.err" "-- -a: same stderr (a package, not the -a flag)"

finish
