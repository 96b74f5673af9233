/*
 * Unit tests of tracectx.c: the W3C Trace Context test suite's traceparent
 * and tracestate cases (w3c/trace-context test/test.py), with this module's
 * stricter rule that surrounding whitespace is invalid; format round trips
 * and getrandom ids.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "trace/tracectx.h"
#include "core/util.h"

#define TID "12345678901234567890123456789012"
#define PID "1234567890123456"

static void test_traceparent_valid(void **state)
{
	(void)state;
	struct {
		const char *in;
		const char *trace_id, *span_id;
		uint8_t flags;
	} ok[] = {
	    {"00-" TID "-" PID "-01", TID, PID, 0x01},
	    {"00-" TID "-" PID "-00", TID, PID, 0x00},
	    {"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03",
	     "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 0x03},
	    {"00-" TID "-" PID "-ff", TID, PID, 0xff},
	    /* future versions: parsed leniently */
	    {"01-" TID "-" PID "-01", TID, PID, 0x01},
	    {"cc-" TID "-" PID "-01", TID, PID, 0x01},
	    {"cc-" TID "-" PID "-01-what-the-future-will-be-like", TID, PID, 0x01},
	    {"01-" TID "-" PID "-09-", TID, PID, 0x09},
	    {"fe-" TID "-" PID "-01-x", TID, PID, 0x01},
	    /* one non-zero byte is enough */
	    {"00-00000000000000000000000000000001-0000000000000001-00",
	     "00000000000000000000000000000001", "0000000000000001", 0},
	};
	for (size_t i = 0; i < ARRAY_SIZE(ok); i++) {
		struct trace_ctx c;
		char *cause = NULL;
		char hex[33];
		if (tracectx_parse_traceparent(ok[i].in, &c, &cause) != 0)
			fail_msg("%s: %s", ok[i].in, cause);
		assert_null(cause);
		tracectx_hex(c.trace_id, 16, hex);
		assert_string_equal(hex, ok[i].trace_id);
		tracectx_hex(c.span_id, 8, hex);
		assert_string_equal(hex, ok[i].span_id);
		assert_int_equal(c.flags, ok[i].flags);
	}
}

