/*
 * analyze.c - see analyze.h. The framework around the analyzers: the
 * per-thread context, the per-file facts the analyzers ask about (imports,
 * scopes, handlers), reporting with `//golive:ignore` suppressions and
 * running them over a file. The settings are analyze_settings.c's; a big
 * file split into chunks on threads is analyze_chunks.c's.
 */
#define _GNU_SOURCE /* memmem */
#include "analysis/analyze.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/analyze_priv.h"
#include "analysis/tsarena.h"
#include "analysis/tswalk.h"
#include "analysis/analyzers/rules.h"

const TSLanguage *tree_sitter_go(void);

/* What f->analyzer points at while user rules run. */
const struct analyzer analysis_rules_pseudo = {
    "rules", "user rules from golive.yaml", SEV_WARNING, NULL, NULL, NULL, NULL};

/* ---- context --------------------------------------------------------------- */

TSParser *analysis_parser_new(void)
{
	TSParser *p = ts_parser_new();
	if (!ts_parser_set_language(p, tree_sitter_go()))
		BUG("tree-sitter-go grammar is incompatible with the tree-sitter core");
	return p;
}

struct analysis_ctx *analysis_ctx_new(const struct analysis_settings *s, char **cause)
{
	struct analysis_ctx *ctx = xcalloc(1, sizeof(*ctx));
	tsarena_install(); /* before threads parse: big files parse on arenas */
	ctx->settings = s;
	ctx->parser = analysis_parser_new();
	ctx->rules = rules_compile(s, s->blob_dir, cause);
	if (!ctx->rules) {
		ts_parser_delete(ctx->parser);
		free(ctx);
		return NULL;
	}
	ctx->runner = rules_runner_new(ctx->rules);
	ctx->cwd = s->root ? getcwd(NULL, 0) : NULL;
	return ctx;
}

struct analysis_ctx *analysis_ctx_clone(const struct analysis_ctx *from)
{
	struct analysis_ctx *ctx = xcalloc(1, sizeof(*ctx));
	ctx->settings = from->settings;
	ctx->parser = analysis_parser_new();
	ctx->rules = rules_ref(from->rules);
	ctx->runner = rules_runner_new(ctx->rules);
	ctx->lang = from->lang;
	ctx->pkg = from->pkg;
	ctx->cwd = from->cwd ? xstrdup(from->cwd) : NULL;
	return ctx;
}

size_t analysis_ctx_rules(const struct analysis_ctx *ctx, int *from_blob)
{
	if (from_blob)
		*from_blob = rules_from_blob(ctx->rules);
	return rules_count(ctx->rules);
}

void analysis_ctx_set_goversion(struct analysis_ctx *ctx, const struct goversion *lang)
{
	struct goversion unknown = GOVERSION_UNKNOWN;
	ctx->lang = lang ? *lang : unknown;
}

void analysis_ctx_set_package(struct analysis_ctx *ctx, struct analysis_pkg *pkg)
{
	ctx->pkg = pkg;
}

int analysis_go_at_least(const struct analysis_file *f, unsigned major, unsigned minor)
{
	return !goversion_known(&f->lang) || goversion_at_least(&f->lang, major, minor);
}

void analysis_ctx_free(struct analysis_ctx *ctx)
{
	if (!ctx)
		return;
	rules_runner_free(ctx->runner);
	rules_free(ctx->rules);
	ts_parser_delete(ctx->parser);
	free(ctx->cwd);
	free(ctx->relbuf);
	free(ctx);
}

/* ---- per-file facts ------------------------------------------------------ */

/*
 * tree-sitter-go's node types the framework tests most, as symbol ids looked
 * up once: comparing ids instead of ts_node_type() strings.
 */
enum sym {
	SYM_CALL,
	SYM_COMMENT,
	SYM_FUNC_DECL,
	SYM_METHOD_DECL,
	SYM_FUNC_LIT,
	SYM_SELECTOR,
	SYM_IDENT,
	SYM_STATEMENT_LIST,
	SYM_COUNT
};
static const char *const sym_names[SYM_COUNT] = {
    "call_expression",    "comment",        "function_declaration",
    "method_declaration", "func_literal",   "selector_expression",
    "identifier",         "statement_list",
};
static TSSymbol sym_ids[SYM_COUNT];
static pthread_once_t sym_ids_once = PTHREAD_ONCE_INIT;

static void sym_ids_init(void)
{
	const TSLanguage *go = tree_sitter_go();
	for (size_t i = 0; i < SYM_COUNT; i++) {
		sym_ids[i] = ts_language_symbol_for_name(go, sym_names[i],
		                                         (uint32_t)strlen(sym_names[i]), true);
		if (!sym_ids[i] || strcmp(ts_language_symbol_name(go, sym_ids[i]), sym_names[i]))
			BUG("tree-sitter-go has no node type %s", sym_names[i]);
	}
}

/* True when n is not null and of type s (ts_node_symbol is the public symbol, as the ids). */
static int is_sym(TSNode n, enum sym s)
{
	return !ts_node_is_null(n) && ts_node_symbol(n) == sym_ids[s];
}

static const char *type_of(TSNode n)
{
	return ts_node_is_null(n) ? "" : ts_node_type(n);
}

static int is_type(TSNode n, const char *t)
{
	return !ts_node_is_null(n) && strcmp(ts_node_type(n), t) == 0;
}

/*
 * tree-sitter-go's field ids, looked up once: ts_node_child_by_field_name
 * compares the name with every field name of the grammar on each call,
 * which a file of many handlers pays hundreds of thousands of times.
 */
static const char *const field_names[] = {
    "alias",  "arguments", "body",    "communication",   "field",      "function", "initializer",
    "left",   "name",      "operand", "package",         "parameters", "path",     "receiver",
    "result", "right",     "type",    "type_parameters", "value",
};
static TSFieldId field_ids[ARRAY_SIZE(field_names)];
static pthread_once_t field_ids_once = PTHREAD_ONCE_INIT;

static void field_ids_init(void)
{
	const TSLanguage *go = tree_sitter_go();
	for (size_t i = 0; i < ARRAY_SIZE(field_names); i++)
		field_ids[i] = ts_language_field_id_for_name(go, field_names[i],
		                                             (uint32_t)strlen(field_names[i]));
}

