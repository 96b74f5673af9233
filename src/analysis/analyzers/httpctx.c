/*
 * httpctx - inside an HTTP handler, calls that drop the request's context:
 * the work they start is not cancelled when the client goes away and does
 * not carry the request's deadline or trace.
 *
 *   context.Background(), context.TODO()      -> r.Context()
 *     (with a fix: the call becomes r.Context(); safe in the handler's own
 *     body, not in a literal nested in it, which may outlive the request, nor
 *     after a declaration that may shadow r)
 *   http.Get/Head/Post/PostForm (also on http.DefaultClient)
 *                                             -> http.NewRequestWithContext + Do
 *   http.NewRequest                           -> http.NewRequestWithContext
 *   exec.Command                              -> exec.CommandContext
 *   net.Dial, net.DialTimeout                 -> (&net.Dialer{}).DialContext
 *   net.LookupHost/IP/Addr/CNAME/MX/NS/TXT/SRV/Port
 *                                             -> net.DefaultResolver.LookupX(ctx, ...)
 *   tls.Dial, tls.DialWithDialer              -> (&tls.Dialer{}).DialContext
 *   x.Handshake() (a *tls.Conn, in a file importing crypto/tls)
 *                                             -> x.HandshakeContext(ctx)
 *   x.Query/QueryRow/Exec/Prepare/Begin/Ping  -> x.QueryContext/.../BeginTx/PingContext
 *     (x a value, not a package: *sql.DB, *sql.Tx, *sql.Conn, *sql.Stmt)
 *
 * One step further: a call of a function or method declared in the same
 * file, or in another file of the package (analysis_package_decl), whose
 * body makes one of the calls above is reported at the call in the
 * handler, naming the chain (`handler → loadUser → context.Background()`,
 * with `loadUser (store.go:12)` when it is declared in another file). A
 * method is followed only when the package declares one method of that
 * name: without types, x.Get() could be any type's Get.
 * Not followed: functions that take a context.Context (also `_
 * context.Context`: they chose what to do with it) or an *http.Request
 * (they can use r.Context()).
 *
 * Not reported: a Background()/TODO() that feeds a server's Shutdown
 * (srv.Shutdown(context.Background()), or through a variable, also via
 * context.WithTimeout: the request's context dies with the server), and an
 * http.NewRequest whose result gets .WithContext(...) in the same function.
 *
 * Advice fits the package's Go version (analysis_go_at_least): an API newer
 * than the go.mod's go line (NewRequestWithContext 1.13, tls.Dialer and
 * Resolver.LookupIP 1.15, HandshakeContext 1.17) is not suggested there;
 * the message names what that Go has instead.
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

static int is_type(TSNode n, const char *t)
{
	return !ts_node_is_null(n) && strcmp(ts_node_type(n), t) == 0;
}

/*
 * True when call sits in a function literal nested in handler h (a
 * goroutine, a callback): it may run after the handler returned, when the
 * request's context is cancelled, so switching it to that context needs a look.
 */
static int in_nested_func(const struct http_handler *h, TSNode call)
{
	/*
	 * Down from the handler, not up from the call: ts_node_parent searches
	 * from the root each time, which made 2,000 nested blocks take seconds.
	 */
	for (TSNode n = h->node;;) {
		n = ts_node_child_with_descendant(n, call);
		if (ts_node_is_null(n) || ts_node_eq(n, call))
			return 0;
		if (is_type(n, "func_literal"))
			return 1;
	}
}

/*
 * True when handler h's body declares its request's name again before call
 * (`r := ...`, `for _, r := range`, `var r`, a literal's parameter r): the
 * name may not mean the request at the call, so a fix using it needs a look.
 * Any such declaration counts, whatever its scope: the answer errs on "needs
 * a look".
 */
static int req_redeclared(struct analysis_file *f, const struct http_handler *h, TSNode call)
{
	uint32_t end = ts_node_start_byte(call);
	TSTreeCursor c = ts_tree_cursor_new(h->body);
	int found = 0;
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		if (ts_node_start_byte(n) >= end)
			break;
		size_t len;
		const char *t = is_type(n, "identifier") ? analysis_text(f, n, &len) : NULL;
		if (t && len == h->req_len && memcmp(t, h->req, len) == 0) {
			TSNode p = ts_node_parent(n);
			if (is_type(p, "expression_list"))
				p = ts_node_parent(p);
			if (is_type(p, "short_var_declaration") || is_type(p, "range_clause") ||
			    is_type(p, "var_spec") || is_type(p, "const_spec") ||
			    is_type(p, "parameter_declaration") || is_type(p, "type_spec") ||
			    is_type(p, "receive_statement") ||
			    is_type(p, "type_switch_statement")) {
				found = 1;
				break;
			}
		}
		if (!analysis_cursor_next(&c, ts_node_child_count(n) > 0))
			break;
	}
	ts_tree_cursor_delete(&c);
	return found;
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

