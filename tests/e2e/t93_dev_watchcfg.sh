#!/usr/bin/env bash
# t93_dev_watchcfg: what golive.yaml's watch: section and .gitignore change in
# golive dev, on a module whose program reads a template at run time and
# embeds a file (//go:embed):
#  - watch.include: editing templates/msg.txt (outside the package graph)
#    rebuilds and restarts the program;
#  - watch.exclude: editing the embedded static/logo.txt does not;
#  - .gitignore: a gitignored file of the package (secret.go) never rebuilds,
#    and a gitignored directory (scratch/) is not even watched;
#  - watch.debounce_ms and run.args from golive.yaml are used;
#  - a broken golive.yaml: one FILE:LINE:COL line, exit 2, nothing started.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

dev_build_poller
d=$tmp/app
mkdir -p "$d/templates" "$d/static" "$d/scratch/deep"
cd "$d"
printf 'module example.com/watchcfg\n\ngo 1.19\n' >go.mod
cat >main.go <<'EOF'
package main

import (
	_ "embed"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
)

//go:embed static/logo.txt
var logo string

const version = "v1"

func main() {
	ln, err := net.FileListener(os.NewFile(3, "listen"))
	if err != nil {
		panic(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		msg, _ := os.ReadFile("templates/msg.txt")
		fmt.Fprintf(w, "%s %s %s %s %d", version, strings.TrimSpace(string(msg)),
			strings.TrimSpace(logo), secret, os.Getpid())
	})
	fmt.Println("args:", strings.Join(os.Args[1:], ","))
	panic(http.Serve(ln, nil))
}
EOF
printf 'package main\n\nconst secret = "s1"\n' >secret.go
echo hello >templates/msg.txt
echo logo1 >static/logo.txt
printf 'secret.go\nscratch/\n' >.gitignore
cat >golive.yaml <<'EOF'
run:
  args: ["--from-yaml", "x y"]
watch:
  include: ["templates/*.txt"]
  exclude: ["static/**"]
  debounce_ms: 800
EOF

dev_start w "$d" --listen 127.0.0.1:0
dev_wait w 'len(C) >= 1 and C[0]["pid"] is not None' 120 "the first cycle"
addr=$(dev_q w '[e for e in L if e["type"] == "listen"][0]["addr"]')
pid1=$(dev_q w 'C[0]["pid"]')
wait_body "http://$addr/" "v1 hello logo1 s1 $pid1" 30 || fail "not served$(dev_report w)"
pass "served: version, template, embedded file, gitignored file, pid"
expect_eq "$(dev_q w 'W[0]["dirs"]')" 3 "watched: the root, templates/, static/ (scratch/ is gitignored)"
grep -q '^args: --from-yaml,x y$' "$tmp/w.err" || fail "run.args not passed: $(cat "$tmp/w.err")"
pass "run.args from golive.yaml reach the program"

# watch.include: a template edit rebuilds and restarts.
echo bonjour >templates/msg.txt
dev_wait w 'len(C) >= 2 and C[1]["pid"] is not None' 60 "a cycle for the template"
expect_eq "$(dev_q w 'C[1]["files"]')" '["templates/msg.txt"]' "the cycle names the template"
pid2=$(dev_q w 'C[1]["pid"]')
[ "$pid2" != "$pid1" ] || fail "not restarted"
wait_body "http://$addr/" "v1 bonjour logo1 s1 $pid2" 30 || fail "template: not served$(dev_report w)"
pass "watch.include: the template edit restarted the program"

# watch.exclude and .gitignore: no cycle, even for files of the build.
echo logo2 >static/logo.txt
printf 'package main\n\nconst secret = "s2"\n' >secret.go
echo 'package deep' >scratch/deep/x.go
echo more >scratch/notes.txt
dev_settle w 1 20
expect_eq "$(dev_q w 'len(C)')" 2 "no cycle for an excluded embedded file, a gitignored Go file, a gitignored directory"

# A real edit builds everything on disk, so the skipped changes show up now.
set_version main.go v1 v2
dev_wait w 'len(C) >= 3 and C[2]["pid"] is not None' 90 "a cycle for main.go"
expect_eq "$(dev_q w 'C[2]["files"]')" '["main.go"]' "only main.go is named"
pid3=$(dev_q w 'C[2]["pid"]')
wait_body "http://$addr/" "v2 bonjour logo2 s2 $pid3" 30 || fail "v2 not served$(dev_report w)"
pass "main.go edit: v2 built with what is on disk"
# debounce_ms is 800: a build that waited for it would start 800 ms or more
# after the save; the first save after a quiet period starts at once (half
# that leaves room for a loaded machine without letting a wait through).
expect_eq "$(dev_q w 'C[2]["t_build_start"] - C[2]["t_event"] < 400')" true \
	"the first save after a quiet period builds at once (no wait for debounce_ms: 800)"
dev_stop w INT
expect_eq "$DEV_RC" 0 "SIGINT: exit 0"
dev_check_json w || fail "malformed --json lines"
pass "--json lines well-formed"

# A broken golive.yaml: one line naming the place, exit 2, nothing runs.
printf 'watch:\n  include: ["web/[ab"]\n' >golive.yaml
set +e
(cd "$d" && "$GOLIVE" dev --listen 127.0.0.1:0 </dev/null >"$tmp/bad.out" 2>"$tmp/bad.err")
rc=$?
set -e
expect_eq "$rc" 2 "broken golive.yaml: exit 2"
expect_eq "$(wc -l <"$tmp/bad.err")" 1 "one line of error"
grep -q '^golive.yaml:2:' "$tmp/bad.err" || fail "error does not name golive.yaml:2: $(cat "$tmp/bad.err")"
pass "the error names golive.yaml:2"
[ -z "$(procs_matching "$tmp/cache")" ] || fail "programs left running: $(procs_matching "$tmp/cache")"
pass "nothing left running"

finish
