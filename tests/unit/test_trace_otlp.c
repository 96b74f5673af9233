/*
 * test_trace_otlp.c - src/trace/trace_otlp.c: synthetic spans (a root, children,
 * a failed span, every attribute type, a resource) written as OTLP/JSON,
 * parsed back with jansson and checked field by field and type by type;
 * two exporters appending to one file; bad paths; invalid UTF-8.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "trace/trace.h"
#include "core/util.h"

#define MS 1000000LL /* nanoseconds */

/* A fresh temporary directory (malloc'd path). */
static char *make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *templ = xasprintf("%s/golive-totlp-XXXXXX", base && *base ? base : "/tmp");
	assert_non_null(mkdtemp(templ));
	return templ;
}

/* Removes dir/name (when present) and then dir. */
static void remove_dir(const char *dir, const char *const *names, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char *p = xasprintf("%s/%s", dir, names[i]);
		unlink(p);
		free(p);
	}
	assert_int_equal(rmdir(dir), 0);
}

static void set_id(uint8_t *id, size_t len, unsigned n)
{
	memset(id, 0, len);
	for (int i = 0; i < 4; i++)
		id[len - 1 - (size_t)i] = (uint8_t)(n >> (8 * i));
}

static char *hex_of(const uint8_t *id, size_t n)
{
	struct strbuf sb = STRBUF_INIT;
	for (size_t i = 0; i < n; i++)
		strbuf_addf(&sb, "%02x", id[i]);
	return strbuf_detach(&sb, NULL);
}

static char *ns_str(int64_t ns)
{
	return xasprintf("%" PRId64, ns);
}

