/*
 * test_trace_otlp_http.c - src/trace/trace_otlp_http.c: the OTLP/HTTP exporter
 * against a real receiver (tests/otlp_receiver.py, started with python3 on
 * 127.0.0.1 for each test, scripted to answer 200, 429, 503, 400, partial
 * success, to hang or to drop), the configuration from the environment,
 * and the pure parsers of trace_otlp_http.h.
 *
 * Timing assertions are one-sided and generous: a wait the server asked
 * for must have happened, and an export must end within its timeout plus
 * two seconds.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "trace/trace.h"
#include "trace/trace_otlp_http.h"
#include "core/util.h"

#define MS 1000000LL /* nanoseconds */

extern char **environ;

/* ---- the environment -------------------------------------------------------- */

/* Unsets every OTEL_* variable, and the proxies curl would otherwise use. */
static void clear_env(void)
{
	static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
	                                      "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
	ARRAY(char *) names = ARRAY_INIT;
	for (char **e = environ; *e; e++)
		if (starts_with(*e, "OTEL_"))
			ARRAY_PUSH(names, xstrndup(*e, strcspn(*e, "=")));
	for (size_t i = 0; i < names.n; i++) {
		unsetenv(names.v[i]);
		free(names.v[i]);
	}
	ARRAY_FREE(names);
	for (size_t i = 0; i < ARRAY_SIZE(proxies); i++)
		unsetenv(proxies[i]);
}

static int setup(void **state)
{
	(void)state;
	clear_env();
	return 0;
}

/* ---- the receiver ----------------------------------------------------------- */

struct receiver {
	pid_t pid;
	int port;
	char *dir; /* a temporary directory holding log */
	char *log;
	char *url; /* http://127.0.0.1:PORT/v1/traces */
};

/* Starts tests/otlp_receiver.py with script and waits for its "PORT n" line. */
static void receiver_start(struct receiver *rv, const char *script)
{
	const char *base = getenv("TMPDIR");
	rv->dir = xasprintf("%s/golive-otlphttp-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(rv->dir));
	rv->log = xasprintf("%s/requests.jsonl", rv->dir);

	int p[2];
	assert_int_equal(pipe2(p, O_CLOEXEC), 0);
	rv->pid = fork();
	assert_true(rv->pid >= 0);
	if (rv->pid == 0) {
		dup2(p[1], 1);
		execlp("python3", "python3", "tests/otlp_receiver.py", "--log", rv->log, "--script",
		       script, "--idle-timeout", "60", (char *)NULL);
		_exit(127);
	}
	close(p[1]);

	char line[64];
	size_t n = 0;
	while (n < sizeof(line) - 1) {
		struct pollfd pfd = {p[0], POLLIN, 0};
		if (poll(&pfd, 1, 20000) != 1)
			fail_msg("otlp_receiver.py printed no port within 20 s");
		ssize_t r = read(p[0], line + n, 1);
		if (r <= 0)
			fail_msg("otlp_receiver.py exited before printing its port");
		if (line[n] == '\n')
			break;
		n++;
	}
	line[n] = '\0';
	close(p[0]);
	assert_int_equal(sscanf(line, "PORT %d", &rv->port), 1);
	assert_true(rv->port > 0);
	rv->url = xasprintf("http://127.0.0.1:%d/v1/traces", rv->port);
}

/* SIGTERMs the receiver, which must exit 0 within 10 s, and removes its files. */
static void receiver_stop(struct receiver *rv)
{
	int status = 0;
	assert_int_equal(kill(rv->pid, SIGTERM), 0);
	pid_t w = 0;
	for (int i = 0; i < 1000 && w == 0; i++) {
		w = waitpid(rv->pid, &status, WNOHANG);
		if (w == 0)
			usleep(10000);
	}
	if (w == 0) {
		kill(rv->pid, SIGKILL);
		waitpid(rv->pid, &status, 0);
		fail_msg("otlp_receiver.py did not exit on SIGTERM");
	}
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	unlink(rv->log);
	assert_int_equal(rmdir(rv->dir), 0);
	free(rv->dir);
	free(rv->log);
	free(rv->url);
}

/* The receiver's log lines, each parsed (caller: log_free). */
static json_t **receiver_log(const struct receiver *rv, size_t *nlines)
{
	struct strbuf sb = STRBUF_INIT;
	json_t **docs = NULL;
	size_t n = 0;
	if (strbuf_read_file(&sb, rv->log, 16 << 20) < 0) {
		assert_int_equal(errno, ENOENT); /* no request at all */
		*nlines = 0;
		return NULL;
	}
	for (char *p = sb.buf; *p;) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		json_error_t err;
		json_t *doc = json_loadb(p, (size_t)(nl - p), 0, &err);
		if (!doc)
			fail_msg("receiver log line %zu: %s", n + 1, err.text);
		docs = xrealloc(docs, (n + 1) * sizeof(*docs));
		docs[n++] = doc;
		p = nl + 1;
	}
	strbuf_release(&sb);
	*nlines = n;
	return docs;
}

