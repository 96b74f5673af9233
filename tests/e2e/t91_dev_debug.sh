#!/usr/bin/env bash
# t91_dev_debug: golive dev --debug ADDR on tests/e2e/testdata/dev/dbgapp,
# against the real delve scripts/bootstrap installs, driven by a JSON-RPC
# client (dlv_client.py: what dlv connect or an editor does):
#  - --profile ci --debug, and a delve that is not there (run.dlv, PATH):
#    one line (with the go install command), exit 2;
#  - the program runs under delve (its parent is dlv exec --headless), gets
#    golive's socket as fd 3 with LISTEN_FDS and no LISTEN_PID;
#  - a breakpoint set through ADDR in a handler is hit by a request, then
#    continued; DAP's initialize is answered on the same ADDR;
#  - two edits elsewhere reload it with 0 failed requests at a 2 ms poll; the
#    breakpoint is still there in the new process (same ADDR) and hits there;
#  - the program exits by itself: restarted, the breakpoint still there;
#  - a line added above it: it follows its line; its line deleted: golive
#    says so, one line, and the request no longer stops;
#  - a breakpoint in main (code that runs at start): the new version stops
#    there and stays stopped until a client continues it;
#  - SIGINT: golive exits 0, no dlv and no program is left (/proc);
#  - --proxy with --debug (the old version stopped first): a DAP session as
#    VS Code's attach (setBreakpoints, the stop, continue, disconnect); a
#    reload with 0 failed requests; the JSON-RPC breakpoint carried over, the
#    DAP client's left to it (it sets its own again when it attaches);
#    SIGKILL to golive: its keeper leaves no delve and no program.
. "$(dirname "$0")/lib.sh"
# before dev_lib.sh, which moves XDG_CACHE_HOME into $tmp: where bootstrap put delve
DLV_DIR=${XDG_CACHE_HOME:-$HOME/.cache}/golive-tools/delve-v1.27.2
# and go's own build cache: -gcflags=all=-N -l compiles std again, once (minutes
# on two cores), which a private cache would do on every run
GOCACHE_SHARED=$(go env GOCACHE)
. "$(dirname "$0")/dev_lib.sh"
export GOCACHE=$GOCACHE_SHARED

[ -x "$DLV_DIR/dlv" ] || fail "no delve in $DLV_DIR: run scripts/bootstrap"
dev_build_poller
client() { timeout 60 python3 "$GOLIVE_SRC/tests/e2e/dlv_client.py" "$@"; }

d=$tmp/app
dev_copy dbgapp "$d"
bpline=$(grep -n 'breakpoint here' "$d/handler.go" | cut -d: -f1)

# ---- refusals ------------------------------------------------------------
rc=0
(cd "$d" && PATH=$DLV_DIR:$PATH "$GOLIVE" dev --profile ci --debug) >"$tmp/ci.out" 2>&1 || rc=$?
expect_eq "$rc" 2 "--debug in the ci profile: exit 2"
check "the ci refusal says why" grep -q -- "--debug is for the dev profile only" "$tmp/ci.out"
mkdir -p "$tmp/gobin"
ln -s "$(command -v go)" "$tmp/gobin/go"
rc=0
(cd "$d" && PATH=$tmp/gobin "$GOLIVE" dev --debug) >"$tmp/nodlv.out" 2>&1 || rc=$?
expect_eq "$rc" 2 "--debug without dlv on PATH: exit 2"
expect_eq "$(grep -c 'go install github.com/go-delve/delve/cmd/dlv@latest' "$tmp/nodlv.out")" 1 \
	"without delve: one line with the go install command ($(cat "$tmp/nodlv.out"))"
printf 'run:\n  dlv: %s/nodlv/dlv\n' "$tmp" >"$tmp/nodlv.yaml"
rc=0
(cd "$d" && PATH=$DLV_DIR:$PATH "$GOLIVE" dev --config "$tmp/nodlv.yaml" --debug) >"$tmp/nodlv2.out" 2>&1 || rc=$?
expect_eq "$rc" 2 "--debug with a run.dlv that is not there: exit 2"
check "it names run.dlv" grep -q "nodlv/dlv (run.dlv) not found" "$tmp/nodlv2.out"