/* ---- exemptions ------------------------------------------------------------ */

/* Calls fn(f, call, data) for every call_expression under scope until it returns 1. */
static int any_call(struct analysis_file *f, TSNode scope,
                    int (*fn)(struct analysis_file *f, TSNode call, void *data), void *data)
{
	if (ts_node_is_null(scope))
		return 0;
	TSTreeCursor c = ts_tree_cursor_new(scope);
	int found = 0;
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		if (is_type(n, "call_expression") && fn(f, n, data)) {
			found = 1;
			break;
		}
		if (!analysis_cursor_next(&c, ts_node_child_count(n) > 0))
			break;
	}
	ts_tree_cursor_delete(&c);
	return found;
}

/*
 * The variable expression e is stored in: `v := e`, `v, w := e`, `v = e`,
 * `var v = e` (the first name on the left), or a null node.
 */
static TSNode stored_in(TSNode e)
{
	TSNode p = ts_node_parent(e), null = {{0, 0, 0, 0}, NULL, NULL};
	if (is_type(p, "expression_list"))
		p = ts_node_parent(p);
	if (is_type(p, "short_var_declaration") || is_type(p, "assignment_statement")) {
		TSNode l = analysis_field(p, "left");
		if (is_type(l, "expression_list"))
			l = ts_node_named_child(l, 0);
		return is_type(l, "identifier") ? l : null;
	}
	if (is_type(p, "var_spec")) {
		TSNode l = analysis_field(p, "name");
		return is_type(l, "identifier") ? l : null;
	}
	return null;
}

struct method_arg {
	const char *method; /* "Shutdown", "WithContext" */
	const char *var;    /* the variable's name */
	size_t len;
	int on_receiver; /* 1: var.method(...); 0: x.method(var) */
};

static int is_method_with(struct analysis_file *f, TSNode call, void *data)
{
	const struct method_arg *m = data;
	const struct call_parts *c = analysis_call_parts(f, call);
	if (!c->selector || !analysis_text_eq(f, c->field, m->method))
		return 0;
	TSNode v = m->on_receiver ? c->op : ts_node_named_child(c->args, 0);
	size_t len;
	const char *t;
	if (ts_node_is_null(v) || !is_type(v, "identifier"))
		return 0;
	t = analysis_text(f, v, &len);
	return len == m->len && memcmp(t, m->var, len) == 0;
}

/* True when var (an identifier node) appears in scope as var.method(...) or x.method(var). */
static int used_with(struct analysis_file *f, TSNode scope, TSNode var, const char *method,
                     int on_receiver)
{
	struct method_arg m;
	m.method = method;
	m.var = analysis_text(f, var, &m.len);
	m.on_receiver = on_receiver;
	if (m.len == 1 && m.var[0] == '_')
		return 0; /* `_ = context.Background()`: stored nowhere */
	return any_call(f, scope, is_method_with, &m);
}

/* True when call is x.Shutdown(...) (an http.Server's, or any server's). */
static int is_shutdown(struct analysis_file *f, TSNode call)
{
	const struct call_parts *c = analysis_call_parts(f, call);
	return c->is_call && c->selector && analysis_text_eq(f, c->field, "Shutdown");
}

/*
 * True when the context.Background()/TODO() call bg feeds a Shutdown:
 * directly, through context.WithTimeout/WithDeadline/WithCancel, or
 * through a variable given to x.Shutdown(v) in scope. A server shutting
 * down cancels the requests' contexts: Background is the right root there.
 */
