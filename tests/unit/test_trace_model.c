/*
 * test_trace_model.c - src/trace/trace.c and the decoder of src/trace/trace_otlp.c: deep
 * span copies and their release, trace_export_all() over exporters that
 * fail at each step, the resource from OTEL_SERVICE_NAME and
 * OTEL_RESOURCE_ATTRIBUTES, and trace_otlp_decode() as the reverse of the
 * OTLP/JSON encoder (a round trip compared field by field) and on malformed
 * documents (each rejected with a cause naming the JSON path).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "trace/trace.h"
#include "core/util.h"

#define MS 1000000LL /* nanoseconds */

static void unset_otel(void)
{
	unsetenv("OTEL_SERVICE_NAME");
	unsetenv("OTEL_RESOURCE_ATTRIBUTES");
}

static int env_setup(void **state)
{
	(void)state;
	unset_otel();
	return 0;
}

static int env_teardown(void **state)
{
	(void)state;
	unset_otel();
	return 0;
}

static void set_id(uint8_t *id, size_t len, unsigned n)
{
	memset(id, 0, len);
	for (int i = 0; i < 4; i++)
		id[len - 1 - (size_t)i] = (uint8_t)(n >> (8 * i));
	id[0] = 0xa0 | (uint8_t)(n & 0xf); /* letters in the hex */
}

/* Two attribute lists are equal: keys, types and values, in order. */
static void assert_attrs_equal(const struct trace_attr *a, size_t na, const struct trace_attr *b,
                               size_t nb)
{
	assert_int_equal(na, nb);
	for (size_t i = 0; i < na; i++) {
		assert_string_equal(a[i].key, b[i].key);
		assert_int_equal(a[i].type, b[i].type);
		switch (a[i].type) {
		case TRACE_ATTR_STRING:
			assert_string_equal(a[i].v.s ? a[i].v.s : "", b[i].v.s ? b[i].v.s : "");
			break;
		case TRACE_ATTR_INT:
			assert_int_equal(a[i].v.i, b[i].v.i);
			break;
		case TRACE_ATTR_DOUBLE:
			if (isnan(a[i].v.d))
				assert_true(isnan(b[i].v.d));
			else
				assert_true(a[i].v.d == b[i].v.d);
			break;
		case TRACE_ATTR_BOOL:
			assert_int_equal(!!a[i].v.b, !!b[i].v.b);
			break;
		}
	}
}

/* Every field of two spans is equal (strings by value). */
static void assert_spans_equal(const struct span *a, const struct span *b)
{
	assert_memory_equal(a->trace_id, b->trace_id, 16);
	assert_memory_equal(a->span_id, b->span_id, 8);
	assert_memory_equal(a->parent_id, b->parent_id, 8);
	assert_string_equal(a->name, b->name);
	assert_int_equal(a->start_ns, b->start_ns);
	assert_int_equal(a->end_ns, b->end_ns);
	assert_int_equal(!!a->error, !!b->error);
	if (a->status_message)
		assert_string_equal(a->status_message, b->status_message);
	else
		assert_null(b->status_message);
	if (a->trace_state)
		assert_string_equal(a->trace_state, b->trace_state);
	else
		assert_null(b->trace_state);
	assert_attrs_equal(a->attrs, a->nattrs, b->attrs, b->nattrs);
	assert_int_equal(a->nevents, b->nevents);
	for (size_t i = 0; i < a->nevents; i++) {
		assert_string_equal(a->events[i].name, b->events[i].name);
		assert_int_equal(a->events[i].time_ns, b->events[i].time_ns);
		assert_attrs_equal(a->events[i].attrs, a->events[i].nattrs, b->events[i].attrs,
		                   b->events[i].nattrs);
	}
}

/* ---- trace_span_copy / trace_span_release -------------------------------- */

