/* Unit tests of event.c: the events.jsonl line format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "util.h"

static void test_encode_fields(void **state)
{
	(void)state;
	struct event ev = {0};
	ev.tool = "compile";
	ev.importpath = "net/http [net/http.test]";
	ev.pkg = "net/http";
	ev.files = 42;
	ev.bytes = 1234567;
	ev.start_ns = 1764000000123456789LL;
	ev.wall_ns = 2500000000LL;
	ev.tool_user_ns = 4000000000LL;
	ev.tool_sys_ns = 300000000LL;
	ev.tool_maxrss_kb = 180000;
	ev.self_user_ns = 1000000;
	ev.self_sys_ns = 2000000;
	ev.self_maxrss_kb = 1400;
	ev.exit = 0;
	size_t len = 0;
	char *line = event_encode(&ev, &len);
	assert_non_null(line);
	assert_int_equal(len, strlen(line));
	assert_int_equal(line[len - 1], '\n');
	assert_null(memchr(line, '\n', len - 1)); /* one line */

	json_error_t err;
	json_t *o = json_loads(line, 0, &err);
	assert_non_null(o);
	const char *names[] = {"tool",           "importpath",     "pkg",          "files",
	                       "bytes",          "start_ns",       "wall_ns",      "tool_user_ns",
	                       "tool_sys_ns",    "tool_maxrss_kb", "self_user_ns", "self_sys_ns",
	                       "self_maxrss_kb", "exit",           "signal",       "probe"};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		assert_non_null(json_object_get(o, names[i]));
	assert_string_equal(json_string_value(json_object_get(o, "importpath")),
	                    "net/http [net/http.test]");
	assert_int_equal(json_integer_value(json_object_get(o, "start_ns")), 1764000000123456789LL);
	assert_true(json_is_false(json_object_get(o, "probe")));
	json_decref(o);
	free(line);
}

static void test_round_trip(void **state)
{
	(void)state;
	struct event ev = {0}, back;
	ev.tool = "link";
	ev.importpath = "example.com/app";
	ev.wall_ns = 12345;
	ev.exit = -1;
	ev.signal = 9;
	ev.probe = 1;
	ev.tool_maxrss_kb = 99;
	size_t len;
	char *line = event_encode(&ev, &len);
	char *cause = NULL;
	assert_int_equal(event_decode(&back, line, len - 1, &cause), 0);
	assert_string_equal(back.tool, "link");
	assert_string_equal(back.importpath, "example.com/app");
	assert_null(back.pkg); /* absent stays absent */
	assert_int_equal(back.wall_ns, 12345);
	assert_int_equal(back.exit, -1);
	assert_int_equal(back.signal, 9);
	assert_int_equal(back.probe, 1);
	assert_int_equal(back.tool_maxrss_kb, 99);
	event_release(&back);
	free(line);
}

static void test_decode_unknown_fields_and_strings_escaped(void **state)
{
	(void)state;
	struct event ev = {0}, back;
	ev.tool = "compile";
	ev.importpath = "weird \"path\"\n\\with\ttabs";
	size_t len;
	char *line = event_encode(&ev, &len);
	char *cause = NULL;
	assert_int_equal(event_decode(&back, line, len, &cause), 0);
	assert_string_equal(back.importpath, ev.importpath);
	event_release(&back);
	free(line);

	const char *future = "{\"tool\":\"asm\",\"new_field\":[1,2],\"files\":3}";
	assert_int_equal(event_decode(&back, future, strlen(future), &cause), 0);
	assert_int_equal(back.files, 3);
	event_release(&back);
}

static void test_decode_errors(void **state)
{
	(void)state;
	const char *bad[] = {
	    "",
	    "{",
	    "[1,2]",
	    "{\"tool\":1}",
	    "{\"tool\":\"compile\",\"files\":\"3\"}",
	    "{\"tool\":\"compile\",\"probe\":1}",
	    "{\"files\":3}",
	    "{\"tool\":\"a\",\"tool\":\"b\"}",
	    "{\"tool\":\"compile\"} trailing",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct event ev;
		char *cause = NULL;
		assert_int_equal(event_decode(&ev, bad[i], strlen(bad[i]), &cause), -1);
		assert_non_null(cause);
		assert_null(ev.tool);
		free(cause);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_fields),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_decode_unknown_fields_and_strings_escaped),
	    cmocka_unit_test(test_decode_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
