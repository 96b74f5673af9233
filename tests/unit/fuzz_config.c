/*
 * fuzz_config.c - libFuzzer entry point for config_parse().
 *
 * clang -g -O1 -fsanitize=fuzzer,address,undefined -Isrc tests/unit/fuzz_config.c \
 *     src/core/config*.c src/core/pathmatch.c src/core/util.c -lyaml -ljansson -o /tmp/fuzz_config
 * /tmp/fuzz_config -max_total_time=60
 *
 * Whatever parses must also survive the way back: config_to_yaml() output
 * parses again to the same configuration, and config_to_json() works. The
 * rules it holds must compile or fail with a one-line cause, and compiled,
 * run over a small Go file without trouble.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "analysis/analyze.h"
#include "core/config.h"

static int same_argv(const struct argv_array *a, const struct argv_array *b)
{
	if (a->argc != b->argc)
		return 0;
	for (size_t i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], b->argv[i]))
			return 0;
	return 1;
}

/* The effective setting of analyzer a: enabled * 8 + severity + 1. */
static int effective(const struct analysis_settings *s, const struct analyzer *a)
{
	enum severity sev;
	int on = analysis_effective(s, a, &sev);
	return on * 8 + (int)sev + 1;
}

static int same_str(const char *a, const char *b)
{
	return !a == !b && (!a || !strcmp(a, b));
}

static int same_analysis(const struct analysis_settings *a, const struct analysis_settings *b)
{
	if (a->fail_on != b->fail_on || a->include_generated != b->include_generated ||
	    a->include_deps != b->include_deps || a->rules.n != b->rules.n)
		return 0;
	for (const struct analyzer *const *an = builtin_analyzers; *an; an++)
		if (effective(a, *an) != effective(b, *an))
			return 0;
	for (size_t i = 0; i < a->rules.n; i++) {
		const struct rule_spec *x = &a->rules.v[i], *y = &b->rules.v[i];
		if (strcmp(x->id, y->id) || strcmp(x->query, y->query) ||
		    strcmp(x->message, y->message) || x->severity != y->severity ||
		    x->handler_scope != y->handler_scope || x->off != y->off ||
		    !same_str(x->fix, y->fix) || (x->fix && x->fix_unsafe != y->fix_unsafe) ||
		    !same_argv(&x->include, &y->include) || !same_argv(&x->exclude, &y->exclude) ||
		    !same_argv(&x->valid, &y->valid) || !same_argv(&x->invalid, &y->invalid))
			return 0;
	}
	return 1;
}

static int same_plugins(const plugin_spec_array *a, const plugin_spec_array *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const struct plugin_spec *x = &a->v[i], *y = &b->v[i];
		if (strcmp(x->name, y->name) || !same_str(x->path, y->path) ||
		    !same_str(x->exec, y->exec) || !same_str(x->sha256, y->sha256) ||
		    !same_argv(&x->args, &y->args) || x->timeout_ms != y->timeout_ms ||
		    x->required != y->required)
			return 0;
	}
	return 1;
}

static int same(const struct golive_config *a, const struct golive_config *b)
{
	return same_argv(&a->build.packages, &b->build.packages) &&
	       same_argv(&a->build.flags, &b->build.flags) &&
	       same_str(a->build.output, b->build.output) && a->build.keep == b->build.keep &&
	       a->build.top == b->build.top && same_str(a->run.package, b->run.package) &&
	       same_argv(&a->run.args, &b->run.args) && same_argv(&a->run.listen, &b->run.listen) &&
	       same_argv(&a->run.env, &b->run.env) && same_str(a->run.proxy, b->run.proxy) &&
	       same_str(a->run.to, b->run.to) && a->run.stop_signal == b->run.stop_signal &&
	       a->run.grace_ms == b->run.grace_ms &&
	       same_argv(&a->watch.include, &b->watch.include) &&
	       same_argv(&a->watch.exclude, &b->watch.exclude) &&
	       a->watch.debounce_ms == b->watch.debounce_ms &&
	       a->watch.gitignore == b->watch.gitignore &&
	       same_analysis(&a->analysis, &b->analysis) &&
	       same_plugins(&a->plugins, &b->plugins) &&
	       same_str(a->profiles.prod_marker, b->profiles.prod_marker) &&
	       same_argv(&a->profiles.trusted_dirs, &b->profiles.trusted_dirs);
}

/* What the rules of a configuration run over: handlers, nesting, a syntax error. */
static const char GO_SOURCE[] =
    "// Package p is what fuzzed rules run over.\n"
    "package p\n\n"
    "import (\n\t\"log\"\n\tnethttp \"net/http\"\n\t\"os\"\n)\n\n"
    "type S struct{ a, b int }\n\n"
    "func (s *S) ServeHTTP(w nethttp.ResponseWriter, r *nethttp.Request) {\n"
    "\tgo func() { panic(\"x\") }()\n"
    "\tx, y := 1, \"a very long string that goes on and on, past the eighty bytes a message "
    "quotes\"\n"
    "\tx = x\n\t_ = y\n"
    "\t/* a comment\n\t   of two lines */\n"
    "\tlog.Fatal(\"é\")\n"
    "}\n\n"
    "func f[T any](v T) { os.Exit(1); goto end\nend:\n}\n\n"
    "func broken() {\n\t[ log.Fatal(\"e\") ]\n\n\tx := )\n}\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct golive_config c, back;
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;

	config_init(&c);
	config_init(&back);
	if (config_parse(&c, "fuzz.yaml", (const char *)data, size, &cause)) {
		if (!cause)
			abort();
		goto out;
	}
	json_decref(config_to_json(&c));
	if (config_to_yaml(&c, &out, &cause))
		abort(); /* whatever was parsed is valid UTF-8 */
	if (config_parse(&back, "out.yaml", out.buf, out.len, &cause) || !same(&c, &back))
		abort();
	{
		/* the rules compile, or fail with one line; compiled, they run over GO_SOURCE */
		struct analysis_ctx *ctx = analysis_ctx_new(&c.analysis, &cause);
		diag_array diags = ARRAY_INIT;
		if (!ctx) {
			if (!cause || strchr(cause, '\n'))
				abort();
			goto out;
		}
		analysis_run_source(ctx, "x.go", GO_SOURCE, sizeof(GO_SOURCE) - 1, &diags);
		for (size_t i = 0; i < diags.n; i++)
			if (strchr(diags.v[i].message, '\n'))
				abort();
		diag_array_release(&diags);
		analysis_ctx_free(ctx);
	}
out:
	free(cause);
	strbuf_release(&out);
	config_release(&c);
	config_release(&back);
	return 0;
}
