#!/usr/bin/env bash
# t67_cache_hostile: a shared cache that misbehaves on purpose never hangs a
# build nor eats memory (issue 15, items 1 and 2). A fake Redis written here
# (python3 on 127.0.0.1) answers every command with
#   bulk:    "$2000000000" and then bytes, as fast as they are read;
#   array:   "*2000000000" and then ":1" elements forever;
#   trickle: "$1000" and then one byte every 200 ms (no single read ever
#            times out: only a deadline on the whole request stops it);
# and a fake HTTP cache answers GET with a 2 GB Content-Length, then bytes.
# Against each, `golive build` of a small module (three packages over a warm
# std cache) finishes well within 60 s, every wrapper's peak RSS
# (self_maxrss_kb) stays under 200 MB, the output says once that the cache
# is off (and nothing else about it), and the binary is plain go build's.
# Plain `go build -toolexec=golive` with GOLIVE_CACHE does the same, and
# turns the cache off for the rest of its build too (a marker in go's $WORK).
# A dir:// cache with a FIFO where a manifest (ac/) or an object (cas/)
# should be: the build finishes, with one line naming the file.
. "$(dirname "$0")/lib.sh"

unset GOLIVE_CACHE GOLIVE_CACHE_MODE GOLIVE_CACHE_HMAC_KEY CI GITHUB_ACTIONS || true
export GOLIVE_PROFILE=ci
LIMIT=60         # seconds: a regression fails here instead of hanging the suite
RSS_MAX=204800   # kB: the bound on every wrapper's peak RSS

# --- the module: main -> b -> a, main -> c; std only --------------------------------
m=$tmp/mod
new_module "$m" example.com/h
mkdir -p "$m/a" "$m/b" "$m/c"
cat >"$m/a/a.go" <<'EOF'
package a

import "strings"

func A(s string) string { return strings.ToUpper(s) }
EOF
cat >"$m/b/b.go" <<'EOF'
package b

import "example.com/h/a"

func B() string { return a.A("b") }
EOF
cat >"$m/c/c.go" <<'EOF'
package c

import "strconv"

func C(n int) string { return strconv.Itoa(n) }
EOF
cat >"$m/main.go" <<'EOF'
package main

import (
	"fmt"

	"example.com/h/b"
	"example.com/h/c"
)

func main() { fmt.Println(b.B(), c.C(3)) }
EOF

# std warm, the module cold: each build below starts from a copy of this.
warm=$tmp/warm
(cd "$m" && GOCACHE=$warm go build fmt strings strconv) || fail "warming the std cache failed"
# fresh NAME: a copy of the warm cache as GOCACHE (the module's packages compile).
fresh() {
	rm -rf "$tmp/gc-$1"
	cp -R "$warm" "$tmp/gc-$1"
	export GOCACHE=$tmp/gc-$1
}
fresh ref
(cd "$m" && go build -o "$tmp/ref.bin" .) || fail "plain go build failed"

# --- the fake servers ----------------------------------------------------------------
cat >"$tmp/fake.py" <<'EOF'
import socket, sys, threading, time
mode, port, log = sys.argv[1], int(sys.argv[2]), sys.argv[3]
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", port))
s.listen(128)
lock = threading.Lock()
def serve(c):
    try:
        c.settimeout(60)
        if not c.recv(65536):
            return
        with lock, open(log, "a") as f:
            f.write("request\n")
        if mode == "bulk":
            c.sendall(b"$2000000000\r\n")
            chunk = b"x" * 65536
            while True:
                c.sendall(chunk)
        elif mode == "array":
            c.sendall(b"*2000000000\r\n")
            chunk = b":1\r\n" * 16384
            while True:
                c.sendall(chunk)
        elif mode == "trickle":
            c.sendall(b"$1000\r\n")
            while True:
                c.sendall(b"x")
                time.sleep(0.2)
        elif mode == "http":
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2000000000\r\n\r\n")
            chunk = b"x" * 65536
            while True:
                c.sendall(chunk)
    except OSError:
        pass
    finally:
        c.close()
print("ready", flush=True)
while True:
    c, _ = s.accept()
    threading.Thread(target=serve, args=(c,), daemon=True).start()
EOF
# fake MODE: starts the fake server; sets port and reqlog (one line per request).
fake() {
	port=$(free_port)
	reqlog=$tmp/requests-$1
	: >"$reqlog"
	setsid python3 "$tmp/fake.py" "$1" "$port" "$reqlog" >"$tmp/fake-$1.out" 2>&1 &
	track_pid $!
	disown $!
	wait_until "grep -q ready '$tmp/fake-$1.out'" 20 || fail "the fake $1 server did not start"
}

