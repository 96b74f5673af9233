/*
 * test_log.c - src/core/log.c: --log-format parsing, the JSON log lines written
 * to stderr (captured by pointing fd 2 at a temporary file): one line per
 * call, RFC 3339 UTC times with nanoseconds, the span ids, extra fields
 * that never override the built-in ones, invalid UTF-8; util.h's
 * warning()/error() routed through them and back; and the relay of another
 * program's output split into lines.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/log.h"
#include "core/util.h"

/* ---- capturing stderr ----------------------------------------------------- */

struct capture {
	int fd;    /* the temporary file */
	int saved; /* the real stderr */
	char *path;
};

static void capture_start(struct capture *c)
{
	const char *base = getenv("TMPDIR");
	c->path = xasprintf("%s/golive-tlog-XXXXXX", base && *base ? base : "/tmp");
	c->fd = mkstemp(c->path);
	assert_true(c->fd >= 0);
	fflush(stderr);
	c->saved = dup(2);
	assert_true(c->saved >= 0);
	assert_int_equal(dup2(c->fd, 2), 2);
}

/* Restores stderr; returns what was written (malloc'd) and its length. */
static char *capture_end(struct capture *c, size_t *len)
{
	fflush(stderr);
	assert_int_equal(dup2(c->saved, 2), 2);
	close(c->saved);
	close(c->fd);
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_file(&sb, c->path, 64u << 20), 0);
	unlink(c->path);
	free(c->path);
	return strbuf_detach(&sb, len);
}

/* The captured output as JSON lines: each must end in '\n' and parse as an object. */
static json_t **parse_lines(const char *buf, size_t len, size_t *nlines)
{
	json_t **docs = NULL;
	size_t n = 0, pos = 0;
	while (pos < len) {
		const char *nl = memchr(buf + pos, '\n', len - pos);
		if (!nl)
			fail_msg("unterminated line: %.80s", buf + pos);
		json_error_t err;
		json_t *o =
		    json_loadb(buf + pos, (size_t)(nl - (buf + pos)), JSON_REJECT_DUPLICATES, &err);
		if (!o)
			fail_msg("line %zu is not JSON: %s", n + 1, err.text);
		assert_true(json_is_object(o));
		docs = xrealloc(docs, (n + 1) * sizeof(*docs));
		docs[n++] = o;
		pos = (size_t)(nl - buf) + 1;
	}
	*nlines = n;
	return docs;
}

static void free_lines(json_t **docs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(docs[i]);
	free(docs);
}

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_string(v))
		fail_msg("no string %s", key);
	return json_string_value(v);
}

/* time is "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ"; returns its whole seconds. */
static time_t check_time(const char *t)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
	if (strlen(t) != strlen(shape))
		fail_msg("time %s: wrong length", t);
	for (size_t i = 0; shape[i]; i++) {
		if (shape[i] == 'd' ? !isdigit((unsigned char)t[i]) : t[i] != shape[i])
			fail_msg("time %s: bad at %zu", t, i);
	}
	struct tm tm;
	memset(&tm, 0, sizeof(tm));
	const char *rest = strptime(t, "%Y-%m-%dT%H:%M:%S", &tm);
	assert_non_null(rest);
	assert_int_equal(*rest, '.');
	return timegm(&tm);
}

/* One log_json() call captured; its one line parsed. */
static json_t *log_one(const char *level, const char *message, json_t *fields)
{
	struct capture c;
	capture_start(&c);
	log_json(level, message, fields);
	size_t len, n;
	char *out = capture_end(&c, &len);
	json_t **docs = parse_lines(out, len, &n);
	assert_int_equal(n, 1);
	json_t *o = docs[0];
	free(docs);
	free(out);
	return o;
}

/* ---- tests ---------------------------------------------------------------- */

/* First: no span set yet in this process, so no ids. */
static void test_no_span_yet(void **state)
{
	(void)state;
	json_t *o = log_one("info", "hello", NULL);
	assert_int_equal(json_object_size(o), 3);
	assert_string_equal(str_of(o, "level"), "info");
	assert_string_equal(str_of(o, "message"), "hello");
	assert_null(json_object_get(o, "trace_id"));
	assert_null(json_object_get(o, "span_id"));
	json_decref(o);
}

static void test_format_parse(void **state)
{
	(void)state;
	enum log_format f = LOG_FORMAT_JSON;
	assert_int_equal(log_format_parse("text", &f), 0);
	assert_int_equal(f, LOG_FORMAT_TEXT);
	assert_int_equal(log_format_parse("json", &f), 0);
	assert_int_equal(f, LOG_FORMAT_JSON);
	static const char *const bad[] = {"", "JSON", "Text", "json ", " json", "jsonl", "logfmt"};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		f = LOG_FORMAT_JSON;
		assert_int_equal(log_format_parse(bad[i], &f), -1);
		assert_int_equal(f, LOG_FORMAT_JSON); /* untouched */
	}
	assert_int_equal(log_format_parse(NULL, &f), -1);
	assert_int_equal(log_get_format(), LOG_FORMAT_TEXT); /* the default */
}

