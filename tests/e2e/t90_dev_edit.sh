#!/usr/bin/env bash
# t90_dev_edit: golive dev on a small web server (tests/e2e/testdata/dev/app,
# its own port) while main.go is edited the ways people and editors do it.
#  - start: a "watch" line, cycle 1 (trigger start) serves v1; the program runs
#    from $XDG_CACHE_HOME/golive/dev with GOLIVE_DEV=1 and NOTIFY_SOCKET;
#  - an edit: the new version is served, a status line names main.go and the
#    new pid, the old program is stopped (SIGTERM, not killed);
#  - a syntax error: "build":"failed", go's file:line:col message on stderr,
#    the old program keeps serving; the fix is served;
#  - no cycle for: a _test.go file, a save with identical content, touch,
#    README.md, editor temp files (.#x, .x.swp, 4913, x~); the next real edit
#    is the very next cycle, with files ["main.go"];
#  - atomic save (temp file + rename), a vim-style save done by hand (4913
#    probe, main.go -> main.go~, write, delete main.go~) and a real vim save:
#    exactly one cycle each;
#  - a change during a build: that build "cancelled", the next one served;
#  - SIGINT: exit 0, the program stopped, nothing left running, no binary in
#    the source tree; every stdout line is a well-formed --json line.
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
dev_wait app 'len(C) >= 1' 120 "first cycle"
expect_eq "$(dev_q app '[C[0]["trigger"], C[0]["build"]]')" '["start", "ok"]' "cycle 1: trigger start, build ok"
pid1=$(dev_q app 'C[0]["pid"]')
[[ $pid1 =~ ^[0-9]+$ ]] || fail "cycle 1 has no pid: $pid1$(dev_report app)"
expect_eq "$(dev_q app 'len(W) == 1 and W[0]["dirs"] >= 1 and W[0]["files"] >= 1 and W[0] is L[0]')" true \
	"one watch line first, with dirs and files"