TSNode analysis_field(TSNode n, const char *name)
{
	pthread_once(&field_ids_once, field_ids_init);
	for (size_t i = 0; i < ARRAY_SIZE(field_names); i++)
		if (field_names[i][0] == name[0] && !strcmp(field_names[i], name))
			return field_ids[i]
			           ? ts_node_child_by_field_id(n, field_ids[i])
			           : ts_node_child_by_field_name(n, name, (uint32_t)strlen(name));
	return ts_node_child_by_field_name(n, name, (uint32_t)strlen(name));
}

static TSNode field(TSNode n, const char *name)
{
	return analysis_field(n, name);
}

const TSNode *analysis_roots(const struct analysis_file *f, size_t *n)
{
	*n = f->priv->nroots;
	return f->priv->roots;
}

const char *analysis_text(const struct analysis_file *f, TSNode n, size_t *len)
{
	uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
	if (b > f->len)
		b = (uint32_t)f->len;
	if (a > b)
		a = b;
	*len = b - a;
	return f->src + a;
}

int analysis_text_eq(const struct analysis_file *f, TSNode n, const char *s)
{
	size_t len, sl = strlen(s);
	const char *t = analysis_text(f, n, &len);
	return len == sl && memcmp(t, s, len) == 0;
}

static int text_eqn(const struct analysis_file *f, TSNode n, const char *s, size_t sl)
{
	size_t len;
	const char *t = analysis_text(f, n, &len);
	return len == sl && memcmp(t, s, len) == 0;
}

static int contains(TSNode outer, TSNode n)
{
	return ts_node_start_byte(outer) <= ts_node_start_byte(n) &&
	       ts_node_end_byte(n) <= ts_node_end_byte(outer);
}

/*
 * The default package name of an import path: its last element, or the
 * one before when the last is a major version suffix ("chi/v5" -> "chi").
 */
static char *default_import_name(const char *path)
{
	const char *end = path + strlen(path), *last = strrchr(path, '/');
	const char *b = last ? last + 1 : path;
	int is_major = b[0] == 'v' && b[1] && last && last > path;
	for (const char *p = b + 1; is_major && *p; p++)
		if (*p < '0' || *p > '9')
			is_major = 0;
	if (is_major) {
		end = last;
		const char *prev = end;
		while (prev > path && prev[-1] != '/')
			prev--;
		b = prev;
	}
	return xstrndup(b, (size_t)(end - b));
}

static void add_import(struct analysis_file *f, TSNode spec)
{
	TSNode name = field(spec, "name"), path = field(spec, "path");
	size_t len;
	const char *t;
	if (ts_node_is_null(path) || ts_node_has_error(spec))
		return;
	t = analysis_text(f, path, &len);
	if (len < 2)
		return;
	struct import_entry e;
	e.path = xstrndup(t + 1, len - 2); /* import paths have no escapes in practice */
	if (ts_node_is_null(name)) {
		e.name = default_import_name(e.path);
	} else {
		t = analysis_text(f, name, &len);
		e.name = xstrndup(t, len);
	}
	ARRAY_PUSH(f->priv->imports, e);
}

/* A tswalk_fn over a top level: adds the imports of declaration d. */
static int import_decl(TSNode d, uint32_t depth, void *data)
{
	struct analysis_file *f = data;
	if (depth == 0)
		return 1; /* the root: its children are the top level */
	if (!is_type(d, "import_declaration"))
		return 0;
	uint32_t m = ts_node_named_child_count(d);
	for (uint32_t j = 0; j < m; j++) {
		TSNode c = ts_node_named_child(d, j);
		if (is_type(c, "import_spec")) {
			add_import(f, c);
		} else if (is_type(c, "import_spec_list")) {
			uint32_t k = ts_node_named_child_count(c);
			for (uint32_t l = 0; l < k; l++)
				if (is_type(ts_node_named_child(c, l), "import_spec"))
					add_import(f, ts_node_named_child(c, l));
		}
	}
	return 0;
}

void analysis_collect_imports_of(struct analysis_file *f, TSNode root)
{
	tswalk(root, import_decl, f);
}

/* The imports of the whole file: every top level (roots), in order. */
void analysis_collect_imports(struct analysis_file *f)
{
	for (size_t r = 0; r < f->priv->nroots; r++)
		analysis_collect_imports_of(f, f->priv->roots[r]);
}

const char *analysis_import_name(const struct analysis_file *f, const char *path)
{
	for (size_t i = 0; i < f->priv->imports.n; i++) {
		const struct import_entry *e = &f->priv->imports.v[i];
		if (strcmp(e->path, path) == 0 && strcmp(e->name, "_") != 0)
			return e->name;
	}
	return NULL;
}

static int has_dot_import(const struct analysis_file *f, const char *path)
{
	for (size_t i = 0; i < f->priv->imports.n; i++)
		if (strcmp(f->priv->imports.v[i].path, path) == 0 &&
		    strcmp(f->priv->imports.v[i].name, ".") == 0)
			return 1;
	return 0;
}

/*
 * Fills priv->chain with the ancestors of n, root first (n excluded).
 * Returns 1 when one of them (or n itself) is an ERROR node.
 */
static int ancestors(const struct analysis_file *f, TSNode n)
{
	struct analysis_file_private *p = f->priv;
	TSNode cur = f->root, next;
	int err = ts_node_is_error(cur);
	uint32_t a = ts_node_start_byte(n), b = ts_node_end_byte(n);
	TSNode top = p->chain.n > 1 ? p->chain.v[1] : (TSNode){0};
	p->chain.n = 0;
	if (ts_node_eq(cur, n))
		return err;
	/*
	 * The root's child on the way, as ts_node_child_with_descendant finds it
	 * (the first child that ends at or after n and has children): the last
	 * chain's when that one holds n, which no earlier sibling can then do.
	 * Searching a root of thousands of declarations is most of the cost.
	 */
	if (!ts_node_is_null(top) && a < b && ts_node_start_byte(top) <= a &&
	    b <= ts_node_end_byte(top) && ts_node_child_count(top) > 0)
		next = top;
	else
		next = ts_node_child_with_descendant(cur, n);
	for (;;) {
		ARRAY_PUSH(p->chain, cur);
		if (p->chain.n > 1)
			next = ts_node_child_with_descendant(cur, n);
		if (ts_node_is_null(next))
			break;
		if (ts_node_is_error(next))
			err = 1;
		if (ts_node_eq(next, n))
			break;
		cur = next;
	}
	return err;
}

