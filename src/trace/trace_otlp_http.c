/*
 * trace_otlp_http.c - see trace.h: the OTLP/HTTP exporter (JSON bodies),
 * and its configuration from the OpenTelemetry environment.
 *
 * The request is built by trace_otlp.c's shared core; this file only sends
 * it, through libcurl dlopen()ed at the first export (curl_dl.h: the
 * wrapper must not pay the dynamic loader for it). zlib (gzip bodies) is
 * linked statically.
 *
 * One export is one POST, retried on 429, 502, 503, 504 and on connections
 * that failed or dropped, with a 100 ms backoff that doubles (or the
 * server's Retry-After when longer), all within the configured timeout
 * counted from the start of end(): every attempt gets the time that is
 * left as its curl timeout, and a wait that would reach past the deadline
 * ends the export at once.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "trace/trace_otlp_http.h"
#include "core/curl_dl.h"
#include "trace/trace.h"
#include "core/util.h"

#define ZLIB_CONST
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <zlib.h>

#define OTLP_HTTP_DEFAULT_URL        "http://localhost:4318/v1/traces"
#define OTLP_HTTP_DEFAULT_TIMEOUT_MS 10000L
#define OTLP_HTTP_TIMEOUT_MAX_MS     999999999L  /* 11.5 days: bigger is a typo */
#define OTLP_HTTP_BODY_MAX           (64 * 1024) /* of a response, kept for its message */
#define OTLP_HTTP_BACKOFF_FIRST_MS   100L
#define OTLP_HTTP_BACKOFF_MAX_MS     5000L
#define OTLP_HTTP_MIN_ATTEMPT_MS     100L /* the least time worth another attempt */

#ifdef GOLIVE_VERSION_STRING
#define OTLP_HTTP_USER_AGENT "golive/" GOLIVE_VERSION_STRING
#else
#define OTLP_HTTP_USER_AGENT "golive/dev"
#endif

/* ---- small string helpers ---------------------------------------------- */

static int is_blank(int c)
{
	return c == ' ' || c == '\t';
}

