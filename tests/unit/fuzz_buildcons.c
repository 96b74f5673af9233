/*
 * libFuzzer target: buildexpr_eval() on arbitrary bytes, with tags set by a
 * hash of their name. It returns 1, 0 or -1 (with a cause exactly when -1),
 * and agrees with itself: "(E)" gives what E gives and "!(E)" its negation
 * when both parse, "E || E" and "E && E" give E. buildcons_header_ok() and
 * buildcons_name_ok() on the same bytes return in range and never crash.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buildcons.h"
#include "core/util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int hashed(void *d, const char *name, size_t len)
{
	unsigned h = 2166136261u;
	(void)d;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)name[i]) * 16777619u;
	return (int)(h & 1);
}

static int eval(const char *s, size_t len)
{
	char *cause = NULL;
	int v = buildexpr_eval(s, len, hashed, NULL, &cause);
	if (v < -1 || v > 1 || (v < 0) != (cause != NULL))
		abort();
	free(cause);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	int v = eval(s, size);
	if (v >= 0 && !memchr(s, '\0', size)) {
		char *paren = xasprintf("(%.*s)", (int)size, s);
		char *neg = xasprintf("!(%.*s)", (int)size, s);
		char * or = xasprintf("%.*s || %.*s", (int)size, s, (int)size, s);
		char *and = xasprintf("%.*s && %.*s", (int)size, s, (int)size, s);
		int p = eval(paren, strlen(paren)), n = eval(neg, strlen(neg));
		if ((p >= 0 && p != v) || (n >= 0 && n != !v) || (p < 0) != (n < 0))
			abort();
		if (eval(or, strlen(or)) != v || eval(and, strlen(and)) != v)
			abort();
		free(paren);
		free(neg);
		free(or);
		free(and);
	}

	struct buildctx c;
	buildctx_from_env(&c, "fuzz,extra", NULL);
	char *cause = NULL;
	int h = buildcons_header_ok(&c, s, size, &cause);
	if (h < -1 || h > 1 || (h < 0) != (cause != NULL))
		abort();
	free(cause);
	char *name = xstrndup(s, size);
	int k = buildcons_name_ok(&c, name);
	if (k < 0 || k > 1)
		abort();
	free(name);
	buildctx_release(&c);
	return 0;
}