/* True when a named child of n of type t (e.g. identifier) has text name. */
static int child_named(const struct analysis_file *f, TSNode n, const char *t, const char *name,
                       size_t len)
{
	uint32_t c = ts_node_named_child_count(n);
	for (uint32_t i = 0; i < c; i++) {
		TSNode k = ts_node_named_child(n, i);
		if (is_type(k, t) && text_eqn(f, k, name, len))
			return 1;
	}
	return 0;
}

/* True when parameter_list / type_parameter_list pl declares name. */
static int params_declare(const struct analysis_file *f, TSNode pl, const char *name, size_t len)
{
	if (ts_node_is_null(pl))
		return 0;
	uint32_t c = ts_node_named_child_count(pl);
	for (uint32_t i = 0; i < c; i++)
		if (child_named(f, ts_node_named_child(pl, i), "identifier", name, len))
			return 1;
	return 0;
}

/* True when statement (or package-level declaration) s declares name. */
static int declares(const struct analysis_file *f, TSNode s, const char *name, size_t len)
{
	while (is_type(s, "labeled_statement"))
		s = ts_node_named_child(s, 1);
	const char *t = type_of(s);
	if (strcmp(t, "short_var_declaration") == 0)
		return child_named(f, field(s, "left"), "identifier", name, len);
	if (strcmp(t, "function_declaration") == 0)
		return text_eqn(f, field(s, "name"), name, len);
	if (strcmp(t, "var_declaration") == 0 || strcmp(t, "const_declaration") == 0 ||
	    strcmp(t, "type_declaration") == 0) {
		uint32_t c = ts_node_named_child_count(s);
		for (uint32_t i = 0; i < c; i++) {
			TSNode k = ts_node_named_child(s, i);
			if (is_type(k, "var_spec_list")) {
				if (params_declare(f, k, name, len))
					return 1;
			} else if (is_type(k, "type_spec") || is_type(k, "type_alias")) {
				if (text_eqn(f, field(k, "name"), name, len))
					return 1;
			} else if (child_named(f, k, "identifier", name, len)) {
				return 1;
			}
		}
	}
	return 0;
}

/* True when clause n (range_clause, receive_statement) declares with := */
static int has_define(TSNode n)
{
	uint32_t c = ts_node_child_count(n);
	for (uint32_t i = 0; i < c; i++)
		if (strcmp(ts_node_type(ts_node_child(n, i)), ":=") == 0)
			return 1;
	return 0;
}

/* The memo slot for scope and name: a hit when ->scope is set, else empty (cleared). */
static struct scope_memo *scope_memo(struct analysis_file_private *p, TSNode scope,
                                     const char *name, size_t len)
{
	uintptr_t h = (uintptr_t)scope.id >> 4;
	for (size_t i = 0; i < len; i++)
		h = h * 31 + (unsigned char)name[i];
	struct scope_memo *m = &p->scopes[h % SCOPE_MEMO_SLOTS];
	if (m->scope != scope.id || m->len != len || memcmp(m->name, name, len) != 0)
		m->scope = NULL;
	return m;
}

static void scope_memo_set(struct scope_memo *m, TSNode scope, const char *name, size_t len,
                           uint32_t decl_end)
{
	m->scope = scope.id;
	m->name = name;
	m->len = len;
	m->decl_end = decl_end;
}

static int is_ident_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* See analyze_priv.h. */
int analysis_may_declare(const char *src, size_t len, const char *name, size_t nlen)
{
	const char *p = src, *end = src + len;
	while (nlen && (p = memmem(p, (size_t)(end - p), name, nlen)) != NULL) {
		const char *q = p + nlen;
		unsigned char before = p > src ? (unsigned char)p[-1] : ' ';
		p++;
		if (q < end && is_ident_byte((unsigned char)*q))
			continue; /* a longer identifier */
		if (is_ident_byte(before) || before == '.' || before == '"' || before == '`')
			continue;
		if (before == '/' && !(p - 1 > src + 1 && p[-3] == '*'))
			continue; /* an import path or a line comment, not after a block comment */
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q < end && *q == '.' && !(q + 1 < end && q[1] == '.'))
			continue; /* name.X: a qualifier */
		return 1;
	}
	return 0;
}

void analysis_note_undeclared(struct analysis_file *f, const char *name, size_t len)
{
	struct top_memo e = {xstrndup(name, len), len, 0, 0};
	ARRAY_PUSH(f->priv->top, e);
}

/*
 * True when name, used at node at, refers to a declaration in a scope that
 * encloses at (local declarations before at, parameters, package level)
 * rather than to a package import.
 */
