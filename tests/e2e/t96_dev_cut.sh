#!/usr/bin/env bash
# t96_dev_cut: what a restart does to a long request in golive dev --listen when
# the program does not shut down gracefully (issue 15, item 15):
#  - a program that dies of SIGTERM while a 4 s request is in flight: the
#    request is cut after golive's 1 s drain, and golive dev says so, once,
#    with the count and what fixes it (http.Server.Shutdown);
#  - a second restart that cuts another request: no second warning;
#  - a restart with nothing in flight: nothing said.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

dev_build_poller
app=$tmp/app
new_module "$app" example.com/cutapp
cat >"$app/main.go" <<'EOF'
// cutapp: serves on the socket golive dev hands it (fd 3); GET / answers the
// version, GET /slow after 4 s. No signal handling: SIGTERM ends it at once.
package main

import (
	"fmt"
	"log"
	"net"
	"net/http"
	"os"
	"time"
)

const version = "v1"

func main() {
	ln, err := net.FileListener(os.NewFile(3, "listen"))
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, version) })
	http.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(4 * time.Second)
		fmt.Fprint(w, "slow "+version)
	})
	log.Fatal(http.Serve(ln, nil))
}
EOF
port=$(free_port)
url=http://127.0.0.1:$port
dev_start cut "$app" --listen "127.0.0.1:$port"
wait_body "$url/" v1 120 || fail "v1 not served$(dev_report cut)"
pass "v1 served"

# slow_then_edit NEW: a /slow request, then (once it is in flight) an edit to NEW.
slow_then_edit() {
	(
		rc=0
		curl -s -m 20 "$url/slow" >"$tmp/slow.$1" 2>&1 || rc=$?
		echo "rc=$rc" >>"$tmp/slow.$1"
	) &
	local cpid=$!
	sleep 0.5
	put_version "$app/main.go" "$1"
	wait_body "$url/" "$1" 120 || fail "$1 not served$(dev_report cut)"
	wait "$cpid" || true
}
slow_then_edit v2
if grep -q "slow v1" "$tmp/slow.v2" || grep -q "^rc=0$" "$tmp/slow.v2"; then
	fail "the slow request finished: this program was expected to cut it ($(cat "$tmp/slow.v2"))"
fi
pass "the non-graceful program cut the slow request (curl $(tail -1 "$tmp/slow.v2"))"
wait_until "grep -q 'still served 1 connection' '$tmp/cut.err'" 10 || fail "no warning about the cut request$(dev_report cut)"
grep -q "still served 1 connection 1000 ms into the restart and died of the stop signal: it was cut. To finish long requests and streams, handle SIGTERM with http.Server.Shutdown" "$tmp/cut.err" ||
	fail "the warning: $(grep 'still served' "$tmp/cut.err")"
pass "golive dev says the request was cut, and what fixes it"

slow_then_edit v3
put_version "$app/main.go" v4
wait_body "$url/" v4 120 || fail "v4 not served$(dev_report cut)"
dev_settle cut 1 30
expect_eq "$(grep -c 'still served' "$tmp/cut.err")" 1 "said once, not at every restart"
dev_stop cut INT
wait_until nothing_left 15 || fail "left running: $(leftovers_ps)"
pass "nothing left running"

finish
