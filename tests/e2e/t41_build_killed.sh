#!/usr/bin/env bash
# t41_build_killed: SIGKILL to golive build leaves nothing behind (issue 15, item 8):
#  - go and its compiles stop with it (golive's keeper kills their process
#    groups), so no -o output appears after golive is gone;
#  - the session directory it could not remove is swept by the next golive
#    build; a --keep session is never swept.
. "$(dirname "$0")/lib.sh"

w=$tmp/webapp
copy_webapp "$w"
cd "$w"
export GOCACHE=$tmp/gocache # cold: the build runs long enough to be killed mid-way

setsid "$GOLIVE" build -o "$tmp/app" . >"$tmp/b.out" 2>"$tmp/b.err" &
gpid=$!
track_pid "$gpid"
# mid-build: a compile of std is running through the wrapper
wait_until "[ -n \"\$(procs_matching 'pkg/tool/' | grep -v golive-keeper)\" ]" 60 ||
	fail "no compile started: $(cat "$tmp/b.err")"
sleep 1
kill -KILL "$gpid"
wait "$gpid" 2>/dev/null || true
pass "golive build SIGKILLed mid-build"
wait_until "no_procs_matching '$tmp/tmpdir/go-build'" 20 || fail "go's tools still run: $(procs_matching "$tmp/tmpdir/go-build")"
wait_until "[ -z \"\$(procs_matching \"go build\" | grep -F -- '$tmp/app')\" ]" 20 ||
	fail "go build still runs: $(procs_matching 'go build')"
pass "go and its compiles stopped with golive (the keeper)"
sleep 2
[ ! -e "$tmp/app" ] || fail "go wrote -o after golive was killed"
pass "no -o output written after golive was gone"
stale=$(ls -d "$TMPDIR"/golive-session-* 2>/dev/null | wc -l)
[ "$stale" -ge 1 ] || fail "expected the killed build's session in $TMPDIR"
pass "the killed build left its session ($stale)"

"$GOLIVE" build --quiet --keep -o "$tmp/app2" . >"$tmp/k.out" 2>"$tmp/k.err" || fail "golive build --keep failed: $(cat "$tmp/k.err")"
kept=$(sed -n 's/^golive: session kept in //p' "$tmp/k.err")
[ -d "$kept" ] || fail "no kept session: $(cat "$tmp/k.err")"
left=$(ls -d "$TMPDIR"/golive-session-* 2>/dev/null)
expect_eq "$left" "$kept" "the next golive build swept the stale session, and kept its own"
"$GOLIVE" build --quiet -o "$tmp/app3" . || fail "third build failed"
[ -d "$kept" ] || fail "a --keep session was swept"
pass "a --keep session is never swept"

finish
