/*
 * analyze.h - the analysis framework: parse a Go file with tree-sitter-go,
 * run every enabled analyzer over it, collect diagnostics.
 *
 * An analyzer is a name, a one-line doc, a default severity and a run
 * function over one file (struct analysis_file). The framework gives it the
 * tree, the file's import names (aliases, dot imports, blank imports), a
 * scope-aware way to ask "does this call resolve to package P's function F"
 * (so `http := x; http.Get()` is not net/http's), and the HTTP handlers of
 * the file. Generated files (// Code generated ... DO NOT EDIT.) are skipped
 * unless settings say otherwise; `//golive:ignore <analyzer> <reason>` on
 * the line of a finding or the line above suppresses it. Files with syntax
 * errors are analysed outside their ERROR nodes and never crash.
 *
 * Advice can depend on the Go language version of the package (log/slog
 * exists from Go 1.21): the caller tells the context which version the
 * package is written for (analysis_ctx_set_goversion), analyzers ask
 * analysis_go_at_least(). An unknown version means the newest Go.
 *
 * Threading: a struct analysis_ctx (parser + compiled rule queries) belongs
 * to one thread; make one per worker. Analyzers are stateless.
 */
#ifndef GOLIVE_ANALYZE_H
#define GOLIVE_ANALYZE_H

#include <stddef.h>
#include <stdint.h>
#include <tree_sitter/api.h>

#include "analysis/diag.h"
#include "core/goversion.h"
#include "core/util.h"

struct analysis_file;

struct analyzer {
	const char *name;       /* lowercase, stable: used in output and config */
	const char *doc;        /* one line */
	enum severity severity; /* default severity */
	void (*run)(struct analysis_file *f);
	/*
	 * Strings one of which a file's text must contain for this analyzer to
	 * have anything to say (NULL-terminated), or NULL for every file. A file
	 * that no enabled analyzer and no user rule needs is never parsed: most
	 * files of a tree are not HTTP code, and parsing is most of the cost.
	 */
	const char *const *needles;
	/*
	 * What this analyzer says of a top-level function or method that
	 * another file of the package declares (analysis_package_decl()): a
	 * malloc'd string, or NULL for nothing; or no hook (NULL). Called once
	 * per declaration and package, on a tree of the declaring file that
	 * belongs to the package (f->path is that file), never on the files
	 * the analyzer runs over; it must not report.
	 */
	char *(*decl_fact)(struct analysis_file *f, TSNode decl);
	/*
	 * Strings one of which a declaration's text after its name must contain
	 * for decl_fact to say anything of it (NULL-terminated), or NULL for
	 * every declaration: a declaration without one is not parsed at all.
	 */
	const char *const *decl_needles;
};

/* The built-in analyzers, NULL-terminated (analyzers/ *.c register here). */
extern const struct analyzer *const builtin_analyzers[];
const struct analyzer *analyzer_find(const char *name);

/* What to run: resolved from golive.yaml (config.c) or from a session file. */
struct analyzer_setting {
	char *name;   /* a built-in analyzer name */
	int enabled;  /* 0: off */
	int severity; /* an enum severity, or -1 for the analyzer's default */
};

struct rule_spec { /* a user rule from golive.yaml rules: */
	char *id;
	char *query;   /* tree-sitter S-expression query over tree-sitter-go */
	char *message; /* may quote {{capture}} text */
	enum severity severity;
	int handler_scope;  /* 1: only matches inside HTTP handlers; 0: whole file */
	char *where;        /* "golive.yaml:LINE:COL" of the query scalar, for messages */
	unsigned line, col; /* position of the query's first character in the YAML (1-based) */
	int block;          /* 1 when the query is a block scalar (| or >): line/col map by lines */
	unsigned indent;    /* the block scalar's indentation (columns), when block */
	int off;            /* severity: off: the rule is kept (rule tests) but never runs */
	char *fix;          /* replacement for the reported node, may quote {{capture}}; or NULL */
	int fix_unsafe;     /* 1: the fix may change behaviour (only --fix-unsafe applies it) */
	struct argv_array include; /* paths.include globs (pathmatch.h; relative to the root) */
	struct argv_array exclude; /* paths.exclude globs */
	struct argv_array valid;   /* Go snippets the rule must not report (--test-rules) */
	struct argv_array invalid; /* Go snippets the rule must report */
};
/* Frees what r holds and zeroes it. */
void rule_spec_release(struct rule_spec *r);