static void test_json_line(void **state)
{
	(void)state;
	struct timespec before, after;
	clock_gettime(CLOCK_REALTIME, &before);
	struct capture c;
	capture_start(&c);
	log_json("warn", "first", NULL);
	log_json("error", "second\nwith a newline", NULL);
	log_json("info", NULL, NULL);
	size_t len, n;
	char *out = capture_end(&c, &len);
	clock_gettime(CLOCK_REALTIME, &after);

	json_t **docs = parse_lines(out, len, &n);
	assert_int_equal(n, 3); /* one line per call, the newline escaped */
	assert_string_equal(str_of(docs[0], "level"), "warn");
	assert_string_equal(str_of(docs[0], "message"), "first");
	assert_string_equal(str_of(docs[1], "level"), "error");
	assert_string_equal(str_of(docs[1], "message"), "second\nwith a newline");
	assert_string_equal(str_of(docs[2], "message"), "");
	for (size_t i = 0; i < n; i++) {
		time_t t = check_time(str_of(docs[i], "time"));
		assert_true(t >= before.tv_sec && t <= after.tv_sec);
		/* The built-in keys come first, in order. */
		void *it = json_object_iter(docs[i]);
		assert_string_equal(json_object_iter_key(it), "time");
		it = json_object_iter_next(docs[i], it);
		assert_string_equal(json_object_iter_key(it), "level");
		it = json_object_iter_next(docs[i], it);
		assert_string_equal(json_object_iter_key(it), "message");
	}
	free_lines(docs, n);
	free(out);
}

