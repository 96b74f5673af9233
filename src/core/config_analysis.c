/*
 * config_analysis.c - golive.yaml's analyzers: and rules: sections (config_section.h):
 * fail_on and the built-in analyzers on, off or at a severity; the user
 * rules (tree-sitter queries) with their positions in the file.
 */
#define _GNU_SOURCE
#include "core/config_section.h"
#include "core/jsonl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The fixed keys of analyzers:; the built-in analyzers' names follow them. */
static const struct key_spec analyzers_keys[] = {
    {"fail_on", KEY_FAIL_ON, FIELD(analysis.fail_on), 0, 0, NULL},
    {"include_generated", KEY_BOOL, FIELD(analysis.include_generated), 0, 0, NULL},
    {"include_deps", KEY_BOOL, FIELD(analysis.include_deps), 0, 0, NULL},
};

/* The keys of one entry of rules:, in output order. */
static const char *const rule_keys[] = {"id",  "query",      "message", "severity", "scope",
                                        "fix", "fix_unsafe", "paths",   "valid",    "invalid"};
enum {
	RULE_ID,
	RULE_QUERY,
	RULE_MESSAGE,
	RULE_SEVERITY,
	RULE_SCOPE,
	RULE_FIX,
	RULE_FIX_UNSAFE,
	RULE_PATHS,
	RULE_VALID,
	RULE_INVALID
};

/* analyzers: */

/* The override of analyzer name in s, added (enabled, default severity) when missing. */
static struct analyzer_setting *analyzer_setting_get(struct analysis_settings *s, const char *name)
{
	struct analyzer_setting a = {NULL, 1, -1};

	for (size_t i = 0; i < s->analyzers.n; i++)
		if (!strcmp(s->analyzers.v[i].name, name))
			return &s->analyzers.v[i];
	a.name = xstrdup(name);
	ARRAY_PUSH(s->analyzers, a);
	return &s->analyzers.v[s->analyzers.n - 1];
}

static const struct analyzer_setting *analyzer_setting_find(const struct analysis_settings *s,
                                                            const char *name)
{
	for (size_t i = 0; i < s->analyzers.n; i++)
		if (!strcmp(s->analyzers.v[i].name, name))
			return &s->analyzers.v[i];
	return NULL;
}

/*
 * analyzers.NAME: a boolean (on/off), or a mapping {enabled: bool (default
 * true), severity: info|warning|error (default: the analyzer's own)}. The
 * value replaces what c had for that analyzer.
 */
static int set_analyzer(struct golive_config *c, const char *name, const struct ynode *n,
                        const char *path, char **cause)
{
	static const char *const keys[] = {"enabled", "severity"};
	const struct analyzer *a = analyzer_find(name);
	struct analyzer_setting *set;
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	int enabled = 1, sev = -1, ret = -1;

	if (!a)
		BUG("analyzers.%s is not a built-in analyzer", name);
	if (ynode_is_null(n))
		return 0;
	if (n->kind == YN_SCALAR) {
		if (ynode_parse_bool(n, &enabled)) {
			config_fail_at(
			    cause, path, n->mark,
			    "analyzers.%s: expected on, off or a mapping (enabled, severity), "
			    "got %s",
			    a->name, ynode_describe(&d, n));
			goto out;
		}
	} else if (n->kind == YN_MAPPING) {
		idx = xcalloc(n->items.n / 2 + 1, sizeof(*idx));
		strbuf_addf(&d, " in analyzers.%s", a->name);
		if (config_check_keys(n, keys, ARRAY_SIZE(keys), sizeof(*keys), d.buf, path, idx,
		                      cause))
			goto out;
		for (size_t i = 0; i + 1 < n->items.n; i += 2) {
			const struct ynode *v = n->items.v[i + 1];
			enum severity s;

			if (ynode_is_null(v))
				continue;
			if (idx[i / 2] == 0 && ynode_parse_bool(v, &enabled)) {
				config_fail_at(cause, path, v->mark,
				               "analyzers.%s.enabled: expected a boolean, got %s",
				               a->name, ynode_describe(&d, v));
				goto out;
			}
			if (idx[i / 2] == 1) {
				if (!ynode_is_string(v) || severity_parse(v->value, &s)) {
					config_fail_at(
					    cause, path, v->mark,
					    "analyzers.%s.severity: expected info, warning or "
					    "error, got %s",
					    a->name, ynode_describe(&d, v));
					goto out;
				}
				sev = (int)s;
			}
		}
	} else {
		config_fail_at(
		    cause, path, n->mark,
		    "analyzers.%s: expected on, off or a mapping (enabled, severity), got %s",
		    a->name, ynode_describe(&d, n));
		goto out;
	}
	set = analyzer_setting_get(&c->analysis, a->name);
	set->enabled = enabled;
	set->severity = sev;
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	return ret;
}

