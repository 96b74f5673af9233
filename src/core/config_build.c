/*
 * config_build.c - golive.yaml's build:, run: and watch: sections (config_section.h):
 * go build's packages and flags, how golive dev runs the program (listen
 * sockets, proxy, environment, stop signal) and what it watches.
 */
#define _GNU_SOURCE
#include "core/config_section.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/pathmatch.h"

/*
 * What is wrong with TCP address a (HOST:PORT, :PORT, [IPV6]:PORT), or
 * NULL. Only the shape: listen_parse() resolves it when golive dev starts.
 */
static const char *addr_problem(const char *a)
{
	const char *colon = strrchr(a, ':');

	if (!colon)
		return "no port";
	if (!colon[1])
		return "empty port";
	if (config_parse_decimal(colon + 1, 65535) < 0)
		return "the port is not a number in 0..65535";
	if (a[0] == '[') {
		if (colon - a < 2 || colon[-1] != ']')
			return "no ']' before the port";
		if (colon - a == 2)
			return "empty IPv6 address";
		if (memchr(a + 1, '[', (size_t)(colon - a - 1)) ||
		    memchr(a, ']', (size_t)(colon - a - 1)))
			return "stray bracket";
	} else if (memchr(a, ':', (size_t)(colon - a))) {
		return "an IPv6 address needs brackets: [::1]:8080";
	} else if (memchr(a, '[', (size_t)(colon - a)) || memchr(a, ']', (size_t)(colon - a))) {
		return "stray bracket";
	}
	return NULL;
}

#define ADDR_FORMS "HOST:PORT, :PORT or [IPV6]:PORT"

/* run.proxy and run.to: an address. */
static int check_addr(const char *s, char **why)
{
	const char *problem = addr_problem(s);
	char *q;

	if (!problem)
		return 0;
	q = config_quoted(s);
	*why = xasprintf("expected an address (" ADDR_FORMS "), got %s: %s", q, problem);
	free(q);
	return -1;
}

/* run.to: an address with a port to connect to (not 0, which only binding can take). */
static int check_to(const char *s, char **why)
{
	if (check_addr(s, why) < 0)
		return -1;
	const char *colon = strrchr(s, ':');
	if (config_parse_decimal(colon + 1, 65535) == 0) {
		char *q = config_quoted(s);
		*why = xasprintf("expected the address the program listens on, got %s: port 0 "
		                 "is for binding, not connecting",
		                 q);
		free(q);
		return -1;
	}
	return 0;
}

int config_check_addr(const char *s, char **why)
{
	return check_addr(s, why);
}
int config_check_to(const char *s, char **why)
{
	return check_to(s, why);
}

/* The longest socket name (systemd's limit for LISTEN_FDNAMES entries). */
#define MAX_LISTEN_NAME 255

/* run.listen: [NAME=]ADDR, NAME of [A-Za-z0-9_.-] (a name of LISTEN_FDNAMES). */
static int check_listen(const char *s, char **why)
{
	const char *eq = strchr(s, '='), *addr = eq ? eq + 1 : s;
	const char *problem = addr_problem(addr);
	char *q = config_quoted(s);

	if (eq == s) {
		*why = xasprintf("empty name before '=' in %s", q);
	} else if (eq && eq - s > MAX_LISTEN_NAME) {
		*why = xasprintf("the name before '=' is longer than %d bytes in %s",
		                 MAX_LISTEN_NAME, q);
	} else if (eq && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	                           "0123456789_.-") < (size_t)(eq - s)) {
		*why = xasprintf("the name before '=' may hold only letters, digits, '_', '.' and "
		                 "'-', got %s",
		                 q);
	} else if (problem) {
		*why = xasprintf("expected [NAME=]ADDR with ADDR as " ADDR_FORMS ", got %s: %s", q,
		                 problem);
	} else {
		free(q);
		return 0;
	}
	free(q);
	return -1;
}

int config_check_listen(const char *s, char **why)
{
	return check_listen(s, why);
}

/* Variables golive dev sets for the program itself. */
static const char *const reserved_env[] = {"LISTEN_FDS", "LISTEN_PID", "LISTEN_FDNAMES",
                                           "NOTIFY_SOCKET"};

