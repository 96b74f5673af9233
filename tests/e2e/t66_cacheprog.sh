#!/usr/bin/env bash
# t66_cacheprog: `golive cache prog` as go's GOCACHEPROG (Go >= 1.24; docs/cache.md,
# "GOCACHEPROG"), with real servers on 127.0.0.1 (tests/cache_servers.sh):
#  - over Redis and HTTP (nginx WebDAV) with a program using encoding/json and fmt,
#    over dir:// (signed) with its library: a cold build on one "machine" (empty
#    GOCACHE, empty HOME: so an empty local prog dir) fills the remote; a second
#    machine runs no compile at all (go build -x) and counts its remote hits (the
#    prog's --stats line); both outputs are byte-identical to a plain go build's;
#  - go test's result caching through it, also on a fresh machine from the remote;
#  - faults: a remote that answers 500, corrupted remote objects, and Redis killed
#    mid-build: one warning (or one refused entry), the build succeeds from the local
#    directory with the right outputs;
#  - a local cache with no remote configured, and never inside GOCACHE.
. "$(dirname "$0")/lib.sh"

if ! go_at_least 1.24; then
	pass "skipped: $(go env GOVERSION) has no GOCACHEPROG (Go >= 1.24)"
	finish
	exit 0
fi
unset GOLIVE_CACHE GOLIVE_CACHE_MODE GOLIVE_CACHE_HMAC_KEY GOCACHEPROG XDG_CACHE_HOME CI || true

# --- the module: main (encoding/json, fmt) -> lib (no imports), lib has a test ------
src=$tmp/src
new_module "$src" example.com/progdemo
mkdir -p "$src/lib"
cat >"$src/main.go" <<'EOF'
package main

import (
	"encoding/json"
	"fmt"

	"example.com/progdemo/lib"
)

func main() {
	b, _ := json.Marshal(map[string]int{"v": lib.Value()})
	fmt.Println(string(b))
}
EOF
cat >"$src/lib/lib.go" <<'EOF'
package lib

func Value() int { return 6 * 7 }
EOF
cat >"$src/lib/lib_test.go" <<'EOF'
package lib

import "testing"

func TestValue(t *testing.T) {
	if Value() != 42 {
		t.Fatal(Value())
	}
}
EOF

# --- servers --------------------------------------------------------------------------
start_server redis redis
start_server web nginx
REDIS=redis://127.0.0.1:$redis_port/0
WEB=http://127.0.0.1:$web_port/golive/

