/* devtrace.c - see devtrace.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "dev/devtrace.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int devtrace_init(struct devtrace *t, const char *trace_out, const char *chrome_trace,
                  const char *report, struct strbuf *warnings, char **cause)
{
	memset(t, 0, sizeof(*t));
	t->mono_to_unix = now_unix_ns() - now_mono_ns();
	const char *paths[] = {trace_out, chrome_trace, report};
	const char *flags[] = {"--trace-out", "--chrome-trace", "--report"};
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++)
		if (paths[i] && path_creatable(paths[i]) < 0) {
			*cause = xasprintf("%s: %s: %s", flags[i], paths[i], strerror(errno));
			return -1;
		}
	t->trace_out = trace_out;
	t->chrome_trace = chrome_trace;
	t->report = report;
	t->http_on = otlp_http_config_from_env(&t->hc, warnings) == 1;
	return 0;
}

int devtrace_enabled(const struct devtrace *t)
{
	return t->trace_out || t->chrome_trace || t->report || t->http_on;
}

void devtrace_release(struct devtrace *t)
{
	if (t->http_on)
		otlp_http_config_release(&t->hc);
	t->http_on = 0;
}

int devtrace_cycle_begin(struct devtrace_cycle *c, char tp[TRACEPARENT_LEN + 1])
{
	if (!c->started) {
		if (tracectx_new_trace_id(c->ctx.trace_id) < 0 ||
		    tracectx_new_span_id(c->ctx.span_id) < 0)
			return -1;
		c->ctx.flags = TRACE_FLAG_SAMPLED;
		c->started = 1;
	}
	if (tp)
		tracectx_format_traceparent(&c->ctx, tp);
	return 0;
}

int devtrace_cycle_read_build(struct devtrace_cycle *c, const char *path, char **cause)
{
	struct strbuf sb = STRBUF_INIT;
	if (strbuf_read_file(&sb, path, 64u << 20) < 0) {
		*cause = xasprintf("%s: %s", path, strerror(errno));
		strbuf_release(&sb);
		return -1;
	}
	int rc = 0;
	for (char *line = sb.buf; *line;) {
		char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		if (n) {
			char *why = NULL;
			if (trace_otlp_decode(line, n, &c->build, &why) < 0) {
				*cause = xasprintf("%s: %s", path, why);
				free(why);
				rc = -1;
				break;
			}
		}
		line += n + (nl ? 1 : 0);
	}
	strbuf_release(&sb);
	return rc;
}

void devtrace_cycle_release(struct devtrace_cycle *c)
{
	trace_spans_release(&c->build);
	memset(c, 0, sizeof(*c));
}

/* The exporters of one cycle; *n set. Failures to create them are warnings. */
static size_t make_exporters(const struct devtrace *t, struct trace_exporter **ex)
{
	size_t n = 0;
	char *cause = NULL;
	if (t->chrome_trace && (ex[n] = trace_chrome_new(t->chrome_trace, &cause)))
		n++;
	if (t->trace_out && (ex[n] = trace_otlp_file_new(t->trace_out, &cause)))
		n++;
	if (t->report && (ex[n] = trace_html_new(t->report, &cause)))
		n++;
	if (t->http_on && (ex[n] = trace_otlp_http_new(&t->hc, &cause)))
		n++;
	if (cause) {
		warning("golive dev: trace: %s", cause);
		free(cause);
	}
	return n;
}

/* The fast path's tool runs, children of its build span build_id. */
static void add_steps(span_array *spans, const struct devtrace_info *i, const uint8_t build_id[8],
                      const uint8_t trace_id[16], int64_t off)
{
	for (size_t k = 0; k < i->nsteps; k++) {
		const struct devtrace_step *st = &i->steps[k];
		struct trace_attr a[3];
		size_t na = 0;
		struct span s, copy;
		trace_attr_str(&a[na++], "golive.importpath", st->importpath ? st->importpath : "");
		trace_attr_int(&a[na++], "process.exit.code", st->exit);
		if (i->fast)
			trace_attr_int(&a[na++], "golive.fast", 1);
		memset(&s, 0, sizeof(s));
		memcpy(s.trace_id, trace_id, 16);
		memcpy(s.parent_id, build_id, 8);
		if (tracectx_new_span_id(s.span_id) < 0)
			return;
		s.name = st->tool;
		s.start_ns = st->start_ns + off;
		s.end_ns = (st->end_ns > st->start_ns ? st->end_ns : st->start_ns) + off;
		s.error = st->exit != 0;
		s.attrs = a;
		s.nattrs = na;
		trace_span_copy(&copy, &s);
		ARRAY_PUSH(*spans, copy);
	}
}

