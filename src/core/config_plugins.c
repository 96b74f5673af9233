/*
 * config_plugins.c - golive.yaml's plugins: and profiles: sections
 * (config_section.h): the plugin list (a shared object or a program, its
 * sha256, args, timeout) and where the profiles trust files from.
 */
#define _GNU_SOURCE
#include "core/config_section.h"
#include "core/jsonl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The keys of one entry of plugins:, in output order. */
static const char *const plugin_keys[] = {"name", "path",    "exec",    "sha256",
                                          "args", "timeout", "required"};
enum { PK_NAME, PK_PATH, PK_EXEC, PK_SHA256, PK_ARGS, PK_TIMEOUT, PK_REQUIRED };

/* plugins: */

void config_plugin_spec_release(struct plugin_spec *p)
{
	free(p->name);
	free(p->path);
	free(p->exec);
	free(p->sha256);
	argv_clear(&p->args);
	free(p->where);
	memset(p, 0, sizeof(*p));
}

#define PLUGIN_NAME_MAX 64

/* [A-Za-z0-9_.-]{1,64}, and not "." nor ".." (the name is a file name in the session). */
static int is_plugin_name(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > PLUGIN_NAME_MAX || !strcmp(s, ".") || !strcmp(s, ".."))
		return 0;
	return strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") == n;
}

/*
 * A plugin's timeout: "500ms", "2s", "1m", or a number of milliseconds, in
 * 1ms..10m. 0 with *ms set, or -1.
 */
static int parse_duration_ms(const char *s, int *ms)
{
	long long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++)
		if ((v = v * 10 + (*p - '0')) > PLUGIN_TIMEOUT_MAX_MS)
			v = PLUGIN_TIMEOUT_MAX_MS + 1; /* too large either way; no overflow */
	if (!strcmp(p, "s"))
		v *= 1000;
	else if (!strcmp(p, "m"))
		v *= 60 * 1000;
	else if (*p && strcmp(p, "ms"))
		return -1;
	if (v < 1 || v > PLUGIN_TIMEOUT_MAX_MS)
		return -1;
	*ms = (int)v;
	return 0;
}

/* The shortest of "Nm", "Ns", "Nms" for ms (what config_to_yaml() writes). */
static const char *duration_name(int ms, char buf[32])
{
	if (ms % 60000 == 0)
		snprintf(buf, 32, "%dm", ms / 60000);
	else if (ms % 1000 == 0)
		snprintf(buf, 32, "%ds", ms / 1000);
	else
		snprintf(buf, 32, "%dms", ms);
	return buf;
}

/*
 * plugins[i].args: a mapping of names to scalar values, stored as
 * "name=value" in file order. A name is a non-empty string without '='.
 */
static int parse_plugin_args(struct argv_array *out, size_t i, const struct ynode *m,
                             const char *path, char **cause)
{
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (m->kind != YN_MAPPING) {
		config_fail_at(cause, path, m->mark,
		               "plugins[%zu].args: expected a mapping of names to values, got %s",
		               i, ynode_describe(&d, m));
		goto out;
	}
	for (size_t k = 0; k + 1 < m->items.n; k += 2) {
		const struct ynode *key = m->items.v[k], *v = m->items.v[k + 1];

		if (key->kind != YN_SCALAR) {
			config_fail_at(cause, path, key->mark, "keys must be strings, got %s",
			               ynode_describe(&d, key));
			goto out;
		}
		if (!ynode_is_string(key) || !key->len || strchr(key->value, '=')) {
			config_fail_at(
			    cause, path, key->mark,
			    "plugins[%zu].args: a name must be a non-empty string without '=', "
			    "got %s",
			    i, ynode_describe(&d, key));
			goto out;
		}
		for (size_t p = 0; p < k; p += 2) {
			if (!strcmp(m->items.v[p]->value, key->value)) {
				config_fail_at(
				    cause, path, key->mark,
				    "duplicate key \"%s\" in plugins[%zu].args (first at line %zu)",
				    key->value, i, m->items.v[p]->mark.line + 1);
				goto out;
			}
		}
		if (!ynode_is_string(v)) {
			config_fail_at(
			    cause, path, v->mark,
			    "plugins[%zu].args.%s: expected a string, number or boolean, got %s", i,
			    key->value, ynode_describe(&d, v));
			goto out;
		}
	}
	argv_clear(out);
	for (size_t k = 0; k + 1 < m->items.n; k += 2)
		argv_pushf(out, "%s=%s", m->items.v[k]->value, m->items.v[k + 1]->value);
	ret = 0;
out:
	strbuf_release(&d);
	return ret;
}

