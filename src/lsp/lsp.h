/*
 * lsp.h - golive lsp: a Language Server on a pair of file descriptors
 * (stdin/stdout), speaking JSON-RPC (jsonrpc.h) with the LSP's methods:
 *
 *   lifecycle   initialize, initialized, shutdown, exit; workspace folders
 *   documents   didOpen, didChange (incremental: each edit is applied to
 *               the text and to its tree-sitter tree, which is reparsed
 *               incrementally), didSave, didClose
 *   findings    textDocument/publishDiagnostics after each change (debounced),
 *               or textDocument/diagnostic when the client pulls; ranges in
 *               UTF-16 code units; a closed file's diagnostics are cleared
 *   actions     textDocument/codeAction: "ignore" (a //golive:ignore line)
 *               and the quick fix a finding offers (struct diag_fix)
 *   config      golive.yaml of each module (the nearest to a file, as golive
 *               check finds it): reloaded when it changes on disk
 *               (didChangeWatchedFiles) or in the editor; a broken one is a
 *               diagnostic on golive.yaml at its line:col
 *   golive dev  each module's golive dev cycles (core/devfeed.h): build errors
 *               as diagnostics on the files they name, the state as
 *               window/showMessage
 *
 * Bad input (malformed messages, unknown methods, out-of-range edits, huge
 * or non-UTF-8 files, a client that goes away) gets an LSP error or is
 * survived; the server never crashes or hangs on it. Nothing here prints
 * to stdout but protocol messages; log lines go to stderr (the client's log).
 */
#ifndef GOLIVE_LSP_H
#define GOLIVE_LSP_H

struct lsp_options {
	int debounce_ms;      /* delay from the last change to the analysis (default 50) */
	const char *feed_dir; /* where golive dev's feeds are (NULL: core/devfeed.h's default) */
};

/*
 * Serves one client until it sends exit or goes away. Returns the exit
 * status the LSP asks for: 0 after shutdown + exit, 1 otherwise.
 */
int lsp_serve(int in_fd, int out_fd, const struct lsp_options *opt);

#endif