# ---- under delve ---------------------------------------------------------
export PATH=$DLV_DIR:$PATH
dport=$(free_port)
addr=127.0.0.1:$dport
dev_start dbg "$d" --listen 127.0.0.1:0 --debug "$addr"
dev_wait dbg 'any(e["type"] == "debug" for e in L)' 30 "the debug line"
expect_eq "$(dev_q dbg '[e["addr"] for e in L if e["type"] == "debug"][0]')" "$addr" "the debug line names ADDR"
url=http://127.0.0.1:$(dev_q dbg 'LS[0]["addr"].rsplit(":", 1)[1]')
dev_wait dbg 'len(C) >= 1 and C[0]["pid"]' 60 "the first version"
wait_body "$url/version" v1 30 || fail "v1 not served$(dev_report dbg)"
delve1=$(dev_q dbg 'C[0]["pid"]')
prog1=$(http_get "$url/pid")
expect_eq "$(awk '{print $4}' "/proc/$prog1/stat")" "$delve1" "the program is delve's child"
check "delve runs headless, multiclient, API 2" \
	sh -c "tr '\0' ' ' </proc/$delve1/cmdline | grep -q 'dlv exec --headless --accept-multiclient --api-version=2'"
expect_eq "$(http_get "$url/env")" "LISTEN_FDS=1 LISTEN_PID=" "the socket as fd 3 with LISTEN_FDS, no LISTEN_PID"

expect_eq "$(client setbp "$addr" "$d/handler.go" "$bpline")" "$bpline" "a breakpoint set through ADDR"
hit=$(client hit "$addr" "$url/hello?name=Go")
expect_eq "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["file"], d["line"], d["bp"] is not None and d["bp"] > 0, d["pid"], d["body"])' "$hit")" \
	"$d/handler.go $bpline True $prog1 hello, go" "a request stops at the breakpoint, then is answered"

# DAP on the same address: initialize is answered
dap=$(python3 - "$dport" <<'EOF'
import json, socket, sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=20)
body = json.dumps({"seq": 1, "type": "request", "command": "initialize",
                   "arguments": {"clientID": "golive-test", "adapterID": "go"}}).encode()
s.sendall(b"Content-Length: %d\r\n\r\n" % len(body) + body)
buf = b""
while True:
    while b"\r\n\r\n" not in buf:
        buf += s.recv(65536)
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(rest) < n:
        rest += s.recv(65536)
    msg, buf = json.loads(rest[:n]), rest[n:]
    if msg.get("type") == "response":
        print(msg["command"], msg["success"])
        break
EOF
)
expect_eq "$dap" "initialize True" "DAP: initialize answered through ADDR"

# ---- reloads keep the breakpoint -------------------------------------------
"$POLLER" -interval 2ms -duration 170s -stop "$tmp/p.stop" -started "$tmp/p.started" \
	"$url/version" >"$tmp/p.poll" 2>"$tmp/p.poll.err" &
poller=$!
track_pid "$poller"
wait_until "[ -e '$tmp/p.started' ]" 20 || fail "the poller got no answer: $(cat "$tmp/p.poll.err")"
set_version "$d/version.go" v1 v2
wait_body "$url/version" v2 60 || fail "v2 not served$(dev_report dbg)"
dev_wait dbg 'len([c for c in C if c["pid"]]) >= 2' 30 "the second version's cycle"
set_version "$d/version.go" v2 v3
wait_body "$url/version" v3 60 || fail "v3 not served$(dev_report dbg)"
dev_wait dbg 'len([c for c in C if c["pid"]]) >= 3' 30 "the third version's cycle"
touch "$tmp/p.stop"
wait "$poller" || fail "the poller failed: $(cat "$tmp/p.poll.err")"
expect_eq "$(json_get "$tmp/p.poll" 'd["failed"]')" 0 \
	"two reloads under delve: no failed request at a 2 ms poll ($(json_get "$tmp/p.poll" 'd["ok"]') ok, max $(json_get "$tmp/p.poll" 'd["max_ms"]') ms)"
