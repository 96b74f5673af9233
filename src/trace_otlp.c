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
#include "jsonl.h"
#include "trace.h"
#include "util.h"

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

/* A span as the exporter keeps it: every string owned. */
struct otlp_span {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_id[8];
	char *name;
	int64_t start_ns;
	int64_t end_ns;
	int error;
	char *status_message;     /* or NULL */
	struct trace_attr *attrs; /* keys and string values owned */
	size_t nattrs;
};

struct otlp_exporter {
	struct trace_exporter base; /* first: the vtable the caller holds */
	char *path;
	struct trace_attr *res_attrs; /* the resource's, keys and string values owned */
	size_t res_nattrs;
	ARRAY(struct otlp_span) spans; /* in arrival order */
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

static void otlp_span_release(struct otlp_span *os)
{
	free(os->name);
	free(os->status_message);
	trace_attrs_free(os->attrs, os->nattrs);
	memset(os, 0, sizeof(*os));
}

static int otlp_begin(struct trace_exporter *e, const struct trace_resource *res, char **cause)
{
	struct otlp_exporter *o = otlp_of(e);
	if (o->ended) {
		*cause = xasprintf("trace file %s: begin after end", o->path);
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
		*cause = xasprintf("trace file %s: span after end", o->path);
		return -1;
	}
	struct otlp_span os;
	memset(&os, 0, sizeof(os));
	memcpy(os.trace_id, s->trace_id, sizeof(os.trace_id));
	memcpy(os.span_id, s->span_id, sizeof(os.span_id));
	memcpy(os.parent_id, s->parent_id, sizeof(os.parent_id));
	os.name = xstrdup(s->name ? s->name : "");
	/* fixed64 on the wire: no negative times, and no end before the start. */
	os.start_ns = s->start_ns < 0 ? 0 : s->start_ns;
	os.end_ns = s->end_ns < os.start_ns ? os.start_ns : s->end_ns;
	os.error = s->error;
	os.status_message = s->status_message ? xstrdup(s->status_message) : NULL;
	os.attrs = trace_attrs_copy(s->attrs, s->nattrs, &os.nattrs);
	ARRAY_PUSH(o->spans, os);
	return 0;
}

/* One Span in OTLP/JSON. */
static json_t *span_json(const struct otlp_span *os)
{
	static const uint8_t zero[8];
	json_t *j = json_object();
	json_object_set_new(j, "traceId", hex_id(os->trace_id, sizeof(os->trace_id)));
	json_object_set_new(j, "spanId", hex_id(os->span_id, sizeof(os->span_id)));
	if (memcmp(os->parent_id, zero, sizeof(zero)) != 0)
		json_object_set_new(j, "parentSpanId",
		                    hex_id(os->parent_id, sizeof(os->parent_id)));
	json_object_set_new(j, "name", jstr(os->name));
	json_object_set_new(j, "kind", json_integer(OTLP_SPAN_KIND_INTERNAL));
	json_object_set_new(j, "startTimeUnixNano", int64_str(os->start_ns));
	json_object_set_new(j, "endTimeUnixNano", int64_str(os->end_ns));
	json_object_set_new(j, "attributes", key_values(os->attrs, os->nattrs));
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
	char *txt = NULL;
	int fd = -1, rc = -1;

	if (o->ended) {
		*cause = xasprintf("trace file %s: end called twice", o->path);
		return -1;
	}
	o->ended = 1;

	json_t *doc = otlp_document(o);
	txt = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!txt) {
		*cause = xasprintf("trace file %s: cannot encode the trace", o->path);
		goto out;
	}
	size_t len = strlen(txt);
	txt[len] = '\n'; /* json_dumps' NUL, now a newline: len + 1 bytes are written */

	fd = open(o->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		*cause = xasprintf("trace file %s: %s", o->path, strerror(errno));
		goto out;
	}
	/*
	 * One write() of the whole line: with O_APPEND, lines of concurrent
	 * writers never interleave. A short write is not retried (the rest
	 * could land after another writer's line); it is reported instead.
	 */
	ssize_t n;
	do
		n = write(fd, txt, len + 1);
	while (n < 0 && errno == EINTR);
	if (n < 0) {
		*cause = xasprintf("trace file %s: %s", o->path, strerror(errno));
		goto out;
	}
	if ((size_t)n != len + 1) {
		*cause =
		    xasprintf("trace file %s: short write (%zd of %zu bytes)", o->path, n, len + 1);
		goto out;
	}
	int closed = close(fd);
	fd = -1;
	if (closed < 0) {
		*cause = xasprintf("trace file %s: %s", o->path, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	free(txt);
	return rc;
}

static void otlp_free(struct trace_exporter *e)
{
	struct otlp_exporter *o = otlp_of(e);
	if (!o)
		return;
	for (size_t i = 0; i < o->spans.n; i++)
		otlp_span_release(&o->spans.v[i]);
	ARRAY_FREE(o->spans);
	trace_attrs_free(o->res_attrs, o->res_nattrs);
	free(o->path);
	free(o);
}

struct trace_exporter *trace_otlp_file_new(const char *path, char **cause)
{
	if (!path || path_creatable(path) < 0) {
		*cause = xasprintf("trace file %s: %s", path ? path : "(null)",
		                   path ? strerror(errno) : strerror(EINVAL));
		return NULL;
	}
	struct otlp_exporter *o = xcalloc(1, sizeof(*o));
	o->base.name = "otlp-file";
	o->base.begin = otlp_begin;
	o->base.span = otlp_span;
	o->base.end = otlp_end;
	o->base.free = otlp_free;
	o->path = xstrdup(path);
	return &o->base;
}
