/*
 * test_devtrace.c - src/dev/devtrace.c: golive dev's cycles as traces. Output
 * paths checked up front, when tracing is on, the cycle's ids and
 * TRACEPARENT, reading back the spans a build wrote with --trace-out, and
 * the export in a forked child: its OTLP file read back for the "cycle"
 * root, the build's spans as given, the "restart" span, and monotonic
 * times converted to unix time.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev/devtrace.h"
#include "trace/trace.h"
#include "trace/tracectx.h"
#include "core/util.h"

#define MS 1000000LL /* nanoseconds */

static const char *const env_vars[] = {
    "OTEL_SDK_DISABLED",
    "OTEL_TRACES_EXPORTER",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
    "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
    "OTEL_EXPORTER_OTLP_HEADERS",
    "OTEL_EXPORTER_OTLP_TRACES_HEADERS",
    "OTEL_EXPORTER_OTLP_TIMEOUT",
    "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT",
    "OTEL_EXPORTER_OTLP_COMPRESSION",
    "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION",
    "OTEL_EXPORTER_OTLP_PROTOCOL",
    "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL",
    "OTEL_SERVICE_NAME",
    "OTEL_RESOURCE_ATTRIBUTES",
    "TRACEPARENT",
    "TRACESTATE",
};

static int env_setup(void **state)
{
	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(env_vars); i++)
		unsetenv(env_vars[i]);
	return 0;
}

static int env_teardown(void **state)
{
	return env_setup(state);
}

static const uint8_t zero[16];

/* A fresh temporary directory (malloc'd path). */
static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *templ = xasprintf("%s/golive-tdev-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(templ));
	return templ;
}

/* Removes dir/name for each name (when present), then dir. */
static void remove_dir(const char *dir, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

/* Every line of an OTLP/JSON file decoded; *nlines set. */
static span_array read_otlp(const char *path, size_t *nlines, struct strbuf *raw)
{
	span_array out = ARRAY_INIT;
	assert_int_equal(strbuf_read_file(raw, path, 1 << 20), 0);
	*nlines = 0;
	for (char *p = raw->buf; *p;) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		char *cause = NULL;
		if (trace_otlp_decode(p, (size_t)(nl - p), &out, &cause) < 0)
			fail_msg("%s: %s", path, cause);
		(*nlines)++;
		p = nl + 1;
	}
	return out;
}

static const struct trace_attr *find_attr(const struct span *s, const char *key)
{
	for (size_t i = 0; i < s->nattrs; i++)
		if (strcmp(s->attrs[i].key, key) == 0)
			return &s->attrs[i];
	return NULL;
}

static int64_t int_attr(const struct span *s, const char *key)
{
	const struct trace_attr *a = find_attr(s, key);
	if (!a)
		fail_msg("span %s: no attribute %s", s->name, key);
	assert_int_equal(a->type, TRACE_ATTR_INT);
	return a->v.i;
}

static const char *str_attr(const struct span *s, const char *key)
{
	const struct trace_attr *a = find_attr(s, key);
	if (!a)
		fail_msg("span %s: no attribute %s", s->name, key);
	assert_int_equal(a->type, TRACE_ATTR_STRING);
	return a->v.s;
}

/* ---- devtrace_init / devtrace_enabled ------------------------------------- */