wait_until "proc_gone $delve1 && proc_gone $prog1" 15 || fail "the first delve or program still runs"
pass "the old delve and its program are gone"
prog3=$(http_get "$url/pid")
[ "$prog3" != "$prog1" ] || fail "the program was not restarted"
expect_eq "$(client list "$addr")" "$d/handler.go:$bpline" "the breakpoint is set in the new process"
check "golive says it set it again" grep -q "1 breakpoint set again in the new program" "$tmp/dbg.err"
hit=$(client hit "$addr" "$url/hello")
expect_eq "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["line"], d["pid"], d["body"])' "$hit")" \
	"$bpline $prog3 hello, world" "the new process stops at it"

# ---- the program exits by itself: restarted as after a crash, breakpoint kept ----
http_get "$url/exit" >/dev/null || true
dev_wait dbg 'any(c["trigger"] == "crash" and c["pid"] for c in C)' 30 "the restart after the exit"
wait_until "[ -n \"\$(http_get '$url/pid')\" ] && [ \"\$(http_get '$url/pid')\" != $prog3 ]" 30 ||
	fail "no new program after the exit$(dev_report dbg)"
expect_eq "$(client list "$addr")" "$d/handler.go:$bpline" "an exit: the restarted program has the breakpoint"

# ---- its file changes ------------------------------------------------------
python3 - "$d/handler.go" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read().replace("// hello is", "// (a line added)\n// hello is")
open(p, "w").write(s)
EOF
dev_wait dbg 'len([c for c in C if c["pid"]]) >= 5' 60 "the reload after the line added"
expect_eq "$(client list "$addr")" "$d/handler.go:$((bpline + 1))" "a line added above: the breakpoint follows its line"
python3 - "$d/handler.go" <<'EOF'
import sys
p = sys.argv[1]
lines = [l for l in open(p).read().split("\n") if "breakpoint here" not in l]
open(p, "w").write("\n".join(lines).replace("return greeting", 'return "hello, " + strings.ToLower(name)'))
EOF
dev_wait dbg 'len([c for c in C if c["pid"]]) >= 6' 60 "the reload after the line deleted"
expect_eq "$(grep -c "breakpoint handler.go:$((bpline + 1)) removed: its line is gone" "$tmp/dbg.err")" 1 \
	"its line deleted: golive says so, one line"
expect_eq "$(client list "$addr")" "" "no breakpoint left"
expect_eq "$(http_get "$url/hello")" "hello, world" "the request is answered without a stop"

# a breakpoint in code that runs at start: the new version stops there and stays
mline=$(grep -n 'mux := http.NewServeMux()' "$d/main.go" | cut -d: -f1)
expect_eq "$(client setbp "$addr" "$d/main.go" "$mline")" "$mline" "a breakpoint in main, past the start"
set_version "$d/version.go" v3 v4
dev_wait dbg 'len([c for c in C if c["pid"]]) >= 7' 60 "the reload with a breakpoint in main"
wait_until "[ \"\$(client where '$addr')\" = '$d/main.go:$mline' ]" 30 ||
	fail "the new version is not stopped at main.go:$mline: $(client where "$addr")$(dev_report dbg)"
pass "the new version stops at the breakpoint in main, and stays there"
client list "$addr" >/dev/null # halt, list, continue: it goes on
wait_body "$url/version" v4 30 || fail "v4 not served once continued$(dev_report dbg)"
pass "continued, it serves"

# ---- Ctrl-C ---------------------------------------------------------------
last=$(dev_q dbg '[c["pid"] for c in C if c["pid"]][-1]')
progl=$(http_get "$url/pid")
dev_stop dbg INT
expect_eq "$DEV_RC" 0 "SIGINT: golive dev exits 0"
expect_eq "$(dev_q dbg '[(e["file"], e["line"]) for e in L if e["type"] == "breakpoint"]')" "[[\"handler.go\", $((bpline + 1))]]" \
	"--json: a breakpoint line for the one removed"