static void log_free(json_t **docs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_decref(docs[i]);
	free(docs);
}

static json_t *get(json_t *o, const char *key)
{
	assert_true(json_is_object(o));
	json_t *v = json_object_get(o, key);
	if (!v)
		fail_msg("missing key %s", key);
	return v;
}

static const char *str_of(json_t *o, const char *key)
{
	json_t *v = get(o, key);
	if (!json_is_string(v))
		fail_msg("%s is not a string", key);
	return json_string_value(v);
}

/* A logged request that the receiver found valid, answered with status. */
static void assert_valid_request(json_t *rec, int status)
{
	if (!json_is_true(get(rec, "valid")))
		fail_msg("receiver: invalid request: %s", json_string_value(get(rec, "error")));
	assert_true(json_is_null(get(rec, "error")));
	assert_int_equal(json_integer_value(get(rec, "status")), status);
	assert_string_equal(str_of(rec, "path"), "/v1/traces");
	json_t *h = get(rec, "headers");
	assert_string_equal(str_of(h, "content-type"), "application/json");
	assert_string_equal(str_of(h, "user-agent"), "golive/" GOLIVE_VERSION_STRING);
}

/* ---- the spans sent ---------------------------------------------------------- */

static const struct trace_attr res_attrs[] = {
    {"service.name", TRACE_ATTR_STRING, {.s = "golive-test"}},
    {"process.pid", TRACE_ATTR_INT, {.i = 4242}},
};
static const struct trace_attr compile_attrs[] = {
    {"golive.importpath", TRACE_ATTR_STRING, {.s = "example.com/app"}},
    {"golive.files", TRACE_ATTR_INT, {.i = -3}},
    {"golive.cpu_ratio", TRACE_ATTR_DOUBLE, {.d = 1.5}},
    {"golive.cached", TRACE_ATTR_BOOL, {.b = 1}},
};
static const struct trace_attr event_attrs[] = {
    {"code.filepath", TRACE_ATTR_STRING, {.s = "main.go"}},
    {"code.lineno", TRACE_ATTR_INT, {.i = 12}},
};
static const struct span_event compile_events[] = {
    {"golive.diagnostic", 1700000000LL * 1000000000LL + 3 * MS, event_attrs,
     ARRAY_SIZE(event_attrs)},
};

#define NSPANS 3
static const char *const span_names[NSPANS] = {"build", "compile", "link"};
static const char *const span_ids[NSPANS] = {"d1000000c0ffee00", "d1000000c0ffee01",
                                             "d1000000c0ffee02"};
static const char trace_id_hex[] = "fe0000000000000000000000abcdef01";

/* Three spans of one trace: a root, a child with attributes and an event, a failed child. */
static void make_spans(struct span *spans)
{
	const int64_t base = 1700000000LL * 1000000000LL;
	memset(spans, 0, NSPANS * sizeof(*spans));
	for (int i = 0; i < NSPANS; i++) {
		spans[i].name = span_names[i];
		spans[i].trace_id[0] = 0xfe;
		spans[i].trace_id[12] = 0xab;
		spans[i].trace_id[13] = 0xcd;
		spans[i].trace_id[14] = 0xef;
		spans[i].trace_id[15] = 0x01;
		spans[i].span_id[0] = 0xd1;
		spans[i].span_id[4] = 0xc0;
		spans[i].span_id[5] = 0xff;
		spans[i].span_id[6] = 0xee;
		spans[i].span_id[7] = (uint8_t)i;
		if (i)
			memcpy(spans[i].parent_id, spans[0].span_id, 8);
		spans[i].start_ns = base + i * MS;
		spans[i].end_ns = base + (10 - i) * MS;
	}
	spans[0].trace_state = "vendor=abc";
	spans[1].attrs = compile_attrs;
	spans[1].nattrs = ARRAY_SIZE(compile_attrs);
	spans[1].events = compile_events;
	spans[1].nevents = ARRAY_SIZE(compile_events);
	spans[2].error = 1;
	spans[2].status_message = "exit status 1";
}

/* A config for url: no headers, no gzip. */
static struct otlp_http_config config_for(const char *url, long timeout_ms)
{
	struct otlp_http_config c = {NULL, NULL, 0, timeout_ms, 0};
	c.url = (char *)url;
	return c;
}

