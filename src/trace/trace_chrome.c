/*
 * trace_chrome.c - see trace.h: the Chrome trace event format exporter.
 *
 * Spans are copied as they arrive (in any order) and the whole file is
 * built with jansson at end(): metadata events first, then one complete
 * event (ph "X") per span in start order. The file is written to
 * "<path>.tmp" and renamed over path, so a reader never sees half a trace.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core/jsonl.h"
#include "trace/trace.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHROME_PID 1

/* A span as the exporter keeps it: every string owned. */
struct chrome_span {
	uint8_t span_id[8];
	uint8_t parent_id[8];
	char *name;
	int64_t start_ns;
	int64_t end_ns;
	int error;
	char *status_message;     /* or NULL */
	struct trace_attr *attrs; /* keys and string values owned */
	size_t nattrs;
	int root; /* set at end(): no parent among the spans given */
	long tid; /* set at end(): 0 for roots, else the lane */
};

struct chrome_exporter {
	struct trace_exporter base; /* first: the vtable the caller holds */
	char *path;
	char *process_name; /* the resource's service.name, or NULL for "golive build" */
	ARRAY(struct chrome_span) spans;
	int ended;
};

static struct chrome_exporter *chrome_of(struct trace_exporter *e)
{
	return (struct chrome_exporter *)e;
}

/* The JSON value of an attribute: typed as given; a non-finite double is null. */
static json_t *attr_json(const struct trace_attr *a)
{
	json_t *j = NULL;
	switch (a->type) {
	case TRACE_ATTR_STRING:
		return json_string_lossy(a->v.s);
	case TRACE_ATTR_INT:
		return json_integer((json_int_t)a->v.i);
	case TRACE_ATTR_DOUBLE:
		j = json_real(a->v.d); /* NULL for NaN and infinities */
		return j ? j : json_null();
	case TRACE_ATTR_BOOL:
		return json_boolean(a->v.b);
	}
	return json_null();
}

static void chrome_span_release(struct chrome_span *cs)
{
	free(cs->name);
	free(cs->status_message);
	trace_attrs_free(cs->attrs, cs->nattrs);
	memset(cs, 0, sizeof(*cs));
}

static int chrome_begin(struct trace_exporter *e, const struct trace_resource *res, char **cause)
{
	struct chrome_exporter *c = chrome_of(e);
	if (c->ended) {
		*cause = xasprintf("chrome trace %s: begin after end", c->path);
		return -1;
	}
	if (!res)
		return 0;
	for (size_t i = 0; i < res->nattrs; i++) {
		const struct trace_attr *a = &res->attrs[i];
		if (a->key && strcmp(a->key, "service.name") == 0 && a->type == TRACE_ATTR_STRING &&
		    a->v.s && *a->v.s) {
			free(c->process_name);
			c->process_name = xstrdup(a->v.s);
		}
	}
	return 0;
}

static int chrome_span(struct trace_exporter *e, const struct span *s, char **cause)
{
	struct chrome_exporter *c = chrome_of(e);
	if (c->ended) {
		*cause = xasprintf("chrome trace %s: span after end", c->path);
		return -1;
	}
	struct chrome_span cs;
	memset(&cs, 0, sizeof(cs));
	memcpy(cs.span_id, s->span_id, sizeof(cs.span_id));
	memcpy(cs.parent_id, s->parent_id, sizeof(cs.parent_id));
	cs.name = xstrdup(s->name ? s->name : "");
	cs.start_ns = s->start_ns;
	cs.end_ns = s->end_ns < s->start_ns ? s->start_ns : s->end_ns;
	cs.error = s->error;
	cs.status_message = s->status_message ? xstrdup(s->status_message) : NULL;
	cs.attrs = trace_attrs_copy(s->attrs, s->nattrs, &cs.nattrs);
	ARRAY_PUSH(c->spans, cs);
	return 0;
}

static int cmp_id(const void *a, const void *b)
{
	return memcmp(a, b, 8);
}

