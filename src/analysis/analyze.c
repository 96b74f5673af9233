/*
 * analyze.c - see analyze.h. The framework around the analyzers: settings
 * (JSON form, cache hash), the per-thread context, the per-file facts the
 * analyzers ask about (imports, scopes, handlers) and reporting with
 * `//golive:ignore` suppressions.
 */
#define _GNU_SOURCE /* memmem */
#include "analysis/analyze.h"

#include <errno.h>
#include <pthread.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH64_state_t on the stack */
#include <xxhash.h>

#include "analysis/analyzers/rules.h"

const TSLanguage *tree_sitter_go(void);

/*
 * Bumped whenever an analyzer's findings change for the same input, so the
 * analysis cache (keyed by analysis_settings_hash) never replays stale ones.
 */
#define ANALYSIS_REVISION 2

/* Larger files are not read (analysis_run_file) nor parsed (analysis_run_source). */
#define MAX_SOURCE (16u << 20)

/* The pseudo-analyzer that reports malformed //golive:ignore directives. */
static const struct analyzer golive_self = {
    "golive", "problems with golive's own directives in the source", SEV_WARNING, NULL, NULL};
/* What f->analyzer points at while user rules run. */
static const struct analyzer rules_pseudo = {"rules", "user rules from golive.yaml", SEV_WARNING,
                                             NULL, NULL};

/* ---- settings ------------------------------------------------------------ */

const struct analyzer *analyzer_find(const char *name)
{
	for (size_t i = 0; builtin_analyzers[i]; i++)
		if (strcmp(builtin_analyzers[i]->name, name) == 0)
			return builtin_analyzers[i];
	return NULL;
}

void analysis_settings_init(struct analysis_settings *s)
{
	memset(s, 0, sizeof(*s));
	s->fail_on = FAIL_NEVER;
}

static void rule_spec_release(struct rule_spec *r)
{
	free(r->id);
	free(r->query);
	free(r->message);
	free(r->where);
}

void analysis_settings_release(struct analysis_settings *s)
{
	for (size_t i = 0; i < s->analyzers.n; i++)
		free(s->analyzers.v[i].name);
	ARRAY_FREE(s->analyzers);
	for (size_t i = 0; i < s->rules.n; i++)
		rule_spec_release(&s->rules.v[i]);
	ARRAY_FREE(s->rules);
	analysis_settings_init(s);
}

/* The override for name (the last one wins), or NULL. */
static const struct analyzer_setting *setting_for(const struct analysis_settings *s,
                                                  const char *name)
{
	const struct analyzer_setting *found = NULL;
	for (size_t i = 0; s && i < s->analyzers.n; i++)
		if (s->analyzers.v[i].name && strcmp(s->analyzers.v[i].name, name) == 0)
			found = &s->analyzers.v[i];
	return found;
}

/* Whether analyzer a runs under s, and at which severity. */
static int effective(const struct analysis_settings *s, const struct analyzer *a,
                     enum severity *sev)
{
	const struct analyzer_setting *o = setting_for(s, a->name);
	*sev = a->severity;
	if (!o)
		return 1;
	if (o->severity >= SEV_INFO && o->severity <= SEV_ERROR)
		*sev = (enum severity)o->severity;
	return o->enabled != 0;
}

static void hash_u64(XXH64_state_t *st, uint64_t v)
{
	unsigned char b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (unsigned char)(v >> (8 * i));
	XXH64_update(st, b, sizeof(b));
}

static void hash_str(XXH64_state_t *st, const char *s)
{
	size_t n = s ? strlen(s) : 0;
	hash_u64(st, s ? n : UINT64_MAX);
	if (n)
		XXH64_update(st, s, n);
}