static void test_span_copy_deep(void **state)
{
	(void)state;
	/* Everything the source points to is on the heap, freed after the copy. */
	char *name = xstrdup("compile"), *msg = xstrdup("exit status 2");
	char *ts = xstrdup("vendor=a,other=b"), *ev_name = xstrdup("golive.diagnostic");
	char *k1 = xstrdup("golive.importpath"), *v1 = xstrdup("example.com/app");
	char *k2 = xstrdup("message"), *v2 = xstrdup("unused variable");
	struct trace_attr *attrs = xcalloc(5, sizeof(*attrs));
	attrs[0] = (struct trace_attr){k1, TRACE_ATTR_STRING, {.s = v1}};
	attrs[1] = (struct trace_attr){"golive.files", TRACE_ATTR_INT, {.i = -7}};
	attrs[2] = (struct trace_attr){NULL, TRACE_ATTR_INT, {.i = 99}}; /* no key: dropped */
	attrs[3] = (struct trace_attr){"ratio", TRACE_ATTR_DOUBLE, {.d = 0.25}};
	attrs[4] = (struct trace_attr){"cached", TRACE_ATTR_BOOL, {.b = 1}};
	struct trace_attr *ev_attrs = xcalloc(2, sizeof(*ev_attrs));
	ev_attrs[0] = (struct trace_attr){k2, TRACE_ATTR_STRING, {.s = v2}};
	ev_attrs[1] = (struct trace_attr){"nothing", TRACE_ATTR_STRING, {.s = NULL}};
	struct span_event *events = xcalloc(2, sizeof(*events));
	events[0] = (struct span_event){ev_name, 5 * MS, ev_attrs, 2};
	events[1] = (struct span_event){NULL, 6 * MS, NULL, 0}; /* NULL name becomes "" */

	struct span s;
	memset(&s, 0, sizeof(s));
	set_id(s.trace_id, 16, 1);
	set_id(s.span_id, 8, 2);
	set_id(s.parent_id, 8, 3);
	s.name = name;
	s.start_ns = 1 * MS;
	s.end_ns = 9 * MS;
	s.error = 1;
	s.status_message = msg;
	s.attrs = attrs;
	s.nattrs = 5;
	s.trace_state = ts;
	s.events = events;
	s.nevents = 2;

	struct span d;
	trace_span_copy(&d, &s);
	/* Scribble over and free the source: the copy owns everything. */
	assert_ptr_not_equal(d.name, name);
	assert_ptr_not_equal(d.attrs, attrs);
	assert_ptr_not_equal(d.events, events);
	memset(name, 'x', strlen(name));
	memset(v1, 'x', strlen(v1));
	memset(v2, 'x', strlen(v2));
	memset(ts, 'x', strlen(ts));
	free(name);
	free(msg);
	free(ts);
	free(ev_name);
	free(k1);
	free(v1);
	free(k2);
	free(v2);
	free(attrs);
	free(ev_attrs);
	free(events);

	uint8_t id[16];
	set_id(id, 16, 1);
	assert_memory_equal(d.trace_id, id, 16);
	set_id(id, 8, 2);
	assert_memory_equal(d.span_id, id, 8);
	set_id(id, 8, 3);
	assert_memory_equal(d.parent_id, id, 8);
	assert_string_equal(d.name, "compile");
	assert_int_equal(d.start_ns, 1 * MS);
	assert_int_equal(d.end_ns, 9 * MS);
	assert_int_equal(d.error, 1);
	assert_string_equal(d.status_message, "exit status 2");
	assert_string_equal(d.trace_state, "vendor=a,other=b");
	assert_int_equal(d.nattrs, 4);
	assert_string_equal(d.attrs[0].key, "golive.importpath");
	assert_string_equal(d.attrs[0].v.s, "example.com/app");
	assert_string_equal(d.attrs[1].key, "golive.files");
	assert_int_equal(d.attrs[1].v.i, -7);
	assert_string_equal(d.attrs[2].key, "ratio");
	assert_true(d.attrs[2].v.d == 0.25);
	assert_string_equal(d.attrs[3].key, "cached");
	assert_int_equal(d.attrs[3].type, TRACE_ATTR_BOOL);
	assert_int_equal(d.attrs[3].v.b, 1);
	assert_int_equal(d.nevents, 2);
	assert_string_equal(d.events[0].name, "golive.diagnostic");
	assert_int_equal(d.events[0].time_ns, 5 * MS);
	assert_int_equal(d.events[0].nattrs, 2);
	assert_string_equal(d.events[0].attrs[0].key, "message");
	assert_string_equal(d.events[0].attrs[0].v.s, "unused variable");
	assert_null(d.events[0].attrs[1].v.s);
	assert_string_equal(d.events[1].name, "");
	assert_int_equal(d.events[1].nattrs, 0);
	assert_null(d.events[1].attrs);

	trace_span_release(&d);
	struct span zero;
	memset(&zero, 0, sizeof(zero));
	assert_memory_equal(&d, &zero, sizeof(d));
}

static void test_span_copy_clamps_and_defaults(void **state)
{
	(void)state;
	struct span s;
	memset(&s, 0, sizeof(s));
	s.name = NULL;
	s.start_ns = 10 * MS;
	s.end_ns = 3 * MS; /* before the start */
	s.nevents = 3;     /* without events: none */
	s.nattrs = 2;      /* without attrs: none */
	struct span d;
	trace_span_copy(&d, &s);
	assert_string_equal(d.name, "");
	assert_int_equal(d.start_ns, 10 * MS);
	assert_int_equal(d.end_ns, 10 * MS);
	assert_null(d.status_message);
	assert_null(d.trace_state);
	assert_null(d.attrs);
	assert_int_equal(d.nattrs, 0);
	assert_null(d.events);
	assert_int_equal(d.nevents, 0);
	trace_span_release(&d);

	/* An end equal to the start stays; a later end stays. */
	s.name = "x";
	s.nevents = 0;
	s.nattrs = 0;
	s.end_ns = s.start_ns + 1;
	trace_span_copy(&d, &s);
	assert_int_equal(d.end_ns, 10 * MS + 1);
	trace_span_release(&d);
}

static void test_spans_release(void **state)
{
	(void)state;
	span_array a = ARRAY_INIT;
	struct trace_attr attr = {"k", TRACE_ATTR_STRING, {.s = "v"}};
	struct span_event ev = {"e", 1, &attr, 1};
	for (int i = 0; i < 20; i++) {
		struct span s, c;
		memset(&s, 0, sizeof(s));
		s.name = "s";
		s.attrs = &attr;
		s.nattrs = 1;
		s.events = &ev;
		s.nevents = 1;
		s.trace_state = "a=b";
		trace_span_copy(&c, &s);
		ARRAY_PUSH(a, c);
	}
	trace_spans_release(&a); /* the leak checker sees whatever is left */
	assert_null(a.v);
	assert_int_equal(a.n, 0);
	trace_spans_release(&a); /* an empty array: nothing to do */
	assert_null(a.v);
}

/* ---- trace_export_all ------------------------------------------------------ */

/* An exporter that records its calls and fails where it is told to. */
struct mock_exporter {
	struct trace_exporter base;
	struct strbuf log;
	int fail_begin, fail_span_at, fail_end; /* fail_span_at: index, or -1 */
	int silent;                             /* fail without a cause */
	int nspans;
};

static int mock_fail(struct mock_exporter *m, const char *where, char **cause)
{
	if (!m->silent)
		*cause = xasprintf("%s: %s failed", m->base.name, where);
	return -1;
}

