# tests/e2e/dev_lib.sh - helpers for the `golive dev` scripts (t90_dev*.sh,
# t91_dev*.sh), sourced after lib.sh.
#
# Gives each script: XDG_CACHE_HOME and GOCACHE under $tmp, the Go test
# programs of tests/e2e/testdata/dev, the poller ($POLLER),
# golive dev started in a session of its own with its --json lines and
# stderr in $tmp/NAME.json and $tmp/NAME.err, queries on those lines, and a
# cleanup that also ends the programs golive dev started (by their pids) when
# a check fails half-way.

DEV_TESTDATA=$GOLIVE_SRC/tests/e2e/testdata/dev
# golive dev builds into $XDG_CACHE_HOME/golive/dev: every program it starts has
# $tmp in its path, which is how the scripts find what is left running.
export XDG_CACHE_HOME=$tmp/cache GOCACHE=$tmp/gocache
# golive dev's cycle feed for editors (docs/dev.md) goes under XDG_RUNTIME_DIR: $tmp's too.
export XDG_RUNTIME_DIR=$tmp/run
mkdir -p -m 700 "$XDG_RUNTIME_DIR"
# std from CTest's fixture (lib.sh): the poller and the programs compile only their own packages.
seed_std_cache "$GOCACHE"
mkdir -p "$tmp/bin" "$XDG_CACHE_HOME"
POLLER=$tmp/bin/poller

# dev_leftovers: pids of the processes with $tmp in their command line or their
# working directory under $tmp (go list and go build run in the module).
dev_leftovers() {
	python3 - "$tmp" "$$" <<'EOF'
import os, sys
tmp, me = sys.argv[1], int(sys.argv[2])
for p in os.listdir("/proc"):
    if not p.isdigit() or int(p) in (me, os.getpid(), os.getppid()):
        continue
    try:
        cmd = open("/proc/%s/cmdline" % p, "rb").read().decode("utf-8", "replace")
        cwd = os.readlink("/proc/%s/cwd" % p)
    except OSError:
        continue
    if tmp in cmd or cwd == tmp or cwd.startswith(tmp + "/"):
        print(p)
EOF
}

# nothing_left: true when dev_leftovers finds nothing.
nothing_left() { [ -z "$(dev_leftovers)" ]; }

# leftovers_ps: "pid args" of what dev_leftovers finds (for failure messages).
leftovers_ps() {
	local p
	for p in $(dev_leftovers); do
		ps -o pid=,args= -p "$p" 2>/dev/null || true
	done
}

