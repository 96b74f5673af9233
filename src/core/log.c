/* log.c - see log.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "core/log.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/jsonl.h"
#include "trace/tracectx.h"

#define RELAY_MAX_LINE (64 * 1024)

static enum log_format format = LOG_FORMAT_TEXT;
static char trace_hex[33], span_hex[17];

int log_format_parse(const char *s, enum log_format *out)
{
	if (s && strcmp(s, "text") == 0)
		*out = LOG_FORMAT_TEXT;
	else if (s && strcmp(s, "json") == 0)
		*out = LOG_FORMAT_JSON;
	else
		return -1;
	return 0;
}

/* util.h's error()/warning()/die() in JSON. */
static void report_hook(const char *level, const char *message)
{
	log_json(level, message, NULL);
}

void log_set_format(enum log_format f)
{
	format = f;
	set_report_hook(f == LOG_FORMAT_JSON ? report_hook : NULL);
}

enum log_format log_get_format(void)
{
	return format;
}

void log_set_span(const uint8_t trace_id[16], const uint8_t span_id[8])
{
	tracectx_hex(trace_id, 16, trace_hex);
	tracectx_hex(span_id, 8, span_hex);
}

void log_json(const char *level, const char *message, json_t *fields)
{
	struct timespec ts;
	struct tm tm;
	char when[64];
	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(when + n, sizeof(when) - n, ".%09ldZ", ts.tv_nsec);

	json_t *o = json_object();
	json_object_set_new(o, "time", json_string(when));
	json_object_set_new(o, "level", json_string(level));
	json_object_set_new(o, "message", json_string_lossy(message ? message : ""));
	if (trace_hex[0]) {
		json_object_set_new(o, "trace_id", json_string(trace_hex));
		json_object_set_new(o, "span_id", json_string(span_hex));
	}
	if (fields && json_is_object(fields)) {
		const char *k;
		json_t *v;
		json_object_foreach(fields, k, v)
		{
			if (!json_object_get(o, k))
				json_object_set(o, k, v);
		}
	}
	json_decref(fields);
	size_t len = 0;
	char *line = jsonl_encode(o, &len);
	if (line) {
		fflush(stderr);
		(void)write_all(2, line, len); /* one write: parallel writers never interleave */
	}
	free(line);
}

/*
 * A line of `go build -json` (Go >= 1.24: {"ImportPath","Action","Output"})
 * as one log line with importpath and action: "build-output" carries one
 * line of a package's output (go's "# importpath" header included), at
 * level error as go's stderr is; "build-fail" says the package failed.
 * Returns 0 when line was not such an event (then nothing is written).
 */
static int relay_go_event(struct log_relay *r, const char *s, size_t n)
{
	json_t *e = n && s[0] == '{' ? json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	json_t *ip = json_object_get(e, "ImportPath"), *ac = json_object_get(e, "Action");
	json_t *out = json_object_get(e, "Output");
	if (!json_is_string(ip) || !json_is_string(ac) || (out && !json_is_string(out))) {
		json_decref(e);
		return 0;
	}
	const char *action = json_string_value(ac);
	char *msg = NULL;
	if (out) {
		msg = xstrndup(json_string_value(out), json_string_length(out));
		size_t len = strlen(msg);
		if (len && msg[len - 1] == '\n')
			msg[len - 1] = '\0';
	} else {
		msg = xasprintf(strcmp(action, "build-fail") ? "%s" : "build of %s failed",
		                strcmp(action, "build-fail") ? action : json_string_value(ip));
	}
	json_t *f = json_object();
	json_object_set_new(f, "logger", json_string(r->logger ? r->logger : "go"));
	json_object_set(f, "importpath", ip);
	json_object_set(f, "action", ac);
	log_json("error", msg, f);
	free(msg);
	json_decref(e);
	return 1;
}

static void relay_line(struct log_relay *r, const char *s, size_t n)
{
	if (r->go_json && relay_go_event(r, s, n))
		return;
	char *line = xstrndup(s, n);
	json_t *f = json_object();
	json_object_set_new(f, "logger", json_string(r->logger ? r->logger : "go"));
	log_json(r->level ? r->level : "info", line, f);
	free(line);
}

void log_relay_write(struct log_relay *r, const char *data, size_t len)
{
	strbuf_add(&r->pending, data, len);
	size_t start = 0;
	for (;;) {
		const char *nl = memchr(r->pending.buf + start, '\n', r->pending.len - start);
		size_t avail = r->pending.len - start;
		if (!nl && avail < RELAY_MAX_LINE)
			break;
		size_t n = nl ? (size_t)(nl - (r->pending.buf + start)) : RELAY_MAX_LINE;
		int whole = nl && n <= RELAY_MAX_LINE; /* else a piece of a longer line */
		if (!whole)
			n = RELAY_MAX_LINE;
		relay_line(r, r->pending.buf + start, n);
		start += n + (whole ? 1 : 0);
	}
	if (start) {
		memmove(r->pending.buf, r->pending.buf + start, r->pending.len - start);
		r->pending.len -= start;
		r->pending.buf[r->pending.len] = '\0';
	}
}

void log_relay_flush(struct log_relay *r)
{
	if (r->pending.len)
		relay_line(r, r->pending.buf, r->pending.len);
	strbuf_release(&r->pending);
}