static int feeds_shutdown(struct analysis_file *f, TSNode bg, TSNode scope)
{
	static const char *const derive[] = {"WithTimeout", "WithDeadline", "WithCancel",
	                                     "WithoutCancel", NULL};
	TSNode e = bg;
	for (int step = 0; step < 4; step++) {
		TSNode p = ts_node_parent(e);
		if (is_type(p, "argument_list")) {
			TSNode call = ts_node_parent(p);
			const char *which;
			if (is_shutdown(f, call))
				return 1;
			if (!is_any(f, call, "context", derive, &which))
				return 0;
			e = call; /* ctx, cancel := context.WithTimeout(context.Background(), d) */
			continue;
		}
		TSNode v = stored_in(e);
		return !ts_node_is_null(v) && used_with(f, scope, v, "Shutdown", 0);
	}
	return 0;
}

/* ---- what a call drops --------------------------------------------------- */

/* A call that drops the request's context. */
struct drop {
	char *msg;  /* the finding's message at the call */
	char *name; /* the call for a chain: "context.Background()", "http.Get", "db.Query" */
	int bg;     /* context.Background()/TODO(): the call can become ctx */
};

static void drop_release(struct drop *d)
{
	free(d->msg);
	free(d->name);
	memset(d, 0, sizeof(*d));
}

/* "needs Go 1.17; this package is go1.16": why newer advice is not given. */
static char *needs(const struct analysis_file *f, unsigned minor)
{
	char v[GOVERSION_MAX];
	return xasprintf("needs Go 1.%u; this package is %s", minor,
	                 goversion_format(&f->lang, v, sizeof(v)));
}

/* x.Query(...) and friends on a value x: the database/sql methods without a context. */
static int db_drop(struct analysis_file *f, TSNode call, const char *ctx, struct drop *d)
{
	static const struct {
		const char *name, *repl;
		int min_args, max_args; /* how database/sql calls them */
	} m[] = {
	    {"Query", "QueryContext", 1, -1}, {"QueryRow", "QueryRowContext", 0, -1},
	    {"Exec", "ExecContext", 0, -1},   {"Prepare", "PrepareContext", 1, 1},
	    {"Begin", "BeginTx", 0, 0},       {"Ping", "PingContext", 0, 0},
	};
	const struct call_parts *c = analysis_call_parts(f, call);
	TSNode args = c->args;
	if (!c->selector || ts_node_is_null(args))
		return 0;
	TSNode op = c->op;
	TSNode name = c->field;
	if (ts_node_is_null(op) || ts_node_is_null(name))
		return 0;
	uint32_t nargs = ts_node_named_child_count(args);
	for (size_t i = 0; i < ARRAY_SIZE(m); i++) {
		if (!analysis_text_eq(f, name, m[i].name))
			continue;
		if (nargs < (uint32_t)m[i].min_args ||
		    (m[i].max_args >= 0 && nargs > (uint32_t)m[i].max_args))
			return 0;
		if (nargs && looks_like_ctx(f, ts_node_named_child(args, 0)))
			return 0;
		if (is_type(op, "identifier") && analysis_package_of(f, op))
			return 0; /* pkg.Query(): a package function, not a database handle */
		size_t len;
		const char *t = analysis_text(f, op, &len);
		const char *tail = !strcmp(m[i].name, "Begin")  ? ", nil)"
		                   : !strcmp(m[i].name, "Ping") ? ")"
		                                                : ", ...)";
		if (len > 40 || memchr(t, '\n', len)) {
			d->msg = xasprintf("%s drops the request's context; use %s(%s%s", m[i].name,
			                   m[i].repl, ctx, tail);
			d->name = xasprintf("%s", m[i].name);
		} else {
			d->msg =
			    xasprintf("%.*s.%s drops the request's context; use %.*s.%s(%s%s",
			              (int)len, t, m[i].name, (int)len, t, m[i].repl, ctx, tail);
			d->name = xasprintf("%.*s.%s", (int)len, t, m[i].name);
		}
		return 1;
	}
	return 0;
}

