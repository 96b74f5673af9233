/*
 * trace_otlp.c - see trace.h: the OTLP/JSON file exporter (--trace-out),
 * in the format of the OpenTelemetry collector's file exporter.
 *
 * Spans are copied as they arrive and kept in arrival order. At end() one
 * ExportTraceServiceRequest is built with jansson in the OTLP/JSON encoding
 * (ids as lowercase hex, enums as integers, 64-bit integers as decimal
 * strings, lowerCamelCase names) and appended to the file as one line with
 * one write(), so that several golive processes can share one file.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core/jsonl.h"
#include "trace/trace.h"
#include "core/util.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef GOLIVE_VERSION_STRING
#define OTLP_SCOPE_VERSION GOLIVE_VERSION_STRING
#else
#define OTLP_SCOPE_VERSION "dev"
#endif

#define OTLP_SPAN_KIND_INTERNAL 1 /* opentelemetry.proto.trace.v1.Span.SpanKind */
#define OTLP_STATUS_CODE_ERROR  2 /* opentelemetry.proto.trace.v1.Status.StatusCode */

struct otlp_exporter {
	struct trace_exporter base; /* first: the vtable the caller holds */
	char *what;                 /* the destination, in errors: "trace file PATH" */
	int (*deliver)(void *ctx, const char *json, size_t len, char **cause);
	void (*free_ctx)(void *ctx);
	void *ctx;
	struct trace_attr *res_attrs; /* the resource's, keys and string values owned */
	size_t res_nattrs;
	ARRAY(struct span) spans; /* owned copies, in arrival order */
	int ended;
};

static struct otlp_exporter *otlp_of(struct trace_exporter *e)
{
	return (struct otlp_exporter *)e;
}

/* A JSON string of s ("" for NULL), invalid UTF-8 replaced. */
static json_t *jstr(const char *s)
{
	return s ? json_string_lossy(s) : json_string("");
}

/* An id as lowercase hex (OTLP/JSON: not base64). */
static json_t *hex_id(const uint8_t *id, size_t n)
{
	static const char digits[] = "0123456789abcdef";
	char buf[2 * 16 + 1];
	for (size_t i = 0; i < n; i++) {
		buf[2 * i] = digits[id[i] >> 4];
		buf[2 * i + 1] = digits[id[i] & 0xf];
	}
	buf[2 * n] = '\0';
	return json_string(buf);
}

/* A 64-bit integer as a decimal string (the proto3 JSON mapping of int64 and fixed64). */
static json_t *int64_str(int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return json_string(buf);
}

/*
 * The AnyValue of an attribute: {"stringValue": ...}, {"intValue": "<decimal>"},
 * {"doubleValue": <number>} (or "NaN", "Infinity", "-Infinity", as proto3
 * JSON spells the non-finite ones) or {"boolValue": ...}.
 */
static json_t *any_value(const struct trace_attr *a)
{
	json_t *v = json_object();
	switch (a->type) {
	case TRACE_ATTR_STRING:
		json_object_set_new(v, "stringValue", jstr(a->v.s));
		break;
	case TRACE_ATTR_INT:
		json_object_set_new(v, "intValue", int64_str(a->v.i));
		break;
	case TRACE_ATTR_DOUBLE:
		if (isnan(a->v.d))
			json_object_set_new(v, "doubleValue", json_string("NaN"));
		else if (isinf(a->v.d))
			json_object_set_new(v, "doubleValue",
			                    json_string(a->v.d > 0 ? "Infinity" : "-Infinity"));
		else
			json_object_set_new(v, "doubleValue", json_real(a->v.d));
		break;
	case TRACE_ATTR_BOOL:
		json_object_set_new(v, "boolValue", json_boolean(a->v.b));
		break;
	}
	return v;
}

/* [{"key": ..., "value": AnyValue}, ...] */
static json_t *key_values(const struct trace_attr *attrs, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *kv = json_object();
		json_object_set_new(kv, "key", jstr(attrs[i].key));
		json_object_set_new(kv, "value", any_value(&attrs[i]));
		json_array_append_new(arr, kv);
	}
	return arr;
}

