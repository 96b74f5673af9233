/*
 * libFuzzer target: tracectx_parse_traceparent() and tracectx_parse_tracestate()
 * on arbitrary bytes (a NUL-terminated copy). An accepted version-00
 * traceparent must format back to itself; an accepted tracestate must be
 * accepted again, unchanged, in its normalized form.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "trace/tracectx.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xmalloc(size + 1);
	struct trace_ctx c;
	struct strbuf ts = STRBUF_INIT, again = STRBUF_INIT;
	char *cause = NULL;

	memcpy(s, data, size);
	s[size] = '\0';

	if (tracectx_parse_traceparent(s, &c, &cause) == 0) {
		char buf[TRACEPARENT_LEN + 1];
		if (cause)
			abort();
		tracectx_format_traceparent(&c, buf);
		if (strlen(s) < TRACEPARENT_LEN || memcmp(buf + 2, s + 2, TRACEPARENT_LEN - 2))
			abort();
		if (s[0] == '0' && s[1] == '0' && strcmp(buf, s))
			abort();
	} else if (!cause || strchr(cause, '\n')) {
		abort();
	}
	free(cause);
	cause = NULL;

	if (tracectx_parse_tracestate(s, &ts, &cause) == 0) {
		if (tracectx_parse_tracestate(ts.buf, &again, &cause) != 0 ||
		    strcmp(ts.buf, again.buf))
			abort();
	} else if (!cause || strchr(cause, '\n') || ts.len) {
		abort();
	}
	free(cause);
	strbuf_release(&ts);
	strbuf_release(&again);
	free(s);
	return 0;
}
