/*
 * testrun.h - one run of `go test -json`, decoded as its output streams in:
 * what `golive test` prints while the tests run (go test's own text, the
 * way go test prints it without -v) and the figures of its summary
 * (packages, tests passed / failed / skipped, the slowest tests, and each
 * failure's file:line).
 *
 * The stream is go's test2json events, one JSON object a line:
 * {"Action":"run|pass|fail|skip|output|...","Package":...,"Test":...,
 * "Elapsed":...,"Output":...}; Go 1.24+ adds "build-output"/"build-fail"
 * events (keyed by ImportPath) for packages that do not compile. Lines that
 * are not JSON objects are passed through as text.
 *
 * Failures: a failed test's own output lines of the form
 * "    name_test.go:12: message" (what t.Error/t.Fatal print, indented) give
 * file (a base name in the package's directory), line and message; a panic
 * gives the first goroutine frame in a _test.go file. A test that failed
 * with neither gets one failure with line 0 ("failed"), unless a subtest of
 * it failed (the subtest's failures explain it).
 *
 * Library code: never prints; text for the terminal goes through the
 * caller's emit callback.
 */
#ifndef GOLIVE_TESTRUN_H
#define GOLIVE_TESTRUN_H

#include <stddef.h>

#include "core/util.h"

struct test_failure {
	char *pkg, *test; /* import path; test name ("TestX/sub") */
	char *file;       /* as the test printed it (a base name), NULL when unknown */
	int line;         /* 0 when unknown */
	char *message;    /* first line of the message */
};

struct test_timing {
	char *pkg, *test;
	double elapsed; /* seconds */
};

/* A package's outcome. */
enum test_pkg_result { TEST_PKG_RUNNING = 0, TEST_PKG_OK, TEST_PKG_FAIL, TEST_PKG_NOTESTS };

struct test_pkg {
	char *path;
	enum test_pkg_result result;
	int build_failed;
	double elapsed;
};

/* The kinds of text emitted: go test's stdout lines, or build errors (stderr). */
enum test_stream { TEST_OUT = 1, TEST_ERR = 2 };

struct testrun {
	int verbose; /* print every test's output as it comes (go test -v) */
	void (*emit)(enum test_stream s, const char *text, size_t len, void *data);
	void *data;

	ARRAY(struct test_pkg) pkgs;
	ARRAY(struct test_failure) failures;
	ARRAY(struct test_timing) timings; /* top-level tests that ended */
	long passed, failed, skipped;      /* tests, subtests included */

	/* private */
	struct strbuf partial;
	ARRAY(struct testrun_live *) live; /* tests running, with their output so far */
	struct argv_array failed_tests;    /* "pkg\ttest" of every failed test */
};

void testrun_init(struct testrun *r);
void testrun_release(struct testrun *r);

/* Feeds len bytes of go test -json's stdout (any split). */
void testrun_feed(struct testrun *r, const char *buf, size_t len);
/* The stream ended: decodes a last unterminated line, settles the failures. */
void testrun_finish(struct testrun *r);

/* The package entry for path (created when new). */
struct test_pkg *testrun_pkg(struct testrun *r, const char *path);

/* Sorts the timings, slowest first (ties by package and name). */
void testrun_sort_timings(struct testrun *r);

/*
 * Parses "   name.go:12: message" (leading blanks or tabs required): 1 with
 * *file (malloc'd), *line and *msg (malloc'd), else 0.
 */
int testrun_parse_location(const char *text, char **file, int *line, char **msg);

#endif