static int otlp_begin(struct trace_exporter *e, const struct trace_resource *res, char **cause)
{
	struct otlp_exporter *o = otlp_of(e);
	if (o->ended) {
		*cause = xasprintf("%s: begin after end", o->what);
		return -1;
	}
	trace_attrs_free(o->res_attrs, o->res_nattrs);
	o->res_attrs = NULL;
	o->res_nattrs = 0;
	if (res)
		o->res_attrs = trace_attrs_copy(res->attrs, res->nattrs, &o->res_nattrs);
	return 0;
}

static int otlp_span(struct trace_exporter *e, const struct span *s, char **cause)
{
	struct otlp_exporter *o = otlp_of(e);
	if (o->ended) {
		*cause = xasprintf("%s: span after end", o->what);
		return -1;
	}
	struct span os;
	trace_span_copy(&os, s);
	/* fixed64 on the wire: no negative times. */
	if (os.start_ns < 0)
		os.start_ns = 0;
	if (os.end_ns < os.start_ns)
		os.end_ns = os.start_ns;
	ARRAY_PUSH(o->spans, os);
	return 0;
}

/* One Span in OTLP/JSON. */
static json_t *span_json(const struct span *os)
{
	static const uint8_t zero[8];
	json_t *j = json_object();
	json_object_set_new(j, "traceId", hex_id(os->trace_id, sizeof(os->trace_id)));
	json_object_set_new(j, "spanId", hex_id(os->span_id, sizeof(os->span_id)));
	if (os->trace_state && *os->trace_state)
		json_object_set_new(j, "traceState", jstr(os->trace_state));
	if (memcmp(os->parent_id, zero, sizeof(zero)) != 0)
		json_object_set_new(j, "parentSpanId",
		                    hex_id(os->parent_id, sizeof(os->parent_id)));
	json_object_set_new(j, "name", jstr(os->name));
	json_object_set_new(j, "kind", json_integer(OTLP_SPAN_KIND_INTERNAL));
	json_object_set_new(j, "startTimeUnixNano", int64_str(os->start_ns));
	json_object_set_new(j, "endTimeUnixNano", int64_str(os->end_ns));
	json_object_set_new(j, "attributes", key_values(os->attrs, os->nattrs));
	if (os->nevents) {
		json_t *evs = json_array();
		for (size_t i = 0; i < os->nevents; i++) {
			const struct span_event *ev = &os->events[i];
			json_t *je = json_object();
			json_object_set_new(je, "timeUnixNano",
			                    int64_str(ev->time_ns < 0 ? 0 : ev->time_ns));
			json_object_set_new(je, "name", jstr(ev->name));
			json_object_set_new(je, "attributes", key_values(ev->attrs, ev->nattrs));
			json_array_append_new(evs, je);
		}
		json_object_set_new(j, "events", evs);
	}
	/* proto3 JSON leaves out defaults: UNSET (0) is {}, an empty message too. */
	json_t *status = json_object();
	if (os->error) {
		json_object_set_new(status, "code", json_integer(OTLP_STATUS_CODE_ERROR));
		if (os->status_message && *os->status_message)
			json_object_set_new(status, "message", jstr(os->status_message));
	}
	json_object_set_new(j, "status", status);
	return j;
}

/* The ExportTraceServiceRequest: one resource, one scope ("golive"), every span. */
static json_t *otlp_document(const struct otlp_exporter *o)
{
	json_t *resource = json_object();
	json_object_set_new(resource, "attributes", key_values(o->res_attrs, o->res_nattrs));

	json_t *scope = json_object();
	json_object_set_new(scope, "name", json_string("golive"));
	json_object_set_new(scope, "version", json_string(OTLP_SCOPE_VERSION));

	json_t *spans = json_array();
	for (size_t i = 0; i < o->spans.n; i++)
		json_array_append_new(spans, span_json(&o->spans.v[i]));

	json_t *ss = json_object();
	json_object_set_new(ss, "scope", scope);
	json_object_set_new(ss, "spans", spans);
	json_t *scope_spans = json_array();
	json_array_append_new(scope_spans, ss);

	json_t *rs = json_object();
	json_object_set_new(rs, "resource", resource);
	json_object_set_new(rs, "scopeSpans", scope_spans);
	json_t *resource_spans = json_array();
	json_array_append_new(resource_spans, rs);

	json_t *doc = json_object();
	json_object_set_new(doc, "resourceSpans", resource_spans);
	return doc;
}

