#!/usr/bin/env bash
# t65_cache: the shared compile cache (docs/cache.md) with real servers started
# here on 127.0.0.1 (Debian's redis-server, nginx with WebDAV; tests/cache_servers.sh).
#  - two "machines" (two GOCACHEs without the program's packages, two HOMEs)
#    over Redis, building tests/e2e/testdata/realweb (gin, echo, chi,
#    gorilla/mux and what they import from the module cache: ~115 compiles;
#    Go >= 1.26, else this module with -a): the first build fills the cache, the
#    second runs no compile at all (events; gin, echo, chi and mux among its
#    hits) and writes a binary byte-identical to a plain go build, which runs;
#    over HTTP (nginx) the same with this script's module;
#  - a checkout at another path: with -trimpath everything hits; without, the
#    main module's packages miss (realweb's third-party packages hit) and the
#    summary says why;
#  - correctness under change (each on a fresh GOCACHE, against a plain build):
#    a leaf dependency, a build tag, GOARCH, an embedded file, a cgo flag: the
#    affected packages miss, the others hit, the binaries are right;
#  - faults: server down, server killed mid-build, a server that never answers,
#    a corrupted and a truncated object, a wrong HMAC key, an unsigned entry:
#    the build succeeds with the right binary every time;
#  - two builds at once against one cache; read-only mode stores nothing;
#  - plain `go build -toolexec=golive` with GOLIVE_CACHE fills a dir:// cache.
# Every machine's GOCACHE is a copy (cp -a) of one built here once that holds
# the standard library only (amd64, amd64 -trimpath, 386): a plain std build
# serves wrapped builds (the wrapper leaves go's action IDs alone), so the
# compiles that reach the wrapper and the remote cache are the modules' own,
# and std compiles once per variant instead of once per machine.
. "$(dirname "$0")/lib.sh"

unset GOLIVE_CACHE GOLIVE_CACHE_MODE GOLIVE_CACHE_HMAC_KEY CI GITHUB_ACTIONS || true
export GOLIVE_PROFILE=ci
# Each machine has a HOME of its own; the module cache stays the one
# scripts/bootstrap filled (GOPROXY=off).
GOMODCACHE=$(go env GOMODCACHE)
export GOMODCACHE
# The servers stop after CACHE_SERVERS_TIMEOUT seconds (300 by default): let
# them outlive a slow run of this script (CTest's timeout is 900 s).
export CACHE_SERVERS_TIMEOUT=900

# --- the module: main -> mid -> leaf, mid embeds a file, cnum is cgo -------------
src=$tmp/src
new_module "$src" example.com/cachedemo
mkdir -p "$src/leaf" "$src/mid" "$src/cnum"
cat >"$src/main.go" <<'EOF'
package main

import (
	"encoding/json"
	"fmt"

	"example.com/cachedemo/cnum"
	"example.com/cachedemo/mid"
)

func main() {
	b, _ := json.Marshal(map[string]int{"v": mid.Value() + cnum.N()})
	fmt.Println(string(b), mid.Data())
}
EOF
cat >"$src/leaf/leaf.go" <<'EOF'
package leaf

func Base() int { return 40 }
EOF
cat >"$src/leaf/tag.go" <<'EOF'
//go:build fancy

package leaf

func init() { extra = 100 }
EOF
cat >"$src/leaf/extra.go" <<'EOF'
package leaf

var extra int

func Extra() int { return extra }
EOF
cat >"$src/mid/mid.go" <<'EOF'
package mid

import (
	_ "embed"

	"example.com/cachedemo/leaf"
)

//go:embed data.txt
var data string

func Value() int    { return leaf.Base() + leaf.Extra() + 2 }
func Data() string  { return data }
EOF
echo "embedded v1" >"$src/mid/data.txt"
cat >"$src/cnum/nocgo.go" <<'EOF'
//go:build !cgo

package cnum

func N() int { return 1 }
EOF
cat >"$src/cnum/cnum.go" <<'EOF'
package cnum

// #ifndef VAL
// #define VAL 1
// #endif
// static int val(void) { return VAL; }
import "C"

func N() int { return int(C.val()) }
EOF

# --- servers -------------------------------------------------------------------------
start_server redis redis
start_server web nginx
REDIS=redis://127.0.0.1:$redis_port/0
WEB=http://127.0.0.1:$web_port/golive/

