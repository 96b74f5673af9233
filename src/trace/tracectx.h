/*
 * tracectx.h - W3C Trace Context (https://www.w3.org/TR/trace-context/) for
 * golive's build tracing: parsing TRACEPARENT and TRACESTATE from the
 * environment, formatting the TRACEPARENT golive passes down, and new ids.
 *
 * The model: a build is one root span, the child of the incoming parent when
 * TRACEPARENT is valid, else the root of a new trace; each tool invocation is
 * a child span of the build's span. golive passes down TRACEPARENT naming its
 * own span, and TRACESTATE unchanged (normalized) when it was valid.
 *
 * Parsing is strict (Trace Context Level 1 and 2): lowercase hex only, no
 * surrounding whitespace (an environment variable has no HTTP OWS to strip).
 * An invalid value is to be ignored, with one warning printed by the caller
 * from *cause, and a new trace started; an invalid TRACESTATE is dropped as a
 * whole. Like every library module this one never prints.
 *
 * Ids come from getrandom(2), a CSPRNG; an all-zero id (invalid on the wire)
 * is never returned.
 */
#ifndef GOLIVE_TRACECTX_H
#define GOLIVE_TRACECTX_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

/* The length of a version-00 traceparent, without the NUL. */
#define TRACEPARENT_LEN 55
/* The most list members a tracestate may have. */
#define TRACESTATE_MAX_MEMBERS 32

/* Trace flags: the sampled bit (Level 1) and the random trace-id bit (Level 2). */
#define TRACE_FLAG_SAMPLED 0x01
#define TRACE_FLAG_RANDOM  0x02

/*
 * One span's context; a small value struct, copy it freely. Parsed from a
 * traceparent, span_id is the caller's span (the "parent-id" field): the
 * span that the next span created is a child of.
 */
struct trace_ctx {
	uint8_t trace_id[16]; /* never all zeros once parsed or generated */
	uint8_t span_id[8];   /* never all zeros once parsed or generated */
	uint8_t flags;        /* trace-flags, kept as received (TRACE_FLAG_*) */
};

/*
 * Parses a traceparent: "<version>-<trace-id>-<parent-id>-<trace-flags>",
 * each field lowercase hex of 2, 32, 16 and 2 digits. Version "ff" is invalid.
 * Version "00" must be exactly 55 characters. A higher version (a future
 * format) is parsed leniently: at least 55 characters, the first 55 read as
 * version 00, and anything after them must start with '-' and is ignored.
 * All-zero trace-id or parent-id is invalid, as are uppercase hex and
 * leading or trailing whitespace.
 * Returns 0 and fills *out, or -1 with *cause (malloc'd, one line, e.g.
 * `TRACEPARENT "00-0000...-01": trace-id is all zeros`; the value is quoted,
 * cut at 80 bytes, non-printable bytes escaped); *out is then unspecified.
 */
int tracectx_parse_traceparent(const char *s, struct trace_ctx *out, char **cause);

/*
 * Validates a tracestate: list members "key=value" separated by ',' with
 * optional spaces and tabs around each member; at most 32 members; keys
 * are a simple key (a-z, then up to 255 of a-z 0-9 _ - * /) or a
 * multi-tenant key "tenant@system" (tenant: a-z or 0-9, then up to 240 of
 * a-z 0-9 _ - * /; system: a-z, then up to 13 of them); values are 1 to 256
 * printable ASCII characters (0x20-0x7e) other than ',' and '=', not ending
 * in a space; no key may appear twice. Empty (or blank) members are allowed
 * and dropped, so "" and " , " are valid, empty tracestates.
 * normalized is reset first. Returns 0 with the members, without their
 * surrounding blanks and without empty members, joined by "," in normalized;
 * or -1 with *cause (malloc'd, like tracectx_parse_traceparent's, starting
 * `TRACESTATE "..."`) and normalized left empty: an invalid tracestate is
 * dropped as a whole.
 */
int tracectx_parse_tracestate(const char *s, struct strbuf *normalized, char **cause);

/*
 * Writes c as a version-00 traceparent ("00-<trace-id>-<span-id>-<flags>",
 * 55 characters and a NUL) into buf. A version-00 string that
 * tracectx_parse_traceparent() accepts comes back unchanged.
 */
void tracectx_format_traceparent(const struct trace_ctx *c, char buf[TRACEPARENT_LEN + 1]);

/*
 * Fill out with random bytes from getrandom(2) (retrying on EINTR and short
 * reads, drawing again in the never-seen case of all zeros). Return 0, or
 * -1 with errno set (ENOSYS on a kernel older than 3.17).
 */
int tracectx_new_span_id(uint8_t out[8]);
int tracectx_new_trace_id(uint8_t out[16]);

/*
 * A child span of parent: the same trace id and flags, a new span id (never
 * the parent's). Returns 0, or -1 with errno as tracectx_new_span_id().
 * parent and child may be the same struct.
 */
int tracectx_child(const struct trace_ctx *parent, struct trace_ctx *child);

/* Writes the n bytes of b as 2n lowercase hex digits and a NUL into out (2n + 1 bytes). */
void tracectx_hex(const uint8_t *b, size_t n, char *out);

#endif
