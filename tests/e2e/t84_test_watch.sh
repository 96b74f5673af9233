#!/usr/bin/env bash
# t84_test_watch: golive test and golive test --watch on a module of five
# packages in a chain (e imports d imports c imports b imports a):
#  - golive test: go test's exit status, the summary's counts, a failure as
#    file:line (relative to the cwd, the package dir joined to the test's
#    file) in the text and in --json;
#  - --watch: the first run tests all five; a leaf edit (a) runs the tests
#    of all five, a top edit (e) of one, a _test.go edit of that package
#    alone; a save that changes nothing runs nothing; a failing test comes
#    with its file:line; an edit during a run cancels it (no result line for
#    it, its test binary gone) and the next run takes its packages.
# GOLIVE_E2E_POLL=DUR runs the --watch part with --poll DUR.
. "$(dirname "$0")/lib.sh"

export GOCACHE=$tmp/gocache
seed_std_cache "$GOCACHE"
m=$tmp/chain
mkdir -p "$m"
cd "$m"
printf 'module example.com/chain\n\ngo 1.19\n' >go.mod
prev=
n=0
for p in a b c d e; do
	n=$((n + 1))
	mkdir -p $p
	if [ -z "$prev" ]; then
		printf 'package %s\n\nfunc V() int { return 1 }\n' $p >$p/$p.go
	else
		printf 'package %s\n\nimport "example.com/chain/%s"\n\nfunc V() int { return %s.V() + 1 }\n' \
			$p $prev $prev >$p/$p.go
	fi
	cat >$p/${p}_test.go <<EOF
package $p

import "testing"

func TestV(t *testing.T) {
	if V() != $n {
		t.Fatalf("V() = %d, want $n", V())
	}
}
EOF
	prev=$p
done

# ---- golive test -------------------------------------------------------------
rc=0
"$GOLIVE" test ./... >"$tmp/ok.out" 2>"$tmp/ok.err" || rc=$?
expect_eq "$rc" 0 "golive test: all pass, exit 0"
check "golive test: the summary counts 5 packages, 5 passed" \
	grep -q '5 packages (5 ok, 0 failed, 0 without tests); tests: 5 passed, 0 failed' "$tmp/ok.err"
check "golive test: go test's package lines on stdout" grep -q '^ok  	example.com/chain/e' "$tmp/ok.out"

sed -i 's/return 1/return 2/' a/a.go
rc=0
go test ./... >/dev/null 2>&1 || rc=$?
grc=0
"$GOLIVE" test ./... >"$tmp/fail.out" 2>"$tmp/fail.err" || grc=$?
expect_eq "$grc" "$rc" "golive test: a failing test, go test's exit status ($rc)"
check "golive test: the failure as file:line relative to the cwd" \
	grep -q '^c/c_test.go:7: TestV: V() = 4, want 3$' "$tmp/fail.err"
check "golive test: the failed test's output as go test prints it" \
	grep -q '^    c_test.go:7: V() = 4, want 3$' "$tmp/fail.out"
(cd c && "$GOLIVE" test --json ./... ../e >"$tmp/sub.json" 2>/dev/null) || true
expect_eq "$(json_get "$tmp/sub.json" 'sorted((f["file"] if f["file"][0] != "/" else "ABS " + f["file"].split("/chain/")[1]) + ":" + str(f["line"]) for f in d["failures"])')" \
	'["ABS e/e_test.go:7", "c_test.go:7"]' "golive test --json: file:line from a subdirectory (absolute outside it)"
expect_eq "$(json_get "$tmp/sub.json" '[d["packages"], d["failed"], d["exit"]]')" '[2, 2, 1]' \
	"golive test --json: packages, failed tests, exit status"
sed -i 's/return 2/return 1/' a/a.go

# bad input: one line naming what, exit 2, nothing run
for bad in "--poll fast" "--poll 1ms" "--top" "--bogus" "-run"; do
	rc=0
	# shellcheck disable=SC2086
	"$GOLIVE" test $bad >"$tmp/bad.out" 2>"$tmp/bad.err" || rc=$?
	[ "$rc" = 2 ] && [ "$(wc -l <"$tmp/bad.err")" = 1 ] && [ ! -s "$tmp/bad.out" ] ||
		fail "golive test $bad: want exit 2 and one line, got $rc: $(cat "$tmp/bad.err")"
done
pass "golive test: bad options: exit 2, one line each"
printf 'watch:\n  poll: fast\n' >golive.yaml
rc=0
"$GOLIVE" test ./... 2>"$tmp/bad.err" || rc=$?
expect_eq "$rc:$(cat "$tmp/bad.err")" \
	'2:golive.yaml:2:9: watch.poll: want "auto", "off" or an interval of 10ms to 10s (e.g. 250ms), got "fast"' \
	"golive test: a bad watch.poll names golive.yaml:line:col"
rm golive.yaml