/* plugins[i].path or .exec (v, not null): an absolute path. */
static int check_plugin_file(size_t i, const char *key, const struct ynode *v, const char *path,
                             char **cause)
{
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (!ynode_is_string(v) || !v->len)
		config_fail_at(cause, path, v->mark,
		               "plugins[%zu].%s: expected a non-empty string, got %s", i, key,
		               ynode_describe(&d, v));
	else if (v->value[0] != '/')
		config_fail_at(cause, path, v->mark,
		               "plugins[%zu].%s: must be an absolute path, got %s", i, key,
		               ynode_describe(&d, v));
	else
		ret = 0;
	strbuf_release(&d);
	return ret;
}

typedef ARRAY(struct plugin_spec) plugin_list;

/*
 * Parses plugins[i] (mapping m) into *p and the line of its name into
 * *name_line; plugins holds the entries before it and name_lines the lines
 * of their names.
 */
static int parse_plugin(struct plugin_spec *p, unsigned *name_line, size_t i, const struct ynode *m,
                        const plugin_list *plugins, const unsigned *name_lines, const char *path,
                        char **cause)
{
	const struct ynode *v[ARRAY_SIZE(plugin_keys)] = {NULL};
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	int ret = -1;

	if (m->kind != YN_MAPPING) {
		config_fail_at(
		    cause, path, m->mark,
		    "plugins[%zu]: expected a mapping (name, path or exec, sha256, args, "
		    "timeout, required), got %s",
		    i, ynode_describe(&d, m));
		goto out;
	}
	idx = xcalloc(m->items.n / 2 + 1, sizeof(*idx));
	strbuf_addf(&d, " in plugins[%zu]", i);
	if (config_check_keys(m, plugin_keys, ARRAY_SIZE(plugin_keys), sizeof(*plugin_keys), d.buf,
	                      path, idx, cause))
		goto out;
	for (size_t k = 0; k + 1 < m->items.n; k += 2)
		if (!ynode_is_null(m->items.v[k + 1]))
			v[idx[k / 2]] = m->items.v[k + 1];

	if (!v[PK_NAME]) {
		config_fail_at(cause, path, m->mark, "plugins[%zu]: missing key \"name\"", i);
		goto out;
	}
	if (!ynode_is_string(v[PK_NAME]) || !is_plugin_name(v[PK_NAME]->value)) {
		config_fail_at(
		    cause, path, v[PK_NAME]->mark,
		    "plugins[%zu].name: expected 1 to %d letters, digits, '_', '.' and '-' "
		    "(not . or ..), got %s",
		    i, PLUGIN_NAME_MAX, ynode_describe(&d, v[PK_NAME]));
		goto out;
	}
	for (size_t k = 0; k < plugins->n; k++) {
		if (!strcmp(plugins->v[k].name, v[PK_NAME]->value)) {
			config_fail_at(
			    cause, path, v[PK_NAME]->mark,
			    "plugins[%zu].name: duplicate name \"%s\" (first at line %u)", i,
			    v[PK_NAME]->value, name_lines[k]);
			goto out;
		}
	}

	if (v[PK_PATH] && check_plugin_file(i, "path", v[PK_PATH], path, cause))
		goto out;
	if (v[PK_EXEC] && check_plugin_file(i, "exec", v[PK_EXEC], path, cause))
		goto out;
	if (v[PK_PATH] && v[PK_EXEC]) {
		const struct ynode *later =
		    v[PK_PATH]->mark.index > v[PK_EXEC]->mark.index ? v[PK_PATH] : v[PK_EXEC];
		config_fail_at(
		    cause, path, later->mark,
		    "plugins[%zu]: path and exec are both set (a plugin is a shared object or "
		    "a program, not both)",
		    i);
		goto out;
	}
	if (!v[PK_PATH] && !v[PK_EXEC]) {
		config_fail_at(cause, path, m->mark,
		               "plugins[%zu]: needs path (a C plugin) or exec (a program)", i);
		goto out;
	}

	if (v[PK_SHA256]) {
		const struct ynode *h = v[PK_SHA256];
		if (!ynode_is_string(h) || h->len != 64 ||
		    strspn(h->value, "0123456789abcdefABCDEF") != 64) {
			config_fail_at(
			    cause, path, h->mark,
			    "plugins[%zu].sha256: expected 64 hexadecimal digits, got %s", i,
			    ynode_describe(&d, h));
			goto out;
		}
	}
	p->timeout_ms = PLUGIN_TIMEOUT_DEFAULT_MS;
	if (v[PK_TIMEOUT] && (!ynode_is_string(v[PK_TIMEOUT]) ||
	                      parse_duration_ms(v[PK_TIMEOUT]->value, &p->timeout_ms))) {
		config_fail_at(
		    cause, path, v[PK_TIMEOUT]->mark,
		    "plugins[%zu].timeout: expected a duration in 1ms..10m (500ms, 2s, 1m, or a "
		    "number of milliseconds), got %s",
		    i, ynode_describe(&d, v[PK_TIMEOUT]));
		goto out;
	}
	p->required = 0;
	if (v[PK_REQUIRED] && ynode_parse_bool(v[PK_REQUIRED], &p->required)) {
		config_fail_at(cause, path, v[PK_REQUIRED]->mark,
		               "plugins[%zu].required: expected a boolean, got %s", i,
		               ynode_describe(&d, v[PK_REQUIRED]));
		goto out;
	}
	if (v[PK_ARGS] && parse_plugin_args(&p->args, i, v[PK_ARGS], path, cause))
		goto out;

	p->name = xstrdup(v[PK_NAME]->value);
	p->path = v[PK_PATH] ? xstrdup(v[PK_PATH]->value) : NULL;
	p->exec = v[PK_EXEC] ? xstrdup(v[PK_EXEC]->value) : NULL;
	if (v[PK_SHA256]) {
		p->sha256 = xstrdup(v[PK_SHA256]->value);
		for (char *c = p->sha256; *c; c++)
			if (*c >= 'A' && *c <= 'F')
				*c = (char)(*c - 'A' + 'a');
	}
	p->where = xasprintf("%s:%zu:%zu", path, m->mark.line + 1, m->mark.column + 1);
	*name_line = (unsigned)v[PK_NAME]->mark.line + 1;
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	return ret;
}

