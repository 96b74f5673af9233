#!/usr/bin/env bash
# t91_dev_multi: golive dev running two programs (run.programs), on
# tests/e2e/testdata/dev/multi: cmd/api imports internal/apionly and
# internal/shared, cmd/worker only internal/shared; both serve the socket
# golive passes as fd 3. The golive.yaml is docs/config.md's run.programs
# example, copied out of the document, with its ports made 0.
#  - one "listen" line per program (with "program"), one build for both at
#    start, a cycle line per program;
#  - a client polling each program every 2 ms on fresh connections sees no
#    failed request while: an edit of internal/apionly restarts api only
#    (worker keeps its pid, no worker cycle), the second one by api's fast
#    path (api's own plan); an edit of internal/shared restarts both (one
#    full build: the same cycle number and build times), and the next
#    api-only edit takes api's fast path (the build of both recorded its
#    compiles into each program's plan);
#  - each program is stopped by its own stop signal (api SIGTERM, worker
#    SIGINT from the example);
#  - a crash loop in worker (it exits 3 at once): restarts with a growing
#    delay (100, 200, 400 ms ...) while api keeps its pid and serves with no
#    failed request;
#  - the programs' output is on golive's stderr (--json) prefixed with the
#    name, padded to the longest ("api    | ", "worker | ");
#  - SIGINT: golive exits 0, nothing is left, both ports are closed;
#    SIGKILL to golive: its keeper kills every program;
#  - golive dev ./cmd/worker ./cmd/api: the packages named replace
#    run.programs, both built at once and run; an api-only edit rebuilds api
#    alone there too;
#  - several packages with --listen, or run.package beside run.programs, are
#    usage errors naming what.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

dev_build_poller

d=$tmp/multi
dev_copy multi "$d"
# docs/config.md's run.programs example, as a reader copies it; ports 0 here.
python3 - "$GOLIVE_SRC/docs/config.md" >"$d/golive.yaml" <<'EOF'
import re, sys
blocks = [b for b in re.findall(r"```yaml\n(.*?)```", open(sys.argv[1]).read(), re.S) if "programs:" in b]
sys.stdout.write(re.sub(r'"127\.0\.0\.1:\d+"', '"127.0.0.1:0"', blocks[0]))
EOF
grep -q 'name: worker' "$d/golive.yaml" || fail "docs/config.md has no run.programs example: $(cat "$d/golive.yaml")"

# poll NAME URL: a poller on URL every 2 ms until $tmp/NAME.stop exists.
poll() {
	"$POLLER" -interval 2ms -duration 170s -stop "$tmp/$1.stop" -started "$tmp/$1.started" \
		"$2/" >"$tmp/$1.poll" 2>"$tmp/$1.poll.err" &
	track_pid "$!"
	eval "${1}_poller=$!"
	wait_until "[ -e '$tmp/$1.started' ]" 20 || fail "$1: the poller got no answer: $(cat "$tmp/$1.poll.err")"
}
# unpoll NAME: stops the poller; its summary must show no failed request.
unpoll() {
	local pid
	eval "pid=\$${1}_poller"
	touch "$tmp/$1.stop"
	wait "$pid" || fail "$1: the poller failed: $(cat "$tmp/$1.poll.err")"
	expect_eq "$(json_get "$tmp/$1.poll" 'd["failed"]')" 0 \
		"$1: no failed request at a 2 ms poll ($(json_get "$tmp/$1.poll" 'd["ok"]') ok, max $(json_get "$tmp/$1.poll" 'd["max_ms"]') ms; first error: $(json_get "$tmp/$1.poll" 'd["first_error"]'))"
	rm -f "$tmp/$1.stop" "$tmp/$1.started"
}
# pid_of PROGRAM: the pid of the program's last serving cycle.
pid_of() { dev_q m "[c['pid'] for c in C if c.get('program') == '$1' and c['pid']][-1]"; }

dev_start m "$d"
dev_wait m 'len(W) >= 1' 60 "the watch line"
expect_eq "$(dev_q m '[[e["program"], e["fd"], e["name"]] for e in LS]')" '[["api", 3, "listen"], ["worker", 3, "listen"]]' \
	"one listen line per program, each its fd 3"
api=http://127.0.0.1:$(dev_q m '[e for e in LS if e["program"] == "api"][0]["addr"].rsplit(":", 1)[1]')
worker=http://127.0.0.1:$(dev_q m '[e for e in LS if e["program"] == "worker"][0]["addr"].rsplit(":", 1)[1]')
dev_wait m 'len(C) >= 2' 120 "the first cycles"
expect_eq "$(dev_q m '[[c["program"], c["cycle"], c["trigger"], c["build"]] for c in C]')" \
	'[["api", 1, "start", "ok"], ["worker", 1, "start", "ok"]]' "one build at start, a cycle line per program"
