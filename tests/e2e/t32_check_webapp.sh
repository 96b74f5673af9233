#!/usr/bin/env bash
# t32_check_webapp: golive check on a copy of examples/webapp with a planted
# context.Background() in a handler.
#  - found, with the path relative to the cwd (main.go, w/main.go, ../../main.go);
#  - a package go list cannot load: one warning line, the rest still checked;
#  - exit status: 0 below fail_on, 1 at or above it (--fail-on beats
#    analyzers.fail_on in golive.yaml), 2 for usage and configuration errors
#    (bad option, bad golive.yaml, bad rule query, no module), each one line;
#  - a user rule from golive.yaml reports like an analyzer;
#  - TOOLEXEC_IMPORTPATH in the environment does not reach go list.
. "$(dirname "$0")/lib.sh"

w=$tmp/w
copy_webapp "$w"
mkdir -p "$tmp/out"
python3 - "$w/main.go" <<'EOF'
import sys
p = sys.argv[1]
s = open(p).read()
s = s.replace('\t"encoding/json"\n', '\t"context"\n\t"encoding/json"\n', 1)
old = '\t\tfmt.Fprintln(w, greeting)\n'
assert old in s
s = s.replace(old, '\t\tctx := context.Background()\n\t\t_ = ctx\n' + old, 1)
open(p, "w").write(s)
EOF
line=$(grep -n 'ctx := context.Background()' "$w/main.go" | cut -d: -f1)
want="main.go:$line:10: [httpctx] use r.Context() instead of context.Background()"

# run NAME [ENV=V...] -- ARGS...: golive check ARGS in the cwd; out/err/rc in $tmp/out/NAME.*
run() {
	local name=$1
	shift
	local envs=()
	while [ "$1" != "--" ]; do
		envs+=("$1")
		shift
	done
	shift
	local rc=0
	env ${envs[@]+"${envs[@]}"} "$GOLIVE" check "$@" >"$tmp/out/$name.out" 2>"$tmp/out/$name.err" || rc=$?
	echo "$rc" >"$tmp/out/$name.rc"
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' "$tmp/out/$name.err"; then
		cat "$tmp/out/$name.err" >&2
		fail "$name: sanitizer report"
	fi
}
rc_of() { cat "$tmp/out/$1.rc"; }
err_of() { cat "$tmp/out/$1.err"; }

# --- 1. found, with the right relative path ---------------------------------------
cd "$w"
run plain -- ./...
expect_eq "$(cat "$tmp/out/plain.out")" "$want" "the planted context.Background() is found, path relative to the module root"
expect_eq "$(rc_of plain)" 0 "exit 0: fail_on defaults to never"
expect_eq "$(err_of plain)" "golive check: 1 finding in 1 file (1 package)" "summary line"
run tests -- --tests
expect_eq "$(tail -n 1 "$tmp/out/tests.err")" "golive check: 1 finding in 2 files (1 package)" "--tests reads main_test.go too"
cd "$tmp"
run parent -- ./w
expect_eq "$(cat "$tmp/out/parent.out")" "w/$want" "from the parent directory: w/main.go"
mkdir -p "$w/internal/deep"
cd "$w/internal/deep"
run deep -- example.com/webapp
expect_eq "$(cat "$tmp/out/deep.out")" "../../$want" "from below the module root: ../../main.go"
cd "$w"
run importpath TOOLEXEC_IMPORTPATH=example.com/bogus -- example.com/webapp
expect_eq "$(cat "$tmp/out/importpath.out")" "$want" "TOOLEXEC_IMPORTPATH in the environment changes nothing"

# --- 2. packages go list cannot load ------------------------------------------------
run listerr -- ./... example.com/webapp/nosuchpkg
expect_eq "$(rc_of listerr)" 0 "a package that cannot be loaded is not an error"
expect_eq "$(cat "$tmp/out/listerr.out")" "$want" "the other packages are still checked"
n=$(grep -c '^golive: warning: example.com/webapp/nosuchpkg: ' "$tmp/out/listerr.err" || true)
expect_eq "$n" 1 "one warning line for it"
expect_eq "$(wc -l <"$tmp/out/listerr.err" | tr -d ' ')" 2 "nothing else but the summary on stderr"
run listerrjson -- --json ./... example.com/webapp/nosuchpkg
expect_eq "$(json_get "$tmp/out/listerrjson.out" '[sorted(e) for e in d["errors"]] == [["message", "package"]] and d["errors"][0]["package"]')" \
	"example.com/webapp/nosuchpkg" "--json lists it under errors"

# --- 3. exit status -----------------------------------------------------------------
status() { # status NAME WANT DESCRIPTION -- ARGS
	local name=$1 want=$2 desc=$3
	shift 4
	run "$name" -- "$@"
	expect_eq "$(rc_of "$name")" "$want" "$desc"
}
status fw 1 "--fail-on warning: exit 1 on a warning" -- --fail-on warning
status fe 0 "--fail-on error: exit 0 on a warning" -- --fail-on=error
status fn 0 "--fail-on never: exit 0" -- --fail-on never
status fwj 1 "--fail-on with --json: exit 1 too" -- --json --fail-on warning
status fws 1 "--fail-on with --sarif: exit 1 too" -- --sarif --fail-on warning

