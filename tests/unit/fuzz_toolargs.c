/*
 * libFuzzer target: tool argument classification on arbitrary argv words
 * (NUL-separated in the input), including a response file with the bytes.
 */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "wrapper/toolargs.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char rsp[64];
	if (!rsp[0]) {
		snprintf(rsp, sizeof(rsp), "/tmp/golive-fuzz-rsp-%d", (int)getpid());
	}
	FILE *f = fopen(rsp, "wb");
	if (f) {
		fwrite(data, 1, size, f);
		fclose(f);
	}
	struct argv_array a = ARGV_ARRAY_INIT;
	argv_push(&a, "golive");
	argv_push(&a, size && data[0] & 1 ? "/go/pkg/tool/linux_amd64/compile" : "gcc");
	const char *p = (const char *)data, *end = p + size;
	while (p < end && a.argc < 64) {
		const char *z = memchr(p, '\0', (size_t)(end - p));
		size_t n = z ? (size_t)(z - p) : (size_t)(end - p);
		char *w = xstrndup(p, n);
		argv_push(&a, w);
		free(w);
		p += n + 1;
	}
	argv_pushf(&a, "@%s", rsp);
	struct tool_invocation ti;
	toolargs_classify(&ti, (int)a.argc, a.argv);
	(void)toolargs_source_bytes(&ti);
	toolargs_release(&ti);
	argv_clear(&a);

	char *copy = xstrndup((const char *)data, size);
	toolargs_decode_response_line(copy, strlen(copy));
	free(copy);
	return 0;
}
