/*
 * libFuzzer target: go test -json output (testrun.h) fed in two pieces split
 * at an input-chosen point, then the same bytes as a `go list -deps -test
 * -json` listing (testgraph.h) and the affected tests of its first package.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "gotest/testgraph.h"
#include "gotest/testrun.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(enum test_stream s, const char *text, size_t len, void *data)
{
	(void)s;
	size_t *n = data;
	*n += len + (text[0] != 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct testrun r;
	size_t printed = 0, cut = size ? data[0] % (size + 1) : 0;
	testrun_init(&r);
	r.emit = sink;
	r.data = &printed;
	r.verbose = size > 1 && (data[1] & 1);
	testrun_feed(&r, (const char *)data, cut);
	testrun_feed(&r, (const char *)data + cut, size - cut);
	testrun_finish(&r);
	testrun_sort_timings(&r);
	testrun_release(&r);

	struct testgraph g;
	char *cause = NULL;
	testgraph_init(&g, "/src/app");
	if (testgraph_parse(&g, (const char *)data, size, &cause) == 0 && g.pkgs.n) {
		struct argv_array out = ARGV_ARRAY_INIT;
		long first = 0;
		testgraph_affected(&g, &first, 1, &first, 1, &out);
		(void)testgraph_pkg_of_file(&g, "a/b.go");
		argv_clear(&out);
	}
	free(cause);
	testgraph_release(&g);
	return 0;
}
