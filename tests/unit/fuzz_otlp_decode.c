/*
 * libFuzzer target: trace_otlp_decode() on arbitrary bytes (golive dev reads
 * the OTLP/JSON files its builds write). It must never crash or leak, and
 * what it accepts must survive the encoder: re-encoded by trace_otlp_new()
 * and decoded again, the same spans come back (ids, names, times, status,
 * traceState, attributes and events).
 *
 * The first byte picks how the rest is read: as a whole document, or as the
 * fields of one span spliced into a valid document (newline-separated:
 * traceId, spanId, parentSpanId, then raw JSON for name, the two times,
 * traceState, status, attributes and events; an empty or missing field
 * takes a valid default), so that short runs reach the span decoder.
 */
#define _GNU_SOURCE
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_otlp_decode: %s:%d: %s\n", __FILE__, __LINE__,       \
			        #cond);                                                            \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

static int capture(void *ctx, const char *json, size_t len, char **cause)
{
	(void)cause;
	struct strbuf *sb = ctx;
	strbuf_add(sb, json, len);
	return 0;
}

static int str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void check_attrs(const struct trace_attr *a, size_t na, const struct trace_attr *b,
                        size_t nb)
{
	CHECK(na == nb);
	for (size_t i = 0; i < na; i++) {
		CHECK(strcmp(a[i].key, b[i].key) == 0);
		CHECK(a[i].type == b[i].type);
		switch (a[i].type) {
		case TRACE_ATTR_STRING:
			CHECK(str_eq(a[i].v.s, b[i].v.s));
			break;
		case TRACE_ATTR_INT:
			CHECK(a[i].v.i == b[i].v.i);
			break;
		case TRACE_ATTR_DOUBLE:
			CHECK((isnan(a[i].v.d) && isnan(b[i].v.d)) || a[i].v.d == b[i].v.d);
			break;
		case TRACE_ATTR_BOOL:
			CHECK(!!a[i].v.b == !!b[i].v.b);
			break;
		}
	}
}

static void check_same(const struct span *a, const struct span *b)
{
	CHECK(memcmp(a->trace_id, b->trace_id, 16) == 0);
	CHECK(memcmp(a->span_id, b->span_id, 8) == 0);
	CHECK(memcmp(a->parent_id, b->parent_id, 8) == 0);
	CHECK(strcmp(a->name, b->name) == 0);
	CHECK(a->start_ns == b->start_ns);
	CHECK(a->end_ns == b->end_ns);
	CHECK(a->start_ns <= a->end_ns);
	CHECK(!!a->error == !!b->error);
	CHECK(str_eq(a->status_message, b->status_message));
	CHECK(str_eq(a->trace_state, b->trace_state));
	check_attrs(a->attrs, a->nattrs, b->attrs, b->nattrs);
	CHECK(a->nevents == b->nevents);
	for (size_t i = 0; i < a->nevents; i++) {
		CHECK(strcmp(a->events[i].name, b->events[i].name) == 0);
		CHECK(a->events[i].time_ns == b->events[i].time_ns);
		check_attrs(a->events[i].attrs, a->events[i].nattrs, b->events[i].attrs,
		            b->events[i].nattrs);
	}
}

static void check_doc(const char *doc, size_t len)
{
	span_array first = ARRAY_INIT, second = ARRAY_INIT;
	char *cause = NULL;
	long n = trace_otlp_decode(doc, len, &first, &cause);
	if (n < 0) {
		CHECK(cause != NULL);
		free(cause);
		trace_spans_release(&first); /* what came before the error */
		return;
	}
	CHECK(cause == NULL);
	CHECK((size_t)n == first.n);

	struct strbuf js = STRBUF_INIT;
	struct trace_exporter *e = trace_otlp_new("otlp-fuzz", "fuzz", capture, NULL, &js);
	CHECK(e->begin(e, NULL, &cause) == 0);
	for (size_t i = 0; i < first.n; i++)
		CHECK(e->span(e, &first.v[i], &cause) == 0);
	CHECK(e->end(e, &cause) == 0);
	e->free(e);

	long n2 = trace_otlp_decode(js.buf, js.len, &second, &cause);
	if (n2 < 0)
		fprintf(stderr, "fuzz_otlp_decode: re-encoded document rejected: %s\n", cause);
	CHECK(n2 == n);
	for (size_t i = 0; i < first.n; i++)
		check_same(&first.v[i], &second.v[i]);
	strbuf_release(&js);
	trace_spans_release(&first);
	trace_spans_release(&second);
}

/* Field k of the newline-separated fields in data[0..size), or def when empty or missing. */
static void add_field(struct strbuf *sb, const uint8_t *data, size_t size, int k, const char *def)
{
	size_t start = 0;
	for (int i = 0; i < k; i++) {
		const uint8_t *nl = start < size ? memchr(data + start, '\n', size - start) : NULL;
		if (!nl) {
			strbuf_addstr(sb, def);
			return;
		}
		start = (size_t)(nl - data) + 1;
	}
	const uint8_t *nl = start < size ? memchr(data + start, '\n', size - start) : NULL;
	size_t end = nl ? (size_t)(nl - data) : size;
	if (end <= start)
		strbuf_addstr(sb, def);
	else
		strbuf_add(sb, data + start, end - start);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (!(data[0] & 1)) {
		check_doc((const char *)data + 1, size - 1);
		return 0;
	}
	const uint8_t *d = data + 1;
	size_t n = size - 1;
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"resourceSpans\":[{\"scopeSpans\":[{\"spans\":[{\"traceId\":\"");
	add_field(&sb, d, n, 0, "0af7651916cd43dd8448eb211c80319c");
	strbuf_addstr(&sb, "\",\"spanId\":\"");
	add_field(&sb, d, n, 1, "b7ad6b7169203331");
	strbuf_addstr(&sb, "\",\"parentSpanId\":\"");
	add_field(&sb, d, n, 2, "00f067aa0ba902b7");
	strbuf_addstr(&sb, "\",\"name\":");
	add_field(&sb, d, n, 3, "\"compile\"");
	strbuf_addstr(&sb, ",\"startTimeUnixNano\":");
	add_field(&sb, d, n, 4, "\"1700000000000000000\"");
	strbuf_addstr(&sb, ",\"endTimeUnixNano\":");
	add_field(&sb, d, n, 5, "\"1700000000000000001\"");
	strbuf_addstr(&sb, ",\"traceState\":");
	add_field(&sb, d, n, 6, "\"a=b\"");
	strbuf_addstr(&sb, ",\"status\":");
	add_field(&sb, d, n, 7, "{}");
	strbuf_addstr(&sb, ",\"attributes\":");
	add_field(&sb, d, n, 8, "[{\"key\":\"k\",\"value\":{\"intValue\":\"1\"}}]");
	strbuf_addstr(&sb, ",\"events\":");
	add_field(&sb, d, n, 9, "[{\"name\":\"e\",\"timeUnixNano\":\"2\",\"attributes\":[]}]");
	strbuf_addstr(&sb, "}]}]}]}");
	check_doc(sb.buf, sb.len);
	strbuf_release(&sb);
	return 0;
}
