#!/usr/bin/env bash
# t71_verify: golive verify on binaries of examples/webapp built here (docs/verify.md).
#  - the policy (defaults): plain, -trimpath, -ldflags=-s -w and CGO_ENABLED=0 are
#    clean (exit 0); -race, -tags dev, -gcflags=all=-N -l and the devpprof plugin in
#    dev (also stripped) each give their one-line violations (exit 1); --json says
#    the same; golive.yaml verify: (dwarf: forbidden, require_trimpath, allow_packages,
#    forbid_tags) changes the verdicts; a bad verify: key is exit 2 at FILE:LINE:COL;
#  - --show: its first lines are `go version -m` on every binary, then format,
#    sections, DWARF and the symbol count ("stripped" for -s -w);
#  - --rebuild: passes in the ci and prod profiles; in dev with devpprof the bytes
#    differ: "not reproducible" naming the first differing section, exit 1, and the
#    injection is reported; a failing build: its stderr, exit 2;
#  - --against: a second version adding an exported function and variable, changing
#    a function's size, a dependency's version and adding a dependency; text and
#    --json; --fail-on-change;
#  - unreadable input: a truncated binary, /bin/true (not Go), a missing file, a
#    directory: exit 2 with one line; usage errors: exit 2.
# The builds whose flags recompile std (-trimpath, -race, -gcflags=all=-N -l,
# CGO_ENABLED=0) are of a small program (tiny: fmt and os): verify reads their
# build settings, and webapp's net/http graph would make each a rebuild of it.
. "$(dirname "$0")/lib.sh"

: "${GOLIVE_DEVPPROF:?devpprof.so}"
unset GOLIVE_PROFILE CI GITHUB_ACTIONS GITLAB_CI BUILDKITE JENKINS_URL ENV GO_ENV || true

w=$tmp/webapp
copy_webapp "$w"
b=$tmp/bin
mkdir -p "$b"
# verify runs from a module of its own, so that it finds only the golive.yaml we write
c=$tmp/cfg
new_module "$c" example.com/cfg

# verify_rc OUT [args]: runs golive verify from $c; sets rc, stdout in OUT, stderr in OUT.err
verify_rc() {
	local out=$1
	shift
	set +e
	(cd "$c" && "$GOLIVE" verify "$@") >"$out" 2>"$out.err"
	rc=$?
	set -e
}

# --- binaries ------------------------------------------------------------------------------
tiny=$tmp/tiny
new_module "$tiny" example.com/tiny
printf 'package main\n\nimport (\n\t"fmt"\n\t"os"\n)\n\nfunc main() { fmt.Println("tiny", len(os.Args)) }\n' >"$tiny/main.go"
# module NAME: the main module of binary NAME
module() { case $1 in trimpath | noopt | race | nocgo) echo example.com/tiny ;; *) echo example.com/webapp ;; esac; }
gob() { # gob NAME [go build flags]: go build in the webapp copy (tiny for some, see module)
	local name=$1 dir=$w
	shift
	[ "$(module "$name")" = example.com/webapp ] || dir=$tiny
	(cd "$dir" && go build "$@" -o "$b/$name" .) 2>"$tmp/$name.build" || fail "go build $name: $(cat "$tmp/$name.build")"
}
gob plain
gob trimpath -trimpath
gob stripped "-ldflags=-s -w"
gob tagsdev -tags dev,foo
gob noopt "-gcflags=all=-N -l"
(cd "$tiny" && CGO_ENABLED=0 go build -o "$b/nocgo" .) || fail "CGO_ENABLED=0 build"
if (cd "$tiny" && go build -race -o "$b/race" .) 2>"$tmp/race.build"; then
	have_race=1
else
	have_race=0
	echo "# -race is not supported here: $(head -1 "$tmp/race.build")"
fi

pl=$tmp/pl
mkdir -p "$pl"
install -m 0644 "$GOLIVE_DEVPPROF" "$pl/devpprof.so"
cat >"$w/golive.yaml" <<EOF
plugins:
  - name: devpprof
    path: $pl/devpprof.so
    sha256: $(sha256sum "$pl/devpprof.so" | cut -d' ' -f1)
    args: { addr: "127.0.0.1:0" }
    timeout: 60s
