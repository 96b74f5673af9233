/*
 * test_config.c - unit tests of config.c (cmocka): the parser core (types,
 * errors, YAML syntax), finding and loading, the YAML and JSON output;
 * test_config_sections.c has the sections.
 *
 * cc -std=c11 -Wall -Wextra -Wpedantic -Werror -fsanitize=address,undefined -Isrc \
 *    tests/unit/test_config.c src/core/config*.c src/core/pathmatch.c src/core/util.c -lyaml
 * -ljansson -lcmocka
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <jansson.h>

#include "cache/cache_config.h"
#include "core/config.h"
#include "test_config.h"

static void test_defaults(void **state)
{
	struct golive_config c;
	(void)state;

	config_init(&c);
	assert_null(c.path);
	assert_null(c.root);
	assert_defaults(&c);
	config_release(&c);
	assert_defaults(&c);
}

static void test_empty_documents(void **state)
{
	static const char *const docs[] = {
	    "",
	    "# only a comment\n\n# another\n",
	    "---\n",
	    "---\n...\n",
	    "~\n",
	    "build:\n",
	    "build: ~\n",
	    "build:\n  top:\n  keep: ~\n  output: null\n  packages:\n",
	    "analyzers:\n",
	    "rules:\n",
	    "analyzers: {}\nrules: ~\n",
	    "run:\nwatch: ~\n",
	    ("run:\n  package:\n  args: ~\n  listen:\n  env: null\n  proxy:\n  to:\n"
	     "  stop_signal:\n  grace_ms:\n"),
	    "watch: {include: ~, exclude: ~, debounce_ms: ~, gitignore: ~}\n",
	};
	(void)state;

	for (size_t i = 0; i < sizeof(docs) / sizeof(docs[0]); i++) {
		struct golive_config c;
		parse_ok(&c, docs[i]);
		assert_defaults(&c);
		config_release(&c);
	}
}

static void test_full_file(void **state)
{
	struct golive_config c;
	(void)state;

	parse_ok(&c, "# golive.yaml\n"
	             "build:\n"
	             "  packages:\n"
	             "    - ./cmd/server\n"
	             "    - ./internal/...\n"
	             "  flags: [-race, \"-ldflags=-X main.version=dev\"]\n"
	             "  output: bin/server\n"
	             "  keep: yes\n"
	             "  top: 25\n");
	assert_int_equal(c.build.packages.argc, 2);
	assert_string_equal(c.build.packages.argv[0], "./cmd/server");
	assert_string_equal(c.build.packages.argv[1], "./internal/...");
	assert_null(c.build.packages.argv[2]);
	assert_int_equal(c.build.flags.argc, 2);
	assert_string_equal(c.build.flags.argv[0], "-race");
	assert_string_equal(c.build.flags.argv[1], "-ldflags=-X main.version=dev");
	assert_string_equal(c.build.output, "bin/server");
	assert_int_equal(c.build.keep, 1);
	assert_int_equal(c.build.top, 25);
	config_release(&c);
}

static void test_string_or_list(void **state)
{
	struct golive_config c;
	(void)state;

	parse_ok(&c, "build:\n  packages: ./cmd/...\n  flags: -race -v\n");
	assert_int_equal(c.build.packages.argc, 1);
	assert_string_equal(c.build.packages.argv[0], "./cmd/...");
	/* a single string is one flag: not split on whitespace */
	assert_int_equal(c.build.flags.argc, 1);
	assert_string_equal(c.build.flags.argv[0], "-race -v");
	config_release(&c);

	parse_ok(&c, "build:\n  packages: [./cmd/...]\n  flags: []\n");
	assert_int_equal(c.build.packages.argc, 1);
	assert_string_equal(c.build.packages.argv[0], "./cmd/...");
	assert_int_equal(c.build.flags.argc, 0);
	config_release(&c);
}

static void test_parse_replaces_values(void **state)
{
	struct golive_config c;
	char *cause = NULL;
	const char *y = "build:\n  packages: [b, c]\n  output: new\n";
	(void)state;

	config_init(&c);
	argv_push(&c.build.packages, "a");
	c.build.output = xstrdup("old");
	c.build.top = 3;
	assert_int_equal(config_parse(&c, "x.yaml", y, strlen(y), &cause), 0);
	assert_int_equal(c.build.packages.argc, 2);
	assert_string_equal(c.build.packages.argv[0], "b");
	assert_string_equal(c.build.output, "new");
	assert_int_equal(c.build.top, 3);
	config_release(&c);
}

static void test_booleans(void **state)
{
	static const struct {
		const char *text;
		int want;
	} cases[] = {
	    {"true", 1}, {"false", 0}, {"yes", 1}, {"no", 0},   {"on", 1},
	    {"off", 0},  {"True", 1},  {"NO", 0},  {"'on'", 1}, {"y", 1},
	};
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct golive_config c;
		char *y = xasprintf("build:\n  keep: %s\n", cases[i].text);
		parse_ok(&c, y);
		assert_int_equal(c.build.keep, cases[i].want);
		config_release(&c);
		free(y);
	}
}

