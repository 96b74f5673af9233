#!/usr/bin/env bash
# t51_hostile_files: a checked-out repository cannot hang golive with files
# that are not regular files (issue 15, item 5). Each case runs under
# `timeout 20`, so a regression fails here instead of hanging the suite:
#  - golive.yaml a symlink to /dev/zero, then a FIFO: golive build, check and
#    config exit 2 with exactly one line "golive.yaml: not a regular file";
#    plain `go build -toolexec=golive` fails the compile with that line
#    (a broken golive.yaml never switches a CI gate off in silence);
#  - --config /dev/zero: one line naming /dev/zero;
#  - a golive.yaml of 64 GiB (sparse): refused at once as too large, not read
#    to its end;
#  - golive check DIR with a FIFO .go file and a symlink to /dev/zero beside a
#    real one: the real file is analysed, one line names each of the others;
#    a FIFO named on the command line: one line names it (go list, which
#    would hang on it, is never asked);
#  - the vettool given a vet.cfg that lists a FIFO: it finishes and names it.
. "$(dirname "$0")/lib.sh"

unset GOLIVE_CACHE CI GITHUB_ACTIONS || true
export GOLIVE_PROFILE=dev
m=$tmp/mod
new_module "$m" example.com/hf
cat >"$m/main.go" <<'EOF'
package main

func main() { println("hf") }
EOF
o=$tmp/out
mkdir -p "$o"
export GOCACHE=$tmp/gocache
# std warm, so that a -toolexec build only compiles the module.
(cd "$m" && go build -o /dev/null .) || fail "plain go build failed"

# run NAME cmd...: under `timeout 20`; stdout, stderr and status into $o/NAME.{out,err,rc}.
run() {
	local name=$1 rc=0
	shift
	timeout 20 "$@" >"$o/$name.out" 2>"$o/$name.err" </dev/null || rc=$?
	[ "$rc" != 124 ] || fail "$name: still running after 20 s: $*"
	echo "$rc" >"$o/$name.rc"
}

# one_line NAME STATUS TEXT: exited STATUS with exactly one stderr line holding TEXT.
one_line() {
	expect_eq "$(cat "$o/$1.rc")" "$2" "$1: exit $2"
	expect_eq "$(count_lines "$o/$1.err")" 1 "$1: exactly one line"
	grep -q -F -- "$3" "$o/$1.err" || fail "$1: got [$(cat "$o/$1.err")], want [$3]"
	pass "$1: $(cat "$o/$1.err")"
}

cd "$m"
for kind in zero fifo; do
	rm -f golive.yaml
	if [ "$kind" = zero ]; then ln -s /dev/zero golive.yaml; else mkfifo golive.yaml; fi
	for cmd in build check config; do
		run "$kind-$cmd" "$GOLIVE" "$cmd"
		one_line "$kind-$cmd" 2 "golive.yaml: not a regular file"
	done
	# Plain -toolexec: the wrapper reads golive.yaml for the main module's compile
	# (a new comment: go's cache cannot answer for it; std comes from the cache).
	echo "// $kind" >>main.go
	run "$kind-toolexec" go build -toolexec="$GOLIVE" -o /dev/null .
	[ "$(cat "$o/$kind-toolexec.rc")" != 0 ] || fail "$kind-toolexec: the build succeeded despite golive.yaml"
	grep -q "golive: .*golive.yaml: not a regular file" "$o/$kind-toolexec.err" ||
		fail "$kind-toolexec: got [$(cat "$o/$kind-toolexec.err")]"
	expect_eq "$(grep -c "not a regular file" "$o/$kind-toolexec.err")" 1 "$kind-toolexec: one line names golive.yaml"
done
rm -f golive.yaml

for cmd in build check config; do
	run "devzero-$cmd" "$GOLIVE" "$cmd" --config /dev/zero
	one_line "devzero-$cmd" 2 "/dev/zero: not a regular file"
done

truncate -s 64G golive.yaml
t0=$(date +%s)
run huge-config "$GOLIVE" config
one_line huge-config 2 "golive.yaml: larger than 1048576 bytes"
[ $(($(date +%s) - t0)) -lt 10 ] || fail "a 64 GiB golive.yaml took $(($(date +%s) - t0)) s to refuse"
pass "a 64 GiB golive.yaml is refused without being read"
rm -f golive.yaml

