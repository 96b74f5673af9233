#!/usr/bin/env bash
# t35_check_chunks: a big file is parsed and analysed in chunks on threads
# (analyze.c: split at top-level declarations, one tree each); the findings
# must be byte-identical to one tree's. golive check --json with every
# top-level declaration a chunk of its own (GOLIVE_ANALYSIS_CHUNK=1) against
# chunking off (=0) and the default, over:
#  - examples/ and tests/data (the analyzers' fixtures);
#  - GOROOT/src's net/http, log, context, os/exec, database/sql, net;
#  - generated files of many handlers with shadowing, aliases, dot imports,
#    //golive:ignore directives (on the line above a declaration too),
#    HandleFunc literals, comments, raw strings and runes that hold `func`
#    at column 0, slog loggers, and one file with syntax errors.
. "$(dirname "$0")/lib.sh"

mkdir -p "$tmp/out"

# same NAME DIR ARGS...: golive check --json ARGS in DIR, chunked and not, the same output.
same() {
	local name=$1 dir=$2
	shift 2
	local rc0=0 rc1=0 rc2=0
	(cd "$dir" && GOLIVE_ANALYSIS_CHUNK=0 "$GOLIVE" check --json "$@") >"$tmp/out/$name.0" 2>"$tmp/out/$name.0.err" || rc0=$?
	(cd "$dir" && GOLIVE_ANALYSIS_CHUNK=1 "$GOLIVE" check --json "$@") >"$tmp/out/$name.1" 2>"$tmp/out/$name.1.err" || rc1=$?
	(cd "$dir" && "$GOLIVE" check --json "$@") >"$tmp/out/$name.d" 2>"$tmp/out/$name.d.err" || rc2=$?
	case $rc0 in 0 | 1) ;; *) fail "$name: exit $rc0: $(tail -5 "$tmp/out/$name.0.err")" ;; esac
	expect_eq "$rc1 $rc2" "$rc0 $rc0" "$name: the same exit status chunked"
	expect_same_file "$tmp/out/$name.0" "$tmp/out/$name.1" "$name: the same findings, a chunk a declaration"
	expect_same_file "$tmp/out/$name.0" "$tmp/out/$name.d" "$name: the same findings, default chunks"
	expect_same_file "$tmp/out/$name.0.err" "$tmp/out/$name.1.err" "$name: the same messages"
	echo "# $name: $(json_get "$tmp/out/$name.0" 'len(d["diagnostics"])') findings"
}

same webapp "$GOLIVE_SRC/examples/webapp" ./...
for d in "$GOLIVE_SRC"/tests/data/*/; do
	same "data-$(basename "$d")" "$d" .
done

goroot=$(go env GOROOT)
same std "$goroot/src" ./net/http/... ./log/... ./context/... ./os/exec/... ./database/sql/... ./net/

# Generated handlers: every feature the analysis resolves across declarations.
new_module "$tmp/gen" example.com/gen
python3 - "$tmp/gen" <<'PY'
import os, sys
d = sys.argv[1]
def handlers(n, broken):
    out = ['package main\n\nimport (\n\t"context"\n\tstdlog "log"\n\t"log/slog"\n\t. "net/http"\n\t"os/exec"\n\t"database/sql"\n)\n\n']
    out.append('var db *sql.DB\n\n/*\nfunc inComment(w ResponseWriter, r *Request) {\n\t_ = context.Background()\n}\n*/\n\n')
    out.append('var raw = `\nfunc inRaw(w ResponseWriter, r *Request) {\n\t_ = context.TODO()\n}\n`\n\n')
    for i in range(n):
        k = i % 9
        if k == 0:
            out.append(f'func h{i}(w ResponseWriter, r *Request) {{\n\t_ = context.Background()\n\tstdlog.Printf("h{i}")\n}}\n\n')
        elif k == 1:
            out.append(f'//golive:ignore httpctx reason {i}\nfunc h{i}(w ResponseWriter, r *Request) {{ _ = context.TODO() }}\n\n')
        elif k == 2:
            out.append(f'func h{i}(w ResponseWriter, r *Request) {{\n\tcontext := 1\n\t_ = context\n\t_, _ = Get("x")\n\t//golive:ignore logtrace\n\tslog.Info("x")\n}}\n\n')
        elif k == 3:
            out.append(f'func reg{i}(mux *ServeMux) {{\n\tmux.HandleFunc("/{i}", func(a, b int) {{\n\t\t_ = exec.Command("ls")\n\t\tgo func() {{ _, _ = db.Query("q") }}()\n\t}})\n}}\n\n')
        elif k == 4:
            out.append(f'func h{i}(w ResponseWriter, r *Request) {{\n\tl := slog.Default()\n\tl.Info("x")\n\tvar c rune = \'{{\'\n\t_ = c\n\ts := "func {{"\n\t_ = s\n}}\n\n')
        elif k == 5:
            out.append(f'type T{i} struct{{}}\n\nfunc (T{i}) ServeHTTP(w ResponseWriter, _ *Request) {{\n\t_, _ = NewRequest("GET", "/", nil)\n\t_ = HandlerFunc(func(w ResponseWriter, r *Request) {{ stdlog.Println() }})\n}}\n\n')
        elif k == 6:
            out.append(f'const c{i} = "}}"\n\nvar v{i} = map[string]int{{\n\t"a": 1,\n}}\n\n')
        elif k == 7:
            out.append(f'func h{i}(w ResponseWriter, r *Request) {{ if x := Get; x != nil {{ _, _ = Get("y") }} }} // golive:ignore\n\n')
        else:
            out.append(f'func h{i}(w ResponseWriter, r *Request) {{\n\tfor _, Get := range []int{{1}} {{ _ = Get }}\n\t_, _ = DefaultClient.Get("z")\n}}\n\n')
        if broken and i == n // 2:
            out.append('func broken(w ResponseWriter, r *Request) {\n\t_ = context.Background(\n}\n\n')
    out.append('func main() {}\n')
    return ''.join(out)
for name, n, broken in (('many', 2000, False), ('errors', 300, True)):
    os.makedirs(f'{d}/{name}', exist_ok=True)
    open(f'{d}/{name}/main.go', 'w').write(handlers(n, broken))
# a package-level name that shadows an import, declared at the end of the file
os.makedirs(f'{d}/shadow', exist_ok=True)
src = handlers(500, False).replace('func main() {}\n', 'func main() {}\n\nfunc slog() {}\n')
open(f'{d}/shadow/main.go', 'w').write(src)
PY
same gen "$tmp/gen" ./...
n=$(json_get "$tmp/out/gen.0" 'len(d["diagnostics"])')
[ "$n" -gt 2000 ] || fail "gen: only $n findings"
pass "gen: $n findings"

finish