/* Start order; at one start, roots first, then the longer span, then by name. */
static int cmp_start(const void *a, const void *b)
{
	const struct chrome_span *x = *(const struct chrome_span *const *)a;
	const struct chrome_span *y = *(const struct chrome_span *const *)b;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	if (x->root != y->root)
		return x->root ? -1 : 1;
	if (x->end_ns != y->end_ns)
		return x->end_ns > y->end_ns ? -1 : 1;
	return strcmp(x->name, y->name);
}

/*
 * Marks the roots (an all-zero parent, or a parent that is not one of the
 * spans) and gives every other span the lowest lane (1, 2, ...) free at
 * its start, walking the spans in start order. Returns the number of lanes;
 * it equals the largest number of non-root spans running at one time.
 */
static long assign_lanes(struct chrome_span **order, size_t n)
{
	static const uint8_t zero[8];
	uint8_t(*ids)[8] = xcalloc(n ? n : 1, sizeof(*ids));
	ARRAY(int64_t) lane_end = ARRAY_INIT; /* lane_end.v[k]: when lane k + 1 is free */

	for (size_t i = 0; i < n; i++)
		memcpy(ids[i], order[i]->span_id, 8);
	if (n)
		qsort(ids, n, sizeof(*ids), cmp_id);
	for (size_t i = 0; i < n; i++) {
		struct chrome_span *cs = order[i];
		cs->root = memcmp(cs->parent_id, zero, 8) == 0 ||
		           !bsearch(cs->parent_id, ids, n, sizeof(*ids), cmp_id);
	}
	if (n)
		qsort(order, n, sizeof(*order), cmp_start);
	for (size_t i = 0; i < n; i++) {
		struct chrome_span *cs = order[i];
		if (cs->root) {
			cs->tid = 0;
			continue;
		}
		size_t k = 0;
		while (k < lane_end.n && lane_end.v[k] > cs->start_ns)
			k++;
		if (k == lane_end.n)
			ARRAY_PUSH(lane_end, cs->end_ns);
		else
			lane_end.v[k] = cs->end_ns;
		cs->tid = (long)k + 1;
	}
	long lanes = (long)lane_end.n;
	ARRAY_FREE(lane_end);
	free(ids);
	return lanes;
}

/* Nanoseconds since t0 as whole microseconds, rounded to the nearest. */
static json_int_t us_since(int64_t ns, int64_t t0)
{
	return (json_int_t)((ns - t0 + 500) / 1000);
}

static json_t *metadata(const char *what, long tid, const char *key, json_t *value)
{
	json_t *m = json_object();
	json_object_set_new(m, "name", json_string(what));
	json_object_set_new(m, "ph", json_string("M"));
	json_object_set_new(m, "pid", json_integer(CHROME_PID));
	json_object_set_new(m, "tid", json_integer(tid));
	json_t *args = json_object();
	json_object_set_new(args, key, value);
	json_object_set_new(m, "args", args);
	return m;
}

/* The complete event of one span. */
static json_t *complete_event(const struct chrome_span *cs, int64_t t0)
{
	json_t *x = json_object();
	json_int_t ts = us_since(cs->start_ns, t0);
	json_object_set_new(x, "name", json_string_lossy(cs->name));
	json_object_set_new(x, "cat", json_string_lossy(cs->name));
	json_object_set_new(x, "ph", json_string("X"));
	json_object_set_new(x, "ts", json_integer(ts));
	/* The end rounded like the start: a lane's events never overlap. */
	json_object_set_new(x, "dur", json_integer(us_since(cs->end_ns, t0) - ts));
	json_object_set_new(x, "pid", json_integer(CHROME_PID));
	json_object_set_new(x, "tid", json_integer(cs->tid));
	json_t *args = json_object();
	for (size_t i = 0; i < cs->nattrs; i++)
		json_object_set_new(args, cs->attrs[i].key, attr_json(&cs->attrs[i]));
	if (cs->error) {
		json_object_set_new(args, "error", json_true());
		if (cs->status_message)
			json_object_set_new(args, "status_message",
			                    json_string_lossy(cs->status_message));
	}
	json_object_set_new(x, "args", args);
	return x;
}

