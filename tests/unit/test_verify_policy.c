/*
 * test_verify_policy.c - src/verify/verify_policy.c on binaries built by hand (no
 * files): every rule of the policy with its exact one-line message, the
 * defaults (and that golive.yaml's defaults are the same), allow_packages and
 * package patterns, the -gcflags and -tags variants, devpprof's marker,
 * stripped binaries (names from .gopclntab), the exported-symbol rule, the
 * --against diff and the first differing section.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/config.h"
#include "verify/verify_policy.h"

/* A binary under construction: sections over data, symbols, settings, deps. */
struct fake {
	struct binfile b;
	struct buildinfo bi;
	struct strbuf data;
};

static void fake_init(struct fake *f)
{
	memset(f, 0, sizeof(*f));
	strbuf_init(&f->data, 0);
	strbuf_add(&f->data,
	           "\x7f"
	           "ELF",
	           4);
	for (int i = 0; i < 60; i++)
		strbuf_addch(&f->data, 0);
	f->b.format = BINFILE_ELF;
	f->b.is64 = 1;
	snprintf(f->b.arch, sizeof(f->b.arch), "amd64");
	f->bi.go_version = (char *)"go1.19.8";
	f->bi.inline_format = 1;
	f->bi.path = (char *)"example.com/app";
	f->bi.main.path = (char *)"example.com/app";
	f->bi.main.version = (char *)"(devel)";
	f->bi.main.sum = (char *)"";
}

/* Appends a section holding bytes (n of them) to the file. */
static void add_section(struct fake *f, const char *name, const void *bytes, size_t n)
{
	struct bin_section s;

	memset(&s, 0, sizeof(s));
	s.name = (char *)name;
	s.offset = f->data.len;
	s.size = n;
	s.mem_size = n;
	s.in_file = 1;
	strbuf_add(&f->data, bytes, n);
	ARRAY_PUSH(f->b.sections, s);
	if (starts_with(name, ".debug_") || starts_with(name, ".zdebug_"))
		f->b.has_dwarf = 1;
}

static void add_sym(struct fake *f, const char *name, char kind, uint64_t size)
{
	struct bin_symbol s;

	memset(&s, 0, sizeof(s));
	s.name = (char *)name;
	s.kind = kind;
	s.size = size;
	s.global = 1;
	ARRAY_PUSH(f->b.symbols, s);
	f->b.has_symtab = 1;
}

static void set(struct fake *f, const char *key, const char *value)
{
	struct bi_setting s = {(char *)key, (char *)value};

	ARRAY_PUSH(f->bi.settings, s);
}

static void add_dep(struct fake *f, const char *path, const char *version,
                    struct bi_module *replace)
{
	struct bi_module m = {(char *)path, (char *)version, (char *)"h1:x=", replace};

	ARRAY_PUSH(f->bi.deps, m);
}

/* Points the binfile at the data (after the last add_section). */
static void fake_done(struct fake *f)
{
	f->b.data = (const uint8_t *)f->data.buf;
	f->b.len = f->data.len;
}

static void fake_release(struct fake *f)
{
	ARRAY_FREE(f->b.sections);
	ARRAY_FREE(f->b.symbols);
	ARRAY_FREE(f->bi.settings);
	ARRAY_FREE(f->bi.deps);
	strbuf_release(&f->data);
}

/* A clean Go binary: runtime, net/http and main symbols, the usual settings. */
static void fake_go(struct fake *f)
{
	fake_init(f);
	add_section(f, ".text", "\x90\x90\x90\x90", 4);
	add_sym(f, "runtime.main", 'T', 100);
	add_sym(f, "net/http.(*Server).Serve", 'T', 1843);
	add_sym(f, "net/http.ErrServerClosed", 'B', 16);
	add_sym(f, "main.main", 'T', 699);
	set(f, "-compiler", "gc");
	set(f, "CGO_ENABLED", "1");
	set(f, "GOARCH", "amd64");
	set(f, "GOOS", "linux");
}

/* Checks f against p and asserts the messages are exactly want (NULL-terminated). */
static void expect(struct fake *f, const struct verify_policy *p, const char *const *want)
{
	verify_violations v = ARRAY_INIT;
	size_t n = 0;

	fake_done(f);
	while (want[n])
		n++;
	size_t got = verify_check(&f->b, &f->bi, p, &v);
	for (size_t i = 0; i < v.n && i < n; i++)
		assert_string_equal(v.v[i].message, want[i]);
	if (got != n || v.n != n) {
		for (size_t i = 0; i < v.n; i++)
			print_error("got: %s\n", v.v[i].message);
		fail_msg("want %zu violations, got %zu", n, v.n);
	}
	for (size_t i = 0; i < v.n; i++)
		assert_null(strchr(v.v[i].message, '\n'));
	verify_violations_release(&v);
}

