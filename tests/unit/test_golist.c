/*
 * test_golist.c - src/core/golist.c: decoding a `go list -json` stream (canned
 * streams, including malformed ones), then real runs of go list on
 * examples/webapp (module mode), on std fmt (with -deps and the graph
 * fields), on a pattern that matches nothing and in a directory without
 * go.mod. Runs from the source tree (CTest's working directory).
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/golist.h"
#include "core/gotool.h"

static int has(const struct argv_array *a, const char *s)
{
	for (size_t i = 0; i < a->argc; i++)
		if (strcmp(a->argv[i], s) == 0)
			return 1;
	return 0;
}

static const struct golist_package *find_pkg(const golist_packages *p, const char *path)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->v[i].import_path, path) == 0)
			return &p->v[i];
	return NULL;
}

/* A clean, predictable go environment; and the source tree as the cwd. */
static int setup(void **state)
{
	(void)state;
	setenv("GO111MODULE", "on", 1);
	setenv("GOFLAGS", "", 1);
	setenv("GOPROXY", "off", 1);
	setenv("GOTOOLCHAIN", "local", 1);
	unsetenv("TOOLEXEC_IMPORTPATH");
	const char *src = getenv("GOLIVE_SRC");
	if (src && *src && chdir(src) != 0)
		return -1;
	return 0;
}

/* ---- decoding ------------------------------------------------------------ */

static const char stream[] =
    "{\n"
    "\t\"Dir\": \"/src/app\",\n"
    "\t\"ImportPath\": \"example.com/app\",\n"
    "\t\"Name\": \"main\",\n"
    "\t\"Module\": {\"Path\": \"example.com/app\", \"Main\": true, \"Dir\": \"/src/app\","
    " \"GoMod\": \"/src/app/go.mod\", \"GoVersion\": \"1.19\"},\n"
    "\t\"GoFiles\": [\"main.go\", \"util.go\"],\n"
    "\t\"CgoFiles\": [\"c.go\"],\n"
    "\t\"TestGoFiles\": [\"main_test.go\"],\n"
    "\t\"XTestGoFiles\": [\"x_test.go\"],\n"
    "\t\"Imports\": [\"fmt\", \"net/http\"],\n"
    "\t\"Deps\": [\"errors\", \"fmt\"],\n"
    "\t\"UnknownField\": {\"nested\": [1, 2, {\"x\": null}]}\n"
    "}\n"
    "{\"ImportPath\": \"fmt\", \"Dir\": \"/go/src/fmt\", \"Name\": \"fmt\", \"Standard\": true,"
    " \"Goroot\": true, \"DepOnly\": true, \"GoFiles\": [\"print.go\"]}"
    "  \r\n\n"
    "{\n"
    "\t\"ImportPath\": \"example.com/missing\",\n"
    "\t\"Error\": {\n"
    "\t\t\"ImportStack\": [],\n"
    "\t\t\"Pos\": \"\",\n"
    "\t\t\"Err\": \"no required module provides package example.com/missing; to add "
    "it:\\n\\tgo get example.com/missing\"\n"
    "\t}\n"
    "}\n"
    "{\"ImportPath\": \"example.com/app/bad\", \"Dir\": \"/src/app/bad\", \"GoFiles\": [],"
    " \"Error\": {\"Pos\": \"bad/x.go:1:1\", \"Err\": \"expected 'package', found 'EOF'\"}}\n";

static void test_decode_stream(void **state)
{
	golist_packages p = ARRAY_INIT;
	char *cause = NULL;
	(void)state;

	assert_int_equal(golist_decode(stream, strlen(stream), &p, &cause), 0);
	assert_null(cause);
	assert_int_equal(p.n, 4);

	const struct golist_package *app = &p.v[0];
	assert_string_equal(app->import_path, "example.com/app");
	assert_string_equal(app->dir, "/src/app");
	assert_string_equal(app->name, "main");
	assert_int_equal(app->go_files.argc, 2);
	assert_string_equal(app->go_files.argv[0], "main.go");
	assert_string_equal(app->go_files.argv[1], "util.go");
	assert_true(has(&app->cgo_files, "c.go"));
	assert_true(has(&app->test_go_files, "main_test.go"));
	assert_true(has(&app->xtest_go_files, "x_test.go"));
	assert_true(has(&app->imports, "net/http"));
	assert_int_equal(app->deps.argc, 2);
	assert_non_null(app->module);
	assert_string_equal(app->module->path, "example.com/app");
	assert_string_equal(app->module->dir, "/src/app");
	assert_true(app->module->main);
	assert_false(app->standard);
	assert_false(app->dep_only);
	assert_null(app->error);

	const struct golist_package *fmt = &p.v[1];
	assert_string_equal(fmt->import_path, "fmt");
	assert_true(fmt->standard);
	assert_true(fmt->goroot);
	assert_true(fmt->dep_only);
	assert_null(fmt->module);
	assert_int_equal(fmt->cgo_files.argc, 0);
	assert_int_equal(fmt->test_go_files.argc, 0);

	const struct golist_package *missing = &p.v[2];
	assert_null(missing->dir);
	assert_null(missing->name);
	assert_non_null(missing->error);
	/* One line: go's "\n\t" became one space. */
	assert_string_equal(missing->error, "no required module provides package "
	                                    "example.com/missing; to add it: go get "
	                                    "example.com/missing");

	const struct golist_package *bad = &p.v[3];
	assert_string_equal(bad->error, "bad/x.go:1:1: expected 'package', found 'EOF'");
	golist_packages_release(&p);
}