/* run.env: NAME=value, NAME as [A-Za-z_][A-Za-z0-9_]* and not one golive dev sets. */
static int check_env(const char *s, char **why)
{
	static const char word[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_";
	const char *eq = strchr(s, '=');
	size_t n = eq ? (size_t)(eq - s) : 0;
	char *q = config_quoted(s);

	if (!eq || !n) {
		*why = xasprintf("expected NAME=value, got %s", q);
	} else if ((s[0] >= '0' && s[0] <= '9') || strspn(s, word) < n) {
		*why = xasprintf("the name before '=' may hold only letters, digits and '_', not "
		                 "starting with a digit, got %s",
		                 q);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(reserved_env); i++) {
			if (strlen(reserved_env[i]) == n && !memcmp(s, reserved_env[i], n)) {
				*why = xasprintf("%s is set by golive dev itself", reserved_env[i]);
				goto fail;
			}
		}
		free(q);
		return 0;
	}
fail:
	free(q);
	return -1;
}

/*
 * run: proxy and to go together, and not with listen (golive dev refuses
 * both ways at once). The error is at the key that is set (or at the
 * other, when only that one is in m).
 */
static int check_run(const struct golive_config *c, const struct ynode *m, const char *path,
                     char **cause)
{
	const struct ynode *proxy = ynode_key(m, "proxy"), *to = ynode_key(m, "to");
	const struct ynode *listen = ynode_key(m, "listen"), *at;

	if (!c->run.proxy != !c->run.to) {
		at = c->run.proxy ? (proxy ? proxy : to) : (to ? to : proxy);
		return config_fail_at(
		    cause, path, (at ? at : m)->mark, "%s",
		    c->run.proxy ? "run.proxy: needs run.to, the address the program listens on"
		                 : "run.to: needs run.proxy, the address golive accepts on");
	}
	if (c->run.proxy && c->run.listen.argc) {
		at = proxy ? proxy : to ? to : listen;
		return config_fail_at(
		    cause, path, (at ? at : m)->mark,
		    "run.proxy: does not go together with run.listen (listen is for "
		    "programs that take the socket, proxy for those that open their own)");
	}
	return 0;
}

static const struct key_spec build_keys[] = {
    {"packages", KEY_STRING_LIST, FIELD(build.packages), 0, 0, NULL},
    {"flags", KEY_STRING_LIST, FIELD(build.flags), 0, 0, NULL},
    {"output", KEY_STRING, FIELD(build.output), 0, 0, NULL},
    {"keep", KEY_BOOL, FIELD(build.keep), 0, 0, NULL},
    {"top", KEY_INT, FIELD(build.top), 0, 1000, NULL},
};

static const struct key_spec run_keys[] = {
    {"package", KEY_STRING, FIELD(run.package), 0, 0, config_check_nonempty},
    {"args", KEY_ARGV, FIELD(run.args), 0, 0, NULL},
    {"listen", KEY_STRING_LIST, FIELD(run.listen), 0, 0, check_listen},
    {"env", KEY_STRING_LIST, FIELD(run.env), 0, 0, check_env},
    {"proxy", KEY_STRING, FIELD(run.proxy), 0, 0, check_addr},
    {"to", KEY_STRING, FIELD(run.to), 0, 0, check_to},
    {"stop_signal", KEY_SIGNAL, FIELD(run.stop_signal), 0, 0, NULL},
    {"grace_ms", KEY_INT, FIELD(run.grace_ms), 0, 600000, NULL},
    {"debug_info", KEY_BOOL, FIELD(run.debug_info), 0, 0, NULL},
    {"fast", KEY_BOOL, FIELD(run.fast), 0, 0, NULL},
    {"browser", KEY_BOOL, FIELD(run.browser), 0, 0, NULL},
    {"editor_url", KEY_STRING, FIELD(run.editor_url), 0, 0, config_check_nonempty},
    {"debug", KEY_STRING, FIELD(run.debug), 0, 0, check_addr},
    {"dlv", KEY_STRING, FIELD(run.dlv), 0, 0, config_check_nonempty},
};

long config_parse_poll(const char *s)
{
	if (!s || strcmp(s, "auto") == 0)
		return -1;
	if (strcmp(s, "off") == 0)
		return 0;
	char *end;
	if (*s < '0' || *s > '9')
		return -2;
	double v = strtod(s, &end);
	if (strcmp(end, "s") == 0)
		v *= 1000;
	else if (strcmp(end, "ms") != 0)
		return -2;
	if (v < 10 || v > 10000)
		return -2;
	return (long)v;
}

