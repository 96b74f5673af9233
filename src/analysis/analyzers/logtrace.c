/*
 * logtrace - inside an HTTP handler, log calls that cannot carry the
 * request's trace id (no context reaches the log handler):
 *
 *   log.Print*, log.Fatal*, log.Panic*        -> slog.InfoContext / ErrorContext
 *   slog.Debug/Info/Warn/Error                -> slog.DebugContext/...
 *   l.Info(...) on a *slog.Logger l, l.Printf(...) on a *log.Logger l, when
 *   the function visibly makes l one: a parameter of that pointer type, or
 *   a variable assigned from slog.New/Default/With (log.New/Default), or
 *   from l2.With(...) of such a logger. Arbitrary .Info() calls are left
 *   alone.
 *
 * Default severity info: a log line without a trace id is a blind spot,
 * not a bug.
 *
 * The advice is log/slog's *Context methods where slog exists: from Go
 * 1.21, or in a file that imports log/slog (built only where slog exists,
 * e.g. under //go:build go1.21). A package whose language version (go.mod's
 * go line) is older gets the pattern that Go allows instead: log through a
 * request-scoped logger taken from the request's context (one a middleware
 * stores there, carrying the trace id), and the message says why slog is
 * not suggested. An unknown version counts as the newest Go.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze.h"

enum kind { NONE, STDLOG, SLOG };

static const struct {
	const char *name;
	const char *level; /* the slog method that replaces it */
} log_funcs[] = {
    {"Print", "Info"},  {"Printf", "Info"},  {"Println", "Info"},
    {"Fatal", "Error"}, {"Fatalf", "Error"}, {"Fatalln", "Error"},
    {"Panic", "Error"}, {"Panicf", "Error"}, {"Panicln", "Error"},
};
static const char *const slog_levels[] = {"Debug", "Info", "Warn", "Error"};

static TSNode field(TSNode n, const char *name)
{
	return analysis_field(n, name);
}

static int is_type(TSNode n, const char *t)
{
	return !ts_node_is_null(n) && strcmp(ts_node_type(n), t) == 0;
}

static enum kind expr_kind(struct analysis_file *f, TSNode e, TSNode scope, int *budget);

/* The kind of logger type t: *slog.Logger or *log.Logger. */
static enum kind type_kind(struct analysis_file *f, TSNode t)
{
	if (!is_type(t, "pointer_type"))
		return NONE;
	t = ts_node_named_child(t, 0);
	if (!is_type(t, "qualified_type") || !analysis_text_eq(f, field(t, "name"), "Logger"))
		return NONE;
	TSNode pkg = field(t, "package");
	for (int k = STDLOG; k <= SLOG; k++) {
		const char *n = analysis_import_name(f, k == SLOG ? "log/slog" : "log");
		if (n && analysis_text_eq(f, pkg, n))
			return (enum kind)k;
	}
	return NONE;
}

/*
 * The kind of logger that identifier name (len bytes) is inside scope: a
 * parameter of logger type or a variable assigned a logger expression.
 */
static enum kind ident_kind(struct analysis_file *f, const char *name, size_t len, TSNode scope,
                            int *budget)
{
	enum kind found = NONE;
	TSTreeCursor c = ts_tree_cursor_new(scope);
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		const char *t = ts_node_type(n);
		TSNode names = {0}, values = {0}, type = {0};
		if (!strcmp(t, "short_var_declaration") || !strcmp(t, "assignment_statement")) {
			names = field(n, "left");
			values = field(n, "right");
		} else if (!strcmp(t, "var_spec")) {
			names = n;
			values = field(n, "value");
			type = field(n, "type");
		} else if (!strcmp(t, "parameter_declaration")) {
			names = n;
			type = field(n, "type");
		}
		if (!ts_node_is_null(names)) {
			uint32_t k = 0, cnt = ts_node_named_child_count(names);
			for (uint32_t i = 0; i < cnt && found == NONE; i++) {
				TSNode id = ts_node_named_child(names, i);
				if (!is_type(id, "identifier"))
					continue;
				size_t l;
				const char *s = analysis_text(f, id, &l);
				if (l == len && memcmp(s, name, len) == 0) {
					if (!ts_node_is_null(type))
						found = type_kind(f, type);
					else if (!ts_node_is_null(values) &&
					         k < ts_node_named_child_count(values))
						found = expr_kind(f, ts_node_named_child(values, k),
						                  scope, budget);
				}
				k++;
			}
		}
		if (found != NONE)
			break;
		int descend = ts_node_child_count(n) > 0 && !ts_node_is_error(n);
		if (!analysis_cursor_next(&c, descend))
			break;
	}
	ts_tree_cursor_delete(&c);
	return found;
}

