/* buildtrace.c - see buildtrace.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "trace/buildtrace.h"

#include <stdlib.h>
#include <string.h>

#include "core/util.h"

#ifndef GOLIVE_VERSION_STRING
#define GOLIVE_VERSION_STRING "dev"
#endif

int buildtrace_init(struct buildtrace *bt, char **warning)
{
	const char *tp = getenv("TRACEPARENT");
	const char *ts = getenv("TRACESTATE");
	struct trace_ctx in;
	struct strbuf why = STRBUF_INIT;
	int ret = 0, joined = 0;
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
			joined = 1;
		} else {
			strbuf_addf(&why, "%s; starting a new trace", cause);
			free(cause);
			ret = 1;
		}
	}
	/* A tracestate belongs to its traceparent: only kept when joining that trace. */
	if (joined && ts) {
		struct strbuf norm = STRBUF_INIT;
		char *cause = NULL;
		if (tracectx_parse_tracestate(ts, &norm, &cause) == 0) {
			if (norm.len)
				bt->tracestate = strbuf_detach(&norm, NULL);
		} else {
			strbuf_addf(&why, "%s%s; dropped", why.len ? "; " : "", cause);
			free(cause);
			ret = 1;
		}
		strbuf_release(&norm);
	}
	if (!joined) {
		if (tracectx_new_trace_id(bt->root.trace_id) < 0 ||
		    tracectx_new_span_id(bt->root.span_id) < 0) {
			strbuf_release(&why);
			*warning = xstrdup("cannot draw a random trace id (getrandom)");
			return -1;
		}
		bt->root.flags = TRACE_FLAG_SAMPLED;
	}
	*warning = why.len ? strbuf_detach(&why, NULL) : NULL;
	strbuf_release(&why);
	return ret;
}

void buildtrace_release(struct buildtrace *bt)
{
	free(bt->tracestate);
	bt->tracestate = NULL;
}

void buildtrace_setenv(const struct buildtrace *bt)
{
	char tp[TRACEPARENT_LEN + 1];
	tracectx_format_traceparent(&bt->root, tp);
	setenv("TRACEPARENT", tp, 1);
	if (bt->tracestate)
		setenv("TRACESTATE", bt->tracestate, 1);
	else
		unsetenv("TRACESTATE");
}

/* The attributes of one tool span, pointing into ev. */
#define TOOL_ATTRS 10
static size_t tool_attrs(const struct event *ev, struct trace_attr *a)
{
	size_t n = 0;
	if (ev->importpath)
		trace_attr_str(&a[n++], "golive.importpath", ev->importpath);
	if (ev->pkg)
		trace_attr_str(&a[n++], "golive.package", ev->pkg);
	if (ev->path)
		trace_attr_str(&a[n++], "process.executable.path", ev->path);
	trace_attr_int(&a[n++], "process.exit.code", ev->exit);
	trace_attr_int(&a[n++], "golive.cpu_user_ns", ev->tool_user_ns);
	trace_attr_int(&a[n++], "golive.cpu_sys_ns", ev->tool_sys_ns);
	trace_attr_int(&a[n++], "golive.maxrss_kb", ev->tool_maxrss_kb);
	trace_attr_int(&a[n++], "golive.files", ev->files);
	trace_attr_int(&a[n++], "golive.bytes", ev->bytes);
	if (ev->analysed)
		trace_attr_int(&a[n++], "golive.diagnostics", ev->diags);
	return n;
}