struct analysis_settings {
	ARRAY(struct analyzer_setting) analyzers; /* overrides; built-ins not named are enabled */
	ARRAY(struct rule_spec) rules;
	enum fail_on fail_on;
	int include_generated; /* analyse generated files too (default 0) */
	int include_deps;      /* golive build: analyse std and dependencies too (default 0) */
	/*
	 * Not settings proper (not in the hash nor the JSON form): the absolute
	 * project root that rules' paths: globs are relative to (NULL: paths
	 * are matched as the file paths are given), and a directory where the
	 * compiled rules are kept for the next process (rules.h; may be NULL).
	 */
	char *root;
	char *blob_dir;
};

/* Whether analyzer a runs under s (every built-in but unusedignore by default), at which severity.
 */
int analysis_effective(const struct analysis_settings *s, const struct analyzer *a,
                       enum severity *sev);

void analysis_settings_init(struct analysis_settings *s);
void analysis_settings_release(struct analysis_settings *s);
/* A stable 64-bit hash of everything in s that changes findings (analysis cache key). */
uint64_t analysis_settings_hash(const struct analysis_settings *s);
/* JSON form, for the session file the wrappers read (no YAML parsing in the wrapper). */
struct json_t *analysis_settings_to_json(const struct analysis_settings *s);
/*
 * Fills s (initializing it first; pass an empty one) from that JSON. Keys
 * are optional, unknown keys ignored. -1 with *cause on a wrong type or an
 * unknown severity/fail_on/scope; s is then left empty.
 */
int analysis_settings_from_json(struct analysis_settings *s, struct json_t *o, char **cause);

struct analysis_ctx;

/*
 * Makes a per-thread context: a tree-sitter parser and the compiled rule
 * queries. Returns NULL with *cause ("golive.yaml:L:C: rules[2] (id): ...",
 * the position inside the YAML of the query's error) when a rule's query
 * does not compile. s must outlive the context.
 */
struct analysis_ctx *analysis_ctx_new(const struct analysis_settings *s, char **cause);
/* Another context for another thread, sharing ctx's compiled rules (no compilation). */
struct analysis_ctx *analysis_ctx_clone(const struct analysis_ctx *ctx);
void analysis_ctx_free(struct analysis_ctx *ctx);
/* The number of user rules ctx runs, and whether they came compiled from settings' blob_dir. */
size_t analysis_ctx_rules(const struct analysis_ctx *ctx, int *from_blob);

/*
 * The Go language version of the package whose files are analysed next
 * with ctx (until set again): compile's -lang, vet.cfg's GoVersion, go.mod's
 * go line. NULL, or an unknown version (GOPATH mode, a directory without
 * go.mod), means the newest Go: every analyzer's advice applies. Callers
 * that cache findings must key them by this version too (anacache.h).
 */
void analysis_ctx_set_goversion(struct analysis_ctx *ctx, const struct goversion *lang);

/*
 * The package the files analysed next with ctx belong to (until set
 * again): its files' paths, for analyzers that follow a call into another
 * file of the package (analysis_package_decl). NULL: each file is alone.
 * The package must outlive its use; several contexts (threads) may share
 * one.
 */
struct analysis_pkg;
void analysis_ctx_set_package(struct analysis_ctx *ctx, struct analysis_pkg *pkg);

/*
 * Analyses one file's source. path is what diagnostics carry. Appends the
 * findings to out (already filtered by suppressions and settings). Returns
 * 0, or 1 when the file was skipped as generated. Never fails on bad input.
 */
