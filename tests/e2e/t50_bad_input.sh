#!/usr/bin/env bash
# t50_bad_input: bad input gives one clear line and the documented status.
#  - a broken golive.yaml (syntax error, unknown key, wrong type, duplicate key,
#    out-of-range value): golive build and golive config exit 2 with exactly one
#    stderr line "golive.yaml:LINE:COL: ..." (absolute path from a subdirectory);
#  - unknown command, unknown build option, -toolexec given to golive build: exit 2;
#  - no go on PATH: golive build exits 127 with one line, golive version still works;
#  - a session directory that cannot be created: the build still succeeds, with
#    exactly one warning line.
. "$(dirname "$0")/lib.sh"

m=$tmp/mod
new_module "$m" example.com/bi
cat >"$m/main.go" <<'EOF'
package main

func main() { println("bi") }
EOF
mkdir -p "$m/sub"
cd "$m"
o=$tmp/out
mkdir -p "$o"

# run NAME cmd...: stdout, stderr and status into $o/NAME.{out,err,rc}
run() {
	local name=$1 rc=0
	shift
	"$@" >"$o/$name.out" 2>"$o/$name.err" || rc=$?
	echo "$rc" >"$o/$name.rc"
}

# bad_config NAME YAML WANT_PREFIX WANT_TEXT: both commands reject the file.
bad_config() {
	local name=$1 yaml=$2 prefix=$3 text=$4 cmd
	printf '%s' "$yaml" >"$m/golive.yaml"
	for cmd in build config; do
		run "$name-$cmd" "$GOLIVE" "$cmd"
		expect_eq "$(cat "$o/$name-$cmd.rc")" 2 "$name: golive $cmd exits 2"
		expect_eq "$(count_lines "$o/$name-$cmd.err")" 1 "$name: golive $cmd prints exactly one line"
		local line
		line=$(cat "$o/$name-$cmd.err")
		case "$line" in
		"$prefix"*"$text"*) pass "$name: golive $cmd says $prefix ... $text" ;;
		*) fail "$name: golive $cmd: got [$line], want [$prefix ... $text]" ;;
		esac
	done
	[ ! -e "$m/bi" ] || fail "$name: a binary was built despite the bad configuration"
}

bad_config syntax $'build:\n  packages: [./x\n' "golive.yaml:3:1: yaml:" "did not find expected ',' or ']'"
bad_config unknown-key $'build:\n  keep: true\n  bogus: 1\n' "golive.yaml:3:3: " 'unknown key "bogus" in build'
bad_config unknown-top $'# comment\nbild:\n  top: 3\n' "golive.yaml:2:1: " 'unknown key "bild"'
bad_config wrong-type-int $'build:\n  top: lots\n' "golive.yaml:2:8: " 'build.top: expected an integer'
bad_config wrong-type-bool $'build:\n  keep: maybe\n' "golive.yaml:2:9: " 'build.keep: expected a boolean, got "maybe"'
bad_config wrong-type-seq $'build:\n  output: [a, b]\n' "golive.yaml:2:11: " 'build.output: expected a string'
bad_config out-of-range $'build:\n  top: 5000\n' "golive.yaml:2:8: " '"5000"'
bad_config duplicate $'build:\n  keep: true\n  keep: false\n' "golive.yaml:3:3: " 'duplicate key "keep"'
bad_config not-a-mapping $'- a\n- b\n' "golive.yaml:1:1: " 'top level must be a mapping'

# From a subdirectory the file is above the current directory: an absolute name.
printf 'build:\n  keep: true\n  kep: true\n' >"$m/golive.yaml"
(cd "$m/sub" && run sub "$GOLIVE" build)
expect_eq "$(cat "$o/sub.rc")" 2 "from a subdirectory: exit 2"
expect_eq "$(count_lines "$o/sub.err")" 1 "from a subdirectory: one line"
case "$(cat "$o/sub.err")" in
"$m/golive.yaml:3:3: unknown key \"kep\""*) pass "from a subdirectory: the absolute file name and position" ;;
*) fail "from a subdirectory: got [$(cat "$o/sub.err")], want [$m/golive.yaml:3:3: unknown key \"kep\"...]" ;;
esac
rm -f "$m/golive.yaml"

# --config naming a missing file.
run noconf "$GOLIVE" build --config "$tmp/nope.yaml"
expect_eq "$(cat "$o/noconf.rc")" 2 "--config of a missing file: exit 2"
expect_eq "$(count_lines "$o/noconf.err")" 1 "--config of a missing file: one line"
grep -q "nope.yaml" "$o/noconf.err" || fail "--config of a missing file: the file is not named"
pass "--config of a missing file names it"

# Usage errors.
run unknown-cmd "$GOLIVE" frobnicate
expect_eq "$(cat "$o/unknown-cmd.rc")" 2 "unknown command: exit 2"
expect_eq "$(count_lines "$o/unknown-cmd.err")" 1 "unknown command: one line"
grep -q frobnicate "$o/unknown-cmd.err" || fail "unknown command not named"
pass "unknown command is named"
expect_eq "$(cat "$o/unknown-cmd.out")" "" "unknown command: nothing on stdout"

