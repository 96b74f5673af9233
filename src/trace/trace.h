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

#include "core/util.h"

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

/*
 * Something that happened at a point in a span (OTLP Span.Event): golive
 * uses it for analysis findings, name "golive.diagnostic" with attributes
 * code.filepath, code.lineno, code.column, golive.analyzer,
 * golive.severity and message.
 */
struct span_event {
	const char *name;
	int64_t time_ns; /* unix time, nanoseconds */
	const struct trace_attr *attrs;
	size_t nattrs;
};

/* Sets *a to a string or an integer attribute (key and v borrowed). */
static inline void trace_attr_str(struct trace_attr *a, const char *key, const char *v)
{
	a->key = key;
	a->type = TRACE_ATTR_STRING;
	a->v.s = v;
}

static inline void trace_attr_int(struct trace_attr *a, const char *key, int64_t v)
{
	a->key = key;
	a->type = TRACE_ATTR_INT;
	a->v.i = v;
}

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
	const char *trace_state; /* W3C tracestate carried along (OTLP traceState), or NULL */
	const struct span_event *events;
	size_t nevents;
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
 * A deep copy of s into *d (every string, attribute and event owned; a
 * NULL name becomes ""; an end before the start is moved to the start),
 * and its release (which zeroes *d).
 */
void trace_span_copy(struct span *d, const struct span *s);
void trace_span_release(struct span *d);

typedef ARRAY(struct span) span_array;
/* Releases every span of a (owned copies) and the array. */
void trace_spans_release(span_array *a);

/*
 * Sends one batch through each exporter: begin(res), span() for each of
 * spans in order, end(). An exporter that fails is reported in *cause (the
 * first failure, malloc'd, prefixed with nothing: the exporters name what
 * failed) and the others still run. Returns 0, or -1 with *cause.
 */
int trace_export_all(struct trace_exporter **ex, size_t nex, const struct trace_resource *res,
                     const struct span *spans, size_t nspans, char **cause);

/*
 * The resource of golive's traces: service.name from $OTEL_SERVICE_NAME,
 * else a service.name in $OTEL_RESOURCE_ATTRIBUTES, else "golive";
 * service.version (golive's), process.pid, host.name, and every other
 * member of $OTEL_RESOURCE_ATTRIBUTES ("key1=value1,key2=value2", values
 * percent-decoded, blanks around members trimmed) as string attributes.
 * A malformed member (no '=', an empty key, a bad %-escape) is skipped and
 * named in *warning (malloc'd, one line, the first only; NULL when none).
 * res->attrs is malloc'd with owned strings: trace_resource_release().
 */
void trace_resource_from_env(struct trace_resource *res, char **warning);
void trace_resource_release(struct trace_resource *res);

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

/*
 * The OTLP exporters' shared core: an exporter that collects spans and at
 * end() encodes one ExportTraceServiceRequest (the encoding described for
 * trace_otlp_file_new, spans' traceState and events included) and hands
 * it to deliver(ctx, json, len, cause) (json is NUL-terminated, len
 * without the NUL, no trailing newline). deliver's return value and cause
 * are end()'s. free() calls free_ctx(ctx) (may be NULL). what names the
 * destination in the exporter's own errors ("trace file PATH").
 */
struct trace_exporter *trace_otlp_new(const char *name, const char *what,
                                      int (*deliver)(void *ctx, const char *json, size_t len,
                                                     char **cause),
                                      void (*free_ctx)(void *ctx), void *ctx);

/*
 * The reverse of the OTLP/JSON encoding, for golive's own files (golive
 * dev reads back the spans its build wrote with --trace-out): appends
 * every span of one ExportTraceServiceRequest (all resourceSpans and
 * scopeSpans; resources and scopes are dropped) to out as owned spans,
 * with their attributes (string, int, double and bool values; others are
 * skipped), events, status and traceState. Returns the number of spans
 * appended, or -1 with *cause (malloc'd, one line naming the JSON path)
 * when the document is not such a request; spans appended before the
 * error stay in out.
 */
long trace_otlp_decode(const char *json, size_t len, span_array *out, char **cause);

/*
 * OTLP/HTTP with JSON bodies (trace_otlp_http.c): where and how to send.
 * otlp_http_config_from_env() fills it from the OpenTelemetry environment:
 *   OTEL_SDK_DISABLED=true                       -> disabled
 *   OTEL_TRACES_EXPORTER: unset or containing "otlp" -> as below; "none" -> disabled;
 *       anything else (console, zipkin, ...) -> disabled with a warning
 *   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT           -> url as given
 *   OTEL_EXPORTER_OTLP_ENDPOINT                  -> url = it + "/v1/traces"
 *       (neither set: enabled only when OTEL_TRACES_EXPORTER names otlp
 *       explicitly, with http://localhost:4318/v1/traces)
 *   OTEL_EXPORTER_OTLP_[TRACES_]HEADERS          -> "k=v,k2=v2", values percent-decoded
 *   OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT          -> milliseconds (default 10000)
 *   OTEL_EXPORTER_OTLP_[TRACES_]COMPRESSION      -> "gzip" or "none"
 *   OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL         -> anything but http/json: a warning
 * (the TRACES_ variable wins over the general one).
 */
struct otlp_http_config {
	char *url;      /* the full traces URL, http:// or https:// */
	char **headers; /* "Name: value" lines, nheaders of them */
	size_t nheaders;
	long timeout_ms; /* hard bound on one export, retries and waits included */
	int gzip;        /* Content-Encoding: gzip */
};

/*
 * Returns 1 (enabled, *c filled), 0 (disabled) or -1 (enabled in the
 * environment but misconfigured: *c empty). Each problem is one line
 * appended to warnings ("OTEL_EXPORTER_OTLP_TIMEOUT \"abc\": not a number of
 * milliseconds; using 10000"), for the caller to print.
 */
int otlp_http_config_from_env(struct otlp_http_config *c, struct strbuf *warnings);
void otlp_http_config_release(struct otlp_http_config *c);

/*
 * The OTLP/HTTP exporter: end() POSTs the request to c->url with
 * Content-Type: application/json (gzip-compressed when asked), retrying
 * only on 429, 502, 503, 504 or a connection that failed or dropped, with
 * exponential backoff or the server's Retry-After (seconds or an HTTP
 * date), never past c->timeout_ms in total from the start of end(). A
 * 2xx whose body has a partialSuccess with rejectedSpans > 0 or an
 * errorMessage is returned as -1 with a *cause naming it. libcurl is
 * loaded with dlopen() at the first export (the wrapper never pays for
 * it); when it cannot be loaded, end() fails with *cause saying so.
 * The exporter copies c.
 */
struct trace_exporter *trace_otlp_http_new(const struct otlp_http_config *c, char **cause);

/*
 * The HTML report (--report FILE, trace_html.c): at end() writes one
 * self-contained HTML file (inline CSS and JS, the data inline as JSON; no
 * network fetches) with a timeline of every non-root span (one element
 * with class "bar" each, coloured by span name, lanes like the Chrome
 * exporter's), the critical path, the slowest packages, the root span's
 * summary attributes (cache hits, tool runs, go version, ...) and every
 * "golive.diagnostic" span event. Readable from phone to laptop widths.
 * Returns NULL with *cause when path cannot be created (checked early).
 */
struct trace_exporter *trace_html_new(const char *path, char **cause);

#endif