static void test_decode_empty(void **state)
{
	golist_packages p = ARRAY_INIT;
	char *cause = NULL;
	(void)state;

	assert_int_equal(golist_decode("", 0, &p, &cause), 0);
	assert_int_equal(golist_decode(" \n\t\r\n", 5, &p, &cause), 0);
	assert_int_equal(p.n, 0);
	assert_null(cause);
}

static void expect_bad(const char *text, size_t keep, const char *want_prefix)
{
	golist_packages p = ARRAY_INIT;
	char *cause = NULL;

	assert_int_equal(golist_decode(text, strlen(text), &p, &cause), -1);
	assert_non_null(cause);
	if (!starts_with(cause, want_prefix)) {
		print_error("cause: %s\nwant prefix: %s\n", cause, want_prefix);
		fail();
	}
	assert_null(strchr(cause, '\n'));
	assert_int_equal(p.n, keep);
	free(cause);
	golist_packages_release(&p);
}

static void test_decode_bad(void **state)
{
	(void)state;
	expect_bad("{\"ImportPath\": \"a\"}\n{\"ImportPath\": ", 1, "go list output at byte ");
	expect_bad("[1, 2]", 0, "go list output at byte 0: not a package object");
	expect_bad("{\"ImportPath\": \"a\"} garbage", 1, "go list output at byte 20");
	expect_bad("go: cannot find main module", 0, "go list output at byte 0");
}

/* Wrong types are ignored field by field, never trusted. */
static void test_decode_wrong_types(void **state)
{
	static const char text[] =
	    "{\"ImportPath\": 7, \"Dir\": [\"x\"], \"GoFiles\": [\"a.go\", 3, "
	    "null], \"Standard\": \"yes\", \"Module\": \"m\", \"Error\": "
	    "\"plain text error\"}";
	golist_packages p = ARRAY_INIT;
	char *cause = NULL;
	(void)state;

	assert_int_equal(golist_decode(text, strlen(text), &p, &cause), 0);
	assert_int_equal(p.n, 1);
	assert_string_equal(p.v[0].import_path, "");
	assert_null(p.v[0].dir);
	assert_int_equal(p.v[0].go_files.argc, 1);
	assert_false(p.v[0].standard);
	assert_null(p.v[0].module);
	assert_string_equal(p.v[0].error, "plain text error");
	golist_packages_release(&p);
}

/* ---- real go list -------------------------------------------------------- */

static char *go_or_skip(void)
{
	char *go = gotool_find();
	if (!go) {
		print_message("go not on PATH: skipped\n");
		skip();
	}
	return go;
}

static void test_run_webapp(void **state)
{
	golist_packages p = ARRAY_INIT;
	struct argv_array pat = ARGV_ARRAY_INIT;
	char *cause = NULL, *go = go_or_skip();
	char cwd[PATH_MAX];
	(void)state;

	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir("examples/webapp"), 0);
	argv_push(&pat, "./...");
	int rc = golist_run(go, NULL, &pat, GOLIST_FIND, &p, &cause);
	assert_int_equal(chdir(cwd), 0);
	if (rc) {
		print_error("golist_run: %s\n", cause);
		fail();
	}
	assert_int_equal(p.n, 1);
	const struct golist_package *w = &p.v[0];
	assert_string_equal(w->import_path, "example.com/webapp");
	assert_string_equal(w->name, "main");
	assert_true(ends_with(w->dir, "/examples/webapp"));
	assert_true(w->dir[0] == '/');
	assert_true(has(&w->go_files, "main.go"));
	assert_true(has(&w->test_go_files, "main_test.go"));
	assert_non_null(w->module);
	assert_string_equal(w->module->path, "example.com/webapp");
	assert_true(w->module->main);
	assert_false(w->standard);
	assert_null(w->error);
	golist_packages_release(&p);
	argv_clear(&pat);
	free(go);
}