/* The rule of the only violation of f under p. */
static const char *only_rule(struct fake *f, const struct verify_policy *p)
{
	verify_violations v = ARRAY_INIT;
	const char *r;

	fake_done(f);
	assert_int_equal(verify_check(&f->b, &f->bi, p, &v), 1);
	r = v.v[0].rule;
	verify_violations_release(&v);
	return r;
}

static const char *const none[] = {NULL};

static void test_defaults(void **state)
{
	struct verify_policy p, q;
	struct golive_config c;
	(void)state;

	verify_policy_init(&p);
	assert_int_equal(p.forbid_packages.argc, 1);
	assert_string_equal(p.forbid_packages.argv[0], "net/http/pprof");
	assert_int_equal(p.allow_packages.argc, 0);
	assert_int_equal(p.forbid_tags.argc, 1);
	assert_string_equal(p.forbid_tags.argv[0], "dev");
	assert_int_equal(p.forbid_race, 1);
	assert_int_equal(p.forbid_no_optimize, 1);
	assert_int_equal(p.forbid_modified, 1);
	assert_int_equal(p.forbid_dwarf, 0);
	assert_int_equal(p.require_trimpath, 0);

	/* golive.yaml's defaults are the same policy */
	config_init(&c);
	verify_policy_from_config(&q, &c);
	assert_int_equal(q.forbid_packages.argc, 1);
	assert_string_equal(q.forbid_packages.argv[0], "net/http/pprof");
	assert_int_equal(q.allow_packages.argc, 0);
	assert_int_equal(q.forbid_tags.argc, 1);
	assert_string_equal(q.forbid_tags.argv[0], "dev");
	assert_int_equal(q.forbid_race, p.forbid_race);
	assert_int_equal(q.forbid_no_optimize, p.forbid_no_optimize);
	assert_int_equal(q.forbid_modified, p.forbid_modified);
	assert_int_equal(q.forbid_dwarf, p.forbid_dwarf);
	assert_int_equal(q.require_trimpath, p.require_trimpath);
	verify_policy_release(&q);
	config_release(&c);

	/* ... and a file's verify: section arrives in the policy */
	{
		const char *y =
		    "verify:\n  forbid_packages: [a/b, c/...]\n  allow_packages: c/d\n"
		    "  forbid_tags: []\n  forbid_race: no\n  forbid_no_optimize: no\n"
		    "  forbid_modified: no\n  dwarf: forbidden\n  require_trimpath: yes\n";
		char *cause = NULL;
		config_init(&c);
		assert_int_equal(config_parse(&c, "golive.yaml", y, strlen(y), &cause), 0);
		verify_policy_from_config(&q, &c);
		assert_int_equal(q.forbid_packages.argc, 2);
		assert_string_equal(q.forbid_packages.argv[1], "c/...");
		assert_int_equal(q.allow_packages.argc, 1);
		assert_int_equal(q.forbid_tags.argc, 0);
		assert_int_equal(q.forbid_race + q.forbid_no_optimize + q.forbid_modified, 0);
		assert_int_equal(q.forbid_dwarf, 1);
		assert_int_equal(q.require_trimpath, 1);
		verify_policy_release(&q);
		config_release(&c);
	}

	/* a clean binary under the defaults */
	{
		struct fake f;
		fake_go(&f);
		expect(&f, &p, none);
		fake_release(&f);
	}
	verify_policy_release(&p);
}