static int shadowed(const struct analysis_file *f, const char *name, size_t len, TSNode at)
{
	struct analysis_file_private *p = f->priv;
	uint32_t pos = ts_node_start_byte(at);
	/*
	 * The top level: walked once per distinct name (a file asks about its
	 * few import names, thousands of times in a file of many handlers).
	 */
	size_t m = 0;
	while (m < p->top.n && !(p->top.v[m].len == len && !memcmp(p->top.v[m].name, name, len)))
		m++;
	if (m == p->top.n) {
		struct top_memo e = {xstrndup(name, len), len, 1, 0};
		int clean = 1;
		for (size_t r = 0; r < p->nroots; r++)
			clean = clean && !ts_node_has_error(p->roots[r]);
		if (clean)
			e.anywhere = analysis_may_declare(f->src, f->len, name, len);
		/* a cursor: ts_node_named_child(root, i) walks i children, each time */
		for (size_t r = 0; r < p->nroots && e.anywhere && !e.declared; r++) {
			TSTreeCursor cur = ts_tree_cursor_new(p->roots[r]);
			for (int more = ts_tree_cursor_goto_first_child(&cur); more && !e.declared;
			     more = ts_tree_cursor_goto_next_sibling(&cur)) {
				TSNode d = ts_tree_cursor_current_node(&cur);
				if (ts_node_is_named(d))
					e.declared = declares(f, d, name, len);
			}
			ts_tree_cursor_delete(&cur);
		}
		ARRAY_PUSH(p->top, e);
	}
	if (!p->top.v[m].anywhere)
		return 0;
	if (p->top.v[m].declared)
		return 1;
	ancestors(f, at);
	for (size_t i = p->chain.n; i-- > 0;) {
		TSNode a = p->chain.v[i];
		const char *t = ts_node_type(a);
		if (is_sym(a, SYM_STATEMENT_LIST)) {
			/* declared by a statement that ends before at */
			struct scope_memo *mm = scope_memo(p, a, name, len);
			if (!mm->scope) {
				uint32_t first = UINT32_MAX;
				TSTreeCursor cur = ts_tree_cursor_new(a);
				for (int more = ts_tree_cursor_goto_first_child(&cur); more;
				     more = ts_tree_cursor_goto_next_sibling(&cur)) {
					TSNode s = ts_tree_cursor_current_node(&cur);
					if (ts_node_is_named(s) && declares(f, s, name, len)) {
						first = ts_node_end_byte(s);
						break;
					}
				}
				ts_tree_cursor_delete(&cur);
				scope_memo_set(mm, a, name, len, first);
			}
			if (mm->decl_end <= pos)
				return 1;
		} else if (is_sym(a, SYM_FUNC_DECL) || is_sym(a, SYM_METHOD_DECL) ||
		           is_sym(a, SYM_FUNC_LIT)) {
			TSNode body = field(a, "body");
			if (ts_node_is_null(body) || !contains(body, at))
				continue;
			struct scope_memo *mm = scope_memo(p, a, name, len);
			if (!mm->scope) {
				TSNode res = field(a, "result");
				int d = params_declare(f, field(a, "parameters"), name, len) ||
				        params_declare(f, field(a, "receiver"), name, len) ||
				        params_declare(f, field(a, "type_parameters"), name, len) ||
				        (is_type(res, "parameter_list") &&
				         params_declare(f, res, name, len));
				scope_memo_set(mm, a, name, len, d ? 0 : UINT32_MAX);
			}
			if (mm->decl_end == 0)
				return 1;
		} else if (strcmp(t, "if_statement") == 0 ||
		           strcmp(t, "expression_switch_statement") == 0 ||
		           strcmp(t, "type_switch_statement") == 0) {
			TSNode init = field(a, "initializer");
			if (!ts_node_is_null(init) && ts_node_end_byte(init) <= pos &&
			    declares(f, init, name, len))
				return 1;
			TSNode alias = field(a, "alias"), value = field(a, "value");
			if (!ts_node_is_null(alias) && !ts_node_is_null(value) &&
			    ts_node_end_byte(value) <= pos &&
			    child_named(f, alias, "identifier", name, len))
				return 1;
		} else if (strcmp(t, "for_statement") == 0) {
			uint32_t k = ts_node_named_child_count(a);
			for (uint32_t j = 0; j < k; j++) {
				TSNode cl = ts_node_named_child(a, j);
				if (is_type(cl, "range_clause") && ts_node_end_byte(cl) <= pos &&
				    has_define(cl) &&
				    child_named(f, field(cl, "left"), "identifier", name, len))
					return 1;
				if (is_type(cl, "for_clause")) {
					TSNode init = field(cl, "initializer");
					if (!ts_node_is_null(init) &&
					    ts_node_end_byte(init) <= pos &&
					    declares(f, init, name, len))
						return 1;
				}
			}
		} else if (strcmp(t, "communication_case") == 0) {
			TSNode cm = field(a, "communication");
			if (is_type(cm, "receive_statement") && ts_node_end_byte(cm) <= pos &&
			    has_define(cm) &&
			    child_named(f, field(cm, "left"), "identifier", name, len))
				return 1;
		}
	}
	return 0;
}

const char *analysis_package_of(const struct analysis_file *f, TSNode ident)
{
	size_t len;
	const char *t;
	if (!is_type(ident, "identifier") && !is_type(ident, "package_identifier"))
		return NULL;
	t = analysis_text(f, ident, &len);
	for (size_t i = 0; i < f->priv->imports.n; i++) {
		const struct import_entry *e = &f->priv->imports.v[i];
		if (strlen(e->name) == len && memcmp(e->name, t, len) == 0 &&
		    strcmp(e->name, "_") != 0 && strcmp(e->name, ".") != 0)
			return shadowed(f, t, len, ident) ? NULL : e->path;
	}
	return NULL;
}

/*
 * True when the function c->fn of a call names fn of package path (pkg.fn,
 * or fn under a dot import). The cheap tests first: the text, then the
 * tree (its nodes are far apart in memory).
 */
static int is_pkg_ref_parts(const struct analysis_file *f, const struct call_parts *c,
                            const char *path, const char *fn)
{
	TSNode e = c->fn, op = c->op;
	if (c->selector) {
		if (!analysis_text_eq(f, c->field, fn) || !is_sym(op, SYM_IDENT))
			return 0;
		for (size_t i = 0; i < f->priv->imports.n; i++) {
			const struct import_entry *im = &f->priv->imports.v[i];
			if (strcmp(im->path, path) == 0 && analysis_text_eq(f, op, im->name) &&
			    strcmp(im->name, "_") != 0 && strcmp(im->name, ".") != 0)
				return !shadowed(f, im->name, strlen(im->name), op);
		}
		return 0;
	}
	if (has_dot_import(f, path) && analysis_text_eq(f, e, fn) && is_sym(e, SYM_IDENT))
		return !shadowed(f, fn, strlen(fn), e);
	return 0;
}

/* Fills c with call's parts. */
static void call_parts_of(TSNode call, struct call_parts *c)
{
	memset(c, 0, sizeof(*c));
	c->call = call;
	c->is_call = is_sym(call, SYM_CALL);
	c->fn = field(call, "function");
	c->args = field(call, "arguments");
	c->selector = is_sym(c->fn, SYM_SELECTOR);
	if (c->selector) {
		c->op = field(c->fn, "operand");
		c->field = field(c->fn, "field");
	}
}