static void test_span_and_fields(void **state)
{
	(void)state;
	static const uint8_t tid[16] = {0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6,
	                                0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47, 0x36};
	static const uint8_t sid[8] = {0x00, 0xf0, 0x67, 0xaa, 0x0b, 0xa9, 0x02, 0xb7};
	log_set_span(tid, sid);

	json_t *fields = json_object();
	json_object_set_new(fields, "file", json_string("main.go"));
	json_object_set_new(fields, "line", json_integer(12));
	json_object_set_new(fields, "time", json_string("1970-01-01T00:00:00Z"));
	json_object_set_new(fields, "level", json_string("debug"));
	json_object_set_new(fields, "message", json_string("overridden"));
	json_object_set_new(fields, "trace_id", json_string("ffff"));
	json_object_set_new(fields, "span_id", json_string("eeee"));
	json_t *o = log_one("warn", "finding", fields); /* fields' reference is stolen */

	assert_string_equal(str_of(o, "trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736");
	assert_string_equal(str_of(o, "span_id"), "00f067aa0ba902b7");
	assert_string_equal(str_of(o, "level"), "warn");
	assert_string_equal(str_of(o, "message"), "finding");
	check_time(str_of(o, "time"));
	assert_string_equal(str_of(o, "file"), "main.go");
	assert_int_equal(json_integer_value(json_object_get(o, "line")), 12);
	assert_int_equal(json_object_size(o), 7);
	void *it = json_object_iter(o);
	static const char *const order[] = {"time",    "level", "message", "trace_id",
	                                    "span_id", "file",  "line"};
	for (size_t i = 0; i < ARRAY_SIZE(order); i++, it = json_object_iter_next(o, it))
		assert_string_equal(json_object_iter_key(it), order[i]);
	json_decref(o);

	/* Fields that are not an object are ignored (and still released). */
	o = log_one("info", "x", json_array());
	assert_int_equal(json_object_size(o), 5);
	json_decref(o);

	/* Another span: the ids follow. */
	static const uint8_t tid2[16] = {[15] = 1};
	static const uint8_t sid2[8] = {[0] = 0xab};
	log_set_span(tid2, sid2);
	o = log_one("info", "x", NULL);
	assert_string_equal(str_of(o, "trace_id"), "00000000000000000000000000000001");
	assert_string_equal(str_of(o, "span_id"), "ab00000000000000");
	json_decref(o);
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	json_t *o = log_one("error", "bad \xff\xfe byte, ok \xc3\xa9, cut \xe2\x82", NULL);
	assert_string_equal(str_of(o, "message"),
	                    "bad \xef\xbf\xbd\xef\xbf\xbd byte, ok \xc3\xa9, cut \xef\xbf\xbd"
	                    "\xef\xbf\xbd");
	json_decref(o);
}

static void test_report_hook(void **state)
{
	(void)state;
	log_set_format(LOG_FORMAT_JSON);
	assert_int_equal(log_get_format(), LOG_FORMAT_JSON);
	struct capture c;
	capture_start(&c);
	warning("disk %s at %d%%", "full", 99);
	int rc = error("cannot open %s", "golive.yaml");
	size_t len, n;
	char *out = capture_end(&c, &len);
	log_set_format(LOG_FORMAT_TEXT);
	assert_int_equal(rc, -1);
	json_t **docs = parse_lines(out, len, &n);
	assert_int_equal(n, 2);
	assert_string_equal(str_of(docs[0], "level"), "warn");
	assert_string_equal(str_of(docs[0], "message"), "disk full at 99%");
	assert_string_equal(str_of(docs[1], "level"), "error");
	assert_string_equal(str_of(docs[1], "message"), "cannot open golive.yaml");
	check_time(str_of(docs[1], "time"));
	free_lines(docs, n);
	assert_null(strstr(out, "golive: "));
	free(out);

	/* Back to text lines. */
	assert_int_equal(log_get_format(), LOG_FORMAT_TEXT);
	capture_start(&c);
	warning("disk %s", "full");
	(void)error("cannot open %s", "x");
	out = capture_end(&c, &len);
	assert_string_equal(out, "golive: warning: disk full\ngolive: error: cannot open x\n");
	free(out);
}

/* ---- relaying ------------------------------------------------------------- */

/* The messages of the captured lines, each checked for level and logger. */
static char **relay_messages(const char *out, size_t len, const char *level, const char *logger,
                             size_t *n)
{
	json_t **docs = parse_lines(out, len, n);
	char **msgs = xcalloc(*n + 1, sizeof(*msgs));
	for (size_t i = 0; i < *n; i++) {
		assert_string_equal(str_of(docs[i], "level"), level);
		assert_string_equal(str_of(docs[i], "logger"), logger);
		check_time(str_of(docs[i], "time"));
		msgs[i] = xstrdup(str_of(docs[i], "message"));
	}
	free_lines(docs, *n);
	return msgs;
}

static void free_messages(char **msgs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(msgs[i]);
	free(msgs);
}

static void test_relay_lines(void **state)
{
	(void)state;
	struct log_relay r = {"go", "error", STRBUF_INIT, 0};
	struct capture c;
	size_t len, n;

	/* A partial line is held until its newline. */
	capture_start(&c);
	log_relay_write(&r, "par", 3);
	char *out = capture_end(&c, &len);
	assert_int_equal(len, 0);
	free(out);

	/* Several lines in one write; the rest held. */
	capture_start(&c);
	const char *chunk = "tial\nsecond line\nthird\nfou";
	log_relay_write(&r, chunk, strlen(chunk));
	out = capture_end(&c, &len);
	char **m = relay_messages(out, len, "error", "go", &n);
	assert_int_equal(n, 3);
	assert_string_equal(m[0], "partial");
	assert_string_equal(m[1], "second line");
	assert_string_equal(m[2], "third");
	free_messages(m, n);
	free(out);

	/* Byte by byte. */
	capture_start(&c);
	const char *bytes = "rth\nfifth\n";
	for (size_t i = 0; i < strlen(bytes); i++)
		log_relay_write(&r, bytes + i, 1);
	out = capture_end(&c, &len);
	m = relay_messages(out, len, "error", "go", &n);
	assert_int_equal(n, 2);
	assert_string_equal(m[0], "fourth");
	assert_string_equal(m[1], "fifth");
	free_messages(m, n);
	free(out);

	/* Nothing pending: flush writes nothing. */
	capture_start(&c);
	log_relay_flush(&r);
	out = capture_end(&c, &len);
	assert_int_equal(len, 0);
	free(out);

	/* Flush sends an unterminated rest, once. */
	struct log_relay r2 = {"vet", "info", STRBUF_INIT, 0};
	capture_start(&c);
	log_relay_write(&r2, "line\ntail without newline", 25);
	log_relay_flush(&r2);
	log_relay_flush(&r2);
	out = capture_end(&c, &len);
	m = relay_messages(out, len, "info", "vet", &n);
	assert_int_equal(n, 2);
	assert_string_equal(m[0], "line");
	assert_string_equal(m[1], "tail without newline");
	free_messages(m, n);
	free(out);

	/* Defaults: logger "go", level "info"; invalid UTF-8 replaced. */
	struct log_relay r3 = {NULL, NULL, STRBUF_INIT, 0};
	capture_start(&c);
	log_relay_write(&r3, "x\xff\n", 3);
	log_relay_flush(&r3);
	out = capture_end(&c, &len);
	m = relay_messages(out, len, "info", "go", &n);
	assert_int_equal(n, 1);
	assert_string_equal(m[0], "x\xef\xbf\xbd");
	free_messages(m, n);
	free(out);
}

/* go build -json (Go >= 1.24): each event line names its package. */
static void test_relay_go_json(void **state)
{
	(void)state;
	struct capture c;
	size_t len, n;
	struct log_relay r = {"go", "info", STRBUF_INIT, 1};
	const char *in = "{\"ImportPath\":\"bj/broken\",\"Action\":\"build-output\","
	                 "\"Output\":\"# bj/broken\\n\"}\n"
	                 "{\"ImportPath\":\"bj/broken\",\"Action\":\"build-fail\"}\n"
	                 "not an event\n"
	                 "{\"ImportPath\":7}\n";
	capture_start(&c);
	log_relay_write(&r, in, strlen(in));
	log_relay_flush(&r);
	char *out = capture_end(&c, &len);
	json_t **docs = parse_lines(out, len, &n);
	assert_int_equal(n, 4);
	assert_string_equal(str_of(docs[0], "message"), "# bj/broken");
	assert_string_equal(str_of(docs[0], "level"), "error");
	assert_string_equal(str_of(docs[0], "importpath"), "bj/broken");
	assert_string_equal(str_of(docs[0], "action"), "build-output");
	assert_string_equal(str_of(docs[1], "message"), "build of bj/broken failed");
	assert_string_equal(str_of(docs[1], "action"), "build-fail");
	/* Anything else is a plain line at the relay's level. */
	assert_string_equal(str_of(docs[2], "message"), "not an event");
	assert_string_equal(str_of(docs[2], "level"), "info");
	assert_null(json_object_get(docs[2], "importpath"));
	assert_string_equal(str_of(docs[3], "message"), "{\"ImportPath\":7}");
	free_lines(docs, n);
	free(out);
}

#define KIB 1024

/* A long line of recognisable bytes: "0123456789abcdef" repeated, n bytes. */
static char *long_line(size_t n)
{
	char *s = xmalloc(n + 1);
	for (size_t i = 0; i < n; i++)
		s[i] = "0123456789abcdef"[i % 16];
	s[n] = '\0';
	return s;
}

static void test_relay_long_line_unterminated(void **state)
{
	(void)state;
	const size_t size = 200 * KIB;
	char *big = long_line(size);
	struct log_relay r = {"go", "info", STRBUF_INIT, 0};
	struct capture c;
	size_t len, n;

	capture_start(&c);
	log_relay_write(&r, big, size);
	char *out = capture_end(&c, &len);
	char **m = relay_messages(out, len, "info", "go", &n);
	assert_int_equal(n, 3); /* three whole 64 KiB pieces; 8 KiB held */
	for (size_t i = 0; i < n; i++) {
		assert_int_equal(strlen(m[i]), 64 * KIB);
		assert_memory_equal(m[i], big + i * 64 * KIB, 64 * KIB);
	}
	free_messages(m, n);
	free(out);

	capture_start(&c);
	log_relay_flush(&r);
	out = capture_end(&c, &len);
	m = relay_messages(out, len, "info", "go", &n);
	assert_int_equal(n, 1);
	assert_int_equal(strlen(m[0]), size - 3 * 64 * KIB);
	assert_memory_equal(m[0], big + 3 * 64 * KIB, size - 3 * 64 * KIB);
	free_messages(m, n);
	free(out);
	free(big);
}

/* A line longer than 64 KiB is cut even when its newline came in the same write. */
static void test_relay_long_line_terminated(void **state)
{
	(void)state;
	const size_t size = 200 * KIB;
	char *big = long_line(size + 1);
	big[size] = '\n';
	struct log_relay r = {"go", "info", STRBUF_INIT, 0};
	struct capture c;
	size_t len, n;

	capture_start(&c);
	log_relay_write(&r, big, size + 1);
	log_relay_flush(&r);
	char *out = capture_end(&c, &len);
	char **m = relay_messages(out, len, "info", "go", &n);
	size_t total = 0;
	for (size_t i = 0; i < n; i++) {
		if (strlen(m[i]) > 64 * KIB)
			fail_msg("piece %zu of %zu is %zu bytes, over 64 KiB", i, n, strlen(m[i]));
		assert_memory_equal(m[i], big + total, strlen(m[i]));
		total += strlen(m[i]);
	}
	assert_int_equal(total, size);
	assert_int_equal(n, 4);
	free_messages(m, n);
	free(out);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_no_span_yet), /* first: before any log_set_span() */
	    cmocka_unit_test(test_format_parse),
	    cmocka_unit_test(test_json_line),
	    cmocka_unit_test(test_span_and_fields),
	    cmocka_unit_test(test_invalid_utf8),
	    cmocka_unit_test(test_report_hook),
	    cmocka_unit_test(test_relay_lines),
	    cmocka_unit_test(test_relay_go_json),
	    cmocka_unit_test(test_relay_long_line_unterminated),
	    cmocka_unit_test(test_relay_long_line_terminated),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
