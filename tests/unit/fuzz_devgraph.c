/*
 * libFuzzer target: devgraph_parse() on arbitrary bytes (go list -json
 * output), then devgraph_classify() of paths taken from the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev/devgraph.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct devgraph g;
	char *cause = NULL;
	devgraph_init(&g, "/src/app");
	if (devgraph_parse(&g, (const char *)data, size, &cause) == 0) {
		/* Classify a path made of the input's first bytes, as a file and as a dir. */
		size_t n = size < 64 ? size : 64;
		char path[65];
		memcpy(path, data, n);
		path[n] = '\0';
		(void)devgraph_classify(&g, path, 0);
		(void)devgraph_classify(&g, path, 1);
		(void)devgraph_classify(&g, "a/b.go", 0);
	}
	free(cause);
	devgraph_release(&g);
	return 0;
}