/* The span events of a package's findings, at time t; *n set. Free with free_diag_events. */
#define DIAG_ATTRS 6
static struct span_event *diag_events(const diag_array *d, int64_t t, size_t *n)
{
	struct span_event *evs = xcalloc(d->n ? d->n : 1, sizeof(*evs));
	struct trace_attr *attrs = xcalloc(d->n ? d->n * DIAG_ATTRS : 1, sizeof(*attrs));
	for (size_t i = 0; i < d->n; i++) {
		const struct diag *g = &d->v[i];
		struct trace_attr *a = &attrs[i * DIAG_ATTRS];
		trace_attr_str(&a[0], "code.filepath", g->file);
		trace_attr_int(&a[1], "code.lineno", g->line);
		trace_attr_int(&a[2], "code.column", g->col);
		trace_attr_str(&a[3], "golive.analyzer", g->analyzer);
		trace_attr_str(&a[4], "golive.severity", severity_name(g->severity));
		trace_attr_str(&a[5], "message", g->message);
		evs[i].name = "golive.diagnostic";
		evs[i].time_ns = t;
		evs[i].attrs = a;
		evs[i].nattrs = DIAG_ATTRS;
	}
	*n = d->n;
	return evs;
}

static void free_diag_events(struct span_event *evs)
{
	if (evs)
		free((void *)evs[0].attrs);
	free(evs);
}

/* The findings of importpath ip, or NULL. */
static const struct buildtrace_findings *findings_of(const struct buildtrace_result *r,
                                                     const char *ip)
{
	for (size_t i = 0; ip && i < r->nfindings; i++)
		if (r->findings[i].importpath && strcmp(r->findings[i].importpath, ip) == 0)
			return &r->findings[i];
	return NULL;
}

