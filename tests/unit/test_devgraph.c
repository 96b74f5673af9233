/*
 * test_devgraph.c - src/dev/devgraph.c: the path map, content hashes, and the
 * graph of a real `go list -deps -e -json` run on a module made in a temp
 * directory (two packages, an embedded file, a cgo-free asm-free layout, a
 * _test.go file), then classification of changed paths against it.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "dev/devgraph.h"
#include "core/gotool.h"
#include "core/util.h"

static char tmpl[] = "/tmp/golive-devgraph.XXXXXX";
static char *root;

static void write_file(const char *rel, const char *text)
{
	char *p = xasprintf("%s/%s", root, rel);
	char *slash = strrchr(p, '/');
	*slash = '\0';
	char *cmd = xasprintf("mkdir -p '%s'", p);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	*slash = '/';
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	free(p);
}

static int setup(void **state)
{
	(void)state;
	setenv("GO111MODULE", "on", 1);
	setenv("GOFLAGS", "", 1);
	setenv("GOPROXY", "off", 1);
	setenv("GOTOOLCHAIN", "local", 1);
	root = mkdtemp(tmpl);
	if (!root)
		return -1;
	write_file("go.mod", "module example.com/app\n\ngo 1.19\n");
	write_file("main.go", "package main\n\nimport (\n\t_ \"embed\"\n\t\"fmt\"\n\n"
	                      "\t\"example.com/app/internal/greet\"\n)\n\n"
	                      "//go:embed web/index.html\nvar page string\n\n"
	                      "func main() { fmt.Println(greet.Hello(), len(page)) }\n");
	write_file("main_test.go",
	           "package main\n\nimport \"testing\"\n\nfunc TestX(t *testing.T) {}\n");
	write_file("web/index.html", "<p>hi</p>\n");
	write_file("internal/greet/greet.go",
	           "package greet\n\nfunc Hello() string { return \"hi\" }\n");
	write_file("internal/unused/unused.go", "package unused\n");
	write_file("notes.txt", "not Go\n");
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	char *cmd = xasprintf("rm -rf '%s'", root);
	int rc = system(cmd);
	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void test_pathmap(void **state)
{
	(void)state;
	struct pathmap m = PATHMAP_INIT;
	uint64_t v = 0;
	assert_false(pathmap_get(&m, "a", &v));
	for (int i = 0; i < 1000; i++) {
		char k[32];
		snprintf(k, sizeof(k), "dir/f%d.go", i);
		pathmap_set(&m, k, (uint64_t)i * 7);
	}
	assert_int_equal(m.n, 1000);
	assert_true(pathmap_get(&m, "dir/f999.go", &v));
	assert_int_equal(v, 999 * 7);
	pathmap_set(&m, "dir/f999.go", 1);
	assert_int_equal(m.n, 1000);
	assert_true(pathmap_get(&m, "dir/f999.go", &v));
	assert_int_equal(v, 1);
	assert_false(pathmap_get(&m, "dir/f1000.go", NULL));
	pathmap_clear(&m);
	assert_int_equal(m.n, 0);
	assert_false(pathmap_get(&m, "dir/f1.go", NULL));
}

static void test_hash_file(void **state)
{
	(void)state;
	char *a = xasprintf("%s/main.go", root), *b = xasprintf("%s/nosuch.go", root);
	uint64_t h1 = devgraph_hash_file(a);
	assert_true(h1 != DEVGRAPH_MISSING);
	assert_true(devgraph_hash_file(a) == h1);
	assert_true(devgraph_hash_file(b) == DEVGRAPH_MISSING);
	/* An empty file is not "missing". */
	write_file("empty.txt", "");
	char *e = xasprintf("%s/empty.txt", root);
	assert_true(devgraph_hash_file(e) != DEVGRAPH_MISSING);
	/* Same content, same hash; another content, another hash. */
	write_file("copy.txt", "<p>hi</p>\n");
	char *c = xasprintf("%s/copy.txt", root), *w = xasprintf("%s/web/index.html", root);
	assert_true(devgraph_hash_file(c) == devgraph_hash_file(w));
	write_file("copy.txt", "<p>hi!</p>\n");
	assert_true(devgraph_hash_file(c) != devgraph_hash_file(w));
	/* A FIFO, and /dev/zero behind a symlink: "missing" at once, never waited on. */
	char *fifo = xasprintf("%s/pipe.go", root), *zero = xasprintf("%s/zero.go", root);
	assert_int_equal(mkfifo(fifo, 0644), 0);
	assert_int_equal(symlink("/dev/zero", zero), 0);
	assert_true(devgraph_hash_file(fifo) == DEVGRAPH_MISSING);
	assert_true(devgraph_hash_file(zero) == DEVGRAPH_MISSING);
	unlink(fifo);
	unlink(zero);
	free(fifo);
	free(zero);
	unlink(e);
	unlink(c);
	free(a);
	free(b);
	free(c);
	free(e);
	free(w);
}