const struct call_parts *analysis_call_parts(const struct analysis_file *f, TSNode call)
{
	struct analysis_file_private *p = f->priv;
	if (!ts_node_eq(call, p->memo.call))
		call_parts_of(call, &p->memo);
	return &p->memo;
}

int analysis_is_pkg_call(const struct analysis_file *f, TSNode call, const char *path,
                         const char *fn)
{
	/* analyzers ask about the same call for many functions: its parts once */
	const struct call_parts *c = analysis_call_parts(f, call);
	return c->is_call && is_pkg_ref_parts(f, c, path, fn);
}

/* ---- handlers ------------------------------------------------------------ */

/* True when type node t is net/http's `name` (or `*name` when ptr). */
static int is_http_type(const struct analysis_file *f, TSNode t, const char *name, int ptr)
{
	if (ptr) {
		if (!is_type(t, "pointer_type"))
			return 0;
		t = ts_node_named_child(t, 0);
	}
	if (is_type(t, "qualified_type")) {
		if (!analysis_text_eq(f, field(t, "name"), name))
			return 0;
		TSNode pkg = field(t, "package");
		for (size_t i = 0; i < f->priv->imports.n; i++) {
			const struct import_entry *im = &f->priv->imports.v[i];
			if (strcmp(im->path, "net/http") == 0 && analysis_text_eq(f, pkg, im->name))
				return 1;
		}
		return 0;
	}
	return is_type(t, "type_identifier") && analysis_text_eq(f, t, name) &&
	       has_dot_import(f, "net/http");
}

/*
 * The i-th parameter (0-based) of parameter_list pl: its type and its name
 * node (null when unnamed). Returns 0 when there are fewer parameters.
 */
static int param_at(TSNode pl, uint32_t want, TSNode *type, TSNode *name)
{
	uint32_t idx = 0, c = ts_node_named_child_count(pl);
	for (uint32_t i = 0; i < c; i++) {
		TSNode d = ts_node_named_child(pl, i);
		if (!is_type(d, "parameter_declaration") &&
		    !is_type(d, "variadic_parameter_declaration"))
			continue;
		TSNode t = field(d, "type");
		uint32_t names = 0, k = ts_node_named_child_count(d);
		for (uint32_t j = 0; j < k; j++) {
			TSNode nm = ts_node_named_child(d, j);
			if (!is_type(nm, "identifier"))
				continue;
			if (idx == want) {
				*type = t;
				*name = nm;
				return 1;
			}
			idx++;
			names++;
		}
		if (!names) {
			if (idx == want) {
				*type = t;
				memset(name, 0, sizeof(*name)); /* a null node: unnamed */
				return 1;
			}
			idx++;
		}
	}
	return 0;
}

static void set_req(const struct analysis_file *f, struct http_handler *h, TSNode name)
{
	h->req = "";
	h->req_len = 0;
	if (ts_node_is_null(name) || analysis_text_eq(f, name, "_"))
		return;
	h->req = analysis_text(f, name, &h->req_len);
}

/* Fills h when fnode (a function, method or literal) serves HTTP requests. */
static int handler_of(struct analysis_file *f, TSNode fnode, struct http_handler *h)
{
	TSNode pl = field(fnode, "parameters"), body = field(fnode, "body");
	TSNode t0, n0, t1, n1;
	int forced = 0;
	if (ts_node_is_null(pl) || !is_type(body, "block"))
		return 0;
	/* a literal is visited once, after the call that forces it: drop it then */
	for (size_t i = f->priv->forced.n; i-- > 0;)
		if (ts_node_eq(f->priv->forced.v[i], fnode)) {
			f->priv->forced.v[i] = f->priv->forced.v[--f->priv->forced.n];
			forced = 1;
			break;
		}
	int two = param_at(pl, 0, &t0, &n0) && param_at(pl, 1, &t1, &n1);
	if (!forced &&
	    !(two && is_http_type(f, t0, "ResponseWriter", 0) && is_http_type(f, t1, "Request", 1)))
		return 0;
	h->node = fnode;
	h->body = body;
	if (two)
		set_req(f, h, n1);
	else
		set_req(f, h, (TSNode){0});
	return 1;
}

/* Notes func literals that the call registers as handlers. */
static void note_forced(struct analysis_file *f, const struct call_parts *c)
{
	TSNode lit = {0};
	if (ts_node_is_null(c->args))
		return;
	if (c->selector && analysis_text_eq(f, c->field, "HandleFunc"))
		lit = ts_node_named_child(c->args, 1);
	else if (is_pkg_ref_parts(f, c, "net/http", "HandlerFunc"))
		lit = ts_node_named_child(c->args, 0);
	if (is_type(lit, "func_literal"))
		ARRAY_PUSH(f->priv->forced, lit);
}

static void parse_directive(struct analysis_file *f, TSNode comment)
{
	static const char tag[] = "//golive:ignore";
	size_t len, i = sizeof(tag) - 1;
	const char *t = analysis_text(f, comment, &len);
	if (len < i || memcmp(t, tag, i) != 0 || (len > i && t[i] != ' ' && t[i] != '\t'))
		return;
	struct directive d;
	d.node = comment;
	d.row = ts_node_start_point(comment).row;
	while (i < len && (t[i] == ' ' || t[i] == '\t'))
		i++;
	d.names = t + i;
	while (i < len && t[i] != ' ' && t[i] != '\t' && t[i] != '\r')
		i++;
	d.names_len = (size_t)(t + i - d.names);
	while (i < len && (t[i] == ' ' || t[i] == '\t' || t[i] == '\r'))
		i++;
	d.has_reason = i < len && d.names_len > 0;
	ARRAY_PUSH(f->priv->directives, d);
}

int analysis_cursor_next(TSTreeCursor *c, int descend)
{
	if (descend && ts_tree_cursor_goto_first_child(c))
		return 1;
	while (!ts_tree_cursor_goto_next_sibling(c))
		if (!ts_tree_cursor_goto_parent(c))
			return 0;
	return 1;
}

/* An open handler (or its body) on analysis_collect()'s walk: the nodes below depth belong to it.
 */
struct open_scope {
	uint32_t depth;
	size_t handler;
	int body; /* 1: the handler's body, 0: the rest of it (parameters) */
};

