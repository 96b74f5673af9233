/*
 * analyser: the session's analyser after the compiles (wrapper/analyser.h).
 * analysis.defer written and read back, and refused when malformed; the
 * wrappers' requests; and golive build's catch-up, which analyses (for
 * real, httpctx on a Go file) the requests that have no diags.jsonl line.
 */
#define _GNU_SOURCE /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wrapper/analyser.h"
#include "wrapper/session.h"

static char *write_file(const char *dir, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void remove_dir(const char *dir)
{
	char *cmd = xasprintf("rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_defer_file(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/golive-analyser.XXXXXX";
	char *dir = mkdtemp(tmpl), *root = NULL, *cause = NULL;
	int deps = -1;
	assert_non_null(dir);
	assert_int_equal(session_read_defer(dir, &deps, &root),
	                 0); /* none: analyse in the wrapper */
	assert_int_equal(session_write_defer(dir, 1, "/src/mod", &cause), 0);
	assert_int_equal(session_read_defer(dir, &deps, &root), 1);
	assert_int_equal(deps, 1);
	assert_string_equal(root, "/src/mod");
	free(root);
	root = NULL;
	static const char *const bad[] = {"",      "0\n",         "2\n/x\n", "0\nrel\n",
	                                  "0\n/x", "0\n/x\n/y\n", "0 /x\n",  "x\n/x\n"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		free(write_file(dir, ANALYSIS_DEFER, bad[i]));
		assert_int_equal(session_read_defer(dir, &deps, &root), 0);
		assert_null(root);
	}
	remove_dir(dir);
}

static const char handler[] = "package p\n"
                              "\n"
                              "import (\n"
                              "\t\"context\"\n"
                              "\t\"net/http\"\n"
                              ")\n"
                              "\n"
                              "func h(w http.ResponseWriter, r *http.Request) {\n"
                              "\t_ = context.Background()\n"
                              "}\n";

static void test_requests_and_catch_up(void **state)
{
	(void)state;
	char tmpl[] = "/tmp/golive-analyser.XXXXXX";
	char *dir = mkdtemp(tmpl), *cause = NULL;
	assert_non_null(dir);
	char *pdir = xasprintf("%s/p", dir), *qdir = xasprintf("%s/q", dir);
	assert_int_equal(mkdir(pdir, 0755), 0);
	assert_int_equal(mkdir(qdir, 0755), 0);
	char *pfile = write_file(pdir, "h.go", handler);
	char *qfile = write_file(qdir, "h.go", "package q\n");

	struct analysis_settings s;
	analysis_settings_init(&s);
	assert_int_equal(session_write_analysis(dir, &s, dir, NULL, &cause), 0);
	struct session sess = {dir};
	struct argv_array pf = ARGV_ARRAY_INIT, qf = ARGV_ARRAY_INIT;
	argv_push(&pf, pfile);
	argv_push(&qf, qfile);

	/* no queue: no analyser runs, the wrapper must analyse itself */
	assert_int_equal(analyser_request(dir, "example.com/p", "p", "go1.21", &pf), -1);
	free(write_file(dir, ANALYSE_QUEUE, ""));
	assert_int_equal(analyser_request(dir, "example.com/p", "p", "go1.21", &pf), 0);
	assert_int_equal(analyser_request(dir, "example.com/q", "q", NULL, &qf), 0);
	/* a line that is no request, and the end line golive build writes */
	char *qpath = xasprintf("%s/%s", dir, ANALYSE_QUEUE);
	FILE *f = fopen(qpath, "a");
	fputs("{\"files\": 3}\nnot json\n{\"end\":true}\n", f);
	fclose(f);

	/* the analyser served q before it died; p is left */
	struct pkg_diags q;
	memset(&q, 0, sizeof(q));
	q.importpath = "example.com/q";
	q.pkg = "q";
	size_t len = 0;
	char *line = pkg_diags_encode(&q, &len);
	free(write_file(dir, DIAGS_FILE, line));
	free(line);

	struct anacache cache;
	memset(&cache, 0, sizeof(cache)); /* no cache directory */
	struct analysis_ctx *ctx = NULL;
	assert_int_equal(analyser_catch_up(&sess, &s, &cache, &ctx, &cause), 1);
	pkg_diags_array lines = ARRAY_INIT;
	assert_int_equal(session_read_diags(&sess, &lines, NULL), 2);
	assert_string_equal(lines.v[1].importpath, "example.com/p");
	assert_string_equal(lines.v[1].pkg, "p");
	assert_string_equal(lines.v[1].dir, pdir);
	assert_int_equal(strlen(lines.v[1].key), ANACACHE_KEY_HEX);
	assert_int_equal(lines.v[1].diags.n, 1);
	assert_string_equal(lines.v[1].diags.v[0].analyzer, "httpctx");
	assert_int_equal(lines.v[1].diags.v[0].line, 9);
	pkg_diags_array_release(&lines);
	/* again: nothing left to do */
	assert_int_equal(analyser_catch_up(&sess, &s, &cache, &ctx, &cause), 0);

	if (ctx)
		analysis_ctx_free(ctx);
	analysis_settings_release(&s);
	argv_clear(&pf);
	argv_clear(&qf);
	free(qpath);
	free(pfile);
	free(qfile);
	free(pdir);
	free(qdir);
	remove_dir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defer_file),
	    cmocka_unit_test(test_requests_and_catch_up),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
