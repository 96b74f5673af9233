/* Unit tests of event.c: the events.jsonl line format. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wrapper/event.h"
#include "core/util.h"

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

/* The shared cache's fields: absent without a cache, round trip with one, typed. */
static void test_rcache_fields(void **state)
{
	(void)state;
	struct event ev = {0}, back;
	char *cause = NULL;
	size_t len;
	ev.tool = "compile";
	char *line = event_encode(&ev, &len);
	assert_null(strstr(line, "rcache"));
	assert_int_equal(event_decode(&back, line, len, &cause), 0);
	assert_null(back.rcache);
	event_release(&back);
	free(line);

	ev.rcache = "hit";
	ev.rcache_note = "object 0123: missing";
	ev.rcache_key = "ab";
	ev.rcache_bytes = 4096;
	ev.rcache_ns = 77;
	ev.rcache_saved_ns = 123456789;
	ev.rcache_store = 1;
	ev.rcache_dir_bound = 1;
	line = event_encode(&ev, &len);
	assert_int_equal(event_decode(&back, line, len, &cause), 0);
	assert_string_equal(back.rcache, "hit");
	assert_string_equal(back.rcache_note, "object 0123: missing");
	assert_string_equal(back.rcache_key, "ab");
	assert_int_equal(back.rcache_bytes, 4096);
	assert_int_equal(back.rcache_ns, 77);
	assert_int_equal(back.rcache_saved_ns, 123456789);
	assert_int_equal(back.rcache_store, 1);
	assert_int_equal(back.rcache_dir_bound, 1);
	event_release(&back);
	free(line);

	const char *bad = "{\"tool\":\"compile\",\"rcache_store\":1}";
	assert_int_equal(event_decode(&back, bad, strlen(bad), &cause), -1);
	assert_string_equal(cause, "field \"rcache_store\": expected a boolean");
	free(cause);
	cause = NULL;
	bad = "{\"tool\":\"compile\",\"rcache\":3}";
	assert_int_equal(event_decode(&back, bad, strlen(bad), &cause), -1);
	assert_string_equal(cause, "field \"rcache\": expected a string");
	free(cause);
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

/* Ids with every hex letter, so that case matters. */
static void fill_ids(struct event *ev)
{
	for (size_t i = 0; i < 16; i++)
		ev->trace_id[i] = (uint8_t)(0xa0 + i * 3);
	for (size_t i = 0; i < 8; i++) {
		ev->span_id[i] = (uint8_t)(0xb1 + i * 5);
		ev->parent_id[i] = (uint8_t)(0xc2 + i * 7);
	}
	ev->has_span = 1;
}

static char *hex(const uint8_t *b, size_t n)
{
	char *s = xmalloc(2 * n + 1);
	for (size_t i = 0; i < n; i++)
		snprintf(s + 2 * i, 3, "%02x", b[i]);
	return s;
}

static void test_span_ids_round_trip(void **state)
{
	(void)state;
	struct event ev = {0}, back;
	ev.tool = "compile";
	ev.path = "/usr/lib/go/pkg/tool/linux_amd64/compile";
	fill_ids(&ev);
	size_t len;
	char *line = event_encode(&ev, &len);
	assert_non_null(line);

	/* On the wire: lowercase hex under the documented names. */
	json_error_t err;
	json_t *o = json_loadb(line, len, 0, &err);
	assert_non_null(o);
	char *t = hex(ev.trace_id, 16), *sp = hex(ev.span_id, 8), *pa = hex(ev.parent_id, 8);
	assert_string_equal(json_string_value(json_object_get(o, "trace_id")), t);
	assert_string_equal(json_string_value(json_object_get(o, "span_id")), sp);
	assert_string_equal(json_string_value(json_object_get(o, "parent_span_id")), pa);
	assert_string_equal(json_string_value(json_object_get(o, "path")), ev.path);
	json_decref(o);
	free(t);
	free(sp);
	free(pa);

	char *cause = NULL;
	assert_int_equal(event_decode(&back, line, len, &cause), 0);
	assert_null(cause);
	assert_int_equal(back.has_span, 1);
	assert_memory_equal(back.trace_id, ev.trace_id, 16);
	assert_memory_equal(back.span_id, ev.span_id, 8);
	assert_memory_equal(back.parent_id, ev.parent_id, 8);
	assert_string_equal(back.path, ev.path);
	event_release(&back);
	free(line);
}

static void test_span_ids_absent(void **state)
{
	(void)state;
	struct event ev = {0}, back;
	ev.tool = "link";
	/* Ids without has_span are not written. */
	fill_ids(&ev);
	ev.has_span = 0;
	size_t len;
	char *line = event_encode(&ev, &len);
	assert_null(strstr(line, "trace_id"));
	assert_null(strstr(line, "span_id"));
	assert_null(strstr(line, "\"path\""));
	char *cause = NULL;
	assert_int_equal(event_decode(&back, line, len, &cause), 0);
	assert_int_equal(back.has_span, 0);
	static const uint8_t zero[16];
	assert_memory_equal(back.trace_id, zero, 16);
	assert_memory_equal(back.span_id, zero, 8);
	assert_memory_equal(back.parent_id, zero, 8);
	assert_null(back.path);
	event_release(&back);
	free(line);

	/* null is absent too. */
	const char *nulls = "{\"tool\":\"asm\",\"trace_id\":null,\"span_id\":null,"
	                    "\"parent_span_id\":null,\"path\":null}";
	assert_int_equal(event_decode(&back, nulls, strlen(nulls), &cause), 0);
	assert_int_equal(back.has_span, 0);
	assert_null(back.path);
	event_release(&back);
}

#define T_OK "0af7651916cd43dd8448eb211c80319c"
#define S_OK "b7ad6b7169203331"
#define P_OK "00f067aa0ba902b7"

static void test_span_ids_rejected(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    /* only one or two of the three */
	    "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "\"}",
	    "{\"tool\":\"compile\",\"span_id\":\"" S_OK "\"}",
	    "{\"tool\":\"compile\",\"parent_span_id\":\"" P_OK "\"}",
	    "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "\",\"span_id\":\"" S_OK "\"}",
	    "{\"tool\":\"compile\",\"span_id\":\"" S_OK "\",\"parent_span_id\":\"" P_OK "\"}",
	    "{\"tool\":\"compile\",\"trace_id\":null,\"span_id\":\"" S_OK
	    "\",\"parent_span_id\":\"" P_OK "\"}",
	    /* uppercase hex */
	    "{\"tool\":\"compile\",\"trace_id\":\"0AF7651916CD43DD8448EB211C80319C\","
	    "\"span_id\":\"" S_OK "\",\"parent_span_id\":\"" P_OK "\"}",
	    "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "\",\"span_id\":\"B7ad6b7169203331\","
	    "\"parent_span_id\":\"" P_OK "\"}",
	    /* wrong lengths */
	    "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "0\",\"span_id\":\"" S_OK
	    "\",\"parent_span_id\":\"" P_OK "\"}",
	    "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "\",\"span_id\":\"b7ad6b716920333\","
	    "\"parent_span_id\":\"" P_OK "\"}",
	    "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "\",\"span_id\":\"" S_OK
	    "\",\"parent_span_id\":\"\"}",
	    /* not hex */
	    "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "\",\"span_id\":\"" S_OK
	    "\",\"parent_span_id\":\"00f067aa0ba902bg\"}",
	    "{\"tool\":\"compile\",\"trace_id\":\"0af7651916cd43dd8448eb211c80319 \","
	    "\"span_id\":\"" S_OK "\",\"parent_span_id\":\"" P_OK "\"}",
	    /* all zeros */
	    "{\"tool\":\"compile\",\"trace_id\":\"00000000000000000000000000000000\","
	    "\"span_id\":\"" S_OK "\",\"parent_span_id\":\"" P_OK "\"}",
	    "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "\",\"span_id\":\"0000000000000000\","
	    "\"parent_span_id\":\"" P_OK "\"}",
	    "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "\",\"span_id\":\"" S_OK
	    "\",\"parent_span_id\":\"0000000000000000\"}",
	    /* not strings */
	    "{\"tool\":\"compile\",\"trace_id\":12,\"span_id\":\"" S_OK
	    "\",\"parent_span_id\":\"" P_OK "\"}",
	    "{\"tool\":\"compile\",\"path\":[\"/bin/go\"]}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct event ev;
		char *cause = NULL;
		if (event_decode(&ev, bad[i], strlen(bad[i]), &cause) != -1)
			fail_msg("accepted: %s", bad[i]);
		assert_non_null(cause);
		assert_null(ev.tool);
		assert_int_equal(ev.has_span, 0);
		free(cause);
	}

	/* The same three, valid, are accepted: the cases above fail for their flaw. */
	const char *good = "{\"tool\":\"compile\",\"trace_id\":\"" T_OK "\",\"span_id\":\"" S_OK
	                   "\",\"parent_span_id\":\"" P_OK "\",\"path\":\"/bin/compile\"}";
	struct event ev;
	char *cause = NULL;
	assert_int_equal(event_decode(&ev, good, strlen(good), &cause), 0);
	assert_int_equal(ev.has_span, 1);
	assert_int_equal(ev.trace_id[0], 0x0a);
	assert_int_equal(ev.trace_id[15], 0x9c);
	assert_int_equal(ev.span_id[0], 0xb7);
	assert_int_equal(ev.parent_id[7], 0xb7);
	assert_string_equal(ev.path, "/bin/compile");
	event_release(&ev);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_encode_fields),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_rcache_fields),
	    cmocka_unit_test(test_decode_unknown_fields_and_strings_escaped),
	    cmocka_unit_test(test_decode_errors),
	    cmocka_unit_test(test_span_ids_round_trip),
	    cmocka_unit_test(test_span_ids_absent),
	    cmocka_unit_test(test_span_ids_rejected),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