EOF
(cd "$w" && "$GOLIVE" build --quiet --profile dev -o "$b/devpprof" .) 2>"$tmp/dp.build" || fail "devpprof build: $(cat "$tmp/dp.build")"
(cd "$w" && "$GOLIVE" build --quiet --profile dev "-ldflags=-s -w" -o "$b/devpprof-stripped" .) 2>"$tmp/dps.build" ||
	fail "devpprof stripped build: $(cat "$tmp/dps.build")"
pass "built: plain, -trimpath, -s -w, -tags dev, -N -l, CGO_ENABLED=0$([ $have_race = 1 ] && echo ", -race"), devpprof (2)"

# --- the policy, defaults ------------------------------------------------------------------
for n in plain trimpath stripped nocgo; do
	verify_rc "$tmp/v.$n" "$b/$n"
	expect_eq "$rc" 0 "$n: clean (exit 0)"
	expect_eq "$(cat "$tmp/v.$n")" "$b/$n: ok ($(go env GOVERSION), $(module "$n")): no violations" "$n: the ok line"
	[ ! -s "$tmp/v.$n.err" ] || fail "$n: stderr: $(cat "$tmp/v.$n.err")"
done

# expect_violations NAME LINE...: exit 1, exactly these lines then the count line
expect_violations() {
	local n=$1
	shift
	verify_rc "$tmp/v.$n" "$b/$n"
	expect_eq "$rc" 1 "$n: violates the policy (exit 1)"
	{
		for l in "$@"; do echo "$b/$n: $l"; done
		echo "$b/$n: $# violation$([ $# = 1 ] || echo s) of the verify policy"
	} >"$tmp/want.$n"
	expect_same_file "$tmp/v.$n" "$tmp/want.$n" "$n: the violations, one line each"
}
expect_violations tagsdev "build tag dev is forbidden (-tags=dev,foo)"
expect_violations noopt '-gcflags="all=-N -l": optimizations disabled'
if [ $have_race = 1 ]; then
	expect_violations race "build setting -race=true is forbidden"
fi
verify_rc "$tmp/v.dp" "$b/devpprof"
expect_eq "$rc" 1 "devpprof: violates the policy (exit 1)"
grep -Eq "^$b/devpprof: golive dev injection devpprof: file /.*/golive_devpprof_[0-9]+\.go$" "$tmp/v.dp" ||
	fail "devpprof: no injection line: $(cat "$tmp/v.dp")"
grep -Eq "^$b/devpprof: forbidden package net/http/pprof: symbol net/http/pprof\.Cmdline \(and [0-9]+ more\)$" "$tmp/v.dp" ||
	fail "devpprof: no pprof line: $(cat "$tmp/v.dp")"
expect_eq "$(wc -l <"$tmp/v.dp")" 3 "devpprof: the injection, the package, the count"
verify_rc "$tmp/v.dps" "$b/devpprof-stripped"
expect_eq "$rc" 1 "devpprof, stripped: still found (exit 1)"
grep -Eq "^$b/devpprof-stripped: golive dev injection devpprof: file .*/golive_devpprof_[0-9]+\.go$" "$tmp/v.dps" ||
	fail "stripped devpprof: no injection line: $(cat "$tmp/v.dps")"
grep -Eq "^$b/devpprof-stripped: forbidden package net/http/pprof: function net/http/pprof\.Cmdline in \.gopclntab \(no symbol table\) \(and [0-9]+ more\)$" "$tmp/v.dps" ||
	fail "stripped devpprof: no pprof line: $(cat "$tmp/v.dps")"

# --json: the same verdict, and what the binary holds
verify_rc "$tmp/j.dp" --json "$b/devpprof"
expect_eq "$rc" 1 "--json devpprof: exit 1"
expect_eq "$(json_get "$tmp/j.dp" '[v["rule"] for v in d["violations"]]')" '["dev_injection", "forbid_packages"]' "--json: the violations' rules"
expect_eq "$(json_get "$tmp/j.dp" '[d["ok"], d["path"], d["main"]["path"], d["format"], d["arch"], d["dwarf"]]')" \
	'[false, "example.com/webapp", "example.com/webapp", "elf", "amd64", true]' "--json: ok, path, main module, format, arch, dwarf"