/*
 * The kind of logger expression e evaluates to, as far as the file shows.
 * *budget bounds the lookups (chains like l = l.With(...) would recurse).
 */
static enum kind expr_kind(struct analysis_file *f, TSNode e, TSNode scope, int *budget)
{
	if (--*budget < 0)
		return NONE;
	if (is_type(e, "identifier")) {
		size_t len;
		const char *t = analysis_text(f, e, &len);
		return ident_kind(f, t, len, scope, budget);
	}
	if (!is_type(e, "call_expression"))
		return NONE;
	if (analysis_is_pkg_call(f, e, "log/slog", "New") ||
	    analysis_is_pkg_call(f, e, "log/slog", "Default") ||
	    analysis_is_pkg_call(f, e, "log/slog", "With"))
		return SLOG;
	if (analysis_is_pkg_call(f, e, "log", "New") ||
	    analysis_is_pkg_call(f, e, "log", "Default"))
		return STDLOG;
	TSNode fn = field(e, "function");
	if (is_type(fn, "selector_expression") &&
	    (analysis_text_eq(f, field(fn, "field"), "With") ||
	     analysis_text_eq(f, field(fn, "field"), "WithGroup"))) {
		TSNode op = field(fn, "operand");
		if (is_type(op, "identifier") && analysis_package_of(f, op))
			return NONE;
		return expr_kind(f, op, scope, budget) == SLOG ? SLOG : NONE;
	}
	return NONE;
}

/* The top-level declaration containing n: the scope in which loggers are looked up. */
static TSNode top_level(struct analysis_file *f, TSNode n)
{
	uint32_t c = ts_node_named_child_count(f->root);
	for (uint32_t i = 0; i < c; i++) {
		TSNode d = ts_node_named_child(f->root, i);
		if (ts_node_start_byte(d) <= ts_node_start_byte(n) &&
		    ts_node_end_byte(n) <= ts_node_end_byte(d))
			return d;
	}
	return f->root;
}

static char *req_ctx(const struct http_handler *h)
{
	if (!h->req_len)
		return xstrdup("the request's context");
	return xasprintf("%.*s.Context()", (int)h->req_len, h->req);
}

/*
 * The advice for a package without log/slog (older than Go 1.21, file not
 * importing it): the request-scoped logger pattern, and why not slog.
 */
static char *no_slog_advice(const struct analysis_file *f, const struct http_handler *h)
{
	char v[GOVERSION_MAX];
	char *ctx = req_ctx(h);
	char *r = xasprintf("log through a request-scoped logger taken from %s (log/slog's "
	                    "*Context methods need Go 1.21; this package is %s)",
	                    ctx, goversion_format(&f->lang, v, sizeof(v)));
	free(ctx);
	return r;
}