/* analyzers: the fixed keys, then one key per built-in analyzer. */
static int parse_analyzers(struct golive_config *c, const struct ynode *m, const char *path,
                           char **cause)
{
	ARRAY(const char *) names = ARRAY_INIT;
	const size_t nfixed = ARRAY_SIZE(analyzers_keys);
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	int ret = -1;

	if (m->kind != YN_MAPPING) {
		config_fail_at(cause, path, m->mark, "analyzers: expected a mapping, got %s",
		               ynode_describe(&d, m));
		goto out;
	}
	for (size_t i = 0; i < nfixed; i++)
		ARRAY_PUSH(names, analyzers_keys[i].name);
	for (const struct analyzer *const *a = builtin_analyzers; *a; a++)
		ARRAY_PUSH(names, (*a)->name);
	idx = xcalloc(m->items.n / 2 + 1, sizeof(*idx));
	if (config_check_keys(m, names.v, names.n, sizeof(*names.v), " in analyzers", path, idx,
	                      cause))
		goto out;
	for (size_t i = 0; i + 1 < m->items.n; i += 2) {
		size_t j = idx[i / 2];
		const struct ynode *v = m->items.v[i + 1];

		if (j < nfixed ? config_set_key(c, "analyzers", &analyzers_keys[j], v, path, cause)
		               : set_analyzer(c, names.v[j], v, path, cause))
			goto out;
	}
	ret = 0;
out:
	free(idx);
	ARRAY_FREE(names);
	strbuf_release(&d);
	return ret;
}

/* rules: */

#include "core/pathmatch.h"

/*
 * rules[i].WHAT: a string or a list of non-empty strings into out; globs
 * (check_glob) are checked with glob_check(). 0, or -1 with *cause.
 */
static int rule_strings(struct argv_array *out, const struct ynode *n, size_t i, const char *what,
                        int check_glob, const char *path, char **cause)
{
	struct strbuf d = STRBUF_INIT;
	const struct ynode *one[1] = {n};
	const struct ynode *const *items =
	    n->kind == YN_SEQUENCE ? (const struct ynode *const *)n->items.v : one;
	size_t count = n->kind == YN_SEQUENCE ? n->items.n : 1;
	int ret = -1;

	if (ynode_is_null(n))
		return 0;
	if (n->kind == YN_MAPPING) {
		config_fail_at(cause, path, n->mark,
		               "rules[%zu].%s: expected a string or a list of strings, got %s", i,
		               what, ynode_describe(&d, n));
		goto out;
	}
	for (size_t k = 0; k < count; k++) {
		char *why = NULL;
		if (!ynode_is_string(items[k]) || !items[k]->len) {
			config_fail_at(cause, path, items[k]->mark,
			               "rules[%zu].%s: expected a non-empty string, got %s", i,
			               what, ynode_describe(&d, items[k]));
			goto out;
		}
		if (check_glob && glob_check(items[k]->value, &why) < 0) {
			config_fail_at(cause, path, items[k]->mark, "rules[%zu].%s: %s", i, what,
			               why);
			free(why);
			goto out;
		}
		argv_push(out, items[k]->value);
	}
	ret = 0;
out:
	strbuf_release(&d);
	return ret;
}