int analysis_run_source(struct analysis_ctx *ctx, const char *path, const char *src, size_t len,
                        diag_array *out);
/* Reads the file (at most 16 MiB) and analyses it; -1 with *cause when unreadable. */
int analysis_run_file(struct analysis_ctx *ctx, const char *path, diag_array *out, char **cause);

/* ---- for analyzers ------------------------------------------------------ */

/*
 * For tests and tools: parses src and prepares the facts the helpers below
 * answer (imports, handlers, directives) without running any analyzer.
 * Findings reported through the file go to out. Returns NULL when src is
 * too large (16 MiB) to parse. Close with analysis_file_close().
 */
struct analysis_file *analysis_file_open(struct analysis_ctx *ctx, const char *path,
                                         const char *src, size_t len, diag_array *out);
void analysis_file_close(struct analysis_file *f);

struct analysis_file {
	const char *path;
	const char *src;
	size_t len;
	TSTree *tree;
	TSNode root;
	const struct analyzer *analyzer; /* the one running now */
	enum severity severity;          /* its effective severity */
	struct goversion lang;           /* the package's language version (maybe unknown) */
	struct analysis_file_private *priv;
};

/*
 * True when the file's package is written for Go major.minor or later (its
 * language version, goversion_at_least), or when that version is unknown:
 * then golive assumes the newest Go.
 */
int analysis_go_at_least(const struct analysis_file *f, unsigned major, unsigned minor);

/*
 * One step of a pre-order walk with a cursor made by ts_tree_cursor_new():
 * into the current node's first child when descend is true, else to the
 * next sibling or the nearest ancestor's next sibling. Returns 0 when the
 * walk is back at the cursor's root (done). Iterative: trees can be deep.
 */
int analysis_cursor_next(TSTreeCursor *c, int descend);

/*
 * n's child in field name (tree-sitter-go's field names: "function",
 * "operand", "body", ...): ts_node_child_by_field_name without its search
 * of the grammar's field names on every call. Thread-safe.
 */
TSNode analysis_field(TSNode n, const char *name);

/*
 * The roots of f's top level (*n of them): the tree's root, or every
 * chunk's root when a big file is analysed in chunks (analyze_chunks.c).
 * Top-level declarations are their named children; a declaration may sit
 * in another chunk's tree than the node being analysed (trees are read-only
 * then, so reading it from this thread is safe).
 */
const TSNode *analysis_roots(const struct analysis_file *f, size_t *n);

/* The text of node n (not NUL-terminated): *len bytes at the returned pointer. */
const char *analysis_text(const struct analysis_file *f, TSNode n, size_t *len);
/* True when node n's text equals s. */
int analysis_text_eq(const struct analysis_file *f, TSNode n, const char *s);

/*
 * The name under which this file imports path: "http" for "net/http",
 * "nethttp" for an alias, "." for a dot import, NULL when not imported
 * (or imported as "_").
 */
const char *analysis_import_name(const struct analysis_file *f, const char *path);

/*
 * True when call (a call_expression) calls function fn of package path:
 * `pkg.fn(...)` where pkg is path's import name and is not shadowed by a
 * local declaration in scope at the call, or `fn(...)` for a dot import
 * where fn is not shadowed.
 */
int analysis_is_pkg_call(const struct analysis_file *f, TSNode call, const char *path,
                         const char *fn);

/* A top-level function or method of another file of the package. */
struct analysis_decl {
	const char *path; /* the declaring file, as the package names it */
	unsigned line;    /* 1-based line of its `func` */
	const char *fact; /* the running analyzer's decl_fact of it, or NULL */
};

/*
 * How many top-level functions (method 0) or methods (1) named name the
 * other files of f's package declare: files of the same package clause
 * (package p and p_test are two packages), found by their `func` lines
 * (gofmt's layout). When exactly one, *d describes it, with what the
 * running analyzer's decl_fact says of it (computed once per package).
 * 0 when f is analysed alone (analysis_ctx_set_package) or f is not one of
 * the package's files. d's strings live as long as the package.
 */