expect_eq "$(json_get "$tmp/j.dp" 'd["go_version"] == "'"$(go env GOVERSION)"'" and d["settings"]["-compiler"] == "gc" and d["symbols"] > 1000 and any(s["name"] == ".text" and s["size"] > 0 for s in d["sections"])')" \
	true "--json: go version, settings, symbols, sections"
verify_rc "$tmp/j.st" --json "$b/stripped"
expect_eq "$rc" 0 "--json stripped: exit 0"
expect_eq "$(json_get "$tmp/j.st" '[d["ok"], d["violations"], d["symbols"], d["dwarf"], d["settings"]["-ldflags"]]')" \
	'[true, [], null, false, "-s -w"]' "--json stripped: ok, no symbols, no DWARF, the ldflags"

# --- the policy from golive.yaml -----------------------------------------------------------
cat >"$c/golive.yaml" <<'EOF'
verify:
  dwarf: forbidden
  require_trimpath: true
  forbid_tags: [foo]
EOF
verify_rc "$tmp/y.plain" "$b/plain"
expect_eq "$rc" 1 "verify.dwarf: forbidden, require_trimpath: plain violates"
printf '%s\n' "$b/plain: DWARF present (.debug_info) but verify.dwarf is forbidden" "$b/plain: -trimpath missing" \
	"$b/plain: 2 violations of the verify policy" >"$tmp/want.y"
expect_same_file "$tmp/y.plain" "$tmp/want.y" "... DWARF and -trimpath named"
printf 'verify:\n  require_trimpath: true\n' >"$c/golive.yaml"
verify_rc "$tmp/y.tp" "$b/trimpath"
expect_eq "$rc" 0 "require_trimpath: the -trimpath binary passes"
printf 'verify:\n  forbid_tags: [foo]\n' >"$c/golive.yaml"
verify_rc "$tmp/y.tags" "$b/tagsdev"
expect_eq "$(cat "$tmp/y.tags")" "$b/tagsdev: build tag foo is forbidden (-tags=dev,foo)
$b/tagsdev: 1 violation of the verify policy" "forbid_tags: [foo] replaces the default [dev]"
printf 'verify:\n  allow_packages: [net/http/pprof]\n  forbid_no_optimize: false\n' >"$c/golive.yaml"
verify_rc "$tmp/y.allow" "$b/devpprof"
expect_eq "$rc" 1 "allow_packages: net/http/pprof: the injection is still forbidden"
grep -q "golive dev injection devpprof" "$tmp/y.allow" && ! grep -q "forbidden package" "$tmp/y.allow" ||
	fail "allow_packages: $(cat "$tmp/y.allow")"
verify_rc "$tmp/y.noopt" "$b/noopt"
expect_eq "$rc" 0 "forbid_no_optimize: false: -N -l passes"
verify_rc "$tmp/y.cfg" --config "$c/golive.yaml" --json "$b/noopt"
expect_eq "$rc" 0 "--config FILE"
printf 'verify:\n  dwarf: stripped\n' >"$c/golive.yaml"
verify_rc "$tmp/y.bad" "$b/plain"
expect_eq "$rc" 2 "a bad verify: value: exit 2"
expect_eq "$(cat "$tmp/y.bad.err")" 'golive.yaml:2:10: verify.dwarf: expected allowed or forbidden, got "stripped"' "... at FILE:LINE:COL"
rm -f "$c/golive.yaml"

# --- --show = go version -m, then the rest -------------------------------------------------
for n in plain trimpath stripped tagsdev noopt nocgo devpprof devpprof-stripped $([ $have_race = 1 ] && echo race); do
	(cd "$c" && go version -m "$b/$n") >"$tmp/m.$n" || fail "go version -m $n"
	verify_rc "$tmp/s.$n" --show "$b/$n"
	expect_eq "$rc" 0 "--show $n: exit 0"
	head -n "$(wc -l <"$tmp/m.$n")" "$tmp/s.$n" >"$tmp/s.head.$n"
	expect_same_file "$tmp/s.head.$n" "$tmp/m.$n" "--show $n: go version -m's lines, byte for byte"
	tail -n +"$(($(wc -l <"$tmp/m.$n") + 1))" "$tmp/s.$n" | cut -f2 >"$tmp/s.tail.$n"
	expect_eq "$(tr '\n' ' ' <"$tmp/s.tail.$n")" "format sections dwarf symbols " "--show $n: then format, sections, dwarf, symbols"