/* Runs go list in dir for pats (deps: with Deps) as golive dev does and parses its output. */
static void list_graph_in(struct devgraph *g, const char *dir, const struct argv_array *pats,
                          int deps)
{
	char *go = gotool_find();
	assert_non_null(go);
	struct argv_array av = ARGV_ARRAY_INIT;
	argv_push(&av, go);
	devgraph_list_argv(&av, NULL, pats, deps);
	int p[2];
	assert_int_equal(pipe(p), 0);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(p[1], 1);
		close(p[0]);
		if (chdir(dir) != 0)
			_exit(126);
		execv(av.argv[0], av.argv);
		_exit(127);
	}
	close(p[1]);
	struct strbuf sb;
	strbuf_init(&sb, 0);
	assert_true(strbuf_read_fd(&sb, p[0], 64u << 20, NULL) > 0);
	close(p[0]);
	int st;
	waitpid(pid, &st, 0);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	char *cause = NULL;
	assert_int_equal(devgraph_parse(g, sb.buf, sb.len, &cause), 0);
	assert_null(cause);
	strbuf_release(&sb);
	argv_clear(&av);
	free(go);
}

/* Runs go list in root as golive dev does and parses its output. */
static void list_graph(struct devgraph *g)
{
	struct argv_array pats = ARGV_ARRAY_INIT;
	argv_push(&pats, ".");
	list_graph_in(g, root, &pats, 0);
	argv_clear(&pats);
}

/*
 * Several programs (tests/e2e/testdata/dev/multi): which of them each file
 * is part of, from one listing of both with Deps.
 */
static void test_roots(void **state)
{
	(void)state;
	const char *src = getenv("GOLIVE_SRC");
	assert_non_null(src);
	char *mod = xasprintf("%s/tests/e2e/testdata/dev/multi", src);
	char *api = xasprintf("%s/cmd/api", mod);
	const char *roots[] = {api, "example.com/multi/cmd/worker"};
	struct argv_array pats = ARGV_ARRAY_INIT;
	argv_push(&pats, api);
	argv_push(&pats, "./cmd/worker");
	struct devgraph g;
	devgraph_init(&g, mod);
	devgraph_set_roots(&g, roots, 2);
	list_graph_in(&g, mod, &pats, 1);
	assert_int_equal(g.errors, 0);
	assert_int_equal(g.pkgs.argc, 4);
	assert_int_equal(devgraph_affects(&g, "cmd/api/main.go", 0), 1);
	assert_int_equal(devgraph_affects(&g, "cmd/worker/main.go", 0), 2);
	assert_int_equal(devgraph_affects(&g, "internal/apionly/apionly.go", 0), 1);
	assert_int_equal(devgraph_affects(&g, "internal/shared/shared.go", 0), 3);
	assert_int_equal(devgraph_affects(&g, "internal/shared/new.go", 0), 3); /* its dir's */
	assert_int_equal(devgraph_affects(&g, "go.mod", 0), DEVGRAPH_ALL);
	assert_int_equal(devgraph_affects(&g, "internal", 1), 3);
	assert_int_equal(devgraph_affects(&g, "cmd/worker", 1), 2);
	assert_int_equal(devgraph_affects(&g, "docs/notes.go", 0), 0);
	/* the roots survive a new listing */
	list_graph_in(&g, mod, &pats, 1);
	assert_int_equal(devgraph_affects(&g, "internal/apionly/apionly.go", 0), 1);
	/* without roots: every file concerns the one program */
	devgraph_set_roots(&g, NULL, 0);
	list_graph_in(&g, mod, &pats, 0);
	assert_int_equal(devgraph_affects(&g, "internal/apionly/apionly.go", 0), DEVGRAPH_ALL);
	devgraph_release(&g);
	argv_clear(&pats);
	free(api);
	free(mod);
}