static void test_integers(void **state)
{
	struct golive_config c;
	(void)state;

	parse_ok(&c, "build:\n  top: 0\n");
	assert_int_equal(c.build.top, 0);
	config_release(&c);
	parse_ok(&c, "build:\n  top: 1000\n");
	assert_int_equal(c.build.top, 1000);
	config_release(&c);
	parse_ok(&c, "build: {top: 010}\n");
	assert_int_equal(c.build.top, 10);
	config_release(&c);

	expect_error("build:\n  top: 1001\n",
	             "golive.yaml:2:8: build.top: expected an integer in 0..1000, got \"1001\"");
	expect_error("build:\n  top: -1\n",
	             "golive.yaml:2:8: build.top: expected an integer in 0..1000, got \"-1\"");
	expect_error("build:\n  top: 99999999999999999999999\n",
	             "golive.yaml:2:8: build.top: expected an integer in 0..1000, got "
	             "\"99999999999999999999999\"");
	expect_error("build:\n  top: 0x10\n",
	             "golive.yaml:2:8: build.top: expected an integer in 0..1000, got \"0x10\"");
	expect_error("build:\n  top: 1.5\n",
	             "golive.yaml:2:8: build.top: expected an integer in 0..1000, got \"1.5\"");
}

static void test_unknown_keys(void **state)
{
	(void)state;
	expect_error(
	    "# config\nbild:\n  keep: true\n",
	    "golive.yaml:2:1: unknown key \"bild\" (known: build, run, watch, trace, analyzers, "
	    "rules, plugins, profiles, verify, cache)");
	expect_error(
	    "run:\n  signal: TERM\n",
	    "golive.yaml:2:3: unknown key \"signal\" in run (known: package, args, listen, "
	    "env, proxy, to, stop_signal, grace_ms, debug_info, fast, browser, editor_url, debug, "
	    "dlv, "
	    "programs)");
	expect_error("watch:\n  ignore: [x]\n",
	             "golive.yaml:2:3: unknown key \"ignore\" in watch (known: include, exclude, "
	             "debounce_ms, gitignore, poll)");
	expect_error("build:\n  kep: true\n", "golive.yaml:2:3: unknown key \"kep\" in build "
	                                      "(known: packages, flags, output, keep, top)");
	expect_error("build: {top: 1, \"pack\\tages\": x}\n",
	             "golive.yaml:1:17: unknown key \"pack\\tages\" in build (known: packages, "
	             "flags, output, keep, top)");
	expect_error("? [a]\n: 1\n", "golive.yaml:1:3: keys must be strings, got a sequence");
}

static void test_wrong_types(void **state)
{
	(void)state;
	expect_error("build:\n  output: x\n\n  keep:    maybe\n",
	             "golive.yaml:4:12: build.keep: expected a boolean, got \"maybe\"");
	expect_error("build:\n  keep: [true]\n",
	             "golive.yaml:2:9: build.keep: expected a boolean, got a sequence");
	expect_error("build:\n  output:\n    dir: bin\n",
	             "golive.yaml:3:5: build.output: expected a string, got a mapping");
	expect_error("build:\n  packages: {a: b}\n",
	             "golive.yaml:2:13: build.packages: expected a string or a list of strings, "
	             "got a mapping");
	expect_error("build:\n  packages:\n    - ./a\n    - [./b]\n",
	             "golive.yaml:4:7: build.packages[1]: expected a non-empty string, got a "
	             "sequence");
	expect_error("build:\n  flags: [-race, ~]\n",
	             "golive.yaml:2:18: build.flags[1]: expected a non-empty string, got null");
	expect_error("build:\n  flags: \"\"\n", "golive.yaml:2:10: build.flags: expected a "
	                                        "non-empty string or a list of strings, got \"\"");
	expect_error("build:\n  output: \"a\\0b\"\n",
	             "golive.yaml:2:11: build.output: expected a string, got \"a\\x00b\"");
	expect_error("build: true\n", "golive.yaml:1:8: build: expected a mapping, got \"true\"");
	expect_error("build:\n  - a\n",
	             "golive.yaml:2:3: build: expected a mapping, got a sequence");
	expect_error("build:\n  keep: \"a very long value that goes on and on and on and on\"\n",
	             "golive.yaml:2:9: build.keep: expected a boolean, got \"a very long value "
	             "that goes on and on an\"...");
}

static void test_top_level_not_mapping(void **state)
{
	(void)state;
	expect_error("- build\n", "golive.yaml:1:1: top level must be a mapping, got a sequence");
	expect_error("# x\nhello\n", "golive.yaml:2:1: top level must be a mapping, got \"hello\"");
}

static void test_duplicate_keys(void **state)
{
	(void)state;
	expect_error("build:\n  keep: true\n  top: 3\n  keep: false\n",
	             "golive.yaml:4:3: duplicate key \"keep\" in build (first at line 2)");
	expect_error("build: {}\nbuild: {}\n",
	             "golive.yaml:2:1: duplicate key \"build\" (first at line 1)");
	expect_error("run:\n  grace_ms: 1\n  args: []\n  grace_ms: 2\n",
	             "golive.yaml:4:3: duplicate key \"grace_ms\" in run (first at line 2)");
	expect_error("watch: {gitignore: on, gitignore: off}\n",
	             "golive.yaml:1:24: duplicate key \"gitignore\" in watch (first at line 1)");
}

static void test_syntax_errors(void **state)
{
	(void)state;
	expect_error("build:\n  keep: true\n  top: x: y\n",
	             "golive.yaml:3:9: yaml: mapping values are not allowed in this context");
	expect_error("build: [a, b\n", "golive.yaml:2:1: yaml: did not find expected ',' or ']' "
	                               "(while parsing a flow sequence at 1:8)");
	expect_error("build:\n\tkeep: true\n",
	             "golive.yaml:2:1: yaml: found character that cannot start any token (while "
	             "scanning for the next token at 2:1)");
	/* reader errors carry an offset, not a mark */
	expect_error("build:\n  output: \xff\n",
	             "golive.yaml:2:11: yaml: invalid leading UTF-8 octet (#xff)");
	expect_error_len("build:\n  output: a\0b\n", 19,
	                 "golive.yaml:2:12: yaml: control characters are not allowed (#x0)");
}

