/*
 * httpctx - inside an HTTP handler, calls that drop the request's context:
 * the work they start is not cancelled when the client goes away and does
 * not carry the request's deadline or trace.
 *
 *   context.Background(), context.TODO()      -> r.Context()
 *     (with a fix: the call becomes r.Context(); safe in the handler's own
 *     body, not in a literal nested in it, which may outlive the request)
 *   http.Get/Head/Post/PostForm (also on http.DefaultClient)
 *                                             -> http.NewRequestWithContext + Do
 *   http.NewRequest                           -> http.NewRequestWithContext
 *   exec.Command                              -> exec.CommandContext
 *   net.Dial, net.DialTimeout                 -> (&net.Dialer{}).DialContext
 *   x.Query/QueryRow/Exec/Prepare/Begin       -> x.QueryContext/.../BeginTx
 *     (x a value, not a package: *sql.DB, *sql.Tx, *sql.Conn, *sql.Stmt)
 *
 * Packages are matched by import path, under whatever name the file
 * imports them (aliases, dot imports) and never when a local declaration
 * shadows that name. Messages quote the names as the code writes them.
 */
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze.h"

/* "r.Context()", or a phrase when the request parameter has no name. */
static char *req_ctx(const struct http_handler *h)
{
	if (!h->req_len)
		return xstrdup("the request's context");
	return xasprintf("%.*s.Context()", (int)h->req_len, h->req);
}

/* The qualifier as written before fn in call: "nethttp." or "" (dot import). */
static char *qualifier(struct analysis_file *f, TSNode call)
{
	const struct call_parts *c = analysis_call_parts(f, call);
	if (!c->selector)
		return xstrdup("");
	size_t len;
	const char *t = analysis_text(f, c->op, &len);
	return xasprintf("%.*s.", (int)len, t);
}

/*
 * True when call sits in a function literal nested in handler h (a
 * goroutine, a callback): it may run after the handler returned, when the
 * request's context is cancelled, so switching it to that context needs a look.
 */
static int in_nested_func(const struct http_handler *h, TSNode call)
{
	for (TSNode n = ts_node_parent(call); !ts_node_is_null(n); n = ts_node_parent(n)) {
		if (ts_node_eq(n, h->node))
			return 0;
		if (strcmp(ts_node_type(n), "func_literal") == 0)
			return 1;
	}
	return 0;
}

static int is_any(struct analysis_file *f, TSNode call, const char *path, const char *const *names,
                  const char **which)
{
	for (size_t i = 0; names[i]; i++)
		if (analysis_is_pkg_call(f, call, path, names[i])) {
			*which = names[i];
			return 1;
		}
	return 0;
}

/* True when argument a visibly carries a context (pgx-style APIs take one first). */
static int looks_like_ctx(struct analysis_file *f, TSNode a)
{
	size_t len;
	const char *t = analysis_text(f, a, &len);
	static const char *const hints[] = {"ctx", "Ctx", "context", "Context", "CTX"};
	for (size_t i = 0; i < ARRAY_SIZE(hints); i++) {
		size_t hl = strlen(hints[i]);
		for (size_t j = 0; j + hl <= len; j++)
			if (memcmp(t + j, hints[i], hl) == 0)
				return 1;
	}
	return 0;
}

/* x.Query(...) and friends on a value x: the database/sql methods without a context. */
static void check_db(struct analysis_file *f, TSNode call, const char *ctx)
{
	static const struct {
		const char *name, *repl;
		int min_args, max_args; /* how database/sql calls them */
	} m[] = {
	    {"Query", "QueryContext", 1, -1}, {"QueryRow", "QueryRowContext", 0, -1},
	    {"Exec", "ExecContext", 0, -1},   {"Prepare", "PrepareContext", 1, 1},
	    {"Begin", "BeginTx", 0, 0},
	};
	const struct call_parts *c = analysis_call_parts(f, call);
	TSNode args = c->args;
	if (!c->selector || ts_node_is_null(args))
		return;
	TSNode op = c->op;
	TSNode name = c->field;
	if (ts_node_is_null(op) || ts_node_is_null(name))
		return;
	uint32_t nargs = ts_node_named_child_count(args);
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		if (!analysis_text_eq(f, name, m[i].name))
			continue;
		if (nargs < (uint32_t)m[i].min_args ||
		    (m[i].max_args >= 0 && nargs > (uint32_t)m[i].max_args))
			return;
		if (nargs && looks_like_ctx(f, ts_node_named_child(args, 0)))
			return;
		if (strcmp(ts_node_type(op), "identifier") == 0 && analysis_package_of(f, op))
			return; /* pkg.Query(): a package function, not a database handle */
		size_t len;
		const char *t = analysis_text(f, op, &len);
		if (len > 40 || memchr(t, '\n', len)) {
			analysis_report(f, call, "%s drops the request's context; use %s(%s, ...)",
			                m[i].name, m[i].repl, ctx);
		} else if (!strcmp(m[i].name, "Begin")) {
			analysis_report(
			    f, call,
			    "%.*s.Begin drops the request's context; use %.*s.BeginTx(%s, nil)",
			    (int)len, t, (int)len, t, ctx);
		} else {
			analysis_report(f, call,
			                "%.*s.%s drops the request's context; use %.*s.%s(%s, ...)",
			                (int)len, t, m[i].name, (int)len, t, m[i].repl, ctx);
		}
		return;
	}
}

