/* Unit tests of util.c and jsonl.c: paths, buffers, JSON lines. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "jsonl.h"
#include "util.h"

static void test_path_join_clean(void **state)
{
	(void)state;
	struct {
		const char *base, *rel, *want;
	} cases[] = {
	    {"/a/b", "c.go", "/a/b/c.go"},
	    {"/a/b", "../c/d.go", "/a/c/d.go"},
	    {"/a/b", "./x//y/./z.go", "/a/b/x/y/z.go"},
	    {"/a/b", "/abs/p.go", "/abs/p.go"},
	    {"/", "../../x", "/x"},
	    {"/a", "..", "/"},
	    {"", "rel/x.go", "/rel/x.go"},
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *got = path_join_clean(cases[i].base, cases[i].rel);
		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static void test_jsonl(void **state)
{
	(void)state;
	json_t *o = json_object();
	json_object_set_new(o, "b", json_integer(2));
	json_object_set_new(o, "a", json_string("x\ny"));
	size_t len;
	char *line = jsonl_encode(o, &len); /* takes the reference */
	assert_string_equal(line, "{\"b\":2,\"a\":\"x\\ny\"}\n");
	assert_int_equal(len, strlen(line));
	free(line);

	const char buf[] = "one\n\ntwo\nunfinished";
	size_t pos = 0, n;
	const char *l;
	assert_true(jsonl_next_line(buf, sizeof(buf) - 1, &pos, &l, &n));
	assert_int_equal(n, 3);
	assert_memory_equal(l, "one", 3);
	assert_true(jsonl_next_line(buf, sizeof(buf) - 1, &pos, &l, &n));
	assert_int_equal(n, 0);
	assert_true(jsonl_next_line(buf, sizeof(buf) - 1, &pos, &l, &n));
	assert_memory_equal(l, "two", 3);
	/* a line with no newline yet is left for the next read */
	assert_false(jsonl_next_line(buf, sizeof(buf) - 1, &pos, &l, &n));
	assert_int_equal(pos, strlen("one\n\ntwo\n"));
}

static void test_strbuf(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	assert_string_equal(sb.buf, "");
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&sb, "%d,", i);
	assert_true(ends_with(sb.buf, "998,999,"));
	assert_true(starts_with(sb.buf, "0,1,2,"));
	size_t len;
	char *s = strbuf_detach(&sb, &len);
	assert_int_equal(len, strlen(s));
	assert_int_equal(sb.len, 0);
	free(s);
	assert_string_equal(base_name("/a/b/compile"), "compile");
	assert_string_equal(base_name("link"), "link");
}

/* Text output never gets a control character from a path or message. */
static void test_add_printable(void **state)
{
	(void)state;
	struct strbuf sb = STRBUF_INIT;
	strbuf_add_printable(&sb, "api/api.go", 1);
	assert_string_equal(sb.buf, "api/api.go");
	strbuf_reset(&sb);
	strbuf_add_printable(&sb, "h.go\nmain.go:1:1: [httpctx] FAKE\nz.go", 1);
	assert_string_equal(sb.buf, "\"h.go\\nmain.go:1:1: [httpctx] FAKE\\nz.go\"");
	assert_null(strchr(sb.buf, '\n'));
	strbuf_reset(&sb);
	strbuf_add_printable(&sb, "a\"b\\c\t\x01\x7f", 1);
	assert_string_equal(sb.buf, "\"a\\\"b\\\\c\\t\\x01\\x7f\"");
	strbuf_reset(&sb);
	strbuf_add_printable(&sb, "use r.Context()\r\nnext", 0);
	assert_string_equal(sb.buf, "use r.Context()\\r\\nnext");
	strbuf_release(&sb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_path_join_clean),
	    cmocka_unit_test(test_jsonl),
	    cmocka_unit_test(test_strbuf),
	    cmocka_unit_test(test_add_printable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
