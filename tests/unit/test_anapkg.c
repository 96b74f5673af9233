/*
 * anapkg: a package's files for httpctx's one step into another file. The
 * text index (package clauses, `func` lines of every gofmt shape, false
 * hits in raw strings), files read from disk on demand or unreadable, and
 * what a handler file is told of them, through real analysis runs.
 */
#define _GNU_SOURCE /* mkdtemp */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/analyze.h"
#include "analysis/anapkg.h"

static const char handler[] = "// Package p.\n"
                              "package p\n"
                              "\n"
                              "import \"net/http\"\n"
                              "\n"
                              "func h(w http.ResponseWriter, r *http.Request) {\n"
                              "\tload()\n"
                              "\t_ = s.Get()\n"
                              "\t_ = s.Put()\n"
                              "\tinRaw()\n"
                              "\tgeneric()\n"
                              "\tcut()\n"
                              "}\n";

/* The httpctx findings of handler as p.go in a package of p.go and the files given. */
static void run_pkg(const char *const *paths, const char *const *srcs, size_t n, diag_array *out)
{
	struct analysis_settings s;
	char *cause = NULL;
	analysis_settings_init(&s);
	struct analysis_ctx *ctx = analysis_ctx_new(&s, &cause);
	assert_non_null(ctx);
	struct analysis_pkg *pkg = analysis_pkg_new();
	analysis_pkg_add(pkg, "p.go", handler, strlen(handler));
	for (size_t i = 0; i < n; i++)
		analysis_pkg_add(pkg, paths[i], srcs[i], srcs[i] ? strlen(srcs[i]) : 0);
	assert_int_equal(analysis_pkg_files(pkg), n + 1);
	analysis_ctx_set_package(ctx, pkg);
	assert_int_equal(analysis_run_source(ctx, "p.go", handler, strlen(handler), out), 0);
	diag_sort_unique(out);
	analysis_ctx_free(ctx);
	analysis_pkg_free(pkg);
	analysis_settings_release(&s);
}

/* The message of the finding on line, or NULL. */
static const char *at_line(const diag_array *a, unsigned line)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->v[i].line == line && strcmp(a->v[i].analyzer, "httpctx") == 0)
			return a->v[i].message;
	return NULL;
}

static void test_shapes(void **state)
{
	(void)state;
	static const char other[] =
	    "/* a block comment\n   before the clause */\n"
	    "package p // trailing\n"
	    "\n"
	    "import (\n\t\"context\"\n\t\"database/sql\"\n)\n"
	    "\n"
	    "var doc = `\n"
	    "func inRaw() { _ = context.Background() }\n" /* a false hit of the text scan */
	    "`\n"
	    "\n"
	    "func load() { _ = context.TODO() }\n"
	    "\n"
	    "func (s *Set[K, V]) Get() int { _ = s.db.Ping(); return 0 }\n"
	    "\n"
	    "func (Set[K, V]) Put() int { _ = context.Background(); return 0 }\n"
	    "\n"
	    "func generic[T any]() { _ = context.Background() }\n"
	    "\n"
	    "type Set[K comparable, V any] struct{ db *sql.DB }\n"
	    "\n"
	    "func cut() { if true {\n}\n_ = context.Background() }\n"; /* not gofmt's: parsed whole
	                                                                */
	const char *paths[] = {"other.go"}, *srcs[] = {other};
	diag_array out = ARRAY_INIT;
	run_pkg(paths, srcs, 1, &out);
	const char *m = at_line(&out, 7);
	assert_non_null(m);
	assert_non_null(strstr(m, "h \xE2\x86\x92 load (other.go:14) \xE2\x86\x92 context.TODO()"));
	m = at_line(&out, 8);
	assert_non_null(m);
	assert_non_null(strstr(m, "h \xE2\x86\x92 Get (other.go:16) \xE2\x86\x92 s.db.Ping"));
	m = at_line(&out, 9);
	assert_non_null(m);
	assert_non_null(strstr(m, "Put (other.go:18)"));
	assert_null(at_line(&out, 10)); /* the func line in a raw string is no declaration */
	m = at_line(&out, 11);
	assert_non_null(m);
	assert_non_null(strstr(m, "generic (other.go:20)"));
	m = at_line(&out, 12);
	assert_non_null(m);
	assert_non_null(strstr(m, "cut (other.go:24) \xE2\x86\x92 context.Background()"));
	diag_array_release(&out);
}

/* Another package clause (p_test), two methods of one name, an unreadable file. */
static void test_apart_and_ambiguous(void **state)
{
	(void)state;
	static const char xtest[] = "package p_test\n\nimport \"context\"\n\n"
	                            "func load() { _ = context.Background() }\n";
	static const char one[] =
	    "package p\n\nimport \"context\"\n\n"
	    "type A struct{}\n\nfunc (A) Get() int { _ = context.Background(); "
	    "return 0 }\n";
	static const char two[] =
	    "package p\n\ntype B struct{}\n\nfunc (B) Get() int { return 0 }\n";
	const char *paths[] = {"p_x_test.go", "one.go", "two.go", "/nonexistent/golive/gone.go"};
	const char *srcs[] = {xtest, one, two, NULL};
	diag_array out = ARRAY_INIT;
	run_pkg(paths, srcs, 4, &out);
	assert_null(at_line(&out, 7)); /* load: only package p_test declares it */
	assert_null(at_line(&out, 8)); /* Get: A's or B's, which is unknown */
	diag_array_release(&out);
}

/* A file added without its text is read when the first question comes. */
static void test_read_on_demand(void **state)
{
	(void)state;
	char dir[] = "/tmp/golive-anapkg.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256];
	snprintf(path, sizeof(path), "%s/load.go", dir);
	FILE *fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("package p\n\nimport \"os/exec\"\n\nfunc load() { _ = exec.Command(\"x\").Run() }\n",
	      fp);
	fclose(fp);
	const char *paths[] = {path}, *srcs[] = {NULL};
	diag_array out = ARRAY_INIT;
	run_pkg(paths, srcs, 1, &out);
	const char *m = at_line(&out, 7);
	assert_non_null(m);
	assert_non_null(strstr(m, "load (load.go:5) \xE2\x86\x92 exec.Command"));
	diag_array_release(&out);
	unlink(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shapes),
	    cmocka_unit_test(test_apart_and_ambiguous),
	    cmocka_unit_test(test_read_on_demand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