static int otlp_end(struct trace_exporter *e, char **cause)
{
	struct otlp_exporter *o = otlp_of(e);
	if (o->ended) {
		*cause = xasprintf("%s: end called twice", o->what);
		return -1;
	}
	o->ended = 1;

	json_t *doc = otlp_document(o);
	char *txt = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!txt) {
		*cause = xasprintf("%s: cannot encode the trace", o->what);
		return -1;
	}
	int rc = o->deliver(o->ctx, txt, strlen(txt), cause);
	free(txt);
	return rc;
}

static void otlp_free(struct trace_exporter *e)
{
	struct otlp_exporter *o = otlp_of(e);
	if (!o)
		return;
	for (size_t i = 0; i < o->spans.n; i++)
		trace_span_release(&o->spans.v[i]);
	ARRAY_FREE(o->spans);
	trace_attrs_free(o->res_attrs, o->res_nattrs);
	if (o->free_ctx)
		o->free_ctx(o->ctx);
	free(o->what);
	free(o);
}

struct trace_exporter *trace_otlp_new(const char *name, const char *what,
                                      int (*deliver)(void *ctx, const char *json, size_t len,
                                                     char **cause),
                                      void (*free_ctx)(void *ctx), void *ctx)
{
	struct otlp_exporter *o = xcalloc(1, sizeof(*o));
	o->base.name = name;
	o->base.begin = otlp_begin;
	o->base.span = otlp_span;
	o->base.end = otlp_end;
	o->base.free = otlp_free;
	o->what = xstrdup(what);
	o->deliver = deliver;
	o->free_ctx = free_ctx;
	o->ctx = ctx;
	return &o->base;
}

/* ---- the file exporter: one line appended per batch ----------------------- */