/* s[0..*n) without blanks on either side: returns the new start, shortens *n. */
static const char *trim(const char *s, size_t *n)
{
	while (*n && is_blank((unsigned char)*s))
		s++, (*n)--;
	while (*n && is_blank((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}

/*
 * s[0..n) as one line for a message: control characters become blanks,
 * blanks on either side go, and the text is cut at max bytes on a UTF-8
 * boundary with "..." appended. A new string ("" when nothing is left).
 */
static char *one_line(const char *s, size_t n, size_t max)
{
	struct strbuf sb = STRBUF_INIT;
	int cut = 0;
	if (n > max) {
		n = max;
		/* Back up over continuation bytes to the start of a UTF-8 sequence. */
		while (n && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
		cut = 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		strbuf_addch(&sb, c < 0x20 || c == 0x7f ? ' ' : c);
	}
	size_t len = sb.len;
	const char *t = trim(sb.buf, &len);
	char *out = cut ? xasprintf("%.*s...", (int)len, t) : xstrndup(t, len);
	strbuf_release(&sb);
	return out;
}

/* An HTTP token character (RFC 9110 tchar). */
static int is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int is_token(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!is_tchar((unsigned char)s[i]))
			return 0;
	return 1;
}

/* Whether s has a control character other than tab (a header value must not). */
static int has_ctl(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 1;
	}
	return 0;
}

/* Whether url starts with http:// or https:// (any case) and has more after it. */
static int is_http_url(const char *url)
{
	size_t skip = strncasecmp(url, "http://", 7) == 0    ? 7
	              : strncasecmp(url, "https://", 8) == 0 ? 8
	                                                     : 0;
	return skip && url[skip];
}

/* A "Name: value" line as the config holds them: Name a token, value without controls. */
static int header_line_ok(const char *line)
{
	const char *colon = strchr(line, ':');
	return colon && is_token(line, (size_t)(colon - line)) &&
	       !has_ctl(colon + 1, strlen(colon + 1));
}

/* ---- the pure parsers (trace_otlp_http.h) ------------------------------- */

/* A non-negative decimal integer, clamped at LLONG_MAX; -1 when s is not one. */
static long long parse_count(const char *s)
{
	long long v = 0;
	if (!*s)
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		int d = *s - '0';
		v = v > (LLONG_MAX - d) / 10 ? LLONG_MAX : v * 10 + d;
	}
	return v;
}

int otlp_http_parse_partial(const char *body, size_t len, long long *rejected, char **message)
{
	json_error_t err;
	*rejected = 0;
	*message = NULL;
	if (!body || !len)
		return 0;
	json_t *doc = json_loadb(body, len, 0, &err);
	json_t *ps = json_is_object(doc) ? json_object_get(doc, "partialSuccess") : NULL;
	if (!json_is_object(ps)) {
		json_decref(doc);
		return 0;
	}
	json_t *rs = json_object_get(ps, "rejectedSpans");
	long long n = 0;
	if (json_is_integer(rs))
		n = json_integer_value(rs);
	else if (json_is_string(rs))
		n = parse_count(json_string_value(rs));
	else if (json_is_real(rs) && json_real_value(rs) >= 0 && json_real_value(rs) < 9e18)
		n = (long long)json_real_value(rs);
	*rejected = n > 0 ? n : 0;

	json_t *em = json_object_get(ps, "errorMessage");
	if (json_is_string(em) && json_string_length(em)) {
		char *m =
		    one_line(json_string_value(em), json_string_length(em), OTLP_HTTP_MESSAGE_MAX);
		if (*m)
			*message = m;
		else
			free(m);
	}
	json_decref(doc);
	return *rejected > 0 || *message ? 1 : 0;
}

char *otlp_http_error_message(const char *body, size_t len)
{
	json_error_t err;
	char *m = NULL;
	if (!body || !len)
		return NULL;
	json_t *doc = json_loadb(body, len, 0, &err);
	json_t *msg = json_is_object(doc) ? json_object_get(doc, "message") : NULL;
	if (json_is_string(msg) && json_string_length(msg))
		m = one_line(json_string_value(msg), json_string_length(msg),
		             OTLP_HTTP_MESSAGE_MAX);
	json_decref(doc);
	if (!m || !*m) {
		free(m);
		size_t n = 0;
		while (n < len && body[n] != '\n' && body[n] != '\r')
			n++;
		m = one_line(body, n, OTLP_HTTP_MESSAGE_MAX);
	}
	if (!*m) {
		free(m);
		return NULL;
	}
	return m;
}

long otlp_http_retry_after_ms(const char *value, time_t now)
{
	/* IMF-fixdate first, then the obsolete forms HTTP still accepts (RFC 9110 5.6.7). */
	static const char *const date_formats[] = {
	    "%a, %d %b %Y %H:%M:%S GMT",
	    "%A, %d-%b-%y %H:%M:%S GMT",
	    "%a %b %e %H:%M:%S %Y",
	};
	if (!value)
		return -1;
	size_t n = strlen(value);
	const char *s = trim(value, &n);
	if (!n)
		return -1;

	size_t digits = strspn(s, "0123456789");
	if (digits >= n) {
		long secs = 0;
		for (size_t i = 0; i < n; i++) {
			secs = secs * 10 + (s[i] - '0');
			if (secs > OTLP_HTTP_RETRY_AFTER_MAX_S)
				secs = OTLP_HTTP_RETRY_AFTER_MAX_S;
		}
		return secs * 1000;
	}

	char buf[64];
	if (n >= sizeof(buf))
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	/* Day and month names are read in the C locale: golive never calls setlocale(). */
	for (size_t i = 0; i < ARRAY_SIZE(date_formats); i++) {
		struct tm tm;
		memset(&tm, 0, sizeof(tm));
		const char *end = strptime(buf, date_formats[i], &tm);
		if (!end || *end)
			continue;
		time_t t = timegm(&tm);
		if (t == (time_t)-1)
			continue;
		if (t <= now)
			return 0;
		double secs = difftime(t, now);
		return (secs > OTLP_HTTP_RETRY_AFTER_MAX_S ? OTLP_HTTP_RETRY_AFTER_MAX_S
		                                           : (long)secs) *
		       1000;
	}
	return -1;
}

/* Headers golive sets itself: a member naming one is skipped. */
static int reserved_header(const char *name, size_t n)
{
	static const char *const reserved[] = {"content-type", "content-encoding", "content-length",
	                                       "transfer-encoding"};
	for (size_t i = 0; i < ARRAY_SIZE(reserved); i++)
		if (strlen(reserved[i]) == n && strncasecmp(name, reserved[i], n) == 0)
			return 1;
	return 0;
}

int otlp_http_parse_headers(const char *var, const char *value, char ***headers, size_t *nheaders,
                            struct strbuf *warnings)
{
	int skipped = 0;
	size_t member = 0;
	for (const char *p = value; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		const char *next = comma ? comma + 1 : p + n;
		size_t mn = n;
		const char *m = trim(p, &mn);
		const char *why = NULL;
		char *val = NULL;
		size_t kn = 0;
		const char *key = NULL;

		member++;
		p = next;
		if (!mn)
			continue;
		const char *eq = memchr(m, '=', mn);
		if (!eq) {
			why = "is not key=value";
		} else {
			kn = (size_t)(eq - m);
			key = trim(m, &kn);
			size_t vn = mn - (size_t)(eq - m) - 1;
			const char *v = trim(eq + 1, &vn);
			val = percent_decode(v, vn);
			if (!kn)
				why = "has an empty key";
			else if (!is_token(key, kn))
				why = "has a key that is not an HTTP header name";
			else if (!val)
				why = "has a bad %-escape in its value";
			else if (has_ctl(val, strlen(val)))
				why = "has a control character in its value";
			else if (reserved_header(key, kn))
				why = "sets a header golive sets itself";
		}
		if (why) {
			skipped++;
			/* The key is shown only when it is a clean token; never the value. */
			if (warnings && key && is_token(key, kn))
				strbuf_addf(warnings, "%s: member %zu (\"%.*s\") %s; skipped\n",
				            var, member, (int)(kn > 64 ? 64 : kn), key, why);
			else if (warnings)
				strbuf_addf(warnings, "%s: member %zu %s; skipped\n", var, member,
				            why);
		} else {
			*headers = xrealloc(*headers, (*nheaders + 1) * sizeof(**headers));
			(*headers)[(*nheaders)++] = xasprintf("%.*s: %s", (int)kn, key, val);
		}
		free(val);
	}
	return skipped;
}

/* ---- the configuration from the environment ------------------------------ */

static const char *env_nonempty(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? v : NULL;
}

/* The TRACES_ variable when set, else the general one; *used names the one read. */
static const char *env_either(const char *traces_var, const char *general_var, const char **used)
{
	const char *v = env_nonempty(traces_var);
	*used = traces_var;
	if (!v) {
		v = env_nonempty(general_var);
		*used = general_var;
	}
	return v;
}

/*
 * Whether the comma list s has member word (blanks trimmed, any case);
 * *other tells whether it has members besides (blank members aside).
 */
static int list_has(const char *s, const char *word, int *other)
{
	size_t wn = strlen(word);
	int found = 0;
	*other = 0;
	for (const char *p = s; p && *p;) {
		const char *comma = strchr(p, ',');
		size_t n = comma ? (size_t)(comma - p) : strlen(p);
		const char *next = comma ? comma + 1 : p + n;
		const char *m = trim(p, &n);
		if (n == wn && strncasecmp(m, word, n) == 0)
			found = 1;
		else if (n)
			*other = 1;
		p = next;
	}
	return found;
}

/* A variable's value for a warning: quoted by the caller, one line, cut at 120 bytes. */
static char *shown(const char *v)
{
	return one_line(v, strlen(v), 120);
}

static void warn_value(struct strbuf *w, const char *var, const char *value, const char *what)
{
	char *s = shown(value);
	strbuf_addf(w, "%s \"%s\": %s\n", var, s, what);
	free(s);
}

/* Whether v (blanks trimmed) is word, in any case. */
static int is_word(const char *v, const char *word)
{
	size_t n = strlen(v);
	const char *t = trim(v, &n);
	return n == strlen(word) && strncasecmp(t, word, n) == 0;
}

int otlp_http_config_from_env(struct otlp_http_config *c, struct strbuf *warnings)
{
	const char *used, *v;
	memset(c, 0, sizeof(*c));

	v = env_nonempty("OTEL_SDK_DISABLED");
	if (v && is_word(v, "true"))
		return 0;

	int explicit_otlp = 0, other;
	v = env_nonempty("OTEL_TRACES_EXPORTER");
	if (v) {
		if (!list_has(v, "otlp", &other)) {
			list_has(v, "none", &other);
			if (other)
				warn_value(warnings, "OTEL_TRACES_EXPORTER", v,
				           "golive exports traces only with otlp; not exported");
			return 0;
		}
		explicit_otlp = 1;
	}

	char *url = NULL;
	const char *url_var = NULL;
	if ((v = env_nonempty("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT"))) {
		size_t n = strlen(v);
		const char *t = trim(v, &n);
		url = xstrndup(t, n);
		url_var = "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT";
	} else if ((v = env_nonempty("OTEL_EXPORTER_OTLP_ENDPOINT"))) {
		size_t n = strlen(v);
		const char *t = trim(v, &n);
		while (n && t[n - 1] == '/')
			n--;
		url = xasprintf("%.*s/v1/traces", (int)n, t);
		url_var = "OTEL_EXPORTER_OTLP_ENDPOINT";
	} else if (explicit_otlp) {
		url = xstrdup(OTLP_HTTP_DEFAULT_URL);
	} else {
		return 0;
	}
	if (!is_http_url(url) || has_ctl(url, strlen(url))) {
		warn_value(warnings, url_var ? url_var : "OTEL_TRACES_EXPORTER",
		           url_var ? getenv(url_var) : url,
		           "not an http:// or https:// URL; traces not exported");
		free(url);
		return -1;
	}
	c->url = url;

	c->timeout_ms = OTLP_HTTP_DEFAULT_TIMEOUT_MS;
	v = env_either("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT", &used);
	if (v) {
		size_t n = strlen(v);
		const char *t = trim(v, &n);
		char *digits = xstrndup(t, n);
		long long ms = parse_count(digits);
		free(digits);
		if (ms < 0)
			warn_value(warnings, used, v, "not a number of milliseconds; using 10000");
		else if (ms > OTLP_HTTP_TIMEOUT_MAX_MS)
			warn_value(warnings, used, v,
			           "more than 999999999 milliseconds; using 10000");
		else
			c->timeout_ms = (long)ms;
	}

	v = env_either("OTEL_EXPORTER_OTLP_TRACES_COMPRESSION", "OTEL_EXPORTER_OTLP_COMPRESSION",
	               &used);
	if (v && is_word(v, "gzip"))
		c->gzip = 1;
	else if (v && !is_word(v, "none"))
		warn_value(warnings, used, v, "neither gzip nor none; sending uncompressed");

	v = env_either("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL", &used);
	if (v && !is_word(v, "http/json"))
		warn_value(warnings, used, v, "golive sends only http/json; using http/json");

	v = env_either("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS", &used);
	if (v)
		otlp_http_parse_headers(used, v, &c->headers, &c->nheaders, warnings);
	return 1;
}

void otlp_http_config_release(struct otlp_http_config *c)
{
	if (!c)
		return;
	free(c->url);
	for (size_t i = 0; i < c->nheaders; i++)
		free(c->headers[i]);
	free(c->headers);
	memset(c, 0, sizeof(*c));
}

/* ---- the exporter ----------------------------------------------------------- */

struct http_ctx {
	struct otlp_http_config c; /* an owned copy */
	char *what;                /* "OTLP export to URL", credentials left out */
};

/* What one attempt received. */
struct http_response {
	struct strbuf body;   /* the first OTLP_HTTP_BODY_MAX bytes */
	char reason[64];      /* the status line's reason phrase, or "" */
	char retry_after[64]; /* the Retry-After value, or "" */
	int has_retry_after;
};

static void response_reset(struct http_response *r)
{
	strbuf_reset(&r->body);
	r->reason[0] = '\0';
	r->retry_after[0] = '\0';
	r->has_retry_after = 0;
}

/* CURLOPT_WRITEFUNCTION: keep the start of the body, read and drop the rest. */
static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct http_response *r = ud;
	size_t n = size * nmemb;
	size_t room = r->body.len < OTLP_HTTP_BODY_MAX ? OTLP_HTTP_BODY_MAX - r->body.len : 0;
	strbuf_add(&r->body, p, n < room ? n : room);
	return n;
}