static int check_poll(const char *s, char **why)
{
	if (config_parse_poll(s) >= -1)
		return 0;
	*why = xasprintf("want \"auto\", \"off\" or an interval of 10ms to 10s (e.g. 250ms), "
	                 "got \"%s\"",
	                 s);
	return -1;
}

static const struct key_spec watch_keys[] = {
    {"include", KEY_INCLUDE, FIELD(watch.include), 0, 0, glob_check},
    {"exclude", KEY_STRING_LIST, FIELD(watch.exclude), 0, 0, glob_check},
    {"debounce_ms", KEY_INT, FIELD(watch.debounce_ms), 0, 10000, NULL},
    {"gitignore", KEY_BOOL, FIELD(watch.gitignore), 0, 0, NULL},
    {"poll", KEY_STRING, FIELD(watch.poll), 0, 0, check_poll},
};

const struct section_spec config_section_build = {
    "build", build_keys, ARRAY_SIZE(build_keys), NULL, NULL, NULL, NULL};
/* ---- run.programs ------------------------------------------------------ */

void config_program_release(struct config_program *p)
{
	free(p->name);
	free(p->package);
	argv_clear(&p->args);
	argv_clear(&p->listen);
	argv_clear(&p->env);
	free(p->proxy);
	free(p->to);
	memset(p, 0, sizeof(*p));
}

/* The keys of a run.programs entry: name, then run's keys of the same names. */
static const char *const program_keys[] = {"name",  "package", "args",        "env",     "listen",
                                           "proxy", "to",      "stop_signal", "grace_ms"};

static const struct key_spec *run_key(const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(run_keys); i++)
		if (!strcmp(run_keys[i].name, name))
			return &run_keys[i];
	return NULL;
}

static int valid_program_name(const char *s)
{
	return *s && strlen(s) <= 64 &&
	       strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-") ==
	           strlen(s);
}

/*
 * One entry of run.programs (mapping it, the i-th) into *out: its keys are
 * stored in a scratch configuration by run's own key table, so they get
 * exactly run's checks, then moved.
 */
static int parse_program(const struct ynode *it, size_t i, const char *path,
                         struct config_program *out, char **cause)
{
	struct golive_config tmp;
	struct strbuf d = STRBUF_INIT;
	char where[64], section[48];
	size_t *idx = NULL;
	const struct ynode *namen = NULL;
	int ret = -1;

	config_init(&tmp);
	tmp.run.stop_signal = 0;
	tmp.run.grace_ms = -1;
	if (it->kind != YN_MAPPING) {
		config_fail_at(cause, path, it->mark,
		               "run.programs[%zu]: expected a mapping (name, package, args, env, "
		               "listen, proxy, to, stop_signal, grace_ms), got %s",
		               i, ynode_describe(&d, it));
		goto out;
	}
	snprintf(where, sizeof(where), " in run.programs[%zu]", i);
	snprintf(section, sizeof(section), "run.programs[%zu]", i);
	idx = xcalloc(it->items.n / 2 + 1, sizeof(*idx));
	if (config_check_keys(it, program_keys, ARRAY_SIZE(program_keys), sizeof(program_keys[0]),
	                      where, path, idx, cause))
		goto out;
	for (size_t j = 0; j + 1 < it->items.n; j += 2) {
		const struct ynode *v = it->items.v[j + 1];
		if (idx[j / 2] == 0) {
			if (ynode_is_null(v))
				continue;
			if (!ynode_is_string(v) || !valid_program_name(v->value)) {
				config_fail_at(cause, path, v->mark,
				               "%s.name: expected a name of letters, digits, '_', "
				               "'.' and '-' (at most 64), got %s",
				               section, ynode_describe(&d, v));
				goto out;
			}
			namen = v;
			continue;
		}
		if (config_set_key(&tmp, section, run_key(program_keys[idx[j / 2]]), v, path,
		                   cause))
			goto out;
	}
	if (!tmp.run.package) {
		config_fail_at(cause, path, it->mark, "%s: needs package, the main package to run",
		               section);
		goto out;
	}
	if (check_run(&tmp, it, path, cause))
		goto out;
	memset(out, 0, sizeof(*out));
	out->name = namen ? xstrdup(namen->value) : NULL;
	out->package = tmp.run.package;
	out->args = tmp.run.args;
	out->listen = tmp.run.listen;
	out->env = tmp.run.env;
	out->proxy = tmp.run.proxy;
	out->to = tmp.run.to;
	out->stop_signal = tmp.run.stop_signal;
	out->grace_ms = tmp.run.grace_ms;
	tmp.run.package = tmp.run.proxy = tmp.run.to = NULL;
	memset(&tmp.run.args, 0, sizeof(tmp.run.args));
	memset(&tmp.run.listen, 0, sizeof(tmp.run.listen));
	memset(&tmp.run.env, 0, sizeof(tmp.run.env));
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	config_release(&tmp);
	return ret;
}

