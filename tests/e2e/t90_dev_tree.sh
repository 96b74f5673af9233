#!/usr/bin/env bash
# t90_dev_tree: golive dev on a small web server (tests/e2e/testdata/dev/app,
# its own port) while its tree changes shape.
#  - a new package directory: nothing until main.go imports it, then built and
#    served; an edit inside it is a cycle with files ["greet/greet.go"];
#  - an edit storm (50 writes in about 200 ms): one or two successful builds, the
#    last version served;
#  - git init/commit: no cycle; git checkout of another branch (three files,
#    one new) and back: one or two successful builds each, that branch served;
#  - another new package, imported by main.go and saved again while golive
#    builds that: the saved content is what ends up served;
#  - SIGINT: exit 0, nothing left running, no binary in the source tree,
#    well-formed --json lines.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

dev_build_poller
app=$tmp/app
dev_copy app "$app"
port=$(free_port)
url=http://127.0.0.1:$port
cd "$app"

# --- start ----------------------------------------------------------------------
dev_start app "$app" -- -addr "127.0.0.1:$port"
dev_wait app 'len(C) >= 1 and C[0]["pid"] is not None' 120 "the first cycle"
wait_body "$url/" v1 30 || fail "v1 not served$(dev_report app)"
pass "v1 served"
set_version main.go v1 v7
wait_body "$url/" v7 90 || fail "v7 not served$(dev_report app)"
pass "an edit: v7 served"

# --- a new package directory --------------------------------------------------------
n=$(dev_q app 'len(C)')
mkdir greet
cat >greet/greet.go <<'EOF'
package greet

// Hello is the greeting.
func Hello() string { return "hello" }
EOF
dev_settle app 1 30
expect_eq "$(dev_q app 'len(C)')" "$n" "a new package nobody imports: no cycle"
python3 - <<'EOF'
import re
s = open("main.go").read()
s = s.replace('import (\n', 'import (\n\t"example.com/app/greet"\n', 1)
s = s.replace('\treturn version\n', '\treturn version + " " + greet.Hello()\n', 1)
s = re.sub(r'const version = "[^"]*"', 'const version = "v8"', s)
open("main.go", "w").write(s)
EOF
wait_body "$url/" "v8 hello" 90 || fail "the new package is not served$(dev_report app)"
pass "main.go importing the new package: built and served"
dev_settle app 1 30
sed -i 's/"hello"/"hi"/' greet/greet.go
wait_body "$url/" "v8 hi" 90 || fail "an edit in the new package is not served$(dev_report app)"
pass "an edit inside the new package: served"
dev_settle app 1 30
expect_eq "$(dev_q app "[[c['files'], c['build']] for c in C[$n:]]")" '[[["main.go"], "ok"], [["greet/greet.go"], "ok"]]' \
	"two cycles: main.go, then greet/greet.go"

# --- an edit storm --------------------------------------------------------------------
n=$(dev_q app 'len(C)')
storm_ms=$(python3 - <<'EOF'
import time
base = open("main.go").read()
assert 'const version = "v8"' in base
t0 = time.monotonic()
for i in range(1, 51):
    with open("main.go", "w") as f:
        f.write(base.replace('const version = "v8"', 'const version = "s%d"' % i))
    time.sleep(max(0, t0 + i * 0.004 - time.monotonic()))
print(int((time.monotonic() - t0) * 1000))
EOF
)
wait_body "$url/" "s50 hi" 120 || fail "edit storm: the last version is not served$(dev_report app)"
dev_settle app 2 60
ok=$(dev_q app "len([c for c in C[$n:] if c['build'] == 'ok'])")
all=$(dev_q app "[c['build'] for c in C[$n:]]")
[ "$ok" -ge 1 ] && [ "$ok" -le 2 ] || fail "edit storm: $ok successful builds, want 1 or 2: $all"
pass "edit storm (50 writes in $storm_ms ms): $ok successful builds (cycles: $all), s50 served"
expect_eq "$(dev_q app 'C[-1]["build"]')" ok "edit storm: the last cycle built"

