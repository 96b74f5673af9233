/* Unit tests of buildargs.c: go build words split into flags and packages. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/buildargs.h"

static void assert_words(const struct argv_array *a, const char *const *want, size_t n)
{
	assert_int_equal(a->argc, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(a->argv[i], want[i]);
}

static void test_flags_then_packages(void **state)
{
	(void)state;
	struct build_args ba = BUILD_ARGS_INIT;
	char *cause = NULL;
	char *argv[] = {"-a",        "-o",        "bin/app",
	                "-tags",     "dev netgo", "-ldflags=-s -w",
	                "-trimpath", "./cmd/app", "./cmd/tool"};
	assert_int_equal(buildargs_parse(&ba, 9, argv, &cause), 0);
	const char *flags[] = {"-a",       "-o", "bin/app", "-tags", "dev netgo", "-ldflags=-s -w",
	                       "-trimpath"};
	const char *pkgs[] = {"./cmd/app", "./cmd/tool"};
	assert_words(&ba.flags, flags, 7);
	assert_words(&ba.packages, pkgs, 2);
	assert_true(ba.has_output);
	assert_false(ba.has_toolexec);

	struct argv_array list = ARGV_ARRAY_INIT;
	buildargs_list_flags(&ba, &list);
	const char *lflags[] = {"-a", "-tags", "dev netgo", "-ldflags=-s -w", "-trimpath"};
	assert_words(&list, lflags, 5);
	argv_clear(&list);
	buildargs_release(&ba);
}

static void test_double_dash_and_bool_forms(void **state)
{
	(void)state;
	struct build_args ba = BUILD_ARGS_INIT;
	char *cause = NULL;
	char *argv[] = {"--race",    "-v", "-x", "-buildvcs=false",
	                "-toolexec", "x",  "--", "-weird-dir"};
	assert_int_equal(buildargs_parse(&ba, 8, argv, &cause), 0);
	assert_int_equal(ba.flags.argc, 6);
	const char *pkgs[] = {"-weird-dir"};
	assert_words(&ba.packages, pkgs, 1);
	assert_true(ba.has_toolexec);
	struct argv_array list = ARGV_ARRAY_INIT;
	buildargs_list_flags(&ba, &list);
	const char *lflags[] = {"--race", "-buildvcs=false"};
	assert_words(&list, lflags, 2);
	argv_clear(&list);
	/* Put back together, "-weird-dir" stays a package: after "--". */
	buildargs_push_packages(&ba, &list);
	const char *again[] = {"--", "-weird-dir"};
	assert_words(&list, again, 2);
	argv_clear(&list);
	assert_true(buildargs_has_flag(&ba, "race"));
	assert_true(buildargs_has_flag(&ba, "buildvcs"));
	assert_false(buildargs_has_flag(&ba, "json"));
	assert_false(buildargs_has_flag(&ba, "weird-dir"));
	buildargs_release(&ba);
}

/* Packages that look like nothing else need no "--". */
static void test_push_packages_plain(void **state)
{
	(void)state;
	struct build_args ba = BUILD_ARGS_INIT;
	char *cause = NULL;
	char *argv[] = {"-o", "x", ".", "./cmd/..."};
	assert_int_equal(buildargs_parse(&ba, 4, argv, &cause), 0);
	struct argv_array out = ARGV_ARRAY_INIT;
	buildargs_push_packages(&ba, &out);
	const char *want[] = {".", "./cmd/..."};
	assert_words(&out, want, 2);
	assert_true(buildargs_has_flag(&ba, "o"));
	assert_false(buildargs_has_flag(&ba, "x")); /* -o's value, not a flag */
	argv_clear(&out);
	buildargs_release(&ba);
}

static void test_appends_across_calls(void **state)
{
	(void)state;
	struct build_args ba = BUILD_ARGS_INIT;
	char *cause = NULL;
	char *cfg[] = {"-trimpath", "-tags=prod"};
	char *cli[] = {"-tags=dev", "."};
	assert_int_equal(buildargs_parse(&ba, 2, cfg, &cause), 0);
	assert_int_equal(buildargs_parse(&ba, 2, cli, &cause), 0);
	const char *flags[] = {"-trimpath", "-tags=prod", "-tags=dev"};
	assert_words(&ba.flags, flags, 3);
	assert_int_equal(ba.packages.argc, 1);
	buildargs_release(&ba);
}

static void test_missing_value(void **state)
{
	(void)state;
	struct build_args ba = BUILD_ARGS_INIT;
	char *cause = NULL;
	char *argv[] = {"-a", "-ldflags"};
	assert_int_equal(buildargs_parse(&ba, 2, argv, &cause), -1);
	assert_non_null(strstr(cause, "-ldflags"));
	free(cause);
	buildargs_release(&ba);
}

static void test_no_words(void **state)
{
	(void)state;
	struct build_args ba = BUILD_ARGS_INIT;
	char *cause = NULL;
	assert_int_equal(buildargs_parse(&ba, 0, NULL, &cause), 0);
	assert_int_equal(ba.flags.argc, 0);
	assert_int_equal(ba.packages.argc, 0);
	buildargs_release(&ba);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_flags_then_packages),
	    cmocka_unit_test(test_double_dash_and_bool_forms),
	    cmocka_unit_test(test_push_packages_plain),
	    cmocka_unit_test(test_appends_across_calls),
	    cmocka_unit_test(test_missing_value),
	    cmocka_unit_test(test_no_words),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
