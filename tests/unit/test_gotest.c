/*
 * Unit tests of src/gotest/: testrun.h (go test -json's events: counts,
 * package results, failures as file:line, what is printed) fed in pieces
 * of every size, and testgraph.h (the reverse dependencies from a
 * `go list -deps -test -json` listing).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "core/util.h"
#include "gotest/testgraph.h"
#include "gotest/testrun.h"

static const char stream[] =
    "{\"Action\":\"start\",\"Package\":\"ex/a\"}\n"
    "{\"Action\":\"run\",\"Package\":\"ex/a\",\"Test\":\"TestOK\"}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Test\":\"TestOK\",\"Output\":\"=== RUN   "
    "TestOK\\n\"}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Test\":\"TestOK\",\"Output\":\"    a_test.go:5: "
    "only a log\\n\"}\n"
    "{\"Action\":\"pass\",\"Package\":\"ex/a\",\"Test\":\"TestOK\",\"Elapsed\":0.5}\n"
    "{\"Action\":\"run\",\"Package\":\"ex/a\",\"Test\":\"TestBad\"}\n"
    "{\"Action\":\"run\",\"Package\":\"ex/a\",\"Test\":\"TestBad/sub\"}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Test\":\"TestBad/sub\",\"Output\":\"        "
    "a_test.go:12: want 2, got 3\\n\"}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Test\":\"TestBad/sub\",\"Output\":\"    --- "
    "FAIL: TestBad/sub (0.00s)\\n\"}\n"
    "{\"Action\":\"fail\",\"Package\":\"ex/a\",\"Test\":\"TestBad/sub\",\"Elapsed\":0}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Test\":\"TestBad\",\"Output\":\"--- FAIL: "
    "TestBad (0.00s)\\n\"}\n"
    "{\"Action\":\"fail\",\"Package\":\"ex/a\",\"Test\":\"TestBad\",\"Elapsed\":1.25}\n"
    "{\"Action\":\"run\",\"Package\":\"ex/a\",\"Test\":\"TestSkip\"}\n"
    "{\"Action\":\"skip\",\"Package\":\"ex/a\",\"Test\":\"TestSkip\",\"Elapsed\":0}\n"
    "{\"Action\":\"run\",\"Package\":\"ex/a\",\"Test\":\"TestPanic\"}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Test\":\"TestPanic\",\"Output\":\"panic: "
    "boom\\n\"}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Test\":\"TestPanic\",\"Output\":"
    "\"\\t/usr/lib/go/src/testing/testing.go:1 +0x1\\n\"}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Test\":\"TestPanic\",\"Output\":"
    "\"\\t/src/ex/a/p_test.go:33 +0x1d\\n\"}\n"
    "{\"Action\":\"fail\",\"Package\":\"ex/a\",\"Test\":\"TestPanic\",\"Elapsed\":0.01}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Output\":\"FAIL\\n\"}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/a\",\"Output\":\"FAIL\\tex/a\\t1.3s\\n\"}\n"
    "{\"Action\":\"fail\",\"Package\":\"ex/a\",\"Elapsed\":1.3}\n"
    "{\"ImportPath\":\"ex/b [ex/b.test]\",\"Action\":\"build-output\",\"Output\":\"b.go:3:1: "
    "syntax error\\n\"}\n"
    "{\"ImportPath\":\"ex/b [ex/b.test]\",\"Action\":\"build-fail\"}\n"
    "{\"Action\":\"output\",\"Package\":\"ex/c\",\"Output\":\"?   \\tex/c\\t[no test "
    "files]\\n\"}\n"
    "{\"Action\":\"skip\",\"Package\":\"ex/c\",\"Elapsed\":0}\n"
    "not json at all\n";

static struct strbuf out_text, err_text;

static void emit(enum test_stream s, const char *text, size_t len, void *data)
{
	(void)data;
	strbuf_add(s == TEST_ERR ? &err_text : &out_text, text, len);
}

static void run_stream(struct testrun *r, size_t piece)
{
	testrun_init(r);
	r->emit = emit;
	strbuf_reset(&out_text);
	strbuf_reset(&err_text);
	size_t n = strlen(stream);
	for (size_t off = 0; off < n; off += piece)
		testrun_feed(r, stream + off, off + piece > n ? n - off : piece);
	testrun_finish(r);
}

static void test_stream(void **state)
{
	(void)state;
	size_t pieces[] = {1, 7, 64, 100000};
	for (size_t k = 0; k < ARRAY_SIZE(pieces); k++) {
		struct testrun r;
		run_stream(&r, pieces[k]);
		assert_int_equal(r.passed, 1);
		assert_int_equal(r.failed, 3);
		assert_int_equal(r.skipped, 1);
		assert_int_equal(r.pkgs.n, 3);
		assert_int_equal(testrun_pkg(&r, "ex/a")->result, TEST_PKG_FAIL);
		assert_int_equal(testrun_pkg(&r, "ex/b")->result, TEST_PKG_FAIL);
		assert_true(testrun_pkg(&r, "ex/b")->build_failed);
		assert_int_equal(testrun_pkg(&r, "ex/c")->result, TEST_PKG_NOTESTS);
		/* the subtest's line; its parent adds none; the panic's test frame */
		assert_int_equal(r.failures.n, 2);
		assert_string_equal(r.failures.v[0].test, "TestBad/sub");
		assert_string_equal(r.failures.v[0].file, "a_test.go");
		assert_int_equal(r.failures.v[0].line, 12);
		assert_string_equal(r.failures.v[0].message, "want 2, got 3");
		assert_string_equal(r.failures.v[1].test, "TestPanic");
		assert_string_equal(r.failures.v[1].file, "p_test.go");
		assert_int_equal(r.failures.v[1].line, 33);
		assert_string_equal(r.failures.v[1].message, "panic: boom");
		/* printed: failed tests' output without === lines, package lines, build errors */
		assert_non_null(strstr(out_text.buf, "a_test.go:12: want 2, got 3"));
		assert_null(strstr(out_text.buf, "only a log"));
		assert_null(strstr(out_text.buf, "=== RUN"));
		assert_non_null(strstr(out_text.buf, "FAIL\tex/a\t1.3s\n"));
		assert_non_null(strstr(out_text.buf, "[no test files]"));
		assert_non_null(strstr(out_text.buf, "not json at all\n"));
		assert_string_equal(err_text.buf, "b.go:3:1: syntax error\n");
		testrun_sort_timings(&r);
		assert_string_equal(r.timings.v[0].test, "TestBad");
		assert_string_equal(r.timings.v[1].test, "TestOK");
		testrun_release(&r);
	}
	strbuf_release(&out_text);
	strbuf_release(&err_text);
}

