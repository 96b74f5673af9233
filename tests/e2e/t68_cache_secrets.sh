#!/usr/bin/env bash
# t68_cache_secrets: cache credentials never land in a file (issue 15, item 14).
#  - golive build --keep with GOLIVE_CACHE=redis://golive:SECRET@... against a
#    real redis-server with that ACL user: the wrappers authenticate (every
#    compile stored, then a second machine hits), and no file of the kept
#    session (cache.json included, which CI jobs upload) holds the password;
#  - the same with an HTTP cache behind Basic auth (nginx).
. "$(dirname "$0")/lib.sh"

secret="s3cr3t-$(date +%s%N)"
start_server redis redis "golive:$secret"
start_server web nginx "golive:$secret"

m=$tmp/mod
new_module "$m" example.com/secrets
printf 'package main\n\nimport "strings"\n\nfunc main() { println(strings.ToUpper("x")) }\n' >"$m/main.go"
cd "$m"
# One std-only cache, copied for each machine: the module's package is what they compile.
export GOCACHE=$tmp/gc-warm
go build strings || fail "warming std failed"

# build NAME URL: golive build --json --keep on a fresh copy of the warm cache.
build() {
	rm -rf "$tmp/gc-$1"
	cp -a "$tmp/gc-warm" "$tmp/gc-$1"
	GOCACHE=$tmp/gc-$1 GOLIVE_CACHE=$2 "$GOLIVE" build --json --keep -o "$tmp/$1.bin" . >"$tmp/$1.json" 2>"$tmp/$1.err" ||
		fail "$1: golive build failed: $(cat "$tmp/$1.err")"
}
for kind in redis web; do
	if [ $kind = redis ]; then
		url="redis://golive:$secret@127.0.0.1:$redis_port/0"
	else
		url="http://golive:$secret@127.0.0.1:$web_port/golive/"
	fi
	build ${kind}1 "$url"
	expect_eq "$(json_get "$tmp/${kind}1.json" "d['remote_cache']['stored']")" 1 "$kind: the wrapper authenticated and stored the compile"
	build ${kind}2 "$url"
	expect_eq "$(json_get "$tmp/${kind}2.json" "d['remote_cache']['hits']")" 1 "$kind: a second machine hits it"
	for n in 1 2; do
		sess=$(json_get "$tmp/$kind$n.json" 'd["session"]')
		[ -f "$sess/cache.json" ] || fail "$kind$n: no cache.json in the kept session"
		if grep -rl -- "$secret" "$sess" >"$tmp/leaks"; then
			fail "$kind$n: the password is in $(cat "$tmp/leaks")"
		fi
		grep -q "127.0.0.1" "$sess/cache.json" || fail "$kind$n: cache.json lost the backend: $(cat "$sess/cache.json")"
		rm -rf "$sess"
	done
	pass "$kind: no file of the kept sessions holds the password"
	! grep -q -- "$secret" "$tmp/${kind}1.err" "$tmp/${kind}1.json" || fail "$kind: the password was printed"
	pass "$kind: nor golive build's output"
done

finish
