/*
 * test_trace_chrome.c - src/trace/trace_chrome.c: synthetic spans with a known
 * shape, the spans of a real `golive build` of examples/webapp, and a bad
 * path. Every written file is parsed back with jansson and checked against
 * the Chrome trace event format and the spans that went in.
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
#include <unistd.h>

#include "core/gotool.h"
#include "wrapper/session.h"
#include "trace/trace.h"
#include "core/util.h"

#define MS 1000000LL /* nanoseconds */

/* A fresh temporary directory (malloc'd path). */
static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *templ = xasprintf("%s/golive-tch-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(templ));
	return templ;
}

static void remove_tree(const char *dir)
{
	char *argv[] = {"rm", "-rf", (char *)dir, NULL};
	char *cause = NULL;
	struct strbuf sink = STRBUF_INIT;
	assert_int_equal(gotool_run_capture(argv, &sink, NULL, 0, &cause), 0);
	strbuf_release(&sink);
	free(cause);
}

static void set_id(uint8_t id[8], unsigned n)
{
	memset(id, 0, 8);
	for (int i = 0; i < 4; i++)
		id[7 - i] = (uint8_t)(n >> (8 * i));
}

/* The largest number of non-root spans running at once (half-open intervals). */
static long max_concurrency(const struct span *spans, size_t n, const int *is_root)
{
	long best = 0;
	for (size_t i = 0; i < n; i++) {
		if (is_root[i])
			continue;
		long c = 0; /* running at spans[i]'s start */
		for (size_t j = 0; j < n; j++)
			if (!is_root[j] && spans[j].start_ns <= spans[i].start_ns &&
			    spans[j].end_ns > spans[i].start_ns)
				c++;
		if (c > best)
			best = c;
	}
	return best;
}

static json_int_t int_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	assert_true(json_is_integer(v));
	return json_integer_value(v);
}

/* The first X event named name, or NULL. */
static json_t *find_x(json_t *events, const char *name)
{
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev)
	{
		const char *ph = json_string_value(json_object_get(ev, "ph"));
		const char *nm = json_string_value(json_object_get(ev, "name"));
		if (ph && strcmp(ph, "X") == 0 && nm && strcmp(nm, name) == 0)
			return ev;
	}
	return NULL;
}

struct checked {
	size_t x;        /* complete events */
	long lanes;      /* distinct tids > 0 among them */
	long named;      /* thread_name metadata events */
	int process;     /* a process_name metadata event */
	json_int_t last; /* the largest ts + dur of a non-root event */
};

/*
 * Parses path and checks what holds for every trace: the document's shape,
 * the fields of every X event, no overlap within a tid > 0, one X event per
 * span with its duration right to the microsecond, the roots on tid 0 and
 * as many lanes as the spans' largest concurrency. Returns the parsed
 * document (the caller decrefs it).
 */
static json_t *check_trace(const char *path, const struct span *spans, size_t n,
                           struct checked *out)
{
	json_error_t jerr;
	json_t *doc = json_load_file(path, 0, &jerr);
	if (!doc)
		fail_msg("%s: %s", path, jerr.text);
	assert_true(json_is_object(doc));
	json_t *events = json_object_get(doc, "traceEvents");
	assert_true(json_is_array(events));
	assert_string_equal(json_string_value(json_object_get(doc, "displayTimeUnit")), "ms");

	int64_t t0 = INT64_MAX;
	for (size_t i = 0; i < n; i++)
		if (spans[i].start_ns < t0)
			t0 = spans[i].start_ns;
	int *is_root = xcalloc(n ? n : 1, sizeof(int));
	for (size_t i = 0; i < n; i++) {
		is_root[i] = 1;
		for (size_t j = 0; j < n; j++)
			if (memcmp(spans[i].parent_id, spans[j].span_id, 8) == 0)
				is_root[i] = 0;
	}