/* run.programs: a list of entries, names unique. */
static int parse_programs(struct golive_config *c, const struct ynode *n, const char *path,
                          char **cause)
{
	struct strbuf d = STRBUF_INIT;
	struct config_program *v = NULL;
	size_t nv = 0;
	int ret = -1;

	if (n->kind != YN_SEQUENCE) {
		config_fail_at(cause, path, n->mark,
		               "run.programs: expected a list of {name, package, ...}, got %s",
		               ynode_describe(&d, n));
		goto out;
	}
	v = xcalloc(n->items.n + 1, sizeof(*v));
	for (size_t i = 0; i < n->items.n; i++) {
		if (parse_program(n->items.v[i], i, path, &v[nv], cause))
			goto out;
		nv++;
		for (size_t k = 0; k + 1 < nv && v[i].name; k++)
			if (v[k].name && !strcmp(v[k].name, v[i].name)) {
				config_fail_at(cause, path, n->items.v[i]->mark,
				               "run.programs[%zu].name: \"%s\" is taken by "
				               "run.programs[%zu]",
				               i, v[i].name, k);
				goto out;
			}
	}
	for (size_t i = 0; i < c->run.nprograms; i++)
		config_program_release(&c->run.programs[i]);
	free(c->run.programs);
	c->run.programs = v;
	c->run.nprograms = nv;
	v = NULL;
	nv = 0;
	ret = 0;
out:
	for (size_t i = 0; i < nv; i++)
		config_program_release(&v[i]);
	free(v);
	strbuf_release(&d);
	return ret;
}

/* run: the fixed keys by run_keys, and programs: (a list of mappings). */
static int parse_run(struct golive_config *c, const struct ynode *m, const char *path, char **cause)
{
	const char *names[ARRAY_SIZE(run_keys) + 1];
	struct strbuf d = STRBUF_INIT;
	size_t *idx = NULL;
	const struct ynode *programs = NULL;
	int ret = -1;

	if (m->kind != YN_MAPPING) {
		config_fail_at(cause, path, m->mark, "run: expected a mapping, got %s",
		               ynode_describe(&d, m));
		goto out;
	}
	for (size_t i = 0; i < ARRAY_SIZE(run_keys); i++)
		names[i] = run_keys[i].name;
	names[ARRAY_SIZE(run_keys)] = "programs";
	idx = xcalloc(m->items.n / 2 + 1, sizeof(*idx));
	if (config_check_keys(m, names, ARRAY_SIZE(names), sizeof(names[0]), " in run", path, idx,
	                      cause))
		goto out;
	for (size_t i = 0; i + 1 < m->items.n; i += 2) {
		if (idx[i / 2] == ARRAY_SIZE(run_keys)) {
			programs = m->items.v[i];
			if (!ynode_is_null(m->items.v[i + 1]) &&
			    parse_programs(c, m->items.v[i + 1], path, cause))
				goto out;
			continue;
		}
		if (config_set_key(c, "run", &run_keys[idx[i / 2]], m->items.v[i + 1], path, cause))
			goto out;
	}
	if (check_run(c, m, path, cause))
		goto out;
	if (c->run.nprograms) {
		static const char *const single[] = {"package", "args",  "listen",
		                                     "env",     "proxy", "to"};
		int set[ARRAY_SIZE(single)] = {c->run.package != NULL, c->run.args.argc > 0,
		                               c->run.listen.argc > 0, c->run.env.argc > 0,
		                               c->run.proxy != NULL,   c->run.to != NULL};
		for (size_t i = 0; i < ARRAY_SIZE(single); i++) {
			const struct ynode *k = ynode_key(m, single[i]);
			if (set[i]) {
				k = k ? k : m;
				config_fail_at(
				    cause, path, k->mark,
				    "run.%s: does not go together with run.programs (give "
				    "each program its own %s)",
				    single[i], single[i]);
				goto out;
			}
		}
		if (c->run.browser) {
			config_fail_at(cause, path, (programs ? programs : m)->mark,
			               "run.browser: not supported with run.programs (one program "
			               "at a time)");
			goto out;
		}
	}
	ret = 0;
out:
	free(idx);
	strbuf_release(&d);
	return ret;
}

