#!/usr/bin/env bash
# t91_dev_listen: golive dev --listen, the sockets golive holds and passes to
# the program with the systemd protocol; a client polling every 2 ms (fresh
# connection each time) during 5 restarts sees no failed request, and the
# versions in order (two neighbours may alternate while old and new program
# share the socket).
#  (a) tests/e2e/testdata/dev/fdlisten (module mode) takes fd 3 by hand
#      (net.FileListener(os.NewFile(3, ""))); --listen :0 binds a free port of
#      127.0.0.1 only, named by a "listen" line before the "watch" line;
#      LISTEN_FDS=1, LISTEN_PID = its pid, LISTEN_FDNAMES=listen, GOLIVE_DEV=1;
#      it never sends READY=1, so every cycle is "ready":"exec";
#  (b) tests/e2e/testdata/dev/sdapp (GOPATH mode, Debian's
#      golang-github-coreos-go-systemd-dev) uses activation.Listeners() and
#      sends READY=1 300 ms after it starts; --listen web=127.0.0.1:0 gives a
#      "listen" line named web and LISTEN_FDNAMES=web; restarts are
#      "ready":"notify", at least 300 ms after the build, and every old program
#      is stopped only after its successor said READY=1 (the programs log when).
# Both stop gracefully (http.Server.Shutdown) on SIGTERM; SIGINT to golive
# leaves nothing running and closes the port.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

dev_build_poller

# restarts NAME DIR URL: five edits v1 -> v6 while the poller polls URL; each
# waits for its version to be served and the old program to be stopped.
# Checks the poller's summary: no failure, the versions in order.
restarts() {
	local name=$1 dir=$2 url=$3 v ppid
	"$POLLER" -interval 2ms -duration 170s -stop "$tmp/$name.stop" -started "$tmp/$name.started" \
		"$url/" >"$tmp/$name.poll" 2>"$tmp/$name.poll.err" &
	ppid=$!
	track_pid "$ppid"
	wait_until "[ -e '$tmp/$name.started' ]" 20 || fail "$name: the poller got no answer: $(cat "$tmp/$name.poll.err")"
	for v in 2 3 4 5 6; do
		set_version "$dir/main.go" "v$((v - 1))" "v$v"
		wait_body "$url/" "v$v" 90 || fail "$name: v$v not served$(dev_report "$name")"
		dev_wait "$name" "len(S) >= $((v - 1))" 20 "stop line of v$((v - 1))"
	done
	sleep 0.2
	touch "$tmp/$name.stop"
	wait "$ppid" || fail "$name: the poller failed: $(cat "$tmp/$name.poll.err")"
	local sum=$tmp/$name.poll
	expect_eq "$(json_get "$sum" 'd["failed"]')" 0 \
		"$name: no failed request during 5 restarts ($(json_get "$sum" 'd["ok"]') ok, max $(json_get "$sum" 'd["max_ms"]') ms; first error: $(json_get "$sum" 'd["first_error"]'))"
	# Old and new program share the socket for a moment (the new one is started
	# first): answers may alternate between two neighbouring versions then.
	expect_eq "$(json_get "$sum" 'sorted(set(d["bodies"]), key=d["bodies"].index) == ["v1", "v2", "v3", "v4", "v5", "v6"] and d["bodies"][-1] == "v6" and all(abs(int(a[1:]) - int(b[1:])) == 1 for a, b in zip(d["bodies"], d["bodies"][1:]))')" true \
		"$name: the poller saw v1..v6 in order, neighbours alternating at most ($(json_get "$sum" 'd["bodies"]'))"
	expect_eq "$(dev_q "$name" '[[c["trigger"], c["build"]] for c in C]')" \
		'[["start", "ok"], ["change", "ok"], ["change", "ok"], ["change", "ok"], ["change", "ok"], ["change", "ok"]]' \
		"$name: six cycles, every build ok"
	expect_eq "$(dev_q "$name" '[[s["pid"], s["signal"], s["killed"]] for s in S]')" \
		"$(dev_q "$name" '[[c["pid"], "SIGTERM", False] for c in C[:5]]')" \
		"$name: each old program stopped by SIGTERM, in time"
}

# listens_on PORT: the local addresses (hex, /proc/net/tcp{,6}) listening on PORT.
listens_on() {
	python3 - "$1" <<'EOF'
import sys
port = "%04X" % int(sys.argv[1])
for f in ("/proc/net/tcp", "/proc/net/tcp6"):
    try:
        lines = open(f).read().splitlines()[1:]
    except OSError:
        continue
    for l in lines:
        x = l.split()
        if x[1].endswith(":" + port) and x[3] == "0A":
            print(x[1])
EOF
}

# --- (a) fd 3 by hand --------------------------------------------------------------------
d=$tmp/fdlisten
dev_copy fdlisten "$d"
dev_start fdl "$d" --listen ":0"
dev_wait fdl 'len(W) >= 1' 60 "the watch line"
expect_eq "$(dev_q fdl '[[e["type"], e.get("fd"), e.get("name"), e.get("addr", "").split(":")[0]] for e in L[:2]]')" \
	'[["listen", 3, "listen", "127.0.0.1"], ["watch", null, null, ""]]' \
	"--listen :0: a listen line (fd 3, name listen, 127.0.0.1), then the watch line"