# The cleanup when a script ends: SIGKILL to every golive dev it started (so
# that their keepers do their job), to the process groups of every program
# golive dev reported (the "pid" of the cycle lines) and to every process
# dev_leftovers finds, until none is left (5 s at most); then lib.sh's
# cleanup. Only processes this script started are touched.
dev_cleanup() {
	local rc=$? p f
	set +e
	cd /
	for f in "$tmp"/*.pid; do
		[ -s "$f" ] && kill -KILL -- "$(cat "$f")" 2>/dev/null
	done
	for f in "$tmp"/*.json; do
		[ -f "$f" ] || continue
		for p in $(python3 -c '
import json, sys
for raw in open(sys.argv[1], "rb").read().split(b"\n"):
    try:
        e = json.loads(raw)
    except Exception:
        continue
    if isinstance(e, dict) and isinstance(e.get("pid"), int) and e["pid"] > 1:
        print(e["pid"])
' "$f" 2>/dev/null | sort -u); do
			kill -KILL -- "-$p" 2>/dev/null
			kill -KILL -- "$p" 2>/dev/null
		done
	done
	for _ in $(seq 50); do
		p=$(dev_leftovers)
		[ -n "$p" ] || break
		kill -KILL $p 2>/dev/null
		sleep 0.1
	done
	(exit "$rc")
	t_cleanup
}
trap dev_cleanup EXIT

# dev_build_poller: builds tests/e2e/testdata/dev/poller into $POLLER (plain go build).
dev_build_poller() {
	(cd "$DEV_TESTDATA/poller" && go build -o "$POLLER" .) >"$tmp/poller.build" 2>&1 ||
		fail "cannot build the poller: $(cat "$tmp/poller.build")"
}

# dev_copy NAME DIR: a private, writable copy of tests/e2e/testdata/dev/NAME in DIR.
dev_copy() {
	mkdir -p "$2"
	cp -R "$DEV_TESTDATA/$1/." "$2/"
	chmod -R u+w "$2"
}

# dev_start NAME DIR ARGS...: runs `golive dev --json ARGS` in DIR, in a session
# (with --poll $GOLIVE_E2E_POLL when that is set: t90_dev_poll.sh runs the
# edit, storm and checkout scripts again with the polling watcher)
# of its own, stdin $DEV_STDIN (default /dev/null; a FIFO must already have a
# writer); stdout in $tmp/NAME.json, stderr in $tmp/NAME.err,
# golive's pid (= its process group) in $tmp/NAME.pid, its exit status in
# $tmp/NAME.rc once it has ended.
dev_start() {
	local name=$1 dir=$2
	shift 2
	rm -f "$tmp/$name.pid" "$tmp/$name.rc"
	: >"$tmp/$name.json"
	: >"$tmp/$name.err"
	(
		rc=0
		setsid sh -c 'echo $$ >"$0"; cd "$1" || exit 97; shift; exec "$@"' "$tmp/$name.pid" "$dir" \
			"$GOLIVE" dev --json ${GOLIVE_E2E_POLL:+--poll "$GOLIVE_E2E_POLL"} "$@" \
			>"$tmp/$name.json" 2>"$tmp/$name.err" <"${DEV_STDIN:-/dev/null}" || rc=$?
		echo "$rc" >"$tmp/$name.rc"
	) 2>"$tmp/$name.sh.err" &
	wait_until "[ -s '$tmp/$name.pid' ]" 10 || fail "$name: golive dev did not start"
	track_pid "$(cat "$tmp/$name.pid")"
	if [ -n "${GOLIVE_E2E_POLL:-}" ]; then
		wait_until "grep -q '\"type\": *\"watch\"' '$tmp/$name.json' || [ -s '$tmp/$name.rc' ]" 60
		if grep -q '"type": *"watch"' "$tmp/$name.json" &&
			[ "$(dev_q "$name" '[w.get("backend") for w in W][:1]')" != '["poll"]' ]; then
			fail "$name: GOLIVE_E2E_POLL is set but golive dev does not poll$(dev_report "$name")"
		fi
	fi
}

# dev_pid NAME: golive's pid.
dev_pid() { cat "$tmp/$1.pid"; }

# dev_q NAME EXPR: evaluates the Python expression EXPR over the JSON lines
# golive dev NAME has printed so far (a last line without its newline is still
# being written and left out): L all of them, C the "cycle" lines, X the
# "exit" lines, S the "stop" lines, W the "watch" lines, LS the "listen"
# lines, P the "proxy" lines. Strings print raw, the rest as JSON.
dev_q() {
	python3 - "$tmp/$1.json" "$2" <<'EOF'
import json, sys
data = open(sys.argv[1], "rb").read()
L = []
for raw in data.split(b"\n")[:-1]:
    try:
        e = json.loads(raw)
    except Exception:
        e = {"type": "NOT-JSON", "raw": raw.decode("utf-8", "replace")}
    L.append(e if isinstance(e, dict) else {"type": "NOT-AN-OBJECT", "raw": e})
def of(t):
    return [e for e in L if e.get("type") == t]
C, X, S, W, LS, P = of("cycle"), of("exit"), of("stop"), of("watch"), of("listen"), of("proxy")
v = eval(sys.argv[2], {"L": L, "C": C, "X": X, "S": S, "W": W, "LS": LS, "P": P, "json": json})
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# dev_report NAME: what golive dev NAME has printed (for failure messages).
dev_report() {
	echo
	echo "--- $1: stdout (last 30 lines) ---"
	tail -n 30 "$tmp/$1.json" 2>/dev/null
	echo "--- $1: stderr (last 40 lines) ---"
	tail -n 40 "$tmp/$1.err" 2>/dev/null
	echo "---"
}

# dev_wait NAME PYEXPR SECONDS "what": waits until PYEXPR (see dev_q) is true,
# or fails with golive's output.
dev_wait() {
	local name=$1 expr=$2 secs=$3 what=$4 deadline
	deadline=$(($(date +%s%N) + secs * 1000000000))
	while [ "$(dev_q "$name" "bool($expr)")" != true ]; do
		[ "$(date +%s%N)" -lt "$deadline" ] ||
			fail "$name: $what: not within ${secs}s ($expr)$(dev_report "$name")"
		sleep 0.1
	done
}

# dev_settle NAME SECONDS MAX: waits until golive dev NAME has printed nothing
# (stdout or stderr) for SECONDS (fractions allowed), at most MAX seconds.
dev_settle() {
	local name=$1 quiet_ms deadline last now size
	quiet_ms=$(python3 -c "print(int($2 * 1000))")
	deadline=$(($(date +%s%N) + $3 * 1000000000))
	last=
	local since
	since=$(date +%s%N)
	while :; do
		size=$(cat "$tmp/$name.json" "$tmp/$name.err" 2>/dev/null | wc -c)
		now=$(date +%s%N)
		if [ "$size" != "$last" ]; then
			last=$size
			since=$now
		elif [ $(((now - since) / 1000000)) -ge "$quiet_ms" ]; then
			return 0
		fi
		[ "$now" -lt "$deadline" ] || fail "$name: golive dev never went quiet for ${2}s$(dev_report "$name")"
		sleep 0.05
	done
}

# dev_stop NAME SIGNAL: sends SIGNAL to golive dev NAME and waits (30 s at
# most) for it to end; its exit status lands in $DEV_RC.
dev_stop() {
	kill -s "$2" "$(dev_pid "$1")" 2>/dev/null || true
	wait_until "[ -s '$tmp/$1.rc' ]" 30 || fail "$1: golive dev did not exit within 30 s of SIG$2$(dev_report "$1")"
	DEV_RC=$(cat "$tmp/$1.rc")
}

# dev_check_json NAME: every stdout line of golive dev NAME is one JSON object
# of a documented type with its documented fields (types and the relations
# between them); prints the problems, returns 1 on any.
dev_check_json() {
	python3 - "$tmp/$1.json" <<'EOF'
import json, os, sys
num = (int, float)
def isnum(v): return isinstance(v, num) and not isinstance(v, bool)
def isint(v): return isinstance(v, int) and not isinstance(v, bool)
def numnull(v): return v is None or isnum(v)
bad = []
data = open(sys.argv[1], "rb").read()
if data and not data.endswith(b"\n"):
    bad.append("stdout does not end with a newline")
prev_cycle = 0
seen = []
for i, raw in enumerate(data.split(b"\n")[:-1], 1):
    try:
        e = json.loads(raw)
    except Exception as ex:
        bad.append(f"line {i}: not JSON ({ex}): {raw[:200]!r}"); continue
    if not isinstance(e, dict):
        bad.append(f"line {i}: not an object"); continue
    t = e.get("type")
    def need(k, ok, what):
        if k not in e or not ok(e[k]):
            bad.append(f"line {i} ({t}): {k} missing or not {what}: {e.get(k)!r}")
    if t == "watch":
        need("dirs", isint, "an integer"); need("files", isint, "an integer"); need("ms", isnum, "a number")
        want = "poll" if os.environ.get("GOLIVE_E2E_POLL") else None
        need("backend", lambda v: v == want if want else v in ("inotify", "poll"),
             want or "inotify|poll")
    elif t == "cycle":
        need("cycle", isint, "an integer")
        need("trigger", lambda v: v in ("start", "change", "crash"), "start|change|crash")
        need("files", lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v), "a list of strings")
        # A restart after a crash builds nothing: its build may be null.
        crash = e.get("trigger") == "crash"
        need("build", lambda v: v in ("ok", "failed", "cancelled") or (crash and v is None),
             "ok|failed|cancelled (or null after a crash)")
        need("build_ms", numnull, "a number")
        for k in ("t_event", "t_build_start", "t_build_end", "t_ready"):
            need(k, numnull, "a number or null")
        need("pid", lambda v: v is None or isint(v), "an integer or null")
        need("ready", lambda v: v in ("notify", "exec", None), "notify|exec|null")
        if isint(e.get("cycle")):
            if e["cycle"] != prev_cycle + 1:
                bad.append(f"line {i}: cycle {e['cycle']} follows cycle {prev_cycle}")
            prev_cycle = e["cycle"]
        served = e.get("pid") is not None
        if served != (e.get("t_ready") is not None) or served != (e.get("ready") is not None):
            bad.append(f"line {i}: pid, t_ready and ready must be all null or all set: {e}")
        if served and e.get("build") != "ok" and not (crash and e.get("build") is None):
            bad.append(f"line {i}: a program served after build {e.get('build')}")
        ts = [e.get(k) for k in ("t_event", "t_build_start", "t_build_end", "t_ready")]
        ts = [x for x in ts if isnum(x)]
        if ts != sorted(ts):
            bad.append(f"line {i}: times not in order: {e}")
        if e.get("trigger") == "change" and not e.get("files"):
            bad.append(f"line {i}: a change cycle without files")
    elif t == "exit":
        need("pid", isint, "an integer")
        need("code", lambda v: v is None or isint(v), "an integer or null")
        need("signal", lambda v: v is None or (isinstance(v, str) and v.startswith("SIG")), "SIG... or null")
        need("ran_ms", isnum, "a number"); need("restart_in_ms", isnum, "a number")
        if (e.get("code") is None) == (e.get("signal") is None):
            bad.append(f"line {i}: exactly one of code and signal must be set: {e}")
    elif t == "stop":
        need("pid", isint, "an integer")
        need("signal", lambda v: isinstance(v, str) and v.startswith("SIG"), "SIG...")
        need("killed", lambda v: isinstance(v, bool), "a boolean")
        need("stop_ms", isnum, "a number")
    elif t == "listen":
        need("addr", lambda v: isinstance(v, str) and ":" in v, "host:port")
        need("fd", lambda v: isint(v) and v >= 3, "an integer >= 3")
        need("name", lambda v: isinstance(v, str) and v, "a name")
    elif t == "proxy":
        need("addr", lambda v: isinstance(v, str) and ":" in v, "host:port")
        need("to", lambda v: isinstance(v, str) and ":" in v, "host:port")
    elif t == "warmup":
        need("recorded", lambda v: isint(v) and v >= 0, "an integer >= 0")
        need("skipped", lambda v: isint(v) and v >= 0, "an integer >= 0")
        need("ms", isnum, "a number")
    else:
        bad.append(f"line {i}: unknown type {t!r}")
    if t in ("listen", "proxy") and any(isinstance(x, dict) and x.get("type") not in ("listen", "proxy") for x in seen):
        bad.append(f"line {i}: a {t} line after the startup lines")
    seen.append(e)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
}

# http_get URL: the body of one GET (fresh connection); fails (status 1) on
# an error or a status other than 200.
http_get() { "$POLLER" -once -timeout 5s "$1" 2>/dev/null; }

# wait_body URL WANT SECONDS: waits until GET URL answers WANT; returns 1 if not.
wait_body() {
	wait_until "[ \"\$(http_get '$1')\" = '$2' ]" "$3"
}

# proc_gone PID: the process has ended (and been reaped, or is a zombie).
proc_gone() {
	local st
	st=$(ps -o stat= -p "$1" 2>/dev/null || true)
	st=${st// /}
	[ -z "$st" ] || [ "${st#Z}" != "$st" ]
}

# exe_of PID: the executable of a running process.
exe_of() { readlink "/proc/$1/exe" 2>/dev/null || true; }

# env_of PID NAME: the value of NAME in the environment the process started with.
env_of() { tr '\0' '\n' <"/proc/$1/environ" 2>/dev/null | sed -n "s/^$2=//p" | head -n 1; }

# set_version FILE OLD NEW: replaces `const version = "OLD"` by NEW in FILE
# (one write of the whole file, as an editor does).
set_version() {
	grep -q "^const version = \"$2\"\$" "$1" || fail "$1 has no version $2"
	python3 - "$1" "$2" "$3" <<'EOF'
import sys
p, old, new = sys.argv[1:]
s = open(p).read().replace(f'const version = "{old}"', f'const version = "{new}"')
with open(p, "w") as f:
    f.write(s)
EOF
}

# put_version FILE NEW: sets `const version = "..."` in FILE to NEW, whatever it was.
put_version() {
	python3 - "$1" "$2" <<'EOF'
import re, sys
p, new = sys.argv[1:]
s = open(p).read()
s, n = re.subn(r'const version = "[^"]*"', 'const version = "%s"' % new, s)
assert n == 1, p
with open(p, "w") as f:
    f.write(s)
EOF
}

# wait_building DIR: waits (30 s at most) until golive dev builds the module
# in DIR: a `go build` or `golive build` running in DIR, or the Go compiler
# compiling DIR's main.go; returns 1 if none was seen.
wait_building() {
	python3 - "$1" <<'EOF'
import os, sys, time
app = sys.argv[1]
def building():
    for p in os.listdir("/proc"):
        if not p.isdigit():
            continue
        try:
            args = open("/proc/%s/cmdline" % p, "rb").read().split(b"\0")
            cwd = os.readlink("/proc/%s/cwd" % p)
        except OSError:
            continue
        if b"build" in args[1:3] and cwd == app:
            return True
        if not any(x.endswith(b"/compile") for x in args):
            continue
        if (app + "/main.go").encode() in args or (cwd == app and b"./main.go" in args):
            return True
    return False
deadline = time.monotonic() + 30
while time.monotonic() < deadline:
    if building():
        sys.exit(0)
    time.sleep(0.005)
sys.exit(1)
EOF
}

# dev_end_app NAME URL DIR: the end of a golive dev session on the app
# program: the last cycle's program serves URL; SIGINT makes golive exit 0;
# the program is gone (stopped by SIGTERM if a stop line says so), nothing of
# the tree is left, the port is closed, no binary landed in DIR (.git
# aside), and every stdout line is a well-formed --json line.
dev_end_app() {
	local name=$1 url=$2 dir=$3 last elf problems
	last=$(dev_q "$name" '[c["pid"] for c in C if c["pid"]][-1]')
	expect_eq "$(http_get "$url/pid")" "$last" "the last cycle's program serves"
	dev_stop "$name" INT
	expect_eq "$DEV_RC" 0 "SIGINT: golive dev exits 0"
	wait_until "proc_gone $last" 5 || fail "SIGINT: the program $last still runs"
	pass "SIGINT: the program is gone"
	# (The spec does not say whether stopping the program at exit prints a "stop" line.)
	expect_eq "$(dev_q "$name" "[[s['signal'], s['killed']] for s in S if s['pid'] == $last] in ([], [['SIGTERM', False]])")" true \
		"SIGINT: no stop line for the program, or SIGTERM and not killed"
	wait_until nothing_left 5 || fail "processes left after SIGINT: $(leftovers_ps)"
	pass "SIGINT: nothing left running"
	http_get "$url/" >/dev/null && fail "still served after golive dev ended"
	pass "SIGINT: the port is closed"
	elf=$(python3 - "$dir" <<'EOF'
import os, sys
for d, subdirs, files in os.walk(sys.argv[1]):
    subdirs[:] = [s for s in subdirs if s != ".git"]
    for f in files:
        p = os.path.join(d, f)
        if not os.path.islink(p) and open(p, "rb").read(4) == b"\x7fELF":
            print(p)
EOF
	)
	expect_eq "$elf" "" "no binary in the source tree"
	problems=$(dev_check_json "$name") || fail "--json lines malformed: $problems"
	pass "every stdout line is a well-formed --json line ($(count_lines "$tmp/$name.json") lines)"
}