/* Copies s[0..n), trimmed of blanks and the line end, into buf as one line. */
static void copy_field(char *buf, size_t size, const char *s, size_t n)
{
	while (n && (s[n - 1] == '\r' || s[n - 1] == '\n'))
		n--;
	s = trim(s, &n);
	char *l = one_line(s, n, size - 4);
	snprintf(buf, size, "%s", l);
	free(l);
}

/*
 * CURLOPT_HEADERFUNCTION: one header line at a time, status lines included;
 * a status line starts a new response (after a 100 Continue, say), so what
 * was kept from an earlier one is forgotten.
 */
static size_t on_header(char *p, size_t size, size_t nitems, void *ud)
{
	struct http_response *r = ud;
	size_t n = size * nitems;
	if (n > 5 && memcmp(p, "HTTP/", 5) == 0) {
		r->reason[0] = '\0';
		r->retry_after[0] = '\0';
		r->has_retry_after = 0;
		/* "HTTP/1.1 429 Too Many Requests": the reason is after the second blank. */
		const char *sp = memchr(p, ' ', n);
		const char *sp2 = sp ? memchr(sp + 1, ' ', n - (size_t)(sp + 1 - p)) : NULL;
		if (sp2)
			copy_field(r->reason, sizeof(r->reason), sp2 + 1,
			           n - (size_t)(sp2 + 1 - p));
	} else if (n > 12 && strncasecmp(p, "retry-after:", 12) == 0) {
		copy_field(r->retry_after, sizeof(r->retry_after), p + 12, n - 12);
		r->has_retry_after = 1;
	}
	return n;
}