/* http.DefaultClient.Get(...) and friends. */
static int check_default_client(struct analysis_file *f, TSNode call, const char *ctx)
{
	static const char *const verbs[] = {"Get", "Head", "Post", "PostForm"};
	const struct call_parts *c = analysis_call_parts(f, call);
	if (!c->selector)
		return 0;
	TSNode op = c->op;
	TSNode name = c->field;
	if (strcmp(ts_node_type(op), "selector_expression") != 0 ||
	    !analysis_text_eq(f, analysis_field(op, "field"), "DefaultClient"))
		return 0;
	TSNode pkg = analysis_field(op, "operand");
	const char *path = analysis_package_of(f, pkg);
	if (!path || strcmp(path, "net/http") != 0)
		return 0;
	for (size_t i = 0; i < ARRAY_SIZE(verbs); i++) {
		if (!analysis_text_eq(f, name, verbs[i]))
			continue;
		size_t plen;
		const char *p = analysis_text(f, pkg, &plen);
		analysis_report(f, call,
		                "%.*s.DefaultClient.%s drops the request's context; use "
		                "%.*s.NewRequestWithContext(%s, ...) and %.*s.DefaultClient.Do",
		                (int)plen, p, verbs[i], (int)plen, p, ctx, (int)plen, p);
		return 1;
	}
	return 0;
}

static void check_call(struct analysis_file *f, const struct http_handler *h, TSNode call,
                       void *data)
{
	static const char *const bg[] = {"Background", "TODO", NULL};
	static const char *const get[] = {"Get", "Head", "Post", "PostForm", NULL};
	static const char *const newreq[] = {"NewRequest", NULL};
	static const char *const cmd[] = {"Command", NULL};
	static const char *const dial[] = {"Dial", "DialTimeout", NULL};
	const char *which;
	char *ctx = req_ctx(h), *q = NULL;
	(void)data;
	if (is_any(f, call, "context", bg, &which)) {
		q = qualifier(f, call);
		struct diag *d =
		    analysis_report(f, call, "use %s instead of %s%s()", ctx, q, which);
		if (h->req_len) {
			char *title = xasprintf("use %s", ctx);
			analysis_fix_replace(f, d, call, title, !in_nested_func(h, call), ctx);
			free(title);
		}
	} else if (is_any(f, call, "net/http", get, &which)) {
		q = qualifier(f, call);
		analysis_report(f, call,
		                "%s%s drops the request's context; use "
		                "%sNewRequestWithContext(%s, ...) and a client's Do",
		                q, which, q, ctx);
	} else if (is_any(f, call, "net/http", newreq, &which)) {
		q = qualifier(f, call);
		analysis_report(f, call,
		                "%sNewRequest drops the request's context; use "
		                "%sNewRequestWithContext(%s, ...)",
		                q, q, ctx);
	} else if (is_any(f, call, "os/exec", cmd, &which)) {
		q = qualifier(f, call);
		analysis_report(
		    f, call, "%sCommand drops the request's context; use %sCommandContext(%s, ...)",
		    q, q, ctx);
	} else if (is_any(f, call, "net", dial, &which)) {
		q = qualifier(f, call);
		analysis_report(
		    f, call,
		    "%s%s drops the request's context; use (&%sDialer{}).DialContext(%s, ...)", q,
		    which, q, ctx);
	} else if (!check_default_client(f, call, ctx)) {
		check_db(f, call, ctx);
	}
	free(q);
	free(ctx);
}

static void each_handler(struct analysis_file *f, const struct http_handler *h, void *data)
{
	analysis_for_each_call(f, h, check_call, data);
}

static void run(struct analysis_file *f)
{
	analysis_for_each_handler(f, each_handler, NULL);
}

/* Handlers need net/http's types; literals given to HandleFunc count too. */
static const char *const needles[] = {"net/http", "HandleFunc", NULL};

const struct analyzer analyzer_httpctx = {
    "httpctx", "calls inside HTTP handlers that drop the request's context", SEV_WARNING, run,
    needles,
};