static void test_location(void **state)
{
	(void)state;
	char *file, *msg;
	int line;
	assert_true(testrun_parse_location("    x_test.go:12: boom\n", &file, &line, &msg));
	assert_string_equal(file, "x_test.go");
	assert_int_equal(line, 12);
	assert_string_equal(msg, "boom");
	free(file);
	free(msg);
	assert_true(testrun_parse_location("\tx.go:1: ", &file, &line, &msg));
	assert_string_equal(msg, "");
	free(file);
	free(msg);
	assert_false(testrun_parse_location("x_test.go:12: not indented", &file, &line, &msg));
	assert_false(testrun_parse_location("    see x.txt:3: no", &file, &line, &msg));
	assert_false(testrun_parse_location("    x.go:abc: no", &file, &line, &msg));
	assert_false(testrun_parse_location("    x.go:12 no colon", &file, &line, &msg));
	assert_false(testrun_parse_location("    ", &file, &line, &msg));
}

/* A listing like `go list -deps -test -e -json ./...` of a module with a <- b <- c, d. */
static const char listing[] =
    "{\"ImportPath\":\"fmt\",\"Dir\":\"/go/src/fmt\",\"Standard\":true}\n"
    "{\"ImportPath\":\"ex/a\",\"Dir\":\"/m/a\",\"GoFiles\":[\"a.go\"],"
    "\"TestGoFiles\":[\"a_test.go\"]}\n"
    "{\"ImportPath\":\"ex/b\",\"Dir\":\"/m/b\",\"GoFiles\":[\"b.go\"],"
    "\"Imports\":[\"ex/a\",\"fmt\"]}\n"
    "{\"ImportPath\":\"ex/c\",\"Dir\":\"/m/c\",\"GoFiles\":[\"c.go\"],\"Imports\":[\"ex/b\"],"
    "\"TestGoFiles\":[\"c_test.go\"]}\n"
    "{\"ImportPath\":\"ex/c [ex/c.test]\",\"Dir\":\"/m/c\",\"ForTest\":\"ex/c\","
    "\"GoFiles\":[\"c.go\",\"c_test.go\"]}\n"
    "{\"ImportPath\":\"ex/c.test\",\"Dir\":\"/m/c\",\"GoFiles\":[\"/cache/x-d\"]}\n"
    "{\"ImportPath\":\"ex/d\",\"Dir\":\"/m/d\",\"GoFiles\":[\"d.go\"],"
    "\"XTestGoFiles\":[\"d_x_test.go\"],\"XTestImports\":[\"ex/a\"]}\n"
    "{\"ImportPath\":\"ex/e\",\"Dir\":\"/m/e\",\"DepOnly\":true,\"GoFiles\":[\"e.go\"],"
    "\"Imports\":[\"ex/a\"]}\n"
    "{\"ImportPath\":\"other/x\",\"Dir\":\"/elsewhere/x\",\"GoFiles\":[\"x.go\"]}\n";