/* Groups priv->calls by handler into hcalls/hstart (a counting sort: pre-order kept). */
static void group_calls(struct analysis_file_private *p)
{
	size_t nh = p->handlers.n;
	ARRAY_GROW(p->hstart, nh + 1);
	p->hstart.n = nh + 1;
	memset(p->hstart.v, 0, (nh + 1) * sizeof(*p->hstart.v));
	for (size_t i = 0; i < p->calls.n; i++)
		p->hstart.v[p->calls.v[i].handler + 1]++;
	for (size_t i = 0; i < nh; i++)
		p->hstart.v[i + 1] += p->hstart.v[i];
	ARRAY_GROW(p->hcalls, p->calls.n);
	p->hcalls.n = p->calls.n;
	size_t *next = xcalloc(nh + 1, sizeof(*next));
	for (size_t i = 0; i < p->calls.n; i++) {
		size_t h = p->calls.v[i].handler;
		p->hcalls.v[p->hstart.v[h] + next[h]++] = p->calls.v[i].parts;
	}
	free(next);
	ARRAY_FREE(p->calls);
}

struct collect_walk {
	struct analysis_file *f;
	ARRAY(struct open_scope) open;
};

static int collect_node(TSNode n, uint32_t depth, void *data)
{
	struct collect_walk *w = data;
	struct analysis_file *f = w->f;
	struct analysis_file_private *p = f->priv;
	TSSymbol sym = ts_node_symbol(n);
	while (w->open.n && w->open.v[w->open.n - 1].depth >= depth)
		w->open.n--;
	if (w->open.n && !w->open.v[w->open.n - 1].body &&
	    ts_node_eq(n, p->handlers.v[w->open.v[w->open.n - 1].handler].body)) {
		struct open_scope b = {depth, w->open.v[w->open.n - 1].handler, 1};
		ARRAY_PUSH(w->open, b);
	}
	if (sym == sym_ids[SYM_COMMENT]) {
		parse_directive(f, n);
	} else if (sym == sym_ids[SYM_CALL]) {
		struct handler_call hc;
		call_parts_of(n, &hc.parts);
		note_forced(f, &hc.parts);
		if (w->open.n && w->open.v[w->open.n - 1].body) {
			hc.handler = w->open.v[w->open.n - 1].handler;
			ARRAY_PUSH(p->calls, hc);
		}
	} else if (sym == sym_ids[SYM_FUNC_DECL] || sym == sym_ids[SYM_METHOD_DECL] ||
	           sym == sym_ids[SYM_FUNC_LIT]) {
		struct http_handler h;
		if (handler_of(f, n, &h)) {
			struct open_scope o = {depth, p->handlers.n, 0};
			ARRAY_PUSH(p->handlers, h);
			ARRAY_PUSH(w->open, o);
		}
	}
	return !ts_node_is_error(n);
}

/*
 * One walk over the tree, outside ERROR nodes: handlers, directives, and
 * the calls of each handler (those analysis_for_each_call visits: in its
 * body, not inside a nested handler).
 */
void analysis_collect(struct analysis_file *f)
{
	struct collect_walk w = {f, ARRAY_INIT};
	tswalk(f->root, collect_node, &w);
	ARRAY_FREE(w.open);
	group_calls(f->priv);
}

void analysis_for_each_handler(struct analysis_file *f,
                               void (*fn)(struct analysis_file *f, const struct http_handler *h,
                                          void *data),
                               void *data)
{
	for (size_t i = 0; i < f->priv->handlers.n; i++) {
		struct http_handler h = f->priv->handlers.v[i];
		fn(f, &h, data);
	}
}

int analysis_enclosing_handler(struct analysis_file *f, TSNode n, struct http_handler *h)
{
	const struct http_handler *best = NULL;
	for (size_t i = 0; i < f->priv->handlers.n; i++) {
		const struct http_handler *c = &f->priv->handlers.v[i];
		if (contains(c->node, n) &&
		    (!best || ts_node_start_byte(c->node) >= ts_node_start_byte(best->node)))
			best = c;
	}
	if (best)
		*h = *best;
	return best != NULL;
}

static int is_handler_node(const struct analysis_file *f, TSNode n)
{
	for (size_t i = 0; i < f->priv->handlers.n; i++)
		if (ts_node_eq(f->priv->handlers.v[i].node, n))
			return 1;
	return 0;
}

/* The index of handler h in priv->handlers (sorted by start byte), or -1. */
static long handler_index(const struct analysis_file *f, const struct http_handler *h)
{
	const struct analysis_file_private *p = f->priv;
	uint32_t at = ts_node_start_byte(h->node);
	size_t lo = 0, hi = p->handlers.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (ts_node_start_byte(p->handlers.v[mid].node) < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < p->handlers.n && ts_node_start_byte(p->handlers.v[lo].node) == at; lo++)
		if (ts_node_eq(p->handlers.v[lo].node, h->node) &&
		    ts_node_eq(p->handlers.v[lo].body, h->body))
			return (long)lo;
	return -1;
}

void analysis_for_each_call(struct analysis_file *f, const struct http_handler *h,
                            void (*fn)(struct analysis_file *f, const struct http_handler *h,
                                       TSNode call, void *data),
                            void *data)
{
	long hi = handler_index(f, h);
	if (hi >= 0) {
		/* the calls analysis_collect() found for h */
		struct analysis_file_private *p = f->priv;
		for (size_t i = p->hstart.v[hi]; i < p->hstart.v[hi + 1]; i++) {
			p->memo = p->hcalls.v[i]; /* the analyzers ask for its parts */
			fn(f, h, p->hcalls.v[i].call, data);
		}
		return;
	}
	TSTreeCursor c = ts_tree_cursor_new(h->body);
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		int descend = ts_node_child_count(n) > 0 && !ts_node_is_error(n);
		if (is_type(n, "func_literal") && is_handler_node(f, n))
			descend = 0; /* its calls belong to that handler */
		else if (is_type(n, "call_expression"))
			fn(f, h, n, data);
		if (!analysis_cursor_next(&c, descend))
			break;
	}
	ts_tree_cursor_delete(&c);
}

/* ---- reporting ----------------------------------------------------------- */