size_t analysis_package_decl(struct analysis_file *f, int method, const char *name, size_t len,
                             struct analysis_decl *d);

/* A call_expression's parts (null nodes where absent). */
struct call_parts {
	TSNode call;
	int is_call;  /* call is a call_expression (else the rest is null) */
	int selector; /* fn is a selector_expression */
	TSNode fn;    /* its function */
	TSNode args;  /* its argument_list */
	TSNode op;    /* when fn is a selector_expression: its operand, */
	TSNode field; /* and its field */
};

/*
 * The parts of call (a call_expression): what analysis_field() would find,
 * looked up once per call. The calls analysis_for_each_call() passes come
 * with them; analyzers asking the same of a call many times ask here. The
 * result is valid until the parts of another call are asked for (here or
 * by analysis_is_pkg_call): copy what must outlive that.
 */
const struct call_parts *analysis_call_parts(const struct analysis_file *f, TSNode call);

/*
 * The import path of the package that identifier ident names at its
 * position (an import name, not shadowed there), or NULL.
 */
const char *analysis_package_of(const struct analysis_file *f, TSNode ident);

/* An HTTP handler: a function, method or function literal serving a request. */
struct http_handler {
	TSNode node;     /* function_declaration, method_declaration or func_literal */
	TSNode body;     /* its block */
	const char *req; /* the *http.Request parameter's name ("r"), or "" when unnamed/_ */
	size_t req_len;
};

/*
 * Calls fn for every HTTP handler in the file, outer before inner:
 * functions, methods (ServeHTTP included) and literals whose first two
 * parameters are (http.ResponseWriter, *http.Request) under any import name
 * of net/http (bare names under a dot import; more parameters may follow,
 * as in httprouter), and literals passed as the 2nd argument of any
 * `.HandleFunc(...)` or wrapped by `http.HandlerFunc(...)`, whatever their
 * parameter types. req is the second parameter's name.
 */
void analysis_for_each_handler(struct analysis_file *f,
                               void (*fn)(struct analysis_file *f, const struct http_handler *h,
                                          void *data),
                               void *data);

/* The innermost handler containing node n, or 0 (then *h is untouched). */
int analysis_enclosing_handler(struct analysis_file *f, TSNode n, struct http_handler *h);

/*
 * Calls fn for every call_expression whose innermost handler is h: calls in
 * h's body and in nested literals that are not handlers themselves (a
 * goroutine's body, a callback), outside ERROR nodes.
 */
void analysis_for_each_call(struct analysis_file *f, const struct http_handler *h,
                            void (*fn)(struct analysis_file *f, const struct http_handler *h,
                                       TSNode call, void *data),
                            void *data);

/*
 * Reports a finding of the running analyzer at node n (its start point).
 * Suppressed when `//golive:ignore <name>` (or `all`, or a comma list such
 * as `httpctx,logtrace`) with a reason is on that line or the line above.
 * A directive without a reason suppresses nothing and is itself reported
 * (analyzer "golive"). Nodes inside ERROR nodes, or containing syntax
 * errors, are never reported.
 *
 * Returns the finding just appended (to give it a fix: analysis_fix_replace),
 * or NULL when nothing was reported. The pointer is valid until the next
 * report on f (the array may move).
 */
struct diag *analysis_report(struct analysis_file *f, TSNode n, const char *fmt, ...)
    PRINTF_LIKE(3, 4);
/* The same, with an explicit analyzer name and severity (user rules). */
struct diag *analysis_report_as(struct analysis_file *f, TSNode n, const char *name,
                                enum severity sev, const char *message);

/*
 * Gives finding d (what analysis_report returned; NULL: nothing happens) a
 * fix of one edit: the text of node n becomes text. title is the fix's one
 * line ("use r.Context()"); safe 1 when the edit keeps behaviour (--fix
 * applies it unasked), 0 when it needs a look. Replaces a fix d had.
 */
void analysis_fix_replace(const struct analysis_file *f, struct diag *d, TSNode n,
                          const char *title, int safe, const char *text);

#endif