/*
 * Exports spans through a new OTLP/HTTP exporter for c; returns end()'s
 * result, with *cause (malloc'd or NULL) and the time end() took in ms.
 */
static int export_spans(const struct otlp_http_config *c, const struct span *spans, size_t n,
                        char **cause, long *elapsed_ms)
{
	*cause = NULL;
	struct trace_exporter *e = trace_otlp_http_new(c, cause);
	if (!e)
		fail_msg("trace_otlp_http_new: %s", *cause);
	assert_string_equal(e->name, "otlp-http");
	struct trace_resource res = {res_attrs, ARRAY_SIZE(res_attrs)};
	assert_int_equal(e->begin(e, &res, cause), 0);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(e->span(e, &spans[i], cause), 0);
	int64_t t0 = now_mono_ns();
	int rc = e->end(e, cause);
	*elapsed_ms = (long)((now_mono_ns() - t0) / MS);
	e->free(e);
	if (rc == 0)
		assert_null(*cause);
	else
		assert_non_null(*cause);
	if (*cause)
		assert_null(strchr(*cause, '\n'));
	return rc;
}

/* The logged request's spans match make_spans(): ids, names, parents, events. */
static void assert_spans_sent(json_t *rec)
{
	json_t *body = get(rec, "body");
	json_t *rs = json_array_get(get(body, "resourceSpans"), 0);
	json_t *rattrs = get(get(rs, "resource"), "attributes");
	assert_int_equal(json_array_size(rattrs), 2);
	assert_string_equal(str_of(json_array_get(rattrs, 0), "key"), "service.name");
	json_t *ss = json_array_get(get(rs, "scopeSpans"), 0);
	assert_string_equal(str_of(get(ss, "scope"), "name"), "golive");
	json_t *spans = get(ss, "spans");
	assert_int_equal(json_array_size(spans), NSPANS);
	for (size_t i = 0; i < NSPANS; i++) {
		json_t *s = json_array_get(spans, i);
		assert_string_equal(str_of(s, "name"), span_names[i]);
		assert_string_equal(str_of(s, "traceId"), trace_id_hex);
		assert_string_equal(str_of(s, "spanId"), span_ids[i]);
		if (i)
			assert_string_equal(str_of(s, "parentSpanId"), span_ids[0]);
		else
			assert_null(json_object_get(s, "parentSpanId"));
	}
	assert_string_equal(str_of(json_array_get(spans, 0), "traceState"), "vendor=abc");
	json_t *ev = json_array_get(get(json_array_get(spans, 1), "events"), 0);
	assert_string_equal(str_of(ev, "name"), "golive.diagnostic");
	json_t *st = get(json_array_get(spans, 2), "status");
	assert_int_equal(json_integer_value(get(st, "code")), 2);
	assert_string_equal(str_of(st, "message"), "exit status 1");
}

static void assert_contains(const char *s, const char *part)
{
	if (!s || !strstr(s, part))
		fail_msg("\"%s\" does not contain \"%s\"", s ? s : "(null)", part);
}

/* ---- exports against the receiver ----------------------------------------------- */

static void test_export_ok(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "200");
	make_spans(spans);
	struct otlp_http_config c = config_for(rv.url, 10000);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), 0);

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 1);
	assert_valid_request(log[0], 200);
	assert_true(json_is_false(get(log[0], "gzip")));
	assert_null(json_object_get(get(log[0], "headers"), "content-encoding"));
	assert_spans_sent(log[0]);
	log_free(log, n);
	receiver_stop(&rv);
}

/* Compression and headers from the environment; the body arrives gzipped and valid. */
static void test_export_gzip_env_headers(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	struct otlp_http_config c;
	struct strbuf w = STRBUF_INIT;
	char *cause, *endpoint;
	long ms;
	size_t n;
	receiver_start(&rv, "200");
	make_spans(spans);
	endpoint = xasprintf("http://127.0.0.1:%d/", rv.port); /* "/v1/traces" is appended */
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint, 1);
	setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
	setenv("OTEL_EXPORTER_OTLP_HEADERS",
	       " x-api-key = secret%20value%2C1 ,X-Tenant=team-a,x-empty=", 1);
	assert_int_equal(otlp_http_config_from_env(&c, &w), 1);
	assert_int_equal(w.len, 0);
	assert_string_equal(c.url, rv.url);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), 0);
	otlp_http_config_release(&c);

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 1);
	assert_valid_request(log[0], 200);
	assert_true(json_is_true(get(log[0], "gzip")));
	json_t *h = get(log[0], "headers");
	assert_string_equal(str_of(h, "content-encoding"), "gzip");
	assert_string_equal(str_of(h, "x-api-key"), "secret value,1");
	assert_string_equal(str_of(h, "x-tenant"), "team-a");
	assert_string_equal(str_of(h, "x-empty"), "");
	assert_spans_sent(log[0]);
	log_free(log, n);
	receiver_stop(&rv);
	strbuf_release(&w);
	free(endpoint);
}

