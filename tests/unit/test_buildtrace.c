/*
 * test_buildtrace.c - src/trace/buildtrace.c: the build's trace context from
 * TRACEPARENT and TRACESTATE (joined, new, or with a warning), what it
 * passes down in the environment, and the spans made from a session's
 * events: the root span and its attributes, one span per tool run, the
 * wrappers' own span ids kept only when they belong to this build,
 * findings as span events, error status.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "trace/buildtrace.h"
#include "analysis/diag.h"
#include "wrapper/session.h"
#include "trace/trace.h"
#include "trace/tracectx.h"
#include "core/util.h"

#define MS 1000000LL /* nanoseconds */

#define TID "4bf92f3577b34da6a3ce929d0e0e4736"
#define PID "00f067aa0ba902b7"
#define TP  "00-" TID "-" PID "-01"

static const uint8_t tid_bytes[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
                                      0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
static const uint8_t pid_bytes[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
static const uint8_t zero[16];

static void unset_env(void)
{
	unsetenv("TRACEPARENT");
	unsetenv("TRACESTATE");
	unsetenv("OTEL_SERVICE_NAME");
	unsetenv("OTEL_RESOURCE_ATTRIBUTES");
}

static int env_setup(void **state)
{
	(void)state;
	unset_env();
	return 0;
}

static int env_teardown(void **state)
{
	(void)state;
	unset_env();
	return 0;
}

/* ---- buildtrace_init ------------------------------------------------------ */

static void test_init_new_trace(void **state)
{
	(void)state;
	struct buildtrace bt;
	char *warning = (char *)"garbage";
	int64_t before = now_unix_ns();
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	int64_t after = now_unix_ns();
	assert_null(warning);
	assert_memory_not_equal(bt.root.trace_id, zero, 16);
	assert_memory_not_equal(bt.root.span_id, zero, 8);
	assert_memory_equal(bt.parent_id, zero, 8);
	assert_int_equal(bt.root.flags, TRACE_FLAG_SAMPLED);
	assert_null(bt.tracestate);
	assert_true(bt.start_ns >= before && bt.start_ns <= after);

	/* Another build: another trace. */
	struct buildtrace bt2;
	assert_int_equal(buildtrace_init(&bt2, &warning), 0);
	assert_memory_not_equal(bt.root.trace_id, bt2.root.trace_id, 16);
	buildtrace_release(&bt);
	buildtrace_release(&bt2);

	/* A TRACESTATE without a TRACEPARENT belongs to nothing: ignored. */
	setenv("TRACESTATE", "vendor=x", 1);
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	assert_null(warning);
	assert_null(bt.tracestate);
	buildtrace_release(&bt);

	/* An empty TRACEPARENT is as good as none. */
	setenv("TRACEPARENT", "", 1);
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	assert_null(warning);
	assert_memory_equal(bt.parent_id, zero, 8);
	buildtrace_release(&bt);
}

static void test_init_joins(void **state)
{
	(void)state;
	struct buildtrace bt;
	char *warning = NULL;
	setenv("TRACEPARENT", TP, 1);
	setenv("TRACESTATE", " rojo=00f067aa0ba902b7 ,\t, congo=t61rcWkgMzE\t", 1);
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	assert_null(warning);
	assert_memory_equal(bt.root.trace_id, tid_bytes, 16);
	assert_memory_equal(bt.parent_id, pid_bytes, 8);
	assert_memory_not_equal(bt.root.span_id, pid_bytes, 8);
	assert_memory_not_equal(bt.root.span_id, zero, 8);
	assert_int_equal(bt.root.flags, 0x01);
	assert_non_null(bt.tracestate);
	assert_string_equal(bt.tracestate, "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
	buildtrace_release(&bt);
	assert_null(bt.tracestate);

	/* The flags are kept as received; an empty TRACESTATE is none. */
	setenv("TRACEPARENT", "00-" TID "-" PID "-00", 1);
	setenv("TRACESTATE", "", 1);
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	assert_null(warning);
	assert_int_equal(bt.root.flags, 0x00);
	assert_null(bt.tracestate);
	buildtrace_release(&bt);
}

static void test_init_invalid_traceparent(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "00-" TID "-" PID "-0",                           /* short */
	    "00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01", /* uppercase */
	    "00-00000000000000000000000000000000-" PID "-01", /* zero trace id */
	    "00-" TID "-0000000000000000-01",                 /* zero parent */
	    " " TP,                                           /* blank */
	    "ff-" TID "-" PID "-01",                          /* version ff */
	    "garbage",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct buildtrace bt;
		char *warning = NULL;
		setenv("TRACEPARENT", bad[i], 1);
		setenv("TRACESTATE", "vendor=valid", 1); /* valid, but of that trace: ignored */
		if (buildtrace_init(&bt, &warning) != 1)
			fail_msg("accepted %s", bad[i]);
		assert_non_null(warning);
		assert_non_null(strstr(warning, "TRACEPARENT"));
		assert_non_null(strstr(warning, "new trace"));
		assert_null(strchr(warning, '\n'));
		assert_memory_not_equal(bt.root.trace_id, tid_bytes, 16);
		assert_memory_not_equal(bt.root.trace_id, zero, 16);
		assert_memory_not_equal(bt.root.span_id, zero, 8);
		assert_memory_equal(bt.parent_id, zero, 8);
		assert_int_equal(bt.root.flags, TRACE_FLAG_SAMPLED);
		assert_null(bt.tracestate);
		free(warning);
		buildtrace_release(&bt);
	}
}

static void test_init_invalid_tracestate(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "a=1,a=2", /* a key twice */
	    "Upper=1", /* uppercase key */
	    "novalue", /* no '=' */
	    "k=v=w",   /* '=' in the value */
	    "1k=v",    /* a key starting with a digit, no tenant */
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct buildtrace bt;
		char *warning = NULL;
		setenv("TRACEPARENT", TP, 1);
		setenv("TRACESTATE", bad[i], 1);
		if (buildtrace_init(&bt, &warning) != 1)
			fail_msg("accepted TRACESTATE %s", bad[i]);
		assert_non_null(warning);
		assert_non_null(strstr(warning, "TRACESTATE"));
		assert_non_null(strstr(warning, "dropped"));
		assert_null(strstr(warning, "new trace"));
		assert_null(strchr(warning, '\n'));
		/* Joined all the same. */
		assert_memory_equal(bt.root.trace_id, tid_bytes, 16);
		assert_memory_equal(bt.parent_id, pid_bytes, 8);
		assert_null(bt.tracestate);
		free(warning);
		buildtrace_release(&bt);
	}
}

/* ---- buildtrace_setenv ---------------------------------------------------- */

static void test_setenv(void **state)
{
	(void)state;
	struct buildtrace bt;
	char *warning = NULL;
	setenv("TRACEPARENT", TP, 1);
	setenv("TRACESTATE", "b=2 , a=1", 1);
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	buildtrace_setenv(&bt);

	const char *tp = getenv("TRACEPARENT");
	assert_non_null(tp);
	assert_int_equal(strlen(tp), TRACEPARENT_LEN);
	char span_hex[17];
	tracectx_hex(bt.root.span_id, 8, span_hex);
	char *want = xasprintf("00-" TID "-%s-01", span_hex);
	assert_string_equal(tp, want);
	free(want);
	struct trace_ctx back;
	char *cause = NULL;
	assert_int_equal(tracectx_parse_traceparent(tp, &back, &cause), 0);
	assert_memory_equal(back.span_id, bt.root.span_id, 8);
	assert_string_equal(getenv("TRACESTATE"), "b=2,a=1");
	buildtrace_release(&bt);

	/* No tracestate: a stale TRACESTATE is removed. */
	unsetenv("TRACEPARENT");
	setenv("TRACESTATE", "stale=1", 1);
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	buildtrace_setenv(&bt);
	assert_null(getenv("TRACESTATE"));
	tracectx_hex(bt.root.span_id, 8, span_hex);
	assert_non_null(strstr(getenv("TRACEPARENT"), span_hex));
	assert_int_equal(strncmp(getenv("TRACEPARENT"), "00-", 3), 0);
	assert_string_equal(getenv("TRACEPARENT") + TRACEPARENT_LEN - 3, "-01");
	buildtrace_release(&bt);
}

/* ---- buildtrace_spans ----------------------------------------------------- */

static const struct trace_attr *find_attr(const struct trace_attr *a, size_t n, const char *key)
{
	const struct trace_attr *found = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(a[i].key, key) == 0) {
			if (found)
				fail_msg("attribute %s twice", key);
			found = &a[i];
		}
	return found;
}

