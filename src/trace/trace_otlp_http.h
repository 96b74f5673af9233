/*
 * trace_otlp_http.h - the pure parts of the OTLP/HTTP exporter
 * (trace_otlp_http.c), apart so that they can be unit-tested and fuzzed
 * without a network: the 2xx response body (partialSuccess), the error
 * message of a failed response, Retry-After, and the headers variable.
 * The exporter itself is declared in trace.h.
 */
#ifndef GOLIVE_TRACE_OTLP_HTTP_H
#define GOLIVE_TRACE_OTLP_HTTP_H

#include <stddef.h>
#include <time.h>

#include "core/util.h"

/* Longest message taken from a server's answer into a cause, in bytes. */
#define OTLP_HTTP_MESSAGE_MAX 200
/* Retry-After values are capped at this many seconds (then in ms, it fits a long). */
#define OTLP_HTTP_RETRY_AFTER_MAX_S 2000000L

/*
 * The partialSuccess of an ExportTraceServiceResponse body (OTLP/JSON):
 * {"partialSuccess":{"rejectedSpans":"2","errorMessage":"..."}}, where
 * rejectedSpans is an int64 as a decimal string or a JSON number. Returns
 * 1 when the collector rejected spans or sent an errorMessage (*rejected
 * >= 0, *message malloc'd on one line, cut at OTLP_HTTP_MESSAGE_MAX bytes,
 * or NULL when there was none), else 0 with *rejected 0 and *message NULL:
 * an empty body, {}, a body that is not JSON, a malformed partialSuccess.
 */
int otlp_http_parse_partial(const char *body, size_t len, long long *rejected, char **message);

/*
 * What a failed response's body says, for a cause: the "message" of a
 * google.rpc.Status JSON body when it has one, else the body's first line;
 * one line (control characters made blanks), cut at OTLP_HTTP_MESSAGE_MAX
 * bytes on a UTF-8 boundary. Returns a malloc'd string, or NULL for an
 * empty (or blank) body.
 */
char *otlp_http_error_message(const char *body, size_t len);

/*
 * The wait a Retry-After header value asks for, in milliseconds: either
 * delta-seconds ("120") or an HTTP-date (IMF-fixdate "Sun, 06 Nov 1994
 * 08:49:37 GMT", or the obsolete RFC 850 and asctime forms) compared with
 * now; a date in the past is 0. Blanks around the value are ignored;
 * waits are capped at OTLP_HTTP_RETRY_AFTER_MAX_S seconds. Returns -1
 * for NULL or anything else.
 */
long otlp_http_retry_after_ms(const char *value, time_t now);

/*
 * Parses an OTEL_EXPORTER_OTLP_[TRACES_]HEADERS value (var names it in
 * warnings): "k=v,k2=v2", blanks around keys and values trimmed, values
 * percent-decoded. Each header is appended to *headers (grown with
 * realloc; *nheaders counts them) as a malloc'd "Name: value" line, Name
 * an HTTP token and value free of control characters other than tab.
 * A malformed member (no '=', a key that is not a header name, a bad
 * %-escape, a control character, a header golive sets itself such as
 * Content-Type) is skipped with one line appended to warnings (may be
 * NULL); the value is never shown, it may be a secret. Blank members are
 * ignored. Returns the number of members skipped.
 */
int otlp_http_parse_headers(const char *var, const char *value, char ***headers, size_t *nheaders,
                            struct strbuf *warnings);

#endif