/* http.DefaultClient.Get(...) and friends. */
static int default_client_drop(struct analysis_file *f, TSNode call, const char *ctx,
                               struct drop *d)
{
	static const char *const verbs[] = {"Get", "Head", "Post", "PostForm"};
	const struct call_parts *c = analysis_call_parts(f, call);
	if (!c->selector)
		return 0;
	TSNode op = c->op;
	TSNode name = c->field;
	if (!is_type(op, "selector_expression") ||
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
		if (analysis_go_at_least(f, 1, 13))
			d->msg = xasprintf(
			    "%.*s.DefaultClient.%s drops the request's context; use "
			    "%.*s.NewRequestWithContext(%s, ...) and %.*s.DefaultClient.Do",
			    (int)plen, p, verbs[i], (int)plen, p, ctx, (int)plen, p);
		else
			d->msg = xasprintf("%.*s.DefaultClient.%s drops the request's context; use "
			                   "%.*s.NewRequest, req.WithContext(%s) and "
			                   "%.*s.DefaultClient.Do",
			                   (int)plen, p, verbs[i], (int)plen, p, ctx, (int)plen, p);
		d->name = xasprintf("%.*s.DefaultClient.%s", (int)plen, p, verbs[i]);
		return 1;
	}
	return 0;
}

/* x.Handshake() in a file that imports crypto/tls: (*tls.Conn).Handshake. */
static int handshake_drop(struct analysis_file *f, TSNode call, const char *ctx, struct drop *d)
{
	const struct call_parts *c = analysis_call_parts(f, call);
	if (!c->selector || !analysis_text_eq(f, c->field, "Handshake") ||
	    ts_node_named_child_count(c->args) != 0 || !analysis_import_name(f, "crypto/tls") ||
	    (is_type(c->op, "identifier") && analysis_package_of(f, c->op)))
		return 0;
	size_t len;
	const char *t = analysis_text(f, c->op, &len);
	if (len > 40 || memchr(t, '\n', len))
		t = "conn", len = 4;
	if (analysis_go_at_least(f, 1, 17)) {
		d->msg = xasprintf("%.*s.Handshake drops the request's context; use "
		                   "%.*s.HandshakeContext(%s)",
		                   (int)len, t, (int)len, t, ctx);
	} else {
		char *why = needs(f, 17);
		d->msg = xasprintf("%.*s.Handshake drops the request's context; set a deadline "
		                   "from %s.Deadline() with %.*s.SetDeadline (HandshakeContext %s)",
		                   (int)len, t, ctx, (int)len, t, why);
		free(why);
	}
	d->name = xasprintf("%.*s.Handshake", (int)len, t);
	return 1;
}

/*
 * Whether call drops the request's context, and how to say so (ctx: how
 * to name the context to use). scope: the function body call is in, for
 * the exemptions (a Shutdown fed, a WithContext applied). Returns 1 with
 * *d filled, else 0.
 */