# --- go's caches: the standard library, built once ------------------------------------
# gc-std: this module's std dependencies; gc-stdtrim: the same with -trimpath;
# gc-std386: for GOARCH=386 CGO_ENABLED=0; gc-stdw: gc-std and the std
# dependencies of the two-machine workload W.
warm_std_cache "$tmp/gc-std" "$src"
warm_std_cache "$tmp/gc-stdtrim" "$src" -trimpath
GOARCH=386 CGO_ENABLED=0 warm_std_cache "$tmp/gc-std386" "$src"
if go_at_least 1.26; then
	# realweb: gin, echo, chi, gorilla/mux; its main module has one package.
	W=$tmp/realweb WFLAGS=() WMAIN=example.com/realweb
	cp -R "$GOLIVE_SRC/tests/e2e/testdata/realweb" "$W"
	chmod -R u+w "$W"
	# net/http's graph from CTest's fixture when there is one (lib.sh), then go cache hits
	rm -rf "$tmp/gc-stdw"
	seed_std_cache "$tmp/gc-stdw"
	[ -d "$tmp/gc-stdw" ] || copy_cache "$tmp/gc-std" "$tmp/gc-stdw"
	warm_std_cache "$tmp/gc-stdw" "$src"
	warm_std_cache "$tmp/gc-stdw" "$W"
else
	# realweb's go.mod needs go 1.26: this module, std through the wrapper (-a).
	echo "# realweb skipped on $(go env GOVERSION) (its go.mod needs go 1.26): two machines build this module with -a"
	W=$src WFLAGS=(-a)
	WMAIN="example.com/cachedemo example.com/cachedemo/cnum example.com/cachedemo/leaf example.com/cachedemo/mid"
	copy_cache "$tmp/gc-std" "$tmp/gc-stdw"
fi

# --- builds --------------------------------------------------------------------------
# machine NAME [CACHE]: a HOME of its own and, as GOCACHE, a fresh copy of CACHE
# (gc-std by default: std only) for the next build.
machine() {
	rm -rf "$tmp/m" # what earlier machines built is in $tmp/NAME.*
	mkdir -p "$tmp/m/$1/home"
	copy_cache "${2:-$tmp/gc-std}" "$tmp/m/$1/gocache"
	export GOCACHE=$tmp/m/$1/gocache HOME=$tmp/m/$1/home
}
# gbuild NAME DIR [go build flags...]: golive build --json --keep in DIR into
# $tmp/NAME.bin; $tmp/NAME.json the summary, $tmp/NAME.events the events.
gbuild() {
	local name=$1 dir=$2
	shift 2
	(cd "$dir" && "$GOLIVE" build --json --keep -o "$tmp/$name.bin" "$@" .) >"$tmp/$name.json" 2>"$tmp/$name.err" ||
		fail "$name: golive build failed: $(tail -5 "$tmp/$name.err")"
	local sess
	sess=$(json_get "$tmp/$name.json" 'd["session"]')
	cp "$sess/events.jsonl" "$tmp/$name.events"
	rm -rf "$sess"
}
# plain NAME DIR [flags]: plain go build with the shared reference GOCACHE
# ($PLAINCACHE for another std variant: a copy of its std-only cache).
plain() {
	local name=$1 dir=$2
	shift 2
	(cd "$dir" && GOCACHE=${PLAINCACHE:-$tmp/plaincache} HOME=$tmp/plainhome go build -o "$tmp/$name.bin" "$@" .) \
		>"$tmp/$name.plain.err" 2>&1 || fail "$name: plain go build failed: $(cat "$tmp/$name.plain.err")"
}
rc() { json_get "$tmp/$1.json" "d['remote_cache']$2"; }
# The compiles that ran (the tool did run: not a cache hit), by import path.
ran() { python3 - "$tmp/$1.events" <<'EOF'
import json, sys
out = set()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["tool"] == "compile" and not e.get("probe") and e.get("rcache") != "hit":
        out.add(e.get("importpath") or e.get("pkg"))
print(" ".join(sorted(out)))
EOF
}
compiles() { count_events "$tmp/$1.events" 'e["tool"] == "compile" and not e.get("probe")'; }

