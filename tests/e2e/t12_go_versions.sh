#!/usr/bin/env bash
# t12_go_versions: which Go golive works with, and one clear line otherwise
# (docs/go-versions.md):
#  - golive version says the go on PATH is supported (go1.19 to go1.26), for
#    Go 1.26 and for Debian's go1.19 (the oldest end);
#  - a toolchain older than go1.19 is refused by golive build, check, dev and
#    verify --rebuild with exit 3 and one line naming it; a newer one than
#    go1.26 builds, with one warning;
#  - a go.mod whose go line is newer than the toolchain, under
#    GOTOOLCHAIN=local: one line naming go.mod:LINE, exit 3, go never run;
#  - a go.mod toolchain line under GOTOOLCHAIN=auto: one warning that go
#    switches (GOPROXY=off here: go's own download error follows, no network).
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/out"
realgo=$(command -v go)

# --- 1. golive version -----------------------------------------------------------------
"$GOLIVE" version >"$tmp/out/v" 2>&1 || fail "golive version failed: $(cat "$tmp/out/v")"
grep -q "^go: supported (golive supports go1.19 to go1.26)$" "$tmp/out/v" || fail "golive version: $(cat "$tmp/out/v")"
pass "golive version: $(go env GOVERSION) is supported"
old=/usr/lib/go-1.19/bin
if [ -x "$old/go" ]; then
	PATH=$old:$PATH "$GOLIVE" version >"$tmp/out/v19" 2>&1 || fail "golive version (go1.19) failed"
	grep -q "^go: go version go1.19" "$tmp/out/v19" || fail "go1.19 not first on PATH: $(cat "$tmp/out/v19")"
	grep -q "^go: supported " "$tmp/out/v19" || fail "go1.19 not supported: $(cat "$tmp/out/v19")"
	pass "golive version: Debian's go1.19, the oldest end, is supported"
else
	fail "Debian's go1.19 is missing ($old/go): scripts/bootstrap installs golang-go"
fi

# fake_goroot DIR VERSION: a GOROOT whose VERSION file says VERSION and whose
# bin/go runs the real go (what an old or future toolchain looks like to
# golive, which reads VERSION and never runs go to decide).
fake_goroot() {
	mkdir -p "$1/bin"
	printf '%s\ntime 2026-12-01T00:00:00Z\n' "$2" >"$1/VERSION"
	printf '#!/bin/sh\nexec %s "$@"\n' "$realgo" >"$1/bin/go"
	chmod +x "$1/bin/go"
}

w=$tmp/webapp
copy_webapp "$w"
cd "$w"

# --- 2. too old: refused by every command that runs go ----------------------------------
fake_goroot "$tmp/go118" go1.18.10
for c in "build -o $tmp/app ." "check ./..." "dev" "verify --rebuild ."; do
	rc=0
	# shellcheck disable=SC2086
	PATH=$tmp/go118/bin:$PATH timeout 60 "$GOLIVE" $c >"$tmp/out/old.out" 2>"$tmp/out/old.err" </dev/null || rc=$?
	expect_eq "$rc" 3 "golive ${c%% *} with go1.18: exit 3"
	expect_eq "$(grep -vc '^golive: profile ' "$tmp/out/old.err")" 1 "golive ${c%% *} with go1.18: one line (dev names its profile first)"
	grep -q "^golive: error: $tmp/go118/bin/go is go1.18.10, older than the oldest Go golive supports (go1.19)" "$tmp/out/old.err" ||
		fail "golive ${c%% *} with go1.18: $(cat "$tmp/out/old.err")"
done
pass "go1.18 is refused with one line naming the toolchain"

# --- 3. newer than tested: one warning, the build goes on -------------------------------
fake_goroot "$tmp/go127" go1.27.0
rc=0
PATH=$tmp/go127/bin:$PATH "$GOLIVE" build -o "$tmp/app" . >"$tmp/out/new.out" 2>"$tmp/out/new.err" || rc=$?
expect_eq "$rc" 0 "golive build with a go1.27 toolchain builds"
n=$(grep -c "go1.27.0 is newer than the newest Go golive is tested with (go1.26)" "$tmp/out/new.err" || true)
expect_eq "$n" 1 "one warning for a toolchain newer than tested"
rc=0
PATH=$tmp/go127/bin:$PATH "$GOLIVE" build --quiet -o "$tmp/app" . >"$tmp/out/newq.out" 2>"$tmp/out/newq.err" || rc=$?
expect_eq "$rc:$(cat "$tmp/out/newq.err")" "0:" "golive build --quiet: no warning"