wait_body "$url/" v1 30 || fail "v1 not served$(dev_report app)"
pass "v1 served"
expect_eq "$(http_get "$url/pid")" "$pid1" "the program serving is the pid of cycle 1"
exe=$(exe_of "$pid1")
case "$exe" in
"$XDG_CACHE_HOME"/golive/dev/*) pass "the program runs from \$XDG_CACHE_HOME/golive/dev ($exe)" ;;
*) fail "the program's executable is $exe, not under $XDG_CACHE_HOME/golive/dev" ;;
esac
expect_eq "$(env_of "$pid1" GOLIVE_DEV)" 1 "the program has GOLIVE_DEV=1"
[ -n "$(env_of "$pid1" NOTIFY_SOCKET)" ] || fail "the program has no NOTIFY_SOCKET"
pass "the program has NOTIFY_SOCKET"
expect_eq "$(env_of "$pid1" LISTEN_FDS)" "" "no LISTEN_FDS without --listen"

# --- an edit ----------------------------------------------------------------------
set_version main.go v1 v2
wait_body "$url/" v2 90 || fail "v2 not served after the edit$(dev_report app)"
pass "edit: v2 served"
dev_wait app 'len(C) >= 2' 10 "cycle 2"
expect_eq "$(dev_q app '[C[1]["trigger"], C[1]["files"], C[1]["build"]]')" '["change", ["main.go"], "ok"]' \
	"cycle 2: change of main.go, build ok"
pid2=$(dev_q app 'C[1]["pid"]')
expect_eq "$(http_get "$url/pid")" "$pid2" "the new program serves"
[ "$pid2" != "$pid1" ] || fail "the same pid after a restart"
dev_wait app "any(s['pid'] == $pid1 for s in S)" 10 "stop line of the old program"
expect_eq "$(dev_q app "[[s['signal'], s['killed']] for s in S if s['pid'] == $pid1]")" '[["SIGTERM", false]]' \
	"the old program was stopped by SIGTERM, not killed"
wait_until "proc_gone $pid1" 5 || fail "the old program $pid1 still runs"
pass "the old program is gone"
grep -E "^golive: .*main\.go.*built in .*\(pid $pid2\)" "$tmp/app.err" >/dev/null ||
	fail "no status line for the edit$(dev_report app)"
pass "status line: main.go changed, built, serving pid $pid2"
expect_eq "$(dev_q app 'len(X)')" 0 "no exit line: the program never ended on its own"

# --- a broken edit -----------------------------------------------------------------
# What go says about it (built in a copy), "./" dropped.
mkdir "$tmp/broken"
cp -R "$app/." "$tmp/broken/"
sed -i 's/^const version = "v2"$/const version = "v2/' "$tmp/broken/main.go"
(cd "$tmp/broken" && go build -o /dev/null .) >"$tmp/broken.out" 2>&1 && fail "the broken copy builds"
goerr=$(grep -E '^(\./)?main\.go:21:[0-9]+: ' "$tmp/broken.out" | head -n 1 | sed 's#^\./##')
[ -n "$goerr" ] || fail "go did not report main.go:21: $(cat "$tmp/broken.out")"
n=$(dev_q app 'len(C)')
cp "$tmp/broken/main.go" main.go
dev_wait app "len(C) > $n" 90 "a cycle for the broken edit"
expect_eq "$(dev_q app "[C[$n]['trigger'], C[$n]['files'], C[$n]['build'], C[$n]['pid'], C[$n]['t_ready']]")" \
	'["change", ["main.go"], "failed", null, null]' "broken edit: build failed, nothing served"
grep -F "$goerr" "$tmp/app.err" >/dev/null || fail "go's error '$goerr' not on stderr$(dev_report app)"
pass "broken edit: '$goerr' printed"
expect_eq "$(http_get "$url/")" v2 "broken edit: the old version keeps serving"
expect_eq "$(http_get "$url/pid")" "$pid2" "broken edit: the old program keeps running"
expect_eq "$(dev_q app "len([s for s in S if s['pid'] == $pid2])")" 0 "broken edit: the old program was not stopped"
sed -i 's/^const version = "v2$/const version = "v3"/' main.go
wait_body "$url/" v3 90 || fail "v3 not served after the fix$(dev_report app)"
pass "fixed: v3 served"
dev_wait app "len(C) > $n + 1" 10 "the cycle of the fix"
expect_eq "$(dev_q app "[C[$n + 1]['files'], C[$n + 1]['build']]")" '[["main.go"], "ok"]' "the fix: build ok"

# --- changes that are no cycle -----------------------------------------------------
dev_settle app 1 30
n=$(dev_q app 'len(C)')
cat >main_test.go <<'EOF'
package main

import "testing"

func TestBody(t *testing.T) {
	if body() == "" {
		t.Fatal("empty body")
	}
}
EOF
sleep 0.2
echo '// another test comment' >>main_test.go
python3 -c 'import sys; d = open("main.go", "rb").read(); open("main.go", "wb").write(d)'
touch main.go
echo '# app' >README.md
ln -s "root@localhost.1234:1" .#main.go
echo x >.main.go.swp
echo x >4913
rm 4913
echo x >main.go~
sleep 0.1
rm -f .#main.go .main.go.swp main.go~
dev_settle app 1.5 30
expect_eq "$(dev_q app 'len(C)')" "$n" "no cycle for a _test.go file, an identical save, touch, README.md, editor temp files"
set_version main.go v3 v4
wait_body "$url/" v4 90 || fail "v4 not served$(dev_report app)"
dev_wait app "len(C) > $n" 10 "the cycle of v4"
expect_eq "$(dev_q app "[[c['files'], c['build']] for c in C[$n:]]")" '[[["main.go"], "ok"]]' \
	"the next edit is the very next cycle, with files [main.go] only"

# --- atomic save, vim-style save, real vim ----------------------------------------------
# one_save DESC GAP_MS: after a save (its new version served: checked by the
# caller), golive goes quiet and one cycle came of it, one build. GAP_MS is
# how long the save left main.go missing or half-written ("" when unknown):
# when that was longer than the 20 ms debounce (a loaded machine, vim's
# fsync), a first build may have started too early; it must then have been
# cancelled, so still one successful build and one restart.
one_save() {
	local got ok
	dev_settle app 1.5 30
	got=$(dev_q app "[[c['trigger'], c['files'], c['build']] for c in C[$n:]]")
	ok='[["change", ["main.go"], "ok"]]'
	if [ "$got" = "$ok" ]; then
		pass "$1: exactly one cycle, one build"
	elif [ "$got" = '[["change", ["main.go"], "cancelled"], ["change", ["main.go"], "ok"]]' ] &&
		{ [ -z "$2" ] || [ "$2" -ge 20 ]; }; then
		pass "$1: one build (and one cancelled: the save took ${2:-?} ms)"
	else
		fail "$1: got $got, want $ok (the save took ${2:-?} ms; the builds started $(dev_q app "[round(c['t_build_start'] - C[$n]['t_event'], 1) for c in C[$n:]]") ms after its first event)$(dev_report app)"
	fi
}
n=$(dev_q app 'len(C)')
python3 - <<'EOF'
import os
s = open("main.go").read().replace('const version = "v4"', 'const version = "v5"')
tmpname = ".main.go.tmp.%d" % os.getpid()
with open(tmpname, "w") as f:
    f.write(s)
    f.flush()
    os.fsync(f.fileno())
os.rename(tmpname, "main.go")
EOF
wait_body "$url/" v5 90 || fail "atomic save: v5 not served$(dev_report app)"
pass "atomic save: v5 served"
one_save "atomic save (temp file + rename)" 0

n=$(dev_q app 'len(C)')
gap=$(python3 - <<'EOF'
import os, time
s = open("main.go").read().replace('const version = "v5"', 'const version = "v6"')
fd = os.open("4913", os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
os.close(fd)
os.unlink("4913")
t0 = time.monotonic()
os.rename("main.go", "main.go~")
with open("main.go", "w") as f:
    f.write(s)
t1 = time.monotonic()
os.unlink("main.go~")
print(int((t1 - t0) * 1000))
EOF
)
wait_body "$url/" v6 90 || fail "vim-style save: v6 not served$(dev_report app)"
pass "vim-style save: v6 served"
one_save "vim-style save (4913, main.go~, write, delete)" "$gap"

n=$(dev_q app 'len(C)')
timeout 30 vim -N -u NONE -i NONE -Es -c 'set writebackup nobackup backupcopy=auto' \
	-c '%s/const version = "v6"/const version = "v7"/' -c 'wq' main.go </dev/null >"$tmp/vim.out" 2>&1 ||
	fail "vim failed: $(cat "$tmp/vim.out")"
grep -q '^const version = "v7"$' main.go || fail "vim did not save v7"
wait_body "$url/" v7 90 || fail "vim save: v7 not served$(dev_report app)"
pass "real vim save: v7 served"
one_save "real vim save" ""

# --- a change during a build cancels it -------------------------------------------------
# An edit, then a second one as soon as golive builds it: the first build is
# cancelled, the second served. (Should the first build win the race
# and end before the second write is seen, two ok cycles: try again.) The
# first edit also adds a blank import of a standard package that nothing
# here compiled yet, a new one each attempt (go/types, debug/elf,
# encoding/xml): a change of imports takes the full build (the fast path's
# replay is too quick to be caught), and compiling that package keeps it
# busy for seconds even on an idle machine, so the second save lands in it.
# put_version_import FILE VERSION PKG: put_version and `import _ "PKG"` added, in one write.
put_version_import() {
	python3 - "$1" "$2" "$3" <<'EOF'
import re, sys
p, new, pkg = sys.argv[1:]
s = open(p).read()
line = 'import _ "%s"\n\n' % pkg
s = s.replace("package main\n\n", "package main\n\n" + line, 1)
s, n = re.subn(r'const version = "[^"]*"', 'const version = "%s"' % new, s)
assert n == 1, p
with open(p, "w") as f:
    f.write(s)
EOF
}
cancel_attempt() {
	local pkgs=(go/types debug/elf encoding/xml)
	put_version_import main.go "x$1" "${pkgs[$1 - 1]}"
	if wait_building "$app"; then seen=seen; else seen=missed; fi
	put_version main.go "y$1"
}
cancelled=
for a in 1 2 3; do
	n=$(dev_q app 'len(C)')
	cancel_attempt "$a"
	wait_body "$url/" "y$a" 90 || fail "change during a build: y$a not served$(dev_report app)"
	dev_settle app 1 30
	got=$(dev_q app "[[c['files'], c['build'], c['pid']] for c in C[$n:]]")
	case "$got" in
	'[[["main.go"], "cancelled", null], [["main.go"], "ok", '[0-9]*']]')
		cancelled=$a
		break
		;;
	'[[["main.go"], "ok", '[0-9]*'], [["main.go"], "ok", '[0-9]*']]') ;; # the race was lost
	*) fail "change during a build ($seen compiling): cycles $got" ;;
	esac
done
[ -n "$cancelled" ] || fail "change during a build: never cancelled in 3 attempts"
pass "a change during a build: that build cancelled, the next served (attempt $cancelled)"
# go build's $WORK is under $TMPDIR, so its compilers have $tmp in their command lines.
wait_until "[ -z \"\$(procs_matching '$tmp' | grep -E '/(compile|link) ')\" ]" 5 ||
	fail "compilers left after the cancelled build: $(leftovers_ps)"
pass "no compiler left running"

# --- SIGINT ----------------------------------------------------------------------
dev_end_app app "$url" "$app"

finish