# golive check DIR: a plain directory (no go.mod above it) with a FIFO and /dev/zero.
d=$tmp/plain/pkg
mkdir -p "$d"
cat >"$d/ok.go" <<'EOF'
package pkg

func OK() int { return 1 }
EOF
mkfifo "$d/fifo.go"
ln -s /dev/zero "$d/zero.go"
cd "$tmp/plain"
run check-dir "$GOLIVE" check pkg
expect_eq "$(cat "$o/check-dir.rc")" 0 "check DIR: exit 0 (the regular file is analysed)"
grep -q "1 file" "$o/check-dir.err" || fail "check DIR: ok.go was not analysed: $(cat "$o/check-dir.err")"
for f in fifo.go zero.go; do
	expect_eq "$(grep -c -F "pkg/$f: not a regular file" "$o/check-dir.err")" 1 "check DIR: one line names pkg/$f"
done
expect_eq "$(grep -c -v -e "not a regular file" -e "^golive check: " "$o/check-dir.err")" 0 "check DIR: nothing else"
run check-fifo "$GOLIVE" check pkg/fifo.go
[ "$(cat "$o/check-fifo.rc")" != 0 ] || fail "check FIFO: exit 0"
expect_eq "$(grep -c -F "pkg/fifo.go: not a regular file" "$o/check-fifo.err")" 1 "check FIFO: one line names it"
run check-json "$GOLIVE" check --json pkg
expect_eq "$(json_get "$o/check-json.out" '[e["message"] for e in d["errors"] if e.get("file", "").endswith("fifo.go")]')" \
	'["not a regular file"]' "check --json: the FIFO is an error in the report"

# golive check ./...: go list would open every .go file of each package (and
# hang on a FIFO for good): the non-regular ones are hidden from it.
cd "$m"
mkdir -p sub/testdata
cat >sub/sub.go <<'EOF'
package sub

func Sub() int { return 2 }
EOF
mkfifo evil.go sub/evil.go sub/testdata/td.go
ln -s /dev/zero sub/zero.go
export TMPDIR=$tmp/tmpdir
mkdir -p "$TMPDIR"
for how in dots default parent; do
	name=check-$how
	case $how in
	dots) run "$name" "$GOLIVE" check ./... ;;
	default) run "$name" "$GOLIVE" check ;;
	parent) (cd sub && run "$name" "$GOLIVE" check ../...) ;;
	esac
	expect_eq "$(cat "$o/$name.rc")" 0 "check ($how): exit 0"
	grep -q "2 files (2 packages)" "$o/$name.err" ||
		fail "check ($how): main.go and sub.go not both analysed: $(cat "$o/$name.err")"
	for f in evil.go sub/evil.go sub/zero.go; do
		shown=$f
		if [ "$how" = parent ]; then
			case $f in sub/*) shown=${f#sub/} ;; *) shown=../$f ;; esac
		fi
		expect_eq "$(grep -c -x -F "golive: warning: $shown: not a regular file" "$o/$name.err")" 1 \
			"check ($how): one line names $shown"
	done
	expect_eq "$(grep -c -v -e "not a regular file" -e "^golive check: " "$o/$name.err")" 0 \
		"check ($how): nothing else: $(cat "$o/$name.err")"
done
expect_eq "$(find "$TMPDIR" -name 'golive-overlay-*' | wc -l)" 0 "the overlay file for go list is removed"
rm -f evil.go sub/evil.go sub/testdata/td.go sub/zero.go
unset TMPDIR
pass "golive check ./... with FIFOs and a /dev/zero link in the module: go list never blocked on them"

# The vettool: a vet.cfg (in an object directory of its own) listing a FIFO.
mkdir -p "$tmp/vetwork"
cat >"$tmp/vetwork/vet.cfg" <<EOF
{"ID":"example.com/pkg","Compiler":"gc","Dir":"$d","ImportPath":"example.com/pkg",
 "GoFiles":["$d/ok.go","$d/fifo.go"],"NonGoFiles":[],"ImportMap":{},"PackageFile":{},
 "Standard":{},"PackageVetx":{},"VetxOnly":false,"VetxOutput":"$tmp/vetwork/vet.out",
 "SucceedOnTypecheckFailure":false}
EOF
run vettool "$GOLIVE" "$tmp/vetwork/vet.cfg"
one_line vettool 0 "$d/fifo.go: not a regular file"

finish