static void test_aliases_and_documents(void **state)
{
	struct golive_config c;
	(void)state;

	expect_error("build:\n  output: &o bin/x\n  packages: *o\n",
	             "golive.yaml:3:13: yaml: aliases are not supported");
	expect_error("a: &a [x, x]\nb: &b [*a, *a]\n",
	             "golive.yaml:2:8: yaml: aliases are not supported");
	expect_error("build: {}\n---\nbuild: {}\n",
	             "golive.yaml:2:1: yaml: multiple documents are not supported");
	/* an anchor alone is harmless */
	parse_ok(&c, "build:\n  output: &o bin/x\n");
	assert_string_equal(c.build.output, "bin/x");
	config_release(&c);
	/* !!str keeps a null-looking value a string */
	parse_ok(&c, "build:\n  output: !!str null\n");
	assert_string_equal(c.build.output, "null");
	config_release(&c);
}

static void test_deep_nesting(void **state)
{
	struct strbuf sb = STRBUF_INIT;
	struct golive_config c;
	char *cause = NULL;
	(void)state;

	strbuf_addstr(&sb, "build: ");
	for (int i = 0; i < 100000; i++)
		strbuf_addch(&sb, '[');
	config_init(&c);
	assert_int_equal(config_parse(&c, "golive.yaml", sb.buf, sb.len, &cause), -1);
	assert_string_equal(cause, "golive.yaml:1:71: yaml: nesting deeper than 64 levels");
	free(cause);
	config_release(&c);
	strbuf_release(&sb);
}

/* Temp dirs for the find/load tests. */

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char *p = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(p, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
	free(p);
}

static char *make_dir(const char *base, const char *sub)
{
	char *p = xasprintf("%s/%s", base, sub);

	assert_int_equal(mkdir(p, 0755), 0);
	return p;
}

static char *make_tmp(void)
{
	char tmpl[] = "/tmp/golive-test-config-XXXXXX";

	assert_non_null(mkdtemp(tmpl));
	return xstrdup(tmpl);
}

static void test_find(void **state)
{
	char *t = make_tmp(), *mod = make_dir(t, "mod"), *a = make_dir(mod, "a");
	char *b = make_dir(a, "b"), *path = NULL, *root = NULL, *cause = NULL, *want;
	(void)state;

	write_file(t, "golive.yaml", "build: {top: 1}\n"); /* above the module root */
	write_file(mod, "go.mod", "module example.com/m\n");

	/* stops at the module root: the golive.yaml above it is not found */
	assert_int_equal(config_find(b, &path, &root, &cause), 0);
	assert_null(path);
	assert_string_equal(root, mod);
	free(root);

	write_file(mod, "golive.yaml", "\n");
	assert_int_equal(config_find(b, &path, &root, &cause), 0);
	want = xasprintf("%s/golive.yaml", mod);
	assert_string_equal(path, want);
	assert_string_equal(root, mod);
	free(path), free(root), free(want);

	/* the nearest file wins; the root is still the module root */
	write_file(a, "golive.yaml", "\n");
	want = xasprintf("%s/golive.yaml", a);
	char *messy = xasprintf("%s/./b//", a);
	assert_int_equal(config_find(messy, &path, &root, &cause), 0);
	assert_string_equal(path, want);
	assert_string_equal(root, mod);
	free(path), free(root), free(want), free(messy);

	/* a golive.yaml directory is not a file */
	char *d = make_dir(b, "golive.yaml");
	assert_int_equal(config_find(b, &path, &root, &cause), 0);
	want = xasprintf("%s/golive.yaml", a);
	assert_string_equal(path, want);
	free(path), free(root), free(want), free(d);

	assert_int_equal(config_find("rel/dir", &path, &root, &cause), -1);
	assert_string_equal(cause, "rel/dir: not an absolute path");
	assert_null(path);
	assert_null(root);
	free(cause);

	rm_rf(t);
	free(t), free(mod), free(a), free(b);
}

static void test_find_without_go_mod(void **state)
{
	char *t = make_tmp(), *x = make_dir(t, "x"), *y = make_dir(x, "y");
	char *path = NULL, *root = NULL, *cause = NULL, *want;
	(void)state;

	write_file(t, "golive.yaml", "\n");
	assert_int_equal(config_find(y, &path, &root, &cause), 0);
	want = xasprintf("%s/golive.yaml", t);
	assert_string_equal(path, want);
	assert_string_equal(root, y); /* no go.mod: the starting directory */
	free(path), free(root), free(want);
	rm_rf(t);
	free(t), free(x), free(y);
}