static int mock_begin(struct trace_exporter *e, const struct trace_resource *res, char **cause)
{
	struct mock_exporter *m = (struct mock_exporter *)e;
	strbuf_addf(&m->log, "begin(%zu);", res ? res->nattrs : 0);
	return m->fail_begin ? mock_fail(m, "begin", cause) : 0;
}

static int mock_span(struct trace_exporter *e, const struct span *s, char **cause)
{
	struct mock_exporter *m = (struct mock_exporter *)e;
	strbuf_addf(&m->log, "span(%s);", s->name);
	return m->fail_span_at == m->nspans++ ? mock_fail(m, "span", cause) : 0;
}

static int mock_end(struct trace_exporter *e, char **cause)
{
	struct mock_exporter *m = (struct mock_exporter *)e;
	strbuf_addstr(&m->log, "end;");
	return m->fail_end ? mock_fail(m, "end", cause) : 0;
}

static void mock_init(struct mock_exporter *m, const char *name)
{
	memset(m, 0, sizeof(*m));
	m->base.name = name;
	m->base.begin = mock_begin;
	m->base.span = mock_span;
	m->base.end = mock_end;
	m->log = (struct strbuf)STRBUF_INIT;
	m->fail_span_at = -1;
}

static void test_export_all(void **state)
{
	(void)state;
	struct span spans[3];
	memset(spans, 0, sizeof(spans));
	spans[0].name = "build";
	spans[1].name = "compile";
	spans[2].name = "link";
	struct trace_attr ra[] = {{"service.name", TRACE_ATTR_STRING, {.s = "golive"}}};
	struct trace_resource res = {ra, 1};
	const char *all = "begin(1);span(build);span(compile);span(link);end;";

	/* All succeed. */
	struct mock_exporter m[4];
	struct trace_exporter *ex[4];
	for (size_t i = 0; i < 4; i++) {
		mock_init(&m[i], i == 0 ? "a" : i == 1 ? "b" : i == 2 ? "c" : "d");
		ex[i] = &m[i].base;
	}
	char *cause = (char *)"garbage"; /* reset by the call */
	assert_int_equal(trace_export_all(ex, 4, &res, spans, 3, &cause), 0);
	assert_null(cause);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(m[i].log.buf, all);
		strbuf_release(&m[i].log);
	}

	/* b fails at its second span, c at begin, d at end: everyone still runs
	 * every step, and the first failure is the cause. */
	for (size_t i = 0; i < 4; i++)
		mock_init(&m[i], i == 0 ? "a" : i == 1 ? "b" : i == 2 ? "c" : "d");
	m[1].fail_span_at = 1;
	m[2].fail_begin = 1;
	m[3].fail_end = 1;
	assert_int_equal(trace_export_all(ex, 4, &res, spans, 3, &cause), -1);
	assert_non_null(cause);
	assert_string_equal(cause, "b: span failed");
	free(cause);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(m[i].log.buf, all);
		strbuf_release(&m[i].log);
	}

	/* Only the last one fails: its cause. */
	for (size_t i = 0; i < 4; i++)
		mock_init(&m[i], i == 0 ? "a" : i == 1 ? "b" : i == 2 ? "c" : "d");
	m[3].fail_begin = 1;
	assert_int_equal(trace_export_all(ex, 4, NULL, spans, 3, &cause), -1);
	assert_string_equal(cause, "d: begin failed");
	free(cause);
	for (size_t i = 0; i < 4; i++) {
		assert_string_equal(m[i].log.buf,
		                    "begin(0);span(build);span(compile);span(link);end;");
		strbuf_release(&m[i].log);
	}

	/* A failure without a cause still fails, with a generic one. */
	mock_init(&m[0], "a");
	m[0].silent = 1;
	m[0].fail_end = 1;
	assert_int_equal(trace_export_all(ex, 1, &res, spans, 0, &cause), -1);
	assert_non_null(cause);
	assert_true(strlen(cause) > 0);
	assert_string_equal(m[0].log.buf, "begin(1);end;");
	free(cause);
	strbuf_release(&m[0].log);

	/* No exporters: nothing to fail. */
	assert_int_equal(trace_export_all(ex, 0, &res, spans, 3, &cause), 0);
	assert_null(cause);
}

/* ---- trace_resource_from_env ----------------------------------------------- */

/* The attribute named key, or NULL; fails when it appears more than once. */
static const struct trace_attr *res_get(const struct trace_resource *r, const char *key)
{
	const struct trace_attr *found = NULL;
	for (size_t i = 0; i < r->nattrs; i++)
		if (strcmp(r->attrs[i].key, key) == 0) {
			if (found)
				fail_msg("attribute %s twice", key);
			found = &r->attrs[i];
		}
	return found;
}

static const char *res_str(const struct trace_resource *r, const char *key)
{
	const struct trace_attr *a = res_get(r, key);
	if (!a)
		fail_msg("no attribute %s", key);
	assert_int_equal(a->type, TRACE_ATTR_STRING);
	return a->v.s;
}

/* The built-in attributes are there with the right types. */
static void check_builtins(const struct trace_resource *r, const char *service)
{
	assert_string_equal(r->attrs[0].key, "service.name");
	assert_string_equal(res_str(r, "service.name"), service);
	assert_true(strlen(res_str(r, "service.version")) > 0);
	const struct trace_attr *pid = res_get(r, "process.pid");
	assert_non_null(pid);
	assert_int_equal(pid->type, TRACE_ATTR_INT);
	assert_int_equal(pid->v.i, getpid());
	char host[256];
	assert_int_equal(gethostname(host, sizeof(host)), 0);
	host[sizeof(host) - 1] = '\0';
	assert_string_equal(res_str(r, "host.name"), host);
}