wait_body "$api/" "api a1 s1" 30 || fail "api: not served$(dev_report m)"
wait_body "$worker/" "worker s1" 30 || fail "worker: not served$(dev_report m)"
pass "both programs serve on their own sockets"
expect_eq "$(env_of "$(pid_of api)" MODE)|$(env_of "$(pid_of worker)" MODE)" "dev|" "run.programs[].env is each program's own"

poll apip "$api"
poll workerp "$worker"
wpid=$(pid_of worker)
# An edit of a package only api imports: api alone restarts.
set_version "$d/internal/apionly/apionly.go" a1 a2
wait_body "$api/" "api a2 s1" 60 || fail "api a2 not served$(dev_report m)"
dev_wait m 'len([s for s in S if s["program"] == "api"]) >= 1' 20 "api's old version stopped"
expect_eq "$(dev_q m '[[c["program"], c["files"]] for c in C[2:]]')" '[["api", ["internal/apionly/apionly.go"]]]' \
	"an edit of internal/apionly: a cycle for api only"
expect_eq "$(pid_of worker)" "$wpid" "an edit of internal/apionly: worker keeps its pid"
expect_eq "$(http_get "$worker/pid")" "$wpid" "worker still serves from the same process"
# Again: a change of one program takes that program's fast path (its own plan).
set_version "$d/internal/apionly/apionly.go" a2 a3
wait_body "$api/" "api a3 s1" 60 || fail "api a3 not served$(dev_report m)"
dev_wait m 'len([s for s in S if s["program"] == "api"]) >= 2' 20 "api's second version stopped"
expect_eq "$(dev_q m '[[c["program"], c["path"]] for c in C[2:]]')" '[["api", "full"], ["api", "fast"]]' \
	"a second api-only edit: api's fast path (the first recorded api's plan)"
expect_eq "$(pid_of worker)" "$wpid" "a second api-only edit: worker keeps its pid"
# An edit of the shared package: both restart, from one build.
set_version "$d/internal/shared/shared.go" s1 s2
wait_body "$api/" "api a3 s2" 60 || fail "api s2 not served$(dev_report m)"
wait_body "$worker/" "worker s2" 60 || fail "worker s2 not served$(dev_report m)"
dev_wait m 'len(S) >= 4' 20 "the old versions stopped"
expect_eq "$(dev_q m 'sorted(c["program"] for c in C[4:])')" '["api", "worker"]' \
	"an edit of internal/shared: a cycle for each program"
expect_eq "$(dev_q m 'len({(c["cycle"], c["t_build_start"], c["t_build_end"], c["path"], c["fallback"]) for c in C[4:]})')" 1 \
	"an edit of internal/shared: one full build of both (one cycle number, the same build times)"
sleep 0.2
unpoll apip
unpoll workerp
expect_eq "$(json_get "$tmp/apip.poll" 'd["bodies"]')" '["api a1 s1", "api a2 s1", "api a3 s1", "api a3 s2"]' "api: the versions in order"
expect_eq "$(json_get "$tmp/workerp.poll" 'd["bodies"]')" '["worker s1", "worker s2"]' "worker: the versions in order"
expect_eq "$(dev_q m 'sorted({(s["program"], s["signal"], s["killed"]) for s in S})')" \
	'[["api", "SIGTERM", false], ["worker", "SIGINT", false]]' "each program stopped by its own stop signal, in time"

# The build of both recorded its compiles into each program's plan: the next
# api-only edit takes api's fast path at once.
set_version "$d/internal/apionly/apionly.go" a3 a4
wait_body "$api/" "api a4 s2" 60 || fail "api a4 not served$(dev_report m)"
expect_eq "$(dev_q m '[[c["program"], c["path"]] for c in C][-1]')" '["api", "fast"]' \
	"an api-only edit after a build of both: api's fast path"

# A crash loop in worker leaves api alone.
apid=$(pid_of api)
poll apip "$api"
python3 - "$d/cmd/worker/main.go" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read().replace("const crash = false", "const crash = true")
open(p, "w").write(s)
EOF
dev_wait m 'len([x for x in X if x["program"] == "worker"]) >= 4' 60 "four exits of worker"
unpoll apip
expect_eq "$(dev_q m '[[x["code"], x["restart_in_ms"]] for x in X if x["program"] == "worker"][:4]')" \
	'[[3, 100], [3, 200], [3, 400], [3, 800]]' "worker's crash loop: restarts after 100, 200, 400, 800 ms"