static void test_load(void **state)
{
	char *old = getcwd(NULL, 0);
	char *t = make_tmp(), *mod = make_dir(t, "mod"), *sub = make_dir(mod, "sub");
	char *cause = NULL, *want;
	struct golive_config c;
	(void)state;

	assert_non_null(old);
	write_file(mod, "go.mod", "module example.com/m\n");
	write_file(mod, "golive.yaml", "build:\n  top: 7\n  keep: nope\n");
	write_file(sub, "other.yaml", "build:\n  top: 3\n");

	/* found below the cwd: named relative to it */
	assert_int_equal(chdir(mod), 0);
	config_init(&c);
	assert_int_equal(config_load(&c, NULL, &cause), -1);
	assert_string_equal(cause, "golive.yaml:3:9: build.keep: expected a boolean, got \"nope\"");
	free(cause);
	config_release(&c);

	/* found above the cwd: named by its absolute path */
	assert_int_equal(chdir(sub), 0);
	config_init(&c);
	assert_int_equal(config_load(&c, NULL, &cause), -1);
	want = xasprintf("%s/golive.yaml:3:9: build.keep: expected a boolean, got \"nope\"", mod);
	assert_string_equal(cause, want);
	free(cause), free(want);
	config_release(&c);

	/* explicit file, relative to the cwd */
	config_init(&c);
	assert_int_equal(config_load(&c, "./other.yaml", &cause), 0);
	assert_int_equal(c.build.top, 3);
	want = xasprintf("%s/other.yaml", sub);
	assert_string_equal(c.path, want);
	assert_string_equal(c.root, mod);
	free(want);
	config_release(&c);

	/* a missing explicit file is an error */
	config_init(&c);
	assert_int_equal(config_load(&c, "missing.yaml", &cause), -1);
	assert_string_equal(cause, "missing.yaml: No such file or directory");
	free(cause);
	config_release(&c);

	/* nothing found: defaults, root set */
	want = xasprintf("%s/golive.yaml", mod);
	assert_int_equal(remove(want), 0);
	free(want);
	config_init(&c);
	assert_int_equal(config_load(&c, NULL, &cause), 0);
	assert_null(c.path);
	assert_string_equal(c.root, mod);
	assert_defaults(&c);
	config_release(&c);

	/* more than CONFIG_MAX_SIZE bytes */
	{
		struct strbuf big = STRBUF_INIT;
		while (big.len <= CONFIG_MAX_SIZE)
			strbuf_addstr(&big, "# padding padding padding padding padding padding\n");
		write_file(sub, "big.yaml", big.buf);
		strbuf_release(&big);
	}
	config_init(&c);
	assert_int_equal(config_load(&c, "big.yaml", &cause), -1);
	assert_string_equal(cause, "big.yaml: larger than 1048576 bytes");
	free(cause);
	config_release(&c);

	assert_int_equal(chdir(old), 0);
	rm_rf(t);
	free(old), free(t), free(mod), free(sub);
}

