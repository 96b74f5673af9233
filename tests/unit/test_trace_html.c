/*
 * test_trace_html.c - src/trace/trace_html.c: the HTML build report. Synthetic
 * spans with a known shape (and hostile strings: a </script> with an
 * onerror, invalid UTF-8, quotes) go in; the written file is checked as
 * text (the data element cannot be closed early, the fixed page has no
 * URL and no byte from a span) and its embedded JSON is parsed back with
 * jansson: one entry per span, one bar's worth per non-root span, lanes
 * without overlap, the critical path of a known set, the slowest
 * packages, the per-tool totals and the diagnostics. Also: nesting (a
 * dev cycle), ties and zero-length spans, a bad path, a second end().
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/trace.h"
#include "core/util.h"

#define MS 1000000LL /* nanoseconds */
#define T0 1700000000000000000LL

#define HOSTILE   "</script><img src=x onerror=alert(1)>"
#define DATA_OPEN "<script type=\"application/json\" id=\"golive-data\">"

static const char *const bad_utf8 = "bad \xff\xfe utf8 \"quoted\" 'single' & <!-- -->";

/* A fresh temporary directory (malloc'd path). */
static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *templ = xasprintf("%s/golive-thtml-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(templ));
	return templ;
}

static void set_id(uint8_t id[8], unsigned n)
{
	memset(id, 0, 8);
	for (int i = 0; i < 4; i++)
		id[7 - i] = (uint8_t)(n >> (8 * i));
}

/* A tool span, child of parent, from start to end milliseconds after T0. */
static struct span tool(unsigned id, unsigned parent, const char *name, long start, long end,
                        const struct trace_attr *attrs, size_t nattrs)
{
	struct span s;
	memset(&s, 0, sizeof(s));
	memset(s.trace_id, 0xab, sizeof(s.trace_id));
	set_id(s.span_id, id);
	set_id(s.parent_id, parent);
	s.name = name;
	s.start_ns = T0 + start * MS;
	s.end_ns = T0 + end * MS;
	s.attrs = attrs;
	s.nattrs = nattrs;
	return s;
}

/* Reads the report at path, checks it as text and returns its data, parsed. */
static json_t *load_report(const char *path)
{
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_file(&sb, path, 64 << 20), 0);
	char *tmp = xasprintf("%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1); /* renamed, not left behind */
	free(tmp);

	const char *open = strstr(sb.buf, DATA_OPEN);
	assert_non_null(open);
	assert_null(strstr(open + 1, DATA_OPEN));
	const char *data = open + strlen(DATA_OPEN);
	const char *close = strstr(data, "</script>");
	assert_non_null(close);
	size_t n = (size_t)(close - data);

	/* Nothing in the data can start a tag, so nothing can close the element early. */
	assert_null(memchr(data, '<', n));
	/* The fixed page: ASCII, no URL, the element the e2e test looks for. */
	for (const char *p = sb.buf; p < sb.buf + sb.len; p++)
		if (p < data || p >= close)
			assert_true((unsigned char)*p < 0x80);
	assert_null(strstr(sb.buf, "http:"));
	assert_null(strstr(sb.buf, "https:"));
	assert_null(strstr(sb.buf, "<img"));
	assert_non_null(strstr(sb.buf, "id=\"timeline\""));
	assert_non_null(strstr(sb.buf, "<link rel=\"icon\" href=\"data:,\">"));
	assert_non_null(strstr(sb.buf, "Content-Security-Policy"));
	assert_non_null(strstr(sb.buf, "default-src 'none'"));
	assert_non_null(strstr(sb.buf, "</html>"));

	json_error_t jerr;
	json_t *d = json_loadb(data, n, 0, &jerr); /* strict: the whole text, valid UTF-8 */
	if (!d)
		fail_msg("%s: the data does not parse: %s", path, jerr.text);
	assert_true(json_is_object(d));
	strbuf_release(&sb);
	return d;
}

static json_int_t int_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v))
		fail_msg("%s is not an integer", key);
	return json_integer_value(v);
}

static const char *str_of(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	if (!s)
		fail_msg("%s is not a string", key);
	return s;
}