/* rules[i].paths: {include, exclude}, each a glob or a list of globs. */
static int rule_paths(struct rule_spec *r, const struct ynode *n, size_t i, const char *path,
                      char **cause)
{
	static const char *const keys[] = {"include", "exclude"};
	struct strbuf d = STRBUF_INIT;
	size_t idx[4] = {0};
	int ret = -1;

	if (ynode_is_null(n))
		return 0;
	if (n->kind != YN_MAPPING || n->items.n / 2 > ARRAY_SIZE(idx)) {
		config_fail_at(cause, path, n->mark,
		               "rules[%zu].paths: expected a mapping (include, exclude), got %s", i,
		               ynode_describe(&d, n));
		goto out;
	}
	strbuf_addf(&d, " in rules[%zu].paths", i);
	if (config_check_keys(n, keys, ARRAY_SIZE(keys), sizeof(*keys), d.buf, path, idx, cause))
		goto out;
	for (size_t k = 0; k + 1 < n->items.n; k += 2)
		if (rule_strings(idx[k / 2] ? &r->exclude : &r->include, n->items.v[k + 1], i,
		                 idx[k / 2] ? "paths.exclude" : "paths.include", 1, path, cause))
			goto out;
	ret = 0;
out:
	strbuf_release(&d);
	return ret;
}

/* [a-z0-9][a-z0-9._-]* */
static int is_rule_id(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '.' ||
		      *s == '_' || *s == '-'))
			return 0;
	return 1;
}

typedef ARRAY(struct rule_spec) rule_array;

/*
 * Parses rules[i] (mapping m) into *r and the line of its id into *id_line;
 * rules holds the rules before it and id_lines the lines of their ids.
 */