static int describe(struct analysis_file *f, TSNode call, TSNode scope, const char *ctx,
                    struct drop *d)
{
	static const char *const bg[] = {"Background", "TODO", NULL};
	static const char *const get[] = {"Get", "Head", "Post", "PostForm", NULL};
	static const char *const newreq[] = {"NewRequest", NULL};
	static const char *const cmd[] = {"Command", NULL};
	static const char *const dial[] = {"Dial", "DialTimeout", NULL};
	static const char *const lookup[] = {"LookupHost", "LookupIP", "LookupAddr", "LookupCNAME",
	                                     "LookupMX",   "LookupNS", "LookupTXT",  "LookupSRV",
	                                     "LookupPort", NULL};
	static const char *const tlsdial[] = {"Dial", "DialWithDialer", NULL};
	const char *which;
	char *q = NULL;
	int r = 1;
	memset(d, 0, sizeof(*d));
	if (is_any(f, call, "context", bg, &which)) {
		if (feeds_shutdown(f, call, scope))
			return 0;
		q = qualifier(f, call);
		d->msg = xasprintf("use %s instead of %s%s()", ctx, q, which);
		d->name = xasprintf("%s%s()", q, which);
		d->bg = 1;
	} else if (is_any(f, call, "net/http", get, &which)) {
		q = qualifier(f, call);
		if (analysis_go_at_least(f, 1, 13))
			d->msg = xasprintf("%s%s drops the request's context; use "
			                   "%sNewRequestWithContext(%s, ...) and a client's Do",
			                   q, which, q, ctx);
		else
			d->msg = xasprintf("%s%s drops the request's context; use %sNewRequest, "
			                   "req.WithContext(%s) and a client's Do",
			                   q, which, q, ctx);
		d->name = xasprintf("%s%s", q, which);
	} else if (is_any(f, call, "net/http", newreq, &which)) {
		TSNode v = stored_in(call);
		if (!ts_node_is_null(v) && used_with(f, scope, v, "WithContext", 1))
			return 0; /* req = req.WithContext(ctx) follows */
		q = qualifier(f, call);
		if (analysis_go_at_least(f, 1, 13))
			d->msg = xasprintf("%sNewRequest drops the request's context; use "
			                   "%sNewRequestWithContext(%s, ...)",
			                   q, q, ctx);
		else
			d->msg =
			    xasprintf("%sNewRequest drops the request's context; follow it with "
			              "req = req.WithContext(%s)",
			              q, ctx);
		d->name = xasprintf("%sNewRequest", q);
	} else if (is_any(f, call, "os/exec", cmd, &which)) {
		q = qualifier(f, call);
		d->msg = xasprintf("%sCommand drops the request's context; use "
		                   "%sCommandContext(%s, ...)",
		                   q, q, ctx);
		d->name = xasprintf("%sCommand", q);
	} else if (is_any(f, call, "net", dial, &which)) {
		q = qualifier(f, call);
		d->msg = xasprintf("%s%s drops the request's context; use "
		                   "(&%sDialer{}).DialContext(%s, ...)",
		                   q, which, q, ctx);
		d->name = xasprintf("%s%s", q, which);
	} else if (is_any(f, call, "net", lookup, &which)) {
		q = qualifier(f, call);
		if (!strcmp(which, "LookupIP") && !analysis_go_at_least(f, 1, 15))
			d->msg = xasprintf("%sLookupIP drops the request's context; use "
			                   "%sDefaultResolver.LookupIPAddr(%s, ...)",
			                   q, q, ctx);
		else if (!strcmp(which, "LookupIP"))
			d->msg = xasprintf("%sLookupIP drops the request's context; use "
			                   "%sDefaultResolver.LookupIP(%s, \"ip\", ...)",
			                   q, q, ctx);
		else
			d->msg = xasprintf("%s%s drops the request's context; use "
			                   "%sDefaultResolver.%s(%s, ...)",
			                   q, which, q, which, ctx);
		d->name = xasprintf("%s%s", q, which);
	} else if (is_any(f, call, "crypto/tls", tlsdial, &which)) {
		q = qualifier(f, call);
		if (analysis_go_at_least(f, 1, 15)) {
			d->msg = xasprintf("%s%s drops the request's context; use "
			                   "(&%sDialer{}).DialContext(%s, ...)",
			                   q, which, q, ctx);
		} else {
			char *why = needs(f, 15);
			d->msg = xasprintf("%s%s drops the request's context; dial with "
			                   "(&net.Dialer{}).DialContext(%s, ...) and wrap the "
			                   "connection in %sClient (%sDialer %s)",
			                   q, which, ctx, q, q, why);
			free(why);
		}
		d->name = xasprintf("%s%s", q, which);
	} else if (!default_client_drop(f, call, ctx, d) && !handshake_drop(f, call, ctx, d)) {
		r = db_drop(f, call, ctx, d);
	}
	free(q);
	return r;
}

/* ---- one step: a function of this file that drops the context ------------- */

/* True when a parameter of function node fn has type t ("context.Context" under ctxname). */
static int has_param_type(struct analysis_file *f, TSNode fn, const char *pkgpath, const char *type,
                          int ptr)
{
	const char *name = analysis_import_name(f, pkgpath);
	TSNode params = analysis_field(fn, "parameters");
	if (!name || ts_node_is_null(params))
		return 0;
	char *want = !strcmp(name, ".") ? xasprintf("%s%s", ptr ? "*" : "", type)
	                                : xasprintf("%s%s.%s", ptr ? "*" : "", name, type);
	int found = 0;
	for (uint32_t i = 0; i < ts_node_named_child_count(params) && !found; i++) {
		TSNode p = ts_node_named_child(params, i);
		TSNode t = analysis_field(p, "type");
		found = !ts_node_is_null(t) && analysis_text_eq(f, t, want);
	}
	free(want);
	return found;
}

/* A function or method declared in the file, for the one step. */
struct decl {
	const char *name; /* into the source */
	size_t len;
	int method;  /* a method_declaration (else a function_declaration) */
	TSNode node; /* the declaration */
	int scanned; /* its body was looked at: */
	char *drop;  /* what in it drops the context ("context.Background()"), or NULL */
};

/* The file's functions and methods by name, made on first use: one walk of the top level. */
struct decls {
	int built;
	ARRAY(struct decl) v; /* sorted by method, name */
};

