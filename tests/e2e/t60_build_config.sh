#!/usr/bin/env bash
# t60_build_config: golive.yaml's build section drives golive build.
#  - build.packages / build.flags / build.output are applied (bin/app at the module
#    root, -trimpath visible in the binary);
#  - --json: runs > 0, packages.graph > 0, compiled + cached == graph; a second,
#    warm build compiles nothing, reports the same graph, all of it cached;
#  - --keep / build.keep keep the session and say where; --top limits the list;
#  - golive config / config --json show the values, also from a subdirectory;
#  - command-line packages replace build.packages;
#  - golive build in a subdirectory of the module builds bin/app at the module root.
. "$(dirname "$0")/lib.sh"

m=$tmp/mod
new_module "$m" example.com/bc
mkdir -p "$m/cmd/app" "$m/cmd/other" "$m/internal/greet"
# A unique comment: the module's packages are never in go's cache yet (-trimpath
# makes their action IDs independent of the directory).
cat >"$m/internal/greet/greet.go" <<EOF
// unique: $(basename "$tmp") $(date +%s%N)
package greet

import "strings"

func Hello() string { return strings.ToUpper("hello from app") }
EOF
cat >"$m/cmd/app/main.go" <<EOF
// unique: $(basename "$tmp") $(date +%s%N)
package main

import (
	"fmt"

	"example.com/bc/internal/greet"
)

func main() { fmt.Println(greet.Hello()) }
EOF
cat >"$m/cmd/other/main.go" <<'EOF'
package main

func main() { println("other") }
EOF
cat >"$m/golive.yaml" <<'EOF'
build: {packages: [./cmd/app], flags: [-trimpath], output: bin/app}
EOF
o=$tmp/out
mkdir -p "$o"
cd "$m"

# --- first build, from the module root ----------------------------------------
rc=0
"$GOLIVE" build --json >"$o/b1.json" 2>"$o/b1.err" || rc=$?
expect_eq "$rc" 0 "golive build with golive.yaml succeeds"
[ -x "$m/bin/app" ] || fail "build.output: $m/bin/app not written ($(cat "$o/b1.err"))"
expect_eq "$("$m/bin/app")" "HELLO FROM APP" "bin/app is ./cmd/app"
if grep -q -a -F "$m" "$m/bin/app"; then fail "-trimpath from build.flags not applied: $m is in the binary"; fi
pass "build.flags applied (-trimpath: no module path in the binary)"
expect_eq "$(cat "$o/b1.err")" "" "--json: nothing on stderr for a clean build"
j() { json_get "$1" "$2"; }
expect_eq "$(j "$o/b1.json" 'd["ok"]')" true "--json: ok"
[ "$(j "$o/b1.json" 'd["runs"]')" -gt 0 ] || fail "--json: runs should be > 0"
pass "--json: runs > 0 ($(j "$o/b1.json" 'd["runs"]'))"
g1=$(j "$o/b1.json" 'd["packages"]["graph"]')
[ "$g1" -gt 5 ] || fail "--json: packages.graph should count fmt's dependencies, got $g1"
pass "--json: packages.graph = $g1"
expect_eq "$(j "$o/b1.json" 'd["packages"]["compiled"] + d["packages"]["cached"]')" "$g1" "--json: compiled + cached == graph (cold)"
[ "$(j "$o/b1.json" 'd["packages"]["compiled"]')" -ge 2 ] || fail "--json: the module's own packages were compiled"
pass "--json: the module's packages were compiled"
expect_eq "$(j "$o/b1.json" 'd["link"]["importpath"]')" example.com/bc/cmd/app "--json: link of example.com/bc/cmd/app"
expect_eq "$(j "$o/b1.json" 'd.get("session")')" null "--json without --keep: no session (absent or null)"
expect_eq "$(ls "$TMPDIR" | grep -c golive-session || true)" 0 "without --keep the session is removed"

# --- second build: warm -----------------------------------------------------------
rm -f "$m/bin/app"
rc=0
"$GOLIVE" build --json --keep >"$o/b2.json" 2>"$o/b2.err" || rc=$?
expect_eq "$rc" 0 "warm golive build succeeds"
[ -x "$m/bin/app" ] || fail "warm build: bin/app not written"
pass "warm build writes bin/app"
expect_eq "$(j "$o/b2.json" 'd["packages"]["compiled"]')" 0 "warm build: nothing compiled"
expect_eq "$(j "$o/b2.json" 'd["packages"]["graph"]')" "$g1" "warm build: same graph"
expect_eq "$(j "$o/b2.json" 'd["packages"]["cached"]')" "$g1" "warm build: the whole graph from go's cache"
expect_eq "$(j "$o/b2.json" 'd["runs"]')" 1 "warm build: one tool run (the link)"
sess=$(j "$o/b2.json" 'd["session"]')
[ -n "$sess" ] && [ -s "$sess/events.jsonl" ] || fail "--keep: session $sess has no events.jsonl"
pass "--keep: JSON names the session, its events.jsonl is there"
expect_eq "$(cat "$o/b2.err")" "golive: session kept in $sess" "--keep: says where the session is"
rm -rf "$sess"