port=$(dev_q fdl 'LS[0]["addr"].rsplit(":", 1)[1]')
[ "$port" -gt 0 ] || fail "no port in the listen line"
url=http://127.0.0.1:$port
dev_wait fdl 'len(C) >= 1' 120 "the first cycle"
pid=$(dev_q fdl 'C[0]["pid"]')
[[ $pid =~ ^[0-9]+$ ]] || fail "fdl: cycle 1 has no pid$(dev_report fdl)"
wait_body "$url/" v1 30 || fail "fdl: v1 not served$(dev_report fdl)"
pass "fdlisten: v1 served on the socket golive passed"
expect_eq "$(http_get "$url/env")" "LISTEN_FDS=1 LISTEN_PID=$pid LISTEN_FDNAMES=listen GOLIVE_DEV=1" \
	"fdlisten: LISTEN_FDS=1, LISTEN_PID=its pid, LISTEN_FDNAMES=listen, GOLIVE_DEV=1"
expect_eq "$(listens_on "$port")" "0100007F:$(printf '%04X' "$port")" "--listen :0 listens on 127.0.0.1 only (port $port)"
restarts fdl "$d" "$url"
expect_eq "$(dev_q fdl '[c["ready"] for c in C]')" '["exec", "exec", "exec", "exec", "exec", "exec"]' \
	"fdlisten never sent READY=1: every cycle ready on exec"
pid=$(dev_q fdl 'C[-1]["pid"]')
expect_eq "$(http_get "$url/env")" "LISTEN_FDS=1 LISTEN_PID=$pid LISTEN_FDNAMES=listen GOLIVE_DEV=1" \
	"fdlisten after 5 restarts: the same socket, LISTEN_PID its new pid"
dev_stop fdl INT
expect_eq "$DEV_RC" 0 "fdlisten: SIGINT, golive dev exits 0"
wait_until nothing_left 5 || fail "fdlisten: processes left: $(leftovers_ps)"
pass "fdlisten: nothing left running"
expect_eq "$(listens_on "$port")" "" "fdlisten: the port is closed"
problems=$(dev_check_json fdl) || fail "fdl: --json lines malformed: $problems"
pass "fdlisten: well-formed --json lines"

# --- (b) go-systemd, GOPATH mode, READY=1 -------------------------------------------------
GOCODE=/usr/share/gocode
[ -d "$GOCODE/src/github.com/coreos/go-systemd/activation" ] ||
	fail "golang-github-coreos-go-systemd-dev is not installed (run scripts/bootstrap)"
export GO111MODULE=off GOPATH=$tmp/gopath:$GOCODE
d=$tmp/gopath/src/sdapp
dev_copy sdapp "$d"
log=$tmp/sdapp.log
dev_start sd "$d" --listen "web=127.0.0.1:0" . -- -ready-delay 300ms -log "$log"
dev_wait sd 'len(W) >= 1' 60 "the watch line"
expect_eq "$(dev_q sd '[[e["fd"], e["name"]] for e in LS]')" '[[3, "web"]]' "--listen web=...: one listen line, fd 3, name web"
port=$(dev_q sd 'LS[0]["addr"].rsplit(":", 1)[1]')
url=http://127.0.0.1:$port
dev_wait sd 'len(C) >= 1' 120 "the first cycle"
pid=$(dev_q sd 'C[0]["pid"]')
[[ $pid =~ ^[0-9]+$ ]] || fail "sd: cycle 1 has no pid$(dev_report sd)"
wait_body "$url/" v1 30 || fail "sd: v1 not served$(dev_report sd)"
pass "go-systemd activation.Listeners (GOPATH mode): v1 served"
expect_eq "$(env_of "$pid" LISTEN_FDNAMES) $(env_of "$pid" LISTEN_FDS) $(env_of "$pid" LISTEN_PID)" "web 1 $pid" \
	"--listen web=ADDR: LISTEN_FDNAMES=web, LISTEN_FDS=1, LISTEN_PID"
restarts sd "$d" "$url"
expect_eq "$(dev_q sd '[c["ready"] for c in C[1:]]')" '["notify", "notify", "notify", "notify", "notify"]' \
	"go-systemd: restarts ready on READY=1"
expect_eq "$(dev_q sd 'all(c["t_ready"] - c["t_build_end"] >= 290 for c in C[1:])')" true \
	"go-systemd: each restart ready no sooner than the 300 ms the program takes ($(dev_q sd '[round(c["t_ready"] - c["t_build_end"]) for c in C[1:]]') ms)"
# The old program gets SIGTERM only after the new one said READY=1.
order=$(python3 - "$log" "$(dev_q sd '[c["pid"] for c in C]')" <<'EOF'
import json, sys
t = {}
for l in open(sys.argv[1]):
    what, pid, ns = l.split()
    t[(what, int(pid))] = int(ns)
pids = json.loads(sys.argv[2])
bad = []
for old, new in zip(pids, pids[1:]):
    if ("term", old) not in t or ("ready", new) not in t:
        bad.append(f"{old}->{new}: missing log lines")
    elif t[("term", old)] < t[("ready", new)]:
        bad.append(f"{old} got SIGTERM {(t[('ready', new)] - t[('term', old)]) / 1e6:.1f} ms before {new} was ready")
print("; ".join(bad) or "ok")
EOF
)
expect_eq "$order" ok "go-systemd: each old program stopped after its successor's READY=1"
dev_stop sd INT
expect_eq "$DEV_RC" 0 "go-systemd: SIGINT, golive dev exits 0"
wait_until nothing_left 5 || fail "go-systemd: processes left: $(leftovers_ps)"
pass "go-systemd: nothing left running"
expect_eq "$(listens_on "$port")" "" "go-systemd: the port is closed"
expect_eq "$(grep -c '^term ' "$log")" 6 "go-systemd: all six programs shut down gracefully"
problems=$(dev_check_json sd) || fail "sd: --json lines malformed: $problems"
pass "go-systemd: well-formed --json lines"

finish