done
expect_eq "$(grep -P '^\tsymbols\t' "$tmp/s.stripped" | cut -f3)" stripped "--show: -s -w is stripped"
expect_eq "$(grep -P '^\tdwarf\t' "$tmp/s.stripped" | cut -f3)" no "--show: -s -w has no DWARF"
expect_eq "$(grep -P '^\tdwarf\t' "$tmp/s.plain" | cut -f3)" yes "--show: plain has DWARF"
expect_eq "$(grep -P '^\tformat\t' "$tmp/s.plain" | cut -f3)" "elf amd64" "--show: the format"
[ "$(grep -P '^\tsymbols\t' "$tmp/s.plain" | cut -f3)" -gt 1000 ] || fail "--show: plain's symbol count"
expect_eq "$(grep -P '^\tsections\t' "$tmp/s.plain" | cut -f3)" "$(readelf -S -W "$b/plain" | grep -c '^ *\[ *[1-9][0-9]*\]')" "--show: the section count (readelf)"

# --- unreadable input ----------------------------------------------------------------------
head -c 1000 "$b/plain" >"$b/truncated"
verify_rc "$tmp/u.trunc" "$b/truncated"
expect_eq "$rc" 2 "a truncated binary: exit 2"
expect_eq "$(wc -l <"$tmp/u.trunc.err")" 1 "... one line"
grep -q "^golive: error: $b/truncated: .*past the end of the file" "$tmp/u.trunc.err" || fail "truncated: $(cat "$tmp/u.trunc.err")"
[ ! -s "$tmp/u.trunc" ] || fail "truncated: stdout: $(cat "$tmp/u.trunc")"
verify_rc "$tmp/u.true" /bin/true
expect_eq "$rc" 2 "/bin/true: exit 2"
expect_eq "$(cat "$tmp/u.true.err")" "golive: error: /bin/true: not a Go binary (no build info)" "/bin/true: not a Go binary"
verify_rc "$tmp/u.true" --show /bin/true
expect_eq "$rc" 2 "--show /bin/true: exit 2"
verify_rc "$tmp/u.none" "$b/nosuch"
expect_eq "$rc" 2 "a missing file: exit 2"
expect_eq "$(wc -l <"$tmp/u.none.err")" 1 "... one line"
verify_rc "$tmp/u.dir" "$b"
expect_eq "$rc" 2 "a directory: exit 2"
expect_eq "$(wc -l <"$tmp/u.dir.err")" 1 "... one line"
printf 'not an ELF file at all\n' >"$b/text"
verify_rc "$tmp/u.text" --against "$b/plain" "$b/text"
expect_eq "$rc" 2 "--against with a text file: exit 2"
for args in "" "--show" "$b/plain $b/plain" "--against $b/plain" "--bogus $b/plain" "--show --against $b/plain $b/plain" \
	"--profile ci $b/plain" "-race $b/plain" "--fail-on-change $b/plain"; do
	# shellcheck disable=SC2086
	verify_rc "$tmp/u.usage" $args
	expect_eq "$rc" 2 "usage error: golive verify $args"
done

# --- --rebuild -----------------------------------------------------------------------------
rm -f "$w/golive.yaml"
for p in ci prod; do
	set +e
	(cd "$w" && "$GOLIVE" verify --rebuild --profile "$p" .) >"$tmp/r.$p" 2>"$tmp/r.$p.err"
	rc=$?
	set -e
	expect_eq "$rc" 0 "--rebuild --profile $p: reproducible (exit 0)"
	grep -Eq "^reproducible: go build and golive build \(profile $p, from --profile\) give the same $(stat -c %s "$b/plain") bytes$" "$tmp/r.$p" ||
		fail "--rebuild $p: $(cat "$tmp/r.$p" "$tmp/r.$p.err")"
done
set +e
(cd "$tiny" && "$GOLIVE" verify --rebuild --json --profile ci -trimpath .) >"$tmp/r.json" 2>"$tmp/r.json.err"
rc=$?
set -e
expect_eq "$rc" 0 "--rebuild --json -trimpath: exit 0"
expect_eq "$(json_get "$tmp/r.json" '[d["reproducible"], d["profile"], d["go_size"] == d["golive_size"], d["difference"], d["violations"]]')" \
	'[true, "ci", true, null, []]' "--rebuild --json: reproducible, the same size, no violations"