static void test_init_paths(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *ok = xasprintf("%s/out.jsonl", dir);
	char *missing = xasprintf("%s/no/such/dir/out.json", dir);
	struct strbuf warnings = STRBUF_INIT;
	struct devtrace t;
	char *cause = NULL;

	/* Nothing asked for: set up, and off. */
	assert_int_equal(devtrace_init(&t, NULL, NULL, NULL, &warnings, &cause), 0);
	assert_null(cause);
	assert_false(devtrace_enabled(&t));
	assert_int_equal(warnings.len, 0);
	devtrace_release(&t);

	/* Each output alone turns it on. */
	const char *outs[3][3] = {{ok, NULL, NULL}, {NULL, ok, NULL}, {NULL, NULL, ok}};
	for (size_t i = 0; i < 3; i++) {
		assert_int_equal(
		    devtrace_init(&t, outs[i][0], outs[i][1], outs[i][2], &warnings, &cause), 0);
		assert_true(devtrace_enabled(&t));
		devtrace_release(&t);
	}
	assert_int_equal(access(ok, F_OK), -1); /* checked, not created */

	/* A path that cannot be created: -1 naming the flag and the path. */
	static const char *const flags[] = {"--trace-out", "--chrome-trace", "--report"};
	for (size_t i = 0; i < 3; i++) {
		const char *p[3] = {ok, ok, ok};
		p[i] = missing;
		cause = NULL;
		assert_int_equal(devtrace_init(&t, p[0], p[1], p[2], &warnings, &cause), -1);
		assert_non_null(cause);
		char *want = xasprintf("%s: %s: %s", flags[i], missing, strerror(ENOENT));
		assert_string_equal(cause, want);
		free(want);
		free(cause);
	}
	/* A directory is no file either. */
	cause = NULL;
	assert_int_equal(devtrace_init(&t, NULL, NULL, dir, &warnings, &cause), -1);
	assert_non_null(strstr(cause, "--report"));
	assert_non_null(strstr(cause, dir));
	free(cause);

	free(ok);
	free(missing);
	strbuf_release(&warnings);
	remove_dir(dir, NULL, 0);
	free(dir);
}

static void test_init_environment(void **state)
{
	(void)state;
	struct strbuf warnings = STRBUF_INIT;
	struct devtrace t;
	char *cause = NULL;

	/* An OTLP endpoint in the environment turns tracing on by itself. */
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318", 1);
	assert_int_equal(devtrace_init(&t, NULL, NULL, NULL, &warnings, &cause), 0);
	assert_true(devtrace_enabled(&t));
	devtrace_release(&t);
	assert_false(devtrace_enabled(&t));

	/* ... unless the SDK is disabled. */
	setenv("OTEL_SDK_DISABLED", "true", 1);
	assert_int_equal(devtrace_init(&t, NULL, NULL, NULL, &warnings, &cause), 0);
	assert_false(devtrace_enabled(&t));
	devtrace_release(&t);
	unsetenv("OTEL_SDK_DISABLED");

	/* Environment problems are warnings, not errors. */
	setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "soon", 1);
	assert_int_equal(devtrace_init(&t, NULL, NULL, NULL, &warnings, &cause), 0);
	assert_null(cause);
	assert_non_null(strstr(warnings.buf, "OTEL_EXPORTER_OTLP_TIMEOUT"));
	devtrace_release(&t);
	strbuf_release(&warnings);
}

/* ---- cycles --------------------------------------------------------------- */

static void test_cycle_begin(void **state)
{
	(void)state;
	struct devtrace_cycle c;
	memset(&c, 0, sizeof(c));
	char tp[TRACEPARENT_LEN + 1];
	memset(tp, 'x', sizeof(tp));
	assert_int_equal(devtrace_cycle_begin(&c, tp), 0);
	assert_true(c.started);
	assert_memory_not_equal(c.ctx.trace_id, zero, 16);
	assert_memory_not_equal(c.ctx.span_id, zero, 8);
	assert_int_equal(c.ctx.flags, TRACE_FLAG_SAMPLED);
	assert_int_equal(strlen(tp), TRACEPARENT_LEN);
	struct trace_ctx back;
	char *cause = NULL;
	assert_int_equal(tracectx_parse_traceparent(tp, &back, &cause), 0);
	assert_memory_equal(back.trace_id, c.ctx.trace_id, 16);
	assert_memory_equal(back.span_id, c.ctx.span_id, 8);
	assert_int_equal(strncmp(tp, "00-", 3), 0);
	assert_string_equal(tp + TRACEPARENT_LEN - 3, "-01");

	/* Once per cycle: again, the same ids. */
	struct trace_ctx first = c.ctx;
	char tp2[TRACEPARENT_LEN + 1];
	assert_int_equal(devtrace_cycle_begin(&c, tp2), 0);
	assert_string_equal(tp, tp2);
	assert_memory_equal(&first, &c.ctx, sizeof(first));
	assert_int_equal(devtrace_cycle_begin(&c, NULL), 0);

	/* The next cycle: a new trace. */
	devtrace_cycle_release(&c);
	assert_false(c.started);
	assert_int_equal(devtrace_cycle_begin(&c, NULL), 0);
	assert_memory_not_equal(c.ctx.trace_id, first.trace_id, 16);
	devtrace_cycle_release(&c);
}