/* 429 with Retry-After: 1, then 200: success, after the wait, with two requests. */
static void test_retry_429_retry_after(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "429:1,200");
	make_spans(spans);
	struct otlp_http_config c = config_for(rv.url, 10000);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), 0);
	assert_true(ms >= 900);
	assert_true(ms < 10000 + 2000);

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 2);
	assert_valid_request(log[0], 429);
	assert_valid_request(log[1], 200);
	double gap = json_real_value(get(log[1], "t")) - json_real_value(get(log[0], "t"));
	assert_true(gap >= 0.9);
	log_free(log, n);
	receiver_stop(&rv);
}

/* 503 twice (no Retry-After), then 200: three requests, backoff between them. */
static void test_retry_503(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "503,503,200");
	make_spans(spans);
	struct otlp_http_config c = config_for(rv.url, 10000);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), 0);
	assert_true(ms >= 100 + 200 - 10); /* the backoff: 100 ms, then 200 ms */

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 3);
	assert_valid_request(log[0], 503);
	assert_valid_request(log[1], 503);
	assert_valid_request(log[2], 200);
	log_free(log, n);
	receiver_stop(&rv);
}

/* A connection closed without an answer is retried. */
static void test_retry_dropped(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "drop,200");
	make_spans(spans);
	struct otlp_http_config c = config_for(rv.url, 10000);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), 0);

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 2);
	assert_true(json_is_null(get(log[0], "status")));
	assert_valid_request(log[1], 200);
	log_free(log, n);
	receiver_stop(&rv);
}

/* 400: no retry; the cause names the status and the server's message. */
static void test_400_no_retry(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "400,200");
	make_spans(spans);
	struct otlp_http_config c = config_for(rv.url, 10000);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), -1);
	assert_contains(cause, "OTLP export to ");
	assert_contains(cause, rv.url);
	assert_contains(cause, "HTTP 400");
	assert_contains(cause, "scripted 400");
	free(cause);

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 1);
	log_free(log, n);
	receiver_stop(&rv);
}

/* The receiver really validates: a zero trace id is refused, and its reason is in the cause. */
static void test_receiver_rejects_invalid(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "200");
	make_spans(spans);
	memset(spans[1].trace_id, 0, sizeof(spans[1].trace_id));
	struct otlp_http_config c = config_for(rv.url, 10000);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), -1);
	assert_contains(cause, "HTTP 400");
	assert_contains(cause, "resourceSpans[0].scopeSpans[0].spans[1].traceId: all zeros");
	free(cause);

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 1);
	assert_true(json_is_false(get(log[0], "valid")));
	log_free(log, n);
	receiver_stop(&rv);
}

/* 200 with a partialSuccess: -1, the cause naming the count and the message. */
static void test_partial_success(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "partial:2:spans too old");
	make_spans(spans);
	struct otlp_http_config c = config_for(rv.url, 10000);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), -1);
	assert_contains(cause, "collector rejected 2 of 3 spans: spans too old");
	assert_true(starts_with(cause, "OTLP export to http://127.0.0.1:"));
	free(cause);

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 1);
	assert_valid_request(log[0], 200);
	log_free(log, n);
	receiver_stop(&rv);
}

/* A server that never answers: end() gives up at the timeout. */
static void test_hang_timeout(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "hang");
	make_spans(spans);
	struct otlp_http_config c = config_for(rv.url, 500);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), -1);
	assert_true(ms >= 400);
	assert_true(ms < 500 + 2000);
	assert_contains(cause, "500 ms timeout");
	free(cause);

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 1);
	log_free(log, n);
	receiver_stop(&rv);
}

/* Retry-After beyond what is left of the timeout: give up at once, one request. */
static void test_retry_after_past_timeout(void **state)
{
	(void)state;
	struct receiver rv;
	struct span spans[NSPANS];
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "429:30,200");
	make_spans(spans);
	struct otlp_http_config c = config_for(rv.url, 1000);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), -1);
	assert_true(ms < 1000 + 2000);
	assert_contains(cause, "HTTP 429");
	assert_contains(cause, "the server asks to retry after 30 s");
	free(cause);

	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 1);
	log_free(log, n);
	receiver_stop(&rv);
}