# the forced difference: devpprof in dev injects code into golive's build only
cat >"$w/golive.yaml" <<EOF
plugins:
  - name: devpprof
    path: $pl/devpprof.so
    sha256: $(sha256sum "$pl/devpprof.so" | cut -d' ' -f1)
    args: { addr: "127.0.0.1:0" }
    timeout: 60s
EOF
set +e
(cd "$w" && "$GOLIVE" verify --rebuild --profile dev .) >"$tmp/r.dev" 2>"$tmp/r.dev.err"
rc=$?
set -e
expect_eq "$rc" 1 "--rebuild --profile dev with devpprof: not reproducible (exit 1)"
grep -Eq '^not reproducible: first difference at offset 0x[0-9a-f]+ .*(in section|first differing section) \.[a-z]' "$tmp/r.dev" ||
	fail "--rebuild dev: no section named: $(cat "$tmp/r.dev" "$tmp/r.dev.err")"
pass "--rebuild: $(head -1 "$tmp/r.dev" | cut -c1-120)"
grep -q '^golive build: golive dev injection devpprof: file ' "$tmp/r.dev" || fail "--rebuild dev: the injection is not reported"
set +e
(cd "$w" && "$GOLIVE" verify --rebuild --json --profile dev .) >"$tmp/r.devj" 2>/dev/null
set -e
expect_eq "$(json_get "$tmp/r.devj" '[d["reproducible"], d["difference"]["first_section"].startswith("."), d["violations"][0]["rule"]]')" \
	'[false, true, "dev_injection"]' "--rebuild --json dev: the difference and the violation"
rm -f "$w/golive.yaml"
set +e
(cd "$w" && "$GOLIVE" verify --rebuild --profile ci ./nosuch) >"$tmp/r.fail" 2>"$tmp/r.fail.err"
rc=$?
set -e
expect_eq "$rc" 2 "--rebuild of a package that does not build: exit 2"
grep -q 'nosuch' "$tmp/r.fail.err" && grep -q '^golive: error: golive verify --rebuild: go build failed (exit status 1)$' "$tmp/r.fail.err" ||
	fail "--rebuild failure: $(cat "$tmp/r.fail.err")"
pass "... go's stderr shown, then one line"
set +e
(cd "$w" && "$GOLIVE" verify --rebuild --profile ci -o x .) >/dev/null 2>"$tmp/r.o.err"
rc=$?
set -e
expect_eq "$rc" 2 "--rebuild -o: exit 2 (verify chooses the outputs)"
left=$(find "$TMPDIR" -maxdepth 1 -name 'golive-verify-*')
[ -z "$left" ] || fail "--rebuild left temporary directories: $left"
pass "--rebuild leaves no temporary directory"

# --- --against -----------------------------------------------------------------------------
ab=$tmp/ab
mkdir -p "$ab/lib" "$ab/lib2"
printf 'module example.com/lib\n\ngo 1.19\n' >"$ab/lib/go.mod"
printf 'package lib\n\n// Name is used by webapp.\nfunc Name() string { return "lib" }\n' >"$ab/lib/lib.go"
printf 'module example.com/lib2\n\ngo 1.19\n' >"$ab/lib2/go.mod"
printf 'package lib2\n\n// N is used by webapp v2.\nfunc N() int { return 2 }\n' >"$ab/lib2/lib2.go"
cp -R "$w" "$ab/v1"
printf 'module example.com/webapp\n\ngo 1.19\n\nrequire example.com/lib v1.0.0\n\nreplace example.com/lib => ../lib\n' >"$ab/v1/go.mod"
cat >"$ab/v1/extra.go" <<'EOF'
package main

import "example.com/lib"

// Describe is exported API of the program.
//
//go:noinline
func Describe() string { return "webapp " + lib.Name() }

// Grows is bigger in v2.
//
//go:noinline
func Grows(a, b int) int { return a*b + a - b*7 }

