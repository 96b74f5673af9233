#!/usr/bin/env bash
# t92_dev_docs: the two Go programs of docs/dev.md, copied out of the document
# as a reader would, run under golive dev as the document says: the --listen
# one (net.FileListener on fd 3) and the --proxy one (its own port, --to).
# A client polling every 2 ms on fresh connections sees three edits served
# and no failed request. Also: --json's "listen"/"proxy" lines give the ports
# when asked for port 0.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

dev_build_poller

# The N-th ```go block of docs/dev.md into DIR/main.go, with a go.mod.
doc_example() {
	mkdir -p "$2"
	python3 - "$GOLIVE_SRC/docs/dev.md" "$1" >"$2/main.go" <<'EOF'
import re, sys
blocks = re.findall(r"```go\n(.*?)```", open(sys.argv[1]).read(), re.S)
sys.stdout.write(blocks[int(sys.argv[2])])
EOF
	[ -s "$2/main.go" ] || fail "docs/dev.md has no Go example number $1"
	printf 'module example.com/docexample\n\ngo 1.19\n' >"$2/go.mod"
}

# edits NAME DIR URL: three edits of the greeting, each served, while a
# poller polls URL; no request may fail.
edits() {
	local name=$1 dir=$2 url=$3 v ppid
	# The poller ends by itself once it has seen the last version (-until): stopping it
	# from here as soon as wait_body saw it could beat its own next request.
	"$POLLER" -interval 2ms -duration 170s -until hello4 -started "$tmp/$name.started" \
		"$url/" >"$tmp/$name.poll" 2>"$tmp/$name.poll.err" &
	ppid=$!
	track_pid "$ppid"
	wait_until "[ -e '$tmp/$name.started' ]" 20 || fail "$name: the poller got no answer"
	for v in 2 3 4; do
		python3 - "$dir/main.go" "$v" <<'EOF'
import re, sys
p, v = sys.argv[1:]
s = re.sub(r'"hello[0-9]*"', '"hello%s"' % v, open(p).read())
open(p, "w").write(s)
EOF
		wait_body "$url/" "hello$v" 90 || fail "$name: hello$v not served$(dev_report "$name")"
	done
	wait "$ppid" || fail "$name: the poller failed"
	expect_eq "$(json_get "$tmp/$name.poll" 'd["failed"]')" 0 \
		"$name: no failed request over 3 restarts ($(json_get "$tmp/$name.poll" 'd["ok"]') ok; first error: $(json_get "$tmp/$name.poll" 'd["first_error"]'))"
	# With --listen old and new share the socket for a moment (the new one starts
	# first): answers may alternate between two neighbouring versions then.
	expect_eq "$(json_get "$tmp/$name.poll" '[b.strip() for b in d["bodies"]][-1] == "hello4" and sorted(set(b.strip() for b in d["bodies"]), key=[b.strip() for b in d["bodies"]].index) == ["hello", "hello2", "hello3", "hello4"] and all(abs(len(a.strip()) - len(b.strip())) <= 1 and abs(int(a.strip()[5:] or 1) - int(b.strip()[5:] or 1)) == 1 for a, b in zip(d["bodies"], d["bodies"][1:]))')" true \
		"$name: every version served, in order (neighbours alternating at most: $(json_get "$tmp/$name.poll" 'd["bodies"]'))"
}

# --- the --listen example ---------------------------------------------------------------
d=$tmp/listen
doc_example 0 "$d"
grep -q 'net.FileListener(os.NewFile(3' "$d/main.go" || fail "example 0 is not the --listen one"
dev_start lis "$d" --listen 127.0.0.1:0
dev_wait lis 'any(e["type"] == "listen" for e in L)' 30 "the listen line"
addr=$(dev_q lis '[e for e in L if e["type"] == "listen"][0]["addr"]')
[[ $addr =~ ^127\.0\.0\.1:[0-9]+$ ]] || fail "listen line addr: $addr"
expect_eq "$(dev_q lis '[e for e in L if e["type"] == "listen"][0]["fd"]')" 3 "the socket is fd 3"
dev_wait lis 'len(C) >= 1' 120 "the first cycle"
wait_body "http://$addr/" hello 30 || fail "lis: not served$(dev_report lis)"
pass "the --listen example serves on the port golive bound (port 0 -> $addr)"
edits lis "$d" "http://$addr"
dev_stop lis INT
expect_eq "$DEV_RC" 0 "golive dev exits 0 on SIGINT"
expect_eq "$(dev_q lis '[S[-1]["pid"], S[-1]["killed"]] == [C[-1]["pid"], False]')" true \
	"the last program's stop on exit has its stop line"

# --- the --proxy example ----------------------------------------------------------------
d=$tmp/proxy
doc_example 1 "$d"
grep -q '127.0.0.1:18080' "$d/main.go" || fail "example 1 is not the --proxy one"
port=$(free_port)
sed -i "s/127.0.0.1:18080/127.0.0.1:$port/" "$d/main.go"
dev_start prx "$d" --proxy 127.0.0.1:0 --to "127.0.0.1:$port"
dev_wait prx 'any(e["type"] == "proxy" for e in L)' 30 "the proxy line"
addr=$(dev_q prx '[e for e in L if e["type"] == "proxy"][0]["addr"]')
expect_eq "$(dev_q prx '[e for e in L if e["type"] == "proxy"][0]["to"]')" "127.0.0.1:$port" "proxy line names --to"
dev_wait prx 'len(C) >= 1' 120 "the first cycle"
wait_body "http://$addr/" hello 30 || fail "prx: not served$(dev_report prx)"
pass "the --proxy example serves through the proxy (port 0 -> $addr)"
edits prx "$d" "http://$addr"
dev_stop prx TERM
expect_eq "$DEV_RC" 0 "golive dev exits 0 on SIGTERM"
[ -z "$(procs_matching "$tmp/cache")" ] || fail "programs left running: $(procs_matching "$tmp/cache")"
pass "nothing left running"

finish
