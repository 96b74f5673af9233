/*
 * Build constraints (core/buildcons): the //go:build expression evaluator
 * (precedence, negation, parentheses, errors as go/build/constraint gives
 * them), tag matching for a build context (GOOS/GOARCH and their aliases,
 * unix, cgo, -tags, release tags by toolchain), file-name suffixes, and
 * headers read as go/build reads them (where a //go:build line counts,
 * // +build lines). The cases marked "go:" were checked against go list.
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

#include "core/buildcons.h"

/* Tags set in the table tests: a, b, c (and nothing else). */
static int abc(void *data, const char *name, size_t len)
{
	(void)data;
	return len == 1 && (name[0] == 'a' || name[0] == 'b' || name[0] == 'c');
}

static int eval(const char *e)
{
	char *cause = NULL;
	int v = buildexpr_eval(e, strlen(e), abc, NULL, &cause);
	if (v < 0) {
		assert_non_null(cause);
		free(cause);
	} else {
		assert_null(cause);
	}
	return v;
}

static void test_expr(void **state)
{
	static const struct {
		const char *expr;
		int want; /* 1, 0, or -1: malformed */
	} cases[] = {
	    {"a", 1},
	    {"x", 0},
	    {"!a", 0},
	    {"!x", 1},
	    {"a && b", 1},
	    {"a && x", 0},
	    {"x || a", 1},
	    {"x || y", 0},
	    {"x && y || a", 1}, /* && binds tighter */
	    {"a || x && y", 1}, /* a || (x && y) */
	    {"(a || x) && y", 0},
	    {"!(a && x)", 1},
	    {"!(a || x)", 0},
	    {"((((a))))", 1},
	    {"  a\t&&\tb  ", 1},
	    {"a&&b||x", 1},
	    {"go1.21 || x", 0}, /* only a, b, c here */
	    {"linux && amd64 && !ignore", 0},
	    {"x_y.z9", 0},
	    {"", -1},
	    {"   ", -1},
	    {"a &&", -1},
	    {"|| a", -1},
	    {"a b", -1},
	    {"a & b", -1},
	    {"a | b", -1},
	    {"(a", -1},
	    {"a)", -1},
	    {"()", -1},
	    {"!!a", -1}, /* go: double negation not allowed */
	    {"! !a", -1},
	    {"!(!a)", 1},
	    {"a && -b", -1},
	    {"a,b", -1},
	    {"a // comment", -1},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int v = eval(cases[i].expr);
		if (v != cases[i].want)
			fail_msg("%s: got %d, want %d", cases[i].expr, v, cases[i].want);
	}
	/* deep nesting: an error past the limit, never a crash */
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < BUILDEXPR_MAX_DEPTH; i++)
		strbuf_addch(&sb, '(');
	strbuf_addch(&sb, 'a');
	for (int i = 0; i < BUILDEXPR_MAX_DEPTH; i++)
		strbuf_addch(&sb, ')');
	assert_int_equal(eval(sb.buf), 1);
	strbuf_reset(&sb);
	for (int i = 0; i < 100000; i++)
		strbuf_addch(&sb, '(');
	char *cause = NULL;
	assert_int_equal(buildexpr_eval(sb.buf, sb.len, abc, NULL, &cause), -1);
	assert_non_null(strstr(cause, "nested deeper"));
	free(cause);
	strbuf_release(&sb);
	/* messages name what went wrong */
	assert_int_equal(buildexpr_eval("a b", 3, abc, NULL, &cause), -1);
	assert_string_equal(cause, "unexpected token \"b\" at offset 2");
	free(cause);
	assert_int_equal(buildexpr_eval("(a", 2, abc, NULL, &cause), -1);
	assert_string_equal(cause, "missing close paren");
	free(cause);
}

static void ctx_for(struct buildctx *c, const char *goos, const char *goarch, const char *tags,
                    const char *go)
{
	struct goversion v;
	setenv("GOOS", goos, 1);
	setenv("GOARCH", goarch, 1);
	unsetenv("GOFLAGS");
	unsetenv("CGO_ENABLED");
	unsetenv("GOAMD64");
	if (go)
		assert_int_equal(goversion_parse(go, &v), 0);
	buildctx_from_env(c, tags, go ? &v : NULL);
}

static int tag(const struct buildctx *c, const char *t)
{
	return buildctx_match_tag(c, t, strlen(t));
}