static int64_t int_attr(const struct span *s, const char *key)
{
	const struct trace_attr *a = find_attr(s->attrs, s->nattrs, key);
	if (!a)
		fail_msg("span %s: no attribute %s", s->name, key);
	assert_int_equal(a->type, TRACE_ATTR_INT);
	return a->v.i;
}

static const char *str_attr(const struct trace_attr *attrs, size_t n, const char *key)
{
	const struct trace_attr *a = find_attr(attrs, n, key);
	if (!a)
		fail_msg("no attribute %s", key);
	assert_int_equal(a->type, TRACE_ATTR_STRING);
	return a->v.s;
}

static void test_spans(void **state)
{
	(void)state;
	struct buildtrace bt;
	char *warning = NULL;
	setenv("TRACEPARENT", TP, 1);
	setenv("TRACESTATE", "vendor=abc", 1);
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	const int64_t t0 = bt.start_ns;

	struct event ev[7];
	memset(ev, 0, sizeof(ev));
	/* 0: compile of a, from a wrapper that joined this build: its id is kept. */
	ev[0].tool = "compile";
	ev[0].importpath = "example.com/a";
	ev[0].pkg = "a";
	ev[0].path = "/go/pkg/tool/compile";
	ev[0].files = 3;
	ev[0].bytes = 4096;
	ev[0].start_ns = t0 + 1 * MS;
	ev[0].wall_ns = 2 * MS;
	ev[0].tool_user_ns = 111;
	ev[0].tool_sys_ns = 222;
	ev[0].tool_maxrss_kb = 333;
	ev[0].analysed = 1;
	ev[0].diags = 2;
	ev[0].has_span = 1;
	memcpy(ev[0].trace_id, bt.root.trace_id, 16);
	memcpy(ev[0].parent_id, bt.root.span_id, 8);
	static const uint8_t own[8] = {0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
	memcpy(ev[0].span_id, own, 8);
	/* 1: a probe: no span. */
	ev[1].tool = "compile";
	ev[1].probe = 1;
	ev[1].start_ns = t0;
	/* 2: compile of b under another build span of this trace: a fresh id. */
	ev[2].tool = "compile";
	ev[2].importpath = "example.com/b";
	ev[2].start_ns = t0 + 2 * MS;
	ev[2].wall_ns = 1 * MS;
	ev[2].has_span = 1;
	memcpy(ev[2].trace_id, bt.root.trace_id, 16);
	memcpy(ev[2].parent_id, pid_bytes, 8);
	memcpy(ev[2].span_id, own, 8);
	/* 3: asm of another trace altogether: a fresh id. */
	ev[3].tool = "asm";
	ev[3].importpath = "example.com/c";
	ev[3].start_ns = t0 + 3 * MS;
	ev[3].wall_ns = 1 * MS;
	ev[3].has_span = 1;
	memset(ev[3].trace_id, 0x11, 16);
	memcpy(ev[3].parent_id, bt.root.span_id, 8);
	static const uint8_t other[8] = {9, 9, 9, 9, 9, 9, 9, 9};
	memcpy(ev[3].span_id, other, 8);
	/* 4: link failed. */
	ev[4].tool = "link";
	ev[4].importpath = "example.com/a";
	ev[4].start_ns = t0 + 5 * MS;
	ev[4].wall_ns = 3 * MS;
	ev[4].exit = 2;
	/* 5: vet killed by a signal. */
	ev[5].tool = "vet";
	ev[5].importpath = "example.com/b";
	ev[5].start_ns = t0 + 6 * MS;
	ev[5].wall_ns = 1 * MS;
	ev[5].exit = -1;
	ev[5].signal = 9;
	/* 6: another probe. */
	ev[6].tool = "link";
	ev[6].probe = 1;
	event_array evs = {ev, ARRAY_SIZE(ev), ARRAY_SIZE(ev)};

	/* Findings: a has a compile; c has none (from the cache); d has none at all. */
	diag_array da = ARRAY_INIT, dc = ARRAY_INIT, dd = ARRAY_INIT;
	diag_push(&da, "/src/a/a.go", 10, 4, "httpctx", SEV_WARNING, "no context");
	diag_push(&da, "/src/a/b.go", 20, 1, "logtrace", SEV_ERROR, "log without trace");
	diag_push(&dc, "/src/c/c.go", 7, 2, "rule-x", SEV_INFO, "c finding");
	struct buildtrace_findings f[] = {
	    {"example.com/c", &dc},
	    {"example.com/a", &da},
	    {"example.com/d", &dd},
	};
	const char *const pkgs[] = {"./...", "example.com/tool"};
	struct buildtrace_result r;
	memset(&r, 0, sizeof(r));
	r.exit_status = 1;
	r.end_ns = t0 + 10 * MS;
	r.packages = pkgs;
	r.npackages = ARRAY_SIZE(pkgs);
	r.go_version = "go1.22.3";
	r.cache_hits = 4;
	r.graph_packages = 17;
	r.profile = "ci";
	r.findings = f;
	r.nfindings = ARRAY_SIZE(f);

	span_array out = ARRAY_INIT;
	char *cause = (char *)"garbage";
	assert_int_equal(buildtrace_spans(&bt, &evs, &r, &out, &cause), 0);
	assert_null(cause);
	assert_int_equal(out.n, 1 + 5);

	/* The root. */
	const struct span *root = &out.v[0];
	assert_string_equal(root->name, "build");
	assert_memory_equal(root->trace_id, tid_bytes, 16);
	assert_memory_equal(root->span_id, bt.root.span_id, 8);
	assert_memory_equal(root->parent_id, pid_bytes, 8);
	assert_int_equal(root->start_ns, t0);
	assert_int_equal(root->end_ns, t0 + 10 * MS);
	assert_int_equal(root->error, 1);
	assert_non_null(root->status_message);
	assert_string_equal(root->trace_state, "vendor=abc");
	assert_int_equal(int_attr(root, "process.exit.code"), 1);
	assert_int_equal(int_attr(root, "golive.tool_runs"), 5);
	assert_string_equal(str_attr(root->attrs, root->nattrs, "golive.packages"),
	                    "./... example.com/tool");
	assert_string_equal(str_attr(root->attrs, root->nattrs, "golive.go_version"), "go1.22.3");
	assert_int_equal(int_attr(root, "golive.cache_hits"), 4);
	assert_int_equal(int_attr(root, "golive.graph_packages"), 17);
	assert_true(strlen(str_attr(root->attrs, root->nattrs, "golive.version")) > 0);
	assert_string_equal(str_attr(root->attrs, root->nattrs, "golive.profile"), "ci");
	assert_int_equal(root->nattrs, 8);
	/* c's finding is on the root (no compile of c ran); a's and d's are not. */
	assert_int_equal(root->nevents, 1);
	const struct span_event *re = &root->events[0];
	assert_string_equal(re->name, "golive.diagnostic");
	assert_int_equal(re->time_ns, root->end_ns);
	assert_string_equal(str_attr(re->attrs, re->nattrs, "code.filepath"), "/src/c/c.go");
	assert_string_equal(str_attr(re->attrs, re->nattrs, "golive.analyzer"), "rule-x");
	assert_string_equal(str_attr(re->attrs, re->nattrs, "golive.severity"), "info");
	assert_string_equal(str_attr(re->attrs, re->nattrs, "message"), "c finding");

	/* One span per non-probe event, in order, children of the build span. */
	static const char *const names[] = {"compile", "compile", "asm", "link", "vet"};
	static const size_t from[] = {0, 2, 3, 4, 5};
	for (size_t i = 0; i < 5; i++) {
		const struct span *s = &out.v[1 + i];
		const struct event *e = &ev[from[i]];
		assert_string_equal(s->name, names[i]);
		assert_memory_equal(s->trace_id, tid_bytes, 16);
		assert_memory_equal(s->parent_id, bt.root.span_id, 8);
		assert_memory_not_equal(s->span_id, zero, 8);
		assert_memory_not_equal(s->span_id, bt.root.span_id, 8);
		assert_int_equal(s->start_ns, e->start_ns);
		assert_int_equal(s->end_ns, e->start_ns + e->wall_ns);
		assert_string_equal(s->trace_state, "vendor=abc");
		assert_int_equal(int_attr(s, "process.exit.code"), e->exit);
		assert_int_equal(s->error, e->exit != 0);
		if (e->exit)
			assert_non_null(s->status_message);
		else
			assert_null(s->status_message);
		for (size_t j = 0; j < i; j++)
			assert_memory_not_equal(s->span_id, out.v[1 + j].span_id, 8);
	}
	/* Ids: kept for the wrapper that joined this build, fresh for the others. */
	assert_memory_equal(out.v[1].span_id, own, 8);
	assert_memory_not_equal(out.v[2].span_id, own, 8);
	assert_memory_not_equal(out.v[3].span_id, other, 8);
	/* A killed tool says so, differently from an exit status. */
	assert_string_not_equal(out.v[4].status_message, out.v[5].status_message);

	/* Attributes of the compile of a. */
	const struct span *ca = &out.v[1];
	assert_string_equal(str_attr(ca->attrs, ca->nattrs, "golive.importpath"), "example.com/a");
	assert_string_equal(str_attr(ca->attrs, ca->nattrs, "golive.package"), "a");
	assert_string_equal(str_attr(ca->attrs, ca->nattrs, "process.executable.path"),
	                    "/go/pkg/tool/compile");
	assert_int_equal(int_attr(ca, "golive.cpu_user_ns"), 111);
	assert_int_equal(int_attr(ca, "golive.cpu_sys_ns"), 222);
	assert_int_equal(int_attr(ca, "golive.maxrss_kb"), 333);
	assert_int_equal(int_attr(ca, "golive.files"), 3);
	assert_int_equal(int_attr(ca, "golive.bytes"), 4096);
	assert_int_equal(int_attr(ca, "golive.diagnostics"), 2);
	/* Not analysed, no package, no path: those attributes are left out. */
	const struct span *cb = &out.v[2];
	assert_null(find_attr(cb->attrs, cb->nattrs, "golive.diagnostics"));
	assert_null(find_attr(cb->attrs, cb->nattrs, "golive.package"));
	assert_null(find_attr(cb->attrs, cb->nattrs, "process.executable.path"));

	/* a's findings are events of its compile span, at its end. */
	assert_int_equal(ca->nevents, 2);
	for (size_t k = 0; k < 2; k++) {
		const struct span_event *e = &ca->events[k];
		assert_string_equal(e->name, "golive.diagnostic");
		assert_int_equal(e->time_ns, ca->end_ns);
		assert_int_equal(e->nattrs, 6);
	}
	const struct span_event *e1 = &ca->events[1];
	assert_string_equal(str_attr(e1->attrs, e1->nattrs, "code.filepath"), "/src/a/b.go");
	const struct trace_attr *ln = find_attr(e1->attrs, e1->nattrs, "code.lineno");
	assert_non_null(ln);
	assert_int_equal(ln->type, TRACE_ATTR_INT);
	assert_int_equal(ln->v.i, 20);
	const struct trace_attr *col = find_attr(e1->attrs, e1->nattrs, "code.column");
	assert_non_null(col);
	assert_int_equal(col->v.i, 1);
	assert_string_equal(str_attr(e1->attrs, e1->nattrs, "golive.severity"), "error");
	assert_string_equal(str_attr(e1->attrs, e1->nattrs, "message"), "log without trace");
	/* Only compile spans carry findings: not a's link, not b's compile. */
	assert_int_equal(out.v[4].nevents, 0);
	assert_int_equal(cb->nevents, 0);

	/* The spans are copies: the inputs may go. */
	diag_array_release(&da);
	diag_array_release(&dc);
	assert_string_equal(out.v[0].events[0].attrs[0].v.s, "/src/c/c.go");
	trace_spans_release(&out);
	diag_array_release(&dd);
	buildtrace_release(&bt);
}

static void test_spans_minimal(void **state)
{
	(void)state;
	struct buildtrace bt;
	char *warning = NULL;
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	event_array evs = ARRAY_INIT;
	struct buildtrace_result r;
	memset(&r, 0, sizeof(r));
	r.exit_status = 0;
	r.end_ns = bt.start_ns - 5; /* a clock step: never before the start */
	r.go_version = NULL;
	r.cache_hits = -1;
	r.graph_packages = -1;
	r.root_name = "golive dev build";
	span_array out = ARRAY_INIT;
	char *cause = NULL;
	assert_int_equal(buildtrace_spans(&bt, &evs, &r, &out, &cause), 0);
	assert_int_equal(out.n, 1);
	const struct span *root = &out.v[0];
	assert_string_equal(root->name, "golive dev build");
	assert_memory_equal(root->parent_id, zero, 8);
	assert_int_equal(root->end_ns, root->start_ns);
	assert_int_equal(root->error, 0);
	assert_null(root->status_message);
	assert_null(root->trace_state);
	assert_int_equal(root->nevents, 0);
	assert_int_equal(int_attr(root, "golive.tool_runs"), 0);
	assert_int_equal(int_attr(root, "process.exit.code"), 0);
	assert_string_equal(str_attr(root->attrs, root->nattrs, "golive.packages"), "");
	assert_null(find_attr(root->attrs, root->nattrs, "golive.go_version"));
	assert_null(find_attr(root->attrs, root->nattrs, "golive.cache_hits"));
	assert_null(find_attr(root->attrs, root->nattrs, "golive.graph_packages"));
	assert_null(find_attr(root->attrs, root->nattrs, "golive.profile"));
	assert_non_null(find_attr(root->attrs, root->nattrs, "golive.version"));

	/* Appended: what out held stays first. */
	assert_int_equal(buildtrace_spans(&bt, &evs, &r, &out, &cause), 0);
	assert_int_equal(out.n, 2);
	trace_spans_release(&out);
	buildtrace_release(&bt);
}

/* ---- buildtrace_export ---------------------------------------------------- */

static int capture_deliver(void *ctx, const char *json, size_t len, char **cause)
{
	(void)cause;
	struct strbuf *sb = ctx;
	strbuf_reset(sb);
	strbuf_add(sb, json, len);
	return 0;
}

static void test_export(void **state)
{
	(void)state;
	struct buildtrace bt;
	char *warning = NULL;
	setenv("TRACEPARENT", TP, 1);
	assert_int_equal(buildtrace_init(&bt, &warning), 0);
	struct event ev[1];
	memset(ev, 0, sizeof(ev));
	ev[0].tool = "compile";
	ev[0].start_ns = bt.start_ns;
	ev[0].wall_ns = MS;
	event_array evs = {ev, 1, 1};
	struct buildtrace_result r;
	memset(&r, 0, sizeof(r));
	r.end_ns = bt.start_ns + 2 * MS;
	r.cache_hits = r.graph_packages = -1;

	struct strbuf js = STRBUF_INIT;
	struct trace_exporter *e = trace_otlp_new("otlp-test", "test", capture_deliver, NULL, &js);
	char *cause = NULL;
	setenv("OTEL_SERVICE_NAME", "svc-under-test", 1);
	assert_int_equal(buildtrace_export(&bt, &evs, &r, &e, 1, &cause), 0);
	assert_null(cause);
	e->free(e);
	assert_non_null(strstr(js.buf, "\"svc-under-test\""));
	span_array out = ARRAY_INIT;
	assert_int_equal(trace_otlp_decode(js.buf, js.len, &out, &cause), 2);
	assert_string_equal(out.v[0].name, "build");
	assert_memory_equal(out.v[0].parent_id, pid_bytes, 8);
	assert_string_equal(out.v[1].name, "compile");
	assert_memory_equal(out.v[1].parent_id, bt.root.span_id, 8);
	trace_spans_release(&out);

	/* A resource warning comes back in *cause, the spans still go out. */
	setenv("OTEL_RESOURCE_ATTRIBUTES", "broken-member", 1);
	strbuf_reset(&js);
	e = trace_otlp_new("otlp-test", "test", capture_deliver, NULL, &js);
	assert_int_equal(buildtrace_export(&bt, &evs, &r, &e, 1, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "broken-member"));
	free(cause);
	e->free(e);
	assert_int_equal(trace_otlp_decode(js.buf, js.len, &out, &cause), 2);
	trace_spans_release(&out);
	strbuf_release(&js);
	buildtrace_release(&bt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_new_trace, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_init_joins, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_init_invalid_traceparent, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_init_invalid_tracestate, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_setenv, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_spans, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_spans_minimal, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_export, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