mkdir -p "$tmp/plainhome"
copy_cache "$tmp/gc-stdw" "$tmp/plaincache"
plain ref "$src"
plain wref "$W" ${WFLAGS[@]+"${WFLAGS[@]}"}

# --- two machines over Redis ------------------------------------------------------
export GOLIVE_CACHE=$REDIS
machine a "$tmp/gc-stdw"
gbuild a1 "$W" ${WFLAGS[@]+"${WFLAGS[@]}"}
n=$(compiles a1)
[ "$n" -gt 20 ] || fail "machine a compiled only $n packages"
expect_eq "$(rc a1 '["misses"]')" "$n" "machine a: every compile misses the empty cache ($n)"
expect_eq "$(rc a1 '["stored"]')" "$n" "machine a: every compile is stored"
expect_eq "$(rc a1 '["upload_errors"]')" 0 "machine a: no upload failed"
expect_eq "$(rc a1 '["uploads_pending"]')" false "machine a: uploads finished before golive build returned"
expect_same_file "$tmp/a1.bin" "$tmp/wref.bin" "machine a: the binary is plain go build's"
machine b "$tmp/gc-stdw"
gbuild b1 "$W" ${WFLAGS[@]+"${WFLAGS[@]}"}
expect_eq "$(ran b1)" "" "machine b: no compile ran"
expect_eq "$(rc b1 '["hits"]')" "$n" "machine b: $n hits"
expect_same_file "$tmp/b1.bin" "$tmp/wref.bin" "machine b: the binary is byte-identical to a plain build"
if [ "$W" = "$tmp/realweb" ]; then
	got=$(python3 - "$tmp/b1.events" <<'EOF'
import json, sys
hit = set()
for l in open(sys.argv[1]):
    e = json.loads(l)
    if e["tool"] == "compile" and e.get("rcache") == "hit":
        hit.add(e.get("importpath"))
want = ["github.com/gin-gonic/gin", "github.com/labstack/echo/v4", "github.com/go-chi/chi/v5", "github.com/gorilla/mux"]
print(" ".join(p for p in want if p in hit))
EOF
)
	expect_eq "$got" "github.com/gin-gonic/gin github.com/labstack/echo/v4 github.com/go-chi/chi/v5 github.com/gorilla/mux" \
		"machine b: gin, echo, chi and gorilla/mux come from the remote cache"
	expect_eq "$("$tmp/b1.bin")" "chi world
echo world
gin world
mux world" "machine b: realweb runs, every router answers"
fi
copy_cache "$tmp/gc-stdw" "$tmp/m/b/gc2"
(cd "$W" && GOCACHE=$tmp/m/b/gc2 "$GOLIVE" build ${WFLAGS[@]+"${WFLAGS[@]}"} -o "$tmp/b2.bin" . >"$tmp/b2.txt" 2>&1) ||
	fail "b2: build failed"
grep -q "^remote cache redis://127.0.0.1:$redis_port/0 (read-write): $n hits, 0 misses; fetched .* MB, saved ~.*s of compiling" "$tmp/b2.txt" ||
	fail "the text summary has no remote cache line: $(cat "$tmp/b2.txt")"
pass "the text summary counts the hits"

# --- the same over HTTP (nginx WebDAV), with this module ------------------------------
export GOLIVE_CACHE=$WEB
machine h1
gbuild h1 "$src"
expect_eq "$(compiles h1)" 4 "http: machine 1 compiles the module's 4 packages"
expect_eq "$(rc h1 '["stored"]')" 4 "http: machine 1 stores every compile"
machine h2
gbuild h2 "$src"
expect_eq "$(ran h2)" "" "http: machine 2 runs no compile"
expect_same_file "$tmp/h2.bin" "$tmp/ref.bin" "http: the binary is plain go build's"

