#!/usr/bin/env bash
# t42_build_analyser: the session's analyser (src/wrapper/analyser.h). With
# fail_on never, golive build analyses each package after its compile, in one
# `golive __analyse` process at idle priority, and loses nothing when that
# process fails.
#  - a 16-package module (bench/gen-module) with the 32 rules of
#    bench/rules/golive.yaml: golive build prints the findings golive check
#    prints; every compile of the module is in the analyser's queue, every
#    package has its line in diags.jsonl, and no __analyse process is left;
#  - the analyser SIGKILLed mid-build: the build succeeds with the same
#    findings, all of them "analysed in this build" (golive build analysed
#    what the analyser left, not a replay);
#  - a user who cannot raise the analyser back from idle priority (nobody;
#    as root only), with every CPU kept busy (nice 10, still above idle
#    priority) so that the analyser starves: golive build stops waiting for
#    it and analyses the rest itself, the same findings again.
. "$(dirname "$0")/lib.sh"

m=$tmp/mod
"$GOLIVE_SRC/bench/gen-module" "$m" --packages 16 >/dev/null || fail "gen-module failed"
cp "$GOLIVE_SRC/bench/rules/golive.yaml" "$m/golive.yaml"
mkdir -p "$tmp/out" "$tmp/sessions"
export GOCACHE=$tmp/gocache
seed_std_cache "$tmp/gc-std"
warm_std_cache "$tmp/gc-std" "$m"
findings() { grep -E '^[^ #]+\.go:[0-9]+:[0-9]+: \[[a-z0-9_.-]+\] ' "$1" | sed -E 's#^\./##' | LC_ALL=C sort; }
cd "$m"

# golive check's findings: what every build below must print.
rc=0
"$GOLIVE" check ./... >"$tmp/out/check.out" 2>"$tmp/out/check.err" || rc=$?
[ "$rc" -le 1 ] || fail "golive check failed ($rc): $(cat "$tmp/out/check.err")"
findings "$tmp/out/check.out" >"$tmp/out/want"
nf=$(count_lines "$tmp/out/want")
[ "$nf" -ge 16 ] || fail "golive check found only $nf findings: $(head "$tmp/out/check.out")"
pass "golive check: $nf findings in the module"

# build DIR_SUFFIX: a cold build of the module (std from the warm cache), fresh analysis cache.
build() {
	copy_cache "$tmp/gc-std" "$GOCACHE"
	GOLIVE_CACHE_DIR=$tmp/anacache-$1 "$GOLIVE" build --keep --session-dir "$tmp/sessions" \
		-o "$tmp/bin-$1" . >"$tmp/out/$1.out" 2>"$tmp/out/$1.err"
}

# --- 1. the analyser analyses every package after its compile --------------------
rc=0
build b1 || rc=$?
expect_eq "$rc" 0 "golive build with the analyser succeeds"
findings "$tmp/out/b1.err" >"$tmp/out/b1"
expect_same_file "$tmp/out/want" "$tmp/out/b1" "golive build: golive check's $nf findings"
sess=$(sed -n 's/^golive: session kept in //p' "$tmp/out/b1.err")
[ -f "$sess/analysis.defer" ] || fail "no analysis.defer in the session $sess"
expect_eq "$(count_events "$sess/analyse.jsonl" "'files' in e")" 16 "16 compiles in the analyser's queue"
expect_eq "$(count_lines "$sess/diags.jsonl")" 16 "diags.jsonl: a line for each package"
expect_eq "$(count_events "$sess/events.jsonl" "'diags' in e")" 0 "no wrapper analysed its compile itself"
grep -q "(16 analysed in this build, 0 replayed" "$tmp/out/b1.err" ||
	fail "summary: $(grep diagnostics "$tmp/out/b1.err")"
pass "summary: 16 packages analysed in this build"
if [ "$(id -u)" = 0 ]; then # root raises it back to normal priority at the end
	expect_eq "$(cat "$sess/analyser.end")" done "the analyser served the whole queue"
fi
no_procs_matching "__analyse $tmp/sessions" || fail "an analyser outlived its build: $(procs_matching "__analyse $tmp/sessions")"
pass "no analyser left after the build"

# --- 2. the analyser killed mid-build: golive build analyses the rest -------------
rm -rf "$tmp/sessions"/*
copy_cache "$tmp/gc-std" "$GOCACHE"
setsid env GOLIVE_CACHE_DIR="$tmp/anacache-b2" "$GOLIVE" build --keep --session-dir "$tmp/sessions" \
	-o "$tmp/bin-b2" . >"$tmp/out/b2.out" 2>"$tmp/out/b2.err" &
bpid=$!
track_pid "$bpid"
# as soon as the first compile reached its queue
wait_until '[ -n "$(cat "$tmp"/sessions/*/analyse.jsonl 2>/dev/null)" ]' 60 ||
	fail "no request reached the analyser's queue"
apid=$(procs_matching "__analyse $tmp/sessions" | awk '{print $1}')
[ -n "$apid" ] || fail "no analyser process"
kill -KILL $apid
pass "analyser $apid killed while the build runs"
rc=0
wait "$bpid" || rc=$?
expect_eq "$rc" 0 "the build goes on without its analyser"
findings "$tmp/out/b2.err" >"$tmp/out/b2"
expect_same_file "$tmp/out/want" "$tmp/out/b2" "the same $nf findings"
grep -q "(16 analysed in this build, 0 replayed" "$tmp/out/b2.err" ||
	fail "summary after the kill: $(grep diagnostics "$tmp/out/b2.err")"
pass "what the analyser left was analysed in this build, not replayed"
expect_eq "$(cat "$tmp"/sessions/*/analyser.end)" failed "analyser.end says it failed"

# --- 3. an analyser that cannot be raised from idle priority, starved --------------
# at nice 10: above the analyser's idle priority, below the tests running beside this one
busy() { setsid nice -n 10 sh -c 'while :; do :; done' & track_pid $!; }
for _ in $(seq "$(nproc)"); do busy; done
if [ "$(id -u)" = 0 ]; then
	u=$tmp/nobody
	mkdir -p "$u/home" "$u/sessions" "$u/tmp"
	cp -a "$m" "$u/mod"
	copy_cache "$tmp/gc-std" "$u/gocache"
	chmod 755 "$tmp"
	chmod -R a+rwX "$u"
	rc=0
	(cd "$u/mod" && setpriv --reuid=65534 --regid=65534 --clear-groups \
		env HOME="$u/home" TMPDIR="$u/tmp" GOCACHE="$u/gocache" GOPATH="$u/home/go" GOLIVE_CACHE_DIR="$u/anacache" \
		GOTOOLCHAIN=local "$GOLIVE" build --keep --session-dir "$u/sessions" -o "$u/bin" .) \
		>"$tmp/out/b3.out" 2>"$tmp/out/b3.err" || rc=$?
	who="nobody"
else
	rc=0
	rm -rf "$tmp/sessions"/*
	build b3 || rc=$?
	u=$tmp
	who="$(id -un)"
fi
expect_eq "$rc" 0 "golive build as $who with both CPUs busy succeeds"
findings "$tmp/out/b3.err" >"$tmp/out/b3"
expect_same_file "$tmp/out/want" "$tmp/out/b3" "as $who, the analyser starved: the same $nf findings"
expect_eq "$(cat "$u"/sessions/*/analyser.end)" starved "analyser.end: golive build stopped waiting for the starved analyser"
finish