static void test_forbidden_packages(void **state)
{
	struct verify_policy p;
	struct fake f;
	(void)state;

	verify_policy_init(&p);
	fake_go(&f);
	add_sym(&f, "net/http/pprof.init.0", 'T', 10);
	add_sym(&f, "net/http/pprof.Index", 'T', 10);
	add_sym(&f, "net/http/pprof.handler.ServeHTTP", 'T', 10);
	add_sym(&f, "net/http/pprof.(*handler).ServeHTTP", 'T', 10);
	add_sym(&f, "net/http/pprof.Cmdline", 'T', 10);
	/* not in the package */
	add_sym(&f, "net/http/pprofx.Index", 'T', 10);
	add_sym(&f, "go.itab.*net/http/pprof.handler,net/http.Handler", 'R', 32);
	add_sym(&f, "type..eq.net/http/pprof.x", 'T', 10);
	expect(&f, &p,
	       (const char *const[]){
	           "forbidden package net/http/pprof: symbol net/http/pprof.Cmdline (and 4 more)",
	           NULL});
	assert_string_equal(only_rule(&f, &p), "forbid_packages");

	/* allowed: gone */
	argv_push(&p.allow_packages, "net/http/pprof");
	expect(&f, &p, none);
	argv_clear(&p.allow_packages);

	/* P/... patterns; an allow pattern wins */
	argv_clear(&p.forbid_packages);
	argv_push(&p.forbid_packages, "net/http/...");
	argv_push(&p.allow_packages, "net/http");
	expect(&f, &p,
	       (const char *const[]){"forbidden package net/http/pprof (net/http/...): symbol "
	                             "net/http/pprof.Cmdline (and 5 more)",
	                             NULL});
	argv_clear(&p.allow_packages);
	argv_push(&p.allow_packages, "net/...");
	expect(&f, &p, none);
	argv_clear(&p.allow_packages);
	/* net/http/... matches net/http itself and net/http/pprofx; an exported name wins */
	argv_clear(&p.forbid_packages);
	argv_push(&p.forbid_packages, "net/http/...");
	argv_push(&p.allow_packages, "net/http/pprof");
	expect(&f, &p,
	       (const char *const[]){"forbidden package net/http (net/http/...): symbol "
	                             "net/http.(*Server).Serve (and 2 more)",
	                             NULL});
	fake_release(&f);
	verify_policy_release(&p);

	/* a single symbol; a path with a dot in its last element (the linker writes %2e) */
	verify_policy_init(&p);
	argv_push(&p.forbid_packages, "gopkg.in/yaml.v3");
	fake_go(&f);
	add_sym(&f, "net/http/pprof.Index", 'T', 10);
	add_sym(&f, "gopkg.in/yaml%2ev3.Marshal", 'T', 10);
	expect(&f, &p,
	       (const char *const[]){
	           "forbidden package net/http/pprof: symbol net/http/pprof.Index",
	           "forbidden package gopkg.in/yaml.v3: symbol gopkg.in/yaml%2ev3.Marshal", NULL});
	fake_release(&f);

	/* a dependency module when no symbol shows it */
	argv_clear(&p.forbid_packages);
	argv_push(&p.forbid_packages, "github.com/evil/mod");
	argv_push(&p.forbid_packages, "github.com/bad/...");
	fake_go(&f);
	add_dep(&f, "github.com/evil/mod", "v1.2.3", NULL);
	add_dep(&f, "github.com/bad/x", "v0.1.0", NULL);
	add_dep(&f, "github.com/evil/module", "v1.0.0", NULL);
	expect(&f, &p,
	       (const char *const[]){
	           "forbidden package github.com/evil/mod: dependency github.com/evil/mod v1.2.3",
	           "forbidden package github.com/bad/x (github.com/bad/...): dependency "
	           "github.com/bad/x v0.1.0",
	           NULL});
	argv_push(&p.allow_packages, "github.com/bad/x");
	expect(&f, &p,
	       (const char *const[]){
	           "forbidden package github.com/evil/mod: dependency github.com/evil/mod v1.2.3",
	           NULL});
	fake_release(&f);

	/* forbid_packages: [] forbids nothing */
	argv_clear(&p.forbid_packages);
	fake_go(&f);
	add_sym(&f, "net/http/pprof.Index", 'T', 10);
	expect(&f, &p, none);
	fake_release(&f);
	verify_policy_release(&p);
}

/* A stripped binary: the names of .gopclntab (function names, then file names). */
static void test_stripped(void **state)
{
	static const char pcln[] =
	    "\xf1\xff\xff\xff\x00\x00\x01\x08"
	    "\0runtime.main\0net/http/pprof.Index\0net/http/pprof.Cmdline"
	    "\0net/http/pprof.init.0\0/usr/lib/go/src/net/http/pprof/pprof.go"
	    "\0net/http/pprof/pprof.go\0";
	struct verify_policy p;
	struct fake f;
	(void)state;

	verify_policy_init(&p);
	fake_init(&f);
	add_section(&f, ".text", "\x90", 1);
	add_section(&f, ".gopclntab", pcln, sizeof(pcln) - 1);
	expect(&f, &p,
	       (const char *const[]){"forbidden package net/http/pprof: function "
	                             "net/http/pprof.Cmdline in .gopclntab (no symbol table) "
	                             "(and 2 more)",
	                             NULL});
	fake_release(&f);

	/* a cgo binary without .symtab still has .dynsym (C imports): the same */
	fake_init(&f);
	add_section(&f, ".gopclntab", pcln, sizeof(pcln) - 1);
	add_sym(&f, "malloc", 'U', 0);
	add_sym(&f, "net/http/pprof.Weird", 'T', 0);
	f.b.has_symtab = 0;
	expect(&f, &p,
	       (const char *const[]){"forbidden package net/http/pprof: function "
	                             "net/http/pprof.Cmdline in .gopclntab (no symbol table) "
	                             "(and 2 more)",
	                             NULL});
	fake_release(&f);

	/* no .gopclntab and no symbols: nothing to go on, no violation */
	fake_init(&f);
	add_section(&f, ".data", "\0net/http/pprof.Index\0", 22);
	expect(&f, &p, none);
	fake_release(&f);
	verify_policy_release(&p);
}

