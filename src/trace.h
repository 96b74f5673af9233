/*
 * trace.h - the span model of golive's build traces, and the exporters that
 * write it out (issue: observable builds).
 *
 * One model, several outputs: a build is one root span, each tool
 * invocation a child span (from the session's events.jsonl). Exporters are
 * a small vtable in the manner of git's trace2 targets (tr2_tgt.h): begin
 * once with the resource, span for each finished span in any order, end
 * once; then free. An exporter never prints; failures come back as a
 * malloc'd *cause, and a failing exporter never fails the build.
 */
#ifndef GOLIVE_TRACE_H
#define GOLIVE_TRACE_H

#include <stddef.h>
#include <stdint.h>

/* A typed attribute value: OpenTelemetry's string, int, double and bool. */
enum trace_attr_type { TRACE_ATTR_STRING, TRACE_ATTR_INT, TRACE_ATTR_DOUBLE, TRACE_ATTR_BOOL };

struct trace_attr {
	const char *key; /* OpenTelemetry semantic convention name where one exists */
	enum trace_attr_type type;
	union {
		const char *s;
		int64_t i;
		double d;
		int b;
	} v;
};

struct span {
	uint8_t trace_id[16];
	uint8_t span_id[8];
	uint8_t parent_id[8]; /* all zero for a root span without a remote parent */
	const char *name;     /* "build", "compile", "link", ... */
	int64_t start_ns;     /* unix time, nanoseconds */
	int64_t end_ns;
	int error;                  /* status ERROR (a tool that failed); else UNSET */
	const char *status_message; /* with error, or NULL */
	const struct trace_attr *attrs;
	size_t nattrs;
};

/* What produced the spans: OpenTelemetry resource attributes (service.name, ...). */
struct trace_resource {
	const struct trace_attr *attrs;
	size_t nattrs;
};

struct trace_exporter {
	const char *name; /* "chrome", "otlp-file", "otlp-http", "html" */
	int (*begin)(struct trace_exporter *e, const struct trace_resource *res, char **cause);
	/* Called once per span; the exporter copies what it keeps. */
	int (*span)(struct trace_exporter *e, const struct span *s, char **cause);
	/* Writes / sends what it holds. */
	int (*end)(struct trace_exporter *e, char **cause);
	void (*free)(struct trace_exporter *e);
};

/*
 * For exporters, which keep copies of what they are given: a fresh array of
 * attrs with keys and string values owned (attributes without a key are
 * dropped; *nout is the number kept; NULL when none), and its release.
 */
struct trace_attr *trace_attrs_copy(const struct trace_attr *attrs, size_t n, size_t *nout);
void trace_attrs_free(struct trace_attr *attrs, size_t n);

/*
 * Chrome trace event format (chrome://tracing, Perfetto): writes path at
 * end() as {"traceEvents": [...], "displayTimeUnit": "ms"}. Each span is a
 * complete event (ph "X") with ts and dur in microseconds from the earliest
 * span's start, pid 1, name = span name, cat = span name, args = its
 * attributes (plus "error" when it failed). Root spans (no parent among the
 * spans given) go on tid 0; the others get lanes tid 1, 2, ... assigned
 * greedily by start time so that spans on one lane never overlap (a span
 * takes the lowest lane free at its start). Metadata events name the
 * process ("golive build", or the resource's service.name) and each lane
 * ("build", "lane 1", ...). Returns NULL with *cause when path cannot be
 * opened for writing (checked at creation, so a bad path fails early).
 *
 * ts and dur are whole microseconds (start and end each rounded to the
 * nearest, so one lane's events never overlap in the file either). A failed
 * span's args carry "error": true and, when given, "status_message".
 * end() writes "<path>.tmp" and renames it over path; a second end(), or a
 * span() after end(), fails with *cause. free() without end() writes nothing.
 */
struct trace_exporter *trace_chrome_new(const char *path, char **cause);

/*
 * OTLP/JSON file (--trace-out FILE; the OpenTelemetry collector's file
 * exporter format): end() appends one line to path holding one
 * ExportTraceServiceRequest, {"resourceSpans":[{"resource":{"attributes":
 * [...]},"scopeSpans":[{"scope":{"name":"golive","version":...},"spans":
 * [...]}]}]}, with the resource's attributes and every span in arrival
 * order. The OTLP/JSON rules apply: traceId, spanId and parentSpanId are
 * lowercase hex (parentSpanId left out for an all-zero parent), kind is 1
 * (INTERNAL), times and intValue are decimal strings, status is
 * {"code":2,"message":...} for a failed span and {} otherwise; invalid
 * UTF-8 becomes U+FFFD. The line goes out in one write() to a file opened
 * with O_APPEND (created 0644), so several golive processes may share one
 * file. Returns NULL with *cause ("trace file PATH: <strerror>") when path
 * cannot be created (checked at creation, so a bad path fails early).
 * A second end(), or a span() after end(), fails with *cause; free()
 * without end() writes nothing.
 */
struct trace_exporter *trace_otlp_file_new(const char *path, char **cause);

#endif