# --- another checkout path -----------------------------------------------------------
export GOLIVE_CACHE=$REDIS
cp -R "$src" "$tmp/other"
copy_cache "$tmp/gc-stdtrim" "$tmp/plaincache-trim"
PLAINCACHE=$tmp/plaincache-trim plain reftrim "$src" -trimpath
machine t1 "$tmp/gc-stdtrim"
gbuild t1 "$src" -trimpath
machine t2 "$tmp/gc-stdtrim"
gbuild t2 "$tmp/other" -trimpath
expect_eq "$(compiles t2)" 4 "-trimpath: the module's 4 packages reach the wrapper at another path"
expect_eq "$(ran t2)" "" "-trimpath: a checkout at another path hits everything"
expect_same_file "$tmp/t2.bin" "$tmp/reftrim.bin" "-trimpath: the binary is plain go build -trimpath's"
# Without -trimpath: the two-machine workload (stored by machine a) at another path.
cp -R "$W" "$tmp/wother"
nmain=$(echo "$WMAIN" | wc -w)
machine o1 "$tmp/gc-stdw"
gbuild o1 "$tmp/wother" ${WFLAGS[@]+"${WFLAGS[@]}"}
expect_eq "$(ran o1)" "$WMAIN" "without -trimpath: only the main module's packages miss at another path"
expect_eq "$(rc o1 '["dir_bound"]')" "$nmain" "and the summary counts them as bound to the checkout"
expect_eq "$(rc o1 '["hits"]')" "$((n - nmain))" "the other $((n - nmain)) packages hit"
cp -R "$W" "$tmp/wother2"
copy_cache "$tmp/gc-stdw" "$tmp/m/o1/gc3"
(cd "$tmp/wother2" && GOCACHE=$tmp/m/o1/gc3 "$GOLIVE" build ${WFLAGS[@]+"${WFLAGS[@]}"} -o /dev/null . >"$tmp/o2.txt" 2>&1) ||
	fail "other2: build failed"
grep -q "remote cache: $nmain miss\(es were\| was\) built without -trimpath: .*(go build -trimpath shares them across checkouts)" "$tmp/o2.txt" ||
	fail "no -trimpath advice in the text summary: $(cat "$tmp/o2.txt")"
pass "the text summary says why (go build -trimpath)"
rm -rf "$tmp/m" "$tmp/wother" "$tmp/wother2"

# --- correctness under change -------------------------------------------------------
# variant NAME EXPECTED_RAN [flags] : a fresh machine builds the edited tree;
# exactly EXPECTED_RAN compiles run, the binary equals plain go build's.
variant() {
	local name=$1 want=$2
	shift 2
	plain "ref_$name" "$src" "$@"
	machine "v_$name"
	gbuild "$name" "$src" "$@"
	expect_eq "$(ran "$name")" "$want" "$name: exactly the affected packages compile"
	expect_same_file "$tmp/$name.bin" "$tmp/ref_$name.bin" "$name: the binary is plain go build's"
}
machine base # the unedited tree without -a: the entries the variants start from
gbuild base "$src"
sed -i 's/return 40/return 41/' "$src/leaf/leaf.go"
variant leafedit "example.com/cachedemo example.com/cachedemo/leaf example.com/cachedemo/mid"
variant tag "example.com/cachedemo example.com/cachedemo/leaf example.com/cachedemo/mid" -tags fancy
echo "embedded v2" >"$src/mid/data.txt"
variant embed "example.com/cachedemo example.com/cachedemo/mid" # main imports mid
# go rebuilds runtime/cgo for other cgo flags; main imports cnum; leaf and mid hit
CGO_CFLAGS="-g -O2 -DVAL=7" variant cgoflag "example.com/cachedemo example.com/cachedemo/cnum runtime/cgo"
[ "$(CGO_CFLAGS="-g -O2 -DVAL=7" "$tmp/cgoflag.bin")" != "$("$tmp/embed.bin")" ] || fail "the cgo flag did not change the program"
pass "the cgo flag's binary prints the new value"
copy_cache "$tmp/gc-std386" "$tmp/plaincache-386"
GOARCH=386 CGO_ENABLED=0 PLAINCACHE=$tmp/plaincache-386 plain ref_386 "$src"
machine v_386 "$tmp/gc-std386"
GOARCH=386 CGO_ENABLED=0 gbuild x386 "$src"
[ "$(compiles x386)" -ge 3 ] || fail "GOARCH=386: only $(compiles x386) compiles reached the wrapper"
expect_eq "$(rc x386 '["hits"]')" 0 "GOARCH=386: nothing hits the amd64 entries"
expect_same_file "$tmp/x386.bin" "$tmp/ref_386.bin" "GOARCH=386: the binary is plain go build's"