# --- builds ---------------------------------------------------------------------------
# machine NAME: a fresh GOCACHE and HOME, so the prog's default local directory
# (<HOME>/.cache/golive/cacheprog) is fresh too.
machine() {
	rm -rf "$tmp/m/$1"
	mkdir -p "$tmp/m/$1/gocache" "$tmp/m/$1/home"
	export GOCACHE=$tmp/m/$1/gocache HOME=$tmp/m/$1/home
}
PROG="$GOLIVE cache prog --stats"
# pbuild NAME [go build flags and packages]: go build -x through the prog in $src
# into $tmp/NAME.bin (default package "."); go's -x and the prog's lines in $tmp/NAME.err.
pbuild() {
	local name=$1
	shift
	[ $# -gt 0 ] || set -- .
	(cd "$src" && GOCACHEPROG="$PROG" go build -x -o "$tmp/$name.bin" "$@") >"$tmp/$name.out" 2>"$tmp/$name.err" ||
		fail "$name: go build with GOCACHEPROG failed: $(grep -v '^\(mkdir\|cat\|cd\|EOF\|packagefile\|#\)' "$tmp/$name.err" | tail -5)"
}
# plain NAME [flags and packages]: plain go build, its own GOCACHE, no prog.
plain() {
	local name=$1
	shift
	[ $# -gt 0 ] || set -- .
	(cd "$src" && GOCACHE=$tmp/plaincache HOME=$tmp/plainhome go build -o "$tmp/$name.bin" "$@") \
		>"$tmp/$name.plain.err" 2>&1 || fail "$name: plain go build failed: $(cat "$tmp/$name.plain.err")"
}
# compiles NAME: the compiles go ran (go build -x prints each).
compiles() { grep -c '/compile -o ' "$tmp/$1.err" || true; }
# stat NAME FIELD: from the prog's --stats line: gets, local, remote, misses, puts, uploaded.
stat() {
	python3 - "$tmp/$1.err" "$2" <<'EOF'
import re, sys
lines = [l for l in open(sys.argv[1]) if l.startswith("golive cache prog: ") and " gets (" in l]
if len(lines) != 1:
    print(f"want one stats line, got {len(lines)}"); sys.exit(0)
m = re.match(r"golive cache prog: (\d+) gets \((\d+) local hits, (\d+) remote hits, (\d+) misses\), (\d+) puts", lines[0])
u = re.search(r"uploaded (\d+) \(", lines[0])
d = dict(zip(["gets", "local", "remote", "misses", "puts"], m.groups())) if m else {}
d["uploaded"] = u.group(1) if u else "none"
print(d.get(sys.argv[2], "none"))
EOF
}
# warnings NAME: the number of "remote cache ... off" warnings the prog printed.
warnings() { grep -c '^golive cache prog: warning: remote cache .*; off for the rest of this run' "$tmp/$1.err" || true; }

mkdir -p "$tmp/plaincache" "$tmp/plainhome"
plain ref
plain reflib ./lib

# two_machines LABEL REF MIN [package]: over $GOLIVE_CACHE, a cold machine (at
# least MIN compiles) fills the remote, a warm one runs no compile; both outputs
# are byte-identical to $tmp/REF.bin (plain go build).
two_machines() {
	local label=$1 ref=$2 min=$3
	shift 3
	machine "${label}1"
	pbuild "${label}1" "$@"
	n=$(compiles "${label}1")
	[ "$n" -ge "$min" ] || fail "$label: the cold build compiled only $n packages"
	expect_eq "$(stat "${label}1" remote)" 0 "$label: cold machine: no remote hit"
	expect_eq "$(stat "${label}1" uploaded)" "$(stat "${label}1" puts)" "$label: cold machine: every put uploaded ($(stat "${label}1" puts))"
	expect_eq "$(warnings "${label}1")" 0 "$label: cold machine: no warning"
	expect_same_file "$tmp/${label}1.bin" "$tmp/$ref.bin" "$label: cold machine: the output is plain go build's"
	machine "${label}2"
	pbuild "${label}2" "$@"
	expect_eq "$(compiles "${label}2")" 0 "$label: warm machine: no compile ran"
	hits=$(stat "${label}2" remote)
	[ "$hits" -ge "$n" ] || fail "$label: warm machine: $hits remote hits for $n compiles"
	pass "$label: warm machine: $hits remote hits, $(stat "${label}2" misses) misses"
	expect_same_file "$tmp/${label}2.bin" "$tmp/$ref.bin" "$label: warm machine: the output is plain go build's"
	[ ! -e "$GOCACHE/../home/.cache/golive/cacheprog/a" ] && fail "$label: nothing in the default local directory"
	[ -z "$(find "$GOCACHE" -mindepth 1 -name 'golive*' -print -quit)" ] || fail "$label: prog files inside GOCACHE"
	pass "$label: bodies in <HOME>/.cache/golive/cacheprog, none inside GOCACHE"
}

export GOLIVE_CACHE=$REDIS
two_machines redis ref 20
[ "$(redis-cli -p "$redis_port" dbsize)" -gt 40 ] || fail "redis holds only $(redis-cli -p "$redis_port" dbsize) keys"
pass "redis holds the entries ($(redis-cli -p "$redis_port" dbsize) keys)"

# --- go test result caching, on the warm machine, then on a fresh one -------------------------
gotest() {
	(cd "$src" && GOCACHEPROG="$PROG" go test ./lib) >"$tmp/$1.out" 2>"$tmp/$1.err" ||
		fail "$1: go test failed: $(tail -5 "$tmp/$1.out" "$tmp/$1.err")"
}
gotest test1
grep -q '^ok .*example.com/progdemo/lib' "$tmp/test1.out" || fail "test1: $(cat "$tmp/test1.out")"
grep -q '(cached)' "$tmp/test1.out" && fail "test1: cached before it ran"
gotest test2
grep -q '^ok .*example.com/progdemo/lib.*(cached)' "$tmp/test2.out" || fail "test2: not cached: $(cat "$tmp/test2.out")"
pass "go test: the second run is (cached) through the prog"
machine t3
gotest test3
grep -q '^ok .*example.com/progdemo/lib.*(cached)' "$tmp/test3.out" || fail "test3: not cached on a fresh machine: $(cat "$tmp/test3.out")"
expect_eq "$(stat test3 misses)" 0 "go test on a fresh machine: (cached) from the remote, no miss"

# --- HTTP (nginx WebDAV) and dir:// ---------------------------------------------------------
export GOLIVE_CACHE=$WEB
two_machines http ref 20
# (dir:// on the library alone: the same code as above but for the backend, and
# one cold build less; test_cache_prog covers it further)
export GOLIVE_CACHE=dir://$tmp/dircache GOLIVE_CACHE_HMAC_KEY=k1
two_machines dir reflib 1 ./lib
unset GOLIVE_CACHE_HMAC_KEY
grep -rq '"tool":"cacheprog"' "$tmp/dircache/ac" && grep -rq '"hmac":"' "$tmp/dircache/ac" ||
	fail "dir: the manifests are not signed cacheprog entries"
pass "dir: manifests are signed cacheprog entries"

# --- faults -----------------------------------------------------------------------------
# a remote that answers 500 to everything
export GOLIVE_CACHE=http://127.0.0.1:$web_port/fail/
machine f1
pbuild f1lib ./lib
expect_eq "$(warnings f1lib)" 1 "HTTP 500: one warning"
grep -q 'HTTP 500' "$tmp/f1lib.err" || fail "HTTP 500: the warning does not say why: $(grep warning "$tmp/f1lib.err")"
expect_same_file "$tmp/f1lib.bin" "$tmp/reflib.bin" "HTTP 500: the package is built locally, plain go build's"
pbuild f1lib2 ./lib
expect_eq "$(compiles f1lib2)" 0 "HTTP 500: the next build hits the local directory"
expect_eq "$(stat f1lib2 local)" "$(stat f1lib2 gets)" "HTTP 500: every get was a local hit"

# corrupted objects in the dir:// cache: refused, a miss, the right output
export GOLIVE_CACHE=dir://$tmp/dircache GOLIVE_CACHE_HMAC_KEY=k1
find "$tmp/dircache/cas" -type f -size +0 | while read -r f; do
	python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0xff; open(p,"wb").write(b)' "$f"
done
machine f2
pbuild f2lib ./lib
expect_eq "$(compiles f2lib)" 1 "corrupted remote objects: the package compiles again"
grep -q '^golive cache prog: remote entry [0-9a-f]* refused (a miss): object [0-9a-f]*: content hashes to' "$tmp/f2lib.err" ||
	fail "corrupted remote objects: no refused line: $(grep 'golive cache prog' "$tmp/f2lib.err")"
pass "corrupted remote objects: one line says which was refused"
expect_eq "$(warnings f2lib)" 0 "corrupted remote objects: the remote stays on (a bad entry is not a failure)"
expect_same_file "$tmp/f2lib.bin" "$tmp/reflib.bin" "corrupted remote objects: plain go build's output"
unset GOLIVE_CACHE_HMAC_KEY

# Redis killed in the middle of a cold build
start_server redis2 redis
export GOLIVE_CACHE=redis://127.0.0.1:$redis2_port/0
machine f3
(cd "$src" && GOCACHEPROG="$PROG" go build -x -o "$tmp/f3.bin" .) >"$tmp/f3.out" 2>"$tmp/f3.err" &
bpid=$!
wait_until "[ \$(grep -c '/compile -o ' '$tmp/f3.err') -ge 3 ]" 60 || fail "the build did not start compiling"
kill -TERM "$redis2_pid"
wait "$bpid" || fail "Redis killed mid-build: the build failed: $(tail -5 "$tmp/f3.err")"
expect_eq "$(warnings f3)" 1 "Redis killed mid-build: one warning"
expect_same_file "$tmp/f3.bin" "$tmp/ref.bin" "Redis killed mid-build: the binary is plain go build's"

# --- no remote: a local cache; never inside GOCACHE ---------------------------------------------
unset GOLIVE_CACHE
machine l1
pbuild l1lib ./lib
grep -q '^golive cache prog: .* puts; local only (' "$tmp/l1lib.err" || fail "no cache: not a local cache: $(grep 'golive cache prog' "$tmp/l1lib.err")"
pbuild l1lib2 ./lib
expect_eq "$(compiles l1lib2)" 0 "no cache configured: a local cache all the same"
expect_same_file "$tmp/l1lib2.bin" "$tmp/reflib.bin" "no cache configured: plain go build's output"
if (cd "$src" && GOCACHEPROG="$GOLIVE cache prog --dir $GOCACHE/x" go build ./lib) >"$tmp/in.out" 2>&1; then
	fail "a prog dir inside GOCACHE was accepted"
fi
grep -q 'is inside GOCACHE' "$tmp/in.out" || fail "inside GOCACHE: no reason given: $(cat "$tmp/in.out")"
pass "a local directory inside GOCACHE is refused"

finish