static int retryable_status(long status)
{
	return status == 429 || status == 502 || status == 503 || status == 504;
}

/* A connection that could not be made, or broke before the answer was complete. */
static int retryable_curl(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_CONNECT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* Milliseconds left until deadline (monotonic ns); may be negative. */
static long ms_left(int64_t deadline)
{
	return (long)((deadline - now_mono_ns()) / 1000000);
}

static void sleep_ms(long ms)
{
	int64_t end = now_mono_ns() + (int64_t)ms * 1000000;
	for (;;) {
		int64_t left = end - now_mono_ns();
		if (left <= 0)
			return;
		struct timespec ts = {(time_t)(left / 1000000000), (long)(left % 1000000000)};
		nanosleep(&ts, NULL);
	}
}

/* Compresses in[0..len) as one gzip member (deflateInit2 windowBits 31); 0 or -1. */
static int gzip_body(const char *in, size_t len, struct strbuf *out)
{
	z_stream zs;
	memset(&zs, 0, sizeof(zs));
	if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
		return -1;
	strbuf_grow(out, deflateBound(&zs, len) + 64);
	size_t in_left = len;
	zs.next_in = (const Bytef *)in;
	int ret;
	do {
		if (!zs.avail_in && in_left) {
			zs.avail_in = in_left > UINT_MAX ? UINT_MAX : (uInt)in_left;
			in_left -= zs.avail_in;
		}
		if (out->alloc - out->len < 64)
			strbuf_grow(out, out->alloc);
		size_t room = out->alloc - out->len - 1;
		zs.next_out = (Bytef *)out->buf + out->len;
		zs.avail_out = room > UINT_MAX ? UINT_MAX : (uInt)room;
		uInt before = zs.avail_out;
		ret = deflate(&zs, in_left || zs.avail_in ? Z_NO_FLUSH : Z_FINISH);
		out->len += before - zs.avail_out;
	} while (ret == Z_OK || ret == Z_BUF_ERROR);
	deflateEnd(&zs);
	out->buf[out->len] = '\0';
	return ret == Z_STREAM_END ? 0 : -1;
}

/* The number of spans in an ExportTraceServiceRequest (for a cause). */
static size_t count_spans(const char *json, size_t len)
{
	json_error_t err;
	size_t n = 0, i, j;
	json_t *doc = json_loadb(json, len, 0, &err), *rs, *ss;
	json_array_foreach(json_object_get(doc, "resourceSpans"), i, rs)
	{
		json_array_foreach(json_object_get(rs, "scopeSpans"), j, ss)
		{
			n += json_array_size(json_object_get(ss, "spans"));
		}
	}
	json_decref(doc);
	return n;
}

/* The cause for a 2xx: NULL when the collector took every span. */
static char *accepted_cause(const struct http_ctx *h, const struct http_response *r,
                            const char *json, size_t len)
{
	long long rejected;
	char *msg;
	if (otlp_http_parse_partial(r->body.buf, r->body.len, &rejected, &msg) != 1)
		return NULL;
	char *cause = xasprintf("%s: collector rejected %lld of %zu spans%s%s", h->what, rejected,
	                        count_spans(json, len), msg ? ": " : "", msg ? msg : "");
	free(msg);
	return cause;
}

/* "HTTP 503 Service Unavailable: <message>" for a non-2xx answer. */
static char *status_problem(long status, const struct http_response *r)
{
	char *msg = otlp_http_error_message(r->body.buf, r->body.len);
	char *p = xasprintf("HTTP %ld%s%s%s%s", status, r->reason[0] ? " " : "", r->reason,
	                    msg ? ": " : "", msg ? msg : "");
	free(msg);
	return p;
}

/* The request's headers for curl; NULL when curl ran out of memory. */
static struct curl_slist *request_headers(const struct curl_dl *libcurl,
                                          const struct otlp_http_config *c)
{
	struct curl_slist *l = NULL, *t;
	/* "Expect:" turns off curl's 100-continue wait for bigger bodies. */
	const char *fixed[] = {"Content-Type: application/json",
	                       "Expect:", c->gzip ? "Content-Encoding: gzip" : NULL};
	for (size_t i = 0; i < ARRAY_SIZE(fixed); i++) {
		if (!fixed[i])
			continue;
		if (!(t = libcurl->slist_append(l, fixed[i])))
			goto oom;
		l = t;
	}
	for (size_t i = 0; i < c->nheaders; i++) {
		const char *line = c->headers[i];
		const char *colon = strchr(line, ':');
		size_t vn = strlen(colon + 1);
		trim(colon + 1, &vn);
		/* curl drops "Name:" (no value); "Name;" sends it empty. */
		char *h = vn ? xstrdup(line) : xasprintf("%.*s;", (int)(colon - line), line);
		t = libcurl->slist_append(l, h);
		free(h);
		if (!t)
			goto oom;
		l = t;
	}
	return l;
oom:
	libcurl->slist_free_all(l);
	return NULL;
}

static int http_deliver(void *ctx, const char *json, size_t len, char **cause)
{
	struct http_ctx *h = ctx;
	const int64_t deadline = now_mono_ns() + (int64_t)h->c.timeout_ms * 1000000;
	struct strbuf gz = STRBUF_INIT;
	struct http_response r = {STRBUF_INIT, "", "", 0};
	struct curl_slist *hdrs = NULL;
	CURL *cu = NULL;
	char errbuf[CURL_ERROR_SIZE];
	char *last = NULL; /* the last retryable failure */
	const char *why;
	long backoff = OTLP_HTTP_BACKOFF_FIRST_MS;
	int attempts = 0, rc = -1;

	const struct curl_dl *libcurl = curl_dl_load(&why);
	if (!libcurl) {
		*cause = xasprintf("%s: cannot load %s: %s", h->what, CURL_DL_LIBRARY, why);
		return -1;
	}
	const char *body = json;
	size_t body_len = len;
	if (h->c.gzip) {
		if (gzip_body(json, len, &gz) < 0) {
			*cause = xasprintf("%s: cannot gzip the request", h->what);
			goto out;
		}
		body = gz.buf;
		body_len = gz.len;
	}
	if (!(cu = libcurl->easy_init()) || !(hdrs = request_headers(libcurl, &h->c))) {
		*cause = xasprintf("%s: cannot set up libcurl (out of memory)", h->what);
		goto out;
	}
	/* Long options take a long, sizes a curl_off_t: the variadic setopt needs both exact. */
	CURLcode sc = CURLE_OK;
#define SETOPT(opt, val)                                                                           \
	do {                                                                                       \
		if (sc == CURLE_OK)                                                                \
			sc = libcurl->easy_setopt(cu, opt, val);                                   \
	} while (0)
	SETOPT(CURLOPT_URL, h->c.url);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_POST, 1L);
	SETOPT(CURLOPT_POSTFIELDS, body);
	SETOPT(CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body_len);
	SETOPT(CURLOPT_HTTPHEADER, hdrs);
	SETOPT(CURLOPT_USERAGENT, OTLP_HTTP_USER_AGENT);
	SETOPT(CURLOPT_WRITEFUNCTION, on_body);
	SETOPT(CURLOPT_WRITEDATA, &r);
	SETOPT(CURLOPT_HEADERFUNCTION, on_header);
	SETOPT(CURLOPT_HEADERDATA, &r);
	SETOPT(CURLOPT_ERRORBUFFER, errbuf);
	if (sc != CURLE_OK) {
		*cause = xasprintf("%s: %s", h->what, libcurl->easy_strerror(sc));
		goto out;
	}

	for (;;) {
		long left = ms_left(deadline), ra = -1;
		if (left <= 0) {
			*cause = attempts
			             ? xasprintf("%s: %s; no time left to retry within the %ld ms "
			                         "timeout (%d attempts)",
			                         h->what, last, h->c.timeout_ms, attempts)
			             : xasprintf("%s: no time to send within the %ld ms timeout",
			                         h->what, h->c.timeout_ms);
			goto out;
		}
		SETOPT(CURLOPT_TIMEOUT_MS, left);
		SETOPT(CURLOPT_CONNECTTIMEOUT_MS, left);
		response_reset(&r);
		errbuf[0] = '\0';
		attempts++;
		CURLcode cc = libcurl->easy_perform(cu);
		if (cc != CURLE_OK) {
			char *detail = errbuf[0] ? one_line(errbuf, strlen(errbuf), 300)
			                         : xstrdup(libcurl->easy_strerror(cc));
			free(last);
			last = detail;
			if (cc == CURLE_OPERATION_TIMEDOUT) {
				*cause = xasprintf("%s: no answer within the %ld ms timeout (%s; "
				                   "attempt %d)",
				                   h->what, h->c.timeout_ms, detail, attempts);
				goto out;
			}
			if (!retryable_curl(cc)) {
				*cause = xasprintf("%s: %s", h->what, detail);
				goto out;
			}
		} else {
			long status = 0;
			libcurl->easy_getinfo(cu, CURLINFO_RESPONSE_CODE, &status);
			if (status >= 200 && status < 300) {
				char *rejected = accepted_cause(h, &r, json, len);
				if (rejected)
					*cause = rejected;
				rc = rejected ? -1 : 0;
				goto out;
			}
			free(last);
			last = status_problem(status, &r);
			if (!retryable_status(status)) {
				*cause = xasprintf("%s: %s", h->what, last);
				goto out;
			}
			ra = r.has_retry_after ? otlp_http_retry_after_ms(r.retry_after, time(NULL))
			                       : -1;
		}
		/*
		 * Wait the backoff, or what the server asked when longer, but leave
		 * the next attempt OTLP_HTTP_MIN_ATTEMPT_MS: a backoff is cut to fit,
		 * a Retry-After is not (the server said not before then).
		 */
		long most = ms_left(deadline) - OTLP_HTTP_MIN_ATTEMPT_MS;
		long wait = ra > backoff ? ra : backoff;
		if (most < 0) {
			*cause = xasprintf("%s: %s; no time left to retry within the %ld ms "
			                   "timeout (%d attempt%s)",
			                   h->what, last, h->c.timeout_ms, attempts,
			                   attempts == 1 ? "" : "s");
			goto out;
		}
		if (ra > most) {
			*cause =
			    xasprintf("%s: %s; the server asks to retry after %ld s, past the %ld "
			              "ms timeout (%d attempt%s)",
			              h->what, last, ra / 1000, h->c.timeout_ms, attempts,
			              attempts == 1 ? "" : "s");
			goto out;
		}
		if (wait > most)
			wait = most;
		sleep_ms(wait);
		backoff =
		    backoff * 2 > OTLP_HTTP_BACKOFF_MAX_MS ? OTLP_HTTP_BACKOFF_MAX_MS : backoff * 2;
	}
#undef SETOPT
out:
	if (cu)
		libcurl->easy_cleanup(cu);
	if (hdrs)
		libcurl->slist_free_all(hdrs);
	strbuf_release(&r.body);
	strbuf_release(&gz);
	free(last);
	return rc;
}

