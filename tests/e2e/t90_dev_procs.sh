#!/usr/bin/env bash
# t90_dev_procs: golive dev supervising programs that misbehave
# (tests/e2e/testdata/dev/procs).
#  (a) a program that exits 3, then panics (exit 2), then runs: two "exit"
#      lines with those codes and a growing restart delay, each followed by a
#      cycle with trigger "crash" and a new pid; an edit afterwards restarts it
#      normally; SIGTERM to golive: exit 0, nothing left;
#  (b) a program ignoring SIGTERM, --grace 500: an edit stops the old one with
#      SIGTERM, then SIGKILL after about 500 ms ("killed":true); the same on
#      SIGINT to golive, which exits 0;
#  (c) --stop-signal SIGINT --quiet: the program is stopped by SIGINT in time,
#      no status line on stderr;
#  (d) golive SIGKILLed: the program and its child (a `sleep 1000`) die too;
#  (e) a program with a child, restarted by an edit, then SIGINT to golive:
#      the old child goes with the old program, golive exits 0 and no process
#      of the tree is left;
#  (f) golive's stdin reaches the program through a pipe, before and after a
#      restart.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"
ulimit -c 0

# A child whose command line names $tmp, so that dev_leftovers finds it.
cp "$(command -v sleep)" "$tmp/bin/marker-sleep"

# log_starts LOG [VERSION]: the "start" lines of a procs log (of that version).
log_starts() { grep -c "^start [0-9]* ${2:-v[0-9]*} " "$1" 2>/dev/null || true; }

# --- (a) crashes ------------------------------------------------------------------------
d=$tmp/crash
dev_copy procs "$d"
dev_start crash "$d" -- -log "$tmp/crash.log" -crash 2
dev_wait crash 'len(X) >= 2 and len([c for c in C if c["trigger"] == "crash"]) >= 2' 120 "two crashes, two restarts"
dev_settle crash 1 30
expect_eq "$(dev_q crash '[[c["trigger"], c["pid"] is not None] for c in C]')" \
	'[["start", true], ["crash", true], ["crash", true]]' "three cycles: start, crash, crash, each with a program"
expect_eq "$(dev_q crash '[[x["pid"], x["code"], x["signal"]] for x in X]')" \
	"$(dev_q crash '[[C[0]["pid"], 3, None], [C[1]["pid"], 2, None]]')" \
	"exit lines: the first program exited 3, the second panicked (exit 2)"
expect_eq "$(dev_q crash 'len(set(c["pid"] for c in C))')" 3 "each restart is a new process"
expect_eq "$(dev_q crash '0 < X[0]["restart_in_ms"] <= X[1]["restart_in_ms"]')" true \
	"restart delays: positive and not shrinking ($(dev_q crash '[x["restart_in_ms"] for x in X]') ms)"
expect_eq "$(dev_q crash 'all(L.index(x) < L.index(C[i + 1]) for i, x in enumerate(X))')" true \
	"each exit line comes before its crash cycle"
expect_eq "$(log_starts "$tmp/crash.log")" 3 "the program was started three times"
pid3=$(dev_q crash 'C[2]["pid"]')
proc_gone "$pid3" && fail "the third program does not run"
pass "the third program runs"
grep -q 'panic: procs: crashing on purpose' "$tmp/crash.err" || fail "the panic is not on golive's stderr$(dev_report crash)"
pass "the program's stderr (its panic) reaches golive's stderr"
set_version "$d/main.go" v1 v2
wait_until "[ \"\$(log_starts '$tmp/crash.log' v2)\" = 1 ]" 90 || fail "crash: the edit did not restart it$(dev_report crash)"
dev_wait crash 'len(C) >= 4 and C[3]["pid"] is not None' 10 "the edit's cycle"
expect_eq "$(dev_q crash '[C[3]["trigger"], C[3]["build"]]')" '["change", "ok"]' "after crashes, an edit restarts it normally"
dev_wait crash "any(s['pid'] == $pid3 for s in S)" 10 "stop line of the third program"
dev_stop crash TERM
expect_eq "$DEV_RC" 0 "SIGTERM to golive dev: exit 0"
wait_until nothing_left 5 || fail "processes left after SIGTERM: $(leftovers_ps)"
pass "SIGTERM to golive dev: nothing left running"