	memset(out, 0, sizeof(*out));
	ARRAY(json_t *) xs = ARRAY_INIT;
	int *matched = xcalloc(n ? n : 1, sizeof(int));
	long maxtid = 0;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev)
	{
		const char *ph = json_string_value(json_object_get(ev, "ph"));
		assert_non_null(ph);
		assert_int_equal(int_of(ev, "pid"), 1);
		json_int_t tid = int_of(ev, "tid");
		if (strcmp(ph, "M") == 0) {
			const char *nm = json_string_value(json_object_get(ev, "name"));
			assert_non_null(nm);
			json_t *args = json_object_get(ev, "args");
			assert_true(json_is_object(args));
			if (strcmp(nm, "process_name") == 0) {
				assert_non_null(json_string_value(json_object_get(args, "name")));
				out->process = 1;
			} else if (strcmp(nm, "thread_name") == 0) {
				const char *tn = json_string_value(json_object_get(args, "name"));
				assert_non_null(tn);
				if (tid == 0) {
					assert_string_equal(tn, "build");
				} else {
					char want[32];
					snprintf(want, sizeof(want), "lane %lld", (long long)tid);
					assert_string_equal(tn, want);
				}
				out->named++;
			}
			continue;
		}
		assert_string_equal(ph, "X");
		const char *name = json_string_value(json_object_get(ev, "name"));
		assert_non_null(name);
		assert_string_equal(json_string_value(json_object_get(ev, "cat")), name);
		json_int_t ts = int_of(ev, "ts"), dur = int_of(ev, "dur");
		assert_true(ts >= 0);
		assert_true(dur >= 0);
		assert_true(json_is_object(json_object_get(ev, "args")));
		if (tid > maxtid)
			maxtid = tid;
		ARRAY_PUSH(xs, ev);

		/* The span it stands for: same name, start and duration to the microsecond. */
		size_t k;
		for (k = 0; k < n; k++) {
			if (matched[k] || strcmp(spans[k].name, name) != 0)
				continue;
			double want_ts = (double)(spans[k].start_ns - t0) / 1000.0;
			double want_dur = (double)(spans[k].end_ns - spans[k].start_ns) / 1000.0;
			if ((double)ts - want_ts > 1 || want_ts - (double)ts > 1 ||
			    (double)dur - want_dur > 1 || want_dur - (double)dur > 1)
				continue;
			if ((tid == 0) != is_root[k])
				continue;
			break;
		}
		if (k == n)
			fail_msg("X event %s ts %lld dur %lld tid %lld matches no span", name,
			         (long long)ts, (long long)dur, (long long)tid);
		matched[k] = 1;
		if (!is_root[k] && ts + dur > out->last)
			out->last = ts + dur;
	}
	out->x = xs.n;
	assert_int_equal(xs.n, n);

	/* No two events of one lane overlap; every lane up to the largest is used. */
	for (long t = 1; t <= maxtid; t++) {
		int used = 0;
		for (size_t a = 0; a < xs.n; a++) {
			if (int_of(xs.v[a], "tid") != t)
				continue;
			used = 1;
			json_int_t as = int_of(xs.v[a], "ts"), ae = as + int_of(xs.v[a], "dur");
			for (size_t b = a + 1; b < xs.n; b++) {
				if (int_of(xs.v[b], "tid") != t)
					continue;
				json_int_t bs = int_of(xs.v[b], "ts"),
				           be = bs + int_of(xs.v[b], "dur");
				if (as < be && bs < ae)
					fail_msg("lane %ld: [%lld, %lld) overlaps [%lld, %lld)", t,
					         (long long)as, (long long)ae, (long long)bs,
					         (long long)be);
			}
		}
		assert_true(used);
	}
	out->lanes = maxtid;
	assert_int_equal(out->lanes, max_concurrency(spans, n, is_root));
	assert_int_equal(out->named, out->lanes + 1); /* "build" and each lane */
	assert_true(out->process);

	ARRAY_FREE(xs);
	free(matched);
	free(is_root);
	return doc;
}

/* ---- synthetic spans ----------------------------------------------------- */

