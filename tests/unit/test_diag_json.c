/*
 * test_diag_json.c - unit tests of diag_report_json_write() (cmocka): its
 * text is json_dumpf()'s of diag_report_json() byte for byte, for strings
 * that need escapes, invalid UTF-8, several files, no findings, problems.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/diag.h"

/* Both texts of r: the streamed one and jansson's dump of the document. */
static void assert_same_text(const struct diag_report *r)
{
	struct strbuf sb = STRBUF_INIT;
	json_t *doc = diag_report_json(r);
	char *want = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	diag_report_json_write(r, &sb);
	assert_non_null(want);
	assert_string_equal(sb.buf, want);
	free(want);
	json_decref(doc);
	strbuf_release(&sb);
}

static void test_empty(void **state)
{
	diag_array a = ARRAY_INIT;
	struct diag_report r;
	(void)state;
	memset(&r, 0, sizeof(r));
	r.diags = &a;
	assert_same_text(&r);
	r.files = 3;
	r.generated = 1;
	r.packages = 2;
	assert_same_text(&r);
}

static void test_escapes_and_files(void **state)
{
	static const char *const msgs[] = {
	    "plain message: use r.Context() instead of context.Background()",
	    "a \"quoted\" name and a back\\slash",
	    "control\tchars\nand\x01bytes\x7f",
	    "non-ASCII: caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80",
	    "invalid UTF-8: \xff\xfe and a cut \xe2\x9c",
	    "a/slash and a </script>",
	    "",
	};
	static const char *const files[] = {"a.go", "dir/b \"q\".go", "c\xff.go", "a.go"};
	diag_array a = ARRAY_INIT;
	struct diag_report r;
	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(files); f++)
		for (size_t m = 0; m < ARRAY_SIZE(msgs); m++)
			diag_push(&a, files[f], (unsigned)(m + 1), (unsigned)(f * 7 + 1),
			          m % 2 ? "httpctx" : "log\"trace", (enum severity)(m % 3),
			          msgs[m]);
	memset(&r, 0, sizeof(r));
	r.diags = &a;
	r.files = 4;
	r.packages = 1;
	assert_same_text(&r);

	struct diag_problem probs[] = {
	    {"package", "example.com/x", "no Go files"},
	    {"file", "bad\n\"name\".go", "cannot read: \xff"},
	};
	r.problems = probs;
	r.nproblems = ARRAY_SIZE(probs);
	assert_same_text(&r);
	diag_array_release(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_empty),
	    cmocka_unit_test(test_escapes_and_files),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