static void test_devpprof(void **state)
{
	static const char pcln[] = "\0main.main\0main.init.0\0/home/me/app/main.go"
	                           "\0/tmp/golive-session-x/plugin-work/golive_devpprof_21107.go\0";
	static const char *const not_marks[] = {
	    "\0/tmp/golive_devpprof_.go\0",   "\0/tmp/golive_devpprof_12.go.x\0",
	    "\0/tmp/xgolive_devpprof_1.go\0", "\0/tmp/golive_devpprof_1.s\0",
	    "\0/tmp/golive_devpprof_1",       "golive_devpprof_1.g",
	};
	struct verify_policy p;
	struct fake f;
	(void)state;

	verify_policy_init(&p);
	/* the generated file in the pclntab file table */
	fake_go(&f);
	add_section(&f, ".gopclntab", pcln, sizeof(pcln) - 1);
	expect(&f, &p,
	       (const char *const[]){"golive dev injection devpprof: file "
	                             "/tmp/golive-session-x/plugin-work/golive_devpprof_21107.go",
	                             NULL});
	assert_string_equal(only_rule(&f, &p), "dev_injection");
	fake_release(&f);

	/* stripped (no symbols): the same, and the trimmed path of a -trimpath build */
	fake_init(&f);
	add_section(&f, ".gopclntab", "\0command-line-arguments/golive_devpprof_7.go\0", 44);
	expect(
	    &f, &p,
	    (const char *const[]){
	        "golive dev injection devpprof: file command-line-arguments/golive_devpprof_7.go",
	        NULL});
	fake_release(&f);

	/* a symbol naming it wins; with pprof itself, both lines */
	fake_go(&f);
	add_sym(&f, "main.golive_devpprof_serve", 'T', 10);
	add_sym(&f, "net/http/pprof.Index", 'T', 10);
	add_section(&f, ".gopclntab", pcln, sizeof(pcln) - 1);
	expect(&f, &p,
	       (const char *const[]){
	           "golive dev injection devpprof: symbol main.golive_devpprof_serve",
	           "forbidden package net/http/pprof: symbol net/http/pprof.Index", NULL});
	/* allow_packages never allows the injection */
	argv_push(&p.allow_packages, "net/http/pprof");
	expect(&f, &p,
	       (const char *const[]){
	           "golive dev injection devpprof: symbol main.golive_devpprof_serve", NULL});
	argv_clear(&p.allow_packages);
	fake_release(&f);

	for (size_t i = 0; i < ARRAY_SIZE(not_marks); i++) {
		fake_go(&f);
		add_section(&f, ".gopclntab", not_marks[i], strlen(not_marks[i] + 1) + 1);
		expect(&f, &p, none);
		fake_release(&f);
	}
	/* no .gopclntab: the whole file is searched */
	fake_init(&f);
	add_section(&f, ".rodata", "x\0/w/golive_devpprof_3.go\0y", 27);
	expect(&f, &p,
	       (const char *const[]){"golive dev injection devpprof: file /w/golive_devpprof_3.go",
	                             NULL});
	fake_release(&f);
	verify_policy_release(&p);
}

static void test_race_modified(void **state)
{
	struct verify_policy p;
	struct fake f;
	(void)state;

	verify_policy_init(&p);
	fake_go(&f);
	set(&f, "-race", "true");
	expect(&f, &p, (const char *const[]){"build setting -race=true is forbidden", NULL});
	assert_string_equal(only_rule(&f, &p), "forbid_race");
	p.forbid_race = 0;
	expect(&f, &p, none);
	p.forbid_race = 1;
	fake_release(&f);
	fake_go(&f);
	set(&f, "-race", "false");
	expect(&f, &p, none);
	fake_release(&f);

	fake_go(&f);
	set(&f, "vcs", "git");
	set(&f, "vcs.revision", "0123456789abcdef");
	set(&f, "vcs.modified", "true");
	expect(&f, &p,
	       (const char *const[]){"vcs.modified=true: built from a modified tree", NULL});
	assert_string_equal(only_rule(&f, &p), "forbid_modified");
	p.forbid_modified = 0;
	expect(&f, &p, none);
	p.forbid_modified = 1;
	fake_release(&f);
	fake_go(&f);
	set(&f, "vcs.modified", "false");
	expect(&f, &p, none);
	fake_release(&f);
	verify_policy_release(&p);
}