static void test_resource_default(void **state)
{
	(void)state;
	struct trace_resource r;
	char *warning = (char *)"garbage";
	trace_resource_from_env(&r, &warning);
	assert_null(warning);
	check_builtins(&r, "golive");
	assert_int_equal(r.nattrs, 4);
	trace_resource_release(&r);
	assert_null(r.attrs);
	assert_int_equal(r.nattrs, 0);

	/* Empty variables are as good as unset. */
	setenv("OTEL_SERVICE_NAME", "", 1);
	setenv("OTEL_RESOURCE_ATTRIBUTES", "", 1);
	trace_resource_from_env(&r, &warning);
	assert_null(warning);
	check_builtins(&r, "golive");
	assert_int_equal(r.nattrs, 4);
	trace_resource_release(&r);
}

static void test_resource_service_name_precedence(void **state)
{
	(void)state;
	struct trace_resource r;
	char *warning;

	/* From the attributes when OTEL_SERVICE_NAME is unset. */
	setenv("OTEL_RESOURCE_ATTRIBUTES", "team=core, service.name = from%20attrs", 1);
	trace_resource_from_env(&r, &warning);
	assert_null(warning);
	check_builtins(&r, "from attrs");
	assert_string_equal(res_str(&r, "team"), "core");
	assert_int_equal(r.nattrs, 5);
	trace_resource_release(&r);

	/* ... or empty. */
	setenv("OTEL_SERVICE_NAME", "", 1);
	trace_resource_from_env(&r, &warning);
	check_builtins(&r, "from attrs");
	trace_resource_release(&r);

	/* OTEL_SERVICE_NAME wins, and service.name is not repeated. */
	setenv("OTEL_SERVICE_NAME", "ci-builds", 1);
	trace_resource_from_env(&r, &warning);
	assert_null(warning);
	check_builtins(&r, "ci-builds");
	assert_string_equal(res_str(&r, "team"), "core");
	assert_int_equal(r.nattrs, 5);
	trace_resource_release(&r);

	/* Taken as given, no decoding. */
	setenv("OTEL_SERVICE_NAME", "a%20b", 1);
	unsetenv("OTEL_RESOURCE_ATTRIBUTES");
	trace_resource_from_env(&r, &warning);
	check_builtins(&r, "a%20b");
	trace_resource_release(&r);
}

static void test_resource_parsing(void **state)
{
	(void)state;
	struct trace_resource r;
	char *warning;
	setenv("OTEL_RESOURCE_ATTRIBUTES",
	       " deployment.environment = staging ,\tk8s.pod.name=web%2D1\t,,  ,"
	       "note=a%2Cb%3Dc%25,empty=,sp=%20x%20,UP=%41%62",
	       1);
	trace_resource_from_env(&r, &warning);
	assert_null(warning); /* blank members are skipped silently */
	check_builtins(&r, "golive");
	assert_string_equal(res_str(&r, "deployment.environment"), "staging");
	assert_string_equal(res_str(&r, "k8s.pod.name"), "web-1");
	assert_string_equal(res_str(&r, "note"), "a,b=c%");
	assert_string_equal(res_str(&r, "empty"), "");
	assert_string_equal(res_str(&r, "sp"), " x "); /* trimmed before decoding */
	assert_string_equal(res_str(&r, "UP"), "Ab");
	assert_int_equal(r.nattrs, 4 + 6);
	/* In the order given, after the built-in ones. */
	assert_string_equal(r.attrs[4].key, "deployment.environment");
	assert_string_equal(r.attrs[9].key, "UP");
	trace_resource_release(&r);
}

static void test_resource_malformed(void **state)
{
	(void)state;
	struct trace_resource r;
	char *warning;
	static const char *const bad[] = {
	    "noequals", "=value", " = value", "k=%zz", "k=%4", "k=abc%", "%g1=v",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *env = xasprintf("good=1,%s,also=2", bad[i]);
		setenv("OTEL_RESOURCE_ATTRIBUTES", env, 1);
		trace_resource_from_env(&r, &warning);
		if (!warning)
			fail_msg("no warning for %s", env);
		assert_non_null(strstr(warning, "OTEL_RESOURCE_ATTRIBUTES"));
		assert_non_null(strstr(warning, bad[i]));
		assert_null(strchr(warning, '\n'));
		check_builtins(&r, "golive");
		assert_string_equal(res_str(&r, "good"), "1");
		assert_string_equal(res_str(&r, "also"), "2");
		assert_int_equal(r.nattrs, 6);
		free(warning);
		trace_resource_release(&r);
		free(env);
	}

	/* Several malformed members: one warning, naming the first. */
	setenv("OTEL_RESOURCE_ATTRIBUTES", "first-bad,ok=yes,second-bad,=x", 1);
	trace_resource_from_env(&r, &warning);
	assert_non_null(warning);
	assert_non_null(strstr(warning, "first-bad"));
	assert_null(strstr(warning, "second-bad"));
	assert_null(strchr(warning, '\n'));
	assert_string_equal(res_str(&r, "ok"), "yes");
	assert_int_equal(r.nattrs, 5);
	free(warning);
	trace_resource_release(&r);

	/* A very long malformed member is cut in the warning. */
	struct strbuf sb = STRBUF_INIT;
	for (int i = 0; i < 1000; i++)
		strbuf_addch(&sb, 'z');
	setenv("OTEL_RESOURCE_ATTRIBUTES", sb.buf, 1);
	trace_resource_from_env(&r, &warning);
	assert_non_null(warning);
	assert_true(strlen(warning) < 300);
	assert_int_equal(r.nattrs, 4);
	free(warning);
	trace_resource_release(&r);
	strbuf_release(&sb);
}

