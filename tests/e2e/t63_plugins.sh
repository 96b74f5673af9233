#!/usr/bin/env bash
# t63_plugins: plugins in real builds of examples/webapp.
#  - refused at setup, each with its one-line reason and the build going on:
#    a sha256 mismatch, a group-writable file, a missing file, a plugin built
#    for another ABI, an exec plugin that answers garbage; a relative path is
#    a golive.yaml error (exit 2, FILE:LINE:COL); with required: true a
#    refusal stops the build;
#  - failing at tool time: a .so that segfaults in before_tool and one that
#    hangs past its timeout: the build succeeds, the binary is the plain
#    one, and golive build names the plugin; with required: true the build
#    fails;
#  - devpprof (the shipped plugin): in dev the program serves /debug/pprof/;
#    in ci and prod the binary is byte-identical to plain go build; dev,
#    prod, dev again: each binary right (go's cache never serves a stale
#    object across profiles); every load is in the session's audit log;
#    with -trimpath on a cache that holds no plain -trimpath objects (the
#    plugin's go list must not rebuild pprof's closure within its timeout),
#    and again in a new session, the compile of main then from go's cache (the
#    link alone must see -trimpath).
# Three graphs of net/http compile here, none twice: plain (the reference,
# and every build without a rewriting plugin), dev (salted) and dev -trimpath.
. "$(dirname "$0")/lib.sh"

: "${GOLIVE_TEST_PLUGINS:?the directory of the test plugins, from tests/CMakeLists.txt}"
: "${GOLIVE_DEVPPROF:?devpprof.so}"
unset GOLIVE_PROFILE CI GITHUB_ACTIONS GITLAB_CI BUILDKITE JENKINS_URL ENV GO_ENV || true
export GOCACHE=$tmp/gocache XDG_CACHE_HOME=$tmp/cache # devpprof's export lists too
# The plain graph from CTest's fixture (lib.sh): the reference build below compiles it plain anyway.
seed_std_cache "$GOCACHE"

w=$tmp/webapp
copy_webapp "$w"
pl=$tmp/pl
mkdir -p "$pl"
for f in p_crash p_hang p_abi; do
	install -m 0644 "$GOLIVE_TEST_PLUGINS/$f.so" "$pl/$f.so"
done
install -m 0644 "$GOLIVE_DEVPPROF" "$pl/devpprof.so"
install -m 0755 "$GOLIVE_SRC/tests/plugins/x_garbage.sh" "$pl/x_garbage.sh"
sha() { sha256sum "$1" | cut -d' ' -f1; }

(cd "$w" && go build -o "$tmp/plain" .) || fail "plain go build failed"

# build NAME [golive build args]: rc and $tmp/NAME.err
build() {
	local name=$1
	shift
	set +e
	(cd "$w" && "$GOLIVE" build --quiet -o "$tmp/$name" "$@" .) >"$tmp/$name.out" 2>"$tmp/$name.err"
	rc=$?
	set -e
}
# built NAME DESC: the last build of NAME exited 0, else its stderr in the failure.
built() {
	[ "$rc" -eq 0 ] || fail "$2: got [$rc], want [0]; its stderr:
$(tail -25 "$tmp/$1.err")"
	pass "$2"
}

# --- refused at setup --------------------------------------------------------------------
cat >"$w/golive.yaml" <<EOF
plugins:
  - name: devpprof
    path: $pl/devpprof.so
    sha256: $(printf '0%.0s' $(seq 64))
  - name: p_abi
    path: $pl/p_abi.so
    sha256: $(sha "$pl/p_abi.so")
  - name: gone
    path: $pl/nosuch.so
    sha256: $(printf 'a%.0s' $(seq 64))
  - name: x_garbage
    exec: $pl/x_garbage.sh
    sha256: $(sha "$pl/x_garbage.sh")
EOF
build refused
expect_eq "$rc" 0 "plugins refused at setup: the build goes on"
expect_same_file "$tmp/refused" "$tmp/plain" "plugins refused at setup: the plain binary"
grep -q 'plugin devpprof: .*sha256 mismatch' "$tmp/refused.err" || fail "no hash mismatch line: $(cat "$tmp/refused.err")"
grep -q 'plugin p_abi: .*ABI version 2' "$tmp/refused.err" || fail "no ABI line: $(cat "$tmp/refused.err")"
grep -q 'plugin gone: .*No such file or directory' "$tmp/refused.err" || fail "no missing-file line"
grep -q 'plugin x_garbage: .*not a JSON object' "$tmp/refused.err" || fail "no garbage line"
expect_eq "$(grep -c '^golive: warning: plugin ' "$tmp/refused.err")" 4 "one line per refused plugin"

chmod 0664 "$pl/p_abi.so"
cat >"$w/golive.yaml" <<EOF
plugins:
  - name: p_abi
    path: $pl/p_abi.so
    sha256: $(sha "$pl/p_abi.so")
EOF
build gw
grep -q 'plugin p_abi: .*group-writable' "$tmp/gw.err" || fail "a group-writable plugin was not refused: $(cat "$tmp/gw.err")"
pass "a group-writable plugin file is refused"
chmod 0644 "$pl/p_abi.so"

printf 'plugins:\n  - name: rel\n    path: rel.so\n    sha256: %s\n' "$(printf 'a%.0s' $(seq 64))" >"$w/golive.yaml"
build rel
expect_eq "$rc" 2 "a relative plugin path: exit 2"
grep -q 'golive.yaml:3:11: plugins\[0\].path: must be an absolute path' "$tmp/rel.err" ||
	fail "the error does not point at it: $(cat "$tmp/rel.err")"
pass "a relative path is a golive.yaml error at its position"

