/*
 * test_devfeed.c - golive dev's cycle feed (core/devfeed.h): where it is
 * (XDG_RUNTIME_DIR, else the user cache dir; keyed by the root), and the
 * compiler errors read from go build's output.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "core/devfeed.h"
#include "core/util.h"

static void test_path(void **state)
{
	(void)state;
	setenv("XDG_RUNTIME_DIR", "/run/user/1000", 1);
	char *a = devfeed_path("/home/me/app"), *b = devfeed_path("/home/me/app2");
	char *a2 = devfeed_path("/home/me/app");
	assert_true(starts_with(a, "/run/user/1000/golive/dev-"));
	assert_true(ends_with(a, ".jsonl"));
	assert_int_equal(strlen(a), strlen("/run/user/1000/golive/dev-") + 16 + 6);
	assert_string_equal(a, a2);
	assert_string_not_equal(a, b);
	free(a);
	free(a2);
	free(b);
	/* a relative XDG_RUNTIME_DIR is ignored: the user cache dir */
	setenv("XDG_RUNTIME_DIR", "run", 1);
	setenv("XDG_CACHE_HOME", "/tmp/cache", 1);
	a = devfeed_path("/home/me/app");
	assert_true(starts_with(a, "/tmp/cache/golive/dev/dev-"));
	free(a);
	unsetenv("XDG_RUNTIME_DIR");
}

static void test_errors(void **state)
{
	(void)state;
	const char *out = "# example.com/app\n"
	                  "./main.go:23:14: syntax error: unexpected {, expected )\n"
	                  "lib/x.go:5: missing return\n"
	                  "\tnote: ./indented.go:1:1: not a compiler line\n"
	                  "/abs/y.go:7:2: undefined: z\n"
	                  "./main.go:9:3x: odd\n"
	                  "not a .go error: a.go:\n"
	                  "main.goo:1:1: no\n";
	json_t *a = devfeed_parse_errors(out, strlen(out), "/home/me/app");
	assert_int_equal(json_array_size(a), 4);
	json_t *e = json_array_get(a, 0);
	assert_string_equal(json_string_value(json_object_get(e, "file")), "/home/me/app/main.go");
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 23);
	assert_int_equal(json_integer_value(json_object_get(e, "col")), 14);
	assert_string_equal(json_string_value(json_object_get(e, "message")),
	                    "syntax error: unexpected {, expected )");
	e = json_array_get(a, 1);
	assert_string_equal(json_string_value(json_object_get(e, "file")), "/home/me/app/lib/x.go");
	assert_int_equal(json_integer_value(json_object_get(e, "col")), 0);
	assert_string_equal(json_string_value(json_object_get(e, "message")), "missing return");
	e = json_array_get(a, 2);
	assert_string_equal(json_string_value(json_object_get(e, "file")), "/abs/y.go");
	e = json_array_get(a, 3); /* "9:3x": the column's digits are the message's */
	assert_int_equal(json_integer_value(json_object_get(e, "line")), 9);
	assert_int_equal(json_integer_value(json_object_get(e, "col")), 0);
	assert_string_equal(json_string_value(json_object_get(e, "message")), "3x: odd");
	json_decref(a);
	/* invalid UTF-8 in a message still encodes */
	a = devfeed_parse_errors("a.go:1:1: \xff\n", 11, "/");
	char *s = json_dumps(a, JSON_COMPACT);
	assert_non_null(s);
	free(s);
	json_decref(a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path),
	    cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