# --- checks ----------------------------------------------------------------------------
# hostile_build NAME URL WANT [nohit]: golive build (text summary) against the cache
# at URL, which turns off with WANT in the cause; with nohit, no compile hits.
hostile_build() {
	local name=$1 url=$2 want=$3 nohit=${4:-} rc=0 t0 took
	fresh "$name"
	mkdir -p "$tmp/s-$name"
	t0=$(date +%s%N)
	(cd "$m" && GOLIVE_CACHE=$url timeout "$LIMIT" "$GOLIVE" build --keep --session-dir "$tmp/s-$name" \
		-o "$tmp/$name.bin" .) >"$tmp/$name.txt" 2>&1 || rc=$?
	took=$((($(date +%s%N) - t0) / 1000000))
	[ "$rc" != 124 ] || fail "$name: golive build still ran after ${LIMIT}s"
	expect_eq "$rc" 0 "$name: golive build succeeds ($took ms)"
	expect_same_file "$tmp/$name.bin" "$tmp/ref.bin" "$name: the binary is plain go build's"
	local off
	off=$(grep -c "remote cache: off for the rest of the build after: .*$want" "$tmp/$name.txt" || true)
	[ "$off" = 1 ] || fail "$name: want one 'remote cache: off ... $want' line, got: $(cat "$tmp/$name.txt")"
	pass "$name: one line says the cache is off: $(grep 'remote cache: off' "$tmp/$name.txt")"
	# The other line about the cache is the counts (golive build's summary); no warning, no upload.
	expect_eq "$(grep -c -F "$want" "$tmp/$name.txt" || true)" 1 "$name: the cause is printed once"
	expect_eq "$(grep -c -i -E 'remote cache|warning|upload' "$tmp/$name.txt" || true)" 2 \
		"$name: nothing else about the cache is printed"
	local ev
	ev=$(ls "$tmp/s-$name"/*/events.jsonl)
	local n rss
	n=$(count_events "$ev" 'e["tool"] == "compile" and not e.get("probe")')
	[ "$n" -ge 3 ] || fail "$name: only $n compiles ran through the wrapper"
	rss=$(python3 -c '
import json, sys
print(max(json.loads(l)["self_maxrss_kb"] for l in open(sys.argv[1])))' "$ev")
	[ "$rss" -lt "$RSS_MAX" ] || fail "$name: a wrapper's peak RSS was $rss kB"
	pass "$name: the wrappers' peak RSS is $rss kB (< $RSS_MAX)"
	if [ -n "$nohit" ]; then
		expect_eq "$(count_events "$ev" 'e.get("rcache") == "hit"')" 0 "$name: no hit from a hostile server"
	fi
}

for mode in bulk array trickle; do
	fake "$mode"
	case $mode in
	bulk) want="reply too large: a 2000000000-byte string" ;;
	array) want="reply too large: an array of 2000000000 elements" ;;
	trickle) want="no answer within the 2000 ms timeout" ;;
	esac
	hostile_build "redis-$mode" "redis://127.0.0.1:$port" "$want" nohit
	# After the first failure the build's wrappers skip the cache (two run at once at most).
	r=$(count_lines "$reqlog")
	[ "$r" -le 2 ] || fail "redis-$mode: the server got $r requests (the cache should be off after the first failure)"
	pass "redis-$mode: $r request(s) reached the server"
done

fake http
hostile_build http-bulk "http://127.0.0.1:$port/c/" "larger than max_object" nohit

# Plain go build -toolexec=golive (no session): bounded, right, and off after the first
# failure for the rest of that build.
fake trickle
fresh plain
t0=$(date +%s%N)
rc=0
(cd "$m" && GOLIVE_CACHE=redis://127.0.0.1:$port timeout "$LIMIT" go build -p 1 -toolexec="$GOLIVE" -o "$tmp/plain.bin" .) \
	>"$tmp/plain.txt" 2>&1 || rc=$?
[ "$rc" != 124 ] || fail "go build -toolexec: still running after ${LIMIT}s"
expect_eq "$rc" 0 "go build -toolexec against a trickling cache succeeds ($((($(date +%s%N) - t0) / 1000000)) ms)"
expect_eq "$(cat "$tmp/plain.txt")" "" "go build -toolexec: the wrapper prints nothing"
expect_same_file "$tmp/plain.bin" "$tmp/ref.bin" "go build -toolexec: the binary is plain go build's"
# -p 1: one compile at a time, so exactly one asks before the cache is off.
expect_eq "$(count_lines "$reqlog")" 1 "go build -toolexec: one request for 4 compiles: the rest of the build skipped the cache"

# --- a FIFO in a dir:// cache ----------------------------------------------------------
D=$tmp/dircache
fresh fill
mkdir -p "$tmp/s-fill"
(cd "$m" && GOLIVE_CACHE=dir://$D "$GOLIVE" build --json --keep --session-dir "$tmp/s-fill" -o "$tmp/fill.bin" .) \
	>"$tmp/fill.json" 2>"$tmp/fill.err" || fail "filling the dir cache failed: $(cat "$tmp/fill.err")"
expect_eq "$(json_get "$tmp/fill.json" 'd["remote_cache"]["stored"]')" 4 "dir: the four compiles are stored"
# entry NS IMPORTPATH: the file of that package's manifest (ac) or object (cas).
entry() {
	python3 - "$D" "$(ls "$tmp/s-fill"/*/events.jsonl)" "$1" "$2" <<'EOF'
import json, os, sys
d, ev, ns, ip = sys.argv[1:]
for l in open(ev):
    e = json.loads(l)
    if e.get("importpath") == ip and e.get("rcache_key"):
        k = e["rcache_key"]
        ac = os.path.join(d, "ac", k[:2], k)
        if ns == "ac":
            print(ac)
        else:
            h = [o["sha256"] for o in json.load(open(ac))["outputs"] if o["role"] == "o"][0]
            print(os.path.join(d, "cas", h[:2], h))
EOF
}
for ns in ac cas; do
	f=$(entry "$ns" example.com/h/a)
	[ -f "$f" ] || fail "dir: no $ns file for example.com/h/a ($f)"
	cp "$f" "$tmp/saved"
	rm "$f"
	mkfifo "$f"
	hostile_build "dir-fifo-$ns" "dir://$D" "$ns/${f##*/$ns/}: not a regular file"
	rm "$f"
	mv "$tmp/saved" "$f"
done

finish