static void emit_program_key(struct emit *em, const char *name, const void *field)
{
	const struct key_spec *k = run_key(name);
	config_emit_key(em, k, field);
}

static void emit_run(struct emit *em, const struct golive_config *c)
{
	yaml_event_t ev;
	config_emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
	for (size_t j = 0; j < ARRAY_SIZE(run_keys) && !em->failed; j++)
		config_emit_key(em, &run_keys[j], (const char *)c + run_keys[j].offset);
	config_emit_scalar(em, "programs", 0);
	config_emit_event(em,
	                  yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
	                                                       c->run.nprograms
	                                                           ? YAML_BLOCK_SEQUENCE_STYLE
	                                                           : YAML_FLOW_SEQUENCE_STYLE),
	                  &ev);
	for (size_t i = 0; i < c->run.nprograms && !em->failed; i++) {
		const struct config_program *p = &c->run.programs[i];
		char num[32];
		config_emit_what(em, "programs[%zu]", i);
		config_emit_mapping_start(em, YAML_BLOCK_MAPPING_STYLE);
		config_emit_scalar(em, "name", 0);
		config_emit_scalar(em, p->name ? p->name : "null", p->name != NULL);
		emit_program_key(em, "package", &p->package);
		emit_program_key(em, "args", &p->args);
		emit_program_key(em, "env", &p->env);
		emit_program_key(em, "listen", &p->listen);
		emit_program_key(em, "proxy", &p->proxy);
		emit_program_key(em, "to", &p->to);
		int sig = p->stop_signal ? p->stop_signal : c->run.stop_signal;
		emit_program_key(em, "stop_signal", &sig);
		snprintf(num, sizeof(num), "%d", p->grace_ms >= 0 ? p->grace_ms : c->run.grace_ms);
		config_emit_scalar(em, "grace_ms", 0);
		config_emit_scalar(em, num, 0);
		config_emit_mapping_end(em);
	}
	config_emit_event(em, yaml_sequence_end_event_initialize(&ev), &ev);
	config_emit_mapping_end(em);
}

static json_t *run_to_json(const struct golive_config *c)
{
	json_t *o = config_keys_to_json(run_keys, ARRAY_SIZE(run_keys), c), *a = json_array();
	for (size_t i = 0; i < c->run.nprograms; i++) {
		const struct config_program *p = &c->run.programs[i];
		struct golive_config tmp;
		memset(&tmp, 0, sizeof(tmp));
		tmp.run.package = p->package;
		tmp.run.args = p->args;
		tmp.run.env = p->env;
		tmp.run.listen = p->listen;
		tmp.run.proxy = p->proxy;
		tmp.run.to = p->to;
		tmp.run.stop_signal = p->stop_signal ? p->stop_signal : c->run.stop_signal;
		tmp.run.grace_ms = p->grace_ms >= 0 ? p->grace_ms : c->run.grace_ms;
		json_t *e = json_object();
		json_object_set_new(e, "name", config_json_string_or_null(p->name));
		for (size_t k = 1; k < ARRAY_SIZE(program_keys); k++) {
			const struct key_spec *ks = run_key(program_keys[k]);
			json_t *one = config_keys_to_json(ks, 1, &tmp);
			json_object_update(e, one);
			json_decref(one);
		}
		json_array_append_new(a, e);
	}
	json_object_set_new(o, "programs", a);
	return o;
}

const struct section_spec config_section_run = {
    "run", run_keys, ARRAY_SIZE(run_keys), parse_run, emit_run, run_to_json, NULL};
const struct section_spec config_section_watch = {
    "watch", watch_keys, ARRAY_SIZE(watch_keys), NULL, NULL, NULL, NULL};