static void check_call(struct analysis_file *f, const struct http_handler *h, TSNode call,
                       void *data)
{
	const struct call_parts *parts = analysis_call_parts(f, call);
	const char *slog = analysis_import_name(f, "log/slog");
	const char *no_slog = data; /* NULL where log/slog exists */
	size_t qlen = 0;
	const char *q = "";
	if (!slog || !strcmp(slog, "."))
		slog = "slog";
	int selector = parts->selector;
	if (selector)
		q = analysis_text(f, parts->op, &qlen);
	/* package log */
	for (size_t i = 0; i < ARRAY_SIZE(log_funcs); i++) {
		if (!analysis_is_pkg_call(f, call, "log", log_funcs[i].name))
			continue;
		char *ctx = req_ctx(h);
		if (no_slog)
			analysis_report(f, call, "%.*s%s%s cannot carry the request's trace id; %s",
			                (int)qlen, q, qlen ? "." : "", log_funcs[i].name, no_slog);
		else
			analysis_report(f, call,
			                "%.*s%s%s cannot carry the request's trace id; use "
			                "%s.%sContext(%s, ...)",
			                (int)qlen, q, qlen ? "." : "", log_funcs[i].name, slog,
			                log_funcs[i].level, ctx);
		free(ctx);
		return;
	}
	/* package log/slog */
	for (size_t i = 0; i < ARRAY_SIZE(slog_levels); i++) {
		if (!analysis_is_pkg_call(f, call, "log/slog", slog_levels[i]))
			continue;
		char *ctx = req_ctx(h);
		analysis_report(
		    f, call,
		    "%.*s%s%s cannot carry the request's trace id; use %.*s%s%sContext(%s, ...)",
		    (int)qlen, q, qlen ? "." : "", slog_levels[i], (int)qlen, q, qlen ? "." : "",
		    slog_levels[i], ctx);
		free(ctx);
		return;
	}
	/* methods of a logger value */
	if (!selector)
		return;
	TSNode op = parts->op, name = parts->field;
	const char *level = NULL;
	int want = NONE;
	for (size_t i = 0; i < ARRAY_SIZE(slog_levels) && !level; i++)
		if (analysis_text_eq(f, name, slog_levels[i])) {
			level = slog_levels[i];
			want = SLOG;
		}
	for (size_t i = 0; i < ARRAY_SIZE(log_funcs) && !level; i++)
		if (analysis_text_eq(f, name, log_funcs[i].name)) {
			level = log_funcs[i].level;
			want = STDLOG;
		}
	int budget = 16;
	if (!level || qlen > 40 || memchr(q, '\n', qlen) ||
	    (is_type(op, "identifier") && analysis_package_of(f, op)) ||
	    (int)expr_kind(f, op, top_level(f, call), &budget) != want)
		return;
	size_t nlen;
	const char *nm = analysis_text(f, name, &nlen);
	char *ctx = req_ctx(h);
	if (want == SLOG)
		analysis_report(
		    f, call,
		    "%.*s.%s cannot carry the request's trace id; use %.*s.%sContext(%s, ...)",
		    (int)qlen, q, level, (int)qlen, q, level, ctx);
	else if (no_slog)
		analysis_report(f, call, "%.*s.%.*s cannot carry the request's trace id; %s",
		                (int)qlen, q, (int)nlen, nm, no_slog);
	else
		analysis_report(
		    f, call,
		    "%.*s.%.*s cannot carry the request's trace id; use %s.%sContext(%s, ...)",
		    (int)qlen, q, (int)nlen, nm, slog, level, ctx);
	free(ctx);
}

static void each_handler(struct analysis_file *f, const struct http_handler *h, void *data)
{
	int has_slog = *(int *)data;
	char *advice = has_slog ? NULL : no_slog_advice(f, h);
	analysis_for_each_call(f, h, check_call, advice);
	free(advice);
}

static void run(struct analysis_file *f)
{
	int has_slog = analysis_go_at_least(f, 1, 21) || analysis_import_name(f, "log/slog");
	analysis_for_each_handler(f, each_handler, &has_slog);
}

/* Handlers need net/http's types; literals given to HandleFunc count too. */
static const char *const needles[] = {"net/http", "HandleFunc", NULL};

const struct analyzer analyzer_logtrace = {
    "logtrace", "log calls inside HTTP handlers that cannot carry the request's trace id",
    SEV_INFO,   run,
    needles,    NULL,
    NULL,
};