static int names_match(const char *names, size_t len, const char *name)
{
	size_t nl = strlen(name);
	while (len) {
		const char *comma = memchr(names, ',', len);
		size_t l = comma ? (size_t)(comma - names) : len;
		if ((l == nl && memcmp(names, name, l) == 0) ||
		    (l == 3 && memcmp(names, "all", 3) == 0))
			return 1;
		if (!comma)
			break;
		len -= l + 1;
		names = comma + 1;
	}
	return 0;
}

/* True when a directive suppresses name at row; marks every such directive used. */
static int suppressed(const struct analysis_file *f, uint32_t row, const char *name)
{
	int found = 0;
	for (size_t i = 0; i < f->priv->directives.n; i++) {
		struct directive *d = &f->priv->directives.v[i];
		if ((d->row == row || d->row + 1 == row) && d->has_reason &&
		    names_match(d->names, d->names_len, name)) {
			atomic_store_explicit(&d->used, 1, memory_order_relaxed);
			found = 1;
		}
	}
	return found;
}

struct diag *analysis_report_as(struct analysis_file *f, TSNode n, const char *name,
                                enum severity sev, const char *message)
{
	/* an ERROR ancestor is possible only when the tree has an error somewhere */
	if (ts_node_is_null(n) || ts_node_has_error(n) ||
	    (ts_node_has_error(f->root) && ancestors(f, n)))
		return NULL;
	TSPoint p = ts_node_start_point(n);
	if (suppressed(f, p.row, name))
		return NULL;
	diag_push(f->priv->out, f->path, p.row + 1, p.column + 1, name, sev, message);
	TSPoint e = ts_node_end_point(n);
	struct diag *d = &f->priv->out->v[f->priv->out->n - 1];
	d->end_line = e.row + 1;
	d->end_col = e.column + 1;
	return d;
}

struct diag *analysis_report(struct analysis_file *f, TSNode n, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	struct diag *d = analysis_report_as(f, n, f->analyzer->name, f->severity, sb.buf);
	strbuf_release(&sb);
	return d;
}

void analysis_fix_replace(const struct analysis_file *f, struct diag *d, TSNode n,
                          const char *title, int safe, const char *text)
{
	(void)f;
	if (!d || ts_node_is_null(n))
		return;
	TSPoint s = ts_node_start_point(n), e = ts_node_end_point(n);
	struct diag_fix *fix = xcalloc(1, sizeof(*fix));
	fix->title = xstrdup(title);
	fix->safe = safe;
	fix->edits = xcalloc(1, sizeof(*fix->edits));
	fix->nedits = 1;
	fix->edits[0].line = s.row + 1;
	fix->edits[0].col = s.column + 1;
	fix->edits[0].end_line = e.row + 1;
	fix->edits[0].end_col = e.column + 1;
	fix->edits[0].text = xstrdup(text);
	diag_fix_free(d->fix);
	d->fix = fix;
}

void analysis_report_directives(struct analysis_file *f, enum severity sev)
{
	for (size_t i = 0; i < f->priv->directives.n; i++) {
		const struct directive *d = &f->priv->directives.v[i];
		if (d->has_reason)
			continue;
		char *msg;
		if (d->names_len)
			msg =
			    xasprintf("//golive:ignore %.*s has no reason and suppresses nothing: "
			              "write //golive:ignore %.*s <reason>",
			              (int)d->names_len, d->names, (int)d->names_len, d->names);
		else
			msg = xstrdup("//golive:ignore needs an analyzer name and a reason: "
			              "//golive:ignore <analyzer|all> <reason>");
		TSPoint p = ts_node_start_point(d->node);
		diag_push(f->priv->out, f->path, p.row + 1, p.column + 1, analysis_golive_self.name,
		          sev, msg);
		free(msg);
	}
}

/* Nothing to do while the analyzers run: the report comes after all of them. */
static void unusedignore_run(struct analysis_file *f)
{
	(void)f;
}

static const char *const unusedignore_needles[] = {"golive:ignore", NULL};

const struct analyzer analyzer_unusedignore = {
    "unusedignore",
    "//golive:ignore directives that suppress nothing (off by default)",
    SEV_WARNING,
    unusedignore_run,
    unusedignore_needles,
    NULL,
    NULL};

void analysis_report_unused_directives(struct analysis_file *f, enum severity sev)
{
	for (size_t i = 0; i < f->priv->directives.n; i++) {
		const struct directive *d = &f->priv->directives.v[i];
		if (!d->has_reason || atomic_load_explicit(&d->used, memory_order_relaxed))
			continue;
		char *msg = xasprintf("//golive:ignore %.*s suppresses nothing: remove it",
		                      (int)d->names_len, d->names);
		TSPoint p = ts_node_start_point(d->node);
		TSPoint e = ts_node_end_point(d->node);
		diag_push(f->priv->out, f->path, p.row + 1, p.column + 1,
		          analyzer_unusedignore.name, sev, msg);
		f->priv->out->v[f->priv->out->n - 1].end_line = e.row + 1;
		f->priv->out->v[f->priv->out->n - 1].end_col = e.column + 1;
		free(msg);
	}
}

/* ---- running ------------------------------------------------------------- */

/*
 * True when a `// Code generated ... DO NOT EDIT.` line comes before the
 * first text that is neither a comment nor blank (the Go convention).
 */
static int is_generated(const char *s, size_t len)
{
	static const char pre[] = "// Code generated ", suf[] = " DO NOT EDIT.";
	size_t i = 0;
	if (len >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len) {
		char ch = s[i];
		if (ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n') {
			i++;
		} else if (i + 1 < len && ch == '/' && s[i + 1] == '/') {
			const char *nl = memchr(s + i, '\n', len - i);
			size_t e = nl ? (size_t)(nl - s) : len, l;
			l = e - i;
			if (l && s[i + l - 1] == '\r')
				l--;
			if (l >= sizeof(pre) - 1 + sizeof(suf) - 1 &&
			    memcmp(s + i, pre, sizeof(pre) - 1) == 0 &&
			    memcmp(s + i + l - (sizeof(suf) - 1), suf, sizeof(suf) - 1) == 0)
				return 1;
			i = e;
		} else if (i + 1 < len && ch == '/' && s[i + 1] == '*') {
			size_t j = i + 2;
			while (j + 1 < len && !(s[j] == '*' && s[j + 1] == '/'))
				j++;
			i = j + 2;
		} else {
			return 0;
		}
	}
	return 0;
}

