/* trace.c - see trace.h: what every exporter shares. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "trace/trace.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/util.h"

#ifndef GOLIVE_VERSION_STRING
#define GOLIVE_VERSION_STRING "dev"
#endif

struct trace_attr *trace_attrs_copy(const struct trace_attr *attrs, size_t n, size_t *nout)
{
	*nout = 0;
	if (!n || !attrs)
		return NULL;
	struct trace_attr *d = xcalloc(n, sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		const struct trace_attr *a = &attrs[i];
		if (!a->key)
			continue; /* nothing to name it by */
		struct trace_attr *t = &d[(*nout)++];
		*t = *a;
		t->key = xstrdup(a->key);
		if (a->type == TRACE_ATTR_STRING)
			t->v.s = a->v.s ? xstrdup(a->v.s) : NULL;
	}
	return d;
}

void trace_attrs_free(struct trace_attr *attrs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free((char *)attrs[i].key);
		if (attrs[i].type == TRACE_ATTR_STRING)
			free((char *)attrs[i].v.s);
	}
	free(attrs);
}

void trace_span_copy(struct span *d, const struct span *s)
{
	*d = *s;
	d->name = xstrdup(s->name ? s->name : "");
	if (d->end_ns < d->start_ns)
		d->end_ns = d->start_ns;
	d->status_message = s->status_message ? xstrdup(s->status_message) : NULL;
	d->trace_state = s->trace_state ? xstrdup(s->trace_state) : NULL;
	d->attrs = trace_attrs_copy(s->attrs, s->nattrs, &d->nattrs);
	d->events = NULL;
	d->nevents = 0;
	if (s->nevents && s->events) {
		struct span_event *ev = xcalloc(s->nevents, sizeof(*ev));
		for (size_t i = 0; i < s->nevents; i++) {
			ev[i].name = xstrdup(s->events[i].name ? s->events[i].name : "");
			ev[i].time_ns = s->events[i].time_ns;
			ev[i].attrs = trace_attrs_copy(s->events[i].attrs, s->events[i].nattrs,
			                               &ev[i].nattrs);
		}
		d->events = ev;
		d->nevents = s->nevents;
	}
}

void trace_span_release(struct span *d)
{
	free((char *)d->name);
	free((char *)d->status_message);
	free((char *)d->trace_state);
	trace_attrs_free((struct trace_attr *)d->attrs, d->nattrs);
	for (size_t i = 0; i < d->nevents; i++) {
		free((char *)d->events[i].name);
		trace_attrs_free((struct trace_attr *)d->events[i].attrs, d->events[i].nattrs);
	}
	free((struct span_event *)d->events);
	memset(d, 0, sizeof(*d));
}

void trace_spans_release(span_array *a)
{
	for (size_t i = 0; i < a->n; i++)
		trace_span_release(&a->v[i]);
	ARRAY_FREE(*a);
}

/* Keeps the first failure in *cause. */
static void keep_first(int rc, char *why, char **cause)
{
	if (rc < 0 && !*cause)
		*cause = why ? why : xstrdup("exporter failed");
	else
		free(why);
}

int trace_export_all(struct trace_exporter **ex, size_t nex, const struct trace_resource *res,
                     const struct span *spans, size_t nspans, char **cause)
{
	*cause = NULL;
	for (size_t k = 0; k < nex; k++) {
		char *why = NULL;
		int rc = ex[k]->begin(ex[k], res, &why);
		keep_first(rc, why, cause);
		for (size_t i = 0; i < nspans; i++) {
			why = NULL;
			rc = ex[k]->span(ex[k], &spans[i], &why); /* before why is read */
			keep_first(rc, why, cause);
		}
		why = NULL;
		rc = ex[k]->end(ex[k], &why);
		keep_first(rc, why, cause);
	}
	return *cause ? -1 : 0;
}

/* ---- the resource ---------------------------------------------------------- */

/* s[0..n) with blanks trimmed and %XX decoded into a new string; NULL on a bad escape. */
static char *trim_decode(const char *s, size_t n)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return percent_decode(s, n);
}

typedef ARRAY(struct trace_attr) attr_array;

static void res_push(attr_array *a, const char *key, char *owned_value)
{
	struct trace_attr t;
	t.key = xstrdup(key);
	t.type = TRACE_ATTR_STRING;
	t.v.s = owned_value;
	ARRAY_PUSH(*a, t);
}

void trace_resource_from_env(struct trace_resource *res, char **warning)
{
	attr_array a = ARRAY_INIT, extra = ARRAY_INIT;
	const char *env = getenv("OTEL_RESOURCE_ATTRIBUTES");
	const char *svc = getenv("OTEL_SERVICE_NAME");
	char *svc_from_attrs = NULL;
	*warning = NULL;

	for (const char *p = env; p && *p;) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		char *key = eq ? trim_decode(p, (size_t)(eq - p)) : NULL;
		char *val = eq ? trim_decode(eq + 1, n - (size_t)(eq - p) - 1) : NULL;
		int blank = strspn(p, " \t") >= n;
		if (!blank && (!key || !*key || !val)) {
			if (!*warning)
				*warning =
				    xasprintf("OTEL_RESOURCE_ATTRIBUTES: member \"%.*s\" is not "
				              "key=value (percent-encoded); skipped",
				              (int)(n > 80 ? 80 : n), p);
		} else if (!blank && strcmp(key, "service.name") == 0) {
			free(svc_from_attrs);
			svc_from_attrs = val;
			val = NULL;
		} else if (!blank) {
			res_push(&extra, key, val);
			val = NULL;
		}
		free(key);
		free(val);
		p = end ? end + 1 : p + n;
	}

	if (svc && *svc) {
		res_push(&a, "service.name", xstrdup(svc));
		free(svc_from_attrs);
	} else {
		res_push(&a, "service.name", svc_from_attrs ? svc_from_attrs : xstrdup("golive"));
	}
	res_push(&a, "service.version", xstrdup(GOLIVE_VERSION_STRING));
	struct trace_attr pid = {xstrdup("process.pid"), TRACE_ATTR_INT, {.i = getpid()}};
	ARRAY_PUSH(a, pid);
	char host[256];
	if (gethostname(host, sizeof(host)) == 0) {
		host[sizeof(host) - 1] = '\0';
		res_push(&a, "host.name", xstrdup(host));
	}
	for (size_t i = 0; i < extra.n; i++) {
		int dup = 0;
		for (size_t j = 0; j < a.n && !dup; j++)
			dup = strcmp(a.v[j].key, extra.v[i].key) == 0;
		if (dup) {
			free((char *)extra.v[i].key);
			free((char *)extra.v[i].v.s);
		} else {
			ARRAY_PUSH(a, extra.v[i]);
		}
	}
	ARRAY_FREE(extra);
	res->attrs = a.v;
	res->nattrs = a.n;
}

void trace_resource_release(struct trace_resource *res)
{
	trace_attrs_free((struct trace_attr *)res->attrs, res->nattrs);
	res->attrs = NULL;
	res->nattrs = 0;
}