static void http_free(void *ctx)
{
	struct http_ctx *h = ctx;
	if (!h)
		return;
	otlp_http_config_release(&h->c);
	free(h->what);
	free(h);
}

/* url as shown in messages: without user:password@, on one line. */
static char *url_shown(const char *url)
{
	const char *start = strstr(url, "://");
	start = start ? start + 3 : url;
	size_t auth_end = strcspn(start, "/?#");
	const char *at = memchr(start, '@', auth_end);
	char *joined = at ? xasprintf("%.*s%s", (int)(start - url), url, at + 1) : xstrdup(url);
	char *s = one_line(joined, strlen(joined), 300);
	free(joined);
	return s;
}

struct trace_exporter *trace_otlp_http_new(const struct otlp_http_config *c, char **cause)
{
	if (!c || !c->url || !is_http_url(c->url) || has_ctl(c->url, strlen(c->url))) {
		char *u = c && c->url ? url_shown(c->url) : xstrdup("(none)");
		*cause = xasprintf("OTLP export to %s: not an http:// or https:// URL", u);
		free(u);
		return NULL;
	}
	char *shown_url = url_shown(c->url);
	for (size_t i = 0; i < c->nheaders; i++) {
		if (!c->headers[i] || !header_line_ok(c->headers[i])) {
			*cause = xasprintf("OTLP export to %s: header %zu is not \"Name: value\"",
			                   shown_url, i + 1);
			free(shown_url);
			return NULL;
		}
	}
	if (c->timeout_ms < 0) {
		*cause = xasprintf("OTLP export to %s: negative timeout %ld ms", shown_url,
		                   c->timeout_ms);
		free(shown_url);
		return NULL;
	}

	struct http_ctx *h = xcalloc(1, sizeof(*h));
	h->c.url = xstrdup(c->url);
	h->c.timeout_ms = c->timeout_ms;
	h->c.gzip = c->gzip;
	h->c.nheaders = c->nheaders;
	h->c.headers = c->nheaders ? xcalloc(c->nheaders, sizeof(*h->c.headers)) : NULL;
	for (size_t i = 0; i < c->nheaders; i++)
		h->c.headers[i] = xstrdup(c->headers[i]);
	h->what = xasprintf("OTLP export to %s", shown_url);
	free(shown_url);
	return trace_otlp_new("otlp-http", h->what, http_deliver, http_free, h);
}