check "every --json line is well-formed" dev_check_json dbg
wait_until "proc_gone $last && proc_gone $progl" 10 || fail "SIGINT: delve or the program still runs"
left=$(for p in /proc/[0-9]*; do
	exe=$(readlink "$p/exe" 2>/dev/null || true)
	case "$exe" in "$DLV_DIR/dlv") tr '\0' ' ' <"$p/cmdline" | grep -q "$tmp" && echo "${p#/proc/}" ;; esac
done)
expect_eq "$left" "" "SIGINT: no dlv of this test is left (/proc)"
wait_until nothing_left 5 || fail "processes left after SIGINT: $(leftovers_ps)"
pass "SIGINT: nothing left running"

# ---- --proxy: the old version is stopped first -------------------------------
d2=$tmp/app2
dev_copy dbgapp "$d2"
paddr=127.0.0.1:$(free_port)
toaddr=127.0.0.1:$(free_port)
dport=$(free_port)
addr=127.0.0.1:$dport
dev_start px "$d2" --proxy "$paddr" --to "$toaddr" --debug "$addr" -- -addr "$toaddr"
wait_body "http://$paddr/version" v1 60 || fail "px: v1 not served$(dev_report px)"
# a DAP session as VS Code's attach (mode remote) through ADDR
dap=$(client dap "$addr" "$d2/handler.go" "$bpline" "http://$paddr/hello")
expect_eq "$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(d["verified"], d["reason"], d["line"], d["body"])' "$dap")" \
	"True breakpoint $bpline hello, world" "DAP: setBreakpoints, a request stops there, continue"
expect_eq "$(http_get "http://$paddr/version")" v1 "DAP: disconnect leaves the program running"
expect_eq "$(client setbp "$addr" "$d2/handler.go" "$((bpline + 1))")" "$((bpline + 1))" "--proxy: a breakpoint set through JSON-RPC"
rm -f "$tmp/p.stop" "$tmp/p.started"
"$POLLER" -interval 2ms -duration 170s -stop "$tmp/p.stop" -started "$tmp/p.started" \
	"http://$paddr/version" >"$tmp/p.poll" 2>"$tmp/p.poll.err" &
poller=$!
track_pid "$poller"
wait_until "[ -e '$tmp/p.started' ]" 20 || fail "the poller got no answer: $(cat "$tmp/p.poll.err")"
set_version "$d2/version.go" v1 v2
wait_body "http://$paddr/version" v2 60 || fail "px: v2 not served$(dev_report px)"
touch "$tmp/p.stop"
wait "$poller" || fail "the poller failed: $(cat "$tmp/p.poll.err")"
expect_eq "$(json_get "$tmp/p.poll" 'd["failed"]')" 0 \
	"--proxy: a reload under delve with no failed request ($(json_get "$tmp/p.poll" 'd["ok"]') ok, max $(json_get "$tmp/p.poll" 'd["max_ms"]') ms)"
expect_eq "$(client list "$addr")" "$d2/handler.go:$((bpline + 1))" \
	"--proxy: the JSON-RPC breakpoint is set in the new process, the DAP one left to its client"
check "golive says the DAP client's is left to it" grep -q "1 breakpoint of a DAP client (an editor) left to it" "$tmp/px.err"
expect_eq "$(dev_q px '[s["killed"] for s in S]')" "[false]" "--proxy: the old version stopped by its signal, not killed"
check "--proxy: every --json line is well-formed" dev_check_json px
pxlast=$(dev_q px '[c["pid"] for c in C if c["pid"]][-1]')
pxprog=$(http_get "http://$paddr/pid")
dev_stop px KILL
wait_until "proc_gone $pxlast && proc_gone $pxprog" 10 || fail "SIGKILL to golive: delve or the program still runs"
wait_until nothing_left 10 || fail "processes left after SIGKILL: $(leftovers_ps)"
pass "--proxy: SIGKILL to golive: its keeper leaves no delve and no program"
finish
