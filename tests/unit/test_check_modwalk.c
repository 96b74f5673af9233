/*
 * golive check's walk without go list (cmd/check_modwalk): the two readers
 * it trusts to say when go list is not needed. A file's package clause and
 * imports: what is read (name, import "C", embed) and what makes it decline
 * (grouped "C" is still read, a missing clause, non-ASCII names, quoted
 * paths with escapes, imports cut off by a truncated read, //go:debug,
 * goexperiment tags, #cgo, a BOM). A go.mod: module path, go and toolchain
 * lines, requirements counted, and every directive or line shape it does
 * not know declined. The walk itself runs on real trees in e2e t38.
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

#include "cmd/check_modwalk.h"

/* modwalk_parse_header of s (whole file); 0 or -1, with why exactly on -1. */
static int header(const char *s, int truncated, struct modwalk_file *fi)
{
	char *why = NULL;
	int r = modwalk_parse_header("x.go", s, strlen(s), truncated, fi, &why);
	if (r < 0) {
		assert_non_null(why);
		assert_non_null(strstr(why, "x.go"));
	} else {
		assert_null(why);
	}
	free(why);
	return r;
}

static void test_header_read(void **state)
{
	struct modwalk_file fi;
	(void)state;
	assert_int_equal(header("package main\n", 0, &fi), 0);
	assert_string_equal(fi.pkg, "main");
	assert_int_equal(
	    header("// Copyright.\n\n//go:build linux\n\n/* doc */ package x_test;"
	           " import \"fmt\"; import (\n\tf \"fmt\"\n\t. \"os\"; _ `strings`\n)\n"
	           "func F() {}\n",
	           0, &fi),
	    0);
	assert_string_equal(fi.pkg, "x_test");
	assert_false(fi.imports_c);
	assert_int_equal(
	    header("package c\n\n// int one(void) { return 1; }\nimport \"C\"\n", 0, &fi), 0);
	assert_true(fi.imports_c);
	assert_int_equal(header("package c\n\nimport (\n\t\"C\"\n\t\"fmt\"\n)\n", 0, &fi), 0);
	assert_true(fi.imports_c);
	/* a truncated read that still reaches a declaration after the imports is enough */
	assert_int_equal(header("package p\nimport \"a\"\nvar x = 1\n", 1, &fi), 0);
}

static void test_header_declines(void **state)
{
	struct modwalk_file fi;
	(void)state;
	static const char *const bad[] = {
	    "",
	    "// only a comment\n",
	    "pack age main\n",
	    "package\n",
	    "package _\n",
	    "package caf\xc3\xa9\n",
	    "package main import \"fmt\"\n",      /* no ; or newline after the clause */
	    "package main\nimport \"a\" \"b\"\n", /* two specs on one line */
	    "package main\nimport \"a\\x41\"\n",  /* an escape */
	    "package main\nimport \"a b\"\n",     /* a space in the path */
	    "package main\nimport \"\"\n",        /* empty */
	    "package main\nimport (\n\t\"a\"\n",  /* unclosed */
	    "package main\nimport \"a\n",         /* unterminated */
	    "package main\n/* unterminated comment",
	    "\xef\xbb\xbfpackage main\n",
	    "//go:debug panicnil=1\n\npackage main\n",
	    "//go:build goexperiment.rangefunc\n\npackage main\n",
	    "package c\n\n// #cgo LDFLAGS: -lm\nimport \"C\"\n",
	    "package e\n\nimport _ \"embed\"\n",
	    "package e\n\nimport (\n\t\"fmt\"\n\t_ \"embed\"\n)\n",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		if (header(bad[i], 0, &fi) != -1)
			fail_msg("header %zu (\"%s\") read as package %s", i, bad[i], fi.pkg);
	}
	/* imports running to the end of a truncated read: what follows is unknown */
	assert_int_equal(header("package p\nimport \"a\"\n", 1, &fi), -1);
	/* unreadable */
	char *why = NULL;
	assert_int_equal(modwalk_parse_header("u.go", NULL, 0, 0, &fi, &why), -1);
	assert_non_null(why);
	free(why);
}

static struct goversion go(const char *v)
{
	struct goversion g;
	assert_int_equal(goversion_parse(v, &g), 0);
	return g;
}

