#!/usr/bin/env bash
# t34_check_realcode: golive check on real Go code finishes without a crash,
# a sanitizer report or an error:
#  - GOROOT/src's module std (`./...` with the tests: ~2000 files; the
#    sanitizer build needs about a minute of CPU for them; bench/check runs
#    `std cmd` with the release build), in module mode;
#  - current gin, echo, chi and gorilla/mux from the module proxy, pinned by
#    tests/e2e/testdata/realweb's go.sum, in module mode (Go >= 1.26 only);
#  - Debian's golang-*-dev sources of the web frameworks (gin, echo, chi,
#    gorilla/mux) in GOPATH mode (GO111MODULE=off GOPATH=/usr/share/gocode),
#    also as SARIF, validated when tests/sarif's schema is installed.
# Prints the figures (files, packages, findings, seconds) of each run.
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/out"

# run NAME ARGS...: golive check ARGS in the cwd; fails on a crash or sanitizer report.
run() {
	local name=$1
	shift
	local rc=0 t0
	t0=$(date +%s%N)
	"$GOLIVE" check "$@" >"$tmp/out/$name.out" 2>"$tmp/out/$name.err" || rc=$?
	echo $((($(date +%s%N) - t0) / 1000000)) >"$tmp/out/$name.ms"
	if grep -qE 'AddressSanitizer|LeakSanitizer|runtime error|ERROR: ' "$tmp/out/$name.err"; then
		head -60 "$tmp/out/$name.err" >&2
		fail "$name: sanitizer report"
	fi
	case $rc in
	0 | 1) ;;
	*) fail "$name: exit $rc: $(tail -5 "$tmp/out/$name.err")" ;;
	esac
	pass "$name: exit $rc, no crash, no sanitizer report"
}

# figures NAME: one line of what the JSON report says.
figures() {
	json_get "$tmp/out/$1.out" '"%d files (%d generated skipped), %d packages, %d findings, %d errors" % (d["files"], d["generated"], d["packages"], len(d["diagnostics"]), len(d["errors"]))'
}

# --- 1. GOROOT/src -----------------------------------------------------------------
goroot=$(go env GOROOT)
cd "$goroot/src"
run goroot --json --tests ./...
echo "# GOROOT/src (./... --tests): $(figures goroot) in $(cat "$tmp/out/goroot.ms") ms"
expect_eq "$(json_get "$tmp/out/goroot.out" 'd["errors"]')" "[]" "GOROOT/src: no package or file errors"
n=$(json_get "$tmp/out/goroot.out" 'd["files"]')
[ "$n" -gt 1500 ] || fail "GOROOT/src: only $n files analysed"
pass "GOROOT/src: $n files analysed"
json_get "$tmp/out/goroot.out" 'all(not x["file"].startswith("/") and x["line"] > 0 and x["col"] > 0 for x in d["diagnostics"])' >"$tmp/out/goroot.ok"
expect_eq "$(cat "$tmp/out/goroot.ok")" "true" "GOROOT/src: every finding has a relative path and a position"
grep -q '^golive check: [0-9]* findings\? in [0-9]* files\? ([0-9]* packages\?)$' "$tmp/out/goroot.err" ||
	fail "GOROOT/src: no summary line: $(tail -3 "$tmp/out/goroot.err")"
pass "GOROOT/src: summary line"

# --- 1b. current gin, echo, chi, gorilla/mux from the module proxy --------------------
# tests/e2e/testdata/realweb pins them (go.sum); scripts/bootstrap filled the
# module cache, GOPROXY=off here. Their packages by import path (go list in
# module mode, files in the read-only module cache), and realweb itself.
if ! go_at_least 1.26; then
	pass "modules: skipped on $(go env GOVERSION) (realweb's go.mod needs go 1.26)"
else
cp -R "$GOLIVE_SRC/tests/e2e/testdata/realweb" "$tmp/realweb"
cd "$tmp/realweb"
mods=(github.com/gin-gonic/gin/... github.com/labstack/echo/v4/... github.com/go-chi/chi/v5/... github.com/gorilla/mux/...)
run mods --json "${mods[@]}" ./...
echo "# modules (${mods[*]} ./...): $(figures mods) in $(cat "$tmp/out/mods.ms") ms"
expect_eq "$(json_get "$tmp/out/mods.out" 'd["errors"]')" "[]" "modules: no package or file errors"
n=$(json_get "$tmp/out/mods.out" 'd["packages"]')
want=$(go list "${mods[@]}" ./... | wc -l)
expect_eq "$n" "$want" "modules: every package go list names is analysed ($want)"
n=$(json_get "$tmp/out/mods.out" 'len([x for x in d["diagnostics"] if x["file"].startswith("main.go")])')
expect_eq "$n" 0 "realweb's own handlers (gin, echo, chi, mux) have no finding"
n=$(json_get "$tmp/out/mods.out" 'd["files"]')
[ "$n" -gt 100 ] || fail "modules: only $n files analysed"
pass "modules: $n files analysed"
fi

# --- 2. Debian's gocode in GOPATH mode -------------------------------------------------
gocode=/usr/share/gocode
pkgs=()
for p in github.com/gin-gonic/gin github.com/labstack/echo github.com/go-chi/chi github.com/gorilla/mux; do
	[ -d "$gocode/src/$p" ] && pkgs+=("$p/...")
done
if [ ${#pkgs[@]} -eq 0 ]; then
	fail "no Debian web framework sources under $gocode/src (apt-get install golang-github-gin-gonic-gin-dev golang-github-labstack-echo-dev golang-github-go-chi-chi-dev golang-github-gorilla-mux-dev)"
fi
cd "$gocode/src"
export GO111MODULE=off GOPATH=$gocode
run gocode --json --tests "${pkgs[@]}"
echo "# gocode (${pkgs[*]}): $(figures gocode) in $(cat "$tmp/out/gocode.ms") ms"
n=$(json_get "$tmp/out/gocode.out" 'd["files"]')
[ "$n" -gt 50 ] || fail "gocode: only $n files analysed"
pass "gocode (GOPATH mode): $n files analysed"
expect_eq "$(json_get "$tmp/out/gocode.out" 'd["errors"]')" "[]" "gocode: no package or file errors"

run gocodesarif --sarif --tests "${pkgs[@]}"
schema=$GOLIVE_SRC/tests/sarif/node_modules/@microsoft/jest-sarif/lib/schemas/sarif-2.1.0-rtm.5.json
py=
for p in python3 /usr/bin/python3; do
	if "$p" -c 'import jsonschema' 2>/dev/null; then
		py=$p
		break
	fi
done
if [ -f "$schema" ] && [ -n "$py" ]; then
	"$py" - "$schema" "$tmp/out/gocodesarif.out" <<'EOF' || fail "gocode: the SARIF log does not validate"
import json, sys, jsonschema
v = jsonschema.Draft4Validator(json.load(open(sys.argv[1])))
errs = list(v.iter_errors(json.load(open(sys.argv[2]))))
for e in errs[:10]:
    print("/".join(map(str, e.path)), e.message)
sys.exit(1 if errs else 0)
EOF
	pass "gocode: the SARIF log validates"
else
	pass "gocode: SARIF schema or python3-jsonschema missing, validation left to t33"
fi
expect_eq "$(json_get "$tmp/out/gocodesarif.out" 'len(d["runs"][0]["results"])')" \
	"$(json_get "$tmp/out/gocode.out" 'len(d["diagnostics"])')" "gocode: SARIF and JSON report the same findings"

finish