struct analysis_file *analysis_file_parse(TSParser *parser, const struct goversion *lang,
                                          const char *path, const char *src, size_t len,
                                          diag_array *out)
{
	pthread_once(&sym_ids_once, sym_ids_init);
	if (len > ANALYSIS_MAX_SOURCE)
		return NULL;
	TSTree *tree = ts_parser_parse_string(parser, NULL, src, (uint32_t)len);
	if (!tree) {
		ts_parser_reset(parser);
		return NULL;
	}
	struct analysis_file *f = xcalloc(1, sizeof(*f));
	f->priv = xcalloc(1, sizeof(*f->priv));
	f->priv->out = out;
	f->path = path;
	f->src = src;
	f->len = len;
	f->tree = tree;
	f->root = ts_tree_root_node(tree);
	f->analyzer = &analysis_rules_pseudo;
	f->severity = analysis_rules_pseudo.severity;
	f->lang = *lang;
	f->priv->roots = &f->root;
	f->priv->nroots = 1;
	analysis_collect_imports(f);
	analysis_collect(f);
	return f;
}

struct analysis_file *analysis_file_open(struct analysis_ctx *ctx, const char *path,
                                         const char *src, size_t len, diag_array *out)
{
	struct analysis_file *f = analysis_file_parse(ctx->parser, &ctx->lang, path, src, len, out);
	if (f)
		f->priv->pkg = ctx->pkg;
	return f;
}

/* Frees what file f holds (its facts, its tree), not f nor f->priv themselves. */
void analysis_file_release(struct analysis_file *f)
{
	struct analysis_file_private *p = f->priv;
	for (size_t i = 0; !p->borrowed && i < p->imports.n; i++) {
		free(p->imports.v[i].path);
		free(p->imports.v[i].name);
	}
	if (!p->borrowed) {
		ARRAY_FREE(p->imports);
		ARRAY_FREE(p->directives);
	}
	ARRAY_FREE(p->handlers);
	ARRAY_FREE(p->forced);
	ARRAY_FREE(p->chain);
	ARRAY_FREE(p->calls);
	ARRAY_FREE(p->hcalls);
	ARRAY_FREE(p->hstart);
	for (size_t i = 0; i < p->top.n; i++)
		free(p->top.v[i].name);
	ARRAY_FREE(p->top);
	ts_tree_delete(f->tree);
}

void analysis_file_close(struct analysis_file *f)
{
	if (!f)
		return;
	analysis_file_release(f);
	free(f->priv);
	free(f);
}

static int text_has(const char *src, size_t len, const char *needle)
{
	return memmem(src, len, needle, strlen(needle)) != NULL;
}

/*
 * False when nothing would report on this file: no user rule, no
 * //golive:ignore directive to check, and no enabled analyzer whose
 * needles (analyze.h) occur in the text.
 */
static int worth_parsing(const struct analysis_settings *s, const char *src, size_t len)
{
	if (s->rules.n || text_has(src, len, "golive:ignore"))
		return 1;
	for (size_t i = 0; builtin_analyzers[i]; i++) {
		const struct analyzer *a = builtin_analyzers[i];
		enum severity sev;
		if (!analysis_effective(s, a, &sev))
			continue;
		if (!a->needles)
			return 1;
		for (const char *const *n = a->needles; *n; n++)
			if (text_has(src, len, *n))
				return 1;
	}
	return 0;
}

/*
 * path relative to the settings' root, for rules' paths: globs: path
 * itself when there is no root, NULL when it is not below the root. The
 * result points into path or a buffer of ctx's, valid until the next call.
 */
static const char *rule_path(struct analysis_ctx *ctx, const char *path)
{
	const char *root = ctx->settings->root;
	size_t n;

	while (path[0] == '.' && path[1] == '/')
		path += 2;
	if (!root)
		return path;
	if (path[0] != '/') {
		if (!ctx->cwd)
			return path;
		free(ctx->relbuf);
		ctx->relbuf = xasprintf("%s/%s", ctx->cwd, path);
		path = ctx->relbuf;
	}
	n = strlen(root);
	while (n > 1 && root[n - 1] == '/')
		n--;
	if (n == 1 && root[0] == '/')
		return path + 1;
	if (strncmp(path, root, n) || path[n] != '/')
		return NULL;
	return path + n + 1;
}

int analysis_run_source(struct analysis_ctx *ctx, const char *path, const char *src, size_t len,
                        diag_array *out)
{
	const struct analysis_settings *s = ctx->settings;
	if (!s->include_generated && is_generated(src, len))
		return 1;
	if (!worth_parsing(s, src, len))
		return 0;
	pthread_once(&sym_ids_once, sym_ids_init);
	if (analysis_run_chunked(ctx, path, src, len, out) == 0)
		return 0;
	struct analysis_file *f = analysis_file_open(ctx, path, src, len, out);
	if (!f)
		return 0;
	for (size_t i = 0; builtin_analyzers[i]; i++) {
		enum severity sev;
		if (!analysis_effective(s, builtin_analyzers[i], &sev))
			continue;
		f->analyzer = builtin_analyzers[i];
		f->severity = sev;
		f->analyzer->run(f);
	}
	f->analyzer = &analysis_rules_pseudo;
	f->severity = analysis_rules_pseudo.severity;
	rules_run(ctx->runner, f, rule_path(ctx, path));
	enum severity gsev;
	if (analysis_effective(s, &analysis_golive_self, &gsev))
		analysis_report_directives(f, gsev);
	if (analysis_effective(s, &analyzer_unusedignore, &gsev))
		analysis_report_unused_directives(f, gsev);
	analysis_file_close(f);
	return 0;
}

int analysis_run_file(struct analysis_ctx *ctx, const char *path, diag_array *out, char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path, ANALYSIS_MAX_SOURCE) < 0) {
		*cause =
		    xasprintf("%s: %s", path,
		              errno == EFBIG ? "file too large to analyse" : file_strerror(errno));
		strbuf_release(&sb);
		return -1;
	}
	int r = analysis_run_source(ctx, path, sb.buf, sb.len, out);
	strbuf_release(&sb);
	return r;
}