/* modwalk_parse_gomod of s for toolchain tv; 1 or 0, with why exactly on 0. */
static int gomod(const char *s, const char *tv, struct modwalk_gomod *m)
{
	char *why = NULL;
	struct goversion t = go(tv);
	int r = modwalk_parse_gomod("go.mod", s, strlen(s), &t, m, &why);
	if (r == 0) {
		assert_non_null(why);
	} else {
		assert_int_equal(r, 1);
		assert_null(why);
		assert_non_null(m->module);
	}
	free(why);
	return r;
}

static void test_gomod_read(void **state)
{
	struct modwalk_gomod m;
	(void)state;
	assert_int_equal(gomod("module example.com/a\n", "go1.19", &m), 1);
	assert_string_equal(m.module, "example.com/a");
	assert_int_equal(m.go.minor, 16); /* no go line: go1.16, as go assumes */
	assert_int_equal(m.requires, 0);
	modwalk_gomod_release(&m);

	assert_int_equal(
	    gomod("// header\nmodule \"example.com/q\" // the path\r\n\ngo 1.22.1\n"
	          "toolchain go1.23.0\n\nrequire (\n\texample.com/x v1.0.0 // indirect\n"
	          "\texample.com/y v0.1.0\n)\nrequire example.com/z v2.0.0+incompatible\n"
	          "exclude example.com/x v0.9.0\nreplace example.com/y => ../y\n"
	          "replace (\n\texample.com/w v1.0.0 => example.com/v v1.1.0\n)\n"
	          "retract [v1.0.0, v1.0.5]\nretract (\n\tv0.1.0 // bad\n)\n"
	          "godebug default=go1.21\ntool example.com/x/cmd/t\n",
	          "go1.26.0", &m),
	    1);
	assert_string_equal(m.module, "example.com/q");
	assert_int_equal(m.go.minor, 22);
	assert_true(m.has_toolchain);
	assert_int_equal(m.toolchain.minor, 23);
	assert_int_equal(m.requires, 3);
	modwalk_gomod_release(&m);
}

static void test_gomod_declines(void **state)
{
	struct modwalk_gomod m;
	(void)state;
	static const char *const bad[] = {
	    "",                                                      /* no module line */
	    "go 1.21\n",                                             /* no module line */
	    "module example.com/a\nignore ./node_modules\n",         /* Go 1.25's ignore */
	    "module example.com/a\nfrobnicate x\n",                  /* unknown */
	    "module example.com/a\nmodule example.com/b\n",          /* two */
	    "module example.com/a\ngo 1.21\ngo 1.22\n",              /* two go lines */
	    "module example.com/a\ngo one\n",                        /* not a version */
	    "module example.com/a\nrequire example.com/x\n",         /* no version */
	    "module example.com/a\nrequire (\n\texample.com/x\n)\n", /* no version in a block */
	    "module example.com/a\nreplace example.com/x ../x\n",    /* no arrow */
	    "module example.com/a\nrequire (\n",                     /* unclosed block */
	    "module (\n\texample.com/a\n)\n",                        /* module in a block */
	    "module example.com/a b\n",                              /* two fields */
	    "module example.com/ä\n",                                /* not a plain path */
	    "module std\n",
	    "module example.com/a\ngo 1.21\x00\n", /* a NUL */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		size_t n =
		    i == sizeof(bad) / sizeof(*bad) - 1 ? strlen(bad[i]) + 2 : strlen(bad[i]);
		char *why = NULL;
		struct goversion t = go("go1.26.0");
		if (modwalk_parse_gomod("go.mod", bad[i], n, &t, &m, &why) != 0)
			fail_msg("go.mod %zu (\"%s\") read as module %s", i, bad[i], m.module);
		assert_non_null(why);
		free(why);
		modwalk_gomod_release(&m);
	}
	/* directives newer than the toolchain: go1.19 knows no toolchain, godebug, tool lines */
	assert_int_equal(gomod("module example.com/a\ntoolchain go1.21.0\n", "go1.19.8", &m), 0);
	modwalk_gomod_release(&m);
	assert_int_equal(gomod("module example.com/a\ngodebug x=1\n", "go1.22.0", &m), 0);
	modwalk_gomod_release(&m);
	assert_int_equal(gomod("module example.com/a\ntool example.com/t\n", "go1.23.0", &m), 0);
	modwalk_gomod_release(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_header_read),
	    cmocka_unit_test(test_header_declines),
	    cmocka_unit_test(test_gomod_read),
	    cmocka_unit_test(test_gomod_declines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
