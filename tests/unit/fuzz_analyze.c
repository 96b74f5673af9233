/*
 * libFuzzer target: analysis_run_source() on arbitrary bytes as a Go file,
 * with every analyzer on and generated files included, so the parser, the
 * helpers (imports, scopes, handlers), both analyzers and the suppression
 * logic all see the input. One context for the whole run, as a worker has.
 */
#include <stdint.h>
#include <stdlib.h>

#include "analysis/analyze.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct analysis_settings settings;
static struct analysis_ctx *ctx;

static void teardown(void)
{
	analysis_ctx_free(ctx);
	analysis_settings_release(&settings);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!ctx) {
		char *cause = NULL;
		analysis_settings_init(&settings);
		settings.include_generated = 1;
		ctx = analysis_ctx_new(&settings, &cause);
		if (!ctx)
			abort();
		atexit(teardown);
	}
	diag_array out = ARRAY_INIT;
	analysis_run_source(ctx, "fuzz.go", (const char *)data, size, &out);
	for (size_t i = 0; i < out.n; i++)
		if (!out.v[i].line || !out.v[i].col)
			abort();
	diag_array_release(&out);
	return 0;
}