/* The index in spans of the span with importpath ip. */
static long index_of(json_t *spans, const char *ip)
{
	size_t i;
	json_t *s;
	json_array_foreach(spans, i, s)
	{
		const char *v = json_string_value(json_object_get(s, "importpath"));
		if (v && strcmp(v, ip) == 0)
			return (long)i;
	}
	fail_msg("no span for %s", ip);
	return -1;
}

/* The span's label for the critical path checks: its importpath, or its name. */
static const char *label_of(json_t *spans, json_int_t i)
{
	json_t *s = json_array_get(spans, (size_t)i);
	assert_non_null(s);
	const char *ip = json_string_value(json_object_get(s, "importpath"));
	return ip ? ip : str_of(s, "name");
}

/* Asserts the critical chain, by label, is want[0..n). */
static void expect_critical(json_t *d, const char *const *want, size_t n)
{
	json_t *c = json_object_get(d, "critical"), *spans = json_object_get(d, "spans");
	assert_true(json_is_array(c));
	struct strbuf got = STRBUF_INIT, exp = STRBUF_INIT;
	for (size_t i = 0; i < json_array_size(c); i++)
		strbuf_addf(&got, "%s%s", i ? " -> " : "",
		            label_of(spans, json_integer_value(json_array_get(c, i))));
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&exp, "%s%s", i ? " -> " : "", want[i]);
	if (strcmp(got.buf, exp.buf) != 0)
		fail_msg("critical path: got [%s], want [%s]", got.buf, exp.buf);
	strbuf_release(&got);
	strbuf_release(&exp);
}

/*
 * Checks what holds for every report: one entry per span in start order,
 * the roots flagged (nroots of them), every non-root span with a lane
 * below "lanes" and no two on one lane overlapping. Returns the number of
 * non-root spans (the bars the page draws).
 */
static size_t check_spans(json_t *d, size_t nspans, size_t nroots)
{
	json_t *spans = json_object_get(d, "spans");
	assert_true(json_is_array(spans));
	assert_int_equal(json_array_size(spans), nspans);
	json_int_t lanes = int_of(d, "lanes"), prev = 0;
	size_t bars = 0, roots = 0;
	for (size_t i = 0; i < nspans; i++) {
		json_t *s = json_array_get(spans, i);
		json_int_t start = int_of(s, "start"), dur = int_of(s, "dur"),
		           lane = int_of(s, "lane");
		assert_true(start >= prev);
		assert_true(dur >= 0);
		prev = start;
		if (json_is_true(json_object_get(s, "root"))) {
			roots++;
			continue;
		}
		bars++;
		assert_true(lane >= 0 && lane < lanes);
		for (size_t k = 0; k < i; k++) {
			json_t *o = json_array_get(spans, k);
			if (json_is_true(json_object_get(o, "root")) || int_of(o, "lane") != lane)
				continue;
			assert_true(int_of(o, "start") + int_of(o, "dur") <= start);
		}
	}
	assert_int_equal(roots, nroots);
	assert_int_equal(int_of(d, "roots"), (json_int_t)nroots);
	return bars;
}

/*
 * A build of six tool runs under a root with a remote parent:
 *
 *   a  compile  0 .. 30      c  compile 32 .. 60      e  link  62 .. 95
 *   b  compile  5 .. 20      d  compile 25 .. 50      f  vet   61 .. 70 (fails)
 *
 * The critical path: e ends last; the latest end at or before 62 is c's
 * (60); before 32, a's (30); nothing ends before 0: a -> c -> e.
 */