/* plugins: a list of plugins; it replaces the plugins c had. */
static int parse_plugins(struct golive_config *c, const struct ynode *n, const char *path,
                         char **cause)
{
	plugin_list plugins = ARRAY_INIT;
	ARRAY(unsigned) name_lines = ARRAY_INIT;
	struct strbuf d = STRBUF_INIT;
	int ret = -1;

	if (n->kind != YN_SEQUENCE) {
		config_fail_at(cause, path, n->mark, "plugins: expected a list of plugins, got %s",
		               ynode_describe(&d, n));
		goto out;
	}
	for (size_t i = 0; i < n->items.n; i++) {
		struct plugin_spec p = {0};
		unsigned line;

		if (parse_plugin(&p, &line, i, n->items.v[i], &plugins, name_lines.v, path,
		                 cause)) {
			config_plugin_spec_release(&p);
			goto out;
		}
		ARRAY_PUSH(plugins, p);
		ARRAY_PUSH(name_lines, line);
	}
	for (size_t i = 0; i < c->plugins.n; i++)
		config_plugin_spec_release(&c->plugins.v[i]);
	ARRAY_FREE(c->plugins);
	c->plugins.v = plugins.v;
	c->plugins.n = plugins.n;
	c->plugins.alloc = plugins.alloc;
	plugins.v = NULL;
	plugins.n = plugins.alloc = 0;
	ret = 0;
out:
	for (size_t i = 0; i < plugins.n; i++)
		config_plugin_spec_release(&plugins.v[i]);
	ARRAY_FREE(plugins);
	ARRAY_FREE(name_lines);
	strbuf_release(&d);
	return ret;
}