static int parse_rule(struct rule_spec *r, unsigned *id_line, size_t i, const struct ynode *m,
                      const rule_array *rules, const unsigned *id_lines, const char *path,
                      char **cause)
{
	const struct ynode *v[ARRAY_SIZE(rule_keys)] = {NULL};
	struct strbuf d = STRBUF_INIT;
	const struct ynode *q;
	size_t *idx = NULL;
	enum severity sev = SEV_WARNING;
	size_t msglen;
	int ret = -1;

	if (m->kind != YN_MAPPING) {
		config_fail_at(
		    cause, path, m->mark,
		    "rules[%zu]: expected a mapping (id, query, message, severity, scope, fix, "
		    "fix_unsafe, paths, valid, invalid), got %s",
		    i, ynode_describe(&d, m));
		goto out;
	}
	idx = xcalloc(m->items.n / 2 + 1, sizeof(*idx));
	strbuf_addf(&d, " in rules[%zu]", i);
	if (config_check_keys(m, rule_keys, ARRAY_SIZE(rule_keys), sizeof(*rule_keys), d.buf, path,
	                      idx, cause))
		goto out;
	for (size_t k = 0; k + 1 < m->items.n; k += 2)
		v[idx[k / 2]] = m->items.v[k + 1];
	for (size_t k = RULE_ID; k <= RULE_MESSAGE; k++) {
		if (!v[k]) {
			config_fail_at(cause, path, m->mark, "rules[%zu]: missing key \"%s\"", i,
			               rule_keys[k]);
			goto out;
		}
		if (!ynode_is_string(v[k]) || !v[k]->len) {
			config_fail_at(cause, path, v[k]->mark,
			               "rules[%zu].%s: expected a non-empty string, got %s", i,
			               rule_keys[k], ynode_describe(&d, v[k]));
			goto out;
		}
	}

	if (!is_rule_id(v[RULE_ID]->value)) {
		config_fail_at(
		    cause, path, v[RULE_ID]->mark,
		    "rules[%zu].id: expected lowercase letters, digits, '.', '_' and '-', "
		    "starting with a letter or digit, got %s",
		    i, ynode_describe(&d, v[RULE_ID]));
		goto out;
	}
	if (analyzer_find(v[RULE_ID]->value) || !strcmp(v[RULE_ID]->value, "all") ||
	    !strcmp(v[RULE_ID]->value, "golive") || !strcmp(v[RULE_ID]->value, "rules")) {
		config_fail_at(
		    cause, path, v[RULE_ID]->mark,
		    "rules[%zu].id: \"%s\" is reserved (built-in analyzers, golive, rules "
		    "and all)",
		    i, v[RULE_ID]->value);
		goto out;
	}
	for (size_t k = 0; k < rules->n; k++) {
		if (!strcmp(rules->v[k].id, v[RULE_ID]->value)) {
			config_fail_at(cause, path, v[RULE_ID]->mark,
			               "rules[%zu].id: duplicate id \"%s\" (first at line %u)", i,
			               v[RULE_ID]->value, id_lines[k]);
			goto out;
		}
	}

	/* a folded or literal message ends in a newline: dropped; it must be one line */
	msglen = v[RULE_MESSAGE]->len;
	while (msglen && v[RULE_MESSAGE]->value[msglen - 1] == '\n')
		msglen--;
	if (!msglen || memchr(v[RULE_MESSAGE]->value, '\n', msglen)) {
		config_fail_at(cause, path, v[RULE_MESSAGE]->mark,
		               "rules[%zu].message: expected a one-line string, got %s", i,
		               ynode_describe(&d, v[RULE_MESSAGE]));
		goto out;
	}

	r->off = 0;
	if (v[RULE_SEVERITY] && ynode_is_string(v[RULE_SEVERITY]) &&
	    !strcmp(v[RULE_SEVERITY]->value, "off")) {
		r->off = 1;
	} else if (v[RULE_SEVERITY] && !ynode_is_null(v[RULE_SEVERITY]) &&
	           (!ynode_is_string(v[RULE_SEVERITY]) ||
	            severity_parse(v[RULE_SEVERITY]->value, &sev))) {
		config_fail_at(cause, path, v[RULE_SEVERITY]->mark,
		               "rules[%zu].severity: expected info, warning, error or off, got %s",
		               i, ynode_describe(&d, v[RULE_SEVERITY]));
		goto out;
	}
	if (v[RULE_FIX] && !ynode_is_null(v[RULE_FIX])) {
		if (!ynode_is_string(v[RULE_FIX])) {
			config_fail_at(cause, path, v[RULE_FIX]->mark,
			               "rules[%zu].fix: expected a string, got %s", i,
			               ynode_describe(&d, v[RULE_FIX]));
			goto out;
		}
		r->fix = xstrdup(v[RULE_FIX]->value);
	}
	if (v[RULE_FIX_UNSAFE] && !ynode_is_null(v[RULE_FIX_UNSAFE]) &&
	    ynode_parse_bool(v[RULE_FIX_UNSAFE], &r->fix_unsafe)) {
		config_fail_at(cause, path, v[RULE_FIX_UNSAFE]->mark,
		               "rules[%zu].fix_unsafe: expected true or false, got %s", i,
		               ynode_describe(&d, v[RULE_FIX_UNSAFE]));
		goto out;
	}
	if ((v[RULE_PATHS] && rule_paths(r, v[RULE_PATHS], i, path, cause)) ||
	    (v[RULE_VALID] && rule_strings(&r->valid, v[RULE_VALID], i, "valid", 0, path, cause)) ||
	    (v[RULE_INVALID] &&
	     rule_strings(&r->invalid, v[RULE_INVALID], i, "invalid", 0, path, cause)))
		goto out;
	r->handler_scope = 0;
	if (v[RULE_SCOPE] && !ynode_is_null(v[RULE_SCOPE])) {
		if (ynode_is_string(v[RULE_SCOPE]) && !strcmp(v[RULE_SCOPE]->value, "handler")) {
			r->handler_scope = 1;
		} else if (!ynode_is_string(v[RULE_SCOPE]) ||
		           strcmp(v[RULE_SCOPE]->value, "file")) {
			config_fail_at(cause, path, v[RULE_SCOPE]->mark,
			               "rules[%zu].scope: expected handler or file, got %s", i,
			               ynode_describe(&d, v[RULE_SCOPE]));
			goto out;
		}
	}

	q = v[RULE_QUERY];
	r->id = xstrdup(v[RULE_ID]->value);
	r->query = xstrdup(q->value);
	r->message = xstrndup(v[RULE_MESSAGE]->value, msglen);
	r->severity = sev;
	r->line = q->text_line;
	r->col = q->text_col;
	r->block = q->block;
	r->indent = q->indent;
	r->where = xasprintf("%s:%u:%u", path, r->line, r->col);
	*id_line = (unsigned)v[RULE_ID]->mark.line + 1;
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	return ret;
}

