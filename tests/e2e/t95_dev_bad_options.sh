#!/usr/bin/env bash
# t95_dev_bad_options: golive dev refuses what cannot work, in one line (exit 2)
# (issue 15, item 13):
#  - --proxy A --to A (a proxy to itself: every connection slot used by one
#    request), also through another name of the same address and a wildcard;
#  - --to HOST:0 (on the command line and as run.to in golive.yaml);
#  - --listen with an empty value, or a name holding a newline (golive.yaml
#    already refused those);
#  - a read-only XDG_CACHE_HOME: "Read-only file system", not "No such file".
. "$(dirname "$0")/lib.sh"

w=$tmp/webapp
copy_webapp "$w"
cd "$w"
mkdir -p "$tmp/out"
export GOCACHE=$tmp/gocache

# refused NAME WANT ARGS...: golive dev ARGS exits 2 at once with one error line matching WANT.
refused() {
	local name=$1 want=$2 rc=0
	shift 2
	timeout 30 "$GOLIVE" dev "$@" </dev/null >"$tmp/out/$name.out" 2>"$tmp/out/$name.err" || rc=$?
	expect_eq "$rc" 2 "$name: exit 2"
	expect_eq "$(grep -c '^golive: error: ' "$tmp/out/$name.err")" 1 "$name: one error line"
	grep -q -- "$want" "$tmp/out/$name.err" || fail "$name: $(cat "$tmp/out/$name.err")"
	pass "$name: says $want"
}
p=$(free_port)
refused self "would forward to itself" --proxy "127.0.0.1:$p" --to "127.0.0.1:$p"
refused self-name "would forward to itself" --proxy "127.0.0.1:$p" --to "localhost:$p"
refused self-wildcard "would forward to itself" --proxy "0.0.0.0:$p" --to "127.0.0.1:$p"
refused to-zero "port 0 is for binding, not connecting" --proxy "127.0.0.1:$p" --to 127.0.0.1:0
refused listen-empty 'got "": no port' --listen ''
refused listen-newline "the name before '=' may hold only" --listen $'a\nb=127.0.0.1:0'
printf 'run:\n  proxy: 127.0.0.1:%s\n  to: 127.0.0.1:0\n' "$p" >golive.yaml
rc=0
timeout 30 "$GOLIVE" dev </dev/null >"$tmp/out/yaml.out" 2>"$tmp/out/yaml.err" || rc=$?
expect_eq "$rc" 2 "run.to with port 0 in golive.yaml: exit 2"
grep -q "golive.yaml:3:.*port 0 is for binding, not connecting" "$tmp/out/yaml.err" || fail "run.to: $(cat "$tmp/out/yaml.err")"
pass "run.to with port 0: named with its line"
rm golive.yaml

# A read-only cache directory: the real reason.
mkdir -p "$tmp/ro"
if mount -t tmpfs -o ro tmpfs "$tmp/ro" 2>/dev/null; then
	rc=0
	XDG_CACHE_HOME=$tmp/ro timeout 30 "$GOLIVE" dev </dev/null >"$tmp/out/ro.out" 2>"$tmp/out/ro.err" || rc=$?
	umount "$tmp/ro" || true
	[ "$rc" -ne 0 ] || fail "golive dev ran with a read-only cache directory"
	grep -q "cannot create $tmp/ro/golive/dev/.*: Read-only file system" "$tmp/out/ro.err" || fail "read-only: $(cat "$tmp/out/ro.err")"
	pass "a read-only XDG_CACHE_HOME: 'Read-only file system'"
else
	# Not root (no mount): a directory without write permission says so instead.
	chmod 0555 "$tmp/ro"
	rc=0
	XDG_CACHE_HOME=$tmp/ro timeout 30 "$GOLIVE" dev </dev/null >"$tmp/out/ro.out" 2>"$tmp/out/ro.err" || rc=$?
	chmod 0755 "$tmp/ro"
	[ "$rc" -ne 0 ] || fail "golive dev ran with an unwritable cache directory"
	grep -q "cannot create $tmp/ro/golive/dev/.*: Permission denied" "$tmp/out/ro.err" || fail "unwritable: $(cat "$tmp/out/ro.err")"
	pass "an unwritable XDG_CACHE_HOME: 'Permission denied'"
fi

finish