# --- faults -------------------------------------------------------------------------
plain ref2 "$src"
# -a (the build killed mid-build below) gives plain go build's bytes since std
# lives in the build cache (Go 1.20); older Go links GOROOT/pkg's std without it.
if go_at_least 1.20; then cp "$tmp/ref2.bin" "$tmp/ref2a.bin"; else plain ref2a "$src" -a; fi
# down: a port nobody listens on
export GOLIVE_CACHE=redis://127.0.0.1:$(free_port)/0
machine f1
gbuild f1 "$src"
expect_same_file "$tmp/f1.bin" "$tmp/ref2.bin" "server down: the right binary"
[ "$(rc f1 '["down"]')" != null ] || fail "server down: the summary does not say"
[ "$(rc f1 '["errors"]')" -le 2 ] || fail "server down: $(rc f1 '["errors"]') wrappers tried it (the rest should skip)"
pass "server down: the first failure turns the cache off for the build: $(rc f1 '["down"]')"
# a server that never answers, with a short timeout
start_server hang hang
export GOLIVE_CACHE=redis://127.0.0.1:$hang_port/0
cat >"$src/golive.yaml" <<'EOF'
cache:
  timeout: 300ms
EOF
machine f2
gbuild f2 "$src"
expect_same_file "$tmp/f2.bin" "$tmp/ref2.bin" "a server that never answers: the right binary"
[ "$(rc f2 '["down"]')" != null ] || fail "hang: the summary does not say"
pass "a server that never answers: the cache is off after the first timeout"
rm "$src/golive.yaml"
# killed mid-build
export GOLIVE_CACHE=$REDIS
redis-cli -p "$redis_port" flushall >/dev/null
machine f3
# -a: std compiles through the wrapper too, a build long enough to kill the
# server under it once the first object has arrived.
(cd "$src" && "$GOLIVE" build --json --keep -a -o "$tmp/f3.bin" . >"$tmp/f3.json" 2>"$tmp/f3.err") &
bpid=$!
wait_until "[ \"\$(redis-cli -p $redis_port dbsize 2>/dev/null)\" -ge 1 ] 2>/dev/null || ! kill -0 $bpid 2>/dev/null" 120 ||
	fail "killed mid-build: nothing stored within 120 s"
kill -0 "$bpid" 2>/dev/null || fail "killed mid-build: the build ended before the server was killed"
kill -TERM "$redis_pid"
wait "$bpid" || fail "killed mid-build: the build failed: $(tail -3 "$tmp/f3.err")"
expect_same_file "$tmp/f3.bin" "$tmp/ref2a.bin" "server killed mid-build: the right binary"
# corrupted, truncated objects and HMAC, on a dir:// cache
D=$tmp/dircache
export GOLIVE_CACHE=dir://$D GOLIVE_CACHE_HMAC_KEY=k1
machine d1
gbuild d1 "$src"
expect_eq "$(rc d1 '["stored"]')" "$(compiles d1)" "dir: every compile stored, signed"
# the leaf's and mid's objects: corrupt one, truncate the other
leafobj=$(python3 - "$D" "$tmp/d1.events" <<'EOF'
import json, sys, os
d, ev = sys.argv[1], sys.argv[2]
for l in open(ev):
    e = json.loads(l)
    if e.get("importpath") in ("example.com/cachedemo/leaf", "example.com/cachedemo/mid"):
        k = e["rcache_key"]
        m = json.load(open(os.path.join(d, "ac", k[:2], k)))
        h = [o["sha256"] for o in m["outputs"] if o["role"] == "o"][0]
        print(e["importpath"], os.path.join(d, "cas", h[:2], h))
EOF
)
while read -r ip f; do
	case $ip in
	*/leaf) python3 -c 'import sys; p=sys.argv[1]; b=bytearray(open(p,"rb").read()); b[len(b)//2]^=0xff; open(p,"wb").write(b)' "$f" ;;
	*/mid) truncate -s 100 "$f" ;;
	esac