/* Lowercase hex of exactly n characters. */
static int is_lower_hex(const char *s, size_t n)
{
	if (!s || strlen(s) != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	return 1;
}

/* The lines of path, each parsed as JSON (caller decrefs each, frees the array). */
static json_t **read_lines(const char *path, size_t *nlines)
{
	struct strbuf sb = STRBUF_INIT;
	assert_int_equal(strbuf_read_file(&sb, path, 1 << 20), 0);
	assert_true(sb.len > 0);
	assert_int_equal(sb.buf[sb.len - 1], '\n');
	json_t **docs = NULL;
	size_t n = 0;
	char *p = sb.buf;
	while (*p) {
		char *nl = strchr(p, '\n');
		assert_non_null(nl);
		json_error_t err;
		json_t *doc = json_loadb(p, (size_t)(nl - p), JSON_REJECT_DUPLICATES, &err);
		if (!doc)
			fail_msg("line %zu: %s", n + 1, err.text);
		docs = xrealloc(docs, (n + 1) * sizeof(*docs));
		docs[n++] = doc;
		p = nl + 1;
	}
	strbuf_release(&sb);
	*nlines = n;
	return docs;
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
	assert_true(json_is_string(v));
	return json_string_value(v);
}

/* The only element of a one-element array. */
static json_t *only(json_t *arr)
{
	assert_true(json_is_array(arr));
	assert_int_equal(json_array_size(arr), 1);
	return json_array_get(arr, 0);
}

/* The spans array of a document with one resource and one scope; *resource is set. */
static json_t *spans_of(json_t *doc, json_t **resource)
{
	assert_int_equal(json_object_size(doc), 1);
	json_t *rs = only(get(doc, "resourceSpans"));
	if (resource)
		*resource = get(rs, "resource");
	json_t *ss = only(get(rs, "scopeSpans"));
	json_t *scope = get(ss, "scope");
	assert_string_equal(str_of(scope, "name"), "golive");
	assert_true(json_is_string(get(scope, "version")));
	assert_true(strlen(str_of(scope, "version")) > 0);
	json_t *spans = get(ss, "spans");
	assert_true(json_is_array(spans));
	return spans;
}

/* The AnyValue of key in a KeyValue list, checking each entry's shape. */
static json_t *attr_value(json_t *kvs, const char *key)
{
	size_t i;
	json_t *kv;
	json_t *found = NULL;
	assert_true(json_is_array(kvs));
	json_array_foreach(kvs, i, kv)
	{
		assert_int_equal(json_object_size(kv), 2);
		json_t *v = get(kv, "value");
		assert_true(json_is_object(v));
		assert_int_equal(json_object_size(v), 1);
		if (strcmp(str_of(kv, "key"), key) == 0)
			found = v;
	}
	if (!found)
		fail_msg("no attribute %s", key);
	return found;
}

/* Checks every field of one written span against the span that went in. */
static void check_span(json_t *j, const struct span *s)
{
	char *tid = hex_of(s->trace_id, 16);
	char *sid = hex_of(s->span_id, 8);
	char *pid = hex_of(s->parent_id, 8);
	static const uint8_t zero[8];

	assert_true(is_lower_hex(str_of(j, "traceId"), 32));
	assert_string_equal(str_of(j, "traceId"), tid);
	assert_true(is_lower_hex(str_of(j, "spanId"), 16));
	assert_string_equal(str_of(j, "spanId"), sid);
	if (memcmp(s->parent_id, zero, 8) == 0) {
		assert_null(json_object_get(j, "parentSpanId"));
	} else {
		assert_true(is_lower_hex(str_of(j, "parentSpanId"), 16));
		assert_string_equal(str_of(j, "parentSpanId"), pid);
	}
	assert_string_equal(str_of(j, "name"), s->name);
	assert_true(json_is_integer(get(j, "kind")));
	assert_int_equal(json_integer_value(get(j, "kind")), 1);

	char *start = ns_str(s->start_ns), *end = ns_str(s->end_ns);
	assert_string_equal(str_of(j, "startTimeUnixNano"), start);
	assert_string_equal(str_of(j, "endTimeUnixNano"), end);
	free(start);
	free(end);

	json_t *attrs = get(j, "attributes");
	assert_true(json_is_array(attrs));
	assert_int_equal(json_array_size(attrs), s->nattrs);

	json_t *status = get(j, "status");
	assert_true(json_is_object(status));
	if (s->error) {
		assert_true(json_is_integer(get(status, "code")));
		assert_int_equal(json_integer_value(get(status, "code")), 2);
		assert_string_equal(str_of(status, "message"), s->status_message);
		assert_int_equal(json_object_size(status), 2);
	} else {
		assert_int_equal(json_object_size(status), 0);
	}
	free(tid);
	free(sid);
	free(pid);
}

/* ---- synthetic spans ------------------------------------------------------ */

static void test_synthetic(void **state)
{
	(void)state;
	const int64_t base = 1700000000LL * 1000000000LL + 123456789;
	struct trace_attr compile_attrs[] = {
	    {"golive.importpath", TRACE_ATTR_STRING, {.s = "example.com/app"}},
	    {"golive.files", TRACE_ATTR_INT, {.i = 9007199254740993LL}}, /* 2^53 + 1 */
	    {"golive.cpu_ratio", TRACE_ATTR_DOUBLE, {.d = 1.5}},
	    {"golive.cached", TRACE_ATTR_BOOL, {.b = 1}},
	    {"golive.negative", TRACE_ATTR_INT, {.i = -42}},
	    {"golive.stale", TRACE_ATTR_BOOL, {.b = 0}},
	};
	struct trace_attr link_attrs[] = {
	    {"process.exit.code", TRACE_ATTR_INT, {.i = 1}},
	};
	struct span spans[] = {
	    {.name = "build", .start_ns = base, .end_ns = base + 10 * MS},
	    {.name = "compile", .start_ns = base + 1 * MS, .end_ns = base + 4 * MS},
	    {.name = "vet", .start_ns = base + 2 * MS, .end_ns = base + 5 * MS},
	    {.name = "link", .start_ns = base + 5 * MS, .end_ns = base + 9 * MS},
	};
	size_t n = ARRAY_SIZE(spans);
	for (size_t i = 0; i < n; i++) {
		/* High bytes with letters, so that lowercase hex is visible. */
		set_id(spans[i].trace_id, 16, 0xabcdef01u);
		spans[i].trace_id[0] = 0xfe;
		set_id(spans[i].span_id, 8, 0xc0ffee00u + (unsigned)i);
		spans[i].span_id[0] = 0xd1;
		if (i > 0)
			memcpy(spans[i].parent_id, spans[0].span_id, 8);
	}
	spans[1].attrs = compile_attrs;
	spans[1].nattrs = ARRAY_SIZE(compile_attrs);
	spans[3].error = 1;
	spans[3].status_message = "exit status 1";
	spans[3].attrs = link_attrs;
	spans[3].nattrs = ARRAY_SIZE(link_attrs);

	char *dir = make_tmpdir();
	char *path = xasprintf("%s/traces.jsonl", dir);
	char *cause = NULL;
	struct trace_exporter *e = trace_otlp_file_new(path, &cause);
	assert_non_null(e);
	assert_null(cause);
	assert_string_equal(e->name, "otlp-file");

	struct trace_attr res_attrs[] = {
	    {"service.name", TRACE_ATTR_STRING, {.s = "golive build"}},
	    {"process.pid", TRACE_ATTR_INT, {.i = 4242}},
	};
	struct trace_resource res = {res_attrs, ARRAY_SIZE(res_attrs)};
	assert_int_equal(e->begin(e, &res, &cause), 0);

	/* Out of order, and from copies that are scribbled over afterwards. */
	static const size_t feed[] = {2, 0, 3, 1};
	for (size_t f = 0; f < ARRAY_SIZE(feed); f++) {
		struct span copy = spans[feed[f]];
		char *name = xstrdup(copy.name);
		copy.name = name;
		assert_int_equal(e->span(e, &copy, &cause), 0);
		memset(name, 'x', strlen(name));
		free(name);
	}
	assert_int_equal(access(path, F_OK), -1); /* nothing written before end() */
	assert_int_equal(e->end(e, &cause), 0);
	assert_null(cause);

	/* end() twice: an error with a cause, not a crash; span() after end too. */
	assert_int_equal(e->end(e, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, path));
	free(cause);
	cause = NULL;
	assert_int_equal(e->span(e, &spans[0], &cause), -1);
	assert_non_null(cause);
	free(cause);
	cause = NULL;
	e->free(e);

	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	mode_t mask = umask(022);
	umask(mask);
	assert_int_equal(st.st_mode & 0777, 0644 & ~mask);

	size_t nlines;
	json_t **docs = read_lines(path, &nlines);
	assert_int_equal(nlines, 1);
	json_t *resource;
	json_t *out = spans_of(docs[0], &resource);

	/* The resource's attributes, typed. */
	json_t *rattrs = get(resource, "attributes");
	assert_int_equal(json_array_size(rattrs), 2);
	assert_string_equal(str_of(attr_value(rattrs, "service.name"), "stringValue"),
	                    "golive build");
	assert_string_equal(str_of(attr_value(rattrs, "process.pid"), "intValue"), "4242");

	/* Arrival order, every field. */
	assert_int_equal(json_array_size(out), ARRAY_SIZE(feed));
	for (size_t f = 0; f < ARRAY_SIZE(feed); f++)
		check_span(json_array_get(out, f), &spans[feed[f]]);

	/* The literal ids: lowercase, not base64. */
	json_t *root = json_array_get(out, 1);
	assert_string_equal(str_of(root, "traceId"), "fe0000000000000000000000abcdef01");
	assert_string_equal(str_of(root, "spanId"), "d1000000c0ffee00");
	assert_string_equal(str_of(root, "startTimeUnixNano"), "1700000000123456789");
	assert_string_equal(str_of(json_array_get(out, 0), "parentSpanId"), "d1000000c0ffee00");

	/* compile: all four attribute types, in their OTLP/JSON spellings. */
	json_t *attrs = get(json_array_get(out, 3), "attributes");
	assert_string_equal(str_of(attr_value(attrs, "golive.importpath"), "stringValue"),
	                    "example.com/app");
	assert_true(json_is_string(get(attr_value(attrs, "golive.files"), "intValue")));
	assert_string_equal(str_of(attr_value(attrs, "golive.files"), "intValue"),
	                    "9007199254740993");
	assert_string_equal(str_of(attr_value(attrs, "golive.negative"), "intValue"), "-42");
	json_t *d = get(attr_value(attrs, "golive.cpu_ratio"), "doubleValue");
	assert_true(json_is_number(d));
	assert_true(json_number_value(d) == 1.5);
	assert_true(json_is_true(get(attr_value(attrs, "golive.cached"), "boolValue")));
	assert_true(json_is_false(get(attr_value(attrs, "golive.stale"), "boolValue")));
	/* Attributes keep their order. */
	assert_string_equal(str_of(json_array_get(attrs, 0), "key"), "golive.importpath");
	assert_string_equal(str_of(json_array_get(attrs, 5), "key"), "golive.stale");

	/* link failed: status code 2 with its message. */
	json_t *link = json_array_get(out, 2);
	assert_string_equal(str_of(link, "name"), "link");
	assert_string_equal(str_of(get(link, "status"), "message"), "exit status 1");
	assert_string_equal(
	    str_of(attr_value(get(link, "attributes"), "process.exit.code"), "intValue"), "1");

	/* The documented key order of a span (JSON_PRESERVE_ORDER). */
	static const char *const order[] = {
	    "traceId",           "spanId",          "parentSpanId", "name",  "kind",
	    "startTimeUnixNano", "endTimeUnixNano", "attributes",   "status"};
	const char *key;
	json_t *v;
	size_t k = 0;
	json_object_foreach(link, key, v)
	{
		assert_true(k < ARRAY_SIZE(order));
		assert_string_equal(key, order[k++]);
	}
	assert_int_equal(k, ARRAY_SIZE(order));

	json_decref(docs[0]);
	free(docs);
	static const char *const files[] = {"traces.jsonl"};
	remove_dir(dir, files, ARRAY_SIZE(files));
	free(path);
	free(dir);
}

/* ---- appending ------------------------------------------------------------ */

/* Two exporters ending into one file: two lines, each a valid request. */
static void test_two_writers(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *path = xasprintf("%s/traces.jsonl", dir);
	char *cause = NULL;
	struct trace_exporter *a = trace_otlp_file_new(path, &cause);
	struct trace_exporter *b = trace_otlp_file_new(path, &cause);
	assert_non_null(a);
	assert_non_null(b);
	struct span sa = {.name = "build-a", .start_ns = 10, .end_ns = 20};
	struct span sb = {.name = "build-b", .start_ns = 30, .end_ns = 25}; /* ends early */
	sa.span_id[7] = 1;
	sb.span_id[7] = 2;
	assert_int_equal(a->begin(a, NULL, &cause), 0);
	assert_int_equal(b->begin(b, NULL, &cause), 0);
	assert_int_equal(a->span(a, &sa, &cause), 0);
	assert_int_equal(b->span(b, &sb, &cause), 0);
	assert_int_equal(b->end(b, &cause), 0);
	assert_int_equal(a->end(a, &cause), 0);
	assert_null(cause);
	a->free(a);
	b->free(b);

	/* A third with no spans at all still writes a valid (empty) request. */
	struct trace_exporter *c = trace_otlp_file_new(path, &cause);
	assert_non_null(c);
	assert_int_equal(c->end(c, &cause), 0);
	c->free(c);

	size_t nlines;
	json_t **docs = read_lines(path, &nlines);
	assert_int_equal(nlines, 3);
	json_t *resource;
	json_t *s0 = only(spans_of(docs[0], &resource));
	assert_int_equal(json_array_size(get(resource, "attributes")), 0);
	assert_string_equal(str_of(s0, "name"), "build-b");
	assert_string_equal(str_of(s0, "startTimeUnixNano"), "30");
	assert_string_equal(str_of(s0, "endTimeUnixNano"), "30"); /* never before the start */
	assert_null(json_object_get(s0, "parentSpanId"));
	json_t *s1 = only(spans_of(docs[1], NULL));
	assert_string_equal(str_of(s1, "name"), "build-a");
	assert_string_equal(str_of(s1, "spanId"), "0000000000000001");
	assert_int_equal(json_array_size(spans_of(docs[2], NULL)), 0);
	for (size_t i = 0; i < nlines; i++)
		json_decref(docs[i]);
	free(docs);

	/* An exporter freed without end() writes nothing. */
	char *never = xasprintf("%s/never.jsonl", dir);
	struct trace_exporter *e = trace_otlp_file_new(never, &cause);
	assert_non_null(e);
	assert_int_equal(e->span(e, &sa, &cause), 0);
	e->free(e);
	assert_int_equal(access(never, F_OK), -1);
	free(never);

	static const char *const files[] = {"traces.jsonl"};
	remove_dir(dir, files, ARRAY_SIZE(files));
	free(path);
	free(dir);
}

/* ---- invalid UTF-8 -------------------------------------------------------- */

static void test_utf8(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *path = xasprintf("%s/traces.jsonl", dir);
	char *cause = NULL;
	struct trace_exporter *e = trace_otlp_file_new(path, &cause);
	assert_non_null(e);

	struct trace_attr res_attrs[] = {
	    {"service.name", TRACE_ATTR_STRING, {.s = "svc\xc3"}}, /* truncated sequence */
	};
	struct trace_resource res = {res_attrs, ARRAY_SIZE(res_attrs)};
	struct trace_attr attrs[] = {
	    {"k\xff", TRACE_ATTR_STRING, {.s = "bad\xff\xfe ok \xc3\xa9"}},
	    {"surrogate", TRACE_ATTR_STRING, {.s = "\xed\xa0\x80"}},
	    {"null", TRACE_ATTR_STRING, {.s = NULL}},
	};
	struct span s = {.name = "comp\xe2\x82ile",
	                 .start_ns = 1,
	                 .end_ns = 2,
	                 .error = 1,
	                 .status_message = "failed: \x80",
	                 .attrs = attrs,
	                 .nattrs = ARRAY_SIZE(attrs)};
	s.span_id[0] = 1;
	assert_int_equal(e->begin(e, &res, &cause), 0);
	assert_int_equal(e->span(e, &s, &cause), 0);
	assert_int_equal(e->end(e, &cause), 0);
	e->free(e);

	size_t nlines;
	json_t **docs = read_lines(path, &nlines);
	assert_int_equal(nlines, 1);
	json_t *resource;
	json_t *j = only(spans_of(docs[0], &resource));
	assert_string_equal(
	    str_of(attr_value(get(resource, "attributes"), "service.name"), "stringValue"),
	    "svc\xef\xbf\xbd");
	assert_string_equal(str_of(j, "name"), "comp\xef\xbf\xbd\xef\xbf\xbdile");
	assert_string_equal(str_of(get(j, "status"), "message"), "failed: \xef\xbf\xbd");
	json_t *a = get(j, "attributes");
	assert_string_equal(str_of(attr_value(a, "k\xef\xbf\xbd"), "stringValue"),
	                    "bad\xef\xbf\xbd\xef\xbf\xbd ok \xc3\xa9");
	assert_string_equal(str_of(attr_value(a, "surrogate"), "stringValue"),
	                    "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
	assert_string_equal(str_of(attr_value(a, "null"), "stringValue"), "");
	json_decref(docs[0]);
	free(docs);

	static const char *const files[] = {"traces.jsonl"};
	remove_dir(dir, files, ARRAY_SIZE(files));
	free(path);
	free(dir);
}

/* ---- bad paths ------------------------------------------------------------ */

static void test_bad_path(void **state)
{
	(void)state;
	char *dir = make_tmpdir();
	char *path = xasprintf("%s/missing/traces.jsonl", dir);
	char *cause = NULL;
	assert_null(trace_otlp_file_new(path, &cause));
	assert_non_null(cause);
	char *want = xasprintf("trace file %s: %s", path, strerror(ENOENT));
	assert_string_equal(cause, want);
	assert_null(strchr(cause, '\n'));
	free(want);
	free(cause);
	cause = NULL;
	free(path);

	/* The path is a directory. */
	assert_null(trace_otlp_file_new(dir, &cause));
	want = xasprintf("trace file %s: %s", dir, strerror(EISDIR));
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	cause = NULL;

	/* The "directory" is a file. */
	char *file = xasprintf("%s/file", dir);
	FILE *f = fopen(file, "w");
	assert_non_null(f);
	fclose(f);
	path = xasprintf("%s/traces.jsonl", file);
	assert_null(trace_otlp_file_new(path, &cause));
	want = xasprintf("trace file %s: %s", path, strerror(ENOTDIR));
	assert_string_equal(cause, want);
	free(want);
	free(cause);
	cause = NULL;
	free(path);
	free(file);

	/* A directory that cannot be written (unless we are root). */
	char *ro = xasprintf("%s/ro", dir);
	assert_int_equal(mkdir(ro, 0555), 0);
	path = xasprintf("%s/traces.jsonl", ro);
	if (access(ro, W_OK) < 0) {
		assert_null(trace_otlp_file_new(path, &cause));
		want = xasprintf("trace file %s: %s", path, strerror(EACCES));
		assert_string_equal(cause, want);
		free(want);
		free(cause);
		cause = NULL;
	}
	free(path);
	assert_int_equal(rmdir(ro), 0);
	free(ro);

	static const char *const files[] = {"file"};
	remove_dir(dir, files, ARRAY_SIZE(files));
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_synthetic),
	    cmocka_unit_test(test_two_writers),
	    cmocka_unit_test(test_utf8),
	    cmocka_unit_test(test_bad_path),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