static void test_graph(void **state)
{
	(void)state;
	struct testgraph g;
	char *cause = NULL;
	testgraph_init(&g, "/m");
	assert_int_equal(testgraph_parse(&g, listing, strlen(listing), &cause), 0);
	assert_int_equal(g.pkgs.n, 5); /* a b c d e; no test variants, std or other modules */
	assert_int_equal(testgraph_pkg_of_file(&g, "c/c_test.go"), testgraph_find(&g, "ex/c"));
	assert_int_equal(testgraph_pkg_of_file(&g, "d/d_x_test.go"), testgraph_find(&g, "ex/d"));
	assert_int_equal(testgraph_pkg_of_file(&g, "b/new.go"), testgraph_find(&g, "ex/b"));
	assert_int_equal(testgraph_pkg_of_file(&g, "b/.hidden.go"), -1);
	assert_int_equal(testgraph_pkg_of_file(&g, "b/notes.txt"), -1);
	assert_int_equal(testgraph_pkg_of_file(&g, "go.mod"), -1);
	assert_int_equal(testgraph_pkg_of_file(&g, "z/z.go"), -1);

	struct argv_array out = ARGV_ARRAY_INIT;
	long a = testgraph_find(&g, "ex/a"), c = testgraph_find(&g, "ex/c");
	/* a's code: a, b (imports a), c (imports b), d (its external test imports a); e is no
	 * target */
	testgraph_affected(&g, &a, 1, NULL, 0, &out);
	assert_int_equal(out.argc, 4);
	assert_string_equal(out.argv[0], "ex/a");
	assert_string_equal(out.argv[1], "ex/b");
	assert_string_equal(out.argv[2], "ex/c");
	assert_string_equal(out.argv[3], "ex/d");
	argv_clear(&out);
	/* c's code: c alone */
	testgraph_affected(&g, &c, 1, NULL, 0, &out);
	assert_int_equal(out.argc, 1);
	assert_string_equal(out.argv[0], "ex/c");
	argv_clear(&out);
	/* a's tests: a alone */
	testgraph_affected(&g, NULL, 0, &a, 1, &out);
	assert_int_equal(out.argc, 1);
	assert_string_equal(out.argv[0], "ex/a");
	argv_clear(&out);

	assert_int_equal(testgraph_parse(&g, "{\"x\":", 5, &cause), -1);
	assert_non_null(cause);
	free(cause);
	assert_int_equal(g.pkgs.n, 5); /* unchanged */
	testgraph_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stream),
	    cmocka_unit_test(test_location),
	    cmocka_unit_test(test_graph),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