uint64_t analysis_settings_hash(const struct analysis_settings *s)
{
	XXH64_state_t st;
	XXH64_reset(&st, 0);
	hash_str(&st, "golive analysis");
	hash_str(&st, GOLIVE_VERSION_STRING);
	hash_u64(&st, ANALYSIS_REVISION);
	/* the effective analyzer set, in table order, however the overrides were written */
	for (size_t i = 0; builtin_analyzers[i]; i++) {
		enum severity sev;
		int on = effective(s, builtin_analyzers[i], &sev);
		hash_str(&st, builtin_analyzers[i]->name);
		hash_u64(&st, (uint64_t)on);
		hash_u64(&st, on ? (uint64_t)sev : 0);
	}
	enum severity gsev;
	int gon = effective(s, &golive_self, &gsev);
	hash_u64(&st, (uint64_t)gon);
	hash_u64(&st, gon ? (uint64_t)gsev : 0);
	hash_u64(&st, s->rules.n);
	for (size_t i = 0; i < s->rules.n; i++) {
		const struct rule_spec *r = &s->rules.v[i];
		hash_str(&st, r->id);
		hash_str(&st, r->query);
		hash_str(&st, r->message);
		hash_u64(&st, (uint64_t)r->severity);
		hash_u64(&st, (uint64_t)(r->handler_scope != 0));
	}
	hash_u64(&st, (uint64_t)(s->include_generated != 0));
	return XXH64_digest(&st);
}

json_t *analysis_settings_to_json(const struct analysis_settings *s)
{
	json_t *o = json_object(), *an = json_array(), *rules = json_array();
	for (size_t i = 0; i < s->analyzers.n; i++) {
		const struct analyzer_setting *a = &s->analyzers.v[i];
		json_t *e = json_object();
		json_object_set_new(e, "name", json_string(a->name ? a->name : ""));
		json_object_set_new(e, "enabled", json_boolean(a->enabled));
		if (a->severity >= SEV_INFO && a->severity <= SEV_ERROR)
			json_object_set_new(e, "severity",
			                    json_string(severity_name((enum severity)a->severity)));
		json_array_append_new(an, e);
	}
	for (size_t i = 0; i < s->rules.n; i++) {
		const struct rule_spec *r = &s->rules.v[i];
		json_t *e = json_object();
		json_object_set_new(e, "id", json_string(r->id ? r->id : ""));
		json_object_set_new(e, "query", json_string(r->query ? r->query : ""));
		json_object_set_new(e, "message", json_string(r->message ? r->message : ""));
		json_object_set_new(e, "severity", json_string(severity_name(r->severity)));
		json_object_set_new(e, "scope", json_string(r->handler_scope ? "handler" : "file"));
		if (r->where)
			json_object_set_new(e, "where", json_string(r->where));
		json_object_set_new(e, "line", json_integer(r->line));
		json_object_set_new(e, "col", json_integer(r->col));
		json_object_set_new(e, "block", json_boolean(r->block));
		json_object_set_new(e, "indent", json_integer(r->indent));
		json_array_append_new(rules, e);
	}
	json_object_set_new(o, "analyzers", an);
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "fail_on", json_string(fail_on_name(s->fail_on)));
	json_object_set_new(o, "include_generated", json_boolean(s->include_generated));
	json_object_set_new(o, "include_deps", json_boolean(s->include_deps));
	return o;
}

/* Reads optional key k of o as a string into *out (a copy); -1 when of another type. */
static int get_str(json_t *o, const char *k, int required, char **out)
{
	json_t *v = json_object_get(o, k);
	*out = NULL;
	if (!v)
		return required ? -1 : 0;
	if (!json_is_string(v))
		return -1;
	*out = xstrdup(json_string_value(v));
	return 0;
}

static int get_uint(json_t *o, const char *k, unsigned *out)
{
	json_t *v = json_object_get(o, k);
	*out = 0;
	if (!v)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return -1;
	*out = (unsigned)json_integer_value(v);
	return 0;
}

static int get_bool(json_t *o, const char *k, int *out)
{
	json_t *v = json_object_get(o, k);
	*out = 0;
	if (!v)
		return 0;
	if (!json_is_boolean(v))
		return -1;
	*out = json_is_true(v);
	return 0;
}