static int cmp_decl(const void *pa, const void *pb)
{
	const struct decl *a = pa, *b = pb;
	if (a->method != b->method)
		return a->method - b->method;
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, n);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static void decls_build(struct analysis_file *f, struct decls *ds)
{
	size_t nroots;
	const TSNode *roots = analysis_roots(f, &nroots);
	ds->built = 1;
	for (size_t k = 0; k < nroots; k++) {
		uint32_t n = ts_node_named_child_count(roots[k]);
		for (uint32_t i = 0; i < n; i++) {
			TSNode d = ts_node_named_child(roots[k], i);
			int method = is_type(d, "method_declaration");
			if (!method && !is_type(d, "function_declaration"))
				continue;
			TSNode name = analysis_field(d, "name");
			if (ts_node_is_null(name))
				continue;
			struct decl e;
			memset(&e, 0, sizeof(e));
			e.name = analysis_text(f, name, &e.len);
			e.method = method;
			e.node = d;
			ARRAY_PUSH(ds->v, e);
		}
	}
	if (ds->v.n > 1)
		qsort(ds->v.v, ds->v.n, sizeof(*ds->v.v), cmp_decl);
}

static void decls_release(struct decls *ds)
{
	for (size_t i = 0; i < ds->v.n; i++)
		free(ds->v.v[i].drop);
	ARRAY_FREE(ds->v);
}

/* Who call calls: a name, and whether as a method. */
struct callee {
	const char *name; /* into the source; NULL: not a call golive follows */
	size_t len;
	int method;
	size_t here;    /* declarations of that name in this file (0, 1 or 2 for "several") */
	struct decl *e; /* the one in this file, when here is 1 */
};

/*
 * The declaration in this file of the function call calls: `name(...)` a
 * top-level function, `x.name(...)` (x not a package) the only method of
 * that name. NULL when there is none or it is not clear which. Fills *ce
 * (when not NULL) with the name and the count.
 */
static struct decl *callee_of(struct analysis_file *f, struct decls *ds, TSNode call,
                              struct callee *ce)
{
	const struct call_parts *c = analysis_call_parts(f, call);
	struct decl key;
	TSNode name;
	memset(&key, 0, sizeof(key));
	if (c->selector) {
		if (is_type(c->op, "identifier") && analysis_package_of(f, c->op))
			return NULL;
		name = c->field;
		key.method = 1;
	} else if (is_type(c->fn, "identifier")) {
		name = c->fn;
	} else {
		return NULL;
	}
	key.name = analysis_text(f, name, &key.len);
	if (ce) {
		ce->name = key.name;
		ce->len = key.len;
		ce->method = key.method;
	}
	if (!ds->built)
		decls_build(f, ds);
	size_t lo = 0, hi = ds->v.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (cmp_decl(&ds->v.v[mid], &key) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo >= ds->v.n || cmp_decl(&ds->v.v[lo], &key) != 0)
		return NULL;
	if (lo + 1 < ds->v.n && cmp_decl(&ds->v.v[lo + 1], &key) == 0) {
		if (ce)
			ce->here = 2;
		return NULL; /* two of that name (methods of two types): which one is unknown */
	}
	if (ce) {
		ce->here = 1;
		ce->e = &ds->v.v[lo];
	}
	return &ds->v.v[lo];
}

struct first_drop {
	TSNode body;
	struct drop d;
	int found;
};

static int find_drop(struct analysis_file *f, TSNode call, void *data)
{
	struct first_drop *fd = data;
	fd->found = describe(f, call, fd->body, "ctx", &fd->d);
	return fd->found;
}

/* What in the body of declaration node (a function or method) drops the context, or NULL. */
static char *node_drop(struct analysis_file *f, TSNode node)
{
	char *drop = NULL;
	if (has_param_type(f, node, "context", "Context", 0) ||
	    has_param_type(f, node, "net/http", "Request", 1))
		return NULL; /* it has a context, or the request's */
	struct first_drop fd;
	memset(&fd, 0, sizeof(fd));
	fd.body = analysis_field(node, "body");
	if (any_call(f, fd.body, find_drop, &fd)) {
		drop = fd.d.name;
		fd.d.name = NULL;
	}
	drop_release(&fd.d);
	return drop;
}

/* What in declaration e's body drops the context, or NULL; looked at once per file. */
static const char *decl_drop(struct analysis_file *f, struct decl *e)
{
	if (!e->scanned) {
		e->scanned = 1;
		e->drop = node_drop(f, e->node);
	}
	return e->drop;
}

