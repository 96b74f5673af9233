#!/usr/bin/env bash
# t91_dev_listen_proxy: golive dev --proxy ADDR --to ADDR in front of a program
# listening on its own port (tests/e2e/testdata/dev/app). A client polling the
# proxy every 2 ms, a fresh connection each time, during 5 restarts sees no
# failed request and the versions in order; the program's own port answers
# too; SIGINT closes both ports and leaves nothing running.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

dev_build_poller
d=$tmp/app
dev_copy app "$d"
to=$(free_port)
dev_start px "$d" --proxy "127.0.0.1:0" --to "127.0.0.1:$to" -- -addr "127.0.0.1:$to"
dev_wait px 'len(W) >= 1' 60 "the watch line"
expect_eq "$(dev_q px '[[e["type"], e.get("to"), e.get("addr", "").split(":")[0]] for e in L[:2]]')" \
	"[[\"proxy\", \"127.0.0.1:$to\", \"127.0.0.1\"], [\"watch\", null, \"\"]]" \
	"--proxy 127.0.0.1:0: a proxy line (its address, the --to address), then the watch line"
pport=$(dev_q px 'P[0]["addr"].rsplit(":", 1)[1]')
[ "$pport" -gt 0 ] && [ "$pport" != "$to" ] || fail "bad proxy port in the proxy line: $pport"
url=http://127.0.0.1:$pport
dev_wait px 'len(C) >= 1' 120 "the first cycle"
pid=$(dev_q px 'C[0]["pid"]')
[[ $pid =~ ^[0-9]+$ ]] || fail "cycle 1 has no pid$(dev_report px)"
wait_body "$url/" v1 30 || fail "v1 not served through the proxy$(dev_report px)"
pass "v1 served through the proxy"
expect_eq "$(http_get "http://127.0.0.1:$to/pid")" "$pid" "the program's own port answers, the pid of cycle 1"
expect_eq "$(http_get "$url/pid")" "$pid" "the proxy forwards to it"

"$POLLER" -interval 2ms -duration 170s -stop "$tmp/stop" -started "$tmp/started" "$url/" \
	>"$tmp/poll.json" 2>"$tmp/poll.err" &
ppid=$!
track_pid "$ppid"
wait_until "[ -e '$tmp/started' ]" 20 || fail "the poller got no answer: $(cat "$tmp/poll.err")"
for v in 2 3 4 5 6; do
	set_version "$d/main.go" "v$((v - 1))" "v$v"
	wait_body "$url/" "v$v" 90 || fail "v$v not served$(dev_report px)"
	dev_wait px "len(S) >= $((v - 1))" 20 "stop line of v$((v - 1))"
done
sleep 0.2
touch "$tmp/stop"
wait "$ppid" || fail "the poller failed: $(cat "$tmp/poll.err")"
s=$tmp/poll.json
expect_eq "$(json_get "$s" 'd["failed"]')" 0 \
	"no failed request during 5 restarts ($(json_get "$s" 'd["ok"]') ok, max $(json_get "$s" 'd["max_ms"]') ms; first error: $(json_get "$s" 'd["first_error"]'))"
expect_eq "$(json_get "$s" 'd["bodies"]')" '["v1", "v2", "v3", "v4", "v5", "v6"]' "the poller saw v1..v6 in order"
expect_eq "$(dev_q px '[[c["trigger"], c["build"]] for c in C]')" \
	'[["start", "ok"], ["change", "ok"], ["change", "ok"], ["change", "ok"], ["change", "ok"], ["change", "ok"]]' \
	"six cycles, every build ok"
expect_eq "$(dev_q px '[[s["pid"], s["signal"], s["killed"]] for s in S]')" \
	"$(dev_q px '[[c["pid"], "SIGTERM", False] for c in C[:5]]')" \
	"each old program stopped by SIGTERM, in time"
pid=$(dev_q px 'C[-1]["pid"]')
expect_eq "$(http_get "$url/pid")" "$pid" "the last program serves through the proxy"

dev_stop px INT
expect_eq "$DEV_RC" 0 "SIGINT: golive dev exits 0"
wait_until nothing_left 5 || fail "processes left: $(leftovers_ps)"
pass "SIGINT: nothing left running"
http_get "$url/" >/dev/null && fail "the proxy port still answers"
http_get "http://127.0.0.1:$to/" >/dev/null && fail "the program's port still answers"
pass "SIGINT: both ports closed"
problems=$(dev_check_json px) || fail "--json lines malformed: $problems"
pass "well-formed --json lines"

finish