printf 'analyzers:\n  fail_on: warning\n' >golive.yaml
status yw 1 "analyzers.fail_on: warning in golive.yaml: exit 1" --
status ywn 0 "--fail-on never beats golive.yaml" -- --fail-on never
printf 'analyzers:\n  fail_on: error\n  httpctx: { severity: error }\n' >golive.yaml
status ye 1 "httpctx raised to error with fail_on: error: exit 1" --
printf 'analyzers:\n  fail_on: warning\n  httpctx: off\n' >golive.yaml
status yoff 0 "httpctx off: no finding, exit 0" --
expect_eq "$(cat "$tmp/out/yoff.out")" "" "a disabled analyzer reports nothing"
mkdir -p "$tmp/cfg"
printf 'analyzers:\n  fail_on: warning\n' >"$tmp/cfg/strict.yaml"
rm golive.yaml
status cfgflag 1 "--config FILE is read" -- --config "$tmp/cfg/strict.yaml"
rc=0
GOLIVE_CONFIG=$tmp/cfg/strict.yaml "$GOLIVE" check >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 1 "GOLIVE_CONFIG is read"

one_line_error() { # one_line_error NAME WANT_REGEXP DESCRIPTION
	expect_eq "$(rc_of "$1")" 2 "$3: exit 2"
	[ "$(wc -l <"$tmp/out/$1.err" | tr -d ' ')" = 1 ] || fail "$3: want one line, got: $(err_of "$1")"
	grep -qE "$2" "$tmp/out/$1.err" || fail "$3: got [$(err_of "$1")], want /$2/"
	[ ! -s "$tmp/out/$1.out" ] || fail "$3: printed on stdout: $(cat "$tmp/out/$1.out")"
	pass "$3: one line naming the cause"
}
printf 'analyzers:\n  fail_on: sometimes\n' >golive.yaml
run badyaml --
one_line_error badyaml '^golive\.yaml:2:12: ' "a bad value in golive.yaml"
printf 'analyzers:\n  httpctx: on\nbogus: 1\n' >golive.yaml
run badkey --
one_line_error badkey '^golive\.yaml:3:1: .*bogus' "an unknown key in golive.yaml"
cat >golive.yaml <<'EOF'
rules:
  - id: bad-query
    query: (call_expresion) @c
    message: nope
EOF
run badrule --
one_line_error badrule '^golive\.yaml:3:[0-9]+: rules\[0\] \(bad-query\): invalid query' "a rule query that does not compile"
rm golive.yaml
run badopt -- --frobnicate
one_line_error badopt 'unknown option --frobnicate' "an unknown option"
run badfail -- --fail-on sometimes
one_line_error badfail 'fail-on' "a bad --fail-on"
run badj -- -j 0
one_line_error badj '\-j' "a bad -j"
run both -- --json --sarif
one_line_error both 'json.*sarif' "--json with --sarif"
run nocfg -- --config "$tmp/nonexistent.yaml"
one_line_error nocfg 'nonexistent\.yaml' "a missing --config file"
mkdir -p "$tmp/nomod"
cd "$tmp/nomod"
run nomod -- ./...
expect_eq "$(rc_of nomod)" 2 "no module, no Go file under ./...: nothing could be loaded, exit 2"
grep -qx 'golive: warning: \./\.\.\.: matched no packages' "$tmp/out/nomod.err" || fail "no warning naming the cause: $(err_of nomod)"
grep -qx 'golive: error: golive check: nothing to analyse: no package could be loaded' "$tmp/out/nomod.err" ||
	fail "no final error line: $(err_of nomod)"
pass "go's reason, then why golive stops"
cd "$w"
run nogo PATH=/nonexistent -- ./...
expect_eq "$(rc_of nogo)" 127 "go not on PATH for a module's ./...: exit 127"
run nogodir PATH=/nonexistent -- .
expect_eq "$(rc_of nogodir)" 0 "a plain directory needs no go"
expect_eq "$(cat "$tmp/out/nogodir.out")" "$want" "and finds the same"

# --- 4. a user rule ---------------------------------------------------------------
cat >golive.yaml <<'EOF'
rules:
  - id: no-panic-in-handler
    query: |
      (call_expression
        function: (identifier) @fn (#eq? @fn "panic")) @call
    message: "panic in a handler ({{fn}}): return an error status instead"
    severity: error
    scope: handler
analyzers:
  fail_on: error
EOF
cat >panics.go <<'EOF'
package main

import "net/http"

func panicky(w http.ResponseWriter, r *http.Request) {
	panic("boom")
}

func notAHandler() {
	panic("fine")
}
EOF
run rule --
expect_eq "$(rc_of rule)" 1 "a user rule at severity error with fail_on: error: exit 1"
expect_eq "$(grep -c . "$tmp/out/rule.out")" 2 "the rule's finding and httpctx's"
grep -qx 'panics.go:6:2: \[no-panic-in-handler\] panic in a handler (panic): return an error status instead' "$tmp/out/rule.out" ||
	fail "the rule's finding: $(cat "$tmp/out/rule.out")"
pass "the rule reports under its id, with the capture quoted"
rm golive.yaml panics.go

# A file name with newlines cannot forge a finding line: it is printed Go-quoted.
d=$tmp/forge
mkdir -p "$d"
name=$'h.go\nmain.go:1:1: [httpctx] FAKE\nz.go'
printf 'package forge\n\nimport (\n\t"context"\n\t"net/http"\n)\n\nfunc H(w http.ResponseWriter, r *http.Request) { _ = context.Background() }\n' >"$d/$name"
rc=0
"$GOLIVE" check "$d" >"$tmp/out/forge.out" 2>"$tmp/out/forge.err" || rc=$?
expect_eq "$(grep -c '^main.go:1:1: \[httpctx\] FAKE' "$tmp/out/forge.out" || true)" 0 "no forged finding line"
expect_eq "$(grep -c . "$tmp/out/forge.out")" 1 "one finding, on one line"
grep -q '^"[^ ]*h.go\\nmain.go:1:1: \[httpctx\] FAKE\\nz.go":8:' "$tmp/out/forge.out" ||
	fail "the path is not quoted: $(cat -A "$tmp/out/forge.out")"
pass "the path is Go-quoted, escapes and all"

finish