/* A name for handler h in a chain: its function's or method's name, else "handler". */
static char *handler_name(struct analysis_file *f, const struct http_handler *h)
{
	TSNode n = analysis_field(h->node, "name");
	if (is_type(h->node, "func_literal") || ts_node_is_null(n))
		return xstrdup("handler");
	size_t len;
	const char *t = analysis_text(f, n, &len);
	return xstrndup(t, len);
}

/* "store.go:12": where another file of the package declares it. */
static char *decl_where(const struct analysis_decl *d)
{
	const char *base = strrchr(d->path, '/');
	return xasprintf("%s:%u", base ? base + 1 : d->path, d->line);
}

/*
 * The one step: call (in handler h) calls a function of this file, or of
 * another file of the package, that drops the context.
 */
static void check_callee(struct analysis_file *f, struct decls *ds, const struct http_handler *h,
                         TSNode call, const char *ctx)
{
	struct callee ce;
	struct analysis_decl other;
	memset(&ce, 0, sizeof(ce));
	callee_of(f, ds, call, &ce);
	if (!ce.name || ce.here > 1)
		return;
	size_t elsewhere = analysis_package_decl(f, ce.method, ce.name, ce.len, &other);
	if (ce.here + elsewhere != 1)
		return; /* none, or several methods of that name: which one is unknown */
	const char *drop;
	char *where = NULL;
	if (ce.here) {
		if (ts_node_eq(ce.e->node, h->node))
			return;
		drop = decl_drop(f, ce.e);
	} else {
		drop = other.fact;
		where = decl_where(&other);
	}
	if (drop) {
		char *hn = handler_name(f, h);
		int len = (int)ce.len;
		analysis_report(
		    f, call,
		    "%.*s drops the request's context: %s \xE2\x86\x92 %.*s%s%s%s "
		    "\xE2\x86\x92 %s; give %.*s a context.Context parameter and pass it %s",
		    len, ce.name, hn, len, ce.name, where ? " (" : "", where ? where : "",
		    where ? ")" : "", drop, len, ce.name, ctx);
		free(hn);
	}
	free(where);
}

/* decl_fact: what a function or method of another file drops, for the one step. */
static char *httpctx_decl_fact(struct analysis_file *f, TSNode decl)
{
	return node_drop(f, decl);
}

static void check_call(struct analysis_file *f, const struct http_handler *h, TSNode call,
                       void *data)
{
	char *ctx = req_ctx(h);
	struct drop d;
	if (describe(f, call, h->body, ctx, &d)) {
		struct diag *dg = analysis_report(f, call, "%s", d.msg);
		if (d.bg && h->req_len) {
			char *title = xasprintf("use %s", ctx);
			int safe = !in_nested_func(h, call) && !req_redeclared(f, h, call);
			analysis_fix_replace(f, dg, call, title, safe, ctx);
			free(title);
		}
		drop_release(&d);
	} else {
		check_callee(f, data, h, call, ctx);
	}
	free(ctx);
}

static void each_handler(struct analysis_file *f, const struct http_handler *h, void *data)
{
	analysis_for_each_call(f, h, check_call, data);
}

static void run(struct analysis_file *f)
{
	struct decls ds;
	memset(&ds, 0, sizeof(ds));
	analysis_for_each_handler(f, each_handler, &ds);
	decls_release(&ds);
}

/*
 * What a function that drops the context calls (describe), as gofmt writes
 * a call: one of these is in its text ("TODO:" in a comment is not).
 */
static const char *const decl_needles[] = {
    "Background(",     "TODO(",       "Get(",       "Head(",  "Post(",
    "PostForm(",       "NewRequest(", "Command(",   "Dial(",  "DialTimeout(",
    "DialWithDialer(", "Lookup",      "Handshake(", "Query(", "QueryRow(",
    "Exec(",           "Prepare(",    "Begin(",     "Ping(",  NULL};

/* Handlers need net/http's types; literals given to HandleFunc count too. */
static const char *const needles[] = {"net/http", "HandleFunc", NULL};

const struct analyzer analyzer_httpctx = {
    "httpctx",    "calls inside HTTP handlers that drop the request's context",
    SEV_WARNING,  run,
    needles,      httpctx_decl_fact,
    decl_needles,
};
