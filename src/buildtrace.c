/* buildtrace.c - see buildtrace.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "buildtrace.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

#ifndef GOLIVE_VERSION_STRING
#define GOLIVE_VERSION_STRING "dev"
#endif

int buildtrace_init(struct buildtrace *bt, char **warning)
{
	const char *tp = getenv("TRACEPARENT");
	struct trace_ctx in;
	int ret = 0;
	memset(bt, 0, sizeof(*bt));
	bt->start_ns = now_unix_ns();
	*warning = NULL;
	if (tp && *tp) {
		char *cause = NULL;
		if (tracectx_parse_traceparent(tp, &in, &cause) == 0) {
			memcpy(bt->parent_id, in.span_id, sizeof(bt->parent_id));
			if (tracectx_child(&in, &bt->root) < 0) {
				*warning = xstrdup("cannot draw a random span id (getrandom)");
				return -1;
			}
			return 0;
		}
		*warning = xasprintf("%s; starting a new trace", cause);
		free(cause);
		ret = 1;
	}
	if (tracectx_new_trace_id(bt->root.trace_id) < 0 ||
	    tracectx_new_span_id(bt->root.span_id) < 0) {
		free(*warning);
		*warning = xstrdup("cannot draw a random trace id (getrandom)");
		return -1;
	}
	bt->root.flags = TRACE_FLAG_SAMPLED;
	return ret;
}

void buildtrace_traceparent(const struct buildtrace *bt, char buf[TRACEPARENT_LEN + 1])
{
	tracectx_format_traceparent(&bt->root, buf);
}

static void attr_str(struct trace_attr *a, const char *key, const char *v)
{
	a->key = key;
	a->type = TRACE_ATTR_STRING;
	a->v.s = v;
}

static void attr_int(struct trace_attr *a, const char *key, int64_t v)
{
	a->key = key;
	a->type = TRACE_ATTR_INT;
	a->v.i = v;
}

/* The attributes of one tool span, pointing into ev. */
#define TOOL_ATTRS 9
static size_t tool_attrs(const struct event *ev, struct trace_attr *a)
{
	size_t n = 0;
	if (ev->importpath)
		attr_str(&a[n++], "golive.importpath", ev->importpath);
	if (ev->pkg)
		attr_str(&a[n++], "golive.package", ev->pkg);
	attr_int(&a[n++], "process.exit.code", ev->exit);
	attr_int(&a[n++], "golive.cpu_user_ns", ev->tool_user_ns);
	attr_int(&a[n++], "golive.cpu_sys_ns", ev->tool_sys_ns);
	attr_int(&a[n++], "golive.maxrss_kb", ev->tool_maxrss_kb);
	attr_int(&a[n++], "golive.files", ev->files);
	attr_int(&a[n++], "golive.bytes", ev->bytes);
	if (ev->analysed)
		attr_int(&a[n++], "golive.diagnostics", ev->diags);
	return n;
}

/* Records the first failure of an exporter call in *cause. */
static void note(int rc, char *why, char **cause)
{
	if (rc < 0 && !*cause)
		*cause = why;
	else
		free(why);
}

int buildtrace_export(const struct buildtrace *bt, const event_array *evs, int64_t end_ns,
                      int exit_status, struct trace_exporter **ex, size_t nex, char **cause)
{
	const char *svc = getenv("OTEL_SERVICE_NAME");
	struct trace_attr res_attrs[] = {
	    {"service.name", TRACE_ATTR_STRING, {.s = svc && *svc ? svc : "golive"}},
	    {"service.version", TRACE_ATTR_STRING, {.s = GOLIVE_VERSION_STRING}},
	};
	struct trace_resource res = {res_attrs, ARRAY_SIZE(res_attrs)};
	long runs = 0;
	for (size_t i = 0; i < evs->n; i++)
		runs += !evs->v[i].probe;
	struct trace_attr root_attrs[] = {
	    {"process.exit.code", TRACE_ATTR_INT, {.i = exit_status}},
	    {"golive.tool_runs", TRACE_ATTR_INT, {.i = runs}},
	};
	struct span root;
	memset(&root, 0, sizeof(root));
	memcpy(root.trace_id, bt->root.trace_id, sizeof(root.trace_id));
	memcpy(root.span_id, bt->root.span_id, sizeof(root.span_id));
	memcpy(root.parent_id, bt->parent_id, sizeof(root.parent_id));
	root.name = "build";
	root.start_ns = bt->start_ns;
	root.end_ns = end_ns > bt->start_ns ? end_ns : bt->start_ns;
	root.error = exit_status != 0;
	root.status_message = exit_status != 0 ? "go build failed" : NULL;
	root.attrs = root_attrs;
	root.nattrs = ARRAY_SIZE(root_attrs);

	*cause = NULL;
	for (size_t k = 0; k < nex; k++) {
		char *why = NULL;
		note(ex[k]->begin(ex[k], &res, &why), why, cause);
		why = NULL;
		note(ex[k]->span(ex[k], &root, &why), why, cause);
	}
	for (size_t i = 0; i < evs->n; i++) {
		const struct event *ev = &evs->v[i];
		if (ev->probe)
			continue;
		struct trace_attr attrs[TOOL_ATTRS];
		struct span s;
		memset(&s, 0, sizeof(s));
		memcpy(s.trace_id, bt->root.trace_id, sizeof(s.trace_id));
		memcpy(s.parent_id, bt->root.span_id, sizeof(s.parent_id));
		if (tracectx_new_span_id(s.span_id) < 0) {
			note(-1, xstrdup("cannot draw a random span id (getrandom)"), cause);
			break;
		}
		s.name = ev->tool;
		s.start_ns = ev->start_ns;
		s.end_ns = ev->start_ns + ev->wall_ns;
		s.error = ev->exit != 0;
		s.status_message =
		    ev->exit != 0 ? (ev->signal ? "killed by a signal" : "exit status") : NULL;
		s.attrs = attrs;
		s.nattrs = tool_attrs(ev, attrs);
		for (size_t k = 0; k < nex; k++) {
			char *why = NULL;
			note(ex[k]->span(ex[k], &s, &why), why, cause);
		}
	}
	for (size_t k = 0; k < nex; k++) {
		char *why = NULL;
		note(ex[k]->end(ex[k], &why), why, cause);
	}
	return *cause ? -1 : 0;
}