expect_eq "$(dev_q m '[x for x in X if x["program"] != "worker"]')" '[]' "api never exited"
expect_eq "$(pid_of api)" "$apid" "api kept its pid through worker's crash loop"
expect_eq "$(http_get "$api/")" "api a4 s2" "api serves through worker's crash loop"

grep -q "^api    | api a1 s1 serving (pid [0-9]*, MODE=dev)\$" "$tmp/m.err" ||
	fail "api's output is not prefixed \"api    | \"$(dev_report m)"
grep -q "^worker | worker: crashing on purpose\$" "$tmp/m.err" ||
	fail "worker's stderr is not prefixed \"worker | \"$(dev_report m)"
grep -q "^golive: worker: pid [0-9]* exited with status 3 after" "$tmp/m.err" ||
	fail "golive's line about worker's exit does not name it$(dev_report m)"
pass "the programs' output prefixed with their names, golive's lines name them"

dev_stop m INT
expect_eq "$DEV_RC" 0 "SIGINT: golive dev exits 0"
wait_until nothing_left 5 || fail "SIGINT: processes left: $(leftovers_ps)"
pass "SIGINT: nothing left running"
http_get "$api/" >/dev/null && fail "api still served after golive dev ended"
http_get "$worker/" >/dev/null && fail "worker still served after golive dev ended"
pass "SIGINT: both ports closed"
problems=$(dev_check_json m) || fail "--json lines malformed: $problems"
pass "well-formed --json lines"

# SIGKILL to golive: the keeper kills both programs.
set_version "$d/internal/shared/shared.go" s2 s3
python3 - "$d/cmd/worker/main.go" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read().replace("const crash = true", "const crash = false")
open(p, "w").write(s)
EOF
dev_start k "$d"
dev_wait k 'len([c for c in C if c["pid"]]) >= 2' 120 "both programs serving"
pids="$(dev_q k '" ".join(str(c["pid"]) for c in C if c["pid"])')"
kill -KILL "$(dev_pid k)"
for p in $pids; do
	wait_until "proc_gone $p" 5 || fail "SIGKILL to golive: program $p still runs"
done
wait_until nothing_left 5 || fail "SIGKILL: processes left: $(leftovers_ps)"
pass "SIGKILL to golive: the keeper killed both programs ($pids)"

# Several packages on the command line (they replace run.programs): no socket
# for them, so these programs exit 1 ("not socket-activated"), each restarted.
dev_start c "$d" ./cmd/worker ./cmd/api
dev_wait c 'len({x["program"] for x in X}) == 2' 60 "both programs started and exited"
expect_eq "$(dev_q c '[[c["program"], c["cycle"], c["trigger"]] for c in C][:2]')" '[["worker", 1, "start"], ["api", 1, "start"]]' \
	"golive dev ./cmd/worker ./cmd/api: one build, a cycle per program in the order named"
expect_eq "$(dev_q c 'sorted({(x["program"], x["code"]) for x in X})')" '[["api", 1], ["worker", 1]]' \
	"golive dev ./cmd/worker ./cmd/api: both ran (and exited 1 without a socket)"
set_version "$d/internal/apionly/apionly.go" a4 a5
dev_wait c 'any(c["trigger"] == "change" for c in C)' 60 "a build of the change"
expect_eq "$(dev_q c '[[c["program"], c["files"]] for c in C if c["trigger"] == "change"]')" \
	'[["api", ["internal/apionly/apionly.go"]]]' "packages named as ./cmd/...: an api-only edit rebuilds api alone"
dev_stop c INT
wait_until nothing_left 5 || fail "packages on the command line: processes left: $(leftovers_ps)"

# Usage errors, before anything runs.
cd "$d"
rc=0
"$GOLIVE" dev --listen :0 ./cmd/api ./cmd/worker >/dev/null 2>"$tmp/u1.err" || rc=$?
expect_eq "$rc:$(tail -n 1 "$tmp/u1.err")" "2:golive: error: golive dev: --listen goes with one program; with several, give each its own in run.programs (docs/config.md)" \
	"--listen with two packages: a usage error"
printf 'run:\n  package: ./cmd/api\n  programs:\n    - {package: ./cmd/worker}\n' >"$tmp/bad.yaml"
rc=0
"$GOLIVE" dev --config "$tmp/bad.yaml" >/dev/null 2>"$tmp/u2.err" || rc=$?
expect_eq "$rc:$(sed "s|$tmp/||" "$tmp/u2.err")" "2:bad.yaml:2:3: run.package: does not go together with run.programs (give each program its own package)" \
	"run.package beside run.programs: a usage error at its line"