/* plugins: a list of mappings; path or exec (the one set), args as a mapping. */
static void emit_plugins(struct emit *em, const struct golive_config *c)
{
	yaml_event_t ev;
	char num[32];

	config_emit_event(em,
	                  yaml_sequence_start_event_initialize(
	                      &ev, NULL, NULL, 1,
	                      c->plugins.n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE),
	                  &ev);
	for (size_t i = 0; i < c->plugins.n && !em->failed; i++) {
		const struct plugin_spec *p = &c->plugins.v[i];
		const char *file_key = p->path ? "path" : "exec";
		const char *file = p->path ? p->path : p->exec;

		config_emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
		config_emit_scalar(em, "name", 0);
		config_emit_what(em, "[%zu].name", i);
		config_emit_scalar(em, p->name ? p->name : "null", p->name != NULL);
		config_emit_scalar(em, file_key, 0);
		config_emit_what(em, "[%zu].%s", i, file_key);
		config_emit_scalar(em, file ? file : "null", file != NULL);
		config_emit_scalar(em, "sha256", 0);
		config_emit_what(em, "[%zu].sha256", i);
		config_emit_scalar(em, p->sha256 ? p->sha256 : "null", p->sha256 != NULL);
		config_emit_scalar(em, "args", 0);
		config_emit_mapping_start(em, p->args.argc ? YAML_BLOCK_MAPPING_STYLE
		                                           : YAML_FLOW_MAPPING_STYLE);
		for (size_t k = 0; k < p->args.argc && !em->failed; k++) {
			const char *a = p->args.argv[k], *eq = strchr(a, '=');
			char *key = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);

			config_emit_what(em, "[%zu].args.%s", i, key);
			config_emit_scalar(em, key, 1);
			config_emit_scalar(em, eq ? eq + 1 : "", 1);
			free(key);
		}
		config_emit_mapping_end(em);
		config_emit_scalar(em, "timeout", 0);
		config_emit_scalar(em, duration_name(p->timeout_ms, num), 0);
		config_emit_scalar(em, "required", 0);
		config_emit_scalar(em, p->required ? "true" : "false", 0);
		config_emit_mapping_end(em);
	}
	config_emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
}

/* plugins: one object per plugin, args as an object of strings. */
static json_t *plugins_to_json(const struct golive_config *c)
{
	json_t *arr = json_array();
	char num[32];

	for (size_t i = 0; i < c->plugins.n; i++) {
		const struct plugin_spec *p = &c->plugins.v[i];
		json_t *o = json_object(), *args = json_object();

		json_object_set_new(o, "name", config_json_string_or_null(p->name));
		json_object_set_new(o, "path", config_json_string_or_null(p->path));
		json_object_set_new(o, "exec", config_json_string_or_null(p->exec));
		json_object_set_new(o, "sha256", config_json_string_or_null(p->sha256));
		for (size_t k = 0; k < p->args.argc; k++) {
			const char *a = p->args.argv[k], *eq = strchr(a, '=');
			char *name = eq ? xstrndup(a, (size_t)(eq - a)) : xstrdup(a);
			json_t *key = json_string_lossy(name); /* a valid UTF-8 key */

			json_object_set_new(args, json_string_value(key),
			                    json_string_lossy(eq ? eq + 1 : ""));
			json_decref(key);
			free(name);
		}
		json_object_set_new(o, "args", args);
		json_object_set_new(o, "timeout", json_string(duration_name(p->timeout_ms, num)));
		json_object_set_new(o, "required", json_boolean(p->required));
		json_array_append_new(arr, o);
	}
	return arr;
}

/* profiles.prod_marker and profiles.trusted_dirs: an absolute path. */
static int check_absolute(const char *s, char **why)
{
	char *q;

	if (s[0] == '/')
		return 0;
	q = config_quoted(s);
	*why = xasprintf("must be an absolute path, got %s", q);
	free(q);
	return -1;
}

static const struct key_spec profiles_keys[] = {
    {"prod_marker", KEY_STRING, FIELD(profiles.prod_marker), 0, 0, check_absolute},
    {"trusted_dirs", KEY_STRING_LIST, FIELD(profiles.trusted_dirs), 0, 0, check_absolute},
};

const struct section_spec config_section_plugins = {
    "plugins", NULL, 0, parse_plugins, emit_plugins, plugins_to_json, NULL};
const struct section_spec config_section_profiles = {
    "profiles", profiles_keys, ARRAY_SIZE(profiles_keys), NULL, NULL, NULL, NULL};