static void test_gcflags(void **state)
{
	static const struct {
		const char *value, *want;
	} cases[] = {
	    {"-N -l", "-gcflags=\"-N -l\": optimizations disabled"},
	    {"all=-N -l", "-gcflags=\"all=-N -l\": optimizations disabled"},
	    {"all=-l -N", "-gcflags=\"all=-l -N\": optimizations disabled"},
	    {"-l", "-gcflags=-l: inlining disabled"},
	    {"all=-l", "-gcflags=all=-l: inlining disabled"},
	    {"-N", "-gcflags=-N: optimizations disabled"},
	    {"all=-N", "-gcflags=all=-N: optimizations disabled"},
	    {"example.com/...=-m -l", "-gcflags=\"example.com/...=-m -l\": inlining disabled"},
	    {"--N", "-gcflags=--N: optimizations disabled"},
	    {"-N=true", "-gcflags=-N=true: optimizations disabled"},
	    {"all='-N' -l", "-gcflags=\"all='-N' -l\": optimizations disabled"},
	    {"-m", NULL},
	    {"all=-B -C", NULL},
	    {"-l=0", NULL},
	    {"-N=false", NULL},
	    {"-Nx -lx", NULL},
	    {"", NULL},
	    {"all=", NULL},
	};
	struct verify_policy p;
	(void)state;

	verify_policy_init(&p);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct fake f;
		fake_go(&f);
		set(&f, "-gcflags", cases[i].value);
		if (cases[i].want)
			expect(&f, &p, (const char *const[]){cases[i].want, NULL});
		else
			expect(&f, &p, none);
		p.forbid_no_optimize = 0;
		expect(&f, &p, none);
		p.forbid_no_optimize = 1;
		fake_release(&f);
	}
	verify_policy_release(&p);
}

static void test_tags(void **state)
{
	struct verify_policy p;
	struct fake f;
	(void)state;

	verify_policy_init(&p);
	fake_go(&f);
	set(&f, "-tags", "dev,foo");
	expect(&f, &p, (const char *const[]){"build tag dev is forbidden (-tags=dev,foo)", NULL});
	assert_string_equal(only_rule(&f, &p), "forbid_tags");
	fake_release(&f);

	fake_go(&f);
	set(&f, "-tags", "devel,nodev,foo");
	expect(&f, &p, none);
	fake_release(&f);

	argv_push(&p.forbid_tags, "debug");
	fake_go(&f);
	set(&f, "-tags", "debug,netgo,dev,debug");
	expect(&f, &p,
	       (const char *const[]){"build tag debug is forbidden (-tags=debug,netgo,dev,debug)",
	                             "build tag dev is forbidden (-tags=debug,netgo,dev,debug)",
	                             NULL});
	fake_release(&f);

	/* older spellings with spaces */
	fake_go(&f);
	set(&f, "-tags", "netgo dev");
	expect(&f, &p,
	       (const char *const[]){"build tag dev is forbidden (-tags=\"netgo dev\")", NULL});
	fake_release(&f);

	argv_clear(&p.forbid_tags);
	fake_go(&f);
	set(&f, "-tags", "dev");
	expect(&f, &p, none);
	fake_release(&f);
	verify_policy_release(&p);
}

static void test_dwarf_trimpath(void **state)
{
	struct verify_policy p;
	struct fake f;
	(void)state;

	verify_policy_init(&p);
	fake_go(&f);
	add_section(&f, ".debug_abbrev", "a", 1);
	add_section(&f, ".debug_info", "i", 1);
	expect(&f, &p, none); /* allowed by default */
	p.forbid_dwarf = 1;
	expect(&f, &p,
	       (const char *const[]){"DWARF present (.debug_info) but verify.dwarf is forbidden",
	                             NULL});
	assert_string_equal(only_rule(&f, &p), "dwarf");
	fake_release(&f);
	fake_go(&f);
	add_section(&f, ".zdebug_line", "l", 1);
	expect(&f, &p,
	       (const char *const[]){"DWARF present (.zdebug_line) but verify.dwarf is forbidden",
	                             NULL});
	fake_release(&f);
	fake_go(&f); /* -ldflags=-w: none */
	expect(&f, &p, none);
	fake_release(&f);
	p.forbid_dwarf = 0;

	p.require_trimpath = 1;
	fake_go(&f);
	expect(&f, &p, (const char *const[]){"-trimpath missing", NULL});
	assert_string_equal(only_rule(&f, &p), "require_trimpath");
	fake_release(&f);
	fake_go(&f);
	set(&f, "-trimpath", "true");
	expect(&f, &p, none);
	fake_release(&f);
	fake_go(&f);
	set(&f, "-trimpath", "false");
	expect(&f, &p, (const char *const[]){"-trimpath missing", NULL});
	fake_release(&f);
	verify_policy_release(&p);
}