static int file_deliver(void *ctx, const char *json, size_t len, char **cause)
{
	const char *path = ctx;
	char *line = xmalloc(len + 1);
	int fd = -1, rc = -1;
	memcpy(line, json, len);
	line[len] = '\n';

	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xasprintf("trace file %s: %s", path, strerror(errno));
		goto out;
	}
	/*
	 * One write() of the whole line: with O_APPEND, lines of concurrent
	 * writers never interleave. A short write is not retried (the rest
	 * could land after another writer's line); it is reported instead.
	 */
	ssize_t n;
	do
		n = write(fd, line, len + 1);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		*cause = xasprintf("trace file %s: %s", path, strerror(errno));
		goto out;
	}
	if ((size_t)n != len + 1) {
		*cause =
		    xasprintf("trace file %s: short write (%zd of %zu bytes)", path, n, len + 1);
		goto out;
	}
	int closed = close(fd);
	fd = -1;
	if (closed < 0) {
		*cause = xasprintf("trace file %s: %s", path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(line);
	return rc;
}

struct trace_exporter *trace_otlp_file_new(const char *path, char **cause)
{
	if (!path || path_creatable(path) < 0) {
		*cause = xasprintf("trace file %s: %s", path ? path : "(null)",
		                   path ? strerror(errno) : strerror(EINVAL));
		return NULL;
	}
	char *what = xasprintf("trace file %s", path);
	struct trace_exporter *e =
	    trace_otlp_new("otlp-file", what, file_deliver, free, xstrdup(path));
	free(what);
	return e;
}

/* ---- decoding (golive's own files) -------------------------------------- */

/* n bytes from the 2n-digit hex string v (either case); -1 if it is not one. */
static int dec_hex(json_t *v, uint8_t *out, size_t n)
{
	const char *s = json_string_value(v);
	if (!s || strlen(s) != 2 * n)
		return -1;
	for (size_t i = 0; i < 2 * n; i++) {
		int c = (unsigned char)s[i], d;
		if (c >= '0' && c <= '9')
			d = c - '0';
		else if (c >= 'a' && c <= 'f')
			d = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			d = c - 'A' + 10;
		else
			return -1;
		out[i / 2] = (uint8_t)(i % 2 ? out[i / 2] | d : d << 4);
	}
	return 0;
}

/* A decimal string or an integer as int64; -1 if it is neither. */
static int dec_int64(json_t *v, int64_t *out)
{
	if (json_is_integer(v)) {
		*out = json_integer_value(v);
		return 0;
	}
	const char *s = json_string_value(v);
	if (!s || !*s)
		return -1;
	char *end;
	errno = 0;
	long long x = strtoll(s, &end, 10);
	if (*end || errno)
		return -1;
	*out = x;
	return 0;
}

/* A number, or "NaN", "Infinity" or "-Infinity" as any_value() writes them; -1 otherwise. */
static int dec_double(json_t *v, double *out)
{
	const char *s = json_string_value(v);
	if (json_is_number(v))
		*out = json_number_value(v);
	else if (s && strcmp(s, "NaN") == 0)
		*out = NAN;
	else if (s && strcmp(s, "Infinity") == 0)
		*out = INFINITY;
	else if (s && strcmp(s, "-Infinity") == 0)
		*out = -INFINITY;
	else
		return -1;
	return 0;
}

typedef ARRAY(struct trace_attr) dec_attrs;

/* Attributes [{"key","value":{...}}] into owned attrs; unsupported values skipped. */
static int dec_attributes(json_t *arr, struct trace_attr **attrs, size_t *n, const char *where,
                          char **cause)
{
	dec_attrs a = ARRAY_INIT;
	*attrs = NULL;
	*n = 0;
	if (!arr)
		return 0;
	if (!json_is_array(arr)) {
		*cause = xasprintf("%s.attributes: expected an array", where);
		return -1;
	}
	size_t i;
	json_t *kv;
	json_array_foreach(arr, i, kv)
	{
		const char *key = json_string_value(json_object_get(kv, "key"));
		json_t *val = json_object_get(kv, "value");
		if (!key || !json_is_object(val)) {
			*cause = xasprintf("%s.attributes[%zu]: expected {\"key\", \"value\"}",
			                   where, i);
			trace_attrs_free(a.v, a.n);
			return -1;
		}
		struct trace_attr t;
		json_t *x;
		memset(&t, 0, sizeof(t));
		if ((x = json_object_get(val, "stringValue")) && json_is_string(x)) {
			t.type = TRACE_ATTR_STRING;
			t.v.s = xstrdup(json_string_value(x));
		} else if ((x = json_object_get(val, "intValue")) && dec_int64(x, &t.v.i) == 0) {
			t.type = TRACE_ATTR_INT;
		} else if ((x = json_object_get(val, "doubleValue")) &&
		           dec_double(x, &t.v.d) == 0) {
			t.type = TRACE_ATTR_DOUBLE;
		} else if ((x = json_object_get(val, "boolValue")) && json_is_boolean(x)) {
			t.type = TRACE_ATTR_BOOL;
			t.v.b = json_is_true(x);
		} else {
			continue;
		}
		t.key = xstrdup(key);
		ARRAY_PUSH(a, t);
	}
	*attrs = a.v;
	*n = a.n;
	return 0;
}

static int dec_span(json_t *js, struct span *sp, const char *where, char **cause)
{
	static const uint8_t zero[16];
	memset(sp, 0, sizeof(*sp));
	const char *name = json_string_value(json_object_get(js, "name"));
	json_t *parent = json_object_get(js, "parentSpanId");
	if (!json_is_object(js) || !name ||
	    dec_hex(json_object_get(js, "traceId"), sp->trace_id, 16) < 0 ||
	    dec_hex(json_object_get(js, "spanId"), sp->span_id, 8) < 0 ||
	    (parent && !(json_is_string(parent) && !*json_string_value(parent)) &&
	     dec_hex(parent, sp->parent_id, 8) < 0) ||
	    !memcmp(sp->trace_id, zero, 16) || !memcmp(sp->span_id, zero, 8) ||
	    dec_int64(json_object_get(js, "startTimeUnixNano"), &sp->start_ns) < 0 ||
	    dec_int64(json_object_get(js, "endTimeUnixNano"), &sp->end_ns) < 0 ||
	    sp->start_ns < 0 || sp->end_ns < 0) { /* fixed64: never negative */
		*cause =
		    xasprintf("%s: not a span (name, traceId, spanId, parentSpanId, times)", where);
		return -1;
	}
	sp->name = xstrdup(name);
	if (sp->end_ns < sp->start_ns)
		sp->end_ns = sp->start_ns;
	const char *ts = json_string_value(json_object_get(js, "traceState"));
	sp->trace_state = ts && *ts ? xstrdup(ts) : NULL;
	json_t *st = json_object_get(js, "status");
	if (json_is_object(st)) {
		json_t *code = json_object_get(st, "code");
		sp->error =
		    json_is_integer(code) && json_integer_value(code) == OTLP_STATUS_CODE_ERROR;
		const char *msg = json_string_value(json_object_get(st, "message"));
		sp->status_message = msg && sp->error ? xstrdup(msg) : NULL;
	}
	struct trace_attr *attrs;
	size_t n;
	if (dec_attributes(json_object_get(js, "attributes"), &attrs, &n, where, cause) < 0)
		goto fail;
	sp->attrs = attrs;
	sp->nattrs = n;
	json_t *evs = json_object_get(js, "events");
	if (evs && !json_is_array(evs)) {
		*cause = xasprintf("%s.events: expected an array", where);
		goto fail;
	}
	if (evs && json_array_size(evs)) {
		struct span_event *e = xcalloc(json_array_size(evs), sizeof(*e));
		sp->events = e;
		size_t i;
		json_t *je;
		json_array_foreach(evs, i, je)
		{
			char *w = xasprintf("%s.events[%zu]", where, i);
			const char *en = json_string_value(json_object_get(je, "name"));
			int bad =
			    !en ||
			    dec_int64(json_object_get(je, "timeUnixNano"), &e[i].time_ns) < 0 ||
			    e[i].time_ns < 0;
			if (bad)
				*cause = xasprintf("%s: expected name and timeUnixNano", w);
			else if (dec_attributes(json_object_get(je, "attributes"), &attrs, &n, w,
			                        cause) == 0) {
				e[i].attrs = attrs;
				e[i].nattrs = n;
			} else {
				bad = 1;
			}
			free(w);
			e[i].name = xstrdup(en ? en : "");
			sp->nevents = i + 1;
			if (bad)
				goto fail;
		}
	}
	return 0;
fail:
	trace_span_release(sp);
	return -1;
}

long trace_otlp_decode(const char *json, size_t len, span_array *out, char **cause)
{
	json_error_t jerr;
	json_t *doc = json_loadb(json, len, 0, &jerr);
	long added = 0;
	if (!doc) {
		*cause = xasprintf("line %d, column %d: %s", jerr.line, jerr.column, jerr.text);
		return -1;
	}
	json_t *rss = json_object_get(doc, "resourceSpans");
	if (!json_is_array(rss)) {
		json_decref(doc);
		*cause = xstrdup("resourceSpans: expected an array");
		return -1;
	}
	size_t i, j, k;
	json_t *rs, *ss, *js;
	json_array_foreach(rss, i, rs)
	{
		json_t *sss = json_object_get(rs, "scopeSpans");
		if (sss && !json_is_array(sss)) {
			*cause = xasprintf("resourceSpans[%zu].scopeSpans: expected an array", i);
			goto fail;
		}
		json_array_foreach(sss, j, ss)
		{
			json_t *spans = json_object_get(ss, "spans");
			if (spans && !json_is_array(spans)) {
				*cause = xasprintf(
				    "resourceSpans[%zu].scopeSpans[%zu].spans: expected an array",
				    i, j);
				goto fail;
			}
			json_array_foreach(spans, k, js)
			{
				char *where = xasprintf(
				    "resourceSpans[%zu].scopeSpans[%zu].spans[%zu]", i, j, k);
				struct span sp;
				int rc = dec_span(js, &sp, where, cause);
				free(where);
				if (rc < 0)
					goto fail;
				ARRAY_PUSH(*out, sp);
				added++;
			}
		}
	}
	json_decref(doc);
	return added;
fail:
	json_decref(doc);
	return -1;
}