/* rules: a list of rules; it replaces the rules c had. */
static int parse_rules(struct golive_config *c, const struct ynode *n, const char *path,
                       char **cause)
{
	rule_array rules = ARRAY_INIT;
	ARRAY(unsigned) id_lines = ARRAY_INIT;
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (n->kind != YN_SEQUENCE) {
		config_fail_at(cause, path, n->mark, "rules: expected a list of rules, got %s",
		               ynode_describe(&d, n));
		goto out;
	}
	for (size_t i = 0; i < n->items.n; i++) {
		struct rule_spec r = {0};
		unsigned line;

		if (parse_rule(&r, &line, i, n->items.v[i], &rules, id_lines.v, path, cause)) {
			rule_spec_release(&r);
			goto out;
		}
		ARRAY_PUSH(rules, r);
		ARRAY_PUSH(id_lines, line);
	}
	for (size_t i = 0; i < c->analysis.rules.n; i++)
		rule_spec_release(&c->analysis.rules.v[i]);
	ARRAY_FREE(c->analysis.rules);
	c->analysis.rules.v = rules.v;
	c->analysis.rules.n = rules.n;
	c->analysis.rules.alloc = rules.alloc;
	rules.v = NULL;
	rules.n = rules.alloc = 0;
	ret = 0;
out:
	for (size_t i = 0; i < rules.n; i++)
		rule_spec_release(&rules.v[i]);
	ARRAY_FREE(rules);
	ARRAY_FREE(id_lines);
	strbuf_release(&d);
	return ret;
}

/*
 * analyzers: the fixed keys, then every built-in analyzer: on/off at its
 * own severity, or {enabled, severity} when the severity was set.
 */
static void emit_analyzers(struct emit *em, const struct golive_config *c)
{
	config_emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
	for (size_t i = 0; i < ARRAY_SIZE(analyzers_keys) && !em->failed; i++)
		config_emit_key(em, &analyzers_keys[i], (const char *)c + analyzers_keys[i].offset);
	for (const struct analyzer *const *a = builtin_analyzers; *a && !em->failed; a++) {
		const struct analyzer_setting *set =
		    analyzer_setting_find(&c->analysis, (*a)->name);

		config_emit_scalar(em, (*a)->name, 0);
		em->what = (*a)->name;
		enum severity dsev;
		int on = set ? set->enabled : analysis_effective(&c->analysis, *a, &dsev);
		if (!set || set->severity < 0) {
			config_emit_scalar(em, on ? "on" : "off", 0);
			continue;
		}
		config_emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
		config_emit_scalar(em, "enabled", 0);
		config_emit_scalar(em, set->enabled ? "true" : "false", 0);
		config_emit_scalar(em, "severity", 0);
		config_emit_scalar(em, severity_name((enum severity)set->severity), 0);
		config_emit_mapping_end(em);
	}
	config_emit_mapping_end(em);
}

/* key: a list of strings (literal blocks for several lines), when there are any. */
static void emit_rule_list(struct emit *em, const struct argv_array *a, const char *key)
{
	yaml_event_t ev;

	if (!a->argc || em->failed)
		return;
	config_emit_scalar(em, key, 0);
	config_emit_event(
	    em, yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1, YAML_BLOCK_SEQUENCE_STYLE),
	    &ev);
	for (size_t i = 0; i < a->argc && !em->failed; i++)
		if (strchr(a->argv[i], '\n'))
			config_emit_scalar_style(em, a->argv[i], YAML_LITERAL_SCALAR_STYLE);
		else
			config_emit_scalar(em, a->argv[i], 1);
	config_emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
}

/* paths: {include, exclude}, when the rule has any. */
static void emit_rule_paths(struct emit *em, const struct rule_spec *r, size_t i)
{
	if (!r->include.argc && !r->exclude.argc)
		return;
	snprintf(em->whatbuf, sizeof(em->whatbuf), "[%zu].paths", i);
	em->what = em->whatbuf;
	config_emit_scalar(em, "paths", 0);
	config_emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
	emit_rule_list(em, &r->include, "include");
	emit_rule_list(em, &r->exclude, "exclude");
	config_emit_mapping_end(em);
}