static void test_traceparent_invalid(void **state)
{
	(void)state;
	struct {
		const char *in, *cause;
	} bad[] = {
	    /* version 00 with trailing data */
	    {"00-" TID "-" PID "-01.",
	     "version 00 must be exactly 55 characters, not 56 (trailing data)"},
	    {"00-" TID "-" PID "-01-what-the-future-will-be-like",
	     "version 00 must be exactly 55 characters, not 84 (trailing data)"},
	    /* a future version: what follows must start with '-' */
	    {"cc-" TID "-" PID "-01.what-the-future-will-be-like",
	     "want '-' between the trace-flags and the rest of a future version"},
	    {"ff-" TID "-" PID "-01", "version ff is invalid"},
	    {".0-" TID "-" PID "-01", "version is not 2 lowercase hex digits"},
	    {"0.-" TID "-" PID "-01", "version is not 2 lowercase hex digits"},
	    {"000-" TID "-" PID "-01", "want '-' after the 2-digit version"},
	    {"0000-" TID "-" PID "-01", "want '-' after the 2-digit version"},
	    {"0-" TID "-" PID "-01", "version is not 2 lowercase hex digits"},
	    {"00-00000000000000000000000000000000-" PID "-01", "trace-id is all zeros"},
	    {"00-.2345678901234567890123456789012-" PID "-01",
	     "trace-id is not 32 lowercase hex digits"},
	    {"00-1234567890123456789012345678901.-" PID "-01",
	     "trace-id is not 32 lowercase hex digits"},
	    {"00-123456789012345678901234567890123-" PID "-01",
	     "trace-id is not 32 lowercase hex digits"},
	    {"00-1234567890123456789012345678901-" PID "-01",
	     "trace-id is not 32 lowercase hex digits"},
	    {"00-" TID "-0000000000000000-01", "parent-id is all zeros"},
	    {"00-" TID "-.234567890123456-01", "parent-id is not 16 lowercase hex digits"},
	    {"00-" TID "-123456789012345.-01", "parent-id is not 16 lowercase hex digits"},
	    {"00-" TID "-12345678901234567-01", "parent-id is not 16 lowercase hex digits"},
	    {"00-" TID "-123456789012345-01", "parent-id is not 16 lowercase hex digits"},
	    {"00-" TID "-" PID "-.0", "trace-flags is not 2 lowercase hex digits"},
	    {"00-" TID "-" PID "-0.", "trace-flags is not 2 lowercase hex digits"},
	    {"00-" TID "-" PID "-001",
	     "version 00 must be exactly 55 characters, not 56 (trailing data)"},
	    {"00-" TID "-" PID "-1", "trace-flags is not 2 lowercase hex digits"},
	    /* uppercase hex */
	    {"0A-" TID "-" PID "-01", "version has uppercase hex digits"},
	    {"00-4BF92F3577B34DA6A3CE929D0E0E4736-" PID "-01", "trace-id has uppercase hex digits"},
	    {"00-" TID "-00F067AA0BA902B7-01", "parent-id has uppercase hex digits"},
	    {"00-" TID "-" PID "-0A", "trace-flags has uppercase hex digits"},
	    /* whitespace (HTTP strips OWS; an environment variable has none) */
	    {" 00-" TID "-" PID "-01", "has leading or trailing whitespace"},
	    {"\t00-" TID "-" PID "-01", "has leading or trailing whitespace"},
	    {"00-" TID "-" PID "-01 ", "has leading or trailing whitespace"},
	    {"00-" TID "-" PID "-01\t", "has leading or trailing whitespace"},
	    {"\t 00-" TID "-" PID "-01 \t", "has leading or trailing whitespace"},
	    {"00-" TID "-" PID "-01\n", "has leading or trailing whitespace"},
	    /* separators and lengths */
	    {"00_" TID "-" PID "-01", "want '-' after the 2-digit version"},
	    {"00-" TID "_" PID "-01", "trace-id is not 32 lowercase hex digits"},
	    {"00-" TID "-" PID "_01", "parent-id is not 16 lowercase hex digits"},
	    {"00-" TID "-" PID "-", "trace-flags is not 2 lowercase hex digits"},
	    {"00-" TID "-" PID, "parent-id is not 16 lowercase hex digits"},
	    {"00-" TID, "trace-id is not 32 lowercase hex digits"},
	    {"00", "want '-' after the 2-digit version"},
	    {"0", "version is not 2 lowercase hex digits"},
	    {"", "is empty"},
	    {"01-" TID "-" PID "-0", "trace-flags is not 2 lowercase hex digits"},
	    {"cc-00000000000000000000000000000000-" PID "-01", "trace-id is all zeros"},
	    {"cc-" TID "-0000000000000000-01-x", "parent-id is all zeros"},
	    {"00-" TID "-" PID "-0g", "trace-flags is not 2 lowercase hex digits"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct trace_ctx c;
		char *cause = NULL;
		if (tracectx_parse_traceparent(bad[i].in, &c, &cause) != -1)
			fail_msg("accepted %s", bad[i].in);
		assert_non_null(cause);
		char *want = xasprintf(": %s", bad[i].cause);
		if (!starts_with(cause, "TRACEPARENT \"") || !ends_with(cause, want))
			fail_msg("%s: cause %s, want ...%s", bad[i].in, cause, want);
		assert_null(strchr(cause, '\n'));
		free(want);
		free(cause);
	}
}

static void test_traceparent_cause(void **state)
{
	(void)state;
	struct trace_ctx c;
	char *cause = NULL;

	assert_int_equal(tracectx_parse_traceparent(
	                     "00-00000000000000000000000000000000-" PID "-01", &c, &cause),
	                 -1);
	assert_string_equal(cause, "TRACEPARENT \"00-00000000000000000000000000000000-" PID
	                           "-01\": trace-id is all zeros");
	free(cause);

	/* escaped, cut at 80 bytes */
	char long_in[200];
	memset(long_in, 'x', sizeof(long_in) - 1);
	long_in[sizeof(long_in) - 1] = '\0';
	long_in[0] = '\t';
	long_in[1] = '"';
	long_in[2] = '\x01';
	long_in[3] = '\xff';
	cause = NULL;
	assert_int_equal(tracectx_parse_traceparent(long_in, &c, &cause), -1);
	struct strbuf want = STRBUF_INIT;
	strbuf_addstr(&want, "TRACEPARENT \"\\t\\\"\\x01\\xff");
	for (int i = 4; i < 80; i++)
		strbuf_addch(&want, 'x');
	strbuf_addstr(&want, "\"...: has leading or trailing whitespace");
	assert_string_equal(cause, want.buf);
	assert_null(strchr(cause, '\n'));
	strbuf_release(&want);
	free(cause);
}

static void test_format_round_trip(void **state)
{
	(void)state;
	const char *in[] = {
	    "00-" TID "-" PID "-01",
	    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
	    "00-ffffffffffffffffffffffffffffffff-ffffffffffffffff-ff",
	    "00-0000000000000000000000000000000a-a000000000000000-02",
	};
	for (size_t i = 0; i < ARRAY_SIZE(in); i++) {
		struct trace_ctx c;
		char *cause = NULL;
		char buf[TRACEPARENT_LEN + 1];
		assert_int_equal(tracectx_parse_traceparent(in[i], &c, &cause), 0);
		memset(buf, '#', sizeof(buf));
		tracectx_format_traceparent(&c, buf);
		assert_int_equal(strlen(buf), TRACEPARENT_LEN);
		assert_string_equal(buf, in[i]);
	}

	/* a future version comes back as version 00 with the first 55 characters */
	struct trace_ctx c;
	char *cause = NULL;
	char buf[TRACEPARENT_LEN + 1];
	assert_int_equal(tracectx_parse_traceparent(
	                     "cc-" TID "-" PID "-01-what-the-future-will-be-like", &c, &cause),
	                 0);
	tracectx_format_traceparent(&c, buf);
	assert_string_equal(buf, "00-" TID "-" PID "-01");

	/* generated ids format and parse back */
	for (int i = 0; i < 100; i++) {
		struct trace_ctx g, back;
		assert_int_equal(tracectx_new_trace_id(g.trace_id), 0);
		assert_int_equal(tracectx_new_span_id(g.span_id), 0);
		g.flags = (uint8_t)i;
		tracectx_format_traceparent(&g, buf);
		assert_int_equal(tracectx_parse_traceparent(buf, &back, &cause), 0);
		assert_memory_equal(&g, &back, sizeof(g));
	}
}

static void test_hex(void **state)
{
	(void)state;
	const uint8_t b[] = {0x00, 0x01, 0xab, 0xff, 0x7f};
	char out[2 * sizeof(b) + 1];
	tracectx_hex(b, sizeof(b), out);
	assert_string_equal(out, "0001abff7f");
	tracectx_hex(b, 0, out);
	assert_string_equal(out, "");
}

static int cmp_span(const void *a, const void *b)
{
	return memcmp(a, b, 8);
}

static void test_random_ids(void **state)
{
	(void)state;
	enum { N = 10000 };
	uint8_t(*spans)[8] = xmalloc(N * sizeof(*spans));
	static const uint8_t zero[16];

	for (int i = 0; i < N; i++) {
		assert_int_equal(tracectx_new_span_id(spans[i]), 0);
		assert_memory_not_equal(spans[i], zero, 8);
	}
	qsort(spans, N, sizeof(*spans), cmp_span);
	for (int i = 1; i < N; i++)
		assert_memory_not_equal(spans[i - 1], spans[i], 8);
	free(spans);

	uint8_t(*traces)[16] = xmalloc(N * sizeof(*traces));
	for (int i = 0; i < N; i++) {
		assert_int_equal(tracectx_new_trace_id(traces[i]), 0);
		assert_memory_not_equal(traces[i], zero, 16);
		if (i)
			assert_memory_not_equal(traces[i - 1], traces[i], 16);
	}
	free(traces);
}

static void test_child(void **state)
{
	(void)state;
	struct trace_ctx parent, child, grandchild;
	char *cause = NULL;

	assert_int_equal(tracectx_parse_traceparent("00-" TID "-" PID "-01", &parent, &cause), 0);
	assert_int_equal(tracectx_child(&parent, &child), 0);
	assert_memory_equal(child.trace_id, parent.trace_id, 16);
	assert_int_equal(child.flags, parent.flags);
	assert_memory_not_equal(child.span_id, parent.span_id, 8);

	assert_int_equal(tracectx_child(&child, &grandchild), 0);
	assert_memory_equal(grandchild.trace_id, parent.trace_id, 16);
	assert_memory_not_equal(grandchild.span_id, child.span_id, 8);

	/* in place */
	struct trace_ctx same = child;
	assert_int_equal(tracectx_child(&same, &same), 0);
	assert_memory_equal(same.trace_id, child.trace_id, 16);
	assert_memory_not_equal(same.span_id, child.span_id, 8);
}

/* ---- tracestate ---- */

static char *repeat(char c, size_t n)
{
	char *s = xmalloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void check_ts_ok(const char *in, const char *want)
{
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	if (tracectx_parse_tracestate(in, &sb, &cause) != 0)
		fail_msg("%s: %s", in, cause);
	assert_null(cause);
	assert_string_equal(sb.buf, want);
	strbuf_release(&sb);
}

static void check_ts_bad(const char *in, const char *reason)
{
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	strbuf_addstr(&sb, "stale");
	if (tracectx_parse_tracestate(in, &sb, &cause) != -1)
		fail_msg("accepted %s", in);
	assert_int_equal(sb.len, 0);
	assert_string_equal(sb.buf, "");
	assert_non_null(cause);
	if (!starts_with(cause, "TRACESTATE \"") || !strstr(cause, reason))
		fail_msg("%s: cause %s, want %s", in, cause, reason);
	assert_null(strchr(cause, '\n'));
	free(cause);
	strbuf_release(&sb);
}

static void test_tracestate_valid(void **state)
{
	(void)state;
	check_ts_ok("foo=1", "foo=1");
	check_ts_ok("foo=1,bar=2", "foo=1,bar=2");
	check_ts_ok("rojo=00f067aa0ba902b7,congo=t61rcWkgMzE",
	            "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
	/* empty tracestate and empty members */
	check_ts_ok("", "");
	check_ts_ok(" , \t,", "");
	check_ts_ok("foo=1,,bar=2", "foo=1,bar=2");
	check_ts_ok(",foo=1,", "foo=1");
	check_ts_ok("foo=1, ,\t,bar=2", "foo=1,bar=2");
	/* OWS around members */
	check_ts_ok("foo=1 \t , \t bar=2, \t baz=3", "foo=1,bar=2,baz=3");
	check_ts_ok("foo=1\t \t,\t \tbar=2,\t \tbaz=3", "foo=1,bar=2,baz=3");
	check_ts_ok(" foo=1", "foo=1");
	check_ts_ok("\tfoo=1", "foo=1");
	check_ts_ok("foo=1 ", "foo=1");
	check_ts_ok("foo=1\t", "foo=1");
	check_ts_ok("\t foo=1 \t", "foo=1");
	/* a value may start with and contain spaces */
	check_ts_ok("foo= 1", "foo= 1");
	check_ts_ok("foo=a b", "foo=a b");
	/* multi-tenant keys */
	check_ts_ok("tenant@system=1", "tenant@system=1");
	check_ts_ok("0tenant@sys=1", "0tenant@sys=1");
	check_ts_ok("fw529a3039@dt=d7b4,foo=1", "fw529a3039@dt=d7b4,foo=1");
	/* the same simple key under a system is a different key */
	check_ts_ok("foo=1,t@foo=2", "foo=1,t@foo=2");

	/* all allowed characters */
	const char *key = "abcdefghijklmnopqrstuvwxyz0123456789_-*/";
	struct strbuf value = STRBUF_INIT, in = STRBUF_INIT;
	for (int c = 0x20; c <= 0x7e; c++)
		if (c != ',' && c != '=')
			strbuf_addch(&value, c);
	strbuf_addf(&in, "%s=%s", key, value.buf);
	check_ts_ok(in.buf, in.buf);
	strbuf_reset(&in);
	strbuf_addf(&in, "%s@a-z0-9_-*/=%s", key, value.buf);
	check_ts_ok(in.buf, in.buf);

	/* 32 members */
	strbuf_reset(&in);
	for (int i = 1; i <= 32; i++)
		strbuf_addf(&in, "%sbar%02d=%02d", i > 1 ? "," : "", i, i);
	check_ts_ok(in.buf, in.buf);

	/* key length limits: 256; tenant 241 and system 14 */
	char *z = repeat('z', 256), *t = repeat('t', 241), *v = repeat('v', 14);
	strbuf_reset(&in);
	strbuf_addf(&in, "foo=1,%s=1", z);
	check_ts_ok(in.buf, in.buf);
	strbuf_reset(&in);
	strbuf_addf(&in, "foo=1,%s@%s=1", t, v);
	check_ts_ok(in.buf, in.buf);
	free(z);
	free(t);
	free(v);

	/* value length limit: 256 */
	char *val = repeat('x', 256);
	strbuf_reset(&in);
	strbuf_addf(&in, "foo=%s", val);
	check_ts_ok(in.buf, in.buf);
	free(val);

	strbuf_release(&value);
	strbuf_release(&in);
}

static void test_tracestate_invalid(void **state)
{
	(void)state;
	/* duplicate keys */
	check_ts_bad("foo=1,foo=1", "duplicate key (list members 1 and 2)");
	check_ts_bad("foo=1,foo=2", "duplicate key");
	check_ts_bad("a@b=1,c=2,a@b=3", "duplicate key (list members 1 and 3)");
	/* key characters */
	check_ts_bad("foo =1", "key has a character other than");
	check_ts_bad("FOO=1", "key does not start with a lowercase letter");
	check_ts_bad("fOo=1", "key has a character other than");
	check_ts_bad("foo.bar=1", "key has a character other than");
	check_ts_bad("1foo=1", "key does not start with a lowercase letter");
	check_ts_bad("=1", "empty key");
	check_ts_bad("foo", "list member 1 has no '='");
	check_ts_bad("foo=1,bar", "list member 2 has no '='");
	/* multi-tenant format */
	check_ts_bad("foo@=1,bar=2", "empty system id");
	check_ts_bad("@foo=1,bar=2", "empty tenant id");
	check_ts_bad("foo@@bar=1,bar=2", "more than one '@'");
	check_ts_bad("foo@bar@baz=1,bar=2", "more than one '@'");
	check_ts_bad("foo@1bar=1", "system id does not start with a lowercase letter");
	check_ts_bad("_foo@bar=1", "tenant id does not start");
	check_ts_bad("foo@b.r=1", "key has a character other than");
	/* values */
	check_ts_bad("foo=bar=baz", "'=' in value");
	check_ts_bad("foo=,bar=3", "empty value (list member 1)");
	check_ts_bad("foo=1\t2", "value has a character other than printable ASCII");
	check_ts_bad("foo=\x7f", "value has a character other than printable ASCII");
	check_ts_bad("foo=caf\xc3\xa9", "value has a character other than printable ASCII");
	check_ts_bad("foo=1\n", "value has a character other than printable ASCII");
	/* one bad member drops the whole list */
	check_ts_bad("foo=1,bar=2,BAZ=3", "(list member 3)");

	struct strbuf in = STRBUF_INIT;
	/* 33 members */
	for (int i = 1; i <= 33; i++)
		strbuf_addf(&in, "%sbar%02d=%02d", i > 1 ? "," : "", i, i);
	check_ts_bad(in.buf, "more than 32 list members");
	/* 32 members plus empty ones are fine */
	strbuf_reset(&in);
	for (int i = 1; i <= 32; i++)
		strbuf_addf(&in, "bar%02d=%02d,,", i, i);
	struct strbuf sb = STRBUF_INIT;
	char *cause = NULL;
	assert_int_equal(tracectx_parse_tracestate(in.buf, &sb, &cause), 0);
	strbuf_release(&sb);

	/* key lengths */
	char *z = repeat('z', 257), *t = repeat('t', 242), *v = repeat('v', 15);
	strbuf_reset(&in);
	strbuf_addf(&in, "foo=1,%s=1", z);
	check_ts_bad(in.buf, "key longer than 256 characters");
	strbuf_reset(&in);
	strbuf_addf(&in, "foo=1,%s@v=1", t);
	check_ts_bad(in.buf, "tenant id longer than 241 characters");
	strbuf_reset(&in);
	strbuf_addf(&in, "foo=1,t@%s=1", v);
	check_ts_bad(in.buf, "system id longer than 14 characters");
	free(z);
	free(t);
	free(v);

	/* value length */
	char *val = repeat('x', 257);
	strbuf_reset(&in);
	strbuf_addf(&in, "foo=%s", val);
	check_ts_bad(in.buf, "value longer than 256 characters");
	/* and the cause quotes at most 80 bytes of it */
	cause = NULL;
	assert_int_equal(tracectx_parse_tracestate(in.buf, &sb, &cause), -1);
	assert_true(strlen(cause) < 200);
	assert_non_null(strstr(cause, "\"...: value longer"));
	free(cause);
	free(val);
	strbuf_release(&in);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_traceparent_valid),
	    cmocka_unit_test(test_traceparent_invalid),
	    cmocka_unit_test(test_traceparent_cause),
	    cmocka_unit_test(test_format_round_trip),
	    cmocka_unit_test(test_hex),
	    cmocka_unit_test(test_random_ids),
	    cmocka_unit_test(test_child),
	    cmocka_unit_test(test_tracestate_valid),
	    cmocka_unit_test(test_tracestate_invalid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