/* Everything at once: the documented order, one line each. */
static void test_order(void **state)
{
	static const char pcln[] = "\0/tmp/w/golive_devpprof_1.go\0";
	struct verify_policy p;
	struct fake f;
	verify_violations v = ARRAY_INIT;
	static const char *const rules[] = {
	    "dev_injection", "forbid_packages", "forbid_race", "forbid_no_optimize",
	    "forbid_tags",   "forbid_modified", "dwarf",       "require_trimpath"};
	(void)state;

	verify_policy_init(&p);
	p.forbid_dwarf = 1;
	p.require_trimpath = 1;
	fake_go(&f);
	add_sym(&f, "net/http/pprof.Index", 'T', 10);
	add_section(&f, ".gopclntab", pcln, sizeof(pcln) - 1);
	add_section(&f, ".debug_info", "i", 1);
	set(&f, "-gcflags", "all=-N -l");
	set(&f, "-race", "true");
	set(&f, "-tags", "dev");
	set(&f, "vcs.modified", "true");
	expect(
	    &f, &p,
	    (const char *const[]){"golive dev injection devpprof: file /tmp/w/golive_devpprof_1.go",
	                          "forbidden package net/http/pprof: symbol net/http/pprof.Index",
	                          "build setting -race=true is forbidden",
	                          "-gcflags=\"all=-N -l\": optimizations disabled",
	                          "build tag dev is forbidden (-tags=dev)",
	                          "vcs.modified=true: built from a modified tree",
	                          "DWARF present (.debug_info) but verify.dwarf is forbidden",
	                          "-trimpath missing", NULL});
	assert_int_equal(verify_check(&f.b, &f.bi, &p, &v), ARRAY_SIZE(rules));
	for (size_t i = 0; i < ARRAY_SIZE(rules); i++)
		assert_string_equal(v.v[i].rule, rules[i]);
	/* appends */
	assert_int_equal(verify_check(&f.b, &f.bi, &p, &v), ARRAY_SIZE(rules));
	assert_int_equal(v.n, 2 * ARRAY_SIZE(rules));
	verify_violations_release(&v);
	fake_release(&f);
	verify_policy_release(&p);
}

static void test_symbol_names(void **state)
{
	static const struct {
		const char *name;
		const char *pkg; /* NULL: none */
		int exported;
	} cases[] = {
	    {"main.main", "main", 0},
	    {"main.Version", "main", 1},
	    {"net/http/pprof.Index", "net/http/pprof", 1},
	    {"net/http/pprof.Index.func1", "net/http/pprof", 0},
	    {"net/http.(*Server).Serve", "net/http", 1},
	    {"net/http.(*Server).Serve.func3", "net/http", 0},
	    {"net/http.(*Server).serve", "net/http", 0},
	    {"net/http.(*conn).Read", "net/http", 0},
	    {"net/http.Header.Get", "net/http", 1},
	    {"net/http.Header.clone", "net/http", 0},
	    {"net/http.header.Get", "net/http", 0},
	    {"net/http.ErrServerClosed", "net/http", 1},
	    {"net.(*Dialer).DialContext-fm", "net", 0},
	    {"gopkg.in/yaml%2ev3.Marshal", "gopkg.in/yaml%2ev3", 1},
	    {"github.com/a/b.c/d.F", "github.com/a/b.c/d", 1},
	    {"crypto/elliptic..dict.(*nistCurve[*crypto/internal/nistec.P256Point]).Params",
	     "crypto/elliptic", 0},
	    {"sync/atomic.(*Pointer[go.shape.int]).Load", "sync/atomic", 0},
	    {"example.com/m.Map[go.shape.int]", "example.com/m", 0},
	    {"go.itab.*net/http/pprof.handler,net/http.Handler", NULL, 0},
	    {"go.itab.*crypto/elliptic.nistCurve[*crypto/internal/nistec.P256Point],crypto/"
	     "elliptic.Curve",
	     NULL, 0},
	    {"type..eq.net/http.Header", NULL, 0},
	    {"type..eq.[2]interface {}", "type", 0},
	    {"main..inittask", "main", 0},
	    {"net/http/pprof..inittask", "net/http/pprof", 0},
	    {"go:buildid", NULL, 0},
	    {"_cgo_init", NULL, 0},
	    {"runtime.Gosched", "runtime", 1},
	    {"example.com/x.T.M.N", "example.com/x", 0},
	    {"example.com/x.(*T).M.N", "example.com/x", 0},
	    {"example.com/x.(*t).M", "example.com/x", 0},
	    {".main", NULL, 0},
	    {"a//b.C", NULL, 0},
	    {"/a.C", NULL, 0},
	};
	(void)state;

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = verify_symbol_pkglen(cases[i].name);
		if (cases[i].pkg) {
			if (n != strlen(cases[i].pkg) || strncmp(cases[i].name, cases[i].pkg, n))
				fail_msg("%s: package length %zu, want %s", cases[i].name, n,
				         cases[i].pkg);
		} else if (n) {
			fail_msg("%s: package length %zu, want none", cases[i].name, n);
		}
		if (verify_symbol_exported(cases[i].name) != cases[i].exported)
			fail_msg("%s: exported %d, want %d", cases[i].name,
			         verify_symbol_exported(cases[i].name), cases[i].exported);
	}
}