/* rules: a list of mappings; a query of several lines as a literal block (|). */
static void emit_rules(struct emit *em, const struct golive_config *c)
{
	const struct analysis_settings *s = &c->analysis;
	yaml_event_t ev;

	config_emit_event(em,
	                  yaml_sequence_start_event_initialize(
	                      &ev, NULL, NULL, 1,
	                      s->rules.n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE),
	                  &ev);
	for (size_t i = 0; i < s->rules.n && !em->failed; i++) {
		const struct rule_spec *r = &s->rules.v[i];
		const char *values[ARRAY_SIZE(rule_keys)] = {
		    r->id,
		    r->query,
		    r->message,
		    r->off ? "off" : severity_name(r->severity),
		    r->handler_scope ? "handler" : "file",
		    r->fix,
		    r->fix ? (r->fix_unsafe ? "true" : "false") : NULL};

		config_emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
		for (size_t k = 0; k < ARRAY_SIZE(rule_keys); k++) {
			if (k == RULE_PATHS) {
				emit_rule_paths(em, r, i);
				continue;
			}
			if (k == RULE_VALID || k == RULE_INVALID) {
				emit_rule_list(em, k == RULE_VALID ? &r->valid : &r->invalid,
				               rule_keys[k]);
				continue;
			}
			if (!values[k])
				continue;
			config_emit_scalar(em, rule_keys[k], 0);
			if (em->failed)
				break;
			snprintf(em->whatbuf, sizeof(em->whatbuf), "[%zu].%s", i, rule_keys[k]);
			em->what = em->whatbuf;
			if (k == RULE_QUERY && strchr(values[k], '\n'))
				config_emit_scalar_style(em, values[k], YAML_LITERAL_SCALAR_STYLE);
			else
				config_emit_scalar(em, values[k], 1);
		}
		config_emit_mapping_end(em);
	}
	config_emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
}

/* analyzers: the fixed keys, then {"enabled", "severity"} (effective) per built-in analyzer. */
static json_t *analyzers_to_json(const struct golive_config *c)
{
	json_t *sec = config_keys_to_json(analyzers_keys, ARRAY_SIZE(analyzers_keys), c);

	for (const struct analyzer *const *a = builtin_analyzers; *a; a++) {
		enum severity sev;
		int on = analysis_effective(&c->analysis, *a, &sev);

		json_object_set_new(
		    sec, (*a)->name,
		    json_pack("{s:b, s:s}", "enabled", on, "severity", severity_name(sev)));
	}
	return sec;
}

static json_t *rules_to_json(const struct golive_config *c)
{
	json_t *arr = json_array();

	for (size_t i = 0; i < c->analysis.rules.n; i++) {
		const struct rule_spec *r = &c->analysis.rules.v[i];
		json_t *o = json_object();

		json_object_set_new(o, "id", json_string_lossy(r->id));
		json_object_set_new(o, "query", json_string_lossy(r->query));
		json_object_set_new(o, "message", json_string_lossy(r->message));
		json_object_set_new(o, "severity",
		                    json_string(r->off ? "off" : severity_name(r->severity)));
		json_object_set_new(o, "scope", json_string(r->handler_scope ? "handler" : "file"));
		if (r->fix) {
			json_object_set_new(o, "fix", json_string_lossy(r->fix));
			json_object_set_new(o, "fix_unsafe", json_boolean(r->fix_unsafe));
		}
		if (r->include.argc || r->exclude.argc) {
			json_t *paths = json_object(), *inc = json_array(), *exc = json_array();
			for (size_t k = 0; k < r->include.argc; k++)
				json_array_append_new(inc, json_string_lossy(r->include.argv[k]));
			for (size_t k = 0; k < r->exclude.argc; k++)
				json_array_append_new(exc, json_string_lossy(r->exclude.argv[k]));
			json_object_set_new(paths, "include", inc);
			json_object_set_new(paths, "exclude", exc);
			json_object_set_new(o, "paths", paths);
		}
		json_array_append_new(arr, o);
	}
	return arr;
}

const struct section_spec config_section_analyzers = {"analyzers",
                                                      analyzers_keys,
                                                      ARRAY_SIZE(analyzers_keys),
                                                      parse_analyzers,
                                                      emit_analyzers,
                                                      analyzers_to_json,
                                                      NULL};
const struct section_spec config_section_rules = {"rules",    NULL,          0,   parse_rules,
                                                  emit_rules, rules_to_json, NULL};