static void test_yaml_round_trip(void **state)
{
	static const char *const odd[] = {
	    "true", "null",  "~",      "10",    "-1", "yes", "Off",  "a: b",     "#c", "- x",
	    "x #y", "é ünï", "x\ny\n", " lead", "'q", "\"d", "[x]",  "{a}",      "*a", "&b",
	    "!t",   "%p",    "@",      "`",     ".5", "1e3", "0x1f", "-race -v", "?",  "|",
	};
	struct golive_config c;
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;
	(void)state;

	config_init(&c);
	round_trip(&c); /* defaults */
	assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
	assert_string_equal(out.buf, "# defaults (no golive.yaml found)\n"
	                             "build:\n"
	                             "  packages: []\n"
	                             "  flags: []\n"
	                             "  output: null\n"
	                             "  keep: false\n"
	                             "  top: 10\n"
	                             "run:\n"
	                             "  package: null\n"
	                             "  args: []\n"
	                             "  listen: []\n"
	                             "  env: []\n"
	                             "  proxy: null\n"
	                             "  to: null\n"
	                             "  stop_signal: SIGTERM\n"
	                             "  grace_ms: 5000\n"
	                             "  debug_info: false\n"
	                             "  fast: true\n"
	                             "  browser: false\n"
	                             "  editor_url: null\n"
	                             "  debug: null\n"
	                             "  dlv: null\n"
	                             "  programs: []\n"
	                             "watch:\n"
	                             "  include: []\n"
	                             "  exclude: []\n"
	                             "  debounce_ms: 20\n"
	                             "  gitignore: true\n"
	                             "  poll: null\n"
	                             "trace:\n"
	                             "  log_format: null\n"
	                             "  trace_out: null\n"
	                             "  chrome_trace: null\n"
	                             "  report: null\n"
	                             "analyzers:\n"
	                             "  fail_on: never\n"
	                             "  include_generated: false\n"
	                             "  include_deps: false\n"
	                             "  httpctx: on\n"
	                             "  logtrace: on\n"
	                             "  unusedignore: off\n"
	                             "rules: []\n"
	                             "plugins: []\n"
	                             "profiles:\n"
	                             "  prod_marker: null\n"
	                             "  trusted_dirs: []\n"
	                             "verify:\n"
	                             "  forbid_packages:\n"
	                             "  - net/http/pprof\n"
	                             "  allow_packages: []\n"
	                             "  forbid_tags:\n"
	                             "  - dev\n"
	                             "  forbid_race: true\n"
	                             "  forbid_no_optimize: true\n"
	                             "  forbid_modified: true\n"
	                             "  dwarf: allowed\n"
	                             "  require_trimpath: false\n"
	                             "cache:\n"
	                             "  backend: null\n"
	                             "  mode: null\n"
	                             "  timeout: null\n"
	                             "  max_object: null\n"
	                             "  ttl: null\n"
	                             "  prefix: null\n");
	strbuf_release(&out);

	c.path = xstrdup("/m/golive.yaml");
	argv_push(&c.build.packages, "./cmd/...");
	argv_push(&c.build.flags, "-ldflags=-X main.version=1.2 -s");
	c.build.output = xstrdup("bin/server");
	c.build.keep = 1;
	c.build.top = 1000;
	config_release(&c);
	parse_ok(&c, "build:\n"
	             "  packages: ./cmd/...\n"
	             "  flags: \"-ldflags=-X main.version=1.2 -s\"\n"
	             "  output: bin/server\n"
	             "  keep: true\n"
	             "  top: 1000\n"
	             "analyzers:\n"
	             "  fail_on: error\n"
	             "  include_deps: on\n"
	             "  httpctx: off\n"
	             "  logtrace: {severity: error}\n"
	             "rules:\n"
	             "  - id: no-panic\n"
	             "    query: |\n"
	             "      (call_expression\n"
	             "        function: (identifier) @fn (#eq? @fn \"panic\")) @call\n"
	             "    message: 'panic in a handler ({{fn}})'\n"
	             "    scope: handler\n"
	             "  - {id: b, query: (x) @y, message: \"true\", severity: info}\n");
	c.path = xstrdup("/m/golive.yaml");
	assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
	assert_string_equal(out.buf,
	                    "# from /m/golive.yaml\n"
	                    "build:\n"
	                    "  packages:\n"
	                    "  - ./cmd/...\n"
	                    "  flags:\n"
	                    "  - -ldflags=-X main.version=1.2 -s\n"
	                    "  output: bin/server\n"
	                    "  keep: true\n"
	                    "  top: 1000\n"
	                    "run:\n"
	                    "  package: null\n"
	                    "  args: []\n"
	                    "  listen: []\n"
	                    "  env: []\n"
	                    "  proxy: null\n"
	                    "  to: null\n"
	                    "  stop_signal: SIGTERM\n"
	                    "  grace_ms: 5000\n"
	                    "  debug_info: false\n"
	                    "  fast: true\n"
	                    "  browser: false\n"
	                    "  editor_url: null\n"
	                    "  debug: null\n"
	                    "  dlv: null\n"
	                    "  programs: []\n"
	                    "watch:\n"
	                    "  include: []\n"
	                    "  exclude: []\n"
	                    "  debounce_ms: 20\n"
	                    "  gitignore: true\n"
	                    "  poll: null\n"
	                    "trace:\n"
	                    "  log_format: null\n"
	                    "  trace_out: null\n"
	                    "  chrome_trace: null\n"
	                    "  report: null\n"
	                    "analyzers:\n"
	                    "  fail_on: error\n"
	                    "  include_generated: false\n"
	                    "  include_deps: true\n"
	                    "  httpctx: off\n"
	                    "  logtrace:\n"
	                    "    enabled: true\n"
	                    "    severity: error\n"
	                    "  unusedignore: off\n"
	                    "rules:\n"
	                    "- id: no-panic\n"
	                    "  query: |\n"
	                    "    (call_expression\n"
	                    "      function: (identifier) @fn (#eq? @fn \"panic\")) @call\n"
	                    "  message: panic in a handler ({{fn}})\n"
	                    "  severity: warning\n"
	                    "  scope: handler\n"
	                    "- id: b\n"
	                    "  query: (x) @y\n"
	                    "  message: \"true\"\n"
	                    "  severity: info\n"
	                    "  scope: file\n"
	                    "plugins: []\n"
	                    "profiles:\n"
	                    "  prod_marker: null\n"
	                    "  trusted_dirs: []\n"
	                    "verify:\n"
	                    "  forbid_packages:\n"
	                    "  - net/http/pprof\n"
	                    "  allow_packages: []\n"
	                    "  forbid_tags:\n"
	                    "  - dev\n"
	                    "  forbid_race: true\n"
	                    "  forbid_no_optimize: true\n"
	                    "  forbid_modified: true\n"
	                    "  dwarf: allowed\n"
	                    "  require_trimpath: false\n"
	                    "cache:\n"
	                    "  backend: null\n"
	                    "  mode: null\n"
	                    "  timeout: null\n"
	                    "  max_object: null\n"
	                    "  ttl: null\n"
	                    "  prefix: null\n");
	strbuf_release(&out);
	round_trip(&c);

	for (size_t i = 0; i < sizeof(odd) / sizeof(odd[0]); i++) {
		argv_push(&c.build.packages, odd[i]);
		argv_push(&c.build.flags, odd[i]);
		argv_push(&c.run.args, odd[i]);
		argv_pushf(&c.run.env, "A=%s", odd[i]);
		argv_push(&c.watch.include, odd[i]);
		argv_push(&c.watch.exclude, odd[i]);
		free(c.run.package);
		c.run.package = xstrdup(odd[i]);
		free(c.build.output);
		c.build.output = xstrdup(odd[i]);
		if (odd[i][0]) {
			free(c.analysis.rules.v[0].query);
			c.analysis.rules.v[0].query = xstrdup(odd[i]);
		}
		if (odd[i][0] && !strchr(odd[i], '\n')) {
			free(c.analysis.rules.v[1].message);
			c.analysis.rules.v[1].message = xstrdup(odd[i]);
		}
		round_trip(&c);
	}
	free(c.build.output);
	c.build.output = xstrdup("");
	round_trip(&c);
	argv_push(&c.run.args, "");
	round_trip(&c);
	/* queries of several lines: a literal block when libyaml can, quoted otherwise */
	{
		static const char *const multi[] = {
		    "(a)\n(b)\n", "  (a)\n(b)", "(a)\n\n\n",  "(a) \n(b)",       "\n\n(a)",
		    "\t(a)\n(b)", "(a)\r\n(b)", "(a)\n  (b)", "é\n\xe2\x80\xa8", "- (a)\n#b",
		};
		for (size_t i = 0; i < sizeof(multi) / sizeof(multi[0]); i++) {
			free(c.analysis.rules.v[0].query);
			c.analysis.rules.v[0].query = xstrdup(multi[i]);
			round_trip(&c);
		}
	}
	config_release(&c);
}

