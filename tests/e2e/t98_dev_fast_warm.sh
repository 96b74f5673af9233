#!/usr/bin/env bash
# t98_dev_fast_warm: the fast path with a warm GOCACHE (docs/dev.md, "The fast
# path"). Every package of the module is in go's cache before golive dev
# starts, so the first build compiles none of them; the warm-up
# (src/dev/fastwarm.h) records them anyway, and the first edit of a package
# takes the fast path. A fast cycle analyses the packages it compiled once
# the program serves and prints the findings as a full build does; with
# analyzers.fail_on, findings that reach it refuse the fast build (the old
# program keeps running), also when the next edit is elsewhere.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

app=$tmp/app
tok=$(date +%s%N)
mkdir -p "$app/h"
printf 'module example.com/w\n\ngo 1.21\n' >"$app/go.mod"
cat >"$app/main.go" <<GO
package main

import (
	"fmt"
	"net/http"

	"example.com/w/h"
)

func main() {
	http.HandleFunc("/", h.Handler)
	fmt.Println("up $tok")
	select {}
}
GO
cat >"$app/h/h.go" <<GO
package h

import (
	"context"
	"net/http"
)

var _ = context.TODO

func Handler(w http.ResponseWriter, r *http.Request) {
	w.Write([]byte("v0 $tok"))
}
GO
# go's cache holds every package, the module's too: the first dev build compiles nothing
(cd "$app" && go build -o "$tmp/plain" .) || fail "go build"

edit_h() { # edit_h BODY: the handler's body becomes BODY
	python3 - "$app/h/h.go" "$1" <<'PY'
import re, sys
p, body = sys.argv[1:3]
s = open(p).read()
s = re.sub(r"(func Handler\(w http.ResponseWriter, r \*http.Request\) \{\n).*?(\n\})", lambda m: m.group(1) + "\t" + body + m.group(2), s, flags=re.S)
open(p + ".tmp~", "w").write(s)
PY
	mv "$app/h/h.go.tmp~" "$app/h/h.go"
}

dev_start w "$app"
dev_wait w "len([c for c in C if c.get('pid')]) >= 1 and [l for l in L if l.get('type') == 'warmup']" 300 "the first build and the warm-up"
check "the warm-up recorded the cached packages$(dev_report w)" \
	[ "$(dev_q w "[l for l in L if l.get('type') == 'warmup'][0]['recorded'] >= 1")" = true ]
pass "the warm-up ran after the first build"

edit_h '_ = context.Background(); w.Write([]byte("v1"))'
dev_wait w "len([c for c in C if c.get('build') in ('ok', 'failed')]) >= 2" 120 "the edit's cycle"
check "the first edit of a cached package takes the fast path$(dev_report w)" \
	[ "$(dev_q w "C[-1]['path'] + ' ' + C[-1]['build']")" = "fast ok" ]
dev_settle w 1 30
grep -q '^# example.com/w/h$' "$tmp/w.err" || fail "the fast cycle printed no findings header$(dev_report w)"
grep -q '^h/h.go:[0-9]*:[0-9]*: \[httpctx\] .*context.Background()' "$tmp/w.err" ||
	fail "the fast cycle printed no httpctx finding$(dev_report w)"
pass "a fast cycle prints its findings, after the program serves"
dev_stop w INT
expect_eq "$DEV_RC" 0 "golive dev exits 0"

# fail_on: a fast build with a finding that reaches it is not swapped in.
printf 'analyzers:\n  fail_on: warning\n' >"$app/golive.yaml"
edit_h 'w.Write([]byte("v2"))'
dev_start f "$app"
dev_wait f "len([c for c in C if c.get('pid')]) >= 1 and [l for l in L if l.get('type') == 'warmup']" 300 "the first build and the warm-up"
pid0=$(dev_q f "C[-1]['pid']")
edit_h '_ = context.Background(); w.Write([]byte("v3"))'
dev_wait f "len([c for c in C if c.get('build') in ('ok', 'failed')]) >= 2" 120 "the edit's cycle"
check "the failing fast build is refused$(dev_report f)" \
	[ "$(dev_q f "C[-1]['path'] + ' ' + C[-1]['build']")" = "fast failed" ]
grep -q 'findings reach analyzers.fail_on (warning)' "$tmp/f.err" || fail "no fail_on line$(dev_report f)"
check "the old program keeps running" kill -0 "$pid0"
# an edit elsewhere does not sneak the refused package in
sed -i "s/up $tok/up again $tok/" "$app/main.go"
dev_wait f "len([c for c in C if c.get('build') in ('ok', 'failed')]) >= 3" 120 "the next edit's cycle"
check "the next build still refuses it$(dev_report f)" [ "$(dev_q f "C[-1]['build']")" = failed ]
edit_h 'w.Write([]byte("v4"))'
dev_wait f "len([c for c in C if c.get('build') in ('ok', 'failed')]) >= 4" 120 "the fix's cycle"
check "the fix is served by the fast path$(dev_report f)" \
	[ "$(dev_q f "C[-1]['path'] + ' ' + C[-1]['build']")" = "fast ok" ]
pass "fail_on refuses a fast build with findings"
dev_stop f INT
expect_eq "$DEV_RC" 0 "golive dev exits 0"
finish