/* A port bound but not listening refuses connections: retried, then -1 within the timeout. */
static void test_server_down(void **state)
{
	(void)state;
	struct span spans[NSPANS];
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	char *cause;
	long ms;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	char *url = xasprintf("http://127.0.0.1:%d/v1/traces", ntohs(sa.sin_port));

	make_spans(spans);
	struct otlp_http_config c = config_for(url, 1000);
	assert_int_equal(export_spans(&c, spans, NSPANS, &cause, &ms), -1);
	assert_true(ms < 1000 + 2000);
	assert_contains(cause, url);
	assert_contains(cause, "1000 ms timeout");
	assert_contains(cause, "attempts");
	free(cause);
	free(url);
	close(fd);
}

/* An exporter without any span still sends a valid (empty) request. */
static void test_export_no_spans(void **state)
{
	(void)state;
	struct receiver rv;
	char *cause;
	long ms;
	size_t n;
	receiver_start(&rv, "200");
	struct otlp_http_config c = config_for(rv.url, 10000);
	assert_int_equal(export_spans(&c, NULL, 0, &cause, &ms), 0);
	json_t **log = receiver_log(&rv, &n);
	assert_int_equal(n, 1);
	assert_valid_request(log[0], 200);
	log_free(log, n);
	receiver_stop(&rv);
}

static void test_new_rejects_bad_config(void **state)
{
	(void)state;
	char *cause = NULL;
	struct otlp_http_config c = config_for("ftp://example.com/v1/traces", 1000);
	assert_null(trace_otlp_http_new(&c, &cause));
	assert_contains(cause, "not an http:// or https:// URL");
	free(cause);
	cause = NULL;

	char *bad[] = {"X-Ok: 1", "X-Bad: a\r\nInjected: yes"};
	c = config_for("http://u:secret@127.0.0.1:1/v1/traces", 1000);
	c.headers = bad;
	c.nheaders = 2;
	assert_null(trace_otlp_http_new(&c, &cause));
	assert_contains(cause, "header 2");
	assert_null(strstr(cause, "secret")); /* credentials never shown */
	free(cause);
}

/* ---- the configuration from the environment -------------------------------------- */

/* from_env with the environment as set; returns its result, warnings in *w. */
static int from_env(struct otlp_http_config *c, struct strbuf *w)
{
	strbuf_reset(w);
	int rc = otlp_http_config_from_env(c, w);
	if (rc != 1) {
		assert_null(c->url);
		assert_int_equal(c->nheaders, 0);
	}
	return rc;
}

static void test_config_enabled_or_not(void **state)
{
	(void)state;
	struct otlp_http_config c;
	struct strbuf w = STRBUF_INIT;

	/* Nothing set: no exporter, silently. */
	assert_int_equal(from_env(&c, &w), 0);
	assert_int_equal(w.len, 0);

	/* OTEL_TRACES_EXPORTER=otlp alone: the default endpoint. */
	setenv("OTEL_TRACES_EXPORTER", "otlp", 1);
	assert_int_equal(from_env(&c, &w), 1);
	assert_string_equal(c.url, "http://localhost:4318/v1/traces");
	assert_int_equal(c.timeout_ms, 10000);
	assert_int_equal(c.gzip, 0);
	assert_int_equal(c.nheaders, 0);
	assert_int_equal(w.len, 0);
	otlp_http_config_release(&c);
	assert_null(c.url);

	/* A list naming otlp among others. */
	setenv("OTEL_TRACES_EXPORTER", "console, OTLP", 1);
	assert_int_equal(from_env(&c, &w), 1);
	otlp_http_config_release(&c);

	/* none: disabled, no warning, even with an endpoint. */
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318", 1);
	setenv("OTEL_TRACES_EXPORTER", "none", 1);
	assert_int_equal(from_env(&c, &w), 0);
	assert_int_equal(w.len, 0);
	setenv("OTEL_TRACES_EXPORTER", "   None , ", 1);
	assert_int_equal(from_env(&c, &w), 0);
	assert_int_equal(w.len, 0);

	/* console (or zipkin): disabled with one warning line naming the variable. */
	setenv("OTEL_TRACES_EXPORTER", "console", 1);
	assert_int_equal(from_env(&c, &w), 0);
	assert_contains(w.buf, "OTEL_TRACES_EXPORTER \"console\"");
	assert_int_equal(w.buf[w.len - 1], '\n');
	assert_ptr_equal(strchr(w.buf, '\n'), w.buf + w.len - 1);

	/* Unset exporter with an endpoint: enabled. */
	unsetenv("OTEL_TRACES_EXPORTER");
	assert_int_equal(from_env(&c, &w), 1);
	assert_string_equal(c.url, "http://collector:4318/v1/traces");
	otlp_http_config_release(&c);

	/* OTEL_SDK_DISABLED=true beats everything; other values do not disable. */
	setenv("OTEL_SDK_DISABLED", "TRUE", 1);
	setenv("OTEL_TRACES_EXPORTER", "otlp", 1);
	assert_int_equal(from_env(&c, &w), 0);
	assert_int_equal(w.len, 0);
	setenv("OTEL_SDK_DISABLED", "false", 1);
	assert_int_equal(from_env(&c, &w), 1);
	otlp_http_config_release(&c);
	strbuf_release(&w);
}