static void test_yaml_round_trip_run_watch(void **state)
{
	struct golive_config c;
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;
	(void)state;

	parse_ok(&c, "run:\n"
	             "  package: ./cmd/server\n"
	             "  args: [-addr, \"\", \"true\", \"8080\"]\n"
	             "  listen: [\":8080\", \"api=[::1]:9090\"]\n"
	             "  env: [GOLIVE_DEV=1, EMPTY=, \"Y=yes\"]\n"
	             "  stop_signal: int\n"
	             "  grace_ms: 250\n"
	             "watch:\n"
	             "  include: [\"*.html\", \"web/**\"]\n"
	             "  exclude: \"[!a-z]*.tmp\"\n"
	             "  debounce_ms: 0\n"
	             "  gitignore: off\n");
	assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
	assert_non_null(strstr(out.buf, "run:\n"
	                                "  package: ./cmd/server\n"
	                                "  args:\n"
	                                "  - -addr\n"
	                                "  - \"\"\n"
	                                "  - \"true\"\n"
	                                "  - \"8080\"\n"
	                                "  listen:\n"
	                                "  - :8080\n"
	                                "  - api=[::1]:9090\n"
	                                "  env:\n"
	                                "  - GOLIVE_DEV=1\n"
	                                "  - EMPTY=\n"
	                                "  - Y=yes\n"
	                                "  proxy: null\n"
	                                "  to: null\n"
	                                "  stop_signal: SIGINT\n"
	                                "  grace_ms: 250\n"
	                                "  debug_info: false\n"
	                                "  fast: true\n"
	                                "  browser: false\n"
	                                "  editor_url: null\n"
	                                "  debug: null\n"
	                                "  dlv: null\n"
	                                "  programs: []\n"
	                                "watch:\n"
	                                "  include:\n"
	                                "  - '*.html'\n"
	                                "  - web/**\n"
	                                "  exclude:\n"
	                                "  - '[!a-z]*.tmp'\n"
	                                "  debounce_ms: 0\n"
	                                "  gitignore: false\n"
	                                "  poll: null\n"
	                                "trace:\n"
	                                "  log_format: null\n"
	                                "  trace_out: null\n"
	                                "  chrome_trace: null\n"
	                                "  report: null\n"
	                                "analyzers:\n"));
	strbuf_release(&out);
	round_trip(&c);

	/* proxy and to, without listen */
	argv_clear(&c.run.listen);
	c.run.proxy = xstrdup(":8080");
	c.run.to = xstrdup("127.0.0.1:18080");
	assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
	assert_non_null(strstr(out.buf, "  listen: []\n"
	                                "  env:\n"
	                                "  - GOLIVE_DEV=1\n"
	                                "  - EMPTY=\n"
	                                "  - Y=yes\n"
	                                "  proxy: :8080\n"
	                                "  to: \"127.0.0.1:18080\"\n"));
	strbuf_release(&out);
	round_trip(&c);

	/* every signal reads back as itself; the common ones by name */
	for (int sig = 1; sig <= 64; sig++) {
		c.run.stop_signal = sig;
		round_trip(&c);
	}
	{
		static const struct {
			int sig;
			const char *line;
		} names[] = {
		    {SIGHUP, "  stop_signal: SIGHUP\n"},   {SIGINT, "  stop_signal: SIGINT\n"},
		    {SIGQUIT, "  stop_signal: SIGQUIT\n"}, {SIGKILL, "  stop_signal: SIGKILL\n"},
		    {SIGUSR1, "  stop_signal: SIGUSR1\n"}, {SIGUSR2, "  stop_signal: SIGUSR2\n"},
		    {SIGTERM, "  stop_signal: SIGTERM\n"}, {SIGWINCH, "  stop_signal: 28\n"},
		    {32, "  stop_signal: 32\n"},
		};
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			c.run.stop_signal = names[i].sig;
			assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
			assert_non_null(strstr(out.buf, names[i].line));
			strbuf_release(&out);
		}
		c.run.stop_signal = SIGRTMIN;
		assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
		assert_non_null(strstr(out.buf, "  stop_signal: SIGRTMIN\n"));
		strbuf_release(&out);
		c.run.stop_signal = SIGRTMIN + 3;
		assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
		assert_non_null(strstr(out.buf, "  stop_signal: SIGRTMIN+3\n"));
		strbuf_release(&out);
	}
	config_release(&c);
}

static void test_yaml_invalid_utf8(void **state)
{
	struct golive_config c;
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;
	(void)state;

	config_init(&c);
	c.build.output = xstrdup("bin/\xff");
	assert_int_equal(config_to_yaml(&c, &out, &cause), -1);
	assert_non_null(strstr(cause, "build.output"));
	assert_int_equal(out.len, 0);
	free(cause);
	config_release(&c);
}