static int parse_analyzer_setting(struct analysis_settings *s, json_t *e, size_t i, char **cause)
{
	struct analyzer_setting a = {NULL, 1, -1};
	char *sev = NULL;
	json_t *en = json_object_get(e, "enabled");
	if (!json_is_object(e) || get_str(e, "name", 1, &a.name) < 0 ||
	    (en && !json_is_boolean(en)) || get_str(e, "severity", 0, &sev) < 0) {
		free(a.name);
		*cause = xasprintf("analysis settings: analyzers[%zu]: malformed", i);
		return -1;
	}
	if (en)
		a.enabled = json_is_true(en);
	if (sev) {
		enum severity v;
		if (severity_parse(sev, &v) < 0) {
			*cause = xasprintf(
			    "analysis settings: analyzers[%zu]: unknown severity \"%s\"", i, sev);
			free(sev);
			free(a.name);
			return -1;
		}
		a.severity = (int)v;
		free(sev);
	}
	ARRAY_PUSH(s->analyzers, a);
	return 0;
}

static int parse_rule(struct analysis_settings *s, json_t *e, size_t i, char **cause)
{
	struct rule_spec r;
	char *sev = NULL, *scope = NULL;
	memset(&r, 0, sizeof(r));
	r.severity = SEV_WARNING;
	if (!json_is_object(e) || get_str(e, "id", 1, &r.id) < 0 ||
	    get_str(e, "query", 1, &r.query) < 0 || get_str(e, "message", 1, &r.message) < 0 ||
	    get_str(e, "severity", 0, &sev) < 0 || get_str(e, "scope", 0, &scope) < 0 ||
	    get_str(e, "where", 0, &r.where) < 0 || get_uint(e, "line", &r.line) < 0 ||
	    get_uint(e, "col", &r.col) < 0 || get_bool(e, "block", &r.block) < 0 ||
	    get_uint(e, "indent", &r.indent) < 0) {
		*cause = xasprintf("analysis settings: rules[%zu]: malformed", i);
		goto fail;
	}
	if (sev && severity_parse(sev, &r.severity) < 0) {
		*cause =
		    xasprintf("analysis settings: rules[%zu]: unknown severity \"%s\"", i, sev);
		goto fail;
	}
	if (scope && strcmp(scope, "handler") && strcmp(scope, "file")) {
		*cause = xasprintf("analysis settings: rules[%zu]: unknown scope \"%s\"", i, scope);
		goto fail;
	}
	r.handler_scope = scope && strcmp(scope, "handler") == 0;
	free(sev);
	free(scope);
	ARRAY_PUSH(s->rules, r);
	return 0;
fail:
	free(sev);
	free(scope);
	rule_spec_release(&r);
	return -1;
}

/*
 * Fills s (which it initializes; any previous content is not freed) from
 * the JSON written by analysis_settings_to_json. Every key is optional;
 * unknown keys are ignored. On error s is left empty (initialized).
 */
int analysis_settings_from_json(struct analysis_settings *s, json_t *o, char **cause)
{
	json_t *an = json_object_get(o, "analyzers"), *rules = json_object_get(o, "rules");
	json_t *fo = json_object_get(o, "fail_on");
	size_t i;
	analysis_settings_init(s);
	if (!json_is_object(o)) {
		*cause = xstrdup("analysis settings: not a JSON object");
		return -1;
	}
	if ((an && !json_is_array(an)) || (rules && !json_is_array(rules)) ||
	    (fo && !json_is_string(fo)) ||
	    get_bool(o, "include_generated", &s->include_generated) < 0 ||
	    get_bool(o, "include_deps", &s->include_deps) < 0) {
		*cause = xstrdup("analysis settings: a field has the wrong type");
		goto fail;
	}
	if (fo && fail_on_parse(json_string_value(fo), &s->fail_on) < 0) {
		*cause =
		    xasprintf("analysis settings: unknown fail_on \"%s\"", json_string_value(fo));
		goto fail;
	}
	for (i = 0; an && i < json_array_size(an); i++)
		if (parse_analyzer_setting(s, json_array_get(an, i), i, cause) < 0)
			goto fail;
	for (i = 0; rules && i < json_array_size(rules); i++)
		if (parse_rule(s, json_array_get(rules, i), i, cause) < 0)
			goto fail;
	return 0;
fail:
	analysis_settings_release(s);
	return -1;
}