int buildtrace_spans(const struct buildtrace *bt, const event_array *evs,
                     const struct buildtrace_result *r, span_array *out, char **cause)
{
	long runs = 0;
	*cause = NULL;
	for (size_t i = 0; i < evs->n; i++)
		runs += !evs->v[i].probe;

	/* Which packages' findings have a compile span to go on. */
	char *on_compile = xcalloc(r->nfindings ? r->nfindings : 1, 1);
	for (size_t i = 0; i < evs->n; i++) {
		const struct event *ev = &evs->v[i];
		if (ev->probe || strcmp(ev->tool, "compile") != 0)
			continue;
		const struct buildtrace_findings *f = findings_of(r, ev->importpath);
		if (f)
			on_compile[f - r->findings] = 1;
	}

	struct strbuf pk = STRBUF_INIT;
	for (size_t i = 0; i < r->npackages; i++)
		strbuf_addf(&pk, "%s%s", i ? " " : "", r->packages[i]);
	struct trace_attr root_attrs[8];
	size_t nroot = 0;
	trace_attr_int(&root_attrs[nroot++], "process.exit.code", r->exit_status);
	trace_attr_int(&root_attrs[nroot++], "golive.tool_runs", runs);
	trace_attr_str(&root_attrs[nroot++], "golive.packages", pk.buf);
	trace_attr_str(&root_attrs[nroot++], "golive.version", GOLIVE_VERSION_STRING);
	if (r->go_version)
		trace_attr_str(&root_attrs[nroot++], "golive.go_version", r->go_version);
	if (r->cache_hits >= 0)
		trace_attr_int(&root_attrs[nroot++], "golive.cache_hits", r->cache_hits);
	if (r->graph_packages >= 0)
		trace_attr_int(&root_attrs[nroot++], "golive.graph_packages", r->graph_packages);
	if (r->profile)
		trace_attr_str(&root_attrs[nroot++], "golive.profile", r->profile);

	/* The build span; findings of packages without a compile go on it. */
	ARRAY(struct span_event) root_events = ARRAY_INIT;
	ARRAY(struct span_event *) blocks = ARRAY_INIT;
	int64_t end_ns = r->end_ns > bt->start_ns ? r->end_ns : bt->start_ns;
	for (size_t i = 0; i < r->nfindings; i++) {
		if (on_compile[i] || !r->findings[i].diags || !r->findings[i].diags->n)
			continue;
		size_t n = 0;
		struct span_event *e = diag_events(r->findings[i].diags, end_ns, &n);
		ARRAY_PUSH(blocks, e);
		for (size_t k = 0; k < n; k++)
			ARRAY_PUSH(root_events, e[k]);
	}
	struct span root;
	memset(&root, 0, sizeof(root));
	memcpy(root.trace_id, bt->root.trace_id, sizeof(root.trace_id));
	memcpy(root.span_id, bt->root.span_id, sizeof(root.span_id));
	memcpy(root.parent_id, bt->parent_id, sizeof(root.parent_id));
	root.name = r->root_name ? r->root_name : "build";
	root.start_ns = bt->start_ns;
	root.end_ns = end_ns;
	root.error = r->exit_status != 0;
	root.status_message = r->exit_status != 0 ? "go build failed" : NULL;
	root.attrs = root_attrs;
	root.nattrs = nroot;
	root.trace_state = bt->tracestate;
	root.events = root_events.v;
	root.nevents = root_events.n;
	struct span copy;
	trace_span_copy(&copy, &root);
	ARRAY_PUSH(*out, copy);
	for (size_t i = 0; i < blocks.n; i++)
		free_diag_events(blocks.v[i]);
	ARRAY_FREE(blocks);
	ARRAY_FREE(root_events);
	strbuf_release(&pk);

	int rc = 0;
	for (size_t i = 0; i < evs->n; i++) {
		const struct event *ev = &evs->v[i];
		if (ev->probe)
			continue;
		struct trace_attr attrs[TOOL_ATTRS];
		struct span s;
		memset(&s, 0, sizeof(s));
		memcpy(s.trace_id, bt->root.trace_id, sizeof(s.trace_id));
		memcpy(s.parent_id, bt->root.span_id, sizeof(s.parent_id));
		/* The wrapper's own span, when it joined this very trace under this build. */
		if (ev->has_span && memcmp(ev->trace_id, s.trace_id, sizeof(s.trace_id)) == 0 &&
		    memcmp(ev->parent_id, s.parent_id, sizeof(s.parent_id)) == 0) {
			memcpy(s.span_id, ev->span_id, sizeof(s.span_id));
		} else if (tracectx_new_span_id(s.span_id) < 0) {
			*cause = xstrdup("cannot draw a random span id (getrandom)");
			rc = -1;
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
		s.trace_state = bt->tracestate;
		struct span_event *dev = NULL;
		if (!strcmp(ev->tool, "compile")) {
			const struct buildtrace_findings *f = findings_of(r, ev->importpath);
			if (f && f->diags && f->diags->n)
				dev = diag_events(f->diags, s.end_ns, &s.nevents);
			s.events = dev;
		}
		trace_span_copy(&copy, &s);
		ARRAY_PUSH(*out, copy);
		free_diag_events(dev);
	}
	free(on_compile);
	return rc;
}

int buildtrace_export(const struct buildtrace *bt, const event_array *evs,
                      const struct buildtrace_result *r, struct trace_exporter **ex, size_t nex,
                      char **cause)
{
	span_array spans = ARRAY_INIT;
	struct trace_resource res;
	char *res_warning = NULL, *why = NULL;
	*cause = NULL;
	int rc = buildtrace_spans(bt, evs, r, &spans, &why);
	trace_resource_from_env(&res, &res_warning);
	char *ex_cause = NULL;
	if (trace_export_all(ex, nex, &res, spans.v, spans.n, &ex_cause) < 0)
		rc = -1;
	if (why || ex_cause || res_warning) {
		struct strbuf sb = STRBUF_INIT;
		const char *parts[] = {why, ex_cause, res_warning};
		for (size_t i = 0; i < ARRAY_SIZE(parts); i++)
			if (parts[i])
				strbuf_addf(&sb, "%s%s", sb.len ? "; " : "", parts[i]);
		*cause = strbuf_detach(&sb, NULL);
		rc = -1;
	}
	free(why);
	free(ex_cause);
	free(res_warning);
	trace_resource_release(&res);
	trace_spans_release(&spans);
	return rc;
}
