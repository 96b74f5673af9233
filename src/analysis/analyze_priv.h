/*
 * analyze_priv.h - what the analysis framework's own files share (analyze.c,
 * analyze_settings.c, analyze_chunks.c); analyzers use analyze.h only.
 */
#ifndef GOLIVE_ANALYZE_PRIV_H
#define GOLIVE_ANALYZE_PRIV_H

#include <stdint.h>

#include "analysis/analyze.h"
#include "core/goversion.h"

struct rules;
struct rules_runner;

/* Larger files are not read (analysis_run_file) nor parsed (analysis_run_source). */
#define ANALYSIS_MAX_SOURCE (16u << 20)

const TSLanguage *tree_sitter_go(void);

/* The pseudo-analyzer that reports malformed //golive:ignore directives. */
extern const struct analyzer analysis_golive_self;
/* What f->analyzer points at while user rules run. */
extern const struct analyzer analysis_rules_pseudo;

struct analysis_ctx {
	const struct analysis_settings *settings;
	TSParser *parser;
	struct rules *rules;         /* shared by clones (reference-counted) */
	struct rules_runner *runner; /* this context's own */
	struct goversion lang;       /* of the package analysed now; unknown by default */
	char *cwd;                   /* for relative paths against settings->root, or NULL */
	char *relbuf;                /* rule_path()'s */
	struct analysis_pkg *pkg;    /* the package of the files analysed now, or NULL */
};

/* The analyzer (off by default) that reports //golive:ignore directives suppressing nothing. */
extern const struct analyzer analyzer_unusedignore;
/* Reports f's directives that have a reason and suppressed nothing, at sev. */
void analysis_report_unused_directives(struct analysis_file *f, enum severity sev);

struct import_entry {
	char *path; /* unquoted import path */
	char *name; /* the name it is imported under: alias, ".", "_", or the default */
};

struct directive {
	TSNode node;       /* the comment */
	uint32_t row;      /* 0-based */
	const char *names; /* "httpctx,logtrace" (into the source) */
	size_t names_len;
	int has_reason;
	_Atomic int used; /* it suppressed a finding (chunks set it from threads) */
};

/* A call_expression and the index of its innermost handler (collect()). */
struct handler_call {
	struct call_parts parts;
	size_t handler;
};

/*
 * What shadowed() knows of a name file-wide, asked once per name: whether
 * the text may declare it anywhere (may_declare()), and whether a top-level
 * declaration does.
 */
struct top_memo {
	char *name;
	size_t len;
	int anywhere; /* 0: no declaration of the name in the whole file */
	int declared; /* declared at the top level */
};

/*
 * What shadowed() found about a scope and a name, kept for the next use of
 * the name in that scope: a statement_list's first statement declaring it
 * (its end byte; UINT32_MAX for none), or whether a function's parameters,
 * receiver, type parameters or results declare it (decl_end 0 or UINT32_MAX).
 * Direct-mapped by scope and name; a miss recomputes.
 */
struct scope_memo {
	const void *scope; /* the scope node's id; NULL: empty slot */
	const char *name;  /* points into the source or the import table */
	size_t len;
	uint32_t decl_end;
};
#define SCOPE_MEMO_SLOTS 256

struct analysis_file_private {
	diag_array *out;
	struct scope_memo scopes[SCOPE_MEMO_SLOTS];
	ARRAY(struct import_entry) imports;
	ARRAY(struct directive) directives;
	ARRAY(struct http_handler) handlers; /* in source order: outer before inner */
	ARRAY(TSNode) forced;                /* literals passed to HandleFunc/HandlerFunc */
	ARRAY(TSNode) chain;                 /* scratch: ancestors of a node */
	ARRAY(struct top_memo) top;          /* names asked of shadowed(): declared at top level? */
	ARRAY(struct handler_call) calls;    /* every call with its innermost handler, pre-order */
	ARRAY(struct call_parts) hcalls;     /* the calls grouped by handler, pre-order in each */
	ARRAY(size_t) hstart;                /* handler i's calls: hcalls[hstart[i], hstart[i+1]) */
	struct call_parts memo;              /* the call last asked about (analysis_call_parts) */
	const TSNode *roots;                 /* the top levels of the file: this tree's root, or */
	size_t nroots;                       /* every chunk's root (analyze_chunks.c) */
	int borrowed;                        /* imports, directives belong to the chunked file */
	struct analysis_pkg *pkg;            /* its package (anapkg.h), or NULL: the file alone */
};

/* A parser for tree-sitter-go. */
TSParser *analysis_parser_new(void);
/*
 * analysis_file_open() with a parser and a language version of the
 * caller's instead of a context's; the file belongs to no package.
 */
struct analysis_file *analysis_file_parse(TSParser *parser, const struct goversion *lang,
                                          const char *path, const char *src, size_t len,
                                          diag_array *out);

/* f's imports from its top levels (every chunk's root). */
void analysis_collect_imports(struct analysis_file *f);
/* Appends the imports of the top level under root to f's. */
void analysis_collect_imports_of(struct analysis_file *f, TSNode root);

/*
 * False when no declaration in src[0, len) can name name: every occurrence
 * of the word is a package qualifier (`name.X`: a declared identifier is
 * never followed by a single dot), part of a longer identifier, of a
 * selector's field (`.name`), or of a string or comment (after `"`, a
 * backquote or a `/` that does not end a block comment). Text only, so it
 * holds for trees without syntax errors; a non-ASCII neighbour counts as a
 * possible declaration. Cuts at line starts add up: a file is declaration-
 * free when each of its pieces is.
 */
int analysis_may_declare(const char *src, size_t len, const char *name, size_t nlen);
/* Tells shadowed() that no declaration in f's file names name (analysis_may_declare). */
void analysis_note_undeclared(struct analysis_file *f, const char *name, size_t len);
/* One walk over f's tree: handlers, their calls, directives. */
void analysis_collect(struct analysis_file *f);
/* Reports f's malformed //golive:ignore directives at sev. */
void analysis_report_directives(struct analysis_file *f, enum severity sev);
/* Frees what f->priv holds and f's tree (not f). */
void analysis_file_release(struct analysis_file *f);

/*
 * Analyses a big file in chunks on threads, as analysis_run_source does on
 * one tree. Returns -1 (nothing appended) when the file must go to one
 * tree: small, user rules, no split, or a chunk with a syntax error.
 */
int analysis_run_chunked(struct analysis_ctx *ctx, const char *path, const char *src, size_t len,
                         diag_array *out);

#endif
