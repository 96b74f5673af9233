#!/usr/bin/env bash
# t99_dev_browser: golive dev --browser (run.browser in golive.yaml) with
# --listen on tests/e2e/testdata/dev/browserapp, driven in Debian's headless
# chromium by tests/browser/t99.mjs (puppeteer-core, pinned in
# tests/browser/package-lock.json, installed by scripts/bootstrap): one save
# reloads every tab once, within 100 ms of readiness (a page with a strict
# nonce-based <meta> CSP too, without a CSP violation); a syntax error shows
# the overlay with file:line and an editor link; the fix reloads; a CSS edit
# (watch.include restart: false) swaps the stylesheet and keeps the JS state;
# an analyzer finding of a good build shows in the overlay, a clean build
# clears it; a finding in a package a later build does not compile (store)
# stays;
# chunked and gzipped pages render; the JSON API is byte-identical; the app's
# WebSocket works; no console errors. Then curl-level checks: HTTP/2 with
# prior knowledge (h2c: the app is Go >= 1.24's http.Server with
# SetUnencryptedHTTP2) passes through untouched, an Upgrade: h2c request the
# app declines gets its HTTP/1.1 answer; a page the app sends brotli-compressed
# (made here by Debian's brotli) reaches curl --compressed decoded, with the
# reload script once and the rest byte for byte; bad input: malformed requests, raw
# bytes, a slowloris client beside a normal one, a 1 GiB upload with
# golive's peak RSS bounded.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

[ -x /usr/bin/chromium ] || fail "chromium missing: run scripts/bootstrap"
[ -d "$GOLIVE_SRC/tests/browser/node_modules/puppeteer-core" ] ||
	fail "puppeteer-core missing: run scripts/bootstrap (npm ci in tests/browser)"

d=$tmp/app
dev_copy browserapp "$d"
# the page /br serves: ~300 KB of HTML that brotli cannot squeeze much (random
# hex), compressed by Debian's brotli (scripts/bootstrap), so it comes in many reads
command -v brotli >/dev/null || fail "brotli missing: run scripts/bootstrap"
curl -V | grep -qi brotli || fail "this curl has no brotli: --compressed cannot check br"
python3 - "$d/brpage.html" <<'PY'
import os, sys
rows = "".join("<p class=row id=r%d>%s</p>\n" % (i, os.urandom(48).hex()) for i in range(3000))
open(sys.argv[1], "w").write("<!doctype html>\n<html><head><title>br</title></head>\n"
                             "<body><h1 id=br>brotli</h1>\n" + rows + "</body></html>\n")
PY
brotli -q 9 -o "$d/brpage.html.br" "$d/brpage.html" || fail "brotli failed"
# std (net/http and its ~180 packages) comes precompiled: dev_lib.sh seeds
# $GOCACHE from CTest's e2e/setup_gostd fixture (tests/e2e/gostd.sh, which
# lists browserapp's std too); golive compiles the app's own package
dev_start br "$d" --listen 127.0.0.1:0
dev_wait br 'len(LS) >= 1' 60 "the listen line"
expect_eq "$(dev_q br 'LS[0].get("browser")')" true "run.browser: true in golive.yaml turns the browser proxy on"
url=http://$(dev_q br 'LS[0]["addr"]')
dev_wait br 'len(C) >= 1 and C[0].get("pid")' 120 "the first cycle"

brc=0
URL=$url APP=$d CHROMIUM=/usr/bin/chromium HOME=$tmp \
	node "$GOLIVE_SRC/tests/browser/t99.mjs" >"$tmp/browser.out" 2>&1 || brc=$?
sed 's/^/    /' "$tmp/browser.out"
[ "$brc" = 0 ] || fail "the browser checks failed$(dev_report br)"
pass "the browser checks ($(grep -c '^ok - ' "$tmp/browser.out") of them)"
expect_eq "$(dev_q br '[c["build"] for c in C]')" '["ok", "ok", "failed", "ok", "ok", "ok", "ok", "ok", "ok", "ok"]' \
	"ten cycles: start, v2, the syntax error, the fix, two findings, their removal, store's finding, main alone, store's fix; the CSS edit built nothing"
expect_eq "$(dev_q br '[c["path"] for c in C[4:]]')" '["fast", "full", "full", "fast", "fast", "fast"]' \
	"the findings came from the fast path's analysis, then from a full build's wrapper; store's and main's edits took the fast path"
grep -q 'style.css changed → stylesheets swapped' "$tmp/br.err" || fail "no status line for the CSS swap$(dev_report br)"

# HTTP/2 with prior knowledge (its preface opens the connection, as gRPC
# clients do): from there on the proxy forwards bytes both ways untouched (it
# answered the preface with 400 before); a navigation over it is not injected
api='{"version":"v3","html":"<body></body>","n":[1,2,3]}'
h2=$(curl -s --http2-prior-knowledge --max-time 10 -w '|%{http_version}' "$url/api") ||
	fail "curl --http2-prior-knowledge failed ($?)$(dev_report br)"
expect_eq "$h2" "$api|2" "HTTP/2 with prior knowledge through the proxy (curl --http2-prior-knowledge)"
h2page=$(curl -s --http2-prior-knowledge --max-time 10 -H 'Accept: text/html' "$url/")
case $h2page in *'<h1 id="msg">v3</h1>'*) ;; *) fail "the page over HTTP/2: [$h2page]" ;; esac
case $h2page in *__golive*) fail "a page over HTTP/2 was changed: [$h2page]" ;; esac
pass "a navigation over HTTP/2 gets the program's page untouched"
# Upgrade: h2c (curl --http2): Go's server does not switch; its HTTP/1.1 answer comes whole
up=$(curl -s --http2 --max-time 10 -w '|%{http_version}' "$url/api")
expect_eq "$up" "$api|1.1" "an Upgrade: h2c request the program declines: its HTTP/1.1 answer"