static void test_tags(void **state)
{
	struct buildctx c;
	(void)state;
	ctx_for(&c, "linux", "amd64", "foo, bar baz", "go1.21.5");
	assert_true(tag(&c, "linux"));
	assert_true(tag(&c, "amd64"));
	assert_true(tag(&c, "unix"));
	assert_true(tag(&c, "gc"));
	assert_true(tag(&c, "foo") && tag(&c, "bar") && tag(&c, "baz"));
	assert_false(tag(&c, "ignore"));
	assert_false(tag(&c, "windows"));
	assert_false(tag(&c, "arm64"));
	assert_false(tag(&c, "gccgo"));
	assert_true(tag(&c, "go1.1"));
	assert_true(tag(&c, "go1.21"));
	assert_false(tag(&c, "go1.22"));
	assert_false(tag(&c, "go1.021"));
	assert_false(tag(&c, "go2.1"));
	assert_true(tag(&c, "amd64.v1"));
	assert_false(tag(&c, "amd64.v2"));
	assert_string_equal(c.goos, "linux");
	buildctx_release(&c);

	ctx_for(&c, "android", "arm64", NULL, NULL);
	assert_true(tag(&c, "linux") && tag(&c, "android") && tag(&c, "unix"));
	assert_true(tag(&c, "go1.99")); /* unknown toolchain: the newest Go */
	assert_false(tag(&c, "cgo"));   /* cross-compiling: cgo off by default */
	buildctx_release(&c);
	ctx_for(&c, "ios", "arm64", NULL, "go1.19");
	assert_true(tag(&c, "darwin") && tag(&c, "unix"));
	assert_false(tag(&c, "go1.20"));
	buildctx_release(&c);
	ctx_for(&c, "windows", "386", NULL, NULL);
	assert_false(tag(&c, "unix"));
	assert_false(tag(&c, "linux"));
	buildctx_release(&c);
	ctx_for(&c, "illumos", "amd64", NULL, NULL);
	assert_true(tag(&c, "solaris"));
	buildctx_release(&c);

	/* GOFLAGS' -tags, CGO_ENABLED, GOAMD64 */
	setenv("GOOS", "linux", 1);
	setenv("GOARCH", "amd64", 1);
	setenv("GOFLAGS", "-mod=mod --tags=one,two -trimpath", 1);
	setenv("CGO_ENABLED", "0", 1);
	setenv("GOAMD64", "v3", 1);
	buildctx_from_env(&c, "three", NULL);
	assert_true(tag(&c, "one") && tag(&c, "two") && tag(&c, "three"));
	assert_false(tag(&c, "cgo"));
	assert_true(tag(&c, "amd64.v3"));
	assert_false(tag(&c, "amd64.v4"));
	buildctx_release(&c);
	setenv("CGO_ENABLED", "1", 1);
	buildctx_from_env(&c, NULL, NULL);
	assert_true(tag(&c, "cgo"));
	buildctx_release(&c);
	unsetenv("GOFLAGS");
	unsetenv("CGO_ENABLED");
	unsetenv("GOAMD64");
	unsetenv("GOOS");
	unsetenv("GOARCH");
}

static void test_names(void **state)
{
	static const struct {
		const char *name;
		int linux_amd64, windows_arm64;
	} cases[] = {
	    {"x.go", 1, 1},
	    {"x_linux.go", 1, 0},
	    {"x_windows.go", 0, 1},
	    {"x_amd64.go", 1, 0},
	    {"x_arm64.go", 0, 1},
	    {"x_linux_amd64.go", 1, 0},
	    {"x_linux_arm64.go", 0, 0},
	    {"x_windows_arm64.go", 0, 1},
	    {"x_windows_test.go", 0, 1},
	    {"x_linux_amd64_test.go", 1, 0},
	    {"x_test.go", 1, 1},
	    {"linux.go", 1, 1},       /* no '_': not a suffix */
	    {"x_unix.go", 1, 1},      /* unix is no GOOS */
	    {"x_android.go", 0, 0},   /* go: android files are not built for linux */
	    {"x_linux_foo.go", 1, 1}, /* the last word decides */
	    {"x_amd64_linux.go", 1, 0},
	    {"_linux.go", 1, 0},
	    {"x_linux.pb.go", 1, 0},  /* cut at the first dot */
	    {"x.y_windows.go", 1, 1}, /* the suffix is after the dot */
	    {"a_b_c_windows.go", 0, 1},
	    {"x_test_linux.go", 1, 0},
	};
	struct buildctx l, w;
	(void)state;
	ctx_for(&l, "linux", "amd64", NULL, NULL);
	ctx_for(&w, "windows", "arm64", NULL, NULL);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (buildcons_name_ok(&l, cases[i].name) != cases[i].linux_amd64)
			fail_msg("%s on linux/amd64: want %d", cases[i].name, cases[i].linux_amd64);
		if (buildcons_name_ok(&w, cases[i].name) != cases[i].windows_arm64)
			fail_msg("%s on windows/arm64: want %d", cases[i].name,
			         cases[i].windows_arm64);
	}
	buildctx_release(&l);
	buildctx_release(&w);
	unsetenv("GOOS");
	unsetenv("GOARCH");
}

