#!/usr/bin/env bash
# t112_lsp_dev: golive lsp shows golive dev's state. golive dev serves
# tests/e2e/testdata/dev/app; an LSP client (tests/e2e/lsp/t_lsp_dev.py) has
# main.go open. A syntax error saved: the compiler's error is a diagnostic at its
# line, and "build failed" is shown; the fix saved: the diagnostic goes and
# "serving vN (pid P) in X ms" is shown. The cycle feed (core/devfeed.h) is
# under $XDG_RUNTIME_DIR, one JSON line per cycle, as docs/dev.md says.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/dev_lib.sh"

app=$tmp/app
dev_copy app "$app"
port=$(free_port)
dev_start app "$app" -- -addr "127.0.0.1:$port"
dev_wait app 'len(C) >= 1 and C[0]["pid"]' 120 "first cycle"

feed=$(ls "$XDG_RUNTIME_DIR"/golive/dev-*.jsonl 2>/dev/null | head -1)
[ -n "$feed" ] || fail "no feed under \$XDG_RUNTIME_DIR/golive$(dev_report app)"
head -1 "$feed" >"$tmp/first.json"
expect_eq "$(json_get "$tmp/first.json" 'd["build"] == "ok" and d["v"] == 1 and d["errors"] == [] and isinstance(d["pid"], int) and d["root"] != ""')" true \
	"the feed's first line: a served cycle (v, root, build ok, pid, no errors)"

out=$tmp/out.txt
if ! python3 "$GOLIVE_SRC/tests/e2e/lsp/t_lsp_dev.py" "$GOLIVE" "$app" >"$out" 2>&1; then
	cat "$out"
	fail "the LSP client session (above)$(dev_report app)"
fi
while read -r line; do
	case "$line" in "ok "*) pass "${line#ok * - }" ;; esac
done <"$out"
expect_eq "$(python3 -c '
import json, sys
L = [json.loads(x) for x in open(sys.argv[1])]
f = [x for x in L if x["build"] == "failed"]
print(bool(f) and f[0]["errors"][0]["file"] == sys.argv[2] + "/main.go" and f[0]["pid"] is None)' "$feed" "$app")" True \
	"the feed's failed cycle names main.go by its absolute path"
dev_stop app TERM
finish
