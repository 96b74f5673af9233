/* Unit tests of summary.c: figures computed from events and the package graph. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/summary.h"

static void push(event_array *evs, const char *tool, const char *ip, int64_t wall, int64_t cpu,
                 long rss, int probe)
{
	struct event ev;
	memset(&ev, 0, sizeof(ev));
	ev.tool = xstrdup(tool);
	ev.importpath = ip ? xstrdup(ip) : NULL;
	ev.wall_ns = wall;
	ev.tool_user_ns = cpu;
	ev.tool_maxrss_kb = rss;
	ev.self_user_ns = cpu / 1000;
	ev.self_maxrss_kb = 1200 + rss % 7;
	ev.probe = probe;
	ARRAY_PUSH(*evs, ev);
}

static void test_compute(void **state)
{
	(void)state;
	event_array evs = ARRAY_INIT;
	push(&evs, "compile", NULL, 1000, 1000, 10, 1); /* probe: not a run */
	push(&evs, "compile", "fmt", 300, 500, 30, 0);
	push(&evs, "compile", "net/http", 900, 1500, 90, 0);
	push(&evs, "compile", "net/http [net/http.test]", 800, 1400, 80, 0);
	push(&evs, "asm", "crypto/sha256", 20, 20, 5, 0);
	push(&evs, "compile", "crypto/sha256", 100, 100, 20, 0);
	push(&evs, "link", "example.com/app", 700, 900, 150, 0);

	struct argv_array deps = ARGV_ARRAY_INIT;
	const char *graph[] = {"unsafe",        "errors",   "fmt",
	                       "crypto/sha256", "net/http", "example.com/app"};
	for (size_t i = 0; i < ARRAY_SIZE(graph); i++)
		argv_push(&deps, graph[i]);

	struct build_summary sum;
	memset(&sum, 0, sizeof(sum));
	sum.wall_ns = 5000;
	summary_compute(&sum, &evs, &deps, 2);
	assert_int_equal(sum.runs, 6);
	assert_int_equal(sum.probes, 1);
	assert_int_equal(sum.compiled, 3); /* fmt, net/http (twice), crypto/sha256 */
	assert_int_equal(sum.graph, 5);    /* unsafe is never compiled */
	assert_int_equal(sum.cached, 2);   /* errors, example.com/app (linked, not compiled) */
	assert_int_equal(sum.nslowest, 2);
	assert_string_equal(sum.slowest[0]->importpath, "net/http");
	assert_string_equal(sum.slowest[1]->importpath, "net/http [net/http.test]");
	assert_non_null(sum.link);
	assert_int_equal(sum.link->wall_ns, 700);
	assert_int_equal(sum.tool_cpu_ns, 500 + 1500 + 1400 + 20 + 100 + 900);
	assert_int_equal(sum.ntools, 3);
	assert_string_equal(sum.tools[0].name, "compile");
	assert_int_equal(sum.tools[0].runs, 4);

	json_t *j = summary_to_json(&sum);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "packages"), "cached")), 2);
	assert_int_equal(json_array_size(json_object_get(j, "slowest_compiles")), 2);
	json_decref(j);

	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	summary_print_text(&sum, f, 0);
	fclose(f);
	assert_non_null(strstr(text, "golive: build ok in"));
	assert_non_null(strstr(text, "5 in the build graph, 3 compiled, 2 from go's cache"));
	assert_null(strstr(text, "\033[")); /* no colour when asked for none */
	free(text);

	summary_release(&sum);
	event_array_release(&evs);
	argv_clear(&deps);
}

static void test_unknown_graph_and_failure(void **state)
{
	(void)state;
	event_array evs = ARRAY_INIT;
	push(&evs, "compile", "broken", 10, 10, 1, 0);
	evs.v[0].exit = 1;
	struct build_summary sum;
	memset(&sum, 0, sizeof(sum));
	sum.exit_status = 1;
	summary_compute(&sum, &evs, NULL, 10);
	assert_int_equal(sum.graph, -1);
	assert_int_equal(sum.cached, -1);
	summary_release(&sum);
	struct argv_array deps = ARGV_ARRAY_INIT;
	argv_push(&deps, "broken");
	argv_push(&deps, "fmt");
	memset(&sum, 0, sizeof(sum));
	sum.exit_status = 1;
	summary_compute(&sum, &evs, &deps, 10);
	argv_clear(&deps);
	assert_int_equal(sum.graph, 2); /* the graph is known, the cache figure is not */
	assert_int_equal(sum.cached, -1);
	assert_int_equal(sum.failed, 1);
	json_t *j = summary_to_json(&sum);
	assert_int_equal(
	    json_integer_value(json_object_get(json_object_get(j, "packages"), "graph")), 2);
	assert_true(json_is_null(json_object_get(json_object_get(j, "packages"), "cached")));
	assert_true(json_is_false(json_object_get(j, "ok")));
	json_decref(j);
	summary_release(&sum);
	event_array_release(&evs);
}

static void test_no_events(void **state)
{
	(void)state;
	event_array evs = ARRAY_INIT;
	struct argv_array deps = ARGV_ARRAY_INIT;
	argv_push(&deps, "fmt");
	struct build_summary sum;
	memset(&sum, 0, sizeof(sum));
	summary_compute(&sum, &evs, &deps, 10);
	assert_int_equal(sum.runs, 0);
	assert_int_equal(sum.graph, 1);
	assert_int_equal(sum.cached, 1); /* a no-op build: everything came from the cache */
	assert_int_equal(sum.nslowest, 0);
	summary_release(&sum);
	argv_clear(&deps);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_compute),
	    cmocka_unit_test(test_unknown_graph_and_failure),
	    cmocka_unit_test(test_no_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