run bogus "$GOLIVE" build --bogus
expect_eq "$(cat "$o/bogus.rc")" 2 "golive build --bogus: exit 2"
expect_eq "$(count_lines "$o/bogus.err")" 1 "golive build --bogus: one line"
grep -q -- --bogus "$o/bogus.err" || fail "--bogus not named"
pass "--bogus is named"

run topbad "$GOLIVE" build --top many
expect_eq "$(cat "$o/topbad.rc")" 2 "golive build --top many: exit 2"

for te in -toolexec=/bin/true "-toolexec /bin/true" --toolexec=/bin/true; do
	# shellcheck disable=SC2086
	run toolexec "$GOLIVE" build $te
	expect_eq "$(cat "$o/toolexec.rc")" 2 "golive build $te: exit 2"
	expect_eq "$(count_lines "$o/toolexec.err")" 1 "golive build $te: one line"
done
[ ! -e "$m/bi" ] || fail "a usage error still built a binary"
pass "usage errors build nothing"

# No go on PATH.
PATH=/nonexistent run nogo "$GOLIVE" build
expect_eq "$(cat "$o/nogo.rc")" 127 "no go on PATH: golive build exits 127"
expect_eq "$(count_lines "$o/nogo.err")" 1 "no go on PATH: one line"
grep -q "go toolchain not found" "$o/nogo.err" || fail "no go on PATH: got [$(cat "$o/nogo.err")]"
pass "no go on PATH: says 'go toolchain not found'"
PATH=/nonexistent run nogo-version "$GOLIVE" version
expect_eq "$(cat "$o/nogo-version.rc")" 0 "no go on PATH: golive version exits 0"
grep -q "^golive version " "$o/nogo-version.out" || fail "golive version: no version line: $(cat "$o/nogo-version.out")"
grep -q "not found" "$o/nogo-version.out" || fail "golive version: does not say go is missing"
pass "no go on PATH: golive version prints its version and that go is missing"
run version "$GOLIVE" version
grep -q "^go: go version go1" "$o/version.out" || fail "golive version does not show go's version: $(cat "$o/version.out")"
pass "golive version shows go's version"
# a go that prints control characters (an escape sequence that would retitle
# the terminal, a newline that forges a line): golive version escapes them
mkdir -p "$tmp/fakego"
printf '#!/bin/sh\nprintf "go version go1.26.0\\033]0;pwned\\007\\nforged line linux/amd64\\n"\n' >"$tmp/fakego/go"
chmod +x "$tmp/fakego/go"
PATH=$tmp/fakego:$PATH run fakego-version "$GOLIVE" version
python3 - "$o/fakego-version.out" <<'PY' || fail "golive version prints a fake go's control characters: $(od -c "$o/fakego-version.out" | head -5)"
import sys
out = open(sys.argv[1], "rb").read()
lines = out.split(b"\n")
go = [l for l in lines if l.startswith(b"go: go version")]
bad = [c for c in out if c < 0x20 and c != 0x0a] or not go or any(l.startswith(b"forged line") for l in lines)
sys.exit(1 if bad else 0)
PY
pass "golive version escapes the control characters of go's output"

# A session directory that cannot be created: build anyway, warn once.
for sd in /dev/null/x "$m/main.go"; do
	rm -f "$m/bi"
	run nosess "$GOLIVE" build --session-dir "$sd"
	expect_eq "$(cat "$o/nosess.rc")" 0 "--session-dir $sd: the build still succeeds"
	[ -x "$m/bi" ] || fail "--session-dir $sd: no binary"
	pass "--session-dir $sd: binary produced"
	expect_eq "$(grep -c -i warning "$o/nosess.err")" 1 "--session-dir $sd: exactly one warning line"
	grep -i warning "$o/nosess.err" | grep -q -- "$sd" || fail "--session-dir $sd: the warning does not name the directory"
	pass "--session-dir $sd: the warning names the directory"
done
rm -f "$m/bi"
run nosess-json "$GOLIVE" build --json --session-dir /dev/null/x
expect_eq "$(cat "$o/nosess-json.rc")" 0 "--session-dir unusable, --json: exit 0"
expect_eq "$(json_get "$o/nosess-json.out" 'd["ok"]')" true "--session-dir unusable, --json: still a JSON summary with ok=true"
expect_eq "$(grep -c -i warning "$o/nosess-json.err")" 1 "--session-dir unusable, --json: one warning"

# TMPDIR unusable: golive warns once; go cannot build either (it needs TMPDIR for $WORK),
# so golive must relay go's failure with go's status.
rc=0
TMPDIR=$m/main.go go build -o /dev/null . 2>"$o/gotmp.err" || rc=$?
TMPDIR=$m/main.go run badtmp "$GOLIVE" build -o /dev/null .
expect_eq "$(cat "$o/badtmp.rc")" "$rc" "TMPDIR a regular file: go's status ($rc)"
expect_eq "$(grep -c -i warning "$o/badtmp.err")" 1 "TMPDIR a regular file: exactly one warning"
grep -q "creating work dir" "$o/badtmp.err" || fail "TMPDIR a regular file: go's own error not relayed"
pass "TMPDIR a regular file: go's error is relayed"

[ -z "$(ls -A "$TMPDIR" | grep golive-session || true)" ] || fail "session directories left in TMPDIR"
pass "no session directory left behind"

finish