static int header(const struct buildctx *c, const char *src)
{
	char *cause = NULL;
	int v = buildcons_header_ok(c, src, strlen(src), &cause);
	if (v < 0) {
		assert_non_null(cause);
		free(cause);
	}
	return v;
}

static void test_headers(void **state)
{
	static const struct {
		const char *src;
		int want;
	} cases[] = {
	    {"package p\n", 1},
	    {"", 1},
	    {"//go:build ignore\n\npackage main\n", 0},
	    {"//go:build ignore\npackage main\n", 0}, /* go: no blank line needed */
	    {"// Copyright\n\n//go:build ignore\n\n// Doc.\npackage main\n", 0},
	    {"//go:build linux && amd64\n\npackage p\n", 1},
	    {"//go:build !linux\n\npackage p\n", 0},
	    {"//go:build go1.21\n\npackage p\n", 1},
	    {"//go:build go1.22\n\npackage p\n", 0},
	    {"//go:build extra\n\npackage p\n", 1},
	    {"//go:build !extra\n\npackage p\n", 0},
	    {"\xEF\xBB\xBF//go:build ignore\n\npackage p\n", 0},
	    {"//go:build ignore\r\n\r\npackage p\r\n", 0},
	    {"  //go:build ignore  \n\npackage p\n", 0},
	    {"/* a\n b */\n//go:build ignore\n\npackage p\n", 0},
	    {"/* a\n//go:build ignore\n*/\npackage p\n", 1}, /* inside a block comment */
	    {"package p\n//go:build ignore\n", 1},           /* after the package clause */
	    {"package p // go:build ignore\n", 1},
	    {"//go:buildignore\n\npackage p\n", 1}, /* not a go:build line */
	    {"// go:build ignore\n\npackage p\n", 1},
	    /* // +build, when there is no //go:build line */
	    {"// +build ignore\n\npackage main\n", 0},
	    {"// +build linux darwin\n\npackage p\n", 1},
	    {"// +build windows plan9\n\npackage p\n", 0},
	    {"// +build linux,!amd64\n\npackage p\n", 0},
	    {"// +build linux\n// +build !extra\n\npackage p\n", 0}, /* lines AND */
	    {"// +build ignore\npackage main\n", 1}, /* go: needs the blank line after it */
	    {"//go:build linux\n// +build ignore\n\npackage p\n", 1}, /* go:build controls */
	    {"// +build\n\npackage p\n", 0},
	    {"// +build !!linux\n\npackage p\n", 0},
	    /* malformed */
	    {"//go:build\n\npackage p\n", -1},
	    {"//go:build a b\n\npackage p\n", -1},
	    {"//go:build linux\n//go:build amd64\n\npackage p\n", -1},
	};
	struct buildctx c;
	(void)state;
	ctx_for(&c, "linux", "amd64", "extra", "go1.21");
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int v = header(&c, cases[i].src);
		if (v != cases[i].want)
			fail_msg("case %zu %s: got %d, want %d", i, cases[i].src, v, cases[i].want);
	}
	char *cause = NULL;
	const char bad[] = "//go:build (linux\n\npackage p\n";
	assert_int_equal(buildcons_header_ok(&c, bad, sizeof(bad) - 1, &cause), -1);
	assert_string_equal(cause, "parsing //go:build line: missing close paren");
	free(cause);
	buildctx_release(&c);
	unsetenv("GOOS");
	unsetenv("GOARCH");
}

/* GOROOT's net/http/triv.go (//go:build ignore) is not built; the rest of net/http is. */
static void test_goroot_triv(void **state)
{
	struct buildctx c;
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	(void)state;
	if (strbuf_read_file(&sb, "/usr/local/go/src/net/http/triv.go", 1 << 20) < 0) {
		skip();
		return;
	}
	ctx_for(&c, "linux", "amd64", NULL, NULL);
	assert_int_equal(buildcons_header_ok(&c, sb.buf, sb.len, &cause), 0);
	strbuf_reset(&sb);
	assert_int_equal(strbuf_read_file(&sb, "/usr/local/go/src/net/http/server.go", 16 << 20),
	                 0);
	assert_int_equal(buildcons_header_ok(&c, sb.buf, sb.len, &cause), 1);
	strbuf_release(&sb);
	buildctx_release(&c);
	unsetenv("GOOS");
	unsetenv("GOARCH");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_expr),        cmocka_unit_test(test_tags),
	    cmocka_unit_test(test_names),       cmocka_unit_test(test_headers),
	    cmocka_unit_test(test_goroot_triv),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