static void test_config_endpoints(void **state)
{
	(void)state;
	struct otlp_http_config c;
	struct strbuf w = STRBUF_INIT;
	static const struct {
		const char *endpoint, *url;
	} cases[] = {
	    {"http://collector:4318", "http://collector:4318/v1/traces"},
	    {"http://collector:4318/", "http://collector:4318/v1/traces"},
	    {"https://otel.example.com/base/", "https://otel.example.com/base/v1/traces"},
	    {" http://c:1//", "http://c:1/v1/traces"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		setenv("OTEL_EXPORTER_OTLP_ENDPOINT", cases[i].endpoint, 1);
		assert_int_equal(from_env(&c, &w), 1);
		assert_string_equal(c.url, cases[i].url);
		otlp_http_config_release(&c);
	}

	/* The TRACES_ endpoint wins and is used as given. */
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://traces:9999/custom", 1);
	assert_int_equal(from_env(&c, &w), 1);
	assert_string_equal(c.url, "http://traces:9999/custom");
	otlp_http_config_release(&c);

	/* Empty is unset. */
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "", 1);
	assert_int_equal(from_env(&c, &w), 1);
	assert_string_equal(c.url, "http://c:1/v1/traces");
	otlp_http_config_release(&c);

	/* Not http(s): -1 with a warning, nothing filled. */
	setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "grpc://collector:4317", 1);
	assert_int_equal(from_env(&c, &w), -1);
	assert_contains(w.buf, "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT \"grpc://collector:4317\"");
	assert_contains(w.buf, "not an http:// or https:// URL");
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318", 1);
	assert_int_equal(from_env(&c, &w), -1);
	assert_contains(w.buf, "OTEL_EXPORTER_OTLP_ENDPOINT \"collector:4318\"");
	strbuf_release(&w);
}

static void test_config_options(void **state)
{
	(void)state;
	struct otlp_http_config c;
	struct strbuf w = STRBUF_INIT;
	setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4318", 1);

	/* The general variables. */
	setenv("OTEL_EXPORTER_OTLP_TIMEOUT", "2500", 1);
	setenv("OTEL_EXPORTER_OTLP_COMPRESSION", "gzip", 1);
	setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", 1);
	setenv("OTEL_EXPORTER_OTLP_HEADERS", "a=1,b=two%3Dtwo", 1);
	assert_int_equal(from_env(&c, &w), 1);
	assert_int_equal(w.len, 0);
	assert_int_equal(c.timeout_ms, 2500);
	assert_int_equal(c.gzip, 1);
	assert_int_equal(c.nheaders, 2);
	assert_string_equal(c.headers[0], "a: 1");
	assert_string_equal(c.headers[1], "b: two=two");
	otlp_http_config_release(&c);

	/* The TRACES_ variables win, as wholes (headers are not merged). */
	setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "0", 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "none", 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "HTTP/JSON", 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "c=3", 1);
	assert_int_equal(from_env(&c, &w), 1);
	assert_int_equal(w.len, 0);
	assert_int_equal(c.timeout_ms, 0);
	assert_int_equal(c.gzip, 0);
	assert_int_equal(c.nheaders, 1);
	assert_string_equal(c.headers[0], "c: 3");
	otlp_http_config_release(&c);

	/* Bad values: one warning line each, naming the variable read; defaults used. */
	setenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "abc", 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "zstd", 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "grpc", 1);
	setenv("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "novalue,ok=1,bad key=1,x=%zz", 1);
	assert_int_equal(from_env(&c, &w), 1);
	assert_int_equal(c.timeout_ms, 10000);
	assert_int_equal(c.gzip, 0);
	assert_int_equal(c.nheaders, 1);
	assert_string_equal(c.headers[0], "ok: 1");
	assert_contains(w.buf, "OTEL_EXPORTER_OTLP_TRACES_TIMEOUT \"abc\": not a number of "
	                       "milliseconds; using 10000\n");
	assert_contains(w.buf, "OTEL_EXPORTER_OTLP_TRACES_COMPRESSION \"zstd\"");
	assert_contains(w.buf, "OTEL_EXPORTER_OTLP_TRACES_PROTOCOL \"grpc\"");
	assert_contains(w.buf, "OTEL_EXPORTER_OTLP_TRACES_HEADERS: member 1 is not key=value");
	assert_contains(w.buf, "member 3 has a key that is not an HTTP header name");
	assert_contains(w.buf, "member 4 (\"x\") has a bad %-escape");
	size_t lines = 0;
	for (const char *p = w.buf; *p; p++)
		lines += *p == '\n';
	assert_int_equal(lines, 6);
	otlp_http_config_release(&c);

	static const char *const bad_timeouts[] = {"-1", "1.5", "10s", "99999999999999999999",
	                                           "1000000000"};
	unsetenv("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT");
	for (size_t i = 0; i < ARRAY_SIZE(bad_timeouts); i++) {
		setenv("OTEL_EXPORTER_OTLP_TIMEOUT", bad_timeouts[i], 1);
		assert_int_equal(from_env(&c, &w), 1);
		assert_int_equal(c.timeout_ms, 10000);
		assert_contains(w.buf, "OTEL_EXPORTER_OTLP_TIMEOUT \"");
		otlp_http_config_release(&c);
	}
	setenv("OTEL_EXPORTER_OTLP_TIMEOUT", " 750 ", 1);
	assert_int_equal(from_env(&c, &w), 1);
	assert_int_equal(c.timeout_ms, 750);
	otlp_http_config_release(&c);
	strbuf_release(&w);
}