static void test_diff(void **state)
{
	struct fake a, b;
	struct verify_diff d;
	struct bi_module ra = {(char *)"../fork", (char *)"", (char *)"", NULL};
	struct bi_module rb = {(char *)"example.com/fork", (char *)"v1.0.1", (char *)"h1:y=", NULL};
	(void)state;

	fake_go(&a);
	add_sym(&a, "main.Exported", 'T', 64);
	add_sym(&a, "main.Gone", 'D', 8);
	add_sym(&a, "main.(*T).Grow", 'T', 100);
	add_sym(&a, "main.unexported", 'T', 10);
	add_sym(&a, "main.Exported.func1", 'T', 10);
	add_dep(&a, "golang.org/x/text", "v0.3.7", NULL);
	add_dep(&a, "github.com/old/dep", "v1.0.0", NULL);
	add_dep(&a, "github.com/same/dep", "v1.0.0", NULL);
	add_dep(&a, "github.com/rep/dep", "v1.0.0", &ra);
	fake_done(&a);
	fake_go(&b);
	add_sym(&b, "main.Exported", 'T', 64);
	add_sym(&b, "main.(*T).Grow", 'T', 120);
	add_sym(&b, "main.Added", 'T', 32);
	add_sym(&b, "main.NewVar", 'B', 8);
	add_sym(&b, "main.unexported", 'T', 99);
	add_sym(&b, "main.Exported.func1", 'T', 11);
	add_sym(&b, "main.Local", 'T', 8);
	b.b.symbols.v[b.b.symbols.n - 1].global = 0; /* a local symbol is not API */
	add_dep(&b, "golang.org/x/text", "v0.3.8", NULL);
	add_dep(&b, "github.com/new/dep", "v2.0.0", NULL);
	add_dep(&b, "github.com/same/dep", "v1.0.0", NULL);
	add_dep(&b, "github.com/rep/dep", "v1.0.0", &rb);
	b.bi.go_version = (char *)"go1.20.1";
	b.bi.main.version = (char *)"v1.1.0";
	fake_done(&b);

	verify_diff(&a.b, &a.bi, &b.b, &b.bi, &d);
	assert_true(d.symbols_compared);
	assert_int_equal(d.sym_added.n, 2);
	assert_string_equal(d.sym_added.v[0].name, "main.Added");
	assert_int_equal(d.sym_added.v[0].kind, 'T');
	assert_int_equal(d.sym_added.v[0].new_size, 32);
	assert_string_equal(d.sym_added.v[1].name, "main.NewVar");
	assert_int_equal(d.sym_added.v[1].kind, 'B');
	assert_int_equal(d.sym_removed.n, 1);
	assert_string_equal(d.sym_removed.v[0].name, "main.Gone");
	assert_int_equal(d.sym_removed.v[0].old_size, 8);
	assert_int_equal(d.sym_resized.n, 1);
	assert_string_equal(d.sym_resized.v[0].name, "main.(*T).Grow");
	assert_int_equal(d.sym_resized.v[0].old_size, 100);
	assert_int_equal(d.sym_resized.v[0].new_size, 120);
	assert_int_equal(d.dep_added.n, 1);
	assert_string_equal(d.dep_added.v[0].path, "github.com/new/dep");
	assert_string_equal(d.dep_added.v[0].new_version, "v2.0.0");
	assert_null(d.dep_added.v[0].old_version);
	assert_int_equal(d.dep_removed.n, 1);
	assert_string_equal(d.dep_removed.v[0].path, "github.com/old/dep");
	assert_string_equal(d.dep_removed.v[0].old_version, "v1.0.0");
	assert_int_equal(d.dep_changed.n, 2);
	assert_string_equal(d.dep_changed.v[0].path, "github.com/rep/dep");
	assert_string_equal(d.dep_changed.v[0].old_version, "v1.0.0 => ../fork");
	assert_string_equal(d.dep_changed.v[0].new_version, "v1.0.0 => example.com/fork v1.0.1");
	assert_string_equal(d.dep_changed.v[1].path, "golang.org/x/text");
	assert_string_equal(d.dep_changed.v[1].old_version, "v0.3.7");
	assert_string_equal(d.dep_changed.v[1].new_version, "v0.3.8");
	assert_true(d.go_changed);
	assert_string_equal(d.old_go, "go1.19.8");
	assert_string_equal(d.new_go, "go1.20.1");
	assert_true(d.main_changed);
	assert_string_equal(d.old_main_version, "(devel)");
	assert_string_equal(d.new_main_version, "v1.1.0");
	assert_int_equal(verify_diff_count(&d), 2 + 1 + 1 + 1 + 1 + 2 + 1 + 1);
	verify_diff_release(&d);

	/* a binary against itself: nothing */
	verify_diff(&a.b, &a.bi, &a.b, &a.bi, &d);
	assert_int_equal(verify_diff_count(&d), 0);
	assert_false(d.go_changed);
	assert_false(d.main_changed);
	verify_diff_release(&d);

	/* a stripped side: symbols not compared, the rest still is */
	fake_release(&b);
	fake_init(&b);
	add_dep(&b, "golang.org/x/text", "v0.3.7", NULL);
	fake_done(&b);
	verify_diff(&a.b, &a.bi, &b.b, &b.bi, &d);
	assert_false(d.symbols_compared);
	assert_false(d.old_stripped);
	assert_true(d.new_stripped);
	assert_int_equal(d.sym_added.n + d.sym_removed.n + d.sym_resized.n, 0);
	assert_int_equal(d.dep_removed.n, 3);
	assert_int_equal(verify_diff_count(&d), 3);
	verify_diff_release(&d);
	fake_release(&a);
	fake_release(&b);
}