# --- (b) a program ignoring SIGTERM, --grace 500 -------------------------------------
d=$tmp/stubborn
dev_copy procs "$d"
dev_start stubborn "$d" --grace 500 -- -log "$tmp/stubborn.log" -ignore-term
dev_wait stubborn 'len(C) >= 1 and C[0]["pid"] is not None' 120 "the first start"
wait_until "[ \"\$(log_starts '$tmp/stubborn.log' v1)\" = 1 ]" 10 || fail "stubborn: v1 did not start"
pid1=$(dev_q stubborn 'C[0]["pid"]')
set_version "$d/main.go" v1 v2
wait_until "[ \"\$(log_starts '$tmp/stubborn.log' v2)\" = 1 ]" 90 || fail "stubborn: v2 did not start$(dev_report stubborn)"
dev_wait stubborn "any(s['pid'] == $pid1 for s in S)" 20 "stop line of the program ignoring SIGTERM"
expect_eq "$(dev_q stubborn "[[s['signal'], s['killed']] for s in S if s['pid'] == $pid1]")" '[["SIGTERM", true]]' \
	"a program ignoring SIGTERM: SIGTERM, then killed"
stop_ms=$(dev_q stubborn "[s['stop_ms'] for s in S if s['pid'] == $pid1][0]")
expect_eq "$(dev_q stubborn "450 <= [s['stop_ms'] for s in S if s['pid'] == $pid1][0] < 3000")" true \
	"killed after the 500 ms grace period (stop_ms $stop_ms)"
wait_until "proc_gone $pid1" 5 || fail "the killed program $pid1 still runs"
pass "the killed program is gone"
grep -q "^term $pid1\$" "$tmp/stubborn.log" && fail "the program ignoring SIGTERM exited cleanly?"
pid2=$(dev_q stubborn '[c["pid"] for c in C if c["pid"]][-1]')
t0=$(date +%s%N)
dev_stop stubborn INT
ms=$((($(date +%s%N) - t0) / 1000000))
expect_eq "$DEV_RC" 0 "SIGINT to golive dev with a program ignoring SIGTERM: exit 0"
[ "$ms" -ge 400 ] && [ "$ms" -lt 10000 ] || fail "golive dev took $ms ms to exit, want about 500"
pass "golive dev ended after the grace period ($ms ms)"
# (The spec does not say whether stopping the program at exit prints a "stop" line.)
expect_eq "$(dev_q stubborn "[[s['signal'], s['killed']] for s in S if s['pid'] == $pid2] in ([], [['SIGTERM', True]])")" true \
	"at exit: no stop line, or SIGTERM then killed"
wait_until "proc_gone $pid2" 5 || fail "at exit: the program $pid2 still runs"
pass "at exit: the program ignoring SIGTERM is gone"
wait_until nothing_left 5 || fail "processes left: $(leftovers_ps)"
pass "nothing left running"

# --- (c) --stop-signal SIGINT, --quiet -----------------------------------------------------
d=$tmp/quiet
dev_copy procs "$d"
dev_start quiet "$d" --quiet --stop-signal SIGINT -- -log "$tmp/quiet.log" -ignore-term
dev_wait quiet 'len(C) >= 1 and C[0]["pid"] is not None' 120 "the first start"
pid1=$(dev_q quiet 'C[0]["pid"]')
set_version "$d/main.go" v1 v2
wait_until "[ \"\$(log_starts '$tmp/quiet.log' v2)\" = 1 ]" 90 || fail "quiet: v2 did not start$(dev_report quiet)"
dev_wait quiet "any(s['pid'] == $pid1 for s in S)" 20 "stop line"
expect_eq "$(dev_q quiet "[[s['signal'], s['killed']] for s in S if s['pid'] == $pid1]")" '[["SIGINT", false]]' \
	"--stop-signal SIGINT: stopped by SIGINT in time"
dev_stop quiet TERM
expect_eq "$DEV_RC" 0 "SIGTERM to golive dev: exit 0"
expect_eq "$(grep -c '^golive: ' "$tmp/quiet.err" || true)" 0 "--quiet: no status line on stderr"
wait_until nothing_left 5 || fail "processes left: $(leftovers_ps)"
pass "nothing left running"

# --- (d) golive SIGKILLed ----------------------------------------------------------------
d=$tmp/orphan
dev_copy procs "$d"
dev_start orphan "$d" -- -log "$tmp/orphan.log" -child "$tmp/bin/marker-sleep"
dev_wait orphan 'len(C) >= 1 and C[0]["pid"] is not None' 120 "the first start"
wait_until "[ \"\$(log_starts '$tmp/orphan.log')\" = 1 ]" 10 || fail "orphan: did not start"
pid=$(dev_q orphan 'C[0]["pid"]')
child=$(awk '/^start /{ print $4 }' "$tmp/orphan.log")
[ "$child" -gt 0 ] && ! proc_gone "$child" || fail "the program's child does not run ($child)"
pass "the program ($pid) and its child ($child) run"
kill -KILL "$(dev_pid orphan)"
wait_until "[ -s '$tmp/orphan.rc' ]" 10 || fail "golive dev survived SIGKILL"
wait_until "proc_gone $pid" 5 || fail "golive SIGKILLed: the program $pid still runs"
pass "golive SIGKILLed: the program died too"
wait_until "proc_gone $child" 5 || fail "golive SIGKILLed: the program's child $child still runs: $(leftovers_ps)"
pass "golive SIGKILLed: the program's child died too"
wait_until nothing_left 5 || fail "golive SIGKILLed: processes left: $(leftovers_ps)"
pass "golive SIGKILLed: nothing left running"