done <<<"$leafobj"
machine d2
gbuild d2 "$src"
expect_eq "$(ran d2)" "example.com/cachedemo/leaf example.com/cachedemo/mid" "a corrupted and a truncated object: those two compile again"
expect_same_file "$tmp/d2.bin" "$tmp/ref2.bin" "corrupted objects: the right binary"
grep -q '"rcache_note":"object [0-9a-f]*: content hashes to' "$tmp/d2.events" || fail "no note for the corrupted object"
grep -q '"rcache_note":"object [0-9a-f]*: 100 bytes' "$tmp/d2.events" || fail "no note for the truncated object"
pass "each bad object is named in its event"
export GOLIVE_CACHE_HMAC_KEY=wrong GOLIVE_CACHE_MODE=read-only
machine d3
gbuild d3 "$src"
expect_eq "$(rc d3 '["hits"]')" 0 "a wrong HMAC key: nothing hits"
grep -q '"rcache_note":"bad entry: manifest: bad signature' "$tmp/d3.events" || fail "no bad-signature note"
expect_same_file "$tmp/d3.bin" "$tmp/ref2.bin" "a wrong HMAC key: the right binary"
unset GOLIVE_CACHE_HMAC_KEY
machine d4
gbuild d4 "$src"
[ "$(rc d4 '["hits"]')" -ge 4 ] || fail "without a key, signed entries should hit"
expect_eq "$(rc d4 '["stored"]')" 0 "read-only: nothing stored"
pass "a reader without a key takes signed entries"
# unsigned entries for a reader with a key
export GOLIVE_CACHE=dir://$tmp/dircache2 GOLIVE_CACHE_MODE=read-write
machine d5
gbuild d5 "$src"
export GOLIVE_CACHE_HMAC_KEY=k1
machine d6
gbuild d6 "$src"
expect_eq "$(rc d6 '["hits"]')" 0 "a reader with a key refuses unsigned entries"
grep -q '"rcache_note":"bad entry: manifest: not signed' "$tmp/d6.events" || fail "no not-signed note"
unset GOLIVE_CACHE_HMAC_KEY
expect_same_file "$tmp/d6.bin" "$tmp/ref2.bin" "unsigned entries: the right binary"

# --- two builds at once ------------------------------------------------------------
start_server redis2 redis
export GOLIVE_CACHE=redis://127.0.0.1:$redis2_port/0
for c in c1 c2; do
	mkdir -p "$tmp/m/$c"
	copy_cache "$tmp/gc-std" "$tmp/m/$c/gocache"
done
for c in c1 c2; do
	(cd "$src" && GOCACHE=$tmp/m/$c/gocache HOME=$tmp/m/$c "$GOLIVE" build --json -o "$tmp/$c.bin" . >"$tmp/$c.json" 2>"$tmp/$c.err") &
	eval "${c}_pid=$!"
done
wait "$c1_pid" || fail "concurrent build 1 failed: $(tail -3 "$tmp/c1.err")"
wait "$c2_pid" || fail "concurrent build 2 failed: $(tail -3 "$tmp/c2.err")"
expect_same_file "$tmp/c1.bin" "$tmp/ref2.bin" "concurrent build 1: the right binary"
expect_same_file "$tmp/c2.bin" "$tmp/ref2.bin" "concurrent build 2: the right binary"
machine c3
gbuild c3 "$src"
expect_eq "$(compiles c3)" 4 "a third machine: the module's 4 packages reach the wrapper"
expect_eq "$(ran c3)" "" "after two concurrent builds the cache serves everything"
expect_same_file "$tmp/c3.bin" "$tmp/ref2.bin" "and the binary is right"

# --- plain go build -toolexec=golive with GOLIVE_CACHE ---------------------------------
export GOLIVE_CACHE=dir://$tmp/dircache3
machine p1
(cd "$src" && go build -toolexec="$GOLIVE" -o "$tmp/p1.bin" .) || fail "go build -toolexec with GOLIVE_CACHE failed"
expect_same_file "$tmp/p1.bin" "$tmp/ref2.bin" "go build -toolexec=golive with GOLIVE_CACHE: the right binary"
wait_until "[ \$(find '$tmp/dircache3/ac' -type f 2>/dev/null | wc -l) -ge 4 ]" 30 ||
	fail "the uploads of a plain toolexec build did not arrive"
pass "a plain toolexec build fills the cache too"
machine p2
(cd "$src" && go build -toolexec="$GOLIVE" -o "$tmp/p2.bin" .) || fail "second toolexec build failed"
expect_same_file "$tmp/p2.bin" "$tmp/ref2.bin" "and a second one built from it is right"

finish
