/*
 * lsp_priv.h - what the language server's files share: lsp_server.c (the
 * loop, lifecycle, document sync), lsp_diag.c (findings as LSP diagnostics,
 * code actions), lsp_module.c (modules, their golive.yaml, golive dev feeds).
 */
#ifndef GOLIVE_LSP_PRIV_H
#define GOLIVE_LSP_PRIV_H

#include <stdint.h>

#include <tree_sitter/api.h>

#include "analysis/analyze.h"
#include "core/buildcons.h"
#include "core/config.h"
#include "core/util.h"
#include "lsp/jsonrpc.h"
#include "lsp/lsp.h"
#include "lsp/textdoc.h"

struct json_t;

/* A Go module of the workspace (a directory holding go.mod), or the default. */
struct lsp_module {
	char *root;                 /* absolute; "" for the default module */
	char *cfg_path;             /* its golive.yaml, or NULL */
	struct golive_config cfg;   /* the last good configuration (defaults at first) */
	struct analysis_ctx *ctx;   /* built from cfg.analysis */
	struct goversion lang;      /* go.mod's go line */
	char *cfg_error;            /* the current golive.yaml's error, or NULL */
	uint32_t err_line, err_col; /* 1-based, into golive.yaml; 0 when unknown */
	int cfg_published;          /* a diagnostic on golive.yaml is showing */
	/* golive dev's feed (lsp_module.c) */
	char *feed_path;
	long long feed_pos; /* bytes of the feed read */
	long long feed_ino;
	struct json_t *build_diags; /* the last failed build's errors: URI -> LSP diagnostics */
};

struct lsp_doc {
	char *uri;
	char *path; /* the file's path (from a file: URI), or NULL */
	int version;
	struct textdoc td;
	TSTree *tree; /* of td's text, NULL when not parsed */
	struct lsp_module *mod;
	int is_go, is_config;    /* a .go file; a golive.yaml */
	int64_t due_ns;          /* when to analyse (monotonic), 0: not pending */
	int too_large;           /* told the client once */
	diag_array diags;        /* the last analysis's findings */
	unsigned gen;            /* analyses done: the pull result id */
	int64_t edited_ns;       /* the last didChange (0: never edited): keeps the tree */
	int64_t change_read_ns;  /* when the first change not analysed yet was read */
	struct lsp_decls *decls; /* being typed in: findings per declaration (lsp_incr.c) */
	uint64_t pkg_sig;        /* its package's other files at the last analysis (lsp_pkg.c) */
};

/* A client that leaves this much unread is gone. */
#define LSP_MAX_UNSENT (64u << 20)

/* Trees kept for incremental reparsing: the most recently edited documents'. */
#define LSP_HOT_TREES 8

struct lsp_server {
	int in_fd, out_fd;
	struct lsp_options opt;
	struct jsonrpc_reader reader;
	struct strbuf out; /* framed messages not written yet, from out_off */
	size_t out_off;
	TSParser *parser; /* the documents being typed in: incremental reparses */
	int initialized, shutdown, exit_now, gone;
	int pull;          /* the client pulls diagnostics (textDocument/diagnostic) */
	int refresh;       /* it takes workspace/diagnostic/refresh */
	int snippets;      /* the client takes snippet text edits */
	int watch_dynamic; /* it lets the server register file watchers */
	int related_info;
	long long next_id; /* of requests the server sends */
	ARRAY(struct lsp_doc *) docs;
	ARRAY(struct lsp_module *) modules;
	struct lsp_module *default_mod;
	struct argv_array folders; /* workspace folders, absolute paths */
	char *docs_base;           /* where analyzer docs are (codeDescription.href) */
	int64_t next_feed_ns;      /* when to look at golive dev feeds next */
	int log_timing;            /* GOLIVE_LSP_TIMING=1: each analysis's time on stderr */
	int64_t trim_ns;           /* when freed trees were last given back (malloc_trim) */
	struct buildctx bc;        /* go's build context, for documents' packages (lsp_pkg.c) */
	int bc_ready;
};

/* ---- lsp_server.c ---- */
/* Sends a message (takes the reference). */
void lsp_send(struct lsp_server *s, struct json_t *msg);
void lsp_notify(struct lsp_server *s, const char *method, struct json_t *params);
/* window/showMessage (type 1 error .. 4 log). */
void lsp_show(struct lsp_server *s, int type, const char *fmt, ...) PRINTF_LIKE(3, 4);
/* The open document of uri, or NULL. */
struct lsp_doc *lsp_doc_find(struct lsp_server *s, const char *uri);
/* Runs the analysis of d now and publishes (push clients). */
void lsp_doc_analyse(struct lsp_server *s, struct lsp_doc *d);

/* file:///a%20b -> "/a b" (malloc'd), NULL for other schemes or bad escapes. */
char *lsp_uri_to_path(const char *uri);
/* "/a b" -> file:///a%20b (malloc'd). */
char *lsp_path_to_uri(const char *path);

/* ---- lsp_diag.c ---- */
/* d's diagnostics as an LSP array. */
struct json_t *lsp_diags_json(struct lsp_server *s, const struct lsp_doc *d);
/* One LSP range from 1-based byte positions in d's text. */
struct json_t *lsp_range_json(const struct textdoc *td, unsigned line, unsigned col,
                              unsigned end_line, unsigned end_col);
/* textDocument/codeAction's result. */
struct json_t *lsp_code_actions(struct lsp_server *s, struct lsp_doc *d, struct json_t *params);
/* textDocument/diagnostic's result. */
struct json_t *lsp_pull_report(struct lsp_server *s, struct json_t *params, int *err_code,
                               char **err);

/* ---- lsp_incr.c ---- */
struct lsp_decls;
/*
 * Analyses d after edits (its tree already ts_tree_edit()ed, or NULL):
 * reparses incrementally, analyses only the top-level declarations whose
 * text changed, and fills d->diags.
 */
void lsp_analyse_edited(struct lsp_server *s, struct lsp_doc *d, const char *path);
void lsp_decls_free(struct lsp_decls *c);

/* ---- lsp_pkg.c ---- */
/*
 * The package the document at path (its text: text, len) is analysed in:
 * the Go files of its directory, open documents' texts for theirs. *sig
 * changes whenever what the other files say may have (anapkg.h).
 */
struct analysis_pkg *lsp_package_of(struct lsp_server *s, const char *path, const char *text,
                                    size_t len, uint64_t *sig);
/*
 * The Go file at path changed (an edit of its document, or on disk): the
 * other open documents of its directory are analysed again after the
 * debounce. except: the document that changed (NULL: none).
 */
void lsp_package_touched(struct lsp_server *s, const char *path, const struct lsp_doc *except);

/* ---- lsp_module.c ---- */
/* The module of the file at path (found as golive check finds golive.yaml); never NULL. */
struct lsp_module *lsp_module_of(struct lsp_server *s, const char *path);
/* (Re)reads m's golive.yaml (the editor's buffer when open), publishes its diagnostic. */
void lsp_module_reload(struct lsp_server *s, struct lsp_module *m);
void lsp_module_free(struct lsp_module *m);
/* A file changed on disk (didChangeWatchedFiles): reload the modules it configures. */
void lsp_file_changed(struct lsp_server *s, const char *path);
/* Reads new golive dev cycles of every module; returns ms until the next look. */
int lsp_feeds_poll(struct lsp_server *s);

#endif