/* ---- the parsers -------------------------------------------------------------- */

static void test_parse_retry_after(void **state)
{
	(void)state;
	const time_t now = 784111777; /* Sun, 06 Nov 1994 08:49:37 GMT */
	assert_int_equal(otlp_http_retry_after_ms("1", now), 1000);
	assert_int_equal(otlp_http_retry_after_ms(" 120 ", now), 120000);
	assert_int_equal(otlp_http_retry_after_ms("0", now), 0);
	assert_int_equal(otlp_http_retry_after_ms("99999999999999999999999", now),
	                 OTLP_HTTP_RETRY_AFTER_MAX_S * 1000);
	assert_int_equal(otlp_http_retry_after_ms("Sun, 06 Nov 1994 08:50:07 GMT", now), 30000);
	assert_int_equal(otlp_http_retry_after_ms("Sunday, 06-Nov-94 08:49:47 GMT", now), 10000);
	assert_int_equal(otlp_http_retry_after_ms("Sun Nov  6 08:49:39 1994", now), 2000);
	assert_int_equal(otlp_http_retry_after_ms("Sun, 06 Nov 1994 08:00:00 GMT", now), 0);
	assert_int_equal(otlp_http_retry_after_ms("Fri, 31 Dec 9999 23:59:59 GMT", now),
	                 OTLP_HTTP_RETRY_AFTER_MAX_S * 1000);
	static const char *const bad[] = {
	    "",
	    " ",
	    "-1",
	    "1.5",
	    "1s",
	    "abc",
	    "Sun, 06 Nov 1994 08:50:07",
	    "Sun, 06 Nov 1994 08:50:07 GMT trailing",
	    "Sun, 32 Nov 1994 08:50:07 GMT",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (otlp_http_retry_after_ms(bad[i], now) != -1)
			fail_msg("Retry-After \"%s\" accepted", bad[i]);
	assert_int_equal(otlp_http_retry_after_ms(NULL, now), -1);
}

static void test_parse_partial(void **state)
{
	(void)state;
	long long rejected;
	char *msg;
#define PARTIAL(s) otlp_http_parse_partial(s, strlen(s), &rejected, &msg)
	static const char *const accepted[] = {
	    "",
	    "{}",
	    "not json",
	    "[1]",
	    "{\"partialSuccess\":{}}",
	    "{\"partialSuccess\":null}",
	    "{\"partialSuccess\":{\"rejectedSpans\":\"0\",\"errorMessage\":\"\"}}",
	    "{\"partialSuccess\":{\"rejectedSpans\":-4}}",
	    "{\"partialSuccess\":{\"rejectedSpans\":\"x\"}}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(accepted); i++) {
		if (PARTIAL(accepted[i]) != 0)
			fail_msg("\"%s\" taken as a partial success", accepted[i]);
		assert_int_equal(rejected, 0);
		assert_null(msg);
	}
	assert_int_equal(otlp_http_parse_partial(NULL, 0, &rejected, &msg), 0);

	assert_int_equal(PARTIAL("{\"partialSuccess\":{\"rejectedSpans\":\"2\","
	                         "\"errorMessage\":\"too old\"}}"),
	                 1);
	assert_int_equal(rejected, 2);
	assert_string_equal(msg, "too old");
	free(msg);

	assert_int_equal(PARTIAL("{\"partialSuccess\":{\"rejectedSpans\":5}}"), 1);
	assert_int_equal(rejected, 5);
	assert_null(msg);

	/* A message alone is a partial success too; it comes back on one line. */
	assert_int_equal(PARTIAL("{\"partialSuccess\":{\"errorMessage\":\"a\\nb\\u001b[31m\"}}"),
	                 1);
	assert_int_equal(rejected, 0);
	assert_string_equal(msg, "a b [31m");
	free(msg);

	/* Huge counts are clamped, long messages cut. */
	struct strbuf sb = STRBUF_INIT;
	strbuf_addstr(&sb, "{\"partialSuccess\":{\"rejectedSpans\":\"99999999999999999999999\","
	                   "\"errorMessage\":\"");
	for (int i = 0; i < 300; i++)
		strbuf_addstr(&sb, "\xc3\xa9"); /* é: two bytes, never cut in half */
	strbuf_addstr(&sb, "\"}}");
	assert_int_equal(otlp_http_parse_partial(sb.buf, sb.len, &rejected, &msg), 1);
	assert_true(rejected > 0);
	assert_true(strlen(msg) <= OTLP_HTTP_MESSAGE_MAX + 3);
	assert_true(ends_with(msg, "\xc3\xa9..."));
	free(msg);
	strbuf_release(&sb);
#undef PARTIAL
}

static void test_parse_error_message(void **state)
{
	(void)state;
	char *m;
#define MSG(s) otlp_http_error_message(s, strlen(s))
	m = MSG("{\"code\":3,\"message\":\"bad span\"}");
	assert_string_equal(m, "bad span");
	free(m);
	m = MSG("upstream broke\r\nsecond line");
	assert_string_equal(m, "upstream broke");
	free(m);
	m = MSG("{\"code\":3}");
	assert_string_equal(m, "{\"code\":3}");
	free(m);
	assert_null(MSG(""));
	assert_null(MSG("  \r\n"));
	assert_null(otlp_http_error_message(NULL, 0));
	char big[1000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	m = MSG(big);
	assert_int_equal(strlen(m), OTLP_HTTP_MESSAGE_MAX + 3);
	free(m);
#undef MSG
}

static void test_parse_headers(void **state)
{
	(void)state;
	char **h = NULL;
	size_t n = 0;
	struct strbuf w = STRBUF_INIT;
	int skipped = otlp_http_parse_headers(
	    "V",
	    " a = b ,, Authorization=Bearer%20tok%3D%3D,k=%0d%0aX: y,content-type=text/plain,"
	    "=nokey,sec=%2",
	    &h, &n, &w);
	assert_int_equal(skipped, 4);
	assert_int_equal(n, 2);
	assert_string_equal(h[0], "a: b");
	assert_string_equal(h[1], "Authorization: Bearer tok==");
	assert_contains(w.buf, "V: member 4 (\"k\") has a control character in its value");
	assert_contains(w.buf, "V: member 5 (\"content-type\") sets a header golive sets itself");
	assert_contains(w.buf, "V: member 6 has an empty key");
	assert_contains(w.buf, "V: member 7 (\"sec\") has a bad %-escape");
	assert_null(strstr(w.buf, "%2")); /* values never shown */
	for (size_t i = 0; i < n; i++)
		free(h[i]);
	free(h);
	strbuf_release(&w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup(test_parse_retry_after, setup),
	    cmocka_unit_test_setup(test_parse_partial, setup),
	    cmocka_unit_test_setup(test_parse_error_message, setup),
	    cmocka_unit_test_setup(test_parse_headers, setup),
	    cmocka_unit_test_setup(test_config_enabled_or_not, setup),
	    cmocka_unit_test_setup(test_config_endpoints, setup),
	    cmocka_unit_test_setup(test_config_options, setup),
	    cmocka_unit_test_setup(test_new_rejects_bad_config, setup),
	    cmocka_unit_test_setup(test_export_ok, setup),
	    cmocka_unit_test_setup(test_export_no_spans, setup),
	    cmocka_unit_test_setup(test_export_gzip_env_headers, setup),
	    cmocka_unit_test_setup(test_retry_429_retry_after, setup),
	    cmocka_unit_test_setup(test_retry_503, setup),
	    cmocka_unit_test_setup(test_retry_dropped, setup),
	    cmocka_unit_test_setup(test_400_no_retry, setup),
	    cmocka_unit_test_setup(test_receiver_rejects_invalid, setup),
	    cmocka_unit_test_setup(test_partial_success, setup),
	    cmocka_unit_test_setup(test_hang_timeout, setup),
	    cmocka_unit_test_setup(test_retry_after_past_timeout, setup),
	    cmocka_unit_test_setup(test_server_down, setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