# ---- golive test --watch -------------------------------------------------------
out=$tmp/watch.json
err=$tmp/watch.err
(
	rc=0
	setsid sh -c 'echo $$ >"$0"; exec "$@"' "$tmp/watch.pid" \
		"$GOLIVE" test --watch --json ${GOLIVE_E2E_POLL:+--poll "$GOLIVE_E2E_POLL"} -count=1 ./... \
		>"$out" 2>"$err" || rc=$?
	echo "$rc" >"$tmp/watch.rc"
) &
wait_until "[ -s '$tmp/watch.pid' ]" 10 || fail "golive test --watch did not start"
wpid=$(cat "$tmp/watch.pid")
track_pid "$wpid"

results() { grep -c '"type":"test"' "$out" 2>/dev/null || true; }
# wait_result N: until the Nth run's result line.
wait_result() {
	wait_until "[ \"\$(results)\" -ge $1 ]" 60 || {
		cat "$err" >&2
		fail "no result line for run $1"
	}
}
# last FIELD: the last result line's FIELD.
last() {
	grep '"type":"test"' "$out" | tail -n 1 >"$tmp/last.json"
	json_get "$tmp/last.json" "$1"
}
save() { # save FILE: an atomic save of FILE from FILE.new
	mv "$1.new" "$1"
}

wait_result 1
expect_eq "$(last 'len(d["run_packages"])')" 5 "watch: the first run tests the 5 packages"
if [ -n "${GOLIVE_E2E_POLL:-}" ]; then
	grep '"type":"watch"' "$out" >"$tmp/watchline.json"
	expect_eq "$(json_get "$tmp/watchline.json" 'd["backend"]')" poll "watch: --poll polls"
fi

# the leaf: everything depends on it
printf 'package a\n\nfunc V() int { return 1 }\n\nfunc W() int { return 2 }\n' >a/a.go.new
save a/a.go
wait_result 2
expect_eq "$(last '[len(d["run_packages"]), d["passed"], d["changed"]]')" '[5, 5, ["a/a.go"]]' \
	"watch: a leaf edit runs the tests of all 5 packages"

# the top: nothing imports it
printf '\n// top\n' >>e/e.go
wait_result 3
expect_eq "$(last '[d["run_packages"], d["passed"]]')" '[["example.com/chain/e"], 1]' \
	"watch: a top edit runs the tests of 1 package"

# a _test.go file: its package alone, though c is imported by d and e
cat >>c/c_test.go <<'EOF'

func TestMore(t *testing.T) {}
EOF
wait_result 4
expect_eq "$(last '[d["run_packages"], d["passed"]]')" '[["example.com/chain/c"], 2]' \
	"watch: a _test.go edit runs that package's tests alone"

# a save of the same content runs nothing
cp c/c.go c/c.go.new
save c/c.go
touch b/b.go
sleep 1.5
expect_eq "$(results)" 4 "watch: saves that change no content run nothing"

# a failing test, with its file:line
sed 's/\.V() + 1/.V() + 5/' c/c.go >c/c.go.new
save c/c.go
wait_result 5
expect_eq "$(last '[d["exit"], sorted(f["file"] + ":" + str(f["line"]) for f in d["failures"])]')" \
	'[1, ["c/c_test.go:7", "d/d_test.go:7", "e/e_test.go:7"]]' \
	"watch: c broken: c, d and e fail, each failure with its file:line"
expect_eq "$(last 'len(d["run_packages"])')" 3 "watch: a middle edit runs c, d and e"
sed 's/\.V() + 5/.V() + 1/' c/c.go >c/c.go.new
save c/c.go
wait_result 6
expect_eq "$(last '[d["exit"], d["failed"]]')" '[0, 0]' "watch: fixed again"

# an edit during a run cancels it
cat >d/slow_test.go <<'EOF'
package d

import (
	"testing"
	"time"
)

func TestSlow(t *testing.T) { time.Sleep(60 * time.Second) }
EOF
wait_until "grep -q 'run 7:' '$err'" 30 || fail "the slow run did not start"
wait_until "pgrep -f 'd[.]test -test[.]' >/dev/null" 30 || fail "the slow test binary did not start"
printf 'package d\n\nimport "testing"\n\nfunc TestSlow(t *testing.T) {}\n' >d/slow_test.go.new
save d/slow_test.go
wait_result 7
check "watch: the slow run was cancelled" grep -q '"type":"cancelled","run":7' "$out"
expect_eq "$(last '[d["run"], d["run_packages"], d["exit"], d["passed"]]')" \
	'[8, ["example.com/chain/d"], 0, 2]' "watch: the next run has the cancelled run's package"
check "watch: no test binary left running" wait_until "! pgrep -f 'd[.]test -test[.]' >/dev/null" 5

kill -INT "$wpid"
wait_until "[ -s '$tmp/watch.rc' ]" 10 || fail "golive test --watch did not stop on SIGINT"
expect_eq "$(cat "$tmp/watch.rc")" 0 "watch: SIGINT: exit 0 (and no leak under ASan)"
check "watch: every stdout line is JSON" python3 -c '
import json, sys
for l in open(sys.argv[1]):
    json.loads(l)' "$out"
finish
