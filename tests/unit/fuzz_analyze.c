/*
 * libFuzzer target: analysis_run_source() on arbitrary bytes as a Go file,
 * with every analyzer on and generated files included, so the parser, the
 * helpers (imports, scopes, handlers), both analyzers and the suppression
 * logic all see the input. One context for the whole run, as a worker has.
 * The input is also a package of two files, split at its first NUL byte
 * (a.go, b.go; both the whole input without one), so the package index's
 * text scan and the one step into another file (anapkg.h) see it too.
 */
#include <stdint.h>
#include <stdlib.h>

#include <string.h>

#include "analysis/analyze.h"
#include "analysis/anapkg.h"

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

	const char *a = (const char *)data, *b = a;
	size_t alen = size, blen = size;
	const char *nul = memchr(a, '\0', size);
	if (nul) {
		alen = (size_t)(nul - a);
		b = nul + 1;
		blen = size - alen - 1;
	}
	struct analysis_pkg *pkg = analysis_pkg_new();
	analysis_pkg_add(pkg, "a.go", a, alen);
	analysis_pkg_add(pkg, "b.go", b, blen);
	analysis_ctx_set_package(ctx, pkg);
	analysis_run_source(ctx, "a.go", a, alen, &out);
	analysis_run_source(ctx, "b.go", b, blen, &out);
	analysis_ctx_set_package(ctx, NULL);
	analysis_pkg_free(pkg);
	for (size_t i = 0; i < out.n; i++)
		if (!out.v[i].line || !out.v[i].col)
			abort();
	diag_array_release(&out);
	return 0;
}