/* run.programs: several programs, each with run's keys; the errors name the entry. */
static void test_run_programs(void **state)
{
	struct golive_config c, back;
	struct strbuf out = STRBUF_INIT;
	char *cause = NULL;
	(void)state;

	parse_ok(&c, "run:\n"
	             "  grace_ms: 700\n"
	             "  programs:\n"
	             "    - name: api\n"
	             "      package: ./cmd/api\n"
	             "      listen: \"127.0.0.1:8080\"\n"
	             "      env: [MODE=api]\n"
	             "      args: [-v, \"\"]\n"
	             "    - package: ./cmd/worker\n"
	             "      proxy: \":9090\"\n"
	             "      to: \"127.0.0.1:9091\"\n"
	             "      stop_signal: INT\n"
	             "      grace_ms: 100\n");
	assert_int_equal(c.run.nprograms, 2);
	assert_string_equal(c.run.programs[0].name, "api");
	assert_string_equal(c.run.programs[0].package, "./cmd/api");
	assert_int_equal(c.run.programs[0].listen.argc, 1);
	assert_string_equal(c.run.programs[0].env.argv[0], "MODE=api");
	assert_int_equal(c.run.programs[0].args.argc, 2);
	assert_int_equal(c.run.programs[0].stop_signal, 0);
	assert_int_equal(c.run.programs[0].grace_ms, -1);
	assert_null(c.run.programs[1].name);
	assert_string_equal(c.run.programs[1].proxy, ":9090");
	assert_int_equal(c.run.programs[1].stop_signal, 2);
	assert_int_equal(c.run.programs[1].grace_ms, 100);
	/* golive config's YAML reads back the same */
	assert_int_equal(config_to_yaml(&c, &out, &cause), 0);
	assert_non_null(strstr(out.buf, "  programs:\n  - name: api\n    package: ./cmd/api\n"));
	parse_ok(&back, out.buf);
	assert_int_equal(back.run.nprograms, 2);
	assert_string_equal(back.run.programs[1].to, "127.0.0.1:9091");
	assert_int_equal(back.run.programs[0].grace_ms, 700);
	config_release(&back);
	json_t *j = config_to_json(&c);
	json_t *a = json_object_get(json_object_get(j, "run"), "programs");
	assert_int_equal(json_array_size(a), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(a, 1), "stop_signal")),
	                    "SIGINT");
	json_decref(j);
	strbuf_release(&out);
	config_release(&c);

	expect_error("run:\n  programs:\n    - name: api\n",
	             "golive.yaml:3:7: run.programs[0]: needs package, the main package to run");
	expect_error("run:\n  programs: ./cmd/api\n",
	             "golive.yaml:2:13: run.programs: expected a list of {name, package, ...}, "
	             "got \"./cmd/api\"");
	expect_error("run:\n  programs:\n    - {package: ./a, port: 1}\n",
	             "golive.yaml:3:22: unknown key \"port\" in run.programs[0] (known: name, "
	             "package, args, env, listen, proxy, to, stop_signal, grace_ms)");
	expect_error("run:\n  programs:\n    - {package: ./a, listen: \"x\"}\n",
	             "golive.yaml:3:30: run.programs[0].listen: expected [NAME=]ADDR with ADDR as "
	             "HOST:PORT, :PORT or [IPV6]:PORT, got \"x\": no port");
	expect_error("run:\n  programs:\n    - {package: ./a, name: a}\n    - {package: ./b, "
	             "name: a}\n",
	             "golive.yaml:4:7: run.programs[1].name: \"a\" is taken by run.programs[0]");
	expect_error("run:\n  programs:\n    - {package: ./a, name: \"a b\"}\n",
	             "golive.yaml:3:28: run.programs[0].name: expected a name of letters, digits, "
	             "'_', '.' and '-' (at most 64), got \"a b\"");
	expect_error("run:\n  package: ./x\n  programs:\n    - {package: ./a}\n",
	             "golive.yaml:2:3: run.package: does not go together with run.programs (give "
	             "each program its own package)");
	expect_error("run:\n  programs:\n    - {package: ./a, proxy: \":1\"}\n",
	             "golive.yaml:3:22: run.proxy: needs run.to, the address the program listens "
	             "on");
}