# --- git ------------------------------------------------------------------------------------
command -v git >/dev/null || fail "git is not installed (run scripts/bootstrap)"
export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@example.com GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@example.com
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL=/dev/null
n=$(dev_q app 'len(C)')
git -c init.defaultBranch=main init -q .
git add -A
git commit -qm base
dev_settle app 1.5 30
expect_eq "$(dev_q app 'len(C)')" "$n" "git init, add, commit: no cycle"
git clone -q "$app" "$tmp/clone"
(
	cd "$tmp/clone"
	git checkout -q -b feature
	sed -i 's/^const version = "s50"$/const version = "g1"/' main.go
	sed -i 's/return version + " " + greet.Hello()$/return version + " " + greet.Hello() + suffix()/' main.go
	sed -i 's/"hi"/"howdy"/' greet/greet.go
	printf 'package main\n\nfunc suffix() string { return "!" }\n' >extra.go
	git add -A
	git commit -qm feature
	git push -q origin feature
) >"$tmp/git.out" 2>&1 || fail "preparing the feature branch: $(cat "$tmp/git.out")"
git checkout -q feature
wait_body "$url/" "g1 howdy!" 120 || fail "git checkout feature: not served$(dev_report app)"
dev_settle app 2 60
ok=$(dev_q app "len([c for c in C[$n:] if c['build'] == 'ok'])")
all=$(dev_q app "[[c['files'], c['build']] for c in C[$n:]]")
[ "$ok" -ge 1 ] && [ "$ok" -le 2 ] || fail "git checkout feature: $ok successful builds, want 1 or 2: $all"
pass "git checkout feature (3 files, one new): served after $ok successful build(s) ($all)"
n=$(dev_q app 'len(C)')
git checkout -q main
wait_body "$url/" "s50 hi" 120 || fail "git checkout main: not served$(dev_report app)"
dev_settle app 2 60
ok=$(dev_q app "len([c for c in C[$n:] if c['build'] == 'ok'])")
all=$(dev_q app "[[c['files'], c['build']] for c in C[$n:]]")
[ "$ok" -ge 1 ] && [ "$ok" -le 2 ] || fail "git checkout main: $ok successful builds, want 1 or 2: $all"
pass "git checkout main (extra.go deleted): served after $ok successful build(s)"

# --- an edit in a new package while the build that first imports it runs ----------------
# bye/ is new; main.go starts importing it; while golive builds that (before
# it lists the package graph again), bye/bye.go is saved again: golive must
# not keep serving the old bye.
mkdir bye
printf 'package bye\n\n// Word is the farewell.\nfunc Word() string { return "ciao" }\n' >bye/bye.go
dev_settle app 1 30
python3 - <<'EOF'
import re
s = open("main.go").read()
s = s.replace('import (\n', 'import (\n\t"example.com/app/bye"\n', 1)
s = s.replace('greet.Hello()\n', 'greet.Hello() + " " + bye.Word()\n', 1)
s = re.sub(r'const version = "[^"]*"', 'const version = "v9"', s)
open("main.go", "w").write(s)
EOF
wait_building "$app" || echo "# no build seen: saving bye/bye.go anyway"
sed -i 's/"ciao"/"addio"/' bye/bye.go
if ! wait_body "$url/" "v9 hi addio" 30; then
	fail "bye/bye.go saved while the build that first imports bye ran: golive serves [$(http_get "$url/")], want [v9 hi addio]$(dev_report app)"
fi
pass "an edit of a new package during the build that first imports it: served"
# That build may already have read the new bye.go (then it serves addio at once),
# and golive still rebuilds for the save it saw during the build: let that cycle end
# before dev_end_app compares the last cycle's pid with the one serving.
dev_settle app 1 30

# --- SIGINT ----------------------------------------------------------------------
dev_end_app app "$url" "$app"

finish