# --- (e) a child, a restart, SIGINT ----------------------------------------------------------
d=$tmp/family
dev_copy procs "$d"
dev_start family "$d" -- -log "$tmp/family.log" -child "$tmp/bin/marker-sleep"
dev_wait family 'len(C) >= 1 and C[0]["pid"] is not None' 120 "the first start"
wait_until "[ \"\$(log_starts '$tmp/family.log' v1)\" = 1 ]" 10 || fail "family: did not start"
pid1=$(dev_q family 'C[0]["pid"]')
child1=$(awk '/^start .* v1 /{ print $4 }' "$tmp/family.log")
set_version "$d/main.go" v1 v2
wait_until "[ \"\$(log_starts '$tmp/family.log' v2)\" = 1 ]" 90 || fail "family: v2 did not start$(dev_report family)"
dev_wait family "any(s['pid'] == $pid1 for s in S)" 20 "stop line of the first program"
child2=$(awk '/^start .* v2 /{ print $4 }' "$tmp/family.log")
wait_until "proc_gone $child1" 5 || fail "restart: the old program's child $child1 still runs"
pass "restart: the old program's child is gone with it"
proc_gone "$child2" && fail "the new program's child does not run"
pass "the new program's child runs"
expect_eq "$(grep -c "^term $pid1\$" "$tmp/family.log" || true)" 1 "the old program ended on SIGTERM by itself"
dev_stop family INT
expect_eq "$DEV_RC" 0 "SIGINT: golive dev exits 0"
wait_until nothing_left 5 || fail "SIGINT: processes left: $(leftovers_ps)"
pass "SIGINT: no process of the tree is left (program, child, golive)"

# --- (f) stdin ---------------------------------------------------------------------------
# golive's stdin (a FIFO here) reaches the program through a pipe, also after a restart.
d=$tmp/stdin
dev_copy procs "$d"
mkfifo "$tmp/stdin.fifo"
exec 7<>"$tmp/stdin.fifo"
DEV_STDIN=$tmp/stdin.fifo dev_start stdin "$d" -- -log "$tmp/stdin.log" -stdin
dev_wait stdin 'len(C) >= 1 and C[0]["pid"] is not None' 120 "the first start"
pid1=$(dev_q stdin 'C[0]["pid"]')
wait_until "[ \"\$(log_starts '$tmp/stdin.log' v1)\" = 1 ]" 10 || fail "stdin: did not start"
case "$(readlink "/proc/$pid1/fd/0")" in
pipe:*) pass "the program's stdin is a pipe" ;;
*) fail "the program's stdin is $(readlink "/proc/$pid1/fd/0"), not a pipe" ;;
esac
echo "hello golive" >&7
wait_until "grep -q '^stdin $pid1 hello golive\$' '$tmp/stdin.log'" 10 ||
	fail "a line written to golive's stdin did not reach the program: $(cat "$tmp/stdin.log")"
pass "a line written to golive's stdin reaches the program"
set_version "$d/main.go" v1 v2
wait_until "[ \"\$(log_starts '$tmp/stdin.log' v2)\" = 1 ]" 90 || fail "stdin: v2 did not start$(dev_report stdin)"
pid2=$(awk '/^start .* v2 /{ print $2 }' "$tmp/stdin.log")
echo "after the restart" >&7
wait_until "grep -q '^stdin $pid2 after the restart\$' '$tmp/stdin.log'" 10 ||
	fail "after a restart, golive's stdin does not reach the new program: $(cat "$tmp/stdin.log")"
pass "after a restart, golive's stdin reaches the new program"
dev_stop stdin INT
expect_eq "$DEV_RC" 0 "SIGINT: golive dev exits 0"
exec 7>&-
wait_until nothing_left 5 || fail "stdin: processes left: $(leftovers_ps)"
pass "nothing left running"

for n in crash stubborn quiet family stdin; do
	problems=$(dev_check_json $n) || fail "$n: --json lines malformed: $problems"
done
pass "every stdout line is a well-formed --json line"

finish