static void test_synthetic(void **state)
{
	(void)state;
	const int64_t base = 1700000000LL * 1000000000LL;
	struct trace_attr compile_attrs[] = {
	    {"golive.importpath", TRACE_ATTR_STRING, {.s = "example.com/app"}},
	    {"golive.files", TRACE_ATTR_INT, {.i = 3}},
	    {"golive.cpu_ratio", TRACE_ATTR_DOUBLE, {.d = 1.5}},
	    {"golive.cached", TRACE_ATTR_BOOL, {.b = 0}},
	};
	struct trace_attr bad_attrs[] = {
	    {"golive.importpath", TRACE_ATTR_STRING, {.s = "bad\xff\xfe"}},
	    {"golive.exit_code", TRACE_ATTR_INT, {.i = 1}},
	};
	/*
	 * build  0 ............................. 10ms  (root)
	 * a      0 ..... 4                             lane 1
	 * b        1.0004 .. 3.0003                    lane 2
	 * c          2 ....... 6                       lane 3
	 * d                4 ....... 8                 lane 1 (a ended at 4)
	 * e                  5.5 ....... 9 (failed)    lane 2
	 * Three run at once (2..3 and 5.5..6): three lanes.
	 */
	struct span spans[] = {
	    {.name = "build", .start_ns = base, .end_ns = base + 10 * MS},
	    {.name = "compile", .start_ns = base, .end_ns = base + 4 * MS},
	    {.name = "asm", .start_ns = base + 1000400, .end_ns = base + 3000300},
	    {.name = "compile", .start_ns = base + 2 * MS, .end_ns = base + 6 * MS},
	    {.name = "vet", .start_ns = base + 4 * MS, .end_ns = base + 8 * MS},
	    {.name = "link", .start_ns = base + 5500000, .end_ns = base + 9 * MS},
	};
	size_t n = ARRAY_SIZE(spans);
	for (size_t i = 0; i < n; i++) {
		set_id(spans[i].span_id, (unsigned)i + 1);
		if (i > 0)
			set_id(spans[i].parent_id, 1);
	}
	spans[1].attrs = compile_attrs;
	spans[1].nattrs = ARRAY_SIZE(compile_attrs);
	spans[5].error = 1;
	spans[5].status_message = "exit status 1";
	spans[5].attrs = bad_attrs;
	spans[5].nattrs = ARRAY_SIZE(bad_attrs);

	char *dir = make_tmpdir();
	char *path = xasprintf("%s/trace.json", dir);
	char *cause = NULL;
	struct trace_exporter *e = trace_chrome_new(path, &cause);
	assert_non_null(e);
	assert_null(cause);
	assert_string_equal(e->name, "chrome");

	struct trace_attr res_attrs[] = {
	    {"service.name", TRACE_ATTR_STRING, {.s = "golive build"}},
	};
	struct trace_resource res = {res_attrs, ARRAY_SIZE(res_attrs)};
	assert_int_equal(e->begin(e, &res, &cause), 0);

	/* Out of order, and from copies that are scribbled over afterwards. */
	static const size_t feed[] = {4, 2, 0, 5, 3, 1};
	for (size_t f = 0; f < ARRAY_SIZE(feed); f++) {
		struct span copy = spans[feed[f]];
		char *name = xstrdup(copy.name);
		copy.name = name;
		assert_int_equal(e->span(e, &copy, &cause), 0);
		memset(name, 'x', strlen(name));
		free(name);
	}
	assert_int_equal(access(path, F_OK), -1); /* nothing written before end() */
	assert_int_equal(e->end(e, &cause), 0);
	assert_null(cause);
	char *tmp = xasprintf("%s.tmp", path);
	assert_int_equal(access(tmp, F_OK), -1);
	free(tmp);

	/* end() twice: an error with a cause, not a crash; span() after end too. */
	assert_int_equal(e->end(e, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	free(cause);
	cause = NULL;
	assert_int_equal(e->span(e, &spans[0], &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	e->free(e);

	struct checked c;
	json_t *doc = check_trace(path, spans, n, &c);
	assert_int_equal(c.x, 6);
	assert_int_equal(c.lanes, 3);
	json_t *events = json_object_get(doc, "traceEvents");

	json_t *build = find_x(events, "build");
	assert_non_null(build);
	assert_int_equal(int_of(build, "tid"), 0);
	assert_int_equal(int_of(build, "ts"), 0);
	assert_int_equal(int_of(build, "dur"), 10000);

	json_t *asmx = find_x(events, "asm");
	assert_int_equal(int_of(asmx, "ts"), 1000);
	assert_int_equal(int_of(asmx, "dur"), 2000);
	assert_int_equal(int_of(asmx, "tid"), 2);
	assert_int_equal(int_of(find_x(events, "vet"), "tid"), 1);

	/* The first compile (lane 1) carries the typed attributes. */
	json_t *comp = NULL;
	size_t i;
	json_t *ev;
	json_array_foreach(events, i, ev)
	{
		const char *nm = json_string_value(json_object_get(ev, "name"));
		if (nm && strcmp(nm, "compile") == 0 && int_of(ev, "ts") == 0)
			comp = ev;
	}
	assert_non_null(comp);
	assert_int_equal(int_of(comp, "tid"), 1);
	assert_int_equal(int_of(comp, "dur"), 4000);
	json_t *args = json_object_get(comp, "args");
	assert_string_equal(json_string_value(json_object_get(args, "golive.importpath")),
	                    "example.com/app");
	assert_true(json_is_integer(json_object_get(args, "golive.files")));
	assert_int_equal(json_integer_value(json_object_get(args, "golive.files")), 3);
	assert_true(json_is_real(json_object_get(args, "golive.cpu_ratio")));
	assert_true(json_real_value(json_object_get(args, "golive.cpu_ratio")) == 1.5);
	assert_true(json_is_false(json_object_get(args, "golive.cached")));
	assert_null(json_object_get(args, "error"));

	/* The failed link: "error": true, the status message, invalid UTF-8 mended. */
	json_t *link = find_x(events, "link");
	assert_int_equal(int_of(link, "tid"), 2);
	args = json_object_get(link, "args");
	assert_true(json_is_true(json_object_get(args, "error")));
	assert_string_equal(json_string_value(json_object_get(args, "status_message")),
	                    "exit status 1");
	assert_string_equal(json_string_value(json_object_get(args, "golive.importpath")),
	                    "bad\xef\xbf\xbd\xef\xbf\xbd");
	assert_int_equal(json_integer_value(json_object_get(args, "golive.exit_code")), 1);

	/* The process is named from the resource. */
	json_array_foreach(events, i, ev)
	{
		const char *nm = json_string_value(json_object_get(ev, "name"));
		if (nm && strcmp(nm, "process_name") == 0)
			assert_string_equal(
			    json_string_value(json_object_get(json_object_get(ev, "args"), "name")),
			    "golive build");
	}
	json_decref(doc);

	free(path);
	remove_tree(dir);
	free(dir);
}

/* No spans at all: still a valid trace, with the metadata. */
static void test_empty(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *path = xasprintf("%s/empty.json", dir);
	char *cause = NULL;
	struct trace_exporter *e = trace_chrome_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->begin(e, NULL, &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	e->free(e);
	struct checked c;
	json_t *doc = check_trace(path, NULL, 0, &c);
	assert_int_equal(c.x, 0);
	json_decref(doc);

	/* An exporter freed without end() writes nothing. */
	char *path2 = xasprintf("%s/never.json", dir);
	e = trace_chrome_new(path2, &cause);
	assert_non_null(e);
	struct span s = {.name = "build", .start_ns = 1, .end_ns = 2};
	assert_int_equal(e->span(e, &s, &cause), 0);
	e->free(e);
	assert_int_equal(access(path2, F_OK), -1);

	free(path2);
	free(path);
	remove_tree(dir);
	free(dir);
}

/* ---- bad paths ----------------------------------------------------------- */

static void test_bad_path(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *path = xasprintf("%s/missing/trace.json", dir);
	char *cause = NULL;
	assert_null(trace_chrome_new(path, &cause));
	assert_non_null(cause);
	char *want = xasprintf("chrome trace %s: %s", path, strerror(ENOENT));
	assert_string_equal(cause, want);
	assert_null(strchr(cause, '\n'));
	free(want);
	free(cause);
	cause = NULL;
	free(path);

	/* The path is a directory. */
	assert_null(trace_chrome_new(dir, &cause));
	assert_non_null(cause);
	assert_non_null(strstr(cause, dir));
	free(cause);
	cause = NULL;

	/* The "directory" is a file. */
	char *file = xasprintf("%s/file", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	path = xasprintf("%s/trace.json", file);
	assert_null(trace_chrome_new(path, &cause));
	assert_non_null(strstr(cause, path));
	assert_non_null(strstr(cause, strerror(ENOTDIR)));
	free(cause);
	free(path);
	free(file);

	remove_tree(dir);
	free(dir);
}

/* ---- real data: a golive build of examples/webapp ------------------------ */

static void test_real_build(void **state)
{
	(void)state;
	const char *golive = getenv("GOLIVE");
	const char *src = getenv("GOLIVE_SRC");
	if (!golive || !*golive) {
		skip();
		return;
	}
	assert_non_null(src);

	char *tmp = make_tmpdir();
	char *copy = xasprintf("%s/src", tmp);
	char *from = xasprintf("%s/examples/webapp", src);
	char *out = xasprintf("%s/webapp", tmp);
	char *cause = NULL;
	char *cp[] = {"cp", "-R", from, copy, NULL};
	struct strbuf sink = STRBUF_INIT;
	assert_int_equal(gotool_run_capture(cp, &sink, NULL, 0, &cause), 0);
	strbuf_release(&sink);

	char *old_tmpdir = getenv("TMPDIR") ? xstrdup(getenv("TMPDIR")) : NULL;
	char *cwd = getcwd(NULL, 0);
	assert_non_null(cwd);
	setenv("TMPDIR", tmp, 1);
	setenv("GOFLAGS", "", 1);
	setenv("GOTOOLCHAIN", "local", 1);
	unsetenv("GOLIVE_SESSION");
	assert_int_equal(chdir(copy), 0);
	char *argv[] = {(char *)golive, "build", "--keep", "--json", "-o", out, ".", NULL};
	struct strbuf sout = STRBUF_INIT, serr = STRBUF_INIT;
	int status = gotool_run_capture(argv, &sout, &serr, 16 << 20, &cause);
	assert_int_equal(chdir(cwd), 0);
	if (old_tmpdir)
		setenv("TMPDIR", old_tmpdir, 1);
	else
		unsetenv("TMPDIR");
	if (status != 0)
		fail_msg("golive build: %d %s\n%s", status, cause ? cause : "", serr.buf);

	json_error_t jerr;
	json_t *summary = json_loads(sout.buf, 0, &jerr);
	if (!summary)
		fail_msg("summary: %s\n%s", jerr.text, sout.buf);
	const char *sdir = json_string_value(json_object_get(summary, "session"));
	assert_non_null(sdir);
	assert_true(starts_with(sdir, tmp));
	struct session sess = {xstrdup(sdir)};
	json_decref(summary);

	event_array evs = ARRAY_INIT;
	long long off = 0;
	long bad = 0;
	assert_true(session_read_events(&sess, &off, &evs, &bad) > 0);
	assert_int_equal(bad, 0);

	/* One span per tool run under one build root from the first start to the last end. */
	ARRAY(struct span) spans = ARRAY_INIT;
	struct trace_attr *attrs = xcalloc(evs.n ? evs.n * 4 : 1, sizeof(*attrs));
	struct span root;
	memset(&root, 0, sizeof(root));
	root.name = "build";
	root.start_ns = INT64_MAX;
	root.end_ns = INT64_MIN;
	set_id(root.span_id, 1);
	ARRAY_PUSH(spans, root);
	for (size_t i = 0; i < evs.n; i++) {
		const struct event *ev = &evs.v[i];
		if (ev->probe)
			continue;
		struct span s;
		memset(&s, 0, sizeof(s));
		set_id(s.span_id, (unsigned)i + 2);
		set_id(s.parent_id, 1);
		s.name = ev->tool;
		s.start_ns = ev->start_ns;
		s.end_ns = ev->start_ns + ev->wall_ns;
		s.error = ev->exit != 0;
		s.status_message = s.error ? "tool failed" : NULL;
		struct trace_attr *a = &attrs[i * 4];
		a[0] = (struct trace_attr){"golive.importpath",
		                           TRACE_ATTR_STRING,
		                           {.s = ev->importpath ? ev->importpath : ""}};
		a[1] = (struct trace_attr){"golive.exit_code", TRACE_ATTR_INT, {.i = ev->exit}};
		a[2] = (struct trace_attr){"golive.files", TRACE_ATTR_INT, {.i = ev->files}};
		a[3] = (struct trace_attr){
		    "golive.maxrss_kb", TRACE_ATTR_INT, {.i = ev->tool_maxrss_kb}};
		s.attrs = a;
		s.nattrs = 4;
		if (s.start_ns < spans.v[0].start_ns)
			spans.v[0].start_ns = s.start_ns;
		if (s.end_ns > spans.v[0].end_ns)
			spans.v[0].end_ns = s.end_ns;
		ARRAY_PUSH(spans, s);
	}
	assert_true(spans.n > 1);

	char *path = xasprintf("%s/trace.json", tmp);
	struct trace_exporter *e = trace_chrome_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->begin(e, NULL, &cause), 0);
	for (size_t i = spans.n; i-- > 0;) /* the root last */
		assert_int_equal(e->span(e, &spans.v[i], &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	e->free(e);

	struct checked c;
	json_t *doc = check_trace(path, spans.v, spans.n, &c);
	json_t *events = json_object_get(doc, "traceEvents");
	json_t *link = find_x(events, "link");
	assert_non_null(link);
	assert_true(int_of(link, "tid") > 0);
	assert_int_equal(int_of(link, "ts") + int_of(link, "dur"), c.last);
	json_t *largs = json_object_get(link, "args");
	assert_true(json_is_integer(json_object_get(largs, "golive.maxrss_kb")));
	assert_true(json_integer_value(json_object_get(largs, "golive.maxrss_kb")) > 0);
	print_message("real build: %zu events (%zu probes left out), %zu spans, %ld lanes\n", evs.n,
	              evs.n - (spans.n - 1), spans.n, c.lanes);
	json_decref(doc);

	free(path);
	free(attrs);
	ARRAY_FREE(spans);
	event_array_release(&evs);
	session_release(&sess);
	strbuf_release(&sout);
	strbuf_release(&serr);
	free(old_tmpdir);
	free(cwd);
	remove_tree(tmp);
	free(out);
	free(from);
	free(copy);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_synthetic),
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_bad_path),
	    cmocka_unit_test(test_real_build),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
