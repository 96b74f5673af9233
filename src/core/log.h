/*
 * log.h - golive's own messages as structured logs (--log-format json).
 *
 * Text stays the default: "golive: warning: ..." lines from util.h's
 * error()/warning()/die(). In JSON format every golive message on stderr is
 * one JSON object per line, written with one write():
 *
 *   {"time":"2026-11-27T22:10:00.123456789Z","level":"warn","message":"...",
 *    "trace_id":"<32 hex>","span_id":"<16 hex>", ...fields}
 *
 * time is UTC RFC 3339 with nanoseconds; level is "error", "warn" or
 * "info"; trace_id/span_id name the build span (absent until
 * log_set_span()); further fields depend on the message (a diagnostic's
 * file/line/column, the build summary, the logger of relayed output).
 * Nothing else of golive's own goes to stderr in this format; the
 * output of go and its tools is relayed line by line as
 * {"level":"info","logger":"go","message":<the line>}.
 */
#ifndef GOLIVE_LOG_H
#define GOLIVE_LOG_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "core/util.h"

enum log_format { LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

/* "text" or "json"; 0, or -1 for anything else. */
int log_format_parse(const char *s, enum log_format *out);

/* Sets the format for this process (JSON routes util.h's error()/warning()/die() here). */
void log_set_format(enum log_format f);
enum log_format log_get_format(void);

/* The span the following messages belong to. */
void log_set_span(const uint8_t trace_id[16], const uint8_t span_id[8]);

/*
 * Writes one JSON log line to stderr: time, level, message, trace_id and
 * span_id (when set), then the members of fields (a JSON object or NULL;
 * the reference is stolen). Invalid UTF-8 in message becomes U+FFFD.
 */
void log_json(const char *level, const char *message, json_t *fields);

/*
 * Another program's output relayed as log lines: bytes are split at
 * newlines and each complete line is one log_json(level, line,
 * {"logger": logger}); log_relay_flush() sends an unterminated rest.
 * Lines longer than 64 KiB are cut into pieces of that size.
 */
struct log_relay {
	const char *logger; /* "go" */
	const char *level;  /* "info" for stdout, "error" for stderr */
	struct strbuf pending;
	/*
	 * 1: the stream is `go build -json`'s (Go >= 1.24): each event line
	 * becomes one log line at level error with "importpath" and "action"
	 * ("build-output": the message is the output line; "build-fail": "build
	 * of P failed"); other lines are relayed as text lines are.
	 */
	int go_json;
};
void log_relay_write(struct log_relay *r, const char *data, size_t len);
void log_relay_flush(struct log_relay *r);

#endif