static void test_json(void **state)
{
	struct golive_config c;
	json_t *j, *b;
	(void)state;

	config_init(&c);
	j = config_to_json(&c);
	assert_true(json_is_null(json_object_get(j, "path")));
	b = json_object_get(j, "build");
	assert_true(json_is_object(b));
	assert_int_equal(json_array_size(json_object_get(b, "packages")), 0);
	assert_true(json_is_null(json_object_get(b, "output")));
	assert_true(json_is_false(json_object_get(b, "keep")));
	assert_int_equal(json_integer_value(json_object_get(b, "top")), 10);
	b = json_object_get(j, "run");
	assert_int_equal(json_object_size(b), 15);
	assert_int_equal(json_array_size(json_object_get(b, "programs")), 0);
	assert_true(json_is_false(json_object_get(b, "debug_info")));
	assert_true(json_is_true(json_object_get(b, "fast")));
	assert_true(json_is_null(json_object_get(b, "package")));
	assert_int_equal(json_array_size(json_object_get(b, "args")), 0);
	assert_int_equal(json_array_size(json_object_get(b, "listen")), 0);
	assert_int_equal(json_array_size(json_object_get(b, "env")), 0);
	assert_true(json_is_null(json_object_get(b, "proxy")));
	assert_true(json_is_null(json_object_get(b, "to")));
	assert_string_equal(json_string_value(json_object_get(b, "stop_signal")), "SIGTERM");
	assert_int_equal(json_integer_value(json_object_get(b, "grace_ms")), 5000);
	b = json_object_get(j, "watch");
	assert_int_equal(json_object_size(b), 5);
	assert_true(json_is_null(json_object_get(b, "poll")));
	assert_int_equal(json_array_size(json_object_get(b, "include")), 0);
	assert_int_equal(json_array_size(json_object_get(b, "exclude")), 0);
	assert_int_equal(json_integer_value(json_object_get(b, "debounce_ms")), 20);
	assert_true(json_is_true(json_object_get(b, "gitignore")));
	json_decref(j);

	parse_ok(&c,
	         "run:\n  package: ./cmd/x\n  args: [-v, \"\"]\n  listen: [api=:1]\n"
	         "  env: [A=b]\n  stop_signal: 10\n  grace_ms: 0\n"
	         "watch: {include: '*.go', exclude: [a/, b/], debounce_ms: 5, gitignore: no}\n");
	j = config_to_json(&c);
	b = json_object_get(j, "run");
	assert_string_equal(json_string_value(json_object_get(b, "package")), "./cmd/x");
	assert_int_equal(json_array_size(json_object_get(b, "args")), 2);
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "args"), 1)), "");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "listen"), 0)),
	                    "api=:1");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "env"), 0)), "A=b");
	assert_true(json_is_null(json_object_get(b, "proxy")));
	assert_true(json_is_null(json_object_get(b, "to")));
	assert_string_equal(json_string_value(json_object_get(b, "stop_signal")), "SIGUSR1");
	assert_int_equal(json_integer_value(json_object_get(b, "grace_ms")), 0);
	b = json_object_get(j, "watch");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "include"), 0)),
	                    "*.go");
	assert_int_equal(json_array_size(json_object_get(b, "exclude")), 2);
	assert_int_equal(json_integer_value(json_object_get(b, "debounce_ms")), 5);
	assert_true(json_is_false(json_object_get(b, "gitignore")));
	json_decref(j);
	config_release(&c);
	parse_ok(&c, "run: {proxy: \":2\", to: \":3\"}\n");
	j = config_to_json(&c);
	b = json_object_get(j, "run");
	assert_string_equal(json_string_value(json_object_get(b, "proxy")), ":2");
	assert_string_equal(json_string_value(json_object_get(b, "to")), ":3");
	json_decref(j);
	config_release(&c);
	/* run.debug (golive dev --debug's ADDR) and run.dlv */
	parse_ok(&c, "run: {debug: \"127.0.0.1:2345\", dlv: /opt/dlv}\n");
	j = config_to_json(&c);
	b = json_object_get(j, "run");
	assert_string_equal(json_string_value(json_object_get(b, "debug")), "127.0.0.1:2345");
	assert_string_equal(json_string_value(json_object_get(b, "dlv")), "/opt/dlv");
	json_decref(j);
	config_release(&c);
	/* a signal without a name is its number, as a string */
	config_init(&c);
	c.run.stop_signal = 7;
	j = config_to_json(&c);
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(j, "run"), "stop_signal")), "7");
	json_decref(j);

	parse_ok(&c, "build:\n  packages: [./a, ./b]\n  flags: -race\n  output: out\n"
	             "  keep: on\n  top: 3\n");
	c.path = xstrdup("/m/golive.yaml");
	c.root = xstrdup("/m");
	argv_push(&c.build.flags, "bad\xc3(");
	j = config_to_json(&c);
	assert_string_equal(json_string_value(json_object_get(j, "path")), "/m/golive.yaml");
	assert_string_equal(json_string_value(json_object_get(j, "root")), "/m");
	b = json_object_get(j, "build");
	assert_int_equal(json_object_size(b), 5);
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "packages"), 1)),
	                    "./b");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "flags"), 0)),
	                    "-race");
	assert_string_equal(json_string_value(json_array_get(json_object_get(b, "flags"), 1)),
	                    "bad\xef\xbf\xbd(");
	assert_string_equal(json_string_value(json_object_get(b, "output")), "out");
	assert_true(json_is_true(json_object_get(b, "keep")));
	assert_int_equal(json_integer_value(json_object_get(b, "top")), 3);
	json_decref(j);
	config_release(&c);

	parse_ok(&c, "analyzers: {fail_on: warning, httpctx: off, logtrace: {severity: info}}\n"
	             "rules: [{id: r, query: (x) @y, message: m, scope: handler}]\n");
	j = config_to_json(&c);
	b = json_object_get(j, "analyzers");
	assert_string_equal(json_string_value(json_object_get(b, "fail_on")), "warning");
	assert_true(json_is_false(json_object_get(b, "include_generated")));
	assert_true(json_is_false(json_object_get(b, "include_deps")));
	assert_true(json_is_false(json_object_get(json_object_get(b, "httpctx"), "enabled")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(b, "httpctx"), "severity")),
	    severity_name(analyzer_find("httpctx")->severity));
	assert_true(json_is_true(json_object_get(json_object_get(b, "logtrace"), "enabled")));
	assert_string_equal(
	    json_string_value(json_object_get(json_object_get(b, "logtrace"), "severity")), "info");
	b = json_array_get(json_object_get(j, "rules"), 0);
	assert_string_equal(json_string_value(json_object_get(b, "id")), "r");
	assert_string_equal(json_string_value(json_object_get(b, "query")), "(x) @y");
	assert_string_equal(json_string_value(json_object_get(b, "message")), "m");
	assert_string_equal(json_string_value(json_object_get(b, "severity")), "warning");
	assert_string_equal(json_string_value(json_object_get(b, "scope")), "handler");
	json_decref(j);
	config_release(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_empty_documents),
	    cmocka_unit_test(test_full_file),
	    cmocka_unit_test(test_string_or_list),
	    cmocka_unit_test(test_parse_replaces_values),
	    cmocka_unit_test(test_booleans),
	    cmocka_unit_test(test_integers),
	    cmocka_unit_test(test_unknown_keys),
	    cmocka_unit_test(test_wrong_types),
	    cmocka_unit_test(test_top_level_not_mapping),
	    cmocka_unit_test(test_duplicate_keys),
	    cmocka_unit_test(test_syntax_errors),
	    cmocka_unit_test(test_aliases_and_documents),
	    cmocka_unit_test(test_deep_nesting),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_find_without_go_mod),
	    cmocka_unit_test(test_load),
	    cmocka_unit_test(test_yaml_round_trip),
	    cmocka_unit_test(test_yaml_round_trip_run_watch),
	    cmocka_unit_test(test_yaml_invalid_utf8),
	    cmocka_unit_test(test_run_programs),
	    cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