static void test_build(void **state)
{
	(void)state;
	char *dir = make_tmpdir(), *path = xasprintf("%s/report.html", dir), *cause = NULL;

	struct trace_attr ra[] = {
	    {"process.exit.code", TRACE_ATTR_INT, {.i = 1}},
	    {"golive.tool_runs", TRACE_ATTR_INT, {.i = 6}},
	    {"golive.go_version", TRACE_ATTR_STRING, {.s = "go1.19.8"}},
	    {"golive.packages", TRACE_ATTR_STRING, {.s = "./... " HOSTILE}},
	    {"golive.cache_hits", TRACE_ATTR_INT, {.i = 41}},
	    {"golive.graph_packages", TRACE_ATTR_INT, {.i = 47}},
	    {"golive.version", TRACE_ATTR_STRING, {.s = "9.9.9"}},
	};
	struct trace_attr aa[] = {
	    {"golive.importpath", TRACE_ATTR_STRING, {.s = "example.com/a"}},
	    {"golive.package", TRACE_ATTR_STRING, {.s = "a"}},
	    {"process.exit.code", TRACE_ATTR_INT, {.i = 0}},
	    {"golive.cpu_user_ns", TRACE_ATTR_INT, {.i = 40 * MS}},
	    {"golive.cpu_sys_ns", TRACE_ATTR_INT, {.i = 2 * MS}},
	    {"golive.maxrss_kb", TRACE_ATTR_INT, {.i = 51200}},
	    {"golive.files", TRACE_ATTR_INT, {.i = 3}},
	    {"golive.bytes", TRACE_ATTR_INT, {.i = 4096}},
	    {"golive.diagnostics", TRACE_ATTR_INT, {.i = 2}},
	};
	struct trace_attr ab[] = {{"golive.importpath", TRACE_ATTR_STRING, {.s = HOSTILE}}};
	struct trace_attr ac[] = {{"golive.importpath", TRACE_ATTR_STRING, {.s = "example.com/c"}}};
	struct trace_attr ad[] = {{"golive.importpath", TRACE_ATTR_STRING, {.s = bad_utf8}}};
	struct trace_attr ae[] = {
	    {"golive.importpath", TRACE_ATTR_STRING, {.s = "example.com/a"}},
	    {"golive.cpu_user_ns", TRACE_ATTR_INT, {.i = 10 * MS}},
	};
	struct trace_attr af[] = {
	    {"golive.importpath", TRACE_ATTR_STRING, {.s = "example.com/c"}},
	    {"process.exit.code", TRACE_ATTR_INT, {.i = 1}},
	};
	struct trace_attr d1[] = {
	    {"code.filepath", TRACE_ATTR_STRING, {.s = "b.go"}},
	    {"code.lineno", TRACE_ATTR_INT, {.i = 7}},
	    {"code.column", TRACE_ATTR_INT, {.i = 2}},
	    {"golive.analyzer", TRACE_ATTR_STRING, {.s = "nilness"}},
	    {"golive.severity", TRACE_ATTR_STRING, {.s = "warning"}},
	    {"message", TRACE_ATTR_STRING, {.s = HOSTILE}},
	};
	struct trace_attr d2[] = {
	    {"code.filepath", TRACE_ATTR_STRING, {.s = "a.go"}},
	    {"code.lineno", TRACE_ATTR_INT, {.i = 12}},
	    {"code.column", TRACE_ATTR_INT, {.i = 5}},
	    {"golive.analyzer", TRACE_ATTR_STRING, {.s = "printf"}},
	    {"golive.severity", TRACE_ATTR_STRING, {.s = "error"}},
	    {"message", TRACE_ATTR_STRING, {.s = bad_utf8}},
	};
	struct trace_attr d3[] = {
	    {"code.filepath", TRACE_ATTR_STRING, {.s = "a.go"}},
	    {"code.lineno", TRACE_ATTR_INT, {.i = 3}},
	    {"golive.severity", TRACE_ATTR_STRING, {.s = "info"}},
	    {"message", TRACE_ATTR_STRING, {.s = "from the cache"}},
	};
	struct span_event ea[] = {
	    {"golive.diagnostic", T0 + 30 * MS, d1, ARRAY_SIZE(d1)},
	    {"something.else", T0 + 30 * MS, d1, ARRAY_SIZE(d1)},
	    {"golive.diagnostic", T0 + 30 * MS, d2, ARRAY_SIZE(d2)},
	};
	struct span_event er[] = {{"golive.diagnostic", T0, d3, ARRAY_SIZE(d3)}};

	struct span spans[] = {
	    tool(5, 100, "link", 62, 95, ae, ARRAY_SIZE(ae)),
	    tool(1, 100, "compile", 0, 30, aa, ARRAY_SIZE(aa)),
	    tool(6, 100, "vet", 61, 70, af, ARRAY_SIZE(af)),
	    tool(2, 100, "compile", 5, 20, ab, ARRAY_SIZE(ab)),
	    tool(100, 999, "build", 0, 100, ra, ARRAY_SIZE(ra)), /* a remote parent */
	    tool(3, 100, "compile", 32, 60, ac, ARRAY_SIZE(ac)),
	    tool(4, 100, HOSTILE, 25, 50, ad, ARRAY_SIZE(ad)),
	};
	spans[1].events = ea;
	spans[1].nevents = ARRAY_SIZE(ea);
	spans[2].error = 1;
	spans[2].status_message = HOSTILE;
	spans[4].events = er;
	spans[4].nevents = ARRAY_SIZE(er);
	spans[4].error = 1;
	spans[4].status_message = "go build failed";
	memset(spans[4].trace_id, 0x0a, 16);

	struct trace_attr res_attrs[] = {{"service.name", TRACE_ATTR_STRING, {.s = "svc\xff"}}};
	struct trace_resource res = {res_attrs, ARRAY_SIZE(res_attrs)};
	struct trace_exporter *e = trace_html_new(path, &cause);
	assert_non_null(e);
	assert_string_equal(e->name, "html");
	assert_int_equal(e->begin(e, &res, &cause), 0);
	for (size_t i = 0; i < ARRAY_SIZE(spans); i++)
		assert_int_equal(e->span(e, &spans[i], &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	assert_null(cause);

	json_t *d = load_report(path);
	assert_int_equal(check_spans(d, ARRAY_SIZE(spans), 1), 6);
	json_t *sp = json_object_get(d, "spans");
	assert_string_equal(str_of(json_array_get(sp, 0), "name"), "build"); /* the root, first */
	assert_int_equal(int_of(d, "lanes"), 2); /* a, b; d after b, c after a; f, e */
	assert_int_equal(int_of(d, "root_lanes"), 1);
	assert_int_equal(int_of(d, "wall_ns"), 100 * MS);
	assert_int_equal(int_of(d, "start_unix_ms"), T0 / MS);
	assert_string_equal(str_of(d, "service"), "svc\xef\xbf\xbd");
	json_t *ids = json_object_get(d, "trace_ids");
	assert_int_equal(json_array_size(ids), 1);
	assert_string_equal(json_string_value(json_array_get(ids, 0)),
	                    "0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a0a");

	/* Hostile strings come back as they went in; invalid UTF-8 as U+FFFD. */
	json_t *b = json_array_get(sp, (size_t)index_of(sp, HOSTILE));
	assert_string_equal(str_of(b, "name"), "compile");
	long di = index_of(sp, "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \"quoted\" 'single' & <!-- -->");
	assert_string_equal(str_of(json_array_get(sp, (size_t)di), "name"), HOSTILE);
	long fi = index_of(sp, "example.com/c") + 1; /* c at 32, then f at 61 */
	json_t *f = json_array_get(sp, (size_t)fi);
	assert_string_equal(str_of(f, "name"), "vet");
	assert_true(json_is_true(json_object_get(f, "error")));
	assert_string_equal(str_of(f, "status"), HOSTILE);
	assert_int_equal(int_of(f, "exit"), 1);
	assert_int_equal(int_of(f, "parent"), 0);

	/* A tool span's details. */
	json_t *a = json_array_get(sp, (size_t)index_of(sp, "example.com/a"));
	assert_string_equal(str_of(a, "name"), "compile");
	assert_string_equal(str_of(a, "package"), "a");
	assert_int_equal(int_of(a, "start"), 0);
	assert_int_equal(int_of(a, "dur"), 30 * MS);
	assert_int_equal(int_of(a, "cpu_ns"), 42 * MS);
	assert_int_equal(int_of(a, "rss_kb"), 51200);
	assert_int_equal(int_of(a, "files"), 3);
	assert_int_equal(int_of(a, "bytes"), 4096);
	assert_int_equal(int_of(a, "diags"), 2);
	assert_int_equal(int_of(a, "exit"), 0);

	/* The critical path: a, c, then the link (which is example.com/a too). */
	json_t *c = json_object_get(d, "critical");
	assert_int_equal(json_array_size(c), 3);
	assert_int_equal(json_integer_value(json_array_get(c, 0)), index_of(sp, "example.com/a"));
	assert_int_equal(json_integer_value(json_array_get(c, 1)), index_of(sp, "example.com/c"));
	json_t *last = json_array_get(sp, (size_t)json_integer_value(json_array_get(c, 2)));
	assert_string_equal(str_of(last, "name"), "link");
	assert_int_equal(int_of(last, "start"), 62 * MS);

	/* The header. */
	json_t *sm = json_object_get(d, "summary");
	assert_string_equal(str_of(sm, "packages"), "./... " HOSTILE);
	assert_int_equal(int_of(sm, "exit_code"), 1);
	assert_int_equal(int_of(sm, "tool_runs"), 6);
	assert_int_equal(int_of(sm, "cache_hits"), 41);
	assert_int_equal(int_of(sm, "graph_packages"), 47);
	assert_string_equal(str_of(sm, "go_version"), "go1.19.8");
	assert_string_equal(str_of(sm, "golive_version"), "9.9.9");
	assert_true(json_is_true(json_object_get(sm, "error")));

	/* Packages: a = 30 + 33 (compile and link), c = 28 + 9, then d (25), then b (15). */
	json_int_t tool_wall = int_of(d, "tool_wall_ns");
	assert_int_equal(tool_wall, (30 + 15 + 28 + 25 + 33 + 9) * MS);
	json_t *pk = json_object_get(d, "packages");
	assert_int_equal(json_array_size(pk), 4);
	json_t *p0 = json_array_get(pk, 0), *p1 = json_array_get(pk, 1);
	assert_string_equal(str_of(p0, "importpath"), "example.com/a");
	assert_int_equal(int_of(p0, "wall_ns"), 63 * MS);
	assert_int_equal(int_of(p0, "runs"), 2);
	assert_true(json_real_value(json_object_get(p0, "share")) > 63.0 / 140 - 1e-9);
	assert_true(json_real_value(json_object_get(p0, "share")) < 63.0 / 140 + 1e-9);
	assert_string_equal(str_of(p1, "importpath"), "example.com/c");
	assert_string_equal(str_of(json_array_get(pk, 3), "importpath"), HOSTILE);

	/* Tools: compile 3 (a, b, c: 73 ms), link, the hostile name, vet (failed). */
	json_t *tl = json_object_get(d, "tools");
	assert_int_equal(json_array_size(tl), 4);
	json_t *t0 = json_array_get(tl, 0);
	assert_string_equal(str_of(t0, "name"), "compile");
	assert_int_equal(int_of(t0, "count"), 3);
	assert_int_equal(int_of(t0, "wall_ns"), 73 * MS);
	assert_int_equal(int_of(t0, "cpu_ns"), 42 * MS);
	assert_null(json_object_get(t0, "failed"));
	json_t *t3 = json_array_get(tl, 3);
	assert_string_equal(str_of(t3, "name"), "vet");
	assert_int_equal(int_of(t3, "failed"), 1);

	/* Diagnostics: the root's and a's, by file, line and column; other events left out. */
	json_t *dg = json_object_get(d, "diagnostics");
	assert_int_equal(json_array_size(dg), 3);
	json_t *g0 = json_array_get(dg, 0), *g1 = json_array_get(dg, 1),
	       *g2 = json_array_get(dg, 2);
	assert_string_equal(str_of(g0, "file"), "a.go");
	assert_int_equal(int_of(g0, "line"), 3);
	assert_null(json_object_get(g0, "col"));
	assert_string_equal(str_of(g0, "severity"), "info");
	assert_int_equal(int_of(g0, "span"), 0);
	assert_string_equal(str_of(g1, "analyzer"), "printf");
	assert_string_equal(str_of(g1, "severity"), "error");
	assert_int_equal(int_of(g1, "col"), 5);
	assert_string_equal(str_of(g1, "message"),
	                    "bad \xef\xbf\xbd\xef\xbf\xbd utf8 \"quoted\" 'single' & <!-- -->");
	assert_string_equal(str_of(g2, "file"), "b.go");
	assert_string_equal(str_of(g2, "message"), HOSTILE);
	assert_int_equal(int_of(g2, "span"), index_of(sp, "example.com/a"));

	json_decref(d);
	e->free(e);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(rmdir(dir), 0);
	free(path);
	free(dir);
}

/*
 * golive dev's shape: a root "cycle" (its parent elsewhere) with "build"
 * (with its tools) and "restart" under it. The critical path steps from
 * restart to build, which ended last before restart started.
 */
static void test_nested(void **state)
{
	(void)state;
	char *dir = make_tmpdir(), *path = xasprintf("%s/dev.html", dir), *cause = NULL;
	struct trace_attr ip[] = {
	    {"golive.importpath", TRACE_ATTR_STRING, {.s = "example.com/app"}},
	    {"process.exit.code", TRACE_ATTR_INT, {.i = 3}},
	};
	struct trace_attr ca[] = {
	    {"golive.cycle", TRACE_ATTR_INT, {.i = 4}},
	    {"golive.trigger", TRACE_ATTR_STRING, {.s = "edit"}},
	    {"golive.files", TRACE_ATTR_STRING, {.s = "main.go"}},
	    {"golive.build", TRACE_ATTR_STRING, {.s = "ok"}},
	};
	struct trace_attr ba[] = {
	    {"process.exit.code", TRACE_ATTR_INT, {.i = 0}},
	    {"golive.packages", TRACE_ATTR_STRING, {.s = "./cmd/app"}},
	    {"golive.go_version", TRACE_ATTR_STRING, {.s = "go1.19.8"}},
	};
	struct span spans[] = {
	    tool(1, 77, "cycle", 0, 100, ca, ARRAY_SIZE(ca)),
	    tool(2, 1, "build", 0, 60, ba, ARRAY_SIZE(ba)),
	    tool(3, 2, "compile", 5, 40, ip, ARRAY_SIZE(ip)),
	    tool(4, 2, "link", 41, 59, ip, ARRAY_SIZE(ip)),
	    tool(5, 1, "restart", 61, 90, NULL, 0),
	};
	struct trace_exporter *e = trace_html_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->begin(e, NULL, &cause), 0);
	for (size_t i = 0; i < ARRAY_SIZE(spans); i++)
		assert_int_equal(e->span(e, &spans[i], &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);

	json_t *d = load_report(path);
	assert_int_equal(check_spans(d, 5, 1), 4);
	json_t *sp = json_object_get(d, "spans");
	/* start order: cycle, build (longer), compile, link, restart */
	static const char *const order[] = {"cycle", "build", "compile", "link", "restart"};
	static const json_int_t parent[] = {-1, 0, 1, 1, 0};
	for (size_t i = 0; i < 5; i++) {
		json_t *s = json_array_get(sp, i);
		assert_string_equal(str_of(s, "name"), order[i]);
		if (parent[i] < 0)
			assert_null(json_object_get(s, "parent"));
		else
			assert_int_equal(int_of(s, "parent"), parent[i]);
	}
	static const char *const chain[] = {"build", "restart"};
	expect_critical(d, chain, ARRAY_SIZE(chain));
	/* Tool time counts the leaves: compile, link and restart. */
	assert_int_equal(int_of(d, "tool_wall_ns"), (35 + 18 + 29) * MS);
	/* The header: the cycle's attributes, then its build's (not a tool's exit code). */
	json_t *sm = json_object_get(d, "summary");
	assert_string_equal(str_of(sm, "name"), "cycle");
	assert_int_equal(int_of(sm, "cycle"), 4);
	assert_string_equal(str_of(sm, "trigger"), "edit");
	assert_string_equal(str_of(sm, "changed"), "main.go");
	assert_string_equal(str_of(sm, "build"), "ok");
	assert_string_equal(str_of(sm, "packages"), "./cmd/app");
	assert_string_equal(str_of(sm, "go_version"), "go1.19.8");
	assert_int_equal(int_of(sm, "exit_code"), 0);
	assert_null(json_object_get(sm, "tool_runs"));
	/* The cycle's golive.files is text (what changed), not a tool's file count. */
	assert_null(json_object_get(json_array_get(sp, 0), "files"));
	assert_int_equal(json_array_size(json_object_get(d, "diagnostics")), 0);
	json_decref(d);
	e->free(e);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/*
 * Ties and zero-length spans: the chain ends, visits each span at most
 * once, and at one end time prefers the longer span.
 */
static void test_critical_ties(void **state)
{
	(void)state;
	char *dir = make_tmpdir(), *path = xasprintf("%s/ties.html", dir), *cause = NULL;
	struct trace_attr ip[6];
	static const char *const names[] = {"p0", "p1", "p2", "p3", "p4", "p5"};
	for (size_t i = 0; i < 6; i++)
		ip[i] =
		    (struct trace_attr){"golive.importpath", TRACE_ATTR_STRING, {.s = names[i]}};
	struct span spans[] = {
	    tool(1, 0, "compile", 10, 10, &ip[0], 1), tool(2, 0, "compile", 10, 10, &ip[1], 1),
	    tool(3, 0, "compile", 10, 10, &ip[2], 1), tool(4, 0, "compile", 0, 10, &ip[3], 1),
	    tool(5, 0, "compile", 5, 10, &ip[4], 1),  tool(6, 0, "link", 20, 30, &ip[5], 1),
	};
	struct trace_exporter *e = trace_html_new(path, &cause);
	assert_non_null(e);
	for (size_t i = 0; i < ARRAY_SIZE(spans); i++)
		assert_int_equal(e->span(e, &spans[i], &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	/* Without a parent every span is a root: no bars, no critical path. */
	json_t *d = load_report(path);
	assert_int_equal(check_spans(d, 6, 6), 0);
	assert_int_equal(json_array_size(json_object_get(d, "critical")), 0);
	json_decref(d);
	e->free(e);
	unlink(path);

	/* The same under a root: p5 ends last; at 20, p3 (0..10) is the longest to end at 10. */
	struct span root = tool(100, 0, "build", 0, 30, NULL, 0);
	for (size_t i = 0; i < ARRAY_SIZE(spans); i++)
		set_id(spans[i].parent_id, 100);
	e = trace_html_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->span(e, &root, &cause), 0);
	for (size_t i = 0; i < ARRAY_SIZE(spans); i++)
		assert_int_equal(e->span(e, &spans[i], &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	d = load_report(path);
	assert_int_equal(check_spans(d, 7, 1), 6);
	static const char *const chain[] = {"p3", "p5"};
	expect_critical(d, chain, ARRAY_SIZE(chain));
	json_decref(d);
	e->free(e);
	unlink(path);

	/*
	 * Only zero-length spans at one time: each once, then the chain stops
	 * (identical but for their ids, they are in span id order).
	 */
	e = trace_html_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->span(e, &root, &cause), 0);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(e->span(e, &spans[i], &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	d = load_report(path);
	static const char *const zeros[] = {"p2", "p1", "p0"};
	expect_critical(d, zeros, ARRAY_SIZE(zeros));
	json_decref(d);
	e->free(e);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/* Twenty packages: the fifteen slowest, slowest first, shares of all tool time. */
static void test_top_packages(void **state)
{
	(void)state;
	char *dir = make_tmpdir(), *path = xasprintf("%s/top.html", dir), *cause = NULL;
	char names[20][32];
	struct trace_attr ip[20];
	struct span spans[21];
	spans[0] = tool(1000, 0, "build", 0, 1000, NULL, 0);
	for (int i = 0; i < 20; i++) {
		snprintf(names[i], sizeof(names[i]), "example.com/p%02d", i);
		ip[i] =
		    (struct trace_attr){"golive.importpath", TRACE_ATTR_STRING, {.s = names[i]}};
		spans[i + 1] =
		    tool((unsigned)i + 1, 1000, "compile", i, i + 10 * (i + 1), &ip[i], 1);
	}
	struct trace_exporter *e = trace_html_new(path, &cause);
	assert_non_null(e);
	for (size_t i = 0; i < ARRAY_SIZE(spans); i++)
		assert_int_equal(e->span(e, &spans[i], &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	json_t *d = load_report(path);
	assert_int_equal(check_spans(d, 21, 1), 20);
	json_t *pk = json_object_get(d, "packages");
	assert_int_equal(json_array_size(pk), 15);
	assert_int_equal(int_of(d, "tool_wall_ns"), 2100 * MS); /* 10 + 20 + ... + 200 */
	for (size_t i = 0; i < 15; i++) {
		json_t *p = json_array_get(pk, i);
		char want[32];
		snprintf(want, sizeof(want), "example.com/p%02d", (int)(19 - i));
		assert_string_equal(str_of(p, "importpath"), want);
		assert_int_equal(int_of(p, "wall_ns"), (json_int_t)(10 * (20 - i)) * MS);
		double share = json_real_value(json_object_get(p, "share"));
		assert_true(share > 10.0 * (20 - (double)i) / 2100 - 1e-9);
		assert_true(share < 10.0 * (20 - (double)i) / 2100 + 1e-9);
	}
	json_decref(d);
	e->free(e);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/* No spans at all, and a root alone: a page still, with empty sections. */
static void test_empty(void **state)
{
	(void)state;
	char *dir = make_tmpdir(), *path = xasprintf("%s/empty.html", dir), *cause = NULL;
	struct trace_exporter *e = trace_html_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->begin(e, NULL, &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	json_t *d = load_report(path);
	assert_int_equal(check_spans(d, 0, 0), 0);
	assert_int_equal(json_array_size(json_object_get(d, "critical")), 0);
	assert_int_equal(json_array_size(json_object_get(d, "packages")), 0);
	assert_int_equal(json_array_size(json_object_get(d, "diagnostics")), 0);
	assert_int_equal(int_of(d, "wall_ns"), 0);
	json_decref(d);
	e->free(e);

	struct span root = tool(1, 0, "build", 3, 3, NULL, 0);
	e = trace_html_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->span(e, &root, &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	d = load_report(path);
	assert_int_equal(check_spans(d, 1, 1), 0);
	assert_int_equal(json_array_size(json_object_get(d, "critical")), 0);
	json_decref(d);
	e->free(e);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

/* A path that cannot be created fails at creation, naming it. */
static void test_bad_path(void **state)
{
	(void)state;
	char *dir = make_tmpdir(), *cause = NULL;
	char *path = xasprintf("%s/nosuchdir/r.html", dir);
	assert_null(trace_html_new(path, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	free(cause);
	cause = NULL;
	assert_null(trace_html_new(dir, &cause)); /* a directory */
	assert_non_null(cause);
	assert_non_null(strstr(cause, dir));
	free(cause);
	free(path);
	rmdir(dir);
	free(dir);
}

/* end() once; a second end() and a span() after it fail; free() without end() writes nothing. */
static void test_end_twice(void **state)
{
	(void)state;
	char *dir = make_tmpdir(), *path = xasprintf("%s/twice.html", dir), *cause = NULL;
	struct span s = tool(1, 0, "build", 0, 1, NULL, 0);

	struct trace_exporter *e = trace_html_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->span(e, &s, &cause), 0);
	e->free(e);
	assert_int_equal(access(path, F_OK), -1);

	e = trace_html_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->span(e, &s, &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	assert_null(cause);
	assert_int_equal(e->end(e, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	free(cause);
	cause = NULL;
	assert_int_equal(e->span(e, &s, &cause), -1);
	assert_non_null(cause);
	free(cause);
	e->free(e);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	rmdir(dir);
	free(path);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_build),         cmocka_unit_test(test_nested),
	    cmocka_unit_test(test_critical_ties), cmocka_unit_test(test_top_packages),
	    cmocka_unit_test(test_empty),         cmocka_unit_test(test_bad_path),
	    cmocka_unit_test(test_end_twice),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