# --- text summary, --top, build.keep ------------------------------------------
printf 'build:\n  packages: [./cmd/app]\n  flags: [-trimpath]\n  output: bin/app\n  keep: true\n  top: 1\n' >"$m/golive.yaml"
rc=0
"$GOLIVE" build -a >"$o/b3.out" 2>"$o/b3.err" || rc=$?
expect_eq "$rc" 0 "golive build -a with keep/top from golive.yaml"
grep -q '^golive: build ok in ' "$o/b3.err" || fail "no 'build ok' summary: $(cat "$o/b3.err")"
pass "text summary: build ok"
grep -q "^packages: $g1 in the build graph, $g1 compiled, 0 from go's cache" "$o/b3.err" ||
	fail "text summary with -a: want all $g1 packages compiled: $(grep '^packages' "$o/b3.err")"
pass "text summary with -a: every package of the graph compiled"
expect_eq "$(sed -n '/^slowest compiles/,/^link /p' "$o/b3.err" | grep -c '^  ')" 1 "build.top: 1 lists one slow compile"
grep -q '^golive: session kept in ' "$o/b3.err" || fail "build.keep: no 'session kept' line"
pass "build.keep: the session is kept"
rm -rf "$TMPDIR"/golive-session-*
rc=0
"$GOLIVE" build --json --top 3 -a >"$o/b4.json" 2>/dev/null || rc=$?
expect_eq "$(j "$o/b4.json" 'len(d["slowest_compiles"])')" 3 "--top 3 beats build.top"
expect_eq "$(j "$o/b4.json" 'sorted(x["wall_ns"] for x in d["slowest_compiles"])[::-1] == [x["wall_ns"] for x in d["slowest_compiles"]]')" true "slowest compiles are sorted, slowest first"
rm -rf "$TMPDIR"/golive-session-*
cat >"$m/golive.yaml" <<'EOF'
build: {packages: [./cmd/app], flags: [-trimpath], output: bin/app}
EOF

# --- golive config ------------------------------------------------------------
rc=0
"$GOLIVE" config >"$o/config.out" 2>"$o/config.err" || rc=$?
expect_eq "$rc" 0 "golive config exits 0"
expect_eq "$(head -n 1 "$o/config.out")" "# from $m/golive.yaml" "golive config names the file"
grep -q -- '- ./cmd/app' "$o/config.out" || fail "golive config: packages missing"
grep -q -- '- -trimpath' "$o/config.out" || fail "golive config: flags missing"
grep -q '^  output: bin/app' "$o/config.out" || fail "golive config: output missing"
pass "golive config prints packages, flags, output"
"$GOLIVE" config --json >"$o/config.json" || fail "golive config --json failed"
expect_eq "$(j "$o/config.json" 'd["build"]')" '{"packages": ["./cmd/app"], "flags": ["-trimpath"], "output": "bin/app", "keep": false, "top": 10}' "golive config --json: the build section"
expect_eq "$(j "$o/config.json" 'd["path"]')" "$m/golive.yaml" "golive config --json: path"
expect_eq "$(j "$o/config.json" 'd["root"]')" "$m" "golive config --json: root"
# The YAML printed by golive config is itself a valid golive.yaml with the same meaning.
mkdir -p "$tmp/roundtrip"
grep -v '^#' "$o/config.out" >"$tmp/roundtrip/golive.yaml"
"$GOLIVE" config --json --config "$tmp/roundtrip/golive.yaml" >"$o/config2.json" || fail "golive config output does not load back"
expect_eq "$(j "$o/config2.json" 'd["build"]')" "$(j "$o/config.json" 'd["build"]')" "golive config output loads back to the same values"
(cd "$m/internal/greet" && "$GOLIVE" config --json) >"$o/config3.json" || fail "golive config from a subdirectory failed"
expect_eq "$(j "$o/config3.json" 'd["path"]')" "$m/golive.yaml" "golive config from a subdirectory finds the module's golive.yaml"

# --- command-line packages replace build.packages ----------------------------
rc=0
"$GOLIVE" build --json ./cmd/other >"$o/b5.json" 2>"$o/b5.err" || rc=$?
expect_eq "$rc" 0 "golive build ./cmd/other succeeds"
expect_eq "$(j "$o/b5.json" 'd["link"]["importpath"]')" example.com/bc/cmd/other "command-line package replaces build.packages"
expect_eq "$("$m/bin/app" 2>&1)" other "build.output still applies to the command-line package"
n=$(j "$o/b5.json" '[x["importpath"] for x in d["slowest_compiles"] if x["importpath"].startswith("example.com/bc/internal")]')
expect_eq "$n" "[]" "./cmd/app's dependencies were not built"

# --- from a subdirectory of the module ---------------------------------------
rm -rf "$m/bin"
rc=0
(cd "$m/internal/greet" && "$GOLIVE" build) >"$o/b6.out" 2>"$o/b6.err" || rc=$?
expect_eq "$rc" 0 "golive build in a subdirectory succeeds ($(head -c 300 "$o/b6.err"))"
[ -x "$m/bin/app" ] || fail "golive build in a subdirectory: $m/bin/app not written"
expect_eq "$("$m/bin/app")" "HELLO FROM APP" "golive build in a subdirectory builds ./cmd/app of the module root"
[ ! -e "$m/internal/greet/bin" ] || fail "golive build in a subdirectory wrote bin/ there"
pass "nothing written in the subdirectory"

finish