/* ---- context --------------------------------------------------------------- */

struct analysis_ctx {
	const struct analysis_settings *settings;
	TSParser *parser;
	struct rules *rules;
	struct goversion lang; /* of the package analysed now; unknown by default */
};

struct analysis_ctx *analysis_ctx_new(const struct analysis_settings *s, char **cause)
{
	struct analysis_ctx *ctx = xcalloc(1, sizeof(*ctx));
	ctx->settings = s;
	ctx->parser = ts_parser_new();
	if (!ts_parser_set_language(ctx->parser, tree_sitter_go()))
		BUG("tree-sitter-go grammar is incompatible with the tree-sitter core");
	ctx->rules = rules_compile(s, cause);
	if (!ctx->rules) {
		ts_parser_delete(ctx->parser);
		free(ctx);
		return NULL;
	}
	return ctx;
}

void analysis_ctx_set_goversion(struct analysis_ctx *ctx, const struct goversion *lang)
{
	struct goversion unknown = GOVERSION_UNKNOWN;
	ctx->lang = lang ? *lang : unknown;
}

int analysis_go_at_least(const struct analysis_file *f, unsigned major, unsigned minor)
{
	return !goversion_known(&f->lang) || goversion_at_least(&f->lang, major, minor);
}

void analysis_ctx_free(struct analysis_ctx *ctx)
{
	if (!ctx)
		return;
	rules_free(ctx->rules);
	ts_parser_delete(ctx->parser);
	free(ctx);
}

/* ---- per-file facts ------------------------------------------------------ */

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
};

/* Whether name is declared at the top level of the file (shadowed() asks once per name). */
struct top_memo {
	char *name;
	size_t len;
	int declared;
};

struct analysis_file_private {
	diag_array *out;
	ARRAY(struct import_entry) imports;
	ARRAY(struct directive) directives;
	ARRAY(struct http_handler) handlers; /* in source order: outer before inner */
	ARRAY(TSNode) forced;                /* literals passed to HandleFunc/HandlerFunc */
	ARRAY(TSNode) chain;                 /* scratch: ancestors of a node */
	ARRAY(struct top_memo) top;          /* names asked of shadowed(): declared at top level? */
};

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