# br end to end: a navigation (Accept: text/html) gets the page decoded (no
# Content-Encoding), the reload script inserted once before </body>, and with
# that tag taken out, the page byte for byte; a request that is not a
# navigation gets the br bytes as the program sent them
curl -s --compressed -H 'Accept: text/html' -D "$tmp/br.head" -o "$tmp/br.got" "$url/br" ||
	fail "curl /br failed$(dev_report br)"
! grep -qi '^content-encoding' "$tmp/br.head" || fail "the decoded page still says $(grep -i '^content-encoding' "$tmp/br.head")"
python3 - "$d/brpage.html" "$tmp/br.got" <<'PY' || fail "the br page through the proxy"
import re, sys
want, got = open(sys.argv[1], "rb").read(), open(sys.argv[2], "rb").read()
tags = re.findall(rb'<script async src="/__golive/reload\.js\?v=\d+"></script>', got)
assert len(tags) == 1, "%d reload scripts" % len(tags)
assert tags[0] + b"</body>" in got, "the script is not right before </body>"
assert got.replace(tags[0], b"", 1) == want, "the page differs from the original (%d vs %d bytes)" % (len(got), len(want))
PY
pass "a brotli page ($(stat -c %s "$d/brpage.html.br") bytes for $(stat -c %s "$d/brpage.html")): decoded, the script in once, the rest byte for byte"
curl -s -D "$tmp/brraw.head" -o "$tmp/brraw.got" "$url/br"
grep -qi '^content-encoding: br' "$tmp/brraw.head" || fail "not a navigation: $(cat "$tmp/brraw.head")"
cmp -s "$tmp/brraw.got" "$d/brpage.html.br" || fail "not a navigation: the br bytes changed"
pass "not a navigation: the br bytes as the program sent them"

# bad input: answered or closed, and the proxy keeps serving
hostport=${url#http://}
host=${hostport%:*} port=${hostport##*:}
bad=$(printf 'GARBAGE\x00\xff\r\n\r\n' | timeout 5 python3 -c '
import socket, sys
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
s.sendall(sys.stdin.buffer.read())
print(s.recv(100).split(b"\r\n")[0].decode())' "$host" "$port")
expect_eq "$bad" "HTTP/1.1 400 Bad Request" "raw bytes: 400, then closed"
# a slowloris client (one header byte a second) does not hold up another
python3 - "$host" "$port" >"$tmp/slow.out" 2>&1 <<'PY' &
import socket, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
for b in b"GET / HTTP/1.1\r\nHost: slow\r\n":
    s.send(bytes([b])); time.sleep(0.1)
PY
slow=$!
t0=$(date +%s%N)
body=$(curl -s --max-time 5 "$url/api")
t1=$(date +%s%N)
expect_eq "$body" "$api" "a normal request beside a slowloris client"
[ $(((t1 - t0) / 1000000)) -lt 1000 ] || fail "it took $(((t1 - t0) / 1000000)) ms"
kill "$slow" 2>/dev/null || true
wait "$slow" 2>/dev/null || true
# a 20 MB upload streams through (the app does not read it: 200 anyway)
code=$(head -c 20000000 /dev/zero | curl -s -o /dev/null -w '%{http_code}' --max-time 30 \
	-X PUT --data-binary @- "$url/api")
expect_eq "$code" 200 "a 20 MB upload through the proxy"
# 1 GiB (generated as it is sent, Content-Length framed) through the proxy to a
# program that reads it all, with golive's memory bounded: its peak RSS
# (VmHWM) grows by less than 16 MiB over the whole upload and stays under
# 64 MiB (ASan build included: ~2.3 s and +0.5 MiB at load 9).
UPLOAD_BYTES=${UPLOAD_BYTES:-1073741824}
gpid=$(dev_pid br)
hwm0=$(awk '/^VmHWM/{print $2}' "/proc/$gpid/status")
t0=$(date +%s%N)
got=$(timeout 600 python3 - "$host" "$port" "$UPLOAD_BYTES" <<'PY'
import socket, sys
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.create_connection((host, port))
s.sendall(b"PUT /upload HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n"
          b"Content-Length: %d\r\nConnection: close\r\n\r\n" % n)
chunk = bytes(1 << 20)
left = n
while left:
    k = min(left, len(chunk))
    s.sendall(chunk[:k] if k < len(chunk) else chunk)
    left -= k
ans = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    ans += d
print(ans.split(b"\r\n\r\n", 1)[-1].decode())
PY
) || fail "the 1 GiB upload failed$(dev_report br)"
t1=$(date +%s%N)
hwm1=$(awk '/^VmHWM/{print $2}' "/proc/$gpid/status")
echo "# figure: $UPLOAD_BYTES bytes uploaded through --browser in $(((t1 - t0) / 1000000)) ms; golive VmHWM ${hwm0} kB before, ${hwm1} kB after"
expect_eq "$got" "$UPLOAD_BYTES" "a $UPLOAD_BYTES-byte upload streams through the proxy, all of it read by the program"
[ $((hwm1 - hwm0)) -lt 16384 ] || fail "golive's peak RSS grew by $((hwm1 - hwm0)) kB during the upload (want < 16 MiB)"
[ "$hwm1" -lt 65536 ] || fail "golive's peak RSS is ${hwm1} kB (want < 64 MiB)"
pass "golive's peak RSS during the upload: +$((hwm1 - hwm0)) kB (${hwm1} kB in all)"

dev_stop br INT
expect_eq "$DEV_RC" 0 "SIGINT: golive dev exits 0"
wait_until nothing_left 5 || fail "processes left: $(leftovers_ps)"
finish