static void test_resource_builtin_duplicates(void **state)
{
	(void)state;
	struct trace_resource r;
	char *warning;
	setenv("OTEL_RESOURCE_ATTRIBUTES",
	       "process.pid=1,host.name=elsewhere,service.version=0.0.0-fake,team=x", 1);
	trace_resource_from_env(&r, &warning);
	assert_null(warning);
	check_builtins(&r, "golive"); /* pid and host.name are the real ones */
	assert_string_not_equal(res_str(&r, "service.version"), "0.0.0-fake");
	assert_string_equal(res_str(&r, "team"), "x");
	assert_int_equal(r.nattrs, 5);
	trace_resource_release(&r);
}

/* ---- trace_otlp_decode: round trip ------------------------------------------ */

/* deliver() of an OTLP exporter that keeps the JSON. */
static int capture_deliver(void *ctx, const char *json, size_t len, char **cause)
{
	(void)cause;
	struct strbuf *sb = ctx;
	assert_int_equal(strlen(json), len);
	strbuf_reset(sb);
	strbuf_add(sb, json, len);
	return 0;
}

/* spans through trace_otlp_new(); the request's JSON in *out. */
static void encode(const struct trace_resource *res, const struct span *spans, size_t n,
                   struct strbuf *out)
{
	char *cause = NULL;
	struct trace_exporter *e = trace_otlp_new("otlp-test", "test", capture_deliver, NULL, out);
	assert_non_null(e);
	assert_int_equal(e->begin(e, res, &cause), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e->span(e, &spans[i], &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	assert_null(cause);
	e->free(e);
	assert_true(out->len > 0);
	assert_int_not_equal(out->buf[out->len - 1], '\n');
}

static json_t *jget(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!v)
		fail_msg("missing key %s", key);
	return v;
}

static void test_decode_round_trip(void **state)
{
	(void)state;
	const int64_t base = 1764000000LL * 1000000000LL + 987654321;
	struct trace_attr root_attrs[] = {
	    {"process.exit.code", TRACE_ATTR_INT, {.i = 1}},
	    {"golive.packages", TRACE_ATTR_STRING, {.s = "./... \"quoted\" \xc3\xa9"}},
	};
	struct trace_attr compile_attrs[] = {
	    {"golive.importpath", TRACE_ATTR_STRING, {.s = "example.com/app"}},
	    {"golive.bytes", TRACE_ATTR_INT, {.i = 9007199254740993LL}}, /* 2^53 + 1 */
	    {"golive.min", TRACE_ATTR_INT, {.i = INT64_MIN}},
	    {"golive.max", TRACE_ATTR_INT, {.i = INT64_MAX}},
	    {"golive.ratio", TRACE_ATTR_DOUBLE, {.d = 0.1}},
	    {"golive.big", TRACE_ATTR_DOUBLE, {.d = -1.5e300}},
	    {"golive.whole", TRACE_ATTR_DOUBLE, {.d = 3.0}},
	    {"golive.cached", TRACE_ATTR_BOOL, {.b = 1}},
	    {"golive.stale", TRACE_ATTR_BOOL, {.b = 0}},
	    {"golive.empty", TRACE_ATTR_STRING, {.s = ""}},
	};
	struct trace_attr diag1[] = {
	    {"code.filepath", TRACE_ATTR_STRING, {.s = "/src/app/main.go"}},
	    {"code.lineno", TRACE_ATTR_INT, {.i = 12}},
	    {"code.column", TRACE_ATTR_INT, {.i = 3}},
	    {"golive.analyzer", TRACE_ATTR_STRING, {.s = "httpctx"}},
	    {"golive.severity", TRACE_ATTR_STRING, {.s = "warning"}},
	    {"message", TRACE_ATTR_STRING, {.s = "request without context"}},
	};
	struct trace_attr diag2[] = {
	    {"golive.analyzer", TRACE_ATTR_STRING, {.s = "logtrace"}},
	};
	struct span_event events[] = {
	    {"golive.diagnostic", base + 4 * MS, diag1, ARRAY_SIZE(diag1)},
	    {"golive.diagnostic", base + 4 * MS, diag2, ARRAY_SIZE(diag2)},
	    {"bare", base + 2 * MS, NULL, 0},
	};
	struct span spans[4];
	memset(spans, 0, sizeof(spans));
	for (size_t i = 0; i < ARRAY_SIZE(spans); i++) {
		set_id(spans[i].trace_id, 16, 0xfeed);
		set_id(spans[i].span_id, 8, 0x100 + (unsigned)i);
		if (i > 0)
			memcpy(spans[i].parent_id, spans[0].span_id, 8);
	}
	set_id(spans[0].parent_id, 8, 0xbeef); /* the build under a remote parent */
	spans[0].name = "build";
	spans[0].start_ns = base;
	spans[0].end_ns = base + 10 * MS;
	spans[0].error = 1;
	spans[0].status_message = "go build failed";
	spans[0].attrs = root_attrs;
	spans[0].nattrs = ARRAY_SIZE(root_attrs);
	spans[0].trace_state = "vendor=abc,rojo=00f067aa0ba902b7";
	spans[1].name = "compile";
	spans[1].start_ns = base + 1 * MS;
	spans[1].end_ns = base + 4 * MS;
	spans[1].attrs = compile_attrs;
	spans[1].nattrs = ARRAY_SIZE(compile_attrs);
	spans[1].events = events;
	spans[1].nevents = ARRAY_SIZE(events);
	spans[1].trace_state = "vendor=abc";
	spans[2].name = "link";
	spans[2].start_ns = base + 5 * MS;
	spans[2].end_ns = base + 9 * MS;
	spans[2].error = 1; /* failed, without a message */
	spans[3].name = "vet";
	spans[3].start_ns = base + 5 * MS;
	spans[3].end_ns = base + 5 * MS;
	memset(spans[3].parent_id, 0, 8); /* a root of its own */

	struct trace_attr res_attrs[] = {{"service.name", TRACE_ATTR_STRING, {.s = "golive"}}};
	struct trace_resource res = {res_attrs, 1};
	struct strbuf js = STRBUF_INIT;
	encode(&res, spans, ARRAY_SIZE(spans), &js);

	/* The encoder writes traceState and events. */
	json_error_t jerr;
	json_t *doc = json_loadb(js.buf, js.len, JSON_REJECT_DUPLICATES, &jerr);
	assert_non_null(doc);
	json_t *jspans = jget(
	    json_array_get(jget(json_array_get(jget(doc, "resourceSpans"), 0), "scopeSpans"), 0),
	    "spans");
	assert_int_equal(json_array_size(jspans), 4);
	json_t *j0 = json_array_get(jspans, 0), *j1 = json_array_get(jspans, 1);
	json_t *j2 = json_array_get(jspans, 2), *j3 = json_array_get(jspans, 3);
	assert_string_equal(json_string_value(jget(j0, "traceState")),
	                    "vendor=abc,rojo=00f067aa0ba902b7");
	assert_string_equal(json_string_value(jget(j0, "parentSpanId")), "af0000000000beef");
	assert_null(json_object_get(j0, "events")); /* none: left out */
	assert_null(json_object_get(j2, "traceState"));
	assert_null(json_object_get(j3, "parentSpanId"));
	json_t *jev = jget(j1, "events");
	assert_true(json_is_array(jev));
	assert_int_equal(json_array_size(jev), 3);
	json_t *e0 = json_array_get(jev, 0);
	assert_string_equal(json_string_value(jget(e0, "name")), "golive.diagnostic");
	char *want_t = xasprintf("%lld", (long long)(base + 4 * MS));
	assert_string_equal(json_string_value(jget(e0, "timeUnixNano")), want_t);
	free(want_t);
	json_t *ea = jget(e0, "attributes");
	assert_int_equal(json_array_size(ea), ARRAY_SIZE(diag1));
	json_t *lineno = json_array_get(ea, 1);
	assert_string_equal(json_string_value(jget(lineno, "key")), "code.lineno");
	assert_string_equal(json_string_value(jget(jget(lineno, "value"), "intValue")), "12");
	json_t *e2 = json_array_get(jev, 2);
	assert_true(json_is_array(jget(e2, "attributes")));
	assert_int_equal(json_array_size(jget(e2, "attributes")), 0);
	/* A failed span without a message: code 2 only. */
	json_t *st2 = jget(j2, "status");
	assert_int_equal(json_integer_value(jget(st2, "code")), 2);
	assert_null(json_object_get(st2, "message"));
	json_decref(doc);

	/* Back: appended after what out held, every field equal. */
	span_array out = ARRAY_INIT;
	struct span pre, copy;
	memset(&pre, 0, sizeof(pre));
	pre.name = "already there";
	trace_span_copy(&copy, &pre);
	ARRAY_PUSH(out, copy);
	char *cause = NULL;
	assert_int_equal(trace_otlp_decode(js.buf, js.len, &out, &cause), 4);
	assert_null(cause);
	assert_int_equal(out.n, 5);
	assert_string_equal(out.v[0].name, "already there");
	for (size_t i = 0; i < ARRAY_SIZE(spans); i++)
		assert_spans_equal(&out.v[1 + i], &spans[i]);
	assert_null(out.v[3].status_message);
	assert_int_equal(out.v[3].error, 1);
	trace_spans_release(&out);

	/* Decoding only reads len bytes. */
	strbuf_addstr(&js, "garbage after the document");
	assert_int_equal(
	    trace_otlp_decode(js.buf, js.len - strlen("garbage after the document"), &out, &cause),
	    4);
	trace_spans_release(&out);
	strbuf_release(&js);
}

/* A NaN or infinite double is written as a string ("NaN", "Infinity"): it must come back. */
static void test_decode_round_trip_nonfinite(void **state)
{
	(void)state;
	struct trace_attr attrs[] = {
	    {"nan", TRACE_ATTR_DOUBLE, {.d = NAN}},
	    {"inf", TRACE_ATTR_DOUBLE, {.d = INFINITY}},
	    {"minf", TRACE_ATTR_DOUBLE, {.d = -INFINITY}},
	};
	struct span s;
	memset(&s, 0, sizeof(s));
	set_id(s.trace_id, 16, 1);
	set_id(s.span_id, 8, 1);
	s.name = "compile";
	s.start_ns = 1;
	s.end_ns = 2;
	s.attrs = attrs;
	s.nattrs = ARRAY_SIZE(attrs);
	struct strbuf js = STRBUF_INIT;
	encode(NULL, &s, 1, &js);
	assert_non_null(strstr(js.buf, "\"doubleValue\":\"NaN\""));
	assert_non_null(strstr(js.buf, "\"doubleValue\":\"-Infinity\""));
	span_array out = ARRAY_INIT;
	char *cause = NULL;
	assert_int_equal(trace_otlp_decode(js.buf, js.len, &out, &cause), 1);
	assert_spans_equal(&out.v[0], &s);
	assert_true(out.v[0].attrs[1].v.d > 0);
	trace_spans_release(&out);
	strbuf_release(&js);
}

/* Times are fixed64 on the wire: a negative one is no time the encoder could have written. */
static void test_decode_negative_times(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"0102030405060708\","
	    "\"name\":\"x\",\"startTimeUnixNano\":\"-5\",\"endTimeUnixNano\":\"10\"}",
	    "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"0102030405060708\","
	    "\"name\":\"x\",\"startTimeUnixNano\":-5,\"endTimeUnixNano\":-1}",
	    "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"0102030405060708\","
	    "\"name\":\"x\",\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\","
	    "\"events\":[{\"name\":\"e\",\"timeUnixNano\":\"-3\"}]}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		char *doc =
		    xasprintf("{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[%s]}]}]}", bad[i]);
		span_array out = ARRAY_INIT;
		char *cause = NULL;
		long n = trace_otlp_decode(doc, strlen(doc), &out, &cause);
		if (n != -1)
			fail_msg("accepted a negative time: %s", bad[i]);
		assert_non_null(cause);
		assert_non_null(strstr(cause, "resourceSpans[0].scopeSpans[0].spans[0]"));
		assert_int_equal(out.n, 0);
		free(cause);
		free(doc);
	}
}

