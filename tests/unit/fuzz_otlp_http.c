/*
 * libFuzzer target: the pure parsers of the OTLP/HTTP exporter
 * (trace_otlp_http.h) on arbitrary bytes: a 2xx response body
 * (partialSuccess), a failed response's message, a Retry-After value and
 * an OTEL_EXPORTER_OTLP_HEADERS value. Whatever the input, what comes
 * back must be safe to put in a cause or on the wire: one line, bounded,
 * header lines "Token: value" without control characters.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/trace_otlp_http.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A message for a cause: at most the cap plus "...", no control characters. */
static void check_message(const char *m)
{
	if (strlen(m) > OTLP_HTTP_MESSAGE_MAX + 3 || !*m)
		abort();
	for (const char *p = m; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
}

static int is_tchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c && strchr("!#$%&'*+-.^_`|~", c));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	long long rejected = -1;
	char *msg = (char *)1;
	int rc = otlp_http_parse_partial((const char *)data, size, &rejected, &msg);
	if (rc == 0 && (rejected != 0 || msg))
		abort();
	if (rc == 1 && (rejected < 0 || (!msg && rejected == 0)))
		abort();
	if (rc != 0 && rc != 1)
		abort();
	if (msg)
		check_message(msg);
	free(msg);

	msg = otlp_http_error_message((const char *)data, size);
	if (msg)
		check_message(msg);
	free(msg);

	long ms = otlp_http_retry_after_ms(s, 784111777);
	if (ms < -1 || ms > OTLP_HTTP_RETRY_AFTER_MAX_S * 1000)
		abort();

	char **h = NULL;
	size_t n = 0;
	struct strbuf w = STRBUF_INIT;
	int skipped = otlp_http_parse_headers("H", s, &h, &n, &w);
	size_t lines = 0;
	for (const char *p = w.buf; *p; p++)
		lines += *p == '\n';
	if (skipped < 0 || (size_t)skipped != lines || (w.len && w.buf[w.len - 1] != '\n'))
		abort();
	for (size_t i = 0; i < n; i++) {
		const char *p = h[i];
		while (is_tchar((unsigned char)*p))
			p++;
		if (p == h[i] || p[0] != ':' || p[1] != ' ')
			abort();
		for (p += 2; *p; p++)
			if (((unsigned char)*p < 0x20 && *p != '\t') || *p == 0x7f)
				abort();
		free(h[i]);
	}
	free(h);
	strbuf_release(&w);
	free(s);
	return 0;
}