cat >"$w/golive.yaml" <<EOF
plugins:
  - name: devpprof
    path: $pl/devpprof.so
    sha256: $(printf '0%.0s' $(seq 64))
    required: true
EOF
build req
[ "$rc" -ne 0 ] || fail "a required plugin that does not verify let the build run"
grep -q 'plugin devpprof: .*sha256 mismatch.*(required: true)' "$tmp/req.err" || fail "$(cat "$tmp/req.err")"
[ ! -e "$tmp/req" ] || fail "a binary was built"
pass "required: true: a refusal stops the build before it starts"

# --- failing at tool time ----------------------------------------------------------------
cat >"$w/golive.yaml" <<EOF
plugins:
  - name: p_crash
    path: $pl/p_crash.so
    sha256: $(sha "$pl/p_crash.so")
  - name: p_hang
    path: $pl/p_hang.so
    sha256: $(sha "$pl/p_hang.so")
    timeout: 300ms
    args: { pidfile: "$tmp/hang.pids" }
EOF
build crash
expect_eq "$rc" 0 "a segfaulting and a hanging plugin: the build succeeds"
expect_same_file "$tmp/crash" "$tmp/plain" "... with the plain binary"
grep -q 'plugin p_crash: before_tool: killed by SIGSEGV' "$tmp/crash.err" || fail "the crash is not named: $(cat "$tmp/crash.err")"
grep -q 'plugin p_hang: before_tool: no answer within its 300 ms timeout' "$tmp/crash.err" || fail "the hang is not named: $(cat "$tmp/crash.err")"
pass "golive build names both: $(grep -c '^golive: warning: plugin' "$tmp/crash.err") lines"
sed -i 's/    timeout: 300ms/    timeout: 300ms\n    required: true/' "$w/golive.yaml"
build hangreq
[ "$rc" -ne 0 ] || fail "a required plugin that hangs let the build succeed"
grep -q 'plugin p_hang: .*(required: true)' "$tmp/hangreq.err" || fail "$(cat "$tmp/hangreq.err")"
pass "required: true: a hanging plugin fails the build"

# --- devpprof across profiles ------------------------------------------------------------
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cat >"$w/golive.yaml" <<EOF
plugins:
  - name: devpprof
    path: $pl/devpprof.so
    sha256: $(sha "$pl/devpprof.so")
    args: { addr: "127.0.0.1:$port" }
    timeout: 60s
EOF
serves_pprof() {
	local bin=$1 app
	setsid "$bin" -addr 127.0.0.1:0 >"$tmp/app.log" 2>&1 &
	app=$!
	track_pid "$app"
	local ok=1
	wait_until "curl -sf http://127.0.0.1:$port/debug/pprof/cmdline >/dev/null" 10 || ok=0
	kill -KILL -- "-$app" 2>/dev/null || true
	wait "$app" 2>/dev/null || true
	return $((1 - ok))
}
# golive plugins: what is configured, verified and active in the profile
(cd "$w" && "$GOLIVE" plugins --profile dev) >"$tmp/pl.dev" 2>&1 || fail "golive plugins: $(cat "$tmp/pl.dev")"
grep -q '^devpprof .*verified (sha256) *active$' "$tmp/pl.dev" || fail "golive plugins (dev): $(cat "$tmp/pl.dev")"
(cd "$w" && "$GOLIVE" plugins --profile ci) >"$tmp/pl.ci" 2>&1 || fail "golive plugins --profile ci failed"
grep -q '^devpprof .*inactive (rewrites tool arguments' "$tmp/pl.ci" || fail "golive plugins (ci): $(cat "$tmp/pl.ci")"
pass "golive plugins: devpprof verified, active in dev, inactive in ci"
build dev1 --profile dev --keep
built dev1 "devpprof, dev: built"
serves_pprof "$tmp/dev1" || fail "the dev binary does not serve pprof$(cat "$tmp/app.log")"
pass "dev: the program serves /debug/pprof/ on 127.0.0.1:$port"
sess=$(sed -n 's/^golive: session kept in //p' "$tmp/dev1.err")
[ -n "$sess" ] && grep -q '"action":"load"' "$sess/audit.log" && grep -q '"action":"verified"' "$sess/audit.log" ||
	fail "no load/verified lines in the audit log"
pass "audit log: $(grep -c '"action":"load"' "$sess/audit.log") loads after 1 verification"
build ci1 --profile ci
expect_same_file "$tmp/ci1" "$tmp/plain" "devpprof, ci: byte-identical to plain go build"
build prod1 --profile prod
expect_same_file "$tmp/prod1" "$tmp/plain" "devpprof, prod: byte-identical to plain go build"
build dev2 --profile dev
built dev2 "devpprof, dev after prod: built"
serves_pprof "$tmp/dev2" || fail "dev after prod: the binary does not serve pprof (stale cache)"
expect_same_file "$tmp/dev2" "$tmp/dev1" "dev after prod: the same dev binary"
build prod2 --profile prod
expect_same_file "$tmp/prod2" "$tmp/plain" "prod after dev: still the plain binary"
# -trimpath: pprof's export data must be built with -trimpath too (else the
# link fails: fingerprint mismatch). Nothing here built plain -trimpath
# objects: the plugin's go list runs through golive and reuses the build's own.
build trim --profile dev -trimpath
built trim "devpprof with -trimpath: built"
serves_pprof "$tmp/trim" || fail "the -trimpath dev binary does not serve pprof"
pass "devpprof with -trimpath: serves /debug/pprof/"
# Again, in a new session: the compile of main comes from go's cache, so
# only the link's hook runs and must see -trimpath by itself.
build trim2 --profile dev -trimpath
built trim2 "devpprof with -trimpath, main from go's cache: built"
expect_same_file "$tmp/trim2" "$tmp/trim" "devpprof with -trimpath, main from go's cache: the same binary"
finish