static void test_run_std_fmt(void **state)
{
	golist_packages p = ARRAY_INIT;
	struct argv_array pat = ARGV_ARRAY_INIT, flags = ARGV_ARRAY_INIT;
	char *cause = NULL, *go = go_or_skip();
	(void)state;

	argv_push(&pat, "fmt");
	argv_push(&flags, "-tags=golive_test_tag");
	assert_int_equal(golist_run(go, &flags, &pat, 0, &p, &cause), 0);
	assert_int_equal(p.n, 1);
	const struct golist_package *f = &p.v[0];
	assert_string_equal(f->import_path, "fmt");
	assert_string_equal(f->name, "fmt");
	assert_true(f->standard);
	assert_true(f->goroot);
	assert_null(f->module);
	assert_true(has(&f->go_files, "print.go"));
	assert_true(has(&f->xtest_go_files, "example_test.go"));
	assert_int_equal(f->imports.argc, 0); /* not asked for */
	golist_packages_release(&p);

	/* -deps with the graph: fmt's dependencies come first, marked DepOnly. */
	assert_int_equal(golist_run(go, NULL, &pat, GOLIST_DEPS | GOLIST_GRAPH, &p, &cause), 0);
	assert_true(p.n > 5);
	assert_string_equal(p.v[p.n - 1].import_path, "fmt");
	assert_false(p.v[p.n - 1].dep_only);
	assert_true(has(&p.v[p.n - 1].imports, "strconv"));
	assert_true(has(&p.v[p.n - 1].deps, "unicode/utf8"));
	const struct golist_package *e = find_pkg(&p, "errors");
	assert_non_null(e);
	assert_true(e->dep_only);
	assert_true(e->standard);
	golist_packages_release(&p);
	argv_clear(&pat);
	argv_clear(&flags);
	free(go);
}

/* A pattern that names nothing loadable is a package with an error, not a failure. */
static void test_run_package_error(void **state)
{
	golist_packages p = ARRAY_INIT;
	struct argv_array pat = ARGV_ARRAY_INIT;
	char *cause = NULL, *go = go_or_skip();
	(void)state;

	argv_push(&pat, "fmt");
	argv_push(&pat, "golive.invalid/no/such/package");
	assert_int_equal(golist_run(go, NULL, &pat, GOLIST_FIND, &p, &cause), 0);
	assert_int_equal(p.n, 2);
	const struct golist_package *bad = find_pkg(&p, "golive.invalid/no/such/package");
	assert_non_null(bad);
	assert_non_null(bad->error);
	assert_null(strchr(bad->error, '\n'));
	assert_null(find_pkg(&p, "fmt")->error);
	golist_packages_release(&p);
	argv_clear(&pat);
	free(go);
}

/* go failing as a whole: its first stderr line is the cause. */
static void test_run_failure(void **state)
{
	golist_packages p = ARRAY_INIT;
	struct argv_array pat = ARGV_ARRAY_INIT, flags = ARGV_ARRAY_INIT;
	char *cause = NULL, *go = go_or_skip();
	(void)state;

	argv_push(&pat, "fmt");
	argv_push(&flags, "-no-such-flag");
	assert_int_equal(golist_run(go, &flags, &pat, GOLIST_FIND, &p, &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "no-such-flag"));
	assert_null(strchr(cause, '\n'));
	assert_int_equal(p.n, 0);
	free(cause);
	cause = NULL;

	/* Outside any module in module mode. */
	char tmpl[] = "/tmp/golive-golist-XXXXXX", cwd[PATH_MAX];
	assert_non_null(mkdtemp(tmpl));
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(tmpl), 0);
	argv_clear(&pat);
	argv_push(&pat, "./x");
	int rc = golist_run(go, NULL, &pat, GOLIST_FIND, &p, &cause);
	assert_int_equal(chdir(cwd), 0);
	rmdir(tmpl);
	assert_int_equal(rc, -1);
	assert_non_null(strstr(cause, "go.mod"));
	free(cause);

	/* A go that cannot be run. */
	cause = NULL;
	assert_int_equal(golist_run("/nonexistent/go", NULL, NULL, 0, &p, &cause), -1);
	assert_non_null(cause);
	free(cause);
	golist_packages_release(&p);
	argv_clear(&pat);
	argv_clear(&flags);
	free(go);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_decode_stream),     cmocka_unit_test(test_decode_empty),
	    cmocka_unit_test(test_decode_bad),        cmocka_unit_test(test_decode_wrong_types),
	    cmocka_unit_test(test_run_webapp),        cmocka_unit_test(test_run_std_fmt),
	    cmocka_unit_test(test_run_package_error), cmocka_unit_test(test_run_failure),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