static void test_section_diff(void **state)
{
	struct fake a, b;
	char name[64] = "";
	uint64_t off = 99;
	(void)state;

	fake_init(&a);
	add_section(&a, ".note.go.buildid", "AAAA", 4);
	add_section(&a, ".text", "\x90\x90\x90\xc3", 4);
	add_section(&a, ".rodata", "hello", 5);
	fake_done(&a);
	fake_init(&b);
	add_section(&b, ".note.go.buildid", "AAAA", 4);
	add_section(&b, ".text", "\x90\x90\x91\xc3", 4);
	add_section(&b, ".rodata", "hellO", 5);
	fake_done(&b);
	assert_int_equal(verify_section_diff(&a.b, &b.b, NULL, name, sizeof(name), &off), 1);
	assert_string_equal(name, ".text");
	assert_int_equal(off, 2);
	/* same sections: none */
	assert_int_equal(verify_section_diff(&a.b, &a.b, NULL, name, sizeof(name), &off), 0);
	fake_release(&b);

	/* a size difference: at the end of the shorter */
	fake_init(&b);
	add_section(&b, ".note.go.buildid", "AAAA", 4);
	add_section(&b, ".text", "\x90\x90\x90\xc3\xcc", 5);
	fake_done(&b);
	assert_int_equal(verify_section_diff(&a.b, &b.b, NULL, name, sizeof(name), &off), 1);
	assert_string_equal(name, ".text");
	assert_int_equal(off, 4);
	fake_release(&b);

	/* a section b lacks */
	fake_init(&b);
	add_section(&b, ".note.go.buildid", "AAAA", 4);
	add_section(&b, ".text", "\x90\x90\x90\xc3", 4);
	fake_done(&b);
	assert_int_equal(verify_section_diff(&a.b, &b.b, NULL, name, sizeof(name), &off), 1);
	assert_string_equal(name, ".rodata");
	assert_int_equal(off, 0);
	fake_release(&b);

	/* file order, not table order; a section out of the file's bounds is skipped */
	a.b.sections.v[0].offset = 1u << 30;
	fake_init(&b);
	add_section(&b, ".note.go.buildid", "BBBB", 4);
	add_section(&b, ".text", "\x90\x90\x90\xc3", 4);
	add_section(&b, ".rodata", "hello", 5);
	fake_done(&b);
	assert_int_equal(verify_section_diff(&a.b, &b.b, NULL, name, sizeof(name), &off), 0);
	fake_release(&b);
	fake_release(&a);

	/* skip: the build ID passed over */
	fake_init(&a);
	add_section(&a, ".note.go.buildid", "AAAA", 4);
	add_section(&a, ".text", "\x90\x90\x90\xc3", 4);
	fake_done(&a);
	fake_init(&b);
	add_section(&b, ".note.go.buildid", "AAAB", 4);
	add_section(&b, ".text", "\x90\x90\x90\xc4", 4);
	fake_done(&b);
	assert_int_equal(verify_section_diff(&a.b, &b.b, NULL, name, sizeof(name), &off), 1);
	assert_string_equal(name, ".note.go.buildid");
	assert_int_equal(off, 3);
	assert_int_equal(
	    verify_section_diff(&a.b, &b.b, ".note.go.buildid", name, sizeof(name), &off), 1);
	assert_string_equal(name, ".text");
	assert_int_equal(off, 3);
	b.data.buf[b.b.sections.v[1].offset + 3] = '\xc3';
	assert_int_equal(
	    verify_section_diff(&a.b, &b.b, ".note.go.buildid", name, sizeof(name), &off), 0);
	fake_release(&b);
	fake_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),      cmocka_unit_test(test_forbidden_packages),
	    cmocka_unit_test(test_stripped),      cmocka_unit_test(test_devpprof),
	    cmocka_unit_test(test_race_modified), cmocka_unit_test(test_gcflags),
	    cmocka_unit_test(test_tags),          cmocka_unit_test(test_dwarf_trimpath),
	    cmocka_unit_test(test_order),         cmocka_unit_test(test_symbol_names),
	    cmocka_unit_test(test_diff),          cmocka_unit_test(test_section_diff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
