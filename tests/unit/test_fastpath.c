/*
 * test_fastpath.c - fastpath_dev_ldflags: the -ldflags golive dev adds to
 * its builds keeps the user's own, from build.flags or from GOFLAGS (split
 * as the go command splits it), with -s -w appended.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "dev/fastpath.h"

static void expect_ldflags(const char *const *flags, const char *goflags, const char *want)
{
	struct argv_array a = ARGV_ARRAY_INIT;
	for (size_t i = 0; flags && flags[i]; i++)
		argv_push(&a, flags[i]);
	char *got = fastpath_dev_ldflags(&a, goflags);
	assert_string_equal(got, want);
	free(got);
	argv_clear(&a);
}

static void test_none(void **state)
{
	(void)state;
	expect_ldflags(NULL, NULL, "-ldflags=-s -w");
	expect_ldflags(NULL, "", "-ldflags=-s -w");
	expect_ldflags(NULL, "-mod=mod -trimpath", "-ldflags=-s -w");
}

static void test_build_flags(void **state)
{
	(void)state;
	const char *const f1[] = {"-trimpath", "-ldflags", "-X main.v=1", NULL};
	expect_ldflags(f1, NULL, "-ldflags=-X main.v=1 -s -w");
	const char *const f2[] = {"--ldflags=-X main.a=1", "-ldflags=-X main.b=2", NULL};
	expect_ldflags(f2, NULL, "-ldflags=-X main.b=2 -s -w"); /* the last one wins */
	const char *const f3[] = {"-ldflags=", NULL};
	expect_ldflags(f3, NULL, "-ldflags=-s -w");
}

static void test_goflags(void **state)
{
	(void)state;
	expect_ldflags(NULL, "-mod=mod -ldflags=-X=main.v=2", "-ldflags=-X=main.v=2 -s -w");
	/* a field quoted whole keeps its spaces */
	expect_ldflags(NULL, "-trimpath '-ldflags=-X main.v=3 -linkmode=internal'",
	               "-ldflags=-X main.v=3 -linkmode=internal -s -w");
	expect_ldflags(NULL, "\"--ldflags=-X main.v=4\"  -v", "-ldflags=-X main.v=4 -s -w");
	/* go refuses an unterminated quote: nothing is taken from it */
	expect_ldflags(NULL, "-ldflags=-X=main.v=5 '-ldflags=-X main.v=6",
	               "-ldflags=-X=main.v=5 -s -w");
	/* build.flags' -ldflags replaces GOFLAGS' one, as on go build's command line */
	const char *const f[] = {"-ldflags=-X main.v=7", NULL};
	expect_ldflags(f, "-ldflags=-X=main.v=8", "-ldflags=-X main.v=7 -s -w");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_none),
	    cmocka_unit_test(test_build_flags),
	    cmocka_unit_test(test_goflags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