/* ---- trace_otlp_decode: what golive's files may also hold ------------------ */

static void test_decode_lenient(void **state)
{
	(void)state;
	/* Several resources and scopes; uppercase hex; integer times; an empty
	 * parentSpanId; unknown attribute values skipped; no scopeSpans; status
	 * message without an error dropped; an empty traceState. */
	const char *doc =
	    "{\"resourceSpans\":["
	    "{\"resource\":{\"attributes\":[]},\"scopeSpans\":["
	    "{\"scope\":{\"name\":\"other\"},\"spans\":["
	    "{\"traceId\":\"0102030405060708090A0B0C0D0E0F10\",\"spanId\":\"A1A2A3A4A5A6A7A8\","
	    "\"parentSpanId\":\"\",\"name\":\"one\",\"startTimeUnixNano\":100,"
	    "\"endTimeUnixNano\":\"50\",\"traceState\":\"\",\"status\":{\"code\":1,"
	    "\"message\":\"ok-ish\"},\"attributes\":["
	    "{\"key\":\"arr\",\"value\":{\"arrayValue\":{\"values\":[]}}},"
	    "{\"key\":\"i\",\"value\":{\"intValue\":7}},"
	    "{\"key\":\"d\",\"value\":{\"doubleValue\":2}}]}]},"
	    "{\"spans\":[]}]},"
	    "{\"resource\":{}},"
	    "{\"scopeSpans\":[{\"spans\":["
	    "{\"traceId\":\"0102030405060708090a0b0c0d0e0f10\",\"spanId\":\"b1b2b3b4b5b6b7b8\","
	    "\"parentSpanId\":\"a1a2a3a4a5a6a7a8\",\"name\":\"two\","
	    "\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\",\"events\":[]}]}]}"
	    "]}";
	span_array out = ARRAY_INIT;
	char *cause = NULL;
	assert_int_equal(trace_otlp_decode(doc, strlen(doc), &out, &cause), 2);
	assert_null(cause);
	static const uint8_t tid[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t sid[8] = {0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8};
	static const uint8_t zero[8];
	assert_memory_equal(out.v[0].trace_id, tid, 16);
	assert_memory_equal(out.v[0].span_id, sid, 8);
	assert_memory_equal(out.v[0].parent_id, zero, 8);
	assert_string_equal(out.v[0].name, "one");
	assert_int_equal(out.v[0].start_ns, 100);
	assert_int_equal(out.v[0].end_ns, 100); /* not before the start */
	assert_null(out.v[0].trace_state);
	assert_int_equal(out.v[0].error, 0);
	assert_null(out.v[0].status_message);
	assert_int_equal(out.v[0].nattrs, 2);
	assert_string_equal(out.v[0].attrs[0].key, "i");
	assert_int_equal(out.v[0].attrs[0].type, TRACE_ATTR_INT);
	assert_int_equal(out.v[0].attrs[0].v.i, 7);
	assert_int_equal(out.v[0].attrs[1].type, TRACE_ATTR_DOUBLE);
	assert_true(out.v[0].attrs[1].v.d == 2.0);
	assert_string_equal(out.v[1].name, "two");
	assert_memory_equal(out.v[1].parent_id, sid, 8);
	assert_int_equal(out.v[1].nevents, 0);
	trace_spans_release(&out);

	/* An empty request. */
	const char *empty = "{\"resourceSpans\":[]}";
	assert_int_equal(trace_otlp_decode(empty, strlen(empty), &out, &cause), 0);
	assert_int_equal(out.n, 0);
}

/* ---- trace_otlp_decode: malformed documents -------------------------------- */

#define TID_OK "\"traceId\":\"0102030405060708090a0b0c0d0e0f10\""
#define SID_OK "\"spanId\":\"0102030405060708\""
#define TIMES  "\"startTimeUnixNano\":\"1\",\"endTimeUnixNano\":\"2\""
#define GOOD   "{" TID_OK "," SID_OK ",\"name\":\"good\"," TIMES "}"
/* A request whose one scope holds a good span and then s. */
#define DOC(s) "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[" GOOD "," s "]}]}]}"

static void test_decode_malformed(void **state)
{
	(void)state;
	static const struct {
		const char *doc;
		const char *where; /* in the cause */
		long kept;         /* spans left in out */
	} bad[] = {
	    {"not json", "line 1", 0},
	    {"", "line", 0},
	    {"[]", "resourceSpans", 0},
	    {"{}", "resourceSpans", 0},
	    {"{\"resourceSpans\":{}}", "resourceSpans: expected an array", 0},
	    {"{\"resourceSpans\":[{\"scopeSpans\":{}}]}", "resourceSpans[0].scopeSpans", 0},
	    {"{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":\"x\"}]}]}",
	     "resourceSpans[0].scopeSpans[0].spans", 0},
	    /* a span without traceId */
	    {DOC("{" SID_OK ",\"name\":\"x\"," TIMES "}"),
	     "resourceSpans[0].scopeSpans[0].spans[1]", 1},
	    /* without spanId, name or times */
	    {DOC("{" TID_OK ",\"name\":\"x\"," TIMES "}"), "spans[1]", 1},
	    {DOC("{" TID_OK "," SID_OK "," TIMES "}"), "spans[1]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\",\"startTimeUnixNano\":\"1\"}"), "spans[1]",
	     1},
	    /* a span that is not an object */
	    {DOC("[1]"), "spans[1]", 1},
	    /* bad hex ids */
	    {DOC("{\"traceId\":\"0102030405060708090a0b0c0d0e0fzz\"," SID_OK
	         ",\"name\":\"x\"," TIMES "}"),
	     "spans[1]", 1},
	    {DOC("{\"traceId\":\"0102\"," SID_OK ",\"name\":\"x\"," TIMES "}"), "spans[1]", 1},
	    {DOC("{" TID_OK ",\"spanId\":\"01020304050607080\",\"name\":\"x\"," TIMES "}"),
	     "spans[1]", 1},
	    {DOC("{" TID_OK ",\"spanId\":7,\"name\":\"x\"," TIMES "}"), "spans[1]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"parentSpanId\":\"xyz\",\"name\":\"x\"," TIMES "}"),
	     "spans[1]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"parentSpanId\":1,\"name\":\"x\"," TIMES "}"), "spans[1]",
	     1},
	    /* all-zero ids */
	    {DOC("{\"traceId\":\"00000000000000000000000000000000\"," SID_OK
	         ",\"name\":\"x\"," TIMES "}"),
	     "spans[1]", 1},
	    {DOC("{" TID_OK ",\"spanId\":\"0000000000000000\",\"name\":\"x\"," TIMES "}"),
	     "spans[1]", 1},
	    /* bad times */
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\",\"startTimeUnixNano\":\"1x\","
	         "\"endTimeUnixNano\":\"2\"}"),
	     "spans[1]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\",\"startTimeUnixNano\":1.5,"
	         "\"endTimeUnixNano\":\"2\"}"),
	     "spans[1]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\",\"startTimeUnixNano\":\"\","
	         "\"endTimeUnixNano\":\"2\"}"),
	     "spans[1]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\",\"startTimeUnixNano\":\"1\","
	         "\"endTimeUnixNano\":\"99999999999999999999\"}"),
	     "spans[1]", 1},
	    /* events not an array */
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\"," TIMES ",\"events\":{}}"),
	     "resourceSpans[0].scopeSpans[0].spans[1].events", 1},
	    /* an event with a bad timeUnixNano, or none, or no name */
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\"," TIMES ",\"events\":["
	         "{\"name\":\"ok\",\"timeUnixNano\":\"5\"},"
	         "{\"name\":\"e\",\"timeUnixNano\":\"soon\"}]}"),
	     "resourceSpans[0].scopeSpans[0].spans[1].events[1]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\"," TIMES ",\"events\":[{\"name\":\"e\"}]}"),
	     "spans[1].events[0]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\"," TIMES
	         ",\"events\":[{\"timeUnixNano\":\"5\"}]}"),
	     "spans[1].events[0]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\"," TIMES ",\"events\":[7]}"),
	     "spans[1].events[0]", 1},
	    /* attributes that are not a list of {"key", "value"} */
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\"," TIMES ",\"attributes\":{}}"),
	     "spans[1].attributes", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\"," TIMES
	         ",\"attributes\":[{\"key\":\"a\",\"value\":{\"stringValue\":\"s\"}},"
	         "{\"key\":\"b\"}]}"),
	     "spans[1].attributes[1]", 1},
	    {DOC("{" TID_OK "," SID_OK ",\"name\":\"x\"," TIMES ",\"events\":[{\"name\":\"e\","
	         "\"timeUnixNano\":\"5\",\"attributes\":[{\"value\":{}}]}]}"),
	     "spans[1].events[0].attributes[0]", 1},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		span_array out = ARRAY_INIT;
		char *cause = NULL;
		long n = trace_otlp_decode(bad[i].doc, strlen(bad[i].doc), &out, &cause);
		if (n != -1)
			fail_msg("accepted (%ld): %s", n, bad[i].doc);
		assert_non_null(cause);
		if (!strstr(cause, bad[i].where))
			fail_msg("cause \"%s\" does not name %s", cause, bad[i].where);
		assert_null(strchr(cause, '\n'));
		assert_int_equal(out.n, bad[i].kept);
		if (bad[i].kept)
			assert_string_equal(out.v[0].name, "good");
		free(cause);
		trace_spans_release(&out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_span_copy_deep),
	    cmocka_unit_test(test_span_copy_clamps_and_defaults),
	    cmocka_unit_test(test_spans_release),
	    cmocka_unit_test(test_export_all),
	    cmocka_unit_test_setup_teardown(test_resource_default, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_resource_service_name_precedence, env_setup,
	                                    env_teardown),
	    cmocka_unit_test_setup_teardown(test_resource_parsing, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_resource_malformed, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_resource_builtin_duplicates, env_setup,
	                                    env_teardown),
	    cmocka_unit_test(test_decode_round_trip),
	    cmocka_unit_test(test_decode_round_trip_nonfinite),
	    cmocka_unit_test(test_decode_negative_times),
	    cmocka_unit_test(test_decode_lenient),
	    cmocka_unit_test(test_decode_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
