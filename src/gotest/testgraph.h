/*
 * testgraph.h - which tests an edit affects, for `golive test --watch`: the
 * module's packages from `go list -deps -test -e -json`, each with its
 * files (test files included), its imports and its tests' imports, and the
 * reverse: from changed packages to the packages whose tests must run.
 *
 * A change to a package's code affects the tests of that package and of
 * every module package that imports it, directly or not, from its code or
 * from its tests (the importers' own importers through code only: a test's
 * imports are not part of its package). A change to a _test.go file affects
 * that package's tests alone. Only packages whose directory is at or below
 * the root count; std and other modules are never watched.
 *
 * Paths are relative to the root, slash-separated (devgraph.h's form).
 * Library code: never prints; errors come back as a malloc'd *cause.
 */
#ifndef GOLIVE_TESTGRAPH_H
#define GOLIVE_TESTGRAPH_H

#include <stddef.h>
#include <stdint.h>

#include "core/util.h"
#include "dev/devgraph.h"

struct testgraph_pkg {
	char *path;                 /* import path */
	char *dir;                  /* relative to the root ("" for the root) */
	int target;                 /* matched by the patterns (not only a dependency) */
	int has_tests;              /* has _test.go files */
	struct argv_array imports;  /* Imports */
	struct argv_array timports; /* TestImports + XTestImports */
};

struct testgraph {
	char *root;
	ARRAY(struct testgraph_pkg) pkgs;
	struct pathmap files; /* rel path -> index + 1 of its package */
	struct pathmap dirs;  /* rel dir -> index + 1 of its package */
	struct pathmap index; /* import path -> index + 1 */
	size_t errors;        /* packages go could not load */
};

void testgraph_init(struct testgraph *g, const char *root);
void testgraph_release(struct testgraph *g);

/*
 * The arguments after `go`: "list", "-deps", "-test", "-e", "-json=<fields>",
 * flags (may be NULL), "--" and the patterns.
 */
void testgraph_list_argv(struct argv_array *out, const struct argv_array *flags,
                         const struct argv_array *patterns);

/*
 * Replaces g's content by the graph decoded from that listing's output
 * (test variants "p [p.test]" and generated "p.test" mains are skipped).
 * 0, or -1 with *cause when the text is not a stream of package objects (g
 * is then unchanged).
 */
int testgraph_parse(struct testgraph *g, const char *buf, size_t len, char **cause);

/* The package index of a package's import path, -1 when not in the graph. */
long testgraph_find(const struct testgraph *g, const char *path);

/*
 * The package a changed file belongs to (index), or -1: a file of the graph,
 * else a new .go / cgo / asm / .syso file (not starting with . or _) in a
 * package's directory.
 */
long testgraph_pkg_of_file(const struct testgraph *g, const char *rel);

/*
 * The target packages whose tests must run (import paths, appended to out,
 * in graph order), when the code of the packages code[] and the tests of
 * tests[] changed (indexes; -1 entries ignored).
 */
void testgraph_affected(const struct testgraph *g, const long *code, size_t ncode,
                        const long *tests, size_t ntests, struct argv_array *out);

/*
 * A hash of the part of a Go file that decides the graph (the package
 * clause, build constraints and imports: everything before its first
 * func/type/var/const declaration); DEVGRAPH_MISSING when it cannot be read.
 */
uint64_t testgraph_header_hash(const char *abs);

/* Appends every file of the graph as an absolute path (for watch_set_files). */
void testgraph_abs_files(const struct testgraph *g, struct argv_array *out);

#endif