# --- 4. go.mod asks for a newer Go, GOTOOLCHAIN=local ------------------------------------
printf 'module example.com/webapp\n\n// a comment\ngo 1.99\n' >go.mod
if ! go_at_least 1.21; then
	# Before Go 1.21 the go line is advisory and there is no GOTOOLCHAIN: go builds.
	rc=0
	GOTOOLCHAIN=local "$GOLIVE" build -o "$tmp/app" . >"$tmp/out/adv.out" 2>"$tmp/out/adv.err" || rc=$?
	expect_eq "$rc" 0 "$(go env GOVERSION): a go 1.99 line is advisory, golive build builds"
	n=$(grep -c 'go.mod' "$tmp/out/adv.err" || true)
	expect_eq "$n" 0 "$(go env GOVERSION): golive says nothing about go.mod"
	finish
	exit 0
fi
for c in "build -o $tmp/app ." "check ./..." "dev"; do
	rc=0
	# shellcheck disable=SC2086
	GOTOOLCHAIN=local timeout 60 "$GOLIVE" $c >"$tmp/out/mod.out" 2>"$tmp/out/mod.err" </dev/null || rc=$?
	expect_eq "$rc" 3 "golive ${c%% *}, go.mod go 1.99, GOTOOLCHAIN=local: exit 3"
	expect_eq "$(grep -vc '^golive: profile ' "$tmp/out/mod.err")" 1 "golive ${c%% *}: one line"
	grep -q "^golive: error: $w/go.mod:4 asks for go 1.99, newer than the go on PATH ($(go env GOVERSION)" "$tmp/out/mod.err" ||
		fail "golive ${c%% *}: $(cat "$tmp/out/mod.err")"
	grep -q "GOTOOLCHAIN=local forbids switching; install Go 1.99 or newer, or set GOTOOLCHAIN=auto$" "$tmp/out/mod.err" ||
		fail "golive ${c%% *}: no remedy: $(cat "$tmp/out/mod.err")"
done
pass "go.mod newer than the toolchain under GOTOOLCHAIN=local: one line naming go.mod:4"
printf 'module example.com/webapp\n\ngo one point nineteen\n' >go.mod
rc=0
"$GOLIVE" build -o "$tmp/app" . >"$tmp/out/bad.out" 2>"$tmp/out/bad.err" || rc=$?
expect_eq "$rc" 3 "a go line that is no version: exit 3"
grep -q "^golive: error: $w/go.mod:3: go version \"one\" is not a Go version$" "$tmp/out/bad.err" || fail "bad go line: $(cat "$tmp/out/bad.err")"
pass "a go line that is no version: named with its line"

# --- 5. a toolchain line under GOTOOLCHAIN=auto: go switches, golive says so -------------
printf 'module example.com/webapp\n\ngo 1.19\n\ntoolchain go1.99.1\n' >go.mod
rc=0
GOTOOLCHAIN=auto GOPROXY=off "$GOLIVE" build -o "$tmp/app" . >"$tmp/out/sw.out" 2>"$tmp/out/sw.err" || rc=$?
grep -q "^golive: warning: $w/go.mod:5 asks for go1.99.1; go switches to that toolchain (GOTOOLCHAIN=auto)" "$tmp/out/sw.err" ||
	fail "no switch warning: $(cat "$tmp/out/sw.err")"
pass "toolchain line under GOTOOLCHAIN=auto: golive says go switches"
[ "$rc" -ne 0 ] || fail "go switched to a toolchain it cannot have downloaded (GOPROXY=off)"
grep -q "go1.99.1" "$tmp/out/sw.err" || fail "go's own error does not name the toolchain: $(cat "$tmp/out/sw.err")"
pass "go's own download error follows (GOPROXY=off: no network), status $rc"
rc=0
GOTOOLCHAIN=local "$GOLIVE" build -o "$tmp/app" . >"$tmp/out/loc.out" 2>"$tmp/out/loc.err" || rc=$?
expect_eq "$rc:$(grep -c 'toolchain\|switch' "$tmp/out/loc.err" || true)" "0:0" \
	"the same go.mod under GOTOOLCHAIN=local builds with the local go, nothing said"

finish
