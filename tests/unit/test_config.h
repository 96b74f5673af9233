/*
 * test_config.h - what test_config.c and test_config_sections.c share:
 * parsing that must succeed or fail with one exact message, the defaults,
 * and the YAML round trip.
 */
#ifndef GOLIVE_TEST_CONFIG_H
#define GOLIVE_TEST_CONFIG_H

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/config.h"

/* Parses yaml (as "golive.yaml") into c, which the caller config_release()s; asserts success. */
static void parse_ok(struct golive_config *c, const char *yaml)
{
	char *cause = NULL;

	config_init(c);
	if (config_parse(c, "golive.yaml", yaml, strlen(yaml), &cause)) {
		print_error("unexpected error: %s\n", cause);
		fail();
	}
	assert_null(cause);
}

/* Asserts that yaml does not parse and that the cause is exactly want. */
static void expect_error_len(const char *yaml, size_t len, const char *want)
{
	struct golive_config c;
	char *cause = NULL;

	config_init(&c);
	assert_int_equal(config_parse(&c, "golive.yaml", yaml, len, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, want);
	assert_null(strchr(cause, '\n'));
	free(cause);
	config_release(&c);
}

static void expect_error(const char *yaml, const char *want)
{
	expect_error_len(yaml, strlen(yaml), want);
}

static void assert_defaults(const struct golive_config *c)
{
	assert_int_equal(c->build.packages.argc, 0);
	assert_int_equal(c->build.flags.argc, 0);
	assert_null(c->build.output);
	assert_int_equal(c->build.keep, 0);
	assert_int_equal(c->build.top, 10);
	assert_null(c->run.package);
	assert_int_equal(c->run.args.argc, 0);
	assert_int_equal(c->run.listen.argc, 0);
	assert_int_equal(c->run.env.argc, 0);
	assert_null(c->run.proxy);
	assert_null(c->run.to);
	assert_int_equal(c->run.stop_signal, SIGTERM);
	assert_int_equal(c->run.grace_ms, 5000);
	assert_int_equal(c->watch.include.argc, 0);
	assert_int_equal(c->watch.exclude.argc, 0);
	assert_int_equal(c->watch.debounce_ms, 20);
	assert_int_equal(c->watch.gitignore, 1);
	assert_int_equal(c->analysis.analyzers.n, 0);
	assert_int_equal(c->analysis.rules.n, 0);
	assert_int_equal(c->analysis.fail_on, FAIL_NEVER);
	assert_int_equal(c->analysis.include_generated, 0);
	assert_int_equal(c->analysis.include_deps, 0);
	assert_int_equal(c->plugins.n, 0);
	assert_null(c->profiles.prod_marker);
	assert_int_equal(c->profiles.trusted_dirs.argc, 0);
	assert_int_equal(c->verify.forbid_packages.set, 0);
	assert_int_equal(c->verify.forbid_packages.items.argc, 0);
	assert_int_equal(config_list_len(&c->verify.forbid_packages), 1);
	assert_string_equal(config_list_get(&c->verify.forbid_packages, 0), "net/http/pprof");
	assert_int_equal(c->verify.allow_packages.argc, 0);
	assert_int_equal(c->verify.forbid_tags.set, 0);
	assert_int_equal(config_list_len(&c->verify.forbid_tags), 1);
	assert_string_equal(config_list_get(&c->verify.forbid_tags, 0), "dev");
	assert_int_equal(c->verify.forbid_race, 1);
	assert_int_equal(c->verify.forbid_no_optimize, 1);
	assert_int_equal(c->verify.forbid_modified, 1);
	assert_int_equal(c->verify.dwarf_forbidden, 0);
	assert_int_equal(c->verify.require_trimpath, 0);
}

static const struct analyzer_setting *setting(const struct golive_config *c, const char *name)
{
	for (size_t i = 0; i < c->analysis.analyzers.n; i++)
		if (!strcmp(c->analysis.analyzers.v[i].name, name))
			return &c->analysis.analyzers.v[i];
	return NULL;
}

static void assert_same_argv(const struct argv_array *a, const struct argv_array *b)
{
	assert_int_equal(a->argc, b->argc);
	for (size_t i = 0; i < a->argc; i++)
		assert_string_equal(a->argv[i], b->argv[i]);
}

static void assert_same_config(const struct golive_config *a, const struct golive_config *b)
{
	assert_int_equal(a->build.packages.argc, b->build.packages.argc);
	for (size_t i = 0; i < a->build.packages.argc; i++)
		assert_string_equal(a->build.packages.argv[i], b->build.packages.argv[i]);
	assert_int_equal(a->build.flags.argc, b->build.flags.argc);
	for (size_t i = 0; i < a->build.flags.argc; i++)
		assert_string_equal(a->build.flags.argv[i], b->build.flags.argv[i]);
	if (a->build.output)
		assert_string_equal(a->build.output, b->build.output);
	else
		assert_null(b->build.output);
	assert_int_equal(a->build.keep, b->build.keep);
	assert_int_equal(a->build.top, b->build.top);

	if (a->run.package)
		assert_string_equal(a->run.package, b->run.package);
	else
		assert_null(b->run.package);
	assert_same_argv(&a->run.args, &b->run.args);
	assert_same_argv(&a->run.listen, &b->run.listen);
	assert_same_argv(&a->run.env, &b->run.env);
	if (a->run.proxy)
		assert_string_equal(a->run.proxy, b->run.proxy);
	else
		assert_null(b->run.proxy);
	if (a->run.to)
		assert_string_equal(a->run.to, b->run.to);
	else
		assert_null(b->run.to);
	assert_int_equal(a->run.stop_signal, b->run.stop_signal);
	assert_int_equal(a->run.grace_ms, b->run.grace_ms);
	assert_same_argv(&a->watch.include, &b->watch.include);
	assert_same_argv(&a->watch.exclude, &b->watch.exclude);
	assert_int_equal(a->watch.debounce_ms, b->watch.debounce_ms);
	assert_int_equal(a->watch.gitignore, b->watch.gitignore);

	assert_int_equal(a->analysis.fail_on, b->analysis.fail_on);
	assert_int_equal(a->analysis.include_generated, b->analysis.include_generated);
	assert_int_equal(a->analysis.include_deps, b->analysis.include_deps);
	/* the same effective analyzers: the output names every built-in one */
	for (const struct analyzer *const *an = builtin_analyzers; *an; an++) {
		const struct analyzer_setting *x = setting(a, (*an)->name);
		const struct analyzer_setting *y = setting(b, (*an)->name);
		enum severity xs, ys;
		assert_int_equal(analysis_effective(&a->analysis, *an, &xs),
		                 analysis_effective(&b->analysis, *an, &ys));
		assert_int_equal(x ? x->severity : -1, y ? y->severity : -1);
	}
	assert_int_equal(a->analysis.rules.n, b->analysis.rules.n);
	for (size_t i = 0; i < a->analysis.rules.n; i++) {
		const struct rule_spec *x = &a->analysis.rules.v[i], *y = &b->analysis.rules.v[i];
		assert_string_equal(x->id, y->id);
		assert_string_equal(x->query, y->query);
		assert_string_equal(x->message, y->message);
		assert_int_equal(x->severity, y->severity);
		assert_int_equal(x->handler_scope, y->handler_scope);
	}
	assert_int_equal(a->plugins.n, b->plugins.n);
	for (size_t i = 0; i < a->plugins.n; i++) {
		const struct plugin_spec *x = &a->plugins.v[i], *y = &b->plugins.v[i];
		assert_string_equal(x->name, y->name);
		if (x->path)
			assert_string_equal(x->path, y->path);
		else
			assert_null(y->path);
		if (x->exec)
			assert_string_equal(x->exec, y->exec);
		else
			assert_null(y->exec);
		if (x->sha256)
			assert_string_equal(x->sha256, y->sha256);
		else
			assert_null(y->sha256);
		assert_same_argv(&x->args, &y->args);
		assert_int_equal(x->timeout_ms, y->timeout_ms);
		assert_int_equal(x->required, y->required);
	}
	if (a->profiles.prod_marker)
		assert_string_equal(a->profiles.prod_marker, b->profiles.prod_marker);
	else
		assert_null(b->profiles.prod_marker);
	assert_same_argv(&a->profiles.trusted_dirs, &b->profiles.trusted_dirs);
	/* verify: the same effective lists (a list written out reads back as set) */
	assert_int_equal(config_list_len(&a->verify.forbid_packages),
	                 config_list_len(&b->verify.forbid_packages));
	for (size_t i = 0; i < config_list_len(&a->verify.forbid_packages); i++)
		assert_string_equal(config_list_get(&a->verify.forbid_packages, i),
		                    config_list_get(&b->verify.forbid_packages, i));
	assert_same_argv(&a->verify.allow_packages, &b->verify.allow_packages);
	assert_int_equal(config_list_len(&a->verify.forbid_tags),
	                 config_list_len(&b->verify.forbid_tags));
	for (size_t i = 0; i < config_list_len(&a->verify.forbid_tags); i++)
		assert_string_equal(config_list_get(&a->verify.forbid_tags, i),
		                    config_list_get(&b->verify.forbid_tags, i));
	assert_int_equal(a->verify.forbid_race, b->verify.forbid_race);
	assert_int_equal(a->verify.forbid_no_optimize, b->verify.forbid_no_optimize);
	assert_int_equal(a->verify.forbid_modified, b->verify.forbid_modified);
	assert_int_equal(a->verify.dwarf_forbidden, b->verify.dwarf_forbidden);
	assert_int_equal(a->verify.require_trimpath, b->verify.require_trimpath);
}

static void round_trip(const struct golive_config *c)
{
	struct strbuf out = STRBUF_INIT;
	struct golive_config back;
	char *cause = NULL;

	assert_int_equal(config_to_yaml(c, &out, &cause), 0);
	config_init(&back);
	if (config_parse(&back, "out.yaml", out.buf, out.len, &cause)) {
		print_error("%s\n%s\n", cause, out.buf);
		fail();
	}
	assert_same_config(c, &back);
	config_release(&back);
	strbuf_release(&out);
}

#endif
