#!/usr/bin/env bash
# t111_lsp_nvim: golive lsp in a scripted Neovim 0.7 headless session through
# its built-in client (tests/e2e/lsp/nvim_session.lua): open a handler file and
# get the httpctx diagnostic (at the call, after non-ASCII text); type an edit
# that removes it and see it cleared; undo; apply the quick fix from
# textDocument/codeAction; break golive.yaml in the editor and see it reported
# at its line:col; stop the client and see the server exit 0.
. "$(dirname "$0")/lib.sh"

command -v nvim >/dev/null || fail "nvim not found: run scripts/bootstrap (neovim)"
m=$tmp/m
new_module "$m" example.com/nv
cat >"$m/h.go" <<'GO'
package main

import (
	"context"
	"net/http"
)

func handle(w http.ResponseWriter, r *http.Request) {
	s := "héllo, 世界 😀"; ctx := context.Background()
	_, _ = s, ctx
}

func main() { http.HandleFunc("/", handle) }
GO
printf 'analyzers:\n  httpctx: on\n' >"$m/golive.yaml"

out=$tmp/nvim.out
export HOME=$tmp/home XDG_CONFIG_HOME=$tmp/home/.config XDG_DATA_HOME=$tmp/home/.local/share \
	XDG_STATE_HOME=$tmp/home/.local/state XDG_CACHE_HOME=$tmp/home/.cache
mkdir -p "$HOME"
rc=0
GOLIVE=$GOLIVE LSP_MOD=$m LSP_OUT=$out timeout 120 nvim --headless -u NONE -i NONE -n \
	-c "luafile $GOLIVE_SRC/tests/e2e/lsp/nvim_session.lua" >"$tmp/nvim.log" 2>&1 </dev/null || rc=$?
[ -s "$out" ] || { cat "$tmp/nvim.log"; fail "nvim wrote no results (status $rc)"; }
while read -r line; do
	case "$line" in
	"ok "*) pass "${line#ok * - }" ;;
	*) cat "$tmp/nvim.log"; fail "$line" ;;
	esac
done <"$out"
[ "$rc" = 0 ] || { cat "$tmp/nvim.log"; fail "nvim exited with status $rc"; }
finish