var keep = Describe() + string(rune(Grows(1, 2)))
EOF
cp -R "$ab/v1" "$ab/v2"
printf 'module example.com/webapp\n\ngo 1.19\n\nrequire (\n\texample.com/lib v1.1.0\n\texample.com/lib2 v0.1.0\n)\n\nreplace example.com/lib => ../lib\n\nreplace example.com/lib2 => ../lib2\n' >"$ab/v2/go.mod"
sed -i 's/return a\*b + a - b\*7/return a*b*b + a - b*7 + a*a*a - 3*b*a/; s|^import "example.com/lib"|import (\n\t"example.com/lib"\n\t"example.com/lib2"\n)|' "$ab/v2/extra.go"
cat >>"$ab/v2/extra.go" <<'EOF'

// Added is new in v2.
//
//go:noinline
func Added() int { return len(keep) + lib2.N() }

// Counter is a new exported variable.
var Counter = Added()
EOF
(cd "$ab/v1" && go build -o "$b/v1" .) || fail "build v1"
(cd "$ab/v2" && go build -o "$b/v2" .) || fail "build v2"
verify_rc "$tmp/a.txt" --against "$b/v1" "$b/v2"
expect_eq "$rc" 0 "--against: exit 0 (differences are not failures)"
cat >"$tmp/want.a" <<EOF
symbol added: main.Added (T, $(go tool nm -size "$b/v2" | awk '$4 == "main.Added" { print $2 }') bytes)
symbol added: main.Counter (B, 8 bytes)
symbol size changed: main.Grows (T, $(go tool nm -size "$b/v1" | awk '$4 == "main.Grows" { print $2 }') -> $(go tool nm -size "$b/v2" | awk '$4 == "main.Grows" { print $2 }') bytes)
dependency added: example.com/lib2 v0.1.0 => ../lib2 (devel)
dependency changed: example.com/lib v1.0.0 => ../lib (devel) -> v1.1.0 => ../lib (devel)
$b/v1 -> $b/v2: 5 differences (exported symbols: 2 added, 0 removed, 1 changed in size; dependencies: 1 added, 0 removed, 1 changed)
EOF
expect_same_file "$tmp/a.txt" "$tmp/want.a" "--against: symbols added and resized, dependencies added and changed"
verify_rc "$tmp/a.rev" --against --fail-on-change "$b/v2" "$b/v1"
expect_eq "$rc" 1 "--against --fail-on-change: exit 1 on a difference"
grep -q '^symbol removed: main.Added (T, ' "$tmp/a.rev" && grep -q '^dependency removed: example.com/lib2 v0.1.0 => ../lib2 (devel)$' "$tmp/a.rev" ||
	fail "--against reversed: $(cat "$tmp/a.rev")"
pass "... reversed: removed"
verify_rc "$tmp/a.same" --against --fail-on-change "$b/v1" "$b/v1"
expect_eq "$rc" 0 "--against a binary and itself: exit 0"
expect_eq "$(cat "$tmp/a.same")" "$b/v1 -> $b/v1: no differences" "... no differences"
verify_rc "$tmp/a.json" --against --json "$b/v1" "$b/v2"
expect_eq "$rc" 0 "--against --json: exit 0"
expect_eq "$(json_get "$tmp/a.json" 'sorted(d.keys())')" '["deps", "differences", "go_version", "main_module", "new", "old", "symbols"]' "--against --json: its keys"
expect_eq "$(json_get "$tmp/a.json" '[d["differences"], [s["name"] for s in d["symbols"]["added"]], [s["name"] for s in d["symbols"]["changed"]], d["deps"]["added"][0]["path"], d["deps"]["changed"][0]["new_version"], d["go_version"]["changed"], d["main_module"]["changed"], d["symbols"]["compared"]]')" \
	'[5, ["main.Added", "main.Counter"], ["main.Grows"], "example.com/lib2", "v1.1.0 => ../lib (devel)", false, false, true]' "--against --json: the same differences"
verify_rc "$tmp/a.strip" --against "$b/plain" "$b/stripped"
expect_eq "$rc" 0 "--against a stripped binary: exit 0"
grep -q "^symbols not compared: $b/stripped has no symbol table (stripped)$" "$tmp/a.strip" || fail "stripped: $(cat "$tmp/a.strip")"
pass "... symbols not compared, said so"
finish