static void collect_imports(struct analysis_file *f)
{
	uint32_t n = ts_node_named_child_count(f->root);
	for (uint32_t i = 0; i < n; i++) {
		TSNode d = ts_node_named_child(f->root, i);
		if (!is_type(d, "import_declaration"))
			continue;
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
	}
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
	TSNode cur = f->root;
	int err = ts_node_is_error(cur);
	p->chain.n = 0;
	if (ts_node_eq(cur, n))
		return err;
	for (;;) {
		ARRAY_PUSH(p->chain, cur);
		TSNode next = ts_node_child_with_descendant(cur, n);
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
		struct top_memo e = {xstrndup(name, len), len, 0};
		uint32_t c = ts_node_named_child_count(f->root);
		for (uint32_t i = 0; i < c && !e.declared; i++)
			e.declared = declares(f, ts_node_named_child(f->root, i), name, len);
		ARRAY_PUSH(p->top, e);
	}
	if (p->top.v[m].declared)
		return 1;
	ancestors(f, at);
	for (size_t i = p->chain.n; i-- > 0;) {
		TSNode a = p->chain.v[i];
		const char *t = ts_node_type(a);
		if (strcmp(t, "statement_list") == 0) {
			uint32_t k = ts_node_named_child_count(a);
			for (uint32_t j = 0; j < k; j++) {
				TSNode s = ts_node_named_child(a, j);
				if (ts_node_end_byte(s) > pos)
					break;
				if (declares(f, s, name, len))
					return 1;
			}
		} else if (strcmp(t, "function_declaration") == 0 ||
		           strcmp(t, "method_declaration") == 0 || strcmp(t, "func_literal") == 0) {
			TSNode body = field(a, "body");
			if (ts_node_is_null(body) || !contains(body, at))
				continue;
			if (params_declare(f, field(a, "parameters"), name, len) ||
			    params_declare(f, field(a, "receiver"), name, len) ||
			    params_declare(f, field(a, "type_parameters"), name, len))
				return 1;
			TSNode res = field(a, "result");
			if (is_type(res, "parameter_list") && params_declare(f, res, name, len))
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

/* True when expression e names fn of package path (pkg.fn, or fn under a dot import). */
static int is_pkg_ref(const struct analysis_file *f, TSNode e, const char *path, const char *fn)
{
	if (is_type(e, "selector_expression")) {
		TSNode op = field(e, "operand");
		if (!analysis_text_eq(f, field(e, "field"), fn) || !is_type(op, "identifier"))
			return 0;
		for (size_t i = 0; i < f->priv->imports.n; i++) {
			const struct import_entry *im = &f->priv->imports.v[i];
			if (strcmp(im->path, path) == 0 && analysis_text_eq(f, op, im->name) &&
			    strcmp(im->name, "_") != 0 && strcmp(im->name, ".") != 0)
				return !shadowed(f, im->name, strlen(im->name), op);
		}
		return 0;
	}
	if (is_type(e, "identifier") && analysis_text_eq(f, e, fn) && has_dot_import(f, path))
		return !shadowed(f, fn, strlen(fn), e);
	return 0;
}

int analysis_is_pkg_call(const struct analysis_file *f, TSNode call, const char *path,
                         const char *fn)
{
	if (!is_type(call, "call_expression"))
		return 0;
	return is_pkg_ref(f, field(call, "function"), path, fn);
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
	for (size_t i = 0; i < f->priv->forced.n; i++)
		if (ts_node_eq(f->priv->forced.v[i], fnode))
			forced = 1;
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

/* Notes func literals that call_expression c registers as handlers. */
static void note_forced(struct analysis_file *f, TSNode c)
{
	TSNode fn = field(c, "function"), args = field(c, "arguments");
	TSNode lit = {0};
	if (ts_node_is_null(args))
		return;
	if (is_type(fn, "selector_expression") &&
	    analysis_text_eq(f, field(fn, "field"), "HandleFunc"))
		lit = ts_node_named_child(args, 1);
	else if (is_pkg_ref(f, fn, "net/http", "HandlerFunc"))
		lit = ts_node_named_child(args, 0);
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

/* One walk over the tree, outside ERROR nodes: handlers and directives. */
static void collect(struct analysis_file *f)
{
	TSTreeCursor c = ts_tree_cursor_new(f->root);
	for (;;) {
		TSNode n = ts_tree_cursor_current_node(&c);
		const char *t = ts_node_type(n);
		int descend = ts_node_child_count(n) > 0 && !ts_node_is_error(n);
		if (strcmp(t, "comment") == 0) {
			parse_directive(f, n);
		} else if (strcmp(t, "call_expression") == 0) {
			note_forced(f, n);
		} else if (strcmp(t, "function_declaration") == 0 ||
		           strcmp(t, "method_declaration") == 0 || strcmp(t, "func_literal") == 0) {
			struct http_handler h;
			if (handler_of(f, n, &h))
				ARRAY_PUSH(f->priv->handlers, h);
		}
		if (!analysis_cursor_next(&c, descend))
			break;
	}
	ts_tree_cursor_delete(&c);
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

void analysis_for_each_call(struct analysis_file *f, const struct http_handler *h,
                            void (*fn)(struct analysis_file *f, const struct http_handler *h,
                                       TSNode call, void *data),
                            void *data)
{
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

static int suppressed(const struct analysis_file *f, uint32_t row, const char *name)
{
	for (size_t i = 0; i < f->priv->directives.n; i++) {
		const struct directive *d = &f->priv->directives.v[i];
		if ((d->row == row || d->row + 1 == row) && d->has_reason &&
		    names_match(d->names, d->names_len, name))
			return 1;
	}
	return 0;
}

void analysis_report_as(struct analysis_file *f, TSNode n, const char *name, enum severity sev,
                        const char *message)
{
	if (ts_node_is_null(n) || ts_node_has_error(n) || ancestors(f, n))
		return;
	TSPoint p = ts_node_start_point(n);
	if (suppressed(f, p.row, name))
		return;
	diag_push(f->priv->out, f->path, p.row + 1, p.column + 1, name, sev, message);
}

void analysis_report(struct analysis_file *f, TSNode n, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;
	va_start(ap, fmt);
	strbuf_vaddf(&sb, fmt, ap);
	va_end(ap);
	analysis_report_as(f, n, f->analyzer->name, f->severity, sb.buf);
	strbuf_release(&sb);
}

static void report_directives(struct analysis_file *f, enum severity sev)
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
		diag_push(f->priv->out, f->path, p.row + 1, p.column + 1, golive_self.name, sev,
		          msg);
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

struct analysis_file *analysis_file_open(struct analysis_ctx *ctx, const char *path,
                                         const char *src, size_t len, diag_array *out)
{
	if (len > MAX_SOURCE)
		return NULL;
	TSTree *tree = ts_parser_parse_string(ctx->parser, NULL, src, (uint32_t)len);
	if (!tree) {
		ts_parser_reset(ctx->parser);
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
	f->analyzer = &rules_pseudo;
	f->severity = rules_pseudo.severity;
	f->lang = ctx->lang;
	collect_imports(f);
	collect(f);
	return f;
}

void analysis_file_close(struct analysis_file *f)
{
	if (!f)
		return;
	struct analysis_file_private *p = f->priv;
	for (size_t i = 0; i < p->imports.n; i++) {
		free(p->imports.v[i].path);
		free(p->imports.v[i].name);
	}
	ARRAY_FREE(p->imports);
	ARRAY_FREE(p->directives);
	ARRAY_FREE(p->handlers);
	ARRAY_FREE(p->forced);
	ARRAY_FREE(p->chain);
	for (size_t i = 0; i < p->top.n; i++)
		free(p->top.v[i].name);
	ARRAY_FREE(p->top);
	free(p);
	ts_tree_delete(f->tree);
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
		if (!effective(s, a, &sev))
			continue;
		if (!a->needles)
			return 1;
		for (const char *const *n = a->needles; *n; n++)
			if (text_has(src, len, *n))
				return 1;
	}
	return 0;
}

int analysis_run_source(struct analysis_ctx *ctx, const char *path, const char *src, size_t len,
                        diag_array *out)
{
	const struct analysis_settings *s = ctx->settings;
	if (!s->include_generated && is_generated(src, len))
		return 1;
	if (!worth_parsing(s, src, len))
		return 0;
	struct analysis_file *f = analysis_file_open(ctx, path, src, len, out);
	if (!f)
		return 0;
	for (size_t i = 0; builtin_analyzers[i]; i++) {
		enum severity sev;
		if (!effective(s, builtin_analyzers[i], &sev))
			continue;
		f->analyzer = builtin_analyzers[i];
		f->severity = sev;
		f->analyzer->run(f);
	}
	f->analyzer = &rules_pseudo;
	f->severity = rules_pseudo.severity;
	rules_run(ctx->rules, f);
	enum severity gsev;
	if (effective(s, &golive_self, &gsev))
		report_directives(f, gsev);
	analysis_file_close(f);
	return 0;
}

int analysis_run_file(struct analysis_ctx *ctx, const char *path, diag_array *out, char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path, MAX_SOURCE) < 0) {
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