/* The whole document: {"traceEvents": [...], "displayTimeUnit": "ms"}. */
static json_t *chrome_document(struct chrome_exporter *c)
{
	size_t n = c->spans.n;
	struct chrome_span **order = xcalloc(n ? n : 1, sizeof(*order));
	for (size_t i = 0; i < n; i++)
		order[i] = &c->spans.v[i];
	long lanes = assign_lanes(order, n);
	int64_t t0 = n ? order[0]->start_ns : 0; /* order is by start now */

	json_t *events = json_array();
	json_array_append_new(
	    events,
	    metadata("process_name", 0, "name",
	             json_string_lossy(c->process_name ? c->process_name : "golive build")));
	for (long tid = 0; tid <= lanes; tid++) {
		json_t *name = tid ? json_sprintf("lane %ld", tid) : json_string("build");
		json_array_append_new(events, metadata("thread_name", tid, "name", name));
		json_array_append_new(
		    events, metadata("thread_sort_index", tid, "sort_index", json_integer(tid)));
	}
	for (size_t i = 0; i < n; i++)
		json_array_append_new(events, complete_event(order[i], t0));
	free(order);

	json_t *doc = json_object();
	json_object_set_new(doc, "traceEvents", events);
	json_object_set_new(doc, "displayTimeUnit", json_string("ms"));
	return doc;
}

static int chrome_end(struct trace_exporter *e, char **cause)
{
	struct chrome_exporter *c = chrome_of(e);
	char *tmp = NULL, *txt = NULL;
	int fd = -1, rc = -1;

	if (c->ended) {
		*cause = xasprintf("chrome trace %s: end called twice", c->path);
		return -1;
	}
	c->ended = 1;

	json_t *doc = chrome_document(c);
	txt = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!txt) {
		*cause = xasprintf("chrome trace %s: cannot encode the trace", c->path);
		goto out;
	}
	size_t len = strlen(txt);
	txt[len] = '\n'; /* json_dumps' NUL, now a newline: len + 1 bytes are written */

	tmp = xasprintf("%s.tmp", c->path);
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xasprintf("chrome trace %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (write_all(fd, txt, len + 1) < 0) {
		*cause = xasprintf("chrome trace %s: %s", tmp, strerror(errno));
		goto out;
	}
	int closed = close(fd);
	fd = -1;
	if (closed < 0) {
		*cause = xasprintf("chrome trace %s: %s", tmp, strerror(errno));
		goto out;
	}
	if (rename(tmp, c->path) < 0) {
		*cause = xasprintf("chrome trace %s: %s", c->path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (rc < 0 && tmp)
		unlink(tmp);
	free(tmp);
	free(txt);
	return rc;
}

static void chrome_free(struct trace_exporter *e)
{
	struct chrome_exporter *c = chrome_of(e);
	if (!c)
		return;
	for (size_t i = 0; i < c->spans.n; i++)
		chrome_span_release(&c->spans.v[i]);
	ARRAY_FREE(c->spans);
	free(c->process_name);
	free(c->path);
	free(c);
}

struct trace_exporter *trace_chrome_new(const char *path, char **cause)
{
	if (!path || path_creatable(path) < 0) {
		*cause = xasprintf("chrome trace %s: %s", path ? path : "(null)",
		                   path ? strerror(errno) : strerror(EINVAL));
		return NULL;
	}
	struct chrome_exporter *c = xcalloc(1, sizeof(*c));
	c->base.name = "chrome";
	c->base.begin = chrome_begin;
	c->base.span = chrome_span;
	c->base.end = chrome_end;
	c->base.free = chrome_free;
	c->path = xstrdup(path);
	return &c->base;
}