/* Writes spans to path as golive build --trace-out would (one line per call). */
static void write_build(const char *path, const struct span *spans, size_t n)
{
	char *cause = NULL;
	struct trace_exporter *e = trace_otlp_file_new(path, &cause);
	assert_non_null(e);
	assert_int_equal(e->begin(e, NULL, &cause), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e->span(e, &spans[i], &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	e->free(e);
}

/* A build's spans under the cycle c: "build" (child of the cycle span) and "compile". */
static void build_spans(const struct devtrace_cycle *c, struct span s[2], int64_t start)
{
	memset(s, 0, 2 * sizeof(*s));
	for (int i = 0; i < 2; i++) {
		memcpy(s[i].trace_id, c->ctx.trace_id, 16);
		assert_int_equal(tracectx_new_span_id(s[i].span_id), 0);
	}
	memcpy(s[0].parent_id, c->ctx.span_id, 8);
	memcpy(s[1].parent_id, s[0].span_id, 8);
	s[0].name = "build";
	s[0].start_ns = start;
	s[0].end_ns = start + 30 * MS;
	s[1].name = "compile";
	s[1].start_ns = start + 1 * MS;
	s[1].end_ns = start + 20 * MS;
}

static void test_cycle_read_build(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *path = xasprintf("%s/build-trace.jsonl", dir);
	struct devtrace_cycle c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(devtrace_cycle_begin(&c, NULL), 0);
	struct span s[2];
	build_spans(&c, s, now_unix_ns());
	write_build(path, s, 2);
	write_build(path, s, 1); /* a second line */

	char *cause = NULL;
	assert_int_equal(devtrace_cycle_read_build(&c, path, &cause), 0);
	assert_null(cause);
	assert_int_equal(c.build.n, 3);
	assert_string_equal(c.build.v[0].name, "build");
	assert_memory_equal(c.build.v[0].span_id, s[0].span_id, 8);
	assert_memory_equal(c.build.v[0].parent_id, c.ctx.span_id, 8);
	assert_string_equal(c.build.v[1].name, "compile");
	assert_memory_equal(c.build.v[1].parent_id, s[0].span_id, 8);
	assert_int_equal(c.build.v[1].start_ns, s[1].start_ns);
	assert_int_equal(c.build.v[1].end_ns, s[1].end_ns);
	assert_string_equal(c.build.v[2].name, "build");
	devtrace_cycle_release(&c);
	assert_int_equal(c.build.n, 0);

	/* A malformed line: -1 naming the file; what came before stays. */
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_file(&sb, path, 1 << 20), 0);
	strbuf_addstr(&sb, "\n{\"resourceSpans\": 3}\n");
	write_file(path, sb.buf);
	strbuf_release(&sb);
	assert_int_equal(devtrace_cycle_read_build(&c, path, &cause), -1);
	assert_non_null(cause);
	assert_int_equal(strncmp(cause, path, strlen(path)), 0);
	assert_non_null(strstr(cause, "resourceSpans"));
	assert_int_equal(c.build.n, 3);
	free(cause);
	devtrace_cycle_release(&c);

	write_file(path, "not json at all\n");
	cause = NULL;
	assert_int_equal(devtrace_cycle_read_build(&c, path, &cause), -1);
	assert_non_null(cause);
	assert_int_equal(strncmp(cause, path, strlen(path)), 0);
	assert_int_equal(c.build.n, 0);
	free(cause);

	/* Empty: no spans, no error. */
	write_file(path, "");
	assert_int_equal(devtrace_cycle_read_build(&c, path, &cause), 0);
	assert_int_equal(c.build.n, 0);

	/* Missing: -1 with the path and the error. */
	char *missing = xasprintf("%s/none.jsonl", dir);
	cause = NULL;
	assert_int_equal(devtrace_cycle_read_build(&c, missing, &cause), -1);
	char *want = xasprintf("%s: %s", missing, strerror(ENOENT));
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	free(missing);
	devtrace_cycle_release(&c);

	static const char *const files[] = {"build-trace.jsonl"};
	remove_dir(dir, files, ARRAY_SIZE(files));
	free(path);
	free(dir);
}

/* Waits for the exporting child; it must exit 0. */
static void wait_child(pid_t pid)
{
	assert_true(pid > 0);
	int st;
	pid_t r;
	do
		r = waitpid(pid, &st, 0);
	while (r < 0 && errno == EINTR);
	assert_int_equal(r, pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 0);
}

static void test_cycle_export_off(void **state)
{
	(void)state;
	struct strbuf warnings = STRBUF_INIT;
	struct devtrace t;
	char *cause = NULL;
	assert_int_equal(devtrace_init(&t, NULL, NULL, NULL, &warnings, &cause), 0);
	struct devtrace_cycle c;
	memset(&c, 0, sizeof(c));
	assert_int_equal(devtrace_cycle_begin(&c, NULL), 0);
	struct span s = {.name = "build", .start_ns = 1, .end_ns = 2}, copy;
	trace_span_copy(&copy, &s);
	ARRAY_PUSH(c.build, copy);
	struct devtrace_info info = {.n = 1, .trigger = "start"};
	assert_int_equal(devtrace_cycle_export(&t, &c, &info, &cause), 0);
	assert_null(cause);
	assert_int_equal(c.build.n, 0); /* released all the same */
	assert_false(c.started);
	devtrace_release(&t);
	strbuf_release(&warnings);
}

static void test_cycle_export(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *out = xasprintf("%s/cycles.jsonl", dir);
	char *build_file = xasprintf("%s/build.jsonl", dir);
	struct strbuf warnings = STRBUF_INIT;
	struct devtrace t;
	char *cause = NULL;
	setenv("OTEL_SERVICE_NAME", "devtrace-under-test", 1);

	/* Bracket the monotonic-to-unix offset taken at init. */
	int64_t m_a = now_mono_ns(), u_a = now_unix_ns();
	assert_int_equal(devtrace_init(&t, out, NULL, NULL, &warnings, &cause), 0);
	int64_t u_b = now_unix_ns(), m_b = now_mono_ns();
	assert_true(devtrace_enabled(&t));
	assert_true(t.mono_to_unix >= u_a - m_b);
	assert_true(t.mono_to_unix <= u_b - m_a);
	const int64_t off = t.mono_to_unix;

	/* Cycle 1: a change, a good build, a restart. */
	struct devtrace_cycle c;
	memset(&c, 0, sizeof(c));
	char tp[TRACEPARENT_LEN + 1];
	assert_int_equal(devtrace_cycle_begin(&c, tp), 0);
	const struct trace_ctx ctx = c.ctx;
	const int64_t m = now_mono_ns();
	struct devtrace_info info;
	memset(&info, 0, sizeof(info));
	static const char *const files[] = {"main.go", "handler.go"};
	info.n = 3;
	info.trigger = "change";
	info.files = files;
	info.nfiles = ARRAY_SIZE(files);
	info.build = "ok";
	info.pid = 4321;
	info.ready = "notify";
	info.t_event = m - 5000 * MS;
	info.t_build_start = m - 4000 * MS;
	info.t_build_end = m - 2000 * MS;
	info.t_ready = m - 1000 * MS;
	struct span bs[2];
	build_spans(&c, bs, info.t_build_start + off);
	write_build(build_file, bs, 2);
	assert_int_equal(devtrace_cycle_read_build(&c, build_file, &cause), 0);
	assert_int_equal(c.build.n, 2);

	pid_t pid = devtrace_cycle_export(&t, &c, &info, &cause);
	assert_null(cause);
	assert_int_equal(c.build.n, 0); /* the parent's copy is released */
	assert_false(c.started);
	wait_child(pid);

	size_t nlines;
	struct strbuf raw = STRBUF_INIT;
	span_array got = read_otlp(out, &nlines, &raw);
	assert_int_equal(nlines, 1);
	assert_non_null(strstr(raw.buf, "\"devtrace-under-test\"")); /* the resource */
	strbuf_release(&raw);
	assert_int_equal(got.n, 4);

	const struct span *cy = &got.v[0];
	assert_string_equal(cy->name, "cycle");
	assert_memory_equal(cy->trace_id, ctx.trace_id, 16);
	assert_memory_equal(cy->span_id, ctx.span_id, 8);
	assert_memory_equal(cy->parent_id, zero, 8);
	assert_int_equal(cy->start_ns, info.t_event + off);
	assert_int_equal(cy->end_ns, info.t_ready + off);
	assert_int_equal(cy->error, 0);
	assert_int_equal(int_attr(cy, "golive.cycle"), 3);
	assert_string_equal(str_attr(cy, "golive.trigger"), "change");
	assert_string_equal(str_attr(cy, "golive.files"), "main.go handler.go");
	assert_string_equal(str_attr(cy, "golive.build"), "ok");
	assert_int_equal(int_attr(cy, "process.pid"), 4321);
	assert_string_equal(str_attr(cy, "golive.ready"), "notify");

	/* The build's spans as given: ids, parents and times. */
	for (size_t i = 0; i < 2; i++) {
		const struct span *b = &got.v[1 + i];
		assert_string_equal(b->name, bs[i].name);
		assert_memory_equal(b->trace_id, ctx.trace_id, 16);
		assert_memory_equal(b->span_id, bs[i].span_id, 8);
		assert_memory_equal(b->parent_id, bs[i].parent_id, 8);
		assert_int_equal(b->start_ns, bs[i].start_ns);
		assert_int_equal(b->end_ns, bs[i].end_ns);
	}
	assert_memory_equal(got.v[1].parent_id, ctx.span_id, 8);

	const struct span *rs = &got.v[3];
	assert_string_equal(rs->name, "restart");
	assert_memory_equal(rs->trace_id, ctx.trace_id, 16);
	assert_memory_equal(rs->parent_id, ctx.span_id, 8);
	assert_memory_not_equal(rs->span_id, zero, 8);
	assert_memory_not_equal(rs->span_id, ctx.span_id, 8);
	assert_int_equal(rs->start_ns, info.t_build_end + off);
	assert_int_equal(rs->end_ns, info.t_ready + off);
	assert_int_equal(int_attr(rs, "process.pid"), 4321);
	assert_string_equal(str_attr(rs, "golive.ready"), "notify");
	trace_spans_release(&got);

	/* Cycle 2, not begun: a failed build, no program, no change time. */
	memset(&info, 0, sizeof(info));
	info.n = 4;
	info.trigger = "crash";
	info.build = "failed";
	info.t_build_start = m - 800 * MS;
	info.t_build_end = m - 700 * MS;
	/* the tool runs of a build that wrote no spans (the fast path's result) */
	const struct devtrace_step steps[] = {
	    {"compile", "example.com/app/leaf", m - 790 * MS, m - 720 * MS, 2},
	};
	info.steps = steps;
	info.nsteps = 1;
	pid = devtrace_cycle_export(&t, &c, &info, &cause);
	assert_null(cause);
	wait_child(pid);

	/* Cycle 3: nothing happened at any known time: it ends when exported. */
	memset(&info, 0, sizeof(info));
	info.n = 5;
	int64_t before = now_mono_ns();
	pid = devtrace_cycle_export(&t, &c, &info, &cause);
	wait_child(pid);
	int64_t after = now_mono_ns();

	raw = (struct strbuf)STRBUF_INIT;
	got = read_otlp(out, &nlines, &raw); /* appended: three lines */
	strbuf_release(&raw);
	assert_int_equal(nlines, 3);
	assert_int_equal(got.n, 4 + 3 + 1);
	const struct span *c2 = &got.v[4];
	assert_string_equal(c2->name, "cycle");
	assert_memory_not_equal(c2->trace_id, ctx.trace_id, 16); /* a new trace */
	assert_memory_not_equal(c2->trace_id, zero, 16);
	assert_memory_equal(c2->parent_id, zero, 8);
	assert_int_equal(c2->start_ns, m - 800 * MS + off); /* from the build's start */
	assert_int_equal(c2->end_ns, m - 700 * MS + off);
	assert_int_equal(c2->error, 1);
	assert_non_null(c2->status_message);
	assert_string_equal(str_attr(c2, "golive.build"), "failed");
	assert_string_equal(str_attr(c2, "golive.trigger"), "crash");
	assert_null(find_attr(c2, "process.pid"));
	assert_null(find_attr(c2, "golive.files"));
	assert_null(find_attr(c2, "golive.ready"));
	/* its build wrote no spans: one "build" span stands for it (not a fast one) */
	const struct span *b2 = &got.v[5];
	assert_string_equal(b2->name, "build");
	assert_memory_equal(b2->trace_id, c2->trace_id, 16);
	assert_memory_equal(b2->parent_id, c2->span_id, 8);
	assert_int_equal(b2->start_ns, m - 800 * MS + off);
	assert_int_equal(b2->end_ns, m - 700 * MS + off);
	assert_int_equal(b2->error, 1);
	assert_string_equal(str_attr(b2, "golive.build"), "failed");
	assert_null(find_attr(b2, "golive.fast"));
	/* its compile, under it: the package, the exit status, an error */
	const struct span *s2 = &got.v[6];
	assert_string_equal(s2->name, "compile");
	assert_memory_equal(s2->trace_id, c2->trace_id, 16);
	assert_memory_equal(s2->parent_id, b2->span_id, 8);
	assert_int_equal(s2->start_ns, m - 790 * MS + off);
	assert_int_equal(s2->end_ns, m - 720 * MS + off);
	assert_int_equal(s2->error, 1);
	assert_string_equal(str_attr(s2, "golive.importpath"), "example.com/app/leaf");
	assert_int_equal(int_attr(s2, "process.exit.code"), 2);
	assert_null(find_attr(s2, "golive.fast"));
	const struct span *c3 = &got.v[7];
	assert_string_equal(c3->name, "cycle");
	assert_int_equal(int_attr(c3, "golive.cycle"), 5);
	assert_string_equal(str_attr(c3, "golive.trigger"), "");
	assert_null(find_attr(c3, "golive.build"));
	assert_int_equal(c3->error, 0);
	assert_int_equal(c3->start_ns, c3->end_ns);
	assert_true(c3->end_ns >= before + off && c3->end_ns <= after + off);
	trace_spans_release(&got);

	devtrace_release(&t);
	strbuf_release(&warnings);
	static const char *const names[] = {"cycles.jsonl", "build.jsonl"};
	remove_dir(dir, names, ARRAY_SIZE(names));
	free(out);
	free(build_file);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_init_paths, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_init_environment, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_cycle_begin, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_cycle_read_build, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_cycle_export_off, env_setup, env_teardown),
	    cmocka_unit_test_setup_teardown(test_cycle_export, env_setup, env_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