/* In the child: every span of the cycle through every exporter. */
static int export_now(const struct devtrace *t, struct devtrace_cycle *c,
                      const struct devtrace_info *i)
{
	int64_t off = t->mono_to_unix;
	int64_t end = i->t_ready ? i->t_ready : i->t_build_end ? i->t_build_end : now_mono_ns();
	struct strbuf files = STRBUF_INIT;
	for (size_t k = 0; k < i->nfiles; k++)
		strbuf_addf(&files, "%s%s", k ? " " : "", i->files[k]);

	struct trace_attr ca[7];
	size_t nca = 0;
	trace_attr_int(&ca[nca++], "golive.cycle", i->n);
	trace_attr_str(&ca[nca++], "golive.trigger", i->trigger ? i->trigger : "");
	if (files.len)
		trace_attr_str(&ca[nca++], "golive.files", files.buf);
	if (i->build)
		trace_attr_str(&ca[nca++], "golive.build", i->build);
	if (i->pid > 0)
		trace_attr_int(&ca[nca++], "process.pid", i->pid);
	if (i->ready)
		trace_attr_str(&ca[nca++], "golive.ready", i->ready);

	span_array spans = ARRAY_INIT;
	struct span s;
	memset(&s, 0, sizeof(s));
	memcpy(s.trace_id, c->ctx.trace_id, 16);
	memcpy(s.span_id, c->ctx.span_id, 8);
	s.name = "cycle";
	s.start_ns = (i->t_event ? i->t_event : i->t_build_start ? i->t_build_start : end) + off;
	s.end_ns = end + off;
	s.error = i->build && strcmp(i->build, "failed") == 0;
	s.status_message = s.error ? "build failed" : NULL;
	s.attrs = ca;
	s.nattrs = nca;
	struct span copy;
	trace_span_copy(&copy, &s);
	ARRAY_PUSH(spans, copy);
	for (size_t k = 0; k < c->build.n; k++)
		ARRAY_PUSH(spans, c->build.v[k]); /* moved */
	if (!c->build.n && i->build && i->t_build_start && i->t_build_end) {
		/* A build that wrote no spans (the fast path's): one "build" span for it. */
		struct trace_attr ba[2];
		size_t nba = 0;
		trace_attr_str(&ba[nba++], "golive.build", i->build);
		if (i->fast)
			trace_attr_int(&ba[nba++], "golive.fast", 1);
		memset(&s, 0, sizeof(s));
		memcpy(s.trace_id, c->ctx.trace_id, 16);
		memcpy(s.parent_id, c->ctx.span_id, 8);
		if (tracectx_new_span_id(s.span_id) == 0) {
			s.name = "build";
			s.start_ns = i->t_build_start + off;
			s.end_ns = i->t_build_end + off;
			s.error = strcmp(i->build, "failed") == 0;
			s.attrs = ba;
			s.nattrs = nba;
			trace_span_copy(&copy, &s);
			ARRAY_PUSH(spans, copy);
			add_steps(&spans, i, s.span_id, c->ctx.trace_id, off);
		}
	}
	c->build.n = 0;
	if (i->pid > 0 && i->t_ready) {
		struct trace_attr ra[2];
		size_t nra = 0;
		trace_attr_int(&ra[nra++], "process.pid", i->pid);
		if (i->ready)
			trace_attr_str(&ra[nra++], "golive.ready", i->ready);
		memset(&s, 0, sizeof(s));
		memcpy(s.trace_id, c->ctx.trace_id, 16);
		memcpy(s.parent_id, c->ctx.span_id, 8);
		if (tracectx_new_span_id(s.span_id) == 0) {
			s.name = "restart";
			s.start_ns = (i->t_build_end ? i->t_build_end : i->t_event) + off;
			s.end_ns = i->t_ready + off;
			s.attrs = ra;
			s.nattrs = nra;
			trace_span_copy(&copy, &s);
			ARRAY_PUSH(spans, copy);
		}
	}
	strbuf_release(&files);

	struct trace_exporter *ex[4];
	size_t nex = make_exporters(t, ex);
	struct trace_resource res;
	char *res_warning = NULL, *cause = NULL;
	trace_resource_from_env(&res, &res_warning);
	int rc = trace_export_all(ex, nex, &res, spans.v, spans.n, &cause);
	if (rc < 0)
		warning("golive dev: cycle %d trace: %s", i->n, cause);
	if (res_warning)
		warning("golive dev: %s", res_warning);
	free(cause);
	free(res_warning);
	trace_resource_release(&res);
	for (size_t k = 0; k < nex; k++)
		ex[k]->free(ex[k]);
	trace_spans_release(&spans);
	return rc;
}

pid_t devtrace_cycle_export(const struct devtrace *t, struct devtrace_cycle *c,
                            const struct devtrace_info *i, char **cause)
{
	if (!devtrace_enabled(t)) {
		devtrace_cycle_release(c);
		return 0;
	}
	if (devtrace_cycle_begin(c, NULL) < 0) {
		*cause = xstrdup("cannot draw a random trace id (getrandom)");
		devtrace_cycle_release(c);
		return -1;
	}
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		*cause = xasprintf("fork: %s", strerror(errno));
		devtrace_cycle_release(c);
		return -1;
	}
	if (pid == 0) {
		int rc = export_now(t, c, i);
		_exit(rc < 0 ? 1 : 0);
	}
	devtrace_cycle_release(c);
	return pid;
}
