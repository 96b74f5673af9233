#!/usr/bin/env bash
# t39_httpctx_crossfile: httpctx's one step into the other files of the
# package (tests/data/httpctx/crossfile as a module), the same through every
# way golive analyses a package:
#  - golive check ./... (go list), the plain directory, and --tests (the
#    handlers_x_test.go of package crossfile_test stays another package):
#    the four calls of handlers.go into store.go and tools.go, each naming
#    the chain with the declaring file and line, and none of the trackers'
#    false positives;
#  - a single file given alone is its own package: nothing to follow;
#  - golive build (the wrapper, through golive's analysis cache) and
#    go vet -vettool=golive report the same four;
#  - after store.go alone changes (loadUser takes a context), the rebuilt
#    package drops that finding: the cache key covers every file of the
#    package, and nothing stale is replayed.
. "$(dirname "$0")/lib.sh"


m=$tmp/xf
mkdir -p "$m"
cp "$GOLIVE_SRC"/tests/data/httpctx/crossfile/*.go "$m/"
chmod -R u+w "$m"
printf 'module example.com/xf\n\ngo 1.22\n' >"$m/go.mod"
cd "$m"

want='handlers.go:18:6: [httpctx] loadUser drops the request'"'"'s context: user → loadUser (store.go:20) → context.Background(); give loadUser a context.Context parameter and pass it r.Context()
handlers.go:19:6: [httpctx] count drops the request'"'"'s context: user → count (store.go:32) → s.db.QueryRow; give count a context.Context parameter and pass it r.Context()
handlers.go:20:2: [httpctx] runTool drops the request'"'"'s context: user → runTool (tools.go:10) → exec.Command; give runTool a context.Context parameter and pass it r.Context()
handlers.go:21:6: [httpctx] lookup drops the request'"'"'s context: user → lookup (tools.go:13) → net.LookupHost; give lookup a context.Context parameter and pass it r.Context()'

# the lines the fixture's `// want` comments name are the lines reported
wantlines=$(grep -n '// want' handlers.go | cut -d: -f1 | sed 's/^/handlers.go:/' | tr '\n' ' ')
expect_eq "$(printf '%s\n' "$want" | cut -d: -f1,2 | tr '\n' ' ')" "$wantlines" "the expected findings are the fixture's // want lines"

rc=0
"$GOLIVE" check ./... >"$tmp/pkgs.txt" 2>"$tmp/pkgs.err" || rc=$?
expect_eq "$rc" 0 "check ./... exits 0 (warnings)"
expect_eq "$(cat "$tmp/pkgs.txt")" "$want" "check ./... (go list): the four calls into other files, with their chains"
"$GOLIVE" check --tests ./... >"$tmp/tests.txt" 2>&1 || true
expect_eq "$(grep -c '\[httpctx\]' "$tmp/tests.txt")" 4 "--tests: package crossfile_test's Close is another package's"
"$GOLIVE" check "$m" >"$tmp/dir.txt" 2>&1 || true
expect_eq "$(grep '\[httpctx\]' "$tmp/dir.txt" | sed "s|^$m/||")" "$want" "the plain directory: the same four"
"$GOLIVE" check handlers.go >"$tmp/one.txt" 2>&1 || true
expect_eq "$(grep -c '\[httpctx\]' "$tmp/one.txt")" 0 "handlers.go alone: no other file to follow"

"$GOLIVE" build -o "$tmp/xf.bin" . >"$tmp/build.out" 2>&1 || fail "golive build failed: $(cat "$tmp/build.out")"
expect_eq "$(grep '\[httpctx\]' "$tmp/build.out")" "$want" "golive build (the wrapper): the same four"
go vet -vettool="$GOLIVE" ./... >"$tmp/vet.out" 2>&1 || true
expect_eq "$(grep -c 'drops the request' "$tmp/vet.out")" 4 "go vet -vettool=golive: the same four"
check "go vet names the chain into store.go" grep -q 'user → loadUser (store.go:20) → context.Background()' "$tmp/vet.out"

# store.go alone changes: loadUser no longer starts from Background
sed -i '/^\tctx := context.Background()$/d; /^\t_ = ctx$/d' store.go
check "the edit took" sh -c "! grep -q 'ctx := context.Background()' store.go"
"$GOLIVE" build -o "$tmp/xf.bin" . >"$tmp/build2.out" 2>&1 || fail "golive build after the edit failed: $(cat "$tmp/build2.out")"
expect_eq "$(grep -c '\[httpctx\]' "$tmp/build2.out")" 3 "after store.go's edit: three findings"
check "nothing about loadUser is replayed" sh -c "! grep -q 'loadUser' '$tmp/build2.out'"
"$GOLIVE" check ./... >"$tmp/pkgs2.txt" 2>&1 || true
expect_eq "$(grep '\[httpctx\]' "$tmp/build2.out")" "$(grep '\[httpctx\]' "$tmp/pkgs2.txt")" "golive build and golive check agree after the edit"
finish
