# tests/e2e/lib.sh - sourced by every tests/e2e/t*.sh end-to-end script.
#
# Environment (set by CTest, see tests/CMakeLists.txt, or by hand):
#   GOLIVE      absolute path of the golive binary under test
#   GOLIVE_SRC  the source tree (for examples/webapp)
#
# Gives each script: $tmp (a private directory removed on exit, also $TMPDIR so
# golive's session directories and go's $WORK land in it), pass/fail/finish
# for the "N passed, 0 failed" line, and helpers for JSON, processes and waiting.
set -euo pipefail

T_NAME=$(basename "${BASH_SOURCE[1]:-$0}" .sh)
T_PASSED=0
T_START=$(date +%s)

: "${GOLIVE:?GOLIVE must be the absolute path of the golive binary}"
: "${GOLIVE_SRC:?GOLIVE_SRC must be the golive source tree}"
case "$GOLIVE" in /*) ;; *) echo "FAIL: $T_NAME: GOLIVE must be absolute: $GOLIVE" >&2; exit 1 ;; esac
[ -x "$GOLIVE" ] || { echo "FAIL: $T_NAME: $GOLIVE is not executable" >&2; exit 1; }

# The sanitizer settings CTest uses, for runs by hand too: a leak or UB fails loudly.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:exitcode=86}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
# A clean, predictable environment for go and golive.
unset GOLIVE_SESSION GOLIVE_CONFIG GOLIVE_PROGRESS GOLIVE_PROFILE ENV GO_ENV TOOLEXEC_IMPORTPATH GOFLAGS \
	NO_COLOR || true
# The CI runner's own signals (CI=true there) would pick golive's ci profile;
# the tests that want it say so (t62_profiles: CI=true; t91_dev_debug: --profile ci).
unset CI GITHUB_ACTIONS GITLAB_CI BUILDKITE JENKINS_URL || true
export GO111MODULE=on GOTOOLCHAIN=local GOPROXY=off GOFLAGS= CGO_ENABLED=1 LC_ALL=C

# GOLIVE_TEST_GO_BIN: run this script with that go first on PATH (CTest's
# e2e-oldest-go/* tests: Debian's go1.19, the oldest Go golive supports).
if [ -n "${GOLIVE_TEST_GO_BIN:-}" ]; then
	[ -x "$GOLIVE_TEST_GO_BIN/go" ] || { echo "FAIL: $T_NAME: no go in $GOLIVE_TEST_GO_BIN" >&2; exit 1; }
	export PATH=$GOLIVE_TEST_GO_BIN:$PATH
	unset GOROOT
	echo "# go on PATH: $(go version)"
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/golive-e2e-$T_NAME.XXXXXX")
mkdir -p "$tmp/tmpdir"
export TMPDIR="$tmp/tmpdir"
T_BG_PIDS=()

t_cleanup() {
	local rc=$?
	set +e
	local p
	for p in "${T_BG_PIDS[@]}"; do
		# Negative: the process groups this script started with setsid.
		kill -KILL -- "-$p" 2>/dev/null
		kill -KILL -- "$p" 2>/dev/null
	done
	if [ -d "$tmp" ]; then
		chmod -R u+w "$tmp" 2>/dev/null
		rm -rf "$tmp"
	fi
	exit "$rc"
}
trap t_cleanup EXIT

# Registers a background process (group leader) for cleanup.
track_pid() { T_BG_PIDS+=("$1"); }

fail() {
	echo "FAIL: $T_NAME: $*" >&2
	echo "$T_PASSED passed, 1 failed"
	exit 1
}

pass() {
	T_PASSED=$((T_PASSED + 1))
	echo "ok $T_PASSED - $*"
}

# Prints the final line. Call last.
finish() {
	# CPU time of this script and the processes it waited for (go, golive, ...).
	times >"$tmp/times"
	echo "# $T_NAME took $(($(date +%s) - T_START))s, cpu $(awk '
		function s(t) { split(t, a, "m"); return a[1] * 60 + a[2] }
		{ c += s($1) + s($2) } END { printf "%.0f", c }' "$tmp/times")s"
	echo "$T_PASSED passed, 0 failed"
}

# check "description" cmd args...: one check that passes when cmd succeeds.
check() {
	local desc=$1
	shift
	if "$@"; then pass "$desc"; else fail "$desc (command failed: $*)"; fi
}

# expect_eq ACTUAL EXPECTED "description"
expect_eq() {
	if [ "$1" == "$2" ]; then
		pass "$3"
	else
		fail "$3: got [$1], want [$2]"
	fi
}

# expect_same_file A B "description": byte-identical files (shows a diff otherwise).
expect_same_file() {
	if cmp -s -- "$1" "$2"; then
		pass "$3"
	else
		diff -u -- "$1" "$2" | head -40 >&2 || true
		fail "$3: $1 and $2 differ"
	fi
}

# Number of lines of a file (0 for an empty or missing one).
count_lines() { if [ -s "$1" ]; then wc -l <"$1" | tr -d ' '; else echo 0; fi; }

# copy_webapp DIR: a private, writable copy of examples/webapp.
copy_webapp() {
	mkdir -p "$1"
	cp -R "$GOLIVE_SRC/examples/webapp/." "$1/"
	chmod -R u+w "$1"
}

# new_module DIR PATH: an empty module DIR with go.mod "module PATH".
new_module() {
	mkdir -p "$1"
	printf 'module %s\n\ngo 1.19\n' "$2" >"$1/go.mod"
}

# json_get FILE EXPR: evaluates the Python expression EXPR with d = the parsed
# JSON document of FILE ("-" for stdin). Strings print raw, the rest as JSON.
json_get() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
src, expr = sys.argv[1], sys.argv[2]
d = json.load(sys.stdin if src == "-" else open(src))
v = eval(expr, {"d": d, "len": len, "sum": sum, "sorted": sorted})
print(v if isinstance(v, str) else json.dumps(v))
EOF
}

# Validates an events.jsonl: every line a JSON object with every documented
# field of the right type (importpath and pkg are optional strings: absent
# when the tool has none, e.g. for -V=full probes). Prints problems, returns 1 on any.
check_events_file() {
	python3 - "$1" <<'EOF'
import json, sys
ints = ["files", "bytes", "start_ns", "wall_ns", "tool_user_ns", "tool_sys_ns",
        "tool_maxrss_kb", "self_user_ns", "self_sys_ns", "self_maxrss_kb", "exit", "signal"]
bad = 0
n = 0
with open(sys.argv[1], "rb") as f:
    data = f.read()
if data and not data.endswith(b"\n"):
    print("events file does not end with a newline"); bad += 1
for i, raw in enumerate(data.split(b"\n")[:-1], 1):
    n += 1
    try:
        e = json.loads(raw)
    except Exception as ex:
        print(f"line {i}: not JSON ({ex}): {raw[:200]!r}"); bad += 1; continue
    if not isinstance(e, dict):
        print(f"line {i}: not an object"); bad += 1; continue
    if not isinstance(e.get("tool"), str) or not e["tool"]:
        print(f"line {i}: tool missing"); bad += 1
    if not isinstance(e.get("probe"), bool):
        print(f"line {i}: probe missing or not a boolean"); bad += 1
    for k in ints:
        if not isinstance(e.get(k), int) or isinstance(e.get(k), bool):
            print(f"line {i}: {k} missing or not an integer: {e.get(k)!r}"); bad += 1
    for k in ("importpath", "pkg"):
        if k in e and not isinstance(e[k], str):
            print(f"line {i}: {k} is not a string"); bad += 1
    if e.get("exit") == -1 and not e.get("signal"):
        print(f"line {i}: exit -1 without a signal"); bad += 1
    if not e.get("probe") and e.get("tool") == "compile" and not e.get("pkg"):
        print(f"line {i}: compile without pkg"); bad += 1
if n == 0:
    print("no events"); bad += 1
sys.exit(1 if bad else 0)
EOF
}

# count_events FILE PYEXPR: number of events e for which PYEXPR is true.
count_events() {
	python3 - "$1" "$2" <<'EOF'
import json, sys
n = 0
try:
    lines = open(sys.argv[1]).read().splitlines()
except FileNotFoundError:
    lines = []
for l in lines:
    e = json.loads(l)
    if eval(sys.argv[2], {"e": e}):
        n += 1
print(n)
EOF
}

# procs_matching MARKER: "pid args" of every process (but this script's shells)
# whose command line contains MARKER; empty when there is none.
procs_matching() {
	local self=$$ me=${BASHPID:-$$}
	ps -eo pid=,args= | awk -v m="$1" -v a="$self" -v b="$me" '
		index($0, m) && $1 != a && $1 != b && $2 != "ps" && $2 != "awk" { print }'
}

# no_procs_matching MARKER: true when no process contains MARKER.
no_procs_matching() { [ -z "$(procs_matching "$1")" ]; }

# free_port: a TCP port of 127.0.0.1 that nobody listens on right now (bound
# with port 0, then released).
free_port() {
	python3 -c '
import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# wait_until CMD TIMEOUT_SECONDS: re-runs the shell command CMD until it
# succeeds (returns 0) or the timeout passes (returns 1).
wait_until() {
	local cmd=$1 deadline=$(($(date +%s%N) + ${2} * 1000000000))
	while :; do
		if eval "$cmd"; then return 0; fi
		[ "$(date +%s%N)" -lt "$deadline" ] || return 1
		sleep 0.1
	done
}

# go_at_least 1.N: true when the go on PATH is go1.N or newer (the oldest-Go
# run of the suite puts Debian's go1.19 first on PATH).
go_at_least() {
	local v
	v=$(go env GOVERSION)
	v=${v#go}
	v=${v#1.}
	v=${v%%[^0-9]*}
	[ "${v:-0}" -ge "${1#1.}" ]
}

# go vet -vettool's text output changed in Go 1.26: go runs the tool with
# -json (the tree in vet.cfg's Stdout file), then prints "file:line:col:
# message" itself, without "[analyzer]" and without a "# pkg" header, and
# exits 1 on findings; older Go relays the tool's stderr ("file:line:col:
# [analyzer] message" under "# pkg") and exits 2.
if go_at_least 1.26; then VET_NEW=1 VET_FAIL=1; else VET_NEW=0 VET_FAIL=2; fi
# vet_text FILE: FILE's findings as older go vet prints them, without "[analyzer] "
# (compare these lines across Go versions).
vet_text() { grep -E '^[^ #]+\.go:[0-9]+:[0-9]+: ' "$1" | sed -E 's#^\./##; s/^([^ ]+: )\[[a-z0-9_.-]+\] /\1/' | LC_ALL=C sort; }

# The go tool directory, for -V=full checks and -x parsing.
GOTOOLDIR_=$(go env GOTOOLDIR)

# sort_blocks <in >out: go prints per-package output ("# pkg" and its lines) in
# the order the actions finish; sort those blocks to compare parallel runs.
sort_blocks() {
	python3 -c '
import sys
blocks, cur = [], []
for line in sys.stdin.read().splitlines(True):
    if line.startswith("# ") and cur:
        blocks.append("".join(cur)); cur = []
    cur.append(line)
if cur:
    blocks.append("".join(cur))
sys.stdout.write("".join(sorted(blocks)))
'
}

# warm_std_cache DIR PKGDIR [go build flags...]: DIR becomes a GOCACHE that
# holds the standard-library dependencies of the package in PKGDIR, built
# plain with those flags (and the GOOS/GOARCH/CGO_ENABLED of the
# environment), and nothing of PKGDIR's own module. Builds that start from
# a copy of it (copy_cache) compile only the module's packages, so those
# reach -toolexec while std does not compile again: the wrapper leaves go's
# action IDs alone, so std built plain serves wrapped builds too (not
# builds with a plugin's -V=full salt).
warm_std_cache() {
	local dir=$1 pkgdir=$2 pkgs
	shift 2
	pkgs=$(cd "$pkgdir" && go list "$@" -deps -f '{{if .Standard}}{{.ImportPath}}{{end}}' .) ||
		fail "warm_std_cache: go list -deps in $pkgdir failed"
	mkdir -p "$dir"
	# shellcheck disable=SC2086
	(cd "$pkgdir" && GOCACHE=$dir go build "$@" $pkgs) || fail "warm_std_cache: go build of std failed ($*)"
}

# seed_std_cache DIR: when DIR does not exist yet, it becomes a copy of the
# GOCACHE that CTest's fixture e2e/setup_gostd (tests/e2e/gostd.sh) filled
# with plain builds of the standard-library packages the test programs use
# (GOLIVE_TEST_STD_CACHE, for the go on PATH). Without that fixture (a script
# run by hand) DIR is left alone: std then compiles in the test. Only for
# caches whose builds need not run std's compiles through -toolexec: with
# the copy, they never reach the wrapper.
seed_std_cache() {
	local src=${GOLIVE_TEST_STD_CACHE:-}
	[ -n "$src" ] && [ ! -e "$1" ] || return 0
	src=$src/$(go env GOVERSION)
	[ -f "$src.ready" ] || return 0
	mkdir -p "$(dirname "$1")"
	cp -a "$src" "$1"
}

# copy_cache SRC DST: DST becomes a fresh copy of the GOCACHE SRC.
copy_cache() {
	rm -rf "$2"
	cp -a "$1" "$2"
}

# start_server NAME KIND [CRED]: a real cache server (tests/cache_servers.sh:
# KIND redis or nginx, CRED user:password) in a session of its own, stopped
# when this test ends (its stdin, a FIFO held open as fd NAME_fd, reaches EOF)
# or after CACHE_SERVERS_TIMEOUT seconds (cache_servers.sh's default: a loaded
# machine makes the cache tests slow). Sets NAME_port and NAME_pid.
start_server() {
	local name=$1
	mkfifo "$tmp/$name.in"
	setsid bash "$GOLIVE_SRC/tests/cache_servers.sh" "${@:2}" <"$tmp/$name.in" \
		>"$tmp/$name.out" 2>"$tmp/$name.err" &
	local pid=$!
	track_pid "$pid"
	eval "exec {${name}_fd}>\"$tmp/$name.in\""
	wait_until "grep -q '^PORT ' '$tmp/$name.out'" 30 || fail "$name did not start: $(cat "$tmp/$name.err")"
	eval "${name}_port=$(awk '/^PORT /{print $2}' "$tmp/$name.out")"
	eval "${name}_pid=$pid"
}