static void test_graph_of_module(void **state)
{
	(void)state;
	struct devgraph g;
	devgraph_init(&g, root);
	list_graph(&g);
	/* The module's two packages in the graph, not fmt nor the unused one. */
	assert_int_equal(g.pkgs.argc, 2);
	assert_true(pathmap_get(&g.dirs, "", NULL));
	assert_true(pathmap_get(&g.dirs, "internal/greet", NULL));
	assert_false(pathmap_get(&g.dirs, "internal/unused", NULL));
	assert_int_equal(g.errors, 0);

	assert_int_equal(devgraph_classify(&g, "main.go", 0), DEVGRAPH_FILE);
	assert_int_equal(devgraph_classify(&g, "internal/greet/greet.go", 0), DEVGRAPH_FILE);
	assert_int_equal(devgraph_classify(&g, "web/index.html", 0), DEVGRAPH_FILE); /* embed */
	assert_int_equal(devgraph_classify(&g, "go.mod", 0), DEVGRAPH_FILE);
	assert_int_equal(devgraph_classify(&g, "go.sum", 0), DEVGRAPH_FILE);
	/* Tests, files outside the graph, and non-source files never rebuild. */
	assert_int_equal(devgraph_classify(&g, "main_test.go", 0), DEVGRAPH_NONE);
	assert_int_equal(devgraph_classify(&g, "internal/greet/x_test.go", 0), DEVGRAPH_NONE);
	assert_int_equal(devgraph_classify(&g, "internal/unused/unused.go", 0), DEVGRAPH_NONE);
	assert_int_equal(devgraph_classify(&g, "notes.txt", 0), DEVGRAPH_NONE);
	assert_int_equal(devgraph_classify(&g, "web/other.html", 0), DEVGRAPH_NONE);
	/* A new source file in a graph package: rebuild; go's ignored names: not. */
	assert_int_equal(devgraph_classify(&g, "internal/greet/more.go", 0), DEVGRAPH_NEW);
	assert_int_equal(devgraph_classify(&g, "helper.s", 0), DEVGRAPH_NEW);
	assert_int_equal(devgraph_classify(&g, "_skip.go", 0), DEVGRAPH_NONE);
	assert_int_equal(devgraph_classify(&g, ".hidden.go", 0), DEVGRAPH_NONE);
	/* Directories: one holding graph packages matters, others do not. */
	assert_int_equal(devgraph_classify(&g, "internal", 1), DEVGRAPH_DIR);
	assert_int_equal(devgraph_classify(&g, "internal/greet", 1), DEVGRAPH_DIR);
	assert_int_equal(devgraph_classify(&g, "internal/unused", 1), DEVGRAPH_NONE);
	assert_int_equal(devgraph_classify(&g, "intern", 1), DEVGRAPH_NONE);

	/* Importing the unused package brings it into the graph. */
	write_file("extra.go", "package main\n\nimport _ \"example.com/app/internal/unused\"\n");
	list_graph(&g);
	assert_int_equal(g.pkgs.argc, 3);
	assert_int_equal(devgraph_classify(&g, "internal/unused/unused.go", 0), DEVGRAPH_FILE);
	assert_int_equal(devgraph_classify(&g, "extra.go", 0), DEVGRAPH_FILE);

	/* A missing import: go list -e still lists the package, and the error. */
	write_file("extra.go", "package main\n\nimport _ \"example.com/app/nosuch\"\n");
	list_graph(&g);
	assert_true(g.errors >= 1);
	assert_true(pathmap_get(&g.dirs, "", NULL));
	char *x = xasprintf("%s/extra.go", root);
	unlink(x);
	free(x);
	devgraph_release(&g);
}

static void test_parse_errors(void **state)
{
	(void)state;
	struct devgraph g;
	devgraph_init(&g, "/src/app");
	char *cause = NULL;
	const char ok[] =
	    "{\"Dir\":\"/src/app\",\"ImportPath\":\"a\",\"GoFiles\":[\"a.go\"]}\n"
	    "{\"Dir\":\"/src/appx\",\"ImportPath\":\"b\",\"GoFiles\":[\"b.go\"]}\n"
	    "{\"Dir\":\"/usr/lib/go/src/fmt\",\"ImportPath\":\"fmt\",\"Standard\":true,"
	    "\"GoFiles\":[\"print.go\"]}";
	assert_int_equal(devgraph_parse(&g, ok, strlen(ok), &cause), 0);
	assert_int_equal(devgraph_classify(&g, "a.go", 0), DEVGRAPH_FILE);
	assert_int_equal(g.pkgs.argc, 1); /* /src/appx is not below /src/app */
	const char bad[] = "{\"Dir\":\"/src/app\"} [1,2]";
	assert_int_equal(devgraph_parse(&g, bad, strlen(bad), &cause), -1);
	assert_non_null(cause);
	assert_non_null(strstr(cause, "byte"));
	free(cause);
	/* g is unchanged by the failed parse */
	assert_int_equal(devgraph_classify(&g, "a.go", 0), DEVGRAPH_FILE);
	const char trunc[] = "{\"Dir\":\"/src/app\",\"GoFiles\":[\"a.go\"";
	cause = NULL;
	assert_int_equal(devgraph_parse(&g, trunc, strlen(trunc), &cause), -1);
	free(cause);
	devgraph_release(&g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pathmap),         cmocka_unit_test(test_hash_file),
	    cmocka_unit_test(test_graph_of_module), cmocka_unit_test(test_parse_errors),
	    cmocka_unit_test(test_roots),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
