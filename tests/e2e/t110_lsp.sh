#!/usr/bin/env bash
# t110_lsp: golive lsp through a scripted LSP client (tests/e2e/lsp/t_lsp.py):
#  - pull diagnostics (textDocument/diagnostic, resultId/unchanged) and push
#    (publishDiagnostics on open and change, cleared on close);
#  - ranges in UTF-16 code units on lines with é, 😀, 中, 𝄞; the whole call;
#  - incremental edits (keystrokes, multi-line) applied to the tree;
#  - the ignore code action; golive.yaml reload (on disk and in the editor),
#    its errors and a broken rule's query as diagnostics at their line:col;
#  - bad input: not JSON, invalid UTF-8, a header without length, an unknown
#    method, out-of-range edits, a 50 MB file, a client that goes away;
#  - two modules of one workspace, each with its golive.yaml.
. "$(dirname "$0")/lib.sh"

out=$tmp/out.txt
if ! python3 "$GOLIVE_SRC/tests/e2e/lsp/t_lsp.py" "$GOLIVE" "$tmp/work" >"$out" 2>&1; then
	cat "$out"
	fail "the LSP client session (above)"
fi
while read -r line; do
	case "$line" in "ok "*) pass "${line#ok * - }" ;; esac
done <"$out"
finish
