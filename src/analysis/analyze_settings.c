/*
 * analyze_settings.c - see analyze.h: the analysis settings (which
 * analyzers run, at which severity, the user rules), their JSON form and
 * the hash that keys the analysis cache.
 */
#include "analysis/analyze.h"
#include "analysis/analyze_priv.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#define XXH_STATIC_LINKING_ONLY /* XXH64_state_t on the stack */
#include <xxhash.h>

/*
 * Bumped whenever an analyzer's findings change for the same input, so the
 * analysis cache (keyed by analysis_settings_hash) never replays stale ones.
 */
#define ANALYSIS_REVISION 3

/* The pseudo-analyzer that reports malformed //golive:ignore directives. */
const struct analyzer analysis_golive_self = {
    "golive", "problems with golive's own directives in the source", SEV_WARNING, NULL, NULL, NULL,
    NULL};

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

void rule_spec_release(struct rule_spec *r)
{
	free(r->id);
	free(r->query);
	free(r->message);
	free(r->where);
	free(r->fix);
	argv_clear(&r->include);
	argv_clear(&r->exclude);
	argv_clear(&r->valid);
	argv_clear(&r->invalid);
	memset(r, 0, sizeof(*r));
}

void analysis_settings_release(struct analysis_settings *s)
{
	for (size_t i = 0; i < s->analyzers.n; i++)
		free(s->analyzers.v[i].name);
	ARRAY_FREE(s->analyzers);
	for (size_t i = 0; i < s->rules.n; i++)
		rule_spec_release(&s->rules.v[i]);
	ARRAY_FREE(s->rules);
	free(s->root);
	free(s->blob_dir);
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
int analysis_effective(const struct analysis_settings *s, const struct analyzer *a,
                       enum severity *sev)
{
	const struct analyzer_setting *o = setting_for(s, a->name);
	*sev = a->severity;
	if (!o)
		return a != &analyzer_unusedignore; /* the one that is off by default */
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
		int on = analysis_effective(s, builtin_analyzers[i], &sev);
		hash_str(&st, builtin_analyzers[i]->name);
		hash_u64(&st, (uint64_t)on);
		hash_u64(&st, on ? (uint64_t)sev : 0);
	}
	enum severity gsev;
	int gon = analysis_effective(s, &analysis_golive_self, &gsev);
	hash_u64(&st, (uint64_t)gon);
	hash_u64(&st, gon ? (uint64_t)gsev : 0);
	hash_u64(&st, s->rules.n);
	int paths = 0;
	for (size_t i = 0; i < s->rules.n; i++) {
		const struct rule_spec *r = &s->rules.v[i];
		hash_str(&st, r->id);
		hash_str(&st, r->query);
		hash_str(&st, r->message);
		hash_u64(&st, (uint64_t)r->severity);
		hash_u64(&st, (uint64_t)(r->handler_scope != 0));
		hash_u64(&st, (uint64_t)(r->off != 0));
		hash_str(&st, r->fix);
		hash_u64(&st, (uint64_t)(r->fix_unsafe != 0));
		hash_u64(&st, r->include.argc);
		for (size_t k = 0; k < r->include.argc; k++)
			hash_str(&st, r->include.argv[k]);
		hash_u64(&st, r->exclude.argc);
		for (size_t k = 0; k < r->exclude.argc; k++)
			hash_str(&st, r->exclude.argv[k]);
		if (r->include.argc || r->exclude.argc)
			paths = 1;
	}
	/* where the root is changes which files rules with paths: run on */
	if (paths)
		hash_str(&st, s->root);
	hash_u64(&st, (uint64_t)(s->include_generated != 0));
	return XXH64_digest(&st);
}

static json_t *strings_to_json(const struct argv_array *a)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < a->argc; i++)
		json_array_append_new(arr, json_string(a->argv[i]));
	return arr;
}

/* Optional key k of o: an array of strings appended to out; -1 when of another shape. */
static int get_strings(json_t *o, const char *k, struct argv_array *out)
{
	json_t *v = json_object_get(o, k), *x;
	size_t i;
	if (!v)
		return 0;
	if (!json_is_array(v))
		return -1;
	json_array_foreach(v, i, x)
	{
		if (!json_is_string(x))
			return -1;
		argv_push(out, json_string_value(x));
	}
	return 0;
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
		json_object_set_new(e, "severity",
		                    json_string(r->off ? "off" : severity_name(r->severity)));
		json_object_set_new(e, "scope", json_string(r->handler_scope ? "handler" : "file"));
		if (r->fix) {
			json_object_set_new(e, "fix", json_string(r->fix));
			json_object_set_new(e, "fix_unsafe", json_boolean(r->fix_unsafe));
		}
		if (r->include.argc || r->exclude.argc) { /* as golive config --json writes it */
			json_t *paths = json_object();
			json_object_set_new(paths, "include", strings_to_json(&r->include));
			json_object_set_new(paths, "exclude", strings_to_json(&r->exclude));
			json_object_set_new(e, "paths", paths);
		}
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
	json_t *paths = json_object_get(e, "paths");
	struct rule_spec r;
	char *sev = NULL, *scope = NULL;
	memset(&r, 0, sizeof(r));
	r.severity = SEV_WARNING;
	if (!json_is_object(e) || get_str(e, "id", 1, &r.id) < 0 ||
	    get_str(e, "query", 1, &r.query) < 0 || get_str(e, "message", 1, &r.message) < 0 ||
	    get_str(e, "severity", 0, &sev) < 0 || get_str(e, "scope", 0, &scope) < 0 ||
	    get_str(e, "where", 0, &r.where) < 0 || get_uint(e, "line", &r.line) < 0 ||
	    get_uint(e, "col", &r.col) < 0 || get_bool(e, "block", &r.block) < 0 ||
	    get_uint(e, "indent", &r.indent) < 0 || get_str(e, "fix", 0, &r.fix) < 0 ||
	    get_bool(e, "fix_unsafe", &r.fix_unsafe) < 0 || (paths && !json_is_object(paths)) ||
	    get_strings(paths, "include", &r.include) < 0 ||
	    get_strings(paths, "exclude", &r.exclude) < 0) {
		*cause = xasprintf("analysis settings: rules[%zu]: malformed", i);
		goto fail;
	}
	if (sev && !strcmp(sev, "off")) {
		r.off = 1;
	} else if (sev && severity_parse(sev, &r.severity) < 0) {
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
